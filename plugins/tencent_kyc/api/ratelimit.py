"""Client-side pacing so that a quota is used fully but never exceeded.

Tencent counts requests per second per app; a burst over the quota is refused (400504) and wasted. Calls
are spaced at least ``1/rate`` apart across all threads of a process, measured when a thread actually
goes, not when it was scheduled: a thread that wakes late waits for the next free slot instead of sending
right behind the one before (only a few milliseconds of lateness are forgiven, to keep the average rate).
Any one-second window then holds at most ``floor(rate) + 1`` calls from a process, and pacing a little
under the quota (``QUOTA_HEADROOM``) leaves room for network and server jitter when several paced
processes share one quota.
"""

from __future__ import annotations

import threading
import time

#: Fraction of the quota we pace at: absorbs window-edge effects and ~40 ms of arrival jitter at 4 processes.
QUOTA_HEADROOM = 0.96
#: Lateness of a thread that is still counted against its scheduled slot (keeps the average rate).
_FORGIVEN_LATENESS = 0.005


class RateLimiter:
    """``acquire`` returns when the caller may send; successive returns are at least ``1/rate`` apart."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                if now >= self._next:
                    self._next = max(self._next, now - _FORGIVEN_LATENESS) + self._interval
                    return
                delay = self._next - now
            time.sleep(delay)
