"""What every endpoint's fetcher shares: the failures that end one order (not the task), and an answered query
as a staged record."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol

from tencent_kyc.api.errors import KycOrderError, KycThrottledError, KycTransientError
from tencent_kyc.records import Fetched, Order

#: Per-order failures that end as a ``failed`` record; auth and request errors fail the whole task instead.
ORDER_FAILURES = (KycOrderError, KycThrottledError, KycTransientError)
#: Per-query result fields left out of records: they change on every query, and re-runs must stage alike.
PER_QUERY_FIELDS = frozenset({"bizSeqNo", "transactionTime"})


class Answer(Protocol):
    """An endpoint's typed result, as far as a staged record needs it."""

    @property
    def outcome(self) -> Enum: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, str]: ...


def answered(order: Order, result: Answer, **evidence: Any) -> Fetched:
    """The staged record of an answered query; ``evidence`` holds its evidence locations (and what is missing)."""
    return Fetched(
        order,
        result.outcome.value,
        code=result.code,
        message=result.message,
        result={key: value for key, value in result.fields.items() if key not in PER_QUERY_FIELDS},
        **evidence,
    )
