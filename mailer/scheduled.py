"""A scheduled send in words, the same in every command: SendGrid holding it until its time, and
what is known of a cancel asked too late for SendGrid to promise it.

``mailer status``, ``cancel``, a corrected send and the reports (terminal, page, overview) say
these facts through here, so they never disagree (newcomer 15: cancel said "gone out already"
and the report said nothing where status said most likely nobody got it). The send stage and
the reports both use it, so it imports neither. Times are the log's, shown in UTC; a time
given on the office's clock ([reports] time_zone) is shown on it too, in brackets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailer.counting import counted

if TYPE_CHECKING:
    from mailer.store.campaigns import Campaign

__all__ = ["handed_over", "held", "late_cancel", "maybe_held", "on_its_clock", "on_office_clock", "utc"]


def utc(moment: datetime) -> str:
    """An instant of the log as "2026-11-24 18:00 UTC" (as ``send.schedule.describe`` shows a UTC time)."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def on_its_clock(moment: datetime) -> str:
    """``moment`` in UTC and, when it carries another named zone (the office's, [reports] time_zone),
    on that clock in brackets, as ``send.schedule.describe`` writes it: "2026-12-02 19:00 UTC
    (2026-12-03 06:00 Australia/Melbourne)" (newcomer 25 #1: a Melbourne colleague read "until
    2026-12-02 19:00 UTC" as 7 pm tonight, for 6 am tomorrow)."""
    text = utc(moment)
    name = getattr(moment.tzinfo, "key", None)
    if not name or name.upper() in ("UTC", "ETC/UTC", "GMT"):
        return text
    shown = moment.astimezone(UTC)
    local = f"{moment:%H:%M}" if moment.date() == shown.date() else f"{moment:%Y-%m-%d %H:%M}"
    return f"{text} ({local} {name})"


def held(at: datetime) -> str:
    """ "SendGrid holds these emails until ...": a scheduled send whose time is still ahead (no full
    stop); on the office's clock too when ``at`` is given on it."""
    return f"SendGrid holds these emails until {on_its_clock(at)}"


def maybe_held(at: datetime) -> str:
    """ "they may already be with SendGrid, held until ...": of journalists whose request got no
    answer (in flight when a send stopped, or unknown), in a send whose time is still ahead; not
    "they may already have the email", which nobody has before that time (no full stop)."""
    return f"they may already be with SendGrid, held until {on_its_clock(at)}"


def handed_over(accepted: int, at: str) -> str:
    """ "The emails of 5 journalists were handed to SendGrid and have gone out (at <at>, or at once
    for any handed over after that time)": of a scheduled send whose time has passed (no full
    stop). Not "went out then" of them all: a resume after the time hands the rest over to go at
    once (review 16 #6), and the log keeps no time of each hand-over apart from later changes."""
    one = accepted == 1
    return (
        f"The {'email' if one else 'emails'} of {counted(accepted, 'journalist')} {'was' if one else 'were'} handed to SendGrid "
        f"and {'has' if one else 'have'} gone out (at {at}, or at once for any handed over after that time)"
    )


def on_office_clock(moment: datetime, zone: str | None) -> str:
    """``moment`` as ``on_its_clock`` says it, on the office's clock ``zone`` ([reports] time_zone) too;
    in UTC alone without one."""
    if not zone:
        return utc(moment)
    from zoneinfo import ZoneInfo

    return on_its_clock(moment.astimezone(ZoneInfo(zone)))


def late_cancel(campaign: Campaign, *, now: datetime, went_out: int = 0, zone: str | None = None) -> str | None:
    """What is known of a scheduled send whose cancel was asked less than 10 minutes before its
    time (``Campaign.late_cancel``), without what to do about it (no full stop): before its time,
    that it may still go out; after, by its events (``went_out``: of its emails SendGrid reports
    sending, ``messages.went_out``), that it went out all the same, or that most likely the cancel
    held and nobody got it. None when no such cancel was asked. ``zone``: the office's clock, beside UTC."""
    if campaign.late_cancel is None or campaign.scheduled_at is None:
        return None
    ahead = campaign.scheduled_at > now
    asked = (
        f"A cancel of {campaign.id} was asked at {on_office_clock(campaign.late_cancel, zone)}, less than 10 minutes before "
        f"its time{'' if ahead else f' ({on_office_clock(campaign.scheduled_at, zone)})'}, when SendGrid no longer promises to cancel"
    )
    if ahead:
        return f"{asked}: it may still go out"
    if went_out:
        return f"{asked}: it went out all the same (SendGrid reports sending {counted(went_out, 'email')} of it)"
    return (
        f"{asked}, and no event from SendGrid says it went out: most likely the cancel held and nobody got it "
        f"(events can take a while; mailer report {campaign.id} shows any that come)"
    )
