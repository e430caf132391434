"""Writes the Plan to the delivery log, then feeds a Transport: retries, unknown, resume.

The order of writes is what keeps promises 1 and 2 (DESIGN.md, "The delivery log"):

1. ``start``: the campaign and one row per list row, in ONE transaction, before any request.
2. ``run``: rows left in ``sending`` by a crash become ``unknown``; then, batch by batch,
   the rows go ``planned -> sending`` (committed) BEFORE the request, and ``accepted``,
   ``failed``, ``unknown`` or back to ``planned`` after it. A row is only ever sent from
   ``planned``, and only ``resume --resend-unknown`` puts an ``unknown`` row back there.

Requests go out from ``concurrency`` worker threads; all writes happen on the calling
thread, one UPDATE per batch. Waits go through an injectable ``sleep`` so tests never wait.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine

from mailer import compose
from mailer.config import SendGridConfig
from mailer.errors import (
    AuthError,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SendError,
    TooLarge,
    TransportError,
    Unavailable,
)
from mailer.models import CampaignStatus, MessageState, Mode, Rendered
from mailer.plan import Plan
from mailer.store import campaigns, messages
from mailer.transport.base import Batch, BatchResult, OutgoingMessage, Transport

RATE_LIMIT_ATTEMPTS = 20
BACKOFF_BASE = 1.0
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


@dataclass(frozen=True, slots=True)
class Pacing:
    """How hard to push and how long to wait: from [sendgrid] in mailer.toml."""

    concurrency: int = 4
    retries: int = 4
    max_retry_wait: float = 60.0

    @classmethod
    def from_config(cls, sendgrid: SendGridConfig) -> Pacing:
        return cls(concurrency=sendgrid.concurrency, retries=sendgrid.retries, max_retry_wait=sendgrid.max_retry_wait)


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    pacing: Pacing = Pacing(),
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
    sender = _Dispatcher(
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
    return {
        m.key: OutgoingMessage(m.key, m.email, m.name, m.fields, m.substitutions or {})
        for m in plan.messages
        if m.state is MessageState.PLANNED
    }


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


@dataclass
class _Attempt:
    """What a worker brings back: the result, or the error that ended its tries."""

    result: BatchResult | None = None
    error: BaseException | None = None


@dataclass
class _Dispatcher:
    engine: Engine
    campaign_id: str
    transport: Transport
    pacing: Pacing
    sleep: Callable[[float], None]
    jitter: Callable[[], float]
    on_batch: Callable[[int], None]
    on_warning: Callable[[str], None]
    next_no: int
    interrupted: bool = False
    stop_error: MailerErrorLike | None = None
    queue: deque[Batch] = field(default_factory=deque)

    @property
    def stopping(self) -> bool:
        return self.interrupted or self.stop_error is not None

    def dispatch(self, batches: Sequence[Batch]) -> None:
        """Keep ``concurrency`` requests in flight; a row goes to `sending` only when its request is next.

        Each round first marks the next batches `sending` and commits, then sends them, and
        only then records the answers that came in (one transaction), so a free worker never
        waits for the log.
        """
        self.queue.extend(batches)
        in_flight: dict[Future[_Attempt], Batch] = {}
        answered: list[tuple[Batch, _Attempt]] = []
        with ThreadPoolExecutor(max_workers=self.pacing.concurrency, thread_name_prefix="mailer-send") as pool:
            while True:
                try:
                    self._notice_stop(answered)
                    for batch in self._start_next(self.pacing.concurrency - len(in_flight)):
                        in_flight[pool.submit(self._deliver, batch)] = batch
                    notes: list[Callable[[], None]] = []
                    with self.engine.begin() as connection:
                        for batch, attempt in answered:
                            notes.extend(self._record(connection, batch, attempt))
                    answered = []
                    for note in notes:
                        note()
                    if not in_flight and not (self.queue and not self.stopping):
                        return
                    if in_flight:
                        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                        answered = [(in_flight.pop(future), future.result()) for future in done]
                except KeyboardInterrupt:
                    # Stop cleanly: no new request; the ones in flight are answered and logged.
                    self.interrupted = True

    def _notice_stop(self, answered: Sequence[tuple[Batch, _Attempt]]) -> None:
        """A refused key or an unreachable SendGrid stops new requests before any is started."""
        for _, attempt in answered:
            if attempt.result is None and not isinstance(attempt.error, Rejected | TooLarge | OutcomeUnknown) and self.stop_error is None:
                self.stop_error = _stop_error(attempt.error, self.campaign_id)

    def _start_next(self, free: int) -> list[Batch]:
        """Mark up to ``free`` batches `sending` and commit: only then may their requests leave."""
        starting: list[Batch] = []
        try:
            with self.engine.begin() as connection:
                while self.queue and not self.stopping and len(starting) < free:
                    batch = self.queue.popleft()
                    starting.append(batch)
                    self._mark(connection, batch.number, MessageState.PLANNED, MessageState.SENDING)
        except BaseException:
            self.queue.extendleft(reversed(starting))  # rolled back: they are still planned
            raise
        return starting

    def _deliver(self, batch: Batch) -> _Attempt:
        """One batch, retried while SendGrid says nothing was accepted (429, 5xx, refused)."""
        failures = rate_limited = 0
        while True:
            try:
                return _Attempt(result=self.transport.send(batch))
            except RateLimited as exc:
                rate_limited += 1
                if rate_limited > RATE_LIMIT_ATTEMPTS or self.stopping:
                    return _Attempt(error=Unavailable("SendGrid kept answering 429 (too many requests)."))
                self.sleep(min(exc.retry_after, self.pacing.max_retry_wait) * (1 + 0.25 * self.jitter()))
            except Unavailable as exc:
                failures += 1
                if failures > self.pacing.retries or self.stopping:
                    return _Attempt(error=exc)
                wait_for = min(BACKOFF_BASE * 2 ** (failures - 1), self.pacing.max_retry_wait)
                self.sleep(wait_for * (0.5 + 0.5 * self.jitter()))
            except TransportError as exc:
                return _Attempt(error=exc)
            except Exception as exc:  # noqa: BLE001 - whatever went wrong, the request may have left
                return _Attempt(error=OutcomeUnknown(f"Unexpected error while sending: {exc.__class__.__name__}: {exc}"))

    def _record(self, connection: Connection, batch: Batch, attempt: _Attempt) -> list[Callable[[], None]]:
        """Turn a batch's outcome into its rows' new state (one UPDATE); returns what to tell the user."""
        error = attempt.error
        size = len(batch.messages)
        if attempt.result is not None:
            self._mark(connection, batch.number, MessageState.SENDING, MessageState.ACCEPTED, sg_message_id=attempt.result.message_id or "")
            return [lambda: self.on_batch(size)]
        if isinstance(error, Rejected):
            text = _rejection_text(error, batch)
            self._mark(connection, batch.number, MessageState.SENDING, MessageState.FAILED, error=text)
            return [lambda: self.on_warning(f"Batch {batch.number} ({size} recipients) refused by SendGrid: {text}"), lambda: self.on_batch(size)]
        if isinstance(error, TooLarge) and size > 1:
            self._split(connection, batch)
            return []
        if isinstance(error, TooLarge):
            self._mark(connection, batch.number, MessageState.SENDING, MessageState.FAILED, error="SendGrid said this email is too large (413).")
            return [lambda: self.on_batch(size)]
        if isinstance(error, OutcomeUnknown):
            message = error.message
            self._mark(connection, batch.number, MessageState.SENDING, MessageState.UNKNOWN, error=message)
            return [
                lambda: self.on_warning(f"Batch {batch.number} ({size} recipients): {message} Marked unknown; it will not be resent automatically."),
                lambda: self.on_batch(size),
            ]
        # AuthError, or SendGrid unreachable after every retry: nothing was accepted.
        self._mark(connection, batch.number, MessageState.SENDING, MessageState.PLANNED)
        if self.stop_error is None:
            self.stop_error = _stop_error(error, self.campaign_id)
        return []

    def _split(self, connection: Connection, batch: Batch) -> None:
        """413: send the batch again as two halves, each under its own number."""
        half = len(batch.messages) // 2
        first, second = batch.messages[:half], batch.messages[half:]
        second_no = self.next_no
        self.next_no += 1
        self._mark(connection, batch.number, MessageState.SENDING, MessageState.PLANNED)
        messages.renumber(connection, self.campaign_id, [m.key for m in second], second_no, now=utcnow())
        self.queue.appendleft(_with(batch, second, second_no))
        self.queue.appendleft(_with(batch, first, batch.number))

    def _mark(self, connection: Connection, batch_no: int, old: MessageState, new: MessageState, **values: Any) -> None:
        messages.mark_batch(connection, self.campaign_id, batch_no, old=old, new=new, now=utcnow(), **values)


MailerErrorLike = TransportError | SendError


def _with(batch: Batch, part: tuple[OutgoingMessage, ...], number: int) -> Batch:
    return Batch(batch.campaign_id, number, batch.rendered, part, send_at=batch.send_at, sendgrid_batch_id=batch.sendgrid_batch_id)


def _rejection_text(error: Rejected, batch: Batch) -> str:
    """SendGrid's errors, with `personalizations.N` also naming the address it points at."""
    parts = []
    for item in error.errors or [{"message": error.message, "field": None}]:
        field_name = item.get("field") or ""
        text = f"{field_name}: {item.get('message')}" if field_name else str(item.get("message"))
        pieces = field_name.split(".")
        if len(pieces) > 1 and pieces[0] == "personalizations" and pieces[1].isdigit() and int(pieces[1]) < len(batch.messages):
            text += f" ({batch.messages[int(pieces[1])].email})"
        parts.append(text)
    return "; ".join(parts)


def _stop_error(error: BaseException | None, campaign_id: str) -> MailerErrorLike:
    resume = f"Nothing more was sent. When it is fixed, run: mailer resume {campaign_id}"
    if isinstance(error, AuthError):
        return AuthError(error.message, status=error.status, hint=resume)
    text = error.message if isinstance(error, TransportError) else str(error)
    return SendError(f"SendGrid could not be reached after several tries: {text}", hint=f"Unsent recipients stay planned. Try later with: mailer resume {campaign_id}")


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
            f"{unknown} recipient(s) are unknown: the request left but no answer came, so SendGrid may have "
            "accepted them. Wait for SendGrid's events (mailer webhook, or mailer events import) to settle them; "
            f"only if you are sure they did not get it, run: mailer resume {campaign_id} --resend-unknown"
        )
    if failed:
        steps.append(f"{failed} recipient(s) failed: SendGrid refused them for the reason shown. Fix the cause, then send to them again.")
    if not steps:
        steps.append("Nothing left to do." if mode is not Mode.LIVE else f"All sent. Read opens and bounces later with: mailer report {campaign_id}")
    return steps
