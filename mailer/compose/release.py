"""release.md -> Release: YAML front matter + a CommonMark body, checked before anything renders.

Every mistake a press officer can make in the file (a missing subject, bad YAML, a misspelt
key, an embargo without a time zone, a missing attachment, a file that is not UTF-8, a broken
``{{ ... }}``) is a ReleaseError naming the file, the line, and what to do.

Contact fields appear in the text as ``{{ contact.first_name }}`` or
``{{ contact.first_name | default("colleague") }}``; only ``{{ ... }}`` expressions are
allowed in a release (no ``{% ... %}`` blocks), because each journalist's values are filled in
after rendering, not by rendering again (see render.py). A release is data, not code
(promise 10): every expression, front matter and body alike, passes the one rule in
sandbox.py, and every file it names stays inside its folder (paths.py).
"""

from __future__ import annotations

import difflib
import mimetypes
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailer import zones
from mailer.compose import frontmatter, paths, sandbox
from mailer.config import address_problem
from mailer.errors import ReleaseError
from mailer.linebreaks import LINE_BREAKS
from mailer.models import Attachment

KNOWN_KEYS: tuple[str, ...] = (
    "subject",
    "headline",
    "subheadline",
    "preheader",
    "dateline",
    "date",
    "embargo",
    "contact",
    "about",
    "about_file",
    "attachments",
    "template",
    "from",
    "reply_to",
    "language",
    "translations",
)
CONTACT_KEYS: tuple[str, ...] = ("name", "title", "phone", "email")
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_OPENER = re.compile(r"\{[{%#]")


def expressions(source: str) -> Iterator[re.Match[str]]:
    """EXPRESSION's matches in ``source``, as its finditer gives them, in a time that grows with the text:
    finditer tries again from every "{{" after one that is never closed, reading the rest of the text
    each time (an agency's release holding 100,000 of them took mailer preview hours; review 25k #4).
    A "{{" with no "}}" after it has none after any later one either."""
    position, unclosed = 0, set()
    while (opener := _OPENER.search(source, position)) is not None:
        found = None if opener.group(0) in unclosed else EXPRESSION.match(source, opener.start())
        if found is None:
            unclosed.add(opener.group(0))
            position = opener.start() + 1
            continue
        yield found
        position = found.end()


