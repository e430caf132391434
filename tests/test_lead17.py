"""The session-17 lead's own finds, each first seen failing."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from office_cli import SEND, SIX, mailer, office, release_named, said, send_under_way, stopped_after


def test_recipients_report_of_a_stopped_send_says_not_sent_yet(tmp_path: Any, standin: Any, db_url: str) -> None:
    """SendGrid went down after two requests; the send stopped with four journalists unmailed. The
    summary counts them under "Not sent yet (see mailer status)" and `mailer contact` says "not
    sent yet"; the recipients report she exports listed them as "planned", the log's word, which
    reads as "still to come" of a send that had stopped."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    summary = " ".join(mailer("report", campaign_id).stdout.split())
    assert "Not sent yet (see mailer status) │ 4" in summary, summary
    piped = mailer("report", campaign_id, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    states = sorted(row["state"] for row in csv.DictReader(io.StringIO(piped.stdout)))
    assert states == ["accepted"] * 2 + ["not sent yet (see mailer status)"] * 4, states


@pytest.mark.slow
def test_follow_up_of_a_send_still_going_does_not_say_resume(tmp_path: Any, standin: Any, db_url: str) -> None:
    """A send is under way in another terminal (SendGrid slow today) when a colleague plans the
    follow-up. The plan warned "4 journalists ... have not been sent the release yet: that send
    has not finished ... Send it to them with: mailer resume CAMPAIGN", a command that is refused
    while the other process sends (and nothing had stopped). It should say the send is still
    going and to plan the follow-up once it has finished."""
    with send_under_way(tmp_path, standin, db_url, slow=5.0):
        found = re.search(r"^(\d{4}-\d\d-\d\d-example)\s", mailer("campaigns").output, re.MULTILINE)
        assert found, "no campaign listed"
        campaign_id = found.group(1)
        planned = mailer("send", release_named(tmp_path, "reminder"), "--follow-up", campaign_id, "--who", "not-opened", "--dry-run")
    words = said(planned)
    assert f"{campaign_id} is still being sent by another process: 5 journalists of it have not had the release yet" in words, words
    assert f"mailer status {campaign_id}" in words and "then plan the follow-up again" in words, words
    assert "mailer resume" not in words, words


def test_a_script_erases_a_journalist_everywhere_the_command_does(tmp_path: Any, standin: Any, db_url: str) -> None:
    """A data-protection request handled from a script: `mailer.forget.forget(engine, address)`
    erased the log only, and the README sent the script to run `mailer forget ADDRESS --yes --json`
    for the dry run's .eml files, request bodies and preview pages that still named her. One call,
    `mailer.forget.erase`, does what the command does and says what is left for a person."""
    from pathlib import Path

    from mailer import config, forget, store

    office(tmp_path, standin, db_url)
    assert mailer(*SEND, "--dry-run").exit_code == 0
    assert mailer("preview", "releases/example.md", "--contact", "ben@gazette.example", "--list", "lists/beat.csv").exit_code == 0
    written = [path for path in Path(tmp_path, "out").rglob("*") if path.is_file() and b"ben@gazette.example" in path.read_bytes()]
    assert written, "the dry run and the preview wrote nothing naming Ben"
    engine = store.connect(db_url)
    try:
        erasure = forget.erase(engine, "Ben Okafor <Ben@Gazette.example>", config=config.load(tmp_path / "mailer.toml"))
    finally:
        engine.dispose()
    assert erasure.forgotten.address == "ben@gazette.example" and erasure.forgotten.messages == 1, erasure
    gone = [path for path in written if not path.exists() or b"ben@gazette.example" not in path.read_bytes()]
    assert gone == written, [path for path in written if path not in gone]
    assert erasure.pages.deleted, erasure.pages  # the preview page made for him
    assert erasure.lists == ((tmp_path / "lists" / "beat.csv").resolve(),), erasure.lists  # his row is for the office to remove
    assert not erasure.found_nowhere
    contact = " ".join(mailer("contact", "ben@gazette.example").output.split())
    assert "forgotten" in contact, contact


def test_a_live_send_from_a_new_log_says_it_cannot_skip_anyone(tmp_path: Any, standin: Any, db_url: str) -> None:
    """A colleague's mailer.toml without the team's [database] url starts a new, empty log: a live
    send from it cannot skip who unsubscribed, bounced or already had the release through the
    team's log, and only the "Log:" line showed which log it was (newcomer 17's biggest open risk).
    The plan says so while the log has never sent live and suppresses nobody; a dry run or a test
    send does not end that, the first live send does."""
    from mailer.send.prepare import NEW_LOG_WARNING

    office(tmp_path, standin, db_url, beat=SIX)
    warned = " ".join(NEW_LOG_WARNING.split())
    assert warned not in said(mailer(*SEND, "--dry-run")), "a dry run sends nobody"
    assert mailer("test", "releases/example.md", "--to", "staff@example.org").exit_code == 0
    first = mailer(*SEND)
    assert first.exit_code == 0, first.output
    assert warned in said(first), said(first)
    (tmp_path / "releases" / "other.md").write_text(
        (tmp_path / "releases" / "example.md").read_text(encoding="utf-8").replace('subject: "Riverbend', 'subject: "Other: Riverbend'),
        encoding="utf-8",
    )
    second = mailer("send", "releases/other.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert second.exit_code == 0, second.output
    assert warned not in said(second), "the log has sent live before"


def test_a_new_log_is_warned_of_even_with_suppressions_synced(tmp_path: Any, standin: Any, db_url: str) -> None:
    """README suggests `mailer suppressions sync` before a big send: on a colleague's new, empty
    log it fills the suppression list, not the sends, so journalists who already had the release
    through the office's usual log are still not skipped. A suppression does not end the warning
    (review 17y: any suppression silenced it)."""
    from mailer.send.prepare import NEW_LOG_WARNING

    office(tmp_path, standin, db_url, beat=SIX)
    assert mailer("suppressions", "add", "j1@paper1.example", "--reason", "asked by phone").exit_code == 0
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert " ".join(NEW_LOG_WARNING.split()) in said(sent), said(sent)
