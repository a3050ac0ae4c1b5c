"""The checks of one staged record (reference §4.3–§8); the package docstring lists every finding code.

Tencent asks partners not to check its responses strictly and a staged file can hold anything, so every field
is read defensively: a missing field, a wrong type or garbage is a finding, never an exception. A finding's
message names the rule, never the value: records hold personal data, and findings end up in logs and reports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from tencent_kyc.api.results import Outcome
from tencent_kyc.validation.idcard import (
    FIXED_VALIDITY_YEARS,
    LONG_TERM,
    NATIONS,
    PROVINCE_CODES,
    RESIDENCE_PERMIT_PREFIXES,
    RESIDENCE_PERMIT_YEARS,
    age_on,
    is_valid_check_digit,
    is_well_formed,
    parse_date,
    validity_ends,
    validity_years_for_age,
)
from tencent_kyc.validation.warnings import FLAG_MEANINGS, FLAGS, side_warnings

SIDES = ("front", "back")
#: The staged outcomes that carry a result (not_recognised: a result with neither side recognised, which the
#: side rules report); the others (no_result, failed) are counted by the caller, not checked.
CHECKED_OUTCOMES = frozenset(
    outcome.value for outcome in (Outcome.FETCHED, Outcome.FRONT_ONLY, Outcome.BACK_ONLY, Outcome.NOT_RECOGNISED)
)
#: Years of age-band slack. The band is fixed by the age at application, and the card is issued (and its validity
#: starts) later: within 60 days by the ID Card Law, 90 in remote areas, and a year is allowed here for backlogs.
#: So a card may carry the band of an age up to this much younger than its age at issue — never an older one.
AGE_BAND_SLACK_YEARS = 1

_LONG_TERM_TOKENS = (LONG_TERM, "长期有效")
_VALID_DATE = re.compile(r"([0-9]{8})-([0-9]{8}|" + "|".join(_LONG_TERM_TOKENS) + ")")
_CLARITY = re.compile(r"[0-9]{1,9}")
_NATIONS = frozenset(NATIONS)
_SEXES = ("女", "男")  # indexed by the parity of ID digit 17

#: Finding code → meaning. Codes are stable: policies, reports and the quality gate refer to them.
CODES: Mapping[str, str] = MappingProxyType(
    {
        "side.front_missing": 'frontCode is not "0": the portrait side was not recognised',
        "side.back_missing": 'backCode is not "0": the emblem side was not recognised',
        "idcard.missing": "the ID number is missing or empty",
        "idcard.format": "the ID number is not 17 digits and a digit or X",
        "idcard.check_digit": "the ID number's 18th character is not its GB 11643 check character",
        "idcard.province": "the ID number's first two digits are no province code, nor 81/82/83",
        "birth.invalid": "the birth date is missing or not a real yyyyMMdd date",
        "birth.future": "the birth date is after the order date",
        "birth.mismatch": "the birth date differs from digits 7-14 of the ID number",
        "sex.invalid": "the sex is missing or not 男/女",
        "sex.mismatch": "the sex disagrees with the parity of ID digit 17 (odd = 男)",
        "nation.unknown": "the nation is missing or not one of the 56 of GB/T 3304 (with or without 族)",
        "valid_date.format": "the validity is missing or not yyyyMMdd-yyyyMMdd / yyyyMMdd-长期 with real dates",
        "valid_date.expired": "the validity ended before the order date",
        "valid_date.not_started": "the validity starts after the order date (a card issued after the verification)",
        "valid_date.span": "the validity is not exactly 5, 10 or 20 years, nor 长期",
        "valid_date.age_band": "the validity span does not fit the holder's age at issue (ID Card Law, art. 5)",
        "clarity.front_low": "the portrait side's clarity is below the policy threshold",
        "clarity.back_low": "the emblem side's clarity is below the policy threshold",
        "clarity.invalid": "a recognised side's clarity is missing or not a non-negative integer",
        **{
            f"warning.{side}.{flag}": f"{side} side warning: {meaning}"
            for side in SIDES
            for flag, meaning in FLAG_MEANINGS.items()
        },
        **{f"warning.{side}.opaque": f"the {side} side's warning code is not an 8-character bitmap" for side in SIDES},
        "duplicate.idcard": "the ID number appears on several orders of the day",
    }
)


@dataclass(frozen=True)
class Finding:
    """One broken rule: a stable machine ``code`` (a key of CODES) and a short message free of personal data."""

    code: str
    message: str


def _finding(code: str, message: str | None = None) -> Finding:
    return Finding(code, message or CODES[code])


def idcard_fingerprint(idcard: str) -> str:
    """SHA-256 hex of the upper-cased ID number: lets the day's orders be compared across shards without
    moving the number itself."""
    return hashlib.sha256(idcard.upper().encode()).hexdigest()


def _checked(outcome: object, result: object) -> Mapping[str, Any] | None:
    """The result of a record that is checked (an outcome with a result), else None."""
    if not (isinstance(outcome, str) and outcome in CHECKED_OUTCOMES):
        return None
    return result if isinstance(result, Mapping) else {}


def _recognised(result: Mapping[str, Any], side: str) -> bool:
    return result.get(f"{side}Code") == "0"


def _number(result: Mapping[str, Any]) -> str | None:
    """The ID number of a recognised portrait side, if it is well formed (17 digits + digit/X)."""
    value = result.get("idcard")
    return value if _recognised(result, "front") and isinstance(value, str) and is_well_formed(value) else None


def result_fingerprint(outcome: object, result: object) -> str | None:
    """The ID-number fingerprint of a checked result with a recognised, well-formed number; else None. The DAG
    collects these over the day's shards: those seen on several orders are the ``duplicate_idcards``."""
    checked = _checked(outcome, result)
    number = None if checked is None else _number(checked)
    return None if number is None else idcard_fingerprint(number)


