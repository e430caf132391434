"""Newcomer trial 13: a two-person press office (Maria and Tom) sharing one delivery log.

Each keeps a copy of the office's press folder (releases, lists, mailer.toml) on their own
computer; both mailer.toml files name the same delivery log. Sends go to the local SendGrid
stand-in. Each test is a finding: it asserts what the press office should get and fails today
(``xfail(strict=True)``), so the fix flips it. Everything goes through the command line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from office_cli import KEY, SENDER, campaign_of, mailer, said
from office_cli import office as _office

# Maria's beat list, exported from German Excel: semicolons, a German header.
PRESSE = (
    "E-Mail;Vorname;Nachname;Zeitung\n"
    "ana@daily.example;Ana;Lima;Daily News\n"
    "ben@gazette.example;Ben;Okafor;The Gazette\n"
    "cleo@radio.example;Cleo;Martin;Radio One\n"
)
QUOTE = "said Maria Okafor"
WRONG_QUOTE = "said Maria Okafur"


def office(folder: Path, standin: Any, db_url: str, *, batch_size: int = 10) -> Path:
    """One colleague's copy of the press folder: releases, templates, lists, a mailer.toml on the shared log."""
    sender = f'from_email = "press@riverbend-bees.org"\n{SENDER}'
    return _office(
        folder, standin, db_url, beat=PRESSE, list_name="presse.csv", batch_size=batch_size, sendgrid="concurrency = 1\n", sender=sender
    )


