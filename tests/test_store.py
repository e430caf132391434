"""mailer.store.connect: the delivery log opened by URL, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from mailer.errors import StoreError
from mailer.models import Mode, SuppressionReason
from mailer.store import campaigns, connect, suppressions

DRIVER_HINT = (
    "The log runs on SQLite or PostgreSQL; for PostgreSQL: pip install 'press-mailer[postgres]' and a URL starting postgresql+psycopg://"
)


def test_store_connect_without_the_driver_names_the_log_and_the_extra() -> None:
    """A URL whose driver is not installed is one line naming the log (password hidden) and a hint naming the extra."""
    with pytest.raises(StoreError) as caught:
        connect("mysql+mysqldb://press:s3cret@127.0.0.1:3306/log")  # mysqlclient is nothing press-mailer installs
    assert caught.value.message == (
        "Cannot open the delivery log at mysql+mysqldb://press:***@127.0.0.1:3306/log: its database driver (MySQLdb) is not installed."
    )
    assert caught.value.hint == DRIVER_HINT


def test_store_cli_without_psycopg_says_to_install_the_postgres_extra(tmp_path: Path) -> None:
    """`mailer campaigns` on a PostgreSQL URL, in a Python where psycopg cannot be imported: exit 1, no traceback."""
    (tmp_path / "mailer.toml").write_text('[database]\nurl = "postgresql+psycopg://press:s3cret@127.0.0.1:9/log"\n', encoding="utf-8")
    without_psycopg = "import sys; sys.modules['psycopg'] = None; from mailer.cli import main; main()"  # import psycopg now fails
    result = subprocess.run(
        [sys.executable, "-c", without_psycopg, "campaigns"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr
    assert (
        "Error: Cannot open the delivery log at postgresql+psycopg://press:***@127.0.0.1:9/log: "
        "its database driver (psycopg) is not installed.\n" + DRIVER_HINT + "\n"
    ) in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr + result.stdout


def test_store_instants_read_back_as_utc_whatever_the_servers_zone(database: str, db_url: str) -> None:
    """Promise 7: a PostgreSQL server whose default zone is New York's still hands every instant back in UTC."""
    url = db_url
    if database == "postgresql":  # the session starts in the server's zone: make that New York
        parsed = make_url(db_url)
        url = parsed.update_query_dict({"options": f"{parsed.query['options']} -cTimeZone=America/New_York"}).render_as_string(
            hide_password=False
        )
    engine = connect(url)
    at = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York
    with engine.begin() as connection:
        campaigns.create(
            connection,
            campaign_id="2026-11-30-bees",
            release_path="releases/bees.md",
            content_hash="c0ffee",
            subject="Bees",
            lists=["press.csv"],
            filters={},
            mode=Mode.LIVE,
            created_at=at,
            scheduled_at=at + timedelta(hours=2),
        )
        suppressions.add(connection, [("ana@example.org", SuppressionReason.MANUAL, None)], source="manual", now=at)
    with engine.connect() as connection:
        found = campaigns.get(connection, "2026-11-30-bees")
        listed = campaigns.rows(connection)
        suppressed = suppressions.every(connection)
    engine.dispose()
    assert found is not None and found.scheduled_at is not None
    assert (found.created_at.isoformat(), found.scheduled_at.isoformat()) == ("2026-11-30T14:00:00+00:00", "2026-11-30T16:00:00+00:00")
    assert (listed[0]["created"], listed[0]["scheduled"]) == ("2026-11-30T14:00:00+00:00", "2026-11-30T16:00:00+00:00")
    assert suppressed[0].created_at.isoformat() == "2026-11-30T14:00:00+00:00"
