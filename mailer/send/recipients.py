"""Who a send goes to, beyond the list itself: suppressions with their overrides, and test recipients.

Promise 3 (DESIGN.md): suppressed addresses are never mailed, live or test, unless the send
names them with ``--override-suppression``. A test send goes to the staff list (or ``--to``),
each proof filled in with a journalist's fields (``--as``) or ``[field]`` stand-ins.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from mailer import compose, contacts
from mailer.config import Config
from mailer.errors import ConfigError, SendError, TemplateError
from mailer.models import FORGOTTEN_ADDRESS, TO_NAME, Contact, ContactList, RejectReason, Rendered, SuppressionReason, texts

__all__ = ["staff", "staff_lists", "suppress", "test_recipients"]


def suppress(
    contact_list: ContactList, reasons: Mapping[str, str], overrides: Sequence[str], *, erase_forgotten: bool = False
) -> tuple[ContactList, list[str]]:
    """Skip suppressed addresses except those named in ``overrides``; returns the list and warnings.

    With ``erase_forgotten`` (what a send logs), every skipped row of an address erased with
    ``mailer forget`` (suppressed as "forgotten") keeps only where it was and why it was skipped:
    the address becomes "(forgotten)" and its cells go (newcomer review 9: each later send from a
    list still naming the journalist logged their name, outlet and fields again).
    """
    remaining = dict(reasons)
    warnings = []
    for address in overrides:
        if remaining.get(address.strip().lower()) == SuppressionReason.FORGOTTEN.value:
            raise SendError(  # an erasure request is not a suppression to overrule (review 9b)
                f"{address} was erased with `mailer forget` at their request: --override-suppression cannot mail it.",
                hint=f"If they asked to be mailed again, first: mailer suppressions remove {address} --forgotten",
            )
        if remaining.pop(address.strip().lower(), None) is None:
            warnings.append(f"--override-suppression {address}: {_not_suppressed(contact_list, address)}")
        else:
            warnings.append(f"{address} is suppressed but will be mailed, as you asked.")
    suppressed = contacts.suppress(contact_list, remaining)
    if erase_forgotten:
        forgotten = {key for key, why in remaining.items() if why == SuppressionReason.FORGOTTEN.value}
        suppressed, rows = _forgotten_erased(suppressed, forgotten)
        if rows:
            named = [f"{source} row {number}" for source, number in sorted(rows)]
            shown = ", ".join(named[:_ROWS_NAMED]) + (f" and {len(named) - _ROWS_NAMED:,} more" if len(named) > _ROWS_NAMED else "")
            warnings.append(
                f"List rows naming a journalist erased with `mailer forget`: {shown}. "
                "They are skipped, and logged without their data; remove them from the lists."
            )
    return suppressed, warnings


_ROWS_NAMED = 5  # rows a warning names before "and N more"


def _not_suppressed(contact_list: ContactList, address: str) -> str:
    """Why an override names an address the log does not suppress: nothing, or the list's own opt-out or
    consent column keeping it out (review 22 #8: "that address is not suppressed", and she was skipped)."""
    key = contacts.addresses.typed_key(address)[0]
    rows = [
        row for row in contact_list.rejected if row.reason is RejectReason.SUPPRESSED and contacts.addresses.typed_key(row.email)[0] == key
    ]
    # The row whose own cell says so, before those it names ("(row 3 says so)")
    kept_out = next((row for row in rows if not row.detail.endswith("says so)")), rows[0] if rows else None)
    if kept_out is None:
        return "that address is not suppressed."
    change = "if the journalist gave consent" if kept_out.without_consent else "if the journalist asked to be mailed again"
    return (
        f"that address is not suppressed, but {kept_out.source} row {kept_out.row} keeps it out: {kept_out.detail}. "
        f"An override does not overrule a list: {change}, change that cell."
    )


def _forgotten_erased(contact_list: ContactList, forgotten: Collection[str]) -> tuple[ContactList, list[tuple[str, int]]]:
    """``contact_list`` with the rejected rows of ``forgotten`` addresses (lower-cased) blanked:
    skipped as suppressed or as a duplicate alike, they keep their file, row, reason and detail.
    Also where those rows are (file, row)."""
    if not forgotten or not contact_list.rejected:
        return contact_list, []
    from mailer import mailbox

    rejected = []
    where = []
    # Another spelling of a forgotten Gmail inbox (janedoe@ for jane.doe@gmail.com) is kept out as hers (review 25x)
    gmail = {mailbox.inbox(key) for key in forgotten if key.endswith(("@gmail.com", "@googlemail.com"))}
    for row in contact_list.rejected:
        # As the loader read the cell: "Name <ADDRESS>", mailto:, invisible characters (review 9b); the
        # parser only for a cell that holds a forgotten address at all (a list's duplicates are many).
        low = row.email.lower()
        if (
            low.strip() in forgotten
            or (any(key in low for key in forgotten) and contacts.addresses.typed_key(row.email)[0] in forgotten)
            or (gmail and "mail.com" in low and mailbox.inbox(contacts.addresses.typed_key(row.email)[0]) in gmail)
        ):
            rejected.append(replace(row, email=FORGOTTEN_ADDRESS, cells={}, fields={}))
            where.append((row.source, row.row))
        else:
            rejected.append(row)
    return ContactList(contact_list.contacts, tuple(rejected), contact_list.files), where


def staff(config: Config, to: Sequence[str] | str = ()) -> ContactList:
    """Who a test send goes to: ``to`` when given (addresses, or one address alone), else the staff
    list. ConfigError when there is neither; SendError naming every ``to`` that is not an email
    address, checked as strictly as list rows (a typo is an error, not a bounce)."""
    if to:
        addresses = checked_to(to)
        return ContactList(tuple(Contact(a, {"email": a}, "--to", i) for i, a in enumerate(addresses, 1)), (), ())
    if config.lists.staff is None:
        raise ConfigError(
            "No staff list to test-send to.",
            hint='Set staff = "lists/staff.csv" under [lists] in mailer.toml, or pass --to EMAIL.',
        )
    if not config.lists.staff.exists():  # a path the user never typed: say where it comes from (newcomer review 8)
        where = f"[lists] staff in {config.source}" if config.source is not None else "[lists] staff"
        raise ConfigError(
            f"The staff list {config.lists.staff} ({where}) does not exist.",
            hint="Make that list (a CSV with an Email column, as any press list), set staff = to the list you have, or pass --to EMAIL.",
        )
    return contacts.load([config.lists.staff])


def checked_to(to: Sequence[str] | str) -> tuple[str, ...]:
    """A test send's ``to`` addresses, normalized as list rows are (one address alone is itself, not
    its letters); SendError naming every one that is not an email address (``mailer test --to``
    checks the same before it starts)."""
    from mailer.mailbox import validate

    given = texts(to)
    valid: list[str] = []
    bad: list[str] = []
    for address in given:
        normalized, why = validate(address.strip()) if isinstance(address, str) else (None, f"a {type(address).__name__}, not text")
        if normalized is None:
            bad.append(f"{address!r} ({why})")
        else:
            valid.append(normalized)
    if bad:
        raise SendError(
            f"Not an email address to test-send to: {'; '.join(bad)}. Nothing was sent.",
            hint='Give each address as text, for example to=["me@example.org"] (mailer test --to me@example.org).',
        )
    return tuple(valid)


def test_recipients(rendered: Rendered, people: ContactList, *, journalist: Contact | None = None) -> ContactList:
    """The staff, each proof filled in as a journalist would get it.

    With ``journalist`` (``--as``), every proof carries that journalist's fields, and the staff
    member's own name for its To header (``models.TO_NAME``; ``models.to_name``). Without, each
    staff member's own fields stand in, and a field they lack shows the release's default, the
    same value the preview and a journalist without that field get; never a "[field]" mark.
    Raises SendError when the release needs a field (no default) that the staff rows lack.
    """
    if journalist is not None:
        proofs = tuple(Contact(c.email, {**journalist.fields, "email": c.email, TO_NAME: c.name}, c.source, c.row) for c in people.contacts)
        return ContactList(proofs, people.rejected, people.files)
    try:
        compose.check_fields(rendered, people.contacts)
    except TemplateError as exc:
        raise SendError(
            exc.message.replace("some journalists lack", "the staff you test-send to lack"),
            hint="Test as a real journalist: add --as EMAIL --list FILE (or give the field a default in the release).",
        ) from None
    return people


def staff_lists(config: Config, to: Sequence[str]) -> list[str]:
    """What the log records as a test send's lists."""
    return ["--to"] if to else [str(config.lists.staff)]
