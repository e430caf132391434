"""The only SQL for the campaign table: create with a readable id, read, update status."""

from __future__ import annotations

import difflib
import os
import re
import socket
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, or_, select, text, update

from mailer import mailbox
from mailer.models import FORGOTTEN_ADDRESS, CampaignStatus, MessageState, Mode, RejectReason
from mailer.store.bulk import Prepared
from mailer.store.failures import display_url
from mailer.store.schema import campaign, campaign_version, message, plan_part

SANDBOX = "sandbox"  # filters key: a live campaign sent with [sendgrid] sandbox = true (SendGrid delivered nothing)
DELIMITER = "delimiter"  # filters key: the delimiter the campaign's press lists share (comma, semicolon or tab), if they do
# filters key: the release file's path inside the office folder (the folder holding mailer.toml),
# "releases/honey.md": a colleague's copy of the press folder holds the same release under
# another absolute path (newcomer 13 #1). Absent for a campaign logged before it was kept, or
# sent from a file outside that folder: such a campaign is its release by absolute path only.
RELEASE = "release"
# filters key: each language version's ``Rendered.source_hash`` (language -> hash), a fingerprint of what
# the office wrote: a later press-mailer that writes the same release differently (its content hash
# then differs) still knows it as the same release, not a corrected one (lead 28). Absent for a
# campaign logged before it was kept.
SOURCES = "sources"
# filters key: when a cancel was asked less than 10 minutes before the send's time (ISO 8601, UTC):
# SendGrid may or may not honour it, so the campaign is not marked cancelled, and nobody should be
# told to cancel it again (newcomer 13 #7).
LATE_CANCEL = "late_cancel"
# filters key: when `mailer cancel` sent SendGrid the cancel of a scheduled send whose answer is not
# logged yet (ISO 8601, UTC): written before the request and removed once SendGrid answers, so a
# cancel stopped on its way (Ctrl-C, the process killed, no answer) is known (review 18s #5).
CANCEL_SENT = "cancel_sent"
# filters key: the --where/--tag values (compared case-folded) that `mailer forget` found held by
# several journalists of the campaign: a group's value (a beat), which a later forget of the last of
# them does not take for that journalist's own (review 15s #8).
SHARED = "shared"


@dataclass(frozen=True, slots=True)
class Campaign:
    """One campaign row as read back."""

    id: str
    release_path: str
    content_hash: str
    subject: str
    lists: list[str]
    filters: dict[str, Any]
    mode: Mode
    status: CampaignStatus
    created_at: datetime
    scheduled_at: datetime | None
    sendgrid_batch_id: str | None
    sender: dict[str, Any]
    follow_up_of: str | None = None  # the campaign this one follows up (mailer send --follow-up)

    @property
    def overrides(self) -> list[str]:
        """The addresses its plan let through by name (``--override-suppression``), lower-cased."""
        return [str(address) for address in self.filters.get("override_suppression") or ()]

    @property
    def sandboxed(self) -> bool:
        """Sent to SendGrid's sandbox ([sendgrid] sandbox = true): validated, delivered to nobody."""
        return bool(self.filters.get(SANDBOX))

    @property
    def goes_out(self) -> datetime:
        """When it went out (or goes out): a scheduled send at its scheduled time, which SendGrid holds
        it until, not when it was planned; any other when it was created (``going_out`` in SQL)."""
        return self.scheduled_at or self.created_at

    @property
    def late_cancel(self) -> datetime | None:
        """When a cancel was asked too close to its time for SendGrid to promise it (None: never)."""
        found = self.filters.get(LATE_CANCEL)
        try:
            return datetime.fromisoformat(found) if isinstance(found, str) else None
        except ValueError:
            return None

    @property
    def cancel_sent(self) -> datetime | None:
        """When a cancel was sent to SendGrid whose answer was never logged (None: none such)."""
        found = self.filters.get(CANCEL_SENT)
        try:
            return datetime.fromisoformat(found) if isinstance(found, str) else None
        except ValueError:
            return None

    @property
    def delimiter(self) -> str | None:
        """The delimiter its press lists share, as the send logged it (None: they differ, or logged before it was kept)."""
        found = self.filters.get(DELIMITER)
        return found if found in (",", ";", "\t") else None


def new_id(connection: Connection, *, day: date, slug: str) -> str:
    """`2026-02-19-<slug>`, or the same with -2, -3 ... when that id is taken."""
    base = f"{day.isoformat()}-{slug}"[:110]
    taken = set(connection.scalars(select(campaign.c.id).where(campaign.c.id.like(f"{base}%"))))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def create(
    connection: Connection,
    *,
    campaign_id: str,
    release_path: str,
    content_hash: str,
    subject: str,
    lists: Sequence[str],
    filters: Mapping[str, Any],
    mode: Mode,
    created_at: datetime,
    scheduled_at: datetime | None = None,
    sendgrid_batch_id: str | None = None,
    sender: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
) -> None:
    """Insert a campaign in status planned (inside the caller's transaction); ``versions``: the
    language -> content hash of each version it sends (``version_hashes``)."""
    connection.execute(
        campaign.insert().values(
            id=campaign_id,
            release_path=release_path,
            content_hash=content_hash,
            subject=subject,
            lists=list(lists),
            filters=dict(filters),
            mode=mode.value,
            status=CampaignStatus.PLANNED.value,
            created_at=created_at,
            scheduled_at=scheduled_at,
            sendgrid_batch_id=sendgrid_batch_id,
            sender=dict(sender or {}),
        )
    )
    if versions:
        rows = [{"campaign_id": campaign_id, "language": language, "content_hash": hashed} for language, hashed in versions.items()]
        connection.execute(campaign_version.insert(), rows)


