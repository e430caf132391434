"""``mailer campaigns``, ``status`` and ``cancel``: looking back at what was sent, and calling off a scheduled send.

In Python: ``store.campaigns.rows`` behind ``campaigns``, ``send.outcome`` and ``send.advice``
behind ``status``, ``SendGridTransport.cancel_scheduled`` behind ``cancel``.
"""

from __future__ import annotations

import os
from typing import Any

import click
from sqlalchemy import Engine

from mailer import compose, output, send, store
from mailer.cli import AppContext, main, pass_app
from mailer.errors import SendError
from mailer.models import CampaignStatus, MessageState, Mode
from mailer.reports import figures
from mailer.store import campaigns
from mailer.transport.sendgrid import SendGridTransport


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
    engine = app.engine
    rows = campaigns.rows(engine)
    rows = _with_figures(engine, rows)
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
        output.say(f"{r['id']}  {r['mode']:<7}  {r['status']:<9}  {r['created'][:16].replace('T', ' ')}  {counts}{figures}  {r['subject']}")


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
    engine = app.engine
    campaign = find_campaign(engine, campaign_id)
    current = send.outcome(engine, campaign_id)
    with engine.connect() as connection:
        skipped = store.messages.skipped_by_reason(connection, campaign_id)
    steps = send.advice(campaign_id, current.counts, mode=campaign.mode, status=campaign.status)
    if campaign.scheduled_at and campaign.scheduled_at > send.utcnow() and campaign.status is not CampaignStatus.CANCELLED:
        steps.insert(0, f"SendGrid holds these emails until {campaign.scheduled_at:%Y-%m-%d %H:%M %Z}. To call the send off (up to 10 minutes before): mailer cancel {campaign_id}")
    if as_json:
        output.print_json({
            "id": campaign_id, "mode": campaign.mode.value, "status": campaign.status.value, "subject": campaign.subject,
            "created": campaign.created_at.isoformat(timespec="seconds"),
            "scheduled": campaign.scheduled_at.isoformat(timespec="seconds") if campaign.scheduled_at else None,
            "counts": dict(current.counts), "skipped": skipped,
            "errors": [{"state": s, "error": e, "recipients": n} for s, e, n in current.errors], "next": steps,
        })
        return
    output.say(f"Campaign:  {campaign_id} ({campaign.mode.value}, {campaign.status.value})")
    output.say(f"Subject:   {campaign.subject}")
    output.say(f"Created:   {campaign.created_at:%Y-%m-%d %H:%M} UTC")
    if campaign.scheduled_at:
        output.say(f"Scheduled: {campaign.scheduled_at:%Y-%m-%d %H:%M %Z}")
    output.say("Recipients: " + ", ".join(f"{n:,} {state}" for state, n in current.counts.items() if n and state != MessageState.SKIPPED.value))
    if skipped:
        output.say("Skipped:   " + ", ".join(f"{n:,} {reason}" for reason, n in sorted(skipped.items())))
    for state, error, count in current.errors:
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
    config = app.config
    engine = app.engine
    campaign = find_campaign(engine, campaign_id)
    if not campaign.sendgrid_batch_id or campaign.scheduled_at is None:
        raise SendError(f"{campaign_id} was not a scheduled send, so there is nothing to cancel.", hint="Only sends made with --at can be cancelled.")
    if campaign.status is CampaignStatus.CANCELLED:
        output.say(f"{campaign_id} is already cancelled.")
        return
    now = send.utcnow()
    if campaign.scheduled_at <= now:
        raise SendError(f"{campaign_id} was scheduled for {campaign.scheduled_at:%Y-%m-%d %H:%M %Z}; it has gone out already.")
    if (campaign.scheduled_at - now).total_seconds() < 600:
        output.warn("Less than 10 minutes before the send: SendGrid does not guarantee the cancellation.")
    transport = SendGridTransport(api_key=config.api_key(os.environ), sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config))
    transport.cancel_scheduled(campaign.sendgrid_batch_id)
    campaigns.set_status(engine, campaign_id, CampaignStatus.CANCELLED)
    output.say(f"Cancelled {campaign_id}: SendGrid will discard its messages at {campaign.scheduled_at:%Y-%m-%d %H:%M %Z}.")


# -- helpers ---------------------------------------------------------------------------------


def find_campaign(engine: Engine, campaign_id: str) -> campaigns.Campaign:
    """The campaign, or an error naming near ids: a mistyped id is the usual mistake."""
    found = campaigns.get(engine, campaign_id)
    if found is None:
        known = campaigns.ids(engine)
        near = [c for c in known if campaign_id in c][:3]
        hint = (f"Did you mean {', '.join(near)}? " if near else "") + "`mailer campaigns` lists them."
        raise SendError(f'No campaign "{campaign_id}" in the delivery log.', hint=hint)
    return found


def _with_figures(engine: Engine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the events' figures (delivered, opened, bounced ...) to live campaigns."""
    extra = figures.headline_figures(engine, [r["id"] for r in rows])
    return [{**row, **extra.get(row["id"], {})} for row in rows]
