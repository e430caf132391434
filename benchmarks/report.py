"""`mailer report` on a campaign of 100,000 recipients and 1,000,000 events, as whole commands.

Run with ``python benchmarks/report.py`` (``--messages 20000 --events 200000`` for a quick run;
``--url postgresql+psycopg://...`` for PostgreSQL). The SQLite log is built once under
benchmarks/data/ (git-ignored) and reused; a PostgreSQL database is filled once (the campaign
is looked for first). The events go in through ``store.events.insert`` like the webhook's, with a
realistic mix (processed, delivered, opens with Apple machine opens, clicks, bounces, blocks).

Each command runs as its own process (``python -m mailer report ...``, start-up included), and
its CPU time (user + system) and peak memory (ru_maxrss) are read from that child when it ends;
on a PostgreSQL server of this machine the server's CPU for the command is added (the work of
the queries happens there).
Commands alternate and each runs ``--repeat`` times (``--only`` picks some); the median CPU of
each is compared (the lowest is printed beside it: other work on the machine only ever adds
time), with the largest peak memory. Compared, with their targets (issue 12):

    recipients XLSX  vs  recipients CSV of the same rows      within 1.5x
    HTML page        vs  the summary (terminal table)          within 1.5x

The CSV export is printed on its own too, with its memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from mailer.store import connect
from mailer.store import events as event_store
from mailer.store.schema import campaign, event, message

CAMPAIGN = "2026-02-19-benchmark"
T0 = 1_771_495_200
DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


def build(url: str, messages: int, events: int) -> None:
    engine = connect(url)
    now = datetime.fromtimestamp(T0, UTC)
    rng = random.Random(3)
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
                    "fields": {"first_name": "Sam", "last_name": f"Writer{i}", "outlet": f"Outlet {i % 900}"},
                    "source": f"press.csv:{i + 2}",
                    "state": "accepted",
                    "sg_message_id": f"REQ{i // 1000:04d}",
                    "delivery": "bounced" if i % 50 == 0 else "blocked" if i % 97 == 0 else "delivered",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(messages)
            ],
        )
    per_message = events / messages
    rows = []
    for n in range(events):
        mid = int(n / per_message) + 1
        i = mid - 1
        step = n - int((mid - 1) * per_message)
        kind = ["processed", "delivered", "open", "open", "click", "open", "click", "open", "open", "click"][step % 10]
        if i % 50 == 0 and step >= 1:
            kind = "bounce"
        at = T0 + step * 3600 + rng.randrange(3600)
        rows.append(
            {
                "sg_event_id": f"e{n}",
                "dedupe_key": f"{at:011d}-" + hashlib.sha256(str(n).encode()).hexdigest()[:40],
                "campaign_id": CAMPAIGN,
                "message_id": mid,
                "event": kind,
                "email": f"journalist{i}@outlet{i % 900}.example",
                "timestamp": at,
                "sg_message_id": f"REQ{i // 1000:04d}.f-1",
                "reason": "550 5.1.1 user unknown" if kind == "bounce" else None,
                "bounce_type": "bounce" if kind == "bounce" else None,
                "bounce_classification": "Invalid Address" if kind == "bounce" else None,
                "machine_open": (rng.random() < 0.4) if kind == "open" else None,
                "url": "https://www.example.org/news/report" if kind == "click" else None,
                "raw": "{}",
            }
        )
        if len(rows) == 50_000:
            with engine.begin() as connection:
                event_store.insert(connection, rows)
            rows = []
    if rows:
        with engine.begin() as connection:
            event_store.insert(connection, rows)
    engine.dispose()


def server_process(url: str) -> int | None:
    """The PostgreSQL postmaster's process id when the server runs on this machine (None for SQLite or a remote one).

    A backend's CPU time is added to its postmaster's children's time when it ends, so reading
    the postmaster's cutime + cstime before and after a command gives the server's share of it.
    """
    if not url.startswith("postgresql"):
        return None
    engine = connect(url)
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("select pg_backend_pid()").scalar()
            # Read while the backend lives: it ends when its connection closes.
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    finally:
        engine.dispose()
    return int(fields[1])  # ppid


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds of the postmaster's ended children (its backends) so far; 0 without a local server."""
    if postmaster is None:
        return 0.0
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


