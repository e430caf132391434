"""Review 20a: a large send's plan kept in parts (store/plan_parts.py) written for several
requests at once (498d62f), and the commands that write a stopped send's parts first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailer, office, rows_in_parts, stopped_half_way
from send_fixtures import until_sessions
from sqlalchemy import select

from mailer.cli import output
from mailer.send.parts import WRITING
from mailer.store import connect
from mailer.store.schema import campaign, message

ROWS = 25_000  # over delivery.IN_PARTS_FROM: the plan is kept in parts
BIG = "Email,First Name,Last Name\n" + "".join(f"j{i}@paper{i % 50}.example,Jo{i},Doe\n" for i in range(ROWS))


@pytest.fixture(autouse=True)
def _in_office(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000, sendgrid="retries = 0\nconcurrency = 8\n")
    standin.validate = False  # requests of 1,000: the schema check would take most of the test; the limits stay checked
    yield
    standin.validate = True


class Witness:
    """As each request reaches the stand-in: whether each of its journalists' rows is in the log
    (committed) and her request listed in flight (promises 1 and 2)."""

    def __init__(self, db_url: str) -> None:
        self.engine = connect(db_url)
        self.broken: list[str] = []
        self.seen = 0
        self.lock = threading.Lock()

    def __call__(self, recorded: Any) -> bool:
        keys = [p["custom_args"]["message"] for p in recorded.body["personalizations"]]
        with self.lock, self.engine.connect() as connection:
            self.seen += 1
            query = select(message.c.message_key, message.c.request_no).where(message.c.message_key.in_(keys))
            found = dict(connection.execute(query).all())
            listed = {n for (row,) in connection.execute(select(campaign.c.in_flight)) for n in (row or [])}
        missing = [key for key in keys if key not in found]
        unlisted = {found[key] for key in keys if key in found} - listed
        if missing or unlisted:
            self.broken.append(f"a request of {len(keys)}: {len(missing)} rows not in the log, requests {sorted(unlisted)} not listed")
        return False  # the stand-in answers as usual


@pytest.mark.parametrize("trouble", ["none", "413", "400"])
def test_each_journalist_s_row_is_in_the_log_before_her_request_leaves_eight_at_a_time(trouble: str, db_url: str, standin: Any) -> None:
    """498d62f writes the parts of the requests listed together in one transaction: at concurrency
    8, with SendGrid splitting requests (413: halves go again) or refusing one journalist of some
    (400: the others go again), every journalist's row is in the log, her request listed in flight,
    when her request reaches SendGrid."""
    witness = Witness(db_url)
    try:
        standin.slow(0.0, match=witness)
        if trouble == "413":
            standin.answer(413, times=3, match=lambda r: len(r.body["personalizations"]) == 1000)
        if trouble == "400":
            body = {"errors": [{"field": "personalizations.0.to", "message": "Does not contain a valid address."}]}
            standin.answer(400, times=3, body=body, match=lambda r: len(r.body["personalizations"]) == 1000)
        sent = mailer(*SEND)
        assert sent.exit_code == (3 if trouble == "400" else 0), sent.output
        assert witness.seen >= ROWS // 1000 and witness.broken == []
        assert rows_in_parts(db_url) == 0
    finally:
        witness.engine.dispose()


def test_a_resume_whose_journalists_a_colleague_called_off_while_its_question_waited_says_so(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer resume` of a send stopped half-way asked "Send ... to those 4 journalists?"; meanwhile
    a colleague ran `mailer cancel` of it, which called them off. "y" then said "Nothing sent: those
    4 journalists were mailed by another process (a colleague's resume, or another terminal)": the
    press officer read that they had the release, when nobody had mailed them. It says they were
    called off, and how a new send reaches them."""
    from office_cli import KEY, stopped_after
    from send_fixtures import in_another_terminal

    from mailer.cli import send as send_cli

    campaign_id = stopped_after(tmp_path, standin, db_url)
    standin.reset()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)

    def colleague_cancels_then_yes(question: str, **_: Any) -> bool:
        cancelled = in_another_terminal(tmp_path, KEY, "cancel", campaign_id)
        assert cancelled.returncode == 0 and "Called off the rest" in cancelled.stdout, cancelled
        return True

    monkeypatch.setattr(output, "confirm", colleague_cancels_then_yes)
    resumed = mailer("resume", campaign_id)
    words = " ".join(resumed.output.split())
    assert resumed.exit_code == 0, words
    assert not standin.mail_sends
    assert "mailed by another process" not in words, words
    assert (
        "Nothing sent: those 4 journalists were called off (mailer cancel, in another terminal or by a colleague) "
        "while the question waited, so this resume mailed nobody." in words
    ), words


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", ["status", "report"])
def test_a_read_only_log_shows_no_bar_for_parts_it_cannot_write(
    command: str, tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a read-only copy of the log, after a send of 25,000 stopped half-way, `mailer status` (and
    `mailer report --kind recipients`) drew "Writing the rest of the plan to the delivery log" and
    left it on screen at 0/23,000: nothing could be written, and nothing was. No bar now; status
    counts those journalists as planned and the report says whom it leaves out, as before."""
    from office_cli import Bars, write_config

    campaign_id = campaign_of(stopped_half_way(standin))
    left = rows_in_parts(db_url)
    assert left
    write_config(tmp_path, standin, f"sqlite:///file:{db_url.removeprefix('sqlite:///')}?mode=ro&uri=true", batch_size=1000)
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    args = (campaign_id,) if command == "status" else (campaign_id, "--kind", "recipients", "--format", "csv", "-o", "-")
    done = mailer(command, *args)
    assert done.exit_code == 0, done.output
    assert [bar for bar in bars.bars if bar[0] == WRITING] == [], bars.bars
    assert rows_in_parts(db_url) == left
    if command == "status":
        assert " planned" in " ".join(done.output.split()), done.output


@pytest.mark.parametrize("refusal", [400, 413])
def test_a_large_send_whose_first_request_sendgrid_refuses_mails_everyone_else_once(
    refusal: int, tmp_path: Path, standin: Any, db_url: str
) -> None:
    """A send of 25,000: SendGrid refused the first request for one bad address (400, naming
    personalizations.0), and "The other 999 recipients go again as request 10". The plan's own
    request 10, its rows still in a part, had that number already: once written, its 1,000
    journalists were counted accepted with the 999, and the send never mailed them ("Accepted:
    24,999"). So with a request too large (413), whose second half took number 10. A request a
    run adds is numbered after the plan's last one: everyone but the refused journalist is mailed once."""
    from collections import Counter

    from office_cli import mailed

    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000, sendgrid="retries = 0\nconcurrency = 1\n")
    body = {"errors": [{"field": "personalizations.0.to", "message": "Does not contain a valid address."}]}
    standin.answer(refusal, times=1, body=body if refusal == 400 else None)
    sent = mailer(*SEND)
    words = " ".join(sent.output.split())
    refused = {"j0@paper0.example"} if refusal == 400 else set()
    everyone = {f"j{i}@paper{i % 50}.example" for i in range(ROWS)} - refused
    assert Counter(mailed(standin)) == Counter(dict.fromkeys(everyone, 1))
    assert f"Accepted: {len(everyone):,} failed: {len(refused)}" in words, words
    if refusal == 400:
        assert "The other 999 recipients go again as request 26." in words, words


def test_contact_shows_the_bar_while_it_writes_a_stopped_send_s_parts(standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a send of 25,000 stopped half-way, `mailer contact` of a journalist sat silent while it
    wrote the rows the send left in parts (seconds at 300,000), where status, resume, cancel and
    forget show "Writing the rest of the plan to the delivery log". So does contact, ending full,
    and shows her not sent yet."""
    from office_cli import Bars

    campaign_id = campaign_of(stopped_half_way(standin))
    left = rows_in_parts(db_url)
    assert left
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    found = mailer("contact", "j24998@paper48.example")
    assert found.exit_code == 0, found.output
    assert [(description, total, sum(steps)) for description, total, steps in bars.bars] == [(WRITING, left, left)]
    assert rows_in_parts(db_url) == 0
    assert campaign_id in found.output and "not sent yet" in found.output, found.output


@pytest.mark.parametrize("command", [("campaigns",), ("report", "--overview")])
def test_a_read_command_on_a_log_a_newer_version_upgraded_says_it_does_not_open_it(command: tuple[str, ...], db_url: str) -> None:
    """`mailer campaigns` (or a report) on a log a colleague's newer press-mailer had upgraded said
    "... so this one must not write to it.": the press officer, who only wanted to read, was left
    wondering why it refused and whether reading was safe. It says it does not open it at all, not
    even to read, and why; the hint (update press-mailer) is unchanged."""
    from mailer.store.upgrade import SCHEMA_VERSION

    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"UPDATE schema_info SET version = {SCHEMA_VERSION + 1}")
    finally:
        engine.dispose()
    refused = mailer(*command)
    words = " ".join(refused.output.split())
    assert refused.exit_code == 1, words
    assert "must not write" not in words, words
    assert (
        f"Error: This delivery log was upgraded by a newer press-mailer (log version {SCHEMA_VERSION + 1}; this press-mailer "
        f"knows up to {SCHEMA_VERSION}), so this one does not open it, not even to read: it could misread what the newer "
        "version wrote, or write what that one does not expect." in words
    ), words
    assert "Update press-mailer on this computer to your colleagues' version" in words, words


@pytest.mark.parametrize(
    "ending", ["normal", "ctrl-c", "ctrl-c after a cancel seen", "refused key", "lost lease", "cancel seen", "log failed"]
)
def test_a_large_send_gives_its_parts_connection_back_however_it_ends(
    ending: str, tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`delivery.run` keeps one connection for writing the plan's parts while it sends (its commits do
    not wait for the disk): it is given back however the run ends, and the parts are finished or
    left as each ending wants (all written at a normal end and at a cancel given elsewhere; left
    for `mailer resume` after Ctrl-C, a refused key, a lost lease, a failing log; review 20a, leftover e)."""
    from contextlib import contextmanager

    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from mailer.config import Config
    from mailer.models import CampaignStatus
    from mailer.send import campaign as campaign_module
    from mailer.send.parts import PlanParts
    from mailer.store import messages
    from mailer.store.schema import LEASE_HOLDER_MARK

    config = Config.model_validate(
        {
            "sender": {"postal_address": "1 Hive Road, Riverbend, ST 00000"},
            "sendgrid": {"api_url": standin.url, "batch_size": 1000, "retries": 0, "concurrency": 2},
        }
    )
    engine = connect(db_url)
    other = connect(db_url)
    try:

        def meanwhile(recorded: Any) -> bool:
            if len(standin.mail_sends) == 3:
                with other.begin() as connection:
                    if ending == "lost lease":
                        connection.execute(update(campaign).values(lease_holder=f"{LEASE_HOLDER_MARK}someone-else"))
                    if ending in ("cancel seen", "ctrl-c after a cancel seen"):
                        connection.execute(update(campaign).values(status=CampaignStatus.CANCELLED.value))
            return False

        standin.slow(0.0, match=meanwhile)
        if ending == "refused key":
            standin.answer(401, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
        if ending == "log failed":
            marked = messages.mark_request
            calls = []

            def failing(*args: Any, **kwargs: Any) -> int:
                calls.append(1)
                if len(calls) == 2:
                    raise OperationalError("UPDATE message", {}, Exception("disk I/O error"))
                return marked(*args, **kwargs)

            monkeypatch.setattr(messages, "mark_request", failing)
        if ending == "ctrl-c after a cancel seen":  # while it writes the rest of the plan, to call it off

            def interrupted(_parts: PlanParts) -> None:
                raise KeyboardInterrupt

            monkeypatch.setattr(PlanParts, "finish", interrupted)

        made: list[PlanParts] = []  # kept alive here: a connection collected with them would go back to the pool on its own
        after = PlanParts.after

        def kept(*args: Any, **kwargs: Any) -> PlanParts:
            made.append(after(*args, **kwargs))
            return made[-1]

        monkeypatch.setattr(PlanParts, "after", kept)

        @contextmanager
        def progress(description: str, _total: int | None) -> Iterator[Any]:
            def advance(_amount: int = 1) -> None:
                if ending == "ctrl-c" and description == "Sending" and len(standin.mail_sends) >= 3:
                    raise KeyboardInterrupt

            yield advance

        prepared = campaign_module.prepare_send(engine, config, Path("releases/example.md"), [Path("lists/beat.csv")])
        try:
            campaign_module.start(engine, config, prepared, environ={"SENDGRID_API_KEY": standin.api_key}, progress=progress)
        except BaseException as exc:  # noqa: BLE001 - each ending raises its own error, or none
            raised: BaseException | None = exc
        else:
            raised = None
        assert len(made) == 1 and engine.pool.checkedout() == 0, f"{ending}: the parts' connection was not given back"
        left = rows_in_parts(db_url)
        if ending in ("normal", "cancel seen"):
            assert left == 0, (ending, left, raised)
        else:
            assert left > 0, (ending, raised)
        assert (raised is None) == (ending in ("normal", "ctrl-c")), (ending, raised)
    finally:
        engine.dispose()
        other.dispose()


@pytest.mark.sqlite_only
def test_forget_after_a_large_send_leaves_no_readable_copy_in_a_40_mb_log(db_url: str, standin: Any) -> None:
    """Since 498d62f the write-ahead file is copied into the log only past 10,000 pages (40 MB), so
    after a send of 25,000 it holds some 20 MB of the send's pages. `mailer forget` of a journalist
    whose row came from a part still folds it back: neither file keeps her address (but in the
    suppression record) or her name."""
    # A colleague's `mailer webhook` has the log open throughout: SQLite folds the write-ahead file
    # back and deletes it when the last connection closes, as each command's does now when it ends (fdleak28).
    keeper = connect(db_url)
    try:
        with keeper.connect() as webhook:
            webhook.execute(select(campaign.c.id)).all()
            sent = mailer(*SEND)
            assert sent.exit_code == 0, sent.output
            path = Path(db_url.removeprefix("sqlite:///"))
            assert Path(f"{path}-wal").stat().st_size > 10_000_000  # the test is about a long write-ahead file
            address = "j24999@paper49.example"
            forgotten = mailer("forget", address, "--yes")
            assert forgotten.exit_code == 0 and "Another program" not in forgotten.output, forgotten.output
            on_disk = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))).lower()
            assert on_disk.count(address.encode()) == 2 and b'"jo24999"' not in on_disk
    finally:
        keeper.dispose()


