"""Newcomer trial 12b: a German association's press officer, first two weeks from a fresh clone.

Lists come from German Excel (semicolons, umlauts); sends go to the local SendGrid stand-in.
Each test is a finding: it asserts what the press officer should get and fails today
(``xfail(strict=True)``), so the fix flips it. Everything goes through the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import Result
from conftest import ROOT, without_log_line
from office_cli import KEY, campaign_of, mailer, said
from office_cli import office as _office
from office_cli import write_config as _write_config
from press_office import event, keys
from send_fixtures import ctrl_c_after_first_request

# Exported from German Excel: semicolons, a German header.
PRESSE = "E-Mail;Vorname;Nachname;Redaktion;Ressort\nana@daily.example;Ana;Lima;Daily News;Umwelt\nben@gazette.example;Ben;Okafor;The Gazette;Lokales\n"
EVERYONE = ["ana@daily.example", "ben@gazette.example"]
GERMAN_SENDER = 'from_email = "presse@imkerverband-rheinland.de"\npostal_address = "Bienenstraße 5, 50667 Köln"'


def office(project: Path, standin: Any, db_url: str, *, sendgrid: str = "", batch_size: int = 10) -> Path:
    """The example release and templates, the German beat list (lists/presse.csv), mailer.toml for the stand-in."""
    return _office(
        project, standin, db_url, beat=PRESSE, list_name="presse.csv", batch_size=batch_size, sendgrid=sendgrid, sender=GERMAN_SENDER
    )


def write_config(project: Path, standin: Any, db_url: str) -> None:
    _write_config(project, standin, db_url, sender=GERMAN_SENDER)


SEND = ("send", "releases/example.md", "--list", "lists/presse.csv")


# -- 1. a corrected release sent now, while its first version is scheduled: everyone gets both ----


def test_a_correction_sent_now_does_not_leave_the_scheduled_version_to_go_out_as_well(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for tomorrow 09:00; the next morning the office decides to send it
    now, and fixes one word first ("heute" for "morgen"). The plan says "2 of these journalists
    already received an earlier version" (nobody has: SendGrid holds it until tomorrow) and, with
    yes to the correction question, sends the new version now, never mentioning the scheduled
    send: at 09:00 tomorrow SendGrid delivers the old version too. Every journalist gets the
    release twice. Sent unchanged, the same send says "scheduled elsewhere ... mailer cancel it
    first"; a correction must do no less."""
    office(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0).isoformat()
    scheduled = mailer(*SEND, "--yes", "--no-test-ok", "--at", at)
    assert scheduled.exit_code == 0, scheduled.output
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("1.2 million", "1.3 million"), encoding="utf-8")
    now = mailer(*SEND, "--yes", "--no-test-ok")
    mailed_now = [p["to"][0]["email"] for r in standin.mail_sends if "send_at" not in r.body for p in r.body["personalizations"]]
    scheduled_cancelled = "cancel" in standin.scheduled.values()
    assert "already received an earlier version" not in said(now), now.output
    assert not (mailed_now and not scheduled_cancelled), (now.output, mailed_now)


# -- 2. journalists whose request's fate is unknown are "already received", with --include-previous -


