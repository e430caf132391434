"""Review 18x: the re-send of the journalists a refused request did not name (1886667, aaf9223),
PGCONNECT_TIMEOUT and [database] connect_timeout (47353c9), mailer show --open's unsubscribe page
(eea0e89) and the typo rule for short names (3a70696)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, example
from office_cli import SEND, SIX, campaign_of, mailed, mailer, office, said
from send_fixtures import FakeSleep, config_for, contact_list, rendered, states, transport_for
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from mailer import send
from mailer.models import Mode, SuppressionReason
from mailer.send import plan
from mailer.store import suppressions

RELEASE = rendered()


def _started(store: Engine, count: int, *, batch_size: int = 10) -> str:
    built = plan.build(RELEASE, contact_list(count), batch_size=batch_size)
    return send.record(
        store, built, mode=Mode.LIVE, slug="bees", lists=["press.csv"], filters={}, sender={"from_email": "p@x.org"}
    ).campaign_id


def _run(store: Engine, standin: Any, campaign_id: str, *, sleep: Any = None, **kwargs: Any) -> send.Outcome:
    return send.run(
        store,
        campaign_id,
        rendered=RELEASE,
        transport=transport_for(standin, config_for(standin.url, timeout=5.0)),
        pacing=send.Pacing(concurrency=kwargs.pop("concurrency", 1), retries=3, max_retry_wait=60.0),
        sleep=sleep or FakeSleep(),
        jitter=lambda: 0.5,
        **kwargs,
    )


def _refuse_where_it_is(standin: Any, address: str) -> None:
    """SendGrid refuses ``address`` every time, naming the personalization it holds in that body."""
    for index in range(10):
        standin.answer(
            400,
            times=10,
            match=lambda r, i=index: len(r.body["personalizations"]) > i and r.body["personalizations"][i]["to"][0]["email"] == address,
            body={"errors": [{"message": "Does not contain a valid address.", "field": f"personalizations.{index}.to", "help": None}]},
        )


def test_a_refusal_after_a_retry_fails_the_journalist_sendgrid_named(store: Engine, standin: Any) -> None:
    """SendGrid asks to slow down (429); while the request waits, its first journalist unsubscribes,
    so it goes again without her, and SendGrid refuses its second personalization (j00002). mailer read
    that index in the request as first planned: j00001, whose address is fine, failed with
    'personalizations.1.to: Does not contain a valid address. (j00001@example.org)' and was never
    mailed, while the warning blamed her. Only j00002 fails, named as she is; everyone else is mailed."""
    campaign_id = _started(store, 10)
    standin.rate_limit(times=1)
    _refuse_where_it_is(standin, "j00002@example.org")

    def unsubscribe_meanwhile(_seconds: float) -> None:
        with store.begin() as connection:
            suppressions.add(
                connection, [("j00000@example.org", SuppressionReason.UNSUBSCRIBE, None)], source="webhook", now=datetime.now(UTC)
            )

    warnings: list[str] = []
    counted: list[int] = []
    outcome = _run(store, standin, campaign_id, sleep=unsubscribe_meanwhile, on_warning=warnings.append, on_request=counted.append)
    logged = states(store, campaign_id)
    assert logged["j00002@example.org"] == "failed", logged
    assert logged["j00001@example.org"] == "accepted", (logged, warnings)
    assert outcome.counts["failed"] == 1 and outcome.counts["accepted"] == 8, outcome.counts
    assert "j00001@example.org" not in " ".join(warnings) and "(j00002@example.org)" in warnings[0], warnings
    assert outcome.errors == [("failed", "personalizations.1.to: Does not contain a valid address. (j00002@example.org)", 1)]
    assert sum(counted) == 10, counted  # the progress bar: every journalist of the campaign once


def test_the_other_journalist_of_a_refused_request_of_two_goes_again_in_plain_words(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The README's own beat list: Ana and Ben, one request; SendGrid refuses Ben's address. The
    warning ended 'The other 1 recipient go again as request 2.'; it says 'The other recipient goes
    again as request 2.'"""
    office(tmp_path, standin, db_url)
    standin.answer(400, body={"errors": [{"field": "personalizations.1.to", "message": "Does not contain a valid address.", "help": None}]})
    sent = mailer(*SEND)
    assert sent.exit_code == 3, sent.output
    assert "(ben@gazette.example). The other recipient goes again as request 2." in said(sent), sent.output
    assert mailed(standin) == ["ana@daily.example"]


