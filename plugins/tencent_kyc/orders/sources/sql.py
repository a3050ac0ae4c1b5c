"""Orders from a SQL query on any Airflow SQL connection (its hook's DB-API connection, read in batches)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow.sdk import BaseHook

from tencent_kyc.orders.sources.base import OrderSource

FETCH_BATCH = 10_000


@dataclass(frozen=True)
class SqlSource(OrderSource):
    """``{"kind": "sql", "conn_id": "orders_db", "sql": "SELECT order_no … '{{ order_date }}'"}``: the first
    column of every row."""

    conn_id: str
    sql: str
    required: ClassVar[tuple[str, ...]] = ("conn_id", "sql")
    templated: ClassVar[tuple[str, ...]] = ("sql",)

    @classmethod
    def _build(cls, value: Mapping[str, Any]) -> SqlSource:
        return cls(str(value["conn_id"]), str(value["sql"]))

    def describe(self) -> str:
        return f"SQL query on connection {self.conn_id!r}"

    def iter_values(self) -> Iterator[Any]:
        connection = BaseHook.get_hook(self.conn_id).get_conn()
        try:
            cursor = connection.cursor()
            cursor.execute(self.sql)
            while rows := cursor.fetchmany(FETCH_BATCH):
                for row in rows:
                    yield row[0]
            cursor.close()
        finally:
            connection.close()
