"""The simulator's synthetic order book: deterministic, realistic getOcrResult records with injected faults.

An order is a pure function of (seed, orders_per_day, rates, day, index). Its number embeds the day, the index
and a keyed checksum, so ``lookup`` regenerates any order in O(1) without per-order state and rejects numbers
it never issued. Faults are dealt by keyed affine shuffles of the day's orders into consecutive quota
segments, so each hits exactly ``round(rate * orders_per_day)`` orders (fewer only if fewer orders can carry
it) instead of a binomial count: tests can compare exact numbers.

Labels in ``SyntheticOrder.injected`` (in this order; each describes the record as served):

- ``completion:front_only`` / ``completion:back_only`` / ``completion:never`` — one side not recognised (its
  code is a 666610xx failure and its fields are absent) / never finished (the server answers 66660020).
- ``late:1`` / ``late:2`` — the OCR completes that many days after the order date (66660020 until then);
  ``operateTime`` is on the completion day.
- ``photo_lag`` — photos empty on the first query, present ~1 s later (the server keeps the time).
- ``empty_crop:frontCrop`` / ``empty_crop:backCrop`` — that crop is empty; the full photo is present.
- ``warning:<side>:<flag>`` — one per bit set in ``<side>MultiWarning`` (= ``<side>WarnCode``); side ``front``
  or ``back``; flag in WARNING_FLAGS (``invalid_date`` only on the back, where the dates are).
- ``multi_warning:<side>`` — that side has two or more bits set. ``rates.warning`` is the share of orders with
  any warning bit; the ``rates.multi_warning`` orders are among them.
- ``expired_card`` — validDate ends before the order date (span still lawful for the age at issue).
- ``inconsistent_validity`` — span not the one the law gives for the age at issue (card not expired).
- ``low_clarity:<side>`` — ``<side>Clarity`` below 40.
- ``unknown_nation`` — a nation outside the 56 (e.g. 穿青人).
- ``birth_mismatch`` — ``birth`` differs from ID digits 7–14 by a few days.
- ``sex_mismatch`` — ``sex`` disagrees with the parity of ID digit 17.
- ``bad_check_digit`` — the 18th ID character is wrong.
- ``duplicate_idcard`` — same person and card as another order of the day (that one is not labelled).

Everything else is valid under the GB 11643 rules; residence permits (81/82/83) are generated like ID cards.
The card holders and their cards come from people.py; this module decides where the faults fall.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import math
import random
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from tencent_kyc.validation.warnings import DOCUMENTED_FLAGS as WARNING_FLAGS
from tencent_kyc_dev.simulator.people import (
    UNKNOWN_NATIONS,
    card_holder,
    expired_card,
    inconsistent_card,
    keyed_rng,
    valid_date,
)

_INDEX_DIGITS = 7
_CHECKSUM_CHARS = 10
ORDER_NO_LENGTH = 8 + _INDEX_DIGITS + _CHECKSUM_CHARS
MAX_ORDERS_PER_DAY = 10**_INDEX_DIGITS


class Completion(enum.Enum):
    """How far the end user got; decides which sides' fields exist."""

    BOTH_SIDES = "both_sides"
    FRONT_ONLY = "front_only"
    BACK_ONLY = "back_only"
    NEVER = "never"

    @property
    def sides(self) -> tuple[str, ...]:
        """The recognised sides, ``front`` before ``back``."""
        return _SIDES[self]


_SIDES = {
    Completion.BOTH_SIDES: ("front", "back"),
    Completion.FRONT_ONLY: ("front",),
    Completion.BACK_ONLY: ("back",),
    Completion.NEVER: (),
}


@dataclass(frozen=True)
class FaultRates:
    """Fractions of a day's orders carrying each fault (see the module docstring for their labels)."""

    front_only: float = 0.02
    back_only: float = 0.01
    never_completed: float = 0.03
    late: float = 0.02
    photo_lag: float = 0.05
    empty_crop: float = 0.03
    warning: float = 0.08
    multi_warning: float = 0.02
    expired_card: float = 0.01
    inconsistent_validity: float = 0.01
    low_clarity: float = 0.02
    unknown_nation: float = 0.002
    birth_mismatch: float = 0.003
    sex_mismatch: float = 0.003
    bad_check_digit: float = 0.002
    duplicate_idcard: float = 0.003

    def __post_init__(self) -> None:
        for spec in fields(self):
            if not 0.0 <= getattr(self, spec.name) <= 1.0:
                raise ValueError(f"FaultRates.{spec.name} must be between 0 and 1")
        if self.front_only + self.back_only + self.never_completed > 1.0:
            raise ValueError("FaultRates: front_only + back_only + never_completed exceed 1")
        if self.multi_warning > self.warning:
            raise ValueError("FaultRates: multi-warning orders are a subset of warning orders")


