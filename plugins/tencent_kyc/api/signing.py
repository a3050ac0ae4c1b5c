"""Tencent WB request signing: ordinal sort of the values, concatenation, SHA-1.

The algorithm is Tencent's "签名算法说明": drop null values, sort the remaining values by plain
code-point order (never locale or case-insensitive), join them with no separator, SHA-1 the UTF-8
bytes and hex-encode. Tencent compares signatures case-insensitively; we send upper case, as the
official Java helper does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string

API_VERSION = "1.0.0"
NONCE_LENGTH = 32
_NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_PATTERN = re.compile(r"[A-Za-z0-9]{32}")
ORDER_NO_PATTERN = re.compile(r"[A-Za-z0-9]{1,32}")


def make_nonce() -> str:
    """A fresh 32-character letters-and-digits nonce, as the signature requires."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(NONCE_LENGTH))


def sign(*values: str | None) -> str:
    """Sign the given values (order does not matter): upper-case hex SHA-1 of the sorted concatenation."""
    kept = sorted(value for value in values if value is not None)
    return hashlib.sha1("".join(kept).encode("utf-8")).hexdigest().upper()


def sign_order_query(*, app_id: str, order_no: str, ticket: str, nonce: str, version: str = API_VERSION) -> str:
    """The getOcrResult signature over exactly {app_id, order_no, version, SIGN ticket, nonce}."""
    return sign(app_id, order_no, version, ticket, nonce)
