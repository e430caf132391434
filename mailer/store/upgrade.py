"""Bring a delivery log written by an earlier press-mailer up to this version's schema.

The log records its schema version in the one-row table ``schema_info``. A log from
press-mailer 0.1.0 has no such table: it is recognised by its ``message`` table and counts as
version 1. Each step below runs once, in order, inside one transaction with the version
update, so a log is never left half-upgraded. Statements are plain SQL that SQLite (3.25 and
later) and PostgreSQL both accept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import msgspec
from sqlalchemy import Column, Connection, Integer, MetaData, Table, bindparam, inspect, select, text
from sqlalchemy.exc import DBAPIError

from mailer.errors import StoreError
from mailer.store.schema import OLDER_REFUSED_DDL, SUPPRESSION_CODE_POINT_INDEX

__all__ = ["SCHEMA_VERSION", "UPGRADING", "Progress", "refuse_newer", "schema_version", "upgrade"]

# The upgrade's work shown to the user (cli/output.progress): called with a description and a
# total, gives a function that advances it. The caller says which log it upgrades.
Progress = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]
UPGRADING = "Upgrading the delivery log: events checked"

_info_metadata = MetaData()
schema_info = Table("schema_info", _info_metadata, Column("version", Integer, nullable=False))


def _version_2(connection: Connection) -> None:
    """One word per thing: the message's opaque ``key`` is its ``message_key``; ``batch_no`` is ``request_no``."""
    connection.exec_driver_sql("ALTER TABLE message RENAME COLUMN key TO message_key")
    connection.exec_driver_sql("ALTER TABLE message RENAME COLUMN batch_no TO request_no")
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_message_campaign_batch")
    # create_all() below adds missing tables only, never an index to a table that exists.
    connection.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_message_campaign_request ON message (campaign_id, request_no)")


def _version_3(connection: Connection) -> None:
    """Promise 6: a lease on each campaign, so one process at a time drives it."""
    for name, kind in (
        ("lease_holder", "VARCHAR(40)"),
        ("lease_host", "TEXT"),
        ("lease_pid", "INTEGER"),
        ("lease_since", _TIMESTAMP),
        ("lease_heartbeat", _TIMESTAMP),
        ("lease_expires", _TIMESTAMP),
    ):
        connection.exec_driver_sql(f"ALTER TABLE campaign ADD COLUMN {name} {_type(connection, kind)}")


def _version_4(connection: Connection) -> None:
    """Promise 9: the archive of what each campaign sent, and attachment bytes by SHA-256 (as in schema.py then)."""
    stamp = _type(connection, _TIMESTAMP)
    blob = "BYTEA" if connection.dialect.name == "postgresql" else "BLOB"
    connection.exec_driver_sql(
        "CREATE TABLE archive (campaign_id VARCHAR(120) NOT NULL PRIMARY KEY REFERENCES campaign (id), "
        "subject TEXT NOT NULL, preheader TEXT NOT NULL, html TEXT NOT NULL, text TEXT NOT NULL, "
        f"tokens JSON NOT NULL, body JSON NOT NULL, created_at {stamp} NOT NULL)"
    )
    connection.exec_driver_sql(
        f"CREATE TABLE attachment (sha256 VARCHAR(64) NOT NULL PRIMARY KEY, content {blob} NOT NULL, "
        f"size INTEGER NOT NULL, created_at {stamp} NOT NULL)"
    )


def _version_5(connection: Connection) -> None:
    """Issue 11: events that cannot be read are quarantined, raw and with the reason (as in schema.py then)."""
    stamp = _type(connection, _TIMESTAMP)
    serial = "SERIAL" if connection.dialect.name == "postgresql" else "INTEGER"
    connection.exec_driver_sql(
        f"CREATE TABLE quarantine (id {serial} NOT NULL PRIMARY KEY, digest VARCHAR(64) NOT NULL UNIQUE, "
        "source VARCHAR(20) NOT NULL, origin TEXT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL, "
        f"received_at {stamp} NOT NULL)"
    )


def _version_6(connection: Connection) -> None:
    """Issue 12: no index on (campaign_id, state). Every state change of a send rewrote two of its
    entries per recipient (a third of the logging cost); the queries that read a campaign's rows
    by state read them through (campaign_id, request_no) instead, at the same cost."""
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_message_campaign_state")


