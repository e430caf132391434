"""The Transport protocol and the values it passes: Batch in, BatchResult out.

A transport either returns a BatchResult (SendGrid accepted the request) or raises one of
the ``TransportError`` subclasses in ``mailer.errors``, which ``mailer.dispatch`` turns into
message states: Rejected -> failed, OutcomeUnknown -> unknown, RateLimited / Unavailable
-> retried, TooLarge -> split, AuthError -> stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from mailer.models import Rendered


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One journalist in a batch: the opaque key SendGrid echoes back, and their values."""

    key: str
    email: str
    name: str
    fields: Mapping[str, str]
    substitutions: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Batch:
    """One request's worth of messages of one campaign (at most 1000, under 30 MB)."""

    campaign_id: str
    number: int
    rendered: Rendered
    messages: tuple[OutgoingMessage, ...]
    send_at: int | None = None  # unix seconds, for a scheduled send
    sendgrid_batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """SendGrid accepted the request: its status (202, or 200 in sandbox mode) and X-Message-Id."""

    status: int
    message_id: str | None


class Transport(Protocol):
    """Sends one batch; must be safe to call from several threads at once."""

    def send(self, batch: Batch) -> BatchResult: ...
