"""The suppression table: addresses never to mail again, with why, where from and when."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from mailer import mailbox
from mailer.models import SuppressionReason
from mailer.store import clock
from mailer.store import events as event_store
from mailer.store.bulk import chunks, insert_or_skip, naming
from mailer.store.messages import to_address
from mailer.store.schema import event, message, suppression, suppression_removal


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppressed address."""

    email_key: str
    reason: SuppressionReason
    source: str
    note: str | None
    created_at: datetime

    def why(self) -> str:
        """ "manual, since 2026-11-20: asked by phone": its reason, the day (UTC) and its note, for a warning."""
        return f"{self.reason.value}, since {self.created_at.astimezone(UTC):%Y-%m-%d}" + (f": {self.note}" if self.note else "")


def add(
    connection: Connection,
    entries: Iterable[tuple[str, SuppressionReason, str | None]],
    *,
    source: str,
    now: datetime | None = None,
) -> int:
    """Suppress (address, reason, note) entries; an address already suppressed keeps its first record.

    Returns how many addresses were newly suppressed.
    """
    stamp = now or clock.now(connection)
    records = [Suppression(address, reason, source, note, stamp) for address, reason, note in entries]
    return insert(connection, records)


def insert(connection: Connection, records: Iterable[Suppression]) -> int:
    """Suppress each record's address inside the caller's transaction; the first record wins.

    Returns how many addresses were newly suppressed.
    """
    rows: dict[str, dict[str, object]] = {}
    for record in records:
        key = mailbox.key(record.email_key) if record.email_key else ""
        if key and key not in rows:
            rows[key] = {
                "email_key": key,
                "reason": str(record.reason),
                "source": record.source,
                "note": record.note,
                "created_at": record.created_at,
            }
    if not rows:
        return 0
    # SQLAlchemy reports an executemany INSERT's rowcount only when asked to (psycopg then gives
    # -1); the count is what tells a caller how many addresses were new.
    statement = (
        insert_or_skip(connection.dialect, suppression)
        .on_conflict_do_nothing(index_elements=["email_key"])
        .execution_options(preserve_rowcount=True)
    )
    result = connection.execute(statement, list(rows.values()))
    return max(result.rowcount, 0)


def lift_group_unsubscribe(connection: Connection, address: str) -> bool:
    """Undo a group unsubscribe (a later group resubscribe): True when one was lifted.

    The journalist's own stop said since and still standing (an unsubscribe from all mail, a spam
    report, the one-click link) takes its place, as when the office lifts a bounce: the list
    keeps an address's first reason, so the group unsubscribe may be all it shows of a later
    spam report (review 17w #1: the resubscribe lifted it and the next send mailed her).
    """
    key = mailbox.key(address)
    statement = delete(suppression).where(
        suppression.c.email_key == key,
        suppression.c.reason == str(SuppressionReason.UNSUBSCRIBE),
        suppression.c.note.startswith(GROUP_NOTE, autoescape=True),
    )
    if not connection.execute(statement).rowcount:
        return False
    standing = _standing_opt_out(connection, key)
    if standing is not None:
        insert(connection, [standing])
    return True


def replace(connection: Connection, record: Suppression) -> bool:
    """Make ``record`` the address's only suppression; True if one existed before."""
    key = mailbox.key(record.email_key)
    existed = connection.execute(delete(suppression).where(suppression.c.email_key == key)).rowcount > 0
    insert(connection, [record])
    return existed


def find(connection: Connection, address: str) -> Suppression | None:
    """The suppression of one address, if any."""
    row = connection.execute(select(suppression).where(suppression.c.email_key == mailbox.key(address))).first()
    return None if row is None else _from_row(row)


def remove(connection: Connection, addresses: Iterable[str], *, note: str = "", now: datetime | None = None) -> list[Suppression]:
    """Lift suppressions, recording for each lifted address what it was and why it was lifted.

    Entries an older version stored under another spelling of the same mailbox (``spellings``)
    are lifted with it. Returns the suppressions lifted (addresses that were not suppressed are
    not in it); ``mailbox.key(s.email_key)`` is the address each was lifted for.
    """
    lifted = [entry for address in dict.fromkeys(addresses) for entry in spellings(connection, address)]
    stamp = now or clock.now(connection)
    if lifted:
        # An opt-out lifted along (on purpose, under another spelling) is not brought back (second read).
        opted_out = {mailbox.key(s.email_key) for s in lifted if s.reason in _OPTED_OUT}
        outranked = {mailbox.key(s.email_key) for s in lifted if s.reason in OUTRANKED} - opted_out
        standing = {key: _standing_opt_out(connection, key) for key in outranked}
        connection.execute(
            suppression_removal.insert(),
            [{"email_key": s.email_key, "previous_reason": str(s.reason), "note": note, "removed_at": stamp} for s in lifted],
        )
        for chunk in chunks([s.email_key for s in lifted]):
            connection.execute(delete(suppression).where(suppression.c.email_key.in_(chunk)))
        insert(connection, [kept for kept in standing.values() if kept is not None])
    return lifted