@dataclass(frozen=True, slots=True)
class MediaContact:
    """Who journalists call about the release."""

    name: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of release text and the file line it starts on (for error messages)."""

    source: str
    line: int
    path: Path | None = None  # set when the text comes from another file (about_file)


@dataclass(frozen=True, slots=True)
class Release:
    """A checked release: every front-matter field and the Markdown body, ready to render."""

    path: Path
    subject: Text
    headline: Text
    subheadline: Text | None
    preheader: Text | None
    dateline: str | None
    date: date
    embargo: datetime | None
    contact: MediaContact | None
    about: Text | None
    attachments: tuple[Attachment, ...]
    template: str
    from_email: str | None
    from_name: str | None
    reply_to: str | None
    body: Text
    template_line: int = 0  # the line of ``template:`` (0: the file gave none)
    language: str = "en"  # a language tag: en, fr, fr-CA (``language:`` in the main file; a version's from its name)
    # The other language versions (on the main release only): language -> Release (README, Languages).
    versions: Mapping[str, Release] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # warnings from loading (a version lacking a field the main file has)

    def texts(self) -> tuple[Text, ...]:
        """Every piece of text that may hold {{ contact.* }} expressions."""
        pieces = (self.subject, self.headline, self.subheadline, self.preheader, self.about, self.body)
        return tuple(piece for piece in pieces if piece is not None)

    def all_versions(self) -> dict[str, Release]:
        """Language -> version, the main release first (the default version)."""
        return {self.language: self, **self.versions}

    def version(self, language: str | None) -> Release:
        """The version a journalist whose ``language`` column says this receives: ``fr-CA``, then
        ``fr``, then the main release (the default version; also for an empty or unknown language)."""
        from mailer.compose import labels

        found = self.all_versions()
        chosen = labels.pick(found, language)
        return found[chosen] if chosen is not None else self


def load(path: Path | str, *, today: date | None = None) -> Release:
    """Read and check a release file and its language versions; ``today`` is the date used when the file gives none.

    Versions are ``NAME.LANG.md`` files beside ``NAME.md`` and the ``translations:`` block
    (mailer/compose/versions.py); each is checked like the main file and lands in ``versions``.
    Raises ReleaseError, naming the file and line, for a file that is missing or wrong (front
    matter, Markdown, an expression a release cannot use, an attachment outside its folder).
    """
    from mailer.compose import versions

    path = Path(path)
    _check_name(path)
    main_path = versions.main_of(path)
    if main_path is not None:
        # launch.fr.md is the French version of launch.md beside it: read as that version (the main
        # file's embargo, date and the French words), not as an undated, unembargoed English
        # release of its own, which a send to a French list put out before the embargo (review 23a #10).
        whole = load(main_path, today=today)
        for version in whole.versions.values():
            if paths.is_same_file(version.path, path):
                return replace(version, path=path, versions={})
    raw = frontmatter.read(path)
    front, body, body_line = frontmatter.split(path, raw)
    data, lines = frontmatter.parse(path, front)
    where = frontmatter.Where(path, lines)
    check_keys(data, KNOWN_KEYS, where)
    main = build(path, data, lines, Text(body, body_line), where, today=today, language=versions.main_language(data, where))
    return versions.attach(main, data, lines, today=today)


def _check_name(path: Path) -> None:
    """The release's full path must be text the log can keep (a resume reads the file again by it):
    a folder or file name with a byte that is not UTF-8 (kept from an old zip) is refused, shown
    with ``\\xNN`` for that byte (review 7: the log's driver refused it with a traceback)."""
    full = str(path.resolve())
    try:
        full.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(full).decode("utf-8", "backslashreplace")
        raise ReleaseError(
            f"{shown}: the file's name (or a folder's) is not UTF-8 text, so the delivery log cannot keep it.",
            hint="Rename the file or folder (type its name again in plain letters), then run the command again.",
        ) from None


def check_keys(data: Mapping[str, Any], known: tuple[str, ...], where: frontmatter.Where) -> None:
    """Every front-matter key is one ``known``; a misspelt one says what it probably is."""
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"Did you mean {close[0]}?" if close else f"Known keys: {', '.join(known)}."
            raise ReleaseError(f'{where(key)}: unknown front-matter key "{key}".', hint=hint)


def build(
    path: Path,
    data: Mapping[str, Any],
    lines: Mapping[str, int],
    body: Text | None,
    where: frontmatter.Where,
    *,
    today: date | None,
    language: str,
    base: Release | None = None,
) -> Release:
    """A Release from checked front matter; a version (``base`` given) takes what it lacks from ``base``."""
    data = _without_notes(data, where)
    subject = _string(data, "subject", where)
    if not subject and base is None:
        raise ReleaseError(
            f"{where('subject')}: the release has no subject.",
            hint='Add a line such as  subject: "Example Association names new director"  between the --- lines.',
        )
    if base is None:
        embargo = _embargo(data.get("embargo"), where)
        release_date = _date(data.get("date"), where) or (embargo.date() if embargo else today or date.today())
    else:
        embargo, release_date = base.embargo, base.date
    from_name, from_email = _address(data, "from", where)
    _, reply_to = _address(data, "reply_to", where)
    subject_text = Text(subject, lines.get("subject", 1)) if subject else _inherited(base, "subject")
    assert subject_text is not None
    headline = _string(data, "headline", where)
    if headline:
        headline_text = Text(headline, lines.get("headline", 1))
    elif base is not None and not subject:
        headline_text = base.headline
    else:
        headline_text = replace(subject_text)  # no headline: the subject is the headline
    release = Release(
        path=path,
        subject=subject_text,
        headline=headline_text,
        subheadline=_text(data, "subheadline", where, lines) or _inherited(base, "subheadline"),
        preheader=_text(data, "preheader", where, lines) or _inherited(base, "preheader"),
        dateline=_string(data, "dateline", where) or (base.dateline if base else None),
        date=release_date,
        embargo=embargo,
        contact=_contact(data.get("contact"), where) if data.get("contact") is not None else (base.contact if base else None),
        about=_about(path, data, where, lines) or _inherited(base, "about"),
        attachments=_attachments(path, data.get("attachments"), where)
        if data.get("attachments") is not None or base is None
        else base.attachments,
        template=_template(data, where) if data.get("template") or base is None else base.template,
        from_email=from_email or (base.from_email if base else None),
        from_name=from_name or (base.from_name if base else None),
        reply_to=reply_to or (base.reply_to if base else None),
        body=body if body is not None else _inherited(base, "body") or Text("", 1),
        template_line=lines.get("template", 0) if data.get("template") or base is None else base.template_line,
        language=language,
    )
    for text in release.texts():
        check_expressions(text, text.path or path)
    _check_unfilled(data, where)
    return release


# One-line texts of the front matter, shown as written: a note to colleagues in one
# ("Record bees <!-- check the number -->") reached every journalist (newcomer 17b #8).
_NOTED = ("subject", "headline", "subheadline", "preheader", "dateline")
_NOTE = re.compile(r"\s*<!--.*?-->\s*", re.DOTALL)


def _without_notes(data: Mapping[str, Any], where: frontmatter.Where) -> Mapping[str, Any]:
    """``data`` without the HTML comments (notes to colleagues) in its one-line texts, which the
    text of the release hides too; a note never closed is a ReleaseError, as in the text."""
    if not any(isinstance(data.get(key), str) and "<!--" in data[key] for key in _NOTED):
        return data
    cleaned = dict(data)
    for key in _NOTED:
        value = data.get(key)
        if not isinstance(value, str) or "<!--" not in value:
            continue
        kept = _NOTE.sub(" ", value).strip()
        if "<!--" in kept:
            raise ReleaseError(
                f"{where(key)}: the note in {key} ({kept[kept.index('<!--') :][:40]}) is never closed, so journalists would read it.",
                hint="End the note with --> where it ends: <!-- your note -->, or take it out.",
            )
        cleaned[key] = kept
    return cleaned


# Texts the same for every journalist, printed as written: a {{ ... }} in them would reach
# everyone as it is typed (review 17c #14).
_UNFILLED = ("dateline", "from", "contact.name", "contact.title", "contact.phone", "contact.email")


def _check_unfilled(data: Mapping[str, Any], where: frontmatter.Where) -> None:
    """A ReleaseError for ``{{ ... }}`` in the dateline or the media contact, which are not personalized."""
    for key in _UNFILLED:
        head, _, inner = key.partition(".")
        value = data.get(head)
        if inner:
            value = value.get(inner) if isinstance(value, dict) else None
        if isinstance(value, str) and next(expressions(value), None) is not None:
            shown = value if len(value) <= 60 else value[:57] + "..."
            label = "the media contact's " + inner if inner else key
            raise ReleaseError(
                f"{where(key) if where.lines.get(key) else where(head)}: {label} is the same for every journalist, so it cannot hold "
                f'{{{{ ... }}}}: "{shown}" would reach them as it is written.',
                hint="Write it as it reads for everyone; contact fields go in the subject, headline, subheadline, "
                "preheader, about and the text of the release.",
            )


def _inherited(base: Release | None, name: str) -> Text | None:
    """A version's text taken from the main release: errors in it name the main file."""
    text: Text | None = getattr(base, name) if base is not None else None
    return replace(text, path=text.path or base.path) if text is not None and base is not None else None


def check_expressions(text: Text, path: Path) -> None:
    """Every {{ ... }} in ``text`` passes the one rule of mailer/compose/sandbox.py (file and line on error)."""
    line, position = text.line, 0
    for match in expressions(text.source):
        line, position = line + text.source.count("\n", position, match.start()), match.start()
        sandbox.check_expression(match.group(0), f"{path}, line {line}")


def _string(data: Mapping[str, Any], key: str, where: frontmatter.Where) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ReleaseError(
            f"{where(key)}: {key} must be a single line of text.",
            hint=f'Write it on one line in double quotes:  {key}: "..."  (no [ ], no indented lines below it).',
        )
    if not isinstance(value, str):
        kind = "a date" if isinstance(value, (date, datetime)) else "true or false" if isinstance(value, bool) else "a number"
        if isinstance(value, bytes):  # !!binary
            kind, value = "binary data", "!!binary"
        raise ReleaseError(
            f"{where(key)}: {key} must be text, but YAML reads it as {kind} ({value}).",
            hint=f'Put the value in double quotes:  {key}: "..."',
        )
    return value.strip()


def _text(data: Mapping[str, Any], key: str, where: frontmatter.Where, lines: Mapping[str, int]) -> Text | None:
    value = _string(data, key, where)
    return Text(value, lines.get(key, 1)) if value else None


# A time zone named in one word ("CET", "EST", "Japan"), not an offset ("+01:00") nor part of a date.
_ZONE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+_-]*")


