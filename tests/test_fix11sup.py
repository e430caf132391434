"""Suppressions after review 11s and newcomer 11: one mailbox however it is spelt, `mailer forget`
reading what `suppressions add` reads, and a journalist's own unsubscribe outlasting what the
office lifts."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eventlog import add_campaign, add_message, suppressions
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import Engine, insert, select
from starlette.testclient import TestClient

from mailer import events, mailbox, unsubscribe
from mailer.cli import main
from mailer.config import Config, SenderConfig, WebhookConfig
from mailer.events import webhook
from mailer.models import SuppressionReason
from mailer.store import suppressions as suppression_store
from mailer.store.schema import event, message, suppression, suppression_removal

KEY = "SG.standin-key.secret"  # the stand-in's key (tests/sendgrid_standin.py)


def mailer(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": KEY})


def use_log(store: Engine) -> None:
    """A mailer.toml in the test's folder naming only the test's delivery log."""
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")


def log_rows(store: Engine) -> str:
    """The message, suppression and removal rows as text, for "never kept" checks."""
    with store.connect() as connection:
        rows = [row for table in (message, suppression, suppression_removal) for row in connection.execute(select(table))]
    return json.dumps([[str(value) for value in row] for row in rows]).lower()


ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~.@<>\": "


def slow_key(text: str) -> str:
    """The key without the fast path: ``mailbox.read``, or the text trimmed and lower-cased."""
    found, why = mailbox.read(text)
    return text.strip().lower() if why is not None else found


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ATEXT, max_size=40) | st.text(max_size=20))
@example("Jane@Example.ORG")
@example("ben@xn--bcher-kva.example")
@example('"jane"@example.org')
@example("jane@example.org.")
@example("mailto:jane@example.org")
@example("\u200bjane@example.org")
def test_mailbox_key_fast_path_is_the_reading_of_a_typed_address(text: str) -> None:
    """The cheap path events take for a plain address gives exactly what reading it in full gives."""
    assert mailbox.key(text) == slow_key(text)


@pytest.mark.parametrize(
    "spelt",
    [
        "ben@bücher.example",
        "BEN@BÜCHER.EXAMPLE",
        "ben@xn--bcher-kva.example",
        "ben@xn--bcher-kva.example.",
        "Ben <ben@xn--bcher-kva.example>",
        "mailto:ben@bücher.example",
        "\u200bben@bücher.example\ufeff",
    ],
)
def test_mailbox_key_one_mailbox_however_spelt(spelt: str) -> None:
    """Every spelling of one mailbox keys as the list row "ben@bücher.example" does."""
    assert mailbox.key(spelt) == "ben@bücher.example"


def test_spam_report_event_spelt_otherwise_suppresses_the_list_address(store: Engine) -> None:
    """A spam report naming the mailbox as "Ana <ANA@DAILY.EXAMPLE.>" suppresses ana@daily.example,
    and is stored under that key, so `mailer forget ana@daily.example` erases it."""
    event = {"email": "Ana <ANA@DAILY.EXAMPLE.>", "event": "spamreport", "timestamp": 1771495300, "sg_event_id": "spam-1"}
    events.apply(store, [events.from_object(event, where="x")], source="import", block_threshold=3)
    assert suppressions(store) == {"ana@daily.example": ("spamreport", "import")}
    assert events.from_object(event, where="x").email == "ana@daily.example"


def test_suppression_store_keys_every_spelling_alike(store: Engine) -> None:
    """The store keys what it is given as the list does: added under one spelling, found and lifted under another."""
    with store.begin() as connection:
        suppression_store.add(connection, [("ben@xn--bcher-kva.example", SuppressionReason.MANUAL, "phone")], source="manual")
    with store.begin() as connection:
        assert suppression_store.reasons(connection) == {"ben@bücher.example": "manual"}
        assert suppression_store.find(connection, "BEN@BÜCHER.EXAMPLE") is not None
        assert [s.email_key for s in suppression_store.remove(connection, ["Ben <ben@bücher.example>"], note="back")] == [
            "ben@bücher.example"
        ]


# -- newcomer 11 #1: `mailer forget` reads an address as `suppressions add` does ----------------------


def test_forget_name_and_address_erases_the_journalist_and_the_next_send_skips_her(live: Path, standin: Any) -> None:
    """`mailer forget "Jane Doe <jane@example.org>"` (copied from a mail program) erases Jane's
    rows, keeps "jane@example.org" suppressed (never her name), and the next live send skips her.
    Before, it kept the text as typed on the list, name and all, erased 0 rows, and Jane was mailed."""
    Path("lists/beat.csv").write_text("Email,First Name\njane@example.org,Jane\nother@daily.example,Otto\n", encoding="utf-8")
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    result = mailer("forget", "Jane Doe <jane@example.org>", "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased jane@example.org from 1 message row in 1 campaign" in result.output
    assert "Erased from 0 rows" not in result.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes")
    assert sent.exit_code == 0, sent.output
    assert set(standin.accepted_addresses()) == {"other@daily.example"}


@pytest.mark.parametrize("typed", ["mailto:Jane@Example.org", "\u200bjane@example.org", "jane@example.org.", "  JANE@EXAMPLE.ORG  "])
def test_forget_reads_every_spelling_of_the_address(store: Engine, typed: str) -> None:
    """A mailto: link, a zero-width space pasted with it, a sentence's final dot, capitals: each
    erases the journalist's rows, and the one suppression kept is her address as the list spells it."""
    add_campaign(store, "c1")
    add_message(store, "c1", "jane@example.org", first_name="Jane", last_name="Doe")
    use_log(store)
    result = mailer("forget", typed, "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased jane@example.org from 1 message row in 1 campaign" in result.output
    assert suppressions(store) == {"jane@example.org": ("forgotten", "forget")}
    assert "jane" not in log_rows(store).replace("jane@example.org", "")


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("a@b@c", "The part after the @-sign contains invalid characters: '@'."),
        ("x@example", "The part after the @-sign is not valid. It should have a period."),
        ("Jane Doe", "An email address must have an @-sign."),
        ("Jane Doe <jane@>", "There must be something after the @-sign."),
    ],
)
def test_forget_refuses_what_is_not_an_address_and_changes_nothing(store: Engine, typed: str, why: str) -> None:
    """Text that is no address is refused, saying why and how to give one, before any question;
    nothing is erased or suppressed (before, "x@example" was suppressed as typed)."""
    add_campaign(store, "c1")
    add_message(store, "c1", "jane@example.org", first_name="Jane")
    use_log(store)
    result = mailer("forget", typed, "--yes")
    assert result.exit_code == 1
    assert f'Error: "{typed}" is not an email address. {why}' in result.output
    assert 'for example jane@example.org or "Jane Doe <jane@example.org>"' in result.output
    assert suppressions(store) == {}
    assert "jane" in log_rows(store)


