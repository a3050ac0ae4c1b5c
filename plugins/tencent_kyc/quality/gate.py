"""The day's data-quality gate: fail (or warn) when too many orders are rejected or still have no result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MODES = ("fail", "warn")


class QualityGateError(Exception):
    """The day's quality is below the thresholds; the message names the shares and the top reasons."""


@dataclass(frozen=True)
class GateThresholds:
    """Shares of the day's orders (0–1) above which the gate trips."""

    max_rejected_share: float = 0.25
    max_no_result_share: float = 0.25
    mode: str = "fail"

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any]) -> GateThresholds:
        known = {"max_rejected_share", "max_no_result_share", "mode"}
        if unknown := sorted(set(value) - known):
            raise ValueError(f"gate has unknown key(s) {unknown}; known: {sorted(known)}")
        gate = cls(**value)
        for name in ("max_rejected_share", "max_no_result_share"):
            share = getattr(gate, name)
            if not isinstance(share, int | float) or not 0 <= share <= 1:
                raise ValueError(f"gate {name} must be a number from 0 to 1, got {share!r}")
        if gate.mode not in MODES:
            raise ValueError(f"gate mode must be one of {MODES}, got {gate.mode!r}")
        return gate


def evaluate(summaries: Iterable[Mapping[str, Any]], gate: GateThresholds) -> dict[str, Any]:
    """Add the shard summaries up and judge the day; returns the day's figures and the gate's verdict."""
    by_outcome: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    for summary in summaries:
        by_outcome.update(summary["by_outcome"])
        by_status.update(summary["by_status"])
        by_reason.update(summary["by_reason"])
    orders = sum(by_outcome.values())
    rejected_share = by_status["rejected"] / orders if orders else 0.0
    no_result_share = by_outcome["no_result"] / orders if orders else 0.0
    problems = []
    if rejected_share > gate.max_rejected_share:
        problems.append(f"rejected {rejected_share:.1%} > {gate.max_rejected_share:.1%}")
    if no_result_share > gate.max_no_result_share:
        problems.append(f"no result {no_result_share:.1%} > {gate.max_no_result_share:.1%}")
    top = ", ".join(f"{code} ({count})" for code, count in by_reason.most_common(5))
    return {
        "orders": orders,
        "by_outcome": dict(sorted(by_outcome.items())),
        "by_status": dict(sorted(by_status.items())),
        "by_reason": dict(sorted(by_reason.items())),
        "rejected_share": round(rejected_share, 4),
        "no_result_share": round(no_result_share, 4),
        "top_reasons": top,
        "passed": not problems,
        "verdict": ("failed: " + "; ".join(problems) + f"; top reasons: {top or 'none'}") if problems else "passed",
    }
