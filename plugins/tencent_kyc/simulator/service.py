"""The simulator's HTTP server: Tencent's three endpoints, strictly, plus admin endpoints for tests.

Every rule violation is answered the way Tencent answers: HTTP 200 with a JSON error code. The query
string (secret, token, signature) is never logged.
"""

from __future__ import annotations

import json
import random
import secrets
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tencent_kyc.api.signing import API_VERSION, NONCE_PATTERN, ORDER_NO_PATTERN, sign_order_query
from tencent_kyc.simulator.auth import AuthState, Quota, Stats
from tencent_kyc.simulator.book import Completion, OrderBook
from tencent_kyc.simulator.images import photo_base64
from tencent_kyc.simulator.knobs import SimulatorConfig, sample_latency

TOKEN, TICKET, OCR = "access_token", "api_ticket", "getOcrResult"
ROUTES = {"/api/oauth2/access_token": TOKEN, "/api/oauth2/api_ticket": TICKET, "/api/server/getOcrResult": OCR}
_HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


class Refused(Exception):
    """A request Tencent would refuse: the code and message to answer with, and the counter to bump."""

    def __init__(self, code: str, message: str, counter: str) -> None:
        super().__init__(message)
        self.code, self.message, self.counter = code, message, counter


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


class Simulator:
    """State and behaviour, independent of HTTP plumbing (so it can be exercised and reasoned about alone)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.book = OrderBook(config.seed, config.orders_per_day, config.rates)
        self.auth = AuthState()
        self.quota = Quota()
        self.stats = Stats()
        self.first_queries: dict[str, float] = {}
        self.rng = random.Random(config.fault_seed)
        self.rng_lock = threading.Lock()

    def reset(self) -> None:
        self.auth, self.quota, self.stats, self.first_queries = AuthState(), Quota(), Stats(), {}

    def random(self) -> float:
        with self.rng_lock:
            return self.rng.random()

    # --- credential endpoints ---------------------------------------------------------------------
    def _app_id(self, query: dict[str, str]) -> str:
        accepted = ("appId", "app_id") if self.config.app_id_param == "both" else (self.config.app_id_param,)
        values = [query[name] for name in accepted if name in query]
        if not values:
            raise Refused("400101", f"缺少参数 {'/'.join(accepted)}", "bad_request")
        if values[0] != self.config.app_id:
            raise Refused("400104", "无权限访问此请求", "bad_credentials")
        return values[0]

    @staticmethod
    def _version(query: dict[str, str]) -> None:
        if query.get("version") != API_VERSION:
            raise Refused("400502", "请求上送版本参数错误", "bad_version")

    def access_token(self, query: dict[str, str], now: float) -> dict[str, Any]:
        self._app_id(query)
        self._version(query)
        if query.get("secret") != self.config.secret:
            raise Refused("400104", "无权限访问此请求", "bad_credentials")
        if query.get("grant_type") != "client_credential":
            raise Refused("400101", "不合法请求", "bad_request")
        token = self.auth.issue_token(now, self.config.token_ttl, self.config.overlap_seconds)
        self.stats.count("token_issued")
        expires = datetime.now(UTC) + timedelta(seconds=self.config.token_ttl)
        return {"access_token": token, "expire_time": _stamp(expires), "expire_in": str(int(self.config.token_ttl))}

    def api_ticket(self, query: dict[str, str], now: float) -> dict[str, Any]:
        self._app_id(query)
        self._version(query)
        if query.get("type") != "SIGN":
            raise Refused("400101", "不合法请求", "bad_request")
        token = query.get("access_token", "")
        if not self.auth.token_alive(token, now):
            raise Refused("400102", "access_token 已失效", "dead_token")
        ticket = self.auth.issue_ticket(token, now, self.config.ticket_ttl, self.config.overlap_seconds)
        self.stats.count("ticket_issued")
        expires = _stamp(datetime.now(UTC) + timedelta(seconds=self.config.ticket_ttl))
        return {"tickets": [{"value": ticket, "expire_in": str(int(self.config.ticket_ttl)), "expire_time": expires}]}

    # --- getOcrResult -------------------------------------------------------------------------------
    def _check_signature(self, query: dict[str, str], now: float) -> None:
        app_id, order_no, nonce = query.get("app_id", ""), query.get("order_no", ""), query.get("nonce", "")
        if app_id != self.config.app_id:
            raise Refused("400104", "无权限访问此请求", "bad_credentials")
        self._version(query)
        if not NONCE_PATTERN.fullmatch(nonce):
            raise Refused("400101", "nonce 必须为32位字母和数字", "bad_nonce")
        if not ORDER_NO_PATTERN.fullmatch(order_no):
            raise Refused("400101", "订单号不合法", "bad_order_no")
        sign = query.get("sign", "").upper()

        def signed_with(ticket: str) -> bool:
            return sign_order_query(app_id=app_id, order_no=order_no, ticket=ticket, nonce=nonce) == sign

        if not any(signed_with(ticket) for ticket in self.auth.live_tickets(now)):
            if any(signed_with(ticket) for ticket in list(self.auth.dead_tickets)):
                raise Refused("400102", "ticket 已失效", "dead_ticket")
            raise Refused("400101", "签名校验不通过", "bad_signature")
        if self.config.nonce_window > 0 and self.auth.nonce_seen(nonce, now, self.config.nonce_window):
            raise Refused("400101", "nonce 重复使用", "nonce_replay")

    def ocr_result(self, query: dict[str, str], now: float) -> dict[str, Any]:
        self._check_signature(query, now)
        order_no = query["order_no"]
        with self.stats.lock:
            self.stats.calls_per_order[order_no] += 1
        order = self.book.lookup(order_no)
        today = self.config.current_day()
        retained = order is not None and (
            self.config.retention_days <= 0 or (today - order.order_date).days <= self.config.retention_days
        )
        if order is None or order.completes_on is None or order.completes_on > today or not retained:
            return {"code": "66660020", "msg": "OCR 结果查询不到"}
        result: dict[str, Any] = dict(order.result)
        if query.get("get_file") == "1":
            photos = photo_base64(order)
            if order.photo_lag and self._lagging(order_no, now):
                photos = dict.fromkeys(photos, "")
            result |= photos
        biz = "".join(secrets.choice("0123456789") for _ in range(32))
        stamp = _stamp()
        result |= {"bizSeqNo": biz, "transactionTime": stamp, "success": False}
        return {"bizSeqNo": biz, "result": result}

    def _lagging(self, order_no: str, now: float) -> bool:
        with self.stats.lock:
            first = self.first_queries.setdefault(order_no, now)
        return now - first < self.config.photo_lag_seconds


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Silent: the default access log would print query strings (secret, token, signature)."""

    def _send(self, status: int, body: bytes, content_type: str = "application/json;charset=UTF-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, payload: Any, status: int = 200) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        url = urlsplit(self.path)
        endpoint = ROUTES.get(url.path)
        if endpoint is not None:
            self._api(endpoint, {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()})
        elif url.path == "/admin/stats":
            self._json(self.server.sim.stats.snapshot())
        elif url.path == "/admin/orders":
            self._orders(parse_qs(url.query))
        elif url.path == "/admin/injected":
            day = datetime.strptime(parse_qs(url.query)["date"][0], "%Y-%m-%d").date()
            self._json(self.server.sim.book.injected_counts(day))
        elif url.path == "/healthz":
            self._json({"status": "ok"})
        else:
            self._json({"error": "not found"}, 404)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        sim, path = self.server.sim, urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        if path == "/admin/reset":
            sim.reset()
        elif path == "/admin/invalidate-tokens":
            sim.auth.invalidate_all(time.monotonic())
        elif path == "/admin/config":
            try:
                sim.config = sim.config.updated(body)
            except (ValueError, TypeError) as exc:
                self._json({"error": str(exc)}, 400)
                return
        else:
            self._json({"error": "not found"}, 404)
            return
        self._json({"status": "ok"})

    def _orders(self, query: dict[str, list[str]]) -> None:
        day = datetime.strptime(query["date"][0], "%Y-%m-%d").date()
        orders = self.server.sim.book.order_numbers(day)
        if query.get("format") == ["text"]:
            self._send(200, "".join(f"{o}\n" for o in orders).encode(), "text/plain;charset=UTF-8")
        else:
            self._json({"date": day.isoformat(), "orders": orders})

    def _api(self, endpoint: str, query: dict[str, str]) -> None:
        sim, config = self.server.sim, self.server.sim.config
        stats = sim.stats
        with stats.lock:
            stats.requests[endpoint] += 1
            stats.in_flight += 1
            if endpoint == TOKEN:
                stats.token_request_times.append(time.time())
                stats.token_in_flight += 1
                stats.max_token_in_flight = max(stats.max_token_in_flight, stats.token_in_flight)
                if stats.token_in_flight > 1:
                    stats.counters["concurrent_token_requests"] += 1
            over_tps = config.max_in_flight > 0 and stats.in_flight > config.max_in_flight
        try:
            time.sleep(sample_latency(config.latency, sim.rng))
            if endpoint == OCR and self._fault(sim, config):
                return
            now = time.monotonic()
            if over_tps:
                raise Refused("400501", "请求超过最大限制", "tps_exceeded")
            if not sim.quota.admit(f"{config.app_id}:{endpoint}", now, config.qps):
                raise Refused("400504", "请求访问频率过高", "throttled")
            handler = {TOKEN: sim.access_token, TICKET: sim.api_ticket, OCR: sim.ocr_result}[endpoint]
            payload = {"code": "0", "msg": "请求成功", **handler(query, now)}
        except Refused as refused:
            stats.count(refused.counter)
            payload = {"code": refused.code, "msg": refused.message, "bizSeqNo": "", "result": None}
        finally:
            with stats.lock:
                stats.in_flight -= 1
                if endpoint == TOKEN:
                    stats.token_in_flight -= 1
        payload["transactionTime"] = _stamp()
        with stats.lock:
            stats.codes[str(payload["code"])] += 1
        self._json(payload)

    def _fault(self, sim: Simulator, config: SimulatorConfig) -> bool:
        """Inject one configured fault, if the dice say so; True when the request was answered (or dropped)."""
        roll = sim.random()
        for name, rate in (("http_5xx", config.fault_5xx), ("code_999999", config.fault_999999),
                           ("timeout", config.fault_timeout), ("malformed", config.fault_malformed),
                           ("html", config.fault_html)):  # fmt: skip
            if roll >= rate:
                roll -= rate
                continue
            with sim.stats.lock:
                sim.stats.faults[name] += 1
            if name == "http_5xx":
                self._send(sim.rng.choice((500, 502, 503)), _HTML, "text/html")
            elif name == "code_999999":
                self._json({"code": "999999", "msg": "网络不给力，请稍后再试", "transactionTime": _stamp()})
            elif name == "timeout":
                time.sleep(config.timeout_seconds)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif name == "malformed":
                self._send(200, b'{"code":"0","msg":"\xe8\xaf\xb7\xe6\xb1\x82","result":{"frontCode":')
            else:
                self._send(200, _HTML, "text/html")
            return True
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        super().__init__((sim.config.host, sim.config.port), _Handler)


class SimulatorServer:
    """Run the simulator in a background thread: ``with SimulatorServer(config) as sim: sim.url``."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.simulator = Simulator(config or SimulatorConfig())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def config(self) -> SimulatorConfig:
        return self.simulator.config

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        self._server = _Server(self.simulator)
        self._thread = threading.Thread(target=self._server.serve_forever, name="kyc-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server = _Server(self.simulator)
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def stats(self) -> dict[str, Any]:
        return self.simulator.stats.snapshot()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