def _embargo(value: Any, where: frontmatter.Where) -> datetime | None:
    """A zone-aware date-time: YAML's 2026-02-19T09:00:00-05:00, or '2026-02-19 09:00 Europe/Paris'."""
    if value is None or value == "":
        return None
    hint = 'Write it with its time zone, e.g.  embargo: "2026-02-19 09:00 America/New_York"  or  2026-02-19T09:00:00-05:00.'
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = " ".join(value.split())  # a no-break or double space pasted from an email is a space (review 18s #2)
        text = zones.dotted_day_first(text)  # "03.04.2027 10:00 Europe/Berlin": 3 April, as everywhere (edges 28)
        head, _, zone = text.rpartition(" ")
        # As --at reads them (review 18y #13): "00:01 GMT", as embargo lines are written, a zone in
        # lower case, an hour without its leading zero.
        head = zones.iso_clock(head)  # and "10h00" as French writes it (newcomer 23 #12)
        try:
            if head and zone.upper() in ("UTC", "GMT", "Z"):  # the email's line says GMT of GMT, UTC of the others
                moment = datetime.fromisoformat(head).replace(tzinfo=ZoneInfo("GMT" if zone.upper() == "GMT" else "UTC"))
            elif head and ("/" in zone or (_ZONE_WORD.fullmatch(zone) and zones.abbreviation_hint(head, zone, shape="{}") is None)):
                # A zone name without a region too, as --at takes it (newcomer 20 #8: "09:00 CET", as
                # European releases write it, and "09:00 EST" were "not a date and time I can read").
                naive = datetime.fromisoformat(head)
                # "09:00 EST" in July is 10:00 in New York: refused as --at refuses it (review 20c #2)
                trap = zones.standard_time_trap(naive, zone, shape='embargo: "{}"')
                if trap is not None:
                    raise ReleaseError(f'{where("embargo")}: "{value}": {trap[0]}', hint=trap[1])
                tz = ZoneInfo(zones.spelled(zone))
                trap = zones.clock_trap(naive, tz, zones.spelled(zone), shape='embargo: "{}"')  # review 20c #9
                if trap is not None:
                    raise ReleaseError(f'{where("embargo")}: "{value}" {trap[0]}', hint=trap[1])
                moment = naive.replace(tzinfo=tz)
            else:
                moment = datetime.fromisoformat(text)
        except (ValueError, ZoneInfoNotFoundError, OSError) as exc:
            written = zones.date_not_year_first(text, shape='embargo: "{}"')  # "03/12/2026 00:01 GMT" (newcomer 24 #3)
            if written is not None:
                raise ReleaseError(f'{where("embargo")}: "{value}": {written[0]}', hint=written[1]) from exc
            _refuse_zone_as_people_write_it(head, zone, value, where)
            raise ReleaseError(f'{where("embargo")}: "{value}" is not a date and time I can read.', hint=hint) from exc
    else:
        raise ReleaseError(f"{where('embargo')}: the embargo needs a time, not just a date.", hint=hint)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReleaseError(f"{where('embargo')}: the embargo {value} has no time zone.", hint=hint)
    try:
        moment.astimezone(UTC)  # every instant is stored as UTC (promise 7)
    except (OverflowError, ValueError) as exc:
        raise ReleaseError(f"{where('embargo')}: the embargo {value} is out of range.", hint=hint) from exc
    return moment


