"""Airflow connections of the tests, in their JSON form (importable by tests: ``conftest`` must never be)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tencent_kyc_dev.simulator.server import SimulatorServer


def connection_json(simulator: SimulatorServer, secret: str | None = None, **extra: Any) -> str:
    """An Airflow connection (JSON form) pointing at ``simulator`` with its default app."""
    app_id, secret = simulator.config.app_id, secret or simulator.config.secret
    return json.dumps(
        {"conn_type": "tencent_kyc", "host": simulator.url, "login": app_id, "password": secret, "extra": extra}
    )
