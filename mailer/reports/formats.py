"""Report tables written as CSV, XLSX or JSON files a press officer opens in a spreadsheet.

CSV is UTF-8 with a BOM so Excel shows accents, with the delimiter asked for (the campaign's
press lists', so a semicolon office's report opens in columns in European Excel), and every text cell goes through
``spreadsheet.safe_cell`` so a contact's data can never run as a formula. XLSX needs no such
escaping: xlsx.py writes it through rustpy-xlsxwriter (XlsxWriter for a table with flagged
rows) with every text cell a string cell (never a formula), and keeps instants and rates as
typed date-time and percent cells.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from mailer import safefile
from mailer.errors import ReportError
from mailer.models import shown_subject
from mailer.reports import xlsx
from mailer.reports.figures import Summary, Table, cell_text
from mailer.spreadsheet import CHECKED_STARTS, safe_cell, splits_into_formula


def write_csv(table: Table, path: Path, *, delimiter: str = ",", on_rows: Callable[[int], None] | None = None) -> None:
    """UTF-8 with BOM, spreadsheet-safe cells; instants as "2026-02-19 10:00:05" (UTC), rates as "12.5%".

    ``delimiter``: the campaign's press lists' (a semicolon for French or German Excel, whose
    lists use it, newcomer 12 #6), as `lists clean` writes; the command line chooses it. With a
    semicolon, rates get a decimal comma ("12,5%"): the semicolon is that Excel's list separator
    because its decimal separator is the comma, and it reads "12.5%" as text (newcomer 12b #6).
    ``on_rows`` is told how many rows were written, every few thousand (a progress bar).
    """
    risky = CHECKED_STARTS
    as_text = _decimal_comma_text if delimiter == ";" else cell_text
    with _open(path, "utf-8-sig") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerow(table.labels)
        # Inline tests first: a function call for each of a million cells costs a second.
        # Most cells are plain text or counts and go through untouched.
        for start in range(0, len(table.rows), 5000):
            block = table.rows[start : start + 5000]
            text = io.StringIO()
            writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
            writer.writerows(
                [
                    (safe_cell(cell) if cell[:1] in risky and cell else cell)
                    if type(cell) is str
                    else cell
                    if type(cell) is int
                    else as_text(cell)
                    for cell in row
                ]
                for row in block
            )
            # A formula start after a comma or semicolon inside a cell (review 24k #4) is rare: looked
            # for in the block's text at once, and only then is every text cell of it made safe.
            if splits_into_formula(text.getvalue()):
                text = io.StringIO()
                csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(
                    [safe_cell(cell) if type(cell) is str else cell if type(cell) is int else as_text(cell) for cell in row]
                    for row in block
                )
            handle.write(text.getvalue())
            if on_rows is not None:
                on_rows(min(5000, len(table.rows) - start))


def _decimal_comma_text(value: Any) -> str:
    """cell_text with a decimal comma in a rate ("12,5%"), as European Excel reads a number."""
    text = cell_text(value)
    return text.replace(".", ",") if type(value) is float else text


def write_xlsx(table: Table, path: Path, *, on_rows: Callable[[int], None] | None = None) -> None:
    """One sheet named after the report: bold frozen header with an autofilter, typed cells (see xlsx.py).

    A table longer than a sheet holds is a ReportError before anything is written.
    """
    if len(table.rows) >= xlsx.MAX_ROWS:
        too_long = f"{len(table.rows):,} rows do not fit in a spreadsheet (at most {xlsx.MAX_ROWS - 1:,} under the header)."
        raise ReportError(f"{path}: {too_long}", hint="Use --format csv for a report this long.")
    with _open(path, None) as handle:
        xlsx.write(handle, sheet=table.kind, labels=table.labels, rows=table.rows, flagged=table.flagged, on_rows=on_rows)


def to_json(table: Table, summary: Summary | None = None) -> str:
    """A JSON document: the campaign, then the rows as objects keyed by column name (cells as in the CSV)."""
    text = io.StringIO()
    dump_json(table, text, summary)
    return text.getvalue()


def write_json(table: Table, path: Path, summary: Summary | None = None, *, on_rows: Callable[[int], None] | None = None) -> None:
    """``to_json``'s document written to ``path`` a row at a time (``dump_json``)."""
    with _open(path, "utf-8") as handle:
        dump_json(table, handle, summary, on_rows=on_rows)


JSON_ROWS = 500  # rows made into text and written at a time


def dump_json(table: Table, handle: IO[str], summary: Summary | None = None, *, on_rows: Callable[[int], None] | None = None) -> None:
    """``to_json``'s document written to ``handle`` as it is made, a row at a time: the same text
    as ``json.dumps(document, indent=2, ensure_ascii=False)``, without the document and its text
    held whole (review 18r #7: a 100,000-journalist report took 514 MB as JSON, 164 MB as CSV).
    ``on_rows`` is told how many rows were written, every few thousand (a progress bar)."""
    subject = shown_subject(table.campaign.subject)  # as the terminal shows it, no SendGrid token (review 12b #6)
    document: dict[str, Any] = {"campaign": table.campaign.id, "subject": subject, "report": table.kind}
    if summary is not None:
        document["figures"] = {key: {"count": count, "rate": rate} for key, _label, count, rate in summary.figures()}
        document["bounce_classes"] = dict(summary.bounce_classes)
        if summary.opened_bounce_classes:  # of those counted delivered, though their email bounced (figures.AFTER_OPENING)
            document["bounced_after_opening_classes"] = dict(summary.opened_bounce_classes)
        if summary.cancelled_note:
            document["cancelled"] = summary.cancelled_note
        if summary.notes():  # every sentence under the figures, as the terminal and the page say them
            document["notes"] = summary.notes()
        if summary.reach is not None:
            document["follow_up"] = summary.reach.as_json()
        handle.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    if not table.rows:
        document["rows"] = []
        handle.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    head = json.dumps(document, indent=2, ensure_ascii=False)
    handle.write(head[:-2] + ',\n  "rows": [\n')  # the document without its closing "}", then its rows
    keys, last = table.keys, len(table.rows) - 1
    for start in range(0, len(table.rows), JSON_ROWS):
        chunk = []
        for number, row in enumerate(table.rows[start : start + JSON_ROWS], start):
            item = json.dumps({key: _json_cell(cell) for key, cell in zip(keys, row)}, indent=2, ensure_ascii=False)
            chunk.append("    " + item.replace("\n", "\n    ") + ("\n" if number == last else ",\n"))
        handle.write("".join(chunk))
        if on_rows is not None:
            on_rows(len(chunk))
    handle.write("  ]\n}\n")


def _json_cell(cell: Any) -> Any:
    return cell if type(cell) in (str, int) else cell_text(cell)


def write_text(text: str, path: Path) -> None:
    with _open(path, "utf-8") as handle:
        handle.write(text)


def _prepare(path: Path) -> Path:
    if path.is_dir():
        raise ReportError(f"{path}: this is a folder; give a file name to write.", hint="For example: -o out/report.csv")
    blocking = safefile.file_in_the_way(path)
    if blocking is not None:
        raise ReportError(f"{blocking} is a file, not a folder: {path} cannot be written there.", hint="Give -o a path in a folder.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{path.parent}: cannot create this folder ({exc.strerror}).") from exc
    return path


@contextmanager
def _open(path: Path, encoding: str | None) -> Iterator[IO[Any]]:
    """``path`` open for writing, as text in ``encoding`` (None: bytes), replaced only once whole
    (``safefile.replacing``: a Ctrl-C or a full disk leaves the previous report as it was; review 8);
    any failure while opening or writing is a ReportError."""
    target = _prepare(path)
    try:
        with safefile.replacing(target, encoding=encoding) as handle:  # the old report stays until the new one is whole
            yield handle
    except OSError as exc:
        raise ReportError(f"{path}: cannot be written ({exc.strerror}).", hint="Check the folder exists and is writable.") from exc
