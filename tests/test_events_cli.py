"""`mailer events import FILE...`: counts added, duplicates and unlinked; a broken file changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import without_log_line
from eventlog import DATA, add_campaign, add_message, event_count, messages, suppressions
from sqlalchemy import Engine, select

from mailer import events
from mailer.cli import main
from mailer.store.schema import event

CAMPAIGN = "2026-02-19-wetlands"


def run(store: Engine, *args: str) -> tuple[int, str]:
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, without_log_line(result.output)


def seed(store: Engine) -> None:
    add_campaign(store, CAMPAIGN)
    for name, domain in [("ana", "example.org"), ("ben", "paper.example"), ("cleo", "example.net"), ("dan", "example.com")]:
        add_message(store, CAMPAIGN, f"{name}@{domain}", key=f"m-{name}")


def test_events_cli_import_reports_added_duplicates_unlinked(store: Engine) -> None:
    """Importing reports what was added, what was already there and what could not be linked."""
    seed(store)
    code, out = run(store, "events", "import", str(DATA / "all-types.json"))
    assert code == 0, out
    # eve, fay, gus have no message row here, and hal's event is an account event: 5 unlinked.
    # eve's, fay's and gus's events carry message keys this log never gave out: another log's
    # mail, counted as no open here, whose spam report and unsubscribes still suppress (newcomer 14 #1).
    assert out.splitlines()[:3] == [
        "Read 12 events from 1 file.",
        "Added 12, skipped 0 already in the log, 5 could not be linked to a message.",
        "4 addresses are now suppressed (bounced, complained or unsubscribed).",
    ]
    assert "4 events name a message this delivery log never sent" in " ".join(out.split())
    code, out = run(store, "events", "import", str(DATA / "all-types.ndjson"), str(DATA / "all-types.json"))
    assert out.splitlines()[:2] == [
        "Read 24 events from 2 files.",
        "Added 0, skipped 24 already in the log, 0 could not be linked to a message.",
    ]
    assert messages(store, CAMPAIGN)["ben@paper.example"] == ("accepted", "bounced")


def test_events_cli_broken_line_is_quarantined_and_the_rest_stored(store: Engine) -> None:
    """A broken NDJSON line is named by file and line and quarantined; the good lines are stored."""
    path = DATA / "broken-line-4.ndjson"
    code, out = run(store, "events", "import", str(path))
    assert code == 0, out
    assert out.splitlines()[:4] == [
        "Read 5 events from 1 file.",
        "Added 4, skipped 0 already in the log, 4 could not be linked to a message.",
        "1 address is now suppressed (bounced, complained or unsubscribed).",
        "Events that cannot be linked name no message of this log: an address it never mailed, an event dated before the email to its address was sent or more than a week after it (SendGrid's own events carry the message key press-mailer gave each email and are linked whenever they come), or a type SendGrid does not send. They are kept but not counted.",
    ]
    assert f"Quarantined 1 event that could not be read (the others were stored):\n  {path} line 4: not valid JSON (" in out
    assert "mailer events quarantine" in out
    assert "Traceback" not in out
    assert event_count(store) == 4


def test_events_cli_unreadable_file_changes_nothing(store: Engine, tmp_path: Path) -> None:
    """A folder given as the second file stops the import before anything from the first is stored."""
    code, out = run(store, "events", "import", str(DATA / "all-types.json"), str(tmp_path))
    assert code == 1
    assert out.startswith(f"Error: {tmp_path}: is a folder, not an events file.")
    assert event_count(store) == 0


def test_events_cli_missing_file(store: Engine) -> None:
    """A file that is not there is named."""
    code, out = run(store, "events", "import", "nowhere.json")
    assert code == 1
    assert out.startswith("Error: nowhere.json: no such file.")


def test_events_raw_json_is_kept_whole(store: Engine, tmp_path: Path) -> None:
    """The stored raw JSON holds every field of the event as received, unknown ones included."""
    shutil.copy(DATA / "all-types.json", tmp_path / "e.json")
    run(store, "events", "import", str(tmp_path / "e.json"))
    original = json.loads((DATA / "all-types.json").read_text(encoding="utf-8"))
    with store.connect() as connection:
        stored = [json.loads(raw) for raw in connection.scalars(select(event.c.raw).order_by(event.c.id))]
    assert stored == original


def test_events_dedupe_key_ignores_only_the_event_id() -> None:
    """Two events differing only in sg_event_id share a dedupe key; any other change gives a new one."""
    base = {"email": "a@example.org", "event": "open", "timestamp": 1, "sg_event_id": "x1", "useragent": "Mail"}
    same = events.from_object(dict(base, sg_event_id="y2"), where="x").dedupe_key
    assert events.from_object(base, where="x").dedupe_key == same
    assert events.from_object(dict(base, useragent="Other"), where="x").dedupe_key != same


TYPO_WARNING = (
    'Warning: 2 events of a type SendGrid does not send ("opened" 1 (SendGrid\'s name: open), "unsubscribed" 1 '
    "(SendGrid's name: unsubscribe)) are kept in the log but change nothing: no delivery, open, click, bounce or suppression. "
    'SendGrid\'s types are processed, dropped, delivered, deferred, bounce (a block is "event": "bounce" with "type": "blocked"), '
    "open, click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe (and account_status_change, about the account). "
    "Nobody was suppressed by them: to stop mailing someone, run `mailer suppressions add ADDRESS`, or import the corrected "
    "events under new sg_event_id values (an id already in the log is skipped)."
)


def test_events_cli_unknown_types_are_kept_and_named_as_changing_nothing(store: Engine, tmp_path: Path) -> None:
    """Events written by hand in the README's words ("opened", "unsubscribed") are kept, but the
    import says they change nothing and gives SendGrid's names; nobody is suppressed, nothing is
    counted as opened (nc9 #12: "Added 2", then silence). A second import stores nothing new and
    says so again; the same events under SendGrid's names do what they say."""
    seed(store)
    typo = tmp_path / "typo.ndjson"
    written = [
        {
            "event": "opened",
            "email": "ana@example.org",
            "timestamp": 1771495300,
            "sg_event_id": "typo-1",
            "campaign": CAMPAIGN,
            "message": "m-ana",
        },
        {
            "event": "unsubscribed",
            "email": "ana@example.org",
            "timestamp": 1771495400,
            "sg_event_id": "typo-2",
            "campaign": CAMPAIGN,
            "message": "m-ana",
        },
    ]
    typo.write_text("".join(json.dumps(e) + "\n" for e in written), encoding="utf-8")
    code, out = run(store, "events", "import", str(typo))
    assert code == 0, out
    assert TYPO_WARNING in " ".join(out.split())
    assert "Added 2, skipped 0 already in the log, 0 could not be linked to a message." in out
    assert "now suppressed" not in out
    assert (event_count(store), suppressions(store), messages(store, CAMPAIGN)["ana@example.org"]) == (2, {}, ("accepted", None))
    again = CliRunner().invoke(main, ["events", "import", str(typo), "--json"])  # mailer.toml written by run()
    found = json.loads(again.stdout)
    assert (found["added"], found["duplicates"], found["unknown_types"]) == (0, 2, {"opened": 1, "unsubscribed": 1})
    assert found["warnings"] == [TYPO_WARNING.removeprefix("Warning: ")]
    assert event_count(store) == 2
    fixed = tmp_path / "fixed.ndjson"
    names = {"opened": "open", "unsubscribed": "unsubscribe"}
    fixed.write_text(
        "".join(json.dumps(e | {"event": names[e["event"]], "sg_event_id": e["sg_event_id"] + "b"}) + "\n" for e in written),
        encoding="utf-8",
    )
    code, out = run(store, "events", "import", str(fixed))
    assert code == 0, out
    assert "Warning" not in out and "1 address is now suppressed" in out
    assert suppressions(store) == {"ana@example.org": ("unsubscribe", "import")}


def test_events_cli_blocked_by_name_is_not_a_block(store: Engine, tmp_path: Path) -> None:
    """ "blocked" is not an event SendGrid sends (a block is a bounce of type "blocked"): three of them
    change nothing, and the warning names the real form; a SendGrid account event is no such type."""
    seed(store)
    path = tmp_path / "blocked.json"
    blocked = [
        {"event": "blocked", "email": "ben@paper.example", "timestamp": 1771495300 + i, "campaign": CAMPAIGN, "message": "m-ben"}
        for i in range(3)
    ]
    account = {"event": "account_status_change", "type": "compliance_suspend", "timestamp": 1771495300, "sg_event_id": "acct-1"}
    path.write_text(json.dumps([*blocked, account]), encoding="utf-8")
    code, out = run(store, "events", "import", str(path))
    assert code == 0, out
    said = " ".join(out.split())
    assert 'Warning: 3 events of a type SendGrid does not send ("blocked" 3 (SendGrid\'s name: "bounce" with "type": "blocked"))' in said
    assert "account_status_change" not in said.split("SendGrid's types are")[0]
    assert (suppressions(store), messages(store, CAMPAIGN)["ben@paper.example"]) == ({}, ("accepted", None))
