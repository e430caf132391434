"""Writing the plan into the delivery log, beside a bare executemany of the same rows, on SQLite and PostgreSQL.

Run with ``python benchmarks/plan_write.py`` (``--rows 100000 --rows 1000000`` is the default;
``--database sqlite`` or ``--database postgresql`` for one; ``--repeat 3``). Issue 12's target:
writing the plan within 2x of the bare write.

- **ours**: ``write_ours`` below, the calls the send path makes to write a plan (today
  ``mailer.send.record``: the campaign row, the check for journalists an earlier send of the same
  content reached, the first rows through ``store.messages`` and, from 20,000 rows, the rest kept
  in parts, in one transaction; then the parts written into the message table in one more, as a
  run's end writes those left). Repoint that one function when the API changes.
- **parts** (printed under the table): the same, the parts written one transaction each, as a
  send writes them while its requests wait for SendGrid's answers (``PlanParts.write_one``).
- **bare**: the same message rows (the same columns and values: the fields snapshot as compact
  JSON, the same timestamps), made from the same plan BEFORE the clock starts (so the bare write
  is the database's work alone), written with one DB-API ``executemany`` in one transaction: ``sqlite3`` with the pragmas the log's own connections use
  (WAL, synchronous=FULL, foreign keys, and the 128 MB page cache ``messages.insert`` asks
  for), or ``psycopg``. The campaign row is written before the clock starts.

Each write runs in a child process of its own on a fresh database with the log's schema (tables
and indexes made by ``mailer.store.connect``): the plan (a made-up list of journalists with ten
fields each, through ``send.plan.build`` for the example release) is built there first, outside
the timing. Printed: wall and CPU seconds of the write, microseconds per row, the child's peak
RSS and how much the write added to it, ours / bare, and bare / bare v9 (below 1: this schema
writes the same rows faster than version 9's). On PostgreSQL the CPU is the client's alone: the
server's index work shows in the wall time.

PostgreSQL: the server named by ``MAILER_BENCH_POSTGRES_URL`` (``postgresql+psycopg://...``;
each run gets a schema of its own, dropped afterwards), or else a throwaway cluster started the
way ``.ci/test`` starts one (Debian's postgresql package: initdb in a temp folder, 127.0.0.1,
durability off), or skipped when neither is there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from lists_check import BEATS, COUNTRIES, DOMAINS, FIRST, LAST, OUTLETS, TAGS, TITLES

from mailer.store.messages import INSERT_COLUMNS

RATIO_TARGET = 2.0
# The message table's address indexes as schema version 9 had them (upgrade step 10 replaced them).
VERSION_9_INDEXES = (
    "DROP INDEX ux_message_address_campaign",
    "DROP INDEX ix_message_skipped_address",
    "CREATE INDEX ix_message_email_key ON message (email_key)",
    "CREATE UNIQUE INDEX ux_message_campaign_address ON message (campaign_id, email_key) WHERE skip_reason IS NULL",
)
CAMPAIGN = "2026-02-19-bench"
KINDS = ("ours", "bare", "bare9", "parts")  # parts: ours with the parts written one transaction each, as during a send


def write_ours(engine: Any, plan: Any, *, part_by_part: bool = False) -> None:
    """The send path's write of a plan (mailer.send.record today), and of the parts it keeps for the
    run to write (a plan of 20,000 rows or more: send/parts.py), so every row is in the message
    table, as in the bare write: the function to repoint. The parts are written as a run's end
    writes those left (``finish``: one transaction), or ``part_by_part`` as a run writes them
    while requests go out (``write_one``: a transaction each)."""
    from mailer import send
    from mailer.models import Mode

    recorded = send.record(engine, plan, mode=Mode.LIVE, slug="bench", lists=["press.csv"], filters={}, sender={})
    parts = recorded.parts
    if parts is not None and part_by_part:
        while parts.left:
            parts.write_one()
    elif parts is not None:
        parts.finish()


def bare_rows(url: str, plan: Any) -> list[tuple[Any, ...]]:
    """The rows the bare write inserts, made before its timing starts (JSON and timestamps included)."""
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
    now = datetime.now(UTC)
    stamp: Any = now.replace(tzinfo=None).isoformat(" ", "microseconds") if url.startswith("sqlite") else now
    return [_row(row, encode, stamp) for row in plan.log_rows()]


def write_bare(url: str, rows: list[tuple[Any, ...]]) -> None:
    """The same rows, ready made, with one DB-API executemany in one transaction (the campaign row exists)."""
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "cache_size=-131072"):
            connection.execute(f"PRAGMA {pragma}")
        marks = ", ".join("?" for _ in INSERT_COLUMNS)
        statement = f"INSERT INTO message ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})"
        connection.execute("BEGIN")
        connection.executemany(statement, rows)
        connection.execute("COMMIT")
        connection.close()
        return
    import psycopg

    marks = ", ".join("%s::json" if c == "fields" else "%s" for c in INSERT_COLUMNS)
    statement = f"INSERT INTO message ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})"
    with psycopg.connect(libpq_url(url)) as connection:
        with connection.cursor() as cursor:
            cursor.executemany(statement, rows)
        connection.commit()


def _row(row: Any, encode: Any, stamp: Any) -> tuple[Any, ...]:
    key, email, fields, source, state, skip_reason, request_no, detail, language = row  # models.LogRow
    return (
        CAMPAIGN,
        key,
        email,
        email.lower(),
        encode(dict(fields)),
        source,
        state,
        skip_reason,
        request_no,
        detail,
        stamp,
        stamp,
        language,
    )


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# -- the child process: build the plan, then time one write ---------------------------------------


def made_up_table(rows: int) -> Any:
    """``made_up_contacts`` held column by column, as ``contacts.load`` holds a list (a ``ContactTable``):
    the form the send path writes from."""
    import numpy as np
    import pyarrow as pa

    from mailer.models import ContactList, ContactTable

    made = made_up_contacts(rows).contacts
    names = list(made[0].fields)
    table = ContactTable(
        {name: pa.array([contact.fields[name] for contact in made], type=pa.large_string()) for name in names},
        sources=["press.csv"],
        source_of=np.zeros(len(made), dtype=np.int64),
        rows=np.arange(2, len(made) + 2, dtype=np.int64),
        names_of_source=[names],
    )
    return ContactList(table, (), ())


def made_up_contacts(rows: int) -> Any:
    """``rows`` distinct journalists with the ten fields a press list has (no CSV: the list is not what is timed)."""
    from mailer.models import Contact, ContactList

    rng = random.Random(5)
    contacts = []
    for index in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user = f"{first.lower()}.{last.lower()}{index}".encode("ascii", "ignore").decode()
        email = f"{user}@{rng.choice(DOMAINS)}"
        fields = {
            "email": email,
            "first_name": first,
            "last_name": last,
            "name": f"{first} {last}",
            "outlet": rng.choice(OUTLETS),
            "title": rng.choice(TITLES),
            "beat": rng.choice(BEATS),
            "tags": "; ".join(rng.sample(TAGS, rng.randint(0, 3))),
            "country": rng.choice(COUNTRIES),
            "twitter": f"@{user[:15]}",
        }
        contacts.append(Contact(email, fields, "press.csv", index + 2))
    return ContactList(tuple(contacts), (), ())


def child(kind: str, url: str, rows: int, schema: str | None) -> dict[str, float]:
    """In a fresh process: make the log, build the plan, then time ``kind``'s write of it."""
    sys.path.insert(0, str(ROOT))
    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config
    from mailer.models import Mode
    from mailer.send import plan
    from mailer.store import campaigns, connect

    if schema:  # an empty schema of its own, as every connection's search_path (as tests/conftest.py does)
        import psycopg
        from sqlalchemy.engine import make_url

        with psycopg.connect(libpq_url(url)) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        url = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    engine = connect(url)
    rendered = compose.render(release.load(ROOT / "releases" / "example.md"), config=Config())
    built = plan.build(rendered, made_up_table(rows), batch_size=1000)
    if kind in ("bare", "bare9"):
        with engine.begin() as connection:
            if kind == "bare9":
                for statement in VERSION_9_INDEXES:
                    connection.exec_driver_sql(statement)
            campaigns.create(
                connection,
                campaign_id=CAMPAIGN,
                release_path=rendered.release_path,
                content_hash=rendered.content_hash,
                subject=rendered.subject,
                lists=["press.csv"],
                filters={},
                mode=Mode.LIVE,
                created_at=datetime.now(UTC),
                scheduled_at=None,
                sendgrid_batch_id=None,
                sender={},
            )
    engine.dispose()  # both open their connection inside the timing
    rows = bare_rows(url, built) if kind.startswith("bare") else []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if not kind.startswith("bare"):
        write_ours(engine, built, part_by_part=kind == "parts")
    else:
        write_bare(url, rows)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    written = _count(url, schema)
    return {"wall": wall, "cpu": cpu, "peak": peak, "added": peak - before, "written": written, "messages": len(built.messages)}


