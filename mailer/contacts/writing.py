"""ContactList -> CSV files: the clean list, the pruned list and the rejected rows, in one dialect.

Every CSV mailer writes opens correctly in Excel, on Windows and in Europe alike: UTF-8 with a
byte-order mark (without it, Excel reads UTF-8 as the local code page and shows "JosÃ©"), the
input list's delimiter by default (a semicolon list stays a semicolon list, which is what Excel
expects where the decimal mark is a comma), and cells made spreadsheet-safe (no formulas).

The clean list is written column by column: each cell made safe and quoted as Python's
``csv.writer`` would (Arrow compute kernels), the cells of a row joined, and the text of a
block of rows written in one go. tests/test_contacts_table.py proves the bytes are those of
``csv.writer`` with ``safe_cell`` (a carriage return inside a cell quoted, as a writer ending its
lines "\\r\\n" quotes it; lines end "\\n").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, cast

from mailer import safefile
from mailer.contacts import cellbytes
from mailer.contacts.loader import in_order
from mailer.errors import ListError
from mailer.models import CANONICAL_FIELDS, Contact, ContactList, ContactTable
from mailer.spreadsheet import ASCII_FORMULA_STARTS, CHECKED_STARTS, LEADING_FORMULA, LIST_SEPARATORS, SPLIT_FORMULA, safe_cell, split_apart

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["OUTPUT_ENCODING", "output_delimiter", "shared_delimiter", "write_clean", "write_rejects"]

OUTPUT_ENCODING = "utf-8-sig"
_WRITABLE_DELIMITERS = (",", ";", "\t")
EXTRA_FIELDS = ("honorific",)  # taken from full names ("Dr. Jane Doe"), when a list has them
BLOCK_ROWS = 65_536  # rows turned into CSV text at a time: the text of one block is all that is held


def output_delimiter(contact_list: ContactList, delimiter: str | None = None) -> str:
    """The delimiter to write with: the one asked for, else the first input list's (comma if unusual)."""
    if delimiter is not None:
        return delimiter
    found = contact_list.files[0].delimiter if contact_list.files else ","
    return found if found in _WRITABLE_DELIMITERS else ","


def shared_delimiter(contact_list: ContactList) -> str | None:
    """The delimiter every list file of more than one column uses (comma, semicolon or tab); None
    when they differ or none tells. The send logs it, so the campaign's report CSVs are written
    with it (newcomer 12 #6: a semicolon office's report opened in one column in European Excel)."""
    found = {file.delimiter for file in contact_list.files if len(file.recognized) + len(file.custom) > 1}
    return found.pop() if len(found) == 1 and found <= set(_WRITABLE_DELIMITERS) else None


def write_clean(contact_list: ContactList, path: Path | str, *, delimiter: str | None = None) -> int:
    """Write the recipients with canonical column names; returns rows written.

    Columns: the canonical fields, every list's custom fields, then ``honorific`` when a full
    name had one. Raises ListError when the file cannot be written.
    """
    table = _as_table(contact_list.contacts)
    names = list(CANONICAL_FIELDS) + in_order(summary.custom for summary in contact_list.files)
    names += [name for name in EXTRA_FIELDS if name not in names and _any_text(table, name)]
    chosen = output_delimiter(contact_list, delimiter)
    with _open_for_writing(path) as handle:
        _write_rows(handle, [], chosen, header=_headings(contact_list, names))
        for start in range(0, len(table), BLOCK_ROWS):
            _write_columns(handle, [_column(table, name, start) for name in names], chosen)
    return len(table)


def _headings(contact_list: ContactList, names: Sequence[str]) -> list[str]:
    """The cleaned list's headings: each column's name, but an opt-out or opt-in column's heading as
    the list has it (review 20c #6: "Do Not Email (Y/N)" written do_not_email_y_n, a colleague's later
    "Y" there was no opt-out; newcomer 21: "Einwilligung" written einwilligung, though the README
    keeps every such heading). Read back, it is the same name."""
    from mailer.contacts.headers import is_opt_in_header, is_opt_out_header

    def kept(header: str) -> bool:
        return is_opt_out_header(header) or is_opt_in_header(header)

    # ... and a column of the list's own whose name would read as one ("No. releases" written no_releases, read
    # back as "no releases": review 22b #11) keeps its heading too.
    written = {name: header for summary in contact_list.files for name, header in summary.custom.items() if kept(header) or kept(name)}
    return [written.get(name, name) for name in names]


