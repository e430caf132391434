"""Reading one press-list file: encoding, delimiter, header row, every cell as text.

Journalist lists come out of Excel, media databases and colleagues' exports, so this module
accepts UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode Text") and Windows-1252
(Excel "CSV" on Windows), comma / semicolon / tab delimiters, quoted cells with newlines and
blank lines. Anything it cannot read with certainty is refused with a ``ListError`` that says
what to do; a file is never silently decoded wrong (the encoding rules are in decoding.py).

Cells are read as text columns in Arrow's string layout, the one pandas 3 uses for its str
dtype. Regular exports take Arrow's CSV reader directly (on one thread: on this 2-core
machine two threads took twice the CPU for little less wall time): pandas' "pyarrow engine" cannot set ``newlines_in_values``, without which a quoted cell with a line break that
straddles one of Arrow's blocks is split wrongly in a large file. A file Arrow refuses (ragged
rows, spaces-only lines) is read again by pandas' C parser, which pads short rows.
tests/test_contacts.py proves both readers give the same cells and row numbers.

pandas is imported only for that fallback. pyarrow, left to itself, imports pandas (0.3 s of
CPU) the first time it is handed any Python value, just to ask whether the value is a pandas
object; ``_arrow_without_pandas`` answers that question before the first list is read.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailer.contacts import cellbytes, decoding
from mailer.contacts.headers import ACCEPTED_EMAIL_HEADERS, HEADER_ALIASES, canonical_name, header_key, map_headers, safe_identifier
from mailer.errors import ListError
from mailer.spreadsheet import restore_cell

if TYPE_CHECKING:  # numpy and pyarrow are imported when a list is read, not when `mailer --help` starts
    import numpy as np
    import pyarrow as pa

__all__ = [
    "ACCEPTED_EMAIL_HEADERS",
    "DELIMITERS",
    "DELIMITER_NAMES",
    "HEADER_ALIASES",
    "ListFile",
    "canonical_name",
    "delimiter_of",
    "display_name",
    "header_key",
    "map_headers",
    "read",
    "safe_identifier",
    "sniff_delimiter",
]

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
SAMPLE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ListFile:
    """The cells of one list file, as text, with where each row sits in the spreadsheet.

    ``columns`` holds one text column per header cell, each with one value per non-blank
    data row; ``rows`` holds each row's spreadsheet row number (header = row 1 when the file
    starts with it). ``recognized`` maps canonical names (and ``name``) to column positions,
    ``custom`` safe identifiers to column positions.
    """

    path: str
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    columns: tuple[pa.Array, ...]
    rows: np.ndarray
    recognized: Mapping[str, int]
    custom: Mapping[str, int]
    notes: tuple[str, ...] = ()
    header_at: int = 1  # the header row's row number in the spreadsheet
    send_notes: tuple[str, ...] = ()  # of the notes, those a send repeats (ListSummary.send_notes)


def display_name(path: Path | str) -> str:
    """``path`` as text any database, file or terminal takes: a byte of the name that is not UTF-8
    (a list unpacked from an old zip keeps its Latin-1 name) shows as ``\\xNN``.

    Python hands such a byte over as a lone surrogate, which the log's driver refuses (review 7).
    For showing and logging only: open the file through the ``Path`` itself.
    """
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


# Of the time reading a file takes, about the part spent on decoding it to UTF-8 (a 7 MB
# Windows-1252 list: 2.4 s of 3.2; checking that its letters are plausible is most of it).
DECODED = 0.6


def read(path: Path, *, engine: str = "auto", on_step: Callable[[float], None] | None = None) -> ListFile:
    """Read a list file; a ListError says why a file cannot be used and what to do.

    ``engine="pandas"`` skips the Arrow fast path (tests use it to prove both agree).
    ``on_step`` is told the share of the file's reading done (DECODED, then 1.0), for a
    progress bar that moves through one big file (newcomer 14 #5).
    """
    _arrow_without_pandas()
    data = _read_bytes(path)
    text_bytes, encoding, controls = decoding.to_utf8_marked(path, data)
    notes: tuple[str, ...] = ()
    if on_step is not None:
        on_step(DECODED)
    text_bytes, declared = _excel_separator_line(path, text_bytes)
    leading = _leading_blank_lines(text_bytes)
    body = text_bytes.lstrip(b"\r\n")
    if not decoding.has_text(body):
        raise decoding.empty_file(path)
    head = body[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    delimiter, width = sniff_delimiter(head, complete=len(body) <= SAMPLE_BYTES)
    if declared is not None:
        delimiter = declared
    sample = _sample_rows(head, delimiter)
    titled = bool(sample) and width_row(sample) > 0
    if declared is not None:
        width = len(sample[width_row(sample)]) if sample else 1
    columns = _parse(path, body, delimiter, width, first_row=leading + 1, engine=engine, titled=titled)
    del data, text_bytes, body  # the file's bytes: its cells are in the columns now
    import numpy as np
    import pyarrow.compute as pc

    rows = np.arange(leading + 1, leading + 1 + len(columns[0]), dtype=np.int64)
    if controls is not None:
        columns, held = _without_control_marks(columns, rows)
        notes = (controls.note(held),)
    columns, rows = _drop_blank_rows(columns, rows)
    _refuse_swallowed_rows(path, columns, rows, delimiter)
    if not len(rows):
        raise decoding.empty_file(path)
    start = header_row([[str(column[at].as_py()) for column in columns] for at in range(min(TITLE_ROWS, len(rows)))])
    if start:  # a media database's title lines above the header row (review 17 #1)
        notes = (*notes, _title_lines_note(columns, rows, start))
        columns, rows = tuple(column.slice(start) for column in columns), rows[start:]
    # A heading `lists clean --rejects` wrote spreadsheet-safe ("'=x") read as the list had it ("=x").
    headers = tuple(restore_cell(str(column[0].as_py()).strip()) for column in columns)
    columns = tuple(column.slice(1) for column in columns)
    header_at, rows = int(rows[0]), rows[1:]
    recognized, custom = map_headers(headers)
    # A header cell left empty over an empty column (a trailing delimiter) is no column at all.
    custom = {
        name: col for name, col in custom.items() if headers[col] or pc.any(pc.not_equal(pc.utf8_trim_whitespace(columns[col]), "")).as_py()
    }
    several: list[str] = []  # which address of a cell of several is mailed: a send says it too
    if "email" in recognized:  # newcomer 11: "E-mail" and "Courriel", the second read as a custom column, said nothing
        notes = (*notes, *_other_address_columns(headers, recognized["email"], custom, columns))
        columns, several = _first_of_several(headers, recognized["email"], columns, rows)
        notes = (*notes, *several)
    lost = _lost_letters(recognized, columns, rows)  # said by the check and again by a send
    if on_step is not None:
        on_step(1.0)
    return ListFile(
        display_name(path), encoding, delimiter, headers, columns, rows, recognized, custom, (*notes, *lost), header_at, (*several, *lost)
    )


def _without_control_marks(columns: tuple[pa.Array, ...], rows: np.ndarray) -> tuple[tuple[pa.Array, ...], list[int]]:
    """``columns`` with the marks ``decoding.to_utf8_marked`` left for stray control characters taken out (a
    vertical tab or form feed a space), and the spreadsheet rows (of ``rows``) that held one."""
    import numpy as np
    import pyarrow.compute as pc

    marks = f"[{decoding.SPACE_MARK}{decoding.GONE_MARK}]"
    held = np.zeros(len(rows), dtype=bool)
    cleaned = []
    for column in columns:
        found = pc.match_substring_regex(column, marks)
        if pc.any(found).as_py():
            held |= np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
            column = pc.replace_substring(pc.replace_substring(column, decoding.SPACE_MARK, " "), decoding.GONE_MARK, "")
        cleaned.append(column)
    return tuple(cleaned), [int(row) for row in rows[held]]


# A "?" between letters or opening a word of a name: what Excel's "CSV" (Windows-1252) and other
# single-byte encodings write for a letter they cannot hold ("Ayşe" -> "Ay?e", "Łukasz" -> "?ukasz").
_LOST_LETTER = r"[^\W\d_]\?[^\W\d_]|(?:^|[\s'-])\?[^\W\d_]"
_NAME_COLUMNS = ("first_name", "last_name", "name", "outlet")


def _lost_letters(recognized: Mapping[str, int], columns: Sequence[Any], rows: Any) -> tuple[str, ...]:
    """A note naming the rows whose name or outlet holds a "?" in place of a letter (office 27: a German
    office's list from Excel greeted "Ay?e" and put it in the To line, and nothing said so)."""
    import pyarrow.compute as pc

    found: list[tuple[int, str]] = []
    for name in _NAME_COLUMNS:
        if name not in recognized:
            continue
        column = columns[recognized[name]]
        hits = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(column, _LOST_LETTER), False)).to_pylist()
        found += [(int(rows[at]), str(column[at].as_py()).strip()) for at in hits]
    if not found:
        return ()
    found.sort()
    shown = "; ".join(f'row {row}: "{cell}"' for row, cell in found[:5]) + (f"; and {len(found) - 5:,} more" if len(found) > 5 else "")
    many = len(found) != 1
    note = (
        f'{len(found):,} name{"s hold" if many else " holds"} a "?" in place of a letter ({shown}): Excel saves "CSV" '
        'in an encoding without ş, ł, ć and many other letters, and writes "?" for them; journalists would be '
        'greeted and addressed so. Type those letters again and save the list as "CSV UTF-8".'
    )
    return (note,)


