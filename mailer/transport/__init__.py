"""Transports: how one Mail Send request of personalized messages leaves the machine.

In: a ``Request`` (campaign id, number, the Rendered email, its messages). Out: a
``RequestResult`` (status, X-Message-Id), or a ``TransportError`` the dispatcher turns into
message states.

    base.py      the Transport protocol, Request (its Recipients) and RequestResult
    mailsend.py  the v3 Mail Send body, built once per campaign and shared by both transports
    sendgrid.py  posts it to SendGrid (the sendgrid library, a timeout, its debug log quiet)
    keepalive.py one kept-alive connection per worker thread, reused only while that is safe
    dryrun.py    writes it to the outbox instead, with one .eml per journalist

Never imports: contacts, send, store, events, reports, cli, SQLAlchemy, pandas, Jinja; and
sendgrid.py and dryrun.py never import each other.
"""

from __future__ import annotations

from mailer.models import Recipients
from mailer.transport.base import Request, RequestResult, Transport

__all__ = ["Recipients", "Request", "RequestResult", "Transport"]
