"""Fix 15b: another log's events no longer weigh in this log's look-ups by address (item 1), and a
send still handing its requests over stops at a cancel given elsewhere (item 2)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import example
from eventlog import T0, add_campaign, add_message, sg_event, suppressions
from sqlalchemy import Engine, select, text

from mailer import events
from mailer.cli import main
from mailer.events.apply import ROW_COLUMNS
from mailer.reports import contact, figures
from mailer.send import follow_up
from mailer.store import connect, follow_ups, messages
from mailer.store import events as event_store
from mailer.store import suppressions as suppression_store
from mailer.store.schema import event, message
from mailer.store.upgrade import SCHEMA_VERSION, schema_version

CAMPAIGN = "2026-02-19-wetlands"
OTHER_LOG = "in mail sent with another delivery log"


def seed(engine: Engine, *names: str) -> dict[str, str]:
    """This log's campaign, one journalist per name (``<name>@example.org``, message key ``m-<name>``)."""
    add_campaign(engine, CAMPAIGN)
    return {name: add_message(engine, CAMPAIGN, f"{name}@example.org", key=f"m-{name}") for name in names}


def ours(kind: str, name: str, at: int, **extra: object) -> dict[str, object]:
    """An event of this log's mail to ``name``."""
    return sg_event(kind, f"{name}@example.org", key=f"m-{name}", campaign_id=CAMPAIGN, at=at, **extra)


def theirs(kind: str, name: str, at: int, **extra: object) -> dict[str, object]:
    """An event of another log's mail to ``name`` (another client's folder): its message key is
    unknown here, its campaign id spelt like ours."""
    return sg_event(kind, f"{name}@example.org", key=f"theirs-{name}", campaign_id=CAMPAIGN, at=at, sg_message_id="", **extra)


def apply(engine: Engine, *raw: dict[str, object], threshold: int = 3) -> events.Applied:
    return events.apply(engine, [events.from_object(e, where="x") for e in raw], source="webhook", block_threshold=threshold)


def blocked(name: str, at: int, *, mine: bool = True) -> dict[str, object]:
    make = ours if mine else theirs
    return make("bounce", name, at, type="blocked", reason="550 5.7.1 blocked by policy")


# Item 1: foreign events --------------------------------------------------------------------------


def test_fix15b_another_logs_events_are_marked_in_the_log(store: Engine) -> None:
    """An event naming a message key this log never gave out is stored marked ``other_log`` (a
    column, so the mark outlives `mailer forget` blanking its JSON); this log's events and a late
    bounce without any key are not. The rows apply.py writes follow the table's columns."""
    seed(store, "ana", "ben")
    late = {"email": "ben@example.org", "event": "bounce", "type": "bounce", "timestamp": T0 + 60, "sg_event_id": "late-1"}
    applied = apply(store, ours("open", "ana", T0 + 10), theirs("open", "ana", T0 + 20), theirs("click", "cleo", T0 + 30), late)
    assert applied.foreign == 2
    with store.connect() as connection:
        rows = connection.execute(select(event.c.event, event.c.email, event.c.other_log, event.c.message_id).order_by(event.c.id)).all()
    assert [(kind, email, bool(other), linked is not None) for kind, email, other, linked in rows] == [
        ("open", "ana@example.org", False, True),
        ("open", "ana@example.org", True, False),
        ("click", "cleo@example.org", True, False),
        ("bounce", "ben@example.org", False, True),
    ]
    assert ROW_COLUMNS == event_store.COLUMNS


def test_fix15b_another_logs_blocks_do_not_count_towards_the_block_threshold(store: Engine) -> None:
    """A block is a mail server refusing one sender's mail: another client's blocked release says
    nothing about whether this office's get through. Two blocks here and one in another log's mail
    are not the three that suppress; a third block of this log's mail is, and the note counts three."""
    seed(store, "ben")
    apply(store, blocked("ben", T0 + 10), blocked("ben", T0 + 20))
    apply(store, blocked("ben", T0 + 30, mine=False))
    assert "ben@example.org" not in suppressions(store)
    apply(store, blocked("ben", T0 + 40))
    assert suppressions(store)["ben@example.org"] == ("block", "webhook")
    with store.connect() as connection:
        entry = suppression_store.find(connection, "ben@example.org")
    assert entry is not None and entry.note == "blocked 3 times; last: 550 5.7.1 blocked by policy"


