"""Newcomer trial 15: a press officer at a small public-affairs office, one week with the README.

She schedules a release, cancels it, schedules it again and cancels late when the embargo moves;
a send stops half-way (the process killed, SendGrid answering 500 or not at all) and she reads
`mailer status`, `mailer campaigns` and `mailer contact`, resumes, settles the unknown journalists
and exports the reports, with a colleague's terminal resuming or cancelling the same send.
SendGrid is the local stand-in; times after "now" go through the library's ``now=``. Each test is
a finding: it asserts what the press officer should get (each failed before its fix, session 15).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, campaign_of, mailer, office, said, stopped_after
from send_fixtures import send_running

from mailer.config import load as load_config
from mailer.errors import SendError
from mailer.send import campaign, status
from mailer.store import connect

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
# Six journalists, one request each: four go out at once (concurrency 4), two wait their turn.
SIX = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i}.example,Jo{i},Doe,Paper {i}\n" for i in range(6))


def engine_and_config(folder: Path) -> tuple[Any, Any]:
    """The office's delivery log and settings, as its mailer.toml names them."""
    config = load_config(folder / "mailer.toml")
    return connect(config.database.url), config


def scheduled_send(tmp_path: Path, standin: Any, db_url: str) -> tuple[str, datetime]:
    """The office's beat list sent with `--at` two hours from now: the campaign's id and its time."""
    office(tmp_path, standin, db_url)
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", goes_out.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    return campaign_of(scheduled), goes_out


def late_cancelled(tmp_path: Path, standin: Any, db_url: str) -> tuple[str, datetime]:
    """A ``scheduled_send`` cancelled five minutes before its time (a late cancel): its id and time."""
    campaign_id, goes_out = scheduled_send(tmp_path, standin, db_url)
    engine, config = engine_and_config(tmp_path)
    try:
        late = campaign.cancel(engine, config, campaign_id, environ={"SENDGRID_API_KEY": KEY}, now=goes_out - timedelta(minutes=5))
    finally:
        engine.dispose()
    assert late.late, late
    return campaign_id, goes_out


