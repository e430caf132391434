"""Reasons22: the delivery log told a row a list's own opt-out column turned away, and one its
consent column did (empty, or anything but yes), by the word it keeps for its own suppression
list: "suppressed". `mailer status`, a dry run's skipped.csv, the reports and `mailer contact`
said so, and a press officer looked in `mailer suppressions list`, which did not hold her. The
log now keeps "opted out" and "without consent" apart from "suppressed" (unsubscribed, bounced,
added by hand), and a log written before, which holds "suppressed" for them, reads the same.

Commands run through click's CliRunner in an office folder; SendGrid is the local stand-in.
Each test failed before the fix.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import Result
from office_cli import campaign_of, mailed, mailer, office, page_text
from openpyxl import load_workbook
from sqlalchemy import create_engine, update

from mailer.models import LogColumns, MessageState
from mailer.store import plan_parts
from mailer.store.schema import message

# A list kept for the GDPR (Jane's consent cell is empty, Bob's says no, Ann's yes) and a CRM
# export whose opt-out column marks Lee; Kim bounced last month (suppressed in the log).
GDPR = "Email,First Name,Email consent\njane@example.org,Jane,\nbob@example.org,Bob,no\nann@example.org,Ann,yes\n"
CRM = "Email,First Name,Do Not Email\nlee@example.org,Lee,yes\nkim@example.org,Kim,\n"
LISTS = ("--list", "lists/beat.csv", "--list", "lists/crm.csv")
STATUS_LINE = "Skipped:   1 opted out (the list says so), 2 without consent (the list's consent column), 1 suppressed"


def _office(folder: Path, standin: Any, db_url: str) -> None:
    """An office whose lists are GDPR (lists/beat.csv) and CRM (lists/crm.csv), Kim suppressed."""
    office(folder, standin, db_url, beat=GDPR)
    (folder / "lists" / "crm.csv").write_text(CRM, encoding="utf-8")
    os.chdir(folder)
    added = mailer("suppressions", "add", "kim@example.org", "--reason", "bounced")
    assert added.exit_code == 0, added.output


def _sent(*more: str) -> Result:
    result = mailer("send", "releases/example.md", *LISTS, "--yes", "--no-test-ok", *more)
    assert result.exit_code == 0, result.output
    return result


def _as_written_before(db_url: str) -> None:
    """The log as a press-mailer before this one wrote it: the lists' own rows skipped as "suppressed"."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            done = connection.execute(
                update(message)
                .where(message.c.email.in_(("jane@example.org", "bob@example.org", "lee@example.org")))
                .values(skip_reason="suppressed")
            )
            assert done.rowcount == 3
    finally:
        engine.dispose()


def test_status_tells_the_lists_own_rows_from_the_suppressed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer status` said "Skipped:   4 suppressed" (and --json {"suppressed": 4}) of a send that
    skipped one row the CRM's opt-out column marks, two without consent and one the log suppressed:
    `mailer suppressions list` then showed one of the four. It now says which is which."""
    _office(tmp_path, standin, db_url)
    campaign = campaign_of(_sent())
    assert mailed(standin) == ["ann@example.org"]
    status = mailer("status", campaign)
    assert status.exit_code == 0, status.output
    assert STATUS_LINE in status.output, status.output
    document = json.loads(mailer("status", campaign, "--json").stdout)
    assert document["skipped"] == {"opted out": 1, "without consent": 2, "suppressed": 1}


def test_send_json_counts_the_lists_own_rows_apart(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send's --json gave "skipped": {"suppressed": 4}, while its plan line said "1 opted out, 2
    without consent, 1 suppressed"; it now counts them as the log and `mailer status` do."""
    _office(tmp_path, standin, db_url)
    result = _sent("--json")
    assert "Skipped:    4 (1 opted out, 2 without consent, 1 suppressed)" in result.stderr, result.stderr
    assert json.loads(result.stdout)["skipped"] == {"opted out": 1, "suppressed": 1, "without consent": 2}


def test_dry_run_skipped_csv_gives_the_lists_own_reasons(tmp_path: Path, standin: Any, db_url: str) -> None:
    """skipped.csv's reason column read "suppressed" for Jane (no consent), Bob (consent: no) and Lee
    (the CRM's Do Not Email), as for Kim, whom the log suppressed."""
    _office(tmp_path, standin, db_url)
    result = mailer("send", "releases/example.md", *LISTS, "--dry-run", "--yes")
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "out" / "outbox" / campaign_of(result) / "skipped.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [row.split(",")[:2] for row in rows] == [
        ["email", "reason"],
        ["jane@example.org", "without consent"],
        ["bob@example.org", "without consent"],
        ["lee@example.org", "opted out"],
        ["kim@example.org", "suppressed"],
    ]


def test_reports_tell_the_lists_own_rows_from_the_suppressed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The summary (terminal, HTML page, XLSX) said "Skipped: suppressed 4", the recipients report
    "skipped: suppressed" for each of them."""
    _office(tmp_path, standin, db_url)
    campaign = campaign_of(_sent())
    summary = mailer("report", campaign, "--format", "csv", "-o", "-")
    assert summary.exit_code == 0, summary.output
    assert "Skipped: opted out (the list says so),1" in summary.stdout, summary.stdout
    assert "Skipped: without consent (the list's consent column),2" in summary.stdout, summary.stdout
    assert "Skipped: suppressed,1" in summary.stdout, summary.stdout
    page = mailer("report", campaign, "--format", "html", "-o", "report.html")
    assert page.exit_code == 0, page.output
    text = page_text(tmp_path / "report.html")
    assert (
        "Skipped: opted out (the list says so) | 1 | | Skipped: without consent (the list's consent column) | 2 | | "
        "Skipped: suppressed | 1 |" in text
    ), text
    book = mailer("report", campaign, "--format", "xlsx", "-o", "report.xlsx")
    assert book.exit_code == 0, book.output
    cells = [tuple(row[:2]) for row in load_workbook(tmp_path / "report.xlsx").active.iter_rows(values_only=True)]
    assert ("Skipped: opted out (the list says so)", 1) in cells and ("Skipped: suppressed", 1) in cells, cells
    assert ("Skipped: without consent (the list's consent column)", 2) in cells, cells
    listing = mailer("report", campaign, "--kind", "recipients", "--format", "csv", "-o", "-")
    states = {line.split(",")[0]: line for line in listing.stdout.splitlines()}
    assert "skipped: without consent" in states["jane@example.org"] and "skipped: opted out" in states["lee@example.org"]
    assert "skipped: suppressed" in states["kim@example.org"], listing.stdout


def test_contact_and_show_name_the_lists_own_reason(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer contact --json` gave "skip_reason": "suppressed" for Bob, whose consent cell says no
    (and "Suppressed: no" above it); `mailer show CAMPAIGN --contact` said Lee "was skipped in ...
    (suppressed)"."""
    _office(tmp_path, standin, db_url)
    campaign = campaign_of(_sent())
    bob = json.loads(mailer("contact", "bob@example.org", "--json").stdout)
    assert [s["skip_reason"] for s in bob["campaigns"]] == ["without consent"], bob
    lee = mailer("contact", "lee@example.org")
    assert 'Outcome:  skipped: opted out of email ("Do Not Email": yes)' in lee.output, lee.output
    shown = mailer("show", campaign, "--contact", "lee@example.org")
    assert shown.exit_code == 1
    assert f"lee@example.org was skipped in {campaign} (opted out): nothing was sent to them." in shown.output, shown.output


