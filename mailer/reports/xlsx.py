"""A report table as an XLSX workbook: rustpy-xlsxwriter (Rust's rust_xlsxwriter) for plain tables,
XlsxWriter's constant-memory mode for a table with rows to fill red.

One sheet:

- the header row in bold, frozen, with an autofilter over the table;
- text as text: neither writer reads a string as a formula, a URL or a number (XlsxWriter is
  told so: ``strings_to_formulas``, ``strings_to_urls``, ``strings_to_numbers`` off), so a
  contact's ``=HYPERLINK(...)`` stays text with no leading apostrophe (the CSV keeps its
  escaping); every text is an inline string, which a spreadsheet never evaluates;
- whole numbers as whole numbers (rust_xlsxwriter's ``3.0`` rewritten ``3``, so a reader sees an
  integer: ``_whole_numbers``), rates (floats from 0 to 1) as numbers shown as ``12.5%``;
- instants (``datetime``, UTC) as real date-time cells shown as ``2026-02-19 10:00:05``;
  the column's label says UTC;
- flagged rows (every address bounced) filled light red, every cell of them.

Control characters XML 1.0 cannot hold (a vertical tab from a FileMaker export) become spaces;
a text longer than a cell holds (32,767 UTF-16 units) is cut there.

Two writers. rustpy-xlsxwriter writes the rows in Rust (several times XlsxWriter's speed,
close to the CSV's: ``benchmarks/report.py``) but styles whole rows or columns only, never one
cell: a flagged row's rate and empty cells would stay white, and a table without rows would
lose its header. Those tables (the outlets report, one row per outlet) go through XlsxWriter,
which fills each cell of a flagged row.

Speed: a row goes to a writer untouched; only a row holding a control character or a long
text is cleaned first (one test over the row's text joined), and only a row holding an instant
that is not in UTC is brought to UTC. Both writers stream the rows through temporary files
(constant memory), and the finished workbook is copied to the report file, so the workbook
adds little to the memory the rows themselves take.
"""

from __future__ import annotations

import errno
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CELL_LIMIT = 32_767  # UTF-16 code units a spreadsheet cell holds
MAX_ROWS = 1_048_576  # rows a sheet holds, the header included
PERCENT = "0.0%"
DATETIME = "yyyy\\-mm\\-dd\\ hh:mm:ss"
ALERT_COLOR = "#F8D7DA"  # light red


