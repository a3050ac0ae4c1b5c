"""``python -m tencent_kyc_dev.simulator.seed``: the simulator's orders into an order table, idempotently, on a real
simulator and a real PostgreSQL (and SQLite: any Airflow SQL connection)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

import tencent_kyc_dev
from tencent_kyc_dev.simulator import seed
from tencent_kyc_dev.simulator.server import SimulatorServer

PLUGINS = str(Path(tencent_kyc_dev.__file__).resolve().parents[1])
TODAY = date(2026, 11, 27)


class OrderTable:
    """A uniquely named order table on one database, read back with the database's own driver."""

    def __init__(self, conn_id: str, name: str, read: Callable[[str], list[tuple[str, str]]]) -> None:
        self.conn_id, self.name, self._read = conn_id, name, read

    def rows(self) -> Counter[tuple[str, str]]:
        """(order_no, order_date as YYYY-MM-DD) with their multiplicity."""
        return Counter(self._read(f"SELECT order_no, order_date FROM {self.name}"))

    def insert(self, order_no: str, day: date) -> None:
        self._read(f"INSERT INTO {self.name} VALUES ('{order_no}', '{day.isoformat()}')")


@pytest.fixture(params=["postgres", "sqlite"])
def table(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[OrderTable]:
    name = f"seed_test_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        database = tmp_path / "orders.db"
        monkeypatch.setenv("AIRFLOW_CONN_SEED_TEST", json.dumps({"conn_type": "sqlite", "host": str(database)}))

        def read_sqlite(sql: str) -> list[tuple[str, str]]:
            with sqlite3.connect(database) as connection:
                return [(str(a), str(b)) for a, b in connection.execute(sql).fetchall()]

        yield OrderTable("seed_test", name, read_sqlite)
        return
    dsn = request.getfixturevalue("postgres_dsn")
    monkeypatch.setenv("AIRFLOW_CONN_SEED_TEST", dsn)

    def read_postgres(sql: str) -> list[tuple[str, str]]:
        with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
            cursor.execute(sql.encode())
            return [(str(a), str(b)) for a, b in cursor.fetchall()] if cursor.description else []

    yield OrderTable("seed_test", name, read_postgres)
    with psycopg.connect(dsn) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {name}".encode())


def expected(simulator: SimulatorServer, days: list[date]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for day in days:
        answer = requests.get(f"{simulator.url}/admin/orders", params={"date": day.isoformat()}, timeout=30)
        found.update((order, day.isoformat()) for order in answer.json()["orders"])
    return found


def run(simulator: SimulatorServer, table: OrderTable, *extra: str) -> None:
    seed.main(["--simulator-url", simulator.url, "--conn-id", table.conn_id, "--table", table.name, *extra])


def test_seeds_the_window_from_the_simulator_and_replaces_each_day_on_a_rerun(
    simulator_factory: Callable[..., SimulatorServer], table: OrderTable, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator = simulator_factory(orders_per_day=25)
    window = ["--today", TODAY.isoformat(), "--past-days", "2", "--future-days", "1"]
    days = [TODAY + timedelta(days=offset) for offset in (-2, -1, 0, 1)]
    want = expected(simulator, days)
    assert len(want) == 4 * 25 and set(want.values()) == {1}

    run(simulator, table, *window)
    assert table.rows() == want
    assert "Seeded 100 orders for 2026-11-25 .. 2026-11-28" in capsys.readouterr().out

    outside = TODAY + timedelta(days=5)
    table.insert("STRAY1", TODAY)  # a row the simulator does not hold, inside the window: replaced
    table.insert("KEPT1", outside)  # a date outside the window: left alone
    run(simulator, table, *window)
    assert table.rows() == want + Counter({("KEPT1", outside.isoformat()): 1})


def test_refuses_a_table_name_that_is_not_an_identifier(simulator: SimulatorServer, table: OrderTable) -> None:
    with pytest.raises(ValueError, match="plain SQL identifier"):
        run(simulator, table, "--table", "kyc_orders; DROP TABLE x", "--past-days", "0", "--future-days", "0")


def test_seed_window() -> None:
    assert seed.seed_window(TODAY, 1, 2) == [TODAY + timedelta(days=d) for d in (-1, 0, 1, 2)]
    assert seed.seed_window(TODAY, 0, 0) == [TODAY]


def test_help_and_a_bad_window_from_the_command_line() -> None:
    env: dict[str, Any] = {**os.environ, "PYTHONPATH": PLUGINS}
    command = [sys.executable, "-m", "tencent_kyc_dev.simulator.seed"]
    shown = subprocess.run([*command, "--help"], env=env, capture_output=True, text=True, check=True).stdout
    for flag in ("--simulator-url", "--conn-id", "--table", "--today", "--past-days", "--future-days"):
        assert flag in shown
    refused = subprocess.run(
        [*command, "--simulator-url", "http://127.0.0.1:9", "--past-days", "-1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "must not be negative" in refused.stderr
