"""SQLite's write-ahead log copied into the database file by a thread of its own after a send's plan.

In WAL mode a commit is durable once the log (the ``-wal`` file) is on disk; copying the log's
pages into the database file (a checkpoint) is housekeeping. SQLite does it inside the commit
that makes the log longer than ``PRAGMA wal_autocheckpoint`` pages (1,000 by default; 10,000
here: ``AUTOCHECKPOINT``), so the plan's commit, about 550 MB of log for a million recipients, also copied all of it before returning:
about 1 s on this project's 2-core machine before the first request could leave.

``aside`` defers that copy: while it is on, connections taken from the engine's pool do not
checkpoint on their own; once the plan is committed (``Copying.start``), a thread copies the log
(PASSIVE: it waits on nobody, SQLite https://www.sqlite.org/c3ref/wal_checkpoint_v2.html, and
lets go of the GIL while SQLite works) and ends the deferral as soon as the plan's part is copied.
From then on commits checkpoint on their own again (past ``AUTOCHECKPOINT`` pages), which also
lets SQLite start the log over, so it stays about the plan's size or 40 MB, whichever is larger
(review 7b: a thread checkpointing behind a busy send never found the log wholly copied, and the
log kept growing).

The pool listeners are added once per engine (``watch``, from ``store.connect``) and never
removed: SQLAlchemy runs them from a list other threads may be walking (review 7b).

``zeroing`` and ``fold_back`` serve ``mailer forget`` (newcomer review 9): what it erases is
overwritten with zeros, and the write-ahead file folded back into the database file, so neither
file keeps a readable copy of the erased rows.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError

INTERVAL = 0.25  # seconds between two attempts of the copy, while other commits keep it from finishing
# Pages (4 KB) the log may hold before a commit copies it, on every connection (store._sqlite_pragmas)
# and what a deferring one gets back. SQLite's default is 1,000; a send of a plan kept in parts
# (store/plan_parts.py) commits each part's address-index pages, and at 1,000 nearly every part's
# commit copied them again: 10,000 (40 MB) copies a page rewritten by ten parts once, and took a
# 100k send at concurrency 16 from 3.0x to 2.75x the batched client (benchmarks/live_send.py).
AUTOCHECKPOINT = 10_000
_DEFERRED = "mailer_checkpoint_deferred"  # a pool entry's info key: this connection's automatic checkpoint is off


class _Deferrals:
    """The sends on one engine deferring the copy now, and the pool listeners that apply it.

    A set, not a count: ending a deferral is one ``discard``, done twice or from two threads
    alike, with no moment where it is marked ended but still counted (review 7c: a Ctrl-C there
    left automatic checkpoints off for good); the block's end does it before anything else.
    """

    def __init__(self) -> None:
        # Weak: a send whose block was left without ending its deferral (a Ctrl-C at the worst
        # moment) stops deferring once it is gone.
        self.active: weakref.WeakSet[Copying] = weakref.WeakSet()

    def on_checkout(self, dbapi_connection: Any, entry: Any, _proxy: Any) -> None:
        if self.active:
            _pragma(dbapi_connection, "PRAGMA wal_autocheckpoint=0")
            entry.info[_DEFERRED] = True

    def on_checkin(self, dbapi_connection: Any, entry: Any) -> None:
        if entry is not None and entry.info.pop(_DEFERRED, False) and dbapi_connection is not None:
            _pragma(dbapi_connection, f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT}")


_ENGINES: weakref.WeakKeyDictionary[Engine, _Deferrals] = weakref.WeakKeyDictionary()


def watch(engine: Engine) -> None:
    """Let ``aside`` defer checkpoints on ``engine``, a SQLite file log (``store.connect`` calls it once)."""
    deferrals = _Deferrals()
    event.listen(engine, "checkout", deferrals.on_checkout)
    event.listen(engine, "checkin", deferrals.on_checkin)
    _ENGINES[engine] = deferrals


class Copying:
    """The copy of one send's plan, started once the plan is committed."""

    def __init__(self, engine: Engine, deferrals: _Deferrals | None) -> None:
        self._engine, self._deferrals = engine, deferrals
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None

    def start(self) -> None:
        """The plan is committed: copy it into the database file on a thread of its own (if no
        thread can be started, commits copy it as they did before)."""
        if self._deferrals is None or self._worker is not None:
            return
        worker = threading.Thread(target=self._copy, name="log-checkpoint", daemon=True)
        try:
            worker.start()
        except RuntimeError:  # "can't start new thread": the send goes on
            self.end()
            return
        self._worker = worker

    def end(self) -> None:
        """Commits checkpoint on their own again (any number of times, from any thread)."""
        if self._deferrals is not None:
            self._deferrals.active.discard(self)

    def stop(self) -> None:
        """End the deferral and the thread; waits for a checkpoint under way."""
        self.end()
        self._stop.set()
        if self._worker is not None:
            self._worker.join()

    def _copy(self) -> None:
        """Checkpoint until the log as it stood after the plan's commit is copied, then end the deferral.

        Any failure (another process's checkpoint in the way, a full disk) only ends the deferral
        early: what the log promises rests on the commits, not on this copy.
        """
        target = None
        try:
            while not self._stop.is_set():
                busy, frames, copied = self._checkpoint()
                if not busy:  # a busy answer (another process's checkpoint under way) says nothing of the log
                    target = frames if target is None else target
                    if copied >= target or frames == copied or frames < target:
                        return
                self._stop.wait(INTERVAL)
        except Exception:  # noqa: BLE001 - housekeeping: SQLite checkpoints on its own again
            return
        finally:
            self.end()

    def _checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint on a connection of the pool: (busy, frames in the log, frames copied)."""
        dbapi_connection = self._engine.raw_connection()
        try:
            cursor = dbapi_connection.cursor()
            try:
                busy, frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                cursor.close()
        finally:
            dbapi_connection.close()
        return int(busy), int(frames), int(copied)


@contextmanager
def aside(engine: Engine) -> Iterator[Copying]:
    """Within the block, no commit on ``engine`` copies the log into the database file, until the
    copy the block starts (``Copying.start``, after the plan's commit) is done.

    Only for an engine ``watch`` was given (a SQLite file log); for any other, nothing changes.
    Connections taken inside the block checkpoint on their own again once returned to the pool.
    Leaving the block ends the deferral first, then the thread (a Ctrl-C while it waits for a
    checkpoint under way leaves the engine as it was).
    """
    deferrals = _ENGINES.get(engine)
    copying = Copying(engine, deferrals)
    if deferrals is not None:
        deferrals.active.add(copying)
    try:
        yield copying
    finally:
        if deferrals is not None:
            deferrals.active.discard(copying)  # first of all, no call before it (review 7c)
        copying.stop()


def _pragma(dbapi_connection: Any, statement: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        cursor.fetchall()
    finally:
        cursor.close()


# Erasure (``mailer forget``): the erased rows leave the log's files, not only its tables.


@contextmanager
def zeroing(connection: Connection) -> Iterator[None]:
    """Within the block, what ``connection`` deletes or overwrites in an SQLite log is overwritten
    with zeros in the file (``PRAGMA secure_delete``, https://www.sqlite.org/pragma.html#pragma_secure_delete),
    not left readable in free space; the connection's setting is put back afterwards. Nothing
    changes on other databases. Call it outside a transaction; begin one inside.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
    connection.exec_driver_sql("PRAGMA secure_delete=ON").fetchall()
    connection.commit()
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA secure_delete={int(before or 0)}").fetchall()
        connection.commit()


def fold_back(connection: Connection, *, wait: float) -> bool | None:
    """Copy an SQLite log's write-ahead file into the database file and empty it (``PRAGMA
    wal_checkpoint(TRUNCATE)``), waiting at most ``wait`` seconds for other connections.

    True when done: the old versions of the pages just written are gone from both files. False
    when another connection (``mailer webhook``, a report) is in the middle of reading or writing
    and kept it from completing: the database file still holds the pages as they were before, and
    the write-ahead file the new ones, until a later checkpoint. None on PostgreSQL (no such file
    of ours) or an SQLite log in memory.
    """
    if connection.dialect.name != "sqlite" or connection.engine.url.database in (None, "", ":memory:"):
        return None
    connection.commit()  # no transaction of our own in the way
    timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout={max(int(wait * 1000), 0)}").fetchall()
    try:
        busy, frames, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    except SQLAlchemyError:  # a lock SQLite would not wait for: the same as busy
        connection.rollback()
        return False
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout or 0)}").fetchall()
        connection.commit()
    return not busy and frames == copied  # (0, -1, -1): not in WAL mode, nothing to fold back
