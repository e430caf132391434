"""The whole live send, CSV to all accepted, against the SendGrid stand-in, beside a minimal batched client.

Run with ``python benchmarks/live_send.py`` (``--recipients 1000000``; ``--concurrency 1,4,8,16``
for the curve; ``--repeat 3`` to run each pair again). Issue 12's first target:

- **ours**: ``python -m mailer send releases/example.md --list LIST --yes --no-test-ok`` in a
  child process, in a fresh folder with its own mailer.toml ([sendgrid] api_url at the stand-in,
  batch_size 1000, concurrency C; an SQLite delivery log in that folder) and the API key in the
  environment: start-up, list loading, compose, plan, log and every request included.
- **baseline**: a minimal batched client in a child process (this file, ``--baseline-child``,
  standard library only): the csv module reads the same list, each row becomes a plain-dict
  personalization (``to``, ``custom_args`` with a random message key, the same substitutions),
  1000 of them plus the same subject, content and settings (taken from a dry run of ours on
  the list's first 1000 rows, outside the timing) go through ``json.dumps``, and C threads
  post the bodies over C keep-alive ``http.client`` connections. It streams: at most 2 C
  bodies wait for a connection.

The stand-in (tests/sendgrid_standin.py, schema check off, SendGrid's limits still checked)
runs in its own process and answers each Mail Send after 100 ms; it counts the addresses it
accepted, and after every run the benchmark checks that each address of the list was accepted
exactly once (and, for ours, that the log has every row accepted). Its own CPU time is printed
too: at high concurrency it can become the bottleneck for both clients.

Measured for each child with ``os.wait4``: wall time, CPU (user + sys), peak RSS (ru_maxrss).
Printed beside the floor (requests x 0.1 s / C) and the targets: ours within 1.5x the
baseline's wall time, under 40 us of CPU per recipient, under 1 GB peak at 1,000,000.
The list is made by benchmarks/lists_check.py's generator with every address valid and
distinct, once per size under benchmarks/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import http.client
import itertools
import json
import os
import queue
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RELEASE = "releases/example.md"
DELAY = 0.1
BATCH = 1000
RATIO_TARGET = 1.5
CPU_TARGET_US = 40.0
MEMORY_TARGET_MB = 1024
CHILD_TIMEOUT_S = 1800


# -- the stand-in, in its own process -------------------------------------------------------------


def serve(answers: Any, delay: float, handshake: float = 0.0) -> None:
    """The stand-in in a child process: each Mail Send answered after ``delay`` s; /_stats and /_reset.

    It tallies the accepted addresses and then forgets each body, so its memory stays small at 1M.
    The first request on each new connection waits ``handshake`` s more: what a real network
    charges to open one (a TCP round trip and a TLS handshake to api.sendgrid.com).
    """
    sys.path.insert(0, str(ROOT / "tests"))
    import asyncio
    from collections import Counter
    from contextvars import ContextVar

    from sendgrid_standin import Recorded, SendGridStandIn
    from starlette.responses import JSONResponse

    current: ContextVar[Recorded | None] = ContextVar("current", default=None)
    tally: Counter[str] = Counter()
    since = [time.process_time()]
    first_at: list[float | None] = [None]  # when the first Mail Send since /_reset arrived (time.time())
    peers: set[Any] = set()  # the connections Mail Sends came over since /_reset

    class Tallying(SendGridStandIn):
        async def _record(self, request: Any) -> Recorded:
            recorded = await super()._record(request)
            current.set(recorded)
            return recorded

        async def _mail_send(self, request: Any) -> Any:
            if first_at[0] is None:
                first_at[0] = time.time()
            peer = request.client
            if peer not in peers:
                peers.add(peer)
                if handshake:
                    await asyncio.sleep(handshake)
            response = await super()._mail_send(request)
            recorded = current.get()
            if recorded is not None and isinstance(recorded.body, dict):
                if recorded.status in (200, 202):
                    for personalization in recorded.body.get("personalizations", []):
                        tally.update(to["email"].lower() for to in personalization["to"])
                recorded.body, recorded.raw = None, b""
            return response

    standin = Tallying(validate=False)

    async def stats(_: Any) -> JSONResponse:
        sends = standin.mail_sends
        digest = hashlib.sha256("\n".join(sorted(tally)).encode()).hexdigest()
        return JSONResponse(
            {
                "requests": len(sends),
                "accepted_requests": sum(1 for r in sends if r.status in (200, 202)),
                "other_requests": len(standin.requests) - len(sends),
                "addresses": len(tally),
                "max_per_address": max(tally.values(), default=0),
                "digest": digest,
                "cpu": time.process_time() - since[0],
                "first_at": first_at[0],
                "connections": len(peers),
            }
        )

    async def reset(_: Any) -> JSONResponse:
        tally.clear()
        peers.clear()
        first_at[0] = None
        standin.requests.clear()
        since[0] = time.process_time()
        return JSONResponse({})

    standin.add_route("/_stats", stats)
    standin.add_route("/_reset", reset)
    standin.slow(delay, times=10**9)
    standin.start()
    answers.put((standin.url, standin.api_key))
    while True:
        time.sleep(3600)


def standin_get(url: str, path: str) -> dict[str, Any]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())  # type: ignore[no-any-return]
    finally:
        connection.close()


# -- the baseline: a minimal batched client (standard library only) -----------------------------

_ESCAPES = {
    "t": lambda v: v,
    "s": lambda v: v.replace("\r\n", " ").replace("\r", " ").replace("\n", " "),
    "h": lambda v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
    "a": lambda v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"),
}
_TOKEN = re.compile(r"-~c\.([A-Za-z0-9_]+)\.([sthau])\d*~-")


def column_name(header: str) -> str:
    """'First Name' -> 'first_name' (the lists here have plain headers; ours knows many more variants)."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def personalizations(rows: Iterator[list[str]], header: list[str], *, campaign: str, tokens: list[str]) -> Iterator[dict[str, Any]]:
    """One plain-dict personalization per CSV row: to (email, "First Last"), custom_args, substitutions."""
    index = {column_name(name): i for i, name in enumerate(header)}
    email, first, last = index["email"], index["first_name"], index["last_name"]
    subs = []
    for token in tokens:
        match = _TOKEN.fullmatch(token)
        if match is None or match.group(2) not in _ESCAPES:
            raise SystemExit(f"the baseline does not know how to fill {token!r}")
        subs.append((token, index[match.group(1)], _ESCAPES[match.group(2)]))
    for row in rows:
        yield {
            "to": [{"email": row[email], "name": f"{row[first]} {row[last]}"}],
            "custom_args": {"campaign": campaign, "message": secrets.token_hex(16)},
            "substitutions": {token: escape(row[column]) for token, column, escape in subs},
        }


