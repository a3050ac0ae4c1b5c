"""Every pairing of an OCR state with a face state, staged as the pipeline stages them, and the verdict the rule
(issue 14, in words) gives each: an oracle written apart from the SQL of ``warehouse/verdicts.py``.

The rule: ``verified`` only when the OCR record is accepted (with or without warnings) and the face passed and
was accepted; ``rejected`` as soon as a side is rejected for good (quarantined, expired, failed for good, or a
face Tencent did not pass); ``incomplete`` while a side is missing or pending.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.syncs import FACE, OCR
from warehouse_helpers import judged, unanswered

D0, D1, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 4)  # D0's open orders expire on D3


@dataclass(frozen=True)
class Side:
    """One side's state: how to stage it, and what the rule reads of it."""

    name: str
    final_bad: bool  # rejected for good
    good: bool  # the side that allows "verified"
    record: Callable[[str], dict[str, Any]] | None  # None: the sync never saw the order
    expires: bool = False  # staged open on D0, expired by D3's run


def face(order_no: str, outcome: str = "passed", status: str = "accepted", **scores: str) -> dict[str, Any]:
    """A face record as validate_shard stages it."""
    result = {"similarity": "92.5", "liveRate": "99", "occurredTime": "20261102101010", **scores}
    code, reasons = ("0", []) if outcome == "passed" else ("66660004", ["face.not_passed"])
    if status == "rejected" and outcome == "passed":
        reasons = ["face.similarity_low"]
    return {
        "order_no": order_no, "outcome": outcome, "code": code, "message": "x", "result": result, "photos": {},
        "photo_fallbacks": [], "missing_photos": [], "status": status, "reasons": reasons, "warning_flags": {},
    }  # fmt: skip


OCR_SIDES = (
    Side("unseen", False, False, None),
    Side("accepted", False, True, lambda o: judged(o)),
    Side("with_warnings", False, True, lambda o: judged(o, status="accepted_with_warnings")),
    Side("quarantined", True, False, lambda o: judged(o, status="rejected")),
    Side("no_result", False, False, lambda o: unanswered(o)),
    Side("failed_retryable", False, False, lambda o: unanswered(o, "failed", "KycTransientError")),
    Side("failed_for_good", True, False, lambda o: unanswered(o, "failed", "KycOrderError")),
    Side("expired", True, False, lambda o: unanswered(o), expires=True),
)
FACE_SIDES = (
    Side("unseen", False, False, None),
    Side("passed", False, True, lambda o: face(o)),
    Side("passed_quarantined", True, False, lambda o: face(o, status="rejected", similarity="61")),
    Side("not_passed", True, False, lambda o: face(o, "not_passed", "rejected")),
    Side("not_passed_loaded", True, False, lambda o: face(o, "not_passed", "accepted")),  # a lenient policy
    Side("no_record", False, False, lambda o: unanswered(o, "no_record") | {"code": "66660011"}),
    Side("failed_retryable", False, False, lambda o: unanswered(o, "failed", "KycTransientError")),
    Side("failed_for_good", True, False, lambda o: unanswered(o, "failed", "KycOrderError")),
    Side("expired", True, False, lambda o: unanswered(o, "no_record") | {"code": "66660011"}, expires=True),
)
CASES = [
    (f"O{index:03d}", ocr, face_side)
    for index, (ocr, face_side) in enumerate(itertools.product(OCR_SIDES, FACE_SIDES))
    if ocr.record or face_side.record
]


def expected(ocr: Side, face_side: Side) -> tuple[str, set[str]]:
    """The verdict, and the sides its reasons name: the bad ones when rejected, the not-yet-good ones when
    incomplete, none when verified."""
    sides = {"ocr": ocr, "face": face_side}
    if any(side.final_bad for side in sides.values()):
        return "rejected", {label for label, side in sides.items() if side.final_bad}
    if all(side.good for side in sides.values()):
        return "verified", set()
    return "incomplete", {label for label, side in sides.items() if not side.good}


def named_sides(reasons: str) -> set[str]:
    """The sides a verdict's reasons name (each part starts with its side's label)."""
    return {part.strip().split()[0].rstrip(":") for part in reasons.split("; ") if part.strip()}


def load_every_case(warehouse: Warehouse, stage: Callable[..., Any], root: str = "") -> None:
    """Stage and load both syncs' records of every case, then run D3's expiry of both."""
    for sync, column in ((OCR, 1), (FACE, 2)):
        for day, expiring in ((D0, True), (D1, False)):
            records = [
                case[column].record(case[0])
                for case in CASES
                if case[column].record is not None and case[column].expires == expiring
            ]
            warehouse.load(sync, stage(day, [records], root=root, sync=sync), [0])
        warehouse.open_orders(sync, D3, 3)


def verdicts(warehouse: Warehouse) -> dict[str, tuple[str, str]]:
    with warehouse.transaction() as cursor:
        cursor.execute("SELECT order_no, verdict, verdict_reasons FROM kyc_verifications")
        return {order: (verdict, reasons or "") for order, verdict, reasons in cursor.fetchall()}