def test_fix15b_another_logs_group_resubscribe_does_not_undo_a_group_unsubscribe_said_here(store: Engine) -> None:
    """Dan left this office's unsubscribe group; his resubscribe to another client's group (its
    events imported here) does not put him back on the lists. Gus left and rejoined the other
    client's group: that log's own resubscribe undoes its unsubscribe. Eve's group unsubscribe came
    through another log (honoured, and said so); her resubscribe to this office's group later is
    her asking for its mail again."""
    seed(store, "dan", "gus", "eve")
    apply(store, ours("group_unsubscribe", "dan", T0 + 10, asm_group_id=7))
    apply(store, theirs("group_resubscribe", "dan", T0 + 20, asm_group_id=9))
    assert suppressions(store)["dan@example.org"] == ("unsubscribe", "webhook")
    apply(store, theirs("group_unsubscribe", "gus", T0 + 10, asm_group_id=9), theirs("group_resubscribe", "gus", T0 + 20, asm_group_id=9))
    assert "gus@example.org" not in suppressions(store)
    apply(store, theirs("group_unsubscribe", "eve", T0 + 10, asm_group_id=9))
    with store.connect() as connection:
        entry = suppression_store.find(connection, "eve@example.org")
    assert entry is not None and (entry.reason, entry.note) == ("unsubscribe", f"group unsubscribe ({OTHER_LOG})")
    apply(store, ours("group_resubscribe", "eve", T0 + 20, asm_group_id=7))
    assert "eve@example.org" not in suppressions(store)


def test_fix15b_lifting_a_bounce_keeps_a_stop_said_in_another_logs_mail_and_says_where_from(store: Engine) -> None:
    """Lifting a bounce brings back the journalist's own standing opt-out. Ben's unsubscribe came in
    another log's mail while he was suppressed for the bounce: it reached this office's SendGrid
    account, so it stands, and the note says where it came from. Dan's group unsubscribe here
    stands too: another log's group resubscribe after it does not undo it."""
    seed(store, "ben", "dan")
    hard = {"type": "bounce", "reason": "550 5.1.1 no such user"}
    apply(store, ours("bounce", "ben", T0 + 10, **hard), ours("bounce", "dan", T0 + 10, **hard))
    apply(store, theirs("unsubscribe", "ben", T0 + 20))
    apply(store, ours("group_unsubscribe", "dan", T0 + 20, asm_group_id=7), theirs("group_resubscribe", "dan", T0 + 30, asm_group_id=9))
    assert suppressions(store) == {"ben@example.org": ("bounce", "webhook"), "dan@example.org": ("bounce", "webhook")}
    with store.begin() as connection:
        suppression_store.remove(connection, ["ben@example.org", "dan@example.org"], note="mailbox works again")
    with store.connect() as connection:
        ben = suppression_store.find(connection, "ben@example.org")
        dan = suppression_store.find(connection, "dan@example.org")
    assert ben is not None and (ben.reason, ben.note) == ("unsubscribe", f"unsubscribed from all mail on 2026-02-19 ({OTHER_LOG})")
    assert dan is not None and (dan.reason, dan.note) == ("unsubscribe", "group unsubscribe on 2026-02-19")


def test_fix15b_a_resume_skips_a_let_through_address_for_another_logs_stop_but_not_its_block(store: Engine) -> None:
    """Ana, suppressed, was let through by name (--override-suppression) in a send still waiting:
    another log's block of her mailbox after the plan does not take her out of it (it judges that
    sender's mail), but its unsubscribe does (her stop request reached this account)."""
    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "ana@example.org", key="m-ana", state="planned")
    with store.begin() as connection:
        suppression_store.add(connection, [("ana@example.org", suppression_store.SuppressionReason.BOUNCE, None)], source="manual")
    since = datetime.fromtimestamp(T0, UTC)

    def skipped() -> int:
        with store.begin() as connection:
            return messages.skip_suppressed(connection, CAMPAIGN, since=since, overrides=["ana@example.org"], now=since)

    apply(store, blocked("ana", T0 + 60, mine=False))
    assert skipped() == 0
    apply(store, theirs("unsubscribe", "ana", T0 + 120))
    assert skipped() == 1


