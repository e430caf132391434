"""Helper logs27: promise 8 across a move to another delivery log (newcomer 26's HIGH, left open).

Sophie sent a release from her SQLite log (out/mailer.db), then the office moved to the team's
log. Carrying the suppressions over as the refusal said, she sent the same release again: the
journalists who already had it from the old log were planned and mailed a second time. Each test
failed before `mailer carry-over`, through the command line, on real SQLite files and the real
PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, SEND, mailed, mailer, office, said
from sqlalchemy import create_engine, func, select

from mailer.store.schema import carried_campaign, carried_message, suppression

BEAT = (
    "Email,First Name,Outlet\nana@daily.example,Ana,Daily News\nben@gazette.example,Ben,The Gazette\ncleo@herald.example,Cleo,The Herald\n"
)


def counts(url: str) -> tuple[int, int, int]:
    """(carried campaigns, carried journalists, suppressions) in the log at ``url``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(  # type: ignore[return-value]
                int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for table in (carried_campaign, carried_message, suppression)
            )
    finally:
        engine.dispose()


def test_a_release_sent_from_the_old_log_is_not_sent_again_from_the_team_log(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana and Ben had the release from out/mailer.db; Cleo bounced (suppressed). The office moves
    to the team's log, which a colleague already sends from. Sophie's send of the same release
    from it is refused, naming `mailer carry-over`; once carried (a second run adds nothing, and a
    run cut short is finished by the next), the send mails Dan, new on the list, and nobody else."""
    old_url = f"sqlite:///{tmp_path / 'sophie' / 'out' / 'mailer.db'}"
    team = new_db_url()
    sophie = office(tmp_path / "sophie", standin, old_url, beat=BEAT)
    os.chdir(sophie)
    assert mailer(*SEND).exit_code == 0
    assert mailer("suppressions", "add", "cleo@herald.example", "--reason", "bounced").exit_code == 0
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example", "cleo@herald.example"]

    # A colleague already sends from the team's log: it is not new, and still does not know Sophie's sends.
    colleague = office(tmp_path / "eric", standin, team, beat="Email\nmarc@ledevoir.example\n")
    os.chdir(colleague)
    (colleague / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nLe budget.\n', encoding="utf-8")
    assert mailer("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok").exit_code == 0

    os.chdir(sophie)
    toml = sophie / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(old_url, team), encoding="utf-8")
    with (sophie / "lists" / "beat.csv").open("a", encoding="utf-8") as beat:
        beat.write("dan@post.example,Dan,The Post\n")
    before = len(standin.mail_sends)
    refused = mailer(*SEND)
    assert refused.exit_code == 1, refused.output
    assert len(standin.mail_sends) == before
    text = said(refused)
    assert "holds 1 live send (" in text and "would mail again journalists who already had a release it sent" in text, refused.output
    assert f"mailer carry-over {sophie / 'out' / 'mailer.db'}" in text, refused.output

    carried = mailer("carry-over", "out/mailer.db")
    assert carried.exit_code == 0, carried.output
    assert "1 suppressed address (1 new here)" in carried.output, carried.output
    assert "1 live send, to 3 journalists (3 new here)" in carried.output, carried.output
    assert counts(team) == (1, 3, 1)  # Sophie's campaign to ana, ben and cleo (sent before she bounced); her suppression

    again = mailer("carry-over", str(sophie / "out" / "mailer.db"))
    assert again.exit_code == 0, again.output
    assert "(0 new here)" in again.output and "1 live send, to 3 journalists (0 new here)" in again.output, again.output
    assert counts(team) == (1, 3, 1)

    # A run cut short: the suppressions went in, the campaign's transaction did not (or half of it, had it been split).
    engine = create_engine(team)
    with engine.begin() as connection:
        connection.execute(carried_message.delete())
        connection.execute(carried_campaign.delete())
        connection.execute(suppression.delete().where(suppression.c.email_key == "cleo@herald.example"))
    engine.dispose()
    finished = mailer("carry-over", "out/mailer.db")
    assert finished.exit_code == 0, finished.output
    assert counts(team) == (1, 3, 1)

    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin)[-1:] == ["dan@post.example"] and len(mailed(standin)) == 5, mailed(standin)
    assert "already received" in sent.output, sent.output

    # Forgotten in the team's log: her carried row goes too.
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    assert counts(team)[1] == 2


def test_carry_over_from_a_log_that_is_not_there_or_is_this_one(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A mistyped path would open (and make) an empty log and say "0 carried": it is refused, and
    so is naming the log in use."""
    office(tmp_path, standin, db_url)
    os.chdir(tmp_path)
    missing = mailer("carry-over", "out/mailr.db")
    assert missing.exit_code == 1, missing.output
    assert "There is no delivery log at out/mailr.db" in said(missing), missing.output
    assert not (tmp_path / "out" / "mailr.db").exists()
    if db_url.startswith("sqlite:///"):
        same = mailer("carry-over", db_url.removeprefix("sqlite:///"))
        assert same.exit_code == 1 and "is the delivery log in use" in said(same), same.output


def test_a_log_moved_twice_keeps_who_had_the_release(tmp_path: Path, standin: Any, new_db_url: Any, database: str) -> None:
    """SQLite to another SQLite file (a new folder), then to the team's: the second carry-over takes
    along what the first one carried, and the same release still skips them."""
    first = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    office(tmp_path, standin, first, beat=BEAT)
    os.chdir(tmp_path)
    assert mailer(*SEND).exit_code == 0
    second_path = tmp_path / "second.db"
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(first, f"sqlite:///{second_path}"), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    shutil.move(tmp_path / "out" / "mailer.db", tmp_path / "retired.db")  # out of the way, as the refusal says
    team = new_db_url()
    toml.write_text(toml.read_text(encoding="utf-8").replace(f"sqlite:///{second_path}", team), encoding="utf-8")
    moved = mailer("carry-over", str(second_path))
    assert moved.exit_code == 0, moved.output
    assert "to 3 journalists (3 new here)" in moved.output, moved.output
    before = len(mailed(standin))
    sent = mailer(*SEND)
    assert sent.exit_code == 1 and "Nobody to send to: all 3 journalists already received" in said(sent), sent.output
    assert len(mailed(standin)) == before


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime (apt-get install faketime)")
def test_an_undated_release_sent_yesterday_from_the_old_log_is_not_sent_again_today(tmp_path: Path, standin: Any) -> None:
    """A release without a date: line is dated the day it goes: yesterday's send from out/mailer.db
    and today's from the new log differ by that date alone. On one log the plan skips them ("dated
    yesterday, nothing else changed"); carried over, it asked to "send the corrected version" and
    --yes mailed them again."""
    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    office(tmp_path, standin, old_url, beat=BEAT)
    os.chdir(tmp_path)
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    budget = ("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "SENDGRID_API_KEY": KEY}
    yesterday = subprocess.run(
        ["faketime", "-f", "-1d", sys.executable, "-m", "mailer", *budget],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert yesterday.returncode == 0, yesterday.stdout + yesterday.stderr
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(old_url, f"sqlite:///{tmp_path / 'team.db'}"), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    before = len(mailed(standin))
    today = mailer(*budget)
    assert today.exit_code == 1 and "already received this release in" in said(today), today.output
    assert len(mailed(standin)) == before


def test_a_correction_of_one_language_asks_only_about_that_languages_journalists_of_the_old_log(tmp_path: Path, standin: Any) -> None:
    """The release went out in English, French and German from out/mailer.db; after the move the
    office corrects the French text and sends again from the team's log. As on one log, the English
    and German journalists are skipped (they have exactly this), and only the French ones are asked
    about ("an earlier version"): --yes sends them the correction."""
    languages = Path(__file__).parent / "data" / "releases" / "languages"
    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    office(
        tmp_path,
        standin,
        old_url,
        beat="Email,First Name,Language\nclaire@example.fr,Claire,fr\nhans@example.de,Hans,de\npat@example.com,Pat,en\n",
    )
    os.chdir(tmp_path)
    for name in ("launch.md", "launch.fr.md"):
        shutil.copy(languages / name, tmp_path / "releases")
    launch = ("send", "releases/launch.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--force-embargo")
    assert mailer(*launch).exit_code == 0
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(old_url, f"sqlite:///{tmp_path / 'team.db'}"), encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    french = tmp_path / "releases" / "launch.fr.md"
    french.write_text(french.read_text(encoding="utf-8").replace("1,2 million", "1,3 million"), encoding="utf-8")
    before = len(mailed(standin))
    corrected = mailer(*launch)
    assert corrected.exit_code == 0, corrected.output
    assert "1 of these journalists already received an earlier version of this release" in said(corrected), corrected.output
    assert mailed(standin)[before:] == ["claire@example.fr"], mailed(standin)
    assert "has never sent a live release" not in said(corrected), corrected.output  # it knows who had what, carried
