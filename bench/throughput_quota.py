"""Rows 1.1-1.4 of ``fetch_throughput.py`` and the limiter's cost: shard processes sharing one QPS quota.

Each client is a separate process with its own ``TencentKycHook`` (what a mapped fetch task runs), and they
meet only in the credential store (the file store through ``credential_path``, or the database store), against
the strict simulator, which refuses (400504) any call over its per-app sliding one-second window. Clients are
released together; each records when every call got its send slot, so rates over part of a run are measured.

Rates are calls (token and ticket included: they draw on the same quota) per second, divided by the quota.
"""

from __future__ import annotations

import argparse
import json
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
    mean,
    note,
    percentile,
    run_clients,
    sends_between,
    write_orders,
)

#: Goal of rows 1.1-1.5: this share of the quota, with no throttled answer.
QUOTA_GOAL = 0.90
#: Airflow connection id of the PostgreSQL database of the database store (its own database, ``--postgres``).
CREDENTIALS_CONN_ID = "kyc_bench_credentials"
CREDENTIALS_DATABASE = "kyc_bench"


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
    if extra.get("credential_store") == "database":
        env[f"AIRFLOW_CONN_{CREDENTIALS_CONN_ID.upper()}"] = store_connection(args)
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
    """Rows 1.1-1.4; also returns the runs, whose traces feed the limiter-cost table."""
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


# -- the limiter's cost ----------------------------------------------------------------------------------------


@dataclass
class Cost:
    """What booking send slots cost the clients of one run."""

    store: str
    qps: float
    source: str
    clients: int
    seconds: float
    calls: int
    bookings: list[int]
    client_seconds: list[float]
    reserve_seconds: list[float]  # every booking but each client's first (which opens the file or connection)
    first_seconds: list[float]
    dropped: int
    throttled: int
    others: float

    @classmethod
    def of(cls, store: str, qps: float, source: str, quota_run: QuotaRun) -> Cost:
        results = quota_run.run.finished
        return cls(
            store=store,
            qps=qps,
            source=source,
            clients=len(results),
            seconds=quota_run.run.fetch_seconds,
            calls=quota_run.calls,
            bookings=[int(r["bookings"]) for r in results],
            client_seconds=[float(r["end"] - r["go"]) for r in results],
            reserve_seconds=[s for r in results for s in r["reserve_seconds"][1:]],
            first_seconds=[r["reserve_seconds"][0] for r in results if r["reserve_seconds"]],
            dropped=sum(int(r["dropped"]) for r in results),
            throttled=quota_run.window.throttled,
            others=quota_run.others,
        )

    def cells(self) -> list[str]:
        per_client = mean([b / s for b, s in zip(self.bookings, self.client_seconds, strict=True) if s > 0])
        per_booking = self.calls / max(1, sum(self.bookings))
        core = per_client * mean(self.reserve_seconds)  # seconds of booking per second, per client
        return [
            self.store,
            f"{self.qps:g}",
            f"{self.clients}",
            self.source,
            f"{share(self.calls, self.seconds, self.qps):.3f}",
            f"{per_client:.1f}",
            f"{per_booking:.1f}",
            f"{1000 * mean(self.reserve_seconds):.2f}",
            f"{1000 * percentile(self.reserve_seconds, 0.95):.2f}",
            f"{1000 * max(self.first_seconds, default=float('nan')):.1f}",
            f"{100 * core:.2f}%",
            f"{self.dropped}",
            f"{self.throttled}",
            f"{100 * self.others:.0f}%",
        ]


COST_COLUMNS = (
    "store", "quota", "clients", "run", "÷quota", "bookings/s/client", "calls/booking", "ms/booking",
    "p95 ms", "1st ms", "time booking", "dropped", "throttled", "others",
)  # fmt: skip


def render_costs(costs: list[Cost]) -> str:
    table = [list(COST_COLUMNS), *(cost.cells() for cost in costs)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COST_COLUMNS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 4 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def store_connection(args: argparse.Namespace) -> str:
    """The bench's own PostgreSQL database for the database store, as an Airflow connection (JSON)."""
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(args.postgres)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": str(parts.get("host") or "127.0.0.1"),
            "port": int(parts.get("port") or 5432),
            "login": str(parts.get("user") or ""),
            "password": str(parts.get("password") or ""),
            "schema": CREDENTIALS_DATABASE,
        }
    )


def reset_database_store(args: argparse.Namespace) -> None:
    """The bench's database (created if missing) without any stored pair or schedule: the simulator was reset."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(args.postgres, autocommit=True, connect_timeout=10) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (CREDENTIALS_DATABASE,)).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(CREDENTIALS_DATABASE)))
    dsn = make_conninfo(args.postgres, dbname=CREDENTIALS_DATABASE)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as connection:
        for table in ("tencent_kyc_credentials", "tencent_kyc_quota", "tencent_kyc_quota_clients"):
            connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def cost_rows(
    args: argparse.Namespace, sim: Simulator, work: Path, orders: list[str], earlier: list[QuotaRun]
) -> list[Cost]:
    """Bookings per second per client and milliseconds per booking, per store and quota (``--cost-clients``
    clients each), plus the same figures of rows 1.1 and 1.2 (file store, quota ``--qps``)."""
    costs: list[Cost] = []
    clients = args.cost_clients
    for store in args.cost_stores:
        if store == "database":
            try:
                reset_database_store(args)
            except Exception as exc:
                raise BenchError(f"the database store needs PostgreSQL at --postgres: {exc}") from exc
        for qps in args.cost_quotas:
            label = f"cost-{store}-{qps:g}"
            total = round(qps * args.cost_seconds)
            note(f"limiter cost: {store} store, quota {qps:g}, {clients} clients, {total} orders")
            if store == "database":
                reset_database_store(args)
                extra = {"credential_store": "database", "credential_conn_id": CREDENTIALS_CONN_ID}
            else:
                extra = {"credential_path": str(work / f"{label}.credentials")}
            sizes = [total // clients + (i < total % clients) for i in range(clients)]
            quota_run = run_quota_clients(args, sim, work, label, take(orders, sizes), qps=qps, store=extra)
            costs.append(Cost.of(store, qps, f"{args.cost_seconds:g} s", quota_run))
    if earlier:
        costs.append(Cost.of("file", float(args.qps), "row 1.1", earlier[0]))
        costs.append(Cost.of("file", float(args.qps), "row 1.2", earlier[1]))
    return costs
