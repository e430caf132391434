"""Other spellings of a Gmail inbox in the delivery log.

Gmail delivers jane.doe@gmail.com, janedoe@gmail.com and Jane.Doe+press@googlemail.com to one inbox
(``mailbox.inbox``), and the lists count those as one journalist. A person typing one spelling in
`mailer forget` or `mailer contact` is told which others the log holds (review25x: forget erased
"0 rows" of janedoe@gmail.com and left her jane.doe@gmail.com rows as they were).
"""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import Connection, or_, select, text, union

from mailer import mailbox
from mailer.store.schema import message, suppression

__all__ = ["other_spellings", "suppressed_inboxes"]


def other_spellings(connection: Connection, email_key: str) -> list[str]:
    """The ``email_key`` values of the log's messages and suppressions that reach the same Gmail
    inbox as ``email_key`` but are spelt otherwise, sorted; [] for an address not at Gmail."""
    if not email_key.endswith(mailbox.GMAIL):
        return []
    inbox = mailbox.inbox(email_key)
    first = inbox[:1]  # a Gmail name never starts with a dot: every spelling starts with this letter
    if not first or first in "%_\\":
        return []
    patterns = [f"{first}%{domain}" for domain in mailbox.GMAIL]
    keys = union(
        select(message.c.email_key).where(or_(*(message.c.email_key.like(p) for p in patterns))),
        select(suppression.c.email_key).where(or_(*(suppression.c.email_key.like(p) for p in patterns))),
    )
    return sorted({key for key in connection.scalars(keys) if key != email_key and mailbox.inbox(key) == inbox})


# ``_prefixes`` spells a Gmail name's first three letters with and without dots: 4 prefixes a name,
# each as selective as three letters (a few keys of 100,000).


# Only the Gmail keys of each range come back (a range holds other domains' too: five times as many).
_AT_GMAIL = " AND (" + " OR ".join(f"s.email_key LIKE '%%{domain}'" for domain in mailbox.GMAIL) + ")"


def _prefixes(name: str) -> tuple[str, ...]:
    """The prefixes every key of the Gmail name ``name`` (an inbox's, without dots or +) starts with:
    its first three letters with a dot, or none, between each two (the address checker refuses a
    dot first, last or twice in a row, so these are all): "jan", "j.an", "ja.n", "j.a.n"."""
    if len(name) >= 3:
        a, b, c = name[0], name[1], name[2]
        return (a + b + c, a + "." + b + c, a + b + "." + c, a + "." + b + "." + c)
    if len(name) == 2:
        return (name, name[0] + "." + name[1])
    return (name,) if name else ()


def suppressed_inboxes(connection: Connection, email_keys: Collection[str], *, let_through: Collection[str] = ()) -> set[str]:
    """Those of ``email_keys`` (Gmail addresses; others are left out) whose inbox the suppression
    list keeps out under any spelling (``mailbox.inbox``: jane.doe@gmail.com's suppression keeps out
    janedoe@gmail.com and Jane.Doe+press@googlemail.com), its own included, except for those of
    ``let_through`` (named by ``--override-suppression``): only another spelling's suppression
    keeps them out (review 27a: the override named that address's own, not every later "no" of her inbox).

    For the send's check before each request (``messages.skip_suppressed``): one query, a range
    seek on the suppression key per prefix (``_prefixes``), not a read of every Gmail suppression,
    its ranges in one parameter (a statement of a thousand bound values cost SQLAlchemy 40 ms to
    build). The ranges compare code points (SQLite's own order; PostgreSQL's under a C collation,
    else asked for with COLLATE "C", which reads the whole list)."""
    wanted: dict[str, list[str]] = {}
    for key in email_keys:
        if key.endswith(mailbox.GMAIL):
            wanted.setdefault(mailbox.inbox(key), []).append(key)
    prefixes = sorted({prefix for name in wanted for prefix in _prefixes(name.partition("@")[0])})
    if not prefixes:
        return set()
    ends = [prefix[:-1] + chr(ord(prefix[-1]) + 1) for prefix in prefixes]  # the first key past every one it starts
    if connection.dialect.name == "postgresql":
        column = "s.email_key" if _code_point_order(connection) else 's.email_key COLLATE "C"'
        statement = (
            "SELECT s.email_key FROM unnest(%(lo)s::text[], %(hi)s::text[]) AS r(lo, hi) "
            f"JOIN suppression s ON {column} >= r.lo AND {column} < r.hi{_AT_GMAIL}"
        )
        # Its estimate (a tenth of the list a range) would have PostgreSQL compile it first (JIT): 20 to
        # 30 ms a request for a query of a millisecond. Only for the rest of the caller's transaction.
        if connection.in_transaction():
            connection.exec_driver_sql("SET LOCAL jit = off")
        found = connection.exec_driver_sql(statement, {"lo": prefixes, "hi": ends}).scalars()
    else:
        statement = (
            "WITH r(lo, hi) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)) "
            f"SELECT s.email_key FROM r JOIN suppression s ON s.email_key >= r.lo AND s.email_key < r.hi{_AT_GMAIL}"
        )
        found = connection.exec_driver_sql(statement, (json.dumps(list(zip(prefixes, ends, strict=True))),)).scalars()
    named = set(let_through)
    hits: set[str] = set()
    for key in found:
        if key.endswith(mailbox.GMAIL):
            hits.update(w for w in wanted.get(mailbox.inbox(key), ()) if w != key or w not in named)
    return hits


def _code_point_order(connection: Connection) -> bool:
    """Whether the database orders text by code point: SQLite always; PostgreSQL under a C collation, not ICU."""
    if connection.dialect.name != "postgresql":
        return True
    known = connection.info.get("mailer_code_point_order")  # asked once per database connection
    if known is None:
        collation = connection.scalar(text("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        # A database made with ICU (PostgreSQL 15+) names C.UTF-8 here and sorts by ICU all the same, where
        # punctuation comes before letters and digits: "li{", the end of the range "liz", before "liz" (review
        # 27a). So the order is asked too: code points put "{" after "z", ":" after "9", capitals first.
        known = str(collation or "").split(".")[0].upper() in ("C", "POSIX") and bool(
            connection.exec_driver_sql("SELECT 'az' < 'a{' AND 'a9' < 'a:' AND 'B' < 'a'").scalar()
        )
        connection.info["mailer_code_point_order"] = known
    return bool(known)
