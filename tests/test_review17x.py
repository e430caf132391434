"""Review 17x: a hostile read of this morning's fixes (reviews 17c and 17w), as a press office and an attacker would.

Each test is a finding: what a press officer (or a journalist who said stop) would notice,
asserted as it should be; each failed on main before its fix (session 17). Events go through
the real webhook app (Starlette's TestClient, or a raw ASGI request where a test client would
tidy the path) into a real delivery log, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eventlog import T0, TEST_PUBLIC_KEY, add_campaign, add_message, body, messages, post_scope, sg_event, signed_headers, suppressions
from pydantic import SecretStr
from sqlalchemy import Engine, update
from starlette.testclient import TestClient

from mailer import unsubscribe
from mailer.cli import main
from mailer.config import Config, SenderConfig, WebhookConfig
from mailer.events import webhook
from mailer.store import events as event_store
from mailer.store import suppressions as suppression_store
from mailer.store.schema import campaign

CAMPAIGN = "2026-02-19-wetlands"
PATH = "/sendgrid/events"
SECRET = SecretStr("s3cret-for-tests-0123456789abcdefghij")
PRESS_GROUP = 5  # the office's [sendgrid] asm_group_id
NEWSLETTER_GROUP = 7  # another unsubscribe group on the same SendGrid account (a newsletter tool's)


def create(engine: Engine, public_url: str = "https://press.example.org", now: Callable[[], datetime] | None = None) -> Any:
    config = Config(
        sender=SenderConfig(from_name="Riverbend Beekeepers"),
        webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY, public_url=public_url),
    )
    return webhook.create_app(config=config, engine=engine, unsubscribe_secret=SECRET, now=now)


def post(app: TestClient, *events: dict[str, object]) -> None:
    payload = body(list(events))
    response = app.post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200, response.text
    assert response.json()["added"] == len(events), response.json()


# -- 1. a newsletter resubscribe lifts a press-group unsubscribe said in a colleague's log's mail ----


def test_newsletter_resubscribe_keeps_an_unsubscribe_said_in_another_logs_mail(store: Engine) -> None:
    """Cleo unsubscribed from the press releases (group 5) in an email a colleague sent with her own
    delivery log (honoured here: "group unsubscribe (in mail sent with another delivery log)").
    A week later she ticks the office's newsletter (another tool, group 7) back on, on SendGrid's
    preference page: a group_resubscribe in the newsletter's mail, which carries no message of any
    delivery log.

    What the office saw: `mailer suppressions list` no longer listed her and the next release was
    mailed to her: review 17w #2 (a resubscribe undoes only its own group's unsubscribe) held for
    this log's own unsubscribes, but one from another log's mail was undone by a resubscribe to
    any group. What should happen: only a resubscribe in this office's own mail (she asks for its
    mail again) or to the same group undoes it."""
    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "other@example.org")
    app = TestClient(create(store))
    colleague = sg_event("group_unsubscribe", "cleo@example.org", key="k-colleague-1", campaign_id="2026-02-01-colleague", at=T0 + 100)
    post(app, {**colleague, "asm_group_id": PRESS_GROUP})
    assert suppressions(store)["cleo@example.org"] == ("unsubscribe", "webhook")
    newsletter = sg_event("group_resubscribe", "cleo@example.org", key=None, campaign_id=None, at=T0 + 200, sg_message_id="NEWS1.x")
    post(app, {**newsletter, "asm_group_id": NEWSLETTER_GROUP})
    assert suppressions(store).get("cleo@example.org") == ("unsubscribe", "webhook")
    with store.connect() as connection:
        assert event_store.latest_opt_out(connection, "cleo@example.org") is not None


# -- 2. a one-click unsubscribe while bounce-suppressed is dropped, and lifting the bounce mails her --


def test_one_click_used_again_while_suppressed_for_a_bounce_outlasts_the_bounce(store: Engine) -> None:
    """Ana unsubscribed with the one-click link of the February release, then asked to be put back
    (the office lifted it). In April her mailbox was full (hard bounce: suppressed, reason bounce);
    she has had enough again and presses Gmail's Unsubscribe button on the February email. In May
    the office lifts the bounce ("mailbox works again").

    What she saw: the page said "You already unsubscribed with this link" (the link was used, and
    she was suppressed, for the bounce), nothing was stored, and once the bounce was lifted the
    releases came again. What should happen: her new use is stored as her stop; the bounce stays
    first on the list, and lifting it leaves her unsubscribed, as a first use would."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org")
    clock = [datetime(2026, 2, 20, 9, 0, tzinfo=UTC)]  # weeks between each step, as in an office
    app = TestClient(create(store, now=lambda: clock[0]))
    target = unsubscribe.PATH + unsubscribe.sign(SECRET, key)
    assert "You are unsubscribed" in app.post(target, data={"List-Unsubscribe": "One-Click"}).text
    with store.begin() as connection:
        suppression_store.remove(connection, ["ana@example.org"], note="phoned: put me back", now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    full = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    post(
        app,
        sg_event(
            "bounce", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=int(full.timestamp()), type="bounce", reason="552 mailbox full"
        ),
    )
    assert suppressions(store) == {"ana@example.org": ("bounce", "webhook")}
    clock[0] = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
    assert '<form method="post">' in app.get(target).text
    again = app.post(target, data={"List-Unsubscribe": "One-Click"})
    assert "You are unsubscribed" in again.text, again.text
    assert "You already unsubscribed" in app.post(target, data={"List-Unsubscribe": "One-Click"}).text
    with store.begin() as connection:
        suppression_store.remove(connection, ["ana@example.org"], note="mailbox works again", now=datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    assert suppressions(store) == {"ana@example.org": ("unsubscribe", "one-click")}


# -- 3. the wrong-path log line writes the path as sent: an unsubscribe token, terminal controls ----


def raw_post(app: Any, path: str) -> int:
    """POST ``path`` as uvicorn hands it over (percent-escapes decoded, nothing tidied); the answer's status."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"[]", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = post_scope(path, host=b"press.example.org", length=2, client=("203.0.113.9", 50000), server=("127.0.0.1", 8025))
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])


def test_the_log_line_of_a_path_not_served_holds_no_token_and_no_control_characters(
    store: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The office moved its webhook ([webhook] public_url .../press to .../newsroom). Gmail's
    Unsubscribe button on an older email POSTs the old link, /press/unsubscribe/TOKEN: a 404, and
    since review 17w #10 a log line, which printed the whole token, although the token is what
    unsubscribes someone and is never logged (oneclick.py). And anybody can POST to a path of
    their choosing: "\\x1b[1A\\x1b[2K" moves the terminal's cursor up and wipes a line, so a
    stranger could erase or rewrite the lines `mailer webhook` shows the office.

    The line also said "SendGrid's Event Webhook must post to /sendgrid/events", advice for
    SendGrid, when it was a journalist whose unsubscribe was lost. What should happen: the line
    names the path without the token ("/press/unsubscribe/..."), says the journalist was not
    unsubscribed and where links are served, and shows control characters escaped."""
    app = create(store, public_url="https://www.example.org/newsroom")
    caplog.set_level(logging.INFO, logger="mailer.events.webhook.requests")
    token = unsubscribe.sign(SECRET, "k-feb-ana")
    assert raw_post(app, "/press" + unsubscribe.PATH + token) == 404
    assert raw_post(app, "/x\x1b[1A\x1b[2K\x08\x07") == 404
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 2, said
    assert token not in said[0] and token.split(".")[-1] not in said[0], said[0]
    assert "/press/unsubscribe/..." in said[0], said[0]
    assert "not unsubscribed" in said[0] and "/newsroom/unsubscribe/" in said[0], said[0]
    assert not any(ord(c) < 32 or ord(c) == 127 for c in said[1]), said[1]
    assert "\\x1b[1A" in said[1], said[1]


# -- 4. a note wrapped over two lines in a bullet point or a quotation reaches every journalist ----


def release(project: Path, body: str) -> Path:
    """releases/x.md: a subject and a date, then ``body``."""
    path = project / "releases" / "x.md"
    path.write_text(f'---\nsubject: "Bee census"\ndate: 2026-02-19\n---\n{body}', encoding="utf-8")
    return path


def preview(*args: str) -> Result:
    return CliRunner().invoke(main, ["preview", *args])


@pytest.mark.parametrize("container", ["- ", "> ", "1. "])
def test_a_note_wrapped_in_a_list_item_or_quotation_reaches_no_journalist(project: Path, container: str) -> None:
    """Review 17c #8 leaves HTML comments (notes to colleagues, hidden by every Markdown editor) out
    of the email. An editor wrapping at 80 columns puts a note in a bullet point on two lines, the
    second indented under the first (or, in a quotation, behind "> "): the composer looked for the
    note as Markdown hands it over, without that indent, did not find it in the file, and left it
    in. Every journalist read "TODO: check the 18% with Maria, do not mention the lawsuit", the
    preview saying nothing."""
    follow = " " * len(container) if container != "> " else "> "
    release(
        project,
        f"The census is out.\n\n{container}Hives grew by 18% <!-- TODO: check the 18% with Maria,  \n"
        f"{follow}do not mention the lawsuit --> since 2024.\n",
    )
    result = preview("releases/x.md")
    assert result.exit_code == 0, result.output
    for name in ("x.html", "x.txt"):
        written = (project / "out" / "preview" / name).read_text(encoding="utf-8")
        assert "lawsuit" not in written and "TODO" not in written, written
        assert "Hives grew by 18% since 2024." in " ".join(written.split()), written


# -- 5. a note never closed (no -->) leaves the rest of the release out, without a word ------------


def test_a_note_never_closed_is_an_error_naming_its_line(project: Path) -> None:
    """A press officer starts a note to a colleague ("<!-- TODO check the 18% with Maria") and
    forgets the closing "-->". Markdown hides everything after it up to the end of the file, so the
    email held the first paragraph only: the quote, the figures and the boilerplate's lead-in were
    gone, and the preview said nothing but the usual. What should happen: an error naming the line
    the note opens on, and how to close it."""
    release(project, "The census is out.\n\n<!-- TODO check the 18% with Maria\n\nHives grew by 18% since 2024.\n\nMore to come.\n")
    result = preview("releases/x.md")
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "releases/x.md, line 7" in said and "-->" in said, said
    assert "Traceback" not in said


# -- 6. an office's template putting the headline in capitals sends "ZQX0QQQQQQQQQXQZ" -------------


@pytest.mark.parametrize("part", ["html", "txt"])
def test_a_template_filter_that_would_mangle_a_contact_field_is_an_error(project: Path, part: str) -> None:
    """Review 17c #11 filled in a contact field in a heading the text part writes in capitals. An
    office's own template does the same to the headline ({{ headline | upper }}, as press releases
    often print it): a headline with a contact field ("Bee census for {{ contact.outlet }}") reached
    every journalist as "BEE CENSUS FOR ZQX0QQQQQQQQQXQZ" in the text part and "-~C.OUTLET.H~-" in
    the HTML, the preview saying nothing of it. What should happen: an error naming the template
    and its line, saying what the filter does and what to write instead."""
    folder = project / "templates"
    for suffix in ("html.j2", "txt.j2", "css"):
        built_in = (folder / f"release.{suffix}").read_text(encoding="utf-8")
        if suffix == f"{part}.j2":
            assert "{{ headline }}" in built_in
            built_in = built_in.replace("{{ headline }}", "{{ headline | upper }}")
        (folder / f"caps.{suffix}").write_text(built_in, encoding="utf-8")
    path = project / "releases" / "x.md"
    path.write_text(
        '---\nsubject: "Bee census"\ndate: 2026-02-19\ntemplate: caps\nheadline: \'Bee census for {{ contact.outlet | default("you") }}\'\n---\nHello.\n',
        encoding="utf-8",
    )
    result = preview("releases/x.md")
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    line = next(n for n, text in enumerate((folder / f"caps.{part}.j2").read_text(encoding="utf-8").splitlines(), 1) if "| upper" in text)
    assert f"caps.{part}.j2, line {line}" in said and "upper" in said, said
    assert "Traceback" not in said


# -- 7. a late bounce is filed under a scheduled release the office cancelled in time ---------------


def test_late_bounce_is_not_filed_under_a_scheduled_send_cancelled_in_time(store: Engine) -> None:
    """Monday's release goes out. On Tuesday the office schedules Thursday's release to the same
    list (SendGrid holds it), and on Wednesday cancels it in time (`mailer cancel`: SendGrid drops
    the batch; the log reads it "cancelled"). SendGrid retries a deferred email for 72 hours, so
    Monday's email to Ana bounces on Thursday afternoon, an asynchronous bounce without custom_args
    or sg_message_id, matched by address and time.

    What the office saw: the bounce was filed under Thursday's cancelled release, which reached
    nobody (review 17w #4 and #7 left dry runs, sandbox sends and scheduled sends before their time
    out of the match, but not a cancelled one): Monday's report showed Bounced 0, and `mailer contact`
    gave the cancelled release "Outcome: hard bounce". What should happen: the bounce is Monday's."""
    day = 24 * 3600
    add_campaign(store, "2026-02-16-monday", created=T0 - 60)
    add_message(store, "2026-02-16-monday", "ana@example.org", created=T0, sg_message_id="MON1")
    add_campaign(store, "2026-02-19-thursday", created=T0 + day)
    add_message(store, "2026-02-19-thursday", "ana@example.org", created=T0 + day, sg_message_id="THU1")
    with store.begin() as connection:
        connection.execute(
            update(campaign)
            .where(campaign.c.id == "2026-02-19-thursday")
            .values(status="cancelled", scheduled_at=datetime.fromtimestamp(T0 + 3 * day, UTC), sendgrid_batch_id="BATCH1")
        )
    app = TestClient(create(store))
    late = {"email": "ana@example.org", "event": "bounce", "type": "bounce", "reason": "550 5.1.1 user unknown"}
    post(app, {**late, "timestamp": T0 + 3 * day + 4 * 3600, "sg_event_id": "late-thursday-1"})
    assert messages(store, "2026-02-19-thursday")["ana@example.org"][1] is None
    assert messages(store, "2026-02-16-monday")["ana@example.org"][1] == "bounced"
