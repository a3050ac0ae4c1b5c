"""Rows 1.1-1.4 of ``fetch_throughput.py``: shard processes sharing one QPS quota.

Each client is a separate process with its own ``TencentKycHook`` (what a mapped fetch task runs), and they
meet only in the credential store (the file store through ``credential_path``), against
the strict simulator, which refuses (400504) any call over its per-app sliding one-second window. Clients are
released together; each records when every call got its send slot, so rates over part of a run are measured.

Rates are calls (token and ticket included: they draw on the same quota) per second, divided by the quota.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from throughput_clients import (
    BenchError,
    CpuMeter,
    Row,
    Run,
    Simulator,
    SimulatorWindow,
    check_shards,
    connection_env,
    note,
    run_clients,
    sends_between,
    write_orders,
)

#: Goal of rows 1.1-1.5: this share of the quota, with no throttled answer.
QUOTA_GOAL = 0.90


def quota_latency(args: argparse.Namespace) -> str:
    return str(args.quota_latency)


def goal_text() -> str:
    return f"≥{QUOTA_GOAL:.2f} & 0 throttled"


@dataclass
class QuotaRun:
    """A set of shard clients on one quota, with what the simulator counted meanwhile."""

    run: Run
    window: SimulatorWindow
    orders: list[int]
    others: float  # the rest of the machine's CPU meanwhile

    @property
    def calls(self) -> int:
        """Calls the finished clients' hooks sent (token, ticket and getOcrResult; retries counted)."""
        return sum(int(result["counts"]["calls"]) for result in self.run.finished)

    def dropped(self) -> str:
        """The stale slots the clients dropped (a slot more than LATE_TOLERANCE past is not sent), if any."""
        dropped = sum(int(result["dropped"]) for result in self.run.finished)
        return f"; {dropped} slots dropped" if dropped else ""

    def agreement(self) -> str:
        """Empty if the hooks' count equals the simulator's (it must, when no client was killed)."""
        if self.run.killed_at is None and self.calls != self.window.requests:
            return f"; hooks sent {self.calls}, simulator saw {self.window.requests}"
        return ""


def run_quota_clients(
    args: argparse.Namespace,
    sim: Simulator,
    work: Path,
    label: str,
    chunks: list[list[str]],
    *,
    qps: float | None = None,
    store: dict[str, Any] | None = None,
    kill: tuple[int, float] | None = None,
) -> QuotaRun:
    """One client process per chunk of orders, sharing the quota through ``store`` (default: a fresh file store)."""
    qps = float(args.qps if qps is None else qps)
    sim.configure(qps=int(qps), latency=quota_latency(args))
    extra = store or {"credential_path": str(work / f"{label}.credentials")}
    env = connection_env(sim, work / "home", qps_quota=qps, **extra)
    specs = [
        {
            "orders_file": write_orders(work / f"{label}-shard-{index:05d}.txt", chunk),
            "root": f"file://{work / (label + '-data')}",
            "date": args.date,
            "shard": index,
            "get_file": False,
            "concurrency": args.concurrency,
            "trace": True,
        }
        for index, chunk in enumerate(chunks)
    ]
    before, meter = sim.stats(), CpuMeter(sim)
    run = run_clients(work, label, "shard", specs, env, kill=kill)
    others = meter.others()
    window = SimulatorWindow.between(before, sim.stats())
    check_shards(label, run, sum(len(chunk) for index, chunk in enumerate(chunks) if kill is None or index != kill[0]))
    return QuotaRun(run, window, [len(chunk) for chunk in chunks], others)


def take(orders: list[str], sizes: list[int]) -> list[list[str]]:
    """Consecutive chunks of the day's orders, of these sizes."""
    if sum(sizes) > len(orders):
        raise BenchError(f"{sum(sizes)} orders needed, the simulator serves {len(orders)}")
    chunks, start = [], 0
    for size in sizes:
        chunks.append(orders[start : start + size])
        start += size
    return chunks


def share(calls: float, seconds: float, qps: float) -> float:
    return calls / seconds / qps if seconds > 0 else float("nan")


