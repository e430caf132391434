"""Review 20c: a hostile review of the day's merges on main (opt-out columns in other languages,
consent columns read as opt-in ones, spreadsheet-safe cells, one-line cells, an embargo in "CET" or
"EST"), as a press office with real lists and as an attacker would meet them. Each test is a
finding, through the command line, and failed before its fix (session 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, mailed, mailer, office

# -- 1. A consent column's "withdrawn", "refused", "?" or "unknown" was mailed ----------------------

NOT_CONSENT = ["withdrawn", "refused", "revoked", "pending", "?", "unknown", "N/A", "widerrufen", "retiré", "no consent", "e", "a"]
CONSENT_GIVEN = ["Double opt-in", "yes", "Yes.", "TRUE", "1", "1.0", "x", "☑", "oui", "ja", "sí", "sim", "sì", "2024-05-01", "01/05/2024"]


def test_a_consent_column_mails_only_what_says_yes(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list kept for the GDPR records each journalist's consent in an "Email consent" column: a
    colleague writes "withdrawn" when a journalist takes it back, "refused", "pending" or "?" while
    nobody knows. Only "no" (or its translations) kept a journalist out: all of these were mailed,
    lists check rejected none of them. A consent or opt-in column now mails a row only when its
    cell says yes (in any of the languages read, a tick, 1, a date of consent); any
    other value is rejected, named, and not mailed."""
    cells = [*NOT_CONSENT, *CONSENT_GIVEN]
    beat = "Email,Name,Email consent\n" + "".join(f"j{at}@paper.example,J {at},{cell}\n" for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    for at, cell in enumerate(NOT_CONSENT[:10]):  # lists check shows the first 10
        assert f'row {at + 2}: j{at}@paper.example: gave no consent to email ("Email consent": {cell})' in checked.output, checked.output
    assert f"rejected:    {len(NOT_CONSENT)} ({len(NOT_CONSENT)} without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(f"j{at}@paper.example" for at in range(len(NOT_CONSENT), len(cells))), sent.output


# -- 2. An embargo "09:00 EST" in July lifted at 10:00 in New York; --at refuses that time ---------


@pytest.mark.parametrize(("zone", "region"), [("EST", "America/New_York"), ("mst", "America/Denver")])
def test_an_embargo_in_est_in_summer_is_refused_as_at_refuses_it(tmp_path: Path, standin: Any, db_url: str, zone: str, region: str) -> None:
    """A New York office writes its July embargo as it always has, "2099-07-02 09:00 EST": the
    release was read as embargoed until 14:00 UTC, 10:00 on New York's clocks (EST is UTC-5 all
    year), and the email said "9:00 AM EST"; `mailer send --at "2099-07-02 09:00 EST"` refuses
    that very time, saying New York's clocks show EDT that day. The embargo is refused the same
    way, with the zone to write; in December "EST" is taken as before."""
    office(tmp_path, standin, db_url)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("\nsubject:", f'\nembargo: "2099-07-02 09:00 {zone}"\nsubject:', 1), encoding="utf-8")
    shown = mailer("preview", "releases/example.md")
    assert shown.exit_code == 1, shown.output
    words = " ".join(shown.output.split())
    assert f"{zone.upper()} is UTC-{5 if zone == 'EST' else 7} all year, but on 2099-07-02" in words, words
    assert f'embargo: "2099-07-02 09:00 {region}"' in words, words
    at = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"2099-07-02 09:00 {zone}")
    assert at.exit_code != 0 and f"{zone.upper()} is UTC-" in at.output, at.output
    release.write_text(text.replace("\nsubject:", f'\nembargo: "2099-12-02 09:00 {zone}"\nsubject:', 1), encoding="utf-8")
    assert mailer("preview", "releases/example.md").exit_code == 0


# -- 3. suppressions import printed a cell's line break: a line "Warning: ..." of its own ----------


