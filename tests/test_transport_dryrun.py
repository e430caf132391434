"""The dry-run transport writes exactly what SendGrid would receive, and what each journalist would see."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

from send_fixtures import contact, example_rendered

from mailer import compose
from mailer.config import Config
from mailer.models import ContactList
from mailer.send.plan import build
from mailer.transport.base import Request
from mailer.transport.dryrun import DryRunTransport
from mailer.transport.mailsend import build_body, common_body


def test_dryrun_writes_request_body_and_one_eml_per_recipient(tmp_path: Path) -> None:
    """request-0001.json is the exact body; each .eml is that journalist's personalized email."""
    config = Config()
    release = example_rendered()
    people = ContactList(
        (contact("ana@x.org", first_name="Ana", last_name="Núñez", outlet="Tom & Jerry Weekly"), contact("bo@x.org", 3)), (), ()
    )
    planned = build(release, people).recipients
    request = Request("2026-02-19-bees", 1, release, tuple(m for m in planned))
    transport = DryRunTransport(
        outbox=tmp_path / "outbox", sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config)
    )
    result = transport.send(request)
    folder = tmp_path / "outbox" / "2026-02-19-bees"
    assert result.status == 202
    assert sorted(p.name for p in folder.iterdir()) == [
        "0001-0001-ana@x.org.eml",
        "0001-0002-bo@x.org.eml",
        "request-0001.json",
        "unsubscribe-preview.html",  # where the .eml files' unsubscribe link points
    ]
    expected = build_body(
        request, common_body(release, sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config))
    )
    assert json.loads((folder / "request-0001.json").read_text(encoding="utf-8")) == expected
    eml = message_from_bytes((folder / "0001-0001-ana@x.org.eml").read_bytes(), policy=policy.default)
    assert str(eml["To"]) == "Ana Núñez <ana@x.org>"
    assert str(eml["Subject"]) == release.subject
    personal = compose.personalize(release, planned[0].fields)
    html = eml.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert html.rstrip("\n") == personal.html.replace("\r\n", "\n").rstrip("\n")
    assert "Tom &amp; Jerry Weekly" in html
    assert "Tom & Jerry Weekly" in eml.get_body(("plain",)).get_content()
    other = message_from_bytes((folder / "0001-0002-bo@x.org.eml").read_bytes(), policy=policy.default)
    assert "your outlet" in other.get_body(("plain",)).get_content()
    # The headers the journalist will see: SendGrid's subscription tracking adds the one-click pair; the proof shows it.
    assert str(eml["List-Unsubscribe"]) == "<unsubscribe-preview.html>"
    assert str(eml["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert eml["Date"] is not None and str(eml["Message-ID"]) == f"<{planned[0].message_key}@press-mailer.invalid>"
