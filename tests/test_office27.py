"""Office 27: reports and lists leftovers of session 26, then a German regional health authority's
press office trying the product from the README (German releases, umlauts, a cp1252 semicolon list
from Excel, Europe/Berlin). Each test is a finding, through the command line, and failed before
its fix (session 27)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from office_cli import campaign_of, mailer, office

SUBJECT = "Québec et Montréal : le budget fédéral"


def _sent(tmp_path: Path, standin: Any, db_url: str) -> str:
    office(tmp_path, standin, db_url)
    (tmp_path / "releases" / "budget.md").write_text(f'---\nsubject: "{SUBJECT}"\n---\nLe budget.\n', encoding="utf-8")
    return campaign_of(mailer("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok"))


# -- 1. the exports did not name their campaign; the summary's naming rows broke a script -------------


def test_every_export_names_its_campaign_in_columns_a_script_can_read(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Three exports on the desktop (opens.csv, recipients.xlsx, bounces.csv) did not say which release
    each was about. The summary said it in two first rows with empty counts, so a script reading
    ``int(row["count"])`` broke on its first row. Every CSV and XLSX now has "campaign" and "subject"
    columns (the header stays the first line; the figures' rows are figures)."""
    from openpyxl import load_workbook

    campaign = _sent(tmp_path, standin, db_url)
    for kind in ("recipients", "opens", "bounces", "clicks", "outlets", "summary"):
        assert mailer("report", campaign, "--kind", kind, "-o", f"{kind}.csv").exit_code == 0
        assert mailer("report", campaign, "--kind", kind, "-o", f"{kind}.xlsx").exit_code == 0
        head = (tmp_path / f"{kind}.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert head[-2:] == ["campaign", "subject"], (kind, head)
        sheet = load_workbook(f"{kind}.xlsx").active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0][-2:]) == ["campaign", "subject"], (kind, rows[0])
        assert all(row[-2:] == (campaign, SUBJECT) for row in rows[1:]), (kind, rows)
    summary = list(csv.DictReader(io.StringIO((tmp_path / "summary.csv").read_text(encoding="utf-8-sig"))))
    figures = [row for row in summary if row["count"]]
    assert summary[0] == figures[0] and int(summary[0]["count"]) >= 0, summary
    assert not any(row["figure"].startswith(("Campaign:", "Subject:")) for row in summary), summary
    assert all(row["campaign"] == campaign and row["subject"] == SUBJECT for row in summary), summary
    recipients = list(csv.DictReader(io.StringIO((tmp_path / "recipients.csv").read_text(encoding="utf-8-sig"))))
    assert {row["email"] for row in recipients} == {"ana@daily.example", "ben@gazette.example"}
    assert {(row["campaign"], row["subject"]) for row in recipients} == {(campaign, SUBJECT)}
    assert "campaign" not in mailer("report", campaign, "--kind", "recipients").output  # the terminal's title names it


# -- 2. `mailer campaigns` said "created (UTC)" on an office's clock --------------------------------


def test_campaigns_says_when_each_was_made_on_the_offices_clock(tmp_path: Path, standin: Any, db_url: str) -> None:
    """With [reports] time_zone = "Europe/Berlin", status, report and the campaigns' scheduled times
    are on Berlin's clock, but `mailer campaigns` headed its column "created (UTC)" with UTC times:
    a send made at 09:30 read 08:30 in winter; `mailer status` said "Created: ... UTC" alone."""
    import json
    from datetime import datetime
    from zoneinfo import ZoneInfo

    campaign = _sent(tmp_path, standin, db_url)
    with (tmp_path / "mailer.toml").open("a", encoding="utf-8") as config:
        config.write('\n[reports]\ntime_zone = "Europe/Berlin"\n')
    made = json.loads(mailer("campaigns", "--json").stdout)[0]
    assert made["id"] == campaign
    berlin = datetime.fromisoformat(made["created"]).astimezone(ZoneInfo("Europe/Berlin"))
    shown = mailer("campaigns", "--limit", "1")
    assert shown.exit_code == 0, shown.output
    assert "created (Europe/Berlin)" in shown.output and "(UTC)" not in shown.output, shown.output
    assert f"{berlin:%Y-%m-%d %H:%M}" in shown.output, shown.output
    # `mailer status` and "latest is ..." add it in brackets, as they say a scheduled time.
    status = mailer("status", "latest")
    utc_day = made["created"][:10]
    office_time = f"{berlin:%H:%M}" if f"{berlin:%Y-%m-%d}" == utc_day else f"{berlin:%Y-%m-%d %H:%M}"  # past 23:00 UTC: Berlin's next day
    assert f"Created:   {utc_day}" in status.output and f"({office_time} Europe/Berlin)" in status.output, status.output
    assert f"latest is {campaign} (live, created {berlin:%Y-%m-%d %H:%M} Europe/Berlin)." in status.output, status.output


