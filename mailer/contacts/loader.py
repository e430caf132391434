"""Press lists -> ContactList: load, check, dedupe, filter, suppress, write back.

Every row of every file ends up either as a recipient (``Contact``) or as a ``RejectedRow``
with its file, spreadsheet row and reason: missing address, invalid address (email-validator's
syntax rules, no DNS lookups), or duplicate of an earlier row (compared without case, across
files too; the first one wins). Nothing is dropped silently. Blank lines hold no journalist
and are not rows.

The work is done column by column on the files' cells (Arrow compute kernels), so ``check`` counts a
million-row list without building a million Python objects, and ``load`` gives its recipients
column by column too (``ContactTable``: a Contact is made only when one is asked for). Each
file column is let go as soon as what is needed is taken from it, so ``load`` needs no more
memory than ``check``. benchmarks/lists_clean.py measures both against pandas.
"""

from __future__ import annotations

import os
import re
import shlex
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from mailer import mailbox
from mailer.contacts import addresses, ahead, cellbytes, listfile
from mailer.contacts.filters import apply_filter, matching, parse_filter, suppress
from mailer.contacts.headers import (
    CONSENT_DATE,
    NOT_OPTED_OUT,
    SAYS_YES,
    WEB_ADDRESS,
    canonical_name,
    consent_end,
    consent_end_readings,
    is_consent_until_header,
    is_opt_in_header,
    is_opt_out_header,
)
from mailer.contacts.listfile import ListFile
from mailer.contacts.names import split_names
from mailer.errors import ListError
from mailer.linebreaks import UNICODE_LINE_BREAKS
from mailer.models import (
    CANONICAL_FIELDS,
    NO_CONSENT_IN_LIST,
    NOT_CONSENTED_IN_LIST,
    OPTED_OUT_IN_LIST,
    Contact,
    ContactList,
    ContactTable,
    Filter,
    ListSummary,
    RejectedRow,
    RejectReason,
)
from mailer.spreadsheet import restore_cells

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = [
    "FileCheck",
    "ListCheck",
    "apply_filter",
    "check",
    "load",
    "parse_filter",
    "suppress",
]

# Row verdicts, as small integers so a million of them is one numpy array.
_OK, _MISSING, _INVALID, _DUPLICATE, _OPTED_OUT = 0, 1, 2, 3, 4
_REASONS = {
    _MISSING: RejectReason.MISSING,
    _INVALID: RejectReason.INVALID,
    _DUPLICATE: RejectReason.DUPLICATE,
    _OPTED_OUT: RejectReason.SUPPRESSED,  # the list's own opt-out column says so: never mailed, as a suppression
}
_TAG_SEPARATORS = ";,|"
SHOWN_CELL = 100  # characters of a rejected address cell longer than any address, as shown
_SHOWN_HEADERS = 5  # header cells named in "no email address column"


@dataclass(frozen=True, slots=True)
class FileCheck:
    """What ``lists check`` reports for one file."""

    summary: ListSummary
    valid: int
    rejected: Mapping[RejectReason, int]


@dataclass(frozen=True, slots=True)
class Misspelt:
    """A recipient whose address's domain is likely a typo ("gmail.con"): still a recipient, but worth a look."""

    source: str
    row: int
    email: str
    domain: str
    likely: str  # the domain most likely meant ("gmail.com")


@dataclass(frozen=True, slots=True)
class ListCheck:
    """What ``lists check`` reports for all files: per-file counts and every rejected row."""

    files: tuple[FileCheck, ...]
    rejected: tuple[RejectedRow, ...]
    unreadable: tuple[tuple[str, ListError], ...] = ()  # with keep_going: each file that could not be used, and why
    misspelt: tuple[Misspelt, ...] = ()  # recipients whose domain looks like a typo of a provider's (newcomer 26 #4)

    @property
    def rows(self) -> int:
        return sum(file.summary.rows for file in self.files)

    @property
    def valid(self) -> int:
        return sum(file.valid for file in self.files)

    def count(self, reason: RejectReason) -> int:
        return sum(file.rejected.get(reason, 0) for file in self.files)


@dataclass(frozen=True, slots=True)
class _LazyTake:
    """Per-row values of per-distinct-address values, materialized only for the rows asked for."""

    values: pa.Array
    codes: np.ndarray

    def take(self, rows: np.ndarray) -> pa.Array:
        import pyarrow as pa

        return self.values.take(pa.array(self.codes[rows]))


@dataclass(frozen=True, slots=True)
class _LazyLookup:
    by_distinct: Mapping[int, str]
    codes: np.ndarray

    def __getitem__(self, row: int) -> str:
        return self.by_distinct[int(self.codes[row])]


@dataclass(frozen=True, slots=True)
class _Examined:
    """Every row of every file with its verdict, column-wise (row i is the same row everywhere)."""

    files: tuple[ListFile, ...]
    file_of: np.ndarray  # which file
    position: np.ndarray  # row position in that file's columns
    rejected_emails: pa.Array  # the address cell as written, trimmed, of each rejected row (np.flatnonzero(verdict))
    names: pa.Array | None  # the display name from "Name <address>" cells (None: no cell has one)
    emails: _LazyTake  # the normalized address (null when invalid or missing)
    verdict: np.ndarray  # _OK, _MISSING, _INVALID, _DUPLICATE or _OPTED_OUT
    errors: _LazyLookup  # row -> why its address is invalid
    first_of: Mapping[int, int]  # duplicate row -> the row it repeats
    opted_out: Mapping[int, str] = field(default_factory=dict)  # row -> why it is _OPTED_OUT
    missing: Mapping[int, str] = field(default_factory=dict)  # _MISSING row -> why, when more than "no email address"
    gmail: bool = False  # some addresses are Gmail's, whose repeats may be spelt otherwise (mailbox_keys)
    open_ended: Mapping[int, str] = field(default_factory=dict)  # file number -> what its empty consent-until cells were read as

    def detail(self, index: int) -> str:
        verdict = int(self.verdict[index])
        if verdict == _MISSING:
            return self.missing.get(index, _NO_ADDRESS)
        if verdict == _INVALID:
            return self.errors[index]
        if verdict == _OPTED_OUT:
            return self.opted_out[index]
        first = self.first_of[index]
        where = self.where(first) if self.file_of[first] != self.file_of[index] else f"row {self.row(first)}"
        import numpy as np

        if self.gmail:
            mine, theirs = self.emails.take(np.array([index, first])).to_pylist()
            if mine and theirs and mine.lower() != theirs.lower():  # one Gmail inbox spelt two ways
                return f"duplicate of {where} ({addresses.GMAIL_SAME.format(first=theirs)})"
        return f"duplicate of {where}"

    def row(self, index: int) -> int:
        file = self.files[int(self.file_of[index])]
        return int(file.rows[int(self.position[index])])

    def where(self, index: int) -> str:
        return f"{self.files[int(self.file_of[index])].path} row {self.row(index)}"


