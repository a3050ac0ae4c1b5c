"""The simulator's admin endpoints, beside Tencent's: health, counters, reset, token invalidation, the order book,
the face records' ground truth, what the order book injected, and the runtime knobs.

Not part of Tencent's API: they serve the tests, the benchmarks, the order seed and the demo. A route is
(method, path) → handler(query, body); a ``ValueError`` of a handler (a bad date, knob or body) is answered
400 with its message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING

from tencent_kyc_dev.simulator.replies import Reply, json_reply

if TYPE_CHECKING:
    from tencent_kyc_dev.simulator.api import Simulator

Handler = Callable[[dict[str, str], bytes], Reply]


class AdminEndpoints:
    """The admin routes of one :class:`~tencent_kyc_dev.simulator.api.Simulator`."""

    def __init__(self, simulator: Simulator) -> None:
        self._simulator = simulator
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "/healthz"): lambda query, body: json_reply({"status": "ok"}),
            ("GET", "/admin/stats"): lambda query, body: json_reply(simulator.stats.snapshot()),
            ("POST", "/admin/reset"): lambda query, body: json_reply(simulator.reset()),
            ("POST", "/admin/invalidate-tokens"): lambda query, body: json_reply(simulator.invalidate_tokens()),
            ("GET", "/admin/orders"): self._orders,
            ("GET", "/admin/injected"): self._injected,
            ("GET", "/admin/faces"): self._faces,
            ("GET", "/admin/config"): lambda query, body: json_reply(simulator.config.public()),
            ("POST", "/admin/config"): self._config,
        }

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        """The route's reply; 404 for an unknown path, 405 for a known path with another method."""
        route = self.routes.get((method, path))
        if route is None:
            known = any(route_path == path for _, route_path in self.routes)
            return json_reply({"error": f"{method} {path} is not served"}, 405 if known else 404)
        try:
            return route(query, body)
        except ValueError as exc:  # a bad date, knob or body
            return json_reply({"error": str(exc)}, 400)

    def _day(self, query: Mapping[str, str]) -> date:
        try:
            return date.fromisoformat(query["date"]) if query.get("date") else self._simulator.config.current_date()
        except ValueError:
            raise ValueError(f"date must be YYYY-MM-DD, got {query['date']!r}") from None

    def _orders(self, query: dict[str, str], body: bytes) -> Reply:
        day = self._day(query)
        orders = self._simulator.book.order_numbers(day)
        if query.get("format") == "text":
            return Reply(
                body="".join(f"{order}\n" for order in orders).encode(), content_type="text/plain;charset=UTF-8"
            )
        return json_reply({"date": day.isoformat(), "orders": orders})

    def _injected(self, query: dict[str, str], body: bytes) -> Reply:
        """Label → count of the day's OCR records (``injected``) and face records (``face``)."""
        day, simulator = self._day(query), self._simulator
        face = simulator.face.faces.injected_counts(day)
        return json_reply({"date": day.isoformat(), "injected": simulator.book.injected_counts(day), "face": face})

    def _faces(self, query: dict[str, str], body: bytes) -> Reply:
        """Each order's face record as queryfacerecord answers it on the simulator's today (face_endpoint.py)."""
        day, simulator = self._day(query), self._simulator
        config = simulator.config
        rows = simulator.face.ground_truth(day, config)
        return json_reply({"date": day.isoformat(), "today": config.current_date().isoformat(), "faces": rows})

    def _config(self, query: dict[str, str], body: bytes) -> Reply:
        try:
            updates = json.loads(body or b"{}")
        except ValueError:
            raise ValueError("the body must be a JSON object of knob names") from None
        if not isinstance(updates, dict):
            raise ValueError("the body must be a JSON object of knob names")
        return json_reply(self._simulator.update_config(updates).public())
