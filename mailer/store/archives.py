"""The only SQL for the archive table: what one campaign sent, in token form (promise 9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from mailer.store.schema import archive

__all__ = ["Archive", "get", "insert"]


@dataclass(frozen=True, slots=True)
class Archive:
    """One campaign's archive: the parts as rendered once, their tokens, the common request body."""

    campaign_id: str
    subject: str
    preheader: str
    html: str
    text: str
    tokens: Mapping[str, Any]  # token -> [field, context, [[step, argument], ...]]
    body: Mapping[str, Any]  # the common Mail Send body, parts and attachment bytes by reference
    created_at: datetime


def insert(connection: Connection, kept: Archive) -> None:
    """Store a campaign's archive (inside the transaction that creates the campaign)."""
    connection.execute(
        archive.insert().values(
            campaign_id=kept.campaign_id,
            subject=kept.subject,
            preheader=kept.preheader,
            html=kept.html,
            text=kept.text,
            tokens=dict(kept.tokens),
            body=dict(kept.body),
            created_at=kept.created_at,
        )
    )


def get(connection: Connection, campaign_id: str) -> Archive | None:
    """The campaign's archive; None for a campaign logged before archives were kept."""
    row = connection.execute(select(archive).where(archive.c.campaign_id == campaign_id)).mappings().first()
    if row is None:
        return None
    return Archive(
        campaign_id=row["campaign_id"],
        subject=row["subject"],
        preheader=row["preheader"],
        html=row["html"],
        text=row["text"],
        tokens=dict(row["tokens"]),
        body=dict(row["body"]),
        created_at=row["created_at"],
    )
