"""The loaders on real SQLite and PostgreSQL: idempotent loads, latest wins, crash safety, late results, expiry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tencent_kyc.records import Order
from tencent_kyc.warehouse.base import Warehouse, WarehouseError
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.syncs import OCR
from warehouse_helpers import dump, judged, query, unanswered

D1 = date(2026, 11, 1)
D2, D3, D4 = (D1 + timedelta(days=n) for n in (1, 2, 3))


def status(warehouse: Warehouse) -> dict[str, tuple[Any, ...]]:
    rows = query(
        warehouse,
        "SELECT order_no, order_date, status, retryable, attempts, last_attempt_date, last_error_code "
        "FROM kyc_order_status",
    )
    return {row[0]: row[1:] for row in rows}


def test_a_load_merges_every_order_and_a_reload_leaves_identical_tables(
    warehouse: Warehouse, stage: Callable[..., Any]
) -> None:
    day = [
        judged("A1"),
        judged("B1", status="rejected"),
        unanswered("C1"),
        unanswered("D1", "failed", "KycTransientError"),
        unanswered("E1", "failed", "KycOrderError"),
    ]
    layout = stage(D1, [day[:3], day[3:]])
    first = warehouse.load(OCR, layout, [0, 1])
    assert (first.results, first.history) == (2, 5)
    before = dump(warehouse)

    again = warehouse.load(OCR, layout, [0, 1])
    assert again == first
    assert dump(warehouse) == before

    assert status(warehouse) == {
        "A1": ("2026-11-01", "loaded", 0, 1, "2026-11-01", None),
        "B1": ("2026-11-01", "quarantined", 0, 1, "2026-11-01", None),
        "C1": ("2026-11-01", "no_result", 1, 1, "2026-11-01", "66660020"),
        "D1": ("2026-11-01", "failed", 1, 1, "2026-11-01", "999999"),
        "E1": ("2026-11-01", "failed", 0, 1, "2026-11-01", "999999"),
    }
    assert query(warehouse, "SELECT order_no FROM kyc_ocr_quarantine") == [("B1",)]
    reasons = dict(query(warehouse, "SELECT order_no, reason FROM kyc_order_status"))
    assert reasons["B1"] == "warning.back.border" and "66660020" in reasons["C1"]
    assert reasons["D1"].startswith("KycTransientError")
    row = query(
        warehouse, "SELECT name, idcard, address, front_clarity, back_warnings, pii_policy FROM kyc_ocr_results"
    )
    assert sorted(row)[0] == (
        "张**",
        "110105********003X",
        "广东省深圳市****",
        64,
        "border",
        "idcard=masked name=masked address=masked",
    )


def test_duplicate_orders_in_a_batch_keep_the_last_staged_record(
    warehouse: Warehouse, stage: Callable[..., Any]
) -> None:
    layout = stage(
        D1,
        [
            [judged("A1", name="甲一"), unanswered("A2")],
            [judged("A1", name="乙二"), judged("A2", status="rejected"), judged("A1", name="丙三")],
        ],
    )
    loaded = warehouse.load(OCR, layout, [0, 1])
    assert (loaded.results, loaded.history) == (4, 5)  # staged rows; the merge keeps one per order
    assert query(warehouse, "SELECT order_no, name FROM kyc_ocr_results ORDER BY order_no") == [
        ("A1", "丙*"),
        ("A2", "张**"),
    ]
    assert query(warehouse, "SELECT order_no, status FROM kyc_order_history ORDER BY order_no") == [
        ("A1", "loaded"),
        ("A2", "quarantined"),
    ]


CRASH = """
import os, signal, sys
from datetime import date
from tencent_kyc.storage import DayLayout
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.syncs import OCR

