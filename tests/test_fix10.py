"""Fixes of session 10: two resumes racing, status of a held send, `mailer contact`'s lists, the
quarantine after a repair, and a resume with nobody left.

Each test is one finding, written failing before its fix.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import todays_campaign
from test_cli_send import SEND, mailer
from test_review8b import send_stopped_after_plan, twice
from test_send_races import RECIPIENTS, finish, start

from mailer.cli import send as send_cli

JOURNALIST = "amara.okafor@example.com"  # row 1 of lists/press.csv


def scheduled_send(*extra: str) -> tuple[str, str]:
    """`mailer send` of lists/press.csv scheduled two hours ahead; (campaign id, its time as the commands show it)."""
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC", *extra)
    assert sent.exit_code == 0, sent.output
    return todays_campaign(), f"{at:%Y-%m-%d %H:%M} UTC"


def import_events(folder: Path, events: list[dict[str, Any]], name: str = "events.ndjson") -> None:
    """`mailer events import` of a file holding these events, one JSON object a line."""
    (folder / name).write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    result = mailer("events", "import", name)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.usefixtures("live")
def test_fix10_two_stopped_sends_resumed_at_once_mail_nobody_twice(project: Path, standin: Any, db_url: str) -> None:
    """Two stopped sends of one release, the second made with --include-previous (so both planned every
    journalist), resumed at the same moment in two terminals: each journalist gets the release once.

    Whichever resume starts second skips the journalists the other is sending right now (its lease is
    held), as a resume already skips those another send reached since it was planned. --include-previous
    does not change that: the press officer asked to mail again those who had the release when the send
    was planned, not to have two sends mail the same journalist within the same minutes; and if the first
    send stops half-way, its own `mailer resume` mails the rest of them (they wait in it)."""
    send_stopped_after_plan()
    first = todays_campaign()
    send_stopped_after_plan("--include-previous")
    second = f"{first}-2"
    assert standin.mail_sends == []
    config = (project / "mailer.toml").read_text(encoding="utf-8")
    (project / "mailer.toml").write_text(config.replace("batch_size = 10", "batch_size = 5\nconcurrency = 1"), encoding="utf-8")
    standin.slow(0.3)  # 9 requests one after the other: about 3 s each, so the two resumes overlap
    one, other = start(project, standin, "resume", first, "--yes"), start(project, standin, "resume", second, "--yes")
    results = [finish(one), finish(other)]
    for code, _, err in results:
        assert code == 0, err
    assert twice(standin) == []
    assert len(standin.accepted_addresses()) == RECIPIENTS
    said = "".join(out + err for _, out, err in results)
    assert "skipped: " in said and ", another send of this same release, " in said, said  # the second says why


def test_fix10_status_of_a_held_send_counts_an_unsubscribe_logged_late(live: Path, standin: Any) -> None:
    """A journalist unsubscribed five minutes before a scheduled send was planned, but the events file
    saying so was imported only after (SendGrid's retries, a file read late): planning could not skip
    them, and SendGrid mails them at the send's time. `mailer status` of the held send must count them
    as suppressed since, as a resume would skip them (messages.skip_suppressed): the way out is named."""
    campaign_id, shown = scheduled_send()
    clicked = int(time.time()) - 300
    import_events(live, [{"email": JOURNALIST, "event": "unsubscribe", "timestamp": clicked, "sg_event_id": "u-late"}])
    assert (
        "1 of these journalists was suppressed or erased since: SendGrid mails them all the same at "
        f"{shown} unless you cancel the send (mailer cancel {campaign_id}) and send the release again, which skips them.\n"
    ) in mailer("status", campaign_id).stdout


def test_fix10_status_of_a_held_send_counts_a_journalist_let_through_who_says_no_again(live: Path, standin: Any) -> None:
    """Let through on purpose (--override-suppression), a journalist is not "suppressed since"; one who
    unsubscribes after the send was planned is, as a resume would skip them."""
    assert mailer("suppressions", "add", JOURNALIST, "--reason", "bounced once").exit_code == 0
    campaign_id, _ = scheduled_send("--override-suppression", JOURNALIST)
    assert "suppressed or erased since" not in mailer("status", campaign_id).stdout
    import_events(live, [{"email": JOURNALIST, "event": "unsubscribe", "timestamp": int(time.time()) + 1, "sg_event_id": "u-again"}])
    assert "1 of these journalists was suppressed or erased since" in mailer("status", campaign_id).stdout


def test_fix10_contact_names_the_staff_list_once(live: Path, standin: Any) -> None:
    """A colleague on the staff list got the test send (the list from mailer.toml's [lists] staff,
    logged with its full path) and the live send (`--list lists/staff.csv`, as typed): `mailer
    contact` names that list once, as the press officer knows it (relative to the office folder),
    in the Lists line, each campaign's From line and --json alike."""
    assert mailer("test", "releases/example.md").exit_code == 0
    sent = mailer("send", "releases/example.md", "--list", "lists/staff.csv", "--yes")
    assert sent.exit_code == 0, sent.output
    text = mailer("contact", "dana.fields@example.org").stdout
    assert "Lists:      lists/staff.csv\n" in text
    assert text.count("  From:     lists/staff.csv, row ") == 2
    assert str(live) not in text
    document = json.loads(mailer("contact", "dana.fields@example.org", "--json").stdout)
    assert document["lists"] == ["lists/staff.csv"]
    assert {c["list"].rpartition(":")[0] for c in document["campaigns"]} == {"lists/staff.csv"}


def write_lines(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


GOOD = '{"email": "ana@example.org", "event": "open", "timestamp": 1764000000, "sg_event_id": "e1"}'
BROKEN = '{"email": "ana@example.org", "event": "open",'  # cut short: no sg_event_id to go by
FIXED = '{"email": "ana@example.org", "event": "open", "timestamp": 1764000060, "sg_event_id": "e2"}'
INFINITE = '{"email": "ana@example.org", "event": "click", "timestamp": Infinity, "sg_event_id": "e3"}'
REPAIRED = '{"email": "ana@example.org", "event": "click", "timestamp": 1764000120, "sg_event_id": "e3"}'


def test_fix10_quarantine_drops_an_entry_once_its_line_is_repaired(logged: Path) -> None:
    """An events file with two unreadable lines is imported (both quarantined); the lines are fixed
    and the file imported again: the entry whose event is now in the log is repaired, so `mailer
    events quarantine` no longer lists it (the import says so). One cut short before its event id
    stays (review 10c: another file under the same name would take it off; --clear does), as does
    an entry of another file, still unreadable."""
    write_lines(logged, "hand-edited.ndjson", [GOOD, BROKEN, INFINITE])
    write_lines(logged, "other.ndjson", [BROKEN.replace("ana@", "ben@")])
    for name in ("hand-edited.ndjson", "other.ndjson"):
        assert "Quarantined" in mailer("events", "import", name).stdout
    assert mailer("events", "quarantine").stdout.startswith("3 entries in the quarantine")
    write_lines(logged, "hand-edited.ndjson", [GOOD, FIXED, REPAIRED])
    again = mailer("events", "import", "hand-edited.ndjson")
    assert again.exit_code == 0, again.output
    assert "Added 2, skipped 1 already in the log" in again.stdout
    assert "1 entry of the quarantine from this file was repaired: taken off the quarantine.\n" in again.stdout
    listed = mailer("events", "quarantine").stdout
    assert listed.startswith("2 entries in the quarantine; the newest 2:\n")
    assert "other.ndjson line 1" in listed and "hand-edited.ndjson line 2" in listed and "line 3" not in listed


def test_fix10_quarantine_keeps_a_line_still_unreadable(logged: Path) -> None:
    """Imported again unchanged, or changed but still unreadable, a line stays in the quarantine once (its newest text)."""
    write_lines(logged, "hand-edited.ndjson", [GOOD, BROKEN])
    mailer("events", "import", "hand-edited.ndjson")
    mailer("events", "import", "hand-edited.ndjson")
    assert mailer("events", "quarantine").stdout.startswith("1 entry in the quarantine")
    write_lines(logged, "hand-edited.ndjson", [GOOD, BROKEN.replace("open", "click")])
    assert "repaired" not in mailer("events", "import", "hand-edited.ndjson").stdout
    listed = mailer("events", "quarantine", "--raw").stdout
    assert listed.startswith("1 entry in the quarantine") and '"click"' in listed


def test_fix10_quarantine_clear_asks_first(logged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer events quarantine --clear` asks before it empties the quarantine; "no" keeps every
    entry; with no terminal to ask on it needs --yes."""
    write_lines(logged, "hand-edited.ndjson", [GOOD, BROKEN, INFINITE])
    mailer("events", "import", "hand-edited.ndjson")
    refused = mailer("events", "quarantine", "--clear")
    assert refused.exit_code == 1
    assert "Error: Not clearing the quarantine: there is no terminal to confirm on." in refused.stderr
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    kept = mailer("events", "quarantine", "--clear", input="n\n")
    assert kept.exit_code == 0, kept.output
    assert "Remove the 2 entries of the quarantine? [y/N]: n\nNothing was removed.\n" in kept.stdout
    assert mailer("events", "quarantine").stdout.startswith("2 entries in the quarantine")
    cleared = mailer("events", "quarantine", "--clear", "--yes")
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout.endswith("Removed 2 entries from the quarantine.\n")
    assert mailer("events", "quarantine").stdout.endswith("The quarantine is empty: every event received could be read.\n")


def test_fix10_resume_with_nobody_left_says_so(live: Path, standin: Any) -> None:
    """`mailer resume` of a send that reached everyone says there is nothing to resume, and nothing
    else: no question, no totals of a send that did not happen, exit 0, no request."""
    assert mailer(*SEND, "--yes", "--no-test-ok").exit_code == 0
    campaign_id = todays_campaign()
    requests = len(standin.mail_sends)
    result = mailer("resume", campaign_id)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Nothing to resume: every journalist of {campaign_id} was sent to.\n"
    assert len(standin.mail_sends) == requests


def test_fix10_resume_of_a_send_that_skipped_everyone_says_so(live: Path, standin: Any) -> None:
    """Two stopped sends of one release: the first resumed reaches everyone, so the second's resume
    skips them all. Resumed once more, the second has nobody to send to, and says so (it sent to
    nobody: "every journalist was sent to" would be wrong)."""
    send_stopped_after_plan()
    first = todays_campaign()
    send_stopped_after_plan("--include-previous")
    second = f"{first}-2"
    assert mailer("resume", first, "--yes").exit_code == 0
    assert mailer("resume", second, "--yes").exit_code == 0
    requests = len(standin.mail_sends)
    result = mailer("resume", second)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Nothing to resume: {second} has nobody to send to.\n"
    assert len(standin.mail_sends) == requests


@pytest.mark.usefixtures("live")
def test_fix10_send_with_include_previous_leaves_whom_another_send_is_mailing_now(standin: Any, db_url: str) -> None:
    """A send stopped before its first request is being resumed in another terminal (its lease is
    held) when a colleague sends the same release again with --include-previous: the new send
    leaves out the journalists that resume is mailing right now ("waiting elsewhere"), as a resume
    would (fix 10 #1): --include-previous mails again those who had the release, never two copies
    at once. The resume then mails each of them once."""
    from mailer.send import lease
    from mailer.send.dispatch import utcnow
    from mailer.store import connect

    send_stopped_after_plan()
    first = todays_campaign()
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            held = lease.acquire(connection, first, now=utcnow())  # the other terminal's resume, sending right now
        again = mailer(*SEND, "--yes", "--include-previous")
        # Everyone is being mailed by the resume: nothing is sent, and no campaign of nobody is logged (newcomer 17 #3).
        assert again.exit_code == 1, again.output
        assert standin.mail_sends == []
        said = " ".join(again.stderr.split())
        assert f"all 41 journalists of this send are being mailed right now by {first}" in said, said
        assert "Nothing was logged" in said and "after this send was planned" not in said, said
        listed = mailer("campaigns").output
        assert first in listed and f"{first}-2" not in listed, listed  # no second campaign in the log
        with engine.begin() as connection:
            lease.release(connection, held)
    finally:
        engine.dispose()
    assert mailer("resume", first, "--yes").exit_code == 0
    accepted = standin.accepted_addresses()
    assert len(accepted) == RECIPIENTS and set(accepted.values()) == {1}
