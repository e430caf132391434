"""The suppression table: addresses never to mail again, with why, where from and when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from mailer.models import SuppressionReason
from mailer.store.schema import suppression


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppressed address."""

    email_key: str
    reason: SuppressionReason
    source: str
    note: str | None
    created_at: datetime


def add(
    engine: Engine,
    entries: Iterable[tuple[str, SuppressionReason, str | None]],
    *,
    source: str,
    now: datetime | None = None,
) -> int:
    """Suppress (address, reason, note) entries; an address already suppressed keeps its first record.

    Returns how many addresses were newly suppressed.
    """
    stamp = now or datetime.now(UTC)
    rows = {
        address.strip().lower(): {
            "email_key": address.strip().lower(),
            "reason": str(reason),
            "source": source,
            "note": note,
            "created_at": stamp,
        }
        for address, reason, note in entries
        if address and address.strip()
    }
    if not rows:
        return 0
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(suppression).on_conflict_do_nothing(index_elements=["email_key"])
    with engine.begin() as connection:
        result = connection.execute(statement, list(rows.values()))
    return max(result.rowcount, 0)


def remove(engine: Engine, addresses: Iterable[str]) -> int:
    """Lift suppressions; returns how many addresses were suppressed before."""
    keys = [address.strip().lower() for address in addresses]
    with engine.begin() as connection:
        result = connection.execute(delete(suppression).where(suppression.c.email_key.in_(keys)))
    return result.rowcount


def reasons(engine: Engine) -> dict[str, str]:
    """Every suppressed address (lower-cased) mapped to its reason, for contacts.suppress."""
    with engine.connect() as connection:
        return {row.email_key: row.reason for row in connection.execute(select(suppression.c.email_key, suppression.c.reason))}


def all(engine: Engine) -> list[Suppression]:  # noqa: A001 - read as suppressions.all()
    """Every suppression, newest first."""
    with engine.connect() as connection:
        rows = connection.execute(select(suppression).order_by(suppression.c.created_at.desc()))
        return [
            Suppression(r.email_key, SuppressionReason(r.reason), r.source, r.note, r.created_at)
            for r in rows
        ]
