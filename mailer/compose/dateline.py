"""Where the dateline ("Riverbend, ST – February 19, 2026 –") goes: the paragraph that opens the
release's own text, chosen once from the Markdown tokens for the HTML and the plain-text part.

Passed over: a paragraph holding only pictures (a logo), a greeting that opens the release
("Dear {{ contact.first_name }},", "Bonjour Madame, Monsieur,", a salutation column from the
list: nc9 #2, the dateline was glued in front of it), and quotations or list items (someone
else's words, a bullet point).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

__all__ = ["at", "only_images"]

GREETING_ENDS = (",", "،", "，", "、", ":", "：")  # Latin, Arabic, full-width and ideographic commas; colons
GREETING_WORDS = 8  # at most


def at(tokens: Sequence[Token], *, field: re.Pattern[str]) -> int | None:
    """The index of the inline token of the paragraph the dateline opens, or None (no paragraph).

    ``field`` matches the placeholder a contact field stands as in the tokens: a paragraph of
    fields alone, short, is taken for a greeting from the list. Only top-level paragraphs count
    (a body of quotations and lists alone gets the dateline standing alone first); a greeting with
    nothing after it still gets it.
    """
    return _first(tokens, field=field)


def _first(tokens: Sequence[Token], *, field: re.Pattern[str]) -> int | None:
    greeting: int | None = None
    for index, token in enumerate(tokens):
        opening = tokens[index - 1] if index else None
        if token.type != "inline" or opening is None or opening.type != "paragraph_open" or opening.hidden:
            continue
        if opening.level:  # inside a quotation or a list item: someone else's words, a bullet point
            continue
        children = token.children or []
        if only_images(children):
            continue
        if greeting is None and _greeting(children, field):
            greeting = index
            continue
        return index
    return greeting


def _greeting(children: Sequence[Token], field: re.Pattern[str]) -> bool:
    """One short line ending in a comma or colon, or made of contact fields alone."""
    if any(child.type in ("softbreak", "hardbreak", "image") for child in children):
        return False
    words = "".join(child.content for child in children if child.type in ("text", "code_inline")).split()
    if not 0 < len(words) <= GREETING_WORDS:
        return False
    return words[-1].endswith(GREETING_ENDS) or all(field.fullmatch(word) for word in words)


def only_images(children: Sequence[Token]) -> bool:
    """A paragraph holding nothing but images (a logo, a photo)."""
    kinds = {child.type for child in children if not (child.type == "text" and not child.content.strip())}
    return bool(kinds) and kinds <= {"image", "softbreak", "hardbreak"}
