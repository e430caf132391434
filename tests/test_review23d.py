"""Review 23d: newcomer 23's list reading (Dutch, Belgian French and German headings, names written
surname first) and review 23a's composer changes, read by a hostile reviewer. Each test is a finding,
through the command line, and failed before its fix (session 23)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import mailed, mailer, names_sent, office, said
from test_newcomer23 import SEND_PRESSE, excel_list, greeting_by_name

# -- 1. "Afgemeld persberichten: ja", "Toestemming persberichten: nee": Dutch purpose words not read ------


def test_a_dutch_opt_out_or_consent_column_for_press_releases_is_read(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Flemish desk heads its columns with what they are for, as the English, French and German
    headings mailer reads do ("Unsubscribed from press releases", "Newsletter abgemeldet"):
    "Afgemeld persberichten" (unsubscribed from press releases) and "Toestemming persberichten"
    (consent to press releases) were columns of the list's own, so the journalist who had
    unsubscribed ("ja") and the one who refused consent ("nee") were both mailed. They are now
    read as the opt-out and the consent they are; "Afgemeld nieuwsbrief" too, as "Newsletter
    abgemeldet" is."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Naam;Voornaam;E-mailadres;Afgemeld persberichten;Toestemming persberichten",
            "Janssens;Pieter;pieter.janssens@vrt.example;nee;ja",
            "De Smet;Geert;geert.desmet@standaard.example;ja;ja",
            "Peeters;Sofie;sofie.peeters@hbvl.example;nee;nee",
        ],
    )
    excel_list(
        folder,
        "nieuwsbrief.csv",
        ["Naam;Voornaam;E-mailadres;Afgemeld nieuwsbrief", "Maes;Lotte;lotte.maes@tijd.example;ja", "Claes;Jan;jan.claes@gva.example;nee"],
    )
    checked = mailer("lists", "check", "lists/presse.csv", "lists/nieuwsbrief.csv")
    assert checked.exit_code == 0, checked.output
    assert '"Afgemeld persberichten" is read as an opt-out' in said(checked), checked.output
    sent = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--list", "lists/nieuwsbrief.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["jan.claes@gva.example", "pieter.janssens@vrt.example"], said(sent)


# -- 2. "Afmelden (link)", "Uitschrijven": an unsubscribe link column turned every journalist away --------


def test_an_unsubscribe_link_column_headed_in_dutch_or_german_opts_nobody_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Dutch or German mailing tool's export carries each contact's own unsubscribe link, headed
    "Afmelden" or "Uitschrijven" ("unsubscribe", the verb, as English "Unsubscribe" heads a link and
    is no opt-out), "Afmelden (link)", "Austragen (Link)". Read as opt-out columns since newcomer 23,
    a link there opted every journalist out: nobody on the list was mailed. A web address is no
    answer to "unsubscribed?", and a heading with a note "(link)" or "(URL)" heads links: neither opts
    anyone out; a "ja" under "Afmelden" still does."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Naam;Voornaam;E-mailadres;Afmelden;Uitschrijven (URL)",
            "Janssens;Pieter;pieter.janssens@vrt.example;https://mail.example/u/1;https://mail.example/u/1",
            "De Smet;Geert;geert.desmet@standaard.example;ja;https://mail.example/u/2",
            "Peeters;Sofie;sofie.peeters@hbvl.example;;https://mail.example/u/3",
        ],
    )
    excel_list(
        folder,
        "presse_de.csv",
        ["Name;Vorname;E-Mail;Austragen (Link)", "Weber;Anna;anna.weber@grenzecho.example;https://mail.example/a/1"],
    )
    checked = mailer("lists", "check", "lists/presse.csv", "lists/presse_de.csv")
    assert checked.exit_code == 0, checked.output
    assert "Total: 4 rows read, 3 recipients, rejected: 1 (1 opted out)" in said(checked), checked.output
    sent = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--list", "lists/presse_de.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["anna.weber@grenzecho.example", "pieter.janssens@vrt.example", "sofie.peeters@hbvl.example"], said(
        sent
    )


# -- 3. "Mme DUBOIS Françoise", "Dhr. JANSSENS Pieter": greeted "Bonjour DUBOIS,", "Beste Dhr.," ----------------


def test_a_surname_in_capitals_after_an_honorific_or_before_a_note_is_the_last_name(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 23 read "DUBOIS François" as François Dubois, but not the same cell as French and Belgian
    lists most often write it, after "Mme" or "M." (Dutch "Dhr.", "Mevr."), nor with the outlet in
    brackets after it: "Mme DUBOIS Françoise" was greeted "Bonjour DUBOIS,", "M. LEJEUNE Marc"
    "Bonjour M.,", "Dhr. JANSSENS Pieter" "Beste Dhr.,", and "MARTIN Jean-Pierre (Le Soir)" "Bonjour
    Jean-Pierre (Le Soir),". Each is now read as "DUBOIS François" is, the honorific kept as such."""
    folder = office(tmp_path, standin, db_url)
    greeting_by_name(folder)
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom et prénom;Courriel",
            "Mme DUBOIS Françoise;f.dubois@rtbf.example",
            "M. LEJEUNE Marc;m.lejeune@lameuse.example",
            "Dhr. JANSSENS Pieter;pieter.janssens@vrt.example",
            "MARTIN Jean-Pierre (Le Soir);jp.martin@lesoir.example",
            "Mme Anne Renard;anne.renard@lavenir.example",
        ],
    )
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    expected = {
        "f.dubois@rtbf.example": ("Françoise", "DUBOIS"),
        "m.lejeune@lameuse.example": ("Marc", "LEJEUNE"),
        "pieter.janssens@vrt.example": ("Pieter", "JANSSENS"),
        "jp.martin@lesoir.example": ("Jean-Pierre", "MARTIN"),
        "anne.renard@lavenir.example": ("Anne", "Renard"),
    }
    assert names_sent(standin, expected) == expected


