"""The daily Tencent KYC sync: the day's ID-card OCR results, fetched within the quota, validated, loaded.

The task bodies are named functions of :mod:`tencent_kyc.pipeline.tasks`; this file wires them together.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, get_current_context, task

from tencent_kyc.operators.fetch import TencentKycFetchOperator
from tencent_kyc.operators.review import KycReviewOperator
from tencent_kyc.pipeline import tasks
from tencent_kyc.pipeline.record import record_run
from tencent_kyc.storage import default_root
from tencent_kyc.warehouse.schema import RESULTS
from tencent_kyc.warehouse.syncs import OCR

#: Shard tasks allowed to run at once (across all runs of this DAG): bounds worker use only, since every fetch
#: shares the WBappid's quota through the credential store whatever runs.
PARALLEL_SHARDS = int(os.environ.get("TENCENT_KYC_PARALLEL_SHARDS", "4"))
#: The pool of the fetch tasks (see docker-compose.yaml), also only to bound worker use.
POOL = os.environ.get("TENCENT_KYC_POOL", "default_pool")
#: Downstream DAGs can be scheduled on the result table.
RESULTS_ASSET = Asset(name=RESULTS.name, uri=f"tencent-kyc://warehouse/{RESULTS.name}", group="tencent_kyc")

DOC = f"""
### Tencent KYC: daily ID-card OCR sync

For the run's order date (the data interval's start date, UTC, or the `order_date` param):

1. **list_orders** reads the day's order numbers from the `order_source` param (a SQL query on any
   Airflow SQL connection, a file in object storage, or a list), drops duplicates and refuses malformed
   numbers with a reason (`staging/<date>/rejected_orders.jsonl`); nothing invalid is ever sent.
2. **plan_shards** splits the list into shards of `shard_size` in staging storage. XComs carry paths and
   counts only, never order numbers or records.
3. **fetch_ocr_results** runs one mapped task per shard (labelled `shard-00000 (N orders)`, at most
   `{PARALLEL_SHARDS}` at once): `concurrency` requests in flight, every one waiting for a slot of the WBappid's
   QPS quota, which every task, run and DAG on the app shares through the credential store (the log says the
   task's rate whenever the number of clients changes). Results go to
   `staging/<date>/results/shard-NNNNN.jsonl.gz`; with `get_file`, photos go to
   `evidence/<date>/<order>/<photo>.jpg` (SSE on S3). Every order ends with an outcome: fetched,
   front_only, back_only, not_recognised, no_result or failed (with code and message).
4. **find_duplicate_ids** finds ID numbers that appear on several orders of the day (across shards).
5. **validate_shard** (mapped per shard) checks every record with a result (warning bitmaps, GB 11643 ID
   number, birth/sex/nation, validity period, clarity, duplicates) and decides under the `policy` param:
   `accepted`, `accepted_with_warnings` (to `validated/`) or `rejected` (to `quarantine/`), each with its
   reasons. Its log shows a table of counts per reason.
6. **quality_gate** judges the day; when the rejected share or the no-result share exceeds its threshold it
   fails the day, warns, or (mode `review`) leaves the decision to **review_day**, which asks in the UI
   (Required Actions) whether to load the day anyway, showing both shares, their thresholds and the top
   reasons; it is skipped when no review is needed, and an unanswered review fails after `response_timeout`.
7. **load_warehouse** merges the day's rows into the `warehouse_conn_id` database (SQLite, PostgreSQL or
   Redshift) in one transaction: `kyc_ocr_results` (the Asset `{RESULTS.name}`), `kyc_order_history`,
   `kyc_order_status`. ID number, name and address are stored per the `pii` param.
8. **run_summary** records the day in `kyc_sync_runs` whatever happened (counts, gate, review, fetch rate,
   time per phase) and fails the run, saying why, when the day was not loaded.

