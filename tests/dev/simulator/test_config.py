"""Knob parsing and validation, and the bounds that keep a long-running simulator's memory flat."""

from __future__ import annotations

import random
import statistics
from datetime import date
from typing import Any

import pytest

from tencent_kyc_dev.simulator import state
from tencent_kyc_dev.simulator.config import DEMO_SECRET, Latency, SimulatorConfig
from tencent_kyc_dev.simulator.state import AuthState, Liveness, RecentKeys, Stats


@pytest.mark.parametrize(
    ("text", "low", "high"), [("fixed:50", 0.05, 0.05), ("uniform:20,80", 0.02, 0.08), ("fixed:0", 0.0, 0.0)]
)
def test_latency_samples_stay_in_their_range(text: str, low: float, high: float) -> None:
    rng = random.Random(1)
    assert all(low <= Latency.parse(text).sample(rng) <= high for _ in range(500))


def test_lognormal_latency_has_the_given_median() -> None:
    rng = random.Random(1)
    samples = [Latency.parse("lognormal:50,0.5").sample(rng) for _ in range(4000)]
    assert 0.046 < statistics.median(samples) < 0.054 and max(samples) > 0.1


@pytest.mark.parametrize(
    "text", ["", "fixed", "fixed:a", "fixed:1,2", "uniform:80,20", "lognormal:50", "fixed:-1", "fixed:inf", "gauss:1"]
)
def test_bad_latencies_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="latency"):
        SimulatorConfig(latency=text)


@pytest.mark.parametrize(
    "knobs",
    [
        {"fault_5xx": 0.6, "fault_timeout": 0.6},
        {"fault_html": -0.1},
        {"app_id_param": "appid"},
        {"extra_apps": (("IDAKYC01", "x" * 64),)},
        {"extra_apps": (("IDAOTHER", ""),)},
        {"secret": ""},
        {"orders_per_day": 0},
        {"qps": -1},
        {"token_ttl_seconds": 0},
        {"port": 70000},
        {"order_rates": (("no_such_rate", 0.1),)},
        {"order_rates": (("never_completed", 2.0),)},
    ],
)
def test_inconsistent_knobs_are_refused(knobs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(**knobs)


def test_runtime_knobs_are_coerced_from_json_or_text() -> None:
    config = SimulatorConfig().with_knobs(
        {"qps": "5", "fault_5xx": "0.25", "today": "2026-11-27", "fault_seed": "", "access_log": "true"}
    )
    assert (config.qps, config.fault_5xx, config.today) == (5, 0.25, date(2026, 11, 27))
    assert config.fault_seed is None and config.access_log is True
    assert config.with_knobs({"today": None, "fault_seed": 3}).today is None


@pytest.mark.parametrize("updates", [{"qps": 1.5}, {"qps": True}, {"access_log": "maybe"}, {"seed": 1}, {"x": 1}])
def test_runtime_knobs_of_the_wrong_type_or_kind_are_refused(updates: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimulatorConfig().with_knobs(updates)


def test_secrets_stay_out_of_repr_and_public_view() -> None:
    config = SimulatorConfig(extra_apps=(("IDAOTHER", "o" * 64),))
    for view in (repr(config), str(config.public())):
        assert DEMO_SECRET not in view and "o" * 64 not in view


def test_recent_keys_forget_the_oldest_beyond_capacity_and_window() -> None:
    keys = RecentKeys(capacity=3)
    assert [keys.first_seen(key)[1] for key in "abcd"] == [True] * 4
    assert keys.first_seen("a")[1] and not keys.first_seen("d")[1]  # "a" was evicted, "d" is remembered
    assert keys.first_seen("d", window=0.0)[1]  # a zero window forgets everything before now


def test_order_call_counts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "ORDERS_TRACKED", 2)
    stats = Stats(["getOcrResult"], ["5xx"])
    for order_no in ("a", "b", "c", "a"):
        stats.order_call(order_no)
    assert stats.snapshot()["calls_per_order"] == {
        "orders": 2,
        "histogram": {"1": 1, "2": 1},
        "max": 2,
        "truncated": True,
    }


def test_only_the_most_recent_dead_tickets_are_remembered() -> None:
    auth = AuthState()
    auth.issue_token("app", "token", ttl=60, overlap=0)
    tickets = [f"ticket{number}" for number in range(state.DEAD_REMEMBERED + 2)]
    for ticket in tickets:
        assert auth.issue_ticket("app", "token", ticket, ttl=60, overlap=0) is Liveness.LIVE
    auth.signed_with("app", lambda ticket: False)  # prunes: every ticket but the last is dead now

    def liveness(ticket: str) -> Liveness:
        return auth.signed_with("app", lambda candidate: candidate == ticket)

    assert [liveness(ticket) for ticket in (tickets[0], tickets[2], tickets[-1])] == [
        Liveness.UNKNOWN,
        Liveness.DEAD,
        Liveness.LIVE,
    ]