def test_the_same_send_after_an_unknown_request_points_at_resend_unknown_not_include_previous(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """The stand-in (SendGrid) went away in the middle of a request: Ana's request got no answer
    and is unknown; Ben's was accepted. The next morning the press officer runs the same send
    again, to be sure everyone has it: "Nobody to send to: all 2 journalists already received
    this exact release. To send it to them again anyway, add --include-previous." Nobody knows
    Ana received it, and the only way offered mails Ben a second time. It should say Ana's fate is
    unknown and name `mailer resume ... --resend-unknown`, which mails her alone."""
    office(tmp_path, standin, db_url, batch_size=1)
    standin.answer(502, times=1)  # a gateway's 502: the request may have reached SendGrid (unknown)
    first = mailer(*SEND, "--yes", "--no-test-ok")
    assert first.exit_code == 3, first.output
    again = mailer(*SEND, "--yes", "--no-test-ok")
    assert "all 2 journalists already received" not in said(again), again.output
    assert "--resend-unknown" in again.output, again.output


# -- 3. a test send in SendGrid's sandbox counts as the staff's proof -------------------------------


def sandbox_test_then_live(tmp_path: Path, standin: Any, db_url: str) -> tuple[Result, Result]:
    """`sandbox = true` to try things first: a test send to a colleague, then sandbox off and the live send."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    tested = mailer("test", "releases/example.md", "--to", "julia.schaefer@imkerverband-rheinland.de")
    assert tested.exit_code == 0, tested.output
    write_config(tmp_path, standin, db_url)
    live = mailer(*SEND, "--yes")
    assert live.exit_code == 0, live.output
    return tested, live


def test_a_sandbox_test_send_does_not_count_as_the_staff_proof(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office tries `sandbox = true` first, as config.example.toml suggests, and test-sends
    the release to Julia: SendGrid validates it and delivers nothing, so Julia never sees a proof.
    Then sandbox goes back to false for the real send, which no longer warns "This exact content
    was never test-sent to staff": the proof nobody received counts as one. (Live sends in the
    sandbox already count as reaching nobody; test sends must too.)"""
    _, live = sandbox_test_then_live(tmp_path, standin, db_url)
    assert "never test-sent" in said(live), live.output


def test_a_sandbox_test_send_says_the_colleagues_will_not_receive_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer test` with `sandbox = true` prints "Test campaign ...: to julia...  Accepted: 1";
    Julia waits for a proof that never comes. The command should say that in SendGrid's sandbox
    nothing is delivered."""
    tested, _ = sandbox_test_then_live(tmp_path, standin, db_url)
    assert "sandbox" in without_log_line(tested.output).lower(), tested.output


# -- 4. a live send in the sandbox reads like a real one: plan, result, report, contact -------------


def test_a_sandbox_send_says_so_in_its_plan_and_result(tmp_path: Path, standin: Any, db_url: str) -> None:
    """With `sandbox = true` the plan reads "Mode: live send" and asks "Send this release to 2
    journalists?", then "Accepted: 2": nothing says SendGrid will deliver it to nobody (only
    `mailer status` and `mailer campaigns` do, afterwards). The plan should say it, as it says
    DRY RUN for a dry run."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    mode = next(line for line in sent.output.splitlines() if line.startswith("Mode:"))
    assert "sandbox" in mode.lower(), sent.output


def test_the_report_and_contact_of_a_sandbox_send_say_it_reached_nobody(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The report of the sandbox rehearsal (the page for the boss too) says "Accepted by SendGrid 2",
    "Delivered 0": it reads like a real send nobody opened. `mailer contact ana@...` lists it as
    "Outcome: accepted", so "did Ana get it?" is answered yes. Both should say it was SendGrid's
    sandbox: validated, delivered to nobody."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    campaign = campaign_of(sent)
    report = mailer("report", campaign)
    contact = mailer("contact", "ana@daily.example")
    assert "sandbox" in without_log_line(report.output).lower(), report.output
    assert "sandbox" in without_log_line(contact.output).lower(), contact.output


def test_a_follow_up_of_a_sandbox_send_is_refused(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The sandbox rehearsal stays in the log as the latest live send. A week later the office
    sends a reminder `--follow-up <that campaign> --who not-opened`: "Follow-up: 2 of 2 journalists
    (not opened)", a "did you see our release?" to journalists who never got it. A follow-up of a
    dry run, a test send or a cancelled send is refused; one of a send SendGrid delivered to
    nobody must be too."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    rehearsal = campaign_of(mailer(*SEND, "--yes", "--no-test-ok"))
    write_config(tmp_path, standin, db_url)
    follow = mailer("send", "releases/example.md", "--follow-up", rehearsal, "--who", "not-opened", "--dry-run")
    assert follow.exit_code == 1, follow.output
    assert "sandbox" in without_log_line(follow.output).lower(), follow.output


# -- 5. a Ctrl-C that came after the last request left: "Continue later with: mailer resume" -------


def test_ctrl_c_after_the_last_request_left_does_not_ask_for_a_resume(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A small send: its one request is on its way when the press officer presses Ctrl-C. SendGrid
    accepts it; mailer prints "Accepted: 2 ... not sent yet: 0", then "Error: Stopped at your
    request ... Continue later with: mailer resume ..." and exits 1. There is nothing to continue
    (`mailer resume` says "Nothing to resume"; `mailer status` says "All sent"): the message
    should say everyone was sent."""
    office(tmp_path, standin, db_url, batch_size=50)
    standin.slow(1.5)
    _, out, err = ctrl_c_after_first_request(tmp_path, standin, KEY, (*SEND, "--yes", "--no-test-ok"))
    assert sorted(standin.accepted_addresses()) == EVERYONE, (out, err)
    assert "mailer resume" not in err, (out, err)


# -- 6. a semicolon report's rates are written with a decimal point: text in German Excel ----------


def test_a_semicolon_report_writes_rates_with_a_decimal_comma(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The report CSV of a semicolon office opens in columns in German Excel (newcomer 12 #6), but
    its rates read "50.0%": with a decimal comma, Excel takes that cell as text, not a number
    (left-aligned, sorted as text: "100.0%" before "25.0%"; no sum, no chart). The semicolon
    is chosen because the office's Excel uses a decimal comma: the rates should be "50,0%"."""
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    campaign = campaign_of(sent)
    k = keys(standin)
    t = int(time.time())
    events = [event("delivered", address, campaign, k[campaign, address], t + 1) for address in EVERYONE]
    events.append(event("open", "ana@daily.example", campaign, k[campaign, "ana@daily.example"], t + 60, sg_machine_open=False))
    (tmp_path / "events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    assert mailer("events", "import", "events.ndjson").exit_code == 0
    written = mailer("report", campaign, "--format", "csv", "-o", "summary.csv")
    assert written.exit_code == 0, written.output
    text = (tmp_path / "summary.csv").read_text(encoding="utf-8-sig")
    assert "Opened by people (without Apple pre-fetch);1;50,0%" in text, text


# -- 7. --where with the list's own header: the reason names another field, the value lower-cased --


def test_where_with_the_lists_own_header_names_it_in_the_reason(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`--where Ressort=Umwelt` works on the German list (Ressort is read as the beat), but the
    journalists left out are "filtered: beat is not umwelt": a field the press officer never
    typed, and her value in lower case. It should read as she wrote it: "Ressort is not Umwelt"."""
    office(tmp_path, standin, db_url)
    dry = mailer(*SEND, "--where", "Ressort=Umwelt", "--dry-run")
    assert dry.exit_code == 0, dry.output
    skipped = next((tmp_path / "out" / "outbox").glob("*/skipped.csv")).read_text(encoding="utf-8-sig")
    assert "Ressort is not Umwelt" in skipped, skipped


# -- 8. the stand-in started with a Python that lacks the project's libraries: a traceback ---------


def test_standin_started_without_the_projects_libraries_says_which_python_to_use() -> None:
    """The README says `python tests/sendgrid_standin.py`. In a terminal where the project's
    environment is not activated, `python` is the system's, and the script stops with a traceback
    ("ModuleNotFoundError: No module named 'uvicorn'"): its plain message covers only a missing
    jsonschema. It should say to run it with the project's Python (.venv/bin/python) after
    pip install -e '.[dev]'. (-S leaves out site-packages, as a Python without them would.)"""
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / "tests" / "sendgrid_standin.py")], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "pip install" in result.stderr, result.stderr
