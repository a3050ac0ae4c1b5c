"""The daily Tencent KYC syncs: one pipeline, two DAGs.

``tencent_kyc_ocr_daily`` syncs the ID-card OCR results (getOcrResult), ``tencent_kyc_face_daily`` the face
verification results (queryfacerecord) of the same orders; ``kyc_verifications`` joins them into one verdict per
order. Both are built by :func:`daily_sync` below, which reads as the pipeline: the task bodies are named
functions of :mod:`tencent_kyc.pipeline`, and only the evidence they keep and the fetch task's name differ.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, get_current_context, task

from tencent_kyc.api.face import MEDIA_CHOICES
from tencent_kyc.operators.fetch import DEFAULT_CONCURRENCY, TencentKycFetchOperator
from tencent_kyc.operators.review import KycReviewOperator
from tencent_kyc.pipeline import tasks
from tencent_kyc.pipeline.record import TaskIds, record_run
from tencent_kyc.storage import default_root
from tencent_kyc.warehouse.syncs import FACE, OCR, Sync

#: Shard tasks allowed to run at once (across all runs of a DAG): bounds worker use only, since every fetch
#: shares the WBappid's quota through the credential store whatever runs.
PARALLEL_SHARDS = int(os.environ.get("TENCENT_KYC_PARALLEL_SHARDS", "4"))
#: The pool of the fetch tasks (see docker-compose.yaml), also only to bound worker use.
POOL = os.environ.get("TENCENT_KYC_POOL", "default_pool")
#: The default order source; a deployment may set TENCENT_KYC_ORDER_SOURCE to another one (JSON).
DEFAULT_SOURCE = json.loads(os.environ.get("TENCENT_KYC_ORDER_SOURCE") or "null") or {
    "kind": "sql",
    "conn_id": "tencent_kyc_orders",
    "sql": "SELECT order_no FROM kyc_orders WHERE order_date = '{{ order_date }}' ORDER BY order_no",
}


@dataclass(frozen=True)
class DailySync:
    """What one daily DAG syncs, and what differs between the two: the evidence it keeps, its fetch task."""

    sync: Sync
    what: str
    fetch_task: str
    evidence: dict[str, Param] = field(default_factory=dict)

    @property
    def asset(self) -> Asset:
        """Downstream DAGs can be scheduled on the sync's results table."""
        name = self.sync.results.name
        return Asset(name=name, uri=f"tencent-kyc://warehouse/{name}", group="tencent_kyc")


DAILY = (
    DailySync(
        OCR,
        "ID-card OCR results",
        "fetch_ocr_results",
        {"get_file": Param(True, type="boolean", description="Keep the ID-card photos as evidence.")},
    ),
    DailySync(
        FACE,
        "face verification results",
        "fetch_face_results",
        {
            "face_media": Param(
                "both", enum=list(MEDIA_CHOICES), description="Keep the face photo, video, both or none as evidence."
            )
        },
    ),
)


def doc(spec: DailySync) -> str:
    return f"""
### Tencent KYC: daily {spec.what} ({spec.sync.label})

For the run's order date (the data interval's start date, UTC, or the `order_date` param):
**list_orders** checks every setting before any request, expires what is past `retention_days`, and lists the
day's orders (`order_source`) plus the earlier ones still waiting for a result; **plan_shards** cuts them into
shards; **{spec.fetch_task}** fetches each shard (at most {PARALLEL_SHARDS} at once), every call drawing on the
WBappid's one QPS quota, shared with every other task, run and DAG on the app, and keeps the evidence;
**validate_shard** judges each record under the `policy`; **quality_gate** fails the day, warns, or leaves it to
**review_day** (a human, in Required Actions) past its thresholds; **load_warehouse** merges the day into
`{spec.sync.results.name}`, `{spec.sync.history.name}`, `{spec.sync.status.name}` and the verdicts of
`kyc_verifications`; **run_summary** records the day in `kyc_sync_runs` and fails the run if it was not loaded.
The day is also on the **Tencent KYC** page and this run's **KYC day** tab.
"""


