"""mailer.store.connect: the delivery log opened by URL, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from send_fixtures import create_campaign, example_rendered
from sqlalchemy import Engine, Text, cast, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from mailer import contacts
from mailer.errors import StoreError
from mailer.models import LogColumns, Message, MessageState, Mode, SuppressionReason
from mailer.send import lease, plan
from mailer.store import campaigns, connect, messages, suppressions
from mailer.store.schema import campaign, message
from mailer.store.upgrade import SCHEMA_VERSION, how_to_update, schema_version

DRIVER_HINT = (
    "The log runs on SQLite or PostgreSQL; for PostgreSQL: pip install 'press-mailer[postgres]' and a URL starting postgresql+psycopg://"
)


def test_store_connect_without_the_driver_names_the_log_and_the_extra() -> None:
    """A URL whose driver is not installed is one line naming the log (password hidden) and a hint naming the extra."""
    with pytest.raises(StoreError) as caught:
        connect("mysql+mysqldb://press:s3cret@127.0.0.1:3306/log")  # mysqlclient is nothing press-mailer installs
    assert caught.value.message == (
        "Cannot open the delivery log mysql+mysqldb://press:***@127.0.0.1:3306/log: its database driver (MySQLdb) is not installed."
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
        "Error: Cannot open the delivery log postgresql+psycopg://press:***@127.0.0.1:9/log: "
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


def logged(db_url: str, *, requests: int) -> Engine:
    """A new log holding campaign c1 with one planned message (k1, k2, ...) in each of ``requests`` requests."""
    engine = connect(db_url)
    now = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
    plan = [
        Message(f"k{n}", f"j{n}@example.org", "", {"first_name": f"J{n}"}, state=MessageState.PLANNED, request_no=n)
        for n in range(1, requests + 1)
    ]
    with engine.begin() as connection:
        create_campaign(connection, "c1", now)
        messages.insert(connection, "c1", plan, now=now)
    return engine


def test_store_upgrade_renames_0_1_0_columns_on_either_database(db_url: str) -> None:
    """A log laid out as 0.1.0 left it (message.key, message.batch_no, no schema_info) opens upgraded, rows kept."""
    engine = logged(db_url, requests=2)
    with engine.begin() as connection:
        # Back to 0.1.0's layout, with the statements 0.1.0's own tables would need (SQL both accept).
        connection.exec_driver_sql(
            "DROP TRIGGER campaign_lease_refused" + (" ON campaign" if connection.dialect.name == "postgresql" else "")
        )
        connection.exec_driver_sql("ALTER TABLE message RENAME COLUMN message_key TO key")
        connection.exec_driver_sql("ALTER TABLE message RENAME COLUMN request_no TO batch_no")
        connection.exec_driver_sql("DROP INDEX ix_message_campaign_request")
        connection.exec_driver_sql("CREATE INDEX ix_message_campaign_batch ON message (campaign_id, batch_no)")
        for column in ("lease_holder", "lease_host", "lease_pid", "lease_since", "lease_heartbeat", "lease_expires", "follow_up_of"):
            connection.exec_driver_sql(f"ALTER TABLE campaign DROP COLUMN {column}")
        connection.exec_driver_sql("ALTER TABLE message DROP COLUMN language")
        connection.exec_driver_sql("ALTER TABLE campaign DROP COLUMN in_flight")
        connection.exec_driver_sql("DROP TABLE archive")
        connection.exec_driver_sql("DROP TABLE attachment")
        connection.exec_driver_sql("DROP TABLE quarantine")
        connection.exec_driver_sql("DROP TABLE schema_info")
        assert schema_version(connection) == 1
    engine.dispose()
    upgraded = connect(db_url)
    with upgraded.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        rows = connection.execute(select(message.c.message_key, message.c.request_no, message.c.fields).order_by(message.c.id)).all()
        indexes = {index["name"] for index in inspect(connection).get_indexes("message")}
    upgraded.dispose()
    assert [tuple(row) for row in rows] == [("k1", 1, {"first_name": "J1"}), ("k2", 2, {"first_name": "J2"})]
    assert "ix_message_campaign_request" in indexes and "ix_message_campaign_batch" not in indexes
    assert_older_version_cannot_send(upgraded)


def assert_older_version_cannot_send(engine: Engine) -> None:
    """An older press-mailer's first step of a send or resume (taking the campaign's lease with a
    bare token) is refused, in words that say what to do; this version's own lease goes through."""
    with pytest.raises(DBAPIError) as refused, engine.begin() as connection:
        connection.execute(campaign.update().where(campaign.c.id == "c1").values(lease_holder="0f" * 16))
    assert "update press-mailer on this computer (pip install -U press-mailer) before sending from it. Nothing was sent." in str(
        refused.value
    )
    with engine.begin() as connection:
        lease.acquire(connection, "c1", now=datetime(2026, 2, 19, 10, 0, tzinfo=UTC))


