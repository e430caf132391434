"""Substitution tokens: how a contact field sits in a release rendered once for everyone.

Token format: ``-~c.<field>.<context><n>~-``, e.g. ``-~c.first_name.h~-``. Why these
characters: ``-``, ``~``, ``.`` and ``_`` are unreserved in URLs (premailer/lxml leave them
alone, even inside href), are not HTML-special, contain no < > & or space (SendGrid's advice
for substitution tags), and ``-~`` ... ``~-`` does not occur in ordinary prose. The context
letter keeps the HTML, attribute, URL, text and subject versions of one field apart, because
each gets its value escaped differently:

    s  subject     raw, line breaks turned into spaces (no CR/LF reaches a header)
    t  text part   raw
    h  HTML text   & < > escaped, as lxml writes text
    a  attribute   & < > " ' escaped (lxml quotes an attribute holding " with ')
    u  URL (href/src)  also percent-encodes spaces, control and non-ASCII characters, as lxml does
    l  a whole link address (href/src starting with the field)  as u, and only an http, https,
       mailto or tel address, or one without a scheme: any other (javascript:, data:, ...)
       becomes "#", so a list cell cannot put a script in a link (review 11s)
    q  in a URL's query or fragment (after its ? or #)  every character but letters, digits and
       - . _ ~ percent-encoded, as a query value must be: an outlet "AT&T" or "Q&A Weekly" no longer
       cuts ?o=...&b=... in two (unless the release already applies ``| urlencode``: then u)
    v  a URL in the text part's list of links  percent-encoded as u, not HTML-escaped: the
       address a plain-text reader follows is the one the HTML links to (review 17c #7)
    w  a whole link address in that list  as l, for the text part
    r  a query value in that list  as q, for the text part

``<n>`` numbers variants of one field (a ``default`` or another filter). Personalizing is a
single pass over the pre-split text, so the order of substitutions does not matter and a value
that happens to contain another token is never substituted again. SendGrid, though, fills in a
tag it finds inside a value ("up to 4 nested substitutions"), so every value is ``defuse``d first:
an invisible WORD JOINER inside each ``-~``, and no value holds a tag (review 23a #5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from jinja2 import filters as jinja_filters

from mailer.compose import active
from mailer.errors import TemplateError
from mailer.linebreaks import LINE_BREAKS
from mailer.models import Token

_SUBJECT_BREAKS = re.compile("\r\n|[" + re.escape(LINE_BREAKS) + "]")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
TOKEN = re.compile(r"-~c\.[A-Za-z0-9_]+\.[sthaulqvwr]\d*~-")
UNSUBSCRIBE_PLACEHOLDER = "-~unsubscribe~-"
# Filters that can be applied to each journalist's value after rendering.
VALUE_FILTERS: dict[str, Callable[[str], str]] = {
    "upper": jinja_filters.do_upper,
    "lower": jinja_filters.do_lower,
    "title": jinja_filters.do_title,
    "capitalize": jinja_filters.do_capitalize,
    "trim": jinja_filters.do_trim,
    "urlencode": jinja_filters.do_urlencode,
}
WHOLE_CONTACT_HINT = 'For example {{ contact.first_name }} or {{ contact.outlet | default("your outlet") }}.'
# fmt: off
CONTEXTS = {
    "s": "subject", "t": "text", "h": "html", "a": "attribute", "u": "url", "l": "link", "q": "query",
    "v": "text_url", "w": "text_link", "r": "text_query",
}
# fmt: on
LETTERS = {name: letter for letter, name in CONTEXTS.items()}


def _line_breaks(value: str) -> str:
    """lxml's parser turns CR and CRLF into LF and NUL into U+FFFD; do the same."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def escape_subject(value: str) -> str:
    """Each line break (CRLF, or any of ``linebreaks.LINE_BREAKS``) made a space: a subject is one line."""
    return _SUBJECT_BREAKS.sub(" ", value)


def escape_text(value: str) -> str:
    return value


def escape_html(value: str) -> str:
    return _line_breaks(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    """Both quotes escaped: lxml writes an attribute whose text holds a double quote (an alt text
    such as 'The "Bee Census" poster') between single quotes, where a journalist's apostrophe
    ("L'Express") would end it, and a cell could add an attribute of its own (review 17c #1)."""
    return escape_html(value).replace('"', "&quot;").replace("'", "&#39;")


_URL_UNSAFE = re.compile("[^\x21-\x7e]")  # controls, space and beyond ASCII: [\x00-\x20\x7f-\U0010ffff], 40x quicker to compile


def escape_url(value: str) -> str:
    return escape_attribute(escape_text_url(value))


def escape_text_url(value: str) -> str:
    """Spaces, controls and non-ASCII percent-encoded (UTF-8), as lxml writes an href; nothing HTML-escaped."""
    value = _line_breaks(value)
    if _URL_UNSAFE.search(value):
        value = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), value)
    return value


