"""`mailer send --follow-up CAMPAIGN --who ...` through the command line, on a campaign whose figures are worked out by hand.

The original goes to eight journalists through the SendGrid stand-in; its events come in with
`mailer events import`, as a press office would load them:

    journalist   delivery    opens by people       clicks   afterwards
    ana          delivered   yes                   yes
    ben          delivered   no (Apple pre-fetch)  no
    cleo         bounced     -                     -        (the bounce suppresses her)
    dan          delivered   yes                   no
    eve          delivered   no                    no       bounces in a later campaign (and so is suppressed)
    fay          delivered   no                    no       suppressed by hand (mailer suppressions add)
    gus          processed   no                    no       (no delivered event yet)
    ian          delivered   yes (after a pre-fetch) no

Who gets each follow-up, and why the others do not (each counted once, first reason first):

    not-opened   ben, gus               1 bounced, 3 opened, 1 bounced since, 1 suppressed
    opened       ana, dan, ian          1 bounced, 4 did not open
    clicked      ana                    1 bounced, 6 did not click
    not-clicked  ben, dan, gus, ian     1 bounced, 1 clicked, 1 bounced since, 1 suppressed
    delivered    ana, ben, dan, ian     1 bounced, 1 not delivered, 1 bounced since, 1 suppressed
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import todays_campaign
from sqlalchemy import create_engine, inspect, select, update

from mailer import config
from mailer.cli import main
from mailer.store import connect
from mailer.store.schema import campaign, message
from mailer.store.upgrade import SCHEMA_VERSION, schema_version

ROOT = Path(__file__).parent.parent
KEY = "SG.standin-key.secret"
T0 = int(datetime.now(UTC).timestamp())

PRESS = """Email,First Name,Last Name,Outlet
ana@daily.example,Ana,Lima,Daily News
ben@daily.example,Ben,Okafor,Daily News
cleo@gazette.example,Cléo,Martin,The Gazette
dan@gazette.example,Dan,Wu,The Gazette
eve@radio.example,Eve,Stone,Radio One
fay@tv.example,Fay,Ng,TV Channel
gus@tv.example,Gus,Berg,TV Channel
ian@radio.example,Ian,Moss,Radio One
"""
LATER = "Email,First Name,Outlet\neve@radio.example,Evelyn,Radio One\n"
FOLLOW_UP = """---
subject: "Did you see our census?"
headline: "A reminder: Riverbend's bee census"
dateline: "Riverbend, ST"
date: 2026-02-20
contact:
  name: "Dana Whitfield"
  email: "press@example.org"
