"""When a send goes out: ``--at`` times and the embargo rule.

SendGrid holds a scheduled send for at most 72 hours (``send_at``, SENDGRID.md §1.3); a
release under embargo must not go out before it lifts unless the user says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailer.errors import SendError
from mailer.models import Rendered

__all__ = ["AT_EXAMPLE", "MAX_SCHEDULE_AHEAD", "check_embargo", "parse_at"]

MAX_SCHEDULE_AHEAD = timedelta(hours=72)
AT_EXAMPLE = '--at "2026-03-01 09:00 America/New_York"'


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
    bad = SendError(
        f'--at "{text}" is not a time mailer understands.', hint=f"Write the date, the time and the time zone, for example {AT_EXAMPLE}."
    )
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


def check_embargo(rendered: Rendered, goes_out: datetime, *, force: bool) -> None:
    """Refuse a live send that would reach journalists before the release's embargo lifts."""
    if rendered.embargo is None or goes_out >= rendered.embargo or force:
        return
    raise SendError(
        f"The release is embargoed until {rendered.embargo:%Y-%m-%d %H:%M %Z}, but this send would go out at {goes_out:%Y-%m-%d %H:%M %Z}.",
        hint="Schedule it after the embargo with --at, or add --force-embargo if journalists should get it early.",
    )
