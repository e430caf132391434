"""The event table: the only SQL that reads or writes SendGrid events.

Also here, because they are driven by events: linking an event to its message row, moving a
message's delivery forward and settling ``unknown`` messages. Writes take a ``Connection`` so
the caller keeps one transaction per webhook POST.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailer.models import DELIVERY_RANK, Delivery, MessageState
from mailer.store.schema import event, message

# SQLite accepts at most 32,766 bound values per statement (999 before 3.32); stay well under.
CHUNK = 500
SENT_STATES = (MessageState.ACCEPTED.value, MessageState.UNKNOWN.value, MessageState.SENDING.value)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MessageLink:
    """The message row an event is about, as it stood when the batch arrived."""

    message_id: int
    campaign_id: str
    sg_message_id: str | None
    created_at: int  # unix seconds (0 when looked up by key: not needed then)
    state: str
    delivery: str | None


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def known_event_ids(connection: Connection, ids: Iterable[str]) -> set[str]:
    """The ``sg_event_id`` values among ``ids`` already stored."""
    found: set[str] = set()
    for chunk in _chunks(set(ids)):
        found.update(connection.scalars(select(event.c.sg_event_id).where(event.c.sg_event_id.in_(chunk))))
    return found


def known_dedupe_keys(connection: Connection, keys: Iterable[str]) -> set[str]:
    """The content hashes among ``keys`` already stored."""
    found: set[str] = set()
    for chunk in _chunks(set(keys)):
        found.update(connection.scalars(select(event.c.dedupe_key).where(event.c.dedupe_key.in_(chunk))))
    return found


def insert(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert event rows in one executemany; a row already stored (by either key) is skipped."""
    if not rows:
        return 0
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    columns = [c.name for c in event.columns if c.name != "id"]
    statement = dialect_insert(event).values({name: bindparam(name) for name in columns}).on_conflict_do_nothing()
    return max(_executemany(connection, statement, rows), 0)


def _executemany(connection: Connection, statement: Any, rows: Sequence[Mapping[str, Any]]) -> int:
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


def messages_by_key(connection: Connection, keys: Collection[str]) -> dict[str, MessageLink]:
    """Message rows by their opaque key (what custom_args["message"] carries)."""
    found: dict[str, MessageLink] = {}
    columns = (message.c.key, message.c.id, message.c.campaign_id, message.c.sg_message_id, message.c.state, message.c.delivery)
    for chunk in _chunks(keys):
        for key, mid, campaign_id, sg_message_id, state, delivery in connection.execute(select(*columns).where(message.c.key.in_(chunk))):
            found[key] = MessageLink(mid, campaign_id, sg_message_id, 0, state, delivery)
    return found


def messages_by_address(connection: Connection, addresses: Collection[str]) -> dict[str, list[MessageLink]]:
    """Messages sent (or possibly sent) to each address, for events without custom_args."""
    found: dict[str, list[MessageLink]] = {}
    columns = (
        message.c.email_key, message.c.id, message.c.campaign_id, message.c.sg_message_id,
        message.c.created_at, message.c.state, message.c.delivery,
    )
    for chunk in _chunks(addresses):
        query = select(*columns).where(message.c.email_key.in_(chunk), message.c.state.in_(SENT_STATES))
        for row in connection.execute(query):
            link = MessageLink(row.id, row.campaign_id, row.sg_message_id, _unix(row.created_at), row.state, row.delivery)
            found.setdefault(row.email_key, []).append(link)
    return found


def settle_unknown(connection: Connection, message_ids: Collection[int], *, now: datetime) -> int:
    """Messages whose fate was unknown (or left mid-send) are accepted: SendGrid reported them."""
    settled = 0
    for chunk in _chunks(message_ids):
        statement = (
            update(message)
            .where(message.c.id.in_(chunk), message.c.state.in_((MessageState.UNKNOWN.value, MessageState.SENDING.value)))
            .values(state=MessageState.ACCEPTED.value, error=None, updated_at=now)
        )
        settled += connection.execute(statement).rowcount
    return settled


_RANK = case(
    *((message.c.delivery == delivery.value, rank) for delivery, rank in DELIVERY_RANK.items()),
    else_=0,
)


def advance_delivery(connection: Connection, furthest: Mapping[int, Delivery], *, now: datetime) -> None:
    """Set each message's delivery, but only where that moves it to a later rank."""
    if not furthest:
        return
    statement = (
        update(message)
        .where(message.c.id == bindparam("target_id"), _RANK < bindparam("target_rank"))
        .values(delivery=bindparam("target_delivery"), updated_at=bindparam("stamp"))
    )
    to_driver = message.c.updated_at.type.bind_processor(connection.dialect)
    stamp = to_driver(now) if to_driver else now
    rows = [
        {"target_id": mid, "target_rank": DELIVERY_RANK[d], "target_delivery": d.value, "stamp": stamp}
        for mid, d in furthest.items()
    ]
    _executemany(connection, statement, rows)


def blocked_counts(connection: Connection, addresses: Collection[str]) -> dict[str, tuple[int, str | None]]:
    """For each address: how many "blocked" bounces are stored, and the latest reason."""
    counts: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks(addresses):
        query = (
            select(event.c.email, event.c.timestamp, event.c.reason)
            .where(event.c.email.in_(chunk), event.c.event == "bounce", event.c.bounce_type == "blocked")
            .order_by(event.c.timestamp)
        )
        for row in connection.execute(query):
            count, _ = counts.get(row.email, (0, None))
            counts[row.email] = (count + 1, row.reason)
    return counts


# Written out literally so the database can use the partial index ix_event_group_email.
_GROUP_EVENTS = text("event.event IN ('group_unsubscribe', 'group_resubscribe')")


def latest_group_events(connection: Connection, addresses: Collection[str]) -> dict[str, tuple[str, int]]:
    """For each address, its latest group_unsubscribe / group_resubscribe and when (ties: unsubscribe)."""
    latest: dict[str, tuple[str, int]] = {}
    for chunk in _chunks(addresses):
        query = select(event.c.email, event.c.event, event.c.timestamp).where(event.c.email.in_(chunk), _GROUP_EVENTS)
        for row in connection.execute(query):
            current = latest.get(row.email)
            rank = (row.timestamp, row.event == "group_unsubscribe")
            if current is None or rank > (current[1], current[0] == "group_unsubscribe"):
                latest[row.email] = (row.event, row.timestamp)
    return latest


def erase_messages(connection: Connection, address: str) -> list[tuple[int, str]]:
    """Blank the address, contact snapshot and source of every message row to ``address``.

    Returns (message id, campaign id) of the rows erased. The row itself stays, so campaign
    counts do not change; its ``email_key`` becomes "forgotten:<id>", unique per row.
    """
    rows = connection.execute(select(message.c.id, message.c.campaign_id).where(message.c.email_key == address)).all()
    for chunk in _chunks([row.id for row in rows]):
        connection.execute(
            update(message)
            .where(message.c.id.in_(chunk))
            .values(email="(forgotten)", email_key="forgotten:" + message.c.id.cast(String), fields={}, source=None, error=None)
        )
    return [(row.id, row.campaign_id) for row in rows]


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


def count(connection: Connection) -> int:
    """How many events are stored."""
    return connection.scalar(select(func.count()).select_from(event)) or 0


def _unix(value: datetime | None) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:  # SQLite returns naive datetimes; the log writes UTC
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())
