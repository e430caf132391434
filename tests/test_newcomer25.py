"""Newcomer 25: the press office of a Melbourne university from the README alone (two press
officers sharing one PostgreSQL log, each with a mailer.toml naming "Australia/Melbourne" as the
office's zone; a semicolon-separated Windows-1252 list exported from Excel with Australian
outlets; a release embargoed until 6 am Melbourne time, scheduled for then, cancelled and
scheduled again; a follow-up; reports for the Vice-Chancellor). Each test is a finding, through
the command line, and failed before its fix (session 25)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from office_cli import campaign_of, greeted_as, mailer, office, said

MELBOURNE = ZoneInfo("Australia/Melbourne")


def melbourne_office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """An office folder whose mailer.toml names Melbourne's clock as the office's."""
    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Australia/Melbourne"\n')
    return folder


def six_am_tomorrow() -> tuple[str, datetime]:
    """(the --at for 6 am tomorrow, Melbourne time; that moment): 19:00 UTC the day before in summer."""
    day = (datetime.now(UTC).astimezone(MELBOURNE) + timedelta(days=1)).date()
    return f"{day:%Y-%m-%d} 06:00 Australia/Melbourne", datetime(day.year, day.month, day.day, 6, 0, tzinfo=MELBOURNE)


# -- 1. "SendGrid holds these emails until 2026-12-02 19:00 UTC": 6 am on the 3rd in Melbourne ----------


def test_a_held_send_says_its_time_on_the_office_clock_too(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scheduled for 6 am Melbourne time with the office's zone in mailer.toml, the plan said
    "Scheduled: 2026-12-02 19:00 UTC (2026-12-03 06:00 Australia/Melbourne)", but the send's last
    line, `mailer status`'s "SendGrid holds these emails until ..." and "Read opens and bounces
    after ...", and `mailer events import`'s warning that a journalist suppressed since is mailed all
    the same at that time, and `mailer cancel`'s question and answer said only "2026-12-02 19:00 UTC": 7 pm
    tonight, as a colleague reading it in Melbourne took it. Each now adds the office's clock."""
    from mailer.cli import send as send_cli

    melbourne_office(tmp_path, standin, db_url)
    at, moment = six_am_tomorrow()
    both = f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({moment:%Y-%m-%d %H:%M} Australia/Melbourne)"
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert f"SendGrid holds these emails until {both}: nothing has gone out yet." in said(sent), sent.output
    campaign = campaign_of(sent)
    status = mailer("status", campaign)
    assert f"SendGrid holds these emails until {both}." in said(status), status.output
    assert f"Read opens and bounces after {both} with" in said(status), status.output
    unsubscribe = {
        "email": "ana@daily.example",
        "event": "unsubscribe",
        "timestamp": int(time.time()),
        "sg_event_id": "nc25-1",
        "campaign": campaign,
    }
    (tmp_path / "events.json").write_text(json.dumps(unsubscribe) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "events.json")
    assert imported.exit_code == 0, imported.output
    assert f"SendGrid mails them all the same at {both}" in said(imported), imported.output
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    cancelled = mailer("cancel", campaign, input="y\n")
    assert cancelled.exit_code == 0, cancelled.output
    assert f"scheduled for {both}, to 2 journalists" in said(cancelled), cancelled.output
    assert f"SendGrid will discard its messages at {both}." in said(cancelled), cancelled.output


# -- 2. "06:00 AEDT" answered with Sydney's zone; "06:00 Victoria" called a city, and given Australia/Victoria --


