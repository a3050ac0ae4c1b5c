"""The verdicts per order date, read from ``kyc_verifications``: how many orders are verified, rejected or
incomplete, and the reasons named most often.

A verdict joins both syncs' sides of an order, so these counts carry the data of every KYC DAG (the API asks
read access to all of them). A reason is one side's part of ``verdict_reasons`` (``ocr quarantined: …``,
``face no_result: …``); a quarantined side counts once per validation code and a failed side once per error
kind, since their text varies by order while the code or kind is what a reader acts on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import VERIFICATIONS

#: The verdicts in the order the pages show them.
VERDICTS = ("verified", "rejected", "incomplete")
#: Reasons listed per order date, and over the whole range.
TOP_PER_DAY, TOP_OVERALL = 5, 10


def reason_keys(reasons: str | None) -> list[str]:
    """The reasons one order's ``verdict_reasons`` names, as they are counted."""
    keys: list[str] = []
    for part in (reasons or "").split("; "):
        part = part.strip()
        head, _, detail = part.partition(": ")
        status = head.split()[1] if len(head.split()) == 2 else ""
        if status == "quarantined" and detail:
            keys.extend(f"{head}: {code}" for code in detail.split())
        elif status == "failed" and detail:
            keys.append(f"{head}: {detail.partition(':')[0]}")  # the error's kind; its message names the order
        elif part:
            keys.append(part)
    return keys


def _top(counts: Counter[tuple[str, str]], limit: int) -> list[dict[str, Any]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"reason": reason, "verdict": verdict, "orders": orders} for (reason, verdict), orders in ranked]


def verdicts_by_order_date(warehouse: Warehouse, since: date, until: date) -> dict[str, Any]:
    """The orders of each order date from ``since`` to ``until`` by verdict, with their top reasons.

    Grouped in the database by verdict and reasons text (a few distinct texts per day, whatever the orders);
    the reasons are split and counted here, in one dialect-free pass."""
    mark = warehouse.hook.placeholder
    with warehouse.transaction() as cursor:
        cursor.execute(
            f"SELECT order_date, verdict, verdict_reasons, COUNT(*) FROM {VERIFICATIONS.name} "
            f"WHERE order_date >= {mark} AND order_date <= {mark} "
            "GROUP BY order_date, verdict, verdict_reasons",
            [since.isoformat(), until.isoformat()],
        )
        groups = cursor.fetchall()
    by_verdict: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for order_date, verdict, text, orders in groups:
        day = order_date.isoformat() if isinstance(order_date, date) else str(order_date)
        by_verdict[day][verdict] += int(orders)
        for key in set(reason_keys(text)):
            reasons[day][(key, verdict)] += int(orders)
    days = [
        {
            "order_date": day,
            "orders": sum(by_verdict[day].values()),
            "by_verdict": {verdict: by_verdict[day][verdict] for verdict in VERDICTS}
            | {verdict: count for verdict, count in by_verdict[day].items() if verdict not in VERDICTS},
            "top_reasons": _top(reasons[day], TOP_PER_DAY),
        }
        for day in sorted(by_verdict)
    ]
    overall = sum(reasons.values(), Counter[tuple[str, str]]())
    return {"verdicts": VERDICTS, "days": days, "top_reasons": _top(overall, TOP_OVERALL)}
