"""The plumbing of ``fetch_throughput.py``: the simulator process, client processes started together, the rows.

Every client is a separate OS process running this file (``--worker shard`` or ``--worker bare``), so no two
clients share a GIL and each one's peak RSS is its own. A client imports everything, says it is ready, then
blocks on stdin until the parent says "go" to all of them at once: timings exclude interpreter and Airflow
start-up. A ``shard`` client is what a mapped fetch task runs (its own ``TencentKycHook`` + ``fetch_shard``);
with ``trace`` it also records when each call got its send slot and how long each booking in the credential
store took (a timing wrapper around ``store.reserve``), without changing what the hook does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

CONN_ID = "tencent_kyc_default"
CONN_ENV = "AIRFLOW_CONN_TENCENT_KYC_DEFAULT"
READY_SUFFIX = ".ready"
THROTTLE_CODES = ("400504", "400501")


class BenchError(RuntimeError):
    """A sanity failure: the figures would be meaningless, so the run stops."""


def note(message: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- worker side (runs in child processes) -------------------------------------------------------------------


def _proc_status_kib(field_name: str) -> int:
    """A ``/proc/self/status`` figure in KiB (VmRSS, VmHWM), or -1 where /proc is absent."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def _wait_for_go(spec: dict[str, Any]) -> float:
    """Tell the parent we are imported and ready, then block until it says go (all clients start together)."""
    Path(spec["result_file"] + READY_SUFFIX).touch()
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("worker: the parent went away before saying go")
    return time.time()


def _write_result(spec: dict[str, Any], result: dict[str, Any]) -> None:
    result |= {
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
        "vmhwm_kib": _proc_status_kib("VmHWM"),
    }
    Path(spec["result_file"]).write_text(json.dumps(result))