# What other tools, and SendGrid's own list names, call each reason (``reason_named``).
_NAMED = {
    SuppressionReason.BOUNCE: ("bounce", "bounces", "bounced", "hard bounce", "hard bounced", "hardbounce"),
    SuppressionReason.BLOCK: ("block", "blocks", "blocked"),
    SuppressionReason.SPAM_REPORT: ("spamreport", "spam report", "spam reports", "spam", "complaint", "spam complaint", "marked as spam"),
    SuppressionReason.UNSUBSCRIBE: (
        "unsubscribe",
        "unsubscribes",
        "unsubscribed",
        "global unsubscribe",
        "opt out",
        "opted out",
        "optout",
        "group unsubscribe",
    ),
    SuppressionReason.INVALID: ("invalid", "invalid email", "invalid emails", "invalid address"),
    SuppressionReason.MANUAL: ("manual",),
    SuppressionReason.FORGOTTEN: ("forgotten",),
}
_BY_NAME = {name: reason for reason, names in _NAMED.items() for name in names}


def reason_named(text: str) -> SuppressionReason | None:
    """The reason a cell of another tool's export names ("Unsubscribed", "Spam Report", "hard
    bounce", SendGrid's "spam_reports"), or None for words it does not know (nc11b: those became
    "manual" silently, a journalist's own unsubscribe among them)."""
    return _BY_NAME.get(" ".join(text.lower().replace("_", " ").replace("-", " ").split()))


# Suppressions the office may lift for a mailbox that works again, or a note it made itself;
# lifting one never lifts the journalist's own unsubscribe or spam report (review 11s #7).
OUTRANKED = frozenset({SuppressionReason.BOUNCE, SuppressionReason.BLOCK, SuppressionReason.INVALID, SuppressionReason.MANUAL})
_OPTED_OUT = (SuppressionReason.UNSUBSCRIBE.value, SuppressionReason.SPAM_REPORT.value)
GROUP_NOTE = "group unsubscribe"  # events/apply.py notes group unsubscribes so; a group resubscribe lifts them by it
# Said after the note of a suppression an event about another delivery log's mail caused (fix 15b).
OTHER_LOG_NOTE = "in mail sent with another delivery log"


def opt_out_stands(connection: Connection, address: str) -> bool:
    """Whether a stop of the journalist's own (an unsubscribe, a spam report, a one-click link) still
    stands: one said since the office last lifted such a suppression on purpose (``_standing_opt_out``)."""
    return _standing_opt_out(connection, mailbox.key(address)) is not None


def _standing_opt_out(connection: Connection, key: str) -> Suppression | None:
    """The suppression a journalist's own opt-out still standing calls for, or None.

    An address already suppressed (a bounce) stays so when the journalist then unsubscribes (by
    our one-click link, or SendGrid's), so the suppression list keeps its first reason and the
    unsubscribe is only in the events. When the office lifts that first reason, the unsubscribe
    must take its place (Bo unsubscribed: the mailbox working again does not undo that). An
    opt-out from before the office last lifted an unsubscribe or spam report on purpose does
    not count: the journalist asked back in since (the rule a re-sent event follows too).

    An opt-out in mail another delivery log sent stands too (its stop request reached this office's
    SendGrid account; the note says where it came from), but that log's group resubscribe does not
    undo one said here (``events.latest_opt_out``; fix 15b).
    """
    sent_to = event.c.message_id.in_(select(message.c.id).where(to_address(key)))
    found = event_store.latest_opt_out(connection, key, sent_to)
    if found is None:
        return None
    lifted_before = [r.removed_at for r in removals(connection, key) if r.previous_reason in _OPTED_OUT]
    when = datetime.fromtimestamp(found.timestamp, UTC)
    if lifted_before and when <= max(lifted_before):
        return None
    from mailer.store.unsubscribes import ID_PREFIX, SOURCE  # here: that module imports this one

    one_click = (found.sg_event_id or "").startswith(ID_PREFIX)
    day = f"{when:%Y-%m-%d}" + (f" ({OTHER_LOG_NOTE})" if found.other_log else "")
    if found.event == "spamreport":
        return Suppression(key, SuppressionReason.SPAM_REPORT, "event", f"marked a release as spam on {day}", when)
    if found.event == "group_unsubscribe":
        return Suppression(key, SuppressionReason.UNSUBSCRIBE, "event", f"{GROUP_NOTE} on {day}", when)
    how = "with the one-click link" if one_click else "from all mail"
    return Suppression(key, SuppressionReason.UNSUBSCRIBE, SOURCE if one_click else "event", f"unsubscribed {how} on {day}", when)


def spellings(connection: Connection, address: str) -> list[Suppression]:
    """The suppression of ``address``, and any an older version stored under another spelling of
    the same mailbox: before mailer.mailbox, `mailer forget "Jane Doe <jane@example.org>"` kept
    the text as typed, name and all, and events kept "ben@xn--bcher-kva.example" as SendGrid
    spelt it (newcomer 11, review 11s). Such entries matched no list row, so they held a name and
    suppressed nobody. The exact entry comes first."""
    key = mailbox.key(address)
    local = key.rpartition("@")[0]
    # Every other spelling holds the local part and an "@" (the address is inside a "Name <...>").
    nearby = select(suppression).where(suppression.c.email_key.contains(f"{local}@", autoescape=True), suppression.c.email_key != key)
    exact = connection.execute(select(suppression).where(suppression.c.email_key == key)).first()
    others = [_from_row(row) for row in connection.execute(nearby) if mailbox.key(row.email_key) == key]
    return ([_from_row(exact)] if exact is not None else []) + sorted(others, key=lambda s: s.email_key)


