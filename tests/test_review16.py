"""Review 16: a hostile look at fix 16 (a late cancel of a scheduled send killed in its last
request; step 12 of the delivery log's upgrade read with msgspec or PostgreSQL; `mailer preview`'s
warning of a column name close to a standard one). SendGrid is the local stand-in; the logs are real
SQLite files and PostgreSQL schemas."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, mailer, office, opening_line, said
from send_fixtures import mailer_process, send_running
from test_fix16 import marked, version_11_log

# -- 1. the upgrade (step 12) and an old event whose key holds a lone surrogate ----------------------


def test_an_old_event_whose_key_is_a_lone_surrogate_does_not_stop_the_upgrade(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An earlier version stored the JSON of an event a stranger posted, its message key "\\ud800"
    (valid JSON; Python reads it as a lone surrogate, which no database text can hold). After
    updating press-mailer, every command on the log stopped with a crash: the upgrade sent that
    key to the database to look it up. It is no key this log gave out, so the event is marked as
    another log's, as one whose key holds NUL is, and the upgrade goes on."""
    office(tmp_path, standin, db_url)
    version_11_log(db_url, ['{"message":"m-ana"}', '{"event":"open","message":"\\ud800"}', '{"message":"theirs\\udfff"}'])
    listed = mailer("campaigns")
    assert listed.exit_code == 0, said(listed) + repr(listed.exception)
    assert marked(db_url) == [(False, False), (True, False), (True, False)]


# -- 2. the upgrade's line names the log: with the password given as ?password= -----------------------


def test_the_upgrade_line_never_shows_a_password_given_in_the_url_query(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office's log is on PostgreSQL, its URL giving the password as libpq allows
    (postgresql+psycopg://press@db/mailer?password=...). After updating press-mailer, the first
    command said "Upgrading the delivery log postgresql+psycopg://...?password=Hive-s3cret ..." on
    the screen (and "Log: ..." on every command): the password, for anyone looking at the screen
    or a shared terminal log. It is shown as *** like a password before the @."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a password is for PostgreSQL")
    version_11_log(db_url, ['{"message":"m-ana"}'])
    url = f"{db_url}&password=Hive-s3cret&sslpassword=Key-s3cret"
    office(tmp_path, standin, url)
    listed = mailer("campaigns")
    assert listed.exit_code == 0, said(listed)
    assert "Upgrading the delivery log" in said(listed), said(listed)
    assert "s3cret" not in listed.output, listed.output
    assert "password=***" in listed.output, listed.output


# -- 3. the upgrade (step 12) and an event whose text is no UTF-8 (SQLite) --------------------------------


def test_an_old_event_whose_text_is_no_utf8_does_not_stop_the_upgrade(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An SQLite log holds an event whose stored text is not UTF-8 (SQLite keeps whatever bytes a
    program or a damaged copy put there). After updating press-mailer, every command said "Cannot
    open the delivery log ...: Could not decode to UTF-8 column 'raw' ... Check [database] url in
    mailer.toml and that the folder is writable": nothing wrong with either, and no way on. Bad
    JSON never stops the upgrade: no key can be read from it, so it is left as it is, as broken
    JSON is, and the others are marked as before."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL text is always UTF-8")
    office(tmp_path, standin, db_url)
    version_11_log(db_url, ['{"message":"m-ana"}', "bad", '{"message":"theirs"}'])
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE event SET raw = CAST(X'7b226d657373616765223a22ff227d' AS TEXT) WHERE raw = 'bad'")
    connection.close()
    listed = mailer("campaigns")
    assert listed.exit_code == 0, said(listed)
    assert "Upgrading the delivery log" in said(listed) and "2026-02-19-wetlands" in listed.output, said(listed)
    assert marked(db_url) == [(False, False), (False, False), (True, False)]


# -- 4. mailer cancel, after its time, while another process hands over the last request -------------

SIX = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i}.example,Jo{i},Doe,Paper {i}\n" for i in range(6))


