"""Rendered + ContactList -> Plan: one message per intended recipient, cut into requests.

Nothing here touches the network or the log: the plan is what ``send.record`` writes, in one
transaction, before the first request (a large one partly as parts: send/delivery.py). Every list row becomes a message: a recipient
(planned, with its request number) or a skipped row with its reason, so `mailer status`
can account for everyone on the lists.

Requests respect SendGrid's per-request limits (SENDGRID.md §1.1): ``batch_size`` (at most
1000) personalizations of one recipient each, under 30 MB in all; each recipient's
substitutions under 10,000 bytes (a recipient over it is skipped, saying why).

A release with language versions (README, Languages) is one plan: each journalist gets the
version their ``language`` column picks (``fr-CA`` -> ``fr`` -> the main version), kept as a
small number per contact (``version_of``), and a request never mixes versions (each has one
content): requests are cut per version, the main version's first, then each other's.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import json
import secrets
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, overload

from mailer import compose
from mailer.compose import labels, language_names
from mailer.errors import SendError
from mailer.models import (
    MAX_REQUEST_BYTES,
    ONE_RECIPIENT_BYTES,
    REQUEST_SAFETY,
    Contact,
    ContactList,
    ContactTable,
    LogColumns,
    LogRow,
    Message,
    MessageState,
    Recipients,
    RejectReason,
    Rendered,
    common_request_bytes,
    to_name,
)

if TYPE_CHECKING:  # numpy and pyarrow are imported where the columns are read
    import numpy as np
    import pyarrow as pa

MAX_PERSONALIZATIONS = 1000
MAX_SUBSTITUTION_BYTES = 10_000
# A personalization's JSON around its values, as python_http_client's json.dumps writes it (", "
# and ": " separators) with the longest campaign id the log holds (120) and a message key (32),
# and the ", " before the next one: transport/mailsend.py ``build_body``.
PER_PERSONALIZATION_OVERHEAD = (
    len(json.dumps({"to": [{"email": "", "name": ""}], "custom_args": {"campaign": "c" * 120, "message": "m" * 32}, "substitutions": {}}))
    + 2
)
# Around each substitution: its key's and value's quotes, ": " and ", ".
PER_SUBSTITUTION_PUNCTUATION = 8


SKIPPED = -1  # the request number of a list row that gets no email
WAITING = RejectReason.WAITING.value  # skipped while another send mails them (messages.take_back_waiting)
LOG_BLOCK = 8192  # rows per block of ``Plan.log_columns``


@dataclass(frozen=True)
class Plan:
    """Everything a send will do, before it does any of it.

    Held compactly, so a million recipients cost a few bytes each beyond their list: the
    contacts themselves (``contact_list``, column by column from ``contacts.load``), each one's
    request number (``SKIPPED`` for a row that gets no email) and the reasons of the rows
    skipped here. ``messages`` and ``recipients`` are sequences that make each ``Message`` when
    it is read (its key, name and substitutions worked out again, the same each time). The send
    itself makes no object per journalist: ``send.record`` writes ``log_columns`` (the log's
    rows, a block of columns at a time) and ``send.run`` sends ``requests`` (each request's
    recipients as four lists), both cut from the list's columns.
    """

    rendered: Rendered
    contact_list: ContactList
    request_of: Sequence[int]  # per contact, in list order: its request number, or SKIPPED
    skips: Mapping[int, tuple[str, str]]  # contact index -> (reason, detail) for the rows skipped here
    # How many requests will leave. They are numbered from 1 when built; once ``skip_received``
    # has taken journalists out, some numbers may have nobody left (the others keep theirs: the
    # log holds them, and resume reads them), so this counts the numbers still in use.
    request_count: int
    request_size: int = MAX_PERSONALIZATIONS  # recipients per request at most
    key_prefix: str = ""  # the message keys' random part (message_key_prefix)
    substitutions: Callable[[Rendered, Mapping[str, str]], dict[str, str]] = compose.substitutions
    # Language versions: ``versions[0]`` is ``rendered`` (the main one), ``version_of`` each
    # contact's index into it; both empty for a release in one language.
    versions: tuple[Rendered, ...] = ()
    version_of: Sequence[int] = ()

    @property
    def all_versions(self) -> tuple[Rendered, ...]:
        """The rendered versions, the main one first (just ``rendered`` for one language)."""
        return self.versions or (self.rendered,)

    @cached_property
    def content_hash(self) -> str:
        """What the campaign sends, as one hash: the release's, or, with versions, one over each
        version's language and hash (a later send of the same versions is the same content)."""
        return content_hash(self.all_versions)

    def rendered_of(self, index: int) -> Rendered:
        """The version contact ``index`` gets."""
        return self.versions[self.version_of[index]] if self.versions else self.rendered

    def version_counts(self) -> dict[str, int]:
        """How many recipients get each version (language -> count), the main version first."""
        counts = dict.fromkeys((version.language for version in self.all_versions), 0)
        languages = [version.language for version in self.all_versions]
        for index, number in enumerate(self.request_of):
            if number != SKIPPED:
                counts[languages[self.version_of[index] if self.versions else 0]] += 1
        return counts

    def recipients_of(self, version: int) -> Iterator[Message]:
        """The recipients of one version (an index into ``all_versions``), in request order."""
        request_of, contacts = self.request_of, self.contact_list.contacts
        for index, contact in enumerate(contacts):
            if request_of[index] != SKIPPED and (not self.versions or self.version_of[index] == version):
                yield self._message(index, contact)

    def recipients_by_version(self) -> Iterator[tuple[int, Message]]:
        """Each recipient with its version (an index into ``all_versions``), in list order: one pass."""
        request_of, version_of = self.request_of, self.version_of
        for index, contact in enumerate(self.contact_list.contacts):
            if request_of[index] != SKIPPED:
                yield (version_of[index] if self.versions else 0), self._message(index, contact)

    def requests(self) -> Iterator[tuple[int, Recipients]]:
        """Each request's recipients (``request_no`` set) with its version (an index into
        ``all_versions``), in request number order, one request at a time.

        For a list read column by column (``contacts.load``) a request is cut from the columns:
        no Contact, dict or Message per journalist (issue 12), and the same recipients, keys,
        names and substitutions as reading ``recipients`` would give (tests/test_plan.py).
        """
        table = self.contact_list.contacts
        if not isinstance(table, ContactTable) or self.substitutions is not compose.substitutions:
            yield from self._requests_by_row()
            return
        import numpy as np
        import pyarrow as pa

        numbers = np.asarray(self.request_of, dtype=np.int64)
        planned = np.flatnonzero(numbers != SKIPPED)
        if not len(planned):  # everyone skipped (another send of the same content reached them first)
            return
        order = planned[np.argsort(numbers[planned], kind="stable")]  # request order; list order within one
        ordered = numbers[order]
        cuts = (np.flatnonzero(np.diff(ordered)) + 1).tolist()
        present = set(table.field_names)
        versions, prefix = self.all_versions, self.key_prefix
        for start, end in zip([0, *cuts], [*cuts, len(order)], strict=True):
            rows = order[start:end]
            first, count = int(rows[0]), len(rows)
            version = int(self.version_of[first]) if self.versions else 0
            rendered = versions[version]
            wanted = {"email", "first_name", "last_name", *rendered.fields} & present
            if int(rows[-1]) - first + 1 == count:  # one run of the list: a slice of each column
                columns = {name: table.column(name).slice(first, count).to_pylist() for name in wanted}
                keys = [f"{prefix}{index:012x}" for index in range(first, first + count)]
            else:
                taken = pa.array(rows, type=pa.int64())
                columns = {name: table.column(name).take(taken).to_pylist() for name in wanted}
                keys = [f"{prefix}{index:012x}" for index in rows.tolist()]
            blank = [""] * count
            names = [  # models.full_name, a column at a time (no list column is models.TO_NAME)
                f"{given} {family}" if given and family else given or family
                for given, family in zip(columns.get("first_name", blank), columns.get("last_name", blank), strict=True)
            ]
            substitutions = compose.substitutions_of_columns(rendered, columns, count)
            yield version, Recipients(keys, columns["email"], names, substitutions, int(ordered[start]))

    def _requests_by_row(self) -> Iterator[tuple[int, Recipients]]:
        """``requests`` for a list of Contacts: the recipients read one by one, gathered per request.
        A request is whole once a recipient of the same version has a later number (a version's
        requests are numbered in list order): at most one request per version is open at a time.
        Whole requests wait until every lower number has gone first (review 8: a list whose
        languages alternate went out 1, 6, 2, 4, ...)."""
        order = iter(sorted(set(self.request_of) - {SKIPPED}))
        expected = next(order, None)
        whole: dict[int, tuple[int, Recipients]] = {}  # request number -> a whole request waiting its turn
        open_requests: dict[int, list[Message]] = {}  # version -> the recipients of its open request

        def ready(version: int, group: list[Message]) -> Iterator[tuple[int, Recipients]]:
            nonlocal expected
            whole[group[0].request_no or 0] = (version, Recipients.of(group))
            while expected is not None and expected in whole:
                yield whole.pop(expected)
                expected = next(order, None)

        for version, message in self.recipients_by_version():
            group = open_requests.get(version)
            if group and group[0].request_no != message.request_no:
                yield from ready(version, group)
                group = None
            if group is None:
                group = open_requests[version] = []
            group.append(message)
        for version, group in open_requests.items():
            if group:
                yield from ready(version, group)
        yield from (whole[number] for number in sorted(whole))  # none, unless a number was not in request_of

    @cached_property
    def messages(self) -> PlanMessages:
        """Every list row as a Message, in list order, then the rows the lists rejected."""
        return PlanMessages(self, planned_only=False)

    @cached_property
    def recipients(self) -> PlanMessages:
        """The planned messages, in request order."""
        return PlanMessages(self, planned_only=True)

    def skipped(self) -> dict[str, int]:
        """How many rows are skipped, per reason."""
        counts = Counter(reason for reason, _ in self.skips.values())
        counts.update(row.logged_reason.value for row in self.contact_list.rejected)
        return dict(counts)

    def skipped_messages(self) -> Iterator[Message]:
        """Only the skipped rows, as Messages, in the order ``messages`` has them."""
        contacts = self.contact_list.contacts
        for index in sorted(self.skips):
            yield self._message(index, contacts[index])
        yield from self._rejected()

    def log_rows(self) -> Iterator[LogRow]:
        """``messages`` as the log stores them (``store.messages.LogRow``), without making Messages
        (nor, for a list read column by column, Contacts)."""
        prefix, request_of, skips, planned = self.key_prefix, self.request_of, self.skips, MessageState.PLANNED.value
        skipped = MessageState.SKIPPED.value
        version_of = self.version_of if self.versions else ()
        languages = [version.language for version in self.versions]
        main_language = self.rendered.language
        for index, email, fields, source in self._rows():
            request_no = request_of[index]
            key = f"{prefix}{index:012x}"
            if request_no == SKIPPED:
                reason, detail = skips[index]
                kept = reason == WAITING and (languages[version_of[index]] if version_of else main_language)
                yield key, email, fields, source, skipped, reason, None, detail, kept or None
            else:
                language = languages[version_of[index]] if version_of else main_language
                yield key, email, fields, source, planned, None, request_no, None, language
        for m in self._rejected():
            yield m.message_key, m.email, m.fields, m.source, m.state.value, m.skip_reason, m.request_no, m.detail, None

    def log_columns(self, size: int = LOG_BLOCK) -> Iterator[LogColumns]:
        """``log_rows`` a block of at most ``size`` rows at a time, as columns (``models.LogColumns``);
        for a list read column by column, each block is made from the list's columns: no tuple per
        row. The blocks follow ``log_rows``' order: a row's place in it is ``row_of`` its key."""
        table = self.contact_list.contacts
        if not isinstance(table, ContactTable):
            rows = self.log_rows()
            while chunk := list(itertools.islice(rows, size)):
                yield LogColumns.of(chunk)
            return
        skipped = sorted(self.skips)
        for (start, count, source), texts in zip(table.spans(size), table.fields_json(size), strict=True):
            yield self._span_columns(table, start, count, source, texts, skipped)
        rejected = [
            (m.message_key, m.email, m.fields, m.source, m.state.value, m.skip_reason, m.request_no, m.detail, None)
            for m in self._rejected()
        ]
        if rejected:
            yield LogColumns.of(rejected)

    def _span_columns(
        self, table: ContactTable, start: int, count: int, source: int, texts: list[str], skipped: Sequence[int]
    ) -> LogColumns:
        """One span of the list (``ContactTable.spans``) as log columns, its fields as the log's JSON
        text already (``texts``); ``skipped`` are the indexes of ``skips``, in order."""
        end = start + count
        numbers: list[int | None] = list(self.request_of[start:end])
        if self.versions:
            every = [version.language for version in self.versions]
            languages: list[str | None] = [every[number] for number in self.version_of[start:end]]
        else:
            languages = [self.rendered.language] * count
        states = [MessageState.PLANNED.value] * count
        reasons: list[str | None] = [None] * count
        details: list[str | None] = [None] * count
        for index in skipped[bisect.bisect_left(skipped, start) : bisect.bisect_left(skipped, end)]:
            at = index - start
            reasons[at], details[at] = self.skips[index]
            states[at], numbers[at] = MessageState.SKIPPED.value, None
            if reasons[at] != WAITING:  # one waiting elsewhere keeps the version it would get, should it be taken back
                languages[at] = None
        key = (self.key_prefix.replace("%", "%%") + "%012x").__mod__  # as f"{prefix}{index:012x}", a third faster
        where = f"{table.sources[source]}:".__add__
        return LogColumns(
            list(map(key, range(start, end))),
            table.column("email").slice(start, count).to_pylist(),
            _SpanFields(table, start, count),
            list(map(where, map(str, table.rows[start:end].tolist()))),
            states,
            reasons,
            numbers,
            details,
            languages,
            fields_json=texts,
        )

    def _rows(self) -> Iterator[tuple[int, str, Mapping[str, str], str]]:
        """Each contact's index, address, fields and "file:row", in list order."""
        table = self.contact_list.contacts
        if not isinstance(table, ContactTable):
            for index, contact in enumerate(table):
                yield index, contact.email, contact.fields, f"{contact.source}:{contact.row}"
            return
        for block in table.blocks():
            for index, (row, fields) in enumerate(zip(block.rows, block.fields(), strict=True), block.start):
                yield index, fields["email"], fields, f"{block.source}:{row}"

    def last_request_no(self) -> int:
        """The plan's highest request number (0: nobody to mail). A request a run adds (the rest of
        one SendGrid refused for some of its journalists, a half of one too large) is numbered
        after it, never with a number a request of the plan still to go has (review 20a)."""
        import numpy as np

        numbers = self.request_of
        found = (
            np.frombuffer(numbers, dtype=np.int64)
            if isinstance(numbers, array) and numbers.typecode == "q"
            else np.asarray(numbers, dtype=np.int64)
        )
        return int(found.max(initial=0))

    def email_keys(self) -> Iterator[str]:
        """The recipients' addresses, lower-cased (without working out their messages)."""
        for index, key in enumerate(self._lowered_addresses()):
            if self.request_of[index] != SKIPPED:
                yield key

    def recipient_versions(self) -> Iterator[tuple[str, int]]:
        """Each recipient's address (lower-cased) with the version they get (an index into ``all_versions``)."""
        for index, key in enumerate(self._lowered_addresses()):
            if self.request_of[index] != SKIPPED:
                yield key, (self.version_of[index] if self.versions else 0)

    def _lowered_addresses(self) -> Iterator[str]:
        """Every contact's address, lower-cased, in list order (a column at a time for a ContactTable)."""
        table = self.contact_list.contacts
        if not isinstance(table, ContactTable):
            yield from (contact.email.lower() for contact in table)
            return
        emails = table.column("email")  # lower-cased by Python, as the log's email_key is
        for start in range(0, len(table), LOG_BLOCK):
            yield from (email.lower() for email in emails.slice(start, LOG_BLOCK).to_pylist())

    @cached_property
    def _substitute(self) -> Callable[[Mapping[str, str]], dict[str, str]]:
        """``substitutions`` for this plan's release, its per-release part done once."""
        if self.substitutions is compose.substitutions:
            return compose.substituter(self.rendered)
        return functools.partial(self.substitutions, self.rendered)

    @cached_property
    def _substitute_versions(self) -> tuple[Callable[[Mapping[str, str]], dict[str, str]], ...]:
        """``_substitute`` of each language version (``versions`` order)."""
        if self.substitutions is compose.substitutions:
            return tuple(compose.substituter(version) for version in self.versions)
        return tuple(functools.partial(self.substitutions, version) for version in self.versions)

    def _message(self, index: int, contact: Contact) -> Message:
        """The Message of one contact; a recipient's as its request carries it (no ``source``)."""
        key = f"{self.key_prefix}{index:012x}"
        request_no = self.request_of[index]
        if request_no == SKIPPED:
            reason, detail = self.skips[index]
            source = f"{contact.source}:{contact.row}"
            return Message(
                key, contact.email, "", dict(contact.fields), source=source, state=MessageState.SKIPPED, skip_reason=reason, detail=detail
            )
        fields = contact.fields
        return Message(
            key,
            contact.email,
            to_name(fields),
            fields,
            self._substitute_versions[self.version_of[index]](fields) if self.versions else self._substitute(fields),
            "",
            MessageState.PLANNED,
            request_no,
        )

    def _rejected(self) -> Iterator[Message]:
        start = len(self.request_of)
        for number, row in enumerate(self.contact_list.rejected, start):
            yield Message(
                f"{self.key_prefix}{number:012x}",
                row.email,
                "",
                {**row.cells, **row.fields},  # the original cells, and the name and outlet read from them
                source=f"{row.source}:{row.row}",
                state=MessageState.SKIPPED,
                skip_reason=row.logged_reason.value,  # "opted out" for the list's own opt-out, not "suppressed"
                detail=row.detail,
            )


