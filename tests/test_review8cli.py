"""Hostile review 8 of the command line: a press officer who is not a programmer, making every foreseeable mistake.

Each test is one finding, written failing before its fix (session 8 fixed them all); the docstring
says what went wrong and what a user must see instead.
The standard: bad input gets a clear error and loses nothing (what is wrong, where, what to do;
no traceback for anything foreseeable); plain words, confirmation before a live send, which config
and log are in use always clear.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import todays_campaign

from mailer.cli import main

ROOT = Path(__file__).parent.parent
KEY = "SG.standin-key.secret"
SEND = ("send", "releases/example.md", "--list", "lists/press.csv")


def mailer(*args: str, key: str | None = None, input: str | None = None) -> Result:
    env = {"SENDGRID_API_KEY": key} if key else {}
    return CliRunner().invoke(main, list(args), env=env, input=input)


def no_traceback(result: Result) -> None:
    """The command ended with a message of its own, not an exception Click let through."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# --- lists clean -------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux): a disk that is always full")
@pytest.mark.parametrize("which", ["-o", "--rejects"])
def test_review8cli_lists_clean_full_disk_is_a_message(project: Path, which: str) -> None:
    """`lists clean -o FILE` (or --rejects FILE) on a full disk: the file and "disk is full", exit 1, no traceback."""
    args = ["-o", "/dev/full"] if which == "-o" else ["-o", "clean.csv", "--rejects", "/dev/full"]
    result = mailer("lists", "clean", "lists/press.csv", *args)
    no_traceback(result)
    assert result.exit_code == 1
    assert "/dev/full" in result.stderr and "No space left on device" in result.stderr


