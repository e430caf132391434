"""Where a campaign stands, and what to do next, in plain words: ``mailer status`` and ``campaigns``.

``find`` turns a campaign id into the stored campaign (or an error naming near ids);
``status`` gathers counts per state, skipped rows by reason, the distinct errors and the next
steps; ``advice`` writes those steps. ``held_at_sendgrid`` finds the scheduled sends SendGrid
still holds an email of for some addresses: what ``suppressions add`` and ``forget`` must warn of.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from mailer import scheduled as scheduled_words
from mailer.config import Config
from mailer.counting import counted
from mailer.errors import SendError
from mailer.models import CANCELLED, CampaignStatus, MessageState, Mode, RejectReason, shown_counts, shown_status, skipped_words, texts
from mailer.send import lease, schedule
from mailer.send.dispatch import utcnow
from mailer.store import campaigns, messages, plan_parts, snapshot
from mailer.store.campaigns import Campaign
from mailer.store.failures import in_words

__all__ = [
    "Held",
    "Status",
    "advice",
    "cancelled_words",
    "find",
    "held_at_sendgrid",
    "late_cancel_words",
    "skipped_words",
    "status",
    "time_passed_words",
    "unknown_words",
]


@dataclass(frozen=True, slots=True)
class Status:
    """One campaign as ``mailer status`` shows it."""

    campaign: Campaign
    counts: Mapping[str, int]  # message state -> recipients, as shown (models.shown_counts: "cancelled" too)
    skipped: Mapping[str, int]  # skip reason -> rows
    errors: Sequence[tuple[str, str, int]]  # (state, error text, recipients)
    next_steps: Sequence[str]
    shown_status: str  # the stored status, or "scheduled" while SendGrid holds it (models.shown_status)
    # Of the rows counted planned, those in requests listed in flight when their run stopped: the
    # request left (or may have) and no answer was logged, so they may have the email (newcomer 13 #3).
    in_flight: int = 0
    # Of a cancelled send's emails, those handed to SendGrid before the cancel (which it holds, or
    # held, and discards); None for any other send (newcomer 16 #11).
    cancelled_held: int | None = None


def find(connection: Connection, campaign_id: str, *, command: str = "status") -> Campaign:
    """The campaign, or an error naming near ids: a mistyped id is the usual mistake. One carried over from an
    old log (`mailer carry-over`) is named as such, with how to run ``command`` (`mailer status`, `resume`) there."""
    found = campaigns.get(connection, campaign_id)
    if found is None:
        from mailer.store import carried

        moved = carried.sent_elsewhere(connection, campaign_id)
        if moved is not None:  # carried over from the office's old log: not a typo (carry28)
            again = " Then run mailer carry-over here again, so this log knows." if command in ("resume", "cancel") else ""
            raise SendError(
                f"{moved[0]}. Its state, errors and SendGrid's events are in that log.",
                hint=carried.elsewhere_hint(moved[1], f"{command} {campaign_id}") + again,
            )
        raise SendError(f'No campaign "{campaign_id}" in the delivery log.', hint=campaigns.unknown_id_hint(connection, campaign_id))
    return found


@in_words
def status(
    engine: Engine,
    campaign_id: str,
    *,
    now: datetime | None = None,
    rehearse: bool = True,
    config: Config | None = None,
    command: str = "status",
) -> Status:
    """Counts, skipped rows, errors and next steps of one campaign, as the log has them now;
    ``rehearse``: for a stopped live send, say whom a resume now would skip (``_what_a_resume_skips``),
    its lists read again (named from the ``config``'s folder, else from the current one). Given the ``config``, a cancelled send's step names the command that sends its release again (send/again.py).

    ``Status.counts``: journalists per message state (planned, sending, accepted, cancelled, failed,
    unknown, skipped); ``skipped``: per reason; ``next_steps``: what `mailer status` prints last.
    Raises SendError for an id not in this log (the hint says where else it may be, and how to run ``command`` there).
    """
    with snapshot(engine) as connection:  # one moment: a running send moves parts into the message table (review 19r #2)
        campaign = find(connection, campaign_id, command=command)
        counts, errors = messages.tally(connection, campaign_id)
        # Journalists whose rows wait in parts (a send writing its plan, or one killed before it had): planned.
        counts[MessageState.PLANNED.value] = counts.get(MessageState.PLANNED.value, 0) + plan_parts.left(connection, campaign_id)
        skipped = messages.skipped_by_reason(connection, campaign_id)
        for reason, n in plan_parts.skipped(connection, campaign_id).items():  # rows skipped in parts: as the plan counted them
            skipped[reason] = skipped.get(reason, 0) + n
            counts[MessageState.SKIPPED.value] = counts.get(MessageState.SKIPPED.value, 0) + n
        now = now or utcnow(engine)
        held = lease.driving(connection, campaign_id, now=now)
        # A stopped run's requests in flight (a process driving it now keeps its own list), of the
        # rows shown planned: none of a cancelled send, whose planned rows read "cancelled" (review 14 #6).
        in_flight = 0
        if held is None and campaign.status is not CampaignStatus.CANCELLED:
            in_flight = messages.planned_in(connection, campaign_id, campaigns.in_flight(connection, campaign_id))
        scheduled = campaign.scheduled_at
        # SendGrid holds emails only if some went to it (review 10c: a scheduled send stopped before
        # its first request read "SendGrid holds these emails").
        # A dry run's emails were written to files, never handed over (review 16r #6: "SendGrid holds
        # these emails ... mailer cancel" of a rehearsal).
        handed = campaign.mode is not Mode.DRY_RUN and messages.handed_over(connection, campaign_id, counts)
        held_until = scheduled if scheduled and scheduled > now and handed and campaign.status is not CampaignStatus.CANCELLED else None
        if held_until is not None and config is not None and config.reports.time_zone:  # said on the office's clock too (newcomer 25 #1)
            from zoneinfo import ZoneInfo

            held_until = held_until.astimezone(ZoneInfo(config.reports.time_zone))
        # A late cancel after its time: whether SendGrid's events show it went out (review 14 #8).
        sent_out = messages.went_out(connection, campaign_id) if campaign.late_cancel and scheduled and scheduled <= now else 0
        cancelled_held = None
        if campaign.status is CampaignStatus.CANCELLED:  # its rows as they were: which SendGrid took (newcomer 16 #11)
            cancelled_held = sum(
                counts.get(state.value, 0) for state in (MessageState.ACCEPTED, MessageState.UNKNOWN, MessageState.SENDING)
            )
            cancelled_held += messages.planned_in(connection, campaign_id, campaigns.in_flight(connection, campaign_id))
        suppressed = 0
        if held_until is not None:  # the rule a resume skips by (messages.skip_suppressed; fix 10)
            suppressed = messages.suppressed_after_handing(connection, campaign_id, since=campaign.created_at, overrides=campaign.overrides)
    running = None
    if held is not None:  # another process is sending it right now
        heard = max(0, int((now - held.heartbeat).total_seconds()))
        running = f"pid {held.pid} on {held.host.split('/')[0]}, last heard from {heard} s ago"
    if campaign.status is CampaignStatus.CANCELLED:  # its unknown rows are "cancelled" now: no error to explain
        errors = [(state, error, n) for state, error, n in errors if state == MessageState.FAILED.value]
    shown = shown_counts(counts, campaign.status)
    office_zone = config.reports.time_zone if config is not None else None  # said on the office's clock too
    late = late_cancel_words(campaign, now=now, went_out=sent_out, zone=office_zone)
    unanswered = unanswered_cancel_words(campaign, now=now, zone=office_zone)
    steps = advice(
        campaign_id,
        shown,
        mode=campaign.mode,
        status=campaign.status,
        running=running,
        held_until=held_until,
        in_flight=in_flight,
        late_cancel=(late or unanswered) if held_until is None else None,
        again=_again(config, campaign, now=now, called_off=skipped.get(RejectReason.CALLED_OFF.value, 0)),
        called_off=skipped.get(RejectReason.CALLED_OFF.value, 0),
        sandboxed=campaign.sandboxed,
        cancel_unanswered=unanswered is not None,
    )
    if held_until is not None:
        steps.insert(
            0,
            f"{scheduled_words.held(held_until)}. "
            + (
                f"{late} A corrected release sent after that time asks before mailing those who had this version."
                if late
                else unanswered or schedule.cancel_words(campaign_id, held_until, now=now)
            ),
        )
    if suppressed and held_until is not None:  # suppressed or erased since SendGrid took their email (newcomer review 9)
        steps.insert(1, _suppressed_since_words(campaign_id, suppressed, held_until, now=now, late=late))
    if rehearse and held is None and held_until is None and campaign.mode is Mode.LIVE and campaign.status in _STOPPED:
        not_sent = {**shown, MessageState.PLANNED.value: shown.get(MessageState.PLANNED.value, 0) - in_flight}
        steps.extend(_what_a_resume_skips(engine, campaign, not_sent, config=config))
    shown_as = shown_status(campaign.status, scheduled, now=now, driven=held is not None)
    return Status(campaign, shown, skipped, errors, steps, shown_as, in_flight, cancelled_held)


# With no process driving it (its lease free, expired, or its holder's process gone): "sending" is
# a run that was killed or crashed (newcomer 15 #1).
_STOPPED = (CampaignStatus.PAUSED, CampaignStatus.PLANNED, CampaignStatus.SENDING)


def _what_a_resume_skips(engine: Engine, campaign: Campaign, shown: Mapping[str, int], *, config: Config | None = None) -> list[str]:
    """For a stopped live send, whom a resume now would skip of those not sent yet, rehearsed as
    the resume does it (nc11b: status said "21 not sent yet", and the resume then found nobody);
    its lists read again as the resume reads them (``config``: whose folder names them) (review 23c: status
    counted a journalist who had opted out in the list since among those a resume would mail)."""
    from mailer.send import delivery

    planned = shown.get(MessageState.PLANNED.value, 0)
    if not planned:
        return []
    from mailer.send.prepare import lists_now

    # Without a config, the lists as the current folder names them (newcomer 23py #4: README's
    # `status(engine, id)` read none, and counted who had opted out among those a resume would mail).
    lists = lists_now(engine, config if config is not None else Config(), campaign)
    try:
        rehearsal = delivery.rehearse_resume(
            engine,
            campaign,
            resend_unknown=False,
            retry_failed=False,
            kept_out=lists.kept_out,
            silent=lists.silent,
        )
    except SQLAlchemyError:  # a log this user may only read (a reporting account): the counts above still stand
        return []
    if rehearsal.left >= planned:
        return []
    kept = delivery.kept_out_words(rehearsal.kept_out)
    why = [
        *rehearsal.elsewhere.words(),
        *([f"{counted(rehearsal.suppressed, 'journalist')} suppressed since it was planned."] if rehearsal.suppressed else []),
        *([kept] if kept is not None else []),
    ]
    if not rehearsal.left:
        return [f"A resume now would mail nobody ({' '.join(why)}): mailer resume {campaign.id} marks it done."]
    return [f"A resume now would mail {counted(rehearsal.left, 'journalist')} of them: {' '.join(why)}"]


def late_cancel_words(campaign: Campaign, *, now: datetime, went_out: int = 0, zone: str | None = None) -> str | None:
    """What to do about a scheduled send whose cancel was asked less than 10 minutes before its time
    (``Campaign.late_cancel``): before its time, nothing more can call it off, so wait for it instead
    of running the same cancel again (newcomer 13 #7). After its time, whether it went out, by its
    events: ``went_out`` of its emails SendGrid reports sending (``messages.went_out``); with none,
    the cancel most likely held and nobody got it (review 14 #8: status said "All sent").
    None when no such cancel was asked. It opens with ``scheduled.late_cancel``, the fact every command says.
    ``zone``: the office's clock ([reports] time_zone), beside UTC, as the report says it (review26r)."""
    fact = scheduled_words.late_cancel(campaign, now=now, went_out=went_out, zone=zone)
    if fact is None or campaign.scheduled_at is None:
        return None
    if campaign.scheduled_at > now:
        return (
            f"{fact}, and asking again changes nothing. "
            f"Wait until {schedule.describe(_on_clock(campaign.scheduled_at, zone))}; then its events (mailer report {campaign.id}) show "
            "whether it went out."
        )
    if went_out:
        return f"{fact}. Read opens and bounces with: mailer report {campaign.id}"
    return (
        f"{fact}. mailer counts its journalists as reached, so a new send of this release skips them unless it is sent "
        "with --include-previous."
    )


def _on_clock(moment: datetime, zone: str | None) -> datetime:
    """``moment`` on the office's clock ``zone``, so that ``schedule.describe`` adds it to UTC's; as it is without one."""
    from mailer import zones

    return zones.on_office_clock(moment, zone)


def unanswered_cancel_words(campaign: Campaign, *, now: datetime, zone: str | None = None) -> str | None:
    """A scheduled send whose cancel went to SendGrid with no answer logged (``Campaign.cancel_sent``:
    the cancel stopped with Ctrl-C or killed on its way, or no answer came): SendGrid may have taken
    it (review 18s #5: status said "SendGrid holds these emails" of a send SendGrid discarded, and a
    new send of the release skipped its journalists as reached). Before its time, to cancel again;
    after, that nobody knows whether it went out. None when there is no such cancel. ``zone``: the
    office's clock ([reports] time_zone), beside UTC."""
    sent, at = campaign.cancel_sent, campaign.scheduled_at
    if sent is None or at is None or campaign.status is CampaignStatus.CANCELLED or campaign.late_cancel is not None:
        return None
    asked = (
        f"A cancel of {campaign.id} was sent to SendGrid at {scheduled_words.on_office_clock(sent, zone)}, but its answer never came "
        "back (the cancel was stopped, or SendGrid did not answer)"
    )
    if at > now:
        before = " (up to 10 minutes before its time)" if at - now >= schedule.CANCEL_WINDOW else ""
        return (
            f"{asked}: SendGrid may discard these emails at {schedule.describe(_on_clock(at, zone))}, or send them then. "
            f"To be sure it is cancelled, run mailer cancel {campaign.id} again{before}."
        )
    return (
        f"{asked}, so whether SendGrid discarded its emails at {schedule.describe(_on_clock(at, zone))} is not known: its events "
        f"(mailer report {campaign.id}) show any that went out. mailer counts its journalists as reached, so a new "
        "send of this release skips them unless it is sent with --include-previous."
    )


def time_passed_words(campaign: Campaign, *, now: datetime) -> str | None:
    """What a resume of a scheduled send says before its question once the send's time has passed:
    SendGrid sends a ``send_at`` in the past at once (SENDGRID.md §1.1), so the rest goes out now,
    not at that time (it went without a word). None for a send not scheduled, or whose time is ahead."""
    at = campaign.scheduled_at
    if at is None or at > now:
        return None
    return f"{campaign.id} was scheduled for {schedule.describe(at)}; that time has passed, so the rest goes out now, not at that time."


def unknown_words(count: int, campaign_id: str, *, held_until: datetime | None = None) -> str:
    """What ``count`` recipients of unknown fate means and what to do about them: status's step,
    and what a cancel of a stopped send says of them (newcomer 15 #2: it said they "had it").
    ``held_until``: the time of a scheduled send still ahead, before which nobody has the email."""
    return (
        f"{counted(count, 'recipient')} {'is' if count == 1 else 'are'} unknown: their request left but SendGrid never confirmed it (no answer, or a "
        f"502/504 from its gateway), so {_may_have(held_until)}. mailer does not resend them by itself. "
        "Wait for SendGrid's events (mailer webhook, or mailer events import) to settle them; "
        f"only if you are sure they did not get it, run: mailer resume {campaign_id} --resend-unknown"
    )


def _may_have(held_until: datetime | None) -> str:
    """Of journalists whose request got no answer: they may have the email; of a scheduled send
    whose time (``held_until``) is ahead, nobody has it yet, SendGrid may hold it (fix15f: status
    said "may already have the email" beside "SendGrid holds these emails until ...")."""
    return scheduled_words.maybe_held(held_until) if held_until is not None else "they may already have the email"


def cancelled_words(count: int, campaign: Campaign, *, now: datetime, held: int | None = None) -> str:
    """ "42 cancelled: SendGrid discarded them; none went out": what became of a cancelled campaign's
    unsent messages (``count``), for the recipients line of ``mailer status``. ``held``: how many of
    them SendGrid had been handed (``Status.cancelled_held``; None: all of them); the others never
    left, and the words say so (newcomer 16 #11)."""
    held = count if held is None else min(held, count)
    if campaign.sendgrid_batch_id is None or campaign.scheduled_at is None or not held:
        return f"{count:,} cancelled before they were sent"
    rest = count - held
    others = f", and the other {rest:,} {'was' if rest == 1 else 'were'} never handed to it" if rest else ""
    if campaign.scheduled_at > now:
        them = f"the {held:,} it holds" if rest else "them"
        return (
            f"{count:,} cancelled: SendGrid discards {them} instead of sending them at {schedule.describe(campaign.scheduled_at)}{others}"
        )
    them = f"the {held:,} it held" if rest else "them"
    return f"{count:,} cancelled: SendGrid discarded {them}{others}; none went out"


def advice(
    campaign_id: str,
    counts: Mapping[str, int],
    *,
    mode: Mode = Mode.LIVE,
    status: CampaignStatus | None = None,
    running: str | None = None,
    held_until: datetime | None = None,
    in_flight: int = 0,
    late_cancel: str | None = None,
    again: str | None = None,
    called_off: int = 0,
    sandboxed: bool = False,
    cancel_unanswered: bool = False,
) -> list[str]:
    """What the user should do next, in plain words, given a campaign's counts per state.

    ``running`` describes the process sending the campaign right now (its lease is live), if one
    is: then the rows still planned are its to send, not a reason to resume (newcomer review 8).
    ``held_until``: the scheduled time of a send SendGrid still holds; until then nothing has gone
    out, so the advice never says "All sent" (newcomer review 9).
    ``in_flight``: of the planned rows, those in requests on their way to SendGrid when the send
    stopped: they may have the email (or, while ``held_until`` is ahead, SendGrid may hold it), so
    they are not "not sent yet" (newcomer 13 #3).
    ``late_cancel``: what became of a send whose cancel came late, once its time has passed
    (``late_cancel_words``): said first, and never "All sent" (review 14 #8).
    ``again``: the command that sends a cancelled send's release again (newcomer 15 #1), or the
    release of one whose rest was called off, if known.
    ``called_off``: journalists of a send stopped half-way that ``mailer cancel`` called off: never
    mailed, so the advice names them and the send that reaches them, never a bare "All sent"
    (newcomer 16 #3). ``sandboxed``: a rehearsal in SendGrid's sandbox, which delivered to nobody:
    a new send reaches everyone, those it "sent" to as well (review 16r #7). ``cancel_unanswered``:
    a cancel of it went to SendGrid and no answer was logged (``unanswered_cancel_words``, said
    by the caller): not "Every email is with SendGrid", as if it surely went out.
    """
    steps: list[str] = [late_cancel] if late_cancel else []
    planned = counts.get(MessageState.PLANNED.value, 0) + counts.get(MessageState.SENDING.value, 0)
    if running is None and in_flight:
        planned -= in_flight
        steps.append(
            f"{counted(in_flight, 'recipient')} {'was' if in_flight == 1 else 'were'} on their way to SendGrid when the send "
            f"stopped (their request was in flight and no answer was logged): {_may_have(held_until)}. A resume "
            "does not send to them again; it marks them unknown, and SendGrid's events (mailer webhook, or mailer events "
            "import) settle them."
        )
    unknown = counts.get(MessageState.UNKNOWN.value, 0)
    failed = counts.get(MessageState.FAILED.value, 0)
    if status is CampaignStatus.CANCELLED:
        if counts.get(CANCELLED):
            after_all = f": {again}" if again else ", run mailer send again."  # no full stop after a command to paste
            return [f"This send was cancelled: none of its emails went out. To send the release after all{after_all}"]
        return ["This send was cancelled; nothing more will go out."]
    if planned and running is not None:
        steps.append(
            f"{counted(planned, 'recipient')} {'is' if planned == 1 else 'are'} being sent right now by another process ({running}): let it finish. "
            f"`mailer status {campaign_id}` again shows how far it got."
        )
    elif planned and cancel_unanswered:
        # A resume is refused while a cancel of the send may have been taken (review 18y #5).
        steps.append(
            f"{counted(planned, 'recipient')} {'has' if planned == 1 else 'have'} not been sent yet, and no more of this send "
            f"goes out while its cancel is unsettled: mailer cancel {campaign_id} calls {'that one' if planned == 1 else 'them'} off."
        )
    elif planned:
        steps.append(
            f"{counted(planned, 'recipient')} {'has' if planned == 1 else 'have'} not been sent yet. Continue with: mailer resume {campaign_id}"
        )
    if unknown:
        steps.append(unknown_words(unknown, campaign_id, held_until=held_until))
    if failed:
        steps.append(
            f"{counted(failed, 'recipient')} failed: SendGrid refused them for the reason shown. "
            f"Fix the cause, then send to them again with: mailer resume {campaign_id} --retry-failed"
        )
    if called_off and mode is Mode.LIVE and sandboxed:
        reach = f": {again}" if again else " (mailer send, with its lists)."
        steps.append(
            f"{counted(called_off, 'journalist')} {'was' if called_off == 1 else 'were'} called off (mailer cancel). This was a "
            f"rehearsal in SendGrid's sandbox, delivered to nobody: a new send of this release reaches every journalist on the list{reach}"
        )
    elif called_off and mode is Mode.LIVE:
        reach = f": {again}" if again else " (mailer send, with its lists)."  # no full stop after a command to paste
        steps.append(
            f"{counted(called_off, 'journalist')} {'was' if called_off == 1 else 'were'} called off (mailer cancel) and "
            f"never mailed. A new send of this release reaches them, skipping those who had it{reach}"
        )
        if len(steps) == 1:  # everyone else was dealt with
            steps.append(
                f"Everyone else was sent to. Read opens and bounces later with: mailer report {campaign_id}"
                if held_until is None
                else f"Everyone else's email is with SendGrid; none has gone out yet. Read opens and bounces after "
                f"{schedule.describe(held_until)} with: mailer report {campaign_id}"
            )
    if cancel_unanswered and held_until is not None:
        return steps  # the caller's words on the cancel say what comes next
    if not steps and mode is Mode.LIVE and held_until is not None:
        steps.append(
            f"Every email is with SendGrid; none has gone out yet. "
            f"Read opens and bounces after {schedule.describe(held_until)} with: mailer report {campaign_id}"
        )
    reached = sum(counts.get(state.value, 0) for state in (MessageState.ACCEPTED, MessageState.UNKNOWN, MessageState.SENDING))
    if not steps and mode is Mode.LIVE and status is CampaignStatus.DONE and not reached:
        # every journalist skipped (a resume found everyone left suppressed or opted out): nobody was mailed (review 23c)
        steps.append("Nobody was mailed: every journalist of this send was skipped, for the reasons under Skipped.")
    if not steps:
        steps.append(
            "Nothing left to do." if mode is not Mode.LIVE else f"All sent. Read opens and bounces later with: mailer report {campaign_id}"
        )
    return steps


def _suppressed_since_words(
    campaign_id: str, suppressed: int, held_until: datetime, *, now: datetime, late: str | None, named: bool = False
) -> str:
    """Journalists of a scheduled send SendGrid holds who were suppressed or erased since it took
    their email (``named``: the send named, for words outside its `mailer status`)."""
    if late:
        way_out = "unless the late cancel takes effect"
    elif held_until - now < schedule.CANCEL_WINDOW:  # too late for SendGrid to promise a cancel (newcomer 15 #4)
        way_out = f"unless a cancel still takes effect (mailer cancel {campaign_id}; SendGrid no longer promises it)"
    else:
        way_out = f"unless you cancel the send (mailer cancel {campaign_id}) and send the release again, which skips them"
    who = (
        f"{counted(suppressed, 'journalist')} of {campaign_id}, a scheduled send SendGrid holds,"
        if named
        else f"{suppressed:,} of these journalists"
    )
    return (
        f"{who} {'was' if suppressed == 1 else 'were'} suppressed or erased since: SendGrid "
        f"mails them all the same at {schedule.describe(held_until)} {way_out}."
    )


def suppressed_while_held(engine: Engine, *, now: datetime | None = None, zone: str | None = None) -> list[str]:
    """For each scheduled send SendGrid still holds (its time ahead, not cancelled) some of whose
    journalists were suppressed or erased since it took their email, what ``mailer status`` of it
    says of them, naming the send ("1 journalist of 2026-12-02-example, a scheduled send SendGrid
    holds, was suppressed or erased since: SendGrid mails them all the same at ...").

    ``mailer events import`` says it after suppressing anyone (newcomer 22 #3: an imported
    unsubscribe read "now suppressed", and the scheduled send mailed her at its time); ``zone``, the
    office's [reports] time_zone, adds its clock's time in brackets (newcomer 25 #1)."""
    from zoneinfo import ZoneInfo

    now = now or utcnow(engine)
    found = []
    with engine.connect() as connection:
        for campaign_id in campaigns.scheduled_ahead(connection, now=now):
            campaign = campaigns.get(connection, campaign_id)
            if campaign is None or campaign.scheduled_at is None:
                continue
            suppressed = messages.suppressed_after_handing(connection, campaign_id, since=campaign.created_at, overrides=campaign.overrides)
            if suppressed:
                late = late_cancel_words(campaign, now=now)
                at = campaign.scheduled_at.astimezone(ZoneInfo(zone)) if zone else campaign.scheduled_at
                found.append(_suppressed_since_words(campaign_id, suppressed, at, now=now, late=late, named=True))
    return found


@dataclass(frozen=True, slots=True)
class Held:
    """A scheduled send whose time is still ahead, and the addresses asked about that SendGrid holds an email for in it."""

    campaign_id: str
    scheduled_at: datetime
    addresses: tuple[str, ...]  # lower-cased
    # When a cancel of it was asked too late (``Campaign.late_cancel``): ``late_cancel_words``. None: a cancel can still stop it.
    late: str | None = None
    # Of ``addresses``, those whose request got no answer (unknown, or in flight when a run stopped):
    # SendGrid may or may not hold their email (newcomer 15 #5: it read "still holds").
    unanswered: tuple[str, ...] = ()

    def warning(self, zone: str | None = None) -> str:
        """What to tell someone who has just suppressed (or erased) these addresses: the email still goes, and the way out
        (``mailer cancel``), or, when a cancel of that send was already asked too late, that only its time tells. SendGrid
        "still holds" an email it accepted, and "may still hold" one whose request got no answer. ``zone``: the office's
        ([reports] time_zone), its time said beside UTC as every other command says it (newcomer 26 #6)."""
        from mailer import zones

        answered = [address for address in self.addresses if address not in self.unanswered]
        unanswered = [address for address in self.addresses if address in self.unanswered]
        when = f"scheduled for {schedule.describe(zones.on_office_clock(self.scheduled_at, zone))}"
        unknown = (
            f"({'its request' if len(unanswered) == 1 else 'their requests'} got no answer, so SendGrid may or may not have taken "
            f"{'it' if len(unanswered) == 1 else 'them'})"
        )
        if not unanswered:
            held = f"SendGrid still holds {_emails(answered)} in {self.campaign_id}, {when}"
        elif not answered:
            held = f"SendGrid may still hold {_emails(unanswered)} in {self.campaign_id}, {when} {unknown}"
        else:
            one = "one" if len(unanswered) == 1 else "emails"
            held = (
                f"SendGrid still holds {_emails(answered)} in {self.campaign_id}, and may still hold {one} for "
                f"{', '.join(unanswered)} {unknown}, {when}"
            )
        held += ": the suppression does not stop what SendGrid already holds."
        if self.late is not None:  # "mailer cancel ... then send again" cannot help any more
            return f"{held} {self.late}"
        return (
            f"{held} To stop it: mailer cancel {self.campaign_id} (up to 10 minutes before), then send the release again; "
            f"{'this address is' if len(self.addresses) == 1 else 'these addresses are'} skipped then."
        )


def _emails(addresses: Sequence[str]) -> str:
    """ "an email for jane@x.org", "emails for 2 of them (jane@x.org, li@y.org)"."""
    return f"{'an email' if len(addresses) == 1 else 'emails'} for {_whom(addresses)}"


def _whom(addresses: Sequence[str]) -> str:
    return addresses[0] if len(addresses) == 1 else f"{len(addresses)} of them ({', '.join(addresses)})"


@in_words
def held_at_sendgrid(engine: Engine, addresses: Iterable[str] | str, *, now: datetime | None = None) -> list[Held]:
    """The scheduled sends, still ahead of ``now``, whose emails to any of ``addresses`` SendGrid already holds; soonest first.

    ``mailer suppressions add`` and ``mailer forget`` call it: a suppression keeps an address out
    of every later send, but what a scheduled send handed to SendGrid goes out at its time unless
    the send is cancelled (newcomer review 9). ``forget`` must ask before it erases the address.
    A send whose cancel was asked too late says so (``late_cancel_words``) instead of the way out.
    ``addresses``: as typed ("Li Wei <Li.Wei@example.org>"), or one address alone as text.
    """
    from mailer import mailbox

    given = texts(addresses)
    keys = {mailbox.key(address) for address in given} - {""}
    with engine.connect() as connection:
        found = messages.held_for_later(connection, keys, now=now or utcnow(connection))
        grouped: dict[tuple[str, datetime], list[str]] = {}
        unanswered: dict[tuple[str, datetime], list[str]] = {}
        for key, campaign_id, scheduled_at, answered in found:
            grouped.setdefault((campaign_id, scheduled_at), []).append(key)
            if not answered:
                unanswered.setdefault((campaign_id, scheduled_at), []).append(key)
        late = {campaign_id: _late_words(connection, campaign_id) for campaign_id, _ in grouped}
    return [
        Held(campaign_id, scheduled_at, tuple(held), late[campaign_id], tuple(unanswered.get((campaign_id, scheduled_at), ())))
        for (campaign_id, scheduled_at), held in grouped.items()
    ]


def _again(config: Config | None, found: Campaign, *, now: datetime, called_off: int = 0) -> str | None:
    """The command that sends a cancelled campaign's release again, or one whose rest was called
    off (None: neither, or no config to find its files by)."""
    if config is None or (found.status is not CampaignStatus.CANCELLED and not called_off):
        return None
    from mailer.send import again  # the composer: for a cancelled send only

    return again.command(config, found, now=now)


def _late_words(connection: Connection, campaign_id: str) -> str | None:
    found = campaigns.get(connection, campaign_id)
    return late_cancel_words(found, now=utcnow(connection)) if found is not None else None
