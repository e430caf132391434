"""Review 23b: a hostile review of events, the webhook and unsubscribe, as a press office relying on
"a bounced or unsubscribed journalist is never mailed again, and nobody else is kept from the mail".
Each test is a finding, through the command line, the local SendGrid stand-in and real delivery logs,
and failed before its fix (session 23)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from eventlog import T0, TEST_PUBLIC_KEY, body, sg_event, signed_headers
from office_cli import SEND, campaign_of, mailed, mailer, office
from press_office import event, import_events, keys
from starlette.requests import Request
from starlette.responses import JSONResponse

# -- 1. `mailer suppressions sync` suppressed every address on SendGrid's blocks list, for good -----

SENDGRID_LISTS: dict[str, list[dict[str, Any]]] = {
    "bounces": [{"email": "gone@gazette.example", "created": 1771495200, "reason": "550 5.1.1 unknown", "status": "5.1.1"}],
    "blocks": [{"email": "ana@daily.example", "created": 1771495200, "reason": "554 5.7.1 listed on a blocklist", "status": "5.7.1"}],
    "invalid_emails": [],
    "spam_reports": [],
    "unsubscribes": [],
}


def serve_suppression_lists(standin: Any, lists: dict[str, list[dict[str, Any]]]) -> None:
    """SendGrid's five suppression lists on the stand-in, paged as SendGrid pages them."""

    def route(name: str) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            limit = int(request.query_params.get("limit", "500"))
            offset = int(request.query_params.get("offset", "0"))
            return JSONResponse(lists[name][offset : offset + limit])

        return endpoint

    for name in lists:
        standin.add_route(f"/v3/suppression/{name}", route(name))


