"""Narrowing a ContactList: --where / --tag filters and suppressed addresses.

Used by sending (``mailer send --where beat=health --tag science``). Contacts that are left
out are not dropped: they move to the rejected rows as FILTERED or SUPPRESSED, with the reason.
The command line only parses options; the rules live here. Import these through
``mailer.contacts`` (``contacts.parse_filter``, ``contacts.apply_filter``, ``contacts.suppress``).

Recipients held column by column (``ContactTable``, what ``contacts.load`` gives) stay that way:
each distinct value of a filtered field is compared once, and only the contacts turned away are
made into Python objects. A tuple of Contacts is filtered contact by contact, with the same rules.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from mailer.contacts import listfile
from mailer.contacts.headers import plain_canonical_name
from mailer.errors import ListError
from mailer.models import CANONICAL_FIELDS, Contact, ContactList, ContactTable, Filter, RejectedRow, RejectReason, texts

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def parse_filter(where: Sequence[str] | str = (), tags: Sequence[str] | str = ()) -> Filter:
    """--where FIELD=VALUE[,VALUE...] and --tag TAG options -> Filter.

    Several --where for one field, or several values after "=", mean "any of"; different
    fields must all match. A --where on "tags" is the same as --tag. One expression or tag alone
    may be given as text (``where="beat=health"``, ``tags="science"``), not read as its letters.
    Raises ListError for an expression that is not FIELD=VALUE; a FIELD no list has is refused
    by ``apply_filter``, which knows the lists.
    """
    where, tags = texts(where), texts(tags)
    fields: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    spellings: dict[str, str] = {}  # a reason names the value as typed, not case-folded (newcomer 12b #7)
    wanted_tags = {_spelled(tag, spellings) for tag in tags if tag.strip()}
    for expression in where:
        name, equals, values = expression.partition("=")
        field = _field_name(name)
        chosen = {_spelled(value, spellings) for value in values.split(",") if value.strip()}
        if not equals or not field or not chosen:
            raise ListError(
                f'--where "{expression}" is not a filter.',
                hint="Write FIELD=VALUE, for example --where beat=health or --where country=US,CA.",
            )
        if field == "tags":
            wanted_tags |= chosen
        else:
            fields.setdefault(field, set()).update(chosen)
            names.setdefault(field, " ".join(name.split()))  # --where Ressort=Umwelt: "Ressort is not ...", not "beat"
    return Filter(
        where={field: frozenset(values) for field, values in fields.items()},
        tags=frozenset(wanted_tags),
        names=names,
        spellings=spellings,
    )


def _spelled(value: str, spellings: dict[str, str]) -> str:
    """The comparable form of ``value``; its first spelling as typed is kept in ``spellings``."""
    comparable = _comparable(value)
    spellings.setdefault(comparable, " ".join(value.split()))
    return comparable


def _reason(flt: Filter, field: str) -> str:
    """Why a contact does not match ``field`` of the filter, in the words of the option."""
    if field == "tags":
        return f"not tagged {_any_of(flt, flt.tags)}"
    return f"{flt.names.get(field, field)} is not {_any_of(flt, flt.where[field])}"


def _any_of(flt: Filter, values: frozenset[str]) -> str:
    return " or ".join(sorted(flt.spellings.get(value, value) for value in values))


def apply_filter(contact_list: ContactList, flt: Filter) -> ContactList:
    """Keep the contacts that match; the others move to rejected as FILTERED, saying why.

    Returns a new ContactList (recipients a ContactTable still). Raises ListError for a --where
    FIELD that no list has, naming the fields it could be."""
    if flt.is_empty():
        return contact_list
    known = set(CANONICAL_FIELDS) | {name for summary in contact_list.files for name in summary.custom}
    # Every file's fields, not the first contact's: "honorific" comes from a full-name column of
    # one file only (review 8: --where honorific=Dr. depended on the order of the files).
    if isinstance(contact_list.contacts, ContactTable):
        known |= set(contact_list.contacts.field_names)
    else:
        known |= {name for contact in contact_list.contacts for name in contact.fields}
    unknown = sorted(set(flt.where) - known)
    if unknown:
        raise ListError(
            f'Unknown field "{unknown[0]}" in --where.',
            hint="Fields you can filter on: " + ", ".join(sorted(known)) + ".",
        )
    if isinstance(contact_list.contacts, ContactTable):
        return _filter_table(contact_list, contact_list.contacts, flt)
    kept: list[Contact] = []
    rejected = list(contact_list.rejected)
    for contact in contact_list.contacts:
        why = _mismatch(contact, flt)
        if why is None:
            kept.append(contact)
        else:
            rejected.append(_rejected_contact(contact, RejectReason.FILTERED, why))
    return ContactList(tuple(kept), tuple(rejected), contact_list.files)


def suppress(contact_list: ContactList, suppressed: Mapping[str, str] | Iterable[str]) -> ContactList:
    """Move suppressed addresses (address -> reason) to rejected as SUPPRESSED, the reason as the
    row's detail. Addresses are compared as the log keys them, whatever their case or spelling
    ("Li.Wei@Example.org", "Li Wei <li.wei@example.org>"); a plain collection of addresses gives
    the reason "suppressed". Returns a new ContactList."""
    suppressed = _keyed(suppressed)
    if isinstance(contact_list.contacts, ContactTable):
        return _suppress_table(contact_list, contact_list.contacts, suppressed)
    from mailer.contacts.addresses import inbox_key

    kept: list[Contact] = []
    rejected = list(contact_list.rejected)
    for contact in contact_list.contacts:
        reason = suppressed.get(contact.email_key) or suppressed.get(inbox_key(contact.email_key))
        if reason is None:
            kept.append(contact)
        else:
            rejected.append(_rejected_contact(contact, RejectReason.SUPPRESSED, str(reason)))
    return ContactList(tuple(kept), tuple(rejected), contact_list.files)


def _keyed(suppressed: Mapping[str, str] | Iterable[str]) -> Mapping[str, str]:
    """The suppressions by the log's key of each address: a script's own mapping may say
    "Li.Wei@Example.org" (the list's row is li.wei@example.org, which it then did not suppress:
    newcomer 16py). Only the addresses not written as their own key (``mailbox.key``'s quick test,
    done for all at once) are read again, so the log's own mapping costs one vectorized pass."""
    if not isinstance(suppressed, Mapping):
        suppressed = dict.fromkeys(texts(suppressed), "suppressed")
    if not suppressed:
        return suppressed
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.array(list(suppressed), type=pa.large_string())
    plain = pc.and_(
        pc.and_(pc.string_is_ascii(keys), pc.equal(keys, pc.utf8_trim_whitespace(pc.utf8_lower(keys)))),
        pc.invert(pc.match_substring_regex(keys, r'[<:"]|xn--|\.$')),
    )
    others = np.flatnonzero(~np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(others):
        return _with_inboxes(suppressed)
    from mailer import mailbox

    keyed = dict(suppressed)
    for address in keys.take(pa.array(others)).to_pylist():
        keyed.setdefault(mailbox.key(address), suppressed[address])
    return _with_inboxes(keyed)


def _with_inboxes(keyed: Mapping[str, str]) -> Mapping[str, str]:
    """``keyed`` with the inbox of each Gmail address too ("janedoe@gmail.com" for "jane.doe@gmail.com"): a
    suppression keeps out every spelling of one Gmail inbox (review 25l #9: jane.doe@gmail.com unsubscribed,
    and janedoe@gmail.com on the next list was mailed). A recipient's inbox is compared with them."""
    from mailer.contacts.addresses import inbox_key

    gmail = [key for key in keyed if key.endswith(("@gmail.com", "@googlemail.com"))]
    if not gmail:
        return keyed
    widened = dict(keyed)
    for key in gmail:
        widened.setdefault(inbox_key(key), keyed[key])
    return widened


def _suppress_table(contact_list: ContactList, table: ContactTable, suppressed: Mapping[str, str]) -> ContactList:
    """suppress() on recipients held column by column: one pass over the addresses, no Contact for those kept."""
    import numpy as np

    if not suppressed or not len(table):
        return contact_list
    keys = _email_keys(table.column("email"))
    import pyarrow as pa
    import pyarrow.compute as pc

    from mailer.contacts.addresses import inbox_keys

    inboxes, gmail = inbox_keys(keys)
    if gmail:  # a Gmail recipient is kept out by a suppression of any spelling of her inbox
        keys = pc.if_else(pc.is_in(keys, value_set=pa.array(list(suppressed), type=keys.type)), keys, inboxes)
    hit = np.asarray(pc.is_in(keys, value_set=pa.array(list(suppressed), type=keys.type)).to_numpy(zero_copy_only=False), dtype=bool)
    if not hit.any():
        return contact_list
    hits = np.flatnonzero(hit).tolist()
    hit_keys = keys.take(pa.array(hits, type=pa.int64())).to_pylist()
    reasons = [str(suppressed[key]) for key in hit_keys]
    return _split(contact_list, table, hit, RejectReason.SUPPRESSED, reasons)


def _email_keys(emails: pa.Array) -> pa.Array:
    """Contact.email_key (str.lower) of every address; Arrow lower-cases the ASCII ones, Python the rest."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pc.utf8_lower(emails)
    other = np.flatnonzero(~np.asarray(pc.string_is_ascii(emails).to_numpy(zero_copy_only=False), dtype=bool))
    if not len(other):
        return keys
    mask = np.zeros(len(emails), dtype=bool)
    mask[other] = True
    lowered = [str(email).lower() for email in emails.take(pa.array(other)).to_pylist()]
    return pc.replace_with_mask(keys, pa.array(mask), pa.array(lowered, type=keys.type))


def _filter_table(contact_list: ContactList, table: ContactTable, flt: Filter) -> ContactList:
    """apply_filter() on recipients held column by column: each distinct value compared once."""
    why, details = _turned_away_by(table, flt)
    turned_away = why >= 0
    if not turned_away.any():
        return contact_list
    return _split(contact_list, table, turned_away, RejectReason.FILTERED, [details[code] for code in why[turned_away].tolist()])


def matching(table: ContactTable, flt: Filter) -> np.ndarray:
    """Which rows of ``table`` the filter keeps (numpy bools, one per row), by apply_filter's rules."""
    return _turned_away_by(table, flt)[0] < 0


def _turned_away_by(table: ContactTable, flt: Filter) -> tuple[np.ndarray, list[str]]:
    """(per row, the index into the details of the reason that turns it away, or -1 when kept; the details)."""
    import numpy as np

    why = np.full(len(table), -1, dtype=np.int64)  # which reason turns the row away (-1: kept)
    details: list[str] = []
    for field, values in flt.where.items():
        matches = _matching(table, field, _one_of(values))
        why[(why < 0) & ~matches] = len(details)
        details.append(_reason(flt, field))
    if flt.tags:
        tags = flt.tags
        matches = _matching(table, "tags", lambda value: bool(tags & {_comparable(tag) for tag in _tags_of(value)}))
        why[(why < 0) & ~matches] = len(details)
        details.append(_reason(flt, "tags"))
    return why, details


def _one_of(values: frozenset[str]) -> Callable[[str], bool]:
    return lambda value: _comparable(value) in values


def _matching(table: ContactTable, field: str, test: Callable[[str], bool]) -> np.ndarray:
    """Which rows' ``field`` passes ``test``, asked once per distinct value (a row without the field has "")."""
    import numpy as np
    import pyarrow.compute as pc

    if field not in table.field_names:
        return np.full(len(table), test(""), dtype=bool)
    encoded = pc.dictionary_encode(table.column(field))
    passing = np.array([test(str(value)) for value in encoded.dictionary.to_pylist()] or [False], dtype=bool)
    return np.asarray(passing[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)], dtype=bool)


