"""queryfacerecord is as strict as getOcrResult: POST JSON, every documented rule refused with its code and counted,
the shared quota, faults and latency (what it serves: test_face_records.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import requests

from tencent_kyc.api.signing import make_nonce, sign, sign_order_query
from tencent_kyc_dev.simulator.faces import FaceRecord
from tencent_kyc_dev.simulator.state import COUNTERS

DAY = date(2026, 11, 27)
OCR = "/api/server/getOcrResult"
FACE = "/api/v2/base/queryfacerecord"
Factory = Callable[..., Any]
REFUSALS = tuple(name for name in COUNTERS if not name.endswith("_issued"))
SPEC = {  # face result reference §3, the worked example
    "app_id": "IDAXXXXX",
    "order_no": "1617091885609174325769165852",
    "ticket": "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS",
    "nonce": "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
}
SPEC_DIGEST = "0614EA136E5EBF610F6196DEE0720A49563AF733"


def refusals(stats: dict[str, Any]) -> dict[str, int]:
    return {name: stats[name] for name in REFUSALS if stats[name]}


def passed(record: FaceRecord) -> bool:
    """A plain passed record, served today (DAY) with both media and no lag."""
    return record.outcome == "passed" and record.completes_on == DAY and not record.injected


# -- the worked digest -----------------------------------------------------------------------------------------


def spec_simulator(wb_factory: Factory) -> Any:
    """A simulator where the spec's app holds the spec's SIGN ticket (issued under a token of its own)."""
    wb = wb_factory(extra_apps=((SPEC["app_id"], "s" * 64),), nonce_window_seconds=0)
    auth = wb.server.simulator.auth
    auth.issue_token(SPEC["app_id"], "T" * 64, ttl=60, overlap=60)
    auth.issue_ticket(SPEC["app_id"], "T" * 64, SPEC["ticket"], ttl=60, overlap=60)
    wb.app_id = SPEC["app_id"]
    return wb


@pytest.mark.parametrize(
    ("digest", "code"),
    [
        (SPEC_DIGEST, "66660011"),  # accepted: that order has no face record here
        (SPEC_DIGEST.lower(), "66660011"),  # the docs: case-insensitive
        ("FEFD5609B6EEB1A5E72D3D776DD892717AE36C8C", "400101"),  # getFile "2" signed too
        ("67D64988A7921FB6C87F510382D5260A5D071BE7", "400101"),  # not sorted (field order)
        ("59A0775A7C74BC11A6E288F474F9230431BC6B60", "400101"),  # sorted case-insensitively
    ],
)
def test_the_specs_worked_digest_is_accepted_and_its_typical_wrong_ones_refused(
    wb_factory: Factory, digest: str, code: str
) -> None:
    assert sign(SPEC["app_id"], SPEC["order_no"], "1.0.0", SPEC["ticket"], SPEC["nonce"]) == SPEC_DIGEST
    wb = spec_simulator(wb_factory)
    body = {"appId": SPEC["app_id"], "version": "1.0.0", "nonce": SPEC["nonce"], "orderNo": SPEC["order_no"]}
    answer = wb.face(SPEC["ticket"], SPEC["order_no"], **body, sign=digest, getFile="2", queryVersion="1.0")
    assert answer["code"] == code and "result" not in answer
    assert refusals(wb.stats()) == ({"bad_signature": 1} if code == "400101" else {})


# -- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "counter"),
    [
        ({"version": "1.0"}, "400502", "bad_version"),
        ({"version": "1.0.0 "}, "400502", "bad_version"),
        ({"appId": "IDAOTHER"}, "400104", "bad_credentials"),
        ({"appId": None}, "400101", "missing_params"),
        ({"sign": None}, "400101", "missing_params"),
        ({"nonce": ""}, "400101", "missing_params"),
        ({"orderNo": None}, "400101", "missing_params"),
        ({"nonce": "short1234"}, "400101", "bad_nonce"),
        ({"nonce": "a-" + "b" * 30}, "400101", "bad_nonce"),
        ({"nonce": "c" * 33}, "400101", "bad_nonce"),
        ({"orderNo": "bad-order"}, "400101", "bad_order_no"),
        ({"orderNo": "a" * 33}, "400101", "bad_order_no"),
        ({"orderNo": "订单1"}, "400101", "bad_order_no"),
        ({"sign": "0" * 40}, "400101", "bad_signature"),
        ({"signed_with": "Z" * 64}, "400101", "bad_signature"),  # a ticket never issued
        ({"getFile": 2}, "400101", "bad_body"),  # the docs type every field String
        ({"queryVersion": None, "version": 1}, "400101", "bad_body"),
    ],
)
def test_requests_breaking_a_rule_are_refused(wb: Any, overrides: dict[str, Any], code: str, counter: str) -> None:
    overrides = dict(overrides)
    order_no = overrides.pop("orderNo", wb.orders()[0])
    answer = wb.face(wb.credentials(), order_no, with_query=False, **overrides)
    assert answer["code"] == code and answer["msg"] and "result" not in answer
    assert len(answer["bizSeqNo"]) == 32 and len(answer["transactionTime"]) == 14
    stats = wb.stats()
    assert refusals(stats) == {counter: 1} and stats["results_by_code"]["queryfacerecord"] == {code: 1}


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"null", b'"text"', b"\xff\xfe{}", b'{"appId": '])
def test_a_body_that_is_not_a_json_object_is_refused(wb: Any, body: bytes) -> None:
    response = wb.post(FACE, body, orderNo=wb.orders()[0])
    assert response.status_code == 200 and response.json()["code"] == "400101"
    assert refusals(wb.stats()) == {"bad_body": 1}


@pytest.mark.parametrize("url_order_no", ["", "A1", "bad-order", "x" * 40])
def test_a_query_order_number_other_than_the_bodys_is_refused(wb: Any, url_order_no: str) -> None:
    record = wb.find_face(passed)
    answer = wb.face(wb.credentials(), record.order_no, url_order_no=url_order_no)
    assert answer["code"] == "400101" and "result" not in answer
    assert refusals(wb.stats()) == {"order_no_mismatch": 1}


def test_a_missing_query_order_number_is_accepted(wb: Any) -> None:
    record = wb.find_face(passed)
    assert wb.face(wb.credentials(), record.order_no, with_query=False)["code"] == "0"


def test_only_post_is_served(wb: Any) -> None:
    response = wb.get(FACE, orderNo=wb.orders()[0])
    assert response.status_code == 405 and response.json() == {"error": "use POST"}
    assert wb.session.post(wb.url + OCR, timeout=5).status_code == 405
    assert sum(wb.stats()["requests"].values()) == 0


def test_a_signature_over_other_values_than_those_sent_is_refused(wb: Any) -> None:
    ticket, (first, second) = wb.credentials(), wb.orders()[:2]
    nonce = make_nonce()
    signature = sign_order_query(app_id=wb.app_id, order_no=first, ticket=ticket, nonce=nonce)
    assert wb.face(ticket, second, nonce=nonce, sign=signature)["code"] == "400101"
    assert wb.face(ticket, first, nonce=nonce, sign=signature)["code"] != "400101"
    assert refusals(wb.stats()) == {"bad_signature": 1}


def test_a_dead_ticket_and_an_expired_one_are_told_apart_from_a_forged_one(wb_factory: Factory) -> None:
    wb = wb_factory(overlap_seconds=0.3, ticket_ttl_seconds=0.6)
    record = wb.find_face(passed)
    old = wb.credentials()
    new = wb.credentials()
    assert wb.face(old, record.order_no)["code"] == "0"  # both live during the overlap
    time.sleep(0.35)
    assert wb.face(old, record.order_no)["code"] == "400102"
    assert wb.face(new, record.order_no)["code"] == "0"
    time.sleep(0.3)
    assert wb.face(new, record.order_no)["code"] == "400102"  # its lifetime ran out
    assert refusals(wb.stats()) == {"dead_ticket": 2}


def test_a_nonce_is_used_once_across_both_result_endpoints(wb_factory: Factory) -> None:
    wb = wb_factory(nonce_window_seconds=0.5)
    ticket, order_no, nonce = wb.credentials(), wb.orders()[0], make_nonce()
    assert wb.query(ticket, order_no, nonce=nonce)["code"] != "400101"
    assert wb.face(ticket, order_no, nonce=nonce)["code"] == "400101"
    assert wb.face(ticket, order_no, nonce=nonce)["code"] == "400101"
    assert refusals(wb.stats()) == {"nonce_replay": 2}
    time.sleep(0.55)
    assert wb.face(ticket, order_no, nonce=nonce)["code"] != "400101"


# -- quota, faults, latency --------------------------------------------------------------------------------------


def test_face_and_ocr_calls_draw_on_one_quota(wb_factory: Factory) -> None:
    wb = wb_factory(qps=2)
    ticket, order_no = wb.credentials(), wb.orders()[0]
    time.sleep(1.05)  # the token and ticket calls drew on the same quota
    assert wb.face(ticket, order_no)["code"] != "400504"
    assert wb.query(ticket, order_no)["code"] != "400504"
    assert wb.face(ticket, order_no)["code"] == "400504"
    assert wb.query(ticket, order_no)["code"] == "400504"
    stats = wb.stats()
    assert stats["throttled"] == 2
    assert stats["results_by_code"]["queryfacerecord"]["400504"] == 1
    assert stats["results_by_code"]["getOcrResult"]["400504"] == 1


def raw_face(wb: Any) -> requests.Response:
    """A well-formed request; with every fault at rate 1 it never reaches the rules."""
    body = {"appId": wb.app_id, "version": "1.0.0", "nonce": make_nonce(), "orderNo": wb.orders()[0], "sign": "0" * 40}
    response: requests.Response = wb.post(FACE, body, orderNo=wb.orders()[0])
    return response


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("5xx", lambda r: r.status_code in (500, 502, 503) and r.headers["Content-Type"].startswith("text/html")),
        ("999999", lambda r: r.status_code == 200 and r.json()["code"] == "999999" and len(r.json()["bizSeqNo"]) == 32),
        ("malformed", lambda r: r.status_code == 200 and r.text.startswith('{"code"') and not r.text.endswith("}")),
        ("html", lambda r: r.status_code == 200 and "<html>" in r.text and "text/html" in r.headers["Content-Type"]),
    ],
)
def test_each_fault_kind_hits_face_queries_too(
    wb_factory: Factory, kind: str, check: Callable[[requests.Response], bool]
) -> None:
    wb = wb_factory(**{f"fault_{kind}": 1.0})
    assert wb.credentials()
    assert check(raw_face(wb))
    stats = wb.stats()
    assert stats["faults"] == {name: int(name == kind) for name in ("5xx", "999999", "timeout", "malformed", "html")}
    assert stats["requests"]["queryfacerecord"] == 1 and refusals(stats) == {}


def test_a_timeout_fault_stays_silent_then_hangs_up(wb_factory: Factory) -> None:
    wb = wb_factory(fault_timeout=1.0, timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        raw_face(wb)
    assert time.monotonic() - started >= 0.3 and wb.stats()["faults"]["timeout"] == 1


def test_latency_applies_to_face_queries(wb_factory: Factory) -> None:
    wb = wb_factory(latency="fixed:200")
    ticket = wb.credentials()
    started = time.monotonic()
    wb.face(ticket, wb.orders()[0])
    assert time.monotonic() - started >= 0.2
