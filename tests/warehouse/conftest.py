"""A warehouse per test on each embedded dialect: SQLite in a temporary file, PostgreSQL in its own schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.rows import stage_rows
from tencent_kyc.warehouse.syncs import OCR, Sync
from warehouse_helpers import postgres_connection, typed

WAREHOUSE_CONN = "kyc_test_warehouse"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_conn(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``kyc_test_warehouse`` on SQLite or PostgreSQL (both real); returns the connection id."""
    if request.param == "sqlite":
        value = json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")})
    else:
        value = postgres_connection(request.getfixturevalue("postgres_dsn"), request.getfixturevalue("postgres_schema"))
    monkeypatch.setenv(f"AIRFLOW_CONN_{WAREHOUSE_CONN.upper()}", value)
    return WAREHOUSE_CONN


@pytest.fixture
def warehouse(warehouse_conn: str) -> Warehouse:
    found = warehouse_for(warehouse_conn)
    found.ensure_schema()
    return found


@pytest.fixture
def stage(tmp_path: Path) -> Callable[..., DayLayout]:
    """``stage(day, [[records of shard 0], [records of shard 1], ...], order_dates={}, sync=OCR)``: write the
    load files as validate_shard does (no HMAC: the default policy with masked ID numbers)."""

    def write(
        day: date,
        shards: list[list[dict[str, Any]]],
        order_dates: dict[str, date] | None = None,
        root: str = "",
        sync: Sync = OCR,
    ) -> DayLayout:
        layout = DayLayout(root or f"file://{tmp_path}/data", day, sync.name)
        pii = PiiPolicy.from_param({"idcard": "masked"})
        for index, records in enumerate(shards):
            judged = [typed(record, (order_dates or {}).get(record["order_no"], day)) for record in records]
            stage_rows(sync, layout, index, judged, pii, None)
        return layout

    return write