# -- 4. "Accord RGPD: OK": a yes read as no consent ---------------------------------------------------------------


def test_ok_in_a_consent_column_is_consent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Asked "Accord RGPD?" ("Akkoord AVG?", "Zustimmung?"), a Belgian desk answers "OK" as often as
    "oui": read since newcomer 23 as a consent column, "OK", "ok" and "Oké" were no consent, and those
    journalists, who had agreed, were not mailed ("no consent in the list"). They are a yes now; "non"
    and an empty cell still keep the journalist out."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom;Prénom;Courriel;Accord RGPD",
            "Lejeune;Amélie;amelie.lejeune@lameuse.example;OK",
            "Janssens;Pieter;pieter.janssens@vrt.example;Oké",
            "Renard;Hélène;helene.renard@lesoir.example;ok.",
            "Dubois;Marc;marc.dubois@rtbf.example;non",
            "Weber;Anna;anna.weber@grenzecho.example;",
        ],
    )
    checked = mailer("lists", "check", "lists/presse.csv")
    assert checked.exit_code == 0, checked.output
    assert "recipients:  3\n" in checked.output, checked.output
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == [
        "amelie.lejeune@lameuse.example",
        "helene.renard@lesoir.example",
        "pieter.janssens@vrt.example",
    ], said(sent)


# -- 5. "Keine Zusendung per E-Mail", "Ne plus envoyer par e-mail", "Afgemeld J/N": the journalists marked mailed ---


