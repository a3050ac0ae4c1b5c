"""The dashboard's JSON API on a real api-server, over warehouses both daily DAGs filled (SQLite and PostgreSQL):
each sync's days and day details are what the warehouse holds (tests/ui/conftest.py sets it up)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tencent_kyc.hooks.pacer import HEADROOM
from tencent_kyc.ui import URL_PREFIX
from tencent_kyc.warehouse.schema import RUNS
from tencent_kyc.warehouse.syncs import FACE, OCR, Sync
from ui.served import DAYS, Served

pytestmark = pytest.mark.slow  # four DAG runs and an api-server per warehouse: about a minute each

SYNCS = pytest.mark.parametrize("sync", [OCR, FACE], ids=lambda sync: sync.name)
JSON_COLUMNS = ("by_outcome", "by_status", "by_reason", "gate_detail", "task_seconds")


def declaration(sync: Sync) -> dict[str, Any]:
    """A sync as the answers describe it."""
    return {"name": sync.name, "label": sync.label, "statuses": list(sync.statuses), "outcomes": list(sync.outcomes)}


def recorded(served: Served, sync: Sync) -> list[dict[str, Any]]:
    """The sync DAG's rows of ``kyc_sync_runs`` as the dashboard should show them (JSON columns decoded)."""
    rows = served.query(
        f"SELECT {', '.join(RUNS.names)} FROM {RUNS.name} WHERE dag_id = '{sync.dag_id}' ORDER BY run_date"
    )
    decoded = []
    for row in rows:
        values = dict(zip(RUNS.names, row, strict=True))
        for name in JSON_COLUMNS:
            values[name] = json.loads(values[name]) if values[name] else None
        decoded.append(values)
    return decoded


