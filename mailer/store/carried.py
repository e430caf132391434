"""The carried_campaign and carried_message tables: who another delivery log sent which release.

An office moving to a new log (its own SQLite file to the team's PostgreSQL) carries over, with
`mailer carry-over`, each live campaign of the old log and the journalists it went out to (sending,
accepted or unknown there). A send of the same release from the new log then skips them "already
received in" that campaign, as it skips those of its own campaigns (promise 8; newcomer 26: they
were mailed again). ``reached`` feeds them to ``send.reached`` as if they were the log's own rows:
a carried campaign is named by ``label`` ("2026-12-02-budget (out of /home/sophie/press/out/mailer.db)"),
so it is never taken for one of this log's campaigns of the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select

from mailer.models import MessageState
from mailer.store import campaigns, messages, plan_parts, suppressions
from mailer.store.bulk import chunks, insert_or_skip
from mailer.store.schema import carried_campaign, carried_message, message

__all__ = [
    "Carried",
    "Rows",
    "by_label",
    "carried",
    "compared",
    "count",
    "elsewhere_hint",
    "erase_address",
    "for_address",
    "holding",
    "insert",
    "label",
    "listed",
    "missing",
    "of_log",
    "outgrown",
    "own_rows",
    "reached",
    "sent_elsewhere",
]

# The states of a row that went out (or may have): what is carried. `planned` rows did not.
_WENT_OUT = (MessageState.SENDING.value, MessageState.ACCEPTED.value, MessageState.UNKNOWN.value)


@dataclass(frozen=True, slots=True)
class Carried:
    """One live campaign of another log, as carried (or to carry)."""

    origin: str
    campaign_id: str
    release_path: str
    release_key: str | None
    content_hash: str
    versions: dict[str, str] | None
    subject: str
    created_at: datetime

    @property
    def label(self) -> str:
        return label(self.origin, self.campaign_id)


def label(origin: str, campaign_id: str) -> str:
    """How the plan names a carried campaign: its id, and the log it came from."""
    return f"{campaign_id} (out of {origin})"


class _Every:
    """Every address: ``messages.reached`` of a whole campaign."""

    def __contains__(self, _key: object) -> bool:
        return True


# -- the old log's side: what there is to carry ------------------------------------------------------


def of_log(connection: Connection, origin: str) -> list[tuple[Carried, bool]]:
    """The live campaigns of the log at ``connection`` that can have reached journalists (not
    cancelled, not sandboxed), oldest first, as carried from ``origin``, each with True (its own);
    then those it carried itself from a log before it (each keeping its own origin), with False."""
    found: list[tuple[Carried, bool]] = []
    for campaign_id, _content in campaigns.live_with(connection):
        row = campaigns.get(connection, campaign_id)
        if row is None:
            continue
        found.append(
            (
                Carried(
                    origin=origin,
                    campaign_id=row.id,
                    release_path=row.release_path,
                    release_key=row.filters.get(campaigns.RELEASE),
                    content_hash=row.content_hash,
                    versions=campaigns.version_hashes(connection, row.id),
                    subject=row.subject,
                    created_at=row.created_at,
                ),
                True,
            )
        )
    return found + [(one, False) for one in carried(connection)]


class Rows:
    """The journalists a campaign of the old log went out to, read as they are carried: iterate for
    (address lower-cased, language, state); then ``waiting`` says how many it still only plans (a
    send that stopped: they do not have it, so they are not carried)."""

    def __init__(self, connection: Connection, found: Carried, *, own: bool) -> None:
        self._connection, self._found, self._own = connection, found, own
        self.waiting = 0

    def __iter__(self) -> Iterator[tuple[str, str | None, str]]:
        found = self._found
        if not self._own:  # carried into the old log from one before it
            query = select(carried_message.c.email_key, carried_message.c.language, carried_message.c.state).where(
                carried_message.c.origin == found.origin, carried_message.c.campaign_id == found.campaign_id
            )
            yield from ((key, language, state) for key, language, state in self._connection.execute(query))
            return
        self.waiting = sum(1 for _ in plan_parts.reached(self._connection, [found.campaign_id], _Every()))
        for key, _cid, language, state in messages.reached(self._connection, [found.campaign_id], _Every()):
            if state not in _WENT_OUT:
                self.waiting += 1
            elif not key.startswith(messages.FORGOTTEN_KEY_PREFIX):  # suppressed as forgotten: carried with the suppressions
                yield key, language, state


# -- the new log's side ------------------------------------------------------------------------------


def insert(
    connection: Connection,
    found: Carried,
    rows: Iterable[tuple[str, str | None, str]],
    *,
    now: datetime,
    advance: Callable[[int], object] | None = None,
) -> tuple[int, int]:
    """Carry ``found`` and its ``rows`` into this log, inside the caller's transaction; what is here
    already stays as it is (a second run, or one after a crash, adds only what is missing).
    ``advance`` is told how many rows each step carried. Returns (journalists carried, of them new here)."""
    header = {
        "origin": found.origin,
        "campaign_id": found.campaign_id,
        "release_path": found.release_path,
        "release_key": found.release_key,
        "content_hash": found.content_hash,
        "versions": found.versions,
        "subject": found.subject,
        "created_at": found.created_at,
        "carried_at": now,
    }
    connection.execute(insert_or_skip(connection.dialect, carried_campaign).on_conflict_do_nothing(), [header])
    statement = insert_or_skip(connection.dialect, carried_message).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    carried_rows = added = 0
    # One row per journalist and campaign there (its log's unique index), so nothing to dedupe here: memory stays flat.
    for chunk in chunks(rows, 2000):
        forgotten = suppressions.forgotten_among(connection, [key for key, *_ in chunk])  # forgotten here: not kept again
        values = [
            {"origin": found.origin, "campaign_id": found.campaign_id, "email_key": key, "language": language, "state": state}
            for key, language, state in chunk
            if key not in forgotten
        ]
        carried_rows += len(values)
        if values:
            added += max(connection.execute(statement, values).rowcount, 0)
        if advance is not None:
            advance(len(chunk))
    return carried_rows, added


def carried(connection: Connection) -> list[Carried]:
    """Every campaign carried into this log, oldest first."""
    query = select(carried_campaign).order_by(carried_campaign.c.created_at, carried_campaign.c.campaign_id)
    return [_from_row(row) for row in connection.execute(query).mappings()]


def missing(connection: Connection, live: Collection[tuple[str, str]]) -> list[str]:
    """Of another log's live campaigns (id, content hash), the ids neither carried into this log nor
    its own (a copy of that log): a send from here would mail their journalists again."""
    if not live:
        return []
    here = {(cid, content) for cid, content in connection.execute(select(carried_campaign.c.campaign_id, carried_campaign.c.content_hash))}
    here.update(campaigns.live_with(connection))
    return [cid for cid, content in live if (cid, content) not in here]


def outgrown(connection: Connection, origin: str, went_out: Mapping[str, int], keys_of: Callable[[str], Collection[str]]) -> list[str]:
    """Of the campaigns carried from the log ``origin`` into this one (``went_out``: id -> how many journalists it went
    out to there, now), the ids that went out to someone since they were carried (a stopped send resumed
    from that log, one still running during the carry-over): a send from here would mail them again
    (review 27b). ``keys_of`` gives a campaign's addresses there, read only where the counts differ."""
    if not went_out:
        return []
    query = (
        select(carried_message.c.campaign_id, func.count())
        .where(carried_message.c.origin == origin, carried_message.c.campaign_id.in_(list(went_out)))
        .group_by(carried_message.c.campaign_id)
    )
    here = {campaign_id: int(count) for campaign_id, count in connection.execute(query)}
    found = []
    for campaign_id in sorted(here):
        if went_out[campaign_id] <= here[campaign_id]:
            continue
        keys = set(keys_of(campaign_id))
        carried_keys = select(carried_message.c.email_key).where(
            carried_message.c.origin == origin, carried_message.c.campaign_id == campaign_id
        )
        keys.difference_update(connection.scalars(carried_keys))
        if keys - suppressions.forgotten_among(connection, keys):  # forgotten here: not carried, rightly
            found.append(campaign_id)
    return found