# Rows a media database's export (Cision, Meltwater) or a hand-kept list puts above its header
# row: a title, the date of the export, a blank line.
TITLE_ROWS = 20


def header_row(rows: Sequence[Sequence[str]]) -> int:
    """Where the header row is among a list's first non-blank rows: 0, unless the first row names no
    address column and a later one (among the first TITLE_ROWS) does, with no "@" in any row above
    it. Those rows are title lines ("Media List: Health reporters", "Created: 11/30/2026"); a row
    with an address is a journalist, and a list whose first row holds one has no header row at all."""
    return _header_at(rows, below_addresses=False)


def width_row(rows: Sequence[Sequence[str]]) -> int:
    """The row whose width is the list's: the header row as ``header_row`` finds it, or one below a
    row holding an address (a title naming the agency's address, which the loader then names with
    the header row: newcomer 17b #2, a one-cell title line made the header row itself 'ragged')."""
    return _header_at(rows, below_addresses=True)


def _header_at(rows: Sequence[Sequence[str]], *, below_addresses: bool) -> int:
    if not rows or any(canonical_name(cell) == "email" for cell in rows[0]):
        return 0
    for at, row in enumerate(rows[:TITLE_ROWS]):
        if not below_addresses and any("@" in cell for cell in row):
            return 0
        if at and any(canonical_name(cell) == "email" for cell in row):
            return at
    return 0