---
Dear {{ contact.first_name }} at {{ contact.outlet }}, in case you missed it: the census report is out.
"""
EXPECTED = {
    "not-opened": (["ben", "gus"], "1 bounced, 3 opened, 1 bounced since, 1 suppressed"),
    "opened": (["ana", "dan", "ian"], "1 bounced, 4 did not open"),
    "clicked": (["ana"], "1 bounced, 6 did not click"),
    "not-clicked": (["ben", "dan", "gus", "ian"], "1 bounced, 1 clicked, 1 bounced since, 1 suppressed"),
    "delivered": (["ana", "ben", "dan", "ian"], "1 bounced, 1 not delivered, 1 bounced since, 1 suppressed"),
}
SHOWN = {"not-opened": "not opened", "opened": "opened", "clicked": "clicked", "not-clicked": "not clicked", "delivered": "delivered"}


def mailer(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": KEY})


def keys(campaign_id: str) -> dict[str, str]:
    """First name of each journalist -> their message key in the campaign (what custom_args carries)."""
    engine = connect(config.from_environment().database.url)
    with engine.connect() as connection:
        rows = connection.execute(select(message.c.email, message.c.message_key).where(message.c.campaign_id == campaign_id))
        found = {email.split("@")[0]: key for email, key in rows}
    engine.dispose()
    return found


def sg(kind: str, who: str, domain: str, campaign_id: str, key: str, at: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": f"{who}@{domain}",
        "event": kind,
        "timestamp": T0 + at,
        "sg_event_id": f"{campaign_id}-{who}-{kind}-{at}",
        "sg_message_id": "REQ.filter-1",
        "campaign": campaign_id,
        "message": key,
        **extra,
    }


def follow_ups(campaign_id: str, *, mode: str | None = None) -> list[dict[str, Any]]:
    engine = connect(config.from_environment().database.url)
    with engine.connect() as connection:
        query = select(campaign).where(campaign.c.follow_up_of == campaign_id).order_by(campaign.c.created_at)
        rows = [dict(r) for r in connection.execute(query).mappings()]
    engine.dispose()
    return [r for r in rows if mode is None or r["mode"] == mode]


def recipients_of(campaign_id: str) -> list[str]:
    """First names of a campaign's recipients (skipped rows left out), sorted."""
    engine = connect(config.from_environment().database.url)
    with engine.connect() as connection:
        rows = connection.execute(select(message.c.email).where(message.c.campaign_id == campaign_id, message.c.skip_reason.is_(None)))
        found = sorted(email.split("@")[0] for (email,) in rows)
    engine.dispose()
    return found


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> str:
    """The original campaign sent live, a later campaign that bounces for eve, the events imported, fay suppressed."""
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "releases", tmp_path / "releases")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "press.csv").write_text(PRESS, encoding="utf-8")
    (tmp_path / "lists" / "later.csv").write_text(LATER, encoding="utf-8")
    (tmp_path / "releases" / "reminder.md").write_text(FOLLOW_UP, encoding="utf-8")
    (tmp_path / "releases" / "news.md").write_text(FOLLOW_UP.replace("Did you see our census?", "Other news"), encoding="utf-8")
    (tmp_path / "mailer.toml").write_text(
        f'[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n[sendgrid]\napi_url = "{standin.url}"\n\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    sent = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    original = todays_campaign()
    later = mailer("send", "releases/news.md", "--list", "lists/later.csv", "--yes", "--no-test-ok")
    assert later.exit_code == 0, later.output
    later_id = todays_campaign("news")
    k, k2 = keys(original), keys(later_id)
    d = {"ana": "daily.example", "ben": "daily.example", "cleo": "gazette.example", "dan": "gazette.example"}
    d |= {"eve": "radio.example", "fay": "tv.example", "gus": "tv.example", "ian": "radio.example"}
    happenings = [
        *(sg("processed", who, d[who], original, k[who], 1) for who in d),
        *(sg("delivered", who, d[who], original, k[who], 5) for who in ("ana", "ben", "dan", "eve", "fay", "ian")),
        sg("open", "ana", d["ana"], original, k["ana"], 3600, sg_machine_open=False),
        sg("click", "ana", d["ana"], original, k["ana"], 3700, url="https://www.example.org/census-2026"),
        sg("open", "ben", d["ben"], original, k["ben"], 60, sg_machine_open=True),  # Apple Mail's pre-fetch: not a person
        sg("bounce", "cleo", d["cleo"], original, k["cleo"], 20, type="bounce", reason="550 5.1.1 no such user", status="5.1.1"),
        sg("open", "dan", d["dan"], original, k["dan"], 7200, sg_machine_open=False),
        sg("open", "ian", d["ian"], original, k["ian"], 61, sg_machine_open=True),
        sg("open", "ian", d["ian"], original, k["ian"], 9000, sg_machine_open=False),
        sg("bounce", "eve", d["eve"], later_id, k2["eve"], 90000, type="bounce", reason="550 mailbox closed", status="5.1.1"),
    ]
    (tmp_path / "events.json").write_text(json.dumps(happenings), encoding="utf-8")
    imported = mailer("events", "import", "events.json")
    assert imported.exit_code == 0, imported.output
    added = mailer("suppressions", "add", "fay@tv.example", "--reason", "asked by phone to stop")
    assert added.exit_code == 0, added.output
    return original


@pytest.mark.parametrize("who", list(EXPECTED))
def test_follow_up_selects_exactly_the_journalists_who_did_so(office: str, who: str) -> None:
    """Each --who picks the journalists worked out by hand; the plan says how many of the original's and why the rest are left out."""
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", who, "--dry-run")
    assert result.exit_code == 0, result.output
    names, reasons = EXPECTED[who]
    assert f"Follow-up:  {len(names)} of 8 journalists of {office} ({SHOWN[who]}): {reasons}\n" in result.stdout
    assert f"Recipients: {len(names)}\n" in result.stdout
    (dry_run,) = follow_ups(office)
    assert dry_run["mode"] == "dry-run" and dry_run["filters"]["follow_up"] == {"of": office, "who": who}
    assert recipients_of(dry_run["id"]) == names


def test_follow_up_greets_each_journalist_with_the_original_fields(office: str, tmp_path: Path) -> None:
    """The contact fields come from the original's log rows: the .eml says "Dear Ben at Daily News"."""
    result = mailer("send", "releases/reminder.md", "--follow-up", "latest~1", "--who", "not-opened", "--dry-run", "--eml", "all")
    assert result.exit_code == 0, result.output
    assert f"latest~1 is {office}" in result.stderr
    (dry_run,) = follow_ups(office)
    emails = {}
    for path in (tmp_path / "out" / "outbox" / dry_run["id"]).glob("*.eml"):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        emails[str(parsed["To"])] = " ".join(text.split())
    assert sorted(emails) == ["Ben Okafor <ben@daily.example>", "Gus Berg <gus@tv.example>"]
    assert "Dear Ben at Daily News, in case you missed it" in emails["Ben Okafor <ben@daily.example>"]
    assert "Dear Gus at TV Channel, in case you missed it" in emails["Gus Berg <gus@tv.example>"]


def test_follow_up_with_where_and_list_narrows_further(office: str, tmp_path: Path) -> None:
    """--where filters on the original's fields; --list keeps only journalists also on that list (intersection)."""
    result = mailer(
        "send", "releases/reminder.md", "--follow-up", office, "--who", "not-clicked", "--where", "outlet=TV Channel", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert (
        f"Follow-up:  1 of 8 journalists of {office} (not clicked): 1 bounced, 1 clicked, 1 bounced since, 3 filtered, 1 suppressed\n"
        in (result.stdout)
    )
    (tmp_path / "lists" / "radio.csv").write_text("Email\nian@radio.example\neve@radio.example\nzoe@new.example\n", encoding="utf-8")
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", "not-clicked", "--list", "lists/radio.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Follow-up:  1 of 8 journalists of {office} (not clicked): 1 bounced, 1 clicked, 4 not on the lists, 1 bounced since\n" in (
        result.stdout
    )
    assert [recipients_of(row["id"]) for row in follow_ups(office)] == [["gus"], ["ian"]]


def test_follow_up_live_send_records_its_original(office: str, standin: Any) -> None:
    """A live follow-up goes out through SendGrid to exactly those journalists and names its original in the log."""
    standin.reset()
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", "opened", "--yes", "--no-test-ok")
    assert result.exit_code == 0, result.output
    sent = sorted(p["to"][0]["email"] for request in standin.mail_sends for p in request.body["personalizations"])
    assert sent == ["ana@daily.example", "dan@gazette.example", "ian@radio.example"]
    (live,) = follow_ups(office, mode="live")
    assert live["status"] == "done"
    again = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", "clicked", "--dry-run", "--json", "--include-previous")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["follow_up"] == {
        "of": office,
        "who": "clicked",
        "plan": f"1 of 8 journalists of {office} (clicked): 1 bounced, 6 did not click",
    }


