"""Plain values passed between stages: contacts, rendered releases, states.

Frozen dataclasses, so that no stage can change what an earlier one produced; states are
enums whose values are what the delivery log stores. Types that only one stage and its
neighbour share live beside that stage (``transport.base.Request``, ``events.Event``).
"""

from __future__ import annotations

import functools
import gc
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:  # numpy and pyarrow are imported by the lists that use them, not at start-up
    import numpy as np
    import pyarrow as pa

# The canonical contact columns, in the order `lists clean` writes them.
CANONICAL_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "outlet",
    "title",
    "beat",
    "tags",
    "country",
    "language",
)


class RejectReason(StrEnum):
    """Why a list row is not a recipient."""

    INVALID = "invalid"
    MISSING = "missing"
    DUPLICATE = "duplicate"
    SUPPRESSED = "suppressed"
    FILTERED = "filtered"
    ALREADY_RECEIVED = "already received"  # the same content went to this address in an earlier live campaign
    # The address waits in an earlier live campaign of the same content that stopped before it
    # mailed it (Ctrl-C, a crash): that campaign may still be resumed (review 8). At most 20 characters.
    WAITING = "waiting elsewhere"
    # Left unmailed when `mailer cancel` called off the rest of a send that had reached some (nc11b).
    CALLED_OFF = "called off"
    # A scheduled live campaign of the same content holds their email at SendGrid for later: nobody
    # has it yet, and this send would mail them twice (review 12a #13).
    SCHEDULED = "scheduled elsewhere"
    # Had an earlier version of this release (a correction), and the office answered no to sending
    # them the correction: they never received this version (newcomer 15 #2: "already received").
    NOT_CORRECTED = "not sent correction"
    # The delivery log's reasons for a row the list itself turned away (``RejectedRow.logged_reason``):
    # its own opt-out column says so, or its consent column does not say yes. SUPPRESSED in the log
    # is the log's own suppression list (unsubscribed, bounced, added by hand) only (reasons22: the
    # log said "suppressed", and `mailer suppressions list` did not list her). A log written before
    # holds SUPPRESSED for them: ``logged_reason`` reads those rows by their detail.
    OPTED_OUT = "opted out"
    NO_CONSENT = "without consent"


# How the detail of a row the list's own opt-out column marks begins (a SUPPRESSED reason, kept with
# the row's log: `mailer contact` shows it rather than "suppressed", which the suppression list is).
OPTED_OUT_IN_LIST = "opted out of email"
# ... and of a row whose opt-in or consent column says anything but yes ("no", "withdrawn",
# "pending"): she was asked, or it is not known; she did not opt out of anything (session 21's
# leftover #4: "opted out of email ("Email consent": no)"). Kept out everywhere, as an opt-out is.
NOT_CONSENTED_IN_LIST = "gave no consent to email"
# ... and of a row whose opt-in or consent column is empty: nobody asked her not to be mailed, but
# silence is no consent (GDPR recital 32; review 20c #4). Not mailed, and not a suppression.
NO_CONSENT_IN_LIST = "no consent to email"


def logged_reason(reason: str | None, detail: str | None) -> str | None:
    """A skipped row's reason as the log means it (``RejectReason``): a row a list's own opt-out or
    consent column turned away, which a log written before the two reasons of their own holds as
    "suppressed", is read as "opted out" or "without consent" by its detail; any other as it is."""
    if reason != RejectReason.SUPPRESSED.value or not detail:
        return reason
    if detail.startswith(OPTED_OUT_IN_LIST):
        return RejectReason.OPTED_OUT.value
    if detail.startswith((NOT_CONSENTED_IN_LIST, NO_CONSENT_IN_LIST)):
        return RejectReason.NO_CONSENT.value
    return reason


def suppressed_apart(suppressed: int, *, opted_out: int, without_consent: int, word: str = "suppressed") -> list[str]:
    """``suppressed`` skipped rows told apart as `lists check` tells them: "1 opted out, 2 without
    consent, 1 suppressed" (``opted_out``: the rows the lists' own opt-out or consent columns turned
    away, ``without_consent`` of them a consent column's; the rest the log's suppressions, ``word``)
    (review 21 #1: a GDPR list's rows without consent read "suppressed", as if they had unsubscribed)."""
    logged = max(suppressed - opted_out, 0)
    counts = ((opted_out - without_consent, "opted out"), (without_consent, "without consent"), (logged, word))
    return [f"{count:,} {text}" for count, text in counts if count]


