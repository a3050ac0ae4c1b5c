"""Clean the day's order list and split it into shards in staging storage.

Only paths and counts leave these functions (they become XComs); order numbers stay in storage.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from tencent_kyc.api.errors import InvalidOrderNumberError
from tencent_kyc.hooks.kyc import validate_order_no
from tencent_kyc.storage import DayLayout, open_for_write, write_bytes

#: Stay far below Airflow's ``[core] max_map_length`` (1024): shards grow instead of multiplying.
MAX_SHARDS = 500


@dataclass(frozen=True)
class OrderList:
    """The cleaned list: where it is and what was dropped (small enough for XCom)."""

    path: str
    orders: int
    duplicates: int
    rejected: int
    rejected_path: str

    def as_xcom(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _rejection(value: Any) -> str | None:
    reason = getattr(value, "reason", None)
    if reason:
        return str(reason)
    try:
        validate_order_no(value)
    except InvalidOrderNumberError as exc:
        return str(exc)
    return None


def clean_orders(values: Iterable[Any], layout: DayLayout) -> OrderList:
    """Stream the valid, first-seen order numbers to ``orders.txt`` and the refused values with reasons."""
    seen: set[str] = set()
    duplicates = rejected = 0
    with open_for_write(layout.orders) as orders, open_for_write(layout.rejected_orders) as refused:
        for raw in values:
            value = raw.strip() if isinstance(raw, str) else raw
            if reason := _rejection(value):
                record = {"value": str(value)[:64], "reason": reason}
                refused.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
                rejected += 1
            elif value in seen:
                duplicates += 1
            else:
                seen.add(value)
                orders.write(value.encode() + b"\n")
    return OrderList(str(layout.orders), len(seen), duplicates, rejected, str(layout.rejected_orders))


def write_carried_over(layout: DayLayout, carried: Iterable[tuple[str, date]]) -> int:
    """Record the earlier orders queried again today with their order date (validation and the warehouse
    date them by it); returns how many."""
    lines = [json.dumps({"order_no": order, "order_date": day.isoformat()}) + "\n" for order, day in carried]
    write_bytes(layout.carried_over, "".join(lines).encode())
    return len(lines)


def read_carried_over(layout: DayLayout) -> dict[str, date]:
    """Order number → order date of the day's carried-over orders (empty if none were recorded)."""
    if not layout.carried_over.exists():
        return {}
    with layout.carried_over.open("r", encoding="utf-8") as handle:
        return {row["order_no"]: date.fromisoformat(row["order_date"]) for row in map(json.loads, handle)}


def _read_orders(layout: DayLayout) -> Iterator[str]:
    with layout.orders.open("r", encoding="utf-8") as handle:
        for line in handle:
            if order := line.strip():
                yield order


def plan_shards(layout: DayLayout, total: int, shard_size: int) -> list[dict[str, Any]]:
    """
    Split ``orders.txt`` into shards; returns one small dict per shard, all a fetch task needs to know:
    its index, path and size, the number of shards, the order date and the storage root.
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    for stale in ("shards", "results", "validated", "quarantine", "load"):  # an earlier run may have had more shards
        folder = layout.staging / stale
        if folder.exists():
            folder.rmdir(recursive=True)
    size = max(shard_size, math.ceil(total / MAX_SHARDS)) if total else shard_size
    shards: list[dict[str, Any]] = []
    batch: list[str] = []

    def flush() -> None:
        index = len(shards)
        write_bytes(layout.shard(index), "".join(f"{order}\n" for order in batch).encode())
        shards.append(
            {
                "shard": index,
                "path": str(layout.shard(index)),
                "orders": len(batch),
                "order_date": layout.day.isoformat(),
                "storage_root": layout.root,
            }
        )
        batch.clear()

    for order in _read_orders(layout):
        batch.append(order)
        if len(batch) == size:
            flush()
    if batch:
        flush()
    for shard in shards:  # lets each fetch task size its share of the quota (see the fetch operator)
        shard["shards"] = len(shards)
    return shards
