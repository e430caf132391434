"""Session 23's lead: `mailer cancel` names the send and asks first on a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


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
