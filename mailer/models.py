"""Plain values passed between stages: contacts, rendered releases, states.

Frozen dataclasses, so that no stage can change what an earlier one produced; states are
enums whose values are what the delivery log stores. Types that only one stage and its
neighbour share live beside that stage (``transport.base.Request``, ``events.Event``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# The canonical contact columns, in the order `lists clean` writes them.
CANONICAL_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "outlet",
    "title",
    "beat",
    "tags",
    "country",
    "language",
)


class RejectReason(StrEnum):
    """Why a list row is not a recipient."""

    INVALID = "invalid"
    MISSING = "missing"
    DUPLICATE = "duplicate"
    SUPPRESSED = "suppressed"
    FILTERED = "filtered"
    ALREADY_RECEIVED = "already received"  # the same content went to this address in an earlier live campaign


@dataclass(frozen=True, slots=True)
class Contact:
    """One journalist who will receive the release.

    ``fields`` holds every template-usable value as text: the canonical columns (``email``
    included, ``tags`` joined with "; ") and custom columns under safe identifiers.
    """

    email: str
    fields: Mapping[str, str]
    source: str
    row: int

    @property
    def email_key(self) -> str:
        """The address as compared for duplicates and suppressions (the log's ``email_key``)."""
        return self.email.lower()

    @property
    def tags(self) -> tuple[str, ...]:
        raw = self.fields.get("tags", "")
        return tuple(tag.strip() for tag in raw.split(";") if tag.strip())

    @property
    def name(self) -> str:
        return full_name(self.fields)


def full_name(fields: Mapping[str, str]) -> str:
    """First and last name as a To header shows them ("" when the list has neither)."""
    first, last = fields.get("first_name", ""), fields.get("last_name", "")
    return f"{first} {last}" if first and last else first or last


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A list row that is not a recipient, with where it came from and why.

    ``row`` is the spreadsheet row number (the header is row 1). ``cells`` are the row's
    original cells under their original headers, so a colleague can fix them.
    """

    source: str
    row: int
    email: str
    reason: RejectReason
    detail: str
    cells: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListSummary:
    """What was found in one list file."""

    path: str
    rows: int
    encoding: str
    delimiter: str
    recognized: Mapping[str, str]  # canonical name -> header as written in the file
    custom: Mapping[str, str]  # safe identifier -> header as written in the file
    notes: tuple[str, ...] = ()  # what was done to the text: control characters taken out, ...


@dataclass(frozen=True, slots=True)
class ContactList:
    """The result of loading one or more list files: every row is in exactly one of the two."""

    contacts: tuple[Contact, ...]
    rejected: tuple[RejectedRow, ...]
    files: tuple[ListSummary, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    """Narrow a list: every ``where`` field must match one of its values; any ``tags`` matches.

    Field names are canonical or custom identifiers; comparisons ignore case and spaces.
    """

    where: Mapping[str, frozenset[str]] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not self.where and not self.tags


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the release: attached (a PDF, a fact sheet), or an image shown in the text.

    An inline image has ``disposition`` "inline" and a ``content_id`` that the HTML's
    ``<img src="cid:...">`` names (derived from the content's hash: no personal data).
    """

    filename: str
    content: bytes
    mime_type: str
    disposition: str = "attachment"
    content_id: str | None = None

    @property
    def inline(self) -> bool:
        return self.disposition == "inline"


@dataclass(frozen=True, slots=True)
class Token:
    """One substitution tag in a Rendered release: the contact field it stands for and how
    its value is prepared: ``steps`` are ("default", text) or a filter name such as "upper";
    ``context`` is subject, text, html, attribute or url (how the value is escaped)."""

    field: str
    context: str
    steps: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A release rendered and inlined once per campaign, with tokens where contact fields go.

    ``subject`` and ``text`` carry text tokens, ``html`` carries HTML tokens; use
    ``compose.substitutions`` for a recipient's token values and ``compose.personalize`` for
    the exact email one journalist receives.
    """

    release_path: str
    content_hash: str
    subject: str
    preheader: str
    html: str
    text: str
    fields: tuple[str, ...]
    embargo: datetime | None = None
    from_email: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    warnings: tuple[str, ...] = ()
    tokens: Mapping[str, Token] = field(default_factory=dict)
    # The tag the unsubscribe link carries (SendGrid's, or ours in one-click mode), and the
    # link every proof shows in its place (``compose.personalize``), never a working one.
    unsubscribe_tag: str = ""
    unsubscribe_proof: str = ""
    language: str = "en"  # the release version's language tag (en, fr, fr-CA, ar)


@dataclass(frozen=True, slots=True)
class Personalized:
    """What one journalist receives: subject, HTML and text with their values filled in."""

    subject: str
    html: str
    text: str


class Mode(StrEnum):
    """What kind of send a campaign is."""

    LIVE = "live"
    TEST = "test"
    DRY_RUN = "dry-run"


class CampaignStatus(StrEnum):
    """Where a campaign stands."""

    PLANNED = "planned"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


# Shown, never stored: every request of a scheduled send accepted, and its send_at still ahead.
SCHEDULED = "scheduled"


def shown_status(status: CampaignStatus, scheduled_at: datetime | None, *, now: datetime) -> str:
    """The status a person sees: "scheduled" while SendGrid holds a finished send, else the stored one.

    A paused send keeps "paused" even when scheduled: part of it still needs ``mailer resume``.
    """
    if status is CampaignStatus.DONE and scheduled_at is not None and scheduled_at > now:
        return SCHEDULED
    return status.value


class MessageState(StrEnum):
    """Where one recipient's message stands."""

    PLANNED = "planned"
    SENDING = "sending"
    ACCEPTED = "accepted"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Message:
    """One recipient's email in a campaign, from the plan through the request to the log's row.

    ``message_key`` is the opaque token sent in ``custom_args`` and echoed in every event; it is
    random and never an address or a name, because SendGrid cannot erase custom_args
    (SENDGRID.md §0.4). ``email_key`` is the address as compared for duplicates and
    suppressions. ``request_no`` groups messages into Mail Send requests (None when skipped).
    """

    message_key: str
    email: str
    name: str
    fields: Mapping[str, str]
    substitutions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    state: MessageState = MessageState.PLANNED
    request_no: int | None = None
    skip_reason: str | None = None
    detail: str | None = None

    @property
    def email_key(self) -> str:
        return self.email.lower()


# One message row as the delivery log takes it (``store.messages.insert_rows``): message_key,
# email, fields, source, state, skip_reason, request_no, detail (why a skipped row is skipped).
LogRow = tuple[str, str, Mapping[str, str], str, str, str | None, int | None, str | None]


class Delivery(StrEnum):
    """What SendGrid's events say happened to an accepted message, in forward order.

    A message's delivery only moves to a later rank (a ``delivered`` after a ``bounce``
    changes nothing); see ``DELIVERY_RANK``.
    """

    PROCESSED = "processed"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    BLOCKED = "blocked"
    DROPPED = "dropped"


DELIVERY_RANK: Mapping[Delivery, int] = {
    Delivery.PROCESSED: 1,
    Delivery.DEFERRED: 2,
    Delivery.DELIVERED: 3,
    Delivery.BLOCKED: 4,
    Delivery.BOUNCED: 5,
    Delivery.DROPPED: 5,
}


class SuppressionReason(StrEnum):
    """Why an address is never mailed again."""

    BOUNCE = "bounce"
    BLOCK = "block"
    SPAM_REPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    INVALID = "invalid"
    MANUAL = "manual"
    FORGOTTEN = "forgotten"