def check_result(
    outcome: object,
    result: object,
    *,
    order_date: date,
    clarity_threshold: int,
    duplicate_idcards: Container[str],
) -> list[Finding]:
    """Every rule a record's ``result`` breaks, for the sides Tencent recognised; none for records without a
    result (``outcome`` not in CHECKED_OUTCOMES). Dates are judged on the order's date, so a late result or a
    re-run is judged as it would have been on the day."""
    checked = _checked(outcome, result)
    if checked is None:
        return []
    result = checked
    findings = [_finding(f"side.{side}_missing") for side in SIDES if not _recognised(result, side)]
    number = _number(result)
    birth = None
    if _recognised(result, "front"):
        findings += _idcard(result.get("idcard"))
        findings += _birth(result.get("birth"), number, order_date)
        findings += _sex(result.get("sex"), number)
        findings += _nation(result.get("nation"))
        if number is not None and idcard_fingerprint(number) in duplicate_idcards:
            findings.append(_finding("duplicate.idcard"))
        birth = _holder_birth(result.get("birth"), number)
    if _recognised(result, "back"):
        permit = number is not None and number[:2] in RESIDENCE_PERMIT_PREFIXES
        findings += _validity(result.get("validDate"), order_date, birth, permit)
    for side in SIDES:
        if _recognised(result, side):
            findings += _clarity(result.get(f"{side}Clarity"), side, clarity_threshold)
            findings += _warnings(result, side)
    return findings


def _missing(value: Any) -> bool:
    return value is None or value == ""


def _idcard(value: Any) -> Iterator[Finding]:
    if _missing(value):
        yield _finding("idcard.missing")
    elif not (isinstance(value, str) and is_well_formed(value)):
        yield _finding("idcard.format")
    else:
        if not is_valid_check_digit(value):
            yield _finding("idcard.check_digit")
        if value[:2] not in PROVINCE_CODES:
            yield _finding("idcard.province")


