"""Every documented rule is enforced: a client breaking one gets Tencent's error (HTTP 200 JSON) and a counter."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from PIL import Image

from tencent_kyc.api.signing import make_nonce, sign_order_query
from tencent_kyc_dev.simulator.orders import Completion
from tencent_kyc_dev.simulator.photos import photos_for
from tencent_kyc_dev.simulator.state import COUNTERS

DAY = date(2026, 11, 27)
OCR = "/api/server/getOcrResult"
Factory = Callable[..., Any]


REFUSALS = tuple(name for name in COUNTERS if not name.endswith("_issued"))


def refusals(stats: dict[str, Any]) -> dict[str, int]:
    """The non-zero refusal counters."""
    return {name: stats[name] for name in REFUSALS if stats[name]}


# -- a correct client ----------------------------------------------------------------------------------------


def test_a_correct_client_gets_the_documented_envelopes(wb: Any) -> None:
    token = wb.token()
    assert token["code"] == "0" and token["msg"] == "请求成功" and len(token["transactionTime"]) == 14
    assert len(token["access_token"]) == 64 and token["access_token"].isalnum()
    assert token["expire_in"] == "7200" and len(token["expire_time"]) == 14
    ticket = wb.ticket(token["access_token"])
    assert ticket["code"] == "0" and len(ticket["tickets"]) == 1
    assert ticket["tickets"][0]["expire_in"] == "3600" and len(ticket["tickets"][0]["value"]) == 64

    order = wb.find(lambda order: order.completion is Completion.BOTH_SIDES)
    answer = wb.query(ticket["tickets"][0]["value"], order.order_no)
    assert answer["code"] == "0" and answer["msg"] == "请求成功"
    assert len(answer["bizSeqNo"]) == 32 and answer["bizSeqNo"].isdigit()
    result = answer["result"]
    assert result["success"] is False
    assert result["bizSeqNo"] == answer["bizSeqNo"] and result["transactionTime"] == answer["transactionTime"]
    assert {name: result[name] for name in order.result} == order.result
    assert "frontPhoto" not in result
    assert refusals(wb.stats()) == {}


def spelled(spelling: str, app_id: str) -> dict[str, str | None]:
    """Parameters sending the app id under ``spelling`` only (requests drops the None)."""
    return {"appId": None, spelling: app_id}


@pytest.mark.parametrize("spelling", ["appId", "app_id"])
def test_both_app_id_spellings_are_accepted_by_default(wb: Any, spelling: str) -> None:
    token = wb.token(**spelled(spelling, wb.app_id))
    assert token["code"] == "0"
    assert wb.ticket(token["access_token"], **spelled(spelling, wb.app_id))["code"] == "0"


@pytest.mark.parametrize(("accepted", "refused"), [("appId", "app_id"), ("app_id", "appId")])
def test_app_id_spelling_can_be_restricted(wb_factory: Factory, accepted: str, refused: str) -> None:
    wb = wb_factory(app_id_param=accepted)
    assert wb.token(**spelled(refused, wb.app_id))["code"] == "400101"
    token = wb.token(**spelled(accepted, wb.app_id))["access_token"]
    assert wb.ticket(token, **spelled(refused, wb.app_id))["code"] == "400101"
    assert wb.ticket(token, **spelled(accepted, wb.app_id))["code"] == "0"
    assert wb.stats()["missing_params"] == 2


# -- access token -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "counter"),
    [
        ({"secret": "x" * 64}, "400104", "bad_credentials"),
        ({"appId": "IDAOTHER"}, "400104", "bad_credentials"),
        ({"grant_type": "client_credentials"}, "400101", "bad_grant_type"),
        ({"grant_type": "CLIENT_CREDENTIAL"}, "400101", "bad_grant_type"),
        ({"version": "1.0"}, "400502", "bad_version"),
        ({"version": "1.0.0 "}, "400502", "bad_version"),
        ({"secret": None}, "400101", "missing_params"),
        ({"grant_type": ""}, "400101", "missing_params"),
    ],
)
def test_token_requests_breaking_a_rule_are_refused(
    wb: Any, overrides: dict[str, Any], code: str, counter: str
) -> None:
    answer = wb.token(**overrides)
    assert answer["code"] == code and "access_token" not in answer
    stats = wb.stats()
    assert refusals(stats) == {counter: 1}
    assert stats["token_issued"] == 0 and stats["results_by_code"]["access_token"] == {code: 1}


def test_a_second_app_has_its_own_secret(wb_factory: Factory) -> None:
    wb = wb_factory(extra_apps=(("IDAOTHER", "s" * 64),))
    assert wb.token(appId="IDAOTHER", secret="s" * 64)["code"] == "0"
    assert wb.token(appId="IDAOTHER")["code"] == "400104"  # the default app's secret is not its secret


# -- SIGN ticket ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "counter"),
    [
        ({"type": "sign"}, "400101", "bad_ticket_type"),
        ({"type": "NONCE"}, "400101", "bad_ticket_type"),
        ({"version": "2.0.0"}, "400502", "bad_version"),
        ({"access_token": "y" * 64}, "400101", "unknown_token"),
        ({"appId": "IDAOTHER"}, "400104", "bad_credentials"),
        ({"type": None}, "400101", "missing_params"),
    ],
)
def test_ticket_requests_breaking_a_rule_are_refused(
    wb: Any, overrides: dict[str, Any], code: str, counter: str
) -> None:
    answer = wb.ticket(wb.token()["access_token"], **overrides)
    assert answer["code"] == code and "tickets" not in answer
    assert refusals(wb.stats()) == {counter: 1}


def test_an_older_token_dies_one_overlap_after_a_newer_one(wb_factory: Factory) -> None:
    wb = wb_factory(overlap_seconds=0.3)
    old = wb.token()["access_token"]
    wb.token()
    assert wb.ticket(old)["code"] == "0"  # both live during the overlap
    time.sleep(0.35)
    assert wb.ticket(old)["code"] == "400102"
    assert wb.stats()["dead_token"] == 1


def test_a_token_dies_at_the_end_of_its_lifetime(wb_factory: Factory) -> None:
    wb = wb_factory(token_ttl_seconds=0.3)
    token = wb.token()
    assert token["expire_in"] == "0.3"
    time.sleep(0.35)
    assert wb.ticket(token["access_token"])["code"] == "400102"


# -- getOcrResult --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "counter"),
    [
        ({"nonce": "short1234"}, "400101", "bad_nonce"),
        ({"nonce": "a-" + "b" * 30}, "400101", "bad_nonce"),
        ({"nonce": "c" * 33}, "400101", "bad_nonce"),
        ({"version": "1.0.1"}, "400502", "bad_version"),
        ({"sign": "0" * 40}, "400101", "bad_signature"),
        ({"sign": None}, "400101", "missing_params"),
        ({"app_id": "IDAOTHER"}, "400104", "bad_credentials"),
    ],
)
def test_queries_breaking_a_rule_are_refused(wb: Any, overrides: dict[str, Any], code: str, counter: str) -> None:
    ticket = wb.credentials()
    answer = wb.query(ticket, wb.orders()[0], **overrides)
    assert answer["code"] == code and "result" not in answer and len(answer["bizSeqNo"]) == 32
    assert refusals(wb.stats()) == {counter: 1}


@pytest.mark.parametrize("order_no", ["bad-order", "has space", "订单1", "a" * 33])
def test_order_numbers_with_bad_characters_are_refused(wb: Any, order_no: str) -> None:
    assert wb.query(wb.credentials(), order_no)["code"] == "400101"
    assert refusals(wb.stats()) == {"bad_order_no": 1}


def test_a_signature_over_other_values_than_those_sent_is_refused(wb: Any) -> None:
    ticket, (first, second), nonce = wb.credentials(), wb.orders()[:2], make_nonce()
    sign = sign_order_query(app_id=wb.app_id, order_no=first, ticket=ticket, nonce=nonce)
    assert wb.query(ticket, second, nonce=nonce, sign=sign)["code"] == "400101"
    assert wb.query(ticket, first, signed_with="Z" * 64)["code"] == "400101"  # a ticket never issued
    assert refusals(wb.stats()) == {"bad_signature": 2}


def test_a_lower_case_signature_is_accepted_as_the_docs_say(wb: Any) -> None:
    ticket, order_no, nonce = wb.credentials(), wb.orders()[0], make_nonce()
    sign = sign_order_query(app_id=wb.app_id, order_no=order_no, ticket=ticket, nonce=nonce).lower()
    assert wb.query(ticket, order_no, nonce=nonce, sign=sign)["code"] == "0"


def test_a_signature_made_with_a_dead_ticket_is_told_apart(wb_factory: Factory) -> None:
    wb = wb_factory(overlap_seconds=0.3)
    old_ticket = wb.credentials()
    new_ticket = wb.credentials()  # a newer token (and ticket): the old ones die after the overlap
    order_no = wb.orders()[0]
    assert wb.query(old_ticket, order_no)["code"] == "0"
    time.sleep(0.35)
    assert wb.query(old_ticket, order_no)["code"] == "400102"
    assert wb.query(new_ticket, order_no)["code"] == "0"
    assert refusals(wb.stats()) == {"dead_ticket": 1}


def test_a_newer_ticket_of_the_same_token_retires_the_older_one(wb_factory: Factory) -> None:
    wb = wb_factory(overlap_seconds=0.3)
    token = wb.token()["access_token"]
    older, newer = (wb.ticket(token)["tickets"][0]["value"] for _ in range(2))
    time.sleep(0.35)
    assert wb.query(older, wb.orders()[0])["code"] == "400102"
    assert wb.query(newer, wb.orders()[0])["code"] == "0"


def test_a_ticket_dies_at_the_end_of_its_lifetime(wb_factory: Factory) -> None:
    wb = wb_factory(ticket_ttl_seconds=0.3)
    ticket = wb.credentials()
    time.sleep(0.35)
    assert wb.query(ticket, wb.orders()[0])["code"] == "400102"


def test_forced_invalidation_kills_every_token_and_ticket_at_once(wb: Any) -> None:
    token = wb.token()["access_token"]
    ticket = wb.ticket(token)["tickets"][0]["value"]
    answer = requests.post(wb.url + "/admin/invalidate-tokens", timeout=5).json()
    assert answer == {"tokens": 1, "tickets": 1}
    assert wb.query(ticket, wb.orders()[0])["code"] == "400102"
    assert wb.ticket(token)["code"] == "400102"
    assert refusals(wb.stats()) == {"dead_ticket": 1, "dead_token": 1}
    assert wb.query(wb.credentials(), wb.orders()[0])["code"] == "0"


def test_a_replayed_nonce_is_refused_within_the_window(wb_factory: Factory) -> None:
    wb = wb_factory(nonce_window_seconds=0.5)
    ticket, order_no, nonce = wb.credentials(), wb.orders()[0], make_nonce()
    assert wb.query(ticket, order_no, nonce=nonce)["code"] == "0"
    assert wb.query(ticket, order_no, nonce=nonce)["code"] == "400101"
    assert wb.stats()["nonce_replay"] == 1
    time.sleep(0.55)
    assert wb.query(ticket, order_no, nonce=nonce)["code"] == "0"


def test_the_nonce_window_can_be_disabled(wb_factory: Factory) -> None:
    wb = wb_factory(nonce_window_seconds=0)
    ticket, order_no, nonce = wb.credentials(), wb.orders()[0], make_nonce()
    assert [wb.query(ticket, order_no, nonce=nonce)["code"] for _ in range(2)] == ["0", "0"]


# -- quota ----------------------------------------------------------------------------------------------------


def test_a_burst_over_the_quota_is_throttled_and_counted(wb_factory: Factory) -> None:
    wb = wb_factory(qps=5)
    ticket, orders = wb.credentials(), wb.orders()
    time.sleep(1.05)  # the token and ticket calls drew on the same quota
    codes = [wb.query(ticket, order_no)["code"] for order_no in orders[:10]]
    assert codes.count("0") == 5 and codes.count("400504") == 5
    stats = wb.stats()
    assert stats["throttled"] == 5 and stats["results_by_code"]["getOcrResult"] == {"0": 5, "400504": 5}


def test_throttled_requests_use_up_no_quota(wb_factory: Factory) -> None:
    wb = wb_factory(qps=2)
    ticket, orders = wb.credentials(), wb.orders()
    time.sleep(1.05)
    started = time.monotonic()
    assert [wb.query(ticket, order_no)["code"] for order_no in orders[:2]] == ["0", "0"]
    while time.monotonic() - started < 0.8:  # refused calls late in the window must not fill the next one
        assert wb.query(ticket, orders[2])["code"] == "400504"
    time.sleep(max(0.0, started + 1.05 - time.monotonic()))
    assert wb.query(ticket, orders[3])["code"] == "0"


def test_token_ticket_and_result_calls_draw_on_one_quota(wb_factory: Factory) -> None:
    wb = wb_factory(qps=3)
    ticket, orders = wb.credentials(), wb.orders()
    assert [wb.query(ticket, order_no)["code"] for order_no in orders[:2]] == ["0", "400504"]


def test_the_quota_is_per_app(wb_factory: Factory) -> None:
    wb = wb_factory(qps=1, extra_apps=(("IDAOTHER", "s" * 64),))
    assert wb.token()["code"] == "0"
    assert wb.token()["code"] == "400504"
    assert wb.token(appId="IDAOTHER", secret="s" * 64)["code"] == "0"


def test_too_many_requests_in_flight_are_refused(wb_factory: Factory) -> None:
    wb = wb_factory(max_in_flight=1, latency="fixed:300")
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(lambda _: wb.token()["code"], range(2)))
    assert codes == ["0", "400501"]
    assert wb.stats()["tps_exceeded"] == 1


# -- which orders have a result -------------------------------------------------------------------------------


def test_unknown_and_never_completed_orders_have_no_result(wb: Any) -> None:
    ticket = wb.credentials()
    never = wb.find(lambda order: order.completion is Completion.NEVER)
    for order_no in ("2026112700000001234567890", "A1", never.order_no):
        answer = wb.query(ticket, order_no)
        assert answer["code"] == "66660020" and answer["msg"] == "OCR 结果查询不到" and "result" not in answer
    assert wb.stats()["results_by_code"]["getOcrResult"] == {"66660020": 3}


def test_a_late_order_appears_when_the_simulated_day_comes(wb: Any) -> None:
    late = wb.find(lambda order: order.completes_on is not None and order.completes_on > DAY)
    ticket = wb.credentials()
    assert wb.query(ticket, late.order_no)["code"] == "66660020"
    wb.configure(today=(late.completes_on - timedelta(days=1)).isoformat())
    assert wb.query(ticket, late.order_no)["code"] == "66660020"
    wb.configure(today=late.completes_on.isoformat())
    assert wb.query(ticket, late.order_no)["code"] == "0"


def test_orders_older_than_the_retention_are_gone(wb: Any) -> None:
    order = wb.find(lambda order: order.completes_on == DAY)
    ticket = wb.credentials()
    for today, code in ((DAY + timedelta(days=3), "0"), (DAY + timedelta(days=4), "66660020")):
        wb.configure(today=today.isoformat())
        assert wb.query(ticket, order.order_no)["code"] == code, today
    wb.configure(retention_days=0)  # retention disabled
    assert wb.query(ticket, order.order_no)["code"] == "0"


# -- photos ---------------------------------------------------------------------------------------------------


def decoded(result: dict[str, Any], names: Any) -> dict[str, bytes]:
    return {name: base64.b64decode(result[name], validate=True) for name in names}


@pytest.mark.parametrize("completion", [Completion.BOTH_SIDES, Completion.FRONT_ONLY, Completion.BACK_ONLY])
def test_get_file_returns_the_recognised_sides_photos_as_base64_jpegs(wb: Any, completion: Completion) -> None:
    order = wb.find(lambda order: order.completion is completion and not order.photo_lag)
    ticket, expected = wb.credentials(), photos_for(order)
    result = wb.query(ticket, order.order_no, get_file="1")["result"]
    assert decoded(result, expected) == expected
    assert not {"frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"} - set(expected) & set(result)
    for jpeg in filter(None, expected.values()):
        Image.open(io.BytesIO(jpeg)).verify()
    assert not set(expected) & set(wb.query(ticket, order.order_no, get_file="0")["result"])


def test_an_empty_crop_is_an_empty_string_beside_the_full_photo(wb: Any) -> None:
    order = wb.find(lambda order: bool(order.empty_crops) and not order.photo_lag)
    result = wb.query(wb.credentials(), order.order_no, get_file="1")["result"]
    for crop in order.empty_crops:
        assert result[crop] == "" and result[crop.replace("Crop", "Photo")] != ""


def test_lagging_photos_are_empty_until_the_lag_after_the_first_query(wb_factory: Factory) -> None:
    wb = wb_factory(photo_lag_seconds=0.4)
    order = wb.find(lambda order: order.photo_lag and order.completion is Completion.BOTH_SIDES)
    ticket = wb.credentials()
    assert wb.query(ticket, order.order_no)["code"] == "0"  # the first query (no photos asked) starts the clock
    first = wb.query(ticket, order.order_no, get_file="1")["result"]
    assert all(first[name] == "" for name in photos_for(order))
    assert {name: first[name] for name in order.result} == order.result  # the text result does not lag
    time.sleep(0.45)
    later = wb.query(ticket, order.order_no, get_file="1")["result"]
    assert decoded(later, photos_for(order)) == photos_for(order)


# -- token refresh concurrency ---------------------------------------------------------------------------------


def test_overlapping_token_requests_are_counted(wb_factory: Factory) -> None:
    wb = wb_factory(latency="fixed:200")
    wb.token()
    stats = wb.stats()
    assert stats["concurrent_token_requests"] == 0 and stats["max_concurrent_token_requests"] == 1
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: wb.token(), range(3)))
    stats = wb.stats()
    assert stats["concurrent_token_requests"] == 2 and stats["max_concurrent_token_requests"] == 3
    assert len(stats["token_request_times"]) == 4


# -- faults ---------------------------------------------------------------------------------------------------


def raw_query(wb: Any) -> requests.Response:
    """A well-formed query; with every fault at rate 1 it never reaches the rules."""
    params = {"app_id": wb.app_id, "order_no": wb.orders()[0], "nonce": make_nonce(), "version": "1.0.0"}
    response: requests.Response = wb.get(OCR, **params, sign="0" * 40)
    return response


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("5xx", lambda r: r.status_code in (500, 502, 503) and r.headers["Content-Type"].startswith("text/html")),
        ("999999", lambda r: r.status_code == 200 and r.json()["code"] == "999999"),
        ("malformed", lambda r: r.status_code == 200 and r.text.startswith('{"code"') and not r.text.endswith("}")),
        ("html", lambda r: r.status_code == 200 and "<html>" in r.text and "text/html" in r.headers["Content-Type"]),
    ],
)
def test_each_fault_kind_is_observable(
    wb_factory: Factory, kind: str, check: Callable[[requests.Response], bool]
) -> None:
    wb = wb_factory(**{f"fault_{kind}": 1.0})
    assert wb.credentials()  # the token and ticket endpoints are never faulted
    assert check(raw_query(wb))
    stats = wb.stats()
    assert stats["faults"] == {name: int(name == kind) for name in ("5xx", "999999", "timeout", "malformed", "html")}
    assert refusals(stats) == {}


def test_a_timeout_fault_stays_silent_then_hangs_up(wb_factory: Factory) -> None:
    wb = wb_factory(fault_timeout=1.0, timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        raw_query(wb)
    assert time.monotonic() - started >= 0.3
    assert wb.stats()["faults"]["timeout"] == 1


def test_fault_injection_is_repeatable_with_a_seed(wb_factory: Factory) -> None:
    def pattern(wb: Any) -> list[int]:
        return [raw_query(wb).status_code for _ in range(20)]

    first, second = (pattern(wb_factory(fault_5xx=0.5, fault_seed=7)) for _ in range(2))
    assert first == second and 200 in first and any(status >= 500 for status in first)


def test_latency_applies_to_every_endpoint(wb_factory: Factory) -> None:
    wb = wb_factory(latency="fixed:150")
    started = time.monotonic()
    ticket = wb.credentials()
    wb.query(ticket, wb.orders()[0])
    assert time.monotonic() - started >= 3 * 0.15