def cancelled_since(connection: Connection, origin: str, cancelled: Collection[str]) -> list[str]:
    """Of the campaigns carried from ``origin``, the ids that log has cancelled since (``cancelled``:
    a scheduled send called off there): nobody had them, yet a send from here would skip their
    journalists as having had them (review 27b)."""
    if not cancelled:
        return []
    query = select(carried_campaign.c.campaign_id).where(
        carried_campaign.c.origin == origin, carried_campaign.c.campaign_id.in_(list(cancelled))
    )
    return sorted(connection.scalars(query))


def last_carried(connection: Connection, origin: str) -> datetime | None:
    """When a campaign was last carried from ``origin`` into this log (None: never)."""
    found: datetime | None = connection.scalar(select(func.max(carried_campaign.c.carried_at)).where(carried_campaign.c.origin == origin))
    return found


def withdraw(connection: Connection, origin: str, campaign_ids: Collection[str]) -> None:
    """Take the campaigns carried from ``origin`` of these ids out of this log (cancelled there since)."""
    for table in (carried_message, carried_campaign):
        connection.execute(delete(table).where(table.c.origin == origin, table.c.campaign_id.in_(list(campaign_ids))))


def compared(
    connection: Connection, hashes: Collection[str], *, release_path: str | None = None, release_key: str | None = None
) -> dict[str, Carried]:
    """The carried campaigns a plan is compared with, as ``send.reached.compared`` finds its own: with
    one of these content ``hashes`` (the plan's, its versions'), or of the same release file. Label -> it."""
    conditions: list[Any] = [carried_campaign.c.content_hash.in_(list(hashes))]
    if release_path is not None:
        conditions.append(carried_campaign.c.release_path == release_path)
    if release_key is not None:
        conditions.append(carried_campaign.c.release_key == release_key)
    query = select(carried_campaign).where(or_(*conditions))
    found = {row.label: row for row in map(_from_row, connection.execute(query).mappings())}
    # A version of the plan's among a campaign's versions (a copy in other languages): read in Python,
    # the JSON column is the same on both databases so.
    wanted = set(hashes)
    for row in map(_from_row, connection.execute(select(carried_campaign).where(carried_campaign.c.versions.is_not(None))).mappings()):
        if row.label not in found and wanted.intersection((row.versions or {}).values()):
            found[row.label] = row
    return found


