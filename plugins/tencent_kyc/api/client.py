"""HTTP calls to Tencent's WB server APIs: one pooled session, strict requests, tolerant parsing.

This layer knows the three endpoints and turns every answer into either a decoded envelope (code "0" or a
"no result" code) or an error of the taxonomy in :mod:`tencent_kyc.api.errors`. It holds no credentials
state and does no retrying: the hook decides that.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from tencent_kyc.api.errors import (
    NO_RESULT_CODES,
    KycRequestError,
    KycThrottledError,
    KycTransientError,
    error_for_code,
)
from tencent_kyc.api.ratelimit import RateLimiter
from tencent_kyc.api.settings import KycSettings
from tencent_kyc.api.signing import API_VERSION, make_nonce, sign_order_query

TOKEN_PATH = "/api/oauth2/access_token"
TICKET_PATH = "/api/oauth2/api_ticket"
OCR_RESULT_PATH = "/api/server/getOcrResult"


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
    """Stateless wrapper of the three endpoints over one keep-alive connection pool."""

    def __init__(self, settings: KycSettings, limiter: RateLimiter | None = None) -> None:
        self.settings = settings
        self.limiter = limiter
        self.session = self._new_session(settings)

    @staticmethod
    def _new_session(settings: KycSettings) -> requests.Session:
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
        body = self._get(
            TOKEN_PATH,
            {
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
        body = self._get(
            TICKET_PATH,
            {
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

    def get_ocr_result(self, order_no: str, ticket: str, *, get_file: bool) -> dict[str, Any]:
        """
        One signed getOcrResult query, paced by the limiter (the quota counts these calls, retries included).

        Returns the envelope when the code is "0" or a no-result code.
        """
        nonce = make_nonce()
        params = {
            "app_id": self.settings.app_id,
            "order_no": order_no,
            "nonce": nonce,
            "version": API_VERSION,
            "sign": sign_order_query(app_id=self.settings.app_id, order_no=order_no, ticket=ticket, nonce=nonce),
        }
        if get_file:
            params["get_file"] = "1"
        if self.limiter is not None:
            self.limiter.acquire()
        return self._get(OCR_RESULT_PATH, params, order_no=order_no)

    def _get(self, path: str, params: Mapping[str, str], *, order_no: str | None = None) -> dict[str, Any]:
        endpoint = path.rsplit("/", 1)[-1]
        try:
            response = self.session.get(
                self.settings.base_url + path,
                params=params,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                verify=self.settings.verify,
            )
        except requests.Timeout:
            raise KycTransientError(f"{endpoint}: timed out", order_no=order_no) from None
        except requests.RequestException as exc:
            # The exception text embeds the URL (and so the query's secrets): keep only its type.
            raise KycTransientError(f"{endpoint}: {type(exc).__name__}", order_no=order_no) from None
        body = _decode(response, endpoint, order_no)
        code = str(body.get("code", ""))
        if code == "0" or (order_no is not None and code in NO_RESULT_CODES):
            return body
        raise error_for_code(code or "<missing>", str(body.get("msg", "")), endpoint=endpoint, order_no=order_no)


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