def _count(url: str, schema: str | None) -> int:
    """Rows in the message table afterwards (and the schema dropped)."""
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return int(connection.execute("SELECT count(*) FROM message").fetchone()[0])
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute("SELECT count(*) FROM message").fetchone()
        if schema:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        return int(row[0]) if row else 0


# -- the parent: databases, children, the table ------------------------------------------------------


@contextmanager
def postgres_url() -> Iterator[str | None]:
    """MAILER_BENCH_POSTGRES_URL, or a throwaway local cluster as .ci/test makes one, or None."""
    given = os.environ.get("MAILER_BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = _pg_bindir()
    if bindir is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="mailer-bench-pg-"))
    owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the cluster belongs to postgres
        shutil.chown(root, "postgres")
        owner = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = root / "data"
    try:
        subprocess.run(
            [*owner, f"{bindir}/initdb", "-D", str(data), "-U", "mailer", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c max_connections=50 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        subprocess.run(
            [*owner, f"{bindir}/pg_ctl", "-D", str(data), "-l", str(root / "server.log"), "-w", "-o", options, "start"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "mailer", "mailer_bench"], check=True, capture_output=True
        )
        yield f"postgresql+psycopg://mailer@127.0.0.1:{port}/mailer_bench"
    finally:
        subprocess.run([*owner, f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _pg_bindir() -> str | None:
    """Where initdb is: pg_config's bindir, Debian's newest /usr/lib/postgresql/*/bin, or PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if found and Path(found, "initdb").exists():
            return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0
    )
    if versions:
        return str(versions[-1].parent)
    initdb = shutil.which("initdb")
    return str(Path(initdb).parent) if initdb else None


@dataclass
class Write:
    wall: float
    cpu: float
    peak: float
    added: float


def run_child(kind: str, url: str, rows: int, schema: str | None) -> Write:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--url", url, "--rows", str(rows)]
    if schema:
        command += ["--schema", schema]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} write failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["written"] != figures["messages"]:
        raise SystemExit(f"the {kind} write left {figures['written']:,} rows of {figures['messages']:,}")
    return Write(figures["wall"], figures["cpu"], figures["peak"], figures["added"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="plan size (repeatable; default 100000 and 1000000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1, help="writes of each kind per size (medians printed)")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.rows[0], args.schema)))
        return
    sizes = args.rows or [100_000, 1_000_000]
    print(
        "wall and CPU in seconds of the write alone; us/row = CPU microseconds per row; MB = the child's peak RSS (+ what the write added)"
    )
    header = (
        f"{'database':<10} {'rows':>9} | {'ours s':>7} {'CPU s':>7} {'us/row':>6} {'MB':>11} | {'bare s':>7} {'CPU s':>7} {'us/row':>6} {'MB':>11} | "
        f"{'wall×':>5} {'CPU×':>5} | {'bare v9':>7} {'CPU s':>7} {'us/row':>6} | {'bare/v9 wall×':>13} {'CPU×':>5}"
    )
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="mailer-plan-write-") as tmp, postgres_url() as pg:
        databases = []
        if args.database in ("sqlite", "both"):
            databases.append("sqlite")
        if args.database in ("postgresql", "both"):
            if pg is None:
                print("PostgreSQL: skipped (set MAILER_BENCH_POSTGRES_URL, or install Debian's postgresql package)")
            else:
                databases.append("postgresql")
        print(header)
        for database in databases:
            for rows in sizes:
                runs_of: dict[str, list[Write]] = {kind: [] for kind in KINDS}
                for attempt in range(args.repeat):
                    for kind, runs in runs_of.items():
                        tag = f"{kind}-{rows}-{attempt}"
                        if database == "sqlite":
                            url, schema = f"sqlite:///{tmp}/{tag}.db", None
                        else:
                            url, schema = pg or "", f"bench_{tag.replace('-', '_')}_{os.getpid()}"
                        runs.append(run_child(kind, url, rows, schema))
                        if database == "sqlite":
                            for suffix in ("", "-wal", "-shm"):
                                Path(f"{tmp}/{tag}.db{suffix}").unlink(missing_ok=True)
                ours, bare, v9, parts = (_median(runs_of[kind]) for kind in KINDS)
                ratio = ours.wall / bare.wall
                print(
                    f"{database:<10} {rows:>9,} | {ours.wall:>7.2f} {ours.cpu:>7.2f} {ours.cpu / rows * 1e6:>6.1f} {ours.peak:>5.0f} +{ours.added:>4.0f} | "
                    f"{bare.wall:>7.2f} {bare.cpu:>7.2f} {bare.cpu / rows * 1e6:>6.1f} {bare.peak:>5.0f} +{bare.added:>4.0f} | "
                    f"{ratio:>5.2f} {ours.cpu / bare.cpu:>5.2f} | {v9.wall:>7.2f} {v9.cpu:>7.2f} {v9.cpu / rows * 1e6:>6.1f} | "
                    f"{bare.wall / v9.wall:>13.2f} {bare.cpu / v9.cpu:>5.2f}",
                    flush=True,
                )
                verdicts.append(
                    f"{database} {rows:,}: ours/bare {ratio:.2f}x (target <= {RATIO_TARGET:.0f}: {'met' if ratio <= RATIO_TARGET else 'MISSED'}); "
                    f"the parts a transaction each, as a send writes them while its requests wait for answers: "
                    f"{parts.wall:.2f} s, {parts.wall / bare.wall:.2f}x"
                )
    print()
    print("\n".join(verdicts))


def _median(runs: list[Write]) -> Write:
    return Write(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak for r in runs),
        max(r.added for r in runs),
    )


if __name__ == "__main__":
    main()