def test_a_log_written_before_reads_the_lists_own_rows_apart(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A log an earlier press-mailer wrote holds "suppressed" for the rows the lists turned away:
    status, the report and `mailer contact` read them by their detail, as the log writes them now."""
    _office(tmp_path, standin, db_url)
    campaign = campaign_of(_sent())
    _as_written_before(db_url)
    status = mailer("status", campaign)
    assert STATUS_LINE in status.output, status.output
    summary = mailer("report", campaign, "--format", "csv", "-o", "-")
    assert "Skipped: without consent (the list's consent column),2" in summary.stdout, summary.stdout
    listing = mailer("report", campaign, "--kind", "recipients", "--format", "csv", "-o", "-")
    assert "skipped: opted out" in next(line for line in listing.stdout.splitlines() if line.startswith("lee@")), listing.stdout
    jane = json.loads(mailer("contact", "jane@example.org", "--json").stdout)
    assert [s["skip_reason"] for s in jane["campaigns"]] == ["without consent"], jane


def test_plan_parts_kept_before_count_the_lists_own_rows_apart(store: Any) -> None:
    """A large send stopped while its plan was still in parts counted a part an earlier version kept
    by its "suppressed"; `mailer status` counts those rows apart as it does the log's."""
    from datetime import UTC, datetime

    from eventlog import add_campaign

    add_campaign(store, "c1")
    skipped = MessageState.SKIPPED.value
    rows = [
        ("k1", "lee@example.org", {}, "lists/crm.csv:2", skipped, "suppressed", None, 'opted out of email ("Do Not Email": yes)', None),
        (
            "k2",
            "jane@example.org",
            {},
            "lists/gdpr.csv:2",
            skipped,
            "suppressed",
            None,
            'no consent to email ("Email consent" is empty)',
            None,
        ),
        ("k3", "bob@example.org", {}, "lists/gdpr.csv:3", skipped, "suppressed", None, "gave no consent to email (row 5 says so)", None),
        ("k4", "kim@example.org", {}, "lists/crm.csv:3", skipped, "suppressed", None, "manual (bounced)", None),
    ]
    with store.begin() as connection:
        plan_parts.keep(connection, "c1", [LogColumns.of(rows)], now=datetime.now(UTC))
        assert plan_parts.skipped(connection, "c1") == {"opted out": 1, "without consent": 2, "suppressed": 1}


def test_a_follow_up_leaves_out_the_lists_own_rows(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A follow-up of those who did not open mails Ann only: the rows skipped as the list's own
    ("opted out", "without consent") are no journalists of the campaign, as the log's suppressed."""
    _office(tmp_path, standin, db_url)
    campaign = campaign_of(_sent())
    standin.reset()
    result = mailer(
        "send", "releases/example.md", "--follow-up", campaign, "--who", "not-opened", "--include-previous", "--yes", "--no-test-ok"
    )
    assert result.exit_code == 0, result.output
    assert mailed(standin) == ["ann@example.org"], result.output
