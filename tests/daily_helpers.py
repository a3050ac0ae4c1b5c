"""Helpers of the daily DAGs' tests: a run of the test day, and the warehouse it loads, read back."""

from __future__ import annotations

from datetime import date
from typing import Any

from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.schema import RUNS
from warehouse_helpers import dump, query

PII_KEY = "a-test-key-of-32-characters-long"
DAY = date(2026, 11, 27)


def run(dag: Any, **conf: Any) -> Any:
    """``dag.test()`` of the test day, with ``conf`` as its params."""
    return dag.test(run_conf={"order_date": DAY.isoformat(), **conf})


def warehouse_query(sql: str) -> list[tuple[Any, ...]]:
    return query(warehouse_for("tencent_kyc_warehouse"), sql)


def tables(exclude: tuple[str, ...] = (RUNS.name,)) -> dict[str, Any]:
    """The warehouse's tables (a re-run replaces the run row, timings included, so it is left out)."""
    found = dump(warehouse_for("tencent_kyc_warehouse"))
    return {name: rows for name, rows in found.items() if name not in exclude}
