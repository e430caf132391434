"""Review 25x: a hostile review of session 25's first merged changes, each finding a test that failed before its fix."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import campaign_of, mailed, mailer, office
from sqlalchemy import select
from test_review25r import HARD, OPENED_THEN_BOUNCED, counts, events_of, imported, sent, summary_json

from mailer.store import connect
from mailer.store.schema import message

# -- 1. an unsubscribe under one spelling of a Gmail inbox did not keep out the other -----------------

GMAIL_BEAT = "Email,Name\njanedoe@gmail.com,Jane Doe\nana@daily.example,Ana Lima\nj.o.e+news@googlemail.com,Joe Bloggs\n"


def test_a_gmail_suppression_keeps_out_every_spelling_of_that_inbox(project: Path, standin: object, db_url: str) -> None:
    """Jane unsubscribed as jane.doe@gmail.com; the next list, from a colleague, spells her janedoe@gmail.com.
    Gmail delivers both to one inbox (the lists already count them as one journalist), so she must not
    be mailed: she was, as if she had never asked. A forgotten Gmail address is kept out the same way."""
    office(project, standin, db_url, beat=GMAIL_BEAT)
    added = mailer("suppressions", "add", "jane.doe@gmail.com", "--reason", "unsubscribe")
    assert added.exit_code == 0, added.output
    forgot = mailer("forget", "Joe@GoogleMail.com", "--yes")
    assert forgot.exit_code == 0, forgot.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"]
    checked = mailer("lists", "prune", "lists/beat.csv", "-o", "pruned.csv")
    assert checked.exit_code == 0, checked.output
    assert "janedoe" not in (project / "pruned.csv").read_text(encoding="utf-8")
    engine = connect(db_url)  # her row is logged as skipped, without her name or address
    try:
        with engine.connect() as connection:
            logged = [f"{row.email} {row.fields}" for row in connection.execute(select(message.c.email, message.c.fields))]
    finally:
        engine.dispose()
    assert len(logged) == 3 and not [text for text in logged if "Bloggs" in text or "j.o.e" in text], logged


# -- 2. a title after the comma of "Surname, Given name", and a German Diplom degree, were greeted ----------

TITLED = (
    "Email,Name\n"
    'a@x.example,"Gruber, Mag. Anna"\n'
    'b@x.example,"Doe, Dr. Jane"\n'
    'c@x.example,"Novák, Ing. Jan"\n'
    "d@x.example,Dipl.-Kfm. Otto Bauer\n"
    "e@x.example,Dipl.-Psych. Eva Huber\n"
    'f@x.example,"Doe, Jane"\n'
    'g@x.example,"Jane Roe, PhD"\n'
    "h@x.example,Doc Rivers\n"
    "i@x.example,Mag Ruttkay\n"
    'j@x.example,"Doe, Mel"\n'
)


def test_a_title_after_the_comma_or_a_diplom_degree_is_no_first_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """German and Austrian media databases write "Gruber, Mag. Anna" and "Doe, Dr. Jane" (surname, comma, title and
    given name), and "Dipl.-Kfm. Otto Bauer" (a Diplom degree: Kaufmann, Psychologe, ...): the release greeted
    "Dear Mag. Anna,", "Dear Dr. Jane," and "Dear Dipl.-Kfm.,". The title is the honorific now; names without
    one, and "Doc" or "Mag" as a first name, read as before."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "titled.csv").write_text(TITLED, encoding="utf-8")
    cleaned = mailer("lists", "clean", "titled.csv", "-o", "out.csv")
    assert cleaned.exit_code == 0, cleaned.output
    rows = {
        row["email"]: (row.get("honorific", ""), row["first_name"], row["last_name"])
        for row in csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines())
    }
    assert rows == {
        "a@x.example": ("Mag.", "Anna", "Gruber"),
        "b@x.example": ("Dr.", "Jane", "Doe"),
        "c@x.example": ("Ing.", "Jan", "Novák"),
        "d@x.example": ("Dipl.-Kfm.", "Otto", "Bauer"),
        "e@x.example": ("Dipl.-Psych.", "Eva", "Huber"),
        "f@x.example": ("", "Jane", "Doe"),
        "g@x.example": ("", "Jane", "Roe PhD"),
        "h@x.example": ("", "Doc", "Rivers"),
        "i@x.example": ("", "Mag", "Ruttkay"),
        "j@x.example": ("", "Mel", "Doe"),
    }


# -- 3. a follow-up counted among the bounced the journalists every report counts as delivered -----------


def test_a_follow_up_counts_an_opened_then_bounced_journalist_as_the_reports_do(project: Path, standin: Any, db_url: str) -> None:
    """Ana opened and clicked, then bounced; Dan was blocked, then Apple Mail fetched his email; Cleo bounced.
    The report reads Delivered 3, Bounced 1, but the follow-up's plan said "3 bounced", and left Dan out of
    --who delivered and --who not-opened though his email got there (he is not suppressed: a block). The
    follow-up goes by the reports now: Cleo alone bounced, Ana left out as suppressed (her bounce)."""
    campaign = sent(project, standin, db_url)
    imported(events_of(standin, campaign, OPENED_THEN_BOUNCED, int(time.time())))
    follow = ("send", "releases/example.md", "--follow-up", campaign, "--include-previous", "--dry-run")
    not_opened = mailer(*follow, "--who", "not-opened")
    assert not_opened.exit_code == 0, not_opened.output
    assert f"Follow-up:  1 of 4 journalists of {campaign} (not opened): 1 bounced, 2 opened\n" in not_opened.output
    delivered = mailer(*follow, "--who", "delivered")
    assert delivered.exit_code == 0, delivered.output
    assert f"Follow-up:  2 of 4 journalists of {campaign} (delivered): 1 bounced, 1 suppressed\n" in delivered.output
    assert "Recipients: 2\n" in delivered.output, delivered.output  # Ben and Dan


