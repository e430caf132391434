"""Review 21: today's changes on main tried as a press office or an attacker would (the Mail Send
bodies msgspec encodes, the control characters shown in the report page, the consent wording),
each finding asserted as it should be; each failed on main before its fix.

Commands run through click's CliRunner in an office folder; SendGrid is the local stand-in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer.cli import main

ROOT = Path(__file__).parent.parent


def _office(folder: Path, **lists: str) -> None:
    """``folder`` made an office folder: the example release and templates, ``lists`` (name -> CSV
    text) under lists/, a SQLite log."""
    for name in ("releases", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / "lists").mkdir()
    for name, text in lists.items():
        (folder / "lists" / f"{name}.csv").write_text(text, encoding="utf-8")
    (folder / "mailer.toml").write_text(
        '[database]\nurl = "sqlite:///out/mailer.db"\n[sender]\npostal_address = "1 Hive Road, Riverbend"\n', encoding="utf-8"
    )


# -- 1. "Nobody to send to" said journalists without consent were "suppressed (unsubscribed, bounced ...)"


GDPR = "Email,First Name,Email consent\njane@example.org,Jane,\nbob@example.org,Bob,no\n"
CRM = "Email,First Name,Do Not Email\nann@example.org,Ann,yes\nlee@example.org,Lee,\n"


def test_nobody_to_send_to_says_the_list_gave_no_consent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list kept for the GDPR whose consent cells are empty or say no: nobody may be mailed.
    The send said 'all 2 journalists of the lists are suppressed (unsubscribed, bounced or added
    by hand)' and sent her to `mailer suppressions list`, which listed nobody: none of them
    unsubscribed or bounced. It now says they gave no consent, and where to see it."""
    _office(tmp_path, gdpr=GDPR)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["send", "releases/example.md", "--list", "lists/gdpr.csv", "--dry-run"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "Error: Nobody to send to: all 2 journalists of the lists gave no consent to email" in said, said
    assert "unsubscribed, bounced" not in said and "mailer suppressions list" not in said, said
    assert "mailer lists check lists/gdpr.csv" in said, said


def test_nobody_to_send_to_counts_each_reason_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lists, one of a CRM whose opt-out column marks Ann, one kept for the GDPR; Lee of the
    CRM bounced last month (suppressed in the log). Everyone was 'suppressed (unsubscribed, bounced
    or added by hand)'; each is now counted under what keeps them out."""
    _office(tmp_path, gdpr=GDPR, crm=CRM)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    added = runner.invoke(main, ["suppressions", "add", "lee@example.org", "--reason", "bounced"])
    assert added.exit_code == 0, added.output
    result = runner.invoke(main, ["send", "releases/example.md", "--list", "lists/crm.csv", "--list", "lists/gdpr.csv", "--dry-run"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert (
        "Error: Nobody to send to: of the 4 journalists of the lists, 2 gave no consent to email, 1 opted out of email "
        "(the lists' own columns say so) and 1 is suppressed (unsubscribed, bounced or added by hand)." in said
    ), said
    assert "mailer lists check lists/crm.csv lists/gdpr.csv" in said and "mailer suppressions list" in said, said
