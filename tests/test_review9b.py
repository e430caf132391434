"""Review 9b: today's changes (forget, cancelled and scheduled sends, language names, resume).

Each test states a finding as the behaviour a press officer would expect; they fail on main
today, so each is marked ``xfail(strict=True)`` and turns red when the finding is fixed (then
drop the mark).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import todays_campaign
from test_cli_send import RECIPIENTS, SEND, db, mailer

from mailer.store import campaigns

JOURNALIST = "amara.okafor@example.com"  # row 1 of lists/press.csv


def _no_retries(live: Path) -> None:
    """One request at a time, none retried: a 503 stops the send after the request it answers."""
    (live / "mailer.toml").write_text(
        (live / "mailer.toml").read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )


def _import(live: Path, events: list[dict[str, Any]], name: str = "events.ndjson") -> None:
    (live / name).write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    result = mailer("events", "import", name)
    assert result.exit_code == 0, result.output


# -- 4. Resume after suppressions ------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="review 9b: skip_suppressed_since compares the suppression's created_at (for an event: the event's own "
    "timestamp) with the campaign's creation, so an unsubscribe that happened before planning but reached the log "
    "after it (webhook batch, SendGrid's 24 h retries, events import) is never skipped: the resume mails them",
)
def test_resume_skips_an_unsubscribe_that_arrived_after_planning_but_happened_before(live: Path, standin: Any) -> None:
    """Promise 3 (nc9 fix 32586c7 tested it only with an event dated in 2027): a journalist
    unsubscribes at 09:00 from an earlier release; the office plans a new send at 09:05, which
    stops after one request; the unsubscribe reaches the log at 09:10 (the webhook was down, or
    an events file is imported). Planning could not know; the resume must not mail them."""
    _no_retries(live)
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    campaign_id = todays_campaign()
    before_planning = int(time.time()) - 300  # the click on "unsubscribe", five minutes before the plan
    _import(live, [{"email": "sofia.garcia@example.net", "event": "unsubscribe", "timestamp": before_planning, "sg_event_id": "u-late"}])
    assert "sofia.garcia@example.net" in mailer("suppressions", "list").stdout
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "sofia.garcia@example.net" not in standin.accepted_addresses()


@pytest.mark.xfail(
    strict=True,
    reason="review 9b: a journalist let through with --override-suppression at planning who unsubscribes while the "
    "send waits keeps the old suppression's created_at (insert ... on conflict do nothing), so the resume mails them",
)
def test_resume_skips_an_overridden_journalist_who_unsubscribes_while_the_send_waits(live: Path, standin: Any) -> None:
    """The override was for the suppression the office knew of (an old bounce, the address since
    fixed); a fresh unsubscribe, clicked after planning, is new: the resume must honour it."""
    _no_retries(live)
    assert mailer("suppressions", "add", "mateo.silva@example.com", "--reason", "manual").exit_code == 0
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok", "--override-suppression", "mateo.silva@example.com")
    assert stopped.exit_code == 1, stopped.output
    campaign_id = todays_campaign()
    time.sleep(1.1)
    _import(live, [{"email": "mateo.silva@example.com", "event": "unsubscribe", "timestamp": int(time.time()), "sg_event_id": "u-new"}])
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "mateo.silva@example.com" not in standin.accepted_addresses()