class Trace:
    """When each of the hook's calls got its send slot, and how long each booking in the store took.

    Wraps the hook's own pacer and store instances (the pacer books through that very store object), so the
    limiter works exactly as in a task; the wrappers add a ``time.time()`` and a list append.
    """

    def __init__(self, hook: Any) -> None:
        self.sends: list[float] = []
        self.reserve_seconds: list[float] = []
        self.pacer = hook.pacer
        store = hook.store
        acquire, reserve = self.pacer.acquire, store.reserve

        def traced_acquire() -> None:
            acquire()
            self.sends.append(time.time())

        def timed_reserve(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return reserve(*args, **kwargs)
            finally:
                self.reserve_seconds.append(time.perf_counter() - started)

        self.pacer.acquire = traced_acquire
        store.reserve = timed_reserve

    def result(self) -> dict[str, Any]:
        return {
            "sends": self.sends,
            "reserve_seconds": self.reserve_seconds,
            "bookings": self.pacer.bookings,
            "dropped": self.pacer.dropped,
        }


def shard_worker(spec: dict[str, Any]) -> None:
    """One mapped shard task's work: a hook drawing on the app's shared quota, then ``fetch_shard`` over the shard."""
    import logging
    from datetime import date

    from tencent_kyc.fetch.ocr import ocr_fetcher
    from tencent_kyc.fetch.progress import Progress
    from tencent_kyc.fetch.shard import fetch_shard
    from tencent_kyc.hooks.kyc import TencentKycHook
    from tencent_kyc.records import Order
    from tencent_kyc.storage import DayLayout

    day = date.fromisoformat(spec["date"])
    orders = [Order(number, day) for number in Path(spec["orders_file"]).read_text(encoding="utf-8").split()]
    layout = DayLayout(spec["root"], day, "ocr")
    rss_ready = _proc_status_kib("VmRSS")
    go = _wait_for_go(spec)
    hook = TencentKycHook(CONN_ID)
    trace = Trace(hook) if spec.get("trace") else None
    progress = Progress(f"shard-{spec['shard']:05d}", len(orders), logging.getLogger("bench.shard"), 3600.0)
    fetch = ocr_fetcher(hook, layout, get_file=spec["get_file"])
    summary = fetch_shard(
        fetch, orders, layout.results(spec["shard"]), concurrency=spec["concurrency"], progress=progress
    ).as_xcom()
    end = time.time()
    result = {"go": go, "end": end, "summary": summary, "rss_ready_kib": rss_ready, "counts": hook.call_counts()}
    _write_result(spec, result | (trace.result() if trace else {}))


def bare_worker(spec: dict[str, Any]) -> None:
    """
    The wire's limit: signed getOcrResult GETs with a pre-fetched ticket and nothing else (no retries, no
    parsing beyond ``resp.json()``, no output). ``concurrency`` 1 is a plain sequential loop.
    """
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    from requests.adapters import HTTPAdapter

    from tencent_kyc.api.client import OCR_RESULT_PATH, TICKET_PATH, TOKEN_PATH
    from tencent_kyc.api.signing import API_VERSION, make_nonce, sign_order_query

    conn = json.loads(os.environ[CONN_ENV])
    base, app_id, secret = conn["host"], conn["login"], conn["password"]
    orders = Path(spec["orders_file"]).read_text(encoding="utf-8").split()
    concurrency = int(spec["concurrency"])
    session = requests.Session()
    # requests' default pool keeps 10 connections: with 16 threads it would open and drop connections.
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=max(concurrency, 1)))
    token_params = {"app_id": app_id, "secret": secret, "grant_type": "client_credential", "version": API_VERSION}
    token = session.get(base + TOKEN_PATH, params=token_params, timeout=30).json()["access_token"]
    ticket_params = {"app_id": app_id, "access_token": token, "type": "SIGN", "version": API_VERSION}
    ticket = session.get(base + TICKET_PATH, params=ticket_params, timeout=30).json()["tickets"][0]["value"]
    url = base + OCR_RESULT_PATH

    def query(order_no: str) -> dict[str, Any]:
        nonce = make_nonce()
        sign = sign_order_query(app_id=app_id, order_no=order_no, ticket=ticket, nonce=nonce)
        params = {"app_id": app_id, "order_no": order_no, "nonce": nonce, "version": API_VERSION, "sign": sign}
        body: dict[str, Any] = session.get(url, params=params, timeout=30).json()
        return body

    go = _wait_for_go(spec)
    if concurrency <= 1:
        bodies = [query(order_no) for order_no in orders]
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            bodies = list(pool.map(query, orders))
    end = time.time()
    codes = Counter(str(body.get("code")) for body in bodies)
    _write_result(spec, {"go": go, "end": end, "codes": dict(codes)})


WORKERS: dict[str, Callable[[dict[str, Any]], None]] = {"shard": shard_worker, "bare": bare_worker}


# -- parent side: the simulator ------------------------------------------------------------------------------


