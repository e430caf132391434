"""The event table: the only SQL that reads or writes SendGrid events.

Finding the message an event is about and moving that message's delivery forward are SQL on
the message table, so they live in ``store/messages.py``. Writes take a ``Connection`` so the
caller keeps one transaction per webhook POST.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import ColumnElement, Connection, Integer, bindparam, func, literal_column, or_, select, text, update

from mailer import mailbox
from mailer.store.bulk import chunks, insert_or_skip, naming
from mailer.store.schema import event, suppression_removal

# PostgreSQL advisory lock held by each event-storing transaction until it ends: this key ("mail"
# in ASCII) and the log's schema, hashed (advisory locks are per database, and two offices' logs, or
# the test suite's, may be schemas of one database: they must not wait for each other).
_INGEST_LOCK = 0x6D61696C


# The schema of the log's event table, as this connection's search path finds it: not
# current_schema(), the first schema of the path that exists, which for a login with a schema of
# its own first in its path ("$user", public: PostgreSQL's advice since 15) is that empty schema
# while every table is the log's, so two commands on one log held two locks (review 26x #1).
_LOG_SCHEMA = (
    "hashtext(coalesce((SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
    "ON n.oid = c.relnamespace WHERE c.oid = to_regclass('event')), current_schema(), ''))"
)


def _ingest_lock_key() -> tuple[int, ColumnElement[int]]:
    """The two-int advisory lock key of this connection's log: ``(_INGEST_LOCK, hashtext(schema))``,
    the schema its event table is in (never NULL: the lock functions take no lock for a NULL key)."""
    return _INGEST_LOCK, literal_column(_LOG_SCHEMA, type_=Integer)


def known_event_ids(connection: Connection, ids: Iterable[str]) -> set[str]:
    """The ``sg_event_id`` values among ``ids`` already stored."""
    found: set[str] = set()
    for chunk in chunks(set(ids)):
        found.update(connection.scalars(select(event.c.sg_event_id).where(event.c.sg_event_id.in_(chunk))))
    return found


def known_dedupe_keys(connection: Connection, keys: Iterable[str]) -> set[str]:
    """The content hashes among ``keys`` already stored."""
    found: set[str] = set()
    for chunk in chunks(set(keys)):
        found.update(connection.scalars(select(event.c.dedupe_key).where(event.c.dedupe_key.in_(chunk))))
    return found


# The columns ``insert_values`` takes, in this order.
COLUMNS = tuple(c.name for c in event.columns if c.name != "id")


def insert(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert event rows (mappings by column name; ``other_log`` False unless given); see ``insert_values``."""
    return insert_values(
        connection, [tuple(row.get(name, False) if name == "other_log" else row[name] for name in COLUMNS) for row in rows]
    )


def insert_values(connection: Connection, values: Sequence[Sequence[Any]]) -> int:
    """Insert events, one tuple of ``COLUMNS`` each, in the order received (SQLite: a statement per
    up to 2,048 rows; PostgreSQL: one executemany).

    A row already stored (by either key) is skipped; returns how many were added. Values go to
    the driver as they are (no SQLAlchemy type processing): the statement is compiled once.

    On PostgreSQL the caller's transaction first takes the log's ingest lock, so webhook workers
    store one batch at a time, as SQLite's single writer has them do: two batches holding the same
    events in different orders (SendGrid sends duplicates) would otherwise deadlock on the unique indexes.
    """
    if not values:
        return 0
    dialect = connection.dialect
    if dialect.name == "sqlite":
        return _insert_rows_sqlite(connection, values)
    hold_ingest_lock(connection)
    compiled = _compiled_insert(dialect)
    if compiled.positional:
        order = [COLUMNS.index(name) for name in compiled.positiontup or []]
        params: Any = values if order == list(range(len(COLUMNS))) else [tuple(row[i] for i in order) for row in values]
    else:
        params = [dict(zip(COLUMNS, row, strict=True)) for row in values]
    return max(connection.exec_driver_sql(compiled.string, params).rowcount, 0)


INGEST_WAIT = (
    "Waiting for the delivery log: another mailer command is storing SendGrid's events there (a colleague's "
    "mailer events import, or the webhook) or erasing a journalist (mailer forget); this one goes on once it is done "
    "(Ctrl+C stops)..."
)


