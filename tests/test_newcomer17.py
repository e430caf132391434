"""Newcomer trial 17: the press office's IT person sets press-mailer up for a team (three press
officers, two computers, one PostgreSQL delivery log) and lives the team's day: sends, tests and
previews at once, the same release sent from two terminals, a stopped send resumed by a colleague,
status and reports while a send runs, the webhook on the same log, and a colleague whose
mailer.toml names the database wrongly. Each test is a finding and failed before its fix.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest
from conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES
from office_cli import KEY, SEND, SIX, mailed, mailer, office
from sqlalchemy import text
from sqlalchemy.engine import make_url

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=SKIP_POSTGRES)


def _use_log(folder: Path, url: str) -> None:
    """A colleague's mailer.toml naming the delivery log at ``url`` (nothing else)."""
    (folder / "mailer.toml").write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")


def _words(text: str) -> str:
    return " ".join(text.split())


class _Read:
    """A process's standard output and error, read as they come: each line with when it came."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: dict[str, list[tuple[float, str]]] = {"out": [], "err": []}
        self.readers = [
            threading.Thread(target=self._read, args=(stream, self.lines[name]), daemon=True)
            for name, stream in (("out", process.stdout), ("err", process.stderr))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, into: list[tuple[float, str]]) -> None:
        for line in stream:
            into.append((time.monotonic(), line))

    def first(self, words: str, *, timeout: float) -> float | None:
        """When a line (of either) saying ``words`` came, waiting up to ``timeout`` seconds; None if none came."""
        deadline = time.monotonic() + timeout
        while True:
            came = [at for lines in self.lines.values() for at, line in list(lines) if words in line]
            if came or time.monotonic() > deadline or self.process.poll() is not None:
                return min(came, default=None)
            time.sleep(0.05)

    def finish(self, *, timeout: float) -> tuple[str, str]:
        """Its standard output and error once it has ended (``timeout`` seconds at most)."""
        self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=10)
        return "".join(line for _, line in self.lines["out"]), "".join(line for _, line in self.lines["err"])


def campaign_of_text(output: str) -> str:
    """The campaign id a send's output names."""
    match = re.search(r"^Campaign (\S+):", output, re.MULTILINE)
    assert match, output
    return match.group(1)


# -- 1. a wrong database URL is blamed on "the folder" -------------------------------------------


@needs_postgres
@pytest.mark.parametrize(
    ("part", "value", "said", "advice"),
    [
        ("database", "nc17_no_such_log", 'has no database "nc17_no_such_log"', "createdb"),
        ("username", "nc17_no_such_user", 'has no user "nc17_no_such_user"', "user name before the @"),
    ],
)
def test_a_mistyped_postgresql_url_says_which_part_is_wrong(tmp_path: Path, part: str, value: str, said: str, advice: str) -> None:
    """Ben copies the team's [database] url into his mailer.toml with a typo in the database name
    (or the user name). `mailer campaigns` said "Cannot open the delivery log ...: connection failed:
    connection to server at "127.0.0.1", port 55432 failed: FATAL: database "nc71" does not exist.",
    then "Check [database] url in mailer.toml and that the folder is writable.": there is no folder
    in a PostgreSQL URL. It should say which part of the URL names nothing, and what to do."""
    url = make_url(POSTGRES_URL).set(**{part: value}).render_as_string(hide_password=False)
    _use_log(tmp_path, url)
    result = mailer("campaigns")
    assert result.exit_code == 1, result.output
    error = _words(result.stderr)
    assert said in error, error
    assert advice in error, error
    assert "folder" not in error, error
    assert "connection failed" not in error and "FATAL" not in error, error


