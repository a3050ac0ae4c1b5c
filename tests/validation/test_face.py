"""Face validation: each finding code with the record that triggers it and its nearest one that does not, the
thresholds at their boundaries, FacePolicy's errors, and what the default policy rejects or only annotates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.validation import Finding, Policy, PolicyError, Status, decide
from tencent_kyc.validation.face import DEFAULT_FACE_POLICY, FACE_CODES, FacePolicy, check_face

#: A passed record that breaks no rule (the reference's §4.1 example).
CLEAN = {"orderNo": "A1", "liveRate": "99", "similarity": "88.01", "occurredTime": "20261124104717"}
BOTH = ("photo", "video")


def findings(
    outcome: str = "passed", missing: tuple[str, ...] = (), policy: FacePolicy = DEFAULT_FACE_POLICY, **result: Any
) -> list[Finding]:
    """The findings on a record: CLEAN with ``result``'s changes (a None value removes the field)."""
    fields = {key: value for key, value in {**CLEAN, **result}.items() if value is not None}
    return check_face(outcome, fields, missing, policy)


def codes(*args: Any, **kwargs: Any) -> list[str]:
    return [finding.code for finding in findings(*args, **kwargs)]


def status(policy: FacePolicy = DEFAULT_FACE_POLICY, **record: Any) -> Status:
    return decide(findings(policy=policy, **record), policy).status


def test_a_clean_passed_record_has_no_finding_and_is_accepted() -> None:
    assert codes() == []
    assert status() is Status.ACCEPTED


# (what the record is given, the code it must raise) and (its nearest neighbour, which must raise nothing)
TRIGGERS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("face.not_passed", {"outcome": "not_passed"}, {"outcome": "passed"}),
    ("face.similarity_missing", {"similarity": None}, {"similarity": "80"}),
    ("face.similarity_missing", {"similarity": ""}, {"similarity": "100"}),
    ("face.similarity_missing", {"similarity": "n/a"}, {"similarity": 95}),
    ("face.similarity_missing", {"similarity": "100.01"}, {"similarity": "100.00"}),
    ("face.similarity_missing", {"similarity": "-0.01"}, {"similarity": 80.0}),
    ("face.similarity_missing", {"similarity": "NaN"}, {"similarity": "99.5"}),
    ("face.similarity_low", {"similarity": "79.99"}, {"similarity": "80"}),
    ("face.similarity_low", {"similarity": "0"}, {"similarity": "80.00"}),
    ("face.similarity_low", {"similarity": 79}, {"similarity": 80}),
    ("face.liveness_missing", {"liveRate": None}, {"liveRate": "60"}),
    ("face.liveness_missing", {"liveRate": ""}, {"liveRate": "100"}),
    ("face.liveness_missing", {"liveRate": "101"}, {"liveRate": 100}),
    ("face.liveness_missing", {"liveRate": "inf"}, {"liveRate": "99"}),
    ("face.liveness_low", {"liveRate": "59.99"}, {"liveRate": "60"}),
    ("face.liveness_low", {"liveRate": 0}, {"liveRate": 60.0}),
    ("face.time_invalid", {"occurredTime": None}, {"occurredTime": "20261124104717"}),
    ("face.time_invalid", {"occurredTime": "yesterday"}, {"occurredTime": "2026-11-24 10:47:17"}),
    ("face.time_invalid", {"occurredTime": "20261124104"}, {"occurredTime": 20261124104717}),
    ("face.media_missing", {"missing": ("video",)}, {"missing": ()}),
    ("face.media_missing", {"missing": BOTH}, {}),
]


@pytest.mark.parametrize(("code", "given", "neighbour"), TRIGGERS, ids=[f"{t[0]}:{t[1]}" for t in TRIGGERS])
def test_each_code_is_raised_by_its_record_and_not_by_the_nearest_clean_one(
    code: str, given: dict[str, Any], neighbour: dict[str, Any]
) -> None:
    assert codes(**given) == [code]
    assert codes(**neighbour) == []


def test_every_face_code_has_a_trigger() -> None:
    assert {code for code, _, _ in TRIGGERS} == set(FACE_CODES)


