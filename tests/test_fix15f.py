"""Fix 15f: leftovers of newcomer trial 15 around sends that stopped and scheduled sends.

A send killed while its last request waited for SendGrid, then cancelled; a scheduled send
resumed after its time; `mailer status` of a killed scheduled send; the HTML report of a send
SendGrid still holds. SendGrid is the local stand-in; a crash is a real process killed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, SIX, campaign_of, killed, mailer, office, said, stopped_after

from mailer.send import schedule

# -- 1. cancel of a send killed in its last request: "nothing to cancel", left paused ----------


@pytest.mark.slow
def test_cancel_of_a_send_killed_in_its_last_request_settles_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """One request for both journalists; SendGrid is slow to answer and the process is killed
    meanwhile. Nobody is left planned outside that request. `mailer cancel` answered "has nobody
    left to send to, so there is nothing to cancel" and left the campaign paused with both listed
    in flight. It marks them unknown, as a resume does (delivery.settle), ends the campaign, and
    says they may have the email and that SendGrid's events settle them."""
    office(tmp_path, standin, db_url)
    standin.slow(10.0, times=1)
    campaign_id = killed(tmp_path, standin, lambda: bool(standin.mail_sends))
    assert "2 recipients were on their way" in said(mailer("status", campaign_id))
    cancelled = mailer("cancel", campaign_id)
    assert cancelled.exit_code == 0, cancelled.output
    words = said(cancelled)
    assert "nothing to cancel" not in words, cancelled.output
    assert "may already have the email" in words and "SendGrid's events" in words, cancelled.output
    assert f"mailer resume {campaign_id} --resend-unknown" in words, cancelled.output
    shown = mailer("status", campaign_id)
    assert "Recipients: 2 unknown" in shown.output, shown.output
    assert f"Campaign:  {campaign_id} (live, done)" in shown.output, shown.output
    [row] = [line for line in mailer("campaigns").output.splitlines() if line.startswith(campaign_id)]
    assert re.split(r" {2,}", row)[2] == "done", row
    assert len(standin.mail_sends) == 0, "nobody mailed again"


# -- 2. resume of a scheduled send after its time: it sends at once without a word --------------


def test_resume_after_the_time_of_a_scheduled_send_says_it_goes_out_now(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release was scheduled for 09:00; SendGrid went away after two requests. She resumes at
    11:00: the rest goes out at once (SendGrid sends a past send_at straight away), and nothing
    said so. Before the question, the resume says the time has passed and the rest goes out now,
    not at that time; --yes still goes ahead."""
    from mailer.cli import send as cli_send

    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    campaign_id = stopped_after(tmp_path, standin, db_url, "--at", goes_out.isoformat())
    standin.scripts.clear()  # SendGrid is back (its batch id kept)
    before = len(standin.mail_sends)
    monkeypatch.setattr(cli_send, "_log_now", lambda *_: goes_out + timedelta(hours=2))
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert len(standin.mail_sends) - before == 4, resumed.output
    words = said(resumed)
    passed = f"{campaign_id} was scheduled for {schedule.describe(goes_out)}; that time has passed"
    assert passed in words, resumed.output
    assert "the rest goes out now, not at that time" in words, resumed.output
    assert words.index(passed) < words.index("Accepted:"), resumed.output


def test_resume_after_the_time_of_a_scheduled_send_says_so_before_the_question(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --yes, the words come before the question, so a "no" keeps the rest unsent."""
    from mailer.cli import output
    from mailer.cli import send as cli_send

    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    campaign_id = stopped_after(tmp_path, standin, db_url, "--at", goes_out.isoformat())
    standin.scripts.clear()
    before = len(standin.mail_sends)
    said_first: list[str] = []
    warn = output.warn
    monkeypatch.setattr(cli_send, "_log_now", lambda *_: goes_out + timedelta(minutes=5))
    monkeypatch.setattr(cli_send, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(output, "warn", lambda message: said_first.append(message) or warn(message))
    monkeypatch.setattr(output, "confirm", lambda question: said_first.append(f"question: {question}") and False)
    refused = mailer("resume", campaign_id)
    assert refused.exit_code == 0 and len(standin.mail_sends) == before, refused.output
    assert said_first[-1].startswith("question: Send"), said_first
    assert any("that time has passed, so the rest goes out now" in message for message in said_first[:-1]), said_first


# -- 3. status of a killed scheduled send: "may already have the email" beside "SendGrid holds" ---


@pytest.mark.slow
def test_status_of_a_killed_scheduled_send_says_in_flight_ones_are_held(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled for tomorrow morning, six journalists, one request each: two accepted,
    then the process is killed while the next requests wait for SendGrid. `mailer status` said
    "SendGrid holds these emails until ..." and, of those in flight, "they may already have the
    email": nobody has it before that time. It says they may already be with SendGrid, held until
    then; so does the step on unknown recipients once a resume has marked them so."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    standin.slow(10.0, times=1, match=lambda r: len(standin.mail_sends) >= 3)
    campaign_id = killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 3, (*SEND, "--at", goes_out.isoformat()))
    shown = mailer("status", campaign_id)
    words = said(shown)
    assert "SendGrid holds these emails until" in words, shown.output
    assert "1 recipient was on their way to SendGrid" in words, shown.output
    assert "may already have the email" not in words, shown.output
    assert f"they may already be with SendGrid, held until {goes_out:%Y-%m-%d %H:%M} UTC" in words, shown.output
    resumed = mailer("resume", campaign_id, "--yes")  # the rest handed over; the one in flight becomes unknown
    assert resumed.exit_code == 3 and "Accepted:   5" in resumed.output, resumed.output
    shown = mailer("status", campaign_id)
    words = said(shown)
    assert "SendGrid holds these emails until" in words and "1 recipient is unknown" in words, shown.output
    assert "may already have the email" not in words, shown.output
    assert f"so they may already be with SendGrid, held until {goes_out:%Y-%m-%d %H:%M} UTC" in words, shown.output


# -- 4. the HTML report of a send SendGrid still holds says "nothing has gone out yet" twice ----


def test_the_page_of_a_held_send_says_nothing_has_gone_out_once(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The page's first line said "scheduled for ... (SendGrid holds it until then; nothing has
    gone out yet)" and the note under it "SendGrid holds these emails until ...: nothing has gone
    out yet, so ...". Once is enough."""
    office(tmp_path, standin, db_url)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", goes_out.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    page = tmp_path / "report.html"
    made = mailer("report", campaign_of(scheduled), "--format", "html", "-o", str(page))
    assert made.exit_code == 0, made.output
    html = page.read_text(encoding="utf-8")
    assert html.count("nothing has gone out yet") == 1, html
    assert f"scheduled for {goes_out:%Y-%m-%d %H:%M}" in html, html
    assert f"SendGrid holds these emails until {goes_out:%Y-%m-%d %H:%M} UTC" in html, html
