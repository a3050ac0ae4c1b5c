"""Credential store in PostgreSQL: many workers on many hosts share one row per WBappid.

The refresh runs inside a transaction holding ``pg_advisory_xact_lock`` for the app, so it is single-flight
across every process that can reach the database; the lock is released by the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tencent_kyc.credentials.base import CredentialStore, StoreSettings, StoreSettingsError

TABLE = "tencent_kyc_credentials"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(app_id TEXT PRIMARY KEY, blob BYTEA NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
_SELECT = f"SELECT blob FROM {TABLE} WHERE app_id = %s"
_UPSERT = (
    f"INSERT INTO {TABLE} (app_id, blob, updated_at) VALUES (%s, %s, now()) "
    "ON CONFLICT (app_id) DO UPDATE SET blob = EXCLUDED.blob, updated_at = EXCLUDED.updated_at"
)


def advisory_key(app_id: str) -> int:
    """A stable signed 64-bit lock key per app (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(f"tencent_kyc:{app_id}".encode()).digest()[:8], "big", signed=True)


class DatabaseCredentialStore(CredentialStore):
    """Reads and writes through a DB-API connection factory (an Airflow Postgres connection's hook)."""

    def __init__(self, app_id: str, secret: str, connect: Any) -> None:
        super().__init__(app_id, secret)
        self._connect = connect
        self._connection: Any = None

    @classmethod
    def check(cls, settings: StoreSettings) -> None:
        if not settings.credential_conn_id:
            raise StoreSettingsError("the 'database' store needs credential_conn_id (a PostgreSQL connection)")

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> DatabaseCredentialStore:
        # Imported here: the stores are declared in the connection form, which Airflow reads while it starts.
        from airflow.sdk import BaseHook

        cls.check(settings)
        conn_id = str(settings.credential_conn_id)
        return cls(settings.app_id, settings.secret, lambda: BaseHook.get_hook(conn_id).get_conn())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(self.app_id),))
                cursor.execute(_CREATE)
            self._connection = connection
            yield
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            self._connection = None
            connection.close()

    def _read(self) -> bytes | None:
        with self._connection.cursor() as cursor:
            cursor.execute(_SELECT, (self.app_id,))
            row = cursor.fetchone()
        return bytes(row[0]) if row else None

    def _write(self, blob: bytes) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(_UPSERT, (self.app_id, blob))
