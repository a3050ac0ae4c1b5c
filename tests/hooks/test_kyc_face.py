"""TencentKycHook.query_face_record against the strict simulator over loopback: what the hook asks, re-asks and
reports, checked against the simulator's ground truth (``/admin/faces``)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from tencent_kyc.api.errors import InvalidOrderNumberError, KycTransientError
from tencent_kyc.api.face import MEDIA_CHOICES, FaceOutcome, FaceResult, wanted_media
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc_dev.simulator.state import COUNTERS

DAY = date(2026, 11, 27)
FAST = {"qps_quota": 10000, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "photo_retry_interval": 0.05}
REFUSALS = tuple(name for name in COUNTERS if not name.endswith("_issued"))
Factory = Callable[..., Any]
#: The simulator's outcome today → the hook's (a flow completing tomorrow has no record yet).
OUTCOMES = {
    "passed": FaceOutcome.PASSED,
    "not_passed": FaceOutcome.NOT_PASSED,
    "no_record": FaceOutcome.NO_RECORD,
    "late": FaceOutcome.NO_RECORD,
}


def faces(simulator: Any, day: date = DAY) -> dict[str, dict[str, Any]]:
    """Each order's face record as the simulator answers it today, by order number."""
    answer = requests.get(simulator.url + "/admin/faces", params={"date": day.isoformat()}, timeout=30).json()
    return {row["orderNo"]: row for row in answer["faces"]}


def pick(rows: dict[str, dict[str, Any]], outcome: str, labels: list[str] | None = None) -> str:
    """An order with that outcome today and exactly those labels (a plain one by default)."""
    return next(order for order, row in rows.items() if row["outcome"] == outcome and row["labels"] == (labels or []))


def refusals(simulator: Any) -> dict[str, int]:
    stats = simulator.stats()
    return {name: stats[name] for name in REFUSALS if stats[name]}


def face_requests(simulator: Any) -> int:
    return int(simulator.stats()["requests"]["queryfacerecord"])


def sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data else None


def assert_as_served(result: FaceResult, row: dict[str, Any]) -> None:
    assert (result.code, result.message) == (row["code"], row["msg"])
    assert (result.similarity, result.live_rate) == (row["similarity"], row["liveRate"])
    assert (result.fields.get("sdkVersion"), result.fields.get("trtcFlag")) == (row["sdkVersion"], row["trtcFlag"])


def test_a_query_is_a_signed_post_of_json_that_the_strict_simulator_answers(
    simulator_factory: Factory, kyc_connection: Any
) -> None:
    """The simulator refuses any other method, body, field type or signature; an answer with no refusal
    counted proves the request was Tencent's shape (§1, §3), queryVersion 1.0 included (sdkVersion back)."""
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=50)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    rows = faces(simulator)
    order = pick(rows, "passed")

    result = hook.query_face_record(order)
    assert result.outcome is FaceOutcome.PASSED and result.order_no == order
    assert_as_served(result, rows[order])
    assert result.fields["sdkVersion"] and result.media == {} and result.queries == 1  # "none": no getFile
    assert refusals(simulator) == {}
    assert simulator.stats()["results_by_code"]["queryfacerecord"] == {"0": 1}
    assert requests.get(simulator.url + "/api/v2/base/queryfacerecord", timeout=5).status_code == 405  # the check


@pytest.mark.parametrize("media", MEDIA_CHOICES)
def test_each_media_choice_brings_exactly_its_media(
    simulator_factory: Factory, kyc_connection: Any, media: str
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=50)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    rows = faces(simulator)
    order = pick(rows, "passed")

    result = hook.query_face_record(order, media=media)
    assert set(result.media) == set(wanted_media(media))
    for name in wanted_media(media):
        assert sha256(result.media[name]) == rows[order][f"{name}Sha256"]  # the bytes, decoded from Base64
    assert result.missing_media(wanted_media(media)) == () and result.queries == 1
    assert refusals(simulator) == {}


