"""Eight separate processes share one token through each credential store, as Tencent requires.

Refresh age and token overlap are shortened (5 s and 2 s) so that a ~12 s run crosses several refresh
windows: a process that refreshed on its own, or two that refreshed at once, would knock the others'
token out and the simulator would refuse their calls.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import requests

DAY = date(2026, 11, 27)
REFRESH_SECONDS = 5.0
WORKER = """
import json, sys
from tencent_kyc.api.errors import KycAuthError
from tencent_kyc.hooks.kyc import TencentKycHook
hook, failures = TencentKycHook(), 0
for order_no in sys.argv[1].split(","):
    try:
        hook.get_ocr_result(order_no)
    except KycAuthError:
        failures += 1
print(json.dumps({"auth_failures": failures}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("store", ["file", pytest.param("database", marks=pytest.mark.postgres)])
def test_eight_processes_200_calls_each_share_one_token_per_window(
    store: str, simulator_factory: Callable[..., Any], kyc_connection: Any, request: pytest.FixtureRequest
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=200, overlap_seconds=2.0, latency="fixed:40")
    extra: dict[str, Any] = {"refresh_seconds": REFRESH_SECONDS, "qps_quota": 10000}
    if store == "database":
        import psycopg

        with psycopg.connect(request.getfixturevalue("postgres_dsn")) as connection:
            connection.execute("DROP TABLE IF EXISTS tencent_kyc_credentials")
        extra |= {"credential_store": "database", "credential_conn_id": request.getfixturevalue("postgres_conn_id")}
    kyc_connection(simulator, **extra)
    orders = requests.get(simulator.url + "/admin/orders", params={"date": DAY.isoformat()}, timeout=30).json()
    argument = ",".join(orders["orders"])

    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, argument], stdout=subprocess.PIPE, env=dict(os.environ))
        for _ in range(8)
    ]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert [json.loads(output.splitlines()[-1])["auth_failures"] for output in outputs] == [0] * 8

    counters = requests.get(simulator.url + "/admin/stats", timeout=5).json()
    assert counters["requests"]["getOcrResult"] == 8 * 200
    for refused in ("bad_signature", "dead_ticket", "dead_token"):
        assert counters[refused] == 0, refused
    assert counters["concurrent_token_requests"] == 0
    assert counters["max_concurrent_token_requests"] == 1
    times = sorted(counters["token_request_times"])
    assert len(times) >= 2, "the run must cross at least one refresh window"
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Refresh is due REFRESH_SECONDS after the previous fetch started; arrival jitter under load is allowed
    # for, while two processes refreshing in one window would show a gap of milliseconds.
    assert min(gaps) >= REFRESH_SECONDS - 0.5, f"two token requests within one refresh window: {gaps}"
