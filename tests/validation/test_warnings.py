"""The warning bitmap against the reference (§5.1): positions, the documented example, and non-bitmap values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tencent_kyc.validation.warnings import DOCUMENTED_FLAGS, FLAGS, Warnings, decode_warning, side_warnings

# Position (1-based) → flag, as the brief and the reference's table give them.
POSITIONS = {
    1: "border",
    2: "photocopy",
    3: "invalid_date",
    4: "reshot",
    5: "temporary",
    6: "occluded",
    7: "unknown_7",
    8: "unknown_8",
}


def bitmap(*positions: int) -> str:
    return "".join("1" if position in positions else "0" for position in range(1, 9))


def test_flag_order_is_the_bitmap_order() -> None:
    assert tuple(POSITIONS.values()) == FLAGS
    assert FLAGS[:6] == DOCUMENTED_FLAGS


@pytest.mark.parametrize("position", POSITIONS)
def test_each_position_decodes_to_its_flag(position: int) -> None:
    assert decode_warning(bitmap(position)) == Warnings(frozenset({POSITIONS[position]}))


def test_no_warning_and_the_documented_multi_warning() -> None:
    assert decode_warning("00000000") == Warnings()
    assert decode_warning("10010100") == Warnings(frozenset({"border", "reshot", "occluded"}))
    assert decode_warning("11111111").flags == frozenset(FLAGS)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("66661003", "66661003"),
        ("0001", "0001"),
        ("0000000a", "0000000a"),
        ("000000000", "000000000"),
        ("0000 000", "0000 000"),
        ("", ""),
        (None, "None"),
        (66661003, "66661003"),
        (10010100, "10010100"),  # an int lost its leading zeros: never guess
        (["10010100"], "['10010100']"),
        (True, "True"),
    ],
)
def test_anything_else_is_an_opaque_code(value: Any, kept: str) -> None:
    assert decode_warning(value) == Warnings(opaque=(kept,))


def test_a_side_is_the_union_of_warn_code_and_multi_warning() -> None:
    result = {"frontWarnCode": bitmap(1), "frontMultiWarning": bitmap(6), "backWarnCode": "66661003"}
    assert side_warnings(result, "front") == Warnings(frozenset({"border", "occluded"}))
    assert side_warnings(result, "back") == Warnings(opaque=("66661003",))
    both = {"backWarnCode": "66661003", "backMultiWarning": bitmap(4)}
    assert side_warnings(both, "back") == Warnings(frozenset({"reshot"}), ("66661003",))


def test_absent_fields_add_nothing() -> None:
    assert side_warnings({}, "front") == Warnings()
    assert side_warnings({"frontWarnCode": "00000000"}, "back") == Warnings()


@given(st.text(alphabet="01", min_size=8, max_size=8))
def test_every_bitmap_round_trips(value: str) -> None:
    flags = decode_warning(value).flags
    assert "".join("1" if flag in flags else "0" for flag in FLAGS) == value
    assert decode_warning(value).opaque == ()
