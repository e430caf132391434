"""``mailer campaigns``, ``status`` and ``cancel``: looking back at what was sent, and calling off a scheduled send.

In Python: ``reports.overview`` behind ``campaigns``, ``send.status.status`` behind ``status``,
``send.campaign.cancel`` behind ``cancel``.
"""

from __future__ import annotations

import os
from datetime import datetime

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.models import SCHEDULED, MessageState, Mode
from mailer.send.schedule import describe


@main.command("campaigns")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def campaigns_command(app: AppContext, as_json: bool) -> None:
    """List every campaign in the delivery log, newest first.

    \b
    Example:
        mailer campaigns
        mailer campaigns --json
    """
    from mailer import reports

    rows = reports.overview(app.engine)
    if as_json:
        output.print_json(rows)
        return
    if not rows:
        output.say("No campaigns yet. Start with: mailer send RELEASE --list FILE --dry-run")
        return
    for r in rows:
        done_word = "written" if r["mode"] == Mode.DRY_RUN.value else "accepted"
        counts = f"{r['accepted']:,}/{r['recipients']:,} {done_word}" + "".join(
            f", {r[state]:,} {state}" for state in ("failed", "unknown", "planned") if r[state]
        )
        figures = "".join(f", {r[k]:,} {k}" for k in ("delivered", "opened", "bounced") if k in r)
        held = f", held until {describe(datetime.fromisoformat(r['scheduled']))}" if r["status"] == SCHEDULED else ""
        created = describe(datetime.fromisoformat(r["created"]))
        output.say(
            f"{r['id']}  {r['mode']:<7}  {r['status']:<9}  {created}  {r['content_hash'][:12]}  {counts}{figures}{held}  {r['subject']}"
        )


@main.command("status")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_app
def status_command(app: AppContext, campaign_id: str, as_json: bool) -> None:
    """Where one campaign stands: recipients per state, the errors, and what to do next.

    \b
    Example:
        mailer status 2026-02-19-example
    """
    from mailer.send import status

    found = status.status(app.engine, campaign_id)
    campaign, steps = found.campaign, list(found.next_steps)
    if as_json:
        output.print_json(
            {
                "id": campaign_id,
                "mode": campaign.mode.value,
                "status": found.shown_status,
                "subject": campaign.subject,
                "content_hash": campaign.content_hash,
                "created": campaign.created_at.isoformat(timespec="seconds"),
                "scheduled": campaign.scheduled_at.isoformat(timespec="seconds") if campaign.scheduled_at else None,
                "counts": dict(found.counts),
                "skipped": dict(found.skipped),
                "errors": [{"state": s, "error": e, "recipients": n} for s, e, n in found.errors],
                "next": steps,
            }
        )
        return
    output.say(f"Campaign:  {campaign_id} ({campaign.mode.value}, {found.shown_status})")
    output.say(f"Subject:   {campaign.subject}")
    output.say(f"Content:   {campaign.content_hash[:12]} (mailer show {campaign_id} rebuilds what went out)")
    output.say(f"Created:   {describe(campaign.created_at)}")
    if campaign.scheduled_at:
        output.say(f"Scheduled: {describe(campaign.scheduled_at)}")
    output.say(
        "Recipients: " + ", ".join(f"{n:,} {state}" for state, n in found.counts.items() if n and state != MessageState.SKIPPED.value)
    )
    if found.skipped:
        output.say("Skipped:   " + ", ".join(f"{n:,} {reason}" for reason, n in sorted(found.skipped.items())))
    for state, error, count in found.errors:
        output.say(f"  {count:,} {state}: {error}")
    for step in steps:
        output.say(step)


@main.command("cancel")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_app
def cancel_command(app: AppContext, campaign_id: str) -> None:
    """Cancel a scheduled send (up to 10 minutes before it goes out).

    \b
    Example:
        mailer cancel 2026-02-19-example
    """
    from mailer.send import campaign

    cancelled = campaign.cancel(app.engine, app.config, campaign_id, environ=os.environ)
    when = describe(cancelled.scheduled_at)
    if cancelled.already:
        output.say(f"{campaign_id} is already cancelled.")
        return
    if cancelled.late:
        output.warn("Less than 10 minutes before the send: SendGrid does not guarantee the cancellation.")
    output.say(f"Cancelled {campaign_id}: SendGrid will discard its messages at {when}.")
