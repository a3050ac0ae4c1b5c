"""The provider's real client against the simulator over HTTP: the two sides agree on the wire for queryfacerecord.

``TencentKycHook.query_face_record`` signs, sends and parses as it would against Tencent; the simulator refuses
anything off-spec, and ``/admin/faces`` says what each order's answer must be read as.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

import requests

from tencent_kyc.api.face import FaceOutcome, FaceResult, occurred_at
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc_dev.simulator.faces import FaceBook, FaceRecord
from tencent_kyc_dev.simulator.orders import OrderBook
from tencent_kyc_dev.simulator.state import COUNTERS

DAY = date(2026, 11, 27)
FAST = {"qps_quota": 10000, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "photo_retry_interval": 0.2}
#: The simulator's outcome → what the client must make of it (a late flow is no record yet).
OUTCOMES = {
    "passed": FaceOutcome.PASSED,
    "not_passed": FaceOutcome.NOT_PASSED,
    "no_record": FaceOutcome.NO_RECORD,
    "late": FaceOutcome.NO_RECORD,
}
#: One order of each kind the client must read right, by the simulator's labels.
KINDS: dict[str, Callable[[FaceRecord], bool]] = {
    "passed": lambda r: r.outcome == "passed" and not r.injected,
    "lagging media": lambda r: r.outcome == "passed" and r.injected == ("face_media_lag",),
    "a medium left out": lambda r: r.outcome == "passed" and any("media_missing" in label for label in r.injected),
    "liveness only": lambda r: r.injected == ("face_liveness_only",),
    "numeric scores": lambda r: r.outcome == "passed" and "face_numeric_scores" in r.injected,
    "dashed time and oriCode": lambda r: {"face_dash_time", "face_extra_field"} & set(r.injected) != set(),
    "not passed with scores": lambda r: r.code == "66660004" and r.result is not None,
    "not passed without a result": lambda r: r.outcome == "not_passed" and r.result is None,
    "no record": lambda r: r.outcome == "no_record",
    "late": lambda r: "face_late:1" in r.injected,  # the others are chosen among orders completed on their day
}


def sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data else None


def test_the_providers_client_reads_every_kind_of_face_record_as_the_simulator_holds_it(
    simulator_factory: Callable[..., Any], kyc_connection: Callable[..., str]
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=400, photo_lag_seconds=0.3)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    faces = FaceBook(OrderBook(simulator.config.seed, 400), simulator.config.face_fault_rates)
    records = faces.records(DAY)
    on_time = [record for record in records if "face_late:1" not in record.injected]
    chosen = {
        kind: next(record for record in (records if kind == "late" else on_time) if wanted(record))
        for kind, wanted in KINDS.items()
    }
    truth = requests.get(simulator.url + "/admin/faces", params={"date": DAY.isoformat()}, timeout=30).json()
    rows = {row["orderNo"]: row for row in truth["faces"]}

    for kind, record in chosen.items():
        result: FaceResult = hook.query_face_record(record.order_no, media="both")
        row = rows[record.order_no]
        assert result.outcome is OUTCOMES[row["outcome"]], kind
        assert (result.code, result.message) == (row["code"], row["msg"]), kind
        assert (result.similarity, result.live_rate) == (row["similarity"], row["liveRate"]), kind
        assert result.occurred_at == (occurred_at(row["occurredTime"]) if row["occurredTime"] else None), kind
        assert result.fields.get("sdkVersion") == row["sdkVersion"], kind  # the hook asks queryVersion 1.0
        assert result.fields.get("trtcFlag") == row["trtcFlag"], kind
        assert sha256(result.media.get("photo")) == row["photoSha256"], kind
        assert sha256(result.media.get("video")) == row["videoSha256"], kind
        if kind == "lagging media":
            assert result.queries >= 2 and result.missing_media(("photo", "video")) == (), kind
        elif kind == "a medium left out":
            gone = next(label for label in record.injected if "media_missing" in label).rpartition(":")[2]
            assert result.missing_media(("photo", "video")) == (gone,) and result.queries == 4, kind
        else:
            assert result.queries == 1, kind
        if "face_extra_field" in record.injected:
            assert result.fields["oriCode"] == record.code

    stats = requests.get(simulator.url + "/admin/stats", timeout=5).json()
    assert {name: stats[name] for name in COUNTERS if not name.endswith("_issued") and stats[name]} == {}
    assert stats["token_issued"] == stats["ticket_issued"] == 1
    histogram = stats["face_calls_per_order"]["histogram"]
    assert stats["requests"]["queryfacerecord"] == sum(int(calls) * orders for calls, orders in histogram.items())