def quota_rows(
    args: argparse.Namespace, sim: Simulator, work: Path, orders: list[str]
) -> tuple[list[Row], list[QuotaRun]]:
    """Rows 1.1-1.4; also returns the runs (their traces)."""
    qps, n = float(args.qps), args.shards
    shape = f"{n}×{args.concurrency}"
    rows: list[Row] = []

    note(f"row 1.1: one shard process alone, {args.alone_seconds:g} s worth of orders at qps {args.qps}")
    alone = run_quota_clients(args, sim, work, "row1.1", take(orders, [round(qps * args.alone_seconds)]))
    result = alone.run.finished[0]
    seconds = float(result["end"] - result["go"])
    ratio = share(alone.calls, seconds, qps)
    rows.append(
        Row(
            "1.1", f"quota {args.qps}: one shard task alone", sum(alone.orders), f"1×{args.concurrency}",
            seconds, alone.calls / seconds,
            f"{ratio:.3f} of quota; throttled {alone.window.throttled}" + alone.dropped() + alone.agreement(),
            goal_text(), ratio >= QUOTA_GOAL and alone.window.throttled == 0, alone.others,
        )
    )  # fmt: skip

    note(f"row 1.2: {n} shard processes at once, {args.together_seconds:g} s worth of orders")
    total = round(qps * args.together_seconds)
    together = run_quota_clients(
        args, sim, work, "row1.2", take(orders, [total // n + (i < total % n) for i in range(n)])
    )
    ratio = share(together.calls, together.run.fetch_seconds, qps)
    per_client = [int(r["counts"]["calls"]) for r in together.run.finished]
    rows.append(
        Row(
            "1.2", f"quota {args.qps}: {n} shard tasks at once", total, shape, together.run.fetch_seconds,
            together.calls / together.run.fetch_seconds,
            f"{ratio:.3f} of quota; throttled {together.window.throttled}; calls per task {per_client}"
            + together.dropped() + together.agreement(),
            goal_text(), ratio >= QUOTA_GOAL and together.window.throttled == 0, together.others,
        )
    )  # fmt: skip

    short, long = round(qps * args.short_seconds), round(qps * args.long_seconds)
    note(f"row 1.3: {n - 1} short shard processes ({short} orders) and one long ({long})")
    mixed = run_quota_clients(args, sim, work, "row1.3", take(orders, [short] * (n - 1) + [long]))
    ratio = share(mixed.calls, mixed.run.fetch_seconds, qps)
    *shorts, longest = mixed.run.finished
    shorts_end = max(float(r["end"]) for r in shorts)
    alone_seconds = float(longest["end"]) - shorts_end
    alone_calls = sends_between([longest], shorts_end, float(longest["end"]) + 1)
    long_ratio = share(alone_calls, alone_seconds, qps)
    rows.append(
        Row(
            "1.3a", f"quota {args.qps}: {n - 1} short tasks + 1 long, whole run", sum(mixed.orders), shape,
            mixed.run.fetch_seconds, mixed.calls / mixed.run.fetch_seconds,
            f"{ratio:.3f} of quota; throttled {mixed.window.throttled}" + mixed.dropped() + mixed.agreement(),
            goal_text(), ratio >= QUOTA_GOAL and mixed.window.throttled == 0, mixed.others,
        )
    )  # fmt: skip
    rows.append(
        Row(
            "1.3b", "  the long task after the short ones finished", long, "1×" + str(args.concurrency),
            alone_seconds, alone_calls / alone_seconds if alone_seconds > 0 else None,
            f"{long_ratio:.3f} of quota (short ones done at +{shorts_end - mixed.run.go:.1f} s)",
            f"≥{QUOTA_GOAL:.2f}", long_ratio >= QUOTA_GOAL, mixed.others,
        )
    )  # fmt: skip

    after, settle, length = args.kill_after, args.kill_settle, args.kill_run_seconds
    each = math.ceil(qps * (after / n + (length - after) / (n - 1)))
    note(f"row 1.4: {n} shard processes of {each} orders, one SIGKILLed {after:g} s after the go")
    killed = run_quota_clients(args, sim, work, "row1.4", take(orders, [each] * n), kill=(0, after))
    assert killed.run.killed_at is not None
    survivors = killed.run.finished
    kill_at = killed.run.killed_at
    start, end = kill_at + settle, killed.run.end
    if end - start < 2:
        raise BenchError(f"row 1.4: the survivors ended {end - kill_at:.1f} s after the kill; give them more orders")
    calls = sends_between(survivors, start, end + 1)
    ratio = share(calls, end - start, qps)
    early = share(sends_between(survivors, kill_at + 2, kill_at + settle), settle - 2, qps)
    rows.append(
        Row(
            "1.4", f"quota {args.qps}: {n} tasks, 1 SIGKILLed at +{after:g} s; survivors", n * each, shape,
            end - start, calls / (end - start),
            f"{ratio:.3f} of quota from kill+{settle:g} s to the end (kill+2..{settle:g} s: {early:.3f}); "
            f"throttled {killed.window.throttled}" + killed.dropped(),
            goal_text(), ratio >= QUOTA_GOAL and killed.window.throttled == 0, killed.others,
        )
    )  # fmt: skip
    return rows, [alone, together, mixed, killed]
