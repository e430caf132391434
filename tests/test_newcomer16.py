"""Newcomer trial 16: a press officer's week of reports after things went wrong.

A send killed half-way, one stopped by SendGrid going away, one scheduled and still held by
SendGrid, one cancelled late, bounces and unsubscribes imported from an events file, a follow-up:
she reads `mailer status`, `mailer campaigns`, `mailer report` (terminal, CSV, XLSX, the page) and
the overview page, and asks of each line whether it is true, and the same in every format.
SendGrid is the local stand-in. Each test is a finding: it asserts what the press officer should
get (each failed before its fix, session 16).
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, SIX, campaign_of, killed, mailer, office, page_heading, page_text, stopped_after
from openpyxl import load_workbook

# -- 1. the overview's "Scheduled for later" table shows a killed send as "sending" ---------------


@pytest.mark.slow
def test_overview_shows_a_killed_scheduled_send_as_paused_not_sending(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for two hours from now; SendGrid is slow, and the laptop dies while
    it hands the third request over. `mailer campaigns` and `mailer status` say "paused" (status:
    "3 recipients have not been sent yet. Continue with: mailer resume"). The overview page she
    makes for the director lists it under "Scheduled for later" with status "sending", as if a
    process were still handing it over: nobody resumes it, and half the list never gets it."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    standin.slow(10.0, match=lambda r: len(standin.mail_sends) >= 3)
    campaign_id = killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 3, (*SEND, "--at", goes_out.isoformat()))
    [row] = [line for line in mailer("campaigns").output.splitlines() if line.startswith(campaign_id)]
    assert re.split(r" {2,}", row)[2].startswith("paused"), row  # "paused, scheduled for ..." (fix16b #3)
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    seen = page_text(tmp_path / "overview.html")
    assert "Scheduled for later" in seen, seen
    assert f"| paused | {campaign_id} |" in seen, seen
    assert "| sending |" not in seen, seen


# -- 2. the summary as CSV or XLSX drops the sentences under the figures -------------------------


def test_summary_spreadsheets_say_what_the_terminal_says_under_the_figures(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release goes out tomorrow morning; SendGrid holds it. `mailer report` on the terminal,
    its JSON and its page say under the figures "SendGrid holds these emails until ...: nothing has
    gone out yet, so delivered, opens and bounces stay at 0 until then." The XLSX she mails to the
    director (and the CSV) holds the figures only: "Accepted by SendGrid 2, Delivered 0 (0%),
    Bounced 0 (0%)", a send that reached nobody. The spreadsheets should carry the same note."""
    office(tmp_path, standin, db_url)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", goes_out.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    on_screen = " ".join(mailer("report", campaign_id).stdout.split())
    held = f"SendGrid holds these emails until {goes_out:%Y-%m-%d %H:%M} UTC: nothing has gone out yet"
    assert held in on_screen, on_screen
    piped = mailer("report", campaign_id, "-o", "-")
    assert piped.exit_code == 0, piped.output
    cells = [cell for row in csv.reader(io.StringIO(piped.stdout)) for cell in row]
    assert any(held in cell for cell in cells), piped.stdout
    written = mailer("report", campaign_id, "-o", "summary.xlsx")
    assert written.exit_code == 0, written.output
    sheet = load_workbook(tmp_path / "summary.xlsx").active
    assert sheet is not None
    texts = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert any(held in text for text in texts), texts


# -- 3. status of a send called off half-way says "All sent." ------------------------------------


def test_status_of_a_send_called_off_half_way_does_not_say_all_sent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests; the embargo moved, so she calls the rest off:
    "Called off the rest of ...: 4 journalists it had not mailed yet will not be ... A new send of
    this release reaches them." A week later `mailer status` reads "Skipped: 4 called off", then
    "All sent. Read opens and bounces later with: mailer report ...": two thirds of the list never
    got the release, and nothing says how to reach them. Status should say they were called off
    and name the send that reaches them."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    called_off = mailer("cancel", campaign_id)
    assert called_off.exit_code == 0 and "4 journalists it had not mailed yet" in called_off.output, called_off.output
    shown = mailer("status", campaign_id)
    said_ = " ".join(shown.output.split())
    assert "Skipped: 4 called off" in said_, shown.output
    assert "All sent." not in said_, shown.output
    assert "4 journalists were called off" in said_, shown.output
    assert "mailer send releases/example.md --list lists/beat.csv" in said_, shown.output


# -- 4. the overview counts a send stopped half-way as a campaign that went out ------------------


