"""Clean the day's order list and split it into shards in staging storage.

Only paths and counts leave these functions (they become XComs); order numbers stay in storage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from itertools import chain
from typing import Any

from airflow.sdk import ObjectStoragePath

from tencent_kyc.api.errors import InvalidOrderNumberError
from tencent_kyc.hooks.kyc import validate_order_no
from tencent_kyc.records import Order, Refused, encode
from tencent_kyc.storage import DayLayout, open_for_write, write_bytes

#: Stay far below Airflow's ``[core] max_map_length`` (1024): shards grow instead of multiplying.
MAX_SHARDS = 500
#: Staged folders of a day that a new plan replaces (an earlier run of the day may have had more shards).
_PER_SHARD_FOLDERS = ("shards", "results", "validated", "quarantine", "load")


@dataclass(frozen=True)
class OrderList:
    """The cleaned list: where it is and what was dropped (small enough for XCom)."""

    path: str
    orders: int
    duplicates: int
    rejected: int
    rejected_path: str

    def as_xcom(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ShardPlan:
    """All a fetch task needs to know about its shard (an XCom): where its orders are and how many."""

    shard: int
    path: str
    orders: int
    order_date: str
    storage_root: str
    shards: int
    sync: str

    @property
    def label(self) -> str:
        """How the mapped task instance is named in the UI."""
        return f"shard-{self.shard:05d} ({self.orders} orders)"

    @property
    def layout(self) -> DayLayout:
        return DayLayout(self.storage_root, date.fromisoformat(self.order_date), self.sync)

    def as_xcom(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_xcom(cls, value: dict[str, Any]) -> ShardPlan:
        return cls(**value)


def _rejection(value: Any) -> str | None:
    reason = getattr(value, "reason", None)
    if reason:
        return str(reason)
    try:
        validate_order_no(value)
    except InvalidOrderNumberError as exc:
        return str(exc)
    return None


def clean_orders(values: Iterable[Any], carried: Iterable[Order], layout: DayLayout) -> OrderList:
    """Stream the valid, first-seen orders to ``orders.txt`` and the refused values with reasons.

    ``values`` are the day's order numbers from the source, dated ``layout.day``; ``carried`` are earlier
    orders still waiting for a result, queried again with their own date (which wins if the source lists
    one of them again).
    """
    carried = list(carried)
    earlier = {order.order_no: order.order_date for order in carried}
    seen: set[str] = set()
    duplicates = rejected = 0
    with open_for_write(layout.orders) as orders, open_for_write(layout.rejected_orders) as refused:
        for raw in chain(values, (order.order_no for order in carried)):
            value = raw.strip() if isinstance(raw, str) else raw
            if reason := _rejection(value):
                refused.write(encode(Refused(str(value)[:64], reason)))
                rejected += 1
            elif value in seen:
                duplicates += 1
            else:
                seen.add(value)
                orders.write(Order(value, earlier.get(value, layout.day)).to_line().encode())
    return OrderList(str(layout.orders), len(seen), duplicates, rejected, str(layout.rejected_orders))


def read_orders(path: ObjectStoragePath) -> Iterator[Order]:
    """The orders of an order list or a shard file."""
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield Order.from_line(line)


def plan_shards(layout: DayLayout, total: int, shard_size: int) -> list[ShardPlan]:
    """Split ``orders.txt`` into shard files of ``shard_size`` orders (more when there would be over
    :data:`MAX_SHARDS`); returns one plan per shard."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    for stale in _PER_SHARD_FOLDERS:
        folder = layout.staging / stale
        if folder.exists():
            folder.rmdir(recursive=True)
    size = max(shard_size, math.ceil(total / MAX_SHARDS)) if total else shard_size
    sizes: list[int] = []
    batch: list[Order] = []

    def flush() -> None:
        write_bytes(layout.shard(len(sizes)), "".join(order.to_line() for order in batch).encode())
        sizes.append(len(batch))
        batch.clear()

    for order in read_orders(layout.orders):
        batch.append(order)
        if len(batch) == size:
            flush()
    if batch:
        flush()
    day, root = layout.day.isoformat(), layout.root
    return [
        ShardPlan(index, str(layout.shard(index)), count, day, root, len(sizes), layout.sync)
        for index, count in enumerate(sizes)
    ]
