"""The daily Tencent KYC sync: the day's ID-card OCR results, fetched within the quota, validated, loaded."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, ObjectStoragePath, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from tencent_kyc.operators.fetch import TencentKycFetchOperator
from tencent_kyc.orders import planning
from tencent_kyc.orders.sources import OrderSource, OrderSourceError
from tencent_kyc.quality import gate, staged
from tencent_kyc.storage import DayLayout, default_root
from tencent_kyc.validation import DEFAULT_POLICY, Policy, PolicyError
from tencent_kyc.warehouse.base import Warehouse, WarehouseError
from tencent_kyc.warehouse.pii import PiiPolicy, PiiPolicyError
from tencent_kyc.warehouse.schema import RESULTS

log = logging.getLogger(__name__)
#: Shard tasks allowed to run at once (across all runs of this DAG); each uses 1/N of the QPS quota.
PARALLEL_SHARDS = int(os.environ.get("TENCENT_KYC_PARALLEL_SHARDS", "4"))
#: The pool of the fetch tasks: a deployment sizes one to PARALLEL_SHARDS (see docker-compose.yaml).
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
7. **load_warehouse** merges the day's rows into the `warehouse_conn_id` database (SQLite, PostgreSQL or
   Redshift) in one transaction: `kyc_ocr_results` (the Asset `{RESULTS.name}`), `kyc_order_history`,
   `kyc_order_status`. ID number, name and address are stored per the `pii` param.
8. **run_summary** writes the day's counts and timings to `kyc_sync_runs`.

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


def _policy(value: Any) -> Policy:
    """The ``policy`` param: null for the default, an object, or a JSON file path."""
    if value is None:
        return DEFAULT_POLICY
    return Policy.from_mapping(value) if isinstance(value, dict) else Policy.load(value)


def _order_date(context: Any) -> date:
    """The ``order_date`` param if set, else the data interval's start date."""
    chosen = context["params"].get("order_date")
    return date.fromisoformat(chosen) if chosen else context["data_interval_start"].date()


def _layout(context: Any) -> DayLayout:
    return DayLayout(context["params"]["storage_root"], _order_date(context))


