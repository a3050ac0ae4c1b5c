"""Credential store in a local file: one machine, any number of processes."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from tencent_kyc.credentials.base import CredentialStore, StoreSettings


class FileCredentialStore(CredentialStore):
    """Owner-only file guarded by ``flock`` on a sibling lock file; written atomically."""

    def __init__(self, app_id: str, secret: str, path: str) -> None:
        super().__init__(app_id, secret)
        self.path = path

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> FileCredentialStore:
        return cls(settings.app_id, settings.secret, settings.credential_file)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self) -> bytes | None:
        try:
            with open(self.path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def _write(self, blob: bytes) -> None:
        temporary = f"{self.path}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
