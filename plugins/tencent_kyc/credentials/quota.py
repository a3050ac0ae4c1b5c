"""The WBappid's QPS quota, shared through the credential store: one schedule of send slots all clients book from.

Tencent counts one quota per app, whoever sends. So the store keeps, per app, when the next free send slot is;
a client books a few consecutive slots at a time (``slots`` × ``interval`` seconds of the schedule) and sends
each call at its slot. Every client of every task, run and DAG books from the same schedule, so together they
never exceed the rate, a lone client gets all of it, and a client that stops (finished or killed) simply stops
booking: its share goes to the others at once, with no split to agree on. Clients are also counted (those that
booked within :data:`CLIENT_SEEN_SECONDS`), for the task log.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

#: A client that booked within this many seconds counts as running.
CLIENT_SEEN_SECONDS = 3.0


@dataclass(frozen=True)
class Reservation:
    """Booked slots: the first at ``start``, then one every ``interval``; times on the store's clock."""

    start: float
    now: float
    clients: int


def book(state: MutableMapping[str, Any], client_id: str, slots: int, interval: float, now: float) -> Reservation:
    """The booking rule every store applies atomically to its per-app ``state``: the slots follow the last booked
    one and never start in the past."""
    start = max(float(state.get("next_free", 0.0)), now)
    state["next_free"] = start + slots * interval
    clients = {key: seen for key, seen in dict(state.get("clients", {})).items() if seen > now - CLIENT_SEEN_SECONDS}
    clients[client_id] = now
    state["clients"] = clients
    return Reservation(start, now, len(clients))
