"""Helpers of the daily DAGs' tests: the warehouse they load, read back."""

from __future__ import annotations

from typing import Any

from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.schema import RUNS
from warehouse_helpers import dump, query

PII_KEY = "a-test-key-of-32-characters-long"


def warehouse_query(sql: str) -> list[tuple[Any, ...]]:
    return query(warehouse_for("tencent_kyc_warehouse"), sql)


def tables(exclude: tuple[str, ...] = (RUNS.name,)) -> dict[str, Any]:
    """The warehouse's tables (a re-run replaces the run row, timings included, so it is left out)."""
    found = dump(warehouse_for("tencent_kyc_warehouse"))
    return {name: rows for name, rows in found.items() if name not in exclude}
