"""Review 25r: the figures a press officer reads agree, everywhere, and are right.

Everything through the command line where it can be: a send to the SendGrid stand-in, SendGrid's
events through `mailer events import` or a signed post to the webhook, then the reports in every
format, `mailer campaigns` and `mailer contact`.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eventlog import TEST_PUBLIC_KEY, body, signed_headers
from office_cli import campaign_of, mailer, office, page_text
from openpyxl import load_workbook
from press_office import event, keys
from sqlalchemy import create_engine
from starlette.testclient import TestClient
from test_review24r import report_csv, report_json

from mailer.config import Config, WebhookConfig
from mailer.events import webhook

FOUR = (
    "Email,First Name,Last Name,Outlet\n"
    "ana@daily.example,Ana,Lima,Daily News\n"
    "ben@daily.example,Ben,Okafor,Daily News\n"
    "cleo@gazette.example,Cleo,Roy,The Gazette\n"
    "dan@radio.example,Dan,Wu,Radio One\n"
)
SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
HARD = {"type": "bounce", "bounce_classification": "Invalid Address", "reason": "550 5.1.1 no such user"}
BLOCK = {"type": "blocked", "bounce_classification": "Reputation", "reason": "554 5.7.1 blocked"}
# Ana opens and clicks, then her newsroom's server bounces the email an hour later; Ben opens;
# Cleo bounces; Dan is blocked, and Apple's proxy fetches his email's pixel after the block.
OPENED_THEN_BOUNCED = [
    ("delivered", "ana@daily.example", 5, {}),
    ("open", "ana@daily.example", 60, {"sg_machine_open": False}),
    ("click", "ana@daily.example", 90, {"url": "https://example.org/census"}),
    ("bounce", "ana@daily.example", 3600, HARD),
    ("delivered", "ben@daily.example", 5, {}),
    ("open", "ben@daily.example", 100, {"sg_machine_open": False}),
    ("bounce", "cleo@gazette.example", 10, HARD),
    ("bounce", "dan@radio.example", 10, BLOCK),
    ("open", "dan@radio.example", 900, {"sg_machine_open": True}),
]


def sent(project: Path, standin: Any, db_url: str, beat: str = FOUR) -> str:
    office(project, standin, db_url, beat=beat)
    result = mailer(*SEND)
    assert result.exit_code == 0, result.output
    return campaign_of(result)


def events_of(standin: Any, campaign: str, happenings: list[tuple[str, str, int, dict[str, Any]]], t: int) -> list[dict[str, Any]]:
    key = keys(standin)
    return [event(kind, email, campaign, key[campaign, email], t + at, **extra) for kind, email, at, extra in happenings]


def imported(events: list[dict[str, Any]], name: str = "events.ndjson") -> None:
    Path(name).write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    result = mailer("events", "import", name)
    assert result.exit_code == 0, result.output


def posted(db_url: str, events: list[dict[str, Any]]) -> None:
    """``events`` posted to the webhook as SendGrid signs them."""
    engine = create_engine(db_url)
    try:
        app = webhook.create_app(config=Config(webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY)), engine=engine)
        payload = body(events)
        response = TestClient(app).post("/sendgrid/events", content=payload, headers=signed_headers(payload))
        assert response.status_code == 200, response.text
    finally:
        engine.dispose()


def summary_json(campaign: str) -> dict[str, Any]:
    return dict(report_json(campaign))


def counts(document: dict[str, Any]) -> dict[str, int]:
    return {key: value["count"] for key, value in document["figures"].items()}


def check_opened_then_bounced(campaign: str) -> None:
    """What every output says of OPENED_THEN_BOUNCED: Ana and Dan count as delivered (and opened),
    once each, on a line of their own under Delivered; Cleo alone among the bounced."""
    figures = counts(summary_json(campaign))
    assert (figures["accepted"], figures["delivered"], figures["bounced"], figures["hard_bounced"], figures["blocked"]) == (4, 3, 1, 1, 0)
    assert figures["bounced_after_opening"] == 2
    assert figures["bounced_after_opening_hard_bounce_invalid_address"] == 1
    assert figures["bounced_after_opening_blocked_reputation"] == 1
    assert figures["bounce_hard_bounce_invalid_address"] == 1 and "bounce_blocked_reputation" not in figures
    assert (figures["opened"], figures["opened_human"], figures["clicked"]) == (3, 2, 1)
    assert figures["opened"] <= figures["delivered"]
    # every journalist SendGrid accepted in exactly one final state
    assert figures["delivered"] + figures["deferred"] + figures.get("no_news", 0) + figures["bounced"] == figures["accepted"]

    bounces = {row["email"]: (row["bounce"], row["opened or clicked"]) for row in report_csv(campaign, "bounces")}
    assert bounces == {
        "ana@daily.example": ("hard bounce", "bounced after opening"),
        "cleo@gazette.example": ("hard bounce", ""),
        "dan@radio.example": ("blocked", "fetched by Apple Mail after the block"),
    }
    recipients = {row["email"]: row["delivery"] for row in report_csv(campaign, "recipients")}
    assert recipients == {
        "ana@daily.example": "delivered (bounced after opening)",
        "ben@daily.example": "delivered",
        "cleo@gazette.example": "bounced",
        "dan@radio.example": "delivered (fetched by Apple Mail after the block)",
    }
    outlets = [row for row in report_csv(campaign, "outlets") if row["by"] == "outlet"]
    assert {row["outlet or domain"]: (row["delivered"], row["bounced"], row["opened"]) for row in outlets} == {
        "Daily News": ("2", "0", "2"),
        "The Gazette": ("0", "1", "0"),
        "Radio One": ("1", "0", "1"),  # not "every address bounced": Dan's email got there
    }
    assert [row["note"] for row in outlets if row["outlet or domain"] == "Radio One"] == [""]

    made = mailer("report", campaign, "--format", "xlsx", "-o", "summary.xlsx")
    assert made.exit_code == 0, made.output
    sheet = load_workbook("summary.xlsx").active
    assert sheet is not None
    cells = {str(row[0]).strip(): row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert (cells["Delivered"], cells["Bounced (not delivered)"]) == (3, 1)
    assert cells["of them, bounced though it got there (see the bounces report)"] == 2

    page = mailer("report", campaign, "--format", "html", "-o", "page.html")
    assert page.exit_code == 0, page.output
    text = page_text(Path("page.html"))
    assert "| Delivered | 3 | 75.0% | of them, bounced though it got there (see the bounces report) | 2 |" in text, text
    assert "3 delivered 75.0% of accepted" in text and "1 bounced (not delivered) 25.0% of accepted" in text
    assert "Every address bounced at 1 outlet and 1 domain" in text  # The Gazette, not Radio One

    listed = mailer("campaigns", "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output[listed.output.index("[") :])
    assert (row["delivered"], row["bounced"], row["opened"]) == (3, 1, 2)

    contact = mailer("contact", "ana@daily.example", "--json")
    assert contact.exit_code == 0, contact.output
    document = json.loads(contact.output[contact.output.index("{") :])
    assert document["suppressed"] and document["suppression"]["reason"] == "bounce"  # never mailed again
    assert (document["totals"]["delivered"], document["totals"]["bounced"], document["totals"]["bounced_after_opening"]) == (1, 0, 1)
    assert document["campaigns"][0]["bounce"]["after_opening"] == "bounced after opening"
    said = mailer("contact", "ana@daily.example")
    assert "Outcome:  bounced after opening (hard bounce; counted as delivered: it got there)" in said.output, said.output


def test_opened_then_bounced_counts_as_delivered_everywhere_and_stays_in_the_bounces_report(
    project: Path, standin: Any, db_url: str
) -> None:
    """A journalist who opened (or clicked) and then bounced counts as delivered and opened in the
    summary, not among the bounced, with a line saying how many did so; the bounce still suppresses
    her and the bounces report still lists her, saying she opened first. The table, CSV, XLSX, JSON,
    the HTML page, `mailer campaigns` and `mailer contact` agree (before: "Opened 3" over "Delivered
    1", Ana and Dan among the bounced, Radio One flagged "every address bounced")."""
    campaign = sent(project, standin, db_url)
    imported(events_of(standin, campaign, OPENED_THEN_BOUNCED, int(time.time())))
    check_opened_then_bounced(campaign)
    table = mailer("report", campaign)
    assert table.exit_code == 0, table.output
    assert re.search(r"│ Delivered +│ 3 +│ 75\.0% +│", table.output), table.output
    assert "of them, bounced though it got there" in table.output


def test_opened_then_bounced_through_the_signed_webhook_in_any_order(project: Path, standin: Any, db_url: str) -> None:
    """The same events posted to the webhook as SendGrid signs them, in two batches that arrive
    last first (the bounce before the open that preceded it): the same figures."""
    campaign = sent(project, standin, db_url)
    events = events_of(standin, campaign, OPENED_THEN_BOUNCED, int(time.time()))
    posted(db_url, [e for e in events if e["event"] in ("bounce", "delivered")])
    posted(db_url, [e for e in events if e["event"] not in ("bounce", "delivered")])
    check_opened_then_bounced(campaign)
    suppressed = mailer("suppressions", "list", "--json")
    assert suppressed.exit_code == 0, suppressed.output
    assert "ana@daily.example" in suppressed.output and "cleo@gazette.example" in suppressed.output


def test_deferred_then_delivered_is_delivered_once(project: Path, standin: Any, db_url: str) -> None:
    """A deferral, then the delivery (and a deferral SendGrid posts late, after the delivery): one
    delivered journalist, none still trying."""
    campaign = sent(project, standin, db_url)
    imported(
        events_of(
            standin,
            campaign,
            [
                ("deferred", "ana@daily.example", 5, {"response": "421 try later"}),
                ("delivered", "ana@daily.example", 300, {}),
                ("delivered", "ben@daily.example", 300, {}),
                ("deferred", "ben@daily.example", 5, {"response": "421 try later"}),
                ("deferred", "cleo@gazette.example", 5, {"response": "421 try later"}),
            ],
            int(time.time()),
        )
    )
    figures = counts(summary_json(campaign))
    assert (figures["delivered"], figures["deferred"], figures["no_news"], figures["bounced"]) == (2, 1, 1, 0)


def test_two_events_on_one_line_of_an_events_file_are_both_read(project: Path, standin: Any, db_url: str) -> None:
    """An events file where a script forgot a line break: Ana's delivery and Cleo's bounce on line 1,
    one after the other, and two more joined by a comma on line 3. Every event is read, Cleo's
    bounce suppresses her, and an event in such a line that cannot be read is named by its line and
    place (before: both lines quarantined whole as "not valid JSON (Extra data, column 86)", Cleo
    left on the lists)."""
    campaign = sent(project, standin, db_url)
    t = int(time.time())
    ana, ben, cleo, dan = events_of(
        standin,
        campaign,
        [
            ("delivered", "ana@daily.example", 5, {}),
            ("delivered", "ben@daily.example", 5, {}),
            ("bounce", "cleo@gazette.example", 10, HARD),
            ("delivered", "dan@radio.example", 5, {}),
        ],
        t,
    )
    Path("events.ndjson").write_text(
        json.dumps(ana)
        + json.dumps(cleo)
        + "\n"
        + json.dumps(ben)
        + "\n"
        + json.dumps(dan)
        + ", "
        + json.dumps({**dan, "timestamp": "soon"})
        + "\n",
        encoding="utf-8",
    )
    result = mailer("events", "import", "events.ndjson")
    assert result.exit_code == 0, result.output
    assert "Read 5 events from 1 file." in result.output and "Added 4," in result.output, result.output
    assert 'events.ndjson line 3, event 2: "timestamp" should be Unix seconds' in result.output, result.output
    figures = counts(summary_json(campaign))
    assert (figures["delivered"], figures["bounced"]) == (3, 1)
    listed = mailer("suppressions", "list", "--json")
    assert "cleo@gazette.example" in listed.output, listed.output


def test_the_overview_of_an_office_away_from_utc_counts_its_own_days_and_shows_its_clock(project: Path, standin: Any, db_url: str) -> None:
    """An office whose [reports] time_zone puts it on another day than UTC right now (Kiritimati,
    UTC+14, or Pago Pago, UTC-11) sends a release, then makes the overview of today, its today:
    the release is in it, sent at the office's time, and the page says its times are the office's
    (before: --since/--until were UTC days, so the release fell in the overview of the day before
    or after, and its page read "times in UTC" while the campaign's own page read the office's)."""
    now = datetime.now(UTC)
    zone = "Pacific/Kiritimati" if now.astimezone(ZoneInfo("Pacific/Kiritimati")).date() != now.date() else "Pacific/Pago_Pago"
    campaign = sent(project, standin, db_url)
    with (project / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[reports]\ntime_zone = "{zone}"\n')
    local = datetime.now(ZoneInfo(zone))
    assert local.date() != datetime.now(UTC).date()  # the test's premise
    day = local.strftime("%Y-%m-%d")
    made = mailer("report", "--overview", "--since", day, "--until", day, "-o", "overview.html")
    assert made.exit_code == 0, made.output
    assert f"Wrote the overview of 1 campaign from {day} to {day}" in made.output, made.output
    text = page_text(Path("overview.html"))
    assert f"times in {zone}" in text and f"sent ({zone})" in text and f"| {day} " in text, text
    assert campaign in text
    utc_day = datetime.now(UTC).strftime("%Y-%m-%d")
    other = mailer("report", "--overview", "--since", utc_day, "--until", utc_day, "-o", "other.html")
    assert other.exit_code == 0, other.output
    assert "No live campaign was sent" in other.output, other.output


def test_a_send_retried_after_a_refusal_counts_each_journalist_once(project: Path, standin: Any, db_url: str) -> None:
    """SendGrid refuses the first request (a 400); `mailer resume --retry-failed` sends it again.
    The summary, the recipients report, `mailer status` and `mailer campaigns` count each of the
    four once, accepted, none failed (checked: held)."""
    office(project, standin, db_url, beat=FOUR, batch_size=2)
    standin.answer(400, times=1, body={"errors": [{"message": "Invalid personalizations", "field": "personalizations", "help": None}]})
    first = mailer(*SEND)
    assert first.exit_code == 3, first.output
    campaign = campaign_of(first)
    again = mailer("resume", campaign, "--retry-failed", "--yes")
    assert again.exit_code == 0, again.output
    figures = counts(summary_json(campaign))
    assert (figures["planned"], figures["accepted"], figures["failed"], figures["unknown"]) == (4, 4, 0, 0)
    rows = report_csv(campaign, "recipients")
    assert sorted((row["email"], row["state"]) for row in rows) == [
        (address, "accepted") for address in ("ana@daily.example", "ben@daily.example", "cleo@gazette.example", "dan@radio.example")
    ]
    status = json.loads(mailer("status", campaign, "--json").stdout)
    assert status["counts"]["accepted"] == 4 and not status["counts"].get("failed")


def test_the_bounces_table_on_a_terminal_shows_opened_or_clicked_only_when_someone_did(project: Path, standin: Any, db_url: str) -> None:
    """On an 80-column terminal the bounces report leaves out its "opened or clicked" columns when
    nobody who bounced had opened (a column empty in every row), and keeps the words when someone had."""
    campaign = sent(project, standin, db_url)
    t = int(time.time())
    imported(events_of(standin, campaign, [("bounce", "cleo@gazette.example", 10, HARD)], t))
    plain = mailer("report", campaign, "--kind", "bounces")
    assert plain.exit_code == 0, plain.output
    assert "┃ opened" not in plain.output and "Empty in every row, so left out: opened or clicked" in " ".join(plain.output.split())
    imported(events_of(standin, campaign, OPENED_THEN_BOUNCED[:4], t), "more.ndjson")
    shown = mailer("report", campaign, "--kind", "bounces")
    assert shown.exit_code == 0, shown.output
    assert "│ bounced  │" in shown.output and "│ opening  │" in shown.output, shown.output  # "bounced after opening", wrapped
