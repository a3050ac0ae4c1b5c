"""The staging layout and object I/O, on local files and on S3 (a moto server)."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import ObjectStoragePath

from tencent_kyc.storage import (
    DEFAULT_ROOT_ENV,
    DayLayout,
    default_root,
    read_gzip_lines,
    write_bytes,
    write_gzip,
    write_kwargs,
)

DAY = date(2026, 11, 27)


def test_one_layout_per_date_under_a_root(tmp_path: Path) -> None:
    layout = DayLayout(f"file://{tmp_path}", DAY, "ocr")
    staging = f"file://{tmp_path}/staging/ocr/2026-11-27"
    assert str(layout.orders) == f"{staging}/orders.txt"
    assert str(layout.shard(3)) == f"{staging}/shards/shard-00003.txt"
    assert str(layout.results(3)) == f"{staging}/results/shard-00003.jsonl.gz"
    assert str(layout.validated(3)) == f"{staging}/validated/shard-00003.jsonl.gz"
    assert str(layout.quarantine(3)) == f"{staging}/quarantine/shard-00003.jsonl.gz"
    assert str(layout.load_rows("kyc_ocr_results", 3)) == f"{staging}/load/kyc_ocr_results-00003.csv.gz"
    assert str(layout.evidence_folder("A1")) == f"file://{tmp_path}/evidence/2026-11-27/A1"


def test_gzip_objects_are_byte_identical_for_identical_lines_and_create_their_folders(tmp_path: Path) -> None:
    path = ObjectStoragePath(f"file://{tmp_path}/deep/er/object.gz")
    written = []
    for _ in range(2):
        with write_gzip(path) as out:
            out.write("第一行\n".encode())
            out.write(b"second\n")
        written.append(Path(tmp_path / "deep/er/object.gz").read_bytes())
    assert written[0] == written[1]
    assert gzip.decompress(written[0]) == "第一行\nsecond\n".encode()
    assert list(read_gzip_lines(path)) == ["第一行\n", "second\n"]


def test_write_bytes_overwrites(tmp_path: Path) -> None:
    path = ObjectStoragePath(f"file://{tmp_path}/a/b.txt")
    write_bytes(path, b"long first version")
    write_bytes(path, b"short")
    assert (tmp_path / "a/b.txt").read_bytes() == b"short"


def test_the_default_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DEFAULT_ROOT_ENV, raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert default_root() == f"file://{tmp_path}/tencent_kyc_data"
    monkeypatch.setenv(DEFAULT_ROOT_ENV, "s3://aws_default@bucket/kyc")
    assert default_root() == "s3://aws_default@bucket/kyc"


def test_objects_on_s3_are_encrypted_server_side(aws_connection: str, s3_client: Any) -> None:
    s3 = s3_client
    s3.create_bucket(Bucket="storage-test")
    layout = DayLayout(f"s3://{aws_connection}@storage-test/kyc", DAY, "ocr")
    assert write_kwargs(layout.orders) == {"ServerSideEncryption": "AES256"}
    assert write_kwargs(ObjectStoragePath("file:///tmp/x")) == {}
    write_bytes(layout.orders, b"A1 2026-11-27\n")
    with write_gzip(layout.results(0)) as out:
        out.write(b"{}\n")
    for key in ("kyc/staging/ocr/2026-11-27/orders.txt", "kyc/staging/ocr/2026-11-27/results/shard-00000.jsonl.gz"):
        assert s3.head_object(Bucket="storage-test", Key=key)["ServerSideEncryption"] == "AES256"
    assert list(read_gzip_lines(layout.results(0))) == ["{}\n"]