def params(spec: DailySync) -> dict[str, Param]:
    return {
        "order_source": Param(DEFAULT_SOURCE, type="object", description="Where the day's order numbers come from."),
        "order_date": Param(None, type=["null", "string"], format="date", description="Override the order date."),
        "shard_size": Param(5000, type="integer", minimum=1, description="Orders per shard task."),
        "concurrency": Param(
            DEFAULT_CONCURRENCY, type="integer", minimum=1, maximum=256, description="Requests in flight per shard."
        ),
        **spec.evidence,
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
    }


def daily_sync(spec: DailySync) -> DAG:
    sync, outlet = spec.sync, spec.asset
    with DAG(
        dag_id=sync.dag_id,
        description=f"Daily sync of Tencent Cloud KYC {spec.what}",
        schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
        start_date=None,
        catchup=False,
        max_active_runs=1,
        render_template_as_native_obj=True,
        doc_md=doc(spec),
        tags=["tencent-kyc", "kyc"],
        default_args={
            "retries": 3,
            "retry_delay": timedelta(minutes=1),
            "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=15),
        },
        params=params(spec),
    ) as dag:

        @task(multiple_outputs=False)
        def list_orders() -> dict[str, Any]:
            """Check every setting, expire what is past retention, list the day's and the carried-over orders."""
            return tasks.list_orders(get_current_context(), sync)

        @task
        def plan_shards(listed: dict[str, Any]) -> list[dict[str, Any]]:
            """Split the list into shards; returns their plans (paths and counts only)."""
            return tasks.plan_shards(get_current_context(), sync, listed)

        @task(trigger_rule="none_failed")
        def find_duplicate_ids(fetched: list[dict[str, Any]] | None = None) -> int:
            """Fingerprints of ID numbers on several orders of the day, across shards (in staging)."""
            return tasks.find_duplicate_ids(get_current_context(), sync, fetched or [])

        @task(map_index_template="{{ shard_label }}", multiple_outputs=False)
        def validate_shard(fetched: dict[str, Any]) -> dict[str, Any]:
            """Judge one shard under the policy and stage its warehouse rows; counts by outcome, status, reason."""
            return tasks.validate_shard(get_current_context(), sync, fetched)

        @task(trigger_rule="none_failed")
        def quality_gate(summaries: list[dict[str, Any]] | None = None) -> None:
            """Judge the day (XCom ``day``): past the thresholds fail, warn, or leave it to review_day."""
            tasks.quality_gate(get_current_context(), sync, summaries or [])

        @task(outlets=[outlet], trigger_rule="none_failed", multiple_outputs=False)  # an empty day still loads
        def load_warehouse(summaries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
            """Merge the staged rows of every shard into the warehouse in one transaction (idempotent)."""
            return tasks.load_warehouse(get_current_context(), sync, summaries or [], outlet=outlet)

        @task(trigger_rule="all_done", multiple_outputs=False)
        def run_summary() -> dict[str, int]:
            """Record the day in ``kyc_sync_runs`` whatever happened; fail the run, saying why, if not loaded."""
            return record_run(get_current_context(), sync, TaskIds(fetch=spec.fetch_task))

        listed = list_orders()
        fetch = TencentKycFetchOperator.partial(
            task_id=spec.fetch_task,
            **{name: f"{{{{ params.{name} }}}}" for name in spec.evidence},
            concurrency="{{ params.concurrency }}",
            tencent_kyc_conn_id="{{ params.tencent_kyc_conn_id }}",
            max_active_tis_per_dag=PARALLEL_SHARDS,
            pool=POOL,
            map_index_template="{{ shard_label }}",
        ).expand(shard=plan_shards(listed))
        fetched = fetch.output
        validated = validate_shard.expand(fetched=fetched)
        if sync is OCR:  # ID numbers seen on several orders of the day: the OCR rules need them
            find_duplicate_ids(fetched) >> validated
        gate = quality_gate(validated)
        review = KycReviewOperator(
            task_id="review_day", gate_task_id="quality_gate", response_timeout_seconds="{{ params.response_timeout }}"
        )
        loaded = load_warehouse(validated)
        gate >> review >> loaded >> run_summary()
    return dag


for daily in DAILY:
    globals()[daily.sync.dag_id] = daily_sync(daily)