def check(
    paths: Sequence[Path | str] | Path | str,
    *,
    on_file: Callable[[str], None] | None = None,
    keep_going: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> ListCheck:
    """Read and check lists, counting recipients and rejected rows per file, without building Contacts.

    Raises ListError for the first file that cannot be used; with ``keep_going``, such files are
    left out and listed in ``unreadable`` instead (ListError still when no file was given).
    ``on_progress`` is told the share of the work done so far (0 to 1; see ``Share``).
    ``paths``: the list files, or one path alone.
    """
    paths = list_paths(paths)
    share = Share(paths, on_progress)
    unreadable: list[tuple[str, ListError]] = []

    def left_out(path: Path, error: ListError) -> None:
        unreadable.append((listfile.display_name(path), error))
        if on_file:
            on_file(str(path))

    files_read = _read_lists(paths, on_file=on_file, on_error=left_out if keep_going else None, share=share)
    if not files_read:
        share.done(1.0)
        return ListCheck((), (), tuple(unreadable))
    examined = _examine(files_read)
    del files_read  # the files' columns are let go one by one below, as each is taken: nothing else may hold them
    share.done(Share.EXAMINED)
    import numpy as np

    files = []
    for number, file in enumerate(examined.files):
        verdicts = np.bincount(examined.verdict[examined.file_of == number], minlength=len(_REASONS) + 1)
        rejected = {_REASONS[code]: int(verdicts[code]) for code in (_INVALID, _MISSING, _DUPLICATE, _OPTED_OUT)}
        files.append(FileCheck(_summary(file, examined.open_ended.get(number)), int(verdicts[_OK]), rejected))
    rows = _rejected_rows(examined, headers=None)
    misspelt = _misspelt(examined)
    share.done(1.0)
    return ListCheck(tuple(files), rows, tuple(unreadable), misspelt)


def _misspelt(examined: _Examined) -> tuple[Misspelt, ...]:
    """The recipients whose domain is likely a typo (``addresses.likely_domain``), in list order;
    each distinct domain is judged once, so a million rows cost a few column operations."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = examined.emails.values
    if len(values) == 0:
        return ()
    domains = pc.replace_substring_regex(values, r"^.*@", "")
    likely = {d: meant for d in pc.unique(domains).drop_null().to_pylist() if (meant := addresses.likely_domain(d)) is not None}
    if not likely:
        return ()
    flagged = np.asarray(pc.fill_null(pc.is_in(domains, value_set=pa.array(list(likely), domains.type)), False))
    rows = np.flatnonzero(flagged[examined.emails.codes] & (examined.verdict == _OK))
    found: list[Misspelt] = []
    for index in rows.tolist():
        email = examined.emails.take(np.array([index]))[0].as_py()
        domain = email.rpartition("@")[2]
        file = examined.files[int(examined.file_of[index])]
        found.append(Misspelt(str(file.path), examined.row(index), email, domain, likely[domain]))
    return tuple(found)


def _every_unusable(errors: Sequence[ListError]) -> ListError:
    """One error naming every list that cannot be used, each with what to do, so a send given
    three lists does not stop at the first and again at the next (newcomer 11)."""
    if len(errors) == 1:
        return errors[0]
    return ListError(
        f"{len(errors)} of the lists cannot be used:\n" + "\n".join(f"  {error}".replace("\n", " ") for error in errors),
        hint="Fix them (each line says how), then run the command again.",
    )


def list_paths(paths: Sequence[Path | str] | Path | str | None) -> list[Path]:
    """The list files a caller named: a sequence of paths, or one path alone (``"lists/press.csv"``,
    which would otherwise be read as 15 one-letter file names). Raises ListError for an item that
    is not a path (an int, None, a ContactList)."""
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    try:
        items = list(paths)
    except TypeError:
        raise ListError(
            f"{paths!r} is not a list file name.", hint='Give the CSV files as paths, for example ["lists/press.csv"].'
        ) from None
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise ListError(
                f"{item!r} is not a list file name (a {type(item).__name__}).",
                hint='Give the CSV files as paths, for example ["lists/press.csv"].',
            )
    named = [Path(item) for item in items]
    _refuse_named_twice(named)
    return named


def _refuse_named_twice(paths: Sequence[Path]) -> None:
    """A ListError when two of ``paths`` name the same file (``lists/press.csv`` and ``lists/*.csv``,
    ``./press.csv``, a link to it): read twice, each of its rows was counted twice, every one of the
    second reading a "duplicate of" itself (review 25l #1)."""
    seen: dict[object, Path] = {}
    for path in paths:
        try:
            status = path.stat()
            identity: object = (status.st_dev, status.st_ino)
        except OSError:  # missing or unreadable: its own error comes when it is read
            identity = os.path.abspath(path)
        earlier = seen.setdefault(identity, path)
        if earlier is not path:
            named = f"{path} is named twice" if str(earlier) == str(path) else f"{earlier} and {path} are the same file"
            raise ListError(
                f"{named}: each of its rows would be counted twice, as a duplicate of itself.",
                hint="Name each list once (a pattern such as lists/*.csv may already include a list named beside it).",
            )


def _no_file() -> ListError:
    return ListError("No list file given.", hint="Name one or more CSV files, for example: mailer lists check lists/press.csv")


def load(
    paths: Sequence[Path | str] | Path | str,
    *,
    on_file: Callable[[str], None] | None = None,
    prefer: Filter | None = None,
    on_progress: Callable[[float], None] | None = None,
    opted_out_exports: bool = False,
    consent_on: date | None = None,
) -> ContactList:
    """Read lists into recipients and rejected rows (duplicates across files count).

    ``Contact.fields`` holds every canonical column as text (``email`` included, tags joined
    with "; ") and every custom column under its safe identifier; a column one file lacks is "".
    The recipients come as a ``ContactTable`` (models.py): a sequence of Contacts held column
    by column, whose ``to_arrow()`` and ``chunks()`` give them without a Python object per row.

    Of the rows of one address the first wins; with ``prefer`` (the send's --where/--tag), the
    first row the filter keeps wins, so a journalist whose first list says beat "science" and
    whose second says "health" is a recipient of ``--where beat=health``, with the second row's
    fields (newcomer 11). The filter itself is applied afterwards (``apply_filter``).
    ``on_progress`` is told the share of the work done so far (0 to 1; see ``Share``).

    ``paths``: the list files, or one path alone. Raises ListError naming every file that cannot
    be used (missing, a folder, not a list, unreadable), or when no file is given. Mailchimp's
    exports of its unsubscribed and cleaned contacts are refused as press lists; with
    ``opted_out_exports`` (``mailer suppressions import``: addresses never to mail) they are read.
    ``consent_on``: the day the email reaches them (a scheduled send's), which a "Consent until"
    cell must reach; today when not given (review 24s #2: scheduled two days ahead, a journalist
    whose consent ended tomorrow was mailed).
    """
    import numpy as np
    import pyarrow as pa

    paths = list_paths(paths)
    if not opted_out_exports and (prefer is None or prefer.is_empty()):
        found = ahead.loaded(paths, on_file)  # loaded while the send started (issue 12)
        if found is not None and not _consent_read_for(found, consent_on):
            found = None  # read on another day than today's: load them for the day the email goes out
        if found is not None:
            if on_progress is not None:
                on_progress(1.0)
            return found
    share = Share(paths, on_progress)
    unusable: list[ListError] = []
    files_read = _read_lists(
        paths, on_file=on_file, on_error=lambda _path, error: unusable.append(error), share=share, opted_out_exports=opted_out_exports
    )
    if unusable:
        raise _every_unusable(unusable)
    examined = _examine(files_read, consent_on=consent_on)
    del files_read  # the files' columns are let go one by one below, as each is taken: nothing else may hold them
    share.done(Share.EXAMINED)
    if prefer is not None and not prefer.is_empty() and examined.first_of:
        examined = _first_kept_wins(examined, prefer)
    rejected_cells = _rejected_cells(examined)
    headers = _shared_headers(examined.files)
    summaries = tuple(_summary(file, examined.open_ended.get(number)) for number, file in enumerate(examined.files))
    # From here on a file's cells are needed only for its recipients: each column is let go as
    # soon as theirs are taken from it, so the list is not held twice.
    held = [list(file.columns) for file in examined.files]
    examined = replace(examined, files=tuple(replace(file, columns=()) for file in examined.files))
    field_names = list(CANONICAL_FIELDS) + in_order(file.custom for file in examined.files)
    parts: list[dict[str, pa.Array]] = []
    names_of_source: list[list[str]] = []
    chosen: list[np.ndarray] = []
    for number, file in enumerate(examined.files):
        mine = np.flatnonzero((examined.file_of == number) & (examined.verdict == _OK))
        columns = _contact_columns(file, held[number], examined, mine)
        held[number] = []
        columns["email"] = examined.emails.take(mine)
        names_of_source.append(field_names + [name for name in columns if name not in field_names])  # "honorific" from "Dr. Jane Doe"
        parts.append(columns)
        chosen.append(mine)
    every = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    rows = np.concatenate([file.rows[examined.position[mine]] for file, mine in zip(examined.files, chosen, strict=True)])
    table = ContactTable(
        _stacked(parts, in_order(names_of_source), [len(mine) for mine in chosen]),
        sources=[file.path for file in examined.files],
        source_of=examined.file_of[every],
        rows=rows.astype(np.int64, copy=False),
        names_of_source=names_of_source,
        distinct=True,  # _examine turned away every address repeated without case (utf8_lower)
    )
    pa.default_memory_pool().release_unused()  # the file's columns, back to the system before the rejected rows are made
    rejected = _rejected_rows(examined, headers=headers, cells=rejected_cells)
    share.done(1.0)
    return ContactList(table, rejected, summaries)


def _stacked(parts: Sequence[Mapping[str, pa.Array]], names: Sequence[str], lengths: Sequence[int]) -> dict[str, pa.Array]:
    """One column per field name over every file's rows ("" where a file lacks the field), as large_string."""
    import pyarrow as pa

    stacked = {}
    for name in names:
        pieces = [
            part[name].cast(pa.large_string()) if name in part else pa.repeat(pa.scalar("", pa.large_string()), length)
            for part, length in zip(parts, lengths, strict=True)
        ]
        stacked[name] = pieces[0] if len(pieces) == 1 else pa.concat_arrays(pieces)
    return stacked


def _readable_list(path: Path, *, on_step: Callable[[float], None] | None = None, opted_out_exports: bool = False) -> listfile.ListFile:
    """The file read (or taken as ``ahead.read_ahead`` read it), with a column of addresses; ListError
    when it cannot be used as a list."""
    file = ahead.taken(path)
    if file is None:
        file = listfile.read(path, on_step=on_step)
    elif on_step is not None:
        on_step(1.0)
    if not opted_out_exports:
        _refuse_opted_out_export(file)
    _refuse_activity_export(file)
    if "email" not in file.recognized:
        _refuse_header_below_an_address(file)
        named = [header for header in file.headers if header]
        found = ", ".join(f'"{listfile.short(header, SHOWN_CELL)}"' for header in named[:_SHOWN_HEADERS]) or "none"
        if len(named) > _SHOWN_HEADERS:  # an Outlook To: line saved as a list: not 5,000 "columns" (review 17 #4)
            found += f" and {len(named) - _SHOWN_HEADERS:,} more"
        accepted = ", ".join(listfile.ACCEPTED_EMAIL_HEADERS)
        # A pasted column of addresses has no header row: its first address is taken for one.
        in_header = sum("@" in header for header in file.headers)
        if in_header > 2:
            hint = (
                f"The first line holds {in_header:,} addresses side by side: put each journalist's address on a row of its own, "
                "under a header row naming that column Email."
            )
        elif in_header:
            hint = "The first row holds addresses: insert a header row above it, naming that column Email."
        else:
            hint = f"Name the column of addresses one of: {accepted} (any case)."
        separator = _other_separator(file.headers)
        if separator is not None:  # "Email|Name|Outlet": it has an address column (review 25l #5)
            raise ListError(
                f'{file.path}: the cells are separated by "{separator}", which mailer does not read as a separator '
                f"(it reads commas, semicolons and tabs): the header row reads as one column, {found}.",
                hint='Open the file in your spreadsheet (LibreOffice: choose "Other" and type the character as the separator), '
                'then save it as "CSV UTF-8 (Comma delimited)"; or export the list again with commas.',
            )
        raise ListError(f"{file.path}: no email address column. Columns found: {found}.", hint=hint)
    return file


_OTHER_SEPARATORS = "|:^~"


def _other_separator(headers: Sequence[str]) -> str | None:
    """The character that separates a header row mailer read as one column ("Email|Name|Outlet"),
    when split by it the row names an address column."""
    for header in headers:
        for separator in _OTHER_SEPARATORS:
            if separator in header and any(canonical_name(part) == "email" for part in header.split(separator)):
                return separator
    return None


# Mailchimp's audience export is a zip of three files with the audience's columns: its subscribed
# members, its unsubscribed ones (with UNSUB_TIME, UNSUB_REASON, ...) and its cleaned ones (CLEAN_TIME:
# addresses that bounced for good). Read as a list, the last two mailed everyone who had asked to be
# left alone, or whose address is dead (review 18h #1): the header row alone says which file it is.
_OPTED_OUT_EXPORTS = {
    "unsubtime": ("unsubscribed", "every journalist in it unsubscribed from your Mailchimp mail", "unsubscribed in Mailchimp"),
    "cleantime": ("cleaned", "Mailchimp took every address in it off your list because mail to it bounced", "bounced in Mailchimp"),
}


def _refuse_opted_out_export(file: listfile.ListFile) -> None:
    """A ListError when the file is Mailchimp's export of its unsubscribed or cleaned contacts."""
    for header in file.headers:
        kind = _OPTED_OUT_EXPORTS.get(listfile.header_key(header))
        if kind is None:
            continue
        what, why, reason = kind
        raise ListError(
            f"{file.path}: this is Mailchimp's export of {what} contacts (its {header} column): {why}, so it is not read as a press list.",
            hint='Send to the subscribed contacts\' file of the same export (its name starts with "subscribed_"). To keep '
            f'these addresses from being mailed from your other lists: mailer suppressions import {shlex.quote(str(file.path))} --reason "{reason}".',
        )


def _refuse_activity_export(file: listfile.ListFile) -> None:
    """A ListError when the file is SendGrid's Email Activity export: a row per email sent and what
    happened to it, not journalists to mail, nor addresses to suppress (newcomer 21 #2)."""
    from mailer.models import ACTIVITY_EXPORT_HINT, is_activity_export

    if is_activity_export(file.headers):
        raise ListError(
            f"{file.path}: this is SendGrid's Email Activity export: a row per email sent and what happened to it "
            "(delivered, opened, bounced), not a list of journalists; read as one, every address in it would be "
            "mailed, or suppressed, whatever happened to its email.",
            hint=ACTIVITY_EXPORT_HINT,
        )


_ADDRESS_ALONE = re.compile(r"\S+@\S+")


def _refuse_header_below_an_address(file: listfile.ListFile) -> None:
    """A ListError when a row among the first (listfile.TITLE_ROWS) names an address column, below
    a row holding an address: a title naming the agency's address, or a journalist above the
    header row. Not read as title lines (a journalist would vanish): the rows are named instead."""
    rows = [list(file.headers)] + [
        [str(column[at].as_py()) for column in file.columns] for at in range(min(listfile.TITLE_ROWS - 1, len(file.rows)))
    ]
    numbers = [file.header_at, *(int(number) for number in file.rows[: len(rows) - 1])]
    header = next((at for at, row in enumerate(rows) if at and any(listfile.canonical_name(cell) == "email" for cell in row)), None)
    holding = next((at for at in range(header or 0) if any("@" in cell for cell in rows[at])), None)
    if header is None or holding is None or any(_ADDRESS_ALONE.fullmatch(cell.strip()) for cell in rows[holding]):
        return  # a row of a journalist's cells: the list has no header row at the top (the usual message)
    cells = ", ".join(f'"{listfile.short(cell.strip(), 40)}"' for cell in rows[header][:3] if cell.strip())
    text = " ".join(cell.strip() for cell in rows[holding] if cell.strip())
    raise ListError(
        f"{file.path}: the header row seems to be row {numbers[header]} ({cells}{', ...' if len(rows[header]) > 3 else ''}), "
        f'but row {numbers[holding]} above it holds an address ("{listfile.short(text, 60)}").',
        hint="Delete the lines above the header row (or move a journalist's row below it), then try again.",
    )


class Share:
    """The share of reading and checking lists done, told to ``on_progress`` (0 to 1) as it grows,
    so a progress bar moves through one big file as through many (newcomer 14 #5: it counted
    files, and stood at 0/1 for the whole of a big spreadsheet). Reading the files is READ of the
    work, each file's part its share of their bytes, in two steps (``listfile.read``'s
    ``on_step``: decoded, parsed); checking every address is the next part, up to EXAMINED."""

    READ = 0.8
    EXAMINED = 0.95

    def __init__(self, paths: Sequence[Path | str], on_progress: Callable[[float], None] | None) -> None:
        self.on_progress = on_progress
        self.sizes = [_size(Path(path)) for path in paths] if on_progress is not None else []
        self.told = 0.0

    def done(self, share: float) -> None:
        if self.on_progress is not None and share > self.told:
            self.told = share
            self.on_progress(share)

    def file(self, number: int) -> Callable[[float], None] | None:
        """``listfile.read``'s ``on_step`` for the file at ``number``."""
        if self.on_progress is None:
            return None
        total = sum(self.sizes)
        if total:
            before, mine = self.READ * sum(self.sizes[:number]) / total, self.READ * self.sizes[number] / total
        else:  # empty or missing files: each its equal part
            before, mine = self.READ * number / len(self.sizes), self.READ / len(self.sizes)
        return lambda step: self.done(before + mine * step)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a missing file: its error comes when it is read
        return 0


def _read_lists(
    paths: Sequence[Path | str],
    *,
    on_file: Callable[[str], None] | None,
    on_error: Callable[[Path, ListError], None] | None = None,
    share: Share | None = None,
    opted_out_exports: bool = False,
) -> list[listfile.ListFile]:
    """Every file read; ListError for the first that cannot be used, or, given ``on_error``, it is told and left out."""
    if not paths:
        raise _no_file()
    files = []
    for number, path in enumerate(paths):
        try:
            file = _readable_list(
                Path(path), on_step=share.file(number) if share is not None else None, opted_out_exports=opted_out_exports
            )
        except ListError as exc:
            if on_error is None:
                raise
            on_error(Path(path), exc)
            continue
        files.append(file)
        if on_file:
            on_file(file.path)
    return files


def _consent_read_for(loaded: ContactList, consent_on: date | None) -> bool:
    """Whether ``loaded`` (read for today) holds for ``consent_on``: the same day, or no "Consent until" column."""
    if consent_on is None or consent_on <= date.today():
        return True
    return not any(is_consent_until_header(header) for summary in loaded.files for header in summary.custom.values())


def _examine(files: Sequence[listfile.ListFile], *, consent_on: date | None = None) -> _Examined:
    """Give every row of the files read a verdict (email-validator sees each doubtful address once;
    a row an opt-out column marks is rejected as opted out)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    # Each intermediate column is let go as soon as the next one is made: a million-row list
    # must not hold half a dozen copies of its address column at once.
    raw = _stacked_cells([file.columns[file.recognized["email"]] for file in files])
    file_of = np.concatenate([np.full(len(file.rows), number, dtype=np.int32) for number, file in enumerate(files)])
    position = np.concatenate([np.arange(len(file.rows), dtype=np.int64) for file in files])
    names, bare = _address_cells(raw)
    if not pc.any(pc.not_equal(names, "")).as_py():
        names = None

    # Every address is judged (the fast path is vectorized; email-validator sees each doubtful
    # address once): in a list nearly every address is distinct, so encoding them first to judge
    # each once would cost a hash table of the whole column and save nothing.
    distinct, codes = bare, np.arange(len(bare), dtype=np.int64)
    del bare
    judged = addresses.check(distinct)
    empty = pc.equal(pc.utf8_length(distinct), 0).to_numpy(zero_copy_only=False)
    del distinct
    valid = pc.is_valid(judged.normalized).to_numpy(zero_copy_only=False) & ~empty
    verdict = np.where(valid, _OK, np.where(empty, _MISSING, _INVALID)).astype(np.int8)[codes]

    # Duplicates: the same normalized address without case; the first row (in file order) wins.
    # The allocator keeps the pages of arrays made and dropped: they go back to the system before
    # and after the hash table, the largest thing made here, so that it lands on no leftover.
    pool = pa.default_memory_pool()
    pool.release_unused()
    inboxes, gmail = addresses.inbox_keys(judged.normalized)
    keys = pc.dictionary_encode(inboxes).indices.fill_null(-1).to_numpy(zero_copy_only=False)
    del inboxes
    pool.release_unused()
    valid_rows = np.flatnonzero(verdict == _OK)
    key_of_row = keys[codes[valid_rows]]
    first_row_of_key = np.full(len(empty), -1, dtype=np.int64)
    first_row_of_key[key_of_row[::-1]] = valid_rows[::-1]  # the last write is the earliest row
    repeated = first_row_of_key[key_of_row] != valid_rows
    verdict[valid_rows[repeated]] = _DUPLICATE
    first_of = dict(zip(valid_rows[repeated].tolist(), first_row_of_key[key_of_row[repeated]].tolist(), strict=True))
    open_ended: dict[int, str] = {}
    opted_out = _opted_out(files, verdict, keys[codes], raw=raw, normalized=judged.normalized, consent_on=consent_on, open_ended=open_ended)
    if opted_out:
        first_of = {row: first for row, first in first_of.items() if row not in opted_out}
        # A first row without consent (its opt-in cell empty) leaves its address to the next row of
        # it, which may give consent (review 20c #4): silence opts nobody out.
        silent = {row for row, why in opted_out.items() if why.startswith(NO_CONSENT_IN_LIST)}
        heirs: dict[int, int] = {}
        for row, first in sorted(first_of.items()):
            if first in silent and heirs.setdefault(first, row) == row:
                verdict[row] = _OK
        if heirs:
            first_of = {row: heirs.get(first, first) for row, first in first_of.items() if heirs.get(first) != row}
    emails = _LazyTake(judged.normalized, codes)
    errors = _LazyLookup(judged.errors, codes)
    rejected_emails = _address_cells(raw.take(pa.array(np.flatnonzero(verdict))), names=False)[1] if len(raw) else raw
    pa.default_memory_pool().release_unused()  # the pages of the columns made and dropped above, back to the system
    missing = _missing_details(files, verdict)
    return _Examined(
        tuple(files), file_of, position, rejected_emails, names, emails, verdict, errors, first_of, opted_out, missing, gmail, open_ended
    )


_NO_ADDRESS = "no email address"


def _missing_details(files: Sequence[listfile.ListFile], verdict: np.ndarray) -> dict[int, str]:
    """Why rows without an address (of every file, in order) are rejected, where there is more to
    say than "no email address": another address column holds one (Outlook's "E-mail 2 Address":
    review 18h #12), or the row holds one cell only (a line below the list, "Confidential Information
    - Do Not Distribute" as a Salesforce report ends: review 18h #8). Only the rows without an
    address are looked at, column by column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = np.flatnonzero(verdict == _MISSING)
    details: dict[int, str] = {}
    start = 0
    for file in files:
        mine = missing[(missing >= start) & (missing < start + len(file.rows))] - start
        start += len(file.rows)
        if not len(mine) or len(file.columns) < 2:
            continue
        positions = pa.array(mine)
        cells = [pc.utf8_trim_whitespace(column.take(positions)) for column in file.columns]
        filled = np.stack([np.asarray(pc.not_equal(column, "").to_numpy(zero_copy_only=False), dtype=bool) for column in cells])
        alone = np.flatnonzero(filled.sum(axis=0) == 1)
        for at, column in zip(alone.tolist(), filled[:, alone].argmax(axis=0).tolist(), strict=True):
            details[start - len(file.rows) + int(mine[at])] = (
                f'{_NO_ADDRESS}; the row holds only "{listfile.short(str(cells[column][at].as_py()), 80)}"'
            )
        read = file.headers[file.recognized["email"]]
        for position in sorted(file.custom.values(), reverse=True):  # the leftmost other address column wins
            if listfile.canonical_name(file.headers[position]) != "email":
                continue
            held = np.flatnonzero(np.asarray(pc.match_substring(cells[position], "@").to_numpy(zero_copy_only=False), dtype=bool))
            other = file.headers[position]
            for at, value in zip(held.tolist(), cells[position].take(pa.array(held)).to_pylist(), strict=True):
                details[start - len(file.rows) + int(mine[at])] = (
                    f'{_NO_ADDRESS} under "{read}"; "{other}" holds {listfile.short(value, 80)}: move it to "{read}" to mail this journalist'
                )
    return details


def _opted_out(
    files: Sequence[listfile.ListFile],
    verdict: np.ndarray,
    keys: np.ndarray,
    *,
    raw: pa.Array,
    normalized: pa.Array,
    consent_on: date | None = None,
    open_ended: dict[int, str] | None = None,
) -> dict[int, str]:
    """The rows (of every file, in order) whose address asked not to be mailed, each with why:
    its own opt-out cell (a CRM export's "Unsubscribed from all email", "Email Opt Out": headers.
    OPT_OUT_HEADERS) says so, or another row of the same address does, its address mistyped
    (``raw``: the address cells; ``normalized``: each row's address, null where invalid). ``verdict``
    is marked _OPTED_OUT for them. Nothing is computed for lists without such a column. ``open_ended`` gets,
    per file number, what its empty consent-until cells were read as, when another column of it gives consent."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    said: dict[int, str] = {}
    today = date.today()
    unsaid: dict[int, str] = {}  # an empty opt-in cell: this row only is not mailed (review 20c #4)
    start = 0
    for number, file in enumerate(files):
        # Every opt-out column counts (review 18y #1: a list with "Do Not Email" and Salesforce's "Email
        # Opt Out" read the first only, and mailed who had opted out in the second); the leftmost saying so is named.
        # An opt-in column ("Opt-in": no) the other way round: its rows saying no did not opt in (review 18z #7).
        # A column for another purpose beside one for press releases is the list's own (review 22b #7)
        beside = file.headers
        for at in reversed(
            [at for at, header in enumerate(beside) if is_opt_out_header(header, beside=beside) or is_opt_in_header(header, beside=beside)]
        ):
            cells = restore_cells(pc.utf8_trim_whitespace(file.columns[at]))  # "'-" as `lists clean` writes "-"
            # Compared as typed or exported (review 18w #1): "No." with a full stop, Excel's "0.0", an
            # accent typed as two characters ("EPÄTOSI" from a Mac) read as no, not as an opt-out.
            said_as = pc.utf8_lower(pc.utf8_normalize(cells, form="NFC"))
            # A cell that looks empty holding only a zero-width space or a byte-order mark (pasted from
            # a web page or a CRM) says nothing either (review 18w #3: it opted the journalist out).
            said_as = pc.utf8_trim_whitespace(pc.replace_substring_regex(said_as, "[\u200b\u200c\u200d\u2060\ufeff]", ""))
            # ... and "!", "," or ";" after a word, as the full stop (review 23d #7: "Non !", "nee!" opted out); a "!" alone
            # is a mark, not nothing
            said_as = pc.replace_substring_regex(said_as, r"^(.*[^\s.!,;])(?:\s*[.!,;])+$", r"\1")
            said_as = pc.replace_substring_regex(pc.replace_substring_regex(said_as, r"\.+$", ""), r"^0+(?:[.,]0+)?$", "0")
            ending: set[str] = set()  # "Consent until" cells running today that end before the email goes out (``consent_on``)
            if is_consent_until_header(file.headers[at]):
                # The day consent ends: only a day still to come is consent (review 22 #12), each distinct cell read once.
                distinct = pc.unique(said_as)
                today = max(consent_on or date.today(), date.today())  # the day the email reaches them (a scheduled send's)
                running = pa.array([(end := consent_end(cell)) is not None and end >= today for cell in distinct.to_pylist()])
                ending = {cell for cell in distinct.to_pylist() if (end := consent_end(cell)) is not None and date.today() <= end < today}
                opted = pc.invert(pc.fill_null(pc.take(running, pc.index_in(said_as, value_set=distinct)), False))
            elif is_opt_in_header(file.headers[at]):
                # Only a yes (Excel's 1.0 too) or a date of consent is consent (review 20c #1).
                said_as = pc.replace_substring_regex(said_as, r"^0*1(?:[.,]0+)?$", "1")
                yes: tuple[str, ...] = SAYS_YES
                # The letter O is "oui" among O and N, but a zero mistyped among 1s and 0s, or "out"
                # beside I (review 22 #10: it was consent): there it is no consent.
                if pc.any(pc.is_in(said_as, value_set=pa.array(["0", "1", "i"], type=cells.type))).as_py():
                    yes = tuple(word for word in SAYS_YES if word != "o")
                given = pc.or_(pc.is_in(said_as, value_set=pa.array(yes, type=cells.type)), pc.match_substring_regex(said_as, CONSENT_DATE))
                opted = pc.invert(given)
            else:
                opted = pc.invert(pc.is_in(said_as, value_set=pa.array(NOT_OPTED_OUT, type=cells.type)))
                # a link to unsubscribe ("Afmelden": https://...) says nobody left (review 23d #2)
                opted = pc.and_(opted, pc.invert(pc.fill_null(pc.match_substring_regex(said_as, WEB_ADDRESS), False)))
            if is_consent_until_header(file.headers[at]):
                # An empty "Einwilligung bis" is no end given, not consent refused (edges 28: "Einwilligung": ja beside
                # it was turned away): beside a column giving consent, that column decides; alone, nothing records consent.
                giving = [h for h in beside if is_opt_in_header(h, beside=beside) and not is_consent_until_header(h, beside=beside)]
                empty = pc.fill_null(pc.equal(said_as, ""), True)
                if giving:
                    opted = pc.and_(opted, pc.invert(empty))
                    count = pc.sum(pc.cast(empty, pa.int64())).as_py() or 0
                    if count and open_ended is not None:
                        open_ended[number] = (
                            f'{count} row{"s leave" if count != 1 else " leaves"} "{file.headers[at]}" empty: read as consent with '
                            f'no end date, which "{giving[0]}" gives or refuses.'
                        )
            rows = np.flatnonzero(np.asarray(opted.to_numpy(zero_copy_only=False), dtype=bool))
            for row, value, shown in zip(
                rows.tolist(), cells.take(pa.array(rows)).to_pylist(), said_as.take(pa.array(rows)).to_pylist(), strict=True
            ):
                if shown:
                    told = NOT_CONSENTED_IN_LIST if is_opt_in_header(file.headers[at]) else OPTED_OUT_IN_LIST
                    before = f", before the email goes out on {today.isoformat()}" if shown in ending else ""
                    if not before and is_consent_until_header(file.headers[at]):  # why it is no consent (office 27)
                        end, two = consent_end(shown), consent_end_readings(shown)
                        before = f": it ended on {end.isoformat()}" if end is not None else ": not a day mailer reads (write YYYY-MM-DD)"
                        if two is not None:  # "03/04/2027": 3 April or 4 March, never guessed (edges 28)
                            before = (
                                f": it reads two ways, {two[0].day} {two[0]:%B %Y} or {two[1].day} {two[1]:%B %Y}; write "
                                f"{two[0].isoformat()} or {two[0]:%d.%m.%Y} for {two[0].day} {two[0]:%B}"
                            )
                    said[start + row] = f'{told} ("{file.headers[at]}": {listfile.short(value, 40)}{before})'
                    unsaid.pop(start + row, None)
                elif start + row not in said:
                    alone = ", and no other column of the list gives consent" if is_consent_until_header(file.headers[at]) else ""
                    unsaid[start + row] = f'{NO_CONSENT_IN_LIST} ("{file.headers[at]}" is empty{alone})'
        start += len(file.rows)
    addressed = (verdict == _OK) | (verdict == _DUPLICATE)
    silent = np.array(sorted(row for row in unsaid if row not in said), dtype=np.int64)
    silent = silent[addressed[silent]]
    verdict[silent] = _OPTED_OUT
    unconsented = {row: unsaid[row] for row in silent.tolist()}
    if not said:
        return unconsented
    own = np.array(sorted(said), dtype=np.int64)
    first_saying = {
        int(key): int(row) for row, key in zip(own[addressed[own]][::-1].tolist(), keys[own[addressed[own]][::-1]].tolist(), strict=True)
    }
    # A row saying no whose address is mistyped ("dan@post.example.", full-width letters, two addresses in
    # one cell) is rejected as invalid, but its no holds for the address it meant (review 22 #7: the
    # journalist's other row was mailed).
    for key, row in _meant(raw, normalized, keys, own[verdict[own] == _INVALID]).items():
        if first_saying.get(key, row + 1) > row:
            first_saying[key] = row
    if not first_saying:
        return unconsented
    every = np.flatnonzero(addressed & np.isin(keys, np.array(list(first_saying), dtype=keys.dtype)))
    verdict[every] = _OPTED_OUT
    where = {number: file.path for number, file in enumerate(files)}
    bounds = np.cumsum([0, *(len(file.rows) for file in files)])
    opted_out = {}
    for row in every.tolist():
        if row in said:
            opted_out[row] = said[row]
            continue
        other = first_saying[int(keys[row])]
        number = int(np.searchsorted(bounds, other, side="right")) - 1
        spreadsheet_row = int(files[number].rows[other - bounds[number]])
        same_file = number == int(np.searchsorted(bounds, row, side="right")) - 1
        told = NOT_CONSENTED_IN_LIST if said[other].startswith(NOT_CONSENTED_IN_LIST) else OPTED_OUT_IN_LIST
        opted_out[row] = f"{told} ({'row' if same_file else where[number] + ' row'} {spreadsheet_row} says so)"
    return {**unconsented, **opted_out}


def _meant(raw: pa.Array, normalized: pa.Array, keys: np.ndarray, rows: np.ndarray) -> dict[int, int]:
    """The addresses the invalid ``rows``' cells meant, as the keys of the list's valid rows holding
    them, each with the first of ``rows`` meaning it: every address-like part of the cell, its
    full-width letters as typed in a CJK input method made plain, a full stop or "mailto:" around it left aside."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    meant: dict[str, int] = {}
    for row, cell in zip(rows.tolist(), raw.take(pa.array(rows, type=pa.int64())).to_pylist(), strict=True):
        for part in re.findall(r"[^\s<>;,:\"'()\[\]]+@[^\s<>;,:\"'()\[\]]+", unicodedata.normalize("NFKC", cell or "")):
            meant.setdefault(part.strip(".").lower(), row)
    if not meant:
        return {}
    judged = addresses.check(pa.array(list(meant), type=pa.large_string()))
    named = {address.lower(): row for address, row in zip(judged.normalized.to_pylist(), meant.values(), strict=True) if address}
    if not named:
        return {}
    at = pc.index_in(pc.utf8_lower(normalized.cast(pa.large_string())), value_set=pa.array(list(named), type=pa.large_string()))
    holding = np.flatnonzero(np.asarray(pc.is_valid(at).to_numpy(zero_copy_only=False), dtype=bool))
    rows_of = list(named.values())
    found: dict[int, int] = {}
    for key, index in zip(keys[holding].tolist(), at.take(pa.array(holding)).to_pylist(), strict=True):
        if key >= 0:
            found[int(key)] = min(found.get(int(key), rows_of[index]), rows_of[index])
    return found


def _first_kept_wins(examined: _Examined, flt: Filter) -> _Examined:
    """``examined`` with each repeated address won by its first row ``flt`` keeps, when its first
    row is not kept and a later one is (the rows of repeated addresses only are made into fields)."""
    import numpy as np
    import pyarrow as pa

    repeats: dict[int, list[int]] = {}
    for repeat, first in examined.first_of.items():
        repeats.setdefault(first, []).append(repeat)
    contested = np.array(sorted({*repeats, *examined.first_of}), dtype=np.int64)
    kept: set[int] = set()
    for number, file in enumerate(examined.files):
        mine = contested[examined.file_of[contested] == number]
        if not len(mine):
            continue
        columns = _contact_columns(file, list(file.columns), examined, mine)
        columns["email"] = examined.emails.take(mine)
        table = ContactTable(
            _stacked([columns], list(columns), [len(mine)]),
            sources=[file.path],
            source_of=np.zeros(len(mine), dtype=np.int32),
            rows=file.rows[examined.position[mine]].astype(np.int64, copy=False),
            names_of_source=[list(columns)],
        )
        kept.update(mine[matching(table, flt)].tolist())
    verdict, first_of = examined.verdict.copy(), dict(examined.first_of)
    for first, later in repeats.items():
        winner = next((row for row in sorted(later) if row in kept), None) if first not in kept else None
        if winner is None:
            continue
        verdict[winner], verdict[first] = _OK, _DUPLICATE
        del first_of[winner]
        first_of.update({row: winner for row in (first, *later) if row != winner})
    if first_of == examined.first_of:
        return examined
    # The address cells of rejected rows follow the verdicts: a first row now repeated joins them.
    before, after = np.flatnonzero(examined.verdict), np.flatnonzero(verdict)
    joined = np.setdiff1d(after, before)
    written = pa.array([_address_cell(examined, row) for row in joined.tolist()], type=pa.large_string())
    cells = _address_cells(written, names=False)[1].cast(examined.rejected_emails.type)
    pool = pa.concat_arrays([examined.rejected_emails, cells])
    at = np.searchsorted(before, after)
    new_at = len(before) + np.searchsorted(joined, after)
    was_rejected = np.isin(after, before)
    rejected_emails = pool.take(pa.array(np.where(was_rejected, at, new_at)))
    return replace(examined, verdict=verdict, first_of=first_of, rejected_emails=rejected_emails)


def _address_cell(examined: _Examined, row: int) -> str:
    """The address cell of one row as the file has it."""
    file = examined.files[int(examined.file_of[row])]
    return str(file.columns[file.recognized["email"]][int(examined.position[row])].as_py() or "")


def _address_cells(raw: pa.Array, *, names: bool = True) -> tuple[pa.Array, pa.Array]:
    """(display names, bare addresses) of address cells; without ``names``, (empty, the cells
    trimmed and un-escaped: the address cell as a rejected row shows it)."""
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(raw)
    cells = restore_cells(trimmed)
    if not names:
        return cells.slice(0, 0), cells
    return addresses.split_cells(cells, trimmed=cells is trimmed)


def _stacked_cells(columns: Sequence[pa.Array]) -> pa.Array:
    """Columns of several files as one large_string array (one file's column as it is, not copied)."""
    import pyarrow as pa

    columns = [column.cast(pa.large_string()) for column in columns]
    return columns[0] if len(columns) == 1 else pa.concat_arrays(columns)


def _summary(file: ListFile, open_ended: str | None = None) -> ListSummary:
    """What was found in ``file``, with what its empty consent-until cells were read as (``open_ended``)."""
    return ListSummary(
        path=file.path,
        rows=len(file.rows),
        encoding=file.encoding,
        delimiter=file.delimiter,
        recognized={name: file.headers[col] for name, col in file.recognized.items()},
        custom={name: file.headers[col] for name, col in file.custom.items()},
        notes=(*file.notes, *controls_note(file), *filter(None, (open_ended,))),
        send_notes=file.send_notes,
    )


def _rejected_cells(examined: _Examined) -> list[list[pa.Array]]:
    """Each file's columns taken at its rejected rows (in file order): a few arrays, no Python objects yet."""
    import numpy as np
    import pyarrow as pa

    indices = np.flatnonzero(examined.verdict)
    file_of = examined.file_of[indices]
    taken = []
    for number, file in enumerate(examined.files):
        positions = pa.array(examined.position[indices[file_of == number]])
        taken.append([column.take(positions) for column in file.columns])
    return taken


def _rejected_rows(
    examined: _Examined, *, headers: list[list[str]] | None, cells: list[list[pa.Array]] | None = None
) -> tuple[RejectedRow, ...]:
    """Every rejected row in file order; with each file's ``headers``, its original cells too
    (from ``cells``, as _rejected_cells took them, or from the files' columns).

    Cells are taken column by column: a list with 50,000 bad rows must not cost a million
    single-cell lookups.
    """
    import numpy as np

    if headers is not None and cells is None:
        cells = _rejected_cells(examined)
    indices = np.flatnonzero(examined.verdict)
    # A cell far longer than any address (a pasted paragraph, a megabyte of text) is shown cut
    # short: `lists check`, the log and skipped.csv need not hold it (review 17 #4).
    emails = [
        listfile.short(email, SHOWN_CELL) if len(email) > addresses.MAX_ADDRESS_LENGTH else email
        for email in examined.rejected_emails.to_pylist()
    ]
    file_of = examined.file_of[indices]
    positions = examined.position[indices]
    rows = np.zeros(len(indices), dtype=np.int64)
    row_cells: list[dict[str, str]] = [{} for _ in indices]
    row_fields: list[dict[str, str]] = [{} for _ in indices]
    for number, file in enumerate(examined.files):
        mine = np.flatnonzero(file_of == number)
        rows[mine] = file.rows[positions[mine]]
        if headers is None or cells is None or not len(mine):
            continue
        columns = [column.to_pylist() for column in cells[number]]
        for at, values in zip(mine.tolist(), zip(*columns, strict=True), strict=True):
            row_cells[at] = dict(zip(headers[number], values, strict=True))
        named = _rejected_fields(file, cells[number])
        for index, at in enumerate(mine.tolist()):
            row_fields[at] = {name: values[index] for name, values in named.items() if values[index]}
    details = _details(examined, indices)
    # Two exports pasted one below the other repeat the header row (review 17): say so, not "no @-sign".
    headers_of = [file.headers[file.recognized["email"]].casefold() for file in examined.files]
    for at, (number, email) in enumerate(zip(file_of.tolist(), emails, strict=True)):
        if email and email.casefold() == headers_of[number] and examined.verdict[indices[at]] == _INVALID:
            details[at] = "the header row again (two lists pasted one below the other?): delete this row"
    return tuple(
        RejectedRow(
            source=examined.files[number].path,
            row=row,
            email=str(email),
            reason=_REASONS[verdict],
            detail=detail,
            cells=these_cells,
            fields=these_fields,
        )
        for number, row, email, verdict, detail, these_cells, these_fields in zip(
            file_of.tolist(), rows.tolist(), emails, examined.verdict[indices].tolist(), details, row_cells, row_fields, strict=True
        )
    )


_NAMED = ("first_name", "last_name", "outlet", "name")  # what a turned-away row's fields hold


def _rejected_fields(file: ListFile, columns: Sequence[pa.Array]) -> dict[str, list[str]]:
    """The first and last names and the outlet of a file's rejected rows (``columns``, the file's
    columns taken at them), read as a recipient's are: cleaned to one line, a full-name column
    split when the file has no first- or last-name column. The log keeps them with a duplicate
    row, so a report names whom it skipped (fix12r: its name and outlet were empty)."""
    import pyarrow.compute as pc

    read = {
        name: _one_line(restore_cells(pc.utf8_trim_whitespace(columns[position])))
        for name, position in file.recognized.items()
        if name in _NAMED
    }
    for name in _NAME_FIELDS & read.keys():
        read[name] = _without_placeholders(read[name])
    full = read.pop("name", None)
    if full is not None and "first_name" not in read and "last_name" not in read:
        language = columns[file.recognized["language"]] if "language" in file.recognized else None
        read["first_name"], read["last_name"], _ = split_names(full, language)
    if "first_name" in read:
        read["first_name"] = _not_in_capitals(read["first_name"])
    return {name: values.fill_null("").to_pylist() for name, values in read.items()}


def _details(examined: _Examined, indices: np.ndarray) -> list[str]:
    """Why each of these rejected rows is rejected ("no email address", email-validator's words, "duplicate of row 7")."""
    verdicts = examined.verdict[indices].tolist()
    codes = examined.errors.codes[indices].tolist()
    by_distinct = examined.errors.by_distinct
    details = []
    for index, verdict, code in zip(indices.tolist(), verdicts, codes, strict=True):
        if verdict == _MISSING:
            details.append(examined.missing.get(index, _NO_ADDRESS))
        elif verdict == _INVALID:
            details.append(by_distinct[code])
        elif verdict == _OPTED_OUT:
            details.append(examined.opted_out[index])
        else:
            details.append(examined.detail(index))
    return details


def _shared_headers(files: Sequence[ListFile]) -> list[list[str]]:
    """Each file's column names for the rejects file: one column per contact field across files.

    Lists whose address columns are headed "E-mail" and "Email" give one address column (under
    the first file's header), so the rejects file reads back with every row.
    """
    shared: dict[str, str] = {}
    names_of_files = []
    for file in files:
        names = _unique_headers(file.headers)
        for canonical, position in file.recognized.items():
            name = shared.setdefault(canonical, names[position])
            if name not in names:
                names[position] = name
        names_of_files.append(names)
    return names_of_files


def _unique_headers(headers: Iterable[str]) -> list[str]:
    """Headers as column names for a rejects file: empty ones named, repeated ones numbered."""
    seen: dict[str, int] = {}
    unique = []
    for position, header in enumerate(headers):
        name = header or f"column {position + 1}"
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def in_order(groups: Iterable[Iterable[str]]) -> list[str]:
    """Every name of several groups once, in the order first seen (columns across files)."""
    return list(dict.fromkeys(name for group in groups for name in group))


def _contact_columns(file: ListFile, held: list[pa.Array | None], examined: _Examined, rows: np.ndarray) -> dict[str, pa.Array]:
    """The canonical and custom columns (``email`` aside) of some rows of one file, cleaned, as
    Arrow text without nulls. Each of the file's columns in ``held`` is let go once taken from."""
    import pyarrow as pa
    import pyarrow.compute as pc

    positions = pa.array(examined.position[rows])

    def column(position: int) -> pa.Array:
        cells = held[position]
        held[position] = None
        if cells is None:
            raise ValueError(f"column {position} of {file.path} taken twice")
        return restore_cells(pc.utf8_trim_whitespace(cells.take(positions)))

    # Canonical cells are one line: an Excel line break (Alt+Enter) or a double space inside a
    # name or title would show up in a greeting. Custom columns (notes) keep theirs. The address
    # is examined's normalized one.
    columns = {name: _one_line(column(position)) for name, position in file.recognized.items() if name != "email"}
    for name in _NAME_FIELDS & columns.keys():
        columns[name] = _without_placeholders(columns[name])
    for name, position in file.custom.items():
        columns[name] = column(position)
    # Names: first/last columns win; else a full-name column; else the "Name <address>" cell.
    angled = _one_line(examined.names.take(pa.array(rows))) if examined.names is not None else None
    for source in (columns.pop("name", None), angled):
        if source is None or not pc.any(pc.not_equal(source, "")).as_py():  # nothing to split
            continue
        first, last, honorific = split_names(source, columns.get("language"))
        unnamed = pc.and_(
            pc.equal(columns.get("first_name", pa.nulls(len(rows), pa.large_string())).fill_null(""), ""),
            pc.equal(columns.get("last_name", pa.nulls(len(rows), pa.large_string())).fill_null(""), ""),
        )
        columns["first_name"] = pc.if_else(unnamed, first, columns.get("first_name", first))
        columns["last_name"] = pc.if_else(unnamed, last, columns.get("last_name", last))
        if "honorific" not in file.custom and pc.any(pc.not_equal(honorific, "")).as_py():
            columns["honorific"] = pc.if_else(unnamed, honorific, columns.get("honorific", honorific))
    if "first_name" in columns:
        columns["first_name"] = _not_in_capitals(columns["first_name"])
    if "tags" in columns:
        columns["tags"] = normalize_tags(columns["tags"])
    return {name: values.fill_null("") if values.null_count else values for name, values in columns.items()}


_NAME_FIELDS = frozenset(("first_name", "last_name", "name"))
# What a media database, a CRM or a colleague writes where there is no name (review 25l #11: greeted "Dear N/A,",
# "Dear -,"; not "Na" or "Nil", which are names), and an address in a name cell (a CRM's full name when it has none: "Dear jane@bbc.example,").
_PLACEHOLDER = (
    r"(?i)^(?:n\s?/\s?a|n\.\s?a\.?|n\.\s?v\.?|k\.\s?a\.?|[-–—_.?*/]+|unknown|none|null|tbd|tba|not known|no name|"
    r"inconnu|unbekannt|desconocido|sconosciuto|onbekend|desconhecido|\S*@\S+)$"
)


