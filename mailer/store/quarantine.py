"""The quarantine table: events that could not be read, kept raw with the reason.

Written in the same transaction as the batch's good events (events/apply.py), so a retried
webhook batch or a re-imported file adds nothing twice (unique ``digest``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update

from mailer.models import SuppressionReason
from mailer.store.bulk import executemany, insert_or_skip
from mailer.store.schema import quarantine, suppression

__all__ = ["ERASED", "Entry", "count", "erase_address", "insert", "latest"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One quarantined event (or body): where it came from, why it was set aside, its raw text."""

    source: str
    origin: str
    reason: str
    raw: str
    received_at: datetime


ERASED = "(erased: it named a journalist erased with mailer forget)"


def insert(connection: Connection, entries: Sequence[Entry]) -> int:
    """Store entries not stored before; returns how many were new.

    The raw text of an entry naming a journalist erased with ``mailer forget`` is not kept
    (``ERASED`` instead; review 9b: a late unreadable event brought the address and IP back)."""
    if not entries:
        return 0
    forgotten = _forgotten(connection)
    rows = [
        {
            "digest": hashlib.sha256(f"{e.origin}\0{e.reason}\0{e.raw}".encode()).hexdigest(),
            "source": e.source,
            "origin": e.origin,
            "reason": e.reason,
            "raw": ERASED if any(key in e.raw.lower() for key in forgotten) else e.raw,
            "received_at": e.received_at,
        }
        for e in entries
    ]
    names = ("digest", "source", "origin", "reason", "raw", "received_at")
    statement = insert_or_skip(connection.dialect, quarantine).values({name: bindparam(name) for name in names}).on_conflict_do_nothing()
    return max(executemany(connection, statement, rows), 0)


def erase_address(connection: Connection, key: str) -> int:
    """Blank the raw text of the entries that name ``key`` (a lower-cased address): part of
    ``mailer forget``. The entry stays (where it came from, why), so a re-import adds nothing."""
    named = func.lower(quarantine.c.raw).contains(key, autoescape=True)
    return int(connection.execute(update(quarantine).where(named).values(raw=ERASED)).rowcount or 0)


def _forgotten(connection: Connection) -> list[str]:
    """The addresses erased with ``mailer forget`` (their suppressions say so)."""
    query = select(suppression.c.email_key).where(suppression.c.reason == SuppressionReason.FORGOTTEN.value)
    return [key for key in connection.scalars(query) if key]


def count(connection: Connection) -> int:
    """How many entries the quarantine holds."""
    return connection.scalar(select(func.count()).select_from(quarantine)) or 0


def latest(connection: Connection, limit: int | None = None) -> list[Entry]:
    """The newest entries first (all of them without ``limit``)."""
    query = select(quarantine).order_by(quarantine.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [Entry(r.source, r.origin, r.reason, r.raw, r.received_at) for r in connection.execute(query)]