@dataclass(frozen=True, slots=True)
class Removal:
    """An address taken off the suppression list, and why."""

    email_key: str
    previous_reason: str
    note: str
    removed_at: datetime


def erase_mentions(connection: Connection, address: str, instead: str) -> int:
    """Replace ``address`` with ``instead`` in the notes of other addresses' suppressions and removals
    that name it ("asked by phone, with ben@gazette.example"): part of ``mailer forget``, after
    ``erase_removals``. Returns how many notes changed."""
    changed = 0
    for table, column in ((suppression, suppression.c.note), (suppression_removal, suppression_removal.c.note)):
        for text in list(connection.scalars(select(column).where(column.is_not(None), naming(column, address)).distinct())):
            scrubbed = mailbox.scrub(text, address, instead)
            if scrubbed != text:
                changed += int(connection.execute(update(table).where(column == text).values({column.key: scrubbed})).rowcount or 0)
    return changed


def removals(connection: Connection, address: str | None = None) -> list[Removal]:
    """Every lifted suppression (of one address, when given), newest first."""
    query = select(suppression_removal).order_by(suppression_removal.c.removed_at.desc(), suppression_removal.c.id.desc())
    if address is not None:
        query = query.where(suppression_removal.c.email_key == mailbox.key(address))
    rows = connection.execute(query)
    return [Removal(r.email_key, r.previous_reason, r.note, r.removed_at) for r in rows]


def erase_removals(connection: Connection, address: str) -> int:
    """Forget the removal history of one address (part of `mailer forget`), and every entry
    stored under another spelling of it (``spellings``), on the list or in its history."""
    key = mailbox.key(address)
    local = key.rpartition("@")[0]
    misspelt = [entry.email_key for entry in spellings(connection, key) if entry.email_key != key]
    history = select(suppression_removal.c.email_key).where(suppression_removal.c.email_key.contains(f"{local}@", autoescape=True))
    misspelt += [found for found in set(connection.scalars(history)) if found != key and mailbox.key(found) == key]
    erased = 0
    for chunk in chunks([key, *misspelt]):
        erased += connection.execute(delete(suppression_removal).where(suppression_removal.c.email_key.in_(chunk))).rowcount
        connection.execute(delete(suppression).where(suppression.c.email_key.in_(chunk), suppression.c.email_key != key))
    return erased


def reasons(connection: Connection, *, noted: bool = False) -> dict[str, str]:
    """Every suppressed address (lower-cased) mapped to its reason, for contacts.suppress.

    ``noted``: the reason followed by the entry's note when it has one, on one line ("unsubscribe
    (asked by phone, 3 March)"), as a send logs why it skipped the address (fix12r); never for
    "forgotten", whose record says nothing more (and is compared by its reason alone).
    """
    if not noted:
        return {row.email_key: row.reason for row in connection.execute(select(suppression.c.email_key, suppression.c.reason))}
    found: dict[str, str] = {}
    for key, reason, note in connection.execute(select(suppression.c.email_key, suppression.c.reason, suppression.c.note)):
        said = " ".join(note.split()) if note and reason != _FORGOTTEN else ""
        found[key] = f"{reason} ({said})" if said else reason
    return found


def forgotten_among(connection: Connection, addresses: Collection[str]) -> set[str]:
    """Those of ``addresses`` (lower-cased) erased with ``mailer forget``: suppressed as "forgotten".

    The webhook asks this for every batch: on SQLite one statement taking the addresses as one
    JSON array (as ``messages.by_message_key``), a sixth of the chunked IN's cost at 1,000 addresses.
    """
    if connection.dialect.name == "sqlite":
        wanted = json.dumps(list(addresses))
        return set(connection.exec_driver_sql(_FORGOTTEN_SQLITE, (_FORGOTTEN, wanted)).scalars())
    found: set[str] = set()
    for chunk in chunks(addresses):
        query = select(suppression.c.email_key).where(suppression.c.email_key.in_(chunk), suppression.c.reason == _FORGOTTEN)
        found.update(connection.scalars(query))
    return found


_FORGOTTEN = SuppressionReason.FORGOTTEN.value
_FORGOTTEN_SQLITE = "SELECT email_key FROM suppression WHERE reason = ? AND email_key IN (SELECT value FROM json_each(?))"


def every(connection: Connection) -> list[Suppression]:
    """Every suppression, newest first."""
    rows = connection.execute(select(suppression).order_by(suppression.c.created_at.desc()))
    return [_from_row(row) for row in rows]


def _from_row(row: Any) -> Suppression:
    return Suppression(row.email_key, SuppressionReason(row.reason), row.source, row.note, row.created_at)
