"""Erase one journalist's personal data from the delivery log, keeping them unmailable.

The right to erasure and the right to object meet here: the ICO advises keeping objectors on a
suppression list rather than deleting every trace (SENDGRID.md §4.4). So the address, contact
snapshot and list source leave every message row, and the address, bounce texts, links and raw
JSON leave every event row, while one minimal suppression (reason "forgotten", no note) keeps
the address from being mailed again. Counts in reports do not change: rows stay, blanked.
Event ids stay too, so a copy SendGrid re-sends later is still recognised as already seen.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from mailer.errors import MailerError
from mailer.models import SuppressionReason
from mailer.store import events as event_store
from mailer.store import messages as message_store
from mailer.store import suppressions as suppression_store

__all__ = ["Forgotten", "exports_mentioning", "forget"]


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What ``forget`` erased."""

    address: str
    messages: int
    campaigns: tuple[str, ...]
    events: int
    previous_suppression: str | None  # the reason it was suppressed for before, if it was


def forget(engine: Engine, address: str, *, now: datetime | None = None) -> Forgotten:
    """Erase ``address`` from messages and events in one transaction; suppress it as "forgotten"."""
    key = address.strip().lower()
    if "@" not in key:
        raise MailerError(f'"{address}" is not an email address.', hint="Give the full address, for example jane@example.org")
    with engine.begin() as connection:
        before = suppression_store.find(connection, key)
        erased = message_store.erase_address(connection, key)
        events = event_store.erase_address(connection, key, [message_id for message_id, _ in erased])
        suppression_store.erase_removals(connection, key)
        suppression_store.replace(
            connection,
            suppression_store.Suppression(key, SuppressionReason.FORGOTTEN, "forget", None, now or datetime.now(UTC)),
        )
    return Forgotten(
        address=key,
        messages=len(erased),
        campaigns=tuple(sorted({campaign for _, campaign in erased})),
        events=events,
        previous_suppression=str(before.reason) if before else None,
    )


def exports_mentioning(address: str, folder: Path) -> list[Path]:
    """Files under ``folder`` (reports written earlier) that still hold ``address``.

    The log cannot erase copies it handed out, but it can point at the ones in its own
    export folder. XLSX files are zip archives, so their text parts are searched inside.
    """
    needle = address.strip().lower().encode("utf-8")
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        try:
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    hit = any(needle in archive.read(name).lower() for name in archive.namelist() if name.endswith(".xml"))
            else:
                hit = needle in path.read_bytes().lower()
        except (OSError, zipfile.BadZipFile):
            continue
        if hit:
            found.append(path)
    return found
