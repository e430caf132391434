"""Edges 28: leftovers of session 27, each a finding a press office would notice, through the command
line or the library, failing before its fix (session 28)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from office_cli import mailer, office, said

# -- 1. Dotted dates: refused as "3 April or 4 March" by --at and the embargo, read day first in a list ---------


@pytest.mark.sqlite_only  # dates are read before the log is opened: one database is enough
def test_a_dotted_date_is_read_day_first_everywhere(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A German office writes 3 April as 03.04.2027, and so do its lists ("Einwilligung bis": 03.04.2027 was read
    as 3 April), but `--at "03.04.2027 09:00 Europe/Berlin"` and `embargo: "03.04.2027 10:00 Europe/Berlin"` were
    refused as "3 April written day first, but 4 March written month first": the same date read one way in one
    place and two ways in another. No country writes month.day.year: a date with dots is now read day first in
    all of them (and `date:`); one that is no date day first is refused, never read month first; a date with
    slashes that reads two ways is still refused everywhere, a list's cell naming both readings."""
    folder = office(
        tmp_path,
        standin,
        db_url,
        beat="Email,Einwilligung bis\nana@daily.example,31.12.2099\nben@gazette.example,03/04/2099\n",
    )
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    berlin = datetime.combine(tomorrow.date(), datetime.min.time()).replace(hour=9, tzinfo=ZoneInfo("Europe/Berlin"))
    planned = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{tomorrow:%d.%m.%Y} 09:00 Europe/Berlin"
    )
    assert planned.exit_code == 0, planned.output
    assert f"Scheduled: {berlin.astimezone(UTC):%Y-%m-%d %H:%M} UTC" in said(planned), planned.output
    # the list: dots read day first, a slashed date reading two ways refused with both readings named
    assert "ana@daily.example" not in said(planned).split("Skipped")[-1], planned.output
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "row 3: ben@gazette.example: gave no consent to email" in said(checked), checked.output
    assert "it reads two ways, 3 April 2099 or 4 March 2099; write 2099-04-03 or 03.04.2099 for 3 April" in said(checked), checked.output
    assert "a date with dots day first: 05.06.2027 is 5 June" in said(checked), checked.output
    # a dotted date that is no date day first is refused, not read month first (February 13)
    wrong = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", "02.13.2027 09:00 Europe/Berlin")
    assert wrong.exit_code == 1, wrong.output
    assert "02.13.2027 is not a date: a date written with dots is read day first (DD.MM.YYYY), and there is no month 13" in said(wrong)
    assert "2027-02-13" not in wrong.output, wrong.output
    # the embargo and the release's date, as --at
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(
        text.replace("date: 2026-02-19", 'date: "03.04.2027"\nembargo: "03.04.2027 10:00 Europe/Berlin"'),
        encoding="utf-8",
    )
    previewed = mailer("preview", "releases/example.md", "-o", str(tmp_path / "proof"))
    assert previewed.exit_code == 0, previewed.output
    page = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "proof").glob("*.html"))
    assert "April 3, 2027" in page and "March 4" not in page, page[:2000]
    release.write_text(text.replace("date: 2026-02-19", 'embargo: "31.04.2027 10:00 Europe/Berlin"'), encoding="utf-8")
    refused = mailer("preview", "releases/example.md")
    assert refused.exit_code == 1, refused.output
    assert "31.04.2027 is not a date: a date written with dots is read day first (DD.MM.YYYY), and April has no day 31" in said(refused)


# -- 2. An empty "Einwilligung bis" cell: no consent, even where the list's consent column says yes -----------


@pytest.mark.sqlite_only  # the list is read before the log is opened
def test_an_empty_consent_until_cell_gives_no_end(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A German office's list records consent ("Einwilligung": ja) and, for some journalists, the day it ends
    ("Einwilligung bis"); a journalist who consented without an end has that cell empty. Such rows were
    turned away as "no consent" though the list's consent column said ja. An empty cell there now gives no end:
    the consent column decides, and `lists check` says what it did with such rows. Where the consent-until
    column is the list's only consent column, an empty cell still records no consent (silence is not consent),
    and the row's reason says so plainly."""
    office(
        tmp_path,
        standin,
        db_url,
        beat="Email,Einwilligung,Einwilligung bis\nana@daily.example,ja,\nben@gazette.example,nein,\ncy@post.example,ja,31.12.2099\n",
    )
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    words = said(checked)
    assert "recipients: 2" in words, checked.output
    assert "ana@daily.example" not in words, checked.output
    assert 'row 3: ben@gazette.example: gave no consent to email ("Einwilligung": nein)' in words, checked.output
    assert '2 rows leave "Einwilligung bis" empty: read as consent with no end date, which "Einwilligung" gives or refuses' in words, (
        checked.output
    )
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert planned.exit_code == 0 and "Recipients: 2" in said(planned), planned.output
    (tmp_path / "lists" / "only.csv").write_text(
        "Email,Einwilligung bis\nana@daily.example,\ncy@post.example,31.12.2099\n", encoding="utf-8"
    )
    alone = said(mailer("lists", "check", "lists/only.csv"))
    assert (
        'row 2: ana@daily.example: no consent to email ("Einwilligung bis" is empty, and no other column of the list gives consent)'
        in alone
    ), alone
    assert "an empty cell records no consent, as no other column of the list gives it" in alone, alone


# -- 3. Control characters (C0) named by the file's line, every other report by the row --------------------------


def test_control_characters_are_named_by_row(tmp_path: Path) -> None:
    """FileMaker writes a vertical tab for a line break in a cell. `lists check` said where it took them out by the
    file's line ("the first on line 4"), while every other report names the spreadsheet row: a cell running over
    two lines above it put the line one past the row, and the press officer looked at the wrong journalist. The
    note now names each row that held one (as the C1 note does), and the file's line only when it differs."""
    from mailer import contacts

    listed = tmp_path / "filemaker.csv"
    listed.write_bytes(
        b'Email,First Name,Notes\r\nana@daily.example,Ana,"Call after 10\r\nnot before"\r\n'
        b"ben@gazette.example,Be\x0bn,x\r\ncy@post.example,Cy,\x01late\r\n"
    )
    notes = contacts.check([listed]).files[0].summary.notes
    said_first = "2 control characters (0x01, 0x0B) taken out of the cells of rows 3 and 4, the first on line 4 of the file "
    assert notes == (said_first + "(vertical tabs and form feeds became spaces).",), notes
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"Email,First Name\nana@daily.example,An\x0ba\n")
    loaded = contacts.load([plain])
    assert loaded.files[0].notes == (
        "1 control character (0x0B) taken out of the cells of row 2 (vertical tabs and form feeds became spaces).",
    ), loaded.files[0].notes
    assert [c.fields["first_name"] for c in loaded.contacts] == ["An a"]