def test_lagging_media_are_requeried_until_they_come(simulator_factory: Factory, kyc_connection: Any) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=100, photo_lag_seconds=0.5)
    hook = TencentKycHook(kyc_connection(simulator, **{**FAST, "photo_retries": 5, "photo_retry_interval": 0.3}))
    rows = faces(simulator)
    order = pick(rows, "passed", ["face_media_lag"])

    result = hook.query_face_record(order, media="both")
    assert result.queries >= 2  # empty at first (0.3 s apart: usually there on the third)
    assert result.missing_media(("photo", "video")) == ()
    assert (sha256(result.media["photo"]), sha256(result.media["video"])) == (
        rows[order]["photoSha256"],
        rows[order]["videoSha256"],
    )
    assert face_requests(simulator) == result.queries


@pytest.mark.parametrize("retries", [0, 2])
def test_media_still_lagging_after_the_requeries_are_reported_missing(
    simulator_factory: Factory, kyc_connection: Any, retries: int
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=100, photo_lag_seconds=60)
    hook = TencentKycHook(kyc_connection(simulator, **{**FAST, "photo_retries": retries}))
    order = pick(faces(simulator), "passed", ["face_media_lag"])

    result = hook.query_face_record(order, media="both")
    assert result.outcome is FaceOutcome.PASSED  # the verdict stands; only the media are late
    assert result.queries == 1 + retries == face_requests(simulator)
    assert result.missing_media(("photo", "video")) == ("photo", "video")


@pytest.mark.parametrize("gone", ["photo", "video"])
def test_a_medium_tencent_left_out_is_missing_only_when_asked_for(
    simulator_factory: Factory, kyc_connection: Any, gone: str
) -> None:
    simulator = simulator_factory(
        qps=0, today=DAY, orders_per_day=100, order_rates=(("face_media_missing", 0.2), ("face_media_lag", 0.0))
    )
    hook = TencentKycHook(kyc_connection(simulator, **{**FAST, "photo_retries": 1}))
    rows = faces(simulator)
    order = pick(rows, "passed", [f"face_media_missing:{gone}"])
    kept = "video" if gone == "photo" else "photo"

    asked = hook.query_face_record(order, media="both")
    assert asked.missing_media(("photo", "video")) == (gone,) and asked.queries == 2
    assert sha256(asked.media[kept]) == rows[order][f"{kept}Sha256"]
    other = hook.query_face_record(order, media=kept)  # what was not asked for cannot be missing
    assert other.missing_media(wanted_media(kept)) == () and other.queries == 1


def test_no_record_and_not_passed_are_outcomes_never_requeried_for_media(
    simulator_factory: Factory, kyc_connection: Any
) -> None:
    simulator = simulator_factory(
        qps=0,
        today=DAY,
        orders_per_day=40,
        order_rates=(("face_no_record", 0.5), ("face_not_passed", 0.25), ("face_late", 0.1)),
    )
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    rows = faces(simulator)
    seen = set()
    for order, row in rows.items():
        result = hook.query_face_record(order, media="both")
        seen.add(row["outcome"])
        assert result.outcome is OUTCOMES[row["outcome"]], order
        assert_as_served(result, row)
        if result.outcome is not FaceOutcome.PASSED:
            assert result.media == {} and result.missing_media(("photo", "video")) == () and result.queries == 1
    assert seen == {"passed", "not_passed", "no_record", "late"}  # every kind was exercised
    never_issued = hook.query_face_record("UNKNOWN00000000000000000000000")
    assert (never_issued.outcome, never_issued.code) == (FaceOutcome.NO_RECORD, "66660011")
    assert refusals(simulator) == {}


