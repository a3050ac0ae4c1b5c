"""docker-compose.yaml, Dockerfile and .dockerignore, checked without a Docker engine.

The compose file is validated against the Compose Specification's JSON schema (bundled with check-jsonschema,
so offline), then its invariants are checked on the file as Compose reads it: the shared Airflow block, the
mounts, health checks, a scalable worker, connections that parse, validate and point at services of the file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.compose_helpers import (
    AIRFLOW_SERVICES,
    COMPOSE_FILE,
    DOCKERFILE,
    DOCKERIGNORE,
    ONE_SHOT,
    REPO,
    InterpolationError,
    command_args,
    connections,
    environment,
    host_and_port,
    interpolate,
    interpolate_tree,
)

#: Every service the deployment needs (the compose file may hold more).
REQUIRED_SERVICES = {
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
    "kyc-simulator",
    "s3",
    "kyc-orders-seed",
}
#: Compose variables a user may set (documented in the file's header); each needs a default.
DOCUMENTED_VARIABLES = {
    "AIRFLOW_IMAGE_NAME",
    "AIRFLOW_UID",
    "AIRFLOW_PROJ_DIR",
    "_AIRFLOW_WWW_USER_USERNAME",
    "_AIRFLOW_WWW_USER_PASSWORD",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_FERNET_KEY",
}


# -- the Compose Specification's schema ------------------------------------------------------------------------


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with its bundled compose-spec schema; any network access would fail (dead proxy)."""
    dead_proxy = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": dead_proxy, "HTTPS_PROXY": dead_proxy, "NO_PROXY": ""}
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_compose_file_follows_the_compose_specification() -> None:
    checked = check_jsonschema(COMPOSE_FILE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok -- validation done" in checked.stdout


@pytest.mark.parametrize(
    ("original", "broken", "error"),
    [
        (
            "    restart: always\n",
            "    restart: always\n    restart_policy: always\n",
            "'restart_policy' was unexpected",
        ),
        ("condition: service_healthy", "condition: service_healty", "depends_on"),
        ("      interval: 10s\n", "      interval: [10s]\n", "is not of type 'string'"),
    ],
    ids=["unknown-service-key", "unknown-depends-on-condition", "wrong-type"],
)
def test_the_schema_check_fails_on_an_invalid_file(tmp_path: Path, original: str, broken: str, error: str) -> None:
    text = COMPOSE_FILE.read_text()
    assert original in text
    invalid = tmp_path / "docker-compose.yaml"
    invalid.write_text(text.replace(original, broken, 1))
    checked = check_jsonschema(invalid)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert error in checked.stdout


# -- interpolation -------------------------------------------------------------------------------------------


def test_interpolation_follows_compose_rules() -> None:
    variables = {"SET": "value", "EMPTY": ""}
    assert interpolate("$${HOSTNAME} $$x", variables) == "${HOSTNAME} $x"
    assert interpolate("${SET:-d} ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} $SET", variables) == "value d d  value"
    with pytest.raises(InterpolationError):
        interpolate("${UNSET:?needed}", variables)
    with pytest.raises(InterpolationError):
        interpolate("echo $(id -u)", variables)


def test_every_compose_variable_is_documented_and_has_a_default() -> None:
    """A bare $VAR in a script would be replaced by Compose on the host (usually by nothing): only the
    documented variables may be used, each with a default so that `docker compose up` needs no .env file."""
    used: set[str] = set()
    interpolate_tree(yaml.safe_load(COMPOSE_FILE.read_text()), {}, used)
    assert used <= DOCUMENTED_VARIABLES, f"undocumented Compose variables: {sorted(used - DOCUMENTED_VARIABLES)}"
    header = COMPOSE_FILE.read_text().partition("\n---")[0]
    for name in used:
        assert re.search(rf"\$\{{{name}:-[^}}]*\}}", COMPOSE_FILE.read_text()), f"${{{name}}} has no default"
        assert name in header, f"{name} is not documented in the file's header"


# -- structure -------------------------------------------------------------------------------------------------


def test_every_service_of_the_deployment_is_there(services: dict[str, Any]) -> None:
    assert set(services) >= REQUIRED_SERVICES, sorted(REQUIRED_SERVICES - set(services))


def test_every_airflow_service_merges_the_common_block(services: dict[str, Any], common: dict[str, Any]) -> None:
    """The same image/build, environment (possibly extended), volumes and user; merged, not copied."""
    document = yaml.compose(COMPOSE_FILE.read_text())
    assert isinstance(document, yaml.MappingNode)
    top = {key.value: value for key, value in document.value}
    common_node, service_nodes = top["x-airflow-common"], {key.value: value for key, value in top["services"].value}
    for name in sorted(AIRFLOW_SERVICES):
        merged = [value for key, value in service_nodes[name].value if key.value == "<<"]
        assert merged and merged[0] is common_node, f"{name} does not merge <<: *airflow-common"
        service = services[name]
        for key in ("image", "build", "volumes"):
            assert service[key] == common[key], f"{name}: {key} differs from x-airflow-common"
        if name != "airflow-init":  # the init container runs as root, as in the official file
            assert service["user"] == common["user"], name
        assert environment(common).items() <= environment(service).items(), f"{name} overrides the common env"


def test_the_airflow_image_is_built_from_the_dockerfile(common: dict[str, Any], services: dict[str, Any]) -> None:
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", DOCKERFILE.read_text(), flags=re.MULTILINE | re.IGNORECASE)
    assert common["build"] == {"context": ".", "target": "airflow"}
    assert common["image"] == "tencent-kyc-airflow:3.3.2"
    assert services["kyc-simulator"]["image"] == common["image"]  # the simulator runs from the same image
    for name, service in services.items():
        if "build" in service:
            assert service["build"]["target"] in stages, f"{name}: no Dockerfile stage {service['build']['target']}"


def test_dags_and_plugins_are_mounted_into_airflow_home(common: dict[str, Any]) -> None:
    mounts = {}
    for volume in common["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    assert mounts["/opt/airflow/dags"] == "./dags"
    assert mounts["/opt/airflow/plugins"] == "./plugins"
    assert (REPO / "dags" / "tencent_kyc_daily.py").is_file()
    assert (REPO / "plugins" / "tencent_kyc" / "__init__.py").is_file()


def test_long_running_services_have_health_checks_and_one_shots_exit(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service.get("restart", "no") == "no", f"{name} runs once: it must not be restarted"
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test != ["NONE"] and not service["healthcheck"].get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") == "always", f"{name} should be restarted"


def test_dependencies_wait_for_what_they_need(services: dict[str, Any]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for needed, how in depends_on.items():
            assert needed in services, f"{name} depends on unknown service {needed}"
            expected = "service_completed_successfully" if needed in ONE_SHOT else "service_healthy"
            assert how["condition"] == expected, f"{name} -> {needed}"
    for name in AIRFLOW_SERVICES - {"airflow-init", "kyc-orders-seed"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert {"kyc-simulator", "s3", "airflow-apiserver"} <= set(services["airflow-worker"]["depends_on"])
    assert {"postgres", "kyc-simulator"} <= set(services["kyc-orders-seed"]["depends_on"])
    assert "s3" in services["airflow-init"]["depends_on"]  # it creates the bucket


def test_the_worker_can_be_scaled(services: dict[str, Any]) -> None:
    worker = services["airflow-worker"]
    for key in ("container_name", "ports", "hostname"):
        assert key not in worker, f"airflow-worker must not set {key} (docker compose up --scale airflow-worker=3)"
    assert worker["command"] == "celery worker"
    assert "${HOSTNAME}" in " ".join(worker["healthcheck"]["test"])  # each replica pings itself


def test_celery_executor_and_settings_shared_by_every_component(common_env: dict[str, str]) -> None:
    assert common_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common_env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert common_env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"  # it runs on `up`, no clicks
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in common_env  # dependencies are in the image
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):  # random per process when unset
        assert common_env[key], key
    assert common_env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    assert common_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "airflow:admin"


# -- where everything points -------------------------------------------------------------------------------------


def listening_port(name: str, service: dict[str, Any]) -> int:
    """The port a service listens on inside the network, from its command where it sets one."""
    args = command_args(service)
    for flag in ("--port", "-p"):
        if flag in args:
            return int(args[args.index(flag) + 1])
    return {"postgres": 5432, "redis": 6379, "airflow-apiserver": 8080}[name]


def test_every_address_points_at_a_service_of_the_file(services: dict[str, Any], common_env: dict[str, str]) -> None:
    defaults = {"postgres": 5432, "postgresql": 5432, "redis": 6379, "http": 80}
    addresses: list[tuple[str, str, int | None]] = []  # (what, host, port)
    for key in (
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    ):
        scheme = common_env[key].split("://")[0].removeprefix("db+").split("+")[0]
        addresses.append((key, *host_and_port(common_env[key], default_port=defaults.get(scheme))))
    for conn_id, conn in connections(common_env).items():
        if conn.get("host"):
            default = defaults.get(conn["conn_type"], 80)
            addresses.append((conn_id, *host_and_port(conn["host"], conn.get("port"), default_port=default)))
        if endpoint := conn.get("extra", {}).get("endpoint_url"):
            addresses.append((f"{conn_id} endpoint_url", *host_and_port(endpoint, default_port=80)))
    seed = command_args(services["kyc-orders-seed"])
    url = seed[seed.index("--simulator-url") + 1]
    addresses.append(("kyc-orders-seed --simulator-url", *host_and_port(url, default_port=80)))

    assert {what.split()[0] for what, _, _ in addresses} >= {
        "tencent_kyc_default",
        "tencent_kyc_credentials_db",
        "tencent_kyc_orders",
        "tencent_kyc_warehouse",
        "aws_default",
    }
    for what, host, port in addresses:
        assert host in services, f"{what} points at {host!r}, not a service of the file"
        assert port == listening_port(host, services[host]), f"{what}: port {port} but {host} listens elsewhere"


def test_the_postgres_init_creates_the_database_and_role_of_the_connections(
    compose: dict[str, Any], services: dict[str, Any], common_env: dict[str, str]
) -> None:
    postgres = services["postgres"]
    (mounted,) = postgres["configs"]
    assert mounted["target"].startswith("/docker-entrypoint-initdb.d/") and mounted["target"].endswith(".sql")
    script = compose["configs"][mounted["source"]]["content"]
    roles = dict(re.findall(r"CREATE ROLE (\w+) WITH LOGIN PASSWORD '([^']*)';", script))
    databases = dict(re.findall(r"CREATE DATABASE (\w+) OWNER (\w+);", script))
    env = environment(postgres)
    roles[env["POSTGRES_USER"]] = env["POSTGRES_PASSWORD"]
    databases[env["POSTGRES_DB"]] = env["POSTGRES_USER"]
    postgres_connections = {i: c for i, c in connections(common_env).items() if c["conn_type"] == "postgres"}
    assert set(postgres_connections) == {"tencent_kyc_credentials_db", "tencent_kyc_orders", "tencent_kyc_warehouse"}
    for conn_id, conn in postgres_connections.items():
        assert conn["schema"] == "kyc_warehouse", conn_id
        assert roles.get(conn["login"]) == conn["password"], f"{conn_id}: no such role/password in the init script"
        assert databases.get(conn["schema"]) == conn["login"], f"{conn_id}: database not owned by its login"


# -- the connections, read by the code that uses them -------------------------------------------------------


@pytest.fixture
def compose_connections(common_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """The compose file's connections and tencent_kyc settings, set in this process's environment."""
    for key, value in common_env.items():
        if key.startswith(("AIRFLOW_CONN_", "TENCENT_KYC_")):
            monkeypatch.setenv(key, value)
    return connections(common_env)


def test_the_tencent_kyc_connection_validates_and_matches_the_simulator(
    compose_connections: dict[str, dict[str, Any]], services: dict[str, Any]
) -> None:
    from airflow.sdk import BaseHook

    from tencent_kyc.hooks.settings import KycSettings
    from tencent_kyc_dev.simulator.__main__ import build_parser
    from tencent_kyc_dev.simulator.config import DEMO_APP_ID, DEMO_SECRET, SimulatorConfig

    settings = KycSettings.from_connection(BaseHook.get_connection("tencent_kyc_default"))
    assert compose_connections["tencent_kyc_default"]["conn_type"] == "tencent_kyc"
    assert settings.base_url == "http://kyc-simulator:8080"
    assert settings.credential_store == "database"
    assert settings.qps_quota == 20
    assert settings.credential_conn_id == "tencent_kyc_credentials_db"
    assert compose_connections[settings.credential_conn_id]["conn_type"] == "postgres"  # advisory locks

    args = command_args(services["kyc-simulator"])
    assert args[:3] == ["python", "-m", "tencent_kyc_dev.simulator"]
    simulator = SimulatorConfig(**vars(build_parser().parse_args(args[3:])))  # the real flags, or SystemExit
    assert (simulator.host, simulator.port) == ("0.0.0.0", 8080)
    assert (settings.app_id, settings.secret) == (simulator.app_id, DEMO_SECRET) == (DEMO_APP_ID, DEMO_SECRET)
    assert settings.qps_quota <= simulator.qps


def test_the_other_connections_work_with_their_users(compose_connections: dict[str, dict[str, Any]]) -> None:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.sdk import BaseHook

    from tencent_kyc.warehouse.dialects import warehouse_for
    from tencent_kyc.warehouse.pii import PiiPolicy
    from tencent_kyc.warehouse.postgres import PostgresWarehouse

    assert isinstance(warehouse_for("tencent_kyc_warehouse"), PostgresWarehouse)
    assert PiiPolicy.from_param({"key_conn_id": "tencent_kyc_pii"}).load_key()  # long enough to be a key
    orders = BaseHook.get_hook("tencent_kyc_orders")
    assert orders.placeholder == "%s" and orders.get_connection("tencent_kyc_orders").schema == "kyc_warehouse"
    s3 = S3Hook(aws_conn_id="aws_default")
    assert s3.conn_config.get_service_endpoint_url("s3") == "http://s3:5000"
    assert s3.conn_config.region_name == "us-east-1"


def test_the_dag_finds_every_connection_the_pool_the_storage_root_and_the_orders(
    compose_connections: dict[str, dict[str, Any]], common_env: dict[str, str], services: dict[str, Any]
) -> None:
    """Loaded with the compose environment, the DAG's defaults name only connections the file defines."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "tencent_kyc_daily.py"))
    assert bag.import_errors == {}
    assert set(bag.dags) == {"tencent_kyc_ocr_daily", "tencent_kyc_face_daily"}
    for dag_id, fetch_task in (
        ("tencent_kyc_ocr_daily", "fetch_ocr_results"),
        ("tencent_kyc_face_daily", "fetch_face_results"),
    ):
        dag = bag.dags[dag_id]  # as parsed (get_dag would read the metadata database)
        assert dag.get_task(fetch_task).pool == common_env["TENCENT_KYC_POOL"] == "tencent_kyc_api"

    def conn_ids(value: Any, key: str = "") -> list[str]:
        if isinstance(value, dict):
            return [found for k, v in value.items() for found in conn_ids(v, k)]
        return [value] if key.endswith("conn_id") and isinstance(value, str) else []

    defaults = {name: dag.params[name] for name in dag.params}
    named = conn_ids(defaults)
    assert {"tencent_kyc_default", "tencent_kyc_orders", "tencent_kyc_warehouse", "tencent_kyc_pii"} <= set(named)
    assert set(named) <= set(compose_connections), sorted(set(named) - set(compose_connections))
    assert defaults["storage_root"] == common_env["TENCENT_KYC_STORAGE_ROOT"] == "s3://aws_default@tencent-kyc/kyc"
    root_conn = common_env["TENCENT_KYC_STORAGE_ROOT"].removeprefix("s3://").split("@")[0]
    assert compose_connections[root_conn]["conn_type"] == "aws"

    # kyc-orders-seed fills the table the default order source reads, through the same connection, and
    # covers yesterday (the first scheduled run's date) and the days ahead.
    from tencent_kyc_dev.simulator.seed import build_parser

    seed_args = command_args(services["kyc-orders-seed"])
    assert seed_args[:3] == ["python", "-m", "tencent_kyc_dev.simulator.seed"]
    seed = build_parser().parse_args(seed_args[3:])
    source = defaults["order_source"]
    assert source["kind"] == "sql" and source["conn_id"] == seed.conn_id == "tencent_kyc_orders"
    assert re.search(rf"\bFROM {seed.table}\b", source["sql"]), source["sql"]
    assert seed.past_days >= 1 and seed.future_days >= 7


# -- Dockerfile and .dockerignore ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_extends_airflow_3_3_2_and_installs_the_requirements() -> None:
    instructions = dockerfile_instructions()
    bases = [arguments.split()[0] for instruction, arguments in instructions if instruction == "FROM"]
    assert instructions[0][0] == "FROM"
    assert bases and all(re.fullmatch(r"apache/airflow:3\.3\.2(-python3\.\d+)?", base) for base in bases), bases
    airflow_stage = instructions[next(i for i, (_, a) in enumerate(instructions) if a.endswith("AS airflow")) :]
    runs = [arguments for instruction, arguments in airflow_stage if instruction == "RUN"]
    # The provider (requirements.txt) and the tools distribution, whose simulator and seed the compose stack
    # runs, in one resolution against the constraints.
    install = r"pip install .*-r requirements\.txt -e plugins/tencent_kyc_dev -c constraints\.txt"
    assert any(re.search(install, run) for run in runs), runs
    copied = " ".join(arguments for instruction, arguments in airflow_stage if instruction == "COPY")
    # requirements.txt has "-e .": pip needs the project (pyproject.toml, its readme) and the package sources;
    # plugins/ also holds the tools' own pyproject.toml.
    assert "-e ." in (REPO / "requirements.txt").read_text().splitlines()
    assert (REPO / "plugins" / "tencent_kyc_dev" / "pyproject.toml").is_file()
    for needed in ("requirements.txt", "constraints.txt", "pyproject.toml", "README.md", "plugins/"):
        assert needed in copied.split(), f"the airflow stage does not COPY {needed}"
    assert not any("_PIP_ADDITIONAL_REQUIREMENTS" in arguments for _, arguments in instructions)


def test_the_dockerignore_keeps_local_state_out_and_what_the_build_copies_in() -> None:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip()]
    patterns = [pattern for pattern in patterns if not pattern.startswith("#")]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) or path.startswith(pattern.rstrip("/") + "/") for pattern in patterns)

    for path in (".venv", ".git", "var", ".mypy_cache", "plugins/tencent_kyc/__pycache__", "plugins/x.egg-info"):
        assert ignored(path), f"{path} is sent to the Docker build"
    for path in ("requirements.txt", "constraints.txt", "pyproject.toml", "README.md", "dags/tencent_kyc_daily.py"):
        assert not ignored(path), f"{path} is needed by the build but ignored"
    for path in (REPO / "plugins").rglob("*.py"):
        relative = str(path.relative_to(REPO))
        assert "__pycache__" in relative or not ignored(relative), relative


def test_the_connection_json_values_parse(common_env: dict[str, str]) -> None:
    found = connections(common_env)
    assert set(found) == {
        "tencent_kyc_default",
        "tencent_kyc_credentials_db",
        "tencent_kyc_orders",
        "tencent_kyc_warehouse",
        "tencent_kyc_pii",
        "aws_default",
    }
    for conn_id, conn in found.items():
        assert isinstance(conn.get("conn_type"), str), conn_id
        assert isinstance(conn.get("extra", {}), dict), f"{conn_id}: extra must be a JSON object"
    assert json.loads(common_env["AIRFLOW_CONN_TENCENT_KYC_PII"])["conn_type"] == "generic"


def test_every_connection_secret_is_long_enough_to_be_masked(compose_connections: dict[str, dict[str, Any]]) -> None:
    """Airflow masks a connection's password in every task that reads it, but skips values under 5 characters
    with a warning in the task log (a 3-character demo password once warned in every fetch task)."""
    short = [conn_id for conn_id, conn in compose_connections.items() if 0 < len(conn.get("password") or "") < 5]
    assert short == []
