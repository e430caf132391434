"""The run's side of a plan kept in parts (store/plan_parts.py): each part into the message table
before a request to one of its rows leaves, the others while SendGrid answers.

``delivery.record`` writes a large plan's first rows and keeps the rest as parts; the
``Dispatcher`` calls ``ensure`` before it lists a request in flight, ``write_one`` while it waits
for answers, and ``delivery.run`` calls ``finish`` when the requests are done (or stopped), so a
run that ends leaves its whole plan in the message table. A process killed before that leaves
parts in the log, which the next command to take the campaign writes (``plan_parts.write_all``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from mailer.send import lease
from mailer.store import campaigns, clock, plan_parts
from mailer.store.upgrade import Progress
from mailer.transport.base import Request

__all__ = ["WRITING", "PlanParts", "waiting", "write_left"]

WRITING = "Writing the rest of the plan to the delivery log"


@dataclass
class PlanParts:
    """A campaign's parts left to write, in order, and how far its plan is in the message table."""

    engine: Engine
    campaign_id: str
    written: int  # the rows at places below this (``plan.row_of``) are in the message table
    ends: deque[int] = field(default_factory=deque)  # per part left, in order: the place after its last row
    next_part: int = 0  # the number of the first part left
    _held: ExitStack | None = field(default=None, repr=False)  # while parts are left: the connection below
    _open: Connection | None = field(default=None, repr=False)

    @classmethod
    def after(cls, engine: Engine, campaign_id: str, written: int, counts: Iterable[int], *, first: int) -> PlanParts:
        """The parts ``plan_parts.keep`` kept with ``counts`` rows each, numbered from ``first``,
        after ``written`` rows written at once."""
        ends: deque[int] = deque()
        end = written
        for count in counts:
            end += count
            ends.append(end)
        return cls(engine, campaign_id, written, ends, first)

    @property
    def left(self) -> bool:
        """Whether parts wait to be written."""
        return bool(self.ends)

    def ensure(self, requests: Iterable[Request]) -> None:
        """Write the parts holding the rows of ``requests`` (the ones about to be listed in flight
        together), in one transaction, before they are listed: each commit rewrites the address
        index's pages its rows touch, so the parts of sixteen requests listed at once cost less
        committed together than one by one (live_send.py at concurrency 16)."""
        if not self.ends:  # all written: nothing to look up, request after request
            return
        from mailer.send.plan import row_of  # the plan's module loads the composer: not for `mailer status` (write_left)

        last = max((row_of(key) for request in requests for key in request.recipients.message_keys), default=-1)
        needed = 0
        while needed < len(self.ends) and last >= (self.ends[needed - 1] if needed else self.written):
            needed += 1
        self._write(needed)

    def write_one(self) -> None:
        """Write the next part (another process, such as `mailer forget`, may have written it already)."""
        self._write(1)

    def finish(self) -> None:
        """Write every part left, in one transaction: nothing waits for one of them now, and each
        commit rewrites the address indexes' pages its rows touched (at a million rows, parts
        committed one by one took 2.2x a bare write of the plan; plan_write.py)."""
        self._write(len(self.ends))

    def _write(self, count: int) -> None:
        """Write the next ``count`` parts in one transaction; give the connection back after the last."""
        if count <= 0:
            return
        connection = self._connection()
        with connection.begin():
            for number in range(self.next_part, self.next_part + count):
                plan_parts.write(connection, self.campaign_id, number)
        for _ in range(count):
            self.written = self.ends.popleft()
        self.next_part += count
        if not self.ends:
            self.close()

    def close(self) -> None:
        """Give back the connection the parts are written with (``delivery.run`` does, however it ends)."""
        if self._held is not None:
            held, self._held, self._open = self._held, None, None
            held.close()

    def _connection(self) -> Connection:
        """One connection for every part, whose commits do not wait for the disk (plan_parts.unsynced):
        a part's rows need be on disk only before a request to them leaves, and that request's
        listing in flight waits for the disk, flushing them with it. Set once for the run: around
        each part, it cost a fifth of the part's time."""
        if self._held is None:
            with ExitStack() as held:  # given back at once if setting it up fails (a Ctrl-C: review 19q #5)
                connection = held.enter_context(self.engine.connect())
                held.enter_context(plan_parts.unsynced(connection))
                self._held, self._open = held.pop_all(), connection
        assert self._open is not None
        return self._open


def write_left(engine: Engine, campaign_id: str | None, *, progress: Progress, optional: bool = False, stopped_only: bool = False) -> int:
    """Write the parts a stopped run left (of one campaign, or of every one: ``None``) into the
    message table, in one transaction, showing ``progress`` (``WRITING``) as the run's plan bar
    does; how many rows. The command that then takes the campaign (resume, cancel, status's
    rehearsal, forget) finds them written: it used to write them itself, seconds of silence at
    300,000 journalists (newcomer 19 #3). A campaign a process drives right now is left to it;
    of every one, only with ``stopped_only`` (`mailer contact`; forget erases her row wherever it waits).
    ``optional``: a log this user may only read (a reporting account) writes nothing, quietly."""
    try:
        with engine.begin() as connection:
            if not _to_write(connection, campaign_id, stopped_only=stopped_only)[1]:  # nothing to lock for (beside a running send)
                return 0
            plan_parts.lock(connection)  # a log this user may only read raises here, before the bar (review 20a)
            chosen, rows = _to_write(connection, campaign_id, stopped_only=stopped_only)  # again, under the lock
            if not rows:
                return 0
            with progress(WRITING, rows) as advance:
                return sum(plan_parts.write_all(connection, each, advance=advance) for each in chosen)
    except SQLAlchemyError:
        if optional:
            return 0
        raise


def _to_write(connection: Connection, campaign_id: str | None, *, stopped_only: bool) -> tuple[list[str | None], int]:
    """The campaigns ``write_left`` writes the parts of (``None``: all) and their rows: none a process drives right now."""
    now = clock.now(connection)
    chosen: list[str | None] = [campaign_id]
    if campaign_id is None and stopped_only:
        waiting = plan_parts.unfinished(connection)
        driven = campaigns.driven(connection, waiting, now=now) if waiting else set()
        chosen = [each for each in waiting if each not in driven]
    rows = sum(plan_parts.rows_left(connection, each) for each in chosen)
    if rows and campaign_id is not None and lease.driving(connection, campaign_id, now=now) is not None:
        return [], 0
    return chosen, rows


def waiting(engine: Engine, campaign_id: str) -> int:
    """How many rows of the campaign's plan (to mail and skipped) still wait in parts: after
    ``write_left``, those of a send still running, or of a log this user may only read."""
    with engine.connect() as connection:
        return plan_parts.rows_left(connection, campaign_id)
