"""The folders and files mailer wrote journalists' data to (``schema.written_folder``, ``schema.written_file``).

``keep`` notes a folder as a dry run or ``mailer show`` writes into it; ``every`` lists them for
``mailer forget``, which erases the journalist's files in each (newcomer review 8: a dry run
without a mailer.toml writes under the folder it ran in, and a forget run elsewhere missed it).
``keep_file`` notes one file written into a folder of the user's choosing (``mailer show -o``);
``every_file`` lists them: forget erases those files only, not the rest of that folder
(newcomer review 9: the .eml `show -o` wrote elsewhere outlived the erasure).
``keep_page`` notes a page ``mailer preview --contact`` wrote for one journalist, with its
fingerprint; ``pages_of`` lists them and ``erase_pages`` drops those forget deleted (review 14 #1, 15s #4).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Table, delete, func, or_, select

from mailer import mailbox
from mailer.store.bulk import insert_or_skip
from mailer.store.schema import contact_page, written_file, written_folder

__all__ = ["erase_files_naming", "erase_pages", "every", "every_file", "keep", "keep_file", "keep_page", "page_hashes", "pages_of"]


def keep(connection: Connection, folder: Path, *, now: datetime) -> None:
    """Note ``folder`` (made absolute) once."""
    _note(connection, written_folder, folder, now)


def every(connection: Connection) -> list[Path]:
    """Every folder noted, in the order they were first written to."""
    return _noted(connection, written_folder)


def keep_file(connection: Connection, path: Path, *, now: datetime) -> None:
    """Note the file ``path`` (made absolute) once."""
    _note(connection, written_file, path, now)


def every_file(connection: Connection) -> list[Path]:
    """Every file noted, in the order they were first written."""
    return _noted(connection, written_file)


def _note(connection: Connection, table: Table, path: Path, now: datetime) -> None:
    row = {"path": str(path.resolve()), "created_at": now}
    connection.execute(insert_or_skip(connection.dialect, table).values(row).on_conflict_do_nothing())


def _noted(connection: Connection, table: Table) -> list[Path]:
    query = select(table.c.path).order_by(table.c.created_at, table.c.path)
    return [Path(path) for path in connection.scalars(query)]


def erase_files_naming(connection: Connection, address: str) -> int:
    """Forget the noted files whose path names ``address`` (``-o jane.doe@example.org.eml``): part
    of ``mailer forget``, which reads ``every_file`` first. Returns how many were forgotten."""
    key = mailbox.key(address)
    found = or_(*(func.lower(written_file.c.path).contains(spelt, autoescape=True) for spelt in mailbox.mentions(key)))
    # Only a path naming that address, not a longer one (reuben@ for ben@; review 13 #11).
    named = [path for path in connection.scalars(select(written_file.c.path).where(found)) if mailbox.names_file(path, key)]
    if not named:
        return 0
    return connection.execute(delete(written_file).where(written_file.c.path.in_(named))).rowcount


def keep_page(connection: Connection, path: Path, email_key: str, *, sha256: str, now: datetime) -> None:
    """Note that ``path`` (made absolute) was written for the journalist ``email_key``, holding what
    ``sha256`` fingerprints; written for her again, the newer fingerprint replaces the older."""
    where = (contact_page.c.path == str(path.resolve()), contact_page.c.email_key == email_key)
    connection.execute(delete(contact_page).where(*where))
    connection.execute(contact_page.insert().values(path=str(path.resolve()), email_key=email_key, sha256=sha256, created_at=now))


def pages_of(connection: Connection, email_key: str) -> list[tuple[Path, str]]:
    """(path, SHA-256 as written) of every page noted for the journalist ``email_key``, oldest first."""
    query = (
        select(contact_page.c.path, contact_page.c.sha256)
        .where(contact_page.c.email_key == email_key)
        .order_by(contact_page.c.created_at, contact_page.c.path)
    )
    return [(Path(path), sha256) for path, sha256 in connection.execute(query)]


def page_hashes(connection: Connection, paths: Iterable[Path], *, other_than: str) -> dict[Path, set[str]]:
    """The SHA-256 noted for each of ``paths`` for journalists other than ``other_than``: a page
    mailer wrote again since for one of them holds one of these (``forget.erase_pages``)."""
    wanted = [str(path) for path in paths]
    found: dict[Path, set[str]] = {}
    if not wanted:
        return found
    query = select(contact_page.c.path, contact_page.c.sha256).where(
        contact_page.c.path.in_(wanted), contact_page.c.email_key != other_than
    )
    for path, sha256 in connection.execute(query):
        found.setdefault(Path(path), set()).add(sha256)
    return found


def erase_pages(connection: Connection, email_key: str, paths: Iterable[Path] | None = None) -> int:
    """Drop the notes of the pages written for ``email_key`` (they name her address), those of
    ``paths`` only when given: part of ``mailer forget``, which reads ``pages_of`` first, deletes
    the files and drops the notes of those it deleted (review 15s #4: a page on a colleague's
    computer, dropped unseen, stayed for good). Returns how many were dropped."""
    where = [contact_page.c.email_key == email_key]
    if paths is not None:
        where.append(contact_page.c.path.in_([str(path) for path in paths]))
    return connection.execute(delete(contact_page).where(*where)).rowcount
