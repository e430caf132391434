"""A real Ctrl-C (SIGINT) at the awkward moments of a send: while a worker thread is started for a
request, just after the prepared request's gate opens, while the spare worker is handed the next
request. A KeyboardInterrupt raised at any of them used to hang the command or drop an answer
already in hand; while requests go out, a Ctrl-C now only notes the wish to stop (a hostile
review's findings, each a test)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from send_fixtures import states
from sqlalchemy import Engine
from test_send import run, started

pytestmark = pytest.mark.usefixtures("sigint_default")

from mailer.send import dispatch
from mailer.store import campaigns

HANG = 10.0  # seconds: far more than a run of a few requests to the local stand-in takes


def ctrl_c() -> None:
    """A real SIGINT to this process, handled (on the main thread) before this returns: whatever
    the dispatcher makes of a Ctrl-C at this very point, not a KeyboardInterrupt raised by hand."""
    signal.raise_signal(signal.SIGINT)


def run_watched(store: Engine, standin: Any, campaign_id: str, gates: list[Any], **kwargs: Any) -> tuple[bool, Any]:
    """``run`` on this (the main) thread, with a watchdog that shuts every gate in ``gates`` after
    HANG seconds if it has not returned: (whether it had to, the outcome or the exception)."""
    done, hung = threading.Event(), []

    def watchdog() -> None:
        if not done.wait(HANG):
            hung.append(True)
            for gate in gates:
                gate.shut()

    watcher = threading.Thread(target=watchdog, daemon=True)
    watcher.start()
    try:
        result: Any = run(store, standin, campaign_id, **kwargs)
    except BaseException as exc:  # noqa: BLE001
        result = exc
    done.set()
    watcher.join()
    return bool(hung), result


def spare_workers_alive(seconds: float = 3.0) -> list[str]:
    """The send's worker threads still alive after ``seconds`` (none, once a run has returned)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = [t.name for t in threading.enumerate() if t.name.startswith("mailer-send") and t.is_alive()]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def called_from(name: str) -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == name:
            return True
        frame = frame.f_back
    return False


