"""Promise 7: every instant is stored as UTC and read back as UTC, whatever zone it came in.

Written against the ``store`` fixture, so the same assertions hold on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import StatementError

from mailer.models import Delivery, Message, MessageState, Mode, SuppressionReason
from mailer.store import campaigns, messages, suppressions
from mailer.store.schema import LEASE_HOLDER_MARK, message

CREATED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# 09:00 on the clocks of each zone on 2026-11-30, and the instant it is.
WALL_CLOCK = [
    ("America/New_York", "2026-11-30T14:00:00+00:00"),  # EST, UTC-5
    ("Europe/Berlin", "2026-11-30T08:00:00+00:00"),  # CET, UTC+1
    ("Asia/Kolkata", "2026-11-30T03:30:00+00:00"),  # IST, UTC+5:30
]


def create(connection: Connection, campaign_id: str = "c", *, created_at: datetime = CREATED, scheduled_at: datetime | None = None) -> None:
    campaigns.create(
        connection,
        campaign_id=campaign_id,
        release_path="releases/r.md",
        content_hash="0" * 64,
        subject="Bees",
        lists=["lists/press.csv"],
        filters={},
        mode=Mode.LIVE,
        created_at=created_at,
        scheduled_at=scheduled_at,
    )


@pytest.mark.parametrize(("zone", "instant"), WALL_CLOCK)
def test_store_time_scheduled_at_keeps_the_instant(store: Engine, zone: str, instant: str) -> None:
    """A time given in New York, Berlin or Kolkata reads back as the same instant, in UTC."""
    given = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(zone))
    with store.begin() as connection:
        create(connection, scheduled_at=given)
    with store.connect() as connection:
        found = campaigns.get(connection, "c")
        [row] = campaigns.rows(connection)
    assert found is not None and found.scheduled_at is not None
    assert found.scheduled_at.isoformat() == instant
    assert found.scheduled_at == given and found.scheduled_at.utcoffset() is not None
    assert row["scheduled"] == instant


def test_store_time_sqlite_text_is_what_0_1_0_wrote(store: Engine) -> None:
    """On SQLite the text stays UTC digits without an offset, as in logs written by 0.1.0."""
    if store.dialect.name != "sqlite":
        pytest.skip("the text format is SQLite's")
    with store.begin() as connection:
        create(connection, scheduled_at=datetime(2026, 11, 30, 9, 0, 0, 123456, tzinfo=ZoneInfo("America/New_York")))
    with store.connect() as connection:
        assert connection.exec_driver_sql("SELECT scheduled_at FROM campaign").scalar() == "2026-11-30 14:00:00.123456"


@pytest.mark.parametrize(
    ("zone", "before", "after", "instants"),
    [
        # New York springs forward at 02:00 on 2026-03-08: two clock hours, one real hour apart.
        ("America/New_York", datetime(2026, 3, 8, 1, 30), datetime(2026, 3, 8, 3, 30), ("06:30", "07:30")),
        # Berlin springs forward at 02:00 on 2026-03-29.
        ("Europe/Berlin", datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 3, 30), ("00:30", "01:30")),
        # New York falls back at 02:00 on 2026-11-01: 01:30 happens twice (fold=1 is the second).
        ("America/New_York", datetime(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 1, 30, fold=1), ("05:30", "06:30")),
    ],
)
def test_store_time_across_a_dst_change(store: Engine, zone: str, before: datetime, after: datetime, instants: tuple[str, str]) -> None:
    """Times on either side of a DST change keep their instants, their order and the real hour between them."""
    tz = ZoneInfo(zone)
    with store.begin() as connection:
        create(connection, "early", created_at=before.replace(tzinfo=tz), scheduled_at=before.replace(tzinfo=tz))
        create(connection, "late", created_at=after.replace(tzinfo=tz), scheduled_at=after.replace(tzinfo=tz))
    with store.connect() as connection:
        early, late = campaigns.get(connection, "early"), campaigns.get(connection, "late")
        newest_first = campaigns.ids(connection)
    assert early is not None and late is not None and early.scheduled_at and late.scheduled_at
    assert (f"{early.scheduled_at:%H:%M}", f"{late.scheduled_at:%H:%M}") == instants
    assert (late.scheduled_at - early.scheduled_at).total_seconds() == 3600
    assert early.created_at.utcoffset() == late.created_at.utcoffset() == UTC.utcoffset(None)
    assert newest_first == ["late", "early"]


def test_store_time_refuses_a_naive_datetime(store: Engine) -> None:
    """A time without a zone is a programming error: nobody can tell which instant it meant."""
    with pytest.raises(StatementError, match="naive datetime"), store.begin() as connection:
        create(connection, scheduled_at=datetime(2026, 11, 30, 9, 0))
    with store.connect() as connection:
        assert campaigns.get(connection, "c") is None


def test_store_time_message_rows_go_through_the_type(store: Engine) -> None:
    """The plan's bulk insert and the delivery update convert to UTC too, and refuse naive times."""
    kolkata = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    berlin = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    planned = [Message("k1", "jo@example.org", "Jo", {"email": "jo@example.org"}, state=MessageState.ACCEPTED, request_no=1)]
    with store.begin() as connection:
        create(connection)
        with pytest.raises(ValueError, match="naive datetime"):
            messages.insert(connection, "c", planned, now=datetime(2026, 11, 30, 9, 0))
        messages.insert(connection, "c", planned, now=kolkata)
    with store.connect() as connection:
        [(message_id, created, updated)] = connection.execute(select(message.c.id, message.c.created_at, message.c.updated_at)).all()
        [link] = messages.by_address(connection, ["jo@example.org"])["jo@example.org"]
    assert created.isoformat() == updated.isoformat() == "2026-11-30T03:30:00+00:00"
    assert link.created_at == int(kolkata.timestamp())
    with store.begin() as connection:  # a delivery event: updated_at stays the time of the last state change
        messages.advance_delivery(connection, {message_id: Delivery.DELIVERED}, now=berlin)
    with store.connect() as connection:
        assert connection.scalar(select(message.c.updated_at)).isoformat() == "2026-11-30T03:30:00+00:00"
    with store.begin() as connection:  # a state change stamps it, in UTC
        messages.mark_request(connection, "c", 1, old=MessageState.ACCEPTED, new=MessageState.UNKNOWN, now=berlin, error="x")
    with store.connect() as connection:
        assert connection.scalar(select(message.c.updated_at)).isoformat() == "2026-11-30T08:00:00+00:00"


