"""The per-process store: the refresh protocol within one process, and what it does not do (share across processes)."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.credentials import process_store
from tencent_kyc.credentials.base import Credentials
from tencent_kyc.credentials.process_store import ProcessCredentialStore
from tencent_kyc.hooks.settings import EXTRA_FIELDS, KycSettings, SettingsError


@pytest.fixture(autouse=True)
def _empty_store() -> Iterator[None]:
    process_store.forget_all()
    yield
    process_store.forget_all()


def counting_fetch(delay: float = 0.0) -> tuple[Any, list[Credentials]]:
    fetched: list[Credentials] = []
    guard = threading.Lock()

    def fetch() -> Credentials:
        time.sleep(delay)
        with guard:
            credentials = Credentials(f"t{len(fetched)}", f"ticket{len(fetched)}", time.time(), 7200)
            fetched.append(credentials)
        return credentials

    return fetch, fetched


def test_instances_of_one_process_share_the_pair() -> None:
    fetch, fetched = counting_fetch()
    first = ProcessCredentialStore("IDAKYC01", "s" * 64).get(refresh_seconds=60, fetch=fetch)
    again = ProcessCredentialStore("IDAKYC01", "s" * 64).get(refresh_seconds=60, fetch=fetch)
    assert (first.access_token, again.access_token, len(fetched)) == ("t0", "t0", 1)


def test_refresh_when_due_and_on_a_stale_token() -> None:
    store = ProcessCredentialStore("IDAKYC01", "s" * 64)
    fetch, fetched = counting_fetch()
    old = store.get(refresh_seconds=0.2, fetch=fetch)
    time.sleep(0.3)
    assert store.get(refresh_seconds=0.2, fetch=fetch).access_token == "t1"
    assert store.get(refresh_seconds=60, fetch=fetch, stale_token="t1").access_token == "t2"
    assert store.get(refresh_seconds=60, fetch=fetch, stale_token=old.access_token).access_token == "t2"
    assert len(fetched) == 3


def test_other_apps_and_rotated_secrets_are_kept_apart() -> None:
    fetch, fetched = counting_fetch()
    ProcessCredentialStore("IDAKYC01", "s" * 64).get(refresh_seconds=60, fetch=fetch)
    ProcessCredentialStore("IDAKYC02", "s" * 64).get(refresh_seconds=60, fetch=fetch)
    ProcessCredentialStore("IDAKYC01", "r" * 64).get(refresh_seconds=60, fetch=fetch)  # unreadable: fetch anew
    assert len(fetched) == 3


def test_sixteen_threads_racing_fetch_exactly_once() -> None:
    fetch, fetched = counting_fetch(delay=0.2)
    barrier = threading.Barrier(16)
    tokens: list[str] = []

    def worker() -> None:
        barrier.wait()
        tokens.append(ProcessCredentialStore("IDAKYC01", "s" * 64).get(refresh_seconds=60, fetch=fetch).access_token)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(fetched) == 1
    assert tokens == ["t0"] * 16


CHILD = """
import os, sys, time
from tencent_kyc.credentials.base import Credentials
from tencent_kyc.credentials.process_store import ProcessCredentialStore

def fetch():
    with open(sys.argv[1], "a") as handle:
        handle.write("fetch\\n")
    return Credentials(f"token-{os.getpid()}", "ticket", time.time(), 7200)

print(ProcessCredentialStore("IDAKYC01", "s" * 64).get(refresh_seconds=60, fetch=fetch).access_token)
"""


def test_processes_do_not_share_each_fetches_its_own(tmp_path: Path) -> None:
    """Why the store is for a single process: four processes, four tokens (Tencent would kill three)."""
    counter = tmp_path / "fetches"
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(counter)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    tokens = {child.communicate(timeout=60)[0].strip() for child in children}
    assert [child.returncode for child in children] == [0] * 4
    assert len(counter.read_text().splitlines()) == 4
    assert len(tokens) == 4


def test_a_forked_child_can_refresh_even_if_the_lock_was_held_at_fork() -> None:
    context = multiprocessing.get_context("fork")
    held = process_store._lock_for("IDAKYC01")
    with held:  # held by this thread while forking: the child must not inherit it locked
        child = context.Process(
            target=lambda: ProcessCredentialStore("IDAKYC01", "s" * 64).get(
                refresh_seconds=60, fetch=counting_fetch()[0]
            )
        )
        child.start()
        child.join(timeout=30)
    assert child.exitcode == 0


class _Conn:
    host, schema, port, login, password = "http://127.0.0.1:1", None, None, "IDAKYC01", "secret"

    def __init__(self, extra: dict[str, Any]) -> None:
        self.extra = json.dumps(extra)


def test_settings_accept_process_and_the_form_explains_it() -> None:
    assert KycSettings.from_connection(_Conn({"credential_store": "process"})).credential_store == "process"
    field = EXTRA_FIELDS["credential_store"]
    assert "process" in field.schema["enum"]
    assert "single process" in field.description
    with pytest.raises(SettingsError, match="credential_store"):
        KycSettings.from_connection(_Conn({"credential_store": "memory"}))


def test_the_hook_picks_the_process_store(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from tencent_kyc.hooks.kyc import TencentKycHook

    conn = {"conn_type": "tencent_kyc", "host": "http://127.0.0.1:1", "login": "IDAKYC01", "password": "secret"}
    monkeypatch.setenv("AIRFLOW_CONN_KYC_PROCESS", json.dumps({**conn, "extra": {"credential_store": "process"}}))
    assert isinstance(TencentKycHook("kyc_process").store, ProcessCredentialStore)
