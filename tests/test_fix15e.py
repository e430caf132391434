"""Fix 15e: commands that change a delivery log for good stop, like sending commands, when
$MAILER_CONFIG names another folder's mailer.toml than the one of the folder they run in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import mailer, office

BEAT = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\n"


@pytest.mark.parametrize(
    "command",
    [
        ["suppressions", "add", "ana@daily.example", "--reason", "asked"],
        ["suppressions", "remove", "ana@daily.example", "--reason", "asked back"],
        ["suppressions", "import", "lists/beat.csv", "--reason", "old tool"],
        ["events", "import", "events.json"],
        ["webhook"],
        ["forget", "ana@daily.example", "--yes"],
    ],
)
def test_a_command_changing_the_log_stops_under_another_folders_mailer_config(
    command: list[str], tmp_path: Path, standin: Any, new_db_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In client B's folder with MAILER_CONFIG still naming client A's mailer.toml, a command
    that changes the log (suppress, lift, erase, store events) stops before it changes anything,
    naming both files and what to do; a report only warns."""
    client_a, client_b = tmp_path / "a", tmp_path / "b"
    for folder in (client_a, client_b):
        folder.mkdir()
        office(folder, standin, new_db_url(), beat=BEAT)
    (client_b / "events.json").write_text("[]", encoding="utf-8")
    monkeypatch.chdir(client_b)
    monkeypatch.setenv("MAILER_CONFIG", str(client_a / "mailer.toml"))
    result = mailer(*command)
    assert result.exit_code == 1, result.output
    assert f"MAILER_CONFIG names {client_a / 'mailer.toml'}, but this folder has its own mailer.toml" in result.output
    assert f"--config {client_b / 'mailer.toml'}" in result.output
    listed = mailer("suppressions", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert "ana@daily.example" not in listed.stdout
    assert "Warning: Using" in listed.output
