"""Keeps ``concurrency`` requests in flight and turns each answer into its rows' new state.

A request leaves only once the campaign row lists it in flight (committed, under the lease), and
its rows go from ``planned`` to ``accepted``, ``failed`` or ``unknown`` after it, or stay
``planned``: one UPDATE per request, every write on the calling thread. A run that finds requests
listed in flight (its predecessor crashed) marks their rows ``unknown``. 429, 5xx and refused
connections are retried here, with waits through an injectable ``sleep`` so tests never wait; while
a refused request waits, it is off the list (nothing of it is at SendGrid) and goes back on,
committed, before it is tried again. A refused key or an unreachable SendGrid stops new requests,
and Ctrl-C stops cleanly after the requests in flight are answered and logged.

While the requests out are answered, a spare worker builds and encodes the next one and waits at
its gate; the gate opens once the campaign row lists the request in flight, so its turn costs no
encoding, and a run that stops first withdraws it unsent.
"""

from __future__ import annotations

import inspect
import itertools
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from mailer import mailbox, stopping
from mailer.config import SendGridConfig
from mailer.errors import (
    AuthError,
    ForeignAnswer,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SendError,
    TooLarge,
    TransportError,
    Unavailable,
)
from mailer.models import FORGOTTEN_ADDRESS, MessageState, Recipients
from mailer.send import lease as lease_module
from mailer.send.lease import Lease
from mailer.send.refusals import AlikeRefusals
from mailer.store import campaigns, clock, messages, suppressions
from mailer.transport.base import Request, RequestResult, Transport, Withheld

if TYPE_CHECKING:
    from mailer.send.parts import PlanParts

RATE_LIMIT_ATTEMPTS = 20
SLOW_NOTICE = 10.0  # seconds: a 429's wait at least this long is told (Dispatcher._note_wait)
SLOW_NOTICE_EVERY = 60.0  # seconds between two such lines at least
BACKOFF_BASE = 1.0
# The least time between two renewals of the lease. Each round of the loop used to renew it (an
# UPDATE of the campaign row, two a round: a tenth of the loop's own CPU). Another process can
# only take the lease over once it has expired (lease.TTL, two minutes of the wall clock without
# a renewal), and then more than this has passed since the last one by the same wall clock (a
# machine that slept included, which a monotonic clock would not count), so the round after such
# a stall still renews first, finds the lease gone and stops.
RENEW_EVERY = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Pacing:
    """How hard to push and how long to wait: from [sendgrid] in mailer.toml."""

    concurrency: int = 4
    retries: int = 4
    max_retry_wait: float = 60.0

    @classmethod
    def from_config(cls, sendgrid: SendGridConfig) -> Pacing:
        return cls(concurrency=sendgrid.concurrency, retries=sendgrid.retries, max_retry_wait=sendgrid.max_retry_wait)


def utcnow(log: clock.Log | None = None) -> datetime:
    """Now, in UTC, by the clock of the delivery log ``log`` (its Engine, or a Connection to it): on a
    team's PostgreSQL log, its server's time, the same on every colleague's computer however far
    theirs is off (``store.clock``); with no log, this computer's clock."""
    return clock.now(log)


@dataclass
class _Attempt:
    """What a worker brings back: the result, or the error that ended its tries (None for both:
    withheld, it never left)."""

    result: RequestResult | None = None
    error: BaseException | None = None
    # The request as it left, when a retry after a wait left without journalists suppressed,
    # forgotten or called off meanwhile (``_recheck``): SendGrid's ``personalizations.N`` counts in it.
    sent: Request | None = None


class _Gate:
    """A prepared request's leave to go: given once the campaign row lists it in flight, or refused."""

    def __init__(self) -> None:
        self._decided = threading.Event()
        self._go = False
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if not self._decided.is_set():
                self._go = True
                self._decided.set()

    def shut(self) -> bool:
        """Refuse, unless already opened (then the request has left or is leaving); True if refused."""
        with self._lock:
            self._decided.set()
            return not self._go

    def opened(self) -> bool:
        """Whether the gate has opened (the request is listed in flight, and may have left)."""
        with self._lock:
            return self._go

    def wait(self) -> bool:
        """Block until decided: True to go."""
        self._decided.wait()
        return self._go


@dataclass
class _Prepared:
    """The next request, handed to a worker that builds and encodes it and waits at ``gate``."""

    request: Request
    gate: _Gate
    future: Future[_Attempt] | None = None  # None until handed to the worker