def version_hashes(connection: Connection, campaign_id: str) -> dict[str, str] | None:
    """Language -> content hash of each version the campaign sent; None for a campaign logged before
    these were kept."""
    query = select(campaign_version.c.language, campaign_version.c.content_hash).where(campaign_version.c.campaign_id == campaign_id)
    found = {language: hashed for language, hashed in connection.execute(query)}
    return found or None


def version_counts(connection: Connection, campaign_ids: Collection[str]) -> dict[str, int]:
    """Campaign id -> how many language versions it sent (1 for a release in one language); a
    campaign logged before these were kept is not in it."""
    if not campaign_ids:
        return {}
    query = (
        select(campaign_version.c.campaign_id, func.count())
        .where(campaign_version.c.campaign_id.in_(sorted(campaign_ids)))
        .group_by(campaign_version.c.campaign_id)
    )
    return {campaign_id: int(count) for campaign_id, count in connection.execute(query)}


def get(connection: Connection, campaign_id: str) -> Campaign | None:
    """The campaign, or None when the id is not in the log."""
    row = connection.execute(select(campaign).where(campaign.c.id == campaign_id)).mappings().first()
    if row is None:
        return None
    return Campaign(
        id=row["id"],
        release_path=row["release_path"],
        content_hash=row["content_hash"],
        subject=row["subject"],
        lists=list(row["lists"] or []),
        filters=dict(row["filters"] or {}),
        mode=Mode(row["mode"]),
        status=CampaignStatus(row["status"]),
        created_at=row["created_at"],
        scheduled_at=row["scheduled_at"],
        sendgrid_batch_id=row["sendgrid_batch_id"],
        sender=dict(row["sender"] or {}),
        follow_up_of=row["follow_up_of"],
    )


def erase_address(connection: Connection, address: str) -> list[str]:
    """Take the address ``address`` (a ``mailbox.key``) out of every campaign's lists and filters:
    part of ``mailer forget`` (review 12a #5). A test send made ``--as`` the journalist keeps
    ``"as": "(forgotten)"``; an address let through by name (``--override-suppression``) leaves
    that list; a ``--where`` naming it keeps the rest of its text. Returns the ids of the test
    sends made as that journalist, whose every row carries her fields (``messages.erase_proofs``).
    """
    made_as: list[str] = []
    for campaign_id, lists, filters in list(connection.execute(select(campaign.c.id, campaign.c.lists, campaign.c.filters))):
        named_as = (filters or {}).get("as")
        if isinstance(named_as, str) and mailbox.key(named_as) == address:
            made_as.append(campaign_id)
        kept_lists, kept_filters = _without(lists, address), _without(filters, address)
        if (kept_lists, kept_filters) != (lists, filters):
            connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(lists=kept_lists, filters=kept_filters))
    return made_as


def _without(value: Any, address: str) -> Any:
    """A campaign's stored lists or filters (JSON) without ``address``: a text that is the address
    becomes FORGOTTEN_ADDRESS (dropped from a list), one that quotes it keeps the rest."""
    if isinstance(value, str):
        return FORGOTTEN_ADDRESS if mailbox.key(value) == address else mailbox.scrub(value, address, FORGOTTEN_ADDRESS)
    if isinstance(value, list):
        return [_without(item, address) for item in value if not (isinstance(item, str) and mailbox.key(item) == address)]
    if isinstance(value, dict):
        return {name: _without(item, address) for name, item in value.items()}
    return value