def test_fix15b_another_logs_events_change_no_report_contact_history_or_follow_up(store: Engine) -> None:
    """Another log's open, click, bounce and unsubscribe of Ana, with this campaign's id: the report
    counts none of them, her `mailer contact` history shows this campaign unopened, and a follow-up
    to those who did not open still picks her. Only the suppression shows, saying where it came from."""
    seed(store, "ana", "ben")
    apply(store, ours("delivered", "ana", T0 + 5), ours("delivered", "ben", T0 + 5), ours("open", "ben", T0 + 50))
    apply(
        store,
        theirs("open", "ana", T0 + 10),
        theirs("click", "ana", T0 + 20, url="https://example.org/x"),
        theirs("unsubscribe", "ana", T0 + 30),
        theirs("spamreport", "ana", T0 + 40),
    )
    summary = figures.summarize(store, CAMPAIGN)
    assert (summary.opened, summary.clicked, summary.unsubscribed, summary.spam_reports, summary.bounced) == (1, 0, 0, 0, 0)
    history = contact.history(store, "ana@example.org")
    (sending,) = history.sendings
    assert (sending.opens, sending.clicks, sending.unsubscribed, sending.spam_report, sending.bounce) == (0, 0, False, False, None)
    assert history.suppression is not None
    assert (history.suppression.reason, history.suppression.note) == ("unsubscribe", f"unsubscribed from all mail ({OTHER_LOG})")
    with store.connect() as connection:
        chosen = follow_up.select(list(follow_ups.journalists(connection, CAMPAIGN)), original=CAMPAIGN, who="not-opened")
    assert [c.email for c in chosen.contacts.contacts] == ["ana@example.org"]


def test_fix15b_opening_a_version_11_log_marks_and_unlinks_another_logs_events(db_url: str) -> None:
    """Step 12, on a log an earlier version wrote: its events naming a message key the log never
    gave out are marked ``other_log``, and those an older version linked to this log's messages by
    address and campaign id (before newcomer 14 #1) are unlinked. So Ben's open in another client's
    mail no longer counts as his open here, a follow-up to those who did not open picks him, and a
    block in the other log's mail no longer counts towards Cleo's block threshold."""
    engine = connect(db_url)
    seed(engine, "ana", "ben", "cleo")
    with engine.connect() as connection:
        ids = dict(connection.execute(select(message.c.message_key, message.c.id)).all())

    def row(n: int, kind: str, name: str, key: str | None, linked: bool, **extra: object) -> dict[str, object]:
        raw = {"event": kind, "email": f"{name}@example.org", "timestamp": T0 + n, "campaign": CAMPAIGN, **extra}
        if key is not None:
            raw["message"] = key
        return {
            "sg_event_id": f"old-{n}",
            "dedupe_key": f"{T0 + n:011d}-old{n}",
            "campaign_id": CAMPAIGN,
            "message_id": ids[f"m-{name}"] if linked else None,
            "event": kind,
            "email": f"{name}@example.org",
            "timestamp": T0 + n,
            "sg_message_id": None,
            "reason": None,
            "bounce_type": extra.get("type"),
            "bounce_classification": None,
            "machine_open": False if kind == "open" else None,
            "url": None,
            "raw": json.dumps(raw),
        }

    with engine.begin() as connection:
        event_store.insert(
            connection,
            [
                row(1, "open", "ana", "m-ana", True),  # this log's
                row(2, "open", "ben", "theirs-ben", True),  # another log's, linked by an older version
                row(3, "bounce", "cleo", "m-cleo", True, type="blocked"),  # this log's block
                row(4, "bounce", "cleo", "theirs-cleo", False, type="blocked"),  # another log's block, unlinked
                row(5, "bounce", "ben", None, True, type="bounce"),  # a late bounce: no key
            ],
        )
        connection.exec_driver_sql("ALTER TABLE event DROP COLUMN other_log")
        connection.execute(text("UPDATE schema_info SET version = 11"))
    engine.dispose()
    upgraded = connect(db_url)
    with upgraded.connect() as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        marked = connection.execute(select(event.c.sg_event_id, event.c.other_log, event.c.message_id).order_by(event.c.id)).all()
        chosen = follow_up.select(list(follow_ups.journalists(connection, CAMPAIGN)), original=CAMPAIGN, who="not-opened")
    assert [(sg_event_id, bool(other), linked is not None) for sg_event_id, other, linked in marked] == [
        ("old-1", False, True),
        ("old-2", True, False),
        ("old-3", False, True),
        ("old-4", True, False),
        ("old-5", False, True),
    ]
    assert figures.summarize(upgraded, CAMPAIGN).opened == 1
    assert [c.email for c in chosen.contacts.contacts] == ["ben@example.org", "cleo@example.org"]
    apply(upgraded, blocked("cleo", T0 + 60))  # this log's second block of Cleo: two, not three
    assert "cleo@example.org" not in suppressions(upgraded)
    upgraded.dispose()


