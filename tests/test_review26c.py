"""Review 26c: clocks and signals. The delivery log's clock kept per log (a script that opens a
team's PostgreSQL log and an SQLite one), the webhook following its log's clock, and a command
stopped (Ctrl-C, `kill PID`) at any moment saying so in plain words. Real processes throughout:
clocks off under libfaketime, signals sent to a running `python -m mailer`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
needs_faketime = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed (apt-get install faketime)")
WORKTREE = str(Path(__file__).resolve().parents[1])


def postgresql_only(database: str) -> None:
    """An SQLite log has one clock, the computer's that holds the file: the disagreement is a team's."""
    if database != "postgresql":
        pytest.skip("a team's shared log: PostgreSQL")


def on_a_clock(offset: str) -> dict[str, str]:
    """The environment of a process whose computer's clock is ``offset`` off ("+2h"): libfaketime."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [WORKTREE, os.environ.get("PYTHONPATH")])),
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": offset,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


# -- 1. one clock difference per log, not per process -----------------------------------------


SCRIPT_TWO_LOGS = """
import sys
from datetime import UTC, datetime
from mailer import store
from mailer.models import SuppressionReason
from mailer.store import suppressions

team = store.connect(sys.argv[1])     # the team's PostgreSQL log: its server's clock is right
own = store.connect(sys.argv[2])      # this computer's own SQLite log: this computer's clock
for engine, address in ((team, "team@example.org"), (own, "own@example.org")):
    with engine.begin() as connection:
        suppressions.add(connection, [(address, SuppressionReason.MANUAL, None)], source="manual")
    with engine.connect() as connection:
        print(suppressions.find(connection, address).created_at.astimezone(UTC).isoformat())
print(datetime.now(UTC).isoformat())
"""


@needs_faketime
def test_a_script_with_a_team_log_and_its_own_log_keeps_each_logs_clock(tmp_path: Path, db_url: str, database: str) -> None:
    """A script on a computer two hours ahead opens the team's PostgreSQL log, whose server is right,
    then an SQLite log of its own (README "Using it from Python"). The difference measured on the
    team's log was applied to every clock of the process: what the script wrote in its own SQLite
    log was stamped two hours off that log's own clock (this computer's, the only one it has)."""
    postgresql_only(database)
    script = tmp_path / "two_logs.py"
    script.write_text(SCRIPT_TWO_LOGS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), db_url, f"sqlite:///{tmp_path / 'own.db'}"],
        env=on_a_clock("+2h"),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    team, own, here = map(stamp, done.stdout.split())
    assert abs(team - datetime.now(UTC)) < timedelta(minutes=1), (team, here)  # the team's log: its server's time
    assert abs(own - here) < timedelta(minutes=1), (own, here)  # the own log: this computer's clock


# -- 2. the webhook goes by its log's clock, and follows it when this computer's clock is set ----