def _without_placeholders(cells: pa.Array) -> pa.Array:
    """Name cells with no name in them ("N/A", "-", "Unknown", "k.A.", an address) made empty, so that the
    release's default greets the journalist ("Dear colleague,")."""
    import pyarrow.compute as pc

    placeholder = pc.fill_null(pc.match_substring_regex(cells, _PLACEHOLDER), False)
    if not pc.any(placeholder).as_py():
        return cells
    return pc.if_else(placeholder, "", cells)


def _not_in_capitals(first: pa.Array) -> pa.Array:
    """First names written all in capitals ("JANE", "JEAN-PIERRE", as older CRMs and registers write names)
    with a capital only at the start of each part ("Jane", "Jean-Pierre"), so that no journalist is greeted
    "Dear JANE," (review 25l #12). Initials ("JP", "AJ": no three capitals in a row) stay as written."""
    import pyarrow.compute as pc

    from mailer.spreadsheet import LEADING_FORMULA

    shouted = pc.and_(pc.utf8_is_upper(first), pc.match_substring_regex(first, r"\p{Lu}{3}"))
    shouted = pc.fill_null(shouted, False)
    if pc.any(shouted).as_py():  # a formula kept whole as the name ("=HYPERLINK(...)") stays as written
        shouted = pc.and_(shouted, pc.invert(pc.fill_null(pc.match_substring_regex(first, LEADING_FORMULA), False)))
    if not pc.any(shouted).as_py():
        return first
    return pc.if_else(shouted, pc.utf8_title(first), first)


