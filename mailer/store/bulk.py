"""Statements over many values, shared by the table modules: chunked ``IN`` lists, fast executemany.

No table of its own: ``store/events.py`` and ``store/messages.py`` both look rows up by long
lists of keys and write one row per value, and both need the same two limits handled.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Connection, Dialect, Table, bindparam, func, or_

from mailer import mailbox

# SQLite accepts at most 32,766 bound values per statement (999 before 3.32); stay well under.
CHUNK = 500

T = TypeVar("T")


def insert_or_skip(dialect: Dialect, table: Table) -> Any:
    """``INSERT`` into ``table`` for the log's database, with ``on_conflict_do_nothing`` to call on it
    (SQLite's and PostgreSQL's own ``ON CONFLICT`` statements; each table module used to choose)."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


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


def naming(column: ColumnElement[Any], address_key: str) -> ColumnElement[bool]:
    """The text ``column`` holds the address ``address_key``, in any case and any spelling
    ``mailbox.mentions`` gives: the rows whose text ``mailbox.scrub`` rewrites for ``mailer forget``."""
    return or_(*(func.lower(column).contains(spelling, autoescape=True) for spelling in mailbox.mentions(address_key)))


def slots(prefix: str, size: int = CHUNK) -> list[BindParameter[Any]]:
    """``size`` bind parameters named ``{prefix}0``..: an ``IN`` list of fixed length (see ``Prepared``)."""
    return [bindparam(f"{prefix}{n}") for n in range(size)]


def filled(prefix: str, chunk: Sequence[Any], size: int = CHUNK) -> dict[str, Any]:
    """Values for ``slots(prefix, size)``: ``chunk`` (1 to ``size`` values), padded by repeating its first value.

    A value named twice in ``IN (...)`` matches the same rows once, so padding changes no result.
    """
    padded = list(chunk) + [chunk[0]] * (size - len(chunk))
    return dict(zip(_names(prefix, size), padded, strict=True))


@functools.cache
def _names(prefix: str, size: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in range(size))


class Prepared:
    """A statement compiled once per database dialect and run through the driver with plain values.

    SQLAlchemy spends about 2.5 µs per value of an ``IN`` list building and rendering it on each
    execution; the webhook looks up and updates thousands of messages per request. Built with
    ``slots``, the statement's text never changes, so the database also keeps it prepared.
    Values must already be what the driver takes: convert typed ones with ``bind``.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[tuple[str, list[str] | None], dict[str, Any], dict[str, Any]]] = {}

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """Run with ``params`` (the statement's own bind parameters by name); returns the driver's cursor result.

        Values the statement holds itself (literals, such as a CASE's) need not be given.
        """
        (text, order), _, fixed = self._compile(connection)
        given = {**fixed, **params} if fixed else params
        values: Any = tuple(given[name] for name in order) if order is not None else dict(given)
        return connection.exec_driver_sql(text, values)

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a query with ``params`` (as ``execute``); its rows as the driver's plain tuples."""
        result = self.execute(connection, params)
        try:
            return list(result.cursor.fetchall())
        finally:
            result.close()

    def bind(self, connection: Connection, name: str, value: Any) -> Any:
        """``value`` as the driver takes it for bind parameter ``name`` (its column type's conversion)."""
        processor = self._processors(connection)[name]
        return processor(value) if processor else value

    def _processors(self, connection: Connection) -> dict[str, Any]:
        return self._compile(connection)[1]

    def _compile(self, connection: Connection) -> tuple[tuple[str, list[str] | None], dict[str, Any], dict[str, Any]]:
        dialect = connection.dialect
        key = f"{dialect.name}+{dialect.driver}:{dialect.paramstyle}"
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order = list(compiled.positiontup or []) if compiled.positional else None
            processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
            fixed = {}
            for name, value in compiled.params.items():
                if value is not None:
                    processor = processors.get(name)
                    fixed[name] = processor(value) if processor else value
            found = self._compiled[key] = ((compiled.string, order), processors, fixed)
        return found
