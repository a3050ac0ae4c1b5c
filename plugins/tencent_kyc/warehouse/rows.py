"""Warehouse rows from staged records, written per shard as gzip CSV ready for COPY.

The validate step hands every judged record of its shard to :func:`stage_rows` while it holds it, so the load
task only streams finished rows (no parsing, no policy): every order gets a ``kyc_order_history`` row, every
record with a verdict a ``kyc_ocr_results`` row with the personal-data policy already applied.

CSV as PostgreSQL and Redshift read it: text always quoted, NULL as an empty unquoted field. Empty strings
are stored as NULL (Tencent sends ``""`` for absent values), so every dialect reads the files alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from tencent_kyc.api.results import Outcome
from tencent_kyc.records import FAILED, Judged
from tencent_kyc.storage import DayLayout, write_gzip
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.schema import HISTORY, PHOTO_COLUMNS, RESULT_FIELDS, RESULTS

Value = str | int | None
#: Rows per shard index: load_seq = shard * SEQ_STRIDE + line, so "latest wins" follows the staging order.
SEQ_STRIDE = 10**9
_STATUS = {"accepted": "loaded", "accepted_with_warnings": "loaded", "rejected": "quarantined"}


def encode_csv(values: Sequence[Value]) -> bytes:
    """One CSV line: text quoted (quotes doubled), numbers bare, NULL (None or "") as nothing."""
    cells = []
    for value in values:
        if value is None or value == "":
            cells.append("")
        elif isinstance(value, int):
            cells.append(str(value))
        else:
            cells.append('"' + value.replace('"', '""') + '"')
    return (",".join(cells) + "\n").encode("utf-8")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


Protect = Callable[[str, str | None], str | None]


def result_row(judged: Judged, run_date: date, protect: Protect, pii: str) -> list[Value]:
    """The ``kyc_ocr_results`` row of a record with a verdict."""
    record = judged.record
    result, photos, flags = record.result, record.photos, judged.warning_flags
    values: dict[str, Value] = {
        "order_no": record.order_no,
        "order_date": record.order.order_date.isoformat(),
        "run_date": run_date.isoformat(),
        "outcome": record.outcome,
        "code": record.code,
        "validation_status": judged.status,
        "validation_reasons": " ".join(judged.reasons),
        **{column: protect(column, result.get(field)) for column, field in RESULT_FIELDS.items()},
        "front_warnings": " ".join(flags.get("front") or ()),
        "back_warnings": " ".join(flags.get("back") or ()),
        "front_clarity": _int(result.get("frontClarity")),
        "back_clarity": _int(result.get("backClarity")),
        **{column: photos.get(field) for column, field in PHOTO_COLUMNS.items()},
        "missing_photos": " ".join(record.missing_photos),
        "pii_policy": pii,
    }
    return [values.get(name) for name in RESULTS.names]


def history_row(judged: Judged, run_date: date) -> list[Value]:
    """The ``kyc_order_history`` row of any record: loaded, quarantined, no_result or failed, with its reason and
    whether a later run should query the order again."""
    record = judged.record
    code = record.code or None
    if judged.status is not None:
        status, reason, retryable, code = _STATUS[judged.status], " ".join(judged.reasons), 0, None
    elif record.outcome == Outcome.NO_RESULT.value:
        status, reason, retryable = "no_result", f"Tencent has no result yet (code {code})", 1
    elif record.outcome == FAILED and record.error is not None:
        error = record.error
        status, reason, retryable = FAILED, f"{error.kind}: {error.message}", int(error.retryable)
    else:
        raise ValueError(f"record of order {record.order_no} has outcome {record.outcome!r} but was not judged")
    order_date = record.order.order_date.isoformat()
    return [record.order_no, run_date.isoformat(), order_date, status, reason, retryable, code]


def stage_rows(layout: DayLayout, shard: int, judged: Iterable[Judged], pii: PiiPolicy, key: bytes | None) -> int:
    """Write one shard's two load files under ``layout.load`` from its judged records; returns how many records.
    ``load_seq`` numbers the rows in staging order, so that a later row of the same order wins."""
    protect, policy = pii.protector(key), pii.describe()
    seq = shard * SEQ_STRIDE
    with (
        write_gzip(layout.load_rows(RESULTS.name, shard)) as results,
        write_gzip(layout.load_rows(HISTORY.name, shard)) as history,
    ):
        for record in judged:
            seq += 1
            if record.status is not None:
                results.write(encode_csv([*result_row(record, layout.day, protect, policy), seq]))
            history.write(encode_csv([*history_row(record, layout.day), seq]))
    return seq - shard * SEQ_STRIDE
