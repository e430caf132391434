"""``mailer events import``: events from JSON / NDJSON files, for offices without a public webhook.

Every file is read before anything is stored, so a file that cannot be read at all (missing,
a folder, not text) changes nothing; inside a readable file, events that cannot be stored are
quarantined (files.py) and the good ones stored. The events are applied in chunks of ``CHUNK``,
each in its own transaction, so a million events never sit in one. Applying is idempotent:
importing a file twice adds nothing, not even to the quarantine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from mailer.events.apply import Applied, apply
from mailer.events.files import read_file
from mailer.events.parse import Quarantined

__all__ = ["CHUNK", "Imported", "import_files"]

CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Imported:
    """The totals of an import, and what was quarantined (file and line, reason)."""

    totals: Applied
    quarantined: list[Quarantined]


def import_files(
    engine: Engine, paths: Sequence[Path], *, block_threshold: int, on_progress: Callable[[int], None] | None = None
) -> Imported:
    """Read every file, then apply its events; raises EventError, naming it, for a file that cannot be read."""
    batches = [read_file(path) for path in paths]
    events = [event for batch in batches for event in batch.events]
    bad = [item for batch in batches for item in batch.quarantined]
    totals = Applied(received=len(events) + len(bad), added=0, duplicates=0, unlinked=0, suppressed=0, quarantined=len(bad))
    for start in range(0, max(len(events), 1), CHUNK):
        chunk = events[start : start + CHUNK]
        applied = apply(engine, chunk, source="import", block_threshold=block_threshold, quarantined=bad if start == 0 else ())
        totals = Applied(
            received=totals.received,
            added=totals.added + applied.added,
            duplicates=totals.duplicates + applied.duplicates,
            unlinked=totals.unlinked + applied.unlinked,
            suppressed=totals.suppressed + applied.suppressed,
            quarantined=totals.quarantined,
        )
        if on_progress is not None:
            on_progress(len(chunk))
    return Imported(totals, bad)
