"""The embedded default: SQLite, staged by batched inserts (no COPY), merged by the shared SQL."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, ClassVar

from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import HISTORY, RESULTS, STAGED, Dialect

BATCH_ROWS = 5_000


def read_rows(path: Any) -> Iterator[list[str | None]]:
    """The rows of one gzip CSV load file, empty fields as None (see :mod:`.rows`)."""
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as text:
        for row in csv.reader(text):
            yield [value if value != "" else None for value in row]


class SqliteWarehouse(Warehouse):
    dialect: ClassVar[Dialect] = "sqlite"

    def _begin(self, cursor: Any) -> None:
        cursor.connection.isolation_level = None  # transactions by hand: DDL included, one BEGIN … COMMIT
        cursor.execute("BEGIN IMMEDIATE")

    def _stage(self, cursor: Any, layout: DayLayout, shards: Sequence[int]) -> None:
        for table in (RESULTS, HISTORY):
            insert = f"INSERT INTO {STAGED[table.name]} VALUES ({', '.join(['?'] * (len(table.columns) + 1))})"
            for shard in shards:
                rows = read_rows(layout.load_rows(table.name, shard))
                while batch := list(islice(rows, BATCH_ROWS)):
                    cursor.executemany(insert, batch)
