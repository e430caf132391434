"""The SendGrid v3 Mail Send request body, built once per campaign and shared by both transports.

``common_body`` holds what every request of a campaign shares (from, subject, content,
tracking, attachments); ``build_body`` adds one personalization per recipient. The SendGrid
transport posts it; the dry-run transport writes it to a file, so a dry run shows exactly
what SendGrid would receive. Limits and fields: SENDGRID.md §1 and shared/sendgrid/tsg_mail_v3.json.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Mapping
from typing import Any

from mailer.config import SenderConfig, SendGridConfig
from mailer.linebreaks import LINE_BREAKS
from mailer.mailbox import sendable
from mailer.models import Attachment, Rendered
from mailer.transport.base import Request
from mailer.unsubscribe import OneClick

__all__ = ["CommonBodies", "build_body", "common_body", "header_safe", "recipient_name"]

_LINE_BREAKS = re.compile("[\t" + re.escape(LINE_BREAKS) + "]+")
_NAME_FORBIDDEN = re.compile(r"[;,\"<>]")
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SUBSCRIPTION_TAG = "-~unsubscribe_url~-"  # compose.SUBSCRIPTION_TAG, for a Rendered built by hand


def header_safe(value: str) -> str:
    """A header value without line breaks (no header injection through a subject or a name)."""
    return _LINE_BREAKS.sub(" ", value).strip()


def recipient_name(name: str) -> str:
    """SendGrid refuses ';' and ',' in a recipient's name; quotes and brackets only confuse clients.
    Control characters (a name logged before the list loader took C1 ones out, refusal27) and the
    bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Roe" followed
    by U+202E shows what comes after it reversed in her inbox's To line) go as well."""
    if name.isprintable() and not _NAME_FORBIDDEN.search(name) and "  " not in name and name == name.strip():
        return name  # the common case, already clean: no line break, nothing forbidden, single spaces
    return " ".join(_NAME_FORBIDDEN.sub(" ", _UNSHOWN.sub("", header_safe(name))).split())


def common_body(rendered: Rendered, *, sendgrid: SendGridConfig, sender: SenderConfig, unsubscribe_tag: str) -> dict[str, Any]:
    """Everything in a Mail Send body that is the same for every request of a campaign."""
    from_email = rendered.from_email or sender.from_email
    from_name = rendered.from_name or sender.from_name
    body: dict[str, Any] = {
        "from": {"email": header_safe(from_email), **({"name": header_safe(from_name)} if from_name else {})},
        "subject": header_safe(rendered.subject),
        "content": [
            {"type": "text/plain", "value": rendered.text},
            {"type": "text/html", "value": rendered.html},
        ],
        "categories": [sendgrid.category],
        "tracking_settings": _tracking(sendgrid, unsubscribe_tag),
        "mail_settings": {"sandbox_mode": {"enable": sendgrid.sandbox}},
    }
    reply_to = rendered.reply_to or sender.reply_to
    if reply_to:
        body["reply_to"] = {"email": header_safe(reply_to)}
    if sendgrid.asm_group_id is not None:
        body["asm"] = {"group_id": sendgrid.asm_group_id}
    if rendered.attachments:
        body["attachments"] = [_attachment(a) for a in rendered.attachments]
    return body


def _attachment(attachment: Attachment) -> dict[str, str]:
    """One attachment; an inline image carries the content_id its ``<img src="cid:...">`` names."""
    item = {
        "content": base64.b64encode(attachment.content).decode("ascii"),
        "filename": header_safe(attachment.filename),
        "type": attachment.mime_type,
        "disposition": attachment.disposition,
    }
    if attachment.content_id:
        item["content_id"] = attachment.content_id
    return item


class CommonBodies:
    """Each campaign's ``common_body`` (one per language version), built on its first request and shared by the worker threads.

    ``one_click`` (our own unsubscribe link, mailer/unsubscribe.py) goes to ``build_body``.
    """

    def __init__(self, *, sendgrid: SendGridConfig, sender: SenderConfig, unsubscribe_tag: str, one_click: OneClick | None = None) -> None:
        self._sendgrid = sendgrid
        self._sender = sender
        self._unsubscribe_tag = unsubscribe_tag
        self.one_click = one_click
        self._bodies: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def build(self, rendered: Rendered) -> dict[str, Any]:
        """The common body of a campaign of ``rendered`` (not cached: the archive keeps it)."""
        return common_body(rendered, sendgrid=self._sendgrid, sender=self._sender, unsubscribe_tag=self._unsubscribe_tag)

    def get(self, request: Request) -> dict[str, Any]:
        # Per campaign and content: a campaign of a release in several languages has one common
        # body per version (each request carries one version).
        key = (request.campaign_id, request.rendered.content_hash)
        with self._lock:
            common = self._bodies.get(key)
            if common is None:
                common = self._bodies[key] = self.build(request.rendered)
            return common


def _tracking(sendgrid: SendGridConfig, unsubscribe_tag: str) -> dict[str, Any]:
    tracking = sendgrid.tracking
    settings: dict[str, Any] = {
        "open_tracking": {"enable": tracking.open_tracking},
        "click_tracking": {"enable": tracking.click_tracking, "enable_text": False},
    }
    # With tracking on (and no group), SendGrid replaces the tag and adds List-Unsubscribe and
    # List-Unsubscribe-Post itself (SENDGRID.md §1.2 subscription_tracking); with a group, the
    # group's tag sits in the content. Either way the request carries no unsubscribe header of ours.
    if sendgrid.asm_group_id is None and tracking.subscription_tracking:
        settings["subscription_tracking"] = {"enable": True, "substitution_tag": unsubscribe_tag}
    else:
        settings["subscription_tracking"] = {"enable": False}
    return settings


def build_body(request: Request, common: Mapping[str, Any], *, one_click: OneClick | None = None) -> dict[str, Any]:
    """The exact request body for one request: one personalization per journalist, one `to` each.

    With ``one_click`` (neither a SendGrid group nor subscription tracking), each personalization
    also carries its own unsubscribe link: a substitution for the footer's tag, and the RFC 8058
    ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (SENDGRID.md §1.2 "own
    List-Unsubscribe header", §4.2), which a dry-run .eml shows as they are.
    """
    campaign = request.campaign_id
    tag = request.rendered.unsubscribe_tag or _SUBSCRIPTION_TAG
    recipients = request.recipients
    personalizations = []
    emails = recipients.emails
    if not "".join(emails).isascii():  # per request: a plain ASCII address is its own sendable form (perf28)
        emails = [sendable(email) for email in emails]
    for key, email, name, substitutions in zip(recipients.message_keys, emails, recipients.names, recipients.substitutions, strict=True):
        to: dict[str, str] = {"email": email}
        if name:
            name = recipient_name(name)
            if name:
                to["name"] = name
        personalization: dict[str, Any] = {"to": [to], "custom_args": {"campaign": campaign, "message": key}}
        if one_click is not None:
            url = one_click.url(key)
            substitutions = {**substitutions, tag: url}
            personalization["headers"] = one_click.headers(url)
        if substitutions:
            personalization["substitutions"] = substitutions
        personalizations.append(personalization)
    body = {"personalizations": personalizations, **common}
    if request.send_at is not None:
        body["send_at"] = request.send_at
    if request.sendgrid_batch_id:
        body["batch_id"] = request.sendgrid_batch_id
    return body