# -- 3. a Cision export's "Contact" column ("Last, First") stayed a field of the list's own ----------


def test_a_cision_contact_column_is_the_journalists_name(tmp_path: Path) -> None:
    """Cision exports the journalist's name as "Contact", written "Last, First". It was kept as a
    custom field, so "Dear {{ contact.first_name }}" greeted nobody. Without first- or last-name
    columns it is the name, split as a "Name" column is; beside them it stays the list's own."""
    (tmp_path / "cision.csv").write_text(
        'Contact,Email,Outlet\nCôté, Éric,eric@radio.example,Radio-Canada\n"Tremblay, Marie",marie@devoir.example,Le Devoir\n'.replace(
            "Côté, Éric", '"Côté, Éric"'
        ),
        encoding="utf-8",
    )
    (tmp_path / "both.csv").write_text("First Name,Last Name,Contact,Email\nAna,Lima,Press desk,ana@daily.example\n", encoding="utf-8")
    cleaned = mailer("lists", "clean", "cision.csv", "-o", "clean.csv")
    assert cleaned.exit_code == 0, cleaned.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "clean.csv").read_text(encoding="utf-8-sig"))))
    assert [(row["first_name"], row["last_name"]) for row in rows] == [("Éric", "Côté"), ("Marie", "Tremblay")], rows
    assert "contact" not in rows[0], rows
    assert mailer("lists", "clean", "both.csv", "-o", "both-clean.csv").exit_code == 0
    kept = list(csv.DictReader(io.StringIO((tmp_path / "both-clean.csv").read_text(encoding="utf-8-sig"))))
    assert (kept[0]["first_name"], kept[0]["last_name"], kept[0]["contact"]) == ("Ana", "Lima", "Press desk"), kept


# -- 4. a French embargo said its zone in English ("06:00 EST") ---------------------------------------


def test_an_embargo_names_its_zone_in_the_releases_language(project: Path) -> None:
    """The date and the time of an embargo were written in the release's language (CLDR, through
    Babel: "06 h 00" in Canadian French), but the zone in the zone database's English: "SOUS EMBARGO
    JUSQU’AU 3 décembre 2026, 06 h 00 EST", where Quebec writes HNE, and "SPERRFRIST BIS ... 09:00 CET"
    where German writes MEZ. English keeps EST; where CLDR has no abbreviation in that language, the
    zone database's stays (CET in French)."""
    cases = {
        "quebec": ("fr-CA", "2026-12-03 06:00 America/Toronto", "SOUS EMBARGO JUSQU’AU 3 décembre 2026, 06 h 00 HNE"),
        "berlin": ("de", "2026-12-03 09:00 Europe/Berlin", "SPERRFRIST BIS 3. Dezember 2026, 09:00 MEZ"),
        "sommer": ("de", "2026-07-02 09:00 Europe/Berlin", "SPERRFRIST BIS 2. Juli 2026, 09:00 MESZ"),
        "paris": ("fr", "2026-12-03 09:00 Europe/Paris", "SOUS EMBARGO JUSQU’AU 3 décembre 2026, 09:00 CET"),
        "ottawa": ("en", "2026-12-03 06:00 America/Toronto", "EMBARGOED UNTIL December 3, 2026, 6:00 AM EST"),
    }
    for name, (language, embargo, line) in cases.items():
        (project / "releases" / f"{name}.md").write_text(
            f'---\nsubject: "S"\nlanguage: {language}\nembargo: "{embargo}"\n---\nText.\n', encoding="utf-8"
        )
        shown = mailer("preview", f"releases/{name}.md")
        assert shown.exit_code == 0, shown.output
        text = (project / "out" / "preview" / f"{name}.txt").read_text(encoding="utf-8")
        assert line in text, (name, text[:300])


# -- Part 2: a German health authority's press office, from the README -------------------------------

