"""A press office as the command-line tests drive it: a folder holding the example release, its
templates, the lists and a beat list, with a mailer.toml pointing at the SendGrid stand-in and a
delivery log; ``mailer`` runs one command in it through click's CliRunner."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from conftest import ROOT, example, without_log_line
from send_fixtures import mailer_process, send_running
from sqlalchemy import Engine

from mailer.cli import main

KEY = "SG.standin-key.secret"
BEAT = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\nben@gazette.example,Ben,Okafor,The Gazette\n"
SENDER = 'postal_address = "1 Hive Road, Riverbend, ST 00000"'
SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
ONE_BY_ONE = "retries = 0\nconcurrency = 1\n"  # [sendgrid]: one request at a time, none tried again
# Six journalists, one request each (with batch_size=1).
SIX = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i}.example,Jo{i},Doe,Paper {i}\n" for i in range(6))


def mailer(*args: str, key: str | None = KEY, input: str | None = None) -> Result:
    """``mailer ARGS`` in the current folder, the API key (``key``) in the environment."""
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": key} if key else {}, input=input)


def office(
    project: Path,
    standin: Any,
    db_url: str,
    *,
    beat: str = BEAT,
    list_name: str = "beat.csv",
    batch_size: int = 10,
    sendgrid: str = "",
    sender: str = SENDER,
) -> Path:
    """``project`` made an office folder: releases, templates and lists copied, ``beat`` written to
    lists/``list_name``, mailer.toml for the stand-in (``sendgrid``: more lines of its section)."""
    for name in ("releases", "templates", "lists"):
        shutil.copytree(example(name), project / name, dirs_exist_ok=True)
    (project / "lists" / list_name).write_text(beat, encoding="utf-8")
    write_config(project, standin, db_url, sender=sender, sendgrid=sendgrid, batch_size=batch_size)
    return project


def write_config(project: Path, standin: Any, db_url: str, *, sender: str = SENDER, sendgrid: str = "", batch_size: int = 10) -> None:
    """``project``/mailer.toml: [sender] ``sender``, [sendgrid] at the stand-in, the staff list, the log at ``db_url``."""
    (project / "mailer.toml").write_text(
        f"[sender]\n{sender}\n\n"
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = {batch_size}\n{sendgrid}\n'
        f'[lists]\nstaff = "lists/staff.csv"\n\n[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )


def mailed(standin: Any) -> list[str]:
    """Every address the stand-in accepted a request for, in order (with repeats)."""
    return [p["to"][0]["email"].lower() for r in standin.mail_sends if r.status in (200, 202) for p in r.body["personalizations"]]


def campaign_of(result: Result) -> str:
    """The campaign id a send's output names."""
    match = re.search(r"^(?:Test campaign|Campaign) (\S+):", result.output, re.MULTILINE)
    assert match, result.output
    return match.group(1)


def said(result: Result) -> str:
    """A command's output on one line, as a reader takes it in."""
    return " ".join(result.output.split())


def whole_log(db_url: str) -> str:
    """Every row of every table of the delivery log, as text (what anyone reading the log can see)."""
    import json

    from sqlalchemy import select

    from mailer.store import connect
    from mailer.store.schema import metadata

    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return "\n".join(
                json.dumps([str(value) for value in row], ensure_ascii=False)
                for table in metadata.sorted_tables
                for row in connection.execute(select(table))
            )
    finally:
        engine.dispose()


def rows_in_parts(db_url: str) -> int:
    """Rows of plans the log at ``db_url`` still keeps in parts (store/plan_parts.py)."""
    from sqlalchemy import func, select

    from mailer.store import connect
    from mailer.store.schema import plan_part

    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.coalesce(func.sum(plan_part.c.rows), 0))) or 0)
    finally:
        engine.dispose()


def planned_in_parts(project: Path, db_url: str) -> str:
    """The example release's plan for ``project``/lists/beat.csv written to the log as a send writes
    it, not sent: for a list of 20,000 rows or more, its first rows and the rest kept in parts, as a
    run under way (or killed) has it. The campaign's id."""
    from send_fixtures import example_rendered

    from mailer import contacts
    from mailer.models import Mode
    from mailer.send import delivery
    from mailer.send import plan as plan_module
    from mailer.store import connect

    built = plan_module.build(example_rendered(), contacts.load([project / "lists" / "beat.csv"]))
    engine = connect(db_url)
    try:
        recorded = delivery.record(engine, built, mode=Mode.LIVE, slug="parts", lists=["beat.csv"], filters={}, sender={})
        assert recorded.parts is not None  # the test is about a plan kept in parts
    finally:
        engine.dispose()
    return recorded.campaign_id