def erase_values(connection: Connection, values: Collection[str], *, names: Collection[str] = ()) -> dict[str, tuple[str, ...]]:
    """Take a forgotten journalist's field values (``values``: ``messages.field_values``, read before
    her rows were blanked) out of every campaign's ``--where`` and ``--tag`` filters and out of the
    reasons its skipped rows give ("last_name is not Quistgaard"): part of ``mailer forget``
    (review 14 #10: an exclusive chosen ``--where last_name=Quistgaard`` kept her name for good).

    A value is taken out only where it names her: it is one of her own values, and no other row of
    that campaign holds it (``--where beat=health`` chose her among others: it stays, as the others'
    texts do). Each such value becomes FORGOTTEN_ADDRESS. A value found held by others is noted on
    the campaign (``SHARED``) unless it is one of her ``names`` (first or last name, address): once
    those others are forgotten too, the health beat stays what the campaign was sent to, not a
    person's value (review 15s #8: "beat is not (forgotten)"). Returns, per campaign changed, the
    values taken out as typed (``scrub_values`` takes them out of the dry run's files).
    """
    wanted = {value for value in values if value}
    if not wanted:
        return {}
    personal = {value for value in names if value}
    changed: dict[str, tuple[str, ...]] = {}
    for campaign_id, filters in list(connection.execute(select(campaign.c.id, campaign.c.filters))):
        named = {value for value in _filter_values(filters) if _comparable(value) in wanted}
        if not named:
            continue
        shared = {value for value in filters.get(SHARED) or [] if isinstance(value, str)}
        others: set[str] = set()
        for fields in connection.scalars(select(message.c.fields).where(message.c.campaign_id == campaign_id)):
            for name, value in (fields or {}).items():
                if isinstance(value, str):
                    others.update(_comparable(part) for part in (value.split(";") if name == "tags" else [value]))
        held = {_comparable(value) for value in named if _comparable(value) in others and _comparable(value) not in personal}
        gone = {value for value in named if _comparable(value) not in others | shared}
        if not gone:
            if held - shared:
                connection.execute(
                    update(campaign).where(campaign.c.id == campaign_id).values(filters={**filters, SHARED: sorted(shared | held)})
                )
            continue
        kept = {
            **filters,
            **{key: [_without_values(item, gone, split=key == "where") for item in filters[key]] for key in _FILTER_KEYS if key in filters},
            **({SHARED: sorted(shared | held)} if held - shared else {}),
        }
        connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(filters=kept))
        skipped = select(message.c.id, message.c.error).where(
            message.c.campaign_id == campaign_id, message.c.skip_reason.is_not(None), message.c.error.is_not(None)
        )
        for message_id, error in list(connection.execute(skipped)):
            scrubbed = scrub_values(error, gone)
            if scrubbed != error:
                connection.execute(update(message).where(message.c.id == message_id).values(error=scrubbed))
        changed[campaign_id] = tuple(sorted(gone))
    return changed


def scrub_values(text: str, values: Collection[str]) -> str:
    """``text`` (a skipped row's reason, "last_name is not Quistgaard") with each of a forgotten
    journalist's filter ``values`` (as ``erase_values`` returns them) replaced by FORGOTTEN_ADDRESS,
    whole words only, whatever their case or spacing."""
    if not text or not values:
        return text
    pattern = re.compile(
        "|".join(rf"(?<!\w){re.escape(' '.join(value.split()))}(?!\w)" for value in sorted(values, key=len, reverse=True)), re.IGNORECASE
    )
    return pattern.sub(FORGOTTEN_ADDRESS, text)


_FILTER_KEYS = ("where", "tag")  # the filters keys holding --where FIELD=VALUE[,VALUE] and --tag TAG texts


def _filter_values(filters: Any) -> list[str]:
    """The values a campaign's ``--where`` and ``--tag`` texts name, as typed."""
    found: list[str] = []
    for key in _FILTER_KEYS:
        items = (filters or {}).get(key) if isinstance(filters, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                found.extend(item.partition("=")[2].split(",") if key == "where" else [item])
    return [value for value in found if value.strip()]


def _without_values(item: Any, gone: Collection[str], *, split: bool) -> Any:
    """A ``--where`` (``split``) or ``--tag`` text with the values ``gone`` replaced by FORGOTTEN_ADDRESS."""
    if not isinstance(item, str):
        return item
    if not split:
        return FORGOTTEN_ADDRESS if item in gone else item
    name, equals, values = item.partition("=")
    if not equals:
        return item
    return name + equals + ",".join(FORGOTTEN_ADDRESS if value in gone else value for value in values.split(","))


def _comparable(value: str) -> str:
    """A value as a filter compares it (contacts/filters.py): spaces run together, case-folded."""
    return " ".join(value.split()).casefold()


def set_follow_up_of(connection: Connection, campaign_id: str, original_id: str) -> None:
    """Record that ``campaign_id`` follows up ``original_id`` (right after the send writes its row)."""
    connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(follow_up_of=original_id))


def follow_up_family(connection: Connection, campaign_id: str) -> list[str]:
    """The original campaign this one belongs to, then every follow-up of it (and of those), oldest first.

    ``[campaign_id]`` alone when it neither follows up nor was followed up. Dry runs and test
    sends are left out of the follow-ups (nothing reached a journalist).
    """
    query = select(campaign.c.id, campaign.c.follow_up_of).where(campaign.c.follow_up_of.is_not(None), campaign.c.mode == Mode.LIVE.value)
    links: dict[str, str] = {child: parent for child, parent in connection.execute(query)}
    root, seen = campaign_id, {campaign_id}
    while root in links and links[root] not in seen:  # a loop cannot be made, but never spin on one
        root = links[root]
        seen.add(root)
    family, grown = [root], True
    while grown:
        grown = False
        for child, parent in links.items():
            if parent in family and child not in family:
                family.append(child)
                grown = True
    if len(family) == 1:
        return family
    order = {
        cid: created for cid, created in connection.execute(select(campaign.c.id, campaign.c.created_at).where(campaign.c.id.in_(family)))
    }
    return [root, *sorted(family[1:], key=lambda cid: (order[cid], cid))]


def ids(connection: Connection) -> list[str]:
    """Every campaign id, newest first (for suggestions)."""
    return list(connection.scalars(select(campaign.c.id).order_by(campaign.c.created_at.desc())))


