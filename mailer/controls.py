"""Characters of contact and event data a screen would act on, shown as escapes wherever a person
reads that data: the terminal (``cli.output``) and the cells of the HTML report (``reports.page``).

Names, outlets and subjects come from lists and releases, bounce reasons and user agents from
receiving mail servers and SendGrid: an escape sequence in one may move a terminal's cursor or
recolour it, a bidirectional override (U+202E) reorders what follows it on a terminal and in a
browser ("\u202eevil" reads "live"). One rule for both, so the page shows what the terminal shows.
Knows no other part of mailer.
"""

from __future__ import annotations

import re

__all__ = ["SHOWN_AS_THEY_ARE", "one_line", "visible"]

# Not "printable" to Python, yet only spaces or joiners to a terminal, and part of how names and
# subjects are written: the no-break spaces of French typography ("Communiqué : ...") and of
# spreadsheet exports, the ideographic space between a Japanese family and given name, the
# joiners of Persian and Indic names and of emoji, the soft hyphen. Shown as "\xa0", "\u3000"
# they garbled the journalist's name (review 18r #3). Bidirectional controls are not among them:
# they reorder what follows them, so they stay shown as "\u202e".
# The zero-width space and word joiner part the words of Thai, Khmer, Lao and Burmese as they are
# written online (review 21 #2: a Thai outlet's name read "...\u200b..." in the report page).
SHOWN_AS_THEY_ARE = frozenset(
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"  # spaces (Zs)
    "\u200c\u200d\u00ad"  # zero-width non-joiner and joiner, soft hyphen
    "\u200b\u2060"  # zero-width space, word joiner
)

# The flags of Scotland, England and Wales (and any region's): a black flag, the region's code in
# tag characters (two letters, then one to three letters or digits), a cancel tag (Unicode TR 51,
# emoji tag sequences). Kept as written; tag characters anywhere else are invisible text, shown
# as escapes (review 21 #2: "The National \U0001f3f4\U000e0067..." in the report page).
_FLAG = "\U0001f3f4"
_REGION_FLAG = re.compile(_FLAG + "[\U000e0061-\U000e007a]{2}[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,3}\U000e007f")


def visible(message: str) -> str:
    """``message`` with the characters a terminal would act on (escape sequences, tabs, carriage
    returns, bidirectional overrides) shown as ``\\x1b``, ``\\t``, ``\\u202e``; line breaks kept,
    and the spaces and joiners of ``SHOWN_AS_THEY_ARE``. Names, outlets and subjects come from
    lists and releases, bounce reasons from receiving mail servers: none may move the cursor or
    recolour the terminal, in any command's output."""
    if message.isprintable():
        return message
    if _FLAG in message:  # a region's flag kept whole, what is around it shown as below
        pieces, at = [], 0
        for flag in _REGION_FLAG.finditer(message):
            pieces += [_shown(message[at : flag.start()]), flag.group()]
            at = flag.end()
        return "".join(pieces) + _shown(message[at:])
    return _shown(message)


def _shown(text: str) -> str:
    return "".join(c if c.isprintable() or c == "\n" or c in SHOWN_AS_THEY_ARE else repr(c)[1:-1] for c in text)


def one_line(text: str) -> str:
    """``visible``, with a line break shown as ``\\n`` too: for contact or event data put into one
    line of output (a row of ``grid``, a rejected row, a line of `mailer contact`), where a line
    break would start what reads as a line of mailer's own (review 20b #5: a bounce reason's
    "\\n" printed a second row, a suppression nobody made, in `mailer suppressions list`)."""
    shown = visible(text)
    return shown.replace("\n", "\\n") if "\n" in shown else shown