def _title_lines_note(columns: tuple[pa.Array, ...], rows: np.ndarray, start: int) -> str:
    """The note saying which row is the header row and which rows above it were not read."""
    texts = []
    for at in range(min(start, 3)):
        text = " ".join(cell.strip() for cell in (str(column[at].as_py()) for column in columns) if cell.strip())
        texts.append(f'"{short(text, 60)}"')
    header = int(rows[start])
    shown = ", ".join(texts) + (", ..." if start > 3 else "")
    if header == 2:
        return f"the header row is row 2: row 1 above it ({shown}) is not a journalist and was not read."
    return f"the header row is row {header}: rows 1 to {header - 1} above it ({shown}) are not journalists and were not read."


def short(text: str, length: int) -> str:
    """``text`` cut to ``length`` characters and "…", for a message that must stay a line long: a
    line break in it shown as \\n, as the terminal shows the rest of a cell it would act on (a
    quoted cell's "\\nError: ..." printed a line of its own; review 20b #7)."""
    text = text.replace("\r\n", "\n").replace("\n", "\\n")
    return text if len(text) <= length else text[:length] + "…"


def _other_address_columns(headers: tuple[str, ...], used: int, custom: Mapping[str, int], columns: tuple[pa.Array, ...]) -> list[str]:
    """A note for each further column whose header also names the address and that holds one:
    only the first is read. (Outlook's "E-mail 2 Address", empty in most exports, is no news.)"""
    import pyarrow.compute as pc

    def named(position: int) -> str:  # two columns of one name are told apart by their letters (review 17)
        same = headers.count(headers[position]) > 1
        return f'"{headers[position]}" (column {column_letters(position)})' if same else f'"{headers[position]}"'

    return [
        f"{named(position)} also looks like an address column, but only {named(used)} is read: a row whose "
        f"address is only under {named(position)} is rejected as having none. Put each address in one column."
        for position in sorted(custom.values())
        if canonical_name(headers[position]) == "email" and pc.any(pc.match_substring(columns[position], "@")).as_py()
    ]


