"""The dashboard's tests share one real api-server per warehouse (SQLite, PostgreSQL), over a warehouse both daily
DAGs filled; how it is set up is in :mod:`ui.served`."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api_server import api_server, server_environment
from tencent_kyc.warehouse.syncs import FACE, OCR
from ui.served import USERS, Served, bundles, filled, module_schema
from warehouse_helpers import postgres_connection


@pytest.fixture(scope="package")
def team_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An AIRFLOW_HOME in multi-team mode, each DAG in its team's bundle."""
    home = tmp_path_factory.mktemp("ui-home")
    extra = {
        "AIRFLOW__CORE__MULTI_TEAM": "True",
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles(home)),
    }
    env = server_environment(home, USERS, extra)
    for command in (["db", "migrate"], ["teams", "create", "others"], ["teams", "sync"], ["dags", "reserialize"]):
        subprocess.run([sys.executable, "-m", "airflow", *command], env=env, check=True, capture_output=True)
    listed = subprocess.run([sys.executable, "-m", "airflow", "dags", "list", "-o", "json"], env=env, check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    assert {(dag["dag_id"], dag["bundle_name"]) for dag in json.loads(listed.splitlines()[-1])} == {
        (OCR.dag_id, "kyc-ocr"), (FACE.dag_id, "kyc-face")
    }, listed  # fmt: skip
    return home, env


@pytest.fixture(scope="package", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(
    request: pytest.FixtureRequest,
    team_home: tuple[Path, dict[str, str]],
    airflow_db: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """A warehouse both DAGs filled, and an api-server whose dashboard reads it."""
    root = tmp_path_factory.mktemp(f"ui-{request.param}")
    with contextlib.ExitStack() as cleanup:
        if request.param == "sqlite":
            warehouse = json.dumps({"conn_type": "sqlite", "host": str(root / "warehouse.db")})
        else:
            dsn = request.getfixturevalue("postgres_dsn")
            warehouse = postgres_connection(dsn, cleanup.enter_context(module_schema(dsn)))
        filled(warehouse, root)
        environment = {**team_home[1], "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": warehouse}
        with api_server(environment, root / "api-server.log") as server:
            yield Served(server, warehouse)
