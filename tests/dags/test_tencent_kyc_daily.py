"""The OCR daily DAG end to end with ``dag.test()`` against the simulator, on local files and on S3 (moto), loading
into a SQLite (and once a PostgreSQL) warehouse (the face DAG: test_tencent_kyc_daily_face.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.sdk import ObjectStoragePath

from daily_helpers import DAY, PII_KEY, run, tables, warehouse_query
from tencent_kyc.records import read_fetched, read_judged
from tencent_kyc.warehouse.dialects import warehouse_for
from warehouse_helpers import postgres_connection, query

DAG_ID = "tencent_kyc_ocr_daily"


def records(root: ObjectStoragePath, folder: str = "results") -> list[dict[str, Any]]:
    shards = sorted((root / "staging" / "ocr" / DAY.isoformat() / folder).iterdir())
    read = read_fetched if folder == "results" else read_judged
    return [record.to_json() for shard in shards for record in read(shard)]


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
        "review_day",
        "load_warehouse",
        "run_summary",
    }
    assert [asset.name for asset in dag.task_dict["load_warehouse"].outlets] == ["kyc_ocr_results"]
    assert dag.doc_md and "quota" in dag.doc_md


@pytest.mark.slow  # two runs of a day with photos and photo lag: about 10 s
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
    rejected = (
        (tmp_path / "data" / "staging" / "ocr" / DAY.isoformat() / "rejected_orders.jsonl").read_text().splitlines()
    )
    assert len(rejected) == 2
    judged = [r for r in first if r["outcome"] in ("fetched", "front_only", "back_only", "not_recognised")]
    accepted, rejected_records = (
        records(ObjectStoragePath(root), "validated"),
        records(ObjectStoragePath(root), "quarantine"),
    )
    assert sorted(r["order_no"] for r in accepted + rejected_records) == sorted(r["order_no"] for r in judged)
    assert {r["status"] for r in accepted} <= {"accepted", "accepted_with_warnings"}
    assert rejected_records and all(r["status"] == "rejected" and r["reasons"] for r in rejected_records)
    staging = tmp_path / "data" / "staging" / "ocr" / DAY.isoformat()
    folders = ("results", "validated", "quarantine", "load")
    staged_files = sorted(p for folder in folders for p in (staging / folder).iterdir())
    assert len(staged_files) == 15
    before = {str(path): path.read_bytes() for path in staged_files}
    photos_before = sorted((tmp_path / "data" / "evidence").rglob("*.jpg"))

    # The warehouse: every order exactly once, in the state its record says, ID numbers as HMACs.
    warehouse = tables()
    assert Counter(row[0] for row in warehouse["kyc_order_status"]) == Counter(orders)
    wanted = {"fetched": "loaded", "front_only": "loaded", "back_only": "loaded", "no_result": "no_result"}
    states = dict(warehouse_query("SELECT order_no, status FROM kyc_order_status"))
    for record in first:
        judged_as = next((r["status"] for r in rejected_records if r["order_no"] == record["order_no"]), None)
        assert states[record["order_no"]] == ("quarantined" if judged_as else wanted[record["outcome"]])
    hashed = dict(warehouse_query("SELECT order_no, idcard FROM kyc_ocr_results"))
    assert len(hashed) == len(judged)
    for record in judged:
        number = record["result"].get("idcard")
        expected = hmac.new(PII_KEY.encode(), number.upper().encode(), hashlib.sha256).hexdigest() if number else None
        assert hashed[record["order_no"]] == expected

    assert run(dag, **conf).state == "success"
    after = {str(path): path.read_bytes() for path in staged_files}
    assert after == before  # byte-identical staging
    assert sorted((tmp_path / "data" / "evidence").rglob("*.jpg")) == photos_before  # no duplicate photos
    assert tables() == warehouse  # identical warehouse
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
    assert states["quality_gate"] == states["load_warehouse"] == states["run_summary"] == "success"
    runs = warehouse_query("SELECT run_date, orders, rows_loaded FROM kyc_sync_runs")
    assert runs == [(DAY.isoformat(), 0, 0)]


def test_staging_and_evidence_on_s3_encrypted_server_side(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, aws_connection: str, s3_client: Any
) -> None:
    _, orders = day
    s3 = s3_client
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
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["quality_gate"] == states["run_summary"] == state
    assert states["review_day"] == ("upstream_failed" if mode == "fail" else "skipped")
    # The day is recorded either way, with the gate's shares; loaded only when it goes on.
    ((gate, detail, loaded, by_status),) = warehouse_query(
        "SELECT gate, gate_detail, rows_loaded, by_status FROM kyc_sync_runs WHERE dag_id = 'tencent_kyc_ocr_daily'"
    )
    assert gate.startswith("failed: rejected") and json.loads(detail)["mode"] == mode
    assert (loaded > 0) == (mode == "warn") and (json.loads(by_status) != {}) == (mode == "warn")


DAYS = [date(2026, 11, 1) + timedelta(days=n) for n in range(4)]


def test_late_results_are_loaded_on_day_2_and_3_and_the_rest_expires_on_day_4(
    dag: Any, simulator_factory: Callable[..., Any], kyc_connection: Any, airflow_db: str, tmp_path: Path
) -> None:
    rates = (("late", 0.25), ("never_completed", 0.1))
    simulator = simulator_factory(qps=200, orders_per_day=40, order_rates=rates, photo_lag_seconds=0)
    kyc_connection(simulator, qps_quota=200, backoff_seconds=0.05)
    book = simulator.simulator.book
    first_day = book.order_numbers(DAYS[0])
    late = {n: [o for o in first_day if f"late:{n}" in book.lookup(o).injected] for n in (1, 2)}
    never = [o for o in first_day if "completion:never" in book.lookup(o).injected]
    assert late[1] and late[2] and never
    conf = {"storage_root": f"file://{tmp_path}/data", "get_file": False, "quality_gate": {"mode": "warn"}}
    warehouse = warehouse_for("tencent_kyc_warehouse")

    def status_of(orders: list[str]) -> set[tuple[Any, ...]]:
        """The distinct (status, attempts, last attempt) of ``orders``; loaded and quarantined both mean 'result'."""
        rows = query(warehouse, "SELECT order_no, status, attempts, last_attempt_date FROM kyc_order_status")
        found = {("result" if r[1] in ("loaded", "quarantined") else r[1], *r[2:]) for r in rows if r[0] in orders}
        assert len([r for r in rows if r[0] in orders]) == len(orders)
        return found

    for day in DAYS:
        simulator.update_config(today=day)
        source = {"kind": "list", "orders": book.order_numbers(day)}
        assert dag.test(run_conf={**conf, "order_date": day.isoformat(), "order_source": source}).state == "success"
        if day == DAYS[1]:
            assert status_of(late[1]) == {("result", 2, "2026-11-02")}
            assert status_of(late[2]) == {("no_result", 2, "2026-11-02")}
        if day == DAYS[2]:
            assert status_of(late[2]) == {("result", 3, "2026-11-03")}
    assert status_of(never) == {("expired", 3, "2026-11-03")}
    runs = query(warehouse, "SELECT run_date, orders, carried_over, expired FROM kyc_sync_runs ORDER BY run_date")
    assert [row[3] for row in runs] == [0, 0, 0, len(never)]
    assert runs[1][2] == len(late[1]) + len(late[2]) + len(never)
    late_rows = warehouse_query(
        "SELECT order_no, order_date, run_date FROM kyc_ocr_results WHERE order_date='2026-11-01'"
    )
    late_rows = [row for row in late_rows if row[2] != "2026-11-01"]
    assert sorted(late_rows) == sorted(
        [(o, "2026-11-01", "2026-11-02") for o in late[1]] + [(o, "2026-11-01", "2026-11-03") for o in late[2]]
    )


def test_the_dag_loads_into_postgresql(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, tmp_path: Path, postgres_dsn: str,
    postgres_schema: str, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _, orders = day
    monkeypatch.setenv("AIRFLOW_CONN_KYC_PG_WAREHOUSE", postgres_connection(postgres_dsn, postgres_schema))
    conf = {"order_source": {"kind": "list", "orders": orders}, "storage_root": f"file://{tmp_path}"}
    assert run(dag, get_file=False, warehouse_conn_id="kyc_pg_warehouse", **conf).state == "success"
    warehouse = warehouse_for("kyc_pg_warehouse")
    assert sorted(row[0] for row in query(warehouse, "SELECT order_no FROM kyc_order_status")) == sorted(orders)
    assert query(warehouse, "SELECT orders FROM kyc_sync_runs") == [(len(orders),)]


def test_a_missing_key_connection_fails_before_any_request(
    dag: Any, day: tuple[Any, list[str]], airflow_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator, orders = day
    monkeypatch.delenv("AIRFLOW_CONN_TENCENT_KYC_PII")
    conf = {"order_source": {"kind": "list", "orders": orders}, "storage_root": f"file://{tmp_path}"}
    assert run(dag, **conf).state == "failed"
    assert sum(simulator.stats()["requests"].values()) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"quality_gate": {"max_rejected_share": 0.25, "max_no_result_share": 2, "mode": "fail"}},
        {"policy": {"reject": ["no.such.code"]}},
        {"order_source": {"kind": "ftp"}},
    ],
)
def test_a_bad_setting_fails_list_orders_once_before_any_request(
    dag: Any,
    day: tuple[Any, list[str]],
    airflow_db: str,
    tmp_path: Path,
    bad: dict[str, Any],
) -> None:
    """(What each error says is checked in tests/pipeline.)"""
    simulator, orders = day
    conf = {"order_source": {"kind": "list", "orders": orders}, "storage_root": f"file://{tmp_path}", **bad}
    result = run(dag, **conf)
    assert result.state == "failed"
    listing = next(ti for ti in result.get_task_instances() if ti.task_id == "list_orders")
    assert listing.state == "failed" and listing.try_number == 1  # failed for good: no retries
    assert sum(simulator.stats()["requests"].values()) == 0
