"""Writes the Plan to the delivery log, then hands its batches to the dispatcher: start, resume.

The order of writes is what keeps promises 1 and 2 (DESIGN.md, "The delivery log"):

1. ``start``: the campaign and one row per list row, in ONE transaction, before any request.
2. ``run``: rows left in ``sending`` by a crash become ``unknown``; then ``dispatch.Dispatcher``
   moves batch by batch ``planned -> sending`` (committed) BEFORE the request, and
   ``accepted``, ``failed``, ``unknown`` or back to ``planned`` after it. A row is only ever
   sent from ``planned``, and only ``resume --resend-unknown`` puts an ``unknown`` row back there.

Also here: ``parse_at`` for ``--at`` and ``advice``, the plain-words next steps of ``status``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from mailer import compose
from mailer.dispatch import Dispatcher, Pacing, utcnow
from mailer.errors import SendError
from mailer.models import CampaignStatus, MessageState, Mode, Rendered
from mailer.plan import Plan
from mailer.store import campaigns, messages
from mailer.transport.base import Batch, OutgoingMessage, Transport

__all__ = ["IncompleteSend", "Outcome", "Pacing", "advice", "outcome", "outgoing", "parse_at", "run", "start", "utcnow"]

DEFAULT_PACING = Pacing()
MAX_SCHEDULE_AHEAD = timedelta(hours=72)
AT_EXAMPLE = '--at "2026-03-01 09:00 America/New_York"'


class IncompleteSend(SendError):
    """A send finished, but some recipients failed or their fate is unknown (exit 3)."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a campaign stands after a run: counts per state and the distinct errors."""

    campaign_id: str
    counts: Mapping[str, int]
    errors: Sequence[tuple[str, str, int]]
    interrupted: bool = False
    recovered_unknown: int = 0

    @property
    def needs_attention(self) -> bool:
        """Some recipients failed or their fate is unknown (the command exits 3)."""
        return bool(self.counts.get(MessageState.FAILED.value) or self.counts.get(MessageState.UNKNOWN.value))



def start(
    engine: Engine,
    plan: Plan,
    *,
    mode: Mode,
    slug: str,
    lists: Sequence[str],
    filters: Mapping[str, Any],
    sender: Mapping[str, Any],
    scheduled_at: datetime | None = None,
    sendgrid_batch_id: str | None = None,
    now: datetime | None = None,
) -> str:
    """Write the campaign and every planned and skipped row in one transaction; return the id."""
    moment = now or utcnow()
    with engine.begin() as connection:
        campaign_id = campaigns.new_id(connection, day=moment.date(), slug=slug)
        campaigns.create(
            connection,
            campaign_id=campaign_id,
            release_path=plan.rendered.release_path,
            content_hash=plan.rendered.content_hash,
            subject=plan.rendered.subject,
            lists=lists,
            filters=filters,
            mode=mode,
            created_at=moment,
            scheduled_at=scheduled_at,
            sendgrid_batch_id=sendgrid_batch_id,
            sender=sender,
        )
        messages.insert(
            connection,
            (
                (campaign_id, m.key, m.email, m.email.lower(), m.fields, m.source, m.state.value, m.skip_reason, m.batch_no, m.detail)
                for m in plan.messages
            ),
            now=moment,
        )
    return campaign_id


