"""Time `mailer report` on a campaign of 100,000 recipients and 1,000,000 events.

Run with ``python benchmarks/report.py`` (``--messages 20000 --events 200000`` for a quick
run). The log is built once under benchmarks/data/ (git-ignored) and reused; the events go in
through ``store.events.insert`` like the webhook's, with a realistic mix (processed,
delivered, opens with Apple machine opens, clicks, bounces, blocks, unsubscribes). Targets:
summary under 1 s and the recipients CSV export under 3 s.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from mailer import reports
from mailer.reports import page
from mailer.store import connect
from mailer.store import events as event_store
from mailer.store.schema import campaign, event, message

CAMPAIGN = "2026-02-19-benchmark"
T0 = 1_771_495_200
DATA = Path(__file__).parent / "data"


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


def timed(label: str, target: float | None, work: object) -> float:
    began = time.perf_counter()
    work()  # type: ignore[operator]
    elapsed = time.perf_counter() - began
    verdict = "" if target is None else f"  (target < {target:g} s: {'MET' if elapsed < target else 'NOT MET'})"
    print(f"{label:<34} {elapsed:7.3f} s{verdict}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"report-{args.messages}-{args.events}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        began = time.perf_counter()
        build(url, args.messages, args.events)
        print(f"built {path.name} in {time.perf_counter() - began:.1f} s")
    engine = connect(url)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(event))
    print(f"campaign of {args.messages:,} recipients and {stored:,} events")
    out = Path(tempfile.mkdtemp(prefix="report-bench-"))
    timed("summary", 1.0, lambda: reports.summarize(engine, CAMPAIGN))
    timed("headline_figures (mailer campaigns)", None, lambda: reports.headline_figures(engine, [CAMPAIGN]))
    timed("recipients CSV export", 3.0, lambda: reports.export(engine, CAMPAIGN, kind="recipients", fmt="csv", path=out / "r.csv"))
    timed("opens CSV export", 3.0, lambda: reports.export(engine, CAMPAIGN, kind="opens", fmt="csv", path=out / "o.csv"))
    timed("bounces CSV export", 3.0, lambda: reports.export(engine, CAMPAIGN, kind="bounces", fmt="csv", path=out / "b.csv"))
    timed("outlets CSV export", 3.0, lambda: reports.export(engine, CAMPAIGN, kind="outlets", fmt="csv", path=out / "d.csv"))
    timed("HTML page (summary+chart+outlets)", None, lambda: (out / "p.html").write_text(page.render(engine, CAMPAIGN, "summary")))
    timed("recipients XLSX export", None, lambda: reports.export(engine, CAMPAIGN, kind="recipients", fmt="xlsx", path=out / "r.xlsx"))
    print(f"recipients CSV: {(out / 'r.csv').stat().st_size / 1e6:.1f} MB; files in {out}")


if __name__ == "__main__":
    main()