def run(config: Path, args: list[str], postmaster: int | None = None) -> tuple[float, float, float]:
    """Run `mailer --config CONFIG report CAMPAIGN ARGS...`; (CPU seconds, wall seconds, peak MB) of that child.

    With a local PostgreSQL server (``postmaster``), the CPU includes the server backend's.
    """
    command = [sys.executable, "-m", "mailer", "--config", str(config), "report", CAMPAIGN, *args]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    served = server_cpu(postmaster)
    began = time.perf_counter()
    # Started from a small launcher: a child's ru_maxrss starts from its parent's peak (Linux
    # keeps it across fork and exec), and this process may have grown while building the log.
    launched = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, *command], capture_output=True, text=True, env=environment, cwd=config.parent, check=False
    )
    wall = time.perf_counter() - began
    if launched.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({launched.returncode}):\n{launched.stderr}")
    cpu, peak_kb = launched.stdout.split()
    time.sleep(0.3)  # the postmaster reaps the ended backend
    return float(cpu) + server_cpu(postmaster) - served, wall, int(peak_kb) / 1024


# Runs the command given as its arguments and prints its CPU seconds and peak memory (KB).
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
code = os.waitstatus_to_exitcode(status)
if code:
    sys.stderr.write(child.stderr.read().decode())
    sys.exit(code)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", help="a database URL (default: a SQLite file under benchmarks/data/)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the median CPU counts")
    parser.add_argument("--only", nargs="+", choices=("summary", "csv", "xlsx", "html"), help="run these commands only")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    url = args.url or f"sqlite:///{DATA / f'report-{args.messages}-{args.events}.db'}"
    engine = connect(url)
    with engine.connect() as connection:
        present = connection.scalar(select(func.count()).select_from(campaign).where(campaign.c.id == CAMPAIGN))
    if not present:
        began = time.perf_counter()
        build(url, args.messages, args.events)
        print(f"built the log in {time.perf_counter() - began:.1f} s")
    with engine.connect() as connection:
        recipients = connection.scalar(select(func.count()).select_from(message).where(message.c.campaign_id == CAMPAIGN))
        stored = connection.scalar(select(func.count()).select_from(event).where(event.c.campaign_id == CAMPAIGN))
    engine.dispose()
    print(f"{engine.dialect.name}: campaign of {recipients:,} recipients and {stored:,} events; {os.cpu_count()} cores")
    out = Path(tempfile.mkdtemp(prefix="report-bench-"))
    config = out / "mailer.toml"
    config.write_text(f"[database]\nurl = {url!r}\n".replace("'", '"'), encoding="utf-8")
    commands = {
        "summary": [],
        "recipients CSV": ["--kind", "recipients", "--format", "csv", "-o", "r.csv"],
        "recipients XLSX": ["--kind", "recipients", "--format", "xlsx", "-o", "r.xlsx"],
        "HTML page": ["--format", "html", "-o", "p.html"],
    }
    if args.only:
        short = {"summary": "summary", "recipients CSV": "csv", "recipients XLSX": "xlsx", "HTML page": "html"}
        commands = {name: extra for name, extra in commands.items() if short[name] in args.only}
    postmaster = server_process(url)
    if postmaster:
        print("CPU includes the PostgreSQL server's (its backends' time, read from the local postmaster)")
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, extra in commands.items():
            runs[name].append(run(config, extra, postmaster))
    # Median CPU and wall of the runs, lowest CPU, largest peak.
    best = {
        name: (
            statistics.median(cpu for cpu, _, _ in done),
            statistics.median(wall for _, wall, _ in done),
            max(peak for _, _, peak in done),
            min(cpu for cpu, _, _ in done),
        )
        for name, done in runs.items()
    }
    print(f"{'command (whole process)':<22} {'CPU s':>7} {'(low)':>7} {'wall s':>7} {'peak MB':>8}   (medians of {args.repeat} runs)")
    for name, (cpu, wall, peak, low) in best.items():
        print(f"{name:<22} {cpu:7.2f} {low:7.2f} {wall:7.2f} {peak:8.0f}")
    print()
    print(f"{'ours':<16} {'baseline':<15} {'ours CPU':>8} {'base CPU':>8} {'ratio':>6} {'target':>6}  {'ours MB':>7} {'base MB':>7}")
    for ours, baseline in (("recipients XLSX", "recipients CSV"), ("HTML page", "summary")):
        if ours not in best or baseline not in best:
            continue
        ratio = best[ours][0] / best[baseline][0]
        verdict = "met" if ratio <= 1.5 else "NOT MET"
        print(
            f"{ours:<16} {baseline:<15} {best[ours][0]:8.2f} {best[baseline][0]:8.2f} {ratio:6.2f} {'1.5':>6}  "
            f"{best[ours][2]:7.0f} {best[baseline][2]:7.0f}  {verdict}"
        )
    sizes = [
        f"{label} {(out / name).stat().st_size / 1e6:.1f} MB"
        for label, name in (("CSV", "r.csv"), ("XLSX", "r.xlsx"))
        if (out / name).exists()
    ]
    print(f"recipients {', '.join(sizes)}; files in {out}")


if __name__ == "__main__":
    main()