GERMAN = (
    "E-Mail;Anrede;Vorname;Nachname;Redaktion\r\n"
    "j.mueller@tagesspiegel.example;Herr;Jürgen;Müller;Der Tagesspiegel\r\n"
    "a.oeztuerk@rbb.example;Frau;Ayşe;Öztürk;rbb24\r\n"
    "l.nowak@moz.example;Herr;Łukasz;Nowak;Märkische Oderzeitung\r\n"
    "s.weiss@bz.example;Frau;Susanne;Weiß;B.Z.\r\n"
)


def test_a_letter_excel_could_not_save_is_named_not_mailed_as_a_question_mark(tmp_path: Path) -> None:
    """Excel's "CSV (Trennzeichen-getrennt)" saves Windows-1252, which has no ş or Ł: it writes "?"
    in their place, so "Ayşe Öztürk" and "Łukasz Nowak" became "Ay?e" and "?ukasz", and `lists check`
    said the list was read right ("Windows-1252, semicolon-separated"); the send greeted "Ay?e" and
    put it in the To line. The check and the send now name those rows and say how to save the list."""
    (tmp_path / "presse.csv").write_bytes(GERMAN.encode("cp1252", errors="replace"))
    checked = mailer("lists", "check", "presse.csv")
    assert checked.exit_code == 0, checked.output
    said = " ".join(checked.output.split())
    assert '2 names hold a "?" in place of a letter' in said, said
    assert 'row 3: "Ay?e"' in said and 'row 4: "?ukasz"' in said and "CSV UTF-8" in said, said
    assert "Müller" not in said and "Weiß" not in said  # names Windows-1252 holds are not named
    (tmp_path / "clean.csv").write_bytes(GERMAN.replace("Ayşe", "Ayse").replace("Łukasz", "Lukasz").encode("cp1252"))
    assert '"?"' not in mailer("lists", "check", "clean.csv").output


def test_a_german_time_and_zone_as_the_office_writes_them(project: Path) -> None:
    """The office writes "10 Uhr" and "MEZ", as its German email now says the embargo ("10:00 MEZ").
    `--at "2026-12-03 10 Uhr Europe/Berlin"` was "not a time mailer understands", and "10:00 MEZ"
    was answered with London, Shanghai and New York to choose from. "Uhr" is read as French "10h"
    is; MEZ and MESZ (and Quebec's HNE, HAE) get the zone to write."""
    (project / "releases" / "uhr.md").write_text(
        '---\nsubject: "S"\nlanguage: de\nembargo: "2026-12-03 10:30 Uhr Europe/Berlin"\n---\nText.\n', encoding="utf-8"
    )
    assert mailer("preview", "releases/uhr.md").exit_code == 0
    assert "SPERRFRIST BIS 3. Dezember 2026, 10:30 MEZ" in (project / "out" / "preview" / "uhr.txt").read_text(encoding="utf-8")
    (project / "releases" / "mez.md").write_text('---\nsubject: "S"\nembargo: "2026-12-03 10:00 MEZ"\n---\nText.\n', encoding="utf-8")
    refused = " ".join(mailer("preview", "releases/mez.md").output.split())
    assert 'embargo: "2026-12-03 10:00 Europe/Berlin"' in refused and "Shanghai" not in refused, refused
    (project / "releases" / "hne.md").write_text('---\nsubject: "S"\nembargo: "2026-12-03 06:00 HNE"\n---\nText.\n', encoding="utf-8")
    assert "America/Toronto" in mailer("preview", "releases/hne.md").output


def test_a_german_outlook_export_gives_the_outlet_and_tags(tmp_path: Path) -> None:
    """German Outlook exports its contacts with "Firma" and "Kategorien" where English Outlook writes
    "Company" and "Categories", which mailer reads as the outlet and the tags. In German they were
    columns of the list's own: the outlets report and {{ contact.outlet }} were empty, --tag chose
    nobody. Beside a list's own outlet column ("Redaktion"), Firma stays the list's own, as Company does."""
    (tmp_path / "outlook.csv").write_bytes(
        (
            '"Anrede","Vorname","Weitere Vornamen","Nachname","Firma","Position","E-Mail-Adresse","Kategorien","Straße geschäftlich"\r\n'
            '"Dr.","Jürgen","","Müller","Der Tagesspiegel","Redakteur","j.mueller@tagesspiegel.example","Presse;Gesundheit","Askanischer Platz 3"\r\n'
        ).encode("cp1252")
    )
    checked = " ".join(mailer("lists", "check", "outlook.csv").output.split())
    assert "outlet (Firma)" in checked and "tags (Kategorien)" in checked, checked
    # Its Anrede is the honorific, as English Outlook's Title beside Job Title ({{ contact.honorific }}: "Dr.").
    assert "honorific (Anrede)" in checked and "anrede (Anrede)" not in checked, checked
    # A column of its own is named for a template without losing its ß: {{ contact.strasse_geschaftlich }}.
    assert "strasse_geschaftlich (Straße geschäftlich)" in checked, checked
    (tmp_path / "own.csv").write_text("E-Mail;Redaktion;Firma\nj@x.example;Der Tagesspiegel;Verlag GmbH\n", encoding="utf-8")
    own = " ".join(mailer("lists", "check", "own.csv").output.split())
    assert "outlet (Redaktion)" in own and "firma (Firma)" in own, own