def _version_7(connection: Connection) -> None:
    """Issue 13: a follow-up campaign names the campaign it follows up (``mailer send --follow-up``)."""
    if "follow_up_of" not in {column["name"] for column in inspect(connection).get_columns("campaign")}:
        connection.exec_driver_sql("ALTER TABLE campaign ADD COLUMN follow_up_of VARCHAR(120)")


def _version_8(connection: Connection) -> None:
    """Issue 14: each message row names the language version of the release its journalist got."""
    if "language" not in {column["name"] for column in inspect(connection).get_columns("message")}:
        connection.exec_driver_sql("ALTER TABLE message ADD COLUMN language VARCHAR(35)")


def _version_9(connection: Connection) -> None:
    """Issue 12: the requests in flight are listed on the campaign row instead of moving each of their
    message rows to `sending` and back (a row write per recipient less).

    A press-mailer from before this step, opening the log later (a colleague's computer sharing a
    PostgreSQL log), would not know the list and would send a crashed run's requests in flight
    again; a trigger refuses its lease (schema.LEASE_HOLDER_MARK), before any request leaves.
    """
    if "in_flight" not in {column["name"] for column in inspect(connection).get_columns("campaign")}:
        connection.exec_driver_sql("ALTER TABLE campaign ADD COLUMN in_flight JSON")
    for statement in OLDER_REFUSED_DDL[connection.dialect.name]:
        connection.exec_driver_sql(statement)


def _version_10(connection: Connection) -> None:
    """Issue 12: one address index entry per message row instead of two (at 100k rows, an eighth
    fewer instructions for SQLite to write a plan's rows).

    The address index (email_key) and the unique (campaign_id, email_key) index of rows not
    skipped become a unique (email_key, campaign_id) index of rows not skipped and an email_key
    index of skipped rows: the same look-ups by address, the same promise 2. The rows already
    there met the old unique index, so they meet the new one.
    """
    for statement in _ADDRESS_INDEXES:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_message_email_key")
    connection.exec_driver_sql("DROP INDEX IF EXISTS ux_message_campaign_address")


def _version_11(connection: Connection) -> None:
    """One way of reading an address (mailer/mailbox.py): suppressions and events written before
    it keep their addresses as they came ("ben@xn--bcher-kva.example" from an event, "jane doe
    <jane@example.org>" from an older ``mailer forget``, the journalist's name kept for good), and
    those matched no list row, so the journalist could still be mailed (review 11s, fix 11). Each
    is keyed as the list loader keys it; two entries for one mailbox become the one that says most
    (forgotten, then an unsubscribe or spam report, then the earliest)."""
    from mailer import mailbox

    entries = connection.execute(text("SELECT email_key, reason, created_at FROM suppression")).all()
    kept: dict[str, tuple[int, str, Any]] = {}
    for email_key, reason, created_at in entries:
        found = kept.get(key := mailbox.key(email_key))
        candidate = (_RANK.get(reason, 2), email_key, created_at)
        if found is None or (candidate[0], str(candidate[2])) < (found[0], str(found[2])):
            kept[key] = candidate
    for email_key, _, _ in entries:
        key = mailbox.key(email_key)
        if kept[key][1] != email_key:
            connection.execute(text("DELETE FROM suppression WHERE email_key = :k"), {"k": email_key})
    for key, (_, email_key, _) in kept.items():
        if key != email_key:
            connection.execute(text("UPDATE suppression SET email_key = :key WHERE email_key = :old"), {"key": key, "old": email_key})
    for row_id, email in connection.execute(text("SELECT id, email FROM event WHERE email IS NOT NULL")).all():
        if (key := mailbox.key(email)) != email:
            connection.execute(text("UPDATE event SET email = :key WHERE id = :id"), {"key": key, "id": row_id})


