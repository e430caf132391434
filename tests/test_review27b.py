"""Review 27b: a hostile look at what session 27 merged (carry-over, the refusal stop, reports, IDN, time words)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from conftest import todays_campaign
from office_cli import SEND, mailed, mailer, office, said

BEAT = (
    "Email,First Name,Outlet\nana@daily.example,Ana,Daily News\nben@gazette.example,Ben,The Gazette\ncleo@herald.example,Cleo,The Herald\n"
)
GROUP = {"errors": [{"field": "asm.group_id", "message": "The asm.group_id is not valid.", "help": None}]}


def test_a_campaign_resumed_on_the_old_log_after_the_carry_over_is_not_sent_again_from_the_new(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Sophie's send from out/mailer.db stopped (SendGrid refused two requests: a wrong group id); the office moved
    to the team's log and carried it over: Ana and Ben had nothing yet (Cleo had it). A colleague then resumed it from the old log
    (--retry-failed): Ana and Ben have it now, which the team's log does not know. The team's send of the same release
    mailed them a second time, as the campaign's id was carried: it is refused until carry-over is run again."""
    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    team = new_db_url()
    office(tmp_path, standin, old_url, beat=BEAT, batch_size=1, sendgrid="retries = 0\nconcurrency = 1\n")
    os.chdir(tmp_path)
    standin.answer(400, times=2, body=GROUP)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1 and mailed(standin) == ["cleo@herald.example"], stopped.output  # Ana and Ben refused
    campaign_id = todays_campaign()
    toml = tmp_path / "mailer.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0

    toml.write_text(text, encoding="utf-8")  # the old log, again
    resumed = mailer("resume", campaign_id, "--retry-failed", "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example", "cleo@herald.example"]

    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    refused = mailer(*SEND)
    assert refused.exit_code == 1, refused.output
    assert len(mailed(standin)) == 3, mailed(standin)
    assert f"holds 1 live send ({campaign_id})" in said(refused) and "mailer carry-over" in said(refused), refused.output
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    again = mailer(*SEND)
    assert again.exit_code == 1 and "all 3 journalists already received" in said(again), again.output
    assert len(mailed(standin)) == 3, mailed(standin)

    # Forgotten in the team's log after all that: her carried row goes, and the old log's row of her does not refuse the send.
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    after = mailer(*SEND)
    assert after.exit_code == 1 and "all 2 journalists already received" in said(after), after.output
    assert len(mailed(standin)) == 3, mailed(standin)


def test_a_scheduled_send_cancelled_on_the_old_log_after_the_carry_over_is_not_taken_as_received(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Sophie scheduled the release from out/mailer.db for three hours ahead; the office moved to the team's log and
    carried it over; then she cancelled the scheduled send from the old log (the team's log cannot cancel it): nobody
    had it. The team's send of the release skipped all three as "already received" there, so nobody ever had it. The
    send is refused until carry-over runs again, which takes the cancelled send out, and the release then reaches them."""
    from datetime import UTC, datetime, timedelta

    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    team = new_db_url()
    office(tmp_path, standin, old_url, beat=BEAT)
    os.chdir(tmp_path)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    assert mailer(*SEND, "--at", at.isoformat()).exit_code == 0
    campaign_id = todays_campaign()
    toml = tmp_path / "mailer.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    toml.write_text(text, encoding="utf-8")
    cancelled = mailer("cancel", campaign_id)
    assert cancelled.exit_code == 0, cancelled.output

    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    standin.reset()
    refused = mailer(*SEND)
    assert refused.exit_code == 1 and not mailed(standin), refused.output
    words = said(refused)
    assert f"1 send cancelled there since it was carried over ({campaign_id})" in words and "mailer carry-over" in words, words
    again = mailer("carry-over", "out/mailer.db")
    assert again.exit_code == 0, again.output
    assert f"{campaign_id} was cancelled there: taken out of this log" in said(again), again.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example", "cleo@herald.example"], mailed(standin)


def test_a_journalist_suppressed_in_the_old_log_after_the_carry_over_is_not_mailed_from_the_new(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """After the carry-over, a colleague still on the old log's mailer.toml added Cleo's bounce to it. The team's log
    did not know: its next send (another release) mailed her. It is refused until carry-over runs again."""
    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    team = new_db_url()
    office(tmp_path, standin, old_url, beat=BEAT)
    os.chdir(tmp_path)
    assert mailer(*SEND).exit_code == 0
    assert mailer("suppressions", "add", "zoe@left.example", "--reason", "unsubscribed").exit_code == 0
    toml = tmp_path / "mailer.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    toml.write_text(text, encoding="utf-8")
    assert mailer("suppressions", "add", "cleo@herald.example", "--reason", "bounced").exit_code == 0

    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    budget = ("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    standin.reset()
    refused = mailer(*budget)
    assert refused.exit_code == 1 and not mailed(standin), refused.output
    assert "holds 1 suppressed address" in said(refused) and "mailer carry-over" in said(refused), refused.output
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    sent = mailer(*budget)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], mailed(standin)


def test_a_journalist_forgotten_in_the_old_log_after_the_carry_over_is_forgotten_by_the_next(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana asked to be forgotten; a colleague still on the old log ran `mailer forget` there, after the carry-over.
    Carry-over run again (as the refusal says) brought her suppression over, but her address stayed in the team's
    log, in the rows of who had which release: `mailer forget` promises nothing of her is kept."""
    from sqlalchemy import create_engine, select

    from mailer.store.schema import carried_message

    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    team = new_db_url()
    office(tmp_path, standin, old_url, beat=BEAT)
    os.chdir(tmp_path)
    assert mailer(*SEND).exit_code == 0
    toml = tmp_path / "mailer.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    toml.write_text(text, encoding="utf-8")
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    toml.write_text(text.replace(old_url, team), encoding="utf-8")
    again = mailer("carry-over", "out/mailer.db")
    assert again.exit_code == 0, again.output
    engine = create_engine(team)
    try:
        with engine.connect() as connection:
            keys = sorted(connection.scalars(select(carried_message.c.email_key)))
    finally:
        engine.dispose()
    assert keys == ["ben@gazette.example", "cleo@herald.example"], keys
