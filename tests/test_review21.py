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
from conftest import example, without_log_line
from eventlog import add_campaign, add_message
from office_cli import page_text
from sqlalchemy import Engine

from mailer.cli import main

ROOT = Path(__file__).parent.parent


def _office(folder: Path, **lists: str) -> None:
    """``folder`` made an office folder: the example release and templates, ``lists`` (name -> CSV
    text) under lists/, a SQLite log."""
    for name in ("releases", "templates"):
        shutil.copytree(example(name), folder / name)
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


def test_nobody_to_send_to_among_other_reasons_counts_those_without_consent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One row's address is mistyped, the other's consent cell says no: 'every row of the lists is
    skipped (1 invalid, 1 suppressed)', and `mailer suppressions list` for 'the suppressed
    addresses', which lists nobody. It now reads '(1 invalid, 1 without consent)'."""
    _office(tmp_path, mix="Email,First Name,Email consent\nnot-an-address,Jane,yes\nbob@example.org,Bob,no\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["send", "releases/example.md", "--list", "lists/mix.csv", "--dry-run"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "Error: Nobody to send to: every row of the lists is skipped (1 invalid, 1 without consent)." in said, said
    assert "suppress" not in said and "See the rows the lists turn away with: mailer lists check lists/mix.csv" in said, said


def test_the_plan_counts_rows_without_consent_apart_from_the_suppressed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A send to a list kept for the GDPR (Jane's consent cell is empty, Bob's says no, Ann's yes)
    and a CRM export whose opt-out column marks Lee: the plan read 'Skipped: 3 (3 suppressed)', as
    if three had unsubscribed or bounced. It now counts them as `lists check` does."""
    _office(
        tmp_path,
        gdpr=GDPR + "ann@example.org,Ann,yes\n",
        crm="Email,First Name,Do Not Email\nlee@example.org,Lee,yes\nkim@example.org,Kim,\n",
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    added = runner.invoke(main, ["suppressions", "add", "kim@example.org", "--reason", "bounced"])
    assert added.exit_code == 0, added.output
    result = runner.invoke(
        main, ["send", "releases/example.md", "--list", "lists/gdpr.csv", "--list", "lists/crm.csv", "--dry-run", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "Skipped:    4 (1 opted out, 2 without consent, 1 suppressed)" in result.output, result.output


# -- 2. the report page showed a Scottish paper's flag and a Thai outlet's name as escapes --------

SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # black flag + tags g b s c t + cancel tag
THAI = "\u0e44\u0e17\u0e22\u0e23\u0e31\u0e10\u200b\u0e2d\u0e2d\u0e19\u0e44\u0e25\u0e19\u0e4c"  # Thai Rath, zero-width space between words
SMUGGLED = "Ana\U000e0069\U000e0067\U000e006e"  # tag characters outside a flag: invisible text


def test_page_cells_keep_flags_and_thai_word_breaks_as_they_are(store: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Since the page's cells show control characters as the terminal does, The National's flag
    of Scotland read "\U0001f3f4\U000e0067\U000e0062\U000e0073..." and Thai Rath's outlet name,
    its words parted by a zero-width space as Thai is written online, read "...\u200b...": neither
    moves anything on a screen. They now show as written; tag characters outside a flag (text
    hidden from view) and a right-to-left override stay shown as escapes."""
    monkeypatch.chdir(tmp_path)
    add_campaign(store, "2026-02-19-wetlands")
    add_message(store, "2026-02-19-wetlands", "ana@national.example", first_name=SMUGGLED, outlet=f"The National {SCOTLAND}")
    add_message(store, "2026-02-19-wetlands", "som@thairath.example", first_name="\u202eevil", outlet=THAI)
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "2026-02-19-wetlands", "--kind", "recipients", "-o", "page.html"])
    assert result.exit_code == 0, without_log_line(result.output)
    text = page_text(Path("page.html"))
    assert f"The National {SCOTLAND}" in text and THAI in text, text
    assert "Ana\\U000e0069\\U000e0067\\U000e006e" in text and "\\u202eevil" in text, text


# -- 3. the report page's title and heading put a subject's right-to-left override as it was ------


def test_page_heading_shows_a_subjects_override_as_its_cells_do(store: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A release's subject, pasted from a client's draft, began with a right-to-left override.
    `mailer campaigns` and the overview page's table show it as \\u202e; the campaign's report
    page put it in its <title> and heading as it was, and the browser showed the heading reversed
    ("sdnaltew evil"). The heading and title now show it as the table cells do."""
    monkeypatch.chdir(tmp_path)
    add_campaign(store, "2026-02-19-wetlands", subject="\u202eevil wetlands")
    add_message(store, "2026-02-19-wetlands", "ana@daily.example", outlet="Daily News")
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "2026-02-19-wetlands", "-o", "page.html"])
    assert result.exit_code == 0, without_log_line(result.output)
    page = Path("page.html").read_text(encoding="utf-8")
    assert "\u202e" not in page
    assert "<title>Report: \\u202eevil wetlands</title>" in page and "<h1>\\u202eevil wetlands</h1>" in page, page[:2000]