class _SpanFields(Sequence[Mapping[str, str]]):
    """The fields of one span of a ContactTable, each row's made when read (``LogColumns.fields`` of
    a span whose JSON text is made already: the log never reads them, a test may)."""

    def __init__(self, table: ContactTable, start: int, count: int) -> None:
        self._table, self._start, self._count = table, start, count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Mapping[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, str]]: ...

    def __getitem__(self, index: int | slice) -> Mapping[str, str] | Sequence[Mapping[str, str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("span index out of range")
        return self._table[self._start + index].fields

    def __iter__(self) -> Iterator[Mapping[str, str]]:
        table, start, count = self._table, self._start, self._count
        names = table.names_of_source[int(table.source_of[start])] if count else ()
        values = [table.column(name).slice(start, count).to_pylist() for name in names]
        for cells in zip(*values, strict=True):
            yield dict(zip(names, cells, strict=True))


class PlanMessages(Sequence[Message]):
    """A plan's messages (or only its recipients), each made when read; see ``Plan``."""

    def __init__(self, plan: Plan, *, planned_only: bool) -> None:
        self._plan = plan
        self._planned_only = planned_only

    @cached_property
    def _length(self) -> int:
        planned = len(self._plan.request_of) - len(self._plan.skips)  # a row is SKIPPED exactly when it has a skip reason
        return planned if self._planned_only else len(self._plan.request_of) + len(self._plan.contact_list.rejected)

    @cached_property
    def _positions(self) -> array[int]:
        """Contact index of each recipient in request order (only made when a recipient is read by its place)."""
        plan = self._plan
        if plan.versions:
            return array("q", sorted((i for i, n in enumerate(plan.request_of) if n != SKIPPED), key=lambda i: plan.request_of[i]))
        return array("q", (i for i, number in enumerate(plan.request_of) if number != SKIPPED))

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Message]:
        plan = self._plan
        if self._planned_only and plan.versions:  # request order: version by version
            for version in range(len(plan.versions)):
                yield from plan.recipients_of(version)
            return
        request_of = plan.request_of
        for index, contact in enumerate(plan.contact_list.contacts):
            if not self._planned_only or request_of[index] != SKIPPED:
                yield plan._message(index, contact)
        if not self._planned_only:
            yield from plan._rejected()

    @overload
    def __getitem__(self, index: int) -> Message: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Message, ...]: ...

    def __getitem__(self, index: int | slice) -> Message | tuple[Message, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("plan message index out of range")
        plan = self._plan
        if self._planned_only:
            position = self._positions[index]
            return plan._message(position, plan.contact_list.contacts[position])
        if index < len(plan.request_of):
            return plan._message(index, plan.contact_list.contacts[index])
        return next(itertools.islice(plan._rejected(), index - len(plan.request_of), None))

    def __repr__(self) -> str:
        return f"<{len(self)} {'recipients' if self._planned_only else 'messages'} of a plan>"


def content_hash(versions: Sequence[Rendered]) -> str:
    """One release version's content hash; for several, a hash over each one's language and hash."""
    if len(versions) == 1:
        return versions[0].content_hash
    digest = hashlib.sha256()
    for version in versions:
        digest.update(f"{version.language}:{version.content_hash}\0".encode())
    return digest.hexdigest()


class VersionPicker:
    """Which of a release's versions (``every``, the main one first) a journalist's ``language``
    cell picks, as an index into ``every``: ``labels.pick`` (a tag such as ``fr-CA``, or a
    language's name such as "Français"), the main version when none fits. A list holds few
    distinct language cells, so each is looked up once."""

    def __init__(self, every: Sequence[Rendered]) -> None:
        self._languages = {version.language: number for number, version in enumerate(every)}
        self._main = every[0].language
        self._picked: dict[str | None, int] = {}

    def __call__(self, cell: str | None) -> int:
        found = self._picked.get(cell)
        if found is None:
            found = self._picked[cell] = self._languages[labels.pick(self._languages, cell or None) or self._main]
        return found

    def of_table(self, table: ContactTable) -> np.ndarray:
        """Each row's version (numpy int64), from the table's language column ("" where none):
        each distinct cell looked up once, the rows mapped a column at a time."""
        import numpy as np

        if "language" not in table.field_names:
            return np.zeros(len(table), dtype=np.int64)
        cells, rows = _distinct_cells(table.column("language"))
        picked = np.fromiter(map(self, cells), dtype=np.int64, count=len(cells))
        return np.take(picked, rows)

    def unknown(self, cells: Mapping[str, int]) -> dict[str, int]:
        """Of ``cells`` (a language cell -> how many journalists have it), those that name no
        language (neither a tag nor a language's name: ``language_names.tag_of``), not blank."""
        languages = tuple(self._languages)
        return {cell: n for cell, n in cells.items() if n and cell.strip() and language_names.tag_of(cell, languages) is None}


def _distinct_cells(column: pa.Array | pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """A text column as its distinct values and, per row, the index of its value (numpy int64)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(pc.fill_null(column, ""))
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def unknown_languages(plan: Plan) -> dict[str, int]:
    """The language cells of the plan's recipients that name no language mailer knows (nc9 #20:
    "française", "n/a"), each with how many recipients have it, most first; those journalists get
    the main version. Empty for a release in one language. Counted on distinct cells: no Python
    object per journalist for a list read column by column."""
    if not plan.versions:
        return {}
    import numpy as np

    picker = VersionPicker(plan.versions)
    table = plan.contact_list.contacts
    planned = np.asarray(plan.request_of, dtype=np.int64) != SKIPPED
    if isinstance(table, ContactTable):
        if "language" not in table.field_names:
            return {}
        cells, rows = _distinct_cells(table.column("language"))
        counts = np.bincount(rows[planned], minlength=len(cells)).tolist()
        found = picker.unknown(dict(zip(cells, counts, strict=True)))
    else:
        found = picker.unknown(
            Counter(contact.fields.get("language", "") for contact, sent in zip(table, planned.tolist(), strict=True) if sent)
        )
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def row_of(message_key: str) -> int:
    """The place of a message key's row in its plan's ``log_rows`` (the list's rows, then those the
    lists rejected): the key's last 12 hex digits (``message_key_prefix``)."""
    return int(message_key[-12:], 16)


def message_key_prefix() -> str:
    """The random part of one plan's message keys: each key is it and the row's place, 32 hex digits.

    Unique across campaigns (80 random bits), never an address or a name (SENDGRID.md §0.4),
    and ascending within a plan, so the log's unique index on them grows at its end instead of
    at random places (a fifth cheaper to write at 100k rows). The keys need not be secret: the
    webhook checks SendGrid's signature, and unsubscribe links carry their own (unsubscribe.sign).
    """
    return secrets.token_hex(10)


def build(
    rendered: Rendered,
    contact_list: ContactList,
    *,
    batch_size: int = MAX_PERSONALIZATIONS,
    max_request_bytes: int = MAX_REQUEST_BYTES,
    substitutions: Callable[[Rendered, Mapping[str, str]], dict[str, str]] = compose.substitutions,
    reserve: tuple[int, int] = (0, 0),
    versions: Sequence[Rendered] = (),
) -> Plan:
    """The plan: recipients in list order, batched; rejected rows skipped with their reason.

    ``reserve`` is what the transport adds to each personalization (our own unsubscribe link:
    ``unsubscribe.reserved_bytes``): bytes in its substitutions, bytes in the request in all.
    ``versions`` are the release's other language versions: each contact gets the one its
    ``language`` field picks (``labels.pick``), ``rendered`` otherwise, and each
    request holds one version only.
    """
    reserved_substitution, reserved_request = reserve
    size = min(max(batch_size, 1), MAX_PERSONALIZATIONS)
    every = (rendered, *versions)
    budgets = [int(max_request_bytes * REQUEST_SAFETY) - _common_bytes(version) for version in every]
    for version, version_budget in zip(every, budgets, strict=True):
        if version_budget <= max(PER_PERSONALIZATION_OVERHEAD, ONE_RECIPIENT_BYTES):
            raise_too_large(version, max_request_bytes)
    budget = budgets[0]
    fixed_cost = PER_PERSONALIZATION_OVERHEAD + reserved_request
    if substitutions is compose.substitutions and isinstance(contact_list.contacts, ContactTable):
        numbered = _numbered_by_columns(every, contact_list.contacts, size, budgets, fixed_cost, reserved_substitution)
        if numbered is not None:
            numbers, request_count, version_numbers = numbered
            return Plan(
                rendered=rendered,
                contact_list=contact_list,
                request_of=numbers,
                skips={},
                request_count=request_count,
                request_size=size,
                key_prefix=message_key_prefix(),
                substitutions=substitutions,
                versions=every if versions else (),
                version_of=version_numbers if versions else (),
            )
    pick_version = VersionPicker(every)
    version_of = array("h")
    request_of = array("q")
    skips: dict[int, tuple[str, str]] = {}
    seen: set[str] = set()
    # The open request: its number (counted within its version) and fill; with versions, one per
    # version, kept in ``open_requests`` (the one-language loop keeps its own in locals, for speed).
    request_no, in_batch, batch_bytes = 0, size, 0
    open_requests = [[0, size, 0] for _ in every]
    # A stand-in for tests has no bound.
    bounders = [compose.bounder(version) for version in every] if substitutions is compose.substitutions else None
    bound_of = bounders[0] if bounders is not None else None
    number, chosen = 0, rendered
    token_punctuation = PER_SUBSTITUTION_PUNCTUATION * len(rendered.tokens)
    for index, contact in enumerate(contact_list.contacts):
        email, fields = contact.email, contact.fields
        email_key = email.lower()
        if versions:
            number = pick_version(fields.get("language"))
            version_of.append(number)
            chosen = every[number]
            token_punctuation = PER_SUBSTITUTION_PUNCTUATION * len(chosen.tokens)
            bound_of = bounders[number] if bounders is not None else None
        if email_key in seen:  # contacts.load dedupes already; a hand-built list may not
            request_of.append(SKIPPED)
            skips[index] = (RejectReason.DUPLICATE.value, "the same address is already a recipient")
            continue
        bound = bound_of(fields) if bound_of is not None else MAX_SUBSTITUTION_BYTES + 1
        if bound + reserved_substitution <= MAX_SUBSTITUTION_BYTES:
            # Surely under SendGrid's limit: its values are worked out when its request is cut.
            value_bytes, value_json = bound, 6 * bound + token_punctuation
        else:
            value_bytes, value_json = _sizes(substitutions(chosen, fields))
        if value_bytes + reserved_substitution > MAX_SUBSTITUTION_BYTES:
            request_of.append(SKIPPED)
            skips[index] = (
                RejectReason.INVALID.value,
                f"its contact fields take {value_bytes + reserved_substitution:,} bytes; SendGrid allows {MAX_SUBSTITUTION_BYTES:,} per recipient",
            )
            continue
        seen.add(email_key)
        cost = fixed_cost + _json_bytes(email + to_name(fields)) + 2 + value_json  # the address and the name
        if versions:
            state = open_requests[number]
            if state[1] >= size or state[2] + cost > budgets[number]:
                state[0], state[1], state[2] = state[0] + 1, 0, 0
            state[1] += 1
            state[2] += cost
            request_of.append(state[0])
            continue
        if in_batch >= size or batch_bytes + cost > budget:
            request_no, in_batch, batch_bytes = request_no + 1, 0, 0
        in_batch += 1
        batch_bytes += cost
        request_of.append(request_no)
    request_count = request_no
    if versions:  # number each version's requests after the ones before it: main first
        offsets = list(itertools.accumulate((state[0] for state in open_requests), initial=0))
        for index, number in enumerate(request_of):
            if number != SKIPPED:
                request_of[index] = number + offsets[version_of[index]]
        request_count = offsets[-1]
    return Plan(
        rendered=rendered,
        contact_list=contact_list,
        request_of=request_of,
        skips=skips,
        request_count=request_count,
        request_size=size,
        key_prefix=message_key_prefix(),
        substitutions=substitutions,
        versions=every if versions else (),
        version_of=version_of if versions else (),
    )


def _numbered_by_columns(
    every: Sequence[Rendered], table: ContactTable, size: int, budgets: Sequence[int], fixed_cost: int, reserved_substitution: int
) -> tuple[array[int], int, array[int]] | None:
    """``build``'s request numbers (and each journalist's version, an index into ``every``) for a
    list read column by column (``contacts.load``), when the columns alone prove what the loop
    would find: no address twice (ASCII addresses, compared lower-cased), every journalist surely
    under SendGrid's substitution limit, and a full request of the largest personalization under
    the request size limit (``budgets``, per version; ``fixed_cost`` is what the loop adds to every
    journalist's cost). Then the n-th journalist of a version goes in
    that version's request n // size + 1, numbered after the earlier versions' requests, as the
    loop numbers them. None when the loop must look row by row.
    """
    import numpy as np
    import pyarrow.compute as pc

    count = len(table)
    if not count:
        return None
    emails = table.column("email")
    if not pc.all(pc.string_is_ascii(emails)).as_py():
        return None
    if not table.distinct and pc.count_distinct(pc.utf8_lower(emails)).as_py() != count:  # contacts.load's are
        return None
    names = set(table.field_names)
    if len(every) == 1:
        chosen = np.zeros(count, dtype=np.int64)
    else:  # each journalist's version from the language column, as the loop picks it
        chosen = VersionPicker(every).of_table(table)
    lengths = {name: pc.utf8_length(table.column(name)).to_numpy(zero_copy_only=False).astype(np.int64) for name in names}
    # In UTF-8 bytes: each becomes 6 JSON bytes at most (a character beyond U+FFFF, 4 bytes, 12).
    longest = sum(int(pc.max(pc.binary_length(table.column(f))).as_py() or 0) for f in ("email", "first_name", "last_name") if f in names)
    request_of = np.zeros(count, dtype=np.int64)
    offset = 0
    for number, version in enumerate(every):
        rows = np.flatnonzero(chosen == number)
        if not len(rows):
            continue
        constant, factors = compose.bound_terms(version)
        bound = np.full(len(rows), constant, dtype=np.int64)
        for name, factor in factors.items():
            if name in names:
                bound += factor * lengths[name][rows]
        largest = int(bound.max())
        if largest + reserved_substitution > MAX_SUBSTITUTION_BYTES:
            return None
        # Dearer than any journalist's personalization: address and name at 6 bytes a UTF-8 byte
        # (JSON escapes), the bound's bytes 6 times over, and the punctuation around each substitution.
        personalization = 6 * (longest + 1) + 4 + 6 * largest + PER_SUBSTITUTION_PUNCTUATION * len(version.tokens)
        if size * (personalization + fixed_cost) > budgets[number]:
            return None
        numbers = np.arange(len(rows), dtype=np.int64) // size + 1 + offset
        request_of[rows] = numbers
        offset = int(numbers[-1])
    numbered = array("q")
    numbered.frombytes(request_of.tobytes())  # array("q") is a native 64-bit int
    return numbered, offset, array("h", chosen.tolist())


def skip_suppressed(plan: Plan, suppressed: Mapping[str, str]) -> tuple[Plan, int]:
    """Skip the recipients whose address (lower-cased) is in ``suppressed`` (address -> reason):
    suppressed after the plan was made, while its question waited (promise 3; review 9b). Their
    request numbers go, as ``skip_received`` does; returns the new plan and how many were skipped."""

    def reason(key: str) -> tuple[str, str] | None:
        why = suppressed.get(key)
        return None if why is None else (RejectReason.SUPPRESSED.value, f"suppressed ({why}) after the send was planned")

    return skip_for(plan, reason) if suppressed else (plan, 0)


def skip_received(
    plan: Plan, received: Mapping[str, str], waiting: Collection[str] = (), scheduled: Mapping[str, str] | None = None
) -> tuple[Plan, int]:
    """Skip the recipients in ``received`` (address -> the campaign that already reached them) (promise 8).

    Those in ``waiting`` (addresses) are only planned in that campaign, which stopped before it
    mailed them: skipped as "waiting elsewhere" (it may still be resumed), not "already received".
    Those of a campaign in ``scheduled`` (campaign -> when it goes, as words) are held by SendGrid
    for later: "scheduled elsewhere". The others keep their request numbers; ``request_count``
    becomes the number of requests that still hold someone. Returns the new plan and how many
    were skipped now.
    """

    def reason(key: str) -> tuple[str, str] | None:
        campaign_id = received.get(key)
        if campaign_id is None:
            return None
        if key in waiting:
            return RejectReason.WAITING.value, f"waiting in {campaign_id}, which has not mailed them yet"
        if scheduled and campaign_id in scheduled:
            return RejectReason.SCHEDULED.value, f"scheduled in {campaign_id} for {scheduled[campaign_id]}"
        return RejectReason.ALREADY_RECEIVED.value, f"already received in {campaign_id}"

    return skip_for(plan, reason) if received else (plan, 0)


def skip_for(plan: Plan, reason_of: Callable[[str], tuple[str, str] | None]) -> tuple[Plan, int]:
    """Skip the recipients for whose address (lower-cased) ``reason_of`` gives (skip reason,
    detail); the others keep their request numbers. Returns the new plan and how many were skipped now."""
    request_of = array("q", plan.request_of)
    skips = dict(plan.skips)
    for index, key in enumerate(plan._lowered_addresses()):
        reason = reason_of(key) if request_of[index] != SKIPPED else None
        if reason is not None:
            request_of[index] = SKIPPED
            skips[index] = reason
    skipped = len(skips) - len(plan.skips)
    if not skipped:
        return plan, 0
    return replace(plan, request_of=request_of, skips=skips, request_count=requests_in_use(request_of)), skipped


def requests_in_use(request_of: array[int]) -> int:
    """How many distinct request numbers ``request_of`` (a plan's, ``SKIPPED`` for nobody) still
    holds: the requests that will leave (nc9 #1: a resend to the same lists announced "Requests: 16"
    for 2 journalists). Counted on the numbers' buffer, without a Python int per journalist."""
    import numpy as np

    numbers = np.frombuffer(request_of, dtype=np.int64) if len(request_of) else np.zeros(0, dtype=np.int64)
    return int(np.unique(numbers[numbers != SKIPPED]).size)


def raise_too_large(rendered: Rendered, max_request_bytes: int) -> None:
    """Refuse an email that cannot fit in one request even with a single recipient, with its sizes
    (review 17c #15: "over SendGrid's 30 MB limit" of a 21 MB press kit, which is 28 MB encoded)."""
    mb = 1024 * 1024
    files = sum(len(attachment.content) for attachment in rendered.attachments)
    raise SendError(
        f"The email itself (text, HTML, attachments and images: {files / mb:.1f} MB of files, {_common_bytes(rendered) / mb:.1f} MB "
        f"once encoded for sending) is more than one request to SendGrid can carry ({max_request_bytes // mb} MB, with room "
        "for the request itself). Nothing was logged or sent.",
        hint="Put large files on your website and link to them from the release instead of attaching them.",
    )


def _common_bytes(rendered: Rendered) -> int:
    """Bytes of the parts every request repeats: subject, text, HTML, attachments and inline images (base64)."""
    return common_request_bytes(rendered.subject, rendered.text, rendered.html, rendered.attachments)


def _sizes(values: Mapping[str, str]) -> tuple[int, int]:
    """A recipient's substitutions as SendGrid measures them (keys' and values' UTF-8 bytes), and
    their size in the JSON body (``_json_bytes``, punctuation included)."""
    if not values:
        return 0, 0
    text = "".join(values.keys()) + "".join(values.values())
    measured = len(text) if text.isascii() else len(text.encode("utf-8"))
    quoted = sum(_json_bytes(k) + _json_bytes(v) for k, v in values.items())
    return measured, quoted + 4 * len(values)  # ": " and ", " around each pair


def _json_bytes(value: str) -> int:
    """A string's bytes in the request body, its quotes included, as python_http_client encodes it
    (``json.dumps``: ASCII escapes, so 2 bytes for " or \\ or a line break, 6 for another control
    character or a character up to U+FFFF, 12 beyond it)."""
    return len(json.dumps(value))