@pytest.fixture
def crashed(tmp_path: Path, standin: Any, db_url: str) -> Iterator[str]:
    """A live send of six journalists killed with SIGKILL while its first four requests were out
    (SendGrid slow to answer): the campaign's id. Four journalists are in flight, two not sent."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1)
    standin.slow(10.0, times=4)
    # Killed once the fourth request is listed in flight, as the first three.
    yield killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 4, wait=0.5)


# -- 1. a send whose process was killed is shown as "sending" ------------------------------------


@pytest.mark.slow
def test_a_killed_send_is_not_shown_as_still_sending(crashed: str) -> None:
    """The laptop's send was killed half-way. `mailer campaigns`, the first thing she reads, says
    `sending`, and so does the first line of `mailer status` ("(live, sending)"): she waits for it
    to finish, though no process sends it any more (status's own advice further down says to
    resume). A Ctrl-C or a SendGrid outage leaves it `paused`; a dead process should read so too
    (or `stopped`), not `sending`."""
    listed = mailer("campaigns")
    [row] = [line for line in listed.output.splitlines() if line.startswith(crashed)]
    assert re.split(r" {2,}", row)[2] != "sending", row
    shown = mailer("status", crashed)
    assert f"Campaign:  {crashed} (live, sending)" not in shown.output, shown.output


# -- 2. cancel of a crashed send says the in-flight journalists "had it" ------------------------


@pytest.mark.slow
def test_cancel_of_a_crashed_send_does_not_say_unknown_journalists_had_it(crashed: str) -> None:
    """She calls the crashed send off: "Called off the rest of ...: 2 journalists it had not mailed
    yet will not be (4 journalists had it before it stopped)." Nobody knows that the four had it:
    their requests got no answer, and `mailer status` right after counts them `unknown` ("they may
    already have the email"). The cancel should say so ("4 may have it: their fate is unknown")."""
    cancelled = mailer("cancel", crashed)
    assert cancelled.exit_code == 0, cancelled.output
    shown = mailer("status", crashed)
    assert "4 unknown" in said(shown), shown.output
    assert "4 journalists had it" not in said(cancelled), cancelled.output


# -- 3. "then, if needed: mailer resume" after a resume that can do nothing more -----------------


def test_the_hint_after_unknown_journalists_names_a_command_that_does_something(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid's gateway answered 502 for one request: one journalist unknown. The send ends:
    "See what happened with: mailer status CAMPAIGN   (then, if needed: mailer resume CAMPAIGN)".
    She runs that resume: it mails nobody (a plain resume never resends unknown or failed
    journalists) and ends with exit 3 and the very same advice, for ever. The hint should name what
    would act on them (`--resend-unknown`, `--retry-failed`), or only `mailer status`."""
    office(tmp_path, standin, db_url, batch_size=1)
    standin.answer(502, times=1)
    first = mailer(*SEND)
    assert first.exit_code == 3, first.output
    campaign_id = campaign_of(first)
    before = len(standin.mail_sends)
    again = mailer("resume", campaign_id, "--yes")
    assert (again.exit_code, len(standin.mail_sends)) == (3, before), again.output
    assert f"(then, if needed: mailer resume {campaign_id})" not in again.output, again.output
    assert f"mailer resume {campaign_id} --resend-unknown)" in again.stderr, again.output


# -- 4. status, five minutes before a scheduled send, still offers the cancel ------------------


def test_status_inside_the_last_ten_minutes_does_not_offer_the_cancel(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled; five minutes before its time she reads `mailer status`: "To call
    the send off (up to 10 minutes before): mailer cancel ...". It is already too late for that
    promise: the cancel she runs is only a late request SendGrid may ignore ("it may still go
    out"). Inside the last ten minutes status should say the cancel window has closed."""
    campaign_id, goes_out = scheduled_send(tmp_path, standin, db_url)
    engine, _ = engine_and_config(tmp_path)
    five_before = status.status(engine, campaign_id, now=goes_out - timedelta(minutes=5))
    steps = " ".join(five_before.next_steps)
    assert "SendGrid holds these emails until" in steps, steps
    assert "To call the send off (up to 10 minutes before)" not in steps, steps


# -- 5. cancel after the time of a late-cancelled send says it "has gone out already" -----------


def test_cancel_after_a_late_cancel_does_not_say_it_went_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The embargo moved: five minutes before the send's time she cancels ("it may still go out").
    After the time she tries `mailer cancel` once more, and it answers "... it has gone out
    already.", while `mailer status` says "no event from SendGrid says it went out: most likely the
    cancel held and nobody got it". The two disagree on whether the journalists got it; cancel
    should repeat what status knows (the late cancel, and what the events say)."""
    campaign_id, goes_out = late_cancelled(tmp_path, standin, db_url)
    engine, config = engine_and_config(tmp_path)
    environ = {"SENDGRID_API_KEY": KEY}
    after = status.status(engine, campaign_id, now=goes_out + timedelta(minutes=5))
    assert "most likely the cancel held and nobody got it" in " ".join(after.next_steps), after.next_steps
    with pytest.raises(SendError) as again:
        campaign.cancel(engine, config, campaign_id, environ=environ, now=goes_out + timedelta(minutes=5))
    assert "it has gone out already" not in again.value.message, again.value.message


# -- 6. the sending terminal reports "Accepted" for a send a colleague cancelled meanwhile -------


@pytest.mark.slow
def test_a_scheduled_send_cancelled_while_it_runs_says_so_in_its_own_terminal(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Maria sends the release for tomorrow morning (`--at`); SendGrid is slow today. While her
    terminal is still handing it over, the embargo moves and Tom, in his terminal, runs `mailer
    cancel`: "Cancelled ...: SendGrid will discard its messages at ...". Maria's send carries on
    (SendGrid discards the whole batch, as the README says) and ends "Accepted: 6 ... not sent
    yet: 0", exit 0, as if it were on its way; `mailer status` and `mailer campaigns` say "6
    cancelled". Her terminal should end by saying the send was cancelled meanwhile."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    standin.slow(3.0, times=4)
    with send_running(tmp_path, standin, KEY, (*SEND, "--at", goes_out.isoformat())) as process:
        [campaign_id] = [line.split()[0] for line in mailer("campaigns").output.splitlines() if "-example " in line]
        cancelled = mailer("cancel", campaign_id)
        assert cancelled.exit_code == 0, cancelled.output
        assert "Cancelled" in cancelled.output and process.poll() is None, cancelled.output
        out, err = process.communicate(timeout=60)
    assert "6 cancelled" in said(mailer("status", campaign_id)), mailer("status", campaign_id).output
    words = out + "\n".join(line for line in err.splitlines() if not line.startswith("Log:"))
    assert "cancel" in words.lower(), (out, err)


# -- 7. the report of a send that stopped half-way loses the journalists not sent yet -----------


def test_the_report_of_a_stopped_send_accounts_for_those_not_sent_yet(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid went away after two requests; the other four journalists wait for `mailer resume`.
    `mailer status` says "4 planned, 2 accepted ... 4 recipients have not been sent yet". The report
    she exports for her director reads "Planned recipients 6 ... Accepted by SendGrid 2, Failed 0,
    Fate unknown 0" and nothing else: four journalists are in no line, and nothing says the send
    has not finished. The report should count them ("Not sent yet 4", as the send's own totals line
    does) or say the send stopped."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    assert "4 recipients have not been sent yet" in said(mailer("status", campaign_id))
    report = mailer("report", campaign_id)
    assert report.exit_code == 0, report.output
    text = " ".join(report.stdout.split())  # not the Log: line on standard error, which names the test folder
    assert "Planned recipients │ 6" in text and "Accepted by SendGrid │ 2" in text, report.output
    assert re.search(r"not (yet )?sent|sent yet|not mailed|stopped|paused|mailer resume", text, re.IGNORECASE), report.output


# -- 8. the report of a send SendGrid still holds reads like a send that reached nobody ---------


def test_the_report_of_a_send_still_held_says_it_has_not_gone_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release goes out tomorrow morning. Her director asks how it is doing; `mailer report`
    answers "Accepted by SendGrid 2, Delivered 0 (0.0%), Bounced 0 (0.0%) ..." and nothing else:
    it reads as a send that reached nobody. `mailer status` says "SendGrid holds these emails
    until ...", the HTML page says "scheduled for ... nothing has gone out yet", and a cancelled
    send's report gets a sentence under its figures; so should one still held."""
    office(tmp_path, standin, db_url)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", goes_out.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    report = mailer("report", campaign_of(scheduled))
    assert report.exit_code == 0, report.output
    text = " ".join(report.stdout.split())
    assert "Delivered │ 0 │ 0.0%" in text, report.output
    assert re.search(r"scheduled|holds|not gone out|nothing has gone out", text, re.IGNORECASE), report.output


# -- 9. a resume whose journalists a colleague mailed while it asked reports them as its own ------


@pytest.mark.slow
def test_a_resume_beaten_by_a_colleague_says_it_sent_nothing(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SendGrid went away after two requests. Tom runs `mailer resume`: "Left: 4 journalists to
    send to. Send ... to those 4 journalists? [y/N]". While he reads it, Maria, in her terminal,
    resumes the same send with --yes and it finishes. Tom answers y: "Accepted: 6 failed: 0
    unknown: 0 not sent yet: 0", exit 0, exactly what a resume that mailed the four prints, though
    his sent nothing (nobody got it twice: the log held). He tells the director he sent it; his
    terminal should say another process had sent them meanwhile and his resume mailed nobody."""
    from mailer.cli import output
    from mailer.cli import send as cli_send

    campaign_id = stopped_after(tmp_path, standin, db_url)
    standin.reset()

    def maria_resumes_while_tom_reads(question: str) -> bool:
        maria = subprocess.run(
            [sys.executable, "-m", "mailer", "resume", campaign_id, "--yes"],
            check=False,
            cwd=tmp_path,
            env={**os.environ, "SENDGRID_API_KEY": KEY},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert maria.returncode == 0 and "Accepted:   6" in maria.stdout, (maria.stdout, maria.stderr)
        return True

    monkeypatch.setattr(cli_send, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(output, "confirm", maria_resumes_while_tom_reads)
    tom = mailer("resume", campaign_id)
    assert len(standin.mail_sends) == 4, "Maria's resume mailed the four, Tom's nobody"
    after_question = tom.stdout.split("Left:", 1)[1]
    assert re.search(r"another|colleague|nobody|nothing|no one", after_question, re.IGNORECASE), tom.output
    assert tom.exit_code == 0 and "Accepted:" not in after_question, tom.output  # not the totals of a send it did not make


# -- 10. reports never mention a late cancel ---------------------------------------------------


def test_the_report_of_a_late_cancelled_send_names_the_cancel(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The embargo moved five minutes before the send's time; she cancelled ("it may still go
    out"). After the time, `mailer status` says "no event from SendGrid says it went out: most
    likely the cancel held and nobody got it", `mailer campaigns` "done, cancel asked late". The
    report her director reads says "Accepted by SendGrid 2, Delivered 0 (0.0%)" with no word of the
    cancel, and the overview page counts it among the campaigns sent, pulling the office's
    delivered rate down. Both should name the late cancel (as status, campaigns and contact do)."""
    from mailer import reports

    campaign_id, goes_out = late_cancelled(tmp_path, standin, db_url)
    engine, _ = engine_and_config(tmp_path)
    assert "cancel asked late" in mailer("campaigns").stdout
    report = mailer("report", campaign_id)
    assert "Accepted by SendGrid │ 2" in " ".join(report.stdout.split()), report.output
    page = tmp_path / "overview.html"
    reports.export_overview(engine, page, now=goes_out + timedelta(hours=1))
    overview = page.read_text(encoding="utf-8").lower()
    assert "cancel" in report.stdout.lower() and "cancel" in overview, report.output


# -- 11. after a late cancel that most likely held, a correction says they "already received" it --


def test_a_correction_after_a_late_cancel_does_not_say_they_received_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embargo moved five minutes before the send's time; she cancelled late. After the time,
    `mailer status` says "most likely the cancel held and nobody got it". She fixes the date in the
    release and plans the new send: "Warning: 2 of these journalists already received an earlier
    version of this release (...)", then, live, "Send the corrected version to those 2
    journalists too?". Nobody is known to have received it; the words should say a cancel was
    asked late and no event shows it went out (as status does), not that they received it."""
    from mailer.send import prepare

    campaign_id, goes_out = late_cancelled(tmp_path, standin, db_url)
    engine, _ = engine_and_config(tmp_path)
    after = goes_out + timedelta(hours=1)
    assert "most likely the cancel held and nobody got it" in " ".join(status.status(engine, campaign_id, now=after).next_steps)
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("412 volunteers", "413 volunteers"), encoding="utf-8")
    monkeypatch.setattr(prepare, "utcnow", lambda *_: after)  # an hour after the send's time
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert campaign_id in planned.output, planned.output
    assert "already received an earlier version" not in said(planned), planned.output


# -- 12. killed while waiting to try again after a 5xx: journalists nobody mailed count as in flight --


def killed(tmp_path: Path, standin: Any, until: Callable[[], bool], *, wait: float = 0.3) -> str:
    """``mailer send`` of the office's beat list in a process of its own, killed with SIGKILL
    ``wait`` seconds after ``until()`` holds: the campaign's id."""
    with send_running(tmp_path, standin, KEY) as process:
        deadline = time.time() + 30
        while not until() and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(wait)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    standin.settle()  # what it had sent is recorded now, not after the reset (a loaded machine)
    standin.reset()
    listed = mailer("campaigns")
    match = re.search(r"^(\d{4}-\d\d-\d\d-example)\s", listed.output, re.MULTILINE)
    assert match, listed.output
    return match.group(1)


@pytest.mark.slow
def test_a_crash_while_waiting_to_retry_does_not_count_the_request_in_flight(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid is down (503 to every try). mailer waits to try again, as it should (retries = 4),
    and during the wait the laptop's battery dies (SIGKILL). SendGrid refused the only try, so
    nobody has the email. Yet `mailer status` says "2 recipients were on their way to SendGrid
    when the send stopped ...: they may already have the email. A resume does not send to them
    again; it marks them unknown": from then on only waiting for events (none will ever come) or
    --resend-unknown "only if you are sure" would reach them. A request whose every try was
    refused should leave the in-flight list while it waits, and stay planned."""
    from sqlalchemy import select

    from mailer.store.schema import campaign as campaign_table

    office(tmp_path, standin, db_url, sendgrid="retries = 4\nmax_retry_wait = 30.0\n")
    standin.answer(503, times=1_000)
    log = connect(db_url)

    def waiting_to_retry() -> bool:
        """Refused, and off the in-flight list in the log: killed 0.3 s after the 503, a loaded machine
        could still be taking it in (the request listed, as if it could have reached SendGrid) or be
        trying again (listed again). A request that never leaves the list is killed in its fourth try's
        wait (4 to 8 s), and the status below says so."""
        if len(standin.mail_sends) >= 4:
            return True
        if not (standin.mail_sends and standin.mail_sends[-1].status == 503):
            return False
        with log.connect() as connection:
            return not any(listed for listed in connection.execute(select(campaign_table.c.in_flight)).scalars())

    try:
        campaign_id = killed(tmp_path, standin, waiting_to_retry, wait=0.0)
    finally:
        log.dispose()
    shown = mailer("status", campaign_id)
    assert "Recipients: 2 planned" in shown.output, shown.output
    assert "in flight" not in shown.output and "on their way" not in shown.output, shown.output


# -- 13. resume after a crash in the last request loops: "run `mailer resume` again" -------------


@pytest.mark.slow
def test_resume_after_a_crash_in_the_last_request_does_not_loop(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A small send: one request for both journalists; SendGrid is slow to answer and the process
    is killed meanwhile. `mailer status`: "2 recipients were on their way ...: A resume does not
    send to them again; it marks them unknown". She runs the resume: "Nothing to resume: nobody is
    left to send ... to. Someone is left to send to after all: run `mailer resume ...` again." She
    does: the same two lines, every time; the campaign stays paused with both journalists planned
    and never becomes unknown, so the README's way to settle them (events, --resend-unknown) is
    never offered. (`mailer cancel` answers "has nobody left to send to, so there is nothing to
    cancel".) The resume should mark them unknown, as status promised, and say so."""
    office(tmp_path, standin, db_url)
    standin.slow(10.0, times=1)
    campaign_id = killed(tmp_path, standin, lambda: bool(standin.mail_sends))
    assert "2 recipients were on their way" in said(mailer("status", campaign_id))
    first = mailer("resume", campaign_id, "--yes")
    second = mailer("resume", campaign_id, "--yes")
    assert "run `mailer resume" not in second.output, (first.output, second.output)
    assert "2 unknown" in said(mailer("status", campaign_id)), mailer("status", campaign_id).output
