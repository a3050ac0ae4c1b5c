"""Test session set-up: an isolated AIRFLOW_HOME, and the real services the tests talk to.

The simulator runs as a real HTTP server on loopback; PostgreSQL is the local server started by
`make test` (tests/services/start_postgres.sh) — a test needing it fails, never skips, when it is down.

Never import this module from a test (helpers live in modules of their own): with ``--import-mode=importlib``
an import runs it a second time, which points AIRFLOW_HOME at a second, unmigrated folder.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if os.environ.get("KYC_TEST_SESSION_PID") == str(os.getpid()):
    raise ImportError("tests/conftest.py was imported by a test: import its helpers from their own modules")
os.environ["KYC_TEST_SESSION_PID"] = str(os.getpid())
_HOME = tempfile.mkdtemp(prefix="kyc-airflow-home-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dags"
)
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

import pytest  # noqa: E402

from connections import connection_json  # noqa: E402

if TYPE_CHECKING:
    from tencent_kyc_dev.simulator.server import SimulatorServer

#: Fixtures that reach the test PostgreSQL: a test using one (directly or through another fixture) is marked
#: ``postgres``, so that the fast lane (``make test-fast``) can leave it out.
POSTGRES_FIXTURES = frozenset({"postgres_dsn", "postgres_conn_id", "postgres_schema"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what needs a service the fast lane does not start: PostgreSQL, the multi-process stack, Chromium."""
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
        if "stack" in item.path.parts:
            item.add_marker(pytest.mark.stack)
            item.add_marker(pytest.mark.postgres)
        if "browser" in item.path.name:
            item.add_marker(pytest.mark.browser)


POSTGRES_DSN = os.environ.get("KYC_TEST_POSTGRES_DSN", "postgresql://kyc_test:kyc_test@127.0.0.1:5432/kyc_test")


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators with any knobs; all are stopped at the end of the test."""
    started: list[SimulatorServer] = []

    from tencent_kyc_dev.simulator.config import SimulatorConfig
    from tencent_kyc_dev.simulator.server import SimulatorServer

    def start(**knobs: Any) -> SimulatorServer:
        server = SimulatorServer(SimulatorConfig(port=0, **knobs))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def simulator(simulator_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    return simulator_factory()


@pytest.fixture
def kyc_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Callable[..., str]:
    """Point ``tencent_kyc_default`` at a simulator; returns the connection id."""

    def configure(
        simulator: SimulatorServer, conn_id: str = "tencent_kyc_default", secret: str | None = None, **extra: Any
    ) -> str:
        extra.setdefault("credential_path", str(tmp_path / f"{conn_id}.credentials"))
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", connection_json(simulator, secret, **extra))
        return conn_id

    return configure


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """A migrated Airflow metadata database (SQLite in the session's AIRFLOW_HOME), for ``dag.test()``."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return _HOME


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real S3 endpoint on loopback (moto's server), as the endpoint_url of the ``aws_default`` connection."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws_connection(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``aws_default`` pointing at the moto server, with dummy credentials (never the metadata service)."""
    extra = {"endpoint_url": moto_server, "region_name": "us-east-1"}
    conn = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return "aws_default"


@pytest.fixture
def s3_client(moto_server: str) -> Any:
    """A boto3 S3 client of the moto server, to look at what the code under test wrote there."""
    import boto3

    return boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The test PostgreSQL's DSN; fails loudly (never skips) if the server is not running."""
    import psycopg

    try:
        psycopg.connect(POSTGRES_DSN, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_DSN} is not reachable (run `make test`, which starts it): {exc}")
    return POSTGRES_DSN


@pytest.fixture
def postgres_conn_id(postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test PostgreSQL as the Airflow connection ``kyc_test_postgres``."""
    monkeypatch.setenv("AIRFLOW_CONN_KYC_TEST_POSTGRES", postgres_dsn)
    return "kyc_test_postgres"


@pytest.fixture
def postgres_schema(postgres_dsn: str) -> Iterator[str]:
    """A fresh schema in the test PostgreSQL, dropped afterwards."""
    import uuid

    import psycopg

    schema = f"wh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")
