"""Warehouse rows: the CSV dialect every loader reads, and the row of each kind of record."""

from __future__ import annotations

import csv
import io
from datetime import date

import psycopg
import pytest

from tencent_kyc.records import Judged
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.rows import encode_csv, history_row, result_row
from tencent_kyc.warehouse.schema import RESULTS
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
