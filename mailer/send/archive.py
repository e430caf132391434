"""The archive of what a campaign sent (promise 9): written with the campaign, read by ``mailer show``.

Kept: the parts exactly as rendered once (subject, HTML, text, preheader, in token form, with
how each token is filled), and the Mail Send body every request of the campaign shares
(from, reply-to, headers, tracking, categories, attachments) minus the personalizations. The
body's text and HTML parts point at the archived parts instead of repeating them, and each
attachment's bytes are stored once per distinct SHA-256 (store/attachments.py). Nothing
personal is archived: a journalist's email is rebuilt from this and their message row.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from mailer.models import Rendered, Token
from mailer.store import archives, attachments
from mailer.store.campaigns import Campaign

__all__ = ["keep", "load"]

_PARTS = {"text/plain": "text", "text/html": "html"}
_PROOF_KEY = "press-mailer:unsubscribe-proof"  # kept beside the body, never part of a request


def keep(connection: Connection, campaign_id: str, rendered: Rendered, common: Mapping[str, Any], *, now: datetime) -> None:
    """Archive ``rendered`` and the common request body ``common`` with the campaign (same transaction)."""
    body: dict[str, Any] = {key: value for key, value in common.items() if key != "personalizations"}
    own = {"text": rendered.text, "html": rendered.html}
    body["content"] = [
        {"type": part["type"], "archived": _PARTS[part["type"]]}
        if part["type"] in _PARTS and part["value"] == own[_PARTS[part["type"]]]
        else dict(part)
        for part in common.get("content", ())
    ]
    if "attachments" in common:
        body["attachments"] = [
            {
                (key if key != "content" else "sha256"): (
                    value if key != "content" else attachments.keep(connection, base64.b64decode(value), now=now)
                )
                for key, value in item.items()
            }
            for item in common["attachments"]
        ]
    if rendered.unsubscribe_tag:  # what proofs put where SendGrid puts its unsubscribe link (not sent to SendGrid)
        body[_PROOF_KEY] = [rendered.unsubscribe_tag, rendered.unsubscribe_proof]
    archives.insert(
        connection,
        archives.Archive(
            campaign_id=campaign_id,
            subject=rendered.subject,
            preheader=rendered.preheader,
            html=rendered.html,
            text=rendered.text,
            tokens={name: [spec.field, spec.context, [list(step) for step in spec.steps]] for name, spec in rendered.tokens.items()},
            body=body,
            created_at=now,
        ),
    )


def load(connection: Connection, campaign: Campaign) -> tuple[Rendered, dict[str, Any]] | None:
    """The campaign's Rendered and common request body as they were sent; None without an archive."""
    kept = archives.get(connection, campaign.id)
    if kept is None:
        return None
    tokens = {
        name: Token(field=field, context=context, steps=tuple((s, a) for s, a in steps))
        for name, (field, context, steps) in kept.tokens.items()
    }
    body = dict(kept.body)
    tag, proof = body.pop(_PROOF_KEY, None) or ("", "")
    rendered = Rendered(
        release_path=campaign.release_path,
        content_hash=campaign.content_hash,
        subject=kept.subject,
        preheader=kept.preheader,
        html=kept.html,
        text=kept.text,
        fields=tuple(sorted({spec.field for spec in tokens.values()})),
        tokens=tokens,
        unsubscribe_tag=tag,
        unsubscribe_proof=proof,
    )
    own = {"text": kept.text, "html": kept.html}
    body["content"] = [
        {"type": part["type"], "value": own[part["archived"]]} if "archived" in part else dict(part)
        for part in kept.body.get("content", ())
    ]
    if "attachments" in kept.body:
        stored = attachments.contents(connection, [item["sha256"] for item in kept.body["attachments"]])
        body["attachments"] = [
            {
                (key if key != "sha256" else "content"): (value if key != "sha256" else base64.b64encode(stored[value]).decode("ascii"))
                for key, value in item.items()
            }
            for item in kept.body["attachments"]
        ]
    return rendered, body
