"""Our one-click unsubscribe endpoint (RFC 8058) on the webhook app, in-process through TestClient."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventlog import add_campaign, add_message, event_count, suppressions
from pydantic import SecretStr
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from mailer import unsubscribe
from mailer.config import Config, SenderConfig, WebhookConfig
from mailer.events import webhook
from mailer.forget import forget
from mailer.store import suppressions as suppression_store
from mailer.store.schema import event

CAMPAIGN = "2026-02-19-wetlands"
SECRET = SecretStr("s3cret-for-tests-0123456789abcdefghij")
OTHER_SECRET = SecretStr("another-secret-0123456789abcdefghijkl")
NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}  # what mail clients POST (RFC 8058 §3.2)


def client(engine: Engine, secret: SecretStr | None = SECRET) -> TestClient:
    config = Config(
        sender=SenderConfig(from_name="Riverbend Beekeepers"),
        webhook=WebhookConfig(public_url="https://press.example.org"),
    )
    app = webhook.create_app(config=config, engine=engine, now=lambda: NOW, unsubscribe_secret=secret)
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def keys(store: Engine) -> dict[str, str]:
    """Three journalists of one live campaign: address -> message key."""
    add_campaign(store, CAMPAIGN)
    return {email: add_message(store, CAMPAIGN, email) for email in ("ana@example.org", "bo@example.org", "cy@example.org")}


def link(key: str, secret: SecretStr = SECRET) -> str:
    return unsubscribe.PATH + unsubscribe.sign(secret, key)


def one_click_rows(engine: Engine) -> list[tuple[str | None, str, str | None]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(event.c.sg_event_id, event.c.event, event.c.campaign_id))]  # type: ignore[misc]


def test_oneclick_post_suppresses_exactly_that_address(store: Engine, keys: dict[str, str]) -> None:
    """A mail client's one-click POST suppresses that message's address and nobody else, answers 200, no redirect."""
    response = client(store).post(link(keys["bo@example.org"]), data=ONE_CLICK)
    assert response.status_code == 200
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "You are unsubscribed. You will not receive press releases from Riverbend Beekeepers any more." in response.text
    assert "bo@example.org" not in response.text  # pages never show the address
    assert suppressions(store) == {"bo@example.org": ("unsubscribe", "one-click")}
    assert one_click_rows(store) == [(f"one-click.{keys['bo@example.org']}", "unsubscribe", CAMPAIGN)]


def test_oneclick_get_shows_a_button_and_changes_nothing(store: Engine, keys: dict[str, str]) -> None:
    """A GET (a link scanner, a preview, a click) only shows a form that POSTs; nothing is suppressed."""
    response = client(store).get(link(keys["ana@example.org"]))
    assert response.status_code == 200
    assert '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">' in response.text
    assert "Stop receiving press releases from Riverbend Beekeepers?" in response.text
    assert suppressions(store) == {}
    assert event_count(store) == 0


def test_oneclick_refuses_forged_altered_and_foreign_tokens(store: Engine, keys: dict[str, str]) -> None:
    """A made-up token, a real one with another message key, and one signed with another secret: 403, no effect."""
    app = client(store)
    real = unsubscribe.sign(SECRET, keys["ana@example.org"])
    signature = real.rsplit(".", 1)[1]
    forged = [
        f"{keys['ana@example.org']}.{'A' * 43}",
        f"{keys['bo@example.org']}.{signature}",  # ana's signature on bo's key
        unsubscribe.sign(OTHER_SECRET, keys["cy@example.org"]),
        keys["ana@example.org"],  # no signature at all
        real[:-1],  # cut short
    ]
    for token in forged:
        for method in (app.get, app.post):
            response = method(unsubscribe.PATH + token)
            assert response.status_code == 403, token
            assert "This unsubscribe link is not valid" in response.text
    assert suppressions(store) == {}
    assert event_count(store) == 0


def test_oneclick_unknown_or_forgotten_message_is_404(store: Engine, keys: dict[str, str]) -> None:
    """A correctly signed link for a message the log lacks, or whose address was forgotten: 404, nothing stored."""
    app = client(store)
    unknown = app.post(link("0123456789abcdef0123456789abcdef"))
    assert unknown.status_code == 404
    assert "reply to the email and ask to be taken off the list" in unknown.text
    forget(store, "cy@example.org")
    before = suppressions(store)
    gone = app.post(link(keys["cy@example.org"]))
    assert gone.status_code == 404
    assert suppressions(store) == before
    assert event_count(store) == 0


def test_oneclick_reused_token_has_no_second_effect(store: Engine, keys: dict[str, str]) -> None:
    """A second use answers 200 "already unsubscribed" and stores nothing. After the office lifts the
    suppression (she asked back in), a new POST of the old link is her new request: it unsubscribes
    her again (review 17w #5: Gmail's button on an older email POSTs that email's link)."""
    app = client(store)
    target = link(keys["ana@example.org"])
    assert app.post(target, data=ONE_CLICK).status_code == 200
    again = app.post(target, data=ONE_CLICK)
    assert again.status_code == 200
    assert "You already unsubscribed with this link on 20 February 2026. Nothing more to do." in again.text
    shown = app.get(target)
    assert "You already unsubscribed with this link" in shown.text and "<form" not in shown.text
    assert len(one_click_rows(store)) == 1
    with store.begin() as connection:
        suppression_store.remove(connection, ["ana@example.org"], note="asked to be put back")
    assert "<form" in app.get(target).text
    replay = app.post(target, data=ONE_CLICK)
    assert replay.status_code == 200
    assert "You are unsubscribed." in replay.text
    assert suppressions(store) == {"ana@example.org": ("unsubscribe", "one-click")}
    assert len(one_click_rows(store)) == 2


def test_oneclick_preview_link_changes_nothing(store: Engine, keys: dict[str, str]) -> None:
    """PUBLIC_URL/unsubscribe/preview, where dry-run proofs point, explains and unsubscribes nobody."""
    app = client(store)
    page = app.get(unsubscribe.PATH + unsubscribe.PREVIEW_TOKEN)
    assert page.status_code == 200
    assert "This is where a journalist would unsubscribe. In the real email the link is personal" in page.text
    posted = app.post(unsubscribe.PATH + unsubscribe.PREVIEW_TOKEN, data=ONE_CLICK)
    assert posted.status_code == 200 and "Nobody was unsubscribed" in posted.text
    assert suppressions(store) == {}
    assert event_count(store) == 0


def test_oneclick_endpoint_only_with_a_secret(store: Engine, keys: dict[str, str]) -> None:
    """Without an unsubscribe secret the app has no unsubscribe route at all."""
    assert client(store, secret=None).post(link(keys["ana@example.org"])).status_code == 404
    assert suppressions(store) == {}
