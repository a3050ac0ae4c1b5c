"""The simulator's deterministic order book: every order of every date, regenerated from its number.

An order number is ``<yyyymmdd><index:07d><check:5>`` (20 letters/digits) where the check is keyed by the
seed, so unknown numbers are recognised without storing anything, and a day of a million orders costs
nothing until it is queried. Each order's content comes from a ``random.Random`` seeded by (seed, number):
identical across calls and processes.

``injected`` names every fault built into an order, so tests can compare what downstream code found with
what was put there. Labels: ``completion:front_only``, ``completion:back_only``, ``completion:never``,
``late:<days>``, ``photo_lag``, ``empty_crop:<frontCrop|backCrop>``, ``warning:<front|back>:<flag>`` (flags
``border, photocopy, invalid_date, reshot, temporary, occluded``), ``multi_warning``, ``expired_card``,
``inconsistent_validity``, ``low_clarity:<front|back>``, ``unknown_nation``, ``birth_mismatch``,
``sex_mismatch``, ``bad_check_digit``, ``duplicate_idcard``.
"""

from __future__ import annotations

import enum
import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Callable
from datetime import date, datetime, timedelta

from tencent_kyc.simulator.people import CHECK_CHARS, add_years, make_person

WARNING_FLAGS = ("border", "photocopy", "invalid_date", "reshot", "temporary", "occluded")
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
Hit = Callable[[float, str | None], bool]


class Completion(enum.Enum):
    BOTH_SIDES = "both_sides"
    FRONT_ONLY = "front_only"
    BACK_ONLY = "back_only"
    NEVER = "never"


@dataclass(frozen=True)
class FaultRates:
    """Fractions of a day's orders carrying each fault (defaults: plausible production rates)."""

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


@dataclass(frozen=True)
class SyntheticOrder:
    order_no: str
    order_date: date
    completion: Completion
    completes_on: date | None
    photo_lag: bool
    empty_crops: frozenset[str]
    result: dict[str, str] = field(repr=False)
    injected: tuple[str, ...]


FRONT_FIELDS = ("name", "sex", "nation", "birth", "address", "idcard")
BACK_FIELDS = ("validDate", "authority")