_UNICODE_BREAKS = "".join(f"\\x{{{ord(character):x}}}" for character in UNICODE_LINE_BREAKS)  # RE2's \x{2028}
# Line breaks as linebreaks.LINE_BREAKS has them: VT and the file/group/record separators too.
_BREAKS = rf"\x{{b}}\x{{1c}}-\x{{1e}}{_UNICODE_BREAKS}"
_SPACE = rf"[\s{_BREAKS}]"
# The other control characters (C0, DEL, C1), which no name holds: a terminal's colour codes or a
# program's field separators pasted into a cell. The loader's decoding takes C0 and DEL out of
# the whole file already (decoding.py, with a note of its own); C1 (U+0080 to U+009F; U+009B opens
# a terminal's escape sequence) come through in UTF-8.
_C0 = "".join(chr(code) for code in (*range(0x09), *range(0x0E, 0x1C), 0x1F, 0x7F))
_CONTROLS = r"[\x{0}-\x{8}\x{e}-\x{1b}\x{1f}\x{7f}-\x{84}\x{86}-\x{9f}]"
_C1 = r"[\x{80}-\x{84}\x{86}-\x{9f}]"
_TO_ONE_LINE = rf"{_SPACE}{_SPACE}|[^\S ]|[{_BREAKS}]|{_CONTROLS}"


