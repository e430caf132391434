"""Erase one journalist's personal data from the delivery log, keeping them unmailable.

The right to erasure and the right to object meet here: the ICO advises keeping objectors on a
suppression list rather than deleting every trace (SENDGRID.md §4.4). So the address, contact
snapshot and list source leave every message row, and the address, bounce texts, links and raw
JSON leave every event row, while one minimal suppression (reason "forgotten", no note) keeps
the address from being mailed again. Counts in reports do not change: rows stay, blanked.
Where another row's text quotes the address (a refused request's error is logged on every row of
the request, a bounce or a note may name it), the address alone becomes "(forgotten)". A test
send made ``--as`` the journalist gave every colleague's row her fields: those are blanked, and the
campaign's filters name her no more. An email to her already on its way (its request in flight)
cannot be called back: its row, blanked, stays planned so that SendGrid's answer marks it sent.
Event ids stay too, so a copy SendGrid re-sends later is still recognised as already seen.

The archive of what each campaign sent holds nothing personal (send/archive.py), so it needs no
erasing. The files press-mailer wrote itself do: ``erase_files`` deletes the dry runs' and
``mailer show``'s ``.eml`` files (and previews) naming the address or holding a proof made as
her, rewrites request bodies and ``skipped.csv`` without it, and names any file it could not erase;
``erase_pages`` deletes the pages ``mailer preview --contact`` made for her, whatever they hold,
and ``forget_pages`` drops the log's notes of those it deleted (and only those: review 15s #4).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import json
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from mailer import mailbox, safefile
from mailer.errors import MailerError
from mailer.models import FORGOTTEN_ADDRESS, SuppressionReason
from mailer.reports.kinds import REPORTS_FOLDER
from mailer.spreadsheet import restore_cell, safe_cell
from mailer.store import campaigns as campaign_store
from mailer.store import carried, checkpoint, clock, folders, plan_parts
from mailer.store import events as event_store
from mailer.store import messages as message_store
from mailer.store import quarantine as quarantine_store
from mailer.store import suppressions as suppression_store
from mailer.store.failures import in_words
from mailer.transport import eml
from mailer.transport.dryrun import MARKER as CAMPAIGN_MARKER

if TYPE_CHECKING:
    from mailer.config import Config
    from mailer.send.status import Held

__all__ = [
    "ErasedFiles",
    "Erasure",
    "Forgotten",
    "check_address",
    "erase",
    "erase_files",
    "erase_pages",
    "erase_written",
    "exports_mentioning",
    "forget",
    "forget_pages",
    "lists_naming",
]


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What ``forget`` erased."""

    address: str
    messages: int  # rows that held their data: their own, and colleagues' rows of test sends made `--as` them
    campaigns: tuple[str, ...]
    events: int
    previous_suppression: str | None  # the reason it was suppressed for before, if it was
    # Other rows whose texts named the address (an error, a note, an event of another journalist), now "(forgotten)".
    mentions: int = 0
    # The message keys of the colleagues' rows of test sends made `--as` them (blanked): their proofs'
    # files hold the journalist's fields, if not the address, and are found by these (``erase_files``).
    proofs: tuple[str, ...] = ()
    # SQLite: True when the log's files hold no readable copy of the erased rows any more; False when
    # another process kept the write-ahead file from being folded back. None: PostgreSQL.
    log_files: bool | None = None
    # Campaigns with a request to them in flight (it has left, SendGrid's answer not logged yet): that
    # email cannot be called back; its row, blanked, stays planned for the answer (review 12b #4).
    on_its_way: tuple[str, ...] = ()
    # Per campaign, her filter values taken out of its --where/--tag and skip reasons (her surname in
    # "last_name is not Quistgaard"): a dry run's skipped.csv loses them too (``erase_files``).
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Rows of who had which release, carried over from an old log (`mailer carry-over`), that named them.
    carried: int = 0


FOLD_BACK_WAIT = 5.0  # seconds forget waits for another process's reads and writes to end before folding the log back


