"""Where the day's order numbers come from, by kind: one module and one registration line per kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tencent_kyc.orders.sources.base import OrderSource, OrderSourceError, Unreadable
from tencent_kyc.orders.sources.file import FileSource
from tencent_kyc.orders.sources.listed import ListSource
from tencent_kyc.orders.sources.sql import SqlSource
from tencent_kyc.registry import Registry, UnknownKindError

SOURCES: Registry[type[OrderSource]] = Registry(
    "order source kind",
    {
        "sql": SqlSource,
        "file": FileSource,
        "list": ListSource,
    },
)


def source_kind(value: Any) -> type[OrderSource]:
    """The class of a source description (an object with a ``kind``)."""
    if not isinstance(value, Mapping):
        raise OrderSourceError(f"order source must be an object, got {type(value).__name__}")
    try:
        return SOURCES.get(value.get("kind"))
    except UnknownKindError as exc:
        raise OrderSourceError(str(exc)) from None


def order_source(value: Any) -> OrderSource:
    """The order source a DAG param describes, checked before anything is read."""
    return source_kind(value).from_param(value)


__all__ = ["SOURCES", "OrderSource", "OrderSourceError", "Unreadable", "order_source", "source_kind"]
