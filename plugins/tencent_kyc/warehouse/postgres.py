"""PostgreSQL: the staged load files streamed into temporary tables with ``COPY FROM STDIN``, then merged."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Any, ClassVar

from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import HISTORY, RESULTS, STAGED, Dialect

CHUNK = 1 << 20


class PostgresWarehouse(Warehouse):
    dialect: ClassVar[Dialect] = "postgres"

    def _stage(self, cursor: Any, layout: DayLayout, shards: Sequence[int]) -> None:
        for table in (RESULTS, HISTORY):
            with cursor.copy(f"COPY {STAGED[table.name]} FROM STDIN (FORMAT csv)") as copy:
                for shard in shards:
                    with layout.load_rows(table.name, shard).open("rb") as raw, gzip.open(raw, "rb") as rows:
                        while chunk := rows.read(CHUNK):
                            copy.write(chunk)