def reached(connection: Connection, found: Collection[Carried], email_keys: Container[str]) -> Iterator[tuple[str, str, str | None, str]]:
    """As ``messages.reached``: (address lower-cased, the campaign's ``label``, language, state) of
    each journalist these carried campaigns went out to, for the addresses in ``email_keys``. An
    unknown there reads accepted: this log cannot resend it (promise 2), so they count as having it."""
    for one in found:
        query = select(carried_message.c.email_key, carried_message.c.language).where(
            carried_message.c.origin == one.origin, carried_message.c.campaign_id == one.campaign_id
        )
        for key, language in connection.execute(query):
            if key in email_keys:
                yield key, one.label, language, MessageState.ACCEPTED.value


def by_label(connection: Connection, labels: Collection[str]) -> dict[str, Carried]:
    """The carried campaigns of these labels (others are this log's own)."""
    if not labels:
        return {}
    return {row.label: row for row in carried(connection) if row.label in labels}


def holding(connection: Connection, email_keys: Collection[str]) -> set[str]:
    """Of these addresses, those carried rows of this log still name."""
    found: set[str] = set()
    for chunk in chunks(sorted(email_keys), 500):
        found.update(connection.scalars(select(carried_message.c.email_key).where(carried_message.c.email_key.in_(chunk)).distinct()))
    return found


