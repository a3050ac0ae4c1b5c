"""Shared, single-flight storage of the access token and SIGN ticket, and the schedule of the app's quota.

Tencent's rules: cache them persistently, refresh both together every 20 minutes, never refresh
concurrently, use the new ones at once (a new token kills the old one after about a minute). So every
process of every worker reads the same stored pair, and a refresh happens under an exclusive lock after
re-checking what is stored: whoever waited on the lock finds the fresh pair and does not fetch again.

The pair is stored encrypted with a key derived from the app secret, so a copied file or row is useless
without the secret. The same store shares the app's QPS quota (:mod:`.quota`): every store books send slots
atomically, and a store that cannot be reached fails the call instead of letting it go unpaced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import ClassVar, Protocol

from cryptography.fernet import Fernet, InvalidToken

from tencent_kyc.credentials.quota import Reservation

#: Refresh a little before Tencent's own lifetimes run out, whatever the configured age.
EXPIRY_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Credentials:
    """An access token and the SIGN ticket fetched with it."""

    access_token: str = field(repr=False)
    ticket: str = field(repr=False)
    fetched_at: float
    lifetime: float

    def is_fresh(self, refresh_seconds: float, now: float | None = None) -> bool:
        age = (time.time() if now is None else now) - self.fetched_at
        return 0 <= age < min(refresh_seconds, self.lifetime - EXPIRY_MARGIN_SECONDS)


Fetch = Callable[[], Credentials]


class StoreSettings(Protocol):
    """What a store needs from the connection's settings (``KycSettings`` has it all)."""

    @property
    def app_id(self) -> str: ...

    @property
    def secret(self) -> str: ...

    @property
    def credential_file(self) -> str: ...

    @property
    def credential_conn_id(self) -> str | None: ...


class StoreSettingsError(ValueError):
    """The settings lack what this kind of store needs; raised when the connection is read."""


class CredentialStore(ABC):
    """Lock, re-check, fetch if needed, store: the one refresh protocol, whatever the storage."""

    #: The quota schedule is on this host's clock (a store on another host sets False; see hooks/pacer.py).
    same_clock: ClassVar[bool] = True

    @classmethod  # noqa: B027 (an optional hook: most stores need nothing more)
    def check(cls, settings: StoreSettings) -> None:
        """Refuse settings this store cannot work with (called when the connection is read)."""

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: StoreSettings) -> CredentialStore:
        """The store for a connection's settings."""

    def __init__(self, app_id: str, secret: str) -> None:
        self.app_id = app_id
        key = hashlib.sha256(b"tencent-kyc credential store\0" + secret.encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def get(self, *, refresh_seconds: float, fetch: Fetch, stale_token: str | None = None) -> Credentials:
        """The stored pair if still fresh (and not the ``stale_token`` a call was refused with), else a new one."""
        with self._locked():
            current = self._decrypt(self._read())
            if (
                current is not None
                and current.is_fresh(refresh_seconds)
                and (stale_token is None or current.access_token != stale_token)
            ):
                return current
            fresh = fetch()
            self._write(self._fernet.encrypt(json.dumps(asdict(fresh)).encode("utf-8")))
            return fresh

    def _decrypt(self, blob: bytes | None) -> Credentials | None:
        if not blob:
            return None
        try:
            return Credentials(**json.loads(self._fernet.decrypt(blob)))
        except (InvalidToken, ValueError, TypeError):
            return None  # written with another secret (rotated) or damaged: fetch anew

    @abstractmethod
    def reserve(self, client_id: str, slots: int, interval: float) -> Reservation:
        """Book ``slots`` consecutive send slots ``interval`` apart on the app's schedule (see :mod:`.quota`)."""

    @abstractmethod
    def _locked(self) -> AbstractContextManager[None]:
        """Exclusive across processes and, for shared stores, hosts."""

    @abstractmethod
    def _read(self) -> bytes | None:
        """The stored blob, read while the lock is held."""

    @abstractmethod
    def _write(self, blob: bytes) -> None:
        """Replace the stored blob, while the lock is held."""