def test_store_an_older_press_mailer_cannot_take_a_lease(db_url: str) -> None:
    """A press-mailer from before version 9 does not know the requests listed in flight; on a log
    this version created, its first step of a send (the campaign's lease) fails before any request leaves."""
    engine = logged(db_url, requests=1)
    assert_older_version_cannot_send(engine)
    engine.dispose()


def test_store_refuses_a_log_upgraded_by_a_newer_version(db_url: str) -> None:
    """A log a newer press-mailer has upgraded is not opened by this one, not even to read: a clear error, nothing changed."""
    engine = connect(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE schema_info SET version = {SCHEMA_VERSION + 1}")
    engine.dispose()
    with pytest.raises(StoreError) as refused:
        connect(db_url)
    assert refused.value.message == (
        f"This delivery log was upgraded by a newer press-mailer (log version {SCHEMA_VERSION + 1}; this press-mailer knows up to "
        f"{SCHEMA_VERSION}), so this one does not open it, not even to read: it could misread what the newer version wrote, "
        "or write what that one does not expect."
    )
    assert refused.value.hint == (  # this checkout's folder and pip (newcomer 17 #5)
        f"Update press-mailer on this computer to your colleagues' version ({how_to_update()}), then run the command again."
    )


def test_version_5_log_loses_the_campaign_state_index_on_opening(tmp_path: Path) -> None:
    """Step 6: a log at version 5 still has the (campaign_id, state) index; opening it drops it."""
    url = f"sqlite:///{tmp_path}/log.db"
    connect(url).dispose()
    with sqlite3.connect(tmp_path / "log.db") as raw:
        raw.execute("CREATE INDEX ix_message_campaign_state ON message (campaign_id, state)")
        raw.execute("UPDATE schema_info SET version = 5")
    engine = connect(url)
    with engine.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        assert "ix_message_campaign_state" not in {ix["name"] for ix in inspect(connection).get_indexes("message")}
    engine.dispose()


def test_version_7_log_gets_the_message_language_column_on_opening(tmp_path: Path) -> None:
    """Step 8: a log at version 7 has no message.language; opening it adds the column, and old rows read None."""
    url = f"sqlite:///{tmp_path}/log.db"
    connect(url).dispose()
    with sqlite3.connect(tmp_path / "log.db") as raw:
        raw.execute("ALTER TABLE message DROP COLUMN language")
        raw.execute("UPDATE schema_info SET version = 7")
    engine = connect(url)
    with engine.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        assert "language" in {column["name"] for column in inspect(connection).get_columns("message")}
    engine.dispose()


def test_store_plan_written_a_block_of_columns_at_a_time_is_the_plan_written_row_by_row(store: Engine, tmp_path: Path) -> None:
    """``insert_columns`` of a plan's ``log_columns`` (the fields' JSON made a column at a time) leaves
    the rows ``insert_rows`` of its ``log_rows`` leaves: every column, the fields' text byte for byte,
    cells with quotes, backslashes, line breaks and non-ASCII included."""
    path = tmp_path / "press.csv"
    path.write_text(
        'Email,First Name,Notes\n"a@x.org","Zoë ""Z""","back\\slash"\n"b@x.org","Bo","two\nlines\ttab"\nnot an address,X,Y\nc@x.org,Ç,{}%s\n',
        encoding="utf-8",
    )
    built = plan.build(example_rendered(), contacts.load([path]))
    now = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
    with store.begin() as connection:
        for campaign_id in ("columns", "rows"):
            create_campaign(connection, campaign_id, now)
        messages.insert_columns(connection, "columns", built.log_columns(), now=now)
        connection.exec_driver_sql("UPDATE message SET message_key = 'c' || message_key")  # the keys are unique across campaigns
        messages.insert_rows(connection, "rows", built.log_rows(), now=now)
    written = {}
    with store.connect() as connection:
        for campaign_id in ("columns", "rows"):
            query = select(
                *(column for column in message.c if column.key not in ("id", "campaign_id", "message_key", "fields")),
                cast(message.c.fields, Text),
            )
            written[campaign_id] = [
                tuple(row) for row in connection.execute(query.where(message.c.campaign_id == campaign_id).order_by(message.c.id))
            ]
    assert written["columns"] == written["rows"]
    assert len(written["rows"]) == 4
    assert (
        written["rows"][0][-1]
        == '{"email":"a@x.org","first_name":"Zoë \\"Z\\"","last_name":"","outlet":"","title":"","beat":"","tags":"","country":"","language":"","notes":"back\\\\slash"}'
    )


@pytest.mark.parametrize("bound_values", [None, 130], ids=["default-limit", "130-bound-values"])
def test_store_plan_blocks_of_any_size_are_written_whole_and_in_order(store: Engine, bound_values: int | None) -> None:
    """Blocks longer than one multi-row INSERT (2,048 rows on SQLite), with a remainder, a block of
    one row, and a database that binds only 130 values per statement (10 rows of 13): every row is
    written once, in order, each value in its own column."""
    if bound_values is not None and store.dialect.name != "sqlite":
        pytest.skip("a limit on bound values per statement is SQLite's")

    def block(start: int, count: int) -> LogColumns:
        numbers = range(start, start + count)
        return LogColumns.of(
            [
                (
                    f"key{n:06d}",
                    f"j{n}@x.org",
                    {"email": f"j{n}@x.org", "first_name": f"N{n}"},
                    f"press.csv:{n + 2}",
                    "skipped" if n % 7 == 3 else "planned",
                    "duplicate" if n % 7 == 3 else None,
                    None if n % 7 == 3 else n // 1000,
                    "the same address is already a recipient" if n % 7 == 3 else None,
                    None if n % 7 == 3 else "en",
                )
                for n in numbers
            ]
        )

    sizes = [4_100, 1, 2_048, 37]
    starts = [sum(sizes[:k]) for k in range(len(sizes))]
    now = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
    with store.begin() as connection:
        if bound_values is not None:
            connection.connection.dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, bound_values)  # type: ignore[union-attr]
        create_campaign(connection, "blocks", now)
        messages.insert_columns(connection, "blocks", (block(start, size) for start, size in zip(starts, sizes, strict=True)), now=now)
    query = select(
        message.c.message_key,
        message.c.email,
        message.c.email_key,
        message.c.source,
        message.c.state,
        message.c.skip_reason,
        message.c.request_no,
        message.c.error,
        message.c.language,
        message.c.fields,
    ).order_by(message.c.id)
    with store.connect() as connection:
        written = [tuple(row) for row in connection.execute(query.where(message.c.campaign_id == "blocks"))]
    expected = []
    for n in range(sum(sizes)):
        skipped = n % 7 == 3
        expected.append(
            (
                f"key{n:06d}",
                f"j{n}@x.org",
                f"j{n}@x.org",
                f"press.csv:{n + 2}",
                "skipped" if skipped else "planned",
                "duplicate" if skipped else None,
                None if skipped else n // 1000,
                "the same address is already a recipient" if skipped else None,
                None if skipped else "en",
                {"email": f"j{n}@x.org", "first_name": f"N{n}"},
            )
        )
    assert written == expected


