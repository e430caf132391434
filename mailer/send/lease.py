"""One process drives a campaign at a time (promise 6): a lease in the delivery log.

``acquire`` takes the campaign's lease with a conditional UPDATE, so of two processes (a send
and a resume in two terminals, two hosts sharing one PostgreSQL log) exactly one wins; the
other gets a SendError naming the holder, its host and process, and since when. The holder
renews the lease as it goes (``renew``, on the dispatcher's rounds, at most once a second and
at least every ``HEARTBEAT`` seconds); a holder that crashed stops renewing and its lease expires after
``TTL``. A holder on this same machine whose process is gone is replaced at once, so
``mailer resume`` right after a crash or a kill does not have to wait.

Every moment a lease holds or is compared with comes from ``utcnow``, the delivery log's clock
(``store.clock``): on a team's PostgreSQL log, the server's, so a colleague whose computer's clock
is minutes ahead does not read a live lease as expired, nor one behind write one already expired.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from mailer.errors import SendError
from mailer.store import campaigns
from mailer.store.campaigns import LeaseRow
from mailer.store.schema import LEASE_HOLDER_MARK

__all__ = ["HEARTBEAT", "TTL", "Lease", "acquire", "driving", "in_flight", "lapsed", "may_still_send", "release", "release_own", "renew"]

TTL = timedelta(minutes=2)
HEARTBEAT = 15.0  # seconds between renewals at most, well inside TTL
# A lease expired longer ago than this is left by a process that will not come back (one that died
# on another machine sharing the log, or before a reboot): its planned rows are nobody's to send.
STALLED = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Lease:
    """This process's hold on one campaign."""

    campaign_id: str
    holder: str


def acquire(connection: Connection, campaign_id: str, *, now: datetime) -> Lease:
    """Take the campaign's lease, or raise SendError saying who drives it and what to do."""
    holder = LEASE_HOLDER_MARK + secrets.token_hex(16)  # the mark: a holder that lists its requests in flight
    current = campaigns.lease(connection, campaign_id)
    replacing = current.holder if current is not None and _is_gone(current) else None
    taken = campaigns.take_lease(
        connection,
        campaign_id,
        holder=holder,
        host=_host(),
        pid=os.getpid(),
        now=now,
        expires=now + TTL,
        replacing=replacing,
    )
    if not taken:
        raise _held(campaign_id, campaigns.lease(connection, campaign_id) or current, now)
    return Lease(campaign_id, holder)


def driving(connection: Connection, campaign_id: str, *, now: datetime) -> LeaseRow | None:
    """The lease of the process driving the campaign right now (not expired, its process not
    known to be gone: one on this machine that died drives nothing), or None."""
    current = campaigns.lease(connection, campaign_id)
    return current if current is not None and current.driving(now) else None


def check_free(connection: Connection, campaign_id: str, *, now: datetime) -> None:
    """SendError, as ``acquire`` would raise it, when another process holds the campaign's lease
    (not expired, its process not known to be gone): said before a resume shows a plan it cannot
    follow (newcomer 17 #7: "Left: 4 journalists to send to", then the refusal)."""
    current = campaigns.lease(connection, campaign_id)
    if current is not None and current.expires > now and not _is_gone(current):
        raise _held(campaign_id, current, now)


def may_still_send(connection: Connection, found: campaigns.Campaign, *, now: datetime) -> bool:
    """Whether a process may still send the rows ``found`` has planned without anyone resuming it:
    its lease is held by a process not known to be gone (sending, or stalled past the lease's
    expiry by less than ``STALLED``: a laptop asleep carries on when it wakes). A send takes its
    lease with its plan (``delivery.record``), so a plan no process holds is a stopped one."""
    current = campaigns.lease(connection, found.id)
    return current is not None and not _is_gone(current) and now - current.expires < STALLED


def renew(connection: Connection, lease: Lease, *, now: datetime, in_flight: Sequence[int] | None = None) -> bool:
    """Keep the lease (and, given ``in_flight``, list those requests as in flight); False when
    another process has taken it over, or when it expired ``STALLED`` ago or more (this process
    was stopped or the computer asleep that long: from then on ``may_still_send`` told other
    sends its journalists were nobody's, and they may have mailed them). Either way this one must
    stop sending; ``lapsed`` tells which."""
    return campaigns.renew_lease(
        connection, lease.campaign_id, holder=lease.holder, now=now, expires=now + TTL, lapsed=now - STALLED, in_flight=in_flight
    )


def lapsed(connection: Connection, lease: Lease) -> bool:
    """Whether this process still holds ``lease`` in the log (a failed ``renew`` then means it
    stalled past ``STALLED``, not that another process took the campaign over)."""
    current = campaigns.lease(connection, lease.campaign_id)
    return current is not None and current.holder == lease.holder


def in_flight(connection: Connection, lease: Lease, requests: Sequence[int]) -> bool:
    """List ``requests`` as in flight, under the lease; False when another process has taken it over.

    A request may leave only once this is committed (promise 2): a run that finds them listed
    after a crash marks their rows unknown.
    """
    return campaigns.set_in_flight(connection, lease.campaign_id, holder=lease.holder, in_flight=requests)


def release(connection: Connection, lease: Lease) -> None:
    """Let the next ``mailer resume`` take over at once."""
    campaigns.release_lease(connection, lease.campaign_id, holder=lease.holder)


def release_own(connection: Connection, campaign_id: str) -> None:
    """Give up the campaign's lease if this process holds it (its token unknown: a Ctrl-C landed
    inside the transaction that wrote the plan with its lease)."""
    current = campaigns.lease(connection, campaign_id)
    if current is not None and current.host == _host() and current.pid == os.getpid():
        campaigns.release_lease(connection, campaign_id, holder=current.holder)


def _is_gone(current: LeaseRow) -> bool:
    """The holder ran on this machine and its process no longer exists."""
    return current.gone()


def _host() -> str:
    """This machine, as a lease names it (``campaigns.this_host``)."""
    return campaigns.this_host()


def _held(campaign_id: str, current: LeaseRow | None, now: datetime) -> SendError:
    if current is None:  # released between our two reads: a retry will take it
        return SendError(f"{campaign_id} was busy for a moment.", hint=f"Run the command again: mailer resume {campaign_id}")
    heard = max(0, int((now - current.heartbeat).total_seconds()))
    return SendError(
        f"{campaign_id} is being sent by another process (pid {current.pid} on {current.host.split('/')[0]}, "
        f"since {current.since:%Y-%m-%d %H:%M:%S} UTC, last heard from {heard} s ago).",
        hint=(
            "Let it finish, or stop it with Ctrl-C in its terminal. If that process has crashed, "
            f"`mailer resume {campaign_id}` can take over after {current.expires:%H:%M:%S} UTC."
        ),
    )
