"""``mailer show``: what one journalist received, rebuilt from the archive and their message row.

The common request body comes from the archive (send/archive.py), the personalization from
the message row exactly as the sender builds it (its fields snapshot through
``compose.substitutions``, then ``mailsend.build_body``), and the email from that body by
``eml.build``, with the campaign's creation time as Date and the message key as Message-ID:
the same inputs a dry run uses, so the bytes are the same as its ``.eml``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import message_from_string
from email.message import EmailMessage

from sqlalchemy import Connection, Engine

from mailer import compose, mailbox
from mailer.compose import labels
from mailer.compose.preview import stand_ins
from mailer.errors import SendError
from mailer.models import Message, MessageState, to_name
from mailer.send import archive
from mailer.send.status import find
from mailer.store import messages
from mailer.store.campaigns import Campaign
from mailer.store.failures import in_words
from mailer.transport import eml
from mailer.transport.base import Request
from mailer.transport.eml import POLICY
from mailer.transport.mailsend import build_body

__all__ = ["STAND_IN_ADDRESS", "Shown", "show"]

STAND_IN_ADDRESS = "journalist@example.invalid"


@dataclass(frozen=True, slots=True)
class Shown:
    """One journalist's email as it went out (or, for a campaign without recipients, with stand-ins)."""

    campaign_id: str
    content_hash: str
    email: str  # the recipient, or STAND_IN_ADDRESS
    state: MessageState | None
    stand_ins: Mapping[str, str]  # field -> "[field]" when no journalist's values were used
    date: datetime
    eml: bytes

    def html_page(self) -> str | None:
        """The HTML part as a page a browser can open alone: inline images (``cid:``) as data: URIs."""
        parsed = self.parsed()
        part = parsed.get_body(("html",))
        if part is None:
            return None
        html = str(part.get_content())
        for item in parsed.walk():
            cid = str(item.get("Content-ID", "")).strip("<> ")
            if cid and not item.is_multipart():
                payload = item.get_payload(decode=True)
                data = base64.b64encode(payload if isinstance(payload, bytes) else b"").decode("ascii")
                html = html.replace(f"cid:{cid}", f"data:{item.get_content_type()};base64,{data}")
        return html

    def parsed(self) -> EmailMessage:
        """The .eml read back (for its subject and HTML part)."""
        parsed = message_from_string(self.eml.decode("utf-8"), policy=POLICY)  # internationalized addresses are UTF-8
        assert isinstance(parsed, EmailMessage)
        return parsed


@in_words
def show(engine: Engine, campaign_id: str, *, contact: str | None = None, language: str | None = None) -> Shown:
    """The email ``contact`` (default: the campaign's first recipient) received in ``campaign_id``.

    ``language`` (``fr``, ``fr-CA``): the version of that language instead, as its first
    recipient got it. Raises SendError when the campaign is unknown, was logged before archives
    were kept, has no such version, or ``contact`` is not one of its recipients.
    """
    with engine.connect() as connection:
        campaign = find(connection, campaign_id, command="show")
        version = _version(connection, campaign, language) if language else None
        # A named journalist is looked up whatever the version; --language alone picks the first of that version.
        row = messages.shown(connection, campaign_id, mailbox.key(contact) if contact else None, language=None if contact else version)
        if contact and version and row is not None and row.state is not MessageState.SKIPPED:
            got = messages.language_of(connection, campaign_id, row.message_key)
            if got and got != version:
                raise SendError(
                    f"{contact} received the {got} version of {campaign_id}, not {version}.", hint="Leave out --language to see theirs."
                )
        # The language version that journalist received (the main one for a stand-in).
        wanted = version or (row.fields.get("language") if row is not None else None)
        kept = archive.load(connection, campaign, language=wanted)
    if kept is None:
        raise SendError(
            f"{campaign_id} was logged before press-mailer kept an archive of what went out, so it cannot be shown.",
            hint="Campaigns sent from now on can be: mailer campaigns lists them.",
        )
    rendered, common, one_click = kept
    if contact and row is None:
        raise SendError(
            f"{contact} is not a recipient of {campaign_id}.", hint=f"See who is: mailer report {campaign_id} --kind recipients"
        )
    if row is not None and row.state is MessageState.SKIPPED:
        raise SendError(f"{row.email} was skipped in {campaign_id} ({row.skip_reason}): nothing was sent to them.")
    shown_fields: Mapping[str, str] = row.fields if row is not None else stand_ins(rendered)
    key = row.message_key if row is not None else "stand-in"
    email = row.email if row is not None else STAND_IN_ADDRESS
    message = Message(key, email, to_name(shown_fields), shown_fields, substitutions=compose.substitutions(rendered, shown_fields))
    request = Request(campaign_id, (row.request_no if row else None) or 1, rendered, (message,), created_at=campaign.created_at)
    body = build_body(request, common, one_click=one_click)  # the unsubscribe headers as the send made them, with the proof link
    data = eml.build(body, 0, date=campaign.created_at, message_id=eml.message_id(key), proof_links=eml.proof_links(rendered))
    return Shown(
        campaign_id=campaign_id,
        content_hash=campaign.content_hash,
        email=email,
        state=row.state if row is not None else None,
        stand_ins={} if row is not None else dict(shown_fields),
        date=campaign.created_at,
        eml=data,
    )


def _version(connection: Connection, campaign: Campaign, language: str) -> str:
    """The campaign's version that ``language`` names (``fr-CA`` finds ``fr``); SendError when there is none."""
    versions = archive.languages(connection, campaign)
    if not versions:
        raise SendError(f"{campaign.id} was sent in one language only.", hint=f"Leave out --language: mailer show {campaign.id}")
    picked = labels.pick(versions, language) or (language if language in versions else None)
    if picked is None:
        raise SendError(f"{campaign.id} has no {language} version.", hint=f"Its versions: {', '.join(versions)}.")
    return picked
