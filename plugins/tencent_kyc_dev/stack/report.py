"""What a stack run did and what the deployment checks found: :class:`RunReport`, made by :func:`evaluate`."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tencent_kyc_dev.stack.config import DAG_ID, FETCH_TASK, StackConfig

#: A token request this much earlier than a full refresh window after the previous one counts as a second
#: request in that window (the hook stamps the pair just before asking; the simulator when it arrives).
TOKEN_GAP_TOLERANCE = 0.5
AUTH_REFUSALS = ("dead_token", "dead_ticket", "unknown_token", "bad_signature")
QUOTA_REFUSALS = ("throttled", "tps_exceeded")


@dataclass(frozen=True)
class Check:
    passed: bool
    detail: str


@dataclass(frozen=True)
class ShardRun:
    map_index: int
    label: str | None
    state: str | None
    start: str | None
    end: str | None
    try_number: int


@dataclass
class RunReport:
    """What the run did and what the checks found; ``checks`` by name (see the package docstring)."""

    dag_run_id: str
    state: str
    finished: bool
    duration_seconds: float | None
    order_date: str
    orders_seeded: int
    credential_store: str
    refresh_seconds: float
    task_states: dict[str, dict[str, int]]
    shards: list[ShardRun]
    max_concurrent_shards: int
    token_requests: int
    token_gaps: list[float]
    max_concurrent_token_requests: int
    quota_refusals: dict[str, int]
    auth_refusals: dict[str, int]
    ocr_requests: int
    warehouse: dict[str, Any]
    checks: dict[str, Check]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)

    def describe(self) -> str:
        lines = [
            f"=== {DAG_ID} for {self.order_date}: run {self.dag_run_id} {self.state}"
            + (f" in {self.duration_seconds:.0f} s" if self.duration_seconds is not None else " (not finished)"),
            f"orders seeded {self.orders_seeded}; credential store {self.credential_store!r}; "
            f"refresh every {self.refresh_seconds:g} s",
            "task instances: "
            + "; ".join(f"{task} {dict(states)}" for task, states in sorted(self.task_states.items())),
            f"fetch shards: {len(self.shards)}, at most {self.max_concurrent_shards} running at once",
        ]
        lines += [
            f"  {shard.label or shard.map_index}: {shard.state} {shard.start} .. {shard.end}" for shard in self.shards
        ]
        lines += [
            f"simulator: {self.ocr_requests} getOcrResult calls, {self.token_requests} token requests "
            f"(gaps {', '.join(f'{gap:.1f}' for gap in self.token_gaps) or '-'} s), at most "
            f"{self.max_concurrent_token_requests} at once; quota refusals {self.quota_refusals}; "
            f"auth refusals {self.auth_refusals}",
            f"warehouse: {self.warehouse}",
            "checks:",
        ]
        lines += [
            f"  [{'PASS' if check.passed else 'FAIL'}] {name}: {check.detail}" for name, check in self.checks.items()
        ]
        return "\n".join(lines)


def evaluate(
    config: StackConfig,
    run: dict[str, Any],
    instances: list[dict[str, Any]],
    stats: dict[str, Any],
    warehouse: dict[str, Any],
    seeded: int,
) -> RunReport:
    """The report of ``run``: its task instances, the simulator's counters, the warehouse's counts of the day
    and the number of orders seeded, judged by every check (see the package docstring)."""
    shards = sorted(
        (
            ShardRun(
                ti["map_index"],
                ti.get("rendered_map_index"),
                ti["state"],
                ti["start_date"],
                ti["end_date"],
                ti["try_number"],
            )
            for ti in instances
            if ti["task_id"] == FETCH_TASK and ti["map_index"] >= 0
        ),
        key=lambda shard: shard.map_index,
    )
    overlap = max_overlap([(shard.start, shard.end) for shard in shards])
    times = sorted(stats["token_request_times"])
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    quota = {name: int(stats[name]) for name in QUOTA_REFUSALS}
    auth = {name: int(stats[name]) for name in AUTH_REFUSALS}
    expected_shards = config.shards
    duration = None
    if run.get("start_date") and run.get("end_date"):
        duration = (instant(run["end_date"]) - instant(run["start_date"])).total_seconds()
    window = config.refresh_seconds - TOKEN_GAP_TOLERANCE
    checks = {
        "run_succeeded": Check(run["state"] == "success", f"run state {run['state']}"),
        "shards_succeeded": Check(
            len(shards) == expected_shards and all(shard.state == "success" for shard in shards),
            f"{Counter(shard.state for shard in shards)} of {expected_shards} shards expected",
        ),
        "shards_concurrent": Check(overlap >= 2, f"at most {overlap} fetch_ocr_results shards ran at once"),
        "one_token_per_window": Check(
            bool(times) and all(gap >= window for gap in gaps),
            f"{len(times)} token requests; shortest gap "
            f"{min(gaps, default=float('inf')):.2f} s (refresh window {config.refresh_seconds:g} s)",
        ),
        "no_concurrent_token_requests": Check(
            int(stats["max_concurrent_token_requests"]) <= 1,
            f"at most {stats['max_concurrent_token_requests']} token requests at once",
        ),
        "no_throttling": Check(not any(quota.values()), f"refused for quota: {quota}"),
        "no_auth_refusals": Check(not any(auth.values()), f"refused credentials: {auth}"),
        "warehouse_exactly_once": Check(
            warehouse.get("rows") == warehouse.get("distinct_orders") == seeded,
            f"kyc_order_status for {config.day}: {warehouse}; {seeded} orders seeded",
        ),
    }
    return RunReport(
        dag_run_id=run["dag_run_id"],
        state=run["state"],
        finished=run["state"] in ("success", "failed"),
        duration_seconds=duration,
        order_date=config.day.isoformat(),
        orders_seeded=seeded,
        credential_store=config.credential_store,
        refresh_seconds=config.refresh_seconds,
        task_states=task_states(instances),
        shards=shards,
        max_concurrent_shards=overlap,
        token_requests=len(times),
        token_gaps=[round(gap, 3) for gap in gaps],
        max_concurrent_token_requests=int(stats["max_concurrent_token_requests"]),
        quota_refusals=quota,
        auth_refusals=auth,
        ocr_requests=int(stats["requests"].get("getOcrResult", 0)),
        warehouse=warehouse,
        checks=checks,
    )


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def task_states(instances: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Task instances counted by task and state."""
    states: dict[str, Counter[str]] = {}
    for ti in instances:
        states.setdefault(ti["task_id"], Counter())[str(ti["state"])] += 1
    return {task: dict(counts) for task, counts in states.items()}


def max_overlap(intervals: list[tuple[str | None, str | None]]) -> int:
    """The most intervals (ISO start, ISO end; an open end is "still running") covering one instant."""
    events: list[tuple[datetime, int]] = []
    for start, end in intervals:
        if start is None:
            continue
        events.append((instant(start), 1))
        events.append((instant(end) if end else datetime.max.replace(tzinfo=UTC), -1))
    running = most = 0
    for _, step in sorted(events):  # an end sorts before a start at the same instant: touching is no overlap
        running += step
        most = max(most, running)
    return most