def test_a_french_release_from_a_canadian_office_is_told_how_quebec_writes_its_times(project: Path) -> None:
    """`language: fr` writes times as France does, "06:00 EST"; an Ottawa office was not told that
    `language: fr-CA` writes "06 h 00 HNE", as `language: en-GB` is offered to a UK office. The
    preview says it, for the main version and for a French version file alike."""
    (project / "releases" / "budget.md").write_text(
        '---\nsubject: "S"\nlanguage: fr\nembargo: "2026-12-03 06:00 America/Toronto"\n---\nTexte.\n', encoding="utf-8"
    )
    said = " ".join(mailer("preview", "releases/budget.md").output.split())
    assert "For Canadian French (3 décembre 2026, 00 h 01 HNE), write language: fr-CA" in said, said
    (project / "releases" / "launch.md").write_text(
        '---\nsubject: "S"\nembargo: "2026-12-03 06:00 America/Toronto"\n---\nText.\n', encoding="utf-8"
    )
    (project / "releases" / "launch.fr.md").write_text('---\nsubject: "S"\n---\nTexte.\n', encoding="utf-8")
    said = " ".join(mailer("preview", "releases/launch.md").output.split())
    assert "name the French version launch.fr-CA.md" in said, said
    (project / "releases" / "paris.md").write_text(
        '---\nsubject: "S"\nlanguage: fr\nembargo: "2026-12-03 06:00 Europe/Paris"\n---\nTexte.\n', encoding="utf-8"
    )
    assert "Canadian" not in mailer("preview", "releases/paris.md").output


def test_a_dry_run_before_the_embargo_says_now_on_the_embargos_clock(logged: Path) -> None:
    """A dry run before the embargo said "embargoed until 2026-12-03 09:00 UTC (10:00 Europe/Berlin),
    so a live send now (2026-12-02 17:20 UTC) would be refused": the embargo on Berlin's clock, now
    on UTC's alone. Now is said on the embargo's clock too."""
    (logged / "releases" / "sperrfrist.md").write_text(
        '---\nsubject: "S"\nlanguage: de\nembargo: "2099-12-03 10:00 Europe/Berlin"\n---\nText.\n', encoding="utf-8"
    )
    said = " ".join(mailer("send", "releases/sperrfrist.md", "--list", "lists/press.csv", "--dry-run").output.split())
    assert "(10:00 Europe/Berlin), so a live send now (" in said, said
    assert re.search(r"so a live send now \(\d{4}-\d\d-\d\d \d\d:\d\d UTC \((\d{4}-\d\d-\d\d )?\d\d:\d\d Europe/Berlin\)\)", said), said


def test_a_german_no_contact_column_keeps_the_journalist_from_being_mailed(tmp_path: Path) -> None:
    """A German office marks who must not be contacted under "Kein Kontakt" or "Kontaktsperre" (and a
    CRM's "Gesperrt"). Those were columns of the list's own, and the journalists they marked were
    mailed; "Werbesperre" and "Abgemeldet" were already read as opt-outs. Now these are too."""
    (tmp_path / "presse.csv").write_bytes(
        (
            "E-Mail;Name;Kein Kontakt;Kontaktsperre;Gesperrt\r\n"
            "a@x.example;Anna Groß;ja;;\r\nb@x.example;Bernd Höfer;;x;\r\nc@x.example;Carla Özdemir;;;wahr\r\n"
            "d@x.example;Dieter Maß;nein;;\r\n"
        ).encode("cp1252")
    )
    said = " ".join(mailer("lists", "check", "presse.csv").output.split())
    assert "recipients: 1 " in said and "rejected: 3 (3 opted out)" in said, said
    assert 'row 2: a@x.example: opted out of email ("Kein Kontakt": ja)' in said, said


