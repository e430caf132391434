"""A mailer.toml that names no delivery log, beside the log mailer kept before it had one.

Without a mailer.toml, mailer keeps the user's one log in their data folder
(``config.default_log_url``); a mailer.toml without ``[database] url`` puts the log beside it
(``out/mailer.db``). Adding a mailer.toml would so start a new, empty log, and with it lose the
suppressions and forgotten journalists of the first: a journalist who asked not to be mailed
would be mailed again (newcomer review 8). ``check`` refuses to start that new log while the
earlier one holds a live or test send or a suppression, until mailer.toml says which log to use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from mailer.config import Config, default_log_url
from mailer.errors import ConfigError

__all__ = [
    "cancelled",
    "check",
    "holds_address",
    "left_behind",
    "live_sends",
    "suppressed_since",
    "suppressions_of",
    "went_out",
    "went_out_to",
]

_SQLITE = "sqlite:///"


def check(config: Config) -> None:
    """Raise ConfigError when ``config``'s file names no log, its default log does not exist yet
    (or holds nothing), and the log mailer used without a mailer.toml holds campaigns or suppressions."""
    if config.source is None or config.log_named or not config.database.url.startswith(_SQLITE):
        return
    new = Path(config.database.url.removeprefix(_SQLITE))
    earlier = Path(default_log_url().removeprefix(_SQLITE))
    if not earlier.is_file() or new.resolve() == earlier.resolve():
        return
    if new.exists() and _in_use(new):  # or cannot be read: it is not ours to judge
        return
    held = _held(earlier)  # review 8b: an older mailer already made the new log, empty: still refused
    if held == (0, 0):
        return
    what = "" if held is None else f" ({held[0]:,} campaign{'s' * (held[0] != 1)}, {held[1]:,} suppressed address{'es' * (held[1] != 1)})"
    raise ConfigError(
        f"{config.source} names no delivery log, so mailer would start a new, empty one at {new}; "
        f"until now mailer kept its log at {earlier}{what}. A new log would not know who asked not to be mailed.",
        hint=f'Say which log to use: add to {config.source}\n[database]\nurl = "{_SQLITE}{earlier}"\n'
        f'to keep the log you have, or url = "{_SQLITE}{new}" to start a new one.',
    )


def _in_use(path: Path) -> bool:
    """Whether the log at ``path`` holds a campaign or a suppression (True when it cannot be read).
    Asked on every command of such an office: two look-ups of one row, not two counts."""
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            query = "SELECT EXISTS (SELECT 1 FROM campaign) OR EXISTS (SELECT 1 FROM suppression)"
            return bool(connection.execute(query).fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return True


def _held(path: Path) -> tuple[int, int] | None:
    """(live and test campaigns, suppressions) in the log at ``path``, read only; None when it cannot
    be read. Dry runs do not count: they mailed nobody and no journalist asked anything of them
    (newcomer 12 #3: the README's own first command, a dry run, blocked every command once the
    office copied config.example.toml to mailer.toml)."""
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            campaigns = connection.execute("SELECT count(*) FROM campaign WHERE mode <> 'dry-run'").fetchone()[0]
            suppressed = connection.execute("SELECT count(*) FROM suppression").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return int(campaigns), int(suppressed)


def left_behind(config: Config, url: str) -> tuple[Path, int, int] | None:
    """An earlier SQLite log this office used, other than the log at ``url``, that holds
    suppressions or live sends: (its path, suppressed addresses, live sends), or None. Looked for in this office
    folder (``out/mailer.db`` beside mailer.toml) and in the user's data folder (the log without a
    mailer.toml). A team moving to a shared log would otherwise mail again everyone the old one
    kept out: bounced, unsubscribed, forgotten (newcomer 26 #7)."""
    current = Path(url.removeprefix(_SQLITE)).resolve() if url.startswith(_SQLITE) else None
    candidates = [Path(default_log_url().removeprefix(_SQLITE))]
    if config.source is not None:
        candidates.insert(0, config.source.resolve().parent / "out" / "mailer.db")
    for path in candidates:
        if not path.is_file() or path.resolve() == current:
            continue
        held = _held_live(path)
        if held is not None and (held[0] or held[1]):
            return path, held[0], held[1]
    return None


def live_sends(path: Path) -> list[tuple[str, str]]:
    """(id, content hash) of the live campaigns of the SQLite log at ``path`` that can have reached
    journalists, read only: those `mailer carry-over` carries (``carried.of_log``); [] when it
    cannot be read."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from mailer.store import campaigns

    engine = create_engine(f"sqlite:///{path.resolve().as_uri()}?mode=ro&uri=true")
    try:
        with engine.connect() as connection:
            return campaigns.live_with(connection)
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()


_WENT_OUT = "state IN ('sending', 'accepted', 'unknown') AND email_key NOT LIKE 'forgotten:%'"


def went_out(path: Path, campaign_ids: Collection[str]) -> dict[str, int]:
    """Of the SQLite log at ``path``, read only: each of ``campaign_ids`` -> how many journalists its rows
    went out to (sending, accepted, unknown; not forgotten), through the campaign's index. What `mailer
    carry-over` carried of a campaign resumed there since falls short of it (review 27b). {} when it cannot be read."""
    found: dict[str, int] = {}
    for campaign_id in campaign_ids:
        for (count,) in _read(path, f"SELECT count(*) FROM message WHERE campaign_id = ? AND {_WENT_OUT}", (campaign_id,)):
            found[campaign_id] = int(count)
    return found


def went_out_to(path: Path, campaign_id: str) -> set[str]:
    """The addresses (lower-cased) one campaign of the SQLite log at ``path`` went out to, read only."""
    return {str(key) for (key,) in _read(path, f"SELECT email_key FROM message WHERE campaign_id = ? AND {_WENT_OUT}", (campaign_id,))}


def suppressed_since(path: Path, since: datetime, *, reason: str | None = None) -> set[str]:
    """The addresses the SQLite log at ``path`` suppressed after ``since`` (read only): a colleague still
    on it after `mailer carry-over` (review 27b); only those of ``reason`` when given. Empty when it cannot be read."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.exc import SQLAlchemyError

    from mailer.store.schema import suppression

    engine = create_engine(f"sqlite:///{path.resolve().as_uri()}?mode=ro&uri=true")
    try:
        with engine.connect() as connection:
            query = select(suppression.c.email_key).where(suppression.c.created_at > since)
            if reason is not None:
                query = query.where(suppression.c.reason == reason)
            return set(connection.scalars(query))
    except SQLAlchemyError:
        return set()
    finally:
        engine.dispose()


def suppressions_of(path: Path) -> dict[str, datetime]:
    """Every address the SQLite log at ``path`` suppresses, with since when (read only); empty when it cannot be read."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.exc import SQLAlchemyError

    from mailer.store.schema import suppression

    engine = create_engine(f"sqlite:///{path.resolve().as_uri()}?mode=ro&uri=true")
    try:
        with engine.connect() as connection:
            return {key: at for key, at in connection.execute(select(suppression.c.email_key, suppression.c.created_at))}
    except SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def holds_address(path: Path, email_key: str) -> bool:
    """Whether the SQLite log at ``path`` (read only) still holds ``email_key`` in a message row or a carried
    row: its data there, which `mailer forget` on another log does not erase (carry28). False when it cannot be read."""
    queries = (
        "SELECT 1 FROM message WHERE email_key = ? AND skip_reason IS NULL LIMIT 1",
        "SELECT 1 FROM message WHERE email_key = ? AND skip_reason IS NOT NULL LIMIT 1",
        "SELECT 1 FROM carried_message WHERE email_key = ? LIMIT 1",  # a log made before carry-over has none: read as no row
    )
    return any(_read(path, query, (email_key,)) for query in queries)


def cancelled(path: Path) -> set[str]:
    """The ids of the live sends cancelled in the SQLite log at ``path`` (read only): nobody had them."""
    return {str(cid) for (cid,) in _read(path, "SELECT id FROM campaign WHERE mode = 'live' AND status = 'cancelled'", ())}


def _read(path: Path, query: str, parameters: tuple[str, ...]) -> list[tuple[Any, ...]]:
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return list(connection.execute(query, parameters))
        finally:
            connection.close()
    except sqlite3.Error:
        return []


def _held_live(path: Path) -> tuple[int, int] | None:
    """(suppressed addresses, live sends) of the log at ``path``; None when it cannot be read."""
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            suppressed = connection.execute("SELECT count(*) FROM suppression").fetchone()[0]
            live = connection.execute("SELECT count(*) FROM campaign WHERE mode = 'live'").fetchone()[0]
            return int(suppressed), int(live)
        finally:
            connection.close()
    except sqlite3.Error:
        return None
