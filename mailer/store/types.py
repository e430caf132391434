"""Column types of the delivery log that SQLAlchemy's own do not get right on every database.

``UTCDateTime``: promise 7 (DESIGN.md), every instant stored and compared as UTC. SQLAlchemy's
``DateTime(timezone=True)`` keeps the zone on PostgreSQL (timestamptz) but on SQLite writes the
wall-clock digits and drops the zone without converting: "09:00 America/New_York" was stored
as 09:00 and read back as 09:00 UTC, five hours early. This type converts every value to UTC
before the database sees it and hands back aware UTC datetimes on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: written as UTC, read back as an aware UTC datetime; a naive value is refused.

    On SQLite the text stays what press-mailer 0.1.0 wrote ("2026-11-29 17:00:00.000000", UTC,
    no offset), so old logs read the same. On PostgreSQL the column is ``timestamptz``.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime takes a datetime, not {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive time is a programming error: nobody can tell which zone it meant.
            raise ValueError(f"UTCDateTime refuses a naive datetime ({value.isoformat()}); give it a zone, e.g. datetime.now(UTC)")
        moment = value.astimezone(UTC)
        # SQLite's DateTime writes the digits and ignores the zone: hand it the UTC digits.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: the digits written above (or by 0.1.0), in UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)  # PostgreSQL: timestamptz in the session's zone