def test_forget_an_address_found_nowhere_says_to_check_the_spelling(store: Engine) -> None:
    """A typo ("exmaple") erases nothing: the command says so instead of a quiet "0 rows"."""
    add_campaign(store, "c1")
    add_message(store, "c1", "jane@example.org", first_name="Jane")
    use_log(store)
    result = mailer("forget", "jane@exmaple.org", "--yes")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: Erased from 0 rows: jane@exmaple.org is nowhere in the delivery log or in the lists it sent from. Check the spelling"
        in " ".join(result.output.split())
    )


def plant_old_entry(store: Engine, typed: str) -> None:
    """The suppression an older `mailer forget TYPED` left: the text as typed, lower-cased."""
    with store.begin() as connection:
        connection.execute(
            insert(suppression).values(
                email_key=typed.strip().lower(), reason="forgotten", source="forget", note=None, created_at=datetime.now(UTC)
            )
        )


def test_suppressions_remove_finds_an_entry_an_older_forget_kept_with_the_name(store: Engine) -> None:
    """An older `mailer forget "Jane Doe <jane@example.org>"` kept "jane doe <jane@example.org>".
    `suppressions remove` typed the same way (or as the bare address) finds that entry: refused
    without --forgotten, as any erasure is, and lifted with it, saying which entry it was."""
    plant_old_entry(store, "Jane Doe <jane@example.org>")
    use_log(store)
    refused = mailer("suppressions", "remove", "jane doe <jane@example.org>", "--reason", "asked back in")
    assert refused.exit_code == 1
    assert "jane@example.org asked to be forgotten (mailer forget)" in refused.output
    assert "mailer suppressions remove jane@example.org --reason" in refused.output
    lifted = mailer("suppressions", "remove", "jane doe <jane@example.org>", "--reason", "asked back in", "--forgotten")
    assert lifted.exit_code == 0, lifted.output
    assert (
        'jane@example.org may be mailed again (kept as "jane doe <jane@example.org>" by an older version) (was: forgotten' in lifted.output
    )
    assert suppressions(store) == {}