# SendGrid's Email Activity feed exported as CSV ("Export CSV", or the API's /v3/messages/download): a
# row per email, with its message id and what happened to it (delivered, open, bounce). `mailer events
# import` read no event in it ("is this the right file?"), and `mailer suppressions import` suppressed
# every address in it, the delivered and opened ones too (newcomer 21 #2): its headers say what it is.
_ACTIVITY_IDS = frozenset({"messageid", "msgid", "sgmessageid"})
_ACTIVITY_EVENTS = frozenset({"event", "eventtype", "eventname", "status", "lastevent", "eventsname"})
ACTIVITY_EXPORT_HINT = (
    "To stop mailing the addresses that bounced, unsubscribed or marked the email as spam there: copy their "
    "addresses into a new file under a heading Email, and run mailer suppressions import on that file."
)


def is_activity_export(headers: Sequence[str]) -> bool:
    """Whether a CSV file's header row is that of SendGrid's Email Activity export: a message id column
    and an event or status column beside an address column (headers compared without case or punctuation)."""
    keys = {re.sub(r"[\W_]+", "", header.casefold()) for header in headers}
    return bool(keys & _ACTIVITY_IDS) and bool(keys & _ACTIVITY_EVENTS) and bool(keys & {"email", "toemail", "recipient"})


# What a skip reason means, where the log's word for it (at most 20 characters) says too little.
_SKIPPED_WORDS = {
    # Not the suppression list's: `mailer suppressions list` does not hold them (reasons22).
    RejectReason.OPTED_OUT.value: "opted out (the list says so)",
    RejectReason.NO_CONSENT.value: "without consent (the list's consent column)",
    RejectReason.NOT_CORRECTED.value: "not sent the correction (they had an earlier version)",
    # "1 missing": missing what? `lists check` says "1 missing address" (newcomer 18).
    RejectReason.MISSING.value: "missing address",
}


def skipped_words(reason: str, count: int = 1) -> str:
    """A skip reason as ``mailer status`` and the report say it of ``count`` journalists: "not sent the
    correction (they had an earlier version)", "2 missing addresses" (review 18z #6: "2 missing address")."""
    words = _SKIPPED_WORDS.get(reason, reason)
    return f"{words}es" if count != 1 and words == "missing address" else words


