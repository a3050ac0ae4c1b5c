"""Fetch throughput and memory benchmark: how much of the quota, the wire and the RAM a shard fetch uses.

Prints one table comparing our shard fetch (``TencentKycHook`` + ``fetch_shard``, as a mapped task runs it)
with the limits it should approach: the QPS quota (row 1), a bare thread pool of signed GETs (row 3, the
wire's limit on this machine) and a plain sequential loop (row 4); row 5 checks that peak memory does not
grow with the shard size. The simulator runs as its own process and every client is a separate process,
so no two of them share a GIL and each one's peak RSS is its own.

    .venv/bin/python bench/fetch_throughput.py            # default sizes, ~4-5 minutes on 2 cores
    .venv/bin/python bench/fetch_throughput.py --quick    # smoke run, well under a minute

Client processes import everything, then wait on stdin for a common "go", so timings exclude interpreter and
Airflow start-up (row 1 also shows the rate counted from process spawn). Only loopback is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
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
#: ``qps_quota`` given to the connection in the "no quota" rows: the highest a connection accepts, so it does not bind.
UNBOUND_QPS_QUOTA = 100_000.0
#: Sizes: default run, and --quick (a smoke run).
DEFAULTS: dict[str, dict[str, Any]] = {
    "quota_orders": {"default": 20_000, "quick": 2_000},
    "free_orders": {"default": 3_000, "quick": 1_000},
    "sequential_orders": {"default": 300, "quick": 100},
    "memory_small": {"default": 2_000, "quick": 200},
    "memory_large": {"default": 20_000, "quick": 2_000},
}
THROTTLE_CODES = ("400504", "400501")


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
    progress = Progress(f"shard-{spec['shard']:05d}", len(orders), logging.getLogger("bench.shard"), 3600.0)
    fetch = ocr_fetcher(hook, layout, get_file=spec["get_file"])
    summary = fetch_shard(
        fetch, orders, layout.results(spec["shard"]), concurrency=spec["concurrency"], progress=progress
    ).as_xcom()
    _write_result(spec, {"go": go, "end": time.time(), "summary": summary, "rss_ready_kib": rss_ready})


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


# -- parent side: simulator, client processes, table ---------------------------------------------------------


class BenchError(RuntimeError):
    """A sanity failure: the figures would be meaningless, so the run stops."""


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


@contextmanager
def simulator_process(args: argparse.Namespace, work: Path, orders_per_day: int) -> Iterator[Simulator]:
    """Start ``python -m tencent_kyc_dev.simulator`` on a free loopback port; stop it (and only it) afterwards."""
    port_file = work / "simulator.port"
    secret = secrets.token_hex(24)
    command = [
        sys.executable, "-m", "tencent_kyc_dev.simulator", "--host", "127.0.0.1", "--port", "0",
        "--port-file", str(port_file), "--qps", str(args.qps), "--latency", f"fixed:{args.quota_latency_ms:g}",
        "--orders-per-day", str(orders_per_day), "--today", args.date, "--retention-days", "0",
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


def connection_env(simulator: Simulator, home: Path, **extra: Any) -> dict[str, str]:
    """Environment of a client process: isolated AIRFLOW_HOME and the ``tencent_kyc`` connection as JSON."""
    conn = {
        "conn_type": "tencent_kyc",
        "host": simulator.url,
        "login": simulator.app_id,
        "password": simulator.secret,
        "extra": extra,
    }
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        CONN_ENV: json.dumps(conn),
    }


@dataclass
class Run:
    """The outcome of one set of client processes started together."""

    results: list[dict[str, Any]]
    spawned: float
    released: float
    exited: float
    polls: list[tuple[float, int]] = field(default_factory=list)

    @property
    def fetch_seconds(self) -> float:
        """First client's go to last client's end."""
        return float(max(r["end"] for r in self.results) - min(r["go"] for r in self.results))

    @property
    def process_seconds(self) -> float:
        """First spawn to last exit, interpreter and Airflow start-up included."""
        return self.exited - self.spawned


def run_clients(
    work: Path, label: str, mode: str, specs: list[dict[str, Any]], env: dict[str, str], poll: Simulator | None = None
) -> Run:
    """Spawn one process per spec, release them together once all are ready, wait, collect their results."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    for index, spec in enumerate(specs):
        spec_file = work / f"{label}-{index}.spec.json"
        spec["result_file"] = str(work / f"{label}-{index}.result.json")
        spec_file.write_text(json.dumps(spec))
        logs.append(work / f"{label}-{index}.log")
    spawned = time.time()
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
            if poll is not None:
                polls.append((time.time(), admitted_calls(poll.stats())))
            time.sleep(0.25)
        exited = time.time()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    results = []
    for spec, process, log_path in zip(specs, processes, logs, strict=True):
        result_file = Path(spec["result_file"])
        if process.returncode != 0 or not result_file.exists():
            tail = log_path.read_text(errors="replace")[-2000:]
            raise BenchError(f"{label}: client exited with {process.returncode}; end of its log:\n{tail}")
        results.append(json.loads(result_file.read_text()))
    return Run(results, spawned, released, exited, polls)


