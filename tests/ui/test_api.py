"""The dashboard's JSON API on a real api-server, over warehouses filled by running the DAG (SQLite and PostgreSQL).

The api-server runs with the simple auth manager in multi-team mode: the DAG's bundle belongs to the team
``kyc``; ``analyst`` (viewer, team kyc) may read the DAG, ``outsider`` (viewer, team others) may not. So a
403 comes from Airflow's own DAG permission check, as it would for any auth manager.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from airflow.dag_processing.dagbag import DagBag

from api_server import ApiServer, api_server, server_environment
from tencent_kyc.ui.app import URL_PREFIX
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.schema import RUNS
from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.server import SimulatorServer
from warehouse_helpers import postgres_connection, query

pytestmark = pytest.mark.slow  # a DAG run per day and an api-server per warehouse: about 45 s each

DAG_ID = "tencent_kyc_ocr_daily"
DAGS = Path(__file__).resolve().parents[2] / "dags"
DAYS = (date(2026, 11, 26), date(2026, 11, 27))
PII_KEY = "a-test-key-of-32-characters-long"
USERS = ["admin:admin", "analyst:viewer:kyc", "outsider:viewer:others"]
BUNDLES = [
    {"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", "kwargs": {},
     "team_name": "kyc"},
]  # fmt: skip


@pytest.fixture(scope="module")
def team_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An AIRFLOW_HOME in multi-team mode whose DAG bundle belongs to the team ``kyc``."""
    home = tmp_path_factory.mktemp("ui-home")
    env = server_environment(
        home,
        USERS,
        {
            "AIRFLOW__CORE__MULTI_TEAM": "True",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(BUNDLES),
        },
    )
    for command in (["db", "migrate"], ["teams", "create", "others"], ["teams", "sync"], ["dags", "reserialize"]):
        subprocess.run([sys.executable, "-m", "airflow", *command], env=env, check=True, capture_output=True)
    return home, env


