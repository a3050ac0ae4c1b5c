"""What every order source is: described by a small dict (a DAG param), checked before anything is read.

A source streams raw values (never all held here); cleaning (validation, de-duplication) happens in
:mod:`tencent_kyc.orders.planning`. Values that cannot even be read are yielded as :class:`Unreadable`, so
they are refused with a reason like an invalid order number instead of crashing the listing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

S = TypeVar("S", bound="OrderSource")


class OrderSourceError(ValueError):
    """The order source description is unusable; raised before anything is read or sent."""


@dataclass(frozen=True)
class Unreadable:
    """A source value that could not be parsed: reported like an invalid order number, never sent."""

    reason: str


class OrderSource(ABC):
    """One kind of order source. Subclasses declare their keys; ``templated`` keys are Jinja-rendered with the
    run's context (and ``order_date``) before the description reaches :meth:`from_param`."""

    required: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()
    templated: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_param(cls: type[S], value: Mapping[str, Any]) -> S:
        """Validate a description (without its ``kind``), naming what is wrong."""
        known = {"kind", *cls.required, *cls.optional}
        if unknown := sorted(set(value) - known):
            raise OrderSourceError(f"order source has unknown key(s) {unknown}; known: {sorted(known)}")
        if missing := [key for key in cls.required if not value.get(key) and value.get(key) != []]:
            raise OrderSourceError(f"order source of kind {value.get('kind')!r} needs {missing}")
        return cls._build({key: item for key, item in value.items() if key != "kind"})

    @classmethod
    @abstractmethod
    def _build(cls: type[S], value: Mapping[str, Any]) -> S:
        """The source from its checked keys; raises OrderSourceError for bad values."""

    @abstractmethod
    def describe(self) -> str:
        """For logs: where the orders come from, without credentials."""

    @abstractmethod
    def iter_values(self) -> Iterator[Any]:
        """Every raw value of the source, in source order."""