def escape_query(value: str) -> str:
    """Every character but ASCII letters, digits and ``-._~`` percent-encoded (UTF-8), as a value in
    a URL's query or fragment must be (RFC 3986 section 3.4): nothing is left to HTML-escape."""
    return quote(value, safe="")


# Every attribute a browser follows as an address, as the template check reads them: xlink:href of an
# SVG link, a button's formaction, an animation's values took a cell's "javascript:..." as it was
# (review 25k #7: only href, src, action and background counted).
URL_ATTRIBUTES = active.ADDRESSES


def context_at(html: str, position: int) -> str | None:
    """html, attribute, url, link (a URL attribute's start) or query (after the URL's ? or #) for a
    position in HTML as lxml or markdown-it write it; None inside style/script/CSS."""
    opened = html.rfind("<", 0, position)
    closed = html.rfind(">", 0, position)
    if opened > closed:  # inside a tag: which attribute?
        tag = html[opened:position]
        value_at = max(tag.rfind('="'), tag.rfind("='"))
        name = tag[:value_at].rsplit(" ", 1)[-1].lower()
        if name == "style":
            return None
        if name not in URL_ATTRIBUTES:
            return "attribute"
        address = tag[value_at + 2 :]
        if name == "values":
            address = address.rsplit(";", 1)[-1]  # one address of the animation's list
        if not address.strip():
            return "link"  # the field is the whole address, or starts it (blanks around it are trimmed)
        return "query" if "?" in address or "#" in address else "url"
    element = html[html.rfind("<", 0, closed + 1) + 1 : closed].split(" ", 1)[0].lower()
    return None if element in ("style", "script") else "html"


def text_context(url: str, position: int) -> str:
    """text_link, text_url or text_query for a field at ``position`` of a link in the text part's list."""
    if position == 0:
        return "text_link"
    return "text_query" if "?" in url[:position] or "#" in url[:position] else "text_url"


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")  # as a browser reads one at an address's start
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def escape_link(value: str) -> str:
    """A whole link address from a contact field: as ``escape_url``, and "#" for any scheme but
    LINK_SCHEMES. Escaping leaves only ASCII letters, digits and ``+.-:`` as they are, so the
    scheme a browser would see is the one this reads (a space or tab before it is encoded)."""
    return "#" if _bad_scheme(value) else escape_url(value)


def escape_text_link(value: str) -> str:
    """``escape_link`` for the text part's list of links: "#" for a scheme a link may not have."""
    return "#" if _bad_scheme(value) else escape_text_url(value)


def _bad_scheme(value: str) -> bool:
    scheme = _SCHEME.match(value)
    return scheme is not None and scheme.group(1).lower() not in LINK_SCHEMES


# Where a value would hold the opening of a tag: SendGrid fills in a tag it finds inside a
# substituted value ("You can have up to 4 nested substitutions", SendGrid's Substitution Tags
# page), so a cell reading -~c.outlet.t~- put another field's raw text value into the HTML,
# unescaped, where the proof showed the cell as written (review 23a #5).
TAG_OPENING = "-~"
WORD_JOINER = "\u2060"  # invisible, and never part of a tag


def defuse(value: str) -> str:
    """``value`` without the opening of a tag: a WORD JOINER inside each ``-~``, which no reader
    sees, so no value SendGrid substitutes holds a tag it would fill in again."""
    return value.replace(TAG_OPENING, "-" + WORD_JOINER + "~") if TAG_OPENING in value else value


def _defused(escape: Callable[[str], str]) -> Callable[[str], str]:
    def apply(value: str) -> str:
        return escape(value.replace(TAG_OPENING, "-" + WORD_JOINER + "~") if TAG_OPENING in value else value)

    return apply


# Text escaped for a place (a value already defused, or a token itself).
PLACE_ESCAPES: dict[str, Callable[[str], str]] = {
    "subject": escape_subject,
    "text": escape_text,
    "html": escape_html,
    "attribute": escape_attribute,
    "url": escape_url,
    "link": escape_link,
    "text_url": escape_text_url,
    "text_link": escape_text_link,
    "query": escape_query,
    "text_query": escape_query,
}
# A journalist's value, escaped for where its token sits (and never holding a tag).
ESCAPES: dict[str, Callable[[str], str]] = {context: _defused(escape) for context, escape in PLACE_ESCAPES.items()}


class Recorder:
    """Hands out tokens while one part (subject, text or HTML) renders, and remembers them."""

    def __init__(self, context: str, tokens: dict[str, Token]) -> None:
        self.letter = LETTERS[context]
        self.context = context
        self.tokens = tokens

    def token(self, field: str, steps: tuple[tuple[str, str], ...]) -> str:
        for existing, spec in self.tokens.items():
            if spec.field == field and spec.steps == steps and spec.context == self.context:
                return existing
        variants = sum(1 for spec in self.tokens.values() if spec.field == field and spec.context == self.context)
        name = f"-~c.{field}.{self.letter}{variants or ''}~-"
        self.tokens[name] = Token(field=field, context=self.context, steps=steps)
        return name


