"""Fixtures: docker-compose.yaml loaded and interpolated as ``docker compose up`` sees it (no .env file)."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.compose_helpers import environment, load_compose


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


@pytest.fixture(scope="session")
def common(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["x-airflow-common"])


@pytest.fixture(scope="session")
def common_env(common: dict[str, Any]) -> dict[str, str]:
    return environment(common)
