"""SendGrid's v3 API endpoints through python_http_client, never following a redirect.

urllib, under python_http_client, follows a 3xx to wherever it points and copies every header
there, ``Authorization: Bearer <API key>`` included (review 11s: a 302 from a gateway or a
mistyped ``api_url`` handed the key to another host). Every call press-mailer makes to SendGrid
goes through ``Endpoint``, whose ``_make_request`` (the seam python_http_client's docstring names)
opens the request with an opener that refuses redirects, or over a kept-alive connection
(transport/keepalive.py), which never follows one either. A refused redirect raises the library's
HTTPError with its 3xx status, for the caller to map like any other error answer.

Shared by the transport (Mail Send, scheduled sends) and the events stage (suppression sync), so
it imports no stage of press-mailer.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, overload

from pydantic import SecretStr
from python_http_client import Client

# What a SendGrid API key looks like (SG.<id>.<secret>): removed from any text SendGrid, or a
# gateway in front of it, sends back before it reaches an error message (promise 5).
_KEY_LIKE = re.compile(r"SG\.[\w-]+\.[\w-]+")
HIDDEN_KEY = "SG.***"


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


class Opens(Protocol):
    """A connection that sends a urllib request itself (transport/keepalive.py's Kept)."""

    def open(self, request: Any, timeout: float | None) -> Any: ...


class Endpoint(Client):  # type: ignore[misc]  # python_http_client has no type hints
    """One endpoint of the API (``.post(request_body=...)``, ``.get(query_params=...)``, as the
    library's Client). With ``kept``, requests go over that kept-alive connection; otherwise over
    urllib, redirects refused."""

    kept: Opens | None = None

    def _make_request(self, opener: Any, request: Any, timeout: float | None = None) -> Any:
        if self.kept is not None:
            return self.kept.open(request, timeout or self.timeout)
        return super()._make_request(urllib.request.build_opener(_RefuseRedirects()), request, timeout=timeout)


E = TypeVar("E", bound=Endpoint)


@overload
def endpoint(api_key: SecretStr, api_url: str, path: Sequence[str], *, timeout: float) -> Endpoint: ...
@overload
def endpoint(api_key: SecretStr, api_url: str, path: Sequence[str], *, timeout: float, kind: type[E]) -> E: ...
def endpoint(api_key: SecretStr, api_url: str, path: Sequence[str], *, timeout: float, kind: type[Endpoint] = Endpoint) -> Endpoint:
    """The endpoint at ``api_url``/v3/``path`` (its segments, e.g. ("mail", "batch")), carrying
    the sendgrid library's request headers (the key, its user agent); ``kind``: an Endpoint subclass."""
    from sendgrid import SendGridAPIClient

    library = SendGridAPIClient(api_key.get_secret_value(), host=api_url.rstrip("/")).client
    return kind(host=library.host, request_headers=dict(library.request_headers), version=3, url_path=list(path), timeout=timeout)


def without_key(text: str, api_key: SecretStr | None = None) -> str:
    """``text`` (an error answer's words) with the API key, and anything shaped like one, hidden."""
    if api_key is not None and api_key.get_secret_value():
        text = text.replace(api_key.get_secret_value(), HIDDEN_KEY)
    return _KEY_LIKE.sub(HIDDEN_KEY, text)
