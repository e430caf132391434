"""The webhook through a real uvicorn on 127.0.0.1, started the way a press office starts it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from eventlog import (
    T0,
    TEST_PUBLIC_KEY,
    add_campaign,
    add_message,
    body,
    event_count,
    messages,
    sg_event,
    signed_headers,
)

from mailer.store import connect

pytestmark = pytest.mark.slow  # real processes and servers: CI runs these; `pytest -m "not slow"` skips them

CAMPAIGN = "2026-02-19-wetlands"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(folder: Path, *, key: str | None, db_url: str = "sqlite:///log.db", webhook: tuple[str, ...] = ()) -> Path:
    lines = ["[database]", f'url = "{db_url}"', "[webhook]", *webhook]
    if key:
        lines.append(f'verification_key = "{key}"')
    path = folder / "mailer.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "--config", str(config), "webhook", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=None if env is None else {**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"webhook exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.terminate()
    raise AssertionError("webhook did not start within 20 s")


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[tuple[str, str]]:
    """`mailer webhook` on a free port, writing to the test's delivery log; yields its URL and the log's."""
    config = write_config(tmp_path, key=TEST_PUBLIC_KEY, db_url=db_url)
    process, url = start(config)
    yield url, db_url
    process.terminate()
    process.wait(timeout=10)


def test_webhook_server_stores_signed_batches_and_refuses_forged_ones(server: tuple[str, str]) -> None:
    """Through uvicorn: a signed batch is 200 and stored, a forged one 403, a broken one 200 and quarantined whole."""
    url, db_url = server
    engine = connect(db_url)
    add_campaign(engine, CAMPAIGN)
    key = add_message(engine, CAMPAIGN, "ana@example.org", state="unknown")
    payload = body(
        [
            sg_event("processed", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 1),
            sg_event("delivered", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 2),
        ]
    )
    good = httpx.post(url + "/sendgrid/events", content=payload, headers=signed_headers(payload))
    forged = httpx.post(url + "/sendgrid/events", content=payload.replace(b"delivered", b"deferred\x20"), headers=signed_headers(payload))
    broken_body = b"[{]\r\n"
    broken = httpx.post(url + "/sendgrid/events", content=broken_body, headers=signed_headers(broken_body))
    assert (good.status_code, forged.status_code, broken.status_code) == (200, 403, 200)
    assert broken.json()["quarantined"] == 1
    assert event_count(engine) == 2
    assert messages(engine, CAMPAIGN) == {"ana@example.org": ("accepted", "delivered")}


def test_webhook_server_two_workers_lose_no_event(tmp_path: Path, db_url: str) -> None:
    """Two uvicorn workers on one delivery log, posted to in parallel, store every event once."""
    config = write_config(tmp_path, key=TEST_PUBLIC_KEY, db_url=db_url)
    process, url = start(config, "--workers", "2")
    try:
        batches = [
            body([sg_event("open", f"p{b}-{i}@example.org", key=None, campaign_id=None, at=T0 + i) for i in range(300)]) for b in range(12)
        ]
        with ThreadPoolExecutor(6) as pool, httpx.Client(timeout=30) as http:
            answers = list(pool.map(lambda p: http.post(url + "/sendgrid/events", content=p, headers=signed_headers(p)), batches * 2))
        assert {a.status_code for a in answers} == {200}
        assert sum(a.json()["added"] for a in answers) == 3600
        assert event_count(connect(db_url)) == 3600
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_webhook_server_refuses_public_address_without_key(tmp_path: Path) -> None:
    """The real command exits 1 with the reason, without listening, when exposed without a key."""
    config = write_config(tmp_path, key=None)
    result = subprocess.run(
        [sys.executable, "-m", "mailer", "--config", str(config), "webhook", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "Error: No verification key is set" in result.stderr
    assert "Traceback" not in result.stderr


def test_webhook_server_cuts_off_a_body_that_trickles_in(tmp_path: Path) -> None:
    """A sender that trickles its body in a byte at a time is answered 408 once [webhook]
    body_timeout has passed and its connection is closed; one that gives up half way is one log
    line too. The webhook keeps taking batches, and its log holds no traceback."""
    config = write_config(tmp_path, key=TEST_PUBLIC_KEY, db_url=f"sqlite:///{tmp_path / 'log.db'}", webhook=("body_timeout = 0.5",))
    process, url = start(config)
    # signature headers (of another body): a request without any is refused before its body is read (edges 28)
    signed = "".join(f"{name}: {value}\r\n" for name, value in signed_headers(b"[]").items() if name != "Content-Type")
    try:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(
                f"POST /sendgrid/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"{signed}Content-Length: 1000\r\n\r\n[".encode()
            )
            began = time.monotonic()
            slow.settimeout(0.1)
            received = b""
            while time.monotonic() - began < 10:
                if not received:  # one byte every 0.1 s, never the whole body, until an answer comes
                    try:
                        slow.sendall(b" ")
                    except OSError:
                        break  # closed by the server
                try:
                    chunk = slow.recv(65536)
                except TimeoutError:
                    continue
                except ConnectionResetError:
                    break
                if not chunk:
                    break  # closed by the server
                received += chunk
            took = time.monotonic() - began
        assert received.startswith(b"HTTP/1.1 408 "), received
        assert b"[webhook] body_timeout" in received
        assert took < 5, took  # cut off after about 0.5 s, not left open
        with socket.create_connection(("127.0.0.1", port), timeout=10) as gone:  # gives up half way
            gone.sendall(
                f"POST /sendgrid/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f'{signed}Content-Length: 1000\r\n\r\n[{{"event": "open"'.encode()
            )
            time.sleep(0.1)
        payload = body([sg_event("open", "a@example.org", key=None, campaign_id=None, at=T0)])
        assert httpx.post(url + "/sendgrid/events", content=payload, headers=signed_headers(payload)).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = process.stdout.read() if process.stdout else ""
    assert "POST /sendgrid/events 408 ? bytes" in log and "refused: body not received within 0.5 s" in log, log
    assert "POST /sendgrid/events - ? bytes: the sender went away before its body was whole: nothing stored" in log, log
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log


def test_webhook_server_on_all_interfaces_names_the_public_address_not_0_0_0_0(tmp_path: Path) -> None:
    """Listening on 0.0.0.0, the start-up line says "all interfaces" rather than offering
    http://0.0.0.0:PORT/... as an address, and names public_url's as the one to give SendGrid."""
    config = write_config(
        tmp_path, key=TEST_PUBLIC_KEY, db_url=f"sqlite:///{tmp_path / 'log.db'}", webhook=('public_url = "https://press.example.org"',)
    )
    process, url = start(config, "--host", "0.0.0.0", env={"MAILER_UNSUBSCRIBE_SECRET": "s3cret-for-tests-0123456789abcdefghij"})
    port = url.rsplit(":", 1)[1]
    process.terminate()
    process.wait(timeout=10)
    said = process.stdout.read() if process.stdout else ""
    assert (
        f"Receiving SendGrid events on all interfaces of this machine, port {port}, path /sendgrid/events (signed requests only); Ctrl+C stops."
        in said
    ), said
    assert "Give SendGrid's Event Webhook this address (through your proxy): https://press.example.org/sendgrid/events" in said
    assert "0.0.0.0" not in said


def test_webhook_server_insecure_with_public_url_reaches_every_worker(tmp_path: Path) -> None:
    """`--insecure` is the one way to take unsigned events with [webhook] public_url set; with
    --workers 2 each worker process takes them too (a worker refusing them would 403 half the batches)."""
    config = write_config(
        tmp_path, key=None, db_url=f"sqlite:///{tmp_path / 'log.db'}", webhook=('public_url = "https://press.example.org"',)
    )
    secret = {"MAILER_UNSUBSCRIBE_SECRET": "s3cret-for-tests-0123456789abcdefghij"}
    process, url = start(config, "--insecure", "--workers", "2", env=secret)
    try:
        batches = [body([sg_event("open", f"p{b}@example.org", key=None, campaign_id=None, at=T0 + b)]) for b in range(8)]
        answers = [httpx.post(url + "/sendgrid/events", content=p, headers={"Content-Type": "application/json"}) for p in batches]
        assert [a.status_code for a in answers] == [200] * 8
    finally:
        process.terminate()
        process.wait(timeout=10)
    said = process.stdout.read() if process.stdout else ""
    assert "Warning: Taking events without signature checks although https://press.example.org reaches this webhook" in said, said
