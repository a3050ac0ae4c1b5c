"""A run's settings, read once from the DAG's params into typed values, every one checked before any request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tencent_kyc.api.face import MEDIA_CHOICES
from tencent_kyc.fetch.fetchers import Evidence
from tencent_kyc.quality.gate import GateError, GateThresholds
from tencent_kyc.quality.judge import JUDGING
from tencent_kyc.storage import DayLayout
from tencent_kyc.validation import PolicyError
from tencent_kyc.validation.policy import RejectPolicy
from tencent_kyc.warehouse.pii import PiiPolicy, PiiPolicyError
from tencent_kyc.warehouse.syncs import Sync


class ConfigError(ValueError):
    """A DAG param is unusable; the run fails at once (no retries: a retry would not fix it)."""


def _policy(sync: Sync, value: Any) -> RejectPolicy:
    """The ``policy`` param: null for the sync's default policy, an object, or a JSON file path."""
    judging = JUDGING.get(sync.name)
    if value is None:
        return judging.default
    return judging.policy.from_mapping(value) if isinstance(value, Mapping) else judging.policy.load(value)


def _media(value: Any) -> str:
    if value not in MEDIA_CHOICES:
        raise ConfigError(f"face_media must be one of {', '.join(MEDIA_CHOICES)}, got {value!r}")
    return str(value)


def _seconds(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"response_timeout must be a whole number of seconds, at least 1, got {value!r}")
    return value


@dataclass(frozen=True)
class RunConfig:
    """The params every task of a sync's run reads, typed."""

    sync: Sync
    order_date: date
    storage_root: str
    shard_size: int
    concurrency: int
    evidence: Evidence
    policy: RejectPolicy
    gate: GateThresholds
    pii: PiiPolicy
    tencent_kyc_conn_id: str
    warehouse_conn_id: str
    retention_days: int
    response_timeout: int

    @property
    def layout(self) -> DayLayout:
        return DayLayout(self.storage_root, self.order_date, self.sync.name)

    @classmethod
    def from_params(cls, sync: Sync, params: Mapping[str, Any], data_interval_start: Any) -> RunConfig:
        """The order date is the ``order_date`` param if set, else the data interval's start date (UTC)."""
        try:
            chosen = params.get("order_date")
            return cls(
                sync=sync,
                order_date=date.fromisoformat(chosen) if chosen else data_interval_start.date(),
                storage_root=str(params["storage_root"]),
                shard_size=int(params["shard_size"]),
                concurrency=int(params["concurrency"]),
                evidence=Evidence(bool(params.get("get_file", True)), _media(params.get("face_media", "none"))),
                policy=_policy(sync, params["policy"]),
                gate=GateThresholds.from_mapping(params["quality_gate"]),
                pii=PiiPolicy.from_param(params["pii"]),
                tencent_kyc_conn_id=str(params["tencent_kyc_conn_id"]),
                warehouse_conn_id=str(params["warehouse_conn_id"]),
                retention_days=int(params["retention_days"]),
                response_timeout=_seconds(params["response_timeout"]),
            )
        except (PolicyError, GateError, PiiPolicyError, ConfigError) as exc:
            raise ConfigError(f"{type(exc).__name__}: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"a DAG param is missing or malformed: {type(exc).__name__}: {exc}") from None

    @classmethod
    def from_context(cls, context: Mapping[str, Any], sync: Sync) -> RunConfig:
        return cls.from_params(sync, context["params"], context.get("data_interval_start"))
