"""Where the day's order numbers come from: a SQL query, a file in object storage, or an explicit list.

A source is described by a small dict (a DAG param), e.g.::

    {"kind": "sql", "conn_id": "orders_db", "sql": "SELECT order_no FROM kyc_orders WHERE order_date = '{{ ds }}'"}
    {"kind": "file", "path": "s3://aws_default@bucket/orders/{{ ds }}.csv", "format": "csv", "column": "order_no"}
    {"kind": "list", "orders": ["A1", "A2"]}

``sql`` and ``path`` are Jinja-templated with the run's context before they reach this module. Values are
streamed, never all held here; cleaning (validation, de-duplication) happens in :mod:`.planning`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow.sdk import BaseHook, ObjectStoragePath

FORMATS = ("lines", "csv", "jsonl")
FETCH_BATCH = 10_000


class OrderSourceError(ValueError):
    """The order source description is unusable; raised before anything is read or sent."""


@dataclass(frozen=True)
class OrderSource:
    kind: str
    conn_id: str | None = None
    sql: str | None = None
    path: str | None = None
    format: str = "lines"
    column: str | None = None
    orders: tuple[Any, ...] = field(default_factory=tuple)

    @classmethod
    def from_param(cls, value: Mapping[str, Any]) -> OrderSource:
        """Validate a DAG-param description, naming what is wrong."""
        if not isinstance(value, Mapping):
            raise OrderSourceError(f"order source must be an object, got {type(value).__name__}")
        known = {"kind", "conn_id", "sql", "path", "format", "column", "orders"}
        if unknown := sorted(set(value) - known):
            raise OrderSourceError(f"order source has unknown key(s) {unknown}; known: {sorted(known)}")
        kind = value.get("kind")
        required = {"sql": ("conn_id", "sql"), "file": ("path",), "list": ("orders",)}
        if kind not in required:
            raise OrderSourceError(f"order source kind must be one of {sorted(required)}, got {kind!r}")
        if missing := [key for key in required[kind] if not value.get(key) and value.get(key) != []]:
            raise OrderSourceError(f"order source of kind {kind!r} needs {missing}")
        source = cls(**{**value, "orders": tuple(value.get("orders") or ())})
        if source.format not in FORMATS:
            raise OrderSourceError(f"file format must be one of {FORMATS}, got {source.format!r}")
        if kind == "file" and source.format != "lines" and not source.column:
            raise OrderSourceError(f"file format {source.format!r} needs 'column' (the order-number column)")
        return source

    def describe(self) -> str:
        """For logs: where the orders came from, without credentials."""
        if self.kind == "sql":
            return f"SQL query on connection {self.conn_id!r}"
        if self.kind == "file":
            return f"{self.format} file {ObjectStoragePath(self.path or '')}"
        return f"explicit list of {len(self.orders)}"

    def iter_values(self) -> Iterator[Any]:
        """Every raw value of the source, in source order."""
        if self.kind == "sql":
            yield from _sql_values(self.conn_id or "", self.sql or "")
        elif self.kind == "file":
            yield from _file_values(ObjectStoragePath(self.path or ""), self.format, self.column)
        else:
            yield from self.orders


def _sql_values(conn_id: str, sql: str) -> Iterator[Any]:
    """First column of every row, fetched in batches through the connection's DbApiHook."""
    hook = BaseHook.get_hook(conn_id)
    connection = hook.get_conn()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_BATCH):
            for row in rows:
                yield row[0]
        cursor.close()
    finally:
        connection.close()


def _file_values(path: ObjectStoragePath, fmt: str, column: str | None) -> Iterator[Any]:
    with path.open("rb") as binary, io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
        if fmt == "lines":
            for line in text:
                if stripped := line.strip():
                    yield stripped
        elif fmt == "csv":
            reader = csv.DictReader(text)
            if column not in (reader.fieldnames or []):
                raise OrderSourceError(f"CSV {path} has no column {column!r}; columns: {reader.fieldnames}")
            for row in reader:
                yield row[column or ""]
        else:
            for number, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line).get(column)
                except (json.JSONDecodeError, AttributeError):
                    yield _Unreadable(f"line {number} is not a JSON object")


@dataclass(frozen=True)
class _Unreadable:
    """A source line that could not be parsed: reported like an invalid order number, never sent."""

    reason: str