def _version_12(connection: Connection, advance: Callable[[int], None]) -> None:
    """Events about mail another delivery log sent (a message key this log never gave out: another
    client's folder on the same SendGrid account, or its events file imported here by mistake) are
    marked ``other_log``, so the look-ups by address that weigh this log's own mail (the block count,
    group resubscribes) leave them out (fix 15b). Those an older version linked to one of this log's
    messages by address and campaign id (before newcomer 14 #1) are unlinked as well: they are no
    open, click or unsubscribe of this log's journalists.

    A chunk of events at a time (``advance`` moves the upgrade's bar once per chunk). Every event's
    JSON was read with ``json.loads``: about 12 s per million with nothing on screen (fix 16); now
    msgspec reads the key alone on SQLite (``_message_key``), and PostgreSQL reads it itself
    (``_POSTGRESQL_READING``) but for what it cannot read exactly as Python does, and for a whole
    chunk holding JSON text it cannot parse, which are read here.
    """
    if "other_log" not in {column["name"] for column in inspect(connection).get_columns("event")}:
        connection.exec_driver_sql("ALTER TABLE event ADD COLUMN other_log BOOLEAN NOT NULL DEFAULT FALSE")
    there = connection.dialect.name == "postgresql"
    last = 0
    while True:
        size, high = connection.execute(_NEXT_CHUNK, {"last": last, "size": _CHUNK}).one()
        if not size:
            return
        bounds = {"low": last, "high": high}
        others = _others_read_there(connection, bounds) if there else None
        if others is None:  # read every event of the chunk here
            others = _others_read_here(connection, connection.execute(_EVENTS_BETWEEN if there else _SQLITE_EVENTS_BETWEEN, bounds).all())
        for start in range(0, len(others), _IN):
            connection.execute(_MARK_OTHER_LOG, {"ids": others[start : start + _IN]})
        advance(int(size))
        last = high


def _others_read_there(connection: Connection, bounds: dict[str, int]) -> list[int] | None:
    """The chunk's events of another log, their JSON read by PostgreSQL (those it cannot read exactly
    as Python does come back with their JSON, read here); None when it refuses the chunk."""
    try:
        with connection.begin_nested():  # a refused statement ends the transaction unless a savepoint takes it
            rows = connection.execute(_POSTGRESQL_READING, bounds).all()
    except DBAPIError:
        return None
    others = [row_id for row_id, _, plain in rows if plain]
    return others + _others_read_here(connection, [(row_id, raw) for row_id, raw, plain in rows if not plain])


def _others_read_here(connection: Connection, rows: Sequence[tuple[int, str | bytes | None]]) -> list[int]:
    """Of these (id, raw JSON) events, those whose message key this log never gave out."""
    keyed = {row_id: key for row_id, raw in rows if (key := _message_key(raw)) is not None}
    # A key holding NUL ("\u0000" in the JSON) or a lone surrogate ("\ud800": no UTF-8, review 16 #1:
    # looked up, it stopped the upgrade) is none this log gave out (no database text can even hold it).
    wanted = sorted({key for key in keyed.values() if _storable(key)})
    known: set[str] = set()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(wanted), _IN):
        part = tuple(wanted[start : start + _IN])
        # Straight to the driver: compiling an expanding IN for each part took a fifth of the step.
        found = connection.exec_driver_sql(f"SELECT message_key FROM message WHERE message_key IN ({', '.join([mark] * len(part))})", part)
        known.update(key for (key,) in found.fetchall())
    return [row_id for row_id, key in keyed.items() if key not in known]


def _storable(key: str) -> bool:
    """Whether ``key`` can be a message key of the log: text without NUL that UTF-8 can encode."""
    if "\x00" in key:
        return False
    try:
        key.encode()
    except UnicodeEncodeError:
        return False
    return True


