"""Email address cells: splitting "Jane Doe <jane@example.org>", and checking addresses fast.

email-validator is the judge of what an address is (syntax only, no DNS lookups), but it costs
about 17 µs per address: 17 s for a million-row list. So each distinct address is checked once,
and a vectorized pre-check (Arrow's RE2 regular expressions) accepts the plain ASCII addresses
that email-validator is certain to accept unchanged; only the doubtful rest (non-ASCII, capital
letters after the @, odd shapes, reserved names) goes to email-validator. tests/test_contacts_addresses.py
proves with hypothesis that the result is exactly email-validator's, address by address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailer.mailbox import ANGLE_CELL, DOUBTFUL, FAST_ADDRESS, INVISIBLE, MAILTO, MAX_ADDRESS_LENGTH, names_another, read, validate

if TYPE_CHECKING:
    import pyarrow as pa


_ANGLE_CELL = ANGLE_CELL  # "Jane Doe <jane@example.org>", '"Doe, Jane" <jane@example.org>', "<jane@example.org>"
_MAILTO = MAILTO
__all__ = [
    "FAST_ADDRESS",
    "GMAIL_SAME",
    "INVISIBLE",
    "MAX_ADDRESS_LENGTH",
    "MISSPELT",
    "PROVIDERS",
    "Verdict",
    "check",
    "fast_accepts",
    "inbox_key",
    "inbox_keys",
    "likely_domain",
    "misspelt_warning",
    "parse_cell",
    "split_cells",
    "typed_key",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    """email-validator's verdict on each of a set of distinct addresses.

    ``normalized`` holds the address to send to (email-validator's normalized form: domain
    lower-cased and IDNA-decoded, Unicode NFC), or null where the address is not valid;
    ``errors`` maps the position of each invalid address to email-validator's explanation.
    """

    normalized: pa.Array
    errors: dict[int, str]
    fast: int  # how many were accepted by the vectorized pre-check


def split_cells(cells: pa.Array, *, trimmed: bool = False) -> tuple[pa.Array, pa.Array]:
    """Display names and bare addresses of address cells, trimmed ("" where there is no name).

    Handles "Name <address>", quoted names, "mailto:" prefixes and surrounding spaces; a cell
    without angle brackets is all address. ``trimmed`` says the cells have no surrounding
    spaces already (a million-cell column is then not copied to trim it again).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not trimmed:
        cells = pc.utf8_trim_whitespace(cells)
    if pc.any(pc.match_substring(cells, "mailto:", ignore_case=True)).as_py():
        cells = pc.replace_substring_regex(cells, _MAILTO, "")
    angled = pc.match_substring(cells, "<")
    empty = pa.repeat(pa.scalar("", cells.type), len(cells))
    if not pc.any(angled).as_py():
        return empty, cells
    parts = pc.extract_regex(cells, _ANGLE_CELL)
    # A cell that is not "name <address>" (two "<", no ">") stays whole: the validator explains it.
    matched = pc.and_(angled, pc.is_valid(parts))
    names = pc.replace_substring_regex(parts.field("name"), r'^"(.*)"$', r"\1")
    addresses = pc.replace_substring_regex(parts.field("address"), _MAILTO, "")
    # Another address in the name ("anna@x.org, Bob <bob@y.org>") is two journalists: the cell stays
    # whole too (review 15s #2). Rare, so those few cells are looked at one by one.
    named_at = pc.and_(matched, pc.match_substring(names, "@")).fill_null(False)
    if pc.any(named_at).as_py():
        import numpy as np

        doubtful = np.flatnonzero(named_at.to_numpy(zero_copy_only=False))
        positions = pa.array(doubtful)
        two = [
            names_another(name, address)
            for name, address in zip(names.take(positions).to_pylist(), addresses.take(positions).to_pylist(), strict=True)
        ]
        if any(two):
            mask = np.zeros(len(cells), dtype=bool)
            mask[doubtful[np.array(two, dtype=bool)]] = True
            matched = pc.and_(matched, pc.invert(pa.array(mask)))
    return (
        pc.if_else(matched, pc.utf8_trim_whitespace(names), empty),
        pc.if_else(matched, addresses, cells),
    )


def parse_cell(cell: str) -> tuple[str, str]:
    """(display name, address) of one address cell; see split_cells."""
    import pyarrow as pa

    names, addresses = split_cells(pa.array([cell], type=pa.large_string()))
    return str(names[0].as_py()), str(addresses[0].as_py())


