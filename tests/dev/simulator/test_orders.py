"""The synthetic order book: numbers, determinism, and records that are valid exactly where no fault was injected.

Records are checked by an independent re-implementation of the reference's §8 rules (nothing is imported
from the generator's helpers), which must flag precisely the faults each order's labels announce.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tracemalloc
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tencent_kyc_dev
from oracle import NATION_NAMES, lawful_years, years_later
from tencent_kyc_dev.simulator.orders import Completion, FaultRates, OrderBook, SyntheticOrder

DAY = date(2024, 6, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PROVINCES = dict(
    re.findall(
        r"(\d\d):(\S+)",
        "11:北京 12:天津 13:河北 14:山西 15:内蒙古 21:辽宁 22:吉林 23:黑龙江 31:上海 32:江苏 33:浙江 34:安徽 35:福建 "
        "36:江西 37:山东 41:河南 42:湖北 43:湖南 44:广东 45:广西 46:海南 50:重庆 51:四川 52:贵州 53:云南 54:西藏 "
        "61:陕西 62:甘肃 63:青海 64:宁夏 65:新疆 81:香港 82:澳门 83:台湾",
    )
)
FRONT_KEYS = {
    "name",
    "sex",
    "nation",
    "birth",
    "address",
    "idcard",
    "frontWarnCode",
    "frontMultiWarning",
    "frontClarity",
}
BACK_KEYS = {"validDate", "authority", "backWarnCode", "backMultiWarning", "backClarity"}
COMMON_KEYS = {"orderNo", "frontCode", "backCode", "operateTime"}
#: Label (prefix) → the record rule it must break; labels absent here change no field.
LABEL_RULES = {
    "warning:front": "front_warning",
    "multi_warning:front": "front_warning",
    "warning:back": "back_warning",
    "multi_warning:back": "back_warning",
    "expired_card": "expired",
    "inconsistent_validity": "validity_band",
    "low_clarity:front": "front_clarity",
    "low_clarity:back": "back_clarity",
    "unknown_nation": "nation",
    "birth_mismatch": "birth",
    "sex_mismatch": "sex",
    "bad_check_digit": "check_digit",
}


# --- An independent validator -----------------------------------------------------------------------------------


def _parse_day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _bitmap_ok(result: dict[str, str], side: str) -> bool:
    return result[f"{side}MultiWarning"] == "00000000" and result[f"{side}WarnCode"] == result[f"{side}MultiWarning"]


def _clarity_ok(value: str) -> bool:
    return value.isdigit() and 40 <= int(value) <= 95


def violations(result: dict[str, str], order_date: date) -> set[str]:
    """The §8 rules a completed record breaks (format errors are assertion failures, never expected)."""
    broken: set[str] = set()
    operated = datetime.strptime(result["operateTime"], "%Y-%m-%d %H:%M:%S")
    assert order_date <= operated.date() <= order_date + timedelta(days=2)
    birth = None
    if result["frontCode"] == "0":
        idcard = result["idcard"]
        assert re.fullmatch(r"\d{17}[\dX]", idcard), idcard
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{2,5}·[\u4e00-\u9fff]{2,5}", result["name"])
        assert re.fullmatch(r"[01]{6}00", result["frontMultiWarning"])
        assert result["sex"] in ("男", "女")
        birth = _parse_day(idcard[6:14])
        assert birth is not None and birth < order_date
        if "10X98765432"[sum(int(c) * w for c, w in zip(idcard, WEIGHTS, strict=False)) % 11] != idcard[17]:
            broken.add("check_digit")
        if result["birth"] != idcard[6:14]:
            broken.add("birth")
        if (result["sex"] == "男") != (int(idcard[16]) % 2 == 1):
            broken.add("sex")
        if idcard[:2] not in PROVINCES or not result["address"].startswith(PROVINCES[idcard[:2]]):
            broken.add("province")
        if result["nation"] not in NATION_NAMES:
            broken.add("nation")
        if not _clarity_ok(result["frontClarity"]):
            broken.add("front_clarity")
        if not _bitmap_ok(result, "front"):
            broken.add("front_warning")
    if result["backCode"] == "0":
        match = re.fullmatch(r"(\d{8})-(\d{8}|长期)", result["validDate"])
        assert match, result["validDate"]
        assert re.fullmatch(r"[01]{8}", result["backMultiWarning"])
        assert "公安局" in result["authority"]
        start = _parse_day(match[1])
        assert start is not None and start < order_date
        end = None if match[2] == "长期" else _parse_day(match[2])
        if end is not None and end < order_date:
            broken.add("expired")
        if birth is not None:
            span = lawful_years(birth, start)
            if (end is None) != (span is None) or (span is not None and end != years_later(start, span)):
                broken.add("validity_band")
        if not _clarity_ok(result["backClarity"]):
            broken.add("back_clarity")
        if not _bitmap_ok(result, "back"):
            broken.add("back_warning")
    return broken


def expected_violations(order: SyntheticOrder) -> set[str]:
    rules = {rule for label in order.injected for prefix, rule in LABEL_RULES.items() if label.startswith(prefix)}
    if order.completion is not Completion.BOTH_SIDES:
        rules.discard("validity_band")  # needs the birth date from the other side
    return rules


def check_day(book: OrderBook, day: date) -> list[SyntheticOrder]:
    """Every order of the day round-trips through lookup and breaks exactly the rules its labels announce."""
    orders = []
    for order_no in book.order_numbers(day):
        order = book.lookup(order_no)
        assert order is not None and order.order_no == order_no and order.order_date == day
        if order.completion is Completion.NEVER:
            assert order.result == {} and order.completes_on is None and order.injected == ("completion:never",)
        else:
            assert violations(order.result, day) == expected_violations(order), order
        orders.append(order)
    return orders


def family_count(orders: list[SyntheticOrder], prefix: str) -> int:
    return sum(any(label.startswith(prefix) for label in order.injected) for order in orders)


@pytest.fixture(scope="module")
def day_orders() -> list[SyntheticOrder]:
    return check_day(OrderBook(orders_per_day=5000), DAY)


# --- Order numbers ----------------------------------------------------------------------------------------------


def test_order_numbers_are_short_alphanumeric_and_unique_across_days() -> None:
    book = OrderBook(orders_per_day=2000)
    numbers = book.order_numbers(DAY) + book.order_numbers(DAY + timedelta(days=1))
    assert len(set(numbers)) == 4000
    assert all(re.fullmatch(r"[0-9a-z]{1,32}", number) for number in numbers)


def test_order_numbers_are_deterministic_per_seed() -> None:
    assert OrderBook(seed=7).order_numbers(DAY) == OrderBook(seed=7).order_numbers(DAY)
    assert not set(OrderBook(seed=7).order_numbers(DAY)) & set(OrderBook(seed=8).order_numbers(DAY))


def test_lookup_rejects_numbers_it_did_not_issue() -> None:
    book = OrderBook(orders_per_day=10)
    number = book.order_numbers(DAY)[3]
    tampered = [number[:i] + ("1" if number[i] != "1" else "2") + number[i + 1 :] for i in range(len(number))]
    others = [
        *tampered,
        number.upper(),
        number[:-1],
        number + "0",
        "",
        number.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        OrderBook(seed=1, orders_per_day=10).order_numbers(DAY)[3],
        OrderBook(orders_per_day=20).order_numbers(DAY)[15],  # same key, index beyond this book's day
        book._number("202413320000001"),  # a correctly keyed number on a day that does not exist
    ]
    assert [book.lookup(other) for other in others] == [None] * len(others)


@given(st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=32))
def test_lookup_of_random_numbers_is_none(order_no: str) -> None:
    assert OrderBook().lookup(order_no) is None


def test_a_million_orders_a_day_are_distinct_and_each_is_found_without_listing_the_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cheap by construction, not by a stopwatch: a lookup decodes the number and never lists the day."""
    book = OrderBook(orders_per_day=1_000_000)
    numbers = book.order_numbers(DAY)
    assert len(set(numbers)) == 1_000_000

    def listing(day: date) -> list[str]:
        raise AssertionError("lookup listed the whole day")

    monkeypatch.setattr(book, "order_numbers", listing)
    orders = [book.lookup(numbers[index]) for index in range(0, 1_000_000, 10_007)]
    assert all(order is not None and order.order_no == numbers[index * 10_007] for index, order in enumerate(orders))


