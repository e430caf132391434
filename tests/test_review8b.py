"""Hostile review 8b of today's fixes (resume skipping journalists a later send reached, cancel of an
unsent send, waiting elsewhere, no -o over inputs, safe files, the earlier log, ...).

Each test is one finding, written failing before its fix (session 8 fixed them all).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import ROOT, todays_campaign
from send_fixtures import until_sessions
from test_review8cli import KEY, SEND, mailer

from mailer.config import Config
from mailer.errors import SendError
from mailer.send import campaign, delivery
from mailer.store import campaigns, connect


def send_stopped_after_plan(*extra: str) -> Result:
    """`mailer send` stopped by Ctrl-C the moment its rows are committed, before any request."""
    record = delivery.record

    def then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        record(*args, **kwargs)
        raise KeyboardInterrupt

    patch = pytest.MonkeyPatch()
    patch.setattr(delivery, "record", then_ctrl_c)
    try:
        return mailer(*SEND, "--yes", "--no-test-ok", *extra, key=KEY)
    finally:
        patch.undo()


def twice(standin: Any) -> list[str]:
    return sorted(address for address, count in standin.accepted_addresses().items() if count > 1)


@pytest.mark.usefixtures("live")
def test_review8b_two_stopped_sends_resumed_in_turn_mail_nobody_twice(standin: Any) -> None:
    """Ctrl-C a send; send again with --include-previous and Ctrl-C that too (both reached nobody); resume the first,
    then the second: promise 8, nobody gets the same release twice (the second's journalists were reached by the
    first after the second was planned)."""
    send_stopped_after_plan()
    first = todays_campaign()
    send_stopped_after_plan("--include-previous")
    second = f"{first}-2"
    assert standin.mail_sends == []
    assert mailer("resume", first, "--yes", key=KEY).exit_code == 0
    assert standin.accepted_addresses()
    mailer("resume", second, "--yes", key=KEY)
    assert twice(standin) == []


@pytest.mark.usefixtures("live")
def test_review8b_retry_failed_after_a_later_send_mails_nobody_twice(standin: Any) -> None:
    """A send SendGrid refused (400 for every request: it stops after two refused alike, their journalists failed,
    the rest planned; nobody got it) is sent again as a new send, which reaches the failed ones; then `mailer resume
    FIRST --retry-failed` (what the stop and status of the first suggest) must not mail them again, only the rest."""
    standin.answer(400, times=1000)
    stopped = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert stopped.exit_code == 1 and "--retry-failed" in stopped.stderr, stopped.output
    first = todays_campaign()
    standin.reset()
    again = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert again.exit_code == 0, again.output
    assert standin.accepted_addresses()
    mailer("resume", first, "--retry-failed", "--yes", key=KEY)
    assert twice(standin) == []
    assert len(standin.accepted_addresses()) == 41


@pytest.mark.usefixtures("live")
def test_review8b_unsent_scheduled_send_past_its_time_can_be_called_off(standin: Any, db_url: str) -> None:
    """`mailer send --at` stopped by Ctrl-C before its requests, found the next day: nothing went to SendGrid, so
    `mailer cancel` (which the next send's warning and the Ctrl-C message both suggest) calls it off; it must not
    say the send has gone out."""
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    send_stopped_after_plan("--at", f"{goes_out:%Y-%m-%d %H:%M} UTC")
    first = todays_campaign()
    assert standin.mail_sends == []
    engine = connect(db_url)
    try:
        config = Config.model_validate({"sendgrid": {"api_url": standin.url}})
        called_off = campaign.cancel(engine, config, first, environ={"SENDGRID_API_KEY": KEY}, now=goes_out + timedelta(days=1))
    except SendError as error:
        pytest.fail(f"{error.message} / {error.hint}")
    finally:
        engine.dispose()
    assert called_off.unsent > 0


def _until_waiting_for_a_lock(db_url: str, process: subprocess.Popen[str]) -> None:
    """Until a session of the test's PostgreSQL schema waits for a lock (``process``, started with the
    same log): seen, not timed, for a loaded machine may take seconds to start it."""

    def ended() -> str | None:
        return None if process.poll() is None else str(process.communicate())

    until_sessions(db_url, "wait_event_type = 'Lock'", present=True, seconds=60, still=ended)


@pytest.mark.usefixtures("live")
def test_review8b_cancel_racing_a_resume_keeps_promise_8(standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: `mailer cancel` of a stopped send reads that it reached nobody; a colleague's `mailer resume` mails
    everyone before cancel writes "cancelled". The campaign must not end cancelled (promise 8 then forgets whom it
    reached, and the next send mails everyone again)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite takes the write lock at BEGIN IMMEDIATE: no such interleaving")
    send_stopped_after_plan()
    first = todays_campaign()
    real = campaigns.set_status
    fired: list[int] = []

    started: list[subprocess.Popen[str]] = []

    def resume_meanwhile(connection: Any, campaign_id: str, status: Any) -> None:
        if not fired:  # a colleague's resume, in a process of its own, between cancel's count and its write
            fired.append(1)
            env = {**os.environ, "PYTHONPATH": str(ROOT), "SENDGRID_API_KEY": KEY}
            command = [sys.executable, "-m", "mailer", "resume", first, "--yes"]
            started.append(subprocess.Popen(command, cwd=Path.cwd(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            _until_waiting_for_a_lock(db_url, started[0])  # it has reached the campaign's row, which cancel holds
        real(connection, campaign_id, status)

    engine = connect(db_url)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(campaigns, "set_status", resume_meanwhile)
            campaign.cancel(engine, Config(), first, environ={})
    finally:
        engine.dispose()
    assert fired
    _out, err = started[0].communicate(timeout=120)
    assert started[0].returncode != 0 and "cancelled" in err, err  # it waited for cancel, then found it cancelled
    assert standin.accepted_addresses() == {}
    mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert twice(standin) == []


# --- -o over mailer's own files ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["clean", "prune", "rejects", "report"])
def test_review8b_output_does_not_write_over_the_delivery_log(live: Path, standin: Any, db_url: str, command: str) -> None:
    """`lists clean/prune -o out/mailer.db` (tab completion in out/) must not replace the delivery log, and with it every
    campaign, suppression and forgotten journalist: refused, the log intact."""
    if not db_url.startswith("sqlite"):
        pytest.skip("a PostgreSQL log is no file")
    assert mailer(*SEND, "--yes", "--no-test-ok", key=KEY).exit_code == 0
    assert mailer("suppressions", "add", "li.wei@example.org", "--reason", "asked").exit_code == 0
    log = Path(db_url.removeprefix("sqlite:///"))
    before = log.read_bytes()
    args = {
        "clean": ["lists", "clean", "lists/press.csv", "-o", str(log)],
        "prune": ["lists", "prune", "lists/press.csv", "-o", str(log)],
        "rejects": ["lists", "clean", "lists/press.csv", "-o", "clean.csv", "--rejects", str(log)],
        "report": ["report", todays_campaign(), "--kind", "recipients", "--format", "csv", "-o", str(log)],
    }[command]
    result = mailer(*args)
    assert result.exit_code in (1, 2), result.output
    assert log.read_bytes()[:16] == before[:16] == b"SQLite format 3\x00"
    listed = mailer("suppressions", "list", "--json")
    assert "li.wei@example.org" in listed.stdout


def test_review8b_lists_clean_does_not_write_over_the_release(live: Path) -> None:
    """`lists clean lists/press.csv -o releases/example.md` (the same slip as `show -o releases/example.md`, review 8)
    leaves the release alone."""
    release = live / "releases" / "example.md"
    before = release.read_bytes()
    result = mailer("lists", "clean", "lists/press.csv", "-o", "releases/example.md")
    assert release.read_bytes() == before
    assert result.exit_code in (1, 2)


# --- files written aside, then put in place --------------------------------------------------------


@pytest.mark.usefixtures("project")
def test_review8b_cleaned_list_is_readable_like_any_new_file() -> None:
    """A file mailer writes gets the permissions any new file gets (umask 022: rw-r--r--), as before review 8's
    write-aside: a report in a shared folder was readable by colleagues, now only by its writer."""
    import os

    old = os.umask(0o022)
    try:
        result = mailer("lists", "clean", "lists/press.csv", "-o", "clean.csv")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert oct(Path("clean.csv").stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.usefixtures("project")
def test_review8b_cleaned_list_through_a_symlink_updates_the_file_it_points_to(tmp_path: Path) -> None:
    """-o names a link to the shared drive's copy (lists/shared.csv -> /shared/press-clean.csv): the shared copy is the
    one updated, and the link stays a link."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "press-clean.csv").write_text("old\n", encoding="utf-8")
    link = Path("lists/shared.csv")
    link.symlink_to(shared / "press-clean.csv")
    result = mailer("lists", "clean", "lists/press.csv", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert (shared / "press-clean.csv").read_text(encoding="utf-8-sig").startswith("email,")


@pytest.mark.usefixtures("live")
def test_review8b_send_while_a_resume_runs_does_not_say_already_received(standin: Any, db_url: str) -> None:
    """A stopped send is being resumed in another terminal (it holds the lease; nobody mailed yet) and the user runs the
    send again: the journalists have not received it, so the answer must not say they did, nor point at
    --include-previous (following that hint mails everyone twice, the review 8 path)."""
    from mailer.send import lease
    from mailer.send.dispatch import utcnow

    send_stopped_after_plan()
    first = todays_campaign()
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            lease.acquire(connection, first, now=utcnow())  # as the running `mailer resume` holds it
        again = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    finally:
        engine.dispose()
    assert standin.mail_sends == []
    said = again.stdout + again.stderr
    assert "already received" not in said
    assert "--include-previous" not in said


# --- events import of the wrong file ---------------------------------------------------------------


def test_review8b_events_import_of_a_quoted_one_column_list_is_refused(logged: Path) -> None:
    """A list of addresses exported with every cell quoted ("Email" / "jane.doe@example.org") given to `events import` by
    mistake: refused like any press list (no line holds an event), and no address copied into the quarantine."""
    Path("addresses.csv").write_bytes(b'"Email"\r\n"jane.doe@example.org"\r\n"john.smith@example.com"\r\n')
    result = mailer("events", "import", "addresses.csv")
    assert result.exit_code == 1, result.output
    assert "no line holds an event" in result.stderr
    assert "jane.doe@example.org" not in mailer("events", "quarantine").stdout


# --- a mailer.toml that names no log ------------------------------------------------------------------


def test_review8b_empty_new_log_beside_the_earlier_one_is_not_used_silently(project: Path) -> None:
    """The office kept its log in the user-data folder (a suppression in it), then added a mailer.toml without [database]
    url, and an older mailer (the one newcomer review 8 caught) already made an empty out/mailer.db there. The
    suppression must not silently vanish: mailer stops and names both logs, as it does when out/mailer.db is missing."""
    assert mailer("suppressions", "add", "jane.doe@example.org", "--reason", "asked by phone").exit_code == 0
    (project / "mailer.toml").write_text('[sender]\npostal_address = "1 Hive Road"\n', encoding="utf-8")
    connect(f"sqlite:///{project / 'out' / 'mailer.db'}").dispose()  # what mailer did before the fix
    listed = mailer("suppressions", "list")
    assert listed.exit_code == 1 or "jane.doe@example.org" in listed.stdout, listed.output


def test_review8b_send_again_after_a_send_stopped_half_way_points_at_resume(live: Path, standin: Any) -> None:
    """The usual stop: SendGrid goes away (or Ctrl-C) after the first request, 10 of 41 journalists mailed. Running the same
    send again must point at `mailer resume` for the 31 waiting, not call them "already received" and offer only
    --include-previous (which mails the 10 again)."""
    config = live / "mailer.toml"
    config.write_text(config.read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8")
    standin.answer(503, match=lambda r: len(standin.mail_sends) == 2)
    stopped = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    assert stopped.exit_code == 1, stopped.output
    reached = len(standin.accepted_addresses())
    assert 0 < reached < 41
    again = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    said = again.stdout + again.stderr
    assert f"mailer resume {todays_campaign()}" in said, said


@pytest.mark.usefixtures("live")
def test_review8b_resume_question_counts_only_those_it_will_mail(standin: Any) -> None:
    """After a stopped send and a new send (--include-previous) that reached everyone, `mailer resume FIRST` must not say
    "Left: 41 journalists to send to" and ask "Send ... to those 41 journalists?": it will mail nobody."""
    send_stopped_after_plan()
    first = todays_campaign()
    assert mailer(*SEND, "--yes", "--no-test-ok", "--include-previous", key=KEY).exit_code == 0
    requests = len(standin.mail_sends)
    resumed = mailer("resume", first, "--yes", key=KEY)
    assert len(standin.mail_sends) == requests  # nobody mailed twice (the fix holds)
    assert "Left:       41 journalists" not in resumed.stdout, resumed.stdout
