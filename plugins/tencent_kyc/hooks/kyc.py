"""TencentKycHook: credentials, signing and ``getOcrResult`` behind one Airflow connection."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from tencent_kyc.api.client import KycClient
from tencent_kyc.api.errors import InvalidOrderNumberError, KycAuthError, KycThrottledError, KycTransientError
from tencent_kyc.api.ratelimit import QUOTA_HEADROOM, RateLimiter
from tencent_kyc.api.results import OcrResult
from tencent_kyc.api.settings import KycSettings
from tencent_kyc.api.signing import ORDER_NO_PATTERN
from tencent_kyc.credentials.base import Credentials, CredentialStore
from tencent_kyc.credentials.database_store import DatabaseCredentialStore
from tencent_kyc.credentials.file_store import FileCredentialStore
from tencent_kyc.credentials.process_store import ProcessCredentialStore

T = TypeVar("T")


def validate_order_no(order_no: Any) -> str:
    """Tencent order numbers are 1–32 letters/digits; anything else is refused before a request is sent."""
    if not isinstance(order_no, str):
        raise InvalidOrderNumberError(f"order number must be a string, got {type(order_no).__name__}")
    if not ORDER_NO_PATTERN.fullmatch(order_no):
        problem = "is empty" if not order_no else f"has {len(order_no)} characters" if len(order_no) > 32 else ""
        problem = problem or "has characters other than ASCII letters and digits"
        raise InvalidOrderNumberError(f"order number {order_no[:40]!r} {problem}; expected 1-32 letters/digits")
    return order_no


class TencentKycHook(BaseHook):
    """
    Talk to Tencent Cloud Face Verification's WB server APIs.

    The connection's host is the base URL (default ``https://kyc1.qcloud.com``), login the WBappid, password
    the secret; extras are listed in :data:`tencent_kyc.api.settings.EXTRA_FIELDS`. The connection is read
    lazily, on first use. One hook may be shared by many threads.

    Calls are paced to ``quota_share`` of the connection's QPS quota (less a small headroom), so a hook
    never exceeds the quota on its own, and N hooks with a share of 1/N never do together.

    :param tencent_kyc_conn_id: the Airflow connection id.
    :param quota_share: the fraction of the connection's QPS quota this hook may use, in (0, 1].
    """

    conn_name_attr = "tencent_kyc_conn_id"
    default_conn_name = "tencent_kyc_default"
    conn_type = "tencent_kyc"
    hook_name = "Tencent Cloud KYC (WBappid)"

    def __init__(self, tencent_kyc_conn_id: str = default_conn_name, *, quota_share: float = 1.0) -> None:
        super().__init__()
        if not 0 < quota_share <= 1:
            raise ValueError(f"quota_share must be in (0, 1], got {quota_share}")
        self.tencent_kyc_conn_id = tencent_kyc_conn_id
        self.quota_share = quota_share
        self._credentials: Credentials | None = None
        self._credentials_lock = threading.Lock()

    @cached_property
    def settings(self) -> KycSettings:
        settings = KycSettings.from_connection(self.get_connection(self.tencent_kyc_conn_id))
        mask_secret(settings.secret)  # Airflow masks connection passwords inside tasks; elsewhere we must
        return settings

    @cached_property
    def client(self) -> KycClient:
        rate = self.settings.qps_quota * QUOTA_HEADROOM * self.quota_share
        return KycClient(self.settings, RateLimiter(rate))

    @cached_property
    def store(self) -> CredentialStore:
        settings = self.settings
        if settings.credential_store == "database":
            conn_id = str(settings.credential_conn_id)  # required by the settings when the store is "database"
            return DatabaseCredentialStore(
                settings.app_id, settings.secret, lambda: BaseHook.get_hook(conn_id).get_conn()
            )
        if settings.credential_store == "process":  # one process only: see ProcessCredentialStore
            return ProcessCredentialStore(settings.app_id, settings.secret)
        return FileCredentialStore(settings.app_id, settings.secret, settings.credential_file)

    def get_conn(self) -> KycClient:
        return self.client

    def get_credentials(self, *, stale_token: str | None = None) -> Credentials:
        """
        The current token and SIGN ticket, from memory, else the shared store (refreshing there if due).

        ``stale_token`` is the token a signed call was just refused with: the store refreshes unless another
        process already replaced it.
        """
        with self._credentials_lock:
            cached = self._credentials
            if (
                cached is not None
                and cached.access_token != stale_token
                and cached.is_fresh(self.settings.refresh_seconds)
            ):
                return cached
            credentials = self.store.get(
                refresh_seconds=self.settings.refresh_seconds, fetch=self._fetch_credentials, stale_token=stale_token
            )
            if cached is None or credentials.access_token != cached.access_token:
                mask_secret(credentials.access_token)
                mask_secret(credentials.ticket)
            self._credentials = credentials
            return credentials

    def _fetch_credentials(self) -> Credentials:
        """Token then SIGN ticket, together, as Tencent asks; called only under the store's lock."""
        fetched_at = time.time()
        token, token_lifetime = self._with_retries(self.client.get_access_token)
        mask_secret(token)
        ticket, ticket_lifetime = self._with_retries(lambda: self.client.get_sign_ticket(token))
        mask_secret(ticket)
        self.log.info("Fetched a new access token and SIGN ticket for WBappid %s", self.settings.app_id)
        return Credentials(token, ticket, fetched_at, min(token_lifetime, ticket_lifetime))

    def get_ocr_result(self, order_no: str, *, get_file: bool = False) -> OcrResult:
        """
        Query one order's ID-card OCR result.

        Throttled and transient failures are retried with backoff; a refused signature triggers one
        credential refresh and one retry. When photos were asked for but are still empty (Tencent's ~1 s
        lag), the order is re-queried ``photo_retries`` times, ``photo_retry_interval`` apart; photos still
        missing after that are reported by :meth:`OcrResult.missing_photos`.

        :raises InvalidOrderNumberError: before any request, for a malformed order number.
        :raises KycOrderError: a permanent failure for this order (its ``code`` says which).
        :raises KycThrottledError, KycTransientError: when all attempts failed.
        :raises KycAuthError: the signature was refused even with fresh credentials.
        """
        validate_order_no(order_no)
        queries = 1
        result = OcrResult.from_envelope(order_no, self._signed_query(order_no, get_file))
        while get_file and result.missing_photos() and queries <= self.settings.photo_retries:
            time.sleep(self.settings.photo_retry_interval)
            queries += 1
            result = OcrResult.from_envelope(order_no, self._signed_query(order_no, get_file), queries=queries)
        return result

    def _signed_query(self, order_no: str, get_file: bool) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            credentials = self.get_credentials()
            try:
                return self.client.get_ocr_result(order_no, credentials.ticket, get_file=get_file)
            except KycAuthError:
                refreshed = self.get_credentials(stale_token=credentials.access_token)
                return self.client.get_ocr_result(order_no, refreshed.ticket, get_file=get_file)

        return self._with_retries(attempt)

    def _with_retries(self, call: Callable[[], T]) -> T:
        """Retry throttled and transient failures with capped exponential backoff and jitter."""
        settings = self.settings
        attempt = 1
        while True:
            try:
                return call()
            except (KycThrottledError, KycTransientError):
                if attempt >= settings.max_attempts:
                    raise
                ceiling = min(settings.max_backoff_seconds, settings.backoff_seconds * 2 ** (attempt - 1))
                time.sleep(random.uniform(ceiling / 2, ceiling))
                attempt += 1

    def test_connection(self) -> tuple[bool, str]:
        """
        For the UI's Test button: obtain (or reuse) the token and SIGN ticket.

        It goes through the credential store, so a fresh stored pair is reused; on a machine that cannot
        reach the store it fetches a new token, which retires the workers' token a minute later (they
        recover by one refresh).
        """
        try:
            self.get_credentials()
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, f"Obtained an access token and SIGN ticket from {self.settings.base_url}"