def check_address(address: str) -> str:
    """The address as the log keys it, read as `suppressions add` reads a typed address
    (mailbox.read: "Jane Doe <jane@example.org>", "mailto:", capitals, a final dot, invisible
    characters around it); MailerError, with email-validator's reason, when it is not one.

    Newcomer 11: only lower-cased, "Jane Doe <jane@example.org>" was kept as typed on the
    suppression list (the name kept for good, by an erasure), erased nothing, and the next send
    mailed Jane all the same.
    """
    key, why = mailbox.read(address)
    if why is not None:
        raise MailerError(
            f'"{address.strip()}" is not an email address. {why[:1].upper()}{why[1:]}',
            hint='Give the journalist\'s full address, for example jane@example.org or "Jane Doe <jane@example.org>".',
        )
    return key


@in_words
def forget(
    engine: Engine,
    address: str,
    *,
    now: datetime | None = None,
    wait: float | None = None,
    waiting: Callable[[str], None] | None = None,
) -> Forgotten:
    """Erase ``address`` from messages and events in one transaction; suppress it as "forgotten".

    On an SQLite log the erased bytes are overwritten with zeros, and the write-ahead file is then
    folded back into the database file (waiting at most ``wait`` seconds for other connections), so
    neither file keeps a readable copy (newcomer review 9); ``Forgotten.log_files`` says whether
    that completed. ``wait`` defaults to ``FOLD_BACK_WAIT``.

    The log only: files press-mailer wrote that hold the journalist (dry-run outboxes and their
    skipped.csv, `mailer show` and preview files) stay until ``erase_files``, ``erase_written`` and
    ``erase_pages`` erase them: ``erase`` does it all, as `mailer forget` does. Raises MailerError
    for text that is not an address, StoreError when the log fails. ``waiting`` is told when it
    waits for another command storing events (PostgreSQL).
    """
    key = check_address(address)
    with engine.connect() as connection, checkpoint.zeroing(connection):
        with connection.begin():
            # PostgreSQL: an event batch storing now finishes first (and is erased below); later ones see the suppression.
            event_store.hold_ingest_lock(connection, waiting=waiting)
            plan_parts.write_all(connection)  # rows of a plan not yet in the message table (store/plan_parts.py) are erased too
            before = next(iter(suppression_store.spellings(connection, key)), None)  # an older version's spelling too
            named_by = message_store.field_values(connection, key)  # before her rows are blanked
            names = message_store.field_values(connection, key, only=message_store.NAME_FIELDS)
            erased = message_store.erase_address(connection, key)
            on_its_way = message_store.in_flight_among(connection, [message_id for message_id, _ in erased])
            events = event_store.erase_address(connection, key, [message_id for message_id, _ in erased])
            suppression_store.erase_removals(connection, key)  # and entries kept under another spelling (a name)
            quarantine_store.erase_address(connection, key)  # unreadable events that named them (review 9b)
            moved = carried.erase_address(connection, key)  # who an old log sent which release (`mailer carry-over`)
            # Test sends made `--as` them: the campaign names them, and each colleague's row holds their fields (review 12a #5).
            proofs = message_store.erase_proofs(connection, campaign_store.erase_address(connection, key))
            # A --where or --tag that chose her by her own values (her name: review 14 #10), and the skip reasons quoting it.
            values = campaign_store.erase_values(connection, named_by, names=names)
            # Other journalists' rows quoting the address (a refused request's error names it on every row; review 12a #11).
            mentions = message_store.erase_mentions(connection, key)
            mentions += event_store.erase_mentions(connection, key, FORGOTTEN_ADDRESS)
            mentions += suppression_store.erase_mentions(connection, key, FORGOTTEN_ADDRESS)
            folders.erase_files_naming(connection, key)  # the caller read them first (erase_written)
            suppression_store.replace(
                connection,
                suppression_store.Suppression(key, SuppressionReason.FORGOTTEN, "forget", None, now or clock.now(engine)),
            )
        folded = checkpoint.fold_back(connection, wait=FOLD_BACK_WAIT if wait is None else wait)
    rows = {message_id: campaign for message_id, campaign in erased} | {message_id: campaign for message_id, campaign, _ in proofs}
    return Forgotten(
        address=key,
        messages=len(rows),
        campaigns=tuple(sorted(set(rows.values()))),
        events=events,
        previous_suppression=str(before.reason) if before else None,
        mentions=mentions,
        proofs=tuple(message_key for _, _, message_key in proofs),
        log_files=folded,
        on_its_way=tuple(on_its_way),
        values=values,
        carried=moved,
    )


