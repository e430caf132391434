"""The delivery log turned into report figures and rows: summary, per journalist, per outlet.

Counts are of journalists (message rows), not of events: three opens by one journalist are one
unique open. Opens are counted twice, all and by people only: Apple Mail Privacy Protection
fetches the tracking pixel of every mail it receives, and SendGrid marks those opens with
``sg_machine_open`` (SENDGRID.md §4.5). A click counts as an open, by a person: Apple Mail shows
its reader the pixel it pre-fetched, so a reader's only sign may be a click (``event_reports.OPENED``). Engagement rates are over delivered messages; the
bounce rate is over messages SendGrid accepted. Test sends and dry runs are never reported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from mailer import models, scheduled
from mailer.controls import one_line
from mailer.counting import counted
from mailer.errors import ReportError
from mailer.models import (
    CANCELLED,
    FORGOTTEN_ADDRESS,
    CampaignStatus,
    Delivery,
    MessageState,
    Mode,
    RejectReason,
    shown_counts,
    shown_state,
    shown_status,
    shown_subject,
    texts,
)
from mailer.reports.kinds import KINDS
from mailer.reports.reach import Reach, reach
from mailer.store import campaigns as campaign_store
from mailer.store import carried, clock, plan_parts, snapshot
from mailer.store import event_reports as event_store
from mailer.store import follow_ups as follow_up_store
from mailer.store import messages as message_store
from mailer.store.campaigns import Campaign
from mailer.store.event_reports import MessageActivity
from mailer.store.failures import in_words

BOUNCED = tuple(d.value for d in models.BOUNCED)  # one definition of bounced: models.BOUNCED
# The summary's line, under "Delivered", of the journalists counted delivered though their email
# bounced (``Summary.opened_bounced``).
AFTER_OPENING = "of them, bounced though it got there (see the bounces report)"
NO_OUTLET = "(no outlet)"
UNHEARD_AFTER = timedelta(hours=1)  # SendGrid posts events within minutes: an hour of silence says they do not arrive


@dataclass(frozen=True, slots=True)
class Summary:
    """A campaign's headline figures."""

    campaign: Campaign
    planned: int  # message rows meant to be sent (skipped rows not included)
    skipped: Mapping[str, int]
    accepted: int
    failed: int
    unknown: int
    delivered: int
    deferred: int
    bounced: int  # hard bounces
    blocked: int
    dropped: int
    bounce_classes: Mapping[str, int]  # "bounce: Invalid Address" -> journalists
    opened: int
    opened_human: int
    clicked: int
    spam_reports: int
    unsubscribed: int
    reach: Reach | None = None  # with its follow-ups, or its original and theirs (reports/reach.py)
    # A cancelled campaign's messages that never went out (SendGrid discarded what it held, or they
    # were still planned); then ``accepted`` and ``unknown`` are 0 (models.shown_counts).
    cancelled: int = 0
    # Of a send not finished (stopped, or still going), the journalists no request has gone to yet,
    # and those of requests listed in flight, whose answer is not logged (newcomer 15 #7: a stopped
    # send's report left them out of every line).
    not_sent: int = 0
    in_flight: int = 0
    # Of its emails, those SendGrid's events show it sent (messages.WENT_OUT): of a send whose
    # cancel was asked late, whether it went out all the same (newcomer 15 #10).
    went_out: int = 0
    # Of a cancelled campaign's emails, those it had handed to SendGrid (accepted, unknown, or in a
    # request in flight when it stopped): what SendGrid held and discarded; the rest never left
    # (newcomer 16 #11: a send stopped half-way, then cancelled, read "discarded the 6 it held").
    handed: int = 0
    # Of the emails SendGrid accepted, those no event has yet said were delivered, deferred,
    # bounced, blocked or dropped (none arrived, or only "processed"): without them the lines
    # under "Accepted" did not add up to it (review 18r #1).
    no_news: int = 0
    # Of those, the ones no event at all has mentioned (not even "processed").
    unheard: int = 0
    # Journalists whose email bounced, was blocked or dropped though they opened or clicked it
    # (event_reports.REACHED), per delivery ("bounced", "blocked", "dropped"): the open proves the
    # email reached them, so they count in ``delivered`` (and opened), not in ``bounced``,
    # ``blocked`` or ``dropped``; the bounce still suppresses them, and the bounces report lists them.
    opened_bounced: Mapping[str, int] = field(default_factory=dict)
    # Their breakdown, as ``bounce_classes`` ("hard bounce: Invalid Address", "blocked: Reputation", "dropped").
    opened_bounce_classes: Mapping[str, int] = field(default_factory=dict)
    # The office's clock ([reports] time_zone): the notes give their times on it beside UTC, as
    # `mailer status` does (``on_clock``); None: UTC alone.
    zone: str | None = None

    def on_clock(self, zone: str | None) -> Summary:
        """This summary with its notes' times on the office's clock ``zone`` ([reports] time_zone) too."""
        return replace(self, zone=zone) if zone and zone != "UTC" else self

    def _when(self, moment: datetime) -> str:
        """An instant of a note: "2026-12-02 19:00 UTC (06:00 Australia/Melbourne)"; UTC alone without a zone."""
        return scheduled.on_office_clock(moment, self.zone)

    # When the figures were read, by the delivery log's clock (``store.clock``): what ``notes`` goes by.
    read_at: datetime | None = field(default=None, compare=False)  # not a figure: summaries read apart still compare equal

    @property
    def is_cancelled(self) -> bool:
        return self.campaign.status is CampaignStatus.CANCELLED

    @property
    def is_rehearsal(self) -> bool:
        """Sent to SendGrid's sandbox ([sendgrid] sandbox = true) and not cancelled: delivered to nobody."""
        return self.campaign.sandboxed and not self.is_cancelled

    def is_held(self, now: datetime) -> bool:
        """Scheduled for later and its time still ahead at ``now`` (not cancelled, not a rehearsal):
        SendGrid holds what it was handed until then, and nothing has gone out yet."""
        at = self.campaign.scheduled_at
        return at is not None and at > now and not self.is_cancelled and not self.is_rehearsal

    @property
    def cancelled_note(self) -> str | None:
        """The sentence under a cancelled campaign's report that says nothing went out; None for any other."""
        if not self.is_cancelled:
            return None
        info = self.campaign
        emails = f"{self.cancelled:,} email{'s' if self.cancelled != 1 else ''}"
        held = min(self.handed, self.cancelled)
        if info.sendgrid_batch_id and info.scheduled_at is not None and held:
            when = self._when(info.scheduled_at)
            if held < self.cancelled:
                rest = self.cancelled - held
                return (
                    f"Cancelled before it went out: SendGrid discarded the {held:,} email{'s' if held != 1 else ''} it held for "
                    f"{when}, and the other {rest:,} {'was' if rest == 1 else 'were'} never handed to it, so no journalist received it."
                )
            return f"Cancelled before it went out: SendGrid discarded the {emails} it held for {when}, so no journalist received it."
        return f"Cancelled before it went out: none of its {emails} was sent, so no journalist received it."

    @property
    def called_off_note(self) -> str | None:
        """Of a send whose rest ``mailer cancel`` called off, that those journalists never got it, in
        ``mailer status``'s words; None for any other (review 16r #3: the overview said nothing of them)."""
        off = self.skipped.get(RejectReason.CALLED_OFF.value, 0)
        if not off:
            return None
        return (
            f"{counted(off, 'journalist')} {'was' if off == 1 else 'were'} called off (mailer cancel) and never mailed. "
            f"mailer status {self.campaign.id} says how to reach them."
        )

    @property
    def stopped_note(self) -> str | None:
        """The sentence under the report of a send that has not finished: how many are not sent yet
        (or in flight), and where to see what to do; None when everyone was dealt with."""
        waiting = self.not_sent + self.in_flight
        if not waiting or self.is_cancelled:
            return None
        return (
            f"This send has not finished: {counted(waiting, 'recipient')} {'has' if waiting == 1 else 'have'} not been sent yet"
            + (f" ({self.in_flight:,} of them in flight, SendGrid's answer not logged)" if self.in_flight else "")
            + f". mailer status {self.campaign.id} says whether it is still going and how to finish it."
        )

    def held_note(self, now: datetime) -> str | None:
        """Of a send SendGrid still holds (``is_held``), that nothing has gone out yet, in status's
        words (newcomer 15 #8: its report read as a send that reached nobody); None for any other."""
        at = self.campaign.scheduled_at
        if at is None or not self.is_held(now):
            return None
        return f"{scheduled.held(at.astimezone(ZoneInfo(self.zone)) if self.zone else at)}: nothing has gone out yet, so delivered, opens and bounces stay at 0 until then."

    def late_cancel_note(self, now: datetime) -> str | None:
        """Of a send whose cancel was asked late, what status says of it, by its events
        (``scheduled.late_cancel``; newcomer 15 #10); None for any other."""
        if self.is_cancelled:
            return None
        fact = scheduled.late_cancel(self.campaign, now=now, went_out=self.went_out, zone=self.zone)
        return f"{fact}." if fact else None

    def is_late_cancelled(self, now: datetime) -> bool:
        """Its time has passed after a cancel asked late, and no event says it went out: most likely
        nobody got it, so the overview lists it apart, in no total (newcomer 15 #10)."""
        at = self.campaign.scheduled_at
        return (
            self.campaign.late_cancel is not None
            and at is not None
            and at <= now
            and not self.went_out
            and not self.is_cancelled
            and not self.is_rehearsal
        )

    def unheard_note(self, now: datetime) -> str | None:
        """Of a send that went out over an hour ago (``UNHEARD_AFTER``) of which SendGrid has reported
        nothing at all, where its events come from and what to check; None for any other. Its
        "No news yet" line alone read as slow news, a day after a send whose events never reached
        the log (review 18r #10)."""
        if not self.accepted or self.unheard < self.accepted or self.is_cancelled or self.is_rehearsal:
            return None
        if self.campaign.late_cancel is not None or self.campaign.goes_out > now - UNHEARD_AFTER:
            return None
        sent, at = self.campaign.cancel_sent, self.campaign.scheduled_at
        if sent is not None and at is not None:
            # A cancel whose answer never came (review 18s #5): taken, it leaves no event at all, which
            # is not a broken webhook (review 18y #3: the note sent her looking for one).
            return (
                f"SendGrid has reported nothing about this send: a cancel of {self.campaign.id} was sent to SendGrid at "
                f"{self._when(sent)}, but its answer never came back, so SendGrid may have discarded these emails at "
                f"{self._when(at)} (a cancelled send has no events). If it did not, events come in through mailer webhook "
                "(or mailer events import FILE): check that it is running and that SendGrid's Event Webhook points at it."
            )
        return (
            "SendGrid has reported nothing about this send yet: no delivery, bounce or open has reached the delivery log. "
            "Events come in through mailer webhook (or mailer events import FILE): check that it is running and that "
            "SendGrid's Event Webhook points at it."
        )

    def notes(self, now: datetime | None = None) -> list[str]:
        """The sentences under the figures, in reading order: what the figures alone do not say."""
        moment = now or self.read_at or datetime.now(UTC)
        found = (
            self.cancelled_note,
            self.held_note(moment),
            self.late_cancel_note(moment),
            self.stopped_note,
            self.called_off_note,
            self.unheard_note(moment),
        )
        return [note for note in found if note]

    @property
    def bounced_after_opening(self) -> int:
        """Journalists counted delivered whose email bounced all the same (``opened_bounced``)."""
        return sum(self.opened_bounced.values())

    @property
    def bounced_all(self) -> int:
        """Bounced in the report's one sense: hard bounces, blocks and drops (not delivered)."""
        return self.bounced + self.blocked + self.dropped

    def rate(self, count: int, *, over: int | None = None) -> float | None:
        """``count`` as a share of delivered messages (or of ``over``); None when nothing to divide by."""
        base = self.delivered if over is None else over
        return count / base if base else None

    def figures(self) -> list[tuple[str, str, int, float | None]]:
        """(key, label, count, rate) rows in reading order, for tables and exports."""
        rows: list[tuple[str, str, int, float | None]] = [("planned", "Planned recipients", self.planned, None)]
        # in the words of the send and `mailer status` ("Skipped: missing" said too little: newcomer 21 #3)
        rows += [
            (f"skipped_{reason}", f"Skipped: {models.skipped_words(reason)}", n, None)
            for reason, n in models.skipped_in_order(self.skipped)
        ]
        if self.is_cancelled:  # not "accepted": SendGrid discarded them (newcomer review 9)
            rows.append(("cancelled", "Cancelled (never sent)", self.cancelled, None))
        rows += [
            ("accepted", "Accepted by SendGrid", self.accepted, None),
            ("failed", "Failed (refused by SendGrid)", self.failed, None),
            ("unknown", "Fate unknown (see mailer status)", self.unknown, None),
        ]
        if self.in_flight:  # a send not finished: those of requests whose answer is not logged
            rows.append(("in_flight", "In flight, SendGrid's answer not logged (see mailer status)", self.in_flight, None))
        if self.not_sent:  # and those no request has gone to yet
            rows.append(("not_sent", "Not sent yet (see mailer status)", self.not_sent, None))
        rows.append(("delivered", "Delivered", self.delivered, self.rate(self.delivered, over=self.accepted)))
        if self.bounced_after_opening:  # counted delivered: the open shows it got there; the bounces report lists them
            rows.append(("bounced_after_opening", f"  {AFTER_OPENING}", self.bounced_after_opening, None))
            opened_classes = sorted(self.opened_bounce_classes.items(), key=_hard_first)
            rows += [(f"bounced_after_opening_{_slug(name)}", f"    {name}", n, None) for name, n in opened_classes]
        rows.append(("deferred", "Deferred (still trying)", self.deferred, None))
        if self.no_news:  # accepted, and no word since: so delivered, deferred and bounced add up to accepted
            rows.append(("no_news", "No news yet (not reported delivered or bounced)", self.no_news, None))
        # One definition of bounced everywhere (cards, outlets, `mailer campaigns`): not delivered
        # because refused, for good or for now, or dropped by SendGrid; the breakdown sits under it.
        accepted = self.accepted
        rows.append(("bounced", "Bounced (not delivered)", self.bounced_all, self.rate(self.bounced_all, over=accepted)))
        classes = sorted(self.bounce_classes.items(), key=_hard_first)
        for key, label, count, prefix in (
            ("hard_bounced", "hard bounce (address refused for good)", self.bounced, "hard bounce: "),
            ("blocked", "blocked (temporary refusal)", self.blocked, "blocked: "),
            ("dropped", "dropped by SendGrid", self.dropped, None),
        ):
            rows.append((key, f"  {label}", count, self.rate(count, over=accepted)))
            if prefix:
                rows += [
                    (f"bounce_{_slug(name)}", f"    {name.removeprefix(prefix)}", n, None) for name, n in classes if name.startswith(prefix)
                ]
        known = ("hard bounce: ", "blocked: ")
        rows += [(f"bounce_{_slug(name)}", f"  {name}", n, None) for name, n in classes if not name.startswith(known)]
        rows += [
            ("opened", "Opened (all, unique)", self.opened, self.rate(self.opened)),
            ("opened_human", "Opened by people (without Apple pre-fetch)", self.opened_human, self.rate(self.opened_human)),
            ("clicked", "Clicked (unique)", self.clicked, self.rate(self.clicked)),
            ("spam_reports", "Marked as spam", self.spam_reports, self.rate(self.spam_reports)),
            ("unsubscribed", "Unsubscribed", self.unsubscribed, self.rate(self.unsubscribed)),
        ]
        return rows


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of one report kind; ``keys`` name the columns in JSON (``key_of`` their labels), ``labels`` everywhere else.

    Cells are typed: str, int, float for a rate (0.125 is 12.5%), an aware UTC ``datetime``
    for an instant, or None. ``cell_text`` shows any of them as text (CSV, JSON, terminal).
    """

    kind: str
    campaign: Campaign
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    flagged: frozenset[int] = frozenset()  # row indexes that must stand out (all bounced)
    left_out: int = 0  # journalists not listed: excluded by the send's --where (recipients, unless everyone)


def find_campaign(engine: Engine, campaign_id: str) -> Campaign:
    """The campaign, or a ReportError that suggests near names; test sends and dry runs refused."""
    with engine.connect() as connection:
        info = campaign_store.get(connection, campaign_id)
        hint = campaign_store.unknown_id_hint(connection, campaign_id) if info is None else ""
        moved = carried.sent_elsewhere(connection, campaign_id) if info is None else None
    if moved is not None:  # carried over from the office's old log: its events are there (carry28)
        raise ReportError(
            f"{moved[0]}. Its report is made from that log's events.", hint=carried.elsewhere_hint(moved[1], f"report {campaign_id}")
        )
    if info is None:
        raise ReportError(f'No campaign "{campaign_id}" in the delivery log.', hint=hint)
    if info.mode != Mode.LIVE:
        what = "a test send to staff" if info.mode == Mode.TEST else "a dry run (nothing was sent)"
        raise ReportError(f"{campaign_id} is {what}; reports cover live sends only.", hint="`mailer campaigns` lists the live ones.")
    return info


@in_words
def summarize(engine: Engine, campaign_id: str) -> Summary:
    """The summary figures of one live campaign: journalists per state and per event (counts of
    people; ``Summary.rate`` and ``table(..., "summary")`` give rates, shares from 0 to 1).

    Raises ReportError for an id not in the log, a dry run or a test send, or a campaign without
    recipients."""
    info = find_campaign(engine, campaign_id)
    with snapshot(engine) as connection:
        summary = _summaries(connection, {campaign_id: info})[campaign_id]
        classes = event_store.bounce_tallies(connection, campaign_id)
        together = reach(connection, campaign_id)
    if summary.planned + sum(summary.skipped.values()) == 0:
        raise ReportError(f"{campaign_id} has no recipients in the delivery log; there is nothing to report.")
    return _with_classes(summary, classes, together)


def _with_classes(summary: Summary, tallies: Sequence[tuple[str, str | None, bool, int]], together: Reach | None) -> Summary:
    """``summary`` with its bounce breakdowns (``event_reports.bounce_tallies``): of those not
    delivered, and of those who opened all the same (a drop has no classification: "dropped")."""
    dropped = summary.opened_bounced.get(Delivery.DROPPED.value, 0)
    opened = _classes([(kind, name, n) for kind, name, was_opened, n in tallies if was_opened])
    return replace(
        summary,
        bounce_classes=_classes([(kind, name, n) for kind, name, was_opened, n in tallies if not was_opened]),
        opened_bounce_classes={**opened, "dropped": dropped} if dropped else opened,
        reach=together,
    )


@in_words
def headline_figures(engine: Engine, campaign_ids: Collection[str] | str) -> dict[str, dict[str, int]]:
    """Delivered, opened (people), clicked, bounced, unsubscribed per live campaign, for `mailer campaigns`.

    Test sends and dry runs are left out; so are ids not in the log. One id alone may be given as text.
    """
    ids = set(texts(campaign_ids))
    with snapshot(engine) as connection:
        found = {cid: campaign_store.get(connection, cid) for cid in ids}
        infos = {cid: info for cid, info in found.items() if info is not None and info.mode == Mode.LIVE}
        summaries = _summaries(connection, infos)
    return {
        cid: {
            "delivered": s.delivered,
            "opened": s.opened_human,
            "clicked": s.clicked,
            "bounced": s.bounced_all,
            "unsubscribed": s.unsubscribed,
        }
        for cid, s in summaries.items()
    }


@in_words
def period(engine: Engine, *, since: datetime | None = None, until: datetime | None = None) -> list[Summary]:
    """Summaries of the live campaigns that went out in [since, until) (UTC; either open), oldest
    first: a scheduled send by its scheduled time, not by when it was planned (``Campaign.goes_out``).

    Campaigns without recipients are left out; test sends and dry runs never count. Cancelled
    campaigns are in, marked by ``Summary.is_cancelled``: the overview page lists them apart.
    """
    with snapshot(engine) as connection:
        infos = {info.id: info for info in campaign_store.live_between(connection, since=since, until=until)}
        summaries = _summaries(connection, infos)
    return [s for s in summaries.values() if s.planned + sum(s.skipped.values())]


def _summaries(
    connection: Connection, infos: Mapping[str, Campaign], engagement: Mapping[str, Mapping[str, int]] | None = None
) -> dict[str, Summary]:
    """Summaries for several campaigns in a few grouped queries (``engagement`` when already counted)."""
    if not infos:
        return {}
    states: dict[str, Counter[str]] = defaultdict(Counter)
    deliveries: dict[str, Counter[str]] = defaultdict(Counter)
    skipped: dict[str, Counter[str]] = defaultdict(Counter)
    no_news: Counter[str] = Counter()
    unheard: Counter[str] = Counter()
    silent = (None, Delivery.PROCESSED.value)  # SendGrid has it, and has said nothing of its fate
    for cid, state, skip_reason, delivery, n in message_store.tallies(connection, infos):
        states[cid][state] += n
        if state == MessageState.ACCEPTED.value and delivery in silent:
            no_news[cid] += n
            unheard[cid] += n if delivery is None else 0
        if state == MessageState.SKIPPED.value:
            skipped[cid][skip_reason or "other"] += n
        elif delivery:
            deliveries[cid][delivery] += n
    # A large send's rows still in parts (a send writing its plan, or one stopped before it had):
    # planned or skipped, as `mailer status` counts them (review 19q #2, newcomer 19 #2: "Planned
    # recipients 10,240" of 25,000). Read through store.snapshot, at the moment the message table was (review 19r #2).
    for cid, planned in plan_parts.left_of(connection, infos).items():
        states[cid][MessageState.PLANNED.value] += planned
        for reason, n in plan_parts.skipped(connection, cid).items():
            states[cid][MessageState.SKIPPED.value] += n
            skipped[cid][reason] += n
    if engagement is None:
        engagement = event_store.engagement_tallies(connection, infos)
    opened_bounced = event_store.opened_bounced(connection, infos)
    result = {}
    for cid, info in infos.items():
        s, d, e = states[cid], deliveries[cid], engagement.get(cid, {})
        reached = opened_bounced.get(cid, Counter())  # opened or clicked, then bounced (or the reverse): delivered
        shown = shown_counts({state.value: s[state.value] for state in MessageState}, info.status)
        waiting = shown[MessageState.PLANNED.value] + shown[MessageState.SENDING.value]
        # Of those not sent, the rows of requests listed in flight (messages.planned_in; a cancelled
        # campaign's read "cancelled", so none are left here).
        in_flight = message_store.planned_in(connection, cid, campaign_store.in_flight(connection, cid)) if waiting else 0
        handed = 0
        if shown[CANCELLED]:  # the log keeps a cancelled send's rows as they were: which SendGrid held
            handed = s[MessageState.ACCEPTED.value] + s[MessageState.UNKNOWN.value] + s[MessageState.SENDING.value]
            handed += message_store.planned_in(connection, cid, campaign_store.in_flight(connection, cid))
        result[cid] = Summary(
            read_at=clock.now(connection),
            campaign=info,
            planned=sum(s.values()) - s[MessageState.SKIPPED.value],
            skipped=dict(skipped[cid]),
            accepted=shown[MessageState.ACCEPTED.value],
            failed=shown[MessageState.FAILED.value],
            unknown=shown[MessageState.UNKNOWN.value],
            cancelled=shown[CANCELLED],
            not_sent=waiting - in_flight,
            went_out=sum(d[delivery.value] for delivery in message_store.WENT_OUT),
            in_flight=in_flight,
            handed=handed,
            # A cancelled send's read "cancelled"; SendGrid's sandbox sends no events, ever: no news to wait for.
            no_news=no_news[cid] if shown[MessageState.ACCEPTED.value] and not info.sandboxed else 0,
            unheard=unheard[cid],
            delivered=d[Delivery.DELIVERED.value] + sum(reached.values()),
            deferred=d[Delivery.DEFERRED.value],
            bounced=d[Delivery.BOUNCED.value] - reached[Delivery.BOUNCED.value],
            blocked=d[Delivery.BLOCKED.value] - reached[Delivery.BLOCKED.value],
            dropped=d[Delivery.DROPPED.value] - reached[Delivery.DROPPED.value],
            opened_bounced={delivery: n for delivery, n in reached.items() if n},
            bounce_classes={},
            opened=e.get("open", 0),
            opened_human=e.get("human_open", 0),
            clicked=e.get("click", 0),
            spam_reports=e.get("spamreport", 0),
            unsubscribed=e.get("unsubscribed", 0),
        )
    return result


# ---- per-journalist and per-outlet rows -------------------------------------------------------


def key_of(label: str) -> str:
    """A column's JSON key: its label in lower case, words joined by "_", "(UTC)" left out
    ("first event (UTC)" -> first_event, "why skipped or failed" -> why_skipped_or_failed).
    One naming for every report kind (fix12r: ``detail`` and ``list`` named columns labelled otherwise)."""
    return _slug(label.replace("(UTC)", ""))


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


Column = tuple[str, Callable[[MessageActivity], Any]]  # (label, cell); the JSON key is key_of(label)

PERSON: tuple[Column, ...] = (
    ("email", lambda a: a.email),
    ("name", lambda a: a.name),
    ("outlet", lambda a: a.outlet),
)
BOUNCE_WORDS = {"bounce": "hard bounce"}  # SendGrid's bounce type -> the reports' word for it
LANGUAGE: Column = ("language", lambda a: a.language or "")
COLUMNS: Mapping[str, tuple[Column, ...]] = {
    "recipients": PERSON
    + (
        ("state", lambda a: a.state if a.state != "skipped" else f"skipped: {a.skip_reason or 'other'}"),
        # "delivered (bounced after opening)": counted delivered, as the summary counts her (``reached``)
        ("delivery", lambda a: f"delivered ({reached_words(a)})" if reached(a) else a.delivery or ""),
        ("first event (UTC)", lambda a: instant(a.first_event)),
        ("last event (UTC)", lambda a: instant(a.last_event)),
        ("opens", lambda a: a.opens),
        ("opens by people", lambda a: a.human_opens),
        ("clicks", lambda a: a.clicks),
        # SendGrid's "bounce" type is a hard bounce: in the report's words, as the bounces report and
        # the summary say it (review 18r #6: "bounce" beside "blocked" read as any bounce).
        ("bounce", lambda a: BOUNCE_WORDS.get(a.bounce_type or "", a.bounce_type or "")),
        ("bounce classification", lambda a: a.bounce_classification or ""),
        ("bounce reason", lambda a: a.bounce_reason or ""),
        # Who the summary's "Unsubscribed" and "Marked as spam" are (newcomer 20b #5).
        ("unsubscribed", lambda a: "yes" if a.unsubscribed else ""),
        ("marked as spam", lambda a: "yes" if a.spam_report else ""),
        ("why skipped or failed", lambda a: a.detail or ""),
        ("list and row", lambda a: a.source or ""),
    ),
    "opens": PERSON
    + (
        ("first open (UTC)", lambda a: instant(a.first_open)),
        ("last open (UTC)", lambda a: instant(a.last_open)),
        ("opens", lambda a: a.opens),
        ("opens by people", lambda a: a.human_opens),
        # "no" for a journalist who clicked: a person had it open, whatever Apple fetched (review 18r #9)
        ("Apple pre-fetch only", lambda a: "yes" if a.human_opens == 0 and a.clicks == 0 else "no"),
    ),
    "clicks": PERSON
    + (
        ("first click (UTC)", lambda a: instant(a.first_click)),
        ("last click (UTC)", lambda a: instant(a.last_click)),
        ("clicks", lambda a: a.clicks),
        ("links clicked", lambda a: " ".join(a.urls)),
    ),
    "bounces": PERSON
    + (
        ("bounce", lambda a: BOUNCE_WORDS.get(a.bounce_type or "", a.bounce_type or a.delivery or "")),
        ("classification", lambda a: a.bounce_classification or ""),
        ("reason", lambda a: a.bounce_reason or ""),
        ("when (UTC)", lambda a: instant(a.bounce_time)),
        # She opened or clicked it all the same: it reached her, and the summary counts her delivered.
        ("opened or clicked", lambda a: reached_words(a)),
        ("first opened or clicked (UTC)", lambda a: instant(a.first_reached[1]) if a.first_reached and reached(a) else None),
    ),
}
KEEP: Mapping[str, Callable[[MessageActivity], bool]] = {
    "recipients": lambda a: True,
    "opens": lambda a: a.opens > 0 or a.clicks > 0,  # as the summary counts them: a click is an open
    "clicks": lambda a: a.clicks > 0,
    "bounces": lambda a: a.delivery in BOUNCED,
}
OUTLET_LABELS = (
    "by",
    "outlet or domain",
    "recipients",
    "delivered",
    "bounced",
    "opened",
    "opened by people",
    "clicked",
    "bounce rate",
    "note",
)
OUTLET_KEYS = tuple(key_of(label) for label in OUTLET_LABELS)
ALL_BOUNCED = "every address bounced"
FORGOTTEN_NOTE = "erased with mailer forget; never mailed again"  # the outlet table's note on the forgotten


@in_words
def table(
    engine: Engine, campaign_id: str, kind: str, *, everyone: bool = False, now: datetime | None = None, time_zone: str | None = None
) -> Table:
    """The rows of one report kind ("summary" gives the figures as rows): ``kind`` is one of
    KINDS; cells typed (times UTC ``datetime``, rates floats from 0 to 1). Raises ReportError for an
    unknown kind, and as ``summarize`` does for the campaign.

    The recipients report leaves out the journalists the send's ``--where`` excluded (skipped,
    reason "filtered"; counted in ``left_out``) unless ``everyone``.
    """
    if kind not in KINDS:
        raise ReportError(f'Unknown report "{kind}".', hint=f"Choose one of: {', '.join(KINDS)}.")
    if kind == "summary":
        return summary_table(summarize(engine, campaign_id))
    info = find_campaign(engine, campaign_id)
    cells: dict[str, Callable[[MessageActivity], Any]] = {}
    with engine.connect() as connection:
        activity = event_store.activity(connection, campaign_id, kinds=[kind])
        if kind == "recipients":
            cells = _recipient_cells(connection, info, now or clock.now(connection), zone=time_zone)
    if not activity:
        raise ReportError(f"{campaign_id} has no recipients in the delivery log; there is nothing to report.")
    if kind != "recipients" or everyone:
        return rows_of(info, activity, kind, cells=cells)
    listed = [a for a in activity if a.skip_reason != RejectReason.FILTERED.value]
    return replace(rows_of(info, listed, kind, cells=cells), left_out=len(activity) - len(listed))


IN_FLIGHT = "in flight (SendGrid's answer not logged)"
NOT_SENT_YET = "not sent yet (see mailer status)"  # as the summary's line of the same journalists


def _recipient_cells(
    connection: Connection, info: Campaign, now: datetime, *, zone: str | None = None
) -> dict[str, Callable[[MessageActivity], Any]]:
    """The recipients report's "state" and "list and row" cells as this campaign's rows read them,
    where they differ from the log's words (``rows_of`` uses them in place of ``COLUMNS``'):

    - of a scheduled send whose time is still ahead at ``now`` (not cancelled, not a rehearsal),
      an accepted row reads "scheduled: SendGrid holds it until ...", as `mailer contact` says it,
      not "accepted", which reads as sent (newcomer 16 #13);
    - a row of a request listed in flight (the send stopped while it waited for SendGrid's
      answer) reads IN_FLIGHT, not "planned": they may have the email, those still planned surely
      do not (newcomer 16 #7); a cancelled campaign's read "cancelled", so none are changed there;
    - a row no request has gone to yet, of a send that stopped or still goes on, reads
      NOT_SENT_YET, as the summary counts it and `mailer contact` says it, not the log's "planned"
      (which read as "still to come" of a send that had stopped: session 16's note);
    - a follow-up's row names the list row the journalist came from, "lists/beat.csv:3 (follow-up
      of CAMPAIGN)", as `mailer contact` says it, not the "CAMPAIGN:<message id>" the log keeps
      (newcomer 16 #6), up the chain for a follow-up of a follow-up (review 16r #1).

    Cells, not copies of the rows: a copy per row cost 8 to 11 µs, a held send's report of a
    million journalists 8 s more (review 16r #5)."""
    cells: dict[str, Callable[[MessageActivity], Any]] = {}
    base = dict(COLUMNS["recipients"])
    held = None
    at = info.scheduled_at
    if at is not None and at > now and info.status is not CampaignStatus.CANCELLED and not info.sandboxed:
        held = f"scheduled: SendGrid holds it until {scheduled.on_office_clock(at, zone)}"  # the office's clock too
        if info.late_cancel is not None:  # as contact says it (review 14 #8)
            held += "; a cancel was asked less than 10 minutes before, so it may not go out"
    flying: set[str] = set()
    if info.status is not CampaignStatus.CANCELLED:
        requests = campaign_store.in_flight(connection, info.id)
        flying = message_store.emails_planned_in(connection, info.id, requests) if requests else set()
    unfinished = info.status in (CampaignStatus.PLANNED, CampaignStatus.SENDING, CampaignStatus.PAUSED)
    if held is not None or flying or unfinished:
        shown_state = base["state"]
        accepted, planned = MessageState.ACCEPTED.value, MessageState.PLANNED.value

        def state(a: MessageActivity) -> Any:
            if held is not None and a.state == accepted and not a.delivery:
                return held
            if a.state == planned:
                return IN_FLIGHT if a.email.lower() in flying else NOT_SENT_YET
            return shown_state(a)

        cells["state"] = state
    follow_up = info.filters.get("follow_up")
    original = follow_up.get("of") if isinstance(follow_up, dict) else None
    if isinstance(original, str):
        prefix = f"{original}:"
        came_from = follow_up_store.list_row_of(connection, original)
        shown_source = base["list and row"]

        def source(a: MessageActivity) -> Any:
            if a.source and a.source.startswith(prefix):
                return came_from(a.source)
            return shown_source(a)

        cells["list and row"] = source
    return cells


def summary_table(summary: Summary, *, sentences: Sequence[str] = ()) -> Table:
    """The summary's figures as the rows of the "summary" report: (label, count, rate or None);
    then each of ``sentences`` as a row of its own, count and rate empty. A spreadsheet names its
    campaign in columns (``named``)."""
    rows: list[tuple[Any, ...]] = [(label, count, rate) for _key, label, count, rate in summary.figures()]
    rows += [(sentence, None, None) for sentence in sentences]
    return Table("summary", summary.campaign, ("figure", "count", "rate"), ("figure", "count", "rate"), rows)


def summary_sentences(summary: Summary, now: datetime | None = None) -> list[str]:
    """What the report says under the figures, in the terminal's order: the follow-up lines, then
    the notes (held by SendGrid, not finished, cancelled, cancel asked late). A CSV or XLSX summary
    ends with them (newcomer 16 #2: the spreadsheet of a send SendGrid still held read "Delivered 0
    (0.0%)" and nothing else, a send that reached nobody)."""
    return [*(summary.reach.lines() if summary.reach is not None else ()), *summary.notes(now)]


def rows_of(
    info: Campaign, activity: Sequence[MessageActivity], kind: str, *, cells: Mapping[str, Callable[[MessageActivity], Any]] = {}
) -> Table:
    """The table of a per-journalist or outlet kind from already rolled-up activity; ``cells``: a
    column's cell by its label, in place of ``COLUMNS``' (``_recipient_cells``)."""
    if kind == "outlets":
        return outlets(info, activity)
    columns = tuple((label, cells.get(label, get)) for label, get in COLUMNS[kind])
    if len({a.language for a in activity if a.language}) > 1:  # a release in several languages: which one each got
        columns = (*columns[: len(PERSON)], LANGUAGE, *columns[len(PERSON) :])
    keep = KEEP[kind]
    if info.status is CampaignStatus.CANCELLED:  # its unsent messages read "cancelled", not "accepted"
        activity = [replace(a, state=shown_state(a.state, info.status)) for a in activity]
    rows = [tuple(get(a) for _label, get in columns) for a in activity if keep(a)]
    return Table(kind, info, tuple(key_of(label) for label, _get in columns), tuple(label for label, _get in columns), rows)


def reached(a: MessageActivity) -> bool:
    """Whether ``a``'s email bounced, was blocked or dropped though the journalist opened or clicked
    it: counted delivered (``Summary.opened_bounced``), listed in the bounces report all the same."""
    return a.delivery in BOUNCED and (a.first_reached is not None or a.opens > 0 or a.clicks > 0)


def reached_delivery(a: MessageActivity) -> str | None:
    """``a``'s delivery as the summary counts it: "delivered" for one who opened though it bounced (``reached``)."""
    return Delivery.DELIVERED.value if reached(a) else a.delivery


# How a journalist who bounced had her email open: the first open or click (``MessageActivity.first_reached``),
# in the words for a bounce after it and for one before it.
_REACHED_BY = {
    "open": ("opening", "opened"),
    "click": ("clicking", "clicked"),
    "pre-fetch": ("Apple Mail fetched it", "fetched by Apple Mail"),
    "spamreport": ("being marked as spam", "marked as spam"),
    "unsubscribe": ("unsubscribing", "unsubscribed"),
    "group_unsubscribe": ("unsubscribing", "unsubscribed"),
    "group_resubscribe": ("resubscribing", "resubscribed"),
}
_BOUNCED_WORDS = {"bounce": ("bounced", "bounce"), "blocked": ("blocked", "block"), "dropped": ("dropped", "drop")}


def reached_words(a: MessageActivity) -> str:
    """Of a journalist whose email bounced though she opened or clicked it (``reached``), which
    came first: "bounced after opening", "blocked after clicking", "opened after the bounce"
    (a late open: Apple's proxy, a scanner); "" for anyone else. The time is the bounces report's
    "first opened or clicked" column, on the office's clock."""
    if not reached(a) or a.first_reached is None:
        return ""
    return which_first(a.first_reached, a.bounce_type or a.delivery, a.bounce_time)


def which_first(first_reached: tuple[str, int], bounce_type: str | None, bounce_time: int | None) -> str:
    """``reached_words`` of a first open or click (how, when) and a bounce ("bounce", "blocked",
    "dropped"; when): "bounced after opening", "clicked after the block"."""
    how, at = first_reached
    bounced, bounce = _BOUNCED_WORDS.get(bounce_type or "", ("bounced", "bounce"))
    before, after = _REACHED_BY.get(how, _REACHED_BY["open"])
    if bounce_time is None or at <= bounce_time:
        return f"{bounced} after {before}"
    return f"{after} after the {bounce}"


def outlets(info: Campaign, activity: Sequence[MessageActivity]) -> Table:
    """Recipients rolled up by outlet and by address domain; "every address bounced" stands out."""
    groups: dict[Group, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    skipped = MessageState.SKIPPED.value
    for a in activity:
        if a.state != skipped:
            counts = groups[(a.email.rsplit("@", 1)[-1].lower(), a.outlet, reached_delivery(a), a.language, _mailed(info, a.state))]
            counts[0] += 1
            counts[1] += a.opens > 0 or a.clicks > 0  # whoever clicked had it open (event_reports.OPENED)
            counts[2] += a.human_opens > 0 or a.clicks > 0
            counts[3] += a.clicks > 0
    return _outlet_table(info, groups.items())


def page_figures(engine: Engine, campaign_id: str) -> tuple[Summary, Table, Mapping[int, tuple[int, int]]]:
    """The summary, the outlet table and the fine timeline of one campaign, as the HTML page shows them.

    Reads each kind of event once and the message rows once: the same figures as
    ``summarize`` and ``table(..., "outlets")``, and ``event_reports.engagement``'s timeline.
    """
    info = find_campaign(engine, campaign_id)
    with snapshot(engine) as connection:
        engaged = event_store.engagement(connection, campaign_id)
        counted = {
            "open": len(engaged.opened),
            "human_open": len(engaged.opened_human),
            "click": len(engaged.clicked),
            "spamreport": engaged.spam_reports,
            "unsubscribed": event_store.unsubscribed(connection, [campaign_id]).get(campaign_id, 0),
        }
        summary = _summaries(connection, {campaign_id: info}, {campaign_id: counted})[campaign_id]
        classes = event_store.bounce_tallies(connection, campaign_id)
        together = reach(connection, campaign_id)
        opened, human, clicked = engaged.opened, engaged.opened_human, engaged.clicked
        # Journalists come grouped by the database with their ids (as text, like the engagement's);
        # who opened or clicked is counted with set intersections, not a test per journalist.
        groups: dict[Group, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        grouped = message_store.outlets(connection, campaign_id)
        # Bounced though it got there (opened, clicked, marked as spam, unsubscribed: ``REACHED``): a few.
        bounced_ids = [int(i) for row in grouped if row[2] in BOUNCED for i in row[6].split(",")]
        got_there = {str(i) for i in event_store.reached_among(connection, bounced_ids)} if bounced_ids else set()
        for after_at, outlet, delivery, language, state, n, listed in grouped:
            ids = listed.split(",")
            domain, named, mailed = after_at.rsplit("@", 1)[-1].lower(), (outlet or "").strip(), _mailed(info, state)
            did_open = got_there.intersection(ids) if delivery in BOUNCED else set()
            if did_open:  # bounced though it got there: delivered, as the summary counts them
                reached = groups[(domain, named, Delivery.DELIVERED.value, language, mailed)]
                reached[0] += len(did_open)
                reached[1] += len(did_open)
                reached[2] += len(human.intersection(did_open))
                reached[3] += len(clicked.intersection(did_open))
                n -= len(did_open)
                if not n:
                    continue
                ids = [i for i in ids if i not in did_open]  # none of them opened
            counts = groups[(domain, named, delivery, language, mailed)]
            counts[0] += n
            counts[1] += len(opened.intersection(ids))
            counts[2] += len(human.intersection(ids))
            counts[3] += len(clicked.intersection(ids))
    if summary.planned + sum(summary.skipped.values()) == 0:
        raise ReportError(f"{campaign_id} has no recipients in the delivery log; there is nothing to report.")
    return _with_classes(summary, classes, together), _outlet_table(info, groups.items()), engaged.timeline


def _classes(tallies: Sequence[tuple[str, str | None, int]]) -> dict[str, int]:
    return {f"{'hard bounce' if kind == 'bounce' else kind}: {name or 'unclassified'}": n for kind, name, n in tallies}


Group = tuple[str, str | None, str | None, str | None, bool]


def _mailed(info: Campaign, state: str) -> bool:
    """Whether a journalist of ``info`` counts as mailed in the outlet roll-up: SendGrid accepted
    their email (any event about it settles it so), as the summary's bounce rate counts them; of a
    cancelled campaign none (SendGrid discarded what it held)."""
    return state == MessageState.ACCEPTED.value and info.status is not CampaignStatus.CANCELLED


def outlet_note(recipients: int, mailed: int, bounced: int) -> str:
    """The outlet table's note on a row: "every address bounced" when every address was mailed
    (SendGrid accepted it) and bounced; when some are not known to be mailed (not sent yet, called
    off, refused by SendGrid, or of unknown fate), that the rate is of those mailed: "every address
    mailed bounced; 1 of 2 not known to be mailed", "1 of 3 not known to be mailed" (fix16b #2: an
    outlet whose only mailed address bounced read 50%, unflagged)."""
    unmailed = recipients - mailed
    rest = f"{unmailed:,} of {recipients:,} not known to be mailed" if unmailed else ""
    if mailed and bounced == mailed:
        return f"every address mailed bounced; {rest}" if rest else ALL_BOUNCED
    return rest


def _outlet_table(info: Campaign, people: Iterable[tuple[Group, Sequence[int]]]) -> Table:
    """((domain, outlet, delivery, language, mailed), (journalists, opened, opened by a person, clicked))
    -> the outlets table.

    Rows by outlet, then by address domain, and, for a release sent in several languages, by the
    language version the journalists got. The bounce rate is of the addresses mailed (SendGrid
    accepted them), as the summary's; a row is flagged when every one of them bounced."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    # An outlet is one row however its name's case is typed ("The Gazette", "the gazette", "THE
    # GAZETTE", as lists merged from several sources have it; --where compares it so too), shown as
    # most of its journalists' rows spell it (review 24r #5: each spelling was an outlet of its own,
    # and "the gazette" was flagged "every address bounced" while two of The Gazette's four had it).
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    delivered_value = Delivery.DELIVERED.value
    people = list(people)
    by_language = len({group[3] for group, _ in people if group[3]}) > 1
    for (domain, outlet, delivery, language, was_mailed), (n, did_open, did_open_human, did_click) in people:
        was_delivered = delivery == delivered_value
        was_bounced = delivery in BOUNCED
        split = (("language", language or "?"),) if by_language else ()
        # A journalist erased with `mailer forget` has no outlet and no address left ("(forgotten)",
        # the domain the roll-up takes from it): grouped as forgotten, never as "(no outlet)".
        named = FORGOTTEN_ADDRESS if domain == FORGOTTEN_ADDRESS else (outlet or "").strip() or NO_OUTLET
        folded = named if named in (FORGOTTEN_ADDRESS, NO_OUTLET) else " ".join(named.casefold().split())
        spellings[folded][named] += n
        for group in (("outlet", folded), ("domain", domain), *split):
            counts = groups[group]
            counts[0] += n
            counts[1] += n * was_delivered
            counts[2] += n * was_bounced
            counts[3] += did_open
            counts[4] += did_open_human
            counts[5] += did_click
            counts[6] += n * was_mailed
    kinds = {"outlet": 0, "domain": 1, "language": 2}

    def all_bounced(name: str, counts: Sequence[int]) -> bool:
        # Not the forgotten: their addresses are suppressed and erased, there is nothing to check
        # (review 18r #8: "(no outlet)" and "(forgotten)" were flagged "Check those addresses").
        return bool(counts[6]) and counts[2] == counts[6] and name != FORGOTTEN_ADDRESS

    shown = {folded: min(counts.items(), key=lambda item: (-item[1], item[0]))[0] for folded, counts in spellings.items()}
    grouped = {(by, shown[name] if by == "outlet" else name): counts for (by, name), counts in groups.items()}
    ordered = sorted(grouped.items(), key=lambda item: (kinds[item[0][0]], not all_bounced(item[0][1], item[1]), -item[1][0], item[0][1]))
    rows = []
    flagged = set()
    for index, ((by, name), (recipients, delivered, bounced, opened, human, clicked, mailed)) in enumerate(ordered):
        if all_bounced(name, (recipients, delivered, bounced, opened, human, clicked, mailed)):
            flagged.add(index)
        rows.append(
            (
                by,
                name,
                recipients,
                delivered,
                bounced,
                opened,
                human,
                clicked,
                bounced / mailed if mailed else None,
                # of a cancelled send none was mailed, as its note says: no doubt to cast (review 16r #8)
                FORGOTTEN_NOTE
                if name == FORGOTTEN_ADDRESS
                else ""
                if info.status is CampaignStatus.CANCELLED
                else outlet_note(recipients, mailed, bounced),
            )
        )
    return Table("outlets", info, OUTLET_KEYS, OUTLET_LABELS, rows, frozenset(flagged))


def in_zone(report: Table, zone: str | None) -> Table:
    """``report`` with its instants as the clock times of ``zone`` (mailer.toml's ``[reports]
    time_zone``), each column's label naming the zone instead of UTC ("first open
    (America/New_York)"); unchanged without a zone, or for UTC. The cells become naive clock times,
    written as they are to the terminal, CSV and XLSX (a spreadsheet's date-time cell has no zone);
    JSON keeps UTC (its keys leave the zone out). Newcomer 22 #5: a New York office read 14:05
    for an open at 09:05."""
    if zone is None or zone == "UTC":
        return report
    columns = [number for number, label in enumerate(report.labels) if label.endswith("(UTC)")]
    if not columns:
        return report
    tz = ZoneInfo(zone)

    def local(value: Any) -> Any:
        return value.astimezone(tz).replace(tzinfo=None) if type(value) is datetime and value.tzinfo is not None else value

    rows = [tuple(local(cell) if number in columns else cell for number, cell in enumerate(row)) for row in report.rows]
    labels = tuple(label[: -len("(UTC)")] + f"({zone})" if number in columns else label for number, label in enumerate(report.labels))
    return replace(report, labels=labels, rows=rows)


def named(report: Table) -> Table:
    """``report`` with a "campaign" and a "subject" column last, the same in every row: a CSV or XLSX
    file says which release it is about, whatever its name, and files put together still do (office 27:
    three exports on a desktop could not be told apart; the summary's "Campaign: ..." first rows,
    newcomer 26 #3, had empty counts, which broke a script reading ``int(row["count"])``). The subject
    as the terminal's title shows it: "[first_name]", not SendGrid's token (review 26x #4)."""
    subject = one_line(shown_subject(report.campaign.subject))
    extra = (report.campaign.id, subject)
    return replace(
        report,
        keys=(*report.keys, "campaign", "subject"),
        labels=(*report.labels, "campaign", "subject"),
        rows=[(*row, *extra) for row in report.rows],
    )


def instant(timestamp: int | None) -> datetime | None:
    """A Unix time as an aware datetime in UTC (a real date-time cell in XLSX), or None."""
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def cell_text(value: Any) -> str:
    """A table cell as text: an instant as "2026-02-19 10:00:05" (UTC), a rate as "12.5%", None as ""."""
    if value is None:
        return ""
    kind = type(value)
    if kind is datetime:
        return str(value.isoformat(" ")[:19])
    if kind is float:
        return percent(value)
    return str(value)


def shown_text(value: Any) -> str:
    """``cell_text`` as a person reads it, on the terminal and the HTML page: a count with its
    thousands separated ("30,000"), as the plan, `mailer status` and `mailer campaigns` write it
    (newcomer 20 #5: the report of a send of 30,000 read "30000"). Files for a spreadsheet keep
    ``cell_text``'s plain number."""
    return f"{value:,}" if type(value) is int else cell_text(value)


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def _hard_first(item: tuple[str, int]) -> tuple[bool, str]:
    return (not item[0].startswith("hard"), item[0])


@in_words
def overview(engine: Engine, *, now: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Every campaign (or the newest ``limit``), newest first, with counts per state and, for live ones, delivered, opened, bounced ...

    Plain dicts (as ``mailer campaigns --json`` prints them); times in UTC ISO 8601. A finished
    send whose ``scheduled`` time is still ahead (at ``now``) has status "scheduled"; a subject
    reads as the terminal shows it (``models.shown_subject``, no SendGrid token). A send stored as
    "sending" that no process drives any more (killed, crashed) has status "paused". Counts per
    message state include "cancelled": a cancelled send's messages that never went out, which
    then count as neither accepted nor planned (``models.shown_counts``).
    """
    moment = now or clock.now(engine)
    with snapshot(engine) as connection:
        rows = campaign_store.rows(connection, limit=limit)
        sending = [row["id"] for row in rows if row["status"] == CampaignStatus.SENDING.value]
        driven = campaign_store.driven(connection, sending, now=moment) if sending else set()
    extra = headline_figures(engine, [r["id"] for r in rows])
    return [
        {
            **row,
            **_state_counts(row),
            "status": _shown(row, moment, driven=row["id"] in driven),
            "subject": shown_subject(row["subject"]),
            **extra.get(row["id"], {}),
        }
        for row in rows
    ]


def _state_counts(row: Mapping[str, Any]) -> dict[str, int]:
    """The row's counts per state as a person reads them: a cancelled send's unsent messages are "cancelled"."""
    return shown_counts({state.value: row[state.value] for state in MessageState}, row["status"])


def _shown(row: Mapping[str, Any], now: datetime, *, driven: bool) -> str:
    """The row's status as `mailer status` shows it: "scheduled", or "paused" for a send no process drives."""
    scheduled = datetime.fromisoformat(row["scheduled"]) if row["scheduled"] else None
    return shown_status(CampaignStatus(row["status"]), scheduled, now=now, driven=driven)
