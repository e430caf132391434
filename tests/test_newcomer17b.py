"""Newcomer 17b's pass over the README as changed on 1 December 2026: what a reader saw."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_readme_table_row_has_the_cells_of_its_header() -> None:
    """A `|` inside backticks still ends a table cell on GitHub unless written `\\|`: the row of the
    template filter error showed "(`{{ headline " and lost the rest of its remedy."""
    wrong = []
    header_cells = None
    in_code = False
    for number, line in enumerate(README.splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not line.startswith("|"):
            header_cells = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line.strip().strip("|")))
        if header_cells is None:
            header_cells = cells
        elif not re.fullmatch(r"\|[-:| ]+\|", line.strip()) and cells != header_cells:
            wrong.append(f"README.md line {number}: {cells} cells, its header {header_cells}")
    assert not wrong, "\n".join(wrong)
