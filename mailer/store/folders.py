"""The folders mailer wrote files holding journalists' data to (``schema.written_folder``).

``keep`` notes a folder as a dry run or ``mailer show`` writes into it; ``every`` lists them for
``mailer forget``, which erases the journalist's files in each (newcomer review 8: a dry run
without a mailer.toml writes under the folder it ran in, and a forget run elsewhere missed it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

from mailer.store.bulk import insert_or_skip
from mailer.store.schema import written_folder

__all__ = ["every", "keep"]


def keep(connection: Connection, folder: Path, *, now: datetime) -> None:
    """Note ``folder`` (made absolute) once."""
    row = {"path": str(folder.resolve()), "created_at": now}
    connection.execute(insert_or_skip(connection.dialect, written_folder).values(row).on_conflict_do_nothing())


def every(connection: Connection) -> list[Path]:
    """Every folder noted, in the order they were first written to."""
    query = select(written_folder.c.path).order_by(written_folder.c.created_at, written_folder.c.path)
    return [Path(path) for path in connection.scalars(query)]