def test_australian_clocks_and_states_get_the_zones_to_write(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Melbourne officer writes the time as Australians say it. "06:00 AEDT" (and "AEST", which
    Australians write all year) was answered with one zone to paste, Australia/Sydney: another
    state's clock (Brisbane's for AEST is an hour off in summer). Now the hint names each state's
    zone that writes it, Melbourne's among them. "06:00 Victoria" was "a city" and given
    Australia/Victoria (an old alias); "VIC" and "NSW" were unknown words with London, Shanghai and
    New York as examples. A state's name, written out or short, now gets its zone: Australia/Melbourne.
    The release's embargo and mailer.toml's [reports] time_zone say the same."""
    folder = melbourne_office(tmp_path, standin, db_url)
    at, _ = six_am_tomorrow()
    day = at.split()[0]
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    for abbreviation in ("AEDT", "AEST"):
        refused = mailer(*send, "--at", f"{day} 06:00 {abbreviation}")
        assert refused.exit_code == 1, refused.output
        words = said(refused)
        assert f'--at "{day} 06:00 Australia/Melbourne" (Victoria)' in words, refused.output
        assert f'--at "{day} 06:00 Australia/Sydney" (New South Wales, ACT)' in words, refused.output
    assert "Australia/Brisbane" in said(mailer(*send, "--at", f"{day} 06:00 AEST"))
    for state in ("Victoria", "VIC", "vic"):
        refused = mailer(*send, "--at", f"{day} 6am {state}")
        assert refused.exit_code == 1, refused.output
        assert f"{state} is a state's or territory's name, not a time zone's" in said(refused), refused.output
        assert f'Write --at "{day} 06:00 Australia/Melbourne".' in said(refused), refused.output
    assert f'Write --at "{day} 06:00 Australia/Sydney".' in said(mailer(*send, "--at", f"{day} 06:00 NSW"))
    assert f'Write --at "{day} 06:00 Australia/Brisbane".' in said(mailer(*send, "--at", f"{day} 06:00 Queensland"))
    release = folder / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("---\n", f'---\nembargo: "{day} 06:00 Victoria"\n', 1), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert f'embargo: "{day} 06:00 Australia/Melbourne"' in said(previewed), previewed.output
    toml = folder / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"Australia/Melbourne"', '"Victoria"'), encoding="utf-8")
    listed = mailer("campaigns")
    assert listed.exit_code == 1 and '"Australia/Melbourne"' in said(listed), listed.output
    assert "a state's or territory's name" in said(listed), listed.output


# -- 3. mailer cancel asked "Cancel ...? [y/N]", then said there was no API key, "Set it before sending" --


def test_cancel_says_the_key_is_missing_before_its_question(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Her colleague scheduled the send; she cancels it from her own terminal, which has no
    SENDGRID_API_KEY. mailer named the send and asked "Cancel ...? [y/N]", and only after her yes
    said "No SendGrid API key ... Set it before sending": the question answered for nothing, and
    words about sending where she was cancelling, minutes before the 10-minute limit. The missing
    key is now said first, as `mailer send` says it before its questions."""
    from mailer.cli import send as send_cli

    melbourne_office(tmp_path, standin, db_url)
    at, _ = six_am_tomorrow()
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    refused = mailer("cancel", campaign_of(sent), key=None, input="y\n")
    assert refused.exit_code == 1, refused.output
    assert "No SendGrid API key" in said(refused), refused.output
    assert "[y/N]" not in refused.output, refused.output
    assert "before sending" not in said(refused), refused.output
    status = mailer("status", campaign_of(sent))
    assert "SendGrid holds these emails" in said(status), status.output


# -- 4. "Dear Assoc,", "Dear A/Prof,", "Dear Professor,", "Dear Senator," ---------------------------------