SLEEP_SHIM = """
import threading, time

def _sleep(seconds):
    threading.Event().wait(seconds)

time.sleep = _sleep
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post_unreadable(port: int, address: str) -> None:
    import urllib.request

    body = f"[not events: {address}".encode()  # quarantined, stamped when it came in
    request = urllib.request.Request(f"http://127.0.0.1:{port}/sendgrid/events", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200, answer.read()


def received_at(db_url: str, address: str) -> datetime:
    """When the event naming ``address`` came in, as the log has it (quarantined: unreadable)."""
    from sqlalchemy import select

    from mailer import store
    from mailer.store.schema import quarantine

    engine = store.connect(db_url)
    try:
        with engine.connect() as connection:
            found = connection.scalars(select(quarantine.c.received_at).where(quarantine.c.raw.contains(address))).one_or_none()
            assert found is not None, connection.execute(select(quarantine)).all()
    finally:
        engine.dispose()
    return found.astimezone(UTC)


@needs_faketime
def test_the_webhook_stamps_by_its_logs_clock_and_follows_it_when_this_computers_clock_is_set(
    tmp_path: Path, standin: Any, db_url: str, database: str
) -> None:
    """`mailer webhook` runs for weeks beside a team's PostgreSQL log, on a computer whose clock is two
    hours ahead: every event it took and one-click unsubscribe was stamped by that clock (the time every other
    command goes by is the server's), and once the computer's clock was set right, by a difference
    no longer true. What it logs should carry the log's time, before and after."""
    import urllib.request

    from office_cli import office

    postgresql_only(database)
    office(tmp_path, standin, db_url)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SLEEP_SHIM, encoding="utf-8")
    offset = tmp_path / "faketime"
    offset.write_text("+2h\n", encoding="utf-8")
    env = {**on_a_clock("+2h"), "FAKETIME_TIMESTAMP_FILE": str(offset), "FAKETIME_NO_CACHE": "1"}
    env.pop("FAKETIME")
    env["PYTHONPATH"] = os.pathsep.join([str(shim), env["PYTHONPATH"]])
    port = free_port()
    webhook = subprocess.Popen(
        [sys.executable, "-m", "mailer", "webhook", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert webhook.poll() is None and time.monotonic() < deadline, webhook.communicate()[0]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        post_unreadable(port, "ahead@example.org")
        offset.write_text("+0\n", encoding="utf-8")  # the network sets this computer's clock right
        time.sleep(1.5)
        post_unreadable(port, "set@example.org")
    finally:
        webhook.terminate()
        said = webhook.communicate(timeout=30)[0]
    now = datetime.now(UTC)
    for address in ("ahead@example.org", "set@example.org"):
        assert abs(received_at(db_url, address) - now) < timedelta(minutes=1), (address, received_at(db_url, address), now, said)


# -- 3. stopped at any moment: Ctrl-C as mailer starts, `kill PID` before the first request ------


def stop_at(process: subprocess.Popen[str], reached: Any, sig: signal.Signals, *, within: float = 60) -> tuple[str, str]:
    """Send ``sig`` to ``process`` once ``reached()`` is true; its output."""
    deadline = time.monotonic() + within
    while not reached():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(sig)
    return process.communicate(timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_scheduled_send_stopped_before_its_first_request_says_so(
    tmp_path: Path, standin: Any, db_url: str, database: str, sig: signal.Signals
) -> None:
    """Ana schedules a release for tomorrow morning; while mailer asks SendGrid for the batch id that
    lets it be cancelled, she presses Ctrl-C, or the computer shuts down (`kill PID`, SIGTERM). Ctrl-C
    said what became of it; SIGTERM ended the process without a word (exit -15), however far it had
    got. Both should say that nothing was sent, and leave the log so that a new send goes ahead."""
    from office_cli import KEY, SEND, mailer, office
    from send_fixtures import mailer_process

    if database != "sqlite":
        pytest.skip("the same on either log: one is enough")
    office(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%d %H:%M UTC")
    held = standin.hold(path="/v3/mail/batch")
    process = mailer_process(tmp_path, KEY, *SEND, "--at", at, interruptible=True)
    try:
        out, err = stop_at(process, lambda: any(r.path == "/v3/mail/batch" for r in standin.requests), sig)
    finally:
        held.set()
        if process.poll() is None:
            process.kill()
    words = " ".join(err.split())
    assert process.returncode == (130 if sig == signal.SIGINT else 143), (process.returncode, out, err)
    assert "Traceback" not in err, err
    assert "nothing was sent" in words, words
    assert not standin.mail_sends
    again = mailer(*SEND, "--at", at)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_command_stopped_while_mailer_loads_ends_quietly(tmp_path: Path, sig: signal.Signals) -> None:
    """Ctrl-C in the first few tenths of a second of any command (while the command line loads)
    printed a Python traceback; `kill PID` then ended it without a word. Either should end with the
    words and exit code it has a moment later: "Stopped.", 130 (143 for SIGTERM)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [WORKTREE, os.environ.get("PYTHONPATH")]))}
    # Python's own start (before any of mailer runs) is not mailer's: its interpreter reads the
    # signal as any program would. The moment mailer begins, it writes this file (a sitecustomize shim).
    shim = tmp_path / "shim"
    shim.mkdir()
    started = tmp_path / "started"
    (shim / "sitecustomize.py").write_text(
        f"import builtins, pathlib\n_real = builtins.__import__\n"
        f"def _noting(name, *args, **kwargs):\n"
        f"    if name == 'mailer.cli':\n        pathlib.Path({str(started)!r}).touch()\n"
        f"    return _real(name, *args, **kwargs)\nbuiltins.__import__ = _noting\n",
        encoding="utf-8",
    )
    env["PYTHONPATH"] = os.pathsep.join([str(shim), env["PYTHONPATH"]])
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "lists", "check", "--json", "x.csv"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - a shell may have ignored SIGINT
    )
    out, err = stop_at(process, started.exists, sig)
    # 130 (143), as a shell reports it: the process's own exit code, or its death by that signal (-2, -15 to
    # subprocess), which Python chooses at its very end now and then, after mailer has said its words.
    assert process.returncode in ((130, -2) if sig == signal.SIGINT else (143, -15)), (process.returncode, out, err)
    assert err == "Stopped.\n", err
    assert '"error": "Stopped at your request."' in out, out


# -- 4. what `suppressions add` and `events import` write goes by the log's clock ----------------


def test_suppressions_added_and_events_imported_are_stamped_by_the_logs_clock(
    store: Any, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team's log server is two hours ahead of this computer (as measured when the log was
    opened): `mailer suppressions add`, `mailer events import` (its quarantine) stamped what they
    wrote by this computer's clock, two hours off the times every other command writes."""
    import json

    from sqlalchemy import select

    from mailer.events import imports
    from mailer.events import suppressions as event_suppressions
    from mailer.store import clock, suppressions
    from mailer.store.schema import quarantine

    postgresql_only(database)
    monkeypatch.setitem(clock._logs, store, clock._Measured(timedelta(hours=2), time.time(), time.monotonic()))
    log_now = datetime.now(UTC) + timedelta(hours=2)
    event_suppressions.add(store, ["ana@daily.example"], note="phoned")
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"email": "ben@gazette.example", "event": "bounce", "timestamp": "yesterday"}]), encoding="utf-8")
    imports.import_files(store, [events], block_threshold=3)
    with store.connect() as connection:
        added = suppressions.find(connection, "ana@daily.example")
        [received] = connection.scalars(select(quarantine.c.received_at)).all()
    assert added is not None and abs(added.created_at - log_now) < timedelta(minutes=1), added
    assert abs(received - log_now) < timedelta(minutes=1), received


def test_the_command_line_run_in_a_thread_of_its_own_still_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A program that runs mailer's command line for its own command line, in a thread: Python lets
    only the main thread set a signal handler, so hearing SIGTERM as Ctrl-C is left out there."""
    import threading

    from mailer.cli import main

    monkeypatch.setattr(sys, "argv", ["mailer", "--version"])
    ended: list[object] = []

    def run() -> None:
        try:
            main()
        except SystemExit as exc:
            ended.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            ended.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert ended == [0], ended
    assert "version" in capsys.readouterr().out
