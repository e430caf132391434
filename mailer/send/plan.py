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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from mailer import compose
from mailer.errors import SendError
from mailer.models import ContactList, Message, MessageState, RejectReason, Rendered

MAX_PERSONALIZATIONS = 1000
MAX_REQUEST_BYTES = 30 * 1024 * 1024
MAX_SUBSTITUTION_BYTES = 10_000
# Room left in each request for JSON punctuation, headers we do not count, and rounding.
REQUEST_SAFETY = 0.9
PER_PERSONALIZATION_OVERHEAD = 160  # {"to":[{"email":..,"name":..}],"custom_args":{...}} around the values


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a send will do, before it does any of it."""

    rendered: Rendered
    messages: tuple[Message, ...]
    request_count: int
    request_size: int = MAX_PERSONALIZATIONS  # recipients per request at most

    @property
    def recipients(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.state is MessageState.PLANNED)

    def skipped(self) -> dict[str, int]:
        """How many rows are skipped, per reason."""
        return dict(Counter(m.skip_reason or "" for m in self.messages if m.state is MessageState.SKIPPED))


def new_message_key() -> str:
    """An opaque message key for custom_args: never an address or a name (SENDGRID.md §0.4)."""
    return secrets.token_hex(16)


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
    messages: list[Message] = []
    seen: set[str] = set()
    request_no, in_batch, batch_bytes = 0, size, 0
    for contact in contact_list.contacts:
        source = f"{contact.source}:{contact.row}"
        if contact.email_key in seen:  # contacts.load dedupes already; a hand-built list may not
            messages.append(
                _skipped(contact.email, contact.fields, source, RejectReason.DUPLICATE.value, "the same address is already a recipient")
            )
            continue
        values = substitutions(rendered, contact.fields)
        value_bytes = _substitution_bytes(values) + reserved_substitution
        if value_bytes > MAX_SUBSTITUTION_BYTES:
            messages.append(
                _skipped(
                    contact.email,
                    contact.fields,
                    source,
                    RejectReason.INVALID.value,
                    f"its contact fields take {value_bytes:,} bytes; SendGrid allows {MAX_SUBSTITUTION_BYTES:,} per recipient",
                )
            )
            continue
        seen.add(contact.email_key)
        cost = (
            PER_PERSONALIZATION_OVERHEAD
            + reserved_request
            + _json_bytes(contact.email)
            + _json_bytes(contact.name)
            + _json_bytes_map(values)
        )
        if in_batch >= size or batch_bytes + cost > budget:
            request_no, in_batch, batch_bytes = request_no + 1, 0, 0
        in_batch += 1
        batch_bytes += cost
        messages.append(
            Message(
                message_key=new_message_key(),
                email=contact.email,
                name=contact.name,
                fields=contact.fields,
                source=source,
                state=MessageState.PLANNED,
                request_no=request_no,
                substitutions=values,
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


def _substitution_bytes(values: Mapping[str, str]) -> int:
    """SendGrid's measure: the keys' and values' bytes."""
    return sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in values.items())


def _json_bytes(value: str) -> int:
    """Upper bound of a string's size in the JSON body (non-ASCII becomes \\uXXXX escapes)."""
    return len(value) + 2 if value.isascii() else 6 * len(value) + 2


def _json_bytes_map(values: Mapping[str, str]) -> int:
    return sum(_json_bytes(k) + _json_bytes(v) + 2 for k, v in values.items())