def admitted_calls(stats: dict[str, Any]) -> int:
    """getOcrResult calls the simulator let through its quota (all calls less 400504/400501 refusals)."""
    codes = stats.get("results_by_code", {}).get("getOcrResult", {})
    return int(stats["requests"]["getOcrResult"]) - sum(int(codes.get(code, 0)) for code in THROTTLE_CODES)


def throttled_calls(stats: dict[str, Any]) -> int:
    return int(stats.get("throttled", 0)) + int(stats.get("tps_exceeded", 0))


def write_orders(path: Path, orders: list[str]) -> str:
    """A shard file as planning writes them: one order number per line."""
    path.write_text("".join(f"{order}\n" for order in orders), encoding="utf-8")
    return str(path)


def outcomes(run: Run) -> dict[str, int]:
    totals: dict[str, int] = {}
    for result in run.results:
        for name, count in result["summary"]["outcomes"].items():
            totals[name] = totals.get(name, 0) + count
    return totals


def check_shards(label: str, run: Run, expected: int) -> None:
    """Every order of every shard must have a record; else the rates are not rates of the work asked for."""
    got = sum(result["summary"]["orders"] for result in run.results)
    recorded = sum(outcomes(run).values())
    if got != expected or recorded != expected:
        raise BenchError(f"{label}: {expected} orders sent, {got} in the summaries, {recorded} records")


# -- the rows ------------------------------------------------------------------------------------------------


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


