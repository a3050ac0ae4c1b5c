"""The ``tencent_kyc`` connection → the hook's settings, each extra declared once.

An extra is a field of :class:`KycSettings` made with :func:`extra`: its type, default, bounds and help live
there and nowhere else. The same declaration feeds the connection form (``conn-fields`` of the provider info),
the parsing of a connection at run time, and the defaults; a value that is ill-typed or out of range is
refused when the connection is read, naming the field, the value and what is allowed, before any request.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from tencent_kyc.credentials.registry import STORES, StoreSettingsError
from tencent_kyc.registry import UnknownKindError

DEFAULT_BASE_URL = "https://kyc1.qcloud.com"
#: Tencent: refresh token and SIGN ticket every 20 minutes; a longer cache is never allowed.
MAX_REFRESH_SECONDS = 1200.0


class ConnectionLike(Protocol):
    """What we read from an Airflow ``Connection`` (kept structural so tests can pass simple objects)."""

    host: str | None
    schema: str | None
    port: int | None
    login: str | None
    password: str | None
    extra: str | None


class SettingsError(ValueError):
    """The connection cannot be used as given; the message names the field and the problem."""


def parse_bool(value: Any) -> bool:
    """Booleans as connection forms and JSON send them: true/false, 1/0, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class Extra:
    """One connection extra: its type, default, bounds and help; the form's schema and the parser follow."""

    label: str
    description: str
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    why: str = ""

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON schema of the form field (every extra may be left empty: then the default applies)."""
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        schema: dict[str, Any] = {"type": [names[self.kind], "null"]}
        if self.default is not None:
            schema["default"] = self.default
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.choices:
            schema["enum"] = [*self.choices, None]
        return schema

    def parse(self, name: str, raw: Any) -> Any:
        """``raw`` (a JSON value or the text a form sends) as this extra's type, within its bounds."""
        try:
            value = self._convert(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"extra field {name!r} = {raw!r}: {exc}") from None
        if self.choices and value not in self.choices:
            raise SettingsError(f"extra field {name!r} = {raw!r}: must be one of {', '.join(self.choices)}")
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
            allowed = f"{_number(low)} to {_number(high)}" if math.isfinite(high) else f"at least {_number(low)}"
            why = f" ({self.why})" if self.why else ""
            raise SettingsError(f"extra field {name!r} = {raw!r} is out of range: allowed {allowed}{why}")
        return value

    def _convert(self, raw: Any) -> Any:
        if self.kind is bool:
            return parse_bool(raw)
        if self.kind is str:
            if not isinstance(raw, str):
                raise TypeError(f"expected text, got {type(raw).__name__}")
            return raw.strip()
        if isinstance(raw, bool):
            raise TypeError("expected a number, got a boolean")
        number = float(raw)  # "5", 5, 5.0 alike; "many" raises ValueError
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        if self.kind is int:
            if not number.is_integer():
                raise ValueError("expected a whole number")
            return int(number)
        return number


def _number(value: float) -> str:
    return f"{value:g}"


