"""No secret, token, ticket, signature or personal field reaches the logs, on any path.

Logs are captured at DEBUG from every logger (urllib3 included) through a handler carrying Airflow's
secret masker, as a task's log pipeline does; failures are logged with their tracebacks, as Airflow
does when a task fails.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import requests
from airflow.sdk._shared.secrets_masker import _secrets_masker

import tencent_kyc.api.client as client_module
from tencent_kyc.api.errors import KycError
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc_dev.simulator.orders import OrderBook
from tencent_kyc_dev.simulator.photos import photos_for

DAY = date(2026, 11, 27)
FAST = {
    "qps_quota": 10000,
    "backoff_seconds": 0.01,
    "max_backoff_seconds": 0.02,
    "photo_retry_interval": 0.1,
    "max_attempts": 3,
}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.addFilter(_secrets_masker())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token, ticket and signature the client obtains or makes."""
    values: list[str] = []
    real_sign, real_token, real_ticket = (
        client_module.sign_order_query,
        client_module.KycClient.get_access_token,
        client_module.KycClient.get_sign_ticket,
    )

    def sign(**kwargs: str) -> str:
        values.append(real_sign(**kwargs))
        return values[-1]

    def token(self: Any) -> tuple[str, float]:
        answer = real_token(self)
        values.append(answer[0])
        return answer

    def ticket(self: Any, access_token: str) -> tuple[str, float]:
        answer = real_ticket(self, access_token)
        values.append(answer[0])
        return answer

    monkeypatch.setattr(client_module, "sign_order_query", sign)
    monkeypatch.setattr(client_module.KycClient, "get_access_token", token)
    monkeypatch.setattr(client_module.KycClient, "get_sign_ticket", ticket)
    return values


def run_logged(call: Callable[[], Any]) -> None:
    """Run like a task would: any failure is logged with its traceback."""
    try:
        call()
    except (KycError, ValueError):
        logging.getLogger("airflow.task").exception("Task failed")


def test_nothing_sensitive_in_logs_on_any_path(
    simulator_factory: Callable[..., Any], kyc_connection: Any, captured: io.StringIO, issued: list[str]
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=60, photo_lag_seconds=0.2)
    conn_id = kyc_connection(simulator, **FAST)
    hook = TencentKycHook(conn_id)
    orders = requests.get(simulator.url + "/admin/orders", params={"date": DAY.isoformat()}, timeout=30).json()
    orders = orders["orders"]

    def admin(path: str, body: dict[str, Any] | None = None) -> None:
        requests.post(simulator.url + path, json=body or {}, timeout=5).raise_for_status()

    for order_no in orders[:20]:  # success, with photos, including lagging ones
        run_logged(lambda o=order_no: hook.get_ocr_result(o, get_file=True))
    admin("/admin/invalidate-tokens")  # the auth-refresh path
    run_logged(lambda: hook.get_ocr_result(orders[20]))
    for fault in ("fault_5xx", "fault_999999", "fault_malformed", "fault_html"):
        admin("/admin/config", {fault: 1.0})
        run_logged(lambda: hook.get_ocr_result(orders[21]))
        admin("/admin/config", {fault: 0.0})
    admin("/admin/config", {"fault_timeout": 1.0, "timeout_seconds": 0.5})
    run_logged(
        lambda: TencentKycHook(kyc_connection(simulator, "kyc_timeout", read_timeout=0.2, **FAST)).get_ocr_result(
            orders[22]
        )
    )
    admin("/admin/config", {"fault_timeout": 0.0, "qps": 1})
    for order_no in orders[23:27]:  # throttled until attempts run out
        run_logged(lambda o=order_no: hook.get_ocr_result(o))
    admin("/admin/config", {"qps": 0})
    run_logged(lambda: hook.get_ocr_result("bad order"))  # refused before sending
    wrong = kyc_connection(simulator, "kyc_wrong", secret="w" * 64, **FAST)
    run_logged(TencentKycHook(wrong).get_credentials)
    logging.getLogger("airflow.task").info("Test result: %s", TencentKycHook(wrong).test_connection())

    text = captured.getvalue()
    assert "getOcrResult" in text or "Task failed" in text  # the capture works
    book = OrderBook(seed=simulator.config.seed, orders_per_day=60)
    personal: list[str] = []
    for order_no in orders[:27]:
        truth = book.lookup(order_no)
        assert truth is not None
        personal += [truth.result[k] for k in ("name", "idcard", "address") if k in truth.result]
        personal += [base64.b64encode(data).decode()[:64] for data in photos_for(truth).values() if data]
    secrets = [simulator.config.secret, "w" * 64, *issued]
    assert len(issued) > 20
    leaked = [value for value in secrets + personal if value and value in text]
    assert leaked == []


def test_tokens_and_tickets_are_registered_with_the_masker(simulator: Any, kyc_connection: Any) -> None:
    credentials = TencentKycHook(kyc_connection(simulator)).get_credentials()
    masker = _secrets_masker()
    redacted = masker.redact(f"token={credentials.access_token} ticket={credentials.ticket}")
    assert credentials.access_token not in redacted and credentials.ticket not in redacted