def hold_ingest_lock(connection: Connection, *, waiting: Callable[[str], None] | None = None) -> None:
    """On PostgreSQL, take the log's ingest lock until the caller's transaction ends (again: a no-op).

    Event batches hold it while they store, and ``mailer forget`` while it erases, so a batch
    either is wholly stored before an erasure (which then blanks it) or looks the erasure up
    after it. SQLite has one writer at a time already: nothing to do there. ``waiting`` is told
    ``INGEST_WAIT`` when another holds it (newcomer 17 #12: `suppressions add` sat silent for the
    half minute of a colleague's events import).
    """
    if connection.dialect.name != "postgresql":
        return
    key = _ingest_lock_key()
    if waiting is not None and connection.scalar(select(func.pg_try_advisory_xact_lock(*key))):
        return
    if waiting is not None:
        waiting(INGEST_WAIT)
    connection.execute(select(func.pg_advisory_xact_lock(*key)))


# Rows per multi-row INSERT on SQLite: at most 2,048 x 15 = 30,720 bound values (SQLite's limit is
# 32,766 since 3.32). A statement's rows are a multiple of 256 (the last row repeated, which the
# unique keys skip), so at most eight statement texts, each kept prepared by the driver's cache.
_MOST_ROWS = 2048
_ROWS_STEP = 256