@pytest.mark.sqlite_only
def test_the_webhook_s_own_checkpoint_still_applies(db_url: str) -> None:
    """Every connection to an SQLite log gets checkpoint.AUTOCHECKPOINT (10,000 pages) since 498d62f;
    `mailer webhook` tunes its own to WAL_PAGES (200 MB), which still wins."""
    import gc
    import sys

    from mailer.events import webhook
    from mailer.store import checkpoint

    engine = connect(db_url)
    threshold, switch = gc.get_threshold(), sys.getswitchinterval()  # tune_for_ingest sets them for the process
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == checkpoint.AUTOCHECKPOINT
        webhook.tune_for_ingest(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == webhook.WAL_PAGES
    finally:
        engine.dispose()
        gc.unfreeze()
        gc.set_threshold(*threshold)
        sys.setswitchinterval(switch)


@pytest.mark.parametrize("first", ["cancel", "resume"])
def test_a_cancel_and_a_resume_of_a_stopped_large_send_started_together_wait_for_each_other(
    first: str, tmp_path: Path, standin: Any, db_url: str
) -> None:
    """Review 19r's leftover: a `mailer cancel` writing a stopped send's parts as a `mailer resume`
    takes its lease might end in "database is locked". Two real processes started together, either
    first: each waits for the other's writing (or says plainly the other has the send), neither
    says "locked", and nobody is mailed twice."""
    import os
    import subprocess
    import sys
    import time
    from collections import Counter

    from office_cli import KEY, mailed

    campaign_id = campaign_of(stopped_half_way(standin))
    commands = {"cancel": ("cancel", campaign_id), "resume": ("resume", campaign_id, "--yes")}
    order = [first, "resume" if first == "cancel" else "cancel"]
    started = []
    for name in order:
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "mailer", *commands[name]],
                cwd=tmp_path,
                env={**os.environ, "SENDGRID_API_KEY": KEY},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        time.sleep(0.1)
    said = [process.communicate(timeout=120) for process in started]
    words = " ".join(" ".join(out + err for out, err in said).split())
    assert "locked" not in words.lower() and "Traceback" not in words, words
    assert all(process.returncode in (0, 1) for process in started), words
    assert max(Counter(mailed(standin)).values(), default=1) == 1


