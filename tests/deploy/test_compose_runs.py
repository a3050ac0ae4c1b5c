"""The scripts and commands of docker-compose.yaml, run on this machine against real local services.

Without a Docker engine the containers cannot start, but what they run can: airflow-init's script (with the
image's ``/entrypoint`` and the filesystem-ownership commands stubbed, on the test's SQLite metadata database
and the moto S3 server), the API server's password step, and the commands and health checks of the simulator
and of the S3 stand-in. Addresses are the only thing changed: service names become the local services.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from deploy.compose_helpers import command_args, environment
from tencent_kyc_dev.simulator.server import SimulatorServer

BIN = str(Path(sys.executable).parent)
#: The image's entrypoint runs its arguments (after checking the metadata database); chown/mkdir would touch
#: this machine's /opt/airflow: record them instead.
STUBS = """
function /entrypoint { "$@"; }
function mkdir { echo "STUB mkdir $*"; }
function chown { echo "STUB chown $*"; }
"""


def run_bash(script: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", STUBS + script], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def init_env(common_env: dict[str, str], moto_server: str, airflow_db: str) -> dict[str, str]:
    """This machine's environment (the test AIRFLOW_HOME, SQLite) plus the compose file's tencent_kyc settings
    and AWS connection, with the S3 endpoint moved to the local moto server."""
    aws = json.loads(common_env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert aws["extra"]["endpoint_url"] == "http://s3:5000"
    aws["extra"]["endpoint_url"] = moto_server
    return {
        **os.environ,
        "PATH": BIN + os.pathsep + os.environ["PATH"],
        **{key: value for key, value in common_env.items() if key.startswith("TENCENT_KYC_")},
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def airflow_json(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "airflow", *args, "-o", "json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # after any log line of the CLI's start-up


@pytest.mark.slow
def test_airflow_init_creates_the_pool_and_the_bucket_and_can_run_again(
    services: dict[str, Any], init_env: dict[str, str], moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    init = services["airflow-init"]
    assert init["entrypoint"] == "/bin/bash" and init["user"] == "0:0"
    flag, script = command_args(init)
    assert flag == "-c" and script.startswith("set -euo pipefail")  # an unset variable stops it

    for attempt in (1, 2):  # airflow-init runs on every `docker compose up`: it must be idempotent
        done = run_bash(script, init_env)
        assert done.returncode == 0, f"run {attempt}:\n{done.stdout}\n{done.stderr}"
    assert "STUB mkdir -v -p /opt/airflow/logs" in done.stdout
    assert "STUB chown -R 50000:0 /opt/airflow/logs" in done.stdout
    assert "Bucket tencent-kyc ready on connection aws_default" in done.stdout

    pools = {pool["pool"]: pool for pool in airflow_json(init_env, "pools", "list")}
    assert int(pools["tencent_kyc_api"]["slots"]) == int(init_env["TENCENT_KYC_PARALLEL_SHARDS"]) == 4

    s3 = boto3.client(
        "s3", endpoint_url=moto_server, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    assert "tencent-kyc" in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}

    # The DAG's storage root works on that bucket through the same connection (SSE as the DAG writes it).
    from airflow.sdk import ObjectStoragePath

    from tencent_kyc.storage import open_for_write

    for key in ("AIRFLOW_CONN_AWS_DEFAULT", "AWS_EC2_METADATA_DISABLED"):
        monkeypatch.setenv(key, init_env[key])
    probe = ObjectStoragePath(init_env["TENCENT_KYC_STORAGE_ROOT"]) / "compose-probe.txt"
    with open_for_write(probe) as stream:
        stream.write(b"ok")
    assert probe.read_bytes() == b"ok"
    assert s3.get_object(Bucket="tencent-kyc", Key="kyc/compose-probe.txt")["ServerSideEncryption"] == "AES256"


@pytest.mark.slow
def test_airflow_init_fails_when_a_setting_is_missing(services: dict[str, Any], init_env: dict[str, str]) -> None:
    """The check above can fail: without TENCENT_KYC_POOL, `set -u` stops the script before the pool."""
    _, script = command_args(services["airflow-init"])
    env = {key: value for key, value in init_env.items() if key != "TENCENT_KYC_POOL"}
    done = run_bash(script, env)
    assert done.returncode != 0
    assert "TENCENT_KYC_POOL: unbound variable" in done.stderr


def test_the_api_server_logs_in_the_configured_admin(
    services: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its command writes the simple auth manager's password file, then starts `airflow api-server`."""
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    api = services["airflow-apiserver"]
    env = environment(api)
    module, _, name = env["AIRFLOW__CORE__AUTH_MANAGER"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is SimpleAuthManager
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == "/opt/airflow/simple_auth_manager_passwords.json"
    passwords = tmp_path / "passwords.json"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "airflow").write_text('#!/bin/sh\necho "STARTED airflow $*"\n')
    (fake_bin / "airflow").chmod(0o755)
    settings = {key: value for key, value in env.items() if key.startswith(("AIRFLOW__CORE__SIMPLE", "_AIRFLOW_WWW"))}
    settings["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(passwords)
    run_env = {**os.environ, **settings, "PATH": os.pathsep.join([str(fake_bin), BIN, os.environ["PATH"]])}

    args = command_args(api)
    assert args[:2] == ["bash", "-c"]
    done = subprocess.run(args, env=run_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "STARTED airflow api-server"

    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    users = SimpleAuthManager.get_users()
    assert [(user.username, user.role) for user in users] == [("airflow", "admin")]
    assert SimpleAuthManager.get_passwords() == {"airflow": "airflow"}  # what POST /auth/token checks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def health_url(service: dict[str, Any], base: str) -> str:
    """The URL a service's health check asks for, moved to ``base``."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "curl", "--fail"], test
    path = "/" + test[3].split("://", 1)[1].split("/", 1)[1]
    return base + path


def test_the_s3_command_serves_s3_and_its_health_check(services: dict[str, Any]) -> None:
    s3 = services["s3"]
    args = command_args(s3)
    assert args[:3] == ["python", "-m", "moto.server"]
    assert args[args.index("-H") + 1] == "0.0.0.0" and args[args.index("-p") + 1] == "5000"
    port = free_port()
    args[args.index("-H") + 1], args[args.index("-p") + 1] = "127.0.0.1", str(port)
    process = subprocess.Popen(
        [sys.executable, *args[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
        while True:
            try:
                answer = requests.get(health_url(s3, base), timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "moto did not start"
                time.sleep(0.2)
        assert answer.status_code == 200
        assert requests.get(base + "/", timeout=5).text.startswith("<?xml")  # S3's ListBuckets
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_simulator_health_check_asks_a_real_endpoint(services: dict[str, Any], simulator: SimulatorServer) -> None:
    service = services["kyc-simulator"]
    args = command_args(service)
    assert health_url(service, "http://localhost:" + args[args.index("--port") + 1]) == "http://localhost:8080/healthz"
    answer = requests.get(health_url(service, simulator.url), timeout=5)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert requests.get(simulator.url + "/no-such-endpoint", timeout=5).status_code != 200  # the check can fail