_CHUNK = 20_000  # events read at a time by step 12
_IN = 500  # values in one IN (...) of step 12
_NEXT_CHUNK = text("SELECT count(*), max(id) FROM (SELECT id FROM event WHERE id > :last ORDER BY id LIMIT :size) AS chunk")
_EVENTS_BETWEEN = text("SELECT id, raw FROM event WHERE id > :low AND id <= :high")
# SQLite keeps whatever bytes were put in a text (review 16 #3: one not UTF-8 stopped the upgrade, the
# driver refusing to read it): read as bytes, and as text by ``_message_key``.
_SQLITE_EVENTS_BETWEEN = text("SELECT id, CAST(raw AS BLOB) FROM event WHERE id > :low AND id <= :high")
_MARK_OTHER_LOG = text("UPDATE event SET other_log = TRUE, message_id = NULL WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))

# Step 12 on PostgreSQL: the events of a chunk it marks (id, NULL, true), and those it leaves to
# Python (id, raw, false); each event's JSON parsed once (MATERIALIZED, OFFSET 0: inlined, each use
# of the key would parse it again). It decides an event whose "message" is missing, null, an object
# or an array (no key: never marked), or a plain key ("3fa2...": letters, digits and ._:- only, so
# no space to strip): another log's when no message row has it. Python reads the rest: a number or
# true ("5", "True" in Python), text with spaces or other characters. PostgreSQL reads JSON as
# Python does (the last of two labels, escapes decoded) but refuses what it cannot parse (NaN, a
# lone surrogate, \u0000 as text): that chunk goes to Python whole.
_POSTGRESQL_READING = text(
    """
    WITH chunk AS MATERIALIZED (
        SELECT id, json_typeof(value) AS kind, CASE WHEN json_typeof(value) = 'string' THEN value #>> '{}' END AS key
        FROM (SELECT id, raw::json -> 'message' AS value FROM event WHERE id > :low AND id <= :high OFFSET 0) AS parsed
    ), read AS MATERIALIZED (
        SELECT id, coalesce(kind IN ('null', 'object', 'array'), TRUE) AS keyless,
               coalesce(kind = 'string' AND key ~ '^[0-9A-Za-z_.:-]+$', FALSE) AS plain, key
        FROM chunk
    )
    SELECT id, CASE WHEN plain THEN NULL ELSE (SELECT raw FROM event WHERE event.id = read.id) END, plain
    FROM read
    WHERE NOT keyless AND NOT (plain AND EXISTS (SELECT 1 FROM message WHERE message.message_key = read.key))
    """
)


def _message_key(raw: str | bytes | None) -> str | None:
    """The message key (``custom_args["message"]``) of a stored event's JSON, read as events/parse.py
    reads it; None when it carries none (a late bounce, an event ``mailer forget`` blanked) or its
    JSON cannot be read (broken, or nested too deep for Python).

    msgspec reads only the key, about ten times faster than ``json.loads`` reads every field; it
    refuses whatever JSON it would read otherwise (NaN, a lone surrogate, a number out of range,
    not an object), which ``json.loads`` then reads. Bytes (SQLite's) are read as UTF-8 text: none
    can be read from those that are not UTF-8."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode()
        except UnicodeDecodeError:
            return None
    try:
        value = _READ_KEY.decode(raw or "").message
    except (msgspec.DecodeError, RecursionError):
        try:
            data = json.loads(raw or "")
        except (ValueError, RecursionError):
            return None
        value = data.get("message") if isinstance(data, dict) else None
    if value is None:
        return None
    if isinstance(value, dict | list):
        return None
    return str(value).strip() or None


class _Keyed(msgspec.Struct):
    """An event's JSON as step 12 reads it: its "message" only."""

    message: Any = None


_READ_KEY = msgspec.json.Decoder(_Keyed)


_RANK = {"forgotten": 0, "unsubscribe": 1, "spamreport": 1}  # which of two entries for one mailbox stays


# As schema.py declares them (create_all() adds no index to a table that exists).
_ADDRESS_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_message_address_campaign ON message (email_key, campaign_id) WHERE skip_reason IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_message_skipped_address ON message (email_key) WHERE skip_reason IS NOT NULL",
)


_TIMESTAMP = "TIMESTAMP WITH TIME ZONE"


def _type(connection: Connection, kind: str) -> str:
    """SQLite stores DateTime columns as text whatever the declared type; keep what SQLAlchemy declares there."""
    return "DATETIME" if kind == _TIMESTAMP and connection.dialect.name == "sqlite" else kind


def _version_13(_connection: Connection) -> None:
    """Issue 12: a large plan's rows may wait in the ``plan_part`` table (store/plan_parts.py) until
    its run, or the next command to take the campaign, writes them into ``message``. A press-mailer
    from before this step would not know them: its resume would end such a send with those
    journalists never mailed, and its `mailer forget` would leave her data in them (review 19p).
    The table itself is made by ``metadata.create_all``; the step's version keeps such a
    press-mailer from opening the log (it says how to update)."""


def _version_14(connection: Connection) -> None:
    """Review 27a: the suppression key in code-point order, for the send's Gmail check on a PostgreSQL
    log of another collation (schema.py). Nothing on SQLite, whose key index has that order."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(SUPPRESSION_CODE_POINT_INDEX)


def _quiet(step: Callable[[Connection], None]) -> Callable[[Connection, Callable[[int], None]], None]:
    """A step that does not move the upgrade's bar (its work is not counted in events checked)."""
    return lambda connection, _advance: step(connection)