def _refuse_zone_as_people_write_it(head: str, zone: str, value: str, where: frontmatter.Where) -> None:
    """A ReleaseError naming the zone to write for an embargo ending in a clock's abbreviation
    ("00:01 BST", as a UK release in summer writes it) or a city ("09:00 London"), as --at names it
    (review 18z #5: "not a date and time I can read", with a New York example)."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", head):
        head, _, more = head.rpartition(" ")  # "09:00 New York": the city is two words
        zone = f"{more} {zone}"
        if not re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", head):
            return
    hint = zones.abbreviation_hint(head, zone, shape='embargo: "{}"')
    if hint is not None:
        raise ReleaseError(f'{where("embargo")}: "{value}": {zone} is an abbreviation, not a time zone name I know.', hint=hint)
    place = zones.place_zone(zone)  # "00:01 UK" (newcomer 24 #4), "06:00 Victoria" (newcomer 25 #2)
    if place is not None:
        named, said = place
        raise ReleaseError(
            f'{where("embargo")}: "{value}": {zone} {said}; the embargo needs the name of its time zone, which starts with the region.',
            hint=f'Write  embargo: "{head} {named}"',
        )


def _date(value: Any, where: frontmatter.Where) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(zones.dotted_day_first(str(value).strip()))  # "03.04.2027": 3 April (edges 28)
    except ValueError as exc:
        written = zones.date_not_year_first(" ".join(str(value).split()), shape="date: {}")  # "03/12/2026" (newcomer 24 #3)
        if written is not None:
            raise ReleaseError(f'{where("date")}: "{value}": {written[0]}', hint=written[1]) from exc
        raise ReleaseError(f'{where("date")}: "{value}" is not a date.', hint="Write it as YYYY-MM-DD, e.g. 2026-02-19.") from exc


def _address(data: Mapping[str, Any], key: str, where: frontmatter.Where) -> tuple[str | None, str | None]:
    """(name, address) of from/reply_to: they become mail headers, so one line and a real address."""
    value = _string(data, key, where)
    if not value:
        return None, None
    hint = f'Write  {key}: "Press Office <press@example.org>"  on one line.'
    if any(char in LINE_BREAKS for char in value):  # U+2028 too: the proof showed "\u2028", the email a space
        raise ReleaseError(f"{where(key)}: {key} must be on one line.", hint=hint)
    name, email = split_address(value)
    problem = address_problem(email) if "@" in email and " " not in email else "it has no address with an @"
    if problem:
        raise ReleaseError(f'{where(key)}: "{value}" is not an email address ({problem.rstrip(".")}).', hint=hint)
    return name or None, email


_NAMED = re.compile(r"\A(?P<name>.*?)\s*<(?P<address>[^<>]*)>\Z", re.DOTALL)


def split_address(value: str) -> tuple[str, str]:
    """(display name, address) of ``Name <address>`` or a bare address.

    People write a comma in the name without quotes ("Riverbend Beekeepers, Press Office
    <press@example.org>"); RFC 5322 would read two addresses, and email.utils.parseaddr gives
    up. The name is everything before the last <...>, its quotes and backslash escapes undone.
    """
    value = value.strip()
    match = _NAMED.match(value)
    if not match:
        return parseaddr(value) if value.startswith('"') else ("", value)
    name = match.group("name").strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return name.strip(), match.group("address").strip()


def _contact(value: Any, where: frontmatter.Where) -> MediaContact | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ReleaseError(
            f"{where('contact')}: contact must list name, title, phone and email on indented lines.",
            hint='For example:\ncontact:\n  name: "Dana Whitfield"\n  email: "press@example.org"',
        )
    for key in value:
        if key not in CONTACT_KEYS:
            close = difflib.get_close_matches(str(key), CONTACT_KEYS, n=1)
            raise ReleaseError(
                f'{where("contact")}: unknown contact key "{key}".',
                hint=f"Did you mean {close[0]}?" if close else f"Known keys: {', '.join(CONTACT_KEYS)}.",
            )
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise ReleaseError(
                f"{where('contact')}: the contact's {key} must be a single line of text.",
                hint=f'Write it on one indented line:  {key}: "..."',
            )
        if item is not None and not isinstance(item, str):
            # YAML reads phone: +4930123456 as 4930123456 and phone: 030123456 as the octal 6334254:
            # every journalist read a wrong number (review 23a #7).
            kind = "a date" if isinstance(item, (date, datetime)) else "true or false" if isinstance(item, bool) else "a number"
            raise ReleaseError(
                f"{where('contact.' + str(key))}: the contact's {key} must be text, but YAML reads it as {kind} ({item}).",
                hint=f'Put the value in double quotes:  {key}: "..."  (as a number, YAML drops a leading + or 0, and reads 030123456 as 6334254).',
            )
    return MediaContact(**{key: str(value.get(key) or "").strip() for key in CONTACT_KEYS})


# A SendGrid API key as SendGrid makes them: "SG.", 22 characters, ".", 43 (so never by chance in a PDF's bytes).
_API_KEY = re.compile(rb"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
ABOUT_SUFFIXES = (".md", ".markdown", ".txt")  # what an about_file may be: the boilerplate's text
_SQLITE_HEADER = b"SQLite format 3\x00"  # the first bytes of every SQLite database file
# The first bytes of an SQLite write-ahead log (mailer.db-wal, there while a send or the webhook runs:
# the log is in WAL mode) and of a rollback journal (sqlite.org/fileformat.html, 4.1 and 4.3).
_SQLITE_SIDE_FILES = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83", b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7")


def _delivery_log(content: bytes) -> bool:
    """Whether an attachment's bytes are press-mailer's delivery log: an SQLite database holding its
    campaigns and messages, or its write-ahead log or journal. Another SQLite file is a data set an office may attach (a GeoPackage map
    layer, bees.gpkg, is one; review 24y #5: it was refused as "a delivery log")."""
    if content.startswith(_SQLITE_SIDE_FILES):  # its write-ahead log or journal: recent pages of it (review 24y #6)
        return True
    if not content.startswith(_SQLITE_HEADER):
        return False
    try:
        with closing(sqlite3.connect(":memory:")) as database:
            database.deserialize(content)
            tables = {name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except (sqlite3.Error, AttributeError):  # unreadable here (or no deserialize in this SQLite): refused, to be safe
        return True
    return {"campaign", "message"} <= tables


def _about(path: Path, data: Mapping[str, Any], where: frontmatter.Where, lines: Mapping[str, int]) -> Text | None:
    if data.get("about_file"):
        written = _string(data, "about_file", where)
        about_path = paths.inside(
            written, base=path.parent, root=path.parent, where=where("about_file"), what=f'the about file "{written}"'
        )
        if not paths.is_file(about_path):
            raise ReleaseError(
                f"{where('about_file')}: {path.parent / written} does not exist.",
                hint="Check the path; it is relative to the release file.",
            )
        if about_path.suffix.lower() not in ABOUT_SUFFIXES:
            # For a release saved beside mailer.toml its folder is the whole office: "about_file:
            # mailer.toml" printed the settings (a database password) in every email, and
            # "lists/press.csv" every journalist's address (review 24k #7).
            raise ReleaseError(
                f'{where("about_file")}: the about file "{written}" is not a Markdown or text file ({", ".join(ABOUT_SUFFIXES)}), '
                "and its text would go to every journalist.",
                hint="Write the About text in a .md file beside the release (kit/about.md), or under about: in the front matter.",
            )
        about = frontmatter.read(about_path, where=where("about_file"), what=f'the about file "{written}"')
        if _API_KEY.search(about.encode("utf-8", "replace")):
            raise ReleaseError(
                f'{where("about_file")}: the about file "{written}" holds what looks like a SendGrid API key (not shown here), '
                "and its text would go to every journalist.",
                hint="Write the About text in a .md file beside the release (kit/about.md), or under about: in the front matter. "
                "Keep the key out of files in the office folder: set it with  export SENDGRID_API_KEY=...",
            )
        return Text(about, 1, about_path)
    return _text(data, "about", where, lines)


def _attachments(path: Path, value: Any, where: frontmatter.Where) -> tuple[Attachment, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ReleaseError(
                f"{where('attachments')}: each attachment is a file name, not {item!r}.",
                hint="Write one file name per line:\nattachments:\n  - kit/report.pdf",
            )
        file = paths.inside(item, base=path.parent, root=path.parent, where=where("attachments"), what=f'the attachment "{item}"')
        if not paths.is_file(file):
            raise ReleaseError(
                f"{where('attachments')}: the attachment {item} does not exist ({path.parent / item}).",
                hint="Attachment paths are relative to the release file; check the name.",
            )
        mime_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        content = paths.read_bytes(file, where=where("attachments"), what=f"the attachment {item}", most=paths.MOST_ATTACHED)
        if _API_KEY.search(content):  # .env, "sendgrid key.txt": the key never goes to anyone (promise 5; review 24y #7)
            raise ReleaseError(
                f"{where('attachments')}: the attachment {item} holds what looks like a SendGrid API key (not shown here), "
                "which would go to every journalist.",
                hint="Take it out of attachments:. Keep the key out of files in the office folder: set it with  export SENDGRID_API_KEY=...",
            )
        if file.name.lower() == "mailer.toml" or _delivery_log(content):
            # press-mailer's own settings (a database password) or a delivery log (every journalist
            # the office mails): never for journalists (review 24k #7).
            kind = "press-mailer's settings file" if file.name.lower() == "mailer.toml" else "a delivery log (an SQLite database)"
            raise ReleaseError(
                f"{where('attachments')}: the attachment {item} is {kind}, which would go to every journalist.",
                hint="Take it out of attachments:; attach the files meant for journalists (kit/report.pdf).",
            )
        found.append(Attachment(filename=file.name, content=content, mime_type=mime_type))
    return tuple(found)


def _template(data: Mapping[str, Any], where: frontmatter.Where) -> str:
    """The template's name ("release" by default): a name inside the templates folder, never a path out of it."""
    name = _string(data, "template", where) or "release"
    written = Path(name)
    if written.is_absolute() or ".." in written.parts or name.startswith("~") or "\\" in name or "\0" in name:
        raise ReleaseError(
            f'{where("template")}: the template "{name}" is outside the templates folder, so it cannot be used.',
            hint="Write the template's name, e.g.  template: letter  for letter.html.j2 in the templates folder "
            "([compose] templates in mailer.toml) or in the release's folder.",
        )
    return name