def run(
    engine: Engine,
    campaign_id: str,
    *,
    rendered: Rendered,
    transport: Transport,
    pacing: Pacing = DEFAULT_PACING,
    resend_unknown: bool = False,
    prepared: Mapping[str, OutgoingMessage] | None = None,
    send_at: int | None = None,
    sendgrid_batch_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    on_batch: Callable[[int], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> Outcome:
    """Send every planned row of a campaign; the same call starts a send and resumes one.

    Raises AuthError at once on 401/403, and SendError when SendGrid stays unreachable;
    either way the unsent rows stay planned for `mailer resume`.
    """
    with engine.begin() as connection:
        recovered = messages.recover_interrupted(connection, campaign_id, now=utcnow())
        if resend_unknown:
            messages.requeue_unknown(connection, campaign_id, now=utcnow())
        rows = messages.pending(connection, campaign_id, with_fields=prepared is None)
        if prepared is not None and any(row.key not in prepared for row in rows):
            rows = messages.pending(connection, campaign_id)
        next_no = messages.max_batch_no(connection, campaign_id) + 1
    if rows:
        campaigns.set_status(engine, campaign_id, CampaignStatus.SENDING)
    sender = Dispatcher(
        engine, campaign_id, transport=transport, pacing=pacing, sleep=sleep, jitter=jitter,
        on_batch=on_batch or (lambda n: None), on_warning=on_warning or (lambda text: None), next_no=next_no,
    )
    batches = _batches(campaign_id, rendered, rows, prepared or {}, send_at, sendgrid_batch_id)
    try:
        sender.dispatch(batches)
    finally:
        outcome = _finish(engine, campaign_id, interrupted=sender.interrupted, recovered=recovered)
    if sender.stop_error is not None:
        raise sender.stop_error
    return outcome


def outgoing(plan: Plan) -> dict[str, OutgoingMessage]:
    """The plan's recipients as the transport takes them, so a fresh run need not recompute them."""
    return {m.key: m.outgoing() for m in plan.messages if m.state is MessageState.PLANNED}


def outcome(engine: Engine, campaign_id: str) -> Outcome:
    """Counts and errors of a campaign as the log has them now."""
    with engine.connect() as connection:
        return Outcome(campaign_id, messages.counts(connection, campaign_id), messages.errors(connection, campaign_id))


def _finish(engine: Engine, campaign_id: str, *, interrupted: bool, recovered: int) -> Outcome:
    current = outcome(engine, campaign_id)
    counts = current.counts
    if counts[MessageState.PLANNED.value] or counts[MessageState.SENDING.value]:
        status = CampaignStatus.PAUSED
    elif not counts[MessageState.ACCEPTED.value] and counts[MessageState.FAILED.value] and not counts[MessageState.UNKNOWN.value]:
        status = CampaignStatus.FAILED
    else:
        status = CampaignStatus.DONE
    campaigns.set_status(engine, campaign_id, status)
    return Outcome(campaign_id, counts, current.errors, interrupted=interrupted, recovered_unknown=recovered)


def _batches(
    campaign_id: str,
    rendered: Rendered,
    rows: Sequence[messages.PendingMessage],
    prepared: Mapping[str, OutgoingMessage],
    send_at: int | None,
    sendgrid_batch_id: str | None,
) -> list[Batch]:
    """Group planned rows by batch number into Batches, substitutions filled in."""
    grouped: dict[int, list[OutgoingMessage]] = {}
    for row in rows:
        outgoing = prepared.get(row.key)
        if outgoing is None:
            name = " ".join(p for p in (row.fields.get("first_name", ""), row.fields.get("last_name", "")) if p)
            outgoing = OutgoingMessage(row.key, row.email, name, row.fields, compose.substitutions(rendered, row.fields))
        grouped.setdefault(row.batch_no, []).append(outgoing)
    return [
        Batch(campaign_id, number, rendered, tuple(outgoing), send_at=send_at, sendgrid_batch_id=sendgrid_batch_id)
        for number, outgoing in sorted(grouped.items())
    ]


def parse_at(text: str, *, now: datetime) -> datetime:
    """--at "2026-03-01 09:00 America/New_York" (or an ISO time with an offset) -> an aware time.

    Refused when it is in the past or more than 72 hours ahead (SendGrid's limit for send_at).
    """
    moment = _parse_moment(text.strip())
    if moment <= now:
        raise SendError(f'--at "{text}" is in the past.', hint=f"Give a time in the next 72 hours, for example {AT_EXAMPLE}.")
    if moment - now > MAX_SCHEDULE_AHEAD:
        raise SendError(
            f'--at "{text}" is more than 72 hours ahead; SendGrid cannot schedule that far.',
            hint="Run the command again closer to the time, or send now.",
        )
    return moment


def _parse_moment(text: str) -> datetime:
    bad = SendError(f'--at "{text}" is not a time mailer understands.', hint=f"Write the date, the time and the time zone, for example {AT_EXAMPLE}.")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            return moment
    except ValueError:
        pass
    when, _, zone = text.rpartition(" ")
    try:
        naive = datetime.fromisoformat(when)
        tz = UTC if zone.upper() in ("UTC", "Z", "GMT") else ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise bad from None
    if naive.tzinfo is not None:
        raise bad
    return naive.replace(tzinfo=tz)


def advice(campaign_id: str, counts: Mapping[str, int], *, mode: Mode = Mode.LIVE, status: CampaignStatus | None = None) -> list[str]:
    """What the user should do next, in plain words, given a campaign's counts per state."""
    steps: list[str] = []
    planned = counts.get(MessageState.PLANNED.value, 0) + counts.get(MessageState.SENDING.value, 0)
    unknown = counts.get(MessageState.UNKNOWN.value, 0)
    failed = counts.get(MessageState.FAILED.value, 0)
    if status is CampaignStatus.CANCELLED:
        return ["This scheduled send was cancelled; nothing more will go out."]
    if planned:
        steps.append(f"{planned} recipient(s) have not been sent yet. Continue with: mailer resume {campaign_id}")
    if unknown:
        steps.append(
            f"{unknown} recipient(s) are unknown: their request left but SendGrid never confirmed it (no answer, or a "
            "502/504 from its gateway), so they may already have the email. mailer does not resend them by itself. "
            "Wait for SendGrid's events (mailer webhook, or mailer events import) to settle them; "
            f"only if you are sure they did not get it, run: mailer resume {campaign_id} --resend-unknown"
        )
    if failed:
        steps.append(f"{failed} recipient(s) failed: SendGrid refused them for the reason shown. Fix the cause, then send to them again.")
    if not steps:
        steps.append("Nothing left to do." if mode is not Mode.LIVE else f"All sent. Read opens and bounces later with: mailer report {campaign_id}")
    return steps
