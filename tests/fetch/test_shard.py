"""Fetching one shard: ordered bounded streaming, outcomes for every order, and a killed shard retried."""

from __future__ import annotations

import gzip
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.sdk import ObjectStoragePath

from tencent_kyc.fetch.ocr import ocr_fetcher
from tencent_kyc.fetch.progress import Progress
from tencent_kyc.fetch.shard import fetch_shard, ordered_map
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.records import Order, read_fetched
from tencent_kyc.storage import DayLayout

DAY = date(2026, 11, 27)
WORKER = """
import logging, sys
from datetime import date
from tencent_kyc.fetch.ocr import ocr_fetcher
from tencent_kyc.fetch.progress import Progress
from tencent_kyc.fetch.shard import fetch_shard
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.records import Order
from tencent_kyc.storage import DayLayout
day = date(2026, 11, 27)
root, orders = sys.argv[1], [Order(number, day) for number in sys.argv[2].split(",")]
layout = DayLayout(root, day, "ocr")
progress = Progress("shard", len(orders), logging.getLogger("w"), 1)
fetch = ocr_fetcher(TencentKycHook(), layout, get_file=True)
fetch_shard(fetch, orders, layout.results(0), concurrency=4, progress=progress)
"""


def read(path: Path) -> list[dict[str, Any]]:
    return [record.to_json() for record in read_fetched(ObjectStoragePath(path.as_uri()))]


def run_shard(root: Path, orders: list[str], get_file: bool = True) -> dict[str, Any]:
    layout = DayLayout(f"file://{root}", DAY, "ocr")
    progress = Progress("shard", len(orders), logging.getLogger("test"), 0.5)
    fetch = ocr_fetcher(TencentKycHook(), layout, get_file=get_file)
    dated = [Order(order, DAY) for order in orders]
    return fetch_shard(fetch, dated, layout.results(0), concurrency=4, progress=progress).as_xcom()


@pytest.fixture
def orders(simulator_factory: Callable[..., Any], kyc_connection: Any) -> list[str]:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=200, latency="fixed:15", photo_lag_seconds=0.1)
    kyc_connection(simulator, qps_quota=10000, photo_retry_interval=0.1, backoff_seconds=0.01)
    return list(requests.get(simulator.url + "/admin/orders", params={"date": DAY}, timeout=30).json()["orders"])


def test_ordered_map_keeps_input_order_and_bounds_what_is_pending() -> None:
    pending, peak, lock = 0, 0, threading.Lock()

    def work(item: int) -> int:
        nonlocal pending, peak
        with lock:
            pending += 1
            peak = max(peak, pending)
        time.sleep(0.001 * (item % 5))
        with lock:
            pending -= 1
        return item * 2

    assert list(ordered_map(work, range(500), concurrency=4)) == [i * 2 for i in range(500)]
    assert peak <= 4


def test_a_killed_shard_retried_loses_nothing_and_duplicates_nothing(orders: list[str], tmp_path: Path) -> None:
    clean = run_shard(tmp_path / "clean", orders)
    assert clean["orders"] == 200

    victim = subprocess.Popen([sys.executable, "-c", WORKER, f"file://{tmp_path / 'retry'}", ",".join(orders)])
    results = tmp_path / "retry" / "staging" / "ocr" / DAY.isoformat() / "results" / "shard-00000.jsonl.gz"
    deadline = time.monotonic() + 60
    while not (results.exists() and results.stat().st_size > 2000) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)  # halfway: some photos and part of the results written
    victim.wait()
    assert victim.returncode == -signal.SIGKILL

    run_shard(tmp_path / "retry", orders)  # Airflow's retry of the same shard
    retried = read(results)
    assert Counter(r["order_no"] for r in retried) == Counter(orders)
    clean_file = tmp_path / "clean" / "staging" / "ocr" / DAY.isoformat() / "results" / "shard-00000.jsonl.gz"
    assert gzip.decompress(results.read_bytes()).replace(b"/retry/", b"/clean/") == gzip.decompress(
        clean_file.read_bytes()
    )

    def photos(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*.jpg"))

    assert photos(tmp_path / "retry") == photos(tmp_path / "clean")


def test_failed_orders_end_with_code_and_message(
    orders: list[str], tmp_path: Path, simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=40, fault_999999=0.5, fault_seed=3)
    kyc_connection(simulator, qps_quota=10000, max_attempts=1)
    day_orders = requests.get(simulator.url + "/admin/orders", params={"date": DAY}, timeout=30).json()["orders"]
    summary = run_shard(tmp_path, day_orders, get_file=False)
    records = read(tmp_path / "staging" / "ocr" / DAY.isoformat() / "results" / "shard-00000.jsonl.gz")
    failed = [r for r in records if r["outcome"] == "failed"]
    assert failed and all(r["code"] == "999999" and r["error"] == "KycTransientError" for r in failed)
    assert all(r["retryable"] is True for r in failed)  # decided once, by the error class, carried as data
    assert summary["outcomes"]["failed"] == len(failed)
    assert len(records) == 40
