"""Other spellings of a Gmail inbox in the delivery log.

Gmail delivers jane.doe@gmail.com, janedoe@gmail.com and Jane.Doe+press@googlemail.com to one inbox
(``mailbox.inbox``), and the lists count those as one journalist. A person typing one spelling in
`mailer forget` or `mailer contact` is told which others the log holds (review25x: forget erased
"0 rows" of janedoe@gmail.com and left her jane.doe@gmail.com rows as they were).
"""

from __future__ import annotations

from sqlalchemy import Connection, or_, select, union

from mailer import mailbox
from mailer.store.schema import message, suppression

__all__ = ["other_spellings"]

_GMAIL = ("@gmail.com", "@googlemail.com")


def other_spellings(connection: Connection, email_key: str) -> list[str]:
    """The ``email_key`` values of the log's messages and suppressions that reach the same Gmail
    inbox as ``email_key`` but are spelt otherwise, sorted; [] for an address not at Gmail."""
    if not email_key.endswith(_GMAIL):
        return []
    inbox = mailbox.inbox(email_key)
    first = inbox[:1]  # a Gmail name never starts with a dot: every spelling starts with this letter
    if not first or first in "%_\\":
        return []
    patterns = [f"{first}%{domain}" for domain in _GMAIL]
    keys = union(
        select(message.c.email_key).where(or_(*(message.c.email_key.like(p) for p in patterns))),
        select(suppression.c.email_key).where(or_(*(suppression.c.email_key.like(p) for p in patterns))),
    )
    return sorted({key for key in connection.scalars(keys) if key != email_key and mailbox.inbox(key) == inbox})
