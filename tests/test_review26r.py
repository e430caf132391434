"""Review 26r: events, suppressions and reports, as a hostile reviewer; each finding a test that failed before its fix."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from office_cli import mailer, page_text
from test_review24r import report_csv
from test_review25r import BLOCK, HARD, counts, events_of, imported, sent, summary_json

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
