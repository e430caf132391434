"""SendGrid event JSON in, ``Event`` records out: a webhook body, a JSON file or NDJSON.

The raw JSON is kept beside the parsed fields; ``dedupe_key`` hashes the event's content
without its ``sg_event_id``, for the duplicates SendGrid re-sends under a new id.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import EventError
from mailer.models import Delivery

# SendGrid's event ids are URL-safe base64: such a value needs no JSON escaping.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_=-]{1,200}")
# Built once: json.dumps with options builds a new encoder per call, a fifth of parsing time.
_canonical_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@dataclass(frozen=True, slots=True)
class Event:
    """One SendGrid event, parsed; ``raw`` is its JSON with every field received (keys sorted, sg_event_id last)."""

    event: str
    timestamp: int
    email: str | None  # lower-cased, as compared with message.email_key
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
        return _DELIVERY_OF.get(self.event)


_DELIVERY_OF: Mapping[str, Delivery] = {
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


def from_object(data: object, *, where: str) -> Event:
    """An Event from one decoded JSON object; ``where`` names it in errors ("line 4")."""
    if not isinstance(data, dict):
        raise EventError(
            f"{where}: expected an event (a JSON object), found {_json_kind(data)}.",
            hint='SendGrid events are objects such as {"event": "delivered", "email": ..., "timestamp": ...}.',
        )
    get = data.get
    kind = _text(get("event")) or "unknown"
    timestamp = _timestamp(get("timestamp"))
    email = _text(get("email"))
    # One serialisation serves both: the content without sg_event_id, keys sorted, is hashed
    # for the duplicate check; the raw JSON kept is that content with the id appended.
    event_id = _text(get("sg_event_id"))
    if "sg_event_id" in data:
        original = data.pop("sg_event_id")  # taken out for the hash, put back below
        canonical = _canonical_json(data)
        data["sg_event_id"] = original
        identifier = (
            f'"{original}"' if isinstance(original, str) and _PLAIN_ID.fullmatch(original) else json.dumps(original, ensure_ascii=False)
        )
        raw = f'{canonical[:-1]},"sg_event_id":{identifier}}}' if len(data) > 1 else f'{{"sg_event_id":{identifier}}}'
    else:
        canonical = raw = _canonical_json(data)
    is_bounce = kind == "bounce"
    return Event(
        event=kind[:30],
        timestamp=timestamp,
        email=email.lower() if email else None,
        sg_event_id=event_id,
        sg_message_id=_text(get("sg_message_id")),
        campaign_id=_text(get("campaign")),
        message_key=_text(get("message")),
        reason=_text(get("reason")) or (_text(get("response")) if kind == "deferred" else None),
        bounce_type=(_text(get("type")) or "bounce") if is_bounce else None,
        bounce_classification=_text(get("bounce_classification")) if is_bounce else None,
        machine_open=_flag(get("sg_machine_open")) if kind == "open" else None,
        url=_text(get("url")),
        raw=raw,
        # The time first keeps a batch's keys close together in the unique index, so an insert
        # touches few index pages; equal content still means an equal key.
        dedupe_key=f"{timestamp:011d}-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40],
    )


def parse_body(body: bytes) -> list[Event]:
    """The events of one webhook POST: a JSON array of objects (a lone object is accepted)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EventError("The request body is not UTF-8 text.", hint="SendGrid posts JSON in UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise EventError(
            f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
            hint="SendGrid posts a JSON array of events.",
        ) from exc
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise EventError(
            f"The request body is {_json_kind(data)}, not a list of events.",
            hint="SendGrid posts a JSON array of events.",
        )
    return [from_object(item, where=f"event {number}") for number, item in enumerate(items, 1)]


def read_file(path: Path) -> list[Event]:
    """The events in a file: a JSON array (or object), or one JSON object per line (NDJSON)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise EventError(f"{path}: no such file.", hint="Check the file name.") from exc
    except UnicodeDecodeError as exc:
        raise EventError(f"{path}: not a text file in UTF-8.", hint=_FILE_HINT) from exc
    except OSError as exc:
        raise EventError(f"{path}: cannot be read ({exc.strerror}).", hint="Check the file's permissions.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as whole:
        if text.lstrip().startswith("["):
            raise EventError(f"{path} line {whole.lineno}: not valid JSON ({whole.msg}, column {whole.colno}).", hint=_FILE_HINT) from whole
        return _read_lines(path, text)
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise EventError(f"{path}: holds {_json_kind(data)}, not events.", hint=_FILE_HINT)
    return [from_object(item, where=f"{path} event {number}") for number, item in enumerate(items, 1)]


_FILE_HINT = "An events file holds a JSON array of SendGrid events, or one JSON event object per line (NDJSON)."


def _read_lines(path: Path, text: str) -> list[Event]:
    """NDJSON: one object per line; blank lines are skipped; a bad line is named by number."""
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EventError(f"{path} line {number}: not valid JSON ({exc.msg}, column {exc.colno}).", hint=_FILE_HINT) from exc
        events.append(from_object(data, where=f"{path} line {number}"))
    return events


def _text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:  # the common case, kept fast: the webhook parses every field of every event
        return value.strip() or None
    if isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def _timestamp(value: object) -> int:
    """Unix seconds; SendGrid sends an integer, some tools a string or a float."""
    try:
        return int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _flag(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _json_kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