def killed(tmp_path: Path, standin: Any, until: Callable[[], bool], args: tuple[str, ...] = SEND) -> str:
    """``mailer ARGS`` in a process of its own, killed with SIGKILL once ``until()`` holds (and a
    moment more, for its request to be listed in flight): the campaign's id."""
    with send_running(tmp_path, standin, KEY, args) as process:
        deadline = time.time() + 30
        while not until() and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    standin.settle()  # what it had sent is recorded now, not after the clearing (a loaded machine)
    standin.scripts.clear()  # SendGrid answers again, the batch id of a scheduled send kept
    standin.requests.clear()
    listed = mailer("campaigns")
    match = re.search(r"^(\d{4}-\d\d-\d\d-example)\s", listed.output, re.MULTILINE)
    assert match, listed.output
    return match.group(1)


class Bars:
    """Records the progress bars a command asks for (CliRunner is no terminal, so none is drawn):
    stand in for ``mailer.cli.output.progress`` with monkeypatch."""

    def __init__(self) -> None:
        self.bars: list[tuple[str, int | None, list[int]]] = []

    def __call__(self, description: str, total: int | None) -> Any:
        from contextlib import contextmanager

        steps: list[int] = []
        self.bars.append((description, total, steps))

        @contextmanager
        def bar() -> Any:
            yield lambda amount=1: steps.append(amount)

        return bar()


def stopped_after(tmp_path: Path, standin: Any, db_url: str, *args: str, accepted: int = 2, beat: str = SIX, sendgrid: str = "") -> str:
    """``mailer send ... ARGS`` of ``beat`` (six journalists), one request each, SendGrid answering
    503 from request ``accepted + 1`` on, nothing tried again: the send stops with ``accepted``
    journalists accepted and the rest planned (exit 1). ``sendgrid``: more [sendgrid] lines
    ("sandbox = true\n"). The campaign's id."""
    office(tmp_path, standin, db_url, beat=beat, batch_size=1, sendgrid=ONE_BY_ONE + sendgrid)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= accepted + 1)
    stopped = mailer(*SEND, *args)
    assert stopped.exit_code == 1, stopped.output
    return campaign_of(stopped)


def page_text(path: Path) -> str:
    """An HTML page's words as a reader sees them, cells separated by " | "."""
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    text = re.sub(r"</t[dh]>", " | ", text)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", text).split()))


def release_named(project: Path, name: str) -> str:
    """A copy of the example release as releases/NAME.md, its subject marked with NAME."""
    release = project / "releases" / "example.md"
    (project / "releases" / f"{name}.md").write_text(
        release.read_text(encoding="utf-8").replace('subject: "Riverbend', f'subject: "{name}: Riverbend'), encoding="utf-8"
    )
    return f"releases/{name}.md"


def opening_line(project: Path, line: str) -> None:
    """releases/example.md of ``project`` with ``line`` as its body's first paragraph (just after the front matter)."""
    release = project / "releases" / "example.md"
    head, body = release.read_text(encoding="utf-8").split("---\n", 2)[1:]
    release.write_text(f"---\n{head}---\n{line}\n\n{body}", encoding="utf-8")