def write(
    path: Path | IO[bytes],
    *,
    sheet: str,
    labels: Sequence[str],
    rows: Sequence[Sequence[Any]],
    flagged: Iterable[int] = (),
    widths: Sequence[int] = (),
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """Write ``rows`` under ``labels`` as a one-sheet workbook at ``path`` (a file name or a binary file open for writing).

    Cells may be str, int, bool, float (a rate from 0 to 1, shown as a percent), datetime (aware,
    in UTC, as ``figures.instant`` makes them; one in another zone is shown in UTC) or None
    (empty). ``labels`` are distinct. ``flagged`` are row indexes to fill red; ``widths`` column
    widths in characters (default: fitted to the first 200 rows). ``on_rows`` is told how many
    rows were written, every few thousand (a progress bar). Raises ValueError when the
    rows do not fit in a sheet (1,048,575 rows) or two labels are the same, OSError when the
    file cannot be written.
    """
    if len(rows) >= MAX_ROWS:
        raise ValueError(f"{len(rows):,} rows do not fit in a spreadsheet (at most {MAX_ROWS - 1:,} under the header)")
    header = [_text(label) for label in labels]
    if len(set(header)) != len(header):
        raise ValueError(f"two columns have the same label: {', '.join(header)}")
    marked = frozenset(flagged)
    sized = list(widths or fitted_widths(labels, rows))
    # Each writer makes the workbook in a scratch folder (both stream their rows through
    # temporary files, so memory stays flat however long the table); it is then copied to
    # ``path`` with plain reads and writes, so a failed write (a full disk) is one OSError.
    with tempfile.TemporaryDirectory(prefix="mailer-xlsx-") as folder:
        made = Path(folder) / "report.xlsx"
        if marked or not rows:
            _write_styled(made, sheet=sheet, header=header, rows=rows, flagged=marked, widths=sized, on_rows=on_rows)
        else:
            plain = Path(folder) / "plain.xlsx"
            _write_plain(plain, sheet=sheet, header=header, rows=rows, widths=sized, on_rows=on_rows)
            _whole_numbers(plain, made)
        with made.open("rb") as workbook:
            if isinstance(path, Path):
                with path.open("wb") as target:
                    shutil.copyfileobj(workbook, target)
            else:
                shutil.copyfileobj(workbook, path)


def _write_plain(
    made: Path,
    *,
    sheet: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int],
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """A table without flagged rows, through rustpy-xlsxwriter: each row a dict keyed by its label, streamed."""
    import rustpy_xlsxwriter

    try:
        rustpy_xlsxwriter.write_worksheet(
            _records(header, rows, on_rows),
            str(made),
            sheet_name=_sheet_name(sheet),
            freeze_row=1,
            bold_headers=True,
            autofilter=True,
            column_widths=list(map(float, widths)),
            float_format=PERCENT,
            datetime_format=DATETIME,
        )
    except OSError as exc:  # its message says what failed, but it carries no errno or strerror
        raise OSError(errno.EIO, f"the workbook could not be made in the temporary folder: {exc}") from exc


def _whole_numbers(plain: Path, made: Path) -> None:
    """``plain`` (rustpy-xlsxwriter's workbook) copied to ``made`` with its whole numbers written
    as such: rust_xlsxwriter writes a count of 3 as ``<v>3.0</v>``, which a spreadsheet reader
    (openpyxl, pandas) reads back as a float (fix12r: the counts of four sheets were floats).

    A number is written in its shortest form, which ends in ".0" only when it is whole, and text
    never holds "</v>" (its "<" is escaped; inline strings sit in ``<t>``): cutting ".0" before
    each "</v>" changes whole numbers only (a 100% rate, 1.0, is then 1, as XlsxWriter writes it).
    Each sheet is streamed in chunks cut after a ">" (no "</v>" is split); the other parts are copied.
    """
    import zipfile

    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(made, "w") as target:
        for info in source.infolist():
            with source.open(info) as reading, target.open(info, "w") as writing:
                if not info.filename.startswith("xl/worksheets/"):
                    shutil.copyfileobj(reading, writing)
                    continue
                rest = b""
                while chunk := reading.read(1 << 20):
                    text = rest + chunk
                    cut = text.rfind(b">") + 1
                    writing.write(text[:cut].replace(b".0</v>", b"</v>"))
                    rest = text[cut:]
                writing.write(rest)


def _records(
    labels: Sequence[str], rows: Iterable[Sequence[Any]], on_rows: Callable[[int], None] | None = None
) -> Iterator[dict[str, Any]]:
    """The rows as dicts keyed by label, as rustpy-xlsxwriter takes them."""
    for row in _cleaned(rows, on_rows):
        yield dict(zip(labels, row))


ROWS_PER_STEP = 5000  # rows between two calls of ``on_rows``


def _cleaned(rows: Iterable[Sequence[Any]], on_rows: Callable[[int], None] | None = None) -> Iterator[Sequence[Any]]:
    """The rows, each cleaned (``_clean``) only if it needs it; ``on_rows`` told of each ROWS_PER_STEP taken."""
    # A row's texts are joined into one to look for what needs cleaning: a control character,
    # or a text near the cell limit (rustpy-xlsxwriter refuses a text longer than a cell holds,
    # XlsxWriter cuts it and stops writing the rest of the row).
    long_row = CELL_LIMIT // 2
    search = _ILLEGAL.search
    for number, row in enumerate(rows, 1):
        if on_rows is not None and number % ROWS_PER_STEP == 0:
            on_rows(ROWS_PER_STEP)
        texts = "".join([value for value in row if type(value) is str])
        if len(texts) > long_row or search(texts) or [value for value in row if type(value) is datetime and value.tzinfo is not UTC]:
            yield _clean(row)
        else:
            yield row


def _clean(row: Sequence[Any]) -> list[Any]:
    """A row's texts as a cell holds them (``_text``), its instants as UTC clock times."""
    return [
        _text(value) if type(value) is str else _utc(value) if type(value) is datetime and value.tzinfo is not UTC else value
        for value in row
    ]


def _utc(value: datetime) -> datetime:
    """An instant in another zone as a UTC one; a naive one is taken to be UTC already."""
    return value if value.tzinfo is None else value.astimezone(UTC)


def _sheet_name(sheet: str) -> str:
    return _text(sheet)[:31] or "report"


def _write_styled(
    made: Path,
    *,
    sheet: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    flagged: frozenset[int],
    widths: Sequence[int],
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """A table with flagged rows (or none at all), through XlsxWriter, which fills a flagged row cell by cell."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(made),
        {
            "constant_memory": True,  # each row goes to a temporary file once the next begins
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": DATETIME,
            "remove_timezone": True,  # the instants are UTC: their clock time is what the cell shows
        },
    )
    _fill(workbook, sheet=sheet, header=header, rows=rows, flagged=flagged, widths=widths, on_rows=on_rows)
    workbook.close()  # assembles the file and removes the temporary one


def _fill(
    workbook: Any,
    *,
    sheet: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    flagged: frozenset[int],
    widths: Sequence[int],
    on_rows: Callable[[int], None] | None = None,
) -> None:
    worksheet = workbook.add_worksheet(_sheet_name(sheet))
    for index, width in enumerate(widths):
        worksheet.set_column(index, index, width)
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, len(rows), max(len(header), 1) - 1)
    bold = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": PERCENT})
    alert = workbook.add_format({"pattern": 1, "bg_color": ALERT_COLOR})
    alert_percent = workbook.add_format({"pattern": 1, "bg_color": ALERT_COLOR, "num_format": PERCENT})
    alert_datetime = workbook.add_format({"pattern": 1, "bg_color": ALERT_COLOR, "num_format": DATETIME})

    def rate(sheet_: Any, row: int, col: int, value: float, *_: Any) -> Any:
        return sheet_.write_number(row, col, value, percent)

    worksheet.add_write_handler(float, rate)
    worksheet.write_row(0, 0, header, bold)
    write_row = worksheet.write_row
    for index, row in enumerate(_cleaned(rows, on_rows)):
        if index in flagged:
            _write_alert(worksheet, index + 1, row, alert, alert_percent, alert_datetime)
        else:
            write_row(index + 1, 0, row)


def _write_alert(worksheet: Any, number: int, row: Sequence[Any], text: Any, rate: Any, when: Any) -> None:
    """A flagged row: every cell filled, its empty ones too."""
    for col, value in enumerate(row):
        kind = type(value)
        if kind is float:
            worksheet.write_number(number, col, value, rate)
        elif kind is datetime:
            worksheet.write_datetime(number, col, value.replace(tzinfo=None), when)
        elif kind is int or kind is bool:
            worksheet.write(number, col, value, text)
        elif value is None or value == "":
            worksheet.write_blank(number, col, None, text)
        else:
            worksheet.write_string(number, col, value if kind is str else _text(str(value)), text)


def _text(value: str) -> str:
    """``value`` as a cell holds it: control characters XML cannot carry as spaces, cut at the cell limit."""
    value = _ILLEGAL.sub(" ", value)
    if len(value) * 2 <= CELL_LIMIT:
        return value
    # Counted in UTF-16 units, as spreadsheets count; a character cut in half is left out.
    return value.encode("utf-16-le")[: 2 * CELL_LIMIT].decode("utf-16-le", "ignore")


def fitted_widths(labels: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Column widths in characters: the longest of the header and the first 200 rows, 8 to 60."""
    widths = [len(label) for label in labels]
    for row in rows[:200]:
        widths = [
            max(w, 19 if isinstance(cell, datetime) else 6 if isinstance(cell, float) else len(str(cell))) for w, cell in zip(widths, row)
        ]
    return [min(max(w + 2, 8), 60) for w in widths]