# Google Contacts exports the addresses of one kind (two "Work" addresses) in one cell, joined with
# " ::: " ("jane@daily.example ::: jane.doe@daily.example"). They were rejected as two addresses in
# one cell, which the office cannot change in an export (review 18h #2): the first is the one
# Google shows first, and the one mailed; the others are named in a note, never mailed too.
SEVERAL = ":::"
_SHOWN_ROWS = 3


def _first_of_several(
    headers: tuple[str, ...], position: int, columns: tuple[pa.Array, ...], rows: np.ndarray
) -> tuple[tuple[pa.Array, ...], list[str]]:
    """The columns with each address cell of several " ::: " values cut to its first, and a note
    naming the rows and the addresses left out. One pass over the column's bytes when none has any."""
    cells = columns[position]
    if not cellbytes.may_hold(cells, [SEVERAL]):
        return columns, []
    import numpy as np
    import pyarrow.compute as pc

    joined = pc.match_substring(cells, SEVERAL)
    if not pc.any(joined).as_py():
        return columns, []
    values = pc.split_pattern(pc.replace_substring_regex(cells, rf"^(?:\s*{SEVERAL})+", ""), SEVERAL)
    first = pc.utf8_trim_whitespace(pc.list_element(values, 0))
    columns = (*columns[:position], pc.if_else(joined, first, cells), *columns[position + 1 :])
    several = pc.match_substring_regex(cells, rf"[^\s:]\s*{SEVERAL}[\s:]*[^\s:]")  # another address beside the first, not an empty one
    at = np.flatnonzero(np.asarray(several.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(at):
        return columns, []
    shown = []
    for row, parts in zip(rows[at[:_SHOWN_ROWS]].tolist(), values.take(at[:_SHOWN_ROWS]).to_pylist(), strict=True):
        used, *others = [part.strip() for part in parts if part.strip()]
        shown.append(f"row {row}: {used} is used, not {' or '.join(others)}")
    more = ", ..." if len(at) > _SHOWN_ROWS else ""
    count = f"{len(at):,} row{'s' if len(at) != 1 else ''}"
    note = (
        f'"{headers[position]}" holds several addresses in {count}, joined with " ::: " as Google Contacts exports them: '
        f"only the first of each is mailed ({'; '.join(shown)}{more}). To mail another, put it first in the contact, "
        "or give it a row of its own."
    )
    return columns, [note]


def column_letters(position: int) -> str:
    """A column's letters as a spreadsheet shows them: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


_SEP_LINE = re.compile(rb"\A[ \t]*sep=(.)?[ \t]*(?:\r\n|\r|\n|\Z)", re.IGNORECASE)


def delimiter_of(path: Path) -> str | None:
    """The delimiter of the list file at ``path``, from its first 64 KB as ``read`` finds it;
    None when the file cannot be read or has a single column (no delimiter to tell).

    For files written later in the list's dialect (`mailer report`, `suppressions list -o`)
    when the delivery log does not say (campaigns logged before it kept the delimiter)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SAMPLE_BYTES)
        whole = len(head) < SAMPLE_BYTES
        if not whole:  # whole characters only: UTF-16 in pairs of bytes, others up to the last line end
            head = head[: len(head) // 2 * 2] if head.startswith((b"\xff\xfe", b"\xfe\xff")) else head[: head.rfind(b"\n") + 1] or head
        text, _, _ = decoding.to_utf8(path, head)
        text, declared = _excel_separator_line(path, text)
    except (OSError, ListError):
        return None
    if declared is not None:
        return declared if declared in DELIMITERS else None
    body = text.lstrip(b"\r\n")[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    delimiter, width = sniff_delimiter(body, complete=whole)
    return delimiter if width > 1 else None


def _excel_separator_line(path: Path, data: bytes) -> tuple[bytes, str | None]:
    """The file without Excel's "sep=;" first line, and the delimiter it declares (None without one).

    Excel writes and reads that line to name the delimiter, and does not show it as a row, so
    the header below it is row 1 here too.
    """
    found = _SEP_LINE.match(data)
    if not found:
        return data, None
    declared = (found.group(1) or b"").decode("utf-8", errors="replace")
    if not declared or declared in '"\r\n' or declared.isalnum():
        raise ListError(
            f'{path} row 1: "{found.group().decode("utf-8", errors="replace").strip()}" does not name a delimiter mailer can use.',
            hint='Make the first line "sep=," or "sep=;" (or delete it), or save the file again as CSV.',
        )
    return data[found.end() :], declared


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ListError(f"{path}: no such file.", hint="Check the file name and folder (ls lists/ shows the lists you have).") from None
    except IsADirectoryError:
        raise ListError(
            f"{path}: this is a folder, not a list file.",
            hint="Name the CSV file inside it, for example lists/press.csv.",
        ) from None
    except PermissionError:
        raise ListError(
            f"{path}: you are not allowed to read this file.",
            hint="Check the file's permissions, or copy it somewhere you can read it.",
        ) from None
    except OSError as exc:
        raise ListError(f"{path}: the file cannot be read ({exc.strerror}).") from exc


def _leading_blank_lines(data: bytes) -> int:
    """How many empty lines come before the header, so row numbers match the spreadsheet."""
    stripped = data.lstrip(b"\r\n")
    skipped = data[: len(data) - len(stripped)]
    return skipped.count(b"\n") or skipped.count(b"\r")


def sniff_delimiter(sample: str, *, complete: bool = False) -> tuple[str, int]:
    """The delimiter (comma, semicolon or tab) that splits the sample most consistently.

    Returns it with the number of header cells it gives. Each candidate splits the first
    lines; the winner gives the header more than one cell and the most rows of that width.
    A file with a single column has no delimiter: comma is assumed.
    """
    if not complete and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last line may be cut short
    best: tuple[int, int, str] = (0, 1, ",")
    for delimiter in DELIMITERS:
        rows = _sample_rows(sample, delimiter)
        if not rows:
            continue
        start = width_row(rows)  # below title lines, the header row's width is the list's
        width = len(rows[start])
        if width < 2:
            continue
        score = (sum(len(row) == width for row in rows[start : start + 200]), width, delimiter)
        if score[:2] > best[:2]:
            best = score
    if best[1] == 1:  # single column: the header width still matters for the parser
        rows = _sample_rows(sample, ",")
        return ",", max(1, len(rows[0]) if rows else 1)
    return best[2], best[1]


def _sample_rows(sample: str, delimiter: str) -> list[list[str]]:
    """The non-blank rows of a sample split by one delimiter (old Mac CR line ends included)."""
    try:
        spaced = _spaced_quotes(sample.encode("utf-8"), delimiter)
        reader = csv.reader(io.StringIO(sample, newline=None), delimiter=delimiter, skipinitialspace=spaced)
        return [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error:
        return []


# A space after the delimiter before a quoted cell ('"ana@x.example", "Ana Lima"', as scripts and some web
# tools write a list): Arrow's reader keeps the quotes in the cell (review 25l #4: greeted 'Dear "Ana,').
_SPACED_QUOTE = {delimiter: re.compile(re.escape(delimiter.encode()) + rb' +"') for delimiter in DELIMITERS}


def _spaced_quotes(data: bytes, delimiter: str) -> bool:
    """Whether a cell opens with spaces before its quote: read then as Excel and Python's csv module
    (``skipinitialspace``) read it, the spaces skipped and the quotes read as quotes."""
    pattern = _SPACED_QUOTE.get(delimiter)
    return pattern is not None and b' "' in data and pattern.search(data) is not None


def _parse(
    path: Path, data: bytes, delimiter: str, width: int, *, first_row: int, engine: str, titled: bool = False
) -> tuple[pa.Array, ...]:
    """Every record as a row of text cells, blank lines included (so row numbers hold).

    ``titled``: title lines come before the header row (``header_row``), so the list is ``width``
    cells wide however narrow its first line is."""
    # Arrow reads a quote that is never closed as one cell running to the end of the file,
    # swallowing the rows after it. Such a file has an odd number of quotes, or a line break in
    # its last cell: pandas' parser then says where the quote opens (and is fine with the rest).
    # Arrow cannot skip the spaces before a quoted cell: pandas' parser reads such a file.
    spaced = _spaced_quotes(data, delimiter)
    if engine == "auto" and not spaced:
        columns = _parse_with_arrow(data, delimiter, width)
        if columns is not None and not _may_have_unclosed_quote(data, columns):
            return columns
    import pandas as pd
    import pyarrow as pa

    # Ragged rows, spaces-only lines: pandas' C parser pads them and counts rows the same way.
    # It takes the first line's width for the list's, unless told the header row's (below title
    # lines); index_col=False keeps a wider first line from becoming an index (its cells past the
    # header's are dropped then, with a warning: they are a title line's).
    # A row ending in stray delimiters ("jane@x.org,Jane,") has empty cells past the header's:
    # read again as wide as the widest such row, and those cells are dropped when all empty
    # (review 17 #3: the whole list was refused). Text past the header's cells is a cell split by
    # an unquoted delimiter: that row is named.
    header_width, read_width = (width, width) if titled else (None, None)
    frame, error = None, ""
    for _ in range(_WIDENINGS + 1):
        try:
            frame = _frame(pd, data, delimiter, read_width, spaced=spaced)
            break
        except pd.errors.ParserError as exc:
            error = str(exc)
            ragged = _RAGGED.search(error)
            if ragged is None:
                break
            expected, line, saw = (int(group) for group in ragged.groups())
            header_width = header_width or expected
            error = f"Expected {header_width} fields in line {line}, saw {saw}"
            if saw <= expected or saw > max(2 * header_width, header_width + _EXTRA_CELLS):
                break
            read_width = saw
        except pd.errors.EmptyDataError as exc:
            raise decoding.empty_file(path) from exc
    if frame is None:
        raise _parser_error(path, error, first_row=first_row, delimiter=delimiter)
    # As numpy arrays of str: pyarrow may have been told there is no pandas (_arrow_without_pandas).
    columns = tuple(pa.array(frame[column].fillna("").to_numpy(dtype=object), type=pa.large_string()) for column in frame.columns)
    if header_width is not None and len(columns) > header_width:
        columns = _without_empty_cells_past(path, columns, header_width, first_row=first_row, delimiter=delimiter)
    return columns


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_WIDENINGS = 4  # reads again, each as wide as the next wider row
_EXTRA_CELLS = 256  # empty cells past the header's a row may end with (Excel writes a formatted column's)


def _frame(pd: Any, data: bytes, delimiter: str, width: int | None, *, spaced: bool = False) -> Any:
    """pandas' C parser over the list: it takes the first line's width for the list's, unless
    given ``width`` (the header row's below title lines, or a wider row's); index_col=False
    keeps a wider first line from becoming an index (its cells past ``width`` are dropped then,
    with a warning: they are a title line's)."""
    widths: dict[str, Any] = {"names": list(range(width)), "index_col": False} if width is not None else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        return pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=None,
            **widths,
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8",
            skipinitialspace=spaced,  # '"ana@x.example", "Ana Lima"': the spaces before a quoted cell (review 25l #4)
        )


def _without_empty_cells_past(
    path: Path, columns: tuple[pa.Array, ...], width: int, *, first_row: int, delimiter: str
) -> tuple[pa.Array, ...]:
    """The first ``width`` columns, when the rest hold nothing but spaces; else a ListError naming
    the first row with text past the header's cells."""
    import numpy as np
    import pyarrow.compute as pc

    filled = [
        np.asarray(pc.not_equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False), dtype=bool)
        for column in columns[width:]
    ]
    anywhere = np.logical_or.reduce(filled)
    if not anywhere.any():
        return columns[:width]
    at = int(np.flatnonzero(anywhere)[0])
    cells = width + 1 + max(number for number, mask in enumerate(filled) if mask[at])
    raise _parser_error(path, f"Expected {width} fields in line {at + 1}, saw {cells}", first_row=first_row, delimiter=delimiter)


def _arrow_without_pandas() -> None:
    """Keep pyarrow from importing pandas when a list is read, unless pandas is loaded already.

    pyarrow tries ``import pandas`` once per process on the first conversion of a Python value
    (its Python layer, to recognize pandas objects), and once more on the first conversion of a
    Python sequence (its C++ layer, to recognize pandas' missing values); an ImportError means
    "no pandas" for those checks from then on. mailer hands pyarrow no pandas object (the pandas
    fallback above converts to numpy first), so both tries are made here with pandas hidden.
    pyarrow functions that need pandas (``Table.to_pandas``) still import it when called. pandas
    is hidden during one small conversion, on the calling thread: lists are read before any
    sending thread starts.
    """
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    sys.meta_path.insert(0, _NoPandas)  # `import pandas` raises ModuleNotFoundError
    try:
        pa.array([""])  # both of pyarrow's looks for pandas
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas:
    """An import finder that has no pandas (see _arrow_without_pandas)."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not needed to read this list", name="pandas")


def _may_have_unclosed_quote(data: bytes, columns: tuple[pa.Array, ...]) -> bool:
    if data.count(b'"') % 2:
        return True
    last = [column[len(column) - 1].as_py() for column in columns if len(column)]
    return any("\n" in cell or "\r" in cell for cell in last if cell)


def _refuse_swallowed_rows(path: Path, columns: tuple[pa.Array, ...], rows: np.ndarray, delimiter: str) -> None:
    """A ListError when a multi-line cell holds what reads as whole rows of the list.

    A quote that is closed only by a later quote (one typed inside a cell further down) reads as
    a cell running over the rows in between: they would vanish into it without a word.
    """
    import numpy as np
    import pyarrow.compute as pc

    width = len(columns)
    for column in columns:
        if not _may_hold_line_break(column):
            continue
        multiline = np.flatnonzero(np.asarray(pc.match_substring(column, "\n").to_numpy(zero_copy_only=False), dtype=bool))
        for position in multiline[:1000].tolist():  # a list with more multi-line cells than that is notes, not lost rows
            lines = str(column[position].as_py()).splitlines()[1:]
            for line in lines:
                cells = _sample_rows(line, delimiter)
                if width > 1 and cells and len(cells[0]) == width and any("@" in cell for cell in cells[0]):
                    raise ListError(
                        f'{path} row {int(rows[position])}: a cell runs over several lines, and one of them reads like a row of its own ("{line.strip()[:60]}"): '
                        'a double quote (") in that row is probably never closed.',
                        hint="A cell with a line break must start and end with a double quote: fix the quotes in that row "
                        "in your spreadsheet, or save the file again as CSV.",
                    )


def _may_hold_line_break(column: pa.Array) -> bool:
    """False only when no cell of a text column holds a line feed: one numpy pass over its UTF-8
    bytes (the whole buffer of a sliced column: a byte beyond its cells only says True), instead
    of a search cell by cell. True for a column that is not text."""
    import numpy as np
    import pyarrow as pa

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return True
    data = column.buffers()[2]
    return data is not None and bool((np.frombuffer(data, dtype=np.uint8) == ord("\n")).any())


def _parse_with_arrow(data: bytes, delimiter: str, width: int) -> tuple[pa.Array, ...] | None:
    """The fast path: Arrow's multi-threaded CSV reader (None when the file is not regular)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),  # half the CPU of two threads, and less memory
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.large_string() for name in names},  # pandas 3's str layout
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    # One contiguous array per column, each column's blocks let go as soon as it is copied:
    # a list is held once, not twice, while it is read.
    columns = []
    pool = pa.default_memory_pool()
    while table.num_columns:
        columns.append(table.column(0).combine_chunks())
        table = table.remove_column(0)
        pool.release_unused()  # the allocator would keep the blocks' pages, unusable for whole columns
    return tuple(columns)


_RAGGED_HINT = (
    'The file is {name}-separated: a cell that contains a {name} ("{d}") must be in double quotes. '
    "Fix that row in your spreadsheet, or save the file again as CSV."
)


def _parser_error(path: Path, message: str, *, first_row: int, delimiter: str) -> ListError:
    """pandas' parser message ("Expected 10 fields in line 5, saw 11") -> a sentence naming the row."""
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if ragged:
        expected, line, saw = (int(g) for g in ragged.groups())
        return ListError(
            f"{path} row {line + first_row - 1} has {saw} cells but the header has {expected}.",
            hint=_RAGGED_HINT.format(name=DELIMITER_NAMES.get(delimiter, f'"{delimiter}"'), d=delimiter),
        )
    unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
    if unclosed:
        return ListError(
            f'{path} row {int(unclosed.group(1)) + first_row}: a cell opens a double quote (") that is never closed.',
            hint="Remove that quote or add the closing one in your spreadsheet, or save the file again as CSV.",
        )
    return ListError(f"{path}: the file cannot be read as CSV ({message.strip()}).", hint=decoding.SAVE_AS_CSV)


def _drop_blank_rows(columns: tuple[pa.Array, ...], rows: np.ndarray) -> tuple[tuple[pa.Array, ...], np.ndarray]:
    """Blank lines and rows of empty cells hold no journalist; they are not counted as rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def empty(column: pa.Array) -> np.ndarray:
        return np.asarray(pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False), dtype=bool)

    # Check the first column everywhere, the others only where the first one is empty.
    candidates = np.flatnonzero(empty(columns[0]))
    if not len(candidates):
        return columns, rows
    blank_here = np.ones(len(candidates), dtype=bool)
    for column in columns[1:]:
        blank_here &= empty(column.take(pa.array(candidates)))
    if not blank_here.any():
        return columns, rows
    keep = np.ones(len(rows), dtype=bool)
    keep[candidates[blank_here]] = False
    mask = pa.array(keep)
    return tuple(column.filter(mask) for column in columns), rows[keep]