def skipped_in_order(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Skipped rows per reason as ``mailer status`` and the report list them: by reason, the rows a
    list's consent column turned away beside those its opt-out column did, as the plan line has them."""
    beside = {RejectReason.NO_CONSENT.value: RejectReason.OPTED_OUT.value}
    return sorted(counts.items(), key=lambda item: (beside.get(item[0], item[0]), item[0]))


@dataclass(frozen=True, slots=True)
class Contact:
    """One journalist who will receive the release.

    ``fields`` holds every template-usable value as text: the canonical columns (``email``
    included, ``tags`` joined with "; ") and custom columns under safe identifiers.
    """

    email: str
    fields: Mapping[str, str]
    source: str
    row: int

    @property
    def email_key(self) -> str:
        """The address as compared for duplicates and suppressions (the log's ``email_key``)."""
        return self.email.lower()

    @property
    def tags(self) -> tuple[str, ...]:
        raw = self.fields.get("tags", "")
        return tuple(tag.strip() for tag in raw.split(";") if tag.strip())

    @property
    def name(self) -> str:
        return full_name(self.fields)


def texts(value: Iterable[str] | str) -> tuple[str, ...]:
    """A library argument that takes several texts, given one alone as text (``tags="health"``,
    ``to="boss@example.org"``): that one text, not its letters (newcomer 16py: such a call read
    "health" as six one-letter tags and planned nobody)."""
    return (value,) if isinstance(value, str) else tuple(value)


def full_name(fields: Mapping[str, str]) -> str:
    """First and last name as a To header shows them ("" when the list has neither)."""
    first, last = fields.get("first_name", ""), fields.get("last_name", "")
    return f"{first} {last}" if first and last else first or last


# A test proof made ``--as`` a journalist carries her fields but goes to a colleague, named in
# its To header by their own name: kept under this key of the fields (no list column can have it:
# contacts.headers.safe_identifier makes [0-9a-z_] names), so the log's snapshot holds it too.
TO_NAME = "(to name)"


def stand_in(field: str) -> str:
    """What a proof for nobody in particular shows where a journalist's value of ``field`` goes."""
    return f"[{field}]"


# A contact field's token in a subject (compose/tokens.py: -~c.<field>.s<n>~-).
_SUBJECT_TOKEN = re.compile(r"-~c\.([A-Za-z0-9_]+)\.s\d*~-")


def shown_subject(subject: str, values: Mapping[str, str] | None = None) -> str:
    """A subject as `mailer preview` shows it, from the subject with SendGrid's tokens that a
    campaign sends and the log keeps ("For -~c.outlet.s~-: ..." -> "For [outlet]: ...").

    ``values`` (token -> text): what the preview puts in each token (``compose.preview.subject``
    gives them, defaults included, when the release is at hand); any other shows the field's
    ``stand_in``. The one way the plan, `mailer campaigns`, `status`, `contact` and the reports
    show a subject: the log keeps the subject SendGrid got.
    """
    if "-~c." not in subject:
        return subject
    known = values or {}
    return _SUBJECT_TOKEN.sub(lambda match: known.get(match.group(0), stand_in(match.group(1))), subject)


def to_name(fields: Mapping[str, str]) -> str:
    """The To name of a message with these fields: the one way the first send, a resume and
    ``mailer show`` name the recipient (a test proof's own ``TO_NAME``, else ``full_name``)."""
    named = fields.get(TO_NAME)
    return full_name(fields) if named is None else named


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A list row that is not a recipient, with where it came from and why.

    ``row`` is the spreadsheet row number (the header is row 1). ``cells`` are the row's
    original cells under their original headers, so a colleague can fix them. ``fields`` are
    the name and outlet the loader read from a row it turned away (first_name, last_name,
    outlet, as a recipient's), so the log and the reports can say whom a duplicate row names.
    """

    source: str
    row: int
    email: str
    reason: RejectReason
    detail: str
    cells: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def without_consent(self) -> bool:
        """Turned away by the list's own consent or opt-in column (its cell says no, or nothing):
        rejected as the opted out are (``RejectReason.SUPPRESSED``), though she opted out of nothing."""
        return self.reason is RejectReason.SUPPRESSED and self.detail.startswith((NOT_CONSENTED_IN_LIST, NO_CONSENT_IN_LIST))

    @property
    def logged_reason(self) -> RejectReason:
        """Why the delivery log says the row was skipped: ``reason``, but OPTED_OUT or NO_CONSENT for
        a row the list's own opt-out or consent column turned away (not a suppression of the log's)."""
        if self.reason is not RejectReason.SUPPRESSED:
            return self.reason
        if self.detail.startswith(OPTED_OUT_IN_LIST):
            return RejectReason.OPTED_OUT
        return RejectReason.NO_CONSENT if self.without_consent else self.reason


@dataclass(frozen=True, slots=True)
class ListSummary:
    """What was found in one list file."""

    path: str
    rows: int
    encoding: str
    delimiter: str
    recognized: Mapping[str, str]  # canonical name -> header as written in the file
    custom: Mapping[str, str]  # safe identifier -> header as written in the file
    notes: tuple[str, ...] = ()  # what was done to the text: control characters taken out, ...
    # Of the notes, those a send repeats: which address of a cell of several is mailed (review 18h #11).
    send_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContactBlock:
    """Consecutive rows of one list file as plain lists (``ContactTable.blocks``).

    ``start`` is the first row's index in the table; ``source`` the file; ``names`` its field
    names; ``rows`` each row's spreadsheet row number; ``values`` one list per name (text).
    """

    start: int
    source: str
    names: tuple[str, ...]
    rows: list[int]
    values: list[list[str]]

    def fields(self) -> list[dict[str, str]]:
        """Each row's fields (name -> text), in order."""
        names = self.names
        # Python's cycle collector off while a block of dicts is made (they hold no cycles):
        # twice as fast. It is back on before the block is handed out.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return [dict(zip(names, cells, strict=True)) for cells in zip(*self.values, strict=True)]
        finally:
            if collecting:
                gc.enable()


class ContactTable(Sequence[Contact]):
    """Recipients held column by column: a sequence of ``Contact``, each made only when asked for.

    ``contacts.load`` gives its recipients this way (``ContactList.contacts``): indexing,
    ``len`` and iteration work as on a tuple of Contacts (a slice is a tuple), but a million
    recipients cost one Arrow text column per field instead of a million dicts.

    Without a Python object per recipient: ``to_arrow()`` is a ``pyarrow.Table`` (``email``
    first, then every field, all text, no nulls; ``rows`` and ``source_of`` line up with it),
    and ``chunks(size)`` yields ``(start, {field: list of str})`` slices of it, ``size`` rows
    at a time.

    ``columns`` maps field names to Arrow text arrays of equal length, ``email`` included;
    ``sources`` names the files; ``source_of`` (numpy int) gives each row's index into
    ``sources`` and ``rows`` (numpy int) its spreadsheet row; ``names_of_source`` gives, per
    file, the field names its Contacts have (a list without full names has no ``honorific``);
    ``distinct`` says the addresses are known to differ without case (see the property).
    """

    __slots__ = ("_columns", "_distinct", "_names_of_source", "_rows", "_source_of", "_sources")

    def __init__(
        self,
        columns: Mapping[str, pa.Array],
        *,
        sources: Sequence[str],
        source_of: np.ndarray,
        rows: np.ndarray,
        names_of_source: Sequence[Sequence[str]],
        distinct: bool = False,
    ) -> None:
        self._columns = dict(columns)
        self._distinct = distinct
        self._sources = tuple(sources)
        self._source_of = source_of
        self._rows = rows
        self._names_of_source = tuple(tuple(names) for names in names_of_source)
        lengths = {len(values) for values in self._columns.values()} | {len(source_of), len(rows)}
        if len(lengths) > 1 or "email" not in self._columns:
            raise ValueError(f"ContactTable needs an email column and columns of one length (got {sorted(lengths)})")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field a row may have, in column order (``email`` first)."""
        return tuple(self._columns)

    @property
    def sources(self) -> tuple[str, ...]:
        return self._sources

    @property
    def distinct(self) -> bool:
        """True when its maker vouches that no two rows' addresses are the same once lower-cased by
        Arrow's ``utf8_lower`` (``contacts.load`` has turned the repeats away); False: not known."""
        return self._distinct

    @property
    def source_of(self) -> np.ndarray:
        return self._source_of

    @property
    def rows(self) -> np.ndarray:
        return self._rows

    @property
    def names_of_source(self) -> tuple[tuple[str, ...], ...]:
        return self._names_of_source

    def column(self, name: str) -> pa.Array:
        """One field's text for every row (KeyError for a field no row has)."""
        return self._columns[name]

    def to_arrow(self) -> pa.Table:
        """The recipients as a ``pyarrow.Table``: one text column per field, ``email`` first."""
        import pyarrow as pa

        return pa.table(self._columns)

    def take(self, indices: np.ndarray) -> ContactTable:
        """The rows at ``indices`` (numpy ints, in the order given) as a new table (``distinct``
        still when no row is taken twice: indices in ascending order, as filters give them)."""
        import numpy as np
        import pyarrow as pa

        taken = pa.array(indices, type=pa.int64())
        return ContactTable(
            {name: values.take(taken) for name, values in self._columns.items()},
            sources=self._sources,
            source_of=self._source_of[indices],
            rows=self._rows[indices],
            names_of_source=self._names_of_source,
            distinct=self._distinct and bool((np.diff(indices) > 0).all()),
        )

    def chunks(self, size: int = 65_536) -> Iterator[tuple[int, dict[str, list[str]]]]:
        """``(start, {field: values})`` for ``size`` rows at a time (every field, ``email`` included)."""
        for start in range(0, len(self), size):
            yield start, {name: values.slice(start, size).to_pylist() for name, values in self._columns.items()}

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Contact: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Contact, ...]: ...

    def __getitem__(self, index: int | slice) -> Contact | tuple[Contact, ...]:
        if isinstance(index, slice):
            return tuple(self[position] for position in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("ContactTable index out of range")
        source = int(self._source_of[index])
        fields = {name: str(self._columns[name][index].as_py()) for name in self._names_of_source[source]}
        return Contact(email=fields["email"], fields=fields, source=self._sources[source], row=int(self._rows[index]))

    def __iter__(self) -> Iterator[Contact]:
        """Every Contact, in list order, made a block at a time and never kept.

        A million recipients must not become a million objects held at once (the send path
        streams them: issue 12's memory target); a stage that goes over them several times pays
        for making them each time, or reads the columns (``chunks``, ``to_arrow``).
        """
        return self._make()

    def _make(self) -> Iterator[Contact]:
        """Contacts made a block at a time (``blocks``)."""
        for block in self.blocks():
            for row, fields in zip(block.rows, block.fields(), strict=True):
                yield Contact(email=fields["email"], fields=fields, source=block.source, row=row)

    def blocks(self, step: int = 8192) -> Iterator[ContactBlock]:
        """The rows ``step`` at a time as plain lists, one file's rows per block (each file has its
        own fields), in list order: what a Contact is made of, without making it."""
        for start, count, source in self.spans(step):
            names = self._names_of_source[source]
            values = [self._columns[name].slice(start, count).to_pylist() for name in names]
            yield ContactBlock(start, self._sources[source], names, self._rows[start : start + count].tolist(), values)

    def spans(self, step: int = 8192) -> Iterator[tuple[int, int, int]]:
        """Where ``blocks`` cuts the table: ``(start, count, source)`` for ``step`` rows at a time
        (at most), one file's rows per span (``source`` indexes ``sources``), in list order."""
        import numpy as np

        boundaries = np.flatnonzero(np.diff(self._source_of)) + 1
        starts = [0, *boundaries.tolist()]
        ends = [*boundaries.tolist(), len(self)]
        for start, end in zip(starts, ends, strict=True):
            if start == end:
                continue
            source = int(self._source_of[start])
            for at in range(start, end, step):
                yield at, min(step, end - at), source

    def fields_json(self, step: int = 8192) -> Iterator[list[str]]:
        """Each row's fields as the delivery log stores them (``fields_json``: compact JSON, keys in
        the row's field order), one list per span of ``spans(step)``, in list order.

        The text is made a column at a time by Arrow (each column escaped once, the cells joined
        with the keys between them): no dict, and no Python string per cell, per journalist. The
        same text as ``fields_json`` of each row's fields (tests/test_contacts_table.py).
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        escaped: dict[str, pa.Array | None] = {}  # None: the Arrow route cannot make this column's text
        for start, count, source in self.spans(step):
            names = self._names_of_source[source]
            for name in names:
                if name not in escaped:
                    escaped[name] = _json_escaped(self._columns[name])
            pieces = [escaped[name] for name in names]
            if len(set(names)) != len(names) or any(piece is None for piece in pieces):
                rows = zip(*(self._columns[name].slice(start, count).to_pylist() for name in names), strict=True)
                yield [fields_json(dict(zip(names, cells, strict=True))) for cells in rows]
                continue
            text = pa.large_string()
            parts: list[pa.Array | pa.Scalar] = []
            for position, (name, piece) in enumerate(zip(names, pieces, strict=True)):
                parts.append(pa.scalar(("{" if position == 0 else '",') + _json_text(name) + ':"', text))
                parts.append(piece.slice(start, count))  # type: ignore[union-attr]
            parts.append(pa.scalar('"}', text))
            yield pc.binary_join_element_wise(*parts, pa.scalar("", text)).to_pylist()

    def __repr__(self) -> str:
        return f"<ContactTable: {len(self)} contacts, fields {', '.join(self._columns)}>"


def fields_json(fields: Mapping[str, str]) -> str:
    """A contact's fields as the delivery log stores them: compact JSON text (no spaces, keys in
    their order, non-ASCII as it is; ``json.loads`` reads it back). msgspec makes it (ten times
    the standard encoder's speed, the same text); the standard encoder makes what msgspec refuses
    (a lone surrogate from a damaged file)."""
    try:
        return _msgspec_json()(fields).decode("utf-8")
    except UnicodeEncodeError:
        return _STANDARD_JSON(dict(fields))


@functools.cache
def _msgspec_json() -> Callable[[Any], bytes]:
    import msgspec

    return msgspec.json.Encoder().encode


_STANDARD_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def _json_text(value: str) -> str:
    """One string as JSON text, quotes included (``fields_json``'s escapes)."""
    return _STANDARD_JSON(value)


# The characters JSON escapes inside a string (RFC 8259 §7; msgspec and json.dumps escape these
# alone when non-ASCII is kept as it is): the double quote, the backslash, U+0000 to U+001F.
_JSON_ESCAPED = ("\\", '"', *map(chr, range(0x20)))


def _json_escaped(column: pa.Array) -> pa.Array | None:
    """A text column's cells as they stand inside a JSON string (``_json_text`` without its quotes),
    as large_string; None for a column that is not text or has nulls. One numpy pass over the
    column's UTF-8 bytes finds which escaped characters occur (an ASCII byte is never part of
    another character in UTF-8); only those are replaced, each by one Arrow pass."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count or not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    column = column.cast(pa.large_string())
    data = column.buffers()[2]
    if data is None or not len(column):
        return column
    # The whole buffer (a sliced column's bytes beyond its cells only make this look further).
    found = np.frombuffer(data, dtype=np.uint8)
    controls = found < 0x20
    present = {character for character in '"\\' if (found == ord(character)).any()}
    if controls.any():
        present.update(map(chr, np.unique(found[controls]).tolist()))
    for character in _JSON_ESCAPED:  # the backslash first: the others' escapes hold one
        if character in present:
            column = pc.replace_substring(column, character, _json_text(character)[1:-1])
    return column


@dataclass(frozen=True, slots=True)
class ContactList:
    """The result of loading one or more list files: every row is in exactly one of the two.

    ``contacts`` is a tuple of Contacts, or (from ``contacts.load``) a ``ContactTable``, the
    same sequence held column by column.
    """

    contacts: Sequence[Contact]
    rejected: tuple[RejectedRow, ...]
    files: tuple[ListSummary, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    """Narrow a list: every ``where`` field must match one of its values; any ``tags`` matches.

    Field names are canonical or custom identifiers; comparisons ignore case and spaces.
    ``names`` and ``spellings`` keep how the user typed a field ("Ressort" for beat) and each
    value ("Umwelt" for umwelt), so a reason reads as the option was written.
    """

    where: Mapping[str, frozenset[str]] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    names: Mapping[str, str] = field(default_factory=dict)
    spellings: Mapping[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.where and not self.tags


# SendGrid's Mail Send limit for a whole request (SENDGRID.md §1.1), and the part of it a plan
# fills, leaving room for JSON punctuation and headers it does not count (send/plan.py).
MAX_REQUEST_BYTES = 30 * 1024 * 1024
REQUEST_SAFETY = 0.9
# What one recipient's part of a request takes at least (the plan counts it exactly).
ONE_RECIPIENT_BYTES = 1_000


def common_request_bytes(subject: str, text: str, html: str, attachments: Iterable[Attachment]) -> int:
    """Bytes of what every request of a campaign repeats: subject, text, HTML, and the attachments
    and inline images base64-encoded (a third more than their files), with room for their names."""
    encoded = json.dumps([subject, text, html])
    return len(encoded) + sum((len(a.content) + 2) // 3 * 4 + len(a.filename) + 100 for a in attachments) + 2_000


def too_large_for_a_request(common: int) -> bool:
    """Whether an email of ``common`` bytes (``common_request_bytes``) leaves no room in a request even for one recipient."""
    return int(MAX_REQUEST_BYTES * REQUEST_SAFETY) - common <= ONE_RECIPIENT_BYTES


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the release: attached (a PDF, a fact sheet), or an image shown in the text.

    An inline image has ``disposition`` "inline" and a ``content_id`` that the HTML's
    ``<img src="cid:...">`` names (derived from the content's hash: no personal data).
    """

    filename: str
    content: bytes
    mime_type: str
    disposition: str = "attachment"
    content_id: str | None = None

    @property
    def inline(self) -> bool:
        return self.disposition == "inline"


@dataclass(frozen=True, slots=True)
class Token:
    """One substitution tag in a Rendered release: the contact field it stands for and how
    its value is prepared: ``steps`` are ("default", text) or a filter name such as "upper";
    ``context`` is subject, text, html, attribute or url (how the value is escaped)."""

    field: str
    context: str
    steps: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A release rendered and inlined once per campaign, with tokens where contact fields go.

    ``subject`` and ``text`` carry text tokens, ``html`` carries HTML tokens; use
    ``compose.substitutions`` for a recipient's token values and ``compose.personalize`` for
    the exact email one journalist receives.
    """

    release_path: str
    content_hash: str
    subject: str
    preheader: str
    html: str
    text: str
    fields: tuple[str, ...]
    embargo: datetime | None = None
    from_email: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    warnings: tuple[str, ...] = ()
    tokens: Mapping[str, Token] = field(default_factory=dict)
    # The tag the unsubscribe link carries (SendGrid's, or ours in one-click mode), and the
    # link every proof shows in its place (``compose.personalize``), never a working one.
    unsubscribe_tag: str = ""
    unsubscribe_proof: str = ""
    language: str = "en"  # the release version's language tag (en, fr, fr-CA, ar)
    template: str = ""  # the HTML template's file when it is not a built-in one, as the preview and the plan name it
    # A fingerprint of what the office wrote (the release file, its template files, its attachments and the
    # settings the email shows), not of what this press-mailer made of it: unchanged when only press-mailer's
    # rendering changed (an upgrade). "" when unknown. ``send.prepare`` records it with a campaign.
    source_hash: str = ""


@dataclass(frozen=True, slots=True)
class Personalized:
    """What one journalist receives: subject, HTML and text with their values filled in."""

    subject: str
    html: str
    text: str


class Mode(StrEnum):
    """What kind of send a campaign is."""

    LIVE = "live"
    TEST = "test"
    DRY_RUN = "dry-run"


class CampaignStatus(StrEnum):
    """Where a campaign stands."""

    PLANNED = "planned"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


# Shown, never stored: every request of a scheduled send accepted, and its send_at still ahead.
SCHEDULED = "scheduled"


def shown_status(status: CampaignStatus, scheduled_at: datetime | None, *, now: datetime, driven: bool = True) -> str:
    """The status a person sees: "scheduled" while SendGrid holds a finished send, else the stored one.

    A paused send keeps "paused" even when scheduled: part of it still needs ``mailer resume``.
    ``driven``: whether a process holds the campaign's lease (``store.campaigns.driven``). A send
    stored as "sending" that none drives was stopped (its process killed, the computer crashed) and
    reads "paused", as one stopped by Ctrl-C or a SendGrid outage does: it waits for ``mailer
    resume`` (newcomer 15 #1: it read "sending", and she waited for it to finish).
    """
    if status is CampaignStatus.DONE and scheduled_at is not None and scheduled_at > now:
        return SCHEDULED
    if status is CampaignStatus.SENDING and not driven:
        return CampaignStatus.PAUSED.value
    return status.value


class MessageState(StrEnum):
    """Where one recipient's message stands.

    A message stays ``planned`` while its request is in flight (the campaign row lists the request:
    store/campaigns.py ``in_flight``). ``sending`` is only found in logs written before schema
    version 9, which marked each message of a request in flight; a resume treats both alike.
    """

    PLANNED = "planned"
    SENDING = "sending"
    ACCEPTED = "accepted"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


# Shown, never stored: a message of a cancelled campaign that did not go out (newcomer review 9).
CANCELLED = "cancelled"
# The states whose messages a cancelled campaign never sent: SendGrid discards what its batch
# held (accepted, or unknown: it may have reached SendGrid), and nobody sends what was planned.
_NOT_SENT_WHEN_CANCELLED = ("planned", "sending", "accepted", "unknown")


def shown_state(state: str, status: CampaignStatus | str) -> str:
    """A message's state as a person reads it: "cancelled" for one a cancelled campaign never sent.

    The log keeps such rows as they were (accepted, planned): promise 8 already leaves cancelled
    campaigns out, and events that still arrive can settle them. Failed and skipped stay as they are.
    """
    if status == CampaignStatus.CANCELLED.value and state in _NOT_SENT_WHEN_CANCELLED:
        return CANCELLED
    return state


def shown_counts(counts: Mapping[str, int], status: CampaignStatus | str) -> dict[str, int]:
    """Recipients per state as a person reads them: the log's states plus "cancelled" (always present,
    after "accepted"); a cancelled campaign's unsent messages move there (``shown_state``)."""
    shown: dict[str, int] = {}
    for state in counts:
        shown[state] = 0
        if state == MessageState.ACCEPTED.value:
            shown[CANCELLED] = 0
    shown.setdefault(CANCELLED, 0)
    for state, n in counts.items():
        shown[shown_state(state, status)] += n
    return shown


@dataclass(frozen=True, slots=True)
class Message:
    """One recipient's email in a campaign, from the plan through the request to the log's row.

    ``message_key`` is the opaque token sent in ``custom_args`` and echoed in every event; it is
    random and never an address or a name, because SendGrid cannot erase custom_args
    (SENDGRID.md §0.4). ``email_key`` is the address as compared for duplicates and
    suppressions. ``request_no`` groups messages into Mail Send requests (None when skipped).
    """

    message_key: str
    email: str
    name: str
    fields: Mapping[str, str]
    substitutions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    state: MessageState = MessageState.PLANNED
    request_no: int | None = None
    skip_reason: str | None = None
    detail: str | None = None
    language: str | None = None  # read back from the log: the version its plan chose (None: not known)

    @property
    def email_key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True, slots=True)
class Recipients(Sequence[Message]):
    """One request's recipients as four lists of equal length, in personalization order.

    What a request needs of each recipient and nothing more: ``message_keys``, ``emails``,
    ``names`` (the To name, "" for none) and ``substitutions`` (token -> value). A request of
    1000 journalists is four lists, not 1000 objects (issue 12: the send path makes no object
    per recipient). Reading one gives a planned ``Message`` of request ``request_no`` without
    ``fields`` (a request does not carry them). A slice is a Recipients.
    """

    message_keys: Sequence[str]
    emails: Sequence[str]
    names: Sequence[str]
    substitutions: Sequence[Mapping[str, str]]
    request_no: int | None = None

    @classmethod
    def of(cls, messages: Iterable[Message]) -> Recipients:
        """``messages`` as a Recipients (itself when it is one already)."""
        if isinstance(messages, Recipients):
            return messages
        listed = list(messages)
        return cls(
            [m.message_key for m in listed],
            [m.email for m in listed],
            [m.name for m in listed],
            [m.substitutions for m in listed],
            listed[0].request_no if listed else None,
        )

    def without(self, positions: Collection[int]) -> Recipients:
        """These recipients less those at ``positions`` (personalization indexes), in their order."""
        return self._at([i for i in range(len(self)) if i not in positions])

    def _at(self, positions: Sequence[int]) -> Recipients:
        return Recipients(
            [self.message_keys[i] for i in positions],
            [self.emails[i] for i in positions],
            [self.names[i] for i in positions],
            [self.substitutions[i] for i in positions],
            self.request_no,
        )

    def __len__(self) -> int:
        return len(self.message_keys)

    @overload
    def __getitem__(self, index: int) -> Message: ...

    @overload
    def __getitem__(self, index: slice) -> Recipients: ...

    def __getitem__(self, index: int | slice) -> Message | Recipients:
        if isinstance(index, slice):
            return self._at(range(*index.indices(len(self))))
        return Message(
            self.message_keys[index],
            self.emails[index],
            self.names[index],
            {},
            self.substitutions[index],
            state=MessageState.PLANNED,
            request_no=self.request_no,
        )

    def __iter__(self) -> Iterator[Message]:
        return (self[i] for i in range(len(self)))


# One message row as the delivery log takes it (``store.messages.insert_rows``): message_key,
# email, fields, source, state, skip_reason, request_no, detail (why a skipped row is skipped),
# language (the release version a recipient gets; None for a skipped row).
LogRow = tuple[str, str, Mapping[str, str], str, str, str | None, int | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class LogColumns:
    """Consecutive message rows as the delivery log takes them (``store.messages.insert_columns``),
    column by column: the nine values of ``LogRow``, each a sequence of the same length, in row
    order (and, when its maker has it, the fields' JSON text). A block of a million-row plan costs
    nine lists, not one tuple per row."""

    message_keys: Sequence[str]
    emails: Sequence[str]
    fields: Sequence[Mapping[str, str]]
    sources: Sequence[str]
    states: Sequence[str]
    skip_reasons: Sequence[str | None]
    request_nos: Sequence[int | None]
    details: Sequence[str | None]
    languages: Sequence[str | None]
    # ``fields`` as the log stores them (``fields_json`` of each), when the maker has that text
    # already (``ContactTable.fields_json``); None: the log makes it from ``fields``.
    fields_json: Sequence[str] | None = None

    @classmethod
    def of(cls, rows: Sequence[LogRow]) -> LogColumns:
        """``rows`` turned into columns."""
        if not rows:
            return cls([], [], [], [], [], [], [], [], [])
        keys, emails, fields, sources, states, reasons, numbers, details, languages = (list(column) for column in zip(*rows, strict=True))
        return cls(keys, emails, fields, sources, states, reasons, numbers, details, languages)

    def __len__(self) -> int:
        return len(self.message_keys)


class Delivery(StrEnum):
    """What SendGrid's events say happened to an accepted message, in forward order.

    A message's delivery only moves to a later rank (a ``delivered`` after a ``bounce``
    changes nothing); see ``DELIVERY_RANK``.
    """

    PROCESSED = "processed"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    BLOCKED = "blocked"
    DROPPED = "dropped"


DELIVERY_RANK: Mapping[Delivery, int] = {
    Delivery.PROCESSED: 1,
    Delivery.DEFERRED: 2,
    Delivery.DELIVERED: 3,
    Delivery.BLOCKED: 4,
    Delivery.BOUNCED: 5,
    Delivery.DROPPED: 5,
}

# "Bounced" wherever it is counted or selected on (reports, follow-ups): refused for good (a hard
# bounce), for now (blocked), or dropped by SendGrid: in every case the journalist did not get it.
BOUNCED: tuple[Delivery, ...] = (Delivery.BOUNCED, Delivery.BLOCKED, Delivery.DROPPED)


# What the log holds instead of the address of a journalist erased with `mailer forget` (their
# erased rows, and the rows later sends skip for them).
FORGOTTEN_ADDRESS = "(forgotten)"


class SuppressionReason(StrEnum):
    """Why an address is never mailed again."""

    BOUNCE = "bounce"
    BLOCK = "block"
    SPAM_REPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    INVALID = "invalid"
    MANUAL = "manual"
    FORGOTTEN = "forgotten"
