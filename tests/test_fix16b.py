"""Fix 16b: what the newcomer's pass (tests/test_newcomer16.py) left, each as the press officer sees it.

The overview's "emails SendGrid holds" of a scheduled send that stopped, the outlets report's
bounce rate of an outlet not every address of which was mailed, `mailer campaigns` of a paused
scheduled send, and the terminal's word on an overview with campaigns not finished. SendGrid is
the local stand-in; each test failed before its fix.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from office_cli import campaign_of, mailer, office, page_text, stopped_after
from openpyxl import load_workbook

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
SIX = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i}.example,Jo{i},Doe,Paper {i}\n" for i in range(6))
ONE_BY_ONE = "retries = 0\nconcurrency = 1\n"


def stopped_scheduled(tmp_path: Path, standin: Any, db_url: str, *, unknown: bool = False) -> tuple[str, datetime]:
    """Six journalists scheduled for 20 hours from now, one request each; SendGrid takes two, then
    (``unknown``) its gateway answers 502 to the third, then it goes away (503): the send stops,
    paused. The campaign's id and its time."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid=ONE_BY_ONE)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    if unknown:
        standin.answer(502, times=1, match=lambda r: len(standin.mail_sends) >= 3)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= (4 if unknown else 3))
    stopped = mailer(*SEND, "--at", goes_out.isoformat())
    assert stopped.exit_code == 1, stopped.output
    return campaign_of(stopped), goes_out


# -- 1. the overview's "emails SendGrid holds" leaves out those SendGrid may hold -----------------