# -- 4. the same release again, to a Gmail inbox spelt otherwise, was mailed a second time ---------------


def test_the_same_release_is_not_mailed_again_to_another_spelling_of_a_gmail_inbox(project: Path, standin: Any, db_url: str) -> None:
    """Promise 8: a later live send skips those who already received that content. Jane got the release as
    jane.doe@gmail.com; the colleague's list sent an hour later spells her Jane.Doe+press@googlemail.com: one
    inbox, as the lists count it, and she got the release twice."""
    office(project, standin, db_url, beat="Email,Name\njane.doe@gmail.com,Jane Doe\n")
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    (project / "lists" / "other.csv").write_text("Email,Name\nJane.Doe+press@googlemail.com,Jane Doe\nana@daily.example,Ana Lima\n")
    again = mailer("send", "releases/example.md", "--list", "lists/other.csv", "--yes", "--no-test-ok")
    assert again.exit_code == 0, again.output
    assert mailed(standin) == ["jane.doe@gmail.com", "ana@daily.example"]
    assert "1 already received" in again.output, again.output


# -- 5. a line of an events file cut short after its first event lost that event ------------------------


def test_a_line_of_two_events_cut_short_keeps_the_first_and_webhook_posts_one_after_another_are_read(
    project: Path, standin: Any, db_url: str
) -> None:
    """A script that saved SendGrid's posts forgot the line breaks ('[...][...]' after an NDJSON line),
    and a file copied while being written ends in half an event after a whole one ('{bounce}{"event": "op').
    Each such line was quarantined whole: Cleo's bounce suppressed nobody, and Ben's open and Dan's
    bounce were not read. The events that can be read are now; the cut-short rest alone is quarantined."""
    campaign = sent(project, standin, db_url)
    now = int(time.time())
    events = events_of(
        standin,
        campaign,
        [
            ("delivered", "ana@daily.example", 5, {}),
            ("bounce", "cleo@gazette.example", 10, HARD),
            ("open", "ben@daily.example", 20, {"sg_machine_open": False}),
            ("bounce", "dan@radio.example", 30, HARD),
        ],
        now,
    )
    lines = [json.dumps(events[0]), json.dumps(events[1]) + json.dumps(events[2])[:40], json.dumps([events[2]]) + json.dumps([events[3]])]
    Path("events.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = mailer("events", "import", "events.ndjson")
    assert result.exit_code == 0, result.output
    assert "events.ndjson line 2, event 2" in result.output, result.output
    figures = counts(summary_json(campaign))
    assert (figures["delivered"], figures["bounced"], figures["opened_human"]) == (2, 2, 1), figures  # Ben opened: delivered
    listed = mailer("suppressions", "list", "--json")
    assert "cleo@gazette.example" in listed.output and "dan@radio.example" in listed.output, listed.output


# -- 6. `mailer forget` and `mailer contact` of one spelling of a Gmail inbox missed the other -------------


def test_forget_and_contact_name_the_other_spellings_of_a_gmail_inbox(project: Path, standin: Any, db_url: str) -> None:
    """Jane was mailed as jane.doe@gmail.com and asks, from janedoe@gmail.com, to be forgotten. `mailer forget
    janedoe@gmail.com` said "Erased from 0 rows ... Check the spelling" and `mailer contact janedoe@gmail.com`
    "No campaign ... was sent": her data stayed, and nothing named the spelling the log holds. Both name it now."""
    office(project, standin, db_url, beat="Email,Name\njane.doe@gmail.com,Jane Doe\n")
    sent_now = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent_now.exit_code == 0, sent_now.output
    looked = mailer("contact", "JaneDoe+work@googlemail.com")
    assert looked.exit_code == 0, looked.output
    assert "The log also holds jane.doe@gmail.com, the same Gmail mailbox" in looked.output, looked.output
    assert "mailer contact jane.doe@gmail.com" in looked.output
    forgot = mailer("forget", "janedoe@gmail.com", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert "The log also holds jane.doe@gmail.com, the same Gmail mailbox as janedoe@gmail.com" in forgot.output, forgot.output
    assert "mailer forget jane.doe@gmail.com --yes" in forgot.output
    other = mailer("contact", "ana@daily.example")
    assert "The log also holds" not in other.output


# -- 7. mailer report on a computer whose clock is off went by that clock, mailer status by the log's ------


def test_report_goes_by_the_team_logs_clock_as_status_does(project: Path, standin: Any, db_url: str) -> None:
    """A send scheduled an hour ahead, on a team's PostgreSQL log. On a colleague's computer two hours
    ahead, `mailer status` (which goes by the log server's clock) says SendGrid holds the emails, but
    `mailer report` went by the computer's own clock: no "holds these emails until" note, its figures read as
    a send gone out and heard nothing of. The report goes by the log's clock now, as status does."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a team's log: PostgreSQL")
    if shutil.which("faketime") is None:
        pytest.skip("needs faketime (apt-get install faketime)")
    office(project, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M UTC")
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert scheduled.exit_code == 0, scheduled.output
    campaign = campaign_of(scheduled)
    ahead = ["faketime", "-f", "+2h", sys.executable, "-m", "mailer"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    status = subprocess.run([*ahead, "status", campaign], check=False, cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert "SendGrid holds these emails until" in status.stdout, status.stdout + status.stderr
    report = subprocess.run([*ahead, "report", campaign], check=False, cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "SendGrid holds these emails until" in report.stdout + report.stderr, report.stdout + report.stderr
