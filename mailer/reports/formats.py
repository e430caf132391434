"""Report tables written as CSV, XLSX or JSON files a press officer opens in a spreadsheet.

CSV is UTF-8 with a BOM so Excel shows accents, and every text cell goes through
``spreadsheet.safe_cell`` so a contact's data can never run as a formula. XLSX cells get the
same treatment, since openpyxl stores any text starting with "=" as a formula.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from mailer.errors import ReportError
from mailer.reports.figures import Summary, Table
from mailer.spreadsheet import FORMULA_STARTS, safe_cell


def write_csv(table: Table, path: Path) -> None:
    """UTF-8 with BOM, spreadsheet-safe cells."""
    with _open(path, "utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(table.labels)
        risky = FORMULA_STARTS
        # Inline test first: calling safe_cell for each of a million cells costs a second.
        writer.writerows(
            [safe_cell(cell) if type(cell) is str and cell[:1] in risky and cell else cell for cell in row] for row in table.rows
        )


def write_xlsx(table: Table, path: Path) -> None:
    """One sheet named after the report, header row in bold, columns sized to fit."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.kind)
    widths = [len(label) for label in table.labels]
    for row in table.rows[:200]:
        widths = [max(w, len(str(cell))) for w, cell in zip(widths, row)]
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for label in table.labels:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    alert = PatternFill("solid", fgColor="F8D7DA")
    for index, row in enumerate(table.rows):
        if index in table.flagged:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=_xlsx_safe(value))
                cell.fill = alert
                cells.append(cell)
            sheet.append(cells)
        else:
            sheet.append([_xlsx_safe(value) for value in row])
    target = _prepare(path)
    try:
        workbook.save(target)
    except OSError as exc:
        raise ReportError(f"{path}: cannot be written ({exc.strerror}).", hint="Check the folder exists and is writable.") from exc


def to_json(table: Table, summary: Summary | None = None) -> str:
    """A JSON document: the campaign, then the rows as objects keyed by column name."""
    document: dict[str, Any] = {"campaign": table.campaign.id, "subject": table.campaign.subject, "report": table.kind}
    if summary is not None:
        document["figures"] = {key: {"count": count, "rate": rate} for key, _label, count, rate in summary.figures()}
        document["bounce_classes"] = dict(summary.bounce_classes)
        if summary.reach is not None:
            document["follow_up"] = summary.reach.as_json()
    else:
        document["rows"] = [dict(zip(table.keys, row)) for row in table.rows]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_text(text: str, path: Path) -> None:
    with _open(path, "utf-8") as handle:
        handle.write(text)


def _safe(value: Any) -> Any:
    return safe_cell(value) if isinstance(value, str) else value


def _xlsx_safe(value: Any) -> Any:
    """As ``_safe``, and without the control characters XLSX cannot hold (a vertical tab from a
    FileMaker export would make openpyxl refuse the whole file): each becomes a space."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _safe(value)
    return ILLEGAL_CHARACTERS_RE.sub(" ", value) if isinstance(value, str) else value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _prepare(path: Path) -> Path:
    if path.is_dir():
        raise ReportError(f"{path}: this is a folder; give a file name to write.", hint="For example: -o out/report.csv")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{path.parent}: cannot create this folder ({exc.strerror}).") from exc
    return path


def _open(path: Path, encoding: str) -> Any:
    target = _prepare(path)
    try:
        return target.open("w", encoding=encoding, newline="")
    except OSError as exc:
        raise ReportError(f"{path}: cannot be written ({exc.strerror}).", hint="Check the folder exists and is writable.") from exc
