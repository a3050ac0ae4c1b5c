"""The daily DAG on a real multi-process Airflow (api-server, scheduler with LocalExecutor, dag-processor on
PostgreSQL), the strict simulator, moto S3 and PostgreSQL databases, each its own OS process.

The shared run (``stack_run``, tests/dev/stack/conftest.py) must pass every deployment check; the same scenario
with a per-process credential store must be caught by the simulator. The negative case comes first, so that
it runs before the shared stack is started (they could run side by side, but would share two cores).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tencent_kyc_dev.stack.config import StackConfig
from tencent_kyc_dev.stack.report import TOKEN_GAP_TOLERANCE, RunReport, max_overlap
from tencent_kyc_dev.stack.runner import Stack
from tencent_kyc_dev.stack.services import session_members


def test_a_per_process_credential_store_is_caught_by_the_simulator(artifacts: Path, postgres_dsn: str) -> None:
    """Each task process fetches its own token, which retires the others' a moment later: Tencent refuses them."""
    config = StackConfig(
        var=artifacts / "stack-process",
        postgres=postgres_dsn,
        db_prefix="kyc_stack_test_process",
        credential_store="process",
        orders=1200,
        shard_size=300,
        overlap_seconds=2.0,  # a replaced token dies 2 s after the next one is issued
        timeout=150,
    )
    with Stack(config, echo=sys.stderr) as stack:
        report = stack.run()
        (stack.var / "report.json").write_text(report.to_json())
        print(report.describe(), file=sys.stderr)
        started = list(stack.services.started_pids)

    assert report.max_concurrent_shards >= 2, "the shard tasks must overlap for the scenario to mean anything"
    assert not report.checks["one_token_per_window"].passed
    assert report.token_requests >= config.shards, "every task process fetched a token of its own"
    assert min(report.token_gaps) < config.refresh_seconds - TOKEN_GAP_TOLERANCE
    assert not report.checks["no_auth_refusals"].passed
    assert report.auth_refusals["dead_ticket"] + report.auth_refusals["dead_token"] > 0
    # and the stack left nothing behind: no process of any session it started
    assert started and all(not session_members(pid) for pid in started)


def test_the_run_succeeded(report: RunReport) -> None:
    assert report.checks["run_succeeded"].passed, report.describe()
    assert report.finished and report.duration_seconds is not None


def test_every_shard_succeeded_and_several_ran_at_once(report: RunReport) -> None:
    assert report.checks["shards_succeeded"].passed, report.describe()
    assert [shard.label for shard in report.shards] == [f"shard-{index:05d} (1250 orders)" for index in range(4)]
    assert all(shard.state == "success" for shard in report.shards)
    assert report.checks["shards_concurrent"].passed, report.describe()
    assert report.max_concurrent_shards >= 2
    assert max_overlap([(shard.start, shard.end) for shard in report.shards]) == report.max_concurrent_shards


def test_one_token_request_per_refresh_window_and_never_two_at_once(report: RunReport) -> None:
    assert report.checks["one_token_per_window"].passed, report.describe()
    assert report.token_requests >= 3, "the run must span several refresh windows"
    assert all(gap >= report.refresh_seconds - TOKEN_GAP_TOLERANCE for gap in report.token_gaps)
    assert report.checks["no_concurrent_token_requests"].passed
    assert report.max_concurrent_token_requests == 1


def test_no_call_was_throttled_or_refused(report: RunReport) -> None:
    assert report.checks["no_throttling"].passed, report.describe()
    assert report.quota_refusals == {"throttled": 0, "tps_exceeded": 0}
    assert report.checks["no_auth_refusals"].passed, report.describe()
    assert report.ocr_requests >= report.orders_seeded  # photo re-queries come on top


def test_the_warehouse_holds_every_order_exactly_once(report: RunReport) -> None:
    assert report.orders_seeded == 5000
    assert report.checks["warehouse_exactly_once"].passed, report.describe()
    assert report.warehouse == {"rows": 5000, "distinct_orders": 5000}


def test_every_check_passed(stack_run: tuple[Stack, RunReport]) -> None:
    stack, report = stack_run
    assert report.passed, report.describe()
    assert (stack.var / "report.json").is_file()
    assert (stack.logs / "scheduler.log").is_file() and (stack.logs / "simulator.log").is_file()