@dataclass(frozen=True, slots=True)
class Erasure:
    """What ``erase`` did: the delivery log's part (``forgotten``) and the files'. Paths are whole."""

    forgotten: Forgotten
    # Scheduled sends whose email to them SendGrid holds, to go out at their time unless cancelled
    # (each one's ``warning()`` says what to do), read before the erasure blanked the rows that say so.
    held: tuple[Held, ...]
    folders: tuple[tuple[Path, ErasedFiles], ...]  # the outbox and preview folders (dry runs, `mailer show`), each with what it lost
    pages: ErasedFiles  # the pages `mailer preview --contact` made for them, deleted whatever they hold
    written: ErasedFiles  # the files `mailer show -o` wrote elsewhere that named them
    lists: tuple[Path, ...]  # press lists the log names that still hold the address (yours to edit)
    reports: tuple[Path, ...]  # report files in out/reports that mention it (yours to delete)
    # Folders the log noted a dry run or `mailer show` writing to that are not on this computer (a
    # colleague's, sharing the log, or deleted since): their files were not looked at (newcomer 20b #3).
    elsewhere: tuple[Path, ...] = ()
    # The log this office used before (its out/mailer.db, or the user data folder's), carried into this one,
    # when it still holds the address: `mailer carry-over` never changes it, so it is not erased there (carry28).
    earlier_log: Path | None = None

    @property
    def found_nowhere(self) -> bool:
        """Nothing held the address: not the log, not a list it sent from, not a page made for
        them (a typo, most likely; the address is suppressed all the same)."""
        done = self.forgotten
        pages = self.pages.deleted or self.pages.left or self.pages.not_found or self.pages.changed or self.pages.replaced
        return not (done.messages or done.events or done.mentions or done.carried or done.previous_suppression or self.lists or pages)


@in_words
def erase(
    engine: Engine,
    address: str,
    *,
    config: Config,
    office: Path | None = None,
    now: datetime | None = None,
    wait: float | None = None,
    waiting: Callable[[str], None] | None = None,
) -> Erasure:
    """Everything `mailer forget ADDRESS --yes` does, for a script: ``forget`` (the log), then the
    files press-mailer wrote that hold them (``erase_files`` in the outbox and preview folders of
    ``config`` and every folder the log noted a dry run or `mailer show` writing to; ``erase_pages``;
    ``erase_written``), and what is left for a person to do: press lists still naming the address,
    report files mentioning it. ``office``: the folder list names and out/reports are read from
    (default: the one ``config`` was read from, else the current folder; the current folder is
    searched as well, as the command does). Raises MailerError for text that is not an address,
    StoreError when the log fails; files that cannot be erased are named in the result, never raised.
    ``waiting`` is told when it waits for another command storing events (``forget``).
    """
    from mailer.send import status

    key = check_address(address)
    base = office if office is not None else (config.source.resolve().parent if config.source is not None else Path.cwd())
    held = status.held_at_sendgrid(engine, [key], now=now)  # before the erasure blanks the rows that say so
    with engine.connect() as connection:
        shown_files = folders.every_file(connection)  # before forget drops those whose name holds the address
        pages = folders.pages_of(connection, key)  # and the notes of the preview pages made for them
        others = folders.page_hashes(connection, [path for path, _ in pages], other_than=key)  # written since for another?
        noted = folders.every(connection)
        names = campaign_store.list_names(connection)
    done = forget(engine, key, now=now, wait=wait, waiting=waiting)
    written_folders = dict.fromkeys(folder.resolve() for folder in (config.compose.outbox_dir, config.compose.preview_dir, *noted))
    erased_folders = tuple(
        (folder, erase_files(done.address, folder, proofs=done.proofs, values=done.values)) for folder in written_folders if folder.is_dir()
    )
    # The log is shared: a colleague's dry runs are on their computer, where this forget cannot reach.
    elsewhere = tuple(folder for folder in dict.fromkeys(path.resolve() for path in noted) if not folder.is_dir())
    erased_pages = erase_pages(pages, others=others)  # a page made for them is deleted whatever it holds
    forget_pages(engine, done.address, erased_pages)  # and its note dropped: only those deleted (review 15s #4)
    erased_written = erase_written(done.address, shown_files, proofs=done.proofs)
    here = Path.cwd()
    # A send logs a list typed outside the office folder by its whole path; a relative name is read from both (review 12b #11).
    logged = dict.fromkeys((where / name).resolve() for name in names for where in (base, here))
    # `report` writes in the office's out/reports; older versions wrote where they ran (review 13 #5), so there too.
    report_folders = dict.fromkeys((where / REPORTS_FOLDER).resolve() for where in (base, here))
    return Erasure(
        forgotten=done,
        held=tuple(held),
        folders=erased_folders,
        pages=erased_pages,
        written=erased_written,
        lists=tuple(lists_naming(done.address, logged)),
        reports=tuple(path for folder in report_folders for path in exports_mentioning(done.address, folder)),
        elsewhere=elsewhere,
        earlier_log=_earlier_holding(engine, config, done.address),
    )