def paused_with_subject(
    connection: Connection, subject: str, *, other_than: str, other_than_key: str | None = None
) -> list[tuple[str, str, int]]:
    """(id, release file, journalists still planned) of live campaigns with this subject from
    another release file (not ``same_release(other_than, other_than_key)``), stopped with
    journalists not yet mailed (paused or planned): perhaps the original of a corrected copy saved
    under another name, which nothing else links."""
    planned = (
        select(message.c.campaign_id, func.count().label("left"))
        .where(message.c.state == MessageState.PLANNED.value, message.c.skip_reason.is_(None))
        .group_by(message.c.campaign_id)
        .subquery()
    )
    query = (
        select(campaign.c.id, campaign.c.release_path, planned.c.left)
        .join(planned, planned.c.campaign_id == campaign.c.id)
        .where(
            campaign.c.mode == Mode.LIVE.value,
            campaign.c.status.in_([CampaignStatus.PAUSED.value, CampaignStatus.PLANNED.value]),
            campaign.c.subject == subject,
            ~same_release(other_than, other_than_key),
        )
        .order_by(campaign.c.created_at)
    )
    return [(cid, path, int(left)) for cid, path, left in connection.execute(query)]


def unknown_id_hint(connection: Connection, campaign_id: str) -> str:
    """What to say when ``campaign_id`` names no campaign: the ids it is part of or reads close to
    (a mistyped id, or a help example's with another date), and where to find them all. With none
    close, the id is most likely another office's (a client's log, another mailer.toml): the hint
    names this log and how to reach another (newcomer 15 #4: the other client's id suggested this
    log's ids of the same day, every id reading close through its date)."""
    known = ids(connection)
    typed = campaign_id.strip()
    holding = [cid for cid in known if typed and typed in cid]
    by_slug: dict[str, list[str]] = {}
    for cid in known:  # newest first
        by_slug.setdefault(_without_day(cid), []).append(cid)
    close = difflib.get_close_matches(_without_day(typed), list(by_slug), n=3, cutoff=0.8)
    near = list(dict.fromkeys(holding + [cid for slug in close for cid in by_slug[slug]]))[:3]
    if near:
        return f"Did you mean {', '.join(near)}? `mailer campaigns` lists them (`latest` is the newest)."
    log = display_url(connection.engine.url.render_as_string(hide_password=False))
    return (
        f"This delivery log ({log}) holds no send of that id. A send made with another office's or client's "
        "mailer.toml is in that office's log: add --config with that mailer.toml, or set MAILER_CONFIG to it. "
        "`mailer campaigns` lists the campaigns of this log."
    )


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}-")  # the date a campaign id starts with (new_id)


def _without_day(campaign_id: str) -> str:
    """A campaign id without its date, "example-2" of "2026-02-19-example-2": every id of a day
    reads close to every other through the date alone."""
    return _DAY.sub("", campaign_id, count=1) if _DAY.match(campaign_id) else campaign_id


def list_names(connection: Connection) -> list[str]:
    """Every list a campaign was sent from, as the log names it (the path as given to the send), each once, oldest first."""
    names: dict[str, None] = {}
    for lists in connection.scalars(select(campaign.c.lists).order_by(campaign.c.created_at)):
        names.update(dict.fromkeys(str(name) for name in lists or ()))
    return list(names)


def newest(
    connection: Connection, *, skip: int = 0, mode: Mode | None = None, cancelled: bool = True, under: str | None = None
) -> Campaign | None:
    """The most recently created campaign (of ``mode``, if given; not a cancelled one, with
    ``cancelled=False``; sent from a release inside the folder ``under``, if given) after skipping
    ``skip`` newer ones (``latest~skip``); None past the oldest."""
    query = select(campaign.c.id).order_by(campaign.c.created_at.desc(), campaign.c.id.desc()).offset(skip).limit(1)
    found = connection.scalar(query.where(*_kind(mode, cancelled=cancelled, under=under)))
    return None if found is None else get(connection, found)


def newer_outside(connection: Connection, than: Campaign, *, mode: Mode | None, cancelled: bool, under: str) -> list[Campaign]:
    """The campaigns (of ``mode``; not cancelled ones, with ``cancelled=False``) created after
    ``than`` from a release outside the folder ``under``, newest first."""
    query = (
        select(campaign.c.id)
        .where(
            *_kind(mode, cancelled=cancelled),
            ~campaign.c.release_path.startswith(_folder_prefix(under), autoescape=True),
            (campaign.c.created_at > than.created_at) | ((campaign.c.created_at == than.created_at) & (campaign.c.id > than.id)),
        )
        .order_by(campaign.c.created_at.desc(), campaign.c.id.desc())
    )
    return [found for found in (get(connection, id) for id in connection.scalars(query)) if found is not None]


def count(connection: Connection, *, mode: Mode | None = None, cancelled: bool = True, under: str | None = None) -> int:
    """How many campaigns the log holds (live, test and dry runs; or only those of ``mode``; without
    the cancelled ones, with ``cancelled=False``; only those sent from inside ``under``, if given)."""
    query = select(func.count()).select_from(campaign).where(*_kind(mode, cancelled=cancelled, under=under))
    return int(connection.scalar(query) or 0)


def _folder_prefix(folder: str) -> str:
    """What the logged path of a release inside ``folder`` starts with: the folder and this system's
    separator (a backslash on Windows, where "C:\\press" + "/" matched no release; review 26x)."""
    return folder.rstrip("/" + os.sep) + os.sep


