"""The embedded default: SQLite, staged by batched inserts (no COPY), merged by the shared SQL."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, ClassVar

from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import Dialect
from tencent_kyc.warehouse.sql import stage
from tencent_kyc.warehouse.syncs import Sync

BATCH_ROWS = 5_000
#: How long a transaction waits for another writer's to end (ms).
BUSY_TIMEOUT_MS = 15 * 60 * 1000


def read_rows(path: Any) -> Iterator[list[str | None]]:
    """The rows of one gzip CSV load file, empty fields as None (see :mod:`.rows`)."""
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as text:
        for row in csv.reader(text):
            yield [value if value != "" else None for value in row]


class SqliteWarehouse(Warehouse):
    dialect: ClassVar[Dialect] = "sqlite"

    def _begin(self, cursor: Any) -> None:
        cursor.connection.isolation_level = None  # transactions by hand: DDL included, one BEGIN … COMMIT
        # One writer at a time: the other sync's load (or a re-run) waits for this one rather than failing
        # on "database is locked" after sqlite3's default five seconds.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("BEGIN IMMEDIATE")

    def _stage(self, cursor: Any, sync: Sync, layout: DayLayout, shards: Sequence[int]) -> None:
        for table in sync.staged:
            insert = f"INSERT INTO {stage(table.name)} VALUES ({', '.join(['?'] * (len(table.columns) + 1))})"
            for shard in shards:
                rows = read_rows(layout.load_rows(table.name, shard))
                while batch := list(islice(rows, BATCH_ROWS)):
                    cursor.executemany(insert, batch)
