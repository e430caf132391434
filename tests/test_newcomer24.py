"""Newcomer 24: a small UK charity's press office (Riverside Housing Trust, Bristol) from the README
alone: an Outlook contacts export saved from Excel, a Markdown release with a photo, notes to editors,
a media contact and an embargo at 00:01 UK time, proofs to two colleagues, a dry run to the
"Regional" category, the live send scheduled for 09:00 UK time at the stand-in, status, campaigns,
events and an XLSX report for the director. Each test is a finding, through the command line, and
failed before its fix (session 24)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from office_cli import campaign_of, mailer, office, said

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
    A dry run now says the scheduled send is not changed, and how to see the email SendGrid holds for
    them (--include-previous leaves them to that send too: review 24s #5, review 24y #3)."""
    folder = office(tmp_path, standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d} 09:00 Europe/London"
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert scheduled.exit_code == 0, scheduled.output
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "are scheduled to get this exact release" in said(dry), dry.output
    assert "mailer cancel" not in dry.output, dry.output
    assert "the scheduled send is not changed" in said(dry), dry.output
    assert f"To see the email one of them gets: mailer show {campaign_of(scheduled)} --contact EMAIL" in said(dry), dry.output
    shown = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--include-previous")
    assert shown.exit_code == 1 and "are scheduled to get this exact release" in said(shown), shown.output
    assert "add --include-previous" not in said(shown), shown.output
    with (folder / "lists" / "beat.csv").open("a", encoding="utf-8") as beat:
        beat.write("cleo@post.example,Cleo,Hart,Bristol Post\n")
    some_left = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert some_left.exit_code == 0, some_left.output
    assert "Written:    1 email" in some_left.output, some_left.output
    assert "mailer cancel" not in some_left.output and "the scheduled send is not changed" in said(some_left), some_left.output
    live = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert "cancel that send first: mailer cancel" in said(live), live.output  # a live send keeps its way out


# -- 3. "03/12/2026 09:00 Europe/London": a UK date, refused with a New York example ------------------------------


def test_a_date_written_day_first_is_named_with_both_readings(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A UK office writes 3 December as 03/12/2026 (the US reads it as 12 March). `--at "03/12/2026 09:00
    Europe/London"` was "not a time mailer understands" with the example --at "... America/New_York",
    and the release's `embargo: "03/12/2026 00:01 Europe/London"` "not a date and time I can read", with
    a February New York example: neither said that the date was the trouble, nor how to write hers.
    Both now say it, offering each reading with her time and zone as she wrote them; a date that
    reads one way only (25/12/2026, "3 December 2026") gets that one; `date:` likewise."""
    folder = office(tmp_path, standin, db_url)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    day_first, year_first = f"{tomorrow:%d/%m/%Y}", f"{tomorrow:%Y-%m-%d}"
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day_first} 09:00 Europe/London")
    assert planned.exit_code == 1, planned.output
    words = said(planned)
    assert "America/New_York" not in words, planned.output
    assert "write the date year first, as YYYY-MM-DD" in words, planned.output
    assert f'--at "{year_first} 09:00 Europe/London"' in words, planned.output
    if tomorrow.day <= 12 and tomorrow.day != tomorrow.month:  # both readings are dates: both are offered
        assert f"{tomorrow.day} {tomorrow:%B %Y} written day first (as in the UK" in words, planned.output
        assert f'--at "{tomorrow:%Y}-{tomorrow:%d}-{tomorrow:%m} 09:00 Europe/London"' in words, planned.output
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("---\n", '---\nembargo: "25/12/2026 00:01 Europe/London"\n', 1), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert "25/12/2026 is 2026-12-25" in said(previewed), previewed.output
    assert 'Write embargo: "2026-12-25 00:01 Europe/London".' in said(previewed), previewed.output
    release.write_text(text.replace("---\n", '---\nembargo: "3 December 2026 00:01 GMT"\n', 1), encoding="utf-8")
    in_words = mailer("preview", "releases/example.md")
    assert 'Write embargo: "2026-12-03 00:01 GMT".' in said(in_words), in_words.output
    release.write_text(text.replace("date: 2026-02-19", "date: 19/02/2026"), encoding="utf-8")
    dated = mailer("preview", "releases/example.md")
    assert dated.exit_code == 1 and "Write date: 2026-02-19." in said(dated), dated.output


# -- 4. "09:00 UK": the country as a UK office says its time, not a zone -----------------------------------------


def test_a_country_written_for_the_zone_gets_its_zone_named(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A UK office says "9am UK time", and wrote `--at "... 09:00 UK"`: the answer listed "Europe/London,
    Asia/Shanghai, America/New_York, ..." to choose from; `embargo: "... 00:01 UK"` was "not a date
    and time I can read" with a New York example, and `[reports] time_zone = "United Kingdom"` "must
    be a time zone name". Each now names the zone to write, Europe/London, as for a city ("London")."""
    folder = office(tmp_path, standin, db_url)
    day = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    for country in ("UK", "United Kingdom", "England", "Scotland", "Wales", "Great Britain"):
        planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} 09:00 {country}")
        assert planned.exit_code == 1, planned.output
        assert f"{country} is a country's name, not a time zone's" in said(planned), planned.output
        assert f'Write --at "{day} 09:00 Europe/London".' in said(planned), planned.output
        assert "Asia/Shanghai" not in planned.output, planned.output
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("---\n", f'---\nembargo: "{day} 00:01 UK"\n', 1), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert f'Write embargo: "{day} 00:01 Europe/London"' in said(previewed), previewed.output
    release.write_text(text, encoding="utf-8")
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "United Kingdom"\n')
    listed = mailer("campaigns")
    assert listed.exit_code == 1 and '"Europe/London"' in listed.output and "is a country's name" in said(listed), listed.output


