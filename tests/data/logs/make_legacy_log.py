"""Make a small delivery log written by press-mailer 0.1.0, to keep as a test fixture.

Run from a checkout of the version to capture, with that checkout first on the path:

    PYTHONPATH=/path/to/checkout /path/to/venv/bin/python make_legacy_log.py OUTPUT.db

Everything goes through the CLI (python -m mailer, one process per command) against the test
suite's local SendGrid stand-in on 127.0.0.1 (tests/sendgrid_standin.py); no network.
The SendGrid API key is a fake value given through the environment only.

The log holds, in this order:
  1. a dry-run campaign                      (mailer send --dry-run)
  2. a test campaign                         (mailer test --to ... --to ...)
  3. a live campaign, 6 recipients accepted, 2 skipped rows (a duplicate and an invalid address)
  4. a scheduled live campaign               (mailer send --at "<now + 3 h, rounded down to the hour> UTC")
  5. events imported for the live campaign   (mailer events import: processed, delivered,
     open (Apple pre-fetch and human), click, one bounce, one unsubscribe)
  6. a manual suppression added, then removed (mailer suppressions add / remove)
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mailer

CHECKOUT = Path(mailer.__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT / "tests"))

from sendgrid_standin import SendGridStandIn

KEY = "SG.test-key"  # fake; the stand-in accepts only this one
SLUG = "bee-census"
RELEASE = """\
---
subject: "Riverbend Beekeepers count record 1.2 million bees"
headline: "Record 1.2 million bees counted in Riverbend"
preheader: "Census results and maps"
dateline: "Riverbend, ST"
date: 2026-02-19
contact:
  name: "Dana Whitfield"
  title: "Communications Director"
  phone: "+1 555 0100 123"
  email: "press@example.org"