def test_store_tally_is_counts_and_errors(store: Engine) -> None:
    """``tally`` (what a send's end and ``mailer status`` read) gives ``counts`` and ``errors``:
    failed and unknown rows grouped by their error, most frequent first; a skipped row's detail
    (kept in the same column) is no error; a campaign where nothing failed has no errors."""
    now = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
    states = ["accepted"] * 3 + ["failed"] * 2 + ["failed"] + ["unknown"] + ["planned"] + ["skipped"] * 2
    errors = (
        [None] * 3 + ["400 bad address"] * 2 + ["413 too large"] + ["timed out"] + [None] + ["the same address is already a recipient"] * 2
    )
    rows = [
        (f"k{n}", f"j{n}@x.org", {}, f"press.csv:{n}", state, "duplicate" if state == "skipped" else None, None, error, None)
        for n, (state, error) in enumerate(zip(states, errors, strict=True))
    ]
    with store.begin() as connection:
        create_campaign(connection, "tally", now)
        messages.insert_rows(connection, "tally", rows, now=now)
    with store.connect() as connection:
        counts, found = messages.tally(connection, "tally")
        assert (counts, found) == (messages.counts(connection, "tally"), messages.errors(connection, "tally"))
    assert counts == {"planned": 1, "sending": 0, "accepted": 3, "failed": 3, "unknown": 1, "skipped": 2}
    assert found[0] == ("failed", "400 bad address", 2)
    assert sorted(found[1:]) == [("failed", "413 too large", 1), ("unknown", "timed out", 1)]
    with store.begin() as connection:
        connection.execute(
            message.update().where(message.c.state.in_(["failed", "unknown", "planned"])).values(state="accepted", error=None)
        )
    with store.connect() as connection:
        counts, found = messages.tally(connection, "tally")
    assert counts["accepted"] == 8 and counts["skipped"] == 2 and found == []


