"""Events files for ``mailer events import``: a JSON array (or one object), or NDJSON, read as a stream.

A file that cannot be read at all (missing, a folder, no permission, not text) is an
EventError naming it; ``check`` finds that before anything is stored. Inside a readable file,
an event that cannot be stored, or a line that is not JSON, is quarantined and named by
file and line (parse.Quarantined), and the good events of the file are kept. A JSON array
broken in the middle keeps the events before the break; the rest is quarantined from the
line where the break is (whole, or its first megabyte when it is longer: the file has the rest).

``stream`` reads a file in batches of a few thousand events, so a 425 MB file never sits in
memory whole (issue 12); ``read_file`` collects the batches for small files and tests.
"""

from __future__ import annotations

import codecs
import json
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from mailer.errors import EventError
from mailer.events.parse import (
    Batch,
    Event,
    Quarantined,
    Unreadable,
    bounded_int,
    decode,
    from_object,
    safe_json,
    safe_text,
)

__all__ = ["BATCH", "FILE_HINT", "check", "read_file", "stream"]

FILE_HINT = "An events file holds a JSON array of SendGrid events, or one JSON event object per line (NDJSON)."
BATCH = 5000  # events per batch from ``stream``
_READ = 1 << 20  # bytes read at a time
_WHOLE_LIMIT = 64 << 20  # a file whose first line is not JSON is tried as one (pretty-printed) object up to this size
_REST_KEPT = 1 << 20  # characters of a broken array's rest kept in its quarantine row (the file itself has all of it)
_SPACE = re.compile(r"[ \t\n\r]*")
_BIG_DECODER = json.JSONDecoder(parse_int=bounded_int)
_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_BOM = b"\xef\xbb\xbf"
_OBJECT_LINE = re.compile(rb"\n[ \t\r]*\{")


def read_file(path: Path | str) -> Batch:
    """The events in a file (a path, as text or Path); those that cannot be read are quarantined,
    named by file and line. Raises EventError for a file that cannot be read at all, or in which
    no line holds an event (a press list given by mistake), as `mailer events import` refuses it:
    its rows are not quarantined into the log (newcomer 16py: read_file took a CSV list as 50
    unreadable events, each holding a journalist's row)."""
    path = Path(path)
    check(path)
    events: list[Event] = []
    bad: list[Quarantined] = []
    for batch in stream(path):
        events.extend(batch.events)
        bad.extend(batch.quarantined)
    return Batch(events, bad)


def check(path: Path | str) -> None:
    """Raise EventError, naming the file, if it cannot be read at all; the events are not stored.

    Reads the file through once to check it is UTF-8 (fast: no JSON is parsed, except for an
    NDJSON file with lines in another encoding, which is refused only if no line holds an event).
    """
    path = Path(path)
    with _open(path) as file:
        first = _start(path, file)
        decoder = codecs.getincrementaldecoder("utf-8")()
        fed = 0
        objects = first in (b"[", b"{")  # a line that starts an object: an event, or a broken one to quarantine
        tail = b"\n"
        while True:
            chunk = file.read(_READ)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                offset = fed - pending + exc.start
                break
            if not chunk:
                if (
                    not objects and first and not _json_first_line(file)
                ):  # a press list given by mistake: its rows must not fill the quarantine (review 8)
                    raise _not_events(path, file)
                if first == b"{":
                    _refuse_activity_answer(path, file)
                return
            objects = objects or _OBJECT_LINE.search(tail + chunk) is not None
            tail = chunk[-1:]
            fed += len(chunk)
    if first == b"[":
        raise _not_utf8(path, offset)
    for batch in stream(path):  # lines in another encoding are quarantined; with no event at all, stream raises
        if batch.events:
            return


# The columns of SendGrid's suppression lists exported as CSV (bounces, blocks, spam reports, global and
# group unsubscribes, invalid emails), as compared: lower case, no punctuation.
_SUPPRESSION_EXPORT = frozenset({"email", "created", "reason", "status", "ip", "groupid", "groupname"})


