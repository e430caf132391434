"""One mailbox however it is spelt: the delivery log's ``email_key``.

A journalist's address reaches the log from a list row, from a person typing it (`mailer
suppressions add`, `mailer forget`, `mailer contact`), from SendGrid's events and from its
suppression lists, and each may spell the same mailbox differently: "Jane Doe
<Jane@Example.org>", "mailto:jane@example.org", "ben@xn--bcher-kva.example" for
"ben@bücher.example" (the domain's ASCII form), "ANA@DAILY.EXAMPLE." (the domain fully
qualified), a zero-width space pasted around it. Suppressions, erasures and look-ups compare
``email_key`` values, so every one of those paths keys the address here, the way the list loader
keys a list row: email-validator's normalized form (domain lower-cased and IDNA-decoded,
Unicode NFC), lower-cased (review 11s: an unsubscribe event spelt "ben@xn--bcher-kva.example"
suppressed nobody, and the next send mailed "ben@bücher.example").

``key`` is for text from elsewhere (events, SendGrid's lists, the store): it never refuses, and
it is cheap for the usual plain address, which the webhook meets in every event. ``read`` is
for text a person typed, and says why it is not an address.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

__all__ = [
    "INVISIBLE",
    "inbox",
    "key",
    "mentions",
    "names",
    "names_another",
    "names_file",
    "plainly_valid",
    "read",
    "scrub",
    "sendable",
    "validate",
]

# Invisible characters a cell pasted from a web page or a word processor carries around an address
# (zero-width space, non-joiner, joiner, word joiner, byte-order mark, and Word's soft hyphen:
# review 17): never part of an address.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# "Jane Doe <jane@example.org>", '"Doe, Jane" <jane@example.org>', "<jane@example.org>". No "<" or ">"
# in the name: "Anna <anna@x.org>, Bob <bob@y.org>" is two addresses, not Bob named "Anna <anna@x.org>,"
# (newcomer 14 #8: Anna was dropped without a word); left whole, the validator refuses it. Nor another
# address in the name: "anna@x.org, Bob <bob@y.org>" is two addresses too (review 15s #2; see
# ``names_another``), though Outlook's "jane@x.org <jane@x.org>" is one.
ANGLE_CELL = r"^\s*(?P<name>[^<>]*?)\s*<\s*(?P<address>[^<>]*?)\s*>\s*$"
MAILTO = r"^(?i:mailto):\s*"
_ANGLE = re.compile(ANGLE_CELL, re.DOTALL)
_MAILTO = re.compile(MAILTO)

# RFC 5322 atext, as email_validator.rfc_constants.ATEXT: the characters of an unquoted local part.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# Dot-atom local part @ two or more lower-case LDH labels, the last starting and ending with a letter:
# addresses email-validator certainly accepts, unchanged (tests/test_contacts_addresses.py proves it
# with hypothesis), unless DOUBTFUL also matches or they are longer than MAX_ADDRESS_LENGTH. Written
# for Arrow's RE2 (contacts/addresses.py) and Python's ``re`` alike.
FAST_ADDRESS = rf"^[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z])?$"
# Shapes the fast path leaves to email-validator even when FAST_ADDRESS matches:
DOUBTFUL = r"[@.][a-z0-9][a-z0-9-]--|\.(?:arpa|invalid|local|localhost|onion|test)$|^(?i:info|marketing|sales|support|abuse|noc|security|postmaster|hostmaster|usenet|news|webmaster|www|uucp|ftp)@"
MAX_ADDRESS_LENGTH = 254  # RFC 5321 4.5.3.1.3, as email-validator counts it


def plainly_valid(address: str) -> bool:
    """True when email-validator certainly accepts ``address`` and leaves it as it is (a plain ASCII
    address, lower-case domain): what a caller then needs of it is known without importing
    email-validator, about 30 ms of every command's start (issue 12). False: ask email-validator."""
    fast, doubtful = _plain_patterns()
    return len(address) <= MAX_ADDRESS_LENGTH and fast.fullmatch(address) is not None and doubtful.search(address) is None


@lru_cache(maxsize=1)
def _plain_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(FAST_ADDRESS), re.compile(DOUBTFUL)


def validate(address: str) -> tuple[str | None, str | None]:
    """(normalized address, None) when valid, else (None, why) in email-validator's words.

    Invisible characters (``INVISIBLE``) before or after the address are dropped first (nc9: a
    zero-width space pasted with an address refused the journalist); inside it they still refuse it."""
    address = address.strip(INVISIBLE)
    if plainly_valid(address):
        return address, None
    from email_validator import EmailNotValidError, validate_email

    if "\uff20" in address or _FULL_WIDTH.search(address.rpartition("@")[0]):
        return None, _full_width(address)
    if len(address) > _FAR_TOO_LONG:  # a pasted paragraph: email-validator took 40 s and 3 GB over 200 MB (review 17 #4)
        return None, f"{len(address):,} characters: an email address has at most 254."
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, _what_to_do(address, str(exc))
    return result.normalized, None