@contextmanager
def send_under_way(project: Path, standin: Any, db_url: str, *, slow: float) -> Iterator[None]:
    """``mailer send`` of six journalists, one request at a time, running in a process of its own
    with SendGrid answering after ``slow`` seconds from the third request: inside, two requests
    have gone and the send is still going. Only that process's connection is slowed: a send made
    inside the block is answered at once (it waited ``slow`` seconds too; fdleak28)."""
    office(project, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")

    def the_other_process(recorded: Any) -> bool:
        sends = standin.mail_sends
        return len(sends) >= 2 and recorded.peer in {sent.peer for sent in sends[:2]}

    standin.slow(slow, match=the_other_process)
    with send_running(project, standin, KEY, SEND):
        deadline = time.time() + 30
        while len(standin.mail_sends) < 2 and time.time() < deadline:
            time.sleep(0.02)
        yield


def page_heading(path: Path) -> str:
    """The words of a report page above "report made": its campaign line (sent, started, cancelled)."""
    return page_text(path).split("report made", 1)[0]


def cancel_cut_off(folder: Path, standin: Any, campaign_id: str, sig: int = signal.SIGKILL) -> str:
    """`mailer cancel CAMPAIGN` in a process of its own, sent ``sig`` while SendGrid takes its time
    answering the cancel (held until the process has ended, however loaded the machine; it takes it
    all the same): the process's standard error, on one line."""

    released = standin.hold(path="/v3/user/scheduled_sends")
    process = mailer_process(folder, KEY, "cancel", campaign_id, interruptible=True)
    try:
        deadline = time.time() + 30
        while not any(r.path == "/v3/user/scheduled_sends" for r in standin.requests):
            assert time.time() < deadline and process.poll() is None, process.communicate()
            time.sleep(0.02)
        time.sleep(0.2)  # back waiting for the answer
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
    finally:
        released.set()
    return " ".join(err.split())


def stopped_half_way(standin: Any) -> Result:
    """`mailer send` of the office's list (``SEND``), SendGrid answering 503 from its third request
    on: it stops with two requests accepted (a large plan's rest left in parts). Its result."""
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1, stopped.output
    standin.reset()
    standin.validate = False
    return stopped


def scheduled_stopped_half_way(folder: Path, standin: Any, db_url: str) -> tuple[str, datetime]:
    """The README's beat list scheduled two hours ahead, one journalist a request, SendGrid answering
    503 for Ben's: the send stops after Ana's. (campaign, its time)."""
    import json
    from datetime import UTC, timedelta

    office(folder, standin, db_url, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    standin.answer(503, times=1, match=lambda recorded: "ben@gazette.example" in json.dumps(recorded.body))
    at = datetime.now(UTC) + timedelta(hours=2)
    sent = mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code != 0 and mailed(standin) == ["ana@daily.example"], sent.output
    return campaign_of(sent), at


def run_with_log(log: Engine | None, *args: str) -> tuple[int, str]:
    """``mailer ARGS`` in the current office folder, its mailer.toml naming ``log`` (None: as it is):
    (exit code, output without the "Log:" line)."""
    if log is not None:
        Path("mailer.toml").write_text(f'[database]\nurl = "{log.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, without_log_line(result.output)


def imported(log: Engine, *events: dict[str, object]) -> None:
    """The events through `mailer events import`, as an office loads a file SendGrid's events were saved to."""
    Path("events.json").write_text(json.dumps(list(events)), encoding="utf-8")
    code, out = run_with_log(log, "events", "import", "events.json")
    assert code == 0, out


def names_sent(standin: Any, addresses: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each of ``addresses`` -> the (first name, last name) its Mail Send substitutions carried (one value each)."""
    greeted = {p["to"][0]["email"]: p for r in standin.mail_sends for p in r.body["personalizations"]}
    found = {}
    for address in addresses:
        fields = greeted[address]["substitutions"]
        firsts = {value for key, value in fields.items() if ".first_name." in key}
        lasts = {value for key, value in fields.items() if ".last_name." in key}
        assert len(firsts) == 1 and len(lasts) == 1, (address, fields)
        found[address] = (firsts.pop(), lasts.pop())
    return found


def proof_of_a_fix_after_scheduling_warns(project: Path, *proof: str) -> None:
    """The example release scheduled 3 hours ahead to lists/beat.csv (2 journalists): ``mailer PROOF``
    says nothing of it; a figure in the release fixed, the same proof says the journalists get the
    earlier text, and how to send the fixed one instead."""
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    same = mailer(*proof)
    assert same.exit_code == 0 and "Warning" not in same.output, same.output
    release = project / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("412 volunteers", "512 volunteers"), encoding="utf-8")
    fixed = mailer(*proof)
    assert fixed.exit_code == 0, fixed.output
    assert (
        f"Warning: This proof is not what journalists get: SendGrid holds {campaign_id}, an earlier version of this "
        f"release, for 2 journalists, to deliver at {at:%Y-%m-%d %H:%M} UTC. "
        f"To send this version instead: mailer cancel {campaign_id} (up to 10 minutes before its time), then send again."
    ) in said(fixed), fixed.output


def agency_release(project: Path, extra: str) -> Path:
    """An agency's folder (made, or written again): its release names its own template, kit.html.j2, the
    built-in one with ``extra`` added."""
    folder = project / "agency"
    folder.mkdir(exist_ok=True)
    text = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    (folder / "pitch.md").write_text(text.replace("---\n", "---\ntemplate: kit\n", 1), encoding="utf-8")
    html = (ROOT / "templates" / "release.html.j2").read_text(encoding="utf-8")
    (folder / "kit.html.j2").write_text(html.replace("</body>", f"{extra}\n</body>"), encoding="utf-8")
    for suffix in ("txt.j2", "css"):
        (folder / f"kit.{suffix}").write_text((ROOT / "templates" / f"release.{suffix}").read_text(encoding="utf-8"), encoding="utf-8")
    return folder / "pitch.md"


GREETING = (
    '---\nsubject: "Bee census"\n---\nDear {{ contact.first_name | default("colleague") }},\n\nThe census counted 1.2 million bees.\n'
)


def texts_sent(standin: Any) -> dict[str, str]:
    """Each journalist's address -> the plain-text part she got, her substitutions made."""
    texts = {}
    for request in standin.mail_sends:
        text = next(part["value"] for part in request.body["content"] if part["type"] == "text/plain")
        for personalization in request.body["personalizations"]:
            mine = text
            for key, value in personalization.get("substitutions", {}).items():
                mine = mine.replace(key, value)
            texts[personalization["to"][0]["email"]] = mine
    return texts


def greeted_as(project: Path, standin: Any, db_url: str, rows: Iterable[tuple[str, str, str]]) -> None:
    """Each (name cell, address, greeting) row of a Name,Email list sent GREETING: its text reads "Dear GREETING,"."""
    rows = list(rows)
    office(project, standin, db_url, beat="Name,Email\n" + "".join(f"{name},{email}\n" for name, email, _ in rows))
    (project / "releases" / "greet.md").write_text(GREETING, encoding="utf-8")
    sent = mailer("send", "releases/greet.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    texts = texts_sent(standin)
    for name, email, greeting in rows:
        assert f"Dear {greeting}," in texts[email], (name, texts[email])