@dataclass
class Simulator:
    """The simulator as a separate process, driven through its admin endpoints."""

    process: subprocess.Popen[bytes]
    url: str
    app_id: str
    secret: str

    def get(self, path: str, **params: Any) -> Any:
        response = requests.get(self.url + path, params=params, timeout=60)
        response.raise_for_status()
        return response.json() if "json" in response.headers.get("Content-Type", "") else response.text

    def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = requests.post(self.url + path, data=json.dumps(payload or {}), timeout=60)
        if response.status_code != 200:
            raise BenchError(f"simulator POST {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def configure(self, **knobs: Any) -> None:
        """New runtime knobs, then a reset so no earlier credential, quota window or counter carries over."""
        self.post("/admin/config", knobs)
        self.post("/admin/reset")

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.get("/admin/stats")
        return stats

    def orders(self, day: str) -> list[str]:
        return list(self.get("/admin/orders", date=day)["orders"])


@contextmanager
def simulator_process(work: Path, *, qps: int, latency: str, orders_per_day: int, today: str) -> Iterator[Simulator]:
    """Start ``python -m tencent_kyc_dev.simulator`` on a free loopback port; stop it (and only it) afterwards."""
    import secrets

    port_file = work / "simulator.port"
    secret = secrets.token_hex(24)
    command = [
        sys.executable, "-m", "tencent_kyc_dev.simulator", "--host", "127.0.0.1", "--port", "0",
        "--port-file", str(port_file), "--qps", str(qps), "--latency", latency,
        "--orders-per-day", str(orders_per_day), "--today", today, "--retention-days", "0",
        "--photo-lag-seconds", "0",
    ]  # fmt: skip
    env = {**os.environ, "TENCENT_KYC_SIMULATOR_SECRET": secret}
    with open(work / "simulator.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the simulator did not start; see {work / 'simulator.log'}")
            time.sleep(0.05)
        simulator = Simulator(process, f"http://127.0.0.1:{int(port_file.read_text())}", "", secret)
        simulator.app_id = simulator.get("/admin/config")["app_id"]
        yield simulator
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kyc_connection(simulator: Simulator, **extra: Any) -> str:
    """The ``tencent_kyc`` connection to the simulator, as an ``AIRFLOW_CONN_*`` JSON value."""
    conn = {
        "conn_type": "tencent_kyc",
        "host": simulator.url,
        "login": simulator.app_id,
        "password": simulator.secret,
        "extra": extra,
    }
    return json.dumps(conn)


def connection_env(simulator: Simulator, home: Path, **extra: Any) -> dict[str, str]:
    """Environment of a client process: isolated AIRFLOW_HOME and the ``tencent_kyc`` connection as JSON."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        CONN_ENV: kyc_connection(simulator, **extra),
    }


@dataclass(frozen=True)
class SimulatorWindow:
    """What the simulator counted between two snapshots of its stats."""

    requests: int  # every endpoint: token, ticket and getOcrResult draw on the one quota
    ocr_requests: int
    token_requests: int
    throttled: int  # refused for the quota (400504 throttled, 400501 tps_exceeded)

    @classmethod
    def between(cls, before: dict[str, Any], after: dict[str, Any]) -> SimulatorWindow:
        def total(stats: dict[str, Any]) -> int:
            return sum(int(count) for count in stats["requests"].values())

        def endpoint(stats: dict[str, Any], name: str) -> int:
            return int(stats["requests"].get(name, 0))

        return cls(
            requests=total(after) - total(before),
            ocr_requests=endpoint(after, "getOcrResult") - endpoint(before, "getOcrResult"),
            token_requests=endpoint(after, "access_token") - endpoint(before, "access_token"),
            throttled=throttled_calls(after) - throttled_calls(before),
        )


def throttled_calls(stats: dict[str, Any]) -> int:
    return int(stats.get("throttled", 0)) + int(stats.get("tps_exceeded", 0))


def admitted_calls(stats: dict[str, Any]) -> int:
    """getOcrResult calls the simulator let through its quota (all calls less 400504/400501 refusals)."""
    codes = stats.get("results_by_code", {}).get("getOcrResult", {})
    return int(stats["requests"].get("getOcrResult", 0)) - sum(int(codes.get(code, 0)) for code in THROTTLE_CODES)


# -- parent side: how quiet the machine was -----------------------------------------------------------------


#: ``--wait-quiet``: before each measured scenario, wait (up to ``timeout`` seconds) until the whole machine was
#: busy less than ``max_busy`` (0 to 1) over two consecutive 3-second windows; None: do not wait.
QUIET: dict[str, float | None] = {"max_busy": None, "timeout": 900.0}


def _machine_busy(hz: int) -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (``/proc/stat``)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    total = sum(fields[:8])
    return (total - fields[3] - fields[4]) / hz, total / hz


def wait_for_quiet() -> None:
    """Wait for a quiet machine when ``--wait-quiet`` asks for it (see QUIET); a shared machine's other work
    shows in every timing."""
    limit, timeout = QUIET["max_busy"], QUIET["timeout"] or 0.0
    if limit is None:
        return
    hz, deadline, quiet, waited, busy = os.sysconf("SC_CLK_TCK"), time.monotonic() + timeout, 0, 0.0, 0.0
    while quiet < 2:
        start = _machine_busy(hz)
        time.sleep(3.0)
        end = _machine_busy(hz)
        busy = (end[0] - start[0]) / max(end[1] - start[1], 1e-9)
        quiet = quiet + 1 if busy < limit else 0
        waited += 3.0
        if quiet == 0 and time.monotonic() > deadline:
            note(f"the machine is still {100 * busy:.0f}% busy after {waited:.0f} s: going on anyway")
            return
        if quiet == 0 and waited % 60 < 3:
            note(f"waiting for a quiet machine: {100 * busy:.0f}% busy (limit {100 * limit:.0f}%)")
    if waited > 6:
        note(f"the machine was quiet after {waited:.0f} s")


class CpuMeter:
    """CPU the rest of the machine used meanwhile: all CPU time (``/proc/stat``) less this bench's own (this
    process, its reaped children and grandchildren, and the simulator while it runs), as a share of every core.

    A benchmark of pacing measures time, so other work on the machine shows in its figures; this says how much
    there was during each row. Starting a meter first waits for a quiet machine if ``--wait-quiet`` says so."""

    def __init__(self, simulator: Simulator | None = None) -> None:
        wait_for_quiet()  # every measured scenario starts with a meter
        self._pid = simulator.process.pid if simulator is not None else None
        self._hz = os.sysconf("SC_CLK_TCK")
        self._start = self._sample()

    def _sample(self) -> tuple[float, float, float]:
        busy = _machine_busy(self._hz)[0]  # all but idle and iowait
        ours = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            ours += usage.ru_utime + usage.ru_stime
        if self._pid is not None:
            try:
                with open(f"/proc/{self._pid}/stat", encoding="ascii") as stat:
                    parts = stat.read().rsplit(")", 1)[1].split()
                ours += (int(parts[11]) + int(parts[12])) / self._hz  # utime, stime
            except OSError:
                pass
        return time.monotonic(), busy, ours

    def others(self) -> float:
        """The rest of the machine's CPU since this meter started, as a share of all cores (0 to 1)."""
        now, busy, ours = self._sample()
        wall, start_busy, start_ours = now - self._start[0], self._start[1], self._start[2]
        cores = os.cpu_count() or 1
        return max(0.0, (busy - start_busy) - (ours - start_ours)) / (wall * cores) if wall > 0 else 0.0


