"""`mailer send --at` in New York, Berlin and Kolkata through the command line and the stand-in (promise 7).

SendGrid takes send_at at most 72 hours ahead, so each time is picked from the real clock: two
hours from now, written on the clocks of the zone. A DST change cannot be reached that way:
test_schedule.py covers one with an injected clock.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_cli_send import RECIPIENTS, SEND, db, mailer, one_at_a_time

from mailer.config import Config
from mailer.errors import SendError
from mailer.send import campaign
from mailer.store import campaigns

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata"]
# The press office's folder and its mailer.toml pointing at the stand-in: `project` and `live` in conftest.py.


def two_hours_ahead(zone: str) -> tuple[datetime, str]:
    """The instant two hours (or so) from now, and how the zone's clocks show it (a time DST shows once)."""
    tz = ZoneInfo(zone)
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    while goes_out.astimezone(tz).replace(fold=1).utcoffset() != goes_out.astimezone(tz).replace(fold=0).utcoffset():
        goes_out += timedelta(hours=1)
    return goes_out, f"{goes_out.astimezone(tz):%Y-%m-%d %H:%M} {zone}"


@pytest.mark.parametrize("zone", ZONES)
def test_cli_schedule_in_a_zone_survives_resume_status_and_cancel(live: Path, standin: Any, zone: str) -> None:
    """--at in a zone: the log keeps the instant; resume sends with the first send_at; status, campaigns and cancel name it."""
    one_at_a_time(live)
    goes_out, at = two_hours_ahead(zone)
    local = goes_out.astimezone(ZoneInfo(zone))
    in_zone = f"{local:%H:%M}" if local.date() == goes_out.date() else f"{local:%Y-%m-%d %H:%M}"
    shown = f"{goes_out:%Y-%m-%d %H:%M} UTC"
    standin.answer(503, match=lambda r: len(standin.mail_sends) == 3)  # SendGrid goes away at the third request
    stopped = mailer(*SEND, "--yes", "--no-test-ok", "--at", at)
    assert stopped.exit_code == 1, stopped.output
    with db().connect() as connection:
        [row] = campaigns.rows(connection)
        stored = campaigns.get(connection, row["id"])
    campaign_id = row["id"]
    assert stored is not None and stored.scheduled_at == goes_out
    assert mailer("status", campaign_id).stdout.startswith(f"Campaign:  {campaign_id} (live, paused)\n")

    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    send_ats = [r.body["send_at"] for r in standin.mail_sends]
    assert len(send_ats) == 6 and set(send_ats) == {send_ats[0]} == {int(goes_out.timestamp())}

    assert f"Scheduled:  {shown} ({in_zone} {zone})\n" in stopped.stdout

    status = json.loads(mailer("status", campaign_id, "--json").stdout)
    assert (status["status"], status["scheduled"]) == ("scheduled", goes_out.isoformat())
    text = mailer("status", campaign_id).stdout
    assert f"Campaign:  {campaign_id} (live, scheduled)\nSubject:" in text
    assert f"Scheduled: {shown}\n" in text
    assert f"SendGrid holds these emails until {shown}. To call the send off" in text
    listed = json.loads(mailer("campaigns", "--json").stdout)
    assert [(c["id"], c["status"], c["scheduled"]) for c in listed] == [(campaign_id, "scheduled", goes_out.isoformat())]
    [_, line] = mailer("campaigns").stdout.splitlines()
    assert re.split(r" {2,}", line) == [
        campaign_id,
        "live",
        f"scheduled until {shown}",
        f"{stored.created_at:%Y-%m-%d %H:%M}",
        stored.content_hash[:12],
        f"{RECIPIENTS}/{RECIPIENTS} accepted",
        "0",
        "0",
        "0",
        stored.subject,
    ]

    config = Config.model_validate({"sendgrid": {"api_url": standin.url}})
    with pytest.raises(SendError) as gone:  # a minute after it went out
        campaign.cancel(db(), config, campaign_id, environ={"SENDGRID_API_KEY": standin.api_key}, now=goes_out + timedelta(minutes=1))
    assert gone.value.message == f"{campaign_id} was scheduled for {shown}; it has gone out already."
    cancelled = mailer("cancel", campaign_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout == f"Cancelled {campaign_id}: SendGrid will discard its messages at {shown}.\n"
    assert list(standin.scheduled.values()) == ["cancel"]
