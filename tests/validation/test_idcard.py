"""The ID-card rules against the published examples and the standards' own definitions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oracle import NATION_NAMES
from tencent_kyc.validation.idcard import (
    LONG_TERM,
    NATIONS,
    PROVINCE_CODES,
    RESIDENCE_PERMIT_PREFIXES,
    age_on,
    check_digit,
    is_valid_check_digit,
    is_well_formed,
    parse_date,
    validity_ends,
    validity_years_for_age,
)


@pytest.mark.parametrize(
    "idcard", ["11010519491231002X", "440524188001010014", "370101190102039973", "513101198201130014"]
)
def test_check_digit_of_verified_examples(idcard: str) -> None:
    assert check_digit(idcard[:17]) == idcard[17]


def test_check_digit_rejects_tencents_own_bad_sample() -> None:
    assert check_digit("11204416541220243") == "4"  # the doc prints ...243X, which fails the checksum


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_digit_satisfies_iso_7064_mod_11_2(first17: str) -> None:
    """The defining property: Σ aᵢ·2^(18−i) over all 18 characters (X = 10) ≡ 1 (mod 11)."""
    full = first17 + check_digit(first17)
    values = [10 if char == "X" else int(char) for char in full]
    assert sum(value * 2 ** (18 - position) for position, value in enumerate(values, start=1)) % 11 == 1


@pytest.mark.parametrize(
    "bad", ["", "1234567890123456", "123456789012345678", "1101051949123100X", "１１０１０５１９４９１２３１００２"]
)
def test_check_digit_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_province_codes() -> None:
    mainland = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
    assert set(PROVINCE_CODES) == {*mainland.split(), "81", "82", "83"}
    assert (PROVINCE_CODES["11"], PROVINCE_CODES["65"]) == ("北京", "新疆")
    assert (PROVINCE_CODES["81"], PROVINCE_CODES["82"], PROVINCE_CODES["83"]) == ("香港", "澳门", "台湾")
    with pytest.raises(TypeError):
        PROVINCE_CODES["71"] = "台湾"  # type: ignore[index]


def test_nations_are_gb_3304_in_code_order_without_zu() -> None:
    assert list(NATIONS) == NATION_NAMES
    assert len(set(NATIONS)) == 56
    assert not any(nation.endswith("族") for nation in NATIONS)


@pytest.mark.parametrize(
    ("age", "years"),
    [(0, 5), (15, 5), (16, 10), (25, 10), (26, 20), (45, 20), (46, None), (100, None)],
)
def test_validity_years_follow_the_law(age: int, years: int | None) -> None:
    assert validity_years_for_age(age) == years


def test_validity_years_reject_negative_ages() -> None:
    with pytest.raises(ValueError):
        validity_years_for_age(-1)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2000, 6, 15), date(2016, 6, 14), 15),
        (date(2000, 6, 15), date(2016, 6, 15), 16),
        (date(2000, 2, 29), date(2017, 2, 28), 16),
        (date(2000, 2, 29), date(2017, 3, 1), 17),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_long_term_token() -> None:
    assert LONG_TERM == "长期"


@pytest.mark.parametrize(
    ("number", "well_formed", "valid"),
    [
        ("11010519491231002X", True, True),
        ("11010519491231002x", True, True),  # lower-case x is the same check character
        ("440524188001010014", True, True),
        ("440524188001010015", True, False),
        ("11204416541220243X", True, False),  # Tencent's doc sample fails the checksum
        ("1101051949123100", False, False),
        ("11010519491231002", False, False),  # 17 digits
        ("11010519491231002XX", False, False),
        ("1101051949123100X2", False, False),
        ("11010519491231002Y", False, False),
        ("１１０１０５１９４９１２３１００２X", False, False),  # full-width digits are digits to str.isdigit
        ("11010519491231002X\n", False, False),
        ("", False, False),
    ],
)
def test_well_formed_and_check_digit(number: str, well_formed: bool, valid: bool) -> None:
    assert is_well_formed(number) is well_formed
    assert is_valid_check_digit(number) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19881001", date(1988, 10, 1)),
        ("20240229", date(2024, 2, 29)),
        ("20230229", None),
        ("20230230", None),
        ("19881301", None),
        ("19881000", None),
        ("00000101", None),
        ("198811", None),  # strptime would read this as 1988-01-01
        ("1988101", None),
        ("1988-10-01", None),
        ("198810011", None),
        (" 19881001", None),
        ("１９８８１００１", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("start", "years", "ends"),
    [
        (date(2016, 7, 25), 10, {date(2026, 7, 25)}),
        (date(2019, 1, 28), 20, {date(2039, 1, 28)}),
        (date(2012, 2, 29), 10, {date(2022, 2, 28), date(2022, 3, 1)}),
        (date(2012, 2, 29), 20, {date(2032, 2, 29)}),  # a leap year again: the same day
        (date(2011, 2, 28), 5, {date(2016, 2, 28)}),
        (date(9990, 1, 1), 20, set()),  # beyond the calendar: no end can match
    ],
)
def test_validity_ends(start: date, years: int, ends: set[date]) -> None:
    assert validity_ends(start, years) == ends


def test_residence_permit_prefixes_are_provinces() -> None:
    assert {"81", "82", "83"} == RESIDENCE_PERMIT_PREFIXES <= set(PROVINCE_CODES)