# Full-width forms (U+FF01-FF5E), as a Japanese, Chinese or Korean input method types them:
# "ｊａｎｅ@x.example" is valid to email-validator, but no one's mailbox; jane@x.example is
# (review 17 #5). In the domain they are harmless: IDNA reads "x．example" as x.example.
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")


def _full_width(address: str) -> str:
    """Why an address typed in full-width characters is refused, and the address meant."""
    meant = unicodedata.normalize("NFKC", address)
    if meant.isascii():
        return f"typed in full-width characters: retype it as {meant}"
    return "typed in full-width characters: retype it in ordinary (half-width) letters"


_FAR_TOO_LONG = 1000  # characters: no address is a quarter as long (RFC 5321: 254)
_TWO_ADDRESSES = re.compile(r"@.*[,;/\s].*@")
_ANGLED = re.compile(r"<\s*([^<>@\s]+@[^<>\s]+)\s*>")
# Something shaped like an address in a display name (no spaces, brackets, quotes or separators).
_ADDRESS_LIKE = re.compile(r"(?:mailto:)?([^\s<>,;:\"'()\[\]@]+@[^\s<>,;:\"'()\[\]@]+)", re.IGNORECASE)


def names_another(name: str, address: str) -> bool:
    """Whether the display name ``name`` of a "name <address>" cell holds an address other than
    ``address``: "anna@daily.example, Bob Stone" before "<bob@gazette.example>" is two journalists
    in one cell, not Bob named after Anna's address (review 15s #2: Anna was dropped without a
    word). A name that is the address itself (Outlook's "jane@x.org <jane@x.org>") is not."""
    if "@" not in name:
        return False
    own = address.strip().strip(INVISIBLE).rstrip(".").lower()
    return any(found.rstrip(".").lower() != own for found in _ADDRESS_LIKE.findall(name))


# Outlook exports a colleague on the same Exchange server by its X.500 address (review 17).
_EXCHANGE = re.compile(r"/o=[^/]*/ou=", re.IGNORECASE)
# "Jane Doe jane@x.org": a name typed before the address, without the brackets (review 17).
_NAME_FIRST = re.compile(r"([^@<>\s][^@<>]*?)\s+([^\s@<>]+@[^\s@<>]+)")
_BRACKETED = re.compile(r"\(.*\)|\[.*\]")
_TRAILING = re.compile(r"[,;:.]+$")


def _what_to_do(address: str, why: str) -> str:
    """email-validator's explanation, after what to do in plain words for the mistakes press lists
    are full of (newcomer 11: "invalid characters: ',', '@', SPACE" for two addresses in a cell)."""
    if _EXCHANGE.match(address):
        return (
            "an Outlook (Exchange) address inside your organization, not an email address: "
            "type the address in the spreadsheet (Outlook shows it in the contact's card)"
        )
    angled = _ANGLED.findall(address)
    named = list(dict.fromkeys([*_ADDRESS_LIKE.findall(_ANGLED.sub(" ", address)), *angled])) if angled else []
    if len(named) > 1:  # "Anna <anna@x.org>, Bob <bob@y.org>": email-validator's words would be about the names
        ordered = sorted(named, key=address.find)
        return f"two addresses in one cell ({', '.join(ordered)}): give each journalist's address its own row"
    if _TWO_ADDRESSES.search(address):
        return f"two addresses in one cell: give each journalist's address its own row ({why})"
    if _BRACKETED.search(address) and "@" in _BRACKETED.sub("", address):  # not a formula's brackets (nc11b)
        return f"text in brackets beside the address: keep only the address ({why})"
    corrected = _typo(address, why)
    if corrected is not None:
        return corrected
    name_first = _NAME_FIRST.fullmatch(address)
    if name_first is not None and any(char.isalpha() for char in name_first.group(1)):
        name, bare = name_first.groups()
        if " " not in name and name == name.lower():  # "liam wilson@x.org": a full stop typed as a space (newcomer 25 #6)
            local, _, domain = bare.partition("@")
            return (
                f"a space inside the address: check it with the journalist ({name}.{local}@{domain}, {name}{local}@{domain} "
                f"or {bare}?) ({why})"
            )
        return f"a name before the address: keep only the address, or write it as {name} <{bare}> ({why})"
    if "?" in address and "@" in address.split("?", 1)[0]:
        return f'"?{address.split("?", 1)[1]}" after the address (a mailto: link\'s subject?): remove it ({why})'
    trailing = _TRAILING.search(address)
    if trailing is not None and "@" in address:
        return f'"{trailing.group(0)}" at the end: remove it ({why})'
    return why