class _PasswordServer:
    """A PostgreSQL server that asks every client for a password (as one set up with
    scram-sha-256 or password authentication does) and refuses whatever it is given, speaking
    PostgreSQL's wire protocol: libpq then reports "no password supplied" or "password
    authentication failed for user ..." exactly as with a real server."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client:
                try:
                    self._session(client)
                except OSError:
                    pass

    @staticmethod
    def _read(client: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = client.recv(size - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _session(self, client: socket.socket) -> None:
        while True:  # SSLRequest / GSSENCRequest first: neither offered ("N"), then the startup message
            length, code = struct.unpack("!ii", self._read(client, 8))
            body = self._read(client, length - 8)
            if code in (80877103, 80877104):
                client.sendall(b"N")
                continue
            user = body.split(b"user\x00", 1)[1].split(b"\x00", 1)[0].decode()
            break
        client.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        kind = self._read(client, 1)
        if kind != b"p":
            return
        (length,) = struct.unpack("!i", self._read(client, 4))
        self._read(client, length - 4)
        fields = b"".join(
            key + value.encode() + b"\x00"
            for key, value in (
                (b"S", "FATAL"),
                (b"V", "FATAL"),
                (b"C", "28P01"),
                (b"M", f'password authentication failed for user "{user}"'),
            )
        )
        client.sendall(b"E" + struct.pack("!i", len(fields) + 5) + fields + b"\x00")

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


@pytest.fixture
def password_server() -> Iterator[_PasswordServer]:
    with _PasswordServer() as server:
        yield server


def test_a_postgresql_log_without_the_password_says_to_set_pgpassword(tmp_path: Path, password_server: _PasswordServer) -> None:
    """README's team setup keeps the password out of mailer.toml, in PGPASSWORD. Cleo opens a new
    terminal and runs `mailer campaigns` without it: "connection failed: connection to server at
    "127.0.0.1", port 5432 failed: fe_sendauth: no password supplied", then "Check [database] url
    in mailer.toml and that the folder is writable." She needs to hear that the server wants a
    password and where it goes."""
    _use_log(tmp_path, f"postgresql+psycopg://press@127.0.0.1:{password_server.port}/mailer?connect_timeout=5")
    result = mailer("campaigns")
    assert result.exit_code == 1, result.output
    error = _words(result.stderr)
    assert 'asks for a password for user "press", and none was given' in error, error
    assert "PGPASSWORD" in error, error
    assert "folder" not in error and "fe_sendauth" not in error, error


def test_a_postgresql_log_with_a_wrong_password_says_where_the_password_comes_from(
    tmp_path: Path, password_server: _PasswordServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PGPASSWORD holds last month's password: the error said "the database refused the user name
    or password" and "Check [database] url in mailer.toml and that the folder is writable." The
    URL is right and there is no folder: the password is wrong, and it came from PGPASSWORD."""
    monkeypatch.setenv("PGPASSWORD", "last-months-password")
    _use_log(tmp_path, f"postgresql+psycopg://press@127.0.0.1:{password_server.port}/mailer?connect_timeout=5")
    result = mailer("campaigns")
    assert result.exit_code == 1, result.output
    error = _words(result.stderr)
    assert 'refused the password of user "press"' in error, error
    assert "PGPASSWORD" in error, error
    assert "folder" not in error and "last-months-password" not in result.output, error


def test_a_mistyped_kind_of_database_says_which_kinds_there_are(tmp_path: Path) -> None:
    """`url = "postgres+psycopg://..."` (postgres for postgresql, as some guides write it) said
    "Cannot open the delivery log ...: Can't load plugin: sqlalchemy.dialects:postgres.psycopg."
    and "... and that the folder is writable.": SQLAlchemy's words, and the wrong advice."""
    _use_log(tmp_path, "postgres+psycopg://press@127.0.0.1:9/mailer")
    result = mailer("campaigns")
    assert result.exit_code == 1, result.output
    error = _words(result.stderr)
    assert '"postgres+psycopg://" is not a kind of database mailer knows' in error, error
    assert "postgresql+psycopg://USER@HOST/DATABASE" in error, error
    assert "plugin" not in error and "folder" not in error, error


# -- 2. a database user without rights on the log is told to check "the folder" ------------------


