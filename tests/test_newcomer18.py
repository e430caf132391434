"""Newcomer 18's first week, from the README's top: what the new communications assistant saw."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import main


def _run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _said(result: Result) -> str:
    return " ".join(result.stderr.split())


def test_a_filter_whose_journalists_are_all_suppressed_says_so(logged: Path) -> None:
    """--where chose the one journalist of Example Health Podcast, who had bounced: the send said
    '--where/--tag matched none of the 40 journalists they were tried on: --where outlet=... (the
    lists' outlet: ..., Example Health Podcast, ...)', and she looked for a typo in a value the error
    itself listed. It says the journalist it chose is suppressed, and how to see why."""
    os.chdir(logged)
    added = _run("suppressions", "add", "zoe.evans@example.net", "--reason", "bounced")
    assert added.exit_code == 0, added.output
    result = _run("send", "releases/example.md", "--list", "lists/press.csv", "--where", "outlet=Example Health Podcast", "--dry-run")
    assert result.exit_code == 1
    said = _said(result)
    assert "matched none" not in said
    assert (
        "Nobody to send to: the 1 journalist --where/--tag chose is suppressed (unsubscribed, bounced, erased with mailer "
        "forget or added by hand); the other 40 journalists of the lists do not match it." in said
    ), said
    assert "mailer suppressions list shows who and why" in said


@pytest.mark.parametrize(("city", "zone"), [("London", "Europe/London"), ("new york", "America/New_York"), ("Paris", "Europe/Paris")])
def test_at_with_a_city_names_its_zone(logged: Path, city: str, zone: str) -> None:
    """--at "2026-12-02 09:00 London" (tomorrow morning, in the office's city) was refused as 'not a
    time mailer understands', with a New York example: she had written the place, and nothing said
    that a zone name starts with its region. The error names the zone to write; nothing is logged."""
    os.chdir(logged)
    when = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d") + " 09:00"
    result = _run("send", "releases/example.md", "--list", "lists/press.csv", "--at", f"{when} {city}", "--dry-run")
    assert result.exit_code == 1
    said = _said(result)
    assert f'--at "{when} {city}": {city} is a city; mailer needs the name of its time zone, which starts with the region.' in said
    assert f'Write --at "{when} {zone}".' in said
    assert "not a time mailer understands" not in said


def test_send_help_shows_a_scheduled_send() -> None:
    """Asked to schedule the release for tomorrow morning, she read `mailer send --help`: five
    examples, none with --at, and the option's own line cut the example time over two lines."""
    result = _run("send", "--help")
    example = result.output.split("Example:", 1)[1].split("Options:", 1)[0]
    assert 'mailer send releases/example.md --list lists/press.csv --at "2026-03-01 09:00 Europe/London"' in example


def test_a_row_without_an_address_is_a_missing_address_in_every_count(logged: Path) -> None:
    """The Quick start's dry run said 'Skipped: 8 (2 duplicate, 5 invalid, 1 missing)': one missing
    what? A journalist gone missing? `lists check` says '1 missing address'; the plan, `mailer
    status` and `lists prune` now say so too."""
    os.chdir(logged)
    sent = _run("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")
    assert "Skipped:    8 (2 duplicate, 5 invalid, 1 missing address)\n" in sent.stdout
    status = _run("status", "latest")
    assert "Skipped:   2 duplicate, 5 invalid, 1 missing address\n" in status.stdout
    pruned = _run("lists", "prune", "lists/press.csv", "-o", "pruned.csv")
    assert "Also left out rows that are not recipients (2 duplicate, 5 invalid, 1 missing address)" in pruned.output


@pytest.mark.parametrize("command", ["status", "cancel", "resume", "show"])
def test_a_command_without_its_campaign_says_where_ids_come_from(command: str) -> None:
    """`mailer status` after the send, with nothing after it, said only "Missing argument
    'CAMPAIGN'.": which campaign, named how? It says where the ids are listed and that latest
    names the newest, as `mailer report` alone already did."""
    result = _run(command)
    assert result.exit_code == 2
    said = _said(result)
    assert "Error: Missing argument 'CAMPAIGN'. Name the campaign by its id, as `mailer campaigns` lists them; latest names" in said


def test_the_fixed_rejects_file_is_sent_beside_the_clean_list(logged: Path) -> None:
    """README, lists clean: "so a colleague can fix them in the spreadsheet", and then? The README
    now says to check and send the clean list and the fixed rejects file together; this holds it:
    the fixed rows become recipients, the others are rejected again, the extra columns are harmless."""
    os.chdir(logged)
    cleaned = _run("lists", "clean", "lists/press.csv", "-o", "out/press-clean.csv", "--rejects", "out/press-rejects.csv")
    assert cleaned.exit_code == 0, cleaned.output
    rejects = Path("out/press-rejects.csv").read_text(encoding="utf-8-sig")
    fixed = rejects.replace("peter.novak@@example.com", "peter.novak@example.com").replace("kim.lee@example..org", "kim.lee@example.org")
    Path("out/press-rejects.csv").write_text(fixed, encoding="utf-8-sig")
    checked = _run("lists", "check", "out/press-clean.csv", "out/press-rejects.csv")
    assert "Total: 49 rows read, 43 recipients, rejected: 6 (3 invalid, 1 missing address, 2 duplicate)." in checked.stdout, checked.stdout
    sent = _run("send", "releases/example.md", "--list", "out/press-clean.csv", "--list", "out/press-rejects.csv", "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 43\n" in sent.stdout


def test_suppressions_import_of_a_list_with_an_opt_out_column_suppresses_those_who_opted_out(logged: Path) -> None:
    """A colleague's HubSpot export, imported so that those who opted out are never mailed: the file
    was read as a press list is, so the opted-out row was turned away and the journalist happy to
    be mailed went on the suppression list instead, with 'Suppressed 1 address' and no other word.
    The rows the opt-out column marks go in; the others stay out, and the import says so."""
    os.chdir(logged)
    Path("hubspot.csv").write_text(
        "Email,First Name,Unsubscribed from all email\nwant.out@paper.example,Ann,true\nhappy@paper.example,Bob,false\n", encoding="utf-8"
    )
    result = _run("suppressions", "import", "hubspot.csv", "--reason", "opted out in HubSpot")
    assert result.exit_code == 0, result.output
    assert "Suppressed 1 address from hubspot.csv." in result.stdout
    said = _said(result)
    assert (
        'hubspot.csv: its column "Unsubscribed from all email" says who opted out: 1 row marked so was imported, and 1 row '
        "not marked (they did not opt out) was not." in said
    )
    listed = _run("suppressions", "list").stdout
    assert "want.out@paper.example" in listed
    assert "happy@paper.example" not in listed


MAILCHIMP_UNSUBSCRIBED = (
    '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n'
    'gina@paper.example,Gina,Gone,1,"2024-03-01 10:01:00","2025-06-01 10:00:00","June release","No longer interested"\n'
    'hal@paper.example,Hal,Gone,1,"2024-03-01 10:01:00","2025-06-02 10:00:00","June release",\n'
)
MAILCHIMP_CLEANED = (
    '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\n'
    'bo@paper.example,Bo,Unced,1,,"2025-06-01 10:00:00","June release"\n'
)


@pytest.mark.parametrize(
    ("name", "text"),
    [("unsubscribed_members_export_3f2a.csv", MAILCHIMP_UNSUBSCRIBED), ("cleaned_members_export_3f2a.csv", MAILCHIMP_CLEANED)],
)
def test_mailchimps_unsubscribed_export_goes_into_the_suppressions_whole(logged: Path, name: str, text: str) -> None:
    """Mailchimp's unsubscribed members' file, refused as a press list, said to keep them from
    being mailed with `mailer suppressions add ADDRESS`, one by one; `mailer suppressions import`
    of the file, the command for a whole file, refused it too ("not read as a press list. Nothing
    was imported."). The hint names the import of the file, and the import takes it."""
    os.chdir(logged)
    Path(name).write_text(text, encoding="utf-8")
    refused = _run("lists", "check", name)
    assert refused.exit_code == 1
    assert f'mailer suppressions import {name} --reason "' in _said(refused)
    imported = _run("suppressions", "import", name, "--reason", "left in Mailchimp")
    assert imported.exit_code == 0, imported.output
    count = text.count("@")
    assert f"Suppressed {count} address{'es' if count > 1 else ''} from {name}." in imported.stdout
    listed = _run("suppressions", "list").stdout
    assert all(address in listed for address in ("gina@paper.example", "hal@paper.example") if address in text)


def test_cancel_of_a_send_that_went_out_says_the_emails_are_gone(live: Path) -> None:
    """`mailer cancel` of the send that had just gone out (she meant to stop it) said only 'has
    nobody left to send to, so there is nothing to cancel.': it says SendGrid accepted its emails,
    which cannot be called back."""
    os.chdir(live)
    sent = CliRunner().invoke(
        main,
        ["send", "releases/example.md", "--list", "lists/staff.csv", "--yes", "--no-test-ok"],
        env={"SENDGRID_API_KEY": "SG.standin-key.secret"},
    )
    assert sent.exit_code == 0, sent.output
    result = CliRunner().invoke(main, ["cancel", "latest"], env={"SENDGRID_API_KEY": "SG.standin-key.secret"})
    assert result.exit_code == 1
    said = _said(result)
    assert (
        "has nobody left to send to, so there is nothing to cancel: SendGrid accepted its emails to 4 journalists, and an email sent cannot be called back."
        in said
    ), said
    assert "See where it stands with: mailer status " in said


def test_a_filter_matching_nobody_names_the_value_as_typed(logged: Path) -> None:
    """--where "outlet=Example Helth Podcast" (a typo) was answered '... --where outlet=example helth
    podcast (the lists' outlet: ...)': the value she had typed, in other letters, beside the list's
    own spelling. It is named as typed, as the skipped rows' reason already names it."""
    os.chdir(logged)
    result = _run(
        "send", "releases/example.md", "--list", "lists/press.csv", "--where", "outlet=Example Helth Podcast", "--tag", "Radio", "--dry-run"
    )
    assert result.exit_code == 1
    said = _said(result)
    assert "--where outlet=Example Helth Podcast (the lists' outlet:" in said, said
    assert "--tag Radio (the lists' tags:" in said