def test_order_numbers_need_no_memory_beyond_the_list() -> None:
    book = OrderBook(orders_per_day=200_000)
    book.order_numbers(DAY)  # warm caches
    tracemalloc.start()
    numbers = book.order_numbers(DAY)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = sys.getsizeof(numbers) + sum(sys.getsizeof(number) for number in numbers)
    assert peak < 1.2 * held


# --- Determinism ------------------------------------------------------------------------------------------------


def _digest(book: OrderBook, day: date) -> str:
    return hashlib.sha256(repr([book.lookup(number) for number in book.order_numbers(day)]).encode()).hexdigest()


def test_orders_are_identical_across_instances_and_processes() -> None:
    book = OrderBook(seed=99, orders_per_day=300)
    assert [book.lookup(n) for n in book.order_numbers(DAY)] == [book.lookup(n) for n in book.order_numbers(DAY)]
    script = (
        "from datetime import date; from tencent_kyc_dev.simulator.orders import OrderBook; import hashlib; "
        "book = OrderBook(seed=99, orders_per_day=300); "
        "orders = [book.lookup(n) for n in book.order_numbers(date(2024, 6, 1))]; "
        "print(hashlib.sha256(repr(orders).encode()).hexdigest())"
    )
    plugins = str(Path(tencent_kyc_dev.__file__).resolve().parents[1])
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": plugins, "PYTHONHASHSEED": hash_seed}
        output = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        assert output.stdout.strip() == _digest(OrderBook(seed=99, orders_per_day=300), DAY)


