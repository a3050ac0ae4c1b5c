"""Simulated days through the rules: each injected fault yields exactly its codes, and clean orders yield none.

Records are staged as the fetch step stages them (``fetch.ocr.ocr_record`` over the simulator's
result); orders that never complete, or complete on a later day, are skipped: the hook reports them as
no_result, which is not checked. The expectations come from the order book's ``injected`` labels alone.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from tencent_kyc.api.results import OcrResult
from tencent_kyc.fetch.ocr import ocr_record
from tencent_kyc.records import Order
from tencent_kyc.validation import DEFAULT_POLICY, Status, check_result, decide, result_fingerprint
from tencent_kyc_dev.simulator.orders import Completion, OrderBook, SyntheticOrder

ORDERS = 3000
OUTCOMES = {Completion.BOTH_SIDES: "fetched", Completion.FRONT_ONLY: "front_only", Completion.BACK_ONLY: "back_only"}
FLAGS = ("border", "photocopy", "invalid_date", "reshot", "temporary", "occluded")
#: Label → the codes it must cause. Labels mapping to () change no checked field; ``multi_warning:<side>`` is
#: spelled out by that side's ``warning:`` labels. ``duplicate_idcard`` also marks its unlabelled twin, and
#: ``inconsistent_validity`` needs the birth date from the front (see ``expected_codes``).
LABEL_CODES: dict[str, tuple[str, ...]] = {
    "completion:front_only": ("side.back_missing",),
    "completion:back_only": ("side.front_missing",),
    "photo_lag": (),
    "empty_crop:frontCrop": (),
    "empty_crop:backCrop": (),
    "multi_warning:front": (),
    "multi_warning:back": (),
    **{f"warning:{side}:{flag}": (f"warning.{side}.{flag}",) for side in ("front", "back") for flag in FLAGS},
    "expired_card": ("valid_date.expired",),
    "inconsistent_validity": ("valid_date.age_band",),
    "low_clarity:front": ("clarity.front_low",),
    "low_clarity:back": ("clarity.back_low",),
    "unknown_nation": ("nation.unknown",),
    "birth_mismatch": ("birth.mismatch",),
    "sex_mismatch": ("sex.mismatch",),
    "bad_check_digit": ("idcard.check_digit",),
    "duplicate_idcard": (),  # by ID number, below
}
#: What a KYC team rejects (the brief): one-sided orders, expired cards, ID-number/birth/sex inconsistencies,
#: photocopies, re-shot screens, temporary cards. Everything else injected is a warning.
REJECTING_LABELS = {
    "completion:front_only",
    "completion:back_only",
    "expired_card",
    "birth_mismatch",
    "sex_mismatch",
    "bad_check_digit",
    *(f"warning:{side}:{flag}" for side in ("front", "back") for flag in ("photocopy", "reshot", "temporary")),
}


def staged(order: SyntheticOrder) -> dict[str, Any]:
    result = OcrResult.from_envelope(order.order_no, {"code": "0", "result": order.result})
    record = ocr_record(Order(order.order_no, order.order_date), result, {}, (), ()).to_json()
    assert record["outcome"] == OUTCOMES[order.completion]
    return record


def check(record: dict[str, Any], today: date, duplicate_idcards: set[str]) -> list[Any]:
    return check_result(
        record["outcome"], record["result"], order_date=today, clarity_threshold=40, duplicate_idcards=duplicate_idcards
    )


def band(age: int) -> int | None:
    return 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None


def within_slack(result: dict[str, str]) -> bool:
    """An inconsistent card the documented slack accepts: the band of a year younger, or a 5-year permit."""
    birth, (start, end) = result["idcard"][6:14], result["validDate"].split("-")
    age = int(start[:4]) - int(birth[:4]) - (start[4:] < birth[4:])
    years = None if end == "长期" else int(end[:4]) - int(start[:4])
    return years == band(age - 1) or (result["idcard"][:2] in ("81", "82", "83") and years == 5)


def expected_codes(order: SyntheticOrder, duplicated: set[str]) -> list[str]:
    codes = [code for label in order.injected for code in LABEL_CODES[label]]
    if "inconsistent_validity" in order.injected and (
        order.completion is not Completion.BOTH_SIDES or within_slack(order.result)
    ):
        codes.remove("valid_date.age_band")
    if order.result.get("idcard") in duplicated and order.result["frontCode"] == "0":
        codes.append("duplicate.idcard")
    return sorted(codes)


@pytest.fixture(
    scope="module",
    params=[(20240601, date(2024, 6, 1)), (7, date(2024, 2, 29)), (11, date(2023, 12, 31))],
    ids=["2024-06-01", "2024-02-29", "2023-12-31"],
)
def day(request: pytest.FixtureRequest) -> tuple[date, list[tuple[SyntheticOrder, dict[str, Any]]]]:
    """The day's orders that have a result on that day, with their staged records."""
    seed, today = request.param
    book = OrderBook(seed=seed, orders_per_day=ORDERS)
    orders = [order for number in book.order_numbers(today) if (order := book.lookup(number))]
    assert len(orders) == ORDERS
    return today, [(order, staged(order)) for order in orders if order.completes_on == today]