def test_store_time_suppressions_and_removals_in_utc(store: Engine) -> None:
    """A suppression's time and a removal's time read back as the instants given."""
    with store.begin() as connection:
        suppressions.add(
            connection,
            [("jo@example.org", SuppressionReason.BOUNCE, None)],
            source="manual",
            now=datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/New_York")),
        )
    with store.connect() as connection:
        [entry] = suppressions.every(connection)
    assert entry.created_at.isoformat() == "2026-11-30T14:00:00+00:00"
    with store.begin() as connection:
        suppressions.remove(connection, ["jo@example.org"], note="asked", now=datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata")))
    with store.connect() as connection:
        [removal] = suppressions.removals(connection)
    assert removal.removed_at.isoformat() == "2026-11-30T03:30:00+00:00"


def test_store_time_lease_expiry_compared_in_utc(store: Engine) -> None:
    """The lease's expiry is compared in SQL: written in Kolkata time, it still expires at the right instant."""
    kolkata = ZoneInfo("Asia/Kolkata")
    start = datetime(2026, 11, 30, 9, 0, tzinfo=kolkata)  # 03:30 UTC
    with store.begin() as connection:
        create(connection)
        assert campaigns.take_lease(
            connection, "c", holder=LEASE_HOLDER_MARK + "a", host="h", pid=1, now=start, expires=start + timedelta(seconds=30)
        )
    with store.begin() as connection:
        held = campaigns.lease(connection, "c")
        assert held is not None and held.expires.isoformat() == "2026-11-30T03:30:30+00:00"
        early = datetime(2026, 11, 30, 3, 30, 10, tzinfo=UTC)
        assert not campaigns.take_lease(
            connection, "c", holder=LEASE_HOLDER_MARK + "b", host="h", pid=2, now=early, expires=early + timedelta(seconds=30)
        )
    with store.begin() as connection:
        later = datetime(2026, 11, 30, 3, 31, tzinfo=UTC)
        assert campaigns.take_lease(
            connection, "c", holder=LEASE_HOLDER_MARK + "b", host="h", pid=2, now=later, expires=later + timedelta(seconds=30)
        )
        taken = campaigns.lease(connection, "c")
    assert taken is not None and (taken.holder, taken.since.isoformat()) == (LEASE_HOLDER_MARK + "b", "2026-11-30T03:31:00+00:00")
