"""One DB-API transaction, the way every writer here uses it: commit at the end, roll back on any error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def transaction(connection: Any) -> Iterator[Any]:
    """A cursor of ``connection`` inside one transaction; the connection is closed afterwards."""
    try:
        cursor = connection.cursor()
        yield cursor
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()