def _birth(value: Any, number: str | None, order_date: date) -> Iterator[Finding]:
    born = parse_date(value) if isinstance(value, str) else None
    if born is None:
        yield _finding("birth.invalid", "the birth date is missing" if _missing(value) else None)
        return
    if born > order_date:
        yield _finding("birth.future")
    if number is not None and value != number[6:14]:
        yield _finding("birth.mismatch")


def _holder_birth(value: Any, number: str | None) -> date | None:
    """The birth date for the age at issue: the ID number's, else the printed one (None if neither is real)."""
    from_number = parse_date(number[6:14]) if number is not None else None
    return from_number or (parse_date(value) if isinstance(value, str) else None)


def _sex(value: Any, number: str | None) -> Iterator[Finding]:
    if value not in _SEXES:
        yield _finding("sex.invalid")
    elif number is not None and value != _SEXES[int(number[16]) % 2]:
        yield _finding("sex.mismatch")


def _nation(value: Any) -> Iterator[Finding]:
    if not (isinstance(value, str) and value.removesuffix("族") in _NATIONS):
        yield _finding("nation.unknown")


def _validity(value: Any, order_date: date, birth: date | None, permit: bool) -> Iterator[Finding]:
    period = _period(value)
    if period is None:
        yield _finding("valid_date.format", "the validity is missing" if _missing(value) else None)
        return
    start, end = period
    if start > order_date:
        yield _finding("valid_date.not_started")
    if end is not None and end < order_date:
        yield _finding("valid_date.expired")
    spans = [None] if end is None else [n for n in FIXED_VALIDITY_YEARS if end in validity_ends(start, n)]
    if not spans:
        yield _finding("valid_date.span")
    elif birth is not None:
        yield from _age_band(birth, start, spans[0], permit)


def _period(value: Any) -> tuple[date, date | None] | None:
    """``yyyyMMdd-yyyyMMdd`` → (start, end); ``yyyyMMdd-长期`` → (start, None); None unless both dates are real."""
    match = _VALID_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    start = parse_date(match[1])
    end = None if match[2] in _LONG_TERM_TOKENS else parse_date(match[2])
    if start is None or (end is None and match[2] not in _LONG_TERM_TOKENS):
        return None
    return start, end


def _age_band(birth: date, start: date, years: int | None, permit: bool) -> Iterator[Finding]:
    """``years`` (None = 长期) against the bands of the age at application (see AGE_BAND_SLACK_YEARS); permits
    are five-year cards at any age."""
    if start < birth:
        yield _finding("valid_date.age_band", "the validity starts before the birth date")
        return
    age = age_on(birth, start)
    lawful = {validity_years_for_age(max(age - slack, 0)) for slack in range(AGE_BAND_SLACK_YEARS + 1)}
    if permit:
        lawful.add(RESIDENCE_PERMIT_YEARS)
    if years not in lawful:
        yield _finding("valid_date.age_band")


def _clarity(value: Any, side: str, threshold: int) -> Iterator[Finding]:
    level = _integer(value)
    if level is None:
        yield _finding("clarity.invalid", f"the {side} side's clarity is missing or not a non-negative integer")
    elif level < threshold:
        yield _finding(f"clarity.{side}_low", f"the {side} side's clarity {level} is below {threshold}")


def _integer(value: Any) -> int | None:
    """A non-negative integer sent as an int or as decimal text (Tencent sends both kinds of numbers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    return int(value) if isinstance(value, str) and _CLARITY.fullmatch(value) else None


def _warnings(result: Mapping[str, Any], side: str) -> Iterator[Finding]:
    decoded = side_warnings(result, side)
    for flag in FLAGS:
        if flag in decoded.flags:
            yield _finding(f"warning.{side}.{flag}")
    if decoded.opaque:
        yield _finding(f"warning.{side}.opaque")
