"""One-click unsubscribes (mailer/unsubscribe.py): the message a link names, and the record of its use.

A used link is an ``unsubscribe`` row in the event table, like SendGrid's own, linked to its
message, whose ``sg_event_id`` is ``one-click.<message key>``. A second use of the same link
while her stop stands finds that row, and stores nothing and suppresses nothing. Once
the office has lifted the suppression (the journalist asked back in), a new use (even while she
is suppressed for a bounce since) is a new request
from the journalist, not a re-sent event: it is stored under ``one-click.<message key>.<time>``
and suppresses again (review 17w #5: Gmail's Unsubscribe button on an older email POSTs that
email's link, was answered 200, and changed nothing).

The ``one-click.`` ids are ours alone: events/parse.py quarantines an event (a file, a webhook
body) that carries one. Before it did, an imported event could take a link's id ahead of the
journalist (message keys are in every event's custom_args), and the id's unique key then turned
their POST into "already used" that suppressed nobody (review 11s #4). So a use is found by its
message, not by the id's conflict, and a link whose id another row took is stored under
another ``one-click.`` id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from mailer.models import SuppressionReason
from mailer.store import suppressions
from mailer.store.bulk import insert_or_skip
from mailer.store.schema import event, message

SOURCE = "one-click"
NOTE = "used the one-click unsubscribe link"
FORGOTTEN_PREFIX = "forgotten:"  # messages.erase_address gives erased rows this email_key


@dataclass(frozen=True, slots=True)
class Recipient:
    """The message an unsubscribe link names."""

    message_id: int
    campaign_id: str
    email: str
    email_key: str


ID_PREFIX = f"{SOURCE}."  # every one-click id starts so; parsed events may not (events/parse.py)


def event_id(message_key: str) -> str:
    """The ``sg_event_id`` of the one use a link gets."""
    return f"{ID_PREFIX}{message_key}"


def recipient(connection: Connection, message_key: str) -> Recipient | None:
    """The message with this key, or None when there is none or its address was forgotten."""
    row = connection.execute(
        select(message.c.id, message.c.campaign_id, message.c.email, message.c.email_key).where(message.c.message_key == message_key)
    ).first()
    if row is None or row.email_key.startswith(FORGOTTEN_PREFIX):
        return None
    return Recipient(row.id, row.campaign_id, row.email, row.email_key)


def erased(connection: Connection, message_key: str) -> bool:
    """Whether the log has the message with this key, its address forgotten (``recipient`` None for it)."""
    return connection.scalar(select(message.c.id).where(message.c.message_key == message_key)) is not None


def used_at(connection: Connection, found: Recipient) -> datetime | None:
    """When this message's link was last used, or None if never: its one-click ``unsubscribe`` rows,
    found through the message (ix_event_message), whatever else holds the id ``event_id`` names."""
    query = select(event.c.timestamp).where(
        event.c.message_id == found.message_id,
        event.c.event == "unsubscribe",
        event.c.sg_event_id.startswith(ID_PREFIX, autoescape=True),
    )
    stamp = connection.scalar(query.order_by(event.c.timestamp.desc()).limit(1))
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC)


def record(connection: Connection, found: Recipient, message_key: str, *, now: datetime) -> bool:
    """Store the use of a link and suppress its address; False (and no change) when it was used
    before and the address is still suppressed."""
    if already_stands(connection, found):
        return False
    timestamp = int(now.timestamp())
    raw = {"event": "unsubscribe", "source": SOURCE, "timestamp": timestamp, "campaign": found.campaign_id, "message": message_key}
    # The link's own id, else (another row took it before parse.py kept such ids out) one made from the time.
    for identifier in (event_id(message_key), f"{event_id(message_key)}.{now.timestamp():.6f}"):
        row = {
            "sg_event_id": identifier,
            "dedupe_key": hashlib.sha256(identifier.encode("ascii")).hexdigest(),
            "campaign_id": found.campaign_id,
            "message_id": found.message_id,
            "event": "unsubscribe",
            "email": found.email,
            "timestamp": timestamp,
            "raw": json.dumps(raw, sort_keys=True),
        }
        # RETURNING says whether the row went in (rowcount is not reliable for this on every driver).
        statement = insert_or_skip(connection.dialect, event).values(row).on_conflict_do_nothing().returning(event.c.id)
        if connection.execute(statement).first() is not None:
            break
        if already_stands(connection, found):  # the same link, used at the same moment by another request
            return False
    else:
        return False
    entry = suppressions.Suppression(found.email_key, SuppressionReason.UNSUBSCRIBE, SOURCE, NOTE, now)
    suppressions.insert(connection, [entry])
    return True


def already_stands(connection: Connection, found: Recipient) -> bool:
    """Whether a use of this link now would change nothing: it was used, the address is suppressed,
    and her stop still stands. Suppressed for another reason (a bounce) after the office put her
    back, a new use is her stop again, stored so that lifting the bounce leaves her unsubscribed
    (review 17x #2: "You already unsubscribed", and the releases came once the bounce was lifted)."""
    if used_at(connection, found) is None:
        return False
    entry = suppressions.find(connection, found.email_key)
    if entry is None:
        return False
    return entry.reason in (SuppressionReason.UNSUBSCRIBE, SuppressionReason.SPAM_REPORT) or suppressions.opt_out_stands(
        connection, found.email_key
    )


def is_suppressed(connection: Connection, found: Recipient) -> bool:
    """Whether the address is on the suppression list now (for any reason)."""
    return suppressions.find(connection, found.email_key) is not None
