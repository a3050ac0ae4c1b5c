"""Tencent's credential rules, enforced: token overlap, tickets dying with their token, nonce replay, quota."""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

_ALPHABET = string.ascii_letters + string.digits


def _credential() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(64))


@dataclass
class _Issued:
    value: str
    issued: float
    expires: float
    token: str | None = None  # for tickets: the token they were issued with


class AuthState:
    """Live tokens and tickets per app. Older ones die ``overlap`` seconds after a newer one is issued."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, _Issued] = {}
        self.tickets: dict[str, _Issued] = {}
        self.dead_tickets: deque[str] = deque(maxlen=256)
        self.nonces: dict[str, float] = {}
        self.nonce_order: deque[tuple[float, str]] = deque()

    def issue_token(self, now: float, ttl: float, overlap: float) -> str:
        with self.lock:
            for older in self.tokens.values():
                older.expires = min(older.expires, now + overlap)
            token = _Issued(_credential(), now, now + ttl)
            self.tokens[token.value] = token
            self._sweep(now)
            return token.value

    def token_alive(self, value: str, now: float) -> bool:
        with self.lock:
            token = self.tokens.get(value)
            return token is not None and token.expires > now

    def issue_ticket(self, token: str, now: float, ttl: float, overlap: float) -> str:
        with self.lock:
            for older in self.tickets.values():
                older.expires = min(older.expires, now + overlap)
            ticket = _Issued(_credential(), now, now + ttl, token)
            self.tickets[ticket.value] = ticket
            return ticket.value

    def live_tickets(self, now: float) -> list[str]:
        with self.lock:
            self._sweep(now)
            return list(self.tickets)

    def invalidate_all(self, now: float) -> None:
        with self.lock:
            for issued in (*self.tokens.values(), *self.tickets.values()):
                issued.expires = now
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Drop dead tokens and the tickets that die with them (remembering the tickets, to explain 400102)."""
        self.tokens = {k: v for k, v in self.tokens.items() if v.expires > now}
        for value, ticket in list(self.tickets.items()):
            if ticket.expires <= now or ticket.token not in self.tokens:
                self.dead_tickets.append(value)
                del self.tickets[value]

    def nonce_seen(self, nonce: str, now: float, window: float) -> bool:
        """True when ``nonce`` was used within ``window`` seconds (a replay); records it otherwise."""
        with self.lock:
            while self.nonce_order and self.nonce_order[0][0] <= now - window:
                _, old = self.nonce_order.popleft()
                if self.nonces.get(old, 0) <= now - window:
                    self.nonces.pop(old, None)
            if nonce in self.nonces:
                return True
            self.nonces[nonce] = now
            self.nonce_order.append((now, nonce))
            return False


class Quota:
    """Per-key sliding one-second windows; refused requests do not consume quota."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[str, deque[float]] = {}

    def admit(self, key: str, now: float, qps: float) -> bool:
        if qps <= 0:
            return True
        with self.lock:
            window = self.windows.setdefault(key, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= qps:
                return False
            window.append(now)
            return True


class Stats:
    """Counters for tests and benchmarks (``GET /admin/stats``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.calls_per_order: Counter[str] = Counter()
        self.token_request_times: deque[float] = deque(maxlen=10_000)
        self.token_in_flight = 0
        self.max_token_in_flight = 0
        self.in_flight = 0

    def count(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.counters[name] += amount

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            histogram = Counter(self.calls_per_order.values())
            names = ("token_issued", "ticket_issued", "concurrent_token_requests", "bad_signature", "dead_ticket",
                     "dead_token", "nonce_replay", "bad_version", "bad_nonce", "bad_order_no", "bad_credentials",
                     "bad_request", "throttled", "tps_exceeded")  # fmt: skip
            return {
                **{name: self.counters[name] for name in names},
                "requests": dict(self.requests),
                "faults": dict(self.faults),
                "codes": dict(self.codes),
                "token_request_times": list(self.token_request_times),
                "max_concurrent_token_requests": self.max_token_in_flight,
                "calls_per_order": {
                    "orders": len(self.calls_per_order),
                    "max": max(self.calls_per_order.values(), default=0),
                    "histogram": {str(k): v for k, v in sorted(histogram.items())},
                },
            }
