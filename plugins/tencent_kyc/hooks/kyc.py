"""TencentKycHook: credentials, pacing, retries and the signed WBappid calls behind one Airflow connection."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, TypeVar

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from tencent_kyc.api.client import FACE_RECORD, OCR_RESULT, KycClient, SignedEndpoint
from tencent_kyc.api.errors import InvalidOrderNumberError, KycAuthError, KycThrottledError, KycTransientError
from tencent_kyc.api.face import GET_FILE, MEDIA_CHOICES, FaceResult, wanted_media
from tencent_kyc.api.results import OcrResult
from tencent_kyc.api.signing import ORDER_NO_PATTERN
from tencent_kyc.credentials.base import Credentials, CredentialStore
from tencent_kyc.credentials.registry import STORES
from tencent_kyc.hooks.pacer import SharedPacer
from tencent_kyc.hooks.settings import KycSettings

T = TypeVar("T")
#: Airflow's masker ignores (and warns about) values shorter than this; none of ours is a secret that short.
_MASKABLE_LENGTH = 5


def validate_order_no(order_no: Any) -> str:
    """Tencent order numbers are 1–32 letters/digits; anything else is refused before a request is sent."""
    if not isinstance(order_no, str):
        raise InvalidOrderNumberError(f"order number must be a string, got {type(order_no).__name__}")
    if not ORDER_NO_PATTERN.fullmatch(order_no):
        problem = "is empty" if not order_no else f"has {len(order_no)} characters" if len(order_no) > 32 else ""
        problem = problem or "has characters other than ASCII letters and digits"
        raise InvalidOrderNumberError(f"order number {order_no[:40]!r} {problem}; expected 1-32 letters/digits")
    return order_no


def _mask(value: str) -> None:
    """Register a runtime secret with Airflow's masker (values too short to be secrets are left alone)."""
    if len(value) >= _MASKABLE_LENGTH:
        mask_secret(value)


