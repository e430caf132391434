"""Rendered + ContactList -> Plan: one message per intended recipient, cut into requests.

Nothing here touches the network or the log: the plan is what ``send.record`` writes, in one
transaction, before the first request. Every list row becomes a message: a recipient
(planned, with its request number) or a skipped row with its reason, so `mailer status`
can account for everyone on the lists.

Requests respect SendGrid's per-request limits (SENDGRID.md §1.1): ``batch_size`` (at most
1000) personalizations of one recipient each, under 30 MB in all; each recipient's
substitutions under 10,000 bytes (a recipient over it is skipped, saying why).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from mailer import compose
from mailer.errors import SendError
from mailer.models import ContactList, Message, MessageState, RejectReason, Rendered, full_name

MAX_PERSONALIZATIONS = 1000
MAX_REQUEST_BYTES = 30 * 1024 * 1024
MAX_SUBSTITUTION_BYTES = 10_000
# Room left in each request for JSON punctuation, headers we do not count, and rounding.
REQUEST_SAFETY = 0.9
PER_PERSONALIZATION_OVERHEAD = 160  # {"to":[{"email":..,"name":..}],"custom_args":{...}} around the values


@dataclass(frozen=True)
class Plan:
    """Everything a send will do, before it does any of it."""

    rendered: Rendered
    messages: tuple[Message, ...]
    request_count: int
    request_size: int = MAX_PERSONALIZATIONS  # recipients per request at most

    @cached_property
    def recipients(self) -> tuple[Message, ...]:
        """The planned messages, in request order."""
        return tuple(m for m in self.messages if m.state is MessageState.PLANNED)

    def skipped(self) -> dict[str, int]:
        """How many rows are skipped, per reason."""
        return dict(Counter(m.skip_reason or "" for m in self.messages if m.state is MessageState.SKIPPED))


def new_message_key() -> str:
    """An opaque message key for custom_args: never an address or a name (SENDGRID.md §0.4)."""
    return secrets.token_hex(16)


def message_keys() -> Iterator[str]:
    """Opaque message keys for one plan: a random 80-bit prefix and a counter, 32 hex digits each.

    Unique across campaigns (the prefix), never an address or a name (SENDGRID.md §0.4), and in
    ascending order within a plan, so the log's unique index on them grows at its end instead of
    at random places (a fifth cheaper to write at 100k rows). The keys need not be secret: the
    webhook checks SendGrid's signature, and unsubscribe links carry their own (unsubscribe.sign).
    """
    prefix = secrets.token_hex(10)
    counter = 0
    while True:
        yield f"{prefix}{counter:012x}"
        counter += 1


def build(
    rendered: Rendered,
    contact_list: ContactList,
    *,
    batch_size: int = MAX_PERSONALIZATIONS,
    max_request_bytes: int = MAX_REQUEST_BYTES,
    substitutions: Callable[[Rendered, Mapping[str, str]], dict[str, str]] = compose.substitutions,
    reserve: tuple[int, int] = (0, 0),
) -> Plan:
    """The plan: recipients in list order, batched; rejected rows skipped with their reason.

    ``reserve`` is what the transport adds to each personalization (our own unsubscribe link:
    ``unsubscribe.reserved_bytes``): bytes in its substitutions, bytes in the request in all.
    """
    reserved_substitution, reserved_request = reserve
    size = min(max(batch_size, 1), MAX_PERSONALIZATIONS)
    budget = int(max_request_bytes * REQUEST_SAFETY) - _common_bytes(rendered)
    if budget <= PER_PERSONALIZATION_OVERHEAD:
        raise_too_large(rendered, max_request_bytes)
    keys = message_keys()
    messages: list[Message] = []
    seen: set[str] = set()
    request_no, in_batch, batch_bytes = 0, size, 0
    fixed_cost = PER_PERSONALIZATION_OVERHEAD + reserved_request
    for contact in contact_list.contacts:
        email, fields = contact.email, contact.fields
        email_key = email.lower()
        if email_key in seen:  # contacts.load dedupes already; a hand-built list may not
            messages.append(
                _skipped(
                    email,
                    fields,
                    f"{contact.source}:{contact.row}",
                    RejectReason.DUPLICATE.value,
                    "the same address is already a recipient",
                )
            )
            continue
        values = substitutions(rendered, fields)
        value_bytes, value_json = _sizes(values)
        if value_bytes + reserved_substitution > MAX_SUBSTITUTION_BYTES:
            messages.append(
                _skipped(
                    email,
                    fields,
                    f"{contact.source}:{contact.row}",
                    RejectReason.INVALID.value,
                    f"its contact fields take {value_bytes + reserved_substitution:,} bytes; SendGrid allows {MAX_SUBSTITUTION_BYTES:,} per recipient",
                )
            )
            continue
        seen.add(email_key)
        name = full_name(fields)
        cost = fixed_cost + _json_bytes(email) + _json_bytes(name) + value_json
        if in_batch >= size or batch_bytes + cost > budget:
            request_no, in_batch, batch_bytes = request_no + 1, 0, 0
        in_batch += 1
        batch_bytes += cost
        messages.append(
            Message(
                next(keys),
                email,
                name,
                fields,
                values,
                f"{contact.source}:{contact.row}",
                MessageState.PLANNED,
                request_no,
            )
        )
    for row in contact_list.rejected:
        messages.append(_skipped(row.email, row.cells, f"{row.source}:{row.row}", row.reason.value, row.detail))
    return Plan(rendered=rendered, messages=tuple(messages), request_count=request_no, request_size=size)


def with_names(plan: Plan, names: Mapping[str, str]) -> Plan:
    """The plan with each recipient's To name taken from ``names`` (address -> name): a test proof
    borrows a journalist's fields but is addressed to the staff member by their own name."""
    return replace(plan, messages=tuple(replace(m, name=names.get(m.email_key, m.name)) for m in plan.messages))