def embargoed_release(folder: Path, *, quote: str, embargo: datetime | None = None) -> Path:
    """releases/honey.md: the example, embargoed until tomorrow (or ``embargo``), with the quote as given."""
    example = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    embargo = embargo or (datetime.now(UTC) + timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    text = example.replace(
        'subject: "Riverbend Beekeepers count record 1.2 million bees in first city-wide census"',
        f'subject: "Riverbend honey harvest doubles"\nembargo: "{embargo:%Y-%m-%d %H:%M} UTC"',
    ).replace("said Maria Okafor", quote)
    assert quote in text and "embargo:" in text
    path = folder / "releases" / "honey.md"
    path.write_text(text, encoding="utf-8")
    return path


def embargo_of(path: Path) -> str:
    match = re.search(r'embargo: "([^"]+)"', path.read_text(encoding="utf-8"))
    assert match
    return match.group(1)


# -- 1. a colleague's copy of the release is not "this release": both versions go out -------------


def test_tom_sending_his_old_copy_is_refused_while_marias_corrected_version_is_scheduled(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maria scheduled the embargoed release for tomorrow, Tom cancelled it (the quote was wrong),
    Maria fixed the quote in her copy and scheduled it again. Tom's copy of the press folder still
    has the wrong quote; he schedules "the release" for the embargo too. From Maria's own folder
    the same send is refused ("23 of these journalists are scheduled to get an earlier version of
    this release ... would mail them twice"); from Tom's copy it plans every journalist and sends:
    at 09:00 each journalist gets the corrected release and the one with the wrong quote."""
    maria = office(tmp_path / "maria", standin, db_url)
    tom = office(tmp_path / "tom", standin, db_url)
    embargo = (datetime.now(UTC) + timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    embargoed_release(maria, quote=WRONG_QUOTE, embargo=embargo)
    shutil.copy(maria / "releases" / "honey.md", tom / "releases" / "honey.md")  # the office's copy, synced
    at = embargo_of(maria / "releases" / "honey.md")
    send = ("send", "releases/honey.md", "--list", "lists/presse.csv", "--at", at, "--yes", "--no-test-ok")

    monkeypatch.chdir(maria)
    first = mailer(*send)
    assert first.exit_code == 0, first.output
    monkeypatch.chdir(tom)
    cancelled = mailer("cancel", campaign_of(first))
    assert cancelled.exit_code == 0, cancelled.output
    monkeypatch.chdir(maria)
    embargoed_release(maria, quote=QUOTE, embargo=embargo)  # the quote fixed in her copy
    corrected = mailer(*send)
    assert corrected.exit_code == 0, corrected.output
    assert len(standin.mail_sends) == 2

    monkeypatch.chdir(tom)  # his copy still has the wrong quote
    assert WRONG_QUOTE in (tom / "releases" / "honey.md").read_text(encoding="utf-8")
    again = mailer(*send)
    assert "scheduled to get" in said(again), again.output
    assert again.exit_code == 1 and len(standin.mail_sends) == 2, "every journalist gets both versions at the embargo"


def test_a_correction_sent_from_toms_copy_asks_about_the_journalists_who_had_marias_version(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maria sent the release (no embargo) from her folder. Tom notices a wrong quote, fixes it in
    his copy and sends. The README promises: "When you send a corrected version of a release (the
    same file, changed), the plan says how many journalists got the earlier version and asks before
    sending them the correction". From Maria's folder it does; from Tom's copy (the same
    releases/example.md of the same office) the plan is silent and mails everyone again."""
    maria = office(tmp_path / "maria", standin, db_url)
    tom = office(tmp_path / "tom", standin, db_url)
    send = ("send", "releases/example.md", "--list", "lists/presse.csv", "--no-test-ok")
    monkeypatch.chdir(maria)
    first = mailer(*send, "--yes")
    assert first.exit_code == 0, first.output
    release = tom / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace(QUOTE, "said Dr. Maria Okafor"), encoding="utf-8")
    monkeypatch.chdir(tom)
    correction = mailer(*send, "--json", "--yes")
    assert "already received an earlier version" in correction.output, correction.output


# -- 2. a cancel SendGrid refuses: "send to these recipients again" ----------------------------------


def test_a_cancel_sendgrid_refuses_says_the_send_still_goes_out(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tom cancels Maria's scheduled send because a quote is wrong; SendGrid refuses the cancel
    (here: it does not know the batch, as when Tom's key belongs to another subuser; a key without
    the Scheduled Sends permission gets a 403 the same way). mailer prints
    "Error: batch_id: invalid batch id or status / Fix what SendGrid names, then send to these
    recipients again." A press officer reads that as advice to send again, and nothing tells him the
    release with the wrong quote still goes out tomorrow at the embargo."""
    maria = office(tmp_path / "maria", standin, db_url)
    embargoed_release(maria, quote=WRONG_QUOTE)
    at = embargo_of(maria / "releases" / "honey.md")
    monkeypatch.chdir(maria)
    sent = mailer("send", "releases/honey.md", "--list", "lists/presse.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    standin.batch_ids.clear()  # SendGrid answers 400 "invalid batch id" for this key
    cancel = mailer("cancel", campaign_of(sent))
    assert cancel.exit_code == 1
    text = said(cancel)
    assert "send to these recipients again" not in text, cancel.output
    assert "not cancelled" in text or "still go" in text, cancel.output


def test_a_cancel_refused_for_the_keys_permission_names_it_and_the_time(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with a key that lacks the Scheduled Sends permission (403): the send is not
    cancelled, goes out at its time, the key's permission is the cause, and the cancel is to be
    run again; the campaign stays scheduled in the log."""
    maria = office(tmp_path / "maria", standin, db_url)
    embargoed_release(maria, quote=WRONG_QUOTE)
    at = embargo_of(maria / "releases" / "honey.md")
    monkeypatch.chdir(maria)
    sent = mailer("send", "releases/honey.md", "--list", "lists/presse.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    standin.answer(403, path="/v3/user/scheduled_sends", body={"errors": [{"field": None, "message": "access forbidden"}]})
    cancel = mailer("cancel", campaign)
    assert cancel.exit_code == 1
    text = said(cancel)
    assert "NOT cancelled" in text and f"still goes out at {at}" in text, cancel.output
    assert "Scheduled Sends permission" in text and f"mailer cancel {campaign} again" in text, cancel.output
    assert "send to these recipients again" not in text and "Traceback" not in text, cancel.output
    status = mailer("status", campaign, "--json")
    assert '"status": "scheduled"' in status.output, status.output


# -- 3. status of a send killed with a request on its way --------------------------------------------


@pytest.mark.slow
def test_status_of_a_killed_send_does_not_say_the_request_in_flight_was_not_sent(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tom's send is killed (the laptop's battery, kill -9) while its first request is with
    SendGrid; SendGrid accepts it. Maria looks from her folder: `mailer status` says "20
    recipient(s) have not been sent yet. Continue with: mailer resume", though the first 10 already
    have the email (the resume then marks them unknown, and says "Left: 10"). Someone told "not
    sent yet" may well resend those 10 by other means."""
    tom = office(tmp_path / "tom", standin, db_url)
    maria = office(tmp_path / "maria", standin, db_url)
    rows = "".join(f"j{i:02d}@daily.example;Jo{i};Doe;Daily News\n" for i in range(20))
    (tom / "lists" / "presse.csv").write_text("E-Mail;Vorname;Nachname;Zeitung\n" + rows, encoding="utf-8")
    standin.slow(20.0, times=1)
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "send", "releases/example.md", "--list", "lists/presse.csv", "--yes", "--no-test-ok"],
        cwd=tom,
        env={"SENDGRID_API_KEY": KEY, "PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1,localhost", "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not standin.mail_sends and time.time() < deadline:
        time.sleep(0.05)
    assert standin.mail_sends, process.stderr.read() if process.poll() is not None and process.stderr else "no request"
    process.kill()
    process.communicate(timeout=30)
    monkeypatch.chdir(maria)
    status = mailer("status", "latest")
    assert status.exit_code == 0, status.output
    text = said(status)
    assert "20 recipient(s) have not been sent yet" not in text, status.output
    assert "in flight" in text or "may already have" in text, status.output


# -- 4. forget asks before it names the log it erases from -------------------------------------------


def test_forget_names_the_log_before_asking_to_erase(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command that reads or writes the log says which one on its first line (README,
    Configuration). `mailer forget`, the one command that cannot be undone, asks "Erase everything
    the delivery log holds about ana@daily.example? [y/N]" first and names the log only after the
    answer: Tom, with two press folders (his own SQLite test folder and the office's), cannot see
    which log he is about to erase from."""
    from mailer.cli import send as send_cli

    maria = office(tmp_path / "maria", standin, db_url)
    monkeypatch.chdir(maria)
    sent = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    result = mailer("forget", "ana@daily.example", input="n\n")
    assert result.exit_code == 0, result.output
    assert "Log: " in result.output, result.output
    assert result.output.index("Log: ") < result.output.index("Erase everything"), result.output


# -- 5. the report page of a scheduled send says it was sent when it was planned ---------------------


def test_the_report_page_of_a_scheduled_send_gives_the_time_it_goes_out(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maria schedules the embargoed release for tomorrow at the embargo and exports the report
    page for her boss: "Campaign 2026-11-30-honey · sent 2026-11-30 22:46", with 0 delivered. It
    was not sent then: SendGrid holds it until the embargo, and it goes out at that time. The same
    line stays wrong after it has gone out (the boss reads that the embargo was broken by ten hours)."""
    maria = office(tmp_path / "maria", standin, db_url)
    embargo = (datetime.now(UTC) + timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    embargoed_release(maria, quote=QUOTE, embargo=embargo)
    monkeypatch.chdir(maria)
    sent = mailer(
        "send",
        "releases/honey.md",
        "--list",
        "lists/presse.csv",
        "--at",
        embargo_of(maria / "releases" / "honey.md"),
        "--yes",
        "--no-test-ok",
    )
    assert sent.exit_code == 0, sent.output
    page = mailer("report", campaign_of(sent), "--format", "html", "-o", "honey.html")
    assert page.exit_code == 0, page.output
    meta = re.search(r'<p class="meta">(.*?)</p>', (maria / "honey.html").read_text(encoding="utf-8"), re.DOTALL)
    assert meta, "no meta line"
    assert f"{embargo:%Y-%m-%d %H:%M}" in meta.group(1), meta.group(1)


# -- 6. mailer contact: an email SendGrid holds until tomorrow reads "accepted", campaign "done" -----


def test_contact_says_the_embargoed_email_is_still_held_by_sendgrid(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journalist phones on the evening before the embargo: "did you send me the honey release?"
    Tom runs `mailer contact ana@daily.example`: "Outcome: accepted", and `--json` gives
    campaign_status "done". `mailer status` and `mailer campaigns` say the send is scheduled and
    that nothing has gone out yet; contact should say so too (scheduled, held by SendGrid until ...)."""
    maria = office(tmp_path / "maria", standin, db_url)
    tom = office(tmp_path / "tom", standin, db_url)
    embargoed_release(maria, quote=QUOTE)
    monkeypatch.chdir(maria)
    sent = mailer(
        "send",
        "releases/honey.md",
        "--list",
        "lists/presse.csv",
        "--at",
        embargo_of(maria / "releases" / "honey.md"),
        "--yes",
        "--no-test-ok",
    )
    assert sent.exit_code == 0, sent.output
    monkeypatch.chdir(tom)
    status = mailer("status", campaign_of(sent), "--json")
    assert '"status": "scheduled"' in status.output, status.output
    contact = mailer("contact", "ana@daily.example", "--json")
    assert contact.exit_code == 0, contact.output
    assert '"campaign_status": "done"' not in contact.output, contact.output
    text = mailer("contact", "ana@daily.example")
    assert "scheduled" in said(text).lower() or "held" in said(text).lower(), text.output


# -- 7. after a late cancel, status and the correction keep advising the cancel that was just made ---


def test_after_a_late_cancel_nobody_is_told_to_cancel_again(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maria scheduled a release for a few minutes from now; Tom spots the wrong quote and cancels
    (mailer warns: less than 10 minutes before its time, it may still go out). Then `mailer status`
    still reads "SendGrid holds these emails ... To call the send off (up to 10 minutes before):
    mailer cancel ..." with no word of Tom's cancel, and Maria's corrected send is refused with
    "Cancel that send first: mailer cancel ... then send again", which only repeats the same late
    cancel. They go round in a circle until the time has passed; nothing says "wait until HH:MM,
    then send the correction"."""
    maria = office(tmp_path / "maria", standin, db_url)
    tom = office(tmp_path / "tom", standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(minutes=6):%Y-%m-%d %H:%M} UTC"
    monkeypatch.chdir(maria)
    sent = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    monkeypatch.chdir(tom)
    cancel = mailer("cancel", campaign)
    assert "it may still go out" in said(cancel), cancel.output
    status = mailer("status", campaign)
    assert f"mailer cancel {campaign}" not in said(status), status.output
    monkeypatch.chdir(maria)
    release = maria / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace(QUOTE, "said Dr. Maria Okafor"), encoding="utf-8")
    correction = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--yes", "--no-test-ok")
    assert f"mailer cancel {campaign}" not in said(correction), correction.output
