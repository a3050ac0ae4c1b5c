"""Connection → client settings, declared once.

Each extra field is described in ``EXTRA_FIELDS`` (type, default, JSON schema, help text). The same table
feeds the connection form in the Airflow UI (``conn-fields`` of the provider info) and the parsing of a
connection at run time, so the form and the code cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

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

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


class SettingsError(ValueError):
    """The connection cannot be used as given; the message names the field and the problem."""


def parse_bool(value: Any) -> bool:
    """Booleans as connection forms and rendered templates send them: true/false, 1/0, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class ExtraField:
    """One connection extra: how the UI shows it and how the code reads it."""

    label: str
    description: str
    schema: Mapping[str, Any]
    parse: Callable[[Any], Any]


def _number(minimum: float, maximum: float | None = None, kind: str = "number") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": [kind, "null"], "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


EXTRA_FIELDS: dict[str, ExtraField] = {
    "qps_quota": ExtraField(
        "QPS quota",
        "Requests per second Tencent grants this WBappid (20 unless Tencent raised it). All running fetch tasks "
        "share it.",
        {**_number(0.1), "default": 20},
        float,
    ),
    "connect_timeout": ExtraField(
        "Connect timeout (s)", "Seconds to wait for a TCP/TLS connection.", {**_number(0.1), "default": 5}, float
    ),
    "read_timeout": ExtraField(
        "Read timeout (s)",
        "Seconds to wait for an answer; answers with photos can exceed 1 MB.",
        {**_number(0.1), "default": 30},
        float,
    ),
    "verify_tls": ExtraField(
        "Verify TLS",
        "Verify the server certificate (leave on in production).",
        {"type": ["boolean", "null"], "default": True},
        parse_bool,
    ),
    "ca_bundle": ExtraField(
        "CA bundle path",
        "Optional path of a CA bundle to verify the server certificate with.",
        {"type": ["string", "null"]},
        str,
    ),
    "app_id_param": ExtraField(
        "App-id parameter on token/ticket calls",
        "Tencent's newest token/ticket docs spell it appId, older ones app_id; both are seen working.",
        {"type": ["string", "null"], "enum": ["app_id", "appId", None], "default": "app_id"},
        str,
    ),
    "refresh_seconds": ExtraField(
        "Credential refresh age (s)",
        "Refresh the access token and SIGN ticket once they are this old. Tencent requires 1200 at most.",
        {**_number(1, MAX_REFRESH_SECONDS), "default": MAX_REFRESH_SECONDS},
        float,
    ),
    "credential_store": ExtraField(
        "Credential store",
        "Where the token and ticket are shared: 'file' (one machine; file lock), 'database' (many workers; "
        "PostgreSQL advisory lock through the connection named below) or 'process' (this process's memory "
        "only: safe for a single process alone, never for Airflow tasks, which each run in their own process).",
        {"type": ["string", "null"], "enum": ["file", "database", "process", None], "default": "file"},
        str,
    ),
    "credential_path": ExtraField(
        "Credential file",
        "File store path (default $AIRFLOW_HOME/tencent_kyc/<WBappid>.credentials).",
        {"type": ["string", "null"]},
        str,
    ),
    "credential_conn_id": ExtraField(
        "Credential database connection",
        "Airflow connection id of the PostgreSQL database used by the 'database' store.",
        {"type": ["string", "null"]},
        str,
    ),
    "max_attempts": ExtraField(
        "Attempts per call",
        "Attempts for throttled or transient failures, with exponential backoff and jitter.",
        {**_number(1, 20, "integer"), "default": 6},
        int,
    ),
    "backoff_seconds": ExtraField(
        "Backoff base (s)", "First backoff delay; doubles per attempt.", {**_number(0), "default": 0.5}, float
    ),
    "max_backoff_seconds": ExtraField(
        "Backoff cap (s)", "Longest single backoff delay.", {**_number(0), "default": 30}, float
    ),
    "photo_retries": ExtraField(
        "Photo re-queries",
        "Re-queries when photos were asked for but are still empty (Tencent's ~1 s lag).",
        {**_number(0, 10, "integer"), "default": 3},
        int,
    ),
    "photo_retry_interval": ExtraField(
        "Photo re-query interval (s)", "Seconds between photo re-queries.", {**_number(0), "default": 2}, float
    ),
    "pool_size": ExtraField(
        "HTTP connection pool size",
        "Keep-alive connections kept per host; at least the fetch concurrency.",
        {**_number(1, 512, "integer"), "default": 32},
        int,
    ),
}


@dataclass(frozen=True)
class KycSettings:
    """Everything the client needs, validated. Defaults follow Tencent's documented rules."""

    app_id: str
    secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    qps_quota: float = 20.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    verify_tls: bool = True
    ca_bundle: str | None = None
    app_id_param: Literal["app_id", "appId"] = "app_id"
    refresh_seconds: float = MAX_REFRESH_SECONDS
    credential_store: Literal["file", "database", "process"] = "file"
    credential_path: str | None = None
    credential_conn_id: str | None = None
    max_attempts: int = 6
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    photo_retries: int = 3
    photo_retry_interval: float = 2.0
    pool_size: int = 32

    def __post_init__(self) -> None:
        if not self.app_id:
            raise SettingsError("the connection's login (WBappid) is empty")
        if not self.secret:
            raise SettingsError("the connection's password (secret) is empty")
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"host must be an http(s) base URL, got {self.base_url!r}")
        if not 0 < self.refresh_seconds <= MAX_REFRESH_SECONDS:
            raise SettingsError(f"refresh_seconds must be in (0, {MAX_REFRESH_SECONDS:.0f}] (Tencent's 20-minute rule)")
        if self.app_id_param not in ("app_id", "appId"):
            raise SettingsError("app_id_param must be 'app_id' or 'appId'")
        if self.credential_store not in ("file", "database", "process"):
            raise SettingsError("credential_store must be 'file', 'database' or 'process'")
        if self.credential_store == "database" and not self.credential_conn_id:
            raise SettingsError("credential_store 'database' needs credential_conn_id")
        for name in ("qps_quota", "connect_timeout", "read_timeout", "max_attempts", "pool_size"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive")

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
        """Read an Airflow connection: host = base URL, login = WBappid, password = secret, extras per table."""
        extras = conn.extra_dejson or {}
        unknown = sorted(set(extras) - set(EXTRA_FIELDS))
        if unknown:
            raise SettingsError(f"unknown extra field(s) {unknown}; known: {sorted(EXTRA_FIELDS)}")
        values: dict[str, Any] = {}
        for name, spec in EXTRA_FIELDS.items():
            raw = extras.get(name)
            if raw is None or raw == "":
                continue
            try:
                values[name] = spec.parse(raw)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"extra field {name!r}: {exc}") from None
        return cls(
            app_id=(conn.login or "").strip(),
            secret=conn.password or "",
            base_url=_base_url(conn),
            **values,
        )


def _base_url(conn: ConnectionLike) -> str:
    """Accept a full URL in host, or host + schema + port as Airflow's form splits them."""
    host = (conn.host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    if "://" in host:
        return host
    scheme = conn.schema or "https"
    return f"{scheme}://{host}:{conn.port}" if conn.port else f"{scheme}://{host}"
