"""Even pacing across threads: full use of the rate, never a window over it."""

from __future__ import annotations

import bisect
import itertools
import threading
import time

import pytest

from tencent_kyc.api.ratelimit import RateLimiter


def test_threads_share_the_rate_and_no_window_exceeds_it() -> None:
    rate, per_thread, threads = 400.0, 100, 8
    limiter = RateLimiter(rate)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(per_thread):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started

    total = per_thread * threads
    assert elapsed >= (total - 1) / rate * 0.99
    assert total / elapsed >= rate * 0.9  # the rate is used, not just respected
    stamps.sort()
    busiest = max(bisect.bisect_right(stamps, t + 0.25) - i for i, t in enumerate(stamps))
    assert busiest <= rate * 0.25 + 2  # no quarter-second holds more than its share (plus scheduling slack)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def test_late_threads_do_not_burst() -> None:
    """Returns are spaced by the interval, less at most the few forgiven milliseconds, whoever woke late."""
    limiter, lock = RateLimiter(100.0), threading.Lock()
    stamps: list[float] = []

    def worker() -> None:
        for _ in range(20):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())
            time.sleep(0.013)  # a thread busy elsewhere comes back late for its next slot

    pool = [threading.Thread(target=worker) for _ in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.010 - 0.005 - 0.002
    assert len(stamps) / (stamps[-1] - stamps[0]) <= 100 * 1.02