def test_forget_erases_an_entry_an_older_forget_kept_with_the_name(store: Engine) -> None:
    """Forgetting Jane again removes the name an older version kept on the suppression list."""
    plant_old_entry(store, "Jane Doe <jane@example.org>")
    use_log(store)
    result = mailer("forget", "jane@example.org", "--yes")
    assert result.exit_code == 0, result.output
    assert "(it was suppressed before: forgotten)" in result.output
    assert suppressions(store) == {"jane@example.org": ("forgotten", "forget")}
    assert "jane doe" not in log_rows(store)


# -- review 11s #4: the one-click ids are the links' own -----------------------------------------------

SECRET = SecretStr("s3cret-for-tests-0123456789abcdefghij")


def oneclick_client(store: Engine) -> TestClient:
    config = Config(sender=SenderConfig(from_name="Press Office"), webhook=WebhookConfig(public_url="https://press.example.org"))
    return TestClient(webhook.create_app(config=config, engine=store, unsubscribe_secret=SECRET))


def test_event_with_a_one_click_id_is_quarantined_saying_why(store: Engine) -> None:
    """An events file holding an event whose sg_event_id is a link's ("one-click.<key>") stores the
    rest and keeps that one in the quarantine, with the reason."""
    add_campaign(store, "c1")
    key = add_message(store, "c1", "bo@example.org")
    use_log(store)
    planted = {"email": "bo@example.org", "event": "open", "timestamp": 1771495300, "sg_event_id": f" one-click.{key}", "message": key}
    fine = {"email": "bo@example.org", "event": "delivered", "timestamp": 1771495200, "sg_event_id": "d-1", "message": key}
    Path("events.json").write_text(json.dumps([fine, planted]), encoding="utf-8")
    result = mailer("events", "import", "events.json")
    assert result.exit_code == 0, result.output
    assert "Added 1," in result.output
    assert "Quarantined 1 event that could not be read" in result.output
    assert '"sg_event_id" starts with "one-click.", which only the one-click unsubscribe links of mailer webhook use.' in result.output


def test_one_click_still_unsubscribes_when_an_older_import_took_its_id(store: Engine) -> None:
    """A log where an older version stored an imported event under a link's id (before such events
    were quarantined): the journalist's POST still unsubscribes them, once; a second use changes nothing."""
    add_campaign(store, "c1")
    key = add_message(store, "c1", "bo@example.org")
    squatter = {"email": "bo@example.org", "event": "open", "timestamp": 1771495300, "sg_event_id": "x", "message": key, "campaign": "c1"}
    parsed = events.from_object(squatter, where="x")._replace(sg_event_id=f"one-click.{key}")
    events.apply(store, [parsed], source="import", block_threshold=3)
    one_click = oneclick_client(store)
    first = one_click.post(unsubscribe.PATH + unsubscribe.sign(SECRET, key), data={"List-Unsubscribe": "One-Click"})
    assert first.status_code == 200 and "You are unsubscribed" in first.text
    assert suppressions(store) == {"bo@example.org": ("unsubscribe", "one-click")}
    again = one_click.post(unsubscribe.PATH + unsubscribe.sign(SECRET, key), data={"List-Unsubscribe": "One-Click"})
    assert "You already unsubscribed with this link" in again.text
    with store.connect() as connection:
        kinds = sorted(connection.scalars(select(event.c.event).where(event.c.message_id.is_not(None))))
    assert kinds == ["open", "unsubscribe"]


# -- review 11s #7: the journalist's own unsubscribe outranks what the office lifts ------------------


def imported(store: Engine, *raw: dict[str, Any]) -> None:
    """Events as `mailer events import` stores them."""
    events.apply(store, [events.from_object(dict(e), where="x") for e in raw], source="import", block_threshold=3)


