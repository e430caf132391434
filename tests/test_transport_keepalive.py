"""Kept-alive connections (transport/keepalive.py): fewer connections, never a request in doubt.

Each request of a send used to open its own connection (and, against api.sendgrid.com, its own
TLS handshake). Now a worker thread reuses one while that is safe: never after the server said
``Connection: close``, closed it, or left it idle too long. Requests through a proxy go the
library's way (urllib), as before.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from send_fixtures import config_for, transport_for
from sendgrid_standin import SendGridStandIn
from sqlalchemy import Engine
from test_send import run, started
from test_transport_sendgrid import request

from mailer.errors import Unavailable
from mailer.models import MessageState
from mailer.transport import keepalive


def test_requests_of_one_thread_share_one_connection(standin: Any) -> None:
    """Five requests in a row: one connection, every request accepted once."""
    transport = transport_for(standin, config_for(standin.url))
    results = [transport.send(request(2)) for _ in range(5)]
    assert [r.status for r in results] == [202] * 5
    assert len(standin.mail_sends) == 5
    assert standin.connections() == 1


def test_an_answer_with_connection_close_is_followed_by_a_new_connection(standin: Any) -> None:
    """The server said it closes: the next request opens a new connection; nothing fails or repeats."""
    standin.close_after(times=1)
    transport = transport_for(standin, config_for(standin.url))
    results = [transport.send(request(2)) for _ in range(3)]
    assert [r.status for r in results] == [202] * 3
    assert len(standin.mail_sends) == 3
    assert standin.connections() == 2


@pytest.fixture
def impatient() -> Iterator[SendGridStandIn]:
    """A stand-in that closes connections left idle for 0.2 s (uvicorn's keep-alive timeout)."""
    server = SendGridStandIn().start(keep_alive=0.2)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_connection_the_server_closed_while_idle_is_not_reused(impatient: SendGridStandIn) -> None:
    """The server closed the idle connection: the next request goes over a new one and is accepted,
    not lost into "unknown"."""
    transport = transport_for(impatient, config_for(impatient.url))
    assert transport.send(request(2)).status == 202
    time.sleep(0.6)  # well past the server's 0.2 s, well under IDLE_LIMIT
    assert transport.send(request(2)).status == 202
    assert len(impatient.mail_sends) == 2
    assert impatient.connections() == 2


def test_a_connection_idle_past_the_limit_is_not_reused(standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle longer than IDLE_LIMIT: a new connection, even though this server would still take the old one."""
    monkeypatch.setattr(keepalive, "IDLE_LIMIT", 1.0)  # a loaded machine may take a good part of a second between two sends
    transport = transport_for(standin, config_for(standin.url))
    transport.send(request(1))
    time.sleep(1.5)
    transport.send(request(1))
    transport.send(request(1))  # straight after: the same connection again
    assert standin.connections() == 2


def test_a_send_uses_a_connection_per_worker_not_per_request(store: Engine, standin: Any) -> None:
    """A campaign of 12 requests at concurrency 2: at most 3 connections (one per worker thread)."""
    campaign_id, _ = started(store, 60, batch_size=5)
    outcome = run(store, standin, campaign_id, concurrency=2)
    assert outcome.counts[MessageState.ACCEPTED.value] == 60
    assert len(standin.mail_sends) == 12
    assert standin.connections() <= 3


# -- a kept connection that died between its check and the request --------------------------


class _OneAnswerPerConnection:
    """A raw HTTP server: answers one request per connection with 202, then resets the connection (RST)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self.complete_requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with client:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += client.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
                while len(body) < length:
                    body += client.recv(65536)
                self.complete_requests += 1
                client.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nX-Message-Id: m1\r\n\r\n")
                time.sleep(0.05)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close

    def close(self) -> None:
        self.sock.close()


def test_a_request_that_could_not_be_written_to_a_kept_connection_goes_over_a_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server reset the kept connection just after the check (the check is made to miss it here):
    writing fails, so the request did not leave; it is written once more on a new connection and
    accepted, and the server saw it complete once."""
    server = _OneAnswerPerConnection()
    try:
        config = config_for(server.url)
        transport = transport_for(type("S", (), {"api_key": "SG.k.k"})(), config)
        assert transport.send(request(1)).status == 202
        time.sleep(0.3)  # the reset has arrived
        monkeypatch.setattr(keepalive, "_readable", lambda sock: False)
        assert transport.send(request(1)).status == 202
        assert server.connections == 2
        assert server.complete_requests == 2
    finally:
        server.close()


# -- proxies: left to urllib, as before ----------------------------------------------------


class _Proxy(http.server.ThreadingHTTPServer):
    """A forward proxy for plain http (absolute-form request lines), counting what passed through."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _Proxy

    def do_POST(self) -> None:
        self.server.seen.append(self.path)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection", "connection")}
        forwarded = urllib.request.Request(self.path, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            answer = opener.open(forwarded, timeout=10)
            status, data, answer_headers = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as exc:
            status, data, answer_headers = exc.code, exc.read(), exc.headers
        self.send_response(status)
        for name in ("X-Message-Id", "Content-Type"):
            if answer_headers.get(name):
                self.send_header(name, answer_headers[name])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_through_a_proxy_requests_still_go_through_the_proxy(standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An office behind a proxy (HTTP_PROXY): every request passes the proxy, as urllib always sent them."""
    proxy = _Proxy()
    try:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        transport = transport_for(standin, config_for(standin.url))
        assert [transport.send(request(1)).status for _ in range(2)] == [202, 202]
        assert proxy.seen == [f"{standin.url}/v3/mail/send"] * 2
        assert len(standin.mail_sends) == 2
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_direct_follows_the_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """``direct`` says what urllib would do: a proxy for the scheme, unless NO_PROXY names the host."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert keepalive.direct("https://api.sendgrid.com")
    monkeypatch.setenv("https_proxy", "http://proxy.example.org:3128")
    assert not keepalive.direct("https://api.sendgrid.com")
    assert keepalive.direct("http://api.sendgrid.com")  # no proxy for plain http
    monkeypatch.setenv("no_proxy", "api.sendgrid.com")
    assert keepalive.direct("https://api.sendgrid.com")


# -- https: one handshake per connection; a refused certificate sends nothing ----------------


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_standin(tmp_path: Path) -> Iterator[tuple[SendGridStandIn, Path]]:
    cert_file, key_file = _certificate(tmp_path)
    server = SendGridStandIn().start(tls=(cert_file, key_file))
    try:
        yield server, cert_file
    finally:
        server.stop()


@pytest.mark.slow
def test_https_requests_share_one_handshake(tls_standin: tuple[SendGridStandIn, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Over https (as to api.sendgrid.com), a certificate the system trusts: one connection for three requests."""
    server, cert_file = tls_standin
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    transport = transport_for(server, config_for(server.url))
    assert [transport.send(request(1)).status for _ in range(3)] == [202] * 3
    assert server.connections() == 1


@pytest.mark.slow
def test_https_with_an_untrusted_certificate_sends_nothing(tls_standin: tuple[SendGridStandIn, Path], tmp_path: Path) -> None:
    """A certificate nobody vouches for (an intercepting proxy, a wrong host): the handshake fails before
    anything leaves, so the request stays planned (Unavailable), never "unknown"."""
    server, _ = tls_standin
    with pytest.raises(Unavailable) as caught:
        transport_for(server, config_for(server.url)).send(request(1))
    assert caught.value.message.startswith(f"Could not reach SendGrid at {server.url}: ")
    assert "certificate" in caught.value.message
    assert server.mail_sends == []


def test_kept_refuses_what_is_not_http() -> None:
    with pytest.raises(ValueError, match="not an http"):
        keepalive.Kept("ftp://example.org")
