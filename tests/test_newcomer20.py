"""Newcomer 20: a press officer's "day two" from the README alone (own release, own messy lists,
test send, live send stopped and resumed, events, reports, suppressions, forget, a 30,000 send).
Each test is a finding, through the command line, and failed before its fix (session 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailed, mailer, office

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


# -- 5. The report of a send of 30,000 read "30000" where mailer status read "30,000" ---------------


def test_the_report_writes_counts_as_status_does_with_thousands_separated(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After a send to 30,000 journalists, `mailer status` said "Recipients: 30,000 accepted" but
    `mailer report` (the terminal table, and the HTML page for the boss: its cards and summary)
    said "30000": the same figure written two ways. Counts read "1,200" there too; the CSV keeps
    the plain number a spreadsheet sums."""
    beat = "Email,First Name\n" + "".join(f"j{at}@paper.example,Jo\n" for at in range(1200))
    office(tmp_path, standin, db_url, beat=beat, batch_size=1000)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert "Accepted:   1,200" in sent.output, sent.output
    shown = mailer("report", "latest")
    assert shown.exit_code == 0, shown.output
    assert "│ Planned recipients                              │ 1,200 │" in shown.output, shown.output
    assert "│ Accepted by SendGrid                            │ 1,200 │" in shown.output, shown.output
    page = mailer("report", "latest", "--format", "html", "-o", "report.html")
    assert page.exit_code == 0, page.output
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<td class="num">1,200</td>' in text, text
    assert "1200" not in text, text
    spreadsheet = mailer("report", "latest", "--format", "csv", "-o", "report.csv")
    assert spreadsheet.exit_code == 0, spreadsheet.output
    assert "Planned recipients,1200," in (tmp_path / "report.csv").read_text(encoding="utf-8-sig")


# -- 6. An "Email consent" column (GDPR), or a French "Consentement", said no and was mailed ---------

CONSENT = ["Email consent", "Consent", "Marketing consent", "Consentement", "Einwilligung", "Consentimiento", "Consenso", "Consentimento"]


@pytest.mark.parametrize("header", CONSENT)
def test_a_consent_column_that_says_no_keeps_its_journalist_out(tmp_path: Path, standin: Any, db_url: str, header: str) -> None:
    """A list kept for the GDPR records each journalist's consent to email in a column headed
    "Email consent" ("Consentement" in a French office, "Einwilligung" in a German one): the
    journalist whose cell said "no" ("non", "nein") was mailed, the column read as the list's own.
    It is an opt-in column: "no" there is not mailed, "yes" is (an empty cell is not: review 20c #4)."""
    beat = (
        f"Email,Name,{header}\nana@daily.example,Ana,no\nben@gazette.example,Ben,yes\ncleo@radio.example,Cleo,\ndan@post.example,Dan,non\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "rejected:    3 (3 without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ben@gazette.example"], sent.output


# -- 7. Events dated before the send "name no message of this log (an address it never mailed ...)" --


def test_events_without_a_message_key_dated_before_the_send_say_why_they_are_not_linked(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Rehearsing with the stand-in (which posts no events), a press officer wrote the events of her
    send by hand, with the campaign's id but a time a few minutes before the send: the import said
    "2 could not be linked to a message" and gave as the reason "an address it never mailed, or a
    type SendGrid does not send", true of neither. It names the cause that was: an event without
    SendGrid's message key is matched to the email sent to that address in the week before it."""
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    events = "".join(
        f'{{"email": "ana@daily.example", "event": "{kind}", "timestamp": {when}, "sg_event_id": "{kind}-{when}", "campaign": "{campaign}"}}\n'
        for kind, when in (("delivered", 1_000_000_000), ("open", 1_000_000_060))
    )
    (tmp_path / "events.ndjson").write_text(events, encoding="utf-8")
    imported = mailer("events", "import", "events.ndjson")
    assert imported.exit_code == 0, imported.output
    assert "Added 2, skipped 0 already in the log, 2 could not be linked to a message." in imported.output
    assert (
        "Events that cannot be linked name no message of this log: an address it never mailed, an event dated before "
        "the email to its address was sent or more than a week after it (SendGrid's own events carry the message key "
        "press-mailer gave each email and are linked whenever they come), or a type SendGrid does not send. "
        "They are kept but not counted."
    ) in " ".join(imported.output.split()), imported.output


# -- 8. An embargo "09:00 CET" was "not a date and time I can read", though --at took "09:00 CET" ---


@pytest.mark.parametrize(("zone", "utc"), [("CET", "08:00"), ("cet", "08:00"), ("EST", "14:00")])
def test_an_embargo_in_a_zone_named_without_its_region_is_read_as_at_reads_it(
    tmp_path: Path, standin: Any, db_url: str, zone: str, utc: str
) -> None:
    """A European release writes its embargo as it prints it, "2026-12-02 09:00 CET": mailer
    preview stopped with '"2026-12-02 09:00 CET" is not a date and time I can read' and a New York
    example, while `mailer send --at "2026-12-02 09:00 CET"` scheduled the send for that moment. The
    README says the embargo is read as --at reads a time: it is, and the email says "CET"."""
    office(tmp_path, standin, db_url)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("\nsubject:", f'\nembargo: "2099-12-02 09:00 {zone}"\nsubject:', 1), encoding="utf-8")
    shown = mailer("preview", "releases/example.md")
    assert shown.exit_code == 0, shown.output
    assert (
        (tmp_path / "out" / "preview" / "example.txt")
        .read_text(encoding="utf-8")
        .startswith(f"EMBARGOED UNTIL December 2, 2099, 9:00 AM {zone.upper()}")
    )
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 1, sent.output
    assert f"The release is embargoed until 2099-12-02 {utc} UTC (09:00 {zone.upper()})" in sent.output, sent.output
    assert mailed(standin) == [], sent.output