def test_follow_up_refuses_dry_runs_test_sends_and_unclear_options(office: str) -> None:
    """A dry run or test send cannot be followed up; --who and --follow-up go together; nobody left is said plainly."""
    dry = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--include-previous", "--dry-run")
    assert dry.exit_code == 0, dry.output
    result = mailer("send", "releases/reminder.md", "--follow-up", f"{todays_campaign()}-2", "--who", "opened", "--dry-run")
    assert result.exit_code == 1
    assert (
        f"Error: {todays_campaign()}-2 is a dry run (nothing was sent): a follow-up follows a live send to journalists.\n" in result.output
    )
    latest = mailer("send", "releases/reminder.md", "--follow-up", "latest", "--who", "opened", "--dry-run")  # the newest live send
    assert "(live, created" in latest.output.split("latest is ", 1)[1] and "is a dry run" not in latest.output
    test = mailer("test", "releases/example.md", "--to", "press@example.org")
    assert test.exit_code == 0, test.output
    result = mailer("send", "releases/reminder.md", "--follow-up", f"{todays_campaign()}-test", "--who", "opened", "--dry-run")
    assert result.exit_code == 1 and "is a test send to staff: a follow-up follows a live send" in result.output
    result = mailer("send", "releases/reminder.md", "--follow-up", "2026-01-01-nothing", "--who", "opened", "--dry-run")
    assert result.exit_code == 1 and 'No campaign "2026-01-01-nothing" in the delivery log to follow up.' in result.output
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--dry-run")
    assert (
        result.exit_code == 2 and "Say whom to follow up: add --who not-opened, opened, clicked, not-clicked or delivered." in result.output
    )
    result = mailer("send", "releases/reminder.md", "--who", "opened", "--list", "lists/press.csv", "--dry-run")
    assert result.exit_code == 2 and "--who picks journalists of an earlier campaign: add --follow-up CAMPAIGN." in result.output
    result = mailer("send", "releases/reminder.md", "--dry-run")
    assert result.exit_code == 2 and "Missing option '--list'" in result.output
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", "clicked", "--where", "outlet=Radio One", "--dry-run")
    assert result.exit_code == 1
    assert f"Error: Nobody to follow up: none of the 8 journalists of {office} is left (clicked).\n" in result.output


