"""Time upgrade step 12 (events of another log marked) on a large version-11 delivery log.

Run with ``PYTHONPATH=. python benchmarks/upgrade.py`` (1,000,000 events, 100,000 messages, on
SQLite; ``--events 100000`` for a quick run; ``--url postgresql+psycopg://...`` on a PostgreSQL
database whose schema ``bench_upgrade`` it may drop; ``--repeat 2`` alternates the two readings
twice). The SQLite log is built once under benchmarks/data/ and copied for every run; the
PostgreSQL one is built once per invocation and put back to version 11 after every run.

The events are canonical SendGrid JSON as events/parse.py stores it (keys sorted): 97 % naming
one of the log's message keys, 2 % late bounces without one, 1 % another log's keys.

- **python** (PostgreSQL): every event's JSON read in Python, as on SQLite (msgspec reading only
  the key, ``json.loads`` where msgspec refuses): step 12 with PostgreSQL's own reading turned off.
- **database** (PostgreSQL): step 12 as it is there: PostgreSQL reads the events' JSON, Python
  only what it cannot read exactly as Python does.
- **ours** (SQLite): step 12 as it is (msgspec).
- **as is**: run with an older checkout first on the path (``PYTHONPATH=OLD_CHECKOUT``), its own
  step 12; before fix 16 that read every event with ``json.loads``.

Each prints the upgrade's wall time (the whole ``upgrade()``, commit included), this process's
CPU and, on PostgreSQL, the server backend's CPU (read from /proc: the server must be local).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

DATA = Path(__file__).parent / "data"
upgrade_module = importlib.import_module("mailer.store.upgrade")
CAMPAIGN = "2026-02-19-wetlands"


def event_json(n: int, key: str | None) -> str:
    """One stored event's JSON (keys sorted, sg_event_id last), about 330 bytes."""
    kind = ("delivered", "open", "open", "click", "processed")[n % 5]
    data: dict[str, object] = {
        "campaign": CAMPAIGN,
        "email": f"journalist{n % 100_000}@outlet{n % 977}.example",
        "event": kind,
        "sg_message_id": f"{n:022x}.recvd-5b8d9c-abcd-1-6543210-{n % 97}.0",
        "timestamp": 1_771_495_200 + n,
        "useragent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15",
    }
    if key is not None:
        data["message"] = key
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))[:-1] + f',"sg_event_id":"ev{n:012d}"}}'


def rows(events: int, keys: list[str]) -> Iterator[dict[str, object]]:
    """The events, as insert parameters: 2 % without a key, 1 % with another log's."""
    chance = random.Random(16)
    for n in range(events):
        draw = chance.random()
        key = None if draw < 0.02 else (f"theirs{n:026x}" if draw < 0.03 else keys[n % len(keys)])
        yield {
            "a": f"ev{n:012d}",
            "b": f"{1_771_495_200 + n:011d}-{n:040x}",
            "c": CAMPAIGN,
            "d": ("delivered", "open", "open", "click", "processed")[n % 5],
            "e": f"journalist{n % 100_000}@outlet{n % 977}.example",
            "f": 1_771_495_200 + n,
            "g": event_json(n, key),
        }


