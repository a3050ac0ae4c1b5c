"""One verdict per order from both syncs, on SQLite and PostgreSQL (Redshift: test_redshift.py), against an
oracle written from the rule's words (tests/verdict_cases.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.syncs import OCR
from verdict_cases import CASES, D1, expected, load_every_case, named_sides, verdicts
from warehouse_helpers import dump, judged


def test_every_pairing_of_states_gets_the_rules_verdict_and_reasons(
    warehouse: Warehouse, stage: Callable[..., Any]
) -> None:
    load_every_case(warehouse, stage)
    found = verdicts(warehouse)
    assert set(found) == {order for order, _, _ in CASES}
    for order, ocr, face in CASES:
        verdict, sides = expected(ocr, face)
        assert found[order][0] == verdict, f"{order}: ocr {ocr.name}, face {face.name}"
        assert named_sides(found[order][1]) == sides, f"{order}: ocr {ocr.name}, face {face.name}: {found[order][1]}"
    assert {"verified", "rejected", "incomplete"} == set(Counter(v for v, _ in found.values()))
    expired = [reasons for order, (_, reasons) in found.items() if "expired" in reasons]
    assert expired and all("no result within 3 days" in reasons for reasons in expired)


def test_reloading_either_sync_leaves_the_verdicts_and_a_late_side_completes_one(
    warehouse: Warehouse, stage: Callable[..., Any]
) -> None:
    load_every_case(warehouse, stage)
    before = dump(warehouse)
    load_every_case(warehouse, stage)
    assert dump(warehouse) == before

    waiting = next(order for order, ocr, face in CASES if ocr.name == "unseen" and face.name == "passed")
    assert verdicts(warehouse)[waiting][0] == "incomplete"
    warehouse.load(OCR, stage(D1, [[judged(waiting)]]), [0])  # the OCR result comes in a later load
    assert verdicts(warehouse)[waiting] == ("verified", "")
