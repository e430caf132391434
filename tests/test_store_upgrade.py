"""A delivery log written by press-mailer 0.1.0 opens, upgrades once, and keeps working.

tests/data/logs/mailer-0.1.0.db was written by the 0.1.0 command line against the SendGrid
stand-in (tests/data/logs/make_legacy_log.py says how); its contents are asserted below as
0.1.0 reported them, so an upgrade that loses or changes a row fails here.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from mailer.cli import main
from mailer.models import MessageState
from mailer.reports import figures
from mailer.store import campaigns, connect, messages, suppressions
from mailer.store.schema import event, message
from mailer.store.upgrade import SCHEMA_VERSION, schema_version

pytestmark = pytest.mark.sqlite_only  # the SQLite file 0.1.0 wrote; tests/test_store.py upgrades its layout on PostgreSQL too

LEGACY = Path(__file__).parent / "data" / "logs" / "mailer-0.1.0.db"
LIVE = "2026-11-29-bee-census-2"
SCHEDULED = "2026-11-29-bee-census-3"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A copy of the 0.1.0 log (SQLite writes -wal files beside whatever it opens)."""
    copy = tmp_path / "old" / "mailer.db"
    copy.parent.mkdir()
    shutil.copyfile(LEGACY, copy)
    return copy


def opened(path: Path) -> Engine:
    return connect(f"sqlite:///{path}")


def test_store_upgrade_recognises_a_0_1_0_log_and_records_the_version(legacy: Path) -> None:
    """A log without a schema_info table is version 1; opening it brings it to the current version."""
    engine = opened(legacy)
    with engine.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
    again = opened(legacy)  # a second opening changes nothing
    with again.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        assert connection.scalar(select(func.count()).select_from(message)) == 26
        assert connection.scalar(select(func.count()).select_from(event)) == 18


def test_store_upgrade_keeps_every_campaign_and_message(legacy: Path) -> None:
    """Campaigns, message states, request numbers and message keys survive the renamed columns."""
    engine = opened(legacy)
    with engine.begin() as connection:
        found = {c["id"]: (c["mode"], c["status"]) for c in campaigns.rows(connection)}
    assert found == {
        "2026-11-29-bee-census": ("dry-run", "done"),
        "2026-11-29-bee-census-test": ("test", "done"),
        LIVE: ("live", "done"),
        SCHEDULED: ("live", "done"),
    }
    with engine.connect() as connection:
        counts = messages.counts(connection, LIVE)
        keys = connection.execute(select(message.c.message_key, message.c.request_no).where(message.c.campaign_id == LIVE)).all()
    assert counts[MessageState.ACCEPTED.value] == 6 and counts[MessageState.SKIPPED.value] == 2
    assert sorted(n for _, n in keys if n is not None) == [1, 1, 1, 2, 2, 2]
    assert all(len(key) == 32 for key, _ in keys)
    with engine.begin() as connection:
        scheduled = campaigns.get(connection, SCHEDULED)
    assert scheduled is not None and scheduled.scheduled_at is not None
    assert scheduled.scheduled_at.isoformat() == "2026-11-29T17:00:00+00:00"


def test_store_upgrade_keeps_report_figures_and_suppressions(legacy: Path) -> None:
    """The live campaign reports what 0.1.0 reported; bounced and unsubscribed stay unmailable."""
    engine = opened(legacy)
    summary = figures.summarize(engine, LIVE)
    assert (summary.accepted, summary.delivered, summary.bounced, summary.opened_human, summary.clicked, summary.unsubscribed) == (
        6,
        5,
        1,
        3,
        1,
        1,
    )
    with engine.connect() as connection:
        kept = {s.email_key: s.reason.value for s in suppressions.every(connection)}
    assert kept == {"li.wei@example.org": "bounce", "mateo.silva@example.com": "unsubscribe"}


def test_store_upgrade_then_send_and_status_from_the_command_line(legacy: Path, tmp_path: Path, monkeypatch: Any) -> None:
    """A new dry run writes into the upgraded log, skipping its suppressions; status reads old campaigns."""
    root = Path(__file__).parent.parent
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(root / folder, tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{legacy}"\n', encoding="utf-8")
    runner = CliRunner()
    status = runner.invoke(main, ["status", LIVE])
    assert status.exit_code == 0, status.output
    assert "6 accepted" in status.output
    sent = runner.invoke(main, ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run"])
    assert sent.exit_code == 0, sent.output
    with opened(legacy).begin() as connection:
        assert len(campaigns.rows(connection)) == 5
