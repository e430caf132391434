"""Review 18s: scheduled sends, resume and cancel as a press office (and bad luck) meets them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from office_cli import ONE_BY_ONE, SEND, SIX, campaign_of, cancel_cut_off, mailed, mailer, office, said


def undated(project: Path) -> None:
    """releases/example.md without its `date:` line: the dateline says the day it is composed ("default today")."""
    release = project / "releases" / "example.md"
    release.write_text("".join(line for line in release.read_text(encoding="utf-8").splitlines(True) if not line.startswith("date:")))


class Tomorrow(dt.date):
    """``date`` whose today() is tomorrow: the computer's clock has passed midnight."""

    @classmethod
    def today(cls) -> Tomorrow:
        real = dt.date.today() + dt.timedelta(days=1)
        return cls(real.year, real.month, real.day)


def test_resume_after_midnight_of_an_undated_release_is_not_refused_as_changed(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release with no `date:` line (the README: "default today") went out in the evening;
    SendGrid went away after two journalists. She resumed it after midnight, the file untouched:
    `mailer resume` refused, "releases/example.md has changed since ... started; resuming would
    send a different email", and told her to undo a change she never made, or start a new send.
    The rest of the journalists get the email the first ones got, dated the day it started."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid=ONE_BY_ONE)
    undated(tmp_path)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1, stopped.output
    campaign_id = campaign_of(stopped)
    first = next(r.body for r in standin.mail_sends if r.status == 202)
    standin.scripts.clear()
    monkeypatch.setattr("mailer.compose.release.date", Tomorrow)
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, said(resumed)
    assert "has changed" not in said(resumed)
    assert sorted(mailed(standin)) == sorted(f"j{i}@paper{i}.example" for i in range(6)), mailed(standin)
    last = [r.body for r in standin.mail_sends if r.status == 202][-1]
    assert last["content"] == first["content"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-12-02 09:00\u00a0Europe/London", "2026-12-02 09:00 Europe/London"),  # a no-break space, pasted from an email
        ("2026-12-02  09:00 Europe/London", "2026-12-02 09:00 Europe/London"),
        ("2026-12-02 9:00 Europe/London", "2026-12-02 09:00 Europe/London"),
        ("2026-12-02 09:00 europe/london", "2026-12-02 09:00 Europe/London"),
        ("2026-12-02 9:30 asia/kolkata", "2026-12-02 09:30 Asia/Kolkata"),
    ],
)
def test_at_as_a_press_officer_types_it(typed: str, meant: str) -> None:
    """--at "2026-12-02 9:00 Europe/London" (no leading zero), a zone in lower case, or the
    README's own example pasted from an email with a no-break space were refused: '--at "..." is
    not a time mailer understands', followed by an example she could not tell from what she had
    typed. Each is read as the time it plainly means."""
    from mailer.send.schedule import parse_at

    now = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    assert parse_at(typed, now=now) == parse_at(meant, now=now)


