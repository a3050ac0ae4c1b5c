"""The error taxonomy callers act on, and the mapping of Tencent's codes onto it.

Messages carry codes, endpoint names and Tencent's own short texts only: never a URL (its query holds the
secret, token or signature), a response body, or anything from an order's personal data.
"""

from __future__ import annotations

from typing import ClassVar


class KycError(Exception):
    """Base of every error raised by the Tencent KYC client.

    ``retryable`` says, once and for all, whether a later try may succeed for the same order: the order was
    fine and Tencent or the network was not. Records carry it as data from here on.
    """

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, code: str | None = None, order_no: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.order_no = order_no


class KycThrottledError(KycError):
    """The quota was exceeded (400501, 400504, HTTP 429): back off, then retry."""

    retryable = True


class KycTransientError(KycError):
    """Server or network trouble (HTTP 5xx, 99999x, time-outs, malformed bodies): retry with backoff."""

    retryable = True


class KycAuthError(KycError):
    """Token, ticket or signature refused (400101–400105) even after one credential refresh."""

    retryable = True


class KycRequestError(KycError):
    """A request Tencent will never accept as sent (wrong version, unknown endpoint): a client or config bug."""


class KycOrderError(KycError):
    """A permanent per-order failure (e.g. 66661005 image decode error): record it, don't retry."""


class InvalidOrderNumberError(KycError, ValueError):
    """An order number that is not 1–32 letters/digits; raised before any request is sent."""


#: getOcrResult's top-level codes meaning "no OCR result for this order": an outcome, not an error.
NO_RESULT_CODES = frozenset({"66660020", "66660011"})
AUTH_CODES = frozenset({"400101", "400102", "400103", "400104", "400105"})
THROTTLED_CODES = frozenset({"400501", "400504"})
TRANSIENT_CODES = frozenset({"999997", "999998", "999999"})
REQUEST_CODES = frozenset({"400502", "400503"})


def error_for_code(code: str, message: str, *, endpoint: str, order_no: str | None = None) -> KycError:
    """The error to raise for a non-zero, non-"no result" top-level code returned by ``endpoint``."""
    text = f"{endpoint} answered code {code}: {message}"
    if code in THROTTLED_CODES:
        return KycThrottledError(text, code=code, order_no=order_no)
    if code in TRANSIENT_CODES:
        return KycTransientError(text, code=code, order_no=order_no)
    if code in AUTH_CODES:
        return KycAuthError(text, code=code, order_no=order_no)
    if code in REQUEST_CODES or order_no is None:
        return KycRequestError(text, code=code, order_no=order_no)
    return KycOrderError(text, code=code, order_no=order_no)
