"""A send interleaved with another command: `mailer cancel` between the plan's write and the run,
or while the requests go out; a resume between them (the progress total); a second Ctrl-C as the
checkpoint deferral ends (review 7c; each test failed before its fix)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from send_fixtures import ProgressBar, example_office
from sqlalchemy import Engine, select

from mailer.config import Config
from mailer.errors import SendError
from mailer.models import CampaignStatus
from mailer.send import campaign, delivery
from mailer.store import campaigns
from mailer.store.schema import campaign as campaign_table

ROOT = Path(__file__).parent.parent
NOW = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
AT = "2026-11-01 09:00 America/New_York"


@pytest.fixture
def office(tmp_path: Path, standin: Any) -> Config:
    """The example release and lists (41 journalists); requests of 10, one at a time, no retries."""
    standin.clock = NOW.timestamp
    return example_office(tmp_path, standin.url, batch_size=10, concurrency=1)


def _status(engine: Engine, campaign_id: str) -> CampaignStatus:
    with engine.connect() as connection:
        found = campaigns.get(connection, campaign_id)
    assert found is not None
    return found.status


def _only_campaign(engine: Engine) -> str:
    with engine.connect() as connection:
        [campaign_id] = connection.execute(select(campaign_table.c.id)).scalars()
    return str(campaign_id)


# -- 24fc2f2: a campaign whose status is not `planned` because it was cancelled ---------------


def test_interleaving_cancel_between_record_and_run_sends_nothing(
    store: Engine, office: Config, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mailer send --at`` writes the campaign; before its run takes the lease, ``mailer cancel ID``
    in a second terminal calls the scheduled send off (SendGrid's batch cancelled, status
    cancelled). The first process must not go on to post the plan, and the log must still say
    cancelled (resume refuses a cancelled campaign; the run that started it must too)."""
    environ = {"SENDGRID_API_KEY": standin.api_key}
    prepared = campaign.prepare_send(store, office, Path("releases/example.md"), [Path("lists/press.csv")], at=AT, now=NOW)
    real = delivery.record

    def record_then_cancel(*args: Any, **kwargs: Any) -> delivery.Recorded:
        recorded = real(*args, **kwargs)
        campaign.cancel(store, office, recorded.campaign_id, environ=environ, now=NOW)  # the second terminal
        return recorded

    monkeypatch.setattr(delivery, "record", record_then_cancel)
    with contextlib.suppress(SendError):  # refusing in plain words is a fine answer
        campaign.start(store, office, prepared, environ=environ, now=NOW)
    campaign_id = _only_campaign(store)
    assert list(standin.scheduled.values()) == ["cancel"]
    assert standin.mail_sends == [], f"{len(standin.mail_sends)} request(s) posted for a cancelled campaign"
    assert _status(store, campaign_id) is CampaignStatus.CANCELLED


def test_interleaving_cancel_while_the_scheduled_send_is_posted_stays_cancelled(
    store: Engine, office: Config, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mailer cancel ID`` in a second terminal while ``mailer send --at`` is still handing its
    requests to SendGrid: SendGrid drops every email of the batch, so nobody gets it. The log must
    say cancelled afterwards; if it says done, the next live send of the same release (the fixed
    time) skips every journalist as "already received" (promise 8) and nobody ever gets it."""
    from mailer.send import dispatch

    environ = {"SENDGRID_API_KEY": standin.api_key}
    prepared = campaign.prepare_send(store, office, Path("releases/example.md"), [Path("lists/press.csv")], at=AT, now=NOW)
    cancelled = threading.Event()
    real_post = dispatch.Dispatcher.dispatch

    def cancel_after_first(self: Any, requests: Any) -> Any:
        def gen() -> Iterator[Any]:
            for n, request in enumerate(requests):
                if n == 2 and not cancelled.is_set():
                    campaign.cancel(store, office, self.campaign_id, environ=environ, now=NOW)
                    cancelled.set()
                yield request

        return real_post(self, gen())

    monkeypatch.setattr(dispatch.Dispatcher, "dispatch", cancel_after_first)
    with contextlib.suppress(SendError):  # saying it was cancelled is a fine answer
        campaign.start(store, office, prepared, environ=environ, now=NOW)
    assert cancelled.is_set()
    campaign_id = _only_campaign(store)
    assert list(standin.scheduled.values()) == ["cancel"]
    # the same release again, an hour later: nobody has it (SendGrid dropped the batch)
    again = campaign.prepare_send(
        store, office, Path("releases/example.md"), [Path("lists/press.csv")], at="2026-11-01 10:00 America/New_York", now=NOW
    )
    assert len(again.plan.recipients) == 41, f"the new send would reach {len(again.plan.recipients)} of 41"
    assert _status(store, campaign_id) is CampaignStatus.CANCELLED


def test_interleaving_bar_total_after_a_resume_between_record_and_run_is_what_goes_out(
    store: Engine, office: Config, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``mailer resume`` in a second terminal between ``record`` and ``run``: the send took the
    campaign's lease with its plan (review 10c), so the resume is refused before it sends anything,
    and the first process's run sends everyone once; its progress bar's total is what it sends.
    (Before, the resume took the campaign there and sent two requests; the run sent the rest.)"""
    environ = {"SENDGRID_API_KEY": standin.api_key}
    prepared = campaign.prepare_send(store, office, Path("releases/example.md"), [Path("lists/press.csv")])
    real = delivery.record

    def record_then_resume(*args: Any, **kwargs: Any) -> delivery.Recorded:
        recorded = real(*args, **kwargs)
        standin.answer(503, match=lambda r: len(standin.mail_sends) >= 3)
        with pytest.raises(SendError):
            campaign.resume(store, office, recorded.campaign_id, environ=environ)
        standin.reset()
        return recorded

    monkeypatch.setattr(delivery, "record", record_then_resume)
    bar = ProgressBar()
    sent = campaign.start(store, office, prepared, environ=environ, progress=bar)
    sent.outcome.check()
    assert sent.outcome.counts["accepted"] == 41
    went_out = sum(len(r.body["personalizations"]) for r in standin.mail_sends)
    assert went_out == bar.advanced == 41
    assert bar.totals == [went_out]
    assert max(standin.accepted_addresses().values()) == 1


# -- 8bd8391: the deferral is never left on, whatever fails -------------------------------------


def test_interleaving_ctrl_c_inside_ending_the_deferral_leaves_no_deferral_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second Ctrl-C (people press it twice) lands as the block ends, at the call that ends the
    copy's deferral (Python runs a signal's handler on entering a function).
    The KeyboardInterrupt goes up; the engine must not be left deferring: in a process that lives
    on (a script, a webhook app sharing the engine), every connection taken later would never
    checkpoint on its own, and the log would grow without end."""
    from mailer.store import checkpoint, connect

    engine = connect(f"sqlite:///{tmp_path / 'log.db'}")
    real = checkpoint.Copying.end
    calls = {"n": 0}

    def interrupted(self: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # the signal's handler, run on entering end()
        real(self)

    monkeypatch.setattr(checkpoint.Copying, "end", interrupted)
    with pytest.raises(KeyboardInterrupt), checkpoint.aside(engine):
        pass
    monkeypatch.setattr(checkpoint.Copying, "end", real)
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        level = cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    engine.dispose()
    assert len(checkpoint._ENGINES[engine].active) == 0
    assert level == checkpoint.AUTOCHECKPOINT