def test_embargo_pasted_with_a_no_break_space_is_read(tmp_path: Path) -> None:
    """The embargo line copied from the client's email, `embargo: "2026-12-02 09:00\u00a0Europe/London"`,
    stopped every command with 'is not a date and time I can read', though it reads exactly like
    the README's example."""
    from mailer.compose import release

    path = tmp_path / "release.md"
    path.write_text('---\nsubject: "Hives"\nembargo: "2026-12-02 09:00\u00a0Europe/London"\n---\nText.\n', encoding="utf-8")
    assert release.load(path).embargo == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def test_an_undated_release_sent_again_the_next_day_is_the_same_release(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release with no `date:` line went to the beat list one day; the next day she sent the
    same file, untouched, with --yes (to the beat list again, as for one more list). The plan
    warned "2 of these journalists already received an earlier version of this release" and both
    journalists were mailed a second time. The same release is the same content on any day: they
    are skipped as having received it, and nobody is mailed twice."""
    office(tmp_path, standin, db_url, beat=SIX)
    undated(tmp_path)
    first = mailer(*SEND)
    assert first.exit_code == 0, first.output
    standin.requests.clear()
    monkeypatch.setattr("mailer.compose.release.date", Tomorrow)
    again = mailer(*SEND)
    assert "earlier version" not in said(again), said(again)
    assert "6 journalists already received this exact release" in said(again), said(again)
    assert mailed(standin) == []


def test_at_in_est_on_a_summer_day_says_new_york_is_on_edt() -> None:
    """A New York press office writes times as "EST" all year. --at "2026-07-02 09:00 EST" was taken
    as UTC-5, the plan read "Scheduled: 2026-07-02 14:00 UTC (09:00 EST)", and the release reached
    journalists at 10:00 New York time, an hour after the embargo lifted and the wires ran it.
    In summer it is refused, saying which hour it would be in New York and what to write."""
    from mailer.errors import SendError
    from mailer.send.schedule import parse_at

    now = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(SendError) as refused:
        parse_at("2026-07-02 09:00 EST", now=now)
    assert refused.value.message == (
        '--at "2026-07-02 09:00 EST": EST is UTC-5 all year, but on 2026-07-02 New York\'s clocks show EDT (UTC-4), '
        "so 09:00 EST is 10:00 in New York."
    )
    assert refused.value.hint is not None and '--at "2026-07-02 09:00 America/New_York"' in refused.value.hint
    winter = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert parse_at("2026-12-02 09:00 EST", now=winter) == dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.UTC)


def _cancel_stopped_on_its_way(folder: Path, standin: Any, db_url: str, sig: int) -> tuple[str, str]:
    """A send scheduled two hours ahead, then `mailer cancel` in a process of its own, sent ``sig``
    while SendGrid takes its time answering the cancel (which it then takes): (campaign, stderr)."""
    import time

    office(folder, standin, db_url, beat=SIX)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    sent = mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    err = cancel_cut_off(folder, standin, campaign_id, sig)
    deadline = time.time() + 30
    while not standin.scheduled and time.time() < deadline:  # SendGrid answers the cancel all the same
        time.sleep(0.05)
    assert list(standin.scheduled.values()) == ["cancel"]
    return campaign_id, err


@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_a_cancel_stopped_on_its_way_to_sendgrid_is_not_forgotten(
    tmp_path: Path, standin: Any, db_url: str, sigint_default: None, sig: str
) -> None:
    """SendGrid was slow to answer `mailer cancel`; she pressed Ctrl-C (or the laptop died). The
    cancel said only "Stopped.", SendGrid had taken it and discards the emails at their time, and
    `mailer status` went on saying "SendGrid holds these emails until ... Every email is with
    SendGrid", so she left it; after that time it read as sent, and a new send of the release
    skipped every journalist as already reached: nobody got the release. The cancel that left is
    on record: status says it may have been taken and to run the cancel again, which settles it."""
    import signal

    campaign_id, err = _cancel_stopped_on_its_way(tmp_path, standin, db_url, getattr(signal, sig))
    asked = f"A cancel of {campaign_id} was sent to SendGrid at "
    if sig == "SIGINT":
        assert asked in err and f"To be sure it is cancelled, run mailer cancel {campaign_id} again" in err, err
    shown = said(mailer("status", campaign_id))
    assert asked in shown and "but its answer never came back (the cancel was stopped, or SendGrid did not answer)" in shown, shown
    assert f"To be sure it is cancelled, run mailer cancel {campaign_id} again (up to 10 minutes before its time)." in shown, shown
    assert "To call the send off" not in shown and "Every email is with SendGrid" not in shown and "All sent" not in shown, shown
    again = mailer("cancel", campaign_id)
    assert again.exit_code == 0, again.output
    assert f"Cancelled {campaign_id}: SendGrid will discard its messages" in said(again)
    shown = said(mailer("status", campaign_id))
    assert "cancelled: SendGrid discards them" in shown and asked not in shown, shown


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (500, "Run the same command again in a few minutes."),
        (403, "Scheduled Sends"),
    ],
)
def test_a_scheduled_send_whose_batch_id_sendgrid_refuses_says_nothing_was_logged(
    tmp_path: Path, standin: Any, db_url: str, status: int, fix: str
) -> None:
    """A scheduled send asks SendGrid for a batch id first (to be able to cancel it). When SendGrid
    answered that with a 500, the send ended "Error: SendGrid answered 500 ... Nothing was accepted
    for this request; it stays planned and `mailer resume` sends it later": she ran mailer resume,
    and there was no campaign to resume (none was logged). With a 403, it asked only for the Mail
    Send permission. It now says the scheduling failed, that nothing was sent or logged, and what to do."""
    office(tmp_path, standin, db_url, beat=SIX)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    standin.answer(status, path="/v3/mail/batch")
    sent = mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    words = said(sent)
    assert sent.exit_code == 1, words
    assert "SendGrid did not give the batch id a scheduled send needs" in words, words
    assert "Nothing was sent, and nothing was logged." in words and fix in words, words
    assert "mailer resume" not in words, words
    assert mailed(standin) == []


@pytest.mark.parametrize(("zone", "region"), [("PST", "America/Los_Angeles"), ("BST", "Europe/London"), ("IST", "Asia/Kolkata")])
def test_at_with_a_clock_abbreviation_names_the_zone_to_write(zone: str, region: str) -> None:
    """--at "2026-12-02 9:00 PST", as a West Coast office writes times, was answered '--at "..." is not
    a time mailer understands. Write the date, the time and the time zone, for example
    --at "2026-12-02 09:00 America/New_York"': she had written a time zone, and the example was the
    wrong coast. The answer says PST is an abbreviation and gives the zone name to write."""
    from mailer.errors import SendError
    from mailer.send.schedule import parse_at

    with pytest.raises(SendError) as refused:
        parse_at(f"2026-12-02 9:00 {zone}", now=dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    assert refused.value.message == f'--at "2026-12-02 9:00 {zone}": {zone} is an abbreviation, not a time zone name mailer knows.'
    assert refused.value.hint is not None and f'--at "2026-12-02 09:00 {region}"' in refused.value.hint


def test_after_its_time_a_cancel_with_no_answer_is_not_read_as_sent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After the time of a send whose cancel got no answer (stopped on its way), status read "All
    sent" and `mailer cancel` "it has gone out already", of a send SendGrid may have discarded;
    a new send of the release then skipped its journalists without a word. Both now say nobody
    knows whether it went out, where the events show it, and that a new send skips them."""
    from mailer.config import load
    from mailer.errors import SendError
    from mailer.send import campaign, status
    from mailer.store import campaigns, connect

    office(tmp_path, standin, db_url, beat=SIX)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    campaign_id = campaign_of(mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC"))
    engine = connect(db_url)
    with engine.begin() as connection:  # as a cancel killed on its way leaves it
        campaigns.note_cancel_sent(connection, campaign_id, at=dt.datetime.now(dt.UTC))
    later = at + dt.timedelta(hours=1)
    steps = " ".join(status.status(engine, campaign_id, now=later).next_steps)
    assert "but its answer never came back" in steps and "is not known" in steps, steps
    assert "a new send of this release skips them unless it is sent with --include-previous" in steps, steps
    assert "All sent" not in steps, steps
    with pytest.raises(SendError) as refused:
        campaign.cancel(engine, load(tmp_path / "mailer.toml"), campaign_id, environ={}, now=later)
    assert "gone out already" not in refused.value.message and "is not known" in refused.value.message
    engine.dispose()


def test_a_send_whose_time_passed_while_the_question_waited_says_it_goes_out_now(tmp_path: Path, standin: Any, db_url: str) -> None:
    """She planned --at 09:00 at 08:55, was called away with the question on the screen, and
    answered yes at 09:20: the send went out at once with no word, and "Scheduled: ... 09:00"
    was the last time she saw. It now says the time passed and that it goes out now, as a resume
    after its time does."""
    from mailer.config import load
    from mailer.send import campaign
    from mailer.store import connect

    office(tmp_path, standin, db_url, beat=SIX)
    config = load(tmp_path / "mailer.toml")
    engine = connect(db_url)
    asked = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25)
    at = f"{asked + dt.timedelta(minutes=5):%Y-%m-%d %H:%M} UTC"
    prepared = campaign.prepare_send(engine, config, Path("releases/example.md"), [Path("lists/beat.csv")], at=at, now=asked)
    warned: list[str] = []
    campaign.start(engine, config, prepared, environ={"SENDGRID_API_KEY": "SG.standin-key.secret"}, warn=warned.append)
    assert any("passed while this send waited to start, so it goes out now, not at that time" in w for w in warned), warned
    engine.dispose()
