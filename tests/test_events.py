"""Event ingestion: parsing files and bodies, linking, idempotency, forward-only delivery, suppressions."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from eventlog import (
    DATA,
    T0,
    add_campaign,
    add_message,
    event_count,
    messages,
    sg_event,
    suppressions,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from mailer import events
from mailer.errors import EventError
from mailer.reports import figures
from mailer.store import connect
from mailer.store import suppressions as suppression_store
from mailer.store.schema import event as event_table
from mailer.store.schema import message as message_table

CAMPAIGN = "2026-02-19-wetlands"
PEOPLE = [
    "ana@example.org",
    "ben@paper.example",
    "cleo@example.net",
    "dan@example.com",
    "eve@example.com",
    "fay@example.com",
    "gus@example.com",
]


def seed(engine: Engine) -> None:
    add_campaign(engine, CAMPAIGN)
    for address in PEOPLE:
        add_message(engine, CAMPAIGN, address, key="m-" + address.split("@")[0])


def apply(engine: Engine, batch: list[events.Event], threshold: int = 3) -> events.Applied:
    return events.apply(engine, batch, source="webhook", block_threshold=threshold)


@pytest.mark.parametrize("name", ["all-types.json", "all-types.ndjson"])
def test_events_file_json_array_and_ndjson_read_the_same(name: str) -> None:
    """A JSON array and an NDJSON file with the same events give the same Event records."""
    read = events.read_file(DATA / name).events
    assert [e.event for e in read] == [
        "processed",
        "delivered",
        "open",
        "click",
        "bounce",
        "deferred",
        "dropped",
        "spamreport",
        "unsubscribe",
        "group_unsubscribe",
        "group_resubscribe",
        "account_status_change",
    ]
    bounce = read[4]
    assert (bounce.bounce_type, bounce.bounce_classification, bounce.message_key, bounce.campaign_id) == (
        "bounce",
        "Invalid Address",
        "m-ben",
        CAMPAIGN,
    )
    assert read[2].machine_open is False


def test_events_file_bad_ndjson_line_is_quarantined_by_line() -> None:
    """A broken NDJSON line is quarantined, named by file and line; the other lines are read."""
    path = DATA / "broken-line-4.ndjson"
    batch = events.read_file(path)
    assert [e.sg_event_id for e in batch.events] == ["p-1", "d-1", "o-1", "b-1"]
    (bad,) = batch.quarantined
    assert bad.where == f"{path} line 4"
    assert bad.reason.startswith("not valid JSON (Expecting property name")
    assert bad.raw == '{"email":"x@example.org","event":"open",'


def test_events_file_bad_json_array_keeps_the_events_before_the_break() -> None:
    """A JSON array with a missing comma keeps the events before it; the rest is quarantined from line 3."""
    path = DATA / "broken-array.json"
    batch = events.read_file(path)
    assert [e.email for e in batch.events] == ["a@example.org"]
    (rest,) = batch.quarantined
    assert rest.where == f"{path} line 3"
    assert rest.reason.startswith("not valid JSON (Expecting ',' delimiter")
    assert rest.reason.endswith("The rest of the file is kept whole.")
    assert rest.raw.startswith('{"event": "click" "email"')


def test_events_file_array_broken_early_keeps_a_megabyte_of_the_rest(tmp_path: Path) -> None:
    """An array broken at its second event in a file of several megabytes: the event before the break
    is read; the quarantine keeps the first megabyte of the rest and says the file holds the rest
    (it is not held in memory nor stored whole)."""
    good = {"email": "a@example.org", "event": "open", "timestamp": 1771500000, "sg_event_id": "e-0"}
    later = ",\n".join(json.dumps({**good, "sg_event_id": f"e-{i}"}) for i in range(1, 40_000))
    path = tmp_path / "broken-early.json"
    path.write_text("[" + json.dumps(good) + ',\n{"event": "click" "email": "b@example.org"},\n' + later + "]\n", encoding="utf-8")
    assert path.stat().st_size > 3_000_000
    batch = events.read_file(path)
    assert [e.sg_event_id for e in batch.events] == ["e-0"]
    (rest,) = batch.quarantined
    assert rest.where == f"{path} line 2"
    assert rest.reason.endswith("The rest of the file is not imported; its first 1 MB are kept here.")
    assert rest.raw.startswith('{"event": "click" "email"')
    assert len(rest.raw) < 1_100_000
    assert rest.raw.rstrip().endswith("more bytes of the file not kept here]")


def test_events_ndjson_first_line_not_json_reads_on_line_by_line(tmp_path: Path) -> None:
    """A first line that is not JSON (and opens no object) is quarantined; the lines after it are read."""
    path = tmp_path / "junk-first.ndjson"
    lines = [json.dumps({"email": "a@example.org", "event": "open", "timestamp": 1771500000, "sg_event_id": f"e-{i}"}) for i in range(3)]
    path.write_text("exported by the events tool\n" + "\n".join(lines) + "\n", encoding="utf-8")
    batch = events.read_file(path)
    assert [e.sg_event_id for e in batch.events] == ["e-0", "e-1", "e-2"]
    assert [(q.where, q.raw) for q in batch.quarantined] == [(f"{path} line 1", "exported by the events tool")]


def test_events_file_that_holds_no_events_is_refused() -> None:
    """A JSON file holding a string is not taken for events: read_file refuses it, as `mailer
    events import` does (it was quarantined whole until newcomer 16py #27)."""
    path = DATA / "not-events.json"
    with pytest.raises(EventError, match="no line holds an event"):
        events.read_file(path)


@pytest.mark.parametrize(
    "payload,reason",
    [
        (b'[{"event": ', "The request body is not valid JSON: Expecting value (line 1, column 12)."),
        (b"42", "The request body is a number, not a list of events."),
        (b"\xff\xfe", "The request body is not UTF-8 text."),
        (b"[" * 100_000, "The request body is nested too deeply to read."),
    ],
)
def test_events_body_malformed_is_quarantined_whole(payload: bytes, reason: str) -> None:
    """Bodies that are not a list of events are kept whole in the quarantine with a plain reason."""
    batch = events.parse_body(payload)
    assert batch.events == []
    assert [(q.where, q.reason) for q in batch.quarantined] == [("body", reason)]


def test_events_body_event_that_is_not_an_object_is_quarantined_alone() -> None:
    """A number among events is set aside; the event beside it is read."""
    batch = events.parse_body(b'[1, {"event": "open", "timestamp": 5}]')
    assert [e.event for e in batch.events] == ["open"]
    assert [(q.where, q.reason, q.raw) for q in batch.quarantined] == [
        ("event 1", "expected an event (a JSON object), found a number.", "1")
    ]


def test_events_apply_links_settles_and_suppresses(store: Engine) -> None:
    """Every event type lands once; delivery, unknown state and suppressions follow from them."""
    seed(store)
    add_message(store, CAMPAIGN, "ivy@example.com", key="m-ivy", state="unknown")
    result = apply(store, events.read_file(DATA / "all-types.json").events)
    assert result == events.Applied(received=12, added=12, duplicates=0, unlinked=1, suppressed=4)
    assert messages(store, CAMPAIGN) == {
        "ana@example.org": ("accepted", "delivered"),
        "ben@paper.example": ("accepted", "bounced"),
        "cleo@example.net": ("accepted", "deferred"),
        "dan@example.com": ("accepted", "dropped"),
        "eve@example.com": ("accepted", "delivered"),  # a spam report, an unsubscribe and
        "fay@example.com": ("accepted", "delivered"),  # group (un)subscribes happen in the
        "gus@example.com": ("accepted", "delivered"),  # inbox: the mail was delivered
        "ivy@example.com": ("unknown", None),
    }
    assert suppressions(store) == {
        "ben@paper.example": ("bounce", "webhook"),
        "dan@example.com": ("unsubscribe", "webhook"),
        "eve@example.com": ("spamreport", "webhook"),
        "fay@example.com": ("unsubscribe", "webhook"),
    }
    with store.connect() as connection:
        raw = connection.scalar(select(event_table.c.raw).where(event_table.c.event == "account_status_change"))
    assert json.loads(raw)["type"] == "compliance_suspend"


def test_events_stored_row_holds_each_field_in_its_column(store: Engine) -> None:
    """Every field of a parsed event lands in its own column (the webhook writes rows as plain tuples)."""
    seed(store)
    batch = events.read_file(DATA / "all-types.json").events
    apply(store, batch)
    with store.connect() as connection:
        rows = {row.dedupe_key: row for row in connection.execute(select(event_table))}
    fields = (
        "sg_event_id",
        "event",
        "email",
        "timestamp",
        "sg_message_id",
        "reason",
        "bounce_type",
        "bounce_classification",
        "machine_open",
        "url",
        "raw",
    )
    for item in batch:
        row = rows[item.dedupe_key]
        assert tuple(getattr(row, name) for name in fields) == tuple(getattr(item, name) for name in fields)
        if row.message_id is not None:
            assert row.campaign_id == CAMPAIGN
        else:
            assert row.campaign_id == item.campaign_id
    assert sum(row.message_id is not None for row in rows.values()) == 11


def test_events_batch_about_more_messages_than_one_lookup_links_and_advances_each(store: Engine) -> None:
    """A batch about 1,201 messages (look-ups and updates go 500 ids at a time) links every event and moves every message."""
    add_campaign(store, CAMPAIGN)
    with store.begin() as connection:
        connection.execute(
            message_table.insert(),
            [
                {
                    "campaign_id": CAMPAIGN,
                    "message_key": f"bulk{n:05d}",
                    "email": f"reporter{n}@example.org",
                    "email_key": f"reporter{n}@example.org",
                    "fields": {},
                    "state": "unknown" if n % 2 else "accepted",
                    "created_at": datetime.fromtimestamp(T0, UTC),
                    "updated_at": datetime.fromtimestamp(T0, UTC),
                }
                for n in range(1201)
            ],
        )
    kinds = ["delivered", "processed", "open"]
    batch = [
        sg_event(kinds[n % 3], f"reporter{n}@example.org", key=f"bulk{n:05d}", campaign_id=CAMPAIGN, at=T0 + 60, sg_event_id=f"bulk-{n}")
        for n in range(1201)
    ]
    result = apply(store, events.parse_body(json.dumps(batch).encode()).events)
    assert (result.added, result.unlinked) == (1201, 0)
    assert messages(store, CAMPAIGN) == {
        f"reporter{n}@example.org": ("accepted", "processed" if n % 3 == 1 else "delivered") for n in range(1201)
    }


def test_events_batch_longer_than_one_insert_is_stored_whole_in_the_order_received(store: Engine) -> None:
    """A batch of 4,500 events (more than one statement's 2,048 rows, no multiple of 256), some stored before and
    its last one a re-sent duplicate: each new event is stored once, in the order received, and counted once."""
    seed(store)
    people = PEOPLE
    batch = [
        sg_event("open", people[n % len(people)], key="m-" + people[n % len(people)].split("@")[0], campaign_id=CAMPAIGN, at=T0 + n)
        for n in range(4500)
    ]
    earlier = [batch[n] for n in range(0, 4500, 7)]  # stored by an earlier POST
    assert apply(store, events.parse_body(json.dumps(earlier).encode()).events).added == len(earlier)
    resent = {**batch[3], "sg_event_id": "resent-under-a-new-id"}
    posted = events.parse_body(json.dumps([*batch[1:], resent]).encode()).events
    result = apply(store, posted)
    new = [e for n, e in enumerate(batch) if n % 7]
    assert (result.received, result.added, result.duplicates, result.unlinked) == (4500, len(new), 4500 - len(new), 0)
    with store.connect() as connection:
        stored = connection.execute(select(event_table.c.sg_event_id).order_by(event_table.c.id)).scalars().all()
    assert stored == [e["sg_event_id"] for e in earlier] + [e["sg_event_id"] for e in new]


def test_events_link_messages_whose_keys_and_campaigns_hold_any_text(store: Engine) -> None:
    """Keys and campaign ids with quotes, backslashes and non-ASCII text find their messages (and only theirs);
    unknown keys and keys differing only in case find none."""
    odd_campaign = 'Communiqué "été" \\ ☃'
    add_campaign(store, odd_campaign)
    keys = ['k"quoted"', "k\\back", "clé-☃", "K-plain", "k-plain"]
    for n, key in enumerate(keys):
        add_message(store, odd_campaign, f"r{n}@example.org", key=key, sg_message_id=None if n % 2 else f"REQ{n}")
    batch = [sg_event("delivered", f"r{n}@example.org", key=key, campaign_id=None, at=T0 + n) for n, key in enumerate(keys)]
    batch += [sg_event("delivered", "r9@example.org", key=key, campaign_id=None, at=T0 + 9) for key in ("K-PLAIN", "missing", "clé")]
    result = apply(store, events.parse_body(json.dumps(batch).encode()).events)
    assert (result.added, result.unlinked) == (8, 3)
    assert messages(store, odd_campaign) == {f"r{n}@example.org": ("accepted", "delivered") for n in range(len(keys))}
    with store.connect() as connection:
        linked = connection.execute(
            select(event_table.c.email, event_table.c.campaign_id).where(event_table.c.message_id.is_not(None))
        ).all()
    assert sorted(linked) == [(f"r{n}@example.org", odd_campaign) for n in range(len(keys))]


def test_events_delivery_change_leaves_the_state_change_time(store: Engine) -> None:
    """A delivery event moves a message's delivery, not its updated_at: that stays the time of its
    last state change, which a resume reads to tell whom another send reached since (review 8b)."""
    seed(store)
    with store.connect() as connection:
        before = connection.scalar(select(message_table.c.updated_at).where(message_table.c.message_key == "m-ana"))
    when = datetime(2026, 2, 19, 12, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    batch = [sg_event("delivered", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 60)]
    events.apply(store, events.parse_body(json.dumps(batch).encode()).events, source="webhook", block_threshold=3, now=when)
    with store.connect() as connection:
        row = connection.execute(
            select(message_table.c.updated_at, message_table.c.delivery, message_table.c.created_at).where(
                message_table.c.message_key == "m-ana"
            )
        ).one()
    assert row.delivery == "delivered"
    assert row.updated_at == before
    assert row.created_at.tzinfo is not None


def test_events_apply_twice_changes_nothing(store: Engine) -> None:
    """The same batch applied again is counted as duplicates and stores nothing new."""
    seed(store)
    batch = events.read_file(DATA / "all-types.ndjson").events
    apply(store, batch)
    before = (event_count(store), messages(store, CAMPAIGN), suppressions(store))
    again = apply(store, batch)
    assert (again.added, again.duplicates) == (0, 12)
    assert (event_count(store), messages(store, CAMPAIGN), suppressions(store)) == before


def test_events_resent_with_new_event_id_is_a_duplicate(store: Engine) -> None:
    """SendGrid sometimes re-sends an event under a new sg_event_id: the content hash catches it."""
    seed(store)
    original = sg_event("open", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 60)
    resent = dict(original, sg_event_id="a-brand-new-id")
    first = apply(store, [events.from_object(original, where="x")])
    second = apply(store, [events.from_object(resent, where="x"), events.from_object(resent, where="x")])
    assert (first.added, second.added, second.duplicates) == (1, 0, 2)


def test_events_delivery_only_moves_forward(store: Engine) -> None:
    """A late `delivered` after a bounce, or `processed` after `delivered`, does not move it back."""
    seed(store)
    bounce = sg_event(
        "bounce", "ben@paper.example", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 30, type="bounce", reason="550 no such user"
    )
    late = [
        sg_event("delivered", "ben@paper.example", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 10),
        sg_event("processed", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 1),
    ]
    apply(store, [events.from_object(bounce, where="x")])
    apply(store, [events.from_object(sg_event("delivered", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 5), where="x")])
    apply(store, [events.from_object(e, where="x") for e in late])
    state = messages(store, CAMPAIGN)
    assert state["ben@paper.example"] == ("accepted", "bounced")
    assert state["ana@example.org"] == ("accepted", "delivered")


def test_events_delivery_moves_forward_within_one_batch(store: Engine) -> None:
    """Out of order inside one batch: the furthest state wins, whatever order SendGrid posts them in."""
    seed(store)
    batch = [
        sg_event("delivered", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 5),
        sg_event("processed", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 1),
        sg_event("bounce", "ben@paper.example", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 30, type="bounce", reason="550"),
        sg_event("deferred", "ben@paper.example", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 2),
    ]
    apply(store, [events.from_object(e, where="x") for e in batch])
    state = messages(store, CAMPAIGN)
    assert state["ana@example.org"] == ("accepted", "delivered")
    assert state["ben@paper.example"] == ("accepted", "bounced")


def test_events_engagement_before_delivered_counts_as_delivered(store: Engine) -> None:
    """A spam report or unsubscribe that arrives before `delivered` marks the message delivered."""
    add_campaign(store, CAMPAIGN)
    gus = add_message(store, CAMPAIGN, "gus@tv.example", delivery="processed")
    fay = add_message(store, CAMPAIGN, "fay@radio.example", delivery="deferred")
    early = [
        sg_event("spamreport", "gus@tv.example", key=gus, campaign_id=CAMPAIGN, at=T0 + 50),
        sg_event("group_unsubscribe", "fay@radio.example", key=fay, campaign_id=CAMPAIGN, at=T0 + 60, asm_group_id=7),
    ]
    apply(store, [events.from_object(e, where="x") for e in early])
    state = messages(store, CAMPAIGN)
    assert (state["gus@tv.example"], state["fay@radio.example"]) == (("accepted", "delivered"), ("accepted", "delivered"))


def test_events_unknown_message_settled_as_accepted(store: Engine) -> None:
    """A message whose send timed out becomes accepted when SendGrid reports processing it."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@example.org", state="unknown")
    apply(store, [events.from_object(sg_event("processed", "ana@example.org", key=key, campaign_id=CAMPAIGN, at=T0 + 2), where="x")])
    assert messages(store, CAMPAIGN)["ana@example.org"] == ("accepted", "processed")


def test_events_async_bounce_links_by_address_and_time(store: Engine) -> None:
    """A late bounce without custom_args links to the latest message sent to that address before it."""
    add_campaign(store, "older")
    add_campaign(store, CAMPAIGN)
    add_campaign(store, "later")
    add_message(store, "older", "ben@paper.example", created=T0 - 86400, sg_message_id="OLD")
    add_message(store, CAMPAIGN, "ben@paper.example", created=T0, sg_message_id="REQ1")
    add_message(store, "later", "ben@paper.example", created=T0 + 86400, sg_message_id="LATE")
    late_bounce = {
        "email": "Ben@Paper.example",
        "event": "bounce",
        "type": "bounce",
        "timestamp": T0 + 3600,
        "sg_event_id": "b-async",
        "reason": "550 gone",
    }
    result = apply(store, [events.from_object(late_bounce, where="x")])
    assert result.unlinked == 0
    assert messages(store, CAMPAIGN)["ben@paper.example"] == ("accepted", "bounced")
    assert messages(store, "older")["ben@paper.example"] == ("accepted", None)
    assert messages(store, "later")["ben@paper.example"] == ("accepted", None)


def test_events_request_id_picks_the_message_among_several(store: Engine) -> None:
    """An event with sg_message_id but no custom_args links to the message of that request."""
    add_campaign(store, "first")
    add_campaign(store, "second")
    add_message(store, "first", "ana@example.org", created=T0, sg_message_id="AAA")
    add_message(store, "second", "ana@example.org", created=T0 + 10, sg_message_id="BBB")
    delivered = {
        "email": "ana@example.org",
        "event": "delivered",
        "timestamp": T0 + 20,
        "sg_event_id": "d-x",
        "sg_message_id": "AAA.filter-1.0",
    }
    apply(store, [events.from_object(delivered, where="x")])
    assert messages(store, "first")["ana@example.org"] == ("accepted", "delivered")
    assert messages(store, "second")["ana@example.org"] == ("accepted", None)


def test_events_other_softwares_mail_is_not_linked(store: Engine) -> None:
    """An event for a request this log never made (mail sent by other software) links to nothing."""
    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "ana@example.org", created=T0, sg_message_id="OURS")
    foreign = {
        "email": "ana@example.org",
        "event": "delivered",
        "timestamp": T0 + 20,
        "sg_event_id": "d-f",
        "sg_message_id": "THEIRS.filter-1.0",
    }
    result = apply(store, [events.from_object(foreign, where="x")])
    assert result.unlinked == 1
    assert messages(store, CAMPAIGN)["ana@example.org"] == ("accepted", None)


def test_events_with_a_message_key_this_log_does_not_know_are_another_logs(store: Engine) -> None:
    """An event whose message key is unknown here is another log's mail (another client's folder),
    even with our campaign id and address: kept unlinked, counted as foreign, no open here
    (newcomer 14 #1); its bounce, unsubscribes and spam report still suppress, as an unsubscribe
    that reached this office's account must be honoured. Applied twice, it counts once."""
    seed(store)
    theirs = [
        sg_event("open", "ana@example.org", key="theirs-ana", campaign_id=CAMPAIGN, at=T0 + 10, sg_message_id=""),
        sg_event("unsubscribe", "ana@example.org", key="theirs-ana", campaign_id=CAMPAIGN, at=T0 + 20, sg_message_id=""),
        sg_event("spamreport", "cleo@example.net", key="theirs-cleo", campaign_id=CAMPAIGN, at=T0 + 20, sg_message_id=""),
        sg_event("group_unsubscribe", "dan@example.com", key="theirs-dan", campaign_id=CAMPAIGN, at=T0 + 20, asm_group_id=7),
        sg_event(
            "bounce", "ben@paper.example", key="theirs-ben", campaign_id=CAMPAIGN, at=T0 + 30, type="bounce", reason="550 no such user"
        ),
    ]
    parsed = [events.from_object(e, where="x") for e in theirs]
    result = apply(store, parsed)
    assert (result.added, result.unlinked, result.foreign, result.suppressed) == (5, 5, 5, 4)
    assert messages(store, CAMPAIGN)["ana@example.org"] == ("accepted", None)
    assert messages(store, CAMPAIGN)["ben@paper.example"] == ("accepted", None)
    assert suppressions(store) == {
        "ana@example.org": ("unsubscribe", "webhook"),
        "cleo@example.net": ("spamreport", "webhook"),
        "dan@example.com": ("unsubscribe", "webhook"),
        "ben@paper.example": ("bounce", "webhook"),
    }
    again = apply(store, parsed)
    assert (again.added, again.foreign, again.suppressed) == (0, 0, 0)
    # A late bounce that carries no key at all still finds our message by address and time.
    late = {"email": "eve@example.com", "event": "bounce", "type": "bounce", "timestamp": T0 + 3600, "sg_event_id": "b-late"}
    assert apply(store, [events.from_object(late, where="x")]).foreign == 0
    assert messages(store, CAMPAIGN)["eve@example.com"] == ("accepted", "bounced")


def test_events_late_bounce_older_than_a_week_after_the_send_is_not_linked(store: Engine) -> None:
    """A bounce without custom_args more than a week after the last send to the address is not pinned on it."""
    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "ben@paper.example", created=T0)
    stale = {"email": "ben@paper.example", "event": "bounce", "type": "bounce", "timestamp": T0 + 8 * 86400, "sg_event_id": "b-old"}
    assert apply(store, [events.from_object(stale, where="x")]).unlinked == 1
    assert messages(store, CAMPAIGN)["ben@paper.example"] == ("accepted", None)
    assert suppressions(store)["ben@paper.example"] == ("bounce", "webhook")


def test_events_unlinkable_event_is_kept_and_counted(store: Engine) -> None:
    """An event about an address never mailed is stored, counted as not linked, and harmless."""
    result = apply(store, [events.from_object(sg_event("open", "nobody@example.org", key=None, campaign_id=None, at=T0), where="x")])
    assert (result.added, result.unlinked) == (1, 1)


def apply_together(engine: Engine, parts: list[list[events.Event]]) -> list[events.Applied]:
    """Apply each part in a thread of its own, all starting at the same moment, as webhook workers would."""
    start = threading.Barrier(len(parts))

    def worker(part: list[events.Event]) -> events.Applied:
        start.wait(timeout=10)
        return apply(engine, part)

    with ThreadPoolExecutor(len(parts)) as pool:
        return list(pool.map(worker, parts))


def test_events_two_workers_storing_the_same_events_in_opposite_orders_both_succeed(store: Engine) -> None:
    """Two webhook workers given the same events at once, in opposite orders, both answer and store each once.

    On PostgreSQL two such transactions used to deadlock on the unique indexes (one failed after a
    second); now each takes the log's ingest lock first, as SQLite lets one writer in at a time.
    """
    add_campaign(store, CAMPAIGN)
    people = [f"p{i:03d}@example.org" for i in range(200)]
    keys = {address: add_message(store, CAMPAIGN, address, state="unknown") for address in people}
    for round_no, kind in enumerate(("delivered", "open", "bounce")):
        batch = [
            events.from_object(sg_event(kind, a, key=keys[a], campaign_id=CAMPAIGN, at=T0 + 100 * round_no + i), where="x")
            for i, a in enumerate(people)
            if kind != "bounce" or i % 10 == 0
        ]
        results = apply_together(store, [batch, batch[::-1]])
        assert sorted(r.added for r in results) == [0, len(batch)]
    assert event_count(store) == 200 + 200 + 20
    assert len(suppressions(store)) == 20
    # The 20 opened, then bounced: the log keeps their delivery "bounced" (the bounces report lists
    # them, and the bounce suppressed them), while the summary counts them delivered, as the open
    # shows the email got there (review 25r: "Opened" over "Delivered").
    assert set(messages(store, CAMPAIGN).values()) == {("accepted", "delivered"), ("accepted", "bounced")}
    summary = figures.summarize(store, CAMPAIGN)
    assert (summary.delivered, summary.bounced_all, summary.bounced_after_opening, summary.opened) == (200, 0, 20, 200)


def test_events_blocks_suppress_only_past_the_threshold(store: Engine) -> None:
    """Blocked bounces suppress an address once they reach [webhook] block_threshold."""
    seed(store)

    def block(n: int) -> events.Event:
        return events.from_object(
            sg_event("bounce", "cleo@example.net", key="m-cleo", campaign_id=CAMPAIGN, at=T0 + n, type="blocked", reason=f"421 busy {n}"),
            where="x",
        )

    apply(store, [block(1), block(2)], threshold=3)
    assert "cleo@example.net" not in suppressions(store)
    apply(store, [block(3)], threshold=3)
    assert suppressions(store)["cleo@example.net"] == ("block", "webhook")
    with store.begin() as connection:
        assert suppression_store.find(connection, "cleo@example.net").note == "blocked 3 times; last: 421 busy 3"


def test_events_group_resubscribe_out_of_order(store: Engine) -> None:
    """The later of group_unsubscribe / group_resubscribe wins, whatever order they arrive in."""
    seed(store)
    unsub = sg_event("group_unsubscribe", "gus@example.com", key="m-gus", campaign_id=CAMPAIGN, at=T0 + 100, asm_group_id=42)
    resub = sg_event("group_resubscribe", "gus@example.com", key="m-gus", campaign_id=CAMPAIGN, at=T0 + 200, asm_group_id=42)
    apply(store, [events.from_object(resub, where="x")])
    apply(store, [events.from_object(unsub, where="x")])
    assert "gus@example.com" not in suppressions(store)
    unsub_again = sg_event("group_unsubscribe", "gus@example.com", key="m-gus", campaign_id=CAMPAIGN, at=T0 + 300, asm_group_id=42)
    apply(store, [events.from_object(unsub_again, where="x")])
    assert suppressions(store)["gus@example.com"] == ("unsubscribe", "webhook")


def test_events_resent_bounce_does_not_undo_a_lifted_suppression(store: Engine) -> None:
    """After the office lifts a suppression, a duplicate of the old bounce does not put it back."""
    seed(store)
    bounce = events.from_object(
        sg_event("bounce", "ben@paper.example", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 5, type="bounce", reason="mailbox full"),
        where="x",
    )
    apply(store, [bounce])
    with store.begin() as connection:
        suppression_store.remove(connection, ["ben@paper.example"])
    apply(store, [bounce])
    assert "ben@paper.example" not in suppressions(store)


EVENT_KINDS = [
    "processed",
    "delivered",
    "deferred",
    "open",
    "click",
    "bounce",
    "dropped",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
    "mystery",
]
event_strategy = st.builds(
    lambda kind, who, at, blocked, machine: {
        "event": kind,
        "email": PEOPLE[who],
        "timestamp": T0 + at,
        "message": "m-" + PEOPLE[who].split("@")[0],
        "campaign": CAMPAIGN,
        **({"type": "blocked" if blocked else "bounce", "reason": "550"} if kind == "bounce" else {}),
        **({"reason": "Bounced Address"} if kind == "dropped" else {}),
        **({"sg_machine_open": machine} if kind == "open" else {}),
    },
    st.sampled_from(EVENT_KINDS),
    st.integers(0, len(PEOPLE) - 1),
    st.integers(0, 5),
    st.booleans(),
    st.booleans(),
)


def snapshot(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        stored = sorted(connection.execute(select(event_table.c.dedupe_key, event_table.c.message_id)).all())
    return stored, messages(engine, CAMPAIGN), suppressions(engine)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(event_strategy, max_size=12), order=st.randoms())
def test_events_hypothesis_applied_twice_equals_once(new_db_url: Callable[[], str], batch: list[dict[str, object]], order: object) -> None:
    """Any batch applied twice, the second time shuffled, leaves the log as applying it once."""
    engine = connect(new_db_url())
    try:
        seed(engine)
        parsed = [events.from_object(item, where="x") for item in batch]
        apply(engine, parsed)
        once = snapshot(engine)
        shuffled = list(parsed)
        order.shuffle(shuffled)  # type: ignore[attr-defined]
        again = apply(engine, shuffled)
        assert again.added == 0
        assert snapshot(engine) == once
    finally:
        engine.dispose()  # one log per example: its files closed now, not at a later collection (fdleak28)


def test_events_array_followed_by_much_white_space_quarantines_nothing(tmp_path: Path) -> None:
    """An array followed by more than a megabyte of blank lines: the event is read, nothing is
    quarantined (white space is no text after the array; hostile review 4)."""
    path = tmp_path / "events.json"
    event = {"email": "a@x.org", "timestamp": 1771500000, "event": "delivered", "sg_event_id": "e1", "sg_message_id": "m1.f"}
    path.write_text(json.dumps([event]) + "\n" * ((1 << 20) + 5), encoding="utf-8")
    batch = events.read_file(path)
    assert [e.sg_event_id for e in batch.events] == ["e1"]
    assert batch.quarantined == []
