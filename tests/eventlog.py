"""Helpers for the events, webhook, report and forget tests: campaign and message rows written
straight into the delivery log (SQLAlchemy Core on mailer.store.schema), SendGrid-shaped events,
and bodies signed with sendgrid-go's published test key."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine, insert, select

from mailer.events import signature
from mailer.store.schema import campaign, event, message, suppression

DATA = Path(__file__).parent / "data" / "events"
VECTORS = json.loads((DATA / "webhook_vectors.json").read_text(encoding="utf-8"))
TEST_PRIVATE_KEY = serialization.load_der_private_key(base64.b64decode(VECTORS["test_signing_key"]["private_key"]), None)
TEST_PUBLIC_KEY = VECTORS["test_signing_key"]["public_key"]
assert isinstance(TEST_PRIVATE_KEY, ec.EllipticCurvePrivateKey)

T0 = 1_771_495_200  # 2026-02-19 10:00:00 UTC, when the fixture campaigns were sent
_ids = itertools.count(1)


def add_campaign(engine: Engine, campaign_id: str, *, mode: str = "live", subject: str = "Wetlands report", created: int = T0 - 60) -> str:
    with engine.begin() as connection:
        connection.execute(
            insert(campaign).values(
                id=campaign_id,
                release_path="releases/wetlands.md",
                content_hash="0" * 64,
                subject=subject,
                lists=["lists/press.csv"],
                filters={},
                mode=mode,
                status="done",
                created_at=datetime.fromtimestamp(created, UTC),
                sender={},
            )
        )
    return campaign_id


def add_message(
    engine: Engine,
    campaign_id: str,
    email: str,
    *,
    state: str = "accepted",
    first_name: str = "",
    last_name: str = "",
    outlet: str = "",
    skip_reason: str | None = None,
    delivery: str | None = None,
    sg_message_id: str | None = "REQ1",
    created: int = T0,
    key: str | None = None,
) -> str:
    """A message row; returns its opaque key (what custom_args["message"] carries)."""
    key = key or f"k{next(_ids):06d}"
    stamp = datetime.fromtimestamp(created, UTC)
    fields = {"email": email, "first_name": first_name, "last_name": last_name, "outlet": outlet}
    with engine.begin() as connection:
        connection.execute(
            insert(message).values(
                campaign_id=campaign_id,
                message_key=key,
                email=email,
                email_key=email.lower(),
                fields=fields,
                source="lists/press.csv:2",
                state=state,
                skip_reason=skip_reason,
                sg_message_id=sg_message_id,
                delivery=delivery,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return key


def sg_event(kind: str, email: str, *, key: str | None, campaign_id: str | None, at: int, **extra: Any) -> dict[str, Any]:
    """A SendGrid event as the webhook posts it, custom_args as top-level keys."""
    data: dict[str, Any] = {
        "email": email,
        "event": kind,
        "timestamp": at,
        "sg_event_id": f"ev-{next(_ids)}",
        "sg_message_id": "REQ1.filterdrecv-1-0",
        "category": ["press-release"],
    }
    if key is not None:
        data["message"] = key
    if campaign_id is not None:
        data["campaign"] = campaign_id
    data.update(extra)
    return data


def body(events: list[dict[str, Any]]) -> bytes:
    """A webhook body the way SendGrid frames it: events separated by ",\\r\\n", ending in "\\r\\n"."""
    return ("[" + ",\r\n".join(json.dumps(e, separators=(",", ":")) for e in events) + "]\r\n").encode("utf-8")


def signed_headers(payload: bytes, timestamp: str = "1771495200") -> dict[str, str]:
    return {
        signature.SIGNATURE_HEADER: signature.sign(TEST_PRIVATE_KEY, body=payload, timestamp=timestamp),
        signature.TIMESTAMP_HEADER: timestamp,
        "Content-Type": "application/json",
    }


def messages(engine: Engine, campaign_id: str) -> dict[str, tuple[str, str | None]]:
    """email -> (state, delivery) for a campaign's message rows."""
    with engine.connect() as connection:
        rows = connection.execute(select(message.c.email, message.c.state, message.c.delivery).where(message.c.campaign_id == campaign_id))
        return {row.email: (row.state, row.delivery) for row in rows}


def suppressions(engine: Engine) -> dict[str, tuple[str, str]]:
    """email -> (reason, source)."""
    with engine.connect() as connection:
        return {r.email_key: (r.reason, r.source) for r in connection.execute(select(suppression))}


def event_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(event.c.id)).all())


def post_scope(path: str, *, host: bytes, length: int, client: tuple[str, int], server: tuple[str, int]) -> dict[str, Any]:
    """The ASGI scope of a JSON POST to ``path`` as uvicorn hands it over (percent-escapes decoded,
    nothing tidied; the raw path kept as sent, even bytes that are not UTF-8)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", host), (b"content-type", b"application/json"), (b"content-length", str(length).encode())],
        "client": client,
        "server": server,
    }


def post_and_go_away(app: Any, path: str, *, host: bytes, first_bytes: bytes) -> None:
    """Run ``app`` (ASGI) on a POST to ``path`` whose sender sends ``first_bytes`` of a 1000-byte
    body and disconnects, as a slow client given up on or a scanner does."""
    import asyncio

    scope = post_scope(path, host=host, length=1000, client=("127.0.0.1", 50000), server=("127.0.0.1", 8080))
    messages = [{"type": "http.request", "body": first_bytes, "more_body": True}, {"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(_message: dict[str, Any]) -> None:
        return None

    asyncio.run(app(scope, receive, send))
