"""Validate a day's staged shards: find duplicate ID numbers across the day, then judge each shard's records.

Each shard's fetched records (``results/``) are checked with :mod:`tencent_kyc.validation` and decided under
a :class:`~tencent_kyc.validation.Policy`; accepted records go to ``validated/``, rejected ones to
``quarantine/``, both with their status and reasons, deterministically (a re-run writes the same bytes).
Records without a result (no_result, failed) are not judged: they stay in ``results/`` with their outcome.
In the same pass every record becomes its warehouse rows (``load/``, see :mod:`tencent_kyc.warehouse.rows`).
Only counts leave these functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from airflow.sdk import ObjectStoragePath

from tencent_kyc.fetch.records import dumps
from tencent_kyc.storage import DayLayout, read_jsonl_gz, write_bytes, write_gzip
from tencent_kyc.validation import CHECKED_OUTCOMES, Policy, Status, check_record, decide, record_fingerprint
from tencent_kyc.validation.warnings import side_warnings
from tencent_kyc.warehouse.pii import PiiPolicy
from tencent_kyc.warehouse.rows import row_writer


def collect_duplicate_idcards(results: Iterable[ObjectStoragePath], layout: DayLayout) -> int:
    """Write the fingerprints of ID numbers found on several orders of the day; returns how many."""
    seen: Counter[str] = Counter()
    for path in results:
        seen.update(fp for record in read_jsonl_gz(path) if (fp := record_fingerprint(record)))
    duplicates = sorted(fp for fp, count in seen.items() if count > 1)
    write_bytes(layout.duplicate_idcards, "".join(f"{fp}\n" for fp in duplicates).encode())
    return len(duplicates)


def _judge(record: dict[str, Any], run_date: date, policy: Policy, duplicates: set[str]) -> dict[str, Any]:
    findings = check_record(
        record, run_date=run_date, clarity_threshold=policy.clarity_threshold, duplicate_idcards=duplicates
    )
    verdict = decide(findings, policy)
    result = record.get("result") or {}
    flags = {side: sorted(side_warnings(result, side).flags) for side in ("front", "back")}
    return {**record, "status": verdict.status.value, "reasons": list(verdict.reasons), "warning_flags": flags}


def validate_shard(
    index: int,
    layout: DayLayout,
    policy: Policy,
    *,
    order_dates: Mapping[str, date],
    pii: PiiPolicy,
    key: bytes | None,
) -> dict[str, Any]:
    """Judge one shard and stage its warehouse rows; returns counts by outcome, status and reason.

    Cards must be valid on their order's date: ``order_dates`` for orders carried over from earlier days,
    the layout's day for the others (so a re-run judges alike).
    """
    duplicates = set(layout.duplicate_idcards.read_text().split()) if layout.duplicate_idcards.exists() else set()
    by_outcome: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    with (
        write_gzip(layout.validated(index)) as accepted,
        write_gzip(layout.quarantine(index)) as rejected,
        row_writer(layout, index, pii, key) as rows,
    ):
        for record in read_jsonl_gz(layout.results(index)):
            by_outcome[record["outcome"]] += 1
            order_date = order_dates.get(record["order_no"], layout.day)
            if record["outcome"] not in CHECKED_OUTCOMES:
                rows.add(record, order_date)
                continue
            decided = _judge(record, order_date, policy, duplicates)
            by_status[decided["status"]] += 1
            by_reason.update(decided["reasons"])
            (rejected if decided["status"] == Status.REJECTED else accepted).write(dumps(decided))
            rows.add(decided, order_date)
    return {
        "shard": index,
        "records": sum(by_outcome.values()),
        "by_outcome": dict(sorted(by_outcome.items())),
        "by_status": dict(sorted(by_status.items())),
        "by_reason": dict(sorted(by_reason.items())),
    }


def reason_table(by_reason: dict[str, int], policy: Policy, limit: int = 40) -> str:
    """Counts per reason as a fixed-width table for the task log (codes and counts only)."""
    rows = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))[:limit]
    lines = [f"{'reason':<32}{'count':>8}  effect"]
    lines += [f"{code:<32}{count:>8}  {'rejects' if policy.rejects(code) else 'annotates'}" for code, count in rows]
    return "\n".join(lines)
