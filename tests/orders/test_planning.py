"""Cleaning and sharding the day's order list in staging storage (local files here; S3 in the pipeline tests)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tencent_kyc.orders.planning import MAX_SHARDS, clean_orders, plan_shards, read_orders
from tencent_kyc.records import Order
from tencent_kyc.storage import DayLayout

DAY = date(2026, 11, 27)


@pytest.fixture
def layout(tmp_path: Path) -> DayLayout:
    return DayLayout(f"file://{tmp_path}", DAY, "ocr")


def test_duplicates_dropped_and_invalid_values_refused_with_reasons(layout: DayLayout) -> None:
    values = ["A1", " A2 ", "A1", "", "bad-one", "x" * 33, None, 7, "A3", "A2"]
    listed = clean_orders(values, [], layout)
    assert (listed.orders, listed.duplicates, listed.rejected) == (3, 2, 5)
    assert [order.order_no for order in read_orders(layout.orders)] == ["A1", "A2", "A3"]
    refused = [json.loads(line) for line in layout.rejected_orders.read_text().splitlines()]
    assert [r["value"] for r in refused] == ["", "bad-one", "x" * 33, "None", "7"]
    assert all("order number" in r["reason"] for r in refused)


def test_shards_cover_every_order_once_in_order(layout: DayLayout) -> None:
    orders = [f"O{i:05d}" for i in range(2345)]
    listed = clean_orders(orders, [], layout)
    shards = plan_shards(layout, listed.orders, 1000)
    assert [s.orders for s in shards] == [1000, 1000, 345]
    assert {s.order_date for s in shards} == {"2026-11-27"} and {s.shards for s in shards} == {3}
    read_back = [o.order_no for s in shards for o in read_orders(layout.shard(s.shard))]
    assert read_back == orders
    for shard in shards:  # the XCom carries the shard's place and counts only, whatever the root's length
        xcom = json.dumps(shard.as_xcom()).replace(layout.root, "")
        assert len(xcom) < 250 and not any(order in xcom for order in orders)
        assert shard.sync == "ocr" and shard.path == str(layout.shard(shard.shard))


@pytest.mark.slow
def test_a_million_orders_stay_far_below_max_map_length(layout: DayLayout) -> None:
    listed = clean_orders((f"M{i:07d}" for i in range(1_000_000)), [], layout)
    shards = plan_shards(layout, listed.orders, 100)  # a too-small shard size is raised, not obeyed
    assert len(shards) <= MAX_SHARDS < 1024
    assert sum(s.orders for s in shards) == 1_000_000


def test_replanning_removes_shards_of_an_earlier_larger_run(layout: DayLayout) -> None:
    plan_shards(layout, clean_orders([f"A{i}" for i in range(30)], [], layout).orders, 10)
    (layout.staging / "results").mkdir(parents=True, exist_ok=True)
    (layout.results(2)).write_bytes(b"stale")
    shards = plan_shards(layout, clean_orders([f"A{i}" for i in range(15)], [], layout).orders, 10)
    assert len(shards) == 2
    assert not layout.shard(2).exists() and not layout.results(2).exists()


def test_empty_day_plans_no_shards(layout: DayLayout) -> None:
    assert plan_shards(layout, clean_orders([], [], layout).orders, 10) == []


def test_carried_orders_keep_their_own_date_even_when_listed_again(layout: DayLayout) -> None:
    earlier = DAY.replace(day=25)
    listed = clean_orders(["A1", "C1"], [Order("C1", earlier), Order("B1", earlier)], layout)
    assert (listed.orders, listed.duplicates) == (3, 1)
    assert list(read_orders(layout.orders)) == [Order("A1", DAY), Order("C1", earlier), Order("B1", earlier)]
    assert layout.orders.read_text().splitlines()[0] == "A1 2026-11-27"