def _one_line(cells: pa.Array) -> pa.Array:
    """Runs of spaces, tabs and line breaks inside cells made one space, other control characters
    taken out: every name, outlet and title a list gives, wherever it goes (a request's ``to.name``,
    a greeting, a report, the terminal). ``controls_note`` says which rows had any."""
    import pyarrow.compute as pc

    # RE2's \s is [\t\n\f\r ]: a cell to change holds one of \t\n\f\r, two spaces, another line
    # break (VT, FS/GS/RS, NEL, U+2028, U+2029: review 8), or another control character.
    quick = (
        cellbytes.may_hold_run(cells, "\t\n\v\f\r\x1c\x1d\x1e" + _C0, "  ")
        or cellbytes.may_hold_c1(cells)  # NEL among them
        or cellbytes.may_hold(cells, [c for c in UNICODE_LINE_BREAKS if c > "\x9f"])
    )
    if not quick or not pc.any(pc.match_substring_regex(cells, _TO_ONE_LINE)).as_py():
        return cells
    if pc.any(pc.match_substring_regex(cells, _CONTROLS)).as_py():
        cells = pc.utf8_trim_whitespace(pc.replace_substring_regex(cells, f"{_CONTROLS}+", ""))
    return pc.replace_substring_regex(cells, f"{_SPACE}+", " ")


