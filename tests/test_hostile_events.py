"""Hostile and odd events (issue 11): nothing but the project's own errors escapes the parser, the
webhook never answers 500 (or 400) to a correctly signed body, and the good events of a mixed
batch are stored exactly once while the bad ones are quarantined, named, with the reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import without_log_line
from eventlog import T0, TEST_PUBLIC_KEY, event_count, sg_event, signed_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from mailer import events
from mailer.cli import main
from mailer.config import Config, WebhookConfig
from mailer.errors import EventError
from mailer.events import webhook
from mailer.store import connect, quarantine
from mailer.store.schema import event
from mailer.store.upgrade import SCHEMA_VERSION, schema_version

HOSTILE = Path(__file__).parent / "data" / "hostile" / "events"
PATH = "/sendgrid/events"

# file -> (exit code, good events stored, "line N: reason" of the first quarantined event, or the error's start)
EXPECTED: dict[str, tuple[int, int, str]] = {
    "binary.json": (1, 0, "not a text file in UTF-8 (byte 129 is not UTF-8), and no line holds an event."),
    "utf16.json": (1, 0, "saved as UTF-16, not UTF-8."),
    "cut-short.json": (0, 2, "line 4: not valid JSON (Expecting value, column 41). The rest of the file is kept whole."),
    "missing-comma.json": (0, 2, "line 4: not valid JSON (expected , or ] after an event). The rest of the file is kept whole."),
    "text-after-array.json": (0, 1, "line 4: text after the end of the JSON array. The rest of the file is kept whole."),
    "top-level-number.json": (0, 0, "line 1: holds a number, not events."),
    "events-not-objects.json": (0, 1, "line 2: expected an event (a JSON object), found a number."),
    "event-is-a-list-of-lists.ndjson": (0, 2, "line 2: expected an event (a JSON object), found a list."),
    "deep-nesting.ndjson": (0, 2, "line 2: nested too deeply to read."),
    "lone-surrogate.ndjson": (0, 2, "line 2: contains a lone surrogate (such as \\ud800), which is not text and cannot be stored."),
    "nul-character.ndjson": (0, 2, "line 2: contains a NUL character (\\u0000), which the delivery log cannot store."),
    "latin1-line.ndjson": (0, 2, "line 2: not UTF-8 text (byte 14)."),
    "timestamp-1e400.ndjson": (0, 2, 'line 2: "timestamp" should be Unix seconds between 1970 and 9999, found Infinity.'),
    "timestamp-30-digits.json": (
        0,
        2,
        'line 3: "timestamp" should be Unix seconds between 1970 and 9999, found 123456789012345678901234567890.',
    ),
    "timestamp-4000-digits.ndjson": (0, 2, 'line 2: "timestamp" should be Unix seconds between 1970 and 9999, found 7777777'),
    "integer-5000-digits.ndjson": (0, 2, "line 2: contains NaN, Infinity or a number too large for JSON (such as 1e400)."),
    "nan-timestamp.ndjson": (0, 2, 'line 2: "timestamp" should be Unix seconds between 1970 and 9999, found NaN.'),
    "infinity-field.json": (0, 2, "line 3: contains NaN, Infinity or a number too large for JSON (such as 1e400)."),
    "timestamp-is-true.ndjson": (0, 2, 'line 2: "timestamp" should be Unix seconds between 1970 and 9999, found true.'),
    "timestamp-negative.ndjson": (0, 2, 'line 2: "timestamp" should be Unix seconds between 1970 and 9999, found -5.'),
    "timestamp-is-a-word.ndjson": (0, 2, 'line 2: "timestamp" should be Unix seconds between 1970 and 9999, found "yesterday".'),
    "email-is-a-number.ndjson": (0, 2, 'line 2: "email" should be text, found a number.'),
    "event-id-is-an-object.json": (0, 2, 'line 3: "sg_event_id" should be text, found an object.'),
    "event-id-too-long.ndjson": (0, 2, 'line 2: "sg_event_id" is longer than 120 characters.'),
    "event-type-is-a-list.ndjson": (0, 2, 'line 2: "event" should be text, found a list.'),
    "message-id-is-true.ndjson": (0, 2, 'line 2: "sg_message_id" should be text, found true/false.'),
}


def run(store: Engine, *args: str) -> tuple[int, str]:
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, without_log_line(result.output)


def test_hostile_events_corpus_is_complete() -> None:
    """Every file in the corpus has an expected outcome, and there are at least 20 of them."""
    files = sorted(p.name for p in HOSTILE.iterdir() if p.name != "README.md")
    assert files == sorted(EXPECTED)
    assert len(files) >= 20
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in readme for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_events_file_through_the_command_line(store: Engine, name: str) -> None:
    """Each file gives the right exit code and names the file (and line) and what to do; good events are stored once."""
    path = HOSTILE / name
    code, stored, expected = EXPECTED[name]
    exit_code, out = run(store, "events", "import", str(path))
    assert exit_code == code, out
    assert "Traceback" not in out
    if code == 1:
        assert out.startswith(f"Error: {path}: {expected}")
        assert "UTF-8" in out.splitlines()[-1]  # the hint: what to do
        assert event_count(store) == 0
        return
    assert f"  {path} {expected}" in out
    assert "Fix those lines in the file and import it again" in out
    assert event_count(store) == stored
    with store.connect() as connection:
        entries = quarantine.latest(connection)
    assert entries and all(e.source == "import" and e.origin.startswith(str(path)) for e in entries)
    # Importing again adds nothing: not the good events, not the quarantined ones.
    again_code, _ = run(store, "events", "import", str(path))
    assert again_code == 0
    assert event_count(store) == stored
    with store.connect() as connection:
        assert quarantine.count(connection) == len(entries)


def test_hostile_events_quarantine_command_lists_entries(store: Engine) -> None:
    """`mailer events quarantine` shows where each entry came from and why, the raw text on request."""
    code, out = run(store, "events", "quarantine")
    assert (code, out) == (0, "The quarantine is empty: every event received could be read.\n")
    run(store, "events", "import", str(HOSTILE / "email-is-a-number.ndjson"))
    code, out = run(store, "events", "quarantine", "--raw")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "1 entry in the quarantine; the newest 1:"
    assert lines[1].endswith(f'import  {HOSTILE / "email-is-a-number.ndjson"} line 2: "email" should be text, found a number.')
    assert lines[2] == '    {"email": 12345, "event": "open", "timestamp": 1771495202}'


def test_hostile_events_folder_is_refused_before_storing(store: Engine, tmp_path: Path) -> None:
    """A folder named as an events file is an error naming it; nothing is stored."""
    code, out = run(store, "events", "import", str(tmp_path))
    assert code == 1
    assert out.startswith(f"Error: {tmp_path}: is a folder, not an events file.")


# -- fuzzing ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
known_field = st.sampled_from(["event", "email", "timestamp", "sg_event_id", "sg_message_id", "campaign", "message", "reason", "type"])
event_like = st.dictionaries(known_field | st.text(max_size=6), json_values, max_size=6)


def encode(value: object) -> bytes:
    """JSON text as a hostile sender might write it: NaN allowed, lone surrogates as \\ud800 escapes."""
    return json.dumps(value, allow_nan=True).encode("ascii")


@settings(max_examples=400, deadline=None)
@given(items=st.lists(event_like | json_values, max_size=6))
def test_hostile_events_parse_body_fuzz_json(items: list[object]) -> None:
    """Any JSON array is read without an exception: each item is an event or quarantined, in order."""
    batch = events.parse_body(encode(items))
    assert len(batch.events) + len(batch.quarantined) == len(items)
    for item in batch.quarantined:
        item.raw.encode("utf-8")  # storable text
        assert "\x00" not in item.raw
    for parsed in batch.events:
        parsed.raw.encode("utf-8")
        assert 0 <= parsed.timestamp <= events.parse.LAST_TIMESTAMP


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=200) | st.builds(lambda v: encode(v)[: len(encode(v)) // 2], json_values))
def test_hostile_events_parse_body_fuzz_bytes(data: bytes) -> None:
    """Random bytes (and JSON cut in half) never raise: at worst the whole body is quarantined."""
    batch = events.parse_body(data)
    for item in batch.quarantined:
        item.raw.encode("utf-8")
        assert "\x00" not in item.raw


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.builds(lambda v: b"\n".join(encode(x) for x in v), st.lists(event_like, max_size=4)))
def test_hostile_events_read_file_fuzz(tmp_path: Path, data: bytes) -> None:
    """A file of random bytes or NDJSON-ish lines gives events and quarantined lines, or an EventError naming it."""
    path = tmp_path / "fuzz.ndjson"
    path.write_bytes(data)
    try:
        batch = events.read_file(path)
    except EventError as exc:
        assert exc.message.startswith(f"{path}: ")
        return
    assert all(item.where.startswith(f"{path} line ") for item in batch.quarantined)


def signed_client(engine: Engine) -> TestClient:
    config = Config(webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY))
    return TestClient(webhook.create_app(config=config, engine=engine))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.lists(event_like | json_values, min_size=1, max_size=4), good_count=st.integers(0, 3))
def test_hostile_events_webhook_fuzz_never_500(new_db_url: Callable[[], str], bad: list[object], good_count: int) -> None:
    """A signed batch mixing good events and random values is answered 200; the good ones are stored once."""
    engine = connect(new_db_url())
    good: list[Any] = [sg_event("delivered", f"g{i}@example.org", key=None, campaign_id=None, at=T0 + i) for i in range(good_count)]
    payload = encode([*good, *bad])
    app = signed_client(engine)
    for _ in range(2):  # SendGrid's duplicate: stored once
        response = app.post(PATH, content=payload, headers=signed_headers(payload))
        assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["received"] == good_count + len(bad)
    with engine.connect() as connection:
        ids = set(connection.scalars(select(event.c.sg_event_id)))
    assert {g["sg_event_id"] for g in good} <= ids
    engine.dispose()


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"event":"open","email":"\\ud800","timestamp":1}]',
        b'[{"timestamp":1e400}]',
        b'[{"timestamp":123456789012345678901234567890}]',
        b'[{"timestamp":' + b"9" * 4000 + b"}]",
        b'[{"x":' + b"9" * 5000 + b"}]",
        b'[{"t":NaN},{"t":-Infinity}]',
        b'[{"email":5}]',
        b'[{"sg_event_id":{}}]',
        b'"not a list"',
        b"[1]",
        b"\xff\xfe\x00",
        b"",
        b'[{"reason":"a\\u0000b"}]',
    ],
)
def test_hostile_events_webhook_named_cases_are_200_with_good_events_stored(store: Engine, payload: bytes) -> None:
    """Each body the issue saw answered 500 is answered 200 now, with the good event beside it stored once."""
    good = sg_event("delivered", "ana@example.org", key=None, campaign_id=None, at=T0)
    app = signed_client(store)
    response = app.post(PATH, content=payload, headers=signed_headers(payload))
    assert response.status_code == 200, response.text
    assert response.json()["quarantined"] >= 1
    if payload.startswith(b"[{"):
        mixed = b"[" + json.dumps(good).encode() + b"," + payload[1:]
        response = app.post(PATH, content=mixed, headers=signed_headers(mixed))
        assert response.status_code == 200
        assert response.json()["added"] == 1
        assert event_count(store) == 1


def test_hostile_events_quarantine_table_added_to_a_version_4_log(db_url: str) -> None:
    """A log at schema version 4 gets the quarantine table on opening (step 5), and it works."""
    engine = connect(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE quarantine")
        connection.exec_driver_sql("UPDATE schema_info SET version = 4")
    engine.dispose()
    upgraded = connect(db_url)
    with upgraded.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
    batch = events.parse_body(b'[{"email": 5}]')
    events.apply(upgraded, batch.events, source="webhook", block_threshold=3, quarantined=batch.quarantined)
    events.apply(upgraded, batch.events, source="webhook", block_threshold=3, quarantined=batch.quarantined)
    with upgraded.connect() as connection:
        assert [(e.origin, e.reason) for e in quarantine.latest(connection)] == [("event 1", '"email" should be text, found a number.')]
    upgraded.dispose()
