"""Fixes of newcomer 14's findings 3, 4 and 5 beyond the findings' own tests (tests/test_newcomer14.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_newcomer14 import KEY, client_office

from mailer.cli import main


@pytest.fixture
def offices(tmp_path: Path, standin: Any) -> tuple[Path, Path]:
    return client_office(tmp_path / "acme", "acme", standin), client_office(tmp_path / "bolt", "bolt", standin)


def test_mailer_config_over_the_folders_own_stops_a_live_send(
    offices: tuple[Path, Path], standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$MAILER_CONFIG naming another office's mailer.toml than the folder's own stops a send that
    mails (it would go From the other client, against the other client's suppressions), naming both files."""
    acme, bolt = offices
    monkeypatch.chdir(bolt.parent)
    env = {"SENDGRID_API_KEY": KEY, "MAILER_CONFIG": str(acme)}
    sent = CliRunner().invoke(main, ["send", "releases/launch.md", "--list", "lists/press.csv", "--yes"], env=env)
    assert sent.exit_code == 1, sent.output
    assert str(acme) in sent.output and str(bolt) in sent.output and "nothing was sent" in sent.output, sent.output
    assert f"--config {bolt}" in sent.output
    tested = CliRunner().invoke(main, ["test", "releases/launch.md"], env=env)
    assert tested.exit_code == 1 and "nothing was sent" in tested.output, tested.output
    assert standin.mail_sends == []
    # --config says which on purpose: no word, and it sends.
    chosen = CliRunner().invoke(main, ["send", "releases/launch.md", "--list", "lists/press.csv", "--yes", "--config", str(bolt)], env=env)
    assert chosen.exit_code == 0, chosen.output
    assert "MAILER_CONFIG" not in chosen.output


def test_mailer_config_naming_the_folders_own_file_says_nothing(offices: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """$MAILER_CONFIG naming the mailer.toml of the folder the command runs in (or above it) is no conflict."""
    acme, _ = offices
    monkeypatch.chdir(acme.parent / "releases")
    env = {"SENDGRID_API_KEY": KEY, "MAILER_CONFIG": str(acme)}
    result = CliRunner().invoke(main, ["send", "launch.md", "--list", "../lists/press.csv", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "MAILER_CONFIG" not in result.output, result.output
