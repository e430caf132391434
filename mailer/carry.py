"""Carry an old delivery log over into the one in use: its suppressions, and who had which release.

An office moving to a new log (its own ``out/mailer.db`` to the team's PostgreSQL, or another
SQLite file) starts it empty: it knows neither who bounced, unsubscribed or was forgotten, nor who
already had a release. ``over`` copies both in, so the new log keeps promise 3 (never mail a
suppressed address) and promise 8 (a second send of the same release skips those who had it)
across the move (newcomer 26: the team's log mailed them again).

Safe to run again, and after a run stopped half-way: the suppressions go in one transaction, each
campaign with its journalists in one more, and what the new log holds already stays as it is, so a
second run adds only what is missing (nothing, after a complete one). The old log is opened as any
log is (brought up to this version, its tables made), and what it holds stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from mailer.errors import StoreError

if TYPE_CHECKING:
    from mailer.store.suppressions import Suppression

__all__ = ["CarriedCampaign", "CarryOver", "over", "source_url"]


@dataclass(frozen=True, slots=True)
class CarriedCampaign:
    """One live campaign of the old log, carried."""

    campaign_id: str
    subject: str
    journalists: int  # it went out to (or may have: unknown, in flight)
    new: int  # of them, new in this log (0 on a second run)
    waiting: int  # still only planned there (a send that stopped): not carried, as they do not have it


@dataclass(frozen=True, slots=True)
class CarryOver:
    """What ``over`` carried from ``origin``."""

    origin: str
    suppressed: int  # suppressed addresses in the old log
    suppressed_new: int  # of them, new in this log
    new_suppressions: tuple[str, ...]  # those addresses
    campaigns: tuple[CarriedCampaign, ...]
    withdrawn: tuple[str, ...] = ()  # carried before, since cancelled there (nobody had them): taken out of this log
    lifted: tuple[str, ...] = ()  # suppressed there, but taken off this log's list since: not carried
    # Forgotten there (`mailer forget`), yet this log's own sends still hold their data: (address, message rows,
    # campaigns). Carry-over erases only what it carried; `mailer forget ADDRESS` here erases the rest (carry28).
    still_here: tuple[tuple[str, int, tuple[str, ...]], ...] = ()


def source_url(source: str | Path) -> tuple[str, str]:
    """(URL, origin) of the old log named by ``source``: an SQLite file's path, or a database URL.
    The origin is what carried rows name it by: the file's absolute path, or the URL without password.
    Raises StoreError for a file that does not exist (opening it would make an empty log)."""
    from mailer.store import display_url

    text = str(source)
    if "://" in text:
        if text.startswith("sqlite:///") and ":memory:" not in text:
            return source_url(Path(text.removeprefix("sqlite:///")))
        return text, display_url(text)
    path = Path(text).expanduser()
    if not path.is_file():
        raise StoreError(
            f"There is no delivery log at {path}: nothing was carried over.",
            hint="Name the old log's file (an office folder's out/mailer.db) or its URL: mailer carry-over out/mailer.db.",
        )
    resolved = path.resolve()
    return f"sqlite:///{resolved}", str(resolved)


def over(engine: Engine, source: str | Path, *, advance: Callable[[int], object] | None = None) -> CarryOver:
    """Carry the old log named by ``source`` (``source_url``) into the log ``engine`` opens.
    ``advance`` is told how many journalists each step carried (a million take minutes: a progress bar).

    Raises StoreError when the old log cannot be read, holds no delivery log, or is this same log."""
    from mailer import store
    from mailer.store import carried, clock
    from mailer.store import suppressions as suppression_store

    url, origin = source_url(source)
    here = engine.url.render_as_string(hide_password=False)
    if _same(url, here):
        raise StoreError(
            f"{origin} is the delivery log in use: there is nothing to carry over.",
            hint="Run mailer carry-over with the new log in mailer.toml's [database] url, naming the old one.",
        )
    try:
        state = store.state(url)
    except StoreError as exc:  # not a log (a mailer.toml, a list), or damaged: said in this command's words
        toml = " (a mailer.toml names its log in [database] url: give that file)" if origin.endswith(".toml") else ""
        raise StoreError(
            f"{exc.message} Nothing was carried over.",
            hint=f"Name the old delivery log itself{toml}: an office folder's out/mailer.db, or its database URL.",
        ) from exc
    if state == "empty":
        raise StoreError(f"{origin} holds no delivery log: nothing was carried over.", hint="Name the log your office used before.")
    old = store.connect(url)
    try:
        with old.connect() as reading:
            suppressions = suppression_store.every(reading)
            # Those it carried from this very log are this log's own sends: carried back, they were counted as
            # new here, made by another log (newcomer 28 #12).
            try:
                ours: str | None = source_url(here)[1]
            except StoreError:  # this log's file not made yet: nothing was carried from it
                ours = None
            campaigns = [(found, own) for found, own in carried.of_log(reading, origin) if own or found.origin != ours]
            called_off = cancelled_ids(reading)
        keys_before = set()
        still_here: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
        with engine.begin() as connection:
            # Taken off this log's list (`mailer suppressions remove`: she asked to be mailed again) after the old
            # log suppressed her: the newer word stands, and a second carry-over does not put her back (review 27b).
            lifted = _lifted_since(connection, suppressions)
            suppressions = [entry for entry in suppressions if entry.email_key not in lifted]
            wanted = {entry.email_key for entry in suppressions}
            keys_before = {key for key in suppression_store.reasons(connection) if key in wanted}
            added = suppression_store.insert(connection, suppressions)
            # Forgotten there (since an earlier run, by a colleague still on it): nothing of them stays here either (review 27b).
            forgotten = [entry.email_key for entry in suppressions if entry.reason == "forgotten"]
            for key in forgotten:
                carried.erase_address(connection, key)
            still_here = carried.own_rows(connection, forgotten)
        new_keys = tuple(sorted(wanted - keys_before)) if added else ()
        done = []
        for found, own in campaigns:
            with old.connect() as reading, engine.begin() as connection:
                rows = carried.Rows(reading, found, own=own)
                count, new = carried.insert(connection, found, rows, now=clock.now(connection), advance=advance)
            done.append(CarriedCampaign(found.campaign_id, found.subject, count, new, rows.waiting))
        with engine.begin() as connection:  # a scheduled send cancelled there since the last run: nobody had it (review 27b)
            withdrawn = carried.cancelled_since(connection, origin, called_off)
            carried.withdraw(connection, origin, withdrawn)
    finally:
        old.dispose()
    return CarryOver(origin, len(wanted), added, new_keys, tuple(done), tuple(withdrawn), tuple(sorted(lifted)), still_here)


def _lifted_since(connection: Connection, suppressions: list[Suppression]) -> set[str]:
    """The addresses of ``suppressions`` (the old log's) that this log took off its list after the old
    log suppressed them. A forgotten one too: taking her off needs `suppressions remove --forgotten`, her
    own request to be mailed again, newer than the forgetting (carry28: the old word put her back, and
    carry-over then said to erase her data)."""
    from mailer.store import suppressions as suppression_store

    latest: dict[str, tuple[datetime, str]] = {}
    for removal in suppression_store.removals(connection):  # newest first
        latest.setdefault(removal.email_key, (removal.removed_at, removal.previous_reason))
    return {
        entry.email_key
        for entry in suppressions
        if entry.email_key in latest
        and latest[entry.email_key][0] >= entry.created_at
        # A forgetting is lifted only by name (`--forgotten`), never by a bounce taken off here (carry28).
        and (entry.reason != "forgotten" or latest[entry.email_key][1] == "forgotten")
    }


def cancelled_ids(connection: Connection) -> set[str]:
    """The ids of the live sends cancelled in the log at ``connection``."""
    from sqlalchemy import select

    from mailer.models import CampaignStatus, Mode
    from mailer.store.schema import campaign

    query = select(campaign.c.id).where(campaign.c.mode == Mode.LIVE.value, campaign.c.status == CampaignStatus.CANCELLED.value)
    return set(connection.scalars(query))


def _same(url: str, other: str) -> bool:
    """Whether two log URLs name the same log (an SQLite file however its path is written)."""
    if url.startswith("sqlite:///") and other.startswith("sqlite:///"):
        try:
            return Path(url.removeprefix("sqlite:///")).resolve() == Path(other.removeprefix("sqlite:///")).resolve()
        except OSError:
            return False
    return url == other
