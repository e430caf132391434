"""The email SendGrid would deliver for one personalization of a Mail Send request body.

``build(body, index, date=..., message_id=...)`` is the only way press-mailer makes an ``.eml``:
the dry run, ``mailer show`` and the tests all start from a request body, so whatever the body
carries (headers, attachments, inline images) is in the proof without another code path.

What SendGrid does, and so what this does (SENDGRID.md §1.2):

- ``substitutions`` replace their keys, as plain text, in the subject and in every content
  part. One pass over the text, longest key first (``compose.personalize`` does the same; a
  test holds them equal). SendGrid also fills in a tag found inside a value ("up to 4 nested
  substitutions"); compose's values never hold one (``tokens.defuse``), so one pass is all it does.
- the personalization's ``subject`` and ``headers`` win over the body's; the two ``headers``
  objects are merged, personalization last.
- ``attachments`` with ``disposition: inline`` and a ``content_id`` sit beside the HTML in a
  multipart/related part, so ``cid:`` references show; the others are ordinary attachments.

Deterministic: the same body, index, date and message id give the same bytes (the MIME
boundaries are derived from the content, never random), so ``mailer show`` can reproduce a
dry run's ``.eml`` byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr
from typing import Any

from mailer.models import Rendered

__all__ = ["build", "message_id", "proof_links", "substitute"]

# To read an .eml back: long headers unfolded (RFC 5322 allows 998 characters).
POLICY = policy.SMTP.clone(max_line_length=998)
# Set by SendGrid from the body's own fields; a `headers` entry may not override them.
_OWN_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version", "content-type"})


PROOF_DOMAIN = "@press-mailer.invalid>"  # every proof's Message-ID ends so: a file mailer wrote


def message_id(message_key: str) -> str:
    """The Message-ID of a proof: from the message key, so ``mailer show`` gives the same one."""
    return f"<{message_key}{PROOF_DOMAIN}"


def substitute(text: str, substitutions: Mapping[str, str]) -> str:
    """Every key of ``substitutions`` in ``text`` replaced by its value, in one pass."""
    if not substitutions or not text:
        return text
    pattern = _pattern(tuple(substitutions))
    return pattern.sub(lambda match: substitutions[match.group(0)], text)


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation per set of keys (every personalization of a campaign has the same keys)."""
    found = _PATTERNS.get(keys)
    if found is None:
        if len(_PATTERNS) > 64:
            _PATTERNS.clear()
        found = _PATTERNS[keys] = re.compile("|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)))
    return found


def build(body: Mapping[str, Any], index: int, *, date: datetime, message_id: str, proof_links: Mapping[str, str] | None = None) -> bytes:
    """Personalization ``index`` of a Mail Send ``body`` as the RFC 5322 message its recipient gets.

    ``proof_links`` fills tags SendGrid itself would fill (its unsubscribe link) with a proof's
    stand-in (``proof_links(rendered)``), so a proof never shows a raw tag; the personalization's
    own substitutions win.
    """
    personal = body["personalizations"][index]
    values: Mapping[str, str] = {**(proof_links or {}), **(personal.get("substitutions") or {})}
    headers = [("From", _address(body["from"])), ("To", ", ".join(_address(to) for to in personal["to"]))]
    if personal.get("cc"):
        headers.append(("Cc", ", ".join(_address(cc) for cc in personal["cc"])))
    reply_to = body.get("reply_to_list") or ([body["reply_to"]] if body.get("reply_to") else [])
    if reply_to:
        headers.append(("Reply-To", ", ".join(_address(r) for r in reply_to)))
    headers += [
        ("Subject", _text_header(substitute(personal.get("subject") or body["subject"], values))),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id),
    ]
    extra = {**(body.get("headers") or {}), **(personal.get("headers") or {})}
    if proof_links and not any(name.lower() == "list-unsubscribe" for name in extra):
        # SendGrid adds these itself when it runs the unsubscribe (subscription tracking or a
        # group, SENDGRID.md §1.2/§4.2); a proof shows them too, pointing at the proof's page.
        extra["List-Unsubscribe"] = f"<{next(iter(proof_links.values()))}>"
        extra["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in extra.items():
        if name.lower() not in _OWN_HEADERS:
            headers.append((name, _text_header(str(value))))
    headers.append(("MIME-Version", "1.0"))
    parts = {part["type"]: substitute(part["value"], values) for part in body.get("content", ())}
    attachments = body.get("attachments") or ()
    inline = [a for a in attachments if a.get("disposition") == "inline" and a.get("content_id")]
    regular = [a for a in attachments if a not in inline]
    leaves: list[_Part] = []
    if "text/html" in parts:
        html: _Part = _text_part("html", parts["text/html"])
        if inline:
            html = ("related", [html, *(_attachment(a, inline=True) for a in inline)])
        leaves.append(html)
    if "text/plain" in parts:
        leaves.insert(0, _text_part("plain", parts["text/plain"]))
    tree: _Part = leaves[0] if len(leaves) == 1 else ("alternative", leaves)
    if regular:
        tree = ("mixed", [tree, *(_attachment(a, inline=False) for a in regular)])
    tag = _digest(tree, message_id)
    lines = [f"{name}: {value}" for name, value in headers]
    _serialize(tree, lines, tag, [0])
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# A leaf is (its header lines, its encoded body); a multipart is (subtype, its parts).
_Part = tuple[Any, Any]


def _text_part(subtype: str, text: str) -> _Part:
    """Quoted-printable (binascii's, in C), CRLF line ends: 7-bit clean, lines within 76 (RFC 2045)."""
    crlf = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    if not crlf.endswith("\r\n"):
        crlf += "\r\n"
    encoded = binascii.b2a_qp(crlf.encode("utf-8"), istext=True).decode("ascii")
    return ([f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"], encoded.rstrip("\r\n"))


def _attachment(attachment: Mapping[str, Any], *, inline: bool) -> _Part:
    content = base64.b64decode(attachment["content"])
    kind = str(attachment.get("type") or "application/octet-stream")
    filename = _parameter("filename", str(attachment.get("filename") or "attachment"))
    head = [
        f"Content-Type: {kind}",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: {'inline' if inline else 'attachment'}; {filename}",
    ]
    if inline:
        head.append(f"Content-ID: <{attachment['content_id']}>")
    return (head, base64.encodebytes(content).decode("ascii").replace("\n", "\r\n").rstrip("\r\n"))


def _digest(tree: _Part, message_id: str) -> str:
    """Boundaries from a digest of the message itself: deterministic, and no part can hold its own digest."""
    digest = hashlib.sha256(message_id.encode("utf-8"))

    def feed(part: _Part) -> None:
        if isinstance(part[0], str):
            for child in part[1]:
                feed(child)
        else:
            digest.update(part[1].encode("ascii"))

    feed(tree)
    return digest.hexdigest()[:24]


def _serialize(part: _Part, lines: list[str], tag: str, counter: list[int]) -> None:
    """Append a part's header lines, a blank line and its body (multiparts recursively)."""
    first, rest = part
    if isinstance(first, str):
        boundary = f"=_{tag}_{counter[0]}"
        counter[0] += 1
        lines.append(f'Content-Type: multipart/{first}; boundary="{boundary}"')
        lines.append("")
        for child in rest:
            lines.append(f"--{boundary}")
            _serialize(child, lines, tag, counter)
        lines.append(f"--{boundary}--")
        lines.append("")
    else:
        lines.extend(first)
        lines.append("")
        lines.append(rest)
        lines.append("")


def _parameter(name: str, value: str) -> str:
    """``filename="x.pdf"``, or RFC 2231's ``filename*=utf-8''...`` for other characters."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'{name}="{value}"'
    return f"{name}*={encode_rfc2231(value, 'utf-8')}"


# A header line longer than this (the value, beside its name) is folded into encoded words of at
# most 76 characters a line: RFC 5322 §2.1.1 allows 998 at most (review 8: a 1,200-character name
# made a To line of 3,241).
_LONGEST_VALUE = 900


def _text_header(value: str) -> str:
    """ASCII as it is; other text as RFC 2047 encoded words; either, when too long for one line,
    as encoded words folded over several lines."""
    if value.isascii() and len(value) <= _LONGEST_VALUE:
        return value
    encoded = Header(value, "utf-8", maxlinelen=998).encode(linesep="\r\n")
    if len(encoded) <= _LONGEST_VALUE:
        return encoded
    return Header(value, "utf-8", maxlinelen=76).encode(linesep="\r\n")


def _address(entry: Mapping[str, str]) -> str:
    """``Name <address>``, the name quoted or RFC 2047-encoded as needed; an internationalized
    address (RFC 6532) stays UTF-8, as SendGrid sends it."""
    name, email = entry.get("name") or "", entry["email"]
    if len(name) > _LONGEST_VALUE // 4:  # a name that may not fit a line: encoded words, folded
        folded = Header(name, "utf-8", maxlinelen=76).encode(linesep="\r\n")
        return f"{folded} <{email}>"
    if email.isascii():
        return formataddr((name, email), charset="utf-8")
    return f"{formataddr((name, 'x@x'), charset='utf-8').rsplit(' <', 1)[0]} <{email}>" if name else email


def proof_links(rendered: Rendered) -> dict[str, str]:
    """SendGrid's unsubscribe tag -> the marked preview page proofs link to (empty when SendGrid fills nothing)."""
    if rendered.unsubscribe_tag and rendered.unsubscribe_proof:
        return {rendered.unsubscribe_tag: rendered.unsubscribe_proof}
    return {}
