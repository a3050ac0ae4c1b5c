"""Driving the stack's Airflow as a user would, through its REST API: a JWT of the simple auth manager's user
from ``POST /auth/token``, then ``/api/v2`` to wait for the components and the DAG, trigger the day and
follow its run."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import requests

from tencent_kyc.operators.fetch import DEFAULT_CONCURRENCY
from tencent_kyc_dev.stack.config import DAG_ID, USERNAME, StackConfig, StackError
from tencent_kyc_dev.stack.report import task_states
from tencent_kyc_dev.stack.services import Services


class AirflowApi:
    """The REST client of one stack's api-server at ``url``; polling stops as soon as a service dies."""

    def __init__(self, url: str, password: str, services: Services, say: Callable[[str], None]) -> None:
        self.url, self._password = url, password
        self._services, self._say = services, say
        self._token: str | None = None

    def token(self) -> str:
        """A JWT of the simple auth manager's user, from ``POST /auth/token``."""
        if self._token is None:
            answer = requests.post(
                f"{self.url}/auth/token", json={"username": USERNAME, "password": self._password}, timeout=30
            )
            if answer.status_code != 201:
                raise StackError(f"POST /auth/token answered {answer.status_code}: {answer.text[:200]}")
            self._token = str(answer.json()["access_token"])
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call of ``/api/v2``; a JSON answer, or StackError naming the status and the body."""
        for _ in range(2):
            answer = requests.request(
                method,
                f"{self.url}/api/v2{path}",
                headers={"Authorization": f"Bearer {self.token()}"},
                timeout=60,
                **kwargs,
            )
            if answer.status_code == 401:  # expired: log in again, once
                self._token = None
                continue
            if not answer.ok:
                raise StackError(f"{method} /api/v2{path} answered {answer.status_code}: {answer.text[:500]}")
            return answer.json() if answer.content else None
        raise StackError(f"{method} /api/v2{path}: not authorised")

    def wait_until_ready(self) -> None:
        """api-server, scheduler and dag-processor healthy, and the DAG parsed (its import error, if any, raised)."""

        def healthy() -> bool:
            health = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
            return all(
                (health.get(part) or {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "dag_processor")
            )

        self._services.wait("api-server, scheduler and dag-processor", healthy, 120)

        def parsed() -> bool:
            errors = self.api("GET", "/importErrors")
            for error in errors.get("import_errors", []):
                if DAG_ID in str(error.get("filename", "")) or "tencent_kyc" in str(error.get("filename", "")):
                    raise StackError(f"the DAG file does not import: {error.get('stack_trace', '')[-2000:]}")
            with contextlib.suppress(StackError):
                return bool(self.api("GET", f"/dags/{DAG_ID}"))
            return False

        self._services.wait(f"DAG {DAG_ID}", parsed, 120)

    def trigger(self, config: StackConfig) -> str:
        """Unpause the DAG and trigger a run for the configured date; returns the run id."""
        self.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
        conf: dict[str, Any] = {"order_date": config.day.isoformat(), "shard_size": config.shard_size}
        if not config.get_file:
            conf["get_file"] = False
        if config.concurrency != DEFAULT_CONCURRENCY:
            conf["concurrency"] = config.concurrency
        run = self.api(
            "POST",
            f"/dags/{DAG_ID}/dagRuns",
            json={"logical_date": f"{config.day.isoformat()}T00:00:00+00:00", "conf": conf},
        )
        self._say(f"triggered {run['dag_run_id']} with conf {conf}")
        return str(run["dag_run_id"])

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = self.api(
                "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 100, "offset": len(found)}
            )
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page.get("total_entries", 0):
                return found

    def wait_for_run(self, run_id: str, timeout: float) -> dict[str, Any]:
        """Poll the run until it ends or the timeout passes; prints task states as they change."""
        deadline, last = time.monotonic() + timeout, ""
        while True:
            self._services.require_alive()
            run: dict[str, Any] = self.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
            states = task_states(self.task_instances(run_id))
            summary = "; ".join(f"{task} {dict(counts)}" for task, counts in states.items())
            if summary != last:
                self._say(f"run {run['state']}: {summary or 'no task instances yet'}")
                last = summary
            if run["state"] in ("success", "failed") or time.monotonic() > deadline:
                return run
            time.sleep(2)