def test_suppressions_import_shows_a_cells_line_break_on_its_line(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An agency's do-not-contact export with a reason cell 'bounce<line break>Warning: nothing was
    imported, all is fine', and an opt-out column headed 'Do Not Email (<line break>Warning: ignore
    this column)': `mailer suppressions import` quoted both as they were, and printed a line
    'Warning: nothing was imported, all is fine" 1, ...' of its own (and 'Warning: ignore this
    column)" says who opted out ...'). Each warning stays one line, the line break shown as \\n, as
    `lists check` and `suppressions list` show it."""
    office(tmp_path, standin, db_url)
    (tmp_path / "bounces.csv").write_text(
        'email,reason\na@x.example,"bounce\nWarning: nothing was imported, all is fine"\n', encoding="utf-8"
    )
    (tmp_path / "dnc.csv").write_text(
        'Email,Name,"Do Not Email (\nWarning: ignore this column)"\nc@x.example,C,yes\nd@x.example,D,\n', encoding="utf-8"
    )
    for name in ("bounces.csv", "dnc.csv"):
        imported = mailer("suppressions", "import", name, "--reason", "agency list")
        assert imported.exit_code == 0, imported.output
        lines = imported.output.splitlines()
        assert not [line for line in lines if line.startswith(("Warning: nothing", "Warning: ignore"))], imported.output
    assert (
        '("bounce\\nWarning: nothing was imported, all is fine" 1)'
        in mailer("suppressions", "import", "bounces.csv", "--reason", "x").output
    )


# -- 4. An empty consent cell was mailed: silence is no consent -------------------------------------


def test_an_empty_consent_cell_is_not_mailed_and_lists_check_says_why(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list kept for the GDPR with an "Email consent" column: yes for the journalists who gave it,
    empty for those nobody asked. The empty ones were mailed, lists check calling them recipients
    without a word, where consent must be given, and silence is none (GDPR recital 32). An empty
    cell in a consent or opt-in column is not mailed, its row named ('no consent to email ("Email
    consent" is empty)'), lists check says how the column is read; the row of the same address
    elsewhere that says yes is not held back, and `suppressions import` of the file suppresses
    only the journalist who said no, not the one nobody asked."""
    beat = (
        "Email,Name,Email consent\nana@daily.example,Ana,yes\nben@gazette.example,Ben,\ncleo@radio.example,Cleo,no\n"
        "dan@post.example,Dan,\ndan@post.example,Dan,2025-03-01\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert 'row 3: ben@gazette.example: no consent to email ("Email consent" is empty)' in checked.output, checked.output
    words = " ".join(checked.output.split())
    assert 'note: "Email consent" is read as consent to email: only a row whose cell says yes' in words, words
    assert "an empty cell is no consent, and that row is not mailed." in words, words
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "dan@post.example"], sent.output
    imported = mailer("suppressions", "import", "lists/beat.csv", "--reason", "the GDPR list")
    assert imported.exit_code == 0, imported.output
    assert "1 row saying no (or anything but yes or a date) was imported, and 4 rows saying yes or nothing were not" in " ".join(
        imported.output.split()
    )
    listed = mailer("suppressions", "list").output
    assert "cleo@radio.example" in listed and "ben@gazette.example" not in listed and "dan@" not in listed, listed


# -- 5. "Abgemeldet am" (unsubscribed on) with a date was a column of the list's own ------------------

DATED_OPT_OUT = ["Abgemeldet am", "Unsubscribed on", "Unsubscribe date", "Opt-out date", "Désabonné le", "Date de désabonnement"]
DATED_OPT_OUT += ["Consent withdrawn", "Einwilligung widerrufen", "Fecha de baja", "Data di disiscrizione", "Data de descadastro"]


@pytest.mark.parametrize("header", DATED_OPT_OUT)
def test_a_column_dating_an_unsubscribe_keeps_the_journalist_out(tmp_path: Path, standin: Any, db_url: str, header: str) -> None:
    """A German office's list records when a journalist unsubscribed, "Abgemeldet am: 2025-03-01"
    (an English one "Unsubscribed on", a GDPR one "Consent withdrawn"): the column was the list's
    own, and she was mailed. Such a column is an opt-out column: a date (or any yes) there keeps
    her out and is named; an empty cell does not. A column of links or dates that only shares a
    word ("Unsubscribe link", "Consent date") still keeps nobody out."""
    beat = (
        f"Email,Name,{header},Unsubscribe link,Consent date\n"
        "ana@daily.example,Ana,2025-03-01,https://x.example/u?a,2024-01-02\n"
        "ben@gazette.example,Ben,,https://x.example/u?b,2024-01-03\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert f'row 2: ana@daily.example: opted out of email ("{header}": 2025-03-01)' in checked.output, checked.output
    assert "rejected:    1 (1 opted out)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ben@gazette.example"], sent.output


# -- 6. A cleaned list's opt-out column lost its meaning: "Do Not Email (Y/N)" became do_not_email_y_n


def test_a_cleaned_lists_opt_out_and_opt_in_columns_still_keep_journalists_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The README's way to a list without rejected rows is `mailer lists clean`, and the office then
    keeps the cleaned file. It headed "Do Not Email (Y/N)" do_not_email_y_n, "Email Opt-in
    (yes/no)" email_opt_in_yes_no and HubSpot's "Opted out of email: Press Releases"
    opted_out_of_email_press_releases: none of them an opt-out or opt-in column any more, so a
    colleague's later "Y", "no" or "true" there mailed the journalist. The cleaned file keeps such
    a column's heading as the list had it (a template still names it do_not_email_y_n)."""
    beat = (
        "Email,Name,Do Not Email (Y/N),Email Opt-in (yes/no),Opted out of email: Press Releases\n"
        "ana@daily.example,Ana,N,yes,false\nben@gazette.example,Ben,N,yes,false\n"
        "cleo@radio.example,Cleo,N,yes,false\ndan@post.example,Dan,N,yes,false\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    cleaned = mailer("lists", "clean", "lists/beat.csv", "-o", "lists/clean.csv")
    assert cleaned.exit_code == 0, cleaned.output
    lines = (tmp_path / "lists" / "clean.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith(",Do Not Email (Y/N),Email Opt-in (yes/no),Opted out of email: Press Releases"), lines[0]
    # a colleague marks three journalists afterwards
    lines[2] = lines[2].replace(",N,yes,false", ",Y,yes,false")
    lines[3] = lines[3].replace(",N,yes,false", ",N,no,false")
    lines[4] = lines[4].replace(",N,yes,false", ",N,yes,true")
    (tmp_path / "lists" / "clean.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = mailer("lists", "check", "lists/clean.csv")
    assert "rejected:    3 (2 opted out, 1 without consent)" in checked.output, checked.output
    assert "do_not_email_y_n (Do Not Email (Y/N))" in checked.output, checked.output
    sent = mailer("send", "releases/example.md", "--list", "lists/clean.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"], sent.output


# -- 7. A consent column of dates written in words turned every journalist away --------------------


def test_a_consent_column_of_long_dates_is_consent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A GDPR list records the day each journalist consented, in the spreadsheet's long date format:
    "1 May 2024", "May 1, 2024", "01-May-24", "1er mai 2024", "Wednesday, May 1, 2024". Since a
    consent column mails only a yes or a date (review 20c #1), each was rejected as no consent,
    the whole list with it. They are dates of consent, and mailed; "withdrawn May 1, 2024" is not."""
    given = ["1 May 2024", "May 1, 2024", "01-May-24", "1er mai 2024", "Wednesday, May 1, 2024", "1. März 2024", "3 de mayo de 2024"]
    cells = [*given, "withdrawn May 1, 2024"]
    beat = "Email,Name,Consent\n" + "".join(f'j{at}@paper.example,J {at},"{cell}"\n' for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "rejected:    1 (1 without consent)" in checked.output, checked.output
    assert (
        f'row {len(cells) + 1}: j{len(given)}@paper.example: gave no consent to email ("Consent": withdrawn May 1, 2024)' in checked.output
    )
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == [f"j{at}@paper.example" for at in range(len(given))], sent.output


# -- 8. Dynamics 365's "Do not allow Bulk Emails": Do Not Allow was mailed ----------------------------


@pytest.mark.parametrize("header", ["Do not allow Bulk Emails", "Do not allow Emails"])
def test_a_dynamics_export_whose_do_not_allow_column_says_so_is_not_mailed(tmp_path: Path, standin: Any, db_url: str, header: str) -> None:
    """Microsoft Dynamics 365 exports a contact's email preference as "Do not allow Bulk Emails" (and
    "Do not allow Emails"), each cell "Allow" or "Do Not Allow": the column was the list's own, and
    the journalist marked "Do Not Allow" was mailed. It is an opt-out column, "Allow" no opt-out."""
    beat = f"Email,Full Name,{header}\nana@daily.example,Ana Lima,Allow\nben@gazette.example,Ben Ode,Do Not Allow\n"
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert f'row 3: ben@gazette.example: opted out of email ("{header}": Do Not Allow)' in checked.output, checked.output
    assert "rejected:    1 (1 opted out)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"], sent.output


# -- 9. An embargo at a time the clocks skip or show twice was taken; --at refuses it --------------


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("2099-03-29 02:30 CET", "does not exist in CET: the clocks jump forward past it that day"),
        ("2099-10-25 02:30 Europe/Paris", "happens twice in Europe/Paris: the clocks go back that night"),
    ],
)
def test_an_embargo_the_clocks_skip_or_show_twice_is_refused_as_at_refuses_it(
    tmp_path: Path, standin: Any, db_url: str, when: str, said: str
) -> None:
    """An embargo of "02:30" on the night the clocks change: on the spring night 02:30 never shows on
    a Paris clock, and on the autumn night it shows twice, an hour apart. The release took either
    silently (the autumn one as the first 02:30, an hour before the second), where `mailer send
    --at` refuses both with what to write. The embargo is refused the same way."""
    office(tmp_path, standin, db_url)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("\nsubject:", f'\nembargo: "{when}"\nsubject:', 1), encoding="utf-8")
    shown = mailer("preview", "releases/example.md")
    assert shown.exit_code == 1, shown.output
    assert said in " ".join(shown.output.split()), shown.output
    at = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", when)
    assert at.exit_code != 0 and said in " ".join(at.output.split()), at.output


# -- 10. SendGrid's refusal with a line break printed a warning of its own ---------------------------


def test_a_refusal_with_a_line_break_stays_on_its_line(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid (or a gateway in front of it) refused a request with a message holding a line break,
    "bad name<line break>Warning: all journalists were mailed fine": mailer send printed a line
    "Warning: all journalists were mailed fine (ana@daily.example)" of its own, as did mailer status
    under the failed recipients, though nobody was mailed. The refusal is one line wherever it is
    shown (the log keeps it so)."""
    office(tmp_path, standin, db_url)
    message = "bad name\nWarning: all journalists were mailed fine"
    standin.answer(400, times=100, body={"errors": [{"field": "personalizations.0.to.0.name", "message": message}]})
    sent = mailer(*SEND)
    assert sent.exit_code == 3, sent.output
    status = mailer("status", "latest")
    for result in (sent, status):
        assert not [line for line in result.output.splitlines() if line.startswith("Warning: all")], result.output
        assert "bad name Warning: all journalists were mailed fine" in result.output, result.output
