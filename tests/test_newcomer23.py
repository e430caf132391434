"""Newcomer 23: a Liège city hall's press office from the README alone (Excel lists on Windows:
semicolon-separated Windows-1252 with French headers and a "Désinscrit" column, Dutch- and
German-speaking journalists; a French release with a Dutch version, embargoed and scheduled for
10:00 Brussels time, proofs to two colleagues, the live send to the stand-in, events, reports,
`mailer forget`). Each test is a finding, through the command line, and failed before its fix
(session 23)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import mailed, mailer, names_sent, office, said


def excel_list(folder: Path, name: str, rows: list[str]) -> None:
    """``folder``/lists/``name`` as Excel on Windows saves "CSV (séparateur: point-virgule)":
    Windows-1252, semicolons, CRLF line ends."""
    (folder / "lists" / name).write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


SEND_PRESSE = ("send", "releases/example.md", "--list", "lists/presse.csv", "--yes", "--no-test-ok")


def greeting_by_name(folder: Path) -> None:
    """``folder``'s releases/example.md opening with "Bonjour FIRST (LAST)," from each journalist's fields."""
    release = folder / "releases" / "example.md"
    head, _, body = release.read_text(encoding="utf-8").partition("\n---\n")
    greeting = 'Bonjour {{ contact.first_name | default("Madame, Monsieur") }} ({{ contact.last_name | default("?") }}),'
    release.write_text(f"{head}\n---\n{greeting}\n\n{body}", encoding="utf-8")


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


# -- 2. A Dutch colleague's list: "Afgemeld: ja" mailed, "Taal: NL" got the French version ---------------


DUTCH = [
    "Naam;Voornaam;E-mailadres;Medium;Functie;Taal;Afgemeld",
    "Janssens;Pieter;pieter.janssens@vrt.example;VRT NWS;Journalist;NL;nee",
    "De Smet;Geert;geert.desmet@standaard.example;De Standaard;Redacteur;NL;ja",
    "Lejeune;Amélie;amelie.lejeune@lameuse.example;La Meuse;Journaliste;FR;neen",
]


def test_a_dutch_list_is_read_like_a_french_one(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The Flemish desk's list, headed in Dutch. `lists check` refused it (no email address column,
    "Name the column of addresses one of: Email, ..."); renamed as told, its "Afgemeld" (unsubscribed)
    column was a column of the list's own, so De Standaard's journalist, who had unsubscribed ("ja"),
    was mailed; "Taal" (language) and "Voornaam" (first name) were not read either, so the Dutch
    journalists got the French main version, greeted without their names. Dutch headers are now read
    as the six other languages' are."""
    folder = office(tmp_path, standin, db_url)
    (folder / "releases" / "example.nl.md").write_text(
        '---\nsubject: "Bijenrecord in Riverbend"\n---\nBeste {{ contact.first_name | default("collega") }},\n\n1,2 miljoen bijen geteld.\n',
        encoding="utf-8",
    )
    excel_list(folder, "presse.csv", DUTCH)
    checked = mailer("lists", "check", "lists/presse.csv")
    assert checked.exit_code == 0, checked.output
    words = said(checked)
    assert "email (E-mailadres)" in words and "language (Taal)" in words and "first_name (Voornaam)" in words, words
    assert "last_name (Naam)" in words and "outlet (Medium)" in words and "title (Functie)" in words, words
    assert 'opted out of email ("Afgemeld": ja)' in words, words

    excel_list(folder, "presse.csv", [DUTCH[0].replace("E-mailadres", "Email"), *DUTCH[1:]])  # renamed as the error said
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["amelie.lejeune@lameuse.example", "pieter.janssens@vrt.example"], said(sent)
    dutch = [r.body for r in standin.mail_sends if "pieter.janssens@vrt.example" in str(r.body["personalizations"])]
    assert dutch and dutch[0]["subject"] == "Bijenrecord in Riverbend", dutch
    assert "Pieter" in str(dutch[0]), dutch


def test_dutch_opt_out_and_consent_headings(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The Dutch words a list uses for leaving and for consent: "Uitgeschreven", "Niet mailen",
    "Afmeldingsdatum" opt out; "Toestemming" (consent) mails only a yes, "gegeven" or a date."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Email;Uitgeschreven;Niet mailen;Afmeldingsdatum;Toestemming",
            "a@vrt.example;nee;;;ja",
            "b@vrt.example;ja;;;ja",
            "c@vrt.example;;x;;ja",
            "d@vrt.example;;;01/03/2025;ja",
            "e@vrt.example;;;;gegeven",
            "f@vrt.example;;;;neen",
            "g@vrt.example;;;;12/05/2024",
        ],
    )
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["a@vrt.example", "e@vrt.example", "g@vrt.example"], said(sent)


