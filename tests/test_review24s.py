"""Review 24s: the send's promises under schedules, crashes and races, tried from the outside.

1. A follow-up of a scheduled send SendGrid still holds went out at once: the reminder reached every
   journalist hours before the release it reminds them of.
2. A "Consent until" column was read for today, not for the day a scheduled send goes out: a journalist
   whose consent ended before then was mailed (by the send, and by its resume).
3. A resume of a send whose rest `mailer cancel` had called off said "every journalist ... was sent
   to" (found racing a cancel and a resume in two terminals: whichever the cancel won, it said so).
4. `mailer send --include-previous` mailed again those a colleague's resume of a stopped send of the
   release reached after it was planned (found with a resume and such a send started half a second
   apart in two terminals; pinned here as its question waiting while the resume runs).
5. `mailer send --include-previous` mailed at once the journalists a scheduled send of the same release
   still held at SendGrid, who then had it twice, without a word.
6. A scheduled send resumed after its batch id expired (SendGrid keeps one 10 days) failed every
   journalist left, and --retry-failed failed them again.
7. A journalist who failed or was unknown, and opted out in the list since, was mailed by
   `mailer resume --retry-failed` / `--resend-unknown` (the lists' opt-outs skipped planned rows only).
8. So was one a resume took back from another send of the release that had stopped without her.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import (
    BEAT,
    KEY,
    SEND,
    SIX,
    campaign_of,
    mailed,
    mailer,
    office,
    release_named,
    said,
    scheduled_stopped_half_way,
    send_under_way,
    stopped_after,
)
from sqlalchemy import update

from mailer import config
from mailer.send import campaign
from mailer.store import connect
from mailer.store.schema import campaign as campaign_table


def test_a_follow_up_of_a_send_sendgrid_still_holds_is_refused_until_its_time(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A follow-up plans from what the original's journalists did with it; before the original's
    scheduled time nobody has it, so "not opened" is everyone, and a follow-up sent now reaches
    them before the release itself. It is refused until that time (a dry run says so)."""
    office(tmp_path, standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(hours=2):%Y-%m-%d %H:%M} UTC"
    original = campaign_of(mailer(*SEND, "--at", at))
    reminder = release_named(tmp_path, "reminder")
    before = mailed(standin)
    followed = mailer("send", reminder, "--follow-up", original, "--who", "not-opened", "--yes", "--no-test-ok")
    assert followed.exit_code == 1, followed.output
    assert mailed(standin) == before, "the reminder went out before the release"
    words = (
        f"{original} has not gone out yet: SendGrid holds it until {at}, so none of its journalists has it, and nobody "
        "can know who opened or received it. A follow-up now would reach them before the release itself."
    )
    assert f"Error: {words} Nothing was logged or sent." in said(followed)
    assert f"Plan the follow-up after {at}, once SendGrid's events of {original} are in" in said(followed)
    at_later = f"{datetime.now(UTC) + timedelta(hours=5):%Y-%m-%d %H:%M} UTC"
    later = mailer("send", reminder, "--follow-up", original, "--who", "not-opened", "--yes", "--no-test-ok", "--at", at_later)
    assert later.exit_code == 1 and mailed(standin) == before, later.output  # chosen now, from nothing: everyone
    dry = mailer("send", reminder, "--follow-up", original, "--who", "not-opened", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"Warning: {words} A live follow-up is refused until then." in said(dry)


def consent_list(project: Path, ends: date) -> None:
    """lists/beat.csv with a "Consent until" column: Ana's consent ends on ``ends``, Ben's in a year."""
    (project / "lists" / "beat.csv").write_text(
        f"Email,First Name,Consent until\nana@daily.example,Ana,{ends.isoformat()}\nben@gazette.example,Ben,{date.today() + timedelta(days=365)}\n",
        encoding="utf-8",
    )


def test_a_scheduled_send_does_not_mail_a_journalist_whose_consent_ends_before_it_goes_out(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """A "Consent until" column: only a day still to come is consent. Scheduled two days ahead, the
    email reaches Ana after her consent ended tomorrow: she is left out as without consent, and so is
    she by the resume of such a send stopped before her request left."""
    office(tmp_path, standin, db_url, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    consent_list(tmp_path, date.today() + timedelta(days=1))
    moment = (datetime.now(UTC) + timedelta(hours=60)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--at", f"{moment:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ben@gazette.example"], "mailed after her consent ended"
    day = moment.astimezone().date()  # on this computer's calendar, as "Consent until" is read today
    assert (
        'Skipped: 1 (1 without consent) lists/beat.csv: "Consent until" 1 without consent, 1 of them because their consent '
        f"ends before the email goes out on {day.isoformat()} (mailer lists check lists/beat.csv names each row)"
    ) in said(sent)
    # The same list sent now: her consent still runs today (Ben is the scheduled send's).
    now = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert now.exit_code == 0 and "Recipients: 1\n" in now.output and "without consent" not in now.output, now.output


def test_the_resume_of_a_scheduled_send_leaves_out_whose_consent_ends_before_it_goes_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A scheduled send stopped before Ana's request (SendGrid unavailable), her consent running when
    it was planned; by its resume the list says her consent ends before the email's time: skipped."""
    office(tmp_path, standin, db_url, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    consent_list(tmp_path, date.today() + timedelta(days=365))
    (tmp_path / "lists" / "beat.csv").write_text(
        "Email,First Name,Consent until\n"
        f"ben@gazette.example,Ben,{date.today() + timedelta(days=365)}\nana@daily.example,Ana,{date.today() + timedelta(days=365)}\n",
        encoding="utf-8",
    )
    standin.answer(503, times=1, match=lambda recorded: "ana@daily.example" in json.dumps(recorded.body))
    at = f"{datetime.now(UTC) + timedelta(hours=60):%Y-%m-%d %H:%M} UTC"
    stopped = mailer(*SEND, "--at", at)
    assert stopped.exit_code == 1 and mailed(standin) == ["ben@gazette.example"], stopped.output
    consent_list(tmp_path, date.today() + timedelta(days=1))  # she shortened it while the send was stopped
    resumed = mailer("resume", campaign_of(stopped), "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert mailed(standin) == ["ben@gazette.example"], "the resume mailed her after her consent ended"
    assert "1 journalist skipped: the lists now say they gave no consent." in said(resumed)


def test_resume_of_a_send_whose_rest_was_called_off_does_not_say_everyone_was_sent_to(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer cancel` of a send stopped half-way calls its rest off; a resume then (or one started a
    moment after the cancel, in another terminal) said "every journalist ... was sent to", where
    four of the six never were: it says they were called off, and how to reach them."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    standin.reset()
    cancelled = mailer("cancel", campaign_id, "--yes")
    assert cancelled.exit_code == 0, cancelled.output
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert mailed(standin) == []
    assert "was sent to" not in resumed.output.replace("Everyone else was sent to", "")
    assert said(resumed).endswith(
        f"Nothing to resume: the rest of {campaign_id} was called off (mailer cancel), so a resume mails nobody. "
        "4 journalists were called off (mailer cancel) and never mailed. A new send of this release reaches them, skipping "
        "those who had it: mailer send releases/example.md --list lists/beat.csv "
        f"Everyone else was sent to. Read opens and bounces later with: mailer report {campaign_id}"
    )


def test_include_previous_does_not_mail_again_whom_a_resume_reached_while_its_question_waited(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """`mailer send --include-previous` mails again those who had the release when it was planned,
    never two copies at once. A send stopped half-way (two of six mailed) is resumed by a colleague
    while its question waits: the four that resume reaches got the release after this send was
    planned, and it skipped only those still waiting, so they had it twice. Now it skips them too,
    and mails again only the two who had it before."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    standin.reset()
    engine = connect(db_url)
    try:
        cfg = config.load(tmp_path / "mailer.toml")
        prepared = campaign.prepare_send(engine, cfg, "releases/example.md", "lists/beat.csv", include_previous=True)
        assert len(prepared.plan.recipients) == 6
        resumed = mailer("resume", campaign_id, "--yes")  # a colleague, while the question waits
        assert resumed.exit_code == 0 and len(mailed(standin)) == 4, resumed.output
        sent = campaign.start(engine, cfg, prepared, environ={"SENDGRID_API_KEY": KEY})
    finally:
        engine.dispose()
    assert sorted(Counter(mailed(standin)).values()) == [1, 1, 1, 1, 1, 1], "mailed twice by one send and the other"
    assert sent.outcome.counts["accepted"] == 2


def test_include_previous_does_not_mail_now_whom_a_scheduled_send_of_the_release_holds(tmp_path: Path, standin: Any, db_url: str) -> None:
    """--include-previous mails again those who had the release; journalists a scheduled send of it
    still holds at SendGrid have nothing yet, and get it at its time whatever this send does: mailed
    now as well, they had two copies, without a word. They are skipped as without the flag, the
    plan saying so (and how to send it to them now instead)."""
    office(tmp_path, standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(hours=3):%Y-%m-%d %H:%M} UTC"
    scheduled = campaign_of(mailer(*SEND, "--at", at))
    with (tmp_path / "lists" / "beat.csv").open("a", encoding="utf-8") as beat:
        beat.write("carl@radio.example,Carl,Berg,Radio One\n")
    before = len(mailed(standin))
    again = mailer(*SEND, "--include-previous")
    assert again.exit_code == 0, again.output
    assert mailed(standin)[before:] == ["carl@radio.example"], "mailed now and again at the scheduled time"
    assert (
        f"Warning: 2 journalists are scheduled to get this exact release at {at} in {scheduled} (SendGrid holds it until "
        f"then), so they are skipped. To send it to them now instead, cancel that send first: mailer cancel {scheduled}."
    ) in said(again)
    (tmp_path / "lists" / "beat.csv").write_text(BEAT, encoding="utf-8")  # only the two it holds
    held = mailer(*SEND, "--include-previous")
    assert held.exit_code == 1 and mailed(standin)[before:] == ["carl@radio.example"], held.output
    assert f"Nobody to send to: 2 journalists are scheduled to get this exact release at {at}" in said(held)


def test_a_scheduled_send_resumed_after_its_batch_id_expired_reaches_the_rest(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid's batch id, which lets a scheduled send be cancelled, is valid 10 days. A scheduled
    send stopped half-way and resumed after that handed the rest over under it: SendGrid refused each
    request ("batch_id: The batch ID is not valid."), its journalists failed, and the advice, to fix
    the cause and --retry-failed, failed the same way for ever. Once its time has passed, nothing is
    left to cancel: the rest goes out at once, without the batch id."""
    campaign_id, _ = scheduled_stopped_half_way(tmp_path, standin, db_url)
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            long_ago = datetime.now(UTC) - timedelta(days=11)
            values = {"scheduled_at": long_ago, "created_at": long_ago - timedelta(hours=2)}
            connection.execute(update(campaign_table).where(campaign_table.c.id == campaign_id).values(**values))
    finally:
        engine.dispose()
    standin.batch_ids.clear()  # expired at SendGrid
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert mailed(standin) == ["ana@daily.example", "ben@gazette.example"]
    assert "Recipients: 2 accepted\n" in mailer("status", campaign_id).output


@pytest.mark.parametrize("flag", ["--retry-failed", "--resend-unknown"])
def test_resume_sending_again_leaves_out_whom_the_list_now_opts_out(tmp_path: Path, standin: Any, db_url: str, flag: str) -> None:
    """A resume reads the send's lists again and skips whoever they now opt out, but only among the
    journalists not sent yet: one who failed (SendGrid refused her request) or is unknown, and wrote
    back to be taken off the list meanwhile ("Unsubscribed: yes"), was mailed by --retry-failed or
    --resend-unknown. She is skipped as opted out like the others."""
    office(tmp_path, standin, db_url, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    hers = lambda recorded: "ana@daily.example" in json.dumps(recorded.body)
    if flag == "--retry-failed":
        refusal = {"errors": [{"field": "from.email", "message": "The from address does not match a verified Sender Identity."}]}
        standin.answer(400, times=1, match=hers, body=refusal)
    else:
        standin.answer(502, times=1, match=hers)
    first = mailer(*SEND)
    assert first.exit_code == 3 and mailed(standin) == ["ben@gazette.example"], first.output
    (tmp_path / "lists" / "beat.csv").write_text(
        BEAT.replace("Outlet\n", "Outlet,Unsubscribed\n", 1).replace("Daily News\n", "Daily News,yes\n").replace("Gazette\n", "Gazette,\n"),
        encoding="utf-8",
    )
    again = mailer("resume", campaign_of(first), flag, "--yes")
    assert mailed(standin) == ["ben@gazette.example"], "mailed after she opted out in the list"
    assert "the lists now say they opted out" in said(again), again.output


def test_resume_taking_back_journalists_leaves_out_whom_its_list_now_opts_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send planned while another send of the release was mailing the same journalists leaves them
    to it; when that one stops without mailing some, this send's resume takes them back. One of those
    who opted out in this send's list meanwhile was taken back and mailed: the lists' opt-outs had
    been applied before the take-back only. She is skipped as opted out."""
    header = "Email,First Name,Last Name,Outlet,Unsubscribed\n"
    rows = [line + "," for line in SIX.splitlines()[1:]] + ["carl@radio.example,Carl,Berg,Radio One,"]
    with send_under_way(tmp_path, standin, db_url, slow=10):  # the colleague's send of lists/beat.csv, two requests gone
        (tmp_path / "lists" / "ours.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
        ours = mailer("send", "releases/example.md", "--list", "lists/ours.csv", "--yes", "--no-test-ok")
        assert ours.exit_code == 0, ours.output
    standin.settle()
    standin.reset()
    rows[5] = rows[5][:-1] + ",yes"  # j5 asks to be left alone, in our list
    (tmp_path / "lists" / "ours.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    resumed = mailer("resume", campaign_of(ours), "--yes")
    assert resumed.exit_code in (0, 3), resumed.output
    assert "Taken back" in said(resumed) or "taken back" in said(resumed), resumed.output
    assert "j5@paper5.example" not in mailed(standin), "taken back and mailed after she opted out in the list"
