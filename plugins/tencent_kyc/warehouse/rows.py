"""Warehouse rows from staged records, written per shard as gzip CSV ready for COPY.

The validate step calls :class:`RowWriter` for every record of its shard while it holds it, so the load task
only streams finished rows (no parsing, no policy): every order gets a ``kyc_order_history`` row, every
judged record a ``kyc_ocr_results`` row with the personal-data policy already applied.

CSV as PostgreSQL and Redshift read it: text always quoted, NULL as an empty unquoted field. Empty strings
are stored as NULL (Tencent sends ``""`` for absent values), so every dialect reads the files alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, BinaryIO

from tencent_kyc.api.errors import KycAuthError, KycThrottledError, KycTransientError
from tencent_kyc.api.results import Outcome
from tencent_kyc.fetch.records import FAILED
from tencent_kyc.storage import DayLayout, write_gzip
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.schema import HISTORY, PHOTO_COLUMNS, RESULT_FIELDS, RESULTS

Value = str | int | None
#: Failures a later run should retry: the order itself was fine, Tencent or the network was not.
RETRYABLE_ERRORS = frozenset(error.__name__ for error in (KycTransientError, KycThrottledError, KycAuthError))
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


def result_row(record: Mapping[str, Any], order_date: date, run_date: date, protect: Protect, pii: str) -> list[Value]:
    """The ``kyc_ocr_results`` row of a judged record (see :mod:`tencent_kyc.quality.staged`)."""
    result = record.get("result") or {}
    photos = record.get("photos") or {}
    flags = record.get("warning_flags") or {}
    values: dict[str, Value] = {
        "order_no": record["order_no"],
        "order_date": order_date.isoformat(),
        "run_date": run_date.isoformat(),
        "outcome": record["outcome"],
        "code": record.get("code"),
        "validation_status": record["status"],
        "validation_reasons": " ".join(record.get("reasons") or ()),
        **{column: protect(column, result.get(field)) for column, field in RESULT_FIELDS.items()},
        "front_warnings": " ".join(flags.get("front") or ()),
        "back_warnings": " ".join(flags.get("back") or ()),
        "front_clarity": _int(result.get("frontClarity")),
        "back_clarity": _int(result.get("backClarity")),
        **{column: photos.get(field) for column, field in PHOTO_COLUMNS.items()},
        "missing_photos": " ".join(record.get("missing_photos") or ()),
        "pii_policy": pii,
    }
    return [values.get(name) for name in RESULTS.names]


def history_row(record: Mapping[str, Any], order_date: date, run_date: date) -> list[Value]:
    """The ``kyc_order_history`` row of any record: loaded, quarantined, no_result or failed, with its reason."""
    outcome, code = record["outcome"], record.get("code") or None
    if "status" in record:
        status, reason, retryable, code = _STATUS[record["status"]], " ".join(record["reasons"]), 0, None
    elif outcome == Outcome.NO_RESULT.value:
        status, reason, retryable = "no_result", f"Tencent has no result yet (code {code})", 1
    elif outcome == FAILED:
        error = record.get("error", "")
        status, reason, retryable = FAILED, f"{error}: {record.get('message', '')}", int(error in RETRYABLE_ERRORS)
    else:
        raise ValueError(f"record of order {record['order_no']} has outcome {outcome!r} but was not judged")
    return [record["order_no"], run_date.isoformat(), order_date.isoformat(), status, reason, retryable, code]


class RowWriter:
    """Writes one shard's load files; ``add`` takes every record of the shard, judged or not."""

    def __init__(
        self,
        results: BinaryIO,
        history: BinaryIO,
        *,
        shard: int,
        run_date: date,
        pii: PiiPolicy,
        key: bytes | None,
    ) -> None:
        self._results, self._history = results, history
        self._seq = shard * SEQ_STRIDE
        self._run_date = run_date
        self._protect, self._pii = pii.protector(key), pii.describe()

    def add(self, record: Mapping[str, Any], order_date: date) -> None:
        """The rows of one record of an order dated ``order_date`` (earlier than the run's for late results)."""
        self._seq += 1
        if "status" in record:
            row = result_row(record, order_date, self._run_date, self._protect, self._pii)
            self._results.write(encode_csv([*row, self._seq]))
        self._history.write(encode_csv([*history_row(record, order_date, self._run_date), self._seq]))


@contextmanager
def row_writer(layout: DayLayout, shard: int, pii: PiiPolicy, key: bytes | None) -> Iterator[RowWriter]:
    """Open one shard's two load files under ``layout.load``."""
    with (
        write_gzip(layout.load_rows(RESULTS.name, shard)) as results,
        write_gzip(layout.load_rows(HISTORY.name, shard)) as history,
    ):
        yield RowWriter(results, history, shard=shard, run_date=layout.day, pii=pii, key=key)
