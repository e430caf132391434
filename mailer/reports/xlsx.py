"""A report table as an XLSX workbook, streamed through openpyxl's write-only mode.

One sheet:

- the header row in bold, frozen, with an autofilter over the table;
- text as text: openpyxl reads a string starting with "=" as a formula, so such a cell is
  marked a string cell again (``data_type = "s"``, written as an inline string, which a
  spreadsheet never evaluates): a contact's ``=HYPERLINK(...)`` stays text with no leading
  apostrophe (the CSV keeps its escaping);
- whole numbers as numbers, rates (floats from 0 to 1) as numbers shown as ``12.5%``;
- instants (``datetime``, UTC) as real date-time cells shown as ``2026-02-19 10:00:05``;
  the column's label says UTC;
- flagged rows (every address bounced) filled light red.

Control characters XML 1.0 cannot hold (a vertical tab from a FileMaker export) become spaces;
a text longer than a cell holds (32,767 characters) is cut there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CELL_LIMIT = 32_767  # characters a spreadsheet cell holds
PERCENT = "0.0%"
DATETIME = "yyyy\\-mm\\-dd\\ hh:mm:ss"
ALERT_COLOR = "F8D7DA"  # light red


def write(
    path: Path, *, sheet: str, labels: Sequence[str], rows: Sequence[Sequence[Any]], flagged: Iterable[int] = (), widths: Sequence[int] = ()
) -> None:
    """Write ``rows`` under ``labels`` as a one-sheet workbook at ``path``.

    Cells may be str, int, float (a rate from 0 to 1, shown as a percent), datetime (UTC, shown
    as such) or None (empty). ``flagged`` are row indexes to fill red; ``widths`` column widths
    in characters (default: fitted to the first 200 rows). Raises OSError when the file cannot
    be written.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(_text(sheet)[:31] or "report")
    for index, width in enumerate(widths or fitted_widths(labels, rows), 1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    worksheet.freeze_panes = "A2"
    last = f"{get_column_letter(max(len(labels), 1))}{len(rows) + 1}"
    worksheet.auto_filter.ref = f"A1:{last}"

    # One styled cell per kind is made here; each cell of that kind copies its style (an index
    # array), which costs far less than setting a font, fill or number format per cell.
    def template(*, bold: bool = False, fill: bool = False, number_format: str | None = None) -> Any:
        cell = WriteOnlyCell(worksheet)
        if bold:
            cell.font = Font(bold=True)
        if fill:
            cell.fill = PatternFill("solid", fgColor=ALERT_COLOR)
        if number_format:
            cell.number_format = number_format
        return cell

    styles = {
        (kind, alert): template(fill=alert, number_format=number_format)._style
        for kind, number_format in ((str, None), (float, PERCENT), (datetime, DATETIME))
        for alert in (False, True)
    }
    header_style = template(bold=True)._style

    def styled(value: Any, style: Any, *, text: bool = False) -> Any:
        cell = WriteOnlyCell(worksheet)
        cell._style = style  # shared, never changed: openpyxl looks the array up when it writes
        cell.value = value
        if text:
            cell.data_type = "s"  # a string starting with "=" stays text, never a formula
        return cell

    worksheet.append([styled(_text(label), header_style, text=True) for label in labels])
    plain_text, plain_percent, plain_datetime = styles[(str, False)], styles[(float, False)], styles[(datetime, False)]
    alert_text, alert_percent, alert_datetime = styles[(str, True)], styles[(float, True)], styles[(datetime, True)]
    marked = frozenset(flagged)
    for index, row in enumerate(rows):
        alert = index in marked
        text_style = alert_text if alert else plain_text
        percent_style = alert_percent if alert else plain_percent
        datetime_style = alert_datetime if alert else plain_datetime
        cells: list[Any] = []
        for value in row:
            kind = type(value)
            if kind is str:
                if not value:
                    cells.append(styled(None, text_style) if alert else None)  # no cell: the same to a reader, less to write
                    continue
                if _ILLEGAL.search(value) or len(value) > CELL_LIMIT:
                    value = _text(value)
                if value[:1] == "=" or alert:
                    cells.append(styled(value, text_style, text=True))
                else:
                    cells.append(value)
            elif kind is int:
                cells.append(styled(value, text_style) if alert else value)
            elif kind is float:
                cells.append(styled(value, percent_style))
            elif kind is datetime:
                cells.append(styled(value.astimezone(UTC).replace(tzinfo=None), datetime_style))
            elif value is None:
                cells.append(styled(None, text_style) if alert else None)
            elif kind is bool:
                cells.append(styled(value, text_style) if alert else value)
            else:
                cells.append(styled(_text(str(value)), text_style, text=True))
        worksheet.append(cells)
    workbook.save(path)


def _text(value: str) -> str:
    """``value`` as a cell holds it: control characters XML cannot carry as spaces, cut at the cell limit."""
    return _ILLEGAL.sub(" ", value)[:CELL_LIMIT]


def fitted_widths(labels: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Column widths in characters: the longest of the header and the first 200 rows, 8 to 60."""
    widths = [len(label) for label in labels]
    for row in rows[:200]:
        widths = [
            max(w, 19 if isinstance(cell, datetime) else 6 if isinstance(cell, float) else len(str(cell))) for w, cell in zip(widths, row)
        ]
    return [min(max(w + 2, 8), 60) for w in widths]