def fast_accepts(addresses: pa.Array) -> pa.Array:
    """True where email-validator certainly accepts the address and leaves it unchanged."""
    import pyarrow.compute as pc

    return pc.and_(
        pc.and_(
            pc.match_substring_regex(addresses, FAST_ADDRESS),
            pc.invert(pc.match_substring_regex(addresses, DOUBTFUL)),
        ),
        pc.less_equal(pc.utf8_length(addresses), MAX_ADDRESS_LENGTH),
    )


def check(addresses: pa.Array) -> Verdict:
    """Judge addresses: the fast path first, email-validator for the rest (each distinct one once)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fast = np.array(fast_accepts(addresses).to_numpy(zero_copy_only=False), dtype=bool)
    normalized = addresses
    # Capital letters after the @: email-validator lower-cases the domain and keeps the rest,
    # so an ASCII address whose domain-lowered form passes the fast path is valid as that form.
    retry = np.flatnonzero(~fast)
    if len(retry):
        candidates = addresses.take(pa.array(retry))
        parts = pc.extract_regex(candidates, r"^(?P<local>[^@]*)@(?P<domain>[^@]*)$")
        lowered = pc.binary_join_element_wise(parts.field("local"), pc.utf8_lower(parts.field("domain")), pa.scalar("@", addresses.type))
        lowered = pc.if_else(pc.and_(pc.is_valid(parts), pc.string_is_ascii(candidates)), lowered, candidates)
        now_fast = fast_accepts(lowered).to_numpy(zero_copy_only=False)
        if now_fast.any():
            mask = np.zeros(len(addresses), dtype=bool)
            mask[retry[now_fast]] = True
            normalized = pc.replace_with_mask(normalized, pa.array(mask), lowered.filter(pa.array(now_fast)))
            fast[retry[now_fast]] = True
    doubtful = np.flatnonzero(~fast)
    errors: dict[int, str] = {}
    replacements: list[str | None] = []
    seen: dict[str, tuple[str | None, str | None]] = {}
    for position, address in zip(doubtful.tolist(), addresses.take(pa.array(doubtful)).to_pylist(), strict=True):
        known = seen.get(address)
        valid, error = known if known is not None else seen.setdefault(address, validate(address))
        replacements.append(valid)
        if error is not None:
            errors[position] = error
    if len(doubtful):
        mask = np.zeros(len(addresses), dtype=bool)
        mask[doubtful] = True
        normalized = pc.replace_with_mask(normalized, pa.array(mask), pa.array(replacements, type=addresses.type))
    return Verdict(normalized=normalized, errors=errors, fast=int(fast.sum()))


def typed_key(text: str) -> tuple[str, str | None]:
    """The log's ``email_key`` for an address a person typed, and why it is not an address
    (``mailer.mailbox.read``: the one reading the events, the store and the list loader share)."""
    return read(text)


# Gmail reads jane.doe@, janedoe@ and jane.doe+press@ as one inbox, and googlemail.com is gmail.com (review 25l #8)
_GMAIL = r"^([^@]*)@(?:gmail|googlemail)\.com$"
GMAIL_SAME = "the same Gmail mailbox as {first}: Gmail ignores dots and what follows a +"


def inbox_keys(normalized: pa.Array) -> tuple[pa.Array, bool]:
    """One key per inbox of normalized addresses: lower-cased, and a Gmail address without the dots
    of its local part and what follows a + (at gmail.com, googlemail.com its other name); and
    whether any address is Gmail's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lowered = pc.utf8_lower(normalized)
    if not pc.any(pc.match_substring_regex(lowered, r"@(?:gmail|googlemail)\.com$")).as_py():
        return lowered, False
    gmail = pc.fill_null(pc.match_substring_regex(lowered, _GMAIL), False)
    local = pc.extract_regex(lowered, r"^(?P<local>[^+@]*)").field("local")
    inbox = pc.binary_join_element_wise(
        pc.replace_substring(local, ".", ""), pa.scalar("@gmail.com", lowered.type), pa.scalar("", lowered.type)
    )
    return pc.if_else(gmail, inbox, lowered), True


def inbox_key(address: str) -> str:
    """``inbox_keys`` of one address (lower-cased, a Gmail one without its dots and + part: ``mailbox.inbox``)."""
    from mailer import mailbox

    return mailbox.inbox(address.lower())