class TencentKycHook(BaseHook):
    """
    Talk to Tencent Cloud Face Verification's WB server APIs.

    The connection's host is the base URL (default ``https://kyc1.qcloud.com``), login the WBappid, password
    the secret; extras are declared in :class:`tencent_kyc.hooks.settings.KycSettings`. The connection is read
    lazily, on first use. One hook may be shared by many threads.

    Every endpoint is a thin method over :meth:`signed_call`, the one primitive that signs, paces, retries
    and re-authenticates; adding an endpoint is a :class:`~tencent_kyc.api.client.SignedEndpoint`, a method
    and a result type. Every request the hook sends, token and ticket included, waits for a slot of the app's
    one QPS quota, booked in the credential store that every task, run and DAG on the app shares
    (:mod:`tencent_kyc.hooks.pacer`): no split to configure, and never over the quota together.

    :param tencent_kyc_conn_id: the Airflow connection id.
    """

    conn_name_attr = "tencent_kyc_conn_id"
    default_conn_name = "tencent_kyc_default"
    conn_type = "tencent_kyc"
    hook_name = "Tencent Cloud KYC (WBappid)"

    def __init__(self, tencent_kyc_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.tencent_kyc_conn_id = tencent_kyc_conn_id
        self._credentials: Credentials | None = None
        self._credentials_lock = threading.Lock()
        self._counts_lock = threading.Lock()
        self.calls = self.throttled = self.retries = 0

    @cached_property
    def settings(self) -> KycSettings:
        """The connection's settings; an ill-typed or out-of-range extra raises here, before any request."""
        settings = KycSettings.from_connection(self.get_connection(self.tencent_kyc_conn_id))
        _mask(settings.secret)  # Airflow masks connection passwords inside tasks; elsewhere we must
        return settings

    @cached_property
    def client(self) -> KycClient:
        return KycClient(self.settings)

    @cached_property
    def pacer(self) -> SharedPacer:
        settings = self.settings
        return SharedPacer(self.store, settings.qps_quota, self.log, store_kind=settings.credential_store)

    @cached_property
    def store(self) -> CredentialStore:
        return STORES.get(self.settings.credential_store).from_settings(self.settings)

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
                _mask(credentials.access_token)
                _mask(credentials.ticket)
            self._credentials = credentials
            return credentials

    def _fetch_credentials(self) -> Credentials:
        """Token then SIGN ticket, together, as Tencent asks; called only under the store's lock. Their age counts
        from when the token request was sent, not from before its wait for a send slot: otherwise each refresh
        would come early by that wait, and tokens would be requested more often than the refresh period."""

        def request_token() -> tuple[tuple[str, float], float]:
            sent_at = time.time()
            return self.client.get_access_token(), sent_at

        (token, token_lifetime), fetched_at = self._with_retries(lambda: self._paced(request_token))
        _mask(token)
        ticket, ticket_lifetime = self._with_retries(lambda: self._paced(lambda: self.client.get_sign_ticket(token)))
        _mask(ticket)
        self.log.info("Fetched a new access token and SIGN ticket for WBappid %s", self.settings.app_id)
        return Credentials(token, ticket, fetched_at, min(token_lifetime, ticket_lifetime))

    def signed_call(
        self, endpoint: SignedEndpoint, order_no: str, options: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """
        One call of a signed WBappid endpoint for one order: the decoded envelope (code "0" or "no result").

        The order number is checked before anything is sent. Each attempt is paced within the quota;
        throttled and transient failures are retried with capped, jittered backoff; a refused signature
        triggers one credential refresh (through the shared store) and one retry.

        :raises InvalidOrderNumberError: before any request, for a malformed order number.
        :raises KycOrderError: a permanent failure for this order (its ``code`` says which).
        :raises KycThrottledError, KycTransientError: when all attempts failed.
        :raises KycAuthError: the signature was refused even with fresh credentials.
        """
        validate_order_no(order_no)

        def attempt() -> dict[str, Any]:
            credentials = self.get_credentials()
            try:
                return self._paced(lambda: self.client.signed(endpoint, order_no, credentials.ticket, options))
            except KycAuthError:
                refreshed = self.get_credentials(stale_token=credentials.access_token)
                return self._paced(lambda: self.client.signed(endpoint, order_no, refreshed.ticket, options))

        return self._with_retries(attempt)

    def poll_media(self, query: Callable[[], T], missing: Callable[[T], tuple[str, ...]]) -> tuple[T, int]:
        """
        Query, then re-query while media asked for are still missing (Tencent's 1-2 s media lag):
        ``photo_retries`` more times, ``photo_retry_interval`` apart. Returns the last answer and the queries made.
        """
        answer, queries = query(), 1
        while missing(answer) and queries <= self.settings.photo_retries:
            time.sleep(self.settings.photo_retry_interval)
            answer, queries = query(), queries + 1
        return answer, queries

    def get_ocr_result(self, order_no: str, *, get_file: bool = False) -> OcrResult:
        """
        Query one order's ID-card OCR result (``getOcrResult``); with ``get_file`` also its photos, re-queried
        while required ones lag (those still missing are in :meth:`OcrResult.missing_photos`).
        """
        options = {"get_file": "1"} if get_file else {}

        def query() -> OcrResult:
            return OcrResult.from_envelope(order_no, self.signed_call(OCR_RESULT, order_no, options))

        if not get_file:
            return query()
        result, queries = self.poll_media(query, OcrResult.missing_photos)
        return result.with_queries(queries)

    def call_counts(self) -> dict[str, int]:
        """Requests sent (token and ticket included), throttled answers, and retries, since the hook was made."""
        with self._counts_lock:
            return {"calls": self.calls, "throttled": self.throttled, "retries": self.retries}

    def _count(self, name: str) -> None:
        with self._counts_lock:
            setattr(self, name, getattr(self, name) + 1)

    def query_face_record(self, order_no: str, *, media: str = "none") -> FaceResult:
        """
        Query one order's face verification (``queryfacerecord``, query version 1.0: with the SDK version and
        the TRTC flag). ``media`` asks for the ``photo``, the ``video``, ``both`` or ``none``; a passed record whose
        media are still empty is re-queried as the docs ask (they lag the result by a second or two), and what
        never came is in :meth:`FaceResult.missing_media`.
        """
        if media not in MEDIA_CHOICES:
            raise ValueError(f"media must be one of {', '.join(MEDIA_CHOICES)}, got {media!r}")
        options = {"queryVersion": "1.0", **({"getFile": GET_FILE[media]} if media in GET_FILE else {})}
        wanted = wanted_media(media)

        def query() -> FaceResult:
            return FaceResult.from_envelope(order_no, self.signed_call(FACE_RECORD, order_no, options))

        result, queries = self.poll_media(query, lambda answer: answer.missing_media(wanted))
        return result.with_queries(queries)

    def _paced(self, call: Callable[[], T]) -> T:
        """Every request to the WBappid server draws on the quota: wait for a slot, then send."""
        self.pacer.acquire()
        self._count("calls")
        try:
            return call()
        except KycThrottledError:
            self._count("throttled")
            raise

    def _with_retries(self, call: Callable[[], T]) -> T:
        """Retry throttled and transient failures with capped exponential backoff and jitter."""
        settings = self.settings
        attempt = 1
        while True:
            try:
                return call()
            except (KycThrottledError, KycTransientError) as error:
                if attempt >= settings.max_attempts:
                    raise
                ceiling = min(settings.max_backoff_seconds, settings.backoff_seconds * 2 ** (attempt - 1))
                pause = random.uniform(ceiling / 2, ceiling)
                self.log.warning(
                    "%s (code %s): attempt %d of %d again in %.2f s",
                    type(error).__name__, error.code, attempt + 1, settings.max_attempts, pause,
                )  # fmt: skip
                time.sleep(pause)
                attempt += 1
                self._count("retries")

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
