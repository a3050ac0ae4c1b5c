"""queryfacerecord serves the face records as the simulator's ground truth says: verdicts, scores, media, lag,
lateness and retention, the shape variants; /admin/faces agrees with every answer; two simulators agree."""

from __future__ import annotations

import base64
import hashlib
import io
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from PIL import Image

from tencent_kyc_dev.simulator.faces import FaceRecord, face_video, media_for
from tencent_kyc_dev.simulator.photos import face_photo

DAY = date(2026, 11, 27)
Factory = Callable[..., Any]


def passed(record: FaceRecord) -> bool:
    """A plain passed record, served today (DAY) with both media and no lag."""
    return record.outcome == "passed" and record.completes_on == DAY and not record.injected


def media(result: dict[str, Any]) -> dict[str, bytes]:
    return {name: base64.b64decode(result[name], validate=True) for name in ("photo", "video") if name in result}


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
