"""A hand-rolled WB client for the simulator tests: every part of a request can be broken on purpose."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import requests

from tencent_kyc.api.signing import make_nonce, sign_order_query
from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.faces import FaceBook, FaceRecord
from tencent_kyc_dev.simulator.orders import OrderBook, SyntheticOrder
from tencent_kyc_dev.simulator.server import SimulatorServer

DAY = date(2026, 11, 27)
#: The five signed values of a signed result query and where they are in a queryfacerecord body.
SIGNED = {"app_id": "appId", "order_no": "orderNo", "nonce": "nonce", "version": "version"}
TOKEN = "/api/oauth2/access_token"
TICKET = "/api/oauth2/api_ticket"
OCR = "/api/server/getOcrResult"
FACE = "/api/v2/base/queryfacerecord"


class WbClient:
    """Raw requests to one simulator; signing goes through ``tencent_kyc.api.signing`` as a real client's would."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server, self.url = server, server.url
        self.app_id, self.secret = server.config.app_id, server.config.secret
        self.session = requests.Session()
        config = server.config
        self.book = OrderBook(config.seed, config.orders_per_day, config.order_fault_rates)
        self.faces = FaceBook(self.book, config.face_fault_rates)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.url + path, params=params, timeout=10)

    def call(self, path: str, **params: Any) -> dict[str, Any]:
        """An API call that must be answered Tencent-style: HTTP 200, JSON, UTF-8."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
        return dict(response.json())

    def token(self, **overrides: Any) -> dict[str, Any]:
        params = {"appId": self.app_id, "secret": self.secret, "grant_type": "client_credential", "version": "1.0.0"}
        return self.call(TOKEN, **{**params, **overrides})

    def ticket(self, token: str, **overrides: Any) -> dict[str, Any]:
        params = {"appId": self.app_id, "access_token": token, "type": "SIGN", "version": "1.0.0"}
        return self.call(TICKET, **{**params, **overrides})

    def credentials(self) -> str:
        """A fresh token and SIGN ticket; returns the ticket."""
        return str(self.ticket(self.token()["access_token"])["tickets"][0]["value"])

    def query(self, ticket: str, order_no: str, *, signed_with: str | None = None, **overrides: Any) -> dict[str, Any]:
        """getOcrResult signed with ``ticket`` (or ``signed_with``) over the values sent, unless ``sign`` is given."""
        params = {"app_id": self.app_id, "order_no": order_no, "nonce": make_nonce(), "version": "1.0.0"}
        params |= overrides
        if "sign" not in params:
            signed = {name: params[name] for name in ("app_id", "order_no", "nonce", "version")}
            params["sign"] = sign_order_query(ticket=signed_with or ticket, **signed)
        return self.call(OCR, **params)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        """A POST of ``body``: bytes as they are, anything else as JSON."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        return self.session.post(self.url + path, params=params, data=data, headers=headers, timeout=10)

    def face_body(
        self, ticket: str, order_no: str, *, signed_with: str | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A queryfacerecord body signed with ``ticket`` (or ``signed_with``) over the values sent, unless ``sign``
        is given; an override of None drops that field."""
        body = {"appId": self.app_id, "version": "1.0.0", "nonce": make_nonce(), "orderNo": order_no, **overrides}
        if "sign" not in body:
            values = {name: str(body.get(key)) for name, key in SIGNED.items()}
            body["sign"] = sign_order_query(ticket=signed_with or ticket, **values)
        return {key: value for key, value in body.items() if value is not None}

    def face(
        self,
        ticket: str,
        order_no: str,
        *,
        url_order_no: str | None = None,
        with_query: bool = True,
        signed_with: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """queryfacerecord as a correct client sends it (``?orderNo=`` the body's, else ``url_order_no``; none
        without ``with_query``), which must be answered Tencent-style: HTTP 200, JSON, UTF-8."""
        body = self.face_body(ticket, order_no, signed_with=signed_with, **overrides)
        query = {"orderNo": order_no if url_order_no is None else url_order_no} if with_query else {}
        response = self.post(FACE, body, **query)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
        return dict(response.json())

    def find_face(self, wanted: Callable[[FaceRecord], bool], day: date = DAY) -> FaceRecord:
        """The first face record of ``day`` matching ``wanted``, by the simulator's truth."""
        return next(record for record in self.faces.records(day) if wanted(record))

    def stats(self) -> dict[str, Any]:
        return dict(self.get("/admin/stats").json())

    def configure(self, **knobs: Any) -> dict[str, Any]:
        response = self.session.post(self.url + "/admin/config", json=knobs, timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def orders(self, day: date = DAY) -> list[str]:
        return list(self.get("/admin/orders", date=day.isoformat()).json()["orders"])

    def find(self, wanted: Callable[[SyntheticOrder], bool], day: date = DAY) -> SyntheticOrder:
        """The first order of ``day`` matching ``wanted``, by the order book's truth."""
        return next(order for number in self.orders(day) if (order := self.book.lookup(number)) and wanted(order))


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., SimulatorServer]]:
    """This package's simulator on an ephemeral loopback port, with any knobs; stopped after the test."""
    started: list[SimulatorServer] = []

    def start(**knobs: Any) -> SimulatorServer:
        started.append(SimulatorServer(SimulatorConfig(port=0, **knobs)).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def wb_factory(start_simulator: Callable[..., SimulatorServer]) -> Iterator[Callable[..., WbClient]]:
    """Clients of fresh simulators; defaults: no quota, a fixed "today", 200 orders a day."""
    clients: list[WbClient] = []

    def make(**knobs: Any) -> WbClient:
        clients.append(WbClient(start_simulator(**{"qps": 0, "today": DAY, "orders_per_day": 200, **knobs})))
        return clients[-1]

    yield make
    for client in clients:
        client.session.close()


@pytest.fixture
def wb(wb_factory: Callable[..., WbClient]) -> WbClient:
    return wb_factory()