class OrderBook:
    def __init__(self, seed: int = 20240601, orders_per_day: int = 1000, rates: FaultRates | None = None) -> None:
        self.seed = seed
        self.orders_per_day = orders_per_day
        self.rates = rates or FaultRates()

    def _check(self, stem: str) -> str:
        digest = hashlib.blake2b(f"{self.seed}:{stem}".encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "big")
        return "".join(_ALPHABET[(value >> (6 * i)) % len(_ALPHABET)] for i in range(5))

    def order_no(self, day: date, index: int) -> str:
        stem = f"{day:%Y%m%d}{index:07d}"
        return stem + self._check(stem)

    def order_numbers(self, day: date) -> list[str]:
        return [self.order_no(day, index) for index in range(self.orders_per_day)]

    def lookup(self, order_no: str) -> SyntheticOrder | None:
        """The order behind a number, or None for a number this book never issued."""
        if len(order_no) != 20 or not order_no[:15].isdigit() or self._check(order_no[:15]) != order_no[15:]:
            return None
        try:
            day = datetime.strptime(order_no[:8], "%Y%m%d").date()
        except ValueError:
            return None
        index = int(order_no[8:15])
        return self._generate(order_no, day, index) if index < self.orders_per_day else None

    def injected_counts(self, day: date) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for order_no in self.order_numbers(day):
            order = self.lookup(order_no)
            assert order is not None
            counts.update(order.injected)
        return dict(counts)

    def _rng(self, key: str) -> random.Random:
        return random.Random(int.from_bytes(hashlib.blake2b(f"{self.seed}:{key}".encode()).digest()[:8], "big"))

    def _generate(self, order_no: str, day: date, index: int) -> SyntheticOrder:
        rng, rates = self._rng(order_no), self.rates
        injected: list[str] = []

        def hit(rate: float, label: str | None) -> bool:
            if rng.random() < rate:
                if label:
                    injected.append(label)
                return True
            return False

        completion = Completion.BOTH_SIDES
        roll = rng.random()
        for kind, rate in ((Completion.FRONT_ONLY, rates.front_only), (Completion.BACK_ONLY, rates.back_only),
                           (Completion.NEVER, rates.never_completed)):  # fmt: skip
            if roll < rate:
                completion = kind
                injected.append(f"completion:{kind.value}")
                break
            roll -= rate
        completes_on: date | None = day
        if completion is Completion.NEVER:
            completes_on = None
        elif hit(rates.late, None):
            lag = rng.choice((1, 2))
            completes_on = day + timedelta(days=lag)
            injected.append(f"late:{lag}")

        # The person: a "duplicate" reuses the card of another order of the same day.
        if index > 0 and hit(rates.duplicate_idcard, "duplicate_idcard"):
            person = make_person(self._rng(f"person:{self.order_no(day, index - 1)}"), day)
        else:
            person = make_person(self._rng(f"person:{order_no}"), day)
        self._inject_card_faults(person, day, rng, hit)
        front, back = (
            completion in (Completion.BOTH_SIDES, Completion.FRONT_ONLY),
            completion
            in (
                Completion.BOTH_SIDES,
                Completion.BACK_ONLY,
            ),
        )
        operated = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randrange(86400))
        result = {
            "orderNo": order_no,
            "frontCode": "0" if front else "66661006",
            "backCode": "0" if back else "66661007",
        }
        if front:
            result |= {k: person[k] for k in FRONT_FIELDS}
        if back:
            result |= {k: person[k] for k in BACK_FIELDS}
        result["operateTime"] = f"{operated:%Y-%m-%d %H:%M:%S}"
        multi = hit(rates.multi_warning, "multi_warning")
        warned = multi or hit(rates.warning, None)
        for side, present in (("front", front), ("back", back)):
            bits = ["0"] * 8
            if present and warned and (side == "front" or not front or rng.random() < 0.3):
                for flag_index in rng.sample(range(6), rng.choice((2, 3)) if multi else 1):
                    bits[flag_index] = "1"
                    injected.append(f"warning:{side}:{WARNING_FLAGS[flag_index]}")
                warned = multi = False
            if present:
                bitmap = "".join(bits)
                clarity = (
                    rng.randrange(20, 40) if hit(rates.low_clarity, f"low_clarity:{side}") else rng.randrange(40, 96)
                )
                result |= {f"{side}WarnCode": bitmap, f"{side}MultiWarning": bitmap, f"{side}Clarity": str(clarity)}
        empty = frozenset(
            crop
            for crop, present in (("frontCrop", front), ("backCrop", back))
            if present and rng.random() < rates.empty_crop
        )
        injected += [f"empty_crop:{crop}" for crop in sorted(empty)]
        lag = completion is not Completion.NEVER and hit(rates.photo_lag, "photo_lag")
        return SyntheticOrder(order_no, day, completion, completes_on, lag, empty, result, tuple(injected))

    def _inject_card_faults(self, person: dict[str, str], day: date, rng: random.Random, hit: Hit) -> None:
        """OCR misreads and problem cards, each at its configured rate."""
        rates = self.rates
        issued = datetime.strptime(person["validDate"][:8], "%Y%m%d").date()
        if hit(rates.expired_card, "expired_card"):
            start = add_years(day, -10) - timedelta(days=rng.randrange(1, 300))
            person["validDate"] = f"{start:%Y%m%d}-{add_years(start, 10):%Y%m%d}"
        elif hit(rates.inconsistent_validity, "inconsistent_validity"):
            # A span the age band does not allow: 20 years where 10 apply, else 10 (also for long-term cards).
            end = person["validDate"][9:]
            span = 20 if end != "长期" and int(end[:4]) - issued.year == 10 else 10
            if add_years(issued, span) <= day:
                issued = add_years(day, -span // 2)
            person["validDate"] = f"{issued:%Y%m%d}-{add_years(issued, span):%Y%m%d}"
        if hit(rates.unknown_nation, "unknown_nation"):
            person["nation"] = "穿青人"
        if hit(rates.birth_mismatch, "birth_mismatch"):
            born = datetime.strptime(person["birth"], "%Y%m%d").date() + timedelta(days=rng.randrange(1, 30))
            person["birth"] = f"{born:%Y%m%d}"
        if hit(rates.sex_mismatch, "sex_mismatch"):
            person["sex"] = "女" if person["sex"] == "男" else "男"
        if hit(rates.bad_check_digit, "bad_check_digit"):
            right = person["idcard"][-1]
            person["idcard"] = person["idcard"][:-1] + CHECK_CHARS[(CHECK_CHARS.index(right) + 1) % 11]
