"""Review 22: a hostile review of how a list's consent, opt-in and opt-out columns are read, the
worst failure being a false yes: a journalist who refused or withdrew consent, mailed. Each test is
a finding, through the command line (lists check, clean, prune, a send, suppressions import), and
failed before its fix (session 22)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailed, mailer, office, release_named

# -- 1. A date of consent with a withdrawal after it ("2024-05-01 withdrawn") was consent ------------

WITHDRAWN_AFTER_A_DATE = [
    "2024-05-01 withdrawn",
    "01.05.2024 widerrufen",
    "3/4/2024 revoked",
    "2024-05-01 (revoked 2025-01-10)",
    "01.05.2024 - 31.12.2024",
    "01/05/2024 retiré",
    "1 May 2024 10:00 withdrawn",
    "1. Mai 2024, 10:00 - widerrufen",
]
GIVEN_WITH_A_TIME = [
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.000+02:00",
    "2024-05-01 10:00:00",
    "01/05/2024 10:00",
    "5/1/2024 10:00:00 AM",
    "1.5.2024 10.00",
    "2024-05-01 10:00 CEST",
    "1. Mai 2024 10:00 Uhr",
    "1 May 2024, 10:00",
]


def test_a_date_with_a_withdrawal_after_it_is_no_consent_in_every_command(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A GDPR list dates each journalist's consent, and a colleague notes a withdrawal after the
    date in the same cell: "2024-05-01 withdrawn", "01.05.2024 widerrufen", "3/4/2024 revoked", a
    period "01.05.2024 - 31.12.2024" long over. Anything after a date in figures (or after a long
    date's time) was read as the day consent was given: lists check called them recipients, the
    send mailed them, `lists prune` and `lists clean` kept them, `suppressions import` left them
    out. Only a date, with a time of day at most, is consent now; each of these is named as no
    consent in every command, and a date with its time (ISO, Excel's, with its zone) still is."""
    cells = [*WITHDRAWN_AFTER_A_DATE, *GIVEN_WITH_A_TIME]
    beat = "Email,Name,Email consent\n" + "".join(f'j{at}@paper.example,J {at},"{cell}"\n' for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    refused = [f"j{at}@paper.example" for at in range(len(WITHDRAWN_AFTER_A_DATE))]
    given = [f"j{at}@paper.example" for at in range(len(WITHDRAWN_AFTER_A_DATE), len(cells))]
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    for at, cell in enumerate(WITHDRAWN_AFTER_A_DATE):
        assert f'row {at + 2}: j{at}@paper.example: gave no consent to email ("Email consent": {cell})' in checked.output, checked.output
    n = len(WITHDRAWN_AFTER_A_DATE)
    assert f"rejected:    {n} ({n} without consent)" in checked.output, checked.output
    cleaned = mailer("lists", "clean", "lists/beat.csv", "-o", "clean.csv")
    assert cleaned.exit_code == 0, cleaned.output
    kept = (tmp_path / "clean.csv").read_text(encoding="utf-8-sig")
    assert not [email for email in refused if email in kept] and all(email in kept for email in given), kept
    pruned = mailer("lists", "prune", "lists/beat.csv", "-o", "pruned.csv")
    assert pruned.exit_code == 0, pruned.output
    kept = (tmp_path / "pruned.csv").read_text(encoding="utf-8-sig")
    assert not [email for email in refused if email in kept] and all(email in kept for email in given), kept
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--no-test-ok")
    assert planned.exit_code == 0, planned.output
    assert f"{n} without consent" in planned.output, planned.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(given), sent.output
    imported = mailer("suppressions", "import", "lists/beat.csv", "--reason", "the GDPR list")
    assert imported.exit_code == 0, imported.output
    listed = mailer("suppressions", "list").output
    assert all(email in listed for email in refused) and not [email for email in given if email in listed], listed


# -- 2. A word before a long date was taken for its weekday: "Disiscritto 1 maggio 2024" was consent --

WORD_BEFORE_A_DATE = [
    "Disiscritto 1 maggio 2024",
    "Disdetto 1 maggio 2024",
    "Sospeso 1 maggio 2024",
    "Vencido 1 de mayo de 2024",
    "Terminated 1 May 2024",
    "Terminado, 1 de mayo de 2024",
    "Quit May 1, 2024",
    "Dismissed, May 1, 2024",
    "Saiu 1 de maio de 2024",
    "Mitgeteilt: nein, 1. Mai 2024",
]
WEEKDAY_BEFORE_A_DATE = [
    "Wed, 1 May 2024",
    "Thursday, May 2, 2024",
    "Fr., 3. Mai 2024",
    "Sonntag, 5. Mai 2024",
    "jeudi 2 mai 2024",
    "giovedì 2 maggio 2024",
    "sábado, 4 de mayo de 2024",
    "terça-feira, 30 de abril de 2024",
    "Do, 2. Mai 2024",
]


def test_a_word_before_a_long_date_is_no_weekday(tmp_path: Path) -> None:
    """Excel's long date may open with the weekday ("Mittwoch, 1. Mai 2024"), so any word starting
    like a weekday's abbreviation (mo, di, mi, do, fr, sa, so, ter, qui, ven, ...) was taken for
    one: "Disiscritto 1 maggio 2024" (Italian: unsubscribed), "Disdetto" (cancelled), "Sospeso"
    (suspended), "Vencido" (expired), "Terminated" read as the day consent was given, and those
    journalists were mailed. Only a weekday's name or its abbreviation, in the six languages read,
    opens a date of consent now."""
    cells = [*WORD_BEFORE_A_DATE, *WEEKDAY_BEFORE_A_DATE]
    (tmp_path / "gdpr.csv").write_text(
        "Email;Consent\n" + "".join(f"j{at}@paper.example;{cell}\n" for at, cell in enumerate(cells)), encoding="utf-8"
    )
    checked = mailer("lists", "check", "gdpr.csv")
    assert checked.exit_code == 0, checked.output
    for at, cell in enumerate(WORD_BEFORE_A_DATE):
        assert f'row {at + 2}: j{at}@paper.example: gave no consent to email ("Consent": {cell})' in checked.output, checked.output
    assert f"recipients:  {len(WEEKDAY_BEFORE_A_DATE)}\n" in checked.output, checked.output


# -- 3. A database's "no date" ("0000-00-00", "01/01/0001", "00.01.1900", "1970-01-01") was consent --

NO_DATE = [
    "0000-00-00",
    "0000-00-00 00:00:00",
    "00.00.0000",
    "1/1/0001 12:00:00 AM",
    "01/01/0001 00:00:00",
    "00.01.1900",
    "1/0/1900",
    "1900-01-00",
    "1970-01-01",
    "01.01.1970 00:00",
    "31.12.9999",
    "9999-12-31",
    "99/99/9999",
    "2024-13-45",
    "0 January 1900",
]
REAL_DATES = ["2024-05-01", "01/05/24", "5/1/2024", "31.12.2019", "1999-12-31", "1-May-24", "1 May 2024", "May 1, 2024"]


def test_a_database_s_empty_date_is_no_consent(tmp_path: Path) -> None:
    """A CRM or a database writes the date it has not got as a placeholder: MySQL "0000-00-00",
    .NET and Dynamics "1/1/0001 12:00:00 AM", Excel's day zero "00.01.1900" (an empty cell formatted
    as a date), the Unix epoch "1970-01-01", SAP's "31.12.9999". In a consent column each read as
    the day consent was given, and those journalists, whom nobody asked, were mailed. A date of
    consent is a day of the calendar, from 1990 on (before email lists, a placeholder); a
    placeholder or an impossible date is no consent."""
    cells = [*NO_DATE, *REAL_DATES]
    (tmp_path / "gdpr.csv").write_text(
        "Email;Email consent\n" + "".join(f"j{at}@paper.example;{cell}\n" for at, cell in enumerate(cells)), encoding="utf-8"
    )
    checked = mailer("lists", "check", "gdpr.csv", "--json")
    assert checked.exit_code == 0, checked.output
    rejected = {row["email"]: row["detail"] for row in json.loads(checked.output)["rejected"]}
    assert rejected == {f"j{at}@paper.example": f'gave no consent to email ("Email consent": {cell})' for at, cell in enumerate(NO_DATE)}, (
        rejected
    )


# -- 4. A consent column headed "GDPR consent", "Consent status", "Marketing opt-in" was the list's own --

CONSENT_HEADINGS = [
    "GDPR consent",
    "Consent given",
    "Consent status",
    "Email consent status",
    "Newsletter consent",
    "Consent to contact",
    "Marketing opt-in",
    "Email marketing opt-in",
    "Opt-in status",
    "Double opt-in",
    "Accepts Email Marketing",
    "Accepts Marketing",
    "DSGVO Einwilligung",
    "Einwilligung DSGVO",
    "Einwilligung erteilt",
    "Werbeeinwilligung",
    "Einverständnis",
    "Consentement RGPD",
    "Consentement marketing",
    "Consentimiento RGPD",
    "Consenso privacy",
    "Consenso marketing",
    "Consentimento LGPD",
]


@pytest.mark.parametrize("heading", CONSENT_HEADINGS)
def test_a_consent_column_under_another_heading_keeps_its_refusals_out(tmp_path: Path, heading: str) -> None:
    """A list kept for the GDPR heads its consent column as its CRM or its colleague did: "GDPR
    consent", "Consent status", "Marketing opt-in", Shopify's "Accepts Email Marketing", "DSGVO
    Einwilligung", "Consentement RGPD", "Consenso privacy". Only a handful of exact headings were
    read as consent: these were columns of the list's own, and the journalists they said no (or
    "withdrawn") for were mailed. A consent or opt-in word with a law's name, "email", "marketing",
    "newsletter", "status" or "given" around it is read as consent too (a "Consent date" stays
    the list's own, as does "Consent withdrawn", an opt-out)."""
    (tmp_path / "gdpr.csv").write_text(
        f"Email,Name,{heading}\nana@daily.example,Ana,yes\nben@gazette.example,Ben,no\ncleo@radio.example,Cleo,withdrawn\n",
        encoding="utf-8",
    )
    checked = mailer("lists", "check", "gdpr.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 3: ben@gazette.example: gave no consent to email ("{heading}": no)' in checked.output, checked.output
    assert f'row 4: cleo@radio.example: gave no consent to email ("{heading}": withdrawn)' in checked.output, checked.output
    assert f'note:        "{heading}" is read as consent to email' in checked.output, checked.output
    assert "recipients:  1\n" in checked.output, checked.output


# -- 5. An opt-out column headed "Marketing opt-out", "Email opt-out date", "Abmeldung" was the list's own --

OPT_OUT_HEADINGS = [
    "Marketing opt-out",
    "GDPR opt-out",
    "Newsletter opt-out",
    "Email opt-out date",
    "Email unsubscribed date",
    "Unsubscribed date",
    "Do Not Email Flag",
    "Consent revoked date",
    "Blacklisted",
    "Email Blacklisted",
    "Newsletter abgemeldet",
    "Abmeldung",
    "Abmeldung Newsletter",
    "Widerruf",
    "Widerruf der Einwilligung",
    "Werbewiderspruch",
    "Désinscription",
    "Date de désinscription",
    "Desuscrito el",
]


@pytest.mark.parametrize("heading", OPT_OUT_HEADINGS)
def test_an_opt_out_column_under_another_heading_keeps_its_journalists_out(tmp_path: Path, heading: str) -> None:
    """A list marks who unsubscribed, or took consent back, in a column headed as its CRM or its
    colleague did: "Marketing opt-out", "Email opt-out date", "Do Not Email Flag",
    "Email Blacklisted", "Newsletter abgemeldet", "Widerruf der Einwilligung", "Werbewiderspruch"
    (the GDPR's objection to advertising), "Date de désinscription". Only exact headings were read
    as opting out: these were columns of the list's own, and the journalists they marked were
    mailed. An opt-out word with "email", "marketing", "newsletter", a law's name, "date" or
    "flag" around it is read as an opt-out too."""
    (tmp_path / "list.csv").write_text(
        f"Email,Name,{heading}\nana@daily.example,Ana,\nben@gazette.example,Ben,2024-05-01\ncleo@radio.example,Cleo,yes\n",
        encoding="utf-8",
    )
    checked = mailer("lists", "check", "list.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 3: ben@gazette.example: opted out of email ("{heading}": 2024-05-01)' in checked.output, checked.output
    assert f'row 4: cleo@radio.example: opted out of email ("{heading}": yes)' in checked.output, checked.output
    assert "recipients:  1\n" in checked.output, checked.output


@pytest.mark.parametrize("heading", ["Unsubscribe link", "Unsubscribe URL", "Consent date", "Unsubscribe"])
def test_a_column_that_only_shares_an_opt_out_word_is_the_lists_own(tmp_path: Path, heading: str) -> None:
    """A link or a date of consent every journalist has is no opt-out: all are mailed."""
    (tmp_path / "list.csv").write_text(
        f"Email,{heading}\nana@daily.example,https://x.example/u?a\nben@gazette.example,x\n", encoding="utf-8"
    )
    checked = mailer("lists", "check", "list.csv")
    assert "recipients:  2\n" in checked.output, checked.output


# -- 6. A column naming the refusal ("Do not send", "No consent", "Keine Einwilligung") was the list's own --

REFUSAL_HEADINGS = [
    "Do not send",
    "Don't send",
    "No email",
    "No emails",
    "No mailing",
    "DNC",
    "No consent",
    "Consent refused",
    "Consent declined",
    "Keine Einwilligung",
    "Einwilligung verweigert",
    "Sans consentement",
    "Consentement refusé",
    "Sin consentimiento",
    "Nessun consenso",
    "Sem consentimento",
    "Opt-out: Press Releases",
    "Unsubscribed from Press",
]


@pytest.mark.parametrize("heading", REFUSAL_HEADINGS)
def test_a_column_naming_the_refusal_keeps_its_journalists_out(tmp_path: Path, heading: str) -> None:
    """A colleague marks with an x the journalists who must not be mailed, in a column headed as
    she says it: "Do not send", "No email", "DNC", "No consent", "Consent refused", "Keine
    Einwilligung", "Sans consentement", or per subscription, "Opt-out: Press Releases",
    "Unsubscribed from Press". Each was a column of the list's own, and the journalists it marked
    were mailed. They are opt-out columns: any cell but an empty one or a no there keeps its row out."""
    (tmp_path / "list.csv").write_text(
        f"Email,Name,{heading}\nana@daily.example,Ana,\nben@gazette.example,Ben,x\ncleo@radio.example,Cleo,no\n", encoding="utf-8"
    )
    checked = mailer("lists", "check", "list.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 3: ben@gazette.example: opted out of email ("{heading}": x)' in checked.output, checked.output
    assert "recipients:  2\n" in checked.output, checked.output


# -- 7. A refusal on a row whose address is mistyped was lost: the journalist's other row was mailed ---


def test_a_refusal_on_a_row_with_a_mistyped_address_keeps_the_journalist_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A journalist is on the list twice: her row from the health desk says yes, and the row a
    colleague added when she withdrew her consent says no, its address typed with a full stop
    after it ("dan@post.example."), in full-width letters, or beside her second address in one
    cell. That row was rejected as an invalid address, its no with it, and the send mailed her at
    her other row. The no holds for the address the row meant: her other row is not mailed,
    and lists check says which row said so."""
    beat = (
        "Email,Name,Beat,Email consent\n"
        "dan@post.example,Dan,Health,yes\n"
        "dan@post.example.,Dan,Tech,no\n"
        "eve@wire.example,Eve,Health,yes\n"
        "eve@wire.example; eve@other.example,Eve,Tech,withdrawn\n"
        "fay@mag.example,Fay,Health,yes\n"
        "ｆａｙ@mag.example,Fay,Tech,no\n"
        "gus@x.example,Gus,Health,yes\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    (tmp_path / "lists" / "dnc.csv").write_text("Email,Do Not Email\nHal <hal@y.example,x\n", encoding="utf-8")
    (tmp_path / "lists" / "more.csv").write_text("Email,Name\nhal@y.example,Hal\n", encoding="utf-8")
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    for row, email, said in [(2, "dan@post.example", 3), (4, "eve@wire.example", 5), (6, "fay@mag.example", 7)]:
        assert f"row {row}: {email}: gave no consent to email (row {said} says so)" in checked.output, checked.output
    sent = mailer(
        "send",
        "releases/example.md",
        "--list",
        "lists/beat.csv",
        "--list",
        "lists/dnc.csv",
        "--list",
        "lists/more.csv",
        "--yes",
        "--no-test-ok",
    )
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["gus@x.example"], sent.output


# -- 8. --override-suppression of a journalist the list's own column keeps out said "not suppressed" ----


def test_override_of_an_address_the_list_itself_keeps_out_says_which_row_does(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A press officer sends with `--override-suppression ana@daily.example`, sure Ana wants the
    release. The send warned "that address is not suppressed" and then skipped her all the same:
    her row's "Email consent" says withdrawn. The override still does not overrule the list (her
    no is hers), and the warning now says so: which file and row keep her out, and what to change."""
    beat = "Email,Name,Email consent\nana@daily.example,Ana,withdrawn\ncleo@radio.example,Cleo,yes\n"
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND, "--override-suppression", "ana@daily.example")
    assert sent.exit_code == 0, sent.output
    words = " ".join(sent.output.split())
    # the list's path as the send read it (since the send reads its lists ahead, a whole path)
    assert re.search(
        r"--override-suppression ana@daily\.example: that address is not suppressed, but \S*lists/beat\.csv row 2 keeps it out: "
        r'gave no consent to email \("Email consent": withdrawn\)\. An override does not overrule a list: if the journalist '
        r"gave consent, change that cell\.",
        words,
    ), words
    assert "that address is not suppressed." not in words, words
    assert mailed(standin) == ["cleo@radio.example"], sent.output


# -- 9. A column giving why a journalist unsubscribed ("Unsubscribe reason") was the list's own -------

REASON_HEADINGS = [
    "Unsubscribe reason",
    "Opt-out reason",
    "Reason for unsubscribing",
    "Abmeldegrund",
    "Motif de désabonnement",
    "Motivo de baja",
]


@pytest.mark.parametrize("heading", REASON_HEADINGS)
def test_a_reason_for_unsubscribing_keeps_that_journalist_out(tmp_path: Path, heading: str) -> None:
    """A colleague keeps the list and, when a journalist asks to be left alone, writes why in an
    "Unsubscribe reason" (or "Opt-out reason", "Abmeldegrund", "Motif de désabonnement") column:
    "too many emails", "left the paper". The column was the list's own and those journalists
    were mailed. A reason there is an opt-out: only the rows with nothing (or a no) in it are mailed."""
    (tmp_path / "list.csv").write_text(
        f"Email,Name,{heading}\nana@daily.example,Ana,\nben@gazette.example,Ben,too many emails\n", encoding="utf-8"
    )
    checked = mailer("lists", "check", "list.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 3: ben@gazette.example: opted out of email ("{heading}": too many emails)' in checked.output, checked.output
    assert "recipients:  1\n" in checked.output, checked.output


def test_a_file_of_unsubscribes_with_some_reasons_blank_is_imported_whole(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The old tool's export of its unsubscribes gives a reason for some: `suppressions import`
    takes every address of it, not only those with a reason (a reason column is not a mark)."""
    office(tmp_path, standin, db_url)
    (tmp_path / "unsubscribes.csv").write_text(
        "Email,Unsubscribe reason\nana@daily.example,too many emails\nben@gazette.example,\n", encoding="utf-8"
    )
    imported = mailer("suppressions", "import", "unsubscribes.csv", "--reason", "the old tool's unsubscribes")
    assert imported.exit_code == 0, imported.output
    listed = mailer("suppressions", "list").output
    assert "ana@daily.example" in listed and "ben@gazette.example" in listed, listed


# -- 10. A letter O among a consent column's 1s and 0s was read as oui ---------------------------------


def test_a_letter_o_among_ones_and_zeros_is_no_consent(tmp_path: Path) -> None:
    """A consent column of 1 (consent) and 0 (none) typed by hand from paper forms holds an "O",
    the letter for the zero. It was read as the French "O" (oui) and that journalist mailed. Among
    1s and 0s (or I and O, in and out) the letter O is no consent; in a column of O and N (oui,
    non), as a French form has them, it is still yes."""
    (tmp_path / "digits.csv").write_text(
        "Email,Opt-in\nana@daily.example,1\nben@gazette.example,O\ncleo@radio.example,0\n", encoding="utf-8"
    )
    (tmp_path / "in-out.csv").write_text("Email,Opt-in\ndan@post.example,I\neve@wire.example,O\n", encoding="utf-8")
    (tmp_path / "oui-non.csv").write_text("Email;Consentement\nfay@mag.example;O\ngus@x.example;N\n", encoding="utf-8")
    checked = mailer("lists", "check", "digits.csv")
    assert 'row 3: ben@gazette.example: gave no consent to email ("Opt-in": O)' in checked.output, checked.output
    assert "recipients:  1\n" in checked.output, checked.output
    checked = mailer("lists", "check", "in-out.csv")
    assert 'row 3: eve@wire.example: gave no consent to email ("Opt-in": O)' in checked.output, checked.output
    checked = mailer("lists", "check", "oui-non.csv")
    assert "recipients:  1\n" in checked.output and "fay@mag.example" not in checked.output, checked.output


# -- 11. A follow-up mailed a journalist who had withdrawn consent in the list since the original ------


def test_a_follow_up_leaves_out_who_withdrew_consent_in_the_list_since(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ana and Ben gave consent and had the release. Ana then withdrew hers, and the press officer
    wrote "withdrawn" in her row of lists/beat.csv, the list the release went out from. The
    follow-up to those who did not open went to Ana all the same (it reads the journalists from
    the log, not the list); with `--list lists/beat.csv` she was left out as "not on the lists".
    A follow-up reads the lists its original went out from (and those given with --list): a
    journalist they keep out now is left out, counted as "without consent" (or "opted out"); when
    those lists are not found, the plan says so."""
    beat = "Email,Name,Email consent\nana@daily.example,Ana,yes\nben@gazette.example,Ben,yes\n"
    office(tmp_path, standin, db_url, beat=beat)
    original = campaign_of(mailer(*SEND))
    release_named(tmp_path, "reminder")
    withdrawn = beat.replace("Ana,yes", "Ana,withdrawn")
    (tmp_path / "lists" / "beat.csv").write_text(withdrawn, encoding="utf-8")
    follow = ("send", "releases/reminder.md", "--follow-up", original, "--who", "not-opened", "--no-test-ok")
    for extra in ((), ("--list", "lists/beat.csv")):
        planned = mailer(*follow, "--dry-run", *extra)
        assert planned.exit_code == 0, planned.output
        assert f"Follow-up:  1 of 2 journalists of {original} (not opened): 1 without consent\n" in planned.output, planned.output
    (tmp_path / "lists" / "moved.csv").write_text(withdrawn + "cleo@radio.example,Cleo,yes\n", encoding="utf-8")
    (tmp_path / "lists" / "beat.csv").unlink()
    planned = mailer(*follow, "--dry-run")
    assert planned.exit_code == 0, planned.output
    words = " ".join(planned.output.split())
    assert (
        f"{original} went out from lists/beat.csv, which is not here: a journalist who has since opted out or withdrawn consent "
        "in it is not known to this follow-up. Name the list as it is now with --list (or run the follow-up in the folder the "
        "original was sent from)." in words
    ), words
    sent = mailer(*follow, "--yes", "--list", "lists/moved.csv")
    assert sent.exit_code == 0, sent.output
    assert mailed(standin)[2:] == ["ben@gazette.example"], sent.output


# -- 12. A consent column giving when consent ends ("Consent (valid until)") read a past date as consent --

UNTIL_HEADINGS = ["Consent (valid until)", "Consent until", "Consent expires", "Einwilligung gültig bis", "Einwilligung (bis)"]
UNTIL_HEADINGS += ["Consentement jusqu'au", "Consentimiento hasta", "Consenso fino al", "Consent expiry date"]


@pytest.mark.parametrize("heading", UNTIL_HEADINGS)
def test_a_consent_column_giving_its_end_mails_only_consent_still_running(tmp_path: Path, heading: str) -> None:
    """A GDPR list records how long each journalist's consent runs: "Consent (valid until)",
    "Einwilligung gültig bis", "Consent expires". Under "Consent (valid until)" the note in
    brackets was left aside, and every date read as the day consent was given: journalists whose
    consent ran out in 2023 were mailed; under "Consent until" the column was the list's own, and
    everyone was. Such a column is read as the day consent ends: only a day still to come is
    consent; a day past, or one that could be read two ways (05/06/2099), is not, and is named."""
    cells = ["31.12.2023", "2099-12-31", "31/12/2099", "12/31/2099", "1 May 2099", "05/06/2099", "yes", "2023-06-30", ""]
    (tmp_path / "gdpr.csv").write_text(
        f'Email,"{heading}"\n' + "".join(f"j{at}@paper.example,{cell}\n" for at, cell in enumerate(cells)), encoding="utf-8"
    )
    checked = mailer("lists", "check", "gdpr.csv", "--json")
    assert checked.exit_code == 0, checked.output
    said = json.loads(checked.output)
    rejected = {row["email"] for row in said["rejected"]}
    assert rejected == {f"j{at}@paper.example" for at in (0, 5, 6, 7, 8)}, said["rejected"]
    assert "the day consent ends" in said["files"][0]["consent_columns"][0]["note"], said["files"][0]


# -- 13. A consent column naming what it is for ("Consent to receive press releases") was the list's own --

PURPOSE_HEADINGS = [
    "Opted in to press releases",
    "Consent to receive press releases",
    "Consent to receive emails",
    "Consent: Press releases",
    "Einwilligung Presseverteiler",
    "Consentement à recevoir nos communiqués",
    "Consentimiento para recibir comunicados",
    "Consenso a ricevere comunicati stampa",
    "Consentimento para receber comunicados",
]


@pytest.mark.parametrize("heading", PURPOSE_HEADINGS)
def test_a_consent_column_naming_its_purpose_keeps_its_refusals_out(tmp_path: Path, heading: str) -> None:
    """A GDPR list names what each journalist agreed to: "Consent to receive press releases",
    "Einwilligung Presseverteiler", "Consentement à recevoir nos communiqués". The heading was not
    one read as consent: the column was the list's own, and the journalists it said no for were
    mailed. A consent word with what it is for (receiving press releases, a press list) is consent."""
    (tmp_path / "gdpr.csv").write_text(f'Email,Name,"{heading}"\nana@daily.example,Ana,yes\nben@gazette.example,Ben,no\n', encoding="utf-8")
    checked = mailer("lists", "check", "gdpr.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 3: ben@gazette.example: gave no consent to email ("{heading}": no)' in checked.output, checked.output
    assert "recipients:  1\n" in checked.output, checked.output


# -- 14. An opt-out column naming what it is for ("Do not send press releases") was the list's own ------

OPT_OUT_PURPOSES = [
    "Do not send press releases",
    "Do not email - press releases",
    "Opt-out press releases",
    "Opt out of press releases",
    "No press releases",
    "Keine Pressemitteilungen",
    "Ne pas envoyer de communiqués",
    "No enviar comunicados",
]


@pytest.mark.parametrize("heading", OPT_OUT_PURPOSES)
def test_an_opt_out_column_naming_its_purpose_keeps_its_journalists_out(tmp_path: Path, heading: str) -> None:
    """A colleague marks with an x who wants no press releases, under "Do not send press releases",
    "No press releases", "Keine Pressemitteilungen", "Ne pas envoyer de communiqués": the column was
    the list's own, and they were mailed. An opt-out heading with what it is for is an opt-out."""
    (tmp_path / "list.csv").write_text(f'Email,Name,"{heading}"\nana@daily.example,Ana,\nben@gazette.example,Ben,x\n', encoding="utf-8")
    checked = mailer("lists", "check", "list.csv")
    assert checked.exit_code == 0, checked.output
    assert f'row 3: ben@gazette.example: opted out of email ("{heading}": x)' in checked.output, checked.output
    assert "recipients:  1\n" in checked.output, checked.output