def controls_note(file: ListFile) -> tuple[str, ...]:
    """A note naming the rows whose names (or outlet, title, ...) held C1 control characters that
    ``_one_line`` takes out, for ``mailer lists check``; none when no row did."""
    import numpy as np
    import pyarrow.compute as pc

    found: set[int] = set()
    codes: set[str] = set()
    for name, position in file.recognized.items():
        cells = file.columns[position]
        if not cellbytes.may_hold_c1(cells):
            continue
        held = pc.match_substring_regex(cells, _C1)
        if name == "email":  # only the name of a "Name <address>" cell: a control in an address makes it invalid
            held = pc.and_(held, pc.match_substring(cells, "<"))
        for at in np.flatnonzero(held.fill_null(False).to_numpy(zero_copy_only=False)).tolist():
            found.add(int(file.rows[at]))
            codes.update(f"U+{ord(c):04X}" for c in str(cells[at].as_py()) if 0x80 <= ord(c) <= 0x9F and c != "\x85")
    if not found:
        return ()
    rows = sorted(found)
    shown = ", ".join(str(row) for row in rows[:10]) + (f" and {len(rows) - 10:,} more" if len(rows) > 10 else "")
    note = (
        f"control characters ({', '.join(sorted(codes))}) taken out of the names, outlets or titles of "
        f"row{'s' if len(rows) > 1 else ''} {shown}: pasted in from another program? Check them in the list."
    )
    return (note,)


