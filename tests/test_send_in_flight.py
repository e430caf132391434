"""Requests in flight listed on the campaign row (promise 2): Ctrl-C at awkward moments, late
events, a takeover on PostgreSQL, and a computer still on an older press-mailer sharing the log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from send_fixtures import FakeSleep, config_for, rendered, states, transport_for
from sqlalchemy import Engine, select
from test_send import run, started

from mailer import events, send
from mailer.send.dispatch import Dispatcher
from mailer.store import campaigns
from mailer.store.schema import campaign, event, message

RELEASE = rendered()
ROOT = Path(__file__).parent.parent
OLDER = "78bf52f"  # press-mailer before schema version 9 (requests in flight marked row by row, `sending`)


def test_in_flight_ctrl_c_just_after_a_round_commits_leaves_no_phantom_request_in_flight(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C landing after the round that lists request 1 in flight has committed, before the
    request is handed to a worker: request 1 never left, so the run's end no longer lists it and a
    resume sends everyone exactly once (not ten journalists marked unknown and never sent)."""
    campaign_id, built = started(store, 20)
    original = Dispatcher._list
    fired: list[int] = []

    def list_then_ctrl_c(self: Dispatcher, free: int) -> Any:
        starting = original(self, free)
        if starting and not fired:
            fired.append(starting[0].number)
            raise KeyboardInterrupt  # SIGINT between the commit and pool.submit
        return starting

    monkeypatch.setattr(Dispatcher, "_list", list_then_ctrl_c)
    outcome = run(store, standin, campaign_id)
    monkeypatch.undo()
    assert fired == [1] and outcome.interrupted
    assert standin.mail_sends == []
    with store.connect() as connection:
        listed = campaigns.in_flight(connection, campaign_id)
    resumed = run(store, standin, campaign_id)
    assert (listed, resumed.counts["unknown"], resumed.counts["accepted"]) == ([], 0, 20)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


@pytest.mark.parametrize("left_as", ["in_flight", "sending"])
def test_in_flight_late_bounce_without_custom_args_settles_a_message_left_in_flight(store: Engine, standin: Any, left_as: str) -> None:
    """Promise 2: events that later mention a batch of unknown fate settle it. A late bounce that
    carries no custom_args is matched by address and time (events/apply.py _best_candidate): a row
    a crash left in flight (`planned`, its request listed on the campaign row, or `sending` in a log
    an older press-mailer left) is linked and settled, so no --resend-unknown mails a bounced address."""
    campaign_id, built = started(store, 20)
    first = built.recipients[0]
    with store.begin() as connection:
        if left_as == "in_flight":
            connection.execute(campaign.update().where(campaign.c.id == campaign_id).values(in_flight=[1]))
        else:
            connection.execute(message.update().where(message.c.request_no == 1).values(state="sending"))
    bounce = {
        "email": first.email,
        "event": "bounce",
        "type": "bounce",
        "reason": "550 5.1.1 mailbox does not exist",
        "timestamp": int(time.time()) + 60,
        "sg_event_id": "late-bounce-1",
    }
    events.apply(store, [events.from_object(bounce, where="line 1")], source="import", block_threshold=3)
    with store.connect() as connection:
        linked = connection.scalar(select(event.c.message_id).where(event.c.sg_event_id == "late-bounce-1"))
        row = connection.scalar(select(message.c.id).where(message.c.campaign_id == campaign_id, message.c.email == first.email))
    assert linked == row, "the late bounce was not linked to the journalist's message"
    assert states(store, campaign_id)[first.email] == "accepted"


OLD_RESUME = """
import sys
sys.path.insert(0, {tests!r})
from send_fixtures import config_for, rendered, transport_for
from mailer import send
from mailer.store import connect

db_url, api_url, api_key, campaign_id = sys.argv[1:5]
transport = transport_for(type("Key", (), {{"api_key": api_key}})(), config_for(api_url))
outcome = send.run(connect(db_url), campaign_id, rendered=rendered(), transport=transport)
print(dict(outcome.counts))
"""


