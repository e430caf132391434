"""``mailer events import``: events from JSON / NDJSON files, for offices without a public webhook.

Every file is checked before anything is stored, so a file that cannot be read at all
(missing, a folder, not text) changes nothing. Each file is then read as a stream, a chunk of
``CHUNK`` events at a time, and stored in ONE transaction: a file is kept whole or not at all,
and memory stays flat however long the file (issue 12: a million events in under 300 MB).
Inside a readable file, events that cannot be stored are quarantined (files.py) and the good
ones stored. Applying is idempotent: importing a file twice adds nothing, not even to the quarantine.
A file imported again after its unreadable lines were fixed takes their entries off the
quarantine (``quarantine.drop_repaired``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from mailer.events import files
from mailer.events.apply import Applied, Ingest
from mailer.events.parse import Quarantined
from mailer.store import clock, quarantine

__all__ = ["CHUNK", "Imported", "import_files"]

CHUNK = 5000
# SQLite's page cache for the import's connection, in KiB (64 MB): a million events touch the
# pages of two random-keyed unique indexes; the default 2 MB cache re-reads them from the file.
_SQLITE_CACHE_KIB = 65536


@dataclass(frozen=True, slots=True)
class Imported:
    """The totals of an import, and what was quarantined (file and line, reason; the raw text is
    in the quarantine table only, so a file of a million unreadable events is not held twice)."""

    totals: Applied
    quarantined: list[Quarantined]
    repaired: int = 0  # entries of the quarantine from these files whose lines now read (taken off it)


def import_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    block_threshold: int,
    on_progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    now: datetime | None = None,
) -> Imported:
    """Store the events of every file, one transaction per file; ``on_progress`` gets events read per chunk.

    Raises EventError, naming the file, for a file that cannot be read at all; no file has
    been stored then (each is checked first).
    """
    for path in paths:
        files.check(path)
    stamp = now or clock.now(engine)  # the log's clock: its server's, for a team's PostgreSQL log
    totals = Applied(received=0, added=0, duplicates=0, unlinked=0, suppressed=0, quarantined=0)
    bad: list[Quarantined] = []
    repaired = 0
    for path in paths:
        set_aside: set[str] = set()  # digests of what this import quarantined: those entries stay
        again: set[str] = set()  # where it quarantined them: an older text there is replaced
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
            ingest = Ingest(connection, source="import", block_threshold=block_threshold, now=stamp, links={})
            for batch in files.stream(path, size=chunk):
                ingest.add(batch.events)
                ingest.quarantine(batch.quarantined)
                set_aside.update(quarantine.digest(item.where, item.reason, item.raw) for item in batch.quarantined)
                again.update(item.where for item in batch.quarantined)
                bad.extend(replace(item, raw="") for item in batch.quarantined)
                if on_progress is not None:
                    on_progress(len(batch.events) + len(batch.quarantined))
            applied = ingest.finish()
            repaired += quarantine.drop_repaired(connection, f"{path} line ", set_aside, again)
        totals = totals.plus(applied)
    return Imported(totals, bad, repaired)
