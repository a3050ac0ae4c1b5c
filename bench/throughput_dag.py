"""Rows 1.5 and 1.6 of ``fetch_throughput.py``: the quota as the DAG uses it, end to end.

1.5: two ``airflow dags test`` processes of ``tencent_kyc_ocr_daily`` for two order dates at once, each with
     its own AIRFLOW_HOME (SQLite metadata database, SQLite warehouse, staging), sharing the simulator, the
     ``tencent_kyc`` connection and its credential store file: one WBappid, one quota.
1.6a: one ``airflow dags test`` of a day of several shards (mapped fetch tasks one after another).
1.6b: the same kind of day on the multi-process stack (``python -m tencent_kyc_dev.stack``: scheduler,
     LocalExecutor, shards at once, the database store on PostgreSQL).
1.7: the two syncs at once: ``airflow dags test`` of ``tencent_kyc_ocr_daily`` and of ``tencent_kyc_face_daily``
     for the same day's orders, sharing the simulator, the connection and its credential store file.

Figures come from what the product records: ``kyc_sync_runs`` (``fetch_calls``, ``fetch_throttled``,
``fetch_seconds`` = wall seconds during which at least one fetch task ran, ``qps_quota``) and, for 1.5, the
fetch tasks' own start and end (their XComs) to take the union over both runs; the simulator's counters
cross-check the calls and count throttled answers.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from throughput_clients import BenchError, CpuMeter, Row, Simulator, SimulatorWindow, kyc_connection, note

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "tencent_kyc_ocr_daily"
FACE_DAG_ID = "tencent_kyc_face_daily"
PII_KEY = "bench-pii-key-not-a-secret"
#: Goal of row 1.5 (as rows 1.1-1.4) and of row 1.6 (end to end).
PAIR_GOAL = 0.90
END_TO_END_GOAL = 0.85
STACK_DB_PREFIX = "kyc_bench_stack"


@dataclass
class DagTest:
    """One ``airflow dags test`` of the daily DAG in its own AIRFLOW_HOME."""

    name: str
    folder: Path
    day: str
    env: dict[str, str]
    conf: dict[str, Any]
    dag_id: str = DAG_ID
    fetch_task: str = "fetch_ocr_results"

    @property
    def log(self) -> Path:
        return self.folder / "dags-test.log"

    @property
    def warehouse(self) -> Path:
        return self.folder / "warehouse.db"

    @property
    def metadata(self) -> Path:
        return self.folder / "home" / "airflow.db"

    def sync_run(self) -> dict[str, Any]:
        """The run's row of ``kyc_sync_runs``."""
        with sqlite3.connect(self.warehouse) as connection:
            connection.row_factory = sqlite3.Row
            row = connection.execute("SELECT * FROM kyc_sync_runs WHERE run_date = ?", (self.day,)).fetchone()
        if row is None:
            raise BenchError(f"{self.name}: no kyc_sync_runs row for {self.day}; see {self.log}")
        return dict(row)

    def fetch_intervals(self) -> list[tuple[float, float]]:
        """When each fetch task fetched (``fetch_shard``'s start and end, from its XCom), as epoch seconds."""
        with sqlite3.connect(self.metadata) as connection:
            values = connection.execute(
                "SELECT value FROM xcom WHERE task_id = ? AND key = 'return_value'", (self.fetch_task,)
            ).fetchall()
        summaries = [json.loads(value) for (value,) in values]
        return [(float(s["started_at"]), float(s["ended_at"])) for s in summaries]

    def state(self) -> str:
        with sqlite3.connect(self.metadata) as connection:
            row = connection.execute("SELECT state FROM dag_run WHERE dag_id = ?", (self.dag_id,)).fetchone()
        return str(row[0]) if row else "missing"


def seed_orders(database: Path, days: dict[str, list[str]]) -> None:
    """The order table the DAG's default source reads (``SELECT order_no FROM kyc_orders WHERE order_date``)."""
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS kyc_orders (order_no TEXT, order_date TEXT)")
        for day, orders in days.items():
            connection.execute("DELETE FROM kyc_orders WHERE order_date = ?", (day,))
            connection.executemany("INSERT INTO kyc_orders VALUES (?, ?)", [(order, day) for order in orders])


def dag_test(
    args: argparse.Namespace, sim: Simulator, folder: Path, day: str, orders_db: Path, credentials: Path, shard: int
) -> DagTest:
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TENCENT_KYC"))},
        "AIRFLOW_HOME": str(folder / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_TENCENT_KYC_DEFAULT": kyc_connection(sim, qps_quota=args.qps, credential_path=str(credentials)),
        "AIRFLOW_CONN_TENCENT_KYC_ORDERS": json.dumps({"conn_type": "sqlite", "host": str(orders_db)}),
        "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(folder / "warehouse.db")}),
        "AIRFLOW_CONN_TENCENT_KYC_PII": json.dumps({"conn_type": "generic", "password": PII_KEY}),
        "TENCENT_KYC_STORAGE_ROOT": f"file://{folder / 'data'}",
    }
    conf = {
        "order_date": day,
        "shard_size": shard,
        "get_file": False,
        # The gate judges the simulator's synthetic day, not the fetch: it must not stop the run before run_summary.
        "quality_gate": {"max_rejected_share": 0.25, "max_no_result_share": 0.25, "mode": "warn"},
    }
    return DagTest(folder.name, folder, day, env, conf)


