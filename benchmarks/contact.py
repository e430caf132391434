"""`mailer contact EMAIL` on a large log against the same lookup on a small one: the cost must not grow with the log.

Run with ``python benchmarks/contact.py`` (``--recipients 20000`` for a quick run). Two logs are
built once under benchmarks/data/ (git-ignored) and reused: the same 10 campaigns, each to every
journalist of a list, with a delivered and an open event per message; the small list has 100
journalists, the large one ``--recipients`` (100,000: 1,000,000 message rows, 2,000,000 events).

Printed, for each log: the CPU time of ``reports.contact.history`` per journalist (200 of them,
in this process), and the CPU time and peak memory (ru_maxrss) of the whole command, ``mailer
contact ADDRESS --json``, in a child process; then large / small as ratios, measured in the same
run. Target: history per journalist within 2x of the small log's (indexed look-ups, no scans).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from mailer.reports import contact
from mailer.store import connect
from mailer.store import events as event_store
from mailer.store.schema import campaign, message

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
T0 = 1_771_495_200
CAMPAIGNS = 10
SAMPLE = 200


def address(i: int) -> str:
    return f"journalist{i}@outlet{i % 900}.example"


def build(path: Path, recipients: int) -> None:
    """10 live campaigns to ``recipients`` journalists each; a delivered and an open event per message."""
    engine = connect(f"sqlite:///{path}")
    message_id = 0
    for c in range(CAMPAIGNS):
        campaign_id = f"2026-02-{c + 10:02d}-release"
        created = datetime.fromtimestamp(T0 + c * 86_400, UTC)
        with engine.begin() as connection:
            connection.execute(
                insert(campaign).values(
                    id=campaign_id,
                    release_path=f"releases/r{c}.md",
                    content_hash=f"{c:064d}",
                    subject=f"Release number {c}",
                    lists=["press.csv"],
                    filters={},
                    mode="live",
                    status="done",
                    created_at=created,
                    sender={},
                )
            )
        for start in range(0, recipients, 50_000):
            rows, events = [], []
            for i in range(start, min(start + 50_000, recipients)):
                message_id += 1
                rows.append(
                    {
                        "id": message_id,
                        "campaign_id": campaign_id,
                        "message_key": f"m{message_id:08d}",
                        "email": address(i),
                        "email_key": address(i),
                        "fields": {"first_name": "Sam", "last_name": f"Writer{i}", "outlet": f"Outlet {i % 900}"},
                        "source": f"press.csv:{i + 2}",
                        "state": "accepted",
                        "delivery": "delivered",
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                for kind, offset in (("delivered", 5), ("open", 3600 + i % 600)):
                    at = T0 + c * 86_400 + offset
                    events.append(
                        {
                            "sg_event_id": f"e{message_id}-{kind}",
                            "dedupe_key": hashlib.sha256(f"{message_id}-{kind}".encode()).hexdigest(),
                            "campaign_id": campaign_id,
                            "message_id": message_id,
                            "event": kind,
                            "email": address(i),
                            "timestamp": at,
                            "sg_message_id": "REQ.f-1",
                            "reason": None,
                            "bounce_type": None,
                            "bounce_classification": None,
                            "machine_open": (i % 3 == 0) if kind == "open" else None,
                            "url": None,
                            "raw": "{}",
                        }
                    )
            with engine.begin() as connection:
                connection.execute(insert(message), rows)
                event_store.insert(connection, events)
    engine.dispose()


def log_for(recipients: int) -> Path:
    """The log with ``recipients`` journalists, built in a child process the first time.

    In a child, so this process stays small: Linux counts a child's ru_maxrss from its parent's
    memory at the moment it was started, and the command's peak below must be its own.
    """
    DATA.mkdir(exist_ok=True)
    path = DATA / f"contact-{CAMPAIGNS}x{recipients}.db"
    if not path.exists():
        began = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", str(recipients)], check=True)
        print(f"built {path.name} in {time.perf_counter() - began:.1f} s")
    return path


def history_cpu(path: Path, recipients: int) -> float:
    """CPU seconds per journalist of reports.contact.history, over SAMPLE journalists (after one warm-up)."""
    engine = connect(f"sqlite:///{path}")
    rng = random.Random(7)
    picks = [address(rng.randrange(recipients)) for _ in range(SAMPLE)]
    found = contact.history(engine, picks[0])
    assert len(found.sendings) == CAMPAIGNS, len(found.sendings)
    began = time.process_time()
    for key in picks:
        contact.history(engine, key)
    spent = (time.process_time() - began) / SAMPLE
    engine.dispose()
    return spent


def command_cpu(path: Path, recipients: int) -> tuple[float, int]:
    """CPU seconds and peak memory (KiB) of one `mailer contact ADDRESS --json` in a child process."""
    config = path.with_suffix(".toml")
    config.write_text(f'[database]\nurl = "sqlite:///{path}"\n', encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "--config", str(config), "contact", address(recipients // 2), "--json"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert b'"campaigns": 10' in done.stdout
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_maxrss  # of children: the largest so far (the large log's run comes second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000, help="journalists in the large log (10 campaigns each)")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)  # the child that builds one log
    args = parser.parse_args()
    if args.build:
        build(DATA / f"contact-{CAMPAIGNS}x{args.build}.db", args.build)
        return
    small, large = log_for(100), log_for(args.recipients)
    logs = (("small", small, 100), ("large", large, args.recipients))
    commands = {label: command_cpu(path, n) for label, path, n in logs}  # children first, while this process is small
    rows = {}
    for label, path, n in logs:
        history = history_cpu(path, n)
        command, rss = commands[label]
        rows[label] = (history, command, rss)
        print(
            f"{label}: {CAMPAIGNS * n:>9,} message rows, {2 * CAMPAIGNS * n:>9,} events: "
            f"history {history * 1000:6.2f} ms CPU per journalist; mailer contact --json {command:5.2f} s CPU, peak {rss / 1024:5.0f} MB"
        )
    h_ratio = rows["large"][0] / rows["small"][0]
    c_ratio = rows["large"][1] / rows["small"][1]
    verdict = "MET" if h_ratio < 2 else "NOT MET"
    print(f"large / small: history {h_ratio:.2f}x (target < 2x: {verdict}), whole command {c_ratio:.2f}x")


if __name__ == "__main__":
    main()
