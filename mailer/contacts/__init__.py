"""The list manager: press lists (CSV files) in, a ContactList out, every row accounted for.

In: paths of CSV files as spreadsheets and media databases export them, filters (``--where``,
``--tag``) and a set of suppressed addresses. Out: ``ContactList`` (models.py): recipients as
``Contact``, and each other row as a ``RejectedRow`` with file, row and reason; ``write_clean``
and ``write_rejects`` write them back as CSV, ``shared_delimiter`` names the lists' delimiter.

    decoding.py   bytes -> text: which encoding a file is in, refusing to guess
    listfile.py   text -> columns: delimiter, sep= line, quotes, blank rows
    headers.py    header cells -> column names, in English, French, German, Spanish, Italian, Portuguese
    addresses.py  address checks (email-validator, with a vectorized pre-check)
    loader.py     files -> ContactList: check, dedupe, contact fields, names and tags
    filters.py    --where / --tag filters, suppression
    writing.py    ContactList -> clean list and rejects CSV
    ahead.py      lists read on a thread of their own while a send starts

Never imports: compose, send, transport, store, events, reports, cli (the list manager knows
nothing of releases, SendGrid or the delivery log; suppressions come in as a mapping).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailer import lazy

if TYPE_CHECKING:
    from mailer.contacts.filters import apply_filter, parse_filter, suppress
    from mailer.contacts.loader import FileCheck, ListCheck, check, find, load
    from mailer.contacts.writing import shared_delimiter, write_clean, write_rejects

__all__ = [
    "FileCheck",
    "ListCheck",
    "apply_filter",
    "check",
    "find",
    "load",
    "parse_filter",
    "shared_delimiter",
    "suppress",
    "write_clean",
    "write_rejects",
]

# Imported on first use: the list reader loads email-validator (and, as it runs, numpy and Arrow).
__getattr__ = lazy.exports(
    __name__,
    {
        **dict.fromkeys(("apply_filter", "parse_filter", "suppress"), "mailer.contacts.filters"),
        **dict.fromkeys(("FileCheck", "ListCheck", "check", "find", "load"), "mailer.contacts.loader"),
        **dict.fromkeys(("shared_delimiter", "write_clean", "write_rejects"), "mailer.contacts.writing"),
    },
)
