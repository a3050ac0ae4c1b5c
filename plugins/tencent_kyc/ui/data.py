"""What the dashboard shows, read from the warehouse: the days of a DAG from ``kyc_sync_runs``, one day's detail,
and the open orders by the day Tencent purges them.

Values are what the tables hold (JSON columns decoded); nothing here writes. Personal data never leaves: the
only order-level values are order numbers and validation codes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import RUNS, Table
from tencent_kyc.warehouse.sql import OPEN
from tencent_kyc.warehouse.syncs import SYNCS, Sync, sync_of_dag

#: Columns of ``kyc_sync_runs`` holding JSON text.
JSON_COLUMNS = frozenset({"by_outcome", "by_status", "by_reason", "gate_detail", "task_seconds"})
#: How many quarantined orders a day's detail lists.
QUARANTINE_SAMPLE = 50
DEFAULT_RETENTION_DAYS = 3


def _value(name: str, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if name in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    return value


def describe(sync: Sync | None) -> dict[str, Any] | None:
    """A sync's declaration as the pages use it (labels and the order of statuses and outcomes)."""
    if sync is None:
        return None
    return {"name": sync.name, "label": sync.label, "statuses": sync.statuses, "outcomes": sync.outcomes}


def shape_day(row: Mapping[str, Any]) -> dict[str, Any]:
    """One ``kyc_sync_runs`` row as the API's day: the row's values, grouped where the pages read them; ``sync``
    is the sync's declaration, so that a page showing one day needs no other request for its labels."""
    fetch_rate, quota = row.get("fetch_rate"), row.get("qps_quota")
    review = None
    if row.get("review_decision"):
        review = {key: row.get(column) for key, column in
                  (("decision", "review_decision"), ("reviewer", "reviewer"), ("comment", "review_comment"),
                   ("reviewed_at", "reviewed_at"))}  # fmt: skip
    return {
        "run_date": row["run_date"],
        "dag_id": row["dag_id"],
        "sync": describe(Dashboard.sync(row["dag_id"], row.get("sync"))),
        "dag_run_id": row.get("dag_run_id"),
        "orders": row.get("orders"),
        "carried_over": row.get("carried_over"),
        "expired": row.get("expired"),
        "rows_loaded": row.get("rows_loaded"),
        "by_outcome": row.get("by_outcome") or {},
        "by_status": row.get("by_status") or {},
        "by_reason": row.get("by_reason") or {},
        "gate": {"verdict": row.get("gate"), **(row.get("gate_detail") or {})},
        "review": review,
        "fetch": {
            "calls": row.get("fetch_calls"),
            "throttled": row.get("fetch_throttled"),
            "retries": row.get("fetch_retries"),
            "seconds": row.get("fetch_seconds"),
            "rate": fetch_rate,
            "qps_quota": quota,
            "quota_use": round(fetch_rate / quota, 4) if fetch_rate and quota else None,
        },
        "durations": row.get("task_seconds") or {},
        "retention_days": row.get("retention_days"),
        "started_at": row.get("started_at"),
        "finished_at": row.get("finished_at"),
    }


class Dashboard:
    """Reads for the pages, on one warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def recorded(self, table: Table = RUNS) -> bool:
        """Whether the warehouse holds ``table`` yet (a warehouse no run has loaded into has none)."""
        try:
            with self.warehouse.transaction() as cursor:
                cursor.execute(f"SELECT 1 FROM {table.name} WHERE 1 = 0")
        except Exception:  # each driver names a missing table its own way
            return False
        return True

    def _rows(self, where: str, values: list[Any]) -> list[dict[str, Any]]:
        if not self.recorded():
            return []
        with self.warehouse.transaction() as cursor:
            cursor.execute(f"SELECT {', '.join(RUNS.names)} FROM {RUNS.name} WHERE {where} ORDER BY run_date", values)
            return [
                {name: _value(name, value) for name, value in zip(RUNS.names, row, strict=True)}
                for row in cursor.fetchall()
            ]

    def dags(self) -> list[str]:
        """The DAGs with at least one recorded day."""
        if not self.recorded():
            return []
        with self.warehouse.transaction() as cursor:
            cursor.execute(f"SELECT DISTINCT dag_id FROM {RUNS.name} ORDER BY dag_id")
            return [str(dag_id) for (dag_id,) in cursor.fetchall()]

    def days(self, dag_id: str, since: date, until: date) -> list[dict[str, Any]]:
        mark = self.warehouse.hook.placeholder
        where = f"dag_id = {mark} AND run_date >= {mark} AND run_date <= {mark}"
        return [shape_day(row) for row in self._rows(where, [dag_id, since.isoformat(), until.isoformat()])]

    def day(self, dag_id: str, run_date: date | None = None, dag_run_id: str | None = None) -> dict[str, Any] | None:
        """One day with its detail, by run date or by the Airflow run that recorded it."""
        mark = self.warehouse.hook.placeholder
        column, value = ("run_date", run_date.isoformat()) if run_date else ("dag_run_id", dag_run_id)
        rows = self._rows(f"dag_id = {mark} AND {column} = {mark}", [dag_id, value])
        if not rows:
            return None
        row = rows[-1]
        sync = self.sync(dag_id, row.get("sync"))
        staging = row.get("staging_path")
        return {
            **shape_day(row),
            "staging": {
                "path": staging,
                "quarantine": f"{staging}/quarantine/" if staging else None,
                "refused_values": f"{staging}/rejected_orders.jsonl" if staging else None,
            },
            **self._quarantined(sync, row["run_date"]),
        }

    def _quarantined(self, sync: Sync | None, run_date: str) -> dict[str, Any]:
        """The run date's quarantined orders: how many, and the first ones (numbers and validation codes only)."""
        if sync is None:
            return {"quarantined": [], "quarantined_total": None}
        mark = self.warehouse.hook.placeholder
        where = f"FROM {sync.results.name} WHERE run_date = {mark} AND validation_status = 'rejected'"
        with self.warehouse.transaction() as cursor:
            cursor.execute(f"SELECT COUNT(*) {where}", [run_date])
            (total,) = cursor.fetchone()
            cursor.execute(f"SELECT order_no, validation_reasons {where} ORDER BY order_no", [run_date])
            rows = cursor.fetchmany(QUARANTINE_SAMPLE)
        return {
            "quarantined": [{"order_no": order, "reasons": (reasons or "").split()} for order, reasons in rows],
            "quarantined_total": int(total),
        }

    def open_orders(self, sync: Sync, retention_days: int) -> list[dict[str, Any]]:
        """The orders still waiting for a result, by the day they expire: the run of their order date plus
        ``retention_days`` marks them expired (day 1 + 3 → day 4) unless an earlier run found their result."""
        if not self.recorded():
            return []
        with self.warehouse.transaction() as cursor:
            cursor.execute(
                f"SELECT order_date, COUNT(*) FROM {sync.status.name} WHERE {OPEN} "
                "GROUP BY order_date ORDER BY order_date"
            )
            counts = cursor.fetchall()
        days = []
        for order_date, orders in counts:
            day = order_date if isinstance(order_date, date) else date.fromisoformat(str(order_date))
            expires = day + timedelta(days=retention_days)
            days.append({"expires_on": expires.isoformat(), "order_date": day.isoformat(), "orders": int(orders)})
        return days

    @staticmethod
    def sync(dag_id: str, name: Any) -> Sync | None:
        """The sync of a DAG's rows (its recorded name, else the DAG's default sync)."""
        return SYNCS.get(name) if name in SYNCS else sync_of_dag(dag_id)
