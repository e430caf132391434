"""The email SendGrid would deliver for one personalization of a Mail Send request body.

``build(body, index, date=..., message_id=...)`` is the only way press-mailer makes an ``.eml``:
the dry run, ``mailer show`` and the tests all start from a request body, so whatever the body
carries (headers, attachments, inline images) is in the proof without another code path.

What SendGrid does, and so what this does (SENDGRID.md §1.2):

- ``substitutions`` replace their keys, as plain text, in the subject and in every content
  part. One pass over the text, longest key first, so a value that happens to hold another
  tag is not substituted again (``compose.personalize`` does the same; a test holds them equal).
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
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from typing import Any

__all__ = ["build", "message_id", "substitute"]

# Long headers unfolded (RFC 5322 allows 998 characters), so a subject reads back as written;
# parts are encoded under SMTP's 78, so quoted-printable lines keep RFC 2045's 76.
POLICY = policy.SMTP.clone(max_line_length=998)
_PARTS = policy.SMTP
# Set by SendGrid from the body's own fields; a `headers` entry may not override them.
_OWN_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version", "content-type"})


def message_id(message_key: str) -> str:
    """The Message-ID of a proof: from the message key, so ``mailer show`` gives the same one."""
    return f"<{message_key}@press-mailer.invalid>"


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


def build(body: Mapping[str, Any], index: int, *, date: datetime, message_id: str) -> bytes:
    """Personalization ``index`` of a Mail Send ``body`` as the RFC 5322 message its recipient gets."""
    personal = body["personalizations"][index]
    values: Mapping[str, str] = personal.get("substitutions") or {}
    message = EmailMessage(policy=_PARTS)
    message["From"] = _address(body["from"])
    message["To"] = [_address(to) for to in personal["to"]]
    if personal.get("cc"):
        message["Cc"] = [_address(cc) for cc in personal["cc"]]
    reply_to = body.get("reply_to_list") or ([body["reply_to"]] if body.get("reply_to") else [])
    if reply_to:
        message["Reply-To"] = [_address(r) for r in reply_to]
    message["Subject"] = substitute(personal.get("subject") or body["subject"], values)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    for name, value in {**(body.get("headers") or {}), **(personal.get("headers") or {})}.items():
        if name.lower() not in _OWN_HEADERS:
            message[name] = value
    parts = {part["type"]: substitute(part["value"], values) for part in body.get("content", ())}
    text, html = parts.get("text/plain"), parts.get("text/html")
    attachments = body.get("attachments") or ()
    inline = [a for a in attachments if a.get("disposition") == "inline" and a.get("content_id")]
    regular = [a for a in attachments if a not in inline]
    if text is not None:
        message.set_content(text, cte="quoted-printable")
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html", cte="quoted-printable")
        else:
            message.add_alternative(html, subtype="html", cte="quoted-printable")
        html_part = message.get_body(("html",))
        assert html_part is not None
        for attachment in inline:
            _attach(html_part, attachment, related=True)
    for attachment in regular:
        _attach(message, attachment, related=False)
    _set_boundaries(message, message_id)
    return message.as_bytes(policy=POLICY)


def _attach(target: MIMEPart, attachment: Mapping[str, Any], *, related: bool) -> None:
    content = base64.b64decode(attachment["content"])
    maintype, _, subtype = str(attachment.get("type") or "application/octet-stream").partition("/")
    options: dict[str, Any] = {"maintype": maintype, "subtype": subtype or "octet-stream", "filename": attachment.get("filename")}
    if related:
        target.add_related(content, disposition="inline", cid=f"<{attachment['content_id']}>", **options)
    else:
        target.add_attachment(content, **options)


def _set_boundaries(message: EmailMessage, message_id: str) -> None:
    """Boundaries from a digest of the message itself: deterministic, and no part can hold its own digest."""
    digest = hashlib.sha256(message_id.encode("utf-8"))
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload()
            digest.update(payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b"")
    tag = digest.hexdigest()[:24]
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_{tag}_{number}")


def _address(entry: Mapping[str, str]) -> Address | str:
    """A header address; non-ASCII names are encoded by the email package (RFC 2047)."""
    try:
        return Address(display_name=entry.get("name") or "", addr_spec=entry["email"])
    except (ValueError, IndexError):
        return str(entry["email"])
