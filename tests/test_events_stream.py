"""Events files read as a stream (issue 12): the same events, quarantine and log whatever the
size of the pieces read, the chunks stored or the JSON reader used; one transaction per file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from eventlog import DATA, T0, add_campaign, add_message, messages, sg_event, suppressions
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from mailer import events
from mailer.errors import EventError
from mailer.events import files, imports
from mailer.events.parse import decode
from mailer.store import connect
from mailer.store.schema import event as event_table

HOSTILE = Path(__file__).parent / "data" / "hostile" / "events"
CAMPAIGN = "2026-02-19-wetlands"
READABLE = sorted(
    [DATA / name for name in ("all-types.json", "all-types.ndjson", "broken-array.json", "broken-line-4.ndjson", "not-events.json")]
    + [p for p in HOSTILE.iterdir() if p.name not in ("README.md", "binary.json", "utf16.json")]
)


def outcome(path: Path) -> tuple[list[events.Event], list[events.Quarantined]] | str:
    try:
        batch = events.read_file(path)
    except EventError as exc:
        return exc.message
    return batch.events, batch.quarantined


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_events_stream_pieces_of_any_size_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file read 1, 7 or 64 bytes at a time gives the same events and quarantine (lines, reasons, raw text)."""
    whole = outcome(path)
    for size in (1, 7, 64):
        monkeypatch.setattr(files, "_READ", size)
        assert outcome(path) == whole, size


def test_events_stream_batches_keep_the_file_order(tmp_path: Path) -> None:
    """stream() hands out at most `size` events at a time, in the order of the file, bad lines named by number."""
    lines = [json.dumps(sg_event("open", f"p{i}@example.org", key=None, campaign_id=None, at=T0 + i)) for i in range(10)]
    lines[4] = '{"event": "open",'
    path = tmp_path / "e.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batches = list(files.stream(path, size=3))
    assert [len(b.events) for b in batches] == [3, 3, 3, 0]
    assert [e.email for b in batches for e in b.events] == [f"p{i}@example.org" for i in range(10) if i != 4]
    assert [q.where for b in batches for q in b.quarantined] == [f"{path} line 5"]


def test_events_stream_pretty_printed_event_is_one_event(tmp_path: Path) -> None:
    """A file holding one event written over several lines (as editors save it) is that event, on line 1."""
    path = tmp_path / "one.json"
    path.write_text(json.dumps(sg_event("open", "ana@example.org", key=None, campaign_id=None, at=T0), indent=2), encoding="utf-8")
    batch = events.read_file(path)
    assert [e.email for e in batch.events] == ["ana@example.org"]
    assert batch.quarantined == []


def test_events_stream_lines_ending_in_carriage_returns_are_lines(tmp_path: Path) -> None:
    """Old Mac line ends (a lone \\r) separate events too, and count as lines."""
    lines = [json.dumps(sg_event("open", f"p{i}@example.org", key=None, campaign_id=None, at=T0 + i)) for i in range(3)]
    path = tmp_path / "mac.ndjson"
    path.write_bytes("\r".join([lines[0], lines[1], "{broken", lines[2]]).encode())
    batch = events.read_file(path)
    assert [e.email for e in batch.events] == ["p0@example.org", "p1@example.org", "p2@example.org"]
    assert [q.where for q in batch.quarantined] == [f"{path} line 3"]


json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    extra=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    email=st.text(max_size=10),
    event_id=st.none() | st.text(max_size=10),
)
def test_events_fast_json_path_gives_the_same_event(extra: dict[str, object], email: str, event_id: str | None) -> None:
    """An event read by the fast reader (msgspec) is the same Event, raw text and dedupe key included, as by json.loads."""
    data = {**extra, "event": "open", "email": email, "timestamp": T0}
    if event_id is not None:
        data["sg_event_id"] = event_id
    text = json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        slow_value = json.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        return  # lone surrogates: not UTF-8, read by neither
    value, plain = decode(text)
    try:
        slow = events.from_object(slow_value, where="x")
    except EventError as exc:
        with pytest.raises(EventError) as fast_error:
            events.from_object(value, where="x", plain=plain)
        assert fast_error.value.message == exc.message
        return
    assert events.from_object(value, where="x", plain=plain) == slow


def test_events_floats_are_read_by_the_standard_library() -> None:
    """JSON with a float is not "plain": its canonical text keeps Python's notation (1e+16), as stored before."""
    value, plain = decode(b'{"event": "open", "timestamp": 1771495200, "score": 1e16}')
    assert plain is False
    assert '"score":1e+16' in events.from_object(value, where="x").raw


def seed(engine: Engine) -> None:
    add_campaign(engine, CAMPAIGN)
    for name in ("ana", "ben", "cleo", "dan"):
        add_message(engine, CAMPAIGN, f"{name}@example.org", key=f"m-{name}", state="unknown" if name == "dan" else "accepted")


def state(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        stored = sorted(connection.execute(select(event_table.c.dedupe_key, event_table.c.message_id)).all())
    return stored, messages(engine, CAMPAIGN), suppressions(engine)


def test_events_import_chunk_size_changes_nothing(new_db_url: Callable[[], str], tmp_path: Path) -> None:
    """A file stored 2 events at a time leaves the log, and the totals, exactly as stored in one go:
    deliveries forward only across chunks, a bounce repeated further down counted once, unknowns settled."""
    items = [
        sg_event("processed", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 1),
        sg_event("bounce", "ben@example.org", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 2, type="bounce", reason="550"),
        sg_event("delivered", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 3),
        sg_event("delivered", "ben@example.org", key="m-ben", campaign_id=CAMPAIGN, at=T0 + 4),
        sg_event("open", "cleo@example.org", key="m-cleo", campaign_id=CAMPAIGN, at=T0 + 5),
        sg_event("processed", "dan@example.org", key="m-dan", campaign_id=CAMPAIGN, at=T0 + 6),
        sg_event("processed", "ana@example.org", key="m-ana", campaign_id=CAMPAIGN, at=T0 + 7),
        sg_event("bounce", "gone@example.org", key=None, campaign_id=None, at=T0 + 8, type="bounce", reason="550"),
    ]
    items.append(dict(items[1], sg_event_id="resent-1"))  # SendGrid re-sends the bounce under a new id
    items.append(dict(items[7], sg_event_id="resent-2"))
    path = tmp_path / "e.ndjson"
    path.write_text("\n".join(json.dumps(item) for item in items) + "\n", encoding="utf-8")
    results = []
    for chunk in (2, 5000):
        engine = connect(new_db_url())
        try:
            seed(engine)
            imported = imports.import_files(engine, [path], block_threshold=3, chunk=chunk)
            results.append((imported.totals, state(engine)))
        finally:
            engine.dispose()
    assert results[0] == results[1]
    totals, (_, delivered, suppressed) = results[0]
    assert (totals.received, totals.added, totals.duplicates, totals.unlinked, totals.suppressed) == (10, 8, 2, 1, 2)
    assert delivered == {
        "ana@example.org": ("accepted", "delivered"),
        "ben@example.org": ("accepted", "bounced"),
        "cleo@example.org": ("accepted", "delivered"),
        "dan@example.org": ("accepted", "processed"),
    }
    assert set(suppressed) == {"ben@example.org", "gone@example.org"}