def _kind(mode: Mode | None, *, cancelled: bool, under: str | None = None) -> list[ColumnElement[bool]]:
    """The conditions ``newest`` and ``count`` share."""
    conditions: list[ColumnElement[bool]] = []
    if mode is not None:
        conditions.append(campaign.c.mode == mode.value)
    if not cancelled:
        conditions.append(campaign.c.status != CampaignStatus.CANCELLED.value)
    if under is not None:  # release paths are logged absolute (resolved)
        conditions.append(campaign.c.release_path.startswith(_folder_prefix(under), autoescape=True))
    return conditions


def set_status(connection: Connection, campaign_id: str, status: CampaignStatus) -> None:
    """Record where a campaign stands now."""
    connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(status=status.value))


@dataclass(frozen=True, slots=True)
class CancelAsked:
    """A `mailer cancel` on record for a campaign (``cancel_asked``)."""

    cancelled: bool  # the campaign is cancelled (a scheduled send cancelled in time: SendGrid discards it all)
    late: datetime | None  # when a cancel was asked too late for SendGrid to promise it (``LATE_CANCEL``)


def cancel_asked(connection: Connection, campaign_id: str) -> CancelAsked | None:
    """The cancel on record for the campaign, or None: what a run still sending it reads each round
    (``dispatch.Dispatcher._list``), under the campaign row's lock, to stop handing it over (fix 15b).
    One read of the row by its key."""
    row = connection.execute(select(campaign.c.status, campaign.c.filters).where(campaign.c.id == campaign_id)).first()
    if row is None:
        return None
    found = (row.filters or {}).get(LATE_CANCEL)
    try:
        late = datetime.fromisoformat(found) if isinstance(found, str) else None
    except ValueError:
        late = None
    cancelled = row.status == CampaignStatus.CANCELLED.value
    return CancelAsked(cancelled, late) if cancelled or late is not None else None


def note_late_cancel(connection: Connection, campaign_id: str, *, at: datetime) -> None:
    """Record that a cancel was asked at ``at``, too late for SendGrid to promise it (``LATE_CANCEL``)."""
    filters = connection.scalar(select(campaign.c.filters).where(campaign.c.id == campaign_id))
    noted = {**(filters or {}), LATE_CANCEL: at.isoformat()}
    connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(filters=noted))


def note_cancel_sent(connection: Connection, campaign_id: str, *, at: datetime | None) -> None:
    """Record that a cancel is on its way to SendGrid since ``at`` (``CANCEL_SENT``); None: its answer came.
    The row is locked while its filters are rewritten (PostgreSQL): a `mailer forget` scrubbing them
    at the same moment is not undone (review 18y's leftover)."""
    found = select(campaign.c.filters).where(campaign.c.id == campaign_id).with_for_update()
    filters = dict(connection.scalar(found) or {})
    if at is None:
        filters.pop(CANCEL_SENT, None)
    else:
        filters[CANCEL_SENT] = at.isoformat()
    connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(filters=filters))


def pause_if_planned(connection: Connection, campaign_id: str) -> None:
    """Mark the campaign paused if no run has taken it yet (its status still planned): its send
    stopped between writing the plan and its first request."""
    statement = (
        update(campaign)
        .where(campaign.c.id == campaign_id, campaign.c.status == CampaignStatus.PLANNED.value)
        .values(status=CampaignStatus.PAUSED.value)
    )
    connection.execute(statement)


def was_test_sent(connection: Connection, content_hash: str) -> bool:
    """True when a finished test campaign carried exactly this content to someone (not one sent to
    SendGrid's sandbox, which delivers nothing: review 12b #3)."""
    query = (
        select(func.count())
        .select_from(campaign)
        .where(
            campaign.c.content_hash == content_hash,
            delivering(Mode.TEST),
            campaign.c.status == CampaignStatus.DONE.value,
        )
    )
    return bool(connection.scalar(query))