# -- 3. Scheduled for 10:00 Brussels, `mailer status` said "Scheduled: 09:00 UTC" ---------------------------


def test_status_and_campaigns_show_a_scheduled_time_on_the_office_clock(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She schedules the embargoed release for 10:00 Brussels time; mailer.toml names the office's
    zone ([reports] time_zone = "Europe/Brussels"). The plan said "09:00 UTC (10:00 Europe/Brussels)",
    but `mailer status` then said only "Scheduled: 2026-12-03 09:00 UTC" and `mailer campaigns`
    "scheduled until ... 09:00 UTC": an hour before the embargo, as she read it, and she cancelled.
    Both now add the office's clock in brackets, as the plan does."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Europe/Brussels"\n')
    brussels = ZoneInfo("Europe/Brussels")
    day = (datetime.now(UTC).astimezone(brussels) + timedelta(days=1)).date()
    at = f"{day:%Y-%m-%d} 10:00 Europe/Brussels"
    utc = datetime(day.year, day.month, day.day, 10, 0, tzinfo=brussels).astimezone(UTC)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    status = mailer("status", "latest")
    assert status.exit_code == 0, status.output
    assert f"Scheduled: {utc:%Y-%m-%d %H:%M} UTC (10:00 Europe/Brussels)" in status.output, status.output
    listed = mailer("campaigns")
    assert f"scheduled until {utc:%Y-%m-%d %H:%M} UTC (10:00 Europe/Brussels)" in said(listed), listed.output


# -- 4. "10:00 Bruxelles": the city as a French-speaking office writes it, not known -----------------------


def test_a_city_written_in_french_dutch_or_german_gets_its_zone_named(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`--at "... 10:00 London"` is answered with the zone to write (Europe/London); the press officer
    of Liège wrote Brussels as she says it, "Bruxelles" (her Flemish colleague "Brussel", the Eupen
    desk "Brüssel"), or her own city, and got "Bruxelles is not a time zone name mailer knows", with
    London, Shanghai and New York as examples. These names now get "Europe/Brussels" to write, in --at,
    in the release's embargo and in mailer.toml's [reports] time_zone."""
    from datetime import UTC, datetime, timedelta

    folder = office(tmp_path, standin, db_url)
    day = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    for city in ("Bruxelles", "Brussel", "Brüssel", "Liège", "Luik", "Bruxelles "):
        clock = "10h00" if city.endswith(" ") else "10:00"  # as French writes the time, too (#12)
        refused = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} {clock} {city.strip()}")
        assert refused.exit_code == 1, refused.output
        assert f'--at "{day} 10:00 Europe/Brussels"' in said(refused), refused.output
    release = folder / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("---\n", f'---\nembargo: "{day} 10:00 Bruxelles"\n', 1), encoding="utf-8"
    )
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert f'embargo: "{day} 10:00 Europe/Brussels"' in said(previewed), previewed.output
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Bruxelles"\n')
    listed = mailer("campaigns")
    assert listed.exit_code == 1 and '"Europe/Brussels"' in said(listed), listed.output


# -- 5. "Langue: néerlandophone": a Belgian list names its journalists' language by who speaks it --------------


def test_a_language_cell_naming_its_speakers_picks_the_version(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Belgian lists say who speaks what: "néerlandophone", "francophone", "germanophone" (and in Dutch
    "Nederlandstalig", "Franstalig"; in German "deutschsprachig"). The Dutch-speaking journalists of
    such a list got the French main version, under a warning that mailer did not know their language.
    These words now pick the version of that language."""
    folder = office(tmp_path, standin, db_url)
    release = folder / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("---\n", "---\nlanguage: fr\n", 1), encoding="utf-8")
    (folder / "releases" / "example.nl.md").write_text(
        '---\nsubject: "Bijenrecord in Riverbend"\n---\n1,2 miljoen bijen geteld.\n', encoding="utf-8"
    )
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom;Prénom;Courriel;Langue",
            "Janssens;Pieter;pieter.janssens@vrt.example;néerlandophone",
            "Peeters;Sofie;sofie.peeters@hbvl.example;Nederlandstalig",
            "Lejeune;Amélie;amelie.lejeune@lameuse.example;francophone",
            "Müller;Jürgen;j.mueller@grenzecho.example;germanophone",
            "Dubois;François;f.dubois@rtbf.example;Franstalig",
        ],
    )
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert "does not know" not in said(sent), sent.output
    dutch = sorted(
        p["to"][0]["email"]
        for r in standin.mail_sends
        if r.body["subject"] == "Bijenrecord in Riverbend"
        for p in r.body["personalizations"]
    )
    assert dutch == ["pieter.janssens@vrt.example", "sofie.peeters@hbvl.example"], said(sent)