def test_version_9_log_gets_one_address_index_entry_per_row_on_opening(db_url: str) -> None:
    """Step 10: a log at version 9 (an email_key index beside the unique (campaign_id, email_key) index of
    rows not skipped) opens with the two address indexes instead; its rows are found by address as
    before, skipped ones included, and promise 2 still holds for the rows written before and after."""
    engine = connect(db_url)
    now = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
    rows = [
        Message("k1", "Ana@Example.org", "", {"first_name": "Ana"}, state=MessageState.ACCEPTED, request_no=1),
        Message("k2", "ana@example.org", "", {}, state=MessageState.SKIPPED, skip_reason="duplicate"),
        Message("k3", "bo@example.org", "", {}, state=MessageState.ACCEPTED, request_no=1),
    ]
    with engine.begin() as connection:
        create_campaign(connection, "c1", now)
        messages.insert(connection, "c1", rows, now=now)
        # Back to version 9's indexes, as that version's schema.py made them.
        connection.exec_driver_sql("DROP INDEX ux_message_address_campaign")
        connection.exec_driver_sql("DROP INDEX ix_message_skipped_address")
        connection.exec_driver_sql("CREATE INDEX ix_message_email_key ON message (email_key)")
        connection.exec_driver_sql(
            "CREATE UNIQUE INDEX ux_message_campaign_address ON message (campaign_id, email_key) WHERE skip_reason IS NULL"
        )
        connection.exec_driver_sql("UPDATE schema_info SET version = 9")
    engine.dispose()
    upgraded = connect(db_url)
    with upgraded.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        indexes = {index["name"] for index in inspect(connection).get_indexes("message")}
        history = [(row.message_id, row.state, row.skip_reason) for row in messages.for_address(connection, "ana@example.org")]
        sent = messages.by_address(connection, ["ana@example.org", "bo@example.org"])
        shown = messages.shown(connection, "c1", "ana@example.org")
    assert {"ux_message_address_campaign", "ix_message_skipped_address"} <= indexes
    assert not {"ix_message_email_key", "ux_message_campaign_address"} & indexes
    assert [(state, reason) for _, state, reason in history] == [("accepted", None), ("skipped", "duplicate")]
    assert {key: [link.state for link in links] for key, links in sent.items()} == {
        "ana@example.org": ["accepted"],
        "bo@example.org": ["accepted"],
    }
    assert shown is not None and shown.message_key == "k1"
    # Promise 2: a second live row to Ana in c1 is refused; another skipped one, or Ana in another campaign, is not.
    with pytest.raises(IntegrityError), upgraded.begin() as connection:
        messages.insert(connection, "c1", [Message("k4", "ana@example.org", "", {}, state=MessageState.PLANNED, request_no=2)], now=now)
    with upgraded.begin() as connection:
        create_campaign(connection, "c2", now)
        messages.insert(
            connection, "c1", [Message("k5", "ANA@example.org", "", {}, state=MessageState.SKIPPED, skip_reason="duplicate")], now=now
        )
        messages.insert(connection, "c2", [Message("k6", "ana@example.org", "", {}, state=MessageState.PLANNED, request_no=1)], now=now)
    with upgraded.begin() as connection:
        erased = messages.erase_address(connection, "ana@example.org")
    upgraded.dispose()
    assert sorted(campaign_id for _, campaign_id in erased) == ["c1", "c1", "c1", "c2"]  # every row to Ana, skipped ones too


