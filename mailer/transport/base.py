"""The Transport protocol and the values it passes: Request in, RequestResult out.

A transport either returns a RequestResult (SendGrid accepted the request) or raises one of
the ``TransportError`` subclasses in ``mailer.errors``, which ``mailer.send.dispatch`` turns into
message states: Rejected -> failed, OutcomeUnknown -> unknown, RateLimited / Unavailable
-> retried, TooLarge -> split, AuthError -> stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mailer.models import Message, Recipients, Rendered


@dataclass(frozen=True, slots=True)
class Request:
    """One request's worth of messages of one campaign (at most 1000, under 30 MB).

    ``messages`` may be given as any sequence of Messages; a request keeps them as ``Recipients``.
    """

    campaign_id: str
    number: int
    rendered: Rendered
    messages: Sequence[Message]
    send_at: int | None = None  # unix seconds, for a scheduled send
    sendgrid_batch_id: str | None = None
    created_at: datetime | None = None  # the campaign's, the Date of its proofs (dry-run .eml, mailer show)

    def __post_init__(self) -> None:
        if not isinstance(self.messages, Recipients):
            object.__setattr__(self, "messages", Recipients.of(self.messages))

    @property
    def recipients(self) -> Recipients:
        """``messages`` as the lists they are kept in."""
        return Recipients.of(self.messages)


@dataclass(frozen=True, slots=True)
class RequestResult:
    """SendGrid accepted the request: its status (202, or 200 in sandbox mode) and X-Message-Id."""

    status: int
    message_id: str | None


class Withheld(Exception):  # the dispatcher's own decision, never shown to a user
    """Raised by ``Transport.send`` when ``ready`` said no: the request did not leave."""


# Called by a transport once a request is ready to leave (its body built and encoded) and before
# anything of it leaves; True lets it go, False withholds it (``send`` raises Withheld). It may
# block: the dispatcher prepares the next request while the ones out are answered and lets it go
# once the campaign row lists it in flight.
Ready = Callable[[], bool]


class Transport(Protocol):
    """Sends one request; must be safe to call from several threads at once.

    ``ready`` (see ``Ready``) must be called, when given, before any byte of the request leaves.
    """

    def send(self, request: Request, ready: Ready | None = None) -> RequestResult: ...