def test_a_journalist_on_sendgrids_blocks_list_is_still_mailed_after_a_sync(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid's blocks list names addresses whose server refused one email for its content or the
    sender's reputation (a blocklisted IP, a filter): "Twilio SendGrid will not suppress future messages
    to blocked addresses", and the log's own events suppress a block only after [webhook] block_threshold
    (3) of them. `mailer suppressions sync` made every address on that list a suppression for good:
    Ana, refused once when SendGrid's shared IP was listed, was never mailed a release again. The sync
    now shows the blocks but suppresses only the lists that stop mail (the bounce is still suppressed)."""
    office(tmp_path, standin, db_url)
    serve_suppression_lists(standin, SENDGRID_LISTS)
    synced = mailer("suppressions", "sync")
    assert synced.exit_code == 0, synced.output
    assert "1 address newly suppressed" in synced.output, synced.output
    assert "blocks list (1 address) was not copied" in synced.output and "block_threshold" in synced.output, synced.output
    listed = mailer("suppressions", "list")
    assert "gone@gazette.example" in listed.output and "ana@daily.example" not in listed.output, listed.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], sent.output


# -- 2. After the office put a blocked journalist back, a single block suppressed her again ----------


def test_a_journalist_put_back_after_blocks_is_suppressed_again_only_after_block_threshold_new_blocks(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """Ana's newsroom refused three releases (blocks, "Reputation"): the log suppressed her, as
    [webhook] block_threshold (3) says. The office had its sending domain whitelisted there and put
    her back (`mailer suppressions remove`). The next release was refused once more (a temporary
    block), and she was suppressed at once: the three blocks from before she was put back still
    counted, so one block now did what three should. Only blocks after the office put her back count."""
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    key = keys(standin)[campaign, "ana@daily.example"]
    now = int(time.time())
    blocks = [
        event("bounce", "ana@daily.example", campaign, key, now - 300 + i, type="blocked", reason="554 5.7.1 blocked", sg_event_id=f"b{i}")
        for i in range(3)
    ]
    import_events(tmp_path / "blocks.ndjson", blocks)
    assert "ana@daily.example" in mailer("suppressions", "list").output
    lifted = mailer("suppressions", "remove", "ana@daily.example", "--reason", "the newsroom whitelisted our domain")
    assert lifted.exit_code == 0, lifted.output
    time.sleep(1.1)  # the next block comes after she was put back
    again = event("bounce", "ana@daily.example", campaign, key, int(time.time()) + 1, type="blocked", reason="451 4.7.1 try later")
    import_events(tmp_path / "one-more.ndjson", [{**again, "sg_event_id": "b-after"}])
    listed = mailer("suppressions", "list")
    assert "ana@daily.example" not in listed.output, listed.output
    standin.reset()
    second = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--include-previous")
    assert second.exit_code == 0, second.output
    assert "ana@daily.example" in mailed(standin), second.output


# -- 3. A one-click unsubscribe from a journalist a scheduled send still holds: nobody was told ------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_webhook(folder: Path, port: int) -> subprocess.Popen[str]:
    """`mailer webhook` as the office starts it, in ``folder``, on 127.0.0.1:``port`` (its terminal captured)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", "webhook", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"webhook exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise AssertionError("webhook did not start within 30 s")


def stopped(process: subprocess.Popen[str]) -> str:
    """What the webhook printed on its terminal, once stopped."""
    process.terminate()
    out, _ = process.communicate(timeout=20)
    return out


def test_a_one_click_unsubscribe_says_which_scheduled_send_still_mails_the_journalist(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office sends today's release with its own one-click links and schedules the follow-up for
    the day after tomorrow (SendGrid holds it). Ana clicks Unsubscribe in Gmail on today's email: she
    is suppressed, but SendGrid knows nothing of our own link and mails her the scheduled follow-up,
    after she said stop (Gmail: unsubscribes honoured within 48 hours). `mailer suppressions add`
    says so and names `mailer cancel`; the webhook, where her stop arrived, said nothing at all. It
    now warns on its terminal, naming the scheduled send and the way out (never her address)."""
    port = free_port()
    office(tmp_path, standin, db_url)
    with (tmp_path / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            f'\n[sendgrid.tracking]\nsubscription_tracking = false\n\n[webhook]\npublic_url = "http://127.0.0.1:{port}"\n'
            f'verification_key = "{TEST_PUBLIC_KEY}"\n'
        )
    monkeypatch.setenv("MAILER_UNSUBSCRIBE_SECRET", "unsubscribe-secret-for-tests-0123456789")
    today = mailer(*SEND)
    assert today.exit_code == 0, today.output
    [link] = [
        p["headers"]["List-Unsubscribe"].strip("<>")
        for r in standin.mail_sends
        for p in r.body["personalizations"]
        if p["to"][0]["email"] == "ana@daily.example"
    ]
    at = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M UTC")
    scheduled = mailer(*SEND, "--include-previous", "--at", at)
    assert scheduled.exit_code == 0, scheduled.output
    follow_up = campaign_of(scheduled)
    webhook = start_webhook(tmp_path, port)
    try:
        clicked = httpx.post(link, content=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"})
    finally:
        terminal = stopped(webhook)
    assert clicked.status_code == 200 and "You are unsubscribed" in clicked.text, clicked.text
    assert "ana@daily.example" in mailer("suppressions", "list").output
    assert f"mailer cancel {follow_up}" in terminal, terminal
    assert "ana@daily.example" not in terminal, terminal


# -- 4. `mailer suppressions sync` never read the unsubscribe group the office sends with ------------


def test_a_group_unsubscribe_the_webhook_missed_is_copied_by_sync(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office sends with a SendGrid unsubscribe group ([sendgrid] asm_group_id = 42): a journalist's
    Unsubscribe lands on that group in SendGrid, and only a group_unsubscribe event tells the log. With
    the webhook down longer than SendGrid's 24 hours of retries, the README's remedy is `mailer
    suppressions sync`, which read SendGrid's five lists but never the group: Ana stayed unsuppressed,
    and once the office moved to its own one-click links (or another group) she was mailed again. The
    sync now copies the group's unsubscribes too, and a resubscribe to another group on the account (a
    newsletter's) does not lift them."""
    office(tmp_path, standin, db_url, sendgrid="asm_group_id = 42\n")
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in SENDGRID_LISTS}
    serve_suppression_lists(standin, lists)

    async def group(_request: Request) -> JSONResponse:
        return JSONResponse(["Ana@Daily.Example"])

    standin.add_route("/v3/asm/groups/42/suppressions", group)
    synced = mailer("suppressions", "sync")
    assert synced.exit_code == 0, synced.output
    assert "1 address newly suppressed" in synced.output, synced.output
    newsletter = {
        "email": "ana@daily.example",
        "event": "group_resubscribe",
        "asm_group_id": 7,
        "timestamp": int(time.time()),
        "sg_event_id": "n7",
    }
    import_events(tmp_path / "newsletter.ndjson", [newsletter])
    toml = (tmp_path / "mailer.toml").read_text(encoding="utf-8").replace("asm_group_id = 42\n", "")
    (tmp_path / "mailer.toml").write_text(toml, encoding="utf-8")  # the office moves to SendGrid's subscription tracking
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ben@gazette.example"], sent.output


# -- 5. Without a key, events relayed by a proxy from the internet were taken ------------------------


def test_an_unsigned_webhook_refuses_events_a_proxy_relays_from_the_internet(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office runs `mailer webhook` on 127.0.0.1 behind Apache or nginx as the README says
    ("forward the path unchanged to 127.0.0.1:8080") before it has turned on SendGrid's signed webhook.
    Without a key the webhook promises to take only what comes from this machine, and checks the
    Host header for it; but Apache (ProxyPreserveHost off, its default) and nginx (proxy_pass, its
    default) send the upstream's own name, Host: 127.0.0.1:8080. Anyone on the internet could post a
    fake bounce (Ana suppressed, never mailed again) or a group resubscribe (an unsubscribe lifted).
    Such proxies say what they relayed (X-Forwarded-For, Forwarded, X-Real-IP): without a key, a
    request carrying those is refused; --insecure still takes it."""
    port = free_port()
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    webhook = start_webhook(tmp_path, port)
    fake = json.dumps(
        [
            {
                "email": "ana@daily.example",
                "event": "bounce",
                "type": "bounce",
                "reason": "550 no such user",
                "timestamp": int(time.time()),
                "sg_event_id": "forged-1",
            }
        ]
    ).encode()
    relayed = [
        {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "press.example.org", "X-Forwarded-Server": "press.example.org"},
        {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        {"Forwarded": "for=203.0.113.9;proto=https"},
    ]
    try:
        answers = [
            httpx.post(
                f"http://127.0.0.1:{port}/sendgrid/events",
                content=fake,
                headers={"Host": f"127.0.0.1:{port}", "Content-Type": "application/json", **headers},
            )
            for headers in relayed
        ]
    finally:
        terminal = stopped(webhook)
    assert [a.status_code for a in answers] == [403, 403, 403], (answers[0].text, terminal)
    assert "proxy" in answers[0].json()["error"], answers[0].text
    assert "ana@daily.example" not in mailer("suppressions", "list").output
    standin.reset()
    again = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--include-previous")
    assert again.exit_code == 0, again.output
    assert "ana@daily.example" in mailed(standin), again.output


# -- 6. A hundred idle connections shut the webhook, and the one-click links with it ------------------


def test_idle_connections_cannot_shut_the_webhook_and_its_unsubscribe_links(tmp_path: Path, db_url: str) -> None:
    """Each webhook worker serves 100 connections at once and answers 503 beyond (README). Anyone on
    the internet could open 100 connections and send nothing, or a header line now and then: uvicorn
    times out neither a request's headers nor a connection that never sent one, so every batch from
    SendGrid was answered 503 for as long as they were held (after 24 hours SendGrid drops the events:
    bounces and unsubscribes lost), and so was every journalist's one-click unsubscribe. A connection
    now has [webhook] body_timeout seconds to send a whole request, headers and body."""
    port = free_port()
    (tmp_path / "mailer.toml").write_text(
        f'[database]\nurl = "{db_url}"\n\n[webhook]\nverification_key = "{TEST_PUBLIC_KEY}"\nbody_timeout = 2\n', encoding="utf-8"
    )
    webhook = start_webhook(tmp_path, port)
    held: list[socket.socket] = []
    try:
        for number in range(110):
            idle = socket.create_connection(("127.0.0.1", port))
            if number % 2:
                idle.sendall(b"POST /sendgrid/events HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers begun, never ended
            held.append(idle)
        time.sleep(1)
        for idle in held[1::2]:
            idle.sendall(b"X-Slow: 1\r\n")  # a header line now and then
        time.sleep(2.5)
        payload = body([sg_event("delivered", "ana@daily.example", key=None, campaign_id=None, at=T0)])
        answer = httpx.post(f"http://127.0.0.1:{port}/sendgrid/events", content=payload, headers=signed_headers(payload), timeout=10)
    finally:
        for idle in held:
            idle.close()
        terminal = stopped(webhook)
    assert answer.status_code == 200, (answer.text, terminal)


# -- 7. events import told the office to suppress SendGrid's blocks export for good -------------------


def test_a_sendgrid_blocks_export_given_to_events_import_is_not_sent_to_the_suppression_list(tmp_path: Path, db_url: str) -> None:
    """SendGrid's Suppressions > Blocks "Export CSV" has the bounces export's columns. Given to
    `mailer events import`, it was answered: "Its addresses (bounces, blocks, ...) go on the suppression
    list, never to be mailed again, with: mailer suppressions import blocks.csv", and the office doing
    so kept every journalist refused once from every release (#1: SendGrid keeps mailing blocked
    addresses). The hint now says a blocks export does not belong there."""
    (tmp_path / "blocks.csv").write_text("email,reason,status,created\nana@daily.example,554 5.7.1 listed,5.7.1,1795543200\n")
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    imported = mailer("events", "import", "blocks.csv")
    assert imported.exit_code == 1, imported.output
    assert "mailer suppressions import blocks.csv" in imported.output, imported.output
    said = " ".join(imported.output.split())
    assert "not SendGrid's blocks export" in said and "keeps mailing blocked addresses" in said, imported.output