@dataclass(frozen=True)
class SyntheticOrder:
    """One order as the simulator serves it; ``result`` lacks photos and the envelope fields."""

    order_no: str
    order_date: date
    completion: Completion
    completes_on: date | None
    photo_lag: bool
    empty_crops: frozenset[str]
    result: dict[str, str]
    injected: tuple[str, ...]


_FRONT_FAILURES = ("66661006", "66661006", "66661006", "66661001", "66661008")
_BACK_FAILURES = ("66661007", "66661007", "66661007", "66661001", "66661012")
_FRONT_ONLY_FIELDS = frozenset(
    {"name", "sex", "nation", "birth", "address", "idcard", "frontWarnCode", "frontMultiWarning", "frontClarity"}
)
_BACK_ONLY_FIELDS = frozenset({"validDate", "authority", "backWarnCode", "backMultiWarning", "backClarity"})


# --- Where each day's faults fall --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shuffle:
    """A keyed affine permutation of the positions ``lo ≤ p < lo + size``: O(1) both ways, no tables."""

    lo: int
    size: int
    mul: int
    add: int

    @classmethod
    def keyed(cls, rng: random.Random, lo: int, size: int) -> _Shuffle:
        mul = 1
        while size > 2 and (mul == 1 or math.gcd(mul, size) != 1):
            mul = rng.randrange(2, size)
        return cls(lo, size, mul, rng.randrange(size) if size else 0)

    def rank(self, position: int) -> int | None:
        """Where ``position`` lands in the shuffled order, or None when it is outside the range."""
        offset = position - self.lo
        return (offset * self.mul + self.add) % self.size if 0 <= offset < self.size else None

    def position(self, rank: int) -> int:
        return self.lo + (rank - self.add) * pow(self.mul, -1, self.size) % self.size


@dataclass(frozen=True)
class _Family:
    """Mutually exclusive faults dealt to consecutive rank segments of one shuffle."""

    shuffle: _Shuffle
    labels: tuple[str, ...]
    ends: tuple[int, ...]

    def pick(self, position: int) -> str | None:
        rank = self.shuffle.rank(position)
        if rank is None:
            return None
        return next((label for label, end in zip(self.labels, self.ends, strict=True) if rank < end), None)


@dataclass(frozen=True)
class _DayPlan:
    """Where each fault falls on one day. Orders sit at ``completion.rank(index)``, laid out as
    [never | front only | both sides | back only], so the orders able to carry a fault form one range."""

    completion: _Shuffle
    never: int
    front_only: int
    back_only: int
    families: dict[str, _Family]

    def sides(self, position: int) -> Completion:
        if position < self.never:
            return Completion.NEVER
        if position < self.never + self.front_only:
            return Completion.FRONT_ONLY
        if position >= self.completion.size - self.back_only:
            return Completion.BACK_ONLY
        return Completion.BOTH_SIDES


