"""Review 24s: the send's promises under schedules, crashes and races, tried from the outside.

A follow-up of a scheduled send SendGrid still holds went out at once: the reminder reached every
journalist hours before the release it reminds them of.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from office_cli import SEND, campaign_of, mailed, mailer, office, release_named, said


def test_a_follow_up_of_a_send_sendgrid_still_holds_is_refused_until_its_time(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A follow-up plans from what the original's journalists did with it; before the original's
    scheduled time nobody has it, so "not opened" is everyone, and a follow-up sent now reaches
    them before the release itself. It is refused until that time (a dry run says so)."""
    office(tmp_path, standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(hours=2):%Y-%m-%d %H:%M} UTC"
    original = campaign_of(mailer(*SEND, "--at", at))
    reminder = release_named(tmp_path, "reminder")
    before = mailed(standin)
    followed = mailer("send", reminder, "--follow-up", original, "--who", "not-opened", "--yes", "--no-test-ok")
    assert followed.exit_code == 1, followed.output
    assert mailed(standin) == before, "the reminder went out before the release"
    words = (
        f"{original} has not gone out yet: SendGrid holds it until {at}, so none of its journalists has it, and nobody "
        "can know who opened or received it. A follow-up now would reach them before the release itself."
    )
    assert f"Error: {words} Nothing was logged or sent." in said(followed)
    assert f"Plan the follow-up after {at}, once SendGrid's events of {original} are in" in said(followed)
    at_later = f"{datetime.now(UTC) + timedelta(hours=5):%Y-%m-%d %H:%M} UTC"
    later = mailer("send", reminder, "--follow-up", original, "--who", "not-opened", "--yes", "--no-test-ok", "--at", at_later)
    assert later.exit_code == 1 and mailed(standin) == before, later.output  # chosen now, from nothing: everyone
    dry = mailer("send", reminder, "--follow-up", original, "--who", "not-opened", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"Warning: {words} A live follow-up is refused until then." in said(dry)
