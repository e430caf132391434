"""release.md -> Release: YAML front matter + a CommonMark body, checked before anything renders.

Every mistake a press officer can make in the file (a missing subject, bad YAML, a misspelt
key, an embargo without a time zone, a missing attachment, a file that is not UTF-8, a broken
``{{ ... }}``) is a ReleaseError naming the file, the line, and what to do.

Contact fields appear in the text as ``{{ contact.first_name }}`` or
``{{ contact.first_name | default("colleague") }}``; only ``{{ ... }}`` expressions are
allowed in a release (no ``{% ... %}`` blocks), because each journalist's values are filled in
after rendering, not by rendering again (see mailer/compose.py).
"""

from __future__ import annotations

import difflib
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import yaml
from jinja2 import meta, nodes

from mailer.compose.tokens import FIELD_NAME
from mailer.config import address_problem
from mailer.errors import ReleaseError
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
)
CONTACT_KEYS: tuple[str, ...] = ("name", "title", "phone", "email")
# Names a release's {{ ... }} may use.
RELEASE_NAMES: frozenset[str] = frozenset({"contact"})
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
_SYNTAX = jinja2.Environment()


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

    def texts(self) -> tuple[Text, ...]:
        """Every piece of text that may hold {{ contact.* }} expressions."""
        pieces = (self.subject, self.headline, self.subheadline, self.preheader, self.about, self.body)
        return tuple(piece for piece in pieces if piece is not None)


def load(path: Path | str, *, today: date | None = None) -> Release:
    """Read and check a release file; ``today`` is the date used when the file gives none."""
    path = Path(path)
    raw = _read(path)
    front, body, body_line = _split(path, raw)
    data, lines = _parse_yaml(path, front)
    where = _Where(path, lines)
    for key in data:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            hint = f"Did you mean {close[0]}?" if close else f"Known keys: {', '.join(KNOWN_KEYS)}."
            raise ReleaseError(f'{where(key)}: unknown front-matter key "{key}".', hint=hint)
    subject = _string(data, "subject", where)
    if not subject:
        raise ReleaseError(
            f"{where('subject')}: the release has no subject.",
            hint='Add a line such as  subject: "Example Association names new director"  between the --- lines.',
        )
    embargo = _embargo(data.get("embargo"), where)
    release_date = _date(data.get("date"), where) or (embargo.date() if embargo else today or date.today())
    from_name, from_email = _address(data, "from", where)
    _, reply_to = _address(data, "reply_to", where)
    release = Release(
        path=path,
        subject=Text(subject, lines.get("subject", 1)),
        headline=Text(_string(data, "headline", where) or subject, lines.get("headline", lines.get("subject", 1))),
        subheadline=_text(data, "subheadline", where, lines),
        preheader=_text(data, "preheader", where, lines),
        dateline=_string(data, "dateline", where) or None,
        date=release_date,
        embargo=embargo,
        contact=_contact(data.get("contact"), where),
        about=_about(path, data, where, lines),
        attachments=_attachments(path, data.get("attachments"), where),
        template=_string(data, "template", where) or "release",
        from_email=from_email,
        from_name=from_name,
        reply_to=reply_to,
        body=Text(body, body_line),
    )
    for text in release.texts():
        check_expressions(text, text.path or path)
    return release


def check_expressions(text: Text, path: Path) -> None:
    """Every {{ ... }} parses and names only ``contact``; no {% %} blocks (file and line on error)."""
    for match in EXPRESSION.finditer(text.source):
        line = text.line + text.source.count("\n", 0, match.start())
        source = match.group(0)
        if source.startswith("{%"):
            raise ReleaseError(
                f"{path}, line {line}: {source} is not supported in a release.",
                hint='Use {{ contact.FIELD }} or {{ contact.FIELD | default("...") }}; put conditions in a template instead.',
            )
        try:
            tree = _SYNTAX.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            raise ReleaseError(
                f"{path}, line {line}: {source} is not a valid expression: {exc.message}.",
                hint='Write it like {{ contact.first_name | default("colleague") }}.',
            ) from exc
        for name in sorted(meta.find_undeclared_variables(tree) - RELEASE_NAMES):
            close = difflib.get_close_matches(name, sorted(RELEASE_NAMES), n=1)
            raise ReleaseError(
                f'{path}, line {line}: {source} uses "{name}", which a release does not know.',
                hint=f"Did you mean {close[0]}?" if close else "Only contact fields (contact.NAME) can be used.",
            )
        for node in tree.find_all(nodes.Getitem):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if not isinstance(key, str) or not FIELD_NAME.match(key):
                raise ReleaseError(
                    f"{path}, line {line}: {source}: write contact fields as contact.NAME.",
                    hint='NAME is the list\'s column name in lower case with _ for spaces: "First Name" is contact.first_name.',
                )


class _Where:
    """'releases/x.md, line 4' for a front-matter key (the file alone when unknown)."""

    def __init__(self, path: Path, lines: Mapping[str, int]) -> None:
        self.path = path
        self.lines = lines

    def __call__(self, key: object) -> str:
        line = self.lines.get(str(key))
        return f"{self.path}, line {line}" if line else str(self.path)


