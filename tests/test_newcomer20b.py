"""Newcomer 20b: a team of two press officers on two computers sharing one PostgreSQL log, with
the signed webhook, from the README alone. Each test is a finding a user would notice, and failed
before its fix (session 20)."""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from eventlog import T0, TEST_PUBLIC_KEY, add_campaign, add_message, body, event_count, sg_event, signed_headers
from office_cli import SEND, campaign_of, mailer, office
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from mailer.config import Config, WebhookConfig
from mailer.events import webhook
from mailer.store import connect
from mailer.store.upgrade import SCHEMA_VERSION

# -- 1. A webhook started before a colleague's newer press-mailer upgraded the log kept writing ----


def test_a_running_webhook_stops_storing_once_a_newer_press_mailer_upgraded_the_log(db_url: str) -> None:
    """The office's `mailer webhook` runs all day on the old press-mailer. Ana updates hers and
    her first command upgrades the shared log; from then on every command of the old version
    refuses the log (README, Team setup), but the webhook, started before, went on writing SendGrid's
    events into it with the old code, answering 200: the events were stored the old way in a log
    the new version reads its own way. It answers 503 now (SendGrid retries for 24 hours), says why
    on its terminal and on /healthz, and stores nothing until it is updated and restarted."""
    engine = connect(db_url)
    add_campaign(engine, "2026-02-19-wetlands")
    key = add_message(engine, "2026-02-19-wetlands", "ana@daily.example")
    client = TestClient(webhook.create_app(config=Config(webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY)), engine=engine))
    first = body([sg_event("delivered", "ana@daily.example", key=key, campaign_id="2026-02-19-wetlands", at=T0 + 5)])
    assert client.post("/sendgrid/events", content=first, headers=signed_headers(first)).status_code == 200
    newer = create_engine(db_url)  # Ana's newer press-mailer upgrades the log
    with newer.begin() as connection:
        connection.execute(text("UPDATE schema_info SET version = :v"), {"v": SCHEMA_VERSION + 1})
    newer.dispose()
    later = body([sg_event("open", "ana@daily.example", key=key, campaign_id="2026-02-19-wetlands", at=T0 + 60)])
    answer = client.post("/sendgrid/events", content=later, headers=signed_headers(later))
    assert answer.status_code == 503, answer.text
    assert "upgraded by a newer press-mailer" in answer.json()["error"], answer.text
    assert "restart mailer webhook" in answer.json()["error"], answer.text
    assert event_count(engine) == 1
    health = client.get("/healthz")
    assert health.status_code == 503, health.text
    assert "upgraded by a newer press-mailer" in health.json()["error"], health.text


# -- 2. A follow-up's skipped.csv named "CAMPAIGN:18", a log number, as where the row came from ----


