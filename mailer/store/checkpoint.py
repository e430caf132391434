"""SQLite's write-ahead log copied into the database file by a thread of its own while a send runs.

In WAL mode a commit is durable once the log (the ``-wal`` file) is on disk; copying the log's
pages into the database file (a checkpoint) is housekeeping. By default SQLite does it inside the
commit that makes the log longer than 1,000 pages (``PRAGMA wal_autocheckpoint``), so the plan's
commit, about 550 MB of log for a million recipients, also copied all of it before returning:
about 1 s on this project's 2-core machine before the first request could leave. While a send
runs, ``aside`` turns that off on the engine's connections and checkpoints every
``INTERVAL`` seconds from a thread of its own, which waits on nobody (PASSIVE: SQLite
https://www.sqlite.org/c3ref/wal_checkpoint_v2.html) and lets go of the GIL while SQLite works.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

INTERVAL = 0.25  # seconds between two checkpoints while a send runs
DEFAULT_AUTOCHECKPOINT = 1000  # pages: SQLite's own default, given back when a connection is returned


@contextmanager
def aside(engine: Engine) -> Iterator[None]:
    """Within the block, no commit on ``engine`` copies the log into the database file; a thread does.

    For a SQLite file only (anything else: nothing changes). Connections taken from the engine's pool
    inside the block checkpoint on their own again once returned. The thread's last checkpoint
    runs as the block ends; what a crash leaves in the log, SQLite replays when it next opens it.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        yield
        return
    stop = threading.Event()

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        _pragma(dbapi_connection, "PRAGMA wal_autocheckpoint=0")

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            _pragma(dbapi_connection, f"PRAGMA wal_autocheckpoint={DEFAULT_AUTOCHECKPOINT}")

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    worker = threading.Thread(target=_checkpoint_until, args=(engine, stop), name="log-checkpoint", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)


def _checkpoint_until(engine: Engine, stop: threading.Event) -> None:
    """Checkpoint every INTERVAL seconds until ``stop``, then once more. A checkpoint that fails
    (another process's in the way, a full disk) is left to the next turn: what the log promises
    rests on the commits, not on this copy."""
    try:
        dbapi_connection = engine.raw_connection()
    except SQLAlchemyError:
        return
    try:
        while True:
            stopping = stop.wait(INTERVAL)
            with contextlib.suppress(sqlite3.Error):
                _pragma(dbapi_connection, "PRAGMA wal_checkpoint(PASSIVE)")
            if stopping:
                return
    finally:
        dbapi_connection.close()


def _pragma(dbapi_connection: Any, statement: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        cursor.fetchall()
    finally:
        cursor.close()
