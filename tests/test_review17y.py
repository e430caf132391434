"""Review 17y: a hostile review of the list manager's fixes of session 17 (contact exports'
address headers and names) and of the team's PostgreSQL log (database URLs in words), as a press
office and an attacker would try them: every finding a test through the command line."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mailer.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(path: Path, text: str) -> str:
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def cleaned(tmp_path: Path, text: str) -> list[dict[str, str]]:
    """The rows `lists clean` writes of a list holding ``text``."""
    path = written(tmp_path / "list.csv", text)
    out = tmp_path / "clean.csv"
    result = invoke("lists", "clean", path, "-o", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("other", ["Personal Email", "Work Email", "Email 2", "Other Email"])
def test_a_qualified_address_column_left_of_email_does_not_take_its_place(tmp_path: Path, other: str) -> None:
    """A list that sent to its "Email" column keeps doing so when a colleague adds a "Personal
    Email" column to its left: since session 17 read every journalist's personal address instead,
    and rejected those without one ("no email address")."""
    rows = cleaned(
        tmp_path,
        f"Name,{other},Email,Outlet\r\nJane Doe,jane.doe@home.example,jane@daily.example,Daily\r\nBen Okafor,,ben@gazette.example,Gazette\r\n",
    )
    assert [row["email"] for row in rows] == ["jane@daily.example", "ben@gazette.example"]
    check = json.loads(invoke("lists", "check", str(tmp_path / "list.csv"), "--json").stdout)
    assert check["valid"] == 2


def test_google_csv_full_name_beside_given_and_family_name(tmp_path: Path) -> None:
    """Google Contacts' CSV (read since session 17) has "Name" (the full name) beside "Given Name"
    and "Family Name": the last name is the family name, not "Jane Doe" ("Dear Ms Jane Doe")."""
    rows = cleaned(
        tmp_path,
        "Name,Given Name,Additional Name,Family Name,E-mail 1 - Type,E-mail 1 - Value\r\n"
        "Jane Doe,Jane,,Doe,* Work,jane@daily.example\r\n"
        "Ben Okafor,Ben,,Okafor,* Work,ben@gazette.example\r\n",
    )
    assert [(row["first_name"], row["last_name"]) for row in rows] == [("Jane", "Doe"), ("Ben", "Okafor")]


def _office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def test_a_password_with_an_at_sign_is_not_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A password holding "@" (common in generated passwords) written as is: the Log: line and
    the error showed what follows the @ ("mailer:***@Vq9-zz7@127.0.0.1") and said no server
    "Vq9-zz7@127.0.0.1" can be found. Nothing of the password is shown, and the hint says to write
    the @ as %40."""
    _office(tmp_path, monkeypatch, "postgresql+psycopg://mailer:Hive@Vq9-zz7@127.0.0.1:55432/mailer_test")
    result = invoke("campaigns")
    assert result.exit_code == 1
    assert "Vq9" not in result.output
    assert "Traceback" not in result.output
    assert "%40" in result.output


