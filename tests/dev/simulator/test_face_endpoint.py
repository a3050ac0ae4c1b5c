"""queryfacerecord is as strict as getOcrResult: POST JSON, every documented rule refused with its code and counted,
the shared quota, faults and latency, and the face records served as the simulator's ground truth says."""

from __future__ import annotations

import base64
import hashlib
import io
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from PIL import Image

from tencent_kyc.api.signing import make_nonce, sign, sign_order_query
from tencent_kyc_dev.simulator.faces import FaceRecord, face_video, media_for
from tencent_kyc_dev.simulator.photos import face_photo
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


def media(result: dict[str, Any]) -> dict[str, bytes]:
    return {name: base64.b64decode(result[name], validate=True) for name in ("photo", "video") if name in result}


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


# -- records -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("get_file", "served"),
    [("1", {"photo", "video"}), ("2", {"photo"}), ("3", {"video"}), ("0", set()), ("4", set()), (None, set())],
)
def test_a_passed_record_with_the_media_get_file_asks_for(wb: Any, get_file: str | None, served: set[str]) -> None:
    record = wb.find_face(passed)
    answer = wb.face(wb.credentials(), record.order_no, getFile=get_file)
    assert answer["code"] == "0" and answer["msg"] == "请求成功"
    result = answer["result"]
    assert result["bizSeqNo"] == answer["bizSeqNo"] and result["appId"] == wb.app_id
    assert {key: result[key] for key in record.result or {}} == record.result
    assert "sdkVersion" not in result and "trtcFlag" not in result
    decoded = media(result)
    assert set(decoded) == served and decoded == media_for(record, tuple(served))
    if "photo" in decoded:
        image = Image.open(io.BytesIO(decoded["photo"]))
        image.load()
        assert image.format == "JPEG" and decoded["photo"] == face_photo(record.order_no)
    if "video" in decoded:
        assert decoded["video"][4:8] == b"ftyp" and decoded["video"] == face_video(record.order_no)


def test_query_version_1_0_adds_the_sdk_version_and_the_trtc_flag(wb: Any) -> None:
    ticket = wb.credentials()
    for trtc in (True, False):
        record = wb.find_face(lambda record, trtc=trtc: passed(record) and record.trtc is trtc)
        result = wb.face(ticket, record.order_no, queryVersion="1.0")["result"]
        assert result["sdkVersion"] == record.sdk_version
        assert result.get("trtcFlag") == ("Y" if trtc else None)
        assert "sdkVersion" not in wb.face(ticket, record.order_no, queryVersion="2.0")["result"]


def test_a_failed_verification_has_its_code_and_message_sometimes_scores_and_never_media(wb_factory: Factory) -> None:
    wb = wb_factory(orders_per_day=1000, order_rates=(("face_not_passed", 0.2),))
    ticket, seen = wb.credentials(), set()
    for record in wb.faces.records(DAY):
        if record.outcome != "not_passed" or record.completes_on != DAY:
            continue
        answer = wb.face(ticket, record.order_no, getFile="1", queryVersion="1.0")
        assert (
            answer["code"] == record.code
            and answer["msg"]
            == {
                "66660004": "无法确认为同一人",
                "66660010": "姓名和身份证号不一致",
                "66660015": "视频或图片异常",
                "66660022": "未查询到身份信息",
            }[record.code]
        )
        if record.result is None:
            assert "result" not in answer
        else:
            result = answer["result"]
            assert not {"photo", "video"} & set(result) and result["sdkVersion"] == record.sdk_version
            assert {key: str(result[key]) for key in record.result} == (
                {**record.result, "similarity": str(float(record.result["similarity"]))}
                if record.numeric_scores and "similarity" in record.result
                else record.result
            )
        seen.add((record.code, record.result is not None))
    assert {code for code, _ in seen} == {"66660004", "66660010", "66660015", "66660022"}
    assert {with_result for _, with_result in seen} == {True, False}


