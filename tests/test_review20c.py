"""Review 20c: a hostile review of the day's merges on main (opt-out columns in other languages,
consent columns read as opt-in ones, spreadsheet-safe cells, one-line cells, an embargo in "CET" or
"EST"), as a press office with real lists and as an attacker would meet them. Each test is a
finding, through the command line, and failed before its fix (session 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import SEND, mailed, mailer, office

# -- 1. A consent column's "withdrawn", "refused", "?" or "unknown" was mailed ----------------------

NOT_CONSENT = ["withdrawn", "refused", "revoked", "pending", "?", "unknown", "N/A", "widerrufen", "retiré", "no consent"]
CONSENT_GIVEN = ["yes", "Yes.", "TRUE", "1", "1.0", "x", "☑", "oui", "ja", "sí", "sim", "sì", "2024-05-01", "01/05/2024"]


def test_a_consent_column_mails_only_what_says_yes_or_is_empty(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list kept for the GDPR records each journalist's consent in an "Email consent" column: a
    colleague writes "withdrawn" when a journalist takes it back, "refused", "pending" or "?" while
    nobody knows. Only "no" (or its translations) kept a journalist out: all of these were mailed,
    lists check rejected none of them. A consent or opt-in column now mails a row only when its
    cell says yes (in any of the languages read, a tick, 1, a date of consent) or is empty; any
    other value is rejected, named, and not mailed."""
    cells = [*NOT_CONSENT, *CONSENT_GIVEN, ""]
    beat = "Email,Name,Email consent\n" + "".join(f"j{at}@paper.example,J {at},{cell}\n" for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    for at, cell in enumerate(NOT_CONSENT):
        assert f'row {at + 2}: j{at}@paper.example: opted out of email ("Email consent": {cell})' in checked.output, checked.output
    assert f"rejected:    {len(NOT_CONSENT)} ({len(NOT_CONSENT)} opted out)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(f"j{at}@paper.example" for at in range(len(NOT_CONSENT), len(cells))), sent.output
