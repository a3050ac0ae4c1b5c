"""Where a day's files live, on local disk or S3, through Airflow's ObjectStoragePath.

One layout for every run of a sync and a date, so a re-run or a retried task overwrites what it wrote before
instead of adding to it, and two syncs never write each other's files (``<sync>`` is ``ocr`` or ``face``;
the evidence of one order, ID-card photos and face media alike, shares one folder under distinct names)::

    <root>/staging/<sync>/<date>/orders.txt              the day's clean, de-duplicated orders: number and date
    <root>/staging/<sync>/<date>/rejected_orders.jsonl   source values refused before any request, with reasons
    <root>/staging/<sync>/<date>/shards/shard-00000.txt  one shard's orders
    <root>/staging/<sync>/<date>/results/shard-00000.jsonl.gz     one shard's records (JSON Lines, gzip)
    <root>/staging/<sync>/<date>/duplicate_idcards.txt   fingerprints of ID numbers on several orders (OCR)
    <root>/staging/<sync>/<date>/validated/shard-00000.jsonl.gz   accepted records, with status and reasons
    <root>/staging/<sync>/<date>/quarantine/shard-00000.jsonl.gz  rejected records, with reasons
    <root>/staging/<sync>/<date>/load/<results table>-00000.csv.gz  a shard's result rows (PII policy applied)
    <root>/staging/<sync>/<date>/load/<history table>-00000.csv.gz  a shard's order history rows (all its orders)
    <root>/evidence/<date>/<order_no>/<photo>.jpg         ID-card photos kept as evidence
    <root>/evidence/<date>/<order_no>/face.jpg, face.mp4  the face photo and video

Objects written to S3 are encrypted server-side (SSE-S3, AES256).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, cast

from airflow.sdk import ObjectStoragePath

#: Default root: a local data folder under AIRFLOW_HOME (override per DAG run with the ``storage_root`` param).
DEFAULT_ROOT_ENV = "TENCENT_KYC_STORAGE_ROOT"


def default_root() -> str:
    home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return os.environ.get(DEFAULT_ROOT_ENV) or f"file://{os.path.join(home, 'tencent_kyc_data')}"


def is_local(path: ObjectStoragePath) -> bool:
    return path.protocol in ("file", "local", "")


def write_kwargs(path: ObjectStoragePath) -> dict[str, str]:
    """Extra arguments for ``path.open('wb')``: server-side encryption on S3, nothing locally."""
    return {"ServerSideEncryption": "AES256"} if path.protocol in ("s3", "s3a") else {}


def open_for_write(path: ObjectStoragePath) -> BinaryIO:
    """Open one object for (over)writing as a stream, creating local parent folders as needed."""
    if is_local(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    return cast(BinaryIO, path.open("wb", **write_kwargs(path)))


@contextmanager
def write_gzip(path: ObjectStoragePath) -> Iterator[BinaryIO]:
    """Stream a gzip object (JSON Lines, CSV) without timestamp or name, so identical lines give identical bytes."""
    with open_for_write(path) as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        yield cast(BinaryIO, out)


def read_gzip_lines(path: ObjectStoragePath) -> Iterator[str]:
    """Stream the text lines of a gzip object."""
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        yield from handle


def write_bytes(path: ObjectStoragePath, data: bytes) -> None:
    """Write (or overwrite) one object."""
    with open_for_write(path) as handle:
        handle.write(data)


@dataclass(frozen=True)
class DayLayout:
    """The paths of one sync's run date under a storage root."""

    root: str
    day: date
    sync: str

    @property
    def staging(self) -> ObjectStoragePath:
        return ObjectStoragePath(self.root) / "staging" / self.sync / self.day.isoformat()

    @property
    def orders(self) -> ObjectStoragePath:
        return self.staging / "orders.txt"

    @property
    def rejected_orders(self) -> ObjectStoragePath:
        return self.staging / "rejected_orders.jsonl"

    def shard(self, index: int) -> ObjectStoragePath:
        return self.staging / "shards" / f"shard-{index:05d}.txt"

    def results(self, index: int) -> ObjectStoragePath:
        return self.staging / "results" / f"shard-{index:05d}.jsonl.gz"

    @property
    def duplicate_idcards(self) -> ObjectStoragePath:
        return self.staging / "duplicate_idcards.txt"

    def validated(self, index: int) -> ObjectStoragePath:
        return self.staging / "validated" / f"shard-{index:05d}.jsonl.gz"

    def quarantine(self, index: int) -> ObjectStoragePath:
        return self.staging / "quarantine" / f"shard-{index:05d}.jsonl.gz"

    @property
    def load(self) -> ObjectStoragePath:
        """The warehouse rows, ready for COPY (``<table>-NNNNN.csv.gz``, see :meth:`load_rows`)."""
        return self.staging / "load"

    def load_rows(self, table: str, index: int) -> ObjectStoragePath:
        return self.load / f"{table}-{index:05d}.csv.gz"

    def evidence_folder(self, order_no: str) -> ObjectStoragePath:
        """Holds ``<photo>.jpg`` for each photo of the order."""
        return ObjectStoragePath(self.root) / "evidence" / self.day.isoformat() / order_no