@pytest.mark.slow
def test_in_flight_a_computer_still_on_an_older_version_cannot_resend_what_a_crash_left(
    tmp_path: Path, db_url: str, store: Engine, standin: Any
) -> None:
    """Promise 2 across versions. A team shares a log; this version dies (kill -9) after SendGrid
    accepted request 3 and before the log heard: request 3 is listed in flight, its rows `planned`.
    A colleague whose computer still runs the previous version (78bf52f, schema 8, which knows only
    `sending` rows as "maybe sent") runs `mailer resume`: its first move of a row to `sending` is
    refused with words that say to update, and nobody gets the release twice."""
    from test_send_crash import child

    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{OLDER}^{{commit}}"], check=False, capture_output=True).returncode:
        pytest.skip(f"this checkout does not hold commit {OLDER} (the previous version)")
    process = child(tmp_path, db_url, standin, "after-answer")
    out, err = process.communicate(timeout=60)
    assert process.returncode == -9, err
    campaign_id = out.split()[0]
    sent_before = standin.accepted_addresses()
    old = tmp_path / "old"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", OLDER, "mailer", "tests/send_fixtures.py"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    script = tmp_path / "old_resume.py"
    script.write_text(OLD_RESUME.format(tests=str(old / "tests")), encoding="utf-8")
    resumed = subprocess.run(
        [sys.executable, str(script), db_url, standin.url, standin.api_key, campaign_id],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(old)},
        timeout=60,
    )
    assert resumed.returncode != 0
    assert "update press-mailer on this computer (pip install -U press-mailer) before sending from it. Nothing was sent." in resumed.stderr
    assert standin.accepted_addresses() == sent_before
    assert max(sent_before.values()) == 1


def test_in_flight_ctrl_c_while_an_answer_is_collected_keeps_its_request_in_flight(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the fix above: Ctrl-C while request 1's answer is being collected (taken off
    the futures in flight, not yet logged) loses that answer. SendGrid accepted request 1, so it must
    stay listed in flight and become unknown on resume, never be sent again (promise 2)."""
    from concurrent.futures import Future

    campaign_id, _ = started(store, 20)
    real_result = Future.result
    fired: list[bool] = []

    def result_then_ctrl_c(self: Future[Any], timeout: float | None = None) -> Any:
        value = real_result(self, timeout)
        if not fired:
            fired.append(True)
            raise KeyboardInterrupt
        return value

    monkeypatch.setattr(Future, "result", result_then_ctrl_c)
    outcome = run(store, standin, campaign_id)
    monkeypatch.undo()
    assert fired and outcome.interrupted
    resumed = run(store, standin, campaign_id)
    assert (resumed.counts["unknown"], resumed.counts["accepted"]) == (10, 10)
    assert set(standin.accepted_addresses().values()) == {1}


def stalled_holder(store: Engine, standin: Any) -> tuple[str, Dispatcher, Any, Any]:
    """A campaign of 20 (requests of 10) whose run A slept past its lease (three minutes ago) with
    request 1 listed in flight, which SendGrid accepted: the campaign id, A's dispatcher, request 1
    and SendGrid's answer, which A has not logged yet."""
    from datetime import timedelta

    from mailer.send import delivery, lease
    from mailer.send.dispatch import utcnow

    campaign_id, built = started(store, 20)
    with store.begin() as connection:
        held_a = lease.acquire(connection, campaign_id, now=utcnow() - timedelta(minutes=3))
        lease.in_flight(connection, held_a, [1])
    cut = delivery._Requests(campaign_id, RELEASE, send_at=None, sendgrid_batch_id=None, created_at=None)
    first = next(iter(cut.from_plan(built)))
    transport = transport_for(standin, config_for(standin.url))
    answer = transport.send(first)
    a = Dispatcher(
        store,
        campaign_id,
        transport=transport,
        pacing=send.Pacing(concurrency=1),
        sleep=FakeSleep(),
        jitter=lambda: 0.5,
        on_request=lambda n: None,
        on_warning=lambda text: None,
        next_no=3,
        lease=held_a,
        handed={1},
    )
    return campaign_id, a, first, answer


