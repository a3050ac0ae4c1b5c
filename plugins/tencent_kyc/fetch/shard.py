"""Fetch one shard: concurrent queries, results streamed in shard order to one gzip JSON Lines object.

Memory stays flat whatever the shard size: at most a few records per worker thread are in flight, photos
are written out as they arrive, and the output is streamed. The output is deterministic (shard order,
fixed key order, gzip without timestamp), so a retried or re-run shard overwrites it byte for byte.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from airflow.sdk import ObjectStoragePath

from tencent_kyc.api.errors import KycOrderError, KycThrottledError, KycTransientError
from tencent_kyc.fetch.evidence import store_photos
from tencent_kyc.fetch.progress import Progress
from tencent_kyc.fetch.records import dumps, failure_record, result_record
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.storage import DayLayout, write_gzip

T = TypeVar("T")
R = TypeVar("R")
#: Per-order failures that end as a ``failed`` record; auth and request errors fail the whole task instead.
ORDER_FAILURES = (KycOrderError, KycThrottledError, KycTransientError)


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


def fetch_order(hook: TencentKycHook, layout: DayLayout, get_file: bool, order_no: str) -> tuple[dict[str, Any], int]:
    """
    Query one order and store its photos; returns its record (``failed`` with code and message when the
    query failed for good) and how many queries it took.
    """
    try:
        result = hook.get_ocr_result(order_no, get_file=get_file)
    except ORDER_FAILURES as error:
        return failure_record(order_no, error), 0
    if not get_file:
        return result_record(result, {}, [], ()), result.queries
    photos, fallbacks = store_photos(result, layout)
    return result_record(result, photos, fallbacks, result.missing_photos()), result.queries


def fetch_shard(
    hook: TencentKycHook,
    orders: list[str],
    layout: DayLayout,
    output: ObjectStoragePath,
    *,
    get_file: bool,
    concurrency: int,
    progress: Progress,
) -> dict[str, Any]:
    """Fetch every order of the shard into ``output``; returns a small summary (counts only)."""
    started = time.monotonic()
    photos = fallbacks = queries = 0
    with write_gzip(output) as out:
        for record, spent in ordered_map(lambda o: fetch_order(hook, layout, get_file, o), orders, concurrency):
            out.write(dumps(record))
            queries += spent
            photos += len(record["photos"]) - len(record["photo_fallbacks"])
            fallbacks += len(record["photo_fallbacks"])
            progress.record(record["outcome"])
    progress.report()
    return {
        "results_path": str(output),
        "orders": len(orders),
        "outcomes": dict(sorted(progress.outcomes.items())),
        "photos_stored": photos,
        "crop_fallbacks": fallbacks,
        "queries": queries,
        "seconds": round(time.monotonic() - started, 3),
    }
