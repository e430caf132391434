"""The campaign workflow: every rule of a send, test send, resume and cancel, in one place.

The command line and a script do the same thing with the same calls::

    prepared = campaign.prepare_send(engine, config, Path("releases/launch.md"), [Path("lists/press.csv")], dry_run=True)
    prepared.check()                      # raises SendError / ConfigError when it must not go
    for question in prepared.questions:   # ask a person, or pass yes=True on the command line
        ...
    if prepared.correction and not wanted:  # "no" to the correction: the others only
        prepared = prepared.without_correction()
    sent = campaign.start(engine, config, prepared, environ={"SENDGRID_API_KEY": key})
    sent.outcome.check()                  # raises when recipients failed or are unknown

``prepare_*`` reads the release and lists, applies filters and suppressions (with overrides)
and builds the plan; nothing is written. ``start`` writes the campaign and every row to the
delivery log, then sends. ``resume`` and ``cancel`` take a campaign id. ``environ`` is where the
SendGrid API key is read from (only when a request must be made); it is never stored.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from mailer import compose, scheduled, unsubscribe
from mailer.compose import release
from mailer.config import Config
from mailer.counting import counted
from mailer.errors import AuthError, MailerError, OutcomeUnknown, Rejected, SendError, TransportError
from mailer.models import CampaignStatus, Message, MessageState, Mode, Rendered
from mailer.send import again, archive, delivery, schedule
from mailer.send import lease as lease_module
from mailer.send import plan as plan_module
from mailer.send.again import release_file
from mailer.send.dispatch import Pacing, utcnow
from mailer.send.parts import PlanParts
from mailer.send.plan import Plan
from mailer.send.prepare import ListsNow, Prepared, lists_now, prepare_follow_up, prepare_send, prepare_test
from mailer.send.status import find, late_cancel_words, unanswered_cancel_words, unknown_words
from mailer.store import campaigns, checkpoint, folders, follow_ups, messages, plan_parts
from mailer.store.failures import in_words
from mailer.transport.base import Transport
from mailer.transport.dryrun import DryRunTransport, file_size
from mailer.transport.mailsend import CommonBodies

if TYPE_CHECKING:  # the sendgrid library loads only for a live or test send
    from mailer.transport.sendgrid import SendGridTransport

__all__ = [
    "Cancelled",
    "Prepared",
    "Progress",
    "Sent",
    "cancel",
    "check_not_driven",
    "check_resumable",
    "prepare_follow_up",
    "prepare_send",
    "prepare_test",
    "resume",
    "sent_versions",
    "start",
    "stopped_cancel_words",
    "transport_for",
]

# A progress bar: called with a description and a total, gives a function to advance it.
Progress = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True, slots=True)
class Sent:
    """How a start or a resume ended."""

    campaign_id: str
    outcome: delivery.Outcome
    outbox: Path | None = None  # the dry run's folder
    eml_written: int | None = None  # dry run: how many .eml files (None: one per recipient)
    skipped_file: Path | None = None  # dry run: skipped.csv, when rows were skipped
    plan: Plan | None = None  # a start: the plan as logged (with those another send reached meanwhile skipped)
    # A resume of a live send: reason ("opted out", "without consent", "empty consent") -> how many journalists
    # it skipped because the campaign's lists now keep them out (prepare.lists_now), as `mailer resume` counts them.
    kept_out: Mapping[str, int] = field(default_factory=dict)
    # A resume of a live send: those it skipped as another send of the same release reached them since, or is
    # sending to them now, per campaign, and those it took back from one that stopped (`mailer resume`'s lines).
    elsewhere: delivery.Elsewhere | None = None


@dataclass(frozen=True, slots=True)
class Cancelled:
    """A send called off (or found cancelled already): a scheduled one through SendGrid, or one
    that stopped before it mailed anyone (``unsent`` journalists left planned)."""

    campaign_id: str
    scheduled_at: datetime | None
    already: bool = False
    late: bool = False  # less than 10 minutes before: SendGrid does not guarantee it
    unsent: int = 0
    reached: int = 0  # journalists it had mailed before it stopped: it stays done with them, the rest called off
    # Of ``reached``, those whose request got no answer (unknown): they may have the email, or not (newcomer 15 #2).
    unknown: int = 0
    # A process was still handing the send to SendGrid (another terminal, another computer): it stops
    # at its next request and hands over nothing more, calling off the rest of a late cancel (fix 15b).
    sending_elsewhere: bool = False
    again: str | None = None  # found cancelled already: the command that sends its release again (again.command)
    # Nobody left to call off, but journalists of a request a killed run left in flight, marked
    # unknown now as a resume marks them (delivery.settle), the campaign ended: how many.
    settled: int = 0
    # A rehearsal in SendGrid's sandbox: what it "reached" was validated and delivered to nobody.
    sandboxed: bool = False


LARGE_OUTBOX = 100 * 10**6  # bytes of .eml files (--eml all) worth a word before they are written


@in_words
def start(
    engine: Engine,
    config: Config,
    prepared: Prepared,
    *,
    environ: Mapping[str, str],
    transport: Transport | None = None,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    now: datetime | None = None,
    every_eml: bool = False,
) -> Sent:
    """Write the campaign, its archive and every row to the log, then send; the same rules as ``mailer send``.

    A dry run writes every request body and an .eml for the first ``[compose] dry_run_eml``
    recipients, or for everyone with ``every_eml``. Raises what ``prepared.check()`` raises,
    AuthError on a refused key, SendError when SendGrid stays unreachable (the rest stays
    planned for ``resume``) or when this ``prepared`` was started already (it goes out once).
    """
    prepared.check()
    with engine.connect() as connection:
        started = messages.campaign_of_keys(connection, prepared.plan.key_prefix)
    if started is not None:  # a script's second start of one Prepared met the log's unique keys (newcomer 16py)
        raise SendError(
            f"This prepared send was started already: it is {started} in the delivery log, and a prepared send goes out once.",
            hint=f"mailer status {started} says whom it reached. To send the release again, prepare it again "
            "(campaign.prepare_send), which skips the journalists who received it.",
        )
    try:
        transport = transport or transport_for(config, prepared.mode, environ, every_eml=every_eml)
        if isinstance(transport, DryRunTransport):
            needed = transport.check_writable(prepared.plan.all_versions, len(prepared.plan.recipients))
            if transport.eml_limit is None and needed >= LARGE_OUTBOX and notify is not None:
                notify(
                    f"Writing an .eml for each of the {counted(len(prepared.plan.recipients), 'journalist')}: about {file_size(needed)}."
                )
        batch_id = None
        if prepared.scheduled:
            from mailer.transport.sendgrid import SendGridTransport

            if isinstance(transport, SendGridTransport):
                batch_id = transport.create_batch_id()  # a batch id never used costs nothing at SendGrid
    except KeyboardInterrupt:  # Ctrl-C or `kill PID` before the plan: said, not a bare "Stopped." (review 26c #3)
        (warn or _ignore)(STOPPED_BEFORE_PLAN)
        raise
    with checkpoint.aside(engine) as copying:  # the plan's commit returns once durable, not once copied (store/checkpoint.py)
        return _record_and_send(
            engine, config, prepared, transport, batch_id, copying, progress=progress, notify=notify, warn=warn, now=now
        )


def _record_and_send(
    engine: Engine,
    config: Config,
    prepared: Prepared,
    transport: Transport,
    batch_id: str | None,
    copying: checkpoint.Copying,
    *,
    progress: Progress | None,
    notify: Callable[[str], None] | None,
    warn: Callable[[str], None] | None,
    now: datetime | None,
) -> Sent:
    """``start`` once the transport is chosen: every row written, then the requests."""
    moment = now or utcnow(engine)
    try:
        recorded = _record(engine, config, prepared, transport, batch_id, moment, waiting=notify, progress=progress)
    except KeyboardInterrupt:  # the plan may be committed already (with its lease): say so if it is
        with engine.begin() as connection:
            written = campaigns.made_at(connection, content_hash=prepared.plan.content_hash, created_at=moment)
            if written is not None:
                lease_module.release_own(connection, written)
        if written is not None:
            _stopped_after_record(engine, written, warn)
        else:  # the plan's transaction was undone: say so, not a bare "Stopped." (newcomer 17 #9)
            (warn or _ignore)(STOPPED_BEFORE_PLAN)
        raise
    try:
        return _after_record(engine, config, prepared, transport, batch_id, copying, recorded, progress=progress, notify=notify, warn=warn)
    except BaseException as stopped:
        if recorded.held is not None:  # still held if the run never started (a run gives it up itself)
            with contextlib.suppress(SQLAlchemyError), engine.begin() as connection:  # the first error is the one to say
                lease_module.release(connection, recorded.held)
        if isinstance(stopped, KeyboardInterrupt):
            _stopped_after_record(engine, recorded.campaign_id, warn)
        raise


STOPPED_BEFORE_PLAN = "Stopped before the plan was in the delivery log: nothing was sent, and nothing was logged."


def _stopped_after_record(engine: Engine, campaign_id: str, warn: Callable[[str], None] | None) -> None:
    """Ctrl-C outside the requests (the dispatcher stops those itself, and says so) once the campaign
    is in the log: the user must hear of it (review 8: only "Stopped." was said, and the next send
    called its journalists "already received"). A campaign no run has taken yet is marked paused:
    a plan still `planned` a moment ago may be about to go out (``lease.may_still_send``), a
    stopped one is not."""
    with engine.begin() as connection:
        campaigns.pause_if_planned(connection, campaign_id)
    (warn or _ignore)(
        f"Stopped: {campaign_id} is in the delivery log. `mailer status {campaign_id}` shows whom it reached; "
        f"`mailer resume {campaign_id}` sends the rest; if it reached nobody, `mailer cancel {campaign_id}` calls it off."
    )


def _record(
    engine: Engine,
    config: Config,
    prepared: Prepared,
    transport: Transport,
    batch_id: str | None,
    moment: datetime,
    *,
    waiting: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> delivery.Recorded:
    """The campaign and every row of the plan, written in one transaction (``delivery.record``)."""
    return delivery.record(
        engine,
        prepared.plan,
        mode=prepared.mode,
        slug=prepared.slug,
        lists=prepared.lists,
        # SendGrid's sandbox validates and delivers nothing: such a campaign reached nobody (review 12a #1).
        filters={
            **prepared.filters,
            **({campaigns.SANDBOX: True} if config.sendgrid.sandbox and prepared.mode is not Mode.DRY_RUN else {}),
        },
        sender=prepared.sender,
        scheduled_at=prepared.scheduled,
        sendgrid_batch_id=batch_id,
        include_previous=prepared.include_previous,
        suppressions_seen=prepared.suppressions_seen,
        planned_at=prepared.planned_at,
        common_body=_bodies(transport, config).build(prepared.rendered),
        version_bodies=[_bodies(transport, config).build(version) for version in prepared.plan.versions[1:]],
        one_click=_bodies(transport, config).one_click,
        now=moment,
        lease_for_run=True,
        waiting=waiting,
        progress=progress,
        refuse_nobody=True,
        office_zone=config.reports.time_zone,
    )


def _after_record(
    engine: Engine,
    config: Config,
    prepared: Prepared,
    transport: Transport,
    batch_id: str | None,
    copying: checkpoint.Copying,
    recorded: delivery.Recorded,
    *,
    progress: Progress | None,
    notify: Callable[[str], None] | None,
    warn: Callable[[str], None] | None,
) -> Sent:
    """``_record_and_send`` once the campaign is in the log: the copy of the log started, then the requests."""
    copying.start()
    campaign_id = recorded.campaign_id
    if prepared.follow_up_of is not None:  # before any request: reports link it to its original from the start
        with engine.begin() as connection:
            campaigns.set_follow_up_of(connection, campaign_id, prepared.follow_up_of)
    say = notify or _ignore
    if prepared.is_test:
        say(f"Test campaign {campaign_id}: to {', '.join(m.email for m in recorded.plan.recipients)}")
    else:
        say(f"Campaign {campaign_id}: {counted(len(recorded.plan.messages), 'row')} written to the delivery log.")
    if recorded.skipped_now and warn is not None:
        warn(
            f"{counted(recorded.skipped_now, 'journalist')} {'was' if recorded.skipped_now == 1 else 'were'} skipped: another send of this same content reached them first."
        )
    if prepared.scheduled is not None and prepared.scheduled <= utcnow(engine) and warn is not None:
        # The time passed while the question waited (review 18s #8): SendGrid sends a past
        # send_at at once, as a resume after the time does, and says so (status.time_passed_words).
        warn(
            f"The send time {schedule.describe(prepared.scheduled)} passed while this send waited to start, "
            "so it goes out now, not at that time."
        )
    if recorded.suppressed_now and warn is not None:
        warn(
            f"{counted(recorded.suppressed_now, 'journalist')} {'was' if recorded.suppressed_now == 1 else 'were'} skipped: suppressed (unsubscribed, bounced or added by hand) after the send was planned."
        )
    sent = _send(
        engine,
        config,
        campaign_id,
        prepared.rendered,
        transport,
        plan=recorded.plan,
        scheduled=prepared.scheduled,
        batch_id=batch_id,
        progress=progress,
        warn=warn,
        skipped=recorded.plan.skipped_messages(),
        held=recorded.held,
        parts=recorded.parts,
    )
    return replace(sent, plan=recorded.plan)


def sent_versions(config: Config, found: campaigns.Campaign, engine: Engine | None = None) -> list[Rendered]:
    """The release's versions as the campaign sends them, rendered from its file now; raises
    SendError when the file has changed since (a resume would send a different email), or, given
    the log's ``engine``, when the From, Reply-To, category, tracking, sandbox or unsubscribe
    group now differ from what the campaign's archive says it sent (review 12a #2: a `reply_to:`
    edited in the release, or [sender] in mailer.toml, changes none of its content). The
    command line asks this before its question (newcomer 10: it asked, then refused)."""
    path = release_file(config, found)
    versions = _as_sent(config, found, path)
    now = utcnow(engine)
    if plan_module.content_hash(versions) != found.content_hash:
        if path != Path(found.release_path):  # this computer's copy of a release sent from another (newcomer 13)
            raise SendError(
                f"{path}, this office folder's copy of {found.release_path}, differs from the release {found.id} "
                "started with; resuming from here would send a different email.",
                hint=f"Resume on the computer that started it, or make this copy the same as that one (mailer show "
                f"{found.id} shows what went out); to send this version instead, start a new send with: {again.command(config, found, now=now)}",
            )
        raise SendError(
            f"{path} has changed since {found.id} started; resuming would send a different email.",
            hint=f"Undo the change to finish this campaign, or start a new one with: {again.command(config, found, now=now)}",
        )
    if engine is not None:
        _same_envelope(engine, config, found, versions)
    return versions


def _as_sent(config: Config, found: campaigns.Campaign, path: Path) -> list[Rendered]:
    """The release's versions rendered now, as the campaign sends them when the file is unchanged.

    A release without ``date:`` is dated the day it is rendered (README: default today): a send
    started before midnight and resumed after would read as changed, with nothing to undo (review
    18p #3). So when today's rendering differs, the days around the campaign's start (UTC and this
    computer's) are tried as the date; only a rendering giving exactly the campaign's content counts.
    """
    started = found.created_at if found.created_at.tzinfo is not None else found.created_at.replace(tzinfo=UTC)
    days = [None, *dict.fromkeys(d + timedelta(days=shift) for d in (started.date(), started.astimezone().date()) for shift in (0, -1, 1))]
    first: list[Rendered] = []
    for day in days:
        loaded = release.load(path, today=day)
        if day is not None and loaded.date != day:
            break  # dated in the file (or by its embargo): the day it is rendered changes nothing
        versions = list(compose.render_versions(loaded, config=config, test=found.mode is Mode.TEST).values())
        # A campaign sent every version (one hash over them all) or one (a test send per version).
        alone = [version for version in versions if version.content_hash == found.content_hash]
        versions = alone or versions
        if plan_module.content_hash(versions) == found.content_hash:
            return versions
        first = first or versions
    return first


# The parts of a request body outside the release's content that a resume must send as the
# campaign did, and how the refusal names them.
_ENVELOPE = {
    "from": "From (from: in the release, or [sender] in mailer.toml)",
    "reply_to": "Reply-To (reply_to: in the release, or [sender] in mailer.toml)",
    "subject": "subject",
    "categories": "category ([sendgrid] category)",
    "tracking_settings": "tracking ([sendgrid.tracking] in mailer.toml)",
    "mail_settings": "sandbox setting ([sendgrid] sandbox)",
    "asm": "unsubscribe group ([sendgrid] asm_group_id)",
}


def _same_envelope(engine: Engine, config: Config, found: campaigns.Campaign, versions: Sequence[Rendered]) -> None:
    """SendError when building a request now would give another From, Reply-To, ... than the
    campaign's archive kept (a campaign logged before archives existed is not compared)."""
    bodies = _bodies(None, config)
    with engine.connect() as connection:
        for version in versions:
            kept = archive.load(connection, found, language=version.language)
            if kept is None:
                return
            now = bodies.build(version)
            changed = [words for key, words in _ENVELOPE.items() if now.get(key) != kept.common.get(key)]
            if changed:
                raise SendError(
                    f"The {', '.join(changed)} changed since {found.id} started; resuming would send the rest of its "
                    "journalists a different email than the others got.",
                    hint=f"Undo the change to finish this campaign (mailer show {found.id} shows what went out), "
                    f"or start a new one with: {again.command(config, found, now=utcnow(connection))}",
                )


@in_words
def check_not_driven(engine: Engine, campaign_id: str) -> None:
    """SendError when another process (another terminal or computer) is sending the campaign right
    now, naming it, as ``resume`` would raise once it tried: the command line says it before the
    resume's plan, which would not be followed."""
    with engine.connect() as connection:
        lease_module.check_free(connection, campaign_id, now=utcnow(connection))


def check_resumable(config: Config, found: campaigns.Campaign, *, now: datetime) -> None:
    """SendError for a campaign a resume must not send more of: one cancelled, or one whose
    cancel was asked too late for SendGrid to promise it (``Campaign.late_cancel``): what a resume
    hands over goes under the batch SendGrid was asked to cancel, to journalists the office meant
    to spare (review 14 #5)."""
    if found.status is CampaignStatus.CANCELLED:
        raise SendError(
            f"{found.id} was cancelled; it cannot be resumed.",
            hint=f"To send it after all, start a new send: {again.command(config, found, now=now)}",
        )
    if found.late_cancel is not None:
        raise SendError(
            f"{found.id} cannot be resumed: a cancel of it was asked at {schedule.describe(found.late_cancel)}, so mailer "
            "sends no more of it (whatever it hands SendGrid now goes under the send you asked SendGrid to cancel).",
            hint=f"To mail the journalists it did not reach after all, send the release again ({again.command(config, found, now=now)}): "
            "it skips those this send reached.",
        )
    unanswered = unanswered_cancel_words(found, now=now)
    if unanswered is not None:
        # A cancel that left with no answer logged (review 18s #5) may have been taken: what a resume
        # hands over goes under the batch SendGrid may have cancelled, to journalists the office
        # meant to spare, as after a late cancel (review 18y #5: a colleague's resume mailed them).
        raise SendError(
            f"{found.id} cannot be resumed, so mailer sends no more of it. {unanswered}",
            hint=f"To mail its journalists after all, once it is cancelled send the release again: {again.command(config, found, now=now)}",
        )


@in_words
def resume(
    engine: Engine,
    config: Config,
    campaign_id: str,
    *,
    environ: Mapping[str, str],
    resend_unknown: bool = False,
    retry_failed: bool = False,
    transport: Transport | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
    lists: ListsNow | None = None,
) -> Sent:
    """Send what an interrupted campaign has not sent yet, never a recipient already accepted.

    ``resend_unknown`` also sends the recipients whose fate is unknown (they may get it twice);
    ``retry_failed`` sends again to those SendGrid refused (fix the cause first). A live
    campaign's lists are read again first (``prepare.lists_now``; ``lists``: read so already by
    the caller, who has said what could not be read): whoever they now mark as opted out or
    without consent is skipped, and counted in the result's ``kept_out`` (reason -> how many, as
    `mailer resume` says them; also passed to ``warn`` in words); those another send of the same
    release reached since are skipped too, counted in ``elsewhere`` (``delivery.Elsewhere``).
    Raises SendError for a cancelled campaign (or one whose cancel was asked late), a release
    file changed since it started, or a campaign another process is sending.
    """
    with engine.connect() as connection:
        found = find(connection, campaign_id, command="resume")
    check_resumable(config, found, now=utcnow(engine))
    kept_out: dict[str, int] = {}
    versions = sent_versions(config, found, engine)
    rendered = versions[0]
    transport = transport or transport_for(config, found.mode, environ)
    if found.mode is Mode.LIVE:
        if lists is None:
            lists = lists_now(engine, config, found)
            for words in lists.warnings():
                (warn or _ignore)(words)
        kept_out = delivery.skip_kept_out(engine, found, lists.kept_out, now=utcnow(engine), silent=lists.silent)
        said = delivery.kept_out_words(kept_out)
        if said is not None:
            (warn or _ignore)(said)
    # Skipped before the progress bar counts what is left; delivery.run checks again under the
    # campaign's lease, for a send that started in between (fix 10).
    elsewhere = skip_reached_elsewhere(
        engine, found, resend_unknown=resend_unknown, retry_failed=retry_failed, warn=warn, batch_size=config.sendgrid.batch_size
    )
    # Once its time has passed the rest goes out at once and nothing is left to cancel: without the
    # batch id, which SendGrid keeps 10 days only (review 24s #6: an expired one had it refuse every request).
    due = found.scheduled_at is not None and found.scheduled_at <= utcnow(engine)
    sent = _send(
        engine,
        config,
        campaign_id,
        rendered,
        transport,
        versions=versions[1:],
        scheduled=found.scheduled_at,
        batch_id=None if due else found.sendgrid_batch_id,
        resend_unknown=resend_unknown,
        retry_failed=retry_failed,
        progress=progress,
        warn=warn,
        lists=lists if found.mode is Mode.LIVE else None,
    )
    return replace(sent, kept_out=kept_out, elsewhere=elsewhere)


def _call_off(engine: Engine, found: campaigns.Campaign, *, now: datetime) -> Cancelled:
    """Call off a send that stopped (Ctrl-C, a crash): one that mailed nobody is cancelled, which
    would otherwise keep its journalists from a new send of the same release (promise 8) and wait
    to be resumed (review 8). One that reached some is not: promise 8 goes on counting whom it
    reached, so it is marked done and only the rest is called off (skipped, "called off"; nc11b:
    a campaign partly sent could only be resumed or kept paused for ever, its journalists waiting
    in it). Journalists of requests a crashed run left in flight become unknown, never called off;
    when they were the last ones (killed in its last request), the campaign ends as a resume ends it
    (``delivery.settle``), ``settled`` naming them, instead of staying paused with them in flight."""
    with engine.begin() as connection:
        # The lease first (review 8b: on PostgreSQL a resume could mail everyone between this
        # count and the status change): a run holding it refuses us; one after us finds cancelled.
        try:
            taken = lease_module.acquire(connection, found.id, now=now)
        except SendError as exc:
            raise SendError(exc.message, hint="Stop it with Ctrl-C in its terminal first; then cancel it.") from None
        plan_parts.write_all(connection, found.id)  # a killed run's rows left in parts: called off with the others
        recovered = messages.recover_interrupted(connection, found.id, campaigns.in_flight(connection, found.id), now=now, older_runs=True)
        lease_module.in_flight(connection, taken, ())
        counts = messages.counts(connection, found.id)
        unknown = counts[MessageState.UNKNOWN.value] + counts[MessageState.SENDING.value]
        reached = counts[MessageState.ACCEPTED.value] + unknown
        unsent = counts[MessageState.PLANNED.value]
        if not unsent and not recovered:
            # newcomer 18: she meant to stop the send, and read nothing of the emails having gone
            gone = (
                f": SendGrid accepted its emails to {counted(reached, *(('staff address', 'staff addresses') if found.mode is Mode.TEST else ('journalist',)))}, "
                "and an email sent cannot be called back"
                if reached and found.mode is not Mode.DRY_RUN
                else ""
            )
            raise SendError(
                f"{found.id} has nobody left to send to, so there is nothing to cancel{gone}.",
                hint=f"See where it stands with: mailer status {found.id}",
            )
        if not unsent:
            # Killed while its last request waited for SendGrid: nothing to call off, but it no longer
            # stays paused with those journalists in flight (it answered "nothing to cancel"): they may
            # have the email, so they become unknown and it is done, as after a resume (delivery.settle).
            campaigns.set_status(connection, found.id, CampaignStatus.DONE)
        elif reached:
            messages.call_off(connection, found.id, now=now)
            campaigns.set_status(connection, found.id, CampaignStatus.DONE)
        else:
            campaigns.set_status(connection, found.id, CampaignStatus.CANCELLED)
        lease_module.release(connection, taken)
    return Cancelled(
        found.id, None, unsent=unsent, reached=reached, unknown=unknown, settled=0 if unsent else recovered, sandboxed=found.sandboxed
    )


def skip_reached_elsewhere(
    engine: Engine,
    found: campaigns.Campaign,
    *,
    resend_unknown: bool = False,
    retry_failed: bool = False,
    warn: Callable[[str], None] | None = None,
    batch_size: int = plan_module.MAX_PERSONALIZATIONS,
) -> delivery.Elsewhere:
    """Before a resume of a live campaign: take back the journalists it left to another send that
    stopped without them, and skip those another send of the same content reached since this one
    was made, or is sending right now (``delivery.skip_sent_elsewhere``; promises 2 and 8), among
    the rows this resume would send (planned, and unknown or failed with those flags), so its
    progress bar counts what is left; the run does it again under its lease. Nothing while
    another process drives the campaign: its run is refused at the lease anyway."""
    if found.mode is not Mode.LIVE:
        return delivery.Elsewhere({}, {})
    states = [MessageState.PLANNED]
    states += [MessageState.UNKNOWN, MessageState.SENDING] if resend_unknown else []
    states += [MessageState.FAILED] if retry_failed else []
    now = utcnow(engine)
    with engine.begin() as connection:
        if lease_module.driving(connection, found.id, now=now) is not None:
            return delivery.Elsewhere({}, {})
        elsewhere = delivery.skip_sent_elsewhere(connection, found, now=now, states=states, batch_size=batch_size)
    if warn is not None:
        for words in elsewhere.words():
            warn(words)
    return elsewhere


def rehearse_resume(
    engine: Engine, config: Config, found: campaigns.Campaign, *, resend_unknown: bool, retry_failed: bool, lists: ListsNow | None = None
) -> delivery.Rehearsal:
    """What ``resume`` would do now, without doing it (``delivery.rehearse_resume``): whom it would
    mail, and whom it would skip or take back first, for the question before it; ``lists``: the
    campaign's lists read again (``prepare.lists_now``), whose opt-outs it skips."""
    return delivery.rehearse_resume(
        engine,
        found,
        resend_unknown=resend_unknown,
        retry_failed=retry_failed,
        batch_size=config.sendgrid.batch_size,
        kept_out=lists.kept_out if lists is not None and found.mode is Mode.LIVE else None,
        silent=lists.silent if lists is not None else (),
    )


def settle_kept_out(engine: Engine, found: campaigns.Campaign, lists: ListsNow) -> dict[str, int]:
    """Skip the journalists a live campaign's lists keep out now (``delivery.skip_kept_out``), for a
    resume that finds nobody else left and ends the campaign (``settle``)."""
    return delivery.skip_kept_out(engine, found, lists.kept_out, now=utcnow(engine), silent=lists.silent) if found.mode is Mode.LIVE else {}


def settle(engine: Engine, config: Config, found: campaigns.Campaign) -> CampaignStatus:
    """End a campaign its resume finds nobody left to mail in (``delivery.settle``)."""
    return delivery.settle(engine, found, batch_size=config.sendgrid.batch_size)


@in_words
def cancel(
    engine: Engine,
    config: Config,
    campaign_id: str,
    *,
    environ: Mapping[str, str],
    transport: SendGridTransport | None = None,
    now: datetime | None = None,
) -> Cancelled:
    """Call off a send: a scheduled one through SendGrid (up to 10 minutes before it goes out), or
    one that stopped (``_call_off``): of a scheduled send stopped half-way, after its time, the
    journalists never handed to SendGrid. Raises SendError otherwise."""
    with engine.connect() as connection:
        found = find(connection, campaign_id, command="cancel")
        counts = messages.counts(connection, campaign_id)
        handed = messages.handed_over(connection, campaign_id, counts)
        in_flight = messages.planned_in(connection, campaign_id, campaigns.in_flight(connection, campaign_id))
        # Not handed to SendGrid: planned, outside the requests a stopped run left in flight.
        waiting = counts[MessageState.PLANNED.value] - in_flight
        # Whose request got no answer before its run stopped (`sending`: a log from before version 9).
        unanswered = in_flight + counts[MessageState.SENDING.value]
    if found.status is CampaignStatus.CANCELLED:
        return Cancelled(campaign_id, found.scheduled_at, already=True, again=again.command(config, found, now=now or utcnow(engine)))
    now = now or utcnow(engine)
    if not found.sendgrid_batch_id or found.scheduled_at is None:
        return _call_off(engine, found, now=now)
    late = (found.scheduled_at - now).total_seconds() < 600
    if not handed and late:
        # Nothing reached SendGrid and its time is near or past (a scheduled send stopped before its
        # first request: review 8b, 10c): called off here, whatever the time. SendGrid is still
        # asked to drop the batch while its time is ahead, for a run starting in another terminal;
        # nothing can go out, so a SendGrid down or refusing does not stop the call-off (review 14 #7:
        # its outage ended the cancel with the send's advice to resume).
        if found.scheduled_at > now:
            with contextlib.suppress(MailerError):  # a key missing or refused too
                (transport or _sendgrid(config, environ, sending=False)).cancel_scheduled(found.sendgrid_batch_id)
        return _call_off(engine, found, now=now)
    if found.scheduled_at <= now and waiting:
        # Its time has passed with journalists never handed to SendGrid (the send stopped half-way):
        # what SendGrid held went out; the rest waits for a resume, so it is called off as for any
        # stopped send (review 14 #4: "it has gone out already" left them waiting in it for ever).
        return replace(_call_off(engine, found, now=now), scheduled_at=found.scheduled_at)
    if found.scheduled_at <= now and found.late_cancel is not None:
        # A cancel was asked late and its time has passed: what status knows of it, from its events
        # (newcomer 15 #5: "it has gone out already" where status said most likely nobody got it).
        with engine.connect() as connection:
            went_out = messages.went_out(connection, campaign_id)
        late_words = late_cancel_words(found, now=now, went_out=went_out)
        raise SendError(f"{campaign_id} has nothing left to cancel: its time has passed. {late_words}")
    if found.scheduled_at <= now and unanswered and _driven(engine, found.id):
        # Its last request is with SendGrid from a process running now (review 16 #4: "Stop it with
        # Ctrl-C first; then cancel it", where a cancel then finds nothing to call off).
        raise SendError(
            f"{campaign_id} has nothing left to cancel: it was scheduled for {schedule.describe(found.scheduled_at)}, which has "
            "passed, and another process (another terminal or computer) is handing its last journalists to SendGrid right "
            "now; they go out at once.",
            hint=f"mailer status {campaign_id} shows who got it once that process has finished.",
        )
    if found.scheduled_at <= now and unanswered:
        # Its time has passed and the send was killed while its last request waited for SendGrid's
        # answer: nobody knows whether SendGrid took those journalists (fix 16: "it has gone out
        # already", where status said they may have it). Settled as for any send killed so.
        return replace(_call_off(engine, found, now=now), scheduled_at=found.scheduled_at)
    no_answer = unanswered_cancel_words(found, now=now)
    if found.scheduled_at <= now and no_answer:  # a cancel sent before its time, with no answer logged
        raise SendError(f"{campaign_id} has nothing left to cancel: its time has passed. {no_answer}")
    if found.scheduled_at <= now:
        raise _time_passed(found, counts)
    sendgrid = transport or _sendgrid(config, environ, sending=False)
    # On record before it leaves: a cancel stopped on its way (Ctrl-C, the process killed, no
    # answer) may have reached SendGrid, and status says so instead of "SendGrid holds these emails".
    with engine.begin() as connection:
        campaigns.note_cancel_sent(connection, campaign_id, at=now)
    try:
        sendgrid.cancel_scheduled(found.sendgrid_batch_id)
    except TransportError as refused:
        if not isinstance(refused, OutcomeUnknown):  # SendGrid answered: it did not take the cancel
            with engine.begin() as connection:
                campaigns.note_cancel_sent(connection, campaign_id, at=None)
        raise _cancel_refused(found, refused, late=late) from None
    if late:
        # SendGrid does not guarantee a cancel this close to the time (SENDGRID.md §1.3): it may go
        # out all the same, so the log does not call it cancelled. Its journalists count as
        # reached (promise 8: a later send of this release skips them) and events tell what happened
        # (review 9b: marked cancelled, it read "none went out" and a re-send mailed everyone twice).
        # The log notes the cancel was asked, so status and a correction say to wait for the time
        # instead of advising the same cancel again (newcomer 13 #7).
        with engine.begin() as connection:
            campaigns.note_cancel_sent(connection, campaign_id, at=None)  # answered: the late cancel says the rest
            campaigns.note_late_cancel(connection, campaign_id, at=now)
        # Journalists never handed to SendGrid (a send stopped half-way) are called off here: a
        # resume would hand them over under the batch SendGrid was asked to cancel (review 14 #5).
        # While another process sends it, its run keeps them; a resume is refused all the same.
        # While another process sends it, its run calls them off itself at its next round (fix 15b).
        rest = Cancelled(campaign_id, None)
        if waiting:
            with contextlib.suppress(SendError):
                rest = _call_off(engine, found, now=now)
        return Cancelled(
            campaign_id,
            found.scheduled_at,
            late=True,
            unsent=rest.unsent,
            reached=rest.reached,
            unknown=rest.unknown,
            sending_elsewhere=_driven(engine, found.id),
        )
    with engine.begin() as connection:
        campaigns.note_cancel_sent(connection, campaign_id, at=None)
        campaigns.set_status(connection, campaign_id, CampaignStatus.CANCELLED)
    return Cancelled(campaign_id, found.scheduled_at, sending_elsewhere=_driven(engine, found.id))


def stopped_cancel_words(engine: Engine, campaign_id: str) -> str | None:
    """What a cancel stopped on its way to SendGrid (Ctrl-C) leaves: SendGrid may have taken it
    (``status.unanswered_cancel_words``); None when it never left or its answer was logged."""
    with engine.connect() as connection:
        found = campaigns.get(connection, campaign_id)
        now = utcnow(connection)
    return None if found is None else unanswered_cancel_words(found, now=now)


def _time_passed(found: campaigns.Campaign, counts: Mapping[str, int]) -> SendError:
    """Nothing left to cancel of a scheduled send whose time has passed: what SendGrid accepted went
    out then; of journalists whose request got no answer (unknown), what ``mailer status`` says
    (fix 16: "it has gone out already" of them too)."""
    assert found.scheduled_at is not None
    at = schedule.describe(found.scheduled_at)
    unknown = counts[MessageState.UNKNOWN.value]
    if not unknown:
        return SendError(f"{found.id} was scheduled for {at}; it has gone out already.")
    accepted = counts[MessageState.ACCEPTED.value]
    went = f" {scheduled.handed_over(accepted, at)}." if accepted else ""
    return SendError(
        f"{found.id} has nothing left to cancel: it was scheduled for {at}, and that time has passed.{went} "
        f"{unknown_words(unknown, found.id)}"
    )


def _driven(engine: Engine, campaign_id: str) -> bool:
    """Whether a process is handing the campaign to SendGrid right now (its lease held): it sees the
    cancel at its next round and stops (dispatch.Dispatcher._cancel_seen)."""
    with engine.connect() as connection:
        return lease_module.driving(connection, campaign_id, now=utcnow(connection)) is not None


def _cancel_refused(found: campaigns.Campaign, refused: TransportError, *, late: bool) -> SendError:
    """A cancel SendGrid refused or never answered, in the words a press officer needs: the send is
    not cancelled and goes out at its time, why, and to run the cancel again (newcomer 13 #2: the
    transport's own hint, "send to these recipients again", read as advice to send it twice)."""
    assert found.scheduled_at is not None
    at = schedule.describe(found.scheduled_at)
    again = f"then run mailer cancel {found.id} again" + (
        "" if late else f" before {schedule.describe(found.scheduled_at - timedelta(minutes=10))} (10 minutes before its time)"
    )
    if isinstance(refused, OutcomeUnknown):
        return SendError(
            f"{found.id} may not be cancelled: no answer came from SendGrid ({refused.message}), so unless it took the "
            f"cancel, the send still goes out at {at}.",
            hint=f"Run mailer cancel {found.id} again now: a second cancel is safe.",
        )
    if isinstance(refused, AuthError):
        cause = f"SendGrid refused this API key the cancel ({refused.status}): the key is wrong, or it lacks the Scheduled Sends permission"
        fix = f"Set SENDGRID_API_KEY to a key with the Scheduled Sends permission (Settings > API Keys in SendGrid), {again}."
    elif isinstance(refused, Rejected):
        cause = (
            f"SendGrid refused the cancel ({refused.message}): usually the API key belongs to another SendGrid account "
            "or subuser than the one the send was scheduled with, which alone can cancel it"
        )
        fix = f"Set SENDGRID_API_KEY to the key of the account that scheduled it, {again}."
    else:  # SendGrid not reached, or busy: the cancel did not get there
        cause = f"the cancel did not reach SendGrid ({refused.message})"
        fix = f"Wait a minute, {again}."
    return SendError(f"{found.id} is NOT cancelled: it still goes out at {at}. {cause[0].upper()}{cause[1:]}.", hint=fix)


def transport_for(config: Config, mode: Mode, environ: Mapping[str, str], *, every_eml: bool = False) -> Transport:
    """The dry-run writer for a dry run (an .eml for a sample, or ``every_eml``), SendGrid for a live or test send."""
    if mode is Mode.DRY_RUN:
        return DryRunTransport(
            outbox=config.compose.outbox_dir,
            sendgrid=config.sendgrid,
            sender=config.sender,
            unsubscribe_tag=compose.unsubscribe_tag(config),
            one_click=unsubscribe.one_click(config, None),  # proof links only: an outbox unsubscribes nobody
            eml_limit=None if every_eml else config.compose.dry_run_eml,
        )
    return _sendgrid(config, environ)


def _bodies(transport: Transport | None, config: Config) -> CommonBodies:
    """The transport's own common-body builder, so the archive keeps what it sends (a stand-in transport: the config's)."""
    own = getattr(transport, "common", None)
    if isinstance(own, CommonBodies):
        return own
    return CommonBodies(sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config))


