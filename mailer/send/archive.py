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
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection

from mailer.compose import labels
from mailer.models import Rendered, Token
from mailer.store import archives, attachments
from mailer.store.campaigns import Campaign
from mailer.unsubscribe import OneClick

__all__ = ["Kept", "keep", "languages", "load"]

_PARTS = {"text/plain": "text", "text/html": "html"}
_PROOF_KEY = "press-mailer:unsubscribe-proof"  # kept beside the body, never part of a request
_VERSIONS_KEY = "press-mailer:versions"  # language -> {"parts": ..., "body": ...} of the other versions
_LANGUAGE_KEY = "press-mailer:language"  # the main version's language (with versions only)
# Our own one-click link's settings (public URL, mailto, proof link; never the secret): each
# personalization's List-Unsubscribe is made from them (mailsend.build_body), so show makes the same.
_ONE_CLICK_KEY = "press-mailer:one-click"


class Kept(NamedTuple):
    """A campaign's archive read back: the version's Rendered, its common request body, and the
    one-click settings the send built each personalization's unsubscribe headers with (None in
    the other modes, or for a campaign archived before they were kept)."""

    rendered: Rendered
    common: dict[str, Any]
    one_click: OneClick | None


def keep(
    connection: Connection,
    campaign_id: str,
    rendered: Rendered,
    common: Mapping[str, Any],
    *,
    now: datetime,
    versions: Sequence[tuple[Rendered, Mapping[str, Any]]] = (),
    one_click: OneClick | None = None,
) -> None:
    """Archive ``rendered`` and the common request body ``common`` with the campaign (same transaction).

    ``versions`` are the other language versions the campaign sends, each with its own common
    body; they are kept in the same archive row (``load(..., language=...)`` reads one back).
    ``one_click``: the settings of our own unsubscribe link the send uses (its secret is not kept).
    """
    parts, body = _kept(connection, rendered, common, now=now)
    if one_click is not None:
        body[_ONE_CLICK_KEY] = {"public_url": one_click.public_url, "mailto": one_click.mailto, "proof": one_click.proof}
    if versions:
        body[_VERSIONS_KEY] = {
            version.language: dict(zip(("parts", "body"), _kept(connection, version, version_common, now=now), strict=True))
            for version, version_common in versions
        }
        body[_LANGUAGE_KEY] = rendered.language
    archives.insert(connection, archives.Archive(campaign_id=campaign_id, body=body, created_at=now, **parts))


def languages(connection: Connection, campaign: Campaign) -> tuple[str, ...]:
    """The languages of the versions a campaign sent, the main one first (() for one language or no archive)."""
    kept = archives.get(connection, campaign.id)
    if kept is None or _VERSIONS_KEY not in kept.body:
        return ()
    return (str(kept.body.get(_LANGUAGE_KEY, "")), *kept.body[_VERSIONS_KEY])


def _kept(connection: Connection, rendered: Rendered, common: Mapping[str, Any], *, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the parts as the archive row holds them, the common body with parts and attachments by reference)."""
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
    parts = {
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "html": rendered.html,
        "text": rendered.text,
        "tokens": {name: [spec.field, spec.context, [list(step) for step in spec.steps]] for name, spec in rendered.tokens.items()},
    }
    return parts, body


def load(connection: Connection, campaign: Campaign, *, language: str | None = None) -> Kept | None:
    """The campaign's Rendered, common request body and one-click settings as they were sent; None without an archive.

    ``language``: the version a journalist with that language column received (the main one
    when the campaign had no such version, or only one language).
    """
    kept = archives.get(connection, campaign.id)
    if kept is None:
        return None
    parts: Mapping[str, Any] = {
        "subject": kept.subject,
        "preheader": kept.preheader,
        "html": kept.html,
        "text": kept.text,
        "tokens": kept.tokens,
    }
    stored: Mapping[str, Any] = kept.body
    main_language = str(kept.body.get(_LANGUAGE_KEY, "en"))
    versions = kept.body.get(_VERSIONS_KEY) or {}
    chosen = labels.pick([main_language, *versions], language) if versions else None
    if chosen is not None and chosen != main_language:
        parts, stored = versions[chosen]["parts"], versions[chosen]["body"]
    tokens = {
        name: Token(field=field, context=context, steps=tuple((s, a) for s, a in steps))
        for name, (field, context, steps) in parts["tokens"].items()
    }
    body = {key: value for key, value in stored.items() if key not in (_VERSIONS_KEY, _LANGUAGE_KEY, _ONE_CLICK_KEY)}
    settings = kept.body.get(_ONE_CLICK_KEY)  # the same for every version
    # Without a secret, as in a dry run: each link is the proof link (OneClick.url).
    one_click = OneClick(settings["public_url"], None, settings["mailto"], proof=settings["proof"]) if settings else None
    tag, proof = body.pop(_PROOF_KEY, None) or ("", "")
    rendered = Rendered(
        release_path=campaign.release_path,
        content_hash=campaign.content_hash,
        subject=parts["subject"],
        preheader=parts["preheader"],
        html=parts["html"],
        text=parts["text"],
        fields=tuple(sorted({spec.field for spec in tokens.values()})),
        tokens=tokens,
        unsubscribe_tag=tag,
        unsubscribe_proof=proof,
        language=chosen or main_language,
    )
    own = {"text": parts["text"], "html": parts["html"]}
    body["content"] = [
        {"type": part["type"], "value": own[part["archived"]]} if "archived" in part else dict(part) for part in stored.get("content", ())
    ]
    if "attachments" in stored:
        saved = attachments.contents(connection, [item["sha256"] for item in stored["attachments"]])
        body["attachments"] = [
            {
                (key if key != "sha256" else "content"): (value if key != "sha256" else base64.b64encode(saved[value]).decode("ascii"))
                for key, value in item.items()
            }
            for item in stored["attachments"]
        ]
    return Kept(rendered, body, one_click)
