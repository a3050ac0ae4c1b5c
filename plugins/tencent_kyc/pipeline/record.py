"""The day's record in ``kyc_sync_runs``: written whatever happened to the day, then the run's verdict.

The last task of a run records what the upstream tasks found (counts, the gate's verdict and shares, the
review, the fetch's calls and rate, the time per phase) from their XComs, loaded or not, so the dashboard shows
every day, gate failures and rejections included. Then it fails the run, with the reason, when the day was not
loaded: the gate failed, the review rejected it or timed out, or an upstream task failed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from tencent_kyc.pipeline.config import RunConfig
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.syncs import Sync

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskIds:
    """The tasks of a sync's DAG whose XComs make the day's record."""

    list_orders: str = "list_orders"
    fetch: str = "fetch_ocr_results"
    validate: str = "validate_shard"
    gate: str = "quality_gate"
    review: str = "review_day"
    load: str = "load_warehouse"


def busy_seconds(intervals: Sequence[tuple[float, float]]) -> float:
    """How long at least one of the intervals was running (their union's length)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _mapped(ti: Any, task_id: str) -> list[Mapping[str, Any]]:
    """Every XCom of a mapped task's instances that pushed one (a failed shard pushed none). Asked as a list of
    task ids, so that one shard gives a list of one, not its value."""
    return [value for value in ti.xcom_pull(task_ids=[task_id]) or [] if isinstance(value, Mapping)]


def fetch_figures(fetched: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The fetch's calls, throttled answers, retries, busy seconds and rate, over every shard that ran."""
    busy = busy_seconds([(float(shard["started_at"]), float(shard["ended_at"])) for shard in fetched])
    calls = sum(int(shard["calls"]) for shard in fetched)
    return {
        "qps_quota": max((float(shard["qps_quota"]) for shard in fetched), default=None),
        "fetch_calls": calls,
        "fetch_throttled": sum(int(shard["throttled"]) for shard in fetched),
        "fetch_retries": sum(int(shard["retries"]) for shard in fetched),
        "fetch_seconds": round(busy, 3),
        "fetch_rate": round(calls / busy, 3) if busy else None,
    }


def why_not_loaded(day: Mapping[str, Any] | None, review: Mapping[str, Any] | None, loaded: Any) -> str | None:
    """Why the day was not loaded (None when it was)."""
    if loaded is not None:
        return None
    if day is not None and not day["passed"] and review is None:
        return f"the quality gate {day['verdict']}"
    if review is not None and review["decision"] == "rejected":
        return f"the review rejected the day ({review['reviewer']}: {review['comment'] or 'no comment'})"
    if review is not None and review["decision"] == "timed_out":
        return "the review got no answer in time (as in mode 'fail')"
    return "an upstream task failed"


def record_run(context: Mapping[str, Any], sync: Sync, tasks: TaskIds = TaskIds()) -> dict[str, int]:
    """Write the day's row of ``kyc_sync_runs``; fail the run, saying why, when the day was not loaded."""
    ti = context["ti"]
    listed = ti.xcom_pull(task_ids=tasks.list_orders)
    if listed is None:
        raise AirflowFailException("list_orders failed: nothing of the day was fetched, loaded or recorded")
    config = RunConfig.from_context(context, sync)
    fetched = _mapped(ti, tasks.fetch)
    validated = _mapped(ti, tasks.validate)
    day = ti.xcom_pull(task_ids=tasks.gate, key="day")
    review = ti.xcom_pull(task_ids=tasks.review, key="review")
    loaded = ti.xcom_pull(task_ids=tasks.load)
    warehouse = warehouse_for(config.warehouse_conn_id)
    by_status = warehouse.run_counts(sync, config.order_date) if loaded is not None else {}
    started = context["dag_run"].start_date
    figures = fetch_figures(fetched)
    warehouse.write_run(
        {
            "dag_id": context["dag"].dag_id,
            "run_date": config.order_date.isoformat(),
            "sync": sync.name,
            "dag_run_id": context["run_id"],
            "orders": listed["orders"],
            "carried_over": listed["carried_over"],
            "expired": listed["expired"],
            "rows_loaded": loaded["results"] if loaded is not None else 0,
            "by_outcome": day["by_outcome"] if day else None,
            "by_status": by_status,
            "by_reason": day["by_reason"] if day else None,
            "gate": day["verdict"] if day else "not evaluated: an upstream task failed",
            "gate_detail": day["detail"] if day else None,
            "review_decision": review["decision"] if review else None,
            "reviewer": review["reviewer"] if review else None,
            "review_comment": review["comment"] if review else None,
            "reviewed_at": review["reviewed_at"] if review else None,
            "retention_days": config.retention_days,
            "staging_path": str(config.layout.staging),
            **figures,
            "started_at": started.isoformat() if started else None,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "task_seconds": {
                "list": listed["seconds"],
                "fetch": figures["fetch_seconds"],
                "validate": round(sum(float(shard["seconds"]) for shard in validated), 3),
                "load": loaded["seconds"] if loaded is not None else None,
            },
        }
    )
    log.info("Run %s: %s", config.order_date, by_status)
    if reason := why_not_loaded(day, review, loaded):
        raise AirflowFailException(f"Nothing of {config.order_date} was loaded: {reason}")
    return by_status
