"""The webhook in-process (Starlette TestClient): verify before parsing, size cap, status codes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec
from eventlog import (
    T0,
    TEST_PUBLIC_KEY,
    add_campaign,
    add_message,
    body,
    event_count,
    messages,
    post_and_go_away,
    sg_event,
    signed_headers,
    suppressions,
)
from sqlalchemy import Engine
from starlette.testclient import TestClient

from mailer.cli import main
from mailer.config import Config, WebhookConfig
from mailer.errors import ConfigError
from mailer.events import signature, webhook
from mailer.store import quarantine

CAMPAIGN = "2026-02-19-wetlands"
PATH = "/sendgrid/events"
MISSING = "The request carries no SendGrid signature."
MISMATCH = "The request's signature does not match: it was not sent by SendGrid, or was changed on the way."


def client(engine: Engine, **settings: object) -> TestClient:
    config = Config(webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY, **settings))  # type: ignore[arg-type]
    return TestClient(webhook.create_app(config=config, engine=engine))


def test_webhook_signed_batch_is_stored(store: Engine) -> None:
    """A correctly signed batch is stored and answered 200 with what was added."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    payload = body(
        [
            sg_event("processed", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 1),
            sg_event("delivered", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 2),
        ]
    )
    response = client(store).post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200
    assert response.json() == {"received": 2, "added": 2, "duplicates": 0, "unlinked": 0, "quarantined": 0}
    assert messages(store, CAMPAIGN) == {"ana@example.org": ("accepted", "delivered")}


def test_webhook_same_batch_twice_is_stored_once(store: Engine) -> None:
    """SendGrid's retry of a batch we already stored is answered 200 and adds nothing."""
    payload = body([sg_event("open", "ana@example.org", key=None, campaign_id=None, at=T0)])
    app = client(store)
    app.post(PATH, content=payload, headers=signed_headers(payload))
    again = app.post(PATH, content=payload, headers=signed_headers(payload))
    assert again.json() == {"received": 1, "added": 0, "duplicates": 1, "unlinked": 0, "quarantined": 0}
    assert event_count(store) == 1


def test_webhook_event_repeated_inside_one_batch_counts_once(store: Engine) -> None:
    """The same unlinked bounce twice in one batch is one event, one unlinked, one suppression."""
    bounce = sg_event("bounce", "gone@example.org", key=None, campaign_id=None, at=T0, type="bounce", reason="550 no such user")
    payload = body([bounce, dict(bounce)])
    response = client(store).post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200
    assert response.json() == {"received": 2, "added": 1, "duplicates": 1, "unlinked": 1, "quarantined": 0}
    assert event_count(store) == 1
    assert suppressions(store) == {"gone@example.org": ("bounce", "webhook")}


