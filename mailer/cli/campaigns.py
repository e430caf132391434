"""``mailer campaigns``, ``status`` and ``cancel``: looking back at what was sent, and calling off a scheduled send.

In Python: ``reports.overview`` behind ``campaigns``, ``send.status.status`` behind ``status``,
``send.campaign.cancel`` behind ``cancel``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from mailer import scheduled
from mailer.cli import AppContext, CampaignArgument, _waiting_words, main, output, pass_app
from mailer.counting import counted
from mailer.errors import SendError
from mailer.models import CANCELLED, SCHEDULED, CampaignStatus, MessageState, Mode, shown_subject, skipped_in_order
from mailer.send.schedule import describe

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from mailer.send.campaign import Cancelled

DEFAULT_LIMIT = 20  # campaigns in the table without --limit
# Statuses of a send not finished: of a scheduled one, the row says for when, as `mailer status` does.
UNFINISHED = frozenset({CampaignStatus.PAUSED.value, CampaignStatus.SENDING.value, CampaignStatus.PLANNED.value})


OPENED = "opened by people"  # the column of `mailer campaigns`; its --json key is "opened"


@main.command("campaigns")
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=None,
    metavar="N",
    help=f"How many campaigns to show, newest first (default {DEFAULT_LIMIT}; 0 for all; with --json all unless given).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def campaigns_command(app: AppContext, limit: int | None, as_json: bool) -> None:
    """List the campaigns in the delivery log, newest first, as a table.

    One row per campaign (live, test and dry run): its id, mode, status, when it was made,
    the content's fingerprint, how many recipients were accepted (written, for a dry run)
    and, for live sends, delivered, opened by people (Apple Mail's pre-fetch left out) and
    bounced. The newest 20 unless --limit says
    otherwise; the line under the table says how many older ones there are. Below it, the live
    sends carried over from an old log (mailer carry-over), with that log's path.

    \b
    Example:
        mailer campaigns
        mailer campaigns --limit 5
        mailer campaigns --json
    """
    from mailer import reports

    if as_json:
        output.start_json()  # an error becomes the JSON error document too (review 8)
    shown = (None if as_json else DEFAULT_LIMIT) if limit is None else (limit or None)
    rows = reports.overview(app.engine, limit=shown)
    if as_json:
        output.print_json(rows)
        return
    from mailer.store import carried

    with app.engine.connect() as connection:
        moved = carried.listed(connection, shown)
        older_moved = carried.count(connection) - len(moved)
    if not rows and not moved:
        output.say("No campaigns yet. Start with: mailer send RELEASE --list FILE --dry-run")
        return
    if rows:
        _own_table(app, rows, shown)
    if moved:
        _carried(moved, older_moved, zone=app.config.reports.time_zone)


def _carried(listed: list[tuple[Any, int]], older: int, *, zone: str | None) -> None:
    """The campaigns carried over from an old log (`mailer carry-over`), newest first, per log: their id,
    when they were made, how many journalists had them, their subject (carry28: the team's log listed none)."""
    from zoneinfo import ZoneInfo

    for origin in dict.fromkeys(one.origin for one, _ in listed):
        output.say("")
        output.say(
            f"Carried over from {origin} (mailer carry-over): who had each of its live sends, so that a send of the same "
            "release from here skips them; their state and events are in that log."
        )
        for one, had in listed:
            if one.origin == origin:
                created = one.created_at.astimezone(ZoneInfo(zone) if zone else UTC)
                output.say(
                    output.one_line(
                        f"  {one.campaign_id}  {created:%Y-%m-%d %H:%M} {zone or 'UTC'}  {counted(had, 'journalist')} had it  {shown_subject(one.subject)}"
                    )
                )
    if older:
        output.hint(f"{older:,} older carried campaign{'s' if older != 1 else ''} not shown: --limit 0 shows all.")


def _own_table(app: AppContext, rows: list[dict[str, Any]], shown: int | None) -> None:
    """The table of this log's own campaigns, with the line of how many older ones it leaves out."""
    from mailer.store import campaigns

    # "opened by people", as the report names the figure (review 18r #5: headed "opened", it read
    # 0 beside the report's "Opened (all, unique) 1" when Apple's pre-fetch was the only open).
    # When each was made on the office's clock, as the reports' columns say times (office 27: "created
    # (UTC)" beside a status on the office's clock, with [reports] time_zone set).
    zone = app.config.reports.time_zone
    created = f"created ({zone or 'UTC'})"
    output.grid(
        ["campaign", "mode", "status", created, "content", "recipients", "delivered", OPENED, "bounced", "subject"],
        [_campaign_row(r, now=_now(app.engine), zone=zone) for r in rows],
        keep=("campaign", "mode", created, "content"),
        right=("delivered", OPENED, "bounced"),
        drop=("content", "bounced", "delivered", "mode", OPENED, created),
    )
    if shown is not None and len(rows) == shown:
        with app.engine.connect() as connection:
            older = campaigns.count(connection) - len(rows)
        if older:
            output.hint(f"{older:,} older campaign{'s' if older != 1 else ''} not shown: --limit {shown + older} (or 0) shows all.")


def on_office_clock(moment: datetime, zone: str | None) -> datetime:
    """``moment`` in the office's time zone ([reports] time_zone), so that ``describe`` adds that clock's time
    to UTC's (newcomer 23 #3: a send scheduled for 10:00 Brussels time read "Scheduled: 09:00 UTC" in `mailer
    status`, an hour before the embargo as the press officer read it); as it is without one."""
    from mailer import zones

    return zones.on_office_clock(moment, zone)


def _campaign_row(r: Mapping[str, Any], *, now: datetime, zone: str | None = None) -> list[str]:
    """One campaign as the table shows it: counts in words, live figures, the hold of a scheduled send
    (its time on the office's clock too, ``zone``)."""
    done_word = "written" if r["mode"] == Mode.DRY_RUN.value else "accepted"
    counts = f"{r['accepted']:,}/{r['recipients']:,} {done_word}"
    if r.get(CANCELLED):  # a cancelled send: SendGrid discarded what it held, nothing went out (newcomer review 9)
        counts = f"{r[CANCELLED]:,}/{r['recipients']:,} cancelled, none sent"
    counts += "".join(f", {r[state]:,} {state}" for state in ("failed", "unknown", "planned") if r[state])
    if r.get("called_off"):  # never mailed: `mailer cancel` called them off (newcomer 16 #12: it read "2/2 accepted")
        counts += f", {r['called_off']:,} called off"
    status = r["status"]
    if status == SCHEDULED and r["mode"] == Mode.DRY_RUN.value:  # written to files, held by nobody (session 16)
        status = f"done, would go out {describe(on_office_clock(datetime.fromisoformat(r['scheduled']), zone))}"
    elif status == SCHEDULED:
        status = f"scheduled until {describe(on_office_clock(datetime.fromisoformat(r['scheduled']), zone))}"
    elif r["scheduled"] and status in UNFINISHED:  # a scheduled send stopped (or still going): for when (fix16b #3)
        at = on_office_clock(datetime.fromisoformat(r["scheduled"]), zone)
        status += f", scheduled for {describe(at)}" if at > now else f", was due {describe(at)}"
    if r.get("late_cancel"):  # SendGrid may or may not have honoured it: `mailer status` says which (review 14 #8)
        status += ", cancel asked late"
    from zoneinfo import ZoneInfo

    created = datetime.fromisoformat(r["created"]).astimezone(ZoneInfo(zone) if zone else UTC)
    figures = [f"{r[k]:,}" if k in r else "" for k in ("delivered", "opened", "bounced")]
    mode = "sandbox" if r.get("sandbox") else r["mode"]  # SendGrid validated it and delivered nothing
    return [r["id"], mode, status, f"{created:%Y-%m-%d %H:%M}", r["content_hash"][:12], counts, *figures, shown_subject(r["subject"])]


@main.command("status")
@click.argument("campaign_id", metavar="CAMPAIGN", cls=CampaignArgument)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_app
def status_command(app: AppContext, campaign_id: str, as_json: bool) -> None:
    """Where one campaign stands: recipients per state, the errors, and what to do next.

    CAMPAIGN is an id from `mailer campaigns`, or latest (the newest campaign), latest~1
    (the one before it), and so on.

    \b
    Example:
        mailer status 2026-02-19-example
        mailer status latest
    """
    from mailer.send import status

    if as_json:
        output.start_json()  # an error becomes the JSON error document too (review 8)
    campaign_id = app.campaign_id(campaign_id)
    parts_written(app, campaign_id, optional=True)
    found = status.status(app.engine, campaign_id, config=app.config)
    campaign, steps = found.campaign, list(found.next_steps)
    if as_json:
        output.print_json(
            {
                "id": campaign_id,
                "mode": campaign.mode.value,
                "sandbox": campaign.sandboxed,
                "status": found.shown_status,
                "subject": shown_subject(campaign.subject),  # as the terminal shows it, no SendGrid token (review 12b #6)
                "content_hash": campaign.content_hash,
                "created": campaign.created_at.isoformat(timespec="seconds"),
                "scheduled": campaign.scheduled_at.isoformat(timespec="seconds") if campaign.scheduled_at else None,
                "counts": dict(found.counts),
                "in_flight": found.in_flight,  # of counts' planned: on their way to SendGrid when the send stopped
                "skipped": dict(found.skipped),
                "errors": [{"state": s, "error": e, "recipients": n} for s, e, n in found.errors],
                "next": steps,
            }
        )
        return
    sandbox = " in SendGrid's sandbox: validated, delivered to nobody" if campaign.sandboxed else ""
    output.say(f"Campaign:  {campaign_id} ({campaign.mode.value}{sandbox}, {found.shown_status})")
    output.say(f"Subject:   {shown_subject(campaign.subject)}")
    output.say(f"Content:   {campaign.content_hash[:12]} (mailer show {campaign_id} rebuilds what went out)")
    output.say(f"Created:   {describe(on_office_clock(campaign.created_at, app.config.reports.time_zone))}")
    if campaign.scheduled_at:
        output.say(f"Scheduled: {describe(on_office_clock(campaign.scheduled_at, app.config.reports.time_zone))}")
    dry = campaign.mode is Mode.DRY_RUN  # "accepted" is SendGrid's word: a dry run wrote its emails to files
    now = _now(app.engine)
    shown = [
        status.cancelled_words(n, campaign, now=now, held=found.cancelled_held)  # not "accepted": SendGrid discards them (review 9)
        if state == CANCELLED
        else f"{n:,} "
        + ("written (a dry run: nothing was sent)" if dry and state == MessageState.ACCEPTED.value else state)
        + (
            f" ({found.in_flight:,} of them in flight when the send stopped)"
            if state == MessageState.PLANNED.value and found.in_flight
            else ""
        )
        for state, n in found.counts.items()
        if n and state != MessageState.SKIPPED.value
    ]
    output.say("Recipients: " + (", ".join(shown) or "none (every row was skipped)"))
    if found.skipped:
        output.say("Skipped:   " + ", ".join(f"{n:,} {status.skipped_words(reason, n)}" for reason, n in skipped_in_order(found.skipped)))
    for state, error, count in found.errors:
        output.say(f"  {count:,} {state}: {error}")
    for step in steps:
        output.say(step)


@main.command("cancel")
@click.argument("campaign_id", metavar="CAMPAIGN", cls=CampaignArgument)
@click.option("--yes", is_flag=True, help="Do not ask first (asked only when run from a terminal).")
@pass_app
def cancel_command(app: AppContext, campaign_id: str, yes: bool) -> None:
    """Cancel a scheduled send (up to 10 minutes before it goes out), or call off a send that
    stopped: one that mailed nobody is cancelled; of one that reached some, the journalists not
    mailed yet are called off (a new send of the release may reach them).

    CAMPAIGN is an id from `mailer campaigns`, or latest (the newest live send, cancelled or
    not, not a test send made since), latest~1 (the one before it), and so on. Run from a
    terminal, it first names the send (its subject, whom and when) and asks; --yes does not ask.

    \b
    Example:
        mailer cancel 2026-02-19-example
        mailer cancel latest --yes
    """
    from mailer.send import campaign

    # Not the proof sent since (newcomer 22 #7); a cancelled send counts: run twice, the second cancel says it is
    # already cancelled rather than cancel the send before it (review 22b #4)
    typed = campaign_id
    campaign_id = app.campaign_id(campaign_id, live_only=True, with_cancelled=True)
    parts_written(app, campaign_id)
    if not yes and _asks(app, campaign_id):
        output.say("Nothing was cancelled.")
        return
    try:
        cancelled = campaign.cancel(app.engine, app.config, campaign_id, environ=os.environ)
    except SendError as error:
        # latest was a send that went out (a colleague's, on a shared log): name those SendGrid still holds
        # (review 22b #10: "nothing to cancel", and nothing said hers was still scheduled)
        if typed.strip().lower().startswith("latest") and "nothing to cancel" in error.message:
            from mailer.store import campaigns

            with app.engine.connect() as connection:
                ahead = [cid for cid in campaigns.scheduled_ahead(connection, now=_now(connection)) if cid != campaign_id]
                held = {cid: found for cid in ahead if (found := campaigns.get(connection, cid)) is not None and found.mode is Mode.LIVE}
            if held:
                still = "; ".join(
                    f"{cid} (at {describe(found.scheduled_at)}): mailer cancel {cid}"
                    for cid, found in held.items()
                    if found.scheduled_at is not None
                )
                raise SendError(error.message, hint=f"SendGrid still holds {still}. {error.hint or ''}".strip()) from None
        raise
    except KeyboardInterrupt:  # on its way to SendGrid, the cancel may have been taken (review 18s #5)
        words = campaign.stopped_cancel_words(app.engine, campaign_id)
        if words is not None:
            output.warn(words)
        raise
    if cancelled.already:
        output.say(f"{campaign_id} is already cancelled.")
        if cancelled.again:
            output.hint(f"To send it after all, start a new send: {cancelled.again}")
        return
    if cancelled.late and cancelled.scheduled_at is not None:
        output.warn(
            f"SendGrid was asked to cancel {campaign_id}, but less than 10 minutes before its time ({describe(cancelled.scheduled_at)}), when it no longer "
            "promises to: it may still go out. mailer counts its journalists as reached, so a later send of this release "
            "skips them (--include-previous mails them anyway); the events show whether it went out."
        )
        if cancelled.unsent:
            output.say(
                f"Called off the rest: {counted(cancelled.unsent, 'journalist')} it had not handed to SendGrid will not be mailed, "
                f"and mailer resume {campaign_id} is refused. A new send of this release reaches them."
            )
        elif cancelled.sending_elsewhere:
            output.say(
                f"{campaign_id} is still being handed to SendGrid by another process (another terminal or computer): it stops at "
                "its next request and calls off the journalists it has not handed over; mailer resume is refused for them. "
                "A new send of this release reaches them."
            )
        return
    if cancelled.settled:
        _say_settled(campaign_id, cancelled)
        return
    if cancelled.unsent and cancelled.reached:
        _say_called_off(campaign_id, cancelled)
        return
    if cancelled.unsent or cancelled.scheduled_at is None:
        output.say(f"Cancelled {campaign_id}: none of its {counted(cancelled.unsent, 'journalist')} was sent anything, and none will be.")
        return
    at = on_office_clock(cancelled.scheduled_at, app.config.reports.time_zone)  # as status says it (newcomer 25 #1)
    output.say(f"Cancelled {campaign_id}: SendGrid will discard its messages at {describe(at)}.")
    if cancelled.sending_elsewhere:
        output.say(
            f"{campaign_id} is still being handed to SendGrid by another process (another terminal or computer): it stops at "
            "its next request and hands over nothing more."
        )


def _asks(app: AppContext, campaign_id: str) -> bool:
    """On a terminal, name the send about to be cancelled and ask; True when the answer is no.

    `mailer cancel latest` on a team's log may name a colleague's send, and a cancel cannot be
    taken back (SendGrid discards a cancelled scheduled send: newcomer 22). Nothing is asked off a
    terminal (a script), nor of a send with nothing left to cancel: the cancel says so itself.
    """
    from mailer.cli import send as send_cli
    from mailer.store import campaigns, messages

    if not send_cli.stdin_is_terminal():
        return False
    now = _now(app.engine)
    from mailer.send import lease

    with app.engine.connect() as connection:
        found = campaigns.get(connection, campaign_id)
        counts = messages.counts(connection, campaign_id)
        held = lease.driving(connection, campaign_id, now=now)
    if found is None or found.status is CampaignStatus.CANCELLED:
        return False
    driving = f"pid {held.pid} on {held.host.split('/')[0]}" if held is not None else None
    whom = "staff address" if found.mode is Mode.TEST else "journalist"
    left = counts[MessageState.PLANNED.value]
    planned = sum(counts.values()) - counts[MessageState.SKIPPED.value]
    if found.scheduled_at is not None and found.scheduled_at > now:
        if planned > left:  # SendGrid holds some: the cancel needs the key, said before the question (newcomer 25 #3)
            app.config.api_key(os.environ)
        what = f"scheduled for {describe(on_office_clock(found.scheduled_at, app.config.reports.time_zone))}, to {counted(planned, whom)}"
    elif left and driving is not None:  # another terminal or computer is handing it to SendGrid right now (review 23c)
        what = f"being sent right now by another process ({driving}), {counted(left, whom)} of {planned:,} not mailed yet"
    elif left:
        what = f"stopped with {counted(left, whom)} of {planned:,} not mailed yet"
    else:
        return False
    kind = f"a follow-up of {found.follow_up_of}, " if found.follow_up_of else ""
    output.say(f'{campaign_id}: {kind}"{shown_subject(found.subject)}", {what} (started {describe(found.created_at)}).')
    return not output.confirm(f"Cancel {campaign_id}?")


def _say_settled(campaign_id: str, cancelled: Cancelled) -> None:
    """A send killed while its last request waited for SendGrid: nobody left to call off; that
    request's journalists are unknown now and the campaign done, as a resume leaves it (it said
    "nothing to cancel" and stayed paused). Who may have the email and what settles them: status's words."""
    from mailer.send import status

    one = cancelled.settled == 1
    said = f"Nothing to call off: {campaign_id} had nobody left waiting to be sent to."
    if cancelled.scheduled_at is not None:  # a scheduled send, after its time (fix 16: "it has gone out already")
        at = describe(cancelled.scheduled_at)
        said = f"Nothing to call off: {campaign_id} was scheduled for {at}, which has passed, and had nobody left waiting to be sent to."
        accepted = cancelled.reached - cancelled.unknown
        if accepted:
            said += (
                f" {scheduled.handed_over(accepted, at)}: mailer report {campaign_id} shows who got {'it' if accepted == 1 else 'them'}."
            )
    last = "The last journalist was" if one else f"The last {counted(cancelled.settled, 'journalist')} were"
    output.say(
        f"{said} {last} on their way to SendGrid when the send stopped (their request was in flight and no answer was "
        f"logged): {'that journalist is' if one else 'they are'} now marked unknown, and {campaign_id} is marked done."
    )
    output.say(status.unknown_words(cancelled.unknown, campaign_id))


def _say_called_off(campaign_id: str, cancelled: Cancelled) -> None:
    """The rest of a stopped send called off: those it had accepted stay reached; those of unknown
    fate are said apart, in status's words (newcomer 15 #2: "4 journalists had it" of four whose
    request never got an answer)."""
    from mailer.send import status

    accepted = cancelled.reached - cancelled.unknown
    rest = counted(cancelled.unsent, "journalist")
    if cancelled.sandboxed:  # status's words: nobody had it, a new send mails everyone (session 16)
        output.say(
            f"Called off the rest of {campaign_id}: {rest} it had not handed over will not be. It was a rehearsal in "
            "SendGrid's sandbox, delivered to nobody: a new send of this release reaches every journalist on the list."
        )
        return
    if cancelled.scheduled_at is not None:  # a scheduled send stopped half-way, after its time
        said = f"Called off the rest of {campaign_id}: {rest} it had not handed to SendGrid will not be mailed."
        if accepted:
            one = accepted == 1
            said += f" {scheduled.handed_over(accepted, describe(cancelled.scheduled_at))}: mailer report {campaign_id} shows who got {'it' if one else 'them'}."
        said += " A new send of this release reaches those called off."
    else:
        had = f" ({counted(accepted, 'journalist')} had it before it stopped)" if accepted else ""
        said = (
            f"Called off the rest of {campaign_id}: {rest} it had not mailed yet will not be{had}. A new send of this release reaches them."
        )
    output.say(said)
    if cancelled.unknown:
        output.say(status.unknown_words(cancelled.unknown, campaign_id))


def parts_written(app: AppContext, campaign_id: str | None, *, optional: bool = False, stopped_only: bool = False) -> None:
    """The rows a stopped large send left in parts, written with a bar before the command's own
    work (newcomer 19 #3: seconds of silence at 300,000 journalists); ``send.parts.write_left``."""
    from mailer.send import parts

    engine = app.engine
    # It waits for another program writing to the log before the bar (a colleague's cancel of a
    # million journalists holds it for 15 s): said after a moment, as opening a busy log says it.
    waiting = threading.Timer(2.0, lambda: output.note(_waiting_words(app.config.database.url)))
    waiting.daemon = True

    @contextmanager
    def writing(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        waiting.cancel()
        with output.progress(description, total) as advance:
            yield advance

    waiting.start()
    try:
        parts.write_left(engine, campaign_id, progress=writing, optional=optional, stopped_only=stopped_only)
    finally:
        waiting.cancel()


def _now(log: Engine | Connection) -> datetime:
    """Now by the delivery log's clock (its server's, for a team's PostgreSQL log: ``store.clock``)."""
    from mailer.store import clock

    return clock.now(log)
