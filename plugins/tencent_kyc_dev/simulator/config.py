"""Every knob of the simulator in one frozen dataclass, and the parsing shared by the CLI and ``/admin/config``.

Each field carries its help text and whether it may change while the simulator runs (``runtime``), so the
command line, the admin endpoint and the docs cannot drift apart. Durations are seconds; request fault rates
are fractions of the result queries (getOcrResult and queryfacerecord), order rates fractions of a day's orders.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, TypeVar

from tencent_kyc_dev.simulator.faces import FaceRates
from tencent_kyc_dev.simulator.orders import FaultRates

#: The demo app every simulator serves unless told otherwise. The secret is public: it is in this file.
DEMO_APP_ID = "IDAKYC01"
DEMO_SECRET = "PublicDemoSecretOfTheTencentKycSimulator0NeverUseItInProduction0"
APP_ID_PARAMS = ("both", "appId", "app_id")
FAULT_KINDS = ("5xx", "999999", "timeout", "malformed", "html")
Rates = TypeVar("Rates", FaultRates, FaceRates)


def knob(default: Any, help: str, *, runtime: bool = False, secret: bool = False) -> Any:
    """A config field with its help text; ``runtime`` knobs may be changed via ``POST /admin/config``."""
    return field(default=default, repr=not secret, metadata={"help": help, "runtime": runtime})


@dataclass(frozen=True)
class Latency:
    """A latency distribution in milliseconds: ``fixed:M``, ``uniform:LO,HI`` or ``lognormal:MEDIAN,SIGMA``."""

    kind: str
    a: float
    b: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Latency:
        kind, _, arguments = text.strip().partition(":")
        try:
            values = [float(value) for value in arguments.split(",")] if arguments else []
        except ValueError:
            raise ValueError(f"latency {text!r}: the parameters must be numbers") from None
        arity = {"fixed": 1, "uniform": 2, "lognormal": 2}.get(kind)
        if arity is None or len(values) != arity:
            raise ValueError(f"latency {text!r}: expected fixed:MS, uniform:LO_MS,HI_MS or lognormal:MEDIAN_MS,SIGMA")
        if any(value < 0 or not math.isfinite(value) for value in values):
            raise ValueError(f"latency {text!r}: parameters must be finite and non-negative")
        if kind == "uniform" and values[0] > values[1]:
            raise ValueError(f"latency {text!r}: LO must not exceed HI")
        return cls(kind, *values)

    def sample(self, rng: random.Random) -> float:
        """One delay, in seconds."""
        if self.kind == "fixed":
            milliseconds = self.a
        elif self.kind == "uniform":
            milliseconds = rng.uniform(self.a, self.b)
        else:
            milliseconds = self.a * math.exp(self.b * rng.gauss(0.0, 1.0))
        return milliseconds / 1000.0


@dataclass(frozen=True)
class SimulatorConfig:
    """The simulator's knobs. Defaults follow Tencent's documented rules (§1, §2, §4.5 of the API reference)."""

    host: str = knob("127.0.0.1", "address to listen on")
    port: int = knob(8765, "TCP port; 0 picks a free one")
    app_id: str = knob(DEMO_APP_ID, "the WBappid of the default app")
    secret: str = knob(DEMO_SECRET, "the default app's secret", secret=True)
    extra_apps: tuple[tuple[str, str], ...] = knob((), "more (app id, secret) pairs", secret=True)
    app_id_param: str = knob("both", "app-id spelling(s) the token/ticket endpoints accept", runtime=True)
    seed: int = knob(20240601, "seed of the synthetic order book")
    orders_per_day: int = knob(1000, "synthetic orders per order date")
    order_rates: tuple[tuple[str, float], ...] = knob(
        (), "overrides of the order book's fault rates, (name, rate): FaultRates (OCR) and FaceRates (face_*) names"
    )
    today: date | None = knob(  # noqa: RUF009  (knob() is dataclasses.field() with help metadata)
        None, "the simulator's date for late orders and retention (default: UTC today)", runtime=True
    )
    retention_days: int = knob(
        3, "days an OCR result or face record stays queryable after completion; 0 keeps every one", runtime=True
    )
    photo_lag_seconds: float = knob(
        1.0,
        "photos (OCR) and photo and video (face) of lagging orders are empty this long after the order's first "
        "query of that endpoint",
        runtime=True,
    )
    token_ttl_seconds: float = knob(7200.0, "access-token lifetime", runtime=True)
    ticket_ttl_seconds: float = knob(3600.0, "SIGN-ticket lifetime", runtime=True)
    overlap_seconds: float = knob(
        60.0, "how long older tokens/tickets live on after a newer one is issued", runtime=True
    )
    nonce_window_seconds: float = knob(600.0, "a nonce reused within this window is refused; 0 disables", runtime=True)
    qps: int = knob(
        20, "requests per second per app, every endpoint together (sliding 1-s window); 0 = unlimited", runtime=True
    )
    max_in_flight: int = knob(0, "concurrent requests per app before 400501; 0 = unlimited", runtime=True)
    latency: str = knob(
        "fixed:0", "latency of every API call: fixed:MS, uniform:LO,HI, lognormal:MEDIAN,SIGMA", runtime=True
    )
    fault_5xx: float = knob(
        0.0, "rate of HTTP 500/502/503 answers (HTML or empty body) to result queries (OCR and face)", runtime=True
    )
    fault_999999: float = knob(0.0, "rate of code 999999 answers", runtime=True)
    fault_timeout: float = knob(0.0, "rate of requests answered by silence, then a dropped connection", runtime=True)
    fault_malformed: float = knob(0.0, "rate of truncated JSON bodies", runtime=True)
    fault_html: float = knob(0.0, "rate of HTTP 200 answers carrying a gateway HTML page", runtime=True)
    fault_seed: int | None = knob(None, "seed making fault injection repeatable (default: random)", runtime=True)
    timeout_seconds: float = knob(10.0, "how long a timeout fault stays silent before dropping", runtime=True)
    access_log: bool = knob(False, "log method, path and status of every request (never the query)", runtime=True)

    def __post_init__(self) -> None:
        if not self.app_id or not self.secret:
            raise ValueError("app_id and secret must not be empty")
        if len(self.apps) != 1 + len(self.extra_apps) or not all(app and secret for app, secret in self.extra_apps):
            raise ValueError("app ids must be distinct and every app needs a non-empty secret")
        if self.app_id_param not in APP_ID_PARAMS:
            raise ValueError(f"app_id_param must be one of {', '.join(APP_ID_PARAMS)}")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be in 0..65535")
        for name in ("token_ttl_seconds", "ticket_ttl_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.orders_per_day < 1:
            raise ValueError("orders_per_day must be at least 1")
        for name in ("retention_days", "photo_lag_seconds", "overlap_seconds",
                     "nonce_window_seconds", "qps", "max_in_flight", "timeout_seconds"):  # fmt: skip
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative")
        rates = [rate for _, rate in self.request_faults]
        if any(not 0 <= rate <= 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be in [0, 1] and add up to at most 1")
        # Parse now, so that a bad value fails at construction rather than on the first request.
        _ = self.latency_distribution, self.order_fault_rates, self.face_fault_rates

    @cached_property
    def apps(self) -> dict[str, str]:
        """Every configured app id and its secret."""
        return {self.app_id: self.secret, **dict(self.extra_apps)}

    @cached_property
    def latency_distribution(self) -> Latency:
        return Latency.parse(self.latency)

    @cached_property
    def order_fault_rates(self) -> FaultRates:
        """The OCR records' fault rates: their defaults with the ``order_rates`` not named ``face_*`` applied."""
        return self._rates(FaultRates, {name: rate for name, rate in self.order_rates if not name.startswith("face_")})

    @cached_property
    def face_fault_rates(self) -> FaceRates:
        """The face records' fault rates: their defaults with the ``face_*`` ``order_rates`` applied."""
        return self._rates(FaceRates, {name: rate for name, rate in self.order_rates if name.startswith("face_")})

    @staticmethod
    def _rates(kind: type[Rates], rates: dict[str, float]) -> Rates:
        try:
            return kind(**rates)
        except TypeError:
            known = ", ".join(spec.name for rates_type in (FaultRates, FaceRates) for spec in fields(rates_type))
            raise ValueError(f"order_rates names must be among: {known}") from None

    @cached_property
    def request_faults(self) -> tuple[tuple[str, float], ...]:
        """(kind, rate) of every result-query fault (getOcrResult and queryfacerecord), in FAULT_KINDS order."""
        return tuple((kind, float(getattr(self, f"fault_{kind}"))) for kind in FAULT_KINDS)

    def current_date(self) -> date:
        """The simulator's "today": the ``today`` knob, else the real UTC date."""
        return self.today or datetime.now(UTC).date()

    def with_knobs(self, updates: Mapping[str, Any]) -> SimulatorConfig:
        """A copy with runtime knobs changed; values may be JSON values or strings. Raises ValueError."""
        parsed = {}
        for name, value in updates.items():
            spec = _FIELDS.get(name)
            if spec is None or not spec.metadata["runtime"]:
                raise ValueError(f"{name!r} is not a knob that can change at runtime")
            parsed[name] = parse_knob(name, value)
        return replace(self, **parsed)

    def public(self) -> dict[str, Any]:
        """The knobs as JSON-ready values, without any secret."""
        values = {spec.name: getattr(self, spec.name) for spec in fields(self) if spec.name != "secret"}
        values["extra_apps"] = [app for app, _ in self.extra_apps]
        values["order_rates"] = dict(self.order_rates)
        values["today"] = self.today.isoformat() if self.today else None
        return values


_FIELDS = {spec.name: spec for spec in fields(SimulatorConfig)}


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None or value == "" else parse(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"not an integer: {value!r}")
    return int(value)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "str": str,
    "int": _integer,
    "float": float,
    "bool": _boolean,
    "int | None": _optional(_integer),
    "date | None": _optional(_date),
}


def parse_knob(name: str, value: Any) -> Any:
    """``value`` (a string from the command line or a JSON value) converted to knob ``name``'s type."""
    parse = _PARSERS[str(_FIELDS[name].type)]
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None


def scalar_knobs() -> list[Field[Any]]:
    """The knobs with a plain value type, in declaration order (for the command line)."""
    return [spec for spec in fields(SimulatorConfig) if str(spec.type) in _PARSERS]
