"""A press officer's whole week, through the command line: send, events back, report, list kept clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import example

from mailer.cli import main

ROOT = Path(__file__).parent.parent
KEY = "SG.standin-key.secret"  # the key the stand-in accepts
SEND = ("send", "releases/example.md", "--list", "lists/press.csv", "--yes", "--no-test-ok")


def mailer(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": KEY})


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """The example release and lists, with mailer.toml pointing at the local SendGrid stand-in and the test's log."""
    for folder in ("releases", "lists"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(
        f'[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 20\n\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return tmp_path


def events_for(request_body: dict[str, Any], message_id: str) -> list[dict[str, Any]]:
    """What SendGrid would post back for one accepted request: every journalist delivered;
    the first opens (once by Apple's proxy, once really) and clicks; the second bounces;
    the third is only "opened" by Apple's proxy."""
    events: list[dict[str, Any]] = []
    for n, personalization in enumerate(request_body["personalizations"]):
        email = personalization["to"][0]["email"]
        args = personalization["custom_args"]
        base = {"email": email, "sg_message_id": f"{message_id}.filter-{n}", **args}
        at = 1_790_000_000 + n
        if n == 1:
            events.append(
                {
                    **base,
                    "event": "bounce",
                    "type": "bounce",
                    "timestamp": at,
                    "reason": "550 5.1.1 user unknown",
                    "bounce_classification": "Invalid Address",
                    "sg_event_id": f"b-{n}",
                }
            )
            continue
        events.append({**base, "event": "delivered", "timestamp": at, "sg_event_id": f"d-{n}"})
        if n in (0, 2):
            events.append({**base, "event": "open", "timestamp": at + 60, "sg_machine_open": True, "sg_event_id": f"m-{n}"})
        if n == 0:
            events.append({**base, "event": "open", "timestamp": at + 120, "sg_machine_open": False, "sg_event_id": f"o-{n}"})
            events.append({**base, "event": "click", "timestamp": at + 180, "url": "https://example.org/census", "sg_event_id": f"c-{n}"})
    return events


def test_end_to_end_send_events_report_and_suppression(office: Path, standin: Any, log_text: Any) -> None:
    """Events for a live send link back to it, the report counts them, and a bounced journalist is not mailed next time."""
    first = mailer(*SEND)
    assert first.exit_code == 0, first.output
    campaign_id = json.loads(mailer("campaigns", "--json").stdout)[0]["id"]

    # Requests run four at a time, so take the first full batch rather than the first to arrive.
    request = max(standin.mail_sends, key=lambda r: len(r.body["personalizations"]))
    events = events_for(request.body, "REQ-1")
    first_email = request.body["personalizations"][0]["to"][0]["email"]
    bounced = request.body["personalizations"][1]["to"][0]["email"]
    (office / "events.ndjson").write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")

    imported = mailer("events", "import", "events.ndjson")
    assert imported.exit_code == 0, imported.output
    again = mailer("events", "import", "events.ndjson")  # SendGrid sends duplicates: nothing changes
    assert again.exit_code == 0, again.output

    summary = json.loads(mailer("report", campaign_id, "--format", "json").stdout)
    figures = {name: value["count"] for name, value in summary["figures"].items()}
    delivered = len(request.body["personalizations"]) - 1
    assert figures["accepted"] == 41
    assert figures["delivered"] == delivered
    assert figures["bounced"] == 1
    assert (figures["opened"], figures["opened_human"], figures["clicked"]) == (2, 1, 1)

    bounces = json.loads(mailer("report", campaign_id, "--kind", "bounces", "--format", "json").stdout)
    assert bounced in json.dumps(bounces) and "user unknown" in json.dumps(bounces)
    opens = json.loads(mailer("report", campaign_id, "--kind", "opens", "--format", "json").stdout)
    assert first_email in json.dumps(opens)

    listed = mailer("suppressions", "list", "--json")
    assert bounced in listed.stdout

    before = standin.seen_addresses()
    repeat = mailer(*SEND)  # the same release again: everyone has it already
    assert repeat.exit_code == 1 and "already received this exact release" in repeat.stderr
    assert standin.seen_addresses() == before
    second = mailer(*SEND, "--include-previous")
    assert second.exit_code == 0, second.output
    after = standin.seen_addresses()
    assert after[bounced.lower()] == before[bounced.lower()] == 1, "a bounced address was mailed again"
    assert after[first_email.lower()] == 2

    for result in (first, imported, second, listed):
        assert KEY not in result.output
    stored = log_text()
    assert bounced in stored and KEY not in stored