def test_seed_and_day_change_the_people() -> None:
    def idcards(book: OrderBook, day: date) -> set[str]:
        return {o.result["idcard"] for n in book.order_numbers(day) if (o := book.lookup(n)) and "idcard" in o.result}

    base = idcards(OrderBook(orders_per_day=200), DAY)
    assert not base & idcards(OrderBook(seed=1, orders_per_day=200), DAY)
    assert not base & idcards(OrderBook(orders_per_day=200), DAY + timedelta(days=1))


# --- Records ----------------------------------------------------------------------------------------------------


def test_fields_follow_the_recognised_sides(day_orders: list[SyntheticOrder]) -> None:
    for order in day_orders:
        result, sides = order.result, order.completion.sides
        if order.completion is Completion.NEVER:
            continue
        expected = COMMON_KEYS | (FRONT_KEYS if "front" in sides else set()) | (BACK_KEYS if "back" in sides else set())
        assert set(result) == expected
        assert result["orderNo"] == order.order_no
        assert (result["frontCode"] == "0") == ("front" in sides)
        assert (result["backCode"] == "0") == ("back" in sides)
        assert re.fullmatch(r"0|6666\d{4}", result["frontCode"]) and re.fullmatch(r"0|6666\d{4}", result["backCode"])
        assert all(isinstance(value, str) for value in result.values())


def test_timing_faults_match_their_labels(day_orders: list[SyntheticOrder]) -> None:
    for order in day_orders:
        if order.completion is Completion.NEVER:
            continue
        assert order.completes_on is not None
        delay = (order.completes_on - order.order_date).days
        assert ([f"late:{delay}"] if delay else []) == [label for label in order.injected if label.startswith("late")]
        assert order.result["operateTime"].startswith(order.completes_on.isoformat())
        assert order.photo_lag == ("photo_lag" in order.injected)
        assert {f"empty_crop:{crop}" for crop in order.empty_crops} == {
            label for label in order.injected if label.startswith("empty_crop")
        }
        assert all(crop.removesuffix("Crop") in order.completion.sides for crop in order.empty_crops)


def test_warning_labels_spell_out_the_bitmaps(day_orders: list[SyntheticOrder]) -> None:
    flags = ("border", "photocopy", "invalid_date", "reshot", "temporary", "occluded")
    for order in day_orders:
        for side in order.completion.sides:
            bitmap = order.result[f"{side}MultiWarning"]
            named = {f"warning:{side}:{flag}" for flag, bit in zip(flags, bitmap, strict=False) if bit == "1"}
            assert named == {label for label in order.injected if label.startswith(f"warning:{side}:")}
            assert (bitmap.count("1") > 1) == (f"multi_warning:{side}" in order.injected)
        assert "warning:front:invalid_date" not in order.injected


def test_duplicates_share_a_person_with_another_order(day_orders: list[SyntheticOrder]) -> None:
    fronts = [order for order in day_orders if "front" in order.completion.sides]
    by_idcard: dict[str, list[SyntheticOrder]] = {}
    for order in fronts:
        by_idcard.setdefault(order.result["idcard"], []).append(order)
    duplicates = [order for order in fronts if "duplicate_idcard" in order.injected]
    for order in duplicates:
        twins = [other for other in by_idcard[order.result["idcard"]] if other is not order]
        assert twins and all(other.result["name"] == order.result["name"] for other in twins)
    assert len(fronts) - len(by_idcard) == len(duplicates)  # no accidental duplicates


def test_every_fault_hits_its_exact_share(day_orders: list[SyntheticOrder]) -> None:
    rates, orders = FaultRates(), len(day_orders)

    def share(*rates_: float) -> int:
        return round(sum(rates_) * orders)

    expected = {
        "completion:never": share(rates.never_completed),
        "completion:front_only": share(rates.front_only),
        "completion:back_only": share(rates.back_only),
        "late:": share(rates.late),
        "photo_lag": share(rates.photo_lag),
        "empty_crop:": share(rates.empty_crop),
        "warning:": share(rates.warning),
        "multi_warning:": share(rates.multi_warning),
        "low_clarity:": share(rates.low_clarity),
        "expired_card": share(rates.expired_card),
        "inconsistent_validity": share(rates.expired_card, rates.inconsistent_validity) - share(rates.expired_card),
        "unknown_nation": share(rates.unknown_nation),
        "birth_mismatch": share(rates.birth_mismatch),
        "sex_mismatch": share(rates.sex_mismatch),
        "duplicate_idcard": share(rates.duplicate_idcard),
        "bad_check_digit": share(rates.duplicate_idcard, rates.bad_check_digit) - share(rates.duplicate_idcard),
    }
    assert {prefix: family_count(day_orders, prefix) for prefix in expected} == expected
    clean = sum(not order.injected for order in day_orders)
    assert 0.6 * orders < clean < 0.8 * orders


