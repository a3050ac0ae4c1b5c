"""Warehouse load benchmark: PostgreSQL rows per second from staging, next to the database's own limit.

Stages a day of N synthetic orders (the simulator's order book, fetched-record shape) the way the DAG does
(results shards → ``validate_shard``, which judges them and writes the warehouse rows under the default PII
policy), then loads them into a real PostgreSQL, each path into its own fresh schema, in one run:

1. ``load_warehouse``: ``PostgresWarehouse.load`` from the staged files (gzip CSV → COPY into temporary
   tables → the shared merge SQL, one transaction), then the same load again (an idempotent re-run);
2. the database's limit: the same rows already in memory as tuples (read beforehand, untimed: no parsing,
   no validation, no policy), ``COPY`` by psycopg into the same temporary tables, then the same merge SQL;
   then again on the filled tables;
3. a naive loader: one ``INSERT … ON CONFLICT DO UPDATE`` per row (results and history; status rebuilt by the
   same SQL), on the first ``--naive`` orders only (it is slow), reported as rows per second.

    .venv/bin/python bench/warehouse_load.py                  # 200,000 orders, about 2 minutes on 2 cores
    .venv/bin/python bench/warehouse_load.py --orders 20000   # a quick run

PostgreSQL: $KYC_TEST_POSTGRES_DSN or the test server (``tests/services/start_postgres.sh`` starts it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from tencent_kyc.orders.planning import MAX_SHARDS  # noqa: E402
from tencent_kyc.quality import judge  # noqa: E402
from tencent_kyc.records import Fetched, Order, write_records  # noqa: E402
from tencent_kyc.storage import DayLayout  # noqa: E402
from tencent_kyc.validation import DEFAULT_POLICY  # noqa: E402
from tencent_kyc.warehouse import sql  # noqa: E402
from tencent_kyc.warehouse.base import Warehouse  # noqa: E402
from tencent_kyc.warehouse.dialects import warehouse_for  # noqa: E402
from tencent_kyc.warehouse.pii import PiiPolicy  # noqa: E402
from tencent_kyc.warehouse.rows import stage_rows  # noqa: E402
from tencent_kyc.warehouse.schema import HISTORY, RESULTS, STAGED, STATUS, schema_statements  # noqa: E402
from tencent_kyc.warehouse.sqlite import read_rows  # noqa: E402
from tencent_kyc.warehouse.syncs import OCR  # noqa: E402
from tencent_kyc.warehouse.verdicts import refresh_verdicts  # noqa: E402
from tencent_kyc_dev.simulator.orders import OrderBook  # noqa: E402

DAY = date(2026, 11, 2)
DSN = os.environ.get("KYC_TEST_POSTGRES_DSN", "postgresql://kyc_test:kyc_test@127.0.0.1:5432/kyc_test")
KEY = b"bench-hmac-key-0123456789abcdef"


def stage_day(root: Path, orders: int, shard_size: int) -> tuple[DayLayout, list[int], float]:
    """Write the results shards, then validate them into load files; returns the layout, shards, seconds."""
    from airflow.sdk import ObjectStoragePath

    layout = DayLayout(ObjectStoragePath(f"file://{root}").as_uri(), DAY, "ocr")
    book = OrderBook(orders_per_day=orders)
    numbers = book.order_numbers(DAY)
    shards = list(range(min(MAX_SHARDS, -(-orders // shard_size))))
    for shard in shards:
        with write_records(layout.results(shard)) as out:
            for order_no in numbers[shard * shard_size : (shard + 1) * shard_size]:
                order = book.lookup(order_no)
                assert order is not None
                fetched = order.completes_on == DAY
                photos = {
                    name: str(layout.evidence_folder(order_no) / f"{name}.jpg") for name in ("frontPhoto", "backPhoto")
                }
                outcome = order.completion.value if fetched else "no_result"
                out.write(
                    Fetched(
                        Order(order_no, DAY),
                        "fetched" if outcome == "both_sides" else outcome,
                        code="0" if fetched else "66660020",
                        message="success",
                        result=dict(order.result) if fetched else {},
                        photos=photos if fetched else {},
                    )
                )
    judge.collect_duplicate_idcards([layout.results(s) for s in shards], layout)
    started = time.perf_counter()
    pii = PiiPolicy()
    for shard in shards:
        stage_rows(
            OCR, layout, shard, judge.judge_shard(shard, layout, DEFAULT_POLICY, judge.ShardCounts(shard)), pii, KEY
        )
    return layout, shards, time.perf_counter() - started


@contextmanager
def schema() -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(DSN, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        with psycopg.connect(DSN, options=f"-c search_path={name}") as connection:
            for statement in schema_statements("postgres"):
                connection.execute(statement)
        yield name
    finally:
        with psycopg.connect(DSN, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


def warehouse_in(name: str) -> Warehouse:
    parsed = psycopg.conninfo.conninfo_to_dict(DSN)
    os.environ["AIRFLOW_CONN_KYC_BENCH"] = json.dumps({"conn_type": "postgres", "host": parsed["host"],
        "port": int(parsed.get("port") or 5432), "login": parsed["user"], "password": parsed["password"],
        "schema": parsed["dbname"], "extra": {"options": f"-c search_path={name}"}})  # fmt: skip
    return warehouse_for("kyc_bench")


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_copy_and_merge(name: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """The limit: in-memory tuples COPY'd into the stage tables, then the same merge SQL, one transaction."""
    with psycopg.connect(DSN, options=f"-c search_path={name}") as connection, connection.cursor() as cursor:
        for table in (RESULTS, HISTORY):
            cursor.execute(table.ddl("postgres", STAGED[table.name], temporary=True))
            with cursor.copy(f"COPY {STAGED[table.name]} FROM STDIN") as copy:
                for row in rows[table.name]:
                    copy.write_row(row)
        for statement in sql.merge_statements(OCR, DAY):
            cursor.execute(statement)


