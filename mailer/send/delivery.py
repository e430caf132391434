"""Writes the Plan to the delivery log, then hands its requests to the dispatcher: record, run.

The order of writes is what keeps promises 1 and 2 (DESIGN.md, "The delivery log"):

1. ``record``: the campaign and one row per list row, in ONE transaction, before any request; a
   plan of ``IN_PARTS_FROM`` rows or more as its first rows and the rest kept in parts
   (store/plan_parts.py), each part written into the message table before a request to one of
   its rows is listed in flight (send/parts.py): the whole plan is in the log from that commit.
2. ``run``: the rows of requests a crash left in flight become ``unknown``; then
   ``dispatch.Dispatcher`` lists each request in flight on the campaign row (committed, under the
   lease) BEFORE the request, and moves its rows ``planned`` -> ``accepted``, ``failed`` or
   ``unknown`` after it (or leaves them ``planned`` when nothing was accepted). A row is only ever
   sent from ``planned``, and only ``resume --resend-unknown`` puts an ``unknown`` row back there.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from mailer import compose
from mailer.counting import counted
from mailer.errors import SendError
from mailer.models import CampaignStatus, LogColumns, Message, MessageState, Mode, RejectReason, Rendered, shown_counts, to_name
from mailer.send import archive, lease, schedule
from mailer.send.dispatch import Dispatcher, Pacing, utcnow
from mailer.send.parts import PlanParts
from mailer.send.plan import MAX_PERSONALIZATIONS, Plan, VersionPicker, skip_received, skip_suppressed
from mailer.send.reached import compared, reached
from mailer.store import campaigns, failures, messages, plan_parts, suppressions
from mailer.store.plan_parts import PART_ROWS
from mailer.store.upgrade import Progress
from mailer.transport.base import Request, Transport
from mailer.unsubscribe import OneClick

__all__ = [
    "Elsewhere",
    "IncompleteSend",
    "Outcome",
    "Pacing",
    "Recorded",
    "Rehearsal",
    "outcome",
    "record",
    "rehearse_resume",
    "run",
    "settle",
    "skip_sent_elsewhere",
    "utcnow",
]

DEFAULT_PACING = Pacing()
ID_ATTEMPTS = 5


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
    called_off: int = 0  # rows a late cancel given elsewhere called off at the run's end (fix 15b)
    # A resume that found nobody planned when it took the lease: another process (a colleague's
    # resume) sent them since its question counted them, and this run mailed nobody (newcomer 15 #9).
    found_nobody: bool = False

    @property
    def needs_attention(self) -> bool:
        """Some recipients failed or their fate is unknown (the command exits 3)."""
        return bool(self.counts.get(MessageState.FAILED.value) or self.counts.get(MessageState.UNKNOWN.value))

    def check(self, *, dry_run: bool = False) -> None:
        """Raise SendError when the run was stopped, IncompleteSend (exit 3) when recipients need attention.

        ``dry_run``: the run wrote files instead of sending (the words for a stop differ)."""
        left = self.counts.get(MessageState.PLANNED.value, 0) + self.counts.get(MessageState.SENDING.value, 0)
        if self.interrupted and left:  # a Ctrl-C after the last request left stopped nothing (nc12b #5)
            raise SendError(
                "Stopped at your request; the requests written so far are in the outbox."
                if dry_run
                else "Stopped at your request after the requests in flight were answered.",
                hint=f"Continue later with: mailer resume {self.campaign_id}",
            )
        if self.needs_attention:
            failed, unknown = self.counts[MessageState.FAILED.value], self.counts[MessageState.UNKNOWN.value]
            raise IncompleteSend(
                f"The send ended with {counted(failed, 'failed recipient')} and {unknown:,} unknown.",
                hint=f"See what happened with: mailer status {self.campaign_id}   ({self._next(failed=failed, unknown=unknown)})",
            )

    def _next(self, *, failed: int, unknown: int) -> str:
        """What acts on failed and unknown recipients: a plain `mailer resume` sends neither, so the
        hint names the flag that does (newcomer 15 #3: it named a plain resume, which ended the same way)."""
        retry = f"once the cause is fixed: mailer resume {self.campaign_id} --retry-failed"
        resend = (
            "SendGrid's events settle the unknown ones; "
            f"only if you are sure they did not get it: mailer resume {self.campaign_id} --resend-unknown"
        )
        if failed and unknown:
            return f"then, {retry}; {resend}"
        return f"then, {retry}" if failed else resend


def _office_day(moment: datetime, zone: str | None) -> date:
    """``moment``'s day on the office's clock (UTC's without a zone)."""
    from mailer import zones

    return zones.on_office_clock(moment.astimezone(UTC), zone).date()


def record(
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
    include_previous: bool = False,
    suppressions_seen: Collection[str] | None = None,
    planned_at: datetime | None = None,
    common_body: Mapping[str, Any] | None = None,
    version_bodies: Sequence[Mapping[str, Any]] = (),
    one_click: OneClick | None = None,
    now: datetime | None = None,
    lease_for_run: bool = False,
    waiting: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    refuse_nobody: bool = False,
    office_zone: str | None = None,
) -> Recorded:
    """Write the campaign and every planned and skipped row in one transaction; return its id.

    The id starts with the day the campaign is made on the office's clock (``office_zone``, an IANA
    name: [reports] time_zone), or UTC's without one: a Melbourne office's send made at 9 am on
    3 December is ``2026-12-03-...``, not the 2nd (newcomer 25 #3).

    ``lease_for_run``: take the campaign's lease in that same transaction, for the ``run`` that
    follows (``Recorded.held``, given to it): no moment passes where the plan is in
    the log and no process holds it, which another send would read as a stopped campaign
    (review 10c: a plan slower than two minutes, or a process killed right after it).

    Unless ``include_previous``, a live send or dry run skips recipients another live campaign
    with the same content already reached or is sending (promise 8), checked while holding a
    lock on new campaigns, so two identical sends started at once never both mail someone.
    With it, a live send still skips those another campaign of the same content is mailing right
    now (its lease is held; "waiting elsewhere"): it mails again who had the release, not two
    copies at once (fix 10), and, given ``planned_at`` (when the plan was made), those another send
    of the release reached after it (a colleague's resume while its question waited; review 24s #4).
    ``common_body`` (the Mail Send body every request shares) is archived with the campaign
    (send/archive.py), so ``mailer show`` can rebuild exactly what went out; ``version_bodies``
    are those of the plan's other language versions (``plan.versions[1:]``), archived with it,
    and ``one_click`` the settings the transport makes each journalist's unsubscribe headers with.
    ``waiting`` is told, once, when the lock on new campaigns is not had within 2 seconds (another
    send writing a large plan holds it). ``progress`` shows the rows written, for a plan of
    ``PLAN_BAR_ROWS`` rows or more (seconds of work; tens of seconds at 300,000 on PostgreSQL).
    ``refuse_nobody``: raise SendError, writing nothing, when everyone the plan would mail was
    reached by another send of the same content (or suppressed) since it was made (`mailer send`
    while its question waited), instead of logging a campaign of nobody.
    """
    moment = now or utcnow(engine)
    release_path = str(Path(plan.rendered.release_path).resolve())
    for attempt in range(1, ID_ATTEMPTS + 1):
        try:
            with engine.begin() as connection:
                _lock_new_campaigns(connection, waiting)
                if mode is not Mode.TEST:
                    # Another send of this release whose rows still wait in parts (being written, or
                    # left by a killed run): they count as its rows do (promise 8), written now. Only
                    # those: a million of another's rows took 15 s, its run and the webhook held back (review 19q #1).
                    for other in sorted(compared(connection, plan, release_path=release_path, release_key=filters.get(campaigns.RELEASE))):
                        plan_parts.write_all(connection, other)
                final, skipped, suppressed = plan, 0, 0
                by: Mapping[str, str] = {}  # address -> the campaign of this content that reached them meanwhile
                if suppressions_seen is not None:  # suppressed since the plan was made (promise 3; review 9b)
                    now_suppressed = suppressions.reasons(connection)
                    final, suppressed = skip_suppressed(final, {k: why for k, why in now_suppressed.items() if k not in suppressions_seen})
                if mode is not Mode.TEST and not include_previous:
                    found = reached(connection, final, release_path=release_path, release_key=filters.get(campaigns.RELEASE))
                    final, skipped = skip_received(final, found.received)
                    by = found.received
                elif mode is Mode.LIVE:  # --include-previous: never two copies at once (fix 10)
                    being_sent = messages.waiting(connection, driving(connection, plan.content_hash, now=utcnow(connection)))
                    final, skipped = skip_received(final, being_sent, being_sent.keys())
                    by = being_sent
                if refuse_nobody and plan.request_count and not final.request_count:  # nothing written: rolled back
                    raise _nobody_left(plan, by, skipped=skipped, suppressed=suppressed, going=include_previous)
                campaign_id = campaigns.new_id(connection, day=_office_day(moment, office_zone), slug=slug)
                campaigns.create(
                    connection,
                    campaign_id=campaign_id,
                    release_path=release_path,
                    content_hash=plan.content_hash,
                    subject=plan.rendered.subject,
                    lists=lists,
                    filters=filters,
                    mode=mode,
                    created_at=moment,
                    scheduled_at=scheduled_at,
                    sendgrid_batch_id=sendgrid_batch_id,
                    sender=sender,
                    versions={version.language: version.content_hash for version in plan.all_versions},
                )
                if mode is Mode.LIVE and include_previous and planned_at is not None:
                    # They had it only after this plan was made: the campaign row is written, so the same
                    # rule as a resume's (``reached_since``) reads them; nothing of its own is written yet.
                    since = messages.reached_since(connection, campaign_id, content_hash=plan.content_hash, since=planned_at)
                    final, more = skip_received(final, since)
                    if more:
                        skipped, by = skipped + more, {**by, **since}
                        if refuse_nobody and plan.request_count and not final.request_count:  # raised: all rolled back
                            raise _nobody_left(plan, by, skipped=skipped, suppressed=suppressed)
                if common_body is not None:
                    versions = list(zip(plan.versions[1:], version_bodies, strict=True))
                    archive.keep(connection, campaign_id, plan.rendered, common_body, now=moment, versions=versions, one_click=one_click)
                rows = len(final.messages)
                if rows >= PLAN_BAR_ROWS and progress is not None:  # newcomer 17 #8: 15 s of silence at 300,000
                    with progress("Writing the plan to the delivery log", rows) as advance:
                        parts = _write_plan(
                            engine,
                            connection,
                            campaign_id,
                            _advancing(final.log_columns(PART_ROWS), advance),
                            rows,
                            moment,
                            whole=bool(suppressed),
                        )
                else:
                    parts = _write_plan(engine, connection, campaign_id, final.log_columns(PART_ROWS), rows, moment, whole=bool(suppressed))
                if suppressed:  # forgotten while the question waited: logged without her data (review 13 #1), so written whole
                    messages.blank_forgotten(connection, campaign_id)
                held = (
                    lease.acquire(connection, campaign_id, now=utcnow(connection)) if lease_for_run else None
                )  # real time, as every renewal
            return Recorded(campaign_id, final, skipped, suppressed, held, parts)
        except IntegrityError:
            if attempt == ID_ATTEMPTS:  # another process kept taking the same id: not a user's doing
                raise
    raise AssertionError("unreachable")


# A plan this large takes seconds to write: it gets a bar (a smaller one is written in a blink),
# and only its first rows go into the message table before the first request, the rest kept in
# parts (issue 12; store/plan_parts.py).
PLAN_BAR_ROWS = 20_000
IN_PARTS_FROM = PLAN_BAR_ROWS
FIRST_PARTS = 8192 // PART_ROWS  # rows written before the first request: those of its first eight requests at 1,000 a request


def _write_plan(
    engine: Engine,
    connection: Connection,
    campaign_id: str,
    blocks: Iterator[LogColumns],
    rows: int,
    moment: datetime,
    *,
    whole: bool = False,
) -> PlanParts | None:
    """Write a plan's rows, or, for one of ``IN_PARTS_FROM`` rows or more, its first parts' rows and
    the rest as parts, in the caller's transaction; the parts the run writes (None: none).
    ``whole``: every row at once, parts or not (rows to blank after: a part would keep her data; review 19p #1)."""
    if rows < IN_PARTS_FROM or whole:
        messages.insert_columns(connection, campaign_id, blocks, now=moment)
        return None
    first = list(itertools.islice(blocks, FIRST_PARTS))
    messages.insert_columns(connection, campaign_id, first, now=moment)
    written = sum(map(len, first))
    kept = plan_parts.keep(connection, campaign_id, blocks, now=moment, first=FIRST_PARTS)
    return PlanParts.after(engine, campaign_id, written, kept, first=FIRST_PARTS)


def _advancing(blocks: Iterator[LogColumns], advance: Callable[[int], None]) -> Iterator[LogColumns]:
    """``blocks`` as they are, moving the bar by each one's rows once the next is asked for (it is written then)."""
    for block in blocks:
        yield block
        advance(len(block.message_keys))


def _lock_new_campaigns(connection: Connection, waiting: Callable[[str], None] | None) -> None:
    """``campaigns.lock_new_campaigns``, saying after 2 seconds what it waits for: a colleague's plan
    of 300,000 journalists holds it for tens of seconds, and a send or test meanwhile sat silent
    after its "Log:" line, as if hung (newcomer 17 #6)."""
    if waiting is None:
        campaigns.lock_new_campaigns(connection)
        return
    note = threading.Timer(
        2.0,
        waiting,
        args=(
            (
                "Waiting for the delivery log: another send is writing its plan there (a colleague's, or another "
                "terminal's); this one goes on once it is written (Ctrl+C stops)..."
            ),
        ),
    )
    note.daemon = True
    note.start()
    try:
        campaigns.lock_new_campaigns(connection)
    finally:
        note.cancel()


def _nobody_left(plan: Plan, by: Mapping[str, str], *, skipped: int, suppressed: int, going: bool = False) -> SendError:
    """Everyone the plan would mail was reached by another send of the same content, or suppressed,
    while its question waited (newcomer 17 #3: the answer "yes" logged a live campaign of nobody,
    "Accepted: 0", which `mailer report latest` then read instead of the colleague's send).
    ``going``: a send with --include-previous, whose skipped journalists another send of the same
    content is mailing right now (fix 10: never two copies at once), not one that mailed them."""
    total = skipped + suppressed
    who = "the journalist" if total == 1 else "both journalists" if total == 2 else f"all {total:,} journalists"
    reasons, sends = [], []
    if skipped:
        sends = sorted({by[key] for key in plan.email_keys() if key in by})
        named = ", ".join(sends) or "another send"
        done = (
            ("is" if skipped == 1 else "are") + " being mailed right now by"
            if going
            else ("was" if skipped == 1 else "were") + " mailed by"
        )
        reasons.append(f"{done} {named}, another send of this same release (a colleague's, or another terminal's)")
    if going and not suppressed:
        return SendError(
            f"Nothing sent: {who} of this send {reasons[0]}, and --include-previous mails again those who had the "
            "release, never two copies at once. Nothing was logged.",
            hint=f"Let that send finish, then send again if you want them to have a second copy: mailer status {sends[0]}"
            if len(sends) == 1
            else "Let those sends finish (mailer campaigns lists them), then send again if you want them to have a second copy.",
        )
    if skipped and suppressed:  # each part counted out of the whole (review 17y #9: "both journalists of this send 1 journalist was ...")
        mailed = f"{skipped:,} {done} {named}, another send of this same release (a colleague's, or another terminal's)"
        if going:
            mailed += " (--include-previous never sends two copies at once)"
        return SendError(
            f"Nothing sent: of the {total:,} journalists of this send, {mailed}, and {suppressed:,} "
            f"{'was' if suppressed == 1 else 'were'} suppressed (unsubscribed, bounced or added by hand), after this send was planned "
            "(while its question waited, or at the same moment). Nothing was logged.",
            hint=(
                f"Let that send finish, then send again if you want them to have a second copy: mailer status {sends[0]}"
                if going
                else f"See where it stands with: mailer status {sends[0]}"
            )
            if len(sends) == 1
            else "mailer campaigns lists the sends of this release.",
        )
    if suppressed:
        reasons.append(f"{'was' if suppressed == 1 else 'were'} suppressed (unsubscribed, bounced or added by hand)")
    return SendError(
        f"Nothing sent: {who} of this send {' and '.join(reasons)} after this send was planned (while its question waited, or at the same moment). Nothing was logged.",
        hint=f"See where it stands with: mailer status {sends[0]}"
        if len(sends) == 1
        else "mailer campaigns lists the sends of this release.",
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    """The campaign as written: its id, the plan as logged, and how many were skipped at the last moment."""

    campaign_id: str
    plan: Plan
    skipped_now: int  # recipients another send of the same content reached between planning and logging
    suppressed_now: int = 0  # recipients suppressed between planning and logging (while the question waited)
    held: lease.Lease | None = None  # taken with the plan (``lease_for_run``), for the run that follows
    parts: PlanParts | None = None  # the plan's rows kept in parts, which the run writes (``run``'s ``parts``)


def run(
    engine: Engine,
    campaign_id: str,
    *,
    rendered: Rendered,
    transport: Transport,
    versions: Sequence[Rendered] = (),
    pacing: Pacing = DEFAULT_PACING,
    resend_unknown: bool = False,
    retry_failed: bool = False,
    plan: Plan | None = None,
    send_at: int | None = None,
    sendgrid_batch_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    on_request: Callable[[int], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    held: lease.Lease | None = None,
    batch_size: int = MAX_PERSONALIZATIONS,
    again: str | None = None,
    parts: PlanParts | None = None,
    kept_out: Mapping[str, str] | None = None,
    kept_silent: Collection[str] = (),
) -> Outcome:
    """Send every planned row of a campaign; the same call starts a send and resumes one.

    ``parts``: the rows ``record`` kept in parts (``Recorded.parts``): each part is written before
    a request to one of its rows leaves, all of them by the end of the run. Any other run (a
    resume) writes first the parts a killed run left in the log.

    ``again``: the command that sends the campaign's release again (send/again.py), named when it
    turns out cancelled.

    ``batch_size``: at most this many journalists in a request of those a resume takes back (the
    ``[sendgrid] batch_size``; the plan's requests have theirs).

    ``held``: the lease ``record`` took with the plan (``lease_for_run``; ``Recorded.held``), kept instead of taken.

    ``plan`` is the plan ``record`` just wrote, when this run starts the campaign: its requests
    are cut from it as they go out, instead of read back from the log. Takes the campaign's
    lease first (send/lease.py): raises SendError when another process drives it. Only then do
    the rows of requests a crashed run left in flight become ``unknown``.
    ``resend_unknown`` and ``retry_failed`` put those rows back to ``planned``; accepted rows
    are never sent again. Raises AuthError at once on 401/403, and SendError when SendGrid
    stays unreachable; either way the unsent rows stay planned for `mailer resume`.
    ``versions`` are the release's other language versions: a row read back from the log gets
    the one its ``language`` field picks, as the plan chose it. ``kept_out`` (``kept_silent``): whom
    a resume's lists keep out now, skipped among the rows ``resend_unknown`` and ``retry_failed``
    put back to planned (its planned ones were, before it: ``skip_kept_out``), told to ``on_warning``.
    """
    with engine.begin() as connection:
        if held is None:
            held = lease.acquire(connection, campaign_id, now=utcnow(connection))
        elif not lease.renew(connection, held, now=utcnow(connection)):
            raise SendError(f"Another process has taken over {campaign_id}; this one sent nothing.", hint=f"mailer status {campaign_id}")
        found = campaigns.get(connection, campaign_id)
        if found is not None and found.status is CampaignStatus.CANCELLED:
            # `mailer cancel` in another terminal since this send wrote its plan, or since a resume
            # checked (review 7c): raising undoes the lease with the rest of this transaction.
            raise SendError(
                f"{campaign_id} was cancelled; nothing was sent.", hint=f"To send it after all, start a new send: {again or 'mailer send'}"
            )
        # The plan ``record`` just wrote goes out as it is only if no run has driven the campaign
        # since (each sets it `sending` under its lease): otherwise a `mailer resume` from another
        # terminal in between would have everyone mailed twice (review 7). Such a campaign has no
        # row from an older version's run either.
        untouched = plan is not None and found is not None and found.status is CampaignStatus.PLANNED
        if not (untouched and parts is not None and not (resend_unknown or retry_failed)):
            plan_parts.write_all(connection, campaign_id)  # a resume: the rows a killed run left in parts, first
            parts = None
        in_flight = campaigns.in_flight(connection, campaign_id)
        recovered = messages.recover_interrupted(connection, campaign_id, in_flight, now=utcnow(connection), older_runs=not untouched)
        lease.in_flight(connection, held, ())
        elsewhere: list[str] = []
        suppressed = 0
        kept_again: dict[str, int] = {}
        if not untouched and found is not None:  # a resume: who another send mails (fix 10), who unsubscribed or bounced
            did, suppressed, kept_again = _before_resending(
                connection,
                found,
                resend_unknown=resend_unknown,
                retry_failed=retry_failed,
                batch_size=batch_size,
                now=utcnow(engine),
                kept_out=kept_out,
                silent=kept_silent,
            )
            elsewhere = did.words()
        elif resend_unknown or retry_failed:  # a campaign whose plan was just written has no such rows: kept as asked
            for state in [MessageState.UNKNOWN] * resend_unknown + [MessageState.FAILED] * retry_failed:
                messages.requeue(connection, campaign_id, state, now=utcnow(connection))
        fresh = untouched and not (recovered or resend_unknown or retry_failed)
        rows: Sequence[Message] = () if fresh else messages.pending(connection, campaign_id)
        next_no = messages.max_request_no(connection, campaign_id) + 1
        if parts is not None and plan is not None:  # the plan's rows in parts hold numbers the message table shows later (review 20a)
            next_no = max(next_no, plan.last_request_no() + 1)
        created_at = found.created_at if found is not None else None
        scheduled_at = found.scheduled_at if found is not None else None
        if rows or fresh:
            campaigns.set_status(connection, campaign_id, CampaignStatus.SENDING)
    if on_warning is not None:
        for warning in elsewhere:
            on_warning(warning)
    said_again = kept_out_words(kept_again)
    if said_again is not None and on_warning is not None:
        on_warning(said_again)
    if suppressed and on_warning is not None:
        on_warning(
            f"{counted(suppressed, 'journalist')} skipped: suppressed (unsubscribed, bounced or added by hand) since the campaign was planned."
        )
    dispatcher = Dispatcher(
        engine,
        campaign_id,
        transport=transport,
        pacing=pacing,
        sleep=sleep,
        jitter=jitter,
        on_request=on_request or (lambda n: None),
        on_warning=on_warning or (lambda text: None),
        next_no=next_no,
        lease=held,
    )
    cut = _Requests(
        campaign_id, rendered, send_at=send_at, sendgrid_batch_id=sendgrid_batch_id, created_at=created_at, versions=tuple(versions)
    )
    requests = cut.from_plan(plan) if fresh and plan is not None else cut.from_rows(rows)
    dispatcher.parts = parts
    try:
        try:
            with _collector_skips_what_exists():
                dispatcher.dispatch(requests)
            # The rest of the plan into the message table; a run stopped (Ctrl-C, a refused key, SendGrid
            # unreachable) leaves it in parts for `mailer resume` (seconds of writing at 300,000 after a
            # Ctrl-C said nothing: review 19p), except for a cancel given elsewhere, which calls them off.
            if parts is not None and (not dispatcher.stopping or dispatcher.cancelled_elsewhere is not None):
                parts.finish()
        finally:  # however the run ends, before ``_finish`` below (tests/test_review20a.py, each ending)
            if parts is not None:
                parts.close()
    except SQLAlchemyError as exc:
        # The log failed (full disk, lost server): stop. Requests that left stay listed in flight
        # and their rows become `unknown` on resume; the rest stay planned. Try to record that much.
        with contextlib.suppress(SQLAlchemyError):
            _finish(engine, held, interrupted=False, recovered=recovered, cancel=dispatcher.cancelled_elsewhere)
        raise failures.during_send(exc, engine.url.render_as_string(hide_password=True), campaign_id) from exc
    except BaseException:  # what is left waits in parts, counted as planned (``_finish``)
        _finish(engine, held, interrupted=dispatcher.interrupted, recovered=recovered, cancel=dispatcher.cancelled_elsewhere)
        raise
    # Only requests handed to a worker whose answer was never logged stay listed in flight: one
    # listed by a round but never handed over (Ctrl-C between the commit and the hand-over) never
    # left, and listed it would be marked unknown by the next run.
    outcome = _finish(
        engine,
        held,
        interrupted=dispatcher.interrupted,
        recovered=recovered,
        in_flight=sorted(dispatcher.handed),
        cancel=dispatcher.cancelled_elsewhere,
    )
    if not fresh and not rows:
        outcome = replace(outcome, found_nobody=True)
    if dispatcher.stop_error is None and dispatcher.cancelled_elsewhere is not None:
        dispatcher.stop_error = _cancelled_elsewhere(campaign_id, dispatcher.cancelled_elsewhere, outcome, scheduled_at=scheduled_at)
    if dispatcher.stop_error is not None:
        cancelled = dispatcher.cancelled_elsewhere is not None and dispatcher.cancelled_elsewhere.cancelled
        # A cancelled send's emails read "cancelled", never accepted (as every command shows them).
        dispatcher.stop_error.counts = shown_counts(outcome.counts, CampaignStatus.CANCELLED) if cancelled else outcome.counts
        raise dispatcher.stop_error
    return outcome


def skip_sent_elsewhere(
    connection: Connection,
    found: campaigns.Campaign,
    *,
    now: datetime,
    states: Collection[MessageState] = (MessageState.PLANNED,),
    batch_size: int = MAX_PERSONALIZATIONS,
) -> Elsewhere:
    """Before a resume of a live campaign sends: take back its journalists it left to another send
    that has since stopped without them, unless a send of this release ever reached them
    (``messages.take_back_waiting``, in requests of at most ``batch_size``; review 10c #7), then
    skip its rows in ``states`` that another send of the same content reached since this one was
    made (``messages.skip_reached_since``), and those another is sending right now (its lease is
    held: ``messages.skip_driven_elsewhere``); promises 2 and 8.

    It takes ``campaigns.lock_new_campaigns`` first, in the transaction that takes this
    campaign's lease: of two resumes of two campaigns that planned the same journalists, started
    at once, the second to get here sees the first's lease and its planned rows (fix 10).
    """
    campaigns.lock_new_campaigns(connection)
    driven = [cid for cid in driving(connection, found.content_hash, now=now) if cid != found.id]
    for other in driven:  # their rows still in parts count as their rows do; only theirs count (review 19q #4)
        plan_parts.write_all(connection, other)
    taken_back = 0
    if left_waiting := messages.left_waiting(connection, found.id):
        # Reached at any time, not only since this campaign was made: a journalist the other send
        # mailed while this one's question waited is dated before it (review 11b).
        ever = messages.reached_since(connection, found.id, content_hash=found.content_hash, since=None)
        kept = messages.waiting(connection, driven, left_waiting).keys() | ever.keys()
        taken_back = messages.take_back_waiting(connection, found.id, kept, request_size=batch_size, now=now)
    reached = messages.reached_since(connection, found.id, content_hash=found.content_hash, since=found.created_at)
    since = messages.skip_reached_since(connection, found.id, reached, now=now, states=states)
    return Elsewhere(since, messages.skip_driven_elsewhere(connection, found.id, driven, now=now, states=states), taken_back)


def _before_resending(
    connection: Connection,
    found: campaigns.Campaign,
    *,
    resend_unknown: bool,
    retry_failed: bool,
    batch_size: int,
    now: datetime,
    kept_out: Mapping[str, str] | None = None,
    silent: Collection[str] = (),
) -> tuple[Elsewhere, int, dict[str, int]]:
    """What a resume does to a campaign's rows before it sends, after the rows of requests a
    stopped run left in flight became unknown: unknown and failed rows put back to planned when
    asked, journalists another send has or is mailing skipped, or taken back (a live campaign),
    then those suppressed since it was planned skipped (promise 3; taken-back ones too). Returns
    what ``skip_sent_elsewhere`` did and how many were suppressed. ``kept_out`` (and ``silent``): whom
    the campaign's lists keep out now (``prepare.lists_now``); the rows put back to planned are
    skipped by them as the planned ones were before (``skip_kept_out``), and so are those taken back,
    counted in the third value (review 24s #7 and #8: one who failed, was unknown or was taken back,
    and opted out in the list since, was mailed by --retry-failed, --resend-unknown or the take-back)."""
    if resend_unknown:
        messages.requeue(connection, found.id, MessageState.UNKNOWN, now=now)
    if retry_failed:
        messages.requeue(connection, found.id, MessageState.FAILED, now=now)
    elsewhere = skip_sent_elsewhere(connection, found, now=now, batch_size=batch_size) if found.mode is Mode.LIVE else Elsewhere({}, {})
    # After the rows put back and those taken back: the planned ones were skipped before (review 24s #8:
    # a journalist taken back from a send that stopped was mailed after opting out in this send's list).
    again = messages.skip_kept_out(connection, found.id, kept_out, now=now, silent=silent) if kept_out else {}
    suppressed = messages.skip_suppressed(connection, found.id, since=found.created_at, overrides=found.overrides, now=now)
    return elsewhere, suppressed, again


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """What a resume would do now (``rehearse_resume``): how many journalists it would mail, and
    what it would skip or take back first."""

    left: int
    elsewhere: Elsewhere
    suppressed: int
    # Journalists of requests a stopped run left in flight: the resume marks them unknown first
    # (``messages.recover_interrupted``), never sends them (newcomer 15 #13).
    recovered: int = 0
    # Skipped as the campaign's lists keep them out now (``skip_kept_out``): "opted out" / "without consent" -> how many.
    kept_out: dict[str, int] = field(default_factory=dict)
    # With retry_failed: (error text, how many) of the failed journalists it would mail again, most first; those
    # the lists opt out, suppressed since or reached elsewhere are not among them.
    retried: tuple[tuple[str, int], ...] = ()


def rehearse_resume(
    engine: Engine,
    found: campaigns.Campaign,
    *,
    resend_unknown: bool,
    retry_failed: bool,
    batch_size: int = MAX_PERSONALIZATIONS,
    kept_out: Mapping[str, str] | None = None,
    silent: Collection[str] = (),
) -> Rehearsal:
    """The resume's own steps before it sends (``_before_resending``), done in a transaction that is
    then rolled back: the question before a resume counts exactly whom it will mail (review 11b:
    counts made apart counted a journalist both reached elsewhere and suppressed twice, and one
    taken back but suppressed once too often). Nothing changes in the log."""
    with engine.begin() as connection:  # committed: the rows a killed run left in parts are the campaign's, whatever is answered
        plan_parts.write_all(connection, found.id)
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            now = utcnow(engine)
            recovered = messages.recover_interrupted(
                connection, found.id, campaigns.in_flight(connection, found.id), now=now, older_runs=True
            )
            kept = messages.skip_kept_out(
                connection, found.id, kept_out or {}, now=now, silent=silent
            )  # first, as the resume does (``skip_kept_out``)
            failed = messages.errors_by_row(connection, found.id, MessageState.FAILED) if retry_failed else {}
            elsewhere, suppressed, again = _before_resending(
                connection,
                found,
                resend_unknown=resend_unknown,
                retry_failed=retry_failed,
                batch_size=batch_size,
                now=now,
                kept_out=kept_out,
                silent=silent,
            )
            kept = {reason: kept.get(reason, 0) + again.get(reason, 0) for reason in {*kept, *again}}
            counts = messages.counts(connection, found.id)
            going = messages.planned_ids(connection, found.id) if failed else set()
        finally:
            transaction.rollback()
    retried = Counter(error for row_id, error in failed.items() if row_id in going)
    return Rehearsal(counts[MessageState.PLANNED.value], elsewhere, suppressed, recovered, kept, tuple(retried.most_common()))


def skip_kept_out(
    engine: Engine, found: campaigns.Campaign, kept_out: Mapping[str, str], *, now: datetime, silent: Collection[str] = ()
) -> dict[str, int]:
    """Before a resume: skip the planned journalists the campaign's lists keep out now (``kept_out``,
    ``prepare.lists_now``: opted out or withdrawn consent there while the send was stopped), the rows a
    killed run left in parts written first, those of requests it left in flight left to the run (they
    become unknown). Nothing while another process drives the campaign: its run is refused at the
    lease anyway. Returns reason -> how many (``messages.skip_kept_out``)."""
    if not kept_out:
        return {}
    with engine.begin() as connection:
        # The campaign row first (review 23c): a resume taking the lease, or a run listing requests in flight,
        # waits until these rows are skipped, and never sends one of them while the log says skipped.
        campaigns.lock(connection, [found.id])
        if lease.driving(connection, found.id, now=now) is not None:
            return {}
        plan_parts.write_all(connection, found.id)
        return messages.skip_kept_out(
            connection, found.id, kept_out, now=now, in_flight=campaigns.in_flight(connection, found.id), silent=silent
        )


def kept_out_words(kept: Mapping[str, int]) -> str | None:
    """ "3 journalists skipped: the lists now say they opted out (2) or gave no consent (1)." (None: nobody).
    A consent cell left empty is said as such, not as a no (review 23c: a consent column added empty
    after the send was "the lists now say they gave no consent" of everyone)."""
    total = sum(kept.values())
    if not total:
        return None
    why = {
        RejectReason.OPTED_OUT.value: "opted out",
        RejectReason.NO_CONSENT.value: "gave no consent",
        messages.EMPTY_CONSENT: "",
    }
    shown = {reason: f"{why[reason]} ({count:,})" if len(kept) > 1 else why[reason] for reason, count in kept.items()}
    said = [words for reason, words in shown.items() if reason != messages.EMPTY_CONSENT]
    told = f"say they {' or '.join(said)}" if said else ""
    if messages.EMPTY_CONSENT in kept:
        empty = "leave their consent cell empty" + (f" ({kept[messages.EMPTY_CONSENT]:,})" if len(kept) > 1 else "")
        told = f"{told} or {empty}" if told else empty
        told += " (an empty consent cell is no consent: to mail them, write their consent in the list and send the release to it again)"
    return f"{counted(total, 'journalist')} skipped: the lists now {told}."


def settle(engine: Engine, found: campaigns.Campaign, *, batch_size: int = MAX_PERSONALIZATIONS) -> CampaignStatus:
    """End a campaign a resume finds nothing left to send in: its last journalists had the release
    from another send since, or were suppressed meanwhile (skipped here as a run would skip them,
    under its lease), or their request was in flight when the send stopped (they become unknown,
    as a run makes them: newcomer 15 #13, a resume that skipped this step left them planned and
    said "run mailer resume again" for ever), so it gets the status its rows say, as at a run's
    end. Without it, a send stopped and then completed by a correction stayed "paused" for ever,
    and `mailer cancel` refused it (newcomer 10 #2). Returns its status now (paused if someone was
    planned again in between); raises SendError while another process drives it."""
    with engine.begin() as connection:
        held = lease.acquire(connection, found.id, now=utcnow(connection))
        plan_parts.write_all(connection, found.id)
        messages.recover_interrupted(
            connection, found.id, campaigns.in_flight(connection, found.id), now=utcnow(connection), older_runs=True
        )
        lease.in_flight(connection, held, ())
        _before_resending(connection, found, resend_unknown=False, retry_failed=False, batch_size=batch_size, now=utcnow(connection))
    _finish(engine, held, interrupted=False, recovered=0)
    with engine.connect() as connection:
        ended = campaigns.get(connection, found.id)
    return ended.status if ended is not None else found.status


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """What ``skip_sent_elsewhere`` did: journalists skipped per other campaign of the same release,
    as reached by it since (``reached_since``) or being sent by it (``driven``), and how many left
    to a send that stopped without them were taken back (``taken_back``)."""

    reached_since: dict[str, int]
    driven: dict[str, int]
    taken_back: int = 0

    @property
    def skipped(self) -> int:
        return sum(self.reached_since.values()) + sum(self.driven.values())

    def words(self) -> list[str]:
        """What a resume says of them: one line per other campaign."""
        said = [
            f"{counted(n, 'journalist')} skipped: {other}, another send of this same release, has reached {_them(n)} since."
            for other, n in self.reached_since.items()
        ]
        said += [
            f"{counted(n, 'journalist')} skipped: {other}, another send of this same release, is sending to {_them(n)} right now."
            for other, n in self.driven.items()
        ]
        if self.taken_back:
            said.append(
                f"{counted(self.taken_back, 'journalist')} this campaign had left to another send of this release, which stopped "
                f"without mailing {_them(self.taken_back)}, {'is' if self.taken_back == 1 else 'are'} sent to now."
            )
        return said


def _them(count: int) -> str:
    return "them" if count != 1 else "that journalist"


def driving(connection: Connection, content_hash: str, *, now: datetime) -> list[str]:
    """The live campaigns of this content (not cancelled) a process is sending, or about to:
    ``lease.may_still_send`` (their lease is held, or their plan was just written and its run has
    not taken the lease yet: fix 10 left that moment open to a resume)."""
    found = (campaigns.get(connection, cid) for cid, _ in campaigns.live_with(connection, content_hash=content_hash))
    return [other.id for other in found if other is not None and lease.may_still_send(connection, other, now=now)]


@contextlib.contextmanager
def _collector_skips_what_exists() -> Iterator[None]:
    """While requests go out, Python's cycle collector leaves alone the objects made before.

    A send makes a few container objects per journalist (a request body's dicts), so the
    collector runs every few hundred journalists, and each full run walked every object the
    process held (the libraries' modules, the plan): a third of the CPU of building a request
    body. ``gc.freeze`` moves what exists now out of its sight; ``gc.unfreeze`` gives it back.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def outcome(engine: Engine, campaign_id: str) -> Outcome:
    """Counts and errors of a campaign as the log has them now."""
    with engine.connect() as connection:
        return Outcome(campaign_id, *messages.tally(connection, campaign_id))


def _finish(
    engine: Engine,
    held: lease.Lease,
    *,
    interrupted: bool,
    recovered: int,
    in_flight: Sequence[int] | None = None,
    cancel: campaigns.CancelAsked | None = None,
) -> Outcome:
    """Set the campaign's status from its rows and give the lease up, in one transaction; given
    ``in_flight`` (the requests that left without their answer logged), list exactly those.

    ``cancel``: a `mailer cancel` the run saw while it sent (``Dispatcher.cancelled_elsewhere``). A
    late one calls off the rows it never handed over, as the cancel does for a send no process
    drives (campaign._call_off), but not those of a request listed in flight (their fate is unknown)."""
    campaign_id = held.campaign_id
    with engine.begin() as connection:
        called_off = 0
        if cancel is not None and cancel.late is not None and not cancel.cancelled:
            keeping = in_flight if in_flight is not None else campaigns.in_flight(connection, campaign_id)
            called_off = messages.call_off(connection, campaign_id, now=utcnow(connection), keeping=keeping)
        counts, errors = messages.tally(connection, campaign_id)
        counts[MessageState.PLANNED.value] += plan_parts.left(connection, campaign_id)  # a stopped run's rows left in parts
        counts[MessageState.SKIPPED.value] += sum(
            plan_parts.skipped(connection, campaign_id).values()
        )  # and its skipped rows (newcomer 19 #1)
        found = campaigns.get(connection, campaign_id)
        reached = sum(counts[state.value] for state in (MessageState.ACCEPTED, MessageState.UNKNOWN, MessageState.SENDING))
        # `mailer cancel` while it ran; or a late one, of a send that mailed nobody (as campaign._call_off)
        nobody = bool(called_off) and not reached and not counts[MessageState.PLANNED.value]
        if nobody or (found is not None and found.status is CampaignStatus.CANCELLED):
            status = CampaignStatus.CANCELLED
        elif counts[MessageState.PLANNED.value] or counts[MessageState.SENDING.value]:
            status = CampaignStatus.PAUSED
        elif not counts[MessageState.ACCEPTED.value] and counts[MessageState.FAILED.value] and not counts[MessageState.UNKNOWN.value]:
            status = CampaignStatus.FAILED
        else:
            status = CampaignStatus.DONE
        campaigns.set_status(connection, campaign_id, status)
        if in_flight is not None:
            lease.in_flight(connection, held, in_flight)
        lease.release(connection, held)
    return Outcome(campaign_id, counts, errors, interrupted=interrupted, recovered_unknown=recovered, called_off=called_off)


def _cancelled_elsewhere(campaign_id: str, cancel: campaigns.CancelAsked, outcome: Outcome, *, scheduled_at: datetime | None) -> SendError:
    """Why a run stopped handing its requests over: `mailer cancel` of its campaign, given in another
    terminal or on another computer while it sent (``Dispatcher.cancelled_elsewhere``; fix 15b)."""
    counts = outcome.counts
    held = counts.get(MessageState.ACCEPTED.value, 0) + counts.get(MessageState.UNKNOWN.value, 0)
    at = f" at {schedule.describe(scheduled_at)}" if scheduled_at is not None else ""
    where = "from elsewhere (mailer cancel, in another terminal or on another computer)"
    status = f"See where it stands with: mailer status {campaign_id}"
    if cancel.cancelled:
        unsent = counts.get(MessageState.PLANNED.value, 0)
        return SendError(
            f"{campaign_id} was cancelled {where} while this send was handing it to SendGrid, so it stopped: "
            + (f"SendGrid discards the emails of the {counted(held, 'journalist')} it holds{at}, and " if held else "")
            + f"{'the ' if held else ''}{counted(unsent, 'journalist')} not handed over will not be mailed.",
            hint=status,
        )
    asked = f" at {schedule.describe(cancel.late)}" if cancel.late is not None else ""
    return SendError(
        f"A cancel of {campaign_id} was asked {where}{asked}, less than 10 minutes before its time, so this send "
        f"stopped handing it to SendGrid: the {counted(outcome.called_off, 'journalist')} it had not handed over "
        f"{'is' if outcome.called_off == 1 else 'are'} called off and will not be mailed. SendGrid may still send the emails of the {counted(held, 'journalist')} "
        f"it holds{at}, as the cancel may come too late for them.",
        hint=f"{status}   (a new send of this release reaches those called off)",
    )


@dataclass(frozen=True, slots=True)
class _Requests:
    """Cuts a campaign's rows into Requests, one request number at a time."""

    campaign_id: str
    rendered: Rendered
    send_at: int | None
    sendgrid_batch_id: str | None
    created_at: datetime | None
    versions: tuple[Rendered, ...] = ()  # the other language versions

    def from_plan(self, plan: Plan) -> Iterator[Request]:
        """The plan's requests, each cut from the plan only when the dispatcher is ready for it."""
        versions = plan.all_versions
        for version, recipients in plan.requests():
            yield self._request(recipients.request_no or 0, recipients, versions[version])

    def from_rows(self, rows: Sequence[Message]) -> list[Request]:
        """Planned rows read back from the log, names and substitutions filled in from their fields."""
        grouped: dict[tuple[int, int], list[Message]] = {}
        every = (self.rendered, *self.versions)
        pick_version = VersionPicker(every)
        logged = {rendered.language: number for number, rendered in reversed(list(enumerate(every)))}
        for row in rows:
            # The version the plan chose, as the log has it; read from the Language cell only for a
            # row logged without one (fix9c: a cell the planning read otherwise must not change it).
            chosen = logged.get(row.language) if row.language is not None else None
            version = (chosen if chosen is not None else pick_version(row.fields.get("language"))) if self.versions else 0
            outgoing = replace(row, name=to_name(row.fields), substitutions=compose.substitutions(every[version], row.fields))
            grouped.setdefault((row.request_no or 0, version), []).append(outgoing)
        return [self._request(number, tuple(group), every[version]) for (number, version), group in sorted(grouped.items())]

    def _request(self, number: int, group: Sequence[Message], rendered: Rendered) -> Request:
        return Request(
            self.campaign_id,
            number,
            rendered,
            group,
            send_at=self.send_at,
            sendgrid_batch_id=self.sendgrid_batch_id,
            created_at=self.created_at,
        )