def _airflow(test: DagTest, *arguments: str) -> subprocess.Popen[bytes]:
    with open(test.log, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "airflow", *arguments], env=test.env, stdout=log, stderr=subprocess.STDOUT
        )


def run_dag_tests(tests: list[DagTest], sim: Simulator) -> tuple[float, float]:
    """Migrate every metadata database (untimed), then start every ``dags test`` at once; returns the wall time
    and the rest of the machine's CPU meanwhile."""
    for process, test in [(_airflow(test, "db", "migrate"), test) for test in tests]:
        if process.wait() != 0:
            raise BenchError(f"{test.name}: airflow db migrate failed; see {test.log}")
    meter = CpuMeter(sim)  # first: it may wait for a quiet machine
    started = time.time()
    processes = [(_airflow(test, "dags", "test", test.dag_id, "--conf", json.dumps(test.conf)), test) for test in tests]
    for process, test in processes:
        code = process.wait()
        if code != 0 or test.state() != "success":
            tail = test.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"{test.name}: dags test exited {code}, run {test.state()}; end of its log:\n{tail}")
    return time.time() - started, meter.others()


def prepare(
    args: argparse.Namespace, sim: Simulator, work: Path, label: str, days: dict[str, int], shard_size: int
) -> list[DagTest]:
    sim.configure(qps=args.qps, latency=str(args.quota_latency))
    orders_db = work / f"{label}-orders.db"
    seed_orders(orders_db, {day: sim.orders(day)[:count] for day, count in days.items()})
    for day, count in days.items():
        if len(sim.orders(day)) < count:
            raise BenchError(f"{label}: the simulator serves fewer than {count} orders for {day}")
    credentials = work / f"{label}.credentials"
    return [dag_test(args, sim, work / f"{label}-{day}", day, orders_db, credentials, shard_size) for day in days]


