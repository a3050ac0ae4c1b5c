"""Credential store in PostgreSQL: many workers on many hosts share one row per WBappid.

The refresh runs inside a transaction holding ``pg_advisory_xact_lock`` for the app, so it is single-flight
across every process that can reach the database; the lock is released by the commit.

The quota schedule is a row per app (``tencent_kyc_quota``) and the clients seen lately
(``tencent_kyc_quota_clients``). One statement books slots on the database's own clock (workers' clocks may
differ), records the client and counts the running ones: one round trip, about a millisecond, a few times a
second per client, on a connection the store keeps open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tencent_kyc.credentials.base import CredentialStore, StoreSettings, StoreSettingsError
from tencent_kyc.credentials.quota import CLIENT_SEEN_SECONDS, Reservation

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


QUOTA_TABLES = (
    "CREATE TABLE IF NOT EXISTS tencent_kyc_quota (app_id TEXT PRIMARY KEY, next_free DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tencent_kyc_quota_clients (app_id TEXT, client_id TEXT, seen DOUBLE PRECISION "
    "NOT NULL, PRIMARY KEY (app_id, client_id))",
)
#: Book, heartbeat and count in one statement. The data-modifying parts run on one snapshot: the count does not
#: see this client's own heartbeat, hence ``+ 1``. Rows of clients gone for an hour are removed on the way.
_BOOK = """
WITH clock AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION AS now),
booked AS (
    INSERT INTO tencent_kyc_quota AS q (app_id, next_free) SELECT %(app)s, now + %(span)s FROM clock
    ON CONFLICT (app_id) DO UPDATE SET next_free = GREATEST(q.next_free, (SELECT now FROM clock)) + %(span)s
    RETURNING next_free - %(span)s AS start
),
seen AS (
    INSERT INTO tencent_kyc_quota_clients (app_id, client_id, seen) SELECT %(app)s, %(client)s, now FROM clock
    ON CONFLICT (app_id, client_id) DO UPDATE SET seen = EXCLUDED.seen
),
gone AS (
    DELETE FROM tencent_kyc_quota_clients WHERE app_id = %(app)s AND seen < (SELECT now FROM clock) - 3600
)
SELECT (SELECT start FROM booked), (SELECT now FROM clock),
    1 + (SELECT COUNT(*) FROM tencent_kyc_quota_clients
         WHERE app_id = %(app)s AND client_id <> %(client)s AND seen > (SELECT now FROM clock) - %(window)s)
"""


def advisory_key(app_id: str) -> int:
    """A stable signed 64-bit lock key per app (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(f"tencent_kyc:{app_id}".encode()).digest()[:8], "big", signed=True)


class DatabaseCredentialStore(CredentialStore):
    """Reads and writes through a DB-API connection factory (an Airflow Postgres connection's hook)."""

    same_clock = False  # slots are booked on the database's clock

    def __init__(self, app_id: str, secret: str, connect: Any) -> None:
        super().__init__(app_id, secret)
        self._connect = connect
        self._connection: Any = None
        self._quota_connection: Any = None

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

    def reserve(self, client_id: str, slots: int, interval: float) -> Reservation:
        if self._quota_connection is None or self._quota_connection.closed:
            connection = self._connect()
            connection.autocommit = True
            with connection.cursor() as cursor:
                for statement in QUOTA_TABLES:
                    cursor.execute(statement)
            self._quota_connection = connection
        values = {"app": self.app_id, "client": client_id, "span": slots * interval, "window": CLIENT_SEEN_SECONDS}
        try:
            with self._quota_connection.cursor() as cursor:
                cursor.execute(_BOOK, values)
                start, now, clients = cursor.fetchone()
        except Exception:
            self._quota_connection.close()  # the next booking reconnects
            raise
        return Reservation(float(start), float(now), int(clients))

    def _read(self) -> bytes | None:
        with self._connection.cursor() as cursor:
            cursor.execute(_SELECT, (self.app_id,))
            row = cursor.fetchone()
        return bytes(row[0]) if row else None

    def _write(self, blob: bytes) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(_UPSERT, (self.app_id, blob))
