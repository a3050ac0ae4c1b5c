"""Both daily DAGs at once, as two ``airflow dags test`` processes on one WBappid, one storage root and one SQLite
warehouse: they share the quota (no throttled answer), their files never collide, their loads never fail on each
other's locks, and the verdicts follow the rule on what they loaded."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from connections import connection_json
from daily_helpers import PII_KEY
from verdict_cases import Side, expected
from verdict_cases import named_sides as sides_named

REPO = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 27)
ORDERS = 160
QUOTA = 20  # Tencent's default: the two DAGs together must stay under it


def airflow(home: Path, env: dict[str, str], *arguments: str) -> subprocess.Popen[bytes]:
    log = open(home / "airflow.log", "ab")  # noqa: SIM115 (closed with the process, by the OS)
    return subprocess.Popen([sys.executable, "-m", "airflow", *arguments], env=env, stdout=log, stderr=log)


def side(status: str | None, retryable: int | None, outcome: str | None = None) -> Side:
    """A warehouse side as the oracle reads it (the record callable is irrelevant: only whether one was seen)."""
    bad = status in ("quarantined", "expired") or (status == "failed" and retryable == 0) or outcome == "not_passed"
    good = status == "loaded" and outcome in (None, "passed")
    return Side(status or "unseen", bad, good, None if status is None else (lambda order: {}))


@pytest.mark.slow
def test_both_dags_at_once_share_the_quota_the_storage_and_the_warehouse(
    simulator_factory: Callable[..., Any], tmp_path: Path, airflow_db: str
) -> None:
    simulator = simulator_factory(qps=QUOTA, today=DAY, orders_per_day=ORDERS, photo_lag_seconds=0.3)
    orders = requests.get(simulator.url + "/admin/orders", params={"date": DAY.isoformat()}, timeout=30).json()
    warehouse, root = tmp_path / "warehouse.db", f"file://{tmp_path}/data"
    kyc = connection_json(
        simulator, qps_quota=QUOTA, credential_path=str(tmp_path / "one-app.credentials"), photo_retry_interval=0.5
    )
    conf = {
        "order_date": DAY.isoformat(),
        "order_source": {"kind": "list", "orders": orders["orders"]},
        "storage_root": root,
        "shard_size": 40,
        "quality_gate": {"mode": "warn"},
    }
    runs = []
    for dag_id in ("tencent_kyc_ocr_daily", "tencent_kyc_face_daily"):
        home = tmp_path / dag_id
        home.mkdir()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TENCENT_KYC"))},
            "AIRFLOW_HOME": str(home),  # one metadata database each: two writers would lock SQLite's
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_TENCENT_KYC_DEFAULT": kyc,
            "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)}),
            "AIRFLOW_CONN_TENCENT_KYC_PII": json.dumps({"conn_type": "generic", "password": PII_KEY}),
        }
        runs.append((dag_id, home, env))
    for migrating in [airflow(home, env, "db", "migrate") for _, home, env in runs]:
        assert migrating.wait(timeout=300) == 0
    started = [(dag_id, home, airflow(home, env, "dags", "test", dag_id, "--conf", json.dumps(conf)))
               for dag_id, home, env in runs]  # fmt: skip
    for dag_id, home, process in started:
        assert process.wait(timeout=600) == 0, f"{dag_id}: see {home / 'airflow.log'}"

    stats = simulator.stats()
    assert stats["throttled"] == 0  # one quota, shared live through the credential store
    assert stats["requests"].get("getOcrResult", 0) >= ORDERS and stats["requests"].get("queryfacerecord", 0) >= ORDERS

    # Files: each sync stages under its own folder; evidence of one order holds both syncs' files, none twice.
    for sync in ("ocr", "face"):
        assert (tmp_path / "data" / "staging" / sync / DAY.isoformat() / "results").is_dir()
    evidence = list((tmp_path / "data" / "evidence" / DAY.isoformat()).glob("*/*"))
    assert any(p.name == "face.jpg" for p in evidence) and any(p.name == "frontPhoto.jpg" for p in evidence)

    with sqlite3.connect(warehouse) as connection:
        runs_recorded = connection.execute("SELECT dag_id, sync, orders FROM kyc_sync_runs ORDER BY dag_id").fetchall()
        assert runs_recorded == [("tencent_kyc_face_daily", "face", ORDERS), ("tencent_kyc_ocr_daily", "ocr", ORDERS)]
        ocr = {o: (s, r) for o, s, r in connection.execute("SELECT order_no, status, retryable FROM kyc_order_status")}
        face = {
            o: (s, r, outcome)
            for o, s, r, outcome in connection.execute(
                "SELECT s.order_no, s.status, s.retryable, r.outcome FROM kyc_face_status s "
                "LEFT JOIN kyc_face_results r ON r.order_no = s.order_no"
            )
        }
        verdicts = connection.execute("SELECT order_no, verdict, verdict_reasons FROM kyc_verifications")
        found = {order: (verdict, why or "") for order, verdict, why in verdicts}
    assert set(found) == set(orders["orders"]) == set(ocr) == set(face)
    for order, (verdict, reasons) in found.items():
        rule = expected(side(*ocr[order]), side(*face[order]))
        assert (verdict, sides_named(reasons)) == rule, f"{order}: ocr {ocr[order]}, face {face[order]}"
    assert {verdict for verdict, _ in found.values()} == {"verified", "rejected", "incomplete"}
