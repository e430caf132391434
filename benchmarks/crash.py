"""kill -9 a 20,000-recipient `mailer send` at random moments, resume, settle: count lost, doubled, unknown.

Run with ``python benchmarks/crash.py [--rounds 50] [--recipients 20000] [--seed 9]`` (about
10 minutes on two cores; ``--window requests`` kills only while requests are going out;
``--batch-size``, ``--concurrency`` and ``--delay`` set the pace; ``--help`` lists them).

What it measures (issue 9, promise 2 of DESIGN.md): whatever instant a send dies at, the way the
README tells a press office to recover reaches every journalist exactly once. The SendGrid
stand-in (tests/sendgrid_standin.py, schema check off, SendGrid's limits still checked) runs in
this process, answering each request after 30 ms; it is the judge of what "SendGrid" accepted.
The sender uses [sendgrid] batch_size 100 and concurrency 4, so a send makes 200 requests.
Each round, on a fresh SQLite delivery log:

1. ``python -m mailer send RELEASE --list LIST --yes --no-test-ok`` in a child process, killed
   with SIGKILL at a moment drawn uniformly over the length of an uninterrupted send (measured
   first, start-up included; stratified, so the very start and the very end are both drawn);
   when the kill came before the campaign was written, the same ``mailer send`` is run again;
2. ``mailer resume CAMPAIGN`` until no row is planned (the killed holder's lease is replaced at once);
3. when recipients are ``unknown``, the README's way of settling them: SendGrid's events
   (``processed`` and ``delivered``, with the ``custom_args`` SendGrid echoes) for exactly the
   messages the stand-in accepted, in an NDJSON file, through ``mailer events import``; whoever
   is still unknown never reached SendGrid, so ``mailer resume CAMPAIGN --resend-unknown``.

Then, against the stand-in's accepted requests: lost (planned, never accepted), doubled
(accepted more than once) and unknown left in the log; a table row per round, then totals.
Exit status 1 when anyone is lost or doubled, or a round went wrong otherwise (printed with
``!``). The press list is generated once under benchmarks/data/ (git-ignored), every row valid
and distinct, from the seed, which also draws the kill moments.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sendgrid_standin import Recorded, SendGridStandIn

DATA = ROOT / "benchmarks" / "data"
RELEASE = "releases/example.md"
FIRST = ["Jane", "John", "Amara", "Li", "Sofia", "Mateo", "Chloé", "Søren", "Priya", "Kwame", "Ana", "Yuki"]
LAST = ["Doe", "Smith", "Okafor", "Wei", "García", "Müller", "Ng", "Silva", "Kowalski", "Haddad", "Berg"]
OUTLETS = ["Daily Example", "Example Times", "The Sample Post", "Example Radio", "Tech Example", "Health Weekly"]
BEATS = ["health", "science", "politics", "business", "technology", "climate", "education"]
DOMAINS = ["example.com", "example.org", "example.net", "news.example.com", "mail.example.org"]
RESUME_ATTEMPTS = 5

_current: ContextVar[Recorded | None] = ContextVar("current", default=None)


class StandIn(SendGridStandIn):
    """The stand-in, also keeping the X-Message-Id it answered (SendGrid's events start their sg_message_id with it)."""

    async def _record(self, request: Any) -> Recorded:
        recorded = await super()._record(request)
        recorded.received = time.monotonic()  # type: ignore[attr-defined]
        _current.set(recorded)
        return recorded

    async def _mail_send(self, request: Any) -> Any:
        response = await super()._mail_send(request)
        recorded = _current.get()
        if recorded is not None:
            recorded.message_id = response.headers.get("x-message-id")  # type: ignore[attr-defined]
        return response

    def accepted(self) -> list[Recorded]:
        return [r for r in self.mail_sends if r.status in (200, 202)]

    def settle_in_flight(self, timeout: float = 10.0) -> None:
        """Wait until every request that arrived has its answer (a killed client's request is still answered)."""
        deadline = time.monotonic() + timeout
        while any(r.status is None for r in self.mail_sends) and time.monotonic() < deadline:
            time.sleep(0.01)


def generate(path: Path, rows: int, *, seed: int) -> None:
    """A press list of ``rows`` journalists, every address valid and distinct."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First Name", "Last Name", "Outlet", "Beat"])
        for index in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            user = f"{first.lower()}.{last.lower()}{index}".encode("ascii", "ignore").decode()
            writer.writerow([f"{user}@{rng.choice(DOMAINS)}", first, last, rng.choice(OUTLETS), rng.choice(BEATS)])


@dataclass
class Office:
    """A press office's folder: the example release and templates, a mailer.toml, a log path."""

    folder: Path
    standin: StandIn
    list_path: Path
    delay: float

    def reset(self) -> None:
        """A fresh delivery log, and a stand-in that has seen nothing and answers after ``delay``."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.log}{suffix}").unlink(missing_ok=True)
        self.standin.reset()
        self.standin.slow(self.delay)

    @property
    def log(self) -> Path:
        return self.folder / "log.db"

    def start(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "SENDGRID_API_KEY": self.standin.api_key, "MAILER_CONFIG": str(self.folder / "mailer.toml")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        return subprocess.Popen(
            [sys.executable, "-m", "mailer", *args],
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> tuple[int, str, str]:
        process = self.start(*args)
        out, err = process.communicate(timeout=600)
        if "Traceback" in err:
            raise RuntimeError(f"mailer {' '.join(args)} crashed:\n{err}")
        return process.returncode, out, err

    def send_args(self) -> tuple[str, ...]:
        return ("send", RELEASE, "--list", str(self.list_path), "--yes", "--no-test-ok")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if not self.log.exists():
            return []
        connection = sqlite3.connect(self.log, timeout=30)
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # killed before the tables were created
            if "no such table" in str(exc):
                return []
            raise
        finally:
            connection.close()

    def campaign_id(self) -> str | None:
        rows = self.query("SELECT id FROM campaign ORDER BY created_at DESC")
        return rows[0][0] if rows else None

    def counts(self, campaign_id: str) -> Counter[str]:
        return Counter(dict(self.query("SELECT state, count(*) FROM message WHERE campaign_id = ? GROUP BY state", campaign_id)))

    def in_flight(self, campaign_id: str) -> int:
        """How many requests the campaign row lists in flight (their rows become unknown on resume)."""
        ((listed,),) = self.query("SELECT in_flight FROM campaign WHERE id = ?", campaign_id)
        return len(json.loads(listed or "[]"))

    def planned_addresses(self, campaign_id: str) -> set[str]:
        rows = self.query("SELECT email_key FROM message WHERE campaign_id = ? AND state != 'skipped'", campaign_id)
        return {email for (email,) in rows}


@dataclass
class Round:
    number: int
    kill_at: float
    phase: str = ""
    requests_before_kill: int = 0
    at_kill: Counter[str] = field(default_factory=Counter)  # row states right after the kill
    in_flight: int = 0  # requests listed in flight right after the kill
    resumes: int = 0
    unknown_after_resume: int = 0
    settled_by_events: int = 0
    resent: int = 0
    unknown_left: int = 0
    lost: int = 0
    doubled: int = 0
    stray: int = 0  # accepted addresses that were never in the plan
    wall: float = 0.0
    problems: list[str] = field(default_factory=list)


def events_for(accepted: list[Recorded]) -> list[dict[str, Any]]:
    """SendGrid's ``processed`` and ``delivered`` events for every message of the accepted requests."""
    now = int(time.time())
    events = []
    for request in accepted:
        request_id = getattr(request, "message_id", None) or secrets.token_urlsafe(16)
        for index, personalization in enumerate(request.body["personalizations"]):
            args = personalization.get("custom_args") or {}
            for kind, at in (("processed", now), ("delivered", now + 2)):
                event = {
                    "email": personalization["to"][0]["email"],
                    "event": kind,
                    "timestamp": at,
                    "sg_event_id": secrets.token_urlsafe(16),
                    "sg_message_id": f"{request_id}.filterdrecv-5645d9c87f-{index}-0",
                    "category": ["press-release"],
                    "smtp-id": f"<{request_id}@ismtpd0001p1iad2.sendgrid.net>",
                    **args,
                }
                if kind == "delivered":
                    event["response"] = "250 2.0.0 OK"
                events.append(event)
    return events


def calibrate(office: Office) -> tuple[float, float, float, int]:
    """One uninterrupted send: its wall time, when its first and last request arrived, how many requests."""
    office.reset()
    started = time.monotonic()
    code, _, err = office.run(*office.send_args())
    total = time.monotonic() - started
    if code != 0:
        raise RuntimeError(f"the calibration send failed ({code}):\n{err}")
    arrivals = [r.received for r in office.standin.mail_sends]  # type: ignore[attr-defined]
    return total, min(arrivals) - started, max(arrivals) - started, len(arrivals)


def one_round(
    office: Office, number: int, kill_at: float, total_requests: int, recipients: int, workdir: Path, *, from_first_request: bool
) -> Round:
    """One send killed ``kill_at`` seconds after it started (or after its first request arrived), then recovered and judged."""
    result = Round(number, kill_at)
    office.reset()
    began = time.monotonic()
    process = office.start(*office.send_args())
    anchor = began
    if from_first_request:  # start-up takes longer or shorter with the machine's load: wait for the first request
        while not office.standin.requests and process.poll() is None:
            time.sleep(0.002)
        anchor = office.standin.requests[0].received if office.standin.requests else time.monotonic()  # type: ignore[attr-defined]
    remaining = anchor + kill_at - time.monotonic()
    if remaining > 0:
        try:
            process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            pass
    finished_first = process.poll() is not None
    if not finished_first:
        process.kill()
    result.requests_before_kill = len(office.standin.mail_sends)
    _, err = process.communicate(timeout=60)
    if finished_first and process.returncode != 0:
        result.problems.append(f"send exited {process.returncode} before the kill: {err.strip()[-200:]}")
    office.standin.settle_in_flight()

    campaign_id = office.campaign_id()
    if finished_first:
        result.phase = "finished"
    elif campaign_id is None:
        result.phase = "before log"
    elif result.requests_before_kill == 0:
        result.phase = "logged, 0 sent"
    elif result.requests_before_kill < total_requests:
        result.phase = f"mid-send {result.requests_before_kill}/{total_requests}"
    else:
        result.phase = "all requests out"
    if campaign_id is None:  # nothing was written: the office runs the same send again
        code, _, err = office.run(*office.send_args())
        campaign_id = office.campaign_id()
        if code != 0 or campaign_id is None:
            result.problems.append(f"send again exited {code}: {err.strip()[-200:]}")
            result.wall = time.monotonic() - began
            return result
    else:
        result.at_kill = office.counts(campaign_id)
        result.in_flight = office.in_flight(campaign_id)
        # `mailer resume` until nothing is planned (at least once: the rows of requests left in flight become unknown).
        while result.resumes < RESUME_ATTEMPTS:
            code, _, err = office.run("resume", campaign_id, "--yes")
            result.resumes += 1
            if code not in (0, 1, 3):
                result.problems.append(f"resume exited {code}: {err.strip()[-200:]}")
            if not office.counts(campaign_id)["planned"]:
                break
    office.standin.settle_in_flight()
    result.unknown_after_resume = office.counts(campaign_id)["unknown"]

    if result.unknown_after_resume:
        # SendGrid's events for what it accepted settle the unknown; the rest never reached it.
        events_file = workdir / f"events-{number}.ndjson"
        events_file.write_text("".join(json.dumps(e) + "\n" for e in events_for(office.standin.accepted())), encoding="utf-8")
        code, _, err = office.run("events", "import", str(events_file))
        if code != 0:
            result.problems.append(f"events import exited {code}: {err.strip()[-200:]}")
        events_file.unlink()
        still_unknown = office.counts(campaign_id)["unknown"]
        result.settled_by_events = result.unknown_after_resume - still_unknown
        if still_unknown:
            code, _, err = office.run("resume", campaign_id, "--resend-unknown", "--yes")
            result.resent = still_unknown
            if code != 0:
                result.problems.append(f"resume --resend-unknown exited {code}: {err.strip()[-200:]}")
    office.standin.settle_in_flight()
    result.wall = time.monotonic() - began

    final = office.counts(campaign_id)
    result.unknown_left = final["unknown"]
    if set(final) - {"accepted", "skipped"}:
        result.problems.append(f"rows not accepted at the end: {dict(final)}")
    planned = office.planned_addresses(campaign_id)
    if len(planned) != recipients:
        result.problems.append(f"the log plans {len(planned):,} recipients, not {recipients:,}")
    accepted = office.standin.accepted_addresses()
    result.lost = sum(1 for address in planned if not accepted[address])
    result.doubled = sum(1 for address in planned if accepted[address] > 1)
    result.stray = sum(1 for address in accepted if address not in planned)
    if result.lost or result.doubled:
        lost = sorted(a for a in planned if not accepted[a])[:5]
        doubled = sorted(a for a in planned if accepted[a] > 1)[:5]
        result.problems.append(f"lost e.g. {lost}; doubled e.g. {doubled}")
    return result


def write_config(office: Office, *, batch_size: int, concurrency: int) -> None:
    (office.folder / "mailer.toml").write_text(
        '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{office.standin.url}"\nbatch_size = {batch_size}\nconcurrency = {concurrency}\n\n'
        f'[database]\nurl = "sqlite:///{office.log}"\n',
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=9, help="seeds the list and the kill moments")
    parser.add_argument("--batch-size", type=int, default=100, help="[sendgrid] batch_size: recipients per request")
    parser.add_argument("--concurrency", type=int, default=4, help="[sendgrid] concurrency")
    parser.add_argument("--delay", type=float, default=0.03, help="seconds the stand-in waits before answering")
    parser.add_argument(
        "--window",
        choices=("send", "requests"),
        default="send",
        help="kill anywhere in the send, start-up included (default), or only while its requests go out (timed from the first)",
    )
    args = parser.parse_args()

    list_path = DATA / f"press-crash-{args.recipients}-{args.seed}.csv"
    if not list_path.exists():
        generate(list_path, args.recipients, seed=args.seed)

    standin = StandIn(validate=False)
    standin.start()
    with tempfile.TemporaryDirectory(prefix="mailer-crash-") as tmp:
        folder = Path(tmp)
        for name in ("releases", "templates"):
            shutil.copytree(ROOT / name, folder / name)
        office = Office(folder, standin, list_path, args.delay)
        write_config(office, batch_size=args.batch_size, concurrency=args.concurrency)

        total, first, last, requests = calibrate(office)
        print(
            f"{args.recipients:,} recipients, {requests} requests of {args.batch_size}, concurrency {args.concurrency}, "
            f"stand-in answers after {args.delay * 1000:.0f} ms; seed {args.seed}"
        )
        print(f"uninterrupted send: {total:.2f} s (first request at {first:.2f} s, last at {last:.2f} s, then the log is closed)")
        span = total if args.window == "send" else last - first
        since = "its start" if args.window == "send" else "its first request reached the stand-in"
        print(f"{args.rounds} rounds, kill -9 at a moment uniform over 0 .. {span:.2f} s after {since}\n")

        rng = random.Random(args.seed)
        # Stratified: one moment in each of `rounds` equal slices (so both ends are drawn), in random order.
        moments = [(i + rng.random()) / args.rounds * span for i in range(args.rounds)]
        rng.shuffle(moments)
        header = (
            f"{'round':>5} {'kill at':>8}  {'phase':<20} {'flying':>7} {'resumes':>7} {'unknown':>7} "
            f"{'by events':>9} {'resent':>6} {'left':>4} {'lost':>4} {'doubled':>7} {'wall':>6}"
        )
        print(header)
        print("-" * len(header))
        results: list[Round] = []
        started = time.monotonic()
        for number, moment in enumerate(moments, 1):
            result = one_round(office, number, moment, requests, args.recipients, folder, from_first_request=args.window == "requests")
            results.append(result)
            print(
                f"{number:5d} {moment:7.3f}s  {result.phase:<20} {result.in_flight:7d} {result.resumes:7d} "
                f"{result.unknown_after_resume:7d} {result.settled_by_events:9d} {result.resent:6d} {result.unknown_left:4d} "
                f"{result.lost:4d} {result.doubled:7d} {result.wall:5.1f}s",
                flush=True,
            )
            for problem in result.problems:
                print(f"      ! {problem}", flush=True)
        elapsed = time.monotonic() - started
    standin.stop()

    walls = [r.wall for r in results]
    lost, doubled = sum(r.lost for r in results), sum(r.doubled for r in results)
    unknown, left = sum(r.unknown_after_resume for r in results), sum(r.unknown_left for r in results)
    print()
    print(f"phases:      {dict(Counter(r.phase.split(' ')[0] if r.phase.startswith('mid') else r.phase for r in results))}")
    print(
        f"unknown after resume: {unknown:,} in {sum(1 for r in results if r.unknown_after_resume)} rounds; "
        f"settled by events {sum(r.settled_by_events for r in results):,}, resent {sum(r.resent for r in results):,}, left {left:,}"
    )
    print(
        f"round wall:  min {min(walls):.1f} s, median {statistics.median(walls):.1f} s, max {max(walls):.1f} s; all rounds {elapsed:.0f} s"
    )
    print(f"stray:       {sum(r.stray for r in results)} accepted addresses outside the plan")
    verdict = "OK" if not (lost or doubled or left) else "FAILED"
    print(f"TOTAL        lost {lost}, doubled {doubled}, unknown left {left}   target 0 lost, 0 doubled   {verdict}")
    if lost or doubled or any(r.problems for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
