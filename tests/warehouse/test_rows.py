"""Warehouse rows: the CSV dialect every loader reads, and the row of each kind of record."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tencent_kyc.api.errors import KycError, KycOrderError, KycTransientError
from tencent_kyc.records import Fetched, Judged, Order
from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.rows import SEQ_STRIDE, encode_csv, face_result_row, history_row, result_row, stage_rows
from tencent_kyc.warehouse.schema import FACE_HISTORY, FACE_RESULTS, RESULTS
from tencent_kyc.warehouse.sqlite import read_rows
from tencent_kyc.warehouse.syncs import FACE
from warehouse_helpers import judged, typed, unanswered

DAY, EARLIER = date(2026, 11, 3), date(2026, 11, 1)
AWKWARD = ['a "quoted", value', "two\nlines", "逗号，和\\反斜杠"]


def test_csv_quotes_text_and_writes_null_as_nothing() -> None:
    assert encode_csv(["a", None, "", 7, 'say "hi"']) == b'"a",,,7,"say ""hi"""\n'
    parsed = next(csv.reader(io.StringIO(encode_csv(AWKWARD).decode())))
    assert parsed == AWKWARD


def test_postgresql_copy_reads_the_values_back_exactly(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE t (a TEXT, b TEXT, c TEXT, n BIGINT, e TEXT)")
        with cursor.copy("COPY t FROM STDIN (FORMAT csv)") as copy:
            copy.write(encode_csv([*AWKWARD, 5, None]) + encode_csv([None, "", "x", None, "y"]))
        cursor.execute("SELECT * FROM t")
        assert cursor.fetchall() == [(*AWKWARD, 5, None), (None, None, "x", None, "y")]


def test_a_result_row_holds_every_column_in_order_under_the_policy() -> None:
    pii = PiiPolicy.from_param({"idcard": "masked", "address": "full"})
    row = dict(
        zip(
            RESULTS.names,
            result_row(typed(judged("A1"), EARLIER), DAY, pii.protector(None), pii.describe()),
            strict=True,
        )
    )
    assert row["order_no"] == "A1" and (row["order_date"], row["run_date"]) == ("2026-11-01", "2026-11-03")
    assert (row["idcard"], row["name"], row["address"]) == (
        "110105********003X",
        "张**",
        "广东省深圳市南山区科技园路1号",
    )
    assert (row["front_clarity"], row["back_warnings"], row["back_multi_warning"]) == (64, "border", "10000000")
    assert row["photo_front"] == "file:///evidence/A1/frontPhoto.jpg" and row["photo_back"] is None
    assert row["native_place"] is None and row["pii_policy"] == "idcard=masked name=masked address=full"


@pytest.mark.parametrize(
    ("record", "status", "retryable", "code"),
    [
        (judged("A"), "loaded", 0, None),
        (judged("A", status="accepted_with_warnings"), "loaded", 0, None),
        (judged("A", status="rejected"), "quarantined", 0, None),
        (unanswered("A"), "no_result", 1, "66660020"),
        (unanswered("A", "failed", "KycThrottledError"), "failed", 1, "999999"),
        (unanswered("A", "failed", "KycOrderError"), "failed", 0, "999999"),
    ],
)
def test_every_record_has_a_history_row_with_a_status_and_a_reason(
    record: dict[str, object], status: str, retryable: int, code: str | None
) -> None:
    row = history_row(typed(record, EARLIER), DAY)
    assert row[:4] == ["A", "2026-11-03", "2026-11-01", status]
    assert row[5:] == [retryable, code]
    assert row[4] or status == "loaded"  # a reason unless the record was accepted as is


def test_an_unjudged_record_with_a_result_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome 'fetched' but was not judged"):
        history_row(Judged(typed({"order_no": "A", "outcome": "fetched"}, DAY).record), DAY)


# -- face rows ---------------------------------------------------------------------------------------------------

FACE_FIELDS = {
    "orderNo": "F1",
    "appId": "IDAKYC01",
    "liveRate": "99",
    "similarity": "88.01",
    "occurredTime": "20261101104717",
    "sdkVersion": "1.12.12",
    "trtcFlag": "Y",
    "oriCode": "0",
}
EVIDENCE = {"photo": "file:///evidence/2026-11-03/F1/face.jpg", "video": "file:///evidence/2026-11-03/F1/face.mp4"}
DIGESTS = {"photo": "a" * 64, "video": "b" * 64}


def face(
    outcome: str = "passed",
    status: str | None = "accepted",
    reasons: tuple[str, ...] = (),
    fields: dict[str, str] | None = None,
    error: KycError | None = None,
) -> Judged:
    """A judged face record of order F1 (dated EARLIER): a pass with both media unless told otherwise."""
    order = Order("F1", EARLIER)
    if error is not None:
        return Judged(Fetched.failure(order, error))
    code = {"passed": "0", "not_passed": "66660004", "no_record": "66660011"}[outcome]
    result = {**FACE_FIELDS, **(fields or {})} if outcome != "no_record" else {}
    photos, digests = (EVIDENCE, DIGESTS) if outcome == "passed" else ({}, {})
    return Judged(Fetched(order, outcome, code, "msg", result, photos, digests=digests), status, reasons)


def face_row(record: Judged) -> dict[str, Any]:
    return dict(zip(FACE_RESULTS.names, face_result_row(record, DAY), strict=True))


def test_a_passed_face_row_has_numeric_scores_a_normalised_time_the_media_and_the_verdict() -> None:
    row = face_row(face(status="accepted_with_warnings", reasons=("face.liveness_low", "face.media_missing")))
    assert (row["order_no"], row["order_date"], row["run_date"]) == ("F1", "2026-11-01", "2026-11-03")
    assert (row["outcome"], row["code"], row["message"]) == ("passed", "0", "msg")
    assert (row["similarity"], row["live_rate"]) == (88.01, 99.0) and isinstance(row["live_rate"], float)
    assert row["occurred_at"] == "2026-11-01T10:47:17+08:00"
    assert (row["sdk_version"], row["trtc_flag"]) == ("1.12.12", "Y")
    assert (row["photo"], row["video"]) == (EVIDENCE["photo"], EVIDENCE["video"])
    assert (row["photo_sha256"], row["video_sha256"]) == (DIGESTS["photo"], DIGESTS["video"])
    assert row["validation_status"] == "accepted_with_warnings"
    assert row["validation_reasons"] == "face.liveness_low face.media_missing"
    assert json.loads(row["other_fields"]) == {"oriCode": "0"}  # orderNo, appId: echoes, not kept twice


@pytest.mark.parametrize(
    ("fields", "similarity", "live_rate", "occurred"),
    [
        ({"similarity": 95, "liveRate": 100}, 95.0, 100.0, "2026-11-01T10:47:17+08:00"),  # JSON numbers, as text
        ({"similarity": "", "liveRate": "abc"}, None, None, "2026-11-01T10:47:17+08:00"),
        ({"similarity": "nan", "liveRate": "150"}, None, 150.0, "2026-11-01T10:47:17+08:00"),  # kept raw: judged
        ({"occurredTime": "2026-11-01 23:59:59"}, 88.01, 99.0, "2026-11-01T23:59:59+08:00"),
        ({"occurredTime": "garbage"}, 88.01, 99.0, None),
    ],
)
def test_face_scores_and_time_are_read_as_the_api_reads_them(
    fields: dict[str, Any], similarity: float | None, live_rate: float | None, occurred: str | None
) -> None:
    row = face_row(face(fields={key: str(value) for key, value in fields.items()}))
    assert (row["similarity"], row["live_rate"], row["occurred_at"]) == (similarity, live_rate, occurred)


def test_media_that_never_came_are_listed_and_have_no_location_or_digest() -> None:
    passed = face(status="accepted_with_warnings", reasons=("face.media_missing",))
    only_photo = {"photos": {"photo": EVIDENCE["photo"]}, "digests": {"photo": DIGESTS["photo"]}}
    row = face_row(replace(passed, record=replace(passed.record, missing_photos=("video",), **only_photo)))
    assert (row["photo"], row["photo_sha256"]) == (EVIDENCE["photo"], DIGESTS["photo"])
    assert (row["video"], row["video_sha256"], row["missing_media"]) == (None, None, "video")


@pytest.mark.parametrize(
    ("record", "outcome", "code", "status"),
    [
        (face("not_passed", "rejected", ("face.not_passed",)), "not_passed", "66660004", "rejected"),
        (face("no_record", None), "no_record", "66660011", None),
        (
            face(error=KycTransientError("queryfacerecord: HTTP 502", code="HTTP502")),
            "failed",
            "HTTP502",
            None,
        ),
    ],
)
def test_every_face_record_has_a_results_row_whatever_its_outcome(
    record: Judged, outcome: str, code: str, status: str | None
) -> None:
    row = face_row(record)
    assert (row["order_no"], row["outcome"], row["code"], row["validation_status"]) == ("F1", outcome, code, status)
    assert row["message"]  # Tencent's message, or the error's
    assert row["photo"] is row["photo_sha256"] is None and not row["missing_media"]  # "" is stored as NULL
    if outcome == "not_passed":  # a failed verification keeps the scores Tencent sent with it
        assert (row["similarity"], row["live_rate"]) == (88.01, 99.0)
    else:
        assert row["similarity"] is row["live_rate"] is row["occurred_at"] is row["other_fields"] is None


@pytest.mark.parametrize(
    ("record", "status", "retryable", "code"),
    [
        (face(), "loaded", 0, None),
        (face("not_passed", "rejected", ("face.not_passed",)), "quarantined", 0, None),
        (face("no_record", None), "no_result", 1, "66660011"),  # no record yet: asked again until it expires
        (face(error=KycTransientError("busy", code="999999")), "failed", 1, "999999"),
        (face(error=KycOrderError("bad order", code="66669999")), "failed", 0, "66669999"),
    ],
)
def test_every_face_record_has_a_history_row(record: Judged, status: str, retryable: int, code: str | None) -> None:
    row = history_row(record, DAY, FACE.waiting)
    assert row[:4] == ["F1", "2026-11-03", "2026-11-01", status] and row[5:] == [retryable, code]
    assert row[4] or status == "loaded"


def test_stage_rows_writes_a_results_and_a_history_row_per_face_record_in_order(tmp_path: Path) -> None:
    layout = DayLayout(f"file://{tmp_path}", DAY, "face")
    records = [
        face(),
        face("not_passed", "rejected", ("face.not_passed",)),
        face("no_record", None),
        face(error=KycTransientError("busy", code="999999")),
    ]
    assert stage_rows(FACE, layout, 2, records, PiiPolicy.from_param({}), None) == 4

    names = (*FACE_RESULTS.names, "load_seq")
    results = [dict(zip(names, row, strict=True)) for row in read_rows(layout.load_rows(FACE_RESULTS.name, 2))]
    assert [(r["outcome"], r["load_seq"]) for r in results] == [
        ("passed", str(2 * SEQ_STRIDE + 1)),
        ("not_passed", str(2 * SEQ_STRIDE + 2)),
        ("no_record", str(2 * SEQ_STRIDE + 3)),
        ("failed", str(2 * SEQ_STRIDE + 4)),
    ]
    assert (results[0]["similarity"], results[0]["live_rate"]) == ("88.01", "99.0")  # CSV numbers, read as text
    assert results[0]["photo_sha256"] == DIGESTS["photo"] and results[2]["similarity"] is None
    history = list(read_rows(layout.load_rows(FACE_HISTORY.name, 2)))
    assert [(row[3], row[5], row[6]) for row in history] == [
        ("loaded", "0", None),
        ("quarantined", "0", None),
        ("no_result", "1", "66660011"),
        ("failed", "1", "999999"),
    ]
