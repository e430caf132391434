"""Narrowing a ContactList: --where / --tag filters and suppressed addresses.

Used by sending (``mailer send --where beat=health --tag science``). Contacts that are left
out are not dropped: they move to the rejected rows as FILTERED or SUPPRESSED, with the reason.
The command line only parses options; the rules live here. Import these through
``mailer.contacts`` (``contacts.parse_filter``, ``contacts.apply_filter``, ``contacts.suppress``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mailer.contacts import listfile
from mailer.errors import ListError
from mailer.models import CANONICAL_FIELDS, Contact, ContactList, Filter, RejectedRow, RejectReason


def parse_filter(where: Sequence[str], tags: Sequence[str]) -> Filter:
    """--where FIELD=VALUE[,VALUE...] and --tag TAG options -> Filter.

    Several --where for one field, or several values after "=", mean "any of"; different
    fields must all match. A --where on "tags" is the same as --tag.
    """
    fields: dict[str, set[str]] = {}
    wanted_tags = {_comparable(tag) for tag in tags if tag.strip()}
    for expression in where:
        name, equals, values = expression.partition("=")
        field = _field_name(name)
        chosen = {_comparable(value) for value in values.split(",") if value.strip()}
        if not equals or not field or not chosen:
            raise ListError(
                f'--where "{expression}" is not a filter.',
                hint="Write FIELD=VALUE, for example --where beat=health or --where country=US,CA.",
            )
        if field == "tags":
            wanted_tags |= chosen
        else:
            fields.setdefault(field, set()).update(chosen)
    return Filter(where={field: frozenset(values) for field, values in fields.items()}, tags=frozenset(wanted_tags))


def apply_filter(contact_list: ContactList, flt: Filter) -> ContactList:
    """Keep the contacts that match; the others move to rejected as FILTERED, saying why."""
    if flt.is_empty():
        return contact_list
    known = set(CANONICAL_FIELDS) | {name for summary in contact_list.files for name in summary.custom}
    for contact in contact_list.contacts[:1]:
        known |= set(contact.fields)
    unknown = sorted(set(flt.where) - known)
    if unknown:
        raise ListError(
            f'Unknown field "{unknown[0]}" in --where.',
            hint="Fields you can filter on: " + ", ".join(sorted(known)) + ".",
        )
    kept: list[Contact] = []
    rejected = list(contact_list.rejected)
    for contact in contact_list.contacts:
        why = _mismatch(contact, flt)
        if why is None:
            kept.append(contact)
        else:
            rejected.append(_rejected_contact(contact, RejectReason.FILTERED, why))
    return ContactList(tuple(kept), tuple(rejected), contact_list.files)


def suppress(contact_list: ContactList, suppressed: Mapping[str, str]) -> ContactList:
    """Move suppressed addresses (lower-cased address -> reason) to rejected as SUPPRESSED."""
    kept: list[Contact] = []
    rejected = list(contact_list.rejected)
    for contact in contact_list.contacts:
        reason = suppressed.get(contact.email_key)
        if reason is None:
            kept.append(contact)
        else:
            rejected.append(_rejected_contact(contact, RejectReason.SUPPRESSED, str(reason)))
    return ContactList(tuple(kept), tuple(rejected), contact_list.files)


def _mismatch(contact: Contact, flt: Filter) -> str | None:
    """Why a contact does not match the filter, or None when it does."""
    for field, values in flt.where.items():
        if _comparable(contact.fields.get(field, "")) not in values:
            return f"{field} is not {' or '.join(sorted(values))}"
    if flt.tags and not flt.tags & {_comparable(tag) for tag in contact.tags}:
        return f"not tagged {' or '.join(sorted(flt.tags))}"
    return None


def _rejected_contact(contact: Contact, reason: RejectReason, detail: str) -> RejectedRow:
    """A recipient turned away later; its cells are its cleaned fields."""
    return RejectedRow(contact.source, contact.row, contact.email, reason, detail, dict(contact.fields))


def _comparable(value: str) -> str:
    return " ".join(value.split()).casefold()


def _field_name(name: str) -> str:
    canonical = listfile.canonical_name(name)
    if canonical == "name" or not name.strip():
        return name.strip().lower()
    return canonical or listfile.safe_identifier(name.strip())