# -- 5. "EMBARGOED UNTIL December 3, 2026, 12:01 AM GMT" in a Bristol office's release -----------------------------


def test_a_uk_office_is_told_how_to_write_british_dates(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Her release's embargo line read "EMBARGOED UNTIL December 3, 2026, 12:01 AM GMT" and its dateline
    "Bristol – December 3, 2026 –": American dates and a 12-hour clock, for UK journalists. Nothing said
    that `language: en-GB` writes "3 December 2026, 00:01 GMT" (the README names en, fr, de, ... only):
    she found it by guessing. The preview of an office in the UK or Ireland (mailer.toml's [reports]
    time_zone, or the embargo's zone) now says so; with a language: line, or elsewhere, it says nothing."""
    folder = uk_office(tmp_path, standin, db_url)
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8").replace("---\n", '---\nembargo: "2026-02-19 00:01 Europe/London"\n', 1)
    release.write_text(text, encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 0, previewed.output
    assert "EMBARGOED UNTIL February 19, 2026, 12:01 AM GMT" in (folder / "out" / "preview" / "example.txt").read_text(encoding="utf-8")
    assert "add language: en-GB to the release's front matter" in said(previewed), previewed.output
    release.write_text(text.replace("---\n", "---\nlanguage: en-GB\n", 1), encoding="utf-8")
    british = mailer("preview", "releases/example.md")
    assert british.exit_code == 0 and "language: en-GB" not in british.output, british.output
    shown = (folder / "out" / "preview" / "example.txt").read_text(encoding="utf-8")
    assert "EMBARGOED UNTIL 19 February 2026, 00:01 GMT" in shown and "19 February 2026 –" in shown, shown
    (folder / "mailer.toml").write_text((folder / "mailer.toml").read_text(encoding="utf-8").replace(UK_OFFICE, ""), encoding="utf-8")
    release.write_text(text.replace("Europe/London", "America/New_York"), encoding="utf-8")
    elsewhere = mailer("preview", "releases/example.md")
    assert elsewhere.exit_code == 0 and "language:" not in elsewhere.output, elsewhere.output
    release.write_text(text, encoding="utf-8")  # no zone in mailer.toml: the embargo's says where the office is
    by_embargo = mailer("preview", "releases/example.md")
    assert "add language: en-GB" in said(by_embargo), by_embargo.output


# -- 6. --help had no example for the day's two questions: part of a list by category, a spreadsheet ------------


def test_help_shows_a_tag_send_and_a_spreadsheet_report() -> None:
    """Her list's Outlook "Categories" (Housing;Regional) are read as tags, and `mailer send --help`
    showed --where beat=health but no --tag; her director wanted a spreadsheet, and `mailer report
    --help` showed a CSV and an HTML page but no XLSX. Each now shows one."""
    send_help = mailer("send", "--help")
    examples = send_help.output[send_help.output.index("Example:") : send_help.output.index("Options:")]
    assert "--tag vip --dry-run" in examples, send_help.output  # a tag the example list has (review 24x, left)
    report_help = mailer("report", "--help")
    examples = report_help.output[report_help.output.index("Example:") : report_help.output.index("Options:")]
    assert "-o opens.xlsx" in examples, report_help.output


# -- 7. The dry run's embargo warning offered --at "2026-12-03T00:01+00:00" for "00:01 Europe/London" -------------


def test_the_dry_runs_embargo_warning_offers_the_time_as_the_embargo_says_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Her release is embargoed until 00:01 tomorrow, "Europe/London". The dry run warned that a live
    send now would be refused and offered `--at "2026-12-03T00:01+00:00"`: an offset she never wrote
    (and "+01:00" in summer). It now offers the time as the embargo line says it, which --at reads."""
    folder = office(tmp_path, standin, db_url)
    day = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    release = folder / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("---\n", f'---\nembargo: "{day} 00:01 Europe/London"\n', 1), encoding="utf-8"
    )
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f'Schedule it with --at "{day} 00:01 Europe/London" (or later;' in said(dry), dry.output
    offered = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} 00:01 Europe/London")
    assert offered.exit_code == 0 and "embargoed" not in offered.output, offered.output


# -- 8. A post saved as SendGrid sends it, one line: every bad event "line 1" ---------------------------------------


def test_a_bad_event_in_a_one_line_post_is_named_by_its_place(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid posts each batch of events as one JSON array on one line, and that is how her events
    file was saved. Two of its events had a timestamp the import cannot read; both were quarantined
    as "events.json line 1: ...", and she was told to "Fix those lines in the file": a file of one
    line, holding every event. Each is now named by its place in the post ("line 1, event 3"); an
    array written an event a line keeps its line numbers."""
    import json

    office(tmp_path, standin, db_url)
    good = {"email": "ana@daily.example", "event": "open", "timestamp": 1796288430, "sg_event_id": "ok-1"}
    bad_ms = {**good, "timestamp": 1796288430005, "sg_event_id": "ms-1"}
    bad_iso = {**good, "timestamp": "2026-12-03T09:30:00Z", "sg_event_id": "iso-1"}
    posts = Path("events.json")
    posts.write_text(json.dumps([good, bad_ms, good | {"sg_event_id": "ok-2"}, bad_iso]) + "\n" + json.dumps([bad_ms]) + "\n")
    imported = mailer("events", "import", "events.json")
    assert imported.exit_code == 0, imported.output
    assert "events.json line 1, event 2: " in imported.output and "events.json line 1, event 4: " in imported.output, imported.output
    assert "events.json line 2: " in imported.output, imported.output  # a post of one event: its line says it
    assert "Fix those events in the file" in imported.output, imported.output
    listed = mailer("events", "quarantine")
    assert "events.json line 1, event 4: " in listed.output, listed.output
    one_a_line = Path("pretty.json")
    one_a_line.write_text("[\n" + ",\n".join(json.dumps(e) for e in (good, bad_iso)) + "\n]\n")
    kept = mailer("events", "import", "pretty.json")
    assert "pretty.json line 3: " in kept.output and ", event" not in kept.output, kept.output
    assert "Fix those lines in the file" in kept.output, kept.output


# -- 9. `mailer test --to "a, b"`: "two addresses in one cell: give each journalist's address its own row" ----------


def test_two_colleagues_in_one_to_are_told_to_repeat_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She typed the proof's two colleagues as a mail program does: `--to "sarah@..., tom@..."`. The
    answer spoke of a list: "two addresses in one cell: give each journalist's address its own row",
    and never said how to give two addresses. It now says --to takes one, and shows it repeated."""
    office(tmp_path, standin, db_url)
    both = "sarah.jones@riverside.example, tom.baker@riverside.example"
    refused = mailer("test", "releases/example.md", "--to", both)
    assert refused.exit_code == 2, refused.output
    assert (
        "holds 2 addresses, and --to takes one. Repeat it for each: --to sarah.jones@riverside.example --to tom.baker@riverside.example"
        in said(refused)
    )
    assert "journalist" not in refused.output and "cell" not in refused.output, refused.output
    sent = mailer("test", "releases/example.md", "--to", "sarah.jones@riverside.example", "--to", "tom.baker@riverside.example")
    assert sent.exit_code == 0 and "Accepted:   2" in sent.output, sent.output


# -- 10. "9am", "9.00", "12.01am": a time as UK offices write it ----------------------------------------------------


def test_a_time_written_the_british_way_is_read_or_named(tmp_path: Path, standin: Any, db_url: str) -> None:
    """UK releases write "embargoed until 00.01" and "9.00am", and she typed `--at "... 9am Europe/London"`:
    it was "not a time mailer understands" with an example in America/New_York, and the embargo
    "12.01am" "not a date and time I can read". A time with a full stop ("09.00", "00.01") is now read
    as with a colon, and a 12-hour time as the 12-hour clock means it (review 24x #8: 12.01am is 00:01);
    any other time unread gets its example in her zone."""
    folder = office(tmp_path, standin, db_url)
    day = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"

    def at(time: str) -> Any:
        return mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{day} {time}")

    dotted = at("09.00 Europe/London")
    assert dotted.exit_code == 0 and "(09:00 Europe/London)" in dotted.output, dotted.output
    nine = at("9am Europe/London")  # read as 09:00 (review 24x #8), the plan showing it
    assert nine.exit_code == 0 and "(09:00 Europe/London)" in nine.output, nine.output
    evening = at("9.30 pm UK")
    assert f'Write --at "{day} 21:30 Europe/London".' in said(evening), evening.output
    unread = at("nine Europe/London")
    assert unread.exit_code == 1 and "America/New_York" not in unread.output and "Europe/London" in unread.output, unread.output
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    for written in ("12.01am", "00.01"):
        release.write_text(text.replace("---\n", f'---\nembargo: "{day} {written} Europe/London"\n', 1), encoding="utf-8")
        previewed = mailer("preview", "releases/example.md")
        assert previewed.exit_code == 0, previewed.output
    assert "12:01 AM GMT" in (folder / "out" / "preview" / "example.txt").read_text(encoding="utf-8")


# -- 11. "1 could not be linked to a message", and nothing said which ---------------------------------------------


def test_the_import_names_the_events_it_could_not_link(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Her events file held an open she could not place: the import said "Added 3, skipped 0 already in
    the log, 1 could not be linked to a message" and a paragraph of possible reasons, but not which
    event, so she could not tell which journalist's open was missing from the report. The import now
    names the first few (the event, the address, the time), never the address of a journalist erased
    with `mailer forget`."""
    import json

    office(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = re.search(r"Campaign (\S+):", sent.output)
    assert campaign, sent.output
    assert mailer("forget", "zoe@erased.example", "--yes").exit_code == 0
    now = int(datetime.now(UTC).timestamp())
    events = [
        {"email": "ana@daily.example", "event": "delivered", "timestamp": now, "sg_event_id": "d1", "campaign": campaign.group(1)},
        {"email": "stranger@elsewhere.example", "event": "open", "timestamp": 1796288400, "sg_event_id": "o1"},
        {"email": "zoe@erased.example", "event": "open", "timestamp": 1796288400, "sg_event_id": "o2"},
    ]
    Path("events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    imported = mailer("events", "import", "events.ndjson")
    assert imported.exit_code == 0, imported.output
    assert "2 could not be linked to a message" in imported.output, imported.output
    assert "not linked: open of stranger@elsewhere.example at 2026-12-03 09:00 UTC" in imported.output, imported.output
    assert "not linked: open of a journalist erased with mailer forget at" in imported.output, imported.output
    assert "zoe@erased.example" not in imported.output, imported.output
