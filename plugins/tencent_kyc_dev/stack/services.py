"""The stack's OS processes: each service started in a session of its own, waited for, and stopped with
everything it spawned (a scheduler's task processes included)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tencent_kyc_dev.stack.config import StackError


@dataclass
class Service:
    """One process the stack started, in a session of its own (its descendants stay in that session)."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def session_members(session: int) -> list[int]:
    """Processes of the session ``session`` (a service's pid: each service leads a session of its own)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(entry)) == session:
                    members.append(int(entry))
    return members


class Services:
    """The processes of one stack, run in ``cwd`` with their output in ``logs/<name>.log``."""

    def __init__(self, cwd: Path, logs: Path, say: Callable[[str], None]) -> None:
        self._cwd, self._logs, self._say = cwd, logs, say
        self._services: dict[str, Service] = {}
        #: Every service process started (each leads a session holding its descendants), for callers to verify.
        self.started_pids: list[int] = []

    def launch(self, name: str, command: list[str], env: Mapping[str, str]) -> Service:
        log_path = self._logs / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=self._cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session: Ctrl-C reaches us only; stop() finds its descendants
            )
        service = Service(name, process, log_path)
        self._services[name] = service
        self.started_pids.append(process.pid)
        self._say(f"started {name} (pid {process.pid}), log {log_path}")
        return service

    def require_alive(self) -> None:
        for service in self._services.values():
            if not service.alive():
                raise StackError(
                    f"{service.name} exited with {service.process.returncode}; log {service.log_path}:\n"
                    + service.log_tail()
                )

    def wait(self, what: str, ready: Any, timeout: float) -> Any:
        """``ready()``'s first true value, polled while every service lives; StackError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            self.require_alive()
            with contextlib.suppress(requests.RequestException, OSError):
                value = ready()
                if value:
                    return value
            if time.monotonic() > deadline:
                raise StackError(f"{what} not ready after {timeout:.0f} s (logs in {self._logs})")
            time.sleep(0.5)

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM every service (scheduler first), then SIGKILL whatever of their sessions is left."""
        services = sorted(self._services.values(), key=lambda service: service.name != "scheduler")
        if not services:
            return
        sessions = {service.process.pid for service in services}
        for service in services:
            if service.alive():
                with contextlib.suppress(ProcessLookupError):
                    service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for service in services:
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        leftovers = [pid for session in sessions for pid in session_members(session)]
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for service in services:
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=5)
        self._services.clear()
        self._say(f"stopped every process ({len(leftovers)} killed after the grace period); logs in {self._logs}")
