"""ContactList -> CSV files: the clean list, the pruned list and the rejected rows, in one dialect.

Every CSV mailer writes opens correctly in Excel, on Windows and in Europe alike: UTF-8 with a
byte-order mark (without it, Excel reads UTF-8 as the local code page and shows "JosÃ©"), the
input list's delimiter by default (a semicolon list stays a semicolon list, which is what Excel
expects where the decimal mark is a comma), and cells made spreadsheet-safe (no formulas).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TextIO

from mailer.contacts.loader import in_order
from mailer.errors import ListError
from mailer.models import CANONICAL_FIELDS, ContactList
from mailer.spreadsheet import safe_cell

__all__ = ["OUTPUT_ENCODING", "output_delimiter", "write_clean", "write_rejects"]

OUTPUT_ENCODING = "utf-8-sig"
_WRITABLE_DELIMITERS = (",", ";", "\t")
EXTRA_FIELDS = ("honorific",)  # taken from full names ("Dr. Jane Doe"), when a list has them


def output_delimiter(contact_list: ContactList, delimiter: str | None = None) -> str:
    """The delimiter to write with: the one asked for, else the first input list's (comma if unusual)."""
    if delimiter is not None:
        return delimiter
    found = contact_list.files[0].delimiter if contact_list.files else ","
    return found if found in _WRITABLE_DELIMITERS else ","


def write_clean(contact_list: ContactList, path: Path | str, *, delimiter: str | None = None) -> int:
    """Write the recipients with canonical column names; returns rows written."""
    names = list(CANONICAL_FIELDS) + in_order(summary.custom for summary in contact_list.files)
    names += [name for name in EXTRA_FIELDS if name not in names and any(c.fields.get(name) for c in contact_list.contacts)]
    with _open_for_writing(path) as handle:
        writer = _writer(handle, output_delimiter(contact_list, delimiter))
        writer.writerow(names)
        for contact in contact_list.contacts:
            writer.writerow([safe_cell(contact.fields.get(name, "")) for name in names])
    return len(contact_list.contacts)


def write_rejects(contact_list: ContactList, path: Path | str, *, delimiter: str | None = None) -> int:
    """Write the rejected rows with their original cells plus file, row, reason and detail.

    Lists whose columns are headed differently ("E-mail", "Email") share one column per field.
    """
    headers = in_order(rejected.cells for rejected in contact_list.rejected)
    # A list may have its own "Row" or "File" column: mailer's columns then say whose they are.
    taken = {header.casefold() for header in headers}
    extra = [f"mailer {name}" if name in taken else name for name in ("file", "row", "reason", "detail")]
    with _open_for_writing(path) as handle:
        writer = _writer(handle, output_delimiter(contact_list, delimiter))
        writer.writerow(headers + extra)
        for rejected in contact_list.rejected:
            cells = [rejected.cells.get(name, "") for name in headers]
            cells += [rejected.source, str(rejected.row), str(rejected.reason), rejected.detail]
            writer.writerow([safe_cell(cell) for cell in cells])
    return len(contact_list.rejected)


def _writer(handle: TextIO, delimiter: str) -> Any:
    return csv.writer(handle, delimiter=delimiter, lineterminator="\n")


def _open_for_writing(path: Path | str) -> TextIO:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open("w", encoding=OUTPUT_ENCODING, newline="")
    except IsADirectoryError:
        raise ListError(f"{target}: this is a folder; give a file name to write.", hint="For example: -o out/clean.csv") from None
    except OSError as exc:
        raise ListError(
            f"{target}: cannot write this file ({exc.strerror}).",
            hint="Check the folder exists and you may write there.",
        ) from exc
