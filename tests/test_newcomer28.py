"""Newcomer 28: the press officer of a small public-affairs office (a German city's Pressestelle,
Europe/Berlin, a semicolon list from German Excel with French columns too), a colleague who knows
a little Python. Each test is a finding, through the command line, and failed before its fix
(session 28)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from conftest import ROOT, example
from office_cli import mailer, said

# -- 1. a time, a file name or a second list without quotes: "Got unexpected extra arguments" ------


def test_words_left_over_on_the_command_line_say_what_to_quote_or_repeat(project: Path) -> None:
    """`--at 2026-12-03 09:30 Europe/Berlin` typed without quotes (as the officer reads a time aloud)
    said Click's "Got unexpected extra arguments (09:30 Europe/Berlin)", and so did a press list given
    without --list, or two lists after one --list: programmer's words that say neither what is wrong
    nor what to type. Each now gets the line to type."""
    unquoted = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--at", "2026-12-03", "09:30", "Europe/Berlin")
    assert unquoted.exit_code == 2, unquoted.output
    assert "unexpected extra" not in unquoted.output, unquoted.output
    assert '--at "2026-12-03 09:30 Europe/Berlin"' in said(unquoted), unquoted.output
    # the same, the option's value written with = and the time before the release
    before = mailer("send", "--at=2026-12-03", "09:30", "Europe/Berlin", "releases/example.md", "--list", "lists/press.csv")
    assert before.exit_code == 2 and '--at "2026-12-03 09:30 Europe/Berlin"' in said(before), before.output
    # a press list given as a second argument
    no_list = mailer("send", "releases/example.md", "lists/press.csv", "--dry-run")
    assert no_list.exit_code == 2, no_list.output
    assert "--list lists/press.csv" in said(no_list) and "unexpected extra" not in no_list.output, no_list.output
    # two lists after one --list
    two = mailer("send", "releases/example.md", "--list", "lists/press.csv", "lists/staff.csv", "--dry-run")
    assert two.exit_code == 2, two.output
    assert "--list lists/press.csv --list lists/staff.csv" in said(two), two.output
    # a release file whose name has a space
    spaced = mailer("preview", "releases/Radweg", "Flussufer.md")
    assert spaced.exit_code == 2, spaced.output
    assert '"releases/Radweg Flussufer.md"' in said(spaced) and "unexpected extra" not in spaced.output, spaced.output
    # anything else still names the words left over, and what the command takes
    other = mailer("campaigns", "everything")
    assert other.exit_code == 2 and "everything" in said(other) and "unexpected extra" not in other.output, other.output


# -- 2. config.example.toml's made-up postal address went out in every journalist's footer ---------


def test_the_example_postal_address_left_in_mailer_toml_is_named_before_journalists_get_it(tmp_path: Path) -> None:
    """The officer copies config.example.toml to mailer.toml, sets the From address and the log, and
    leaves postal_address = "Example Association, 100 Example Street, Springfield, ...". The preview
    said "No warnings.", and a live send put that made-up address in every journalist's footer, where
    anti-spam laws want the office's own. Now the preview, a dry run and a test send warn, and a live
    send to SendGrid is refused before any request. (Run without an API key: nothing can leave.)"""
    for name in ("releases", "lists", "templates"):
        shutil.copytree(example(name), tmp_path / name)
    toml = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    toml = toml.replace('from_email = "press@example.org"', 'from_email = "presse@riverbend-stadt.de"')
    toml = toml.replace('# url = "sqlite:///out/mailer.db"', 'url = "sqlite:///out/mailer.db"')
    (tmp_path / "mailer.toml").write_text(toml, encoding="utf-8")
    preview = mailer("preview", "releases/example.md")
    assert preview.exit_code == 0, preview.output
    assert "config.example.toml's made-up postal address" in said(preview) and "No warnings." not in preview.output, preview.output
    live = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--yes", "--no-test-ok", key=None)
    assert live.exit_code == 1, live.output
    assert "config.example.toml's made-up postal address" in said(live) and "Nothing was logged or sent" in said(live), live.output
    assert "SENDGRID_API_KEY" not in said(live)  # refused for the address, before the key is looked for
    # the office's own address: no word of it
    (tmp_path / "mailer.toml").write_text(
        toml.replace(
            "Example Association, 100 Example Street, Springfield, ST 00000, USA", "Stadt Riverbend, Rathausplatz 1, 12345 Riverbend"
        ),
        encoding="utf-8",
    )
    own = mailer("preview", "releases/example.md")
    assert own.exit_code == 0 and "made-up postal address" not in said(own), own.output


# -- 3. {{ contact.vorname }} beside a list headed "Vorname": "No list has a column for vorname" ------


def test_a_field_named_as_the_lists_own_heading_is_told_the_name_mailer_reads_it_as(project: Path) -> None:
    """The German list is headed "E-Mail-Adresse;Vorname;Nachname", so the officer wrote
    {{ contact.vorname | default("Kollegin, Kollege") }}. The preview with --list said "No list has a
    column for "vorname"" (the list plainly has one), and without a default the send was refused the
    same way, with no hint that mailer reads Vorname as first_name."""
    (project / "lists" / "presse.csv").write_text(
        "\ufeffE-Mail-Adresse;Vorname;Nachname\nanna@zeitung.example;Anna;Müller\n", encoding="utf-8"
    )
    release = project / "releases" / "radweg.md"
    release.write_text(
        '---\nsubject: "Radweg"\n---\nGuten Tag {{ contact.vorname | default("Kollegin, Kollege") }},\n\nText.\n', encoding="utf-8"
    )
    shown = mailer("preview", "releases/radweg.md", "--list", "lists/presse.csv")
    assert shown.exit_code == 0, shown.output
    assert 'did you mean "first_name"? mailer reads a list column headed vorname as first_name' in said(shown), shown.output
    release.write_text('---\nsubject: "Radweg"\n---\nGuten Tag {{ contact.vorname }},\n\nText.\n', encoding="utf-8")
    refused = mailer("send", "releases/radweg.md", "--list", "lists/presse.csv", "--dry-run")
    assert refused.exit_code == 1, refused.output
    assert 'did you mean "first_name"? mailer reads a list column headed vorname as first_name' in said(refused), refused.output


# -- 4. a German office's release without language: "EMBARGOED UNTIL", "Media contact", "No warnings." --


def test_an_office_in_germany_or_france_is_told_how_its_release_gets_its_own_words(project: Path) -> None:
    """The Pressestelle (mailer.toml: [reports] time_zone = "Europe/Berlin") wrote its release in
    German, without a `language:` line (the table of front-matter keys did not list one). The email
    read "EMBARGOED UNTIL December 3, 2026, 9:00 AM CET", "Media contact", "Unsubscribe", and the
    preview said "No warnings.". A UK office is told of en-GB; this one is told of language: de,
    and an office whose embargo is in Paris of language: fr. language: en keeps English, unsaid."""
    (project / "mailer.toml").write_text('[reports]\ntime_zone = "Europe/Berlin"\n', encoding="utf-8")
    release = project / "releases" / "radweg.md"
    front = '---\nsubject: "Neuer Radweg"\nembargo: "2026-12-03 09:00 Europe/Berlin"\n'
    release.write_text(front + "---\nDie Stadt eröffnet den Radweg.\n", encoding="utf-8")
    german = mailer("preview", "releases/radweg.md")
    assert german.exit_code == 0, german.output
    assert "language: de" in said(german) and "Media contact" in said(german), german.output
    release.write_text(front + "language: en\n---\nThe city opens the cycle path.\n", encoding="utf-8")
    english = mailer("preview", "releases/radweg.md")
    assert english.exit_code == 0 and "language: de" not in said(english), english.output
    (project / "mailer.toml").unlink()
    release.write_text(
        '---\nsubject: "Piste cyclable"\nembargo: "2026-12-03 09:00 Europe/Paris"\n---\nLa ville ouvre la piste.\n', encoding="utf-8"
    )
    french = mailer("preview", "releases/radweg.md")
    assert french.exit_code == 0 and "language: fr" in said(french), french.output


# -- 5. `--reason asked by phone` without quotes: "Not an email address: "by"; "phone"" ---------------


def test_a_reason_not_in_quotes_is_told_to_go_in_quotes(logged: Path) -> None:
    """Peter asked by phone to get no more releases: `mailer suppressions add peter@radio.example
    --reason asked by phone` said `Not an email address: "by" (...); "phone" (...)`, and `suppressions
    import FILE --reason the agency's list` that there is no file "list". Both now say to put the
    reason in quotes, with the line to type; nothing is changed either way."""
    added = mailer("suppressions", "add", "peter@radio.example", "--reason", "asked", "by", "phone")
    assert added.exit_code == 2, added.output
    assert '--reason "asked by phone"' in said(added) and "Not an email address" not in said(added), added.output
    assert "peter@radio.example" not in mailer("suppressions", "list").output
    (logged / "opt-outs.csv").write_text("Email\nold@paper.example\n", encoding="utf-8")
    imported = mailer("suppressions", "import", "opt-outs.csv", "--reason", "agency", "list")
    assert imported.exit_code == 2 and '--reason "agency list"' in said(imported), imported.output
    removed = mailer("suppressions", "remove", "peter@radio.example", "--reason", "asked", "again")
    assert removed.exit_code == 2 and '--reason "asked again"' in said(removed), removed.output
    # a reason in quotes goes through as before
    assert mailer("suppressions", "add", "peter@radio.example", "--reason", "asked by phone").exit_code == 0


# -- 6. the plan warned that a journalist it skips "may be misspelt" -----------------------------------


def test_the_plan_warns_of_misspelt_addresses_only_among_those_it_mails(logged: Path) -> None:
    """lisa.weber@gmail.con bounced on the first send and is suppressed. The next send's plan skipped
    her (3 suppressed) and still warned "1 address may be misspelt: lisa.weber@gmail.con (gmail.com?)
    ... a bounce suppresses the journalist": a warning about someone nobody mails, which reads as if
    she were about to be mailed. The warning now names only the journalists the send mails."""
    (logged / "lists" / "presse.csv").write_text(
        "Email;Vorname\nanna@zeitung.example;Anna\nlisa.weber@gmail.con;Lisa\nmax@hotmial.com;Max\n", encoding="utf-8"
    )
    assert mailer("suppressions", "add", "lisa.weber@gmail.con", "--reason", "bounced").exit_code == 0
    dry = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Skipped: 1 (1 suppressed)" in said(dry), dry.output
    assert "1 address may be misspelt: max@hotmial.com (hotmail.com?)" in said(dry), dry.output
    assert "gmail.con" not in said(dry), dry.output


# -- 7. --force-embargo sent the release early without a word in the plan ------------------------------


def test_a_send_forced_past_the_embargo_says_so_in_its_plan(live: Path, standin: Any) -> None:
    """The release is embargoed until tomorrow 09:00 Berlin. `mailer send ... --force-embargo --yes`
    (a line from the shell's history, an up-arrow too many) showed a plan with "Scheduled: now" and
    not a word of the embargo, then mailed every journalist a release marked "SPERRFRIST BIS ...".
    The plan now says, before it goes, that journalists get it before the embargo lifts."""
    release = live / "releases" / "example.md"
    embargo = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Europe/Berlin"))
    text = release.read_text(encoding="utf-8")
    release.write_text(
        text.replace("date: 2026-02-19\n", f'date: 2026-02-19\nembargo: "{embargo:%Y-%m-%d %H:%M} Europe/Berlin"\n'), encoding="utf-8"
    )
    forced = mailer("send", "releases/example.md", "--list", "lists/staff.csv", "--yes", "--no-test-ok", "--force-embargo")
    assert forced.exit_code == 0, forced.output
    assert "--force-embargo: journalists get it now, before the embargo lifts" in said(forced), forced.output
    scheduled = mailer(
        "send",
        "releases/example.md",
        "--list",
        "lists/press.csv",
        "--yes",
        "--no-test-ok",
        "--force-embargo",
        "--at",
        f"{datetime.now(UTC) + timedelta(hours=2):%Y-%m-%d %H:%M} UTC",
    )
    assert scheduled.exit_code == 0 and "--force-embargo: journalists get it at " in said(scheduled), scheduled.output


# -- 8. --to "Ole Berg <ole@...>" (copied from the mail program): the validator's words -----------------


def test_a_test_send_to_a_named_address_says_to_give_the_address_alone(project: Path) -> None:
    """The officer copied a colleague from the mail program: `mailer test releases/example.md --to
    "Ole Berg <ole@stadt.example>"`. It said "'Ole Berg <ole@stadt.example>' is not an email address:
    A display name and angle brackets around the email address are not permitted here." (the
    validator's words), where two such addresses get the line to type. Now one does too."""
    named = mailer("test", "releases/example.md", "--to", "Ole Berg <ole@stadt.example>", key=None)
    assert named.exit_code == 2, named.output
    assert "--to ole@stadt.example" in said(named) and "not permitted here" not in said(named), named.output


# -- 9. `mailer preview --open` without a browser: "xdg-open: no method available ..." first ----------


# (its test is test_review8cli_open_without_a_browser_says_so, which now asks for mailer's words only)


# -- 10. --at tomorrow, in a Berlin office: "for example --at "... America/New_York"" -------------------


def test_a_time_mailer_cannot_read_gets_an_example_on_the_offices_clock(logged: Path) -> None:
    """The Berlin office (mailer.toml: [reports] time_zone = "Europe/Berlin") typed --at tomorrow and
    was shown `for example --at "2026-12-03 09:00 America/New_York"`: a New York time to copy."""
    (logged / "mailer.toml").write_text(
        (logged / "mailer.toml").read_text(encoding="utf-8") + '\n[reports]\ntime_zone = "Europe/Berlin"\n', encoding="utf-8"
    )
    result = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", "--at", "tomorrow")
    assert result.exit_code == 1, result.output
    assert "Europe/Berlin" in said(result) and "America/New_York" not in said(result), result.output


# -- 11. `lists clean -o presse.xlsx` wrote CSV text under an Excel name ---------------------------------


def test_a_clean_list_named_xlsx_is_refused_with_the_csv_name_to_give(project: Path) -> None:
    """The officer wanted the cleaned list "as an Excel file": `mailer lists clean lists/press.csv -o
    presse-sauber.xlsx` said "Wrote 41 recipients to presse-sauber.xlsx." and wrote CSV text there,
    which Excel refuses to open ("the file format or file extension is not valid"); `lists prune` and
    --rejects likewise. `suppressions list -o x.xlsx` already said it writes CSV: these do too, and
    write nothing."""
    for args in (
        ("clean", "lists/press.csv", "-o", "presse-sauber.xlsx"),
        ("clean", "lists/press.csv", "-o", "presse-sauber.csv", "--rejects", "fehler.xlsx"),
        ("prune", "lists/press.csv", "-o", "presse-sauber.xlsx"),
    ):
        refused = mailer("lists", *args)
        assert refused.exit_code == 1, refused.output
        assert "writes the list as CSV" in said(refused) and ".csv" in said(refused), refused.output
        assert not list(project.glob("presse-sauber.*")) and not (project / "fehler.xlsx").exists()


# -- 12. carrying the team's log back into the old one counted the old one's own sends as new ------------


def test_carrying_back_the_log_this_one_was_carried_into_adds_none_of_its_own_sends(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office sent from its SQLite log, moved to the team's log (`mailer carry-over out/mailer.db`),
    then went back to its own file for a day and carried the team's log into it, to know what the team
    sent meanwhile. That said "1 live send, to 4 journalists (4 new here)": its own send, carried
    back into itself as if another log had made it. Its own sends come back as nothing new."""
    from office_cli import SEND, office, write_config

    own = f"sqlite:///{tmp_path / 'own.db'}"
    office(tmp_path, standin, own)
    assert mailer(*SEND).exit_code == 0
    write_config(tmp_path, standin, db_url)
    there = mailer("carry-over", str(tmp_path / "own.db"))
    assert there.exit_code == 0 and "(2 new here)" in said(there), there.output
    write_config(tmp_path, standin, own)
    back = mailer("carry-over", db_url if "://" in db_url and not db_url.startswith("sqlite") else db_url.removeprefix("sqlite:///"))
    assert back.exit_code == 0, back.output
    assert "new here" in said(back) and "(2 new here)" not in said(back), back.output