def _earlier_holding(engine: Engine, config: Config, address: str) -> Path | None:
    """The log this office used before (``store.earlier.left_behind``) when it still holds ``address``."""
    from mailer.store import earlier

    found = earlier.left_behind(config, engine.url.render_as_string(hide_password=False))
    return found[0] if found is not None and earlier.holds_address(found[0], address) else None


def exports_mentioning(address: str, folder: Path) -> list[Path]:
    """Files under ``folder`` (reports written earlier) that still hold ``address``.

    The log cannot erase copies it handed out, but it can point at the ones in its own
    export folder. XLSX files are zip archives, so their text parts are searched inside.
    """
    key = mailbox.key(address)
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        try:
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    hit = any(_holds(archive.read(name), key, markup=True) for name in archive.namelist() if name.endswith(".xml"))
            else:
                hit = _holds(path.read_bytes(), key, markup=path.suffix.lower() in _MARKUP)
        except (OSError, zipfile.BadZipFile):
            continue
        if hit:
            found.append(path)
    return found


_MARKUP = (".html", ".htm", ".xml")  # report files whose text is escaped markup


def _holds(data: bytes, key: str, *, markup: bool = False) -> bool:
    """Whether a file's bytes (a report, a list) name the address ``key`` as ``mailbox.names`` finds
    it, not a longer address (review 13 #11): read as UTF-8, as Windows-1252 (a list saved by Excel;
    review 13 #4) and, when it has NUL bytes, as UTF-16. ``names`` finds the domain's ASCII (IDNA)
    spelling too. XML and HTML (``markup``: an XLSX's parts, an HTML report) escape characters an
    address may hold: "r&d@lab.example" is "r&amp;d@lab.example" there, so those are read unescaped
    (review 15s #7; and "d@lab.example" is not found in it)."""
    if not data:
        return False
    encodings = ["utf-8", "cp1252"] + (["utf-16-le", "utf-16-be"] if b"\0" in data else [])
    texts = [data.decode(encoding, "replace") for encoding in encodings]
    return any(mailbox.names(html.unescape(text) if markup else text, key) for text in texts)


def lists_naming(address: str, names: Iterable[str | Path]) -> list[Path]:
    """Those of the list files ``names`` (as the command line found the log's names from the
    office folder and from here) that still hold ``address``, in UTF-8 (or any ASCII-compatible
    encoding) or UTF-16. Every later send from them skips the journalist (logged without their
    data), but the office may want them out of its lists too. Files not found are passed over."""
    key = mailbox.key(address)
    found: list[Path] = []
    for name in names:
        path = Path(name)
        try:
            if not path.is_file():
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if _holds(data, key):
            found.append(path)
    return found


@dataclass(frozen=True, slots=True)
class ErasedFiles:
    """What ``erase_files`` did under a folder."""

    deleted: tuple[Path, ...]  # .eml files and previews naming the address
    rewritten: tuple[Path, ...]  # request bodies and skipped.csv, now without it
    left: tuple[Path, ...]  # files that still hold it (unknown kinds, or unreadable)
    # Pages made for her (``erase_pages``) not found where they were written (another computer, a
    # drive not connected, or deleted already), and pages changed since (edited, or written again):
    # not deleted, they may still hold her data (review 15s #4).
    not_found: tuple[Path, ...] = ()
    changed: tuple[Path, ...] = ()
    # Pages made for her that mailer wrote again since for another journalist (the log notes that
    # page for them): not hers any more, left alone, and her note of them dropped.
    replaced: tuple[Path, ...] = ()