_QUOTES = "\"'“”‘’«»„"


def _typo(address: str, why: str) -> str | None:
    """What to change in an address Word or a hurried hand mistyped, when the change gives a valid
    address (newcomer 25 #6: email-validator's "Codepoint U+201D at position 3 of 'au”' not allowed"
    for quotation marks around it, "invalid characters: ','" for a comma in place of a full stop)."""
    fixes = []
    if len(address) > 2 and address[0] in _QUOTES and address[-1] in _QUOTES:
        fixes.append(("in quotation marks: remove them", address[1:-1].strip()))
    local, at, domain = address.rpartition("@")
    if at and "," in domain and "@" not in local:
        fixes.append(("a comma where a full stop belongs", f"{local}@{domain.replace(',', '.')}"))
    for words, meant in fixes:
        if validate(meant)[0] is not None:
            return f"{words}: {meant} ({why})"
    return None


def read(text: str) -> tuple[str, str | None]:
    """The log's ``email_key`` for an address a person typed, and why it is not an address.

    Reads the address the way list cells are read ("Jane Doe <Jane@Example.org>", "mailto:",
    spaces, invisible characters around it), drops the one dot that fully qualifies a domain
    ("jane@example.org."), normalizes it as email-validator does for list rows and lower-cases
    it, as ``Contact.email_key`` does: so "JANE@EXAMPLE.ORG" and "jane@xn--bcher-kva.de" find the
    rows "jane@example.org" and "jane@bücher.de". Returns (key, None) for an address; (the
    address part trimmed and lower-cased, email-validator's explanation) for anything else.
    """
    cell = _MAILTO.sub("", text.strip().strip(INVISIBLE).strip())
    angled = _ANGLE.match(cell)
    if angled and names_another(angled.group("name"), _MAILTO.sub("", angled.group("address"))):
        angled = None  # two addresses: left whole, the validator refuses it
    address = _MAILTO.sub("", angled.group("address")) if angled else cell
    address = address.strip().strip(INVISIBLE)
    local, at, domain = address.rpartition("@")
    if at and domain.endswith(".") and not domain.endswith(".."):
        address = f"{local}@{domain[:-1]}"  # the root of DNS: "example.org." is example.org
    normalized, why = validate(address)
    if normalized is None:
        return address.strip().lower(), why
    return normalized.lower(), None


def key(text: str) -> str:
    """The ``email_key`` of an address from anywhere (an event, SendGrid's lists, a stored key).

    Never refuses: text that is no address is keyed trimmed and lower-cased (it then matches no
    list row). A plain ASCII address (most of them) is its own key once lower-cased, without
    asking email-validator (about 17 µs an address); the rest are read as ``read`` reads them.
    """
    low = text.strip().lower()
    if low.isascii() and "<" not in low and ":" not in low and '"' not in low and "xn--" not in low and not low.endswith("."):
        return low
    return _spelt_otherwise(text)


def sendable(address: str) -> str:
    """``address`` as a request to SendGrid carries it: a domain written in Unicode (the form the
    log and the reports keep, ``read``) goes in its ASCII form, "ben@xn--bcher-kva.example" for
    "ben@bücher.example" (email-validator's ``ascii_email``). Both name the same mailbox (RFC 5890:
    the A-label and the U-label of a domain are equivalent), but a Unicode domain can travel only
    where every server on the way speaks SMTPUTF8 (RFC 6531), and SendGrid drops addresses it does
    not take after answering 202 (sendgrid-ruby#91, sendgrid-csharp#656; SENDGRID.md is silent).
    A local part outside ASCII ("josé@...") has no ASCII form and goes as it is; so does text
    email-validator refuses (the list loader has already refused such rows)."""
    return address if address.isascii() else _ascii_domain(address)  # per journalist: no cache look-up for a plain address


