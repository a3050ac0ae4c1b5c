"""The stack itself: :class:`Stack` brings up the simulator, moto S3 and Airflow's processes on fresh
databases, runs the day through the REST API, checks it, and stops everything it started."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import requests

from tencent_kyc_dev.stack.config import DATABASES, REPO, SIMPLE_AUTH_MANAGER, USERNAME, StackConfig, StackError
from tencent_kyc_dev.stack.databases import Databases
from tencent_kyc_dev.stack.report import RunReport, evaluate
from tencent_kyc_dev.stack.rest import AirflowApi
from tencent_kyc_dev.stack.services import Service, Services, free_port


class Stack:
    """The services, the databases and the REST client of one run: ``with Stack(config) as stack: stack.run()``."""

    def __init__(self, config: StackConfig, *, echo: IO[str] | None = sys.stdout) -> None:
        self.config = config
        self.var = config.var.resolve()
        self.home = self.var / "airflow"
        self.logs = self.var / "logs"
        self.password = secrets.token_urlsafe(18)
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.bucket = f"{config.db_prefix.replace('_', '-')}-{secrets.token_hex(4)}"
        self.databases = Databases(config)
        self._simulator_secret = secrets.token_hex(24)
        self._pii_key = secrets.token_hex(32)
        self._log_server_port = free_port()  # the scheduler serves task logs there
        self._airflow_secrets = {  # the same in every Airflow process: JWTs and encrypted values must agree
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        }
        self._echo = echo
        self.services = Services(self.var, self.logs, self.say)
        self.airflow = AirflowApi(self.api_url, self.password, self.services, self.say)
        self.simulator_url = ""
        self.moto_url = ""
        self.orders: list[str] = []
        self.started_at = 0.0

    # -- life cycle -----------------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def say(self, message: str) -> None:
        if self._echo is not None:
            elapsed = time.monotonic() - self.started_at if self.started_at else 0.0
            print(f"[stack {elapsed:6.1f}s] {message}", file=self._echo, flush=True)

    def start(self) -> None:
        self.started_at = time.monotonic()
        for folder in (self.home, self.logs):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        (self.var / "report.json").unlink(missing_ok=True)
        self.databases.create()
        self.say(f"databases {', '.join(self.config.database(role) for role in DATABASES)} created afresh")
        self._start_simulator()
        self._start_moto()
        self._write_passwords()
        self.say("airflow db migrate (PostgreSQL metadata database)")
        migrate = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env=self.airflow_env(),
            stdout=(self.logs / "db-migrate.log").open("wb"),
            stderr=subprocess.STDOUT,
            check=False,
        )
        if migrate.returncode:
            raise StackError(f"airflow db migrate failed: see {self.logs / 'db-migrate.log'}")
        self._wait_for_simulator()
        self._seed_orders()
        self._create_bucket()
        self._spawn("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1")
        self._spawn("scheduler", "scheduler")
        self._spawn("dag-processor", "dag-processor")
        self.airflow.wait_until_ready()
        self.say(f"Airflow UI and API on {self.api_url} (user {USERNAME}, password in {self.passwords_file})")

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM every service (scheduler first), then SIGKILL whatever of their sessions is left."""
        self.services.stop(grace)

    # -- environment ----------------------------------------------------------------------------------

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def connections(self) -> dict[str, str]:
        """The ``AIRFLOW_CONN_*`` variables of every Airflow process."""
        config = self.config
        extra: dict[str, Any] = {
            "qps_quota": config.qps,
            "refresh_seconds": config.refresh_seconds,
            "credential_store": config.credential_store,
        }
        if config.credential_store == "database":
            extra["credential_conn_id"] = "tencent_kyc_credentials"
        if config.credential_store == "file":
            extra["credential_path"] = str(self.home / "tencent_kyc" / "stack.credentials")
        kyc = {
            "conn_type": "tencent_kyc",
            "host": self.simulator_url,
            "login": "IDAKYC01",
            "password": self._simulator_secret,
            "extra": extra,
        }
        aws = {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": self.moto_url, "region_name": "us-east-1"},
        }
        return {
            "AIRFLOW_CONN_TENCENT_KYC_DEFAULT": json.dumps(kyc),
            "AIRFLOW_CONN_TENCENT_KYC_CREDENTIALS": self.databases.connection("credentials"),
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws),
            "AIRFLOW_CONN_TENCENT_KYC_ORDERS": self.databases.connection("orders"),
            "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": self.databases.connection("warehouse"),
            "AIRFLOW_CONN_TENCENT_KYC_PII": json.dumps({"conn_type": "generic", "password": self._pii_key}),
        }

    def _base_env(self) -> dict[str, str]:
        """The caller's environment without any Airflow, provider or AWS setting (e.g. a test session's)."""
        return {
            name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "TENCENT_KYC", "AWS_"))
        }

    def airflow_env(self) -> dict[str, str]:
        """The environment of every Airflow process (and of ``airflow db migrate``)."""
        return {
            **self._base_env(),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(max(8, self.config.parallel_shards)),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.databases.metadata_url(),
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self._log_server_port),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the run triggered here
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
            **self._airflow_secrets,
            **self.connections(),
            "TENCENT_KYC_STORAGE_ROOT": f"s3://aws_default@{self.bucket}/kyc",
            "TENCENT_KYC_PARALLEL_SHARDS": str(self.config.parallel_shards),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    # -- services -------------------------------------------------------------------------------------

    def _spawn(self, name: str, *arguments: str) -> Service:
        return self.services.launch(name, [sys.executable, "-m", "airflow", *arguments], self.airflow_env())

    def _start_simulator(self) -> None:
        config = self.config
        port_file = self.var / "simulator.port"
        port_file.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "tencent_kyc_dev.simulator", "--port", "0", "--port-file", str(port_file),
            "--orders-per-day", str(config.orders), "--qps", str(config.qps),
            "--overlap-seconds", str(config.overlap_seconds), "--today", (config.day + timedelta(days=1)).isoformat(),
        ]  # fmt: skip
        env = {**self._base_env(), "TENCENT_KYC_SIMULATOR_SECRET": self._simulator_secret}
        self.services.launch("simulator", command, env)
        self._simulator_port_file = port_file

    def _wait_for_simulator(self) -> None:
        port = self.services.wait("simulator", lambda: self._simulator_port_file.read_text().strip(), 30)
        self.simulator_url = f"http://127.0.0.1:{port}"
        self.services.wait("simulator", lambda: requests.get(f"{self.simulator_url}/healthz", timeout=2).ok, 30)

    def _start_moto(self) -> None:
        port = free_port()
        self.moto_url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        self.services.launch("moto", command, self._base_env())

    def _create_bucket(self) -> None:
        import boto3

        port = int(self.moto_url.rsplit(":", 1)[1])

        def listening() -> bool:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True

        self.services.wait("moto", listening, 30)
        s3 = boto3.client(
            "s3",
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=self.bucket)
        self.say(f"moto S3 on {self.moto_url}, bucket {self.bucket}")

    def _write_passwords(self) -> None:
        fd = os.open(self.passwords_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({USERNAME: self.password}, handle)

    def _seed_orders(self) -> None:
        day = self.config.day
        self.orders = self.databases.seed_orders(self.simulator_url, day)
        self.say(f"simulator on {self.simulator_url}; {len(self.orders)} orders of {day} seeded into kyc_orders")

    # -- the run --------------------------------------------------------------------------------------

    def run(self) -> RunReport:
        """Trigger the day, wait for the run, and check it (see the package docstring)."""
        run_id = self.airflow.trigger(self.config)
        run = self.airflow.wait_for_run(run_id, self.config.timeout)
        return self.report(run)

    def simulator_stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.simulator_url}/admin/stats", timeout=30).json())

    def report(self, run: dict[str, Any]) -> RunReport:
        instances = self.airflow.task_instances(run["dag_run_id"])
        stats = self.simulator_stats()
        warehouse = self.databases.warehouse_counts(self.config.day)
        return evaluate(self.config, run, instances, stats, warehouse, len(self.orders))