def test_each_fault_gives_exactly_its_codes(day: tuple[date, list[tuple[SyntheticOrder, dict[str, Any]]]]) -> None:
    today, orders = day
    fingerprints = Counter(
        fingerprint for _, record in orders if (fingerprint := result_fingerprint(record["outcome"], record["result"]))
    )
    duplicate_idcards = {fingerprint for fingerprint, count in fingerprints.items() if count > 1}
    numbers = Counter(order.result["idcard"] for order, _ in orders if order.result["frontCode"] == "0")
    duplicated = {number for number, count in numbers.items() if count > 1}
    labelled = {order.result["idcard"] for order, _ in orders if "duplicate_idcard" in order.injected}
    assert duplicated <= labelled and len(duplicated) >= 0.5 * len(labelled) > 0  # twins may complete late

    found: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    clean = excused = 0
    for order, record in orders:
        findings = check(record, today, duplicate_idcards)
        codes = sorted(finding.code for finding in findings)
        assert codes == expected_codes(order, duplicated), order.injected
        found.update(codes)
        expected.update(code for label in order.injected for code in LABEL_CODES[label])
        excused += "inconsistent_validity" in order.injected and "valid_date.age_band" not in codes
        if not set(order.injected) - {"photo_lag", "empty_crop:frontCrop", "empty_crop:backCrop"}:
            clean += 1
            assert codes == [] or codes == ["duplicate.idcard"], order.injected  # a twin
        personal = [record["result"][key] for key in ("idcard", "name", "birth", "address") if key in record["result"]]
        assert not any(value in finding.message for finding in findings for value in personal)

    assert clean > 0.6 * len(orders)
    # Counts per code equal the injected counts, up to the two documented exceptions.
    del expected["valid_date.age_band"]
    assert {code: found[code] for code in expected} == dict(expected)
    assert found["valid_date.age_band"] + excused <= sum("inconsistent_validity" in o.injected for o, _ in orders)
    assert excused <= 0.2 * found["valid_date.age_band"]
    assert found["duplicate.idcard"] == sum(numbers[number] for number in duplicated)
    assert set(found) - set(expected) <= {"valid_date.age_band", "duplicate.idcard"}


def test_default_policy_statuses_follow_the_labels(
    day: tuple[date, list[tuple[SyntheticOrder, dict[str, Any]]]],
) -> None:
    today, orders = day
    fingerprints = Counter(
        fingerprint for _, record in orders if (fingerprint := result_fingerprint(record["outcome"], record["result"]))
    )
    duplicate_idcards = {fingerprint for fingerprint, count in fingerprints.items() if count > 1}
    statuses: Counter[Status] = Counter()
    for order, record in orders:
        findings = check(record, today, duplicate_idcards)
        verdict = decide(findings, DEFAULT_POLICY)
        if REJECTING_LABELS & set(order.injected):
            assert verdict.status is Status.REJECTED, order.injected
        elif findings:
            assert verdict.status is Status.ACCEPTED_WITH_WARNINGS, order.injected
        else:
            assert verdict.status is Status.ACCEPTED, order.injected
        statuses[verdict.status] += 1
    assert statuses[Status.ACCEPTED] > 0.6 * len(orders)
    assert statuses[Status.REJECTED] > 0 and statuses[Status.ACCEPTED_WITH_WARNINGS] > 0