def _not_events(path: Path, file: BinaryIO) -> EventError:
    """The error for a file in which no line holds an event: what it is when its first line is a CSV
    header (SendGrid's Email Activity export, a CSV of addresses such as SendGrid's bounces export),
    and what to do with it (newcomer 21 #2: "is this the right file?" for SendGrid's own export)."""
    from mailer.models import ACTIVITY_EXPORT_HINT, is_activity_export

    file.seek(0)
    first = next((line for line in file if line.strip()), b"").decode("utf-8-sig", "replace").strip()
    delimiter = max(",;\t", key=first.count)
    headers = [cell.strip().strip('"').strip() for cell in first.split(delimiter)] if first.count(delimiter) else []
    if is_activity_export(headers):
        return EventError(
            f"{path}: this is SendGrid's Email Activity export (a CSV file), which mailer cannot import: it reads the events "
            "SendGrid's Event Webhook posts (JSON), which carry the ids that tie each event to its email.",
            hint="Run mailer webhook where SendGrid can reach it, or save the Event Webhook's posts as files and import "
            f'those (README, "mailer events import"). {ACTIVITY_EXPORT_HINT}',
        )
    keys = {re.sub(r"[\W_]+", "", header.casefold()) for header in headers}
    if {"email", "created"} <= keys <= _SUPPRESSION_EXPORT:  # not a press list: that must not be suppressed whole
        named = ", ".join(f'"{header[:40]}"' for header in headers)
        return EventError(
            f"{path}: this is SendGrid's export of a suppression list (its columns {named}): addresses, not events.",
            hint="Its addresses (bounces, spam reports, unsubscribes or invalid emails) go on the suppression list, "
            f"never to be mailed again, with: mailer suppressions import {shlex.quote(str(path))}; but not SendGrid's blocks "
            "export: a block refuses one email (its content, the sender's reputation), not the address, and SendGrid itself "
            f"keeps mailing blocked addresses. {FILE_HINT}",
        )
    return EventError(
        f"{path}: no line holds an event (a JSON object such as SendGrid posts): is this the right file?",
        hint=FILE_HINT,
    )


