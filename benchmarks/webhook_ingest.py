"""Time the event webhook: 1,000,000 SendGrid events posted over loopback to a real uvicorn.

Run with ``python benchmarks/webhook_ingest.py`` (``--events 200000`` for a quicker run;
``--workers 2`` for one run only; ``--url postgresql+psycopg://...`` for a PostgreSQL log: a
database the benchmark may empty, whose tables it drops and seeds again before each run). It seeds a delivery log with one campaign of 100,000
messages, builds signed bodies of about 768 KB (SendGrid's batch size) framed the way SendGrid
frames them (``,\\r\\n`` between events), then for 1 and for 2 workers (``mailer webhook
--workers N`` on a fresh copy of the log, signature checks on) posts every batch from 4 client
threads and counts the rows. It prints events/s, the ratio to the target of 20,000 events/s
(issue 12) with none lost, the server's CPU per event (its workers included; with and without
its start-up), the posting client's, how many of the machine's CPUs the two kept busy (near
all of them: the machine, not the server, was the limit), and how many POSTs each worker
answered (from the webhook's request log). On PostgreSQL on this machine it
also prints the database server's CPU for the run (its backends', read from the postmaster).

It also measures the turn to write (``--no-turns`` to leave it out): a ``sitecustomize.py`` put
first on the server's ``PYTHONPATH`` wraps the webhook's writer lock, and the benchmark prints
how much of the wall the turn was held and, per event, its holder's CPU, time waiting for a core
and time blocked (on the GIL or the disk) while holding it (Linux only: /proc schedstat).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, insert, select, text

from mailer.events import signature
from mailer.store import connect
from mailer.store.schema import campaign, event, message, metadata

CAMPAIGN = "2026-02-19-benchmark"
BATCH_BYTES = 768 * 1024
TARGET = 20_000  # events per second on one worker (issue 12)
T0 = 1_771_495_200
KINDS = ["processed", "delivered", "open", "open", "click", "deferred", "open", "delivered"]


# Put first on the server's PYTHONPATH as sitecustomize.py (unless --no-turns): each worker appends
# one line per batch to BENCH_TURN_LOG: when it asked for the turn to write, got it and gave it back,
# and the holding thread's CPU and time waiting for a core meanwhile (Linux schedstat).
TURN_PROBE = """
import os, threading, time
if os.environ.get("BENCH_TURN_LOG"):
    from mailer.events import webhook
    enter, leave, path = webhook._WriterLock.__enter__, webhook._WriterLock.__exit__, os.environ["BENCH_TURN_LOG"]
    def sched():
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            cpu, queued, _ = f.read().split()
        return int(cpu) / 1e9, int(queued) / 1e9
    def probed_enter(self):
        asked = time.perf_counter()
        enter(self)
        self.probe = (asked, time.perf_counter(), sched())
    def probed_exit(self, *exc):
        (asked, got, (cpu, queued)), (cpu_now, queued_now) = self.probe, sched()
        done = time.perf_counter()
        leave(self, *exc)
        with open(path, "a") as f:
            f.write(f"{os.getpid()} {asked} {got} {done} {cpu_now - cpu} {queued_now - queued}\\n")
    webhook._WriterLock.__enter__, webhook._WriterLock.__exit__ = probed_enter, probed_exit
"""


def turns(log: Path, events: int) -> str:
    """What the probe's lines say: how much of the wall the turn to write was held, and what its holder did meanwhile."""
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    if not rows:
        return "    turn to write: not measured"
    asked, got, done, cpu, queued = ([float(row[i]) for row in rows] for i in range(1, 6))
    held = [d - g for g, d in zip(got, done, strict=True)]
    wall = max(done) - min(asked)
    return (
        f"    turn to write: held {sum(held) / wall:.0%} of the wall, median {statistics.median(held) * 1000:.0f} ms a batch; "
        f"while holding it, per event: {sum(cpu) / events * 1e6:.0f} us CPU, {sum(queued) / events * 1e6:.0f} us waiting for a core, "
        f"{(sum(held) - sum(cpu) - sum(queued)) / events * 1e6:.0f} us blocked (GIL, disk); a batch waited a median "
        f"{statistics.median(g - a for a, g in zip(asked, got, strict=True)) * 1000:.0f} ms for its turn"
    )