def test_no_record_and_unknown_orders_answer_66660011(wb: Any) -> None:
    ticket = wb.credentials()
    never = wb.find_face(lambda record: record.outcome == "no_record")
    for order_no in (never.order_no, "A1", "2026112700000001234567890"):
        answer = wb.face(ticket, order_no, getFile="1", queryVersion="1.0")
        assert answer["code"] == "66660011" and answer["msg"] == "无此查询结果" and "result" not in answer
    assert wb.stats()["results_by_code"]["queryfacerecord"] == {"66660011": 3}


def test_a_late_flow_appears_on_its_day_and_every_record_goes_after_the_retention(wb: Any) -> None:
    late = wb.find_face(lambda record: "face_late:1" in record.injected and record.outcome == "passed")
    ticket = wb.credentials()
    assert late.completes_on == DAY + timedelta(days=1)
    steps = [(DAY, "66660011"), (DAY + timedelta(days=1), "0"), (DAY + timedelta(days=4), "0")]
    steps.append((DAY + timedelta(days=5), "66660011"))
    for today, code in steps:
        wb.configure(today=today.isoformat())
        assert wb.face(ticket, late.order_no)["code"] == code, today
    wb.configure(retention_days=0)  # retention disabled
    assert wb.face(ticket, late.order_no)["code"] == "0"


def test_lagging_media_are_empty_until_the_lag_after_the_first_face_query(wb_factory: Factory) -> None:
    wb = wb_factory(photo_lag_seconds=0.4)
    record = wb.find_face(lambda r: r.media_lag and r.completes_on == DAY and not r.numeric_scores)
    ticket = wb.credentials()
    assert wb.query(ticket, record.order_no)["code"] in ("0", "66660020")  # an OCR query starts no face clock
    time.sleep(0.45)
    assert wb.face(ticket, record.order_no)["code"] == "0"  # the first face query (no media asked) starts it
    first = wb.face(ticket, record.order_no, getFile="1")["result"]
    assert first["photo"] == first["video"] == "" and first["liveRate"] == record.result["liveRate"]  # type: ignore[index]
    time.sleep(0.45)
    assert media(wb.face(ticket, record.order_no, getFile="1")["result"]) == media_for(record)


def test_a_medium_tencent_left_out_is_absent(wb_factory: Factory) -> None:
    wb = wb_factory(order_rates=(("face_media_missing", 0.2),))
    ticket = wb.credentials()
    for gone, kept in (("photo", "video"), ("video", "photo")):
        record = wb.find_face(lambda r, gone=gone: f"face_media_missing:{gone}" in r.injected and r.completes_on == DAY)
        result = wb.face(ticket, record.order_no, getFile="1")["result"]
        assert gone not in result and set(media(result)) == {kept}


def test_shape_variants_reach_the_wire(wb: Any) -> None:
    ticket = wb.credentials()
    numeric = wb.find_face(lambda r: "face_numeric_scores" in r.injected and r.code == "0" and r.completes_on == DAY)
    result = wb.face(ticket, numeric.order_no)["result"]
    assert isinstance(result["liveRate"], int) and str(result["liveRate"]) == numeric.result["liveRate"]  # type: ignore[index]
    if numeric.result.get("similarity"):  # type: ignore[union-attr]
        assert isinstance(result["similarity"], float)
    extra = wb.find_face(lambda r: "face_extra_field" in r.injected and r.completes_on == DAY)
    assert wb.face(ticket, extra.order_no)["result"]["oriCode"] == extra.code
    dashed = wb.find_face(lambda r: "face_dash_time" in r.injected and r.completes_on == DAY)
    assert wb.face(ticket, dashed.order_no)["result"]["occurredTime"][4] == "-"


