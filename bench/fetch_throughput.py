"""Fetch throughput benchmark: how much of the QPS quota, the wire and the RAM a shard fetch uses.

Prints one table from one run. Rows 1.1-1.7 measure the app's one QPS quota as every client shares it (the
strict simulator at ``--qps``, 20 by default, refuses any call over its sliding one-second window):

    1.1   one shard task alone            1.4   four at once, one SIGKILLed: the survivors afterwards
    1.2   four shard tasks at once        1.5   two DAG runs (``airflow dags test``) at once on one WBappid
    1.3   three short tasks and one long  1.6   the DAG end to end: (a) ``airflow dags test``, (b) the stack
                                          1.7   both syncs at once: the OCR and the face DAG on one WBappid

Rows 2-5 compare our shard fetch (``TencentKycHook`` + ``fetch_shard``, as a mapped task runs it) with the
limits it should approach, with no quota: a bare thread pool of signed GETs (row 3, the wire's limit on this
machine) and a plain sequential loop (row 4); row 5 checks that peak memory does not grow with the shard size.
A second table gives the limiter's cost: bookings per second per client and milliseconds per booking, with
the file and the database store, at quota 20 and 500.

    .venv/bin/python bench/fetch_throughput.py            # every row, ~11 minutes on 2 cores (needs PostgreSQL)
    .venv/bin/python bench/fetch_throughput.py --quick    # smoke run, well under a minute (no DAG or stack rows)

The simulator runs as its own process and every client is a separate process (``throughput_clients.py``),
started together once all are imported. Rows 1.1-1.4 and the cost: ``throughput_quota.py``; rows 1.5-1.7:
``throughput_dag.py``. PostgreSQL (``tests/services/start_postgres.sh``) serves the database store and the
stack. Only loopback is used.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from throughput_clients import (
    QUIET,
    BenchError,
    CpuMeter,
    Row,
    Simulator,
    check_shards,
    connection_env,
    note,
    outcomes,
    run_clients,
    simulator_process,
    write_orders,
)
from throughput_dag import dag_row, pair_row, stack_row, syncs_row
from throughput_quota import Cost, QuotaRun, cost_rows, quota_rows, render_costs

#: ``qps_quota`` given to the connection in the "no quota" rows: the highest a connection accepts, so it does not bind.
UNBOUND_QPS_QUOTA = 100_000.0
#: Sizes: default run, and --quick (a smoke run). Seconds are "worth of orders at the quota": qps × seconds orders.
DEFAULTS: dict[str, dict[str, Any]] = {
    "alone_seconds": {"default": 20.0, "quick": 2.0, "help": "row 1.1: orders worth this many seconds at the quota"},
    "together_seconds": {"default": 20.0, "quick": 2.0, "help": "row 1.2: orders (all tasks) worth these seconds"},
    "short_seconds": {"default": 5.0, "quick": 0.5, "help": "row 1.3: each short task's orders, in seconds"},
    "long_seconds": {"default": 20.0, "quick": 2.0, "help": "row 1.3: the long task's orders, in seconds"},
    "kill_after": {"default": 5.0, "quick": 1.0, "help": "row 1.4: seconds after the go the SIGKILL comes"},
    "kill_settle": {"default": 10.0, "quick": 2.2, "help": "row 1.4: survivors measured from this long after it"},
    "kill_run_seconds": {"default": 30.0, "quick": 5.0, "help": "row 1.4: how long the survivors should run"},
    "pair_orders": {"default": 450, "quick": 60, "help": "rows 1.5 and 1.7: orders of each of the two DAG runs"},
    "dag_shards": {"default": 3, "quick": 2, "help": "rows 1.5 and 1.6: shards per day"},
    "dag_shard_size": {"default": 300, "quick": 30, "help": "row 1.6: orders per shard (row 1.5: pair/shards)"},
    "cost_seconds": {"default": 8.0, "quick": 1.0, "help": "limiter cost: orders worth this many seconds"},
    "free_orders": {"default": 3000, "quick": 500, "help": "orders of rows 2 and 3"},
    "sequential_orders": {"default": 300, "quick": 50, "help": "orders of row 4 (slow: one at a time)"},
    "memory_small": {"default": 2000, "quick": 200, "help": "orders of the small memory run (row 5a)"},
    "memory_large": {"default": 20000, "quick": 2000, "help": "orders of the large memory run (row 5b)"},
}
#: Row groups: --rows takes a subset; --quick leaves out the slow ones unless named.
GROUPS = {
    "quota": "rows 1.1-1.4 (shard processes on one quota)",
    "dag": "rows 1.5, 1.6a and 1.7 (airflow dags test)",
    "stack": "row 1.6b (the multi-process stack; PostgreSQL)",
    "cost": "the limiter's cost (file and database store; PostgreSQL)",
    "free": "rows 2-4 (no quota: ours, bare pool, sequential)",
    "memory": "row 5 (peak RSS with photos)",
}
QUICK_GROUPS = ("quota", "cost", "free")


# -- rows 2-5: no quota, and memory --------------------------------------------------------------------------


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
    meter = CpuMeter(sim)
    ours = run_clients(work, "row2", "shard", [spec], env)
    ours_others = meter.others()
    check_shards("row 2", ours, len(chosen))
    ours_rate = len(chosen) / ours.fetch_seconds
    failed = outcomes(ours).get("failed", 0)

    sim.configure(qps=0, latency=latency)
    env = connection_env(sim, home)
    bare_spec = {"orders_file": spec["orders_file"], "concurrency": args.concurrency}
    meter = CpuMeter(sim)
    bare = run_clients(work, "row3", "bare", [bare_spec], env)
    bare_others = meter.others()
    bare_rate = len(chosen) / bare.fetch_seconds

    sim.configure(qps=0, latency=latency)
    seq_spec = {"orders_file": write_orders(work / "row4-orders.txt", sequential), "concurrency": 1}
    meter = CpuMeter(sim)
    seq = run_clients(work, "row4", "bare", [seq_spec], env)
    seq_others = meter.others()
    seq_rate = len(sequential) / seq.fetch_seconds

    for label, run, count in (("row 3", bare, len(chosen)), ("row 4", seq, len(sequential))):
        codes = run.finished[0]["codes"]
        unexpected = {code: n for code, n in codes.items() if code not in ("0", "66660020")}
        if sum(codes.values()) != count or unexpected:
            raise BenchError(f"{label}: answers by code {codes}: expected only 0 and 66660020 for {count} orders")

    shape = f"1×{args.concurrency}"
    to_bare, to_seq = ours_rate / bare_rate, ours_rate / seq_rate
    return [
        Row(
            "2", f"no quota, ours: hook + fetch_shard, {args.free_latency_ms:g} ms", len(chosen), shape,
            ours.fetch_seconds, ours_rate,
            f"ours/bare {to_bare:.2f}" + (f"; failed {failed}" if failed else ""),
            "ours/bare ≥0.90", to_bare >= 0.90, ours_others,
        ),
        Row(
            "3", f"bare thread pool of signed GETs, {args.free_latency_ms:g} ms", len(chosen), shape,
            bare.fetch_seconds, bare_rate, "the wire's limit (pre-fetched ticket)", "", None, bare_others,
        ),
        Row(
            "4", f"sequential loop, 1 cached ticket, {args.free_latency_ms:g} ms", len(sequential), "1×1",
            seq.fetch_seconds, seq_rate, f"ours/sequential {to_seq:.1f}×", "ours/seq ≥10×", to_seq >= 10.0, seq_others,
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
            meter = CpuMeter(sim)
            run = run_clients(work, f"row{key}", "shard", [spec], env)
            others = meter.others()
        finally:
            shutil.rmtree(root, ignore_errors=True)
        check_shards(f"row {key}", run, len(chosen))
        result = run.finished[0]
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
                run.fetch_seconds, count / run.fetch_seconds, figure, target, met, others,
            )
        )  # fmt: skip
    return rows


# -- output --------------------------------------------------------------------------------------------------

COLUMNS = (
    ("row", 4), ("scenario", 56), ("orders", 7), ("proc×thr", 9), ("wall s", 8), ("rate/s", 9), ("others", 6),
)  # fmt: skip


def render(rows: list[Row]) -> str:
    """Fixed-width columns; the last two (figure, target) are left-aligned and may run long."""
    widths = [max(w, *(len(row.scenario) for row in rows)) if name == "scenario" else w for name, w in COLUMNS]
    figure_width = max([len("figure"), *(len(row.figure) for row in rows)])
    head = [
        name.ljust(w) if i < 2 else name.rjust(w) for i, ((name, _), w) in enumerate(zip(COLUMNS, widths, strict=True))
    ]
    lines = ["  ".join([*head, "figure".ljust(figure_width), "goal (met?)"])]
    lines.append("-" * len(lines[0]))
    for row in rows:
        seconds = "" if row.seconds is None else f"{row.seconds:.1f}"
        rate = "" if row.rate is None else f"{row.rate:.1f}"
        others = "" if row.others is None else f"{100 * row.others:.0f}%"
        met = "" if row.met is None else (" yes" if row.met else " NO")
        cells = [row.key, row.scenario, str(row.orders), row.shape, seconds, rate, others]
        text = [
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join([*text, row.figure.ljust(figure_width), (row.target + met).strip()]).rstrip())
    return "\n".join(lines)


# -- command line --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Row groups (--rows): "
        + "; ".join(f"{name}: {text}" for name, text in GROUPS.items())
        + ".\n\nGoals: rows 1.1-1.5 ≥0.90 of the quota with 0 throttled; rows 1.6a/b ≥0.85 end to end; row 2 "
        "≥0.90× row 3; row 2 ≥10× row 4; row 5 peak-RSS ratio ≤1.2. Figures, not tests: only a failed sanity "
        "check (a crashed client, lost orders, a failed run) exits non-zero.",
    )
    quick_help = (
        f"smaller sizes, only the groups {', '.join(QUICK_GROUPS)} and the file store: a smoke run under a minute"
    )
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--rows", help=f"comma-separated row groups to run (default: all; --quick: {','.join(QUICK_GROUPS)})"
    )
    for name, sizes in DEFAULTS.items():
        kind = type(sizes["default"])
        parser.add_argument(
            "--" + name.replace("_", "-"), type=kind, default=None,
            help=f"{sizes['help']} (default: {sizes['default']:g}; --quick: {sizes['quick']:g})",
        )  # fmt: skip
    parser.add_argument(
        "--qps", type=int, default=20, help="the quota of rows 1.x, simulator and connection (default: 20)"
    )
    parser.add_argument(
        "--quota-latency",
        default="uniform:20,50",
        help="simulated latency of rows 1.x and the cost (default: uniform:20,50 ms)",
    )
    parser.add_argument("--shards", type=int, default=4, help="shard processes of rows 1.2-1.4 (default: 4)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per process (default: 16)")
    parser.add_argument(
        "--cost-quotas", help="quotas of the cost runs, comma-separated (default: --qps,500; --quick: 500, the quota "
        "20 figures then coming from rows 1.1 and 1.2 only)",
    )  # fmt: skip
    parser.add_argument("--cost-clients", type=int, default=2, help="client processes of each cost run (default: 2)")
    parser.add_argument(
        "--cost-stores", help="stores of the cost runs, comma-separated (default: file,database; --quick: file)"
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("KYC_TEST_POSTGRES_DSN", DEFAULT_POSTGRES),
        help="PostgreSQL DSN of a role allowed to create databases (database store, stack; default: the test server)",
    )  # fmt: skip
    parser.add_argument(
        "--free-latency-ms", type=float, default=20.0, help="simulated latency in rows 2-4 (default: 20)"
    )
    parser.add_argument(
        "--date", default="2026-11-27", help="order date, also the simulator's today (default: 2026-11-27)"
    )
    parser.add_argument(
        "--wait-quiet", type=float, metavar="PERCENT",
        help="before each measured scenario, wait until the whole machine is busy less than this (e.g. 10) over "
        "two 3 s windows, at most 15 minutes each time: for a shared machine (default: do not wait)",
    )  # fmt: skip
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (logs, results)")
    return parser


DEFAULT_POSTGRES = "postgresql://kyc_test:kyc_test@127.0.0.1:5432/kyc_test"


def resolve(args: argparse.Namespace) -> set[str]:
    for name, sizes in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, sizes["quick" if args.quick else "default"])
        if getattr(args, name) <= 0:
            raise SystemExit(f"error: --{name.replace('_', '-')} must be positive")
    if args.shards < 2 or args.qps < 1 or args.cost_clients < 1:
        raise SystemExit("error: --shards must be at least 2, --qps and --cost-clients at least 1")
    if args.kill_settle <= 2 or args.kill_run_seconds <= args.kill_after + args.kill_settle:
        raise SystemExit("error: need --kill-settle > 2 and --kill-run-seconds > --kill-after + --kill-settle")
    args.cost_stores = [s for s in (args.cost_stores or ("file" if args.quick else "file,database")).split(",") if s]
    quotas = args.cost_quotas or ("500" if args.quick else f"{args.qps},500")
    args.cost_quotas = [float(q) for q in quotas.split(",") if q]
    if not set(args.cost_stores) <= {"file", "database"}:
        raise SystemExit("error: --cost-stores takes file and/or database")
    default = QUICK_GROUPS if args.quick else tuple(GROUPS)
    groups = {group.strip() for group in (args.rows or ",".join(default)).split(",") if group.strip()}
    if not groups <= set(GROUPS):
        raise SystemExit(f"error: --rows takes a comma-separated subset of {', '.join(GROUPS)}")
    return groups


def orders_needed(args: argparse.Namespace) -> int:
    qps = args.qps
    kill_each = qps * (args.kill_after / args.shards + args.kill_run_seconds / (args.shards - 1)) + 1
    return int(
        max(
            qps * args.alone_seconds, qps * args.together_seconds + args.shards,
            qps * (args.short_seconds * (args.shards - 1) + args.long_seconds) + args.shards,
            kill_each * args.shards, max(args.cost_quotas, default=0) * args.cost_seconds + args.cost_clients,
            args.pair_orders, args.dag_shards * args.dag_shard_size,
            args.free_orders, args.sequential_orders, args.memory_small, args.memory_large,
        )
    ) + 10  # fmt: skip


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM ends the run like Ctrl-C: through the ``finally`` blocks that stop the simulator and clients."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    groups = resolve(args)
    if args.wait_quiet is not None:
        QUIET["max_busy"] = args.wait_quiet / 100
    started = time.monotonic()
    needed = orders_needed(args)
    work = Path(tempfile.mkdtemp(prefix="kyc-bench-"))
    (work / "home").mkdir()
    rows: list[Row] = []
    costs: list[Cost] = []
    try:
        with simulator_process(
            work, qps=args.qps, latency=args.quota_latency, orders_per_day=needed, today=args.date
        ) as sim:
            orders = sim.orders(args.date)
            if len(orders) < needed:
                raise BenchError(f"the simulator serves {len(orders)} orders for {args.date}, {needed} needed")
            earlier: list[QuotaRun] = []
            if "quota" in groups:
                quota, earlier = quota_rows(args, sim, work, orders)
                rows += quota
            if "dag" in groups:
                rows.append(pair_row(args, sim, work))
                rows.append(dag_row(args, sim, work))
                rows.append(syncs_row(args, sim, work))
            if "stack" in groups:
                rows.append(stack_row(args, work))
            if "cost" in groups:
                costs = cost_rows(args, sim, work, orders, earlier)
            if "free" in groups:
                note(f"rows 2-4: ours, bare pool and sequential over {args.free_orders}/{args.sequential_orders}")
                rows += free_rows(args, sim, work, orders)
            if "memory" in groups:
                note(f"row 5: peak RSS with photos, {args.memory_small} vs {args.memory_large} orders")
                rows += memory_rows(args, sim, work, orders)
    except BenchError as error:
        print(f"sanity check failed: {error}", file=sys.stderr)
        print(f"temporary folder kept for inspection: {work}", file=sys.stderr)
        return 2
    if not args.keep_temp:
        shutil.rmtree(work, ignore_errors=True)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"machine: nproc={len(os.sched_getaffinity(0))}, {python}, {platform.system()} {platform.release()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; load average at the end {load}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    if rows:
        print(render(rows))
    if costs:
        print(f"\nlimiter cost (simulator latency {args.quota_latency} ms; calls/s ÷ quota in '÷quota'):")
        print(render_costs(costs))
    print(
        f"total runtime {time.monotonic() - started:.0f} s" + (f"; temporary folder kept: {work}" * args.keep_temp),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
