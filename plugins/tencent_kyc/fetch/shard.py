"""Fetch one shard: concurrent queries, records streamed in shard order to one gzip JSON Lines object.

Memory stays flat whatever the shard size: at most a few records per worker thread are in flight, evidence
is written out as it arrives, and the output is streamed. The output is deterministic (shard order, fixed
key order, gzip without timestamp), so a retried or re-run shard overwrites it byte for byte.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from airflow.sdk import ObjectStoragePath

from tencent_kyc.fetch.progress import Progress
from tencent_kyc.records import Fetched, Order, write_records

T = TypeVar("T")
R = TypeVar("R")
FetchOne = Callable[[Order], tuple[Fetched, int]]


@dataclass(frozen=True)
class FetchSummary:
    """What one shard's fetch did (counts, and when it ran as seconds since the epoch: it becomes an XCom)."""

    results_path: str
    orders: int
    outcomes: dict[str, int]
    photos_stored: int
    crop_fallbacks: int
    queries: int
    seconds: float
    started_at: float
    ended_at: float

    def as_xcom(self) -> dict[str, Any]:
        return asdict(self)


def ordered_map(function: Callable[[T], R], items: Iterable[T], concurrency: int) -> Iterator[R]:
    """``Executor.map`` with a bounded window: results in input order, at most ``4 × concurrency`` pending."""
    window: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="kyc-fetch") as pool:
        try:
            for item in items:
                window.append(pool.submit(function, item))
                if len(window) >= 4 * concurrency:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()


def fetch_shard(
    fetch: FetchOne, orders: list[Order], output: ObjectStoragePath, *, concurrency: int, progress: Progress
) -> FetchSummary:
    """Fetch every order of the shard into ``output``; returns a small summary (counts only)."""
    started, started_at = time.monotonic(), time.time()
    photos = fallbacks = queries = 0
    with write_records(output) as out:
        for record, spent in ordered_map(fetch, orders, concurrency):
            out.write(record)
            queries += spent
            photos += len(record.photos) - len(record.photo_fallbacks)
            fallbacks += len(record.photo_fallbacks)
            progress.record(record.outcome)
    progress.report()
    return FetchSummary(
        results_path=str(output),
        orders=len(orders),
        outcomes=dict(sorted(progress.outcomes.items())),
        photos_stored=photos,
        crop_fallbacks=fallbacks,
        queries=queries,
        seconds=round(time.monotonic() - started, 3),
        started_at=round(started_at, 3),
        ended_at=round(time.time(), 3),
    )
