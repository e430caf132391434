"""Newcomer 21: a press officer's "day two" from the README alone (a SendGrid export to import,
opens and bounces to a spreadsheet, a messy CRM list, test send, dry run, status, contact).
Each test is a finding, through the command line, and failed before its fix (session 21)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, mailed, mailer, office

# -- 1. A German CRM's "Einwilligung: erteilt" (consent given) was read as no consent ---------------

# A consent column's "given" as a CRM in each of the README's six languages writes it, with its header.
GIVEN_ELSEWHERE = [
    ("Einwilligung", "erteilt"),
    ("Einwilligung", "Erteilt"),
    ("Einwilligung", "zugestimmt"),
    ("Einwilligung", "einverstanden"),
    ("Consentement", "accordé"),
    ("Consentement", "donné"),
    ("Consentement", "Acceptée"),
    ("Consentimiento", "otorgado"),
    ("Consentimiento", "concedido"),
    ("Consentimiento", "aceptado"),
    ("Consenso", "concesso"),
    ("Consenso", "accettato"),
    ("Consentimento", "concedido"),
    ("Consentimento", "aceite"),
]


@pytest.mark.parametrize(("header", "given"), GIVEN_ELSEWHERE)
def test_a_consent_column_saying_given_in_the_lists_language_is_consent(
    tmp_path: Path, standin: Any, db_url: str, header: str, given: str
) -> None:
    """A German office's CRM export heads its GDPR column "Einwilligung" and writes "erteilt"
    (given) for every journalist who agreed: `lists check` rejected them all, `gave no consent to
    email ("Einwilligung": erteilt)`, and the send mailed nobody, though "given" and "granted" in
    English were read as consent. The same word in the list's own language is consent too; "nicht
    erteilt" (not given) and "verweigert" (refused) are still no consent."""
    beat = (
        f"E-Mail;Vorname;{header}\nana@daily.example;Ana;{given}\nben@gazette.example;Ben;nicht erteilt\n"
        "cleo@radio.example;Cleo;verweigert\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    (tmp_path / "lists" / "beat.csv").write_bytes(beat.encode("cp1252"))  # Excel's "CSV" on Windows
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "recipients:  1" in checked.output, checked.output
    assert "rejected:    2 (2 without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"], sent.output
