"""Every call a hook makes waits for a send slot of the WBappid's one quota, booked in the shared store.

The store holds one schedule of send slots per app, spaced ``1 / (quota × HEADROOM)`` apart (see
:mod:`tencent_kyc.credentials.quota`); a hook books a few consecutive slots at a time and each thread sends at
its slot. Since every client of the app books from the same schedule, any one-second window holds at most
``quota × HEADROOM × (1 + LATE_TOLERANCE)`` sends whatever the number of clients, a lone client gets the whole
quota, and a client that finishes or dies stops booking, so the others get its share at once.

A slot used later than :data:`LATE_TOLERANCE` after its time is dropped instead (a late send could meet the
next client's on-time one within the same window). How many slots a hook books at a time adapts to how fast
it uses them: doubling while every booked slot is used in time, halving when slots go stale, up to
:data:`HORIZON` seconds of the schedule. The store is one round trip per booking: a few a second per client
whatever the quota, never one per call at high quotas.

The schedule runs on the store's clock. A store on this host's clock (file, process) is read as is; for a
database, the offset is estimated from the booking with the shortest round trip so far (as NTP does): a
booking that waited for another client's lock would otherwise shift every slot early by half the wait.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
import uuid
from collections import deque
from typing import Any, ClassVar, Protocol

from tencent_kyc.api.errors import KycError
from tencent_kyc.credentials.quota import Reservation

#: The share of Tencent's quota the schedule uses; the rest absorbs network and scheduling jitter.
HEADROOM = 0.95
#: A slot is used at most this late (seconds); later, it is dropped. With HEADROOM 0.95, up to ~50 ms of
#: lateness plus arrival jitter keeps every one-second window within the quota.
LATE_TOLERANCE = 0.02
#: The most of the schedule one booking takes (seconds), whatever the quota.
HORIZON = 0.25
#: Seconds over which the hook's own rate is measured for the log.
RATE_WINDOW = 3.0


class QuotaStoreError(KycError):
    """The store that shares the quota cannot be reached: the call fails rather than go out unpaced."""


class QuotaStore(Protocol):
    #: Whether the store's clock is this host's (then no offset is estimated).
    same_clock: ClassVar[bool]

    def reserve(self, client_id: str, slots: int, interval: float) -> Reservation: ...


class InfoLog(Protocol):
    def info(self, event: str, *args: Any) -> Any: ...


class SharedPacer:
    """Hands out this hook's send slots, booked from the app's shared schedule; thread-safe."""

    def __init__(self, store: QuotaStore, quota: float, log: InfoLog, *, store_kind: str = "credential") -> None:
        self.quota = quota
        self.interval = 1.0 / (quota * HEADROOM)
        self.client_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._store, self._store_kind, self._log = store, store_kind, log
        self._max_batch = max(1, math.floor(HORIZON / self.interval))
        self._batch = 1
        self._clean = True  # no slot of the current booking went stale so far
        self._slots: deque[float] = deque()
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()  # the slots and counters
        self._booking = threading.Lock()  # one booking at a time
        self._clients = 0
        self._logged_at, self._logged_rate = 0.0, 0.0
        self.bookings = 0
        self.dropped = 0
        self._offset, self._best_round_trip = 0.0, math.inf  # our clock minus the store's

    def acquire(self) -> float:
        """Return at this caller's send slot (never more than LATE_TOLERANCE after it); returns the slot."""
        while True:
            slot = self._next_slot()
            delay = slot - time.time()
            if delay > 0:
                time.sleep(delay)
            with self._lock:  # held for bookkeeping only, never across a booking: this check is the last word
                if time.time() - slot <= LATE_TOLERANCE:
                    self._sent.append(slot)
                    return slot
                self.dropped += 1  # woke too late for the slot: it is lost, take another one

    def _next_slot(self) -> float:
        """The next booked slot; when none is left, one thread books more while the others wait for it
        without holding the bookkeeping lock (threads already holding slots send on time meanwhile)."""
        while True:
            with self._lock:
                now = time.time()
                while self._slots and self._slots[0] < now - LATE_TOLERANCE:
                    self._slots.popleft()
                    self.dropped += 1
                    self._clean = False
                if self._slots:
                    return self._slots.popleft()
            with self._booking:
                with self._lock:
                    if self._slots:  # another thread booked while this one waited
                        continue
                    grow = self._clean
                    self._batch = min(self._max_batch, self._batch * 2) if grow else max(1, self._batch // 2)
                    batch = self._batch
                self._book(batch)

    def _book(self, batch: int) -> None:
        asked = time.time()
        try:
            booked = self._store.reserve(self.client_id, batch, self.interval)
        except Exception as exc:
            raise QuotaStoreError(
                f"the {self._store_kind} store that shares the quota cannot be reached ({type(exc).__name__}); "
                "no call is sent without it"
            ) from exc
        answered = time.time()
        with self._lock:
            if not self._store.same_clock and answered - asked < self._best_round_trip:
                self._offset, self._best_round_trip = (asked + answered) / 2 - booked.now, answered - asked
            first = booked.start + self._offset
            self._slots.extend(first + index * self.interval for index in range(batch))
            self._clean = True
            self.bookings += 1
            self._report(booked.clients, answered)

    def _report(self, clients: int, now: float) -> None:
        """Log this hook's rate when the number of clients changes (then: its even share of the quota) or, at
        most every 5 s, when its measured rate moved by over a fifth."""
        if clients != self._clients:
            self._clients, rate = clients, self.quota * HEADROOM / clients
        else:
            rate = self.measured_rate(now)
            if now - self._logged_at < 5 or abs(rate - self._logged_rate) <= 0.2 * self._logged_rate:
                return
        self._logged_at, self._logged_rate = now, rate
        self._log.info(
            "quota %g QPS, %d client%s now: %.1f QPS", self.quota, clients, "" if clients == 1 else "s", rate
        )

    def measured_rate(self, now: float) -> float:
        """This hook's sends per second over the last RATE_WINDOW seconds (0 before a second of sending)."""
        while self._sent and self._sent[0] < now - RATE_WINDOW:
            self._sent.popleft()
        span = now - self._sent[0] if self._sent else 0.0
        return len(self._sent) / span if span >= 1.0 else 0.0