def _insert_rows_sqlite(connection: Connection, values: Sequence[Sequence[Any]]) -> int:
    """Insert ``values`` through multi-row ``INSERT ... VALUES (...), (...)`` statements; returns how many were added.

    Not executemany, and as few statements as the bound-value limit allows (one for a webhook
    batch of up to 2,048 events): Python's sqlite3 lets go of the GIL around every statement it
    steps (and executemany at every row), and in the webhook the event loop's thread (reading and
    parsing the next request) takes it each time; the storing thread then waits up to the
    interpreter's switch interval to get it back. One statement lets go of it once for all the
    rows, while the database does the work, so parsing and storing overlap.

    A statement of 256 x k rows carries the last row again in the slots past the batch's own rows:
    a row repeated inside one statement is a duplicate of itself (the same ``dedupe_key``), so
    ``ON CONFLICT DO NOTHING`` skips it and it is not counted.
    """
    added = 0
    total = len(values)
    statements = -(-total // _MOST_ROWS)
    per_statement = -(-total // statements)
    for start in range(0, total, per_statement):
        part = values[start : start + per_statement]
        slots = -(-len(part) // _ROWS_STEP) * _ROWS_STEP
        flat = list(chain.from_iterable(part))
        if slots > len(part):
            flat.extend(tuple(part[-1]) * (slots - len(part)))
        added += max(connection.exec_driver_sql(_multi_row_insert(slots), tuple(flat)).rowcount, 0)
    return added


@functools.cache
def _multi_row_insert(rows: int) -> str:
    """SQLite's INSERT of ``rows`` rows of ``COLUMNS`` (qmark parameters), skipping rows already stored by either key."""
    one = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    return f"INSERT INTO event ({', '.join(COLUMNS)}) VALUES {', '.join([one] * rows)} ON CONFLICT DO NOTHING"


_COMPILED: dict[str, Any] = {}


def _compiled_insert(dialect: Any) -> Any:
    key = f"{dialect.name}+{dialect.driver}:{dialect.paramstyle}"
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = insert_or_skip(dialect, event).values({name: bindparam(name) for name in COLUMNS}).on_conflict_do_nothing()
        compiled = _COMPILED[key] = statement.compile(dialect=dialect)
    return compiled


# This log's own mail: not an event of mail another delivery log sent (schema.py ``other_log``).
OWN_MAIL = event.c.other_log.is_(False)


def blocked_counts(connection: Connection, addresses: Collection[str]) -> dict[str, tuple[int, str | None]]:
    """For each address: how many "blocked" bounces of this log's own mail are stored, and the latest reason.

    A block is a mail server refusing one sender's mail (its content, its reputation), not a fact
    about the mailbox: another log's blocked mail (another client's release) says nothing about
    whether this office's releases get through, so it does not count (fix 15b). Nor do blocks from
    before the office last took the address off the suppression list (`mailer suppressions remove`:
    the mailbox takes its mail again): before, the blocks that had suppressed it still counted, and a
    single block after it was put back suppressed it again (review 23b #2)."""
    counts: dict[str, tuple[int, str | None]] = {}
    for chunk in chunks(addresses):
        lifted_at = {
            key: when.timestamp()
            for key, when in connection.execute(
                select(suppression_removal.c.email_key, func.max(suppression_removal.c.removed_at))
                .where(suppression_removal.c.email_key.in_(chunk))
                .group_by(suppression_removal.c.email_key)
            )
            if when is not None
        }
        query = (
            select(event.c.email, event.c.timestamp, event.c.reason)
            .where(event.c.email.in_(chunk), event.c.event == "bounce", event.c.bounce_type == "blocked", OWN_MAIL)
            .order_by(event.c.timestamp)
        )
        for row in connection.execute(query):
            if row.email in lifted_at and row.timestamp <= lifted_at[row.email]:
                continue  # refused before the office put the address back
            count, _ = counts.get(row.email, (0, None))
            counts[row.email] = (count + 1, row.reason)
    return counts


# Written out literally so the database can use the partial index ix_event_group_email.
_GROUP_EVENTS = text("event.event IN ('group_unsubscribe', 'group_resubscribe')")


class GroupChange(NamedTuple):
    """A group_unsubscribe or group_resubscribe (``latest_group_events``)."""

    event: str  # "group_unsubscribe" or "group_resubscribe"
    timestamp: int  # Unix seconds
    other_log: bool  # in mail another delivery log sent (fix 15b)
    group: str | None  # the event's asm_group_id, as text; None when it names none
    ours: bool = False  # about a message of this log (linked): the journalist answering this office's own mail


def group_of(raw: str | None) -> str | None:
    """The ``asm_group_id`` an event's raw JSON names, as text ("5"), or None."""
    if not raw or "asm_group_id" not in raw:
        return None
    try:
        value = json.loads(raw).get("asm_group_id")
    except (ValueError, AttributeError, RecursionError):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value).strip() or None


def latest_group_events(connection: Connection, addresses: Collection[str]) -> dict[str, list[GroupChange]]:
    """For each address, its group_unsubscribe and group_resubscribe events, with their origin
    (this log's mail or another's) and unsubscribe group, as ``standing_group`` weighs them."""
    found: dict[str, list[GroupChange]] = {}
    for chunk in chunks(addresses):
        query = select(event.c.email, event.c.event, event.c.timestamp, event.c.other_log, event.c.raw, event.c.message_id).where(
            event.c.email.in_(chunk), _GROUP_EVENTS
        )
        for row in connection.execute(query):
            change = GroupChange(row.event, row.timestamp, bool(row.other_log), group_of(row.raw), row.message_id is not None)
            found.setdefault(row.email, []).append(change)
    return found


class _Change(Protocol):
    @property
    def event(self) -> str: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def other_log(self) -> bool: ...
    @property
    def group(self) -> str | None: ...
    @property
    def ours(self) -> bool: ...


_C = TypeVar("_C", bound=_Change)


def standing_unsubscribes(changes: Iterable[_C]) -> list[_C]:
    """The group unsubscribes among ``changes`` still standing: this log's own first (when any stands), else another log's.

    A group resubscribe undoes the unsubscribes from the same group before it (an event naming no
    group matches any): the journalist asks for that group's mail again. A resubscribe to another
    group (a newsletter another tool sends from the same SendGrid account) does not undo this
    office's unsubscribe (review 17w #2). One in this log's own mail (linked to its message) undoes
    another log's unsubscribe, whatever its group (she asks for this office's mail again); one in
    mail of no log (a newsletter's) only one of its own group (review 17x #1); one in another log's mail (to
    another client's group) undoes only that log's, never a stop said here (fix 15b). At the same
    second an unsubscribe outlasts a resubscribe of its own origin.
    """
    items = list(changes)
    resubscribes = [c for c in items if c.event == "group_resubscribe"]

    def undone(unsubscribe: _C) -> bool:
        for r in resubscribes:
            if r.other_log and not unsubscribe.other_log:
                continue
            # Another log's stop, then a resubscribe in this office's own mail: she asks for its mail again. One
            # in mail of no delivery log (a newsletter tool's, another group) is not that (review 17x #1).
            asks_us_again = unsubscribe.other_log and r.ours
            if not asks_us_again and r.group is not None and unsubscribe.group is not None and r.group != unsubscribe.group:
                continue
            if r.timestamp > unsubscribe.timestamp or (r.timestamp == unsubscribe.timestamp and unsubscribe.other_log and not r.other_log):
                return True
        return False

    standing = [c for c in items if c.event == "group_unsubscribe" and not undone(c)]
    own = [c for c in standing if not c.other_log]
    return sorted(own or standing, key=lambda c: c.timestamp)


def standing_group(changes: Iterable[GroupChange]) -> tuple[int, bool] | None:
    """The group unsubscribe still standing among an address's group events (``latest_group_events``):
    its time and whether it came in another log's mail; None when none stands (``standing_unsubscribes``)."""
    standing = standing_unsubscribes(changes)
    return (standing[-1].timestamp, standing[-1].other_log) if standing else None


class OptOut(NamedTuple):
    """A journalist's own "no more": an unsubscribe, a spam report or a group unsubscribe."""

    event: str  # "unsubscribe", "spamreport" or "group_unsubscribe"
    timestamp: int  # Unix seconds
    sg_event_id: str | None  # "one-click.<key>..." for our own one-click link
    campaign_id: str | None
    other_log: bool  # said about mail another delivery log sent (schema.py): honoured all the same
    group: str | None = None  # a group (re)subscription's asm_group_id
    ours: bool = False  # about a message of this log (linked)


_OPTING = ("unsubscribe", "spamreport", "group_unsubscribe", "group_resubscribe")


def latest_opt_out(connection: Connection, address: str, message_ids: ColumnElement[bool] | None = None) -> OptOut | None:
    """The address's latest opt-out still standing (a group unsubscribe stands until a later group
    resubscribe to that group), by the event's address or, when given, by a message the event is linked to
    (``message_ids``: a condition on ``event.c.message_id``, as one-click rows keep the message's
    spelling). None when it never opted out. Reads every such event of the address: few.

    An opt-out in mail another delivery log sent counts (a stop request that reached this office's
    SendGrid account is honoured, as when it came in); group (re)subscriptions are weighed as
    ``standing_unsubscribes`` weighs them: another log's resubscribe never undoes one said here (fix 15b)."""
    condition = event.c.email == address
    if message_ids is not None:
        condition = or_(condition, message_ids)
    query = select(
        event.c.event, event.c.timestamp, event.c.sg_event_id, event.c.campaign_id, event.c.other_log, event.c.raw, event.c.message_id
    ).where(event.c.event.in_(_OPTING), condition)
    found = sorted(
        (
            OptOut(
                kind, stamp, sg_event_id, campaign_id, bool(other), group_of(raw) if kind.startswith("group_") else None, linked is not None
            )
            for kind, stamp, sg_event_id, campaign_id, other, raw, linked in connection.execute(query)
        ),
        key=lambda o: (o.timestamp, o.event != "group_resubscribe"),
    )
    group = standing_unsubscribes(o for o in found if o.event.startswith("group_"))
    standing = [o for o in found if not o.event.startswith("group_")] + group[-1:]
    standing.sort(key=lambda o: (o.timestamp, o.event != "group_resubscribe"))
    return standing[-1] if standing else None


def erase_address(connection: Connection, address: str, message_ids: Collection[int]) -> int:
    """Blank the personal parts of every event about ``address`` (or its messages).

    The event type, time and links stay, so counts in reports do not change; ``sg_event_id``
    and ``dedupe_key`` stay so that a re-sent copy is still recognised and not stored again.
    """
    condition = event.c.email == address
    if message_ids:
        condition = condition | event.c.message_id.in_(list(message_ids))
    statement = update(event).where(condition).values(email=None, reason=None, url=None, raw="{}")
    return connection.execute(statement).rowcount


def erase_mentions(connection: Connection, address: str, instead: str) -> int:
    """Replace ``address`` with ``instead`` in the reason, link and raw JSON of the other events
    that name it (part of ``mailer forget``, after ``erase_address``): a bounce of one journalist
    quoting another's address, a link carrying it in its query. Returns how many events changed."""
    columns = (event.c.reason, event.c.url, event.c.raw)
    named = select(event.c.id, *columns).where(or_(*(naming(column, address) for column in columns)))
    changed = 0
    for row in list(connection.execute(named)):
        was = dict(zip((column.key for column in columns), row[1:], strict=True))
        values = {key: scrubbed for key, text in was.items() if text and (scrubbed := mailbox.scrub(text, address, instead)) != text}
        if values:
            connection.execute(update(event).where(event.c.id == row.id).values(values))
            changed += 1
    return changed