def test_a_port_that_is_not_a_number_is_said_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL copied from the README with its placeholder left in (HOST:PORT) or a typo in the port
    ended in a Python traceback ("invalid literal for int()"). It names the port and what to write."""
    _office(tmp_path, monkeypatch, "postgresql+psycopg://mailer:Sup3rSecret@db.office.example:PORT/press")
    result = invoke("campaigns")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert '"PORT"' in result.output and "Sup3rSecret" not in result.output


def test_a_misspelt_password_parameter_is_not_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """?passwd= or ?pwd= (other tools' names for libpq's ?password=) printed the password twice."""
    _office(tmp_path, monkeypatch, "postgresql+psycopg://mailer@127.0.0.1:55432/mailer_test?passwd=Sup3rSecret")
    result = invoke("campaigns")
    assert result.exit_code == 1
    assert "Sup3rSecret" not in result.output


def test_a_filter_on_a_column_of_the_lists_own_named_like_an_address_column(tmp_path: Path) -> None:
    """`--where personal_email=...` (the field `lists check` lists under "your own") filtered on that
    column until session 17; since then it filtered on the address and chose nobody (or others)."""
    from mailer import contacts

    path = Path(
        written(
            tmp_path / "list.csv",
            "Name,Email,Personal Email\r\nJane Doe,jane@daily.example,jane.doe@home.example\r\nBen Okafor,ben@gazette.example,\r\n",
        )
    )
    loaded = contacts.load([path])
    for where in ("personal_email=jane.doe@home.example", "Personal Email=jane.doe@home.example"):
        chosen = contacts.apply_filter(loaded, contacts.parse_filter([where], []))
        assert [contact.email for contact in chosen.contacts] == ["jane@daily.example"], where


def test_a_server_given_in_the_query_is_the_one_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq takes the server as ?host=...&port=... too (and a socket folder as ?host=/run/...):
    the message said "the database server at localhost:5432 has no database", and its hint's
    createdb line would have made the database on another server, the one on this computer."""
    from conftest import POSTGRES_URL
    from sqlalchemy.engine import make_url

    if not POSTGRES_URL:
        pytest.skip("needs MAILER_TEST_POSTGRES_URL")
    parsed = make_url(POSTGRES_URL)
    _office(tmp_path, monkeypatch, f"postgresql+psycopg://{parsed.username}@/review17y_nope?host={parsed.host}&port={parsed.port}")
    result = invoke("campaigns")
    assert result.exit_code == 1
    assert f"the database server at {parsed.host}:{parsed.port} has no database" in result.output, result.output
    assert f"createdb -h {parsed.host} -p {parsed.port} " in result.output
    assert "localhost" not in result.output


def test_a_file_starting_with_many_comments_is_read_at_once(tmp_path: Path) -> None:
    """The check for a web page given as a list (session 17) backtracked over a file starting with
    HTML comments but no page: 26 of them held `lists check` 9 seconds, 40 for days. A hostile or
    broken file is answered at once."""
    import subprocess
    import sys

    path = written(tmp_path / "list.csv", "<!-- x -->" * 40 + "\r\nEmail\r\njane@daily.example\r\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailer", "lists", "check", path], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("lists check still reading after 30 seconds")
    assert "Traceback" not in done.stderr


def _other_terminal(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``mailer ARGS`` in a process of its own (a colleague's terminal), in ``folder``."""
    from conftest import ROOT
    from office_cli import KEY

    env = {**os.environ, "SENDGRID_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], check=False, cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_nobody_left_some_mailed_some_suppressed_meanwhile(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While Ana's send asks, a colleague suppresses Ana Lima (she phoned) and sends the release
    to Ben Okafor. Ana's send mails nobody and logs nothing (session 17), and its words read
    "Nothing sent: both journalists of this send 1 journalist was mailed by ... and 1 journalist was
    suppressed": each part is counted out of the whole."""
    from office_cli import SEND, mailer, office

    from mailer.cli import send as send_cli

    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lists" / "ben.csv").write_text("Email,First Name,Last Name\nben@gazette.example,Ben,Okafor\n", encoding="utf-8")
    real_confirm = send_cli._confirm
    colleague: list[subprocess.CompletedProcess[str]] = []

    def colleague_works_while_asked(question: str, **kwargs: Any) -> None:
        if not colleague:
            colleague.append(_other_terminal(tmp_path, "suppressions", "add", "ana@daily.example", "--reason", "asked by phone"))
            colleague.append(_other_terminal(tmp_path, "send", "releases/example.md", "--list", "lists/ben.csv", "--yes", "--no-test-ok"))
        real_confirm(question, **kwargs)

    monkeypatch.setattr(send_cli, "_confirm", colleague_works_while_asked)
    ana = mailer(*SEND)
    suppressed, ben = colleague
    assert suppressed.returncode == 0 and ben.returncode == 0, ben.stdout + ben.stderr
    found = re.search(r"^Campaign (\S+):", ben.stderr + ben.stdout, re.MULTILINE)
    assert found
    assert ana.exit_code == 1, ana.output
    said = " ".join(ana.stderr.split())
    assert (
        f"Nothing sent: of the 2 journalists of this send, 1 was mailed by {found.group(1)}, another send of this same release "
        "(a colleague's, or another terminal's), and 1 was suppressed (unsubscribed, bounced or added by hand), "
        "after this send was planned (while its question waited, or at the same moment). Nothing was logged."
    ) in said, said
