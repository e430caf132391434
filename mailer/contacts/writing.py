"""ContactList -> CSV files: the clean list and the rejected rows, spreadsheet-safe."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from mailer.contacts.loader import in_order
from mailer.errors import ListError
from mailer.models import CANONICAL_FIELDS, ContactList
from mailer.spreadsheet import safe_cell

__all__ = ["write_clean", "write_rejects"]


def write_clean(contact_list: ContactList, path: Path | str) -> int:
    """Write the recipients as UTF-8 CSV with canonical column names; returns rows written."""
    names = list(CANONICAL_FIELDS) + in_order(summary.custom for summary in contact_list.files)
    with _open_for_writing(path, "utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for contact in contact_list.contacts:
            writer.writerow([safe_cell(contact.fields.get(name, "")) for name in names])
    return len(contact_list.contacts)


def write_rejects(contact_list: ContactList, path: Path | str) -> int:
    """Write the rejected rows with their original cells plus file, row, reason and detail.

    UTF-8 with BOM, so Excel shows accents right when a colleague opens it to fix the rows.
    """
    headers = in_order(rejected.cells for rejected in contact_list.rejected)
    # A list may have its own "Row" or "File" column: mailer's columns then say whose they are.
    taken = {header.casefold() for header in headers}
    extra = [f"mailer {name}" if name in taken else name for name in ("file", "row", "reason", "detail")]
    with _open_for_writing(path, "utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(headers + extra)
        for rejected in contact_list.rejected:
            cells = [rejected.cells.get(name, "") for name in headers]
            cells += [rejected.source, str(rejected.row), str(rejected.reason), rejected.detail]
            writer.writerow([safe_cell(cell) for cell in cells])
    return len(contact_list.rejected)


def _open_for_writing(path: Path | str, encoding: str) -> TextIO:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open("w", encoding=encoding, newline="")
    except IsADirectoryError:
        raise ListError(f"{target}: this is a folder; give a file name to write.", hint="For example: -o out/clean.csv") from None
    except OSError as exc:
        raise ListError(
            f"{target}: cannot write this file ({exc.strerror}).",
            hint="Check the folder exists and you may write there.",
        ) from exc