Late results: **list_orders** also lists the earlier orders still `no_result` (or failed, retryably) within
`retention_days` of their order date, and marks those past it `expired`. Tencent keeps results for about
3 days: keep this DAG running daily.
"""

#: The default order source; a deployment may set TENCENT_KYC_ORDER_SOURCE to another one (JSON).
DEFAULT_SOURCE = json.loads(os.environ.get("TENCENT_KYC_ORDER_SOURCE") or "null") or {
    "kind": "sql",
    "conn_id": "tencent_kyc_orders",
    "sql": "SELECT order_no FROM kyc_orders WHERE order_date = '{{ order_date }}' ORDER BY order_no",
}


with DAG(
    dag_id="tencent_kyc_ocr_daily",
    description="Daily sync of Tencent Cloud KYC ID-card OCR results",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=None,
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
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
            description="Shares of the day's orders above which the day fails (mode 'fail'), warns ('warn') or "
            "waits for a human to approve or reject loading it ('review').",
        ),
        "response_timeout": Param(
            43200,
            type="integer",
            minimum=1,
            description="Seconds a review (quality_gate mode 'review') waits for an answer; then as mode 'fail'.",
        ),
        "tencent_kyc_conn_id": Param("tencent_kyc_default", type="string", description="The tencent_kyc connection."),
        "warehouse_conn_id": Param(
            "tencent_kyc_warehouse",
            type="string",
            description="The warehouse: a sqlite, postgres or redshift connection.",
        ),
        "pii": Param(
            {"idcard": "hmac", "name": "masked", "address": "masked", "key_conn_id": "tencent_kyc_pii"},
            type="object",
            description="ID number, name, address stored as full, masked or hmac (the key: key_conn_id's password).",
        ),
        "retention_days": Param(
            3,
            type="integer",
            minimum=1,
            description="Days after its order date an order is queried again, then expired.",
        ),
    },
) as dag:

    @task(multiple_outputs=False)
    def list_orders() -> dict[str, Any]:
        """Check every setting, expire what is past retention, list the day's and the carried-over orders."""
        return tasks.list_orders(get_current_context())

    @task
    def plan_shards(listed: dict[str, Any]) -> list[dict[str, Any]]:
        """Split the list into shards; returns their plans (paths and counts only)."""
        return tasks.plan_shards(get_current_context(), listed)

    @task(trigger_rule="none_failed")
    def find_duplicate_ids(fetched: list[dict[str, Any]] | None = None) -> int:
        """Fingerprints of ID numbers on several orders of the day, across shards (in staging)."""
        return tasks.find_duplicate_ids(get_current_context(), fetched or [])

    @task(map_index_template="{{ shard_label }}", multiple_outputs=False)
    def validate_shard(fetched: dict[str, Any]) -> dict[str, Any]:
        """Judge one shard under the policy and stage its warehouse rows; counts by outcome, status, reason."""
        return tasks.validate_shard(get_current_context(), fetched)

    @task(trigger_rule="none_failed")
    def quality_gate(summaries: list[dict[str, Any]] | None = None) -> None:
        """Judge the day (XCom ``day``): past the thresholds fail, warn, or leave it to review_day."""
        tasks.quality_gate(get_current_context(), summaries or [])

    @task(outlets=[RESULTS_ASSET], trigger_rule="none_failed", multiple_outputs=False)  # an empty day still loads
    def load_warehouse(summaries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Merge the staged rows of every shard into the warehouse in one transaction (idempotent)."""
        return tasks.load_warehouse(get_current_context(), summaries or [], outlet=RESULTS_ASSET)

    @task(trigger_rule="all_done", multiple_outputs=False)
    def run_summary() -> dict[str, int]:
        """Record the day in ``kyc_sync_runs`` whatever happened; fail the run, saying why, if it was not loaded."""
        return record_run(get_current_context(), OCR)

    listed = list_orders()
    fetch = TencentKycFetchOperator.partial(
        task_id="fetch_ocr_results",
        get_file="{{ params.get_file }}",
        concurrency="{{ params.concurrency }}",
        tencent_kyc_conn_id="{{ params.tencent_kyc_conn_id }}",
        max_active_tis_per_dag=PARALLEL_SHARDS,
        pool=POOL,
        map_index_template="{{ shard_label }}",
    ).expand(shard=plan_shards(listed))
    fetched = fetch.output
    duplicates = find_duplicate_ids(fetched)
    validated = validate_shard.expand(fetched=fetched)
    duplicates >> validated
    gate = quality_gate(validated)
    review = KycReviewOperator(
        task_id="review_day", gate_task_id="quality_gate", response_timeout_seconds="{{ params.response_timeout }}"
    )
    loaded = load_warehouse(validated)
    gate >> review >> loaded >> run_summary()
