"""store.checkpoint.aside: while a send runs, a commit returns once its log is on disk, and a thread
copies the log into the database file."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from send_fixtures import create_campaign
from sqlalchemy import Engine

from mailer.store import checkpoint, connect, messages

NOW = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
ROWS = 20_000  # about 7 MB of log: past SQLite's 1,000-page automatic checkpoint


def write_plan(engine: Engine, campaign_id: str) -> None:
    """A campaign and ROWS message rows, in one transaction (as ``delivery.record`` writes a plan)."""
    rows = [
        (
            f"{campaign_id}-{n:06d}",
            f"j{n}@x.org",
            {"email": f"j{n}@x.org", "outlet": "Daily"},
            f"press.csv:{n + 2}",
            "planned",
            None,
            n // 1000,
            None,
            "en",
        )
        for n in range(ROWS)
    ]
    with engine.begin() as connection:
        create_campaign(connection, campaign_id, NOW)
        messages.insert_rows(connection, campaign_id, rows, now=NOW)


def autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


@pytest.fixture
def log(tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "log.db"
    return connect(f"sqlite:///{path}"), path


def test_checkpoint_a_plan_commit_leaves_the_copy_to_the_thread(log: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside ``aside`` the plan's commit does not copy the log into the database file (the thread
    does it, here only as the block ends); without it, the commit itself does."""
    engine, path = log
    monkeypatch.setattr(checkpoint, "INTERVAL", 60.0)  # the thread's first turn: the block's end
    empty = path.stat().st_size
    with checkpoint.aside(engine):
        write_plan(engine, "aside")
        assert path.stat().st_size == empty, "the commit copied the log into the database file"
        assert Path(f"{path}-wal").stat().st_size > 4_000_000
    assert path.stat().st_size > empty + 4_000_000, "the thread's last checkpoint did not copy the log"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar_one() == ROWS
    grown = path.stat().st_size
    write_plan(engine, "plain")  # outside the block: SQLite's own checkpoint, inside the commit
    assert path.stat().st_size > grown + 4_000_000
    engine.dispose()


def test_checkpoint_connections_checkpoint_on_their_own_again_after_the_block(log: tuple[Engine, Path]) -> None:
    """A pooled connection is handed back with SQLite's automatic checkpoint (1,000 pages), and the
    thread has ended."""
    engine, _path = log
    assert autocheckpoint(engine) == 1000
    with checkpoint.aside(engine):
        assert autocheckpoint(engine) == 0
        assert any(thread.name == "log-checkpoint" for thread in threading.enumerate())
    assert autocheckpoint(engine) == 1000
    assert not any(thread.name == "log-checkpoint" for thread in threading.enumerate())
    engine.dispose()


def test_checkpoint_the_thread_copies_the_log_while_the_block_runs(log: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every INTERVAL the thread checkpoints: a commit's log reaches the database file during the block."""
    engine, path = log
    monkeypatch.setattr(checkpoint, "INTERVAL", 0.05)
    empty = path.stat().st_size
    with checkpoint.aside(engine):
        write_plan(engine, "aside")
        for _ in range(200):
            if path.stat().st_size > empty + 4_000_000:
                break
            time.sleep(0.05)
        assert path.stat().st_size > empty + 4_000_000
    engine.dispose()
