"""One kept-alive HTTP connection per worker thread, for POST /v3/mail/send.

python_http_client opens a new connection for every request (urllib has no reuse, SENDGRID.md
"reuse / threads"), so each of a send's requests paid a TCP connect and, against
api.sendgrid.com, a TLS handshake: a million journalists are a thousand requests. ``Kept`` holds
one ``http.client`` connection and sends each request over it while the server keeps it open.

The risk of reuse: a request written into a connection the server is closing at that moment
gets no answer, and nobody can tell whether it was applied, so its journalists become
"unknown" (RFC 9112 §9.3.1 forbids sending such a POST again on one's own; never twice, then).
Servers close a connection when it has been idle for their keep-alive timeout (2 s (gunicorn)
to 60 s (AWS load balancers)) or when they restart. So a connection is not reused after
``IDLE_LIMIT`` seconds without a request (a send reuses its connections within milliseconds;
the idle time is also read from the wall clock, which counts a laptop's sleep, unlike the
monotonic one), nor past the server's own ``Keep-Alive: timeout=``, nor once the server has
closed it (its socket is readable: end of file), nor after an answer that says
``Connection: close``. What is left is a server restarting within a round trip of a request on
a kept connection: rare, and then "unknown", as a request whose answer was lost always is.

Failures keep the meaning ``urllib`` gave them (transport/sendgrid.py ``_call`` maps them):

- connecting, the TLS handshake, or writing the request on a new connection fails:
  ``urllib.error.URLError``, "nothing was sent" (urllib raises the same for the same steps);
- writing fails on a kept connection (the server had closed it): the request did not wholly
  leave, so it is written once more on a new connection;
- anything while waiting for or reading the answer: ``OSError`` / ``http.client.HTTPException``
  as raised, "the outcome is unknown";
- any status but 2xx: the library's own ``python_http_client.exceptions`` class for it, as
  its ``Client._make_request`` raises through urllib (a redirect is not acceptance: review 9ka);
  an interim 1xx answer other than 100 Continue: ``http.client.HTTPException`` ("unknown":
  the final answer was not read).

Requests through a proxy (``HTTPS_PROXY`` and the like, honoured by urllib) are left to urllib:
``direct`` says whether a URL is reached without one.
"""

from __future__ import annotations

import http.client
import re
import selectors
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from python_http_client import exceptions as http_errors

__all__ = ["IDLE_LIMIT", "Answer", "Kept", "direct"]

IDLE_LIMIT = 1.0  # seconds a connection may wait unused and still be reused
_KEEP_ALIVE_TIMEOUT = re.compile(r"(?:^|,)\s*timeout\s*=\s*(\d+)", re.IGNORECASE)


def direct(url: str) -> bool:
    """True when urllib would reach ``url`` without a proxy (none set for its scheme, or NO_PROXY names it)."""
    request = urllib.request.Request(url)
    proxy = urllib.request.getproxies().get(request.type)
    return not proxy or bool(urllib.request.proxy_bypass(request.host))


class Answer:
    """An answer, read whole, in the shape python_http_client's Response reads (getcode, read, info)."""

    def __init__(self, status: int, body: bytes, headers: http.client.HTTPMessage) -> None:
        self.status, self.body, self.headers = status, body, headers

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self.body

    def info(self) -> http.client.HTTPMessage:
        return self.headers


class Kept:
    """One connection to one scheme://host:port, reused while it is safe; for one thread at a time.

    ``clocks`` (monotonic and wall seconds) are for tests. ``close`` ends the connection; it is
    also ended when the object is collected (the worker thread holding it ended).
    """

    def __init__(self, url: str, *, clocks: tuple[Callable[[], float], Callable[[], float]] = (time.monotonic, time.time)) -> None:
        self._connection: http.client.HTTPConnection | None = None
        target = urllib.request.Request(url)
        if target.type not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._https = target.type == "https"
        self._host = target.host
        self._clocks = clocks
        self._last_used = (0.0, 0.0)
        self._idle_limit = IDLE_LIMIT
        self.opened = 0  # connections opened so far (for tests and benchmarks)

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """End the connection, if one is open."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def open(self, request: urllib.request.Request, timeout: float | None) -> Answer:
        """Send ``request`` (method, URL, headers, body as urllib holds them) and read the answer.

        Raises as the module docstring says; an error status raises the library's HTTPError.
        """
        headers = {name: value for name, value in request.header_items() if name.lower() != "connection"}
        kept = self._kept()
        connection = kept or self._new(timeout)
        reused = kept is not None
        try:
            connection.request(request.get_method(), request.selector, body=request.data, headers=headers)
        except OSError as exc:  # the request did not wholly leave
            self.close()
            if not reused:
                raise urllib.error.URLError(exc) from None
            connection = self._new(timeout)
            try:
                connection.request(request.get_method(), request.selector, body=request.data, headers=headers)
            except OSError as again:
                self.close()
                raise urllib.error.URLError(again) from None
            except BaseException:  # Ctrl-C while writing: never keep a half-written connection (review 9ka)
                self.close()
                raise
        except BaseException:
            self.close()
            raise
        try:
            response = connection.getresponse()
            body = response.read()
        except BaseException:
            self.close()
            raise
        self._last_used = (self._clocks[0](), self._clocks[1]())
        self._idle_limit = _idle_limit(response.headers)
        if response.will_close or response.status < 200:
            self.close()
        if response.status < 200:  # 100 Continue is skipped by http.client; 103 Early Hints and the like are not
            raise http.client.HTTPException(f"interim answer {response.status} instead of a final one")
        if response.status >= 300:
            error = http_errors.err_dict.get(response.status, http_errors.HTTPError)
            raise error(response.status, response.reason, body, response.headers)
        return Answer(response.status, body, response.headers)

    def _kept(self) -> http.client.HTTPConnection | None:
        """The open connection when it may carry the next request; else None (and it is closed)."""
        connection = self._connection
        if connection is None:
            return None
        idle = max(clock() - last for clock, last in zip(self._clocks, self._last_used, strict=True))
        if idle > self._idle_limit or connection.sock is None or _readable(connection.sock):
            self.close()
            return None
        return connection

    def _new(self, timeout: float | None) -> http.client.HTTPConnection:
        """Connect (and shake hands, for https) now; URLError when that fails, as urllib says."""
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = kind(self._host, timeout=timeout)
        try:
            connection.connect()
        except OSError as exc:
            connection.close()
            raise urllib.error.URLError(exc) from None
        self._connection = connection
        self.opened += 1
        return connection


def _idle_limit(headers: http.client.HTTPMessage) -> float:
    """IDLE_LIMIT, or less when the server says it keeps a connection open for a shorter time
    (``Keep-Alive: timeout=N``, RFC 2068 §19.7.1): half its timeout, for the round trip."""
    found = _KEEP_ALIVE_TIMEOUT.search(headers.get("Keep-Alive", "") or "")
    return min(IDLE_LIMIT, int(found.group(1)) / 2) if found else IDLE_LIMIT


def _readable(sock: Any) -> bool:
    """True when an idle connection's socket has something to read: the server closed it (or broke the protocol)."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(timeout=0))
