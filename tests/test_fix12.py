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