@pytest.mark.parametrize("answered_first", [0, 8], ids=["first-eight-out", "eight-answered-next-eight-out"])
def test_a_large_send_killed_eight_requests_at_a_time_is_resumed_without_anyone_twice_or_left_out(
    answered_first: int, tmp_path: Path, standin: Any, db_url: str
) -> None:
    """Promise 1 with the parts of eight requests written together (498d62f): `mailer send` at
    concurrency 8, killed (SIGKILL) part-way while eight requests are with SendGrid (its first eight;
    or the next eight, once SendGrid answered the first); every request that reached SendGrid had its
    journalists' rows in the log, listed in flight, so `mailer resume` mails every other journalist
    once and none of those (unknown: their requests were out when it was killed).

    The stage is seen, not timed (a loaded machine once killed it elsewhere): the stand-in holds
    each request after the first ``answered_first`` until the send is killed."""
    import os
    import signal
    import time
    from collections import Counter

    from office_cli import KEY, mailed
    from send_fixtures import send_running

    released = standin.hold(times=1_000, match=lambda r: len(standin.mail_sends) > answered_first)
    with send_running(tmp_path, standin, KEY, SEND) as process:
        deadline = time.monotonic() + 60
        while len(standin.mail_sends) < answered_first + 8:  # eight requests at once with SendGrid, unanswered
            assert time.monotonic() < deadline and process.poll() is None, f"{len(standin.mail_sends)} requests reached SendGrid"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    released.set()
    standin.settle()  # whatever the killed send had sent is recorded now, not after the reset (as the resume's)
    _settle_killed_sessions(db_url)  # and its database session has ended (a COMMIT it sent is done)
    assert len(standin.mail_sends) == answered_first + 8, "the send sent more requests than concurrency 8 allows"
    out = {to["email"].lower() for r in standin.mail_sends for p in r.body["personalizations"] for to in p["to"]}
    standin.reset()
    standin.validate = False
    answered = _addresses_in(db_url, "accepted")  # the killed send logged SendGrid's answer
    assert len(answered) <= answered_first * 1000, "SendGrid's answer to a request it held was logged accepted"
    campaign_id = mailer("campaigns").output.splitlines()[-1].split()[0]
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code in (0, 3), resumed.output
    everyone = {f"j{i}@paper{i % 50}.example" for i in range(ROWS)}
    # Every request out when the send was killed is unknown to the resume, never mailed again; so is
    # one listed in flight whose body the stand-in had not wholly read (or the send had not wholly
    # sent) when it was killed. SendGrid answered the first ``answered_first`` before the kill, but
    # the send may have been killed before it logged some of the answers: those are unknown too.
    unknown = _addresses_in(db_url, "unknown")
    assert out <= answered | unknown, "a journalist whose request was out was neither accepted nor left unknown"
    assert Counter(mailed(standin)) == Counter(dict.fromkeys(everyone - answered - unknown, 1))
    assert rows_in_parts(db_url) == 0


