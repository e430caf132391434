"""Newcomer 26: the communications unit of a Canadian federal department in Ottawa, bilingual
(every release in English and French; Québec, Montréal, Radio-Canada, "Éric Côté"), one officer on
a laptop with SQLite, then the team on a shared PostgreSQL log. Each test is a finding, through the
command line, and failed before its fix (session 26)."""

from __future__ import annotations

from pathlib import Path

import pytest
from office_cli import mailer, said

# -- 1. an empty new PostgreSQL log: the preview said it was "not yet set up for this version" ---------


@pytest.mark.postgresql
def test_a_preview_on_a_new_empty_shared_log_does_not_ask_for_an_upgrade(logged: Path, database: str) -> None:
    """The team's new PostgreSQL database has no tables until the first send writes them. A preview on
    it said "The delivery log ... is not yet set up for this version of press-mailer", which reads as
    "someone must upgrade it" although nothing is wrong: an empty log has scheduled nothing."""
    result = mailer("preview", "releases/example.md")
    assert result.exit_code == 0, result.output
    assert "not yet set up" not in said(result)
    assert "Could not look" not in said(result)
