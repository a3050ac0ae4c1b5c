"""The DAG's task bodies: every setting checked before any request, each bad one named, none retried."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from tencent_kyc.pipeline.config import RunConfig
from tencent_kyc.pipeline.record import busy_seconds
from tencent_kyc.pipeline.tasks import checked_settings
from tencent_kyc.warehouse.syncs import FACE, OCR

PARAMS: dict[str, Any] = {
    "order_source": {"kind": "list", "orders": ["A1"]},
    "order_date": "2026-11-27",
    "shard_size": 100,
    "concurrency": 4,
    "get_file": False,
    "policy": None,
    "quality_gate": {"max_rejected_share": 0.25, "max_no_result_share": 0.25, "mode": "fail"},
    "pii": {"idcard": "masked"},
    "tencent_kyc_conn_id": "tencent_kyc_default",
    "warehouse_conn_id": "tencent_kyc_warehouse",
    "retention_days": 3,
    "response_timeout": 600,
}


class Task:
    def render_template(self, text: str, context: dict[str, Any]) -> str:
        return text.replace("{{ order_date }}", context["order_date"])


@pytest.fixture
def context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(
        "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "w.db")})
    )
    return {"params": {**PARAMS, "storage_root": f"file://{tmp_path}"}, "task": Task(), "data_interval_start": None}


def test_good_settings_read_into_typed_values(context: dict[str, Any]) -> None:
    config, source, warehouse = checked_settings(context, OCR)
    assert config.order_date == date(2026, 11, 27) and config.evidence.get_file is False
    assert config.gate.mode == "fail" and config.layout.staging.path.endswith("staging/ocr/2026-11-27")
    assert list(source.iter_values()) == ["A1"] and warehouse.dialect == "sqlite"


def test_the_face_sync_reads_its_own_policy_and_media(context: dict[str, Any]) -> None:
    context["params"].update(face_media="photo", policy={"reject": ["face.*"], "similarity_threshold": 90})
    config, _, _ = checked_settings(context, FACE)
    assert config.evidence.face_media == "photo" and config.policy.similarity_threshold == 90  # type: ignore[attr-defined]
    assert config.layout.staging.path.endswith("staging/face/2026-11-27")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"quality_gate": {"max_rejected_share": 0.25, "max_no_result_share": 2}},
            "max_no_result_share must be a number from 0 to 1, got 2",
        ),
        ({"quality_gate": {"mode": "shout"}}, "quality_gate mode must be one of fail, warn, review, got 'shout'"),
        ({"quality_gate": {"maximum": 1}}, "quality_gate has unknown key(s) ['maximum']"),
        ({"policy": {"reject": ["no.such.code"]}}, "reject[0] 'no.such.code' matches no finding code"),
        ({"pii": {"idcard": "shredded"}}, "pii.idcard must be one of"),
        ({"pii": {"idcard": "hmac"}}, "connection 'tencent_kyc_pii'"),
        ({"order_source": {"kind": "ftp"}}, "unknown order source kind 'ftp'; known: file, list, sql"),
        ({"order_source": {"kind": "sql", "sql": "SELECT 1"}}, "needs ['conn_id']"),
        ({"warehouse_conn_id": "nowhere"}, "warehouse connection 'nowhere' cannot be read"),
        ({"shard_size": "many"}, "a DAG param is missing or malformed"),
        ({"response_timeout": 0}, "response_timeout must be a whole number of seconds, at least 1, got 0"),
    ],
)
def test_each_bad_setting_fails_for_good_naming_the_problem(
    context: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    context["params"].update(change)
    with pytest.raises(AirflowFailException) as raised:
        checked_settings(context, OCR)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"face_media": "audio"}, "face_media must be one of none, photo, video, both, got 'audio'"),
        ({"policy": {"reject": ["idcard.checksum"]}}, "reject[0] 'idcard.checksum' matches no finding code"),
        (
            {"policy": {"reject": [], "similarity_threshold": 101}},
            "'similarity_threshold' must be between 0 and 100, not 101",
        ),
    ],
)
def test_each_bad_face_setting_names_the_problem(context: dict[str, Any], change: dict[str, Any], message: str) -> None:
    context["params"].update(change)
    with pytest.raises(AirflowFailException) as raised:
        checked_settings(context, FACE)
    assert message in str(raised.value)


def test_the_order_date_defaults_to_the_data_interval() -> None:
    from datetime import datetime

    params = {**PARAMS, "order_date": None, "storage_root": "file:///tmp"}
    config = RunConfig.from_params(OCR, params, datetime(2026, 11, 26, tzinfo=UTC))
    assert config.order_date == date(2026, 11, 26)


def test_busy_seconds_counts_overlaps_once() -> None:
    assert busy_seconds([]) == 0
    assert busy_seconds([(0, 10), (5, 15), (20, 25)]) == 20
    assert busy_seconds([(0, 10), (2, 3)]) == 10