@pytest.mark.slow
def test_cancel_after_its_time_while_another_process_hands_over_the_last_request(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A scheduled send runs past its time in another terminal (a long list, SendGrid slow): its
    last request is with SendGrid, nobody is left waiting. The press officer runs `mailer cancel`.
    It said the campaign "is being sent by another process ... Stop it with Ctrl-C in its terminal
    first; then cancel it": as if a cancel could then stop something, where its time has passed and
    the last journalists are being handed over now. It says there is nothing left to cancel, the
    other process is handing the last journalists to SendGrid now and they go out at once; nothing
    is marked, and the send ends done with everyone accepted."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    last = standin.hold(match=lambda r: len(standin.mail_sends) >= 6)  # with SendGrid until the cancel is done
    args = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    with _scheduled_send_running(tmp_path, standin, args) as (process, goes_out):
        _wait_for(lambda: len(standin.mail_sends) >= 6, process)
        time.sleep(max(0.0, (goes_out - datetime.now(UTC)).total_seconds() + 0.5))
        campaign_id = _campaign(mailer("campaigns").output)
        cancelled = mailer("cancel", campaign_id)
        shown = said(mailer("status", campaign_id))
        assert process.poll() is None, "the send ended before the cancel: the test proves nothing"
        last.set()
        out, err = process.communicate(timeout=60)
    words = said(cancelled)
    assert process.returncode == 0, out + err
    assert "Ctrl-C" not in words, words
    assert "nothing left to cancel" in words and "another process" in words, words
    assert "unknown" not in shown, shown
    final = mailer("status", campaign_id).output
    assert "Recipients: 6 accepted" in final and "(live, done)" in final, final


@contextmanager
def _scheduled_send_running(folder: Path, standin: Any, args: tuple[str, ...]) -> Iterator[tuple[subprocess.Popen[str], datetime]]:
    """``python -m mailer ARGS --at T`` in ``folder``, a process of its own (Ctrl-C reaching it as
    from a terminal), T a few seconds ahead: handed over once the stand-in has its first request,
    with T. A loaded machine may start it only after T ("is in the past"): then it is run again
    with T further ahead. Killed on the way out if still running."""
    for ahead in (4, 15, 45):
        goes_out = datetime.now(UTC) + timedelta(seconds=ahead)
        process = mailer_process(folder, KEY, *args, "--at", goes_out.isoformat(), interruptible=True)
        try:
            deadline = time.monotonic() + 60
            while not standin.mail_sends and process.poll() is None:
                assert time.monotonic() < deadline, "the send made no request in 60 s"
                time.sleep(0.02)
            if not standin.mail_sends:
                out, err = process.communicate()
                assert "is in the past" in " ".join(err.split()), out + err
                continue
            yield process, goes_out
            return
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    pytest.fail("the send started after its --at time, even 45 s ahead")


def _wait_for(seen: Callable[[], bool], process: subprocess.Popen[str], *, timeout: float = 60) -> None:
    """Until ``seen()``, while ``process`` runs (at most ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not seen():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.02)


def _accepted(db_url: str) -> int:
    """Message rows the log at ``db_url`` holds as accepted by SendGrid."""
    from sqlalchemy import func, select

    from mailer.store import connect
    from mailer.store.schema import message

    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).where(message.c.state == "accepted")) or 0)
    finally:
        engine.dispose()


def _campaign(listed: str) -> str:
    match = re.search(r"^(\d{4}-\d\d-\d\d-example)\s", listed, re.MULTILINE)
    assert match, listed
    return match.group(1)


# -- 5. `mailer preview` without --list: a field no list column can ever be -----------------------------


@pytest.mark.parametrize(
    ("field", "meant"),
    [
        ("name", '"first_name" or "last_name"'),  # "Dear {{ contact.name }}": the loader splits a Name column in two
        ("full_name", '"first_name" or "last_name"'),
        ("nom", '"first_name" or "last_name"'),  # a French office: Nom beside Prénom is last_name
        ("Name", '"first_name" or "last_name"'),
        ("Frist_Name", '"first_name"'),  # a typo with the spreadsheet's capitals
        ("Emial", '"email"'),
        ("Outlet_Name", '"outlet"'),  # the header copied as it looks: an Outlet Name column is read as outlet (review 18h)
    ],
)
def test_preview_without_a_list_warns_of_a_field_no_list_column_can_be(tmp_path: Path, standin: Any, field: str, meant: str) -> None:
    """The press officer writes "Dear {{ contact.name }}," (or copies the spreadsheet's header as
    {{ contact.Outlet_Name }}) and previews without --list: "No warnings.". No list column is ever
    so named (a Name column is read as the full name and split into first_name and last_name; a
    column's name is in lower case), so `mailer send` refuses the release whatever the lists. The
    preview warns, naming what to write instead (it did for "name" before fix 16)."""
    office(tmp_path, standin, f"sqlite:///{tmp_path}/log.db")  # no log is opened
    opening_line(tmp_path, f"Dear {{{{ contact.{field} }}}},")
    shown = mailer("preview", "releases/example.md", key=None)
    assert shown.exit_code == 0, shown.output
    words = said(shown)
    assert f'The release uses the contact field "{field}" (did you mean {meant}?' in words, shown.output
    assert "mailer send refuses the release" in words, shown.output
    listed = mailer("preview", "releases/example.md", "--list", "lists/beat.csv", key=None)
    assert listed.exit_code != 0 and "no list has a column for" in said(listed), listed.output


# -- 6. mailer cancel, after its time, of a send resumed after its time and killed in its last request --


@pytest.mark.slow
def test_cancel_after_a_resume_past_its_time_does_not_say_all_went_out_at_that_time(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled for a moment ahead was stopped with Ctrl-C after its first journalist; after
    its time the press officer resumed it ("the rest goes out now, not at that time"), and that run
    was killed in its last request. `mailer cancel` then said "The emails of 5 journalists were with
    SendGrid for <time> and went out then": four of them were handed over after that time and went
    out when handed over, as the resume had said. The log keeps no hand-over time apart from later
    changes, so the words say both: at that time, or at once for any handed over after it."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    first = standin.hold()  # with SendGrid when Ctrl-C comes
    args = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    with _scheduled_send_running(tmp_path, standin, args) as (process, goes_out):
        process.send_signal(signal.SIGINT)  # noted at once; the request out is answered and logged, no new one leaves
        first.set()
        out, err = process.communicate(timeout=60)
    standin.scripts.clear()
    campaign_id = _campaign(mailer("campaigns").output)
    assert "1 accepted" in mailer("status", campaign_id).output, out + err
    time.sleep(max(0.0, (goes_out - datetime.now(UTC)).total_seconds() + 0.5))
    standin.requests.clear()
    last = standin.hold(match=lambda r: len(standin.mail_sends) >= 5)
    with send_running(tmp_path, standin, KEY, ("resume", campaign_id, "--yes")) as process:
        _wait_for(lambda: len(standin.mail_sends) >= 5, process)  # its last request is with SendGrid
        # and the answer before it logged: it is logged just after the next request leaves, so on a
        # busy machine a kill at once could leave two journalists on their way
        _wait_for(lambda: _accepted(db_url) >= 4, process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    last.set()
    standin.scripts.clear()
    cancelled = mailer("cancel", campaign_id)
    words = said(cancelled)
    assert cancelled.exit_code == 0, words
    assert "The last journalist was on their way to SendGrid" in words, words
    assert "emails of 5 journalists were with SendGrid" not in words, words
    assert "The emails of 5 journalists were handed to SendGrid and have gone out (at " in words, words
    assert "or at once for any handed over after that time)" in words, words
