"""Session 23's lead: `mailer cancel` names the send and asks first on a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import example


def test_cancel_on_a_terminal_names_the_send_and_asks_first(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer cancel latest` cancelled at once whatever send "latest" was (newcomer 22): on a
    team's log a colleague's embargoed release, with no way back (SendGrid discards it). On a
    terminal it now names the send (subject, when, to how many) and asks; no keeps it scheduled."""
    from test_cli_schedule_held import scheduled_send
    from test_cli_send import db, mailer

    from mailer.cli import send as send_cli
    from mailer.models import CampaignStatus
    from mailer.store import campaigns

    campaign_id, _, shown = scheduled_send()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    kept = mailer("cancel", "latest", input="n\n")
    assert kept.exit_code == 0, kept.output
    words = " ".join(kept.stdout.split())
    assert f"{campaign_id}: " in words and f"scheduled for {shown}, to " in words and " journalists (started " in words, words
    assert f"Cancel {campaign_id}? [y/N]: n Nothing was cancelled." in words, words
    assert not standin.scheduled, "no cancel may reach SendGrid on a no"
    with db().connect() as connection:
        found = campaigns.get(connection, campaign_id)
    assert found is not None and found.status is not CampaignStatus.CANCELLED

    cancelled = mailer("cancel", "latest", input="y\n")
    assert cancelled.exit_code == 0, cancelled.output
    assert f"Cancelled {campaign_id}: SendGrid will discard its messages at {shown}." in cancelled.stdout, cancelled.stdout
    # Already cancelled: nothing to ask.
    again = mailer("cancel", campaign_id)
    assert "Cancel " not in again.stdout.split("is already cancelled")[0], again.stdout
    assert f"{campaign_id} is already cancelled." in again.stdout


