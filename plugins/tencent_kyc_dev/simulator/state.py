"""The simulator's mutable state, each piece thread-safe behind its own short-held lock.

Lifetimes and windows use ``time.monotonic()`` so wall-clock jumps cannot revive or kill credentials. Every
collection that grows with traffic is bounded: the simulator runs for days under benchmarks.
"""

from __future__ import annotations

import bisect
import enum
import threading
import time
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

#: How many dead tokens/tickets per app are remembered, to tell a stale credential from a forged one.
DEAD_REMEMBERED = 64
#: Bounds of the traffic-sized collections (beyond them the oldest entries are forgotten first).
NONCES_REMEMBERED = 1_000_000
LAGGING_ORDERS_TRACKED = 200_000
ORDERS_TRACKED = 1_000_000
TOKEN_TIMES_KEPT = 10_000

#: Counters reported by /admin/stats besides the per-endpoint, per-code and per-fault ones.
COUNTERS = (
    "token_issued",
    "ticket_issued",
    "bad_credentials",
    "missing_params",
    "bad_version",
    "bad_grant_type",
    "bad_ticket_type",
    "unknown_token",
    "dead_token",
    "bad_nonce",
    "bad_order_no",
    "bad_body",
    "order_no_mismatch",
    "bad_signature",
    "dead_ticket",
    "nonce_replay",
    "throttled",
    "tps_exceeded",
)


class Liveness(enum.Enum):
    LIVE = "live"
    DEAD = "dead"
    UNKNOWN = "unknown"


class _Generations:
    """One app's tokens (or tickets): a newly issued value cuts every older live one's life to ``overlap``."""

    def __init__(self) -> None:
        self.live: dict[str, float] = {}  # value -> monotonic expiry
        self.dead: deque[str] = deque(maxlen=DEAD_REMEMBERED)

    def issue(self, value: str, now: float, ttl: float, overlap: float) -> None:
        self.prune(now)
        for older, expires in self.live.items():
            self.live[older] = min(expires, now + overlap)
        self.live[value] = now + ttl

    def prune(self, now: float, *, doomed: Callable[[str], bool] = lambda value: False) -> None:
        """Bury values that expired, or that ``doomed`` says must die (tickets of a dead token)."""
        for value in [value for value, expires in self.live.items() if expires <= now or doomed(value)]:
            self.bury(value)

    def bury(self, value: str) -> None:
        del self.live[value]
        self.dead.append(value)

    def bury_all(self) -> int:
        count = len(self.live)
        for value in list(self.live):
            self.bury(value)
        return count

    def liveness(self, value: str) -> Liveness:
        if value in self.live:
            return Liveness.LIVE
        return Liveness.DEAD if value in self.dead else Liveness.UNKNOWN


class _AppCredentials:
    """Tokens and SIGN tickets of one app; a ticket dies with the token it was issued under."""

    def __init__(self) -> None:
        self.tokens = _Generations()
        self.tickets = _Generations()
        self.token_of: dict[str, str] = {}  # live ticket -> its token

    def prune(self, now: float) -> None:
        self.tokens.prune(now)
        self.tickets.prune(now, doomed=lambda ticket: self.token_of[ticket] not in self.tokens.live)
        self.token_of = {ticket: self.token_of[ticket] for ticket in self.tickets.live}


class AuthState:
    """Every app's credentials, with Tencent's lifetimes and one-overlap-period succession rule."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: defaultdict[str, _AppCredentials] = defaultdict(_AppCredentials)

    def issue_token(self, app_id: str, value: str, *, ttl: float, overlap: float) -> None:
        with self._lock:
            self._apps[app_id].tokens.issue(value, time.monotonic(), ttl, overlap)

    def issue_ticket(self, app_id: str, token: str, value: str, *, ttl: float, overlap: float) -> Liveness:
        """Issue ticket ``value`` under ``token`` if that token is live; the token's liveness either way."""
        now = time.monotonic()
        with self._lock:
            app = self._apps[app_id]
            app.prune(now)
            liveness = app.tokens.liveness(token)
            if liveness is Liveness.LIVE:
                app.tickets.issue(value, now, ttl, overlap)
                app.token_of[value] = token
            return liveness

    def signed_with(self, app_id: str, matches: Callable[[str], bool]) -> Liveness:
        """Whether some live ticket of the app, else some recently dead one, makes ``matches`` true."""
        with self._lock:
            app = self._apps[app_id]
            app.prune(time.monotonic())
            if any(matches(ticket) for ticket in app.tickets.live):
                return Liveness.LIVE
            return Liveness.DEAD if any(matches(ticket) for ticket in app.tickets.dead) else Liveness.UNKNOWN

    def invalidate_all(self) -> tuple[int, int]:
        """Kill every live token and ticket now; returns how many of each died."""
        tokens = tickets = 0
        with self._lock:
            for app in self._apps.values():
                tokens += app.tokens.bury_all()
                tickets += app.tickets.bury_all()
                app.token_of.clear()
        return tokens, tickets

    def reset(self) -> None:
        with self._lock:
            self._apps.clear()


