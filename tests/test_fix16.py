"""Fix 16: leftovers of session 15.

A scheduled send killed while its last request waited for SendGrid, cancelled after its time; the
delivery log's upgrade that marks events of another log, silent for minutes on a large log;
`mailer preview`'s warning of a release field close to a standard column name. SendGrid is the
local stand-in; a crash is a real process killed.
"""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, SIX, Bars, campaign_of, killed, mailer, office, opening_line, said

from mailer.send import campaign as campaign_module
from mailer.send import schedule
from mailer.send import status as status_module


def after_its_time(monkeypatch: pytest.MonkeyPatch, goes_out: datetime) -> None:
    """Every command from now on runs an hour after the send's time."""
    later = goes_out + timedelta(hours=1)
    monkeypatch.setattr(campaign_module, "utcnow", lambda *_: later)
    monkeypatch.setattr(status_module, "utcnow", lambda *_: later)


# -- 1. cancel, after its time, of a scheduled send killed in its last request: "gone out already" --


@pytest.mark.slow
def test_cancel_after_its_time_of_a_scheduled_send_killed_in_its_last_request(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release was scheduled for 18:00, six journalists, one request each: five accepted, then
    the laptop died while the last request waited for SendGrid's answer. After 18:00 she runs
    `mailer cancel`: "... was scheduled for ...; it has gone out already.", where `mailer status`
    says the last journalist was on the way to SendGrid and may or may not have the email. The
    cancel says what status says: the five went out at that time, the last one's fate is unknown
    (marked so, the campaign done, as a cancel of any send killed in its last request leaves it),
    and what settles it; status then agrees."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    standin.slow(10.0, times=1, match=lambda r: len(standin.mail_sends) >= 6)
    campaign_id = killed(tmp_path, standin, lambda: len(standin.mail_sends) >= 6, (*SEND, "--at", goes_out.isoformat()))
    after_its_time(monkeypatch, goes_out)
    before = said(mailer("status", campaign_id))
    assert "1 recipient was on their way to SendGrid" in before and "they may already have the email" in before, before
    cancelled = mailer("cancel", campaign_id)
    words = said(cancelled)
    assert cancelled.exit_code == 0, cancelled.output
    assert "gone out already" not in words, cancelled.output
    at = schedule.describe(goes_out)
    assert f"The emails of 5 journalists were handed to SendGrid and have gone out (at {at}, or at once" in words, cancelled.output
    assert "The last journalist was on their way to SendGrid when the send stopped" in words, cancelled.output
    assert "1 recipient is unknown" in words and "they may already have the email" in words, cancelled.output
    assert f"mailer resume {campaign_id} --resend-unknown" in words, cancelled.output
    shown = mailer("status", campaign_id)
    assert "Recipients: 5 accepted, 1 unknown" in shown.output, shown.output
    assert f"Campaign:  {campaign_id} (live, done)" in shown.output, shown.output
    assert "1 recipient is unknown" in said(shown), shown.output
    assert not standin.mail_sends, "nobody mailed again"


def test_cancel_after_its_time_of_a_scheduled_send_with_unknown_journalists(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled send where SendGrid's gateway answered 502 for one request: that journalist is
    unknown. After its time, `mailer cancel` said "it has gone out already" of all of it; it says
    nothing is left to cancel, and of the unknown journalist what `mailer status` says."""
    office(tmp_path, standin, db_url, batch_size=1, sendgrid="retries = 0\n")
    goes_out = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    standin.answer(502, times=1)
    sent = mailer(*SEND, "--at", goes_out.isoformat())
    assert sent.exit_code == 3, sent.output
    campaign_id = campaign_of(sent)
    after_its_time(monkeypatch, goes_out)
    cancelled = mailer("cancel", campaign_id)
    words = said(cancelled)
    assert cancelled.exit_code == 1, cancelled.output
    assert "gone out already" not in words, cancelled.output
    assert "1 recipient is unknown" in words and "they may already have the email" in words, cancelled.output
    assert f"mailer resume {campaign_id} --resend-unknown" in words, cancelled.output
    assert "1 recipient is unknown" in said(mailer("status", campaign_id))


# -- 2. opening a large log of an earlier version: minutes of silence -------------------------------

CAMPAIGN = "2026-02-19-wetlands"


def version_11_log(db_url: str, raws: list[str], *, linked: tuple[int, ...] = ()) -> None:
    """A delivery log as version 11 left it (no ``other_log`` column): this log's journalists ana
    and ben (message keys ``m-ana``, ``m-ben``) and one event per JSON text of ``raws``, those at
    the places in ``linked`` linked to ana's message (as an older version linked by address)."""
    from eventlog import T0, add_campaign, add_message
    from sqlalchemy import text

    from mailer.store import connect
    from mailer.store import events as event_store

    engine = connect(db_url)
    add_campaign(engine, CAMPAIGN)
    ana = add_message(engine, CAMPAIGN, "ana@example.org", key="m-ana")
    add_message(engine, CAMPAIGN, "ben@example.org", key="m-ben")
    with engine.connect() as connection:
        ana_id = connection.execute(text("SELECT id FROM message WHERE message_key = :k"), {"k": "m-ana"}).scalar_one()
    assert ana
    rows = [
        {
            "sg_event_id": f"old-{n}",
            "dedupe_key": f"{T0 + n:011d}-old{n}",
            "campaign_id": CAMPAIGN,
            "message_id": ana_id if n in linked else None,
            "event": "open",
            "email": "ana@example.org",
            "timestamp": T0 + n,
            "sg_message_id": None,
            "reason": None,
            "bounce_type": None,
            "bounce_classification": None,
            "machine_open": False,
            "url": None,
            "raw": raw,
        }
        for n, raw in enumerate(raws)
    ]
    with engine.begin() as connection:
        event_store.insert(connection, rows)
        connection.exec_driver_sql("ALTER TABLE event DROP COLUMN other_log")
        connection.execute(text("UPDATE schema_info SET version = 11"))
    engine.dispose()


def marked(db_url: str) -> list[tuple[bool, bool]]:
    """(marked of another log, still linked to a message) of each event, in order; the log opened (upgraded) first."""
    from sqlalchemy import select

    from mailer.store import connect
    from mailer.store.schema import event

    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(event.c.other_log, event.c.message_id).order_by(event.c.id)).all()
    finally:
        engine.dispose()
    return [(bool(other), linked is not None) for other, linked in rows]


class _AtTheStep:
    """Stands for a ``threading.Timer``: its function runs once ``due`` is set, unless cancelled
    before. A loaded machine cannot make it come too soon (a 0.5 s timer did, before the upgrade had
    begun) or too late; ``done`` once it has run or been cancelled."""

    def __init__(self, due: Any, function: Any, args: Any = None, kwargs: Any = None) -> None:
        import threading

        self.due, self.function, self.args, self.kwargs = due, function, args or (), kwargs or {}
        self.cancelled, self.done = threading.Event(), threading.Event()
        self.daemon = True
        self.lock = threading.Lock()

    def start(self) -> None:
        import threading

        threading.Thread(target=self._run, daemon=True).start()

    def cancel(self) -> None:
        with self.lock:
            self.cancelled.set()
            self.done.set()

    def _run(self) -> None:
        while not self.due.wait(0.05):
            if self.cancelled.is_set():
                return
        with self.lock:
            if self.cancelled.is_set():
                return
            self.function(*self.args, **self.kwargs)
            self.done.set()


def test_opening_a_large_log_of_an_earlier_version_shows_the_upgrade(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press officer updates press-mailer and runs `mailer campaigns` on her office's log: the
    upgrade reads every stored event (about 12 s per million) and the terminal shows nothing, then
    after 2 s "Waiting for the delivery log: another program is using it", which is not so. The
    command says it is upgrading that log, shows a bar of the events checked, and never blames
    another program; the next command opens the log at once, without a word of it."""
    import threading

    from mailer.cli import output
    from mailer.store import display_url

    upgrade = importlib.import_module("mailer.store.upgrade")  # the module (mailer.store.upgrade is also its function's name)

    office(tmp_path, standin, db_url)
    version_11_log(db_url, [json.dumps({"event": "open", "message": f"theirs-{n}"}) for n in range(30)])
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    timer = threading.Timer
    under_way = threading.Event()
    waits: list[_AtTheStep] = []

    def at_the_step(interval: float, function: Any, *args: Any, **kwargs: Any) -> Any:
        """A note "after a moment" asked before the upgrade is under way comes while it is (unless
        called off by then); one asked after, after its moment."""
        if under_way.is_set():
            return timer(interval, function, *args, **kwargs)
        waits.append(_AtTheStep(under_way, function, *args, **kwargs))
        return waits[-1]

    monkeypatch.setattr(threading, "Timer", at_the_step)
    step = upgrade.STEPS[12]

    def slow_step(connection: Any, advance: Any) -> None:
        under_way.set()  # the upgrade under way, as on a large log
        for wait in waits:
            assert wait.done.wait(30), "a note asked before the upgrade neither came nor was called off"
        step(connection, advance)

    monkeypatch.setitem(upgrade.STEPS, 12, slow_step)
    monkeypatch.setattr(upgrade, "_CHUNK", 7)
    listed = mailer("campaigns")
    assert listed.exit_code == 0, listed.output
    words = said(listed)
    assert f"Upgrading the delivery log {display_url(db_url)} for this version of press-mailer" in words, listed.output
    assert "another program is using it" not in words and "Waiting for" not in words, listed.output  # nor the server (PostgreSQL)
    assert [(description, total, sum(steps)) for description, total, steps in bars.bars] == [
        ("Upgrading the delivery log: events checked", 30, 30)
    ]
    assert len(bars.bars[0][2]) == 5, "the bar moves once per chunk of events"
    again = mailer("campaigns")
    assert "Upgrading" not in again.output and len(bars.bars) == 1, again.output


# Stored event JSON an earlier version may have left, and whether step 12 marks it another log's
# (read as Python reads it: the last of two labels, spaces stripped, a number as its text).
ODD_EVENTS = [
    ('{"message":"m-ana"}', False),  # this log's
    ('{"message":"theirs-1"}', True),  # another log's
    ('{"message":"theirs-2"', False),  # broken JSON: no key can be read
    ('{"message":"theirs-3","x":NaN}', True),  # Python reads NaN
    ('["theirs-4"]', False),  # not an object
    ('{"message":5}', True),  # "5": no such key here
    ('{"message":true}', True),  # "True"
    ('{"message":" m-ana "}', False),  # stripped: this log's
    ('{"message":"\u00a0m-ben\u2003"}', False),  # stripped of Unicode spaces too: this log's
    ('{"m\\u0065ssage":"theirs-5"}', True),  # an escaped label
    ('{"message":"m-ana","message":"theirs-6"}', True),  # the last label counts
    ('{"message":"theirs-7","message":"m-ana"}', False),
    ('{"message":""}', False),
    ('{"message":null}', False),
    ('{"message":{"k":"theirs-8"}}', False),
    ("{}", False),  # blanked by mailer forget
    ("{'message':'theirs-9'}", False),  # not JSON (JSON5 at most)
    ('{"message":"theirs-10\t"}', False),  # a raw tab: not JSON for Python
    ('{"message":"theirs\\u0000"}', True),  # a NUL escape (PostgreSQL cannot read it as text)
    ("[" * 100_000 + "]" * 100_000, False),  # nested too deep to read
    ('{"message":"m-ben","event":"message"}', False),
    ('{"event":"open","message":"theirs-11","reason":"\\"message\\""}', True),
]


@pytest.mark.parametrize("chunk", [4, 20_000])
def test_the_upgrade_reads_odd_event_json_as_python_does(db_url: str, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Step 12 reads the events' JSON faster now (msgspec; on PostgreSQL, PostgreSQL itself):
    whatever an earlier version left in the log (broken JSON, a key with spaces, "message" twice,
    JSON nested a hundred thousand deep), it marks exactly the events the Python reading marked,
    and none stops the upgrade (the deep one did: Python's RecursionError; on PostgreSQL so did a
    key holding NUL). Linked ones of another log are unlinked. In chunks of 4 some chunks hold only
    JSON PostgreSQL reads, others JSON it refuses."""
    upgrade = importlib.import_module("mailer.store.upgrade")
    monkeypatch.setattr(upgrade, "_CHUNK", chunk)
    read_here = upgrade._others_read_here
    in_python: list[str | None] = []

    def reading_here(connection: Any, rows: Any) -> list[int]:
        in_python.extend(raw for _, raw in rows)
        return read_here(connection, rows)

    monkeypatch.setattr(upgrade, "_others_read_here", reading_here)
    version_11_log(db_url, [raw for raw, _ in ODD_EVENTS], linked=(0, 1, 2))
    assert marked(db_url) == [(other, n in (0, 2)) for n, (_, other) in enumerate(ODD_EVENTS)]
    if chunk == 4 and db_url.startswith("postgresql"):  # the last chunk holds JSON PostgreSQL reads: Python reads none of it
        assert ODD_EVENTS[-1][0] not in in_python, in_python


# -- 3. `mailer preview` without --list: "did you mean" of a press office's own column ----------------


@pytest.mark.parametrize(
    ("field", "meant"),
    [
        ("firm_name", None),  # a law firm's name, not a misspelt first_name
        ("first_names", None),  # several in one cell, as beats, outlets, languages
        ("outlet_name", "outlet"),  # since review 18h the loader reads an Outlet Name column as outlet
        ("outlet_type", None),
        ("job_title", "title"),  # the loader reads a Job Title column as title
        ("surname", "last_name"),  # and a Surname column as last_name (it said "did you mean first_name" of family_name)
        ("family_name", "last_name"),
        ("state", None),  # it said: did you mean "title"?
        ("twitter", None),  # the same
        ("note", None),  # did you mean "outlet"?
        ("email_2", None),  # the loader's name for a second Email column
        ("county", None),
        ("frist_name", "first_name"),  # typos are still warned of
        ("firstname", "first_name"),
        ("last_nmae", "last_name"),
        ("contry", "country"),
        ("langauge", "language"),
        ("titel", "title"),
        ("seat", None),  # a short standard name's one changed letter is an everyday word (session 16's leftover)
        ("best", None),
        ("tabs", None),
        ("bags", None),
        ("beta", "beat"),  # swapped, added or left out is still a typo
        ("bet", "beat"),
        ("tgas", "tags"),
    ],
)
def test_preview_without_a_list_warns_only_of_a_likely_typo(tmp_path: Path, standin: Any, field: str, meant: str | None) -> None:
    """`mailer preview` without --list warned of {{ contact.firm_name }} "(did you mean "first_name"?)"
    and so of outlet_name, state ("title"), note ("outlet"), email_2: columns a press office's lists
    have, which a send to them mails as they are. It warns of a typo of a standard column, and of a
    name the list loader reads as one (a Job Title column is title), naming that column."""
    office(tmp_path, standin, f"sqlite:///{tmp_path}/log.db")  # no log is opened
    opening_line(tmp_path, f"For {{{{ contact.{field} }}}}:")
    shown = mailer("preview", "releases/example.md", key=None)
    assert shown.exit_code == 0, shown.output
    words = said(shown)
    if meant is None:
        assert "contact field" not in words and "did you mean" not in words, shown.output
    else:
        assert f'The release uses the contact field "{field}" (did you mean "{meant}"?' in words, shown.output
        assert "mailer send refuses the release" in words, shown.output
