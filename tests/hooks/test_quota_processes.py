"""One QPS quota shared by real processes against the strict simulator (quota 20, one sliding window per app).

Each worker is a separate process with its own hook, as a fetch task is; they meet only in the credential
store. The simulator refuses (400504) any call over the quota, so a zero throttled count means the clients
together never exceeded it; the workers log when each call returned, so the rates are measured, not assumed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

DAY = date(2026, 11, 27)
QUOTA = 20
WORKER = """
import sys, time
from pathlib import Path
from tencent_kyc.hooks.kyc import TencentKycHook
log, go, seconds = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
orders = sys.argv[4].split(",")
hook = TencentKycHook()
hook.settings
while not go.exists():
    time.sleep(0.01)
deadline = time.time() + seconds
with log.open("a", buffering=1) as out:
    index = 0
    while time.time() < deadline:
        hook.get_ocr_result(orders[index % len(orders)])
        out.write(f"{time.time()}\\n")
        index += 1
"""


def throttled(simulator: Any) -> int:
    stats = simulator.stats()
    return sum(codes.get("400504", 0) + codes.get("400501", 0) for codes in stats["results_by_code"].values())


def run_workers(
    tmp_path: Path, seconds: list[float], kill: tuple[int, float] | None = None
) -> tuple[float, list[list[float]], float | None]:
    """Start one worker per entry of ``seconds`` together; optionally SIGKILL worker ``kill[0]`` after
    ``kill[1]`` seconds. Returns the start, each worker's call times, and when the kill happened."""
    orders = ",".join(
        requests.get(os.environ["KYC_SIM_URL"] + "/admin/orders", params={"date": DAY}, timeout=30).json()["orders"]
    )
    go = tmp_path / "go"
    logs = [tmp_path / f"worker-{index}.log" for index in range(len(seconds))]
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(log), str(go), str(length), orders])
        for log, length in zip(logs, seconds, strict=True)
    ]
    time.sleep(4)  # imports and connection reading, outside the measured time
    started, killed = time.time(), None
    go.touch()
    if kill is not None:
        time.sleep(kill[1])
        workers[kill[0]].send_signal(signal.SIGKILL)
        killed = time.time()
    for worker in workers:
        worker.wait(timeout=120)
    assert all(worker.returncode == 0 for index, worker in enumerate(workers) if kill is None or index != kill[0])
    return started, [[float(line) for line in log.read_text().split()] for log in logs], killed


def rate(calls: list[float], start: float, end: float) -> float:
    return sum(start <= moment < end for moment in calls) / (end - start)


@pytest.fixture
def shared(
    simulator_factory: Callable[..., Any], kyc_connection: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    simulator = simulator_factory(qps=QUOTA, today=DAY, orders_per_day=300, latency="fixed:20")
    kyc_connection(simulator, qps_quota=QUOTA, credential_path=str(tmp_path / "store" / "IDAKYC01.credentials"))
    monkeypatch.setenv("KYC_SIM_URL", simulator.url)
    return simulator


@pytest.mark.slow
def test_one_alone_uses_the_quota(shared: Any, tmp_path: Path) -> None:
    started, (calls,), _ = run_workers(tmp_path, [8.0])
    assert rate(calls, started + 1, started + 8) >= 0.8 * QUOTA  # all of it, not some share (figures: bench/)
    assert throttled(shared) == 0


@pytest.mark.slow
def test_four_at_once_share_it_and_a_killed_ones_share_goes_to_the_others(shared: Any, tmp_path: Path) -> None:
    started, calls, killed = run_workers(tmp_path, [12.0] * 4, kill=(0, 4.0))
    assert killed is not None
    survivors = sorted(moment for worker in calls[1:] for moment in worker)
    before, after = rate(survivors, started + 1, killed), rate(survivors, killed + 2, started + 12)
    assert after >= 1.2 * before  # three quarters of the quota before the kill, all of it from 2 s after
    counts = [sum(moment >= killed + 2 for moment in worker) for worker in calls[1:]]
    assert min(counts) >= 0.7 * max(counts)  # shared, not hogged by one
    assert throttled(shared) == 0