def crash(self, cursor, sync, run_date):
    cursor.execute("SELECT COUNT(*) FROM stage_history")
    print(cursor.fetchone()[0], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

Warehouse._merge = crash
warehouse_for(sys.argv[1]).load(OCR, DayLayout(sys.argv[2], date.fromisoformat(sys.argv[3]), "ocr"), [0, 1])
"""


def test_a_crash_between_staging_and_merge_loses_nothing_and_a_retry_doubles_nothing(
    warehouse: Warehouse, warehouse_conn: str, stage: Callable[..., Any]
) -> None:
    warehouse.load(OCR, stage(D1, [[judged("A1"), unanswered("B1")]]), [0])
    before = dump(warehouse)
    layout = stage(D2, [[judged("B1"), judged("C1")], [unanswered("D1")]], {"B1": D1})

    killed = subprocess.run(
        [sys.executable, "-c", CRASH, warehouse_conn, layout.root, D2.isoformat()],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    assert killed.stdout.splitlines()[-1] == "3"  # the stage was full when the process died
    assert dump(warehouse_for(warehouse_conn)) == before

    warehouse.load(OCR, layout, [0, 1])
    assert status(warehouse) == {
        "A1": ("2026-11-01", "loaded", 0, 1, "2026-11-01", None),
        "B1": ("2026-11-01", "loaded", 0, 2, "2026-11-02", None),
        "C1": ("2026-11-02", "loaded", 0, 1, "2026-11-02", None),
        "D1": ("2026-11-02", "no_result", 1, 1, "2026-11-02", "66660020"),
    }
    assert sorted(query(warehouse, "SELECT order_no, run_date FROM kyc_ocr_results")) == [
        ("A1", "2026-11-01"),
        ("B1", "2026-11-02"),
        ("C1", "2026-11-02"),
    ]


def _day(warehouse: Warehouse, stage: Callable[..., Any], day: date, records: list[dict[str, Any]]) -> list[str]:
    """One daily cycle as the DAG runs it: open orders, then load the day's records; returns the carried."""
    carried, _ = warehouse.open_orders(OCR, day, 3)
    warehouse.load(OCR, stage(day, [records], {order.order_no: order.order_date for order in carried}), [0])
    return [order.order_no for order in carried]


def test_late_results_arrive_on_day_2_and_3_and_the_rest_expires_on_day_4(
    warehouse: Warehouse, stage: Callable[..., Any]
) -> None:
    day1 = [
        unanswered("A"),
        unanswered("B"),
        unanswered("C", "failed", "KycOrderError"),
        unanswered("E", "failed", "KycTransientError"),
    ]
    assert _day(warehouse, stage, D1, day1) == []
    assert _day(warehouse, stage, D2, [judged("A"), unanswered("B"), unanswered("E")]) == ["A", "B", "E"]
    assert _day(warehouse, stage, D3, [judged("B", status="rejected"), unanswered("E")]) == ["B", "E"]
    assert warehouse.open_orders(OCR, D4, 3) == ([], 1)
    assert status(warehouse) == {
        "A": ("2026-11-01", "loaded", 0, 2, "2026-11-02", None),
        "B": ("2026-11-01", "quarantined", 0, 3, "2026-11-03", None),
        "C": ("2026-11-01", "failed", 0, 1, "2026-11-01", "999999"),  # permanent: never queried again
        "E": ("2026-11-01", "expired", 0, 3, "2026-11-03", "66660020"),
    }
    expiry = query(warehouse, "SELECT run_date, reason FROM kyc_order_history WHERE status = 'expired'")
    assert expiry == [("2026-11-04", "no result within 3 days of the order date (Tencent keeps results about 3 days)")]
    assert query(warehouse, "SELECT order_no, order_date, run_date FROM kyc_ocr_results ORDER BY order_no") == [
        ("A", "2026-11-01", "2026-11-02"),
        ("B", "2026-11-01", "2026-11-03"),
    ]

    # Re-running any of those days (a retry, a backfill) lists the same orders and leaves the same tables.
    after = dump(warehouse)
    assert warehouse.open_orders(OCR, D4, 3) == ([], 1)
    assert _day(warehouse, stage, D3, [judged("B", status="rejected"), unanswered("E")]) == ["B", "E"]
    assert _day(warehouse, stage, D2, [judged("A"), unanswered("B"), unanswered("E")]) == ["A", "B", "E"]
    assert dump(warehouse) == after


def test_a_longer_retention_keeps_querying(warehouse: Warehouse, stage: Callable[..., Any]) -> None:
    warehouse.load(OCR, stage(D1, [[unanswered("A")]]), [0])
    carried, expired = warehouse.open_orders(OCR, D4, 5)
    assert (carried, expired) == ([Order("A", D1)], 0)


def test_the_run_row_is_replaced_by_a_rerun_of_its_dag_only(warehouse: Warehouse) -> None:
    row: dict[str, Any] = {
        "dag_id": "tencent_kyc_ocr_daily",
        "sync": "ocr",
        "run_date": "2026-11-01",
        "dag_run_id": "first",
        "orders": 3,
        "by_status": {"loaded": 3},
    }
    warehouse.write_run(row)
    warehouse.write_run({**row, "dag_id": "tencent_kyc_face_daily", "sync": "face", "orders": 2})
    warehouse.write_run({**row, "dag_run_id": "second"})
    runs = "SELECT dag_id, sync, run_date, dag_run_id, orders, by_status FROM kyc_sync_runs ORDER BY dag_id"
    assert query(warehouse, runs) == [
        ("tencent_kyc_face_daily", "face", "2026-11-01", "first", 2, json.dumps({"loaded": 3})),
        ("tencent_kyc_ocr_daily", "ocr", "2026-11-01", "second", 3, json.dumps({"loaded": 3})),
    ]


def test_the_connection_type_picks_the_dialect(warehouse: Warehouse, warehouse_conn: str) -> None:
    assert type(warehouse).__name__ == {"sqlite": "SqliteWarehouse", "postgres": "PostgresWarehouse"}[warehouse.dialect]


def test_an_unsupported_or_missing_connection_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_KYC_MYSQL", json.dumps({"conn_type": "mysql", "host": "db"}))
    with pytest.raises(
        WarehouseError, match="unknown warehouse connection type 'mysql'; known: postgres, redshift, sqlite"
    ):
        warehouse_for("kyc_mysql")
    with pytest.raises(WarehouseError, match="'kyc_nowhere' cannot be read"):
        warehouse_for("kyc_nowhere")