def test_senders(connection: Connection, content_hash: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, sender) of each finished test campaign that carried exactly this content to someone
    (as ``was_test_sent`` counts them), oldest first: the From and Reply-To staff proofread it from."""
    query = (
        select(campaign.c.id, campaign.c.sender)
        .where(campaign.c.content_hash == content_hash, delivering(Mode.TEST), campaign.c.status == CampaignStatus.DONE.value)
        .order_by(campaign.c.created_at, campaign.c.id)
    )
    return [(row.id, dict(row.sender or {})) for row in connection.execute(query)]


def tests_of_release(connection: Connection, release_path: str, release_key: str | None, *, limit: int = 5) -> list[tuple[str, datetime]]:
    """(id, created_at) of the newest finished test campaigns of this release (``same_release``)
    that carried it to someone (as ``was_test_sent`` counts them), newest first."""
    query = (
        select(campaign.c.id, campaign.c.created_at)
        .where(same_release(release_path, release_key), delivering(Mode.TEST), campaign.c.status == CampaignStatus.DONE.value)
        .order_by(campaign.c.created_at.desc(), campaign.c.id.desc())
        .limit(limit)
    )
    return [(row.id, row.created_at) for row in connection.execute(query)]


def rows(connection: Connection, *, campaign_ids: Sequence[str] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """One plain dict per campaign, newest first, with message counts per state (the newest ``limit`` only, if given).

    Plain dicts so that other figures (delivered, opened, bounced) can be merged in by id.
    """
    query = select(campaign).order_by(campaign.c.created_at.desc(), campaign.c.id.desc())
    if campaign_ids is not None:
        query = query.where(campaign.c.id.in_(list(campaign_ids)))
    if limit is not None:
        query = query.limit(limit)
    found = list(connection.execute(query).mappings())
    # With each state's count, of the skipped those `mailer cancel` called off: never mailed, though
    # the send was meant for them (newcomer 16 #12); in the same pass over the rows, not a second
    # one (review 16r #4: a second query cost `mailer campaigns` 0.13 s more per million rows).
    off = func.sum(case((message.c.skip_reason == RejectReason.CALLED_OFF.value, 1), else_=0))
    counts = select(message.c.campaign_id, message.c.state, func.count(), off).group_by(message.c.campaign_id, message.c.state)
    if limit is not None:
        counts = counts.where(message.c.campaign_id.in_([row["id"] for row in found]))
    tallies: dict[str, dict[str, int]] = {}
    called_off: dict[str, int] = {}
    for campaign_id, state, count, called in connection.execute(counts):
        tallies.setdefault(campaign_id, {})[state] = count
        if state == MessageState.SKIPPED.value and called:
            called_off[campaign_id] = int(called)
    # Journalists whose rows wait in parts (store/plan_parts.py: a send writing its plan, or one killed before it had): planned;
    # the part's other rows are the plan's skipped ones (newcomer 19 #1: counted 0 until the parts were written).
    in_parts = select(plan_part.c.campaign_id, func.sum(plan_part.c.planned), func.sum(plan_part.c.rows - plan_part.c.planned))
    for campaign_id, planned, skipped in connection.execute(in_parts.group_by(plan_part.c.campaign_id)):
        waiting = tallies.setdefault(campaign_id, {})
        waiting[MessageState.PLANNED.value] = waiting.get(MessageState.PLANNED.value, 0) + int(planned or 0)
        waiting[MessageState.SKIPPED.value] = waiting.get(MessageState.SKIPPED.value, 0) + int(skipped or 0)
    result = []
    for row in found:
        states = {state.value: tallies.get(row["id"], {}).get(state.value, 0) for state in MessageState}
        result.append(
            {
                "id": row["id"],
                "mode": row["mode"],
                SANDBOX: bool((row["filters"] or {}).get(SANDBOX)),
                LATE_CANCEL: (row["filters"] or {}).get(LATE_CANCEL),  # when a cancel was asked too late to be promised, or None
                "status": row["status"],
                "created": row["created_at"].isoformat(timespec="seconds"),
                "scheduled": row["scheduled_at"].isoformat(timespec="seconds") if row["scheduled_at"] else None,
                "subject": row["subject"],
                "content_hash": row["content_hash"],
                "release": row["release_path"],
                "lists": list(row["lists"] or []),
                "recipients": sum(n for s, n in states.items() if s != MessageState.SKIPPED.value),
                **states,
                "called_off": called_off.get(row["id"], 0),  # of the skipped
            }
        )
    return result


@dataclass(frozen=True, slots=True)
class LeaseRow:
    """Who drives a campaign now, as the log has it."""

    holder: str
    host: str
    pid: int
    since: datetime
    heartbeat: datetime
    expires: datetime

    def gone(self) -> bool:
        """The holder ran on this machine and its process no longer exists."""
        if self.host != this_host() or self.pid <= 0:
            return False
        if self.pid == os.getpid():
            return False  # this very process holds it through another run: not gone
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # it exists, under another user
        return False

    def driving(self, now: datetime) -> bool:
        """Whether a process drives the campaign on this lease at ``now``: not expired, and not a
        holder on this machine whose process is gone (killed, crashed)."""
        return self.expires > now and not self.gone()


def this_host() -> str:
    """This machine, as a lease names it: its name and, where Linux tells it, its boot id, so two
    machines (VMs) that share a host name are never taken for one when deciding whether a
    holder's process is gone."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()[:8]
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/{boot}"


def driven(connection: Connection, campaign_ids: Collection[str], *, now: datetime) -> set[str]:
    """Of ``campaign_ids``, those a process drives at ``now`` (``LeaseRow.driving``): a campaign
    stored as `sending` that none drives was stopped (its process killed, the computer crashed)."""
    found: set[str] = set()
    for campaign_id in sorted(set(campaign_ids)):
        held = lease(connection, campaign_id)
        if held is not None and held.driving(now):
            found.add(campaign_id)
    return found


def lease(connection: Connection, campaign_id: str) -> LeaseRow | None:
    """The campaign's lease, or None when no process holds it."""
    row = connection.execute(
        select(
            campaign.c.lease_holder,
            campaign.c.lease_host,
            campaign.c.lease_pid,
            campaign.c.lease_since,
            campaign.c.lease_heartbeat,
            campaign.c.lease_expires,
        ).where(campaign.c.id == campaign_id)
    ).first()
    if row is None or row.lease_holder is None:
        return None
    return LeaseRow(
        row.lease_holder,
        row.lease_host or "",
        row.lease_pid or 0,
        row.lease_since,
        row.lease_heartbeat,
        row.lease_expires,
    )


