"""The stack script's pure parts: overlap counting, the configuration's checks, the connections it sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tencent_kyc_dev.stack.__main__ import build_parser
from tencent_kyc_dev.stack.config import StackConfig
from tencent_kyc_dev.stack.report import max_overlap
from tencent_kyc_dev.stack.runner import Stack


def test_max_overlap_counts_intervals_covering_one_instant() -> None:
    intervals: list[tuple[str | None, str | None]] = [
        ("2026-11-29T05:00:00Z", "2026-11-29T05:01:00Z"),
        ("2026-11-29T05:00:30Z", "2026-11-29T05:02:00Z"),
        ("2026-11-29T05:00:45+00:00", None),  # still running
        (None, None),  # never started
    ]
    assert max_overlap(intervals) == 3
    assert max_overlap([]) == 0


def test_touching_intervals_do_not_overlap() -> None:
    assert max_overlap([("2026-11-29T05:00:00Z", "2026-11-29T05:01:00Z"), ("2026-11-29T05:01:00Z", None)]) == 1


@pytest.mark.parametrize(
    "knobs",
    [{"orders": 0}, {"qps": 0}, {"credential_store": "memory"}, {"db_prefix": "1abc"}, {"db_prefix": "kyc-x"}],
)
def test_config_refuses_bad_values(knobs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        StackConfig(**knobs)  # type: ignore[arg-type]


def test_defaults_are_the_deployment_check() -> None:
    config = StackConfig()
    assert (config.orders, config.shards, config.parallel_shards, config.qps) == (5000, 4, 4, 100)
    assert config.refresh_seconds > config.overlap_seconds  # a replaced token dies within a window
    args = build_parser().parse_args(["--credential-store", "process", "--orders", "1200", "--no-get-file"])
    assert (args.credential_store, args.orders, args.get_file) == ("process", 1200, False)


def test_connections_share_one_store_and_keep_secrets_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "True")  # a test session's setting must not leak
    stack = Stack(StackConfig(var=tmp_path, db_prefix="kyc_unit"), echo=None)
    first, second = stack.airflow_env(), stack.airflow_env()
    assert first == second  # JWT secret, Fernet key, PII key, log port: the same in every process
    assert "AIRFLOW__CORE__UNIT_TEST_MODE" not in first
    kyc = json.loads(first["AIRFLOW_CONN_TENCENT_KYC_DEFAULT"])
    assert kyc["extra"] == {
        "qps_quota": 100,
        "refresh_seconds": 15.0,
        "credential_store": "database",
        "credential_conn_id": "tencent_kyc_credentials",
    }
    assert json.loads(first["AIRFLOW_CONN_TENCENT_KYC_CREDENTIALS"])["schema"] == "kyc_unit_credentials"
    assert json.loads(first["AIRFLOW_CONN_TENCENT_KYC_PII"])["conn_type"] == "generic"
    assert first["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert int(first["AIRFLOW__CORE__PARALLELISM"]) >= 4
    assert first["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert first["TENCENT_KYC_PARALLEL_SHARDS"] == "4"
    process = Stack(StackConfig(var=tmp_path, credential_store="process"), echo=None).connections()
    assert json.loads(process["AIRFLOW_CONN_TENCENT_KYC_DEFAULT"])["extra"]["credential_store"] == "process"
