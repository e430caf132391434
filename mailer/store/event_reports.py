"""The event table read for reports: per-campaign tallies, timelines, per-message rollups.

The read side of ``store/events.py``, kept apart so each stays short; every query is grouped
in the database, so a 1M-event campaign reports in about a second. The message rows the
events are rolled up onto come from ``store/messages.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Integer, Result, String, and_, bindparam, case, cast, func, null, or_, select

from mailer.models import BOUNCED
from mailer.store import messages
from mailer.store.events import GroupChange, group_of, standing_unsubscribes
from mailer.store.schema import event, message

if TYPE_CHECKING:
    import numpy as np

ENGAGEMENT = ("open", "click", "spamreport")
SUBSCRIPTION = ("unsubscribe", "group_unsubscribe", "group_resubscribe")
FINE_BUCKET = 900  # seconds: the timeline is read in 15-minute buckets and merged into wider bars
# An open by a person: Apple Mail Privacy Protection's pre-fetch (sg_machine_open) left out.
# The one definition every report figure and follow-up selection uses (SENDGRID.md §4.5).
HUMAN_OPEN = (event.c.event == "open") & event.c.machine_open.is_not(True)
# A journalist who opened the email (every report figure of journalists who opened, and follow-ups
# by opens): an open by a person, or a click. Apple Mail serves its reader the pixel it pre-fetched,
# so an Apple Mail reader's only sign may be a click; one whose mail shows no images leaves no open
# at all (review 18r #9: journalists who clicked were counted as not opened, and a `--who
# not-opened` follow-up asked them whether they had seen the release). Per-journalist counts of
# opens stay counts of open events.
CLICK = event.c.event == "click"
OPENED = (event.c.event == "open") | CLICK
OPENED_BY_PERSON = HUMAN_OPEN | CLICK


@dataclass(frozen=True, slots=True)
class MessageActivity:
    """One message row with its events rolled up, for the per-journalist reports."""

    email: str
    name: str  # first and last name from the contact snapshot
    outlet: str
    state: str
    skip_reason: str | None
    delivery: str | None
    first_event: int | None
    last_event: int | None
    opens: int
    human_opens: int
    first_open: int | None
    last_open: int | None
    clicks: int
    first_click: int | None
    last_click: int | None
    urls: tuple[str, ...]
    bounce_type: str | None
    bounce_classification: str | None
    bounce_reason: str | None
    bounce_time: int | None
    language: str | None = None  # the release version it got (issue 14); None when skipped
    detail: str | None = None  # why it was skipped ("already received in ...") or failed (SendGrid's words)
    source: str | None = None  # its list file and row ("lists/beat.csv:4")
    unsubscribed: bool = False  # unsubscribed (and not resubscribed since), as the summary counts it
    spam_report: bool = False  # marked the email as spam
    # Of a bounced, blocked or dropped message the journalist opened or clicked all the same
    # (``REACHED``): the first such event, "open", "pre-fetch" (an open by Apple Mail's pre-fetch)
    # or "click", and its time; None for any other message.
    first_reached: tuple[str, int] | None = None


def engagement_tallies(connection: Connection, campaign_ids: Collection[str]) -> dict[str, dict[str, int]]:
    """Per campaign: how many distinct messages were opened ("open": a click counts), opened by a
    person ("human_open"), clicked and reported as spam; a count of 0 is left out."""
    tallies: dict[str, dict[str, int]] = {cid: {} for cid in campaign_ids}
    # One pass over the campaigns' engagement events: the messages with each kind, and those opened
    # (a click counts as an open, ``OPENED``; by a person, ``OPENED_BY_PERSON``). Three queries, one
    # per count, took 0.98 s of a summary's 1.4 s CPU at a million events; this one 0.51 s.
    counted = {"open": OPENED, "human_open": OPENED_BY_PERSON, "click": CLICK, "spamreport": event.c.event == "spamreport"}
    query = (
        select(event.c.campaign_id, *(func.count(case((which, event.c.message_id)).distinct()) for which in counted.values()))
        .where(event.c.campaign_id.in_(list(campaign_ids)), event.c.message_id.is_not(None), event.c.event.in_(ENGAGEMENT))
        .group_by(event.c.campaign_id)
    )
    for campaign_id, *counts in connection.execute(query):
        tallies[campaign_id].update((key, count_) for key, count_ in zip(counted, counts, strict=True) if count_)
    for campaign_id, count_ in unsubscribed(connection, campaign_ids).items():
        tallies[campaign_id]["unsubscribed"] = count_
    return tallies


def engaged_messages(connection: Connection, campaign_ids: Collection[str]) -> tuple[set[int], set[int]]:
    """(ids of messages opened by people, ids of messages clicked) in these campaigns.

    The same events ``engagement_tallies`` counts: linked to a message, opens by people only
    (``HUMAN_OPEN``), or a click (``OPENED_BY_PERSON``). Follow-ups select their recipients with it.
    """
    opened: set[int] = set()
    clicked: set[int] = set()
    query = (
        select(event.c.message_id, event.c.event)
        .where(event.c.campaign_id.in_(list(campaign_ids)), event.c.message_id.is_not(None), HUMAN_OPEN | (event.c.event == "click"))
        .distinct()
    )
    for message_id, kind in connection.execute(query):
        (clicked if kind == "click" else opened).add(message_id)
    opened |= clicked  # whoever clicked had it open
    return opened, clicked


def unsubscribed(connection: Connection, campaign_ids: Collection[str]) -> dict[str, int]:
    """Per campaign: journalists who unsubscribed and did not resubscribe afterwards (``_gone``)."""
    counts: dict[str, int] = {}
    for campaign_id in _gone(connection, event.c.campaign_id.in_(list(campaign_ids))).values():
        counts[campaign_id] = counts.get(campaign_id, 0) + 1
    return counts


def _gone(connection: Connection, where: ColumnElement[bool]) -> dict[int, str]:
    """Messages (id -> campaign) whose journalist is unsubscribed (``_gone_of``): the one rule for
    reports and ``mailer contact``."""
    query = select(event.c.campaign_id, event.c.message_id, event.c.event, event.c.timestamp, event.c.raw).where(
        where, event.c.message_id.is_not(None), event.c.event.in_(SUBSCRIPTION)
    )
    return _gone_of(connection.execute(query))


def _gone_of(rows: Iterable[Sequence[Any]]) -> dict[int, str]:
    """``_gone`` over (campaign id, message id, event, timestamp, raw JSON) rows already read.

    As the suppression list weighs them (``store.events.standing_unsubscribes``): an unsubscribe
    from all mail stands; a group unsubscribe stands until a later resubscribe to that group (one
    naming no group matches any). One who did both kinds counts once. Review 24r #4: the latest
    of the three events decided, so a journalist who left the press releases' group and ticked
    the newsletter's in SendGrid's preference page, or unsubscribed from all mail and then
    resubscribed to the group, was counted as not unsubscribed while the suppression list kept them.
    """
    campaigns: dict[int, str] = {}
    globally: set[int] = set()
    groups: dict[int, list[GroupChange]] = {}
    for campaign_id, message_id, kind, timestamp, raw in rows:
        campaigns[message_id] = campaign_id
        if kind == "unsubscribe":
            globally.add(message_id)
        else:  # linked to this log's message: its own mail, never another log's
            groups.setdefault(message_id, []).append(GroupChange(kind, timestamp, False, group_of(raw), True))
    gone = globally | {message_id for message_id, changes in groups.items() if standing_unsubscribes(changes)}
    return {message_id: campaigns[message_id] for message_id in gone}


@dataclass(frozen=True, slots=True)
class Engagement:
    """Who opened and clicked one campaign's emails, and when: what the HTML page draws.

    Message ids are kept as the decimal text the database gives them in (``"12"``): the outlet
    roll-up matches them against the ids ``messages.outlets`` lists, with no conversion either side.
    """

    opened: set[str]  # ids of messages with any open
    opened_human: set[str]  # ids of messages opened by a person (not only Apple's pre-fetch)
    clicked: set[str]  # ids of messages with a click
    spam_reports: int  # distinct messages marked as spam
    # FINE_BUCKET start (Unix s) -> (journalists whose first open by a person falls in it, clicks):
    # each journalist counted once, so the bars add up to ``opened_human`` (fix12r: they counted opens).
    timeline: Mapping[int, tuple[int, int]]


def engagement(connection: Connection, campaign_id: str) -> Engagement:
    """Openers, clickers and the fine timeline of one campaign, reading each open and click once.

    The ids come back from the database as comma-separated texts, never a row per event:
    on SQLite from ``_scanned`` (no GROUP BY, which SQLite does by sorting every event), on
    PostgreSQL from ``_grouped`` (a GROUP BY per bucket, which it does by hashing).
    """
    read = _scanned if connection.dialect.name == "sqlite" else _grouped
    human, opened, clicked, first_opens, clicks = read(connection, campaign_id)
    human |= clicked  # whoever clicked had it open (``OPENED_BY_PERSON``); the timeline counts them at their first click
    opened |= clicked
    timeline = {start * FINE_BUCKET: (first_opens[start], clicks[start]) for start in first_opens.keys() | clicks.keys()}
    linked = (event.c.campaign_id == campaign_id, event.c.message_id.is_not(None))
    spam = select(func.count(event.c.message_id.distinct())).where(*linked, event.c.event == "spamreport")
    return Engagement(
        opened=opened,  # not copied into frozensets: 4 MB a copy per 100,000 ids
        opened_human=human,
        clicked=clicked,
        spam_reports=int(connection.scalar(spam) or 0),
        timeline=timeline,
    )


# (ids opened by people, ids opened at all (by people or by Apple's pre-fetch), ids clicked,
# journalists first opening by a person per FINE_BUCKET number, clicks per FINE_BUCKET number); ids as text.
Read = tuple[set[str], set[str], set[str], Counter[int], Counter[int]]
PERSON = event.c.machine_open.is_not(True)
BUCKET = event.c.timestamp // FINE_BUCKET


def _scanned(connection: Connection, campaign_id: str) -> Read:
    """The opens, then the clicks, ``CHUNK`` event ids at a time, each chunk as a few
    comma-separated texts (who as a person, who by Apple's pre-fetch, in which bucket) counted in
    Python: memory bounded by the chunk, whatever the campaign's size."""
    human: set[str] = set()
    opened: set[str] = set()
    clicked: set[str] = set()
    firsts: list[tuple[np.ndarray, np.ndarray]] = []  # per chunk: (journalists who opened as a person, their first bucket)
    clicks: Counter[str] = Counter()
    by_person, by_machine = case((PERSON, event.c.message_id)), case((PERSON, null()), else_=event.c.message_id)
    for people, machines, buckets in _concatenated(connection, campaign_id, "open", by_person, by_machine, case((PERSON, BUCKET))):
        who = _split(people)
        human.update(who)
        opened.update(who)
        opened.update(_split(machines))
        if people and buckets:  # one aggregate pass: the two texts are in step, an open each
            firsts.append(_earliest(_numbers(people), _numbers(buckets)))
    for people, buckets in _concatenated(connection, campaign_id, "click", event.c.message_id, BUCKET):
        clicked.update(_split(people))
        clicks.update(_split(buckets))
        if people and buckets:  # a click is an open by a person too: the first of either is when they opened
            firsts.append(_earliest(_numbers(people), _numbers(buckets)))
    return human, opened, clicked, _first_opens(firsts), _numbered(clicks)


def _numbers(text: str) -> np.ndarray:
    """ "12,13,7" as an integer array, parsed by numpy (a Python int() per open costs ten times more)."""
    import numpy as np

    return np.fromstring(text, dtype=np.int64, sep=",")


def _earliest(who: np.ndarray, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each journalist of ``who`` once, with the earliest of their ``buckets`` (the arrays in step).

    Sorted as one key, message id above bucket (a bucket number is under 2**32 for any timestamp
    before the year 9999, which parse.py enforces): ten times the speed of a two-key sort. Ids
    past 2**31 (never seen) take the two-key sort.
    """
    import numpy as np

    if not len(who):
        return who, buckets
    if int(who.max()) < 1 << 31 and int(who.min()) >= 0 and int(buckets.min()) >= 0:
        keys = np.sort((who << 32) | buckets)
        who, buckets = keys >> 32, keys & 0xFFFFFFFF
    else:
        order = np.lexsort((buckets, who))
        who, buckets = who[order], buckets[order]
    first = np.ones(len(who), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    return who[first], buckets[first]


def _first_opens(firsts: Sequence[tuple[np.ndarray, np.ndarray]]) -> Counter[int]:
    """Journalists per bucket of their first open by a person, from ``_earliest`` of each part of the opens."""
    import numpy as np

    if not firsts:
        return Counter()
    _who, buckets = _earliest(np.concatenate([who for who, _ in firsts]), np.concatenate([b for _, b in firsts]))
    numbers, counts = np.unique(buckets, return_counts=True)
    return Counter(dict(zip(numbers.tolist(), counts.tolist(), strict=True)))


def _grouped(connection: Connection, campaign_id: str) -> Read:
    """The opens grouped by bucket and by person or machine, the clicks by bucket, each group
    with its count and its ids."""
    import numpy as np

    linked = (event.c.campaign_id == campaign_id, event.c.message_id.is_not(None))
    bucket = BUCKET.label("bucket")
    ids = func.aggregate_strings(cast(event.c.message_id, String), ",")
    person = case((PERSON, 1), else_=0).label("person")
    human: set[str] = set()
    opened: set[str] = set()
    clicked: set[str] = set()
    firsts: list[tuple[np.ndarray, np.ndarray]] = []  # per bucket: (journalists who opened as a person in it, the bucket)
    clicks: Counter[int] = Counter()
    opens = select(bucket, person, func.count(), ids).where(*linked, event.c.event == "open").group_by(bucket, person)
    for number, is_person, _count, listed in connection.execute(opens):
        who = listed.split(",")
        opened.update(who)
        if is_person:
            human.update(who)
            people = _numbers(listed)
            firsts.append((people, np.full(len(people), int(number), dtype=np.int64)))
    for number, count_, listed in connection.execute(
        select(bucket, func.count(), ids).where(*linked, event.c.event == "click").group_by(bucket)
    ):
        clicked.update(listed.split(","))
        clicks[int(number)] += int(count_)
        people = _numbers(listed)  # a click is an open by a person too: the first of either is when they opened
        firsts.append((people, np.full(len(people), int(number), dtype=np.int64)))
    return human, opened, clicked, _first_opens(firsts), clicks


def _numbered(counts: Counter[str]) -> Counter[int]:
    return Counter({int(key): n for key, n in counts.items()})


CHUNK = 50_000  # event ids read at a time by ``engagement`` on SQLite: bounds its memory


def _concatenated(connection: Connection, campaign_id: str, kind: str, *columns: ColumnElement[Any]) -> Iterator[list[str | None]]:
    """The campaign's ``kind`` events linked to a message, ``CHUNK`` event ids at a time: per
    chunk, each column's values as one comma-separated text (None where every value is NULL;
    NULLs are left out).

    A chunk is a range of ids, read along the (campaign, event) index, whose entries are in id
    order already: no sort and no subquery (a LIMIT-ed, ordered subquery per chunk cost half as
    much again as the reading itself). Ranges with none of these events are skipped: each chunk
    starts at the next such event's id.
    """
    kind_of = (event.c.campaign_id == campaign_id, event.c.event == kind)
    start = bindparam("start", type_=Integer)
    # group_concat's default separator is a comma; given as a parameter, it costs a third more.
    texts = select(*(func.group_concat(column) for column in columns)).where(
        *kind_of, event.c.message_id.is_not(None), event.c.id >= start, event.c.id < start + CHUNK
    )
    # min() alone on an indexed column is one index lookup in SQLite; min(), max() together a scan.
    following = select(func.min(event.c.id)).where(*kind_of, event.c.id >= start)
    first = connection.scalar(following, {"start": 0})
    while first is not None:
        values = list(connection.execute(texts, {"start": first}).one())
        if any(value is not None for value in values):
            yield values
        first = connection.scalar(following, {"start": first + CHUNK})


def _split(text: str | None) -> list[str]:
    return text.split(",") if text else []


# The bounce or drop event that gave a message the delivery it has (models.DELIVERY_RANK): a
# hard bounce ("bounce" of any type but "blocked", as parse.Event.delivery reads it) for
# "bounced", a block for "blocked", a drop for "dropped". A message with several (blocked, then
# bounced; bounced, then dropped; two hard bounces classified differently) is shown and counted
# by that one, the latest of them, so the summary's breakdown adds up to its lines and every
# report and `mailer contact` name the same bounce (review 24r #1: a journalist blocked and then
# hard-bounced counted as one hard bounce, yet "Reputation" under "blocked 0", and the bounces
# report said "blocked").
_IS_BLOCK = and_(event.c.event == "bounce", event.c.bounce_type == "blocked")
_IS_HARD = and_(event.c.event == "bounce", or_(event.c.bounce_type.is_(None), event.c.bounce_type != "blocked"))
DECIDING = or_(
    and_(message.c.delivery == "bounced", _IS_HARD),
    and_(message.c.delivery == "blocked", _IS_BLOCK),
    and_(message.c.delivery == "dropped", event.c.event == "dropped"),
)


def _bounces(connection: Connection, where: ColumnElement[bool], *columns: ColumnElement[Any]) -> dict[int, tuple[Any, ...]]:
    """Message id -> ``columns`` of the bounce or drop event that decided its delivery (``DECIDING``;
    failing one, its latest such event), for the messages ``where`` selects."""
    query = (
        select(event.c.message_id, *columns)
        .select_from(event.join(message, message.c.id == event.c.message_id))
        .where(where, event.c.message_id.is_not(None), event.c.event.in_(("bounce", "dropped")))
        .order_by(case((DECIDING, 1), else_=0), event.c.timestamp, event.c.id)
    )
    return {row[0]: tuple(row[1:]) for row in connection.execute(query)}


BOUNCE_COLUMNS = (event.c.event, event.c.bounce_type, event.c.bounce_classification, event.c.reason, event.c.timestamp)


def _bounce(kind: str, bounce_type: str | None, classification: str | None, reason: str | None, timestamp: int) -> tuple[Any, ...]:
    """(bounce type as the reports name it: "bounce" (hard), "blocked" or "dropped"; classification; reason; time)."""
    if kind == "dropped":
        return ("dropped", classification, reason, timestamp)
    return ("blocked" if bounce_type == "blocked" else "bounce", classification, reason, timestamp)


def bounce_tallies(connection: Connection, campaign_id: str) -> list[tuple[str, str | None, bool, int]]:
    """(bounce type, classification, opened, journalists) for a campaign's bounced and blocked
    messages, each counted once, by the event that decided its delivery (``DECIDING``); ``opened``:
    those the journalist opened or clicked all the same (``REACHED``), which the summary counts as
    delivered and breaks down apart."""
    found = _bounces(connection, event.c.campaign_id == campaign_id, event.c.event, event.c.bounce_type, event.c.bounce_classification)
    opened = reached_among(connection, found) if found else set()
    tallies = Counter(
        # any other type is a hard bounce, as parse.py reads it
        ("blocked" if bounce_type == "blocked" else "bounce", classification, message_id in opened)
        for message_id, (kind, bounce_type, classification) in found.items()
        if kind == "bounce"
    )
    return [(bounce_type, classification, was_opened, n) for (bounce_type, classification, was_opened), n in tallies.items()]


# An open (by a person or by Apple's pre-fetch), a click, a spam report or an unsubscribe (from
# all mail or the group, or a resubscribe: SENDGRID.md §2.2, each done in the inbox): proof that
# the email reached the journalist, whatever bounce SendGrid reported of it before or after
# (events come out of order, and a "delivered" may never come: §2.1). The summary counts such a
# journalist as delivered, not among the bounced: "Opened", "Marked as spam" and "Unsubscribed"
# can never exceed "Delivered". The bounce still suppresses her, and the bounces report still
# lists her, saying which came first ("bounced after opening", "marked as spam after the bounce").
REACHED = ("open", "click", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe")
# ``first_reached``'s order among events of one second: an open by a person first, then Apple's pre-fetch, ...
_REACHED_ORDER = {"open": 0, "pre-fetch": 1, "click": 2, "spamreport": 3, "unsubscribe": 4, "group_unsubscribe": 5, "group_resubscribe": 6}


def was_reached(message_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether the message ``message_id`` names has an event linked to it that proves it arrived (``REACHED``; the event_message index)."""
    return select(event.c.id).where(event.c.message_id == message_id, event.c.event.in_(REACHED)).exists()


def reached_among(connection: Connection, message_ids: Collection[int]) -> set[int]:
    """Those of ``message_ids`` (bounced ones: a few) whose journalist opened, clicked, marked as spam or unsubscribed (``REACHED``)."""
    ids = list(message_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query = select(event.c.message_id).where(event.c.message_id.in_(chunk), event.c.event.in_(REACHED)).distinct()
        found.update(connection.scalars(query))
    return found


def opened_bounced(connection: Connection, campaign_ids: Collection[str]) -> dict[str, Counter[str]]:
    """Per campaign: its messages whose delivery is bounced, blocked or dropped though their
    journalist opened or clicked (``REACHED``), per delivery. Through the message table's campaign
    index, then one index look-up per bounced message: a few, however many opens the campaign has."""
    bounced = [d.value for d in BOUNCED]
    query = (
        select(message.c.campaign_id, message.c.delivery, func.count())
        .where(message.c.campaign_id.in_(list(campaign_ids)), message.c.delivery.in_(bounced), was_reached(message.c.id))
        .group_by(message.c.campaign_id, message.c.delivery)
    )
    counts: dict[str, Counter[str]] = {}
    for campaign_id, delivery, n in connection.execute(query):
        counts.setdefault(campaign_id, Counter())[delivery] = int(n)
    return counts


NEEDS: Mapping[str, frozenset[str]] = {
    "recipients": frozenset({"overall", "bounces", "subscription"}),
    "opens": frozenset({"opens", "clicks"}),  # a journalist who clicked opened it (``OPENED``)
    "clicks": frozenset({"clicks"}),
    "bounces": frozenset({"bounces"}),
    "outlets": frozenset({"overall", "bounces"}),  # bounced though it got there: delivered (``REACHED``)
}


def activity(connection: Connection, campaign_id: str, *, kinds: Collection[str]) -> list[MessageActivity]:
    """Every message row of a campaign with its events rolled up as the report ``kinds`` need.

    Each part is one grouped pass over the campaign's events; parts no kind needs are skipped
    (their figures stay zero), which keeps a 1M-event export within seconds.
    """
    parts = frozenset().union(*(NEEDS[kind] for kind in kinds))
    linked = (event.c.campaign_id == campaign_id, event.c.message_id.is_not(None))
    is_open = event.c.event == "open"
    human = case((is_open & event.c.machine_open.is_not(True), 1), else_=0)
    overall: dict[int, tuple[Any, ...]] = {}
    if "overall" in parts:
        query = (
            select(
                event.c.message_id,
                func.min(event.c.timestamp),
                func.max(event.c.timestamp),
                func.sum(case((is_open, 1), else_=0)),
                func.sum(human),
                func.sum(case((event.c.event == "click", 1), else_=0)),
            )
            .where(*linked)
            .group_by(event.c.message_id)
        )
        overall = {row[0]: tuple(row[1:]) for row in connection.execute(query).all()}
    opens = _rollup(connection, linked, "open", func.sum(human)) if "opens" in parts else {}
    clicks = _rollup(connection, linked, "click", null()) if "clicks" in parts else {}
    urls: dict[int, list[str]] = {}
    if "clicks" in parts:
        url_query = select(event.c.message_id, event.c.url).where(*linked, event.c.event == "click", event.c.url.is_not(None)).distinct()
        for message_id, url in connection.execute(url_query):
            urls.setdefault(message_id, []).append(url)
    bounces: dict[int, tuple[Any, ...]] = {}
    reached: dict[int, tuple[str, int]] = {}
    if "bounces" in parts:
        found = _bounces(connection, event.c.campaign_id == campaign_id, *BOUNCE_COLUMNS)
        bounces = {message_id: _bounce(*row) for message_id, row in found.items()}
        reached = first_reached(connection, bounces)
    gone: Collection[int] = ()
    spam: Collection[int] = ()
    if "subscription" in parts:  # who unsubscribed or complained, by name (newcomer 20b #5); two indexed reads
        gone = _gone(connection, event.c.campaign_id == campaign_id)
        spam_query = select(event.c.message_id).where(*linked, event.c.event == "spamreport").distinct()
        spam = set(connection.scalars(spam_query))
    none4: tuple[Any, ...] = (None, None, None, None)
    result = []
    for row in _rows(messages.recipients(connection, campaign_id)):
        mid, email, first, last, outlet, state, skip_reason, delivery, language, detail, source = row
        first_event, last_event, open_count, human_count, click_count = overall.get(mid, (None, None, 0, 0, 0))
        o = opens.get(mid, none4)
        c = clicks.get(mid, none4)
        bounce = bounces.get(mid, none4)
        result.append(
            MessageActivity(
                email=email,
                name=_name(first, last),
                outlet=(outlet or "").strip(),
                state=state,
                skip_reason=skip_reason,
                delivery=delivery,
                first_event=first_event,
                last_event=last_event,
                opens=int(o[0] if o[0] is not None else open_count or 0),
                human_opens=int(o[1] if o[1] is not None else human_count or 0),
                first_open=o[2],
                last_open=o[3],
                clicks=int(c[0] if c[0] is not None else click_count or 0),
                first_click=c[2],
                last_click=c[3],
                urls=tuple(sorted(urls.get(mid, ()))),
                bounce_type=bounce[0],
                bounce_classification=bounce[1],
                bounce_reason=bounce[2],
                bounce_time=bounce[3],
                language=language if state != "skipped" else None,  # one waiting elsewhere keeps its version, not got
                detail=detail if state in ("skipped", "failed", "unknown") else None,
                source=source,
                unsubscribed=mid in gone,
                spam_report=mid in spam,
                first_reached=reached.get(mid),
            )
        )
    return result


def first_reached(connection: Connection, message_ids: Collection[int]) -> dict[int, tuple[str, int]]:
    """Of ``message_ids`` (bounced ones: a few), those that reached the journalist (``REACHED``), each
    with its first such event ("open", "pre-fetch": Apple Mail's, "click", "spamreport", "unsubscribe",
    ...) and its time; the earliest wins, in ``_REACHED_ORDER`` at the same second."""
    ids = list(message_ids)
    found: dict[int, tuple[str, int]] = {}
    order = _REACHED_ORDER
    for start in range(0, len(ids), 5000):
        query = (
            select(event.c.message_id, event.c.event, event.c.machine_open.is_(True), func.min(event.c.timestamp))
            .where(event.c.message_id.in_(ids[start : start + 5000]), event.c.event.in_(REACHED))
            .group_by(event.c.message_id, event.c.event, event.c.machine_open.is_(True))
        )
        for message_id, kind, machine, at in connection.execute(query):
            how = "pre-fetch" if kind == "open" and machine else kind
            seen = found.get(message_id)
            if seen is None or (int(at), order[how]) < (seen[1], order[seen[0]]):
                found[message_id] = (how, int(at))
    return found


def _rows(result: Result[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a result fetched in chunks: a fetch call per row costs more than the rows' own work."""
    for chunk in result.partitions(5000):
        yield from chunk


def _name(first: Any, last: Any) -> str:
    """First and last name from the contact snapshot, each stripped; either may be missing."""
    a = str(first).strip() if first else ""
    b = str(last).strip() if last else ""
    return f"{a} {b}" if a and b else a or b


def _rollup(connection: Connection, linked: tuple[Any, ...], kind: str, extra: Any) -> dict[int, tuple[Any, ...]]:
    """message id -> (count, extra, first time, last time) over one event type."""
    query = (
        select(event.c.message_id, func.count(), extra, func.min(event.c.timestamp), func.max(event.c.timestamp))
        .where(*linked, event.c.event == kind)
        .group_by(event.c.message_id)
    )
    return {row[0]: tuple(row[1:]) for row in connection.execute(query)}


@dataclass(frozen=True, slots=True)
class MessageEvents:
    """What the events say about one message (``mailer contact``); times are Unix seconds."""

    opens: int  # every open event
    human_opens: int  # opens not marked sg_machine_open (Apple Mail's pre-fetch left out)
    first_human_open: int | None
    clicks: int
    urls: tuple[str, ...]  # distinct links clicked, sorted
    bounce_type: str | None  # "bounce" (hard), "blocked", or "dropped"; the latest such event
    bounce_classification: str | None
    bounce_reason: str | None
    bounce_time: int | None
    unsubscribed: bool  # an unsubscribe or group_unsubscribe event
    spam_report: bool
    first_reached: tuple[str, int] | None = None  # of a bounced message opened or clicked all the same (``MessageActivity``)


def by_message(connection: Connection, message_ids: Collection[int]) -> dict[int, MessageEvents]:
    """The events of these messages rolled up per message (messages without events are left out).

    Meant for a handful of messages (one journalist's): three queries on the message_id index.
    """
    ids = list(message_ids)
    if not ids:
        return {}
    is_open = event.c.event == "open"
    human = is_open & event.c.machine_open.is_not(True)
    query = (
        select(
            event.c.message_id,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((human, 1), else_=0)),
            func.min(case((human, event.c.timestamp), else_=null())),
            func.sum(case((event.c.event == "click", 1), else_=0)),
            func.sum(case((event.c.event == "spamreport", 1), else_=0)),
        )
        .where(event.c.message_id.in_(ids))
        .group_by(event.c.message_id)
    )
    rolled = {row[0]: tuple(row[1:]) for row in connection.execute(query)}
    urls: dict[int, set[str]] = {}
    url_query = select(event.c.message_id, event.c.url).where(
        event.c.message_id.in_(ids), event.c.event == "click", event.c.url.is_not(None)
    )
    for message_id, url in connection.execute(url_query):
        urls.setdefault(message_id, set()).add(url)
    bounces: dict[int, tuple[int, tuple[Any, ...]]] = {}
    subscription: list[tuple[str, int, str, int, str]] = []
    # Bounces and (un)subscriptions in one read: the bounce that decided the delivery wins, as the
    # reports show it (``DECIDING``; failing one, the latest); the latest subscription event decides.
    bounce_query = (
        select(event.c.campaign_id, event.c.message_id, case((DECIDING, 1), else_=0), *BOUNCE_COLUMNS, event.c.raw)
        .select_from(event.join(message, message.c.id == event.c.message_id))
        .where(event.c.message_id.in_(ids), event.c.event.in_(("bounce", "dropped", *SUBSCRIPTION)))
        .order_by(event.c.timestamp, event.c.id)
    )
    for campaign_id, message_id, deciding, kind, bounce_type, classification, reason, timestamp, raw in connection.execute(bounce_query):
        if kind in SUBSCRIPTION:
            subscription.append((campaign_id, message_id, kind, timestamp, raw))
        elif message_id not in bounces or deciding >= bounces[message_id][0]:
            bounces[message_id] = (deciding, _bounce(kind, bounce_type, classification, reason, timestamp))
    gone = _gone_of(subscription)
    reached = first_reached(connection, bounces)
    result = {}
    for message_id, (opens, human_opens, first_human, clicks, spam) in rolled.items():
        bounce: tuple[Any, ...] = bounces[message_id][1] if message_id in bounces else (None, None, None, None)
        result[message_id] = MessageEvents(
            opens=int(opens or 0),
            human_opens=int(human_opens or 0),
            first_human_open=None if first_human is None else int(first_human),
            clicks=int(clicks or 0),
            urls=tuple(sorted(urls.get(message_id, ()))),
            bounce_type=bounce[0],
            bounce_classification=bounce[1],
            bounce_reason=bounce[2],
            bounce_time=bounce[3],
            unsubscribed=message_id in gone,  # a journalist who resubscribed since is not
            spam_report=bool(spam),
            first_reached=reached.get(message_id),
        )
    return result
