"""Warehouse rows from staged records, written per shard as gzip CSV ready for COPY.

The validate step hands every judged record of its shard to :func:`stage_rows` while it holds it, so the load
task only streams finished rows (no parsing, no policy): every order gets a history row; an OCR record with a
verdict a ``kyc_ocr_results`` row with the personal-data policy already applied, and every face record a
``kyc_face_results`` row (no record, or a failure, included: its outcome says which).

CSV as PostgreSQL and Redshift read it: text always quoted, NULL as an empty unquoted field. Empty strings
are stored as NULL (Tencent sends ``""`` for absent values), so every dialect reads the files alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from tencent_kyc.api.face import occurred_at, score
from tencent_kyc.records import FAILED, Judged
from tencent_kyc.registry import Registry
from tencent_kyc.storage import DayLayout, write_gzip
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.schema import FACE_RESULTS, PHOTO_COLUMNS, RESULT_FIELDS, RESULTS
from tencent_kyc.warehouse.syncs import Sync

Value = str | int | float | None
#: Rows per shard index: load_seq = shard * SEQ_STRIDE + line, so "latest wins" follows the staging order.
SEQ_STRIDE = 10**9
_STATUS = {"accepted": "loaded", "accepted_with_warnings": "loaded", "rejected": "quarantined"}


def encode_csv(values: Sequence[Value]) -> bytes:
    """One CSV line: text quoted (quotes doubled), numbers bare, NULL (None or "") as nothing."""
    cells = []
    for value in values:
        if value is None or value == "":
            cells.append("")
        elif isinstance(value, int | float):
            cells.append(repr(value) if isinstance(value, float) else str(value))
        else:
            cells.append('"' + value.replace('"', '""') + '"')
    return (",".join(cells) + "\n").encode("utf-8")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


Protect = Callable[[str, str | None], str | None]


def _judged_values(judged: Judged, run_date: date) -> dict[str, Value]:
    """The columns every sync's results table starts with: the order, the run, the answer and the verdict."""
    record = judged.record
    return {
        "order_no": record.order_no,
        "order_date": record.order.order_date.isoformat(),
        "run_date": run_date.isoformat(),
        "outcome": record.outcome,
        "code": record.code,
        "validation_status": judged.status,
        "validation_reasons": " ".join(judged.reasons),
    }


def result_row(judged: Judged, run_date: date, protect: Protect, pii: str) -> list[Value]:
    """The ``kyc_ocr_results`` row of a record with a verdict."""
    record = judged.record
    result, photos, flags = record.result, record.photos, judged.warning_flags
    values: dict[str, Value] = {
        **_judged_values(judged, run_date),
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


#: Face result fields with a column of their own (or per query, like the envelope's); the rest go to other_fields.
_FACE_COLUMNS = frozenset(
    {
        "liveRate",
        "similarity",
        "occurredTime",
        "sdkVersion",
        "trtcFlag",
        "orderNo",
        "appId",
        "bizSeqNo",
        "transactionTime",
    }
)


def face_result_row(judged: Judged, run_date: date) -> list[Value]:
    """The ``kyc_face_results`` row of any face record: its outcome, scores, media and verdict (if judged)."""
    record = judged.record
    result = record.result
    others = {key: value for key, value in sorted(result.items()) if key not in _FACE_COLUMNS}
    values: dict[str, Value] = {
        **_judged_values(judged, run_date),
        "message": record.message,
        "similarity": score(result.get("similarity")),
        "live_rate": score(result.get("liveRate")),
        "occurred_at": occurred_at(result.get("occurredTime")),
        "sdk_version": result.get("sdkVersion"),
        "trtc_flag": result.get("trtcFlag"),
        "photo": record.photos.get("photo"),
        "video": record.photos.get("video"),
        "photo_sha256": record.digests.get("photo"),
        "video_sha256": record.digests.get("video"),
        "missing_media": " ".join(record.missing_photos),
        "other_fields": json.dumps(others, ensure_ascii=False) if others else None,
    }
    return [values.get(name) for name in FACE_RESULTS.names]


def history_row(judged: Judged, run_date: date, waiting: tuple[str, ...] = ("no_result",)) -> list[Value]:
    """The history row of any record: loaded, quarantined, no_result (an outcome in ``waiting``: no result yet)
    or failed, with its reason and whether a later run should query the order again."""
    record = judged.record
    code = record.code or None
    if judged.status is not None:
        status, reason, retryable, code = _STATUS[judged.status], " ".join(judged.reasons), 0, None
    elif record.outcome in waiting:
        status, reason, retryable = "no_result", f"Tencent has no result yet (code {code})", 1
    elif record.outcome == FAILED and record.error is not None:
        error = record.error
        status, reason, retryable = FAILED, f"{error.kind}: {error.message}", int(error.retryable)
    else:
        raise ValueError(f"record of order {record.order_no} has outcome {record.outcome!r} but was not judged")
    order_date = record.order.order_date.isoformat()
    return [record.order_no, run_date.isoformat(), order_date, status, reason, retryable, code]


ResultRows = Callable[[Judged, date], "list[Value] | None"]


def ocr_rows(pii: PiiPolicy, key: bytes | None) -> ResultRows:
    """An OCR record's results row (only a judged one has a result to store), under the PII policy."""
    protect, described = pii.protector(key), pii.describe()
    return lambda judged, day: None if judged.status is None else result_row(judged, day, protect, described)


def face_rows(pii: PiiPolicy, key: bytes | None) -> ResultRows:
    """Every face record's results row (a face record holds no personal data beyond its media locations)."""
    return face_result_row


#: How each sync's records become results rows, by sync name.
RESULT_ROWS: Registry[Callable[[PiiPolicy, bytes | None], ResultRows]] = Registry(
    "sync", {"ocr": ocr_rows, "face": face_rows}
)


def stage_rows(
    sync: Sync, layout: DayLayout, shard: int, judged: Iterable[Judged], pii: PiiPolicy, key: bytes | None
) -> int:
    """Write one shard's two load files under ``layout.load`` from its judged records; returns how many records.
    ``load_seq`` numbers the rows in staging order, so that a later row of the same order wins."""
    results_row = RESULT_ROWS.get(sync.name)(pii, key)
    seq = shard * SEQ_STRIDE
    with (
        write_gzip(layout.load_rows(sync.results.name, shard)) as results,
        write_gzip(layout.load_rows(sync.history.name, shard)) as history,
    ):
        for record in judged:
            seq += 1
            if (row := results_row(record, layout.day)) is not None:
                results.write(encode_csv([*row, seq]))
            history.write(encode_csv([*history_row(record, layout.day, sync.waiting), seq]))
    return seq - shard * SEQ_STRIDE