def test_australian_academic_and_parliamentary_titles_are_honorifics(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A university's list is full of associate professors, written as Australian universities
    write the title: "Assoc Prof Hamish Kelly", "A/Prof Kirra Walker", "Assoc. Prof. ...",
    "Associate Professor ...", "Professor Emeritus ...", "Emeritus Professor ...", and of senators.
    "Dr." and "Prof." were known, these not: the release greeted them "Dear Assoc,", "Dear A/Prof,",
    "Dear Professor,", "Dear Emeritus," and "Dear Senator,". The title is now the honorific, and
    the greeting the first name, as for "Prof. Sarah O'Brien"."""
    greeted_as(
        tmp_path,
        standin,
        db_url,
        [
            ("Assoc Prof Hamish Kelly", "hamish@abc.example", "Hamish"),
            ("A/Prof Kirra Walker", "kirra@age.example", "Kirra"),
            ("Assoc. Prof. Liam Chen", "liam@sbs.example", "Liam"),
            ("Associate Professor Mia Rossi", "mia@sbs.example", "Mia"),
            ("Professor Emeritus John Smith AM", "john@uni.example", "John"),
            ("Emeritus Professor Jane Doe AO", "jane@uni.example", "Jane"),
            ("Professor Sarah Smith", "sarah@uni.example", "Sarah"),
            ("Senator Jacqui Lambie", "jacqui@aph.example", "Jacqui"),
            ("Senator the Hon. Penny Wong", "penny@aph.example", "Penny"),
            ("Prof. Sarah O’Brien AO", "obrien@uni.example", "Sarah"),
            ("Associated Press", "desk@ap.example", "colleague"),
        ],
    )


# -- 5. "Round": the Australian newsroom's word for a beat, a column of the list's own ------------------


def test_a_round_column_is_the_beat(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Australian newsrooms say "round" for a beat (the health round), and the office's list heads
    that column "Round". It was a column of the list's own, so `--where beat=Health`, as the README
    writes it, found nobody: "the lists' beat: nothing". "Round" (and "Rounds") is now the beat."""
    rows = ["Name;Email;Outlet;Round", "Sarah Smith;sarah@age.example;The Age;Health", "Liam Tran;liam@abc.example;ABC News;Politics"]
    folder = office(tmp_path, standin, db_url)
    (folder / "lists" / "media.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    checked = mailer("lists", "check", "lists/media.csv")
    assert "beat (Round)" in said(checked), checked.output
    sent = mailer("send", "releases/example.md", "--list", "lists/media.csv", "--where", "beat=health", "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 1" in said(sent), sent.output


# -- 6. Typos in addresses, explained in email-validator's words, or with an address that is someone else's --


def test_typed_address_mistakes_say_what_to_write(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office's Excel list held the usual typos. "liam wilson@sbs.com.au" (a full stop typed as
    a space) was "a name before the address: keep only the address, or write it as liam
    <wilson@sbs.com.au>": followed, the release goes to wilson@sbs.com.au, most likely someone
    else. It now says there is a space inside the address and that the journalist knows which was
    meant. Quotation marks Word put around an address read "Codepoint U+201D at position 3 of 'au”'
    not allowed", a comma for a full stop "invalid characters: ','": each now says what to remove or change, and the address that gives."""
    import csv

    rows = [
        "Name;Email",
        "Liam Wilson;liam wilson@sbs.com.au",
        "Fiona Murphy;\u201cfiona.murphy@abc.net.au\u201d",
        "Jack Smith;jack.smith@theage,com.au",
        "Ana Lima;'ana.lima@sbs.com.au'",
    ]
    folder = office(tmp_path, standin, db_url)
    (folder / "lists" / "media.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    cleaned = mailer("lists", "clean", "lists/media.csv", "-o", "clean.csv", "--rejects", "rejects.csv")
    assert cleaned.exit_code == 0, cleaned.output
    with (folder / "rejects.csv").open(encoding="utf-8-sig", newline="") as written:
        why = {row["Name"]: row["detail"] for row in csv.DictReader(written, delimiter=";")}
    assert "space inside the address" in why["Liam Wilson"], why
    assert "<wilson@sbs.com.au>" not in why["Liam Wilson"], why
    assert "liam.wilson@sbs.com.au" in why["Liam Wilson"], why
    assert why["Fiona Murphy"].startswith("in quotation marks: remove them: fiona.murphy@abc.net.au"), why
    assert why["Ana Lima"].startswith("in quotation marks: remove them: ana.lima@sbs.com.au"), why
    assert why["Jack Smith"].startswith("a comma where a full stop belongs: jack.smith@theage.com.au"), why


# -- 7. "To send the release after all: mailer send ... --list ...": without the --at it was scheduled with --


def test_a_cancelled_scheduled_send_is_offered_again_at_its_time(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague cancelled the 6 am send to fix a figure. `mailer status` then said "To send the
    release after all: mailer send releases/example.md --list lists/beat.csv", and `mailer cancel`
    run again the same: pasted, that sends at once, hours before 6 am (a release without an embargo
    line is not held back). While its time is still ahead, the command now keeps it: --at with the
    time on the office's clock."""
    melbourne_office(tmp_path, standin, db_url)
    at, moment = six_am_tomorrow()
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    assert mailer("cancel", campaign, "--yes").exit_code == 0
    again = f"mailer send releases/example.md --list lists/beat.csv --at '{moment:%Y-%m-%d %H:%M} Australia/Melbourne'"
    status = mailer("status", campaign)
    assert f"To send the release after all: {again}" in said(status), status.output
    twice = mailer("cancel", campaign, "--yes")
    assert again in said(twice), twice.output


# -- 9. "Warning: ... 11 rows marked so were imported, and 0 rows not marked were not. To suppress every address ..." --


def test_importing_a_file_whose_every_row_opted_out_warns_of_nothing(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The unsubscribes exported from the office's old mailing tool have a "Date unsubscribed" in
    every row. `mailer suppressions import` suppressed all 11, then warned that its column says who
    opted out, "and 0 rows not marked (they did not opt out) were not. To suppress every address of
    the file, delete that column and import it again": a warning about nothing, asking to edit a
    file that was imported whole. When no row was left out, it now says nothing of the column."""
    rows = ["Email;Date unsubscribed;Reason"] + [f"j{i}@age.example;14/08/2025;Asked to be removed" for i in range(3)]
    folder = office(tmp_path, standin, db_url)
    (folder / "lists" / "old-unsubscribes.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    imported = mailer("suppressions", "import", "lists/old-unsubscribes.csv", "--reason", "old mailing tool")
    assert imported.exit_code == 0, imported.output
    assert "Suppressed 3 addresses" in said(imported), imported.output
    assert "Warning" not in imported.output and "delete that column" not in said(imported), imported.output
    rows.append("ben@age.example;;")
    (folder / "lists" / "old-unsubscribes.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    again = mailer("suppressions", "import", "lists/old-unsubscribes.csv", "--reason", "old mailing tool")
    assert "and 1 row not marked (they did not opt out) was not" in said(again), again.output


# -- 10. No `language:` line: "EMBARGOED UNTIL December 3, 2026, 6:00 AM AEDT", and nothing said --------


def test_an_australian_office_is_told_that_en_au_writes_its_dates(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Her first release had no `language:` line: the email said "EMBARGOED UNTIL December 3,
    2026, 6:00 AM AEDT" and "MELBOURNE – December 3, 2026 –", the American way. A UK or Irish
    office is told on preview that en-GB writes dates its way (newcomer 24 #5); an office in
    Australia or New Zealand (by mailer.toml's zone, or the embargo's) was told nothing. It is now
    told to add language: en-AU (en-NZ), with its own clock in the example."""
    folder = melbourne_office(tmp_path, standin, db_url)
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 0, previewed.output
    words = said(previewed)
    assert "add language: en-AU to the release's front matter" in words, previewed.output
    assert "For Australian English (3 December 2026, 12:01 am AEDT)" in words, previewed.output
    assert "(for example December 3, 2026, 12:01 AM AEDT)" in words, previewed.output
    release.write_text(text.replace("---\n", "---\nlanguage: en-AU\n", 1), encoding="utf-8")
    assert "en-AU" not in mailer("preview", "releases/example.md").output
    toml = folder / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('time_zone = "Australia/Melbourne"', ""), encoding="utf-8")
    release.write_text(text.replace("---\n", '---\nembargo: "2026-12-03 06:00 Pacific/Auckland"\n', 1), encoding="utf-8")
    by_embargo = mailer("preview", "releases/example.md")
    assert "For New Zealand English (3 December 2026, 12:01 am NZDT), add  language: en-NZ" in by_embargo.output, by_embargo.output


# -- 11. --at "2026-12-03 06:00" (no zone) answered with a New York, Paris or UTC example ---------------


def test_a_time_without_its_zone_is_offered_on_the_office_clock(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She wrote the time as she thinks it, "2026-12-03 06:00" or "2026-12-03 6am", without a zone.
    mailer.toml names the office's zone, yet the answer was an example at 09:00 UTC ("a name such
    as Europe/Paris"), or, for 6am, "not a time mailer understands" with 09:00 in New York: pasted
    and edited in a hurry, another clock. The hint is now her own time on the office's clock."""
    melbourne_office(tmp_path, standin, db_url)
    at, _ = six_am_tomorrow()
    day = at.split()[0]
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    for written in (f"{day} 06:00", f"{day}T06:00", f"{day} 6am"):
        refused = mailer(*send, "--at", written)
        assert refused.exit_code == 1, refused.output
        assert f'--at "{written}" has no time zone' in said(refused), refused.output
        assert f'--at "{day} 06:00 Australia/Melbourne"' in said(refused), refused.output
        assert "America/New_York" not in said(refused) and "UTC" not in said(refused), refused.output