def test_store_sqlite_commits_are_on_disk_before_they_return(tmp_path: Path) -> None:
    """A power cut must not take back a commit: a request listed in flight after it left (else a
    resume would send it again) or events answered 2xx. SQLite in WAL mode with synchronous=FULL
    (2) syncs each commit; NORMAL (1) would not."""
    engine = connect(f"sqlite:///{tmp_path / 'mailer.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_version_10_log_keys_its_suppressions_and_event_addresses_as_lists_are_keyed_on_opening(db_url: str) -> None:
    """Step 11: suppressions and events written before one way of reading an address kept it as it
    came: "ben@xn--bcher-kva.example" from an event, "jane doe <jane@example.org>" from an older
    `mailer forget` (her name kept for good). Opened, the log keys them as a list row is keyed, so
    they suppress the list's "ben@bücher.example" and "jane@example.org"; two entries for one
    mailbox become the one that says most (forgotten before a bounce); plain entries are unchanged."""
    from sqlalchemy import text

    from mailer.store.schema import event, suppression

    engine = connect(db_url)
    now = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
    with engine.begin() as connection:
        for email_key, reason, created in [
            ("ben@xn--bcher-kva.example", "unsubscribe", now),
            ("jane doe <jane@example.org>", "forgotten", now),
            ("jane@example.org", "bounce", now - timedelta(days=1)),
            ("ana@daily.example.", "spamreport", now),
            ("cy@radio.example", "manual", now),
        ]:
            connection.execute(
                suppression.insert().values(email_key=email_key, reason=reason, source="event", note=None, created_at=created)
            )
        connection.execute(
            event.insert().values(dedupe_key="d1", event="unsubscribe", email="ben@xn--bcher-kva.example", timestamp=1771495200, raw="{}")
        )
        connection.execute(text("UPDATE schema_info SET version = 10"))
    engine.dispose()
    upgraded = connect(db_url)
    with upgraded.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        reasons = suppressions.reasons(connection)
        emails = list(connection.scalars(select(event.c.email)))
    upgraded.dispose()
    assert reasons == {
        "ben@bücher.example": "unsubscribe",
        "jane@example.org": "forgotten",
        "ana@daily.example": "spamreport",
        "cy@radio.example": "manual",
    }
    assert emails == ["ben@bücher.example"]