def take_lease(
    connection: Connection,
    campaign_id: str,
    *,
    holder: str,
    host: str,
    pid: int,
    now: datetime,
    expires: datetime,
    replacing: str | None = None,
) -> bool:
    """Take the lease if nobody holds it, it has expired, or it is ``replacing``'s (a holder known dead).

    One conditional UPDATE, so of two processes trying at once exactly one wins (SQLite and PostgreSQL).
    """
    free = campaign.c.lease_holder.is_(None) | (campaign.c.lease_expires < now)
    if replacing is not None:
        free = free | (campaign.c.lease_holder == replacing)
    statement = (
        update(campaign)
        .where(campaign.c.id == campaign_id, free)
        .values(lease_holder=holder, lease_host=host, lease_pid=pid, lease_since=now, lease_heartbeat=now, lease_expires=expires)
    )
    return (connection.execute(statement).rowcount or 0) == 1


def renew_lease(
    connection: Connection,
    campaign_id: str,
    *,
    holder: str,
    now: datetime,
    expires: datetime,
    lapsed: datetime,
    in_flight: Sequence[int] | None = None,
) -> bool:
    """Push the expiry on (and, given ``in_flight``, list those requests as in flight); False when
    ``holder`` no longer holds the lease (another process took over), or its lease expired before
    ``lapsed`` (others may have sent its rows since), and nothing was written."""
    if in_flight is None:
        statement, params = _RENEW, {}
    else:
        statement, params = _RENEW_IN_FLIGHT, {"in_flight": _RENEW_IN_FLIGHT.bind(connection, "in_flight", list(in_flight))}
    params |= {
        "id": campaign_id,
        "holder": holder,
        "now": statement.bind(connection, "now", now),
        "expires": statement.bind(connection, "expires", expires),
        "lapsed": statement.bind(connection, "lapsed", lapsed),
    }
    return (statement.execute(connection, params).rowcount or 0) == 1


def set_in_flight(connection: Connection, campaign_id: str, *, holder: str, in_flight: Sequence[int]) -> bool:
    """List the requests now in flight (promise 2), only while ``holder`` holds the lease.

    One UPDATE of the campaign row that both checks the lease and records the requests, so a
    request is let go only by the lease's holder: on PostgreSQL the row stays locked until commit,
    and on SQLite the transaction holds the write lock, so a takeover comes wholly before or after.
    False when the lease is gone (nothing written).
    """
    params = {"id": campaign_id, "holder": holder, "in_flight": _IN_FLIGHT.bind(connection, "in_flight", list(in_flight))}
    return (_IN_FLIGHT.execute(connection, params).rowcount or 0) == 1


def in_flight(connection: Connection, campaign_id: str) -> list[int]:
    """The requests listed in flight: the last run's, if it stopped without logging their answers."""
    found = connection.scalar(select(campaign.c.in_flight).where(campaign.c.id == campaign_id))
    return [int(number) for number in found or ()]


def _held_by_holder(*also: Any, **values: Any) -> Prepared:
    return Prepared(
        update(campaign).where(campaign.c.id == bindparam("id"), campaign.c.lease_holder == bindparam("holder"), *also).values(**values)
    )


_STAMP = campaign.c.lease_heartbeat.type
_NOT_LAPSED = campaign.c.lease_expires > bindparam("lapsed", type_=_STAMP)
# Compiled once (bulk.Prepared): the dispatcher runs one of these each round of a send.
_RENEW = _held_by_holder(_NOT_LAPSED, lease_heartbeat=bindparam("now", type_=_STAMP), lease_expires=bindparam("expires", type_=_STAMP))
_RENEW_IN_FLIGHT = _held_by_holder(
    _NOT_LAPSED,
    lease_heartbeat=bindparam("now", type_=_STAMP),
    lease_expires=bindparam("expires", type_=_STAMP),
    in_flight=bindparam("in_flight", type_=campaign.c.in_flight.type),
)
_IN_FLIGHT = _held_by_holder(in_flight=bindparam("in_flight", type_=campaign.c.in_flight.type))


def release_lease(connection: Connection, campaign_id: str, *, holder: str) -> None:
    """Give the lease up (only if ``holder`` still holds it)."""
    statement = (
        update(campaign)
        .where(campaign.c.id == campaign_id, campaign.c.lease_holder == holder)
        .values(lease_holder=None, lease_host=None, lease_pid=None, lease_since=None, lease_heartbeat=None, lease_expires=None)
    )
    connection.execute(statement)


def delivering(mode: Mode = Mode.LIVE) -> ColumnElement[bool]:
    """Campaigns of ``mode`` that can have reached someone: not cancelled, not sent to SendGrid's
    sandbox (``filters[SANDBOX]``: validated, nothing delivered; review 12a #1)."""
    sandboxed = campaign.c.filters[SANDBOX].as_boolean()
    return and_(
        campaign.c.mode == mode.value,
        campaign.c.status != CampaignStatus.CANCELLED.value,
        or_(sandboxed.is_(None), sandboxed.is_(False)),
    )


def same_release(release_path: str, release_key: str | None) -> ColumnElement[bool]:
    """Campaigns sent from this release: logged with this absolute path, or with this path inside
    the office folder (``RELEASE``: a colleague's copy of it). Never NULL, so it can be negated."""
    same_path = campaign.c.release_path == release_path
    if release_key is None:
        return same_path
    return or_(same_path, func.coalesce(campaign.c.filters[RELEASE].as_string(), "") == release_key)


