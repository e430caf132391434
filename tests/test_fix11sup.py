"""Suppressions after review 11s and newcomer 11: one mailbox however it is spelt, `mailer forget`
reading what `suppressions add` reads, and a journalist's own unsubscribe outlasting what the
office lifts."""

from __future__ import annotations

import string

import pytest
from eventlog import suppressions
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from mailer import events, mailbox
from mailer.models import SuppressionReason
from mailer.store import suppressions as suppression_store

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