@SYNCS
def test_the_days_are_what_kyc_sync_runs_holds(served: Served, sync: Sync) -> None:
    answer = served.server.get(
        f"{URL_PREFIX}/api/days", "analyst", dag_id=sync.dag_id, since="2026-11-01", until="2026-11-30"
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = recorded(served, sync)
    assert (
        [day["run_date"] for day in body["days"]] == [row["run_date"] for row in rows] == [d.isoformat() for d in DAYS]
    )
    assert body["sync"] == declaration(sync) and body["fetch_goal"] == HEADROOM
    for day, row in zip(body["days"], rows, strict=True):
        assert day["sync"] == declaration(sync) and row["sync"] == sync.name
        assert (day["orders"], day["rows_loaded"], day["dag_run_id"]) == (
            row["orders"],
            row["rows_loaded"],
            row["dag_run_id"],
        )
        assert day["by_status"] == row["by_status"] and sum(day["by_status"].values()) == row["orders"]
        assert day["by_reason"] == row["by_reason"] and day["by_outcome"] == row["by_outcome"]
        assert set(day["by_outcome"]) <= set(sync.outcomes) and set(day["by_status"]) <= set(sync.statuses)
        assert day["gate"] == {"verdict": row["gate"], **row["gate_detail"]}
        assert day["fetch"]["calls"] == row["fetch_calls"] and day["fetch"]["rate"] == row["fetch_rate"]
        assert day["fetch"]["quota_use"] == round(row["fetch_rate"] / row["qps_quota"], 4)
        assert day["durations"] == row["task_seconds"] and set(day["durations"]) == {
            "list",
            "fetch",
            "validate",
            "load",
        }
    assert body["days"][0]["gate"]["passed"] and not body["days"][1]["gate"]["passed"]  # the second day's gate tripped


def test_the_face_days_hold_every_face_outcome_and_their_open_orders(served: Served) -> None:
    """The face DAG's own vocabulary and tables: its outcomes, and its open orders from ``kyc_face_status``."""
    body = served.server.get(f"{URL_PREFIX}/api/days", "analyst", dag_id=FACE.dag_id, since="2026-11-01").json()
    outcomes = {outcome for day in body["days"] for outcome in day["by_outcome"]}
    assert {"passed", "not_passed", "no_record"} <= outcomes  # the simulator's book has each: the check is not empty
    assert all(code.startswith("face.") for day in body["days"] for code in day["by_reason"])
    open_rows = served.query(
        "SELECT order_date, COUNT(*) FROM kyc_face_status WHERE status = 'no_result' OR "
        "(status = 'failed' AND retryable = 1) GROUP BY order_date ORDER BY order_date"
    )
    assert [(entry["order_date"], entry["orders"]) for entry in body["open_orders"]] == open_rows and open_rows


@SYNCS
def test_one_day_in_detail_with_where_its_quarantine_is(served: Served, sync: Sync) -> None:
    server = served.server
    detail = server.get(f"{URL_PREFIX}/api/days/{DAYS[1]}", "analyst", dag_id=sync.dag_id).json()
    row = recorded(served, sync)[1]
    assert detail["sync"] == declaration(sync) and detail["fetch_goal"] == HEADROOM
    assert detail["by_status"] == row["by_status"] and detail["staging"]["path"] == row["staging_path"]
    assert detail["staging"]["quarantine"].endswith(f"/staging/{sync.name}/2026-11-27/quarantine/")
    assert detail["staging"]["refused_values"].endswith(f"/staging/{sync.name}/2026-11-27/rejected_orders.jsonl")
    rejected = served.query(
        f"SELECT order_no, validation_reasons FROM {sync.results.name} WHERE run_date = '2026-11-27' "
        "AND validation_status = 'rejected' ORDER BY order_no"
    )
    assert [(q["order_no"], " ".join(q["reasons"])) for q in detail["quarantined"]] == rejected and rejected
    assert detail["quarantined_total"] == len(rejected) == row["by_status"]["quarantined"]
    by_run = server.get(f"{URL_PREFIX}/api/runs/{row['dag_run_id']}", "analyst", dag_id=sync.dag_id).json()
    assert by_run == detail
    assert server.get(f"{URL_PREFIX}/api/days/2026-11-01", "analyst", dag_id=sync.dag_id).status_code == 404


def test_a_run_of_one_dag_is_not_found_under_the_other(served: Served) -> None:
    """A run id is looked up within the DAG asked for: the OCR run is no day of the face DAG."""
    (row,) = [r for r in recorded(served, OCR) if r["run_date"] == DAYS[0].isoformat()]
    answer = served.server.get(f"{URL_PREFIX}/api/runs/{row['dag_run_id']}", "analyst", dag_id=FACE.dag_id)
    assert answer.status_code == 404


def test_nothing_personal_leaves(served: Served) -> None:
    server = served.server
    text = server.get(f"{URL_PREFIX}/api/verdicts", "analyst", since="2026-11-01", until="2026-11-30").text
    for sync in (OCR, FACE):
        text += server.get(f"{URL_PREFIX}/api/days/{DAYS[1]}", "analyst", dag_id=sync.dag_id).text
        text += server.get(f"{URL_PREFIX}/api/days", "analyst", dag_id=sync.dag_id, since="2026-11-01").text
    assert "face quarantined" in text and "quarantined_total" in text  # the answers were read
    assert not re.search(r"\b\d{17}[\dX]\b", text)  # no ID number (order numbers hold digit runs, never alone)
    assert not re.search(r"[\u4e00-\u9fff]{2,}", text)  # no name or address (the codes are ASCII)


def test_the_dag_list_shows_only_readable_dags(served: Served) -> None:
    server = served.server
    listed = server.get(f"{URL_PREFIX}/api/dags", "analyst").json()
    assert listed == [
        {"dag_id": FACE.dag_id, "sync": declaration(FACE)},
        {"dag_id": OCR.dag_id, "sync": declaration(OCR)},
    ]
    assert [dag["dag_id"] for dag in server.get(f"{URL_PREFIX}/api/dags", "ocr_analyst").json()] == [OCR.dag_id]
    assert server.get(f"{URL_PREFIX}/api/dags", "outsider").json() == []