def naive(name: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """One INSERT … ON CONFLICT per row, then the status and verdicts rebuilt: what a hand-written loader often does."""
    with psycopg.connect(DSN, options=f"-c search_path={name}") as connection, connection.cursor() as cursor:
        for table, key in ((RESULTS, "order_no"), (HISTORY, "order_no, run_date")):
            names = table.names
            updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in key)
            insert = (
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
                f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
            )
            for row in rows[table.name]:
                cursor.execute(insert, row[:-1])
        touched = f"SELECT order_no FROM {HISTORY.name} WHERE run_date = '{DAY.isoformat()}'"
        for statement in [*sql.refresh_status(OCR, touched), *refresh_verdicts(touched)]:
            cursor.execute(statement)


def count(name: str) -> tuple[int, int, int]:
    with psycopg.connect(DSN, options=f"-c search_path={name}") as connection:
        results, history, status = (
            connection.execute(f"SELECT COUNT(*) FROM {t.name}").fetchall()[0][0] for t in (RESULTS, HISTORY, STATUS)
        )
        return int(results), int(history), int(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000, help="orders of the staged day (default 200,000)")
    parser.add_argument("--shard-size", type=int, default=5_000, help="orders per shard (default 5,000)")
    parser.add_argument("--naive", type=int, default=20_000, help="orders the row-by-row loader gets (slow)")
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="kyc-bench-home-"))

    with tempfile.TemporaryDirectory(prefix="kyc-bench-") as folder:
        layout, shards, prepare = stage_day(Path(folder), args.orders, args.shard_size)
        rows = {
            table.name: [
                (*row[:-1], int(row[-1] or 0))
                for shard in shards
                for row in read_rows(layout.load_rows(table.name, shard))
            ]
            for table in (RESULTS, HISTORY)
        }
        results, history = (len(rows[t.name]) for t in (RESULTS, HISTORY))
        total = results + history
        print(f"PostgreSQL load of {args.orders:,} orders: {results:,} result rows + {history:,} history rows "
              f"({len(RESULTS.columns)} and {len(HISTORY.columns)} columns), {len(shards)} shards")  # fmt: skip
        print(f"(staging: validate_shard judged and wrote the rows at {args.orders / prepare:,.0f} orders/s)\n")

        figures: dict[str, tuple[float, float]] = {}
        with schema() as ours:
            warehouse = warehouse_in(ours)
            first = timed(lambda: warehouse.load(OCR, layout, shards))
            before = count(ours)
            rerun = timed(lambda: warehouse.load(OCR, layout, shards))
            assert count(ours) == before == (results, history, history), "the load lost or doubled rows"
            figures["load_warehouse (from staging)"] = (first, rerun)
        with schema() as bare:
            first = timed(lambda: bare_copy_and_merge(bare, rows))
            rerun = timed(lambda: bare_copy_and_merge(bare, rows))
            assert count(bare) == before
            figures["bare COPY + merge (rows in memory)"] = (first, rerun)
        share = args.naive / args.orders
        subset = {name: table_rows[: int(len(table_rows) * share)] for name, table_rows in rows.items()}
        with schema() as slow:
            first = timed(lambda: naive(slow, subset))
            rerun = timed(lambda: naive(slow, subset))
            scale = total / sum(len(r) for r in subset.values())
            figures[f"row-by-row INSERT (first {args.naive:,} orders, scaled)"] = (first * scale, rerun * scale)

        print(f"{'path':<52}{'rows/s':>10}{'seconds':>10}{'re-run s':>10}")
        for path, (first, rerun) in figures.items():
            print(f"{path:<52}{total / first:>10,.0f}{first:>10.2f}{rerun:>10.2f}")
        ours_rate, bare_rate, naive_rate = (total / first for first, _ in figures.values())
        print(f"\nload_warehouse / bare limit: {ours_rate / bare_rate:.2f} (first load), "
              f"{figures['bare COPY + merge (rows in memory)'][1] / figures['load_warehouse (from staging)'][1]:.2f}"
              " (re-run)")  # fmt: skip
        print(f"load_warehouse / row-by-row: {ours_rate / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