def normalize_tags(tags: pa.Array) -> pa.Array:
    """Tags split on ";", "," or "|" (or Google's " ::: "), trimmed, empty ones dropped, joined with "; ".

    As contact exports write them (review 18h #4): Google Contacts' labels "* myContacts ::: Press"
    (a star marks Google's own groups) give "myContacts; Press"; Mailchimp's TAGS, each in double
    quotes ("Press","Health"), give "Press; Health".
    """
    import pyarrow.compute as pc

    separators = re.escape(_TAG_SEPARATORS)
    if cellbytes.may_hold(tags, [listfile.SEVERAL]):
        tags = pc.replace_substring(tags, listfile.SEVERAL, ";")
    if cellbytes.may_hold(tags, ['"']):
        quoted = pc.match_substring_regex(tags, r'^\s*".*"\s*$')
        tags = pc.if_else(quoted, pc.replace_substring_regex(tags, rf'^\s*"|"\s*$|"\s*([{separators}])\s*"', r"\1"), tags)
    if cellbytes.may_hold(tags, ["*"]):
        tags = pc.replace_substring_regex(tags, rf"(^|[{separators}])\s*\*\s+", r"\1")
    tags = pc.replace_substring_regex(tags, rf"^[\s{separators}]+|[\s{separators}]+$", "")
    return pc.replace_substring_regex(tags, rf"\s*[{separators}][\s{separators}]*", "; ")