def test_overview_says_which_campaign_has_not_finished(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests; four journalists wait for `mailer resume`. The
    report of that send says "This send has not finished: 4 recipients have not been sent yet",
    `mailer campaigns` "2/6 accepted, 4 planned". The quarter's overview page, made for the
    director, shows the campaign's row with "recipients 6" and its rates, and nothing anywhere
    on the page says that four of the six were never mailed. It should say so, as the report does."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    seen = page_text(tmp_path / "overview.html")
    assert f"| 6 | {campaign_id} |" in seen, seen  # its row, as before
    assert f"{campaign_id}: This send has not finished: 4 recipients have not been sent yet" in seen, seen


# -- 5. `mailer contact` says "accepted" for an email SendGrid still holds, when the send stopped --


def test_contact_of_a_stopped_scheduled_send_says_sendgrid_holds_the_email(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for tomorrow morning; SendGrid went away after handing over two
    journalists' emails, so the send is paused. An editor calls: did we send it to her? `mailer
    contact` answers "Outcome: accepted", which reads as sent; `mailer status` says "SendGrid holds
    these emails until ...". Of a finished scheduled send contact says "scheduled: SendGrid holds it
    until ...; not sent yet"; a stopped one's held emails should read the same."""
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    campaign_id = stopped_after(tmp_path, standin, db_url, "--at", goes_out.isoformat())
    shown = " ".join(mailer("status", campaign_id).output.split())
    assert f"({'live'}, paused)" in shown and "SendGrid holds these emails until" in shown, shown
    told = mailer("contact", "j0@paper0.example")
    assert told.exit_code == 0, told.output
    outcome = " ".join(told.output.split())
    assert f"Outcome: scheduled: SendGrid holds it until {goes_out:%Y-%m-%d %H:%M} UTC; not sent yet" in outcome, told.output


# -- 6. a follow-up's recipients report gives a database number as the "list and row" -----------


def test_follow_up_recipients_report_names_the_list_row_not_a_log_number(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She followed up the journalists who did not open. The follow-up's recipients report (table,
    CSV, XLSX, page) gives each journalist's "list and row" as "2026-12-01-example:2", "...:4":
    numbers of the delivery log's own, read as rows of a list that does not exist (Jo1 is row 3 of
    lists/beat.csv). `mailer contact` says "follow-up of 2026-12-01-example (lists/beat.csv, row
    3)"; the report should name the same list row."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=10)
    first = mailer(*SEND)
    assert first.exit_code == 0, first.output
    original = campaign_of(first)
    release = tmp_path / "releases" / "example.md"
    (tmp_path / "releases" / "reminder.md").write_text(
        release.read_text(encoding="utf-8").replace('subject: "Riverbend', 'subject: "Reminder: Riverbend'), encoding="utf-8"
    )
    follow = mailer("send", "releases/reminder.md", "--follow-up", original, "--who", "not-opened", "--yes", "--no-test-ok")
    assert follow.exit_code == 0, follow.output
    follow_up = campaign_of(follow)
    told = " ".join(mailer("contact", "j1@paper1.example").output.split())
    assert f"From: follow-up of {original} (lists/beat.csv, row 3)" in told, told
    piped = mailer("report", follow_up, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(piped.stdout))}
    assert rows["j1@paper1.example"]["list and row"] == f"lists/beat.csv:3 (follow-up of {original})", rows["j1@paper1.example"]
    assert rows["j5@paper5.example"]["list and row"] == f"lists/beat.csv:7 (follow-up of {original})", rows["j5@paper5.example"]


# -- 7. the recipients report lists the journalists of a request in flight as "planned" ----------


@pytest.mark.slow
def test_recipients_report_names_the_journalists_in_flight(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The laptop died while four requests waited for SendGrid's answer. The summary says "In
    flight, SendGrid's answer not logged 4 ... Not sent yet 2", `mailer contact` says of one of
    them "in flight (sent; SendGrid's answer not logged yet)". The recipients report she exports to
    see who may have it lists all six as "planned": the four who may already have the email cannot
    be told from the two who surely do not. Their state should say they were in flight."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1)
    standin.slow(10.0, times=4)
    campaign_id = killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 4)
    summary = " ".join(mailer("report", campaign_id).stdout.split())
    assert "In flight, SendGrid's answer not logged (see mailer status) │ 4" in summary, summary
    assert "Not sent yet (see mailer status) │ 2" in summary, summary
    piped = mailer("report", campaign_id, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    states = [row["state"] for row in csv.DictReader(io.StringIO(piped.stdout))]
    assert sorted(states) == ["in flight (SendGrid's answer not logged)"] * 4 + ["not sent yet (see mailer status)"] * 2, states


# -- 8. the report page of a send that mailed nobody opens with "sent <date>" --------------------


def test_report_page_of_a_stopped_send_does_not_say_sent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid was down from the first request: nobody got the release, and `mailer status` says
    "6 recipients have not been sent yet. Continue with: mailer resume". The report page she
    forwards opens with "Campaign ... · sent 2026-12-01 10:29": the director reads that it went
    out. The first line of a send that has not finished should say it was started, not sent."""
    campaign_id = stopped_after(tmp_path, standin, db_url, accepted=0)
    made = mailer("report", campaign_id, "--format", "html", "-o", "report.html")
    assert made.exit_code == 0, made.output
    meta = page_heading(tmp_path / "report.html")
    assert " · sent " not in meta, meta
    assert re.search(rf"Campaign {campaign_id} · started \d{{4}}-\d\d-\d\d \d\d:\d\d, not finished ·", meta), meta


# -- 9. a follow-up of a send that has not finished leaves its unsent journalists without a word --


def test_follow_up_of_an_unfinished_send_says_to_finish_it_first(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests; four journalists never got the release. Two days
    later, from her notes, she follows up those who did not open. The plan reads "Follow-up: 1 of
    6 journalists ... (not opened): 4 not sent, 1 opened": four of the six never had the release at
    all, and the follow-up ("did you see our release?") skips them without a word on how to reach
    them. It should warn that the original has not finished and name the resume that sends it."""
    original = stopped_after(tmp_path, standin, db_url)
    release = tmp_path / "releases" / "example.md"
    (tmp_path / "releases" / "reminder.md").write_text(
        release.read_text(encoding="utf-8").replace('subject: "Riverbend', 'subject: "Reminder: Riverbend'), encoding="utf-8"
    )
    planned = mailer("send", "releases/reminder.md", "--follow-up", original, "--who", "not-opened", "--dry-run")
    assert planned.exit_code == 0, planned.output
    words = " ".join(planned.output.split())
    assert "4 not sent" in words, planned.output
    assert f"4 journalists of {original} have not been sent the release yet" in words, planned.output
    assert f"mailer resume {original}" in words, planned.output


# -- 10. the overview's trend plots "0%" for a campaign whose rates are not known ----------------


def test_overview_trend_leaves_out_rates_nobody_can_know(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Two releases this month: the first was delivered to both journalists and one opened it; the
    second stopped at once, SendGrid down, and mailed nobody. The overview's table leaves the
    second's rates empty (nothing delivered, nothing to divide by), but its trend chart draws a
    point at 0% opened, 0% clicked and 0% bounced for it, and a line falling to it: the director
    reads a release nobody opened. A campaign without delivered (or accepted) emails has no rate
    to plot."""
    import json

    office(tmp_path, standin, db_url, sendgrid="retries = 0\n")  # the second stops at SendGrid's first 503, without waiting to retry
    first = mailer(*SEND)
    assert first.exit_code == 0, first.output
    sent = campaign_of(first)
    keys = {p["to"][0]["email"].lower(): p["custom_args"]["message"] for r in standin.mail_sends for p in r.body["personalizations"]}
    at = int(time.time())
    events = [
        {"email": email, "event": kind, "timestamp": at + n, "sg_event_id": f"{email}-{kind}", "campaign": sent, "message": key}
        for n, (email, key) in enumerate(sorted(keys.items()))
        for kind in ("delivered", *(("open",) if email.startswith("ana") else ()))
    ]
    (tmp_path / "events.json").write_text(json.dumps(events), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    release = tmp_path / "releases" / "example.md"
    (tmp_path / "releases" / "second.md").write_text(
        release.read_text(encoding="utf-8").replace('subject: "Riverbend', 'subject: "Second: Riverbend'), encoding="utf-8"
    )
    standin.answer(503, times=1_000)
    stopped = mailer("send", "releases/second.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    html = (tmp_path / "overview.html").read_text(encoding="utf-8")
    points = re.findall(r"<title>([^<]*)</title></circle>", html)
    assert any(title.startswith(f"{sent}: 50.0% opened by people") for title in points), points
    assert not [title for title in points if title.startswith(campaign_of(stopped))], points


# -- 11. a scheduled send cancelled after it stopped half-way: "SendGrid discarded the 6 it held" --


def test_cancelled_half_handed_send_says_how_many_sendgrid_held(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release was scheduled for tomorrow; SendGrid went away after taking two journalists'
    emails, so the send stopped with four never handed over. The embargo moves and she cancels.
    The report says "Cancelled before it went out: SendGrid discarded the 6 emails it held for
    ...", and `mailer status` "6 cancelled: SendGrid discards them instead of sending them at
    ...": SendGrid held two. Both should say two were held and four never handed over."""
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    campaign_id = stopped_after(tmp_path, standin, db_url, "--at", goes_out.isoformat())
    cancelled = mailer("cancel", campaign_id)  # the stand-in's 503s are for mail sends only
    assert cancelled.exit_code == 0, cancelled.output
    when = f"{goes_out:%Y-%m-%d %H:%M} UTC"
    report = " ".join(mailer("report", campaign_id).stdout.split())
    assert "Cancelled (never sent) │ 6" in report, report
    assert f"SendGrid discarded the 2 emails it held for {when}, and the other 4 were never handed to it" in report, report
    shown = " ".join(mailer("status", campaign_id).output.split())
    assert f"Recipients: 6 cancelled: SendGrid discards the 2 it holds instead of sending them at {when}" in shown, shown
    assert "the other 4 were never handed to it" in shown, shown


# -- 12. `mailer campaigns` shows a send whose rest was called off as complete --------------------


def test_campaigns_shows_the_journalists_called_off(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests and she called the rest off. `mailer campaigns`, the
    list she scans every morning, shows the send "done" with "2/2 accepted": a complete send to two
    journalists, though four of the six on the list were never mailed (`mailer status` says
    "Skipped: 4 called off"). The recipients column should name them."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    assert mailer("cancel", campaign_id).exit_code == 0
    [row] = [line for line in mailer("campaigns").output.splitlines() if line.startswith(campaign_id)]
    assert "2/2 accepted, 4 called off" in row, row
    import json

    [listed] = json.loads(mailer("campaigns", "--json").stdout)
    assert (listed["accepted"], listed["skipped"], listed["called_off"]) == (2, 4, 4), listed


# -- 13. the recipients report of a send SendGrid still holds lists everyone as "accepted" --------


def test_recipients_report_of_a_held_send_says_sendgrid_holds_them(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release goes out tomorrow at 06:00; her director wants the list of who gets it. The
    recipients report (CSV, XLSX) lists each journalist as "accepted", which reads as sent,
    while `mailer contact` says of each "scheduled: SendGrid holds it until ...; not sent yet" and
    the summary "nothing has gone out yet". Each row's state should say SendGrid holds it."""
    office(tmp_path, standin, db_url)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", goes_out.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    told = " ".join(mailer("contact", "ana@daily.example").output.split())
    assert f"scheduled: SendGrid holds it until {goes_out:%Y-%m-%d %H:%M} UTC; not sent yet" in told, told
    piped = mailer("report", campaign_id, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    states = {row["email"]: row["state"] for row in csv.DictReader(io.StringIO(piped.stdout))}
    held = f"scheduled: SendGrid holds it until {goes_out:%Y-%m-%d %H:%M} UTC"
    assert states == {"ana@daily.example": held, "ben@gazette.example": held}, states


# -- 14. `mailer contact` says "planned" for a journalist a stopped send never mailed -------------


def test_contact_of_a_journalist_a_stopped_send_never_mailed_says_not_sent_yet(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests. An editor whose address was further down the list
    calls: did we send it? `mailer contact` answers "Outcome: planned", a word of the log's own:
    planned for when? The report counts her under "Not sent yet" and status says "Continue with:
    mailer resume". Contact should say she has not been sent it yet, and how to go on."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    told = mailer("contact", "j5@paper5.example")
    assert told.exit_code == 0, told.output
    outcome = " ".join(told.output.split())
    assert "Outcome: planned" not in outcome, told.output
    assert f"Outcome: not sent yet (the send stopped; mailer resume {campaign_id} sends it)" in outcome, told.output


# -- 15. `mailer report --kind bounces` of a held send: "No bounces recorded yet", and no why ------


def test_report_kinds_on_the_terminal_say_the_notes_under_the_summary(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release goes out tomorrow. She checks the bounces: "No bounces recorded for ... yet."
    and nothing else, as for a send that went out cleanly; the HTML page of the same report says
    "SendGrid holds these emails until ...: nothing has gone out yet" whatever its --kind, and so
    does the summary on the terminal. Every kind on the terminal should say it too."""
    office(tmp_path, standin, db_url)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", goes_out.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    held = f"SendGrid holds these emails until {goes_out:%Y-%m-%d %H:%M} UTC: nothing has gone out yet"
    for kind in ("bounces", "recipients"):
        shown = mailer("report", campaign_id, "--kind", kind)
        assert shown.exit_code == 0, shown.output
        assert held in " ".join(shown.stdout.split()), (kind, shown.output)