def test_cancel_with_yes_or_from_a_script_asks_nothing(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """--yes on a terminal, and a script (no terminal), cancel without a question, as before."""
    from test_cli_schedule_held import scheduled_send
    from test_cli_send import mailer

    from mailer.cli import send as send_cli

    first, _, shown = scheduled_send()
    scripted = mailer("cancel", first)
    assert scripted.exit_code == 0 and "[y/N]" not in scripted.output, scripted.output
    assert f"Cancelled {first}: SendGrid will discard its messages at {shown}." in scripted.stdout
    second, _, shown = scheduled_send(hours=3)
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    answered = mailer("cancel", second, "--yes")
    assert answered.exit_code == 0 and "[y/N]" not in answered.output, answered.output
    assert f"Cancelled {second}: SendGrid will discard its messages at {shown}." in answered.stdout


HEADER = "Email,First name,Outlet,Beat\n"


def _press_list(path: Path, rows: str) -> Path:
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_lists_loaded_ahead_are_the_lists_loaded_then(tmp_path: Path) -> None:
    """`mailer send` loads its lists whole on a thread while it starts (issue 12): the journalists it
    plans from, the rows it turns away and the files it names are what loading them then gives."""
    from mailer import contacts
    from mailer.contacts import ahead

    press = _press_list(
        tmp_path / "press.csv", "ana@daily.example,Ana,Daily,health\nnot an address,Ben,Herald,arts\nana@daily.example,Ana,Daily,health\n"
    )
    trade = _press_list(tmp_path / "trade.csv", "cy@trade.example,Cy,Trade,science\nANA@daily.example,Ana,Daily,health\n")
    told_now: list[str] = []
    now = contacts.load([press, trade], on_file=told_now.append)
    ahead.read_ahead([press, trade], whole=True).join()
    told: list[str] = []
    before = contacts.load([press, trade], on_file=told.append)
    assert [c.email for c in before.contacts] == [c.email for c in now.contacts] == ["ana@daily.example", "cy@trade.example"]
    assert [(r.source, r.row, r.reason) for r in before.rejected] == [(r.source, r.row, r.reason) for r in now.rejected]
    assert len(before.rejected) == 3
    assert told == told_now == [str(press), str(trade)]


def test_lists_loaded_ahead_serve_only_the_same_lists_unfiltered(tmp_path: Path) -> None:
    """The lists loaded ahead serve a load of the same files in the same order, once, unfiltered; a
    load of other lists, or through --where, reads the files as they are."""
    from mailer import contacts
    from mailer.contacts import ahead

    press = _press_list(tmp_path / "press.csv", "ana@daily.example,Ana,Daily,health\n")
    trade = _press_list(tmp_path / "trade.csv", "cy@trade.example,Cy,Trade,science\n")
    ahead.read_ahead([press, trade], whole=True).join()
    assert [c.email for c in contacts.load([trade, press]).contacts] == ["cy@trade.example", "ana@daily.example"]
    ahead.read_ahead([press], whole=True).join()
    science = contacts.parse_filter(["beat=science"], ())
    _press_list(press, "ana@daily.example,Ana,Daily,science\n")  # same size: the filtered load reads it anew
    assert [c.fields["beat"] for c in contacts.load([press], prefer=science).contacts] == ["science"]


def test_a_list_saved_again_after_it_was_loaded_ahead_is_loaded_as_saved(tmp_path: Path) -> None:
    """A list saved again (a row added in the spreadsheet) after the send loaded it ahead is planned as saved."""
    import os

    from mailer import contacts
    from mailer.contacts import ahead

    press = _press_list(tmp_path / "press.csv", "ana@daily.example,Ana,Daily,health\n")
    ahead.read_ahead([press], whole=True).join()
    _press_list(press, "ana@daily.example,Ana,Daily,health\nben@herald.example,Ben,Herald,arts\n")
    later = os.stat(press).st_mtime_ns + 2_000_000_000
    os.utime(press, ns=(later, later))
    assert [c.email for c in contacts.load([press]).contacts] == ["ana@daily.example", "ben@herald.example"]


def test_a_send_plans_from_the_lists_loaded_ahead_named_as_typed(project: Path, standin: Any, db_url: str) -> None:
    """The whole send through the command line, its lists loaded ahead: skipped.csv and the plan name
    the list as typed (lists/press.csv), and every journalist of the list is planned once."""
    from test_cli_send import RECIPIENTS, SEND, mailer

    sent = mailer(*SEND, "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert f"Recipients: {RECIPIENTS}\n" in sent.output and "Skipped:    8 (2 duplicate, 5 invalid, 1 missing address)" in sent.output
    skipped = next(project.glob("out/outbox/*/skipped.csv")).read_text(encoding="utf-8")
    assert "lists/press.csv" in skipped and str(project) not in skipped, skipped


@pytest.mark.parametrize("folder", [".", "lists"])
def test_a_send_reads_its_lists_once_on_the_read_ahead_thread(
    logged: Path, standin: Any, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer send` starts reading (and loading) its lists before it has read its settings, by the
    name the log will give them, also from a subfolder of the office (where that name is the whole
    path): the send's own thread never reads them a second time."""
    import threading

    from test_cli_send import RECIPIENTS, mailer

    from mailer.contacts import listfile

    readers: list[str] = []
    read = listfile.read

    def counted_read(*args: Any, **kwargs: Any) -> Any:
        readers.append(threading.current_thread().name)
        return read(*args, **kwargs)

    monkeypatch.setattr(listfile, "read", counted_read)
    monkeypatch.chdir(logged / folder)
    release = "../releases/example.md" if folder == "lists" else "releases/example.md"
    named = "press.csv" if folder == "lists" else "lists/press.csv"
    sent = mailer("send", release, "--list", named, "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert f"Recipients: {RECIPIENTS}\n" in sent.output, sent.output
    assert readers == ["mailer-read-ahead"], readers


def _stopped_send(live: Path, standin: Any) -> str:
    """A live send of lists/press.csv that stopped before it mailed anyone (SendGrid answered 503); its campaign id."""
    from test_cli_send import SEND, mailer, todays_campaign

    toml = live / "mailer.toml"
    toml.write_text(toml.read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8")
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    return todays_campaign()


def _li_wei_unsubscribed(live: Path) -> None:
    """lists/press.csv with an "Unsubscribed" column saying yes for li.wei@example.org alone."""
    press = live / "lists" / "press.csv"
    lines = press.read_text(encoding="utf-8").splitlines()
    marked = [lines[0] + ",Unsubscribed", *(line + (",yes" if line.startswith("li.wei@") else ",") for line in lines[1:])]
    press.write_text("\n".join(marked) + "\n", encoding="utf-8")


def test_resume_skips_journalists_the_list_now_marks_opted_out_or_without_consent(live: Path, standin: Any) -> None:
    """A send stopped half-way; meanwhile two journalists ask to be left alone and the press officer
    marks them so in the list, as she always does (an "Unsubscribed" column, a "Consent" column
    saying "withdrawn"). The resume mailed them (session 22's note): it read only the plan. It now
    reads the lists again, counts them out before its question, says so, and mails neither."""
    from test_cli_send import RECIPIENTS, mailer

    campaign_id = _stopped_send(live, standin)
    press = live / "lists" / "press.csv"
    lines = press.read_text(encoding="utf-8").splitlines()
    marked = []
    for number, line in enumerate(lines):
        if number == 0:
            marked.append(line + ",Unsubscribed,Consent")
        elif line.startswith("li.wei@example.org,"):
            marked.append(line + ",yes,yes")
        elif line.startswith("sofia.garcia@example.net,"):
            marked.append(line + ",,withdrawn")
        else:
            marked.append(line + ",,yes")
    press.write_text("\n".join(marked) + "\n", encoding="utf-8")

    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert f"Left:       {RECIPIENTS - 2} journalists to send to\n" in resumed.stdout, resumed.stdout
    assert "Skipped:    2 journalists the lists now mark as opted out or without consent\n" in resumed.stdout, resumed.stdout
    words = " ".join(resumed.stderr.split())
    assert "2 journalists skipped: the lists now say they opted out (1) or gave no consent (1)." in words, words
    accepted = standin.accepted_addresses()
    assert "li.wei@example.org" not in accepted and "sofia.garcia@example.net" not in accepted
    assert len(accepted) == RECIPIENTS - 2 and max(accepted.values()) == 1
    shown = " ".join(mailer("status", campaign_id).stdout.split())
    assert "1 opted out" in shown and "1 without consent" in shown, shown


def test_resume_says_when_the_lists_cannot_be_read_again(live: Path, standin: Any) -> None:
    """The list moved away since the send stopped: the resume cannot know who opted out there since,
    says so before it mails (with the way to leave someone out), and sends the plan as it was."""
    from test_cli_send import RECIPIENTS, mailer

    campaign_id = _stopped_send(live, standin)
    (live / "lists" / "press.csv").rename(live / "lists" / "press-old.csv")
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    words = " ".join(resumed.stderr.split())
    assert (
        f"{campaign_id} was planned from lists/press.csv, which is not here: a journalist who has since opted out or withdrawn "
        "consent in it is not known to this resume." in words
    ), words
    assert "mailer suppressions add ADDRESS" in words
    assert words.count("is not here") == 1, words
    assert len(standin.accepted_addresses()) == RECIPIENTS


def test_resume_with_everyone_left_opted_out_in_the_list_ends_the_campaign(live: Path, standin: Any) -> None:
    """Everyone the stopped send had left now opted out in the list: nothing is sent, and the
    campaign ends (not paused for ever), saying why."""
    from test_cli_send import mailer

    campaign_id = _stopped_send(live, standin)
    press = live / "lists" / "press.csv"
    lines = press.read_text(encoding="utf-8").splitlines()
    press.write_text("\n".join([lines[0] + ",Do not email", *(line + ",yes" for line in lines[1:])]) + "\n", encoding="utf-8")
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert f"Nothing to resume: nobody is left to send {campaign_id} to." in resumed.stdout, resumed.stdout
    assert "journalists skipped: the lists now say they opted out." in " ".join(resumed.stdout.split()), resumed.stdout
    assert f"{campaign_id} is now marked done." in resumed.stdout, resumed.stdout
    assert not standin.accepted_addresses()
    # `mailer status` of it then said "All sent." of a send that mailed nobody (review 23c, left)
    shown = " ".join(mailer("status", campaign_id).stdout.split())
    assert "All sent" not in shown and "Nobody was mailed: every journalist of this send was skipped" in shown, shown


def test_a_test_send_as_a_suppressed_journalist_says_she_will_not_get_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer test --as` a journalist who unsubscribed sent the proof with no word that she gets
    no email (review 23a left it; its preview says so): the proof still goes to staff, with a
    warning naming the suppression."""
    from datetime import UTC, datetime

    from office_cli import mailer, office

    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    assert mailer("suppressions", "add", "ana@daily.example", "--reason", "asked by phone").exit_code == 0
    tested = mailer("test", "releases/example.md", "--to", "me@office.example", "--as", "ana@daily.example", "--list", "lists/beat.csv")
    assert tested.exit_code == 0, tested.output
    words = " ".join(tested.output.split())
    assert (
        f"ana@daily.example will not get this release: the address is on the suppression list (manual, since "
        f"{datetime.now(UTC).date().isoformat()}: asked by phone), so mailer send skips it."
    ) in words, words
    assert [p["to"][0]["email"] for r in standin.mail_sends for p in r.body["personalizations"]] == ["me@office.example"]
    other = mailer("test", "releases/example.md", "--to", "me@office.example", "--as", "ben@gazette.example", "--list", "lists/beat.csv")
    assert "will not get this release" not in other.output


def test_status_of_a_stopped_send_counts_out_whom_the_lists_now_keep_out(live: Path, standin: Any) -> None:
    """`mailer status` of a stopped send says what a resume now would do; with the resume reading
    its lists again, status counted a journalist who had opted out there since among those it would
    mail (review 23c, left). It now says the resume would skip her, and why."""
    from test_cli_send import RECIPIENTS, mailer

    campaign_id = _stopped_send(live, standin)
    _li_wei_unsubscribed(live)
    shown = " ".join(mailer("status", campaign_id).stdout.split())
    assert f"A resume now would mail {RECIPIENTS - 1} journalists of them:" in shown, shown
    assert "1 journalist skipped: the lists now say they opted out." in shown, shown


def test_contact_of_a_journalist_the_list_now_opts_out_says_the_resume_skips_her(live: Path, standin: Any) -> None:
    """`mailer contact` of a journalist planned in a stopped send, who has since opted out in the
    list, said "mailer resume ... sends it" (review 23c, left): the resume reads the list again and
    skips her. It now says so; another journalist of the same send still reads as sent by a resume."""
    from test_cli_send import mailer

    campaign_id = _stopped_send(live, standin)
    _li_wei_unsubscribed(live)
    her = " ".join(mailer("contact", "li.wei@example.org").stdout.split())
    assert f"not sent yet (the send stopped; the list now says they opted out, so mailer resume {campaign_id} skips it)" in her, her
    other = " ".join(mailer("contact", "amara.okafor@example.com").stdout.split())
    assert f"not sent yet (the send stopped; mailer resume {campaign_id} sends it)" in other, other


def test_a_send_starts_reading_its_lists_before_it_loads_its_libraries(tmp_path: Path) -> None:
    """Issue 12: `mailer send` starts reading its lists on a thread of their own before it imports
    SQLAlchemy, pydantic or the composer (newcomer 23py's naming rule once pulled the whole send
    stage in first, and the read began 0.4 s later). Checked in a fresh interpreter."""
    import shutil
    import subprocess
    import sys

    from conftest import ROOT

    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    probe = (
        "import sys\n"
        "import mailer.contacts.ahead as ahead\n"
        "started = ahead.read_ahead\n"
        "def noted(*args, **kwargs):\n"
        "    heavy = sorted(name for name in ('sqlalchemy', 'pydantic', 'jinja2', 'mailer.send.prepare') if name in sys.modules)\n"
        "    print('HEAVY', heavy, file=sys.stderr)\n"
        "    return started(*args, **kwargs)\n"
        "ahead.read_ahead = noted\n"
        "from mailer.cli import main\n"
        "main(['send', 'releases/example.md', '--list', 'lists/press.csv', '--dry-run'])\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    ran = subprocess.run([sys.executable, "-c", probe], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "HEAVY []" in ran.stderr, ran.stderr
