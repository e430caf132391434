"""Values the send tests build by hand: a rendered release, contact lists, configs, a fake sleep."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mailer import compose
from mailer.compose import release
from mailer.config import Config
from mailer.models import Contact, ContactList, Mode, RejectedRow, RejectReason, Rendered
from mailer.transport.sendgrid import SendGridTransport

ROOT = Path(__file__).parent.parent


@lru_cache(maxsize=1)
def example_rendered() -> Rendered:
    """releases/example.md rendered once: it uses {{ contact.outlet | default(...) }}."""
    return compose.render(release.load(ROOT / "releases" / "example.md"), config=Config())


def rendered(**changes: Any) -> Rendered:
    """A small hand-built release without contact fields."""
    values: dict[str, Any] = {
        "release_path": "releases/hand.md",
        "content_hash": "c0ffee",
        "subject": "Bees counted",
        "preheader": "",
        "html": "<p>Bees counted</p>",
        "text": "Bees counted",
        "fields": (),
    }
    values.update(changes)
    return Rendered(**values)


def contact(email: str, row: int = 2, **fields: str) -> Contact:
    return Contact(email=email, fields={"email": email, **fields}, source="press.csv", row=row)


def contact_list(count: int, *, domain: str = "example.org", rejected: tuple[RejectedRow, ...] = ()) -> ContactList:
    people = tuple(contact(f"j{i:05d}@{domain}", i + 2, first_name=f"Jo{i}", last_name="Doe", outlet=f"Outlet {i}") for i in range(count))
    return ContactList(people, rejected, ())


def rejected(email: str, reason: RejectReason, detail: str, row: int = 99) -> RejectedRow:
    return RejectedRow(source="press.csv", row=row, email=email, reason=reason, detail=detail, cells={"Email": email})


def config_for(url: str, **sendgrid: Any) -> Config:
    """Default config pointed at the stand-in, with [sendgrid] keys changed."""
    base = Config()
    return base.model_copy(update={"sendgrid": base.sendgrid.model_copy(update={"api_url": url, **sendgrid})})


def transport_for(standin: Any, config: Config, *, key: str | None = None, clock: Any = None) -> SendGridTransport:
    extra = {"clock": clock} if clock else {}
    return SendGridTransport(
        api_key=SecretStr(key or standin.api_key),
        sendgrid=config.sendgrid,
        sender=config.sender,
        unsubscribe_tag=compose.unsubscribe_tag(config),
        **extra,
    )


class FakeSleep:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def states(engine: Any, campaign_id: str) -> Mapping[str, str]:
    """address -> state of every non-skipped row."""
    from sqlalchemy import select

    from mailer.store.schema import message

    with engine.connect() as connection:
        rows = connection.execute(
            select(message.c.email, message.c.state).where(message.c.campaign_id == campaign_id, message.c.state != "skipped")
        )
        return {email.lower(): state for email, state in rows}


def create_campaign(connection: Any, campaign_id: str, now: datetime) -> None:
    """A live campaign row with nothing but its id and time to tell it apart."""
    from mailer.store import campaigns

    campaigns.create(
        connection,
        campaign_id=campaign_id,
        release_path="r.md",
        content_hash="h",
        subject="S",
        lists=[],
        filters={},
        mode=Mode.LIVE,
        created_at=now,
    )


def example_office(folder: Path, api_url: str, *, batch_size: int, concurrency: int) -> Config:
    """``folder`` with the project's example release, lists and templates; a config sending
    requests of ``batch_size``, ``concurrency`` at once, no retries, to ``api_url`` (the stand-in)."""
    import shutil

    root = Path(__file__).parent.parent
    for name in ("releases", "lists", "templates"):
        shutil.copytree(root / name, folder / name)
    return Config.model_validate(
        {
            "sender": {"postal_address": "1 Hive Road, Riverbend, ST 00000"},
            "sendgrid": {"api_url": api_url, "batch_size": batch_size, "retries": 0, "concurrency": concurrency},
        }
    )


class ProgressBar:
    """A progress bar (``campaign.Progress``) that keeps its totals and what it was advanced by."""

    def __init__(self) -> None:
        self.totals: list[int | None] = []
        self.advanced = 0

    @contextmanager
    def __call__(self, _description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        self.totals.append(total)

        def advance(n: int = 1) -> None:
            self.advanced += n

        yield advance


def stopped_after_one_request(engine: Any, office: Config, standin: Any) -> str:
    """``campaign.start`` of the example release to the example list, SendGrid unreachable after
    its first request (503, no retries): the campaign's id, the rest of it left planned."""
    import pytest

    from mailer.errors import SendError
    from mailer.send import campaign

    prepared = campaign.prepare_send(engine, office, Path("releases/example.md"), [Path("lists/press.csv")])
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)  # every request after the first
    with pytest.raises(SendError):
        campaign.start(engine, office, prepared, environ={"SENDGRID_API_KEY": standin.api_key})
    standin.reset()
    return only_campaign_id(engine)


