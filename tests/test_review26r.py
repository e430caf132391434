"""Review 26r: events, suppressions and reports, as a hostile reviewer; each finding a test that failed before its fix."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from office_cli import campaign_of, mailer, office, page_text
from openpyxl import load_workbook
from sqlalchemy import Engine
from test_review24r import report_csv
from test_review25r import BLOCK, HARD, SEND, counts, events_of, imported, sent, summary_json

FIVE = (
    "Email,First Name,Last Name,Outlet\n"
    "ana@daily.example,Ana,Lima,Daily News\n"
    "ben@daily.example,Ben,Okafor,Daily News\n"
    "cleo@gazette.example,Cleo,Roy,The Gazette\n"
    "dan@radio.example,Dan,Wu,Radio One\n"
    "eve@radio.example,Eve,Stone,Radio One\n"
)

# -- 1. a spam report or an unsubscribe proves the email arrived, whatever bounce SendGrid also reported ------------

# SENDGRID.md §2.2: "spamreport" (the recipient marked it as spam) and "unsubscribe" / "group_unsubscribe"
# (a click in the email or its List-Unsubscribe header) happen in the inbox; events come out of order
# and some never come (§2.1), so a "delivered" may be missing and a block or bounce may be posted too.
ARRIVED_WITHOUT_DELIVERED = [
    ("processed", "ana@daily.example", 1, {}),
    ("spamreport", "ana@daily.example", 60, {}),  # no "delivered" ever came
    ("unsubscribe", "ben@daily.example", 60, {}),  # the unsubscribe before the "processed"
    ("processed", "ben@daily.example", 1, {}),
    ("bounce", "cleo@gazette.example", 10, HARD),
    ("spamreport", "cleo@gazette.example", 100, {}),  # marked as spam after the bounce: it got there
    ("group_unsubscribe", "dan@radio.example", 50, {"asm_group_id": 7}),
    ("bounce", "dan@radio.example", 900, BLOCK),  # a late block after he left the group
    ("bounce", "eve@radio.example", 10, HARD),  # Eve's bounced, truly
]


def test_a_spam_report_or_unsubscribe_counts_as_delivered_in_every_figure(project: Path, standin: Any, db_url: str) -> None:
    """Cleo marked the email as spam and Dan left the press group, yet SendGrid also posted a bounce and a
    block for them (and no "delivered"): the report said Delivered 2, Bounced 3 and "Marked as spam 100% of
    delivered", the outlets "every address bounced" at The Gazette. Like an open, a spam report or an
    unsubscribe shows the email got there: delivered in every figure (the line under Delivered counts them),
    listed in the bounces report with which came first; the bounce still keeps them from being mailed."""
    campaign = sent(project, standin, db_url, beat=FIVE)
    imported(events_of(standin, campaign, ARRIVED_WITHOUT_DELIVERED, int(time.time())))
    figures = counts(summary_json(campaign))
    assert (figures["accepted"], figures["delivered"], figures["bounced"], figures["bounced_after_opening"]) == (5, 4, 1, 2)
    assert (figures["spam_reports"], figures["unsubscribed"]) == (2, 2)
    bounces = {row["email"]: row["opened or clicked"] for row in report_csv(campaign, "bounces")}
    assert bounces == {
        "cleo@gazette.example": "marked as spam after the bounce",
        "dan@radio.example": "blocked after unsubscribing",
        "eve@radio.example": "",
    }
    recipients = {row["email"]: row["delivery"] for row in report_csv(campaign, "recipients")}
    assert recipients["cleo@gazette.example"] == "delivered (marked as spam after the bounce)", recipients
    assert recipients["ana@daily.example"] == recipients["ben@daily.example"] == "delivered"
    outlets = {row["outlet or domain"]: (row["delivered"], row["bounced"], row["note"]) for row in report_csv(campaign, "outlets")}
    assert outlets["The Gazette"] == ("1", "0", "") and outlets["Radio One"] == ("1", "1", ""), outlets
    page = mailer("report", campaign, "--format", "html", "-o", "page.html")
    assert page.exit_code == 0, page.output
    text = page_text(Path("page.html"))
    assert "4 delivered 80.0% of accepted" in text and "| Delivered | 4 | 80.0% |" in text, text
    assert "Every address bounced" not in text, text
    listed = mailer("campaigns", "--json")
    (row,) = json.loads(listed.output[listed.output.index("[") :])
    assert (row["delivered"], row["bounced"]) == (4, 1), row
    contact = mailer("contact", "cleo@gazette.example", "--json")
    document = json.loads(contact.output[contact.output.index("{") :])
    assert document["suppressed"] and (document["totals"]["delivered"], document["totals"]["bounced"]) == (1, 0), document
    said = mailer("contact", "dan@radio.example")
    assert "Outcome:  blocked after unsubscribing (blocked; counted as delivered: it got there)" in said.output, said.output
    follow = mailer("send", "releases/example.md", "--follow-up", campaign, "--who", "delivered", "--include-previous", "--dry-run")
    # the four delivered, all kept out (spam reports, unsubscribes, a bounce); Eve alone bounced
    assert f"Follow-up:  0 of 5 journalists of {campaign} (delivered): 1 bounced, 4 suppressed\n" in follow.output, follow.output
    assert follow.exit_code == 1 and "Nobody to follow up" in follow.output, follow.output


# -- 2. the report's notes gave times in UTC alone, though [reports] time_zone names the office's clock ------------


def test_the_report_notes_give_the_office_s_clock_beside_utc(project: Path, standin: Any, db_url: str) -> None:
    """A Melbourne office ([reports] time_zone = "Australia/Melbourne") schedules its release; `mailer status`
    says "SendGrid holds these emails until ... UTC (... Australia/Melbourne)", but the report's note said the
    time in UTC alone, in the terminal, the JSON, the CSV and XLSX summaries and the page: read as Melbourne
    time, an embargo eleven hours off. Cancelled, its note named the time it was held for in UTC alone too."""
    at, campaign = scheduled_in_melbourne(project, standin, db_url)
    local = at.astimezone(ZoneInfo("Australia/Melbourne"))
    clock = (
        f"{at:%Y-%m-%d %H:%M} UTC ({local:%H:%M} Australia/Melbourne)"
        if local.date() == at.date()
        else (f"{at:%Y-%m-%d %H:%M} UTC ({local:%Y-%m-%d %H:%M} Australia/Melbourne)")
    )
    status = mailer("status", campaign)
    assert f"SendGrid holds these emails until {clock}" in status.output, status.output

    def every_format_says(words: str) -> None:
        table = mailer("report", campaign)
        assert words in " ".join(table.output.split()), table.output
        as_json = mailer("report", campaign, "--format", "json")
        document = json.loads(as_json.output[as_json.output.index("{") :])
        assert any(words in note for note in document["notes"]), document["notes"]
        assert mailer("report", campaign, "--format", "csv", "-o", "summary.csv").exit_code == 0
        assert words in Path("summary.csv").read_text(encoding="utf-8-sig")
        assert mailer("report", campaign, "--format", "xlsx", "-o", "summary.xlsx").exit_code == 0
        sheet = load_workbook("summary.xlsx").active
        assert sheet is not None and any(words in str(row[0]) for row in sheet.iter_rows(values_only=True)), words
        assert mailer("report", campaign, "--format", "html", "-o", "page.html").exit_code == 0
        assert words in " ".join(page_text(Path("page.html")).split())

    every_format_says(f"SendGrid holds these emails until {clock}: nothing has gone out yet")
    cancelled = mailer("cancel", campaign, "--yes")
    assert cancelled.exit_code == 0, cancelled.output
    every_format_says(f"it held for {clock}, so no journalist received it")


# -- 3. an unsubscribe during a send, under another spelling of a Gmail inbox, did not keep her out of it -------------

GMAIL_SIX = (
    "Email,First Name,Last Name\n"
    "ana@daily.example,Ana,Lima\n"
    "janedoe@gmail.com,Jane,Doe\n"
    "Jo.Bloggs+press@googlemail.com,Jo,Bloggs\n"
    "ben@gazette.example,Ben,Okafor\n"
)


def test_a_suppression_during_the_send_keeps_out_every_spelling_of_that_gmail_inbox(project: Path, standin: Any, db_url: str) -> None:
    """While the send's first request is with SendGrid, Jane unsubscribes from an earlier release as
    jane.doe@gmail.com and Jo's bounce comes in as jobloggs@gmail.com; the send's list spells them
    janedoe@gmail.com and Jo.Bloggs+press@googlemail.com, one inbox each. The check before each request
    compared exact addresses, so both were mailed; the next plan would have kept them out. Now the
    send skips them as suppressed, as the plan does."""
    from office_cli import KEY, mailed
    from send_fixtures import send_running

    # A long answer time: the first request waits for the two commands, slow on a loaded database server.
    office(project, standin, db_url, beat=GMAIL_SIX, batch_size=1, sendgrid="concurrency = 1\ntimeout = 300\n")
    first = standin.hold(longest=240)
    with send_running(project, standin, KEY, SEND) as process:
        for address, reason in (("jane.doe@gmail.com", "unsubscribe"), ("jobloggs@gmail.com", "bounce")):
            added = mailer("suppressions", "add", address, "--reason", reason)
            assert added.exit_code == 0, added.output
        first.set()
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, out + err
    assert mailed(standin) == ["ana@daily.example", "ben@gazette.example"], out
    status = mailer("status", campaign_of_output(out))
    assert "Recipients: 2 accepted\nSkipped:   2 suppressed\n" in status.output, status.output


def campaign_of_output(out: str) -> str:
    found = re.search(r"^Campaign (\S+):", out, re.MULTILINE)
    assert found, out
    return found.group(1)


def test_every_spelling_of_a_gmail_inbox_is_found_in_the_suppression_list_in_either_order(store: Engine) -> None:
    """The send's check finds a suppression under any spelling of a Gmail inbox, dots anywhere, a + part,
    googlemail.com, a one- or two-letter name, and nothing else, whether the database orders text by code
    point (SQLite; PostgreSQL under a C collation) or not (then it asks for that order)."""
    from mailer.models import SuppressionReason
    from mailer.store import inboxes, suppressions

    listed = [
        "j.a.n.e.doe@gmail.com",
        "b+x@googlemail.com",
        "jo.e@gmail.com",
        "janet@gmail.com",
        "jane.doe@example.org",
        "ja.nedoe.x@gmail.com",
    ]
    asked = [
        "janedoe@gmail.com",
        "Jane.Doe+press@googlemail.com",
        "b@gmail.com",
        "joe+1@googlemail.com",
        "jan@gmail.com",
        "janedoe@example.org",
    ]
    wanted = {"janedoe@gmail.com", "jane.doe+press@googlemail.com", "b@gmail.com", "joe+1@googlemail.com"}
    with store.begin() as connection:
        suppressions.add(connection, [(a, SuppressionReason.MANUAL, None) for a in listed], source="manual")
    for order in (None, False):
        with store.connect() as connection:
            if order is not None:
                connection.info["mailer_code_point_order"] = order
            assert inboxes.suppressed_inboxes(connection, [a.lower() for a in asked]) == wanted


# -- 4. `mailer status` said a late cancel's times in UTC alone, where the report now gives the office's clock --------


def test_a_late_cancel_is_said_on_the_office_s_clock_by_status_as_by_the_report(project: Path, standin: Any, db_url: str) -> None:
    """A Melbourne office asked a cancel of its scheduled send less than 10 minutes before its time. The
    report's note said when on the office's clock beside UTC; `mailer status` said the same sentence in
    UTC alone, and "Wait until ..." in UTC: the two commands disagreed on what the press officer read."""
    from mailer.store import campaigns as campaign_store
    from mailer.store import connect

    at, campaign = scheduled_in_melbourne(project, standin, db_url)
    engine = connect(db_url)
    try:
        with engine.begin() as connection:  # as `mailer cancel` notes one asked 5 minutes before the time
            campaign_store.note_late_cancel(connection, campaign, at=at - timedelta(minutes=5))
    finally:
        engine.dispose()
    asked = f"A cancel of {campaign} was asked at {on_melbourne_clock(at - timedelta(minutes=5))}, less than 10 minutes"
    status = mailer("status", campaign)
    assert asked in " ".join(status.output.split()), status.output
    assert f"Wait until {on_melbourne_clock(at)}" in " ".join(status.output.split()), status.output
    report = mailer("report", campaign)
    assert asked in " ".join(report.output.split()), report.output


def scheduled_in_melbourne(project: Path, standin: Any, db_url: str) -> tuple[datetime, str]:
    """A Melbourne office ([reports] time_zone) that scheduled its release 30 hours ahead: the time and the campaign id."""
    office(project, standin, db_url)
    with (project / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Australia/Melbourne"\n')
    at = (datetime.now(UTC) + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", at.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    return at, campaign_of(scheduled)


def on_melbourne_clock(moment: datetime) -> str:
    """``moment`` as the commands say it with [reports] time_zone = "Australia/Melbourne"."""
    local = moment.astimezone(ZoneInfo("Australia/Melbourne"))
    shown = f"{local:%H:%M}" if local.date() == moment.date() else f"{local:%Y-%m-%d %H:%M}"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({shown} Australia/Melbourne)"


# -- 5. the recipients report and `mailer contact` said a held send's time in UTC alone ---------------------------------


def test_a_held_send_s_time_is_on_the_office_s_clock_in_the_recipients_report_and_contact(project: Path, standin: Any, db_url: str) -> None:
    """With [reports] time_zone = "Australia/Melbourne", status says SendGrid holds the send until "... UTC (...
    Australia/Melbourne)", but each row of the recipients report and `mailer contact`'s outcome said "scheduled:
    SendGrid holds it until ... UTC" alone: the time a Melbourne press officer reads as her own, eleven hours off."""
    at, campaign = scheduled_in_melbourne(project, standin, db_url)
    held = f"scheduled: SendGrid holds it until {on_melbourne_clock(at)}"
    rows = mailer("report", campaign, "--kind", "recipients", "--format", "csv", "-o", "-")
    assert rows.output.count(held) == 2, rows.output
    contact = mailer("contact", "ana@daily.example")
    assert f"Outcome:  {held}; not sent yet" in contact.output, contact.output