@lru_cache(maxsize=4096)
def _ascii_domain(address: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        ascii_form = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError:
        return address
    return ascii_form or address


@lru_cache(maxsize=4096)
def _spelt_otherwise(text: str) -> str:
    found, why = read(text)
    return text.strip().lower() if why is not None else found


# Gmail delivers jane.doe@, janedoe@ and jane.doe+press@ to one inbox, and googlemail.com is
# gmail.com (review 25l #8); the lists count those as one journalist (contacts.loader.mailbox_keys).
_GMAIL = re.compile(r"^([^@+]*)(?:\+[^@]*)?@(?:gmail|googlemail)\.com$")
# How a Gmail address's key ends: the addresses ``inbox`` folds (``key.endswith(GMAIL)``; in SQL, LIKE '%' + each).
GMAIL = ("@gmail.com", "@googlemail.com")


def inbox(address_key: str) -> str:
    """The inbox an ``email_key`` reaches: a Gmail address without the dots of its name and what
    follows a +, at gmail.com; any other address is itself. What a suppression under one spelling
    of a Gmail inbox keeps out under another (review 25x: an unsubscribe as jane.doe@gmail.com, and
    the next list's janedoe@gmail.com was mailed)."""
    found = _GMAIL.match(address_key)
    return f"{found.group(1).replace('.', '')}@gmail.com" if found else address_key


def mentions(address_key: str) -> tuple[str, ...]:
    """The lower-cased spellings of the address ``address_key`` (a ``key``) that a text may hold:
    as keyed, with the @ percent-encoded (a link's query: ``?who=ben%40gazette.example``), with
    the domain's ASCII form when it has another (``ben@xn--bcher-kva.example``), and with its
    letters beyond ASCII escaped as ASCII JSON and Python keep them (``ben@b\\u00fccher.example``,
    ``ben@b\\xfccher.example``: the quarantine's raw text; review 12b #9). What a database looks
    for (``LIKE``) before ``scrub`` reads each text it found."""
    return tuple(dict.fromkeys(f"{local}{at}{domain}" for local, domain in _parts(address_key) for at in ("@", "%40")))


def scrub(text: str, address_key: str, instead: str) -> str:
    """``text`` with each mention of the address ``address_key`` (a ``key``; in any case, in the
    spellings ``mentions`` gives) replaced by ``instead``; one in brackets, "(ben@gazette.example)",
    as a whole, so no "((forgotten))". Never part of a longer address: reuben@gazette.example,
    o'ben@gazette.example (review 12b #2: "o'(forgotten)") and ben@gazette.example.com stay. Part of
    ``mailer forget`` (review 12a: a refused request's error, naming one journalist, is logged on
    every journalist of the request)."""
    return _mention(address_key).sub(instead, text) if text else text


def names(text: str, address_key: str) -> bool:
    """Whether ``text`` mentions the address ``address_key`` as ``scrub`` finds it: not as part of a
    longer address (forgetting brien@paper.example leaves o'brien@paper.example's texts alone)."""
    return bool(text) and _mention(address_key).search(text) is not None


# What a file name holds around an address: a dry run's "0001-0002-" (request, position) before it,
# a suffix after it ("jane@example.org.eml").
_FILE_NAME_AROUND = re.compile(r"^\d{4}-\d{4}-|\.(?:eml|html|txt|json|csv)$", re.IGNORECASE)


def names_file(path: str, address_key: str) -> bool:
    """Whether one of the parts of the file path ``path`` names the address ``address_key`` as
    ``names`` finds it: 0001-0003-ben@gazette.example.eml does, 0001-0003-reuben@gazette.example.eml
    does not (review 13 #11: forgetting ben@ deleted reuben@'s dry-run email)."""
    return any(names(_FILE_NAME_AROUND.sub("", part), address_key) for part in re.split(r"[/\\]", path))


def _parts(address_key: str) -> list[tuple[str, str]]:
    """(local part, domain) of the address, the domain as keyed and in its ASCII (IDNA) form; and,
    for one that is not ASCII, as escaped ASCII text keeps it: JSON's "b\\u00fccher" (the quarantine
    keeps unreadable events as ASCII JSON; review 12b #9) and Python's "b\\xfccher"."""
    local, _, domain = address_key.rpartition("@")
    found = [(local, domain)]
    if not domain.isascii():
        try:
            found.append((local, domain.encode("idna").decode("ascii").lower()))
        except UnicodeError:
            pass
    for spelt_local, spelt_domain in list(found):
        if not (spelt_local + spelt_domain).isascii():
            found.extend((escape(spelt_local), escape(spelt_domain)) for escape in _ESCAPES)
    return list(dict.fromkeys(found))


def _json_escaped(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)[1:-1]


def _python_escaped(text: str) -> str:
    return text.encode("ascii", "backslashreplace").decode("ascii")


_ESCAPES = (_json_escaped, _python_escaped)

# RFC 5322 lets a local part hold these too ("o'brien", "r&d", "jo{s}"): one that follows a character
# of a local part continues a longer address. Before an address they are only punctuation ('quoted').
# "/", "=" and "?" are left out: in a link they end the path or the query's name ("?who=ben%40...").
_ATEXT_SYMBOLS = "!#$%&'*^`{|}~"


@lru_cache(maxsize=64)
def _mention(address_key: str) -> re.Pattern[str]:
    spelt = "|".join(f"{re.escape(local)}(?:@|%40){re.escape(domain)}" for local, domain in _parts(address_key))
    symbols = re.escape(_ATEXT_SYMBOLS)
    # Not after a character of a local part, nor before one of a domain (a longer address).
    bare = rf"(?<![\w.+-])(?<![\w.+\-/=?{symbols}][{symbols}])(?:{spelt})(?![\w-]|\.[\w-])"
    return re.compile(rf"\({bare}\)|{bare}", re.IGNORECASE)
