"""Review 24r: whether the figures a press officer reads are true, and every input row accounted for.

Everything through the command line: a send to the SendGrid stand-in, SendGrid's events through
`mailer events import`, then the reports, `mailer status` and `mailer contact`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from office_cli import campaign_of, mailer, office, page_text
from press_office import event, keys

THREE = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\nben@gazette.example,Ben,Okafor,The Gazette\ncleo@radio.example,Cleo,Roy,Radio One\n"
SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")


def sent_with_events(project: Path, standin: Any, db_url: str, beat: str, happenings: list[tuple[str, str, int, dict[str, Any]]]) -> str:
    """``beat`` sent to the stand-in, then ``happenings`` (kind, address, seconds after the send, more
    fields) imported as SendGrid's events of that send: the campaign's id."""
    office(project, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    key, t = keys(standin), int(time.time())
    events = [event(kind, email, campaign, key[campaign, email], t + at, **extra) for kind, email, at, extra in happenings]
    Path("events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    imported = mailer("events", "import", "events.ndjson")
    assert imported.exit_code == 0, imported.output
    return campaign


def report_json(campaign: str, *args: str) -> Any:
    result = mailer("report", campaign, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{") :])


def report_csv(campaign: str, kind: str) -> list[dict[str, str]]:
    result = mailer("report", campaign, "--kind", kind, "--format", "csv", "-o", f"{kind}.csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(Path(f"{kind}.csv").read_text(encoding="utf-8-sig"))))


HARD = {"type": "bounce", "bounce_classification": "Invalid Address", "reason": "550 5.1.1 no such user"}
BLOCK = {"type": "blocked", "bounce_classification": "Reputation", "reason": "554 5.7.1 blocked"}


def test_bounce_breakdown_counts_each_journalist_once_by_the_bounce_that_counted(
    project: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A journalist with two bounce events (blocked, then refused for good; refused, then a late
    block; two refusals classified differently) is one hard bounce: the summary's breakdown under
    "hard bounce" and "blocked" adds up to those lines, and the bounces report, the recipients
    report and `mailer contact` name that same hard bounce (review 24r #1: "blocked 0" stood over
    "Reputation 2", "hard bounce 3" over 4 classifications, and the bounces report called Ben's
    hard bounce "blocked")."""
    campaign = sent_with_events(
        project,
        standin,
        db_url,
        THREE,
        [
            ("bounce", "ana@daily.example", 5, BLOCK),
            ("bounce", "ana@daily.example", 50, HARD),
            ("bounce", "ben@gazette.example", 5, HARD),
            ("bounce", "ben@gazette.example", 50, BLOCK),
            ("bounce", "cleo@radio.example", 5, {**HARD, "bounce_classification": "Technical", "reason": "550 5.4.0 loop"}),
            ("bounce", "cleo@radio.example", 50, HARD),
        ],
    )
    summary = report_json(campaign)
    figures = {key: value["count"] for key, value in summary["figures"].items()}
    assert (figures["bounced"], figures["hard_bounced"], figures["blocked"], figures["dropped"]) == (3, 3, 0, 0)
    assert summary["bounce_classes"] == {"hard bounce: Invalid Address": 3}
    assert figures["bounce_hard_bounce_invalid_address"] == 3 and "bounce_blocked_reputation" not in figures

    bounces = {row["email"]: (row["bounce"], row["classification"], row["reason"]) for row in report_csv(campaign, "bounces")}
    assert bounces == dict.fromkeys(
        ("ana@daily.example", "ben@gazette.example", "cleo@radio.example"), ("hard bounce", "Invalid Address", "550 5.1.1 no such user")
    )
    recipients = {row["email"]: (row["delivery"], row["bounce"]) for row in report_csv(campaign, "recipients")}
    assert set(recipients.values()) == {("bounced", "hard bounce")}

    contact = mailer("contact", "ben@gazette.example", "--json")
    assert contact.exit_code == 0, contact.output
    (sending,) = json.loads(contact.output[contact.output.index("{") :])["campaigns"]
    assert (sending["delivery"], sending["bounce"]["type"], sending["bounce"]["reason"]) == ("bounced", "bounce", "550 5.1.1 no such user")
    said = mailer("contact", "ben@gazette.example")
    assert "Outcome:  hard bounce;" in said.output and "blocked" not in said.output, said.output


