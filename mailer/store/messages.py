"""The only SQL for the message table: the plan's rows, their sending, events and reports.

In order below: writing the plan and moving whole requests through sending; finding the
message an event is about and moving its delivery forward; the reads reports group and
list; and erasing one address. Every send-time state change touches a whole request in ONE
statement (``WHERE campaign_id AND request_no AND state``), so logging 100k recipients costs a
few hundred statements, not 100k.
"""

from __future__ import annotations

import gc
import itertools
import re
import secrets
from collections import Counter
from collections.abc import Collection, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import (
    ColumnElement,
    Connection,
    Result,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    update,
)

from mailer import mailbox
from mailer.models import (
    BOUNCED,
    DELIVERY_RANK,
    FORGOTTEN_ADDRESS,
    NO_CONSENT_IN_LIST,
    NOT_CONSENTED_IN_LIST,
    OPTED_OUT_IN_LIST,
    CampaignStatus,
    Delivery,
    LogColumns,
    LogRow,
    Message,
    MessageState,
    Mode,
    RejectReason,
    SuppressionReason,
    fields_json,
    logged_reason,
)
from mailer.store import campaigns, inboxes
from mailer.store.bulk import Prepared, chunks, filled, naming, slots
from mailer.store.schema import campaign, campaign_version, event, message, suppression

# States in which a message may have reached SendGrid, so an event can be about it.
SENT_STATES = (MessageState.ACCEPTED.value, MessageState.UNKNOWN.value, MessageState.SENDING.value)


# The plan, and its requests moving through sending.


# The columns ``insert_columns`` writes (by their keys in schema.py).
INSERT_COLUMNS = (
    "campaign_id",
    "message_key",
    "email",
    "email_key",
    "fields",
    "source",
    "state",
    "skip_reason",
    "request_no",
    "error",
    "created_at",
    "updated_at",
    "language",
)


def insert(connection: Connection, campaign_id: str, plan: Iterable[Message], *, now: datetime) -> None:
    """Insert one row per planned or skipped message of a campaign (see ``insert_rows``)."""
    rows = ((m.message_key, m.email, m.fields, m.source, m.state.value, m.skip_reason, m.request_no, m.detail, None) for m in plan)
    insert_rows(connection, campaign_id, rows, now=now)


def insert_rows(connection: Connection, campaign_id: str, rows: Iterable[LogRow], *, now: datetime) -> None:
    """Insert one row per planned or skipped message of a campaign (``insert_columns``), INSERT_CHUNK
    rows at a time; ``rows`` is read once, in order, and never held whole."""
    iterator = iter(rows)
    insert_columns(connection, campaign_id, (LogColumns.of(chunk) for chunk in _batched(iterator)), now=now)


def insert_columns(connection: Connection, campaign_id: str, blocks: Iterable[LogColumns], *, now: datetime) -> None:
    """Insert one row per planned or skipped message of a campaign, one executemany per block.

    ``blocks`` is read once, in order (a million rows stream through). The statement is
    compiled once for the connection's dialect and the values prepared here, a column at a
    time (JSON once per row, the timestamp once in all) and zipped into rows in the statement's
    own column order: SQLAlchemy's per-row parameter processing would cost more than the
    database's own work at 100k rows.
    """
    dialect = connection.dialect
    compiled = message.insert().compile(dialect=dialect, column_keys=list(INSERT_COLUMNS))
    stamp = _driver_time(connection, now)
    statement, names = compiled.string, list(compiled.positiontup or [])
    many_rows = 0  # rows per multi-row INSERT (SQLite), or 0: executemany
    if dialect.name == "sqlite":
        # A large plan touches pages of several B-trees at random (addresses); SQLite's default
        # 2 MB page cache makes it re-read them. 128 MB at most, for this connection.
        connection.exec_driver_sql("PRAGMA cache_size=-131072")
        many_rows = _rows_per_statement(connection, len(names))
    if not compiled.positional and dialect.paramstyle == "pyformat":
        # psycopg takes "%s" as well as "%(name)s": plain tuples, no dict per row.
        names = _NAMED.findall(statement)
        statement = _NAMED.sub("%s", statement)
    many = _ManyRows(connection, statement, many_rows, len(names)) if many_rows else None
    for block in blocks:
        if not len(block):
            continue
        columns: dict[str, Iterable[Any]] = {
            "campaign_id": itertools.repeat(campaign_id),
            "message_key": block.message_keys,
            "email": block.emails,
            "email_key": [email.lower() for email in block.emails],
            "fields": block.fields_json if block.fields_json is not None else [fields_json(fields) for fields in block.fields],
            "source": block.sources,
            "state": block.states,
            "skip_reason": block.skip_reasons,
            "request_no": block.request_nos,
            "error": block.details,
            "created_at": itertools.repeat(stamp),
            "updated_at": itertools.repeat(stamp),
            "language": block.languages,
        }
        if many is not None:
            many.add([columns[name] for name in names], len(block))
        elif names:
            # The cycle collector off while a block's tuples are made (they hold text and numbers
            # only): a tenth of this function's own time at 100k rows, otherwise.
            collecting = gc.isenabled()
            gc.disable()
            try:
                rows = list(zip(*(columns[name] for name in names)))
            finally:
                if collecting:
                    gc.enable()
            connection.exec_driver_sql(statement, rows)
        else:
            every = zip(*(columns[name] for name in INSERT_COLUMNS))
            connection.exec_driver_sql(statement, [dict(zip(INSERT_COLUMNS, row, strict=True)) for row in every])
    if many is not None:
        many.finish()


_NAMED = re.compile(r"%\((\w+)\)s")

# Rows per multi-row INSERT of the plan on SQLite: LOG_BLOCK (8,192) is four of them.
_MANY_ROWS = 2048


