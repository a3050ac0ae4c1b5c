"""PostgreSQL: the staged load files streamed into temporary tables with ``COPY FROM STDIN``, then merged."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Any, ClassVar

from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import VERIFICATIONS, Dialect
from tencent_kyc.warehouse.sql import stage
from tencent_kyc.warehouse.syncs import Sync

CHUNK = 1 << 20


class PostgresWarehouse(Warehouse):
    dialect: ClassVar[Dialect] = "postgres"

    def _serialize(self, cursor: Any) -> None:
        """A lock that conflicts with itself, taken by every merge: the second waits, readers do not."""
        cursor.execute(f"LOCK TABLE {VERIFICATIONS.name} IN SHARE ROW EXCLUSIVE MODE")

    def _stage(self, cursor: Any, sync: Sync, layout: DayLayout, shards: Sequence[int]) -> None:
        for table in sync.staged:
            with cursor.copy(f"COPY {stage(table.name)} FROM STDIN (FORMAT csv)") as copy:
                for shard in shards:
                    with layout.load_rows(table.name, shard).open("rb") as raw, gzip.open(raw, "rb") as rows:
                        while chunk := rows.read(CHUNK):
                            copy.write(chunk)
