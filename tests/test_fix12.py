"""Session 12's fixes of what earlier reviews and newcomers left open, each through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from press_office import folder, mailer


def test_a_list_named_from_a_subfolder_is_logged_as_the_same_file(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 10c #9: `mailer send ../lists/beat.csv` typed in the releases folder logged the list as
    "../lists/beat.csv", so `mailer contact` run in the office folder named a file that is not there.
    The log keeps a name that means the same file from any folder: shown relative to the office."""
    folder(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path / "releases")
    sent = mailer("send", "example.md", "--list", "../lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    monkeypatch.chdir(tmp_path)
    found = json.loads(mailer("contact", "dan@gazette.example", "--json").stdout)
    [only] = found["campaigns"]
    assert only["list"] == "lists/beat.csv:5"
    assert found["lists"] == ["lists/beat.csv"]
    printed = mailer("contact", "dan@gazette.example").stdout
    assert "../" not in printed and "lists/beat.csv" in printed


def _beat_of(count: int) -> str:
    return "Email,First Name,Last Name,Outlet\n" + "".join(f"j{n}@paper{n}.example,Jo{n},Doe,Paper {n}\n" for n in range(count))


def test_a_send_that_stops_says_how_far_it_got(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 11b: a send that stopped (SendGrid down after the first request) printed the error and
    the resume command, but not how far it got: the officer could not tell whether anyone was mailed.
    It now ends with the same totals line as a finished send."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(_beat_of(25), encoding="utf-8")
    toml = tmp_path / "mailer.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )
    standin.answer(503, times=1000, match=lambda request: len(standin.mail_sends) >= 2)
    stopped = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert stopped.exit_code == 1
    totals = "Accepted:   10   failed: 0   unknown: 0   not sent yet: 15   skipped: 0\n"
    assert totals + "Error: SendGrid did not take the requests" in stopped.output
    assert "after several tries" not in stopped.output  # retries = 0: it tried once

    standin.reset()
    standin.answer(401, times=1000, match=lambda request: len(standin.mail_sends) >= 1)
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 1
    assert "Accepted:   10   failed: 0   unknown: 0   not sent yet: 15   skipped: 0\n" in resumed.output, resumed.output


def test_a_send_names_every_list_it_cannot_use_at_once(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 11: `mailer send` given three lists stopped at the first unusable one; fixed, the next
    run stopped at the second. Every unusable list is named in one error, each with what to do, and
    nothing is logged."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "names.csv").write_text("Name\nAna\n", encoding="utf-8")
    (tmp_path / "lists" / "empty.csv").write_text("", encoding="utf-8")
    lists = ["--list", "lists/missing.csv", "--list", "lists/beat.csv", "--list", "lists/names.csv", "--list", "lists/empty.csv"]
    refused = mailer("send", "releases/example.md", *lists, "--dry-run")
    assert refused.exit_code == 1
    assert "Error: 3 of the lists cannot be used:\n" in refused.output, refused.output
    for line in (
        "  lists/missing.csv: no such file. Check the file name",
        '  lists/names.csv: no email address column. Columns found: "Name". Name the column',
        "  lists/empty.csv: the file is empty. Export the list again",
    ):
        assert line in refused.output
    assert "Fix them (each line says how), then run the command again.\n" in refused.output
    assert "Traceback" not in refused.output and "rows written" not in refused.output
    one = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--list", "lists/empty.csv", "--dry-run")
    assert "Error: lists/empty.csv: the file is empty.\n" in one.output  # one unusable list: its own error, as before