# -- 6. "Désinscrits", "Ne plus envoyer", "Afmelden", "Ausgetragen": the journalists they mark were mailed ----

LEAVING = (
    "Désinscrits",
    "Désabonnés",
    "Ne plus envoyer",
    "Ne plus contacter",
    "Ne plus écrire",
    "Ne souhaite plus recevoir",
    "Retirer de la liste",
    "Opposition RGPD",
    "Refus d'envoi",
    "Afmelden",
    "Uitschrijven",
    "Niet meer mailen",
    "Niet meer sturen",
    "Ausgetragen",
    "Austragen",
    "Abbestellung",
    "Keine Zusendung",
    "Nicht mehr senden",
    "Kein Versand",
)


def test_french_dutch_and_german_headings_of_leaving_opt_the_journalist_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The city's desks each keep their column of who asked to be taken off the list, in their words:
    "Désinscrits" (the plural of the "Désinscrit" that works), "Ne plus envoyer", "Retirer de la liste",
    the Flemish desk's "Afmelden", "Niet meer mailen", the Eupen desk's "Ausgetragen", "Keine Zusendung".
    Each was a column of the list's own, and the journalist its "oui" (or "ja") marked was mailed. Each is
    now an opt-out column; a "non" or "nee" there still mails."""
    folder = office(tmp_path, standin, db_url)
    rows = ["Nom;Courriel;" + ";".join(LEAVING)]
    for at, heading in enumerate(LEAVING):
        marks = ["oui" if n == at else "non" for n in range(len(LEAVING))]
        rows.append(f"J{at};j{at}@presse.example;" + ";".join(marks))
    rows.append("Stays;stays@presse.example;" + ";".join(["non"] * len(LEAVING)))
    excel_list(folder, "presse.csv", rows)
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["stays@presse.example"], said(sent)


# -- 7. "Accord RGPD: non", "Zustimmung: nein", "Toestemming AVG: nee": mailed all the same -----------------


def test_belgian_consent_headings_mail_only_a_yes(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list kept for the GDPR (RGPD in French, AVG in Dutch, DSGVO in German) by the city's desks:
    "Accord RGPD", the Eupen desk's "Zustimmung", the Flemish desk's "Toestemming AVG". Each was a column
    of the list's own, so the journalists who had said no ("non", "nein", "nee") were mailed. Each is now
    a consent column: only a yes (or the day consent was given) mails."""
    folder = office(tmp_path, standin, db_url)
    for name, heading, yes, no in (
        ("fr.csv", "Accord RGPD", "oui", "non"),
        ("de.csv", "Zustimmung", "ja", "nein"),
        ("nl.csv", "Toestemming AVG", "ja", "nee"),
        ("fr2.csv", "Accord envoi communiqués", "oui", "non"),
    ):
        stem = name.split(".")[0]
        excel_list(folder, name, [f"Nom;Courriel;{heading}", f"Yes;yes-{stem}@presse.example;{yes}", f"No;no-{stem}@presse.example;{no}"])
    lists = [arg for name in ("fr.csv", "de.csv", "nl.csv", "fr2.csv") for arg in ("--list", f"lists/{name}")]
    sent = mailer("send", "releases/example.md", *lists, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(f"yes-{s}@presse.example" for s in ("de", "fr", "fr2", "nl")), said(sent)


# -- 8. `lists check` put "Désinscrit" among "your own" columns, as if it were not read ----------------------


def test_lists_check_says_the_opt_out_column_is_read(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Her list's "Désinscrit" column was listed under "your own:" (as "Téléphone" is), and when nobody
    on it said "oui" nothing else named it: she could not tell mailer honoured it, and was about to
    delete the unsubscribed rows by hand. `lists check` now says under the file how it reads each
    opt-out column (`--json`: the file's `opt_out_columns`), as it does for a consent column."""
    import json

    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        ["Nom;Prénom;Courriel;Téléphone;Désinscrit", "Lejeune;Amélie;amelie.lejeune@lameuse.example;04/220.80.11;non"],
    )
    checked = mailer("lists", "check", "lists/presse.csv")
    assert checked.exit_code == 0, checked.output
    words = said(checked)
    assert 'note: "Désinscrit" is read as an opt-out' in words, checked.output
    assert 'Téléphone" is read' not in words, checked.output
    document = json.loads(mailer("lists", "check", "lists/presse.csv", "--json").stdout)
    assert [c["column"] for c in document["files"][0]["opt_out_columns"]] == ["Désinscrit"], document


# -- 9. "--as" a journalist who unsubscribed: "is not a recipient in lists/presse.csv", though she is on it ------


def test_preview_as_an_opted_out_journalist_says_why_she_gets_nothing(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She proofreads the release as the Le Soir journalist (`mailer preview --contact ... --list`, `mailer
    test --as`), who unsubscribed. mailer said "helene.renard@lesoir.example is not a recipient in
    lists/presse.csv", though her row is there: she thought the address was mistyped. It now names the
    row and why it gets no email."""
    folder = office(tmp_path, standin, db_url)
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom;Prénom;Courriel;Désinscrit",
            "Lejeune;Amélie;amelie.lejeune@lameuse.example;non",
            "Renard;Hélène;helene.renard@lesoir.example;oui",
        ],
    )
    for args in (
        ("preview", "releases/example.md", "--contact", "Helene.Renard@lesoir.example", "--list", "lists/presse.csv"),
        (
            "test",
            "releases/example.md",
            "--to",
            "marie@liege.example",
            "--as",
            "helene.renard@lesoir.example",
            "--list",
            "lists/presse.csv",
        ),
    ):
        refused = mailer(*args)
        assert refused.exit_code == 1, refused.output
        words = said(refused)
        assert "is not a recipient" not in words, words
        assert "row 3 of lists/presse.csv" in words and 'opted out of email ("Désinscrit": oui)' in words, words
    assert mailed(standin) == []


# -- 10. "DUBOIS François" in a name column: "Bonjour DUBOIS," -------------------------------------------------


def test_a_surname_in_capitals_before_the_first_name_is_the_last_name(tmp_path: Path, standin: Any, db_url: str) -> None:
    """French and Belgian lists write a full name surname first, in capitals: "DUBOIS François",
    "DE SMET Geert", "VAN DEN BERGH Anne-Marie". mailer took the first word for the first name, so
    the release greeted them "Bonjour DUBOIS,". The surname in capitals is now read as the last name;
    "François Dubois", "Jean-Marc LEJEUNE" and "JP Martin" read as before."""
    folder = office(tmp_path, standin, db_url)
    greeting_by_name(folder)
    excel_list(
        folder,
        "presse.csv",
        [
            "Nom et prénom;Courriel",
            "DUBOIS François;f.dubois@rtbf.example",
            "DE SMET Geert;geert.desmet@standaard.example",
            "VAN DEN BERGH Anne-Marie;am.vandenbergh@vrt.example",
            "François Dubois;francois@lesoir.example",
            "Jean-Marc LEJEUNE;jm.lejeune@lameuse.example",
            "JP Martin;jp@wire.example",
        ],
    )
    (folder / "lists" / "presse.csv").write_bytes(
        (folder / "lists" / "presse.csv").read_bytes().replace("Nom et prénom".encode("cp1252"), b"Nom")
    )
    sent = mailer(*SEND_PRESSE)
    assert sent.exit_code == 0, sent.output
    expected = {
        "f.dubois@rtbf.example": ("François", "DUBOIS"),
        "geert.desmet@standaard.example": ("Geert", "DE SMET"),
        "am.vandenbergh@vrt.example": ("Anne-Marie", "VAN DEN BERGH"),
        "francois@lesoir.example": ("François", "Dubois"),
        "jm.lejeune@lameuse.example": ("Jean-Marc", "LEJEUNE"),
        "jp@wire.example": ("JP", "Martin"),
    }
    assert names_sent(standin, expected) == expected


def test_a_nom_et_prenom_column_is_the_full_name(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague's list heads its one name column "Nom et prénom" (the Flemish desk "Naam en voornaam",
    the Eupen desk "Vor- und Nachname"). It was a column of the list's own: no journalist had a first
    name, and every one was greeted "Bonjour Madame, Monsieur". It is now the full name, split as a
    "Name" column is."""
    folder = office(tmp_path, standin, db_url)
    for heading in ("Nom et prénom", "Prénom Nom", "Naam en voornaam", "Vor- und Nachname"):
        excel_list(folder, "presse.csv", [f"{heading};Courriel", "DUBOIS François;f.dubois@rtbf.example"])
        checked = mailer("lists", "check", "lists/presse.csv")
        assert f"first_name + last_name ({heading})" in checked.output, checked.output


# -- 12. "10h00": the time as French writes it, refused ----------------------------------------------------------


def test_a_time_written_the_french_way_is_read(tmp_path: Path, standin: Any, db_url: str) -> None:
    """French (and Dutch-speaking Belgium) write ten o'clock "10h00" or "10h". The embargo line
    `embargo: "2026-12-03 10h00 Europe/Brussels"` was "not a date and time I can read" and `--at
    "... 10h00 Europe/Brussels"` "not a time mailer understands", each with a New York example. Both
    now read it as 10:00."""
    from datetime import UTC, datetime, timedelta

    folder = office(tmp_path, standin, db_url)
    day = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    release = folder / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("---\n", f'---\nembargo: "{day} 10h00 Europe/Brussels"\n', 1), encoding="utf-8"
    )
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 0, previewed.output
    assert "10:00 AM CET" in (folder / "out" / "preview" / "example.txt").read_text(encoding="utf-8")
    for at in (f"{day} 10h00 Europe/Brussels", f"{day} 10h Europe/Brussels"):
        planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", at)
        assert planned.exit_code == 0, planned.output
        assert "(10:00 Europe/Brussels)" in planned.output, planned.output


# -- 13. `mailer contact`: "2026-12-03 09:00 UTC" for the release that went out at 10:00 Brussels time ----------


def test_contact_shows_times_on_the_office_clock_too(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Day two, a journalist phones: "did you send me the Christmas release?". `mailer contact` listed it
    "2026-12-03 09:00 UTC" although the office's zone is set ([reports] time_zone = "Europe/Brussels") and
    it went out at 10:00 there. Its times now add the office's clock in brackets, as status does."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Europe/Brussels"\n')
    brussels = ZoneInfo("Europe/Brussels")
    day = (datetime.now(UTC).astimezone(brussels) + timedelta(days=1)).date()
    utc = datetime(day.year, day.month, day.day, 10, 0, tzinfo=brussels).astimezone(UTC)
    sent = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--at", f"{day:%Y-%m-%d} 10:00 Europe/Brussels", "--yes", "--no-test-ok"
    )
    assert sent.exit_code == 0, sent.output
    shown = mailer("contact", "ana@daily.example")
    assert shown.exit_code == 0, shown.output
    assert f"{utc:%Y-%m-%d %H:%M} UTC (10:00 Europe/Brussels)" in shown.output, shown.output


# -- 14. The HTML report for the director: "scheduled for 09:00", "times in UTC", for a 10:00 release ------------


def test_the_report_page_shows_times_on_the_office_clock(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Her director reads the report page (`mailer report CAMPAIGN --format html`). With the office's zone
    set ([reports] time_zone = "Europe/Brussels"), the CSV and XLSX said 10:10 for an open at 10:10 in
    Liège, but the page said "sent 2026-12-03 09:00 (scheduled) · times in UTC", its chart 09:00 to
    09:15, and its table of opens 09:10: an embargo broken by an hour, as he read it. The page now
    shows the office's clock and names the zone."""
    import json
    import time
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from office_cli import campaign_of

    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Europe/Brussels"\n')
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    opened = int(time.time()) + 60
    events = [
        {"email": "ana@daily.example", "event": "delivered", "timestamp": opened - 30, "sg_event_id": "d-1", "campaign": campaign},
        {"email": "ana@daily.example", "event": "open", "timestamp": opened, "sg_event_id": "o-1", "campaign": campaign},
    ]
    (folder / "events.json").write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    for kind in ("summary", "opens"):
        written = mailer("report", campaign, "--kind", kind, "--format", "html", "-o", f"page-{kind}.html")
        assert written.exit_code == 0, written.output
        page = (folder / f"page-{kind}.html").read_text(encoding="utf-8")
        assert "times in Europe/Brussels" in page and "times in UTC" not in page, page[:2000]
    utc_open = datetime.fromtimestamp(opened, UTC)
    local = utc_open.astimezone(ZoneInfo("Europe/Brussels"))
    assert f"{local:%Y-%m-%d %H:%M:%S}" in page, page  # the table of opens on the office's clock
    assert f"{utc_open:%Y-%m-%d %H:%M:%S}" not in page, page
