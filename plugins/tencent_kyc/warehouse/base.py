"""The warehouse seam: one class per dialect (registered in :mod:`.dialects` by connection type).

Every write is one transaction on one connection: the batch is staged into temporary tables (the only part
that differs per dialect: SQLite inserts, PostgreSQL ``COPY FROM STDIN``, Redshift ``COPY`` from S3), then
merged by the shared SQL in :mod:`.sql`. A crash before the commit leaves the tables as they were, and a
retry stages and merges the same rows again: nothing is lost and nothing doubled.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from tencent_kyc.dbapi import transaction
from tencent_kyc.records import Order
from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse import sql
from tencent_kyc.warehouse.schema import RUNS, TABLES, Dialect, migration, schema_statements
from tencent_kyc.warehouse.syncs import Sync

log = logging.getLogger(__name__)


class WarehouseError(ValueError):
    """The warehouse connection or its storage cannot be used; raised before anything is fetched."""


@dataclass(frozen=True)
class Loaded:
    """What one load merged (small enough for XCom)."""

    results: int
    history: int

    def as_xcom(self) -> dict[str, int]:
        return {"results": self.results, "history": self.history}


class Warehouse(ABC):
    """A warehouse reached through an Airflow DbApiHook."""

    dialect: ClassVar[Dialect]

    def __init__(self, hook: Any, extra: Mapping[str, Any]) -> None:
        self.hook = hook
        self.extra = extra

    def check_storage(self, layout: DayLayout) -> None:  # noqa: B027 (most warehouses load from anywhere)
        """Refuse a staging root this warehouse cannot load from (Redshift needs S3)."""

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction: committed at the end, rolled back on any error."""
        with transaction(self.hook.get_conn()) as cursor:
            self._begin(cursor)
            yield cursor

    def _begin(self, cursor: Any) -> None:  # noqa: B027
        """Drivers that open transactions themselves need nothing here."""

    def ensure_schema(self) -> None:
        """Create what is absent, and add the columns a newer version declares to tables made by an older one."""
        with self.transaction() as cursor:
            for statement in schema_statements(self.dialect):
                cursor.execute(statement)
            for table in TABLES:
                cursor.execute(f"SELECT * FROM {table.name} WHERE 1 = 0")
                existing = [str(column[0]).lower() for column in cursor.description]
                for statement in migration(table, existing, self.dialect):
                    cursor.execute(statement)

    def _create_stages(self, cursor: Any, sync: Sync) -> None:
        for table in sync.staged:
            cursor.execute(table.ddl(self.dialect, sql.stage(table.name), temporary=True))

    def _serialize(self, cursor: Any) -> None:  # noqa: B027 (SQLite's BEGIN IMMEDIATE already serializes)
        """Make merges of different syncs wait for each other: both rebuild verdicts of the same orders."""

    def _merge(self, cursor: Any, sync: Sync, run_date: date) -> Loaded:
        self._serialize(cursor)
        counts = []
        for table in sync.staged:
            cursor.execute(f"SELECT COUNT(*) FROM {sql.stage(table.name)}")
            counts.append(int(cursor.fetchone()[0]))
        for statement in sql.merge_statements(sync, run_date):
            cursor.execute(statement)
        return Loaded(*counts)

    def open_orders(self, sync: Sync, run_date: date, retention_days: int) -> tuple[list[Order], int]:
        """Expire the sync's open orders past retention, then list its earlier orders to query again on
        ``run_date``. Returns those orders and how many expired."""
        with self.transaction() as cursor:
            self._create_stages(cursor, sync)
            cursor.execute(sql.stage_expiries(sync, run_date, retention_days))
            self._merge(cursor, sync, run_date)
            cursor.execute(sql.expired_on(sync, run_date))
            expired = int(cursor.fetchone()[0])  # counted, not just added: a re-run of the day reports the same
            cursor.execute(sql.carried_over(sync, run_date, retention_days))
            carried = [Order(str(order), _date(day)) for order, day in cursor.fetchall()]
        return carried, expired

    def load(self, sync: Sync, layout: DayLayout, shards: Sequence[int]) -> Loaded:
        """Stage the shards' load files of a sync and merge them, in one transaction."""
        with self.transaction() as cursor:
            self._create_stages(cursor, sync)
            self._stage(cursor, sync, layout, shards)
            loaded = self._merge(cursor, sync, layout.day)
        log.info("Merged %d result rows and %d history rows for %s", loaded.results, loaded.history, layout.day)
        return loaded

    @abstractmethod
    def _stage(self, cursor: Any, sync: Sync, layout: DayLayout, shards: Sequence[int]) -> None:
        """Fill the sync's stage tables with the rows of ``layout.load_rows(table, shard)`` for every shard."""

    def run_counts(self, sync: Sync, run_date: date) -> dict[str, int]:
        """Orders per status found by the sync's run of ``run_date`` (from its history rows)."""
        with self.transaction() as cursor:
            day = run_date.isoformat()
            cursor.execute(f"SELECT status, COUNT(*) FROM {sync.history.name} WHERE run_date = '{day}' GROUP BY status")
            return dict(sorted((str(status), int(count)) for status, count in cursor.fetchall()))

    def write_run(self, row: Mapping[str, Any]) -> None:
        """Replace the DAG's row of ``kyc_sync_runs`` for the run date (values: JSON-encoded when not scalar)."""
        values = [
            v if v is None or isinstance(v, str | int | float) else json.dumps(v, sort_keys=True) for v in row.values()
        ]
        mark = self.hook.placeholder
        with self.transaction() as cursor:
            cursor.execute(
                f"DELETE FROM {RUNS.name} WHERE dag_id = {mark} AND run_date = {mark}", [row["dag_id"], row["run_date"]]
            )
            cursor.execute(
                f"INSERT INTO {RUNS.name} ({', '.join(row)}) VALUES ({', '.join([mark] * len(values))})", values
            )


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