# -- helpers ---------------------------------------------------------------------------------


def _send(
    engine: Engine,
    config: Config,
    campaign_id: str,
    rendered: Rendered,
    transport: Transport,
    *,
    plan: Plan | None = None,
    versions: Sequence[Rendered] = (),
    scheduled: datetime | None = None,
    batch_id: str | None = None,
    resend_unknown: bool = False,
    retry_failed: bool = False,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
    skipped: Iterable[Message] = (),
    held: lease_module.Lease | None = None,
    parts: PlanParts | None = None,
    lists: ListsNow | None = None,
) -> Sent:
    """Send every planned row of a campaign with a progress bar; warn about recovered rows.
    ``held``: the lease the plan was written with (``delivery.run``); ``lists``: a resume's lists as they
    are now, whose opt-outs the rows sent again (--retry-failed, --resend-unknown) are skipped by too."""
    with engine.connect() as connection:
        found = campaigns.get(connection, campaign_id)
        if plan is not None and found is not None and found.status is CampaignStatus.PLANNED:  # the plan just written, untouched
            total = len(plan.recipients)
        else:  # what the run will send once it has settled what a stopped run left (delivery.run)
            counts = messages.counts(connection, campaign_id)
            total = counts[MessageState.PLANNED.value]
            if resend_unknown:  # requests left in flight and rows left `sending` become unknown, then go again
                total += counts[MessageState.UNKNOWN.value] + counts[MessageState.SENDING.value]
            else:  # they become unknown and stay so
                total -= messages.planned_in(connection, campaign_id, campaigns.in_flight(connection, campaign_id))
            total += plan_parts.left(connection, campaign_id)  # rows a killed run left in parts, written first
            total += counts[MessageState.FAILED.value] if retry_failed else 0
    dry = isinstance(transport, DryRunTransport)
    skipped_file = None
    if isinstance(transport, DryRunTransport) and found is not None:
        with engine.begin() as connection:
            folders.keep(connection, transport.outbox, now=utcnow(connection))  # for `mailer forget`, run from anywhere
        limit = transport.eml_limit
        sample = None if limit is None or plan is None else [m.message_key for m in itertools.islice(plan.recipients, limit)]
        transport.open(campaign_id, created_at=found.created_at, sample=sample)
        files = plan.contact_list.files if plan is not None else ()
        follow_up = found.filters.get("follow_up")
        original = follow_up.get("of") if isinstance(follow_up, dict) else None
        if isinstance(original, str):  # its rows' source is "<original>:<message id>", a log number (newcomer 20b #2)
            with engine.connect() as connection:
                came_from = follow_ups.list_row_of(connection, original)
            skipped = [replace(m, source=came_from(m.source)) for m in skipped]
        skipped_file = transport.write_skipped(campaign_id, skipped, delimiter=files[0].delimiter if files else ",")
    with _hanging_up(transport), (progress or _no_progress)("Writing the dry run" if dry else "Sending", total or None) as advance:
        outcome = delivery.run(
            engine,
            campaign_id,
            rendered=rendered,
            transport=transport,
            versions=versions or (plan.versions[1:] if plan is not None else ()),
            pacing=Pacing.from_config(config.sendgrid),
            plan=plan,
            send_at=int(scheduled.timestamp()) if scheduled else None,
            sendgrid_batch_id=batch_id,
            resend_unknown=resend_unknown,
            retry_failed=retry_failed,
            on_request=advance,
            on_warning=warn,
            held=held,
            parts=parts,
            batch_size=config.sendgrid.batch_size,
            again=again.command(config, found, now=utcnow(engine)) if found is not None else None,
            kept_out=lists.kept_out if lists is not None else None,
            kept_silent=lists.silent if lists is not None else (),
        )
    if outcome.recovered_unknown and warn is not None:
        warn(
            f"{counted(outcome.recovered_unknown, 'recipient')} {'was' if outcome.recovered_unknown == 1 else 'were'} in flight when the "
            "last run stopped; they are now unknown."
        )
    if isinstance(transport, DryRunTransport):
        folder = transport.folder(campaign_id)
        written = None if transport.eml_limit is None else sum(1 for _ in folder.glob("*.eml"))
        return Sent(campaign_id, outcome, folder, written, skipped_file)
    return Sent(campaign_id, outcome)


