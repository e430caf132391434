"""Spreadsheet-safe CSV cells: a contact's data must never run as a formula in Excel.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read by
Excel, LibreOffice or Google Sheets as a formula ("CSV injection", OWASP). Such a cell is
written with a leading apostrophe, which spreadsheets show as plain text. So is one where such a
character follows spaces (plain or no-break): LibreOffice's "Trim spaces" and Google Sheets trim
them on import, then read the formula (review 11s; OWASP looks past them too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LEADING_SPACES = " \u00a0"  # trimmed by some spreadsheets before they look for a formula
CHECKED_STARTS = FORMULA_STARTS + tuple(LEADING_SPACES)  # a cell starting otherwise is safe as it is
# A formula start after spaces, and what safe_cell adds, as patterns (RE2, for pyarrow): lists
# mailer wrote itself read back unchanged.
LEADING_FORMULA = r"^[ \x{00a0}]+[=+\-@\t\r]"
_ESCAPED_FORMULA = r"^'([ \x{00a0}]*[=+\-@\t\r])"


def safe_cell(value: str) -> str:
    """The value as it is safe to write in a CSV cell: formula-like text gets a leading "'"."""
    return "'" + value if value.lstrip(LEADING_SPACES).startswith(FORMULA_STARTS) else value


def restore_cell(value: str) -> str:
    """Undo safe_cell on one cell ("'=x" -> "=x", "' =x" -> " =x")."""
    return value[1:] if value.startswith("'") and value[1:].lstrip(LEADING_SPACES).startswith(FORMULA_STARTS) else value


def restore_cells(cells: pa.Array) -> pa.Array:
    """Undo safe_cell on a column ("'=x" -> "=x"), so lists written by `lists clean` read back unchanged."""
    import pyarrow.compute as pc

    if not pc.any(pc.starts_with(cells, "'")).as_py():
        return cells
    return pc.replace_substring_regex(cells, _ESCAPED_FORMULA, r"\1")