def fill(warehouse: str, simulator_factory: Callable[..., Any], root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the DAG for two days into ``warehouse`` (a connection's JSON), the second one's gate in mode warn."""
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE", warehouse)
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_PII", json.dumps({"conn_type": "generic", "password": PII_KEY}))
    dag = DagBag(dag_folder=str(DAGS)).get_dag(DAG_ID)
    for day in DAYS:
        simulator = simulator_factory(qps=200, today=day, orders_per_day=60, photo_lag_seconds=0)
        credentials = str(root / f"{day}.credentials")
        kyc = {
            "conn_type": "tencent_kyc",
            "host": simulator.url,
            "login": simulator.config.app_id,
            "password": simulator.config.secret,
            "extra": {"qps_quota": 200, "credential_path": credentials},
        }
        monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_DEFAULT", json.dumps(kyc))
        orders = requests.get(f"{simulator.url}/admin/orders", params={"date": day.isoformat()}, timeout=30).json()
        gate = {"max_rejected_share": 0.25 if day == DAYS[0] else 0.0, "max_no_result_share": 1.0, "mode": "warn"}
        conf = {
            "order_date": day.isoformat(),
            "order_source": {"kind": "list", "orders": orders["orders"]},
            "storage_root": f"file://{root}/data",
            "get_file": False,
            "quality_gate": gate,
        }
        assert dag.test(run_conf=conf).state == "success"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(
    request: pytest.FixtureRequest,
    team_home: tuple[Path, dict[str, str]],
    airflow_db: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ApiServer, str]]:
    """A warehouse filled by the DAG, and an api-server whose dashboard reads it; yields (server, conn JSON)."""
    root = tmp_path_factory.mktemp(f"ui-{request.param}")
    with contextlib.ExitStack() as cleanup:
        if request.param == "sqlite":
            warehouse = json.dumps({"conn_type": "sqlite", "host": str(root / "warehouse.db")})
        else:
            dsn = request.getfixturevalue("postgres_dsn")
            warehouse = postgres_connection(dsn, cleanup.enter_context(module_schema(dsn)))
        yield from serve(warehouse, root, team_home[1])


@contextlib.contextmanager
def module_schema(dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for the module's warehouse, dropped afterwards."""
    schema = f"ui_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def serve(warehouse: str, root: Path, env: dict[str, str]) -> Iterator[tuple[ApiServer, str]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        simulators: list[Any] = []  # simulator_factory is per test; these live for the module

        def start(**knobs: Any) -> Any:
            server = SimulatorServer(SimulatorConfig(port=0, **knobs)).start()
            simulators.append(server)
            return server

        try:
            fill(warehouse, start, root, monkeypatch)
        finally:
            for simulator in simulators:
                simulator.stop()
    with api_server({**env, "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": warehouse}, root / "api-server.log") as server:
        yield server, warehouse


def table(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``kyc_sync_runs`` as the dashboard should show it (JSON columns decoded, dates as ISO text)."""
    monkeypatch.setenv("AIRFLOW_CONN_KYC_UI_WAREHOUSE", warehouse)
    rows = query(
        warehouse_for("kyc_ui_warehouse"), f"SELECT {', '.join(RUNS.names)} FROM {RUNS.name} ORDER BY run_date"
    )
    decoded = []
    for row in rows:
        values = dict(zip(RUNS.names, row, strict=True))
        for name in ("by_outcome", "by_status", "by_reason", "gate_detail", "task_seconds"):
            values[name] = json.loads(values[name]) if values[name] else None
        decoded.append(values)
    return decoded


def test_the_days_are_what_kyc_sync_runs_holds(served: tuple[ApiServer, str], monkeypatch: pytest.MonkeyPatch) -> None:
    server, warehouse = served
    answer = server.get(f"{URL_PREFIX}/api/days", "analyst", dag_id=DAG_ID, since="2026-11-01", until="2026-11-30")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = table(warehouse, monkeypatch)
    assert (
        [day["run_date"] for day in body["days"]] == [row["run_date"] for row in rows] == [d.isoformat() for d in DAYS]
    )
    assert body["sync"]["name"] == "ocr" and body["sync"]["statuses"][0] == "loaded"
    for day, row in zip(body["days"], rows, strict=True):
        assert (day["orders"], day["rows_loaded"], day["dag_run_id"]) == (
            row["orders"],
            row["rows_loaded"],
            row["dag_run_id"],
        )
        assert day["by_status"] == row["by_status"] and sum(day["by_status"].values()) == row["orders"]
        assert day["by_reason"] == row["by_reason"] and day["by_outcome"] == row["by_outcome"]
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


def test_one_day_in_detail_with_where_its_quarantine_is(
    served: tuple[ApiServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, warehouse = served
    detail = server.get(f"{URL_PREFIX}/api/days/{DAYS[1]}", "analyst", dag_id=DAG_ID).json()
    row = table(warehouse, monkeypatch)[1]
    assert detail["by_status"] == row["by_status"] and detail["staging"]["path"] == row["staging_path"]
    assert detail["staging"]["quarantine"].endswith("/staging/ocr/2026-11-27/quarantine/")
    assert detail["staging"]["refused_values"].endswith("/staging/ocr/2026-11-27/rejected_orders.jsonl")
    monkeypatch.setenv("AIRFLOW_CONN_KYC_UI_WAREHOUSE", warehouse)
    rejected = query(
        warehouse_for("kyc_ui_warehouse"),
        "SELECT order_no, validation_reasons FROM kyc_ocr_results WHERE run_date = '2026-11-27' "
        "AND validation_status = 'rejected' ORDER BY order_no",
    )
    assert [(q["order_no"], " ".join(q["reasons"])) for q in detail["quarantined"]] == rejected and rejected
    by_run = server.get(f"{URL_PREFIX}/api/runs/{row['dag_run_id']}", "analyst", dag_id=DAG_ID).json()
    assert by_run == detail
    assert server.get(f"{URL_PREFIX}/api/days/2026-11-01", "analyst", dag_id=DAG_ID).status_code == 404


def test_nothing_personal_leaves(served: tuple[ApiServer, str]) -> None:
    server, _ = served
    text = server.get(f"{URL_PREFIX}/api/days/{DAYS[1]}", "analyst", dag_id=DAG_ID).text
    text += server.get(f"{URL_PREFIX}/api/days", "analyst", dag_id=DAG_ID, since="2026-11-01").text
    assert not re.search(r"\d{17}[\dX]", text)  # no ID number
    assert not re.search(r"[\u4e00-\u9fff]{2,}", text)  # no name or address (the codes are ASCII)


ROUTES = [
    (f"{URL_PREFIX}/api/days", {"dag_id": DAG_ID}),
    (f"{URL_PREFIX}/api/days/{DAYS[1]}", {"dag_id": DAG_ID}),
    (f"{URL_PREFIX}/api/runs/any-run", {"dag_id": DAG_ID}),
    (f"{URL_PREFIX}/run", {"dag_id": DAG_ID, "run_id": "any-run"}),
]


@pytest.mark.parametrize(("path", "params"), [*ROUTES, (f"{URL_PREFIX}/api/dags", {}), (f"{URL_PREFIX}/", {}),
                                              (f"{URL_PREFIX}/static/dashboard.js", {})])  # fmt: skip
def test_every_route_needs_a_signed_in_user(served: tuple[ApiServer, str], path: str, params: dict[str, str]) -> None:
    server, _ = served
    answer = server.get(path, None, **params)
    assert answer.status_code == 401 and answer.json() == {"detail": "Not authenticated"}


@pytest.mark.parametrize(("path", "params"), ROUTES)
def test_the_dag_routes_need_read_access_to_the_dag(
    served: tuple[ApiServer, str], path: str, params: dict[str, str]
) -> None:
    server, _ = served
    answer = server.get(path, "outsider", **params)
    assert answer.status_code == 403 and answer.json() == {"detail": "Forbidden"}


def test_the_dag_list_shows_only_readable_dags(served: tuple[ApiServer, str]) -> None:
    server, _ = served
    assert [dag["dag_id"] for dag in server.get(f"{URL_PREFIX}/api/dags", "analyst").json()] == [DAG_ID]
    assert server.get(f"{URL_PREFIX}/api/dags", "outsider").json() == []


def test_pages_and_assets_are_served_and_nothing_is_writable(served: tuple[ApiServer, str]) -> None:
    server, _ = served
    page = server.get(f"{URL_PREFIX}/", "analyst")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    script = server.get(f"{URL_PREFIX}/static/dashboard.js", "analyst")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert server.get(f"{URL_PREFIX}/static/../app.py", "analyst").status_code == 404
    token = server.token("admin")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = requests.request(
            method, f"{server.url}{URL_PREFIX}/api/days", params={"dag_id": DAG_ID}, timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert answer.status_code == 405, method