def test_in_flight_takeover_while_the_stalled_holder_logs_an_answer_is_not_a_deadlock(store: Engine, standin: Any) -> None:
    """A laptop (A) slept past its lease with request 1 out; a colleague's `mailer resume` (B) takes
    the campaign over. A wakes while B's first transaction is open: A logs request 1's answer (a row
    lock on each of its ten rows), then its renewal waits for the campaign row B holds; B's recovery
    then waits for request 1's rows A holds. On PostgreSQL that is a deadlock: one of the two dies
    with "deadlock detected" (A's user reads "the delivery log stopped working", or B's resume
    fails). SQLite serialises the two writers and passes. Neither should fail."""
    import threading

    from sqlalchemy import event as sa_event

    from mailer.send.dispatch import _Attempt

    campaign_id, a, first, answer = stalled_holder(store, standin)  # SendGrid accepted request 1; A has not logged it yet
    errors: list[tuple[str, BaseException]] = []

    def a_wakes() -> None:
        try:
            a._log([(first, _Attempt(result=answer))])
        except Exception as exc:  # noqa: BLE001
            errors.append(("A, the stalled holder", exc))

    waking = threading.Thread(target=a_wakes)
    main = threading.current_thread()

    def after_b_takes_the_lease(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        b_took_it = (
            threading.current_thread() is main and statement.startswith("UPDATE campaign SET lease_holder") and "lease_since" in statement
        )
        if b_took_it and not waking.is_alive() and not errors and waking.ident is None:
            waking.start()
            time.sleep(0.5)

    sa_event.listen(store, "after_cursor_execute", after_b_takes_the_lease)
    try:
        outcome = run(store, standin, campaign_id)
    except Exception as exc:  # noqa: BLE001
        errors.append(("B, the resume", exc))
        outcome = None
    finally:
        sa_event.remove(store, "after_cursor_execute", after_b_takes_the_lease)
        waking.join(timeout=60)
    assert waking.ident is not None
    assert [f"{who}: {type(e).__name__}: {str(e).splitlines()[0]}" for who, e in errors] == []
    assert outcome is not None and outcome.counts["unknown"] + outcome.counts["accepted"] == 20


def test_in_flight_a_prepared_request_reaches_sendgrid_only_once_listed(store: Engine, standin: Any) -> None:
    """The next request is built and encoded while the ones out are answered, but each request that
    reaches SendGrid is already listed in flight on the campaign row (promise 6), and every
    journalist is accepted once."""
    campaign_id, built = started(store, 60)
    arrivals: list[tuple[set[int], list[int]]] = []

    def listed_on_arrival(recorded: Any) -> bool:
        keys = [p["custom_args"]["message"] for p in recorded.body["personalizations"]]
        with store.connect() as connection:
            numbers = set(connection.scalars(select(message.c.request_no).where(message.c.message_key.in_(keys))))
            arrivals.append((numbers, campaigns.in_flight(connection, campaign_id)))
        return True  # and answers after a while, so the prepared request waits at its gate

    standin.slow(0.2, match=listed_on_arrival)
    outcome = run(store, standin, campaign_id, concurrency=2)
    assert outcome.counts["accepted"] == 60 and len(arrivals) == 6
    for numbers, listed in arrivals:
        assert len(numbers) == 1 and numbers <= set(listed), (numbers, listed)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_in_flight_ctrl_c_after_a_prepared_request_is_listed_but_before_it_leaves(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the round that lists the prepared request 2 has committed and the run counts it
    as handed over, before its gate opens: it never reaches SendGrid, the run's end does not list
    it in flight, and a resume sends everyone exactly once (nobody marked unknown)."""
    campaign_id, built = started(store, 30)
    original = Dispatcher._release
    fired: list[int] = []

    def ctrl_c_at_the_gate(self: Dispatcher, pool: Any, request: Any) -> Any:
        if self.prepared is not None and self.prepared.request is request and not fired:
            fired.append(request.number)
            raise KeyboardInterrupt  # SIGINT just before the gate opens
        return original(self, pool, request)

    monkeypatch.setattr(Dispatcher, "_release", ctrl_c_at_the_gate)
    outcome = run(store, standin, campaign_id)
    monkeypatch.undo()
    assert fired == [2] and outcome.interrupted
    assert len(standin.mail_sends) == 1
    with store.connect() as connection:
        listed = campaigns.in_flight(connection, campaign_id)
    assert sorted(Counter(states(store, campaign_id).values()).items()) == [("accepted", 10), ("planned", 20)]
    resumed = run(store, standin, campaign_id)
    assert (listed, resumed.counts["unknown"], resumed.counts["accepted"]) == ([], 0, 30)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


class OneArgumentTransport:
    """A transport written before ``send`` took ``ready`` (a script's wrapper that logs or counts
    its requests, say), here around the real one."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def send(self, request: Any) -> Any:
        return self.inner.send(request)


def test_in_flight_a_transport_without_ready_still_sends_everyone_once(store: Engine, standin: Any) -> None:
    """`send.run(transport=...)` with a transport whose ``send`` takes only the request: it gets no
    prepared request (nothing could hold one at a gate), and every journalist is accepted once,
    none marked unknown."""
    campaign_id, built = started(store, 30)
    outcome = send.run(
        store,
        campaign_id,
        rendered=RELEASE,
        transport=OneArgumentTransport(transport_for(standin, config_for(standin.url))),
        pacing=send.Pacing(concurrency=2),
        sleep=FakeSleep(),
        jitter=lambda: 0.5,
    )
    assert (outcome.counts["accepted"], outcome.counts["unknown"]) == (30, 0)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_in_flight_ctrl_c_while_a_429_retry_waits_stops_without_trying_again(store: Engine, standin: Any) -> None:
    """Ctrl-C while a request waits to retry after a 429: it is not tried again, the run stops as
    asked (not "SendGrid could not be reached"), its journalists stay planned and off the list in
    flight, and a resume sends everyone once."""
    from mailer.send import delivery, lease
    from mailer.send.dispatch import utcnow

    campaign_id, built = started(store, 20)
    with store.begin() as connection:
        held = lease.acquire(connection, campaign_id, now=utcnow())
    standin.rate_limit(times=1)
    waits: list[float] = []

    def ctrl_c_while_waiting(seconds: float) -> None:
        waits.append(seconds)
        dispatcher.interrupted = True  # what the SIGINT handler does

    dispatcher = Dispatcher(
        store,
        campaign_id,
        transport=transport_for(standin, config_for(standin.url)),
        pacing=send.Pacing(concurrency=1),
        sleep=ctrl_c_while_waiting,
        jitter=lambda: 0.5,
        on_request=lambda n: None,
        on_warning=lambda text: None,
        next_no=3,
        lease=held,
    )
    cut = delivery._Requests(campaign_id, RELEASE, send_at=None, sendgrid_batch_id=None, created_at=None)
    dispatcher.dispatch(cut.from_plan(built))
    assert len(waits) == 1 and [r.status for r in standin.mail_sends] == [429]
    assert dispatcher.interrupted and dispatcher.stop_error is None
    assert set(states(store, campaign_id).values()) == {"planned"}
    with store.connect() as connection:
        assert campaigns.in_flight(connection, campaign_id) == []
    with store.begin() as connection:
        lease.release(connection, held)
    assert run(store, standin, campaign_id).counts["accepted"] == 20
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_in_flight_a_refused_request_is_off_the_list_while_it_waits_and_back_on_before_it_leaves_again(store: Engine, standin: Any) -> None:
    """SendGrid answers 503 twice: nothing of the request is at SendGrid, so while it waits to be
    tried again it is off the list in flight (a crash then leaves its journalists planned, not
    unknown: newcomer 15 #12); each try reaches SendGrid only once it is listed again (promise 2),
    and everyone is accepted once."""
    campaign_id, built = started(store, 10)

    def listed() -> list[int]:
        with store.connect() as connection:
            return campaigns.in_flight(connection, campaign_id)

    arrivals: list[list[int]] = []

    def refuse_the_first_two(recorded: Any) -> bool:
        arrivals.append(listed())
        return len(arrivals) <= 2

    waits: list[list[int]] = []
    standin.answer(503, times=1_000, match=refuse_the_first_two)
    outcome = run(store, standin, campaign_id, sleep=lambda seconds: waits.append(listed()))
    assert (outcome.counts["accepted"], [r.status for r in standin.mail_sends]) == (10, [503, 503, 202])
    assert (arrivals, waits) == ([[1], [1], [1]], [[], []])
    assert listed() == [] and standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_in_flight_refused_requests_waiting_beside_others_out_each_leave_listed(store: Engine, standin: Any) -> None:
    """Three requests out at a time, every other try refused with a 503: workers taking their
    requests off the list and back on while the main thread lists the next ones and logs answers
    never undo each other. Each try reaches SendGrid listed in flight, and everyone is accepted once."""
    campaign_id, built = started(store, 80)
    arrivals: list[tuple[set[int], list[int]]] = []

    def every_other_refused(recorded: Any) -> bool:
        keys = [p["custom_args"]["message"] for p in recorded.body["personalizations"]]
        with store.connect() as connection:
            numbers = set(connection.scalars(select(message.c.request_no).where(message.c.message_key.in_(keys))))
            arrivals.append((numbers, campaigns.in_flight(connection, campaign_id)))
        return len(arrivals) % 2 == 1

    standin.answer(503, times=1_000, match=every_other_refused)
    outcome = run(store, standin, campaign_id, concurrency=3, retries=8, sleep=lambda seconds: time.sleep(0.01))
    assert outcome.counts["accepted"] == 80 and len(arrivals) == 16
    for numbers, listed in arrivals:
        assert len(numbers) == 1 and numbers <= set(listed), (numbers, listed)
    with store.connect() as connection:
        assert campaigns.in_flight(connection, campaign_id) == []
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_in_flight_the_stalled_holders_late_acceptance_settles_the_rows_a_takeover_left_unknown(store: Engine, standin: Any) -> None:
    """A laptop (A) slept past its lease with request 1 out; a colleague's `mailer resume` (B) took
    the campaign over, marked request 1's journalists unknown (their fate was not known) and mailed
    the rest. A then wakes to SendGrid's 202 for request 1: those ten were accepted, and the log
    says so, with A's message id (newcomer 13: they stayed "unknown", and `mailer status` told the
    office to check whether ten journalists got the release that SendGrid had said it took)."""
    from mailer.send.dispatch import _Attempt

    campaign_id, a, first, answer = stalled_holder(store, standin)  # SendGrid accepted request 1 while A slept
    taken_over = run(store, standin, campaign_id)  # B
    assert (taken_over.counts["unknown"], taken_over.counts["accepted"]) == (10, 10)

    a._log([(first, _Attempt(result=answer))])

    assert Counter(states(store, campaign_id).values()) == {"accepted": 20}
    with store.connect() as connection:
        ids = connection.execute(
            select(message.c.sg_message_id, message.c.error).where(message.c.campaign_id == campaign_id, message.c.request_no == 1)
        ).all()
    assert {row.sg_message_id for row in ids} == {answer.message_id} and {row.error for row in ids} == {None}
    assert set(standin.accepted_addresses().values()) == {1}