def live_with(
    connection: Connection,
    *,
    content_hash: str | None = None,
    release_path: str | None = None,
    release_key: str | None = None,
    version_of: Collection[str] = (),
) -> list[tuple[str, str]]:
    """(id, content_hash) of live campaigns that can have reached journalists (``delivering``), with
    this content, from this release (``release_path`` and ``release_key``: ``same_release``), or
    with a version of one of the contents in ``version_of``; oldest first."""
    query = select(campaign.c.id, campaign.c.content_hash).where(delivering())
    if content_hash is not None:
        query = query.where(campaign.c.content_hash == content_hash)
    if release_path is not None:
        query = query.where(same_release(release_path, release_key))
    if version_of:
        holding = select(campaign_version.c.campaign_id).where(campaign_version.c.content_hash.in_(list(version_of)))
        query = query.where(or_(campaign.c.id.in_(holding), campaign.c.content_hash.in_(list(version_of))))
    return [(row.id, row.content_hash) for row in connection.execute(query.order_by(campaign.c.created_at, campaign.c.id))]


def scheduled_ahead(connection: Connection, *, now: datetime) -> list[str]:
    """The ids of the scheduled sends (live or test) whose time is after ``now`` and that were not
    cancelled: SendGrid may hold their emails until then. Soonest first."""
    query = (
        select(campaign.c.id)
        .where(
            campaign.c.scheduled_at > now,
            campaign.c.mode != Mode.DRY_RUN.value,
            campaign.c.status != CampaignStatus.CANCELLED.value,
        )
        .order_by(campaign.c.scheduled_at, campaign.c.id)
    )
    return list(connection.scalars(query))


def first_live_with(connection: Connection, content_hashes: Collection[str]) -> tuple[str, datetime] | None:
    """(id, created_at) of the oldest live campaign, of any status (a cancelled one too), that
    carried one of these contents, whole or as one of its versions: when the office first meant
    to send this text. A copy whose text was sent before a colleague's other version of the same
    release is the older one (newcomer 22 #1)."""
    hashes = list(content_hashes)
    holding = select(campaign_version.c.campaign_id).where(campaign_version.c.content_hash.in_(hashes))
    query = (
        select(campaign.c.id, campaign.c.created_at)
        .where(campaign.c.mode == Mode.LIVE.value, or_(campaign.c.content_hash.in_(hashes), campaign.c.id.in_(holding)))
        .order_by(campaign.c.created_at, campaign.c.id)
        .limit(1)
    )
    row = connection.execute(query).first()
    return None if row is None else (row.id, row.created_at)


def made_at(connection: Connection, *, content_hash: str, created_at: datetime) -> str | None:
    """The id of the campaign of this content created at exactly ``created_at``, if any: which one
    a send interrupted around its plan's commit wrote, if it wrote one."""
    query = select(campaign.c.id).where(campaign.c.content_hash == content_hash, campaign.c.created_at == created_at)
    return connection.scalars(query).first()


def lock(connection: Connection, campaign_ids: Collection[str]) -> None:
    """Hold these campaigns' rows until this transaction ends (PostgreSQL: ``FOR UPDATE``, in id
    order; SQLite: the log's one write lock, taken by a write that changes nothing, since the
    driver begins a transaction only at the first write and reads before it see older data).

    A run lists its requests in flight on the campaign row, and ``mailer forget`` and
    ``suppressions add`` read that list before leaving a journalist's row planned or skipping it:
    whichever locks the row first finishes first, so the run never sends a request to an address
    erased after its check, and forget never takes a row out of a request already on its way.
    Lock order: the campaign row, then its message rows (as the answers' log and a takeover).
    """
    ids = sorted(set(campaign_ids))
    if not ids:
        return
    if connection.dialect.name == "sqlite":
        connection.execute(update(campaign).where(campaign.c.id.in_(ids)).values(status=campaign.c.status))
    else:
        connection.execute(select(campaign.c.id).where(campaign.c.id.in_(ids)).order_by(campaign.c.id).with_for_update())


def lock_new_campaigns(connection: Connection) -> None:
    """Hold every other process's new campaign until this transaction ends (a write on one shared row).

    Planning checks which journalists already received the same content; two sends started at
    the same second must not both find nobody. SQLite takes its write lock here; PostgreSQL a
    row lock. The caller's transaction releases it.
    """
    connection.execute(text("UPDATE schema_info SET version = version"))


def going_out() -> ColumnElement[datetime]:
    """When a campaign went out (or goes out), in SQL: its scheduled time, else its creation (``Campaign.goes_out``)."""
    return func.coalesce(campaign.c.scheduled_at, campaign.c.created_at)


def live_between(connection: Connection, *, since: datetime | None, until: datetime | None) -> list[Campaign]:
    """Live campaigns that went out (or go out) at or after ``since`` and before ``until`` (either
    open), oldest first: a scheduled send by its scheduled time, not by when it was planned
    (review 14 #9: the quarter it goes out in lists it, not the one it was planned in)."""
    when = going_out()
    query = select(campaign.c.id).where(campaign.c.mode == Mode.LIVE.value).order_by(when, campaign.c.id)
    if since is not None:
        query = query.where(when >= since)
    if until is not None:
        query = query.where(when < until)
    found = [get(connection, campaign_id) for campaign_id in connection.scalars(query)]
    return [info for info in found if info is not None]
