"""Progress lines for the task log at a steady cadence: counts and rates only, never personal data."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Protocol


class InfoLog(Protocol):
    """Any logger with ``info`` (stdlib or Airflow's structlog-based task logger)."""

    def info(self, event: str, *args: Any) -> Any: ...


class Progress:
    """Counts outcomes and logs ``done/total, rate, ETA, outcomes`` every ``interval`` seconds."""

    def __init__(self, label: str, total: int, log: InfoLog, interval: float = 10.0) -> None:
        self.label = label
        self.total = total
        self.log = log
        self.interval = interval
        self.outcomes: Counter[str] = Counter()
        self.started = time.monotonic()
        self._last = self.started

    @property
    def done(self) -> int:
        return sum(self.outcomes.values())

    def record(self, outcome: str) -> None:
        self.outcomes[outcome] += 1
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.report()

    def report(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else float("inf")
        counts = " ".join(f"{name}={count}" for name, count in sorted(self.outcomes.items()))
        self.log.info(
            "%s: %d/%d orders (%.1f%%), %.1f orders/s, ETA %.0f s, outcomes: %s",
            self.label,
            self.done,
            self.total,
            100.0 * self.done / self.total if self.total else 100.0,
            rate,
            eta,
            counts or "none yet",
        )
