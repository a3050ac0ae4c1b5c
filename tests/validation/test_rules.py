"""Every rule and finding code, table-driven from one clean record, plus properties over generated records.

Expected codes are written out by hand from the reference (§4.3–§8); the generated-card properties compute
the GB 11643 check character and the age bands independently of the package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tencent_kyc.validation as validation
from oracle import lawful_years, years_later
from tencent_kyc.validation import CODES, check_result, idcard_fingerprint, result_fingerprint
from tencent_kyc.validation.idcard import NATIONS, PROVINCE_CODES, check_digit
from tencent_kyc.validation.warnings import FLAGS

RUN_DATE = date(2025, 6, 1)
ABSENT = object()  # a field override that removes the field


def make_id(region: str, birth: str, sequence: int) -> str:
    """A number with a correct check character (``check_digit`` is verified against the standard elsewhere)."""
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + check_digit(first17)


ID = make_id("110105", "19900615", 123)  # born 1990-06-15, 123 is odd: 男
ID_X = next(n for s in range(1, 1000, 2) if (n := make_id("110105", "19900615", s)).endswith("X"))
PERMIT = make_id("810000", "19900615", 123)
CLEAN = {
    "orderNo": "h1jw98k72ffe3de249qmf1723673v31v",
    "frontCode": "0",
    "backCode": "0",
    "name": "张伟",
    "sex": "男",
    "nation": "汉",
    "birth": "19900615",
    "address": "北京市朝阳区人民路1号",
    "idcard": ID,
    "validDate": "20180301-20380301",  # 27 at issue: 20 years
    "authority": "北京市公安局朝阳分局",
    "operateTime": "2025-06-01 10:00:00",
    "frontWarnCode": "00000000",
    "backWarnCode": "00000000",
    "frontMultiWarning": "00000000",
    "backMultiWarning": "00000000",
    "frontClarity": "64",
    "backClarity": "72",
}


def holder(birth: str, sex: str = "男", region: str = "110105") -> dict[str, str]:
    """A consistent idcard/birth/sex triple for someone born on ``birth``."""
    return {"idcard": make_id(region, birth, 123 if sex == "男" else 124), "birth": birth, "sex": sex}


def bitmap(*positions: int) -> str:
    return "".join("1" if position in positions else "0" for position in range(1, 9))


def staged(result: Any, outcome: Any = "fetched") -> dict[str, Any]:
    return {
        "order_no": "h1jw98k72ffe3de249qmf1723673v31v",
        "outcome": outcome,
        "code": "0",
        "message": "请求成功",
        "result": result,
        "photos": {},
        "photo_fallbacks": [],
        "missing_photos": [],
    }


def fingerprint(record: Mapping[str, Any]) -> str | None:
    return result_fingerprint(record["outcome"], record["result"])


def check(record: Mapping[str, Any], duplicates: frozenset[str] = frozenset(), threshold: int = 40) -> list[str]:
    findings = check_result(
        record["outcome"],
        record["result"],
        order_date=RUN_DATE,
        clarity_threshold=threshold,
        duplicate_idcards=duplicates,
    )
    return sorted(finding.code for finding in findings)


@dataclass(frozen=True)
class Case:
    name: str
    fields: dict[str, Any]
    expected: tuple[str, ...]
    outcome: Any = "fetched"
    duplicates: frozenset[str] = field(default_factory=frozenset)

    def record(self) -> dict[str, Any]:
        result = {**CLEAN, **self.fields}
        return staged({key: value for key, value in result.items() if value is not ABSENT}, self.outcome)


CASES = [
    Case("clean", {}, ()),
    Case("clean front-only outcome is still checked in full", {}, (), outcome="front_only"),
    # sides
    Case("front not recognised", {"frontCode": "66661006"}, ("side.front_missing",)),
    Case(
        "front fields of an unrecognised side are ignored",
        {"frontCode": "66661006", "idcard": "?", "sex": 1},
        ("side.front_missing",),
    ),
    Case("frontCode absent", {"frontCode": ABSENT}, ("side.front_missing",)),
    Case("frontCode as an int is not '0'", {"frontCode": 0}, ("side.front_missing",)),
    Case(
        "back not recognised", {"backCode": "66661007", "validDate": "?", "backClarity": None}, ("side.back_missing",)
    ),
    Case(
        "neither side", {"frontCode": "66661001", "backCode": "66661001"}, ("side.back_missing", "side.front_missing")
    ),
    # ID number
    Case("idcard absent", {"idcard": ABSENT}, ("idcard.missing",)),
    Case("idcard null", {"idcard": None}, ("idcard.missing",)),
    Case("idcard empty", {"idcard": ""}, ("idcard.missing",)),
    Case("idcard of 17 digits", {"idcard": ID[:17]}, ("idcard.format",)),
    Case("idcard of 19 characters", {"idcard": ID + "0"}, ("idcard.format",)),
    Case("idcard with a letter", {"idcard": ID[:17] + "Y"}, ("idcard.format",)),
    Case("idcard with an inner X", {"idcard": ID[:16] + "X" + ID[17]}, ("idcard.format",)),
    Case(
        "idcard of full-width digits",
        {"idcard": ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))},
        ("idcard.format",),
    ),
    Case("idcard as an int", {"idcard": int(ID)}, ("idcard.format",)),
    Case("idcard as a list", {"idcard": [ID]}, ("idcard.format",)),
    Case("idcard xxx placeholder", {"idcard": "x" * 18}, ("idcard.format",)),
    Case("idcard with X", {"idcard": ID_X}, ()),
    Case("idcard with lower-case x", {"idcard": ID_X.lower()}, ()),
    Case("wrong check digit", {"idcard": ID[:17] + ("0" if ID[17] != "0" else "1")}, ("idcard.check_digit",)),
    Case("unknown province 99", holder("19900615", region="990105"), ("idcard.province",)),
    Case("71 (Taiwan in GB/T 2260) is not on cards", holder("19900615", region="710105"), ("idcard.province",)),
    Case("check digit and province", {"idcard": "000000199006151230"}, ("idcard.check_digit", "idcard.province")),
    # birth
    Case("birth 20230230", {"birth": "20230230"}, ("birth.invalid",)),
    Case("birth absent", {"birth": ABSENT}, ("birth.invalid",)),
    Case("birth as an int", {"birth": 19900615}, ("birth.invalid",)),
    Case("birth with dashes", {"birth": "1990-06-15"}, ("birth.invalid",)),
    Case(
        "birth and ID in the future",
        {**holder("20260101"), "validDate": "20260201-20310201"},
        ("birth.future", "valid_date.not_started"),
    ),
    Case("birth a day off", {"birth": "19900616"}, ("birth.mismatch",)),
    Case("birth in the future and off", {"birth": "20300101"}, ("birth.future", "birth.mismatch")),
    Case("ID birth digits no date", holder("19900230"), ("birth.invalid",)),
    # sex
    Case("sex M", {"sex": "M"}, ("sex.invalid",)),
    Case("sex absent", {"sex": ABSENT}, ("sex.invalid",)),
    Case("sex with a space", {"sex": "男 "}, ("sex.invalid",)),
    Case("sex as a list", {"sex": ["男"]}, ("sex.invalid",)),
    Case("sex against an odd digit 17", {"sex": "女"}, ("sex.mismatch",)),
    Case("female holder", {**holder("19900615", "女")}, ()),
    Case("male against an even digit 17", {**holder("19900615", "女"), "sex": "男"}, ("sex.mismatch",)),
    # nation
    Case("nation with 族", {"nation": "汉族"}, ()),
    Case("two-character nation with 族", {"nation": "蒙古族"}, ()),
    Case("nation 穿青人", {"nation": "穿青人"}, ("nation.unknown",)),
    Case("nation 族 alone", {"nation": "族"}, ("nation.unknown",)),
    Case("nation absent", {"nation": ABSENT}, ("nation.unknown",)),
    Case("nation as an int", {"nation": 1}, ("nation.unknown",)),
    # validity
    Case("validity with dots", {"validDate": "2018.03.01-2038.03.01"}, ("valid_date.format",)),
    Case("validity start only", {"validDate": "20180301"}, ("valid_date.format",)),
    Case("validity open end", {"validDate": "20180301-"}, ("valid_date.format",)),
    Case("validity ending on 30 February", {"validDate": "20180301-20380230"}, ("valid_date.format",)),
    Case("validity absent", {"validDate": ABSENT}, ("valid_date.format",)),
    Case("validity as an int", {"validDate": 20180301}, ("valid_date.format",)),
    Case("validity with a space", {"validDate": "20180301 - 20380301"}, ("valid_date.format",)),
    Case("long term at 58", {**holder("19600101"), "validDate": "20180301-长期"}, ()),
    Case("long term, defensive spelling", {**holder("19600101"), "validDate": "20180301-长期有效"}, ()),
    Case("long term with a typo", {**holder("19600101"), "validDate": "20180301-长久"}, ("valid_date.format",)),
    Case("expired", {"validDate": "20100101-20200101"}, ("valid_date.expired",)),  # 19 at issue: 10 years
    Case("ending on the run date is still valid", {"validDate": "20150601-20250601"}, ()),
    Case("ending the day before", {"validDate": "20150531-20250531"}, ("valid_date.expired",)),
    Case("span of 20 years and a day", {"validDate": "20180301-20380302"}, ("valid_date.span",)),
    Case("span of 15 years", {"validDate": "20180301-20330301"}, ("valid_date.span",)),
    Case(
        "end before start",
        {"validDate": "20380301-20180301"},
        ("valid_date.expired", "valid_date.not_started", "valid_date.span"),
    ),
    Case("issued the day after the order", {"validDate": "20250602-20450602"}, ("valid_date.not_started",)),
    Case("issued on the order date", {"validDate": "20250601-20450601"}, ()),
    Case("29 February start ending 28 February", {**holder("20000101"), "validDate": "20200229-20300228"}, ()),
    Case("29 February start ending 1 March", {**holder("20000101"), "validDate": "20200229-20300301"}, ()),
    Case(
        "29 February start ending 2 March",
        {**holder("20000101"), "validDate": "20200229-20300302"},
        ("valid_date.span",),
    ),
    Case("10 years at 27", {"validDate": "20180301-20280301"}, ("valid_date.age_band",)),
    Case("long term at 27", {"validDate": "20180301-长期"}, ("valid_date.age_band",)),
    Case("10 years at 26: applied at 25", {"validDate": "20160701-20260701"}, ()),
    Case("20 years at 25: never an older band", {"validDate": "20160601-20360601"}, ("valid_date.age_band",)),
    Case("5 years at 9", {**holder("20120101"), "validDate": "20210101-20260101"}, ()),
    Case("10 years at 9", {**holder("20120101"), "validDate": "20210101-20310101"}, ("valid_date.age_band",)),
    Case("10 years at 16", {**holder("20080101"), "validDate": "20240101-20340101"}, ()),
    Case("5 years at 16: applied at 15", {**holder("20080101"), "validDate": "20240101-20290101"}, ()),
    Case("long term at 46", {**holder("19700101"), "validDate": "20160101-长期"}, ()),
    Case("20 years at 46: applied at 45", {**holder("19700101"), "validDate": "20160101-20360101"}, ()),
    Case("10 years at 46", {**holder("19700101"), "validDate": "20160101-20260101"}, ("valid_date.age_band",)),
    Case("validity before birth", {"validDate": "19800101-长期"}, ("valid_date.age_band",)),
    Case("band from the ID when birth is off", {"birth": "19600101"}, ("birth.mismatch",)),  # 58 by birth: 长期
    Case(
        "band from birth when the ID is malformed",
        {"idcard": "x" * 18, "validDate": "20180301-20280301"},
        ("idcard.format", "valid_date.age_band"),
    ),
    Case(
        "no band without a recognised front",
        {"frontCode": "66661006", "validDate": "20180301-20280301"},
        ("side.front_missing",),
    ),
    Case(
        "no band without any birth date",
        {"idcard": "", "birth": "", "validDate": "20180301-20280301"},
        ("birth.invalid", "idcard.missing"),
    ),
    Case("permit: 5 years at 31", {"idcard": PERMIT, "validDate": "20220101-20270101"}, ()),
    Case("permit: the ID-card band at 31", {"idcard": PERMIT, "validDate": "20220101-20420101"}, ()),
    Case("permit: 10 years at 31", {"idcard": PERMIT, "validDate": "20220101-20320101"}, ("valid_date.age_band",)),
    Case("ID card: 5 years at 31", {"validDate": "20220101-20270101"}, ("valid_date.age_band",)),
    # clarity
    Case("front clarity 39", {"frontClarity": "39"}, ("clarity.front_low",)),
    Case("front clarity 40", {"frontClarity": "40"}, ()),
    Case("back clarity 12", {"backClarity": "12"}, ("clarity.back_low",)),
    Case("both clarities 0", {"frontClarity": "0", "backClarity": 0}, ("clarity.back_low", "clarity.front_low")),
    Case("clarity as an int", {"frontClarity": 64, "backClarity": 72}, ()),
    Case("clarity with leading zeros", {"frontClarity": "0064"}, ()),
    Case("clarity text", {"frontClarity": "abc"}, ("clarity.invalid",)),
    Case("clarity negative", {"frontClarity": -1}, ("clarity.invalid",)),
    Case("clarity negative text", {"frontClarity": "-1"}, ("clarity.invalid",)),
    Case("clarity decimal", {"frontClarity": "64.5"}, ("clarity.invalid",)),
    Case("clarity float", {"frontClarity": 64.0}, ("clarity.invalid",)),
    Case("clarity bool", {"frontClarity": True}, ("clarity.invalid",)),
    Case("clarity empty", {"frontClarity": ""}, ("clarity.invalid",)),
    Case("clarity absent on both", {"frontClarity": ABSENT, "backClarity": None}, ("clarity.invalid",) * 2),
    Case("clarity of 30 digits", {"backClarity": "9" * 30}, ("clarity.invalid",)),
    # warnings
    *(
        Case(f"{side}{name} bit {position}", {f"{side}{name}": bitmap(position)}, (f"warning.{side}.{flag}",))
        for side in ("front", "back")
        for name in ("WarnCode", "MultiWarning")
        for position, flag in enumerate(FLAGS, start=1)
    ),
    Case(
        "the reference's 10010100",
        {"frontMultiWarning": "10010100", "frontWarnCode": "10010100"},
        ("warning.front.border", "warning.front.occluded", "warning.front.reshot"),
    ),
    Case(
        "union of the two fields",
        {"backWarnCode": bitmap(2), "backMultiWarning": bitmap(5)},
        ("warning.back.photocopy", "warning.back.temporary"),
    ),
    Case("single code 66661003", {"frontWarnCode": "66661003"}, ("warning.front.opaque",)),
    Case("short bitmap 0001", {"backWarnCode": "0001"}, ("warning.back.opaque",)),
    Case("bitmap with a letter", {"backMultiWarning": "0000000a"}, ("warning.back.opaque",)),
    Case("warning as an int", {"frontMultiWarning": 10010100}, ("warning.front.opaque",)),
    Case("warning null", {"frontMultiWarning": None}, ("warning.front.opaque",)),
    Case("two opaque values, one finding", {"frontWarnCode": "1", "frontMultiWarning": "2"}, ("warning.front.opaque",)),
    Case(
        "opaque and a bitmap",
        {"backWarnCode": "66661003", "backMultiWarning": bitmap(4)},
        ("warning.back.opaque", "warning.back.reshot"),
    ),
    Case(
        "warning fields absent",
        {f"{s}{n}": ABSENT for s in ("front", "back") for n in ("WarnCode", "MultiWarning")},
        (),
    ),
    Case(
        "warnings of an unrecognised side are ignored",
        {"backCode": "66661007", "backWarnCode": "11111111"},
        ("side.back_missing",),
    ),
    # duplicates
    Case("duplicate", {}, ("duplicate.idcard",), duplicates=frozenset({idcard_fingerprint(ID)})),
    Case(
        "duplicate written with x",
        {"idcard": ID_X.lower()},
        ("duplicate.idcard",),
        duplicates=frozenset({idcard_fingerprint(ID_X)}),
    ),
    Case("another number is no duplicate", {}, (), duplicates=frozenset({idcard_fingerprint(ID_X)})),
    # a result with neither side recognised: only the side rules apply
    Case(
        "outcome 'not_recognised'",
        {"frontCode": "66661006", "backCode": "66661007", "idcard": None},
        ("side.front_missing", "side.back_missing"),
        outcome="not_recognised",
    ),
    # records without a result are not checked
    *(
        Case(f"outcome {outcome!r}", {"frontCode": "1", "idcard": None}, (), outcome=outcome)
        for outcome in ("no_result", "failed", None, "FETCHED", ["fetched"], {"fetched": 1})
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule(case: Case) -> None:
    record = case.record()
    assert check(record, case.duplicates) == sorted(case.expected)
    findings = check_result(
        record["outcome"],
        record["result"],
        order_date=RUN_DATE,
        clarity_threshold=40,
        duplicate_idcards=case.duplicates,
    )
    assert all(finding.message for finding in findings)
    assert_no_personal_data(findings, record["result"])


def test_every_code_has_a_case() -> None:
    assert {code for case in CASES for code in case.expected} == set(CODES)


def assert_no_personal_data(findings: list[validation.Finding], result: Mapping[str, Any]) -> None:
    """No message repeats a personal value, nor any run of 6+ digits (a date or part of a number)."""
    keys = ("idcard", "name", "birth", "address", "validDate")
    personal = [value for key in keys if isinstance(value := result.get(key), str)]
    for finding in findings:
        assert not re.search(r"[0-9]{6}", finding.message), finding
        assert not any(value and value in finding.message for value in personal), finding


def test_the_seed_documents_example() -> None:
    """The response example of seed-getOcrResult.md: warnings all zero, but name and idcard are placeholders."""
    result = {
        "bizSeqNo": "21062120001184438417355807876765",
        "transactionTime": "20210621173558",
        "backCode": "0",
        "orderNo": "h1jw98k72ffe3de249qmf1723673v31v",
        "name": "xxx",
        "sex": "男",
        "nation": "汉",
        "birth": "19881001",
        "address": "xxxxxxxxxx",
        "idcard": "xxxxxxxxxxxxxxxxxx",
        "validDate": "20190128-20390128",
        "authority": "xxxxxx",
        "operateTime": "2021-06-21 17:35:27",
        "frontWarnCode": "00000000",
        "backWarnCode": "00000000",
        "frontMultiWarning": "00000000",
        "backMultiWarning": "00000000",
        "frontClarity": "64",
        "backClarity": "72",
        "success": False,
        "frontCode": "0",
    }
    # 30 at issue (2019-01-28, born 1988-10-01): 20 years is right, and the card runs to 2039.
    assert check(staged(result)) == ["idcard.format"]
    assert fingerprint(staged(result)) is None


def test_the_clarity_threshold_is_the_callers() -> None:
    record = staged({**CLEAN, "frontClarity": "45"})
    assert check(record, threshold=40) == []
    assert check(record, threshold=50) == ["clarity.front_low"]
    assert check(record, threshold=45) == []


def test_record_fingerprint() -> None:
    assert fingerprint(staged(CLEAN)) == idcard_fingerprint(ID)
    assert fingerprint(staged({**CLEAN, "idcard": ID_X.lower()})) == idcard_fingerprint(ID_X)
    assert idcard_fingerprint(ID) == idcard_fingerprint(ID.lower()) != idcard_fingerprint(ID_X)
    assert re.fullmatch(r"[0-9a-f]{64}", idcard_fingerprint(ID))
    assert ID not in idcard_fingerprint(ID)
    # only recognised, well-formed numbers of checked records
    assert fingerprint(staged({**CLEAN, "frontCode": "66661006"})) is None
    assert fingerprint(staged({**CLEAN, "idcard": ID[:17]})) is None
    assert fingerprint(staged(CLEAN, outcome="no_result")) is None
    assert fingerprint(staged(None)) is None


@pytest.mark.parametrize("result", [None, [], "fetched", 0, [CLEAN]])
def test_a_result_that_is_no_object_has_no_recognised_side(result: Any) -> None:
    assert check(staged(result)) == ["side.back_missing", "side.front_missing"]


def test_the_package_docstring_lists_every_code() -> None:
    assert validation.__doc__
    listed = re.findall(r"^([a-z_]+\.[a-z_<>.]+) {2,}\S", validation.__doc__, re.MULTILINE)
    expanded = {
        code.replace("<side>", side).replace("<flag>", flag)
        for code in listed
        for side in ("front", "back")
        for flag in FLAGS
    }
    assert expanded == set(CODES)


# --- Generated cards -------------------------------------------------------------------------------------------


def check_char(first17: str) -> str:
    """The character that makes Σ aᵢ·2^(18−i) ≡ 1 (mod 11), X standing for 10 (ISO 7064 MOD 11-2, by search)."""
    total = sum(int(digit) * 2 ** (18 - position) for position, digit in enumerate(first17, start=1))
    return next(char for value, char in enumerate("0123456789X") if (total + value) % 11 == 1)


@st.composite
def valid_results(draw: st.DrawFn) -> dict[str, Any]:
    """A consistent, current card: any province or permit, a real birth date, any sequence, the lawful span."""
    prefix = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    permit = prefix in ("81", "82", "83")
    region = prefix + ("0000" if permit else draw(st.from_regex(r"[0-9]{4}", fullmatch=True)))
    birth = draw(st.dates(date(1920, 1, 1), RUN_DATE - timedelta(days=6 * 366)))
    sequence = draw(st.integers(0, 999))
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    number = first17 + check_char(first17)
    issue = draw(st.dates(RUN_DATE - timedelta(days=5 * 365 - 2), RUN_DATE))
    years = draw(st.sampled_from([5, lawful_years(birth, issue)])) if permit else lawful_years(birth, issue)
    end = "长期" if years is None else f"{years_later(issue, years):%Y%m%d}"
    return {
        **CLEAN,
        "idcard": number.lower() if draw(st.booleans()) else number,
        "birth": f"{birth:%Y%m%d}",
        "sex": "男" if sequence % 2 else "女",
        "nation": draw(st.sampled_from(NATIONS)) + draw(st.sampled_from(["", "族"])),
        "validDate": f"{issue:%Y%m%d}-{end}",
        "frontClarity": str(draw(st.integers(40, 100))),
        "backClarity": draw(st.integers(40, 100)),
    }


@given(valid_results())
def test_generated_valid_cards_have_no_findings(result: dict[str, Any]) -> None:
    assert check(staged(result)) == []


@settings(max_examples=60)
@given(valid_results())
def test_every_single_character_change_of_a_number_is_caught(result: dict[str, Any]) -> None:
    number = result["idcard"]
    for position, original in enumerate(number):
        for char in "0123456789Xx":
            if char.upper() == original.upper():
                continue
            changed = number[:position] + char + number[position + 1 :]
            codes = {code for code in check(staged({**result, "idcard": changed})) if code.startswith("idcard.")}
            assert codes & {"idcard.check_digit", "idcard.format"}, (position, char)


# --- Arbitrary values ------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
NASTY_TEXT = st.sampled_from(["", "0", "长期", "族", "20230230", "0000000a", "-", "x" * 18, "９", "\x00", "1e9"])
VALUES = JSON | NASTY_TEXT | st.just(ABSENT)


@settings(max_examples=300)
@given(
    overrides=st.fixed_dictionaries({key: VALUES for key in CLEAN if key not in ("frontCode", "backCode")}),
    codes=st.tuples(st.sampled_from(["0", "0", "66661006"]) | JSON, st.sampled_from(["0", "0", "66661007"]) | JSON),
    outcome=st.sampled_from(["fetched", "front_only", "back_only"]) | JSON,
)
def test_arbitrary_values_give_findings_never_exceptions(
    overrides: dict[str, Any], codes: tuple[Any, Any], outcome: Any
) -> None:
    fields = {**overrides, "frontCode": codes[0], "backCode": codes[1]}
    record = Case("arbitrary", fields, (), outcome=outcome).record()
    findings = check_result(
        record["outcome"], record["result"], order_date=RUN_DATE, clarity_threshold=40, duplicate_idcards=frozenset()
    )
    assert all(finding.code in CODES and finding.message for finding in findings)
    fingerprint = result_fingerprint(record["outcome"], record["result"])
    assert fingerprint is None or re.fullmatch(r"[0-9a-f]{64}", fingerprint)


@given(result=JSON, outcome=JSON)
def test_arbitrary_results_and_outcomes(result: Any, outcome: Any) -> None:
    for record in (staged(result, outcome), staged(result)):
        codes = check(record)
        assert set(codes) <= set(CODES)
