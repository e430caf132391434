"""Review 16r: a hostile read of the day's report changes (newcomer 16, fix16b).

Each test is a finding: what a press officer (or a stranger whose data lands in a report) would
notice, asserted as it should be; each failed before its fix (session 16).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import (
    SEND,
    SIX,
    campaign_of,
    killed,
    mailer,
    office,
    page_heading,
    page_text,
    release_named,
    send_under_way,
    stopped_after,
)

# -- 1. a follow-up of a follow-up names a log number as the list row ---------------------------


def test_follow_up_of_a_follow_up_names_the_list_row(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She sends the release, follows up those who did not open, then follows up the follow-up.
    The second follow-up's recipients report gives Jo1's "list and row" as
    "2026-12-01-example:2 (follow-up of 2026-12-01-reminder)": a number of the log's own, read as
    row 2 of a list named after the first campaign (Jo1 is row 3 of lists/beat.csv), the very
    thing newcomer 16 #6 fixed for a first follow-up; `mailer contact` says "follow-up of
    2026-12-01-reminder (2026-12-01-example, row 2)". Both should name lists/beat.csv, row 3."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=10)
    first = mailer(*SEND)
    assert first.exit_code == 0, first.output
    original = campaign_of(first)
    once = mailer("send", release_named(tmp_path, "reminder"), "--follow-up", original, "--who", "not-opened", "--yes", "--no-test-ok")
    assert once.exit_code == 0, once.output
    reminder = campaign_of(once)
    twice = mailer("send", release_named(tmp_path, "last"), "--follow-up", reminder, "--who", "not-opened", "--yes", "--no-test-ok")
    assert twice.exit_code == 0, twice.output
    last = campaign_of(twice)
    piped = mailer("report", last, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(piped.stdout))}
    assert rows["j1@paper1.example"]["list and row"] == f"lists/beat.csv:3 (follow-up of {reminder})", rows["j1@paper1.example"]
    assert rows["j5@paper5.example"]["list and row"] == f"lists/beat.csv:7 (follow-up of {reminder})", rows["j5@paper5.example"]
    told = " ".join(mailer("contact", "j1@paper1.example").output.split())
    assert f"From: follow-up of {reminder} (lists/beat.csv, row 3)" in told, told
    assert f"From: follow-up of {original} (lists/beat.csv, row 3)" in told, told


# -- 2. the page of a send cancelled before anything went out opens with "sent <time>" -----------


def test_report_page_of_a_cancelled_send_does_not_say_sent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid was down from the first request; she cancels the send (`Cancelled ...: none of its
    6 journalists was sent anything`). The report page she forwards opens with "Campaign ... · sent
    2026-12-01 10:29": the director reads that it went out, though the note under it says nobody
    received it. A stopped send now reads "started ..., not finished" (newcomer 16 #8), a
    cancelled scheduled one "was due ..., cancelled"; a cancelled one should not read "sent"."""
    campaign_id = stopped_after(tmp_path, standin, db_url, accepted=0)
    cancelled = mailer("cancel", campaign_id)
    assert cancelled.exit_code == 0, cancelled.output
    made = mailer("report", campaign_id, "--format", "html", "-o", "report.html")
    assert made.exit_code == 0, made.output
    meta = page_heading(tmp_path / "report.html")
    assert " · sent " not in meta, meta
    assert re.search(rf"Campaign {campaign_id} · started \d{{4}}-\d\d-\d\d \d\d:\d\d, cancelled ·", meta), meta


# -- 3. the overview says nothing of the journalists a cancel called off -------------------------


