"""Judge a day's staged records: find duplicate ID numbers across the day, then each shard's records.

Each fetched record with a result is checked with :mod:`tencent_kyc.validation` and decided under a
:class:`~tencent_kyc.validation.Policy`, against its own order's date; accepted records go to ``validated/``,
rejected ones to ``quarantine/``, both with their status and reasons, deterministically (a re-run writes the
same bytes). Records without a result (no_result, failed) get no verdict. Every record, judged or not, is
yielded as a :class:`~tencent_kyc.records.Judged` to the caller, which stages its warehouse rows in the same
pass. Only counts leave as XComs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from airflow.sdk import ObjectStoragePath

from tencent_kyc.records import Fetched, Judged, read_fetched, write_records
from tencent_kyc.registry import Registry
from tencent_kyc.storage import DayLayout, write_bytes
from tencent_kyc.validation import (
    CHECKED_OUTCOMES,
    DEFAULT_POLICY,
    Policy,
    Status,
    check_result,
    decide,
    result_fingerprint,
)
from tencent_kyc.validation.face import CHECKED_FACE_OUTCOMES, DEFAULT_FACE_POLICY, FacePolicy, check_face
from tencent_kyc.validation.policy import RejectPolicy
from tencent_kyc.validation.warnings import side_warnings


def collect_duplicate_idcards(results: Iterable[ObjectStoragePath], layout: DayLayout) -> int:
    """Write the fingerprints of ID numbers found on several orders of the day; returns how many."""
    seen: Counter[str] = Counter()
    for path in results:
        seen.update(fp for record in read_fetched(path) if (fp := result_fingerprint(record.outcome, record.result)))
    duplicates = sorted(fp for fp, count in seen.items() if count > 1)
    write_bytes(layout.duplicate_idcards, "".join(f"{fp}\n" for fp in duplicates).encode())
    return len(duplicates)


def judge_ocr(record: Fetched, policy: Any, duplicates: frozenset[str]) -> Judged:
    """The verdict on one OCR record (none for a record without a result)."""
    if record.outcome not in CHECKED_OUTCOMES:
        return Judged(record)
    findings = check_result(
        record.outcome,
        record.result,
        order_date=record.order.order_date,
        clarity_threshold=policy.clarity_threshold,
        duplicate_idcards=duplicates,
    )
    verdict = decide(findings, policy)
    flags = {side: tuple(sorted(side_warnings(record.result, side).flags)) for side in ("front", "back")}
    return Judged(record, verdict.status.value, verdict.reasons, flags)


def judge_face(record: Fetched, policy: Any, duplicates: frozenset[str]) -> Judged:
    """The verdict on one face record (none for no record or a failure)."""
    if record.outcome not in CHECKED_FACE_OUTCOMES:
        return Judged(record)
    verdict = decide(check_face(record.outcome, record.result, record.missing_photos, policy), policy)
    return Judged(record, verdict.status.value, verdict.reasons)


@dataclass(frozen=True)
class Judging:
    """How one sync's records are judged: the policy's type and default, and the judge."""

    policy: type[RejectPolicy]
    default: RejectPolicy
    judge: Callable[[Fetched, Any, frozenset[str]], Judged]


JUDGING: Registry[Judging] = Registry(
    "sync",
    {
        "ocr": Judging(Policy, DEFAULT_POLICY, judge_ocr),
        "face": Judging(FacePolicy, DEFAULT_FACE_POLICY, judge_face),
    },
)


@dataclass
class ShardCounts:
    """Counts of one judged shard, by fetch outcome, by status and by finding code (the shard's XCom)."""

    shard: int
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)

    def add(self, judged: Judged) -> None:
        self.by_outcome[judged.record.outcome] += 1
        if judged.status is not None:
            self.by_status[judged.status] += 1
            self.by_reason.update(judged.reasons)

    def as_xcom(self) -> dict[str, Any]:
        return {
            "shard": self.shard,
            "records": sum(self.by_outcome.values()),
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "by_reason": dict(sorted(self.by_reason.items())),
        }


def judge_shard(index: int, layout: DayLayout, policy: RejectPolicy, counts: ShardCounts) -> Iterator[Judged]:
    """Judge every record of a shard of the layout's sync, writing ``validated/`` and ``quarantine/`` and counting into
    ``counts``; yields every record with its verdict (or none), in shard order."""
    judge = JUDGING.get(layout.sync).judge
    duplicates = (
        frozenset(layout.duplicate_idcards.read_text().split()) if layout.duplicate_idcards.exists() else frozenset()
    )
    with write_records(layout.validated(index)) as accepted, write_records(layout.quarantine(index)) as rejected:
        for record in read_fetched(layout.results(index)):
            judged = judge(record, policy, duplicates)
            counts.add(judged)
            if judged.status is not None:
                (rejected if judged.status == Status.REJECTED else accepted).write(judged)
            yield judged


def reason_table(by_reason: dict[str, int], policy: RejectPolicy, limit: int = 40) -> str:
    """Counts per reason as a fixed-width table for the task log (codes and counts only)."""
    rows = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))[:limit]
    lines = [f"{'reason':<32}{'count':>8}  effect"]
    lines += [f"{code:<32}{count:>8}  {'rejects' if policy.rejects(code) else 'annotates'}" for code, count in rows]
    return "\n".join(lines)
