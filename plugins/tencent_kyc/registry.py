"""A declared mapping from a kind to what implements it, with an error that lists the known kinds.

Warehouse dialects, order sources, credential stores and syncs are each chosen by a string in a connection or
a DAG param. Each kind is one registration line in one :class:`Registry`, so adding one is a module plus a
line, and a typo is answered with the list of what exists instead of a ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownKindError(ValueError):
    """A kind that is not registered; the message names it and every known kind."""


class Registry(Generic[T]):
    """Kind → implementation, read-only once declared."""

    def __init__(self, what: str, entries: Mapping[str, T]) -> None:
        self.what = what
        self._entries = dict(entries)

    def get(self, kind: object) -> T:
        """The implementation of ``kind``; :class:`UnknownKindError` listing the known kinds otherwise."""
        if isinstance(kind, str) and kind in self._entries:
            return self._entries[kind]
        raise UnknownKindError(f"unknown {self.what} {kind!r}; known: {', '.join(self.kinds)}")

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(sorted(self._entries.items()))

    def __contains__(self, kind: object) -> bool:
        return kind in self._entries
