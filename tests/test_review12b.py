"""Review 12b: this session's changes, broken as a press office and an attacker would. Each xfail is a finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from office_cli import BEAT, KEY, mailed, mailer, office


def names(address: str) -> Any:
    """A stand-in script match: the request has ``address`` among its recipients."""
    return lambda recorded: address in json.dumps(recorded.body).lower()


def send_in_background(project: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "mailer", "send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", *args]
    return subprocess.Popen(
        command, cwd=project, env={**os.environ, "SENDGRID_API_KEY": KEY}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition: Any, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.02)


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# -- 1. a journalist forgotten while her request waits to be retried (429) is mailed --------------


@pytest.mark.parametrize("erase", ["forget", "suppress"])
def test_a_journalist_forgotten_while_her_request_waits_for_a_retry_is_not_mailed(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, erase: str
) -> None:
    """SendGrid says "too many requests" (429) to Ben's request; the send waits a few seconds to
    try again. Meanwhile Ben phones: the office runs `mailer forget` (or `suppressions add`) and is
    told he is erased, his row skipped. The retry then posts the very request that was built
    before: Ben is mailed after being forgotten, and the log still says skipped (promise 3). The
    check before a request leaves (dispatch.py `_still_planned`) runs once per listing, never
    before a retry, and a retry can wait up to max_retry_wait (60 s) twenty times."""
    office(tmp_path, standin, db_url, sendgrid="concurrency = 1\n", batch_size=1)
    monkeypatch.chdir(tmp_path)
    standin.rate_limit(times=1, reset_in=4.0)
    standin.scripts[-1].match = names("ben@gazette.example")
    process = send_in_background(tmp_path)
    try:
        wait_for(lambda: any(r.status == 429 for r in standin.mail_sends), process)
        if erase == "forget":
            done = mailer("forget", "ben@gazette.example", "--yes")
        else:
            done = mailer("suppressions", "add", "ben@gazette.example", "--reason", "unsubscribe")
        assert done.exit_code == 0, done.output
    finally:
        out, err = finish(process)
    assert "ben@gazette.example" not in mailed(standin), (out, err)


# -- 2. forget of brien@ rewrites o'brien@'s bounce: another journalist's data damaged ------------


def test_forget_leaves_a_longer_address_with_an_apostrophe_alone(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two journalists at one paper: Ann Brien (brien@paper.example) and Conor O'Brien
    (o'brien@paper.example; an apostrophe is an ordinary character of an address, and common in
    Irish names). Conor's copy bounced. Ann asks to be forgotten; `mailer forget brien@...` must
    touch Ann's data only. Today the scrub (mailbox.scrub, whose "not part of a longer address"
    look-behind knows letters, digits, '.', '+', '-' but not ' nor the other characters an address
    may hold: ! # $ % & * / = ? ^ ` { | } ~) rewrites Conor's bounce, its raw event, and any note
    or field naming him, to "o'(forgotten)": his bounce report no longer says whom it was about."""
    beat = "Email,First Name,Last Name,Outlet\nbrien@paper.example,Ann,Brien,Paper\no'brien@paper.example,Conor,O'Brien,Paper\n"
    office(tmp_path, standin, db_url, beat=beat)
    monkeypatch.chdir(tmp_path)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    keys = {
        p["to"][0]["email"].lower(): (p["custom_args"]["campaign"], p["custom_args"]["message"])
        for r in standin.mail_sends
        for p in r.body["personalizations"]
    }
    campaign, message = keys["o'brien@paper.example"]
    bounce = {
        "email": "o'brien@paper.example",
        "event": "bounce",
        "type": "bounce",
        "timestamp": int(time.time()),
        "sg_event_id": "review12b-bounce-1",
        "sg_message_id": "standin.filterdrecv-1-0",
        "campaign": campaign,
        "message": message,
        "reason": "550 5.1.1 <o'brien@paper.example>: mailbox unavailable",
        "status": "5.1.1",
    }
    (tmp_path / "events.ndjson").write_text(json.dumps(bounce) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "events.ndjson")
    assert imported.exit_code == 0, imported.output
    forgot = mailer("forget", "brien@paper.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    report = mailer("report", campaign, "--kind", "bounces", "--format", "json", "-o", "-")
    assert report.exit_code == 0, report.output
    assert "o'brien@paper.example>: mailbox unavailable" in report.output, report.output
    assert "(forgotten)" not in report.output, report.output


# -- 3. a test send in SendGrid's sandbox counts as test-sent: nobody proofread it ----------------


def test_a_test_send_to_the_sandbox_does_not_count_as_test_sent(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office tries the tool with [sendgrid] sandbox = true: `mailer test` "sends" the proof,
    SendGrid validates it and delivers it to nobody. Sandbox off, the live send no longer warns
    "This exact content was never test-sent to staff": nobody proofread the release. Review 12a #1
    marked live sandbox campaigns (campaigns.SANDBOX, campaign.py line 200 sets it for Mode.LIVE
    only), but campaigns.was_test_sent counts a sandboxed test campaign as a proof."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    monkeypatch.chdir(tmp_path)
    proof = mailer("test", "releases/example.md")
    assert proof.exit_code == 0, proof.output
    assert standin.mail_sends and standin.mail_sends[-1].status == 200  # SendGrid's sandbox answer: delivered to nobody
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("sandbox = true\n", ""), encoding="utf-8")
    live = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes")
    assert live.exit_code == 0, live.output
    assert "never test-sent" in live.output, live.output


# -- 4. forget while her request is on its way: SendGrid took it, the log says skipped ------------


def test_forget_while_her_request_is_in_flight_leaves_the_log_saying_she_was_mailed(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana's request has left and SendGrid is slow to answer; the office runs `mailer forget` for
    her. erase_address moves every `planned` row of hers to skipped, including the row of the
    request in flight (it is still `planned` until the answer is logged), and the answer's
    mark_request moves only `planned` rows to accepted. So SendGrid accepted her email, yet the log
    says skipped (suppressed): `mailer status` counts 1 accepted of 2, `forget` says nothing of an
    email already on its way, and nobody can tell she was mailed (promise 1: the log is the truth)."""
    office(tmp_path, standin, db_url, sendgrid="concurrency = 1\n", batch_size=1)
    monkeypatch.chdir(tmp_path)
    standin.slow(3.0, times=1, match=names("ana@daily.example"))
    process = send_in_background(tmp_path)
    try:
        wait_for(lambda: bool(standin.mail_sends), process)
        forgot = mailer("forget", "ana@daily.example", "--yes")
        assert forgot.exit_code == 0, forgot.output
    finally:
        out, err = finish(process)
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], (out, err)
    status = json.loads(mailer("status", "latest", "--json").stdout)
    assert status["counts"]["accepted"] == 2, (status, forgot.output)


# -- 5. a colleague on Windows: resume cannot find the release in this copy of the folder ---------


def test_a_send_stopped_on_a_windows_computer_can_be_resumed_from_a_colleagues_copy(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team shares one PostgreSQL log; Ana works on Windows, Ben on a Mac. Ana's send stops
    half way (SendGrid unavailable), logged with her path C:\\Users\\ana\\Documents\\press\\releases\\example.md.
    Ben, in his copy of the press folder, runs `mailer resume`: it should find releases/example.md
    there (7d521d7, review 12a #16). campaign.release_file splits the logged path with this
    computer's rules: on macOS or Linux a Windows path is one name, no tail of it is found, and
    the resume stops with "not found": Ana's journalists stay unmailed until she is back."""
    from sqlalchemy import update

    from mailer.store import connect
    from mailer.store.schema import campaign

    office(tmp_path, standin, db_url, sendgrid="concurrency = 1\nretries = 0\n", batch_size=1)
    monkeypatch.chdir(tmp_path)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 1 and "SendGrid did not take the requests" in sent.output, sent.output
    standin.reset()
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(update(campaign).values(release_path="C:\\Users\\ana\\Documents\\press\\releases\\example.md"))
    finally:
        engine.dispose()
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert mailed(standin) == ["ben@gazette.example"], resumed.output


# -- 6. a personalized subject is still SendGrid's raw token in every --json and report file -------


def test_a_personalized_subject_reads_as_the_preview_shows_it_in_json_and_report_files(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fde7e91 made a subject like "For {{ contact.outlet }}: ..." read "For [outlet]: ..." in the
    plan, `campaigns`, `status`, `contact` and the report table. The same commands with --json, and
    the report written as JSON (`report --format json`, what a colleague opens), still say
    "For -~c.outlet.s~-: ...": status.py/campaigns.py, send.py's --json, reports/formats.py to_json
    and reports/contact.py _sending_dict write campaign.subject as logged."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    subject = 'subject: "Riverbend Beekeepers count record 1.2 million bees in first city-wide census"'
    release.write_text(text.replace(subject, 'subject: "For {{ contact.outlet }}: a record bee census"'), encoding="utf-8")
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--json")
    assert sent.exit_code == 0, sent.output
    said = {
        "send --json": sent.stdout,
        "status --json": mailer("status", "latest", "--json").stdout,
        "contact --json": mailer("contact", "ana@daily.example", "--json").stdout,
        "report json": mailer("report", "latest", "--format", "json", "-o", "-").stdout,
    }
    page = mailer("report", "latest", "--format", "html", "-o", "page.html")
    assert page.exit_code == 0, page.output
    said["report html"] = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert {name: "-~" in text for name, text in said.items()} == dict.fromkeys(said, False), said


# -- 7. mailer contact counts a sandbox campaign as one that reached the journalist ---------------


def test_contact_does_not_count_a_sandbox_send_as_mailed(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journalist asks "what have you sent me?". The office's only live campaign went to
    SendGrid's sandbox ([sendgrid] sandbox = true): validated, delivered to nobody; review 12a #1
    lists it as sandbox in `mailer campaigns`. `mailer contact` counts it as a live campaign that
    went to her (reports/contact.py: totals and lines take every Mode.LIVE row; the SANDBOX flag
    is never read), and does not say it was the sandbox."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    monkeypatch.chdir(tmp_path)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    document = json.loads(mailer("contact", "ana@daily.example", "--json").stdout)
    text = mailer("contact", "ana@daily.example").output
    assert document["totals"]["campaigns"] == 0 or "sandbox" in text.lower(), (document, text)


def test_a_follow_up_of_a_sandbox_campaign_is_refused(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live campaign went to SendGrid's sandbox (delivered to nobody). A week later the office
    follows it up: `mailer send follow-up.md --follow-up latest --who not-opened`. Every journalist
    "did not open" it, so each gets "Following up on our release..." about an email they never
    received. prepare._original refuses test sends, dry runs and cancelled campaigns, but not a
    sandboxed one (campaigns.SANDBOX): it should say the campaign reached nobody."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    monkeypatch.chdir(tmp_path)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("sandbox = true\n", ""), encoding="utf-8")
    release = tmp_path / "releases" / "example.md"
    follow = tmp_path / "releases" / "follow-up.md"
    follow.write_text(release.read_text(encoding="utf-8").replace('subject: "', 'subject: "Following up: ', 1), encoding="utf-8")
    standin.reset()
    followed = mailer("send", "releases/follow-up.md", "--follow-up", "latest", "--who", "not-opened", "--yes", "--no-test-ok")
    assert mailed(standin) == [], followed.output
    assert followed.exit_code == 1 and "sandbox" in followed.output.lower(), followed.output


# -- 8. let through by name, then suppressed again while the send runs: mailed all the same ---------


def test_suppressing_again_an_address_a_running_send_lets_through_by_name_stops_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben was suppressed ("on leave"); back at work, he asks for this one release and the office
    sends with --override-suppression ben@gazette.example. While the send runs he phones again: not
    now after all. `mailer suppressions add ben@... --reason "asked again"` answers "1 already was"
    and changes nothing, and the running send mails him: `_still_planned` lets an overridden
    address through unless an *event* (bounce, unsubscribe) said no after the plan
    (messages._suppressed_since); the office's own new word never counts. Either the add should
    stop him (a manual entry or note newer than the plan), or it should say that a running send
    lets him through by name."""
    office(tmp_path, standin, db_url, sendgrid="concurrency = 1\n", batch_size=1)
    monkeypatch.chdir(tmp_path)
    first = mailer("suppressions", "add", "ben@gazette.example", "--reason", "on leave")
    assert first.exit_code == 0, first.output
    standin.slow(3.0, times=1, match=names("ana@daily.example"))
    process = send_in_background(tmp_path, "--override-suppression", "ben@gazette.example")
    try:
        wait_for(lambda: bool(standin.mail_sends), process)
        again = mailer("suppressions", "add", "ben@gazette.example", "--reason", "asked again: not now")
        assert again.exit_code == 0, again.output
    finally:
        out, err = finish(process)
    assert "ben@gazette.example" not in mailed(standin) or "override" in again.output.lower(), (again.output, out, err)


# -- 9. forget misses an address with accents in the quarantine (kept as ASCII JSON) --------------


def test_forget_erases_an_accented_address_from_quarantined_events(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An events file holds an event about anna@bücher.example that cannot be read (a timestamp
    that is not a number): it goes to the quarantine, stored as ASCII JSON (parse.safe_json), so
    the address is kept as "anna@b\\u00fccher.example". Anna asks to be forgotten; `mailer forget`
    looks for the address as typed, with %40, and in its xn-- form (mailbox.mentions), never in
    the JSON-escaped form the quarantine holds: her address stays in the log (SENDGRID.md §4.4)."""
    from sqlalchemy import select

    from mailer.store import connect
    from mailer.store.schema import quarantine

    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    unreadable = {"email": "anna@bücher.example", "event": "delivered", "timestamp": "yesterday", "sg_event_id": "review12b-q-1"}
    (tmp_path / "events.json").write_text(json.dumps([unreadable], ensure_ascii=False), encoding="utf-8")
    imported = mailer("events", "import", "events.json")
    assert "quarantine" in imported.output.lower(), imported.output
    forgot = mailer("forget", "anna@bücher.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            kept = [raw for raw in connection.scalars(select(quarantine.c.raw))]
    finally:
        engine.dispose()
    assert kept and not any("anna@" in raw for raw in kept), kept


# -- 10. some already received, some scheduled: the refusal forgets the scheduled, its hint mails them twice


def test_nobody_to_send_names_the_journalists_a_scheduled_send_holds_beside_those_who_received(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana got the release this morning; Ben is in this afternoon's scheduled send of it (--at).
    The office, wanting Ben to have it now, runs the send again. The plan says "1 already received,
    1 scheduled elsewhere", then: "Nobody to send to: all 1 journalists already received this exact
    release. To send it to them again anyway, add --include-previous." Ben's scheduled send and
    `mailer cancel` are not named (prepare._nobody speaks of them only when nobody 'received'),
    and the hint mails Ana a second time and Ben twice: now, and again at the scheduled time."""
    from datetime import UTC, datetime, timedelta

    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lists" / "ana.csv").write_text("Email,First Name\nana@daily.example,Ana\n", encoding="utf-8")
    morning = mailer("send", "releases/example.md", "--list", "lists/ana.csv", "--yes", "--no-test-ok")
    assert morning.exit_code == 0, morning.output
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    later = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert later.exit_code == 0 and "Recipients: 1\n" in later.output, later.output
    again = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert again.exit_code == 1, again.output
    refusal = again.output[again.output.index("Error:") :]
    assert "scheduled" in refusal and "mailer cancel" in refusal, refusal


# -- 11. report -o writes over a press list sent from inside its own folder ----------------------


def test_report_does_not_write_over_a_press_list_sent_from_its_own_folder(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The press officer keeps a terminal open in lists/ and sends from there:
    `mailer send ../releases/example.md --list beat.csv` (mailer.toml is found in the parent). The
    log names the list "beat.csv", as typed. Back in the office folder, `mailer report latest -o
    lists/beat.csv` (meaning lists/beat-report.csv) replaces the press list with the report:
    never_over resolves the logged names against the office folder and the current one only
    (cli/__init__.py _logged_lists), never the folder the send ran in (newcomer 12 #7)."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path / "lists")
    sent = mailer("send", "../releases/example.md", "--list", "beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    monkeypatch.chdir(tmp_path)
    written = mailer("report", "latest", "--kind", "recipients", "-o", "lists/beat.csv")
    assert (tmp_path / "lists" / "beat.csv").read_text(encoding="utf-8") == BEAT, written.output
    assert written.exit_code == 1, written.output