# Mail providers journalists (freelancers above all) use, in North America and Europe: an address
# one typing slip away from one of them ("gmail.con", "hotmial.com") is valid, so it is a recipient,
# but it bounces, and a bounce suppresses the journalist (newcomer 26 #4). Only names of 9
# characters or more are compared letter by letter: shorter ones ("live.com", "web.de") have real
# neighbours ("life.com"). The providers' own near neighbours (mail.com, ymail.com) are listed.
PROVIDERS = frozenset(
    {
        "aol.com", "bell.net", "cogeco.ca", "email.com", "free.fr", "gmail.com", "gmx.com", "gmx.de", "gmx.fr",
        "googlemail.com", "hotmail.ca", "hotmail.co.uk", "hotmail.com", "hotmail.fr", "icloud.com", "laposte.net",
        "live.ca", "live.com", "live.fr", "mac.com", "mail.com", "me.com", "msn.com", "orange.fr", "outlook.com",
        "outlook.fr", "proton.me", "protonmail.com", "rogers.com", "sfr.fr", "shaw.ca", "sympatico.ca", "telus.net",
        "videotron.ca", "wanadoo.fr", "web.de", "yahoo.ca", "yahoo.co.uk", "yahoo.com", "yahoo.fr", "ymail.com",
    }
)  # fmt: skip
_COMPARED = sorted(p for p in PROVIDERS if len(p) >= 9)
# Endings that are no top-level domain, each a slip on a key of the one meant.
_TLD_SLIPS = {"con": "com", "cmo": "com", "ocm": "com", "vom": "com", "xom": "com", "comm": "com", "coom": "com", "cpm": "com", "cim": "com", "nte": "net", "ogr": "org"}  # fmt: skip
MISSPELT = 'is "{domain}" a typo of {likely}?'


def likely_domain(domain: str) -> str | None:
    """The provider or ending a domain is most likely a typo of ("gmail.con" -> "gmail.com",
    "hotmial.com" -> "hotmail.com", "lapresse.con" -> "lapresse.com"); None when it looks right."""
    domain = domain.lower()
    if domain in PROVIDERS:
        return None
    stem, _, tld = domain.rpartition(".")
    if tld in _TLD_SLIPS and stem:
        return f"{stem}.{_TLD_SLIPS[tld]}"
    return next((provider for provider in _COMPARED if _one_slip(domain, provider) and not _other_country(domain, provider)), None)


def _other_country(typed: str, meant: str) -> bool:
    """Whether ``typed`` is the provider's own name under another country's ending: Hotmail and
    Outlook have one per country ("hotmail.gr" beside "hotmail.fr", "outlook.kr" beside
    "outlook.fr"), so a one-letter difference there is a real domain, not a slip (review 26x #2).
    "hotmail.co" beside "hotmail.com" still is: com is no country."""
    name, _, ending = typed.partition(".")
    their_name, _, their_ending = meant.partition(".")
    return name == their_name and len(ending.rsplit(".", 1)[-1]) == 2 and len(their_ending.rsplit(".", 1)[-1]) == 2


def _one_slip(typed: str, meant: str) -> bool:
    """Whether ``typed`` is ``meant`` with one letter wrong, missing, added, or two swapped."""
    if typed == meant or abs(len(typed) - len(meant)) > 1:
        return False
    if len(typed) == len(meant):
        diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]] and typed[diff[1]] == meant[diff[0]]
        )
    short, long = sorted((typed, meant), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


SHOWN_MISSPELT = 5  # addresses a send's plan names; `lists check` names every row


def misspelt_warning(emails: pa.Array) -> str | None:
    """The plan's warning for recipients whose domain is likely a typo (``likely_domain``):
    "2 addresses may be misspelt: luc@gmail.con (gmail.com?), ...", or None. Each distinct domain
    is judged once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(emails) == 0:
        return None
    domains = pc.replace_substring_regex(emails, r"^.*@", "")
    likely = {d: meant for d in pc.unique(domains).drop_null().to_pylist() if (meant := likely_domain(d)) is not None}
    if not likely:
        return None
    flagged = pc.filter(emails, pc.fill_null(pc.is_in(domains, value_set=pa.array(list(likely), domains.type)), False)).to_pylist()
    shown = ", ".join(f"{address} ({likely[address.rpartition('@')[2].lower()]}?)" for address in flagged[:SHOWN_MISSPELT])
    more = f" and {len(flagged) - SHOWN_MISSPELT:,} more" if len(flagged) > SHOWN_MISSPELT else ""
    many = "address may be" if len(flagged) == 1 else "addresses may be"
    return (
        f"{len(flagged):,} {many} misspelt: {shown}{more}. mailer lists check names their rows. An address that does not "
        "exist bounces, and a bounce suppresses the journalist."
    )