def find(paths: Sequence[Path | str] | Path | str, address: str) -> Contact:
    """The recipient with this address in these lists (compared without case), or a ListError."""
    paths = list_paths(paths)
    wanted = mailbox.key(address)  # as typed: "Li Wei <Li.Wei@example.org>", mailto:
    loaded = load(paths)
    recipients = loaded.contacts
    # Compared as Contact.email_key compares (str.lower), without making every Contact.
    emails = recipients.chunks() if isinstance(recipients, ContactTable) else [(0, {"email": [c.email for c in recipients]})]
    for start, columns in emails:
        for offset, email in enumerate(columns["email"]):
            if email.lower() == wanted:
                return recipients[start + offset]
    files = ", ".join(str(path) for path in paths)
    # Her row is there, turned away (newcomer 23 #9: "is not a recipient in lists/presse.csv" of a journalist who had
    # unsubscribed read as a mistyped address): name the row and why.
    turned = next((row for row in loaded.rejected if mailbox.key(row.email) == wanted), None)
    if turned is not None:
        raise ListError(
            f"{address} is on row {turned.row} of {turned.source}, but gets no email: {turned.detail}.",
            hint="Choose a journalist who gets the release (mailer lists check " + files + " lists the rows that do not).",
        )
    raise ListError(f"{address} is not a recipient in {files}.", hint="Check the address with: mailer lists check " + files)