# Item 2: a cancel given while another process still hands the send over ---------------------------

ROOT = Path(__file__).parent.parent
RECIPIENTS = 41  # valid, distinct rows of lists/press.csv
REQUESTS = 9  # of 5 journalists each


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """The example release and list; requests of 5, one at a time, so a send takes a while."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(
        '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 5\nconcurrency = 1\n\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return tmp_path


def start(office: Path, standin: Any, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SENDGRID_API_KEY": standin.api_key}
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", *args], cwd=office, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err
    return process.returncode, " ".join(out.split()), " ".join(err.split())


def scheduled_send(office: Path, standin: Any, minutes: int) -> tuple[subprocess.Popen[str], str]:
    """`mailer send --at` (``minutes`` ahead) in one terminal, once it has handed SendGrid two requests: the process and the campaign id.

    The caller holds the second request (``standin.hold``) until its cancel is done: the send is then
    still handing the campaign over however slowly a loaded machine runs the cancel (with the stand-in
    merely slow, the send could finish first)."""
    at = f"{datetime.now(UTC) + timedelta(minutes=minutes):%Y-%m-%d %H:%M} UTC"
    sending = start(office, standin, "send", "releases/example.md", "--list", "lists/press.csv", "--at", at, "--yes", "--no-test-ok")
    deadline = time.time() + 60
    while len(standin.mail_sends) < 2:
        assert sending.poll() is None, finish(sending)
        assert time.time() < deadline, "the send never got going"
        time.sleep(0.02)
    # In this process: `mailer campaigns` of its own cost about a second of start-up per test.
    listed = CliRunner().invoke(main, ["--config", str(office / "mailer.toml"), "campaigns", "--json"])
    assert listed.exit_code == 0, listed.output
    return sending, json.loads(listed.stdout)[0]["id"]


def log_states(store: Engine, campaign_id: str) -> dict[str, tuple[str, str | None]]:
    with store.connect() as connection:
        rows = connection.execute(
            select(message.c.email_key, message.c.state, message.c.skip_reason).where(
                message.c.campaign_id == campaign_id, message.c.email_key.like("%@%")
            )
        )
        return {row.email_key: (row.state, row.skip_reason) for row in rows if row.skip_reason in (None, "called off")}


def assert_only_what_it_moved_went_out(store: Engine, standin: Any, campaign_id: str) -> set[str]:
    """Promises 2 and 6: nobody reached SendGrid twice, and SendGrid got exactly the journalists the
    log holds accepted (every request answered was logged; none went out for rows not sent)."""
    accepted = standin.accepted_addresses()
    assert set(accepted.values()) <= {1}, f"doubled: {[a for a, n in accepted.items() if n > 1]}"
    states = log_states(store, campaign_id)
    logged = {address for address, (state, _) in states.items() if state == "accepted"}
    assert {a.lower() for a in accepted} == logged
    assert len(standin.mail_sends) < REQUESTS, "the send handed everyone over: it never noticed the cancel"
    return logged


@pytest.mark.slow
def test_fix15b_a_late_cancel_stops_a_send_still_handing_it_over_in_another_terminal(office: Path, standin: Any, store: Engine) -> None:
    """`mailer send --at` (seven minutes ahead) is handing its requests to SendGrid in one terminal
    when `mailer cancel` runs in another, too late for SendGrid to promise it. The running send sees
    the cancel at its next round: the request out is answered and logged, no new one leaves, the
    journalists it never handed over are called off (not left planned for a resume that is refused),
    and it says in plain words that the send was cancelled from elsewhere."""
    second = standin.hold(match=lambda r: len(standin.mail_sends) == 2)  # with SendGrid until the cancel is done
    sending, campaign_id = scheduled_send(office, standin, 7)
    code, out, err = finish(start(office, standin, "cancel", campaign_id))
    assert sending.poll() is None, "the send finished before the cancel ran: the test proves nothing"
    second.set()
    assert code == 0, err
    assert "it may still go out" in err
    assert f"{campaign_id} is still being handed to SendGrid by another process" in out, out
    assert "calls off the journalists it has not handed over" in out, out
    code, out, err = finish(sending)
    assert code == 1, (out, err)
    assert f"Error: A cancel of {campaign_id} was asked from elsewhere (mailer cancel, in another terminal or on another computer)" in err
    assert "less than 10 minutes before its time, so this send stopped handing it to SendGrid" in err, err
    reached = assert_only_what_it_moved_went_out(store, standin, campaign_id)
    states = log_states(store, campaign_id)
    called_off = {address for address, (state, reason) in states.items() if reason == "called off"}
    assert len(reached) + len(called_off) == RECIPIENTS == len(states)
    off = len(called_off)
    said = f"the {off} journalist it had not handed over is" if off == 1 else f"the {off} journalists it had not handed over are"
    assert f"{said} called off and will not be mailed" in err, err
    assert f"SendGrid may still send the emails of the {len(reached)} journalists it holds" in err, err
    code, _, err = finish(start(office, standin, "resume", campaign_id, "--yes"))
    assert code == 1 and "cannot be resumed" in err, err
    assert len(standin.accepted_addresses()) == len(reached)


@pytest.mark.slow
def test_fix15b_a_cancel_in_time_stops_a_send_still_handing_it_over_in_another_terminal(office: Path, standin: Any, store: Engine) -> None:
    """The same with a send scheduled half an hour ahead, cancelled in time: SendGrid discards all it
    holds, and the running send hands it nothing more (it used to go on handing everyone over under
    the cancelled batch). The campaign ends cancelled, its journalists never handed over left as the
    cancel leaves them, and the send says it was cancelled from elsewhere."""
    second = standin.hold(match=lambda r: len(standin.mail_sends) == 2)  # with SendGrid until the cancel is done
    sending, campaign_id = scheduled_send(office, standin, 30)
    code, out, err = finish(start(office, standin, "cancel", campaign_id))
    assert sending.poll() is None, "the send finished before the cancel ran: the test proves nothing"
    second.set()
    assert code == 0, err
    assert f"Cancelled {campaign_id}: SendGrid will discard its messages at" in out, out
    assert "is still being handed to SendGrid by another process (another terminal or computer): it stops at its next request" in out
    code, out, err = finish(sending)
    assert code == 1, (out, err)
    assert (
        f"Error: {campaign_id} was cancelled from elsewhere (mailer cancel, in another terminal or on another computer) "
        "while this send was handing it to SendGrid, so it stopped" in err
    ), err
    reached = assert_only_what_it_moved_went_out(store, standin, campaign_id)
    states = log_states(store, campaign_id)
    assert {state for address, (state, _) in states.items() if address not in reached} == {"planned"}
    assert f"Accepted: 0 failed: 0 unknown: 0 not sent yet: 0 skipped: 8 cancelled: {RECIPIENTS}" in out, out
    assert f"SendGrid discards the emails of the {len(reached)} journalists it holds" in err, err
    unsent = RECIPIENTS - len(reached)
    assert f"the {unsent} journalist{'' if unsent == 1 else 's'} not handed over will not be mailed" in err, err
    shown = json.loads(finish(start(office, standin, "status", campaign_id, "--json"))[1])
    assert shown["status"] == "cancelled" and shown["counts"]["accepted"] == 0, shown
