"""TencentKycHook against the simulator over real HTTP on loopback."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
import requests
from PIL import Image

from tencent_kyc.api.errors import InvalidOrderNumberError, KycAuthError, KycThrottledError, KycTransientError
from tencent_kyc.api.results import Outcome
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc_dev.simulator.orders import Completion, OrderBook

DAY = date(2026, 11, 27)
EXPECTED_OUTCOME = {
    Completion.BOTH_SIDES: Outcome.FETCHED,
    Completion.FRONT_ONLY: Outcome.FRONT_ONLY,
    Completion.BACK_ONLY: Outcome.BACK_ONLY,
    Completion.NEVER: Outcome.NO_RESULT,
}
FAST = {"qps_quota": 10000, "backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "photo_retry_interval": 0.2}


def stats(simulator: Any) -> dict[str, Any]:
    return requests.get(simulator.url + "/admin/stats", timeout=5).json()


def day_orders(simulator: Any) -> list[str]:
    response = requests.get(simulator.url + "/admin/orders", params={"date": DAY.isoformat()}, timeout=30)
    return list(response.json()["orders"])


def test_500_orders_with_zero_refused_calls(simulator_factory: Callable[..., Any], kyc_connection: Any) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=500)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    book = OrderBook(seed=simulator.config.seed, orders_per_day=500)
    orders = day_orders(simulator)
    assert len(orders) == 500

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(hook.get_ocr_result, orders))

    for order_no, result in zip(orders, results, strict=True):
        truth = book.lookup(order_no)
        assert truth is not None
        expected = EXPECTED_OUTCOME[truth.completion]
        if truth.completes_on is not None and truth.completes_on > DAY:
            expected = Outcome.NO_RESULT  # a late order, not completed yet
        assert result.outcome is expected, order_no
        if expected is not Outcome.NO_RESULT:
            assert {k: v for k, v in result.fields.items() if k in truth.result} == truth.result
    counters = stats(simulator)
    assert counters["token_issued"] == 1 and counters["ticket_issued"] == 1
    for refused in ("bad_signature", "dead_ticket", "dead_token", "nonce_replay", "bad_version", "throttled"):
        assert counters[refused] == 0, refused


def test_photos_are_decoded_jpegs_and_lagging_photos_are_requeried(
    simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=200, photo_lag_seconds=0.3)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    book = OrderBook(seed=simulator.config.seed, orders_per_day=200)
    complete = [o for o in day_orders(simulator) if (t := book.lookup(o)) and t.completion is Completion.BOTH_SIDES]
    lagging = next(o for o in complete if book.lookup(o).photo_lag)  # type: ignore[union-attr]
    cropless = next(o for o in complete if book.lookup(o).empty_crops and not book.lookup(o).photo_lag)  # type: ignore[union-attr]

    result = hook.get_ocr_result(lagging, get_file=True)
    assert result.queries >= 2
    assert result.missing_photos() == ()
    for name in ("frontPhoto", "backPhoto", "headPhoto"):
        Image.open(io.BytesIO(result.photos[name])).load()

    result = hook.get_ocr_result(cropless, get_file=True)
    assert result.queries == 1  # an empty crop is not lag
    assert any(result.photos[name] == b"" for name in ("frontCrop", "backCrop"))


def test_invalidated_token_is_refreshed_once_and_the_call_retried(
    simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=20)
    hook = TencentKycHook(kyc_connection(simulator, **FAST))
    orders = day_orders(simulator)
    hook.get_ocr_result(orders[0])
    requests.post(simulator.url + "/admin/invalidate-tokens", timeout=5).raise_for_status()
    hook.get_ocr_result(orders[1])
    counters = stats(simulator)
    assert counters["token_issued"] == 2


def test_wrong_secret_is_an_auth_error_and_test_connection_says_so(simulator: Any, kyc_connection: Any) -> None:
    conn_id = kyc_connection(simulator, secret="x" * 64, **FAST)
    with pytest.raises(KycAuthError):
        TencentKycHook(conn_id).get_credentials()
    ok, message = TencentKycHook(conn_id).test_connection()
    assert not ok and "KycAuthError" in message
    assert "x" * 64 not in message


def test_test_connection_succeeds(simulator: Any, kyc_connection: Any) -> None:
    ok, message = TencentKycHook(kyc_connection(simulator)).test_connection()
    assert ok, message


def test_throttled_calls_are_retried_until_they_pass(
    simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=5, today=DAY, orders_per_day=30)
    hook = TencentKycHook(
        kyc_connection(simulator, qps_quota=1000, max_attempts=20, backoff_seconds=0.2, max_backoff_seconds=1)
    )
    orders = day_orders(simulator)[:15]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(hook.get_ocr_result, orders))
    assert len(results) == 15
    assert stats(simulator)["throttled"] > 0


def test_throttling_that_never_ends_raises_throttled(
    simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=1, today=DAY, orders_per_day=10)
    hook = TencentKycHook(
        kyc_connection(simulator, qps_quota=1000, max_attempts=2, backoff_seconds=0.0, max_backoff_seconds=0.0)
    )
    orders = day_orders(simulator)
    with pytest.raises(KycThrottledError) as raised:
        for order_no in orders:
            hook.get_ocr_result(order_no)
    assert raised.value.code == "400504"


@pytest.mark.parametrize(
    "fault",
    [{"fault_5xx": 0.4}, {"fault_999999": 0.4}, {"fault_malformed": 0.4}, {"fault_html": 0.4}],
    ids=lambda f: next(iter(f)),
)
def test_transient_faults_are_retried(
    simulator_factory: Callable[..., Any], kyc_connection: Any, fault: dict[str, float]
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=40, fault_seed=7, **fault)
    hook = TencentKycHook(kyc_connection(simulator, max_attempts=12, **FAST))
    results = [hook.get_ocr_result(order_no) for order_no in day_orders(simulator)]
    assert len(results) == 40
    assert sum(stats(simulator)["faults"].values()) > 0


def test_timeouts_are_transient(simulator_factory: Callable[..., Any], kyc_connection: Any) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=5, fault_timeout=1.0, timeout_seconds=2.0)
    hook = TencentKycHook(kyc_connection(simulator, read_timeout=0.3, max_attempts=2, **FAST))
    hook.get_credentials()  # token endpoints are not faulted
    with pytest.raises(KycTransientError, match="timed out"):
        hook.get_ocr_result(day_orders(simulator)[0])


@pytest.mark.parametrize("bad", ["", "a" * 33, "has space", "中文", "a-b", None, 12345])
def test_bad_order_numbers_are_refused_before_any_request(simulator: Any, kyc_connection: Any, bad: Any) -> None:
    hook = TencentKycHook(kyc_connection(simulator))
    with pytest.raises(InvalidOrderNumberError, match="order number"):
        hook.get_ocr_result(bad)
    assert sum(stats(simulator)["requests"].values()) == 0


def test_credentials_are_reused_across_hooks_through_the_store(
    simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=5)
    conn_id = kyc_connection(simulator)
    orders = day_orders(simulator)
    for order_no in orders:
        TencentKycHook(conn_id).get_ocr_result(order_no)  # a new hook (as a new task process would have)
    assert stats(simulator)["token_issued"] == 1


def test_the_credentials_age_counts_from_the_token_request_not_from_the_wait_for_its_slot(
    simulator_factory: Callable[..., Any], kyc_connection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token request that waited for its send slot (other clients ahead in the schedule) is that much younger:
    stamped before the wait, the next refresh would reach Tencent early by it."""
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=5)
    hook = TencentKycHook(kyc_connection(simulator, refresh_seconds=60))
    acquire = hook.pacer.acquire

    def slow_acquire() -> float:
        time.sleep(0.5)
        return acquire()

    monkeypatch.setattr(hook.pacer, "acquire", slow_acquire)
    asked = time.time()
    credentials = hook.get_credentials()
    assert credentials.fetched_at >= asked + 0.5


def test_credentials_refresh_after_the_configured_age(
    simulator_factory: Callable[..., Any], kyc_connection: Any
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=5, overlap_seconds=0.5)
    # 2 s, not less: the second token's age counts from its request, so the third call must come within the
    # refresh period even when a loaded machine takes a second over the refresh itself
    hook = TencentKycHook(kyc_connection(simulator, refresh_seconds=2))
    orders = day_orders(simulator)
    hook.get_ocr_result(orders[0])
    time.sleep(2.2)
    hook.get_ocr_result(orders[1])
    time.sleep(0.7)  # the first token is dead by now; the hook must be using the new one
    hook.get_ocr_result(orders[2])
    counters = stats(simulator)
    assert counters["token_issued"] == 2
    assert counters["dead_ticket"] == 0 and counters["bad_signature"] == 0
