"""Values the send tests build by hand: a rendered release, contact lists, configs, a fake sleep."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mailer import compose
from mailer.compose import release
from mailer.config import Config
from mailer.models import Contact, ContactList, Mode, RejectedRow, RejectReason, Rendered
from mailer.transport.sendgrid import SendGridTransport

ROOT = Path(__file__).parent.parent


@lru_cache(maxsize=1)
def example_rendered() -> Rendered:
    """releases/example.md rendered once: it uses {{ contact.outlet | default(...) }}."""
    return compose.render(release.load(ROOT / "releases" / "example.md"), config=Config())


def rendered(**changes: Any) -> Rendered:
    """A small hand-built release without contact fields."""
    values: dict[str, Any] = {
        "release_path": "releases/hand.md",
        "content_hash": "c0ffee",
        "subject": "Bees counted",
        "preheader": "",
        "html": "<p>Bees counted</p>",
        "text": "Bees counted",
        "fields": (),
    }
    values.update(changes)
    return Rendered(**values)


def contact(email: str, row: int = 2, **fields: str) -> Contact:
    return Contact(email=email, fields={"email": email, **fields}, source="press.csv", row=row)


def contact_list(count: int, *, domain: str = "example.org", rejected: tuple[RejectedRow, ...] = ()) -> ContactList:
    people = tuple(contact(f"j{i:05d}@{domain}", i + 2, first_name=f"Jo{i}", last_name="Doe", outlet=f"Outlet {i}") for i in range(count))
    return ContactList(people, rejected, ())


def rejected(email: str, reason: RejectReason, detail: str, row: int = 99) -> RejectedRow:
    return RejectedRow(source="press.csv", row=row, email=email, reason=reason, detail=detail, cells={"Email": email})


def config_for(url: str, **sendgrid: Any) -> Config:
    """Default config pointed at the stand-in, with [sendgrid] keys changed."""
    base = Config()
    return base.model_copy(update={"sendgrid": base.sendgrid.model_copy(update={"api_url": url, **sendgrid})})


def transport_for(standin: Any, config: Config, *, key: str | None = None, clock: Any = None) -> SendGridTransport:
    extra = {"clock": clock} if clock else {}
    return SendGridTransport(
        api_key=SecretStr(key or standin.api_key),
        sendgrid=config.sendgrid,
        sender=config.sender,
        unsubscribe_tag=compose.unsubscribe_tag(config),
        **extra,
    )


class FakeSleep:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def states(engine: Any, campaign_id: str) -> Mapping[str, str]:
    """address -> state of every non-skipped row."""
    from sqlalchemy import select

    from mailer.store.schema import message

    with engine.connect() as connection:
        rows = connection.execute(
            select(message.c.email, message.c.state).where(message.c.campaign_id == campaign_id, message.c.state != "skipped")
        )
        return {email.lower(): state for email, state in rows}


def create_campaign(connection: Any, campaign_id: str, now: datetime) -> None:
    """A live campaign row with nothing but its id and time to tell it apart."""
    from mailer.store import campaigns

    campaigns.create(
        connection,
        campaign_id=campaign_id,
        release_path="r.md",
        content_hash="h",
        subject="S",
        lists=[],
        filters={},
        mode=Mode.LIVE,
        created_at=now,
    )
