"""The simulator's HTTP server: Tencent's three WB endpoints enforced strictly, plus admin endpoints.

Every rule violation is answered as Tencent answers it, HTTP 200 with a JSON error code, and counted in
``/admin/stats``. The API behaviour (:class:`Simulator`) is kept apart from the socket plumbing
(:class:`SimulatorServer`); both are thread-safe. The query string (secret, token, signature) is never
logged.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import random
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tencent_kyc.api.client import OCR_RESULT_PATH, TICKET_PATH, TOKEN_PATH
from tencent_kyc.api.signing import API_VERSION, NONCE_PATTERN, ORDER_NO_PATTERN, make_nonce, sign_order_query
from tencent_kyc_dev.simulator.config import FAULT_KINDS, SimulatorConfig
from tencent_kyc_dev.simulator.orders import OrderBook, SyntheticOrder
from tencent_kyc_dev.simulator.photos import photos_for
from tencent_kyc_dev.simulator.state import (
    LAGGING_ORDERS_TRACKED,
    NONCES_REMEMBERED,
    AuthState,
    InFlight,
    Liveness,
    RecentKeys,
    SlidingWindows,
    Stats,
)

LOG = logging.getLogger("tencent_kyc_dev.simulator")

ACCESS_TOKEN, API_TICKET, GET_OCR_RESULT = "access_token", "api_ticket", "getOcrResult"
ENDPOINTS = {TOKEN_PATH: ACCESS_TOKEN, TICKET_PATH: API_TICKET, OCR_RESULT_PATH: GET_OCR_RESULT}
#: Tencent's texts for the codes the simulator answers (API reference §4.4).
MESSAGES = {
    "0": "请求成功",
    "400101": "不合法请求",
    "400102": "不合法请求",
    "400104": "无权限访问此请求",
    "400501": "请求超过最大限制",
    "400502": "请求上送版本参数错误",
    "400504": "请求访问频率过高",
    "66660020": "OCR 结果查询不到",
    "999999": "网络不给力，请稍后再试",
}
JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"
GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>stgw</center></body></html>"
)
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
#: Cache sizes: orders are regenerated from their number on lookup; each distinct photo is encoded once.
ORDERS_CACHED = 65_536
PHOTOS_CACHED = 1_024


@dataclass(frozen=True)
class Reply:
    """What to send back: ``code`` is the JSON code (for the stats); ``drop`` hangs up without answering."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    code: str | None = None
    drop: bool = False


class Refusal(Exception):
    """A request the rules refuse: answered with ``code``, counted as ``counter``."""

    def __init__(self, code: str, counter: str) -> None:
        super().__init__(code)
        self.code, self.counter = code, counter


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, _json_bytes(payload))


def _tencent_time(moment: datetime | None = None) -> str:
    """``yyyyMMddHHmmss`` in Beijing time, as Tencent writes ``transactionTime`` and ``expire_time``."""
    return (moment or datetime.now(BEIJING)).strftime("%Y%m%d%H%M%S")


def _expiry(ttl: float) -> dict[str, str]:
    """``expire_in`` (a string, as in the docs' examples) and the display-only ``expire_time``."""
    return {"expire_in": f"{ttl:g}", "expire_time": _tencent_time(datetime.now(BEIJING) + timedelta(seconds=ttl))}


def _require(app_id: str, params: Mapping[str, str], names: tuple[str, ...]) -> None:
    """Every parameter present and non-empty (else 400101), and ``version`` exactly 1.0.0 (else 400502)."""
    if not app_id or not all(params.get(name) for name in (*names, "version")):
        raise Refusal("400101", "missing_params")
    if params["version"] != API_VERSION:
        raise Refusal("400502", "bad_version")


@lru_cache(maxsize=PHOTOS_CACHED)
def _photo_json(name: str, jpeg: bytes) -> bytes:
    """``,"name":"<base64>"``, to splice into ``result``. Cached: orders share a few variants of each photo."""
    return b',"%s":"%s"' % (name.encode(), base64.b64encode(jpeg))


