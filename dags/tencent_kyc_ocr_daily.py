"""The daily Tencent KYC sync: the day's ID-card OCR results, fetched within the quota, staged per shard."""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, Param, get_current_context, task

from tencent_kyc.operators.fetch import TencentKycFetchOperator
from tencent_kyc.orders import planning
from tencent_kyc.orders.sources import OrderSource
from tencent_kyc.storage import DayLayout, default_root

log = logging.getLogger(__name__)
#: Shard tasks allowed to run at once (across all runs of this DAG); each uses 1/N of the QPS quota.
PARALLEL_SHARDS = int(os.environ.get("TENCENT_KYC_PARALLEL_SHARDS", "4"))

DOC = f"""
### Tencent KYC: daily ID-card OCR sync

For the run's order date (the data interval's start date, UTC, or the `order_date` param):

1. **list_orders** reads the day's order numbers from the `order_source` param (a SQL query on any
   Airflow SQL connection, a file in object storage, or a list), drops duplicates and refuses malformed
   numbers with a reason (`staging/<date>/rejected_orders.jsonl`); nothing invalid is ever sent.
2. **plan_shards** splits the list into shards of `shard_size` in staging storage. XComs carry paths and
   counts only, never order numbers or records.
3. **fetch_ocr_results** runs one mapped task per shard (labelled `shard-00000 (N orders)`): `concurrency`
   requests in flight, paced so that all shard tasks together stay inside the connection's QPS quota
   (each of the at most `{PARALLEL_SHARDS}` running shards takes 1/{PARALLEL_SHARDS} of it). Results go to
   `staging/<date>/results/shard-NNNNN.jsonl.gz`; with `get_file`, photos go to
   `evidence/<date>/<order>/<photo>.jpg` (SSE on S3). Every order ends with an outcome: fetched,
   front_only, back_only, not_recognised, no_result or failed (with code and message).
4. **summarize_fetch** adds the shard summaries up and shows the day's counts.

Tencent keeps results for about 3 days: keep this DAG running daily.
"""

DEFAULT_SOURCE = {
    "kind": "sql",
    "conn_id": "tencent_kyc_orders",
    "sql": "SELECT order_no FROM kyc_orders WHERE order_date = '{{ order_date }}' ORDER BY order_no",
}


def _order_date(context: Any) -> date:
    """The ``order_date`` param if set, else the data interval's start date."""
    chosen = context["params"].get("order_date")
    return date.fromisoformat(chosen) if chosen else context["data_interval_start"].date()


with DAG(
    dag_id="tencent_kyc_ocr_daily",
    description="Daily sync of Tencent Cloud KYC ID-card OCR results",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=None,
    catchup=False,
    max_active_runs=1,
    doc_md=DOC,
    tags=["tencent-kyc", "kyc"],
    default_args={
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
    },
    params={
        "order_source": Param(DEFAULT_SOURCE, type="object", description="Where the day's order numbers come from."),
        "order_date": Param(None, type=["null", "string"], format="date", description="Override the order date."),
        "shard_size": Param(5000, type="integer", minimum=1, description="Orders per shard task."),
        "concurrency": Param(8, type="integer", minimum=1, maximum=256, description="Requests in flight per shard."),
        "get_file": Param(True, type="boolean", description="Fetch the ID-card photos and keep them as evidence."),
        "storage_root": Param(
            default_root(), type="string", description="file://… or s3://<aws_conn_id>@bucket/prefix"
        ),
        "tencent_kyc_conn_id": Param("tencent_kyc_default", type="string", description="The tencent_kyc connection."),
    },
) as dag:

    @task
    def list_orders() -> dict[str, Any]:
        """Read, validate and de-duplicate the day's order numbers into staging storage."""
        context = get_current_context()
        day = _order_date(context)
        described = dict(context["params"]["order_source"])
        for key in ("sql", "path"):  # only these are templates; order numbers are data, never rendered
            if isinstance(described.get(key), str):
                described[key] = context["task"].render_template(
                    described[key], {**context, "order_date": day.isoformat()}
                )
        source = OrderSource.from_param(described)
        listed = planning.clean_orders(source.iter_values(), DayLayout(context["params"]["storage_root"], day))
        log.info(
            "%d orders for %s from %s; %d duplicates dropped; %d values refused (reasons in %s)",
            listed.orders,
            day,
            source.describe(),
            listed.duplicates,
            listed.rejected,
            listed.rejected_path,
        )
        return listed.as_xcom()

    @task
    def plan_shards(listed: dict[str, Any]) -> list[dict[str, Any]]:
        """Split the list into shards; returns their paths and sizes only."""
        context = get_current_context()
        layout = DayLayout(context["params"]["storage_root"], _order_date(context))
        return planning.plan_shards(layout, listed["orders"], int(context["params"]["shard_size"]))

    fetch = TencentKycFetchOperator.partial(
        task_id="fetch_ocr_results",
        get_file="{{ params.get_file }}",
        concurrency="{{ params.concurrency }}",
        tencent_kyc_conn_id="{{ params.tencent_kyc_conn_id }}",
        parallel_shards=PARALLEL_SHARDS,
        max_active_tis_per_dag=PARALLEL_SHARDS,
        map_index_template="{{ shard_label }}",
    ).expand(shard=plan_shards(list_orders()))

    @task(trigger_rule="none_failed")
    def summarize_fetch(summaries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Add up the shard summaries: the day's counts by outcome (shown in the log and the return value)."""
        totals: dict[str, Any] = {"shards": 0, "orders": 0, "photos_stored": 0, "crop_fallbacks": 0, "outcomes": {}}
        for summary in summaries or []:
            totals["shards"] += 1
            for key in ("orders", "photos_stored", "crop_fallbacks"):
                totals[key] += summary[key]
            for outcome, count in summary["outcomes"].items():
                totals["outcomes"][outcome] = totals["outcomes"].get(outcome, 0) + count
        log.info(
            "Fetched %d orders in %d shards: %s; %d photos stored (%d crops fell back to full photos)",
            totals["orders"],
            totals["shards"],
            totals["outcomes"],
            totals["photos_stored"],
            totals["crop_fallbacks"],
        )
        return totals

    summarize_fetch(fetch.output)