class SlidingWindows:
    """Admitted requests per key over the last second, by arrival time; a refused request uses no quota."""

    def __init__(self, period: float = 1.0) -> None:
        self._period = period
        self._lock = threading.Lock()
        self._windows: defaultdict[Hashable, deque[float]] = defaultdict(deque)

    def admit(self, key: Hashable, limit: int, arrived: float | None = None) -> bool:
        """Whether a request arriving at ``arrived`` (``time.monotonic()``; now if None) fits: fewer than
        ``limit`` admitted in the second up to it. Arrivals stamped by racing threads may come slightly out
        of order, so the window is kept sorted."""
        now = time.monotonic() if arrived is None else arrived
        with self._lock:
            window = self._windows[key]
            while window and window[0] <= now - self._period:
                window.popleft()
            if sum(1 for stamp in window if stamp <= now) >= limit:
                return False
            bisect.insort(window, now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class InFlight:
    """Requests currently being served, per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Hashable] = Counter()

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[int]:
        """Count the request in while the block runs; yields the count including it."""
        with self._lock:
            self._counts[key] += 1
            count = self._counts[key]
        try:
            yield count
        finally:
            with self._lock:
                self._counts[key] -= 1
                if not self._counts[key]:
                    del self._counts[key]


class RecentKeys:
    """When each key was first seen, oldest forgotten first (beyond ``capacity`` or ``window`` seconds)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first_seen(self, key: Hashable, window: float | None = None) -> tuple[float, bool]:
        """(first-seen time, whether this is the first sighting); entries older than ``window`` are dropped."""
        now = time.monotonic()
        with self._lock:
            if window is not None:
                while self._seen and next(iter(self._seen.values())) <= now - window:
                    self._seen.popitem(last=False)
            first = self._seen.get(key)
            if first is not None:
                return first, False
            self._seen[key] = now
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return now, True

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


class Stats:
    """The counters of /admin/stats."""

    def __init__(self, endpoints: Iterable[str], faults: Iterable[str]) -> None:
        self._endpoints, self._faults = tuple(endpoints), tuple(faults)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter(dict.fromkeys(self._endpoints, 0))
            self._codes: defaultdict[str, Counter[str]] = defaultdict(Counter)
            self._counters: Counter[str] = Counter(dict.fromkeys(COUNTERS, 0))
            self._fault_counts: Counter[str] = Counter(dict.fromkeys(self._faults, 0))
            self._token_times: deque[float] = deque(maxlen=TOKEN_TIMES_KEPT)
            self._concurrent_tokens = self._max_concurrent_tokens = 0
            self._order_calls: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}  # by face or OCR

    def count(self, counter: str) -> None:
        if counter not in self._counters:
            raise KeyError(counter)
        with self._lock:
            self._counters[counter] += 1

    def request(self, endpoint: str, code: str | None) -> None:
        """One API request answered with JSON ``code`` (None: a fault without a JSON code)."""
        with self._lock:
            self._requests[endpoint] += 1
            if code is not None:
                self._codes[endpoint][code] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._fault_counts[kind] += 1

    def token_request(self, in_flight: int) -> None:
        """A token request started while ``in_flight`` token requests of its app (itself included) ran."""
        with self._lock:
            self._token_times.append(time.time())
            self._concurrent_tokens += in_flight > 1
            self._max_concurrent_tokens = max(self._max_concurrent_tokens, in_flight)

    def order_call(self, order_no: str, *, face: bool = False) -> None:
        """One getOcrResult (or, with ``face``, queryfacerecord) request for a well-formed order number."""
        with self._lock:
            calls = self._order_calls[face]
            if order_no in calls or len(calls) < ORDERS_TRACKED:
                calls[order_no] += 1

    @staticmethod
    def _per_order(calls: Counter[str]) -> dict[str, Any]:
        histogram = Counter(calls.values())
        return {
            "orders": len(calls),
            "histogram": {str(count): orders for count, orders in sorted(histogram.items())},
            "max": max(histogram, default=0),
            "truncated": len(calls) >= ORDERS_TRACKED,
        }

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "results_by_code": {endpoint: dict(codes) for endpoint, codes in self._codes.items()},
                **self._counters,
                "faults": dict(self._fault_counts),
                "token_request_times": list(self._token_times),
                "concurrent_token_requests": self._concurrent_tokens,
                "max_concurrent_token_requests": self._max_concurrent_tokens,
                "calls_per_order": self._per_order(self._order_calls[False]),
                "face_calls_per_order": self._per_order(self._order_calls[True]),
            }
