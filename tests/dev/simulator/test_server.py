"""The simulator's server side: admin endpoints, the stats, runtime knobs, lifecycle and secret-free logs."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests

from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.server import SimulatorServer

DAY = date(2026, 11, 27)
Factory = Callable[..., Any]


def post(wb: Any, path: str, **kwargs: Any) -> requests.Response:
    return requests.post(wb.url + path, timeout=10, **kwargs)


# -- admin endpoints -------------------------------------------------------------------------------------------


def test_healthz(wb: Any) -> None:
    response = wb.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_orders_of_a_day_as_json_and_as_text(wb: Any) -> None:
    orders = wb.get("/admin/orders", date=DAY.isoformat()).json()
    assert orders["date"] == DAY.isoformat() and orders["orders"] == wb.book.order_numbers(DAY)
    text = wb.get("/admin/orders", date=DAY.isoformat(), format="text")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.text.splitlines() == orders["orders"]
    assert wb.get("/admin/orders").json()["date"] == DAY.isoformat()  # default: the simulator's today


def test_injected_counts_are_the_order_books(wb: Any) -> None:
    answer = wb.get("/admin/injected", date=DAY.isoformat()).json()
    expected = {"injected": wb.book.injected_counts(DAY), "face": wb.faces.injected_counts(DAY)}
    assert answer == {"date": DAY.isoformat(), **expected}


@pytest.mark.parametrize("path", ["/admin/orders", "/admin/injected", "/admin/faces"])
def test_a_bad_date_is_a_400(wb: Any, path: str) -> None:
    response = wb.get(path, date="27/11/2026")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.json()["error"]


def test_unknown_paths_and_wrong_methods(wb: Any) -> None:
    assert wb.get("/nope").status_code == 404
    assert wb.get("/admin/reset").status_code == 405
    assert post(wb, "/api/oauth2/access_token").status_code == 405
    assert sum(wb.stats()["requests"].values()) == 0  # none of these reached an API endpoint


def test_config_can_be_read_without_any_secret(wb_factory: Factory) -> None:
    wb = wb_factory(extra_apps=(("IDAOTHER", "t" * 64),))
    response = wb.get("/admin/config")
    assert response.json()["app_id"] == wb.app_id and response.json()["extra_apps"] == ["IDAOTHER"]
    assert wb.secret not in response.text and "t" * 64 not in response.text and "secret" not in response.json()


def test_runtime_knobs_change_behaviour_at_once(wb: Any) -> None:
    answer = wb.configure(qps=1, latency="fixed:0", fault_999999=0.0, today="2026-12-01")
    assert answer["qps"] == 1 and answer["today"] == "2026-12-01"
    assert wb.server.config.qps == 1 and wb.server.config.today == date(2026, 12, 1)
    assert [wb.token()["code"] for _ in range(2)] == ["0", "400504"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"qps": "many"}, "qps"),
        ({"seed": 1}, "not a knob that can change at runtime"),
        ({"secret": "x"}, "not a knob that can change at runtime"),
        ({"no_such_knob": 1}, "not a knob"),
        ({"fault_5xx": 0.7, "fault_html": 0.7}, "add up"),
        ({"latency": "gaussian:3"}, "latency"),
        ({"today": "tomorrow"}, "today"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_runtime_knobs_are_refused_and_change_nothing(wb: Any, body: Any, message: str) -> None:
    before = wb.server.config
    response = post(wb, "/admin/config", json=body)
    assert response.status_code == 400 and message in response.json()["error"]
    assert wb.server.config == before


def test_reset_forgets_counters_and_every_credential(wb: Any) -> None:
    ticket = wb.credentials()
    assert wb.query(ticket, wb.orders()[0])["code"] == "0"
    assert post(wb, "/admin/reset").json() == {"reset": True}
    stats = wb.stats()
    assert stats["token_issued"] == 0 and sum(stats["requests"].values()) == 0
    assert wb.query(ticket, wb.orders()[0])["code"] == "400101"  # not even remembered as dead


# -- stats -----------------------------------------------------------------------------------------------------


def test_stats_shape_and_calls_per_order(wb: Any) -> None:
    ticket, orders = wb.credentials(), wb.orders()
    for order_no in (orders[0], orders[0], orders[0], orders[1]):
        wb.query(ticket, order_no)
    wb.query(ticket, "bad-order")  # not an order number: not counted per order
    stats = wb.stats()
    assert stats["requests"] == {"access_token": 1, "api_ticket": 1, "getOcrResult": 5, "queryfacerecord": 0}
    assert stats["results_by_code"]["getOcrResult"] == {"0": 4, "400101": 1}
    assert stats["calls_per_order"] == {"orders": 2, "histogram": {"1": 1, "3": 1}, "max": 3, "truncated": False}
    assert stats["face_calls_per_order"] == {"orders": 0, "histogram": {}, "max": 0, "truncated": False}
    assert stats["faults"] == {"5xx": 0, "999999": 0, "timeout": 0, "malformed": 0, "html": 0}
    assert abs(stats["token_request_times"][0] - time.time()) < 30
    assert stats["token_issued"] == stats["ticket_issued"] == 1
    assert stats["concurrent_token_requests"] == 0 and stats["max_concurrent_token_requests"] == 1


# -- the Python API and lifecycle ---------------------------------------------------------------------------------


def test_python_api_mirrors_the_admin_endpoints(start_simulator: Factory) -> None:
    server: SimulatorServer = start_simulator(qps=0, today=DAY)
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
    params = {"appId": server.config.app_id, "secret": server.config.secret}
    params |= {"grant_type": "client_credential", "version": "1.0.0"}
    assert requests.get(server.url + "/api/oauth2/access_token", params=params, timeout=5).json()["code"] == "0"
    assert server.stats()["token_issued"] == 1
    assert server.invalidate_tokens() == {"tokens": 1, "tickets": 0}
    server.reset_stats()
    assert server.stats()["token_issued"] == 0
    assert server.update_config(qps=3).qps == 3 and server.config.qps == 3
    server.reset()
    with pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_context_manager_stops_and_hangs_up_keep_alive_connections() -> None:
    with SimulatorServer(SimulatorConfig(port=0)) as server:
        session = requests.Session()
        assert session.get(server.url + "/healthz", timeout=5).headers["Connection"] == "keep-alive"
        port = server.port
    with pytest.raises(requests.ConnectionError):
        session.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    server.stop()  # stopping twice is harmless


def test_many_requests_share_one_keep_alive_connection(wb: Any) -> None:
    with socket.create_connection(("127.0.0.1", wb.server.port), timeout=5) as connection:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        connection.sendall(request * 3)
        time.sleep(0.2)
        answers = connection.recv(65536)
    assert answers.count(b"HTTP/1.1 200 OK") == 3


# -- logging ---------------------------------------------------------------------------------------------------


def test_the_access_log_shows_method_and_path_never_the_query(
    wb_factory: Factory, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    wb = wb_factory(access_log=True)
    with caplog.at_level(logging.INFO, logger="tencent_kyc_dev.simulator"):
        ticket = wb.credentials()
        wb.query(ticket, wb.orders()[0], get_file="1")
    assert "GET /api/oauth2/access_token 200" in caplog.text and "GET /api/server/getOcrResult 200" in caplog.text
    out, err = capfd.readouterr()
    for secret in (wb.secret, ticket, "access_token=", "sign=", "nonce="):
        assert secret not in caplog.text and secret not in out + err


def test_without_the_access_log_nothing_is_logged(wb: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        wb.credentials()
        wb.get("/nope")
    assert not [record for record in caplog.records if record.name.startswith("tencent_kyc_dev.simulator")]


# -- defaults ----------------------------------------------------------------------------------------------------


def test_today_defaults_to_the_real_utc_date(start_simulator: Factory) -> None:
    server = start_simulator()
    before = datetime.now(UTC).date()
    answer = requests.get(server.url + "/admin/orders", timeout=30).json()
    assert answer["date"] in {before.isoformat(), datetime.now(UTC).date().isoformat()}
