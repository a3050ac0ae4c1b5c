"""HTTP calls to Tencent's WB server APIs: one pooled session, one request primitive, strict requests, tolerant
parsing.

This layer knows the endpoints and turns every answer into either a decoded envelope (code "0", one of the
endpoint's "no result" codes, or a verdict about the order) or an error of the taxonomy in
:mod:`tencent_kyc.api.errors`. It holds no credentials state, does no pacing and no retrying: the hook decides
those.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import requests
from requests.adapters import HTTPAdapter

from tencent_kyc.api.errors import (
    NO_RESULT_CODES,
    KycOrderError,
    KycRequestError,
    KycThrottledError,
    KycTransientError,
    error_for_code,
)
from tencent_kyc.api.face import NO_RECORD
from tencent_kyc.api.signing import API_VERSION, make_nonce, sign_order_query

TOKEN_PATH = "/api/oauth2/access_token"
TICKET_PATH = "/api/oauth2/api_ticket"
Method = Literal["GET", "POST"]


@dataclass(frozen=True)
class SignedEndpoint:
    """A WBappid server API signed with the SIGN ticket over the five values {appId, orderNo, version, ticket,
    nonce}. GET endpoints take snake_case query parameters; POST endpoints a camelCase JSON body, with the order
    number repeated in the query string as Tencent asks."""

    name: str
    path: str
    method: Method
    #: Top-level codes meaning "no result for this order": an outcome, not an error.
    no_result_codes: frozenset[str]
    #: Whether every other code about the order is an answer too (a verification's verdict, e.g. "not the same
    #: person"), rather than a failure of the query; auth, quota, server and request codes stay errors.
    verdicts: bool = False

    def request(
        self, app_id: str, order_no: str, nonce: str, sign: str, options: Mapping[str, str]
    ) -> tuple[dict[str, str], dict[str, str] | None]:
        """(query parameters, JSON body) of one call."""
        if self.method == "GET":
            query = {"app_id": app_id, "order_no": order_no, "nonce": nonce, "version": API_VERSION, "sign": sign}
            return {**query, **options}, None
        body = {"appId": app_id, "version": API_VERSION, "nonce": nonce, "orderNo": order_no, "sign": sign}
        return {"orderNo": order_no}, {**body, **options}


OCR_RESULT = SignedEndpoint("getOcrResult", "/api/server/getOcrResult", "GET", NO_RESULT_CODES)
OCR_RESULT_PATH = OCR_RESULT.path
FACE_RECORD = SignedEndpoint(
    "queryfacerecord", "/api/v2/base/queryfacerecord", "POST", frozenset({NO_RECORD}), verdicts=True
)
FACE_RECORD_PATH = FACE_RECORD.path


class ClientSettings(Protocol):
    """What the client reads from the hook's settings."""

    @property
    def app_id(self) -> str: ...

    @property
    def secret(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def app_id_param(self) -> str: ...

    @property
    def connect_timeout(self) -> float: ...

    @property
    def read_timeout(self) -> float: ...

    @property
    def verify(self) -> bool | str: ...

    @property
    def pool_size(self) -> int: ...


class _DropQueryString(logging.Filter):
    """urllib3 logs request URLs at DEBUG; their query strings hold the secret, token and signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?<redacted>" if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


_URLLIB3_LOGGER = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _DropQueryString) for f in _URLLIB3_LOGGER.filters):
    _URLLIB3_LOGGER.addFilter(_DropQueryString())


class KycClient:
    """Stateless wrapper of the endpoints over one keep-alive connection pool."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.session = self._new_session(settings)

    @staticmethod
    def _new_session(settings: ClientSettings) -> requests.Session:
        """Keep-alive pool sized for the fetch concurrency; proxies resolved once, not on every request."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=settings.pool_size, max_retries=0, pool_block=False)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # requests re-reads proxy variables and ~/.netrc per request when trust_env is on (~4% of a call).
        session.proxies = requests.utils.get_environ_proxies(settings.base_url)
        session.trust_env = False
        return session

    def close(self) -> None:
        self.session.close()

    def get_access_token(self) -> tuple[str, float]:
        """A new access token and its lifetime in seconds. Every call invalidates older tokens after ~1 min."""
        body = self.send(
            "GET",
            TOKEN_PATH,
            params={
                self.settings.app_id_param: self.settings.app_id,
                "secret": self.settings.secret,
                "grant_type": "client_credential",
                "version": API_VERSION,
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise KycTransientError("access_token: answer has no access_token")
        return token, _seconds(body.get("expire_in"), default=7200.0)

    def get_sign_ticket(self, access_token: str) -> tuple[str, float]:
        """The SIGN ticket bound to ``access_token`` and its lifetime in seconds."""
        body = self.send(
            "GET",
            TICKET_PATH,
            params={
                self.settings.app_id_param: self.settings.app_id,
                "access_token": access_token,
                "type": "SIGN",
                "version": API_VERSION,
            },
        )
        tickets = body.get("tickets")
        first = tickets[0] if isinstance(tickets, list) and tickets and isinstance(tickets[0], Mapping) else {}
        value = first.get("value")
        if not isinstance(value, str) or not value:
            raise KycTransientError("api_ticket: answer has no tickets[0].value")
        return value, _seconds(first.get("expire_in"), default=3600.0)

    def signed(
        self, endpoint: SignedEndpoint, order_no: str, ticket: str, options: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """One call of a signed endpoint with a fresh nonce; the envelope when the code is "0" or "no result"."""
        nonce = make_nonce()
        sign = sign_order_query(app_id=self.settings.app_id, order_no=order_no, ticket=ticket, nonce=nonce)
        params, body = endpoint.request(self.settings.app_id, order_no, nonce, sign, options or {})
        return self.send(
            endpoint.method,
            endpoint.path,
            params=params,
            json_body=body,
            order_no=order_no,
            no_result_codes=endpoint.no_result_codes,
            verdicts=endpoint.verdicts,
        )

    def send(
        self,
        method: Method,
        path: str,
        *,
        params: Mapping[str, str],
        json_body: Mapping[str, str] | None = None,
        order_no: str | None = None,
        no_result_codes: frozenset[str] = frozenset(),
        verdicts: bool = False,
    ) -> dict[str, Any]:
        """The one request primitive: send, decode, and map any other code to the error taxonomy (an order's
        code is an answer instead when the endpoint's codes are ``verdicts``)."""
        endpoint = path.rsplit("/", 1)[-1]
        try:
            response = self.session.request(
                method,
                self.settings.base_url + path,
                params=params,
                json=json_body,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                verify=self.settings.verify,
            )
        except requests.Timeout:
            raise KycTransientError(f"{endpoint}: timed out", order_no=order_no) from None
        except requests.RequestException as exc:
            # The exception text embeds the URL (and so the query's secrets): keep only its type.
            raise KycTransientError(f"{endpoint}: {type(exc).__name__}", order_no=order_no) from None
        body = _decode(response, endpoint, order_no)
        code = "" if body.get("code") is None else str(body["code"])
        if not code:  # not Tencent's answer (every one has a code), so never a verdict: a gateway's, retry it
            raise KycTransientError(f"{endpoint}: answer has no code", code="MALFORMED", order_no=order_no)
        if code == "0" or code in no_result_codes:
            return body
        error = error_for_code(code, str(body.get("msg", "")), endpoint=endpoint, order_no=order_no)
        if verdicts and type(error) is KycOrderError:
            return body
        raise error


def _decode(response: requests.Response, endpoint: str, order_no: str | None) -> dict[str, Any]:
    status = response.status_code
    if status == 429:
        raise KycThrottledError(f"{endpoint}: HTTP 429", code="HTTP429", order_no=order_no)
    if status >= 500:
        raise KycTransientError(f"{endpoint}: HTTP {status}", code=f"HTTP{status}", order_no=order_no)
    if status != 200:
        raise KycRequestError(f"{endpoint}: HTTP {status}", code=f"HTTP{status}", order_no=order_no)
    try:
        body = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        kind = "an HTML page" if response.content.lstrip()[:1] == b"<" else "malformed JSON"
        raise KycTransientError(f"{endpoint}: answer is {kind}", code="MALFORMED", order_no=order_no) from None
    if not isinstance(body, dict):
        raise KycTransientError(f"{endpoint}: answer is not a JSON object", code="MALFORMED", order_no=order_no)
    return body


def _seconds(value: Any, *, default: float) -> float:
    """``expire_in`` arrives as "7200" or 7200; fall back to the documented lifetime if absent or odd."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default