@contextmanager
def _slow_link(port: int, delay: float) -> Iterator[int]:
    """A port of 127.0.0.1 that passes connections on to ``port`` only after ``delay`` seconds (the
    office's VPN on a bad day): a PostgreSQL server that answers, late."""
    listener = socket.create_server(("127.0.0.1", 0))
    opened: list[socket.socket] = []

    def pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def through(client: socket.socket) -> None:
        time.sleep(delay)
        with contextlib.suppress(OSError):
            server = socket.create_connection(("127.0.0.1", port))
            opened.append(server)
            threading.Thread(target=pipe, args=(client, server), daemon=True).start()
            pipe(server, client)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client = listener.accept()[0]
                opened.append(client)
                threading.Thread(target=through, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for connection in opened:
            connection.close()


def test_connect_timeout_0_waits_for_a_server_that_answers_late(tmp_path: Path, db_url: str, database: str, monkeypatch: Any) -> None:
    """The README: `connect_timeout = 0` under [database] waits for ever. mailer handed psycopg no
    timeout at all for 0, and psycopg then waits its own 130 seconds: on a VPN slower than that,
    every command gave up with 'the database server ... did not answer within 0 seconds'. 0 now
    waits until the server answers (psycopg's 130 seconds shortened to 2 here, the link taking 4)."""
    if database != "postgresql":
        pytest.skip("a PostgreSQL server's connect timeout")
    import psycopg.conninfo

    monkeypatch.setattr(psycopg.conninfo, "_DEFAULT_CONNECT_TIMEOUT", 2)
    url = make_url(db_url)
    with _slow_link(url.port or 5432, delay=4.0) as port:
        slow = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{slow}"\nconnect_timeout = 0\n', encoding="utf-8")
        listed = mailer("campaigns")
    assert listed.exit_code == 0, listed.output
    assert "did not answer" not in listed.output, listed.output


@pytest.mark.parametrize("log", ["sqlite:///out/mailer.db", "postgresql+psycopg://press@127.0.0.1:9/mailer?connect_timeout=5"])
def test_a_pgconnect_timeout_the_log_does_not_use_stops_nothing(tmp_path: Path, monkeypatch: Any, log: str) -> None:
    """PGCONNECT_TIMEOUT=30s, set on the laptop for some other program: the office's log is the
    SQLite file (or its URL says how long to wait), so the variable plays no part. Yet every command,
    `mailer lists check` and `mailer preview` too, stopped with 'The environment variable
    PGCONNECT_TIMEOUT is "30s": it must be a whole number of seconds.' They work as before."""
    for name in ("releases", "templates", "lists"):
        shutil.copytree(example(name), tmp_path / name, dirs_exist_ok=True)
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{log}"\n', encoding="utf-8")
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "30s")
    checked = mailer("lists", "check", "lists/press.csv")
    assert checked.exit_code == 0, checked.output
    assert "PGCONNECT_TIMEOUT" not in checked.output
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 0, previewed.output


