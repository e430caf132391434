"""Who a follow-up goes to: an earlier live campaign's journalists, narrowed by what they did with it.

``--who`` picks by the reports' own figures: ``opened`` / ``not-opened`` (opens by people, Apple
Mail's pre-fetch left out), ``clicked`` / ``not-clicked``, ``delivered``. Every journalist of the
original who is left out is counted once, under the first reason that applies, in this order:

1. erased (``mailer forget``), then not sent (SendGrid never accepted their message: failed,
   unknown, or not sent yet), then bounced (in the original: bounced, blocked or dropped);
2. the ``--who`` choice ("opened" when following up those who did not open, ...);
3. opted out, or without consent: the original's lists, or the ``--list`` files, keep them out now (a
   "withdrawn" written in the list after the original went out);
4. not on the ``--list`` files, when any are given (the follow-up goes to the journalists on both);
5. bounced since: in any campaign created after the original;
6. then, as in every send: ``--where`` / ``--tag`` (filtered), suppressed, already received.

The recipients come as a ``ContactList`` whose fields are the original's snapshot, so the
follow-up greets each journalist exactly as the original did.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from mailer.counting import counted
from mailer.models import BOUNCED, Contact, ContactList, Delivery, MessageState
from mailer.store.follow_ups import Journalist

__all__ = ["WHO", "Selection", "describe", "select"]

# --who -> (is this journalist in?, the reason when not)
WHO: Mapping[str, tuple[str, str]] = {
    "not-opened": ("not opened", "opened"),
    "opened": ("opened", "did not open"),
    "clicked": ("clicked", "did not click"),
    "not-clicked": ("not clicked", "clicked"),
    "delivered": ("delivered", "not delivered"),
}
_BOUNCED = frozenset(d.value for d in BOUNCED)
_ACCEPTED, _DELIVERED = MessageState.ACCEPTED.value, Delivery.DELIVERED.value  # looked up once, not per journalist


@dataclass(frozen=True)
class Selection:
    """The original's journalists who stay in (``contacts``), and how many left out, per reason, in order."""

    original: str
    who: str
    total: int  # the original's journalists (its recipient rows)
    contacts: ContactList
    left_out: Mapping[str, int]


def select(
    journalists: Iterable[Journalist],
    *,
    original: str,
    who: str,
    bounced_later: Collection[str] = (),
    on_lists: Collection[str] | None = None,
    kept_out: Mapping[str, str] | None = None,
) -> Selection:
    """Keep the journalists ``who`` names; ``bounced_later`` and ``on_lists`` are lower-cased addresses,
    ``kept_out`` such addresses the lists keep out now, each with why ("opted out", "without consent").

    Raises KeyError for an unknown ``who`` (the command line offers only ``WHO``'s keys).
    """
    _, mismatch = WHO[who]
    later = set(bounced_later)
    wanted = None if on_lists is None else set(on_lists)
    refused = kept_out or {}
    left = dict.fromkeys(  # in the order above
        ("erased", "not sent", "bounced", mismatch, "opted out", "without consent", "not on the lists", "bounced since"), 0
    )
    kept: list[Contact] = []
    total = 0
    for j in journalists:
        total += 1
        reason = _reason(j, who, mismatch)
        if reason is None and j.email_key in refused:  # review 22 #11: a "withdrawn" written since was mailed
            reason = refused[j.email_key]
        if reason is None and wanted is not None and j.email_key not in wanted:
            reason = "not on the lists"
        if reason is None and j.email_key in later:
            reason = "bounced since"
        if reason is not None:
            left[reason] += 1
            continue
        kept.append(Contact(j.email, {**j.fields, "email": j.email}, original, j.message_id))
    return Selection(original, who, total, ContactList(tuple(kept), (), ()), {r: n for r, n in left.items() if n})


def _reason(j: Journalist, who: str, mismatch: str) -> str | None:
    """Why the original's row ``j`` gets no follow-up for ``who`` (before lists and later bounces); None: it does."""
    if j.forgotten:
        return "erased"
    if j.state != _ACCEPTED:
        return "not sent"
    if j.delivery in _BOUNCED and not j.reached:  # opened or clicked all the same: delivered, as the reports count it
        return "bounced"
    if who == "not-opened":
        keep = not j.opened
    elif who == "opened":
        keep = j.opened
    elif who == "clicked":
        keep = j.clicked
    elif who == "not-clicked":
        keep = not j.clicked
    else:  # delivered
        keep = j.delivery == _DELIVERED or j.reached
    return None if keep else mismatch


def describe(selection: Selection, recipients: int, skipped: Mapping[str, int]) -> str:
    """One line for the plan: "312 of 1,000 journalists of CAMPAIGN (not opened): 600 opened, 80 bounced since, 8 suppressed".

    ``skipped`` are the plan's own skips (filtered, suppressed, already received), counted after
    the selection's reasons.
    """
    reasons = {**selection.left_out}
    for reason, count in sorted(skipped.items()):
        reasons[reason] = reasons.get(reason, 0) + count
    described, _ = WHO[selection.who]
    line = f"{recipients:,} of {counted(selection.total, 'journalist')} of {selection.original} ({described})"
    return line + (": " + ", ".join(f"{n:,} {reason}" for reason, n in reasons.items() if n) if any(reasons.values()) else "")
