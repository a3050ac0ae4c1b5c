"""The refresh protocol of both stores (every test runs on each): reuse, refresh when due, single-flight."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.credentials.base import Credentials, CredentialStore
from tencent_kyc.credentials.database_store import DatabaseCredentialStore
from tencent_kyc.credentials.file_store import FileCredentialStore


def make_store(kind: str, location: str, app_id: str = "IDAKYC01", secret: str = "s" * 64) -> CredentialStore:
    """Build a store from picklable arguments (the concurrency test rebuilds it in child processes)."""
    if kind == "file":
        return FileCredentialStore(app_id, secret, location)
    import psycopg

    return DatabaseCredentialStore(app_id, secret, lambda: psycopg.connect(location))


@pytest.fixture(params=["file", pytest.param("database", marks=pytest.mark.postgres)])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, location): a fresh file path, or the test database with the app's row removed."""
    if request.param == "file":
        return "file", str(tmp_path / "creds" / "IDAKYC01.credentials")
    import psycopg

    dsn = request.getfixturevalue("postgres_dsn")  # fails loudly when PostgreSQL is down
    with psycopg.connect(dsn) as connection:
        for table in ("tencent_kyc_credentials", "tencent_kyc_quota", "tencent_kyc_quota_clients"):
            connection.execute(f"DROP TABLE IF EXISTS {table}")
    return "database", dsn


@pytest.fixture
def store_factory(store_spec: tuple[str, str]) -> Callable[..., CredentialStore]:
    def build(**kwargs: Any) -> CredentialStore:
        return make_store(*store_spec, **kwargs)

    return build


def fetcher(label: str = "t") -> tuple[Callable[[], Credentials], list[Credentials]]:
    fetched: list[Credentials] = []

    def fetch() -> Credentials:
        credentials = Credentials(f"{label}{len(fetched)}", f"ticket{len(fetched)}", time.time(), 7200)
        fetched.append(credentials)
        return credentials

    return fetch, fetched


def test_fetches_once_then_reuses(store_factory: Callable[..., CredentialStore]) -> None:
    store = store_factory()
    fetch, fetched = fetcher()
    first = store.get(refresh_seconds=60, fetch=fetch)
    again = store_factory().get(refresh_seconds=60, fetch=fetch)  # another instance, same storage
    assert len(fetched) == 1
    assert (again.access_token, again.ticket) == (first.access_token, first.ticket) == ("t0", "ticket0")


def test_refreshes_when_older_than_the_refresh_age(store_factory: Callable[..., CredentialStore]) -> None:
    store = store_factory()
    fetch, fetched = fetcher()
    store.get(refresh_seconds=0.2, fetch=fetch)
    time.sleep(0.3)
    assert store.get(refresh_seconds=0.2, fetch=fetch).access_token == "t1"
    assert len(fetched) == 2


def test_refreshes_before_tencent_lifetime_runs_out(store_factory: Callable[..., CredentialStore]) -> None:
    store = store_factory()
    calls = 0

    def short_lived() -> Credentials:
        nonlocal calls
        calls += 1
        return Credentials(f"t{calls}", "k", time.time(), lifetime=30)  # < the 60 s safety margin

    store.get(refresh_seconds=1200, fetch=short_lived)
    store.get(refresh_seconds=1200, fetch=short_lived)
    assert calls == 2


def test_stale_token_forces_one_refresh_unless_already_replaced(store_factory: Callable[..., CredentialStore]) -> None:
    store = store_factory()
    fetch, fetched = fetcher()
    old = store.get(refresh_seconds=60, fetch=fetch)
    new = store.get(refresh_seconds=60, fetch=fetch, stale_token=old.access_token)
    assert new.access_token == "t1"
    # A second process refused with the same old token finds the replacement and does not fetch again.
    assert store.get(refresh_seconds=60, fetch=fetch, stale_token=old.access_token).access_token == "t1"
    assert len(fetched) == 2


def test_a_rotated_secret_makes_the_stored_pair_unreadable(store_factory: Callable[..., CredentialStore]) -> None:
    fetch, fetched = fetcher()
    store_factory().get(refresh_seconds=60, fetch=fetch)
    assert store_factory(secret="r" * 64).get(refresh_seconds=60, fetch=fetch).access_token == "t1"
    assert len(fetched) == 2


def test_file_store_is_owner_only_and_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "IDAKYC01.credentials"
    store = make_store("file", str(path))
    store.get(refresh_seconds=60, fetch=lambda: Credentials("tokenVALUE123", "ticketVALUE456", time.time(), 7200))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    content = path.read_bytes()
    assert b"tokenVALUE123" not in content and b"ticketVALUE456" not in content


def _race(kind: str, location: str, counter: str, barrier: Any, queue: Any) -> None:
    def slow_fetch() -> Credentials:
        with open(counter, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.3)  # long enough that every other process is waiting on the lock
        return Credentials(f"token-{os.getpid()}", "ticket", time.time(), 7200)

    barrier.wait()
    queue.put(make_store(kind, location).get(refresh_seconds=60, fetch=slow_fetch).access_token)


def test_eight_processes_racing_fetch_exactly_once(store_spec: tuple[str, str], tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(8), context.Queue()
    counter = str(tmp_path / "fetches")
    workers = [context.Process(target=_race, args=(*store_spec, counter, barrier, queue)) for _ in range(8)]
    for worker in workers:
        worker.start()
    tokens = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert len(Path(counter).read_text().splitlines()) == 1
    assert len(set(tokens)) == 1


def test_bookings_follow_each_other_on_one_schedule_and_count_the_clients(
    store_factory: Callable[..., CredentialStore],
) -> None:
    store, other = store_factory(), store_factory()
    first = store.reserve("client-a", 4, 0.05)
    second = other.reserve("client-b", 2, 0.05)  # another instance, same storage: right after the first four
    third = store.reserve("client-a", 1, 0.05)
    assert abs(first.now - time.time()) < 5  # the store's clock, close to ours
    assert second.start == pytest.approx(first.start + 0.2, abs=1e-6)
    assert third.start == pytest.approx(second.start + 0.1, abs=1e-6)
    assert (first.clients, second.clients, third.clients) == (1, 2, 2)


def test_an_idle_schedule_starts_now_not_in_the_past(store_factory: Callable[..., CredentialStore]) -> None:
    store = store_factory()
    store.reserve("client-a", 1, 0.01)
    time.sleep(0.2)
    booked = store.reserve("client-a", 1, 0.01)
    assert booked.start == pytest.approx(booked.now, abs=1e-6)