@pytest.mark.parametrize("tamper", ["body", "timestamp", "missing"])
def test_webhook_bad_signature_is_403_and_stores_nothing(store: Engine, tamper: str) -> None:
    """A changed body, a changed timestamp or no signature at all gets 403 before any parsing."""
    payload = body([sg_event("bounce", "ana@example.org", key=None, campaign_id=None, at=T0, type="bounce")])
    headers = signed_headers(payload)
    if tamper == "body":
        payload = payload.replace(b"ana@", b"bob@")
    elif tamper == "timestamp":
        headers["X-Twilio-Email-Event-Webhook-Timestamp"] = "1771495201"
    else:
        headers = {"Content-Type": "application/json"}
    response = client(store).post(PATH, content=payload, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": MISSING if tamper == "missing" else MISMATCH}
    assert event_count(store) == 0


def test_webhook_signature_checked_before_json(store: Engine) -> None:
    """An unsigned body that is not even JSON is refused for its signature (403), not parsed (400)."""
    response = client(store).post(PATH, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 403
    assert response.json() == {"error": "The request carries no SendGrid signature."}


def test_webhook_malformed_json_is_quarantined_and_answered_200(store: Engine) -> None:
    """A signed body that is not JSON would never parse, so it is quarantined whole and answered 200
    (a 400 would make SendGrid send it again for 24 hours)."""
    payload = b'[{"event": "open",]\r\n'
    response = client(store).post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "added": 0, "duplicates": 0, "unlinked": 0, "quarantined": 1}
    with store.connect() as connection:
        (entry,) = quarantine.latest(connection)
    assert (entry.source, entry.origin, entry.raw) == ("webhook", "body", '[{"event": "open",]\r\n')
    assert entry.reason.startswith("The request body is not valid JSON: Expecting property name")


def test_webhook_body_over_the_cap_is_413(store: Engine) -> None:
    """A body larger than [webhook] max_body_bytes is refused with 413 and nothing stored."""
    payload = body([sg_event("open", f"p{i}@example.org", key=None, campaign_id=None, at=T0) for i in range(9000)])
    assert len(payload) > 1_000_000
    response = client(store, max_body_bytes=1_000_000).post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 413
    assert response.json() == {"error": "The request body is larger than 1,000,000 bytes ([webhook] max_body_bytes)."}
    assert event_count(store) == 0


def test_webhook_chunked_body_over_the_cap_is_413(store: Engine) -> None:
    """A body sent in chunks without Content-Length is counted as it arrives and refused past the cap."""
    payload = body([sg_event("open", f"p{i}@example.org", key=None, campaign_id=None, at=T0) for i in range(9000)])
    chunks = (payload[i : i + 65536] for i in range(0, len(payload), 65536))
    response = client(store, max_body_bytes=1_000_000).post(PATH, content=chunks, headers=signed_headers(payload))
    assert response.status_code == 413
    assert "content-length" not in {name.lower() for name in response.request.headers}
    assert response.json() == {"error": "The request body is larger than 1,000,000 bytes ([webhook] max_body_bytes)."}
    assert event_count(store) == 0


def test_webhook_sendgrid_sized_batch_is_accepted_by_default(store: Engine) -> None:
    """A batch of about 768 KB (SendGrid's batch size) passes the default cap."""
    items = [sg_event("delivered", f"p{i}@example.org", key=None, campaign_id=None, at=T0) for i in range(5000)]
    payload = body(items)
    assert len(payload) > 768_000
    response = client(store).post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200
    assert response.json()["added"] == 5000


def test_webhook_path_is_configurable_and_healthz_answers(store: Engine) -> None:
    """The POST path follows [webhook] path; GET /healthz reports the log reachable."""
    app = client(store, path="/hooks/sg")
    payload = body([])
    assert app.post("/hooks/sg", content=payload, headers=signed_headers(payload)).status_code == 200
    assert app.post(PATH, content=payload, headers=signed_headers(payload)).status_code == 404
    assert app.get("/healthz").json() == {"status": "ok", "signed": True}


def test_webhook_without_key_accepts_unsigned_on_loopback(store: Engine) -> None:
    """With no key configured the app stores unsigned batches posted as SendGrid posts them (the CLI decides where it may listen)."""
    app = TestClient(webhook.create_app(config=Config(), engine=store), base_url="http://127.0.0.1:8080")
    payload = body([sg_event("open", "a@example.org", key=None, campaign_id=None, at=T0)])
    response = app.post(PATH, content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"received": 1, "added": 1, "duplicates": 0, "unlinked": 1, "quarantined": 0}
    assert event_count(store) == 1
    assert app.get("/healthz").json() == {"status": "ok", "signed": False}


def test_webhook_with_key_refuses_unsigned_and_forged_batches(store: Engine) -> None:
    """With a key set, a batch signed by another key or not signed at all is 403 and stores nothing."""
    payload = body([sg_event("unsubscribe", "ana@example.org", key=None, campaign_id=None, at=T0)])
    forged = signature.sign(ec.generate_private_key(ec.SECP256R1()), body=payload, timestamp="1771495200")
    forged_headers = {**signed_headers(payload), "X-Twilio-Email-Event-Webhook-Signature": forged}
    app = client(store)
    unsigned = app.post(PATH, content=payload, headers={"Content-Type": "application/json"})
    wrong_key = app.post(PATH, content=payload, headers=forged_headers)
    assert (unsigned.status_code, unsigned.json()) == (403, {"error": MISSING})
    assert (wrong_key.status_code, wrong_key.json()) == (403, {"error": MISMATCH})
    assert event_count(store) == 0


@pytest.mark.parametrize(
    "host,allowed", [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("192.0.2.10", False)]
)
def test_webhook_exposure_needs_a_key(host: str, allowed: bool) -> None:
    """Without a key, only loopback addresses are allowed; --insecure or a key lifts that."""
    if allowed:
        webhook.check_exposure(host, has_key=False, insecure=False)
    else:
        with pytest.raises(ConfigError, match=f"anyone who can reach {host} could post fake events"):
            webhook.check_exposure(host, has_key=False, insecure=False)
    webhook.check_exposure(host, has_key=True, insecure=False)
    webhook.check_exposure(host, has_key=False, insecure=True)


def test_webhook_cli_refuses_public_host_without_key() -> None:
    """`mailer webhook --host 0.0.0.0` without a key exits 1 with the way out, before listening."""
    result = CliRunner().invoke(main, ["webhook", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "Error: No verification key is set, so anyone who can reach 0.0.0.0 could post fake events" in result.output
    assert "or pass --insecure if you accept the risk." in result.output


def test_webhook_cli_refuses_a_broken_key(tmp_path: object) -> None:
    """A verification key that is not a SendGrid key stops the server before it listens."""
    from pathlib import Path

    Path("mailer.toml").write_text('[webhook]\nverification_key = "hello"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["webhook"])
    assert result.exit_code == 1
    assert "Error: [webhook] verification_key is not a SendGrid public key." in result.output


def test_webhook_logs_each_request_with_status_size_and_counts_never_addresses(store: Engine) -> None:
    """Issue 13: every request gives one line with the UTC time, status, size, time taken and counts; no address, ever."""
    import io
    import os
    import re

    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        add_campaign(store, CAMPAIGN)
        key = add_message(store, CAMPAIGN, "ana@example.org")
        payload = body(
            [
                sg_event("delivered", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 1),
                sg_event("open", "ben@paper.example", key=None, campaign_id=None, at=T0 + 2),
            ]
        )
        broken = b'[{"event": "open", "email": "cleo@example.net", "timestamp": 1e400}]'
        app = client(store, max_body_bytes=1_000_000)
        assert app.post(PATH, content=payload, headers=signed_headers(payload)).status_code == 200
        assert app.post(PATH, content=payload, headers=signed_headers(payload)).status_code == 200
        assert app.post(PATH, content=broken, headers=signed_headers(broken)).status_code == 200
        assert app.post(PATH, content=payload, headers=signed_headers(b"other")).status_code == 403
        too_big = b"[" + b" " * 1_000_000 + b"]"
        assert app.post(PATH, content=too_big, headers=signed_headers(b"[]")).status_code == 413
    finally:
        webhook.events_log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    stamp = rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[{os.getpid()}\]"
    took = r"\d+ ms"
    expected = [
        rf"{stamp} POST {PATH} 200 {len(payload)} bytes {took}: 2 events: 2 stored, 0 duplicates, 0 quarantined, 1 unlinked",
        rf"{stamp} POST {PATH} 200 {len(payload)} bytes {took}: 2 events: 0 stored, 2 duplicates, 0 quarantined, 0 unlinked",
        rf'{stamp} quarantined event 1: "timestamp" should be Unix seconds between 1970 and 9999, found Infinity\.',
        rf"{stamp} POST {PATH} 200 {len(broken)} bytes {took}: 1 event: 0 stored, 0 duplicates, 1 quarantined, 0 unlinked",
        rf"{stamp} refused a webhook request: The request's signature does not match: .+",
        rf"{stamp} POST {PATH} 403 {len(payload)} bytes {took}: refused: bad or missing signature",
        rf"{stamp} POST {PATH} 413 1000002 bytes {took}: refused: body too large",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), line
    text = stream.getvalue()
    assert "@" not in text and "ana" not in text and "cleo" not in text


@pytest.mark.sqlite_only
def test_webhook_log_out_of_reach_is_503_and_the_retry_is_stored(tmp_path: Path) -> None:
    """A log that cannot be opened (its folder is gone) is answered 503, which SendGrid retries; once it is back, the retry is stored."""
    import io

    from sqlalchemy import create_engine

    from mailer.store import connect

    url = f"sqlite:///{tmp_path / 'gone' / 'log.db'}"
    payload = body([sg_event("delivered", "ana@example.org", key="k-ana", campaign_id=CAMPAIGN, at=T0 + 1)])
    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        app = client(create_engine(url))
        refused = app.post(PATH, content=payload, headers=signed_headers(payload))
        assert refused.status_code == 503
        assert refused.json() == {"error": "The delivery log is busy or unavailable; SendGrid will retry."}
        (tmp_path / "gone").mkdir()
        log = connect(url)
        add_campaign(log, CAMPAIGN)
        add_message(log, CAMPAIGN, "ana@example.org", key="k-ana")
        retried = app.post(PATH, content=payload, headers=signed_headers(payload))
        assert retried.json() == {"received": 1, "added": 1, "duplicates": 0, "unlinked": 0, "quarantined": 0}
    finally:
        webhook.events_log.removeHandler(handler)
    assert messages(log, CAMPAIGN) == {"ana@example.org": ("accepted", "delivered")}
    first, second = [line for line in stream.getvalue().splitlines() if " POST " in line]
    assert first.endswith(": 1 event not stored: the delivery log is busy or down")  # one event, not "1 events"
    assert second.endswith(": 1 event: 1 stored, 0 duplicates, 0 quarantined, 0 unlinked")


def test_webhook_remembered_messages_never_move_a_delivery_back(store: Engine) -> None:
    """The webhook remembers messages between batches; a delivery another worker moved on in the meantime stays where it is."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org", state="unknown")
    app = client(store)
    first = body([sg_event("processed", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 1)])
    assert app.post(PATH, content=first, headers=signed_headers(first)).status_code == 200
    assert messages(store, CAMPAIGN) == {"ana@example.org": ("accepted", "processed")}
    # Another worker (its own process, its own memory) stores the bounce.
    from mailer import events

    bounce = sg_event("bounce", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 3, type="bounce", reason="550")
    events.apply(store, [events.from_object(bounce, where="x")], source="webhook", block_threshold=3)
    late = body([sg_event("delivered", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 2)])
    assert app.post(PATH, content=late, headers=signed_headers(late)).json()["added"] == 1
    assert messages(store, CAMPAIGN) == {"ana@example.org": ("accepted", "bounced")}


class _Turn:
    """A turn to write that two requests reach before either takes it (a barrier, then a lock)."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=30)
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        self.barrier.wait()
        self.lock.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.lock.release()


def test_webhook_messages_are_looked_up_before_the_turn_to_write(store: Engine) -> None:
    """While another request holds the turn to write, a batch's messages are already looked up; nothing is stored until its turn."""
    from mailer import events

    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    batch = [events.from_object(sg_event("delivered", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 2), where="x")]
    turn = threading.Lock()
    links: dict[str, object] = {}
    results: list[events.Applied] = []
    with turn:  # another request is writing
        worker = threading.Thread(
            target=lambda: results.append(events.apply(store, batch, source="webhook", block_threshold=3, links=links, writer=turn))  # type: ignore[arg-type]
        )
        worker.start()
        for _ in range(300):
            if links:
                break
            time.sleep(0.01)
        assert key in links  # looked up without the turn
        assert event_count(store) == 0 and results == []  # but not stored
    worker.join(timeout=30)
    assert [r.added for r in results] == [1]
    assert messages(store, CAMPAIGN) == {"ana@example.org": ("accepted", "delivered")}


def test_webhook_two_workers_staging_the_same_bounce_store_it_once(store: Engine) -> None:
    """Two workers that both looked up the same re-sent bounce before either wrote store it once and suppress once."""
    from mailer import events

    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    bounce = sg_event("bounce", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 3, type="bounce", reason="550 no such user")
    turn = _Turn(2)
    results: list[events.Applied] = []

    def worker() -> None:
        batch = [events.from_object(dict(bounce), where="x")]  # each worker its own parse and memory of messages
        results.append(events.apply(store, batch, source="webhook", block_threshold=3, links={}, writer=turn))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted((r.added, r.duplicates, r.suppressed) for r in results) == [(0, 1, 0), (1, 0, 1)]
    assert event_count(store) == 1
    assert suppressions(store) == {"ana@example.org": ("bounce", "webhook")}
    assert messages(store, CAMPAIGN) == {"ana@example.org": ("accepted", "bounced")}


def test_webhook_events_of_a_type_sendgrid_does_not_send_are_answered_and_logged(store: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Three "blocked" events (SendGrid's form is a bounce of type "blocked") are stored but change
    nothing: the answer names the type, the log warns with SendGrid's names, and nobody is suppressed
    (nc9 #12: "142 stored", and a report of 0 blocks). A type that is not a word is never shown as written."""
    import io

    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    payload = body(
        [sg_event("blocked", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + i, reason="554 blocked") for i in range(3)]
        + [sg_event("jane@example.org", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 9)]
    )
    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        with caplog.at_level("WARNING", logger="mailer.events.webhook"):
            response = client(store, block_threshold=3).post(PATH, content=payload, headers=signed_headers(payload))
    finally:
        webhook.events_log.removeHandler(handler)
    assert (
        stream.getvalue()
        .rstrip()
        .endswith(": 4 events: 4 stored, 0 duplicates, 0 quarantined, 0 unlinked, 4 of a type SendGrid does not send (changing nothing)")
    )
    assert response.status_code == 200
    assert response.json() == {
        "received": 4,
        "added": 4,
        "duplicates": 0,
        "unlinked": 0,
        "quarantined": 0,
        "unknown_types": {"(other)": 1, "blocked": 3},
    }
    assert (suppressions(store), messages(store, CAMPAIGN)) == ({}, {"ana@example.org": ("accepted", None)})
    [warning] = [r.getMessage() for r in caplog.records if r.name == "mailer.events.webhook"]
    assert warning.startswith(
        '4 events of a type SendGrid does not send ("blocked" 3 (SendGrid\'s name: "bounce" with "type": "blocked"), "(other)" 1) '
        "are kept in the log but change nothing"
    )
    assert "jane@" not in warning and "jane@" not in response.text


def test_webhook_sender_gone_mid_body_is_one_log_line(store: Engine) -> None:
    """A sender that goes away before its body is whole gets one line in the request log, stores
    nothing, and no exception leaves the app (uvicorn would print a traceback for it)."""
    import io
    import re

    app = webhook.create_app(config=Config(), engine=store)
    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        post_and_go_away(app, PATH, host=b"127.0.0.1:8080", first_bytes=b'[{"event": "open"')
    finally:
        webhook.events_log.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
    assert re.fullmatch(
        r"\S+ \[\d+\] POST /sendgrid/events - \? bytes: the sender went away before its body was whole: nothing stored", line
    )
    assert event_count(store) == 0


PUBLIC_URL = "https://press.example.org"
UNSUBSCRIBE_SECRET = "s3cret-for-tests-0123456789abcdefghij"


def test_webhook_cli_with_public_url_refuses_to_start_without_key(tmp_path: Path) -> None:
    """[webhook] public_url means the internet reaches the app (through a proxy to 127.0.0.1): with
    no verification key `mailer webhook` stops before listening and says what to set."""
    Path("mailer.toml").write_text(
        f'[webhook]\npublic_url = "{PUBLIC_URL}"\n\n[database]\nurl = "sqlite:///{tmp_path}/log.db"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["webhook"], env={"MAILER_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET})
    assert result.exit_code == 1, result.output
    assert (
        f"Error: [webhook] public_url is set ({PUBLIC_URL}), so the internet reaches this webhook through your proxy, "
        "but no verification key is set" in result.output
    )
    assert "put its public key in [webhook] verification_key in mailer.toml, or pass --insecure" in result.output
    assert "Receiving SendGrid events" not in result.output


def test_webhook_with_public_url_and_no_key_takes_events_only_when_told_insecure(store: Engine) -> None:
    """Used from Python, the app with public_url and no key refuses events (403) unless insecure=True."""
    config = Config(webhook=WebhookConfig(public_url=PUBLIC_URL))
    payload = body([sg_event("spamreport", "ana@example.org", key=None, campaign_id=None, at=T0)])
    headers = {"Content-Type": "application/json"}
    refused = TestClient(webhook.create_app(config=config, engine=store)).post(PATH, content=payload, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"].startswith(
        "This webhook is reachable from the internet ([webhook] public_url) but has no verification key"
    )
    assert event_count(store) == 0
    taken = TestClient(webhook.create_app(config=config, engine=store, insecure=True)).post(PATH, content=payload, headers=headers)
    assert taken.status_code == 200
    assert event_count(store) == 1
    with pytest.raises(ConfigError, match=r"public_url is set"):
        webhook.check_exposure("127.0.0.1", has_key=False, insecure=False, public_url=PUBLIC_URL)
    webhook.check_exposure("127.0.0.1", has_key=True, insecure=False, public_url=PUBLIC_URL)
    webhook.check_exposure("127.0.0.1", has_key=False, insecure=True, public_url=PUBLIC_URL)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),  # a browser's "simple" request needs no preflight
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({}, 415),
        ({"Content-Type": "application/json", "Origin": "http://127.0.0.1:8080"}, 403),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, 403),
        ({"Content-Type": "application/json", "Host": "evil.example:8080"}, 421),  # a name rebound to 127.0.0.1
        ({"Content-Type": "application/json", "Host": "127.0.0.1:9999"}, 421),
        ({"Content-Type": "application/json", "Host": "localhost:8080"}, 200),
        ({"Content-Type": "application/json", "Host": "[::1]:8080"}, 200),
        ({"Content-Type": "application/json", "Host": "127.0.0.1"}, 200),
        ({"Content-Type": "application/json; charset=utf-8", "Host": "127.0.0.1:8080"}, 200),
    ],
)
def test_webhook_without_key_takes_only_what_sendgrid_posts(store: Engine, headers: dict[str, str], status: int) -> None:
    """Without a key, on 127.0.0.1:8080, the webhook takes JSON addressed to this machine and refuses
    what a web page in the officer's browser can send: Origin or Sec-Fetch-Site (403), another
    Host (421, DNS rebinding), a body that is not application/json (415). Refused requests store nothing."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    app = TestClient(webhook.create_app(config=Config(), engine=store), base_url="http://127.0.0.1:8080")
    payload = body([sg_event("spamreport", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0)])
    response = app.post(PATH, content=payload, headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert suppressions(store) == {"ana@example.org": ("spamreport", "webhook")}
    else:
        assert (event_count(store), suppressions(store)) == (0, {})
        assert response.json()["error"]


def test_webhook_with_key_checks_only_the_signature(store: Engine) -> None:
    """With a key, the signature decides: a signed batch through a proxy that names the public host is stored."""
    payload = body([sg_event("open", "a@example.org", key=None, campaign_id=None, at=T0)])
    app = TestClient(
        webhook.create_app(config=Config(webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY)), engine=store),
        base_url="http://127.0.0.1:8080",
    )
    response = app.post(PATH, content=payload, headers={**signed_headers(payload), "Host": "press.example.org"})
    assert response.status_code == 200


def test_webhook_log_lines_all_carry_the_time_and_worker(store: Engine) -> None:
    """The "quarantined event N: ..." warning carries the same UTC time and process id as the
    request lines around it (newcomer 11: it reached the terminal bare)."""
    import io
    import os
    import re

    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        broken = b'[{"event": "open", "email": "cleo@example.net", "timestamp": 1e400}]'
        assert client(store).post(PATH, content=broken, headers=signed_headers(broken)).status_code == 200
    finally:
        webhook.events_log.removeHandler(handler)
    stamp = rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[{os.getpid()}\]"
    quarantined, request = stream.getvalue().splitlines()
    assert re.fullmatch(rf"{stamp} quarantined event 1: .+", quarantined), quarantined
    assert re.fullmatch(rf"{stamp} POST {PATH} 200 .+", request), request
