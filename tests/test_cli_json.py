"""--json on send, test, resume, events import, suppressions sync and forget: one document on standard output.

Every command here runs through the command line against the stand-in, on SQLite and PostgreSQL,
with the press office of tests/press_office.py (5 journalists and a duplicate row, one request
of up to 10). Standard output must parse as exactly one JSON document; the plan, progress and
the Log: line go to standard error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from press_office import event, folder, keys, mailer
from test_cli_schedule import two_hours_ahead
from test_suppressions_sync import serve_lists

from mailer.send.prepare import new_log_warning
from mailer.store import display_url

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv")
NEVER_TESTED = "This exact content was never test-sent to staff (mailer test). Typos are easier to fix before."
ZERO = {"planned": 0, "sending": 0, "accepted": 0, "failed": 0, "unknown": 0, "skipped": 0}


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    return folder(tmp_path, standin, db_url)


def document(result: Any) -> dict[str, Any]:
    """Standard output as one JSON document (json.loads refuses anything before or after it)."""
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_json_live_send_without_yes_is_refused_with_a_document(office: Path, standin: Any, db_url: str) -> None:
    """--json never prompts into a pipe: a live send without --yes sends nothing and says why, on both outputs."""
    result = mailer(*SEND, "--json")
    assert result.exit_code == 1
    assert document(result) == {
        "error": "Not sending: a live send with --json needs --yes (--json asks no questions; this one was: "
        '"Send this release to 5 journalists?").',
        "hint": "Add --yes to send (the plan above went to standard error), or leave out --json to be asked.",
        "exit_code": 1,
        "warnings": [new_log_warning(db_url)],  # the office's first live send: a new log (session 17)
    }
    assert "Recipients: 5\n" in result.stderr and "Error: Not sending: a live send with --json needs --yes" in result.stderr
    assert standin.requests == []


def test_json_live_send_document(office: Path, standin: Any, db_url: str) -> None:
    """The outcome of a live send: campaign, counts per state, nothing written, the warnings shown."""
    result = mailer(*SEND, "--yes", "--json")
    assert result.exit_code == 0, result.output
    found = document(result)
    assert found == {
        "campaign": found["campaign"],
        "mode": "live",
        "subject": "Riverbend Beekeepers count record 1.2 million bees in first city-wide census",
        "scheduled": None,
        "recipients": 5,
        "skipped": {"duplicate": 1},
        "requests": 1,
        "counts": {**ZERO, "accepted": 5, "skipped": 1},
        "errors": [],
        "complete": True,
        "interrupted": False,
        "outbox": None,
        "eml_written": None,
        "skipped_file": None,
        "log": display_url(db_url),
        "warnings": [new_log_warning(db_url), NEVER_TESTED],
    }
    assert found["campaign"].endswith("-example")
    assert result.stderr.startswith("Log: ")
    assert "Recipients: 5\n" in result.stderr and "Accepted:   5   failed: 0" in result.stderr
    assert standin.accepted_addresses().total() == 5


def test_json_send_with_failures_prints_the_document_then_exits_3(office: Path, standin: Any) -> None:
    """SendGrid refuses the one request: the document says so (errors, complete false), the exit code is 3."""
    standin.answer(400, times=1, body={"errors": [{"message": "Invalid personalizations", "field": "personalizations", "help": None}]})
    result = mailer(*SEND, "--yes", "--json")
    assert result.exit_code == 3
    found = document(result)
    assert (found["counts"], found["complete"]) == ({**ZERO, "failed": 5, "skipped": 1}, False)
    assert found["errors"] == [{"state": "failed", "error": "personalizations: Invalid personalizations", "recipients": 5}]
    assert "Error: The send ended with 5 failed recipients and 0 unknown." in result.stderr
    again = mailer("resume", found["campaign"], "--retry-failed", "--yes", "--json")
    assert again.exit_code == 0, again.output
    resumed = document(again)
    assert resumed["campaign"] == found["campaign"]
    assert (resumed["counts"], resumed["errors"], resumed["complete"]) == ({**ZERO, "accepted": 5, "skipped": 1}, [], True)
    assert "Sending again to 5 recipients that failed with: personalizations: Invalid personalizations\n" in again.stderr
    assert standin.accepted_addresses().total() == 5


def test_json_dry_run_names_the_files_written(office: Path, standin: Any) -> None:
    """A dry run needs no --yes; the document names the outbox, the .eml count and skipped.csv, which exist."""
    result = mailer(*SEND, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    found = document(result)
    assert (found["mode"], found["counts"], found["eml_written"]) == ("dry-run", {**ZERO, "accepted": 5, "skipped": 1}, 5)
    outbox = Path(found["outbox"])
    assert len(list(outbox.glob("*.eml"))) == 5 and (outbox / "request-0001.json").is_file()
    assert Path(found["skipped_file"]) == outbox / "skipped.csv" and (outbox / "skipped.csv").is_file()
    assert "This was a dry run: nothing was sent." in result.stderr
    assert standin.requests == []


def test_json_test_send(office: Path, standin: Any) -> None:
    """mailer test --json: mode test, the [TEST] subject, who it went to."""
    result = mailer("test", "releases/example.md", "--to", "Proof@Example.org", "--json")
    assert result.exit_code == 0, result.output
    found = document(result)
    assert (found["mode"], found["to"], found["recipients"], found["counts"]) == ("test", ["Proof@example.org"], 1, {**ZERO, "accepted": 1})
    assert found["subject"].startswith("[TEST] ")


def test_json_events_import_counts(office: Path, standin: Any) -> None:
    """6 lines: 4 events about our messages, 1 about an address never mailed, 1 broken; cleo's bounce suppresses her.

    First import: received 6, added 5 (the unlinked one is kept), unlinked 1, suppressed 1,
    quarantined 1 (line 6). Again: added 0, the 5 already there are duplicates, nothing newly suppressed.
    """
    assert mailer(*SEND, "--yes").exit_code == 0
    k = keys(standin)
    [campaign_id] = {c for c, _ in k}
    lines = [
        json.dumps(event("delivered", "ana@daily.example", campaign_id, k[campaign_id, "ana@daily.example"], 1_800_000_000)),
        json.dumps(event("open", "ana@daily.example", campaign_id, k[campaign_id, "ana@daily.example"], 1_800_000_100)),
        json.dumps(
            event("click", "ana@daily.example", campaign_id, k[campaign_id, "ana@daily.example"], 1_800_000_200, url="https://x.example/")
        ),
        json.dumps(
            event(
                "bounce",
                "cleo@gazette.example",
                campaign_id,
                k[campaign_id, "cleo@gazette.example"],
                1_800_000_000,
                type="bounce",
                reason="550",
            )
        ),
        json.dumps({"email": "stranger@example.com", "event": "open", "timestamp": 1_800_000_000, "sg_event_id": "stranger-1"}),
        '{"email": "broken@example.com", "event": ',
    ]
    (office / "events.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = mailer("events", "import", "events.ndjson", "--json")
    assert first.exit_code == 0, first.output
    quarantine = [{"where": "events.ndjson line 6", "reason": document(first)["quarantine"][0]["reason"]}]
    assert document(first) == {
        "files": ["events.ndjson"],
        "received": 6,
        "added": 5,
        "duplicates": 0,
        "unlinked": 1,
        "foreign": 0,
        "suppressed": 1,
        "quarantined": 1,
        "quarantine": quarantine,
        "unknown_types": {},
        "warnings": [],
    }
    assert "Read 6 events from 1 file.\n" in first.stderr
    again = document(mailer("events", "import", "events.ndjson", "--json"))
    assert (again["added"], again["duplicates"], again["suppressed"], again["quarantined"]) == (0, 5, 0, 1)


def test_json_suppressions_sync(office: Path, standin: Any) -> None:
    """The counts per SendGrid list, the table on standard error.

    The sync tests' lists hold 1208 entries; bounced0@example.org is on two of them, and the block is counted
    but not copied (review 23b #1), so 1206 addresses are new.
    """
    serve_lists(standin)
    result = mailer("suppressions", "sync", "--json")
    assert result.exit_code == 0, result.output
    found = document(result)
    assert (found["added"], found["suppressed"]) == (1206, 1206)
    assert sum(entry["found"] for entry in found["lists"].values()) == 1208
    assert set(found["lists"]) == {"bounces", "blocks", "invalid_emails", "spam_reports", "unsubscribes"}
    assert "SendGrid suppression lists" in result.stderr


def test_json_forget(office: Path, standin: Any) -> None:
    """forget --json needs --yes; then it says what was erased: rows, campaigns, events, files."""
    assert mailer(*SEND, "--yes").exit_code == 0
    assert mailer(*SEND[:2], "--list", "lists/beat.csv", "--dry-run", "--include-previous").exit_code == 0
    refused = mailer("forget", "dan@gazette.example", "--json")
    assert refused.exit_code == 1
    assert document(refused)["error"] == "Not erasing dan@gazette.example: --json asks no questions, and erasing cannot be undone."
    result = mailer("forget", "Dan@Gazette.example", "--yes", "--json")
    assert result.exit_code == 0, result.output
    found = document(result)
    assert (found["address"], found["messages"], len(found["campaigns"]), found["events"], found["previous_suppression"]) == (
        "dan@gazette.example",
        2,
        2,
        0,
        None,
    )
    assert [Path(p).suffix for p in found["files"]["deleted"]] == [".eml"]
    assert [Path(p).name for p in found["files"]["rewritten"]] == ["request-0001.json"]
    assert (found["files"]["left"], found["report_files"]) == ([], [])
    assert "Erased dan@gazette.example from 2 message rows in 2 campaigns" in result.stderr


def test_json_scheduled_send_names_its_time_in_utc(office: Path, standin: Any) -> None:
    """--at in a zone: "scheduled" is the same instant in UTC, ISO 8601."""
    goes_out, at = two_hours_ahead("America/New_York")
    result = mailer(*SEND, "--yes", "--at", at, "--json")
    assert result.exit_code == 0, result.output
    found = document(result)
    assert found["scheduled"] == goes_out.isoformat(timespec="seconds")
    assert found["scheduled"].endswith("+00:00") and found["counts"]["accepted"] == 5
