"""Mode ``review`` on the real multi-process Airflow (scheduler, api-server, dag-processor on PostgreSQL).

After the stack's own run, three more days are triggered with a gate that trips in mode ``review``. Each waits
in ``awaiting_input``; it is answered as the UI answers, ``PATCH …/hitlDetails`` on the api-server: Approve
loads the day and records the reviewer and the comment, Reject loads nothing and fails the run saying why, and
a review left unanswered past ``response_timeout`` fails as mode ``fail`` does (the scheduler enforces it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest
import requests

from tencent_kyc_dev.stack.config import DAG_ID
from tencent_kyc_dev.stack.report import RunReport
from tencent_kyc_dev.stack.runner import Stack

TRIPPING_GATE = {"max_rejected_share": 0.0, "max_no_result_share": 1.0, "mode": "review"}


def trigger(stack: Stack, days_before: int, **conf: Any) -> tuple[str, str]:
    """A run for an earlier day of the simulator's orders (its first 80), with the tripping gate."""
    day = (stack.config.day - timedelta(days=days_before)).isoformat()
    orders = requests.get(f"{stack.simulator_url}/admin/orders", params={"date": day}, timeout=30).json()["orders"]
    run = stack.airflow.api(
        "POST",
        f"/dags/{DAG_ID}/dagRuns",
        json={
            "logical_date": f"{day}T00:00:00+00:00",
            "conf": {
                "order_date": day,
                "order_source": {"kind": "list", "orders": orders[:80]},
                "get_file": False,
                "quality_gate": TRIPPING_GATE,
                "response_timeout": 600,
                **conf,
            },
        },
    )
    return str(run["dag_run_id"]), day


def wait_for_state(stack: Stack, run_id: str, task_id: str, state: str, timeout: float = 300) -> None:
    path = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}"
    stack.services.wait(f"{task_id} {state}", lambda: stack.airflow.api("GET", path).get("state") == state, timeout)


def wait_for_the_scheduler_to_see_the_deferral(stack: Stack, run_id: str, timeout: float = 120) -> None:
    """
    Airflow 3.3.2 fails a resumed task whose deferral exit the scheduler has not processed yet (the stale
    executor success is taken for a kill: apache/airflow#72716); an answer sent within a second or two of the
    request can lose that race on a slow machine. A person reads the request first; the test waits until the
    scheduler's log shows it took the deferral's exit (its first "TaskInstance Finished" for this task).
    """
    seen = f"TaskInstance Finished: dag_id={DAG_ID}, task_id=review_day, run_id={run_id},"
    log = stack.logs / "scheduler.log"
    stack.services.wait(
        "the scheduler taking review_day's deferral", lambda: seen in log.read_text(errors="replace"), timeout
    )


def answer(stack: Stack, run_id: str, option: str, comment: str) -> dict[str, Any]:
    wait_for_the_scheduler_to_see_the_deferral(stack, run_id)
    path = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/review_day/-1/hitlDetails"
    return dict(
        stack.airflow.api("PATCH", path, json={"chosen_options": [option], "params_input": {"comment": comment}})
    )


def states(stack: Stack, run_id: str) -> dict[str, str]:
    run = stack.airflow.wait_for_run(run_id, 300)
    return {"run": run["state"], **{ti["task_id"]: ti["state"] for ti in stack.airflow.task_instances(run_id)}}


def recorded(stack: Stack, day: str) -> tuple[Any, ...]:
    with psycopg.connect(stack.databases.dsn("warehouse")) as connection:
        row = connection.execute(
            "SELECT review_decision, reviewer, review_comment, rows_loaded, gate FROM kyc_sync_runs "
            "WHERE dag_id = %s AND run_date = %s",
            (DAG_ID, day),
        ).fetchone()
        results = connection.execute("SELECT COUNT(*) FROM kyc_ocr_results WHERE run_date = %s", (day,)).fetchone()
    assert row is not None and results is not None
    return (*row, results[0])


@pytest.fixture(scope="module")
def stack(stack_run: tuple[Stack, RunReport]) -> Stack:
    return stack_run[0]


def test_approve_loads_the_day_and_records_the_reviewer(stack: Stack) -> None:
    run_id, day = trigger(stack, 1)
    wait_for_state(stack, run_id, "review_day", "awaiting_input")
    pending = stack.airflow.api("GET", "/dags/~/dagRuns/~/hitlDetails", params={"response_received": False})
    (request,) = [d for d in pending["hitl_details"] if d["task_instance"]["dag_run_id"] == run_id]
    assert (
        "rejected" in request["body"]
        and "top reason" in request["body"]
        and request["options"] == ["Approve", "Reject"]
    )
    assert set(request["params"]) == {"comment"}  # the form: never the DAG's params (order lists)
    assert answer(stack, run_id, "Approve", "a known camera batch")["chosen_options"] == ["Approve"]
    found = states(stack, run_id)
    assert found["run"] == "success" and found["review_day"] == found["load_warehouse"] == "success"
    decision, reviewer, comment, loaded, gate, results = recorded(stack, day)
    assert (decision, reviewer, comment) == ("approved", "admin", "a known camera batch")
    assert loaded == results > 0 and gate.startswith("failed: rejected")


def test_reject_loads_nothing_and_fails_the_run_saying_why(stack: Stack) -> None:
    run_id, day = trigger(stack, 2)
    wait_for_state(stack, run_id, "review_day", "awaiting_input")
    answer(stack, run_id, "Reject", "too many re-shot cards")
    found = states(stack, run_id)
    assert found["run"] == "failed"
    assert (found["review_day"], found["load_warehouse"], found["run_summary"]) == ("success", "skipped", "failed")
    decision, reviewer, comment, loaded, _, results = recorded(stack, day)
    assert (decision, reviewer, comment, loaded, results) == ("rejected", "admin", "too many re-shot cards", 0, 0)


def test_no_answer_in_time_fails_as_mode_fail(stack: Stack) -> None:
    gate = {**TRIPPING_GATE, "max_no_result_share": 0.0}  # the simulator purged that day: every order has none
    # 20 s: the timeout resumes the task too, so it must come after the scheduler took the deferral (as above)
    run_id, day = trigger(stack, 3, response_timeout=20, quality_gate=gate)
    found = states(stack, run_id)
    assert found["run"] == "failed" and found["review_day"] == "failed" and found["load_warehouse"] == "upstream_failed"
    decision, _, _, loaded, _, results = recorded(stack, day)
    assert (decision, loaded, results) == ("timed_out", 0, 0)