def test_a_privatdozent_is_greeted_by_his_name(tmp_path: Path) -> None:
    """German health and university lists write "PD Dr. Max Ernst" (Privatdozent) and "apl. Prof. Dr.
    Lena Vogt": "PD" was read as his first name and "Dr. Max Ernst" as his last, so he was greeted
    "Dear PD,". They are honorifics, as "Univ.-Prof." and "Priv.-Doz." already were."""
    (tmp_path / "doktor.csv").write_bytes(
        "E-Mail;Name\r\nm@x.example;PD Dr. Max Ernst\r\nl@x.example;apl. Prof. Dr. Lena Vogt\r\nk@x.example;Ernst, PD Dr. Kai\r\n".encode(
            "cp1252"
        )
    )
    assert mailer("lists", "clean", "doktor.csv", "-o", "clean.csv").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "clean.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [(r["first_name"], r["last_name"], r["honorific"]) for r in rows] == [
        ("Max", "Ernst", "PD Dr."),
        ("Lena", "Vogt", "apl. Prof. Dr."),
        ("Kai", "Ernst", "PD Dr."),
    ], rows


def test_a_consent_that_ended_says_so(tmp_path: Path) -> None:
    """A consent-until column ("Einwilligung bis") whose day has passed rejected the row as "gave no
    consent to email ("Einwilligung bis": 31.12.2025)", which reads as if she never gave it. The
    reason says the consent ended, and when; a cell that is no day says that."""
    (tmp_path / "consent.csv").write_bytes(
        "E-Mail;Name;Einwilligung bis\r\nb@x.example;Bernd Höfer;31.12.2025\r\nc@x.example;Carla Ö;bald\r\nd@x.example;Dora;31.12.2099\r\n".encode(
            "cp1252"
        )
    )
    said = " ".join(mailer("lists", "check", "consent.csv").output.split())
    assert '("Einwilligung bis": 31.12.2025: it ended on 2025-12-31)' in said, said
    assert '("Einwilligung bis": bald: not a day mailer reads (write YYYY-MM-DD))' in said, said
    assert "recipients: 1 " in said, said


def test_the_offices_zone_written_as_a_german_office_says_it_gets_the_zone_to_write(project: Path) -> None:
    """[reports] time_zone = "MEZ" or "Deutschland" was answered 'must be a time zone name such as
    "Europe/London" or "America/New_York"', where "Berlin" got "Europe/Berlin". Both now name the zone
    to write; so do --at and the embargo for a country ("10:00 Deutschland")."""
    for written in ("MEZ", "Deutschland"):
        (project / "mailer.toml").write_text(f'[reports]\ntime_zone = "{written}"\n', encoding="utf-8")
        said = " ".join(mailer("campaigns").output.split())
        assert f'"{written}" is' in said and '"Europe/Berlin"' in said and "Europe/London" not in said, said
    (project / "mailer.toml").write_text('[reports]\ntime_zone = "Europe/Berlin"\n', encoding="utf-8")
    (project / "releases" / "land.md").write_text('---\nsubject: "S"\nembargo: "2026-12-03 10:00 Deutschland"\n---\nT.\n', encoding="utf-8")
    assert 'embargo: "2026-12-03 10:00 Europe/Berlin"' in " ".join(mailer("preview", "releases/land.md").output.split())


def test_a_german_titel_field_is_not_taken_for_a_misspelt_title(project: Path) -> None:
    """A German list's "Titel" is the academic title (Dr., Prof.), kept as {{ contact.titel }}. A
    preview without --list said 'The release uses the contact field "titel" (did you mean "title"?)',
    and "title" is the job: "Sehr geehrter Herr Redakteur Müller". In an English release it is still
    taken for a typo of title (fix 16)."""
    (project / "releases" / "titel.md").write_text(
        '---\nsubject: "S"\nlanguage: de\n---\nSehr geehrte/r {{ contact.titel | default("") }} {{ contact.last_name | default("") }},\n\nText.\n',
        encoding="utf-8",
    )
    shown = mailer("preview", "releases/titel.md")
    assert shown.exit_code == 0 and 'did you mean "title"' not in shown.output, shown.output