def _warehouse(context: Any) -> Warehouse:
    return Warehouse.for_connection(context["params"]["warehouse_conn_id"])


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

    @task
    def list_orders() -> dict[str, Any]:
        """Check the warehouse and policy, expire what is past retention, then list the day's orders plus the
        earlier ones still waiting for a result, validated and de-duplicated, into staging storage."""
        started = time.monotonic()
        context = get_current_context()
        day, layout = _order_date(context), _layout(context)
        described = dict(context["params"]["order_source"])
        for key in ("sql", "path"):  # only these are templates; order numbers are data, never rendered
            if isinstance(described.get(key), str):
                described[key] = context["task"].render_template(
                    described[key], {**context, "order_date": day.isoformat()}
                )
        try:  # every setting is checked before any request is sent; a retry would not fix one
            warehouse = _warehouse(context)
            warehouse.check_storage(layout)
            PiiPolicy.from_param(context["params"]["pii"]).load_key()
            _policy(context["params"]["policy"])
            source = OrderSource.from_param(described)
        except (WarehouseError, PiiPolicyError, PolicyError, OrderSourceError) as exc:
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from None
        warehouse.ensure_schema()
        carried, expired = warehouse.open_orders(day, int(context["params"]["retention_days"]))
        planning.write_carried_over(layout, carried)
        listed = planning.clean_orders(chain(source.iter_values(), (order for order, _ in carried)), layout)
        log.info(
            "%d orders for %s from %s and %d earlier ones without a result yet; %d expired; %d duplicates "
            "dropped; %d values refused (reasons in %s)",
            listed.orders,
            day,
            source.describe(),
            len(carried),
            expired,
            listed.duplicates,
            listed.rejected,
            listed.rejected_path,
        )
        return {
            **listed.as_xcom(),
            "carried_over": len(carried),
            "expired": expired,
            "seconds": round(time.monotonic() - started, 3),
        }

    @task
    def plan_shards(listed: dict[str, Any]) -> list[dict[str, Any]]:
        """Split the list into shards; returns their paths and sizes only."""
        context = get_current_context()
        return planning.plan_shards(_layout(context), listed["orders"], int(context["params"]["shard_size"]))

    @task(trigger_rule="none_failed")
    def find_duplicate_ids(fetched: list[dict[str, Any]] | None = None) -> int:
        """Fingerprints of ID numbers on several orders of the day, written to staging (never to XCom)."""
        context = get_current_context()
        paths = [ObjectStoragePath(summary["results_path"]) for summary in fetched or []]
        return staged.collect_duplicate_idcards(paths, _layout(context))

    @task(map_index_template="{{ shard_label }}")
    def validate_shard(fetched: dict[str, Any]) -> dict[str, Any]:
        """Judge one shard's records under the policy and stage their warehouse rows; returns counts by
        outcome, status and reason."""
        started = time.monotonic()
        context = get_current_context()
        index = int(fetched["shard"])
        context["shard_label"] = f"shard-{index:05d} ({fetched['orders']} orders)"  # type: ignore[typeddict-unknown-key]
        policy = _policy(context["params"]["policy"])
        pii = PiiPolicy.from_param(context["params"]["pii"])
        layout = DayLayout(fetched["storage_root"], date.fromisoformat(fetched["order_date"]))
        order_dates = planning.read_carried_over(layout)  # cards must be valid on their order's date
        summary = staged.validate_shard(index, layout, policy, order_dates=order_dates, pii=pii, key=pii.load_key())
        log.info("Shard %d: %s\n%s", index, summary["by_status"], staged.reason_table(summary["by_reason"], policy))
        return {**summary, "seconds": round(time.monotonic() - started, 3)}

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

    @task(outlets=[RESULTS_ASSET], trigger_rule="none_failed")  # an empty day (nothing mapped) still loads
    def load_warehouse(summaries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Merge the staged rows of every shard into the warehouse in one transaction (idempotent)."""
        started = time.monotonic()
        context = get_current_context()
        layout = _layout(context)
        loaded = _warehouse(context).load(layout, sorted(int(summary["shard"]) for summary in summaries or []))
        context["outlet_events"][RESULTS_ASSET].extra = {"run_date": layout.day.isoformat(), **loaded.as_xcom()}
        return {**loaded.as_xcom(), "seconds": round(time.monotonic() - started, 3)}

    @task(trigger_rule="none_failed")
    def run_summary(
        listed: dict[str, Any], fetched: list[dict[str, Any]], day: dict[str, Any], loaded: dict[str, Any]
    ) -> dict[str, Any]:
        """Write the day's counts and timings to ``kyc_sync_runs``; returns the orders per final status."""
        context = get_current_context()
        run_date = _order_date(context)
        warehouse = _warehouse(context)
        by_status = warehouse.run_counts(run_date)
        fetch_seconds = [float(summary["seconds"]) for summary in fetched or []]
        started = context["dag_run"].start_date
        warehouse.write_run(
            {
                "run_date": run_date.isoformat(),
                "dag_run_id": context["run_id"],
                "orders": listed["orders"],
                "carried_over": listed["carried_over"],
                "expired": listed["expired"],
                "rows_loaded": loaded["results"],
                "by_outcome": day["by_outcome"],
                "by_status": by_status,
                "by_reason": day["by_reason"],
                "gate": day["verdict"],
                "started_at": started.isoformat() if started else None,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "task_seconds": {
                    "list_orders": listed["seconds"],
                    "fetch_total": round(sum(fetch_seconds), 3),
                    "fetch_longest_shard": max(fetch_seconds, default=0.0),
                    "load_warehouse": loaded["seconds"],
                },
            }
        )
        log.info("Run %s: %s", run_date, by_status)
        return by_status

    listed = list_orders()
    fetch = TencentKycFetchOperator.partial(
        task_id="fetch_ocr_results",
        get_file="{{ params.get_file }}",
        concurrency="{{ params.concurrency }}",
        tencent_kyc_conn_id="{{ params.tencent_kyc_conn_id }}",
        parallel_shards=PARALLEL_SHARDS,
        max_active_tis_per_dag=PARALLEL_SHARDS,
        pool=POOL,
        map_index_template="{{ shard_label }}",
    ).expand(shard=plan_shards(listed))
    fetched = fetch.output
    duplicates = find_duplicate_ids(fetched)
    validated = validate_shard.expand(fetched=fetched)
    duplicates >> validated
    day = quality_gate(validated)
    loaded = load_warehouse(validated)
    day >> loaded
    run_summary(listed, fetched, day, loaded)