def only_campaign_id(engine: Any) -> str:
    """The id of the only campaign in the log."""
    from sqlalchemy import select

    from mailer.store.schema import campaign

    with engine.connect() as connection:
        [campaign_id] = connection.execute(select(campaign.c.id)).scalars()
    return str(campaign_id)


SEND_BEAT = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")


def mailer_process(folder: Path, key: str, *args: str, interruptible: bool = False, background: bool = False) -> Any:
    """``python -m mailer ARGS`` started in ``folder``, a process of its own with the API key in its
    environment; its output captured as text (``communicate()``). ``interruptible``: Ctrl-C
    (SIGINT) stops it as at a terminal, even when the shell running the tests ignores SIGINT;
    ``background``: it ignores SIGINT, as a shell starts a background job, whatever the tests' shell does."""
    import os
    import signal
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "mailer", *args],
        cwd=folder,
        env={**os.environ, "SENDGRID_API_KEY": key},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL if interruptible else signal.SIG_IGN))  # noqa: PLW1509
        if interruptible or background
        else None,
    )


def in_another_terminal(folder: Path, key: str, *args: str) -> Any:
    """``python -m mailer ARGS`` run to its end by a colleague: a process of its own in ``folder``,
    the API key in its environment; the ``subprocess.CompletedProcess`` (text output captured)."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=folder,
        env={**os.environ, "SENDGRID_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def send_running(folder: Path, standin: Any, key: str, args: tuple[str, ...] = SEND_BEAT) -> Iterator[Any]:
    """``python -m mailer ARGS`` in ``folder``, a process of its own (the API key in its
    environment), handed over once the stand-in has its first request: a send under way, for
    another terminal's command to meet. Killed on the way out if still running."""
    import time

    process = mailer_process(folder, key, *args)
    try:
        deadline = time.time() + 30
        while not standin.mail_sends:
            assert time.time() < deadline and process.poll() is None, process.communicate()
            time.sleep(0.02)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def ctrl_c_after_first_request(folder: Path, standin: Any, key: str, args: tuple[str, ...]) -> tuple[int, str, str]:
    """``python -m mailer ARGS`` in ``folder``, sent SIGINT (Ctrl-C) once the stand-in has its first
    request: (exit code, standard output, standard error)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", *args],
        cwd=folder,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SENDGRID_API_KEY": key},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - a shell may have ignored SIGINT
    )
    deadline = time.monotonic() + 30
    while not standin.mail_sends and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def until_sessions(db_url: str, where: str, *, present: bool, seconds: float, still: Callable[[], str | None] = lambda: None) -> None:
    """Until a PostgreSQL session of the test's schema (its application_name) that matches ``where``
    (SQL over pg_stat_activity) is there (``present``) or none is left: seen, not timed, as a loaded
    machine may take seconds. Fails after ``seconds``, or once ``still`` says why waiting is vain."""
    import time

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from mailer.store import connect

    engine = connect(db_url)
    query = text(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND {where}")
    try:
        deadline = time.monotonic() + seconds
        while True:
            with engine.connect() as connection:
                found = connection.scalar(query, {"name": make_url(db_url).query["application_name"]})
            if bool(found) == present:
                return
            vain = still()
            assert vain is None and time.monotonic() < deadline, vain or f"{found} sessions ({where}) after {seconds} s"
            time.sleep(0.05)
    finally:
        engine.dispose()