@pytest.fixture
def other_user(postgres_admin: Any) -> Iterator[tuple[str, str]]:
    """A schema of its own on the test server and a user ("role") with no rights on it, as a
    colleague's own PostgreSQL login: (schema, user)."""
    suffix = uuid.uuid4().hex[:10]
    schema, user = f"mailer_test_nc17_{suffix}", f"nc17_colleague_{suffix}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        connection.execute(text(f'CREATE ROLE "{user}" LOGIN'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{user}"'))
    try:
        yield schema, user
    finally:
        with postgres_admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"), {"name": schema}
            )
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(text(f'DROP OWNED BY "{user}"'))
            connection.execute(text(f'DROP ROLE "{user}"'))


def _url_in(schema: str, user: str | None = None) -> str:
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
    return (url.set(username=user) if user else url).render_as_string(hide_password=False)


@needs_postgres
def test_a_database_user_without_rights_on_the_log_is_told_so_not_to_check_the_folder(
    tmp_path: Path, other_user: tuple[str, str], postgres_admin: Any
) -> None:
    """Ana created the team's log with her own PostgreSQL login; Ben's mailer.toml logs in as
    himself. Every command said "Cannot open the delivery log ...: permission denied for table
    schema_info." and "Check [database] url in mailer.toml and that the folder is writable.", and
    on a new database whose schema he may not create tables in, "permission denied for schema
    ...": nothing about rights, users or what to ask for. Once given read rights only, his
    `mailer suppressions add` said "Fix the cause (disk space, permissions, the database server)"."""
    schema, user = other_user
    _use_log(tmp_path, _url_in(schema, user))
    empty = mailer("campaigns")  # nobody made the log yet, and he may not create its tables
    assert empty.exit_code == 1, empty.output
    error = _words(empty.stderr)
    assert f'the database user "{user}" may not create the delivery log\'s tables' in error, error
    assert f'GRANT CREATE ON SCHEMA "{schema}" TO "{user}"' in error, error
    assert "folder" not in error, error

    _use_log(tmp_path, _url_in(schema))  # Ana, who owns the schema, starts the log
    assert mailer("campaigns").exit_code == 0
    _use_log(tmp_path, _url_in(schema, user))
    refused = mailer("campaigns")
    assert refused.exit_code == 1, refused.output
    error = _words(refused.stderr)
    assert f'the database user "{user}" may not use the delivery log\'s tables (permission denied for table schema_info)' in error, error
    assert "the same [database] url as your colleagues" in error, error
    assert f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{user}"' in error, error
    assert "folder" not in error, error

    with postgres_admin.connect() as connection:
        connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{user}"'))
    assert mailer("campaigns").exit_code == 0  # reading works
    added = mailer("suppressions", "add", "ex.reporter@example.net", "--reason", "manual")
    assert added.exit_code == 1, added.output
    error = _words(added.stderr)
    assert f'the database user "{user}" may not change the delivery log' in error, error
    assert f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{user}"' in error, error
    assert "disk space" not in error, error


# -- 3. a send whose journalists a colleague mailed while its question waited --------------------