def _settle_killed_sessions(db_url: str) -> None:
    """On PostgreSQL, wait until no session of the test's schema but this one is in a transaction or
    a query: a killed client's server session finishes what it had received (a COMMIT too) and then
    ends, maybe after the client is gone."""
    if db_url.startswith("postgresql"):
        until_sessions(db_url, "pid <> pg_backend_pid() AND state <> 'idle'", present=False, seconds=30)


def _addresses_in(db_url: str, state: str) -> set[str]:
    from sqlalchemy import select

    from mailer.store import connect
    from mailer.store.schema import message

    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return {str(email).lower() for email in connection.scalars(select(message.c.email).where(message.c.state == state))}
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
def test_status_waiting_for_the_log_to_write_a_stopped_send_s_parts_says_so(
    standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer status` of a send of 25,000 stopped half-way, while another program holds the log's
    write lock (a colleague's cancel or forget of a million journalists writes its parts for 15 s):
    it waits to write this send's parts first, and after 2 seconds says what it waits for, as a
    command opening a busy log does, then shows the bar."""
    import sqlite3
    import time

    from office_cli import Bars

    from mailer.send import parts

    campaign_id = campaign_of(stopped_half_way(standin))
    left = rows_in_parts(db_url)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    counted, held = parts._to_write, []
    noted: list[float] = []
    said_waiting = threading.Event()
    note = output.note

    def heard(text: str, *args: Any, **kwargs: Any) -> Any:
        if text.startswith("Waiting for the delivery log"):
            noted.append(time.monotonic())
            said_waiting.set()
        return note(text, *args, **kwargs)

    def then_another_program_writes(*args: Any, **kwargs: Any) -> Any:
        found = counted(*args, **kwargs)
        if not held:  # once the log is open and status has counted the parts
            held.append(time.monotonic())
            holder.execute("BEGIN IMMEDIATE")

            def let_go() -> None:  # once status has said it waits (a loaded machine: later), 30 s at most
                said_waiting.wait(30)
                holder.rollback()

            threading.Thread(target=let_go, daemon=True).start()
        return found

    monkeypatch.setattr(output, "note", heard)
    monkeypatch.setattr(parts, "_to_write", then_another_program_writes)
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    try:
        done = mailer("status", campaign_id)
    finally:
        holder.close()
    words = " ".join(done.output.split())
    assert done.exit_code == 0, words
    assert "Waiting for the delivery log: another program is using it (Ctrl+C stops)..." in words, words
    assert noted[0] - held[0] < 5, f"said {noted[0] - held[0]:.1f} s after the log was taken"
    assert [(description, total, sum(steps)) for description, total, steps in bars.bars][:1] == [(WRITING, left, left)]