def _as_table(contacts: Sequence[Contact]) -> ContactTable:
    """The recipients column by column (Contacts built by hand become a table here)."""
    if isinstance(contacts, ContactTable):
        return contacts
    import numpy as np
    import pyarrow as pa

    names = in_order(contact.fields for contact in contacts)
    names = ["email", *(name for name in names if name != "email")]
    columns = {name: pa.array([str(c.fields.get(name, "")) for c in contacts], type=pa.large_string()) for name in names}
    columns["email"] = pa.array([c.email for c in contacts], type=pa.large_string())
    sources = in_order([[c.source] for c in contacts])
    index = {source: number for number, source in enumerate(sources)}
    return ContactTable(
        columns,
        sources=sources,
        source_of=np.array([index[c.source] for c in contacts], dtype=np.int32),
        rows=np.array([c.row for c in contacts], dtype=np.int64),
        names_of_source=[names] * len(sources),
    )


def _any_text(table: ContactTable, name: str) -> bool:
    import pyarrow.compute as pc

    return name in table.field_names and bool(pc.any(pc.not_equal(table.column(name), "")).as_py())


def _column(table: ContactTable, name: str, start: int) -> pa.Array:
    import pyarrow as pa

    if name not in table.field_names:
        return pa.repeat(pa.scalar("", pa.large_string()), min(BLOCK_ROWS, len(table) - start))
    return table.column(name).slice(start, BLOCK_ROWS)


def _write_columns(handle: BinaryIO, columns: Sequence[pa.Array], delimiter: str) -> None:
    """Rows of text columns as CSV lines, byte for byte what csv.writer writes of their safe_cell values."""
    import pyarrow.compute as pc

    cells = [_quoted(_safe(_no_nulls(column)), delimiter) for column in columns]
    if len(cells) == 1:  # a lone empty cell is written "" so that the row is not a blank line
        cells = [pc.if_else(pc.equal(cells[0], ""), _text('""'), cells[0])]
    lines = pc.binary_join_element_wise(*cells, _text(delimiter))
    lines = pc.binary_join_element_wise(lines, _text(""), _text("\n"))
    if not len(lines):
        return
    # The lines of a string array without nulls lie end to end in its data buffer.
    data, _ = cellbytes.bytes_of(lines)
    handle.write(data.data)


def _no_nulls(column: pa.Array) -> pa.Array:
    import pyarrow as pa

    column = column.cast(pa.large_string())
    return column.fill_null("") if column.null_count else column


_OTHER_STARTS = tuple(c for c in CHECKED_STARTS if not c.isascii())  # a no-break space, "＝", ...


def _safe(cells: pa.Array) -> pa.Array:
    """safe_cell on a column: formula-like cells get a leading "'", a formula start after a comma
    or semicolon an "'" after it (review 24k #4: rare, looked for only in a column holding one)."""
    import pyarrow.compute as pc

    if cellbytes.holding(cells, LIST_SEPARATORS) is not None:
        cells = split_apart(cells, SPLIT_FORMULA, r"\1'\2")

    risky = cellbytes.holding(cells, ASCII_FORMULA_STARTS, first=True)
    # Rare: lists are trimmed, and full-width signs (review 20b #2) are seldom anywhere in a list.
    if pc.any(pc.starts_with(cells, " ")).as_py() or cellbytes.may_hold(cells, _OTHER_STARTS):
        spaced = pc.match_substring_regex(cells, LEADING_FORMULA)
        risky = spaced if risky is None else pc.or_(risky, spaced)
    if risky is None:
        return cells
    return pc.if_else(risky, pc.binary_join_element_wise(_text("'"), cells, _text("")), cells)


def _quoted(cells: pa.Array, delimiter: str) -> pa.Array:
    """Cells in double quotes (inner quotes doubled) where csv.writer quotes them."""
    import pyarrow.compute as pc

    characters = _quoted_characters(delimiter)
    if all(character.isascii() for character in characters):
        needs = cellbytes.holding(cells, characters)
        if needs is None:
            return cells
    else:
        needs = pc.match_substring_regex(cells, _character_class(characters))
    quoted = pc.binary_join_element_wise(_text('"'), pc.replace_substring(cells, '"', '""'), _text('"'), _text(""))
    return pc.if_else(needs, quoted, cells)


def _text(value: str) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(value, pa.large_string())


def _character_class(characters: Sequence[str]) -> str:
    """An RE2 character class of exactly these characters (each written as a hex escape)."""
    return "[" + "".join(f"\\x{{{ord(character):x}}}" for character in characters) + "]"