def test_a_not_passed_record_is_judged_on_tencents_verdict_alone() -> None:
    """Its scores, time and media say nothing more: Tencent often sends none of them (§5)."""
    assert codes("not_passed", BOTH, similarity=None, liveRate="x", occurredTime=None) == ["face.not_passed"]


@pytest.mark.parametrize("outcome", ["no_record", "failed"])
def test_records_without_a_verdict_to_judge_have_no_finding(outcome: str) -> None:
    assert codes(outcome, BOTH, similarity=None, liveRate=None, occurredTime=None) == []


def test_one_record_can_break_every_rule_of_a_pass_at_once() -> None:
    found = codes("passed", ("photo",), similarity="70", liveRate="", occurredTime="2026")
    assert found == ["face.similarity_low", "face.liveness_missing", "face.time_invalid", "face.media_missing"]


@pytest.mark.parametrize(
    ("similarity_threshold", "live_rate_threshold", "similarity", "live_rate", "expected"),
    [
        (70, 60, "69.99", "60", ["face.similarity_low"]),
        (70, 60, "70", "60", []),
        (0, 0, "0", "0", []),  # a threshold of 0 lets every real score through
        (100, 100, "100", "100", []),
        (100, 100, "99.99", "99.99", ["face.similarity_low", "face.liveness_low"]),
        (80, 90.5, "80", "90.49", ["face.liveness_low"]),
        (80, 90.5, "80", "90.5", []),
    ],
)
def test_both_thresholds_at_their_boundaries(
    similarity_threshold: float, live_rate_threshold: float, similarity: str, live_rate: str, expected: list[str]
) -> None:
    policy = FacePolicy(reject=(), similarity_threshold=similarity_threshold, live_rate_threshold=live_rate_threshold)
    assert codes(policy=policy, similarity=similarity, liveRate=live_rate) == expected


def test_the_default_policy_rejects_what_cannot_be_a_verified_face_and_annotates_the_rest() -> None:
    rejecting = {code for code in FACE_CODES if DEFAULT_FACE_POLICY.rejects(code)}
    assert rejecting == {"face.not_passed", "face.similarity_missing", "face.similarity_low"}
    assert (DEFAULT_FACE_POLICY.similarity_threshold, DEFAULT_FACE_POLICY.live_rate_threshold) == (80, 60)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({}, Status.ACCEPTED),
        ({"outcome": "not_passed"}, Status.REJECTED),
        ({"similarity": "79.99"}, Status.REJECTED),  # under Tencent's recommended 80
        ({"similarity": ""}, Status.REJECTED),  # a liveness-only flow compared nothing
        ({"liveRate": "40"}, Status.ACCEPTED_WITH_WARNINGS),  # Tencent passed the liveness itself
        ({"liveRate": None}, Status.ACCEPTED_WITH_WARNINGS),
        ({"occurredTime": "garbage"}, Status.ACCEPTED_WITH_WARNINGS),
        ({"missing": BOTH}, Status.ACCEPTED_WITH_WARNINGS),
        ({"liveRate": "40", "similarity": "75"}, Status.REJECTED),
    ],
)
def test_the_default_policys_status_of_each_kind_of_record(record: dict[str, Any], expected: Status) -> None:
    verdict = decide(findings(**record), DEFAULT_FACE_POLICY)
    assert verdict.status is expected
    assert verdict.reasons == tuple(sorted(codes(**record)))


def test_a_policy_rejecting_liveness_rejects_a_low_or_missing_live_rate_and_only_annotates_the_rest() -> None:
    policy = FacePolicy.load('{"reject": ["face.liveness_*"], "live_rate_threshold": 90}')
    assert {code for code in FACE_CODES if policy.rejects(code)} == {"face.liveness_missing", "face.liveness_low"}
    assert codes(policy=policy, liveRate="89.9") == ["face.liveness_low"]
    assert status(policy, liveRate="89.9") is status(policy, liveRate=None) is Status.REJECTED
    assert status(policy, liveRate="90") is Status.ACCEPTED
    assert status(policy, similarity="50") is Status.ACCEPTED_WITH_WARNINGS  # a low similarity now only annotates
    assert status(policy, outcome="not_passed") is Status.ACCEPTED_WITH_WARNINGS


