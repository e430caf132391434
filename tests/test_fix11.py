"""Session 11: sends that stalled or stopped must neither mail anyone twice nor strand anyone.

- A send paused (computer asleep, process stopped) for longer than ``lease.STALLED`` may no longer
  send: from then on other sends were told its journalists were nobody's.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from send_fixtures import states
from sqlalchemy import Engine
from test_send import run, started

from mailer.errors import SendError
from mailer.send import dispatch, lease
from mailer.send.dispatch import utcnow
from mailer.store.schema import campaign


def test_a_send_asleep_past_the_stalled_limit_stops_and_its_resume_sends_the_rest(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The laptop sleeps for 31 minutes while a request waits to be retried after a 429. When it
    wakes, the request it had already listed in flight goes (it counted as reached for everyone),
    but no new request leaves: the run stops saying why, and `mailer resume` sends the rest once."""
    campaign_id, built = started(store, 20)
    monkeypatch.setattr(dispatch, "RENEW_EVERY", timedelta(0))  # every round renews, as after a long sleep
    standin.rate_limit(times=1)
    slept: list[float] = []

    def asleep_for_31_minutes(seconds: float) -> None:
        slept.append(seconds)
        with store.begin() as connection:  # the lease expired 31 minutes ago, as the computer wakes
            expired = utcnow() - lease.STALLED - timedelta(minutes=1)
            connection.execute(campaign.update().where(campaign.c.id == campaign_id).values(lease_expires=expired))

    with pytest.raises(SendError) as stopped:
        run(store, standin, campaign_id, sleep=asleep_for_31_minutes)
    assert slept, "the stand-in's 429 made the run wait"
    assert "paused for more than 30 minutes" in stopped.value.message
    assert f"mailer resume {campaign_id}" in (stopped.value.hint or "")
    assert Counter(states(store, campaign_id).values()) == Counter({"accepted": 10, "planned": 10})
    assert run(store, standin, campaign_id).counts["accepted"] == 20
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}