def test_a_follow_up_dry_runs_skipped_file_names_the_list_row_each_journalist_came_from(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Officer B plans a follow-up of a release with --dry-run and opens skipped.csv to see who is
    left out: its `source` column read "2026-12-01-census:18", as if from row 18 of a list named
    after the campaign (the list had 7 rows; 18 is the log's own number for the original email).
    It reads "lists/beat.csv:3 (follow-up of CAMPAIGN)" now, as `mailer report --kind recipients`
    and `mailer contact` already say it."""
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    original = campaign_of(sent)
    added = mailer("suppressions", "add", "ben@gazette.example", "--reason", "asked by phone")
    assert added.exit_code == 0, added.output
    release = (tmp_path / "releases" / "example.md").read_text(encoding="utf-8")
    (tmp_path / "releases" / "reminder.md").write_text(
        release.replace("Riverbend Beekeepers count", "Reminder: Riverbend Beekeepers count"), encoding="utf-8"
    )
    planned = mailer("send", "releases/reminder.md", "--follow-up", original, "--who", "not-opened", "--dry-run")
    assert planned.exit_code == 0, planned.output
    (skipped,) = (tmp_path / "out" / "outbox").glob("*/skipped.csv")
    rows = list(csv.reader(skipped.read_text(encoding="utf-8-sig").splitlines()))
    assert rows == [
        ["email", "reason", "detail", "source"],
        ["ben@gazette.example", "suppressed", "manual (asked by phone)", f"lists/beat.csv:3 (follow-up of {original})"],
    ], rows


# -- 3. A forget on one computer left a colleague's dry-run files naming the journalist, silently --


def test_forget_names_the_dry_run_folders_of_a_colleagues_computer_it_could_not_reach(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """Two officers share one log. Ben makes a dry run on his computer: its .eml files and request
    body name Ana. Ana then asks to be forgotten, and Ana's colleague runs `mailer forget` on the
    other computer: it erased the log and its own folders, and said nothing of Ben's outbox, which
    the log lists but which is not on this computer: Ben's files kept Ana's name and address, and
    nobody knew. It names that folder now, and the same forget run on Ben's computer erases them."""
    ben, ada = tmp_path / "ben", tmp_path / "ada"
    office(ben, standin, db_url)
    office(ada, standin, db_url)
    monkeypatch.chdir(ben)
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    away = tmp_path / "ben-computer"
    ben.rename(away)  # Ben's folder is on his computer, not this one
    monkeypatch.chdir(ada)
    forgot = mailer("forget", "ana@daily.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    words = " ".join(forgot.output.split())
    outbox = ben.resolve() / "out" / "outbox"
    assert (
        f"Warning: 1 folder where dry runs or mailer show wrote emails with this log is not on this computer (a colleague's, "
        f"or deleted since), so its files naming the address were not erased: {outbox}. "
        "Run mailer forget ana@daily.example --yes again on the computer that has it: it erases the files there."
    ) in words, forgot.output
    away.rename(ben)
    monkeypatch.chdir(ben)
    again = mailer("forget", "ana@daily.example", "--yes")
    assert again.exit_code == 0, again.output
    assert not [path for path in outbox.rglob("*") if path.is_file() and b"ana@daily.example" in path.read_bytes()]


# -- 4. README: how to rehearse the signed webhook (the stand-in posts no events) --------------------


def _rehearsal_script() -> str:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    after = text[text.index("**Rehearsing the signed webhook.**") :]
    return after[after.index("```python\n") + len("```python\n") : after.index("```\n", after.index("```python\n") + 10)]


@pytest.mark.slow
def test_the_readmes_webhook_rehearsal_script_signs_events_the_webhook_takes(tmp_path: Path, db_url: str) -> None:
    """A team rehearsing the signed webhook had no word in the README on how to sign events as
    SendGrid does (the stand-in posts none, SendGrid's key is SendGrid's). The README's script
    makes a key pair, prints the verification_key line, and posts a file of events signed: a
    `mailer webhook` with that key stores them, and refuses the file changed after signing."""
    script = tmp_path / "rehearse_webhook.py"
    script.write_text(_rehearsal_script(), encoding="utf-8")
    made = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    (line,) = made.stdout.splitlines()
    assert line.startswith('verification_key = "MFkw'), line
    engine = connect(db_url)
    add_campaign(engine, "2026-02-19-wetlands")
    key = add_message(engine, "2026-02-19-wetlands", "ana@daily.example")
    events = tmp_path / "events.json"
    events.write_bytes(body([sg_event("open", "ana@daily.example", key=key, campaign_id="2026-02-19-wetlands", at=T0 + 60)]))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n[webhook]\nport = {port}\n{line}\n', encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "mailer", "webhook"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/sendgrid/events"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        posted = subprocess.run(
            [sys.executable, str(script), str(events), url], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )
        assert posted.returncode == 0, posted.stderr
        assert posted.stdout.splitlines()[1].startswith('200 {"received":1,"added":1'), posted.stdout
        events.write_bytes(events.read_bytes().replace(b'"open"', b'"click"'))
        script.write_text(
            _rehearsal_script()
            .replace("body = Path(sys.argv[1]).read_bytes()", "body = Path(sys.argv[1]).read_bytes().replace(b'click', b'open')", 1)
            .replace("data=body", "data=Path(sys.argv[1]).read_bytes()", 1),
            encoding="utf-8",
        )
        forged = subprocess.run(
            [sys.executable, str(script), str(events), url], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )
        assert forged.stdout.splitlines()[1].startswith("403 "), forged.stdout + forged.stderr
        assert event_count(engine) == 1
    finally:
        server.terminate()
        server.wait(timeout=10)


# -- 5. The recipients report did not say who unsubscribed or marked the release as spam -----------


def test_the_recipients_report_names_who_unsubscribed_and_who_marked_it_as_spam(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After the release, the summary said "Unsubscribed 1" and "Marked as spam 1", but the
    recipients report (CSV, XLSX, HTML), one row per journalist, showed both journalists as plain
    "delivered": to learn who, the officer had to go through `mailer suppressions list` or each
    `mailer contact`. Its rows now say "yes" under "unsubscribed" and "marked as spam"."""
    beat = "Email,First Name\nana@daily.example,Ana\nben@gazette.example,Ben\ncleo@radio.example,Cleo\n"
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    engine = connect(db_url)
    with engine.connect() as connection:
        keys = dict(connection.execute(text("SELECT email, message_key FROM message WHERE campaign_id = :c"), {"c": campaign_id}).all())
    engine.dispose()
    now = int(time.time())
    events = [sg_event("delivered", email, key=keys[email], campaign_id=campaign_id, at=now) for email in keys]
    events.append(sg_event("unsubscribe", "ben@gazette.example", key=keys["ben@gazette.example"], campaign_id=campaign_id, at=now + 60))
    events.append(sg_event("spamreport", "cleo@radio.example", key=keys["cleo@radio.example"], campaign_id=campaign_id, at=now + 90))
    (tmp_path / "events.json").write_bytes(body(events))
    imported = mailer("events", "import", "events.json")
    assert imported.exit_code == 0, imported.output
    report = mailer("report", campaign_id, "--kind", "recipients", "--format", "csv", "-o", "-")
    assert report.exit_code == 0, report.output
    rows = {row["email"]: row for row in csv.DictReader(report.stdout.splitlines())}
    assert [(rows[e]["delivery"], rows[e]["unsubscribed"], rows[e]["marked as spam"]) for e in sorted(rows)] == [
        ("delivered", "", ""),
        ("delivered", "yes", ""),
        ("delivered", "", "yes"),
    ], report.stdout