def test_each_journalist_sendgrid_named_fails_with_its_words_about_her(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid refuses two addresses of a request of six. Both failed with the whole answer, so Jo1's
    row (`mailer contact j1@...`) gave Jo3's address as a reason she was not mailed, and `mailer status`
    lumped them in one line naming both: with fifty bad addresses in a batch, one line of fifty
    addresses on each of fifty rows. Each fails with SendGrid's words about her alone."""
    office(tmp_path, standin, db_url, beat=SIX)
    refusal = {
        "errors": [
            {"field": "personalizations.1.to", "message": "Does not contain a valid address.", "help": None},
            {"field": "personalizations.3.to", "message": "Does not contain a valid address.", "help": None},
        ]
    }
    standin.answer(400, body=refusal)
    sent = mailer(*SEND)
    assert sent.exit_code == 3, sent.output
    assert "because of 2 recipients:" in said(sent) and "The other 4 recipients go again as request 2." in said(sent), sent.output
    assert sorted(mailed(standin)) == [f"j{i}@paper{i}.example" for i in (0, 2, 4, 5)]
    status = said(mailer("status", campaign_of(sent)))
    assert "1 failed: personalizations.1.to: Does not contain a valid address. (j1@paper1.example) " in status, status
    assert "1 failed: personalizations.3.to: Does not contain a valid address. (j3@paper3.example) " in status, status
    jo1 = said(mailer("contact", "j1@paper1.example"))
    assert "Error: personalizations.1.to: Does not contain a valid address. (j1@paper1.example)" in jo1, jo1
    assert "j3@paper3.example" not in jo1, jo1


def test_a_one_second_connect_timeout_is_said_as_the_two_it_waits(tmp_path: Path, silent_port: int) -> None:
    """PGCONNECT_TIMEOUT=1: libpq (and psycopg) wait two seconds at least, and mailer said 'did not
    answer within 1 seconds'. It says the 2 seconds it waited."""
    (tmp_path / "mailer.toml").write_text(
        f'[database]\nurl = "postgresql+psycopg://press@127.0.0.1:{silent_port}/mailer"\n', encoding="utf-8"
    )
    env = {**{k: v for k, v in os.environ.items() if k != "PGCONNECT_TIMEOUT"}, "PYTHONPATH": str(ROOT), "PGCONNECT_TIMEOUT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mailer", "campaigns"], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    words = " ".join(done.stderr.split())
    assert done.returncode == 1, words
    assert f"the database server at 127.0.0.1:{silent_port} did not answer within 2 seconds." in words, words


_KILLED_AFTER_THE_REFUSAL = """
import os, sys
sys.path.insert(0, {tests!r})
from send_fixtures import FakeSleep, config_for, rendered, transport_for
from mailer import send
from mailer.store import connect

class StandIn:
    url = {url!r}
    api_key = {key!r}

send.run(connect({db!r}), {campaign!r}, rendered=rendered(), transport=transport_for(StandIn, config_for(StandIn.url, timeout=5.0)),
    pacing=send.Pacing(concurrency=1, retries=0, max_retry_wait=1.0), sleep=FakeSleep(), jitter=lambda: 0.5,
    on_warning=lambda text: os._exit(9))  # killed once the refusal is logged, before the others go again
"""


def test_killed_between_a_refusal_and_the_others_going_again_a_resume_mails_each_once(store: Engine, standin: Any, db_url: str) -> None:
    """Promises 1 and 2 for the new re-send: the process dies (as with SIGKILL) just after SendGrid's
    refusal of one journalist is logged and before the other nine go again. A resume mails the
    nine once each, never the refused one, and nobody is left planned or unknown."""
    campaign_id = _started(store, 10)
    standin.answer(400, body={"errors": [{"field": "personalizations.2.to", "message": "Does not contain a valid address.", "help": None}]})
    code = _KILLED_AFTER_THE_REFUSAL.format(
        tests=str(Path(__file__).parent), url=standin.url, key=standin.api_key, db=db_url, campaign=campaign_id
    )
    died = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert died.returncode == 9, died.stderr
    assert sorted(set(states(store, campaign_id).values())) == ["failed", "planned"]
    resumed = _run(store, standin, campaign_id)
    assert resumed.counts["accepted"] == 9 and resumed.counts["failed"] == 1, resumed.counts
    accepted = standin.accepted_addresses()
    assert len(accepted) == 9 and set(accepted.values()) == {1} and "j00002@example.org" not in accepted
