"""The face daily DAG end to end with ``dag.test()`` against the strict simulator with faults: every order's
face row is what the simulator holds, media bytes included; a re-run leaves the same warehouse."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.sdk.exceptions import ParamValidationError

from daily_helpers import DAY, run, tables, warehouse_query
from tencent_kyc.api.face import occurred_at
from tencent_kyc.warehouse.schema import FACE_RESULTS

DAG_ID = "tencent_kyc_face_daily"


@pytest.fixture
def faulty(simulator_factory: Callable[..., Any], kyc_connection: Any) -> tuple[Any, list[dict[str, Any]]]:
    """A simulator answering 5xx, 999999 and malformed bodies now and then, every face fault of its book on."""
    simulator = simulator_factory(
        qps=200, today=DAY, orders_per_day=160, photo_lag_seconds=0.2, fault_5xx=0.02, fault_999999=0.02,
        fault_malformed=0.01,
    )  # fmt: skip
    kyc_connection(simulator, qps_quota=200, photo_retry_interval=0.3, backoff_seconds=0.05)
    truth = requests.get(simulator.url + "/admin/faces", params={"date": DAY.isoformat()}, timeout=30).json()
    return simulator, truth["faces"]


def face_rows() -> dict[str, dict[str, Any]]:
    rows = warehouse_query(f"SELECT {', '.join(FACE_RESULTS.names)} FROM {FACE_RESULTS.name}")
    return {row[0]: dict(zip(FACE_RESULTS.names, row, strict=True)) for row in rows}


def test_the_face_dag_has_the_pipeline_without_the_id_card_steps(dag: Any) -> None:
    assert set(dag.task_dict) == {
        "list_orders",
        "plan_shards",
        "fetch_face_results",
        "validate_shard",
        "quality_gate",
        "review_day",
        "load_warehouse",
        "run_summary",
    }
    assert [asset.name for asset in dag.task_dict["load_warehouse"].outlets] == ["kyc_face_results"]
    assert dag.params["face_media"] == "both" and "get_file" not in dag.params
    assert "queryfacerecord" in dag.doc_md and "kyc_verifications" in dag.doc_md


def test_every_face_row_is_what_the_simulator_holds_and_a_rerun_changes_nothing(
    dag: Any, faulty: tuple[Any, list[dict[str, Any]]], airflow_db: str, tmp_path: Path
) -> None:
    simulator, truth = faulty
    orders = [face["orderNo"] for face in truth]
    labels = Counter(label.split(":")[0] for face in truth for label in face["labels"])
    for label in ("face_no_record", "face_not_passed", "face_late", "face_media_lag", "face_media_missing"):
        assert labels[label], f"the day holds no {label} order: the test would prove nothing about it"
    conf = {
        "order_source": {"kind": "list", "orders": orders},
        "storage_root": f"file://{tmp_path}/data",
        "shard_size": 60,
        "face_media": "both",
        "quality_gate": {"mode": "warn"},
    }
    assert run(dag, **conf).state == "success"

    rows = face_rows()
    assert set(rows) == set(orders)  # one row per order, whatever happened
    failed = {order for order, row in rows.items() if row["outcome"] == "failed"}
    assert len(failed) <= 2, f"retries should absorb the transient faults, {len(failed)} orders failed"
    for face in truth:
        row = rows[face["orderNo"]]
        if row["outcome"] == "failed":
            continue
        expected = "no_record" if face["outcome"] == "late" else face["outcome"]  # late: completes tomorrow
        assert (row["outcome"], row["code"], row["message"]) == (expected, face["code"], face["msg"])
        assert row["similarity"] == face["similarity"] and row["live_rate"] == face["liveRate"]
        assert row["occurred_at"] == occurred_at(face["occurredTime"])
        assert (row["sdk_version"], row["trtc_flag"]) == (face["sdkVersion"], face["trtcFlag"])
        for medium in ("photo", "video"):
            location, digest = row[medium], face[f"{medium}Sha256"]
            assert row[f"{medium}_sha256"] == digest
            if digest is None:
                assert location is None
                continue
            stored = Path(location.removeprefix("file://")).read_bytes()  # the bytes Tencent sent, in evidence
            assert hashlib.sha256(stored).hexdigest() == digest
        missing = [m for m in ("photo", "video") if face["outcome"] == "passed" and face[f"{m}Sha256"] is None]
        assert (row["missing_media"] or "").split() == missing

    # Status: the order's place, its verdict: none verified without an OCR side.
    status = dict(warehouse_query("SELECT order_no, status FROM kyc_face_status"))
    for order, row in rows.items():
        wanted = {"no_record": "no_result", "failed": "failed"}.get(row["outcome"])
        assert status[order] == (wanted or ("quarantined" if row["validation_status"] == "rejected" else "loaded"))
    verdicts = Counter(verdict for (verdict,) in warehouse_query("SELECT verdict FROM kyc_verifications"))
    assert verdicts["incomplete"] + verdicts["rejected"] == len(orders) and not verdicts["verified"]

    before = tables()
    assert run(dag, **conf).state == "success"
    assert tables() == before  # the re-run's queries (the same answers) leave the same warehouse
    assert simulator.stats()["throttled"] == 0


def test_without_media_nothing_is_written_to_evidence_and_nothing_is_missing(
    dag: Any, faulty: tuple[Any, list[dict[str, Any]]], airflow_db: str, tmp_path: Path
) -> None:
    _, truth = faulty
    conf = {
        "order_source": {"kind": "list", "orders": [face["orderNo"] for face in truth[:40]]},
        "storage_root": f"file://{tmp_path}/data",
        "face_media": "none",
        "quality_gate": {"mode": "warn"},
    }
    assert run(dag, **conf).state == "success"
    assert not (tmp_path / "data" / "evidence").exists()
    rows = face_rows()
    assert len(rows) == 40 and not any(row["photo"] or row["video"] or row["missing_media"] for row in rows.values())


def test_a_bad_face_setting_fails_before_any_request(
    dag: Any, faulty: tuple[Any, list[dict[str, Any]]], airflow_db: str, tmp_path: Path
) -> None:
    simulator, truth = faulty
    conf = {"order_source": {"kind": "list", "orders": [truth[0]["orderNo"]]}, "storage_root": f"file://{tmp_path}"}
    with pytest.raises(ParamValidationError, match="face_media: 'audio' is not one of"):
        run(dag, **conf, face_media="audio")  # refused by the param's enum, before a run exists
    result = run(dag, **conf, policy={"reject": ["idcard.*"]})  # an OCR code in a face policy
    assert result.state == "failed"
    listing = next(ti for ti in result.get_task_instances() if ti.task_id == "list_orders")
    assert listing.state == "failed" and listing.try_number == 1
    assert sum(simulator.stats()["requests"].values()) == 0