def quota_rows(args: argparse.Namespace, sim: Simulator, work: Path, orders: list[str]) -> list[Row]:
    """Row 1: N shard processes at 1/N of the quota each, started together; counted by the simulator."""
    chosen = orders[: args.quota_orders]
    shards = args.shards
    size = -(-len(chosen) // shards)
    sim.configure(qps=args.qps, latency=f"fixed:{args.quota_latency_ms:g}")
    env = connection_env(sim, work / "home", qps_quota=args.qps, credential_path=str(work / "row1.credentials"))
    specs = [
        {
            "orders_file": write_orders(work / f"row1-shard-{i:05d}.txt", chosen[i * size : (i + 1) * size]),
            "root": f"file://{work / 'row1-data'}",
            "date": args.date,
            "shard": i,
            "get_file": False,
            "concurrency": args.concurrency,
        }
        for i in range(shards)
    ]
    before = sim.stats()
    run = run_clients(work, "row1", "shard", specs, env, poll=sim)
    after = sim.stats()
    check_shards("row 1", run, len(chosen))
    admitted = admitted_calls(after) - admitted_calls(before)
    throttled = throttled_calls(after) - throttled_calls(before)
    tokens = int(after["requests"]["access_token"]) - int(before["requests"]["access_token"])
    failed = outcomes(run).get("failed", 0)
    if admitted < len(chosen):
        raise BenchError(f"row 1: the simulator admitted {admitted} getOcrResult calls for {len(chosen)} orders")
    shape = f"{shards}×{args.concurrency}"
    rate = admitted / run.fetch_seconds
    spawn_rate = admitted / run.process_seconds
    share = 100.0 * rate / args.qps
    # The simulator's own view: first to last poll at which its admitted count moved (0.25 s resolution).
    moving = [t for (t, n), (_, previous) in zip(run.polls[1:], run.polls, strict=False) if n != previous]
    sim_window = (moving[-1] - moving[0] + 0.25) if len(moving) >= 2 else float("nan")
    extra = f"; failed {failed}" if failed else ""
    return [
        Row(
            "1", f"quota use: qps {args.qps}, {args.quota_latency_ms:g} ms, {shards} shard procs", len(chosen),
            shape, run.fetch_seconds, rate,
            f"{share:.1f}% of quota; throttled {throttled}; token requests {tokens}{extra}",
            "≥95% & 0 throttled", share >= 95.0 and throttled == 0,
        ),
        Row(
            "1b", "  same, timed from process spawn (start-up incl.)", admitted, shape, run.process_seconds,
            spawn_rate, f"{100.0 * spawn_rate / args.qps:.1f}% of quota (start-up {run.released - run.spawned:.1f} s)",
        ),
        Row(
            "1c", "  same, simulator's view (stats polled 4×/s)", admitted, shape, sim_window,
            admitted / sim_window if sim_window == sim_window else None,
            f"{100.0 * admitted / sim_window / args.qps:.1f}% of quota" if sim_window == sim_window else "n/a",
        ),
    ]  # fmt: skip


def free_rows(args: argparse.Namespace, sim: Simulator, work: Path, orders: list[str]) -> list[Row]:
    """Rows 2-4 with no quota: ours vs a bare thread pool (the wire's limit) vs a sequential loop."""
    chosen, sequential = orders[: args.free_orders], orders[: args.sequential_orders]
    latency = f"fixed:{args.free_latency_ms:g}"
    home = work / "home"

    sim.configure(qps=0, latency=latency)
    env = connection_env(sim, home, qps_quota=UNBOUND_QPS_QUOTA, credential_path=str(work / "row2.credentials"))
    spec = {
        "orders_file": write_orders(work / "row2-shard.txt", chosen),
        "root": f"file://{work / 'row2-data'}",
        "date": args.date,
        "shard": 0,
        "get_file": False,
        "concurrency": args.concurrency,
    }
    ours = run_clients(work, "row2", "shard", [spec], env)
    check_shards("row 2", ours, len(chosen))
    ours_rate = len(chosen) / ours.fetch_seconds
    failed = outcomes(ours).get("failed", 0)

    sim.configure(qps=0, latency=latency)
    env = connection_env(sim, home)
    bare_spec = {"orders_file": spec["orders_file"], "concurrency": args.concurrency}
    bare = run_clients(work, "row3", "bare", [bare_spec], env)
    bare_rate = len(chosen) / bare.fetch_seconds

    sim.configure(qps=0, latency=latency)
    seq_spec = {"orders_file": write_orders(work / "row4-orders.txt", sequential), "concurrency": 1}
    seq = run_clients(work, "row4", "bare", [seq_spec], env)
    seq_rate = len(sequential) / seq.fetch_seconds

    for label, run, count in (("row 3", bare, len(chosen)), ("row 4", seq, len(sequential))):
        codes = run.results[0]["codes"]
        unexpected = {code: n for code, n in codes.items() if code not in ("0", "66660020")}
        if sum(codes.values()) != count or unexpected:
            raise BenchError(f"{label}: answers by code {codes}: expected only 0 and 66660020 for {count} orders")

    shape = f"1×{args.concurrency}"
    to_bare, to_seq = ours_rate / bare_rate, ours_rate / seq_rate
    return [
        Row(
            "2", f"no quota, ours: hook + fetch_shard, {args.free_latency_ms:g} ms", len(chosen), shape,
            ours.fetch_seconds, ours_rate,
            f"ours/bare {to_bare:.2f}" + (f"; failed {failed}" if failed else ""), "ours/bare ≥0.90", to_bare >= 0.90,
        ),
        Row(
            "3", f"bare thread pool of signed GETs, {args.free_latency_ms:g} ms", len(chosen), shape,
            bare.fetch_seconds, bare_rate, "the wire's limit (pre-fetched ticket)",
        ),
        Row(
            "4", f"sequential loop, 1 cached ticket, {args.free_latency_ms:g} ms", len(sequential), "1×1",
            seq.fetch_seconds, seq_rate, f"ours/sequential {to_seq:.1f}×", "ours/seq ≥10×", to_seq >= 10.0,
        ),
    ]  # fmt: skip


def memory_rows(args: argparse.Namespace, sim: Simulator, work: Path, orders: list[str]) -> list[Row]:
    """Row 5: peak RSS of one shard process with photos, small shard vs 10× the shard; photos deleted after."""
    rows: list[Row] = []
    peaks: list[int] = []
    for key, count in (("5a", args.memory_small), ("5b", args.memory_large)):
        chosen = orders[:count]
        sim.configure(qps=0, latency="fixed:0", photo_lag_seconds=0)
        credentials = str(work / f"row{key}.credentials")
        env = connection_env(sim, work / "home", qps_quota=UNBOUND_QPS_QUOTA, credential_path=credentials)
        root = work / f"row{key}-data"
        spec = {
            "orders_file": write_orders(work / f"row{key}-shard.txt", chosen),
            "root": f"file://{root}",
            "date": args.date,
            "shard": 0,
            "get_file": True,
            "concurrency": args.concurrency,
        }
        try:
            run = run_clients(work, f"row{key}", "shard", [spec], env)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        check_shards(f"row {key}", run, len(chosen))
        result = run.results[0]
        peak = int(result["maxrss_kib"])
        peaks.append(peak)
        stored = result["summary"]["photos_stored"]
        figure = (
            f"peak RSS {peak / 1024:.0f} MiB (VmHWM {result['vmhwm_kib'] / 1024:.0f}, "
            f"{result['rss_ready_kib'] / 1024:.0f} after imports); {stored} photos"
        )
        target, met = "", None
        if key == "5b":
            ratio = peaks[1] / peaks[0]
            figure += f"; ratio {ratio:.2f}"
            target, met = "ratio ≤1.2", ratio <= 1.2
        rows.append(
            Row(
                key, f"memory: photos, {count} orders, 0 ms", count, f"1×{args.concurrency}",
                run.fetch_seconds, count / run.fetch_seconds, figure, target, met,
            )
        )  # fmt: skip
    return rows


# -- output --------------------------------------------------------------------------------------------------

COLUMNS = (("row", 4), ("scenario", 56), ("orders", 7), ("proc×thr", 9), ("wall s", 8), ("orders/s", 9))


def render(rows: list[Row]) -> str:
    """Fixed-width columns; the last two (figure, target) are left-aligned and may run long."""
    widths = [w for _, w in COLUMNS]
    figure_width = max([len("figure"), *(len(row.figure) for row in rows)])
    head = [*(name.ljust(w) if i < 2 else name.rjust(w) for i, (name, w) in enumerate(COLUMNS))]
    lines = ["  ".join([*head, "figure".ljust(figure_width), "target (met?)"])]
    lines.append("-" * len(lines[0]))
    for row in rows:
        seconds = "" if row.seconds is None else f"{row.seconds:.1f}"
        rate = "" if row.rate is None else f"{row.rate:.1f}"
        met = "" if row.met is None else (" yes" if row.met else " NO")
        cells = [row.key, row.scenario, str(row.orders), row.shape, seconds, rate]
        text = [
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join([*text, row.figure.ljust(figure_width), (row.target + met).strip()]).rstrip())
    return "\n".join(lines)


def note(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- command line --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Targets: row 1 ≥95% of quota with 0 throttled; row 2 ≥0.90× row 3; row 2 ≥10× row 4; "
        "row 5 peak-RSS ratio ≤1.2. Only a failed sanity check (a crashed client, lost orders) exits non-zero.",
    )
    quick_help = "smaller sizes for a smoke run (under a minute; the targets are for the default sizes)"
    parser.add_argument("--quick", action="store_true", help=quick_help)
    for name, sizes in DEFAULTS.items():
        helps = {
            "quota_orders": "orders of row 1, split between the shard processes",
            "free_orders": "orders of rows 2 and 3",
            "sequential_orders": "orders of row 4 (slow: one at a time)",
            "memory_small": "orders of the small memory run (row 5a)",
            "memory_large": "orders of the large memory run (row 5b)",
        }
        parser.add_argument(
            "--" + name.replace("_", "-"), type=int, default=None,
            help=f"{helps[name]} (default: {sizes['default']}; --quick: {sizes['quick']})",
        )  # fmt: skip
    parser.add_argument("--qps", type=int, default=200, help="the simulator's QPS quota in row 1 (default: 200)")
    parser.add_argument("--shards", type=int, default=4, help="shard processes in row 1 (default: 4)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per process (default: 16)")
    parser.add_argument("--quota-latency-ms", type=float, default=50.0, help="simulated latency in row 1 (default: 50)")
    parser.add_argument(
        "--free-latency-ms", type=float, default=20.0, help="simulated latency in rows 2-4 (default: 20)"
    )
    parser.add_argument(
        "--date", default="2026-11-27", help="order date, also the simulator's today (default: 2026-11-27)"
    )
    parser.add_argument("--rows", default="1,2,5", help="row groups to run: 1 (quota), 2 (rows 2-4), 5 (memory)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (logs, results)")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    return parser


def resolve_sizes(args: argparse.Namespace) -> None:
    for name, sizes in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, sizes["quick" if args.quick else "default"])
        if getattr(args, name) < 1:
            raise SystemExit(f"error: --{name.replace('_', '-')} must be at least 1")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.worker:
        WORKERS[args.worker](json.loads(Path(args.spec).read_text()))
        return 0
    resolve_sizes(args)
    groups = {group.strip() for group in args.rows.split(",") if group.strip()}
    if not groups <= {"1", "2", "5"}:
        raise SystemExit("error: --rows takes a comma-separated subset of 1, 2, 5")
    started = time.monotonic()
    needed = max(args.quota_orders, args.free_orders, args.sequential_orders, args.memory_small, args.memory_large)
    work = Path(tempfile.mkdtemp(prefix="kyc-bench-"))
    (work / "home").mkdir()
    rows: list[Row] = []
    try:
        with simulator_process(args, work, needed) as sim:
            orders: list[str] = sim.get("/admin/orders", date=args.date)["orders"]
            if len(orders) < needed:
                raise BenchError(f"the simulator serves {len(orders)} orders for {args.date}, {needed} needed")
            if "1" in groups:
                note(f"row 1: {args.shards} shard processes, {args.quota_orders} orders at qps {args.qps}")
                rows += quota_rows(args, sim, work, orders)
            if "2" in groups:
                note(f"rows 2-4: ours, bare pool and sequential over {args.free_orders}/{args.sequential_orders}")
                rows += free_rows(args, sim, work, orders)
            if "5" in groups:
                note(f"row 5: peak RSS with photos, {args.memory_small} vs {args.memory_large} orders")
                rows += memory_rows(args, sim, work, orders)
    except BenchError as error:
        print(f"sanity check failed: {error}", file=sys.stderr)
        print(f"temporary folder kept for inspection: {work}", file=sys.stderr)
        return 2
    if not args.keep_temp:
        shutil.rmtree(work, ignore_errors=True)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    machine = f"machine: nproc={len(os.sched_getaffinity(0))}, {python}, {platform.system()} {platform.release()}"
    print(machine)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(render(rows))
    print(
        f"total runtime {time.monotonic() - started:.0f} s" + (f"; temporary folder kept: {work}" * args.keep_temp),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
