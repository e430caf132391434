"""Session 22, the lead's own changes: lists read ahead while a send starts (contacts/ahead.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mailer import contacts
from mailer.contacts import ahead
from mailer.errors import ListError

HEADER = "Email,First name,Outlet\n"


def _list(path: Path, people: int, *, outlet: str = "Gazette") -> Path:
    path.write_text(HEADER + "".join(f"j{n}@paper{n}.example,Jo{n},{outlet}\n" for n in range(people)), encoding="utf-8")
    return path


def _emails(path: Path) -> list[str]:
    return [contact.email for contact in contacts.load([path]).contacts]


@pytest.mark.parametrize("whole", [False, True])
def test_a_list_read_ahead_loads_as_the_list_read_then(tmp_path: Path, whole: bool) -> None:
    """The send reads its lists on a thread of their own while it starts: what it then plans from
    is what reading the list at that moment gives, rejected rows and notes included."""
    path = tmp_path / "press.csv"
    path.write_text(HEADER + "ana@daily.example,Ana,Daily\nnot an address,Ben,Herald\nana@daily.example,Ana,Daily\n", encoding="utf-8")
    read_now = contacts.load([path])
    ahead.read_ahead([path], whole=whole).join()
    read_before = contacts.load([path])
    assert [c.email for c in read_before.contacts] == [c.email for c in read_now.contacts] == ["ana@daily.example"]
    assert [(r.row, r.reason) for r in read_before.rejected] == [(r.row, r.reason) for r in read_now.rejected]
    assert len(read_before.rejected) == 2


@pytest.mark.parametrize("whole", [False, True])
def test_a_list_changed_after_it_was_read_ahead_is_read_again(tmp_path: Path, whole: bool) -> None:
    """A list saved again between the start of a send and its plan (the press officer adds a row in
    the spreadsheet and saves) is planned as it is now, not as it was a moment before."""
    path = _list(tmp_path / "press.csv", 2)
    ahead.read_ahead([path], whole=whole).join()
    _list(path, 3, outlet="Herald")
    later = os.stat(path).st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))
    assert _emails(path) == [f"j{n}@paper{n}.example" for n in range(3)]


@pytest.mark.parametrize("whole", [False, True])
def test_a_list_read_ahead_is_taken_once(tmp_path: Path, whole: bool) -> None:
    """A second load of the same list (another command in the same process, a script) reads the file
    as it is then: the copy read ahead served the first one only."""
    path = _list(tmp_path / "press.csv", 2)
    ahead.read_ahead([path], whole=whole).join()
    assert len(_emails(path)) == 2
    _list(path, 2, outlet="Herald")  # same size, possibly the same modification time: the copy is gone anyway
    assert {contact.fields["outlet"] for contact in contacts.load([path]).contacts} == {"Herald"}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"Name,Outlet\nAna,Daily\n", "no email address column"),
        (None, "No such file"),
    ],
)
@pytest.mark.parametrize("whole", [False, True])
def test_a_list_that_cannot_be_read_ahead_gives_its_usual_error(tmp_path: Path, content: bytes | None, words: str, whole: bool) -> None:
    """A list the thread could not read (no address column, missing) is read again by the send,
    which says what is wrong, naming the file, as it always did."""
    path = tmp_path / "press.csv"
    if content is not None:
        path.write_bytes(content)
    ahead.read_ahead([path], whole=whole).join()
    with pytest.raises(ListError) as raised:
        contacts.load([path])
    assert "press.csv" in str(raised.value), str(raised.value)
    assert words.lower() in (str(raised.value) + " " + str(raised.value.hint or "")).lower(), str(raised.value)


def test_mailer_collects_garbage_less_often_in_its_own_process_only(tmp_path: Path) -> None:
    """`mailer` run as a command looks for reference cycles after 10,000 new objects, not Python's
    700 (a tenth of a large send's CPU went to the collector; issue 12); a program or a test that
    calls ``main`` inside its own process keeps its own settings."""
    import gc
    import subprocess
    import sys

    from click.testing import CliRunner

    import mailer
    from mailer.cli import YOUNG_OBJECTS_BEFORE_COLLECTING, main

    before = gc.get_threshold()
    CliRunner().invoke(main, ["--version"])
    assert gc.get_threshold() == before
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.get_threshold()[0], file=sys.stderr))\n"
        "sys.argv = ['mailer', '--version']\n"
        "from mailer.cli import main\n"
        "main()\n"
    )
    here = str(Path(mailer.__file__).resolve().parents[1])  # this checkout's mailer, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env, check=False, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == str(YOUNG_OBJECTS_BEFORE_COLLECTING), done.stderr


def test_a_list_read_ahead_is_named_as_the_send_named_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows and messages of a list read ahead name it as the press officer typed it ("lists/press.csv
    row 3"), not by its whole path: the clean-clone CI found reports, skipped files and errors naming
    /tmp/.../lists/press.csv."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lists").mkdir()
    typed = Path("lists/press.csv")
    typed.write_text(HEADER + "ana@daily.example,Ana,Daily\nnot an address,Ben,Herald\n", encoding="utf-8")
    ahead.read_ahead([typed]).join()
    loaded = contacts.load([typed])
    assert [row.source for row in loaded.rejected] == ["lists/press.csv"]
    assert [contact.source for contact in loaded.contacts] == ["lists/press.csv"]
    bad = Path("lists/names.csv")
    bad.write_text("Name\nAna\n", encoding="utf-8")
    ahead.read_ahead([bad]).join()
    with pytest.raises(ListError, match=r"^lists/names\.csv: no email address column"):
        contacts.load([bad])


def test_forget_says_a_scheduled_send_holds_her_email_before_it_asks(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer forget` asked "Erase everything ...?" and only afterwards said that a scheduled send
    SendGrid holds still mails her at its time (newcomer 22): the press officer, who would have
    cancelled that send first, learned it once the erasure was done. It is said before the question,
    once; answering no erases nothing."""
    from test_cli_schedule_held import JOURNALIST, scheduled_send
    from test_cli_send import mailer

    from mailer.cli import send as send_cli

    campaign_id, _, shown = scheduled_send()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    kept = mailer("forget", JOURNALIST, input="n\n")
    assert kept.exit_code == 0, kept.output
    warning = f"SendGrid still holds an email for {JOURNALIST} in {campaign_id}, scheduled for {shown}"
    assert warning in " ".join(kept.stderr.split()), kept.stderr
    assert kept.stdout.endswith("Nothing was erased.\n"), kept.stdout
    erased = mailer("forget", JOURNALIST, input="y\n")
    assert erased.exit_code == 0, erased.output
    assert " ".join(erased.stderr.split()).count(warning) == 1, erased.stderr
    assert erased.stdout.index("Erase everything") < erased.stdout.index(f"Erased {JOURNALIST}"), erased.stdout


def test_cancel_of_a_test_send_counts_staff_not_journalists(live: Path, standin: Any) -> None:
    """`mailer cancel` of a test send that went out said "SendGrid accepted its emails to 2
    journalists" (newcomer 22, left): it went to colleagues on the staff list, not the press."""
    from test_cli_send import db, mailer

    from mailer.store import campaigns

    tested = mailer("test", "releases/example.md")
    assert tested.exit_code == 0, tested.output
    with db().connect() as connection:
        newest = campaigns.newest(connection)
    assert newest is not None
    campaign_id = newest.id
    refused = mailer("cancel", campaign_id)
    words = " ".join(refused.output.split())
    assert "nothing to cancel: SendGrid accepted its emails to" in words, words
    assert "staff address" in words and "journalist" not in words.split("nothing to cancel")[1], words


def test_nobody_to_send_to_counts_a_journalist_on_two_lists_once(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ana on two lists, saying no on both, and Ben: "all 3 journalists of the lists gave no consent"
    (session 21's note): they are two journalists, in three rows."""
    from office_cli import mailer, office

    office(tmp_path, standin, db_url)
    (tmp_path / "lists").mkdir(exist_ok=True)
    (tmp_path / "lists" / "a.csv").write_text(
        "Email,Name,Email consent\nana@daily.example,Ana,no\nben@herald.example,Ben,no\n", encoding="utf-8"
    )
    (tmp_path / "lists" / "b.csv").write_text("Email,Name,Email consent\nana@daily.example,Ana,no\n", encoding="utf-8")
    refused = mailer("send", "releases/example.md", "--list", "lists/a.csv", "--list", "lists/b.csv", "--dry-run")
    words = " ".join(refused.output.split())
    assert "Nobody to send to: all 2 journalists (in 3 rows) of the lists gave no consent to email" in words, words


def test_a_bar_that_counted_without_a_total_ends_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer events import` counts events it cannot know the number of beforehand: its finished bar
    read "Importing events ━━━ 3/?" (newcomer 22, left). It ends full, at what it counted: "3/3"."""
    import io

    from rich.console import Console

    from mailer.cli import output

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(output, "_console", lambda stderr=False: terminal)
    with output.progress("Importing events", total=None) as advance:
        for _ in range(3):
            advance()
    import re

    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).replace("\r", "\n")
    last = [line for line in shown.splitlines() if line.strip()][-1]
    assert "Importing events" in last and "3/3" in last and "?" not in last, repr(last)


def test_a_list_piped_in_is_read_once_by_the_send(tmp_path: Path) -> None:
    """`cat press.csv | mailer send ... --list /dev/stdin`: a pipe can be read only once. Read ahead,
    the send found it empty (or waited for more); it is left to the send itself, which reads it as before."""
    import threading

    pipe = tmp_path / "press.pipe"
    os.mkfifo(pipe)

    def write() -> None:
        with open(pipe, "w", encoding="utf-8") as out:
            out.write(HEADER + "ana@daily.example,Ana,Daily\nben@herald.example,Ben,Herald\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    ahead.read_ahead([pipe]).join(timeout=10)
    loaded: list[list[str]] = []
    reader = threading.Thread(target=lambda: loaded.append(_emails(pipe)), daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert loaded == [["ana@daily.example", "ben@herald.example"]]


@pytest.mark.parametrize(
    ("heading", "cell"),
    [("Suppressed", "yes"), ("Blocked", "TRUE"), ("Email suppressed", "x"), ("Consent withdrawn reason", "left the paper")],
)
def test_a_crm_flag_keeping_a_contact_from_email_keeps_the_journalist_out(tmp_path: Path, heading: str, cell: str) -> None:
    """A CRM export flags a contact no email may go to in a "Suppressed" or "Blocked" column, or gives
    why consent was withdrawn: the column was the list's own, and that journalist was mailed (review 22b, left)."""
    from office_cli import mailer

    (tmp_path / "list.csv").write_text(
        f"Email,Name,{heading}\nana@daily.example,Ana,\nben@gazette.example,Ben,{cell}\ncleo@radio.example,Cleo,no\n", encoding="utf-8"
    )
    checked = mailer("lists", "check", str(tmp_path / "list.csv"))
    assert checked.exit_code == 0, checked.output
    assert "ben@gazette.example: opted out of email" in checked.output, checked.output
    assert "recipients:  2\n" in checked.output, checked.output
