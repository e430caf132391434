"""Review 25s: sending's promises when the team's machines disagree on the time (a colleague's
computer whose clock is minutes or hours off, run for real under libfaketime against the same
PostgreSQL delivery log), and when a send is stopped as it starts."""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, SEND, SIX, mailer, office
from send_fixtures import in_another_terminal, mailer_process

LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
ORIGINAL_PYTHONPATH = os.environ.get("PYTHONPATH")
needs_faketime = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed (apt-get install faketime)")


def postgresql_only(database: str) -> None:
    """An SQLite log has one clock, the computer's that holds the file: the disagreement is a team's."""
    if database != "postgresql":
        pytest.skip("a team's shared log: PostgreSQL")


# libfaketime 0.9.10 fails Python's time.sleep (clock_nanosleep on the monotonic clock: EINVAL when
# that clock is left alone, a hang when it is faked too); its waits with a timeout work, so a
# process on a skewed clock sleeps with one.
SLEEP_SHIM = """
import threading, time

def _sleep(seconds):
    threading.Event().wait(seconds)

time.sleep = _sleep
"""


def on_a_clock(monkeypatch: pytest.MonkeyPatch, offset: str | None) -> None:
    """The commands the test starts from now on run on a computer whose clock is ``offset`` off
    ("+5m", "-2h": libfaketime, preloaded into their process), or on a right one (None)."""
    if offset is None:
        for name in ("LD_PRELOAD", "FAKETIME", "PYTHONPATH"):
            monkeypatch.delenv(name, raising=False)
        if ORIGINAL_PYTHONPATH is not None:
            monkeypatch.setenv("PYTHONPATH", ORIGINAL_PYTHONPATH)
        return
    shim = Path(tempfile.gettempdir()) / "mailer-tests-faketime-shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(SLEEP_SHIM, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(shim), ORIGINAL_PYTHONPATH])))
    monkeypatch.setenv("LD_PRELOAD", str(LIBFAKETIME))
    monkeypatch.setenv("FAKETIME", offset)
    monkeypatch.setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1")


def campaign_id_now() -> str:
    [campaign_id] = [row["id"] for row in json.loads(mailer("campaigns", "--json").stdout)]
    return str(campaign_id)


# -- 1. a colleague whose clock is off takes over a send still going out ------------------------


@needs_faketime
@pytest.mark.slow
# A send on the skewed clock (Ana 5 minutes behind, writing a lease already expired by Ben's) is not run
# here: under libfaketime 0.9.10 a whole `mailer send` takes minutes to reach its first request.
@pytest.mark.parametrize(("sender", "resumer"), [(None, "+5m"), (None, "+2h")])
def test_a_colleague_whose_clock_is_off_cannot_take_over_a_send_still_going_out(
    tmp_path: Path, standin: Any, db_url: str, database: str, monkeypatch: pytest.MonkeyPatch, sender: str | None, resumer: str | None
) -> None:
    """Ana's send is going out; Ben, on another computer of the team, runs `mailer resume` of it.
    A lease lasts two minutes from its last renewal by the clock of the computer that wrote it:
    Ben's clock 5 minutes (or 2 hours) ahead read Ana's live lease as expired and took the send
    over (the journalist whose request was with SendGrid became "unknown", Ana's send stopped with
    "Another process has taken over"); Ana's clock 5 minutes behind wrote a lease already expired
    by Ben's. Either way Ben's resume should be refused, and Ana's send end, each journalist mailed once."""
    postgresql_only(database)
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    first = standin.hold()
    on_a_clock(monkeypatch, sender)
    ana = mailer_process(tmp_path, KEY, *SEND)
    try:
        deadline = time.monotonic() + 30
        while not standin.mail_sends:
            assert ana.poll() is None and time.monotonic() < deadline, ana.communicate()
            time.sleep(0.02)
        on_a_clock(monkeypatch, None)
        campaign_id = campaign_id_now()
        on_a_clock(monkeypatch, resumer)
        ben = in_another_terminal(tmp_path, KEY, "resume", campaign_id, "--yes")
        assert ana.poll() is None, "Ana's send ended before Ben's resume: the test proves nothing"
    finally:
        first.set()
        out, err = ana.communicate(timeout=60)
    assert ben.returncode == 1, ben.stdout + ben.stderr
    assert f"{campaign_id} is being sent by another process" in ben.stderr, ben.stderr
    assert ana.returncode == 0, out + err
    assert "Accepted:   6   failed: 0   unknown: 0" in out, out
    assert sorted(standin.accepted_addresses().values()) == [1] * 6, standin.accepted_addresses()


