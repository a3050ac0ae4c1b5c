"""Client-side pacing so that a quota is used fully but never exceeded.

Tencent counts requests per second per app; a burst over the quota is refused (400504) and wasted. Calls
are spaced evenly, ``1/rate`` apart, across all threads of a process: any one-second window then holds at
most ``floor(rate) + 1`` calls, so pacing at a little under the quota (see ``QUOTA_HEADROOM``) keeps every
window inside it even when several paced processes share the quota.
"""

from __future__ import annotations

import threading
import time

#: Fraction of the quota we pace at: absorbs window-edge effects and network jitter.
QUOTA_HEADROOM = 0.97


class RateLimiter:
    """Hands out evenly spaced send times; ``acquire`` sleeps until the caller's turn."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            slot = max(time.monotonic(), self._next)
            self._next = slot + self._interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
