"""Newcomer 22: a two-person press office's day two from the README alone (a team log on
PostgreSQL, an embargoed release scheduled, corrected, cancelled and rescheduled, test and live
sends, events by the signed webhook and by file, reports for a spreadsheet, `mailer contact`).
Each test is a finding, through the command line, and failed before its fix (session 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from office_cli import campaign_of, mailed, mailer, office, said

from mailer.cli import send as send_cli

# -- 1. A colleague's stale copy of a corrected release: "earlier version" of the newer one ---------

ORIGINAL = "412 volunteers"
CORRECTED = "421 volunteers"


def two_offices(tmp_path: Path, standin: Any, db_url: str) -> tuple[Path, Path]:
    """Ana's and Ben's copies of the press folder, one shared delivery log (the team's database)."""
    ana = office(tmp_path / "ana", standin, db_url)
    ben = office(tmp_path / "ben", standin, db_url)
    return ana, ben


def two_hours_ahead() -> str:
    return (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M UTC")


def correct(folder: Path) -> None:
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    assert ORIGINAL in text
    release.write_text(text.replace(ORIGINAL, CORRECTED), encoding="utf-8")


@pytest.mark.parametrize("rescheduled", [True, False])
def test_a_stale_copy_is_never_called_an_earlier_version_of_the_correction(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, rescheduled: bool
) -> None:
    """Ana schedules the release; Ben corrects a figure in his copy, cancels her send and sends
    the correction (scheduled again, or at once). Ana, whose copy still has the old figure, then
    sends it: the send said her journalists were "scheduled to get an earlier version" (or had
    "already received an earlier version") and told her to cancel Ben's corrected send and send
    again, or asked "Send the corrected version to those 2 journalists too?" (which --yes
    answers): the old figure went out, after the correction, to everyone. It now says her copy
    is the older one, names both sends, and sends nothing; her colleague's send is left alone."""
    ana, ben = two_offices(tmp_path, standin, db_url)
    monkeypatch.chdir(ana)
    at = two_hours_ahead()
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    scheduled = campaign_of(first)

    monkeypatch.chdir(ben)
    correct(ben)
    assert mailer("cancel", scheduled).exit_code == 0
    when = ("--at", at) if rescheduled else ()
    corrected = mailer("send", "releases/example.md", "--list", "lists/beat.csv", *when, "--yes", "--no-test-ok")
    assert corrected.exit_code == 0, corrected.output
    correction = campaign_of(corrected)
    standin.reset()

    monkeypatch.chdir(ana)  # her copy still says 412
    stale = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert stale.exit_code == 1, stale.output
    words = said(stale)
    assert "earlier version" not in words, words
    assert "a newer version of this release" in words and f"in {correction}" in words, words
    assert f"is the text of {scheduled}" in words, words
    assert f"mailer cancel {correction}" not in words, words
    assert "Nothing was logged or sent." in words, words
    assert mailed(standin) == [], words
    status = mailer("status", correction)
    assert "cancelled" not in status.output.split("\n")[1], status.output  # Ben's send stands

    if rescheduled:  # her proof of it says the same
        proof = mailer("test", "releases/example.md")
        assert proof.exit_code == 0, proof.output
        assert "earlier version" not in said(proof) and "a newer version of this release" in said(proof), proof.output
        assert f"mailer cancel {correction}" not in said(proof), proof.output
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "earlier version" not in said(dry) and "a newer version" in said(dry), dry.output


def test_a_stale_copy_sent_on_purpose_asks_in_plain_words(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """To send the older text on purpose to those who had the newer one, --include-previous lets
    it through; the question then says it is the older text, not "the corrected version"."""
    at = two_hours_ahead()
    ana, ben = two_offices(tmp_path, standin, db_url)
    monkeypatch.chdir(ana)
    scheduled = campaign_of(mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok"))
    monkeypatch.chdir(ben)
    correct(ben)
    assert mailer("cancel", scheduled).exit_code == 0
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok").exit_code == 0
    standin.reset()
    monkeypatch.chdir(ana)
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    asked = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--include-previous", "--no-test-ok", input="y\nn\n")
    words = said(asked)
    assert "corrected version" not in words, words
    assert "older" in words, words
    assert mailed(standin) == [], words


def test_a_second_correction_of_one_language_is_not_taken_for_an_older_copy(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release in English and French goes out; the French text is corrected, then corrected
    again. The second correction's English text is the first send's, unchanged: that alone does
    not make the copy older than the first correction, which only changed the French. Its
    French journalist gets it (the correction question, answered by --yes)."""
    beat = "Email,First Name,Last Name,Outlet,Language\nana@daily.example,Ana,Lima,Daily News,en\nben@gazette.example,Ben,Okafor,La Gazette,fr\n"
    folder = office(tmp_path, standin, db_url, beat=beat)
    french = folder / "releases" / "example.fr.md"
    text = '---\nsubject: "Recensement des abeilles"\n---\n412 bénévoles ont compté les abeilles.\n'
    french.write_text(text, encoding="utf-8")
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    first = mailer(*send)
    assert first.exit_code == 0, first.output
    for figure in ("421 bénévoles", "422 bénévoles"):
        french.write_text(text.replace("412 bénévoles", figure), encoding="utf-8")
        standin.reset()
        again = mailer(*send)
        assert again.exit_code == 0, again.output
        assert mailed(standin) == ["ben@gazette.example"], again.output


# -- 2. "What do you hold on me?": `mailer contact` showed the name and outlet only -----------------

HELD = (
    "Email,First Name,Last Name,Outlet,Title,Beat,Mobile,Twitter Handle\n"
    "ana@daily.example,Ana,Lima,Daily News,Health Editor,health,+44 7700 900123,@analima\n"
    "ben@gazette.example,Ben,Okafor,The Gazette,,science,,\n"
)


def test_contact_shows_every_field_the_log_holds_on_the_journalist(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A journalist asks "what do you hold on me?" before asking to be forgotten. `mailer contact`
    printed her name, outlet, lists and campaigns, but not the rest of her list row that every
    campaign's log keeps (her title, beat, mobile number and Twitter handle), which `mailer
    forget` then erases: the office's answer left out data it holds. It now prints every field
    the log holds (`--json`: `fields`), and the forget that follows erases them."""
    office(tmp_path, standin, db_url, beat=HELD)
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok").exit_code == 0
    shown = mailer("contact", "ana@daily.example")
    assert shown.exit_code == 0, shown.output
    for value in ("Health Editor", "health", "+44 7700 900123", "@analima"):
        assert value in shown.output, shown.output
    assert "Title: Health Editor" in said(shown) or "title: Health Editor" in said(shown), shown.output
    document = mailer("contact", "ana@daily.example", "--json")
    import json

    fields = json.loads(document.stdout)["fields"]
    assert fields["mobile"] == "+44 7700 900123" and fields["twitter_handle"] == "@analima", fields
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    after = mailer("contact", "ana@daily.example")
    assert "+44 7700 900123" not in after.output and "@analima" not in after.output, after.output


# -- 3. An unsubscribe imported for a journalist a scheduled send holds: "now suppressed", and mailed --


def test_events_import_says_a_scheduled_send_still_mails_the_journalists_it_suppressed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for tomorrow morning; tonight's events file holds Ana's unsubscribe
    (from yesterday's release). `mailer events import` said "1 address is now suppressed", and
    nothing more: SendGrid holds her email in the scheduled send and delivers it at its time all
    the same (as `mailer status` of that send, and `mailer suppressions add`, say). The import
    now says so too, with the way out."""
    import json
    import time

    office(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", two_hours_ahead(), "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    unsubscribe = {"email": "ana@daily.example", "event": "unsubscribe", "timestamp": int(time.time()), "sg_event_id": "u-1"}
    (tmp_path / "events.ndjson").write_text(json.dumps(unsubscribe) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "events.ndjson")
    assert imported.exit_code == 0, imported.output
    words = said(imported)
    assert "1 address is now suppressed" in words, words
    assert f"{campaign}" in words and "all the same" in words, words
    assert f"mailer cancel {campaign}" in words, words


# -- 4. A scheduled send ended "Accepted: 41" under a "Sending" bar, as if it had gone out --------


def test_a_scheduled_send_ends_saying_sendgrid_holds_it_and_how_to_call_it_off(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer send --at` drew a "Sending" bar and ended `Accepted: 2 ...`, the same words as a
    send that went out at once: nothing said the emails wait at SendGrid until their time, nor
    how to call the send off (which is what the office needs after spotting a mistake). It now
    ends as `mailer status` of it begins: SendGrid holds these emails until then, and the cancel."""
    office(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", two_hours_ahead(), "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    words = said(sent)
    assert "Accepted: 2" in words, words
    assert "SendGrid holds these emails until" in words and "nothing has gone out yet" in words, words
    assert f"mailer cancel {campaign}" in words, words
    assert mailer("cancel", campaign, "--yes").exit_code == 0  # review 24s #5: --include-previous leaves those it holds to it
    now = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert now.exit_code == 0 and "Accepted: 2" in said(now), now.output
    assert "SendGrid holds" not in said(now), now.output  # a send that went out at once says nothing of the kind


# -- 5. Report spreadsheets in UTC only: a New York office read 14:05 for an open at 09:05 ---------


def test_report_files_show_times_in_the_offices_time_zone(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A New York press office opens the opens report in Excel: "first open (UTC) 2026-... 14:05",
    which it must turn into its own 09:05 by hand (and in summer by four hours, not five); no
    setting made the reports speak its time. `[reports] time_zone` in mailer.toml now shows the
    terminal table, CSV and XLSX times in that zone, the column heading naming it; JSON stays UTC."""
    import csv
    import io
    import json

    import openpyxl
    from press_office import event, import_events, keys

    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "America/New_York"\n')
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    key = keys(standin)[campaign, "ana@daily.example"]
    opened = int(datetime.now(UTC).timestamp()) + 60
    import_events(tmp_path / "events.ndjson", [event("open", "ana@daily.example", campaign, key, opened)])
    local = datetime.fromtimestamp(opened, UTC).astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)

    shown = mailer("report", campaign, "--kind", "opens", "--wide")
    assert shown.exit_code == 0, shown.output
    assert "first open (America/New_York)" in said(shown) and local.isoformat(" ") in shown.output, shown.output

    written = mailer("report", campaign, "--kind", "opens", "--format", "csv", "-o", "-")
    rows = list(csv.reader(io.StringIO(written.stdout)))
    assert rows[0][3] == "first open (America/New_York)", rows[0]
    assert rows[1][3] == local.isoformat(" "), rows

    assert mailer("report", campaign, "--kind", "opens", "-o", "opens.xlsx").exit_code == 0
    sheet = openpyxl.load_workbook(tmp_path / "opens.xlsx").active
    assert sheet.cell(1, 4).value == "first open (America/New_York)"
    assert sheet.cell(2, 4).value == local

    document = json.loads(mailer("report", campaign, "--kind", "opens", "--format", "json").stdout)
    assert document["rows"][0]["first_open"] == datetime.fromtimestamp(opened, UTC).isoformat(" ")[:19], document  # UTC, as before


def test_a_misspelt_time_zone_is_refused_with_the_name_to_write(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A city or a made-up name is refused when mailer.toml is read, naming the zone to write."""
    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "New York"\n')
    refused = mailer("campaigns")
    assert refused.exit_code == 1, refused.output
    assert "reports.time_zone" in said(refused) and "America/New_York" in said(refused), refused.output


# -- 6. A section mailer.toml does not have: "known keys here: ..., log_named" -----------------------


def test_an_unknown_section_lists_only_the_keys_a_mailer_toml_may_have(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An IT person adds an `[smtp]` section from another tool's habits: the error listed the
    sections mailer.toml may have, and `log_named`, an internal flag no file should set (and a
    key that is no section). It lists the sections only."""
    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[smtp]\nhost = "mail.example.org"\n')
    refused = mailer("campaigns")
    assert refused.exit_code == 1, refused.output
    words = said(refused)
    assert 'unknown key "smtp"' in words, words
    assert "known keys here: sender, sendgrid, lists, database, webhook, compose, reports" in words, words
    assert "log_named" not in words and "source" not in words.split("known keys here:")[1], words


# -- 7. `mailer cancel latest` after a proof: "latest" was the test send, not the scheduled one -----


def test_cancel_latest_is_the_newest_live_send_not_a_proof_sent_since(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ana schedules the release, then sends colleagues one more proof (`mailer test`); spotting a
    mistake, she runs `mailer cancel latest`. "latest" was the proof: "has nobody left to send to,
    so there is nothing to cancel: SendGrid accepted its emails to 4 journalists" (her colleagues),
    and the scheduled send stayed. For cancel, as for reports, latest is the newest live send
    not cancelled yet: the scheduled one is cancelled."""
    office(tmp_path, standin, db_url)
    (tmp_path / "lists" / "staff.csv").write_text("Email,Name\ndana@example.org,Dana Fields\n", encoding="utf-8")
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", two_hours_ahead(), "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    scheduled = campaign_of(sent)
    assert mailer("test", "releases/example.md").exit_code == 0
    cancelled = mailer("cancel", "latest")
    assert cancelled.exit_code == 0, cancelled.output
    assert f"latest is {scheduled}" in said(cancelled) and f"Cancelled {scheduled}" in said(cancelled), cancelled.output
