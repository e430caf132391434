"""Fix 15f: leftovers of newcomer trial 15 around sends that stopped and scheduled sends.

A send killed while its last request waited for SendGrid, then cancelled; a scheduled send
resumed after its time; `mailer status` of a killed scheduled send; the HTML report of a send
SendGrid still holds. SendGrid is the local stand-in; a crash is a real process killed.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, mailer, office, said
from send_fixtures import send_running

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")


def killed(tmp_path: Path, standin: Any, until: Callable[[], bool], args: tuple[str, ...] = SEND) -> str:
    """``mailer ARGS`` in a process of its own, killed with SIGKILL once ``until()`` holds (and a
    moment more, for its request to be listed in flight): the campaign's id."""
    with send_running(tmp_path, standin, KEY, args) as process:
        deadline = time.time() + 30
        while not until() and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    standin.reset()
    listed = mailer("campaigns")
    match = re.search(r"^(\d{4}-\d\d-\d\d-example)\s", listed.output, re.MULTILINE)
    assert match, listed.output
    return match.group(1)


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