def test_a_refused_ticket_is_refreshed_once_and_the_query_answered(
    simulator_factory: Factory, kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=50, overlap_seconds=0)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    rows = faces(simulator)
    first, second = [order for order, row in rows.items() if row["outcome"] == "passed"][:2]
    hook.query_face_record(first)
    requests.post(simulator.url + "/admin/invalidate-tokens", timeout=5).raise_for_status()

    result = hook.query_face_record(second)
    assert result.outcome is FaceOutcome.PASSED
    assert_as_served(result, rows[second])
    stats = simulator.stats()
    assert (stats["token_issued"], stats["ticket_issued"]) == (2, 2)  # one refresh, not one per attempt
    refused = {code: n for code, n in stats["results_by_code"]["queryfacerecord"].items() if code.startswith("4001")}
    assert sum(refused.values()) == 1 and face_requests(simulator) == 3


def test_server_trouble_is_retried_until_every_answer_is_the_servers(
    simulator_factory: Factory, kyc_connection: Any
) -> None:
    simulator = simulator_factory(
        qps=0, today=DAY, orders_per_day=30, fault_5xx=0.2, fault_999999=0.2, fault_seed=11, photo_lag_seconds=0.2
    )
    hook = TencentKycHook(kyc_connection(simulator, **{**FAST, "max_attempts": 12, "photo_retry_interval": 0.2}))
    rows = faces(simulator)
    for order, row in rows.items():
        result = hook.query_face_record(order, media="both")
        assert result.outcome is OUTCOMES[row["outcome"]], order
        assert_as_served(result, row)
        assert sha256(result.media.get("photo")) == row["photoSha256"]
    faults = simulator.stats()["faults"]
    assert faults["5xx"] > 0 and faults["999999"] > 0
    assert hook.call_counts()["retries"] == faults["5xx"] + faults["999999"]  # each fault: one more attempt


@pytest.mark.parametrize(("fault", "code"), [("fault_999999", "999999"), ("fault_5xx", "HTTP5")])
def test_trouble_that_persists_backs_off_then_raises_a_retryable_error(
    simulator_factory: Factory, kyc_connection: Any, fault: str, code: str
) -> None:
    """§6: bounded backoff, then a failure a later run retries, never "no record"."""
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=10, **{fault: 1.0})
    settings = {**FAST, "max_attempts": 3, "backoff_seconds": 0.2, "max_backoff_seconds": 1}
    hook = TencentKycHook(kyc_connection(simulator, **settings))
    order = next(iter(faces(simulator)))
    hook.get_credentials()

    started = time.monotonic()
    with pytest.raises(KycTransientError) as raised:
        hook.query_face_record(order)
    assert time.monotonic() - started >= 0.1 + 0.2  # jittered waits of 0.1-0.2 s, then 0.2-0.4 s
    assert (raised.value.code or "").startswith(code) and raised.value.retryable
    assert face_requests(simulator) == 3


def test_an_order_past_the_retention_answers_no_record(simulator_factory: Factory, kyc_connection: Any) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=50, retention_days=3)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    order = pick(faces(simulator), "passed")

    simulator.update_config(today=DAY + timedelta(days=3))  # the third day after completion: still kept
    assert hook.query_face_record(order, media="photo").outcome is FaceOutcome.PASSED
    simulator.update_config(today=DAY + timedelta(days=4))
    gone = hook.query_face_record(order, media="photo")
    assert (gone.outcome, gone.code, gone.media, gone.queries) == (FaceOutcome.NO_RECORD, "66660011", {}, 1)
    assert faces(simulator)[order]["outcome"] == "no_record"  # the ground truth agrees


@pytest.mark.parametrize(
    ("order", "media", "error"), [("A1", "audio", ValueError), ("A-1", "both", InvalidOrderNumberError)]
)
def test_a_bad_media_choice_or_order_number_is_refused_before_any_request(
    simulator: Any, kyc_connection: Any, order: str, media: str, error: type[Exception]
) -> None:
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    with pytest.raises(error):
        hook.query_face_record(order, media=media)
    assert sum(simulator.stats()["requests"].values()) == 0
