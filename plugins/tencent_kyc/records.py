"""The typed records that travel between the stages, and the staged file format, read and written through them.

- :class:`Order`: an order number and the date it belongs to (listing → planning → fetch);
- :class:`Fetched`: what one query found for an order: its outcome, the result fields as Tencent sent them,
  or the error (code, class and whether a later run may retry), and where its evidence files are;
- :class:`Judged`: a fetched record and the verdict on it (status and reasons), or no verdict for records
  without a result.

Staged files are gzip JSON Lines with one record a line, keys sorted, so identical records give identical
bytes and a re-run of a day overwrites what it wrote before byte for byte. Per-query values (``bizSeqNo``,
``transactionTime``, query counts) are never in a record, for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

from airflow.sdk import ObjectStoragePath

from tencent_kyc.api.errors import KycError
from tencent_kyc.storage import read_gzip_lines, write_gzip

#: The outcome of an order whose query failed for good (its error says whether a later run may retry).
FAILED = "failed"


@dataclass(frozen=True, order=True)
class Order:
    """One order to query: its number and its date (the day it was listed first)."""

    order_no: str
    order_date: date

    def to_line(self) -> str:
        """``<order_no> <yyyy-mm-dd>``, the line of an order list or a shard file."""
        return f"{self.order_no} {self.order_date.isoformat()}\n"

    @classmethod
    def from_line(cls, line: str) -> Order:
        order_no, day = line.split()
        return cls(order_no, date.fromisoformat(day))


@dataclass(frozen=True)
class FetchError:
    """Why a query failed for good: Tencent's or the client's code, the error class, and whether a later run
    should try the order again (decided once, by the error class: see :class:`~tencent_kyc.api.errors.KycError`)."""

    code: str
    kind: str
    message: str
    retryable: bool

    @classmethod
    def of(cls, error: KycError) -> FetchError:
        return cls(error.code or "", type(error).__name__, str(error), type(error).retryable)


@dataclass(frozen=True)
class Fetched:
    """One order's fetch: an answered query (``result`` holds every result field as text, unknown ones kept)
    or a failure (``error``). ``photos`` are the evidence files' locations by field, never their bytes, and
    ``digests`` their SHA-256 where a sync keeps it; ``photo_fallbacks`` the empty crops that point at the full
    photo; ``missing_photos`` what never came."""

    order: Order
    outcome: str
    code: str = ""
    message: str = ""
    result: Mapping[str, str] = field(default_factory=dict)
    photos: Mapping[str, str] = field(default_factory=dict)
    photo_fallbacks: tuple[str, ...] = ()
    missing_photos: tuple[str, ...] = ()
    error: FetchError | None = None
    digests: Mapping[str, str] = field(default_factory=dict)

    @property
    def order_no(self) -> str:
        return self.order.order_no

    @classmethod
    def failure(cls, order: Order, error: KycError) -> Fetched:
        failure = FetchError.of(error)
        return cls(order, FAILED, code=failure.code, message=failure.message, error=failure)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "order_no": self.order.order_no,
            "order_date": self.order.order_date.isoformat(),
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "result": dict(sorted(self.result.items())),
            "photos": dict(sorted(self.photos.items())),
            "photo_fallbacks": list(self.photo_fallbacks),
            "missing_photos": list(self.missing_photos),
        }
        if self.digests:
            record["digests"] = dict(sorted(self.digests.items()))
        if self.error is not None:
            record["error"] = self.error.kind
            record["retryable"] = self.error.retryable
        return record

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fetched:
        error = None
        if data.get("error"):
            error = FetchError(str(data.get("code") or ""), data["error"], str(data["message"]), data["retryable"])
        return cls(
            order=Order(data["order_no"], date.fromisoformat(data["order_date"])),
            outcome=data["outcome"],
            code=data.get("code") or "",
            message=data.get("message") or "",
            result=data.get("result") or {},
            photos=data.get("photos") or {},
            photo_fallbacks=tuple(data.get("photo_fallbacks") or ()),
            missing_photos=tuple(data.get("missing_photos") or ()),
            error=error,
            digests=data.get("digests") or {},
        )


@dataclass(frozen=True)
class Judged:
    """A fetched record and its verdict: ``status`` (``accepted``, ``accepted_with_warnings``, ``rejected``)
    with the codes of every finding as ``reasons``; ``status`` is None for records without a result to judge
    (no result, failed). ``warning_flags`` are the decoded warning flags per side."""

    record: Fetched
    status: str | None = None
    reasons: tuple[str, ...] = ()
    warning_flags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        flags = {side: list(flags) for side, flags in sorted(self.warning_flags.items())}
        return {**self.record.to_json(), "status": self.status, "reasons": list(self.reasons), "warning_flags": flags}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Judged:
        flags = {side: tuple(values) for side, values in (data.get("warning_flags") or {}).items()}
        return cls(Fetched.from_json(data), data.get("status"), tuple(data.get("reasons") or ()), flags)


@dataclass(frozen=True)
class Refused:
    """A value of the order source that is no order number: kept with the reason, never sent."""

    value: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason}


def encode(record: Fetched | Judged | Refused) -> bytes:
    """One JSON Lines line, keys sorted so that identical records give identical bytes."""
    return json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


class RecordWriter:
    """Appends records to an open gzip JSON Lines stream (see :func:`write_records`)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.written = 0

    def write(self, record: Fetched | Judged) -> None:
        self._stream.write(encode(record))
        self.written += 1


@contextmanager
def write_records(path: ObjectStoragePath) -> Iterator[RecordWriter]:
    """``with write_records(path) as out: out.write(record)``: one staged object, streamed."""
    with write_gzip(path) as stream:
        yield RecordWriter(stream)


def read_fetched(path: ObjectStoragePath) -> Iterator[Fetched]:
    """Stream the fetched records of a staged results object."""
    for line in read_gzip_lines(path):
        yield Fetched.from_json(json.loads(line))


def read_judged(path: ObjectStoragePath) -> Iterator[Judged]:
    """Stream the judged records of a staged validated or quarantine object."""
    for line in read_gzip_lines(path):
        yield Judged.from_json(json.loads(line))
