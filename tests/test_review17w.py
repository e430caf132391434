"""Review 17w: a hostile read of events, the signed webhook, the one-click unsubscribe and suppressions.

Each test is a finding: what a press officer (or a journalist who said stop) would notice,
asserted as it should be; each failed before its fix (session 17). Events go through the real
webhook app (Starlette's TestClient, signed with sendgrid-go's published test key) into a real
delivery log, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventlog import T0, TEST_PUBLIC_KEY, add_campaign, add_message, body, messages, sg_event, signed_headers, suppressions
from office_cli import SEND, campaign_of, mailer, office, release_named
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.testclient import TestClient

from mailer import unsubscribe
from mailer.config import Config, SenderConfig, WebhookConfig
from mailer.events import webhook
from mailer.store import suppressions as suppression_store

CAMPAIGN = "2026-02-19-wetlands"
PATH = "/sendgrid/events"
SECRET = SecretStr("s3cret-for-tests-0123456789abcdefghij")
PRESS_GROUP = 5  # the office's [sendgrid] asm_group_id
NEWSLETTER_GROUP = 7  # another unsubscribe group on the same SendGrid account (a newsletter tool's)


def client(engine: Engine, key: str = TEST_PUBLIC_KEY) -> TestClient:
    config = Config(
        sender=SenderConfig(from_name="Riverbend Beekeepers"),
        webhook=WebhookConfig(verification_key=key, public_url="https://press.example.org"),
    )
    return TestClient(webhook.create_app(config=config, engine=engine, unsubscribe_secret=SECRET))


def post(app: TestClient, *events: dict[str, object]) -> None:
    payload = body(list(events))
    response = app.post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200, response.text
    assert response.json()["added"] == len(events), response.json()


# -- 1. a group resubscribe lifts the journalist's later "unsubscribe from all" or spam report ---


@pytest.mark.parametrize("stop", ["spamreport", "unsubscribe", "one-click"])
def test_group_resubscribe_keeps_a_later_stop_from_all_mail(store: Engine, stop: str) -> None:
    """Ana unsubscribes from the press-release group (suppressed: "group unsubscribe"). Later she
    marks a release as spam, or unsubscribes from all mail on SendGrid's preference page, or uses
    the one-click link of an older email (our own; SendGrid knows nothing of it). Later still she
    ticks the press-release group again on SendGrid's preference page (group_resubscribe).

    What the office saw: `mailer suppressions list` no longer listed her, and the next send
    mailed her, although her spam report or her "no more mail at all" still stands: the group
    resubscribe lifted the one suppression, whose first reason was the group unsubscribe. What
    should happen: the resubscribe undoes only the group unsubscribe; her later stop keeps her
    suppressed, as it does when the office lifts a bounce (review 11s #7)."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    app = client(store)
    post(app, sg_event("group_unsubscribe", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 100, asm_group_id=PRESS_GROUP))
    assert suppressions(store)["ana@example.org"][0] == "unsubscribe"
    if stop == "one-click":
        used = app.post(unsubscribe.PATH + unsubscribe.sign(SECRET, key), data={"List-Unsubscribe": "One-Click"})
        assert "You are unsubscribed" in used.text
    else:
        post(app, sg_event(stop, "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 200))
    post(app, sg_event("group_resubscribe", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 300, asm_group_id=PRESS_GROUP))
    expected = "spamreport" if stop == "spamreport" else "unsubscribe"
    assert suppressions(store).get("ana@example.org", ("not suppressed",))[0] == expected


# -- 2. a resubscribe to another unsubscribe group lifts the press-release group's unsubscribe ---


def test_resubscribe_to_another_group_keeps_the_press_group_unsubscribe(store: Engine) -> None:
    """The office's SendGrid account also sends a newsletter (another tool, unsubscribe group 7).
    Bo unsubscribes from press releases (group 5, events from our mail); on the preference page
    he ticks the newsletter back on (group_resubscribe, asm_group_id 7, in the newsletter's mail).

    What the office saw: Bo's suppression was gone and the next release went to him: a
    resubscribe to any group lifted the press group's unsubscribe. What should happen: a group
    resubscribe undoes the unsubscribe from that same group only; a resubscribe to the press
    group itself still lifts it."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "bo@example.org")
    app = client(store)
    post(app, sg_event("group_unsubscribe", "bo@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 100, asm_group_id=PRESS_GROUP))
    newsletter = sg_event(
        "group_resubscribe",
        "bo@example.org",
        key=None,
        campaign_id=None,
        at=T0 + 200,
        asm_group_id=NEWSLETTER_GROUP,
        sg_message_id="NEWS1.x",
    )
    post(app, newsletter)
    assert suppressions(store).get("bo@example.org") == ("unsubscribe", "webhook")
    post(app, sg_event("group_resubscribe", "bo@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 300, asm_group_id=PRESS_GROUP))
    assert "bo@example.org" not in suppressions(store)


# -- 3. the verification key pasted as an indented PEM block is "not a SendGrid public key" -----


def test_verification_key_as_an_indented_pem_block_is_read(store: Engine) -> None:
    """The office pastes the key as a PEM block into a TOML multi-line string, indented like the
    rest of the file. What it saw: `mailer webhook` would not start: "[webhook] verification_key
    is not a SendGrid public key. Copy the key from SendGrid ...", for the very key SendGrid shows
    (the PEM armour is meant to be tolerated). What should happen: the key is read and signed
    batches are taken."""
    pem = "\n".join(textwrap.wrap(TEST_PUBLIC_KEY, 64))
    indented = "\n    -----BEGIN PUBLIC KEY-----\n" + textwrap.indent(pem, "    ") + "\n    -----END PUBLIC KEY-----\n"
    app = client(store, key=indented)
    post(app, sg_event("delivered", "cy@example.org", key=None, campaign_id=None, at=T0))


# -- 4. a late bounce without custom_args is filed under the next release's dry run -------------


def test_late_bounce_is_not_filed_under_a_dry_run(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office sends a release live, then dry-runs the next release to the same list (as it
    does before every send). A day later SendGrid posts an asynchronous bounce for Ana: no
    sg_message_id and no custom_args (SENDGRID.md §0.2), so it is matched by address and time.

    What the office saw: the import said the event was linked, yet the live release's report
    showed "Bounced 0" and `mailer contact` said "Outcome: accepted": the bounce had been filed
    under the dry run's row (the latest message to Ana), where no report looks (a dry run sent
    nothing). What should happen: a dry run (or a sandbox send) is never what an event is about,
    so the bounce lands on the live send."""
    office(tmp_path, standin, db_url)
    live = mailer(*SEND)
    assert live.exit_code == 0, live.output
    sent = campaign_of(live)
    assert release_named(tmp_path, "next") == "releases/next.md"
    time.sleep(1.1)  # the dry run's rows a second later than the live send's, as a day later would be
    dry = mailer("send", "releases/next.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    late = {"email": "ana@daily.example", "event": "bounce", "type": "bounce", "reason": "550 5.1.1 user unknown"}
    Path("late.json").write_text(json.dumps([{**late, "timestamp": int(time.time()) + 60, "sg_event_id": "late-1"}]), encoding="utf-8")
    imported = mailer("events", "import", "late.json")
    assert imported.exit_code == 0, imported.output
    report = " ".join(mailer("report", sent).output.split())
    assert "│ hard bounce (address refused for good) │ 1 │" in report, report
    contact = " ".join(mailer("contact", "ana@daily.example").output.split())
    assert "Outcome: hard bounce" in contact, contact


# -- 5. after the office put her back, her next one-click unsubscribe is ignored ----------------


def test_one_click_after_the_office_put_her_back_unsubscribes_again(store: Engine) -> None:
    """Ana unsubscribed with the one-click link of the February release, then phoned to be put
    back (`mailer suppressions remove`). In March she has had enough again: in Gmail she opens the
    February email and presses its Unsubscribe button, which POSTs that email's link (RFC 8058).

    What she saw: Gmail said she was unsubscribed (the endpoint answered 200, a page saying "This
    link was already used ... use the link in the latest email", which Gmail never shows), and
    the releases kept coming: the POST changed nothing. What should happen: a POST is her own
    act, now; once the suppression was lifted it unsubscribes her again (a second POST while she
    is still suppressed still changes nothing), and the GET page offers the button again."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    app = client(store)
    target = unsubscribe.PATH + unsubscribe.sign(SECRET, key)
    assert "You are unsubscribed" in app.post(target, data={"List-Unsubscribe": "One-Click"}).text
    with store.begin() as connection:
        suppression_store.remove(connection, ["ana@example.org"], note="phoned: put me back")
    assert suppressions(store) == {}
    shown = app.get(target)
    assert '<form method="post">' in shown.text, shown.text
    again = app.post(target, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert "You are unsubscribed" in again.text, again.text
    assert suppressions(store) == {"ana@example.org": ("unsubscribe", "one-click")}
    once_more = app.post(target, data={"List-Unsubscribe": "One-Click"})
    assert "You already unsubscribed with this link" in once_more.text


# -- 6. journalists' unsubscribes lost without a word when the webhook runs on another log ------


def test_unsubscribe_link_of_another_log_is_said_in_the_webhook_log(store: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """A colleague sent the release from her laptop, whose mailer.toml had no [database] url (its
    own SQLite log), while `mailer webhook` on the server uses the office's PostgreSQL log. Every
    journalist who unsubscribes with her emails' links (the same secret signs them) gets a 404
    page, or nothing at all from Gmail's button, and stays on the lists.

    What the office saw: nothing. The webhook's terminal, which logs every event batch and every
    refused link, said not a word, so nobody learnt that unsubscribes were being lost. What should
    happen: a warning line saying a correctly signed link named a message this log does not have,
    that the journalist was not unsubscribed, and the likely cause; never the token itself."""
    app = client(store)
    token = unsubscribe.sign(SECRET, "0123456789abcdef0123456789abcdef")
    with caplog.at_level("INFO", logger="mailer.events"):
        response = app.post(unsubscribe.PATH + token, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    said = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "not unsubscribed" in said and "another delivery log" in said, caplog.text
    assert token not in caplog.text


# -- 7. a late bounce of today's release is filed under the release scheduled for Thursday ------


def test_late_bounce_is_not_filed_under_a_send_still_scheduled(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office sends today's release, then schedules next week's release to the same list for
    Thursday (`--at`, SendGrid holds it). An hour later SendGrid posts an asynchronous bounce for
    Ana without sg_message_id or custom_args, matched by address and time.

    What the office saw: `mailer contact ana@daily.example` said Thursday's release, not yet sent,
    had "Outcome: hard bounce" at a time before it was even due, and today's release "accepted":
    the match took the message planned last (when the send was prepared), not the one that had
    gone out. What should happen: a scheduled message counts from its send time, so the bounce
    is today's release's, and Thursday's still reads "scheduled: SendGrid holds it until ..."."""
    office(tmp_path, standin, db_url)
    live = mailer(*SEND)
    assert live.exit_code == 0, live.output
    today = campaign_of(live)
    assert release_named(tmp_path, "next") == "releases/next.md"
    time.sleep(1.1)  # planned a second later than today's send went out
    at = datetime.now(UTC) + timedelta(days=2)
    scheduled = mailer("send", "releases/next.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert scheduled.exit_code == 0, scheduled.output
    thursday = campaign_of(scheduled)
    late = {"email": "ana@daily.example", "event": "bounce", "type": "bounce", "reason": "550 5.1.1 user unknown"}
    Path("late.json").write_text(json.dumps([{**late, "timestamp": int(time.time()) + 60, "sg_event_id": "late-1"}]), encoding="utf-8")
    assert mailer("events", "import", "late.json").exit_code == 0
    contact = " ".join(mailer("contact", "ana@daily.example").output.split())
    assert (
        f"{thursday} Subject: next: Riverbend Beekeepers count record 1.2 million bees in first city-wide census Outcome: scheduled: SendGrid holds it until"
        in contact
    ), contact
    assert (
        f"{today} Subject: Riverbend Beekeepers count record 1.2 million bees in first city-wide census Outcome: hard bounce" in contact
    ), contact


# -- 8. a request SendGrid dropped for its own header suppresses every journalist as "invalid" ----


def test_dropped_for_an_invalid_smtpapi_header_suppresses_nobody(store: Engine) -> None:
    """SendGrid drops a request's emails with reason "Invalid SMTPAPI header" when the request's
    own header is broken (one of its documented dropped reasons, SENDGRID.md §2.2): nothing about
    the journalists' addresses.

    What the office saw: every journalist of that send suppressed as "invalid" ("SendGrid
    dropped: Invalid SMTPAPI header"), and the next release skipped them all: the reason was read
    as SendGrid's "Invalid" (an invalid address) because it starts with that word. What should
    happen: the message is reported dropped and nobody is suppressed; SendGrid's plain "Invalid"
    still suppresses the address."""
    add_campaign(store, CAMPAIGN)
    keys = {email: add_message(store, CAMPAIGN, email) for email in ("ana@example.org", "bo@example.org")}
    app = client(store)
    post(
        app,
        sg_event(
            "dropped", "ana@example.org", key=keys["ana@example.org"], campaign_id=CAMPAIGN, at=T0 + 5, reason="Invalid SMTPAPI header"
        ),
        sg_event("dropped", "bo@example.org", key=keys["bo@example.org"], campaign_id=CAMPAIGN, at=T0 + 5, reason="Invalid"),
    )
    assert messages(store, CAMPAIGN)["ana@example.org"] == ("accepted", "dropped")
    assert suppressions(store) == {"bo@example.org": ("invalid", "webhook")}


# -- 9. public_url with a path: every unsubscribe and event batch is a silent 404 --------------


def test_public_url_with_a_path_is_served_under_that_path(store: Engine) -> None:
    """The office's proxy serves mailer webhook under its website's path:
    public_url = "https://www.example.org/press-mailer", and, as README says, forwards the path
    unchanged to 127.0.0.1:8080. mailer webhook itself tells it to give SendGrid
    https://www.example.org/press-mailer/sendgrid/events, and every email's link is
    https://www.example.org/press-mailer/unsubscribe/TOKEN.

    What the office saw: nothing at all. Every journalist's unsubscribe got "Not Found" (Gmail's
    button: nothing), every SendGrid batch got 404 (retried for 24 hours, then lost), and the
    webhook's terminal, which logs each request, stayed silent: the app served only
    /unsubscribe/... and /sendgrid/events. What should happen: the app answers under the
    public_url's path too."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    config = Config(
        sender=SenderConfig(from_name="Riverbend Beekeepers"),
        webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY, public_url="https://www.example.org/press-mailer"),
    )
    app = TestClient(webhook.create_app(config=config, engine=store, unsubscribe_secret=SECRET))
    link = unsubscribe.OneClick(config.webhook.public_url, SECRET).url(key)
    assert link.startswith("https://www.example.org/press-mailer/unsubscribe/")
    used = app.post(link.removeprefix("https://www.example.org"), data={"List-Unsubscribe": "One-Click"})
    assert used.status_code == 200 and "You are unsubscribed" in used.text, used.text
    payload = body([sg_event("delivered", "bo@example.org", key=None, campaign_id=None, at=T0)])
    posted = app.post("/press-mailer/sendgrid/events", content=payload, headers=signed_headers(payload))
    assert posted.status_code == 200, posted.text
    assert app.post(PATH, content=payload, headers=signed_headers(payload)).status_code == 200  # a proxy that strips the path


# -- 10. SendGrid posting to a mistyped path: 404s for a day, and the terminal says nothing ------


def test_post_to_a_path_not_served_is_logged(store: Engine) -> None:
    """The office typed https://press.example.org/sendgrid/event (no s) into SendGrid's Event
    Webhook settings. SendGrid posts every batch there, gets 404, retries for 24 hours, then drops
    the events.

    What the office saw: `mailer webhook` says "Each request is logged here", and logged nothing,
    so it looked as if no events had come yet; a day of bounces and unsubscribes was lost. What
    should happen: a POST to a path the webhook does not serve gets its line, saying the path is
    not served and which path SendGrid must post to."""
    import io

    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        payload = body([sg_event("delivered", "bo@example.org", key=None, campaign_id=None, at=T0)])
        response = client(store).post("/sendgrid/event", content=payload, headers=signed_headers(payload))
    finally:
        webhook.events_log.removeHandler(handler)
    assert response.status_code == 404
    said = stream.getvalue()
    assert "POST /sendgrid/event 404" in said and "/sendgrid/events" in said.split("POST /sendgrid/event 404", 1)[1], said


# -- 11. SendGrid's URL with a trailing slash: a redirect SendGrid never follows ----------------


def test_events_path_with_a_trailing_slash_is_taken(store: Engine) -> None:
    """The office gave SendGrid https://press.example.org/sendgrid/events/ (a trailing slash, as
    many web addresses are written). SendGrid does not follow redirects (SENDGRID.md §2.1).

    What the office saw: no events, ever, and not a line on the webhook's terminal: each batch
    was answered "307 Temporary Redirect" to the address without the slash, which SendGrid
    treats as a failure, retries for 24 hours and drops. What should happen: the batch is taken
    at either spelling."""
    payload = body([sg_event("bounce", "gone@example.org", key=None, campaign_id=None, at=T0, type="bounce", reason="550 no such user")])
    response = TestClient(client(store).app, follow_redirects=False).post(PATH + "/", content=payload, headers=signed_headers(payload))
    assert response.status_code == 200, (response.status_code, response.headers.get("location"))
    assert suppressions(store) == {"gone@example.org": ("bounce", "webhook")}
