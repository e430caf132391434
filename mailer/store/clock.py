"""The time the team agrees on: the delivery log's server clock.

A team shares one PostgreSQL log from several computers, and their clocks disagree (a laptop
minutes off, a virtual machine hours off). Leases (who is sending a campaign and until when),
"is it still being sent", the embargo and the send time, the moments written to the log: all
of them compare one computer's time with another's. So every command that opens a PostgreSQL
log asks the server for its time once (``measure``) and, from then on, ``now()`` is this
computer's clock put right by the difference: the server's time, the same on every colleague's
computer. A difference under a second is left alone (the time it takes to ask). An SQLite log
has only this computer's clock, and ``now()`` is that. The difference is kept per log (``now``
takes the Engine or a Connection): one process may hold a team's log and an SQLite one.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["FAR", "Log", "describe_skew", "due", "earliest", "follow", "measure", "now", "skew"]

# Below this, the difference is the time the question took, not a wrong clock.
NOISE = timedelta(seconds=1)
# From this on, a command says so: a lease lasts two minutes, SendGrid's cancel window is ten.
FAR = timedelta(minutes=1)

# Asked again this often during a send (``follow``).
REMEASURE = timedelta(minutes=1)

Log = Engine | Connection  # a delivery log, or a connection to one


@dataclass
class _Measured:
    """One PostgreSQL log's clock: its server's time minus this computer's, and when that was measured
    (``time.time()`` and ``time.monotonic()``)."""

    skew: timedelta
    wall: float
    steady: float


# Per log (its Engine), not per process: a script that opens a team's PostgreSQL log and an SQLite
# log of its own had the first one's difference applied to the second (review 26c #1). An SQLite
# log, or one never measured, is not in it: this computer's clock.
_logs: weakref.WeakKeyDictionary[Engine, _Measured] = weakref.WeakKeyDictionary()
# A PostgreSQL log whose server could not be asked (``follow``): when it was last tried (time.monotonic()).
_tried: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


def now(log: Log | None) -> datetime:
    """The current moment, in UTC, by the clock of the delivery log ``log`` (its server's for a
    PostgreSQL log, this computer's for SQLite, or for None: no log). Cheap: called for every step of a send."""
    here = datetime.now(UTC)
    if log is None or not _logs:  # no PostgreSQL log measured in this process: nothing to look up
        return here
    found = _logs.get(log.engine)
    return here if found is None else here + found.skew


def earliest(log: Log) -> datetime:
    """The earlier of ``now(log)`` and this computer's own clock: an embargo is kept by it, so that a
    release goes out early neither from a computer whose clock is ahead nor from a log server
    whose clock is (which of the two is right, mailer cannot tell)."""
    return min(datetime.now(UTC), now(log))


def skew(log: Log) -> timedelta:
    """How far ahead of this computer's clock the server of ``log`` is (negative: behind), as ``now`` uses it."""
    found = _logs.get(log.engine)
    return timedelta(0) if found is None else found.skew


def measure(engine: Engine) -> timedelta:
    """Ask a PostgreSQL log's server for its time and make ``now(engine)`` follow it; the difference
    (server minus this computer). SQLite: this computer's clock is the log's, nothing changes.
    A server that cannot be asked leaves ``now`` as it was."""
    if engine.dialect.name != "postgresql":
        return timedelta(0)
    try:
        with engine.connect() as connection:
            return _measure_on(connection)
    except SQLAlchemyError:
        return skew(engine)


def due(log: Log) -> bool:
    """Whether ``log``'s clock is to be asked again: this computer's clock was set since the last time
    (its time moved unlike the time elapsed: the clock put right by the network, by hand, or the
    computer woken from sleep), or a minute has passed. Cheap; False for SQLite. A PostgreSQL log never
    measured (its server could not be asked when it was opened: a webhook started while the server was
    slow) is due at once, then once a minute until it answers (review 26x: it stayed on this computer's
    clock for as long as the webhook ran)."""
    found = _logs.get(log.engine)
    if found is None:
        if log.dialect.name != "postgresql":
            return False
        tried = _tried.get(log.engine)
        return tried is None or time.monotonic() - tried >= REMEASURE.total_seconds()
    elapsed = time.monotonic() - found.steady
    return elapsed >= REMEASURE.total_seconds() or abs(time.time() - found.wall - elapsed) >= NOISE.total_seconds()


def follow(log: Log) -> None:
    """Ask the server of ``log`` again when ``due``: a send that lasts hours, or a webhook that runs
    for weeks, goes on with the server's time. For the rounds of a send (on its connection) and each
    batch of events (on the engine: a connection is taken only when due); costs nothing on SQLite
    or in between. A server that cannot be asked leaves the clock as it was."""
    if not due(log):
        return
    _tried[log.engine] = time.monotonic()
    if isinstance(log, Connection):
        _measure_on(log)
        return
    try:
        with log.connect() as connection:
            _measure_on(connection)
    except SQLAlchemyError:
        return


def _measure_on(connection: Connection) -> timedelta:
    before = time.time()
    server = connection.scalar(select(func.clock_timestamp()))
    after = time.time()
    if not isinstance(server, datetime) or server.tzinfo is None:
        return skew(connection)
    here = datetime.fromtimestamp((before + after) / 2, UTC)
    found = server.astimezone(UTC) - here
    kept = found if abs(found) >= NOISE else timedelta(0)
    _logs[connection.engine] = _Measured(kept, after, time.monotonic())
    return kept


def describe_skew(difference: timedelta) -> str | None:
    """The warning for a computer whose clock is ``FAR`` or more from the log's server, or None."""
    if abs(difference) < FAR:
        return None
    return (
        f"This computer's clock is {_amount(abs(difference))} {'behind' if difference > timedelta(0) else 'ahead of'} "
        "the delivery log's server. mailer goes by the server's time (who is sending, send times, what it logs), and "
        "keeps an embargo by whichever clock is earlier. One of the two clocks is wrong: put this computer's right "
        "(set the time automatically in its settings), or tell whoever runs the server."
    )


def _amount(difference: timedelta) -> str:
    seconds = round(difference.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds"
    if (minutes := round(seconds / 60)) < 120:
        return f"{minutes} minutes"
    if (hours := round(seconds / 3600, 1)) < 48:
        return f"{hours:g} hours"
    return f"{round(seconds / 86400)} days"
