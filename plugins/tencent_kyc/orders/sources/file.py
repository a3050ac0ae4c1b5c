"""Orders from a file in object storage (local or S3): one number a line, or a column of a CSV or JSON Lines file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow.sdk import ObjectStoragePath

from tencent_kyc.orders.sources.base import OrderSource, OrderSourceError, Unreadable

FORMATS = ("lines", "csv", "jsonl")


@dataclass(frozen=True)
class FileSource(OrderSource):
    """``{"kind": "file", "path": "s3://aws_default@bucket/orders/{{ order_date }}.csv", "format": "csv",
    "column": "order_no"}``; ``format`` is ``lines`` (the default), ``csv`` or ``jsonl`` (with ``column``)."""

    path: str
    format: str = "lines"
    column: str | None = None
    required: ClassVar[tuple[str, ...]] = ("path",)
    optional: ClassVar[tuple[str, ...]] = ("format", "column")
    templated: ClassVar[tuple[str, ...]] = ("path",)

    @classmethod
    def _build(cls, value: Mapping[str, Any]) -> FileSource:
        source = cls(str(value["path"]), value.get("format") or "lines", value.get("column"))
        if source.format not in FORMATS:
            raise OrderSourceError(f"file format must be one of {FORMATS}, got {source.format!r}")
        if source.format != "lines" and not source.column:
            raise OrderSourceError(f"file format {source.format!r} needs 'column' (the order-number column)")
        return source

    def describe(self) -> str:
        return f"{self.format} file {ObjectStoragePath(self.path)}"

    def iter_values(self) -> Iterator[Any]:
        path = ObjectStoragePath(self.path)
        with path.open("rb") as binary, io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
            if self.format == "lines":
                yield from (stripped for line in text if (stripped := line.strip()))
            elif self.format == "csv":
                reader = csv.DictReader(text)
                if self.column not in (reader.fieldnames or []):
                    raise OrderSourceError(f"CSV {path} has no column {self.column!r}; columns: {reader.fieldnames}")
                yield from (row[self.column or ""] for row in reader)
            else:
                yield from self._json_values(text)

    def _json_values(self, text: io.TextIOWrapper) -> Iterator[Any]:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line).get(self.column)
            except (json.JSONDecodeError, AttributeError):
                yield Unreadable(f"line {number} is not a JSON object")
