"""Fixtures every test shares: a clean environment, a real delivery log on SQLite and on PostgreSQL.

Every test that asks for ``database``, ``db_url``, ``new_db_url`` or ``store`` runs twice: ``[sqlite]`` on a
file under tmp_path, ``[postgresql]`` in an empty schema of its own on the server named by
MAILER_TEST_POSTGRES_URL (``bash .ci/test`` starts one), skipped when that is unset. Tests about
SQLite itself (files, WAL, query plans, 0.1.0 logs) are marked ``sqlite_only``.
``pytest -m "not postgresql"`` runs the SQLite half only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from mailer.store import connect

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
# The example lists the tests read: their own copies, never lists/ of the clone, which an office
# edits (its own journalists in lists/press.csv) and whose tests must still pass (newcomer 26 #5).
EXAMPLES = Path(__file__).parent / "data" / "examples"


def example(folder: str) -> Path:
    """The folder of examples a test copies into its office: the tests' own lists, the repository's releases and templates."""
    return EXAMPLES / folder if folder == "lists" else ROOT / folder


# Read once, before clean_environ takes every MAILER_* variable out of the tests' environment.
POSTGRES_URL = os.environ.get("MAILER_TEST_POSTGRES_URL", "")
SKIP_POSTGRES = "PostgreSQL: MAILER_TEST_POSTGRES_URL is not set (bash .ci/test starts a throwaway server and sets it)"


def pytest_report_header(config: pytest.Config) -> str:
    """Say at the top which databases the delivery-log tests run on."""
    if POSTGRES_URL:
        return f"delivery log: SQLite and PostgreSQL ({make_url(POSTGRES_URL).render_as_string(hide_password=True)})"
    return "delivery log: SQLite only; the [postgresql] tests are skipped (MAILER_TEST_POSTGRES_URL is not set; bash .ci/test sets it)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The delivery log's two databases, for every test that uses one (SQLite only when marked so)."""
    if "database" in metafunc.fixturenames:
        kinds = [pytest.param("sqlite", id="sqlite")]
        if metafunc.definition.get_closest_marker("sqlite_only") is None:
            kinds.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql))
        metafunc.parametrize("database", kinds, indirect=True)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's cache folder the tests share (one per xdist worker, which runs its tests one at a time)."""
    return tmp_path_factory.mktemp("user-cache", numbered=False)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    """No test sees the developer's API key, config or proxies; each runs in its own folder."""
    for name in list(os.environ):
        if name == "SENDGRID_API_KEY" or name.startswith("MAILER_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # Without a mailer.toml the log lives in the user's data folder: keep it inside the test's folder.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    # The cache holds only inlined campaign renders (compose/inline.py), keyed by everything they
    # depend on: shared, the example release is inlined once per worker, not in every test that
    # renders it (about 0.35 s of CPU each, a fifth of the suite's in-process time). Tests about
    # the cache itself, about which libraries a command loads, or that look for secrets in every
    # file of their folder are marked own_cache: theirs starts empty, inside the test's folder.
    own = request.node.get_closest_marker("own_cache") is not None
    cache = tmp_path / "user-cache" if own else request.getfixturevalue("shared_cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.chdir(tmp_path)
    yield


# select() takes descriptors below 1,024 only: late in a full run an xdist worker held more (each
# in-process command's delivery log stayed open until a garbage collection found it) and a test
# waiting on a pipe with select.select failed "filedescriptor out of range in select()" (fdleak28).
# A worker holds about 20 to 250 between tests in a full run; past this, the test that crossed it is named.
DESCRIPTORS_WARNING = 400
_descriptors_warned: list[bool] = []


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Once per worker, a warning naming the test after whose fixtures' teardown the process holds
    more than DESCRIPTORS_WARNING open files, sockets and pipes, and what they are."""
    if _descriptors_warned or not os.path.isdir("/proc/self/fd"):
        return
    held = os.listdir("/proc/self/fd")
    if len(held) <= DESCRIPTORS_WARNING:
        return
    _descriptors_warned.append(True)
    kinds: dict[str, int] = {}
    for name in held:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{name}").split("[")[0]
            kinds[target] = kinds.get(target, 0) + 1
    most = ", ".join(f"{count} x {target}" for target, count in sorted(kinds.items(), key=lambda kind: -kind[1])[:5])
    item.warn(
        pytest.PytestWarning(
            f"the test process holds {len(held)} open descriptors after {item.nodeid} (select() fails from 1,024): {most}. "
            "A command, engine, process or server of the tests is left open (dispose engines, close what is opened)."
        )
    )


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """Which database this run of the test uses: "sqlite" or "postgresql"."""
    kind: str = request.param
    if kind == "postgresql" and not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    return kind


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """One connection pool to the test server, for creating and dropping the tests' schemas."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


def schema_url(search_path: str, name: str | None = None) -> str:
    """The test server's URL with ``search_path`` (a schema, or several: "own,log") as its connections'
    path and ``name`` (default: the path) as their application_name, by which a test's fixtures end them."""
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={search_path}", "application_name": name or search_path})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def two_schemas(postgres_admin: Engine) -> Iterator[tuple[str, str]]:
    """Two empty schemas of the test database (two offices' logs on one server, or a log and a
    colleague's own schema), ended and dropped after the test."""
    schemas = tuple(f"mailer_test_two_{uuid.uuid4().hex[:10]}" for _ in range(2))
    with postgres_admin.connect() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schemas[0], schemas[1]
    finally:
        with postgres_admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY(:names)"),
                {"names": list(schemas)},
            )
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def new_db_url(database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Makes URLs of empty delivery logs: SQLite files in a temp folder, or fresh PostgreSQL schemas.

    On PostgreSQL each schema is its connections' search_path (``options=-csearch_path=...`` in
    the URL), so every engine opened from the URL, in this process or a child, sees only it. At
    the end the test's connections are ended (found by their application_name) and the schemas dropped.
    """
    made: list[str] = []

    def sqlite_url() -> str:
        made.append(f"log{len(made) or ''}.db")
        return f"sqlite:///{tmp_path / made[-1]}"

    if database == "sqlite":
        yield sqlite_url
        return
    admin: Engine = request.getfixturevalue("postgres_admin")

    def postgresql_url() -> str:
        schema = f"mailer_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
        return url.render_as_string(hide_password=False)

    try:
        yield postgresql_url
    finally:
        with admin.connect() as connection:
            for schema in made:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": schema},
                )
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def db_url(new_db_url: Callable[[], str]) -> str:
    """The URL of the test's empty delivery log (``sqlite:///.../log.db``, or a PostgreSQL schema)."""
    return new_db_url()


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    """A real, empty delivery log with every table created (SQLite or PostgreSQL, see db_url)."""
    engine = connect(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def standin_server() -> Iterator[Any]:
    """One local SendGrid stand-in on 127.0.0.1 for the session (starting one per test costs ~0.2 s)."""
    from sendgrid_standin import SendGridStandIn

    server = SendGridStandIn().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standin(standin_server: Any) -> Iterator[Any]:
    """The stand-in (see tests/sendgrid_standin.py), with no requests or scripts left from other tests."""
    standin_server.reset()
    yield standin_server
    standin_server.reset()


def todays_campaign(slug: str = "example") -> str:
    """The id `mailer send` gives a release's campaign today (UTC day, then the release's slug).

    Call it after the send, not at import: a module imported before midnight UTC and run after it
    would expect yesterday's date.
    """
    return f"{datetime.now(UTC):%Y-%m-%d}-{slug}"


def without_log_line(text: str) -> str:
    """Command output without the "Log: ..." line every log command starts with (tests/test_config.py checks that line)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("Log: "))


@pytest.fixture
def log_text(database: str, db_url: str) -> Callable[[], str]:
    """Everything the test's delivery log holds, as text, for "never stored" checks.

    SQLite: the bytes of the file and its WAL (free pages included). PostgreSQL: every row of
    every table in the test's schema.
    """

    def read() -> str:
        if database == "sqlite":
            path = Path(db_url.removeprefix("sqlite:///"))
            return "".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(path.parent.glob(path.name + "*")))
        engine = create_engine(db_url)
        try:
            tables = MetaData()
            with engine.connect() as connection:
                tables.reflect(connection)
                return "\n".join(repr(row) for table in tables.sorted_tables for row in connection.execute(select(table)))
        finally:
            engine.dispose()

    return read


# A press office's folder for command-line tests (test_cli_send.py, test_review8cli.py); a module
# that needs another kind (a mailer.toml from the start) defines its own `project`.
@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A press office's folder: the example release, lists and templates, no mailer.toml."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    return tmp_path


@pytest.fixture
def logged(project: Path, db_url: str) -> Path:
    """The same folder with a mailer.toml that names only the test's delivery log (SQLite or PostgreSQL)."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return project


@pytest.fixture
def live(project: Path, standin: Any, db_url: str) -> Path:
    """mailer.toml pointing at the stand-in and the test's delivery log, with a postal address and a staff list."""
    (project / "mailer.toml").write_text(
        f'[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 10\n\n[lists]\nstaff = "lists/staff.csv"\n\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return project


@pytest.fixture
def sigint_default() -> Iterator[None]:
    """Python's own Ctrl-C handler for the test: a shell that starts the suite in the background
    (`pytest ... &`) starts it with SIGINT ignored, and a real SIGINT would then do nothing."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A PostgreSQL port on 127.0.0.1 that takes connections and never answers (a server behind a
    dropped VPN, or a firewall that swallows the packets)."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                taken.append(listener.accept()[0])

    taking = threading.Thread(target=accept, daemon=True)
    taking.start()
    try:
        yield listener.getsockname()[1]
    finally:
        # close() alone leaves the thread waiting in accept() for good, one per test (fdleak28):
        # shutdown() ends that wait on Linux.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        taking.join(timeout=5)
        for connection in taken:
            connection.close()
