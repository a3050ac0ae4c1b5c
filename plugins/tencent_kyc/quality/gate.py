"""The day's data-quality gate: when too many orders are rejected or still have no result, fail the day, warn,
or ask a human whether to load it anyway (mode ``review``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MODES = ("fail", "warn", "review")


class GateError(ValueError):
    """The ``quality_gate`` param is unusable; raised before any request is sent."""


@dataclass(frozen=True)
class GateThresholds:
    """Shares of the day's orders (0–1) above which the gate trips, and what a tripped gate does."""

    max_rejected_share: float = 0.25
    max_no_result_share: float = 0.25
    mode: str = "fail"

    @classmethod
    def from_mapping(cls, value: Any) -> GateThresholds:
        """The DAG's ``quality_gate`` param, naming what is wrong."""
        if not isinstance(value, Mapping):
            raise GateError(f"quality_gate must be an object, got {type(value).__name__}")
        known = {"max_rejected_share", "max_no_result_share", "mode"}
        if unknown := sorted(set(value) - known):
            raise GateError(f"quality_gate has unknown key(s) {unknown}; known: {sorted(known)}")
        gate = cls(**value)
        for name in ("max_rejected_share", "max_no_result_share"):
            share = getattr(gate, name)
            if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
                raise GateError(f"quality_gate {name} must be a number from 0 to 1, got {share!r}")
        if gate.mode not in MODES:
            raise GateError(f"quality_gate mode must be one of {', '.join(MODES)}, got {gate.mode!r}")
        return gate


def _share(label: str, share: float, limit: float) -> str:
    return f"{label} {share:.1%} {'>' if share > limit else '<='} {limit:.1%}"


def evaluate(
    summaries: Iterable[Mapping[str, Any]], gate: GateThresholds, waiting: tuple[str, ...] = ("no_result",)
) -> dict[str, Any]:
    """Add the shard summaries up and judge the day; returns the day's figures and the gate's verdict, which
    names both shares against their thresholds and the top reasons. ``waiting`` are the outcomes that mean
    "no result yet" (OCR: no_result; face: no_record)."""
    by_outcome: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    for summary in summaries:
        by_outcome.update(summary["by_outcome"])
        by_status.update(summary["by_status"])
        by_reason.update(summary["by_reason"])
    orders = sum(by_outcome.values())
    rejected_share = by_status["rejected"] / orders if orders else 0.0
    no_result_share = sum(by_outcome[outcome] for outcome in waiting) / orders if orders else 0.0
    passed = rejected_share <= gate.max_rejected_share and no_result_share <= gate.max_no_result_share
    top_five = by_reason.most_common(5)
    top = ", ".join(f"{code} ({count})" for code, count in top_five)
    shares = (
        f"{_share('rejected', rejected_share, gate.max_rejected_share)}; "
        f"{_share('no result', no_result_share, gate.max_no_result_share)}"
    )
    return {
        "orders": orders,
        "by_outcome": dict(sorted(by_outcome.items())),
        "by_status": dict(sorted(by_status.items())),
        "by_reason": dict(sorted(by_reason.items())),
        "rejected_share": round(rejected_share, 4),
        "no_result_share": round(no_result_share, 4),
        "top_reasons": top,
        "passed": passed,
        "verdict": "passed" if passed else f"failed: {shares}; top reasons: {top or 'none'}",
        "detail": {
            "passed": passed,
            "mode": gate.mode,
            "rejected_share": round(rejected_share, 4),
            "max_rejected_share": gate.max_rejected_share,
            "no_result_share": round(no_result_share, 4),
            "max_no_result_share": gate.max_no_result_share,
            "top_reasons": [[code, count] for code, count in top_five],
        },
        "needs_review": not passed and gate.mode == "review",
    }


def review_text(day: Mapping[str, Any]) -> str:
    """The Markdown a reviewer reads: the shares against their thresholds and the top reasons (no personal data)."""
    detail = day["detail"]
    reasons = "\n".join(f"| `{code}` | {count} |" for code, count in detail["top_reasons"]) or "| (none) | |"
    return (
        f"The quality gate tripped for {day['orders']} orders.\n\n"
        "| share | value | threshold |\n|---|---|---|\n"
        f"| rejected | {detail['rejected_share']:.1%} | {detail['max_rejected_share']:.1%} |\n"
        f"| no result | {detail['no_result_share']:.1%} | {detail['max_no_result_share']:.1%} |\n\n"
        f"| top reason | orders |\n|---|---|\n{reasons}\n\n"
        "**Approve** loads the day as it is; **Reject** loads nothing of it. Say why in the comment."
    )
