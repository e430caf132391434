"""Our own one-click unsubscribe endpoint (RFC 8058), served by the webhook app.

    GET  /unsubscribe/TOKEN    a short page with one button that POSTs. Link scanners and
                               mail previews fetch links, so a GET never changes anything.
    POST /unsubscribe/TOKEN    what mail clients send for one-click (body
                               ``List-Unsubscribe=One-Click``), and what the button sends:
                               the address is suppressed and a short page says so, with 200
                               and no redirect (RFC 8058 §3.2: the POST works without one;
                               SENDGRID.md §4.2). No cookie or login is asked for.
    /unsubscribe/preview       where proofs point (unsubscribe.proof_url): explains, changes nothing.

Answers: 200 unsubscribed, or already unsubscribed with this link (a second use while the
address is suppressed changes nothing; one after the office put the journalist back
unsubscribes again: store/unsubscribes.py); 403 a token this secret did not sign (forged, altered, or
signed with another secret); 404 a message this log does not have, or whose address was
forgotten; 503 the log is busy (the journalist can try again). Pages never show the address,
and the token is never logged: it is what unsubscribes someone.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mailer import unsubscribe
from mailer.store import messages, unsubscribes

__all__ = ["routes"]

log = logging.getLogger("mailer.events.oneclick")
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def routes(*, engine: Engine, secret: SecretStr, sender: str, now: Callable[[], datetime]) -> list[Route]:
    """The endpoint's route, for the webhook app (``sender``: the office's name, shown on the pages)."""
    who = html.escape(sender) if sender else "us"

    def handle(message_key: str, *, post: bool) -> HTMLResponse:
        """Look the message up (GET) or record the unsubscribe (POST), in one transaction."""
        with engine.begin() as connection:
            found = unsubscribes.recipient(connection, message_key)
            if found is None:
                if not unsubscribes.erased(connection, message_key):  # forgotten ones are suppressed already
                    # Signed with this secret, so sent by this office, but with another log: say so (review 17w #6).
                    log.warning(
                        "an unsubscribe link signed with this secret names an email this delivery log does not have: "
                        "the journalist was not unsubscribed (answered 404). Was the email sent with another delivery log "
                        "([database] url of the mailer.toml it was sent with)? Run mailer webhook on that log."
                    )
                return _page(404, "Link not known", _UNKNOWN)
            if post and unsubscribes.record(connection, found, message_key, now=now()):
                log.info("one-click unsubscribe recorded for a message of %s", found.campaign_id)
                _warn_held(connection, found, now())
                return _page(200, "Unsubscribed", f"<p>You are unsubscribed. You will not receive press releases from {who} any more.</p>")
            used = unsubscribes.used_at(connection, found)
            if used is None or not unsubscribes.already_stands(connection, found):
                # Never used, or put back on the list since (at her request): the button unsubscribes (again).
                return _page(200, "Unsubscribe", _form(who))
            day = used.strftime("%d %B %Y")
            return _page(200, "Already unsubscribed", f"<p>You already unsubscribed with this link on {day}. Nothing more to do.</p>")

    async def endpoint(request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        post = request.method == "POST"
        if token == unsubscribe.PREVIEW_TOKEN:
            if post:
                return _page(200, "Preview", "<p><strong>Preview.</strong> Nobody was unsubscribed: this link is in proofs only.</p>")
            return HTMLResponse(unsubscribe.preview_page(sender=sender), headers=_HEADERS)
        message_key = unsubscribe.verify(secret, token)
        if message_key is None:
            log.warning("refused an unsubscribe link that this server did not sign")
            return _page(403, "Link not valid", _FORGED)
        try:
            return await run_in_threadpool(handle, message_key, post=post)
        except SQLAlchemyError as exc:
            log.error("could not look up or record an unsubscribe: %s", exc.__class__.__name__)
            return _page(503, "Please try again", "<p>The list cannot be updated right now. Please try again in a few minutes.</p>")

    return [Route(unsubscribe.PATH + "{token}", endpoint, methods=["GET", "POST"])]


def _warn_held(connection: Connection, found: unsubscribes.Recipient, moment: datetime) -> None:
    """Warn of each scheduled send SendGrid holds for the journalist who just unsubscribed: it goes out all the same.

    SendGrid knows nothing of our own link, so what it accepted for a later time is mailed at that
    time (Gmail wants an unsubscribe honoured within 48 hours; a send may be scheduled 72 ahead).
    `mailer suppressions add` says so; the webhook, where the stop arrives, said nothing (review
    23b #3). The line names the send, never the address (issue 13).
    """
    for campaign_id, scheduled_at in dict.fromkeys(
        (campaign_id, scheduled_at)
        for _key, campaign_id, scheduled_at, _answered in messages.held_for_later(connection, [found.email_key], now=moment)
    ):
        log.warning(
            "the journalist who just unsubscribed (a message of %s) is also in %s, scheduled for %s UTC, which SendGrid holds: "
            "SendGrid mails them all the same at that time. To stop it: mailer cancel %s (up to 10 minutes before), then send "
            "the release again, which skips them.",
            found.campaign_id,
            campaign_id,
            f"{scheduled_at:%Y-%m-%d %H:%M}",
            campaign_id,
        )


_UNKNOWN = (
    "<p>This unsubscribe link is no longer known to the press office (the email may have been erased). "
    "To stop receiving press releases, reply to the email and ask to be taken off the list.</p>"
)
_FORGED = (
    "<p>This unsubscribe link is not valid: it may have been cut short or changed. Copy the whole link "
    "from the email, or reply to the email and ask to be taken off the list.</p>"
)


def _form(who: str) -> str:
    """The confirmation a GET shows: one button that POSTs what a mail client's one-click POSTs."""
    return (
        f"<p>Stop receiving press releases from {who}?</p>\n"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )


def _page(status: int, title: str, body: str) -> HTMLResponse:
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>\n"
        '<body style="font-family:Arial,Helvetica,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5">\n'
        f"<h1>{title}</h1>\n{body}\n</body></html>\n"
    )
    return HTMLResponse(page, status_code=status, headers=_HEADERS)
