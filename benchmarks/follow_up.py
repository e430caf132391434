"""Planning a follow-up from the delivery log, beside planning the same release from the list file.

Run with ``python benchmarks/follow_up.py`` (``--recipients 1000000``; ``--repeat 3``). Issue 13.

- **ours**: ``campaign.prepare_follow_up(..., who="not-opened", dry_run=True)`` in a child
  process: the original's journalists read from the log with their opens and clicks (the
  reports' queries), later bounces, suppressions, the plan. Nothing is written.
- **baseline**: ``campaign.prepare_send(..., dry_run=True)`` of the same release to the list the
  original was sent to, in a child process: reading and checking the CSV, suppressions, the plan.

Both children start Python and import the same modules, so the ratio is of the planning itself
plus the same start-up. The log (SQLite, in a temp folder) holds one live campaign of N journalists
sent from ``benchmarks/data/press-valid-N.csv`` (a dry run of ``mailer send`` whose rows are then
marked accepted and live) and about 2.6 events per journalist: processed for everyone, delivered
for 97%, a bounce for 2%, an Apple pre-fetch open for 15%, opens by people for 30% (one in three
twice), clicks for 5%, plus a manual suppression of 1%. The not-opened follow-up then reaches
about 67% of them. Measured per child with ``os.wait4``: wall, CPU (user + sys), peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from live_send import ROOT, Run, list_for, measure

FOLLOW_UP = """---
subject: "Did you see our census?"
headline: "A reminder: Riverbend's bee census"
dateline: "Riverbend, ST"
date: 2026-02-20
contact:
  name: "Dana Whitfield"
  email: "press@example.org"
---
Dear {{ contact.first_name | default("colleague") }}, in case you missed it: the census report is out.
"""


def child(kind: str, office: str, list_path: str) -> None:
    """Plan in this process (the measured child) and print the recipient count."""
    os.chdir(office)
    from mailer import config, store
    from mailer.send import campaign
    from mailer.store import campaigns

    cfg = config.from_environment()
    engine = store.connect(cfg.database.url)
    release = Path("releases/reminder.md")
    if kind == "ours":
        with engine.connect() as connection:
            original = campaigns.newest(connection)
        assert original is not None
        prepared = campaign.prepare_follow_up(engine, cfg, release, original.id, who="not-opened", dry_run=True)
    else:
        prepared = campaign.prepare_send(engine, cfg, release, [Path(list_path)], dry_run=True)
    print(json.dumps({"recipients": len(prepared.plan.recipients), "follow_up": prepared.follow_up}))


def make_office(folder: Path, list_path: Path, recipients: int) -> None:
    """The press office folder with a log holding the original campaign and its events."""
    for name in ("releases", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / "releases" / "reminder.md").write_text(FOLLOW_UP, encoding="utf-8")
    (folder / "mailer.toml").write_text(
        '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[compose]\ndry_run_eml = 0\n\n[database]\nurl = "sqlite:///{folder / "mailer.db"}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "MAILER_CONFIG": str(folder / "mailer.toml"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mailer", "send", "releases/example.md", "--list", str(list_path), "--dry-run"]
    subprocess.run(command, cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert, select, update

    from mailer import store
    from mailer.store.schema import campaign, event, message, suppression

    engine = store.connect(f"sqlite:///{folder / 'mailer.db'}")
    rng = random.Random(13)
    with engine.begin() as connection:
        (original,) = connection.scalars(select(campaign.c.id))
        connection.execute(update(campaign).where(campaign.c.id == original).values(mode="live"))
        connection.execute(update(message).values(state="accepted"))
        rows = connection.execute(select(message.c.id, message.c.email).where(message.c.skip_reason.is_(None))).all()
        events, delivered, bounced, suppressed = [], [], [], []
        t0 = int(time.time()) - 86400
        for mid, email in rows:

            def add(kind: str, at: int, *, mid: int = mid, email: str = email, **extra: object) -> None:
                n = len(events)
                raw = json.dumps({"event": kind, "email": email, "timestamp": t0 + at})
                events.append(
                    {"sg_event_id": f"e{n}", "dedupe_key": f"d{n}", "campaign_id": original, "message_id": mid}
                    | {"event": kind, "email": email, "timestamp": t0 + at, "raw": raw, "machine_open": None, "bounce_type": None}
                    | extra
                )

            add("processed", 1)
            roll = rng.random()
            if roll < 0.02:
                add("bounce", 20, bounce_type="bounce")
                bounced.append(mid)
                continue
            if roll < 0.03:
                continue  # no delivered event yet
            add("delivered", 5)
            delivered.append(mid)
            if rng.random() < 0.15:
                add("open", 60, machine_open=True)
            if rng.random() < 0.30:
                add("open", 3600, machine_open=False)
                if rng.random() < 1 / 3:
                    add("open", 7200, machine_open=False)
                if rng.random() < 1 / 6:
                    add("click", 3700)
            if rng.random() < 0.01:
                suppressed.append(email.lower())
        connection.execute(insert(event), events)
        for ids, delivery in ((delivered, "delivered"), (bounced, "bounced")):
            for start in range(0, len(ids), 30000):
                connection.execute(update(message).where(message.c.id.in_(ids[start : start + 30000])).values(delivery=delivery))
        now = datetime.now(UTC)
        connection.execute(
            insert(suppression), [{"email_key": e, "reason": "manual", "source": "manual", "created_at": now} for e in suppressed]
        )
    engine.dispose()
    print(f"log: {len(rows):,} journalists, {len(events):,} events, {len(suppressed):,} suppressed", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "OFFICE", "LIST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    list_path = list_for(args.recipients)
    with tempfile.TemporaryDirectory(prefix="follow-up-bench-") as scratch_name:
        scratch = Path(scratch_name)
        office = scratch / "office"
        office.mkdir()
        make_office(office, list_path, args.recipients)
        env = {**os.environ, "MAILER_CONFIG": str(office / "mailer.toml")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        runs: dict[str, list[Run]] = {"baseline": [], "ours": []}
        for _ in range(args.repeat):
            for kind in ("baseline", "ours"):
                command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(office), str(list_path)]
                run = measure(command, cwd=office, env=env, scratch=scratch)
                if run.returncode != 0:
                    raise SystemExit(f"{kind} failed:\n{run.stderr}")
                runs[kind].append(run)
                print(f"{kind:8} wall {run.wall:6.2f} s  CPU {run.cpu:6.2f} s  peak {run.peak_mb:6.0f} MB  {run.stderr.strip()[-160:]}")
        ours, base = (statistics.median(r.cpu for r in runs[k]) for k in ("ours", "baseline"))
        peak_ours, peak_base = (max(r.peak_mb for r in runs[k]) for k in ("ours", "baseline"))
        print(
            f"{args.recipients:,} journalists: follow-up plan {ours:.2f} s CPU, list plan {base:.2f} s CPU, "
            f"ratio {ours / base:.2f}x; peak {peak_ours:.0f} MB vs {peak_base:.0f} MB"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
