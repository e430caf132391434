"""Time `mailer events import` against a bare import of the same file, with peak memory of each.

Run with ``python benchmarks/events_import.py`` (1,000,000 events, about 425 MB of NDJSON;
``--events 100000`` for a quick run, ``--repeat 2`` to alternate the two runs twice). The
events file and a delivery log seeded with one campaign of 100,000 messages are built once
under benchmarks/data/ (git-ignored) and reused; every run gets a fresh copy of the log.

The events are SendGrid-shaped (SENDGRID.md §2.2) with a realistic mix: processed, delivered,
opens (some Apple machine opens), clicks, deferrals; about 2 % bounces, blocks, drops, spam
reports and unsubscribes (which suppress addresses); 1 % late bounces without custom_args
(linked by address and time); and 1 % re-sent duplicates.

- **ours**: ``python -m mailer events import FILE`` in a child process, the whole command
  (start-up, reading, linking, message updates, suppressions, commit).
- **bare**: a child process that reads the same file line by line with ``json.loads`` and
  writes the same event columns with ``sqlite3`` ``executemany`` in one transaction into a copy
  of the same log (same table and indexes); its content key is a SHA-256 of the line. It links
  nothing, updates no message and suppresses nobody: the floor an import cannot go below.
- **bare+cache**: the same with the 64 MB SQLite page cache ours gives its connection. Past a
  few hundred thousand events the default 2 MB cache makes the bare import re-read index pages,
  so this is the fairer floor at 1M; both ratios are printed, the target is against plain bare.

Both are measured with ``os.wait4`` on the child: wall time, CPU (user + system) and peak
memory (ru_maxrss). Targets (issue 12): ours within 1.5x the bare import, under 300 MB.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
CAMPAIGN = "2026-02-19-benchmark"
T0 = 1_771_495_200
KINDS = ["processed", "delivered", "open", "open", "click", "deferred", "open", "delivered", "open", "click"]
RARE = ["bounce", "bounce-blocked", "dropped", "spamreport", "unsubscribe", "group_unsubscribe"]
COLUMNS = (
    "sg_event_id",
    "dedupe_key",
    "campaign_id",
    "message_id",
    "event",
    "email",
    "timestamp",
    "sg_message_id",
    "reason",
    "bounce_type",
    "bounce_classification",
    "machine_open",
    "url",
    "raw",
)


def make_event(n: int, messages: int, rng: random.Random) -> dict[str, object]:
    """One SendGrid event about a random message of the campaign."""
    who = rng.randrange(messages)
    roll = rng.random()
    kind = rng.choice(RARE) if roll < 0.02 else KINDS[n % len(KINDS)]
    address = f"journalist{who}@outlet{who % 900}.example"
    data: dict[str, object] = {
        "email": address,
        "event": kind,
        "timestamp": T0 + 60 + n // 10,
        "sg_event_id": base64.urlsafe_b64encode(hashlib.sha256(f"{n}".encode()).digest()[:16]).decode().rstrip("="),
        "sg_message_id": f"REQ{who // 1000:04d}.filterdrecv-5bd68d5cd5-abcde-1-{n:08X}-1.0",
        "smtp-id": f"<REQ{who // 1000:04d}@ismtpd0001p1iad2.sendgrid.net>",
        "category": ["press-release"],
        "campaign": CAMPAIGN,
        "message": f"m{who:07d}",
    }
    if kind == "open":
        data.update(sg_machine_open=rng.random() < 0.4, useragent="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", ip="203.0.113.7")
    elif kind == "click":
        data.update(
            url="https://www.example.org/news/wetlands-report-2026?utm_source=press",
            url_offset={"index": 0, "type": "html"},
            useragent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            ip="198.51.100.4",
        )
    elif kind in ("delivered", "processed"):
        data.update(response="250 2.0.0 OK  1771495200 x12si1234567qka.12 - gsmtp", ip="167.89.101.76", tls=1)
    elif kind == "deferred":
        data.update(response="421 4.7.0 [TSS04] Messages temporarily deferred due to user complaints", attempt="1", ip="167.89.101.76")
    elif kind in ("bounce", "bounce-blocked"):
        data.update(
            event="bounce",
            type="blocked" if kind == "bounce-blocked" else "bounce",
            reason="550 5.1.1 The email account that you tried to reach does not exist.",
            status="5.1.1",
            bounce_classification="Invalid Address",
        )
        if rng.random() < 0.5:  # a late bounce: no custom_args, no request id
            for name in ("campaign", "message", "sg_message_id"):
                data.pop(name)
    elif kind == "dropped":
        data.update(reason="Bounced Address", status="5.0.0")
    elif kind == "group_unsubscribe":
        data.update(asm_group_id=7, useragent="Mozilla/5.0", ip="198.51.100.4")
    return data


def build(events: int, messages: int) -> tuple[Path, Path]:
    """The events file and the seeded log (built once, reused)."""
    DATA.mkdir(exist_ok=True)
    events_path = DATA / f"events-{events}.ndjson"
    log_path = DATA / f"events-import-log-{messages}.db"
    if not log_path.exists():
        from datetime import UTC, datetime

        from sqlalchemy import insert

        from mailer.store import connect
        from mailer.store.schema import campaign, message

        partial = log_path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        engine = connect(f"sqlite:///{partial}")
        now = datetime.fromtimestamp(T0, UTC)
        with engine.begin() as connection:
            connection.execute(
                insert(campaign).values(
                    id=CAMPAIGN,
                    release_path="releases/benchmark.md",
                    content_hash="0" * 64,
                    subject="Benchmark release",
                    lists=["press.csv"],
                    filters={},
                    mode="live",
                    status="done",
                    created_at=now,
                    sender={},
                )
            )
            connection.execute(
                insert(message),
                [
                    {
                        "campaign_id": CAMPAIGN,
                        "message_key": f"m{i:07d}",
                        "email": f"journalist{i}@outlet{i % 900}.example",
                        "email_key": f"journalist{i}@outlet{i % 900}.example",
                        "fields": {"first_name": "Sam", "outlet": f"Outlet {i % 900}"},
                        "source": f"press.csv:{i + 2}",
                        "state": "unknown" if i % 100 == 0 else "accepted",
                        "request_no": i // 1000,
                        "sg_message_id": f"REQ{i // 1000:04d}",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(messages)
                ],
            )
        engine.dispose()
        with sqlite3.connect(partial) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(log_path)
    if not events_path.exists():
        rng = random.Random(12)
        partial = events_path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            previous = ""
            for n in range(events):
                line = json.dumps(make_event(n, messages, rng), separators=(",", ":"))
                if previous and rng.random() < 0.01:  # SendGrid re-sends an event now and then
                    out.write(previous + "\n")
                out.write(line + "\n")
                previous = line
        partial.rename(events_path)
    return events_path, log_path


def bare(events_path: str, db_path: str, cache: bool = False) -> None:
    """The baseline, run in its own process: json.loads per line, one executemany, one commit.

    ``cache``: with the same 64 MB page cache ``mailer events import`` gives its connection.
    """
    connection = sqlite3.connect(db_path)
    if cache:
        connection.execute("PRAGMA cache_size=-65536")

    def rows():  # type: ignore[no-untyped-def]
        with open(events_path, "rb") as lines:
            for line in lines:
                e = json.loads(line)
                raw = line.rstrip(b"\n")
                yield (
                    e.get("sg_event_id"),
                    hashlib.sha256(raw).hexdigest()[:40],
                    e.get("campaign"),
                    None,
                    e.get("event"),
                    e.get("email"),
                    e.get("timestamp"),
                    e.get("sg_message_id"),
                    e.get("reason"),
                    e.get("type"),
                    e.get("bounce_classification"),
                    e.get("sg_machine_open"),
                    e.get("url"),
                    raw.decode("utf-8"),
                )

    names = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    with connection:
        connection.executemany(f"INSERT INTO event ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows())
    connection.close()


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak MB of one child process, and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert process.stdout is not None
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def count(db_path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db_path) as connection:
        stored = connection.execute("SELECT count(*) FROM event").fetchone()[0]
        linked = connection.execute("SELECT count(*) FROM event WHERE message_id IS NOT NULL").fetchone()[0]
        suppressed = connection.execute("SELECT count(*) FROM suppression").fetchone()[0]
    return stored, linked, suppressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="alternate ours and bare this many times")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)  # make the data (in a child)
    parser.add_argument("--bare", nargs=2, metavar=("EVENTS", "DB"), help=argparse.SUPPRESS)  # the child of the baseline
    parser.add_argument("--cache", action="store_true", help=argparse.SUPPRESS)  # ... with a 64 MB page cache
    args = parser.parse_args()
    if args.bare:
        bare(*args.bare, cache=args.cache)
        return

    started = time.perf_counter()
    if args.build:
        build(args.events, args.messages)
        return
    # Built in a child: a child process forked from a big parent reports the parent's size as its peak.
    subprocess.run([sys.executable, __file__, "--build", "--events", str(args.events), "--messages", str(args.messages)], check=True)
    events_path, log_path = build(args.events, args.messages)
    size = events_path.stat().st_size
    print(f"{events_path.name}: {args.events:,} events (+1 % re-sent), {size / 1e6:.0f} MB; log of {args.messages:,} messages")
    print(f"(prepared in {time.perf_counter() - started:.1f} s)")
    work = DATA / "events-import-run"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    results: dict[str, list[tuple[float, float, float]]] = {"ours": [], "bare": [], "bare+cache": []}
    for round_no in range(1, args.repeat + 1):
        for name, runs in results.items():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            db = work / "log.db"
            shutil.copy(log_path, db)
            if name == "ours":
                config = work / "mailer.toml"
                config.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
                command = [sys.executable, "-m", "mailer", "--config", str(config), "events", "import", str(events_path)]
            else:
                command = [sys.executable, __file__, "--bare", str(events_path), str(db)] + (["--cache"] if name == "bare+cache" else [])
            wall, cpu, peak, output = measure(command, env)
            stored, linked, suppressed = count(db)
            runs.append((wall, cpu, peak))
            print(
                f"round {round_no} {name:>10}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, peak {peak:6.0f} MB; "
                f"{stored:,} events stored, {linked:,} linked, {suppressed:,} suppressed"
            )
            if name == "ours":
                print("    " + output.strip().replace("\n", "\n    "))
    shutil.rmtree(work, ignore_errors=True)
    best = {name: (min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)) for name, runs in results.items()}
    for name, (wall, cpu, peak) in best.items():
        print(f"{name:>10}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, peak {peak:4.0f} MB (best of {args.repeat})")
    ours = best["ours"]
    for name in ("bare", "bare+cache"):
        print(f"ratio ours/{name}: {ours[1] / best[name][1]:.2f}x CPU, {ours[0] / best[name][0]:.2f}x wall")
    cpu_ratio = ours[1] / best["bare"][1]
    print(f"target (issue 12): ours/bare <= 1.5x ({cpu_ratio:.2f}x CPU), peak < 300 MB ({ours[2]:.0f} MB)")
    print("target:", "MET" if cpu_ratio <= 1.5 and ours[2] < 300 else "NOT MET")


if __name__ == "__main__":
    main()
