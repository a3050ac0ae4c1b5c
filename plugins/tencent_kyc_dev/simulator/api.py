"""The simulator's behaviour: Tencent's four WB endpoints enforced strictly, with quotas, latency and faults.

Every rule violation is answered as Tencent answers it, HTTP 200 with a JSON error code, and counted in
``/admin/stats``. :class:`Simulator` turns (method, target, body) into a :class:`~.replies.Reply`, with no
sockets: server.py serves it over HTTP, faults.py draws the injected faults, face_endpoint.py holds the rules of
queryfacerecord, admin.py the admin endpoints. Every endpoint of an app draws on one quota; both result queries
(getOcrResult, queryfacerecord) share the signature rules, the nonces and the faults. It is thread-safe.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from typing import Any
from urllib.parse import parse_qsl

from tencent_kyc.api.client import FACE_RECORD_PATH, OCR_RESULT_PATH, TICKET_PATH, TOKEN_PATH
from tencent_kyc.api.signing import NONCE_PATTERN, ORDER_NO_PATTERN, make_nonce, sign_order_query
from tencent_kyc_dev.simulator.admin import AdminEndpoints
from tencent_kyc_dev.simulator.config import FAULT_KINDS, SimulatorConfig
from tencent_kyc_dev.simulator.face_endpoint import QUERY_FACE_RECORD, FaceEndpoint, FaceQuery
from tencent_kyc_dev.simulator.faults import FaultInjector
from tencent_kyc_dev.simulator.orders import OrderBook, SyntheticOrder
from tencent_kyc_dev.simulator.photos import photos_for
from tencent_kyc_dev.simulator.replies import (
    BEIJING,
    MESSAGES,
    Refusal,
    Reply,
    json_bytes,
    json_reply,
    require,
    tencent_time,
)
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

ACCESS_TOKEN, API_TICKET, GET_OCR_RESULT = "access_token", "api_ticket", "getOcrResult"
ENDPOINTS = {
    TOKEN_PATH: ACCESS_TOKEN,
    TICKET_PATH: API_TICKET,
    OCR_RESULT_PATH: GET_OCR_RESULT,
    FACE_RECORD_PATH: QUERY_FACE_RECORD,
}
#: Each endpoint's one HTTP method; another is answered 405, as Tencent's gateway would.
METHODS = {ACCESS_TOKEN: "GET", API_TICKET: "GET", GET_OCR_RESULT: "GET", QUERY_FACE_RECORD: "POST"}
RESULT_QUERIES = frozenset({GET_OCR_RESULT, QUERY_FACE_RECORD})
#: Cache sizes: orders are regenerated from their number on lookup; each distinct photo is encoded once.
ORDERS_CACHED = 65_536
PHOTOS_CACHED = 1_024


def _expiry(ttl: float) -> dict[str, str]:
    """``expire_in`` (a string, as in the docs' examples) and the display-only ``expire_time``."""
    return {"expire_in": f"{ttl:g}", "expire_time": tencent_time(datetime.now(BEIJING) + timedelta(seconds=ttl))}


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
        self.faults = FaultInjector(config.fault_seed, self.stats, partial(self.envelope, GET_OCR_RESULT))
        self._rng = random.Random()  # latency and sequence numbers; single calls are thread-safe
        self._endpoints: dict[str, Callable[[str, Mapping[str, str], SimulatorConfig], Reply]] = {
            ACCESS_TOKEN: self._access_token,
            API_TICKET: self._api_ticket,
            GET_OCR_RESULT: self._get_ocr_result,
        }
        self.face = FaceEndpoint(self)
        self.admin = AdminEndpoints(self)

    @property
    def config(self) -> SimulatorConfig:
        return self._config

    def update_config(self, updates: Mapping[str, Any]) -> SimulatorConfig:
        """Change runtime knobs (see ``SimulatorConfig.with_knobs``); a new ``fault_seed`` restarts the faults."""
        with self._config_lock:
            self._config = self._config.with_knobs(updates)
            if "fault_seed" in updates:
                self.faults.reseed(self._config.fault_seed)
            return self._config

    def reset(self) -> dict[str, bool]:
        """Forget counters and every credential, quota window, nonce and media-lag clock."""
        for part in (self.stats, self.auth, self.quota, self.nonces, self.first_queries):
            part.reset()
        return {"reset": True}

    def invalidate_tokens(self) -> dict[str, int]:
        tokens, tickets = self.auth.invalidate_all()
        return {"tokens": tokens, "tickets": tickets}

    def handle(self, method: str, target: str, body: bytes, *, arrived: float | None = None) -> Reply:
        path, _, query = target.partition("?")
        params = dict(parse_qsl(query, keep_blank_values=True))
        endpoint = ENDPOINTS.get(path)
        if endpoint is None:
            return self.admin.handle(method, path, params, body)
        if method != METHODS[endpoint]:
            return json_reply({"error": f"use {METHODS[endpoint]}"}, 405)
        return self.call(endpoint, params, body, arrived=arrived)

    # -- the API -------------------------------------------------------------------------------------

    def call(
        self, endpoint: str, params: Mapping[str, str], body: bytes = b"", *, arrived: float | None = None
    ) -> Reply:
        """One API request (``params`` its query string, ``body`` the JSON body of queryfacerecord), with the
        app's in-flight and quota accounting (at ``arrived``, a ``time.monotonic()``; now if None), latency
        and fault injection."""
        config = self._config
        respond: Callable[[], Reply]
        if endpoint == QUERY_FACE_RECORD:
            request = FaceQuery.parse(params, body)
            app_id, order_no = request.app_id, request.order_no
            respond = partial(self.face.serve, app_id, request, config)
        else:
            app_id, order_no = self._app_id(endpoint, params, config), params.get("order_no", "")
            respond = partial(self._endpoints[endpoint], app_id, params, config)
        with ExitStack() as stack:
            if endpoint == ACCESS_TOKEN:  # held through the latency, so overlapping refreshes are seen
                self.stats.token_request(stack.enter_context(self.in_flight.hold(("token", app_id))))
            elif endpoint in RESULT_QUERIES and ORDER_NO_PATTERN.fullmatch(order_no):
                self.stats.order_call(order_no, face=endpoint == QUERY_FACE_RECORD)
            load = stack.enter_context(self.in_flight.hold(("app", app_id)))
            reply = self._serve(endpoint, app_id, respond, config, load, arrived)
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
        self,
        endpoint: str,
        app_id: str,
        respond: Callable[[], Reply],
        config: SimulatorConfig,
        load: int,
        arrived: float | None,
    ) -> Reply:
        refusal = self._admission(app_id, config, load, arrived)
        delay = config.latency_distribution.sample(self._rng)
        if delay > 0:  # even sleep(0) yields the GIL: costly at thousands of requests a second
            time.sleep(delay)
        try:
            if refusal is not None:
                raise refusal
            fault = self.faults.draw(config) if endpoint in RESULT_QUERIES else None
            if fault is not None:
                return fault
            return respond()
        except Refusal as refused:
            self.stats.count(refused.counter)
            return self.envelope(endpoint, refused.code)

    def _admission(self, app_id: str, config: SimulatorConfig, load: int, arrived: float | None) -> Refusal | None:
        """The per-app concurrency and QPS quotas, one for every endpoint together (unknown apps are refused
        later, and use no quota)."""
        if app_id not in config.apps:
            return None
        if config.max_in_flight and load > config.max_in_flight:
            return Refusal("400501", "tps_exceeded")
        if config.qps and not self.quota.admit(app_id, config.qps, arrived):
            return Refusal("400504", "throttled")
        return None

    def envelope(self, endpoint: str, code: str, *, biz_seq_no: str | None = None, **fields: Any) -> Reply:
        """Tencent's JSON envelope; result queries' answers also carry a ``bizSeqNo`` (``biz_seq_no`` or a new one)."""
        head: dict[str, Any] = {"code": code, "msg": MESSAGES[code]}
        if endpoint in RESULT_QUERIES:
            head["bizSeqNo"] = biz_seq_no or self.biz_seq_no()
        return Reply(body=json_bytes({**head, "transactionTime": tencent_time(), **fields}), code=code)

    def biz_seq_no(self) -> str:
        """32 digits, date first, like Tencent's (``21062120001184438417355807876765``)."""
        return f"{datetime.now(BEIJING):%y%m%d}{self._rng.randrange(10**26):026d}"

    def _access_token(self, app_id: str, params: Mapping[str, str], config: SimulatorConfig) -> Reply:
        require(app_id, params, ("secret", "grant_type"))
        if config.apps.get(app_id) != params["secret"]:
            raise Refusal("400104", "bad_credentials")
        if params["grant_type"] != "client_credential":
            raise Refusal("400101", "bad_grant_type")
        token = make_nonce() + make_nonce()  # 64 letters and digits
        self.auth.issue_token(app_id, token, ttl=config.token_ttl_seconds, overlap=config.overlap_seconds)
        self.stats.count("token_issued")
        return self.envelope(ACCESS_TOKEN, "0", access_token=token, **_expiry(config.token_ttl_seconds))

    def _api_ticket(self, app_id: str, params: Mapping[str, str], config: SimulatorConfig) -> Reply:
        require(app_id, params, ("access_token", "type"))
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
        return self.envelope(API_TICKET, "0", tickets=[{"value": ticket, **_expiry(config.ticket_ttl_seconds)}])

    def check_signed(self, app_id: str, order_no: str, nonce: str, sign: str, config: SimulatorConfig) -> None:
        """The rules both result queries share once their parameters are present and the app is known: a
        32-letter/digit nonce and a 1-32 letter/digit order number (400101), the signature over exactly {appId,
        orderNo, version, SIGN ticket, nonce}, compared case-insensitively, made with a live ticket (400101;
        400102 for a ticket that died with its token), and a nonce the app has not used within the window on
        either endpoint (400101). Raises Refusal."""
        if not NONCE_PATTERN.fullmatch(nonce):
            raise Refusal("400101", "bad_nonce")
        if not ORDER_NO_PATTERN.fullmatch(order_no):
            raise Refusal("400101", "bad_order_no")
        sign = sign.upper()
        liveness = self.auth.signed_with(
            app_id,
            lambda ticket: sign_order_query(app_id=app_id, order_no=order_no, ticket=ticket, nonce=nonce) == sign,
        )
        if liveness is not Liveness.LIVE:
            raise Refusal("400102", "dead_ticket") if liveness is Liveness.DEAD else Refusal("400101", "bad_signature")
        window = config.nonce_window_seconds
        if window and not self.nonces.first_seen(f"{app_id}:{nonce}", window)[1]:
            raise Refusal("400101", "nonce_replay")

    def _get_ocr_result(self, app_id: str, params: Mapping[str, str], config: SimulatorConfig) -> Reply:
        require(app_id, params, ("order_no", "nonce", "sign"))
        if app_id not in config.apps:
            raise Refusal("400104", "bad_credentials")
        self.check_signed(app_id, params["order_no"], params["nonce"], params["sign"], config)
        order = self._available(params["order_no"], config.current_date(), config.retention_days)
        if order is None:
            return self.envelope(GET_OCR_RESULT, "66660020")
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
        biz_seq_no, now = self.biz_seq_no(), tencent_time()
        result = {**order.result, "bizSeqNo": biz_seq_no, "transactionTime": now, "success": False}
        head = f'{{"code":"0","msg":"{MESSAGES["0"]}","bizSeqNo":"{biz_seq_no}","result":'
        parts = [head.encode(), json_bytes(result)[:-1]]
        # The lag clock starts at the order's first query, whether or not it asked for photos.
        lag_started = self.first_queries.first_seen(order.order_no)[0] if order.photo_lag else None
        if get_file:
            ripe = lag_started is None or time.monotonic() - lag_started >= photo_lag
            parts += (_photo_json(name, jpeg if ripe else b"") for name, jpeg in photos_for(order).items())
        parts.append(f'}},"transactionTime":"{now}"}}'.encode())
        return Reply(body=b"".join(parts), code="0")