@dataclass
class Dispatcher:
    """One campaign's run: the queue of requests, the worker pool, and why it stopped."""

    engine: Engine
    campaign_id: str
    transport: Transport
    pacing: Pacing
    sleep: Callable[[float], None]
    jitter: Callable[[], float]
    on_request: Callable[[int], None]
    on_warning: Callable[[str], None]
    next_no: int
    lease: Lease
    interrupted: bool = False
    stop_error: TransportError | SendError | None = None
    queue: deque[Request] = field(default_factory=deque)  # requests to send before the next fresh one (halves of a split)
    fresh: Iterator[Request] = field(default_factory=lambda: iter(()))  # the rest, cut as they are needed
    more: bool = True  # ``fresh`` may have more
    renewed_at: datetime | None = None  # utcnow() at the last renewal
    # The numbers of the requests handed to a worker (or about to be) whose answer is not logged
    # yet: what the campaign row lists in flight, give or take a round's changes.
    handed: set[int] = field(default_factory=set)
    # The next request, being prepared by a spare worker while the ones out are answered. It is
    # still the head of ``queue`` and not listed in flight: its gate opens only once it is.
    prepared: _Prepared | None = None
    # When the campaign was planned and whom it lets through by name (``_still_planned``), read once.
    suppression_rule: tuple[datetime, tuple[str, ...]] | None = None
    # `mailer cancel` of this campaign, given elsewhere while this run sends it (another terminal, another
    # computer sharing the log): seen at a round, it stops the run handing requests over (fix 15b).
    cancelled_elsewhere: campaigns.CancelAsked | None = None
    # Request number -> how many refusals (a 400 naming some of its journalists) it is the rest of:
    # the rest goes again AGAIN_AFTER_REFUSAL times at most, not once per journalist of a batch.
    refusals: dict[int, int] = field(default_factory=dict)
    # 400s about the email as a whole: two alike, none accepted since, stop the send (send/refusals.py).
    alike: AlikeRefusals = field(default_factory=AlikeRefusals)
    # The requests SendGrid refused (429, 5xx, no connection) that wait to be tried again: off the
    # list in flight meanwhile (``_set_aside``), so a crash during the wait leaves their rows planned,
    # not unknown (newcomer 15 #12). Every write of that list holds ``listing``, and reads it
    # under it: a worker's and the main thread's changes never undo each other.
    waiting: set[int] = field(default_factory=set)
    listing: threading.Lock = field(default_factory=threading.Lock)
    # The plan's rows not yet in the message table (send/parts.py): a request's are written before
    # it is listed in flight, the others one part a round while the requests out are answered.
    parts: PlanParts | None = None
    # Why the send stands still, said by a worker about to wait after a 429 (``_note_wait``) and told
    # by the main thread at its next round; once a minute at most (``slow_said_at``, monotonic).
    slowed: deque[str] = field(default_factory=deque)
    slow_said_at: float | None = None
    slow_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def stopping(self) -> bool:
        return self.interrupted or self.stop_error is not None or self.cancelled_elsewhere is not None

    def dispatch(self, requests: Iterable[Request]) -> None:
        """Keep ``concurrency`` requests in flight; a request is listed in flight only when it is next.

        ``requests`` is read lazily, one request as a worker is free for it. Each round lists the
        next requests in flight and commits, then sends them, then records the answers that came
        in (a second transaction). A transport whose ``send`` takes ``ready`` gets the next request
        while the ones out are answered (see ``Transport``); one written without it, one at a time.
        """
        self.fresh = iter(requests)
        asks_ready = _asks_ready(self.transport)
        in_flight: dict[Future[_Attempt], Request] = {}
        answered: list[tuple[Request, _Attempt]] = []
        # One worker more than the concurrency: the spare prepares the next request.
        with self._ctrl_c_noted(), ThreadPoolExecutor(max_workers=self.pacing.concurrency + 1, thread_name_prefix="mailer-send") as pool:
            try:
                while True:
                    try:
                        self._notice_stop(answered)
                        for request in self._list(self.pacing.concurrency - len(in_flight)):
                            self.handed.add(request.number)  # first: a Ctrl-C after the hand-over must find it here
                            in_flight[self._release(pool, request)] = request
                        notes = self._log(answered)
                        answered = []
                        for note in notes:
                            note()
                        while self.slowed:
                            self.on_warning(self.slowed.popleft())
                        if self.stopping:
                            self._withdraw()
                        if not in_flight and (self.stopping or not self._pending()):
                            return
                        if in_flight:
                            if asks_ready:
                                self._prepare(pool)  # the next request, while the ones out are answered
                            else:
                                self._pending()  # at least cut it
                            if self.parts is not None and self.parts.left:
                                self.parts.write_one()
                            done, _ = wait(in_flight, return_when=FIRST_COMPLETED, timeout=lease_module.HEARTBEAT)
                            answered = [(in_flight.pop(future), future.result()) for future in done]
                    except KeyboardInterrupt:  # raised by a caller's callback, or off the main thread
                        # Stop cleanly: no new request; the ones in flight are answered and logged.
                        self.interrupted = True
            finally:
                self._withdraw()  # before the pool waits for its workers: the prepared one waits at its gate

    @contextmanager
    def _ctrl_c_noted(self) -> Iterator[None]:
        """While requests go out, Ctrl-C (SIGINT), or SIGTERM, only notes that the user wants to stop; the
        loop stops at its next round: no new request, the ones in flight answered and logged.

        A KeyboardInterrupt can land between any two steps: between a request's listing and its
        hand-over to a worker, inside ``pool.submit`` (the request leaves, its answer is never
        collected), beside a worker waiting at its gate. Python runs signal handlers on the main
        thread only, so elsewhere, or when the program has a SIGINT handler of its own, this
        changes nothing.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def note(_signum: int, _frame: object) -> None:
            self.interrupted = True

        # Each signal heard only while Python's own default stands for it: a program with a handler of its
        # own keeps it. `kill PID` (SIGTERM, as a system shutting down or a script sends it) is heard as Ctrl-C
        # is: it had acted as kill -9, leaving the request out unknown (review 24s, left). It is heard in a
        # background job too, whose shell makes it ignore Ctrl-C.
        # The command line's own SIGTERM handler (stopping.hear_sigterm: Ctrl-C's words outside the requests) counts as the default.
        interruptible = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        terminating = signal.getsignal(signal.SIGTERM)
        polite = stopping.heard_as_ctrl_c(terminating)
        if interruptible:
            signal.signal(signal.SIGINT, note)
        if polite:
            signal.signal(signal.SIGTERM, note)
        try:
            yield
        finally:
            if interruptible:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            if polite:
                signal.signal(signal.SIGTERM, terminating)

    def _list(self, free: int) -> list[Request]:
        """One transaction: take up to ``free`` next requests and list them in flight on the
        campaign row under the lease, beside those still listed; commit. Returns the requests that
        may now leave: none when the lease is lost.

        The answers that came in are logged only after (``_log``): the next request leaves without
        waiting for their 1,000-row UPDATE and its commit, and a request whose answer is not logged
        yet stays listed. Rolled back (an error, Ctrl-C), the requests taken go back to the queue.
        """
        taken: list[Request] = []
        if free <= 0 or self.stopping or not self._pending():
            return taken
        if self.parts is not None:  # their rows in the log first (promise 1)
            self.parts.ensure(self._cut(free))
        try:
            with self.listing, self.engine.begin() as connection:
                campaigns.lock(connection, [self.campaign_id])  # before the checks: a forget either waits or is seen
                if self._cancel_seen(connection):
                    return taken  # none: the requests out are answered and logged, no new one leaves
                self._take(free, taken)
                taken[:] = self._still_planned(connection, taken)
                held = self._hold(connection, self.handed | {request.number for request in taken}, changed=True)
        except BaseException:
            self.queue.extendleft(reversed(taken))  # rolled back: they never left
            raise
        if not held:
            self.queue.extendleft(reversed(taken))  # another process drives the campaign now: they stay planned
            return []
        return taken

    def _still_planned(self, connection: Connection, taken: list[Request], *, count: bool = True) -> list[Request]:
        """``taken`` less the journalists no run may mail any more: suppressed since the plan (an
        unsubscribe, `mailer suppressions add`), forgotten (`mailer forget`) or called off while
        this run went on (review 12a #15; promise 3). Their rows are skipped in the log, and a
        request left with nobody does not leave. Checked in the transaction that lists the
        requests in flight: a change committed after it meets a request already on its way."""
        if not taken:
            return taken
        if self.suppression_rule is None:
            found = campaigns.get(connection, self.campaign_id)
            self.suppression_rule = (found.created_at, tuple(found.overrides)) if found is not None else (utcnow(connection), ())
        since, overrides = self.suppression_rule
        numbers = {request.number for request in taken}
        # Their Gmail addresses, keyed: a suppression under another spelling of the inbox keeps them out too.
        gmail = [
            mailbox.key(e)
            for request in taken
            for e in _maybe_gmail(Recipients.of(request.messages).emails)
            if e.lower().endswith(mailbox.GMAIL)
        ]
        messages.skip_suppressed(
            connection, self.campaign_id, since=since, overrides=overrides, now=utcnow(connection), requests=numbers, gmail=gmail
        )
        if messages.planned_in(connection, self.campaign_id, numbers) == sum(len(request.messages) for request in taken):
            return taken
        planned = messages.planned_keys(connection, self.campaign_id, numbers)
        kept = []
        for request in taken:
            left = [m for m in request.messages if m.message_key in planned]
            if len(left) == len(request.messages):
                kept.append(request)
                continue
            if count and self.prepared is not None and self.prepared.request is request:
                self._withdraw()  # its body, built already, names them: it must not leave
            if left:
                kept.append(_with(request, Recipients.of(left), request.number))
            if count:  # on the main thread: done with them, the progress bar counts them
                self.on_request(len(request.messages) - len(left))
        return kept

    def _recheck(self, request: Request, *, relist: bool = True) -> Request | None:
        """``request`` as it may leave again after a wait (``_still_planned``, from a worker), with
        ``relist`` listed in flight again (committed, under the lease) in the same transaction; None
        when nobody is left in it, the campaign was cancelled meanwhile, or another process has
        taken it over (then it stays off the list, its rows planned: it does not leave)."""
        with self.listing, self.engine.begin() as connection:
            campaigns.lock(connection, [self.campaign_id])
            if self._cancel_seen(connection):
                return None
            left = self._still_planned(connection, [request], count=False)
            if not left or not relist:
                return left[0] if left else None
            listed = {*campaigns.in_flight(connection, self.campaign_id), request.number}
            if not lease_module.in_flight(connection, self.lease, sorted(listed)):
                return None
            self.waiting.discard(request.number)  # the lock is held until after the commit
        return left[0]

    def _set_aside(self, request: Request) -> bool:
        """Take ``request``, which SendGrid refused (nothing of it was accepted), off the list in
        flight while it waits to be tried again (from a worker): a crash during the wait leaves its
        rows planned, for a resume to send, instead of unknown (newcomer 15 #12). ``_recheck`` puts
        it back on before it leaves again (promise 2). False when another process has taken the
        campaign over: the request must not leave again."""
        with self.listing, self.engine.begin() as connection:
            campaigns.lock(connection, [self.campaign_id])
            listed = [number for number in campaigns.in_flight(connection, self.campaign_id) if number != request.number]
            if not lease_module.in_flight(connection, self.lease, listed):
                return False
            self.waiting.add(request.number)  # the lock is held until after the commit
        return True

    def _cancel_seen(self, connection: Connection) -> bool:
        """Whether `mailer cancel` of this campaign is on record (read under the campaign row's lock, so
        a cancel committed later meets requests already listed in flight): then this run hands SendGrid
        no more of it (``cancelled_elsewhere``). A scheduled send cancelled in time is discarded whole by
        SendGrid; one cancelled late would hand SendGrid more under the batch it was asked to cancel,
        which ``mailer resume`` is refused for the same reason (review 14 #5)."""
        if self.cancelled_elsewhere is None:
            self.cancelled_elsewhere = campaigns.cancel_asked(connection, self.campaign_id)
        return self.cancelled_elsewhere is not None

    def _log(self, answered: Sequence[tuple[Request, _Attempt]]) -> list[Callable[[], None]]:
        """One transaction: record ``answered`` and take them off the list in flight; commit.

        Returns what to tell the user. Answers are recorded even when the lease is lost (the request
        in flight was this run's). Rolled back (an error, Ctrl-C), ``answered`` is recorded again
        next round; a split's halves join the queue only once committed.
        """
        next_no = self.next_no
        notes: list[Callable[[], None]] = []
        halves: list[Request] = []
        answered_numbers = {request.number for request, _ in answered}
        try:
            with self.listing, self.engine.begin() as connection:
                # The campaign row first, then the answered requests' rows: the order a taking-over
                # run locks them in (lease, then recovery), so on PostgreSQL the two never deadlock.
                self.waiting -= answered_numbers
                self._hold(connection, self.handed - answered_numbers, changed=bool(answered))
                for request, attempt in answered:
                    notes.extend(self._record(connection, request, attempt, halves))
        except BaseException:
            self.next_no = next_no
            self.refusals = {number: count for number, count in self.refusals.items() if number < next_no}  # numbers given again
            raise
        self.handed -= answered_numbers
        self.queue.extendleft(reversed(halves))
        return notes

    def _release(self, pool: ThreadPoolExecutor, request: Request) -> Future[_Attempt]:
        """Let ``request``, now listed in flight, leave: the prepared one through its gate, another
        through a worker of its own."""
        prepared = self.prepared
        if prepared is not None and prepared.request is request:
            if prepared.future is None:  # an exception inside submit: a worker may hold the gate
                prepared.gate.shut()
                self.prepared = None
            else:
                prepared.gate.open()  # first: an exception before the next line must not leave its worker waiting
                self.prepared = None
                return prepared.future
        return pool.submit(self._deliver, request, None)

    def _prepare(self, pool: ThreadPoolExecutor) -> None:
        """Hand the next request to the spare worker: it builds and encodes it, then waits at its gate."""
        if self.prepared is None and not self.stopping and self._pending():
            prepared = self.prepared = _Prepared(self.queue[0], _Gate())  # first: ``_withdraw`` must find its gate
            prepared.future = pool.submit(self._deliver, prepared.request, prepared.gate)

    def _withdraw(self) -> None:
        """Shut the prepared request's gate and wait for its worker. Refused, the request never left
        (nor did it on an error before the gate): it stays in the queue, its rows planned, and off
        the list in flight at the run's end even if a Ctrl-C came between its listing and its gate."""
        prepared = self.prepared
        if prepared is not None:
            if prepared.gate.shut():
                self.handed.discard(prepared.request.number)
            if prepared.future is not None:
                prepared.future.result()
            self.prepared = None

    def _notice_stop(self, answered: Sequence[tuple[Request, _Attempt]]) -> None:
        """A refused key or an unreachable SendGrid stops new requests before any is started."""
        for _, attempt in answered:
            error = attempt.error
            if (
                error is not None
                and (isinstance(error, ForeignAnswer) or not isinstance(error, Rejected | TooLarge | OutcomeUnknown))
                and self.stop_error is None
            ):
                self.stop_error = _stop_error(attempt.error, self.campaign_id, retries=self.pacing.retries)

    def _take(self, free: int, taken: list[Request]) -> None:
        """Move up to ``free`` requests from the queue (cutting fresh ones as needed) to ``taken``."""
        while not self.stopping and len(taken) < free and self._pending():
            taken.append(self.queue.popleft())

    def _cut(self, count: int) -> list[Request]:
        """The next ``count`` requests (fewer at the end), cut into ``queue`` as needed."""
        while len(self.queue) < count and self.more:
            request = next(self.fresh, None)
            if request is None:
                self.more = False
            else:
                self.queue.append(request)
        return list(itertools.islice(self.queue, count))

    def _pending(self) -> bool:
        """Whether a request is waiting; the next fresh one is cut only now, into ``queue``."""
        if not self.queue and self.more:
            request = next(self.fresh, None)
            if request is None:
                self.more = False
            else:
                self.queue.append(request)
        return bool(self.queue)

    def _hold(self, connection: Connection, flying: set[int], *, changed: bool) -> bool:
        """Keep this run's lease (renewed at most every RENEW_EVERY) and list ``flying`` in flight when
        ``changed``, in one UPDATE of the campaign row; False (and stop sending) when another
        process has taken the campaign over."""
        clock.follow(connection)  # this computer's clock set meanwhile: the lease still goes by the server's
        moment = utcnow(connection)
        listed = sorted(flying - self.waiting) if changed else None  # under ``listing``
        if self.renewed_at is None or not timedelta(0) <= moment - self.renewed_at < RENEW_EVERY:
            held = lease_module.renew(connection, self.lease, now=moment, in_flight=listed)
            if held:
                self.renewed_at = moment
        elif listed is not None:
            held = lease_module.in_flight(connection, self.lease, listed)
        else:
            return True
        if not held and self.stop_error is None:
            self.stop_error = _lost(self.campaign_id, stalled=lease_module.lapsed(connection, self.lease))
        return held

    def _deliver(self, request: Request, gate: _Gate | None) -> _Attempt:
        """One request, retried while SendGrid says nothing was accepted (429, 5xx, refused).

        With ``gate``, the request leaves only once the gate opens. An empty _Attempt (its rows stay
        planned) if the gate is shut, or if the run stops while a retry waits: nothing was accepted.
        """
        failures = rate_limited = 0
        first = request
        while True:
            try:
                result = self.transport.send(request) if gate is None else self.transport.send(request, gate.wait)
                return _Attempt(result=result, sent=_changed(request, first))
            except Withheld:
                return _Attempt()
            except RateLimited as exc:
                rate_limited += 1
                if rate_limited > RATE_LIMIT_ATTEMPTS:
                    return _Attempt(error=Unavailable("SendGrid kept answering 429 (too many requests)."), sent=_changed(request, first))
                wait_for = min(exc.retry_after, self.pacing.max_retry_wait) * (1 + 0.25 * self.jitter())
                self._note_wait(request, wait_for)
            except Unavailable as exc:
                failures += 1
                if failures > self.pacing.retries:
                    return _Attempt(error=exc, sent=_changed(request, first))
                wait_for = min(BACKOFF_BASE * 2 ** (failures - 1), self.pacing.max_retry_wait) * (0.5 + 0.5 * self.jitter())
            except TransportError as exc:
                return _Attempt(error=exc, sent=_changed(request, first))
            except Exception as exc:  # noqa: BLE001 - whatever went wrong, the request may have left
                unexpected = OutcomeUnknown(f"Unexpected error while sending: {exc.__class__.__name__}: {exc}")
                return _Attempt(error=unexpected, sent=_changed(request, first))
            # Refused: nothing of it is at SendGrid, so it is off the list in flight while it waits.
            # (A prepared request refused before its gate opened was never listed: the gate still
            # governs it, and the main thread lists it before opening it.)
            listed = gate is None or gate.opened()
            if listed and not self._set_aside(request):
                return _Attempt()  # another process drives the campaign now: its rows stay planned
            if not self._wait_to_retry(wait_for):
                return _Attempt()  # its rows stay planned (a Ctrl-C, or the run stopping meanwhile)
            # Tried again after a wait: whoever was suppressed, forgotten or called off meanwhile is
            # left out of it too (review 12b #1); nobody left, it does not leave. Listed in flight again first.
            again = self._recheck(request, relist=listed)
            if again is None:
                return _Attempt()
            request = again

    def _note_wait(self, request: Request, seconds: float) -> None:
        """Say why the send stands still while ``request`` waits out a 429 of ``seconds`` (from a
        worker; told by the main thread): a 429 storm is up to RATE_LIMIT_ATTEMPTS waits of up to
        max_retry_wait each, twenty minutes of a progress bar stopped without a word (review 26s #3).
        Waits under SLOW_NOTICE are not worth a line; one line a minute at most."""
        if seconds < SLOW_NOTICE or self.stopping:  # a run stopping does not wait: nothing to say
            return
        moment = time.monotonic()
        with self.slow_lock:
            if self.slow_said_at is not None and moment - self.slow_said_at < SLOW_NOTICE_EVERY:
                return
            self.slow_said_at = moment
            self.slowed.append(
                f"SendGrid asked to slow down (429 Too Many Requests): request {request.number} ({_recipients(len(request.messages))}) "
                f"waits {round(seconds)} seconds before it is tried again (nothing of it was sent; mailer tries up to "
                f"{RATE_LIMIT_ATTEMPTS} times, at most {round(self.pacing.max_retry_wait)} seconds each: [sendgrid] max_retry_wait)."
            )

    def _wait_to_retry(self, seconds: float) -> bool:
        """Wait ``seconds`` before trying a request again; False (do not) once the run is stopping."""
        if self.stopping:
            return False
        self.sleep(seconds)
        return not self.stopping

    def _record(self, connection: Connection, request: Request, attempt: _Attempt, halves: list[Request]) -> list[Callable[[], None]]:
        """Turn a request's outcome into its rows' new state (one UPDATE); returns what to tell the user.

        A request SendGrid found too large is split: its two halves are added to ``halves``.
        """
        error = attempt.error
        if attempt.result is None and error is None:  # withdrawn: nothing was accepted, its rows stay planned
            return []
        size = len(request.messages)
        if attempt.result is not None:
            accepted = {"sg_message_id": attempt.result.message_id or ""}
            self.alike.accepted()
            if self._mark(connection, request.number, MessageState.PLANNED, MessageState.ACCEPTED, **accepted) < size:
                # Its rows became unknown meanwhile: another process took the campaign over while this
                # one slept with the request out (newcomer 13). SendGrid's 202 settles them.
                self._mark(connection, request.number, MessageState.UNKNOWN, MessageState.ACCEPTED, **accepted)
            return [lambda: self.on_request(size)]
        if isinstance(error, Rejected):
            sent = attempt.sent or request  # SendGrid's personalizations.N counts in the request as it left
            named = _named_recipients(error, sent)
            if (
                named and len(named) < len(sent.messages) and self.refusals.get(request.number, 0) < AGAIN_AFTER_REFUSAL
            ):  # a 400 sends nobody
                return self._send_the_others(connection, sent, error, named, halves, left_out=size - len(sent.messages))
            if self.alike.held_back(error, request.number):
                return []  # refused as the send stopped for the same reason: its rows stay planned
            text = _without_forgotten(connection, request, _rejection_text(error, sent))
            self._mark(connection, request.number, MessageState.PLANNED, MessageState.FAILED, error=text)
            if self.stop_error is None and self.alike.stops(error, request.number, size):
                self.stop_error = self.alike.stop_error(self.campaign_id)
            return [
                lambda: self.on_warning(f"Request {request.number} ({_recipients(size)}) refused by SendGrid: {text}"),
                lambda: self.on_request(size),
            ]
        if isinstance(error, TooLarge) and size > 1:
            halves.extend(self._split(connection, request))
            return []
        if isinstance(error, TooLarge):
            self._mark(
                connection, request.number, MessageState.PLANNED, MessageState.FAILED, error="SendGrid said this email is too large (413)."
            )
            return [lambda: self.on_request(size)]
        if isinstance(error, OutcomeUnknown):
            message = _without_forgotten(connection, request, error.message)
            self._mark(connection, request.number, MessageState.PLANNED, MessageState.UNKNOWN, error=message)
            return [
                lambda: self.on_warning(
                    f"Request {request.number} ({size} recipients): {message} Marked unknown; it will not be resent automatically."
                ),
                lambda: self.on_request(size),
            ]
        # AuthError, or SendGrid unreachable after every retry: nothing was accepted; the rows stay planned.
        if self.stop_error is None:
            self.stop_error = _stop_error(error, self.campaign_id, retries=self.pacing.retries)
        return []

    def _send_the_others(
        self, connection: Connection, request: Request, error: Rejected, named: set[int], again: list[Request], *, left_out: int = 0
    ) -> list[Callable[[], None]]:
        """SendGrid refused ``request`` (400, as it left) for the recipients at the ``named``
        personalization indexes alone: they fail with its words; the others, whom a refused request
        mailed no more than them, go again as a request of their own, added to ``again`` (one address
        SendGrid refused held back 999 journalists until someone ran ``mailer resume --retry-failed``).
        ``left_out``: journalists a retry left out of it (``_recheck``), counted done here."""
        others = request.recipients.without(named)
        number = self.next_no
        self.next_no += 1
        messages.renumber(connection, self.campaign_id, others.message_keys, number, now=utcnow(connection))
        text = _without_forgotten(connection, request, _rejection_text(error, request))
        for index in sorted(named):  # each with SendGrid's words about her, not about the others it named
            own = _without_forgotten(connection, request, _rejection_text(error, request, index=index))
            messages.mark_one(
                connection,
                self.campaign_id,
                request.messages[index].message_key,
                old=MessageState.PLANNED,
                new=MessageState.FAILED,
                now=utcnow(connection),
                error=own,
            )
        again.append(_with(request, others, number))
        self.refusals[number] = self.refusals.get(request.number, 0) + 1
        failed = len(named)
        return [
            lambda: self.on_warning(
                f"Request {request.number} ({len(request.messages)} recipients) refused by SendGrid because of "
                f"{_recipients(failed)}: {text.rstrip('.')}. {_the_others(len(others))} again as request {number}."
            ),
            lambda: self.on_request(failed + left_out),
        ]

    def _split(self, connection: Connection, request: Request) -> tuple[Request, Request]:
        """413: send the request again as two halves, each under its own number (first half first)."""
        half = len(request.messages) // 2
        first, second = request.recipients[:half], request.recipients[half:]
        second_no = self.next_no
        self.next_no += 1
        messages.renumber(connection, self.campaign_id, second.message_keys, second_no, now=utcnow(connection))
        return _with(request, first, request.number), _with(request, second, second_no)

    def _mark(self, connection: Connection, request_no: int, old: MessageState, new: MessageState, **values: Any) -> int:
        """Move the rows of request ``request_no`` from ``old`` to ``new``; returns how many moved."""
        return messages.mark_request(connection, self.campaign_id, request_no, old=old, new=new, now=utcnow(connection), **values)


def _asks_ready(transport: Transport) -> bool:
    """Whether ``transport.send`` takes ``ready`` (a transport written before it did cannot hold
    a prepared request at a gate, so it gets none)."""
    try:
        return "ready" in inspect.signature(transport.send).parameters
    except (TypeError, ValueError):
        return False


def _maybe_gmail(emails: Sequence[str]) -> Sequence[str]:
    """``emails``, or none when not one of them can end in a Gmail domain (``mailbox.GMAIL``): a
    request without a Gmail address is looked at once, lower-cased whole, not an address at a time
    (before each request, per journalist: 0.17 µs became 0.02; perf28). The whole lower-cased is
    each address lower-cased, joined: whatever ``e.lower()`` ends with is in it."""
    whole = "\n".join(emails).lower()
    return emails if any(domain in whole for domain in mailbox.GMAIL) else ()


def _with(request: Request, part: Recipients, number: int) -> Request:
    return replace(request, number=number, messages=replace(part, request_no=number))


def _changed(request: Request, first: Request) -> Request | None:
    """``request`` (as it left) when it is not ``first`` (as it was listed), else None."""
    return None if request is first else request


# How many times the rest of a refused request goes again (each time SendGrid names other journalists
# of it): an error SendGrid says of the first personalization only, though it holds for all, would
# otherwise cost a request per journalist.
AGAIN_AFTER_REFUSAL = 3


def _named_recipients(error: Rejected, request: Request) -> set[int]:
    """The personalization indexes SendGrid's errors point at (``personalizations.N...``); empty when
    any error is about the request as a whole (no field, or another one), as all then fail alike."""
    named: set[int] = set()
    for item in error.errors or [{"field": None}]:
        pieces = str(item.get("field") or "").split(".")
        if len(pieces) < 2 or pieces[0] != "personalizations" or not pieces[1].isdecimal() or int(pieces[1]) >= len(request.messages):
            return set()
        named.add(int(pieces[1]))
    return named


def _recipients(count: int) -> str:
    """ "1 recipient", "2 recipients"."""
    return f"{count} recipient{'s' if count != 1 else ''}"


def _the_others(count: int) -> str:
    """ "The other recipient goes", "The other 999 recipients go" (not "The other 1 recipient go")."""
    return "The other recipient goes" if count == 1 else f"The other {count} recipients go"


def _rejection_text(error: Rejected, request: Request, *, index: int | None = None) -> str:
    """SendGrid's errors, with `personalizations.N` also naming the address it points at; with
    ``index``, only those about that personalization."""
    parts = []
    for item in error.errors or [{"message": error.message, "field": None}]:
        field_name = item.get("field") or ""
        text = f"{field_name}: {item.get('message')}" if field_name else str(item.get("message"))
        pieces = field_name.split(".")
        at = int(pieces[1]) if len(pieces) > 1 and pieces[0] == "personalizations" and pieces[1].isdecimal() else None
        if index is not None and at != index:
            continue
        if at is not None and at < len(request.messages):
            text += f" ({request.messages[at].email})"
        parts.append(text)
    return "; ".join(parts)


def _without_forgotten(connection: Connection, request: Request, text: str) -> str:
    """``text`` (SendGrid's answer to ``request``, logged on each of its rows) without the addresses
    of its journalists erased with `mailer forget` while it was out: "(forgotten)" in their place,
    as forget leaves the log (review 13 #12: a refusal answered after forget wrote her address back
    on every row of the request, where nothing erases it any more)."""
    if not text:
        return text
    for key in suppressions.forgotten_among(connection, {mailbox.key(m.email) for m in request.messages}):
        text = mailbox.scrub(text, key, FORGOTTEN_ADDRESS)
    return text


def _stop_error(error: BaseException | None, campaign_id: str, *, retries: int) -> TransportError | SendError:
    """Why a send stopped: the key refused, or SendGrid not taking a request after ``retries`` more tries."""
    resume = f"Nothing more was sent. When it is fixed, run: mailer resume {campaign_id}"
    if isinstance(error, AuthError):
        return AuthError(error.message, status=error.status, hint=resume)
    if isinstance(error, ForeignAnswer):
        return SendError(
            error.message,
            hint="Nothing more was sent. Check [sendgrid] api_url and the office's proxy, then run: mailer resume "
            f"{campaign_id} (the journalists of the request it answered are unknown: see mailer status {campaign_id})",
        )
    text = error.message if isinstance(error, TransportError) else str(error)
    return SendError(
        f"SendGrid did not take the requests{', after several tries' if retries else ''}: {text}",  # "could not be reached: it answered 503" (nc11b)
        hint=f"Unsent recipients stay planned. Try later with: mailer resume {campaign_id}",
    )


def _lost(campaign_id: str, *, stalled: bool) -> SendError:
    """Why a run that lost its lease stopped sending (``Dispatcher._hold``)."""
    if stalled:
        minutes = int(lease_module.STALLED.total_seconds() // 60)
        return SendError(
            f"{campaign_id} stopped: this send was paused for more than {minutes} minutes (the computer asleep, or the "
            "process stopped), and meanwhile another send of this release may have mailed its journalists. "
            "Nothing more was sent.",
            hint=f"Send to the rest with: mailer resume {campaign_id} (it skips whoever was reached in the meantime)",
        )
    return SendError(
        f"Another process has taken over {campaign_id}; this one stopped sending.",
        hint=f"See where it stands with: mailer status {campaign_id}",
    )
