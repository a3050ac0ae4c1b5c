"""The shared pacer on each store: one schedule per app, a lone client gets it all, many never exceed it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.credentials.base import CredentialStore
from tencent_kyc.credentials.file_store import FileCredentialStore
from tencent_kyc.credentials.process_store import ProcessCredentialStore, forget_all
from tencent_kyc.credentials.quota import CLIENT_SEEN_SECONDS
from tencent_kyc.hooks.pacer import HEADROOM, LATE_TOLERANCE, QuotaStoreError, SharedPacer


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, event: str, *args: Any) -> None:
        self.lines.append(event % args)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    times, best, first = sorted(times), 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def send_for(pacer: SharedPacer, seconds: float, threads: int, sent: list[float]) -> None:
    """``threads`` threads acquiring slots for ``seconds``, recording when each call would go."""
    deadline, lock = time.time() + seconds, threading.Lock()

    def work() -> None:
        while time.time() < deadline:
            pacer.acquire()
            with lock:
                sent.append(time.time())

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@pytest.fixture(params=["process", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], CredentialStore]:
    forget_all()
    if request.param == "process":
        return lambda: ProcessCredentialStore("IDAKYC01", "s" * 64)
    return lambda: FileCredentialStore("IDAKYC01", "s" * 64, str(tmp_path / "IDAKYC01.credentials"))


def test_a_lone_client_gets_the_quota_and_never_more(store: Callable[[], CredentialStore]) -> None:
    sent: list[float] = []
    pacer = SharedPacer(store(), 50, Lines())
    send_for(pacer, 3.0, threads=8, sent=sent)
    settled = [moment for moment in sent if moment > sent[0] + 0.5]
    assert len(settled) / (settled[-1] - settled[0]) >= 0.9 * 50
    assert max_in_window(sent) <= 50


def test_clients_in_threads_share_one_schedule(store: Callable[[], CredentialStore]) -> None:
    sent: list[float] = []
    pacers = [SharedPacer(store(), 40, Lines()) for _ in range(4)]
    runners = [threading.Thread(target=send_for, args=(pacer, 3.0, 4, sent)) for pacer in pacers]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert max_in_window(sent) <= 40
    assert len(sent) >= 0.9 * 40 * 2.5


def test_the_log_says_the_rate_when_the_clients_change(store: Callable[[], CredentialStore]) -> None:
    lines, other = Lines(), Lines()
    first, second = SharedPacer(store(), 20, lines), SharedPacer(store(), 20, other)
    first.acquire()
    second.acquire()
    send_for(first, 0.3, threads=1, sent=[])
    assert lines.lines[0] == f"quota 20 QPS, 1 client now: {20 * HEADROOM:.1f} QPS"
    assert lines.lines[1] == f"quota 20 QPS, 2 clients now: {20 * HEADROOM / 2:.1f} QPS"
    time.sleep(CLIENT_SEEN_SECONDS + 0.2)  # the second client stopped booking
    send_for(first, 0.3, threads=1, sent=[])
    assert lines.lines[-1] == f"quota 20 QPS, 1 client now: {20 * HEADROOM:.1f} QPS"


def test_a_slot_that_went_stale_is_dropped_not_sent_late(store: Callable[[], CredentialStore]) -> None:
    pacer = SharedPacer(store(), 1000, Lines())
    for _ in range(40):  # grow the booking to several slots
        pacer.acquire()
    time.sleep(0.1)  # the rest of the booking is now stale
    before = pacer.dropped
    asked = time.time()
    pacer.acquire()
    assert pacer.dropped > before and time.time() - asked < 0.1 + LATE_TOLERANCE


def test_an_unreachable_store_fails_the_call_instead_of_letting_it_go(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the store's folder should be")
    store = FileCredentialStore("IDAKYC01", "s" * 64, str(tmp_path / "blocker" / "IDAKYC01.credentials"))
    with pytest.raises(QuotaStoreError, match="the file store that shares the quota cannot be reached"):
        SharedPacer(store, 20, Lines(), store_kind="file").acquire()


def test_an_unreachable_database_fails_the_call_too() -> None:
    import psycopg

    from tencent_kyc.credentials.database_store import DatabaseCredentialStore

    store = DatabaseCredentialStore("IDAKYC01", "s" * 64, lambda: psycopg.connect("postgresql://u:p@127.0.0.1:9/x"))
    with pytest.raises(QuotaStoreError, match="the database store that shares the quota cannot be reached"):
        SharedPacer(store, 20, Lines(), store_kind="database").acquire()


def test_a_booking_that_waited_for_the_lock_is_not_moved_early(tmp_path: Path) -> None:
    """Another client holding the store's lock delays a booking; its slots must stay where the schedule put
    them, after the other client's (estimating a clock offset from that round trip would move them early by
    half the wait, into the other client's slots)."""
    path = str(tmp_path / "IDAKYC01.credentials")
    holder, waiter = (FileCredentialStore("IDAKYC01", "s" * 64, path) for _ in range(2))
    pacer = SharedPacer(waiter, 20, Lines(), store_kind="file")
    theirs = holder.reserve("other", 20, pacer.interval)  # the next second of the schedule is the other's
    released = threading.Event()

    def hold_the_lock() -> None:
        with holder._locked(".quota.lock"):
            released.wait(5)

    other = threading.Thread(target=hold_the_lock)
    other.start()
    time.sleep(0.05)
    threading.Timer(0.3, released.set).start()
    pacer.acquire()  # books while the lock is held 0.3 s, then returns at its slot
    other.join()
    assert pacer._sent[0] >= theirs.start + 20 * pacer.interval - 0.001


def test_threads_holding_slots_send_on_time_while_another_books_slowly(tmp_path: Path) -> None:
    """A booking stuck behind another client's lock must not hold back the threads whose slots are due: they
    would all go out at once when it returns, a burst Tencent refuses."""
    path = str(tmp_path / "IDAKYC01.credentials")
    holder = FileCredentialStore("IDAKYC01", "s" * 64, path)
    pacer = SharedPacer(FileCredentialStore("IDAKYC01", "s" * 64, path), 20, Lines(), store_kind="file")
    deadline, lateness, lock = time.time() + 4, [], threading.Lock()

    def stall_the_store() -> None:
        while time.time() < deadline:
            with holder._locked(".quota.lock"):
                time.sleep(0.4)
            time.sleep(0.2)

    def send() -> None:
        while time.time() < deadline:
            slot = pacer.acquire()
            with lock:
                lateness.append(time.time() - slot)

    threads = [threading.Thread(target=stall_the_store), *(threading.Thread(target=send) for _ in range(6))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(lateness) > 20
    assert max(lateness) < LATE_TOLERANCE + 0.1, sorted(lateness)[-5:]