_DELETED_KINDS = (".eml", ".html", ".txt")


def _written_here(folder: Path) -> list[Path]:
    """The files under ``folder`` press-mailer wrote: the ``.eml`` files directly in it (``mailer
    show``; ``erase_files`` checks each is mailer's and deletes the page ``--open`` wrote beside it),
    and everything in a dry run's campaign folder (marked by its ``.campaign`` file). Never the rest
    of a folder tree, nor another file directly in it: with ``preview_dir = "."`` those are the
    office's own lists and notes (review 9b: forget deleted lists/meltwater.txt; review 13 #9: and
    meltwater.txt beside mailer.toml). ``mailer preview --contact`` notes the pages it writes, which
    forget deletes as it deletes ``mailer show -o``'s files (``erase_written``). A symbolic link
    there is none of mailer's files: the file it points to is never read nor written (review 24k #3)."""
    if not folder.is_dir():
        return []
    found = [path for path in folder.iterdir() if _own_file(path) and path.suffix == ".eml"]
    for marker in sorted(folder.glob(f"*/{CAMPAIGN_MARKER}")):
        found.extend(path for path in marker.parent.rglob("*") if _own_file(path))
    return sorted(set(found))


def _own_file(path: Path) -> bool:
    """A regular file itself, not a link to one."""
    return path.is_file() and not path.is_symlink()


def erase_files(
    address: str, folder: Path, *, proofs: Collection[str] = (), values: Mapping[str, Collection[str]] | None = None
) -> ErasedFiles:
    """Erase ``address`` from the files press-mailer wrote under ``folder`` (the outbox, the previews).

    ``proofs`` (``Forgotten.proofs``): the message keys of test proofs made ``--as`` the journalist.
    Their files hold her fields, if not her address: an ``.eml`` with such a Message-ID is deleted
    (with the page ``mailer show --open`` wrote beside it), a request body loses those personalizations.
    ``values`` (``Forgotten.values``): per campaign, her filter values the log's skip reasons lost;
    that dry run's ``skipped.csv`` loses them too (review 15s #3: "last_name is not Quistgaard").
    """
    key = address.strip().lower()
    marks = _proof_marks(proofs)
    deleted: list[Path] = []
    rewritten: list[Path] = []
    left: list[Path] = []
    for path in _written_here(folder):
        try:
            data = path.read_bytes()
            gone = _values_of(path, values or {}) if path.name == "skipped.csv" else ()
            if (
                not _names(data, key)
                and not mailbox.names_file(path.name, key)
                and not _names_proof(data, marks)
                and not _names_values(data, gone)
            ):
                continue
            if path.suffix == ".eml" and eml.PROOF_DOMAIN.encode() not in data:
                left.append(path)  # an .eml mailer did not write (no proof Message-ID): not its to delete
                continue
            if path.suffix in _DELETED_KINDS:
                path.unlink()
                deleted.append(path)
                continue
            if path.suffix == ".json" and path.name.startswith("request-"):
                kept = _without_personalizations(json.loads(data), key, frozenset(proofs))
                if kept is None:
                    path.unlink()
                    deleted.append(path)
                    continue
                data = json.dumps(_scrubbed(kept, key), ensure_ascii=False).encode("utf-8")
            elif path.name == "skipped.csv":
                data = _without_row(data, key, gone)
            else:
                left.append(path)
                continue
            safefile.write_own(path, data)
            (left if _names(data, key) or _names_values(data, gone) else rewritten).append(path)
        except (OSError, ValueError):
            left.append(path)
    deleted += _pages_beside(deleted)
    return ErasedFiles(tuple(deleted), tuple(rewritten), tuple(left))


def _values_of(path: Path, values: Mapping[str, Collection[str]]) -> Collection[str]:
    """The values taken out of the skip reasons of the campaign whose dry-run folder holds ``path``
    (its ``.campaign`` file names it: "<id> <created>")."""
    try:
        campaign_id = (path.parent / CAMPAIGN_MARKER).read_text(encoding="utf-8").split(" ", 1)[0].strip()
    except OSError:
        return ()
    return values.get(campaign_id, ())


