"""Events files for ``mailer events import``: a JSON array (or one object), or NDJSON.

A file that cannot be read at all (missing, a folder, no permission, not text) is an
EventError naming it, so the import stops before storing anything. Inside a readable file,
an event that cannot be stored, or a line that is not JSON, is quarantined and named by
file and line (parse.Quarantined), and the good events of the file are kept. A JSON array
broken in the middle keeps the events before the break; the rest is quarantined whole,
from the line where the break is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mailer.errors import EventError
from mailer.events.parse import Batch, Event, Quarantined, bounded_int, from_object, safe_json, safe_text

__all__ = ["FILE_HINT", "read_file"]

FILE_HINT = "An events file holds a JSON array of SendGrid events, or one JSON event object per line (NDJSON)."
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_BIG_DECODER = json.JSONDecoder(parse_int=bounded_int)


def read_file(path: Path) -> Batch:
    """The events in a file; those that cannot be read are quarantined, named by file and line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise EventError(f"{path}: no such file.", hint="Check the file name.") from exc
    except IsADirectoryError as exc:
        raise EventError(f"{path}: is a folder, not an events file.", hint="Name the JSON or NDJSON files inside it.") from exc
    except OSError as exc:
        raise EventError(f"{path}: cannot be read ({exc.strerror}).", hint="Check the file's permissions.") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise EventError(f"{path}: saved as UTF-16, not UTF-8.", hint=FILE_HINT + " Save it again as UTF-8 (any text editor can).")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if data.lstrip().startswith(b"["):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError(
                f"{path}: not a text file in UTF-8 (byte {exc.start + 1} is not UTF-8).",
                hint=FILE_HINT + " Export the events again, or save the file as UTF-8.",
            ) from exc
        try:
            whole = json.loads(text)
        except (ValueError, RecursionError):
            return _read_array(path, text)  # keeps the events before the break
        if isinstance(whole, list):
            # The quick path; only a file with a bad event is read again, element by element, for its lines.
            batch = _batch(path, [(0, item) for item in whole])
            if not batch.quarantined:
                return batch
        return _read_array(path, text)
    try:
        whole = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:  # lines in another encoding are quarantined; a binary file is refused
        batch = _read_lines(path, data)
        if not batch.events:
            raise EventError(
                f"{path}: not a text file in UTF-8 (byte {exc.start + 1} is not UTF-8), and no line holds an event.",
                hint=FILE_HINT + " Export the events again, or save the file as UTF-8.",
            ) from exc
        return batch
    except (ValueError, RecursionError):  # not one JSON value: NDJSON, read line by line below
        return _read_lines(path, data)
    if isinstance(whole, dict):
        return _batch(path, [(1, whole)])
    if data.strip().count(b"\n") == 0:
        return Batch([], [Quarantined(f"{path} line 1", f"holds {_kind(whole)}, not events.", safe_json(whole))])
    return _read_lines(path, data)


def _read_lines(path: Path, data: bytes) -> Batch:
    """NDJSON: one object per line; blank lines are skipped; a bad line is quarantined by number."""
    items: list[tuple[int, object]] = []
    bad: list[Quarantined] = []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            items.append((number, _decode(line.decode("utf-8"))))
        except UnicodeDecodeError as exc:
            bad.append(Quarantined(where, f"not UTF-8 text (byte {exc.start + 1}).", safe_text(line)))
        except json.JSONDecodeError as exc:
            bad.append(Quarantined(where, f"not valid JSON ({exc.msg}, column {exc.colno}).", safe_text(line)))
        except RecursionError:
            bad.append(Quarantined(where, "nested too deeply to read.", safe_text(line)))
        except ValueError as exc:
            bad.append(Quarantined(where, f"cannot be read as JSON ({exc}).", safe_text(line)))
    batch = _batch(path, items)
    return Batch(batch.events, sorted([*bad, *batch.quarantined], key=_line_of))


def _read_array(path: Path, text: str) -> Batch:
    """A JSON array, element by element, so each event is named by the line it starts on."""
    items: list[tuple[int, object]] = []
    position = _SPACE.match(text, text.index("[") + 1).end()  # type: ignore[union-attr]
    line = 1 + text.count("\n", 0, position)
    counted = position
    rest: Quarantined | None = None
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            line += text.count("\n", counted, position)
            counted = position
            try:
                value, position = _raw_decode(text, position)
            except json.JSONDecodeError as exc:
                rest = Quarantined(f"{path} line {exc.lineno}", f"not valid JSON ({exc.msg}, column {exc.colno}).", text[counted:])
                break
            except (RecursionError, ValueError) as exc:
                reason = "nested too deeply to read" if isinstance(exc, RecursionError) else str(exc)
                rest = Quarantined(f"{path} line {line}", f"cannot be read as JSON ({reason}).", text[counted:])
                break
            items.append((line, value))
            position = _SPACE.match(text, position).end()  # type: ignore[union-attr]
            if text.startswith(",", position):
                position = _SPACE.match(text, position + 1).end()  # type: ignore[union-attr]
                continue
            if text.startswith("]", position):
                position += 1
                break
            where = f"{path} line {1 + text.count(chr(10), 0, position)}"
            rest = Quarantined(where, "not valid JSON (expected , or ] after an event).", text[position:])
            break
    if rest is None and text[position:].strip():
        where = f"{path} line {1 + text.count(chr(10), 0, position)}"
        rest = Quarantined(where, "text after the end of the JSON array.", text[position:])
    batch = _batch(path, items)
    if rest is None:
        return batch
    raw = rest.raw.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return Batch(batch.events, [*batch.quarantined, Quarantined(rest.where, rest.reason + " The rest of the file is kept whole.", raw)])


def _raw_decode(text: str, position: int) -> tuple[object, int]:
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer past Python's digit limit: such numbers read as Infinity
        return _BIG_DECODER.raw_decode(text, position)


def _decode(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        raise
    except ValueError:
        return json.loads(line, parse_int=bounded_int)


def _batch(path: Path, items: list[tuple[int, object]]) -> Batch:
    events: list[Event] = []
    bad: list[Quarantined] = []
    for line, item in items:
        where = f"{path} line {line}"
        try:
            events.append(from_object(item, where=where))
        except EventError as exc:
            bad.append(Quarantined(where, exc.message.removeprefix(f"{where}: "), safe_json(item)))
    return Batch(events, bad)


def _line_of(item: Quarantined) -> int:
    return int(item.where.rsplit(" ", 1)[-1])


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
