"""One journalist's history (``mailer contact``): every campaign sent to an address, and whether it may be mailed.

For each campaign: when it went out, its subject, what happened to the message (state and
delivery), opens by people (Apple Mail's pre-fetch left out, as in the reports), clicks, and
the bounce with its reason. Then whether the address is suppressed (why, since when, from which
source), when it was taken off the list before, and the lists it came from.

The address is matched by the log's ``email_key`` (the normalized address, lower-cased; the
command line computes it with ``contacts.addresses.typed_key``). Dry runs are left out (nothing
was sent); test sends are in, marked. In a campaign whose list held the address twice, the
recipient row stands for it and the duplicate is not shown; a campaign that skipped the address
(suppressed, filtered out, already received) shows as skipped, with why.

``History.as_dict`` is the ``--json`` document; README "mailer contact" lists its keys.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from mailer import mailbox, scheduled
from mailer.errors import ReportError
from mailer.models import (
    CANCELLED,
    SCHEDULED,
    CampaignStatus,
    MessageState,
    Mode,
    RejectReason,
    shown_state,
    shown_status,
    shown_subject,
)

SANDBOX = "sandbox"  # Sending.mode of a campaign sent to SendGrid's sandbox
from mailer.reports.figures import which_first
from mailer.store import campaigns as campaign_store
from mailer.store import carried as carried_store
from mailer.store import clock, event_reports, plan_parts
from mailer.store import messages as message_store
from mailer.store import suppressions as suppression_store
from mailer.store.failures import in_words
from mailer.store.messages import AddressRow

__all__ = ["Bounce", "CarriedSending", "History", "Sending", "history"]


@dataclass(frozen=True, slots=True)
class Bounce:
    """The latest bounce, block or drop of one message."""

    type: str  # "bounce" (hard), "blocked" or "dropped", as SendGrid's events name them
    classification: str | None  # SendGrid's bounce_classification, e.g. "Invalid Address"
    reason: str | None  # the receiving server's answer, e.g. "550 5.1.1 no such user"
    at: datetime | None
    # The journalist opened or clicked it all the same, and which came first ("bounced after
    # opening", "opened after the bounce"; figures.which_first): it got there, and counts as
    # delivered, as in the reports. "" for a bounce with no open or click.
    opened: str = ""

    @property
    def label(self) -> str:
        """ "hard bounce: Invalid Address", "blocked: Reputation", "dropped"."""
        kind = "hard bounce" if self.type == "bounce" else self.type
        return f"{kind}: {self.classification}" if self.classification else kind


@dataclass(frozen=True, slots=True)
class Sending:
    """One campaign as it concerned the address."""

    campaign_id: str
    subject: str
    mode: str  # "live" or "test"; "sandbox" for either sent to SendGrid's sandbox (delivered to nobody; review 12b #7)
    sent_at: datetime  # the scheduled time of a scheduled send, else when the campaign was created (UTC)
    campaign_status: str  # as `mailer status` shows it: "scheduled" while SendGrid holds a scheduled send (models.shown_status)
    state: str  # models.MessageState (accepted, failed, unknown, planned, sending, skipped), or "cancelled" (models.shown_state)
    skip_reason: str | None
    error: str | None  # SendGrid's refusal, for failed and unknown messages
    delivery: str | None  # furthest delivery reached: processed, deferred, delivered, bounced, blocked, dropped
    opens: int  # every open event, Apple pre-fetch included
    human_opens: int  # opens by people
    first_open: datetime | None  # first open by a person
    clicks: int
    links: tuple[str, ...]
    bounce: Bounce | None
    unsubscribed: bool
    spam_report: bool
    email: str  # the address as it was sent to
    name: str  # first and last name from the list, as the campaign saw them
    outlet: str
    source: str | None  # "lists/press.csv:12", the list file and row
    language: str | None = None  # the release version it got (en, fr, ...); None when skipped
    in_flight: bool = False  # planned, but its request is listed in flight: sent, SendGrid's answer not logged
    follow_up_of: str | None = None  # a follow-up: the campaign it followed (``source`` is then that campaign's list row)
    versions: int = 0  # how many language versions the campaign sent; 0 when the log does not say (logged before it kept them)
    late_cancel: bool = False  # a cancel of its scheduled send was asked less than 10 minutes before its time (review 14 #8)
    # Its scheduled time still ahead (not cancelled): SendGrid holds what it took until then, though
    # the send itself stopped half-way and reads "paused" (newcomer 16 #5: contact said "accepted").
    held: bool = False
    # Planned, and its address suppressed since the campaign was planned: a resume skips it, as
    # `mailer status` says (review 16r #9: contact said "mailer resume ... sends it").
    resume_skips: bool = False
    # Planned in a stopped send, and the campaign's lists now keep her out ("opted out", "without
    # consent"): its resume reads them again and skips her (review 23c: contact said "mailer resume ... sends it").
    lists_keep_out: str | None = None
    # Skipped as the list's own opt-out column said ("opted out of email (...)": review 18y #11), or
    # its consent column ("gave no consent to email (...)", "no consent to email (...)").
    opted_out: str | None = None
    # Every field of the journalist's list row this campaign's log keeps (title, beat, a phone
    # number...), empty ones and the address (``email``) left out: what `mailer forget` erases (newcomer 22 #2).
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def version_named(self) -> str | None:
        """The version to name beside the subject: the one it got when the campaign sent several
        (for a campaign logged before its versions were kept, any but English); None otherwise
        (newcomer 12 #5: a French office's every campaign read "(fr version)")."""
        if not self.language:
            return None
        several = self.versions > 1 if self.versions else self.language != "en"
        return self.language if several else None

    @property
    def delivered(self) -> bool:
        """Delivered, as the reports count it: one that bounced though she opened or clicked it too."""
        return self.delivery == "delivered" or (self.bounce is not None and bool(self.bounce.opened))

    @property
    def outcome(self) -> str:
        """What happened, in a word or three: "delivered", "hard bounce", "skipped: suppressed", "failed"."""
        return self.outcome_on(None)

    def outcome_on(self, zone: str | None) -> str:
        """``outcome``, a held send's time on the office's clock ``zone`` ([reports] time_zone) beside UTC."""
        if self.state == MessageState.SKIPPED.value:
            if self.opted_out:
                # the list's own opt-out column, not the suppression list (review 18y #11: "Suppressed: no" above
                # "skipped: suppressed" read as a contradiction)
                return f"skipped: {self.opted_out}"
            return f"skipped: {self.skip_reason or 'other'}"
        if self.state == CANCELLED:  # the campaign was cancelled before this message went out
            return "cancelled: never sent"
        if self.bounce is not None:
            kind = "hard bounce" if self.bounce.type == "bounce" else self.bounce.type
            if self.bounce.opened:  # counted delivered in the reports (figures.AFTER_OPENING)
                return f"{self.bounce.opened} ({kind}; counted as delivered: it got there)"
            return kind
        if self.state == MessageState.ACCEPTED.value and (self.campaign_status == SCHEDULED or self.held) and not self.delivery:
            # SendGrid holds it until the scheduled time: nothing has reached the journalist yet (newcomer 13 #6)
            held = f"scheduled: SendGrid holds it until {scheduled.on_office_clock(self.sent_at, zone)}; not sent yet"
            return held + ("; a cancel was asked less than 10 minutes before, so it may not go out" if self.late_cancel else "")
        if self.state == MessageState.ACCEPTED.value and self.late_cancel and self.delivery in (None, "dropped"):
            # its time has passed: a late cancel SendGrid may have honoured, and no event says it went out (review 14 #8)
            return (
                f"{self.delivery or 'accepted'}; a cancel was asked less than 10 minutes before its time, and no event "
                "says it went out: most likely it did not"
            )
        if self.state == MessageState.ACCEPTED.value:
            return self.delivery or "accepted"
        if self.in_flight:
            return "in flight (sent; SendGrid's answer not logged yet)"
        if self.state == MessageState.PLANNED.value and self.campaign_status == CampaignStatus.PAUSED.value:
            # a send that stopped: not "planned", a word of the log's own (newcomer 16 #14)
            if self.resume_skips:
                return f"not sent yet (the send stopped; suppressed since it was planned, so mailer resume {self.campaign_id} skips it)"
            if self.lists_keep_out:
                return f"not sent yet (the send stopped; the list now says {self.lists_keep_out}, so mailer resume {self.campaign_id} skips it)"
            return f"not sent yet (the send stopped; mailer resume {self.campaign_id} sends it)"
        if self.state == MessageState.PLANNED.value and self.campaign_status == CampaignStatus.SENDING.value:
            # a process is sending it right now: not "planned" either (review 16r #11)
            return f"not sent yet (the send is going on now; mailer status {self.campaign_id} shows how far it got)"
        return self.state


@dataclass(frozen=True, slots=True)
class Suppressed:
    """The address's entry on the suppression list."""

    reason: str
    source: str  # webhook, import, sync, manual, one-click, forget
    since: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class Lifted:
    """A time the address was taken off the suppression list."""

    was: str
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CarriedSending:
    """A campaign another delivery log sent the address, carried over into this one (`mailer carry-over`)."""

    campaign_id: str
    origin: str  # that log: an SQLite file's path, or its URL without password
    subject: str
    created_at: datetime
    language: str | None
    state: str  # there: sending, accepted or unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign_id,
            "origin": self.origin,
            "subject": shown_subject(self.subject),
            "created": _iso(self.created_at),
            "language": self.language,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class History:
    """Everything the log knows about one address; ``sendings`` newest first."""

    address: str  # the email_key looked up
    sendings: tuple[Sending, ...]
    suppression: Suppressed | None
    lifted: tuple[Lifted, ...]  # newest first
    # Campaigns whose plan is not all in the log yet (store/plan_parts.py: a send under way writing
    # it, or a log this user may only read): the address may be among their rows still to come.
    unwritten: tuple[str, ...] = ()
    # Campaigns an old log sent them, carried over into this one (`mailer carry-over`), newest first:
    # who had which release, not their opens or bounces, which stay in that log (carry28).
    carried: tuple[CarriedSending, ...] = ()

    @property
    def mailed(self) -> bool:
        """Whether a campaign (live or test) went to the address: one that did not skip it, nor was cancelled
        (nor sent to SendGrid's sandbox, which delivers nothing); or one an old log sent, carried over into this one."""
        return bool(self.carried) or any(
            s.state not in (MessageState.SKIPPED.value, CANCELLED) and s.mode != SANDBOX for s in self.sendings
        )

    @property
    def name(self) -> str:
        """The name in the newest campaign that had one ("" when none did)."""
        return next((s.name for s in self.sendings if s.name), "")

    @property
    def outlet(self) -> str:
        return next((s.outlet for s in self.sendings if s.outlet), "")

    @property
    def fields(self) -> dict[str, str]:
        """Every field of the journalist's list rows the log holds, each from the newest campaign
        that had it (``first_name``, ``title``, ``twitter_handle``, ...): the answer to "what do you
        hold on me?", with the address, the campaigns and the suppression (newcomer 22 #2)."""
        held: dict[str, str] = {}
        for sending in self.sendings:
            for name, value in sending.fields:
                held.setdefault(name, value)
        return held

    @property
    def lists(self) -> tuple[str, ...]:
        """The list files the address came from, sorted (rows dropped: "lists/press.csv"; a test send's --to is no list)."""
        return tuple(sorted({_list_file(s.source) for s in self.sendings if s.source and not s.source.startswith("--")}))

    def as_dict(self) -> dict[str, Any]:
        """The ``mailer contact --json`` document (times: UTC, ISO 8601).

        ``totals`` count the live campaigns that went to the address; ``skipped`` the campaigns
        that left it out (suppressed, filtered, already received), ``cancelled`` those cancelled
        before its email went out, ``test_sends`` the test sends, ``sandbox`` those sent to
        SendGrid's sandbox (delivered to nobody).
        """
        skipped = [s for s in self.sendings if s.state == MessageState.SKIPPED.value]
        cancelled = [s for s in self.sendings if s.state == CANCELLED]
        live = [s for s in self.sendings if s.mode == Mode.LIVE.value and s.state not in (MessageState.SKIPPED.value, CANCELLED)]
        return {
            "address": self.address,
            "name": self.name,
            "outlet": self.outlet,
            "fields": self.fields,
            "mailed": self.mailed,
            "suppressed": self.suppression is not None,
            "suppression": None
            if self.suppression is None
            else {
                "reason": self.suppression.reason,
                "source": self.suppression.source,
                "since": _iso(self.suppression.since),
                "note": self.suppression.note,
            },
            "suppression_lifted": [{"was": x.was, "note": x.note, "at": _iso(x.at)} for x in self.lifted],
            "lists": list(self.lists),
            "totals": {
                "campaigns": len(live),
                "delivered": sum(s.delivered for s in live),
                # By a person, or a click: as the reports and follow-ups count who opened (event_reports.OPENED_BY_PERSON;
                # review 18y #2: a journalist who only clicked read "opened": 0 here, opened in the report).
                "opened": sum(s.human_opens > 0 or s.clicks > 0 for s in live),
                "clicked": sum(s.clicks > 0 for s in live),
                # Not one who opened or clicked it all the same: delivered, as the reports count her.
                "bounced": sum(s.bounce is not None and not s.bounce.opened for s in live),
                "bounced_after_opening": sum(s.bounce is not None and bool(s.bounce.opened) for s in live),
                "skipped": len(skipped),
                "cancelled": len(cancelled),
                "test_sends": sum(
                    s.mode == Mode.TEST.value and s.state not in (MessageState.SKIPPED.value, CANCELLED) for s in self.sendings
                ),
                SANDBOX: sum(s.mode == SANDBOX for s in self.sendings),
            },
            "campaigns": [_sending_dict(s) for s in self.sendings],
            "carried": [c.as_dict() for c in self.carried],
        }


@in_words
def history(
    engine: Engine,
    email_key: str,
    *,
    also: tuple[str, ...] = (),
    folder: Path | None = None,
    now: datetime | None = None,
    kept_out: Callable[[str], Mapping[str, str]] | None = None,
) -> History:
    """The history of one address: ``email_key`` as a person types it ("Li.Wei@Example.org",
    "Li Wei <li.wei@example.org>") or as the log keys it, read as ``mailer contact`` reads it
    (``mailbox.key``: normalized, lower-cased). Raises ReportError when it is not text.

    ``also`` names other spellings to try for the suppression entry (a suppression synced from
    SendGrid holds the address as SendGrid spelled it). ``folder`` is the press office's folder
    (mailer.toml's): a list file logged with its full path inside it (the staff list of
    ``[lists] staff``) is shown relative to it, as a list given to ``send --list`` is logged, so
    one list reads one way (fix 10). Never raises for an unknown address: its history is empty.
    ``now`` decides which scheduled sends SendGrid still holds (``Sending.campaign_status``).
    ``kept_out``: for a stopped send's id, the addresses its lists keep out now (lower-cased ->
    "opted out" / "without consent"; `mailer contact` passes what the resume reads,
    ``send.prepare.lists_now``): her row in it reads as the resume will skip it.
    """
    if not isinstance(email_key, str):  # README once said to pass typed_key(text), a (key, why) pair
        raise ReportError(
            f"contact.history takes the address as text, not {type(email_key).__name__} {email_key!r}.",
            hint='Pass the address itself, for example contact.history(engine, "jane@example.org").',
        )
    typed = email_key.strip().lower()
    email_key = mailbox.key(email_key)
    if typed != email_key and typed not in also:
        also = (*also, typed)  # a suppression synced from SendGrid keeps SendGrid's spelling
    now = now or clock.now(engine)
    try:
        with engine.begin() as connection:
            # A stopped send's rows still in parts (store/plan_parts.py): hers may be there, written first
            # as `mailer status` writes them (review 19q #3: "No campaign ... was sent to" her). A send
            # going on writes its own.
            waiting = plan_parts.unfinished(connection)
            for campaign_id in sorted(set(waiting) - campaign_store.driven(connection, waiting, now=now)):
                plan_parts.write_all(connection, campaign_id)
    except SQLAlchemyError:  # a log this user may only read: its history stands without them (review 19r #1: "the file is read-only")
        pass
    with engine.connect() as connection:
        unwritten = plan_parts.unfinished(connection)  # those left: a send under way, or a log this user may only read
        every = message_store.for_address(connection, email_key)
        rows = [r for r in every if r.mode != Mode.DRY_RUN.value]
        chosen = _one_per_campaign(rows)
        activity = event_reports.by_message(connection, [r.message_id for r in chosen])
        versions = campaign_store.version_counts(connection, {r.campaign_id for r in chosen})
        sending = {r.campaign_id for r in chosen if r.campaign_status == CampaignStatus.SENDING.value}
        driven = campaign_store.driven(connection, sending, now=now) if sending else set()
        entry = next((found for key in (email_key, *also) if (found := suppression_store.find(connection, key))), None)
        lifted = suppression_store.removals(connection, email_key)
        moved = [
            CarriedSending(one.campaign_id, one.origin, one.subject, one.created_at, language, state)
            for one, language, state in carried_store.for_address(connection, email_key)
        ]
        skips = set()
        if entry is not None:  # of its sends that stopped before mailing it, those a resume skips (review 16r #9)
            for row in chosen:
                if row.state == MessageState.PLANNED.value and row.campaign_status != CampaignStatus.CANCELLED.value:
                    sent_by = campaign_store.get(connection, row.campaign_id)
                    if sent_by is not None and message_store.suppressed_for_resume(
                        connection, row.message_id, since=sent_by.created_at, overrides=sent_by.overrides
                    ):
                        skips.add(row.campaign_id)
    listed: dict[str, str] = {}
    if kept_out is not None:  # her stopped sends a resume would skip her in, as their lists say now (review 23c)
        for row in chosen:
            stopped = row.state == MessageState.PLANNED.value and row.campaign_status == CampaignStatus.PAUSED.value
            if stopped and row.campaign_id not in skips and not row.in_flight:
                why = kept_out(row.campaign_id).get(email_key)
                if why:
                    listed[row.campaign_id] = "they opted out" if why == RejectReason.OPTED_OUT.value else "they gave no consent"
    origins = _origins(every)
    sendings = sorted(
        (
            _sending(
                row,
                activity.get(row.message_id),
                origins,
                folder,
                versions.get(row.campaign_id, 0),
                now=now,
                driven=driven,
                resume_skips=row.campaign_id in skips,
                lists_keep_out=listed.get(row.campaign_id),
            )
            for row in chosen
        ),
        key=lambda s: (s.sent_at, s.campaign_id),
        reverse=True,
    )
    return History(
        address=email_key,
        sendings=tuple(sendings),
        suppression=None if entry is None else Suppressed(str(entry.reason), entry.source, entry.created_at, entry.note),
        lifted=tuple(Lifted(r.previous_reason, r.note, r.removed_at) for r in lifted),
        unwritten=tuple(campaign_id for campaign_id in unwritten if campaign_id not in {s.campaign_id for s in sendings}),
        carried=tuple(moved),
    )


def _one_per_campaign(rows: list[AddressRow]) -> list[AddressRow]:
    """Per campaign the recipient row, or (when the campaign skipped the address) the skipped row
    that decided: not a "duplicate" row when the address's first row was skipped for a reason of
    its own (nc9: a filtered journalist read "skipped: duplicate", as if reached another way)."""
    chosen: dict[str, AddressRow] = {}
    for row in rows:
        held = chosen.get(row.campaign_id)
        if held is None or _rank(row) < _rank(held):
            chosen[row.campaign_id] = row
    return list(chosen.values())


def _rank(row: AddressRow) -> int:
    """Which row of a campaign speaks for the address: the recipient's, then a skip of its own, then a duplicate."""
    if row.skip_reason is None:
        return 0
    return 2 if row.skip_reason == RejectReason.DUPLICATE.value else 1


def _origins(rows: list[AddressRow]) -> dict[str, tuple[str, str | None]]:
    """A follow-up's rows name their origin as "<campaign>:<message id>": each such source -> (that
    campaign, the list row the original message came from, when the log still has it)."""
    campaign_ids = {row.campaign_id for row in rows}
    by_id = {str(row.message_id): row.source for row in rows}
    found: dict[str, tuple[str, str | None]] = {}
    for row in rows:
        head, sep, tail = (row.source or "").rpartition(":")
        if sep and head in campaign_ids and tail.isdigit():
            came_from = by_id.get(tail)
            for _ in range(len(rows)):  # a follow-up of a follow-up: up to the list row (review 16r #1)
                up, sep, number = (came_from or "").rpartition(":")
                if not (sep and up in campaign_ids and number.isdigit()):
                    break
                came_from = by_id.get(number)
            found[row.source or ""] = (head, came_from)
    return found


def _sending(
    row: AddressRow,
    events: event_reports.MessageEvents | None,
    origins: dict[str, tuple[str, str | None]],
    folder: Path | None,
    versions: int = 0,
    *,
    now: datetime,
    driven: Collection[str] = (),
    resume_skips: bool = False,
    lists_keep_out: str | None = None,
) -> Sending:
    fields = row.fields
    name = " ".join(str(fields.get(part) or "").strip() for part in ("first_name", "last_name")).strip()
    bounce = None
    if events is not None and events.bounce_type is not None:
        at = None if events.bounce_time is None else datetime.fromtimestamp(events.bounce_time, UTC)
        reached = events.first_reached
        opened = which_first(reached, events.bounce_type, events.bounce_time) if reached is not None else ""
        bounce = Bounce(events.bounce_type, events.bounce_classification, events.bounce_reason, at, opened)
    return Sending(
        campaign_id=row.campaign_id,
        subject=row.subject,
        mode=SANDBOX if row.sandbox else row.mode,
        sent_at=row.scheduled_at or row.created_at,
        campaign_status=_shown_status(row.campaign_status, row.scheduled_at, now, driven=row.campaign_id in driven),
        state=shown_state(row.state, row.campaign_status),
        skip_reason=row.skip_reason,
        error=row.error if row.state in (MessageState.FAILED.value, MessageState.UNKNOWN.value) else None,
        opted_out=row.error
        if row.state == MessageState.SKIPPED.value and row.skip_reason in (RejectReason.OPTED_OUT.value, RejectReason.NO_CONSENT.value)
        else None,
        delivery=row.delivery,
        opens=events.opens if events else 0,
        human_opens=events.human_opens if events else 0,
        first_open=None if events is None or events.first_human_open is None else datetime.fromtimestamp(events.first_human_open, UTC),
        clicks=events.clicks if events else 0,
        links=events.urls if events else (),
        bounce=bounce,
        unsubscribed=events.unsubscribed if events else False,
        spam_report=events.spam_report if events else False,
        email=row.email,
        name=" ".join(name.split()),
        outlet=str(fields.get("outlet") or "").strip(),
        source=_shown_source(origins[row.source][1] if row.source in origins else row.source, folder),
        language=row.language if row.state != "skipped" else None,  # one waiting elsewhere keeps its version, not got
        in_flight=row.in_flight and row.campaign_status != CampaignStatus.CANCELLED.value,  # shown "cancelled", not planned (review 14 #6)
        follow_up_of=origins[row.source][0] if row.source in origins else None,
        versions=versions,
        late_cancel=row.late_cancel,
        held=row.scheduled_at is not None and row.scheduled_at > now and row.campaign_status != CampaignStatus.CANCELLED.value,
        resume_skips=resume_skips,
        lists_keep_out=lists_keep_out,
        fields=tuple(
            (str(key), " ".join(str(value).split())) for key, value in fields.items() if key != "email" and str(value or "").strip()
        ),
    )


def _shown_status(stored: str, scheduled_at: datetime | None, now: datetime, *, driven: bool) -> str:
    """The campaign's status as `mailer status` and `mailer campaigns` show it: "scheduled" while
    SendGrid holds a finished scheduled send (newcomer 13 #6: contact read "done"), "paused" for a
    send no process drives (``driven``; newcomer 15 #1)."""
    try:
        return shown_status(CampaignStatus(stored), scheduled_at, now=now, driven=driven)
    except ValueError:  # a status this press-mailer does not know: as stored
        return stored


def _sending_dict(s: Sending) -> dict[str, Any]:
    return {
        "campaign": s.campaign_id,
        "subject": shown_subject(s.subject),  # as the terminal shows it, no SendGrid token (review 12b #6)
        "mode": s.mode,
        "sent_at": _iso(s.sent_at),
        "campaign_status": s.campaign_status,
        "state": s.state,
        "in_flight": s.in_flight,
        "late_cancel": s.late_cancel,
        "skip_reason": s.skip_reason,
        "error": s.error,
        "delivery": s.delivery,
        "delivered": s.delivered,
        "language": s.language,
        "opens": s.opens,
        "human_opens": s.human_opens,
        "opened": s.human_opens > 0 or s.clicks > 0,  # by a person, or clicked: as the reports count it (review 20b #3)
        "first_open": _iso(s.first_open),
        "clicks": s.clicks,
        "links": list(s.links),
        "bounce": None
        if s.bounce is None
        else {
            "type": s.bounce.type,
            "classification": s.bounce.classification,
            "reason": s.bounce.reason,
            "at": _iso(s.bounce.at),
            "after_opening": s.bounce.opened or None,
        },
        "unsubscribed": s.unsubscribed,
        "spam_report": s.spam_report,
        "email": s.email,
        "name": s.name,
        "outlet": s.outlet,
        "list": s.source,
        "follow_up_of": s.follow_up_of,
    }


def _shown_source(source: str | None, folder: Path | None) -> str | None:
    """ "/office/lists/staff.csv:3" -> "lists/staff.csv:3" when /office is ``folder``; "./lists/x.csv:3"
    -> "lists/x.csv:3". A path outside the folder stays whole; "--to" and the like stay as they are."""
    if not source or source.startswith("--"):
        return source
    head, sep, tail = source.rpartition(":")
    if not (sep and tail.isdigit()):
        return source
    path = PurePath(head)
    if path.is_absolute():
        inside = [base for base in ((folder, folder.resolve()) if folder is not None else ()) if path.is_relative_to(base)]
        if not inside:
            return source
        path = path.relative_to(inside[0])
    return f"{path}:{tail}"


def _list_file(source: str) -> str:
    """ "lists/press.csv:12" -> "lists/press.csv" (a Windows path keeps its drive colon)."""
    head, sep, tail = source.rpartition(":")
    return head if sep and tail.isdigit() else source


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")
