"""The HTTP protocol `mailer webhook` serves with: uvicorn's h11 protocol, with a deadline for each request's head.

uvicorn times out a kept-alive connection between requests (5 s) but neither a connection that
never sends a request nor a request whose headers trickle in a line at a time: each such
connection counts towards the worker's 100 (``LIMIT_CONCURRENCY``), beyond which every request is
answered 503. A hundred idle connections from anywhere thus turned away every batch from SendGrid
(which drops them after 24 hours of retries: bounces and unsubscribes lost) and every journalist's
one-click unsubscribe, for as long as they were held (review 23b #6). Here a connection has
``seconds`` ([webhook] body_timeout) from its first byte, or from the first byte of its next
request, to send a whole request head; the app then gives the body as long again (webhook.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HeadTimeout"]


class HeadTimeout(H11Protocol):
    """H11Protocol that closes a connection whose request head has not arrived within ``seconds``."""

    seconds: float = 30.0  # set from [webhook] body_timeout by `mailer webhook` and by each worker (cli/events.py)
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._waiting():
            self._disarm()  # a whole head arrived: the app times the body
        elif self._head_timer is None:
            self._arm()  # the next request's head has begun (uvicorn's keep-alive timer is off now)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting(self) -> bool:
        """Whether the connection is between requests: none yet, or the last one answered."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.seconds, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self._waiting() and not self.transport.is_closing():
            self.transport.close()
