"""Spreadsheet-safe CSV cells: a contact's data must never run as a formula in Excel.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read by
Excel, LibreOffice or Google Sheets as a formula ("CSV injection", OWASP). Such a cell is
written with a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What safe_cell adds, as a pattern: lists mailer wrote itself read back unchanged.
_ESCAPED_FORMULA = r"^'([=+\-@\t\r])"


def safe_cell(value: str) -> str:
    """The value as it is safe to write in a CSV cell: formula-like text gets a leading "'"."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def restore_cell(value: str) -> str:
    """Undo safe_cell on one cell ("'=x" -> "=x")."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def restore_cells(cells: pa.Array) -> pa.Array:
    """Undo safe_cell on a column ("'=x" -> "=x"), so lists written by `lists clean` read back unchanged."""
    import pyarrow.compute as pc

    if not pc.any(pc.starts_with(cells, "'")).as_py():
        return cells
    return pc.replace_substring_regex(cells, _ESCAPED_FORMULA, r"\1")
