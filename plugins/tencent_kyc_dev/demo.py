"""The README's first command: run the daily DAG end to end on embedded defaults, and say what happened.

It starts the bundled Tencent KYC simulator, seeds a demo order database (SQLite) for one date from the
simulator's orders (plus a duplicate and a malformed number, to show the cleaning), points the
``tencent_kyc_default`` and ``tencent_kyc_orders`` connections at them and ``tencent_kyc_warehouse`` at an
embedded SQLite warehouse, runs ``tencent_kyc_ocr_daily`` for that date with ``airflow dags test``, and ends
with a query of the day's rows in the warehouse. Everything lives under ``var/`` in the repository.
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
from tencent_kyc_dev.dashboard import DEFAULT_PORT, where
from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.server import SimulatorServer

REPO = Path(__file__).resolve().parents[2]
#: The demo's HMAC key for ID numbers in the warehouse (a real deployment keeps its own in a secrets backend).
DEMO_PII_KEY = "demo-pii-key-not-for-production"
QUERIES = (
    "SELECT status, COUNT(*) AS orders FROM kyc_order_status WHERE order_date = ? GROUP BY status ORDER BY orders DESC",
    "SELECT order_no, validation_status, name, substr(idcard, 1, 12) AS idcard_hmac, front_warnings, back_warnings\n"
    "FROM kyc_ocr_results WHERE order_date = ? ORDER BY order_no LIMIT 8",
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


def _report(var: Path, day: date) -> None:
    staging = var / "data" / "staging" / "ocr" / day.isoformat()
    results = _records(staging / "results")
    judged = _records(staging / "validated") + _records(staging / "quarantine")
    photos = list((var / "data" / "evidence" / day.isoformat()).glob("*/*.jpg"))
    print(f"\n=== tencent_kyc_ocr_daily for {day}: {len(results)} orders")
    print("Fetch outcomes:")
    for outcome, count in sorted(Counter(r["outcome"] for r in results).items()):
        print(f"  {outcome:<28}{count:>6}")
    print(f"  {'photos stored':<28}{len(photos):>6}")
    print("Validation (default policy):")
    for status, count in sorted(Counter(r["status"] for r in judged).items()):
        print(f"  {status:<28}{count:>6}")
    print("Top reasons:")
    for reason, count in Counter(reason for r in judged for reason in r["reasons"]).most_common(8):
        print(f"  {reason:<28}{count:>6}")
    print(f"Fetched records:  {staging / 'results'}")
    print(f"Accepted:         {staging / 'validated'}")
    print(f"Quarantine:       {staging / 'quarantine'}")
    print(f"Refused values:   {staging / 'rejected_orders.jsonl'}")
    print(f"Photo evidence:   {var / 'data' / 'evidence' / day.isoformat()}")


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
        _airflow(env, "dags", "test", "tencent_kyc_ocr_daily", "--conf", conf)
    _report(var, args.date)
    _query(warehouse, args.date)
    print(f"\n{where(f'http://127.0.0.1:{DEFAULT_PORT}')}")


if __name__ == "__main__":
    main()
