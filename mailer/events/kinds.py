"""SendGrid's event types, and what to say of an event whose type is none of them.

SendGrid sends eleven types about messages (SENDGRID.md §2.2), and account events about the
account itself. An event of another type is stored raw, as
SendGrid may add types, but changes nothing: no delivery, open, click, bounce or suppression
(apply.py). Such events are almost always written by hand or by another tool, in the words a
person uses ("opened", "unsubscribed", "blocked"; nc9 #12: two were "Added", and the journalist
who "unsubscribed" stayed on the lists, silently). ``words`` says so, with SendGrid's name for each.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from mailer.counting import counted

__all__ = ["ACCOUNT_TYPES", "KNOWN_TYPES", "SENDGRID_TYPES", "SUPPRESSING", "meant", "shown", "words"]

# The `event` values SendGrid sends (SENDGRID.md §2.2), in the order a message meets them.
KNOWN_TYPES = frozenset(
    {
        "processed",
        "dropped",
        "delivered",
        "deferred",
        "bounce",
        "open",
        "click",
        "spamreport",
        "unsubscribe",
        "group_unsubscribe",
        "group_resubscribe",
    }
)
# SendGrid's account events (compliance actions on the account, not about a message: SENDGRID.md
# §2.2, "account events"; the webhook settings' `account_status_change` toggle). Stored; no warning.
ACCOUNT_TYPES = frozenset({"account_status_change"})
SENDGRID_TYPES = KNOWN_TYPES | ACCOUNT_TYPES
_LISTED = (
    'processed, dropped, delivered, deferred, bounce (a block is "event": "bounce" with "type": "blocked"), open, click, '
    "spamreport, unsubscribe, group_unsubscribe, group_resubscribe (and account_status_change, about the account)"
)
# Events whose effects are not idempotent on their own (they add or lift suppressions).
SUPPRESSING = frozenset({"bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"})
_BLOCKED = '"bounce" with "type": "blocked"'
# What people write for SendGrid's types: the README's own words, other providers' names.
_MEANT: Mapping[str, str] = {
    "opened": "open",
    "opens": "open",
    "clicked": "click",
    "clicks": "click",
    "bounced": "bounce",
    "bounces": "bounce",
    "hard_bounce": "bounce",
    "soft_bounce": _BLOCKED,
    "blocked": _BLOCKED,
    "block": _BLOCKED,
    "unsubscribed": "unsubscribe",
    "unsub": "unsubscribe",
    "opt_out": "unsubscribe",
    "spam": "spamreport",
    "spam_report": "spamreport",
    "spam_reported": "spamreport",
    "marked_as_spam": "spamreport",
    "complaint": "spamreport",
    "delivery": "delivered",
    "deferral": "deferred",
    "drop": "dropped",
    "process": "processed",
    "group_unsubscribed": "group_unsubscribe",
    "group_resubscribed": "group_resubscribe",
}
# Suppressing words among them: an event that a person meant as one did not suppress anybody.
_MEANT_SUPPRESSING = frozenset({"bounce", _BLOCKED, "unsubscribe", "spamreport", "group_unsubscribe", "dropped"})
# A type shown as written only when it looks like a word: the webhook's log never shows an
# address or other content someone posted as a type.
_SHOWABLE = re.compile(r"[A-Za-z][A-Za-z0-9_ .-]{0,29}")


def meant(kind: str) -> str | None:
    """SendGrid's name for a type written another way ("opened" -> "open"), or None."""
    key = re.sub(r"[\s-]+", "_", kind.strip().lower())
    if key in KNOWN_TYPES:
        return key  # "Open", "spam-report" written in another case or with a hyphen
    if key in _MEANT:
        return _MEANT[key]
    close = difflib.get_close_matches(key, sorted(KNOWN_TYPES), n=1, cutoff=0.8)
    return close[0] if close else None


def shown(kind: str) -> str:
    """The type as a message may show it: itself when it looks like a word, else "(other)"."""
    return kind if _SHOWABLE.fullmatch(kind) else "(other)"


def words(counts: Mapping[str, int], *, listed: int = 8) -> str:
    """What to tell the office of events whose type SendGrid does not send (type -> how many):
    which types, how many each, SendGrid's name for each, that they change nothing, and what to do."""
    merged: dict[str, int] = {}
    for kind, count in counts.items():
        merged[shown(kind)] = merged.get(shown(kind), 0) + count
    ordered = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    parts = []
    for kind, count in ordered[:listed]:
        name = meant(kind) if kind != "(other)" else None
        parts.append(f'"{kind}" {count:,}' + (f" (SendGrid's name: {name})" if name and name != kind else ""))
    if len(ordered) > listed:
        parts.append(f"{len(ordered) - listed:,} more types")
    total = sum(merged.values())
    text = (
        f"{counted(total, 'event')} of a type SendGrid does not send ({', '.join(parts)}) "
        f"{'is kept in the log but changes' if total == 1 else 'are kept in the log but change'} nothing: "
        f"no delivery, open, click, bounce or suppression. SendGrid's types are {_LISTED}."
    )
    if any(meant(kind) in _MEANT_SUPPRESSING for kind, _ in ordered if kind != "(other)"):
        text += (
            " Nobody was suppressed by them: to stop mailing someone, run `mailer suppressions add ADDRESS`, or import the "
            "corrected events under new sg_event_id values (an id already in the log is skipped)."
        )
    return text