def skip_received(plan: Plan, received: Mapping[str, str]) -> tuple[Plan, int]:
    """Skip the recipients in ``received`` (address -> the campaign that already reached them) (promise 8).

    Returns the new plan and how many were skipped now.
    """
    skipped = 0
    messages = []
    for m in plan.messages:
        campaign_id = received.get(m.email_key) if m.state is MessageState.PLANNED else None
        if campaign_id is None:
            messages.append(m)
            continue
        skipped += 1
        detail = f"already received in {campaign_id}"
        messages.append(
            replace(m, state=MessageState.SKIPPED, request_no=None, skip_reason=RejectReason.ALREADY_RECEIVED.value, detail=detail)
        )
    return (replace(plan, messages=tuple(messages)) if skipped else plan), skipped


def raise_too_large(rendered: Rendered, max_request_bytes: int) -> None:
    """Refuse an email that cannot fit in one request even with a single recipient."""
    raise SendError(
        f"The email itself (text, HTML and attachments) is over SendGrid's {max_request_bytes // (1024 * 1024)} MB limit per request.",
        hint="Link to large files from the release instead of attaching them.",
    )


def _skipped(email: str, fields: Mapping[str, str], source: str, reason: str, detail: str) -> Message:
    return Message(
        message_key=new_message_key(),
        email=email,
        name="",
        fields=dict(fields),
        source=source,
        state=MessageState.SKIPPED,
        skip_reason=reason,
        detail=detail,
    )


def _common_bytes(rendered: Rendered) -> int:
    """Bytes of the parts every request repeats: subject, text, HTML, attachments and inline images (base64)."""
    text = json.dumps([rendered.subject, rendered.text, rendered.html])
    attachments = sum((len(a.content) + 2) // 3 * 4 + len(a.filename) + 100 for a in rendered.attachments)
    return len(text) + attachments + 2_000


def _sizes(values: Mapping[str, str]) -> tuple[int, int]:
    """A recipient's substitutions as SendGrid measures them (keys' and values' UTF-8 bytes), and
    an upper bound of their size in the JSON body; one pass over the text when it is all ASCII."""
    if not values:
        return 0, 0
    text = "".join(values.keys()) + "".join(values.values())
    if text.isascii():
        return len(text), len(text) + 6 * len(values)
    return sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in values.items()), _json_bytes_map(values)


def _json_bytes(value: str) -> int:
    """Upper bound of a string's size in the JSON body (non-ASCII becomes \\uXXXX escapes)."""
    return len(value) + 2 if value.isascii() else 6 * len(value) + 2


def _json_bytes_map(values: Mapping[str, str]) -> int:
    return sum(_json_bytes(k) + _json_bytes(v) + 2 for k, v in values.items())
