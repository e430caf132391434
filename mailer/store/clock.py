"""The time the team agrees on: the delivery log's server clock.

A team shares one PostgreSQL log from several computers, and their clocks disagree (a laptop
minutes off, a virtual machine hours off). Leases (who is sending a campaign and until when),
"is it still being sent", the embargo and the send time, the moments written to the log: all
of them compare one computer's time with another's. So every command that opens a PostgreSQL
log asks the server for its time once (``measure``) and, from then on, ``now()`` is this
computer's clock put right by the difference: the server's time, the same on every colleague's
computer. A difference under a second is left alone (the time it takes to ask). An SQLite log
has only this computer's clock, and ``now()`` is that.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["FAR", "describe_skew", "earliest", "follow", "measure", "now", "skew"]

# Below this, the difference is the time the question took, not a wrong clock.
NOISE = timedelta(seconds=1)
# From this on, a command says so: a lease lasts two minutes, SendGrid's cancel window is ten.
FAR = timedelta(minutes=1)

# Asked again this often during a send (``follow``).
REMEASURE = timedelta(minutes=1)

_skew = timedelta(0)  # the server's time minus this computer's, as last measured
_measured: tuple[float, float] | None = None  # when: time.time() and time.monotonic()


def now() -> datetime:
    """The current moment, in UTC, by the delivery log's clock (this computer's for SQLite)."""
    return datetime.now(UTC) + _skew


def earliest() -> datetime:
    """The earlier of ``now`` and this computer's own clock: an embargo is kept by it, so that a
    release goes out early neither from a computer whose clock is ahead nor from a log server
    whose clock is (which of the two is right, mailer cannot tell)."""
    return min(datetime.now(UTC), now())


def skew() -> timedelta:
    """How far ahead of this computer's clock the log's server is (negative: behind), as ``now`` uses it."""
    return _skew


def measure(engine: Engine) -> timedelta:
    """Ask a PostgreSQL log's server for its time and make ``now`` follow it; the difference
    (server minus this computer). SQLite: this computer's clock is the log's, nothing changes.
    A server that cannot be asked leaves ``now`` as it was."""
    if engine.dialect.name != "postgresql":
        return timedelta(0)
    try:
        with engine.connect() as connection:
            return _measure_on(connection)
    except SQLAlchemyError:
        return _skew


def follow(connection: Connection) -> None:
    """Ask the server again, on ``connection``, when this computer's clock was set since the last
    time (its time moved unlike the time elapsed: the clock put right by the network, by hand, or
    the computer woken from sleep) or a minute has passed: a send that lasts hours goes on with
    the server's time. For the rounds of a send; costs nothing on SQLite or in between."""
    if connection.dialect.name != "postgresql" or _measured is None:
        return
    wall, steady = _measured
    elapsed = time.monotonic() - steady
    if elapsed < REMEASURE.total_seconds() and abs(time.time() - wall - elapsed) < NOISE.total_seconds():
        return
    _measure_on(connection)


def _measure_on(connection: Connection) -> timedelta:
    global _skew, _measured
    before = time.time()
    server = connection.scalar(select(func.clock_timestamp()))
    after = time.time()
    if not isinstance(server, datetime) or server.tzinfo is None:
        return _skew
    here = datetime.fromtimestamp((before + after) / 2, UTC)
    found = server.astimezone(UTC) - here
    _skew = found if abs(found) >= NOISE else timedelta(0)
    _measured = (after, time.monotonic())
    return _skew


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