class FieldRef:
    """``contact.NAME`` while rendering once: prints as a token, never as a value."""

    __slots__ = ("field", "recorder", "steps")

    def __init__(self, recorder: Recorder, field: str, steps: tuple[tuple[str, str], ...] = ()) -> None:
        self.recorder = recorder
        self.field = field
        self.steps = steps

    def then(self, step: str, argument: str = "") -> FieldRef:
        return FieldRef(self.recorder, self.field, (*self.steps, (step, argument)))

    def __str__(self) -> str:
        return self.recorder.token(self.field, self.steps)

    def __html__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        raise TemplateError(
            f"contact.{self.field} is used in a condition; each journalist's values are filled in "
            "after rendering, so a template cannot branch on them.",
            hint=f'Use {{{{ contact.{self.field} | default("...") }}}} instead.',
        )


class ContactFields:
    """The ``contact`` a template sees while rendering once: any field name gives a FieldRef."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def __str__(self) -> str:
        raise TemplateError("contact is printed as a whole; write one field, contact.NAME.", hint=WHOLE_CONTACT_HINT)

    def __getattr__(self, name: str) -> FieldRef:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> FieldRef:
        if not FIELD_NAME.match(name):
            raise TemplateError(f'"{name}" is not a contact field name (letters, digits and _ only).')
        return FieldRef(self._recorder, name)

    def spaced(self, token: str, spaces: str, *, before: bool) -> str:
        """``token`` with the ``spaces`` written before it (or, ``before`` False, after it), as one token when
        its value may be empty (a default of ""): the spaces go with the value, and none is left over where
        there is none ("Dear {{ contact.title | default("") }}," reads "Dear," not "Dear ,": edges 28)."""
        spec = self._recorder.tokens.get(token)
        if spec is None or not may_be_empty(spec):
            return spaces + token if before else token + spaces
        return self._recorder.token(spec.field, (*spec.steps, ("lead" if before else "trail", spaces)))


def filter_overrides() -> dict[str, Callable[..., Any]]:
    """Jinja filters that, given a FieldRef, record the step instead of applying it."""

    def default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
        if isinstance(value, FieldRef):
            return value.then("default_if_empty" if boolean else "default", str(default_value))
        return jinja_filters.do_default(value, default_value, boolean)

    def value_filter(name: str) -> Callable[..., Any]:
        original = VALUE_FILTERS[name]

        def apply(value: Any, *args: Any) -> Any:
            if isinstance(value, FieldRef):
                if args:
                    raise TemplateError(f"contact.{value.field} | {name}(...) cannot take arguments here.")
                return value.then(name)
            return original(value, *args)

        return apply

    overrides: dict[str, Callable[..., Any]] = {"default": default, "d": default}
    overrides.update({name: value_filter(name) for name in VALUE_FILTERS})
    return overrides


class Missing(Exception):
    """A journalist lacks a field that is used without a default."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def prepare(field: str, steps: tuple[tuple[str, str], ...], value: str | None) -> str:
    """Apply a token's defaults and filters to a field value (None when the journalist lacks it)."""
    for step, argument in steps:
        if step == "default":
            value = argument if value is None else value
        elif step == "default_if_empty":
            value = value if value else argument
        elif step in ("lead", "trail"):  # the spaces around a value that may be empty (ContactFields.spaced)
            if value is None:
                raise Missing(field)
            value = (argument + value if step == "lead" else value + argument) if value else value
        else:
            if value is None:
                raise Missing(field)
            value = str(VALUE_FILTERS[step](value))
    if value is None:
        raise Missing(field)
    return value


def may_be_empty(spec: Token) -> bool:
    """True when a journalist without this field gets nothing (or spaces) in its place: a default of ""."""
    try:
        return not prepare(spec.field, spec.steps, None).strip()
    except Missing:
        return False


def needs_value(spec: Token) -> bool:
    """True when a journalist without this field would get an empty hole (no default first)."""
    return not spec.steps or not spec.steps[0][0].startswith("default")


@dataclass(frozen=True, slots=True)
class Split:
    """A part split once at its tokens: literal, token, literal, token, ..., literal."""

    chunks: tuple[str, ...]

    def fill(self, values: Mapping[str, str]) -> str:
        chunks = list(self.chunks)
        for index in range(1, len(chunks), 2):
            chunks[index] = values[chunks[index]]
        return "".join(chunks)


def split(text: str, tokens: Collection[str]) -> Split:
    """Cut ``text`` at every known token (unknown token-like text stays literal)."""
    if not tokens:
        return Split((text,))
    pattern = re.compile("(" + "|".join(re.escape(token) for token in sorted(tokens, key=len, reverse=True)) + ")")
    return Split(tuple(pattern.split(text)))
