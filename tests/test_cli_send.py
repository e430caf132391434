"""`mailer send / test / resume / cancel / campaigns / status` through CliRunner and the stand-in."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import todays_campaign, without_log_line
from send_fixtures import ctrl_c_after_first_request
from sqlalchemy import select

from mailer import config
from mailer.cli import main
from mailer.cli import send as send_cli
from mailer.models import SuppressionReason
from mailer.reports import figures
from mailer.store import connect, display_url, messages, suppressions
from mailer.store.schema import campaign, message

ROOT = Path(__file__).parent.parent
KEY = "SG.standin-key.secret"
RECIPIENTS = 41  # valid, distinct rows of lists/press.csv
STAFF = ["press@example.org", "dana.fields@example.org", "raj.patel@example.org", "alex.moreau@example.org"]


def mailer(*args: str, key: str | None = KEY, input: str | None = None) -> Result:
    env = {"SENDGRID_API_KEY": key} if key else {}
    return CliRunner().invoke(main, list(args), env=env, input=input)


def db() -> Any:
    """The log the command line uses from here (mailer.toml's, or the user's data folder's)."""
    return connect(config.from_environment().database.url)


def campaign_rows() -> list[dict[str, Any]]:
    with db().connect() as connection:
        return [dict(r) for r in connection.execute(select(campaign).order_by(campaign.c.created_at)).mappings()]


SEND = ("send", "releases/example.md", "--list", "lists/press.csv")


@pytest.mark.sqlite_only  # the built-in log is an SQLite file
def test_cli_send_dry_run_with_builtin_config(project: Path) -> None:
    """The README's main command works without mailer.toml and says where the outbox and the log are."""
    result = mailer(*SEND, "--dry-run", key=None)
    assert result.exit_code == 0, result.output
    campaign_id = todays_campaign()
    assert f"Recipients: {RECIPIENTS}\n" in result.stdout
    assert f"Written:    {RECIPIENTS} emails, as SendGrid would have received them\n" in result.stdout
    assert "Skipped:    8 (2 duplicate, 5 invalid, 1 missing address)\n" in result.stdout
    assert f"Outbox:     out/outbox/{campaign_id} (one .json per request, one .eml per journalist)\n" in result.stdout
    user_log = project / "user-data" / "press-mailer" / "mailer.db"  # conftest points XDG_DATA_HOME there
    assert f"Log:        {user_log}\n" in result.stdout
    assert result.stderr.startswith(f"Log: {user_log} (no mailer.toml found: built-in settings)\n")
    assert result.stdout.endswith("This was a dry run: nothing was sent. To send, run the same command without --dry-run.\n")
    files = sorted(p.name for p in (project / "out" / "outbox" / campaign_id).iterdir())
    assert len([f for f in files if f.endswith(".eml")]) == RECIPIENTS and "request-0001.json" in files
    assert [(r["id"], r["mode"], r["status"]) for r in campaign_rows()] == [(campaign_id, "dry-run", "done")]


def test_cli_status_of_a_dry_run_says_written_not_accepted(logged: Path) -> None:
    """ "accepted" is SendGrid's word for a real hand-over: a press officer reading the status of a
    dry run must not believe the release went out (newcomer review 8)."""
    assert mailer(*SEND, "--dry-run").exit_code == 0
    status = mailer("status", "latest")
    assert status.exit_code == 0, status.output
    assert f"Recipients: {RECIPIENTS} written (a dry run: nothing was sent)\n" in status.stdout
    assert "accepted" not in status.stdout


def test_cli_send_names_a_misspelt_contact_field(logged: Path) -> None:
    """{{ contact.firstname }} when the lists have First Name: the error says no list has that
    column and suggests first_name (it said "empty for N contacts" while every first name was
    filled in); with a default, a warning says every journalist would get the default (newcomer
    review 8). Nothing is logged either way before the user fixes it."""
    text = (logged / "releases" / "example.md").read_text(encoding="utf-8")
    body = text.index("The Riverbend Beekeepers Association today")
    (logged / "releases" / "typo.md").write_text(text[:body] + "Dear {{ contact.firstname }},\n\n" + text[body:], encoding="utf-8")
    refused = mailer("send", "releases/typo.md", "--list", "lists/press.csv", "--dry-run")
    assert refused.exit_code == 1
    assert 'no list has a column for: "firstname" (did you mean "first_name"?)' in " ".join(refused.stderr.split())
    assert "empty for" not in refused.stderr
    (logged / "releases" / "typo.md").write_text(
        text[:body] + 'Dear {{ contact.firstname | default("colleague") }},\n\n' + text[body:], encoding="utf-8"
    )
    warned = mailer("send", "releases/typo.md", "--list", "lists/press.csv", "--dry-run")
    assert warned.exit_code == 0, warned.output
    assert 'Warning: No list has a column for "firstname" (did you mean "first_name"?): every journalist gets' in " ".join(
        warned.stderr.split()
    )


def test_cli_send_filter_matching_nobody_says_so(logged: Path) -> None:
    """A --tag nobody has: the error is about the filter, not a pointer to `lists check`, which
    knows nothing of filters (newcomer review 8)."""
    result = mailer(*SEND, "--dry-run", "--tag", "nosuchtag")
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert (
        f"Nobody to send to: --where/--tag matched none of the {RECIPIENTS} journalists they were tried on: --tag nosuchtag (the lists' tags:"
        in said
    )
    assert "health" in said  # a tag the list does have
    assert "--tag TAG matches one tag of the Tags column" in said


def test_cli_dry_run_that_cannot_write_its_outbox_logs_nothing(logged: Path, db_url: str) -> None:
    """An outbox folder that cannot be made (here a file stands where a folder must go; a
    read-only disk alike): the dry run stops before the campaign is logged, naming the folder and
    the setting, so no "planned" dry run is left for status to call resumable (newcomer review 8)."""
    (logged / "blocker").write_text("a file, not a folder", encoding="utf-8")
    (logged / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n[compose]\noutbox_dir = "blocker/outbox"\n', encoding="utf-8")
    result = mailer(*SEND, "--dry-run")
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert f"Cannot write the dry run's files in {logged / 'blocker' / 'outbox'} ([compose] outbox_dir)" in said
    assert "Nothing was logged." in said
    assert campaign_rows() == []


def test_cli_send_where_and_tag_narrow_the_recipients(logged: Path) -> None:
    """--where FIELD=A,B and repeated --tag keep only matching journalists; the rest are logged as filtered."""
    result = mailer(*SEND, "--dry-run", "--where", "beat=health,science", "--tag", "vip", "--tag", "print", key=None)
    assert result.exit_code == 0, result.output
    assert "Lists:      lists/press.csv (filter: beat=health,science tag=vip tag=print)\n" in result.stdout
    assert "Recipients: 6\nSkipped:    43 (2 duplicate, 35 filtered, 5 invalid, 1 missing address)\n" in result.stdout
    eml = sorted(p.name for p in (logged / "out" / "outbox" / todays_campaign()).glob("*.eml"))
    assert len(eml) == 6
    with db().connect() as connection:
        rows = [dict(r) for r in connection.execute(select(message.c.email, message.c.state, message.c.skip_reason)).mappings()]
    assert sorted(r["email"] for r in rows if r["state"] != "skipped") == [
        "amara.okafor@example.com",
        "chen.jing@example.org",
        "emma.schmidt@example.org",
        "isabella.thomas@example.com",
        "li.wei@example.org",
        "yuki.tanaka@example.com",
    ]
    assert sum(1 for r in rows if r["skip_reason"] == "filtered") == 35


def test_cli_send_refuses_without_terminal_or_yes(live: Path, standin: Any) -> None:
    """No terminal to ask on and no --yes: nothing is sent or logged."""
    result = mailer(*SEND)
    assert result.exit_code == 1
    assert result.stderr.endswith("Error: Not sending: there is no terminal to confirm on.\nAdd --yes to send without the question.\n")
    assert standin.requests == [] and campaign_rows() == []


def test_cli_send_asks_and_respects_no(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the plan is shown and a 'no' sends nothing: a choice, not an error (exit 0)."""
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    result = mailer(*SEND, input="n\n")
    assert result.exit_code == 0
    assert result.stdout.endswith(f"Send this release to {RECIPIENTS} journalists? [y/N]: n\nNothing was sent.\n")
    assert "Error" not in result.stderr
    assert standin.requests == [] and campaign_rows() == []


def test_cli_send_warns_when_never_test_sent(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a test send of this content, a second question comes; answering no stops."""
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    result = mailer(*SEND, input="y\nn\n")
    assert result.exit_code == 0 and result.stdout.endswith("Nothing was sent.\n")
    assert "Warning: This exact content was never test-sent to staff (mailer test)." in result.stderr
    assert "Send it anyway, without a test send? [y/N]" in result.stdout
    assert standin.requests == []


def test_cli_send_refuses_without_postal_address(project: Path, standin: Any) -> None:
    """A live send needs the postal address for the footer."""
    (project / "mailer.toml").write_text(f'[sendgrid]\napi_url = "{standin.url}"\n', encoding="utf-8")
    result = mailer(*SEND, "--yes")
    assert result.exit_code == 1
    assert "Error: A live send needs the office's postal address in the email footer.\n" in result.stderr
    assert "config.example.toml" not in result.stderr  # there is a mailer.toml to edit
    assert standin.requests == []


@pytest.mark.sqlite_only  # the built-in log is an SQLite file
def test_cli_send_without_any_config_says_to_make_one(project: Path) -> None:
    """With no mailer.toml at all, the postal address hint says to make one first (it named a
    mailer.toml that did not exist; newcomer review 8). Nothing is sent: the check comes first."""
    result = mailer(*SEND, "--yes")
    assert result.exit_code == 1
    assert "No mailer.toml was found: copy config.example.toml to mailer.toml" in result.stderr


def test_cli_send_without_api_key_says_how_to_set_it(live: Path, standin: Any) -> None:
    """A missing key variable is a clear error, before anything is logged."""
    result = mailer(*SEND, "--yes", "--no-test-ok", key=None)
    assert result.exit_code == 1
    assert "Error: No SendGrid API key: the environment variable SENDGRID_API_KEY is not set.\n" in result.stderr
    assert campaign_rows() == []


def test_cli_test_then_live_send(live: Path, standin: Any) -> None:
    """A test send goes to staff with [TEST]; afterwards the live send goes to everyone once, without the warning."""
    tested = mailer("test", "releases/example.md")
    assert tested.exit_code == 0, tested.output
    body = standin.mail_sends[0].body
    assert [p["to"][0]["email"] for p in body["personalizations"]] == STAFF
    assert body["subject"].startswith("[TEST] ")
    assert "TEST SEND" in body["content"][1]["value"]
    sent = mailer(*SEND, "--yes")
    assert sent.exit_code == 0, sent.output
    assert "never test-sent" not in sent.stderr
    live_body = standin.mail_sends[-1].body
    assert not live_body["subject"].startswith("[TEST]")
    accepted = standin.accepted_addresses()
    assert sum(accepted.values()) == RECIPIENTS + len(STAFF) and max(accepted.values()) == 1
    assert [r["mode"] for r in campaign_rows()] == ["test", "live"]
    assert f"Accepted:   {RECIPIENTS}   failed: 0   unknown: 0   not sent yet: 0   skipped: 8\n" in sent.stdout


def test_cli_test_names_where_a_missing_staff_list_comes_from(live: Path, standin: Any) -> None:
    """A staff list named in mailer.toml that does not exist: the error says it comes from
    [lists] staff in that file (it said "no such file" of a path the user never typed)."""
    (live / "lists" / "staff.csv").unlink()
    result = mailer("test", "releases/example.md")
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert f"The staff list {live / 'lists' / 'staff.csv'} ([lists] staff in {live / 'mailer.toml'}) does not exist." in said
    assert standin.requests == []


def test_cli_test_sends_are_not_in_reports(live: Path, standin: Any) -> None:
    """Test campaigns are logged but never counted in reports."""
    assert mailer("test", "releases/example.md", "--to", "me@example.org").exit_code == 0
    assert mailer(*SEND, "--yes").exit_code == 0
    test_id, live_id = (r["id"] for r in campaign_rows())
    assert set(figures.headline_figures(db(), [test_id, live_id])) == {live_id}
    listed = json.loads(mailer("campaigns", "--json").stdout)
    assert [(c["id"], c["mode"], c["accepted"]) for c in listed] == [(live_id, "live", RECIPIENTS), (test_id, "test", 1)]


def test_cli_test_as_a_journalist(live: Path, standin: Any) -> None:
    """--as fills the journalist's fields into the staff copy."""
    result = mailer(
        "test", "releases/example.md", "--to", "me@example.org", "--as", "amara.okafor@example.com", "--list", "lists/press.csv"
    )
    assert result.exit_code == 0, result.output
    personalization = standin.mail_sends[0].body["personalizations"][0]
    assert "The Daily Example" in personalization["substitutions"].values()
    assert personalization["to"] == [{"email": "me@example.org"}]  # addressed to the tester, not named after Amara


def test_cli_test_proof_shows_the_release_defaults_never_bracket_marks(live: Path, standin: Any) -> None:
    """Without --as, a staff proof fills a missing outlet with the release's default, exactly as a journalist
    without an outlet gets it, and names nobody "[first_name]"."""
    result = mailer("test", "releases/example.md", "--to", "someone@example.org")
    assert result.exit_code == 0, result.output
    personalization = standin.mail_sends[0].body["personalizations"][0]
    assert personalization["to"] == [{"email": "someone@example.org"}]
    assert "your outlet" in personalization["substitutions"].values()
    body = json.dumps(standin.mail_sends[0].body)
    assert "[outlet]" not in body and "[first_name]" not in body


def test_cli_test_send_names_who_was_left_out(live: Path, standin: Any) -> None:
    """A staff member on the suppression list is named with the reason, not just counted."""
    with db().begin() as connection:
        suppressions.add(connection, [("raj.patel@example.org", SuppressionReason.SPAM_REPORT, None)], source="manual")
    result = mailer("test", "releases/example.md")
    assert result.exit_code == 0, result.output
    assert "Warning: Not sending the test to raj.patel@example.org: suppressed (spamreport)" in " ".join(result.stderr.split())


def test_cli_suppressed_addresses_are_skipped_unless_overridden(live: Path, standin: Any) -> None:
    """Promise 3: a suppressed address is never mailed, except when named with --override-suppression."""
    with db().begin() as connection:
        suppressions.add(connection, [("li.wei@example.org", SuppressionReason.BOUNCE, None)], source="manual")
    first = mailer(*SEND, "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    assert "li.wei@example.org" not in standin.accepted_addresses()
    assert "(2 duplicate, 5 invalid, 1 missing address, 1 suppressed)" in first.stdout
    second = mailer(*SEND, "--yes", "--no-test-ok", "--override-suppression", "LI.WEI@example.org")
    assert second.exit_code == 0, second.output
    assert "Warning: LI.WEI@example.org is suppressed but will be mailed, as you asked." in second.stderr
    assert standin.accepted_addresses()["li.wei@example.org"] == 1


def test_cli_test_send_skips_suppressed_staff_unless_overridden(live: Path, standin: Any) -> None:
    """Promise 3 holds for test sends too: a suppressed staff address is not mailed unless named."""
    with db().begin() as connection:
        suppressions.add(connection, [("raj.patel@example.org", SuppressionReason.SPAM_REPORT, None)], source="manual")
    first = mailer("test", "releases/example.md")
    assert first.exit_code == 0, first.output
    assert "to press@example.org, dana.fields@example.org, alex.moreau@example.org\n" in first.stdout
    assert [p["to"][0]["email"] for p in standin.mail_sends[0].body["personalizations"]] == [
        a for a in STAFF if a != "raj.patel@example.org"
    ]
    only_him = mailer("test", "releases/example.md", "--to", "Raj.Patel@example.org")
    assert only_him.exit_code == 1
    assert without_log_line(only_him.stderr) == (
        "Error: Nobody to send the test to: Raj.Patel@example.org is on the suppression list.\n"
        "To send the test anyway: add --override-suppression Raj.Patel@example.org\n"
    )
    assert len(standin.mail_sends) == 1
    second = mailer("test", "releases/example.md", "--override-suppression", "raj.patel@example.org")
    assert second.exit_code == 0, second.output
    assert "Warning: raj.patel@example.org is suppressed but will be mailed, as you asked." in second.stderr
    assert standin.accepted_addresses()["raj.patel@example.org"] == 1


def test_cli_embargo_refuses_early_live_send(live: Path, standin: Any) -> None:
    """A live send before the embargo lifts is refused unless forced."""
    source = (live / "releases" / "example.md").read_text(encoding="utf-8")
    lifted = datetime.now(UTC) + timedelta(days=2)
    (live / "releases" / "example.md").write_text(
        source.replace("date: 2026-02-19\n", f'embargo: "{lifted:%Y-%m-%d %H:%M} UTC"\n'), encoding="utf-8"
    )
    refused = mailer(*SEND, "--yes", "--no-test-ok")
    assert refused.exit_code == 1
    assert f"Error: The release is embargoed until {lifted:%Y-%m-%d %H:%M} UTC, but this send would go out at" in refused.stderr
    assert "Schedule it after the embargo with --at, or add --force-embargo if journalists should get it early." in refused.stderr
    assert standin.requests == []
    forced = mailer(*SEND, "--yes", "--no-test-ok", "--force-embargo")
    assert forced.exit_code == 0, forced.output


def test_cli_schedule_then_cancel(live: Path, standin: Any) -> None:
    """--at schedules with send_at under a SendGrid batch id; cancel posts it to scheduled_sends."""
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code == 0, sent.output
    assert f"Scheduled:  {at:%Y-%m-%d %H:%M} UTC\n" in sent.stdout
    assert standin.requests[0].path == "/v3/mail/batch"
    [batch_id] = standin.batch_ids
    assert {(r.body["send_at"], r.body["batch_id"]) for r in standin.mail_sends} == {(int(at.timestamp()), batch_id)}
    campaign_id = campaign_rows()[0]["id"]
    cancelled = mailer("cancel", campaign_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout == f"Cancelled {campaign_id}: SendGrid will discard its messages at {at:%Y-%m-%d %H:%M} UTC.\n"
    assert standin.scheduled == {batch_id: "cancel"}
    assert campaign_rows()[0]["status"] == "cancelled"
    assert mailer("status", campaign_id).stdout.endswith(
        "This send was cancelled: none of its emails went out. To send the release after all: "
        f"mailer send releases/example.md --list lists/press.csv --at '{at:%Y-%m-%d %H:%M} UTC'\n"
    )


def test_cli_at_too_far_ahead_is_refused(live: Path, standin: Any) -> None:
    """SendGrid cannot schedule more than 72 hours ahead; nothing is logged."""
    later = datetime.now(UTC) + timedelta(hours=80)
    result = mailer(*SEND, "--yes", "--at", f"{later:%Y-%m-%d %H:%M} UTC")
    assert result.exit_code == 1
    assert "is more than 72 hours ahead; SendGrid cannot schedule that far." in result.stderr
    assert standin.requests == [] and campaign_rows() == []


def test_cli_failed_recipients_exit_3_and_status_explains(live: Path, standin: Any) -> None:
    """A send with a refused request exits 3, names the next commands, and `status` shows the errors.
    (One request refused, the others accepted: two refused alike for the email as a whole stop the send
    instead, tests/test_refusal27.py.)"""
    (live / "mailer.toml").write_text(
        (live / "mailer.toml").read_text().replace("batch_size = 10", "batch_size = 10\nconcurrency = 1"), encoding="utf-8"
    )
    standin.answer(
        400,
        times=1,
        body={"errors": [{"message": "The from address does not match a verified Sender Identity.", "field": "from", "help": None}]},
    )
    result = mailer(*SEND, "--yes", "--no-test-ok")
    assert result.exit_code == 3, result.output
    campaign_id = todays_campaign()
    assert result.stderr.endswith(
        "Error: The send ended with 10 failed recipients and 0 unknown.\n"
        f"See what happened with: mailer status {campaign_id}   (then, once the cause is fixed: mailer resume {campaign_id} --retry-failed)\n"
    )
    status = mailer("status", campaign_id)
    assert f"Recipients: {RECIPIENTS - 10} accepted, 10 failed\n" in status.stdout, status.stdout
    assert "  10 failed: from: The from address does not match a verified Sender Identity.\n" in status.stdout
    assert status.stdout.endswith(
        "10 recipients failed: SendGrid refused them for the reason shown. "
        f"Fix the cause, then send to them again with: mailer resume {campaign_id} --retry-failed\n"
    ), status.stdout
    data = json.loads(mailer("status", campaign_id, "--json").stdout)
    assert (data["status"], data["counts"]["failed"], data["counts"]["accepted"], data["skipped"]) == (
        "done",
        10,
        RECIPIENTS - 10,
        {"duplicate": 2, "invalid": 5, "missing": 1},
    )


def test_cli_resume_after_sendgrid_was_unreachable(live: Path, standin: Any) -> None:
    """SendGrid down: the send stops with a resume hint; resume later sends everyone exactly once."""
    (live / "mailer.toml").write_text(
        (live / "mailer.toml").read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok")
    campaign_id = todays_campaign()
    assert stopped.exit_code == 1
    assert f"Unsent recipients stay planned. Try later with: mailer resume {campaign_id}\n" in stopped.stderr
    assert (
        f"{RECIPIENTS} recipients have not been sent yet. Continue with: mailer resume {campaign_id}"
        in mailer("status", campaign_id).stdout
    )
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    accepted = standin.accepted_addresses()
    assert len(accepted) == RECIPIENTS and max(accepted.values()) == 1


def test_cli_resume_unknown_campaign(live: Path) -> None:
    """An id not in the log says so, names the log, and points to `mailer campaigns` and to another office's log."""
    from mailer.store import display_url

    result = mailer("resume", "2026-02-19-nope")
    assert result.exit_code == 1
    log = display_url(config.load(live / "mailer.toml").database.url)
    assert without_log_line(result.stderr) == (
        f'Error: No campaign "2026-02-19-nope" in the delivery log.\nThis delivery log ({log}) holds no send of that id. '
        "A send made with another office's or client's mailer.toml is in that office's log: add --config with that "
        "mailer.toml, or set MAILER_CONFIG to it. `mailer campaigns` lists the campaigns of this log.\n"
    )


def test_cli_key_never_in_output_log_or_outbox(live: Path, standin: Any, caplog: pytest.LogCaptureFixture, log_text: Any) -> None:
    """Promise 5: after a refused key, a live send and a dry run, the key is in no output, log record, DB byte or outbox file."""
    caplog.set_level(logging.DEBUG)
    assert mailer(*SEND, "--yes", "--no-test-ok").exit_code == 0
    standin.answer(401)
    refused = mailer(*SEND, "--yes", "--no-test-ok", "--include-previous")
    assert refused.exit_code == 1
    assert (
        "Error: SendGrid refused the API key: check SENDGRID_API_KEY and that the key has Mail Send permission (SendGrid said: scripted 401)\n"
        in refused.stderr
    )
    dry = mailer(*SEND, "--dry-run", "--include-previous")
    files = [p for p in (live / "out").rglob("*") if p.is_file()]
    assert files
    database = log_text()  # SQLite: the file with its WAL; PostgreSQL: every row of every table
    assert "Riverbend Beekeepers count record" in database and caplog.records
    for text in (refused.output, dry.output, caplog.text, database, *(p.read_bytes().decode("utf-8", "replace") for p in files)):
        assert KEY not in text and "standin-key" not in text


def test_cli_campaigns_lists_one_line_each(live: Path, standin: Any) -> None:
    """`mailer campaigns`: an aligned table, headings then one line per campaign, newest first."""
    assert mailer(*SEND, "--dry-run").exit_code == 0
    assert mailer(*SEND, "--yes", "--no-test-ok").exit_code == 0
    lines = mailer("campaigns").stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == [
        "campaign",
        "mode",
        "status",
        "created",
        "(UTC)",
        "content",
        "recipients",
        "delivered",
        "opened",
        "by",
        "people",
        "bounced",
        "subject",
    ]
    assert lines[1].startswith(f"{todays_campaign()}-2  live     done    ")
    assert f"{RECIPIENTS}/{RECIPIENTS} accepted" in lines[1]
    assert lines[1].endswith("Riverbend Beekeepers count record 1.2 million bees in first city-wide census")
    assert lines[2].startswith(f"{todays_campaign()}    dry-run  done    ")
    assert {line.index("Riverbend") for line in lines[1:]} == {lines[0].index("subject")}  # aligned


def one_at_a_time(project: Path) -> None:
    """Requests of 10 sent one after the other, without retries: which request meets what is known."""
    config = project / "mailer.toml"
    config.write_text(config.read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8")


def test_cli_gateway_502_is_unknown_never_retried_and_status_explains(live: Path, standin: Any) -> None:
    """A 502 from SendGrid's gateway may hide an accepted request: unknown, not retried, explained by `status`."""
    one_at_a_time(live)
    standin.answer(502)
    result = mailer(*SEND, "--yes", "--no-test-ok")
    campaign_id = todays_campaign()
    gateway = "SendGrid's gateway answered 502 (Bad Gateway): it may have passed the request on, so SendGrid may have accepted it."
    assert result.exit_code == 3
    assert f"Warning: Request 1 (10 recipients): {gateway} Marked unknown; it will not be resent automatically." in " ".join(
        result.stderr.split()
    )
    assert sum(standin.seen_addresses().values()) == RECIPIENTS  # request 1 went out once, never again
    status = mailer("status", campaign_id).stdout
    assert f"Recipients: {RECIPIENTS - 10} accepted, 10 unknown\n" in status
    assert f"  10 unknown: {gateway}\n" in status
    assert (
        "10 recipients are unknown: their request left but SendGrid never confirmed it (no answer, or a 502/504 from its gateway)" in status
    )
    assert status.endswith(f"run: mailer resume {campaign_id} --resend-unknown\n")


@pytest.mark.slow
def test_cli_ctrl_c_stops_cleanly_and_resume_finishes(live: Path, standin: Any) -> None:
    """Ctrl-C during `mailer send`: a plain message, no traceback, nothing left in flight; resume sends the rest once."""
    one_at_a_time(live)
    standin.slow(0.3)
    code, _, err = ctrl_c_after_first_request(live, standin, KEY, (*SEND, "--yes", "--no-test-ok"))
    campaign_id = todays_campaign()
    assert code == 1
    assert err.endswith(
        f"Error: Stopped at your request after the requests in flight were answered.\nContinue later with: mailer resume {campaign_id}\n"
    )
    assert "Traceback" not in err
    with db().connect() as connection:
        counts = messages.counts(connection, campaign_id)
    assert (counts["accepted"], counts["sending"]) == (10 * len(standin.mail_sends), 0)
    assert counts["planned"] > 0
    assert f"Campaign:  {campaign_id} (live, paused)" in mailer("status", campaign_id).stdout
    assert mailer("resume", campaign_id, "--yes").exit_code == 0
    accepted = standin.accepted_addresses()
    assert len(accepted) == RECIPIENTS and max(accepted.values()) == 1


@pytest.mark.parametrize("address", ["me@example", "me@example.org\r\nBcc: all@example.net"])
def test_cli_test_refuses_a_bad_to_address(live: Path, standin: Any, address: str) -> None:
    """A typo (or a line break) in --to is refused before anything is logged or sent."""
    result = mailer("test", "releases/example.md", "--to", address)
    assert result.exit_code == 2
    assert f"Invalid value for --to: {address!r} is not an email address: " in result.stderr
    assert standin.requests == [] and campaign_rows() == []


def test_cli_resume_retry_failed_sends_only_the_failed(live: Path, standin: Any) -> None:
    """After a 400 on one request, --retry-failed shows why and sends to those 10 again, never to anyone accepted."""
    standin.answer(400, times=1, body={"errors": [{"message": "Invalid personalizations", "field": "personalizations", "help": None}]})
    first = mailer(*SEND, "--yes", "--no-test-ok")
    assert first.exit_code == 3
    campaign_id = todays_campaign()
    assert standin.accepted_addresses().total() == RECIPIENTS - 10
    plain = mailer("resume", campaign_id, "--yes")  # a plain resume leaves failed recipients alone
    assert plain.exit_code == 3 and len(standin.mail_sends) == 5
    assert "Left:       nobody: there is nothing more to send\n" in plain.stdout  # not "Left: 0" (nc9)
    assert "10 recipients failed: --retry-failed sends to them again, once the cause is fixed.\n" in plain.stdout
    again = mailer("resume", campaign_id, "--retry-failed", "--yes")
    assert again.exit_code == 0, again.output
    assert "Sending again to 10 recipients that failed with: personalizations: Invalid personalizations\n" in again.stdout
    assert len(standin.mail_sends) == 6 and len(standin.mail_sends[-1].body["personalizations"]) == 10
    accepted = standin.accepted_addresses()
    assert len(accepted) == RECIPIENTS and set(accepted.values()) == {1}
    assert mailer("status", campaign_id, "--json").stdout.count('"accepted": 41') == 1


@pytest.mark.parametrize("bad_key", ["SG.abc\nX-Injected: yes", "SG.abc\rdef", "SG.abc def", "SG.abc\tdef"])
def test_cli_api_key_with_control_characters_is_refused_before_anything(live: Path, standin: Any, bad_key: str) -> None:
    """A key with a line break or space is refused before any request or log row, and never echoed."""
    result = mailer(*SEND, "--yes", "--no-test-ok", key=bad_key)
    assert result.exit_code == 1
    assert (
        "Error: The SendGrid API key in SENDGRID_API_KEY contains a line break, space or other control character, so it cannot be sent.\n"
        in without_log_line(result.stderr)
    )
    assert "SG.abc" not in result.output
    assert standin.requests == []
    assert campaign_rows() == []


def test_cli_one_log_from_any_sub_folder(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """From releases/, mailer finds the office's mailer.toml above, uses its log, and its suppressions still apply."""
    assert mailer(*SEND, "--yes", "--no-test-ok").exit_code == 0
    with db().begin() as connection:
        suppressions.add(connection, [("li.wei@example.org", SuppressionReason.BOUNCE, None)], source="manual")
    monkeypatch.chdir(live / "releases")
    listed = mailer("campaigns", "--json")
    assert [c["id"] for c in json.loads(listed.stdout)] == [todays_campaign()]
    assert listed.stderr == f"Log: {display_url(config.from_environment().database.url)} (config {live / 'mailer.toml'})\n"
    dry = mailer("send", "example.md", "--list", "../lists/press.csv", "--dry-run", "--include-previous")
    assert dry.exit_code == 0, dry.output
    assert f"Recipients: {RECIPIENTS - 1}\n" in dry.stdout and "1 suppressed" in dry.stdout
    assert not (live / "releases" / "out" / "mailer.db").exists()


def test_cli_without_config_every_folder_shares_the_users_log(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No mailer.toml: a dry run in one folder shows in `mailer campaigns` run from another."""
    assert mailer(*SEND, "--dry-run", key=None).exit_code == 0
    elsewhere = project / "somewhere-else"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    listed = mailer("campaigns", "--json", key=None)
    assert [c["id"] for c in json.loads(listed.stdout)] == [todays_campaign()]
    assert not (elsewhere / "out").exists()


def test_cli_corrected_release_says_who_got_the_earlier_version_and_asks(live: Path, standin: Any) -> None:
    """The same release file, changed after a live send: the plan names the earlier campaign and asks first."""
    assert mailer(*SEND, "--yes", "--no-test-ok").exit_code == 0
    release = live / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("1.2 million", "1.3 million"), encoding="utf-8")
    refused = mailer(*SEND, "--no-test-ok")  # no terminal: the question cannot be answered
    assert refused.exit_code == 1
    assert f"Warning: {RECIPIENTS} of these journalists already received an earlier version of this release ({todays_campaign()})." in (
        " ".join(refused.stderr.split())
    )
    assert len(standin.mail_sends) == 5  # nothing more went out
    corrected = mailer(*SEND, "--yes", "--no-test-ok")
    assert corrected.exit_code == 0, corrected.output
    assert standin.accepted_addresses().total() == 2 * RECIPIENTS and "1.3 million" in standin.mail_sends[-1].body["subject"]


def test_cli_resend_to_the_same_lists_counts_only_the_requests_that_leave(live: Path, standin: Any) -> None:
    """The plan a press officer confirms counts the requests that will actually leave, after the
    journalists who already received this exact release are skipped (nc9 #1: "Requests: 16" for 2).
    The others keep their request numbers (the log holds them), so 2 new journalists at both ends
    of the lists are 2 requests, not the 5 the whole list would take; nobody left is 0 requests."""
    assert mailer(*SEND, "--yes", "--no-test-ok").exit_code == 0
    assert len(standin.mail_sends) == 5  # 41 journalists, 10 a request
    (live / "lists" / "first.csv").write_text("Email\nnew.first@example.org\n", encoding="utf-8")
    (live / "lists" / "last.csv").write_text("Email\nnew.last@example.org\n", encoding="utf-8")
    lists = ("--list", "lists/first.csv", "--list", "lists/press.csv", "--list", "lists/last.csv")
    dry = mailer("send", "releases/example.md", *lists, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert "Recipients: 2\n" in dry.stderr and "Requests:   2 (up to 10 recipients each)\n" in dry.stderr
    found = json.loads(dry.stdout)
    assert (found["recipients"], found["requests"]) == (2, 2)
    assert len(list(Path(found["outbox"]).glob("request-*.json"))) == 2
    sent = mailer("send", "releases/example.md", *lists, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert "Requests:   2 (up to 10 recipients each)\n" in sent.stdout
    assert len(standin.mail_sends) == 5 + 2
    assert {p["to"][0]["email"] for r in standin.mail_sends[5:] for p in r.body["personalizations"]} == {
        "new.first@example.org",
        "new.last@example.org",
    }
    nobody = mailer("send", "releases/example.md", *lists, "--dry-run")
    assert nobody.exit_code == 1
    assert "Recipients: 0\n" in nobody.stdout and "Requests:   0 (up to 10 recipients each)\n" in nobody.stdout
    assert "Nobody to send to: all 43 journalists already received this exact release." in nobody.output


def test_cli_resume_skips_journalists_suppressed_while_the_send_waited(live: Path, standin: Any) -> None:
    """Promise 3 (nc9): a send stopped half-way; while it waits, one journalist unsubscribes (an
    earlier campaign's event) and another is added by hand. The resume counts and mails neither,
    and says so; a journalist let through with --override-suppression at planning stays planned."""
    (live / "mailer.toml").write_text(
        (live / "mailer.toml").read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )
    assert mailer("suppressions", "add", "mateo.silva@example.com", "--reason", "manual").exit_code == 0
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok", "--override-suppression", "mateo.silva@example.com")
    assert stopped.exit_code == 1
    campaign_id = todays_campaign()
    assert mailer("suppressions", "add", "li.wei@example.org", "--reason", "manual").exit_code == 0
    unsubscribe = {"email": "sofia.garcia@example.net", "event": "unsubscribe", "timestamp": 1_800_000_000, "sg_event_id": "u-1"}
    (live / "events.ndjson").write_text(json.dumps(unsubscribe) + "\n", encoding="utf-8")
    assert mailer("events", "import", "events.ndjson").exit_code == 0
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert f"Left:       {RECIPIENTS - 2} journalists to send to\n" in resumed.stdout
    assert "2 journalists skipped: suppressed (unsubscribed, bounced or added by hand) since the campaign was planned." in resumed.stderr
    accepted = standin.accepted_addresses()
    assert "li.wei@example.org" not in accepted and "sofia.garcia@example.net" not in accepted
    assert accepted["mateo.silva@example.com"] == 1 and len(accepted) == RECIPIENTS - 2