def _split(contact_list: ContactList, table: ContactTable, away: np.ndarray, reason: RejectReason, details: Sequence[str]) -> ContactList:
    """The rows not ``away`` kept as a table; the others (in list order) appended to rejected with their detail."""
    import numpy as np

    turned = [
        _rejected_contact(table[int(index)], reason, detail) for index, detail in zip(np.flatnonzero(away).tolist(), details, strict=True)
    ]
    kept = table.take(np.flatnonzero(~away))
    return ContactList(kept, (*contact_list.rejected, *turned), contact_list.files)


def _tags_of(raw: str) -> tuple[str, ...]:
    """Contact.tags of a tags cell."""
    return tuple(tag.strip() for tag in raw.split(";") if tag.strip())


def _mismatch(contact: Contact, flt: Filter) -> str | None:
    """Why a contact does not match the filter, or None when it does."""
    for field, values in flt.where.items():
        if _comparable(contact.fields.get(field, "")) not in values:
            return _reason(flt, field)
    if flt.tags and not flt.tags & {_comparable(tag) for tag in contact.tags}:
        return _reason(flt, "tags")
    return None


def _rejected_contact(contact: Contact, reason: RejectReason, detail: str) -> RejectedRow:
    """A recipient turned away later; its cells are its cleaned fields."""
    return RejectedRow(contact.source, contact.row, contact.email, reason, detail, dict(contact.fields))


def _comparable(value: str) -> str:
    """A value as --where and --tag compare it: spaces collapsed, case folded, and accents in one
    form (NFC): "Süddeutsche" pasted from a Mac's file name or a PDF spells its ü as u and a
    combining diaeresis, and matched nobody typing it (review 18h #9)."""
    return unicodedata.normalize("NFC", " ".join(value.split())).casefold()


def _field_name(name: str) -> str:
    # Not a numbered or qualified address header: "personal_email" names the list's own column,
    # not the address (review 17y #6: since session 17 such a filter chose by the address, and nobody).
    canonical = plain_canonical_name(name)
    if canonical == "name" or not name.strip():
        return name.strip().lower()
    return canonical or listfile.safe_identifier(name.strip())