def test_lifting_a_bounce_keeps_a_later_unsubscribe_and_says_so(store: Engine) -> None:
    """Bo bounced, then unsubscribed (SendGrid's link). `suppressions remove bo --reason ...` lifts
    the bounce but Bo stays suppressed as "unsubscribe", and the command says why and what to type
    if Bo did ask to be mailed again; typing it lifts the unsubscribe."""
    add_campaign(store, "c1")
    key = add_message(store, "c1", "bo@example.org")
    imported(
        store,
        {
            "email": "bo@example.org",
            "event": "bounce",
            "type": "bounce",
            "reason": "552 full",
            "timestamp": 1771495300,
            "sg_event_id": "b1",
        },
        {"email": "BO@example.org", "event": "unsubscribe", "timestamp": 1771581700, "sg_event_id": "u1", "message": key},
    )
    assert suppressions(store) == {"bo@example.org": ("bounce", "import")}
    use_log(store)
    lifted = mailer("suppressions", "remove", "bo@example.org", "--reason", "mailbox works again")
    assert lifted.exit_code == 0, lifted.output
    said = " ".join(lifted.output.split())
    assert "bo@example.org: lifted the bounce (since 2026-02-19); reason: mailbox works again" in said
    assert (
        "Warning: bo@example.org stays suppressed (unsubscribe): unsubscribed from all mail on 2026-02-20. "
        "Lifting it does not undo the journalist's own unsubscribe. Only if they asked to be mailed again: "
        'mailer suppressions remove bo@example.org --reason "..."'
    ) in said
    assert "may be mailed again" not in said
    assert suppressions(store) == {"bo@example.org": ("unsubscribe", "event")}
    again = mailer("suppressions", "remove", "bo@example.org", "--reason", "asked back in on 3 March")
    assert again.exit_code == 0, again.output
    assert "bo@example.org may be mailed again (was: unsubscribe, since 2026-02-20); reason: asked back in on 3 March" in again.output
    assert suppressions(store) == {}


def test_lifting_a_manual_entry_keeps_a_spam_report(store: Engine) -> None:
    """The office's own note lifted, a spam report made since still keeps the address off every send."""
    with store.begin() as connection:
        suppression_store.add(connection, [("cy@example.org", SuppressionReason.MANUAL, "phone")], source="manual")
    imported(store, {"email": "cy@example.org", "event": "spamreport", "timestamp": 1771495300, "sg_event_id": "s1"})
    with store.begin() as connection:
        suppression_store.remove(connection, ["cy@example.org"], note="wrong person")
    assert suppressions(store) == {"cy@example.org": ("spamreport", "event")}


def test_lifting_a_bounce_ignores_an_unsubscribe_the_office_lifted_before(store: Engine) -> None:
    """Dee unsubscribed, asked back in (the office lifted it), then bounced: lifting the bounce lets
    Dee be mailed again; the old unsubscribe does not come back. A group unsubscribe undone by a
    group resubscribe does not come back either."""
    imported(store, {"email": "dee@example.org", "event": "unsubscribe", "timestamp": 1771495300, "sg_event_id": "u1"})
    with store.begin() as connection:
        suppression_store.remove(connection, ["dee@example.org"], note="asked back in")
    imported(
        store,
        {"email": "dee@example.org", "event": "bounce", "type": "bounce", "timestamp": 1771581700, "sg_event_id": "b1"},
        {"email": "eve@example.org", "event": "group_unsubscribe", "asm_group_id": 7, "timestamp": 1771495300, "sg_event_id": "g1"},
        {"email": "eve@example.org", "event": "group_resubscribe", "asm_group_id": 7, "timestamp": 1771495400, "sg_event_id": "g2"},
        {"email": "eve@example.org", "event": "bounce", "type": "bounce", "timestamp": 1771581700, "sg_event_id": "b2"},
    )
    assert suppressions(store) == {"dee@example.org": ("bounce", "import"), "eve@example.org": ("bounce", "import")}
    with store.begin() as connection:
        suppression_store.remove(connection, ["dee@example.org", "eve@example.org"], note="mailbox works again")
    assert suppressions(store) == {}