# -- parent side: client processes ---------------------------------------------------------------------------


@dataclass
class Run:
    """The outcome of one set of client processes started together (``None`` for a client killed on purpose)."""

    results: list[dict[str, Any] | None]
    spawned: float
    released: float
    exited: float
    killed_at: float | None = None
    polls: list[tuple[float, int]] = field(default_factory=list)

    @property
    def finished(self) -> list[dict[str, Any]]:
        return [result for result in self.results if result is not None]

    @property
    def go(self) -> float:
        """The first client's go."""
        return float(min(r["go"] for r in self.finished))

    @property
    def end(self) -> float:
        """The last client's end."""
        return float(max(r["end"] for r in self.finished))

    @property
    def fetch_seconds(self) -> float:
        """First client's go to last client's end."""
        return self.end - self.go

    @property
    def process_seconds(self) -> float:
        """First spawn to last exit, interpreter and Airflow start-up included."""
        return self.exited - self.spawned


def run_clients(
    work: Path,
    label: str,
    mode: str,
    specs: list[dict[str, Any]],
    env: dict[str, str],
    *,
    poll: Simulator | None = None,
    kill: tuple[int, float] | None = None,
) -> Run:
    """Spawn one process per spec, release them together once all are ready, wait, collect their results.

    ``kill=(index, seconds)`` SIGKILLs client ``index`` that many seconds after the go (its result is None)."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    for index, spec in enumerate(specs):
        spec_file = work / f"{label}-{index}.spec.json"
        spec["result_file"] = str(work / f"{label}-{index}.result.json")
        spec_file.write_text(json.dumps(spec))
        logs.append(work / f"{label}-{index}.log")
    spawned = time.time()
    killed_at: float | None = None
    try:
        for index, log_path in enumerate(logs):
            command = [sys.executable, os.path.abspath(__file__), "--worker", mode]
            command += ["--spec", str(work / f"{label}-{index}.spec.json")]
            with open(log_path, "wb") as log:
                processes.append(
                    subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env)
                )
        deadline = time.monotonic() + 180
        while not all(Path(spec["result_file"] + READY_SUFFIX).exists() for spec in specs):
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                raise BenchError(f"{label}: a client died or hung while starting; see {logs[0].parent}")
            time.sleep(0.01)
        released = time.time()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            process.stdin.close()
        polls: list[tuple[float, int]] = []
        while any(p.poll() is None for p in processes):
            now = time.time()
            if kill is not None and killed_at is None and now >= released + kill[1]:
                processes[kill[0]].send_signal(signal.SIGKILL)
                killed_at = time.time()
            if poll is not None:
                polls.append((now, admitted_calls(poll.stats())))
            wake = 0.25 if kill is None or killed_at is not None else min(0.25, max(0.0, released + kill[1] - now))
            time.sleep(wake)
        exited = time.time()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    results: list[dict[str, Any] | None] = []
    for index, (spec, process, log_path) in enumerate(zip(specs, processes, logs, strict=True)):
        result_file = Path(spec["result_file"])
        if kill is not None and index == kill[0]:
            if killed_at is None or result_file.exists():
                raise BenchError(f"{label}: client {index} finished before it could be killed; give it more orders")
            results.append(None)
            continue
        if process.returncode != 0 or not result_file.exists():
            tail = log_path.read_text(errors="replace")[-2000:]
            raise BenchError(f"{label}: client exited with {process.returncode}; end of its log:\n{tail}")
        results.append(json.loads(result_file.read_text()))
    return Run(results, spawned, released, exited, killed_at, polls)


def write_orders(path: Path, orders: list[str]) -> str:
    """A shard file as planning writes them: one order number per line."""
    path.write_text("".join(f"{order}\n" for order in orders), encoding="utf-8")
    return str(path)


def outcomes(run: Run) -> dict[str, int]:
    totals: dict[str, int] = {}
    for result in run.finished:
        for name, count in result["summary"]["outcomes"].items():
            totals[name] = totals.get(name, 0) + count
    return totals


def check_shards(label: str, run: Run, expected: int) -> None:
    """Every order of every shard must have a record; else the rates are not rates of the work asked for."""
    got = sum(result["summary"]["orders"] for result in run.finished)
    recorded = sum(outcomes(run).values())
    if got != expected or recorded != expected:
        raise BenchError(f"{label}: {expected} orders sent, {got} in the summaries, {recorded} records")


def sends_between(results: list[dict[str, Any]], start: float, end: float) -> int:
    """Calls (send slots granted) of these traced clients in ``[start, end)``."""
    return sum(start <= moment < end for result in results for moment in result["sends"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


# -- the table -----------------------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    scenario: str
    orders: int | str
    shape: str
    seconds: float | None
    rate: float | None
    figure: str
    target: str = ""
    met: bool | None = None
    others: float | None = None  # the rest of the machine's CPU meanwhile (CpuMeter), 0 to 1


def worker_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a client process of bench/fetch_throughput.py")
    parser.add_argument("--worker", choices=sorted(WORKERS), required=True)
    parser.add_argument("--spec", required=True)
    args = parser.parse_args(argv)
    WORKERS[args.worker](json.loads(Path(args.spec).read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
