"""A real Airflow api-server process on loopback for the tests: the dashboard's routes and human review answers.

It runs with the simple auth manager and the users the caller names (``name:role[:team]``), each with the
password ``<name>-password``; tokens come from ``POST /auth/token`` as the UI's login does.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ApiServer:
    url: str
    log: Path
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user: str) -> str:
        if user not in self._tokens:
            answer = requests.post(
                f"{self.url}/auth/token", json={"username": user, "password": f"{user}-password"}, timeout=30
            )
            answer.raise_for_status()
            self._tokens[user] = answer.json()["access_token"]
        return self._tokens[user]

    def get(self, path: str, user: str | None = None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        return requests.get(f"{self.url}{path}", params=params, headers=headers, timeout=60)

    def patch(self, path: str, user: str, body: Mapping[str, Any]) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        return requests.patch(f"{self.url}{path}", json=body, headers=headers, timeout=60)


def server_environment(home: Path, users: list[str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an api-server (and of the Airflow commands preparing its home)."""
    passwords = {user.split(":")[0]: f"{user.split(':')[0]}-password" for user in users}
    (home / "passwords.json").write_text(json.dumps(passwords))
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(users),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": os.environ.get("KYC_TEST_JWT_SECRET") or secrets.token_hex(32),
        **(extra or {}),
    }


@contextmanager
def api_server(env: Mapping[str, str], log: Path) -> Iterator[ApiServer]:
    """Start ``airflow api-server`` with ``env``; yields once it answers; stops it afterwards."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ApiServer(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"the api-server stopped; its log: {log}"
            try:
                if requests.get(f"{server.url}/api/v2/monitor/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"the api-server did not answer in 120 s; its log: {log}"
            time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
