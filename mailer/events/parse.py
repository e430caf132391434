"""SendGrid event JSON in, ``Event`` records out: a webhook body (files: files.py).

The raw JSON is kept beside the parsed fields; ``dedupe_key`` hashes the event's content
without its ``sg_event_id``, for the duplicates SendGrid re-sends under a new id.

Events come from the internet, so nothing in one is trusted: an event the log cannot store as
it is (see ``from_object``) is set aside as ``Quarantined``, raw and with the reason, and the
rest of its batch is stored. A body that is not JSON events at all is quarantined whole.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import msgspec

from mailer.errors import EventError
from mailer.mailbox import key as mailbox_key
from mailer.models import Delivery

# Our one-click unsubscribes are stored as events with such ids (store/unsubscribes.py). SendGrid's ids
# are URL-safe base64 (SENDGRID.md §2.1); an event carrying one could take a journalist's link's id
# before they use it (review 11s #4), so it is quarantined.
from mailer.store.unsubscribes import ID_PREFIX as ONE_CLICK_PREFIX

# SendGrid's event ids are URL-safe base64: such a value needs no JSON escaping.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_=-]{1,200}")
# Built once: json.dumps with options builds a new encoder per call, a fifth of parsing time.
_canonical_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False).encode
# The same canonical text, five times faster, for JSON without floats (``decode``'s "plain" values):
# msgspec writes strings, integers, true/false/null and sorted keys byte for byte as json.dumps
# above does (tests/test_events.py holds it to that), but floats in its own notation (1e16, not 1e+16).
_plain_json = msgspec.json.Encoder(order="sorted").encode


class _FloatFound(Exception):
    """A float in the JSON: read it with the standard library instead (see ``decode``)."""


def _no_floats(_text: str) -> object:
    raise _FloatFound


_plain_decoder = msgspec.json.Decoder(float_hook=_no_floats)


def decode(data: bytes) -> tuple[object, bool]:
    """One JSON value from UTF-8 bytes, and whether it is "plain" (read by the fast decoder).

    Plain JSON holds no floats, no NaN or Infinity, no lone surrogates and no integer past
    Python's digit limit: it is read by msgspec (about twice as fast as ``json.loads``) and
    its events' canonical text can be written by the fast encoder. Anything else is read by
    ``json.loads`` exactly as before, and raises what ``json.loads`` raises (ValueError,
    UnicodeDecodeError, RecursionError).
    """
    try:
        return _plain_decoder.decode(data), True
    except (_FloatFound, msgspec.MsgspecError, ValueError, RecursionError):
        pass
    text = data.decode("utf-8")
    try:
        return json.loads(text), False
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer past Python's 4300-digit limit: read again, such numbers as Infinity
        try:
            return json.loads(text, parse_int=bounded_int), False
        except (ValueError, RecursionError) as exc:
            raise Unreadable(exc.__class__.__name__, str(exc)) from exc


class Unreadable(ValueError):
    """JSON with an integer past Python's digit limit that still cannot be read.

    ``str()`` is the name of the error met; ``detail`` its message.
    """

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(name)
        self.detail = detail


class Event(NamedTuple):
    """One SendGrid event, parsed; ``raw`` is its JSON with every field received (keys sorted, sg_event_id last).

    A NamedTuple, immutable like the frozen dataclasses elsewhere, because it builds five
    times faster: the webhook and the import make one per event, a million per file.
    """

    event: str
    timestamp: int
    email: str | None  # keyed as message.email_key is (mailbox.key: "Ben <BEN@xn--bcher-kva.example.>" is ben@bücher.example)
    sg_event_id: str | None
    sg_message_id: str | None
    campaign_id: str | None  # custom_args["campaign"]
    message_key: str | None  # custom_args["message"]
    reason: str | None
    bounce_type: str | None  # "bounce" (hard) or "blocked", on bounce events
    bounce_classification: str | None
    machine_open: bool | None  # Apple Mail Privacy Protection pre-fetch, on open events
    url: str | None
    raw: str
    dedupe_key: str

    @property
    def delivery(self) -> Delivery | None:
        """How far this event says the message got (opens, clicks, spam reports and
        unsubscribes happen in the inbox, so they imply delivery when "delivered" is late)."""
        if self.event == "bounce":
            return Delivery.BLOCKED if self.bounce_type == "blocked" else Delivery.BOUNCED
        return DELIVERY_OF.get(self.event)


# How far each event type (but bounce, which depends on its type) says the message got.
DELIVERY_OF: Mapping[str, Delivery] = {
    "processed": Delivery.PROCESSED,
    "deferred": Delivery.DEFERRED,
    "delivered": Delivery.DELIVERED,
    "open": Delivery.DELIVERED,
    "click": Delivery.DELIVERED,
    "spamreport": Delivery.DELIVERED,
    "unsubscribe": Delivery.DELIVERED,
    "group_unsubscribe": Delivery.DELIVERED,
    "group_resubscribe": Delivery.DELIVERED,
    "dropped": Delivery.DROPPED,
}


@dataclass(frozen=True, slots=True)
class Quarantined:
    """An event (or a whole body) that could not be read: kept aside, raw, with the reason.

    ``raw`` is safe text for any database: JSON with every non-ASCII character escaped, or a
    body's bytes decoded with undecodable bytes written as ``\\xNN`` (never NUL, never a lone surrogate).
    """

    where: str  # "event 3", "body", "events.json line 14"
    reason: str
    raw: str


@dataclass(frozen=True, slots=True)
class Batch:
    """What a webhook body or an events file held: the events read, and those kept aside."""

    events: list[Event]
    quarantined: list[Quarantined]


# Column widths in store/schema.py: longer values would be refused by PostgreSQL (and mean the
# event is not SendGrid's), so the event is quarantined rather than the batch failing.
_LIMITS = (("sg_event_id", 120), ("sg_message_id", 200), ("campaign", 120))
# Identity fields must be JSON strings: a number or an object there is not a SendGrid event.
_STRICT = ("event", "email", "sg_event_id", "sg_message_id")
_ABSENT = object()
LAST_TIMESTAMP = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last instant Python can show


def from_object(data: object, *, where: str, plain: bool = False) -> Event:
    """An Event from one decoded JSON object; ``where`` names it in errors ("line 4").

    ``plain``: the object came from ``decode`` as plain JSON (no floats), so its canonical
    text can be written by the fast encoder; the result is the same either way.

    Raises EventError, naming the field, for anything the log cannot store as it is: not an
    object, NaN or Infinity, text that is not Unicode (a lone surrogate such as \\ud800), nesting
    too deep, a known field of the wrong type or too long, a timestamp outside years 1970-9999.
    """
    if not isinstance(data, dict):
        raise EventError(
            f"{where}: expected an event (a JSON object), found {_json_kind(data)}.",
            hint='SendGrid events are objects such as {"event": "delivered", "email": ..., "timestamp": ...}.',
        )
    get = data.get
    kind_value, email_value, id_value, request_value = get("event"), get("email"), get("sg_event_id"), get("sg_message_id")
    # Checked together, cheaply: the webhook reads every event of every batch.
    if not (type(kind_value) in _TEXT_OR_NULL and type(email_value) in _TEXT_OR_NULL and type(id_value) in _TEXT_OR_NULL):
        _refuse_types(data, where)
    if type(request_value) not in _TEXT_OR_NULL:
        _refuse_types(data, where)
    if id_value and id_value.strip().startswith(ONE_CLICK_PREFIX):
        raise EventError(
            f'{where}: "sg_event_id" starts with "{ONE_CLICK_PREFIX}", which only the one-click unsubscribe links of mailer webhook use.',
            hint=_EVENT_HINT,
        )
    campaign_value = get("campaign")
    if len(id_value or "") > 120 or len(request_value or "") > 200 or (type(campaign_value) is str and len(campaign_value) > 120):
        _refuse_lengths(data, where)
    timestamp = _timestamp(get("timestamp"), where)
    # One serialisation serves both: the content without sg_event_id, keys sorted, is hashed
    # for the duplicate check; the raw JSON kept is that content with the id appended.
    original = data.pop("sg_event_id", _ABSENT)  # taken out for the hash, put back below
    try:
        if plain:
            encoded = _plain_json(data)
            canonical = encoded.decode("utf-8")
        else:
            canonical = _canonical_json(data)
            encoded = canonical.encode("utf-8")
        digest = hashlib.sha256(encoded).hexdigest()[:40]
    except ValueError as exc:  # NaN/Infinity (allow_nan=False); UnicodeEncodeError is a ValueError too
        raise EventError(f"{where}: {_unstorable(exc)}", hint=_EVENT_HINT) from exc
    except RecursionError as exc:
        raise EventError(f"{where}: nested too deeply to store.", hint=_EVENT_HINT) from exc
    finally:
        if original is not _ABSENT:
            data["sg_event_id"] = original
    if original is _ABSENT:
        raw = canonical
    else:
        if type(original) is str and _PLAIN_ID.fullmatch(original):
            identifier = f'"{original}"'
        else:
            identifier = json.dumps(original, ensure_ascii=False)
            try:
                identifier.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise EventError(f'{where}: "sg_event_id" {_unstorable(exc)}', hint=_EVENT_HINT) from exc
        raw = f'{canonical[:-1]},"sg_event_id":{identifier}}}' if len(data) > 1 else f'{{"sg_event_id":{identifier}}}'
    if "\\u0000" in raw:  # PostgreSQL text cannot hold NUL (raw holds all of canonical but its last brace)
        raise EventError(f"{where}: contains a NUL character (\\u0000), which the delivery log cannot store.", hint=_EVENT_HINT)
    # The identity fields are text or null (checked above); the others may be anything.
    kind = (kind_value.strip() if kind_value else "") or "unknown"
    email = mailbox_key(email_value) if email_value else None
    reason_value, url_value, key_value = get("reason"), get("url"), get("message")
    reason = (reason_value.strip() or None) if type(reason_value) is str else _text(reason_value)
    bounce_type: str | None = None
    classification: str | None = None
    if kind == "bounce":
        bounce_type = (_text(get("type")) or "bounce")[:20]
        classification = _text(get("bounce_classification"))
        classification = classification[:60] if classification else None
    return Event(
        kind[:30],
        timestamp,
        email or None,
        (id_value.strip() or None) if id_value else None,
        (request_value.strip() or None) if request_value else None,
        (campaign_value.strip() or None) if type(campaign_value) is str else _text(campaign_value),
        (key_value.strip() or None) if type(key_value) is str else _text(key_value),
        reason or (_text(get("response")) if kind == "deferred" else None),
        bounce_type,
        classification,
        _flag(get("sg_machine_open")) if kind == "open" else None,
        (url_value.strip() or None) if type(url_value) is str else _text(url_value),
        raw,
        # The time first keeps a batch's keys close together in the unique index, so an insert
        # touches few index pages; equal content still means an equal key.
        f"{timestamp:011d}-{digest}",
    )


_EVENT_HINT = "The event is kept in the quarantine (mailer events quarantine); the other events were stored."
_TEXT_OR_NULL = frozenset({str, type(None)})


def _refuse_types(data: dict[str, object], where: str) -> None:
    """The EventError naming the first identity field that is not text."""
    for name in _STRICT:
        value = data.get(name)
        if value is not None and type(value) is not str:
            raise EventError(f'{where}: "{name}" should be text, found {_json_kind(value)}.', hint=_EVENT_HINT)


def _refuse_lengths(data: dict[str, object], where: str) -> None:
    """The EventError naming the first field longer than its column."""
    for name, limit in _LIMITS:
        value = data.get(name)
        if type(value) is str and len(value) > limit:
            raise EventError(f'{where}: "{name}" is longer than {limit} characters.', hint=_EVENT_HINT)


def parse_body(body: bytes) -> Batch:
    """The events of one webhook POST: a JSON array of objects (a lone object is accepted).

    Never raises for the content: an event that cannot be read is quarantined with the
    reason, and a body that is not JSON events at all is quarantined whole (SendGrid would
    retry it for 24 hours and it would never parse).
    """
    try:
        data, plain = decode(body)
    except Unreadable as exc:
        return _whole(body, f"The request body cannot be read as JSON ({exc}).")
    except UnicodeDecodeError:
        return _whole(body, "The request body is not UTF-8 text.")
    except json.JSONDecodeError as exc:
        return _whole(body, f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).")
    except RecursionError:
        return _whole(body, "The request body is nested too deeply to read.")
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        return _whole(body, f"The request body is {_json_kind(data)}, not a list of events.")
    batch, refused = _collect(items, lambda number: f"event {number}", 1, plain=plain, most_refused=MOST_REFUSED)
    if refused <= MOST_REFUSED:
        return batch
    first = batch.quarantined[0]
    return _whole(
        body,
        f"More than {MOST_REFUSED:,} of the body's {len(items):,} values are not events ({first.where}: {first.reason}): "
        "the body is kept whole, none of its events stored (SendGrid sends no such body; if it is one of yours, fix it "
        "and load it with mailer events import).",
    )


# Values of one webhook body that are not events past which they are quarantined as the body, once (edges 28: a
# 10 MB body of five million numbers, posted to a webhook without a verification key, was quarantined value by
# value, five million rows written for ten minutes). SendGrid's own batches (768 KB) hold a few thousand events.
MOST_REFUSED = 1_000


def collect(items: list[object], where: Callable[[int], str], first: int = 1, *, plain: bool = False) -> Batch:
    """Events from decoded JSON values; the ones that cannot be read go to the quarantine.

    ``plain``: the values came from ``decode`` as plain JSON (see ``from_object``).
    """
    return _collect(items, where, first, plain=plain)[0]


def _collect(
    items: list[object], where: Callable[[int], str], first: int, *, plain: bool, most_refused: int | None = None
) -> tuple[Batch, int]:
    """``collect``, and how many values could not be read: past ``most_refused`` of them, it stops there."""
    events: list[Event] = []
    quarantined: list[Quarantined] = []
    append = events.append
    refused = 0
    for number, item in enumerate(items, first):
        try:
            append(from_object(item, where="", plain=plain))  # named only when refused (rare): see below
        except EventError:
            refused += 1
            if most_refused is not None and refused > most_refused:
                break
            place = where(number)
            try:
                from_object(item, where=place, plain=plain)
            except EventError as exc:
                quarantined.append(Quarantined(place, exc.message.removeprefix(f"{place}: "), safe_json(item)))
    return Batch(events, quarantined), refused


def safe_json(value: object) -> str:
    """``value`` as ASCII JSON (NaN kept as NaN): storable whatever text it holds."""
    try:
        return json.dumps(value, ensure_ascii=True, sort_keys=False)
    except (ValueError, RecursionError, TypeError):
        return repr(value)[:100_000].encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")


def safe_text(data: bytes) -> str:
    """Bytes as text any database stores: bad UTF-8 bytes as \\xNN, NUL as \\x00, surrogates escaped."""
    text = data.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _whole(body: bytes, reason: str) -> Batch:
    return Batch([], [Quarantined("body", reason, safe_text(body))])


def bounded_int(digits: str) -> int | float:
    """Integers Python can turn into text; longer ones become Infinity, refused per event."""
    return int(digits) if len(digits) <= 4000 else float("inf")


def _unstorable(exc: ValueError) -> str:
    if isinstance(exc, UnicodeEncodeError):
        return "contains a lone surrogate (such as \\ud800), which is not text and cannot be stored."
    return "contains NaN, Infinity or a number too large for JSON (such as 1e400)."


def _text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:  # the common case, kept fast: the webhook parses every field of every event
        return value.strip() or None
    if isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def _timestamp(value: object, where: str) -> int:
    """Unix seconds; SendGrid sends an integer, some tools a string or a float. Missing: 0."""
    if value is None:
        return 0
    kind = type(value)
    if kind is int:
        number = value
    elif kind is float or kind is str:
        try:
            number = int(float(value))  # type: ignore[arg-type]
        except (ValueError, OverflowError):  # "soon", NaN, 1e400
            number = -1
    else:
        number = -1
    if not 0 <= number <= LAST_TIMESTAMP:  # type: ignore[operator]
        if LAST_TIMESTAMP < number <= LAST_TIMESTAMP * 1000:  # type: ignore[operator]
            # as JavaScript and many exports write a time: said, so the file can be made again (newcomer 24, left)
            moment = datetime.fromtimestamp(number // 1000, UTC)  # type: ignore[operator]
            raise EventError(
                f'{where}: "timestamp" should be Unix seconds, found {_show(value)}, which is milliseconds '
                f"({moment:%Y-%m-%d %H:%M} UTC): SendGrid sends seconds; the tool that wrote this file did not.",
                hint=_EVENT_HINT + " Write the file again with each timestamp in seconds (divided by 1000), then import it.",
            )
        raise EventError(f'{where}: "timestamp" should be Unix seconds between 1970 and 9999, found {_show(value)}.', hint=_EVENT_HINT)
    return number  # type: ignore[return-value]


def _show(value: object) -> str:
    """A short, printable picture of a JSON value for a message."""
    text = safe_json(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _flag(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _json_kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
