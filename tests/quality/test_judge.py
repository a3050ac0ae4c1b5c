"""Judging a shard: each record against its own order's date, in one pass with staging every order's warehouse rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.api.errors import KycTransientError
from tencent_kyc.quality.judge import JUDGING, ShardCounts, judge_face, judge_shard
from tencent_kyc.records import Fetched, Judged, Order, read_judged, write_records
from tencent_kyc.storage import DayLayout
from tencent_kyc.validation import DEFAULT_POLICY
from tencent_kyc.validation.face import DEFAULT_FACE_POLICY, FacePolicy
from tencent_kyc.validation.idcard import check_digit
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.rows import stage_rows
from tencent_kyc.warehouse.schema import FACE_HISTORY, FACE_RESULTS, HISTORY, RESULTS
from tencent_kyc.warehouse.sqlite import read_rows
from tencent_kyc.warehouse.syncs import FACE, OCR

RUN, EARLIER = date(2026, 11, 3), date(2026, 11, 1)
FIRST17 = "110105" + "19950615" + "123"  # born 1995-06-15, male; 21 when issued in 2016: a 10-year card
CARD = {
    "frontCode": "0",
    "backCode": "0",
    "name": "王伟",
    "sex": "男",
    "nation": "汉",
    "birth": "19950615",
    "address": "北京市朝阳区人民路1号",
    "idcard": FIRST17 + check_digit(FIRST17),
    "validDate": "20161102-20261102",  # valid on 2026-11-01, expired on 2026-11-03
    "authority": "北京市公安局朝阳分局",
    "frontMultiWarning": "00000000",
    "backMultiWarning": "00000000",
    "frontClarity": "70",
    "backClarity": "70",
}


def record(order_no: str, order_date: date, outcome: str = "fetched") -> Fetched:
    answered = outcome == "fetched"
    result: dict[str, Any] = dict(CARD) if answered else {}
    return Fetched(Order(order_no, order_date), outcome, code="0" if answered else "66660020", result=result)


def test_a_carried_order_is_judged_on_its_order_date_and_every_order_gets_its_rows(tmp_path: Path) -> None:
    layout = DayLayout(f"file://{tmp_path}", RUN, "ocr")
    with write_records(layout.results(0)) as out:
        for staged in (record("CARRIED", EARLIER), record("TODAY", RUN), record("WAITING", RUN, "no_result")):
            out.write(staged)

    counts = ShardCounts(0)
    judged = judge_shard(0, layout, DEFAULT_POLICY, counts)
    assert stage_rows(OCR, layout, 0, judged, PiiPolicy.from_param({"idcard": "masked"}), None) == 3
    summary = counts.as_xcom()

    assert summary["by_outcome"] == {"fetched": 2, "no_result": 1}
    assert summary["by_status"] == {"accepted": 1, "rejected": 1}
    assert [r.record.order_no for r in read_judged(layout.validated(0))] == ["CARRIED"]
    quarantined = list(read_judged(layout.quarantine(0)))
    assert [r.record.order_no for r in quarantined] == ["TODAY"] and "valid_date.expired" in quarantined[0].reasons

    results = {
        row[0]: dict(zip((*RESULTS.names, "load_seq"), row, strict=True))
        for row in read_rows(layout.load_rows(RESULTS.name, 0))
    }
    assert set(results) == {"CARRIED", "TODAY"}
    assert (results["CARRIED"]["order_date"], results["CARRIED"]["run_date"]) == ("2026-11-01", "2026-11-03")
    assert (
        results["TODAY"]["order_date"] == "2026-11-03"
        and results["TODAY"]["idcard"] == "110105********" + CARD["idcard"][-4:]
    )
    history = [row[:6] for row in read_rows(layout.load_rows(HISTORY.name, 0))]
    assert [(h[0], h[3]) for h in history] == [
        ("CARRIED", "loaded"),
        ("TODAY", "quarantined"),
        ("WAITING", "no_result"),
    ]
    assert [h[2] for h in history] == ["2026-11-01", "2026-11-03", "2026-11-03"]


# -- the face sync -----------------------------------------------------------------------------------------------

FACE_PASS = {"orderNo": "F", "liveRate": "99", "similarity": "88.01", "occurredTime": "20261103104717"}


def face(order_no: str, outcome: str = "passed", missing: tuple[str, ...] = (), **result: str) -> Fetched:
    """A staged face record: a pass (FACE_PASS with ``result``'s changes), not_passed, no_record or failed."""
    order = Order(order_no, RUN)
    if outcome == "failed":
        return Fetched.failure(order, KycTransientError("queryfacerecord answered code 999999: busy", code="999999"))
    code = {"passed": "0", "not_passed": "66660004", "no_record": "66660011"}[outcome]
    fields = {**FACE_PASS, **result} if outcome != "no_record" else {}
    return Fetched(order, outcome, code=code, message="m", result=fields, missing_photos=missing)


@pytest.mark.parametrize(
    ("record", "status", "reasons"),
    [
        (face("F"), "accepted", ()),
        (face("F", liveRate="59"), "accepted_with_warnings", ("face.liveness_low",)),
        (face("F", missing=("video",)), "accepted_with_warnings", ("face.media_missing",)),
        (face("F", similarity="79.99"), "rejected", ("face.similarity_low",)),
        (face("F", similarity=""), "rejected", ("face.similarity_missing",)),
        (face("F", "not_passed"), "rejected", ("face.not_passed",)),
        (face("F", "no_record"), None, ()),
        (face("F", "failed"), None, ()),
    ],
)
def test_judge_face_gives_a_verdict_to_passed_and_not_passed_records_only(
    record: Fetched, status: str | None, reasons: tuple[str, ...]
) -> None:
    assert judge_face(record, DEFAULT_FACE_POLICY, frozenset()) == Judged(record, status, reasons)


def test_a_face_shard_is_judged_under_the_face_policy_and_every_record_gets_its_rows(tmp_path: Path) -> None:
    layout = DayLayout(f"file://{tmp_path}", RUN, "face")
    staged = [
        face("OK"),
        face("LOWLIVE", liveRate="40"),
        face("LOWSIM", similarity="75"),
        face("NOTPASSED", "not_passed"),
        face("NORECORD", "no_record"),
        face("FAILED", "failed"),
    ]
    with write_records(layout.results(0)) as out:
        for record in staged:
            out.write(record)
    assert JUDGING.get("face").default == DEFAULT_FACE_POLICY

    counts = ShardCounts(0)
    judged = list(judge_shard(0, layout, DEFAULT_FACE_POLICY, counts))
    assert [j.record for j in judged] == staged  # every record, in shard order, verdict or not
    assert [j.status for j in judged] == ["accepted", "accepted_with_warnings", "rejected", "rejected", None, None]
    summary = counts.as_xcom()
    assert summary["by_outcome"] == {"passed": 3, "not_passed": 1, "no_record": 1, "failed": 1}
    assert summary["by_status"] == {"accepted": 1, "accepted_with_warnings": 1, "rejected": 2}
    assert summary["by_reason"] == {"face.liveness_low": 1, "face.similarity_low": 1, "face.not_passed": 1}
    assert [j.record.order_no for j in read_judged(layout.validated(0))] == ["OK", "LOWLIVE"]
    assert [j.record.order_no for j in read_judged(layout.quarantine(0))] == ["LOWSIM", "NOTPASSED"]
    assert not (tmp_path / "staging" / "ocr").exists()  # the face sync's files only

    assert stage_rows(FACE, layout, 0, judged, PiiPolicy.from_param({}), None) == 6
    results = [row[0] for row in read_rows(layout.load_rows(FACE_RESULTS.name, 0))]
    assert results == [record.order_no for record in staged]  # a results row for every face record
    history = {row[0]: row[3] for row in read_rows(layout.load_rows(FACE_HISTORY.name, 0))}
    assert history == {
        "OK": "loaded",
        "LOWLIVE": "loaded",
        "LOWSIM": "quarantined",
        "NOTPASSED": "quarantined",
        "NORECORD": "no_result",
        "FAILED": "failed",
    }


def test_a_stricter_face_policy_moves_a_low_liveness_to_quarantine(tmp_path: Path) -> None:
    layout = DayLayout(f"file://{tmp_path}", RUN, "face")
    with write_records(layout.results(0)) as out:
        out.write(face("LOWLIVE", liveRate="40"))
    policy = FacePolicy(reject=("face.liveness_*",))
    judged = list(judge_shard(0, layout, policy, ShardCounts(0)))
    assert (judged[0].status, judged[0].reasons) == ("rejected", ("face.liveness_low",))
    assert [j.record.order_no for j in read_judged(layout.quarantine(0))] == ["LOWLIVE"]
    assert list(read_judged(layout.validated(0))) == []