def _names_values(data: bytes, values: Collection[str]) -> bool:
    """Whether a skipped.csv's reasons still quote one of ``values``."""
    if not values:
        return False
    text = data.decode("utf-8-sig", "replace")
    rows = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    return any(campaign_store.scrub_values(cell, values) != cell for row in rows for cell in row[_REASONS])


def _proof_marks(proofs: Collection[str]) -> list[bytes]:
    """What names a proof in a file: its Message-ID's key (an .eml), its custom_args value (a request body)."""
    return [f"{message_key}{eml.PROOF_DOMAIN}".encode() for message_key in proofs] + [
        json.dumps(message_key).encode() for message_key in proofs
    ]


def _names(data: bytes, key: str) -> bool:
    """Whether a file's bytes name the address ``key`` itself, not a longer one (forgetting
    brien@paper.example leaves o'brien@paper.example's files alone; review 12b #2)."""
    return mailbox.names(data.decode("utf-8", "replace"), key)


def _names_proof(data: bytes, marks: list[bytes]) -> bool:
    return any(mark in data for mark in marks)


def _pages_beside(deleted: list[Path]) -> list[Path]:
    """The HTML pages `mailer show --open` wrote beside the deleted .eml files (``CAMPAIGN.html``
    beside ``CAMPAIGN.eml``, mailer's own): they show the journalist's fields, if not the address
    (a proof made as her never does), and never a Message-ID."""
    gone: list[Path] = []
    for path in [p for p in deleted if p.suffix == ".eml"]:
        page = path.with_suffix(".html")
        try:
            if page.is_file() and page not in deleted:
                page.unlink()
                gone.append(page)
        except OSError:
            continue
    return gone


def erase_written(address: str, files: Iterable[Path], *, proofs: Collection[str] = ()) -> ErasedFiles:
    """Delete those of ``files`` (what ``mailer show -o`` wrote where the user chose) that still
    name ``address`` or one of ``proofs`` (as ``erase_files``), and the HTML page ``--open`` wrote
    beside such an .eml (it holds the journalist's name and fields, if not always the address); a
    file changed since, or gone, is left alone. The rest of their folders is the user's, so nothing
    else there is touched."""
    key = address.strip().lower()
    marks = _proof_marks(proofs)
    noted = list(dict.fromkeys(files))
    deleted: list[Path] = []
    left: list[Path] = []
    for path in noted:
        try:
            if not path.is_file():
                continue
            data = path.read_bytes()
            if not _names(data, key) and not _names_proof(data, marks):
                continue
            if path.suffix == ".eml" and eml.PROOF_DOMAIN.encode() not in data:
                left.append(path)  # saved there since, by someone else: not mailer's to delete (review 9b)
                continue
            path.unlink()
            deleted.append(path)
        except OSError:
            left.append(path)
    for path in [p for p in deleted if p.suffix == ".eml"]:
        page = path.with_suffix(".html")
        if page in noted and page not in deleted and page.is_file():
            try:
                page.unlink()
                deleted.append(page)
            except OSError:
                left.append(page)
    return ErasedFiles(tuple(deleted), (), tuple(left))


def erase_pages(pages: Iterable[tuple[Path, str]], *, others: Mapping[Path, Collection[str]] | None = None) -> ErasedFiles:
    """Delete the pages ``mailer preview --contact`` made for the journalist (``folders.pages_of``:
    path and SHA-256 as written), whatever they hold: they show her name and outlet, seldom her
    address (review 14 #1). Only a page still as mailer wrote it: one written again since (a
    preview for another journalist, or without --contact) or edited is not hers to delete, and is
    named in ``changed``; one not found where it was written (the log is shared, the page on a
    colleague's computer) in ``not_found``: either may still hold her data, and their notes stay
    in the log so a forget run where they are deletes them (``forget_pages``; review 15s #4). A
    page now as mailer wrote it for another journalist (``others``: the SHA-256 noted for each path
    for anyone else, ``folders.page_hashes``) is theirs: ``replaced``. A page that cannot be deleted
    is named in ``left``."""
    deleted: list[Path] = []
    left: list[Path] = []
    not_found: list[Path] = []
    changed: list[Path] = []
    replaced: list[Path] = []
    for path, sha256 in dict(pages).items():
        try:
            if not path.is_file():
                not_found.append(path)
                continue
            now = hashlib.sha256(path.read_bytes()).hexdigest()
            if now != sha256:
                (replaced if now in (others or {}).get(path, ()) else changed).append(path)
                continue
            path.unlink()
            deleted.append(path)
        except OSError:
            left.append(path)
    return ErasedFiles(tuple(deleted), (), tuple(left), tuple(not_found), tuple(changed), tuple(replaced))