def seed(url: str, messages: int) -> None:
    engine = connect(url)
    now = datetime.now(UTC)
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
        rows = [
            {
                "campaign_id": CAMPAIGN,
                "message_key": f"m{i:07d}",
                "email": f"journalist{i}@outlet{i % 900}.example",
                "email_key": f"journalist{i}@outlet{i % 900}.example",
                "fields": {"first_name": "Sam", "outlet": f"Outlet {i % 900}"},
                "source": f"press.csv:{i + 2}",
                "state": "accepted",
                "sg_message_id": f"REQ{i // 1000:04d}",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(messages)
        ]
        connection.execute(insert(message), rows)
    engine.dispose()


def make_event(n: int, messages: int, rng: random.Random) -> dict[str, object]:
    who = rng.randrange(messages)
    kind = KINDS[n % len(KINDS)]
    data: dict[str, object] = {
        "email": f"journalist{who}@outlet{who % 900}.example",
        "event": kind,
        "timestamp": T0 + n // 10,
        "sg_event_id": base64.urlsafe_b64encode(f"{kind}-{n}-{who}".encode()).decode().rstrip("="),
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
            url="https://www.example.org/news/wetlands-report",
            url_offset={"index": 0, "type": "html"},
            useragent="Mozilla/5.0",
            ip="198.51.100.4",
        )
    elif kind == "delivered":
        data.update(response="250 2.0.0 OK  1771495200 x12si1234567qka.12 - gsmtp", ip="167.89.101.76", tls=1)
    elif kind == "deferred":
        data.update(response="421 4.7.0 Try again later", attempt="1", ip="167.89.101.76")
    return data


def make_bodies(total: int, messages: int) -> list[bytes]:
    rng = random.Random(7)
    bodies, current, size = [], [], 0
    for n in range(total):
        text = json.dumps(make_event(n, messages, rng), separators=(",", ":"))
        if current and size + len(text) + 3 > BATCH_BYTES:
            bodies.append(("[" + ",\r\n".join(current) + "]\r\n").encode())
            current, size = [], 0
        current.append(text)
        size += len(text) + 3
    if current:
        bodies.append(("[" + ",\r\n".join(current) + "]\r\n").encode())
    return bodies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post_all(port: int, requests: list[tuple[bytes, dict[str, str]]], clients: int) -> list[int]:
    """Post every body from ``clients`` keep-alive connections; returns the status codes."""
    statuses: list[int] = []
    lock = threading.Lock()
    queue = list(reversed(requests))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                body, headers = queue.pop()
            connection.request("POST", "/sendgrid/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def fresh_log(folder: Path, template: Path, url: str | None, *, workers: int, messages: int) -> str:
    """The URL of a log holding only the seeded campaign: a copy of the template (SQLite), or the tables of ``url`` dropped and seeded again."""
    if url is None:
        log_path = folder / f"log-{workers}.db"
        shutil.copy(template, log_path)
        return f"sqlite:///{log_path}"
    engine = connect(url)
    with engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS schema_info"))
    engine.dispose()
    seed(url, messages)
    return url


def server_process(url: str) -> int | None:
    """The PostgreSQL postmaster's process id when the server runs on this machine (None for SQLite or a remote one).

    A backend's CPU time is added to its postmaster's children's time when it ends, so reading
    the postmaster's cutime + cstime before and after a run gives the database server's share.
    """
    if not url.startswith("postgresql"):
        return None
    engine = connect(url)
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("select pg_backend_pid()").scalar()
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()  # read while the backend lives
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


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its living descendants, read from /proc (0 where unreadable)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        pending.extend(int(child) for child in children)
    return total


def peak_memory(pid: int) -> int:
    """The largest peak resident memory (VmHWM, bytes) among process ``pid`` and its descendants, read while they run.

    Not ``ru_maxrss`` from ``wait4``: a child started by fork (or vfork) and exec keeps the peak of
    the memory it shared with this process before exec, so it would report this process's size.
    """
    largest, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                largest = max(largest, int(line.split()[1]) * 1024)
        pending.extend(int(child) for child in children)
    return largest


def run(
    folder: Path,
    template: Path,
    requests: list[tuple[bytes, dict[str, str]]],
    *,
    url: str | None,
    events: int,
    messages: int,
    workers: int,
    clients: int,
    probe: bool = True,
) -> float:
    """One run on a freshly seeded log: start the server, post everything, count; returns events/s (0 if any was lost)."""
    log_url = fresh_log(folder, template, url, workers=workers, messages=messages)
    config = folder / f"mailer-{workers}.toml"
    config.write_text(
        (folder / "mailer.toml").read_text(encoding="utf-8").replace(f"sqlite:///{folder / 'log.db'}", log_url),
        encoding="utf-8",
    )
    postmaster = server_process(log_url)
    if postmaster:
        time.sleep(1)  # a backend that just closed (the seeding's) is counted once it has ended
    database_before = server_cpu(postmaster)
    port = free_port()
    server_log = folder / f"server-{workers}.log"
    env = {**os.environ, "NO_PROXY": "127.0.0.1"}
    turn_log = folder / f"turns-{workers}.log"
    if probe:
        (folder / "probe").mkdir(exist_ok=True)
        (folder / "probe" / "sitecustomize.py").write_text(TURN_PROBE, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder / "probe"), os.environ.get("PYTHONPATH")]))
        env["BENCH_TURN_LOG"] = str(turn_log)
    with server_log.open("wb") as errors:
        server = subprocess.Popen(
            [sys.executable, "-m", "mailer", "--config", str(config), "webhook", "--port", str(port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
        )
        try:
            for _ in range(300):
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    probe.request("GET", "/healthz")
                    if probe.getresponse().status == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            time.sleep(0.5 * workers)  # every worker up, not just the first
            began, server_before, client_before = time.perf_counter(), tree_cpu(server.pid), time.process_time()
            statuses = post_all(port, requests, clients)
            elapsed = time.perf_counter() - began
            posting_cpu, client_cpu = tree_cpu(server.pid) - server_before, time.process_time() - client_before
            peak = peak_memory(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            _, _, usage = os.wait4(server.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime  # the server and its workers (reaped by it)
    if postmaster:
        time.sleep(1)  # the server's backends end a moment after its connections close
    database_cpu = server_cpu(postmaster) - database_before
    engine = connect(log_url)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(event))
        linked = connection.scalar(select(func.count()).select_from(event).where(event.c.message_id.is_not(None)))
    engine.dispose()
    per_worker: dict[str, int] = {}
    for line in server_log.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[2] == "POST":
            per_worker[parts[1]] = per_worker.get(parts[1], 0) + 1
    rate = events / elapsed
    ok = statuses.count(200)
    print(
        f"workers={workers} clients={clients}: {len(statuses)} POSTs ({ok} answered 200) in {elapsed:.1f} s: "
        f"{rate:,.0f} events/s ({elapsed / len(requests) * 1000:.0f} ms per POST); server CPU {cpu:.1f} s "
        f"({cpu / events * 1e6:.0f} us per event), peak {peak / 2**20:.0f} MB (largest server process)"
        + (f"; PostgreSQL server CPU {database_cpu:.1f} s ({database_cpu / events * 1e6:.0f} us per event)" if postmaster else "")
    )
    print(
        f"    stored {stored:,} of {events:,} events ({events - stored} lost), {linked:,} linked; POSTs per worker: {sorted(per_worker.values())}"
    )
    busy = posting_cpu + client_cpu + database_cpu
    print(
        f"    while posting: server {posting_cpu / events * 1e6:.0f} us CPU per event (start-up left out), client {client_cpu / events * 1e6:.1f} us; "
        f"{busy / elapsed:.2f} of the machine's {os.cpu_count()} CPUs busy with this benchmark"
    )
    if probe:
        print(turns(turn_log, events))
    return rate if stored == events and ok == len(statuses) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="server processes per run (mailer webhook --workers)")
    parser.add_argument("--clients", type=int, default=4, help="client threads posting at once")
    parser.add_argument(
        "--no-turns", action="store_true", help="do not measure the turn to write (a sitecustomize.py put first on the server's path)"
    )
    parser.add_argument("--url", help="a PostgreSQL database the benchmark may empty (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    template = folder / "seeded.db"
    url = args.url or f"sqlite:///{template}"
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_der = private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "mailer.toml").write_text(
        f'[database]\nurl = "sqlite:///{folder / "log.db"}"\n[webhook]\nverification_key = "{base64.b64encode(public_der).decode()}"\n',
        encoding="utf-8",
    )
    started = time.perf_counter()
    if args.url is None:
        seed(url, args.messages)
    bodies = make_bodies(args.events, args.messages)
    stamp = str(T0)
    requests = [
        (
            body,
            {
                "Content-Type": "application/json",
                signature.TIMESTAMP_HEADER: stamp,
                signature.SIGNATURE_HEADER: signature.sign(private_key, body=body, timestamp=stamp),
            },
        )
        for body in bodies
    ]
    print(
        f"prepared {args.events:,} events in {len(bodies)} signed bodies of ~{sum(map(len, bodies)) // len(bodies) // 1024} KB "
        f"({time.perf_counter() - started:.1f} s); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    rates = {
        workers: run(
            folder,
            template,
            requests,
            url=args.url,
            events=args.events,
            messages=args.messages,
            workers=workers,
            clients=args.clients,
            probe=not args.no_turns,
        )
        for workers in args.workers
    }
    for workers, rate in rates.items():
        verdict = "MET" if rate >= TARGET else "NOT MET"
        print(f"{workers} worker(s): {rate:,.0f} events/s = {rate / TARGET:.2f}x the target of {TARGET:,} ({verdict}; 0 = events lost)")
    if 1 in rates and 2 in rates and rates[1]:
        print(f"second worker: {rates[2] / rates[1]:.2f}x the throughput of one")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
