"""When the delivery log itself fails: one line naming the log and the next step, nothing lost, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import without_log_line
from send_fixtures import config_for, contact_list, rendered, states, transport_for
from sqlalchemy import event

from mailer import send
from mailer.cli import main
from mailer.errors import StoreError
from mailer.models import Mode
from mailer.send import plan
from mailer.store import connect


def mailer(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def use_log(url: str) -> None:
    Path("mailer.toml").write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")


def test_failure_log_folder_cannot_be_created(tmp_path: Path) -> None:
    """A log whose folder cannot exist (a file stands in the way) is named, with what to do."""
    (tmp_path / "reports").write_text("not a folder", encoding="utf-8")
    use_log(f"sqlite:///{tmp_path / 'reports' / 'logs' / 'mailer.db'}")
    result = mailer("campaigns")
    assert result.exit_code == 1
    assert without_log_line(result.stderr) == (
        f"Error: Cannot create the folder for the delivery log {tmp_path / 'reports' / 'logs' / 'mailer.db'}: Not a directory.\n"
        "Create the folder, or set [database] url in mailer.toml to a place you may write to.\n"
    )


def test_failure_damaged_log_is_named_and_left_alone(tmp_path: Path) -> None:
    """A file that is not a delivery log is refused without a traceback and not overwritten."""
    damaged = tmp_path / "mailer.db"
    damaged.write_bytes(b"This is a spreadsheet someone saved over the log.\n" * 200)
    before = damaged.read_bytes()
    use_log(f"sqlite:///{damaged}")
    result = mailer("campaigns")
    assert result.exit_code == 1
    assert without_log_line(result.stderr) == (
        f"Error: Cannot open the delivery log {damaged}: the file is damaged or is not a delivery log.\n"
        "Restore the log from a backup, or set [database] url to a new file; mailer does not touch this one.\n"
    )
    assert damaged.read_bytes() == before


def test_failure_read_only_log_says_so(tmp_path: Path) -> None:
    """A log opened read-only (a copy on a read-only share, say) reads fine and refuses writes in plain words."""
    log = tmp_path / "mailer.db"
    connect(f"sqlite:///{log}").dispose()
    use_log(f"sqlite:///file:{log}?mode=ro&uri=true")
    assert mailer("campaigns").exit_code == 0
    result = mailer("suppressions", "add", "jane@example.org", "--reason", "asked by phone")
    assert result.exit_code == 1
    assert "failed: the file is read-only.\n" in result.stderr
    assert "Traceback" not in result.output and "SQL" not in result.output


@pytest.mark.sqlite_only  # SQLite's own page limit stands in for a full disk
def test_failure_full_disk_mid_send_loses_nobody(db_url: str, standin: Any) -> None:
    """The log fills up after some requests: a StoreError naming the log and `mailer resume`; resume then
    finishes with every journalist accepted once or marked unknown, none lost and none sent twice."""
    engine = connect(db_url)
    built = plan.build(rendered(), contact_list(3000), batch_size=100)
    campaign_id = send.record(engine, built, mode=Mode.LIVE, slug="full", lists=["press.csv"], filters={}, sender={}).campaign_id
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    engine.dispose()

    @event.listens_for(engine, "connect")
    def almost_full(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={pages + 2}")  # SQLite's own "database or disk is full"
        cursor.close()

    transport = transport_for(standin, config_for(standin.url))
    with pytest.raises(StoreError) as caught:
        send.run(engine, campaign_id, rendered=rendered(), transport=transport, pacing=send.Pacing(concurrency=2))
    assert caught.value.message.endswith(f"stopped working while sending {campaign_id}: the disk is full.")
    assert caught.value.hint is not None and caught.value.hint.endswith(f"then run: mailer resume {campaign_id}")
    assert 0 < len(standin.mail_sends) < 30

    roomy = connect(db_url)  # space freed: resume as `mailer resume` does
    send.run(roomy, campaign_id, rendered=rendered(), transport=transport, pacing=send.Pacing(concurrency=2))
    final = states(roomy, campaign_id)
    accepted = standin.accepted_addresses()
    assert len(final) == 3000 and set(final.values()) <= {"accepted", "unknown"}
    assert max(accepted.values()) == 1, "a journalist was sent the release twice"
    assert all(accepted[address] == 1 for address, state in final.items()), "a journalist was lost"


@pytest.mark.slow
def test_failure_none_when_six_processes_open_a_new_log_at_once(db_url: str) -> None:
    """A team's first morning: several commands create the same new log at the same moment; all succeed."""
    import subprocess
    import sys

    code = "import sys; from mailer.store import connect; connect(sys.argv[1]).dispose()"
    processes = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)
    ]
    results = [(process.wait(timeout=60), process.communicate()[1]) for process in processes]
    assert [code for code, _ in results] == [0] * 6, [err for _, err in results]
    with connect(db_url).connect() as connection:
        from mailer.store.upgrade import SCHEMA_VERSION, schema_version

        assert schema_version(connection) == SCHEMA_VERSION


def test_failure_lost_database_connection_mid_send_loses_nobody(database: str, db_url: str, standin: Any) -> None:
    """The PostgreSQL server drops every connection after the first request: a StoreError naming the log
    and `mailer resume`; resume then finishes with nobody lost and nobody sent twice."""
    if database != "postgresql":
        pytest.skip("a lost server connection is PostgreSQL's; SQLite has no server")
    from sqlalchemy import create_engine, text

    engine = connect(db_url)
    built = plan.build(rendered(), contact_list(200), batch_size=20)
    campaign_id = send.record(engine, built, mode=Mode.LIVE, slug="lost", lists=["press.csv"], filters={}, sender={}).campaign_id
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    dropped: list[int] = []

    def drop_every_connection(_count: int) -> None:
        if dropped:
            return
        with admin.connect() as connection:
            dropped.extend(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = current_setting('application_name') AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )

    transport = transport_for(standin, config_for(standin.url))
    with pytest.raises(StoreError) as caught:
        send.run(
            engine,
            campaign_id,
            rendered=rendered(),
            transport=transport,
            pacing=send.Pacing(concurrency=1),
            on_request=drop_every_connection,
        )
    admin.dispose()
    assert dropped and f"stopped working while sending {campaign_id}:" in caught.value.message
    assert caught.value.hint is not None and caught.value.hint.endswith(f"then run: mailer resume {campaign_id}")

    again = connect(db_url)
    send.run(again, campaign_id, rendered=rendered(), transport=transport, pacing=send.Pacing(concurrency=2))
    final = states(again, campaign_id)
    accepted = standin.accepted_addresses()
    assert len(final) == 200 and set(final.values()) <= {"accepted", "unknown"}
    assert max(accepted.values()) == 1, "a journalist was sent the release twice"
    assert all(accepted[address] == 1 for address in final), "a journalist was lost"
