"""Lead, session 26: what the session's own changes promise a press office."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES, schema_url
from office_cli import mailer, office
from sqlalchemy import create_engine

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=SKIP_POSTGRES)


@needs_postgres
def test_an_events_import_on_one_log_does_not_hold_up_another_log_in_the_same_database(
    tmp_path: Path, standin: Any, two_schemas: tuple[str, str]
) -> None:
    """Two offices keep their logs as two schemas of one PostgreSQL database. While the first
    office's events import stores a batch, the second's `mailer suppressions add` said "Waiting
    for the delivery log: another mailer command is storing SendGrid's events there" and waited
    for it: the lock was one per database (it made the suite's PostgreSQL tests flaky too). Each
    log's own commands still wait for each other (test_newcomer17)."""
    from mailer.store import events as event_store

    first, second = two_schemas
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    office(tmp_path / "a", standin, schema_url(first))
    office(tmp_path / "b", standin, schema_url(second))
    for project in ("a", "b"):
        os.chdir(tmp_path / project)
        assert mailer("campaigns").exit_code == 0  # each log made
    colleague = create_engine(schema_url(first))
    try:
        with colleague.connect() as importing:
            event_store.hold_ingest_lock(importing)  # what the first office's batch of events holds
            done = subprocess.run(
                [sys.executable, "-m", "mailer", "suppressions", "add", "ex.reporter@example.net", "--reason", "asked by phone"],
                check=False,
                cwd=tmp_path / "b",
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                timeout=30,
            )
            importing.rollback()
    finally:
        colleague.dispose()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Waiting for the delivery log" not in done.stderr + done.stdout
    assert "Suppressed 1 address." in done.stdout


@needs_postgres
def test_a_team_log_not_measured_when_opened_is_measured_at_the_next_round(tmp_path: Path) -> None:
    """A webhook started while the team's server was slow to answer could not ask it for its time,
    and then never asked again: it stamped events by this computer's clock for as long as it ran
    (review 26x). A PostgreSQL log never measured is due at once; a server that still does not
    answer is asked again a minute later, not at every batch; an SQLite log is never asked."""
    import socket

    from mailer.store import clock

    team = create_engine(POSTGRES_URL)
    with socket.socket() as probe:  # a port nothing listens on: a server that does not answer
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    silent = create_engine(f"postgresql+psycopg://mailer@127.0.0.1:{port}/none?connect_timeout=2")
    own = create_engine(f"sqlite:///{tmp_path / 'own.db'}")
    try:
        assert clock.due(team)
        clock.follow(team)
        assert not clock.due(team)  # measured: asked again in a minute
        assert clock.due(silent)
        clock.follow(silent)  # no answer: quietly as it was
        assert not clock.due(silent)  # not at every batch
        assert clock.now(silent) - datetime.now(UTC) < timedelta(seconds=1)
        assert not clock.due(own)
    finally:
        for engine in (team, silent, own):
            engine.dispose()


def test_follow_up_latest_finds_this_folders_send_where_paths_use_backslashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows the log keeps a release's path as C:\\press\\releases\\x.md, and the office
    folder is C:\\press: "latest" of this folder matched it against "C:\\press/" and found no
    send at all, every `--follow-up latest` refused (review 26x)."""
    from mailer import store
    from mailer.models import Mode
    from mailer.store import campaigns

    engine = store.connect(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        with engine.begin() as connection:
            for number, path in enumerate(("C:\\press\\releases\\x.md", "C:\\pressroom\\releases\\y.md")):
                campaigns.create(
                    connection,
                    campaign_id=f"2026-12-02-{number}",
                    release_path=path,
                    content_hash=str(number),
                    subject=path,
                    lists=[],
                    filters={},
                    mode=Mode.LIVE,
                    created_at=datetime(2026, 12, 2, 9 + number, tzinfo=UTC),
                )
        monkeypatch.setattr(os, "sep", "\\")
        with engine.connect() as connection:
            found = campaigns.newest(connection, mode=Mode.LIVE, under="C:\\press")
    finally:
        engine.dispose()
    assert found is not None and found.release_path == "C:\\press\\releases\\x.md"  # not the neighbouring C:\pressroom's


def test_a_send_time_in_the_last_minutes_of_sendgrids_72_hours_is_refused_before_any_request() -> None:
    """SendGrid counts its 72 hours by its own clock: from a log whose clock was 5 minutes fast,
    --at 71 h 59 min ahead was accepted and every request then refused, every journalist failed
    (review 26s). The last 10 minutes are refused at once, saying why; 71 h 50 min still goes."""
    from mailer.errors import SendError
    from mailer.send import schedule

    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    with pytest.raises(SendError, match="less than 10 minutes short of the 72 hours") as refused:
        schedule.parse_at(now + timedelta(hours=71, minutes=59), now=now)
    assert "71 hours 50 minutes" in (refused.value.hint or "")
    assert schedule.parse_at(now + timedelta(hours=71, minutes=50), now=now) == now + timedelta(hours=71, minutes=50)
