"""Newcomer 20: a press officer's "day two" from the README alone (own release, own messy lists,
test send, live send stopped and resumed, events, reports, suppressions, forget, a 30,000 send).
Each test is a finding, through the command line, and failed before its fix (session 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, mailed, mailer, office

# -- 1. A French list's "Désabonné" column was a column of the list's own ---------------------------

# The opt-out column as a list kept in each of the six languages the README names heads it.
OPT_OUT_ELSEWHERE = [
    ("Désabonné", "oui"),
    ("Ne pas contacter", "X"),
    ("Abgemeldet", "ja"),
    ("Nicht kontaktieren", "ja"),
    ("Dado de baja", "sí"),
    ("No contactar", "sí"),
    ("Disiscritto", "sì"),
    ("Non contattare", "sì"),
    ("Descadastrado", "sim"),
    ("Não contactar", "sim"),
]


@pytest.mark.parametrize(("header", "yes"), OPT_OUT_ELSEWHERE)
def test_an_opt_out_column_headed_in_french_german_spanish_italian_or_portuguese_is_honoured(
    tmp_path: Path, standin: Any, db_url: str, header: str, yes: str
) -> None:
    """A French office's list, saved by Excel on Windows, heads its opt-out column "Désabonné" and
    writes "oui" there for a journalist who asked to get no more releases: `lists check` listed
    it as a column of the list's own ("your own: desabonne"), and the send mailed her. Headed in
    any of the six languages the list's other columns are read in, it keeps her out; "non" there
    is no opt-out."""
    beat = f"Courriel;Prénom;{header}\nana@daily.example;Ana;{yes}\nben@gazette.example;Ben;non\ncleo@radio.example;Cleo;\n"
    office(tmp_path, standin, db_url, beat=beat)
    (tmp_path / "lists" / "beat.csv").write_bytes(beat.encode("cp1252"))  # Excel's "CSV" on Windows
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 2: ana@daily.example: opted out of email ("{header}": {yes})' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ben@gazette.example", "cleo@radio.example"], sent.output
