"""docker-compose.yaml as Docker Compose reads it, for tests that run without a Docker engine.

The file is loaded with PyYAML (anchors and ``<<`` merge keys resolved as Compose resolves them) and then
interpolated as Compose does on ``docker compose up`` with no ``.env`` file: ``${VAR:-default}`` takes its
default, ``$$`` becomes ``$`` (what the container's shell then sees).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

#: Services that run once and exit; every other service runs for good.
ONE_SHOT = {"airflow-init", "kyc-orders-seed"}
#: Services that are Airflow components or run Airflow code with the deployment's connections.
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
    "kyc-orders-seed",
}

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<word>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)|(?P<invalid>))"
)


class InterpolationError(ValueError):
    """A ``$`` Compose would refuse, or a required variable without a value."""


def interpolate(text: str, variables: Mapping[str, str], used: set[str] | None = None) -> str:
    """One string as Compose interpolates it (compose-spec "Interpolation"); records variable names in ``used``."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise InterpolationError(f"invalid interpolation at {text[match.start() : match.start() + 20]!r}")
        name = match["braced"] or match["named"]
        if used is not None:
            used.add(name)
        value, op, word = variables.get(name), match["op"], match["word"] or ""
        unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return word if unset_or_empty else value or ""
        if op in (":?", "?"):
            if unset_or_empty:
                raise InterpolationError(f"variable {name} is required: {word}")
            return value or ""
        if op in (":+", "+"):
            return "" if unset_or_empty else word
        return value or ""

    return _VARIABLE.sub(replace, text)


def interpolate_tree(node: Any, variables: Mapping[str, str], used: set[str] | None = None) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables, used)
    if isinstance(node, list):
        return [interpolate_tree(item, variables, used) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables, used) for key, value in node.items()}
    return node


def load_compose(path: Path = COMPOSE_FILE, variables: Mapping[str, str] | None = None) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict), f"{path} is not a mapping"
    return dict(interpolate_tree(loaded, variables or {}))


def command_args(service: Mapping[str, Any]) -> list[str]:
    """A service's command as an argument list (Compose splits a string command like a shell)."""
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as a dict (Compose accepts a mapping or a list of NAME=VALUE)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def connections(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The ``AIRFLOW_CONN_*`` variables, parsed from their JSON form, by connection id."""
    found = {}
    for name, value in env.items():
        if name.startswith("AIRFLOW_CONN_"):
            parsed = json.loads(value)
            assert isinstance(parsed, dict), f"{name} is not a JSON object"
            found[name.removeprefix("AIRFLOW_CONN_").lower()] = parsed
    return found


def host_and_port(url_or_host: str, port: int | None = None, default_port: int | None = None) -> tuple[str, int | None]:
    """``http://kyc-simulator:8080`` or ``postgres`` (+ port) as (host, port)."""
    if "://" in url_or_host:
        parts = urlsplit(url_or_host)
        return parts.hostname or "", parts.port or default_port
    return url_or_host, port or default_port