def test_stats_count_face_requests_results_and_calls_per_order(wb: Any) -> None:
    ticket, orders = wb.credentials(), wb.orders()
    for order_no in (orders[0], orders[0], orders[1], "bad-order"):
        wb.face(ticket, order_no)
    stats = wb.stats()
    assert stats["requests"]["queryfacerecord"] == 4 and stats["requests"]["getOcrResult"] == 0
    assert sum(stats["results_by_code"]["queryfacerecord"].values()) == 4
    assert stats["results_by_code"]["queryfacerecord"]["400101"] == 1
    assert stats["face_calls_per_order"] == {"orders": 2, "histogram": {"1": 1, "2": 1}, "max": 2, "truncated": False}
    assert stats["calls_per_order"]["orders"] == 0


# -- ground truth and determinism ----------------------------------------------------------------------------


def served_row(answer: dict[str, Any]) -> dict[str, Any]:
    """The /admin/faces fields of one answer (asked with getFile "1" and queryVersion "1.0")."""
    result = answer.get("result", {})
    decoded = media(result)

    def number(name: str) -> float | None:
        return float(result[name]) if result.get(name) not in (None, "") else None

    return {
        "code": answer["code"],
        "msg": answer["msg"],
        "similarity": number("similarity"),
        "liveRate": number("liveRate"),
        "occurredTime": result.get("occurredTime"),
        "sdkVersion": result.get("sdkVersion"),
        "trtcFlag": result.get("trtcFlag"),
        "photoSha256": hashlib.sha256(decoded["photo"]).hexdigest() if "photo" in decoded else None,
        "videoSha256": hashlib.sha256(decoded["video"]).hexdigest() if "video" in decoded else None,
    }


@pytest.mark.parametrize("day", [DAY, DAY - timedelta(days=1), DAY - timedelta(days=4)])
def test_admin_faces_is_what_the_endpoint_serves_for_every_order(wb_factory: Factory, day: date) -> None:
    wb = wb_factory(photo_lag_seconds=0)
    truth = wb.get("/admin/faces", date=day.isoformat()).json()
    assert truth["date"] == day.isoformat() and truth["today"] == DAY.isoformat()
    rows = truth["faces"]
    assert [row["orderNo"] for row in rows] == wb.orders(day)
    ticket, outcomes = wb.credentials(), set()
    for row in rows:
        answer = wb.face(ticket, row["orderNo"], getFile="1", queryVersion="1.0")
        assert {key: row[key] for key in served_row(answer)} == served_row(answer), row
        record = wb.faces.lookup(row["orderNo"])
        assert row["labels"] == list(record.injected)
        assert row["completesOn"] == (record.completes_on.isoformat() if record.completes_on else None)
        outcomes.add(row["outcome"])
    expected = {
        DAY: {"passed", "not_passed", "no_record", "late"},
        DAY - timedelta(days=1): {"passed", "not_passed", "no_record"},
        DAY - timedelta(days=4): {"no_record"},  # completed 4 days ago: purged (the late ones 3 days ago: kept)
    }[day]
    assert outcomes - {"passed", "not_passed"} == expected - {"passed", "not_passed"}


def test_injected_counts_include_the_face_labels(wb: Any) -> None:
    answer = wb.get("/admin/injected", date=DAY.isoformat()).json()
    assert answer["face"] == wb.faces.injected_counts(DAY) and answer["face"]["face_no_record"] == 6


def test_two_simulators_serve_the_same_face_records(wb_factory: Factory) -> None:
    first, second = wb_factory(photo_lag_seconds=0), wb_factory(photo_lag_seconds=0)
    assert first.get("/admin/faces").json() == second.get("/admin/faces").json()
    tickets = first.credentials(), second.credentials()
    for order_no in first.orders()[:40]:
        answers = [wb.face(ticket, order_no, getFile="1") for wb, ticket in zip((first, second), tickets, strict=True)]
        for answer in answers:
            del answer["bizSeqNo"], answer["transactionTime"]
            answer.get("result", {}).pop("bizSeqNo", None)
        assert answers[0] == answers[1]