def test_an_opt_out_heading_saying_how_or_its_answers_is_still_an_opt_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 23 read "Keine Zusendung", "Ne plus envoyer", "Geen mails", "Afgemeld" and "Toestemming",
    but not the same headings as the desks finish them: with the channel ("Keine Zusendung per E-Mail",
    "Ne plus envoyer par e-mail"), "nos communiqués", "any more" ("Geen persberichten meer"), or the
    answers the column takes ("Afgemeld J/N", "Toestemming J/N", English "Do Not Email Y/N"). Each was
    a column of the list's own: the journalists marked "ja" or "x" were mailed, and the one whose
    consent said "nee" too. They are read as their shorter headings are."""
    folder = office(tmp_path, standin, db_url)
    headings = [
        "Keine Zusendung per E-Mail",
        "Ne plus envoyer par e-mail",
        "Ne plus recevoir nos communiqués",
        "Geen persberichten meer",
        "Afgemeld J/N",
        "Do Not Email Y/N",
    ]
    lists = []
    for number, heading in enumerate(headings):
        excel_list(
            folder,
            f"desk{number}.csv",
            [f"Nom;Courriel;{heading}", f"Garde;keep{number}@desk.example;", f"Parti;left{number}@desk.example;x"],
        )
        lists += ["--list", f"lists/desk{number}.csv"]
    excel_list(folder, "consent.csv", ["Naam;E-mailadres;Toestemming J/N", "Ja;ja@desk.example;J", "Nee;nee@desk.example;N"])
    lists += ["--list", "lists/consent.csv"]
    sent = mailer("send", "releases/example.md", *lists, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted([*(f"keep{n}@desk.example" for n in range(len(headings))), "ja@desk.example"]), said(sent)


# -- 6. "Taal: NL" with a Dutch (Belgium) version: the Flemish journalists got the main version ---------------------


def test_a_journalist_whose_language_has_only_a_regional_version_gets_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Belgian office names its Dutch version example.nl-BE.md (Flemish), and its lists mark the
    language "NL" or "Nederlandstalig" (read as nl since newcomer 23). Only "Vlaams" (nl-BE) got the
    Dutch version: the journalists marked "NL" and "Nederlandstalig" got the English main version,
    the plan saying only "2 en (main version: no or other language)". A language with one regional
    version gets that version; "FR" still gets the main version, which has no French one."""
    folder = office(tmp_path, standin, db_url)
    (folder / "releases" / "example.nl-BE.md").write_text(
        '---\nsubject: "Bijenrecord in Riverbend"\n---\nBeste collega,\n\n1,2 miljoen bijen geteld.\n', encoding="utf-8"
    )
    excel_list(
        folder,
        "presse.csv",
        [
            "Naam;Voornaam;E-mailadres;Taal",
            "Janssens;Pieter;pieter.janssens@vrt.example;Nederlandstalig",
            "Peeters;Sofie;sofie.peeters@hbvl.example;NL",
            "Maes;Lotte;lotte.maes@tijd.example;Vlaams",
            "Lejeune;Amélie;amelie.lejeune@lameuse.example;FR",
        ],
    )
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert "Languages:  1 en (main version: no or other language), 3 nl-BE" in sent.output, sent.output
    subjects = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert subjects == {
        "pieter.janssens@vrt.example": "Bijenrecord in Riverbend",
        "sofie.peeters@hbvl.example": "Bijenrecord in Riverbend",
        "lotte.maes@tijd.example": "Bijenrecord in Riverbend",
        "amelie.lejeune@lameuse.example": "Riverbend Beekeepers count record 1.2 million bees in first city-wide census",
    }, said(sent)


# -- 7. "Non !", "nee!": a no with an exclamation mark read as an unsubscribe ----------------------------------------


def test_a_no_or_a_yes_with_an_exclamation_mark_reads_as_without(tmp_path: Path, standin: Any, db_url: str) -> None:
    """French writes a space before "!" ("Non !"), and a colleague stresses a no ("nee!", "NEIN!!"): read
    with a full stop after them ("non.") as no, they were not, and the journalists were turned away as
    opted out; an "Oui !" in a consent column was no consent. Trailing "!", "," and ";" are now left
    aside as the full stop was; "oui !" in the opt-out column still opts out."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom;Prénom;Courriel;Désinscrit;Accord RGPD",
            "Lejeune;Amélie;amelie.lejeune@lameuse.example;Non !;Oui !",
            "Janssens;Pieter;pieter.janssens@vrt.example;nee!;ja!",
            "Weber;Anna;anna.weber@grenzecho.example;NEIN!!;ja,",
            "Renard;Hélène;helene.renard@lesoir.example;oui !;oui",
        ],
    )
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == [
        "amelie.lejeune@lameuse.example",
        "anna.weber@grenzecho.example",
        "pieter.janssens@vrt.example",
    ], said(sent)
