"""What the tests of both daily DAGs share: the DAGs as parsed, a fresh SQLite warehouse and the HMAC key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag

from daily_helpers import PII_KEY

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(autouse=True)
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default warehouse connection on a fresh SQLite file, and the HMAC key connection."""
    database = tmp_path / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(database)}))
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_PII", json.dumps({"conn_type": "generic", "password": PII_KEY}))
    return database


@pytest.fixture(scope="module")
def dag_bag(airflow_db: str) -> DagBag:
    """Both daily DAGs, parsed from the dags folder without import errors."""
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag


@pytest.fixture(scope="module")
def dag(dag_bag: DagBag, request: pytest.FixtureRequest) -> Any:
    """The DAG a test module names in its ``DAG_ID``."""
    return dag_bag.get_dag(request.module.DAG_ID)