def test_review8cli_lists_clean_interrupted_keeps_the_old_output(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while `lists clean` writes: the clean copy from the last run is still whole (write aside, then rename)."""
    from mailer.contacts import writing

    first = mailer("lists", "clean", "lists/press.csv", "-o", "clean.csv")
    assert first.exit_code == 0, first.output
    before = (project / "clean.csv").read_bytes()

    def interrupted(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt  # the key pressed while the rows are written

    monkeypatch.setattr(writing, "_write_columns", interrupted)
    again = mailer("lists", "clean", "lists/press.csv", "-o", "clean.csv")
    assert again.exit_code == 130
    assert (project / "clean.csv").read_bytes() == before


# --- output files that already exist ----------------------------------------------------------


@pytest.fixture
def sent(live: Path) -> str:
    """A live send of the example release to lists/press.csv through the stand-in; its campaign id."""
    result = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert result.exit_code == 0, result.output
    return todays_campaign()


def test_review8cli_show_does_not_write_over_the_release(live: Path, sent: str) -> None:
    """`mailer show CAMPAIGN -o releases/example.md` (a slip of tab completion) leaves the release alone and says why."""
    release = live / "releases" / "example.md"
    before = release.read_bytes()
    result = mailer("show", sent, "-o", "releases/example.md")
    assert release.read_bytes() == before
    assert result.exit_code in (1, 2)
    assert "releases/example.md" in result.stderr


@pytest.mark.parametrize("command", ["report", "clean", "prune"])
def test_review8cli_outputs_do_not_write_over_the_staff_list(live: Path, sent: str, command: str) -> None:
    """-o naming the staff list of mailer.toml (an existing list, not an earlier output) does not destroy it."""
    staff = live / "lists" / "staff.csv"
    before = staff.read_bytes()
    args = {
        "report": ["report", sent, "--kind", "recipients", "--format", "csv", "-o", "lists/staff.csv"],
        "clean": ["lists", "clean", "lists/press.csv", "-o", "lists/staff.csv"],
        "prune": ["lists", "prune", "lists/press.csv", "-o", "lists/staff.csv"],
    }[command]
    result = mailer(*args)
    assert staff.read_bytes() == before
    assert result.exit_code in (1, 2)
    assert "lists/staff.csv" in result.stderr


def test_review8cli_report_output_without_format_writes_the_file(live: Path, sent: str) -> None:
    """`mailer report CAMPAIGN -o bounces.xlsx` (no --format): the file is written (format from its name) or refused, never ignored."""
    result = mailer("report", sent, "-o", "summary.xlsx")
    written = (live / "summary.xlsx").exists()
    assert written or result.exit_code == 2, result.output
    if written:
        assert (live / "summary.xlsx").read_bytes()[:2] == b"PK"  # an XLSX is a zip


def test_review8cli_report_format_and_file_name_agree(live: Path, sent: str) -> None:
    """--format xlsx with -o report.csv: refused as a usage error naming both, not a .csv full of zip bytes."""
    result = mailer("report", sent, "--format", "xlsx", "-o", "report.csv")
    assert result.exit_code == 2
    assert "report.csv" in result.stderr and "xlsx" in result.stderr
    assert not (live / "report.csv").exists()


# --- the delivery log: locked, server down ----------------------------------------------------


@pytest.fixture
def locked(logged: Path, db_url: str) -> Iterator[Path]:
    """The office's SQLite log, created, then held in an exclusive lock by another program (a DB browser, a stuck script)."""
    assert mailer("campaigns").exit_code == 0
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield logged
    finally:
        holder.close()


@pytest.mark.sqlite_only
def test_review8cli_locked_log_hint_says_what_to_do(locked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When another program holds the log too long, the hint says so: close it or wait, then run again (not 'folder writable')."""
    from mailer import store

    def short_wait(dbapi_connection: Any, _record: Any) -> None:  # 0.2 s instead of 30 s per attempt, nothing else changed
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=200")
        cursor.close()

    monkeypatch.setattr(store, "_sqlite_pragmas", short_wait)
    result = mailer("campaigns")
    assert result.exit_code == 1
    assert "another program kept it locked too long" in result.stderr
    assert "folder is writable" not in result.stderr
    assert "close" in result.stderr.lower() or "wait" in result.stderr.lower()


@pytest.mark.sqlite_only
def test_review8cli_locked_log_says_it_is_waiting(locked: Path) -> None:
    """Within a few seconds of finding the log locked, the command says it is waiting for it (and for how long at most):
    while it still waits, long before its wait for the lock (30 s) ends in an error. Its output is read as it comes,
    so a loaded machine, slow to start the command, only makes the test wait longer."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "campaigns"], cwd=locked, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()  # each line of its standard error, and when it came
    reader = threading.Thread(target=lambda: [lines.put((time.monotonic(), line)) for line in process.stderr or ()], daemon=True)
    reader.start()
    said: list[tuple[float, str]] = []

    def note() -> tuple[float, str] | None:
        return next(
            ((at, line) for at, line in said if not line.startswith("Log: ") and ("lock" in line.lower() or "wait" in line.lower())), None
        )

    try:
        deadline = time.monotonic() + 20
        while note() is None and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                said.append(lines.get(timeout=0.1))
        still_waiting = process.poll() is None
    finally:
        process.kill()
        process.wait()
        reader.join(timeout=10)
    everything = "".join(line for _, line in said)
    found = note()
    assert found is not None, everything
    assert still_waiting, f"the command had stopped waiting already: {everything}"
    opened = next(at for at, line in said if line.startswith("Log: "))  # said as it starts to open the log: the wait begins
    assert found[0] - opened < 5, f"the note came {found[0] - opened:.1f} s after the Log line: {everything}"


def test_review8cli_database_server_down_hint(project: Path) -> None:
    """A PostgreSQL URL whose server is not running: the hint names the server (start it, host and port), not a folder."""
    (project / "mailer.toml").write_text('[database]\nurl = "postgresql+psycopg://mailer@127.0.0.1:1/x"\n', encoding="utf-8")
    result = mailer("campaigns")
    assert result.exit_code == 1
    assert "the database server cannot be reached" in result.stderr
    assert "folder" not in result.stderr


# --- Ctrl-C right after the plan is written ---------------------------------------------------


@pytest.fixture
def interrupted(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> Result:
    """A live send stopped by Ctrl-C the moment its rows are committed, before any request (as seen on 100,000 rows:
    "Stopped." and a campaign left planned)."""
    from mailer.send import delivery

    record = delivery.record

    def then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        record(*args, **kwargs)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(delivery, "record", then_ctrl_c)
        result = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert standin.mail_sends == []
    return result


def test_review8cli_ctrl_c_after_the_plan_names_the_campaign(interrupted: Result) -> None:
    """The user is told that nothing was sent, which campaign now waits in the log, and how to continue or call it off."""
    campaign_id = todays_campaign()
    said = interrupted.stdout + interrupted.stderr
    assert campaign_id in said, said
    assert f"mailer resume {campaign_id}" in said


def test_review8cli_send_again_after_ctrl_c_does_not_claim_they_received_it(interrupted: Result) -> None:
    """Nobody received anything; running the send again says the journalists wait in an unsent campaign (resume it), not that they got it."""
    again = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert "already received" not in again.stdout + again.stderr
    assert f"mailer resume {todays_campaign()}" in again.stderr


def test_review8cli_no_journalist_gets_it_twice_after_ctrl_c(interrupted: Result, standin: Any) -> None:
    """Following the tool's own hints after a Ctrl-C (send again with --include-previous, later `mailer resume` the
    campaign `mailer status` says is unfinished) must not mail the same release to the same journalists twice (promise 8)."""
    first = todays_campaign()
    assert mailer(*SEND, "--yes", "--no-test-ok", "--include-previous", key=KEY).exit_code == 0  # sent anyway
    assert f"mailer resume {first}" in mailer("status", first).stdout  # and the next hint
    mailer("resume", first, "--yes", key=KEY)
    twice = sorted(address for address, count in standin.accepted_addresses().items() if count > 1)
    assert twice == []


def test_review8cli_an_unsent_campaign_can_be_called_off(interrupted: Result) -> None:
    """The campaign a Ctrl-C left planned (nothing sent) can be cancelled, so its rows stop counting as received."""
    result = mailer("cancel", todays_campaign())
    assert result.exit_code == 0, result.output
    again = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert again.exit_code == 0, again.output


# --- two commands at once on one log ----------------------------------------------------------


def test_review8cli_status_during_a_send_does_not_say_resume(interrupted: Result, db_url: str) -> None:
    """While a send runs in another terminal (it holds the campaign's lease), `mailer status` says it is being sent
    now, by whom, instead of telling the user to resume it (which resume then refuses)."""
    from mailer.send import lease
    from mailer.send.dispatch import utcnow
    from mailer.store import connect

    campaign_id = todays_campaign()
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            lease.acquire(connection, campaign_id, now=utcnow())  # as the running `mailer send` holds it
        result = mailer("status", campaign_id)
        document = mailer("status", campaign_id, "--json")
    finally:
        engine.dispose()
    assert result.exit_code == 0, result.output
    assert "mailer resume" not in result.stdout
    assert "being sent" in result.stdout
    assert "mailer resume" not in document.stdout


def test_review8cli_report_interrupted_keeps_the_old_file(live: Path, sent: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while `mailer report --format xlsx -o FILE` writes: last week's FILE is still whole (seen: 0 bytes left)."""
    from mailer.reports import xlsx

    first = mailer("report", sent, "--kind", "recipients", "--format", "xlsx", "-o", "recipients.xlsx")
    assert first.exit_code == 0, first.output
    before = (live / "recipients.xlsx").read_bytes()

    def interrupted(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(xlsx, "write", interrupted)
    again = mailer("report", sent, "--kind", "recipients", "--format", "xlsx", "-o", "recipients.xlsx")
    assert again.exit_code == 130
    assert (live / "recipients.xlsx").read_bytes() == before


# --- arguments that are not UTF-8 --------------------------------------------------------------

LATIN1 = "jos\udce9@example.org"  # "josé@example.org" typed in a Latin-1 terminal: Python's argv holds the byte as \udce9


@pytest.mark.parametrize(
    "args",
    [
        ["status", LATIN1],
        ["report", LATIN1],
        ["show", LATIN1],
        ["resume", LATIN1],
        ["cancel", LATIN1],
        ["contact", LATIN1],
        ["forget", LATIN1, "--yes"],
        ["suppressions", "add", LATIN1, "--reason", "asked"],
        ["suppressions", "remove", LATIN1, "--reason", "asked"],
    ],
    ids=lambda args: " ".join(a for a in args if a != LATIN1),
)
def test_review8cli_argument_not_utf8_is_a_message(logged: Path, args: list[str]) -> None:
    """An argument with a byte that is not UTF-8: a message naming it (\\xe9), exit 1 or 2, no traceback."""
    result = mailer(*args)
    no_traceback(result)
    assert result.exit_code in (1, 2)
    assert "\\xe9" in result.stderr


# --- forget and contact with a wrong address ---------------------------------------------------


@pytest.mark.parametrize("address", ["not an email", ""])
def test_review8cli_forget_checks_the_address_before_asking(logged: Path, address: str) -> None:
    """A typo in the address is reported at once; the irreversible question is only asked about a real address."""
    result = mailer("forget", address, input="y\n")
    assert result.exit_code == 1
    assert f'"{address}" is not an email address.' in result.stderr
    assert "Erase everything" not in result.stdout


def test_review8cli_contact_empty_address_is_refused(live: Path, sent: str) -> None:
    """`mailer contact ""` (an empty shell variable) is an error, not the history of the rows that had no address."""
    result = mailer("contact", "")
    assert result.exit_code in (1, 2)
    assert "not an email address" in result.stderr
    assert sent not in result.stdout


# --- webhook ---------------------------------------------------------------------------------


def test_review8cli_webhook_port_in_use_is_a_message(logged: Path) -> None:
    """Another program (an earlier `mailer webhook`) holds the port: a plain error naming the port and --port, exit 1
    (3 means a send with failed recipients), and no claim that events are being received."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "mailer", "webhook", "--port", str(port)],
            cwd=logged,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert f"Error: Port {port}" in done.stderr or f"port {port}" in done.stderr
    assert "--port" in done.stderr
    assert "[Errno" not in done.stderr
    assert "Receiving SendGrid events" not in done.stdout


# --- events import of the wrong file ------------------------------------------------------------


def test_review8cli_events_import_of_a_press_list_is_refused(logged: Path) -> None:
    """`mailer events import lists/press.csv` (the wrong file): like a binary file, an error that no line holds an
    event (exit 1), and the journalists' rows are not copied into the log's quarantine."""
    result = mailer("events", "import", "lists/press.csv")
    assert result.exit_code == 1, result.output
    assert "lists/press.csv" in result.stderr and "no line holds an event" in result.stderr
    quarantine = mailer("events", "quarantine")
    assert "amara.okafor@example.com" not in quarantine.stdout
    assert "lists/press.csv line" not in quarantine.stdout


# --- configuration ---------------------------------------------------------------------------


def test_review8cli_key_pasted_into_api_key_env_is_not_echoed(logged: Path) -> None:
    """A press officer pastes the key itself as api_key_env (the hint for `api_key` says "did you mean api_key_env?").
    The error explains the mistake without repeating the key, as the SENDGRID_API_KEY checks do ("the key is not shown")."""
    secret = "SG.pasted-key.0123456789abcdefghijklmnopqrstuvwxyz"
    toml = (logged / "mailer.toml").read_text(encoding="utf-8")
    (logged / "mailer.toml").write_text(toml + f'\n[sendgrid]\napi_key_env = "{secret}"\n', encoding="utf-8")
    result = mailer("campaigns")
    assert result.exit_code == 1
    assert "api_key_env" in result.stderr
    assert "pasted-key" not in result.stderr


def test_review8cli_postgres_scheme_gets_the_right_spelling(project: Path) -> None:
    """url = "postgres://..." is checked when mailer.toml is read, with the spelling to use instead; no SQLAlchemy words."""
    (project / "mailer.toml").write_text('[database]\nurl = "postgres://press@127.0.0.1:1/mailer"\n', encoding="utf-8")
    result = mailer("campaigns")
    assert result.exit_code == 1
    assert "postgresql+psycopg://" in result.stderr
    assert "plugin" not in result.stderr and "sqlalchemy" not in result.stderr


def test_review8cli_json_send_stopped_by_ctrl_c_still_prints_a_document(live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script reading `mailer send --json` gets one JSON document even when Ctrl-C lands just after the plan is written:
    the outcome with "interrupted": true, or the error document ({"error", "hint", "exit_code", "warnings"})."""
    from mailer.send import delivery

    record = delivery.record

    def then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        record(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(delivery, "record", then_ctrl_c)
    result = mailer(*SEND, "--yes", "--no-test-ok", "--json", key=KEY)
    document = json.loads(result.stdout)
    assert document.get("interrupted") is True or "error" in document


# --- --open where no browser can be opened -----------------------------------------------------


def test_review8cli_open_without_a_browser_says_so(project: Path) -> None:
    """`mailer preview --open` where nothing can open the page: mailer says it could not open it and names the file to open."""
    bin_folder = project / "fake-bin"
    bin_folder.mkdir()
    fake = bin_folder / "xdg-open"
    fake.write_text("#!/bin/sh\necho \"xdg-open: no method available for opening '$1'\" >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    env.update(PYTHONPATH=str(ROOT), PATH=f"{bin_folder}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "preview", "releases/example.md", "--open"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Only mailer's words: the launcher's own "xdg-open: no method available ..." is a program's (newcomer 28 #10).
    assert "xdg-open" not in done.stderr, done.stderr
    assert any("browser" in line.lower() and "example.html" in line for line in done.stderr.splitlines()), done.stderr


# --- the live-send question ------------------------------------------------------------------


def test_review8cli_ctrl_d_at_the_question_says_nothing_was_sent(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaving the question with Ctrl-D (or Ctrl-C, seen on a real terminal) is a no: "Nothing was sent.", as for "n"."""
    from mailer.cli import send as send_cli

    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    result = mailer(*SEND, key=KEY, input="")
    assert standin.mail_sends == []
    assert "Aborted!" not in result.output
    assert "Nothing was sent." in result.output


# --- an output path through a file -------------------------------------------------------------


@pytest.mark.parametrize("command", ["report", "show", "clean"])
def test_review8cli_output_under_a_file_says_it_is_a_file(live: Path, sent: str, command: str) -> None:
    """-o with a file where a folder should be: the message says lists/press.csv is a file (what to change), exit 1."""
    args = {
        "report": ["report", sent, "--format", "csv", "-o", "lists/press.csv/x.csv"],
        "show": ["show", sent, "-o", "lists/press.csv/x.eml"],
        "clean": ["lists", "clean", "lists/press.csv", "-o", "lists/press.csv/x.csv"],
    }[command]
    result = mailer(*args)
    assert result.exit_code == 1
    assert "File exists" not in result.stderr
    assert "lists/press.csv is a file" in result.stderr


# --- the staff list named in mailer.toml --------------------------------------------------------


def test_review8cli_missing_staff_list_names_the_setting(live: Path, standin: Any) -> None:
    """`mailer test` with [lists] staff naming a file that is not there: the error says the path comes from mailer.toml's
    [lists] staff (the user never typed it), so they know what to fix."""
    toml = live / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("lists/staff.csv", "lists/staf.csv"), encoding="utf-8")
    result = mailer("test", "releases/example.md", key=KEY)
    assert result.exit_code == 1
    assert "staf.csv" in result.stderr
    assert "[lists] staff" in result.stderr or "lists.staff" in result.stderr
    assert standin.mail_sends == []


# --- --json on errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["lists", "check", "nope.csv", "--json"],
        ["campaigns", "--json"],
        ["status", "nope", "--json"],
        ["suppressions", "list", "--json"],
        ["report", "nope", "--format", "json"],
    ],
    ids=" ".join,
)
def test_review8cli_json_commands_print_the_error_document(project: Path, args: list[str]) -> None:
    """A script using --json reads one JSON document on stdout even on failure, as `contact --json` and the send
    commands do: {"error", "hint", "exit_code", "warnings"} (here: the log's server is down, or the name is wrong)."""
    (project / "mailer.toml").write_text('[database]\nurl = "postgresql+psycopg://mailer@127.0.0.1:1/x"\n', encoding="utf-8")
    if args[0] in ("status", "report", "lists"):
        (project / "mailer.toml").unlink()  # a healthy built-in log; the campaign or file name is what is wrong
    result = mailer(*args)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["exit_code"] == 1 and document["error"]


# --- a filter that matches nobody ----------------------------------------------------------------


def test_review8cli_filter_typo_names_the_filter(logged: Path) -> None:
    """A --where value nobody has: the error says the filter matched nobody and shows values the field does have."""
    result = mailer(*SEND, "--dry-run", "--where", "beat=helth")
    assert result.exit_code == 1
    assert "beat=helth" in result.stderr
    assert "health" in result.stderr.replace("helth", "")
    assert "mailer lists check" not in result.stderr


def test_review8cli_tilde_in_the_log_path_is_the_home_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ~ in [database] url means the home folder, as everywhere else on the machine (or is refused with the full path
    to write): a fresh log in a folder literally named "~" would lose every suppression without a word."""
    home = project / "home"
    (home / "press").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (project / "mailer.toml").write_text('[database]\nurl = "sqlite:///~/press/log.db"\n', encoding="utf-8")
    result = mailer("campaigns")
    assert not (project / "~").exists()
    assert result.exit_code == 1 or (home / "press" / "log.db").exists(), result.output


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs /sys/kernel (Linux): a folder nobody may write in, even root")
def test_review8cli_unwritable_outbox_is_found_before_the_log_is_written(logged: Path) -> None:
    """[compose] outbox_dir where nothing may be written: the dry run stops before it logs a campaign, and the message
    says the folder comes from [compose] outbox_dir."""
    toml = logged / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[compose]\noutbox_dir = "/sys/kernel/outbox"\n', encoding="utf-8")
    result = mailer(*SEND, "--dry-run")
    assert result.exit_code == 1
    assert "outbox_dir" in result.stderr
    assert "rows written to the delivery log" not in result.stdout
    assert mailer("campaigns", "--json").stdout == "[]\n"


# --- SENDGRID_API_KEY set but blank ----------------------------------------------------------------


def test_review8cli_blank_key_is_called_blank(live: Path, standin: Any) -> None:
    """A key variable that is set but empty or blank (export SENDGRID_API_KEY=" $KEY" with KEY unset) is called
    empty, so the user looks at what they exported rather than whether they exported it."""
    result = mailer("test", "releases/example.md", key="   ")
    assert result.exit_code == 1
    assert "SENDGRID_API_KEY" in result.stderr
    assert "is not set" not in result.stderr
    assert "empty" in result.stderr or "blank" in result.stderr
    assert standin.mail_sends == []


# --- a forgotten journalist stays forgotten ------------------------------------------------------


def test_review8cli_removing_a_forgotten_suppression_is_not_casual(live: Path, sent: str) -> None:
    """README: forget keeps a record "so this address is never mailed again". A routine `suppressions remove` (say, a
    batch of addresses after a bounce clean-up) does not undo that without an explicit, separate confirmation."""
    assert mailer("forget", "li.wei@example.org", "--yes").exit_code == 0
    result = mailer("suppressions", "remove", "li.wei@example.org", "--reason", "bounce clean-up")
    assert result.exit_code == 1
    assert "forgotten" in result.stderr
    listed = json.loads(mailer("suppressions", "list", "--json").stdout)
    assert "li.wei@example.org" in json.dumps(listed)


# --- resume is a live send too -------------------------------------------------------------------


def test_review8cli_resume_asks_before_a_live_send(interrupted: Result, standin: Any) -> None:
    """`mailer resume latest` (latest may not be the campaign the user thinks) mails journalists: like `mailer send`, it
    says which campaign, how many journalists and the subject, and asks; with no terminal it needs --yes."""
    result = mailer("resume", "latest", key=KEY)
    assert standin.mail_sends == []
    assert result.exit_code == 1
    assert "--yes" in result.stderr


def test_webhook_port_in_use_suggests_a_port_that_is_free(logged: Path) -> None:
    """nc9: the hint named the next port, which was taken too. Now it names one free at the time."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        first.listen()
        port = first.getsockname()[1]
        try:
            second.bind(("127.0.0.1", port + 1))
            second.listen()
        except OSError:
            pytest.skip("the next port is not free to take for this test")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "mailer", "webhook", "--port", str(port)],
            cwd=logged,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    suggested = int(done.stderr.split("mailer webhook --port ", 1)[1].split()[0])
    assert suggested not in (port, port + 1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))  # free indeed (nobody took it since)
