"""TencentKycFetchOperator: one shard from its plan to its staged records, against the simulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from tencent_kyc.operators.fetch import TencentKycFetchOperator
from tencent_kyc.orders.planning import ShardPlan, clean_orders, plan_shards
from tencent_kyc.records import read_fetched
from tencent_kyc.storage import DayLayout

DAY = date(2026, 11, 27)


@pytest.fixture
def plans(simulator_factory: Callable[..., Any], kyc_connection: Any, tmp_path: Path) -> list[ShardPlan]:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=30)
    kyc_connection(simulator, qps_quota=10000)
    orders = requests.get(simulator.url + "/admin/orders", params={"date": DAY}, timeout=30).json()["orders"]
    layout = DayLayout(f"file://{tmp_path}", DAY, "ocr")
    return plan_shards(layout, clean_orders(orders, [], layout).orders, 20)


def operator(plan: ShardPlan, **kwargs: Any) -> TencentKycFetchOperator:
    return TencentKycFetchOperator(task_id="fetch_ocr_results", shard=plan.as_xcom(), **kwargs)


def test_one_shard_is_fetched_into_its_results_object_and_named_for_the_ui(plans: list[ShardPlan]) -> None:
    assert [plan.orders for plan in plans] == [20, 10]
    context: dict[str, Any] = {}
    summary = operator(plans[1], get_file=False, concurrency=4).execute(context)  # type: ignore[arg-type]
    assert context["shard_label"] == "shard-00001 (10 orders)"
    assert summary["plan"] == plans[1].as_xcom() and summary["orders"] == 10
    records = list(read_fetched(plans[1].layout.results(1)))
    assert [record.order_no for record in records] == [
        line.split()[0] for line in Path(plans[1].path[7:]).read_text().splitlines()
    ]
    assert sum(summary["outcomes"].values()) == 10 and summary["queries"] >= 10
    assert not summary["photos_stored"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"get_file": "True"}, "get_file must be a bool"),
        ({"concurrency": "8"}, "concurrency must be a int"),
        ({"concurrency": True}, "concurrency must be a int"),
        ({"concurrency": 0}, "concurrency must be at least 1"),
    ],
)
def test_arguments_must_arrive_typed(plans: list[ShardPlan], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        operator(plans[0], **kwargs).execute({})  # type: ignore[arg-type]


def test_a_shard_file_that_disagrees_with_its_plan_is_refused(plans: list[ShardPlan]) -> None:
    wrong = ShardPlan(**{**plans[0].as_xcom(), "orders": 21})
    with pytest.raises(ValueError, match="the shard file holds 20 orders, the plan says 21"):
        operator(wrong).execute({})  # type: ignore[arg-type]


def test_progress_lines_carry_counts_only(plans: list[ShardPlan], capfd: pytest.CaptureFixture[str]) -> None:
    operator(plans[1], get_file=False, progress_interval=0).execute({})  # type: ignore[arg-type]
    output = capfd.readouterr().out
    lines = [line for line in output.splitlines() if "orders/s" in line]
    assert lines and "10/10 orders (100.0%)" in lines[-1]
    numbers = Path(plans[1].path[7:]).read_text().split()[::2]
    assert len(numbers) == 10 and not any(number in output for number in numbers)
