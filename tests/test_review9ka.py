"""Review 9ka: kept-alive Mail Send connections (transport/keepalive.py, commit dc5a0a4).

Each test states a finding as the behaviour a user would want; each failed on the code it was
written against. Two state the limit that stays (a request written into a connection the server
was closing is unknown, never sent twice).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from send_fixtures import config_for, transport_for
from sqlalchemy import Engine
from test_send import run, started
from test_transport_sendgrid import request

from mailer.errors import OutcomeUnknown, SendError, TransportError
from mailer.models import MessageState
from mailer.store import messages
from mailer.transport import keepalive

_KEY_HOLDER = type("KeyHolder", (), {"api_key": "SG.k.k"})()


def _read_request(client: socket.socket) -> tuple[bytes, bytes] | None:
    """One whole HTTP request from ``client`` (head, body), or None when the peer closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


class _RawServer:
    """A raw HTTP server on 127.0.0.1: ``handle(client, url)`` serves each connection in its own thread."""

    def __init__(self, handle: Callable[[socket.socket, str], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self.complete_requests: list[bytes] = []  # the request line of every request read whole
        self._handle = handle
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(client,), daemon=True).start()

    def _one(self, client: socket.socket) -> None:
        with client:
            try:
                self._handle(client, self.url)
            except OSError:
                pass

    def read(self, client: socket.socket) -> tuple[bytes, bytes] | None:
        got = _read_request(client)
        if got is not None:
            self.complete_requests.append(got[0].split(b"\r\n")[0])
        return got

    def close(self) -> None:
        self.sock.close()


# -- 1. a redirect (or any 1xx/3xx) is taken for "accepted" ----------------------------------


@pytest.mark.parametrize("status", ["301 Moved Permanently", "307 Temporary Redirect", "308 Permanent Redirect"])
def test_a_redirect_answer_to_mail_send_is_not_taken_for_acceptance(status: str) -> None:
    """A gateway or an http:// api_url answering the POST with a redirect accepted nothing: the
    request must not come back as a RequestResult (which marks its journalists "accepted"). The
    urllib path raised for it (307/308: "SendGrid answered 307", rows planned)."""
    server: _RawServer

    def handle(client: socket.socket, url: str) -> None:
        while server.read(client) is not None:
            client.sendall(f"HTTP/1.1 {status}\r\nLocation: https://api.sendgrid.com/v3/mail/send\r\nContent-Length: 0\r\n\r\n".encode())

    server = _RawServer(handle)
    try:
        transport = transport_for(_KEY_HOLDER, config_for(server.url, timeout=5.0))
        with pytest.raises(TransportError):
            transport.send(request(2))
    finally:
        server.close()


def test_a_send_answered_307_marks_nobody_accepted(store: Engine) -> None:
    """The whole send answered "307 Temporary Redirect" (an http:// api_url behind a gateway that
    moves everyone to https): nothing reached SendGrid, so no journalist may be logged "accepted"
    (a later `mailer send` of the same release would then skip them: promise 8)."""
    server: _RawServer

    def handle(client: socket.socket, url: str) -> None:
        while server.read(client) is not None:
            client.sendall(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://api.sendgrid.com/v3/mail/send\r\nContent-Length: 0\r\n\r\n"
            )

    server = _RawServer(handle)
    try:
        campaign_id, _ = started(store, 20, batch_size=10)
        with pytest.raises(SendError, match="answered 307, a redirect"):  # not SendGrid: stopped, the rest stays planned
            run(store, type("At", (), {"url": server.url, "api_key": "SG.k.k"})(), campaign_id, retries=0)
        with store.connect() as connection:
            counts = messages.counts(connection, campaign_id)
        assert counts[MessageState.ACCEPTED.value] == 0 and counts[MessageState.PLANNED.value] == 20
    finally:
        server.close()


def test_an_interim_103_answer_is_not_taken_for_the_final_one() -> None:
    """A front end sending "103 Early Hints" before SendGrid's real answer (here a 400): never
    accepted with status 103, never retried (urllib raised "SendGrid answered 103": retried, so an
    accepted request would have been sent twice; http.client skips only 100 Continue). The final
    answer is not read, so the request's fate is unknown. Unlikely from SendGrid itself."""
    server: _RawServer
    refusal = b'{"errors": [{"message": "The from email does not contain a valid address.", "field": "from.email"}]}'

    def handle(client: socket.socket, url: str) -> None:
        while server.read(client) is not None:
            client.sendall(
                b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(refusal), refusal)
            )

    server = _RawServer(handle)
    try:
        transport = transport_for(_KEY_HOLDER, config_for(server.url, timeout=5.0))
        with pytest.raises(OutcomeUnknown, match="HTTPException"):
            transport.send(request(2))
    finally:
        server.close()


