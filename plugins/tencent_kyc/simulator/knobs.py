"""Every knob of the simulator, with Tencent's documented values as defaults."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from tencent_kyc.simulator.book import FaultRates

DEMO_APP_ID = "IDAKYC01"
#: A public demo secret (64 characters, as Tencent issues): only for the simulator.
DEMO_SECRET = "kycSimulatorDemoSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


def parse_latency(spec: str) -> tuple[str, float, float]:
    """``fixed:MS``, ``uniform:LOW,HIGH`` (ms) or ``lognormal:MEDIAN_MS,SIGMA``."""
    kind, _, values = spec.partition(":")
    numbers = [float(v) for v in values.split(",")] if values else []
    expected = {"fixed": 1, "uniform": 2, "lognormal": 2}
    if kind not in expected or len(numbers) != expected[kind] or any(n < 0 for n in numbers):
        raise ValueError(f"latency must be fixed:MS, uniform:LOW,HIGH or lognormal:MEDIAN,SIGMA; got {spec!r}")
    return kind, numbers[0], numbers[-1]


def sample_latency(spec: str, rng: random.Random) -> float:
    """One latency draw, in seconds."""
    kind, first, second = parse_latency(spec)
    if kind == "fixed":
        return first / 1000
    if kind == "uniform":
        return rng.uniform(first, second) / 1000
    return rng.lognormvariate(0, second) * first / 1000


@dataclass(frozen=True)
class SimulatorConfig:
    """Knobs; the runtime-changeable ones can be set through ``POST /admin/config``."""

    host: str = "127.0.0.1"
    port: int = 8000
    app_id: str = DEMO_APP_ID
    secret: str = field(default=DEMO_SECRET, repr=False)
    seed: int = 20240601
    orders_per_day: int = 1000
    rates: FaultRates = field(default_factory=FaultRates)
    #: The simulator's "today" (orders complete and expire relative to it); None = the real UTC date.
    today: date | None = None
    retention_days: int = 3
    token_ttl: float = 7200.0
    ticket_ttl: float = 3600.0
    overlap_seconds: float = 60.0
    app_id_param: str = "both"
    qps: float = 20.0
    max_in_flight: int = 0
    nonce_window: float = 600.0
    photo_lag_seconds: float = 1.0
    latency: str = "fixed:0"
    fault_5xx: float = 0.0
    fault_999999: float = 0.0
    fault_timeout: float = 0.0
    fault_malformed: float = 0.0
    fault_html: float = 0.0
    timeout_seconds: float = 60.0
    fault_seed: int | None = None

    def __post_init__(self) -> None:
        parse_latency(self.latency)
        if self.app_id_param not in ("both", "appId", "app_id"):
            raise ValueError("app_id_param must be both, appId or app_id")

    def current_day(self) -> date:
        return self.today or datetime.now(UTC).date()

    def updated(self, changes: dict[str, Any]) -> SimulatorConfig:
        """A copy with runtime changes applied (``today`` as an ISO date); unknown names are refused."""
        fixed = {"host", "port", "app_id", "secret", "seed", "orders_per_day", "rates"}
        names = {f.name for f in fields(self)} - fixed
        if unknown := sorted(set(changes) - names):
            raise ValueError(f"cannot change {unknown} at run time; changeable: {sorted(names)}")
        values = dict(changes)
        if isinstance(values.get("today"), str):
            values["today"] = date.fromisoformat(values["today"])
        return replace(self, **values)