def test_follow_up_reports_link_both_ways_and_show_the_combined_reach(office: str, tmp_path: Path) -> None:
    """The reports of the original and of its follow-up name each other and count the journalists reached by either once.

    The follow-up goes to ben and gus (not opened); gus gets it and opens it, ben gets it and
    does not. Delivered: ana, ben, dan, eve, fay, ian by the original, plus gus = 7. Opened by
    people: ana, dan, ian, plus gus = 4.
    """
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", "not-opened", "--yes", "--no-test-ok")
    assert result.exit_code == 0, result.output
    later = todays_campaign("reminder")
    k = keys(later)
    happenings = [
        sg("delivered", "ben", "daily.example", later, k["ben"], 100005),
        sg("delivered", "gus", "tv.example", later, k["gus"], 100005),
        sg("open", "gus", "tv.example", later, k["gus"], 100600, sg_machine_open=False),
    ]
    (tmp_path / "follow-up-events.json").write_text(json.dumps(happenings), encoding="utf-8")
    imported = mailer("events", "import", "follow-up-events.json")
    assert imported.exit_code == 0, imported.output
    combined = (
        f"Combined reach of {office} and its 1 follow-up: 7 journalists delivered to, 4 opened by people (each journalist counted once).\n"
    )
    original = mailer("report", office)
    assert original.exit_code == 0, original.output
    assert f"Followed up by {later} (not opened).\n{combined}" in original.stdout
    follow_up = mailer("report", "latest")
    assert follow_up.exit_code == 0, follow_up.output
    assert f"Follow-up of {office}.\n{combined}" in follow_up.stdout
    document = json.loads(mailer("report", later, "--format", "json").stdout)
    assert document["follow_up"] == {
        "original": office,
        "follow_ups": [{"campaign": later, "who": "not-opened"}],
        "combined": {"delivered": 7, "opened_human": 4},
    }
    page = mailer("report", office, "--format", "html", "-o", "page.html")
    assert page.exit_code == 0, page.output
    assert f"Followed up by {later} (not opened).</p>" in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_follow_up_leaves_out_erased_and_unsent_journalists(office: str) -> None:
    """A journalist erased with `mailer forget` (ben) and one whose fate is unknown (gus, the request timed out) get no follow-up."""
    forgotten = mailer("forget", "ben@daily.example", "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    engine = connect(config.from_environment().database.url)
    with engine.begin() as connection:
        connection.execute(update(message).where(message.c.email == "gus@tv.example").values(state="unknown"))
    engine.dispose()
    result = mailer("send", "releases/reminder.md", "--follow-up", office, "--who", "not-clicked", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        f"Follow-up:  2 of 8 journalists of {office} (not clicked): 1 erased, 1 not sent, 1 bounced, 1 clicked, 1 bounced since, 1 suppressed\n"
    ) in result.stdout
    assert recipients_of(follow_ups(office)[0]["id"]) == ["dan", "ian"]


def test_follow_up_column_added_to_a_version_6_log(db_url: str) -> None:
    """Upgrade step 7: a log at schema version 6 (no campaign.follow_up_of) gets the column on opening."""
    connect(db_url).dispose()
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE campaign DROP COLUMN follow_up_of")
        connection.exec_driver_sql("UPDATE schema_info SET version = 6")
    engine.dispose()
    upgraded = connect(db_url)
    with upgraded.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        assert "follow_up_of" in {column["name"] for column in inspect(connection).get_columns("campaign")}
    upgraded.dispose()


def test_cancel_on_a_terminal_names_a_follow_up_as_one(office: str, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer cancel` asks before cancelling, naming the send (session 23); of a scheduled
    follow-up it did not say it was one (review 23c, left): it now says which send it follows up."""
    from datetime import timedelta

    from mailer.cli import send as send_cli

    at = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    sent = mailer(
        "send",
        "releases/reminder.md",
        "--follow-up",
        office,
        "--who",
        "opened",
        "--yes",
        "--no-test-ok",
        "--at",
        f"{at:%Y-%m-%d %H:%M} UTC",
    )
    assert sent.exit_code == 0, sent.output
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    kept = CliRunner().invoke(main, ["cancel", "latest"], env={"SENDGRID_API_KEY": KEY}, input="n\n")
    assert kept.exit_code == 0, kept.output
    words = " ".join(kept.stdout.split())
    assert f": a follow-up of {office}, " in words and f"scheduled for {at:%Y-%m-%d %H:%M} UTC, to 3 journalists" in words, words
    assert words.endswith("Nothing was cancelled."), words
