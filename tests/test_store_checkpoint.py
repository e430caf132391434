"""store.checkpoint.aside: a send's plan commit returns once its log is on disk; a thread copies the
log into the database file, then commits checkpoint on their own again. Findings of review 7b
included (two sends in two threads, the log's size during a busy send, connections handed back,
Ctrl-C)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from send_fixtures import create_campaign, example_office
from sqlalchemy import Engine

from mailer.config import Config
from mailer.store import checkpoint, connect, messages

ROOT = Path(__file__).parent.parent
NOW = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)
ROWS = 20_000  # about 7 MB of log: past SQLite's own 1,000-page automatic checkpoint (SQLITE_DEFAULT)
SQLITE_DEFAULT = 1000  # pages


@pytest.fixture(autouse=True)
def _sqlite_s_own_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests watch the deferral at SQLite's own threshold, which a 7 MB plan passes; the
    log's connections get checkpoint.AUTOCHECKPOINT (40 MB), read when each one opens."""
    monkeypatch.setattr(checkpoint, "AUTOCHECKPOINT", SQLITE_DEFAULT)


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


def autocheckpoint(dbapi_connection: Any) -> int:
    cursor = dbapi_connection.cursor()
    try:
        return int(cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    finally:
        cursor.close()


def pooled_autocheckpoint(engine: Engine) -> int:
    """What a connection taken from the pool now does on its own."""
    with engine.connect() as connection:
        return autocheckpoint(connection.connection.dbapi_connection)


def wait_for(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def log(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    path = tmp_path / "log.db"
    engine = connect(f"sqlite:///{path}")
    yield engine, path
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    yield
    assert not any(thread.name == "log-checkpoint" for thread in threading.enumerate())


def test_checkpoint_the_plan_commit_leaves_the_copy_to_the_thread(log: tuple[Engine, Path]) -> None:
    """Inside ``aside`` the plan's commit does not copy the log into the database file; once the
    copy starts, a thread does, and commits checkpoint on their own again; without ``aside``, the
    commit itself copies."""
    engine, path = log
    empty = path.stat().st_size
    with checkpoint.aside(engine) as copying:
        write_plan(engine, "aside")
        assert path.stat().st_size == empty, "the commit copied the log into the database file"
        assert Path(f"{path}-wal").stat().st_size > 4_000_000
        assert pooled_autocheckpoint(engine) == 0
        copying.start()
        assert wait_for(lambda: path.stat().st_size > empty + 4_000_000), "the thread did not copy the log"
        assert wait_for(lambda: pooled_autocheckpoint(engine) == checkpoint.AUTOCHECKPOINT), "commits still do not checkpoint"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar_one() == ROWS
    grown = path.stat().st_size
    write_plan(engine, "plain")  # outside the block: SQLite's own checkpoint, inside the commit
    assert path.stat().st_size > grown + 4_000_000


def test_checkpoint_a_block_left_before_the_copy_gives_connections_their_checkpoints_back(log: tuple[Engine, Path]) -> None:
    """A send that fails before its plan is written (no copy started) leaves the engine as it was."""
    engine, _path = log
    assert pooled_autocheckpoint(engine) == SQLITE_DEFAULT
    with pytest.raises(RuntimeError), checkpoint.aside(engine):
        assert pooled_autocheckpoint(engine) == 0
        raise RuntimeError("the plan could not be written")
    assert pooled_autocheckpoint(engine) == SQLITE_DEFAULT


def test_checkpoint_two_sends_in_two_threads_share_one_engine(log: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 7b, finding 1: a second send starts while the first is taking a connection from the
    pool (where SQLite runs the checkout's PRAGMA and the GIL is let go): the first's checkout still
    succeeds (adding and removing pool listeners per send raised "deque mutated during iteration")."""
    engine, _path = log
    taking, second_started = threading.Event(), threading.Event()
    real = checkpoint._pragma

    def pragma(dbapi_connection: Any, statement: str) -> None:
        real(dbapi_connection, statement)
        if threading.current_thread().name == "first-send" and statement.endswith("=0") and not taking.is_set():
            taking.set()
            second_started.wait(5)

    monkeypatch.setattr(checkpoint, "_pragma", pragma)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with checkpoint.aside(engine), engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1").all()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=first, name="first-send")
    thread.start()
    assert taking.wait(5)
    with checkpoint.aside(engine):
        second_started.set()
        thread.join(10)
    assert not thread.is_alive()
    assert errors == []
    assert pooled_autocheckpoint(engine) == SQLITE_DEFAULT


def test_checkpoint_a_connection_taken_during_a_send_checkpoints_again_once_returned(log: tuple[Engine, Path]) -> None:
    """Review 7b, finding 3: another thread (a webhook app, a report sharing the engine) takes a
    connection while a send runs and gives it back after the send ended: back in the pool, it
    checkpoints on its own again."""
    engine, _path = log
    taken, send_over = threading.Event(), threading.Event()
    seen: list[int] = []

    def reader() -> None:
        with engine.connect() as connection:
            taken.set()
            send_over.wait(5)
            dbapi_connection = connection.connection.dbapi_connection
        seen.append(autocheckpoint(dbapi_connection))  # returned to the pool: what the next user gets

    thread = threading.Thread(target=reader)
    with checkpoint.aside(engine):
        thread.start()
        assert taken.wait(5)
    send_over.set()
    thread.join(5)
    assert seen == [SQLITE_DEFAULT]


@pytest.mark.usefixtures("sigint_default")
def test_checkpoint_ctrl_c_while_the_copy_runs_leaves_the_engine_as_it_was(
    log: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 7b, finding 4: Ctrl-C lands while the send waits for the thread's checkpoint (a large
    log takes a second or more to copy): the KeyboardInterrupt goes up, and connections taken later
    checkpoint on their own."""
    engine, _path = log
    real = checkpoint.Copying._checkpoint
    main = threading.main_thread().ident
    assert main is not None and threading.current_thread() is threading.main_thread()

    def interrupted(self: checkpoint.Copying) -> tuple[int, int, int]:
        signal.pthread_kill(main, signal.SIGINT)  # the user's Ctrl-C, during the checkpoint
        time.sleep(0.2)
        return real(self)

    monkeypatch.setattr(checkpoint.Copying, "_checkpoint", interrupted)
    with pytest.raises(KeyboardInterrupt), checkpoint.aside(engine) as copying:
        write_plan(engine, "aside")
        copying.start()
        time.sleep(60)  # the Ctrl-C comes here (at once: 60 s only bounds a loaded machine)
    for thread in threading.enumerate():
        if thread.name == "log-checkpoint":
            thread.join(5)
    assert pooled_autocheckpoint(engine) == SQLITE_DEFAULT


@pytest.fixture
def office(tmp_path: Path, standin: Any) -> Config:
    """The example release; requests of 100 recipients, 4 at once; the stand-in as SendGrid."""
    return example_office(tmp_path, standin.url, batch_size=100, concurrency=4)


def test_checkpoint_the_log_stays_about_the_plan_s_size_while_a_send_runs(
    log: tuple[Engine, Path], office: Config, standin: Any, tmp_path: Path
) -> None:
    """Review 7b, finding 2: after the plan's commit the log (the -wal file) does not keep growing
    as the answers are written, even answered at once: once the plan is copied, commits checkpoint
    and SQLite starts the log over (a thread checkpointing behind a busy send never found it wholly
    copied: 20,000 journalists, the plan's 9.6 MB grew to 20 MB; 100,000: 48 MB to 99 MB)."""
    from mailer.send import campaign

    engine, path = log
    names = "".join(f"big{n}@big{n % 97}.example,N{n}\n" for n in range(ROWS))
    (tmp_path / "lists" / "big.csv").write_text("Email,First Name\n" + names, encoding="utf-8")
    standin.validate = False  # answers as fast as a local SendGrid can (the fixture resets it)
    prepared = campaign.prepare_send(engine, office, Path("releases/example.md"), [Path("lists/big.csv")])
    wal = Path(f"{path}-wal")
    after_plan: list[int] = []
    environ = {"SENDGRID_API_KEY": standin.api_key}
    sent = campaign.start(engine, office, prepared, environ=environ, notify=lambda _: after_plan.append(wal.stat().st_size))
    assert sent.outcome.counts["accepted"] == ROWS
    # The plan's log, not copied yet: its first rows and the rest in parts (store/plan_parts.py),
    # which the send writes into the message table while it runs.
    assert after_plan and after_plan[0] > 3_000_000
    assert wal.stat().st_size <= after_plan[0] * 1.4, f"the log grew from {after_plan[0]:,} to {wal.stat().st_size:,} bytes during the send"


def test_checkpoint_an_in_memory_log_starts_no_thread() -> None:
    """On an in-memory log nothing is deferred and no thread starts."""
    engine = connect("sqlite://")
    before = threading.active_count()
    with checkpoint.aside(engine) as copying:
        copying.start()
        assert threading.active_count() == before
    engine.dispose()


def test_checkpoint_a_log_s_connections_copy_it_only_past_40_mb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection to a SQLite log gets checkpoint.AUTOCHECKPOINT: a commit copies the log into
    the database file only once it holds 10,000 pages, not SQLite's 1,000 (a large send's parts
    each rewrite the address index's pages: copied after every part, they cost a tenth of the send
    at concurrency 16). A 7 MB plan stays in the log; so does the next one."""
    monkeypatch.undo()
    assert checkpoint.AUTOCHECKPOINT == 10_000
    path = tmp_path / "log.db"
    engine = connect(f"sqlite:///{path}")
    try:
        assert pooled_autocheckpoint(engine) == 10_000
        empty = path.stat().st_size
        write_plan(engine, "first")
        write_plan(engine, "second")
        assert path.stat().st_size == empty, "a commit copied a 15 MB log into the database file"
    finally:
        engine.dispose()
