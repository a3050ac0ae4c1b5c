"""The dashboard's tests share one real api-server per warehouse (SQLite, PostgreSQL), over a warehouse that both
daily DAGs filled with ``dag.test()`` against the simulator.

The api-server runs the simple auth manager in multi-team mode with each DAG in a bundle of its own team, so
that access is decided per DAG by Airflow itself: ``analyst`` (viewer, teams ocr and face) reads both DAGs,
``ocr_analyst`` (viewer, team ocr) the OCR DAG only, ``outsider`` (viewer, team others) neither.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from airflow.dag_processing.dagbag import DagBag

from api_server import ApiServer
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.syncs import FACE, OCR, Sync
from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.server import SimulatorServer
from warehouse_helpers import query

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAYS = (date(2026, 11, 26), date(2026, 11, 27))
PII_KEY = "a-test-key-of-32-characters-long"
USERS = ["admin:admin", "analyst:viewer:ocr|face", "ocr_analyst:viewer:ocr", "outsider:viewer:others"]
#: Each sync's run parameters beyond the shared ones: no evidence kept (the pages never show it).
EVIDENCE = {OCR.name: {"get_file": False}, FACE.name: {"face_media": "none"}}
#: One daily DAG alone, from the DAG file: its bundle (and so its team) holds that DAG only. The file builds
#: both DAGs; with auto-registration off, the bundle's parser finds only the one this module names.
ONE_DAG = '''"""{dag_id} alone (airflow dag bundle of the dashboard tests)."""
import importlib.util
import sys

from airflow.sdk.definitions._internal.contextmanager import DagContext

_spec = importlib.util.spec_from_file_location("_{dag_id}_source", {path!r})
_module = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_registering, DagContext.current_autoregister_module_name = DagContext.current_autoregister_module_name, None
try:
    _spec.loader.exec_module(_module)
finally:
    DagContext.current_autoregister_module_name = _registering
{dag_id} = getattr(_module, {dag_id!r})
'''


@dataclass(frozen=True)
class Served:
    """The api-server, and the warehouse its dashboard reads (a connection's JSON)."""

    server: ApiServer
    warehouse: str

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows read in the warehouse itself, not through the dashboard (dates as ISO text)."""
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("AIRFLOW_CONN_KYC_UI_WAREHOUSE", self.warehouse)
            return query(warehouse_for("kyc_ui_warehouse"), sql)


def bundles(home: Path) -> list[dict[str, Any]]:
    """A bundle per DAG, of the team named after its sync."""
    found = []
    for sync in (OCR, FACE):
        folder = home / "bundles" / sync.name
        folder.mkdir(parents=True)
        (folder / f"{sync.dag_id}.py").write_text(
            ONE_DAG.format(dag_id=sync.dag_id, path=str(DAGS / "tencent_kyc_daily.py"))
        )
        found.append({"name": f"kyc-{sync.name}", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                      "kwargs": {"path": str(folder)}, "team_name": sync.name})  # fmt: skip
    return found


def run_conf(sync: Sync, day: date, orders: list[str], root: Path) -> dict[str, Any]:
    """The second day's gate trips (in mode warn, so the day is loaded all the same)."""
    gate = {"max_rejected_share": 0.25 if day == DAYS[0] else 0.0, "max_no_result_share": 1.0, "mode": "warn"}
    return {
        "order_date": day.isoformat(),
        "order_source": {"kind": "list", "orders": orders},
        "storage_root": f"file://{root}/data",
        "quality_gate": gate,
        **EVIDENCE[sync.name],
    }


def fill(warehouse: str, simulator_factory: Callable[..., Any], root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run both DAGs for two days into ``warehouse`` (a connection's JSON), the same orders each day."""
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE", warehouse)
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_PII", json.dumps({"conn_type": "generic", "password": PII_KEY}))
    bag = DagBag(dag_folder=str(DAGS))
    for day in DAYS:
        simulator = simulator_factory(qps=200, today=day, orders_per_day=60, photo_lag_seconds=0)
        kyc = {
            "conn_type": "tencent_kyc",
            "host": simulator.url,
            "login": simulator.config.app_id,
            "password": simulator.config.secret,
            "extra": {"qps_quota": 200, "credential_path": str(root / f"{day}.credentials")},
        }
        monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_DEFAULT", json.dumps(kyc))
        orders = requests.get(f"{simulator.url}/admin/orders", params={"date": day.isoformat()}, timeout=30).json()
        for sync in (OCR, FACE):
            assert (
                bag.get_dag(sync.dag_id).test(run_conf=run_conf(sync, day, orders["orders"], root)).state == "success"
            )


@contextlib.contextmanager
def module_schema(dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for the warehouse, dropped afterwards."""
    schema = f"ui_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def filled(warehouse: str, root: Path) -> None:
    """Fill the warehouse with simulators that live only as long as the runs."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        simulators: list[Any] = []  # simulator_factory is per test; these live for the package

        def start(**knobs: Any) -> Any:
            server = SimulatorServer(SimulatorConfig(port=0, **knobs)).start()
            simulators.append(server)
            return server

        try:
            fill(warehouse, start, root, monkeypatch)
        finally:
            for simulator in simulators:
                simulator.stop()
