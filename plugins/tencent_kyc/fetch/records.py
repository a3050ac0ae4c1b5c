"""The staged record of one order: what was asked, what came back, where its photos are.

Records hold result fields, outcome and photo locations, never photo bytes or base64. Per-query values
(``bizSeqNo``, ``transactionTime``, how many queries it took) are left out: they change from one query to
the next, and a re-run of a day must stage byte-identical objects. Query counts go to the shard summary.
"""

from __future__ import annotations

import json
from typing import Any

from tencent_kyc.api.errors import KycError
from tencent_kyc.api.results import OcrResult

FAILED = "failed"
_PER_QUERY_FIELDS = frozenset({"bizSeqNo", "transactionTime"})


def result_record(
    result: OcrResult, photos: dict[str, str], fallbacks: list[str], missing: tuple[str, ...]
) -> dict[str, Any]:
    """Record of an answered query (fetched, one side only, not recognised, or no result yet)."""
    return {
        "order_no": result.order_no,
        "outcome": result.outcome.value,
        "code": result.code,
        "message": result.message,
        "result": {k: v for k, v in sorted(result.fields.items()) if k not in _PER_QUERY_FIELDS},
        "photos": photos,
        "photo_fallbacks": fallbacks,
        "missing_photos": list(missing),
    }


def failure_record(order_no: str, error: KycError) -> dict[str, Any]:
    """Record of an order whose query failed for good: the error class and code say whether to retry later."""
    return {
        "order_no": order_no,
        "outcome": FAILED,
        "code": error.code or "",
        "message": str(error),
        "error": type(error).__name__,
        "result": {},
        "photos": {},
        "photo_fallbacks": [],
        "missing_photos": [],
    }


def dumps(record: dict[str, Any]) -> bytes:
    """One JSON Lines line, key order fixed so identical records give identical bytes."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"