# -- 2. a computer whose clock is ahead sends an embargoed release before the embargo lifts -----


@needs_faketime
def test_a_computer_whose_clock_is_ahead_does_not_send_before_the_embargo(
    tmp_path: Path, standin: Any, db_url: str, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release is embargoed until an hour from now. Ben's laptop is two hours ahead: by its
    clock the embargo had lifted, so `mailer send` mailed every journalist an hour early. The
    team's log knows the time: the send should be refused as on any other computer, and Ben told
    that his clock is off."""
    postgresql_only(database)
    office(tmp_path, standin, db_url, beat=SIX)
    lifts = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    release = tmp_path / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("date: 2026-02-19\n", f'embargo: "{lifts:%Y-%m-%d %H:%M} UTC"\n'), encoding="utf-8"
    )
    on_a_clock(monkeypatch, "+2h")
    ben = in_another_terminal(tmp_path, KEY, *SEND)
    assert ben.returncode == 1, ben.stdout + ben.stderr
    assert f"The release is embargoed until {lifts:%Y-%m-%d %H:%M} UTC" in ben.stderr, ben.stderr
    assert not standin.mail_sends
    words = " ".join(ben.stderr.split())
    assert "Warning: This computer's clock is 2 hours ahead of the delivery log's server." in words, words
    assert "One of the two clocks is wrong" in words, words
    assert "is in the past" not in words, words  # the release's own warnings go by the log's clock too


# -- 3. a scheduled send resumed on a computer whose clock is ahead can no longer be cancelled ---


@needs_faketime
@pytest.mark.slow
def test_a_scheduled_send_resumed_on_a_computer_ahead_keeps_its_batch_id(
    tmp_path: Path, standin: Any, db_url: str, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana scheduled the release for an hour from now; SendGrid stopped answering after two
    journalists. Ben, whose clock is two hours ahead, resumes it: by his clock its time had passed,
    so the rest went without the batch id (as a send whose time is past does) and `mailer cancel`
    could no longer stop them, though they were still an hour from going out. His resume should
    send them as Ana's run did: at the send time, with the batch id."""
    postgresql_only(database)
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND, "--at", goes_out.isoformat())
    assert stopped.exit_code == 1, stopped.output
    campaign_id = campaign_id_now()
    batch_id = standin.mail_sends[0].body["batch_id"]
    standin.scripts.clear()
    standin.requests.clear()
    on_a_clock(monkeypatch, "+2h")
    ben = in_another_terminal(tmp_path, KEY, "resume", campaign_id, "--yes")
    assert ben.returncode == 0, ben.stdout + ben.stderr
    sent = [(r.body.get("batch_id"), r.body.get("send_at")) for r in standin.mail_sends if r.status in (200, 202)]
    assert sent == [(batch_id, int(goes_out.timestamp()))] * 4, sent


# -- 4. a send paused on one computer, resumed on another whose clock is off --------------------


@needs_faketime
@pytest.mark.slow
@pytest.mark.parametrize("offset", ["-2h", "+2h"])
def test_a_send_resumed_on_a_computer_whose_clock_is_off_logs_the_true_times(
    tmp_path: Path, standin: Any, db_url: str, database: str, monkeypatch: pytest.MonkeyPatch, offset: str
) -> None:
    """Ana's send stopped after two journalists (SendGrid unreachable); Ben resumes it from his
    laptop, two hours off. He mails the other four, once each, and the log's times for them (when
    SendGrid accepted each email: what the reports show and late bounces are matched by) are the
    true ones, not two hours off."""
    from sqlalchemy import select

    from mailer.store import connect
    from mailer.store.schema import message

    postgresql_only(database)
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1, stopped.output
    campaign_id = campaign_id_now()
    standin.scripts.clear()
    on_a_clock(monkeypatch, offset)
    ben = in_another_terminal(tmp_path, KEY, "resume", campaign_id, "--yes")
    on_a_clock(monkeypatch, None)
    assert ben.returncode == 0, ben.stdout + ben.stderr
    assert sorted(standin.accepted_addresses().values()) == [1] * 6, standin.accepted_addresses()
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            stamps = list(connection.execute(select(message.c.updated_at).where(message.c.state == "accepted")).scalars())
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    assert len(stamps) == 6
    assert all(abs(stamp - now) < timedelta(minutes=5) for stamp in stamps), [f"{stamp:%H:%M:%S}" for stamp in stamps]
    status = mailer("status", campaign_id)
    assert status.exit_code == 0, status.output


