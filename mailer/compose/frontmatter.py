"""A release file's bytes -> its front matter (a dict, with each key's line) and its body.

The front matter is YAML written by a person, or by a program someone else runs: it is read
with PyYAML's safe loader, and everything odd becomes a ReleaseError with the file and line
rather than a traceback: bytes that are not UTF-8, an impossible date (``2026-13-45``), a
4,000-digit number, aliases (``*name``, the "billion laughs" bomb) and nesting deeper than a
release ever needs (which would exhaust Python's recursion).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mailer.compose import paths
from mailer.errors import ReleaseError

_OPENING = re.compile(r"\A---[ \t]*\r?\n")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
# A release's front matter is at most a list inside a mapping inside the top mapping.
MAX_NESTING = 8
_YAML_HINT = 'Each line is  key: value ; put values containing ":" or "#" in double quotes.'


class Where:
    """'releases/x.md, line 4' for a front-matter key (the file alone when unknown)."""

    def __init__(self, path: Path, lines: Mapping[str, int]) -> None:
        self.path = path
        self.lines = lines

    def __call__(self, key: object) -> str:
        line = self.lines.get(str(key))
        return f"{self.path}, line {line}" if line else str(self.path)


def read(path: Path, *, where: str | None = None, what: str = "the release") -> str:
    """The file as text (UTF-8, with or without BOM; CRLF made LF); at most paths.MOST_TEXT of it."""
    if not paths.is_file(path):
        raise ReleaseError(
            f"{path}: no such release file.",
            hint="Check the path; releases/example.md is a complete example to copy.",
        )
    data = paths.read_bytes(path, where=where or str(path), what=what, most=paths.MOST_TEXT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReleaseError(
            f"{path}, line {line}: the file is not UTF-8 text.",
            hint="Save it as UTF-8 (in your editor: Save As, Encoding: UTF-8) and try again.",
        ) from exc
    return text.replace("\r\n", "\n")


def starts_with_front_matter(raw: str) -> bool:
    """Whether the text opens with a --- ... --- block."""
    return _FRONT_MATTER.match(raw) is not None


def split(path: Path, raw: str) -> tuple[str, str, int]:
    """(front matter, body, first body line); a file without front matter has no subject."""
    match = _FRONT_MATTER.match(raw)
    if not match and _OPENING.match(raw):  # opened, never closed: "--" for "---", most often (newcomer review 8)
        raise ReleaseError(
            f"{path}, line 1: the front matter opened here is never closed: no line of just --- follows it.",
            hint='End the front matter (subject: "...", date: ... and the rest) with a line of three dashes: ---',
        )
    if not match:
        empty = "is empty" if not raw.strip() else "has no front matter"
        raise ReleaseError(
            f"{path}, line 1: the release {empty}, so no subject.",
            hint='Start the file with ---, a line  subject: "..." , and another ---.',
        )
    body_line = raw.count("\n", 0, match.end()) + 1
    return match.group(1), raw[match.end() :], body_line


class _BadValue(yaml.YAMLError):
    """A scalar YAML recognised (a date, a number) but Python cannot hold."""

    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem)
        self.node = node
        self.problem = problem


class _Loader(yaml.SafeLoader):
    """SafeLoader whose impossible values (2026-13-45, a 5,000-digit number) say where they are."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise _BadValue(node, str(exc)) from exc