def pair_row(args: argparse.Namespace, sim: Simulator, work: Path) -> Row:
    """Row 1.5: two DAG runs (two order dates) at once on one WBappid."""
    first = date.fromisoformat(args.date)
    days = {first.isoformat(): args.pair_orders, (first - timedelta(days=1)).isoformat(): args.pair_orders}
    tests = prepare(args, sim, work, "row1.5", days, -(-args.pair_orders // args.dag_shards))
    note(f"row 1.5: two `airflow dags test` runs at once, {args.pair_orders} orders each")
    return together_row("1.5", f"quota {args.qps}: 2 DAG runs (dags test) at once, 1 app", tests, sim)


def syncs_row(args: argparse.Namespace, sim: Simulator, work: Path) -> Row:
    """Row 1.7: the OCR and the face DAG at once, for the same day's orders, on one WBappid."""
    shard = -(-args.pair_orders // args.dag_shards)
    (ocr,) = prepare(args, sim, work, "row1.7", {args.date: args.pair_orders}, shard)
    orders_db, credentials = work / "row1.7-orders.db", work / "row1.7.credentials"  # as prepare made them
    face = dag_test(args, sim, work / f"row1.7-face-{args.date}", args.date, orders_db, credentials, shard)
    conf = {key: value for key, value in face.conf.items() if key != "get_file"} | {"face_media": "none"}
    face = replace(face, dag_id=FACE_DAG_ID, fetch_task="fetch_face_results", conf=conf)
    note(f"row 1.7: the OCR and the face DAG at once (airflow dags test), {args.pair_orders} orders each")
    return together_row("1.7", f"quota {args.qps}: both syncs at once (OCR + face DAG), 1 app", [ocr, face], sim)


def together_row(row: str, title: str, tests: list[DagTest], sim: Simulator) -> Row:
    """DAG runs at once on one app: all their calls over the seconds during which any of them fetched (the
    product's own measure of fetch seconds, ``busy_seconds``)."""
    from tencent_kyc.pipeline.record import busy_seconds

    before = sim.stats()
    wall, others = run_dag_tests(tests, sim)
    window = SimulatorWindow.between(before, sim.stats())
    runs = [test.sync_run() for test in tests]
    calls = sum(int(run["fetch_calls"]) for run in runs)
    throttled = sum(int(run["fetch_throttled"]) for run in runs)
    intervals = [interval for test in tests for interval in test.fetch_intervals()]
    union = busy_seconds(intervals)
    quota = float(runs[0]["qps_quota"])
    ratio = calls / union / quota
    overlap = sum(end - start for start, end in intervals) / union  # 2.0 if the two runs fetched entirely at once
    own = " and ".join(f"{float(run['fetch_rate']) / quota:.3f}" for run in runs)
    check = "" if calls == window.requests else f"; runs recorded {calls} calls, simulator saw {window.requests}"
    orders = sum(int(run["orders"]) for run in runs)
    return Row(
        row, title, orders, f"{len(tests)}×{len(intervals) // len(tests)}×8 seq", union, calls / union,
        f"{ratio:.3f} of quota; throttled {window.throttled} (runs: {throttled}); each run's own fetch_rate "
        f"{own} of quota; fetch overlap {overlap:.2f}; wall {wall:.0f} s" + check,
        f"≥{PAIR_GOAL:.2f} & 0 throttled", ratio >= PAIR_GOAL and window.throttled == 0, others,
    )  # fmt: skip


def dag_row(args: argparse.Namespace, sim: Simulator, work: Path) -> Row:
    """Row 1.6a: one ``airflow dags test`` of a day of several shards, fetched one shard after another."""
    orders = args.dag_shards * args.dag_shard_size
    (test,) = prepare(args, sim, work, "row1.6a", {args.date: orders}, args.dag_shard_size)
    note(f"row 1.6a: `airflow dags test`, {args.dag_shards} shards of {args.dag_shard_size} orders")
    before = sim.stats()
    wall, others = run_dag_tests([test], sim)
    window = SimulatorWindow.between(before, sim.stats())
    run = test.sync_run()
    calls, seconds, quota = int(run["fetch_calls"]), float(run["fetch_seconds"]), float(run["qps_quota"])
    ratio = calls / seconds / quota
    check = "" if calls == window.requests else f"; run recorded {calls} calls, simulator saw {window.requests}"
    return Row(
        "1.6a", f"quota {args.qps}: DAG end to end, dags test (shards in turn)", orders,
        f"{args.dag_shards}×8 seq", seconds, calls / seconds,
        f"{ratio:.3f} of quota (kyc_sync_runs); throttled {window.throttled} (run: {run['fetch_throttled']}); "
        f"wall {wall:.0f} s" + check,
        f"≥{END_TO_END_GOAL:.2f}", ratio >= END_TO_END_GOAL, others,
    )  # fmt: skip


def stack_row(args: argparse.Namespace, work: Path) -> Row:
    """Row 1.6b: the multi-process stack (scheduler, LocalExecutor, database store), shards at once."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    orders = args.dag_shards * args.dag_shard_size
    var = work / "stack"
    command = [
        sys.executable, "-m", "tencent_kyc_dev.stack", "--var", str(var), "--qps", str(args.qps),
        "--orders", str(orders), "--shard-size", str(args.dag_shard_size),
        "--parallel-shards", str(args.dag_shards), "--no-get-file", "--postgres", args.postgres,
        "--db-prefix", STACK_DB_PREFIX, "--timeout", "900",
    ]  # fmt: skip
    note(f"row 1.6b: the multi-process stack, {args.dag_shards} shards of {args.dag_shard_size} orders at once")
    var.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TENCENT_KYC"))}
    meter = CpuMeter()  # first: it may wait for a quiet machine
    started = time.time()
    with open(work / "stack.log", "wb") as log:
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False).returncode
    wall, others = time.time() - started, meter.others()
    report_file = var / "report.json"
    if not report_file.exists():
        tail = (work / "stack.log").read_text(errors="replace")[-2000:]
        raise BenchError(f"row 1.6b: the stack wrote no report (exit {code}); end of its log:\n{tail}")
    report = json.loads(report_file.read_text())
    dsn = make_conninfo(args.postgres, dbname=f"{STACK_DB_PREFIX}_warehouse")
    with psycopg.connect(dsn, connect_timeout=10) as connection:
        cursor = connection.execute(
            "SELECT fetch_calls, fetch_throttled, fetch_seconds, qps_quota FROM kyc_sync_runs WHERE run_date = %s",
            (report["order_date"],),
        )
        row = cursor.fetchone()
    if not args.keep_temp:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=10) as admin:
            for role in ("airflow", "orders", "warehouse", "credentials"):
                name = sql.Identifier(f"{STACK_DB_PREFIX}_{role}")
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    if row is None:
        raise BenchError(f"row 1.6b: no kyc_sync_runs row for {report['order_date']}; see {work / 'stack.log'}")
    calls, throttled, seconds, quota = int(row[0]), int(row[1]), float(row[2]), float(row[3])
    ratio = calls / seconds / quota
    refused = sum(report["quota_refusals"].values())
    failed = [name for name, check in report["checks"].items() if not check["passed"]]
    return Row(
        "1.6b", f"quota {args.qps}: DAG end to end, multi-process stack", orders,
        f"{args.dag_shards}×8", seconds, calls / seconds,
        f"{ratio:.3f} of quota (kyc_sync_runs); throttled {refused} (run: {throttled}); "
        f"{report['max_concurrent_shards']} shards at once; run {report['state']} in "
        f"{report['duration_seconds'] or 0:.0f} s, stack wall {wall:.0f} s"
        + (f"; stack checks failed: {', '.join(failed)}" if failed else "; stack checks passed"),
        f"≥{END_TO_END_GOAL:.2f}", ratio >= END_TO_END_GOAL, others,
    )  # fmt: skip