# -- 2. a connection the server closes while our next request is on its way ------------------


class _Latency:
    """A TCP relay in front of ``upstream`` (host, port) that delays what the server sends, its
    close included, by ``delay`` seconds: a network between us and SendGrid, where a FIN takes
    half a round trip to arrive. What the client sends passes at once. Not an HTTP proxy: the
    transport still connects "directly"."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream, self.delay = upstream, delay
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._forward, args=(client, server), daemon=True).start()
            threading.Thread(target=self._delayed, args=(server, client), daemon=True).start()

    @staticmethod
    def _forward(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass

    def _delayed(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            due = time.monotonic() + self.delay
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                if not chunk:
                    target.shutdown(socket.SHUT_WR)  # the server's FIN, late
                    return
                target.sendall(chunk)
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()


def _two_requests(relay: Callable[[tuple[str, int]], Any], *, closes_after: float, pause: float) -> tuple[str, int]:
    """Two one-journalist requests ``pause`` s apart through ``relay`` to a server that answers the
    first on a connection and closes that connection ``closes_after`` s later. Returns the second
    request's fate ("sent", "unknown" or "stays planned") and how many requests the server read whole."""
    server: _RawServer

    def handle(client: socket.socket, url: str) -> None:
        if server.read(client) is not None:
            client.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nX-Message-Id: m1\r\n\r\n")
            time.sleep(closes_after)  # then closes it (leaving ``with client``), as an idle connection

    server = _RawServer(handle)
    between = relay(server.sock.getsockname())
    try:
        transport = transport_for(_KEY_HOLDER, config_for(between.url, timeout=5.0))
        assert transport.send(request(1)).status == 202
        time.sleep(pause)
        try:
            transport.send(request(1))
            outcome = "sent"
        except OutcomeUnknown:
            outcome = "unknown"
        except TransportError:
            outcome = "stays planned"
        return outcome, len(server.complete_requests)
    finally:
        between.close()
        server.close()


def _late_fin(upstream: tuple[str, int]) -> _Latency:
    return _Latency(upstream, delay=1.0)


def test_a_request_written_into_a_connection_the_server_was_closing_is_unknown_never_twice() -> None:
    """The server closes a kept connection (a restart, a load balancer draining) 0.5 s after
    answering; its FIN needs 1 s to arrive. The next request, sent as soon as the answer came, is
    written into the closed connection and gets no answer. Nothing can tell whether a server
    applied a request it did not answer, and RFC 9112 §9.3.1 forbids sending such a POST again on
    one's own: its journalists are "unknown" (the user decides), never mailed twice, never logged
    accepted. The limit of kept connections, accepted for what they save (review 9ka found it;
    README, How a large send runs)."""
    outcome, read_whole = _two_requests(_late_fin, closes_after=0.5, pause=0)
    assert read_whole == 1  # the server never had the second request
    assert outcome == "unknown"


def test_control_over_urllib_a_request_after_a_server_close_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same network over the urllib path (as through a proxy, or before dc5a0a4): a new
    connection for the second request, which is sent and accepted."""
    monkeypatch.setattr(keepalive, "direct", lambda url: False)
    assert _two_requests(_late_fin, closes_after=0.5, pause=0) == ("sent", 2)


# -- 3. a kept connection that died without a FIN reaching us --------------------------------


class _Forgetful:
    """A TCP relay in front of ``upstream`` that loses the server's FIN: the laptop slept, or
    changed networks (Wi-Fi, VPN), or a firewall dropped the connection's state while it was
    idle. The client's socket still looks open; what it sends next is answered by a reset, as a
    server that no longer knows the connection answers it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            gone = threading.Event()
            threading.Thread(target=self._up, args=(client, server, gone), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, gone), daemon=True).start()

    @staticmethod
    def _up(client: socket.socket, server: socket.socket, gone: threading.Event) -> None:
        try:
            while chunk := client.recv(65536):
                if gone.is_set():  # a connection the other end has forgotten: reset, a round trip later
                    time.sleep(0.5)  # (long: the client writes head and body in two calls)
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    client.close()
                    return
                server.sendall(chunk)
        except OSError:
            pass

    @staticmethod
    def _down(server: socket.socket, client: socket.socket, gone: threading.Event) -> None:
        try:
            while chunk := server.recv(65536):
                client.sendall(chunk)
        except OSError:
            pass
        gone.set()  # the FIN is lost on the way

    def close(self) -> None:
        self.sock.close()