@pytest.mark.parametrize("where", ["while submit starts the spare thread", "after submit returned"])
def test_ctrl_c_while_the_spare_worker_is_handed_the_next_request_does_not_hang(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Ctrl-C landing in ``_prepare`` once ``pool.submit`` has queued request 2 for the spare
    worker, before the dispatcher notes it in ``self.prepared``. SIGINT lands there for real:
    ``submit`` starts the spare thread and blocks until it runs (``Thread.start`` waits on an
    Event), and a SIGINT fuzz of real runs landed there 3 times in 150. The worker then waits at a
    gate no one will open or shut, because ``_withdraw`` finds nothing to withdraw:

    - while ``Thread.start`` waits, the thread runs but the pool never recorded it: the run
      returns, and the non-daemon thread keeps `mailer send` from exiting (interpreter shutdown
      joins it forever);
    - just after ``submit`` returned, the pool's shutdown at the end of ``dispatch`` waits for it:
      the run itself never returns.

    Either way the command hangs after Ctrl-C (seen end to end: `mailer send` with a real SIGINT
    there prints "Stopped at your request after the requests in flight were answered." and never
    exits). It must stop like any Ctrl-C: request 1 logged,
    request 2 never sent, no worker left behind, and a resume sends the rest once."""
    campaign_id, built = started(store, 30)
    gates: list[Any] = []
    real_gate, real_submit, real_start = dispatch._Gate, ThreadPoolExecutor.submit, threading.Thread.start

    class RecordedGate(real_gate):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            gates.append(self)

    fired: list[str] = []

    def start_then_ctrl_c(self: threading.Thread) -> None:
        real_start(self)
        if not fired and called_from("_prepare"):
            fired.append(self.name)
            ctrl_c()  # while Thread.start waited for the spare thread to run

    def submit_then_ctrl_c(self: Any, *args: Any, **kwargs: Any) -> Any:
        future = real_submit(self, *args, **kwargs)
        if not fired and called_from("_prepare"):
            fired.append("submit returned")
            ctrl_c()  # just after pool.submit returned
        return future

    monkeypatch.setattr(dispatch, "_Gate", RecordedGate)
    if where == "after submit returned":
        monkeypatch.setattr(ThreadPoolExecutor, "submit", submit_then_ctrl_c)
    else:
        monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    # Request 1 answered after a while: its worker is busy when the spare is handed request 2, so the
    # pool starts the spare thread there (a worker already idle would take it, and no Ctrl-C would land).
    standin.slow(0.5, times=1)
    hung, outcome = run_watched(store, standin, campaign_id, gates)
    monkeypatch.undo()
    left = spare_workers_alive()
    for gate in gates:
        gate.shut()  # let any worker left at its gate go, so the test's threads end
    assert fired
    assert not hung, "the run never returned after Ctrl-C: the pool waits for a worker at a gate nobody shuts"
    assert left == [], f"after the run returned, {left} still wait at a gate: `mailer send` cannot exit"
    assert outcome.interrupted and len(standin.mail_sends) == 1
    assert sorted(Counter(states(store, campaign_id).values()).items()) == [("accepted", 10), ("planned", 20)]
    with store.connect() as connection:
        assert campaigns.in_flight(connection, campaign_id) == []
    assert run(store, standin, campaign_id).counts["accepted"] == 30
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_ctrl_c_just_after_the_gate_opens_logs_the_answer_it_waits_for(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C landing in ``_release`` just after the prepared request 2's gate opened (before the
    dispatcher takes its future in flight). ``_withdraw`` finds the gate open, so it waits for the
    request's answer, and then drops it: SendGrid answered 413 (nothing accepted), yet request 2
    stays listed in flight and the resume marks its ten journalists unknown, never to be sent
    (promise: nothing is lost; a resume sends whoever was never sent). The answer was in hand: it
    must be logged like any other (split in two, planned, off the list)."""
    campaign_id, built = started(store, 30)
    standin.answer(413, match=lambda r: r.body["personalizations"][0]["to"][0]["email"] == "j00010@example.org")
    real_open = dispatch._Gate.open
    fired: list[bool] = []

    def open_then_ctrl_c(self: Any) -> None:
        real_open(self)
        if not fired:
            fired.append(True)
            ctrl_c()  # just after the gate opened

    monkeypatch.setattr(dispatch._Gate, "open", open_then_ctrl_c)
    outcome = run(store, standin, campaign_id)
    monkeypatch.undo()
    assert fired and outcome.interrupted
    assert [r.status for r in standin.mail_sends] == [202, 413]
    with store.connect() as connection:
        listed = campaigns.in_flight(connection, campaign_id)
    assert (listed, sorted(Counter(states(store, campaign_id).values()).items())) == ([], [("accepted", 10), ("planned", 20)])
    resumed = run(store, standin, campaign_id)
    assert (resumed.counts["unknown"], resumed.counts["accepted"]) == (0, 30)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_ctrl_c_while_a_request_is_handed_to_a_new_worker_thread_logs_its_answer(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the first moments of a send lands, more often than anywhere else in the loop, in
    ``pool.submit``: the pool starts a worker thread there and blocks until it runs (a SIGINT fuzz
    of real runs: 1 early Ctrl-C in 10). The request has been queued and leaves, but ``submit``
    never returns its future, so its answer is never logged: here SendGrid answered 413 (nothing
    accepted), yet request 1 stays listed in flight and the resume marks its ten journalists
    unknown, never to be sent. "Ctrl-C stops cleanly after the requests in flight are answered and
    logged": request 1's answer must be logged (split in two, planned) and a resume sends all 30."""
    campaign_id, built = started(store, 30)
    standin.answer(413, match=lambda r: r.body["personalizations"][0]["to"][0]["email"] == "j00000@example.org")
    real_start = threading.Thread.start
    fired: list[str] = []

    def start_then_ctrl_c(self: threading.Thread) -> None:
        real_start(self)
        if not fired and self.name.startswith("mailer-send") and called_from("dispatch"):
            fired.append(self.name)
            ctrl_c()  # while Thread.start waited for the new worker to run

    monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    outcome = run(store, standin, campaign_id)
    monkeypatch.undo()
    assert fired and outcome.interrupted
    assert [r.status for r in standin.mail_sends] == [413]
    with store.connect() as connection:
        listed = campaigns.in_flight(connection, campaign_id)
    assert listed == [], "request 1 was answered (413: nothing accepted) but its answer was dropped"
    resumed = run(store, standin, campaign_id)
    assert (resumed.counts["unknown"], resumed.counts["accepted"]) == (0, 30)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}
