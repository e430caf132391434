"""Who an earlier live campaign already reached with this content, version by version (promise 8).

A release in several languages is one campaign, but each journalist gets one version. When
the office corrects one version and sends again (nc9 #17: a figure fixed in English only),
the journalists of the unchanged versions already received exactly what they would get: they
are skipped as "already received", and only those whose version changed count as having got
an earlier version (the correction question). Each campaign's versions and their content
hashes are in the log's ``campaign_version`` table; a campaign logged before it existed
compares as a whole.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from sqlalchemy import Connection

from mailer import mailbox
from mailer.config import Config
from mailer.models import MessageState
from mailer.send import lease
from mailer.send.dispatch import utcnow
from mailer.send.plan import Plan
from mailer.store import campaigns, carried, messages, plan_parts

__all__ = ["Reached", "office_path", "reached"]


def office_path(config: Config, release_path: Path | str) -> str | None:
    """The release file's path inside the office folder (the folder holding mailer.toml), with
    forward slashes: "releases/honey.md". Each colleague keeps a copy of the press folder, so
    this, not the absolute path, says which release a file is (newcomer 13 #1; the campaign keeps
    it as ``campaigns.RELEASE``). None without a mailer.toml (the log then serves every folder
    on the computer) or for a file outside that folder: the absolute path alone names it."""
    if config.source is None:
        return None
    try:
        inside = Path(release_path).resolve().relative_to(config.source.parent.resolve())
    except ValueError:
        return None
    return inside.as_posix()


@dataclass(frozen=True)
class Reached:
    """What earlier live campaigns did for this plan's recipients (addresses lower-cased)."""

    received: dict[str, str] = field(default_factory=dict)  # got, or are planned to get, this same content -> the earliest campaign
    sent: dict[str, str] = field(default_factory=dict)  # of those, the ones it went out to (sending, accepted, unknown)
    earlier_version: dict[str, str] = field(default_factory=dict)  # got another version of this release -> the latest campaign
    # The languages of the versions those journalists would now get, the plan's order; () when an
    # earlier campaign could only be compared as a whole.
    changed: tuple[str, ...] = ()
    # Of ``received``, the ones no campaign knows it reached: their request's answer never came (unknown)
    # -> that campaign, whose `mailer resume --resend-unknown` would mail them (newcomer 12b #2).
    unknown: dict[str, str] = field(default_factory=dict)

    def planned_only(self) -> dict[str, str]:
        """Those only planned in a campaign of this content that has not mailed them yet (address -> it)."""
        return {key: campaign_id for key, campaign_id in self.received.items() if key not in self.sent}


def compared(
    connection: Connection, plan: Plan, *, release_path: Path | str | None = None, release_key: str | None = None
) -> dict[str, str]:
    """The live campaigns ``reached`` compares ``plan`` with, as this same release: id -> content hash."""
    found = dict(campaigns.live_with(connection, version_of={plan.content_hash, *(version.content_hash for version in plan.all_versions)}))
    if release_path is not None:
        found.update(campaigns.live_with(connection, release_path=str(Path(release_path).resolve()), release_key=release_key))
    return found


