"""Review 18z: a hostile review of newcomer 18's and review 18y's fixes as merged (7fba5b8), as a
press officer would meet them. Each test is a finding, through the command line, and failed before
its fix (session 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from office_cli import SEND, cancel_cut_off, mailed, mailer, office, scheduled_stopped_half_way

from mailer.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def said(result: Result) -> str:
    return " ".join(result.output.split())


BEAT3 = "Email,Name\nana@radio.example,Ana Lima\nrui@gazette.example,Rui Costa\nli@science.example,Li Wei\n"


# -- 1. a do-not-contact list's address was not imported beside a CRM export naming it --------------


def test_a_do_not_contact_address_goes_in_though_a_crm_export_says_she_did_not_opt_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office imports its CRM export (a "Do Not Email" column: Ana "no", Li "yes") and the
    agency's do-not-contact list (Ana, who phoned to be left alone) in one command. Ana's row of
    the do-not-contact list was a repeat of the CRM's, which the opt-out column keeps out: she was
    not suppressed, 'Suppressed 1 address' said nothing of her, and the next release mailed her.
    A file without an opt-out column is imported whole, whatever another file says of the address."""
    office(tmp_path, standin, db_url, beat=BEAT3)
    Path("crm.csv").write_text("Email,Name,Do Not Email\nana@radio.example,Ana,no\nli@science.example,Li,yes\n", encoding="utf-8")
    Path("do-not-contact.csv").write_text("Email\nana@radio.example\n", encoding="utf-8")
    imported = mailer("suppressions", "import", "crm.csv", "do-not-contact.csv", "--reason", "CRM and agency opt-outs")
    assert imported.exit_code == 0, imported.output
    assert "Suppressed 2 addresses" in imported.output, imported.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["rui@gazette.example"], imported.output


# -- 2. Excel's Turkish FALSE (YANLIŞ) read as opted out ---------------------------------------------


def test_excels_turkish_false_is_not_an_opt_out(tmp_path: Path) -> None:
    """An Istanbul office's Salesforce report saved from Excel in Turkish writes the "Email Opt Out"
    checkbox as DOĞRU / YANLIŞ, and a colleague types "Hayır" or "HAYIR". Review 18y #6 meant them
    as "no", yet lower-cased they read "yanliş", "hayir" (a dotless I is lower-cased to a dotted
    one), which the list of no's does not hold: every journalist was rejected as opted out."""
    text = (
        "Email,Name,Email Opt Out\n"
        "ana@radio.example,Ana Lima,YANLIŞ\n"
        "rui@gazette.example,Rui Costa,DOĞRU\n"
        "li@science.example,Li Wei,HAYIR\n"
        "jo@daily.example,Jo Berg,Hayır\n"
    )
    check = json.loads(invoke("lists", "check", written(tmp_path / "list.csv", text), "--json").stdout)
    assert (check["valid"], check["opted_out"]) == (3, 1), check


# -- 3. two opt-out columns: the import's warning named one, and its advice did not work ------------