@functools.lru_cache(maxsize=64)
def _plan(seed: int, orders: int, rates: FaultRates, day: date) -> _DayPlan:
    rng = keyed_rng(seed, day, -1, f"plan|{orders}")

    def quota(rate: float) -> int:
        return round(rate * orders)

    never = quota(rates.never_completed)
    front_only = min(quota(rates.front_only), orders - never)
    back_only = min(quota(rates.back_only), orders - never - front_only)
    ranges = {
        "any": (never, orders - never),
        "front": (never, orders - never - back_only),
        "back": (never + front_only, orders - never - front_only),
    }
    # A family's faults exclude each other: each takes the ranks up to its cumulative share, so that rounding
    # never shifts a family's total.
    r = rates
    layout = {
        "late": ("any", {"late": r.late}),
        "photo_lag": ("any", {"photo_lag": r.photo_lag}),
        "empty_crop": ("any", {"empty_crop": r.empty_crop}),
        "warning": ("any", {"multi_warning": r.multi_warning, "warning": r.warning}),
        "low_clarity": ("any", {"low_clarity": r.low_clarity}),
        "validity": (
            "back",
            {"expired_card": r.expired_card, "inconsistent_validity": r.expired_card + r.inconsistent_validity},
        ),
        "unknown_nation": ("front", {"unknown_nation": r.unknown_nation}),
        "birth_mismatch": ("front", {"birth_mismatch": r.birth_mismatch}),
        "sex_mismatch": ("front", {"sex_mismatch": r.sex_mismatch}),
        "identity": (
            "front",
            {"duplicate_idcard": r.duplicate_idcard, "bad_check_digit": r.duplicate_idcard + r.bad_check_digit},
        ),
    }
    families = {
        family: _Family(_Shuffle.keyed(rng, *ranges[scope]), tuple(ends), tuple(quota(end) for end in ends.values()))
        for family, (scope, ends) in layout.items()
    }
    return _DayPlan(_Shuffle.keyed(rng, 0, orders), never, front_only, back_only, families)


# --- Orders -----------------------------------------------------------------------------------------------------


def _bitmap(flags: set[str]) -> str:
    return "".join("1" if flag in flags else "0" for flag in WARNING_FLAGS) + "00"


def _generate(seed: int, orders: int, rates: FaultRates, day: date, index: int, order_no: str) -> SyntheticOrder:
    plan = _plan(seed, orders, rates, day)
    position = plan.completion.rank(index)
    assert position is not None
    completion = plan.sides(position)
    if completion is Completion.NEVER:
        return SyntheticOrder(order_no, day, completion, None, False, frozenset(), {}, ("completion:never",))
    fault = {family: spec.pick(position) for family, spec in plan.families.items()}
    rng = keyed_rng(seed, day, index, "order")
    sides = completion.sides
    labels = [] if completion is Completion.BOTH_SIDES else [f"completion:{completion.value}"]

    completes_on = day
    if fault["late"]:
        delay = rng.choice((1, 2))
        completes_on += timedelta(days=delay)
        labels.append(f"late:{delay}")
    if fault["photo_lag"]:
        labels.append("photo_lag")
    empty_crops: frozenset[str] = frozenset()
    if fault["empty_crop"]:
        crop = f"{rng.choice(sides)}Crop"
        empty_crops = frozenset({crop})
        labels.append(f"empty_crop:{crop}")

    warnings: dict[str, set[str]] = {"front": set(), "back": set()}
    if fault["warning"]:
        side = rng.choice(sides)
        choices = [flag for flag in WARNING_FLAGS if side == "back" or flag != "invalid_date"]
        warnings[side].update(
            rng.sample(choices, rng.choice((2, 2, 2, 3)) if fault["warning"] == "multi_warning" else 1)
        )
        labels += [f"warning:{side}:{flag}" for flag in WARNING_FLAGS if flag in warnings[side]]
        if len(warnings[side]) > 1:
            labels.append(f"multi_warning:{side}")

    person = card_holder(seed, day, index)
    identity = plan.families["identity"]
    if fault["identity"] == "duplicate_idcard" and identity.ends[-1] < identity.shuffle.size:
        # The twin is any other recognised front outside the identity faults, so its number is intact.
        twin_position = identity.shuffle.position(rng.randrange(identity.ends[-1], identity.shuffle.size))
        person = card_holder(seed, day, plan.completion.position(twin_position))
    elif fault["identity"] == "duplicate_idcard":
        fault["identity"] = None
    issue, span = person.issue, person.span
    if fault["validity"] == "expired_card":
        issue, span = expired_card(rng, person.birth, day)
    elif fault["validity"] == "inconsistent_validity":
        issue, span = inconsistent_card(rng, person.birth, day)
    if fault["validity"]:
        labels.append(fault["validity"])

    clarity = {side: int(rng.triangular(40, 95, 72)) for side in ("front", "back")}
    if fault["low_clarity"]:
        side = rng.choice(sides)
        clarity[side] = rng.randint(8, 39)
        labels.append(f"low_clarity:{side}")

    nation, sex, birth, idcard = person.nation, person.sex, person.birth, person.idcard
    if fault["unknown_nation"]:
        nation = rng.choice(UNKNOWN_NATIONS)
        labels.append("unknown_nation")
    if fault["birth_mismatch"]:
        birth += timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 30))
        labels.append("birth_mismatch")
    if fault["sex_mismatch"]:
        sex = "女" if sex == "男" else "男"
        labels.append("sex_mismatch")
    if fault["identity"] == "bad_check_digit":
        idcard = idcard[:17] + rng.choice([char for char in "0123456789X" if char != idcard[17]])
    if fault["identity"]:
        labels.append(fault["identity"])

    operated = datetime.combine(completes_on, datetime.min.time()) + timedelta(
        seconds=int(rng.triangular(0, 86_399, 15 * 3600))
    )
    values = {
        "orderNo": order_no,
        "frontCode": "0" if "front" in sides else rng.choice(_FRONT_FAILURES),
        "backCode": "0" if "back" in sides else rng.choice(_BACK_FAILURES),
        "name": person.name,
        "sex": sex,
        "nation": nation,
        "birth": f"{birth:%Y%m%d}",
        "address": person.address,
        "idcard": idcard,
        "validDate": valid_date(issue, span),
        "authority": person.authority,
        "operateTime": f"{operated:%Y-%m-%d %H:%M:%S}",
        "frontWarnCode": _bitmap(warnings["front"]),
        "backWarnCode": _bitmap(warnings["back"]),
        "frontMultiWarning": _bitmap(warnings["front"]),
        "backMultiWarning": _bitmap(warnings["back"]),
        "frontClarity": str(clarity["front"]),
        "backClarity": str(clarity["back"]),
    }
    absent = (set() if "front" in sides else _FRONT_ONLY_FIELDS) | (set() if "back" in sides else _BACK_ONLY_FIELDS)
    result = {key: value for key, value in values.items() if key not in absent}
    return SyntheticOrder(
        order_no, day, completion, completes_on, bool(fault["photo_lag"]), empty_crops, result, tuple(labels)
    )