def test_from_mapping_reads_both_thresholds_and_defaults_the_absent_one() -> None:
    policy = FacePolicy.from_mapping({"reject": ["face.*"], "similarity_threshold": 70.5})
    assert policy == FacePolicy(reject=("face.*",), similarity_threshold=70.5, live_rate_threshold=60)
    assert all(policy.rejects(code) for code in FACE_CODES)
    assert FacePolicy.from_mapping({"reject": []}).reject == ()


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ({"reject": [], "clarity_threshold": 40}, "unknown policy key(s) clarity_threshold"),  # the OCR policy's
        ({"reject": [], "similarity": 80}, "known keys: reject, similarity_threshold, live_rate_threshold"),
        ({"similarity_threshold": 80}, "needs 'reject'"),
        ({"reject": "face.*"}, "'reject' must be a list of finding-code patterns, not str"),
        ({"reject": ["face.*", None]}, "reject[1] must be a string, not NoneType"),
        ({"reject": ["idcard.*"]}, "reject[0] 'idcard.*' matches no finding code"),  # an OCR code
        ({"reject": ["face.liveness"]}, "matches no finding code"),  # a pattern must match a whole code
        ({"reject": ["FACE.*"]}, "matches no finding code"),
        ({"reject": [], "similarity_threshold": -0.01}, "'similarity_threshold' must be between 0 and 100, not -0.01"),
        ({"reject": [], "similarity_threshold": 100.5}, "between 0 and 100, not 100.5"),
        ({"reject": [], "live_rate_threshold": 101}, "'live_rate_threshold' must be between 0 and 100, not 101"),
        ({"reject": [], "live_rate_threshold": -1}, "between 0 and 100, not -1"),
        ({"reject": [], "similarity_threshold": "80"}, "'similarity_threshold' must be a number, not str"),
        ({"reject": [], "live_rate_threshold": True}, "'live_rate_threshold' must be a number, not bool"),
        ({"reject": [], "live_rate_threshold": None}, "must be a number, not NoneType"),
        ({"reject": [], "similarity_threshold": [80]}, "must be a number, not list"),
        ({"reject": [], "similarity_threshold": float("nan")}, "between 0 and 100, not nan"),
    ],
)
def test_from_mapping_names_the_problem(mapping: dict[str, Any], problem: str) -> None:
    with pytest.raises(PolicyError) as raised:
        FacePolicy.from_mapping(mapping)
    assert problem in str(raised.value)


def test_face_and_ocr_policies_do_not_take_each_others_codes() -> None:
    with pytest.raises(PolicyError, match=r"'face\.\*' matches no finding code"):
        Policy.from_mapping({"reject": ["face.*"]})
    assert not any(DEFAULT_FACE_POLICY.rejects(code) for code in ("idcard.format", "side.front_missing"))


def test_load_reads_json_text_and_files_and_names_the_source_of_an_error(tmp_path: Path) -> None:
    text = '{"reject": ["face.not_passed"], "similarity_threshold": 70, "live_rate_threshold": 50}'
    expected = FacePolicy(reject=("face.not_passed",), similarity_threshold=70, live_rate_threshold=50)
    assert FacePolicy.load(text) == expected
    path = tmp_path / "face_policy.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # an editor's BOM
    assert FacePolicy.load(path) == FacePolicy.load(str(path)) == expected

    with pytest.raises(PolicyError, match="policy JSON: invalid JSON at line 1"):
        FacePolicy.load('{"reject": [],}')
    with pytest.raises(PolicyError, match="policy JSON: 'similarity_threshold' must be between 0 and 100, not nan"):
        FacePolicy.load('{"reject": [], "similarity_threshold": NaN}')
    path.write_text(json.dumps({"reject": ["valid_date.*"]}), encoding="utf-8")
    with pytest.raises(
        PolicyError, match=re.escape(f"policy file {path}: reject[0] 'valid_date.*' matches no finding")
    ):
        FacePolicy.load(path)
    with pytest.raises(PolicyError, match="cannot be read"):
        FacePolicy.load(tmp_path / "absent.json")