def test_overview_says_which_emails_sendgrid_may_also_hold(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for tomorrow; SendGrid took two emails, its gateway answered 502 to
    the third, then it went away. `mailer status` says "SendGrid holds these emails until ..." and
    "1 recipient is unknown: ... they may already be with SendGrid". The overview's "Scheduled for
    later" table said "emails SendGrid holds 2" and nothing of the third, which may go out with them.
    It should say the two it holds and the one it may hold, in status's words."""
    campaign_id, goes_out = stopped_scheduled(tmp_path, standin, db_url, unknown=True)
    shown = " ".join(mailer("status", campaign_id).output.split())
    assert f"SendGrid holds these emails until {goes_out:%Y-%m-%d %H:%M} UTC" in shown, shown
    assert "2 accepted" in shown and "1 unknown" in shown and "they may already be with SendGrid" in shown, shown
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    seen = page_text(tmp_path / "overview.html")
    assert "| emails SendGrid holds | may already be with SendGrid (no answer logged) | status |" in seen, seen
    assert f"| 6 | 2 | 1 | paused | {campaign_id} |" in seen, seen
    assert "may already be with SendGrid, held until the time shown" in seen, seen


# -- 2. an outlet whose only mailed address bounced reads 50%, unflagged ---------------------------


def test_outlets_bounce_rate_is_of_the_addresses_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The Gazette has two addresses on the list. SendGrid took the first two requests and then went
    away, so the Gazette's second address was never mailed; the first bounced. The outlets report
    read "recipients 2, bounced 1, bounce rate 50%", no flag: the press officer reads half the
    Gazette's addresses as good. Its rate should be of those mailed (100%), flagged, and say one
    was not mailed; the same on the terminal, in CSV, XLSX and the page."""
    beat = (
        "Email,First Name,Last Name,Outlet\n"
        "ana@gazette.example,Ana,Lima,The Gazette\n"
        "ben@daily.example,Ben,Okafor,Daily News\n"
        "cy@gazette.example,Cy,Ray,The Gazette\n"
    )
    campaign_id = stopped_after(tmp_path, standin, db_url, beat=beat)
    keys = {
        p["to"][0]["email"].lower(): p["custom_args"]["message"]
        for r in standin.mail_sends
        if r.status == 202
        for p in r.body["personalizations"]
    }
    assert sorted(keys) == ["ana@gazette.example", "ben@daily.example"], keys
    event = {
        "email": "ana@gazette.example",
        "event": "bounce",
        "type": "bounce",
        "reason": "550 5.1.1 no such user",
        "timestamp": int(time.time()),
        "sg_event_id": "ana-bounce",
        "campaign": campaign_id,
        "message": keys["ana@gazette.example"],
    }
    (tmp_path / "events.json").write_text(json.dumps([event]), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    note = "every address mailed bounced; 1 of 2 not known to be mailed"

    piped = mailer("report", campaign_id, "--kind", "outlets", "-o", "-")
    assert piped.exit_code == 0, piped.output
    rows = {(row["by"], row["outlet or domain"]): row for row in csv.DictReader(io.StringIO(piped.stdout))}
    gazette = rows[("outlet", "The Gazette")]
    assert (gazette["recipients"], gazette["bounced"], gazette["bounce rate"], gazette["note"]) == ("2", "1", "100.0%", note), gazette
    assert rows[("domain", "gazette.example")]["note"] == note, rows
    daily = rows[("outlet", "Daily News")]
    assert (daily["bounce rate"], daily["note"]) == ("0.0%", ""), daily

    assert mailer("report", campaign_id, "--kind", "outlets", "-o", "outlets.xlsx").exit_code == 0
    sheet = load_workbook(tmp_path / "outlets.xlsx").active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    [first] = [row for row in values if row[1] == "The Gazette"]
    assert first[8:-2] == [1.0, note], first  # then campaign and subject

    terminal = " ".join(mailer("report", campaign_id, "--kind", "outlets", "--wide").stdout.split())
    assert f"100.0% │ {note} ⚠" in terminal, terminal

    assert mailer("report", campaign_id, "--format", "html", "-o", "report.html").exit_code == 0
    seen = page_text(tmp_path / "report.html")
    assert f"| outlet | The Gazette | 2 | 0 | 1 | 0 | 0 | 0 | 100.0% | {note} |" in seen, seen
    assert "Every address mailed bounced at 1 outlet and 1 domain, highlighted below." in seen, seen
    raw = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<tr class="alert"><td>(?:outlet|domain)</td><td[^>]*>(?:The Gazette|gazette\.example)</td>', raw)) == 2, raw


# -- 3. `mailer campaigns` shows a paused scheduled send as plain "paused" -------------------------


def test_campaigns_shows_when_a_paused_send_was_scheduled_for(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for tomorrow morning; SendGrid went away after two requests, so the
    send is paused. `mailer status` says "(live, paused)" and "Scheduled: <time>"; the morning list,
    `mailer campaigns`, said "paused" and nothing else, like any send stopped half-way that goes
    out the moment it is resumed. It should say it is scheduled, and for when."""
    campaign_id, goes_out = stopped_scheduled(tmp_path, standin, db_url)
    when = f"{goes_out:%Y-%m-%d %H:%M} UTC"
    assert f"Scheduled: {when}" in mailer("status", campaign_id).output
    listed = mailer("campaigns", "--limit", "1")
    assert listed.exit_code == 0, listed.output
    words = " ".join(listed.output.split())
    assert f"paused, scheduled for {when}" in words, listed.output


# -- 4. the terminal says nothing of campaigns not finished, which the overview page names --------


def test_overview_on_the_terminal_names_the_campaigns_not_finished(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests; four journalists wait for `mailer resume`. She makes
    the quarter's overview: the page has a "Not finished" line for that send, but the terminal said
    only "Wrote the overview of 1 campaign (all time) to ...", so she mails it on without resuming.
    The terminal should say it too, and what to do."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    said = " ".join(made.output.split())
    line = (
        f"Not finished: {campaign_id}: This send has not finished: 4 recipients have not been sent yet. "
        f"mailer status {campaign_id} says whether it is still going and how to finish it."
    )
    assert line in said, made.output
    assert line.removeprefix("Not finished: ") in page_text(tmp_path / "overview.html")


def test_overview_names_a_scheduled_send_not_finished_too(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A scheduled send that stopped half-way is listed under "Scheduled for later", as paused; the
    terminal and the page name it as not finished, as they do a send in the totals."""
    campaign_id, _ = stopped_scheduled(tmp_path, standin, db_url)
    made = mailer("report", "--overview", "-o", "overview.html")
    assert made.exit_code == 0, made.output
    said = " ".join(made.output.split())
    assert f"Not finished: {campaign_id}: This send has not finished: 4 recipients have not been sent yet." in said, made.output
    seen = page_text(tmp_path / "overview.html")
    assert f"Not finished {campaign_id}: This send has not finished: 4 recipients" in seen, seen