def parse(path: Path, front: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The front matter as a dict, with the file line of each top-level key."""
    try:
        _check_shape(path, front)
        node = yaml.compose(front, Loader=_Loader)
        _check_unique(path, node, "")
        data = _Loader(front).get_single_data() if node is not None else None
    except _BadValue as exc:
        line = exc.node.start_mark.line + 2
        written = _short(str(exc.node.value))
        if exc.node.tag.endswith(":timestamp"):
            raise ReleaseError(
                f'{path}, line {line}: "{written}" is not a real date or time ({exc.problem}).',
                hint="Write dates as YYYY-MM-DD (2026-02-19) and times with their zone (2026-02-19T09:00:00-05:00).",
            ) from exc
        raise ReleaseError(
            f'{path}, line {line}: "{written}" is a number too large to read.',
            hint="If it is meant as text, put it in double quotes.",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)  # a ReaderError (a control character) has only an offset
        if mark is None and isinstance(position, int):
            where = f"{path}, line {front.count(chr(10), 0, position) + 2}"
        else:
            where = f"{path}, line {mark.line + 2}, column {mark.column + 1}" if mark else str(path)
        if mark is not None:
            _refuse_quotes_inside(path, front, mark.line)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReleaseError(f"{where}: the front matter is not valid YAML ({problem}).", hint=_YAML_HINT) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ReleaseError(f"{path}, line 2: the front matter must be  key: value  lines.", hint=_YAML_HINT)
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        _record(node, "", lines)
    return data, lines


# key: "text" followed by more on the line: a double quote inside a double-quoted value, as in
# subject: "News for {{ contact.outlet | default("your outlet") }}", which YAML ends at default(".
_QUOTES_INSIDE = re.compile(r'[ \t-]*(?P<key>[A-Za-z_][A-Za-z0-9_]*):[ \t]+(?P<text>"(?:[^"\\]|\\.)*")[^\s#]')


def _refuse_quotes_inside(path: Path, front: str, line: int) -> None:
    """A ReleaseError that says what went wrong when a double-quoted value holds a double quote
    (review 23a #3: "expected <block end>, but found '<scalar>'", with the hint to use double quotes)."""
    lines = front.split("\n")
    found = _QUOTES_INSIDE.match(lines[line]) if 0 <= line < len(lines) else None
    if found is None:
        return
    key, text = found.group("key"), found.group("text")
    raise ReleaseError(
        f"{path}, line {line + 2}: the {key} text starts with a double quote, so YAML ends it at the next one "
        f"({_short(text)}) and cannot read the rest of the line.",
        hint=f"Write the quotes inside it as single quotes, as in  default('your outlet') , or put the whole value "
        f"between single quotes:  {key}: 'News for {{{{ contact.outlet | default(\"your outlet\") }}}}' .",
    )


def _record(node: yaml.MappingNode, prefix: str, lines: dict[str, int]) -> None:
    """The file line of each key (``contact``; nested ones dotted: ``translations.fr.subject``),
    and as ``KEY@`` the line a multi-line (``|``) text's first line is on."""
    for key_node, value_node in node.value:
        key = prefix + str(key_node.value)
        lines[key] = key_node.start_mark.line + 2
        if isinstance(value_node, yaml.ScalarNode):
            lines[key + "@"] = value_node.start_mark.line + 2 + (1 if value_node.style in ("|", ">") else 0)
        elif isinstance(value_node, yaml.MappingNode):
            _record(value_node, key + ".", lines)


def _check_shape(path: Path, front: str) -> None:
    """No aliases, no deep nesting: checked on YAML's events, before anything is built."""
    depth = 0
    for event in yaml.parse(front, Loader=_Loader):
        line = event.start_mark.line + 2 if event.start_mark else 2
        if isinstance(event, yaml.AliasEvent):
            raise ReleaseError(
                f"{path}, line {line}: the front matter uses a YAML alias (*{event.anchor}), which a release does not need.",
                hint="Write the value out in full instead of  &name ... *name .",
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_NESTING:
                raise ReleaseError(f"{path}, line {line}: the front matter is nested too deeply.", hint=_YAML_HINT)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _check_unique(path: Path, node: yaml.Node | None, prefix: str) -> None:
    """A key written twice in one block is a ReleaseError: YAML keeps the last one without a word,
    so a second ``translations:`` block dropped the first one's languages, and a second
    ``subject:`` or ``embargo:`` replaced the one the press officer had checked (review 23a #1)."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_unique(path, item, prefix)
    if not isinstance(node, yaml.MappingNode):
        return
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            key, line = str(key_node.value), key_node.start_mark.line + 2
            if key in seen:
                raise ReleaseError(
                    f'{path}, line {line}: "{prefix}{key}" is written twice in the front matter (first on line {seen[key]}), '
                    "so one of the two would be silently left out.",
                    hint="Keep one: put everything under the first one (each language once under translations:), and delete the other.",
                )
            seen[key] = line
        _check_unique(path, value_node, f"{prefix}{key_node.value}." if isinstance(key_node, yaml.ScalarNode) else prefix)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
