"""A press office's folder with a small beat list, sent to through the command line and the stand-in.

Used by test_contact.py and test_cli_json.py. Everything goes through `mailer`: two live
campaigns, a test send and a dry run; the events come in through `mailer events import`
(message keys read from the requests the stand-in received, as SendGrid would echo them).

The figures, worked out by hand (T = the time the events file is written):

Campaign A (releases/example.md, 5 recipients: ana, Ben, cleo, dan, eve)
    ana   processed, delivered, open by Apple's pre-fetch, 2 opens by her, 2 clicks on URL_1
          -> delivered, opens 3, by people 2, clicks 2, links [URL_1]
    ben   delivered, one open by Apple's pre-fetch only      -> delivered, opens 1, by people 0
    cleo  hard bounce "Invalid Address", "550 5.1.1 no such user"
          -> bounced; suppressed: bounce, from import, since T+20
    dan   deferred, then delivered                          -> delivered
    eve   delivered, unsubscribe                            -> delivered; suppressed: unsubscribe, from import
Campaign B (releases/second.md, sent after A's events: cleo and eve skipped as suppressed)
    ana   delivered, one open by her                        -> delivered, opens 1, by people 1
    ben   blocked "Reputation", "554 5.7.1 blocked"         -> blocked (one block does not suppress)
    dan   no events                                         -> accepted
Test send of B to ana (mode test), then a dry run of B (never listed: nothing was sent).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from conftest import example as example_folder

from mailer.cli import main

ROOT = Path(__file__).parent.parent
KEY = "SG.standin-key.secret"
URL_1 = "https://www.example.org/census-2026"
MARKUP_NAME = "[bold]Cléo"  # must print literally, never as bold text
MARKUP_OUTLET = "[red]Gazette[/red]"

LIST = (
    "Email,First Name,Last Name,Outlet\n"
    "ana@daily.example,Ana,Lima,Daily News\n"
    "Ben.Okafor@Daily.Example,Ben,Okafor,Daily News\n"
    f"cleo@gazette.example,{MARKUP_NAME},Martin,{MARKUP_OUTLET}\n"
    "dan@gazette.example,Dan,Wu,The Gazette\n"
    "eve@radio.example,Eve,Roy,Radio One\n"
    "ana@daily.example,Ana,Lima,Daily News\n"  # a duplicate row: never shown as its own campaign entry
)


def mailer(*args: str, key: str | None = KEY, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": key} if key else {}, input=input)


def folder(project: Path, standin: Any, db_url: str) -> Path:
    """The example release, a second release, templates, the beat list and a mailer.toml for the stand-in."""
    for name in ("releases", "templates"):
        shutil.copytree(example_folder(name), project / name)
    example = (project / "releases" / "example.md").read_text(encoding="utf-8")
    second = example.replace(
        'subject: "Riverbend Beekeepers count record 1.2 million bees in first city-wide census"',
        'subject: "Bee census: the maps by neighborhood"',
    )
    assert second != example
    (project / "releases" / "second.md").write_text(second, encoding="utf-8")
    (project / "lists").mkdir()
    (project / "lists" / "beat.csv").write_text(LIST, encoding="utf-8")
    (project / "mailer.toml").write_text(
        f'[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 10\n\n[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return project


def keys(standin: Any) -> dict[tuple[str, str], str]:
    """(campaign id, lower-cased address) -> message key, from the bodies the stand-in received."""
    found = {}
    for request in standin.mail_sends:
        for personalization in request.body["personalizations"]:
            args = personalization["custom_args"]
            found[(args["campaign"], personalization["to"][0]["email"].lower())] = args["message"]
    return found


def event(kind: str, email: str, campaign: str, message: str, at: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "event": kind,
        "timestamp": at,
        "sg_event_id": f"{campaign}-{message}-{kind}-{at}",
        "sg_message_id": "standin.filterdrecv-1-0",
        "campaign": campaign,
        "message": message,
        **extra,
    }


def campaign_of(result: Result) -> str:
    """The campaign id a send or test names ("Campaign ID: ..." / "Test campaign ID: to ...")."""
    match = re.search(r"^(?:Test campaign|Campaign) (\S+):", result.output, re.MULTILINE)
    assert match, result.output
    return match.group(1)


def import_events(path: Path, events: list[dict[str, Any]]) -> Result:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    result = mailer("events", "import", str(path))
    assert result.exit_code == 0, result.output
    return result


def build(project: Path, standin: Any, db_url: str) -> dict[str, Any]:
    """Send A, import its events, send B, import B's, test-send B to ana, dry-run B; returns ids and T."""
    folder(project, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    a = campaign_of(sent)
    t = int(time.time())
    k = keys(standin)
    events_a = [
        event("processed", "ana@daily.example", a, k[a, "ana@daily.example"], t + 1),
        event("delivered", "ana@daily.example", a, k[a, "ana@daily.example"], t + 5),
        event("open", "ana@daily.example", a, k[a, "ana@daily.example"], t + 6, sg_machine_open=True),
        event("open", "ana@daily.example", a, k[a, "ana@daily.example"], t + 3600, sg_machine_open=False),
        event("open", "ana@daily.example", a, k[a, "ana@daily.example"], t + 7200, sg_machine_open=False),
        event("click", "ana@daily.example", a, k[a, "ana@daily.example"], t + 3700, url=URL_1),
        event("click", "ana@daily.example", a, k[a, "ana@daily.example"], t + 7300, url=URL_1),
        event("delivered", "Ben.Okafor@daily.example", a, k[a, "ben.okafor@daily.example"], t + 5),
        event("open", "Ben.Okafor@daily.example", a, k[a, "ben.okafor@daily.example"], t + 9, sg_machine_open=True),
        event("processed", "cleo@gazette.example", a, k[a, "cleo@gazette.example"], t + 1),
        event(
            "bounce",
            "cleo@gazette.example",
            a,
            k[a, "cleo@gazette.example"],
            t + 20,
            type="bounce",
            bounce_classification="Invalid Address",
            reason="550 5.1.1 no such user",
            status="5.1.1",
        ),
        event("deferred", "dan@gazette.example", a, k[a, "dan@gazette.example"], t + 30, response="421 try later"),
        event("delivered", "dan@gazette.example", a, k[a, "dan@gazette.example"], t + 90),
        event("delivered", "eve@radio.example", a, k[a, "eve@radio.example"], t + 5),
        event("unsubscribe", "eve@radio.example", a, k[a, "eve@radio.example"], t + 600),
    ]
    import_events(project / "events-a.ndjson", events_a)
    sent = mailer("send", "releases/second.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    b = campaign_of(sent)
    k = keys(standin)
    events_b = [
        event("delivered", "ana@daily.example", b, k[b, "ana@daily.example"], t + 4000),
        event("open", "ana@daily.example", b, k[b, "ana@daily.example"], t + 5000, sg_machine_open=False),
        event(
            "bounce",
            "Ben.Okafor@daily.example",
            b,
            k[b, "ben.okafor@daily.example"],
            t + 4010,
            type="blocked",
            bounce_classification="Reputation",
            reason="554 5.7.1 blocked",
        ),
    ]
    import_events(project / "events-b.ndjson", events_b)
    tested = mailer("test", "releases/second.md", "--to", "ana@daily.example")
    assert tested.exit_code == 0, tested.output
    dry = mailer("send", "releases/second.md", "--list", "lists/beat.csv", "--dry-run", "--include-previous")
    assert dry.exit_code == 0, dry.output
    return {
        "a": a,
        "b": b,
        "test": campaign_of(tested),
        "dry": campaign_of(dry),
        "t": t,
    }
