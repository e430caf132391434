"""Who a send goes to, beyond the list itself: suppressions with their overrides, and test recipients.

Promise 3 (DESIGN.md): suppressed addresses are never mailed, live or test, unless the send
names them with ``--override-suppression``. A test send goes to the staff list (or ``--to``),
each proof filled in with a journalist's fields (``--as``) or ``[field]`` stand-ins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mailer import contacts
from mailer.config import Config
from mailer.errors import ConfigError
from mailer.models import Contact, ContactList, Rendered

__all__ = ["staff_lists", "suppress", "test_recipients"]


def suppress(contact_list: ContactList, reasons: Mapping[str, str], overrides: Sequence[str]) -> tuple[ContactList, list[str]]:
    """Skip suppressed addresses except those named in ``overrides``; returns the list and warnings."""
    remaining = dict(reasons)
    warnings = []
    for address in overrides:
        if remaining.pop(address.strip().lower(), None) is None:
            warnings.append(f"--override-suppression {address}: that address is not suppressed.")
        else:
            warnings.append(f"{address} is suppressed but will be mailed, as you asked.")
    return contacts.suppress(contact_list, remaining), warnings


def test_recipients(config: Config, rendered: Rendered, *, to: Sequence[str] = (), journalist: Contact | None = None) -> ContactList:
    """The staff list (or ``to``), each with the journalist's fields or stand-ins for missing ones.

    Raises ConfigError when there is neither a staff list nor ``to``.
    """
    if to:
        people = ContactList(tuple(Contact(a, {"email": a}, "--to", i) for i, a in enumerate(to, 1)), (), ())
    elif config.lists.staff is not None:
        people = contacts.load([config.lists.staff])
    else:
        raise ConfigError(
            "No staff list to test-send to.",
            hint='Set staff = "lists/staff.csv" under [lists] in mailer.toml, or pass --to EMAIL.',
        )
    stand_ins = {field: f"[{field}]" for field in rendered.fields}

    def fields_for(contact: Contact) -> dict[str, str]:
        if journalist is not None:
            return dict(journalist.fields)
        return {**stand_ins, **{k: v for k, v in contact.fields.items() if v}}

    recipients = tuple(Contact(c.email, fields_for(c), c.source, c.row) for c in people.contacts)
    return ContactList(recipients, people.rejected, people.files)


def staff_lists(config: Config, to: Sequence[str]) -> list[str]:
    """What the log records as a test send's lists."""
    return ["--to"] if to else [str(config.lists.staff)]