def test_chart_days_are_the_office_days(project: Path, standin: Any, db_url: str) -> None:
    """On the report page of an office in New York whose opens ran over weeks (a bar per day), Ana's
    open at 09:00 New York time on a day is drawn in that day's bar, and Ben's weeks later in his
    (review 24r #2: the bars ran from midnight UTC, 19:00 the evening before in New York, so every
    open was drawn under the day before: the release seemed read before it was sent)."""
    office(project, standin, db_url, beat=THREE)
    with (project / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "America/New_York"\n')
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    key = keys(standin)
    zone = ZoneInfo("America/New_York")
    day = datetime.now(zone).date() + timedelta(days=1)
    later = day + timedelta(days=40)
    at_nine = [int(datetime.combine(d, datetime.min.time().replace(hour=9), tzinfo=zone).timestamp()) for d in (day, later)]
    events = [
        event("open", "ana@daily.example", campaign, key[campaign, "ana@daily.example"], at_nine[0], sg_machine_open=False),
        event("open", "ben@gazette.example", campaign, key[campaign, "ben@gazette.example"], at_nine[1], sg_machine_open=False),
    ]
    Path("events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    assert mailer("events", "import", "events.ndjson").exit_code == 0
    made = mailer("report", campaign, "--format", "html", "-o", "page.html")
    assert made.exit_code == 0, made.output
    page = Path("page.html").read_text(encoding="utf-8")
    assert "one pair of bars per day" in page
    bars = re.findall(r"<title>([^<]*): 1 journalist first opened</title>", page)
    assert set(bars) == {f"{day:%d %b}", f"{later:%d %b}"}, bars


def test_lists_rejects_name_a_lists_own_no_as_the_log_does(tmp_path: Path) -> None:
    """`lists clean --rejects` and `lists check --json` gave the reason "suppressed" for rows the
    list's own opt-out and consent columns turned away, while `lists check`, a send's plan, its
    skipped.csv and `mailer status` say "opted out" and "without consent": a colleague fixing the
    rejects file looked for them in `mailer suppressions list`, which never held them (review 24r #3)."""
    Path("gdpr.csv").write_text(
        "Email,First Name,Email consent,Do Not Email\n"
        "jane@example.org,Jane,,\nbob@example.org,Bob,no,\nann@example.org,Ann,yes,\nlee@example.org,Lee,yes,yes\n"
        "ann@example.org,Ann,yes,\n",
        encoding="utf-8",
    )
    cleaned = mailer("lists", "clean", "gdpr.csv", "-o", "clean.csv", "--rejects", "rejects.csv")
    assert cleaned.exit_code == 0, cleaned.output
    with open("rejects.csv", encoding="utf-8-sig", newline="") as handle:
        reasons = {row["Email"]: row["reason"] for row in csv.DictReader(handle)}
    expected = {"jane@example.org": "without consent", "bob@example.org": "without consent", "lee@example.org": "opted out"}
    assert reasons == {**expected, "ann@example.org": "duplicate"}
    checked = mailer("lists", "check", "gdpr.csv", "--json")
    assert checked.exit_code == 0, checked.output
    document = json.loads(checked.stdout)
    assert {row["email"]: row["reason"] for row in document["rejected"]} == {**expected, "ann@example.org": "duplicate"}
    assert document["opted_out"] == 3


def test_unsubscribed_counts_who_the_suppression_list_keeps_out(project: Path, standin: Any, db_url: str) -> None:
    """In SendGrid's preference page Ana unticks the press releases' group and ticks the newsletter's
    (group_unsubscribe 5, then group_resubscribe 7); Ben unsubscribes from all mail, then resubscribes
    to the group. Both stay suppressed, as the README says; the report counted neither as unsubscribed
    and `mailer contact` said they had not unsubscribed (review 24r #4: the latest of the three events
    decided, whatever its group); Cleo's resubscribe to the group she left still counts her back in."""
    campaign = sent_with_events(
        project,
        standin,
        db_url,
        THREE,
        [
            ("delivered", "ana@daily.example", 5, {}),
            ("group_unsubscribe", "ana@daily.example", 60, {"asm_group_id": 5}),
            ("group_resubscribe", "ana@daily.example", 61, {"asm_group_id": 7}),
            ("delivered", "ben@gazette.example", 5, {}),
            ("unsubscribe", "ben@gazette.example", 60, {}),
            ("group_resubscribe", "ben@gazette.example", 61, {"asm_group_id": 5}),
            ("delivered", "cleo@radio.example", 5, {}),
            ("group_unsubscribe", "cleo@radio.example", 60, {"asm_group_id": 5}),
            ("group_resubscribe", "cleo@radio.example", 61, {"asm_group_id": 5}),
        ],
    )
    listed = mailer("suppressions", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert {row["email"] for row in json.loads(listed.stdout)} == {"ana@daily.example", "ben@gazette.example"}
    assert report_json(campaign)["figures"]["unsubscribed"]["count"] == 2
    unsubscribed = {row["email"]: row["unsubscribed"] for row in report_csv(campaign, "recipients")}
    assert unsubscribed == {"ana@daily.example": "yes", "ben@gazette.example": "yes", "cleo@radio.example": ""}
    for address, expected in (("ana@daily.example", True), ("ben@gazette.example", True), ("cleo@radio.example", False)):
        said = mailer("contact", address, "--json")
        assert json.loads(said.stdout)["campaigns"][0]["unsubscribed"] is expected, (address, said.output)


def test_outlets_one_row_whatever_the_case_of_its_name(project: Path, standin: Any, db_url: str) -> None:
    """A list merged from several sources spells one paper "The Gazette", "the gazette" and "THE
    GAZETTE"; two of its four journalists bounced. The outlets report gave each spelling a row of
    its own and flagged "the gazette" (its one journalist bounced) "every address bounced", and the
    report page's banner said every address bounced at 1 outlet (review 24r #5). Now it is one
    row, spelt as most of its rows spell it: 4 recipients, 2 bounced, 50%, not flagged."""
    beat = (
        "Email,First Name,Outlet\na@gazette.example,A,The Gazette\nb@gazette.example,B,the gazette\n"
        "c@gazette.example,C,THE GAZETTE\nd@gazette.example,D,The Gazette\ne@daily.example,E,Daily News\n"
    )
    campaign = sent_with_events(
        project,
        standin,
        db_url,
        beat,
        [
            ("bounce", "a@gazette.example", 5, HARD),
            ("bounce", "b@gazette.example", 5, HARD),
            ("delivered", "c@gazette.example", 5, {}),
            ("delivered", "d@gazette.example", 5, {}),
            ("bounce", "e@daily.example", 5, HARD),
        ],
    )
    rows = report_csv(campaign, "outlets")
    outlets = {
        row["outlet or domain"]: (row["recipients"], row["bounced"], row["bounce rate"], row["note"])
        for row in rows
        if row["by"] == "outlet"
    }
    assert outlets == {"The Gazette": ("4", "2", "50.0%", ""), "Daily News": ("1", "1", "100.0%", "every address bounced")}
    made = mailer("report", campaign, "--format", "html", "-o", "page.html")
    assert made.exit_code == 0, made.output
    assert "Every address bounced at 1 outlet and 1 domain" in page_text(Path("page.html"))


def test_events_file_mixing_lines_and_posts_is_read_whole(project: Path, standin: Any, db_url: str) -> None:
    """A colleague appends the Event Webhook's saved posts (JSON arrays) to a file of one event per
    line, or lines after the posts. The events of an array on a line were quarantined as one
    "expected an event (a JSON object), found a list", and lines after the posts as one "text after
    the end of the JSON array": "Read 2 events" of a file holding 4, the delivered count short, and
    the file to fix by hand (review 24r #6). Now every event is read and counted."""
    office(project, standin, db_url, beat=THREE)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    key, t = keys(standin), int(time.time())

    def delivered(email: str, at: int) -> dict[str, Any]:
        return event("delivered", email, campaign, key[campaign, email], t + at)

    ana, ben, cleo = "ana@daily.example", "ben@gazette.example", "cleo@radio.example"
    Path("lines.ndjson").write_text(
        json.dumps(delivered(ana, 5)) + "\n" + json.dumps([delivered(ben, 5), delivered(cleo, 5)]) + "\n", encoding="utf-8"
    )
    Path("posts.json").write_text(
        json.dumps([delivered(ana, 6)], indent=1) + "\n" + json.dumps(delivered(ben, 6)) + "\n" + json.dumps(delivered(cleo, 6)) + "\n",
        encoding="utf-8",
    )
    for name in ("lines.ndjson", "posts.json"):
        imported = mailer("events", "import", name)
        assert imported.exit_code == 0 and "Quarantined" not in imported.output, imported.output
        assert "Read 3 events from 1 file.\nAdded 3, skipped 0 already in the log, 0 could not be linked" in imported.output
    assert report_json(campaign)["figures"]["delivered"]["count"] == 3
