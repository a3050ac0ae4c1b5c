"""The README's first command: run both daily DAGs end to end on embedded defaults, and say what happened.

It starts the bundled Tencent KYC simulator, seeds a demo order database (SQLite) for one date from the
simulator's orders (plus a duplicate and a malformed number, to show the cleaning), points the
``tencent_kyc_default`` and ``tencent_kyc_orders`` connections at them and ``tencent_kyc_warehouse`` at an
embedded SQLite warehouse, runs ``tencent_kyc_ocr_daily`` then ``tencent_kyc_face_daily`` for that date with
``airflow dags test``, and ends with the day's verdicts beside both syncs' outcome counts, and queries of the
warehouse. Everything lives under ``var/`` in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from airflow.sdk import ObjectStoragePath

from tencent_kyc.records import read_judged
from tencent_kyc.warehouse.syncs import FACE, OCR, Sync
from tencent_kyc_dev.dashboard import DEFAULT_PORT, where
from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.server import SimulatorServer

REPO = Path(__file__).resolve().parents[2]
#: The demo's HMAC key for ID numbers in the warehouse (a real deployment keeps its own in a secrets backend).
DEMO_PII_KEY = "demo-pii-key-not-for-production"
QUERIES = (
    "SELECT order_no, validation_status, name, substr(idcard, 1, 12) AS idcard_hmac, front_warnings, back_warnings\n"
    "FROM kyc_ocr_results WHERE order_date = ? ORDER BY order_no LIMIT 5",
    "SELECT order_no, outcome, code, similarity, live_rate, validation_status, validation_reasons\n"
    "FROM kyc_face_results WHERE order_date = ? ORDER BY order_no LIMIT 5",
    "SELECT verdict, verdict_reasons, COUNT(*) AS orders FROM kyc_verifications WHERE order_date = ?\n"
    "GROUP BY verdict, verdict_reasons ORDER BY orders DESC LIMIT 8",
)


def _seed_orders(database: Path, day: date, orders: list[str]) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS kyc_orders (order_no TEXT, order_date TEXT)")
        connection.execute("DELETE FROM kyc_orders WHERE order_date = ?", (day.isoformat(),))
        extra = [orders[0], "NOT-A-VALID-ORDER"]  # a duplicate and a malformed number
        connection.executemany(
            "INSERT INTO kyc_orders VALUES (?, ?)", [(order, day.isoformat()) for order in orders + extra]
        )


def _environment(var: Path, simulator: SimulatorServer, database: Path, warehouse: Path) -> dict[str, str]:
    kyc = {
        "conn_type": "tencent_kyc",
        "host": simulator.url,
        "login": simulator.config.app_id,
        "password": simulator.config.secret,
        "extra": {"qps_quota": simulator.config.qps, "credential_path": str(var / "credentials" / "demo.credentials")},
    }
    return {
        **os.environ,
        "AIRFLOW_HOME": str(var / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_TENCENT_KYC_DEFAULT": json.dumps(kyc),
        "AIRFLOW_CONN_TENCENT_KYC_ORDERS": json.dumps({"conn_type": "sqlite", "host": str(database)}),
        "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)}),
        "AIRFLOW_CONN_TENCENT_KYC_PII": json.dumps({"conn_type": "generic", "password": DEMO_PII_KEY}),
        "TENCENT_KYC_STORAGE_ROOT": f"file://{var / 'data'}",
    }


def _airflow(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "airflow", *args], env=env, check=True)


def _records(folder: Path) -> list[dict[str, Any]]:
    return [
        record.to_json()
        for shard in sorted(folder.glob("shard-*.jsonl.gz"))
        for record in read_judged(ObjectStoragePath(shard.as_uri()))
    ]


def _query(warehouse: Path, day: date) -> None:
    """Show the day's rows in the warehouse, with the queries that read them."""
    print(f"\nThe warehouse (SQLite {warehouse}):")
    with sqlite3.connect(warehouse) as connection:
        for query in QUERIES:
            cursor = connection.execute(query, (day.isoformat(),))
            rows = [[("" if v is None else str(v)) for v in row] for row in cursor.fetchall()]
            header = [column[0] for column in cursor.description]
            widths = [max(len(text) for text in column) for column in zip(header, *rows, strict=False)]
            print(f"\n{query.replace('?', repr(day.isoformat()))};\n")
            for line in [header, *rows]:
                print("  " + "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)))
    print(f'\nMore: sqlite3 {warehouse} "SELECT * FROM kyc_sync_runs"')


def _report(var: Path, day: date, sync: Sync) -> Counter[str]:
    """What the sync's run staged: outcomes, evidence, verdicts of the policy, top reasons; returns the outcomes."""
    staging = var / "data" / "staging" / sync.name / day.isoformat()
    results = _records(staging / "results")
    judged = _records(staging / "validated") + _records(staging / "quarantine")
    evidence = var / "data" / "evidence" / day.isoformat()
    stored = sum(1 for path in evidence.glob("*/*") if path.name.startswith("face.") == (sync is FACE))
    outcomes = Counter(r["outcome"] for r in results)
    print(f"\n=== {sync.dag_id} for {day}: {len(results)} orders ({sync.label})")
    print("Fetch outcomes:")
    for outcome in sync.outcomes:
        print(f"  {outcome:<28}{outcomes[outcome]:>6}")
    print(f"  {'evidence files stored':<28}{stored:>6}")
    print("Validation (default policy):")
    for status, count in sorted(Counter(r["status"] for r in judged).items()):
        print(f"  {status:<28}{count:>6}")
    print("Top reasons:")
    for reason, count in Counter(reason for r in judged for reason in r["reasons"]).most_common(6):
        print(f"  {reason:<28}{count:>6}")
    print(f"Staged records:   {staging} (results/, validated/, quarantine/)")
    print(f"Refused values:   {staging / 'rejected_orders.jsonl'}")
    return outcomes


def _verdicts(warehouse: Path, day: date, outcomes: dict[str, Counter[str]]) -> None:
    """The day's one verdict per order (kyc_verifications) beside both syncs' outcome counts."""
    with sqlite3.connect(warehouse) as connection:
        verdicts = dict(
            connection.execute(
                "SELECT verdict, COUNT(*) FROM kyc_verifications WHERE order_date = ? GROUP BY verdict",
                (day.isoformat(),),
            ).fetchall()
        )
    columns = [
        (OCR.label, [(name, outcomes[OCR.name][name]) for name in OCR.outcomes]),
        (FACE.label, [(name, outcomes[FACE.name][name]) for name in FACE.outcomes]),
        (
            "verdict (kyc_verifications)",
            [(name, verdicts.get(name, 0)) for name in ("verified", "rejected", "incomplete")],
        ),
    ]
    print(f"\n=== {day}: one verdict per order, beside what each sync found")
    print("  " + "".join(f"{title:<38}" for title, _ in columns))
    for line in range(max(len(cells) for _, cells in columns)):
        cells = [f"{cells[line][0]:<24}{cells[line][1]:>6}" if line < len(cells) else "" for _, cells in columns]
        print("  " + "".join(f"{cell:<38}" for cell in cells))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tencent_kyc_dev.demo", description=__doc__.splitlines()[0])
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    parser.add_argument("--date", type=date.fromisoformat, default=yesterday, help="order date (default: yesterday)")
    parser.add_argument("--orders", type=int, default=400, help="orders the simulator holds for the date")
    parser.add_argument("--qps", type=int, default=20, help="the simulated QPS quota (Tencent's default: 20)")
    parser.add_argument("--var", type=Path, default=REPO / "var", help="folder for Airflow, staging and evidence")
    args = parser.parse_args(argv)
    var = args.var.resolve()

    config = SimulatorConfig(port=0, orders_per_day=args.orders, qps=args.qps)
    with SimulatorServer(config) as simulator:
        print(f"Simulator on {simulator.url} (WBappid {config.app_id}, quota {config.qps} QPS)")
        orders = requests.get(f"{simulator.url}/admin/orders", params={"date": args.date.isoformat()}, timeout=60)
        database, warehouse = var / "demo" / "orders.db", var / "demo" / "warehouse.db"
        _seed_orders(database, args.date, list(orders.json()["orders"]))
        env = _environment(var, simulator, database, warehouse)
        _airflow(env, "db", "migrate")
        conf = json.dumps({"order_date": args.date.isoformat()})
        for sync in (OCR, FACE):
            _airflow(env, "dags", "test", sync.dag_id, "--conf", conf)
    outcomes = {sync.name: _report(var, args.date, sync) for sync in (OCR, FACE)}
    _query(warehouse, args.date)
    _verdicts(warehouse, args.date, outcomes)
    print(f"\n{where(f'http://127.0.0.1:{DEFAULT_PORT}')}")


if __name__ == "__main__":
    main()
