"""Judging a shard: each record against its own order's date, in one pass with staging every order's warehouse rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from tencent_kyc.quality.judge import ShardCounts, judge_shard
from tencent_kyc.records import Fetched, Order, read_judged, write_records
from tencent_kyc.storage import DayLayout
from tencent_kyc.validation import DEFAULT_POLICY
from tencent_kyc.validation.idcard import check_digit
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.rows import stage_rows
from tencent_kyc.warehouse.schema import HISTORY, RESULTS
from tencent_kyc.warehouse.sqlite import read_rows
from tencent_kyc.warehouse.syncs import OCR

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
