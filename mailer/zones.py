"""Time zones as people write them after a time: a clock's abbreviation (PST, IST) or a city
(London), where the time zone database wants its own name (America/Los_Angeles, Europe/London).
Shared by --at (``send.schedule``) and the release's embargo (``compose.release``), so it may
know neither (review 18z #5: the embargo's refusal of "00:01 BST" gave a New York example)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Clock abbreviations people write after a time that the time zone database has no zone for, and
# the zone most offices writing them mean (review 18s #7: "not a time mailer understands").
ABBREVIATIONS = {
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MDT": "America/Denver",
    "BST": "Europe/London",
    "IST": "Asia/Kolkata",
    "CEST": "Europe/Paris",
    "EEST": "Europe/Athens",
    "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
    # review 18z #8: these read "not a time mailer understands", with a New York example to paste
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "AST": "America/Halifax",
    "HKT": "Asia/Hong_Kong",
    "SGT": "Asia/Singapore",
    "KST": "Asia/Seoul",
    "PHT": "Asia/Manila",
    "WIB": "Asia/Jakarta",
    "MSK": "Europe/Moscow",
    "SAST": "Africa/Johannesburg",
    "WAT": "Africa/Lagos",
    "EAT": "Africa/Nairobi",
    "AWST": "Australia/Perth",
    # As German, Quebec French write Central European and Eastern time (office 27: the email says "10:00 MEZ",
    # and the same words in --at or the embargo were answered with London, Shanghai and New York).
    "MEZ": "Europe/Berlin",
    "MESZ": "Europe/Berlin",
    "HNE": "America/Toronto",
    "HAE": "America/Toronto",
    "ACST": "Australia/Adelaide",
    "ACDT": "Australia/Adelaide",
}
# Abbreviations the clocks of several countries write: the hint names each, never one as the
# example (review 18y #10: an Irish office's IST answered with Asia/Kolkata, 4 hours 30 ahead of
# Dublin; a Beijing office's CST with America/Chicago, 14 hours behind: pasted, the embargo broken).
SEVERAL_PLACES = {
    "IST": (("Asia/Kolkata", "India"), ("Europe/Dublin", "Ireland, in summer"), ("Asia/Jerusalem", "Israel")),
    "CST": (("America/Chicago", "US Central"), ("Asia/Shanghai", "China"), ("Asia/Taipei", "Taiwan"), ("America/Havana", "Cuba")),
    "CDT": (("America/Chicago", "US Central"), ("America/Havana", "Cuba")),
    "BST": (("Europe/London", "United Kingdom"), ("Asia/Dhaka", "Bangladesh")),
    "PST": (("America/Los_Angeles", "US Pacific"), ("Asia/Manila", "Philippines")),
    "AST": (("America/Halifax", "Atlantic Canada"), ("America/Puerto_Rico", "Puerto Rico"), ("Asia/Riyadh", "Saudi Arabia")),
    # Australia's eastern and central clocks are several states' (newcomer 25 #2: a Melbourne office's "06:00 AEDT"
    # was given Sydney's zone; AEST, which Australians write all year, Brisbane's too, an hour off in summer).
    "AEST": (
        ("Australia/Melbourne", "Victoria"),
        ("Australia/Sydney", "New South Wales, ACT"),
        ("Australia/Brisbane", "Queensland, no summer time"),
        ("Australia/Hobart", "Tasmania"),
    ),
    "AEDT": (("Australia/Melbourne", "Victoria"), ("Australia/Sydney", "New South Wales, ACT"), ("Australia/Hobart", "Tasmania")),
    "ACST": (("Australia/Adelaide", "South Australia"), ("Australia/Darwin", "Northern Territory, no summer time")),
}
# Cities press offices write that the time zone database names no zone after (review 18z #8: "09:00
# Beijing" was answered with a New York example to paste, 13 hours off).
CITIES = {
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich",
    "the hague": "Europe/Amsterdam",
    "edinburgh": "Europe/London",
    "manchester": "Europe/London",
    "abu dhabi": "Asia/Dubai",
    "osaka": "Asia/Tokyo",
    "rio de janeiro": "America/Sao_Paulo",
    "cape town": "Africa/Johannesburg",
    "wellington": "Pacific/Auckland",
    "hanoi": "Asia/Bangkok",
    "montreal": "America/Toronto",
    # ... and as a French-, Dutch- or German-speaking office writes its own cities and its neighbours' (newcomer
    # 23 #4: Liège's press office wrote "10:00 Bruxelles" and was shown London, Shanghai and New York).
    **dict.fromkeys(("bruxelles", "brussel", "liege", "luik", "luttich", "anvers", "antwerpen", "antwerp"), "Europe/Brussels"),
    **dict.fromkeys(("gand", "gent", "ghent", "namur", "namen", "charleroi", "mons", "eupen", "louvain", "leuven"), "Europe/Brussels"),
    **dict.fromkeys(("bruges", "brugge", "hasselt", "malines", "mechelen", "arlon", "ostende", "oostende"), "Europe/Brussels"),
    **dict.fromkeys(("londres", "londen"), "Europe/London"),
    **dict.fromkeys(("parijs", "lille", "lyon", "marseille", "strasbourg", "straatsburg", "strassburg"), "Europe/Paris"),
    **dict.fromkeys(("la haye", "den haag", "rotterdam", "utrecht", "maastricht", "eindhoven"), "Europe/Amsterdam"),
    **dict.fromkeys(("luxemburg",), "Europe/Luxembourg"),
    **dict.fromkeys(("koln", "keulen", "aix-la-chapelle", "aachen", "aken", "francfort", "munchen"), "Europe/Berlin"),
    **dict.fromkeys(("dusseldorf", "bonn", "trier", "treves"), "Europe/Berlin"),
    **dict.fromkeys(("geneve", "genf", "berne", "bern", "bale", "basel", "lausanne"), "Europe/Zurich"),
    **dict.fromkeys(("vienne", "wenen", "wien"), "Europe/Vienna"),
    **dict.fromkeys(("rom", "milaan", "mailand"), "Europe/Rome"),
    **dict.fromkeys(("lisbonne", "lissabon"), "Europe/Lisbon"),
    **dict.fromkeys(("varsovie", "warschau"), "Europe/Warsaw"),
    **dict.fromkeys(("prag", "praag"), "Europe/Prague"),
    **dict.fromkeys(("copenhague", "kopenhagen"), "Europe/Copenhagen"),
    **dict.fromkeys(("athenes", "athen", "athene"), "Europe/Athens"),
    **dict.fromkeys(("moscou", "moskou", "moskau"), "Europe/Moscow"),
}


_CLOCK = re.compile(r"^(\d{4}-\d\d-\d\d[ T])(\d{1,2})(?:(?::|\.(?=\d\d))(\d\d)|([hH])(\d\d)?)?(?: ?([AaPp])\.?[Mm]\.?| ?([Uu]hr))?$")


def iso_clock(when: str) -> str:
    """A date and time as ISO reads it: an hour without its leading zero ("2026-12-02 9:00"), the time as
    French writes it ("10h00", "10h": newcomer 23 #12, refused as "not a time mailer understands"), and as
    British English writes it ("9am", "9.30am", "09.00", "12pm": review 24x #8, where the answer to a
    day-first date offered --at "2026-12-03 9am Europe/London", itself refused), and as German writes it
    ("10 Uhr", "10:30 Uhr", "10.30 Uhr": office 27), made "2026-12-02 09:00",
    "2026-12-02 10:00", "2026-12-03 09:00"; anything else (an hour alone, "13pm") as it is."""
    found = _CLOCK.match(when)
    if found is None:
        return when
    day, hour, minute, french, french_minute, half, german = found.groups()
    if minute is None and french is None and half is None and german is None:
        return when  # "2026-12-02 9": no clock
    if german is not None and (french is not None or int(hour) > 23):
        return when
    hour_number = int(hour)
    if half is not None:
        if not 1 <= hour_number <= 12:
            return when
        hour_number = hour_number % 12 + (12 if half in "Pp" else 0)
    return f"{day}{hour_number:02d}:{minute or french_minute or '00'}"


def spelled(zone: str) -> str:
    """The time zone database's own spelling of ``zone`` written in another case ("europe/london"):
    the database's files are named in mixed case, and a lower-case name is not found on Linux."""
    if zone.upper() in ("UTC", "Z", "GMT"):
        return zone
    try:
        ZoneInfo(zone)
        return zone
    except (ValueError, ZoneInfoNotFoundError, OSError):
        pass
    return next((name for name in sorted(available_timezones()) if name.lower() == zone.lower()), zone)


def abbreviation_hint(when: str, zone: str, *, shape: str) -> str | None:
    """What to write for ``when`` ("2026-12-02 09:00") followed by the abbreviation ``zone``, each
    example written as ``shape`` ('--at "{}"'); None when ``zone`` is no such abbreviation."""
    region = ABBREVIATIONS.get(zone.upper())
    if region is None:
        return None
    places = SEVERAL_PLACES.get(zone.upper())
    if places is None:
        return f"Write the zone of the clocks you mean, which follows their summer time, for example {shape.format(f'{when} {region}')}."
    # one example would be the wrong country for some (review 18y #10: IST in Dublin, CST in Beijing)
    return (
        f"Write the zone of the clocks you mean, which follows their summer time; {zone.upper()} is written in several "
        "places: " + ", ".join(f"{shape.format(f'{when} {name}')} ({place})" for name, place in places) + "."
    )


def city_zone(city: str) -> str | None:
    """The time zone a city written alone names ("London": Europe/London, "new york": America/New_York);
    None for a zone of the database's own ("Singapore", "Jamaica") or a word naming no zone."""
    try:
        ZoneInfo(spelled(city))
        return None  # a zone of the database's own, one word
    except (ValueError, ZoneInfoNotFoundError, OSError):
        pass
    folded = "".join(c for c in unicodedata.normalize("NFKD", " ".join(city.split()).casefold()) if not unicodedata.combining(c))
    if folded in CITIES:
        return CITIES[folded]
    key = folded.replace(" ", "_")  # "São Paulo": America/Sao_Paulo
    zones = sorted(name for name in available_timezones() if "/" in name and name.rsplit("/", 1)[1].casefold() == key)
    zones = [name for name in zones if not name.startswith(("Etc/", "SystemV/", "US/"))] or zones
    return zones[0] if zones else None


# Countries written where a zone's name belongs (newcomer 24 #4: "09:00 UK", as a UK office says its
# time, was answered with London, Shanghai and New York to choose from, and in an embargo with a
# New York example): those whose clocks are one zone.
COUNTRIES = {
    **dict.fromkeys(("uk", "u.k.", "united kingdom", "great britain", "britain", "england", "scotland", "wales"), "Europe/London"),
    **dict.fromkeys(("northern ireland",), "Europe/London"),
    **dict.fromkeys(("ireland", "republic of ireland"), "Europe/Dublin"),
    # ... and European countries of one zone as their offices write them (office 27: a Berlin office's "Deutschland"
    # was answered with London and New York). Not Spain nor Portugal, whose islands keep other clocks.
    **dict.fromkeys(("germany", "deutschland", "allemagne", "alemania", "germania", "duitsland"), "Europe/Berlin"),
    **dict.fromkeys(("austria", "österreich", "oesterreich", "autriche"), "Europe/Vienna"),
    **dict.fromkeys(("switzerland", "schweiz", "suisse", "svizzera"), "Europe/Zurich"),
    **dict.fromkeys(("france", "frankreich", "francia"), "Europe/Paris"),
    **dict.fromkeys(("belgium", "belgien", "belgique", "belgië", "belgie"), "Europe/Brussels"),
    **dict.fromkeys(("netherlands", "the netherlands", "niederlande", "nederland", "pays-bas"), "Europe/Amsterdam"),
    **dict.fromkeys(("luxembourg", "luxemburg"), "Europe/Luxembourg"),
    **dict.fromkeys(("italy", "italien", "italia", "italie"), "Europe/Rome"),
    **dict.fromkeys(("poland", "polen", "polska", "pologne"), "Europe/Warsaw"),
    **dict.fromkeys(("denmark", "dänemark", "danmark"), "Europe/Copenhagen"),
    **dict.fromkeys(("czechia", "czech republic", "tschechien"), "Europe/Prague"),
}


# Australia's states and territories, as an Australian office writes its time ("06:00 Victoria", "06:00 VIC":
# newcomer 25 #2, "Victoria is a city", given the old alias Australia/Victoria; "VIC" and "NSW" were unknown words).
STATES = {
    **dict.fromkeys(("victoria", "vic"), "Australia/Melbourne"),
    **dict.fromkeys(("new south wales", "nsw", "act", "australian capital territory"), "Australia/Sydney"),
    **dict.fromkeys(("queensland", "qld"), "Australia/Brisbane"),
    **dict.fromkeys(("tasmania", "tas"), "Australia/Hobart"),
    **dict.fromkeys(("south australia",), "Australia/Adelaide"),
    **dict.fromkeys(("western australia",), "Australia/Perth"),
    **dict.fromkeys(("northern territory", "nt"), "Australia/Darwin"),
}


def place_zone(word: str) -> tuple[str, str] | None:
    """(the zone to write, what ``word`` is, as "is a city") for a place written where a zone's name
    belongs: a state's name ("Victoria"), a city ("London"), a country with one zone ("UK"); None
    for a zone of the database's own or any other word."""
    try:
        ZoneInfo(spelled(word))
        return None
    except (ValueError, ZoneInfoNotFoundError, OSError):
        pass
    state = STATES.get(" ".join(word.split()).casefold())
    if state is not None:
        return state, "is a state's or territory's name, not a time zone's"
    city = city_zone(word)
    if city is not None:
        return city, "is a city"
    country = country_zone(word)
    if country is not None:
        return country, "is a country's name, not a time zone's"
    return None


def country_zone(name: str) -> str | None:
    """The time zone of a country written alone ("UK", "United Kingdom": Europe/London); None for
    any other word, and for a zone of the database's own ("GB", "Eire")."""
    try:
        ZoneInfo(spelled(name))
        return None
    except (ValueError, ZoneInfoNotFoundError, OSError):
        pass
    return COUNTRIES.get(" ".join(name.split()).casefold())


# Zone names that are a fixed standard time all year, and the clocks people mean by them, which
# change in summer: "09:00 EST" in July is 10:00 in New York (review 18s #4; the embargo too, review 20c #2).
ALL_YEAR = {"EST": ("America/New_York", "New York"), "MST": ("America/Denver", "Denver")}


def _hours(moment: datetime) -> str:
    """A whole-hour UTC offset as people write it: "UTC-5"."""
    offset = moment.utcoffset()
    assert offset is not None
    return f"UTC{int(offset.total_seconds() // 3600):+d}"


def standard_time_trap(naive: datetime, zone: str, *, shape: str) -> tuple[str, str] | None:
    """(what is wrong, what to write, each example written as ``shape``) for "EST" or "MST" on a day
    the clocks of the region that says it show summer time; None otherwise."""
    zone = spelled(zone)
    if zone not in ALL_YEAR:
        return None
    region, city = ALL_YEAR[zone]
    there = naive.replace(tzinfo=ZoneInfo(region))
    if not there.dst():
        return None
    fixed = naive.replace(tzinfo=ZoneInfo(zone))
    shown = fixed.astimezone(ZoneInfo(region))
    wrong = (
        f"{zone} is {_hours(fixed)} all year, but on {naive:%Y-%m-%d} {city}'s clocks show "
        f"{there.tzname()} ({_hours(there)}), so {naive:%H:%M} {zone} is {shown:%H:%M} in {city}."
    )
    write = (
        f"For {city}'s clocks write {shape.format(f'{naive:%Y-%m-%d %H:%M} {region}')}; "
        f"if you do mean {zone} all year, write {shape.format(fixed.isoformat(timespec='minutes'))}."
    )
    return wrong, write


def clock_trap(naive: datetime, tz: tzinfo, zone: str, *, shape: str) -> tuple[str, str] | None:
    """(what is wrong, what to write, each example written as ``shape``) for ``naive`` on the clocks
    of ``tz`` when a DST change skips it or shows it twice; None otherwise (review 20c #9: the
    embargo took them, as --at did not)."""
    moment = naive.replace(tzinfo=tz)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return (
            f"does not exist in {zone}: the clocks jump forward past it that day.",
            "Give a time after the change, or write the time in UTC.",
        )
    later = naive.replace(tzinfo=tz, fold=1)
    if later.utcoffset() != moment.utcoffset():
        first, second = (shape.format(one.isoformat(timespec="minutes")) for one in (moment, later))
        return (f"happens twice in {zone}: the clocks go back that night.", f"Say which one with its UTC offset: {first} or {second}.")
    return None


# A date written as people write it, not year first (newcomer 24 #3: a UK office's "03/12/2026 09:00
# Europe/London" was "not a time mailer understands", with a New York example in another form).
_NUMBERED = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?=[ T,]|$)")
_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (datetime(2000, number, 1).strftime("%B").casefold(), datetime(2000, number, 1).strftime("%b").casefold())
} | {"sept": 9}
_IN_WORDS = re.compile(
    r"^(?:(?:[A-Za-z]+day,? )?(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]+)\.?,? (\d{4})|([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4}))(?=[ T,]|$),?"
)