def test_injected_counts_tally_the_labels(day_orders: list[SyntheticOrder]) -> None:
    counts = OrderBook(orders_per_day=5000).injected_counts(DAY)
    assert counts == dict(Counter(label for order in day_orders for label in order.injected))


def test_population_looks_real(day_orders: list[SyntheticOrder]) -> None:
    people = [o.result for o in day_orders if o.completion is Completion.BOTH_SIDES and not o.injected]
    total = len(people)
    ages = [(DAY - datetime.strptime(person["birth"], "%Y%m%d").date()).days / 365.25 for person in people]
    assert 0.88 < sum(person["nation"] == "汉" for person in people) / total < 0.94
    assert len({person["nation"] for person in people}) > 15
    assert 0.45 < sum(person["sex"] == "男" for person in people) / total < 0.55
    assert min(ages) >= 6 and max(ages) <= 81 and 0.01 < sum(age < 16 for age in ages) / total < 0.06
    assert 0.06 < sum(person["idcard"].endswith("X") for person in people) / total < 0.12
    assert 5 <= sum(person["idcard"][:2] in ("81", "82", "83") for person in people) < 0.02 * total
    assert sum(person["validDate"].endswith("长期") for person in people) > 0.1 * total
    assert sum("·" in person["name"] for person in people) > 0
    assert len({person["address"] for person in people}) > 0.99 * total
    assert all(re.fullmatch(r"\S+(公安局\S+分局|[市县]公安局)", person["authority"]) for person in people)


@pytest.mark.parametrize("day", [date(2024, 2, 29), date(2023, 12, 31), date(2000, 1, 1), date(2038, 3, 1)])
def test_other_days_are_valid_too(day: date) -> None:
    check_day(OrderBook(seed=3, orders_per_day=1500), day)


# --- Configuration ----------------------------------------------------------------------------------------------

_RATE_NAMES = [name for name in FaultRates.__dataclass_fields__ if name != "multi_warning"]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**64),
    orders=st.integers(1, 250),
    day=st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    shares=st.lists(st.floats(0, 0.05), min_size=len(_RATE_NAMES), max_size=len(_RATE_NAMES)),
    multi=st.floats(0, 1),
)
def test_any_configuration_gives_valid_orders_and_exact_counts(
    seed: int, orders: int, day: date, shares: list[float], multi: float
) -> None:
    chosen = dict(zip(_RATE_NAMES, shares, strict=True))
    rates = FaultRates(**chosen, multi_warning=multi * chosen["warning"])
    day_orders = check_day(OrderBook(seed, orders, rates), day)
    assert family_count(day_orders, "completion:never") == round(rates.never_completed * orders)
    assert family_count(day_orders, "warning:") == round(rates.warning * orders)
    assert family_count(day_orders, "multi_warning:") == round(rates.multi_warning * orders)
    assert family_count(day_orders, "birth_mismatch") == round(rates.birth_mismatch * orders)


def test_no_faults_means_every_order_is_clean() -> None:
    rates = FaultRates(**dict.fromkeys(FaultRates.__dataclass_fields__, 0.0))
    assert not any(order.injected for order in check_day(OrderBook(orders_per_day=500, rates=rates), DAY))


def test_all_never_completed() -> None:
    rates = FaultRates(never_completed=1.0, front_only=0.0, back_only=0.0)
    orders = check_day(OrderBook(orders_per_day=50, rates=rates), DAY)
    assert {order.completion for order in orders} == {Completion.NEVER}


@pytest.mark.parametrize(
    "bad",
    [
        {"late": -0.1},
        {"photo_lag": 1.5},
        {"front_only": 0.5, "back_only": 0.3, "never_completed": 0.3},
        {"warning": 0.01, "multi_warning": 0.02},
    ],
)
def test_impossible_rates_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultRates(**bad)


@pytest.mark.parametrize("orders", [0, -1, 10_000_001])
def test_orders_per_day_must_fit_the_number(orders: int) -> None:
    with pytest.raises(ValueError):
        OrderBook(orders_per_day=orders)
