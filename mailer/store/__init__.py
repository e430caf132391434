"""The delivery log: open a database by URL and get an Engine with every table in place.

In: a database URL (SQLite file, or PostgreSQL through psycopg). Out: an Engine; a log
written by an earlier version is upgraded on opening (upgrade.py).

    schema.py         the tables (SQLAlchemy Core), the same on SQLite and PostgreSQL
    types.py          UTCDateTime: every instant stored in UTC, read back aware
    upgrade.py        schema versions and the steps between them
    campaigns.py, messages.py, events.py, suppressions.py, quarantine.py
                      the only SQL for each table (quarantine: events that could not be read)
    event_reports.py  the reads reports make over events
    carried.py        who an old log sent which release, carried over (`mailer carry-over`)
    bulk.py           chunked executemany helpers

Functions take a Connection; the caller owns the transaction. Never imports: contacts,
compose, send, transport, events, reports, cli, sendgrid.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from mailer.errors import StoreError
from mailer.store import checkpoint, clock, failures
from mailer.store.failures import display_url
from mailer.store.schema import metadata
from mailer.store.upgrade import Progress, upgrade

__all__ = ["connect", "display_url", "is_current", "may_write", "snapshot", "state"]


# Seconds libpq waits for a PostgreSQL server to answer a new connection, unless the URL says
# (?connect_timeout=N). libpq's own default is for ever: a server behind a dropped VPN, or one that
# takes connections and never answers, held every command for good (newcomer 17 #11).
CONNECT_TIMEOUT = 20


def connect(url: str | Path, *, progress: Progress | None = None, connect_timeout: int = CONNECT_TIMEOUT) -> Engine:
    """Open (and create if needed) the delivery log at ``url``. Upgrading a log an earlier version
    wrote takes a while on a large one (seconds per million events): ``progress`` shows that work
    (``upgrade.upgrade``).

    ``url``: an SQLAlchemy URL ("sqlite:///out/mailer.db", "postgresql+psycopg://..."), or a Path
    to an SQLite file. ``connect_timeout``: seconds to wait for a PostgreSQL server to answer (0:
    for ever; the URL's ?connect_timeout wins; the command line passes ``[database] connect_timeout``).
    Raises StoreError when the log cannot be opened, saying why (a file path given as text is not a
    URL: the hint gives the URL to write)."""
    if isinstance(url, Path):
        url = f"sqlite:///{url}"
    if not isinstance(url, str):
        raise StoreError(
            f"store.connect takes the delivery log's URL as text, not a {type(url).__name__}.",
            hint='For example: store.connect("sqlite:///out/mailer.db"), or config.load(...).database.url.',
        )
    if "://" not in url:
        shown = url if len(url) < 200 and "@" not in url else "the text given"  # a mangled URL may hold a password
        raise StoreError(
            f'"{shown}" is not a database URL.' if url else "No database URL given.",
            hint=f'An SQLite file is written sqlite:/// then its path: store.connect("sqlite:///{url or "out/mailer.db"}") '
            "(or pass a Path); PostgreSQL is postgresql+psycopg://USER@HOST/DATABASE.",
        )
    if (misspelt := failures.misspelt_url(url)) is not None:
        raise misspelt
    if url.startswith("sqlite:///") and ":memory:" not in url and not url.startswith("sqlite:///file:"):  # file: URIs name their own
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # only a folder made here: see _private_file
            _private_file(url)
        except OSError as exc:
            raise failures.opening(exc, url) from exc
    try:
        engine = create_engine(url, **_connect_args(url, connect_timeout))
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            if engine.url.database not in (None, "", ":memory:"):
                checkpoint.watch(engine)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _postgresql_session)
        try:
            _create_or_upgrade(engine, progress=progress)
            clock.measure(engine)  # a team's log: its server's time is the one every colleague's command goes by
        except BaseException:
            # A log refused (a newer version's, a failed upgrade, Ctrl-C): its connections closed now,
            # not whenever a garbage collection finds the engine (fdleak28: a script that tried again
            # and again kept two descriptors open per try).
            engine.dispose()
            raise
    except SQLAlchemyError as exc:
        raise failures.opening(exc, url, connect_timeout=connect_timeout) from exc
    except ImportError as exc:  # create_engine imports the URL's driver: psycopg for postgresql+psycopg://
        raise StoreError(
            f"Cannot open the delivery log {failures.display_url(url)}: its database driver ({exc.name}) is not installed.",
            hint=_DRIVER_HINT,
        ) from exc
    return engine


def is_current(url: str, *, connect_timeout: int = CONNECT_TIMEOUT) -> bool:
    """Whether the delivery log at ``url`` holds this version's tables (see ``state``)."""
    return state(url, connect_timeout=connect_timeout) == "current"


def state(url: str, *, connect_timeout: int = CONNECT_TIMEOUT) -> Literal["empty", "older", "current"]:
    """What the delivery log at ``url`` holds, looked at without creating, upgrading or writing
    anything (``connect`` does all three): a command that only looks, such as `mailer preview`,
    must not upgrade a log that colleagues' earlier press-mailer then refuses to open (review 24x
    #6). "empty": no tables yet (a team's new database, before its first send); "older": a log an
    earlier version wrote; "current": this version's. Raises StoreError when it cannot be opened,
    saying why, and for a newer version's log."""
    from mailer.store.upgrade import SCHEMA_VERSION, refuse_newer, schema_version

    if (misspelt := failures.misspelt_url(url)) is not None:
        raise misspelt
    engine = None
    try:
        engine = create_engine(url, **_connect_args(url, connect_timeout))
        with engine.connect() as connection:
            found = schema_version(connection)
            if found is not None and found > SCHEMA_VERSION:
                refuse_newer(connection)  # a newer press-mailer's log: said as opening it says it
            if found is None:
                return "empty"
            return "current" if found == SCHEMA_VERSION else "older"
    except SQLAlchemyError as exc:
        raise failures.opening(exc, url, connect_timeout=connect_timeout) from exc
    except ImportError as exc:
        raise StoreError(
            f"Cannot open the delivery log {failures.display_url(url)}: its database driver ({exc.name}) is not installed.",
            hint=_DRIVER_HINT,
        ) from exc
    finally:
        if engine is not None:
            engine.dispose()


def _private_file(url: str) -> None:
    """Make a new SQLite log readable and writable by its owner only (-rw-------), before SQLite makes
    it -rw-r--r--: the log holds every journalist's address, name and outlet, each open and click,
    and a copy of every email sent, which any other account of a shared computer could read (review
    24k #2). SQLite gives the -wal and -shm files the log's permissions. A log that exists is left
    as it is (a team may share one on purpose), and so are folders that exist."""
    try:
        database = make_url(url).database
    except Exception:  # noqa: BLE001 - a malformed URL: create_engine says so
        return
    if not database or os.path.lexists(database):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except FileExistsError:  # made by another process meanwhile: SQLite opens it as it is
        pass


# What "wait for ever" (0, as libpq reads it) is handed to the driver as: psycopg 3 takes 0, or
# no timeout at all, for its own 130 seconds, and a server slower than that was given up on "did not
# answer within 0 seconds" (review 18x). About 30 years, and an int, as libpq wants it.
FOREVER = 10**9


def _connect_args(url: str, connect_timeout: int) -> dict[str, dict[str, int]]:
    """``create_engine``'s extra arguments for ``url``: PostgreSQL's connect timeout, the URL's
    ?connect_timeout if it gives one; 0 (or less) waits for ever."""
    if not url.startswith("postgresql"):
        return {}
    try:
        given = make_url(url).query.get("connect_timeout")
    except Exception:  # noqa: BLE001 - a malformed URL: create_engine says so
        return {}
    if given is not None:
        try:
            connect_timeout = int(given if isinstance(given, str) else given[-1])
        except ValueError:  # not a number: the driver says so
            return {}
    return {"connect_args": {"connect_timeout": connect_timeout if connect_timeout > 0 else FOREVER}}


def may_write(engine: Engine) -> None:
    """Raise StoreError when the database user of a PostgreSQL log may not write every table of it
    (and use its sequences), before a long-running command starts: the webhook under a read-only
    login answered every batch 503 for SendGrid to retry, for 24 hours (newcomer 17 #4)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        denied = connection.exec_driver_sql(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND ((c.relkind = 'r' AND c.relname = ANY(%(tables)s) "
            "AND NOT has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE')) "
            "OR (c.relkind = 'S' AND c.relname = ANY(%(sequences)s) AND NOT has_sequence_privilege(c.oid, 'USAGE'))) "
            "ORDER BY c.relname LIMIT 1",
            # The log's own only: another program's tables in the same schema are not its business.
            {"tables": sorted(metadata.tables), "sequences": [f"{table}_id_seq" for table in sorted(metadata.tables)]},
        ).first()
    if denied is not None:
        kind = "sequence" if denied[1] == "S" else "table"
        raise failures.not_allowed(f"{kind} {denied[0]}", engine.url.render_as_string(hide_password=False))


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection for reading only, whose reads all see the log as it was at the first of them.

    For counts read in several queries while a send writes: its plan's parts move into the message
    table as it goes (store/plan_parts.py), and a part written between the count of one and the
    count of the other was in neither (review 19r #2: "23,976 planned" of 25,000). pysqlite reads
    outside a transaction, each query at its own moment, unless one is begun; PostgreSQL's default
    (READ COMMITTED) gives each query its own snapshot, REPEATABLE READ one for the transaction
    (https://www.postgresql.org/docs/current/transaction-iso.html)."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        else:
            connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


def _create_or_upgrade(engine: Engine, *, progress: Progress | None = None, attempts: int = 5) -> None:
    """Bring the log's tables to this version. Two processes creating a new log at the same
    moment collide ("table already exists", a duplicate key in PostgreSQL's catalog); the one
    that loses tries again and finds the tables made."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as connection:
                if connection.dialect.name == "sqlite":
                    # pysqlite runs DDL outside a transaction unless told: one transaction for the
                    # whole upgrade (never half-upgraded), and one creator at a time.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                upgrade(connection, progress=progress)
                metadata.create_all(connection)
                connection.commit()
            return
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            text = str(exc.orig).lower()
            if attempt == attempts or not ("already exists" in text or "duplicate key" in text or "locked" in text):
                raise
            time.sleep(0.05 * attempt)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """WAL lets the webhook write while a report reads; busy_timeout rides out short locks.

    synchronous=FULL: a commit is on disk before it returns, so a power cut cannot take back a
    request listed in flight after it left (promise 2) or events answered 2xx (SendGrid does not
    post them again). In WAL mode that is one fsync per commit (0.1 to 1.5 ms on this project's
    2-core machine, by the day's disk); NORMAL would lose the last commits in a power cut.
    wal_autocheckpoint: checkpoint.AUTOCHECKPOINT.
    """
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoint.AUTOCHECKPOINT}")
    cursor.close()


def _postgresql_session(dbapi_connection: object, _record: object) -> None:
    """Instants come back in the session's time zone: make it UTC, whatever the server's default.

    Promise 7: every instant is read and shown as UTC. A server set to America/New_York would
    otherwise hand back 09:00-05:00 where the log means 14:00 UTC, and read naive values as local.
    Committed, because SET inside a transaction that is rolled back (as the pool does) is undone.
    """
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()  # type: ignore[attr-defined]


# SQLite needs nothing; PostgreSQL's driver, psycopg 3, comes with the postgres extra.
_DRIVER_HINT = (
    "The log runs on SQLite or PostgreSQL; for PostgreSQL: pip install 'press-mailer[postgres]' and a URL starting postgresql+psycopg://"
)