def test_import_warning_names_every_opt_out_column(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Salesforce report with the office's "Do Not Email" beside "Email Opt Out": the import's
    warning named "Do Not Email" only, and said to delete that column to suppress every address.
    She did; the import again took only the rows "Email Opt Out" marks. The warning names both
    columns and says to delete them."""
    office(tmp_path, standin, db_url, beat=BEAT3)
    Path("crm.csv").write_text(
        "Email,Name,Do Not Email,Email Opt Out\nana@radio.example,Ana,no,1\nli@science.example,Li,yes,0\nrui@gazette.example,Rui,,\n",
        encoding="utf-8",
    )
    imported = mailer("suppressions", "import", "crm.csv", "--reason", "CRM opt-outs")
    assert imported.exit_code == 0, imported.output
    words = said(imported)
    assert 'its columns "Do Not Email" and "Email Opt Out" say who opted out: 2 rows marked so were imported' in words, words
    assert "delete those columns and import it again" in words, words


# -- 4. a new send pointed at the resume a cancel with no answer refuses -----------------------------


def test_a_send_after_a_cancel_with_no_answer_does_not_point_at_a_resume(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled two hours ahead stopped half-way (Ana's email held, Ben's not sent); its
    cancel got no answer (the laptop died). Sending the release again said 'Nobody to send to ...
    Finish that send with: mailer resume ...', and the resume was refused (review 18y #5): she went
    round in circles. The send says the stopped one cannot be resumed and to run its cancel again;
    once it holds, the release goes to both."""
    from datetime import timedelta

    campaign_id, at = scheduled_stopped_half_way(tmp_path, standin, db_url)
    cancel_cut_off(tmp_path, standin, campaign_id)
    again = mailer(*SEND, "--at", f"{at + timedelta(hours=1):%Y-%m-%d %H:%M} UTC")
    words = said(again)
    assert again.exit_code != 0 and "mailer resume" not in words, words
    assert f"{campaign_id} cannot be resumed" in words and f"run mailer cancel {campaign_id} again" in words, words
    cancelled = mailer("cancel", campaign_id)
    assert cancelled.exit_code == 0, cancelled.output
    after = mailer(*SEND, "--at", f"{at + timedelta(hours=1):%Y-%m-%d %H:%M} UTC")
    assert after.exit_code == 0, after.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ana@daily.example", "ben@gazette.example"], after.output


# -- 5. the embargo's refusal of a UK summer time gave a New York example ---------------------------


def test_embargo_with_an_abbreviation_or_a_city_names_the_zone_to_write(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A UK release in summer heads its embargo line "00:01 BST", as UK releases write it; review
    18y #13 read the embargo "as --at does", yet it was refused as "not a date and time I can read",
    with 'e.g. embargo: "2026-02-19 09:00 America/New_York"'. --at names Europe/London (and
    Bangladesh's zone) for BST, and the zone of a city written alone: the embargo does too."""
    office(tmp_path, standin, db_url)
    text = Path("releases/example.md").read_text(encoding="utf-8")
    assert text.startswith("---\n") and "embargo:" not in text
    for written_as, expected in (
        ("2026-07-02 00:01 BST", 'embargo: "2026-07-02 00:01 Europe/London" (United Kingdom)'),
        ("2026-07-02 00:01 London", 'embargo: "2026-07-02 00:01 Europe/London"'),
        ("2026-07-02 09:00 New York", 'embargo: "2026-07-02 09:00 America/New_York"'),
    ):
        Path("releases/embargoed.md").write_text(f'---\nembargo: "{written_as}"\n' + text[4:], encoding="utf-8")
        result = mailer("preview", "releases/embargoed.md")
        words = said(result)
        assert result.exit_code != 0 and expected in words and "2026-02-19" not in words, words


# -- 6. "2 missing address" ----------------------------------------------------------------------


def test_two_rows_without_an_address_are_two_missing_addresses(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 18 #6 made "1 missing" read "1 missing address" in every count; two such rows read
    "rejected: 2 (2 missing address)" in lists check and "Skipped: 2 (2 missing address)" in the
    send's plan and mailer status. They read "2 missing addresses"."""
    office(tmp_path, standin, db_url, beat="Email,Name\nana@radio.example,Ana Lima\n,Rui Costa\n,Li Wei\n")
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "rejected:    2 (2 missing addresses)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0 and "Skipped:    2 (2 missing addresses)" in sent.output, sent.output
    shown = mailer("status", "latest")
    assert "2 missing address" in shown.output and "2 missing address," not in shown.output, shown.output
    assert "2 missing address)" not in shown.output and "2 missing address\n" not in shown.output, shown.output


# -- 7. "Opt-in: no" was mailed -------------------------------------------------------------------


def test_a_journalist_whose_opt_in_says_no_is_not_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A press list kept for GDPR with an "Email Opt-in" column (yes / no, blank where nobody asked):
    "Opt-in" was a column of the list's own, and Li, who said no, was mailed the release. A row
    whose opt-in cell says no is opted out, with the column named, and a date column ("Opt-in date")
    is the list's own. (A blank one was mailed; since review 20c #4 it is no consent, and is not.)"""
    beat = (
        "Email,Name,Email Opt-in (yes/no),Opt-in date\n"
        "ana@radio.example,Ana Lima,yes,2025-01-02\n"
        "li@science.example,Li Wei,No,\n"
        "rui@gazette.example,Rui Costa,,\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert 'row 3: li@science.example: gave no consent to email ("Email Opt-in (yes/no)": No)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@radio.example"], sent.output


# -- 8. --at with a city or abbreviation mailer did not know: a New York example to paste ------------


def test_at_with_an_unknown_city_or_abbreviation_gives_no_other_countrys_zone_to_paste(tmp_path: Path) -> None:
    """A Beijing office writes --at "... 09:00 Beijing" (the time zone database names China's zone
    after Shanghai), a Hong Kong one "HKT", a US one "9:00 ET": each was 'not a time mailer
    understands. Write ..., for example --at "2026-12-02 09:00 America/New_York"', her date and
    hour ready to paste with New York's zone (13 hours off for Beijing). The city and the
    abbreviation are named with their zone; a word mailer does not know gets no pasteable example."""
    when = "2026-12-02 09:00"
    for zone, expected in (
        ("Beijing", "Asia/Shanghai"),
        ("HKT", "Asia/Hong_Kong"),
        ("ET", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
    ):
        result = invoke("send", "release.md", "--list", "list.csv", "--dry-run", "--at", f"{when} {zone}")
        assert result.exit_code != 0 and f'--at "{when} {expected}"' in said(result), said(result)
    result = invoke("send", "release.md", "--list", "list.csv", "--dry-run", "--at", f"{when} Xiamen")
    words = said(result)
    assert result.exit_code != 0 and "Xiamen is not a time zone name mailer knows" in words and 'America/New_York"' not in words, words


# -- 9. HubSpot's "Opted out of email: Press Releases" was the list's own ---------------------------


def test_hubspots_opt_out_of_a_subscription_type_is_honoured(tmp_path: Path) -> None:
    """HubSpot's contact export heads each subscription type's opt-out "Opted out of email: Press
    Releases" (true / false). Only "Unsubscribed from all email" was read as an opt-out column: Li,
    who had opted out of the office's press releases in HubSpot, stayed a recipient."""
    text = (
        "Email,First Name,Unsubscribed from all email,Opted out of email: Press Releases\n"
        "ana@radio.example,Ana,false,false\n"
        "li@science.example,Li,false,true\n"
    )
    result = invoke("lists", "check", written(tmp_path / "hubspot.csv", text))
    assert 'row 3: li@science.example: opted out of email ("Opted out of email: Press Releases": true)' in result.output, result.output


# -- 10. the import's warning counted rows another file marked as marked by the file's own column -----


def test_import_warning_says_apart_the_rows_another_file_marks(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague's sheet with an "Unsubscribed" column left empty, imported with the CRM export
    that marks Li: 'colleague.csv: its column "Unsubscribed" says who opted out: 1 row marked so was
    imported, and 1 row not marked ...', though the column marks nobody; she took the empty column
    for read wrong. The rows another file marks are said apart."""
    office(tmp_path, standin, db_url, beat=BEAT3)
    Path("colleague.csv").write_text("Email,Name,Unsubscribed\nana@radio.example,Ana,\nli@science.example,Li,\n", encoding="utf-8")
    Path("crm.csv").write_text("Email,Name,Do Not Email\nli@science.example,Li,yes\n", encoding="utf-8")
    imported = mailer("suppressions", "import", "colleague.csv", "crm.csv", "--reason", "opt-outs")
    assert imported.exit_code == 0, imported.output
    words = said(imported)
    assert (
        'colleague.csv: its column "Unsubscribed" says who opted out: 0 rows marked so were imported, '
        "1 row another file marks as opted out was too, and 1 row not marked (they did not opt out) was not." in words
    ), words
    assert 'crm.csv: its column "Do Not Email"' not in words, words  # its every row imported: nothing to warn of (newcomer 25 #9)


# -- 11. Excel's FALSE in Russian, Greek, Romanian... read as opted out -------------------------------


def test_excels_false_in_more_languages_is_not_an_opt_out(tmp_path: Path) -> None:
    """Review 18y #6 read Excel's FALSE in Dutch, the Nordic languages and a few more as "no"; a
    Moscow office's Salesforce report saved from Excel writes the "Email Opt Out" checkbox as
    ИСТИНА / ЛОЖЬ, an Athens one ΑΛΗΘΕΣ / ΨΕΥΔΕΣ, a Bucharest one ADEVĂRAT / FALS: every ЛОЖЬ,
    ΨΕΥΔΕΣ and FALS journalist was rejected as opted out. They read as no; ИСТИНА still opts out."""
    rows = ["ЛОЖЬ", "ΨΕΥΔΕΣ", "FALS", "нет", "ΌΧΙ", "ИСТИНА"]
    text = "Email,Name,Email Opt Out\n" + "".join(f"j{at}@paper.example,Jo {at},{cell}\n" for at, cell in enumerate(rows))
    check = json.loads(invoke("lists", "check", written(tmp_path / "list.csv", text), "--json").stdout)
    assert (check["valid"], check["opted_out"]) == (5, 1), check