def baseline_child(spec_path: str) -> None:
    """The baseline's child process: read the list, post every batch, exit 0 when all were accepted."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    common = spec["common"]
    parts = urlsplit(spec["url"])
    headers = {"Authorization": f"Bearer {spec['key']}", "Content-Type": "application/json"}
    bodies: queue.Queue[bytes | None] = queue.Queue(maxsize=2 * spec["concurrency"])
    failures: list[str] = []

    def poster() -> None:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        while (body := bodies.get()) is not None:
            try:
                connection.request("POST", "/v3/mail/send", body=body, headers=headers)
                answer = connection.getresponse()
                text = answer.read()
            except (OSError, http.client.HTTPException) as exc:  # keep taking bodies, so the reader never blocks
                failures.append(repr(exc))
                connection.close()
                continue
            if answer.status != 202:
                failures.append(f"{answer.status} {text[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=poster) for _ in range(spec["concurrency"])]
    for thread in threads:
        thread.start()
    with open(spec["list"], encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        batch: list[dict[str, Any]] = []
        for personalization in personalizations(rows, header, campaign=spec["campaign"], tokens=spec["tokens"]):
            batch.append(personalization)
            if len(batch) == spec["batch_size"]:
                bodies.put(json.dumps({"personalizations": batch, **common}).encode())
                batch = []
        if batch:
            bodies.put(json.dumps({"personalizations": batch, **common}).encode())
    for _ in threads:
        bodies.put(None)
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{len(failures)} requests refused, e.g. {failures[0]}")


# -- running and measuring a child ----------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    returncode: int
    stderr: str
    started: float = float("nan")  # time.time() when the child was started


# Linux keeps the peak RSS of the image a process had before exec (for a fork or vfork: the
# parent's) in that process's ru_maxrss. Started from this process, which may hold a million
# addresses, a child would report at least our own peak; started from this small launcher, a
# fresh interpreter without site packages (about 10 MB), it reports its own.
LAUNCHER = """
import json, os, sys, time
result, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawn(command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(result, "w") as out:
    json.dump({"wall": wall, "code": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, out)
"""


def measure(command: list[str], *, cwd: Path, env: dict[str, str], scratch: Path) -> Run:
    """Run ``command`` as a child (through LAUNCHER); its wall time, CPU (user + sys) and peak RSS from os.wait4."""
    out, err, result = scratch / "child.out", scratch / "child.err", scratch / "child.json"
    result.unlink(missing_ok=True)
    launcher = [sys.executable, "-S", "-c", LAUNCHER, str(result), *command]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.time()
        process = subprocess.Popen(
            launcher, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True
        )
        try:
            process.wait(timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
    output = err.read_text(encoding="utf-8", errors="replace") + out.read_text(encoding="utf-8", errors="replace")[-2000:]
    if not result.exists():
        return Run(float("nan"), float("nan"), float("nan"), process.returncode or -9, output, started)
    figures = json.loads(result.read_text(encoding="utf-8"))
    return Run(figures["wall"], figures["cpu"], figures["maxrss_kb"] / 1024, figures["code"], output, started)


def write_config(path: Path, *, url: str, concurrency: int, database: Path) -> None:
    path.write_text(
        '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{url}"\nbatch_size = {BATCH}\nconcurrency = {concurrency}\n\n'
        f'[database]\nurl = "sqlite:///{database}"\n',
        encoding="utf-8",
    )


def child_env(cache: Path) -> dict[str, str]:
    """The environment of every measured child: bytecode cached, as an installed package's is.

    With ``PYTHONDONTWRITEBYTECODE`` set (this machine sets it), every run of ours would compile
    mailer's sources again (about 0.2 s); without it, the first run (the untimed dry run) leaves
    them compiled for the timed ones. ``cache`` is the children's cache folder: the dry run
    leaves the release's inlined HTML there, as a preview or a test send does before a live
    send on the usual day (README, "The usual day").
    """
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def mailer_env(office: Path, key: str, *, cache: Path) -> dict[str, str]:
    env = {**child_env(cache), "SENDGRID_API_KEY": key, "MAILER_CONFIG": str(office / "mailer.toml")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def list_for(recipients: int) -> Path:
    """benchmarks/data/press-valid-N.csv: N journalists, every address valid and distinct (made once)."""
    path = DATA / f"press-valid-{recipients}.csv"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from lists_check import generate

        print(f"generating {path} ...", flush=True)
        partial = path.with_suffix(".partial")
        generate(partial, recipients, valid_only=True)
        partial.replace(path)
    return path


def expected_digest(path: Path) -> tuple[int, str]:
    """How many addresses the list has, and the stand-in's digest of them all accepted once."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        addresses = sorted({row[0].lower() for row in rows})
    return len(addresses), hashlib.sha256("\n".join(addresses).encode()).hexdigest()


@dataclass
class Template:
    """What the baseline sends besides the personalizations, from a dry run of ours."""

    common: dict[str, Any]
    tokens: list[str]
    first_personalizations: list[dict[str, Any]]


def dry_run_template(office: Path, list_path: Path, key: str, url: str) -> Template:
    """A dry run of ours on the list's first 1000 rows: the common body, the substitution tokens.

    It renders the office's own release and templates (its log and list in ``dry/``), as a
    preview in the same folder would: the inlined HTML it leaves in the cache is the one the
    timed runs look up (another copy of the templates would be another stylesheet path, and
    another cache entry).
    """
    folder = office / "dry"
    folder.mkdir()
    with list_path.open(encoding="utf-8", newline="") as handle:
        head = [line for _, line in zip(range(BATCH + 1), handle, strict=False)]
    (folder / "head.csv").write_text("".join(head), encoding="utf-8")
    write_config(folder / "mailer.toml", url=url, concurrency=1, database=folder / "dry.db")
    env = mailer_env(folder, key, cache=office / "cache")
    command = [sys.executable, "-m", "mailer", "send", RELEASE, "--list", str(folder / "head.csv"), "--dry-run", "--yes"]
    done = subprocess.run(command, cwd=office, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the dry run failed ({done.returncode}):\n{done.stderr}")
    written = sorted(office.glob("**/outbox/*/request-0001.json"))
    body = json.loads(written[0].read_text(encoding="utf-8"))
    first = body.pop("personalizations")
    tokens = sorted(first[0].get("substitutions", {}))
    return Template(body, tokens, first)


def check_baseline_bodies(template: Template, list_path: Path) -> None:
    """The baseline's first 1000 personalizations are ours, bar the random message keys."""
    with list_path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        made = list(
            itertools.islice(personalizations(rows, header, campaign="x", tokens=template.tokens), len(template.first_personalizations))
        )

    def comparable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in p.items() if k != "custom_args"} for p in items]

    if comparable(made) != comparable(template.first_personalizations):
        raise SystemExit("the baseline's personalizations differ from ours: fix personalizations() first")


def run_ours(
    office: Path, list_path: Path, url: str, key: str, concurrency: int, profile: Path | None = None, sample: Path | None = None
) -> tuple[Run, str]:
    """One `mailer send` in a fresh log; returns the measurement and what the log says.

    With ``profile``, ours runs under cProfile and its statistics are written there; with ``sample``, under
    py-spy (every thread, 250 samples a second, py-spy's raw collapsed stacks). Either way its figures are then
    not comparable.
    """
    database = office / "log.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    write_config(office / "mailer.toml", url=url, concurrency=concurrency, database=database)
    command = [sys.executable, "-m", "mailer", "send", RELEASE, "--list", str(list_path), "--yes", "--no-test-ok"]
    if profile is not None:
        command[1:1] = ["-m", "cProfile", "-o", str(profile)]
    if sample is not None:
        spy = Path(sys.executable).with_name("py-spy")
        form = "speedscope" if sample.suffix == ".json" else "raw"  # speedscope keeps the samples' order in time
        command = [str(spy), "record", "--nonblocking", "--threads", "--idle", "-r", "250", "-f", form, "-o", str(sample), "--", *command]
    run = measure(command, cwd=office, env=mailer_env(office, key, cache=office / "cache"), scratch=office)
    import sqlite3

    log = "no log"
    if database.exists():
        connection = sqlite3.connect(database)
        try:
            states = dict(connection.execute("SELECT state, count(*) FROM message GROUP BY state").fetchall())
            log = ", ".join(f"{count:,} {state}" for state, count in sorted(states.items()))
        finally:
            connection.close()
    return run, log


def run_baseline(office: Path, list_path: Path, url: str, key: str, concurrency: int, template: Template) -> Run:
    spec = office / "baseline.json"
    spec.write_text(
        json.dumps(
            {
                "list": str(list_path),
                "url": url,
                "key": key,
                "concurrency": concurrency,
                "batch_size": BATCH,
                "campaign": "2026-02-19-riverbend-bees",
                "common": template.common,
                "tokens": template.tokens,
            }
        ),
        encoding="utf-8",
    )
    command = [sys.executable, str(Path(__file__).resolve()), "--baseline-child", str(spec)]
    return measure(command, cwd=office, env=child_env(office / "cache"), scratch=office)


def first_request(run: Run, seen: dict[str, Any]) -> float:
    """Seconds from the start of ``run``'s command to the arrival of its first Mail Send (stand-in's clock, same machine)."""
    return float(seen["first_at"]) - run.started if seen.get("first_at") is not None else float("nan")


def verify(url: str, expected: tuple[int, str], who: str) -> tuple[bool, dict[str, Any]]:
    """Did the stand-in accept every address of the list exactly once?"""
    seen = standin_get(url, "/_stats")
    count, digest = expected
    ok = seen["addresses"] == count and seen["max_per_address"] == 1 and seen["digest"] == digest
    if not ok:
        print(
            f"  ! {who}: the stand-in accepted {seen['addresses']:,} addresses of {count:,}, "
            f"at most {seen['max_per_address']} time(s) each, {'the same' if seen['digest'] == digest else 'not the same'} set",
            flush=True,
        )
    return ok, seen


@dataclass
class Pair:
    recipients: int
    concurrency: int
    requests: int
    ours: Run
    base: Run
    ours_standin_cpu: float
    base_standin_cpu: float
    ok: bool
    delay: float = DELAY
    ours_first: float = float("nan")  # seconds from the start of the command to its first Mail Send's arrival
    base_first: float = float("nan")
    ours_connections: int = 0  # connections the Mail Sends came over
    base_connections: int = 0

    @property
    def floor(self) -> float:
        """The network floor: every request waits ``delay``, C at a time."""
        return self.requests * self.delay / self.concurrency


def fmt_row(p: Pair) -> str:
    n = p.recipients
    return (
        f"{n:>9,} {p.concurrency:>3} {p.requests:>5} {p.floor:>6.2f} | "
        f"{p.ours.wall:>7.2f} {p.ours.cpu:>7.2f} {p.ours.cpu / n * 1e6:>6.1f} {p.ours.peak_mb:>6.0f} | "
        f"{p.base.wall:>7.2f} {p.base.cpu:>7.2f} {p.base.cpu / n * 1e6:>6.1f} {p.base.peak_mb:>6.0f} | "
        f"{p.ours.wall / p.base.wall:>5.2f} {p.ours.cpu / p.base.cpu:>5.1f} | "
        f"{p.ours_standin_cpu:>5.1f} {p.base_standin_cpu:>5.1f}{'' if p.ok else '  ! not all accepted once'}"
    )


HEADER = (
    f"{'recipients':>9} {'C':>3} {'reqs':>5} {'floor':>6} | "
    f"{'ours s':>7} {'CPU s':>7} {'us/rc':>6} {'MB':>6} | "
    f"{'base s':>7} {'CPU s':>7} {'us/rc':>6} {'MB':>6} | "
    f"{'wall×':>5} {'CPU×':>5} | {'stand-in CPU s':>11}"
)


def median_pair(pairs: list[Pair]) -> Pair:
    def med(runs: list[Run]) -> Run:
        return Run(
            statistics.median(r.wall for r in runs),
            statistics.median(r.cpu for r in runs),
            max(r.peak_mb for r in runs),
            0,
            "",
        )

    first = pairs[0]
    return Pair(
        first.recipients,
        first.concurrency,
        first.requests,
        med([p.ours for p in pairs]),
        med([p.base for p in pairs]),
        statistics.median(p.ours_standin_cpu for p in pairs),
        statistics.median(p.base_standin_cpu for p in pairs),
        all(p.ok for p in pairs),
        first.delay,
        statistics.median(p.ours_first for p in pairs),
        statistics.median(p.base_first for p in pairs),
        max(p.ours_connections for p in pairs),
        max(p.base_connections for p in pairs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, action="append", help="list size (repeatable; default 100000; 1000000 also)")
    parser.add_argument("--concurrency", default="4", help="[sendgrid] concurrency, comma-separated for the curve: 1,4,8,16")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each pair (medians are printed; peak is the largest)")
    parser.add_argument("--delay", type=float, default=DELAY, help="seconds the stand-in waits before answering (default 0.1)")
    parser.add_argument(
        "--handshake",
        type=float,
        default=0.0,
        help="seconds more for the first request on each new connection, as a real network charges to open one (e.g. 0.05)",
    )
    parser.add_argument("--profile", type=Path, metavar="FILE", help="run ours once more under cProfile and write its statistics to FILE")
    parser.add_argument(
        "--sample",
        type=Path,
        metavar="FILE",
        help="run ours once more under py-spy (every thread, idle included) and write its raw collapsed stacks to FILE "
        "(FILE.json: speedscope's format, samples in time order)",
    )
    parser.add_argument("--baseline-child", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        baseline_child(args.baseline_child)
        return
    sizes = args.recipients or [100_000]
    levels = [int(c) for c in args.concurrency.split(",")]

    import multiprocessing

    context = multiprocessing.get_context("spawn")
    answers: Any = context.Queue()
    server = context.Process(target=serve, args=(answers, args.delay, args.handshake), daemon=True)
    server.start()
    url, key = answers.get(timeout=60)
    results: list[Pair] = []
    try:
        with tempfile.TemporaryDirectory(prefix="mailer-live-send-") as tmp:
            office = Path(tmp)
            for name in ("releases", "templates"):
                shutil.copytree(ROOT / name, office / name)
            template: Template | None = None
            # Lists are made and read in a child of their own: a child's peak memory (ru_maxrss) counts the
            # memory its parent had when it was started, so this process must stay small.
            with context.Pool(1) as pool:
                lists = {recipients: pool.apply(list_for, (recipients,)) for recipients in sizes}
                digests = {recipients: pool.apply(expected_digest, (lists[recipients],)) for recipients in sizes}
            print(
                f"stand-in answering each Mail Send after {args.delay * 1000:.0f} ms"
                f"{f' (+{args.handshake * 1000:.0f} ms on a new connection)' if args.handshake else ''}; batch_size {BATCH}; "
                f"{os.cpu_count()} cores; wall and CPU in seconds, us/rc = CPU microseconds per recipient, MB = peak RSS",
                flush=True,
            )
            print(HEADER)
            for recipients in sizes:
                list_path = lists[recipients]
                expected = digests[recipients]
                if expected[0] != recipients:
                    raise SystemExit(f"{list_path} has {expected[0]:,} distinct addresses, not {recipients:,}: delete it to make it again")
                if template is None:
                    template = dry_run_template(office, list_path, key, url)
                    check_baseline_bodies(template, list_path)
                requests = -(-recipients // BATCH)
                for concurrency in levels:
                    pairs = []
                    for _ in range(args.repeat):
                        standin_get(url, "/_reset")
                        ours, log = run_ours(office, list_path, url, key, concurrency)
                        ours_ok, ours_seen = verify(url, expected, "ours")
                        if ours.returncode != 0:
                            print(f"  ! mailer send exited {ours.returncode}:\n{ours.stderr[-3000:]}", flush=True)
                        if f"{recipients:,} accepted" != log:
                            print(f"  ! the log says: {log}", flush=True)
                            ours_ok = False
                        standin_get(url, "/_reset")
                        base = run_baseline(office, list_path, url, key, concurrency, template)
                        base_ok, base_seen = verify(url, expected, "baseline")
                        if base.returncode != 0:
                            print(f"  ! the baseline exited {base.returncode}:\n{base.stderr[-3000:]}", flush=True)
                        ok = ours_ok and base_ok and ours.returncode == 0 and base.returncode == 0
                        pair = Pair(
                            recipients,
                            concurrency,
                            requests,
                            ours,
                            base,
                            ours_seen["cpu"],
                            base_seen["cpu"],
                            ok,
                            args.delay,
                            first_request(ours, ours_seen),
                            first_request(base, base_seen),
                            ours_seen.get("connections", 0),
                            base_seen.get("connections", 0),
                        )
                        pairs.append(pair)
                        if args.repeat > 1:
                            print("  run " + fmt_row(pair), flush=True)
                    results.append(median_pair(pairs))
                    print(fmt_row(results[-1]), flush=True)
                    if args.profile is not None:
                        standin_get(url, "/_reset")
                        profiled, _ = run_ours(office, list_path, url, key, concurrency, args.profile.resolve())
                        print(f"  profiled run: {profiled.wall:.2f} s wall, {profiled.cpu:.2f} s CPU -> {args.profile}", flush=True)
                    if args.sample is not None:
                        standin_get(url, "/_reset")
                        sampled, _ = run_ours(office, list_path, url, key, concurrency, sample=args.sample.resolve())
                        print(f"  sampled run: {sampled.wall:.2f} s wall -> {args.sample}", flush=True)
    finally:
        server.terminate()
        server.join(timeout=10)

    print()
    for p in results:
        n = p.recipients
        ratio, per = p.ours.wall / p.base.wall, p.ours.cpu / n * 1e6
        memory = (
            f"peak {p.ours.peak_mb:.0f} MB (target < {MEMORY_TARGET_MB} MB at 1M: {'met' if p.ours.peak_mb < MEMORY_TARGET_MB else 'MISSED'})"
            if n >= 1_000_000
            else f"peak {p.ours.peak_mb:.0f} MB (the < {MEMORY_TARGET_MB} MB target is at 1M)"
        )
        print(
            f"{n:>9,} C={p.concurrency:<2}: ours/baseline wall {ratio:.2f}x (target <= {RATIO_TARGET}: {'met' if ratio <= RATIO_TARGET else 'MISSED'}); "
            f"{per:.0f} us CPU per recipient (target < {CPU_TARGET_US:.0f}: {'met' if per < CPU_TARGET_US else 'MISSED'}); {memory}; "
            f"floor {p.floor:.2f} s"
        )
        print(
            f"{'':>9}       first request {p.ours_first:.2f} s after the start (baseline {p.base_first:.2f} s); "
            f"from it to the end {p.ours.wall - p.ours_first:.2f} s (baseline {p.base.wall - p.base_first:.2f} s); "
            f"connections {p.ours_connections} (baseline {p.base_connections})"
        )
    if not all(p.ok for p in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
