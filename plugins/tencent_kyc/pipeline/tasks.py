"""The bodies of the daily DAG's tasks, one function each; every one returns a small XCom (paths and counts).

Each takes the task's Airflow context (for the params and, where needed, the run) and the upstream XComs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow.sdk import Asset, ObjectStoragePath
from airflow.sdk.exceptions import AirflowFailException

from tencent_kyc.orders import planning
from tencent_kyc.orders.sources import OrderSource, OrderSourceError, order_source, source_kind
from tencent_kyc.pipeline.config import ConfigError, RunConfig
from tencent_kyc.quality import gate, judge
from tencent_kyc.warehouse.base import Warehouse, WarehouseError
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.pii import PiiPolicyError
from tencent_kyc.warehouse.rows import stage_rows
from tencent_kyc.warehouse.syncs import Sync

log = logging.getLogger(__name__)
Context = Mapping[str, Any]


def _seconds_since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def render_source(description: Mapping[str, Any], render: Callable[[str], str]) -> OrderSource:
    """The ``order_source`` param with its templated keys rendered (only those: order numbers are data, never
    rendered), checked."""
    rendered = dict(description)
    for key in source_kind(description).templated:
        if isinstance(rendered.get(key), str):
            rendered[key] = render(rendered[key])
    return order_source(rendered)


def checked_settings(context: Context, sync: Sync) -> tuple[RunConfig, OrderSource, Warehouse]:
    """Every setting of the run, checked before any request is sent; a bad one fails the task without retries
    (a retry would not fix it)."""
    try:
        config = RunConfig.from_context(context, sync)
        day = config.order_date.isoformat()
        task = context["task"]
        source = render_source(
            context["params"]["order_source"], lambda text: task.render_template(text, {**context, "order_date": day})
        )
        warehouse = warehouse_for(config.warehouse_conn_id)
        warehouse.check_storage(config.layout)
        config.pii.load_key()
    except (ConfigError, OrderSourceError, WarehouseError, PiiPolicyError) as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from None
    return config, source, warehouse


def list_orders(context: Context, sync: Sync) -> dict[str, Any]:
    """Check the settings, expire what is past retention, then list the day's orders plus the earlier ones still
    waiting for a result, validated and de-duplicated, into staging storage."""
    started = time.monotonic()
    config, source, warehouse = checked_settings(context, sync)
    warehouse.ensure_schema()
    carried, expired = warehouse.open_orders(sync, config.order_date, config.retention_days)
    listed = planning.clean_orders(source.iter_values(), carried, config.layout)
    log.info(
        "%d orders for %s from %s and %d earlier ones without a result yet; %d expired; %d duplicates dropped; "
        "%d values refused (reasons in %s)",
        listed.orders,
        config.order_date,
        source.describe(),
        len(carried),
        expired,
        listed.duplicates,
        listed.rejected,
        listed.rejected_path,
    )
    return {**listed.as_xcom(), "carried_over": len(carried), "expired": expired, "seconds": _seconds_since(started)}


def plan_shards(context: Context, sync: Sync, listed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Split the list into shards; returns their plans (paths and sizes only)."""
    config = RunConfig.from_context(context, sync)
    return [plan.as_xcom() for plan in planning.plan_shards(config.layout, listed["orders"], config.shard_size)]


def find_duplicate_ids(context: Context, sync: Sync, fetched: Sequence[Mapping[str, Any]]) -> int:
    """Fingerprints of ID numbers on several orders of the day, written to staging (never to XCom)."""
    layout = RunConfig.from_context(context, sync).layout
    return judge.collect_duplicate_idcards([ObjectStoragePath(summary["results_path"]) for summary in fetched], layout)


def validate_shard(context: Context, sync: Sync, fetched: Mapping[str, Any]) -> dict[str, Any]:
    """Judge one shard's records under the policy and stage their warehouse rows in the same pass; returns counts
    by outcome, status and reason."""
    started = time.monotonic()
    config = RunConfig.from_context(context, sync)
    plan = planning.ShardPlan.from_xcom(fetched["plan"])
    context["shard_label"] = plan.label  # type: ignore[index]  # read by the task's map_index_template
    layout = plan.layout
    counts = judge.ShardCounts(plan.shard)
    judged = judge.judge_shard(plan.shard, layout, config.policy, counts)
    stage_rows(sync, layout, plan.shard, judged, config.pii, config.pii.load_key())
    summary = counts.as_xcom()
    log.info(
        "Shard %d: %s\n%s", plan.shard, summary["by_status"], judge.reason_table(summary["by_reason"], config.policy)
    )
    return {**summary, "seconds": _seconds_since(started)}


def quality_gate(context: Context, sync: Sync, summaries: Sequence[Mapping[str, Any]]) -> None:
    """Judge the day, pushing its counts and the verdict as the XCom ``day`` (for the review and the day's record,
    also when it fails); past the thresholds fail, warn, or leave it to the review, per the gate's mode."""
    config = RunConfig.from_context(context, sync)
    day = gate.evaluate(summaries, config.gate, sync.waiting)
    context["ti"].xcom_push(key="day", value=day)
    log.info("Quality gate for %s: %s", config.order_date, day["verdict"])
    if not day["passed"]:
        if config.gate.mode == "fail":
            raise AirflowFailException(f"Quality gate {day['verdict']}")
        log.warning("Quality gate %s (mode %r: the run goes on)", day["verdict"], config.gate.mode)


def load_warehouse(
    context: Context, sync: Sync, summaries: Sequence[Mapping[str, Any]], *, outlet: Asset
) -> dict[str, Any]:
    """Merge the staged rows of every shard into the warehouse in one transaction (idempotent); the ``outlet``
    asset's event says what was loaded."""
    started = time.monotonic()
    config = RunConfig.from_context(context, sync)
    shards = sorted(int(summary["shard"]) for summary in summaries if summary is not None)
    loaded = warehouse_for(config.warehouse_conn_id).load(sync, config.layout, shards)
    context["outlet_events"][outlet].extra = {"run_date": config.order_date.isoformat(), **loaded.as_xcom()}
    return {**loaded.as_xcom(), "seconds": _seconds_since(started)}