@cache
def _quoted_characters(delimiter: str) -> tuple[str, ...]:
    """The characters that make csv.writer (minimal quoting) quote a cell, asked of csv itself.

    Asked of a writer ending its lines "\\r\\n", which quotes a carriage return as well as a line
    feed: one ending them "\\n" (as the files are written) leaves a lone carriage return unquoted,
    and a cell typed with one (Excel for Mac's line break inside a cell) then read back as two rows
    (review 18h #7)."""
    found = []
    for character in sorted({delimiter, *map(chr, range(128))}):
        buffer = io.StringIO()
        _writer(buffer, delimiter, lineterminator="\r\n").writerow([f"a{character}b", "c"])
        if buffer.getvalue().startswith('"'):
            found.append(character)
    return tuple(sorted(found))


def _write_rows(handle: BinaryIO, rows: Sequence[Sequence[str]], delimiter: str, *, header: Sequence[str]) -> None:
    """The header row, then the rows, every cell made spreadsheet-safe (a rejects file's headings
    are the list's own, which may start like a formula: review 20b #4), in one write: each line as
    csv.writer writes it ending in "\\r\\n" (a carriage return in a cell quoted), ended "\\n"."""
    buffer = io.StringIO()
    writer = _writer(buffer, delimiter, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow([safe_cell(cell) for cell in row])
        buffer.seek(buffer.tell() - 2)  # "\r\n" -> "\n"
        buffer.write("\n")
        buffer.truncate()
    handle.write(buffer.getvalue().encode("utf-8"))


def write_rejects(contact_list: ContactList, path: Path | str, *, delimiter: str | None = None) -> int:
    """Write the rejected rows with their original cells plus file, row, reason and detail.

    Lists whose columns are headed differently ("E-mail", "Email") share one column per field.
    """
    headers = in_order(rejected.cells for rejected in contact_list.rejected) or _list_headers(contact_list)
    # A list may have its own "Row" or "File" column: mailer's columns then say whose they are.
    taken = {header.casefold() for header in headers}
    extra = [f"mailer {name}" if name in taken else name for name in ("file", "row", "reason", "detail")]
    rows = []
    for rejected in contact_list.rejected:
        cells = [rejected.cells.get(name, "") for name in headers]
        # "opted out" or "without consent" for a row the list's own columns turned away, as the log and
        # a send's skipped.csv say it (review 24r #3: "suppressed" sent a colleague to the suppression list).
        rows.append([*cells, rejected.source, str(rejected.row), str(rejected.logged_reason), rejected.detail])
    with _open_for_writing(path) as handle:
        _write_rows(handle, rows, output_delimiter(contact_list, delimiter), header=headers + extra)
    return len(contact_list.rejected)


def _list_headers(contact_list: ContactList) -> list[str]:
    """The lists' own headings, for a rejects file without rows: headed "file,row,reason,detail" alone,
    it did not read back as a list (review 25l #10: a send given the cleaned list and its rejects
    stopped, "no email address column"). A field the lists head differently is the first list's."""
    shared: dict[str, str] = {}
    own: list[str] = []
    for summary in contact_list.files:
        for name, header in summary.recognized.items():
            shared.setdefault(name, header)
        own.extend(header for header in summary.custom.values() if header)
    return in_order([list(shared.values()), own])


def _writer(handle: TextIO, delimiter: str, *, lineterminator: str = "\n") -> Any:
    return csv.writer(handle, delimiter=delimiter, lineterminator=lineterminator)


@contextmanager
def _open_for_writing(path: Path | str) -> Iterator[BinaryIO]:
    """The file opened for writing bytes, its UTF-8 byte-order mark written (OUTPUT_ENCODING); it
    replaces ``path`` only once whole (``safefile.replacing``). ListError, naming the file, when it
    cannot be written (a full disk ended in a traceback; review 8)."""
    target = Path(path)
    if target.is_dir():
        raise ListError(f"{target}: this is a folder; give a file name to write.", hint="For example: -o out/clean.csv")
    blocking = safefile.file_in_the_way(target)
    if blocking is not None:
        raise ListError(f"{blocking} is a file, not a folder: {target} cannot be written there.", hint="For example: -o out/clean.csv")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with safefile.replacing(target) as handle:
            handle.write("".encode(OUTPUT_ENCODING))  # the byte-order mark
            yield cast(BinaryIO, handle)
    except OSError as exc:
        raise ListError(
            f"{target}: cannot write this file ({exc.strerror or exc}).",
            hint="Check the folder exists, that you may write there and that the disk has room.",
        ) from exc
