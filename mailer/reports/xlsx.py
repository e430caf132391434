"""A report table as an XLSX workbook, streamed through XlsxWriter's constant-memory mode.

One sheet:

- the header row in bold, frozen, with an autofilter over the table;
- text as text: XlsxWriter is told never to read a string as a formula, a URL or a number
  (``strings_to_formulas``, ``strings_to_urls``, ``strings_to_numbers`` off), so a contact's
  ``=HYPERLINK(...)`` stays text with no leading apostrophe (the CSV keeps its escaping); every
  text is an inline string, which a spreadsheet never evaluates;
- whole numbers as numbers, rates (floats from 0 to 1) as numbers shown as ``12.5%``;
- instants (``datetime``, UTC) as real date-time cells shown as ``2026-02-19 10:00:05``;
  the column's label says UTC;
- flagged rows (every address bounced) filled light red.

Control characters XML 1.0 cannot hold (a vertical tab from a FileMaker export) become spaces;
a text longer than a cell holds (32,767 UTF-16 units) is cut there.

Speed: a row goes to XlsxWriter in one ``write_row`` call, untouched; only a row holding a
control character or a long text is cleaned first (one test over the row's text joined), and
only floats (rates) and flagged rows call back into this module. Rows are written to a
temporary file as they come (constant memory), so the workbook adds little to the memory the
rows themselves take.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
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
) -> None:
    """Write ``rows`` under ``labels`` as a one-sheet workbook at ``path`` (a file name or a binary file open for writing).

    Cells may be str, int, bool, float (a rate from 0 to 1, shown as a percent), datetime (aware,
    in UTC, as ``figures.instant`` makes them; shown as such) or None (empty). ``flagged`` are
    row indexes to fill red; ``widths`` column widths in characters (default: fitted to the
    first 200 rows). Raises ValueError when the rows do not fit in a sheet (1,048,575 rows),
    OSError when the file cannot be written.
    """
    import xlsxwriter

    if len(rows) >= MAX_ROWS:
        raise ValueError(f"{len(rows):,} rows do not fit in a spreadsheet (at most {MAX_ROWS - 1:,} under the header)")
    # The zip is assembled in memory (about 6 MB per 100,000 rows) and written in one call: a
    # failed write (a full disk) is then one OSError, with no half-closed zip left to complain.
    assembled = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        assembled,
        {
            "constant_memory": True,  # each row goes to a temporary file once the next begins
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": DATETIME,
            "remove_timezone": True,  # the instants are UTC: their clock time is what the cell shows
        },
    )
    _fill(workbook, sheet=sheet, labels=labels, rows=rows, flagged=flagged, widths=widths)
    workbook.close()  # assembles the file and removes the temporary one
    if isinstance(path, Path):
        path.write_bytes(assembled.getbuffer())
    else:
        path.write(assembled.getbuffer())


def _fill(
    workbook: Any, *, sheet: str, labels: Sequence[str], rows: Sequence[Sequence[Any]], flagged: Iterable[int], widths: Sequence[int]
) -> None:
    worksheet = workbook.add_worksheet(_text(sheet)[:31] or "report")
    for index, width in enumerate(widths or fitted_widths(labels, rows)):
        worksheet.set_column(index, index, width)
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, len(rows), max(len(labels), 1) - 1)
    bold = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": PERCENT})
    alert = workbook.add_format({"pattern": 1, "bg_color": ALERT_COLOR})
    alert_percent = workbook.add_format({"pattern": 1, "bg_color": ALERT_COLOR, "num_format": PERCENT})
    alert_datetime = workbook.add_format({"pattern": 1, "bg_color": ALERT_COLOR, "num_format": DATETIME})

    def rate(sheet_: Any, row: int, col: int, value: float, *_: Any) -> Any:
        return sheet_.write_number(row, col, value, percent)

    def instant(sheet_: Any, row: int, col: int, value: datetime, *_: Any) -> Any:
        if value.tzinfo is not UTC:  # figures' instants are UTC already; any other is brought to it
            return sheet_.write_datetime(row, col, value.astimezone(UTC).replace(tzinfo=None), None)
        return None  # written as it is, in the default date-time format

    worksheet.add_write_handler(float, rate)
    worksheet.add_write_handler(datetime, instant)
    worksheet.write_row(0, 0, [_text(label) for label in labels], bold)
    marked = frozenset(flagged)
    write_row = worksheet.write_row
    # A row is joined into one text to look for what needs cleaning: a control character, or a
    # text near the cell limit (XlsxWriter would cut it and stop writing the rest of the row).
    long_row = CELL_LIMIT // 2
    search = _ILLEGAL.search
    for index, row in enumerate(rows):
        texts = "".join([value for value in row if type(value) is str])
        if len(texts) > long_row or search(texts):
            row = [_text(value) if type(value) is str else value for value in row]
        if index in marked:
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
            worksheet.write_datetime(number, col, value.astimezone(UTC).replace(tzinfo=None), when)
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
