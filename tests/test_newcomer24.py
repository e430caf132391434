"""Newcomer 24: a small UK charity's press office (Riverside Housing Trust, Bristol) from the README
alone: an Outlook contacts export saved from Excel, a Markdown release with a photo, notes to editors,
a media contact and an embargo at 00:01 UK time, proofs to two colleagues, a dry run to the
"Regional" category, the live send scheduled for 09:00 UK time at the stand-in, status, campaigns,
events and an XLSX report for the director. Each test is a finding, through the command line, and
failed before its fix (session 24)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from office_cli import mailer, office, said

UK_OFFICE = '\n[reports]\ntime_zone = "Europe/London"\n'


def uk_office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """The stand-in office with its clock named: [reports] time_zone = "Europe/London"."""
    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write(UK_OFFICE)
    return folder


# -- 1. "--at ... 09:00 GMT" on a summer day: the plan said "09:00 UTC", London's clocks read 10:00 --------------


def test_the_plan_shows_a_scheduled_time_on_the_office_clock(tmp_path: Path, standin: Any, db_url: str) -> None:
    """UK releases write times in GMT ("embargoed until 00:01 GMT"), and so did she: `--at "... 09:00
    GMT"`. On a summer day, when London's clocks show BST, the plan she confirmed said only
    "Scheduled: 2027-07-02 09:00 UTC", though mailer.toml names the office's zone (Europe/London) and
    `mailer status` afterwards said "(10:00 Europe/London)": the release went out an hour after the
    time she meant, and nothing before the question said so. The plan now adds the office's clock
    when the time was written in another zone, as status does; one written in the office's own zone
    reads as before."""
    from zoneinfo import ZoneInfo

    from mailer.cli.send import _scheduled_words

    uk_office(tmp_path, standin, db_url)
    day = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"  # within --at's 72 hours, in winter or in summer
    london = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=ZoneInfo("Europe/London"))
    gmt = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} 09:00 GMT")
    assert gmt.exit_code == 0, gmt.output
    at_nine_utc = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/London"))
    assert f"Scheduled: {day} 09:00 UTC ({at_nine_utc:%H:%M} Europe/London)" in said(gmt), gmt.output
    own = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} 09:00 Europe/London")
    assert own.exit_code == 0, own.output
    assert f"Scheduled: {london.astimezone(UTC):%Y-%m-%d %H:%M} UTC (09:00 Europe/London)" in said(own), own.output
    new_york = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} 09:00 America/New_York")
    assert new_york.exit_code == 0, new_york.output
    there = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=ZoneInfo("America/New_York"))
    office_clock = f"{there.astimezone(ZoneInfo('Europe/London')):%H:%M} Europe/London"
    assert f"(09:00 America/New_York; {office_clock})" in said(new_york), new_york.output
    # The summer day itself, as the plan words it (the command line's 72 hours reach no July from December).
    july = datetime(2027, 7, 2, 9, 0, tzinfo=ZoneInfo("GMT"))
    assert _scheduled_words(july, "Europe/London") == "2027-07-02 09:00 UTC (10:00 Europe/London)"


# -- 2. A dry run after scheduling the release: "To send it now instead: mailer cancel ..." ------------------------


def test_a_dry_run_after_the_scheduled_send_does_not_tell_her_to_cancel_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She scheduled the release for tomorrow 09:00, then wanted to see what the "Regional" journalists
    get: `mailer send ... --tag Regional --dry-run`. The dry run stopped with "Nobody to send to: 3
    journalists are scheduled to get this exact release ..." and the way out "To send it now instead:
    mailer cancel CAMPAIGN ..., then run this send again": advice to call off the live send, for a
    dry run that mails nobody. (With a journalist added to the list since, the warning said the same.)
    A dry run now says the scheduled send is not changed and that --include-previous shows their emails."""
    folder = office(tmp_path, standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d} 09:00 Europe/London"
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert scheduled.exit_code == 0, scheduled.output
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "are scheduled to get this exact release" in said(dry), dry.output
    assert "mailer cancel" not in dry.output, dry.output
    assert "the scheduled send is not changed" in said(dry) and "add --include-previous" in said(dry), dry.output
    shown = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--include-previous")
    assert shown.exit_code == 0 and "Written:    2 emails" in shown.output, shown.output
    with (folder / "lists" / "beat.csv").open("a", encoding="utf-8") as beat:
        beat.write("cleo@post.example,Cleo,Hart,Bristol Post\n")
    some_left = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert some_left.exit_code == 0, some_left.output
    assert "Written:    1 email" in some_left.output, some_left.output
    assert "mailer cancel" not in some_left.output and "the scheduled send is not changed" in said(some_left), some_left.output
    live = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert "cancel that send first: mailer cancel" in said(live), live.output  # a live send keeps its way out
