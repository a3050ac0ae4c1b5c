"""Orders given explicitly in the description (a manual run, a test)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tencent_kyc.orders.sources.base import OrderSource, OrderSourceError


@dataclass(frozen=True)
class ListSource(OrderSource):
    """``{"kind": "list", "orders": ["A1", "A2"]}``."""

    orders: tuple[Any, ...]
    required: ClassVar[tuple[str, ...]] = ("orders",)

    @classmethod
    def _build(cls, value: Mapping[str, Any]) -> ListSource:
        if not isinstance(value["orders"], list | tuple):
            raise OrderSourceError(f"'orders' must be a list, got {type(value['orders']).__name__}")
        return cls(tuple(value["orders"]))

    def describe(self) -> str:
        return f"explicit list of {len(self.orders)}"

    def iter_values(self) -> Iterator[Any]:
        yield from self.orders
