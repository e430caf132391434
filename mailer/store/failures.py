"""Database failures in words a press officer can act on: which log, what happened, what next.

SQLAlchemy and the drivers say "(sqlite3.OperationalError) database or disk is full [SQL: ...]";
nobody should see that. These functions turn the foreseeable failures (a folder that cannot be
created, a damaged or read-only file, a full disk, a lost server connection) into one
StoreError naming the log and the next step, and never show SQL or a password.
"""

from __future__ import annotations

import functools
import getpass
import inspect
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError, StatementError

from mailer.errors import ConfigError, MailerError, StoreError

__all__ = ["display_url", "during_send", "failed", "in_words", "not_allowed", "opening", "reason"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

# What the drivers say -> what happened, in plain words.
_REASONS = (
    ("database or disk is full", "the disk is full"),
    ("disk i/o error", "the disk could not be read or written"),
    ("file is not a database", "the file is damaged or is not a delivery log"),
    ("database disk image is malformed", "the file is damaged"),
    ("readonly database", "the file is read-only"),
    ("unable to open database file", "the file or its folder cannot be opened"),
    ("database is locked", "another program kept it locked too long"),
    ("could not connect", "the database server cannot be reached"),
    ("connection refused", "the database server cannot be reached"),
    ("server closed the connection", "the connection to the database server was lost"),
    ("terminating connection", "the connection to the database server was lost"),
    ("connection is closed", "the connection to the database server was lost"),
    ("no space left on device", "the disk is full"),
    ("password authentication failed", "the database refused the user name or password"),
    ("timeout expired", "the database server did not answer in time"),  # connect_timeout (store.CONNECT_TIMEOUT)
)


def reason(exc: BaseException) -> str:
    """The cause in plain words (the driver's first line when it is not one we know)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needle, words in _REASONS:
        if needle in text:
            return words
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return first[:200]


_SECRET_WORDS = ("pass", "pwd", "secret")


def display_url(url: str) -> str:
    """The log's URL for people: without a password; an SQLite file as its path."""
    if url.startswith("sqlite:///file:"):
        return url.removeprefix("sqlite:///file:").split("?")[0]
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return url.removeprefix("sqlite:///")
    try:
        parsed = make_url(url)
        # libpq takes a password in the query as well (?password=..., ?sslpassword=...: the key of
        # a client certificate): hidden as the one before the @ is (review 16 #2: the upgrade's
        # line and "Log: ..." showed it).
        # A misspelt one too (?passwd=, ?pwd=, other tools' names: review 17y #5 showed it twice).
        hidden = {name: "***" for name in parsed.query if any(word in name.lower() for word in _SECRET_WORDS)}
        if parsed.host and "@" in parsed.host:  # a password holding an unescaped @: its end was taken for the host
            parsed = parsed.set(password=parsed.password or "***", host=parsed.host.rpartition("@")[2])
        return parsed.update_query_dict(hidden).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
    except Exception:  # noqa: BLE001 - a malformed URL is not shown at all
        return "the configured database URL"


def misspelt_url(url: str) -> StoreError | None:
    """A StoreError for a PostgreSQL URL that cannot be what was meant, before any connection: a
    password holding an unescaped @ (review 17y #3: the Log: line and the error showed the
    password's end, taken for the server's name, and said to check that name)."""
    if not url.startswith("postgresql"):
        return None
    if (port := _port_not_a_number(url)) is not None:  # review 17y #4: SQLAlchemy's ValueError reached the terminal whole
        return StoreError(
            f'Cannot open the delivery log: in its URL, the port "{port}" after the server\'s name is not a number.',
            hint="Write the server's port as a number in [database] url in mailer.toml (PostgreSQL's is 5432: "
            "postgresql+psycopg://USER@HOST:5432/DATABASE), or leave it out (the whole team uses the same URL).",
        )
    parsed = _parsed(url)
    if parsed is None or not parsed.host or "@" not in parsed.host:
        return None
    return StoreError(
        f"Cannot open the delivery log {display_url(url)}: the URL has more than one @, so part of the password was "
        "taken for the server's name.",
        hint="Write each @ inside the password as %40 in [database] url in mailer.toml "
        "(postgresql+psycopg://USER:PASS%40WORD@HOST/DATABASE), or leave the password out of the URL and set PGPASSWORD.",
    )


def _port_not_a_number(url: str) -> str | None:
    """The port of ``url`` when it is not a number ("HOST:PORT" left from an example), else None."""
    authority = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if authority.startswith("["):  # an IPv6 address: [::1]:5432
        authority = authority.partition("]")[2]
    port = authority.partition(":")[2]
    return port if port and not port.isdigit() else None


def opening(exc: SQLAlchemyError | OSError, url: str, *, connect_timeout: int | None = None) -> StoreError:
    """The log cannot be opened or created (``connect_timeout``: the seconds a PostgreSQL connection
    was given, when the URL does not say; store.CONNECT_TIMEOUT if None)."""
    where = display_url(url)
    if isinstance(exc, OSError):
        return StoreError(
            f"Cannot create the folder for the delivery log {where}: {exc.strerror or exc}.",
            hint="Create the folder, or set [database] url in mailer.toml to a place you may write to.",
        )
    if isinstance(exc, NoSuchModuleError):  # "postgres+psycopg://", "mysql://": no such kind of database here
        kind = url.partition("://")[0]
        return StoreError(
            f'Cannot open the delivery log {where}: "{kind}://" is not a kind of database mailer knows.',
            hint="The log runs on SQLite (sqlite:///out/mailer.db) or PostgreSQL (postgresql+psycopg://USER@HOST/DATABASE): "
            "correct the start of [database] url in mailer.toml.",
        )
    postgresql = url.startswith("postgresql") and _parsed(url) is not None
    said = _postgresql_opening(exc, url, connect_timeout) if postgresql else None
    if said is not None:
        return StoreError(f"Cannot open the delivery log {where}: {said[0]}.", hint=said[1])
    why = reason(exc)
    hint = (
        "Check [database] url in mailer.toml: the user, server, port and database name (the whole team uses the same URL)."
        if postgresql
        else "Check [database] url in mailer.toml and that the folder is writable."
    )
    if "damaged" in why:
        hint = "Restore the log from a backup, or set [database] url to a new file; mailer does not touch this one."
    elif "read-only" in why:
        hint = "Make the file (and its folder) writable for you, or set [database] url to a copy you may write."
    elif "locked" in why:  # review 8: the hint said to check the folder
        hint = "Another mailer command (a send, an import, the webhook) or a program holding the file keeps it busy: wait for it to finish, or close that program, then run this again."
    elif "database server" in why:
        hint = "Start the database server, or check the host and port in [database] url in mailer.toml."
    return StoreError(f"Cannot open the delivery log {where}: {why}.", hint=hint)


def server_of(parsed: URL) -> tuple[str, str]:
    """The host and port a PostgreSQL URL names, as libpq reads them: before the database name, or
    in the query (?host=db.example.org&port=6432, ?host=/run/postgresql for a socket folder); else
    libpq's own localhost and 5432. Review 17y #7: a server given in the query was named
    "localhost:5432", and createdb was told to go there."""

    def given(name: str) -> str | None:
        value = parsed.query.get(name)
        return (value[0] if value else None) if isinstance(value, tuple) else value

    host = (parsed.host or given("host") or "localhost").rpartition("@")[2]  # never a password's end (review 17y #3)
    return host, str(parsed.port or given("port") or 5432)


def _parsed(url: str) -> URL | None:
    """``url`` parsed, or None when it cannot be (it is then not shown at all)."""
    try:
        return make_url(url)
    except Exception:  # noqa: BLE001 - any malformed URL
        return None


def _postgresql_opening(exc: SQLAlchemyError, url: str, connect_timeout: int | None) -> tuple[str, str] | None:
    """What libpq says of a PostgreSQL URL that names nothing or is refused, as (what, what to do);
    None when it says something else. Newcomer 17 #1: a database name or user name with a typo, a
    password missing from PGPASSWORD or a wrong one all ended "Check [database] url in mailer.toml
    and that the folder is writable." (a PostgreSQL URL has no folder) after libpq's own
    "connection failed: connection to server at ... failed: FATAL: ..."."""
    text = str(getattr(exc, "orig", None) or exc)
    parsed = make_url(url)
    host, port = server_of(parsed)
    server = f"{host}:{port}"
    user = parsed.username or "(your login name)"
    same_url = "the whole team uses the same URL: compare it with a colleague's mailer.toml"
    if found := re.search(r'database "([^"]+)" does not exist', text):
        return (
            f'the database server at {server} has no database "{found.group(1)}"',
            (
                f"Check the database name at the end of [database] url in mailer.toml ({same_url}), "
                f"or create the database once: createdb -h {host} -p {port} -U {user} {found.group(1)}"
            ),
        )
    if found := re.search(r'role "([^"]+)" does not exist', text):
        return (
            f'the database server at {server} has no user "{found.group(1)}"',
            f"Check the user name before the @ in [database] url in mailer.toml ({same_url}).",
        )
    if "no password supplied" in text:
        return (
            f'the database server at {server} asks for a password for user "{user}", and none was given',
            (
                "Set the password in this terminal, export PGPASSWORD='...' (or keep it in ~/.pgpass), as README's "
                '"Team setup: PostgreSQL" says; every terminal that runs mailer needs it.'
            ),
        )
    if "password authentication failed" in text:
        in_url = parsed.password is not None or "password" in parsed.query
        source = "the password in [database] url in mailer.toml" if in_url else "PGPASSWORD (or ~/.pgpass)"
        named = re.search(r'for user "([^"]+)"', text)
        return (
            f'the database server at {server} refused the password of user "{named.group(1) if named else user}"',
            f"Check the password: it comes from {source}. Set the team's current one, then run this again.",
        )
    if found := re.search(r"permission denied for schema (\S+)", text):
        user = _user(parsed)
        return (
            (
                f'the database user "{user}" may not create the delivery log\'s tables in schema "{found.group(1)}" '
                f"(permission denied for schema {found.group(1)})"
            ),
            (
                f'Ask whoever runs the database server to let this user create them (GRANT CREATE ON SCHEMA "{found.group(1)}" TO "{user}"), '
                f"or log in as the database's owner in [database] url in mailer.toml; {same_url}."
            ),
        )
    if permission := _permission(text, parsed, doing="use the delivery log's tables"):
        return permission
    if "timeout expired" in text:
        return (
            f"the database server at {server} did not answer within {_timeout(parsed, connect_timeout)} seconds",
            (
                "Check that this computer reaches it (the office network, or the VPN from home) and the host and port in "
                f"[database] url in mailer.toml ({same_url}); then run this again."
            ),
        )
    if found := re.search(r'(?:failed to resolve host|could not translate host name) "?([^"\s:]+)', text):
        return (
            f'no database server called "{found.group(1).strip(chr(39))}" can be found (a typo in the name, or this computer is off the office network)',
            f"Check the server name after the @ in [database] url in mailer.toml ({same_url}).",
        )
    return None


def _timeout(parsed: URL, connect_timeout: int | None) -> str:
    """The seconds a connection waited: the URL's ?connect_timeout, or the one given (store.CONNECT_TIMEOUT
    if None); two at least, as libpq and psycopg wait (PGCONNECT_TIMEOUT=1 read "within 1 seconds")."""
    from mailer.store import CONNECT_TIMEOUT

    given = parsed.query.get("connect_timeout") or (CONNECT_TIMEOUT if connect_timeout is None else connect_timeout)
    try:
        seconds = int(given if isinstance(given, str | int) else given[-1])
    except ValueError:
        return str(given)
    return str(max(seconds, 2))


def _user(parsed: URL) -> str:
    """The database user a URL logs in as (libpq takes the login name when it names none)."""
    return parsed.username or getpass.getuser()


def _permission(text: str, parsed: URL | None, *, doing: str) -> tuple[str, str] | None:
    """PostgreSQL's "permission denied for table X" as (what, what to do), naming the user and the
    GRANT to ask for (newcomer 17 #2: a colleague logging in as themselves, not as the user who
    created the log, was told to check "the folder", or "disk space, permissions, the database server")."""
    found = re.search(r"permission denied for (table|sequence|relation) (\S+)", text)
    if found is None or parsed is None:
        return None
    user = _user(parsed)
    options = str(parsed.query.get("options", ""))
    path = re.search(r"search_path=([^\s,]+)", options)
    schema = path.group(1) if path else "public"
    return (
        f'the database user "{user}" may not {doing} (permission denied for {found.group(1)} {found.group(2)})',
        (
            f"Use the same [database] url as your colleagues in mailer.toml, user included; or ask whoever runs the database "
            f'server to give "{user}" the rights of the user who created the log: GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" '
            f'TO "{user}"; GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{user}";'
        ),
    )


def not_allowed(what: str, url: str) -> StoreError:
    """The log's database user may not use ``what`` ("table event", "sequence event_id_seq"): the
    StoreError a command's write would have met, said before a long-running command starts."""
    permission = _permission(f"permission denied for {what}", _parsed(url), doing="change the delivery log")
    assert permission is not None
    return StoreError(f"The delivery log {display_url(url)} refused: {permission[0]}.", hint=f"Nothing was written. {permission[1]}")


def during_send(exc: SQLAlchemyError, url: str, campaign_id: str) -> StoreError:
    """The log failed while a campaign was being sent: nothing is lost, resume finishes it."""
    return StoreError(
        f"The delivery log {display_url(url)} stopped working while sending {campaign_id}: {reason(exc)}.",
        hint=(
            "Every recipient already handed to SendGrid is recorded or will show as unknown; nobody is lost. "
            f"Fix the cause, then run: mailer resume {campaign_id}"
        ),
    )


def failed(exc: BaseException, url: str | None) -> StoreError:
    """The log failed under a command or a library call (a lost server connection, a full disk, a
    file damaged since it was opened): what the command line says of it, for scripts too."""
    where = f" {display_url(url)}" if url else ""
    permission = _permission(str(getattr(exc, "orig", None) or exc), _parsed(url) if url else None, doing="change the delivery log")
    if permission is not None:
        return StoreError(f"The delivery log{where} refused: {permission[0]}.", hint=f"Nothing more was written. {permission[1]}")
    return StoreError(
        f"The delivery log{where} failed: {reason(exc)}.",
        hint="Nothing more was written. Fix the cause (disk space, permissions, the database server), then run the command again.",
    )


def in_words(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """A library call whose database failures reach its caller as ``failed``'s StoreError, naming
    the log of the Engine it was given, never as SQLAlchemy's traceback (newcomer 16py: a script's
    `status(engine, id)` after the PostgreSQL server restarted raised psycopg's OperationalError).
    Its ``engine``, ``config``, ``environ``, ``campaign_id`` (``original_id``) and ``now`` arguments are checked first, so a
    URL given for the engine or None for the environment is a MailerError saying what to give,
    not an AttributeError from deep inside."""
    parameters = inspect.signature(function).parameters
    # A `now` that is a clock (Callable), as create_app's, is not a moment: left unchecked.
    checked = [name for name in _EXPECTED if name in parameters and "Callable" not in str(parameters[name].annotation)]
    positions = {name: list(parameters).index(name) for name in checked}
    optional = {name for name in checked if parameters[name].default is None}

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        for name in checked:
            if name in kwargs:
                _check(function.__name__, name, kwargs[name], optional=name in optional)
            elif positions[name] < len(args):
                _check(function.__name__, name, args[positions[name]], optional=name in optional)
        try:
            return function(*args, **kwargs)
        except StatementError as exc:
            if isinstance(exc, DBAPIError) or not isinstance(exc.orig, (TypeError, ValueError)):
                engine = next((value for value in (*args, *kwargs.values()) if isinstance(value, Engine)), None)
                raise failed(exc, None if engine is None else engine.url.render_as_string(hide_password=False)) from exc
            # A value the caller gave that the log's types refuse (a naive or text time): their mistake, not the log's.
            raise MailerError(
                f"{function.__name__}(): a value given cannot be used: {exc.orig}",
                hint="Check the arguments: times are aware datetimes, for example datetime(2026, 1, 1, tzinfo=UTC).",
            ) from None
        except SQLAlchemyError as exc:
            engine = next((value for value in (*args, *kwargs.values()) if isinstance(value, Engine)), None)
            raise failed(exc, None if engine is None else engine.url.render_as_string(hide_password=False)) from exc

    return wrapper


# argument -> (what it must be, how to get one); the value itself is never shown (a URL may hold a password).
_EXPECTED = {
    "engine": (
        "the delivery log's Engine",
        'Open the log with mailer.store.connect(url), for example engine = store.connect("sqlite:///out/mailer.db").',
    ),
    "config": (
        "a mailer.config.Config (the configuration)",
        'Load it with mailer.config.load(path), for example cfg = config.load("mailer.toml").',
    ),
    "environ": (
        "a mapping (the environment)",
        "Pass the process environment, as README's live send does (the SendGrid API key is read from it), or {} for a dry run.",
    ),
    "campaign_id": (
        "text (a campaign id)",
        'Give it as text, for example "2026-12-01-example"; mailer.reports.overview(engine) lists them.',
    ),
    "now": ("an aware datetime (the moment the call takes as now)", "Give it a zone, for example datetime.now(UTC), or leave it out."),
    "original_id": (
        "text (a campaign id)",
        'Give it as text, for example "2026-12-01-example"; mailer.reports.overview(engine) lists them.',
    ),
}


def _check(function: str, name: str, value: object, *, optional: bool) -> None:
    """MailerError (ConfigError, StoreError) when ``value`` is not what argument ``name`` takes."""
    if value is None and optional:
        return
    from mailer.config import Config

    fits = {
        "engine": lambda: isinstance(value, Engine),
        "config": lambda: isinstance(value, Config),
        "environ": lambda: isinstance(value, Mapping),
        "campaign_id": lambda: isinstance(value, str),
        "original_id": lambda: isinstance(value, str),
        "now": lambda: isinstance(value, datetime) and value.utcoffset() is not None,
    }[name]()
    if fits:
        return
    what, example = _EXPECTED[name]
    kind = {"engine": StoreError, "config": ConfigError, "environ": ConfigError}.get(name, MailerError)
    given = "naive datetime (no time zone)" if isinstance(value, datetime) else type(value).__name__
    raise kind(f"{function}(): {name} must be {what}, not a {given}.", hint=example)
