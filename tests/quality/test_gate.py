"""The day's quality gate: shares, thresholds and the reasons it names."""

from __future__ import annotations

from typing import Any

import pytest

from tencent_kyc.quality.gate import GateThresholds, evaluate

SHARDS: list[dict[str, Any]] = [
    {"by_outcome": {"fetched": 80, "no_result": 10}, "by_status": {"accepted": 70, "rejected": 10},
     "by_reason": {"warning.front.reshot": 6, "valid_date.expired": 4, "clarity.front_low": 3}},
    {"by_outcome": {"fetched": 10}, "by_status": {"accepted_with_warnings": 8, "rejected": 2},
     "by_reason": {"warning.front.reshot": 2, "nation.unknown": 1}},
]  # fmt: skip


def test_the_day_adds_up_and_passes_inside_the_thresholds() -> None:
    day = evaluate(SHARDS, GateThresholds(max_rejected_share=0.2, max_no_result_share=0.2))
    assert day["orders"] == 100
    assert day["by_status"] == {"accepted": 70, "accepted_with_warnings": 8, "rejected": 12}
    assert (day["rejected_share"], day["no_result_share"]) == (0.12, 0.1)
    assert day["passed"] and day["verdict"] == "passed"
    assert day["top_reasons"].startswith("warning.front.reshot (8)")


def test_it_trips_naming_the_shares_and_top_reasons() -> None:
    day = evaluate(SHARDS, GateThresholds(max_rejected_share=0.1, max_no_result_share=0.05))
    assert not day["passed"]
    assert "rejected 12.0% > 10.0%" in day["verdict"] and "no result 10.0% > 5.0%" in day["verdict"]
    assert "warning.front.reshot (8)" in day["verdict"]


def test_an_empty_day_passes() -> None:
    assert evaluate([], GateThresholds())["passed"]


@pytest.mark.parametrize(
    ("value", "message"),
    [({"mode": "shout"}, "mode"), ({"max_rejected_share": 2}, "from 0 to 1"), ({"x": 1}, "unknown key")],
)
def test_bad_thresholds_are_named(value: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GateThresholds.from_mapping(value)
