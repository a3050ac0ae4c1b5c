"""The daily syncs by name, each with its tables: what the pipeline writes and what the dashboard reads.

A sync is one Tencent result API synced daily into the warehouse. The dashboard and its JSON API find a sync's
tables and vocabulary here, so a new sync slots into the pages by one declaration and one registration line.
"""

from __future__ import annotations

from dataclasses import dataclass

from tencent_kyc.registry import Registry
from tencent_kyc.warehouse.schema import FACE_HISTORY, FACE_RESULTS, FACE_STATUS, HISTORY, RESULTS, STATUS, Table


@dataclass(frozen=True)
class Sync:
    """One kind of daily sync: its name, the DAG that runs it by default, its tables and its vocabulary (in the
    order the dashboard shows them)."""

    name: str
    label: str
    dag_id: str
    results: Table
    history: Table
    status: Table
    statuses: tuple[str, ...]
    outcomes: tuple[str, ...]
    #: The fetch outcomes meaning "no result yet": the order stays open (status ``no_result``) until it expires.
    waiting: tuple[str, ...]

    @property
    def staged(self) -> tuple[Table, Table]:
        """The tables a load stages rows for, in load-file order."""
        return (self.results, self.history)


#: An order's states in a sync's history and status tables: the same for every sync.
STATUSES = ("loaded", "quarantined", "no_result", "failed", "expired")

OCR = Sync(
    name="ocr",
    label="ID-card OCR (getOcrResult)",
    dag_id="tencent_kyc_ocr_daily",
    results=RESULTS,
    history=HISTORY,
    status=STATUS,
    statuses=STATUSES,
    outcomes=("fetched", "front_only", "back_only", "not_recognised", "no_result", "failed"),
    waiting=("no_result",),
)

FACE = Sync(
    name="face",
    label="Face verification (queryfacerecord)",
    dag_id="tencent_kyc_face_daily",
    results=FACE_RESULTS,
    history=FACE_HISTORY,
    status=FACE_STATUS,
    statuses=STATUSES,
    outcomes=("passed", "not_passed", "no_record", "failed"),
    waiting=("no_record",),
)

SYNCS: Registry[Sync] = Registry("sync", {"ocr": OCR, "face": FACE})


def sync_of_dag(dag_id: str) -> Sync | None:
    """The sync a DAG runs by default (None for a DAG that is no sync's default)."""
    return next((sync for _, sync in SYNCS.items() if sync.dag_id == dag_id), None)
