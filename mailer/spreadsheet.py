"""Spreadsheet-safe CSV cells: a contact's data must never run as a formula in Excel.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read by
Excel, LibreOffice or Google Sheets as a formula ("CSV injection", OWASP). Such a cell is
written with a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What safe_cell adds, as a pattern: lists mailer wrote itself read back unchanged.
ESCAPED_FORMULA = r"^'([=+\-@\t\r])"


def safe_cell(value: str) -> str:
    """The value as it is safe to write in a CSV cell: formula-like text gets a leading "'"."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
