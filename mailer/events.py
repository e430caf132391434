"""SendGrid events: JSON or NDJSON in, ``Event`` records out, applied to the delivery log once.

SendGrid posts events late, twice (sometimes with a new ``sg_event_id``) and out of order
(SENDGRID.md §2.1). So applying is idempotent: an event is stored once, keyed by its
``sg_event_id`` and by ``dedupe_key`` (a hash of its content without that id); a message's
delivery only moves forward (``models.DELIVERY_RANK``); an ``unknown`` message is settled as
accepted when SendGrid reports it; and suppressions are added only for events seen for the
first time, so a re-sent bounce cannot undo a suppression the office lifted on purpose.

Events link to their message through ``custom_args`` (``{"campaign": id, "message": key}``),
falling back to the address and the time for late bounces that carry neither (§0.2).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from mailer.errors import EventError
from mailer.models import DELIVERY_RANK, Delivery, MessageState, SuppressionReason
from mailer.store import events as event_store
from mailer.store import suppressions as suppression_store

__all__ = ["Applied", "Event", "apply", "from_object", "parse_body", "read_file"]

# What SendGrid's `dropped` reasons mean for the suppression table (DOCS event.md).
DROPPED_REASONS: Mapping[str, SuppressionReason] = {
    "bounced address": SuppressionReason.BOUNCE,
    "unsubscribed address": SuppressionReason.UNSUBSCRIBE,
    "spam reporting address": SuppressionReason.SPAM_REPORT,
    "invalid": SuppressionReason.INVALID,
}
# Event types SendGrid documents; anything else is stored raw and changes nothing.
KNOWN_TYPES = frozenset(
    {
        "processed", "dropped", "delivered", "deferred", "bounce", "open", "click",
        "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe",
    }
)
GROUP_NOTE = "group unsubscribe"
# SendGrid's event ids are URL-safe base64: such a value needs no JSON escaping.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_=-]{1,200}")


@dataclass(frozen=True, slots=True)
class Event:
    """One SendGrid event, parsed; ``raw`` is the event JSON as received."""

    event: str
    timestamp: int
    email: str | None  # lower-cased, as compared with message.email_key
    sg_event_id: str | None
    sg_message_id: str | None
    campaign_id: str | None  # custom_args["campaign"]
    message_key: str | None  # custom_args["message"]
    reason: str | None
    bounce_type: str | None  # "bounce" (hard) or "blocked", on bounce events
    bounce_classification: str | None
    machine_open: bool | None  # Apple Mail Privacy Protection pre-fetch, on open events
    url: str | None
    raw: str
    dedupe_key: str

    @property
    def delivery(self) -> Delivery | None:
        """How far this event says the message got (opens and clicks imply delivery)."""
        if self.event == "bounce":
            return Delivery.BLOCKED if self.bounce_type == "blocked" else Delivery.BOUNCED
        return _DELIVERY_OF.get(self.event)


_DELIVERY_OF: Mapping[str, Delivery] = {
    "processed": Delivery.PROCESSED,
    "deferred": Delivery.DEFERRED,
    "delivered": Delivery.DELIVERED,
    "open": Delivery.DELIVERED,
    "click": Delivery.DELIVERED,
    "dropped": Delivery.DROPPED,
}


@dataclass(frozen=True, slots=True)
class Applied:
    """What one batch did to the log."""

    received: int
    added: int
    duplicates: int
    unlinked: int  # added events that match no message
    suppressed: int  # addresses newly suppressed


def from_object(data: object, *, where: str) -> Event:
    """An Event from one decoded JSON object; ``where`` names it in errors ("line 4")."""
    if not isinstance(data, dict):
        raise EventError(
            f"{where}: expected an event (a JSON object), found {_json_kind(data)}.",
            hint="SendGrid events are objects such as {\"event\": \"delivered\", \"email\": ..., \"timestamp\": ...}.",
        )
    get = data.get
    kind = _text(get("event")) or "unknown"
    timestamp = _timestamp(get("timestamp"))
    email = _text(get("email"))
    # One serialisation serves both: the content without sg_event_id, keys sorted, is hashed
    # for the duplicate check; the raw JSON kept is that content with the id appended.
    event_id = _text(get("sg_event_id"))
    if "sg_event_id" in data:
        original = data.pop("sg_event_id")  # taken out for the hash, put back below
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        data["sg_event_id"] = original
        identifier = f'"{original}"' if isinstance(original, str) and _PLAIN_ID.fullmatch(original) else json.dumps(original, ensure_ascii=False)
        raw = f'{canonical[:-1]},"sg_event_id":{identifier}}}' if len(data) > 1 else f'{{"sg_event_id":{identifier}}}'
    else:
        canonical = raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    is_bounce = kind == "bounce"
    return Event(
        event=kind[:30],
        timestamp=timestamp,
        email=email.lower() if email else None,
        sg_event_id=event_id,
        sg_message_id=_text(get("sg_message_id")),
        campaign_id=_text(get("campaign")),
        message_key=_text(get("message")),
        reason=_text(get("reason")) or (_text(get("response")) if kind == "deferred" else None),
        bounce_type=(_text(get("type")) or "bounce") if is_bounce else None,
        bounce_classification=_text(get("bounce_classification")) if is_bounce else None,
        machine_open=_flag(get("sg_machine_open")) if kind == "open" else None,
        url=_text(get("url")),
        raw=raw,
        # The time first keeps a batch's keys close together in the unique index, so an insert
        # touches few index pages; equal content still means an equal key.
        dedupe_key=f"{timestamp:011d}-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40],
    )


def parse_body(body: bytes) -> list[Event]:
    """The events of one webhook POST: a JSON array of objects (a lone object is accepted)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EventError("The request body is not UTF-8 text.", hint="SendGrid posts JSON in UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise EventError(
            f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
            hint="SendGrid posts a JSON array of events.",
        ) from exc
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise EventError(
            f"The request body is {_json_kind(data)}, not a list of events.",
            hint="SendGrid posts a JSON array of events.",
        )
    return [from_object(item, where=f"event {number}") for number, item in enumerate(items, 1)]