def test_a_request_on_a_kept_connection_that_died_silently_is_unknown_never_twice() -> None:
    """Between two requests 0.3 s apart the connection died without its FIN reaching us (a
    network change, a firewall forgetting it). The next request goes into the dead connection and
    is answered by a reset: "unknown", never resent on its own, never logged accepted (the limit
    above; a laptop's sleep is counted by the idle limit's wall clock)."""
    outcome, read_whole = _two_requests(_Forgetful, closes_after=0.05, pause=0.3)
    assert read_whole == 1
    assert outcome == "unknown"


def test_a_connection_idle_through_a_sleep_is_not_reused(standin: Any) -> None:
    """The monotonic clock stands still while a laptop sleeps; the wall clock does not: an hour of
    sleep between two requests means a new connection, though the monotonic clock saw 0 s."""
    wall = [1_000_000.0]
    kept = keepalive.Kept(standin.url, clocks=(lambda: 5.0, lambda: wall[0]))
    transport = transport_for(standin, config_for(standin.url))
    mail_send = transport._mail_send()
    mail_send.kept = kept
    transport.send(request(1))
    transport.send(request(1))
    assert kept.opened == 1
    wall[0] += 3600
    transport.send(request(1))
    assert kept.opened == 2 and len(standin.mail_sends) == 3


def test_a_server_keep_alive_timeout_shorter_than_the_limit_is_honoured() -> None:
    """A server that says ``Keep-Alive: timeout=1`` keeps a connection 1 s: reused for 0.5 s at most."""
    import email

    said = email.message_from_string("Keep-Alive: timeout=1, max=100\n\n", _class=http.client.HTTPMessage)
    assert keepalive._idle_limit(said) == 0.5
    assert keepalive._idle_limit(email.message_from_string("\n", _class=http.client.HTTPMessage)) == keepalive.IDLE_LIMIT


def test_control_over_urllib_a_request_after_a_silent_death_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same network over the urllib path: a new connection, sent and accepted."""
    monkeypatch.setattr(keepalive, "direct", lambda url: False)
    assert _two_requests(_Forgetful, closes_after=0.05, pause=0.3) == ("sent", 2)


# -- 4. a request interrupted while being written leaves a half-written connection kept -------


def test_a_request_interrupted_while_written_does_not_spoil_the_next(standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script using the library on its main thread: Ctrl-C lands while a request's body is being
    written (its head went out). The script carries on with the next request within a second:
    it must go out (a new connection), not fail as "unknown" with nothing sent because
    http.client refuses a second request on the half-written connection (CannotSendRequest)."""
    import http.client

    transport = transport_for(standin, config_for(standin.url))
    real_send = http.client.HTTPConnection.send
    calls = {"n": 0}

    def interrupted(self: http.client.HTTPConnection, data: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the body, after the head
            raise KeyboardInterrupt
        real_send(self, data)

    try:
        assert transport.send(request(1)).status == 202  # the connection is now kept
        monkeypatch.setattr(http.client.HTTPConnection, "send", interrupted)
        with pytest.raises(KeyboardInterrupt):
            transport.send(request(1))
        monkeypatch.setattr(http.client.HTTPConnection, "send", real_send)
        assert transport.send(request(1)).status == 202
    finally:
        # Close the half-written connection (the shared stand-in would wait 10 s for it at the end):
        # the traceback of the failure keeps the transport alive, so it is closed by hand.
        kept = getattr(getattr(transport._local, "mail_send", None), "kept", None)
        if kept is not None:
            kept.close()
