"""Run the daily DAG on a real multi-process Airflow, without Docker, and check what a deployment must hold.

``python -m tencent_kyc_dev.stack [--var var/stack] [--date YYYY-MM-DD] [--orders 5000] [--shard-size 1250] ...``
(``--help`` lists every option). It starts, each as an OS process of its own (output in ``<var>/logs/``):

- the Tencent KYC simulator (``python -m tencent_kyc_dev.simulator``) holding ``--orders`` orders a day, with the
  QPS quota raised to ``--qps`` and the token overlap shortened to ``--overlap-seconds``, so that a process
  still signing with a replaced ticket is refused within the run;
- a moto S3 server (``python -m moto.server``) and a bucket in it, for the staging and evidence objects
  (``TENCENT_KYC_STORAGE_ROOT=s3://aws_default@<bucket>/kyc``);
- Airflow's ``api-server``, ``scheduler`` (LocalExecutor, parallelism 8) and ``dag-processor``, on a
  PostgreSQL metadata database, with a fresh AIRFLOW_HOME ``<var>/airflow``, the repository's ``dags/`` and
  ``plugins/``, no examples, and the scheduler's own schedule off (only the triggered run runs).

Databases, dropped and re-created on the PostgreSQL server of ``--postgres`` (its role must be allowed to
create databases): ``<prefix>_airflow`` (metadata, ``airflow db migrate``), ``<prefix>_orders`` (table
``kyc_orders(order_no TEXT, order_date DATE)`` seeded with the simulator's orders of the date),
``<prefix>_warehouse`` (the warehouse) and ``<prefix>_credentials`` (the shared credential store).

Connections are environment variables (``AIRFLOW_CONN_*``), as in the demo: ``tencent_kyc_default`` (the
simulator; ``qps_quota`` = ``--qps``, ``refresh_seconds`` = ``--refresh-seconds``, ``credential_store`` =
``--credential-store``, by default ``database`` through ``tencent_kyc_credentials``), ``aws_default``
(moto), ``tencent_kyc_orders``, ``tencent_kyc_warehouse`` (PostgreSQL) and ``tencent_kyc_pii`` (the HMAC
key). ``TENCENT_KYC_PARALLEL_SHARDS`` is ``--parallel-shards``.

Through the REST API (simple auth manager: user ``admin``, a generated password in
``<var>/airflow/simple_auth_manager_passwords.json``, a JWT from ``POST /auth/token``) it unpauses
``tencent_kyc_ocr_daily``, triggers it with a ``logical_date`` and ``conf`` ``{"order_date", "shard_size"}``,
polls until the run ends (or ``--timeout``), and checks:

- ``run_succeeded``: the DAG run succeeded;
- ``shards_succeeded``: every mapped ``fetch_ocr_results`` task instance (one per shard) succeeded;
- ``shards_concurrent``: at least two of them ran at the same time (their start/end times overlap);
- ``one_token_per_window``: the simulator saw no two token requests within one refresh window;
- ``no_concurrent_token_requests``: never two token requests at once;
- ``no_throttling``: no call refused for the QPS or concurrency quota;
- ``no_auth_refusals``: no call refused for a dead or unknown token or ticket;
- ``warehouse_exactly_once``: ``kyc_order_status`` holds each seeded order of the date exactly once.

It prints a report, writes it to ``<var>/report.json`` and exits 0 only when every check passed. Every
process it started is stopped at the end, also on Ctrl-C or a failure, unless ``--keep-running`` asks to
leave the stack up (for the UI at the printed URL) until Ctrl-C. Logs stay under ``<var>``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import requests

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "tencent_kyc_ocr_daily"
FETCH_TASK = "fetch_ocr_results"
DEFAULT_POSTGRES = "postgresql://kyc_test:kyc_test@127.0.0.1:5432/kyc_test"
USERNAME = "admin"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
#: A token request this much earlier than a full refresh window after the previous one counts as a second
#: request in that window (the hook stamps the pair just before asking; the simulator when it arrives).
TOKEN_GAP_TOLERANCE = 0.5
#: Databases of a stack, by role: name suffixes.
DATABASES = ("airflow", "orders", "warehouse", "credentials")
AUTH_REFUSALS = ("dead_token", "dead_ticket", "unknown_token", "bad_signature")
QUOTA_REFUSALS = ("throttled", "tps_exceeded")


class StackError(RuntimeError):
    """The stack could not be brought up or driven; the message says which part and where its log is."""


@dataclass(frozen=True)
class StackConfig:
    """What to run. The defaults are the deployment check: 5,000 orders in 4 shards, about a minute."""

    var: Path = REPO / "var" / "stack"
    day: date = field(default_factory=lambda: datetime.now(UTC).date() - timedelta(days=1))
    orders: int = 5000
    shard_size: int = 1250
    parallel_shards: int = 4
    qps: int = 100
    refresh_seconds: float = 15.0
    overlap_seconds: float = 5.0
    credential_store: str = "database"
    get_file: bool = True
    concurrency: int = 8
    postgres: str = DEFAULT_POSTGRES
    db_prefix: str = "kyc_stack"
    timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.orders < 1 or self.shard_size < 1 or self.parallel_shards < 1 or self.qps < 1:
            raise ValueError("orders, shard_size, parallel_shards and qps must be positive")
        if self.credential_store not in ("database", "file", "process"):
            raise ValueError("credential_store must be database, file or process")
        if not self.db_prefix.replace("_", "").isalnum() or not self.db_prefix[0].isalpha():
            raise ValueError("db_prefix must be letters, digits and underscores, starting with a letter")

    @property
    def shards(self) -> int:
        return math.ceil(self.orders / self.shard_size)

    def database(self, role: str) -> str:
        return f"{self.db_prefix}_{role}"


@dataclass(frozen=True)
class Check:
    passed: bool
    detail: str


@dataclass(frozen=True)
class ShardRun:
    map_index: int
    label: str | None
    state: str | None
    start: str | None
    end: str | None
    try_number: int


@dataclass
class RunReport:
    """What the run did and what the checks found; ``checks`` by name (see the module docstring)."""

    dag_run_id: str
    state: str
    finished: bool
    duration_seconds: float | None
    order_date: str
    orders_seeded: int
    credential_store: str
    refresh_seconds: float
    task_states: dict[str, dict[str, int]]
    shards: list[ShardRun]
    max_concurrent_shards: int
    token_requests: int
    token_gaps: list[float]
    max_concurrent_token_requests: int
    quota_refusals: dict[str, int]
    auth_refusals: dict[str, int]
    ocr_requests: int
    warehouse: dict[str, Any]
    checks: dict[str, Check]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)

    def describe(self) -> str:
        lines = [
            f"=== {DAG_ID} for {self.order_date}: run {self.dag_run_id} {self.state}"
            + (f" in {self.duration_seconds:.0f} s" if self.duration_seconds is not None else " (not finished)"),
            f"orders seeded {self.orders_seeded}; credential store {self.credential_store!r}; "
            f"refresh every {self.refresh_seconds:g} s",
            "task instances: "
            + "; ".join(f"{task} {dict(states)}" for task, states in sorted(self.task_states.items())),
            f"fetch shards: {len(self.shards)}, at most {self.max_concurrent_shards} running at once",
        ]
        lines += [
            f"  {shard.label or shard.map_index}: {shard.state} {shard.start} .. {shard.end}" for shard in self.shards
        ]
        lines += [
            f"simulator: {self.ocr_requests} getOcrResult calls, {self.token_requests} token requests "
            f"(gaps {', '.join(f'{gap:.1f}' for gap in self.token_gaps) or '-'} s), at most "
            f"{self.max_concurrent_token_requests} at once; quota refusals {self.quota_refusals}; "
            f"auth refusals {self.auth_refusals}",
            f"warehouse: {self.warehouse}",
            "checks:",
        ]
        lines += [
            f"  [{'PASS' if check.passed else 'FAIL'}] {name}: {check.detail}" for name, check in self.checks.items()
        ]
        return "\n".join(lines)


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


def _postgres_parts(dsn: str) -> dict[str, Any]:
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(dsn)
    return {
        "host": str(parts.get("host") or "127.0.0.1"),
        "port": int(parts.get("port") or 5432),
        "user": str(parts.get("user") or ""),
        "password": str(parts.get("password") or ""),
        "dbname": str(parts.get("dbname") or ""),
    }


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
        self._pg = _postgres_parts(config.postgres)
        self._simulator_secret = secrets.token_hex(24)
        self._pii_key = secrets.token_hex(32)
        self._log_server_port = free_port()  # the scheduler serves task logs there
        self._airflow_secrets = {  # the same in every Airflow process: JWTs and encrypted values must agree
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        }
        self._services: dict[str, Service] = {}
        #: Every service process started (each leads a session holding its descendants), for callers to verify.
        self.started_pids: list[int] = []
        self._echo = echo
        self._token: str | None = None
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
        self._create_databases()
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
        self._wait_for_airflow()
        self.say(f"Airflow UI and API on {self.api_url} (user {USERNAME}, password in {self.passwords_file})")

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
        self.say(f"stopped every process ({len(leftovers)} killed after the grace period); logs in {self.logs}")

    # -- environment ----------------------------------------------------------------------------------

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def _postgres_conn(self, role: str) -> str:
        pg = self._pg
        return json.dumps(
            {
                "conn_type": "postgres",
                "host": pg["host"],
                "port": pg["port"],
                "login": pg["user"],
                "password": pg["password"],
                "schema": self.config.database(role),
            }
        )

    def _dsn(self, role: str) -> str:
        from psycopg.conninfo import make_conninfo

        pg = self._pg
        return make_conninfo(
            host=pg["host"],
            port=pg["port"],
            user=pg["user"],
            password=pg["password"],
            dbname=self.config.database(role),
        )

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
            "AIRFLOW_CONN_TENCENT_KYC_CREDENTIALS": self._postgres_conn("credentials"),
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws),
            "AIRFLOW_CONN_TENCENT_KYC_ORDERS": self._postgres_conn("orders"),
            "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": self._postgres_conn("warehouse"),
            "AIRFLOW_CONN_TENCENT_KYC_PII": json.dumps({"conn_type": "generic", "password": self._pii_key}),
        }

    def _base_env(self) -> dict[str, str]:
        """The caller's environment without any Airflow, provider or AWS setting (e.g. a test session's)."""
        return {
            name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "TENCENT_KYC", "AWS_"))
        }

    def airflow_env(self) -> dict[str, str]:
        """The environment of every Airflow process (and of ``airflow db migrate``)."""
        pg = self._pg
        metadata = (
            f"postgresql+psycopg2://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/"
            f"{self.config.database('airflow')}"
        )
        return {
            **self._base_env(),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(max(8, self.config.parallel_shards)),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
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

    def _launch(self, name: str, command: list[str], env: Mapping[str, str]) -> Service:
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=self.var,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session: Ctrl-C reaches us only; stop() finds its descendants
            )
        service = Service(name, process, log_path)
        self._services[name] = service
        self.started_pids.append(process.pid)
        self.say(f"started {name} (pid {process.pid}), log {log_path}")
        return service

    def _spawn(self, name: str, *arguments: str) -> Service:
        return self._launch(name, [sys.executable, "-m", "airflow", *arguments], self.airflow_env())

    def _require_alive(self) -> None:
        for service in self._services.values():
            if not service.alive():
                raise StackError(
                    f"{service.name} exited with {service.process.returncode}; log {service.log_path}:\n"
                    + service.log_tail()
                )

    def _wait(self, what: str, ready: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            self._require_alive()
            with contextlib.suppress(requests.RequestException, OSError):
                value = ready()
                if value:
                    return value
            if time.monotonic() > deadline:
                raise StackError(f"{what} not ready after {timeout:.0f} s (logs in {self.logs})")
            time.sleep(0.5)

    def _start_simulator(self) -> None:
        config = self.config
        port_file = self.var / "simulator.port"
        port_file.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "tencent_kyc_dev.simulator", "--port", "0", "--port-file", str(port_file),
            "--orders-per-day", str(config.orders), "--qps", str(config.qps),
            "--overlap-seconds", str(config.overlap_seconds), "--today", (config.day + timedelta(days=1)).isoformat(),
        ]  # fmt: skip
        self._launch("simulator", command, {**self._base_env(), "TENCENT_KYC_SIMULATOR_SECRET": self._simulator_secret})
        self._simulator_port_file = port_file

    def _wait_for_simulator(self) -> None:
        port = self._wait("simulator", lambda: self._simulator_port_file.read_text().strip(), 30)
        self.simulator_url = f"http://127.0.0.1:{port}"
        self._wait("simulator", lambda: requests.get(f"{self.simulator_url}/healthz", timeout=2).ok, 30)

    def _start_moto(self) -> None:
        port = free_port()
        self.moto_url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        self._launch("moto", command, self._base_env())

    def _create_bucket(self) -> None:
        import boto3

        port = int(self.moto_url.rsplit(":", 1)[1])

        def listening() -> bool:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True

        self._wait("moto", listening, 30)
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

    # -- databases ------------------------------------------------------------------------------------

    def _create_databases(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.config.postgres, autocommit=True, connect_timeout=10) as admin:
            for role in DATABASES:
                name = sql.Identifier(self.config.database(role))
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        self.say(f"databases {', '.join(self.config.database(role) for role in DATABASES)} created afresh")

    def _seed_orders(self) -> None:
        import psycopg

        from tencent_kyc_dev.simulator.seed import replace_day, simulator_orders

        day = self.config.day
        with requests.Session() as session:
            self.orders = simulator_orders(self.simulator_url, day, session)
        replace_day(lambda: psycopg.connect(self._dsn("orders")), "%s", "kyc_orders", day, self.orders)
        self.say(f"simulator on {self.simulator_url}; {len(self.orders)} orders of {day} seeded into kyc_orders")

    def warehouse_counts(self) -> dict[str, Any]:
        """``count(*)`` and ``count(DISTINCT order_no)`` of the date in ``kyc_order_status``, or the error."""
        import psycopg

        try:
            with psycopg.connect(self._dsn("warehouse")) as connection:
                row = connection.execute(
                    "SELECT count(*), count(DISTINCT order_no) FROM kyc_order_status WHERE order_date = %s",
                    (self.config.day,),
                ).fetchone()
        except psycopg.Error as exc:
            return {"error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"}
        rows, distinct = row if row else (0, 0)
        return {"rows": int(rows), "distinct_orders": int(distinct)}

    # -- Airflow's REST API ---------------------------------------------------------------------------

    def token(self) -> str:
        """A JWT of the simple auth manager's user, from ``POST /auth/token``."""
        if self._token is None:
            answer = requests.post(
                f"{self.api_url}/auth/token", json={"username": USERNAME, "password": self.password}, timeout=30
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
                f"{self.api_url}/api/v2{path}",
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

    def _wait_for_airflow(self) -> None:
        def healthy() -> bool:
            health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            return all(
                (health.get(part) or {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "dag_processor")
            )

        self._wait("api-server, scheduler and dag-processor", healthy, 120)

        def parsed() -> bool:
            errors = self.api("GET", "/importErrors")
            for error in errors.get("import_errors", []):
                if DAG_ID in str(error.get("filename", "")) or "tencent_kyc" in str(error.get("filename", "")):
                    raise StackError(f"the DAG file does not import: {error.get('stack_trace', '')[-2000:]}")
            with contextlib.suppress(StackError):
                return bool(self.api("GET", f"/dags/{DAG_ID}"))
            return False

        self._wait(f"DAG {DAG_ID}", parsed, 120)

    # -- the run --------------------------------------------------------------------------------------

    def trigger(self) -> str:
        """Unpause the DAG and trigger a run for the configured date; returns the run id."""
        config = self.config
        self.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
        conf: dict[str, Any] = {"order_date": config.day.isoformat(), "shard_size": config.shard_size}
        if not config.get_file:
            conf["get_file"] = False
        if config.concurrency != 8:
            conf["concurrency"] = config.concurrency
        run = self.api(
            "POST",
            f"/dags/{DAG_ID}/dagRuns",
            json={"logical_date": f"{config.day.isoformat()}T00:00:00+00:00", "conf": conf},
        )
        self.say(f"triggered {run['dag_run_id']} with conf {conf}")
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

    def wait_for_run(self, run_id: str) -> dict[str, Any]:
        """Poll the run until it ends or the timeout passes; prints task states as they change."""
        deadline, last = time.monotonic() + self.config.timeout, ""
        while True:
            self._require_alive()
            run: dict[str, Any] = self.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
            states = _task_states(self.task_instances(run_id))
            summary = "; ".join(f"{task} {dict(counts)}" for task, counts in states.items())
            if summary != last:
                self.say(f"run {run['state']}: {summary or 'no task instances yet'}")
                last = summary
            if run["state"] in ("success", "failed") or time.monotonic() > deadline:
                return run
            time.sleep(2)

    def run(self) -> RunReport:
        """Trigger the day, wait for the run, and check it (see the module docstring)."""
        run_id = self.trigger()
        run = self.wait_for_run(run_id)
        return self.report(run)

    def simulator_stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.simulator_url}/admin/stats", timeout=30).json())

    def report(self, run: dict[str, Any]) -> RunReport:
        config = self.config
        instances = self.task_instances(run["dag_run_id"])
        shards = sorted(
            (
                ShardRun(
                    ti["map_index"],
                    ti.get("rendered_map_index"),
                    ti["state"],
                    ti["start_date"],
                    ti["end_date"],
                    ti["try_number"],
                )
                for ti in instances
                if ti["task_id"] == FETCH_TASK and ti["map_index"] >= 0
            ),
            key=lambda shard: shard.map_index,
        )
        overlap = max_overlap([(shard.start, shard.end) for shard in shards])
        stats = self.simulator_stats()
        times = sorted(stats["token_request_times"])
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        quota = {name: int(stats[name]) for name in QUOTA_REFUSALS}
        auth = {name: int(stats[name]) for name in AUTH_REFUSALS}
        warehouse = self.warehouse_counts()
        expected_shards = config.shards
        duration = None
        if run.get("start_date") and run.get("end_date"):
            duration = (_instant(run["end_date"]) - _instant(run["start_date"])).total_seconds()
        seeded = len(self.orders)
        window = config.refresh_seconds - TOKEN_GAP_TOLERANCE
        checks = {
            "run_succeeded": Check(run["state"] == "success", f"run state {run['state']}"),
            "shards_succeeded": Check(
                len(shards) == expected_shards and all(shard.state == "success" for shard in shards),
                f"{Counter(shard.state for shard in shards)} of {expected_shards} shards expected",
            ),
            "shards_concurrent": Check(overlap >= 2, f"at most {overlap} fetch_ocr_results shards ran at once"),
            "one_token_per_window": Check(
                bool(times) and all(gap >= window for gap in gaps),
                f"{len(times)} token requests; shortest gap "
                f"{min(gaps, default=float('inf')):.2f} s (refresh window {config.refresh_seconds:g} s)",
            ),
            "no_concurrent_token_requests": Check(
                int(stats["max_concurrent_token_requests"]) <= 1,
                f"at most {stats['max_concurrent_token_requests']} token requests at once",
            ),
            "no_throttling": Check(not any(quota.values()), f"refused for quota: {quota}"),
            "no_auth_refusals": Check(not any(auth.values()), f"refused credentials: {auth}"),
            "warehouse_exactly_once": Check(
                warehouse.get("rows") == warehouse.get("distinct_orders") == seeded,
                f"kyc_order_status for {config.day}: {warehouse}; {seeded} orders seeded",
            ),
        }
        return RunReport(
            dag_run_id=run["dag_run_id"],
            state=run["state"],
            finished=run["state"] in ("success", "failed"),
            duration_seconds=duration,
            order_date=config.day.isoformat(),
            orders_seeded=seeded,
            credential_store=config.credential_store,
            refresh_seconds=config.refresh_seconds,
            task_states=_task_states(instances),
            shards=shards,
            max_concurrent_shards=overlap,
            token_requests=len(times),
            token_gaps=[round(gap, 3) for gap in gaps],
            max_concurrent_token_requests=int(stats["max_concurrent_token_requests"]),
            quota_refusals=quota,
            auth_refusals=auth,
            ocr_requests=int(stats["requests"].get("getOcrResult", 0)),
            warehouse=warehouse,
            checks=checks,
        )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _task_states(instances: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    states: dict[str, Counter[str]] = {}
    for ti in instances:
        states.setdefault(ti["task_id"], Counter())[str(ti["state"])] += 1
    return {task: dict(counts) for task, counts in states.items()}


def max_overlap(intervals: list[tuple[str | None, str | None]]) -> int:
    """The most intervals (ISO start, ISO end; an open end is "still running") covering one instant."""
    events: list[tuple[datetime, int]] = []
    for start, end in intervals:
        if start is None:
            continue
        events.append((_instant(start), 1))
        events.append((_instant(end) if end else datetime.max.replace(tzinfo=UTC), -1))
    running = most = 0
    for _, step in sorted(events):  # an end sorts before a start at the same instant: touching is no overlap
        running += step
        most = max(most, running)
    return most


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM ends the script like Ctrl-C does: through the ``finally`` that stops every process."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def build_parser() -> argparse.ArgumentParser:
    defaults = StackConfig()
    parser = argparse.ArgumentParser(
        prog="python -m tencent_kyc_dev.stack",
        description=(__doc__ or "").splitlines()[0],
        epilog="\n".join((__doc__ or "").splitlines()[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--var", type=Path, default=defaults.var, help="folder for AIRFLOW_HOME, logs and the report")
    parser.add_argument("--date", type=date.fromisoformat, default=defaults.day, help="order date (default: yesterday)")
    parser.add_argument("--orders", type=int, default=defaults.orders, help="orders of the date")
    parser.add_argument("--shard-size", type=int, default=defaults.shard_size, help="orders per shard task")
    parser.add_argument("--parallel-shards", type=int, default=defaults.parallel_shards, help="shard tasks at once")
    parser.add_argument(
        "--qps", type=int, default=defaults.qps, help="the simulator's QPS quota (and the connection's)"
    )
    parser.add_argument(
        "--refresh-seconds", type=float, default=defaults.refresh_seconds, help="credential refresh age (connection)"
    )
    parser.add_argument(
        "--overlap-seconds", type=float, default=defaults.overlap_seconds, help="simulator: life of a replaced token"
    )
    parser.add_argument(
        "--credential-store", choices=("database", "file", "process"), default=defaults.credential_store,
        help="the connection's credential store ('process' is expected to fail: one token per task process)",
    )  # fmt: skip
    parser.add_argument("--no-get-file", dest="get_file", action="store_false", help="skip the ID-card photos")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="requests in flight per shard")
    parser.add_argument("--postgres", default=defaults.postgres, help="DSN of a role allowed to create databases")
    parser.add_argument("--db-prefix", default=defaults.db_prefix, help="prefix of the databases (re-created)")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds to wait for the run")
    parser.add_argument("--keep-running", action="store_true", help="leave the stack up after the run until Ctrl-C")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = StackConfig(
        var=args.var, day=args.date, orders=args.orders, shard_size=args.shard_size,
        parallel_shards=args.parallel_shards, qps=args.qps, refresh_seconds=args.refresh_seconds,
        overlap_seconds=args.overlap_seconds, credential_store=args.credential_store, get_file=args.get_file,
        concurrency=args.concurrency, postgres=args.postgres, db_prefix=args.db_prefix, timeout=args.timeout,
    )  # fmt: skip
    with _sigterm_as_exit(), Stack(config) as stack:
        report = stack.run()
        (stack.var / "report.json").write_text(report.to_json())
        print(report.describe(), flush=True)
        print(f"report: {stack.var / 'report.json'}; logs: {stack.logs}", flush=True)
        if args.keep_running:
            print(f"Stack left running: {stack.api_url} (user {USERNAME}, password in {stack.passwords_file}).")
            print("Ctrl-C stops it.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    stack._require_alive()
                    time.sleep(5)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
