"""Where a campaign stands, and what to do next, in plain words: ``mailer status`` and ``campaigns``.

``find`` turns a campaign id into the stored campaign (or an error naming near ids);
``status`` gathers counts per state, skipped rows by reason, the distinct errors and the next
steps; ``advice`` writes those steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from mailer.errors import SendError
from mailer.models import CampaignStatus, MessageState, Mode, shown_status
from mailer.send import lease, schedule
from mailer.send.dispatch import utcnow
from mailer.store import campaigns, messages
from mailer.store.campaigns import Campaign

__all__ = ["Status", "advice", "find", "status"]


@dataclass(frozen=True, slots=True)
class Status:
    """One campaign as ``mailer status`` shows it."""

    campaign: Campaign
    counts: Mapping[str, int]  # message state -> recipients
    skipped: Mapping[str, int]  # skip reason -> rows
    errors: Sequence[tuple[str, str, int]]  # (state, error text, recipients)
    next_steps: Sequence[str]
    shown_status: str  # the stored status, or "scheduled" while SendGrid holds it (models.shown_status)


def find(connection: Connection, campaign_id: str) -> Campaign:
    """The campaign, or an error naming near ids: a mistyped id is the usual mistake."""
    found = campaigns.get(connection, campaign_id)
    if found is None:
        near = [c for c in campaigns.ids(connection) if campaign_id in c][:3]
        hint = (f"Did you mean {', '.join(near)}? " if near else "") + "`mailer campaigns` lists them."
        raise SendError(f'No campaign "{campaign_id}" in the delivery log.', hint=hint)
    return found


def status(engine: Engine, campaign_id: str, *, now: datetime | None = None) -> Status:
    """Counts, skipped rows, errors and next steps of one campaign, as the log has them now."""
    with engine.connect() as connection:
        campaign = find(connection, campaign_id)
        counts, errors = messages.tally(connection, campaign_id)
        skipped = messages.skipped_by_reason(connection, campaign_id)
        now = now or utcnow()
        held = lease.driving(connection, campaign_id, now=now)
    running = None
    if held is not None:  # another process is sending it right now
        heard = max(0, int((now - held.heartbeat).total_seconds()))
        running = f"pid {held.pid} on {held.host.split('/')[0]}, last heard from {heard} s ago"
    steps = advice(campaign_id, counts, mode=campaign.mode, status=campaign.status, running=running)
    scheduled = campaign.scheduled_at
    if scheduled and scheduled > now and campaign.status is not CampaignStatus.CANCELLED:
        steps.insert(
            0,
            f"SendGrid holds these emails until {schedule.describe(scheduled)}. "
            f"To call the send off (up to 10 minutes before): mailer cancel {campaign_id}",
        )
    return Status(campaign, counts, skipped, errors, steps, shown_status(campaign.status, scheduled, now=now))


def advice(
    campaign_id: str,
    counts: Mapping[str, int],
    *,
    mode: Mode = Mode.LIVE,
    status: CampaignStatus | None = None,
    running: str | None = None,
) -> list[str]:
    """What the user should do next, in plain words, given a campaign's counts per state.

    ``running`` describes the process sending the campaign right now (its lease is live), if one
    is: then the rows still planned are its to send, not a reason to resume (newcomer review 8).
    """
    steps: list[str] = []
    planned = counts.get(MessageState.PLANNED.value, 0) + counts.get(MessageState.SENDING.value, 0)
    unknown = counts.get(MessageState.UNKNOWN.value, 0)
    failed = counts.get(MessageState.FAILED.value, 0)
    if status is CampaignStatus.CANCELLED:
        return ["This send was cancelled; nothing more will go out."]
    if planned and running is not None:
        steps.append(
            f"{planned:,} recipient(s) are being sent right now by another process ({running}): let it finish. "
            f"`mailer status {campaign_id}` again shows how far it got."
        )
    elif planned:
        steps.append(f"{planned:,} recipient(s) have not been sent yet. Continue with: mailer resume {campaign_id}")
    if unknown:
        steps.append(
            f"{unknown:,} recipient(s) are unknown: their request left but SendGrid never confirmed it (no answer, or a "
            "502/504 from its gateway), so they may already have the email. mailer does not resend them by itself. "
            "Wait for SendGrid's events (mailer webhook, or mailer events import) to settle them; "
            f"only if you are sure they did not get it, run: mailer resume {campaign_id} --resend-unknown"
        )
    if failed:
        steps.append(
            f"{failed:,} recipient(s) failed: SendGrid refused them for the reason shown. "
            f"Fix the cause, then send to them again with: mailer resume {campaign_id} --retry-failed"
        )
    if not steps:
        steps.append(
            "Nothing left to do." if mode is not Mode.LIVE else f"All sent. Read opens and bounces later with: mailer report {campaign_id}"
        )
    return steps