def _other_terminal(folder: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``mailer ARGS`` in a process of its own (a colleague's terminal), in ``folder``."""
    env = {**os.environ, "SENDGRID_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], check=False, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_a_send_whose_journalists_a_colleague_mailed_while_it_asked_logs_no_empty_campaign(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana runs `mailer send` and reads the plan; her question waits. Meanwhile Ben sends the same
    release to the same list from his terminal. Ana answers yes: nobody is mailed twice, but her
    command wrote a live campaign of nobody ("Campaign ...-2: 2 rows written", "Accepted: 0 ...
    skipped: 2", exit 0), which `mailer report latest` then reads instead of Ben's send (every
    figure 0) and `mailer status` calls "All sent." A fresh `mailer send` at that moment says
    "Nobody to send to: all 2 journalists already received this exact release." and logs nothing:
    so should hers, naming the send that reached them."""
    from mailer.cli import send as send_cli

    office(tmp_path, standin, db_url)
    real_confirm = send_cli._confirm
    colleague: list[subprocess.CompletedProcess[str]] = []

    def colleague_sends_while_asked(question: str, **kwargs: Any) -> None:
        if not colleague:
            colleague.append(_other_terminal(tmp_path, *SEND))  # Ben, while Ana's question waits
        real_confirm(question, **kwargs)

    monkeypatch.setattr(send_cli, "_confirm", colleague_sends_while_asked)
    ana = mailer(*SEND)
    [ben] = colleague
    assert ben.returncode == 0, ben.stdout + ben.stderr
    bens = campaign_of_text(ben.stderr + ben.stdout)
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"]  # once each
    assert ana.exit_code == 1, ana.output
    said_to_ana = _words(ana.stderr)
    assert f"Nothing sent: both journalists of this send were mailed by {bens}, another send of this same release" in said_to_ana, (
        said_to_ana
    )
    assert "after this send was planned (while its question waited, or at the same moment). Nothing was logged." in said_to_ana
    assert f"See where it stands with: mailer status {bens}" in said_to_ana, said_to_ana
    assert "Accepted:" not in ana.output, ana.output
    listed = json.loads(mailer("campaigns", "--json").stdout)
    assert [row["id"] for row in listed] == [bens], listed
    assert f"latest is {bens}" in mailer("report", "latest").stderr


# -- 4. the webhook on a log its database user may only read ---------------------------------------


@needs_postgres
@pytest.mark.slow
def test_the_webhook_does_not_start_on_a_log_its_database_user_may_not_write(
    tmp_path: Path, other_user: tuple[str, str], postgres_admin: Any
) -> None:
    """The IT person runs `mailer webhook` on the server under a read-only reporting login. It
    started ("Receiving SendGrid events at ..."), then answered every batch 503 and logged "could not
    store 1 events: ProgrammingError (SendGrid will retry)" and "the delivery log is busy or down":
    SendGrid retries for 24 hours, then drops the events, and nothing says the login is the cause.
    It should refuse to start, naming the user and the rights it lacks."""
    schema, user = other_user
    _use_log(tmp_path, _url_in(schema))
    assert mailer("campaigns").exit_code == 0  # the log exists, made by its owner
    with postgres_admin.connect() as connection:
        connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{user}"'))
    _use_log(tmp_path, _url_in(schema, user))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        started = _other_terminal(tmp_path, "webhook", "--port", str(port), timeout=20)
    except subprocess.TimeoutExpired as running:
        pytest.fail(f"mailer webhook started on a log it may not write: {running.stderr!r}")
    assert started.returncode == 1, started.stderr
    error = _words(started.stderr)
    assert f'the database user "{user}" may not change the delivery log' in error, error
    assert f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{user}"' in error, error
    assert "Receiving SendGrid events" not in error, error


# -- 5. "pip install -U press-mailer" for a press-mailer installed from the office's checkout ------


def test_a_log_a_newer_version_upgraded_says_how_to_update_this_checkout(tmp_path: Path, db_url: str) -> None:
    """Ben's computer still runs last month's checkout of press-mailer (installed as README's Quick
    start does, `pip install -e .` in its folder); Ana's newer one has upgraded the team's log. His
    commands said to run "pip install -U press-mailer": that asks the package index for a
    press-mailer, not his folder, so it fails (or installs someone else's package of that name)
    and his checkout stays old. The hint should name his folder and the pip that installs it."""
    from sqlalchemy import create_engine

    from mailer.store import connect
    from mailer.store.upgrade import SCHEMA_VERSION

    connect(db_url).dispose()
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE schema_info SET version = :newer"), {"newer": SCHEMA_VERSION + 1})
    engine.dispose()
    _use_log(tmp_path, db_url)
    result = mailer("campaigns")
    assert result.exit_code == 1, result.output
    error = _words(result.stderr)
    assert "upgraded by a newer press-mailer" in error, error
    assert "pip install -U press-mailer" not in error, error
    assert f"in {ROOT}" in error and f"{sys.executable} -m pip install -e {ROOT}" in error, error


# -- 6. a send that waits, silently, for a colleague's large plan ----------------------------------


@pytest.fixture
def team_schema(postgres_admin: Any) -> Iterator[str]:
    """An empty schema of its own on the test server, for a log only PostgreSQL can show this with."""
    schema = f"mailer_test_nc17_{uuid.uuid4().hex[:10]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with postgres_admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"), {"name": schema}
            )
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@needs_postgres
@pytest.mark.slow
def test_a_send_waiting_for_a_colleagues_plan_says_so(tmp_path: Path, standin: Any, team_schema: str, postgres_admin: Any) -> None:
    """Ana's send of a 300,000-journalist list writes its plan (tens of seconds on the team's
    PostgreSQL log). Ben starts `mailer test` (or a send) of another release meanwhile: after its
    "Log: ..." line it said nothing for 20 seconds, then went on, as if hung. It waits for the lock
    every new campaign takes, so two sends of one release never both mail someone: it should say
    what it waits for, as it does when an SQLite log is busy."""
    url = _url_in(team_schema)
    office(tmp_path, standin, url)
    assert mailer("campaigns").exit_code == 0  # the log made
    from sqlalchemy import create_engine

    colleague = create_engine(url)
    env = {**os.environ, "SENDGRID_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    with colleague.connect() as plan_write:
        plan_write.execute(text("UPDATE schema_info SET version = version"))  # what a plan being written holds
        ben = subprocess.Popen(
            [sys.executable, "-m", "mailer", *SEND], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        read = _Read(ben)
        try:
            deadline = time.time() + 60
            while time.time() < deadline:  # Ben's send waits for the lock
                with postgres_admin.connect() as admin:
                    waiting = admin.scalar(
                        text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND wait_event_type = 'Lock'"),
                        {"name": team_schema},
                    )
                if waiting:
                    break
                assert ben.poll() is None, read.finish(timeout=10)
                time.sleep(0.1)
            assert waiting, "Ben's send never waited for the plan being written"
            seen = time.monotonic()
            noted = read.first("Waiting for the delivery log", timeout=30)  # said as it comes (a loaded machine: later)
            plan_write.rollback()  # Ana's plan is written
        except BaseException:
            ben.kill()
            raise
    colleague.dispose()
    out, err = read.finish(timeout=120)
    assert ben.returncode == 0, out + err
    said = _words(out)
    assert "Waiting for the delivery log: another send is writing its plan" in said, said + err
    assert noted is not None and noted - seen < 5, f"said {noted and noted - seen} s after Ben's send began to wait: {said}"
    assert said.index("Waiting for the delivery log") < said.index("rows written to the delivery log"), said


# -- 7. a resume of a send another terminal is still sending prints a plan it will not follow ------


@pytest.mark.slow
def test_a_resume_of_a_send_still_going_elsewhere_is_refused_before_any_plan(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ana's send is going out in her terminal; Ben, who heard it stopped, runs `mailer resume
    CAMPAIGN --yes`. It printed "Campaign: ... (live, sending)", "Left: 4 journalists to send to",
    as a resume about to mail them, then "Error: ... is being sent by another process": the plan
    of a resume that cannot run. The refusal should come first, alone."""
    from send_fixtures import send_running

    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    first = standin.hold()  # her first request is with SendGrid until Ben's resume is done, however loaded the machine
    with send_running(tmp_path, standin, KEY, SEND) as ana:
        listed = json.loads(mailer("campaigns", "--json").stdout)
        [campaign_id] = [row["id"] for row in listed]
        ben = mailer("resume", campaign_id, "--yes")
        assert ana.poll() is None, "Ana's send ended before Ben's resume: the test proves nothing"
        first.set()
        ana.communicate(timeout=60)
    assert ben.exit_code == 1, ben.output
    assert f"{campaign_id} is being sent by another process" in ben.stderr, ben.output
    assert "Left:" not in ben.output and "Campaign:" not in ben.output, ben.output


# -- 8. a large plan is written in silence --------------------------------------------------------


def test_a_large_plan_shows_a_bar_while_it_is_written_to_the_log(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana sends to the 300,000-journalist list: after "Scheduled: now" her terminal showed nothing for
    15 seconds (the plan being written to the team's PostgreSQL log; a minute at a million), then
    "Campaign ...: 300,000 rows written" and the Sending bar. Every other long step has a bar; a
    plan of tens of thousands of rows should too, and end full."""
    from office_cli import Bars

    from mailer.cli import output

    rows = 25_000
    big = "Email,First Name\n" + "".join(f"j{i}@paper{i % 40}.example,Jo{i}\n" for i in range(rows))
    office(tmp_path, standin, db_url, beat=big, batch_size=1000)
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    result = mailer(*SEND[:-2], "--dry-run")
    assert result.exit_code == 0, result.output
    described = [(description, total, sum(steps)) for description, total, steps in bars.bars]
    assert described[0] == ("Writing the plan to the delivery log", rows, rows), described
    assert [description for description, _, _ in described[1:]] == ["Writing the dry run"], described


# -- 9. Ctrl-C while the plan is written says only "Stopped." ------------------------------------


def test_ctrl_c_while_the_plan_is_written_says_nothing_was_sent_or_logged(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana sees the plan bar crawl through 300,000 journalists and presses Ctrl-C: the command said
    "Stopped." and nothing more. Did some go out? Is there a campaign to resume or cancel? (Neither:
    the plan is written in one transaction, undone.) After the plan is in the log it says "Stopped:
    CAMPAIGN is in the delivery log ..."; before, it should say that nothing was sent or logged."""
    from mailer.cli import output

    rows = 25_000
    big = "Email,First Name\n" + "".join(f"j{i}@paper{i % 40}.example,Jo{i}\n" for i in range(rows))
    office(tmp_path, standin, db_url, beat=big, batch_size=1000)
    real = output.progress

    def ctrl_c_in_the_plan_bar(description: str, total: int | None) -> Any:
        if description != "Writing the plan to the delivery log":
            return real(description, total)
        from contextlib import contextmanager

        @contextmanager
        def bar() -> Iterator[Any]:
            def advance(_amount: int = 1) -> None:
                raise KeyboardInterrupt

            yield advance

        return bar()

    monkeypatch.setattr(output, "progress", ctrl_c_in_the_plan_bar)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 130, stopped.output
    said = _words(stopped.stderr)
    assert "Stopped before the plan was in the delivery log: nothing was sent, and nothing was logged." in said, said
    assert json.loads(mailer("campaigns", "--json").stdout) == []
    assert not standin.mail_sends


# -- 10. `suppressions add` of a journalist whose email is on its way says only "Suppressed" ----------


@pytest.mark.slow
def test_suppressing_a_journalist_whose_email_is_on_its_way_says_so(tmp_path: Path, standin: Any, db_url: str) -> None:
    """While Ana's send goes out, a journalist rings Ben: "take me off your list". Ben runs `mailer
    suppressions add` in his terminal; it said "Suppressed 1 address." and nothing more, and she got
    the release a moment later: her request had left already. `mailer forget` warns of exactly this
    ("may have left for SendGrid already"); `suppressions add` should too."""
    from send_fixtures import send_running

    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    first = standin.hold()  # her request, the first, is with SendGrid until the suppression is done
    with send_running(tmp_path, standin, KEY, SEND) as ana:  # once the stand-in has it: listed in flight, unanswered
        ben = mailer("suppressions", "add", "j0@paper0.example", "--reason", "asked by phone")
        assert ana.poll() is None, "the send ended before the suppression: the test proves nothing"
        first.set()
        ana.communicate(timeout=60)
    assert ben.exit_code == 0, ben.output
    said = _words(ben.output)
    assert "Suppressed 1 address." in said, said
    assert "j0@paper0.example may get it from " in said and "all the same" in said, said
    assert "j0@paper0.example" in mailed(standin)  # she did get it
    assert mailed(standin).count("j0@paper0.example") == 1


# -- 11. a database server that does not answer: "another program is using it", for ever ----------


@pytest.mark.slow
def test_a_database_server_that_does_not_answer_is_named_and_given_up_on(tmp_path: Path, silent_port: int) -> None:
    """Cleo works from home, and the office VPN has dropped: the team's database server takes her
    connection and never answers (or her packets go nowhere). `mailer campaigns` said "Waiting for the
    delivery log: another program is using it (Ctrl+C stops)..." and waited for ever: no other
    program is involved, and nothing ever ends it. It should say it waits for the server, and give
    up after a while, saying what to check."""
    port = silent_port
    _use_log(tmp_path, f"postgresql+psycopg://press@127.0.0.1:{port}/mailer")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mailer", "campaigns"], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired as waited:
        pytest.fail(f"mailer campaigns still waited after 60 s: {waited.stderr!r}")
    took = time.monotonic() - started
    said = _words(result.stderr)
    assert result.returncode == 1, said
    assert "another program is using it" not in said, said
    assert f"Waiting for the database server at 127.0.0.1:{port} to answer (Ctrl+C stops)..." in said, said
    assert f"the database server at 127.0.0.1:{port} did not answer within 20 seconds" in said, said
    assert "network" in said, said
    assert 19 < took < 40, took


# -- 12. `suppressions add` waits, silently, for a colleague's events import -----------------------


@needs_postgres
@pytest.mark.slow
def test_suppressions_add_waiting_for_a_colleagues_events_import_says_so(
    tmp_path: Path, standin: Any, team_schema: str, postgres_admin: Any
) -> None:
    """Ana imports a month of SendGrid's events (300,000: half a minute on the team's log). Ben,
    on the phone with a journalist who wants off the list, runs `mailer suppressions add`: after
    its "Log: ..." line it said nothing for 33 seconds, then "Suppressed 1 address.". It waits for
    the lock every events import, webhook batch and erasure holds while it writes: it should say so."""
    url = _url_in(team_schema)
    office(tmp_path, standin, url)
    assert mailer("campaigns").exit_code == 0
    from sqlalchemy import create_engine

    colleague = create_engine(url)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with colleague.connect() as importing:
        importing.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": _ingest_lock()}
        )  # what a batch of events holds on this log
        ben = subprocess.Popen(
            [sys.executable, "-m", "mailer", "suppressions", "add", "ex.reporter@example.net", "--reason", "asked by phone"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        read = _Read(ben)
        try:
            deadline = time.time() + 60
            waiting = 0
            while time.time() < deadline and not waiting:
                with postgres_admin.connect() as admin:
                    waiting = admin.scalar(
                        text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND wait_event_type = 'Lock'"),
                        {"name": team_schema},
                    )
                assert ben.poll() is None, read.finish(timeout=10)
                time.sleep(0.1)
            assert waiting, "Ben's command never waited for the events being stored"
            seen = time.monotonic()
            noted = read.first("Waiting for the delivery log", timeout=30)  # said as it comes (a loaded machine: later)
            importing.rollback()
        except BaseException:
            ben.kill()
            raise
    colleague.dispose()
    out, err = read.finish(timeout=60)
    assert ben.returncode == 0, out + err
    said = _words(err)
    assert "Waiting for the delivery log: another mailer command is storing SendGrid's events there" in said, said
    assert noted is not None and noted - seen < 5, f"said {noted and noted - seen} s after Ben's command began to wait: {said}"
    assert "Suppressed 1 address." in out, out


def _ingest_lock() -> int:
    from mailer.store import events as event_store

    return int(event_store._INGEST_LOCK)