def test_overview_says_which_journalists_were_called_off(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests; she called the rest off (`mailer cancel`: "4
    journalists it had not mailed yet will not be"). `mailer campaigns` reads "2/2 accepted, 4
    called off" and `mailer status` "4 journalists were called off (mailer cancel) and never
    mailed" (newcomer 16 #3, #12). The quarter's overview page for the director shows the row with
    "recipients 2" and its rates, and the command "Wrote the overview of 1 campaign": nothing on
    the page or the terminal says four journalists of the list never got the release, where a
    send stopped half-way gets a "Not finished" line on both (newcomer 16 #4, fix16b #4)."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    called_off = mailer("cancel", campaign_id)
    assert called_off.exit_code == 0 and "4 journalists it had not mailed yet" in called_off.output, called_off.output
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    said = " ".join(made.output.split())
    line = f"{campaign_id}: 4 journalists were called off (mailer cancel) and never mailed."
    assert f"Called off: {line}" in said, said
    seen = page_text(tmp_path / "overview.html")
    assert f"| 2 | {campaign_id} |" in seen, seen  # its row, as before
    assert f"Called off {line}" in seen, seen


# -- 6. status of a dry run scheduled for later says SendGrid holds its emails -------------------


def test_status_of_a_scheduled_dry_run_does_not_say_sendgrid_holds_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She rehearses tomorrow's embargoed send with --dry-run --at; the command says "This was a
    dry run: nothing was sent". `mailer status` then reads "SendGrid holds these emails until
    2026-12-02 07:00 UTC. To call the send off (up to 10 minutes before): mailer cancel ...": she
    believes the release is queued at SendGrid (and may skip the real send), or cancels a send that
    never existed. A dry run's emails were written to files; SendGrid holds nothing."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=10)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    rehearsed = mailer(*SEND, "--dry-run", "--at", goes_out.isoformat())
    assert rehearsed.exit_code == 0 and "nothing was sent" in rehearsed.output, rehearsed.output
    campaign_id = campaign_of(rehearsed)
    shown = " ".join(mailer("status", campaign_id).output.split())
    assert "6 written (a dry run: nothing was sent)" in shown, shown
    assert "SendGrid holds" not in shown, shown
    assert "mailer cancel" not in shown, shown
    assert not standin.mail_sends


# -- 7. status of a sandbox rehearsal called off half-way says the others were sent to -----------


def test_status_of_a_sandbox_rehearsal_called_off_does_not_say_the_others_had_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A rehearsal in SendGrid's sandbox (delivered to nobody) stopped after two requests; she
    calls the rest off. `mailer status` reads "4 journalists were called off (mailer cancel) and
    never mailed. A new send of this release reaches them, skipping those who had it: ..." then
    "Everyone else was sent to.": she reads that two journalists have the release, while nobody
    has it and a new send mails all six (it skips nobody)."""
    campaign_id = stopped_after(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    called_off = mailer("cancel", campaign_id)
    assert called_off.exit_code == 0, called_off.output
    shown = " ".join(mailer("status", campaign_id).output.split())
    assert "Everyone else was sent to" not in shown, shown
    assert "skipping those who had it" not in shown, shown
    assert "All sent" not in shown, shown
    assert "4 journalists were called off (mailer cancel)." in shown, shown
    assert "delivered to nobody: a new send of this release reaches every journalist on the list" in shown, shown


# -- 8. the outlets report of a cancelled send says each address is "not known to be mailed" -----


def test_outlets_report_of_a_cancelled_send_does_not_doubt_who_was_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid was down from the first request and she cancelled the send: nobody was mailed, as
    the report's note says ("none of its 6 emails was sent, so no journalist received it"). The
    outlets report (terminal, CSV, XLSX, page) gives every outlet the note "1 of 1 not known to
    be mailed", as if some might have been: it is known that none was."""
    campaign_id = stopped_after(tmp_path, standin, db_url, accepted=0)
    assert mailer("cancel", campaign_id).exit_code == 0
    piped = mailer("report", campaign_id, "--kind", "outlets", "-o", "-")
    assert piped.exit_code == 0, piped.output
    rows = list(csv.DictReader(io.StringIO(piped.stdout)))
    assert len(rows) == 12 and all(row["note"] == "" for row in rows), rows
    made = mailer("report", campaign_id, "-o", "report.html")
    assert made.exit_code == 0, made.output
    assert "not known to be mailed" not in page_text(tmp_path / "report.html")


# -- 9. contact promises a resume mails a journalist who unsubscribed since ----------------------


def test_contact_does_not_promise_a_resume_mails_a_journalist_suppressed_since(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests. Jo4 phones: she wants no more releases, and the
    press officer adds her to the suppressions. Asked later whether Jo4 will get this one, `mailer
    contact` says "Outcome: not sent yet (the send stopped; mailer resume CAMPAIGN sends it)",
    while `mailer status` says "A resume now would mail 3 journalists of them: 1 journalist
    suppressed since it was planned" (and a resume does skip her). Contact should say the same."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    assert mailer("suppressions", "add", "j4@paper4.example", "--reason", "unsubscribe").exit_code == 0
    status = " ".join(mailer("status", campaign_id).output.split())
    assert "1 journalist suppressed since it was planned" in status, status
    told = " ".join(mailer("contact", "j4@paper4.example").output.split())
    assert f"mailer resume {campaign_id} sends it" not in told, told
    assert f"Outcome: not sent yet (the send stopped; suppressed since it was planned, so mailer resume {campaign_id} skips it)" in told
    other = " ".join(mailer("contact", "j5@paper5.example").output.split())  # not suppressed: as before
    assert f"Outcome: not sent yet (the send stopped; mailer resume {campaign_id} sends it)" in other, other


# -- 10. a follow-up of a send killed with requests in flight: "6 not sent" beside "2 have not been sent"


@pytest.mark.slow
def test_follow_up_plan_of_a_killed_send_accounts_for_the_journalists_in_flight(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The laptop died while four requests waited for SendGrid's answer; two journalists were never
    reached. `mailer status` says "4 recipients were on their way to SendGrid ... they may already
    have the email" and "2 recipients have not been sent yet". The follow-up's plan reads
    "Follow-up: 0 of 6 journalists ... (not opened): 6 not sent" and warns "2 journalists of ...
    have not been sent the release yet": six or two? Nothing says what became of the other four.
    The warning should name them, in status's words."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1)
    standin.slow(10.0, times=4)
    campaign_id = killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 4)
    status = " ".join(mailer("status", campaign_id).output.split())
    assert "4 recipients were on their way to SendGrid" in status and "2 recipients have not been sent yet" in status, status
    planned = mailer("send", release_named(tmp_path, "reminder"), "--follow-up", campaign_id, "--who", "not-opened", "--dry-run")
    said = " ".join(planned.output.split())
    assert f"2 journalists of {campaign_id} have not been sent the release yet" in said, said
    assert "4 more were on their way to SendGrid when it stopped" in said, said
    assert f"mailer status {campaign_id}" in said, said


# -- 11. contact of a journalist a send still under way has not reached reads "planned" ----------


@pytest.mark.slow
def test_contact_of_a_journalist_a_running_send_has_not_reached_yet(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send is under way in another terminal (SendGrid slow today). An editor phones: has Jo5
    had it? `mailer contact` says "Outcome: planned", the log's own word, which newcomer 16 #14
    replaced for a stopped send ("not sent yet (the send stopped; ...)"): she cannot tell a send
    still going from one waiting for her. It should say not sent yet, the send is going on now."""
    with send_under_way(tmp_path, standin, db_url, slow=3.0):
        told = " ".join(mailer("contact", "j5@paper5.example").output.split())
    assert "Outcome: planned" not in told, told
    assert "Outcome: not sent yet (the send is going on now; mailer status" in told, told


# -- 12. the report of a send whose rest was called off says nothing of it under the figures -----


def test_report_of_a_send_called_off_half_way_says_so_under_the_figures(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After calling off the rest of a send that stopped half-way, she exports the report for the
    director: "Planned recipients 2", "Skipped: called off 4", and nothing under the figures,
    where the overview, `mailer campaigns` and `mailer status` all say four journalists never got
    the release and how to reach them. The report (terminal, CSV, JSON, page) should say it too."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    assert mailer("cancel", campaign_id).exit_code == 0
    note = f"4 journalists were called off (mailer cancel) and never mailed. mailer status {campaign_id} says how to reach them."
    on_screen = " ".join(mailer("report", campaign_id).stdout.split())
    assert note in on_screen, on_screen
    piped = mailer("report", campaign_id, "-o", "-")
    assert [note, "", "", campaign_id] in [row[:4] for row in csv.reader(io.StringIO(piped.stdout))], piped.stdout  # then the subject
    as_json = mailer("report", campaign_id, "--format", "json", "-o", "-")
    assert note in json.loads(as_json.stdout)["notes"], as_json.stdout
    assert mailer("report", campaign_id, "-o", "report.html").exit_code == 0
    assert note in page_text(tmp_path / "report.html")
