"""The daily DAG end to end with ``dag.test()`` against the simulator, on local files and on S3 (moto)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import ObjectStoragePath

from tencent_kyc.storage import read_jsonl_gz

DAG_ID = "tencent_kyc_ocr_daily"
DAGS = Path(__file__).resolve().parents[2] / "dags"
DAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def dag(airflow_db: str) -> Any:
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def run(dag: Any, **conf: Any) -> Any:
    return dag.test(run_conf={"order_date": DAY.isoformat(), **conf})


def records(root: ObjectStoragePath, folder: str = "results") -> list[dict[str, Any]]:
    shards = sorted((root / "staging" / DAY.isoformat() / folder).iterdir())
    return [record for shard in shards for record in read_jsonl_gz(shard)]


@pytest.fixture
def day(simulator_factory: Callable[..., Any], kyc_connection: Any) -> tuple[Any, list[str]]:
    simulator = simulator_factory(qps=200, today=DAY, orders_per_day=120, photo_lag_seconds=0.2)
    kyc_connection(simulator, qps_quota=200, photo_retry_interval=0.3, backoff_seconds=0.05)
    orders = requests.get(simulator.url + "/admin/orders", params={"date": DAY.isoformat()}, timeout=30).json()
    return simulator, orders["orders"]


def test_the_dag_loads_with_its_tasks(dag: Any) -> None:
    assert set(dag.task_dict) == {
        "list_orders",
        "plan_shards",
        "fetch_ocr_results",
        "find_duplicate_ids",
        "validate_shard",
        "quality_gate",
    }
    assert dag.doc_md and "quota" in dag.doc_md


def test_every_order_ends_with_one_outcome_and_reruns_are_identical(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, tmp_path: Path
) -> None:
    simulator, orders = day
    source = {"kind": "list", "orders": [*orders, orders[0], orders[1], "bad order", "x" * 40]}
    root = f"file://{tmp_path}/data"
    conf = {"order_source": source, "storage_root": root, "shard_size": 50, "get_file": True}
    assert run(dag, **conf).state == "success"

    first = records(ObjectStoragePath(root))
    assert Counter(r["order_no"] for r in first) == Counter(orders)  # every order exactly once
    assert {r["outcome"] for r in first} <= {"fetched", "front_only", "back_only", "no_result", "failed"}
    assert any(r["photo_fallbacks"] for r in first)  # empty crops pointed at full photos
    rejected = (tmp_path / "data" / "staging" / DAY.isoformat() / "rejected_orders.jsonl").read_text().splitlines()
    assert len(rejected) == 2
    judged = [r for r in first if r["outcome"] in ("fetched", "front_only", "back_only", "not_recognised")]
    accepted, rejected_records = (
        records(ObjectStoragePath(root), "validated"),
        records(ObjectStoragePath(root), "quarantine"),
    )
    assert sorted(r["order_no"] for r in accepted + rejected_records) == sorted(r["order_no"] for r in judged)
    assert {r["status"] for r in accepted} <= {"accepted", "accepted_with_warnings"}
    assert rejected_records and all(r["status"] == "rejected" and r["reasons"] for r in rejected_records)
    staging = tmp_path / "data" / "staging" / DAY.isoformat()
    staged_files = sorted(p for folder in ("results", "validated", "quarantine") for p in (staging / folder).iterdir())
    assert len(staged_files) == 9
    before = {str(path): path.read_bytes() for path in staged_files}
    photos_before = sorted((tmp_path / "data" / "evidence").rglob("*.jpg"))

    assert run(dag, **conf).state == "success"
    after = {str(path): path.read_bytes() for path in staged_files}
    assert after == before  # byte-identical staging
    assert sorted((tmp_path / "data" / "evidence").rglob("*.jpg")) == photos_before  # no duplicate photos
    assert simulator.stats()["throttled"] == 0


def test_xcoms_carry_paths_and_counts_never_order_numbers(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, tmp_path: Path
) -> None:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    _, orders = day
    dag_run = run(
        dag, order_source={"kind": "list", "orders": orders}, storage_root=f"file://{tmp_path}", shard_size=40
    )
    assert dag_run.state == "success"
    with create_session() as session:
        values = [json.dumps(x.value) for x in session.query(XComModel).filter_by(dag_id=DAG_ID, run_id=dag_run.run_id)]
    assert values
    text = "\n".join(values)
    assert not any(order in text for order in orders)
    assert max(len(v) for v in values) < 2000


def test_empty_day_succeeds_with_nothing_mapped(dag: Any, airflow_db: str, tmp_path: Path, day: Any) -> None:
    dag_run = run(dag, order_source={"kind": "list", "orders": []}, storage_root=f"file://{tmp_path}")
    assert dag_run.state == "success"
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["fetch_ocr_results"] == "skipped" and states["validate_shard"] == "skipped"
    assert states["quality_gate"] == "success"


def test_staging_and_evidence_on_s3_encrypted_server_side(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, aws_connection: str, moto_server: str
) -> None:
    _, orders = day
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    s3.create_bucket(Bucket="kyc-staging")
    root = f"s3://{aws_connection}@kyc-staging/tencent-kyc"
    conf = {"order_source": {"kind": "list", "orders": orders[:60]}, "storage_root": root, "shard_size": 30}
    assert run(dag, **conf).state == "success"

    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="kyc-staging")
            for o in page.get("Contents", [])]  # fmt: skip
    assert any(k.endswith("results/shard-00001.jsonl.gz") for k in keys)
    photos = [k for k in keys if k.startswith("tencent-kyc/evidence/") and k.endswith(".jpg")]
    assert photos
    for key in [k for k in keys if "results/" in k] + photos[:5]:
        assert s3.head_object(Bucket="kyc-staging", Key=key)["ServerSideEncryption"] == "AES256"
    assert Counter(r["order_no"] for r in records(ObjectStoragePath(root))) == Counter(orders[:60])


@pytest.mark.parametrize(("mode", "state"), [("fail", "failed"), ("warn", "success")])
def test_quality_gate_trips_past_its_threshold(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, tmp_path: Path, mode: str, state: str
) -> None:
    _, orders = day
    gate = {"max_rejected_share": 0.0, "max_no_result_share": 1.0, "mode": mode}
    conf = {
        "order_source": {"kind": "list", "orders": orders},
        "storage_root": f"file://{tmp_path}",
        "quality_gate": gate,
    }
    dag_run = run(dag, get_file=False, **conf)
    assert dag_run.state == state
    gate_ti = next(ti for ti in dag_run.get_task_instances() if ti.task_id == "quality_gate")
    assert gate_ti.state == state