about: |
  **About the Riverbend Beekeepers Association**

  A fictional nonprofit of hobby beekeepers. Learn more at [example.org](https://www.example.org/).
---
Dear {{ contact.first_name | default("colleague") }},

The Riverbend Beekeepers Association today published the results of the city's first
**bee census**: 1.2 million bees across 14 neighborhoods. The full results are in the
[census report](https://www.example.org/census-2026).
"""
# 6 distinct recipients, then a duplicate (other case) of row 2 and an invalid address.
PRESS_CSV = """\
Email,First Name,Last Name,Outlet,Title,Beat,Tags,Country
amara.okafor@example.com,Amara,Okafor,The Daily Example,Health Correspondent,health,health; vip,NG
li.wei@example.org,Li,Wei,Example Science Weekly,Science Editor,science,science; print,CN
sofia.garcia@example.com,Sofía,García,Diario Ejemplo,Periodista,health,health; eu,ES
mateo.silva@example.com,Mateo,Silva,Rádio Exemplo,Producer,politics,radio,BR
chen.jing@example.org,Chen,Jing,Example Tech Review,Reporter,science,science,CN
emma.schmidt@example.org,Emma,Schmidt,Beispiel Zeitung,Redakteurin,environment,print; eu,DE
AMARA.OKAFOR@example.com,Amara,Okafor,The Daily Example,Health Correspondent,health,health; vip,NG
peter.novak@@example.com,Peter,Novák,Example Radio,Editor,politics,radio,CZ
"""
STAFF = ("press@example.org", "dana.fields@example.org")


def mailer_cli(*args: str) -> str:
    """Run one mailer command as its own process (python -m mailer), as a user would.

    A separate process per command also means every database connection is closed when it
    ends, so nothing is left in SQLite's write-ahead log when the file is vacuumed.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "mailer", *args], env=env, capture_output=True, text=True, check=False)
    print(f"$ mailer {' '.join(args)}\n{result.stdout}{result.stderr}", end="")
    if result.returncode != 0:
        raise SystemExit(f"mailer {' '.join(args)} exited {result.returncode}")
    return result.stdout


def events_for(requests: list, campaign_id: str, message_ids: dict[str, str], base_time: int) -> list[dict]:
    """SendGrid-shaped events for the live campaign's accepted requests, in list order.

    Everyone: processed. amara: delivered, Apple pre-fetch open, human open, click.
    li: bounce (hard, Invalid Address). sofia: delivered, open. mateo: delivered, open,
    unsubscribe. chen, emma: delivered.
    """
    people = {}
    for request in requests:
        for personalization in request.body["personalizations"]:
            args = personalization["custom_args"]
            if args.get("campaign") != campaign_id:
                continue
            email = personalization["to"][0]["email"]
            people[email.lower()] = (email, args, message_ids[email.lower()])
    assert len(people) == 6, people
    events: list[dict] = []
    serial = 0

    def add(who: str, kind: str, offset: int, **extra: object) -> None:
        nonlocal serial
        serial += 1
        email, args, sg_id = people[who]
        events.append(
            {
                "email": email,
                "event": kind,
                "timestamp": base_time + offset,
                "sg_event_id": f"fixture-{serial:03d}",
                "sg_message_id": f"{sg_id}.filterdrecv-{serial}",
                "category": ["press-release"],
                **args,
                **extra,
            }
        )

    for who in people:
        add(who, "processed", 0)
    add("amara.okafor@example.com", "delivered", 5, response="250 OK")
    add("amara.okafor@example.com", "open", 60, sg_machine_open=True, useragent="Mozilla/5.0")
    add("amara.okafor@example.com", "open", 90, sg_machine_open=False, useragent="Mozilla/5.0")
    add("amara.okafor@example.com", "click", 100, url="https://www.example.org/census-2026", useragent="Mozilla/5.0")
    add(
        "li.wei@example.org",
        "bounce",
        6,
        type="bounce",
        reason="550 5.1.1 user unknown",
        status="5.1.1",
        bounce_classification="Invalid Address",
    )
    add("sofia.garcia@example.com", "delivered", 7, response="250 OK")
    add("sofia.garcia@example.com", "open", 110, sg_machine_open=False, useragent="Mozilla/5.0")
    add("mateo.silva@example.com", "delivered", 8, response="250 OK")
    add("mateo.silva@example.com", "open", 115, sg_machine_open=False, useragent="Mozilla/5.0")
    add("mateo.silva@example.com", "unsubscribe", 120)
    add("chen.jing@example.org", "delivered", 9, response="250 OK")
    add("emma.schmidt@example.org", "delivered", 10, response="250 OK")
    return events


def main_script(output: Path) -> None:
    for name in list(os.environ):
        if name == "SENDGRID_API_KEY" or name.startswith("MAILER_") or name.lower().endswith("_proxy"):
            del os.environ[name]
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    os.environ["SENDGRID_API_KEY"] = KEY
    output = output.resolve()
    if output.exists():
        raise SystemExit(f"{output} exists; remove it first")

    child = subprocess.run(
        [sys.executable, "-c", "import mailer; print(mailer.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(CHECKOUT)),
    )
    assert Path(child.stdout.strip()).resolve() == CHECKOUT / "mailer" / "__init__.py", child.stdout
    print(f"mailer imported from {child.stdout.strip()}")

    standin = SendGridStandIn(api_key=KEY).start()
    try:
        with tempfile.TemporaryDirectory(prefix="legacy-log-") as folder:
            os.chdir(folder)
            Path("releases").mkdir()
            Path("lists").mkdir()
            Path(f"releases/{SLUG}.md").write_text(RELEASE, encoding="utf-8")
            Path("lists/press.csv").write_text(PRESS_CSV, encoding="utf-8")
            Path("mailer.toml").write_text(
                '[sender]\nfrom_email = "press@example.org"\nfrom_name = "Riverbend Beekeepers Press Office"\n'
                'reply_to = "media@example.org"\npostal_address = "1 Hive Road, Riverbend, ST 00000, USA"\n\n'
                f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 3\nconcurrency = 1\n\n'
                f'[database]\nurl = "sqlite:///{output}"\n',
                encoding="utf-8",
            )
            release = f"releases/{SLUG}.md"
            mailer_cli("send", release, "--list", "lists/press.csv", "--dry-run")
            mailer_cli("test", release, *(a for s in STAFF for a in ("--to", s)))
            mailer_cli("send", release, "--list", "lists/press.csv", "--yes")
            campaigns = json.loads(mailer_cli("campaigns", "--json"))
            live_id = next(c["id"] for c in campaigns if c["mode"] == "live")

            at = (datetime.now(UTC) + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
            mailer_cli("send", release, "--list", "lists/press.csv", "--yes", "--at", f"{at:%Y-%m-%d %H:%M} UTC")

            with closing(sqlite3.connect(output)) as connection:  # X-Message-Id of each accepting request, as logged
                message_ids = dict(
                    connection.execute(
                        "SELECT email_key, sg_message_id FROM message WHERE campaign_id = ? AND state = 'accepted'", (live_id,)
                    )
                )
            accepted = [r for r in standin.mail_sends if r.status == 202]
            events = events_for(accepted, live_id, message_ids, int(datetime.now(UTC).timestamp()))
            Path("events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
            mailer_cli("events", "import", "events.ndjson")

            mailer_cli("suppressions", "add", "emma.schmidt@example.org", "--reason", "asked by phone")
            mailer_cli("suppressions", "remove", "emma.schmidt@example.org", "--reason", "asked back in by email")

            for campaign in json.loads(mailer_cli("campaigns", "--json")):
                mailer_cli("status", campaign["id"])
            mailer_cli("report", live_id)
            mailer_cli("suppressions", "list")
            mailer_cli("suppressions", "list", "--removed")
    finally:
        standin.stop()

    with closing(sqlite3.connect(output)) as connection:
        connection.execute("VACUUM")  # the file stays in WAL mode, as mailer left it
    leftovers = [p.name for p in output.parent.glob(output.name + "-*")]
    assert not leftovers, f"SQLite left {leftovers} beside the log"
    data = output.read_bytes()
    assert KEY.encode() not in data and b"test-key" not in data, "the API key reached the log"
    print(f"Wrote {output} ({len(data):,} bytes); the API key is not in it.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_legacy_log.py OUTPUT.db")
    main_script(Path(sys.argv[1]))
