"""A transport that sends nothing: it writes what SendGrid would have received.

For each request, ``request-0001.json`` holds the exact request body, and one ``.eml`` per
recipient shows exactly what that journalist would receive (substitutions applied by
``compose.personalize``, the same function the preview uses).
"""

from __future__ import annotations

import json
import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from mailer import compose, unsubscribe
from mailer.config import SenderConfig, SendGridConfig
from mailer.transport.base import Request, RequestResult
from mailer.transport.mailsend import CommonBodies, build_body, header_safe, recipient_name
from mailer.unsubscribe import OneClick

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9@._+-]")
# Long headers unfolded (RFC 5322 allows 998 characters), so a subject reads back as written.
_POLICY = policy.SMTP.clone(max_line_length=998)


class DryRunTransport:
    """Writes request bodies and .eml files under ``outbox/<campaign-id>/``."""

    def __init__(
        self, *, outbox: Path, sendgrid: SendGridConfig, sender: SenderConfig, unsubscribe_tag: str, one_click: OneClick | None = None
    ) -> None:
        self.outbox = outbox
        self._common = CommonBodies(sendgrid=sendgrid, sender=sender, unsubscribe_tag=unsubscribe_tag, one_click=one_click)

    def folder(self, campaign_id: str) -> Path:
        """Where the files of one campaign go."""
        return self.outbox / campaign_id

    def send(self, request: Request) -> RequestResult:
        """Write the request's request body and one .eml per recipient; 'accept' it."""
        common = self._common.get(request)
        folder = self.folder(request.campaign_id)
        folder.mkdir(parents=True, exist_ok=True)
        body = build_body(request, common, one_click=self._common.one_click)
        if request.rendered.unsubscribe_proof == unsubscribe.PAGE_NAME:  # where the .eml files' unsubscribe link points
            unsubscribe.write_preview_page(folder, sender=common["from"].get("name", ""))
        (folder / f"request-{request.number:04d}.json").write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
        for position, message in enumerate(request.messages, start=1):
            eml = self._eml(request, common, message.email, message.name, message.fields)
            name = _UNSAFE_FILE_CHARS.sub("_", message.email)[:80]
            (folder / f"{request.number:04d}-{position:04d}-{name}.eml").write_bytes(eml)
        return RequestResult(status=202, message_id=f"dry-run-{request.number}")

    def _eml(self, request: Request, common: dict[str, Any], email: str, name: str, fields: Any) -> bytes:
        personal = compose.personalize(request.rendered, fields)
        message = EmailMessage(policy=_POLICY)
        sender = common["from"]
        message["From"] = _address(sender.get("name", ""), sender["email"])
        message["To"] = _address(recipient_name(name), email)
        if "reply_to" in common:
            message["Reply-To"] = common["reply_to"]["email"]
        message["Subject"] = header_safe(personal.subject)
        message["Message-ID"] = make_msgid(domain="dry-run.invalid")
        message["X-Mailer-Campaign"] = request.campaign_id
        message.set_content(personal.text)
        message.add_alternative(personal.html, subtype="html")
        for attachment in request.rendered.attachments:
            maintype, _, subtype = attachment.mime_type.partition("/")
            message.add_attachment(attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename)
        return bytes(message)


def _address(name: str, email: str) -> Address | str:
    """A header address; non-ASCII names are encoded by the email package (RFC 2047)."""
    try:
        return Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError):
        return email