def forget_pages(engine: Engine, address: str, erased: ErasedFiles) -> int:
    """Drop the log's notes of the pages ``erase_pages`` deleted for ``address`` (a ``mailbox.key``),
    or found written since for another journalist; the notes of pages it did not reach or found
    changed stay, so a later forget deletes or names them again. Returns how many were dropped."""
    done = (*erased.deleted, *erased.replaced)
    if not done:
        return 0
    with engine.begin() as connection:
        return folders.erase_pages(connection, address, done)


def _scrubbed(value: Any, key: str) -> Any:
    """A request body (JSON) with the address ``key`` replaced by FORGOTTEN_ADDRESS wherever another
    journalist's values quote it (a list column naming a colleague), as in the log."""
    if isinstance(value, str):
        return mailbox.scrub(value, key, FORGOTTEN_ADDRESS)
    if isinstance(value, list):
        return [_scrubbed(item, key) for item in value]
    if isinstance(value, dict):
        return {name: _scrubbed(item, key) for name, item in value.items()}
    return value


# The columns of skipped.csv that give a reason (transport/dryrun.py: email, reason, detail, source):
# a forgotten journalist's filter value is taken out there only, never out of another's address.
_REASONS = slice(1, 3)
_REASON_COLUMNS = range(1, 3)


def _delimiter(text: str) -> str:
    """The delimiter a skipped.csv was written with (the list's: comma, semicolon or tab)."""
    header = text.partition("\n")[0]
    return header[len("email")] if header.startswith("email") and len(header) > len("email") else ","


def _without_row(data: bytes, key: str, values: Collection[str] = ()) -> bytes:
    """A dry run's skipped.csv without the rows of address ``key``, however the cell spells it
    ("Jane Doe <Jane@...>", "mailto:"; review 13 #7) (and without the address in the
    others' cells, nor her filter ``values`` in their reasons: review 15s #3), in the dialect it was
    written in (transport/dryrun.py: a byte-order mark, the list's delimiter, formula-like cells escaped)."""
    bom = data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    delimiter = _delimiter(text)
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if not r or mailbox.key(restore_cell(r[0])) != key]
    # A cell refused for naming her with another journalist ("Anna Müller <anna@...>, Bob Stone <bob@...>")
    # becomes "(forgotten)", as its row in the log (review 15s #9); its reason stays.
    rows = [[FORGOTTEN_ADDRESS, *r[1:]] if r and _shared_cell(restore_cell(r[0]), key) else r for r in rows]
    out = io.StringIO()
    # Another row's detail may quote the address (a suppression's note): only the address goes there.
    csv.writer(out, delimiter=delimiter).writerows(
        [
            [safe_cell(_scrubbed_cell(cell, key, values if column in _REASON_COLUMNS else ())) for column, cell in enumerate(row)]
            for row in rows
        ]
    )
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def _shared_cell(cell: str, key: str) -> bool:
    """Whether an address cell is no address but names ``key`` among others ("two addresses in one cell")."""
    return mailbox.names(cell, key) and mailbox.read(cell)[1] is not None


def _scrubbed_cell(cell: str, key: str, values: Collection[str]) -> str:
    """A skipped.csv cell without the address ``key`` and, in a reason, without her filter ``values``."""
    return campaign_store.scrub_values(mailbox.scrub(restore_cell(cell), key, FORGOTTEN_ADDRESS), values)


def _without_personalizations(body: dict[str, object], key: str, proofs: frozenset[str] = frozenset()) -> dict[str, object] | None:
    """A request body without the personalizations addressed to ``key``, or carrying the message
    key of one of ``proofs`` (a test proof made as that journalist); None when none are left."""
    found = body.get("personalizations")
    kept = [
        p
        for p in (found if isinstance(found, list) else [])
        if not any(str(r.get("email", "")).lower() == key for part in ("to", "cc", "bcc") for r in p.get(part) or [])
        and (p.get("custom_args") or {}).get("message") not in proofs
    ]
    return {**body, "personalizations": kept} if kept else None
