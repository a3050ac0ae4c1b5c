"""``python -m tencent_kyc_dev.simulator``: every knob has a flag, the port file works, secrets stay unprinted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

import tencent_kyc_dev
from tencent_kyc_dev.simulator.config import DEMO_SECRET, scalar_knobs

PLUGINS = str(Path(tencent_kyc_dev.__file__).resolve().parents[1])


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": PLUGINS, **(env or {})}
    command = [sys.executable, "-m", "tencent_kyc_dev.simulator", *args]
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def running(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """The CLI on a free port: yields its base URL and, once it has stopped, fills in its output."""
    port_file = tmp_path / "port"
    process = run_cli("--port", "0", "--port-file", str(port_file), *args, env=env)
    output: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the simulator did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{int(port_file.read_text())}", output
        process.send_signal(signal.SIGTERM)
        output.extend(process.communicate(timeout=10))
        assert process.returncode == 0, output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_help_lists_every_knob_and_the_measured_capacity() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "tencent_kyc_dev.simulator", "--help"],
        env={**os.environ, "PYTHONPATH": PLUGINS, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for spec in scalar_knobs():
        assert "--" + spec.name.replace("_", "-") in help_text
    for flag in ("--extra-app", "--order-rate", "--port-file"):
        assert flag in help_text
    assert "requests/s" in help_text and DEMO_SECRET not in help_text


def test_defaults_serve_the_demo_app_and_say_the_secret_is_public(tmp_path: Path) -> None:
    with running(tmp_path) as (url, output):
        assert requests.get(url + "/healthz", timeout=5).json() == {"status": "ok"}
    stdout = output[0]
    assert url in stdout and "IDAKYC01" in stdout
    assert DEMO_SECRET in stdout and "PUBLIC demo secret" in stdout


def test_knobs_from_flags_and_a_secret_from_the_environment_which_is_never_printed(tmp_path: Path) -> None:
    secret, other = "E" * 64, "O" * 64
    flags: tuple[str, ...] = ("--app-id", "IDAMINE1", "--qps", "7", "--today", "2026-11-27", "--latency", "uniform:1,2")
    flags += ("--extra-app", f"IDAOTHER={other}", "--order-rate", "never_completed=0.5", "--access-log")
    with running(tmp_path, *flags, env={"TENCENT_KYC_SIMULATOR_SECRET": secret}) as (url, output):
        config = requests.get(url + "/admin/config", timeout=5).json()
        params = {"appId": "IDAMINE1", "secret": secret, "grant_type": "client_credential", "version": "1.0.0"}
        assert requests.get(url + "/api/oauth2/access_token", params=params, timeout=5).json()["code"] == "0"
    assert config["qps"] == 7 and config["today"] == "2026-11-27" and config["latency"] == "uniform:1,2"
    assert config["extra_apps"] == ["IDAOTHER"] and config["order_rates"] == {"never_completed": 0.5}
    assert config["access_log"] is True
    stdout, stderr = output
    assert "IDAMINE1" in stdout and "IDAOTHER" in stdout and "GET /api/oauth2/access_token 200" in stderr
    for printed in (secret, other, DEMO_SECRET):
        assert printed not in stdout + stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--qps", "lots"), "qps"),
        (("--latency", "gaussian:5"), "latency"),
        (("--extra-app", "IDAOTHER"), "NAME=VALUE"),
        (("--order-rate", "no_such_rate=0.1"), "order_rates"),
        (("--fault-5xx", "0.8", "--fault-html", "0.8"), "add up"),
    ],
)
def test_bad_flags_fail_with_a_message(args: tuple[str, ...], message: str) -> None:
    process = run_cli("--port", "0", *args)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode != 0 and message in stderr
