"""SendGrid v3 Mail Send: plain dict bodies, HTTP answers -> RequestResult or TransportError.

Bodies are built as dicts, not with the library's helper classes: half the cost, and
``Mail.add_personalization`` inserts at the front, which would reverse the order that an
error's ``personalizations.N`` refers to (SENDGRID.md §5). One client per worker thread
(the library's clients share mutable headers), a timeout on every request (the library has
none by default), and the HTTP client's DEBUG log, which prints the Authorization header,
is kept quiet.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import threading
import time
import urllib.error
import urllib.parse
import weakref
from collections.abc import Callable, Mapping
from datetime import UTC
from http import HTTPStatus
from typing import Any

from pydantic import SecretStr
from python_http_client import exceptions as http_errors

from mailer import sendgrid_api as api
from mailer.config import SenderConfig, SendGridConfig
from mailer.errors import (
    AuthError,
    ForeignAnswer,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    TooLarge,
    TransportError,
    Unavailable,
)
from mailer.transport import keepalive
from mailer.transport.base import Ready, Request, RequestResult, Withheld
from mailer.transport.mailsend import CommonBodies, build_body
from mailer.unsubscribe import OneClick

AUTH_MESSAGE = "SendGrid refused the API key: check SENDGRID_API_KEY and that the key has Mail Send permission"
HTTP_CLIENT_LOGGER = "python_http_client.client"
# A 502/504 comes from a gateway that may have passed the request on: treat it like a lost
# answer. 500 and 503 come from SendGrid itself and mean nothing was queued (SENDGRID.md §1.4).
_UNKNOWN_STATUSES = frozenset({502, 504})


def quiet_http_client_log() -> None:
    """The HTTP client logs 'Authorization: Bearer <key>' at DEBUG: never let that through."""
    logger = logging.getLogger(HTTP_CLIENT_LOGGER)
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _DropDebug) for f in logger.filters):
        logger.addFilter(_DropDebug())


class _DropDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


class SendGridTransport:
    """Sends requests through SendGrid's v3 API; safe to use from several threads."""

    def __init__(
        self,
        *,
        api_key: SecretStr,
        sendgrid: SendGridConfig,
        sender: SenderConfig,
        unsubscribe_tag: str,
        one_click: OneClick | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        quiet_http_client_log()
        self._api_key = api_key
        self._config = sendgrid
        self._clock = clock
        self._local = threading.local()
        # Each thread's kept-alive connection to SendGrid (``close_connections``); weak: a finished thread's goes with it.
        self._kept: weakref.WeakSet[keepalive.Kept] = weakref.WeakSet()
        self._kept_lock = threading.Lock()
        self._common = CommonBodies(sendgrid=sendgrid, sender=sender, unsubscribe_tag=unsubscribe_tag, one_click=one_click)

    def __repr__(self) -> str:
        return f"SendGridTransport(api_url={self._config.api_url!r})"

    @property
    def common(self) -> CommonBodies:
        """The common bodies this transport posts (the archive keeps the same one)."""
        return self._common

    def _endpoint(self, *path: str) -> api.Endpoint:
        """A client for /v3/``path`` (never following a redirect: mailer/sendgrid_api.py)."""
        return api.endpoint(self._api_key, self._config.api_url, path, timeout=self._config.timeout)

    def _mail_send(self) -> _MailSend:
        """This thread's own client for POST /v3/mail/send (the library's clients share mutable
        request headers), over a kept-alive connection unless a proxy is set.

        The library builds the whole request (URL, headers, the body through ``json.dumps``) and
        then asks ``ready`` (``_MailSend._make_request``): so a request can be encoded while it
        waits for its turn, and its turn costs no encoding (about 7 ms of CPU for a body of 1000
        journalists, held under the GIL). One per thread: ``ready`` is the call in progress's.
        """
        mail_send = getattr(self._local, "mail_send", None)
        if mail_send is None:
            mail_send = self._local.mail_send = api.endpoint(
                self._api_key, self._config.api_url, ("mail", "send"), timeout=self._config.timeout, kind=_MailSend
            )
            if keepalive.direct(mail_send.host):
                mail_send.kept = keepalive.Kept(mail_send.host)
                with self._kept_lock:
                    self._kept.add(mail_send.kept)
        return mail_send

    def close_connections(self) -> None:
        """Close the connections this transport keeps open to SendGrid; a later request opens one again.

        A send closes them when it ends (``campaign._send``): a program running sends one after another
        (a script, a web application) otherwise kept a socket per worker thread of each stopped send until
        a garbage collection (fdleak28)."""
        with self._kept_lock:
            kept = list(self._kept)
        for connection in kept:
            connection.close()

    def body(self, request: Request) -> dict[str, Any]:
        """The request body this transport posts for ``request``."""
        return build_body(request, self._common.get(request), one_click=self._common.one_click)

    def send(self, request: Request, ready: Ready | None = None) -> RequestResult:
        """POST /v3/mail/send for one request; 2xx -> RequestResult, anything else raises.

        ``ready`` is asked once the body is encoded, before the connection opens; Withheld when it
        says no.
        """
        mail_send = self._mail_send()
        mail_send.ready, mail_send.encoded = ready, encoded(self.body(request))
        try:
            response = self._call(lambda: mail_send.post(request_body=_ENCODED_APART))
        finally:
            mail_send.ready = mail_send.encoded = None
        message_id = _header(response.headers, "X-Message-Id")
        expected = 200 if self._config.sandbox else 202  # SENDGRID.md, "Status codes"
        if response.status_code != expected or (not self._config.sandbox and not message_id):
            # A filtering proxy's "click to continue" page is a 200 too (review 12a #9).
            raise ForeignAnswer(
                f"{self._config.api_url} answered {response.status_code}"
                f"{'' if message_id else ' without an X-Message-Id'}, which is not SendGrid's answer to a send "
                f"({expected}{'' if self._config.sandbox else ' with an X-Message-Id'}): a proxy or gateway on the way?",
                hint="Whether these emails reached SendGrid is not known: they are marked unknown. Nothing more was sent.",
            )
        return RequestResult(status=response.status_code, message_id=message_id)

    def create_batch_id(self) -> str:
        """POST /v3/mail/batch: a batch id that lets a scheduled send be cancelled."""
        try:
            response = self._call(lambda: self._endpoint("mail", "batch").post())
        except TransportError as exc:
            # Asked before the plan is logged: a Mail Send's hint ("it stays planned and mailer
            # resume sends it later") sent her to resume a campaign never logged (review 18s #6).
            exc.message = f"SendGrid did not give the batch id a scheduled send needs (to be able to cancel it): {exc.message}"
            exc.hint = "Nothing was sent, and nothing was logged. " + (
                "Check that SENDGRID_API_KEY has the Mail Send permission with Scheduled Sends (Settings > API Keys in SendGrid), "
                "then run the same command again."
                if isinstance(exc, AuthError)
                else "Run the same command again in a few minutes."
            )
            raise
        try:
            return str(json.loads(response.body)["batch_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Unavailable("SendGrid did not return a batch id for the scheduled send.", hint="Try again in a few minutes.") from exc

    def cancel_scheduled(self, batch_id: str) -> None:
        """POST /v3/user/scheduled_sends: cancel every message sent under ``batch_id``.

        SendGrid keeps one status per batch and answers a second POST with 400 ("use PATCH",
        SENDGRID.md): an earlier cancel whose answer was lost, or a pause. The status is then set
        with PATCH /v3/user/scheduled_sends/{batch_id} (204), so a cancel can always be finished
        (review 12a #10)."""
        try:
            self._call(lambda: self._endpoint("user", "scheduled_sends").post(request_body={"batch_id": batch_id, "status": "cancel"}))
        except Rejected as refused:
            batch = urllib.parse.quote(batch_id, safe="")
            try:
                self._call(lambda: self._endpoint("user", "scheduled_sends", batch).patch(request_body={"status": "cancel"}))
            except TransportError as exc:
                if exc.status == 404:  # the batch has no status to change: SendGrid's first answer says why
                    raise refused from None
                raise

    def _call(self, request: Callable[[], Any]) -> Any:
        """Run one HTTP request and map every failure onto the TransportError tree."""
        try:
            return request()
        except http_errors.HTTPError as exc:
            raise self._mapped(exc) from None
        except urllib.error.URLError as exc:
            # Raised while connecting or writing: the request never fully left, so a retry is safe.
            raise Unavailable(f"Could not reach SendGrid at {self._config.api_url}: {_reason(exc)}.", hint=_RESUME_HINT) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
            raise OutcomeUnknown(
                f"No answer from SendGrid after the request was sent ({exc.__class__.__name__}).",
                hint="SendGrid may or may not have accepted these messages; they are marked unknown.",
            ) from None

    def _mapped(self, exc: http_errors.HTTPError) -> TransportError:
        status = int(getattr(exc, "status_code", 0) or 0)
        headers = getattr(exc, "headers", None)
        errors = _errors(getattr(exc, "body", b""), self._api_key)
        if 300 <= status < 400:  # a wrong api_url or a gateway: no retry will change it
            return TransportError(
                f"{self._config.api_url} answered {status}, a redirect to another address. press-mailer never follows "
                "one: it would carry the API key there.",
                status=status,
                hint=f"Check [sendgrid] api_url (SendGrid's is https://api.sendgrid.com). {_RESUME_HINT}",
            )
        if status in (401, 403):
            return _refused(status, errors)
        if status in (400, 415):  # 415 "Invalid UTF8 in request" (SENDGRID.md): no later try reads it better
            text = "; ".join(_error_text(e) for e in errors) or self._unlisted(status, getattr(exc, "body", b""))
            return Rejected(text, errors=errors, hint="Fix what SendGrid names, then send to these recipients again.")
        if status == 413:
            return TooLarge("SendGrid said the request is too large.", status=413)
        if status == 429:
            return RateLimited("SendGrid asked us to slow down (429).", retry_after=self._retry_after(headers))
        if status in _UNKNOWN_STATUSES:
            return OutcomeUnknown(
                f"SendGrid's gateway answered {status} ({HTTPStatus(status).phrase}): it may have passed the request on, "
                "so SendGrid may have accepted it.",
                hint="These messages are marked unknown, not resent: events may settle them; see mailer status.",
                status=status,
            )
        text = "; ".join(_error_text(e) for e in errors) or f"HTTP {status}"
        return Unavailable(f"SendGrid answered {status}: {text}", status=status, hint=_RESUME_HINT)

    def _unlisted(self, status: int, body: bytes | str | None) -> str:
        """A refusal without SendGrid's list of errors (a proxy's "400 Bad Request" page, most likely), in
        plain words: who answered, and the page's text without its markup, on one line (carry28)."""
        import re

        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        text = re.sub(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", " ", text, flags=re.DOTALL | re.IGNORECASE)
        words = " ".join("".join(c if c.isprintable() else " " for c in api.without_key(text, self._api_key)).split())
        # A page repeats its title in its heading ("400 Bad Request ... 400 Bad Request"): once is enough.
        half = words[: len(words) // 2].strip()
        if half and words == f"{half} {half}":
            words = half
        quoted = f': "{words[:120]}{"..." if len(words) > 120 else ""}"' if words else ""
        return f"{self._config.api_url} answered {status} ({HTTPStatus(status).phrase}) without SendGrid's list of errors{quoted}"

    def _retry_after(self, headers: Any) -> float:
        """Seconds until the rate limit resets, from X-RateLimit-Reset (unix time) or Retry-After.

        The reset is a time on SendGrid's clock, so it is read against the answer's own Date when
        there is one: on a computer whose clock ran ahead of SendGrid's, every reset looked past and
        the request was tried again at once, its twenty tries gone in a burst (review 26s #1). A
        reset already past is no leave to try again that instant: a second at least.
        """
        reset = _header(headers, "X-RateLimit-Reset")
        if reset:
            try:
                seconds = float(reset) - _answered_at(headers, self._clock)
            except (ValueError, OverflowError):
                seconds = 0.0
            if math.isfinite(seconds) and seconds > 0:
                return seconds
        retry_after = _header(headers, "Retry-After")
        try:
            return max(0.0, float(retry_after)) if retry_after else 1.0
        except ValueError:
            return 1.0


class _MailSend(api.Endpoint):
    """POST /v3/mail/send, asking ``ready`` once the request is built, before it leaves
    (Withheld when it says no). One per thread: ``ready`` and ``encoded`` are the call in progress's.

    ``encoded`` is the body as ``encoded`` made it: the library builds the request around a
    stand-in body (its URL, headers, ``Content-Type: application/json``) and this puts the real
    one in before it leaves."""

    ready: Ready | None = None
    encoded: bytes | None = None

    def _make_request(self, opener: Any, request: Any, timeout: float | None = None) -> Any:
        if self.ready is not None and not self.ready():
            raise Withheld
        if self.encoded is not None:
            request.data = self.encoded
        return super()._make_request(opener, request, timeout=timeout)


# What the library is given to encode for a Mail Send (``_MailSend.encoded`` is what leaves).
_ENCODED_APART: dict[str, Any] = {}


def encoded(body: Mapping[str, Any]) -> bytes:
    """A Mail Send body as the JSON bytes that leave: msgspec's encoder, about a tenth of the
    CPU of the library's ``json.dumps`` for a body of 1,000 journalists (0.3 ms against 3 ms,
    held under the GIL while the requests out wait for their answers). The same JSON, its text in
    UTF-8 as it is where ``json.dumps`` writes ``\\u`` escapes: never longer, so the size the plan
    allowed for each request holds. A text ``json.dumps`` can write and UTF-8 cannot (a lone
    surrogate), or a value msgspec does not take as text (a str subclass such as jinja2's ``Markup``),
    goes the library's way."""
    import msgspec

    try:
        return msgspec.json.encode(body)
    except (msgspec.EncodeError, UnicodeEncodeError, TypeError):  # TypeError: a str subclass (jinja2's Markup)
        return json.dumps(body).encode("utf-8")


def _refused(status: int, errors: list[dict[str, str | None]]) -> AuthError:
    """401/403: the key, its permissions, or (403) a From address SendGrid has not verified (SENDGRID.md §1.4)."""
    said = "; ".join(_error_text(e) for e in errors)
    if status == 403 and any(e.get("field") == "from" or "sender identity" in str(e.get("message")).lower() for e in errors):
        return AuthError(
            f"SendGrid refused the From address: {said} Verify that address in SendGrid (Settings > Sender Authentication).",
            status=status,
            hint="Verify the From address in SendGrid, then send again.",
        )
    return AuthError(
        AUTH_MESSAGE + (f" (SendGrid said: {said})" if said else ""),
        status=status,
        hint="Create a key under Settings > API Keys in SendGrid and set it again.",
    )


_RESUME_HINT = "Nothing was accepted for this request; it stays planned and `mailer resume` sends it later."


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    return str(value) if value is not None else None


def _answered_at(headers: Any, clock: Callable[[], float]) -> float:
    """When SendGrid answered, by its clock (the answer's Date header, to the second), else ``clock()``."""
    date = _header(headers, "Date")
    if date:
        try:
            moment = email.utils.parsedate_to_datetime(date)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()  # HTTP dates are GMT
        except (TypeError, ValueError, IndexError):
            pass
    return clock()


def _reason(exc: urllib.error.URLError) -> str:
    reason = exc.reason
    return str(reason.strerror if isinstance(reason, OSError) and reason.strerror else reason)


def _errors(body: bytes | str | None, api_key: SecretStr) -> list[dict[str, str | None]]:
    """SendGrid's {"errors": [{"message", "field", "help"}]}, tolerant of anything else; the API
    key hidden wherever the answer quotes it (a gateway's error page may: review 11s, promise 5)."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return []
    found = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return []
    # Each on one line (review 20c #10: a message "bad name\nWarning: ..." printed a warning of its own
    # in mailer send and mailer status, and a line of the failed recipients' error text in the log).
    return [
        {
            "message": " ".join(api.without_key(str(e.get("message", "")), api_key).split()),
            "field": _field(e.get("field"), api_key),
        }
        for e in found
        if isinstance(e, dict)
    ]


def _field(value: Any, api_key: SecretStr) -> str | None:
    """An error's field on one line; None for none, also where SendGrid writes "null" as text
    (the error examples of tsg_mail_v3.json do: review 26s #2, "refused by SendGrid: null: invalid request")."""
    if value is None:
        return None
    field = " ".join(api.without_key(str(value), api_key).split())
    return None if field.lower() in ("", "null", "none") else field


def _error_text(error: Mapping[str, str | None]) -> str:
    field = error.get("field")
    return f"{field}: {error.get('message')}" if field else str(error.get("message"))
