"""Newcomer 21: a press officer's "day two" from the README alone (a SendGrid export to import,
opens and bounces to a spreadsheet, a messy CRM list, test send, dry run, status, contact).
Each test is a finding, through the command line, and failed before its fix (session 21)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailed, mailer, office

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


# -- 2. SendGrid's Email Activity CSV: "is this the right file?", and imported as suppressions ------

# SendGrid's Email Activity feed "Export CSV": a row per email with what happened to it.
ACTIVITY = (
    "message_id,event,api_key_id,recv_message_id,credential_id,subject,from_email,email,originating_ip,reason,"
    "outbound_ip,status,processed,clicks,opens,categories,unique_args\n"
    "abc1.filter0001,delivered,k1,,,Bees,press@example.org,ana@daily.example,,,1.2.3.4,delivered,2026-12-01 09:00:00,0,1,press-release,\n"
    "abc2.filter0001,bounce,k1,,,Bees,press@example.org,ben@gazette.example,,550 5.1.1 no such user,1.2.3.4,bounced,"
    "2026-12-01 09:00:00,0,0,press-release,\n"
)


def test_sendgrid_email_activity_export_says_what_it_is_and_is_not_imported_as_suppressions(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """The press officer downloads last week's activity from SendGrid (Email Activity, Export CSV)
    and runs `mailer events import` on it: "no line holds an event (a JSON object such as SendGrid
    posts): is this the right file?", which says neither what the file is nor what to do. Trying
    `mailer suppressions import` on it next suppressed every journalist in it for good, the one
    it says was delivered and opened too. Both now name SendGrid's activity export and say what
    to do; nobody is suppressed."""
    office(tmp_path, standin, db_url)
    (tmp_path / "activity.csv").write_text(ACTIVITY, encoding="utf-8")
    imported = mailer("events", "import", "activity.csv")
    assert imported.exit_code == 1, imported.output
    assert "activity.csv: this is SendGrid's Email Activity export (a CSV file)" in imported.output, imported.output
    assert "mailer webhook" in imported.output and "mailer suppressions import" in imported.output, imported.output
    suppressed = mailer("suppressions", "import", "activity.csv", "--reason", "SendGrid")
    assert suppressed.exit_code == 1, suppressed.output
    assert "activity.csv: this is SendGrid's Email Activity export" in suppressed.output, suppressed.output
    assert "Nothing was imported" in suppressed.output, suppressed.output
    listed = mailer("suppressions", "list")
    assert "ana@daily.example" not in listed.output, listed.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], sent.output


def test_a_sendgrid_bounces_export_given_to_events_import_points_to_suppressions_import(tmp_path: Path) -> None:
    """SendGrid's Suppressions > Bounces "Export CSV" given to `mailer events import` said "is this
    the right file?"; it says the file is SendGrid's export of a suppression list and that `mailer
    suppressions import` takes it. A press list given by mistake is still only "the right file?"."""
    (tmp_path / "bounces.csv").write_text("email,reason,status,created\nben@gazette.example,550 no such user,5.1.1,1795543200\n")
    (tmp_path / "mailer.toml").write_text('[database]\nurl = "sqlite:///out/mailer.db"\n')
    imported = mailer("events", "import", "bounces.csv")
    assert imported.exit_code == 1, imported.output
    said = 'bounces.csv: this is SendGrid\'s export of a suppression list (its columns "email", "reason", "status", "created")'
    assert said in imported.output, imported.output
    assert "mailer suppressions import bounces.csv" in imported.output, imported.output
    # A press list given by mistake is never offered to suppressions import.
    (tmp_path / "press.csv").write_text("Email,First Name,Outlet\nana@daily.example,Ana,Daily\n")
    wrong = mailer("events", "import", "press.csv")
    assert wrong.exit_code == 1, wrong.output
    assert "no line holds an event" in wrong.output and "suppressions import" not in wrong.output, wrong.output


# -- 3. The report read "Skipped: missing 1" where the send and mailer status said "1 missing address"


def test_the_report_names_a_row_without_an_address_as_the_send_does(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The send said "Skipped: 1 (1 missing address)" and `mailer status` "Skipped: 1 missing
    address", but `mailer report` (the table, and the spreadsheet the boss gets) read "Skipped:
    missing 1": missing what? It reads "Skipped: missing address" there too; JSON keeps its key."""
    office(tmp_path, standin, db_url, beat="Email,First Name\nana@daily.example,Ana\n,Ben\n")
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert "1 missing address" in sent.output, sent.output
    shown = mailer("report", "latest")
    assert shown.exit_code == 0, shown.output
    assert "│ Skipped: missing address " in shown.output, shown.output
    assert "Skipped: missing " not in shown.output.replace("Skipped: missing address", ""), shown.output
    spreadsheet = mailer("report", "latest", "--format", "csv", "-o", "report.csv")
    assert spreadsheet.exit_code == 0, spreadsheet.output
    assert "Skipped: missing address,1," in (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    as_json = mailer("report", "latest", "--format", "json")
    assert '"skipped_missing": {' in as_json.output, as_json.output


# -- 4. Webhook posts saved one after another in one file: every post after the first was lost -------


@pytest.mark.parametrize("between", ["\n", "", "\r\n\r\n"])
def test_webhook_posts_saved_one_after_another_in_one_file_are_all_imported(
    tmp_path: Path, standin: Any, db_url: str, between: str
) -> None:
    """As the README says, the office saved the bodies SendGrid's Event Webhook posted to a
    request-collecting service, each a JSON array, one after another in one file (last week's
    posts). The import stored the first post's events only and quarantined the rest as "text after
    the end of the JSON array": the report counted no open of the journalist whose open came in the
    second post. Every post's events are imported now."""
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    when = int(datetime.now(UTC).timestamp()) + 60
    posts = [
        [{"email": "ana@daily.example", "event": "delivered", "timestamp": when, "sg_event_id": "d-ana", "campaign": campaign}],
        [
            {"email": "ben@gazette.example", "event": "delivered", "timestamp": when, "sg_event_id": "d-ben", "campaign": campaign},
            {"email": "ana@daily.example", "event": "open", "timestamp": when + 60, "sg_event_id": "o-ana", "campaign": campaign},
        ],
        [{"email": "ben@gazette.example", "event": "open", "timestamp": when + 90, "sg_event_id": "o-ben", "campaign": campaign}],
    ]
    (tmp_path / "posts.json").write_text(between.join(json.dumps(post, indent=1) for post in posts) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "posts.json")
    assert imported.exit_code == 0, imported.output
    assert "Read 4 events from 1 file." in imported.output, imported.output
    assert "Added 4, skipped 0 already in the log, 0 could not be linked to a message." in imported.output, imported.output
    assert "Quarantined" not in imported.output, imported.output
    report = mailer("report", campaign, "--format", "json")
    figures = json.loads(report.output[report.output.index("{") :])["figures"]
    assert (figures["delivered"]["count"], figures["opened_human"]["count"]) == (2, 2), figures
    # Text that is no array after the last one is still quarantined, the posts before it stored.
    (tmp_path / "more.json").write_text(json.dumps(posts[0]) + "\nnot json\n", encoding="utf-8")
    broken = mailer("events", "import", "more.json")
    assert "more.json line 2: text after the end of the JSON array." in broken.output, broken.output


# -- 5. A list mixing encodings named one line to retype; the next try named the next one -------------


def test_a_list_mixing_encodings_names_every_line_to_retype(tmp_path: Path) -> None:
    """A CRM export in UTF-8 with rows pasted from an Excel "CSV" (Windows-1252) below it: `lists
    check` named only the first pasted line ("byte 0xEB on line 10 is not UTF-8"); once it was
    retyped, the next try named line 11, and so on, one line a try. It names them all (the first
    few, and how many more), the lines of each encoding."""
    rows = "Email;Name;Outlet\n" + "".join(f"j{at}@p{at}.example;Jörg Müller;Zeitung\n" for at in range(8))
    pasted = "zoe@presse.example;Zoë Brontë;Presse\nyves@x.example;Yves Béranger;Le X\nann@y.example;Ann;Y\nluc@z.example;Luc Lefèvre;Z\n"
    (tmp_path / "crm.csv").write_bytes(rows.encode("utf-8") + pasted.encode("cp1252"))
    checked = mailer("lists", "check", "crm.csv")
    assert checked.exit_code == 1, checked.output
    said = " ".join(checked.output.split())
    assert (
        "crm.csv: the file mixes encodings, or is in one mailer does not read: 8 lines have UTF-8 text (2, 3, 4, 5, 6 "
        "and 3 more), but 3 lines are not UTF-8: 10, 11 and 13 (byte 0xEB on line 10)."
    ) in said, checked.output


# -- 6. The Email Activity API's answer (curl .../v3/messages) was stored as one event, "unknown" -----

MESSAGES = {
    "messages": [
        {
            "from_email": "press@example.org",
            "msg_id": "abc.filter0001",
            "subject": "Bees",
            "to_email": "ana@daily.example",
            "status": "delivered",
            "opens_count": 1,
            "clicks_count": 0,
            "last_event_time": "2026-12-01T09:00:00Z",
        }
    ]
}


@pytest.mark.parametrize("indent", [None, 2])
def test_the_email_activity_apis_answer_is_refused_not_stored_as_an_event(
    tmp_path: Path, standin: Any, db_url: str, indent: int | None
) -> None:
    """The IT-savvy colleague fetched last week's activity with SendGrid's Email Activity API
    (GET /v3/messages) and imported its answer: "Read 1 events ... Added 1", with a warning about
    an event of type "unknown", a word the file never says. The whole answer sat in the log as an
    event that changes nothing. It is refused now, saying what the file is and what to do."""
    office(tmp_path, standin, db_url)
    (tmp_path / "messages.json").write_text(json.dumps(MESSAGES, indent=indent), encoding="utf-8")
    imported = mailer("events", "import", "messages.json")
    assert imported.exit_code == 1, imported.output
    assert "messages.json: this is SendGrid's Email Activity API answer (its messages), which mailer cannot import" in " ".join(
        imported.output.split()
    ), imported.output
    assert "mailer webhook" in imported.output, imported.output
    as_json = mailer("events", "quarantine")
    assert "The quarantine is empty" in as_json.output, as_json.output


def test_one_event_imported_reads_one_event(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer events import` of a file holding one event said "Read 1 events from 1 file."."""
    office(tmp_path, standin, db_url)
    event = {"email": "ana@daily.example", "event": "delivered", "timestamp": 1795543200, "sg_event_id": "one"}
    (tmp_path / "one.json").write_text(json.dumps(event) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "one.json")
    assert imported.exit_code == 0, imported.output
    assert "Read 1 event from 1 file." in imported.output, imported.output


# -- 8. The cleaned list wrote "Einwilligung" as "einwilligung", though the README keeps its heading --


def test_a_cleaned_list_keeps_its_consent_columns_heading_as_the_list_has_it(tmp_path: Path) -> None:
    """The README says an opt-out or opt-in column keeps its heading in the cleaned list as the
    list has it, but the German CRM's "Einwilligung" came out "einwilligung" and "Email consent"
    "email_consent" (only "Do Not Email (Y/N)"-like headings were kept). Every such column keeps
    its heading now; the cleaned list reads back with the same journalists."""
    (tmp_path / "crm.csv").write_text(
        "E-Mail;Vorname;Einwilligung;Email consent;Unsubscribed\nana@daily.example;Ana;ja;yes;\nben@gazette.example;Ben;nein;yes;\n",
        encoding="utf-8",
    )
    cleaned = mailer("lists", "clean", "crm.csv", "-o", "clean.csv")
    assert cleaned.exit_code == 0, cleaned.output
    header = (tmp_path / "clean.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.endswith(";Einwilligung;Email consent;Unsubscribed"), header
    checked = mailer("lists", "check", "clean.csv")
    assert "recipients:  1" in checked.output, checked.output
    assert 'note:        "Einwilligung" is read as consent to email' in checked.output, checked.output


# -- 9. A consent column of Excel's long dates ("Mittwoch, 1. Mai 2024") was read as no consent ------

LONG_DATES = [
    "Wednesday, 1 May 2024",
    "Mittwoch, 1. Mai 2024",
    "Mi, 1. Mai 2024",
    "mercredi 1 mai 2024",
    "miércoles, 1 de mayo de 2024",
    "mercoledì 1 maggio 2024",
    "quarta-feira, 1 de maio de 2024",
    "1. Mai 2024 10:00",
    "1 May 2024, 10:00",
]


@pytest.mark.parametrize("given", LONG_DATES)
def test_a_consent_column_of_long_dates_with_their_weekday_is_consent(tmp_path: Path, given: str) -> None:
    """The CRM's consent column gives the day consent was given, formatted as Excel's long date in
    the office's language: "Mittwoch, 1. Mai 2024" (German), "mercredi 1 mai 2024", "Wednesday, 1
    May 2024" (English, UK). The README says the day consent was given, in words as a long date
    format writes it, is consent, but these were `gave no consent to email`: the weekday (or a time
    after the date) was not expected. They are consent; "Mai 2024" alone, no day, is still not."""
    (tmp_path / "crm.csv").write_text(f"E-Mail;Einwilligung\nana@daily.example;{given}\nben@gazette.example;Mai 2024\n", encoding="utf-8")
    checked = mailer("lists", "check", "crm.csv")
    assert checked.exit_code == 0, checked.output
    assert "recipients:  1" in checked.output, checked.output
    assert 'row 3: ben@gazette.example: gave no consent to email ("Einwilligung": Mai 2024)' in checked.output, checked.output
