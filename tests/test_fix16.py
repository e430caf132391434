"""Fix 16: leftovers of session 15.

A scheduled send killed while its last request waited for SendGrid, cancelled after its time; the
delivery log's upgrade that marks events of another log, silent for minutes on a large log;
`mailer preview`'s warning of a release field close to a standard column name. SendGrid is the
local stand-in; a crash is a real process killed.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, campaign_of, mailer, office, said
from send_fixtures import send_running

from mailer.send import campaign as campaign_module
from mailer.send import schedule
from mailer.send import status as status_module

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
# Six journalists, one request each.
SIX = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i}.example,Jo{i},Doe,Paper {i}\n" for i in range(6))


def killed(tmp_path: Path, standin: Any, until: Callable[[], bool], args: tuple[str, ...]) -> str:
    """``mailer ARGS`` in a process of its own, killed with SIGKILL once ``until()`` holds (and a
    moment more, for its request to be listed in flight): the campaign's id."""
    with send_running(tmp_path, standin, KEY, args) as process:
        deadline = time.time() + 30
        while not until() and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    standin.scripts.clear()  # SendGrid answers again, the batch id of a scheduled send kept
    standin.requests.clear()
    listed = mailer("campaigns")
    match = re.search(r"^(\d{4}-\d\d-\d\d-example)\s", listed.output, re.MULTILINE)
    assert match, listed.output
    return match.group(1)


def after_its_time(monkeypatch: pytest.MonkeyPatch, goes_out: datetime) -> None:
    """Every command from now on runs an hour after the send's time."""
    later = goes_out + timedelta(hours=1)
    monkeypatch.setattr(campaign_module, "utcnow", lambda: later)
    monkeypatch.setattr(status_module, "utcnow", lambda: later)


# -- 1. cancel, after its time, of a scheduled send killed in its last request: "gone out already" --


@pytest.mark.slow
def test_cancel_after_its_time_of_a_scheduled_send_killed_in_its_last_request(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release was scheduled for 18:00, six journalists, one request each: five accepted, then
    the laptop died while the last request waited for SendGrid's answer. After 18:00 she runs
    `mailer cancel`: "... was scheduled for ...; it has gone out already.", where `mailer status`
    says the last journalist was on the way to SendGrid and may or may not have the email. The
    cancel says what status says: the five went out at that time, the last one's fate is unknown
    (marked so, the campaign done, as a cancel of any send killed in its last request leaves it),
    and what settles it; status then agrees."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    standin.slow(10.0, times=1, match=lambda r: len(standin.mail_sends) >= 6)
    campaign_id = killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 6, (*SEND, "--at", goes_out.isoformat()))
    after_its_time(monkeypatch, goes_out)
    before = said(mailer("status", campaign_id))
    assert "1 recipient was on their way to SendGrid" in before and "they may already have the email" in before, before
    cancelled = mailer("cancel", campaign_id)
    words = said(cancelled)
    assert cancelled.exit_code == 0, cancelled.output
    assert "gone out already" not in words, cancelled.output
    at = schedule.describe(goes_out)
    assert f"The emails of 5 journalists were with SendGrid for {at} and went out then" in words, cancelled.output
    assert "The last journalist was on their way to SendGrid when the send stopped" in words, cancelled.output
    assert "1 recipient is unknown" in words and "they may already have the email" in words, cancelled.output
    assert f"mailer resume {campaign_id} --resend-unknown" in words, cancelled.output
    shown = mailer("status", campaign_id)
    assert "Recipients: 5 accepted, 1 unknown" in shown.output, shown.output
    assert f"Campaign:  {campaign_id} (live, done)" in shown.output, shown.output
    assert "1 recipient is unknown" in said(shown), shown.output
    assert not standin.mail_sends, "nobody mailed again"


def test_cancel_after_its_time_of_a_scheduled_send_with_unknown_journalists(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled send where SendGrid's gateway answered 502 for one request: that journalist is
    unknown. After its time, `mailer cancel` said "it has gone out already" of all of it; it says
    nothing is left to cancel, and of the unknown journalist what `mailer status` says."""
    office(tmp_path, standin, db_url, batch_size=1, sendgrid="retries = 0\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    standin.answer(502, times=1)
    sent = mailer(*SEND, "--at", goes_out.isoformat())
    assert sent.exit_code == 3, sent.output
    campaign_id = campaign_of(sent)
    after_its_time(monkeypatch, goes_out)
    cancelled = mailer("cancel", campaign_id)
    words = said(cancelled)
    assert cancelled.exit_code == 1, cancelled.output
    assert "gone out already" not in words, cancelled.output
    assert "1 recipient is unknown" in words and "they may already have the email" in words, cancelled.output
    assert f"mailer resume {campaign_id} --resend-unknown" in words, cancelled.output
    assert "1 recipient is unknown" in said(mailer("status", campaign_id))