def _refuse_activity_answer(path: Path, file: BinaryIO) -> None:
    """Raise EventError when the file is the answer of SendGrid's Email Activity API (GET /v3/messages:
    {"messages": [...]}, or one message with its "msg_id" and "to_email"), not events: it was stored
    as one event of type "unknown" (newcomer 21 #6)."""
    from mailer.models import ACTIVITY_EXPORT_HINT

    file.seek(0)
    line = next((line for line in file if line.strip()), b"")
    try:
        value = json.loads(line.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # a pretty-printed object: read whole when small enough
        if _size(file) > _WHOLE_LIMIT:
            return
        file.seek(0)
        try:
            value = json.loads(file.read().decode("utf-8-sig"))
        except (ValueError, RecursionError):
            return
    if not isinstance(value, dict) or "event" in value:
        return
    if isinstance(value.get("messages"), list):
        what = "its messages"
    elif "msg_id" in value and "to_email" in value:
        what = "one message"
    else:
        return
    raise EventError(
        f"{path}: this is SendGrid's Email Activity API answer ({what}), which mailer cannot import: it reads the events "
        'SendGrid\'s Event Webhook posts (a JSON object per event, with its "event" and "email").',
        hint="Run mailer webhook where SendGrid can reach it, or save the Event Webhook's posts as files and import "
        f'those (README, "mailer events import"). {ACTIVITY_EXPORT_HINT}',
    )


def _json_first_line(file: BinaryIO) -> bool:
    """Whether the file's first line that is not blank is a JSON value (a file of JSON that holds
    no event is quarantined line by line; a CSV list is not JSON at all)."""
    file.seek(0)
    for line in file:
        if line.strip():
            try:
                value = json.loads(line.decode("utf-8-sig"))
            except (ValueError, RecursionError):
                return False
            return not isinstance(value, str)  # a quoted CSV cell is a JSON string (review 8b)
    return False


def stream(path: Path | str, *, size: int = BATCH) -> Iterator[Batch]:
    """The file's events in batches of at most ``size`` events, in the order of the file.

    Quarantined events come in the batch where they were met. Raises EventError for a file
    that cannot be read at all (the batches before it may have been yielded: see ``check``).
    """
    path = Path(path)
    with _open(path) as file:
        if _start(path, file) == b"[":
            yield from _stream_array(path, file, size)
        else:
            yield from _stream_lines(path, file, size)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError as exc:
        raise EventError(f"{path}: no such file.", hint="Check the file name.") from exc
    except IsADirectoryError as exc:
        raise EventError(f"{path}: is a folder, not an events file.", hint=_files_inside(path)) from exc
    except OSError as exc:
        raise EventError(f"{path}: cannot be read ({exc.strerror}).", hint="Check the file's permissions.") from exc


def _files_inside(folder: Path, *, shown: int = 3) -> str:
    """What to do with a folder given as an events file: the command naming the JSON or NDJSON
    files it holds (the first ``shown``, and how many more), or that it holds none."""
    try:
        found = sorted(child for child in folder.iterdir() if child.suffix.lower() in (".json", ".ndjson", ".jsonl") and child.is_file())
    except OSError:
        found = []
    if not found:
        return "It holds no .json or .ndjson file: name the file SendGrid's events were saved to."
    command = "mailer events import " + " ".join(shlex.quote(str(child)) for child in found[:shown])
    more = len(found) - shown
    return f"Name the files inside it: {command}" + (f" (and the {more} more .json or .ndjson files there)" if more > 0 else "")


def _start(path: Path, file: BinaryIO) -> bytes:
    """Refuse UTF-16, step over a UTF-8 byte order mark; the first byte that is not white space ("" when none)."""
    try:
        head = file.read(3)
        if head.startswith(_UTF16):
            raise EventError(f"{path}: saved as UTF-16, not UTF-8.", hint=FILE_HINT + " Save it again as UTF-8 (any text editor can).")
        file.seek(3 if head == _BOM else 0)
        origin = file.tell()
        first = b""
        while True:
            chunk = file.read(_READ)
            if not chunk:
                break
            stripped = chunk.lstrip()
            if stripped:
                first = stripped[:1]
                break
        file.seek(origin)
    except OSError as exc:
        raise EventError(f"{path}: cannot be read ({exc.strerror}).", hint="Check the file's permissions.") from exc
    return first


def _not_utf8(path: Path, offset: int, suffix: str = ".") -> EventError:
    return EventError(
        f"{path}: not a text file in UTF-8 (byte {offset + 1} is not UTF-8){suffix}",
        hint=FILE_HINT + " Export the events again, or save the file as UTF-8.",
    )


def _stream_lines(path: Path, file: BinaryIO, size: int) -> Iterator[Batch]:
    """NDJSON, line by line: one object per line, blank lines skipped, a bad line quarantined by number.

    Lines end at \\n, \\r\\n or a lone \\r, as ``bytes.splitlines`` counts them. A file whose first
    line opens an object but is not JSON may be one pretty-printed event: up to 64 MB it is read
    whole, as before (any other first line is quarantined, and the file read on line by line).
    """
    origin = file.tell()
    events: list[Event] = []
    bad: list[Quarantined] = []
    number = 0
    offset = 0  # bytes read before the current line (after any byte order mark)
    first_bad_byte: int | None = None
    found = False  # any event at all
    first: tuple[int, object, bool] | None = None  # the first line's value, held until a second line shows it is NDJSON
    lines_seen = 0
    prefix = f"{path} line "
    for physical in file:
        parts = physical.splitlines() if b"\r" in physical else [physical.removesuffix(b"\n")]
        for line in parts:
            number += 1
            if not line.strip():
                continue
            lines_seen += 1
            where = prefix + str(number)
            try:
                value, plain = decode(line)
            except UnicodeDecodeError as exc:
                if first_bad_byte is None:
                    first_bad_byte = offset + _first_bad_byte(physical)
                bad.append(Quarantined(where, f"not UTF-8 text (byte {exc.start + 1}).", safe_text(line)))
                continue
            except json.JSONDecodeError as exc:
                several = _one_after_another(line, where)
                if several is not None:  # "{...}{...}" or "{...},{...}": each read, named "line N, event I"
                    if first is not None:
                        _add(path, first, events, bad)
                        first = None
                    _add(path, (number, several[0], False), events, bad)
                    bad.extend(several[1])
                    continue
                if lines_seen == 1 and line.lstrip().startswith(b"{") and _size(file) - origin <= _WHOLE_LIMIT:
                    file.seek(origin)
                    whole = _read_whole(path, file.read())
                    for start in range(0, max(len(whole.events), 1), size):
                        yield Batch(whole.events[start : start + size], whole.quarantined if start == 0 else [])
                    return
                bad.append(Quarantined(where, f"not valid JSON ({exc.msg}, column {exc.colno}).", safe_text(line)))
                continue
            except RecursionError:
                bad.append(Quarantined(where, "nested too deeply to read.", safe_text(line)))
                continue
            except Unreadable as exc:
                bad.append(Quarantined(where, f"cannot be read as JSON ({exc.detail}).", safe_text(line)))
                continue
            if lines_seen == 1:
                first = (number, value, plain)
                continue
            if first is not None:
                _add(path, first, events, bad)
                first = None
            _add(path, (number, value, plain), events, bad)
            if len(events) >= size or len(bad) >= size:
                found = found or bool(events)
                yield Batch(events, bad)
                events, bad = [], []
        offset += len(physical)
    if first is not None:
        if lines_seen == 1 and not isinstance(first[1], dict):  # the file is one JSON value, not an event
            bad.append(Quarantined(f"{path} line 1", f"holds {_kind(first[1])}, not events.", safe_json(first[1])))
        else:
            _add(path, (1, first[1], first[2]) if lines_seen == 1 else first, events, bad)
    found = found or bool(events)
    if not found and first_bad_byte is not None:
        raise _not_utf8(path, first_bad_byte, ", and no line holds an event.")
    yield Batch(events, bad)


def _add(path: Path, item: tuple[int, object, bool], events: list[Event], bad: list[Quarantined], named: str = "") -> None:
    """The event a line holds, or each event of the array it holds: a webhook post saved among
    NDJSON lines (review 24r #6: the line was quarantined whole, its events counted as one that
    could not be read, to be fixed by hand), each of several then named by its place in it
    (", event 3": newcomer 24 #8). ``named``: what follows the line number of an array's element."""
    line, value, plain = item
    several = isinstance(value, list) and len(value) > 1
    for index, one in enumerate(value if isinstance(value, list) else (value,), 1):
        where = f"{path} line {line}{f', event {index}' if several else named}"
        try:
            events.append(from_object(one, where=where, plain=plain))
        except EventError as exc:
            bad.append(Quarantined(where, exc.message.removeprefix(f"{where}: "), safe_json(one)))


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def _size(file: BinaryIO) -> int:
    here = file.tell()
    end = file.seek(0, 2)
    file.seek(here)
    return end


class _Window:
    """A UTF-8 file as a growing window of text: ``text`` starts at a line start, line ``line``."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self.path, self.file = path, file
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.fed = 0
        self.text = ""
        self.line = 1
        self.eof = False

    def more(self) -> bool:
        """Read the next piece of the file; False at its end."""
        if self.eof:
            return False
        chunk = self.file.read(_READ)
        pending = len(self.decoder.getstate()[0])
        try:
            piece = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise _not_utf8(self.path, self.fed - pending + exc.start) from exc
        self.fed += len(chunk)
        self.text += piece
        self.eof = not chunk
        return True

    def skip(self, position: int) -> int:
        """The position of the next character that is not white space (the text's length at the end)."""
        while True:
            position = _SPACE.match(self.text, position).end()  # type: ignore[union-attr]
            if position < len(self.text) or not self.more():
                return position

    def drop(self, position: int) -> int:
        """Forget the lines before the one holding ``position``; returns how many characters went."""
        cut = self.text.rfind("\n", 0, position) + 1
        if cut:
            self.line += self.text.count("\n", 0, cut)
            self.text = self.text[cut:]
        return cut

    def rest(self, position: int) -> str:
        """The text from ``position`` to the end of the file, at most ``_REST_KEPT`` characters of it;
        a longer rest ends with a note saying how much more the file holds."""
        while len(self.text) - position <= _REST_KEPT and self.more():
            pass
        kept = self.text[position : position + _REST_KEPT]
        if len(self.text) - position <= _REST_KEPT:
            return kept
        left = _size(self.file) - self.fed + len(self.text) - position - len(kept)  # about: characters read, bytes not
        return kept + f"\n[... about {left:,} more bytes of the file not kept here]"


def _stream_array(path: Path, file: BinaryIO, size: int) -> Iterator[Batch]:
    """A JSON array, element by element, so each event is named by the line it starts on."""
    floats = [False]

    def mark(value: str) -> float:  # a float (or NaN, Infinity) met: the event is not plain JSON
        floats[0] = True
        return float(value)

    decoder = json.JSONDecoder(parse_float=mark, parse_constant=mark)
    window = _Window(path, file)
    while "[" not in window.text and window.more():
        pass
    items: list[tuple[int, object, bool]] = []
    # Which post (array) and which element of it each item is: a post saved as SendGrid sends it is one
    # line, so its bad events are named "line 1, event 3" (newcomer 24 #8: every one read "line 1").
    places: list[tuple[int, int]] = []
    compact: dict[int, bool] = {}  # array -> its first two elements start on one line
    array, index, first_line = 1, 0, 0
    position = window.skip(window.text.index("[") + 1)
    line, counted = window.line + window.text.count("\n", 0, position), position
    rest: Quarantined | None = None
    # One array, or several one after another: the Event Webhook's posts saved to one file, each its body
    # (newcomer 21 #4: every post after the first was quarantined as "text after the end of the JSON array").
    while True:
        if window.text.startswith("]", position):
            position += 1
        else:
            while True:
                position, line, counted, read = _next_element(window, decoder, floats, path, position, line, counted)
                if isinstance(read, Quarantined):
                    rest = read
                    break
                value, end, plain = read
                items.append((line, value, plain))
                index += 1
                if index == 1:
                    first_line = line
                elif index == 2:
                    compact[array] = line == first_line
                places.append((array, index))
                if len(items) >= size:
                    yield _batch(path, items, _events_named(places, compact))
                    items, places = [], []
                position = window.skip(end)
                if window.text.startswith(",", position):
                    position = window.skip(position + 1)
                    continue
                if window.text.startswith("]", position):
                    position += 1
                    break
                where = f"{path} line {window.line + window.text.count(chr(10), 0, position)}"
                rest = Quarantined(where, "not valid JSON (expected , or ] after an event).", window.rest(position))
                break
        if rest is not None:
            break
        position = window.skip(position)
        # Events on lines of their own after the posts (NDJSON appended to saved posts, review 24r #6:
        # they were quarantined as "text after the end of the JSON array", counted as one event).
        while window.text.startswith("{", position):
            position, line, counted, read = _next_element(window, decoder, floats, path, position, line, counted)
            if isinstance(read, Quarantined):
                rest = read
                break
            value, end, plain = read
            items.append((line, value, plain))
            places.append((0, 0))  # an event on its own between posts: named by its line alone
            if len(items) >= size:
                yield _batch(path, items, _events_named(places, compact))
                items, places = [], []
            position = window.skip(end)
        if rest is not None or not window.text.startswith("[", position):
            break
        position = window.skip(position + 1)  # the next post's array
        array, index = array + 1, 0
    if rest is None:
        position = window.skip(position)  # white space after the array is no text
        if position < len(window.text):
            where = f"{path} line {window.line + window.text.count(chr(10), 0, position)}"
            rest = Quarantined(where, "text after the end of the JSON array.", window.rest(position))
    batch = _batch(path, items, _events_named(places, compact))
    if rest is None:
        yield batch
        return
    raw = rest.raw.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    kept = "kept whole" if len(rest.raw) <= _REST_KEPT else f"not imported; its first {_REST_KEPT // (1 << 20)} MB are kept here"
    yield Batch(batch.events, [*batch.quarantined, Quarantined(rest.where, f"{rest.reason} The rest of the file is {kept}.", raw)])


def _next_element(
    window: _Window, decoder: json.JSONDecoder, floats: list[bool], path: Path, position: int, line: int, counted: int
) -> tuple[int, int, int, tuple[object, int, bool] | Quarantined]:
    """The element at ``position`` read (``_element``), or the Quarantined rest of the file when it cannot be:
    (position, line, counted, what was read), ``line`` brought up to ``position`` (``counted``: up to where the
    lines were counted) and the window moved on past what is read when it has grown long."""
    line += window.text.count("\n", counted, position)
    counted = position
    if position > 4 * _READ:
        cut = window.drop(position)
        position, counted = position - cut, counted - cut
    try:
        return position, line, counted, _element(window, decoder, floats, position)
    except json.JSONDecodeError as exc:
        where = f"{path} line {window.line - 1 + exc.lineno}"
        return position, line, counted, Quarantined(where, f"not valid JSON ({exc.msg}, column {exc.colno}).", window.rest(counted))
    except (RecursionError, ValueError) as exc:
        reason = "nested too deeply to read" if isinstance(exc, RecursionError) else str(exc)
        return position, line, counted, Quarantined(f"{path} line {line}", f"cannot be read as JSON ({reason}).", window.rest(counted))


def _element(window: _Window, decoder: json.JSONDecoder, floats: list[bool], position: int) -> tuple[object, int, bool]:
    """One array element from ``position``: the value, where it ends, and whether it is plain JSON.

    The window may end inside the element: then it reads on and tries again. A number that ends
    exactly at the window's end might go on, so it is read again with more text too.
    """
    while True:
        floats[0] = False
        try:
            try:
                value, end = decoder.raw_decode(window.text, position)
            except json.JSONDecodeError:
                raise
            except ValueError:  # an integer past Python's digit limit: such numbers read as Infinity
                value, end = _BIG_DECODER.raw_decode(window.text, position)
                floats[0] = True
        except json.JSONDecodeError:
            if window.more():
                continue
            raise
        if end >= len(window.text) and window.more():
            continue
        return value, end, not floats[0]


def _read_whole(path: Path, data: bytes) -> Batch:
    """A small file that is not NDJSON from its first line: one (pretty-printed) event, or lines."""
    try:
        whole = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:  # lines in another encoding are quarantined; a binary file is refused
        batch = _read_lines(path, data)
        if not batch.events:
            raise _not_utf8(path, exc.start, ", and no line holds an event.") from exc
        return batch
    except (ValueError, RecursionError):  # not one JSON value: NDJSON, read line by line below
        return _read_lines(path, data)
    if isinstance(whole, dict):
        return _batch(path, [(1, whole, False)])
    if data.strip().count(b"\n") == 0:
        return Batch([], [Quarantined(f"{path} line 1", f"holds {_kind(whole)}, not events.", safe_json(whole))])
    return _read_lines(path, data)


def _read_lines(path: Path, data: bytes) -> Batch:
    """NDJSON: one object per line; blank lines are skipped; a bad line is quarantined by number."""
    items: list[tuple[int, object, bool]] = []
    bad: list[Quarantined] = []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            items.append((number, _decode(line.decode("utf-8")), False))
        except UnicodeDecodeError as exc:
            bad.append(Quarantined(where, f"not UTF-8 text (byte {exc.start + 1}).", safe_text(line)))
        except json.JSONDecodeError as exc:
            several = _one_after_another(line, where)
            if several is not None:
                items.append((number, several[0], False))
                bad.extend(several[1])
                continue
            bad.append(Quarantined(where, f"not valid JSON ({exc.msg}, column {exc.colno}).", safe_text(line)))
        except RecursionError:
            bad.append(Quarantined(where, "nested too deeply to read.", safe_text(line)))
        except ValueError as exc:
            bad.append(Quarantined(where, f"cannot be read as JSON ({exc}).", safe_text(line)))
    batch = _batch(path, items)
    return Batch(batch.events, sorted([*bad, *batch.quarantined], key=_line_of))


def _one_after_another(line: bytes, where: str) -> tuple[list[object], list[Quarantined]] | None:
    """The events of a line that holds several JSON objects one after another ("{...}{...}", or
    separated by a comma or spaces: two events saved on one line by hand or by a script that
    forgot the line break), or webhook posts ("[...][...]", as a script appending each post's body
    saves them), or None when the line is anything else. Each is then read as its own event, named
    "line N, event I", as a webhook post saved on one line is (``_add``); before, the whole line was
    quarantined as "not valid JSON (Extra data, column 86)", and a bounce in it suppressed nobody
    until someone mended the file. What cannot be read after the first event (a line cut short in
    the middle of the next) is quarantined alone, ``where`` naming it: the events before it are kept
    (review25x: the bounce before it was quarantined with it)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    values: list[object] = []
    position, end = 0, len(text)
    rest: list[Quarantined] = []
    read = 0  # JSON values read
    while True:
        while position < end and text[position] in " \t\r\n":
            position += 1
        if position >= end:
            break
        if values and text[position] == ",":
            position += 1
            continue
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            if not values:
                return None
            why = (
                f"not valid JSON ({exc.msg}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else "nested too deeply to read"
            )
            rest.append(Quarantined(f"{where}, event {len(values) + 1}", f"{why}.", safe_text(text[position:].encode("utf-8"))))
            break
        read += 1
        if isinstance(value, list) and all(isinstance(one, dict) for one in value):
            values.extend(value)  # a webhook post: its events
        elif isinstance(value, dict):
            values.append(value)
        else:
            return None
    return (values, rest) if read > 1 or (values and rest) else None


def _decode(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        raise
    except ValueError:
        return json.loads(line, parse_int=bounded_int)


def _events_named(places: list[tuple[int, int]], compact: Mapping[int, bool]) -> list[str]:
    """What follows each element's line number: ", event N" (its place in its post) for the elements
    of an array whose events share lines, nothing for one written an event a line."""
    return [f", event {index}" if compact.get(array) else "" for array, index in places]


def _batch(path: Path, items: list[tuple[int, object, bool]], named: Sequence[str] = ()) -> Batch:
    events: list[Event] = []
    bad: list[Quarantined] = []
    for number, item in enumerate(items):
        _add(path, item, events, bad, named[number] if named else "")
    return Batch(events, bad)


def _line_of(item: Quarantined) -> int:
    found = re.search(r" line (\d+)", item.where)
    return int(found.group(1)) if found else 0


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
