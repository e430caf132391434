"""The only SQL for the attachment table: attachment bytes kept once per distinct SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, select

from mailer.store.schema import attachment

__all__ = ["contents", "keep"]


def keep(connection: Connection, content: bytes, *, now: datetime) -> str:
    """Store ``content`` unless the same bytes are stored already; return its SHA-256 (hex).

    Runs inside the transaction that holds the new-campaign lock (campaigns.lock_new_campaigns),
    so two campaigns with the same attachment never insert it twice.
    """
    digest = hashlib.sha256(content).hexdigest()
    if connection.scalar(select(attachment.c.sha256).where(attachment.c.sha256 == digest)) is None:
        connection.execute(attachment.insert().values(sha256=digest, content=content, size=len(content), created_at=now))
    return digest


def contents(connection: Connection, digests: Collection[str]) -> dict[str, bytes]:
    """SHA-256 -> bytes for the digests that are stored."""
    if not digests:
        return {}
    query = select(attachment.c.sha256, attachment.c.content).where(attachment.c.sha256.in_(list(digests)))
    return {digest: bytes(content) for digest, content in connection.execute(query)}
