"""Spreadsheet-safe CSV cells: a contact's data must never run as a formula in Excel.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read by
Excel, LibreOffice or Google Sheets as a formula ("CSV injection", OWASP). Such a cell is
written with a leading apostrophe, which spreadsheets show as plain text. So is one where such a
character follows spaces (plain or no-break): LibreOffice's "Trim spaces" and Google Sheets trim
them on import, then read the formula (review 11s; OWASP looks past them too).

The same goes for the other forms of those signs (``LOOKALIKE_STARTS``): a Japanese, Chinese or
Korean keyboard types the full-width ＝, ＋, －, ＠, and Excel in those languages reads a typed or
imported value's full-width signs as their ASCII ones, so "＝HYPERLINK(...)" runs as a formula
there (review 20b #2). Every character whose compatibility form (Unicode NFKC) starts with a
formula sign is treated as that sign, the ideographic space as a space.

A formula sign after a list separator gets its apostrophe too (after the separator: "550
unknown;'=WEBSERVICE(...)"). Excel opens a .csv with the list separator of the computer's region,
a semicolon in France, Germany or Belgium, a comma in the English-speaking world, and cuts a line
at each one, whatever the file's delimiter; a double quote protects a cell only where that reader's
cell starts, so quoting does not help. A bounce reason "550 unknown;=WEBSERVICE(...)" in a comma
file became a cell of its own, a formula, in a Paris colleague's Excel (review 24k #4).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

ASCII_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The characters whose NFKC form starts with one of those (tests/test_review20b.py checks the
# list): full-width (U+FF0B, FF0D, FF1D, FF20), small (U+FE62, FE63, FE66, FE6B), superscript
# and subscript signs, "⩵", "⩶" and Hebrew's alternative plus sign.
LOOKALIKE_STARTS = tuple("\u207a\u207c\u208a\u208c\u2a75\u2a76\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20")
FORMULA_STARTS = ASCII_FORMULA_STARTS + LOOKALIKE_STARTS
LEADING_SPACES = " \u00a0\u3000"  # trimmed by some spreadsheets before they look for a formula
CHECKED_STARTS = FORMULA_STARTS + tuple(LEADING_SPACES)  # a cell starting otherwise is safe as it is
# A formula start after any spaces, and what safe_cell adds, as patterns (RE2, for pyarrow): lists
# mailer wrote itself read back unchanged.
_SPACES = "".join(f"\\x{{{ord(c):04x}}}" for c in LEADING_SPACES)
_STARTS = "".join(f"\\x{{{ord(c):04x}}}" for c in FORMULA_STARTS)
LEADING_FORMULA = f"^[{_SPACES}]*[{_STARTS}]"
_ESCAPED_FORMULA = f"^'([{_SPACES}]*[{_STARTS}])"
# Where Excel cuts a .csv line, by the computer's region, and a line break: inside quotes that
# begin mid-cell (for Excel in another region) it ends the line, and what follows starts one.
LIST_SEPARATORS = (",", ";", "\n", "\r")
_SEPARATORS = "".join(f"\\x{{{ord(c):04x}}}" for c in LIST_SEPARATORS)
# A formula start after a list separator, and what safe_cell makes of it: RE2 (pyarrow), then Python.
SPLIT_FORMULA = f"([{_SEPARATORS}])([{_SPACES}]*[{_STARTS}])"
_ESCAPED_SPLIT = f"([{_SEPARATORS}])'([{_SPACES}]*[{_STARTS}])"
_PY_SEPARATORS, _PY_SPACES, _PY_STARTS = (re.escape("".join(chars)) for chars in (LIST_SEPARATORS, LEADING_SPACES, FORMULA_STARTS))
# Python's: the separator looked behind, not taken, so that "x;\r=" (a carriage return is both a
# separator and a formula start) gets an apostrophe after each in one pass, "x;'\r'=".
_SPLIT = re.compile(f"(?<=[{_PY_SEPARATORS}])(?=[{_PY_SPACES}]*[{_PY_STARTS}])")
_SPLIT_ESCAPED = re.compile(f"(?<=[{_PY_SEPARATORS}])'(?=[{_PY_SPACES}]*[{_PY_STARTS}])")


def safe_cell(value: str) -> str:
    """The value as it is safe to write in a CSV cell: formula-like text gets a leading "'", and a
    formula start after a comma, semicolon or line break an "'" after it ("x;=1" -> "x;'=1")."""
    if _SPLIT.search(value):
        value = _SPLIT.sub("'", value)
    return "'" + value if value.lstrip(LEADING_SPACES).startswith(FORMULA_STARTS) else value


def splits_into_formula(value: str) -> bool:
    """Whether a spreadsheet cutting ``value`` at a comma, semicolon or line break finds a formula start after one."""
    return _SPLIT.search(value) is not None


def restore_cell(value: str) -> str:
    """Undo safe_cell on one cell ("'=x" -> "=x", "' =x" -> " =x", "x;'=y" -> "x;=y")."""
    if value.startswith("'") and value[1:].lstrip(LEADING_SPACES).startswith(FORMULA_STARTS):
        value = value[1:]
    return _SPLIT_ESCAPED.sub("", value) if "'" in value else value


def restore_cells(cells: pa.Array) -> pa.Array:
    """Undo safe_cell on a column ("'=x" -> "=x"), so lists written by `lists clean` read back unchanged."""
    import pyarrow.compute as pc

    if not pc.any(pc.match_substring(cells, "'")).as_py():  # most columns; a name column may hold O'Brien
        return cells
    if pc.any(pc.starts_with(cells, "'")).as_py():
        cells = pc.replace_substring_regex(cells, _ESCAPED_FORMULA, r"\1")
    return split_apart(cells, _ESCAPED_SPLIT, r"\1\2")


def split_apart(cells: pa.Array, pattern: str, replacement: str) -> pa.Array:
    """``pattern`` replaced until none is left: RE2 has no look-behind, and each match takes its
    separator and the next character, which may be a separator itself (a carriage return)."""
    import pyarrow.compute as pc

    while pc.any(pc.match_substring_regex(cells, pattern)).as_py():
        cells = pc.replace_substring_regex(cells, pattern, replacement)
    return cells
