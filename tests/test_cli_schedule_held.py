"""A scheduled send SendGrid still holds, and one cancelled before its time (newcomer review 9, findings 4, 5, 18).

Through the command line and the SendGrid stand-in, on SQLite and PostgreSQL: a send scheduled two
hours ahead is not "All sent" before its time; once cancelled, every command a press officer reads
(status, campaigns, report, contact, and their --json) says its emails were cancelled, not
accepted, and the overview page leaves it out of its totals; suppressing or erasing a journalist
that such a send still holds an email for warns that it will still go out, and how to stop it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import without_log_line
from sqlalchemy import Engine, update
from test_cli_send import RECIPIENTS, SEND, db, mailer
from test_reports_readable import RIVER, build, cli

from mailer.send import status
from mailer.store import campaigns
from mailer.store.events import INGEST_WAIT
from mailer.store.schema import campaign, message

JOURNALIST = "amara.okafor@example.com"  # row 1 of lists/press.csv
OTHER = "li.wei@example.org"  # row 2


@pytest.fixture
def river(store: Engine) -> Engine:
    """The hand-counted campaigns of test_reports_readable.py (two sent in February and March)."""
    return build(store)


def scheduled_send(hours: int = 2) -> tuple[str, datetime, str]:
    """Send lists/press.csv scheduled ``hours`` ahead; (campaign id, the time, that time as the commands show it)."""
    at = (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code == 0, sent.output
    with db().connect() as connection:
        newest = campaigns.newest(connection)
    assert newest is not None
    return newest.id, at, f"{at:%Y-%m-%d %H:%M} UTC"


def test_status_of_a_scheduled_send_is_not_all_sent(live: Path, standin: Any) -> None:
    """Before its time a scheduled send has sent nothing: status says SendGrid holds the emails
    until then, and never "All sent" (a colleague reads that as "the embargoed release is out")."""
    campaign_id, _, shown = scheduled_send()
    text = mailer("status", campaign_id).stdout
    assert "All sent" not in text and "suppressed" not in text
    assert text.endswith(
        f"Recipients: {RECIPIENTS} accepted\nSkipped:   2 duplicate, 5 invalid, 1 missing address\n"
        f"SendGrid holds these emails until {shown}. To call the send off (up to 10 minutes before): mailer cancel {campaign_id}\n"
        f"Every email is with SendGrid; none has gone out yet. Read opens and bounces after {shown} with: mailer report {campaign_id}\n"
    )
    document = json.loads(mailer("status", campaign_id, "--json").stdout)
    assert not any("All sent" in step for step in document["next"])
    # Once its time has passed, the send has gone out: then it is "All sent".
    later = status.status(db(), campaign_id, now=datetime.now(UTC) + timedelta(hours=3))
    assert later.next_steps == [f"All sent. Read opens and bounces later with: mailer report {campaign_id}"]


def test_cancelled_scheduled_send_reads_cancelled_everywhere(live: Path, standin: Any) -> None:
    """A scheduled send called off with `mailer cancel`: SendGrid discards its emails, so status, campaigns,
    report and contact (and their --json) say cancelled and never sent, not "41 accepted"."""
    campaign_id, _, shown = scheduled_send()
    assert mailer("cancel", campaign_id).exit_code == 0
    assert list(standin.scheduled.values()) == ["cancel"]

    text = mailer("status", campaign_id).stdout
    assert f"Campaign:  {campaign_id} (live, cancelled)\n" in text
    assert text.endswith(
        f"Recipients: {RECIPIENTS} cancelled: SendGrid discards them instead of sending them at {shown}\n"
        "Skipped:   2 duplicate, 5 invalid, 1 missing address\n"
        "This send was cancelled: none of its emails went out. To send the release after all: "
        f"mailer send releases/example.md --list lists/press.csv --at '{shown}'\n"  # its time, still ahead (newcomer 25 #7)
    )
    assert "accepted" not in text
    document = json.loads(mailer("status", campaign_id, "--json").stdout)
    assert (document["status"], document["counts"]["accepted"], document["counts"]["cancelled"]) == ("cancelled", 0, RECIPIENTS)
    # After the time it would have gone out, the same words in the past tense.
    later = status.status(db(), campaign_id, now=datetime.now(UTC) + timedelta(hours=3))
    with db().connect() as connection:
        stored = campaigns.get(connection, campaign_id)
    assert stored is not None
    assert (
        status.cancelled_words(later.counts["cancelled"], stored, now=datetime.now(UTC) + timedelta(hours=3))
        == f"{RECIPIENTS} cancelled: SendGrid discarded them; none went out"
    )

    [_, line] = mailer("campaigns").stdout.splitlines()
    cells = re.split(r" {2,}", line)
    assert cells[:3] == [campaign_id, "live", "cancelled"] and cells[5] == f"{RECIPIENTS}/{RECIPIENTS} cancelled, none sent"
    [listed] = json.loads(mailer("campaigns", "--json").stdout)
    assert (listed["status"], listed["accepted"], listed["cancelled"], listed["recipients"]) == ("cancelled", 0, RECIPIENTS, RECIPIENTS)

    report = mailer("report", campaign_id)
    assert report.exit_code == 0, report.output
    rows = [re.split(r"\s{2,}", line.strip("│ ").replace("│", "  ")) for line in report.stdout.splitlines() if line.startswith("│")]
    assert ["Cancelled (never sent)", str(RECIPIENTS)] in rows and ["Accepted by SendGrid", "0"] in rows
    assert report.stdout.endswith(
        f"Cancelled before it went out: SendGrid discarded the {RECIPIENTS} emails it held for {shown}, so no journalist received it.\n"
    )
    figures = json.loads(mailer("report", campaign_id, "--format", "json").stdout)
    assert (figures["figures"]["cancelled"]["count"], figures["figures"]["accepted"]["count"]) == (RECIPIENTS, 0)
    assert figures["cancelled"].startswith("Cancelled before it went out")
    people = json.loads(mailer("report", campaign_id, "--kind", "recipients", "--format", "json").stdout)["rows"]
    assert {row["state"] for row in people if not row["state"].startswith("skipped")} == {"cancelled"}
    assert mailer("report", campaign_id, "--format", "html", "-o", "page.html").exit_code == 0
    assert '<span class="badge">Cancelled</span> Cancelled before it went out' in Path("page.html").read_text(encoding="utf-8")

    contact = mailer("contact", JOURNALIST).stdout
    assert "  Outcome:  cancelled: never sent; opens by people: 0; clicks: 0\n" in contact
    assert "1 campaign, newest first (1 was cancelled before it went out):\n" in contact
    history = json.loads(mailer("contact", JOURNALIST, "--json").stdout)
    assert history["mailed"] is False
    assert (history["totals"]["campaigns"], history["totals"]["cancelled"]) == (0, 1)
    assert history["campaigns"][0]["state"] == "cancelled"


def test_overview_leaves_cancelled_campaigns_out_of_its_totals(river: Any) -> None:
    """A cancelled campaign in the period counts in no total, trend or row of the overview: it is
    listed apart, marked, and the command says so (the totals are those of the sent campaigns)."""
    from eventlog import add_campaign, add_message

    build_cancelled = "2026-03-20-honey-prices"
    add_campaign(river, build_cancelled, subject="Honey prices", created=int(datetime(2026, 3, 20, 9, tzinfo=UTC).timestamp()))
    for n in range(4):
        add_message(river, build_cancelled, f"press{n}@honey.example")
    due = datetime(2026, 3, 21, 8, tzinfo=UTC)
    with river.begin() as connection:
        connection.execute(
            update(campaign).where(campaign.c.id == build_cancelled).values(status="cancelled", scheduled_at=due, sendgrid_batch_id="B1")
        )
    code, out = cli(river, "report", "--overview", "--since", "2026-02-01", "--until", "2026-03-31", "-o", "q.html")
    assert code == 0, out
    assert (
        out == "Wrote the overview of 2 campaigns from 2026-02-01 to 2026-03-31 (1 cancelled before it went out, listed apart) to q.html\n"
    )
    page = Path("q.html").read_text(encoding="utf-8")
    assert "2 live campaigns · 1 cancelled before it went out, listed apart ·" in page
    # The totals of the two sent campaigns alone, as before: 6 delivered of 10 accepted (not of 14).
    assert '<div class="n">6</div><div class="l">delivered</div><div class="r">60.0% of accepted</div>' in page
    assert '<div class="n">2</div><div class="l">campaigns</div>' in page
    every, apart = page.split("<h2>Cancelled before they went out</h2>")
    assert build_cancelled not in every and RIVER in every
    assert re.findall(r">([^<]*)</td>", apart) == ["2026-03-21 08:00", "Honey prices", "4", build_cancelled]


def test_suppressing_an_address_a_scheduled_send_holds_warns(live: Path, standin: Any) -> None:
    """`suppressions add` of a journalist a scheduled send has handed to SendGrid: suppressed, and a
    warning names the send, its time and the way out; none once cancelled, none for an address it does not hold."""
    campaign_id, at, shown = scheduled_send()
    result = mailer("suppressions", "add", JOURNALIST, "nobody@example.net", "--reason", "phoned")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Suppressed 2 addresses.\n"
    # Another test's events import on another worker (its own schema, the same database) may hold the ingest lock a moment.
    said = without_log_line(result.stderr).replace(INGEST_WAIT, "")
    assert " ".join(said.split()) == (
        f"Warning: SendGrid still holds an email for {JOURNALIST} in {campaign_id}, scheduled for {shown}: the suppression does "
        f"not stop what SendGrid already holds. To stop it: mailer cancel {campaign_id} (up to 10 minutes before), then send the "
        "release again; this address is skipped then."
    )
    # And `mailer status` of that send says so, next to the way to call it off.
    assert (
        "1 of these journalists was suppressed or erased since: SendGrid mails them all the same at "
        f"{shown} unless you cancel the send (mailer cancel {campaign_id}) and send the release again, which skips them.\n"
    ) in mailer("status", campaign_id).stdout
    # The look-up both commands share: soonest first, grouped per campaign; nothing once the time has passed.
    [held] = status.held_at_sendgrid(db(), [OTHER.upper(), JOURNALIST, "nobody@example.net"])
    assert (held.campaign_id, held.scheduled_at, held.addresses) == (campaign_id, at, (JOURNALIST, OTHER))
    assert "emails for 2 of them (amara.okafor@example.com, li.wei@example.org)" in held.warning()
    assert status.held_at_sendgrid(db(), [OTHER], now=at + timedelta(minutes=1)) == []
    assert mailer("cancel", campaign_id).exit_code == 0
    quiet = mailer("suppressions", "add", OTHER, "--reason", "phoned")
    assert quiet.exit_code == 0 and "Warning" not in quiet.stderr


def test_forgetting_an_address_a_scheduled_send_holds_warns(live: Path, standin: Any) -> None:
    """`mailer forget` of a journalist a scheduled send has handed to SendGrid erases them, and
    warns that SendGrid still mails them at that time unless the send is cancelled (--json: in its warnings)."""
    campaign_id, _, shown = scheduled_send()
    result = mailer("forget", JOURNALIST, "--yes", "--json")
    assert result.exit_code == 0, result.output
    [warning] = [w for w in json.loads(result.stdout)["warnings"] if w.startswith("SendGrid still holds")]  # lists holding it: another
    assert warning.startswith(f"SendGrid still holds an email for {JOURNALIST} in {campaign_id}, scheduled for {shown}")
    assert f"mailer cancel {campaign_id}" in warning
    assert "1 of these journalists was suppressed or erased since" in mailer("status", campaign_id).stdout


def test_status_does_not_count_an_address_let_through_on_purpose(live: Path, standin: Any) -> None:
    """A journalist suppressed before the send and let through by name (--override-suppression) was
    mailed on purpose: status of the scheduled send does not count them as suppressed since."""
    assert mailer("suppressions", "add", JOURNALIST, "--reason", "bounced once").exit_code == 0
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--yes", "--no-test-ok", "--override-suppression", JOURNALIST, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code == 0, sent.output
    assert f"Recipients: {RECIPIENTS} accepted\n" in (text := mailer("status", "latest").stdout)
    assert "suppressed or erased since" not in text


def test_status_of_a_cancelled_send_shows_no_unknown_errors(store: Engine) -> None:
    """A cancel given while the send was still handing requests to SendGrid can leave rows unknown (a
    timeout): SendGrid discards the whole batch, so they count as cancelled, with no error to explain."""
    from eventlog import add_campaign, add_message

    add_campaign(store, "c-1")
    add_message(store, "c-1", "a@x.example")
    add_message(store, "c-1", "b@x.example", state="unknown")
    with store.begin() as connection:
        connection.execute(update(message).where(message.c.state == "unknown").values(error="no answer within 30 s"))
        connection.execute(update(campaign).where(campaign.c.id == "c-1").values(status="cancelled"))
    found = status.status(store, "c-1")
    assert (found.counts["cancelled"], found.counts["unknown"], found.counts["accepted"], list(found.errors)) == (2, 0, 0, [])