def _rows_per_statement(connection: Connection, width: int) -> int:
    """How many rows of ``width`` values one SQLite statement may bind: _MANY_ROWS, or fewer
    under a lower limit on bound values (32,766 since SQLite 3.32, 999 before); 0 if one row
    would not fit."""
    import sqlite3

    driver = connection.connection.dbapi_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if isinstance(driver, sqlite3.Connection) else 999
    return min(_MANY_ROWS, limit // width) if width else 0


class _ManyRows:
    """Rows written through ``INSERT ... VALUES (...), (...)`` statements of exactly ``per_statement``
    rows each, whatever the blocks' sizes; the last rows of the plan (fewer) through executemany.

    Bare sqlite3 writes a 100k-row plan a fifth faster this way than through executemany, which
    steps the statement (and lets go of the GIL) once per row. One statement text only: sqlite3
    keeps up to 128 prepared statements per connection, and one of 2,048 rows is about 4 MB
    (a statement per list file's last rows grew a send over 40 files by 180 MB, review 7).
    """

    def __init__(self, connection: Connection, statement: str, per_statement: int, width: int) -> None:
        self.connection, self.one_row, self.width = connection, statement, width
        self.every_row = _many_rows_statement(statement, per_statement)
        self.size = per_statement * width  # values per statement
        self.pending: list[Any] = []  # values of rows not written yet, row after row

    def add(self, columns: list[Iterable[Any]], count: int) -> None:
        """``count`` rows given as ``columns`` (in the statement's parameter order): laid into one
        flat list a column at a time (no tuple per row), written as whole statements fill up."""
        width = self.width
        flat: list[Any] = [None] * (count * width)
        for place, column in enumerate(columns):
            flat[place::width] = itertools.islice(column, count) if isinstance(column, itertools.repeat) else column
        values = self.pending + flat if self.pending else flat
        whole = len(values) // self.size * self.size
        for start in range(0, whole, self.size):
            self.connection.exec_driver_sql(self.every_row, tuple(values[start : start + self.size]))
        self.pending = values[whole:]

    def finish(self) -> None:
        """Write the rows left (fewer than one statement's)."""
        if self.pending:
            rows = list(zip(*[iter(self.pending)] * self.width, strict=True))
            self.connection.exec_driver_sql(self.one_row, rows)
            self.pending = []


def _many_rows_statement(statement: str, rows: int) -> str:
    """``statement`` (a one-row ``INSERT ... VALUES (?, ...)``) for ``rows`` rows."""
    head, values, one = statement.rpartition(" VALUES ")
    return head + values + ", ".join([one] * rows)


INSERT_CHUNK = 20_000


def _batched(rows: Iterator[LogRow]) -> Iterator[tuple[LogRow, ...]]:
    """``rows`` INSERT_CHUNK at a time (itertools.batched is Python 3.12)."""
    while chunk := tuple(itertools.islice(rows, INSERT_CHUNK)):
        yield chunk


def _driver_time(connection: Connection, moment: datetime) -> Any:
    """``moment`` as SQLAlchemy hands it to the driver (UTCDateTime, then the dialect's type: the
    text SQLite stores), computed once for a whole executemany instead of once per row."""
    processor = message.c.created_at.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return processor(moment) if processor else moment


def recover_interrupted(
    connection: Connection, campaign_id: str, in_flight: Collection[int], *, now: datetime, older_runs: bool = True
) -> int:
    """Rows whose request was in flight when a run stopped become `unknown`; returns how many.

    ``in_flight`` are the request numbers the campaign row lists (``campaigns.in_flight``): their
    rows still `planned` left without an answer logged. With ``older_runs``, rows a log from
    before version 9 left in `sending` are moved too: a pass over every row of the campaign (no
    index has the state), needless for a campaign this version wrote, as nothing since puts a row
    in `sending`.
    """
    error = "The send stopped while this request was in flight; SendGrid may have accepted it."
    moved = _move(connection, campaign_id, MessageState.SENDING, MessageState.UNKNOWN, now=now, error=error) if older_runs else 0
    for number in sorted(set(in_flight)):
        moved += mark_request(connection, campaign_id, number, old=MessageState.PLANNED, new=MessageState.UNKNOWN, now=now, error=error)
    return moved


def requeue(connection: Connection, campaign_id: str, state: MessageState, *, now: datetime) -> int:
    """``unknown`` or ``failed`` rows go back to ``planned``, because the user decided to send them again."""
    if state not in (MessageState.UNKNOWN, MessageState.FAILED):
        raise ValueError(f"only unknown or failed messages can be sent again, not {state}")
    return _move(connection, campaign_id, state, MessageState.PLANNED, now=now, error=None)


def _move(connection: Connection, campaign_id: str, old: MessageState, new: MessageState, *, now: datetime, error: str | None) -> int:
    statement = update(message).where(message.c.campaign_id == campaign_id, message.c.state == old.value)
    if new is MessageState.PLANNED:  # never a row `mailer forget` erased: sent again, it would go to "(forgotten)"
        statement = statement.where(message.c.email_key.not_like("forgotten:%"))
    return connection.execute(statement.values(state=new.value, error=error, updated_at=now)).rowcount or 0


def pending(connection: Connection, campaign_id: str, *, with_fields: bool = True) -> list[Message]:
    """Planned rows in request order (without the contact fields when the caller has them already),
    each with the language version its plan chose.

    Name and substitutions are left empty: the sender fills them in from the fields.
    """
    fields_column = message.c.fields if with_fields else literal_column("NULL")
    query = (
        select(message.c.message_key, message.c.email, fields_column, message.c.request_no, message.c.language)
        .where(message.c.campaign_id == campaign_id, message.c.state == MessageState.PLANNED.value)
        .order_by(message.c.request_no, message.c.id)
    )
    return [
        Message(message_key, email, "", dict(fields or {}), request_no=request_no or 0, language=language)
        for message_key, email, fields, request_no, language in connection.execute(query)
    ]


def mark_request(
    connection: Connection,
    campaign_id: str,
    request_no: int,
    *,
    old: MessageState,
    new: MessageState,
    now: datetime,
    sg_message_id: str | None = None,
    error: str | None = None,
) -> int:
    """Move every row of one request from ``old`` to ``new`` in one statement; returns how many moved."""
    statement = _MARK if sg_message_id is None else _MARK_ACCEPTED
    params = {"campaign_id": campaign_id, "request_no": request_no, "old": old.value, "new": new.value, "error": error}
    if sg_message_id is not None:
        params["sg_message_id"] = sg_message_id
    params["now"] = statement.bind(connection, "now", now)
    return int(statement.execute(connection, params).rowcount or 0)


def _not_indexed(column: ColumnElement[str]) -> ColumnElement[str]:
    """``column || ''``: the same value, but SQLite can no longer pick the (campaign_id, state) index.

    Without statistics SQLite rates (campaign_id, state) as good as (campaign_id, request_no)
    and picks it, so `planned -> sending` for one request scanned every planned row of the
    campaign: 100k recipients spent ~2 s there. With the request index a request costs its own rows.
    """
    return column.concat("")


def _request_update(**values: Any) -> Any:
    """UPDATE one request's rows in state ``:old`` (the dispatcher logging a request's answer)."""
    return (
        update(message)
        .where(
            message.c.campaign_id == bindparam("campaign_id"),
            message.c.request_no == bindparam("request_no"),
            _not_indexed(message.c.state) == bindparam("old"),
        )
        .values(state=bindparam("new"), updated_at=bindparam("now", type_=message.c.updated_at.type), error=bindparam("error"), **values)
    )


# Compiled once, run through the driver (bulk.Prepared): SQLAlchemy's compile-cache look-up cost
# about a third of logging a request's answer.
_MARK = Prepared(_request_update())
_MARK_ACCEPTED = Prepared(_request_update(sg_message_id=bindparam("sg_message_id")))


def mark_one(
    connection: Connection, campaign_id: str, message_key: str, *, old: MessageState, new: MessageState, now: datetime, error: str
) -> int:
    """Move one journalist's row from ``old`` to ``new`` with ``error`` (one SendGrid named in a
    refused request: its own words, not those about the others it named); returns how many moved."""
    statement = (
        update(message)
        .where(message.c.campaign_id == campaign_id, message.c.message_key == message_key, message.c.state == old.value)
        .values(state=new.value, error=error, updated_at=now)
    )
    return int(connection.execute(statement).rowcount or 0)


def renumber(connection: Connection, campaign_id: str, keys: Collection[str], request_no: int, *, now: datetime) -> None:
    """Give part of a request its own number (a request split after SendGrid said it was too large)."""
    statement = (
        update(message)
        .where(message.c.campaign_id == campaign_id, message.c.message_key.in_(list(keys)))
        .values(request_no=request_no, updated_at=now)
    )
    connection.execute(statement)


def handed_over(connection: Connection, campaign_id: str, counts: Mapping[str, int]) -> bool:
    """Whether any of the campaign's requests reached SendGrid, or may have: a row accepted,
    unknown or sending (``counts``: rows per state), or a request listed in flight."""
    return any(counts.get(state, 0) for state in SENT_STATES) or bool(campaigns.in_flight(connection, campaign_id))


def planned_in(connection: Connection, campaign_id: str, requests: Collection[int]) -> int:
    """How many rows of these requests of a campaign are still `planned` (along the campaign/request index)."""
    if not requests:
        return 0
    if len(requests) == 1:  # a run's check before each request: compiled once (SQLAlchemy's building was a third of it; perf28)
        (request_no,) = requests
        return int(_PLANNED_IN_ONE.rows(connection, {"campaign_id": campaign_id, "request_no": request_no})[0][0] or 0)
    query = select(func.count()).where(
        message.c.campaign_id == campaign_id, message.c.request_no.in_(sorted(requests)), message.c.state == MessageState.PLANNED.value
    )
    return int(connection.scalar(query) or 0)


_PLANNED_IN_ONE = Prepared(
    select(func.count()).where(
        message.c.campaign_id == bindparam("campaign_id"),
        message.c.request_no == bindparam("request_no"),
        message.c.state == MessageState.PLANNED.value,
    )
)


def emails_planned_in(connection: Connection, campaign_id: str, requests: Collection[int]) -> set[str]:
    """The addresses (lower case) of the rows of these requests of a campaign still `planned`: of
    requests listed in flight, the journalists who may have the email (``planned_in`` counts them)."""
    if not requests:
        return set()
    query = select(message.c.email).where(
        message.c.campaign_id == campaign_id, message.c.request_no.in_(sorted(requests)), message.c.state == MessageState.PLANNED.value
    )
    return {str(email).lower() for email in connection.execute(query).scalars()}


def max_request_no(connection: Connection, campaign_id: str) -> int:
    return int(connection.scalar(select(func.max(message.c.request_no)).where(message.c.campaign_id == campaign_id)) or 0)


def counts(connection: Connection, campaign_id: str) -> dict[str, int]:
    """Rows per state (every MessageState present, zero when none)."""
    query = select(message.c.state, func.count()).where(message.c.campaign_id == campaign_id).group_by(message.c.state)
    found: dict[str, int] = {state: int(n) for state, n in connection.execute(query)}
    return {state.value: int(found.get(state.value, 0)) for state in MessageState}


# What an event says of a message SendGrid tried to deliver: it went out (a ``dropped`` may be a discard).
WENT_OUT = (Delivery.PROCESSED, Delivery.DEFERRED, Delivery.DELIVERED, Delivery.BOUNCED, Delivery.BLOCKED)


def went_out(connection: Connection, campaign_id: str) -> int:
    """The campaign's messages SendGrid's events show it sent (``WENT_OUT``): of a scheduled send
    whose cancel came late, proof that it went out all the same."""
    query = select(func.count()).where(message.c.campaign_id == campaign_id, message.c.delivery.in_([d.value for d in WENT_OUT]))
    return int(connection.scalar(query) or 0)


def logged_skip_reason() -> ColumnElement[Any]:
    """A row's ``skip_reason`` as ``models.logged_reason`` reads it: a row a list's own opt-out or
    consent column turned away, which a log written before they had reasons of their own holds as
    "suppressed", by its detail ("opted out", "without consent"). Its texts are literals, not bound
    parameters: the same expression may stand in a query's columns and its GROUP BY (PostgreSQL
    takes a bound one there as another expression)."""
    reason, detail = message.c.skip_reason, message.c.error

    def said(text: str) -> ColumnElement[Any]:
        return literal_column("'" + text.replace("'", "''") + "'", String)

    suppressed = reason == said(RejectReason.SUPPRESSED.value)
    return case(
        (and_(suppressed, detail.like(said(f"{OPTED_OUT_IN_LIST}%"))), said(RejectReason.OPTED_OUT.value)),
        (
            and_(suppressed, or_(detail.like(said(f"{NOT_CONSENTED_IN_LIST}%")), detail.like(said(f"{NO_CONSENT_IN_LIST}%")))),
            said(RejectReason.NO_CONSENT.value),
        ),
        else_=reason,
    )


def skipped_by_reason(connection: Connection, campaign_id: str) -> dict[str, int]:
    reason = logged_skip_reason()
    query = (
        select(reason, func.count())
        .where(message.c.campaign_id == campaign_id, message.c.state == MessageState.SKIPPED.value)
        .group_by(reason)
    )
    return {str(reason): int(n) for reason, n in connection.execute(query)}


def errors(
    connection: Connection, campaign_id: str, *, states: Iterable[MessageState] = (MessageState.FAILED, MessageState.UNKNOWN)
) -> list[tuple[str, str, int]]:
    """Distinct (state, error text, how many rows) for failed and unknown rows, most frequent first."""
    query = (
        select(message.c.state, message.c.error, func.count().label("n"))
        .where(message.c.campaign_id == campaign_id, message.c.state.in_([s.value for s in states]))
        .group_by(message.c.state, message.c.error)
        .order_by(func.count().desc())
    )
    return [(state, error or "", int(n)) for state, error, n in connection.execute(query)]


def errors_by_row(connection: Connection, campaign_id: str, state: MessageState) -> dict[int, str]:
    """Row id -> error text of a campaign's rows in ``state`` (for failed ones: why SendGrid refused them)."""
    query = select(message.c.id, message.c.error).where(message.c.campaign_id == campaign_id, message.c.state == state.value)
    return {int(row_id): error or "" for row_id, error in connection.execute(query)}


def planned_ids(connection: Connection, campaign_id: str) -> set[int]:
    """The row ids of a campaign's planned rows: those its next run sends."""
    query = select(message.c.id).where(message.c.campaign_id == campaign_id, message.c.state == MessageState.PLANNED.value)
    return set(connection.scalars(query))


def tally(connection: Connection, campaign_id: str) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """``counts`` and ``errors`` of a campaign, errors read only when some row failed or is unknown.

    No index has the state, so each query reads every row of the campaign (``counts`` 0.4 s at a
    million rows, ``errors`` 0.25 s more); after a send where SendGrid accepted everyone, the
    second is not needed.
    """
    found = counts(connection, campaign_id)
    if not (found[MessageState.FAILED.value] or found[MessageState.UNKNOWN.value]):
        return found, []
    return found, errors(connection, campaign_id)


def addresses(connection: Connection, campaign_id: str, *, state: MessageState) -> list[str]:
    """The addresses of one campaign in one state (for status listings and tests)."""
    query = select(message.c.email).where(message.c.campaign_id == campaign_id, message.c.state == state.value).order_by(message.c.id)
    return list(connection.scalars(query))


# Events: which message each is about, and what it changes.


class MessageLink(NamedTuple):
    """The message row an event is about, as it stood when the request arrived.

    A NamedTuple (immutable, five times faster to build than a frozen dataclass): the webhook
    makes one per message it looks up, thousands per request.
    """

    message_id: int
    campaign_id: str
    sg_message_id: str | None
    created_at: int  # unix seconds the email went out (planned, or its scheduled time); 0 when looked up by message key: not needed then
    state: str
    delivery: str | None


# Compiled once, run through the driver (bulk.Prepared): the webhook looks up thousands of keys a request.
_BY_KEY = Prepared(
    select(message.c.message_key, message.c.id, message.c.campaign_id, message.c.sg_message_id, message.c.state, message.c.delivery).where(
        message.c.message_key.in_(slots("k"))
    )
)


# The same look-up on SQLite as ONE statement returning ONE value: the keys go in as a JSON array
# and the rows come back as one JSON array (``by_message_key``).
_BY_KEY_SQLITE = (
    "SELECT json_group_array(json_array(message_key, id, campaign_id, sg_message_id, state, delivery)) "
    "FROM message WHERE message_key IN (SELECT value FROM json_each(?))"
)


def by_message_key(connection: Connection, keys: Collection[str]) -> dict[str, MessageLink]:
    """Message rows by their opaque key (what custom_args["message"] carries).

    On SQLite one statement whatever the number of keys, answered in one row: Python's sqlite3
    lets go of the GIL at every row it steps to, and in the webhook the thread parsing the next
    request takes it each time, so a look-up fetching 500 rows waited up to 500 switch intervals
    to get it back. PostgreSQL's driver receives a result whole: there, chunks of rows as before.
    """
    if not keys:
        return {}
    if connection.dialect.name == "sqlite":
        return _by_message_key_sqlite(connection, keys)
    found: dict[str, MessageLink] = {}
    for chunk in chunks(keys):
        for key, mid, campaign_id, sg_message_id, state, delivery in _BY_KEY.rows(connection, filled("k", chunk)):
            found[key] = MessageLink(mid, campaign_id, sg_message_id, 0, state, delivery)
    return found


def _by_message_key_sqlite(connection: Connection, keys: Collection[str]) -> dict[str, MessageLink]:
    """``by_message_key`` in one SQLite statement: the keys in as one JSON array, the rows back as another."""
    wanted = _json_encode(list(keys)).decode("utf-8")
    text = connection.exec_driver_sql(_BY_KEY_SQLITE, (wanted,)).scalar()
    return {row[0]: MessageLink(row[1], row[2], row[3], 0, row[4], row[5]) for row in _json_decode(text or "[]")}


_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder(list[list[Any]]).decode


def by_address(connection: Connection, addresses: Collection[str]) -> dict[str, list[MessageLink]]:
    """Messages sent (or possibly sent) to each address, for events without custom_args: those
    in SENT_STATES, and `planned` ones whose request their campaign lists in flight.

    Never a dry run's or a sandbox send's (nothing reached anyone): a late bounce after the next
    release's dry run was filed under the dry run, and the live send's report and `mailer contact`
    showed no bounce (review 17w #4). A scheduled message's ``created_at`` here is its send time,
    so a bounce before it is not about it (review 17w #7)."""
    found: dict[str, list[MessageLink]] = {}
    columns = (
        message.c.email_key,
        message.c.id,
        message.c.campaign_id,
        message.c.sg_message_id,
        message.c.created_at,
        message.c.state,
        message.c.delivery,
    )
    planned = MessageState.PLANNED.value
    listed: dict[str, set[int]] = {}  # campaign -> the requests its row lists in flight
    for chunk in chunks(addresses):
        query = (
            select(*columns, message.c.request_no, campaign.c.scheduled_at)
            .join(campaign, campaign.c.id == message.c.campaign_id)
            .where(message.c.email_key.in_(chunk), message.c.skip_reason.is_(None), message.c.state.in_((*SENT_STATES, planned)), _reaching)
        )
        rows = connection.execute(query).all()
        unread = {row.campaign_id for row in rows if row.state == planned} - listed.keys()
        if unread:
            in_flight = select(campaign.c.id, campaign.c.in_flight).where(campaign.c.id.in_(unread))
            listed |= {cid: {int(n) for n in numbers or ()} for cid, numbers in connection.execute(in_flight)}
        for row in rows:
            # A `planned` row may have reached SendGrid only while its request is listed in flight.
            if row.state == planned and row.request_no not in listed.get(row.campaign_id, set()):
                continue
            # A scheduled message went out at its time, not when it was planned (review 17w #7).
            sent = max(_unix(row.created_at), _unix(row.scheduled_at))
            link = MessageLink(row.id, row.campaign_id, row.sg_message_id, sent, row.state, row.delivery)
            found.setdefault(row.email_key, []).append(link)
    return found


_sandboxed = campaign.c.filters[campaigns.SANDBOX].as_boolean()
# Campaigns whose mail can have reached someone: live or test, not sent to SendGrid's sandbox, not
# cancelled. A campaign is cancelled only when it reached nobody (a scheduled send SendGrid dropped
# in time, a stopped send that had mailed nobody; one stopped half-way is done, the rest called off:
# send.campaign._call_off), and reports read its messages "cancelled" (models.shown_state). A late
# bounce of Monday's release after Thursday's cancelled one's time went to Thursday's (review 17x #7).
_reaching = and_(
    campaign.c.mode != Mode.DRY_RUN.value,
    campaign.c.status != CampaignStatus.CANCELLED.value,
    or_(_sandboxed.is_(None), _sandboxed.is_(False)),
)


def _unix(value: datetime | None) -> int:
    return 0 if value is None else int(value.timestamp())  # UTCDateTime reads back aware


_UNSETTLED_STATES = (MessageState.UNKNOWN.value, MessageState.SENDING.value, MessageState.PLANNED.value)


def settle_unknown(connection: Connection, message_ids: Collection[int], *, now: datetime) -> int:
    """Messages whose fate was unknown, or whose request was in flight, are accepted: SendGrid reported them.

    A `planned` message SendGrid reports on left in a request whose answer was not logged yet (or
    never will be: a crash); its message key reached SendGrid in no other way.
    """
    settled = 0
    for chunk in chunks(message_ids):
        statement = (
            update(message)
            .where(message.c.id.in_(chunk), message.c.state.in_(_UNSETTLED_STATES))
            .values(state=MessageState.ACCEPTED.value, error=None, updated_at=now)
        )
        settled += connection.execute(statement).rowcount
    return settled


# models.DELIVERY_RANK in SQL, so the forward-only rule holds against another writer too.
_RANK = case(
    *((message.c.delivery == delivery.value, rank) for delivery, rank in DELIVERY_RANK.items()),
    else_=0,
)


# One UPDATE per delivery value and chunk of ids, compiled once (bulk.Prepared).
_ADVANCE = Prepared(
    update(message)
    .where(message.c.id.in_(slots("i")), _RANK < bindparam("rank"))
    .values(delivery=bindparam("delivery"))  # updated_at is the last state change (skip_reached_since reads it)
)


def advance_delivery(connection: Connection, furthest: Mapping[int, Delivery], *, now: datetime) -> None:
    """Set each message's delivery, but only where that moves it to a later rank (``updated_at``
    stays the time of the last state change; ``now`` is kept for callers).

    Set-based: one UPDATE per delivery value and chunk of ids (a few statements per thousand
    messages), not one per message.
    """
    if not furthest:
        return
    by_delivery: dict[Delivery, list[int]] = {}
    for message_id, delivery in furthest.items():
        by_delivery.setdefault(delivery, []).append(message_id)
    for delivery, ids in by_delivery.items():
        for chunk in chunks(ids):
            _ADVANCE.execute(connection, {"rank": DELIVERY_RANK[delivery], "delivery": delivery.value, **filled("i", chunk)})


# Reports: grouped figures and the per-journalist listing.


def tallies(connection: Connection, campaign_ids: Collection[str]) -> list[tuple[str, str, str | None, str | None, int]]:
    """(campaign, state, skip_reason, delivery, count) over each campaign's message rows (``logged_skip_reason()``)."""
    reason = logged_skip_reason()
    query = (
        select(message.c.campaign_id, message.c.state, reason, message.c.delivery, func.count())
        .where(message.c.campaign_id.in_(list(campaign_ids)))
        .group_by(message.c.campaign_id, message.c.state, reason, message.c.delivery)
    )
    return [tuple(row) for row in connection.execute(query)]


def recipients(connection: Connection, campaign_id: str) -> Result[Any]:
    """A campaign's message rows in id order, as the per-journalist reports list them.

    Each row is (id, email, first name, last name, outlet, state, skip_reason (``logged_skip_reason()``), delivery,
    language, error, source), the names and outlet read from the contact snapshot; ``error`` is
    why a row was skipped or failed, ``source`` its list file and row. The result streams from the cursor: a
    100k-row export never holds a second copy of it.
    """
    fields = message.c.fields
    query = (
        select(
            message.c.id,
            message.c.email,
            fields["first_name"].as_string(),
            fields["last_name"].as_string(),
            fields["outlet"].as_string(),
            message.c.state,
            logged_skip_reason(),
            message.c.delivery,
            message.c.language,
            message.c.error,
            message.c.source,
        )
        .where(message.c.campaign_id == campaign_id)
        .order_by(message.c.id)
    )
    return connection.execute(query)


def sources(connection: Connection, campaign_id: str) -> dict[str, str | None]:
    """Each message of a campaign by its id (as text) -> the list file and row it came from
    ("lists/beat.csv:3"): what a follow-up's rows, whose source is "<campaign>:<message id>", came from."""
    query = select(message.c.id, message.c.source).where(message.c.campaign_id == campaign_id)
    return {str(mid): source for mid, source in connection.execute(query)}


def outlets(connection: Connection, campaign_id: str) -> list[tuple[str, str | None, str | None, str | None, str, int, str]]:
    """A campaign's recipients (skipped rows left out) grouped as the outlet roll-up needs them.

    Each row is (address after its first "@", outlet, delivery, language, state, journalists,
    their message ids as "12,13,..."). Grouped in the database: 100,000 journalists come back as a
    few thousand rows. The caller takes the domain after the last "@" and folds its case.
    """
    email = message.c.email
    at = func.strpos(email, "@") if connection.dialect.name == "postgresql" else func.instr(email, "@")
    domain = func.substr(email, at + 1)
    outlet = message.c.fields["outlet"].as_string()
    query = (
        select(
            domain,
            outlet,
            message.c.delivery,
            message.c.language,
            message.c.state,
            func.count(),
            func.aggregate_strings(cast(message.c.id, String), ","),
        )
        .where(message.c.campaign_id == campaign_id, message.c.state != MessageState.SKIPPED.value)
        .group_by(domain, outlet, message.c.delivery, message.c.language, message.c.state)
    )
    return [tuple(row) for row in connection.execute(query)]


def shown(connection: Connection, campaign_id: str, email_key: str | None = None, *, language: str | None = None) -> Message | None:
    """The row ``mailer show`` rebuilds: this address's, or the campaign's first recipient (of the
    ``language`` version, when given) (None: none)."""
    query = select(message).where(message.c.campaign_id == campaign_id).order_by(message.c.skip_reason.is_not(None), message.c.id)
    if language:
        query = query.where(message.c.language == language)
    if email_key:
        query = query.where(to_address(email_key))
    else:  # a recipient, and not one ``mailer forget`` blanked
        query = query.where(message.c.skip_reason.is_(None), message.c.email_key.not_like("forgotten:%"))
    row = connection.execute(query.limit(1)).mappings().first()
    if row is None:
        return None
    return Message(
        row["message_key"],
        row["email"],
        "",
        dict(row["fields"] or {}),
        state=MessageState(row["state"]),
        request_no=row["request_no"],
        skip_reason=logged_reason(row["skip_reason"], row["error"]),
    )


def to_address(email_key: str) -> ColumnElement[bool]:
    """Every message row to one address (``email_key``: lower-cased), skipped or not, as a WHERE
    condition the database answers from the two address indexes (schema.py, upgrade step 10).

    Both indexes are partial (rows sent / rows skipped), so ``email_key = ?`` alone would read
    neither: each half of the OR names its index's condition (SQLite's MULTI-INDEX OR,
    PostgreSQL's BitmapOr).
    """
    key = message.c.email_key == email_key
    return or_(and_(key, message.c.skip_reason.is_(None)), and_(key, message.c.skip_reason.is_not(None)))


@dataclass(frozen=True, slots=True)
class AddressRow:
    """One message row to an address, with the campaign it belongs to (``mailer contact``)."""

    message_id: int
    campaign_id: str
    subject: str
    mode: str  # models.Mode
    campaign_status: str  # models.CampaignStatus
    created_at: datetime  # the campaign's, UTC
    scheduled_at: datetime | None
    email: str
    fields: Mapping[str, Any]
    source: str | None  # "lists/press.csv:12": list file and row
    state: str
    skip_reason: str | None
    error: str | None
    delivery: str | None
    language: str | None = None  # the release version it got (issue 14); None when skipped or logged before 0.3
    in_flight: bool = False  # planned, its request listed in flight: it may have reached SendGrid, its answer is not logged
    sandbox: bool = False  # its campaign went to SendGrid's sandbox: validated, delivered to nobody
    late_cancel: bool = False  # a cancel of its (scheduled) campaign was asked too late for SendGrid to promise it


def for_address(connection: Connection, email_key: str) -> list[AddressRow]:
    """Every message row to one address (``email_key``: lower-cased), in every campaign, oldest first.

    Uses the address indexes (``to_address``): one address's history costs its own rows, whatever the log's size.
    """
    query = (
        select(
            message.c.id,
            message.c.campaign_id,
            campaign.c.subject,
            campaign.c.mode,
            campaign.c.status,
            campaign.c.created_at,
            campaign.c.scheduled_at,
            message.c.email,
            message.c.fields,
            message.c.source,
            message.c.state,
            message.c.skip_reason,
            message.c.error,
            message.c.delivery,
            message.c.language,
            message.c.request_no,
            campaign.c.in_flight,
            campaign.c.filters,
        )
        .join(campaign, campaign.c.id == message.c.campaign_id)
        .where(to_address(email_key))
        .order_by(campaign.c.created_at, message.c.campaign_id, message.c.id)
    )
    return [
        AddressRow(
            message_id=row.id,
            campaign_id=row.campaign_id,
            subject=row.subject,
            mode=row.mode,
            campaign_status=row.status,
            created_at=row.created_at,
            scheduled_at=row.scheduled_at,
            email=row.email,
            fields=dict(row.fields or {}),
            source=row.source,
            state=row.state,
            skip_reason=logged_reason(row.skip_reason, row.error),
            error=row.error,
            delivery=row.delivery,
            language=row.language,
            in_flight=row.state == MessageState.PLANNED.value and row.request_no in (row.in_flight or ()),
            sandbox=bool((row.filters or {}).get(campaigns.SANDBOX)),
            late_cancel=bool((row.filters or {}).get(campaigns.LATE_CANCEL)),
        )
        for row in connection.execute(query)
    ]


def language_of(connection: Connection, campaign_id: str, message_key: str) -> str | None:
    """The language version one message of a campaign carried (None before the log kept it)."""
    query = select(message.c.language).where(message.c.campaign_id == campaign_id, message.c.message_key == message_key)
    return connection.scalar(query)


# Erasure (``mailer forget``).


def erase_address(connection: Connection, address: str) -> list[tuple[int, str]]:
    """Blank the address, contact snapshot and source of every message row to ``address``.

    Returns (message id, campaign id) of the rows erased. The row itself stays, so campaign
    counts do not change; its ``email_key`` becomes "forgotten:<token>", one random token for all the
    rows of this erasure: a journalist reached by a release and its follow-up still counts once in
    their combined reach (review 13 #8: "forgotten:<id>" counted her once per row). Random, not a
    hash of the address, which anyone holding the address could recompute to find her rows. Her
    rows of one campaign include one not skipped at most (``ux_message_address_campaign``), so the
    shared key keeps that index's promise.

    A row not sent yet (a paused campaign) would go out on `mailer resume` to "(forgotten)", and
    SendGrid would refuse the whole request for it: it is skipped, as a suppressed address is at
    planning. Not one whose request its campaign lists in flight (``in_flight_among``): that request
    has left, and its answer marks the `planned` rows accepted (review 12b #4: the log said skipped
    though SendGrid took her email); no run sends it again (``skip_suppressed``).
    """
    rows = [
        *connection.execute(select(message.c.id, message.c.campaign_id).where(to_address(address))),
        *_spelt_otherwise(connection, address),
    ]
    flying = _flying(connection, {row.campaign_id for row in rows})
    token = secrets.token_hex(12)
    for chunk in chunks([row.id for row in rows]):
        connection.execute(update(message).where(message.c.id.in_(chunk)).values(**_erased(FORGOTTEN_KEY_PREFIX + token), error=None))
        connection.execute(
            update(message)
            .where(message.c.id.in_(chunk), message.c.state == MessageState.PLANNED.value, not_(flying))
            .values(state=MessageState.SKIPPED.value, skip_reason=RejectReason.SUPPRESSED.value, request_no=None, language=None)
        )
    # A row refused for a cell naming her with another journalist: blanked too, keyed "forgotten:<id>"
    # (the other journalist's row as much as hers); its reason stays, her address in it replaced
    # (``erase_mentions``), so the report still says why that row got no email.
    shared = _shared_cells(connection, address)
    for chunk in chunks([row.id for row in shared]):
        connection.execute(update(message).where(message.c.id.in_(chunk)).values(**_erased()))
    return [(row.id, row.campaign_id) for row in [*rows, *shared]]


NAME_FIELDS = ("email", "first_name", "last_name", "honorific")  # the contact fields that name a journalist


def field_values(connection: Connection, address: str, *, only: Collection[str] | None = None) -> set[str]:
    """The values of the contact fields (those named ``only``, when given) on the rows to
    ``address`` (a ``mailbox.key``), each as a filter compares it (spaces run together, case-folded;
    a tags cell split at ";"): what a campaign's ``--where``/``--tag`` may have named her by.
    ``mailer forget`` reads them before the erasure blanks the rows (``campaigns.erase_values``;
    review 14 #10)."""
    found: set[str] = set()
    for fields in connection.scalars(select(message.c.fields).where(to_address(address))):
        for name, value in (fields or {}).items():
            if not isinstance(value, str) or (only is not None and name not in only):
                continue
            for part in value.split(";") if name == "tags" else [value]:
                comparable = " ".join(part.split()).casefold()
                if comparable:
                    found.add(comparable)
    return found


def _spelt_otherwise(connection: Connection, address: str) -> list[Any]:
    """(id, campaign id) of the skipped rows whose address cell spells ``address`` another way: a
    list's duplicate or invalid row is logged keyed by its cell as typed ("Ben Quistgaard
    <Ben@Gazette.example>", "mailto:ben@...", "BEN@GAZETTE.EXAMPLE."), so ``to_address`` misses
    it (review 13 #7: forget left his name and outlet on it). Read as ``mailbox.key`` reads a cell."""
    return [row for row in _cells_naming(connection, address) if mailbox.key(row.email) == address]


def _shared_cells(connection: Connection, address: str) -> list[Any]:
    """(id, campaign id) of the skipped rows refused for a cell that is no address but names
    ``address`` among others ("Anna Müller <anna@daily.example>, Bob Stone <bob@gazette.example>":
    "two addresses in one cell"): keyed by the whole cell, they hold her address, and the row's
    fields are hers as much as anyone's (review 15s #9: forget left her name and outlet there)."""
    return [
        row
        for row in _cells_naming(connection, address)
        if mailbox.key(row.email) != address and mailbox.read(row.email)[1] is not None and mailbox.names(row.email, address)
    ]


def _cells_naming(connection: Connection, address: str) -> list[Any]:
    """The skipped rows keyed otherwise whose key holds the text of ``address``."""
    query = select(message.c.id, message.c.campaign_id, message.c.email).where(
        message.c.skip_reason.is_not(None), message.c.email_key != address, naming(message.c.email_key, address)
    )
    return list(connection.execute(query).all())


def _erased(email_key: Any = None) -> dict[str, Any]:
    """What an erased row keeps of the journalist: nothing. The address becomes FORGOTTEN_ADDRESS,
    the key ``email_key`` (default "forgotten:<id>"), the contact snapshot and list source go. The
    one rule of ``erase_address`` (``mailer forget``) and ``blank_forgotten`` (a run skipping her afterwards)."""
    key = FORGOTTEN_KEY_PREFIX + message.c.id.cast(String) if email_key is None else email_key
    return {"email": FORGOTTEN_ADDRESS, "email_key": key, "fields": {}, "source": None}


def blank_forgotten(connection: Connection, campaign_id: str) -> int:
    """Blank, as ``erase_address`` does, the campaign's skipped rows whose address is suppressed as
    "forgotten": `mailer forget` ran while the send's question waited, or while its plan was being
    written (it found no row of it to erase), and the send skipped her after (review 13 #1, #10:
    the log kept her address, name and outlet). Returns how many rows were blanked."""
    forgotten = select(suppression.c.email_key).where(suppression.c.reason == SuppressionReason.FORGOTTEN.value)
    result = connection.execute(
        update(message)
        .where(message.c.campaign_id == campaign_id, message.c.skip_reason.is_not(None), message.c.email_key.in_(forgotten))
        .values(**_erased())
    )
    return int(result.rowcount or 0)


def waiting_ids(connection: Connection, email_key: str) -> list[int]:
    """The ids of the rows to one address (lower-cased) not sent yet in any campaign: `planned`, not skipped."""
    query = select(message.c.id).where(
        to_address(email_key), message.c.state == MessageState.PLANNED.value, message.c.skip_reason.is_(None)
    )
    return list(connection.scalars(query))


def in_flight_among(connection: Connection, message_ids: Collection[int]) -> list[str]:
    """The campaigns (sorted) in which one of ``message_ids`` is `planned` in a request listed in
    flight: its email has left, or is about to, and cannot be called back (``mailer forget`` says so)."""
    found: set[str] = set()
    for chunk in chunks(message_ids):
        query = select(message.c.campaign_id, message.c.request_no).where(
            message.c.id.in_(chunk), message.c.state == MessageState.PLANNED.value, message.c.skip_reason.is_(None)
        )
        rows = connection.execute(query).all()
        listed = _listed(connection, {row.campaign_id for row in rows})
        found.update(row.campaign_id for row in rows if row.request_no in listed.get(row.campaign_id, set()))
    return sorted(found)


def _listed(connection: Connection, campaign_ids: Collection[str]) -> dict[str, set[int]]:
    """Campaign -> the request numbers its row lists in flight (``campaigns.in_flight``), for those listing any.

    The campaign rows stay locked until the caller's transaction ends (``campaigns.lock``): a run
    listing another request waits, and sees what this transaction did to its rows."""
    found: dict[str, set[int]] = {}
    campaigns.lock(connection, campaign_ids)
    for chunk in chunks(sorted(campaign_ids)):
        for cid, numbers in connection.execute(select(campaign.c.id, campaign.c.in_flight).where(campaign.c.id.in_(chunk))):
            if numbers:
                found[cid] = {int(n) for n in numbers}
    return found


def _flying(connection: Connection, campaign_ids: Collection[str]) -> ColumnElement[bool]:
    """A message row is in a request its campaign lists in flight (one of ``campaign_ids``)."""
    listed = _listed(connection, campaign_ids)
    return or_(false(), *(and_(message.c.campaign_id == cid, message.c.request_no.in_(sorted(numbers))) for cid, numbers in listed.items()))


def erase_proofs(connection: Connection, campaign_ids: Collection[str]) -> list[tuple[int, str, str]]:
    """Blank the contact snapshot of every row of these campaigns: test sends made ``--as`` a
    journalist being forgotten, whose rows (the staff's) each carry that journalist's fields
    (review 12a #5). Returns (message id, campaign id, message key) of the rows blanked; the keys
    name the proofs' files (their Message-ID, the request bodies' custom_args)."""
    found: list[tuple[int, str, str]] = []
    for chunk in chunks(sorted(campaign_ids)):
        query = select(message.c.id, message.c.campaign_id, message.c.message_key).where(message.c.campaign_id.in_(chunk))
        found.extend((row.id, row.campaign_id, row.message_key) for row in connection.execute(query))
        connection.execute(update(message).where(message.c.campaign_id.in_(chunk)).values(fields={}))
    return found


def erase_mentions(connection: Connection, address: str) -> int:
    """Replace ``address`` with FORGOTTEN_ADDRESS in the error text and the fields of every other
    row that quotes it (part of ``mailer forget``, after ``erase_address``): SendGrid's refusal of a
    request for one address ("personalizations.1.to.0.email: ... (ben@gazette.example)") is logged
    on every row of the request (review 12a #11). Returns how many rows changed (a row changed in
    both counts twice). The error texts are few (one per request and outcome), so each distinct one
    is rewritten in one statement.
    """
    named = select(message.c.error).where(message.c.error.is_not(None), naming(message.c.error, address)).distinct()
    changed = 0
    for text in list(connection.scalars(named)):
        scrubbed = mailbox.scrub(text, address, FORGOTTEN_ADDRESS)
        if scrubbed != text:
            changed += int(connection.execute(update(message).where(message.c.error == text).values(error=scrubbed)).rowcount or 0)
    # Another journalist's fields may name the address too (a list's "assistant" or "notes" column).
    for row_id, fields in list(
        connection.execute(select(message.c.id, message.c.fields).where(naming(cast(message.c.fields, Text), address)))
    ):
        kept = {
            name: mailbox.scrub(value, address, FORGOTTEN_ADDRESS) if isinstance(value, str) else value for name, value in fields.items()
        }
        if kept != fields:
            connection.execute(update(message).where(message.c.id == row_id).values(fields=kept))
            changed += 1
    return changed


# Events after which an address is suppressed (events/apply.py ``_suppress``): one of them about an
# address let through by name at planning means the journalist said no again since.
_SAYING_NO = ("bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe")


def skip_suppressed(
    connection: Connection,
    campaign_id: str,
    *,
    since: datetime,
    overrides: Collection[str] = (),
    now: datetime,
    requests: Collection[int] | None = None,
    gmail: Collection[str] | None = None,
) -> int:
    """Before a resume sends: skip this campaign's planned rows whose address is suppressed now
    (promise 3; review 9 and 9b): an unsubscribe, a bounce or ``mailer suppressions add`` while
    the campaign waited, or one that happened before its planning but reached the log after (an
    events file, SendGrid's retries). An address in ``overrides`` (let through by name with
    ``--override-suppression`` when it was planned) stays planned, unless an event saying no
    again (bounce, unsubscribe, complaint) came after ``since``, the campaign's creation.
    With ``requests``, only the rows of those request numbers (a run, before they leave).
    A Gmail address is suppressed under any spelling of its inbox too (``mailbox.inbox``, as the
    plan reads the list): ``gmail``, the keys of those rows' Gmail addresses when the caller has
    them at hand (a run: its requests'); read from the rows without it. An address let through by
    name (``overrides``) only under another spelling (its own was overridden). Returns how many. Reads the suppressions through the address index.
    """
    # A row `mailer forget` erased while its request was in flight stays planned for that request's
    # answer (``erase_address``); should the request come back to a run (split, withdrawn, stopped),
    # it is skipped here: its address is gone, and she is forgotten.
    suppressed = or_(_suppressed_since(since, overrides), message.c.email_key.like(FORGOTTEN_KEY_PREFIX + "%"))
    only = [message.c.request_no.in_(sorted(requests))] if requests is not None else []
    skipped = _skip_planned(
        connection,
        campaign_id,
        suppressed,
        *only,
        reason=RejectReason.SUPPRESSED,
        error="suppressed since the campaign was planned",
        now=now,
    )
    # Another spelling of a Gmail inbox (review26r: an unsubscribe as jane.doe@gmail.com during the
    # send, which mailed janedoe@gmail.com all the same; the plan already keeps her out that way).
    if gmail is None:
        at_gmail = or_(*(message.c.email_key.like(f"%{domain}") for domain in mailbox.GMAIL))
        rows = select(message.c.email_key).where(
            message.c.campaign_id == campaign_id,
            message.c.skip_reason.is_(None),
            message.c.state == MessageState.PLANNED.value,
            at_gmail,
            *only,
        )
        gmail = set(connection.scalars(rows))
    # One let through by name is kept out by another spelling's suppression only (review 27a)
    let_through = {mailbox.key(address) for address in overrides}
    same_inbox = inboxes.suppressed_inboxes(connection, gmail, let_through=let_through) if gmail else set()
    if same_inbox:
        skipped += _skip_planned(
            connection,
            campaign_id,
            message.c.email_key.in_(sorted(same_inbox)),
            *only,
            reason=RejectReason.SUPPRESSED,
            error="suppressed since the campaign was planned (another spelling of the same Gmail inbox)",
            now=now,
        )
    if skipped:  # forgotten while the plan was written: forget found no row of it to erase (review 13 #10)
        blank_forgotten(connection, campaign_id)
    return skipped


# How ``skip_kept_out`` counts the rows only an empty consent cell keeps out (skipped "without consent").
EMPTY_CONSENT = "empty consent"


def skip_kept_out(
    connection: Connection,
    campaign_id: str,
    kept_out: Mapping[str, str],
    *,
    now: datetime,
    in_flight: Collection[int] = (),
    silent: Collection[str] = (),
) -> dict[str, int]:
    """Before a resume sends: skip this campaign's planned rows whose address its lists keep out now
    (``kept_out``: lower-cased address -> "opted out" or "without consent", ``prepare.kept_out_now``),
    with that reason: a journalist who opted out or withdrew consent in the list while the send was
    stopped. Rows of the requests ``in_flight`` (a stopped run's, which may have reached SendGrid)
    are left for the resume to mark unknown. Returns reason -> rows skipped; those of ``silent`` (kept
    out only as their consent cell is empty) skipped without consent, counted as EMPTY_CONSENT."""
    flying = [or_(message.c.request_no.is_(None), message.c.request_no.not_in(sorted(in_flight)))] if in_flight else []
    skipped: Counter[str] = Counter()
    quiet = set(silent)
    groups = (
        (RejectReason.OPTED_OUT, RejectReason.OPTED_OUT.value, False, "opted out in the list since the campaign was planned"),
        (RejectReason.NO_CONSENT, RejectReason.NO_CONSENT.value, False, "without consent in the list since the campaign was planned"),
        (
            RejectReason.NO_CONSENT,
            EMPTY_CONSENT,
            True,
            "without consent: its consent cell in the list, added or emptied since the campaign was planned, is empty",
        ),
    )
    for reason, counted_as, empty, error in groups:
        keys = sorted(key for key, why in kept_out.items() if why == reason.value and (key in quiet) is empty)
        for chunk in chunks(keys):
            skipped[counted_as] += _skip_planned(
                connection, campaign_id, message.c.email_key.in_(chunk), *flying, reason=reason, error=error, now=now
            )
    return {reason: count for reason, count in skipped.items() if count}


def planned_keys(connection: Connection, campaign_id: str, requests: Collection[int]) -> set[str]:
    """The message keys of the rows of these request numbers of the campaign still planned."""
    query = select(message.c.message_key).where(
        message.c.campaign_id == campaign_id, message.c.request_no.in_(sorted(requests)), message.c.state == MessageState.PLANNED.value
    )
    return set(connection.scalars(query))


def skip_let_through(connection: Connection, email_keys: Collection[str], *, now: datetime) -> dict[str, int]:
    """`mailer suppressions add` of addresses a send lets through by name (``--override-suppression``):
    the office's newer word wins (review 12b #8). Their planned rows, in any campaign, are skipped
    as suppressed, except in a request listed in flight (it may be with SendGrid already: its answer
    decides). Returns campaign -> rows skipped."""
    keys = sorted({mailbox.key(key) for key in email_keys if key})
    if not keys:
        return {}
    query = select(message.c.id, message.c.campaign_id, message.c.request_no, message.c.email_key).where(
        message.c.email_key.in_(keys), message.c.state == MessageState.PLANNED.value, message.c.skip_reason.is_(None)
    )
    rows = connection.execute(query).all()
    found = {cid: campaigns.get(connection, cid) for cid in {row.campaign_id for row in rows}}
    # Only where a send let them through by name: elsewhere the send skips them itself (a resume, a run).
    named = {cid: {mailbox.key(a) for a in one.overrides} for cid, one in found.items() if one is not None}
    flying = _listed(connection, found)
    chosen = [
        row for row in rows if row.email_key in named.get(row.campaign_id, ()) and row.request_no not in flying.get(row.campaign_id, ())
    ]
    for chunk in chunks([row.id for row in chosen]):
        connection.execute(
            update(message)
            .where(message.c.id.in_(chunk))
            .values(
                state=MessageState.SKIPPED.value,
                skip_reason=RejectReason.SUPPRESSED.value,
                error="suppressed again with mailer suppressions add",
                request_no=None,
                updated_at=now,
            )
        )
    return dict(Counter(row.campaign_id for row in chosen))


def _skip_planned(
    connection: Connection, campaign_id: str, *also: ColumnElement[bool], reason: RejectReason, error: str, now: datetime
) -> int:
    """The campaign's planned rows (that meet ``also``) skipped with ``reason`` and ``error``: no run
    sends them any more. How many."""
    result = connection.execute(
        update(message)
        .where(message.c.campaign_id == campaign_id, message.c.skip_reason.is_(None), message.c.state == MessageState.PLANNED.value, *also)
        .values(state=MessageState.SKIPPED.value, skip_reason=reason.value, error=error, request_no=None, updated_at=now)
    )
    return int(result.rowcount or 0)


def suppressed_for_resume(connection: Connection, message_id: int, *, since: datetime, overrides: Collection[str] = ()) -> bool:
    """Whether a resume would skip this planned message as suppressed since its campaign was
    planned at ``since`` (``skip_suppressed``'s rule, ``_suppressed_since``), for `mailer contact`."""
    query = select(message.c.id).where(message.c.id == message_id, _suppressed_since(since, overrides))
    return connection.execute(query).first() is not None


def _suppressed_since(since: datetime, overrides: Collection[str]) -> ColumnElement[bool]:
    """A message's address is suppressed now, and was not let through on purpose: not in ``overrides``
    (``--override-suppression`` when the campaign was planned at ``since``), or in it but said no
    again (bounce, unsubscribe, complaint) by an event after ``since``. The rule of a resume
    (``skip_suppressed``) and of ``mailer status`` of a held send (``suppressed_after_handing``).

    The suppression's own time is not compared with the plan's: an unsubscribe dated before the plan
    may reach the log after it (an events file, SendGrid's retries; review 9b), and the plan could not
    skip it. Any suppression the plan saw kept the address out of it, unless let through by name.
    """
    condition: ColumnElement[bool] = message.c.email_key.in_(select(suppression.c.email_key))
    if overrides:
        # Another log's mail says no as this log's does (its stop requests and bounces suppress too),
        # except a block, which judges that sender's mail, not this office's (fix 15b).
        not_another_logs_block = or_(event.c.other_log.is_(False), event.c.bounce_type.is_(None), event.c.bounce_type != "blocked")
        again = select(func.lower(event.c.email)).where(
            event.c.event.in_(_SAYING_NO), event.c.timestamp > int(since.timestamp()), not_another_logs_block
        )
        condition = and_(condition, or_(message.c.email_key.not_in(sorted(overrides)), message.c.email_key.in_(again)))
    return condition


def held_for_later(connection: Connection, email_keys: Collection[str], *, now: datetime) -> list[tuple[str, str, datetime, bool]]:
    """(address, campaign id, scheduled time, answered) for each of these addresses (lower-cased)
    that SendGrid holds in a scheduled send still ahead of ``now``: its message accepted (or unknown,
    or still planned in a request the campaign lists in flight: it may have reached SendGrid) in a
    campaign not cancelled, whose ``scheduled_at`` is later. ``answered``: SendGrid accepted it (it
    holds it); False where its request got no answer (it may or may not; newcomer 15 #5). Soonest first.

    A suppression (or ``mailer forget``) cannot stop those: only ``mailer cancel`` can (newcomer review 9).
    Reads the sent-rows address index (``skip_reason IS NULL``): the cost of these addresses' rows only.
    """
    if not email_keys:
        return []
    handed = [MessageState.ACCEPTED.value, MessageState.UNKNOWN.value, MessageState.SENDING.value]
    query = (
        select(message.c.email_key, campaign.c.id, campaign.c.scheduled_at, message.c.state, message.c.request_no, campaign.c.in_flight)
        .join(campaign, campaign.c.id == message.c.campaign_id)
        .where(
            message.c.email_key.in_(sorted(set(email_keys))),
            message.c.skip_reason.is_(None),
            message.c.state.in_([*handed, MessageState.PLANNED.value]),
            campaign.c.mode != Mode.DRY_RUN.value,
            campaign.c.status != CampaignStatus.CANCELLED.value,
            campaign.c.scheduled_at > now,
        )
        .order_by(campaign.c.scheduled_at, campaign.c.id, message.c.email_key)
    )
    # A row still planned counts when its request is listed in flight: a stopped run handed it to
    # SendGrid (or may have) without logging the answer, and SendGrid holds it (review 14 #3).
    return [
        (key, campaign_id, scheduled_at, state == MessageState.ACCEPTED.value)
        for key, campaign_id, scheduled_at, state, request_no, listed in connection.execute(query)
        if state in handed or request_no in {int(n) for n in listed or ()}
    ]


def suppressed_after_handing(connection: Connection, campaign_id: str, *, since: datetime, overrides: Collection[str] = ()) -> int:
    """How many of a campaign's messages SendGrid took (accepted, unknown, or planned in a request
    listed in flight) went to an address
    suppressed since the campaign (planned at ``since``) could have skipped it, or erased since
    (``mailer forget``): the rule a resume skips by (``skip_suppressed``; fix 10), so what status
    says matches what a resume would skip.

    For ``mailer status`` of a scheduled send SendGrid still holds: those journalists are mailed at
    its time all the same, unless the send is cancelled. An address let through on purpose
    (``overrides``: ``--override-suppression``) was suppressed before and does not count, unless an
    event after ``since`` said no again.
    """
    handed: ColumnElement[bool] = message.c.state.in_([MessageState.ACCEPTED.value, MessageState.UNKNOWN.value, MessageState.SENDING.value])
    listed = campaigns.in_flight(connection, campaign_id)
    if listed:  # still planned in a request a stopped run left in flight: SendGrid may hold it too (review 14 #3)
        handed = or_(handed, and_(message.c.state == MessageState.PLANNED.value, message.c.request_no.in_(sorted(listed))))
    query = (
        select(func.count())
        .select_from(message)
        .where(
            message.c.campaign_id == campaign_id,
            message.c.skip_reason.is_(None),
            handed,
            or_(_suppressed_since(since, overrides), message.c.email_key.like(FORGOTTEN_KEY_PREFIX + "%")),
        )
    )
    return int(connection.scalar(query) or 0)


def forgotten_among(connection: Connection, message_ids: Collection[int]) -> set[int]:
    """Those of ``message_ids`` whose address ``mailer forget`` erased."""
    found: set[int] = set()
    for chunk in chunks(message_ids):
        query = select(message.c.id).where(message.c.id.in_(chunk), message.c.email_key.like(FORGOTTEN_KEY_PREFIX + "%"))
        found.update(connection.scalars(query))
    return found


FORGOTTEN_KEY_PREFIX = "forgotten:"  # an erased row's email_key: "forgotten:<token>" (``erase_address``) or "forgotten:<id>"


# States in which a live message may have reached (or is about to reach) its journalist.
_RECEIVED_STATES = (MessageState.PLANNED.value, MessageState.SENDING.value, MessageState.ACCEPTED.value, MessageState.UNKNOWN.value)


def reached(
    connection: Connection, campaign_ids: Collection[str], email_keys: Container[str]
) -> Iterator[tuple[str, str, str | None, str]]:
    """(address lower-cased, campaign, language of the version it got, state) of each row of these
    campaigns that got, or is about to get, a message (planned, sending, accepted or unknown; not
    skipped; not blocked, bounced or dropped by the events), newest first, for the addresses in ``email_keys``. A `planned` row whose request its
    campaign lists in flight reads `sending`: it may have reached SendGrid (a run that stopped or
    died mid-request; review 10c), as ``by_address`` reads it for events."""
    if not campaign_ids:
        return
    listed = {
        cid: {int(n) for n in numbers or ()}
        for cid, numbers in connection.execute(select(campaign.c.id, campaign.c.in_flight).where(campaign.c.id.in_(list(campaign_ids))))
    }
    planned = MessageState.PLANNED.value
    query = (
        select(message.c.email_key, message.c.campaign_id, message.c.language, message.c.state, message.c.request_no)
        .where(
            message.c.campaign_id.in_(list(campaign_ids)),
            message.c.state.in_(_RECEIVED_STATES),
            message.c.skip_reason.is_(None),
            # SendGrid's events say it never arrived (blocked, bounced, dropped): not received, so
            # the next send of the release reaches them (newcomer 12 #1); a hard bounce is suppressed.
            or_(message.c.delivery.is_(None), message.c.delivery.not_in([delivery.value for delivery in BOUNCED])),
        )
        .order_by(message.c.id.desc())
    )
    for key, campaign_id, language, state, request_no in connection.execute(query):
        if key in email_keys:
            in_flight = state == planned and request_no in listed.get(campaign_id, ())
            yield key, campaign_id, language, MessageState.SENDING.value if in_flight else state


def waiting(connection: Connection, campaign_ids: Collection[str], email_keys: Collection[str] | None = None) -> dict[str, str]:
    """Addresses (lower-cased) still ``planned`` in these campaigns -> the campaign: journalists a
    send has planned and not mailed yet (``reached`` counts them too: that send may go on)."""
    if not campaign_ids:
        return {}
    query = select(message.c.email_key, message.c.campaign_id).where(
        message.c.campaign_id.in_(list(campaign_ids)), message.c.state == MessageState.PLANNED.value, message.c.skip_reason.is_(None)
    )
    wanted = None if email_keys is None else set(email_keys)
    return {key: cid for key, cid in connection.execute(query) if wanted is None or key in wanted}


def skip_reached_since(
    connection: Connection,
    campaign_id: str,
    reached: Mapping[str, str],
    *,
    now: datetime,
    states: Collection[MessageState] = (MessageState.PLANNED,),
) -> dict[str, int]:
    """Rows of ``campaign_id`` in ``states`` (planned; and failed or unknown when a resume is about
    to send those again) whose address is in ``reached`` (``reached_since``: address -> the other
    campaign). They become skipped, "already received in" that campaign (promise 8, on resume).
    Returns how many per other campaign."""
    return _skip_found_elsewhere(
        connection, campaign_id, reached, states=states, reason=RejectReason.ALREADY_RECEIVED, error="already received in {}", now=now
    )


def reached_since(connection: Connection, campaign_id: str, *, content_hash: str, since: datetime | None) -> dict[str, str]:
    """Addresses (lower-cased) another live campaign of the same release reached after ``since``
    (``campaign_id``'s creation; None: at any time) -> that campaign: accepted, unknown or in
    flight there, by a state change logged after it.

    The same release: the same content, the same release file (a correction: review 10c and
    newcomer 10, resuming the old send after restoring its file mailed the uncorrected text to
    those who had the correction) or a colleague's copy of it (``campaigns.RELEASE``), or a campaign sharing a version with it (a corrected copy
    under another name; review 10b).

    Reached before ``since``, a journalist was either skipped when this campaign was planned or
    included on purpose (--include-previous). Reached after it, by a campaign planned later or
    one resumed first (review 8 and 8b: two stopped sends of one release, resumed in turn, mailed
    everyone twice), they must not get it again. ``updated_at`` is the time of a row's last state
    change: delivery events do not move it.
    """
    mine, theirs = campaign_version.alias("mine"), campaign_version.alias("theirs")
    sharing = select(theirs.c.campaign_id).where(
        theirs.c.content_hash.in_(select(mine.c.content_hash).where(mine.c.campaign_id == campaign_id))
    )
    same_file = select(campaign.c.release_path).where(campaign.c.id == campaign_id).scalar_subquery()
    # A colleague's copy of the release file: the same path inside the office folder (newcomer 13 #1).
    office_path = campaign.c.filters[campaigns.RELEASE].as_string()
    same_copy = select(office_path).where(campaign.c.id == campaign_id).scalar_subquery()
    others = select(campaign.c.id).where(
        campaigns.delivering(),
        or_(
            campaign.c.content_hash == content_hash,
            campaign.c.release_path == same_file,
            office_path == same_copy,
            campaign.c.id.in_(sharing),
        ),
        campaign.c.id != campaign_id,
    )
    query = select(message.c.email_key, message.c.campaign_id).where(
        message.c.campaign_id.in_(others),
        message.c.state.in_(SENT_STATES),  # planned there does not count
        message.c.skip_reason.is_(None),
        *([message.c.updated_at > since] if since is not None else []),
    )
    reached: dict[str, str] = {key: cid for key, cid in connection.execute(query)}
    for other in connection.scalars(others):  # in flight there: they may have it (a run killed mid-request; review 10c)
        for key in listed_in_flight(connection, other):
            reached.setdefault(key, other)
    return reached


def listed_in_flight(connection: Connection, campaign_id: str) -> list[str]:
    """Addresses (lower-cased) of the rows still planned in the campaign's requests listed in flight:
    requests that left (or may have) before their run stopped without logging the answer. They
    count as reached: unknown, never sent again unless asked (promise 2)."""
    numbers = campaigns.in_flight(connection, campaign_id)
    if not numbers:
        return []
    query = select(message.c.email_key).where(
        message.c.campaign_id == campaign_id,
        message.c.request_no.in_(numbers),
        message.c.state == MessageState.PLANNED.value,
        message.c.skip_reason.is_(None),
    )
    return list(connection.scalars(query))


def skip_driven_elsewhere(
    connection: Connection,
    campaign_id: str,
    driven: Collection[str],
    *,
    now: datetime,
    states: Collection[MessageState] = (MessageState.PLANNED,),
) -> dict[str, int]:
    """Rows of ``campaign_id`` in ``states`` whose address is planned in one of ``driven``: the other
    live campaigns of the same content a process is sending right now (their lease is held), which
    mail those journalists themselves. They become skipped, "waiting elsewhere", "being sent by"
    that campaign; should it stop first, its own resume mails them (they stay planned there).
    Returns how many per other campaign.

    Two stopped sends of one release that both planned a journalist (the second made with
    --include-previous, or both planned at the same moment), resumed at once in two terminals,
    mailed everyone twice (fix 10): the resume that starts second skips them, checked under
    ``campaigns.lock_new_campaigns`` as it takes its lease, so one of the two always sees the other.
    """
    if not driven:
        return {}
    query = select(message.c.email_key, message.c.campaign_id).where(
        message.c.campaign_id.in_(sorted(driven)), message.c.state == MessageState.PLANNED.value, message.c.skip_reason.is_(None)
    )
    waiting_there: dict[str, str] = {key: cid for key, cid in connection.execute(query)}
    return _skip_found_elsewhere(
        connection, campaign_id, waiting_there, states=states, reason=RejectReason.WAITING, error="being sent by {}", now=now
    )


def call_off(connection: Connection, campaign_id: str, *, now: datetime, keeping: Collection[int] = ()) -> int:
    """The campaign's planned rows, skipped as "called off" (``mailer cancel`` of a send that
    reached some): no run sends them, and a new send of the release may reach them. How many.
    ``keeping``: request numbers whose rows stay (listed in flight: they may be with SendGrid)."""
    kept = [or_(message.c.request_no.is_(None), message.c.request_no.not_in(sorted(keeping)))] if keeping else []
    return _skip_planned(connection, campaign_id, *kept, reason=RejectReason.CALLED_OFF, error="called off with mailer cancel", now=now)


def left_waiting(connection: Connection, campaign_id: str) -> set[str]:
    """Addresses (lower-cased) of the campaign's rows skipped as "waiting elsewhere": those it left
    to another send of the release (``take_back_waiting``); usually none."""
    query = select(message.c.email_key).where(
        message.c.campaign_id == campaign_id,
        message.c.state == MessageState.SKIPPED.value,
        message.c.skip_reason == RejectReason.WAITING.value,
    )
    return set(connection.scalars(query))


def take_back_waiting(connection: Connection, campaign_id: str, still_waiting: Container[str], *, request_size: int, now: datetime) -> int:
    """Rows of ``campaign_id`` skipped as "waiting elsewhere" (``skip_driven_elsewhere``, or a send
    with --include-previous) whose address is not in ``still_waiting`` (lower-cased addresses a
    process is sending in another campaign right now, or another campaign reached): that send
    stopped, or was cancelled, without them, and nobody would ever mail them (review 10c #7). They go back to planned, in new requests
    after the campaign's last, at most ``request_size`` rows each (nor more than its largest
    request), one language version to a request (review 11b: a request number shared by versions
    was marked accepted by the first version's answer), for the resume about to send to take; rows
    ``mailer forget`` erased stay. Returns how many."""
    query = (
        select(message.c.id, message.c.email_key, message.c.language)
        .where(
            message.c.campaign_id == campaign_id,
            message.c.state == MessageState.SKIPPED.value,
            message.c.skip_reason == RejectReason.WAITING.value,
        )
        .order_by(message.c.id)
    )
    by_language: dict[str | None, list[int]] = {}
    for row_id, key, language in connection.execute(query):
        if key not in still_waiting and not key.startswith("forgotten:"):
            by_language.setdefault(language, []).append(row_id)
    if not by_language:
        return 0
    sizes = select(func.count().label("n")).where(message.c.campaign_id == campaign_id, message.c.request_no.is_not(None))
    largest = connection.scalar(select(func.max(sizes.group_by(message.c.request_no).subquery().c.n)))
    size = max(1, min(request_size, int(largest or request_size)))
    number = max_request_no(connection, campaign_id)
    for ids in by_language.values():
        for group in chunks(ids, size):
            number += 1
            for part in chunks(group):
                connection.execute(
                    update(message)
                    .where(message.c.id.in_(part))
                    .values(state=MessageState.PLANNED.value, skip_reason=None, error=None, request_no=number, updated_at=now)
                )
    return sum(map(len, by_language.values()))


def _skip_found_elsewhere(
    connection: Connection,
    campaign_id: str,
    elsewhere: Mapping[str, str],
    *,
    states: Collection[MessageState],
    reason: RejectReason,
    error: str,
    now: datetime,
) -> dict[str, int]:
    """Skip the rows of ``campaign_id`` in ``states`` whose address is in ``elsewhere`` (address ->
    the other campaign), with ``reason`` and ``error`` (``{}`` for the other campaign); how many
    per other campaign."""
    if not elsewhere:
        return {}
    wanted = [state.value for state in states]
    mine = select(message.c.id, message.c.email_key).where(
        message.c.campaign_id == campaign_id, message.c.state.in_(wanted), message.c.skip_reason.is_(None)
    )
    by_campaign: dict[str, list[int]] = {}
    for row_id, key in connection.execute(mine):
        other = elsewhere.get(key)
        if other is not None:
            by_campaign.setdefault(other, []).append(row_id)
    for other, ids in by_campaign.items():
        for start in range(0, len(ids), 500):
            connection.execute(
                update(message)
                .where(message.c.id.in_(ids[start : start + 500]), message.c.state.in_(wanted))
                .values(
                    state=MessageState.SKIPPED.value,
                    skip_reason=reason.value,
                    error=error.format(other),
                    request_no=None,
                    updated_at=now,
                )
            )
    return {other: len(ids) for other, ids in by_campaign.items()}


def campaign_of_keys(connection: Connection, prefix: str) -> str | None:
    """The campaign that recorded the plan whose message keys start with ``prefix`` (its random
    ``key_prefix``; its first row's key ends in twelve zeros), if one did: a plan is recorded once."""
    if not prefix:
        return None
    query = select(message.c.campaign_id).where(message.c.message_key == f"{prefix}{0:012x}")
    return connection.execute(query).scalar()
