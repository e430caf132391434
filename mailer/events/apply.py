"""Applying events to the delivery log: once each, forward only, with their suppressions.

SendGrid posts events late, twice (sometimes with a new ``sg_event_id``) and out of order
(SENDGRID.md §2.1). So an event is stored once, keyed by its ``sg_event_id`` and by its
``dedupe_key``; a message's delivery only moves forward (``models.DELIVERY_RANK``); an
``unknown`` message is settled as accepted when SendGrid reports it; and suppressions are
added only for events seen for the first time, so a re-sent bounce cannot undo a suppression
the office lifted on purpose.

Events link to their message through ``custom_args`` (``{"campaign": id, "message": key}``),
falling back to the request id, then to the address and the time, for late bounces that
carry neither (§0.2). An event whose message key this log does not know is another log's
(another client's office folder sending from the same SendGrid account, or its file imported
here by mistake): it is kept, unlinked and counted as ``foreign``, and never matched by
address, even when its campaign id is spelt like one of ours (newcomer 14 #1): it counts as
no open, click or delivery here. It still suppresses as any event does (a bounce, an
unsubscribe, a spam report): it came through this office's SendGrid account or its files, and a
journalist kept from mail by mistake is put right with `mailer suppressions remove`, while one
mailed after saying stop cannot be (the bulk-sender rules, SENDGRID.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from mailer.events.kinds import KNOWN_TYPES, SENDGRID_TYPES, SUPPRESSING  # anything else is stored raw and changes nothing
from mailer.events.parse import DELIVERY_OF, Batch, Event, Quarantined
from mailer.models import DELIVERY_RANK, Delivery, MessageState, SuppressionReason
from mailer.store import clock
from mailer.store import events as event_store
from mailer.store import messages as message_store
from mailer.store import quarantine as quarantine_store
from mailer.store import suppressions as suppression_store
from mailer.store.failures import in_words

# What SendGrid's `dropped` reasons mean for the suppression table (DOCS event.md).
DROPPED_REASONS: Mapping[str, SuppressionReason] = {
    "bounced address": SuppressionReason.BOUNCE,
    "unsubscribed address": SuppressionReason.UNSUBSCRIBE,
    "spam reporting address": SuppressionReason.SPAM_REPORT,
    "invalid": SuppressionReason.INVALID,
}
# Dropped reasons that start like one above but are about the request, not the address: "Invalid
# SMTPAPI header" suppressed every journalist of a send as an invalid address (review 17w #8).
_REQUEST_FAULTS = ("invalid smtpapi",)
GROUP_NOTE = suppression_store.GROUP_NOTE
# A late bounce without custom_args is matched to mail sent at most this long before it.
LATE_EVENT_WINDOW = 7 * 24 * 3600
UNLINKED_SHOWN = 5  # unlinked events an import names


@dataclass(frozen=True, slots=True)
class Applied:
    """What one batch did to the log."""

    received: int  # events in the batch, quarantined ones included
    added: int
    duplicates: int
    unlinked: int  # added events that match no message (the foreign ones included)
    suppressed: int  # addresses newly suppressed
    quarantined: int = 0  # events (or whole bodies) that could not be read, kept in the quarantine
    # Events of a type SendGrid does not send ("opened", "unsubscribed"), per type: stored, but
    # they change nothing (kinds.py; nc9 #12). Counted among the events received, stored before or not.
    unknown_types: Mapping[str, int] = field(default_factory=dict)
    # Added events carrying a message key this log does not know: another log's mail (newcomer 14 #1).
    foreign: int = 0
    # The first few added events that match no message, as "open of ADDRESS at 2026-12-03 11:00 UTC" (newcomer
    # 24 #11: the import said "1 could not be linked to a message", and nothing said which); never a forgotten one's.
    unlinked_examples: tuple[str, ...] = field(default=(), compare=False)  # words for a person, not a total

    def plus(self, other: Applied) -> Applied:
        """The totals of two batches (or files) together."""
        unknown = Counter(self.unknown_types)
        unknown.update(other.unknown_types)
        return Applied(
            received=self.received + other.received,
            added=self.added + other.added,
            duplicates=self.duplicates + other.duplicates,
            unlinked=self.unlinked + other.unlinked,
            suppressed=self.suppressed + other.suppressed,
            quarantined=self.quarantined + other.quarantined,
            unknown_types=dict(unknown),
            foreign=self.foreign + other.foreign,
            unlinked_examples=(self.unlinked_examples + other.unlinked_examples)[:UNLINKED_SHOWN],
        )


@in_words
def apply(
    engine: Engine,
    events: Sequence[Event] | Batch,
    *,
    source: str,
    block_threshold: int,
    now: datetime | None = None,
    quarantined: Sequence[Quarantined] = (),
    links: dict[str, message_store.MessageLink] | None = None,
    writer: AbstractContextManager[object] | None = None,
) -> Applied:
    """Store new events and apply their effects in one transaction; duplicates change nothing.

    ``quarantined`` (what parse.py could not read) is stored in the same transaction, so a
    batch is either wholly kept or not at all.

    ``source`` ("webhook" or "import") is recorded on the suppressions the events cause.
    Delivery and state changes are idempotent, so they are applied for every event; the
    suppressions (and the "could not link" count) only for events never stored before.
    ``links``: messages remembered from earlier batches (see ``Ingest``); cleared if storing fails.

    The messages the events are about are looked up first, outside the write transaction
    (``stage``); ``writer`` (the webhook's turn to write, between its threads and workers) is
    held only from the transaction's start to its end, so another request's look-ups and
    parsing go on meanwhile. Whether an event was stored before is decided inside it: the
    log's unique keys stay the judge of duplicates.

    ``events`` may be the whole ``Batch`` that ``read_file`` or ``parse_body`` gave: its events,
    and its quarantined ones unless ``quarantined`` is given. Returns ``Applied`` (counts of events).
    """
    if isinstance(events, Batch):
        quarantined = quarantined or events.quarantined
        events = events.events
    try:
        with engine.connect() as connection:
            staged = stage(connection, events, links)
    except BaseException:
        if links is not None:
            links.clear()
        raise
    return store_staged(
        engine, staged, source=source, block_threshold=block_threshold, now=now, quarantined=quarantined, links=links, writer=writer
    )


def store_staged(
    engine: Engine,
    staged: Staged,
    *,
    source: str,
    block_threshold: int,
    now: datetime | None = None,
    quarantined: Sequence[Quarantined] = (),
    links: dict[str, message_store.MessageLink] | None = None,
    writer: AbstractContextManager[object] | None = None,
    check: Callable[[Connection], None] | None = None,
) -> Applied:
    """The second half of ``apply``: store a batch ``stage`` looked up, in one transaction, holding ``writer`` throughout.

    The webhook stages a request's events on the thread that parsed them and stores them on
    another, so one request's look-ups overlap another's write. ``links`` must be the dict
    ``stage`` was given; it is cleared if storing fails. ``check`` runs first in the transaction
    and may raise to store nothing (the webhook's ``upgrade.refuse_newer``).
    """
    try:
        with writer if writer is not None else nullcontext(), engine.begin() as connection:
            if check is not None:
                check(connection)
            ingest = Ingest(connection, source=source, block_threshold=block_threshold, now=now, links=links)
            ingest.write(staged)
            ingest.quarantine(quarantined)
            return ingest.finish()
    except BaseException:
        if links is not None:
            links.clear()  # they may hold changes that were rolled back
        raise


class Staged(NamedTuple):
    """A chunk of events looked up and ready to write (``stage``; ``Ingest.write``)."""

    received: int  # events in the chunk, repeats included
    events: list[Event]  # the chunk without events repeated inside it
    linked: list[message_store.MessageLink | None]  # the message each is about (None: none found)
    rows: list[tuple[Any, ...]]  # each event's row, in the order of store.events.COLUMNS
    notes: Notes  # what the events say about their messages, written by ``Ingest.finish``


class Notes(NamedTuple):
    """What a chunk's events say about their messages (``_note``)."""

    reported: set[int]  # unsettled messages SendGrid reported on (_UNSETTLED: unknown, sending, planned)
    furthest: dict[int, Delivery]  # message id -> furthest delivery seen, past its stored one
    used: dict[str, message_store.MessageLink]  # remembered links whose message changed


def stage(connection: Connection, events: Sequence[Event], links: dict[str, message_store.MessageLink] | None = None) -> Staged:
    """Find the message each event is about and build the rows to insert; reads only, writes nothing.

    ``links`` (see ``Ingest``) is consulted and filled with the messages looked up. Safe outside
    the write transaction: a message row never disappears while its events arrive, its id and
    campaign never change, and a state or delivery read a moment early is only ever behind the
    log's, which the forward-only SQL of ``Ingest.finish`` tolerates.
    """
    batch = _unique(events)
    linked = _link(connection, batch, links)
    # Each row in the order of store.events.COLUMNS (ROW_COLUMNS, checked by tests), unpacked from the Event tuple.
    rows = [
        (
            sg_event_id,
            dedupe_key,
            campaign_id if link is None else link.campaign_id,
            None if link is None else link.message_id,
            kind,
            email,
            timestamp,
            sg_message_id,
            reason,
            bounce_type,
            classification,
            machine_open,
            url,
            raw,
            link is None and key is not None,  # other_log: a message key this log never gave out
        )
        for (
            kind,
            timestamp,
            email,
            sg_event_id,
            sg_message_id,
            campaign_id,
            key,
            reason,
            bounce_type,
            classification,
            machine_open,
            url,
            raw,
            dedupe_key,
        ), link in zip(batch, linked, strict=True)
    ]
    return Staged(len(events), batch, linked, rows, _note(batch, linked, links))


class Ingest:
    """Events stored through one connection, in the caller's transaction, a chunk at a time.

    ``add`` stores a chunk's events and their suppressions at once; what they say about
    messages (settled unknowns, deliveries moved forward) is gathered and written by ``finish``
    in a few set-wide statements, one row per message rather than one per event. A whole
    events file goes through one Ingest, so the file is stored all or nothing (imports.py).

    ``links`` remembers messages already looked up (by message key), across chunks of a file
    or requests of the webhook: a message's id and campaign never change and its delivery only
    moves forward, so a remembered link is never wrong in a way that matters (the SQL keeps
    the forward-only rule). ``finish`` brings the links it used up to date; a caller whose
    transaction fails must clear them.

    Reads happen on the same connection, so a chunk sees the events of the chunks before it
    (a bounce repeated further down a file is not counted twice). ``add`` is ``stage`` (the
    message look-ups, reads only) then ``write``; ``apply`` stages before its transaction.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        source: str,
        block_threshold: int,
        now: datetime | None = None,
        links: dict[str, message_store.MessageLink] | None = None,
    ) -> None:
        self.connection = connection
        self.source = source
        self.block_threshold = block_threshold
        self.now = now or clock.now(connection)  # the log's clock: its server's, for a team's PostgreSQL log
        self._links = links
        self._used: dict[str, message_store.MessageLink] = {}  # remembered links whose message changed
        self._reported: set[int] = set()  # unknown or sending messages SendGrid reported on
        self._furthest: dict[int, Delivery] = {}  # message id -> furthest delivery seen, past its stored one
        self._received = self._added = self._unlinked = self._suppressed = self._quarantined = self._foreign = 0
        self._unknown: Counter[str] = Counter()  # events per type SendGrid does not send
        self._unlinked_examples: list[str] = []

    def add(self, events: Sequence[Event]) -> None:
        """Store a chunk's new events (and the suppressions they cause); message changes wait for ``finish``."""
        self.write(stage(self.connection, events, self._links))

    def write(self, staged: Staged) -> None:
        """Store a staged chunk's new events (and the suppressions they cause); message changes wait for ``finish``."""
        self._received += staged.received
        if not staged.events:
            return
        connection = self.connection
        batch, linked = staged.events, staged.linked
        if not SENDGRID_TYPES.issuperset(map(_KIND, batch)):  # rare: the types of the chunk, compared in C
            self._unknown.update(e.event for e in batch if e.event not in SENDGRID_TYPES)
        # Only these need to know whether they were stored before: a cheap look-up, as they are few.
        special = [e for e, link in zip(batch, linked, strict=True) if link is None or e.event in SUPPRESSING]
        stored_before = _stored_before(connection, special)
        rows = staged.rows
        forgotten = _forgotten(connection, batch, linked)
        if forgotten:  # stored as `mailer forget` leaves them: counted, linked, nothing personal
            rows = [_erased_row(row) if index in forgotten else row for index, row in enumerate(rows)]
            erased = {batch[index].dedupe_key for index in forgotten}
        else:
            erased = set()
        # A forgotten journalist's events suppress no one: the address is suppressed as "forgotten" already.
        # Another log's events (a message key this log does not know) are counted apart; they suppress as any event does.
        foreign = {e.dedupe_key for e, link in zip(batch, linked, strict=True) if link is None and e.message_key is not None}
        new_suppressing = [
            e for e in special if e.event in SUPPRESSING and e.dedupe_key not in stored_before and e.dedupe_key not in erased
        ]
        self._added += event_store.insert_values(connection, rows)
        self._merge(staged.notes)
        self._suppressed += _suppress(
            connection, new_suppressing, source=self.source, block_threshold=self.block_threshold, now=self.now, foreign=foreign
        )
        unlinked = [
            index for index, (e, link) in enumerate(zip(batch, linked, strict=True)) if link is None and e.dedupe_key not in stored_before
        ]
        self._unlinked += len(unlinked)
        for index in unlinked[: max(0, UNLINKED_SHOWN - len(self._unlinked_examples))]:
            event = batch[index]
            who = "a journalist erased with mailer forget" if index in forgotten else event.email or "no address"
            when = datetime.fromtimestamp(event.timestamp, UTC)
            self._unlinked_examples.append(f"{event.event} of {who} at {when:%Y-%m-%d %H:%M} UTC")
        self._foreign += sum(1 for key in foreign if key not in stored_before)

    def quarantine(self, items: Sequence[Quarantined]) -> None:
        """Keep what could not be read, raw with the reason (a copy already kept adds nothing)."""
        if not items:
            return
        self._received += len(items)
        self._quarantined += len(items)
        entries = [quarantine_store.Entry(self.source, q.where, q.reason, q.raw, self.now) for q in items]
        quarantine_store.insert(self.connection, entries)

    def finish(self) -> Applied:
        """Write the message changes gathered so far; the totals since the start."""
        message_store.settle_unknown(self.connection, self._reported, now=self.now)
        # The SQL keeps the forward-only rule too, for another worker writing the same message.
        message_store.advance_delivery(self.connection, self._furthest, now=self.now)
        if self._links is not None:
            accepted = MessageState.ACCEPTED.value
            for key, link in self._used.items():
                delivery = self._furthest.get(link.message_id)
                state = accepted if link.message_id in self._reported else link.state
                self._links[key] = message_store.MessageLink(
                    link.message_id,
                    link.campaign_id,
                    link.sg_message_id,
                    link.created_at,
                    state,
                    _TEXT[delivery] if delivery else link.delivery,
                )
        self._reported, self._furthest, self._used = set(), {}, {}
        received, added = self._received, self._added
        return Applied(
            received=received,
            added=added,
            duplicates=received - self._quarantined - added,
            unlinked=self._unlinked,
            suppressed=self._suppressed,
            quarantined=self._quarantined,
            unknown_types=dict(self._unknown),
            foreign=self._foreign,
            unlinked_examples=tuple(self._unlinked_examples),
        )

    def _merge(self, notes: Notes) -> None:
        """Add a chunk's notes to those of the chunks before it (the furthest delivery of each message wins)."""
        self._reported |= notes.reported
        self._used.update(notes.used)
        furthest = self._furthest
        if not furthest:
            furthest.update(notes.furthest)
            return
        for message_id, delivery in notes.furthest.items():
            current = furthest.get(message_id)
            if current is None or DELIVERY_RANK[delivery] > DELIVERY_RANK[current]:
                furthest[message_id] = delivery


def _note(
    events: Sequence[Event], linked: Sequence[message_store.MessageLink | None], known: Mapping[str, message_store.MessageLink] | None
) -> Notes:
    """Unknown messages SendGrid reports on, and each message's furthest delivery past the one its link shows.

    Reads only the links (``known``: the remembered ones, whose entries ``finish`` brings up to date).
    """
    notes = Notes(set(), {}, {})
    reported, furthest, used = notes
    for event, link in zip(events, linked, strict=True):
        if link is None:
            continue
        kind = event.event
        if link.state in _UNSETTLED and kind in KNOWN_TYPES:
            reported.add(link.message_id)
            key = event.message_key
            if known is not None and key is not None and known.get(key) is link:
                used[key] = link
        delivery = event.delivery if kind == "bounce" else DELIVERY_OF.get(kind)
        if delivery is None:
            continue
        current = furthest.get(link.message_id)
        current_rank = DELIVERY_RANK[current] if current is not None else _VALUE_RANK.get(link.delivery, 0)  # type: ignore[arg-type]
        if DELIVERY_RANK[delivery] > current_rank:
            furthest[link.message_id] = delivery
            key = event.message_key
            if known is not None and key is not None and known.get(key) is link:  # a remembered link: bring it up to date
                used[key] = link
    return notes


_TEXT: Mapping[Delivery, str] = {delivery: delivery.value for delivery in Delivery}
_KIND = itemgetter(0)  # Event.event
# A stored delivery's rank by its text; 0 for none (or a value this version does not know).
_VALUE_RANK: Mapping[str, int] = {delivery.value: rank for delivery, rank in DELIVERY_RANK.items()}
# The order of the rows ``Ingest.add`` writes: store.events.COLUMNS must match (tests/test_events.py).
ROW_COLUMNS = (
    "sg_event_id",
    "dedupe_key",
    "campaign_id",
    "message_id",
    "event",
    "email",
    "timestamp",
    "sg_message_id",
    "reason",
    "bounce_type",
    "bounce_classification",
    "machine_open",
    "url",
    "raw",
    "other_log",
)
# What ``mailer forget`` blanks in an event row (store.events.erase_address): positions in ROW_COLUMNS.
_PERSONAL = tuple(ROW_COLUMNS.index(name) for name in ("email", "reason", "url"))
_RAW = ROW_COLUMNS.index("raw")
# A message SendGrid reports on was accepted, whatever the log says: unknown, left `sending` by a
# log from before version 9, or `planned` (its request in flight, or left in flight by a crash).
_UNSETTLED = frozenset({MessageState.UNKNOWN.value, MessageState.SENDING.value, MessageState.PLANNED.value})


def _unique(events: Sequence[Event]) -> list[Event]:
    """The batch without events repeated inside it (same sg_event_id or same content)."""
    count = len(events)
    if len({e.sg_event_id for e in events}) == count and len({e.dedupe_key for e in events}) == count:
        return list(events)  # the usual batch: nothing repeated (checked in C, not event by event)
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


def _link(
    connection: Connection, events: Sequence[Event], known: dict[str, message_store.MessageLink] | None
) -> list[message_store.MessageLink | None]:
    """The message each of ``events`` is about (None: none found), by custom_args key, else address and time.

    Only events without a message key are matched by address: one whose key this log does not
    know is another log's, even when its address and campaign id match one of ours (two clients'
    logs both hold a ``<day>-launch``; newcomer 14 #1).
    """
    keys = [e.message_key for e in events]
    wanted = set(keys)
    wanted.discard(None)
    if known is None:
        by_key = message_store.by_message_key(connection, wanted)  # type: ignore[arg-type]
    else:
        missing = wanted.difference(known)  # looks each wanted key up; ``- known.keys()`` walked every remembered key
        if missing:
            known.update(message_store.by_message_key(connection, missing))  # type: ignore[arg-type]
        by_key = known
    linked: list[message_store.MessageLink | None] = list(map(by_key.get, keys))  # type: ignore[arg-type]
    orphans = [i for i, link in enumerate(linked) if link is None and events[i].email and events[i].message_key is None]
    if orphans:
        candidates = message_store.by_address(connection, {events[i].email for i in orphans})  # type: ignore[misc]
        for index in orphans:
            linked[index] = _best_candidate(events[index], candidates.get(events[index].email or "", []))
    return linked


def _forgotten(connection: Connection, events: Sequence[Event], linked: Sequence[message_store.MessageLink | None]) -> set[int]:
    """The positions of ``events`` about a journalist erased with ``mailer forget`` (newcomer
    review 9: late opens and clicks stored their address, IP and link again): by the address,
    suppressed as "forgotten", or, for an event without one, by the erased message it links to.

    Looked up inside the batch's transaction; on PostgreSQL holding the ingest lock, which forget
    takes too, so an erasure is never missed between this look-up and the insert.
    """
    event_store.hold_ingest_lock(connection)
    addresses = {e.email for e in events if e.email}
    erased = suppression_store.forgotten_among(connection, addresses) if addresses else set()
    bare = {link.message_id for e, link in zip(events, linked, strict=True) if not e.email and link is not None}
    erased_messages = message_store.forgotten_among(connection, bare) if bare else set()
    if not erased and not erased_messages:
        return set()
    return {
        index
        for index, (e, link) in enumerate(zip(events, linked, strict=True))
        if (e.email in erased if e.email else link is not None and link.message_id in erased_messages)
    }


def _erased_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An event row (``ROW_COLUMNS``) as ``store.events.erase_address`` leaves it: no address, reason, link or raw JSON."""
    values = list(row)
    for position in _PERSONAL:
        values[position] = None
    values[_RAW] = "{}"
    return tuple(values)


def _stored_before(connection: Connection, events: Sequence[Event]) -> set[str]:
    """The dedupe keys of those ``events`` already in the log (by either key)."""
    if not events:
        return set()
    known_ids = event_store.known_event_ids(connection, [e.sg_event_id for e in events if e.sg_event_id])
    known_content = event_store.known_dedupe_keys(connection, [e.dedupe_key for e in events])
    return {e.dedupe_key for e in events if e.dedupe_key in known_content or e.sg_event_id in known_ids}


def _best_candidate(event: Event, candidates: Sequence[message_store.MessageLink]) -> message_store.MessageLink | None:
    """The message an event without a message key is about, or None when it is not ours.

    An event naming a request (``sg_message_id``) belongs to the message of that request; one
    naming a request we never made is mail sent by other software on the same account. An
    event naming none (late bounces) goes to the latest message sent to the address in the
    week before it, in its campaign when it names one.
    """
    request_id = (event.sg_message_id or "").split(".", 1)[0]
    if request_id:
        return next((c for c in candidates if c.sg_message_id == request_id), None)
    if event.campaign_id:
        candidates = [c for c in candidates if c.campaign_id == event.campaign_id]
    earlier = [c for c in candidates if event.timestamp - LATE_EVENT_WINDOW <= c.created_at <= event.timestamp]
    return max(earlier, key=lambda c: c.created_at) if earlier else None


def _suppress(
    connection: Connection, events: Iterable[Event], *, source: str, block_threshold: int, now: datetime, foreign: Container[str] = ()
) -> int:
    """Suppress addresses that bounced hard, were blocked too often, complained or unsubscribed.

    ``foreign``: the dedupe keys of events about another log's mail (``Applied.foreign``). Their
    bounces, unsubscribes, spam reports and group unsubscribes suppress as this log's do, noted as
    such; their blocks do not count towards ``block_threshold``, and their group resubscribes undo
    only their own log's group unsubscribes (store.events: ``blocked_counts``, ``standing_group``;
    fix 15b).
    """
    entries: list[suppression_store.Suppression] = []
    blocked: set[str] = set()
    group_changes: set[str] = set()
    for event in events:
        if not event.email:
            continue
        other_log = event.dedupe_key in foreign
        when = datetime.fromtimestamp(event.timestamp, UTC)
        reason, note = _suppression_for(event)
        if reason is not None:
            note = _in_other_log(note) if other_log else note
            entries.append(suppression_store.Suppression(event.email, reason, source, note, when))
        elif other_log and event.event == "bounce":
            continue  # a block in another log's mail: it judges that sender's mail (store.events.blocked_counts)
        elif event.event == "bounce" and event.bounce_type == "blocked":
            blocked.add(event.email)
        elif event.event in ("group_unsubscribe", "group_resubscribe"):
            group_changes.add(event.email)
    for email, (count, last) in event_store.blocked_counts(connection, blocked).items():
        if count >= block_threshold:
            note = f"blocked {count} times; last: {last}" if last else f"blocked {count} times"
            entries.append(suppression_store.Suppression(email, SuppressionReason.BLOCK, source, note, now))
    for email, changes in event_store.latest_group_events(connection, group_changes).items():
        standing = event_store.standing_group(changes)  # another log's or group's resubscribe never undoes this one's unsubscribe
        if standing is None:
            suppression_store.lift_group_unsubscribe(connection, email)  # a later stop of hers stands (review 17w #1)
        else:
            timestamp, other_log = standing
            when = datetime.fromtimestamp(timestamp, UTC)
            note = _in_other_log(GROUP_NOTE) if other_log else GROUP_NOTE  # still starts GROUP_NOTE: a resubscribe lifts it
            entries.append(suppression_store.Suppression(email, SuppressionReason.UNSUBSCRIBE, source, note, when))
    return suppression_store.insert(connection, entries)


OTHER_LOG_NOTE = suppression_store.OTHER_LOG_NOTE


def _in_other_log(note: str | None) -> str:
    """A suppression's note, saying the event came in mail another delivery log sent (``mailer
    suppressions list`` and ``mailer contact`` show it, so the office can tell a file imported by
    mistake from its own journalists' word)."""
    return f"{note} ({OTHER_LOG_NOTE})" if note else OTHER_LOG_NOTE


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
        if reason.startswith(_REQUEST_FAULTS):
            return None, None
        for prefix, suppression_reason in DROPPED_REASONS.items():
            if reason.startswith(prefix):
                return suppression_reason, f"SendGrid dropped: {event.reason}"
    return None, None


def _short(text: str | None, limit: int = 200) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"
