"""The rows of a large plan not yet in the message table, kept whole in the log until they are.

A send of many journalists does not write every row before its first request (issue 12: at
100,000 that took half a second of the start): ``send.record`` writes the first rows and keeps
the rest here, in the same transaction, as parts of ``PART_ROWS`` rows each (the message
table's columns, MessagePack compressed with zstd: about 40 bytes a row). The run moves a part
into the message table before any request to one of its rows is listed in flight (with the
other parts the requests listed beside it need, in one transaction) (promise 1: a journalist's row is in the log before her email leaves), and
the rest while it waits for SendGrid's answers. So the whole plan is in the log from the first
commit: a send killed half-way leaves parts here, and whatever next takes the campaign (a
resume, a cancel, another send, `mailer forget`) writes them first (``write_all``).

A part is taken with ``DELETE ... RETURNING`` in the transaction that inserts its rows: two
processes can never both write it, and one that finds it taken finds its rows written (on
PostgreSQL it waits for the other's commit). Parts hold journalists' data, so `mailer forget`
writes every part first, then erases (store/messages.py ``erase_address``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import msgspec
from sqlalchemy import Connection, delete, false, func, insert, select

from mailer.models import LogColumns, MessageState, fields_json, logged_reason
from mailer.store import messages
from mailer.store.schema import plan_part

__all__ = [
    "PART_ROWS",
    "keep",
    "left",
    "left_of",
    "lock",
    "reached",
    "rows_left",
    "skipped",
    "unfinished",
    "unsynced",
    "write",
    "write_all",
]

PART_ROWS = 1024  # rows per part: about 10 ms to write on SQLite, between two answers (2,048: the send 0.2 s slower at 100k)

_ENCODER = msgspec.msgpack.Encoder()
# A part's columns: message keys, emails, fields JSON, sources, states, skip reasons, request numbers, details, languages.
_Packed = tuple[
    list[str], list[str], list[str], list[str], list[str], list[str | None], list[int | None], list[str | None], list[str | None]
]
_DECODER = msgspec.msgpack.Decoder(_Packed)


def keep(connection: Connection, campaign_id: str, blocks: Iterable[LogColumns], *, now: datetime, first: int = 0) -> list[int]:
    """Keep ``blocks`` as parts ``first``, ``first`` + 1, ... of the campaign's plan, their rows to
    be dated ``now`` (the plan's time) when written; returns the row count of each part, in order."""
    import pyarrow as pa  # the plan's columns are Arrow already: loaded with the list

    counts = []
    for number, block in enumerate(blocks, first):
        if not len(block):
            continue
        if block.fields_json is None:
            block = _with_json(block)
        packed = _ENCODER.encode(
            (
                list(block.message_keys),
                list(block.emails),
                list(block.fields_json or ()),
                list(block.sources),
                list(block.states),
                list(block.skip_reasons),
                list(block.request_nos),
                list(block.details),
                list(block.languages),
            )
        )
        data = pa.compress(packed, codec="zstd", asbytes=True)
        connection.execute(
            insert(plan_part).values(
                campaign_id=campaign_id,
                part=number,
                rows=len(block),
                planned=list(block.states).count(MessageState.PLANNED.value),
                size=len(packed),
                data=data,
                created_at=now,
            )
        )
        counts.append(len(block))
    return counts


@contextmanager
def unsynced(connection: Connection) -> Iterator[None]:
    """Within the block, ``connection``'s commits return before their writes are on disk: SQLite's
    ``PRAGMA synchronous=NORMAL`` (https://www.sqlite.org/pragma.html#pragma_synchronous),
    PostgreSQL's ``synchronous_commit=off``; put back afterwards. Call it outside a transaction.

    For a part written while a send runs: its rows need be on disk only before a request to them
    leaves, and that request is listed in flight by a commit that waits for the disk, which
    flushes the log's write-ahead file up to it (SQLite: its fsync; PostgreSQL: "a later
    synchronous commit flushes everything before it", https://www.postgresql.org/docs/current/wal-async-commit.html).
    A power cut before then loses the part's write whole (the part stays), never half of it.
    """
    sqlite = connection.dialect.name == "sqlite"
    try:  # a Ctrl-C between the two statements puts it back too (review 19q #5)
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL" if sqlite else "SET synchronous_commit TO OFF")
        connection.commit()
        yield
    finally:
        try:
            connection.exec_driver_sql("PRAGMA synchronous=FULL" if sqlite else "RESET synchronous_commit")
            connection.commit()
        except BaseException:
            connection.invalidate()  # never back in the pool committing without the disk
            raise


def lock(connection: Connection) -> None:
    """Begin the caller's transaction with a write of no part: on SQLite it takes the log's one write
    lock, so what the transaction reads next stays so until it ends; on a log this user may only
    read (a read-only file or share, a reporting login) it raises at once, before anything is shown
    (review 20a: a bar "Writing the rest of the plan" left on screen at 0 of 23,000)."""
    connection.execute(delete(plan_part).where(false()))


def write_all(connection: Connection, campaign_id: str | None = None, *, advance: Callable[[int], None] | None = None) -> int:
    """Move every part left (of one campaign, or of all) into the message table; returns how many
    rows. ``advance`` is told each part's rows as it is written (a progress bar)."""
    query = select(plan_part.c.campaign_id, plan_part.c.part).order_by(plan_part.c.campaign_id, plan_part.c.part)
    if campaign_id is not None:
        query = query.where(plan_part.c.campaign_id == campaign_id)
    total = 0
    for cid, part in connection.execute(query).all():
        rows = write(connection, cid, part)
        total += rows
        if advance is not None:
            advance(rows)
    return total


def rows_left(connection: Connection, campaign_id: str | None = None) -> int:
    """How many rows (to mail and skipped) wait here, of one campaign or of all."""
    query = select(func.coalesce(func.sum(plan_part.c.rows), 0))
    if campaign_id is not None:
        query = query.where(plan_part.c.campaign_id == campaign_id)
    return int(connection.execute(query).scalar() or 0)


def left(connection: Connection, campaign_id: str) -> int:
    """How many journalists to mail (rows planned) of the campaign wait here to be written (0: none)."""
    query = select(func.coalesce(func.sum(plan_part.c.planned), 0)).where(plan_part.c.campaign_id == campaign_id)
    return int(connection.execute(query).scalar() or 0)


def left_of(connection: Connection, campaign_ids: Collection[str]) -> dict[str, int]:
    """``left`` of several campaigns at once: id -> rows planned in its parts (a campaign with none is not there)."""
    query = (
        select(plan_part.c.campaign_id, func.sum(plan_part.c.planned))
        .where(plan_part.c.campaign_id.in_(list(campaign_ids)))
        .group_by(plan_part.c.campaign_id)
    )
    return {campaign_id: int(planned or 0) for campaign_id, planned in connection.execute(query)}


def reached(
    connection: Connection, campaign_ids: Collection[str], email_keys: Container[str]
) -> Iterator[tuple[str, str, str | None, str]]:
    """``messages.reached`` of the rows still waiting in these campaigns' parts, read without writing
    them: (address lower-cased, campaign, language, ``planned``) of each row planned to be mailed,
    for the addresses in ``email_keys``. A send's question reads them so (newcomer 20 probe: after a
    send of 25,000 stopped with its parts left, a send of the same release asked about 15,784
    journalists as new, then refused: "all 15,784 ... were mailed by" the stopped send, which had
    mailed none of them). Yielded before that table's rows: written, they would be its newest."""
    if not campaign_ids:
        return
    planned = MessageState.PLANNED.value
    query = (
        select(plan_part.c.campaign_id, plan_part.c.size, plan_part.c.data)
        .where(plan_part.c.campaign_id.in_(list(campaign_ids)))
        .order_by(plan_part.c.created_at.desc(), plan_part.c.campaign_id.desc(), plan_part.c.part.desc())  # newest first
    )
    for campaign_id, size, data in connection.execute(query):
        _keys, emails, _texts, _sources, states, reasons, _numbers, _details, languages = _columns(size, data)
        for email, state, reason, language in zip(reversed(emails), reversed(states), reversed(reasons), reversed(languages), strict=True):
            key = email.lower()
            if state == planned and reason is None and key in email_keys:
                yield key, campaign_id, language, planned


def skipped(connection: Connection, campaign_id: str) -> dict[str, int]:
    """The campaign's skipped rows (invalid, duplicate, ...) that wait here, per reason: counted with
    those of the message table, as the plan counted them (newcomer 19 #1: a large send stopped
    half-way said "skipped: 0"). Only parts holding such rows are read (a plan's skipped rows come
    after its journalists to mail: one part or two)."""
    query = (
        select(plan_part.c.size, plan_part.c.data)
        .where(plan_part.c.campaign_id == campaign_id, plan_part.c.rows > plan_part.c.planned)
        .order_by(plan_part.c.part)
    )
    found: dict[str, int] = {}
    for size, data in connection.execute(query):
        columns = _columns(size, data)
        for state, reason, detail in zip(columns[4], columns[5], columns[7], strict=True):
            if state == MessageState.SKIPPED.value:
                said = str(logged_reason(reason, detail))  # a part an older version kept: "suppressed" of a list's opt-out
                found[said] = found.get(said, 0) + 1
    return found


def unfinished(connection: Connection) -> list[str]:
    """The campaigns with parts left, sorted."""
    return list(connection.scalars(select(plan_part.c.campaign_id).distinct().order_by(plan_part.c.campaign_id)))


def write(connection: Connection, campaign_id: str, part: int) -> int:
    """Move one part of the campaign into the message table: taken with DELETE ... RETURNING (nobody
    else can have it), its rows inserted. Returns how many rows it held (0: no such part left:
    another process, such as `mailer forget`, has written it)."""
    taken = connection.execute(
        delete(plan_part)
        .where(plan_part.c.campaign_id == campaign_id, plan_part.c.part == part)
        .returning(plan_part.c.size, plan_part.c.data, plan_part.c.created_at)
    ).first()
    if taken is None:
        return 0
    keys, emails, texts, sources, states, reasons, numbers, details, languages = _columns(taken.size, taken.data)
    block = LogColumns(keys, emails, [], sources, states, reasons, numbers, details, languages, fields_json=texts)
    messages.insert_columns(connection, campaign_id, [block], now=taken.created_at)
    return len(keys)


def _columns(size: int, data: bytes) -> _Packed:
    """A part's columns as ``keep`` packed them."""
    import pyarrow as pa

    return _DECODER.decode(pa.decompress(data, decompressed_size=size, codec="zstd", asbytes=True))


def _with_json(block: LogColumns) -> LogColumns:
    """``block`` with its fields as the log's JSON text."""
    return replace(block, fields_json=[fields_json(fields) for fields in block.fields])
