"""When a send goes out: ``--at`` times, the embargo rule, and how an instant is shown.

SendGrid holds a scheduled send for at most 72 hours (``send_at``, SENDGRID.md §1.3); a
release under embargo must not go out before it lifts unless the user says so. Every time is
compared as an aware instant and shown with its zone: UTC, plus the zone the user wrote it in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailer import zones
from mailer.errors import SendError
from mailer.models import Rendered

__all__ = [
    "CANCEL_WINDOW",
    "MAX_SCHEDULE_AHEAD",
    "at_example",
    "cancel_window_note",
    "cancel_words",
    "check_embargo",
    "describe",
    "parse_at",
]

MAX_SCHEDULE_AHEAD = timedelta(hours=72)
# SendGrid measures its 72 hours by its own clock, which the log's may be a little ahead of: --at
# stops this much short of them, so a time the plan accepts is never refused request by request
# (review 26s: 71 h 59 min from a clock 5 minutes fast failed every journalist).
CLOCK_MARGIN = timedelta(minutes=10)
# SendGrid pauses or cancels a scheduled send "up to 10 minutes before the scheduled send time";
# later is "not guaranteed" (SENDGRID.md §1.3, OAI:css).
CANCEL_WINDOW = timedelta(minutes=10)
PROMISE = "SendGrid promises to cancel or pause a scheduled send only up to 10 minutes before its time"


def at_example(now: datetime, zone: str | None = None) -> str:
    """An --at the user can copy: tomorrow 09:00 in ``zone`` (the one they wrote), else UTC.

    Built from ``now``, so it is always ahead and inside SendGrid's 72 hours (9 to 33 hours
    away); a fixed date in the examples went into the past (newcomer 14 #6).
    """
    tz: tzinfo = UTC
    name = "UTC"
    if zone and zone.upper() not in ("UTC", "Z", "GMT"):
        try:
            tz, name = ZoneInfo(zone), zone
        except (ValueError, ZoneInfoNotFoundError, OSError):
            pass
    naive = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(9, 0))
    try:
        _on_the_clock(naive, tz, text="", zone=name)
    except SendError:  # a zone whose clocks change at 09:00: say it in UTC
        naive, name = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(9, 0)), "UTC"
    return f'--at "{naive:%Y-%m-%d %H:%M} {name}"'


def parse_at(text: str | datetime, *, now: datetime, office_zone: str | None = None) -> datetime:
    """--at "2026-03-01 09:00 America/New_York" (or an ISO time with an offset) -> an aware time.

    A script may give an aware ``datetime`` instead (any zone); a naive one is refused, as text
    without a zone is. Raises SendError when the time cannot be read, has no zone, is in the
    past or is more than 72 hours ahead (SendGrid's limit for send_at). ``office_zone`` (mailer.toml's
    [reports] time_zone) is the zone a time written without one is offered in.
    """
    if isinstance(text, datetime):
        if text.tzinfo is None or text.utcoffset() is None:
            raise SendError(
                f"The send time {text:%Y-%m-%d %H:%M} has no time zone, so it could mean several moments.",
                hint='Give an aware time, for example datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), '
                'or text such as "2026-12-02 09:00 Europe/Paris".',
            )
        moment, text = text, f"{text:%Y-%m-%d %H:%M %Z}".strip()
    elif isinstance(text, str):
        # One space between the parts: a no-break space or a double one pasted from an email
        # reads as the space it looks like (review 18s #2).
        text = " ".join(text.split())
        # "03.04.2027 09:00 Europe/Berlin" is 3 April, as a list's "Einwilligung bis" reads it (edges 28)
        read = zones.dotted_day_first(text)
        try:
            moment = _parse_moment(read, now=now, office_zone=office_zone)
        except SendError as exc:
            if read == text:
                raise
            raise SendError(exc.message.replace(f'"{read}"', f'"{text}"'), hint=exc.hint) from None  # her words
    else:
        raise SendError(
            f"The send time must be text or a datetime, not a {type(text).__name__}.",
            hint='For example at="2026-12-02 09:00 Europe/Paris".',
        )
    if moment <= now:
        example = at_example(now, getattr(moment.tzinfo, "key", None))
        raise SendError(f'--at "{text}" is in the past.', hint=f"Give a time in the next 72 hours, for example {example}.")
    if moment - now > MAX_SCHEDULE_AHEAD:
        raise SendError(
            f'--at "{text}" is more than 72 hours ahead; SendGrid cannot schedule that far.',
            hint="Run the command again closer to the time, or send now.",
        )
    if moment - now > MAX_SCHEDULE_AHEAD - CLOCK_MARGIN:
        raise SendError(
            f'--at "{text}" is less than 10 minutes short of the 72 hours SendGrid can schedule ahead, and SendGrid '
            "counts them by its own clock, which may differ from this one by a few minutes: every request could be refused.",
            hint="Run the command again in a few minutes, or give a time at most 71 hours 50 minutes ahead.",
        )
    return moment


def cancel_window_note(scheduled: datetime, *, now: datetime) -> str | None:
    """The plan's warning for a send scheduled less than 10 minutes ahead (newcomer 14 #9): SendGrid
    no longer promises to cancel it, so "schedule it, then call it off if needed" does not hold."""
    ahead = scheduled - now
    if ahead >= CANCEL_WINDOW:
        return None
    minutes = max(1, int(ahead.total_seconds() // 60))
    return (
        f"This send is scheduled {minutes} minute{'s' if minutes != 1 else ''} ahead. {PROMISE}, so mailer cancel may "
        "no longer stop it. If you may want to call it off, schedule it at least 10 minutes ahead."
    )


def cancel_words(campaign_id: str, scheduled: datetime, *, now: datetime) -> str:
    """How to call off a send SendGrid holds until ``scheduled``, as ``mailer status`` says it:
    ``mailer cancel`` up to 10 minutes before its time; inside those 10 minutes, that SendGrid no
    longer promises to (newcomer 15 #4: status offered the cancel five minutes before the time)."""
    if scheduled - now >= CANCEL_WINDOW:
        return f"To call the send off (up to 10 minutes before): mailer cancel {campaign_id}"
    return (
        f"It is less than 10 minutes before that time, too late to be sure of calling it off: {PROMISE}. "
        f"mailer cancel {campaign_id} can still ask SendGrid to, but the send may go out all the same."
    )


def _parse_moment(text: str, *, now: datetime, office_zone: str | None = None) -> datetime:
    bad = SendError(
        f'--at "{text}" is not a time mailer understands.',
        hint=f"Write the date, the time and the time zone, for example {at_example(now, office_zone or 'America/New_York')}.",
    )
    try:
        moment = datetime.fromisoformat(zones.iso_clock(text))  # "2026-12-03 6am" too (newcomer 25 #11)
        if moment.tzinfo is not None:
            return moment
        # on the office's clock when mailer.toml names it: her own time, not 09:00 UTC (newcomer 25 #11)
        raise SendError(  # a date and time alone: say what is missing (newcomer review 8)
            f'--at "{text}" has no time zone, so it could mean several moments.',
            hint=f'Add the time zone: on your office\'s clock ([reports] time_zone), --at "{moment:%Y-%m-%d %H:%M} {office_zone}".'
            if office_zone
            else f"Add the time zone (a name such as Europe/Paris, or UTC), for example {at_example(now)}.",
        )
    except ValueError:
        pass
    written = zones.date_not_year_first(text, shape='--at "{}"')  # "03/12/2026 09:00 Europe/London" (newcomer 24 #3)
    if written is not None:
        raise SendError(f'--at "{text}": {written[0]}', hint=written[1])
    _check_city(text)
    when, _, zone = text.rpartition(" ")
    when = zones.iso_clock(when)  # "2026-12-02 9:00", "10h00" (newcomer 23 #12)
    try:
        naive = datetime.fromisoformat(when)
    except ValueError:
        raise _unread(text, now, zone, office_zone) from None
    hint = zones.abbreviation_hint(when, zone, shape='--at "{}"')  # "09:00 PST": a clock's abbreviation, no zone name
    if hint is not None:
        raise SendError(f'--at "{text}": {zone} is an abbreviation, not a time zone name mailer knows.', hint=hint)
    try:
        zone = zones.spelled(zone)
        tz = UTC if zone.upper() in ("UTC", "Z", "GMT") else ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError, OSError):  # OSError: a folder of zones, e.g. "America"
        if _CITY.match(text) and "/" not in zone:  # a word mailer does not know: no other country's zone to paste (review 18z #8)
            raise SendError(
                f'--at "{text}": {zone} is not a time zone name mailer knows.',
                hint="Write the time zone of the clocks you mean by its name, which starts with the region: "
                "Europe/London, Asia/Shanghai, America/New_York, ... (or UTC).",
            ) from None
        raise bad from None
    if naive.tzinfo is not None:
        raise bad
    _check_standard_time(naive, zone, text=text)
    return _on_the_clock(naive, tz, text=text, zone=zone)


def _unread(text: str, now: datetime, zone: str, office_zone: str | None = None) -> SendError:
    """ "Not a time mailer understands", its example in the zone written when mailer knows it (newcomer 24 #10:
    "... 9am Europe/London" was shown an example in America/New_York), else in the office's ([reports] time_zone;
    newcomer 28: a Berlin office's --at tomorrow was shown America/New_York)."""
    try:
        named = zones.spelled(zone)
        ZoneInfo(named)
    except (ValueError, ZoneInfoNotFoundError, OSError):
        place = zones.place_zone(zone)
        named = place[0] if place else office_zone or "America/New_York"
    return SendError(
        f'--at "{text}" is not a time mailer understands.',
        hint=f"Write the date, the time (24-hour, HH:MM) and the time zone, for example {at_example(now, named)}.",
    )


def _check_standard_time(naive: datetime, zone: str, *, text: str) -> None:
    """SendError for "EST" or "MST" on a day the clocks of the region that says it show summer time."""
    found = zones.standard_time_trap(naive, zone, shape='--at "{}"')
    if found is not None:
        raise SendError(f'--at "{text}": {found[0]}', hint=found[1])


_HALF = r" ?[AaPp]\.?[Mm]\.?"  # am, pm, a.m., p.m. (review 24x #8)
_CITY = re.compile(rf"^(\d{{4}}-\d\d-\d\d[ T]\d{{1,2}}(?:(?::\d\d|\.\d\d|[hH](?:\d\d)?)(?:{_HALF})?|{_HALF})) ([^\W\d][\w .'-]*)$")


def _check_city(text: str) -> None:
    """SendError naming the zone for "09:00 London" or "09:00 New York": a city the time zone
    database names a zone after, written without its region (newcomer 18: "not a time mailer
    understands", with a New York example, for the London she had plainly written)."""
    found = _CITY.match(text)
    if not found or "/" in found.group(2) or found.group(2).upper() in ("UTC", "Z", "GMT"):
        return
    when, city = found.groups()
    place = zones.place_zone(city)  # "09:00 UK" (newcomer 24 #4), "06:00 Victoria" (newcomer 25 #2)
    if place is None:
        return
    named, said = place
    when = zones.iso_clock(when)  # "9:00", "10h00" (newcomer 23 #12)
    raise SendError(
        f'--at "{text}": {city} {said}; mailer needs the name of its time zone, which starts with the region.',
        hint=f'Write --at "{when} {named}".',
    )


def _on_the_clock(naive: datetime, tz: tzinfo, *, text: str, zone: str) -> datetime:
    """``naive`` read on the clocks of ``tz``; refused when a DST change skips it or shows it twice."""
    trap = zones.clock_trap(naive, tz, zone, shape='--at "{}"')
    if trap is not None:
        raise SendError(f'--at "{text}" {trap[0]}', hint=trap[1])
    return naive.replace(tzinfo=tz)


def describe(moment: datetime) -> str:
    """An instant as a person reads it: "2026-11-30 14:00 UTC (09:00 America/New_York)".

    UTC always; in brackets the same instant in the zone it was given in, unless that is UTC
    (the date too when it differs). A naive time is a programming error: no zone to name.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"describe() needs an aware datetime, not {moment.isoformat()}")
    utc = moment.astimezone(UTC)
    text = f"{utc:%Y-%m-%d %H:%M} UTC"
    name = getattr(moment.tzinfo, "key", None) or moment.tzname() or ""
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return text
    local = f"{moment:%H:%M}" if moment.date() == utc.date() else f"{moment:%Y-%m-%d %H:%M}"
    return f"{text} ({local} {name})"


def check_embargo(rendered: Rendered, goes_out: datetime, *, force: bool) -> None:
    """Refuse a live send that would reach journalists before the release's embargo lifts."""
    if rendered.embargo is None or goes_out >= rendered.embargo or force:
        return
    raise SendError(
        f"The release is embargoed until {describe(rendered.embargo)}, but this send would go out at {describe(goes_out)}.",
        hint="Schedule it after the embargo with --at, or add --force-embargo if journalists should get it early.",
    )
