"""Unsubscribe in every mode: which mode a configuration gives, one-click links and their headers.

Three modes (README, "Unsubscribe"):

    unsubscribe group      [sendgrid] asm_group_id: SendGrid's group link, <%asm_group_unsubscribe_raw_url%>
    subscription tracking  [sendgrid.tracking] subscription_tracking: SendGrid's link, -~unsubscribe_url~-
    one-click              neither, and [webhook] public_url: our own RFC 8058 endpoint on `mailer webhook`

In the first two SendGrid replaces the tag for each journalist and adds ``List-Unsubscribe``
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` itself (SENDGRID.md §1.2
"subscription_tracking", §4.2; a one-click on a group's mail lands on the group, §3.1). In the
third, each personalization carries the footer link as a substitution and those two headers,
both pointing at ``PUBLIC_URL/unsubscribe/TOKEN``. Gmail and Yahoo require one-click unsubscribe
from bulk senders (SENDGRID.md §0.8, §4.1), so a live or test send with no mode at all is refused.

``TOKEN`` is ``<message key>.<signature>``: the opaque message key of the delivery log (never an
address: headers travel with every forwarded copy) and HMAC-SHA256 over it with a secret that
lives only in an environment variable, so a link can be neither guessed nor altered.

Proofs (preview, dry runs, archives) never carry a working link: theirs is ``proof_url``.
Imports only config, errors and safefile, so the composer, the transports and the webhook can share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import SecretStr

from mailer import safefile
from mailer.config import Config
from mailer.errors import ConfigError

__all__ = [
    "PAGE_NAME",
    "PATH",
    "PREVIEW_TOKEN",
    "Mode",
    "OneClick",
    "check",
    "mode",
    "no_unsubscribe_error",
    "one_click",
    "preview_page",
    "proof_url",
    "reserved_bytes",
    "sign",
    "verify",
    "write_preview_page",
]

PATH = "/unsubscribe/"
PREVIEW_TOKEN = "preview"  # PUBLIC_URL/unsubscribe/preview: the page proofs link to; it changes nothing
PAGE_NAME = "unsubscribe-preview.html"  # the local page beside a preview or an outbox
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"  # RFC 8058 §3.1: the one value of List-Unsubscribe-Post
_CONTEXT = b"press-mailer unsubscribe v1\x00"
_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")
_SIGNATURE_LENGTH = 43  # 32 bytes of HMAC-SHA256 in unpadded base64url
_MAX_KEY_LENGTH = 40  # message.message_key is String(40)


class Mode(StrEnum):
    """Who gives journalists their unsubscribe link."""

    GROUP = "unsubscribe group"
    TRACKING = "subscription tracking"
    ONE_CLICK = "one-click"
    NONE = "none"


def mode(config: Config) -> Mode:
    """The mode a configuration gives: a group beats tracking, which beats our own endpoint."""
    if config.sendgrid.asm_group_id is not None:
        return Mode.GROUP
    if config.sendgrid.tracking.subscription_tracking:
        return Mode.TRACKING
    if config.webhook.public_url:
        return Mode.ONE_CLICK
    return Mode.NONE


def proof_url(config: Config) -> str:
    """Where the unsubscribe link of every proof points: never a token, never a working link.

    ``[compose] unsubscribe_preview_url`` when set; in one-click mode the endpoint's own preview
    page (which unsubscribes nobody); otherwise ``unsubscribe-preview.html``, the page written
    beside the preview or in the outbox (``write_preview_page``).
    """
    if config.compose.unsubscribe_preview_url:
        return config.compose.unsubscribe_preview_url
    if mode(config) is Mode.ONE_CLICK and config.webhook.public_url:
        return config.webhook.public_url + PATH + PREVIEW_TOKEN
    return PAGE_NAME


def sign(secret: SecretStr, message_key: str) -> str:
    """The token of one message's unsubscribe link."""
    if not _KEY.match(message_key):
        raise ValueError("a message key is letters, digits, - and _ only")
    return f"{message_key}.{_signature(secret, message_key)}"


def verify(secret: SecretStr, token: str) -> str | None:
    """The message key a token carries, or None when this secret did not sign it (constant-time compare)."""
    key, dot, given = token.rpartition(".")
    if not dot or not _KEY.match(key) or len(given) != _SIGNATURE_LENGTH:
        return None
    expected = _signature(secret, key)
    return key if hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")) else None


def _signature(secret: SecretStr, message_key: str) -> str:
    digest = hmac.new(secret.get_secret_value().encode("utf-8"), _CONTEXT + message_key.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True, slots=True)