def erase_address(connection: Connection, email_key: str) -> int:
    """Forget the address: its carried rows go (a forgotten journalist is suppressed for good)."""
    return int(connection.execute(delete(carried_message).where(carried_message.c.email_key == email_key)).rowcount)


def own_rows(connection: Connection, email_keys: Iterable[str]) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """Of these addresses (forgotten in a log carried into this one), those this log's own sends still
    hold (its `mailer forget` never ran for them): (address, message rows, campaign ids), by address."""
    found = []
    for key in sorted(set(email_keys)):
        campaign_ids = list(connection.scalars(select(message.c.campaign_id).where(messages.to_address(key))))
        if campaign_ids:
            found.append((key, len(campaign_ids), tuple(sorted(set(campaign_ids)))))
    return tuple(found)


def listed(connection: Connection, limit: int | None = None) -> list[tuple[Carried, int]]:
    """The campaigns carried into this log, newest first (the newest ``limit``), each with how many journalists
    had it (`mailer campaigns`): counted one campaign at a time, through the table's key."""
    newest = list(reversed(carried(connection)))
    found = []
    for one in newest if limit is None else newest[:limit]:
        query = select(func.count()).where(carried_message.c.origin == one.origin, carried_message.c.campaign_id == one.campaign_id)
        found.append((one, int(connection.scalar(query) or 0)))
    return found


def count(connection: Connection) -> int:
    """How many campaigns were carried into this log."""
    return int(connection.scalar(select(func.count()).select_from(carried_campaign)) or 0)


def for_address(connection: Connection, email_key: str) -> list[tuple[Carried, str | None, str]]:
    """The carried campaigns that went out to ``email_key`` in their own log, newest first: (it, language, state there)."""
    query = select(carried_message.c.origin, carried_message.c.campaign_id, carried_message.c.language, carried_message.c.state).where(
        carried_message.c.email_key == email_key
    )
    rows = {(origin, campaign_id): (language, state) for origin, campaign_id, language, state in connection.execute(query)}
    return [(one, *rows[one.origin, one.campaign_id]) for one in reversed(carried(connection)) if (one.origin, one.campaign_id) in rows]


def sent_elsewhere(connection: Connection, campaign_id: str) -> tuple[str, str] | None:
    """When ``campaign_id`` is no campaign of this log's own but one carried into it: what to say of it
    ("2026-11-20-budget was sent from /home/sophie/press/out/mailer.db, not from this delivery log: ...")
    and the ``[database] url`` line that names its log, for the hint. None otherwise (carry28: `mailer
    status` and follow-ups said the log held no such campaign, a typo or another office's)."""
    found = [one for one in carried(connection) if one.campaign_id == campaign_id]
    if not found:
        return None
    one = found[0]  # the first carried, should two logs have had the same id
    query = select(func.count()).where(carried_message.c.origin == one.origin, carried_message.c.campaign_id == campaign_id)
    had = int(connection.scalar(query) or 0)
    url = one.origin if "://" in one.origin else f"sqlite:///{one.origin}"
    words = (
        f"{campaign_id} was sent from {one.origin}, not from this delivery log: mailer carry-over brought over only who "
        f"had it ({had:,} journalist{'s' if had != 1 else ''}), so that a send of its release from here skips them"
    )
    return words, f'[database] url = "{url}"'


def elsewhere_hint(line: str, command: str) -> str:
    """The hint to run ``command`` (`mailer status ID`) on a carried campaign's own log, whose ``line``
    (``sent_elsewhere``) names it."""
    return f"Run it on that log: copy mailer.toml to old.toml in the same folder, with {line}, then: mailer --config old.toml {command}"


def _from_row(row: Any) -> Carried:
    return Carried(
        origin=row["origin"],
        campaign_id=row["campaign_id"],
        release_path=row["release_path"],
        release_key=row["release_key"],
        content_hash=row["content_hash"],
        versions=row["versions"],
        subject=row["subject"],
        created_at=row["created_at"],
    )