def read_file(path: Path) -> list[Event]:
    """The events in a file: a JSON array (or object), or one JSON object per line (NDJSON)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise EventError(f"{path}: no such file.", hint="Check the file name.") from exc
    except UnicodeDecodeError as exc:
        raise EventError(f"{path}: not a text file in UTF-8.", hint=_FILE_HINT) from exc
    except OSError as exc:
        raise EventError(f"{path}: cannot be read ({exc.strerror}).", hint="Check the file's permissions.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as whole:
        if text.lstrip().startswith("["):
            raise EventError(
                f"{path} line {whole.lineno}: not valid JSON ({whole.msg}, column {whole.colno}).", hint=_FILE_HINT
            ) from whole
        return _read_lines(path, text)
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise EventError(f"{path}: holds {_json_kind(data)}, not events.", hint=_FILE_HINT)
    return [from_object(item, where=f"{path} event {number}") for number, item in enumerate(items, 1)]


_FILE_HINT = "An events file holds a JSON array of SendGrid events, or one JSON event object per line (NDJSON)."


def _read_lines(path: Path, text: str) -> list[Event]:
    """NDJSON: one object per line; blank lines are skipped; a bad line is named by number."""
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EventError(f"{path} line {number}: not valid JSON ({exc.msg}, column {exc.colno}).", hint=_FILE_HINT) from exc
        events.append(from_object(data, where=f"{path} line {number}"))
    return events


def apply(
    engine: Engine,
    events: Sequence[Event],
    *,
    source: str,
    block_threshold: int,
    now: datetime | None = None,
) -> Applied:
    """Store new events and apply their effects in one transaction; duplicates change nothing.

    ``source`` ("webhook" or "import") is recorded on the suppressions the events cause.
    Delivery and state changes are idempotent, so they are applied for every event; the
    suppressions (and the "could not link" count) only for events never stored before.
    """
    stamp = now or datetime.now(UTC)
    batch = _unique(events)
    links = _link(engine, batch)
    # Only these need to know whether they were stored before: a cheap look-up, as they are few.
    special = [e for i, e in enumerate(batch) if e.event in SUPPRESSING or i not in links]
    stored_before = _stored_before(engine, special)
    first_seen = [e for e in special if e.dedupe_key not in stored_before]
    rows = [_row(event, links.get(index)) for index, event in enumerate(batch)]
    linked = [(event, links[index]) for index, event in enumerate(batch) if index in links]
    with engine.begin() as connection:
        added = event_store.insert(connection, rows)
        _advance_messages(connection, linked, stamp)
        suppressed = _suppress(
            connection, [e for e in first_seen if e.event in SUPPRESSING], source=source, block_threshold=block_threshold, now=stamp
        )
    unlinked_keys = {batch[i].dedupe_key for i in range(len(batch)) if i not in links}
    return Applied(
        received=len(events),
        added=added,
        duplicates=len(events) - added,
        unlinked=sum(1 for e in first_seen if e.dedupe_key in unlinked_keys),
        suppressed=suppressed,
    )


# Events whose effects are not idempotent on their own (they add or lift suppressions).
SUPPRESSING = frozenset({"bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"})


def _unique(events: Sequence[Event]) -> list[Event]:
    """The batch without events repeated inside it (same sg_event_id or same content)."""
    seen_ids: set[str] = set()
    seen_content: set[str] = set()
    unique = []
    for event in events:
        if event.sg_event_id in seen_ids or event.dedupe_key in seen_content:
            continue
        if event.sg_event_id:
            seen_ids.add(event.sg_event_id)
        seen_content.add(event.dedupe_key)
        unique.append(event)
    return unique


def _stored_before(engine: Engine, events: Sequence[Event]) -> set[str]:
    """The dedupe keys of those ``events`` already in the log (by either key)."""
    if not events:
        return set()
    with engine.connect() as connection:
        known_ids = event_store.known_event_ids(connection, [e.sg_event_id for e in events if e.sg_event_id])
        known_content = event_store.known_dedupe_keys(connection, [e.dedupe_key for e in events])
    return {e.dedupe_key for e in events if e.dedupe_key in known_content or e.sg_event_id in known_ids}


def _link(engine: Engine, events: Sequence[Event]) -> dict[int, event_store.MessageLink]:
    """Index in ``events`` -> the message it is about, by custom_args key, else address and time."""
    with engine.connect() as connection:
        by_key = event_store.messages_by_key(connection, {e.message_key for e in events if e.message_key})
        links = {i: by_key[e.message_key] for i, e in enumerate(events) if e.message_key in by_key}
        orphans = [i for i, e in enumerate(events) if i not in links and e.email]
        if orphans:
            candidates = event_store.messages_by_address(connection, {events[i].email for i in orphans})  # type: ignore[misc]
            for index in orphans:
                match = _best_candidate(events[index], candidates.get(events[index].email or "", []))
                if match is not None:
                    links[index] = match
    return links


def _best_candidate(event: Event, candidates: Sequence[event_store.MessageLink]) -> event_store.MessageLink | None:
    """The message an address-only event is about: same request id, else same campaign, else
    the latest message sent to that address before the event happened."""
    request_id = (event.sg_message_id or "").split(".", 1)[0]
    if request_id:
        same_request = [c for c in candidates if c.sg_message_id == request_id]
        if same_request:
            return same_request[0]
    if event.campaign_id:
        candidates = [c for c in candidates if c.campaign_id == event.campaign_id]
    earlier = [c for c in candidates if c.created_at <= event.timestamp]
    return max(earlier, key=lambda c: c.created_at) if earlier else None


def _row(event: Event, link: event_store.MessageLink | None) -> dict[str, Any]:
    return {
        "sg_event_id": event.sg_event_id,
        "dedupe_key": event.dedupe_key,
        "campaign_id": link.campaign_id if link else event.campaign_id,
        "message_id": link.message_id if link else None,
        "event": event.event,
        "email": event.email,
        "timestamp": event.timestamp,
        "sg_message_id": event.sg_message_id,
        "reason": event.reason,
        "bounce_type": event.bounce_type,
        "bounce_classification": event.bounce_classification,
        "machine_open": event.machine_open,
        "url": event.url,
        "raw": event.raw,
    }


def _advance_messages(connection: Connection, linked: Sequence[tuple[Event, event_store.MessageLink]], now: datetime) -> None:
    """Settle unknown messages SendGrid reports on, and move each delivery forward only."""
    unsettled = {MessageState.UNKNOWN.value, MessageState.SENDING.value}
    reported = {link.message_id for event, link in linked if event.event in KNOWN_TYPES and link.state in unsettled}
    event_store.settle_unknown(connection, reported, now=now)
    furthest: dict[int, Delivery] = {}
    for event, link in linked:
        delivery = event.delivery
        if delivery is None:
            continue
        current = furthest.get(link.message_id) or _as_delivery(link.delivery)
        if current is None or DELIVERY_RANK[delivery] > DELIVERY_RANK[current]:
            furthest[link.message_id] = delivery
    # The SQL keeps the forward-only rule too, for another worker writing the same message.
    event_store.advance_delivery(connection, furthest, now=now)


def _as_delivery(value: str | None) -> Delivery | None:
    try:
        return Delivery(value) if value else None
    except ValueError:
        return None


def _suppress(
    connection: Connection, events: Iterable[Event], *, source: str, block_threshold: int, now: datetime
) -> int:
    """Suppress addresses that bounced hard, were blocked too often, complained or unsubscribed."""
    entries: list[suppression_store.Suppression] = []
    blocked: set[str] = set()
    group_changes: set[str] = set()
    for event in events:
        if not event.email:
            continue
        when = datetime.fromtimestamp(event.timestamp, UTC)
        reason, note = _suppression_for(event)
        if reason is not None:
            entries.append(suppression_store.Suppression(event.email, reason, source, note, when))
        elif event.event == "bounce" and event.bounce_type == "blocked":
            blocked.add(event.email)
        elif event.event in ("group_unsubscribe", "group_resubscribe"):
            group_changes.add(event.email)
    for email, (count, last) in event_store.blocked_counts(connection, blocked).items():
        if count >= block_threshold:
            note = f"blocked {count} times; last: {last}" if last else f"blocked {count} times"
            entries.append(suppression_store.Suppression(email, SuppressionReason.BLOCK, source, note, now))
    for email, (latest, timestamp) in event_store.latest_group_events(connection, group_changes).items():
        if latest == "group_resubscribe":
            suppression_store.lift(connection, email, reason=SuppressionReason.UNSUBSCRIBE, note_prefix=GROUP_NOTE)
        else:
            when = datetime.fromtimestamp(timestamp, UTC)
            entries.append(suppression_store.Suppression(email, SuppressionReason.UNSUBSCRIBE, source, GROUP_NOTE, when))
    return suppression_store.insert(connection, entries)


def _suppression_for(event: Event) -> tuple[SuppressionReason | None, str | None]:
    """The suppression an event causes on its own, with a note for the list."""
    if event.event == "bounce" and event.bounce_type != "blocked":
        return SuppressionReason.BOUNCE, _short(event.reason)
    if event.event == "spamreport":
        return SuppressionReason.SPAM_REPORT, "marked the release as spam"
    if event.event == "unsubscribe":
        return SuppressionReason.UNSUBSCRIBE, "unsubscribed from all mail"
    if event.event == "dropped":
        reason = (event.reason or "").strip().lower()
        for prefix, suppression_reason in DROPPED_REASONS.items():
            if reason.startswith(prefix):
                return suppression_reason, f"SendGrid dropped: {event.reason}"
    return None, None


def _short(text: str | None, limit: int = 200) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:  # the common case, kept fast: the webhook parses every field of every event
        return value.strip() or None
    if isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def _address(value: object) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _timestamp(value: object) -> int:
    """Unix seconds; SendGrid sends an integer, some tools a string or a float."""
    try:
        return int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _flag(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _json_kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
