"""Policies: the default's choices, patterns, verdicts, and errors that name the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.validation import CODES, DEFAULT_POLICY, Finding, Policy, PolicyError, Status, Verdict, decide

# The default, written out code by code (the brief's list: photocopies, re-shot screens, temporary and expired
# cards, one-sided orders and any ID-number/birth/sex inconsistency; plus an unreadable validity).
DEFAULT_REJECTS = {
    "side.front_missing",
    "side.back_missing",
    "idcard.missing",
    "idcard.format",
    "idcard.check_digit",
    "idcard.province",
    "birth.invalid",
    "birth.future",
    "birth.mismatch",
    "sex.invalid",
    "sex.mismatch",
    "valid_date.expired",
    "valid_date.not_started",
    "valid_date.format",
    "warning.front.photocopy",
    "warning.back.photocopy",
    "warning.front.reshot",
    "warning.back.reshot",
    "warning.front.temporary",
    "warning.back.temporary",
}


def finding(code: str) -> Finding:
    return Finding(code, "text")


def test_default_policy_rejects_exactly_the_documented_codes() -> None:
    assert {code for code in CODES if DEFAULT_POLICY.rejects(code)} == DEFAULT_REJECTS
    assert DEFAULT_POLICY.clarity_threshold == 40


@pytest.mark.parametrize(
    "code",
    [
        "warning.front.border",
        "warning.back.occluded",
        "warning.back.invalid_date",
        "warning.front.unknown_7",
        "warning.back.opaque",
        "clarity.front_low",
        "clarity.invalid",
        "nation.unknown",
        "duplicate.idcard",
        "valid_date.span",
        "valid_date.age_band",
    ],
)
def test_default_policy_annotates(code: str) -> None:
    assert decide([finding(code)], DEFAULT_POLICY) == Verdict(Status.ACCEPTED_WITH_WARNINGS, (code,))


def test_verdicts() -> None:
    assert decide([], DEFAULT_POLICY) == Verdict(Status.ACCEPTED, ())
    codes = ["nation.unknown", "clarity.invalid", "idcard.check_digit", "clarity.invalid"]
    assert decide(map(finding, codes), DEFAULT_POLICY) == Verdict(
        Status.REJECTED, ("clarity.invalid", "idcard.check_digit", "nation.unknown")
    )
    assert decide([finding("clarity.invalid")] * 2, DEFAULT_POLICY).reasons == ("clarity.invalid",)
    assert decide([finding("idcard.format")], Policy(reject=())).status is Status.ACCEPTED_WITH_WARNINGS
    assert Status.REJECTED == "rejected" and json.dumps(Status.ACCEPTED_WITH_WARNINGS) == '"accepted_with_warnings"'


def test_patterns() -> None:
    policy = Policy.from_mapping({"reject": ["warning.*.reshot", "idcard.*", "clarity.?ront_low"]})
    rejected = {code for code in CODES if policy.rejects(code)}
    assert rejected == {
        "warning.front.reshot",
        "warning.back.reshot",
        "idcard.missing",
        "idcard.format",
        "idcard.check_digit",
        "idcard.province",
        "clarity.front_low",
    }
    assert not policy.rejects("duplicate.idcard")  # "idcard.*" is anchored at the start
    assert policy.clarity_threshold == 40
    assert Policy.from_mapping({"reject": ["*"]}).rejects("nation.unknown")


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (["side.*"], "must be a JSON object, not list"),
        ({"reject": [], "rejects": [], "threshold": 3}, "unknown policy key(s) rejects, threshold"),
        ({"clarity_threshold": 40}, "needs 'reject'"),
        ({"reject": "idcard.*"}, "'reject' must be a list of finding-code patterns, not str"),
        ({"reject": None}, "not NoneType"),
        ({"reject": ["idcard.*", 3]}, "reject[1] must be a string, not int"),
        ({"reject": ["warning.*.reshoot"]}, "reject[0] 'warning.*.reshoot' matches no finding code"),
        ({"reject": ["IDCARD.*"]}, "matches no finding code"),  # case-sensitive
        ({"reject": [""]}, "matches no finding code"),
        ({"reject": [], "clarity_threshold": "40"}, "'clarity_threshold' must be an integer, not str"),
        ({"reject": [], "clarity_threshold": 40.0}, "must be an integer, not float"),
        ({"reject": [], "clarity_threshold": True}, "must be an integer, not bool"),
        ({"reject": [], "clarity_threshold": -1}, "between 0 and 100, not -1"),
        ({"reject": [], "clarity_threshold": 101}, "between 0 and 100, not 101"),
    ],
)
def test_from_mapping_names_the_problem(mapping: Any, problem: str) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_mapping(mapping)
    assert problem in str(raised.value)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(PolicyError, match="matches no finding code"):
        Policy(reject=("nope",))
    with pytest.raises(PolicyError, match="must be a list"):
        Policy(reject="side.*")  # type: ignore[arg-type]
    assert Policy(reject=("side.*",), clarity_threshold=0).clarity_threshold == 0


def test_load_json_text() -> None:
    policy = Policy.load('  {"reject": ["side.*", "warning.*.reshot"], "clarity_threshold": 55}')
    assert policy == Policy(reject=("side.*", "warning.*.reshot"), clarity_threshold=55)


def test_load_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"reject": list(DEFAULT_POLICY.reject)}), encoding="utf-8")
    assert Policy.load(path) == DEFAULT_POLICY
    assert Policy.load(str(path)) == DEFAULT_POLICY
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # saved by an editor that writes a BOM
    assert Policy.load(path) == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"reject": ["side.*"],}', "policy JSON: invalid JSON at line 1 column 23"),
        ('{"reject": ["side.*"], "clarity": 1}', "policy JSON: unknown policy key(s) clarity"),
        ('{"reject": ["sides.*"]}', "policy JSON: reject[0] 'sides.*' matches no finding code"),
    ],
)
def test_load_errors_name_the_source_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.load(text)
    assert problem in str(raised.value)


def test_load_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    with pytest.raises(PolicyError, match=f"policy file {missing}: cannot be read"):
        Policy.load(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("[]", encoding="utf-8")
    with pytest.raises(PolicyError, match=f"policy file {broken}: a policy must be a JSON object, not list"):
        Policy.load(broken)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    with pytest.raises(PolicyError, match="cannot be read"):
        Policy.load(binary)
