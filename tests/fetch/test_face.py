"""face_fetcher against the simulator: each order's record, its media kept byte for byte as evidence (local and S3)
with their SHA-256, and failures recorded, checked against the simulator's ground truth (``/admin/faces``)."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from tencent_kyc.api.face import FaceResult
from tencent_kyc.fetch.face import face_fetcher, face_record, media_files
from tencent_kyc.fetch.progress import Progress
from tencent_kyc.fetch.shard import fetch_shard
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.records import FAILED, Order, read_fetched
from tencent_kyc.storage import DayLayout

DAY = date(2026, 11, 27)
SETTINGS = {"qps_quota": 10000, "photo_retry_interval": 0.1, "backoff_seconds": 0.01}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
OUTCOMES = {"passed": "passed", "not_passed": "not_passed", "no_record": "no_record", "late": "no_record"}


def faces(simulator: Any) -> dict[str, dict[str, Any]]:
    answer = requests.get(simulator.url + "/admin/faces", params={"date": DAY.isoformat()}, timeout=30).json()
    return {row["orderNo"]: row for row in answer["faces"]}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def simulator(simulator_factory: Callable[..., Any], kyc_connection: Any) -> Any:
    """60 orders with every face fault of the book, media lagging 0.1 s (re-queried 0.1 s apart)."""
    simulator = simulator_factory(
        qps=0,
        today=DAY,
        orders_per_day=60,
        photo_lag_seconds=0.1,
        order_rates=(("face_no_record", 0.1), ("face_not_passed", 0.1), ("face_media_missing", 0.1)),
    )
    kyc_connection(simulator, **SETTINGS)
    return simulator


def local(location: str) -> bytes:
    return Path(location.removeprefix("file://")).read_bytes()


def test_a_days_records_hold_each_orders_answer_and_its_media_as_evidence(simulator: Any, tmp_path: Path) -> None:
    rows = faces(simulator)
    layout = DayLayout(f"file://{tmp_path}", DAY, "face")
    orders = [Order(order, DAY) for order in rows]
    progress = Progress("shard", len(orders), logging.getLogger("test"), 60)
    summary = fetch_shard(
        face_fetcher(TencentKycHook(), layout, media="both"),
        orders,
        layout.results(0),
        concurrency=4,
        progress=progress,
    )

    records = {record.order_no: record for record in read_fetched(layout.results(0))}
    assert list(records) == list(rows)
    for order, row in rows.items():
        record, folder = records[order], f"{layout.evidence_folder(order)}"
        assert (record.outcome, record.code, record.message) == (OUTCOMES[row["outcome"]], row["code"], row["msg"])
        assert "bizSeqNo" not in record.result  # per query: a re-run must stage the same bytes
        stored = {name: sha for name in ("photo", "video") if (sha := row[f"{name}Sha256"])}
        assert record.digests == stored, order
        assert record.photos == {name: f"{folder}/face.{'jpg' if name == 'photo' else 'mp4'}" for name in stored}
        for name, location in record.photos.items():
            data = local(location)
            assert sha256(data) == record.digests[name]  # the bytes Tencent sent, as written
            assert data.startswith(b"\xff\xd8\xff") if name == "photo" else data[4:8] == b"ftyp"  # JPEG, MP4
        missing = tuple(name for name in ("photo", "video") if row["outcome"] == "passed" and name not in stored)
        assert record.missing_photos == missing, order
        assert Path(folder.removeprefix("file://")).exists() == bool(stored)  # nothing for an order without media
    outcomes = {record.outcome for record in records.values()}
    assert outcomes == {"passed", "not_passed", "no_record"}
    assert any(record.missing_photos for record in records.values())
    assert summary.photos_stored == sum(len(record.photos) for record in records.values())


@pytest.mark.parametrize(("media", "files"), [("photo", ["face.jpg"]), ("video", ["face.mp4"])])
def test_one_medium_asked_for_is_the_only_one_written(
    simulator: Any, tmp_path: Path, media: str, files: list[str]
) -> None:
    rows = faces(simulator)
    order = next(order for order, row in rows.items() if row["outcome"] == "passed" and not row["labels"])
    layout = DayLayout(f"file://{tmp_path}", DAY, "face")
    record, queries = face_fetcher(TencentKycHook(), layout, media=media)(Order(order, DAY))
    folder = Path(str(layout.evidence_folder(order)).removeprefix("file://"))
    assert sorted(path.name for path in folder.iterdir()) == files and queries == 1
    assert record.digests == {media: rows[order][f"{media}Sha256"]} and record.missing_photos == ()


def test_without_media_nothing_is_written_and_nothing_is_missing(simulator: Any, tmp_path: Path) -> None:
    rows = faces(simulator)
    layout = DayLayout(f"file://{tmp_path}", DAY, "face")
    fetch = face_fetcher(TencentKycHook(), layout, media="none")
    for order, row in rows.items():
        record, queries = fetch(Order(order, DAY))
        assert record.outcome == OUTCOMES[row["outcome"]] and queries == 1  # no media, no re-query for lag
        assert (record.photos, record.digests, record.missing_photos) == ({}, {}, ())
    assert not (tmp_path / "evidence").exists()


def test_media_that_never_came_are_recorded_missing_and_nothing_is_written(
    simulator_factory: Callable[..., Any], kyc_connection: Any, tmp_path: Path
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=60, photo_lag_seconds=60)
    kyc_connection(simulator, **{**SETTINGS, "photo_retries": 1})
    order = next(order for order, row in faces(simulator).items() if row["labels"] == ["face_media_lag"])
    layout = DayLayout(f"file://{tmp_path}", DAY, "face")
    record, queries = face_fetcher(TencentKycHook(), layout, media="both")(Order(order, DAY))
    assert (record.outcome, record.missing_photos, queries) == ("passed", ("photo", "video"), 2)
    assert (record.photos, record.digests) == ({}, {}) and not (tmp_path / "evidence").exists()


@pytest.mark.parametrize(
    ("fault", "code", "said"),
    [("fault_999999", "999999", "answered code 999999"), ("fault_5xx", "HTTP50", "HTTP 50")],
)
def test_an_order_the_hook_cannot_fetch_is_a_retryable_failure_with_its_code_and_message(
    simulator_factory: Callable[..., Any], kyc_connection: Any, tmp_path: Path, fault: str, code: str, said: str
) -> None:
    simulator = simulator_factory(qps=0, today=DAY, orders_per_day=5, **{fault: 1.0})
    kyc_connection(simulator, **{**SETTINGS, "max_attempts": 2})
    order = next(iter(faces(simulator)))
    record, queries = face_fetcher(TencentKycHook(), DayLayout(f"file://{tmp_path}", DAY, "face"), media="both")(
        Order(order, DAY)
    )
    assert record.outcome == FAILED and record.code.startswith(code) and queries == 0
    assert record.message.startswith("queryfacerecord") and said in record.message
    assert record.error is not None and (record.error.kind, record.error.retryable) == ("KycTransientError", True)
    assert (record.result, record.photos, record.digests) == ({}, {}, {})
    assert not (tmp_path / "evidence").exists()


def test_a_png_photo_is_kept_as_face_png_and_its_digest_is_of_the_decoded_bytes(tmp_path: Path) -> None:
    """Tencent's photo is sometimes a PNG (§4.2): it keeps its own extension."""
    envelope = {"code": "0", "result": {"liveRate": "99", "photo": base64.b64encode(PNG).decode(), "video": ""}}
    result = FaceResult.from_envelope("A1", envelope)
    files = media_files(result)
    assert files == {"photo": ("face.png", PNG), "video": ("face.mp4", b"")}
    record = face_record(Order("A1", DAY), result, files, {"photo": "file:///e/A1/face.png"}, ("photo", "video"))
    assert record.digests == {"photo": sha256(PNG)} and record.missing_photos == ("video",)
    assert media_files(FaceResult.from_envelope("A1", {"code": "0", "result": {}}))["photo"] == ("face.jpg", b"")


def test_evidence_on_s3_is_encrypted_server_side(simulator: Any, aws_connection: str, s3_client: Any) -> None:
    s3 = s3_client
    s3.create_bucket(Bucket="face-evidence")
    rows = faces(simulator)
    order = next(order for order, row in rows.items() if row["outcome"] == "passed" and not row["labels"])
    layout = DayLayout(f"s3://{aws_connection}@face-evidence/kyc", DAY, "face")

    record, _ = face_fetcher(TencentKycHook(), layout, media="both")(Order(order, DAY))
    prefix = f"kyc/evidence/{DAY.isoformat()}/{order}"
    assert record.photos == {
        "photo": f"s3://{aws_connection}@face-evidence/{prefix}/face.jpg",
        "video": f"s3://{aws_connection}@face-evidence/{prefix}/face.mp4",
    }
    for name, key in (("photo", f"{prefix}/face.jpg"), ("video", f"{prefix}/face.mp4")):
        stored = s3.get_object(Bucket="face-evidence", Key=key)
        assert stored["ServerSideEncryption"] == "AES256"
        assert sha256(stored["Body"].read()) == record.digests[name] == rows[order][f"{name}Sha256"]