# -- 5. a computer's clock set right while its send goes on -------------------------------------


def test_a_send_asks_the_server_for_its_time_again_once_this_computers_clock_was_set(
    store: Any, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana's laptop was 5 minutes ahead when her send started, and mailer went by the server's
    time. Mid-send the network sets her clock right: going on with the difference it measured at
    the start, her lease would be written 5 minutes in the past, expired for everyone else. A
    round of her send that finds the clock set asks the server again; one that does not, does not."""
    from mailer.store import clock

    postgresql_only(database)
    monkeypatch.setitem(clock._logs, store, clock._Measured(timedelta(minutes=-5), time.time(), time.monotonic()))  # just measured
    with store.connect() as connection:
        clock.follow(connection)
    assert clock.skew(store) == timedelta(minutes=-5)
    monkeypatch.setitem(
        clock._logs, store, clock._Measured(timedelta(minutes=-5), time.time() + 300, time.monotonic())
    )  # read 5 minutes ahead
    with store.connect() as connection:
        clock.follow(connection)
    assert clock.skew(store) == timedelta(0)
    assert abs(clock.now(store) - datetime.now(UTC)) < timedelta(seconds=1)


# -- 6. the log server's clock ahead: an embargo is kept by the earlier clock --------------------


def test_a_log_server_whose_clock_is_ahead_does_not_lift_an_embargo_early(
    tmp_path: Path, store: Any, database: str, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team's database server is two hours fast (its time set by hand once), Ana's laptop is
    right. mailer goes by the server's time, which is consistent for the team; but by it an
    embargo an hour away has lifted, and the release would go out an hour early. Which clock is
    wrong mailer cannot tell: the embargo is kept by the earlier one."""
    from send_fixtures import example_office

    from mailer.errors import SendError
    from mailer.send import campaign
    from mailer.store import clock

    postgresql_only(database)
    office_config = example_office(tmp_path, standin.url, batch_size=10, concurrency=1)
    monkeypatch.chdir(tmp_path)
    lifts = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    release = tmp_path / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("date: 2026-02-19\n", f'embargo: "{lifts:%Y-%m-%d %H:%M} UTC"\n'), encoding="utf-8"
    )
    monkeypatch.setitem(clock._logs, store, clock._Measured(timedelta(hours=2), time.time(), time.monotonic()))  # as measured on opening
    prepared = campaign.prepare_send(store, office_config, Path("releases/example.md"), [Path("lists/press.csv")])
    assert isinstance(prepared.problem, SendError), prepared.problem
    assert prepared.problem.message.startswith(f"The release is embargoed until {lifts:%Y-%m-%d %H:%M} UTC"), prepared.problem.message


# -- 7. a colleague whose clock is ahead calls off a scheduled send -------------------------------


@needs_faketime
def test_a_colleague_whose_clock_is_ahead_can_call_off_a_send_still_ahead(
    tmp_path: Path, standin: Any, db_url: str, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana scheduled the release for an hour from now. The news changes; Ben, whose laptop is two
    hours ahead, runs `mailer cancel`: by his clock the send had gone out an hour ago, so it was
    refused ("it has gone out already") and SendGrid sent it an hour later. It should be cancelled."""
    postgresql_only(database)
    office(tmp_path, standin, db_url, beat=SIX)
    goes_out = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--at", goes_out.isoformat())
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_id_now()
    on_a_clock(monkeypatch, "+2h")
    ben = in_another_terminal(tmp_path, KEY, "cancel", campaign_id, "--yes")
    assert ben.returncode == 0, ben.stdout + ben.stderr
    assert f"Cancelled {campaign_id}: SendGrid will discard its messages at {goes_out:%Y-%m-%d %H:%M} UTC" in ben.stdout, ben.stdout
    assert list(standin.scheduled.values()) == ["cancel"]
