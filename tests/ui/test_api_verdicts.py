"""``/api/verdicts`` on a real api-server: per order date, the orders verified, rejected and incomplete and their
top reasons, checked against counts made in the warehouse itself (never through the API)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest

from tencent_kyc.ui import URL_PREFIX
from ui.served import DAYS, Served

pytestmark = pytest.mark.slow  # the api-server of tests/ui/conftest.py

RANGE = {"since": "2026-11-01", "until": "2026-11-30"}


def verdicts(served: Served, **params: str) -> dict[str, Any]:
    answer = served.server.get(f"{URL_PREFIX}/api/verdicts", "analyst", **params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def counted_verdicts(served: Served) -> dict[str, Counter[str]]:
    """Orders per order date and verdict, one row of ``kyc_verifications`` at a time."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for order_date, verdict in served.query("SELECT order_date, verdict FROM kyc_verifications"):
        counts[order_date][verdict] += 1
    return counts


def quarantined_codes(served: Served) -> dict[str, Counter[str]]:
    """Per order date, the orders each side's status table holds quarantined under each validation code: what
    the verdicts' ``<side> quarantined: <code>`` reasons must count (a quarantined side rejects the order)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for side, table in (("ocr", "kyc_order_status"), ("face", "kyc_face_status")):
        for order_date, reason in served.query(f"SELECT order_date, reason FROM {table} WHERE status = 'quarantined'"):
            for code in set(reason.split()):
                counts[order_date][f"{side} quarantined: {code}"] += 1
    return counts


def names(reasons: str | None, reason: str) -> bool:
    """Whether an order's ``verdict_reasons`` name ``reason`` (a failed side's is its error kind, message cut)."""
    return any(part == reason or part.startswith(f"{reason}:") for part in (reasons or "").split("; "))


def test_the_verdicts_per_order_date_are_the_warehouses(served: Served) -> None:
    body = verdicts(served, **RANGE)
    counts = counted_verdicts(served)
    assert [day["order_date"] for day in body["days"]] == sorted(counts) == [day.isoformat() for day in DAYS]
    assert body["verdicts"] == ["verified", "rejected", "incomplete"] and (body["since"], body["until"]) == (
        RANGE["since"],
        RANGE["until"],
    )
    for day in body["days"]:
        expected = counts[day["order_date"]]
        assert day["by_verdict"] == {verdict: expected[verdict] for verdict in body["verdicts"]}
        assert day["orders"] == sum(expected.values())
        assert all(expected[verdict] for verdict in body["verdicts"]), expected  # each verdict occurs: not vacuous


def test_every_order_of_both_syncs_has_its_verdict(served: Served) -> None:
    """The days' order counts are the orders either sync holds, whichever saw them."""
    orders = served.query(
        "SELECT order_date, COUNT(*) FROM (SELECT order_no, order_date FROM kyc_order_status "
        "UNION SELECT order_no, order_date FROM kyc_face_status) seen GROUP BY order_date ORDER BY order_date"
    )
    assert [(day["order_date"], day["orders"]) for day in verdicts(served, **RANGE)["days"]] == orders


def test_the_top_reasons_count_the_orders_they_name(served: Served) -> None:
    """A validation code's count is the orders quarantined under it (from the status tables); any other reason's
    is the orders whose ``verdict_reasons`` hold it; and no quarantined code outranks a listed reason unlisted."""
    body = verdicts(served, **RANGE)
    codes = quarantined_codes(served)
    reasons = served.query("SELECT order_date, verdict, verdict_reasons FROM kyc_verifications")
    overall = sum(codes.values(), Counter[str]())
    for listed, quarantined, rows in [
        (day["top_reasons"], codes[day["order_date"]], [r for r in reasons if r[0] == day["order_date"]])
        for day in body["days"]
    ] + [(body["top_reasons"], overall, reasons)]:
        assert listed and [entry["orders"] for entry in listed] == sorted((e["orders"] for e in listed), reverse=True)
        for entry in listed:
            if " quarantined: " in entry["reason"]:
                assert (entry["verdict"], entry["orders"]) == ("rejected", quarantined[entry["reason"]]), entry
            else:
                holding = [r for r in rows if names(r[2], entry["reason"])]
                assert entry["orders"] == len(holding) and {r[1] for r in holding} == {entry["verdict"]}, entry
        fewest = listed[-1]["orders"]
        shown = {entry["reason"] for entry in listed}
        assert not [code for code, count in quarantined.items() if count > fewest and code not in shown]
    sides = {entry["reason"].split()[0] for entry in body["top_reasons"]}
    assert sides == {"ocr", "face"}  # both syncs' reasons are counted


def test_the_range_is_of_order_dates(served: Served) -> None:
    one = verdicts(served, since=DAYS[1].isoformat(), until=DAYS[1].isoformat())
    assert [day["order_date"] for day in one["days"]] == [DAYS[1].isoformat()]
    assert one["days"][0]["by_verdict"] == {
        verdict: counted_verdicts(served)[DAYS[1].isoformat()][verdict] for verdict in one["verdicts"]
    }
    assert verdicts(served, since="2026-10-01", until="2026-10-31")["days"] == []
    refused = served.server.get(f"{URL_PREFIX}/api/verdicts", "analyst", since="2026-11-30", until="2026-11-01")
    assert refused.status_code == 422