def seed(url: str, events: int, messages: int) -> None:
    """A log at ``url`` as version 11 left it: one campaign of ``messages`` rows and ``events`` events."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from eventlog import add_campaign

    from mailer.store import connect

    engine = connect(url)
    add_campaign(engine, CAMPAIGN)
    keys = [f"{n:032x}" for n in range(messages)]
    now = "2026-02-19 10:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO message (campaign_id, message_key, email, email_key, fields, state, request_no, created_at, updated_at) "
                "VALUES (:c, :k, :e, :e, '{}', 'accepted', 1, :now, :now)"
            ),
            [{"c": CAMPAIGN, "k": key, "e": f"journalist{n}@outlet{n % 977}.example", "now": now} for n, key in enumerate(keys)],
        )
        statement = text(
            "INSERT INTO event (sg_event_id, dedupe_key, campaign_id, event, email, timestamp, raw) VALUES (:a, :b, :c, :d, :e, :f, :g)"
        )
        made = rows(events, keys)
        while batch := list(itertools.islice(made, 50_000)):
            connection.execute(statement, batch)
        back_to_11(connection)
    engine.dispose()


def back_to_11(connection: object) -> None:
    connection.exec_driver_sql("ALTER TABLE event DROP COLUMN other_log")  # type: ignore[attr-defined]
    connection.execute(text("UPDATE schema_info SET version = 11"))  # type: ignore[attr-defined]


def backend_cpu(connection: object) -> float:
    """The PostgreSQL backend's CPU seconds so far (a local server: /proc)."""
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()  # type: ignore[attr-defined]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(url: str, reading: str) -> tuple[float, float, float | None]:
    """One upgrade of the log at ``url``: (wall, this process's CPU, the server's CPU or None)."""
    original = getattr(upgrade_module, "_others_read_there", None)
    if reading == "python":
        upgrade_module._others_read_there = lambda _connection, _bounds: None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            server = backend_cpu(connection) if connection.dialect.name == "postgresql" else None
            wall, cpu = time.perf_counter(), time.process_time()
            upgrade_module.upgrade(connection)
            connection.commit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if server is not None:
                server = backend_cpu(connection) - server
            marked = connection.exec_driver_sql("SELECT count(*) FROM event WHERE other_log").scalar()
            if connection.dialect.name == "postgresql":
                back_to_11(connection)
                connection.commit()
    finally:
        engine.dispose()
        if original is not None:
            upgrade_module._others_read_there = original
    print(
        f"  {reading:9} {wall:7.2f} s wall  {cpu:6.2f} s CPU here"
        + (f"  {server:6.2f} s server CPU" if server is not None else "")
        + f"  ({marked:,} marked)"
    )
    if url.startswith("postgresql"):
        vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
        with vacuum.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE event")
        vacuum.dispose()
    return wall, cpu, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--url", help="a PostgreSQL URL (schema bench_upgrade is dropped and made again)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.url:
        admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS bench_upgrade CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA bench_upgrade")
        admin.dispose()
        url = args.url + ("&" if "?" in args.url else "?") + "options=-csearch_path%3Dbench_upgrade"
        started = time.perf_counter()
        seed(url, args.events, args.messages)
        vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
        with vacuum.connect() as connection:  # the first read of fresh rows writes them all again (hint bits): not step 12's cost
            connection.exec_driver_sql("VACUUM ANALYZE")
        vacuum.dispose()
        print(f"PostgreSQL log of {args.events:,} events built in {time.perf_counter() - started:.0f} s")
        targets = [url]
    else:
        DATA.mkdir(exist_ok=True)
        made = DATA / f"upgrade-v11-{args.events}.db"
        if not made.exists():
            started = time.perf_counter()
            seed(f"sqlite:///{made}", args.events, args.messages)
            with sqlite3.connect(made) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            print(f"SQLite log of {args.events:,} events built in {time.perf_counter() - started:.0f} s")
    print(f"Step 12 on {args.events:,} events, {args.messages:,} messages ({'PostgreSQL' if args.url else 'SQLite'}):")
    # Run from an older checkout (PYTHONPATH=that checkout), the step as that version has it: "as is".
    readings: tuple[str, ...] = ("as is",)
    if hasattr(upgrade_module, "_others_read_there"):
        readings = ("python", "database") if args.url else ("ours",)
    for _ in range(args.repeat):
        for reading in readings:
            if args.url:
                run(targets[0], reading)
            else:
                copy = DATA / f"upgrade-run-{reading.replace(' ', '-')}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(DATA / f"upgrade-v11-{args.events}.db", copy)
                run(f"sqlite:///{copy}", reading)
                copy.unlink()


if __name__ == "__main__":
    sys.exit(main())