def _shown(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{_number(default)}`" if isinstance(default, float) else f"`{default}`"


def extra(
    default: Any,
    label: str,
    description: str,
    *,
    kind: type | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] = (),
    why: str = "",
) -> Any:
    """A :class:`KycSettings` field that is a connection extra (``kind`` defaults to the default's type)."""
    declared = Extra(label, description, kind or type(default), default, minimum, maximum, choices, why)
    return field(default=default, metadata={"extra": declared})


@dataclass(frozen=True)
class KycSettings:
    """Everything the hook needs from its connection, validated. Defaults follow Tencent's documented rules."""

    app_id: str
    secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    qps_quota: float = extra(
        20.0,
        "QPS quota",
        "Requests per second Tencent grants this WBappid (20 unless Tencent raised it). Every task, run and DAG "
        "using the app shares it live, through the credential store.",
        minimum=0.1,
        maximum=100_000,
    )
    connect_timeout: float = extra(
        5.0, "Connect timeout (s)", "Seconds to wait for a TCP/TLS connection.", minimum=0.1, maximum=300
    )
    read_timeout: float = extra(
        30.0,
        "Read timeout (s)",
        "Seconds to wait for an answer; answers with photos can exceed 1 MB.",
        minimum=0.1,
        maximum=600,
    )
    verify_tls: bool = extra(True, "Verify TLS", "Verify the server certificate (leave on in production).")
    ca_bundle: str | None = extra(
        None, "CA bundle path", "Optional path of a CA bundle to verify the server certificate with.", kind=str
    )
    app_id_param: str = extra(
        "app_id",
        "App-id parameter on token/ticket calls",
        "Tencent's newest token/ticket docs spell it appId, older ones app_id; both are seen working.",
        choices=("app_id", "appId"),
    )
    refresh_seconds: float = extra(
        MAX_REFRESH_SECONDS,
        "Credential refresh age (s)",
        "Refresh the access token and SIGN ticket once they are this old. Tencent requires 1200 at most.",
        minimum=1,
        maximum=MAX_REFRESH_SECONDS,
        why="Tencent's 20-minute rule",
    )
    credential_store: str = extra(
        "file",
        "Credential store",
        "Where the token, the ticket and the quota's schedule are shared: 'file' (one machine; file lock), "
        "'database' (many workers; PostgreSQL, through the connection named below) or 'process' (this "
        "process's memory only: safe for a single process alone, never for Airflow tasks, which each run in "
        "their own process).",
        choices=STORES.kinds,
    )
    credential_path: str | None = extra(
        None, "Credential file", "File store path (default $AIRFLOW_HOME/tencent_kyc/<WBappid>.credentials).", kind=str
    )
    credential_conn_id: str | None = extra(
        None,
        "Credential database connection",
        "Airflow connection id of the PostgreSQL database used by the 'database' store.",
        kind=str,
    )
    max_attempts: int = extra(
        6,
        "Attempts per call",
        "Attempts for throttled or transient failures, with exponential backoff and jitter.",
        minimum=1,
        maximum=20,
    )
    backoff_seconds: float = extra(
        0.5, "Backoff base (s)", "First backoff delay; doubles per attempt.", minimum=0, maximum=60
    )
    max_backoff_seconds: float = extra(30.0, "Backoff cap (s)", "Longest single backoff delay.", minimum=0, maximum=600)
    photo_retries: int = extra(
        3,
        "Media re-queries",
        "Re-queries when photos (or a face video) were asked for but are still empty (Tencent's 1-2 s lag).",
        minimum=0,
        maximum=10,
    )
    photo_retry_interval: float = extra(
        2.0, "Media re-query interval (s)", "Seconds between those re-queries.", minimum=0, maximum=30
    )
    pool_size: int = extra(
        32,
        "HTTP connection pool size",
        "Keep-alive connections kept per host; at least the fetch concurrency.",
        minimum=1,
        maximum=512,
    )

    def __post_init__(self) -> None:
        if not self.app_id:
            raise SettingsError("the connection's login (WBappid) is empty")
        if not self.secret:
            raise SettingsError("the connection's password (secret) is empty")
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"host must be an http(s) base URL, got {self.base_url!r}")
        for name, declared in EXTRA_FIELDS.items():  # direct construction gets the same checks as a connection
            value = getattr(self, name)
            if value is not None:
                declared.parse(name, value)
        try:
            STORES.get(self.credential_store).check(self)
        except (UnknownKindError, StoreSettingsError) as exc:
            raise SettingsError(f"extra field 'credential_store': {exc}") from None

    @property
    def verify(self) -> bool | str:
        """The ``verify`` argument of requests: a CA bundle path when given."""
        return self.ca_bundle if (self.verify_tls and self.ca_bundle) else self.verify_tls

    @property
    def credential_file(self) -> str:
        home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
        return self.credential_path or os.path.join(home, "tencent_kyc", f"{self.app_id}.credentials")

    @classmethod
    def from_connection(cls, conn: ConnectionLike) -> KycSettings:
        """Read an Airflow connection: host = base URL, login = WBappid, password = secret, extras as declared.

        The extras are read from the connection's JSON text, not ``extra_dejson``: that registers every string
        value with Airflow's secret masker, and none of these is a secret (short ones such as ``file`` only make
        the masker warn on every task).
        """
        try:
            extras: Any = json.loads(conn.extra) if conn.extra else {}
        except json.JSONDecodeError as exc:
            raise SettingsError(f"the connection's extra is not JSON: {exc}") from None
        if not isinstance(extras, Mapping):
            raise SettingsError(f"the connection's extra must be a JSON object, got {type(extras).__name__}")
        unknown = sorted(set(extras) - set(EXTRA_FIELDS))
        if unknown:
            raise SettingsError(f"unknown extra field(s) {unknown}; known: {sorted(EXTRA_FIELDS)}")
        values = {
            name: declared.parse(name, extras[name])
            for name, declared in EXTRA_FIELDS.items()
            if extras.get(name) not in (None, "")
        }
        return cls(app_id=(conn.login or "").strip(), secret=conn.password or "", base_url=_base_url(conn), **values)


#: Every connection extra by name, from the declarations above (the form, the parser and the docs read this).
EXTRA_FIELDS: dict[str, Extra] = {
    spec.name: spec.metadata["extra"] for spec in fields(KycSettings) if "extra" in spec.metadata
}


def markdown() -> str:
    """The extras as a README table (tests keep the README equal to this)."""
    rows = ["| extra | default | allowed | meaning |", "|---|---|---|---|"]
    for name, declared in EXTRA_FIELDS.items():
        if declared.choices:
            allowed = ", ".join(f"`{choice}`" for choice in declared.choices)
        elif declared.minimum is not None:
            allowed = f"{_number(declared.minimum)} to {_number(declared.maximum or math.inf)}"
        else:
            allowed = {bool: "true or false", str: "text"}.get(declared.kind, "")
        default = (
            ""
            if declared.default is None
            else f"`{str(declared.default).lower() if declared.kind is bool else declared.default}`"
        )
        rows.append(f"| `{name}` | {default} | {allowed} | {declared.description} |")
    return "\n".join(rows)


def _base_url(conn: ConnectionLike) -> str:
    """Accept a full URL in host, or host + schema + port as Airflow's form splits them."""
    host = (conn.host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    if "://" in host:
        return host
    scheme = conn.schema or "https"
    return f"{scheme}://{host}:{conn.port}" if conn.port else f"{scheme}://{host}"
