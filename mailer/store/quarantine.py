"""The quarantine table: events that could not be read, kept raw with the reason.

Written in the same transaction as the batch's good events (events/apply.py), so a retried
webhook batch or a re-imported file adds nothing twice (unique ``digest``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, update

from mailer import mailbox
from mailer.models import FORGOTTEN_ADDRESS, SuppressionReason
from mailer.store.bulk import chunks, executemany, insert_or_skip, naming
from mailer.store.schema import event, quarantine, suppression

__all__ = ["ERASED", "Entry", "clear", "count", "digest", "drop_repaired", "erase_address", "insert", "latest"]


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
            "digest": digest(e.origin, e.reason, e.raw),
            "source": e.source,
            "origin": e.origin,
            "reason": e.reason,
            "raw": ERASED if any(_names(e.raw, key) for key in forgotten) else e.raw,
            "received_at": e.received_at,
        }
        for e in entries
    ]
    names = ("digest", "source", "origin", "reason", "raw", "received_at")
    statement = insert_or_skip(connection.dialect, quarantine).values({name: bindparam(name) for name in names}).on_conflict_do_nothing()
    return max(executemany(connection, statement, rows), 0)


def digest(origin: str, reason: str, raw: str) -> str:
    """What makes an entry the same entry (SHA-256, hex): where it came from, why, and its raw text."""
    return hashlib.sha256(f"{origin}\0{reason}\0{raw}".encode()).hexdigest()


# An sg_event_id in an entry's raw text (safe text: JSON escapes, no raw quotes inside the value).
_EVENT_ID = re.compile(r'"sg_event_id"\s*:\s*("(?:[^"\\]|\\.)*")')


def drop_repaired(connection: Connection, prefix: str, set_aside: Collection[str], again: Collection[str] = ()) -> int:
    """After a file was imported again: take off the quarantine the entries of its lines (``origin``
    starting with ``prefix``, "events.ndjson line ") that this import repaired; returns how many.

    ``set_aside`` holds the digests of what this import quarantined again: those stay. ``again``
    holds the origins it quarantined: an older text of such a line is replaced by the newer one
    (not repaired, not counted). Of the others, an entry whose raw text names an ``sg_event_id``
    is repaired once that event is in the log (the line was fixed and read); one naming none (JSON
    cut short before it) stays until ``clear``. Fix 10: a repaired line stayed listed for ever.
    """
    query = select(quarantine.c.id, quarantine.c.origin, quarantine.c.digest, quarantine.c.raw).where(
        quarantine.c.origin.startswith(prefix, autoescape=True)
    )
    repaired: list[int] = []
    replaced: list[int] = []
    waiting: dict[str, list[int]] = {}  # sg_event_id -> entries naming it
    for entry_id, origin, entry_digest, raw in connection.execute(query):
        if entry_digest in set_aside:
            continue
        named = _event_id(raw)
        if origin in again:
            replaced.append(entry_id)
        elif named is not None:
            waiting.setdefault(named, []).append(entry_id)
        # One naming no event stays: another file under the same name (the next day's export)
        # could read at that line, and its raw text is the only trace of the event (review 10c).
    for names in chunks(list(waiting)):
        for found in connection.scalars(select(event.c.sg_event_id).where(event.c.sg_event_id.in_(names))):
            repaired.extend(waiting.get(found, ()))
    for ids in chunks([*repaired, *replaced]):
        connection.execute(delete(quarantine).where(quarantine.c.id.in_(ids)))
    return len(repaired)


def _event_id(raw: str) -> str | None:
    """The sg_event_id an entry's raw text names, if it names one that reads as text."""
    match = _EVENT_ID.search(raw)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def clear(connection: Connection) -> int:
    """Empty the quarantine (``mailer events quarantine --clear``); returns how many entries it held."""
    return int(connection.execute(delete(quarantine)).rowcount or 0)


def erase_address(connection: Connection, key: str) -> int:
    """Blank the raw text of the entries that name ``key`` (a lower-cased address), and take it out of
    their reasons: part of ``mailer forget``. The entry stays (where it came from, why), so a
    re-import adds nothing."""
    # Those the look-up finds and that name the address itself, not a longer one (o'brien@ for brien@; review 12b #2).
    found = connection.execute(select(quarantine.c.id, quarantine.c.raw).where(naming(quarantine.c.raw, key))).all()
    named = [entry_id for entry_id, raw in found if mailbox.names(raw, key)]
    erased = 0
    for chunk in chunks(named):
        erased += int(connection.execute(update(quarantine).where(quarantine.c.id.in_(chunk)).values(raw=ERASED)).rowcount or 0)
    for entry_id, reason in list(connection.execute(select(quarantine.c.id, quarantine.c.reason).where(naming(quarantine.c.reason, key)))):
        connection.execute(
            update(quarantine).where(quarantine.c.id == entry_id).values(reason=mailbox.scrub(reason, key, FORGOTTEN_ADDRESS))
        )
    return erased


def _names(raw: str, key: str) -> bool:
    """Whether an entry's raw text names the address ``key`` in any spelling ``mailbox.mentions``
    gives: ASCII JSON spells anna@bücher.example "anna@b\\u00fccher.example" (review 12b #9)."""
    low = raw.lower()
    return any(spelling in low for spelling in mailbox.mentions(key)) and mailbox.names(raw, key)


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