class Simulator:
    """The API and admin behaviour: (method, target, body) in, :class:`Reply` out."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._config_lock = threading.Lock()
        self.book = OrderBook(config.seed, config.orders_per_day, config.order_fault_rates)
        self._lookup = lru_cache(maxsize=ORDERS_CACHED)(self.book.lookup)
        self.auth = AuthState()
        self.quota = SlidingWindows()
        self.in_flight = InFlight()
        self.nonces = RecentKeys(capacity=NONCES_REMEMBERED)
        self.first_queries = RecentKeys(capacity=LAGGING_ORDERS_TRACKED)
        self.stats = Stats(ENDPOINTS.values(), FAULT_KINDS)
        self._fault_lock = threading.Lock()
        self._fault_rng = random.Random(config.fault_seed)
        self._rng = random.Random()  # latency and sequence numbers; single calls are thread-safe
        self._endpoints: dict[str, Callable[[str, Mapping[str, str], SimulatorConfig], Reply]] = {
            ACCESS_TOKEN: self._access_token,
            API_TICKET: self._api_ticket,
            GET_OCR_RESULT: self._get_ocr_result,
        }
        self._admin: dict[tuple[str, str], Callable[[dict[str, str], bytes], Reply]] = {
            ("GET", "/healthz"): lambda query, body: _json_reply({"status": "ok"}),
            ("GET", "/admin/stats"): lambda query, body: _json_reply(self.stats.snapshot()),
            ("POST", "/admin/reset"): lambda query, body: _json_reply(self.reset()),
            ("POST", "/admin/invalidate-tokens"): lambda query, body: _json_reply(self.invalidate_tokens()),
            ("GET", "/admin/orders"): self._admin_orders,
            ("GET", "/admin/injected"): self._admin_injected,
            ("GET", "/admin/config"): lambda query, body: _json_reply(self.config.public()),
            ("POST", "/admin/config"): self._admin_config,
        }

    @property
    def config(self) -> SimulatorConfig:
        return self._config

    def update_config(self, updates: Mapping[str, Any]) -> SimulatorConfig:
        """Change runtime knobs (see ``SimulatorConfig.with_knobs``); a new ``fault_seed`` restarts the faults."""
        with self._config_lock:
            self._config = self._config.with_knobs(updates)
            if "fault_seed" in updates:
                with self._fault_lock:
                    self._fault_rng = random.Random(self._config.fault_seed)
            return self._config

    def reset(self) -> dict[str, bool]:
        """Forget counters and every credential, quota window, nonce and photo-lag clock."""
        for part in (self.stats, self.auth, self.quota, self.nonces, self.first_queries):
            part.reset()
        return {"reset": True}

    def invalidate_tokens(self) -> dict[str, int]:
        tokens, tickets = self.auth.invalidate_all()
        return {"tokens": tokens, "tickets": tickets}

    def handle(self, method: str, target: str, body: bytes) -> Reply:
        path, _, query = target.partition("?")
        params = dict(parse_qsl(query, keep_blank_values=True))
        if path in ENDPOINTS:
            return self.call(ENDPOINTS[path], params) if method == "GET" else _json_reply({"error": "use GET"}, 405)
        admin = self._admin.get((method, path))
        if admin is None:
            known = any(route_path == path for _, route_path in self._admin)
            return _json_reply({"error": f"{method} {path} is not served"}, 405 if known else 404)
        try:
            return admin(params, body)
        except ValueError as exc:  # a bad date, knob or body
            return _json_reply({"error": str(exc)}, 400)

    # -- the API -------------------------------------------------------------------------------------

    def call(self, endpoint: str, params: Mapping[str, str]) -> Reply:
        """One API request, with the app's in-flight and quota accounting, latency and fault injection."""
        config = self._config
        app_id = self._app_id(endpoint, params, config)
        with ExitStack() as stack:
            if endpoint == ACCESS_TOKEN:  # held through the latency, so overlapping refreshes are seen
                self.stats.token_request(stack.enter_context(self.in_flight.hold(("token", app_id))))
            elif endpoint == GET_OCR_RESULT and ORDER_NO_PATTERN.fullmatch(params.get("order_no", "")):
                self.stats.order_call(params["order_no"])
            load = stack.enter_context(self.in_flight.hold(("app", app_id)))
            reply = self._serve(endpoint, app_id, params, config, load)
        self.stats.request(endpoint, reply.code)
        return reply

    @staticmethod
    def _app_id(endpoint: str, params: Mapping[str, str], config: SimulatorConfig) -> str:
        """The app id as sent; the token/ticket endpoints accept the spelling(s) ``app_id_param`` allows."""
        if endpoint == GET_OCR_RESULT or config.app_id_param == "app_id":
            return params.get("app_id", "")
        if config.app_id_param == "appId":
            return params.get("appId", "")
        return params.get("appId") or params.get("app_id", "")

    def _serve(
        self, endpoint: str, app_id: str, params: Mapping[str, str], config: SimulatorConfig, load: int
    ) -> Reply:
        refusal = self._admission(endpoint, app_id, config, load)
        delay = config.latency_distribution.sample(self._rng)
        if delay > 0:  # even sleep(0) yields the GIL: costly at thousands of requests a second
            time.sleep(delay)
        try:
            if refusal is not None:
                raise refusal
            fault = self._fault(config) if endpoint == GET_OCR_RESULT else None
            if fault is not None:
                return fault
            return self._endpoints[endpoint](app_id, params, config)
        except Refusal as refused:
            self.stats.count(refused.counter)
            return self._envelope(endpoint, refused.code)

    def _admission(self, endpoint: str, app_id: str, config: SimulatorConfig, load: int) -> Refusal | None:
        """The per-app concurrency and QPS quotas (unknown apps are refused later, and use no quota)."""
        if app_id not in config.apps:
            return None
        if config.max_in_flight and load > config.max_in_flight:
            return Refusal("400501", "tps_exceeded")
        if config.qps and not self.quota.admit((app_id, endpoint), config.qps):
            return Refusal("400504", "throttled")
        return None

    def _envelope(self, endpoint: str, code: str, **fields: Any) -> Reply:
        """Tencent's JSON envelope; getOcrResult answers also carry a ``bizSeqNo``."""
        head: dict[str, Any] = {"code": code, "msg": MESSAGES[code]}
        if endpoint == GET_OCR_RESULT:
            head["bizSeqNo"] = self._biz_seq_no()
        return Reply(body=_json_bytes({**head, "transactionTime": _tencent_time(), **fields}), code=code)

    def _biz_seq_no(self) -> str:
        """32 digits, date first, like Tencent's (``21062120001184438417355807876765``)."""
        return f"{datetime.now(BEIJING):%y%m%d}{self._rng.randrange(10**26):026d}"

    def _access_token(self, app_id: str, params: Mapping[str, str], config: SimulatorConfig) -> Reply:
        _require(app_id, params, ("secret", "grant_type"))
        if config.apps.get(app_id) != params["secret"]:
            raise Refusal("400104", "bad_credentials")
        if params["grant_type"] != "client_credential":
            raise Refusal("400101", "bad_grant_type")
        token = make_nonce() + make_nonce()  # 64 letters and digits
        self.auth.issue_token(app_id, token, ttl=config.token_ttl_seconds, overlap=config.overlap_seconds)
        self.stats.count("token_issued")
        return self._envelope(ACCESS_TOKEN, "0", access_token=token, **_expiry(config.token_ttl_seconds))

    def _api_ticket(self, app_id: str, params: Mapping[str, str], config: SimulatorConfig) -> Reply:
        _require(app_id, params, ("access_token", "type"))
        if app_id not in config.apps:
            raise Refusal("400104", "bad_credentials")
        if params["type"] != "SIGN":
            raise Refusal("400101", "bad_ticket_type")
        ticket = make_nonce() + make_nonce()
        liveness = self.auth.issue_ticket(
            app_id, params["access_token"], ticket, ttl=config.ticket_ttl_seconds, overlap=config.overlap_seconds
        )
        if liveness is not Liveness.LIVE:
            raise Refusal("400102", "dead_token") if liveness is Liveness.DEAD else Refusal("400101", "unknown_token")
        self.stats.count("ticket_issued")
        return self._envelope(API_TICKET, "0", tickets=[{"value": ticket, **_expiry(config.ticket_ttl_seconds)}])

    def _get_ocr_result(self, app_id: str, params: Mapping[str, str], config: SimulatorConfig) -> Reply:
        _require(app_id, params, ("order_no", "nonce", "sign"))
        if app_id not in config.apps:
            raise Refusal("400104", "bad_credentials")
        order_no, nonce, sign = params["order_no"], params["nonce"], params["sign"].upper()
        if not NONCE_PATTERN.fullmatch(nonce):
            raise Refusal("400101", "bad_nonce")
        if not ORDER_NO_PATTERN.fullmatch(order_no):
            raise Refusal("400101", "bad_order_no")
        liveness = self.auth.signed_with(
            app_id,
            lambda ticket: sign_order_query(app_id=app_id, order_no=order_no, ticket=ticket, nonce=nonce) == sign,
        )
        if liveness is not Liveness.LIVE:
            raise Refusal("400102", "dead_ticket") if liveness is Liveness.DEAD else Refusal("400101", "bad_signature")
        window = config.nonce_window_seconds
        if window and not self.nonces.first_seen(f"{app_id}:{nonce}", window)[1]:
            raise Refusal("400101", "nonce_replay")
        order = self._available(order_no, config.current_date(), config.retention_days)
        if order is None:
            return self._envelope(GET_OCR_RESULT, "66660020")
        return self._ocr_result(order, params.get("get_file") == "1", config.photo_lag_seconds)

    def _available(self, order_no: str, today: date, retention_days: int) -> SyntheticOrder | None:
        """The order if its OCR result exists today: completed by now and, if retention applies, not purged."""
        order = self._lookup(order_no)
        if order is None or order.completes_on is None or order.completes_on > today:
            return None
        if retention_days and (today - order.completes_on).days > retention_days:
            return None
        return order

    def _ocr_result(self, order: SyntheticOrder, get_file: bool, photo_lag: float) -> Reply:
        """The success envelope, with the photos spliced in as cached JSON bytes so big answers stay cheap."""
        biz_seq_no, now = self._biz_seq_no(), _tencent_time()
        result = {**order.result, "bizSeqNo": biz_seq_no, "transactionTime": now, "success": False}
        head = f'{{"code":"0","msg":"{MESSAGES["0"]}","bizSeqNo":"{biz_seq_no}","result":'
        parts = [head.encode(), _json_bytes(result)[:-1]]
        # The lag clock starts at the order's first query, whether or not it asked for photos.
        lag_started = self.first_queries.first_seen(order.order_no)[0] if order.photo_lag else None
        if get_file:
            ripe = lag_started is None or time.monotonic() - lag_started >= photo_lag
            parts += (_photo_json(name, jpeg if ripe else b"") for name, jpeg in photos_for(order).items())
        parts.append(f'}},"transactionTime":"{now}"}}'.encode())
        return Reply(body=b"".join(parts), code="0")

    # -- faults --------------------------------------------------------------------------------------

    def _fault(self, config: SimulatorConfig) -> Reply | None:
        """Maybe a fault instead of an answer, drawn per getOcrResult request at the configured rates."""
        if not any(rate for _, rate in config.request_faults):
            return None
        with self._fault_lock:
            roll, variant = self._fault_rng.random(), self._fault_rng.random()
        for kind, rate in config.request_faults:
            if roll < rate:
                self.stats.fault(kind)
                return self._fault_reply(kind, variant, config)
            roll -= rate
        return None

    def _fault_reply(self, kind: str, variant: float, config: SimulatorConfig) -> Reply:
        if kind == "5xx":
            status = (500, 502, 503)[int(variant * 6) % 3]
            page = f"<html><body><h1>{status} {HTTPStatus(status).phrase}</h1></body></html>".encode()
            return Reply(status, page if variant < 0.5 else b"", HTML_TYPE)
        if kind == "999999":
            return self._envelope(GET_OCR_RESULT, "999999")
        if kind == "timeout":
            time.sleep(config.timeout_seconds)
            return Reply(drop=True)
        if kind == "malformed":
            whole = self._envelope(GET_OCR_RESULT, "0", result={"orderNo": "", "success": False}).body
            return Reply(body=whole[: len(whole) // 2])
        return Reply(body=GATEWAY_PAGE, content_type=HTML_TYPE)

    # -- admin ---------------------------------------------------------------------------------------

    def _admin_day(self, query: Mapping[str, str]) -> date:
        try:
            return date.fromisoformat(query["date"]) if query.get("date") else self.config.current_date()
        except ValueError:
            raise ValueError(f"date must be YYYY-MM-DD, got {query['date']!r}") from None

    def _admin_orders(self, query: dict[str, str], body: bytes) -> Reply:
        day = self._admin_day(query)
        orders = self.book.order_numbers(day)
        if query.get("format") == "text":
            return Reply(
                body="".join(f"{order}\n" for order in orders).encode(), content_type="text/plain;charset=UTF-8"
            )
        return _json_reply({"date": day.isoformat(), "orders": orders})

    def _admin_injected(self, query: dict[str, str], body: bytes) -> Reply:
        day = self._admin_day(query)
        return _json_reply({"date": day.isoformat(), "injected": self.book.injected_counts(day)})

    def _admin_config(self, query: dict[str, str], body: bytes) -> Reply:
        try:
            updates = json.loads(body or b"{}")
        except ValueError:
            raise ValueError("the body must be a JSON object of knob names") from None
        if not isinstance(updates, dict):
            raise ValueError("the body must be a JSON object of knob names")
        return _json_reply(self.update_config(updates).public())


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive plumbing: every request goes to :meth:`Simulator.handle`, answered in one write."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HttpServer

    def do_GET(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send(_json_reply({"error": "bad Content-Length"}, 400))
            return
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.simulator.handle(self.command, self.path, body)
        if self.server.simulator.config.access_log:
            LOG.info("%s %s %s", self.command, self.path.partition("?")[0], "dropped" if reply.drop else reply.status)
        if reply.drop:
            self.close_connection = True
        else:
            self._send(reply)

    do_POST = do_GET

    def _send(self, reply: Reply) -> None:
        head = (
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}\r\n"
            f"Content-Type: {reply.content_type}\r\nContent-Length: {len(reply.body)}\r\n"
            f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n"
        )
        self.wfile.write(head.encode("ascii") + reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default would print the request line, whose query holds secrets and signatures."""


class _HttpServer(ThreadingHTTPServer):
    """A thread per connection, tracked so that stopping also hangs up idle keep-alive connections."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup of the address, which can stall for seconds."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def hang_up_all(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up is normal; anything else is logged without the request (it may hold secrets)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            LOG.exception("simulator request failed")


class SimulatorServer:
    """The simulator on a real socket, served from a background thread: ``with SimulatorServer(config) as sim``."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.simulator = Simulator(config)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def config(self) -> SimulatorConfig:
        """The current knobs (they change with ``update_config`` and ``POST /admin/config``)."""
        return self.simulator.config

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the simulator is not running")
        return self._httpd.server_port

    @property
    def url(self) -> str:
        """Base URL for clients; a wildcard listen address is reached through loopback."""
        host = self.config.host
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._httpd is not None:
            raise RuntimeError("the simulator is already running")
        self._httpd = _HttpServer((self.config.host, self.config.port), self.simulator)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="kyc-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and hang up every connection; requests still sleeping finish on daemon threads."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.hang_up_all()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        return self.simulator.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters only (credentials and windows are kept)."""
        self.simulator.stats.reset()

    def reset(self) -> None:
        """Counters and every credential, window and clock, like ``POST /admin/reset``."""
        self.simulator.reset()

    def invalidate_tokens(self) -> dict[str, int]:
        return self.simulator.invalidate_tokens()

    def update_config(self, **knobs: Any) -> SimulatorConfig:
        return self.simulator.update_config(knobs)