@contextmanager
def _hanging_up(transport: Transport) -> Iterator[None]:
    """Within the block, the run; after it, however it ends, the transport's kept-alive connections closed
    (``SendGridTransport.close_connections``; a transport without any: nothing)."""
    try:
        yield
    finally:
        close = getattr(transport, "close_connections", None)
        if callable(close):
            close()


def _sendgrid(config: Config, environ: Mapping[str, str], *, sending: bool = True) -> SendGridTransport:
    """SendGrid; for ``sending`` mail, refused without a working unsubscribe link (before anything is logged)."""
    from mailer.transport.sendgrid import SendGridTransport  # the sendgrid library: not for dry runs

    problem = unsubscribe.check(config) if sending else None
    if problem is not None:
        raise problem
    return SendGridTransport(
        api_key=config.api_key(environ),
        sendgrid=config.sendgrid,
        sender=config.sender,
        unsubscribe_tag=compose.unsubscribe_tag(config),
        one_click=unsubscribe.one_click(config, environ) if sending else None,
    )


def _ignore(_text: str) -> None:
    pass


@contextmanager
def _no_progress(_description: str, _total: int | None) -> Iterator[Callable[[int], None]]:
    yield _ignore_count


def _ignore_count(_amount: int = 1) -> None:
    pass