# version reached -> the step that reaches it from the one before; each is given the function that
# moves the upgrade's bar by events checked (of as many as the log holds).
STEPS: dict[int, Callable[[Connection, Callable[[int], None]], None]] = {
    2: _quiet(_version_2),
    3: _quiet(_version_3),
    4: _quiet(_version_4),
    5: _quiet(_version_5),
    6: _quiet(_version_6),
    7: _quiet(_version_7),
    8: _quiet(_version_8),
    9: _quiet(_version_9),
    10: _quiet(_version_10),
    11: _quiet(_version_11),
    12: _version_12,
    13: _quiet(_version_13),
    14: _quiet(_version_14),
}
SCHEMA_VERSION = max(STEPS)


def schema_version(connection: Connection) -> int | None:
    """The log's schema version; None for an empty database."""
    tables = set(inspect(connection).get_table_names())
    if "schema_info" in tables:
        return connection.scalar(select(schema_info.c.version))
    return 1 if "message" in tables else None


def upgrade(connection: Connection, *, progress: Progress | None = None) -> int:
    """Run the steps this log has not had yet; returns the version it was at (None counts as current).

    The caller creates missing tables and indexes afterwards (``metadata.create_all``). When a
    step is to run, ``progress`` is called once, with ``UPGRADING`` and how many events the log
    holds: the steps that read every event move it (step 12, a few seconds per million).
    """
    found = schema_version(connection)
    if found is not None and found > SCHEMA_VERSION:
        raise _newer(found)
    start = SCHEMA_VERSION if found is None else found
    if start < SCHEMA_VERSION:  # a log an earlier version wrote: shown, since a large one takes a while (fix 16)
        events = connection.scalar(text("SELECT count(*) FROM event")) if "event" in inspect(connection).get_table_names() else None
        with (progress or _no_progress)(UPGRADING, None if events is None else int(events)) as advance:
            for version in range(start + 1, SCHEMA_VERSION + 1):
                STEPS[version](connection, advance)
    if found is None or found < SCHEMA_VERSION or "schema_info" not in inspect(connection).get_table_names():
        _info_metadata.create_all(connection)
        connection.execute(schema_info.delete())
        connection.execute(schema_info.insert().values(version=SCHEMA_VERSION))
    return start


def refuse_newer(connection: Connection) -> None:
    """Raise StoreError when a newer press-mailer has upgraded the log since this process opened it.

    A process that runs for hours (`mailer webhook`) checks before each write: started before a
    colleague's newer version upgraded the shared log, it went on storing events the old way in
    it, while every other command of its version refused the log (newcomer 20b #1). One indexed
    read of a one-row table."""
    found = connection.scalar(select(schema_info.c.version))
    if found is not None and found > SCHEMA_VERSION:
        raise _newer(found)


def _newer(found: int) -> StoreError:
    return StoreError(
        f"This delivery log was upgraded by a newer press-mailer (log version {found}; this press-mailer knows up to "
        f"{SCHEMA_VERSION}), so this one does not open it, not even to read: it could misread what the newer version wrote, "
        "or write what that one does not expect.",
        hint=f"Update press-mailer on this computer to your colleagues' version ({how_to_update()}), then run the command again.",
    )


def how_to_update() -> str:
    """How this press-mailer is updated: run from a checkout (README's `pip install -e .` in the
    project folder), the newer code in that folder and pip installing it again; otherwise pip from
    the package index. Newcomer 17 #5: "pip install -U press-mailer" asked the index, not the
    office's checkout, which stayed old."""
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2]  # mailer/store/upgrade.py -> the project folder
    if (folder / "pyproject.toml").is_file() and 'name = "press-mailer"' in (folder / "pyproject.toml").read_text(encoding="utf-8"):
        return f"in {folder}, get the newer code (git pull, or your colleagues' copy of the folder), then: {sys.executable} -m pip install -e {folder}"
    return f"{sys.executable} -m pip install -U press-mailer"


@contextmanager
def _no_progress(_description: str, _total: int | None) -> Iterator[Callable[[int], None]]:
    yield lambda _amount: None
