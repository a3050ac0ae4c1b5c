"""The daily Tencent KYC sync: the day's ID-card OCR results, fetched within the quota, staged per shard."""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, ObjectStoragePath, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from tencent_kyc.operators.fetch import TencentKycFetchOperator
from tencent_kyc.orders import planning
from tencent_kyc.orders.sources import OrderSource
from tencent_kyc.quality import gate, staged
from tencent_kyc.storage import DayLayout, default_root
from tencent_kyc.validation import DEFAULT_POLICY, Policy

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
4. **find_duplicate_ids** finds ID numbers that appear on several orders of the day (across shards).
5. **validate_shard** (mapped per shard) checks every record with a result (warning bitmaps, GB 11643 ID
   number, birth/sex/nation, validity period, clarity, duplicates) and decides under the `policy` param:
   `accepted`, `accepted_with_warnings` (to `validated/`) or `rejected` (to `quarantine/`), each with its
   reasons. Its log shows a table of counts per reason.
6. **quality_gate** fails the run (or only warns, per `quality_gate.mode`) when the rejected share or the
   no-result share of the day exceeds its threshold, naming the top reasons; its return value holds the
   day's counts.

Tencent keeps results for about 3 days: keep this DAG running daily.
"""

DEFAULT_SOURCE = {
    "kind": "sql",
    "conn_id": "tencent_kyc_orders",
    "sql": "SELECT order_no FROM kyc_orders WHERE order_date = '{{ order_date }}' ORDER BY order_no",
}


def _policy(value: Any) -> Policy:
    """The ``policy`` param: null for the default, an object, or a JSON file path."""
    if value is None:
        return DEFAULT_POLICY
    return Policy.from_mapping(value) if isinstance(value, dict) else Policy.load(value)


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
        "policy": Param(
            None,
            type=["null", "object", "string"],
            description="Validation policy: null (the default policy), an object, or a JSON file path.",
        ),
        "quality_gate": Param(
            {"max_rejected_share": 0.25, "max_no_result_share": 0.25, "mode": "fail"},
            type="object",
            description="Shares of the day's orders above which the run fails (mode 'fail') or warns ('warn').",
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
    def find_duplicate_ids(fetched: list[dict[str, Any]] | None = None) -> int:
        """Fingerprints of ID numbers on several orders of the day, written to staging (never to XCom)."""
        context = get_current_context()
        layout = DayLayout(context["params"]["storage_root"], _order_date(context))
        paths = [ObjectStoragePath(summary["results_path"]) for summary in fetched or []]
        return staged.collect_duplicate_idcards(paths, layout)

    @task(map_index_template="{{ shard_label }}")
    def validate_shard(fetched: dict[str, Any]) -> dict[str, Any]:
        """Judge one shard's records under the policy; returns counts by outcome, status and reason."""
        context = get_current_context()
        index = int(fetched["shard"])
        context["shard_label"] = f"shard-{index:05d} ({fetched['orders']} orders)"  # type: ignore[typeddict-unknown-key]
        policy = _policy(context["params"]["policy"])
        day = date.fromisoformat(fetched["order_date"])
        layout = DayLayout(fetched["storage_root"], day)
        summary = staged.validate_shard(index, layout, day, policy)  # cards must be valid on the order date
        log.info("Shard %d: %s\n%s", index, summary["by_status"], staged.reason_table(summary["by_reason"], policy))
        return summary

    @task(trigger_rule="none_failed")
    def quality_gate(summaries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Judge the day: fail (or warn) past the thresholds; the return value holds the day's counts."""
        context = get_current_context()
        thresholds = gate.GateThresholds.from_mapping(context["params"]["quality_gate"])
        day = gate.evaluate(summaries or [], thresholds)
        log.info("Quality gate for %s: %s; %s", _order_date(context), day["verdict"], day)
        if not day["passed"]:
            if thresholds.mode == "fail":
                raise AirflowFailException(f"Quality gate {day['verdict']}")
            log.warning("Quality gate %s (mode 'warn': the run goes on)", day["verdict"])
        return day

    fetched = fetch.output
    duplicates = find_duplicate_ids(fetched)
    validated = validate_shard.expand(fetched=fetched)
    duplicates >> validated
    quality_gate(validated)