def _read(path: Path) -> str:
    if not path.is_file():
        raise ReleaseError(
            f"{path}: no such release file.",
            hint="Check the path; releases/example.md is a complete example to copy.",
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReleaseError(
            f"{path}, line {line}: the file is not UTF-8 text.",
            hint="Save it as UTF-8 (in your editor: Save As, Encoding: UTF-8) and try again.",
        ) from exc
    return text.replace("\r\n", "\n")


def _split(path: Path, raw: str) -> tuple[str, str, int]:
    """(front matter, body, first body line); a file without front matter has no subject."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        raise ReleaseError(
            f"{path}, line 1: the release has no front matter, so no subject.",
            hint='Start the file with ---, a line  subject: "..." , and another ---.',
        )
    body_line = raw.count("\n", 0, match.end()) + 1
    return match.group(1), raw[match.end() :], body_line


def _parse_yaml(path: Path, front: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The front matter as a dict, with the file line of each top-level key."""
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 2}, column {mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReleaseError(
            f"{where}: the front matter is not valid YAML ({problem}).",
            hint='Each line is  key: value ; put values containing ":" or "#" in double quotes.',
        ) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ReleaseError(f"{path}, line 2: the front matter must be  key: value  lines.")
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            lines[str(key_node.value)] = key_node.start_mark.line + 2
    return data, lines


def _string(data: Mapping[str, Any], key: str, where: _Where) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ReleaseError(f"{where(key)}: {key} must be a single line of text.")
    return str(value).strip()


def _text(data: Mapping[str, Any], key: str, where: _Where, lines: Mapping[str, int]) -> Text | None:
    value = _string(data, key, where)
    return Text(value, lines.get(key, 1)) if value else None


def _embargo(value: Any, where: _Where) -> datetime | None:
    """A zone-aware date-time: YAML's 2026-02-19T09:00:00-05:00, or '2026-02-19 09:00 Europe/Paris'."""
    if value is None or value == "":
        return None
    hint = 'Write it with its time zone, e.g.  embargo: "2026-02-19 09:00 America/New_York"  or  2026-02-19T09:00:00-05:00.'
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        head, _, zone = text.rpartition(" ")
        try:
            if head and "/" in zone or zone.upper() == "UTC":
                moment = datetime.fromisoformat(head).replace(tzinfo=ZoneInfo(zone if zone.upper() != "UTC" else "UTC"))
            else:
                moment = datetime.fromisoformat(text)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ReleaseError(f'{where("embargo")}: "{value}" is not a date and time I can read.', hint=hint) from exc
    else:
        raise ReleaseError(f"{where('embargo')}: the embargo needs a time, not just a date.", hint=hint)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReleaseError(f"{where('embargo')}: the embargo {value} has no time zone.", hint=hint)
    return moment


def _date(value: Any, where: _Where) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ReleaseError(f'{where("date")}: "{value}" is not a date.', hint="Write it as YYYY-MM-DD, e.g. 2026-02-19.") from exc


def _address(data: Mapping[str, Any], key: str, where: _Where) -> tuple[str | None, str | None]:
    """(name, address) of from/reply_to: they become mail headers, so one line and a real address."""
    value = _string(data, key, where)
    if not value:
        return None, None
    hint = f'Write  {key}: "Press Office <press@example.org>"  on one line.'
    if "\n" in value or "\r" in value:
        raise ReleaseError(f"{where(key)}: {key} must be on one line.", hint=hint)
    name, email = parseaddr(value)
    problem = address_problem(email) if "@" in email and " " not in email else "it has no address with an @"
    if problem:
        raise ReleaseError(f'{where(key)}: "{value}" is not an email address ({problem.rstrip(".")}).', hint=hint)
    return name or None, email


def _contact(value: Any, where: _Where) -> MediaContact | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ReleaseError(f"{where('contact')}: contact must list name, title, phone and email on indented lines.")
    for key in value:
        if key not in CONTACT_KEYS:
            close = difflib.get_close_matches(str(key), CONTACT_KEYS, n=1)
            raise ReleaseError(
                f'{where("contact")}: unknown contact key "{key}".',
                hint=f"Did you mean {close[0]}?" if close else f"Known keys: {', '.join(CONTACT_KEYS)}.",
            )
    return MediaContact(**{key: str(value.get(key) or "").strip() for key in CONTACT_KEYS})


def _about(path: Path, data: Mapping[str, Any], where: _Where, lines: Mapping[str, int]) -> Text | None:
    if data.get("about_file"):
        about_path = path.parent / str(data["about_file"])
        if not about_path.is_file():
            raise ReleaseError(
                f"{where('about_file')}: {about_path} does not exist.", hint="Check the path; it is relative to the release file."
            )
        return Text(_read(about_path), 1, about_path)
    return _text(data, "about", where, lines)


def _attachments(path: Path, value: Any, where: _Where) -> tuple[Attachment, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        file = path.parent / str(item)
        if not file.is_file():
            raise ReleaseError(
                f"{where('attachments')}: the attachment {item} does not exist ({file}).",
                hint="Attachment paths are relative to the release file; check the name.",
            )
        mime_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        found.append(Attachment(filename=file.name, content=file.read_bytes(), mime_type=mime_type))
    return tuple(found)
