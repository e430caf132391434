"""``mailer events import``: events from JSON / NDJSON files, for offices without a public webhook.

Every file is read (and checked) before anything is stored, so a broken file changes nothing;
then the events are applied in chunks of ``CHUNK``, each in its own transaction, so a million
events never sit in one. Applying is idempotent: importing a file twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from mailer.events.apply import Applied, apply
from mailer.events.parse import read_file

__all__ = ["CHUNK", "import_files"]

CHUNK = 5000


def import_files(
    engine: Engine, paths: Sequence[Path], *, block_threshold: int, on_progress: Callable[[int], None] | None = None
) -> Applied:
    """Read every file, then apply its events; returns the totals. Raises EventError naming file and line."""
    events = [event for path in paths for event in read_file(path)]
    totals = Applied(received=len(events), added=0, duplicates=0, unlinked=0, suppressed=0)
    for start in range(0, len(events), CHUNK):
        chunk = events[start : start + CHUNK]
        applied = apply(engine, chunk, source="import", block_threshold=block_threshold)
        totals = Applied(
            received=totals.received,
            added=totals.added + applied.added,
            duplicates=totals.duplicates + applied.duplicates,
            unlinked=totals.unlinked + applied.unlinked,
            suppressed=totals.suppressed + applied.suppressed,
        )
        if on_progress is not None:
            on_progress(len(chunk))
    return totals
