"""Fix 12h: a press list sent from inside its own folder is found from any folder, beyond review 12b #11's test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from press_office import folder, mailer

ADDRESS = "ana@daily.example"


def sent_from_the_lists_folder(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer send ../releases/example.md --list beat.csv` in lists/ (mailer.toml is found in the parent)."""
    assert ADDRESS in (office / "lists" / "beat.csv").read_text(encoding="utf-8")
    monkeypatch.chdir(office / "lists")
    sent = mailer("send", "../releases/example.md", "--list", "beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    monkeypatch.chdir(office)


def test_forget_names_a_list_sent_from_inside_its_folder(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log names the list so that forget, run in the office folder, finds it and says it
    still holds the address (it looked for "beat.csv" in the office folder, and said nothing)."""
    folder(tmp_path, standin, db_url)
    sent_from_the_lists_folder(tmp_path, monkeypatch)
    forgotten = mailer("forget", ADDRESS, "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert "Warning: lists/beat.csv still holds this address" in forgotten.output, forgotten.output


def test_forget_in_a_subfolder_names_a_list_sent_from_the_office_folder(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list typed in the office folder is logged as typed ("lists/beat.csv"); forget run in
    lists/ finds it from the office folder and names it from where it runs ("beat.csv")."""
    folder(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert "Lists:      lists/beat.csv\n" in sent.output
    monkeypatch.chdir(tmp_path / "lists")
    forgotten = mailer("forget", ADDRESS, "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert "Warning: beat.csv still holds this address" in forgotten.output, forgotten.output


def test_contact_reads_a_list_sent_from_inside_its_folder_relative_to_the_office(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer contact` names the list as the office knows it, "lists/beat.csv", not the whole
    path the log keeps for it, nor the "beat.csv" typed in lists/."""
    folder(tmp_path, standin, db_url)
    sent_from_the_lists_folder(tmp_path, monkeypatch)
    shown = mailer("contact", ADDRESS)
    assert shown.exit_code == 0, shown.output
    assert "Lists:      lists/beat.csv\n" in shown.output, shown.output
    assert str(tmp_path / "lists") not in shown.output, shown.output