class OrderBook:
    """All orders of any day for one seed. Holds no per-order state: every answer is recomputed."""

    def __init__(self, seed: int = 20240601, orders_per_day: int = 1000, rates: FaultRates = FaultRates()) -> None:
        if not 1 <= orders_per_day <= MAX_ORDERS_PER_DAY:
            raise ValueError(f"orders_per_day must be between 1 and {MAX_ORDERS_PER_DAY}")
        self.seed = seed
        self.orders_per_day = orders_per_day
        self.rates = rates
        key = hashlib.blake2b(f"tencent-kyc-simulator|{seed}".encode(), digest_size=32).digest()
        self._checksum = hashlib.blake2b(key=key, digest_size=_CHECKSUM_CHARS // 2)

    def _number(self, body: str) -> str:
        checksum = self._checksum.copy()
        checksum.update(body.encode())
        return body + checksum.hexdigest()

    def order_numbers(self, day: date) -> list[str]:
        """The day's order numbers: ``yyyymmdd``, a 7-digit index and a 10-hex-digit keyed checksum."""
        stamp = f"{day:%Y%m%d}"
        return [self._number(f"{stamp}{index:07d}") for index in range(self.orders_per_day)]

    def locate(self, order_no: str) -> tuple[date, int] | None:
        """(order date, index) of a number this book issued; None for any other (other records key on them)."""
        body = order_no[: 8 + _INDEX_DIGITS]
        if len(order_no) != ORDER_NO_LENGTH or not order_no.isascii() or not body.isdigit():
            return None
        if not hmac.compare_digest(self._number(body), order_no) or int(body[8:]) >= self.orders_per_day:
            return None
        try:
            return date(int(body[:4]), int(body[4:6]), int(body[6:8])), int(body[8:])
        except ValueError:
            return None

    def lookup(self, order_no: str) -> SyntheticOrder | None:
        """The order behind ``order_no``, or None for any number this book did not issue."""
        found = self.locate(order_no)
        return None if found is None else _generate(self.seed, self.orders_per_day, self.rates, *found, order_no)

    def injected_counts(self, day: date) -> dict[str, int]:
        """Label → number of the day's orders carrying it (regenerates the whole day)."""
        counts: Counter[str] = Counter()
        for index, order_no in enumerate(self.order_numbers(day)):
            counts.update(_generate(self.seed, self.orders_per_day, self.rates, day, index, order_no).injected)
        return dict(counts)
