"""mailer.store.connect: the delivery log opened by URL, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import make_url

from mailer.models import Mode, SuppressionReason
from mailer.store import campaigns, connect, suppressions


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
