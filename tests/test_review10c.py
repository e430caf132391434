# ruff: noqa: F811  (the `project` fixture, imported from test_languages_send, is each test's argument)
"""Review 10c: attacks on ee4eafd (``lease.may_still_send``: a campaign's planned rows are "still
going out" while its lease is held by a process not known to be gone, or while its plan is under two
minutes old with status planned; ``campaigns.pause_if_planned`` on Ctrl-C). Each test says what the
press office should see; each failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_languages_send import KEY, SEND, SUBJECTS, WHO_GETS, mailer, project  # noqa: F401
from test_review10 import ENGLISH, _correct_english, _sent_to
from test_review10b import _correction_between_plan_and_run, _ctrl_c_after_plan, _stopped_send


# A `mailer send` whose process is killed (kill -9; likewise a closed terminal's SIGHUP, an OOM kill,
# a power cut) the moment its plan is committed: no KeyboardInterrupt, so no pause_if_planned.
def _everyone_their_version() -> dict[str, str]:
    return {email: SUBJECTS[language] for email, language in WHO_GETS.items()}


# --- 1. A plan under two minutes old whose process is dead ----------------------------------


# --- 2. A lease left by a process on another host, or before a reboot ------------------------


@pytest.mark.parametrize("host", ["press-laptop-2/0badb007", "this machine before its reboot"])
def test_a_lease_left_hours_ago_by_a_dead_process_elsewhere_does_not_strand_its_journalists(project: Path, standin: Any, host: str) -> None:
    """The send stopped with every row planned, its lease still in the log: its process died on the
    colleague's laptop sharing the PostgreSQL log (DESIGN: "sends started from any host sharing that
    database"), or the office's own machine lost power mid-send and rebooted (the lease's host then
    carries the old boot id). Three hours later the office corrects the English figure and sends the
    release: the French and German journalists must get their version. Main counts them "already
    received" in the dead send for ever (its lease's holder is "not known to be gone"), and refuses to
    resume the dead send (launch.md changed)."""
    from mailer import config
    from mailer.send import lease
    from mailer.send.dispatch import utcnow
    from mailer.store import campaigns, connect
    from mailer.store.schema import LEASE_HOLDER_MARK

    stopped = _stopped_send(project, standin)
    if host == "this machine before its reboot":
        name, _, boot = lease._host().partition("/")
        host = f"{name}/{'0' * 8 if boot != '0' * 8 else '1' * 8}"
    engine = connect(config.from_environment().database.url)
    with engine.begin() as connection:  # as the dead process left it, three hours ago
        then = utcnow() - timedelta(hours=3)
        taken = campaigns.take_lease(
            connection, stopped, holder=LEASE_HOLDER_MARK + "0" * 32, host=host, pid=4242, now=then, expires=then + lease.TTL
        )
        assert taken
    engine.dispose()
    _correct_english(project)
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    mailer("resume", stopped, "--yes")  # refused on main: launch.md changed
    mailer(*SEND, "--yes")  # its hint: "or start a new one with: mailer send"; main skips them again
    assert _sent_to(standin) == _everyone_their_version()


# --- 3. A scheduled send stopped between its plan and its run ---------------------------------


def test_cancelling_a_scheduled_send_stopped_before_its_run_calls_it_off_even_near_its_time(project: Path, standin: Any) -> None:
    """`mailer send --at` five minutes ahead, Ctrl-C the moment its plan is written: the office is told
    "if it reached nobody, `mailer cancel` calls it off", and does. Nothing reached SendGrid, so it is
    cancelled, whatever the clock says, and a send of the release afterwards mails everyone. Main warns
    that SendGrid "may still go out" with it and that its journalists count as reached; the campaign
    stays paused and the next send skips all six as waiting in it."""
    from datetime import UTC, datetime

    at = (datetime.now(UTC) + timedelta(minutes=6)).replace(second=0, microsecond=0)
    _ctrl_c_after_plan(*SEND, "--yes", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    [listed] = json.loads(mailer("campaigns", "--json").stdout)
    cancelled = mailer("cancel", listed["id"])
    assert cancelled.exit_code == 0, cancelled.output
    assert "none of its 6 journalists was sent anything" in " ".join(cancelled.output.split()), cancelled.output
    assert mailer(*SEND, "--yes").exit_code == 0
    assert _sent_to(standin) == _everyone_their_version()


def test_status_of_a_scheduled_send_stopped_before_its_run_does_not_say_sendgrid_holds_its_emails(project: Path, standin: Any) -> None:
    """`mailer send --at` two hours ahead, Ctrl-C the moment its plan is written: SendGrid has nothing
    of it. `mailer status` must say it is paused with 6 not sent yet, and not, as main does, that
    "SendGrid holds these emails until ..." (the office would think the release is safely queued)."""
    from datetime import UTC, datetime

    at = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    _ctrl_c_after_plan(*SEND, "--yes", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert standin.mail_sends == []
    [listed] = json.loads(mailer("campaigns", "--json").stdout)
    shown = mailer("status", listed["id"]).stdout
    assert f"Campaign:  {listed['id']} (live, paused)" in shown
    assert "6 recipients have not been sent yet" in shown
    assert "SendGrid holds" not in shown, shown


# --- 4. A plan that took over two minutes to write ---------------------------------------------


# --- 5. Resuming the uncorrected send once its file is restored --------------------------------


def test_resuming_a_stopped_send_after_its_file_was_restored_does_not_mail_the_uncorrected_version_after_the_correction(
    project: Path, standin: Any
) -> None:
    """test_review10b's restored-file story, for the English journalists: the send stopped before mailing
    anyone; the corrected launch.md went to everyone (413 volunteers); the office restores launch.md to
    look at it and resumes the stopped send, as the refusal's hint says ("Undo the change to finish this
    campaign"). The English journalists, who have the correction, must not then get the uncorrected
    English email (412 volunteers) on top of it; main mails it to all three without a word."""
    stopped = _stopped_send(project, standin)
    main_file = project / "releases" / "launch.md"
    original = main_file.read_text(encoding="utf-8")
    _correct_english(project)
    corrected = mailer(*SEND, "--yes")
    assert corrected.exit_code == 0, corrected.output
    main_file.write_text(original, encoding="utf-8")
    resumed = mailer("resume", stopped, "--yes")
    assert resumed.exit_code in (0, 1), resumed.output
    english = [r.body for r in standin.mail_sends if r.body["subject"] == SUBJECTS["en"]]
    uncorrected = [b for b in english if "412 volunteers" in " ".join(b["content"][0]["value"].split())]
    assert uncorrected == [], [p["to"][0]["email"] for b in uncorrected for p in b["personalizations"]]


# --- 6. "Being sent by" a campaign that is then called off -------------------------------------


# --- 7. The quarantine's repair, by file name --------------------------------------------------


def test_importing_another_file_under_the_same_name_does_not_take_an_unrepaired_entry_off_the_quarantine(
    logged: Path,
) -> None:
    """Monday's export, downloaded as events.ndjson, has a line cut short (quarantined: the raw text is
    all the log has of that event). Tuesday's export is downloaded under the same name (the browser
    overwrote it) and imported: every line reads. Monday's unreadable line was never repaired, so it
    must stay in the quarantine; main drops it and says it "was repaired"."""
    monday = [
        '{"email": "ana@example.org", "event": "open", "timestamp": 1764000000, "sg_event_id": "m1"}',
        '{"email": "ben@example.org", "event": "bounce", "reason": "550 mailbox',  # cut short
    ]
    tuesday = [
        '{"email": "cy@example.org", "event": "open", "timestamp": 1764086400, "sg_event_id": "t1"}',
        '{"email": "dee@example.org", "event": "open", "timestamp": 1764086460, "sg_event_id": "t2"}',
    ]
    (logged / "events.ndjson").write_text("".join(line + "\n" for line in monday), encoding="utf-8")
    assert "Quarantined 1 event" in mailer("events", "import", "events.ndjson").stdout
    (logged / "events.ndjson").write_text("".join(line + "\n" for line in tuesday), encoding="utf-8")
    again = mailer("events", "import", "events.ndjson")
    assert again.exit_code == 0, again.output
    assert "repaired" not in again.stdout, again.stdout
    assert mailer("events", "quarantine").stdout.startswith("1 entry in the quarantine")


# --- 8. A list's name in `mailer contact` -------------------------------------------------------


# --- 9. A request in flight when its process died on this machine ------------------------------

# `mailer send` whose process is killed (kill -9) the moment SendGrid accepted its first request,
# before the answer is logged: that request's row is still `planned`, listed in flight under the lease.
KILLED_AFTER_FIRST_REQUEST = """
import os, signal, sys
from mailer.transport import sendgrid
send = sendgrid.SendGridTransport.send
def then_killed(self, *args, **kwargs):
    answer = send(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return answer
sendgrid.SendGridTransport.send = then_killed
from mailer.cli import main
sys.argv = ["mailer", *sys.argv[1:]]
main()
"""


KILLED_AFTER_PLAN = """
import os, signal, sys
from mailer.send import delivery
record = delivery.record
def then_killed(*args, **kwargs):
    done = record(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return done
delivery.record = then_killed
from mailer.cli import main
sys.argv = ["mailer", *sys.argv[1:]]
main()
"""


def _killed(project: Path, script: str, *args: str) -> None:
    """``mailer ARGS`` in a process of its own, made to kill itself (SIGKILL) by ``script``."""
    env = {**os.environ, "SENDGRID_API_KEY": KEY}
    died = subprocess.run(
        [sys.executable, "-c", script, *args], check=False, cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert died.returncode == -9, died.stderr


def test_a_correction_after_a_send_died_mid_request_counts_the_journalist_in_flight_as_reached(project: Path, standin: Any) -> None:
    """The send's process dies (kill -9) the moment SendGrid accepted its first request, to one English
    journalist, before the answer was logged. The office corrects the English figure and sends at once.
    That journalist got the uncorrected English email: the correction must say "1 of these journalists
    already received an earlier version of this release" (and ask), as it would had the answer been
    logged. Main says nothing of it (the row in flight reads `planned` in a send whose process is gone),
    and `mailer status` of the dead send says "6 recipients have not been sent yet"."""
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 1\nconcurrency = 1"), encoding="utf-8")
    _killed(project, KILLED_AFTER_FIRST_REQUEST, *SEND, "--yes")
    assert sum(standin.accepted_addresses().values()) == 1
    assert set(standin.accepted_addresses()) <= ENGLISH  # the main version's request goes first
    _correct_english(project)
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "1 of these journalists already received an earlier version of this release" in said, said


def test_resuming_a_send_after_another_died_mid_request_does_not_mail_the_journalist_in_flight_twice(project: Path, standin: Any) -> None:
    """Two stopped sends of the release plan the same six journalists (the second made with
    --include-previous, both stopped by SendGrid answering 503). The first is resumed and its process dies
    (kill -9) the moment SendGrid accepted its first request, its other requests out too (concurrency); the office then resumes the second (fix 10:
    a resume skips whom another send of the same release reached since). The journalists of those requests
    must not get the same email twice (promises 2 and 8); main mails all six again at once (before fix 10b
    the dead lease still counted as held for its two minutes)."""
    first = _stopped_send(project, standin)
    standin.answer(503, times=100)
    mailer(*SEND, "--include-previous", "--yes")
    standin.reset()
    [second] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout) if c["id"] != first]
    assert "6 planned" in mailer("status", second).stdout
    _killed(project, KILLED_AFTER_FIRST_REQUEST, "resume", first, "--yes")
    in_flight = set(standin.accepted_addresses())  # its requests out at once (concurrency): often all six
    assert in_flight
    mailer("resume", second, "--yes")  # main: "Accepted: 6"
    mailer("resume", first, "--yes")  # main: its rows in flight become "skipped: already received in" the second
    accepted = standin.accepted_addresses()
    # A request still on its way when the process died may never have reached SendGrid: its rows are
    # unknown (promise 2: sent again only with --resend-unknown), so not everyone need be mailed yet.
    assert in_flight <= set(accepted) <= set(WHO_GETS)
    assert max(accepted.values()) == 1, accepted


def test_a_send_killed_after_its_plan_does_not_strand_its_journalists_from_a_correction(project: Path, standin: Any) -> None:
    """The office's send dies the moment its plan is written (the terminal window closed: SIGHUP, not
    Ctrl-C; here kill -9). It fixes the English figure and sends again at once, as it would after
    Ctrl-C (test_review10b covers that one). The French and German journalists, only planned in the
    dead send, must get their unchanged version (the send took its lease with its plan: its holder
    is gone). Before, they were "already received" there for two minutes (the plan "may still send"),
    `mailer resume` of the dead send was refused (launch.md changed), and a new send skipped them again."""
    _killed(project, KILLED_AFTER_PLAN, *SEND, "--yes")
    _correct_english(project)
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    dead = mailer("campaigns", "--json")
    for listed in json.loads(dead.stdout):  # as the office would then: resume the dead send
        mailer("resume", listed["id"], "--yes")
    mailer(*SEND, "--yes")  # the refusal's hint: "or start a new one with: mailer send"
    assert _sent_to(standin) == _everyone_their_version()


def test_a_correction_sent_between_a_slow_plan_and_its_lease_mails_unchanged_versions_once(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As test_review10b's plan-and-lease race, but the first send's plan took two and a half minutes to
    write (hundreds of thousands of rows; DESIGN's scale): its campaign's created_at is the moment the
    writing began. A colleague's correction in the moment between its commit and its lease must still
    leave the French and German journalists to it (promises 2, 6, 8): the send holds its lease from
    the plan's own transaction, however long the plan took."""
    from mailer.send.dispatch import utcnow

    _correction_between_plan_and_run(project, standin, monkeypatch, began=utcnow() - timedelta(seconds=150))


def test_resume_of_a_send_whose_file_changed_refuses_before_its_question(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Newcomer 10 #2: `mailer resume` asked "Send ... to those N journalists?" and only then said the
    release file had changed since; it refuses first now, and asks nothing."""
    from mailer.cli import send as send_cli

    first = _stopped_send(project, standin)
    _correct_english(project)
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    refused = mailer("resume", first, input="y\n")
    assert refused.exit_code == 1
    assert "has changed since" in refused.output and "journalists?" not in refused.output