class OneClick:
    """How a Mail Send body carries our own one-click link.

    With ``secret``, each journalist gets a signed link; without one (a dry run) every link is
    the proof link, so an outbox never holds a link that would unsubscribe anyone.
    """

    public_url: str
    secret: SecretStr | None = field(default=None, repr=False)
    mailto: str | None = None
    proof: str = ""

    def url(self, message_key: str) -> str:
        """The link of one message (the proof link in a dry run)."""
        if self.secret is None:
            return self.proof or self.public_url + PATH + PREVIEW_TOKEN
        return self.public_url + PATH + sign(self.secret, message_key)

    def headers(self, url: str) -> dict[str, str]:
        """RFC 8058 §3.1: one HTTPS URI (a mailto may follow) and the one-click POST marker."""
        targets = f"<{url}>" + (f", <mailto:{self.mailto}?subject=unsubscribe>" if self.mailto else "")
        return {"List-Unsubscribe": targets, "List-Unsubscribe-Post": ONE_CLICK_BODY}


def one_click(config: Config, environ: Mapping[str, str] | None) -> OneClick | None:
    """Our own link's settings in one-click mode (None in the others).

    ``environ`` holds the secret for a live or test send; None for a dry run, which needs no
    secret. Raises ConfigError when the secret is missing.
    """
    if mode(config) is not Mode.ONE_CLICK or not config.webhook.public_url:
        return None
    secret = config.unsubscribe_secret(environ) if environ is not None else None
    return OneClick(config.webhook.public_url, secret, config.webhook.unsubscribe_mailto, proof=proof_url(config))


def no_unsubscribe_error() -> ConfigError:
    """Why a send that leaves this machine must not go without an unsubscribe link, and the three fixes."""
    return ConfigError(
        "Journalists would get no working unsubscribe link: there is no SendGrid unsubscribe group, "
        "subscription tracking is off, and [webhook] public_url is not set. "
        "Gmail and Yahoo require a one-click unsubscribe from bulk senders.",
        hint="Do one of these in mailer.toml: set asm_group_id under [sendgrid] (a SendGrid unsubscribe group); "
        "or set subscription_tracking = true under [sendgrid.tracking]; "
        'or run mailer webhook where journalists can reach it and set public_url = "https://..." under [webhook] '
        "(see README, Unsubscribe).",
    )


def check(config: Config) -> ConfigError | None:
    """The reason a send through SendGrid must not start for want of an unsubscribe link, if any."""
    return no_unsubscribe_error() if mode(config) is Mode.NONE else None


def reserved_bytes(config: Config) -> tuple[int, int]:
    """Bytes our own link adds to each personalization: (in its substitutions, in the request in all).

    The substitution counts against SendGrid's 10,000 bytes per personalization; the two headers
    and the substitution against the request's 30 MB (SENDGRID.md §1.1). (0, 0) in other modes.
    """
    settings = one_click(config, None)
    if settings is None:
        return 0, 0
    url = len(settings.public_url) + len(PATH) + _MAX_KEY_LENGTH + 1 + _SIGNATURE_LENGTH
    url = max(url, len(settings.proof))
    substitution = len("-~unsubscribe_url~-") + url
    headers = sum(len(k) + len(v) + 8 for k, v in settings.headers("x" * url).items())
    return substitution, substitution + headers + len('"headers":{},')


def preview_page(*, sender: str = "") -> str:
    """The page a proof's unsubscribe link opens: what a journalist would see, clearly a preview."""
    who = f" from {_html(sender)}" if sender else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Unsubscribe (preview)</title></head>\n"
        '<body style="font-family:Arial,Helvetica,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5">\n'
        '<p style="background:#fff3cd;border:2px solid #b58100;padding:12px"><strong>Preview.</strong> '
        "This is where a journalist would unsubscribe. In the real email the link is personal: "
        "it unsubscribes that one journalist and nobody else. Nothing was changed.</p>\n"
        f"<h1>Unsubscribe</h1>\n<p>Stop receiving press releases{who}?</p>\n"
        '<p><button type="button" disabled>Unsubscribe</button></p>\n</body></html>\n'
    )


def write_preview_page(folder: Path, *, sender: str = "") -> Path:
    """Write ``unsubscribe-preview.html`` into ``folder`` (the local target of proofs' links)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PAGE_NAME
    safefile.write_own(path, preview_page(sender=sender).encode("utf-8"))  # a link left there is replaced (review 24k #3)
    return path


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
