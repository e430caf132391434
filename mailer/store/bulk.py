"""Statements over many values, shared by the table modules: chunked ``IN`` lists, fast executemany.

No table of its own: ``store/events.py`` and ``store/messages.py`` both look rows up by long
lists of keys and write one row per value, and both need the same two limits handled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Connection

# SQLite accepts at most 32,766 bound values per statement (999 before 3.32); stay well under.
CHUNK = 500

T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, so each fits in one ``IN (...)``."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def executemany(connection: Connection, statement: Any, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run ``statement`` once per row through the driver's executemany.

    SQLAlchemy's own executemany spends about 7 µs per row building parameters; compiling once
    and handing the driver plain tuples is what lets the webhook keep up with SendGrid.
    Values must already be what the driver takes (no SQLAlchemy type conversion happens).
    """
    compiled = statement.compile(dialect=connection.dialect)
    if compiled.positional:
        names = compiled.positiontup or []
        fixed = {name: value for name, value in compiled.params.items() if name not in rows[0]}
        pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
        params: Any = [pick(row) for row in rows] if not fixed else [pick({**fixed, **row}) for row in rows]
    else:
        params = [{**compiled.params, **row} for row in rows]
    return connection.exec_driver_sql(str(compiled), params).rowcount
