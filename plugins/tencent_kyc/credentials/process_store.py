"""Credential store in the memory of one process: only safe when a single process uses the WBappid.

The token and SIGN ticket live in this process's memory, shared by every hook and thread of the process
(single-flight between threads, under a lock per app). Nothing is shared with other processes, so each one
fetches its own token, and Tencent's rule does the rest: a new token kills the previous one (and its
tickets) after about a minute, so two processes using the same WBappid knock each other's token out and
their signed calls are refused (400102). An Airflow deployment runs every task in a process of its own:
use ``file`` (one machine) or ``database`` (many) there. This store is for a single long-lived process,
such as a script or a notebook, and for showing what goes wrong without a shared store.

The quota schedule (see :mod:`.quota`) is kept the same way, so a single process paces itself within the
quota; other processes do not see it. Nothing is written anywhere; the pair is kept encrypted like the other
stores keep it, and is lost when the process ends. A forked child starts with the parent's pair (copied
memory) but refreshes on its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tencent_kyc.credentials.base import CredentialStore, StoreSettings
from tencent_kyc.credentials.quota import Reservation, book

#: app id -> the encrypted pair, and app id -> its quota schedule, for this process only.
_BLOBS: dict[str, bytes] = {}
_QUOTAS: dict[str, dict[str, Any]] = {}
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _reset_locks_in_child() -> None:
    """A lock held by another thread at fork time would never be released in the child: start afresh."""
    global _LOCKS_GUARD
    _LOCKS_GUARD = threading.Lock()
    _LOCKS.clear()


os.register_at_fork(after_in_child=_reset_locks_in_child)


def _lock_for(app_id: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(app_id, threading.Lock())


def forget_all() -> None:
    """Drop every pair and schedule held by this process (for tests)."""
    _BLOBS.clear()
    _QUOTAS.clear()


class ProcessCredentialStore(CredentialStore):
    """The pair in this process's memory, shared by its threads; never by other processes (see the module)."""

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> ProcessCredentialStore:
        return cls(settings.app_id, settings.secret)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with _lock_for(self.app_id):
            yield

    def reserve(self, client_id: str, slots: int, interval: float) -> Reservation:
        with _lock_for(f"quota:{self.app_id}"):
            return book(_QUOTAS.setdefault(self.app_id, {}), client_id, slots, interval, time.time())

    def _read(self) -> bytes | None:
        return _BLOBS.get(self.app_id)

    def _write(self, blob: bytes) -> None:
        _BLOBS[self.app_id] = blob
