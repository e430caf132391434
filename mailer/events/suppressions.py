"""Suppressions a person adds or lifts by hand: `mailer suppressions add` and `remove` as library calls.

A script that wrote to the suppression table itself (``store.suppressions.add``) skipped the
rules the commands keep: an address a stopped send lets through by name (--override-suppression)
is taken out of it, so a resume does not mail it; a journalist who asked to be forgotten is not
lifted by a bounce clean-up; lifting a bounce leaves the journalist's own unsubscribe standing.
These two calls keep them, and the commands are a thin layer over them (newcomer 16py).

    from mailer.events import suppressions
    added = suppressions.add(engine, ["jane@example.org"], note="asked by phone")
    lifted = suppressions.remove(engine, ["jane@example.org"], note="asked back in on 3 March")

Addresses are read as list cells are ("Jane Doe <Jane@Example.org>", mailto:, spaces) and kept
lower-cased, as the log keys them. Both raise MailerError, naming every address that is not one,
before anything is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from mailer import mailbox
from mailer.errors import MailerError
from mailer.models import SuppressionReason
from mailer.store import clock, messages, plan_parts
from mailer.store import events as event_store
from mailer.store import suppressions as suppression_store
from mailer.store.failures import in_words
from mailer.store.suppressions import Suppression

__all__ = ["Added", "Lifted", "add", "addresses_typed", "remove"]


@dataclass(frozen=True, slots=True)
class Added:
    """What ``add`` did: ``added`` of the ``given`` distinct addresses were newly suppressed (the
    others already were); ``taken_out``: campaign id -> journalists skipped in it, a send that let
    them through by name (--override-suppression) and had not mailed them yet."""

    added: int
    given: int
    taken_out: Mapping[str, int]
    # campaign -> the addresses whose request in it was on its way to SendGrid (listed in flight)
    # as the suppression was saved: they may get that email all the same (newcomer 17 #10).
    on_its_way: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def already(self) -> int:
        """How many of the addresses were suppressed before."""
        return self.given - self.added


@dataclass(frozen=True, slots=True)
class Lifted:
    """What ``remove`` did for one address: the suppressions lifted (none: it was not suppressed;
    an older version may have kept one under another spelling, ``Suppression.email_key``), and the
    one that still stands (the journalist's own unsubscribe or spam report, which lifting a
    bounce does not undo), or None when the address may be mailed again."""

    address: str
    lifted: tuple[Suppression, ...]
    still: Suppression | None


def addresses_typed(addresses: Iterable[str]) -> tuple[str, ...]:
    """The addresses as typed, read as list cells are and lower-cased as the log keys them.

    Raises MailerError naming every one that is no address (or is not text), so nothing is
    changed; a lone address given as text (not in a list) is that one address.
    """
    if isinstance(addresses, str):
        addresses = [addresses]
    read = []
    for text in addresses:
        if not isinstance(text, str):
            raise MailerError(
                f"Not an email address: {text!r} (a {type(text).__name__}). Nothing was changed.",
                hint='Give each address as text, for example "jane@example.org".',
            )
        read.append((text, *mailbox.read(text)))
    bad = [(text, why) for text, _, why in read if why is not None]
    if bad:
        named = "; ".join(f'"{text}" ({why})' for text, why in bad)
        raise MailerError(
            f"Not an email address: {named}. Nothing was changed.",
            hint='Give each address on its own, for example jane@example.org or "Jane Doe <jane@example.org>".',
        )
    if not read:
        raise MailerError("No address given. Nothing was changed.", hint='Give at least one, for example "jane@example.org".')
    return tuple(key for _, key, _ in read)


@in_words
def add(
    engine: Engine, addresses: Iterable[str], *, note: str, now: datetime | None = None, waiting: Callable[[str], None] | None = None
) -> Added:
    """Never mail these addresses again (``mailer suppressions add``): reason "manual", source
    "manual", ``note`` (why, in the office's words) kept with each; an address already suppressed
    keeps its first record. Their planned rows in any send that let them through by name are
    skipped as suppressed (``Added.taken_out``). A scheduled send SendGrid already holds still
    mails them: ``mailer.send.status.held_at_sendgrid(engine, addresses)`` names those sends.
    Raises MailerError for an address that is not one (nothing is changed). ``waiting`` is told when
    it waits for another command storing events or erasing a journalist (PostgreSQL)."""
    keys = addresses_typed(addresses)
    stamp = now or clock.now(engine)  # the log's clock: its server's, for a team's PostgreSQL log
    with engine.begin() as connection:
        # mailer forget's order (the ingest lock, the campaign rows, then the suppression): the two
        # never wait for each other on PostgreSQL (review 13 #2: a deadlock killed one of them).
        event_store.hold_ingest_lock(connection, waiting=waiting)
        # A send's rows still in parts (store/plan_parts.py), as forget writes them: hers among them are taken out too.
        plan_parts.write_all(connection)
        # Before the suppression, as forget does: the campaign rows stay locked to the end, so a run
        # lists no new request meanwhile, and sees the suppression when it does.
        on_its_way: dict[str, list[str]] = {}
        for key in dict.fromkeys(keys):
            for campaign_id in messages.in_flight_among(connection, messages.waiting_ids(connection, key)):
                on_its_way.setdefault(campaign_id, []).append(key)
        added = suppression_store.add(connection, [(key, SuppressionReason.MANUAL, note) for key in keys], source="manual", now=stamp)
        taken_out = messages.skip_let_through(connection, keys, now=stamp)
    return Added(added, len(set(keys)), taken_out, {cid: tuple(found) for cid, found in sorted(on_its_way.items())})


@in_words
def remove(engine: Engine, addresses: Iterable[str], *, note: str, forgotten: bool = False, now: datetime | None = None) -> list[Lifted]:
    """Allow these addresses to be mailed again (``mailer suppressions remove``), recording
    ``note`` with what each was. One ``Lifted`` per distinct address, in the order given.

    Lifting a bounce leaves the journalist's own unsubscribe or spam report standing
    (``Lifted.still``). Raises MailerError, changing nothing, for an address that is not one, or
    for a journalist erased with `mailer forget` unless ``forgotten`` (their record is what keeps
    them from ever being mailed again).
    """
    keys = list(dict.fromkeys(addresses_typed(addresses)))
    with engine.begin() as connection:
        if not forgotten:  # a bounce clean-up must not undo an erasure request (review 8)
            # Entries an older version kept under another spelling count too ("jane doe <jane@example.org>").
            erased = [
                key
                for key in keys
                if any(entry.reason == SuppressionReason.FORGOTTEN for entry in suppression_store.spellings(connection, key))
            ]
            if erased:
                raise MailerError(
                    f"{', '.join(erased)} asked to be forgotten (mailer forget): that record keeps them from ever "
                    "being mailed again. Nothing was removed.",
                    hint=f'Only if they asked to be mailed again: mailer suppressions remove {erased[0]} --reason "..." --forgotten',
                )
        lifted: dict[str, list[Suppression]] = {}
        for entry in suppression_store.remove(connection, keys, note=note, now=now):
            lifted.setdefault(mailbox.key(entry.email_key), []).append(entry)
        # Lifting a bounce leaves the journalist's own unsubscribe standing (review 11s #7).
        kept = {key: suppression_store.find(connection, key) for key in lifted}
    return [Lifted(key, tuple(lifted.get(key, ())), kept.get(key)) for key in keys]