def _day(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


# A date written with dots ("03.04.2027"): day first in every country that writes dates so (Germany, Austria,
# Switzerland, France's and Belgium's offices, the Nordics, Eastern Europe); no country writes month.day.year.
# A list's "Einwilligung bis" cells were read so while --at and the embargo refused the same date as "3 April or
# 4 March" (edges 28): one reading everywhere, the one the office that wrote it means.
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?=[ T]|$)")


def dotted_day_first(text: str) -> str:
    """``text`` with a date written with dots at its start made year first: "03.04.2027 09:00 Europe/Berlin"
    is "2027-04-03 09:00 Europe/Berlin" (3 April, as everyone who writes dots reads it); ``text`` as it is
    for any other text, and for a dotted date that is no date day first ("02.13.2027": there is no month 13,
    and it is never read month first)."""
    found = _DOTTED.match(text)
    if found is None:
        return text
    day = _day(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    return text if day is None else f"{day:%Y-%m-%d}{text[found.end() :]}"


def date_not_year_first(text: str, *, shape: str) -> tuple[str, str] | None:
    """(what is wrong, what to write, each example written as ``shape``) for a time whose date is not
    written year first: "03/12/2026 09:00 Europe/London" (3 December in the UK, 12 March in the US:
    both are offered), "25/12/2026 ..." (one reading), "3 December 2026 ..."; None for any other text."""
    found = _NUMBERED.match(text)
    dotted = found is not None and found.group(2) == "."  # day first, never month first (``dotted_day_first``)
    if found is not None and dotted and _day(int(found.group(4)), int(found.group(3)), int(found.group(1))) is None:
        written, second = found.group(0), int(found.group(3))
        why = f"there is no month {second}" if not 1 <= second <= 12 else f"{datetime(2000, second, 1):%B} has no day {int(found.group(1))}"
        return (
            f"{written} is not a date: a date written with dots is read day first (DD.MM.YYYY), and {why}.",
            f"Write the date as DD.MM.YYYY or year first, as YYYY-MM-DD: {shape.format('YYYY-MM-DD' + text[found.end() :])}.",
        )
    if found is not None:
        first, second, year = int(found.group(1)), int(found.group(3)), int(found.group(4))
        readings = [d for d in (_day(year, second, first), None if dotted else _day(year, first, second)) if d is not None]
        readings = list(dict.fromkeys(readings))  # 05/05/2026 reads the same both ways
    else:
        found = _IN_WORDS.match(text)
        if found is None:
            return None
        day, month, in_year = (found.group(1), found.group(2), found.group(3)) if found.group(1) else found.group(5, 4, 6)
        number = _MONTHS.get(month.casefold())
        reading = None if number is None else _day(int(in_year), number, int(day))
        readings = [reading] if reading is not None else []
    if not readings:
        return None
    written, rest = text[: found.end()].rstrip(","), text[found.end() :]
    if len(readings) == 1:
        return (
            f"the date must be written year first, as YYYY-MM-DD: {written} is {readings[0]:%Y-%m-%d}.",
            f"Write {shape.format(f'{readings[0]:%Y-%m-%d}{rest}')}.",
        )
    uk, us = readings
    problem = (
        f"{written} is {uk.day} {uk:%B %Y} written day first (as in the UK and most of Europe), but {us.day} {us:%B %Y} "
        "written month first (as in the US): write the date year first, as YYYY-MM-DD."
    )
    hint = (
        f"For {uk.day} {uk:%B}, write {shape.format(f'{uk:%Y-%m-%d}{rest}')}; for {us.day} {us:%B}, {shape.format(f'{us:%Y-%m-%d}{rest}')}."
    )
    return problem, hint


def on_office_clock(moment: datetime, zone: str | None) -> datetime:
    """``moment`` in the office's time zone ([reports] time_zone, an IANA name); as it is without one."""
    return moment.astimezone(ZoneInfo(zone)) if zone else moment