def reached(connection: Connection, plan: Plan, *, release_path: Path | str | None = None, release_key: str | None = None) -> Reached:
    """Look up which of ``plan``'s recipients earlier live campaigns (not cancelled) reached.

    Compared, as this same release: live campaigns with the plan's content, those with one of
    its versions' content (sent in one language before the translations existed, a corrected
    copy under another file name), and those sent from the same release file (``release_path``,
    resolved, or ``release_key``, its ``office_path``: a colleague's copy; corrections). A
    journalist "received" this content when the version they got there is, byte for byte, the version this plan gives them (or that campaign sent this plan's
    content as a whole), or another version this plan still sends while that campaign also had
    the one they get now (their language cell changed). One who got another version counts in
    ``earlier_version``, for the question. Rows a campaign of other content only planned count
    only while a process may still send them (``lease.may_still_send``): a stopped one cannot be
    resumed once its file changed (review 10 #3), and its resume skips whom others reached since.
    """
    whole = plan.content_hash
    versions = plan.all_versions
    found = compared(connection, plan, release_path=release_path, release_key=release_key)
    # Campaigns an old log sent, carried over into this one (`mailer carry-over`): compared as its own (newcomer 26).
    hashes = {whole, *(version.content_hash for version in versions)}
    path = None if release_path is None else str(Path(release_path).resolve())
    moved = carried.compared(connection, hashes, release_path=path, release_key=release_key)
    if not found and not moved:
        return Reached()
    own = list(found)
    found.update({name: one.content_hash for name, one in moved.items()})
    version_of = dict(plan.recipient_versions())  # address -> the index of the version they get
    # A Gmail inbox another campaign spelt otherwise (jane.doe@gmail.com there, janedoe@gmail.com here): one
    # journalist, as the lists count her (review25x: she got the release once per spelling)
    spelt = {mailbox.inbox(key): key for key in version_of if key.endswith(_GMAIL)}
    wanted: Container[str] = _Spellings(version_of, spelt) if spelt else version_of
    archived = {
        campaign_id: moved[campaign_id].versions if campaign_id in moved else campaigns.version_hashes(connection, campaign_id)
        for campaign_id, content in found.items()
        if content != whole
    }
    hash_in = {campaign_id: _hashes(content, whole, archived.get(campaign_id)) for campaign_id, content in found.items()}
    per_version = {campaign_id: hashes for campaign_id, hashes in archived.items() if hashes is not None}
    current = {version.content_hash for version in versions}
    received: dict[str, str] = {}
    sent: dict[str, str] = {}
    earlier: dict[str, str] = {}
    unknown: dict[str, str] = {}  # of received: in a request whose answer never came
    known: set[str] = set()  # of received: planned, sending or accepted somewhere
    going_on: dict[str, bool] = {}  # campaign -> whether it can still mail those it only planned
    # Newest row first: the earliest campaign is the one each address keeps as "received", the
    # latest as "earlier version" (the one a correction corrects; fix 13n #1). A row in a request
    # listed in flight reads `sending` (it may have reached SendGrid).
    # The rows a send keeps in parts (a large plan, its run stopped or still going) come first: written,
    # they would be their campaign's newest rows.
    # Carried rows last: older than this log's own, the earliest campaign is kept as "received".
    rows = chain(
        plan_parts.reached(connection, own, wanted),
        messages.reached(connection, own, wanted),
        carried.reached(connection, moved.values(), wanted),
    )
    for key, campaign_id, language, state in rows:
        if key not in version_of:  # another spelling of a Gmail inbox of the plan
            key = spelt[mailbox.inbox(key)]
        if state == MessageState.PLANNED.value and found[campaign_id] != whole:
            # Only planned in a campaign of other content: it reaches them only if a process is
            # sending it now (a stopped one cannot be resumed once its release file changed:
            # counting them would strand them; review 10 #3).
            if campaign_id not in going_on:
                other = campaigns.get(connection, campaign_id)
                going_on[campaign_id] = other is not None and lease.may_still_send(connection, other, now=utcnow(connection))
            if not going_on[campaign_id]:
                continue
        theirs, mine = hash_in[campaign_id](language), versions[version_of[key]]
        # The version they got; or another version this plan still sends, when that campaign had
        # theirs too (their language cell changed since: they have this news; review 10 #5).
        if theirs in (whole, mine.content_hash) or (theirs in current and mine.language in per_version.get(campaign_id, ())):
            received[key] = campaign_id
            if state != MessageState.PLANNED.value:
                sent[key] = campaign_id
            if state == MessageState.UNKNOWN.value:
                unknown.setdefault(key, campaign_id)
            else:
                known.add(key)
        else:  # a campaign of this file, or one sharing a version with it (a copy): the same release
            earlier.setdefault(key, campaign_id)
    earlier = {key: campaign_id for key, campaign_id in earlier.items() if key not in received}
    unknown = {key: campaign_id for key, campaign_id in unknown.items() if key not in known}
    changed = {version_of[key] for key in earlier}
    # An earlier campaign compared as a whole: which versions changed is not known.
    named = not any(campaign_id not in per_version for campaign_id in set(earlier.values()))
    languages = tuple(version.language for number, version in enumerate(versions) if number in changed)
    return Reached(received, sent, earlier, languages if named else (), unknown=unknown)


_GMAIL = ("@gmail.com", "@googlemail.com")


@dataclass(frozen=True)
class _Spellings:
    """The plan's addresses, and any spelling of its Gmail inboxes (``spelt``: inbox -> the plan's address)."""

    keys: Container[str]
    spelt: Container[str]

    def __contains__(self, key: object) -> bool:
        return key in self.keys or (isinstance(key, str) and key.endswith(_GMAIL) and mailbox.inbox(key) in self.spelt)


def _hashes(content: str, whole: str, per_version: dict[str, str] | None) -> Callable[[str | None], str | None]:
    """A campaign's recipient's version language -> that version's content hash (None: unknown).

    The whole campaign's hash when it sent this plan's content, or one version only; each
    version's own when the log lists them (``per_version``); the whole campaign's for the
    versions of an older campaign in several languages that it does not (it then compares as a
    whole, as before).
    """
    if content == whole:
        return lambda _language: whole
    if per_version is None:
        return lambda _language: content
    return lambda language: per_version.get(language or "")
