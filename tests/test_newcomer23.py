"""Newcomer 23: a Liège city hall's press office from the README alone (Excel lists on Windows:
semicolon-separated Windows-1252 with French headers and a "Désinscrit" column, Dutch- and
German-speaking journalists; a French release with a Dutch version, embargoed and scheduled for
10:00 Brussels time, proofs to two colleagues, the live send to the stand-in, events, reports,
`mailer forget`). Each test is a finding, through the command line, and failed before its fix
(session 23)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import mailed, mailer, office, said


def excel_list(folder: Path, name: str, rows: list[str]) -> None:
    """``folder``/lists/``name`` as Excel on Windows saves "CSV (séparateur: point-virgule)":
    Windows-1252, semicolons, CRLF line ends."""
    (folder / "lists" / name).write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


SEND_PRESSE = ("send", "releases/example.md", "--list", "lists/presse.csv", "--yes", "--no-test-ok")

# -- 1. "Désinscrit: neen": Belgian Dutch for no, read as an unsubscribe ---------------------------


def test_belgian_dutch_neen_in_an_opt_out_column_is_no(tmp_path: Path, standin: Any, db_url: str) -> None:
    """In Belgium a Dutch-speaking colleague answers no with "neen" (as "nee" in the Netherlands).
    The "Désinscrit" column of a Liège list read "neen" as an unsubscribe: the VRT journalist,
    who never unsubscribed, was skipped as opted out and not mailed. It now reads as no, as "nee"
    and "non" do; "ja" and "oui" still opt the journalist out."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom;Prénom;Courriel;Média;Langue;Désinscrit",
            "Janssens;Pieter;pieter.janssens@vrt.example;VRT NWS;NL;neen",
            "Peeters;Sofie;sofie.peeters@hbvl.example;Het Belang van Limburg;NL;Neen",
            "Lejeune;Amélie;amelie.lejeune@lameuse.example;La Meuse;FR;non",
            "De Smet;Geert;geert.desmet@standaard.example;De Standaard;NL;ja",
            "Renard;Hélène;helene.renard@lesoir.example;Le Soir;FR;oui",
        ],
    )
    checked = mailer("lists", "check", "lists/presse.csv")
    assert checked.exit_code == 0, checked.output
    assert "recipients:  3" in checked.output and "2 opted out" in checked.output, checked.output
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == [
        "amelie.lejeune@lameuse.example",
        "pieter.janssens@vrt.example",
        "sofie.peeters@hbvl.example",
    ], said(sent)
