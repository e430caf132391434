"""The composer attacked (review 23a): a release file or a list's cells written to mislead, and
a press officer who takes the proof for the email, through the command line and the SendGrid
stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import mailer, office, said

TWO_BLOCKS = """---
subject: "Riverbend Beekeepers count 1.2 million bees"
date: 2026-02-19
translations:
  de:
    subject: "Imker in Riverbend zählen 1,2 Millionen Bienen"
    body: "Der Imkerverband Riverbend hat heute ..."
contact:
  name: "Dana Whitfield"
translations:
  fr:
    subject: "Les apiculteurs de Riverbend comptent 1,2 million d’abeilles"
    body: "L’association des apiculteurs de Riverbend a publié ..."
---
The Riverbend Beekeepers Association today published ...
"""


def test_a_key_written_twice_in_the_front_matter_is_refused(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YAML keeps the last of two equal keys without a word: a release with a German
    `translations:` block and, further down, a French one was previewed and sent in English and
    French only, its German journalists getting the English version; a second `subject:` pasted
    below the first replaced it. A key written twice is now refused, naming both lines."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "releases" / "launch.md").write_text(TWO_BLOCKS, encoding="utf-8")
    previewed = mailer("preview", "releases/launch.md")
    assert previewed.exit_code == 1, previewed.output
    assert (
        'Error: releases/launch.md, line 10: "translations" is written twice in the front matter (first on line 4), '
        "so one of the two would be silently left out."
    ) in said(previewed)
    assert "Keep one: put everything under the first one" in previewed.output
    sent = mailer("send", "releases/launch.md", "--list", "lists/beat.csv", "--dry-run")
    assert sent.exit_code == 1 and '"translations" is written twice' in sent.output, sent.output
    (tmp_path / "releases" / "launch.md").write_text(
        TWO_BLOCKS.replace('contact:\n  name: "Dana Whitfield"\n', 'contact:\n  name: "Dana Whitfield"\n  name: "Dana W."\n'),
        encoding="utf-8",
    )
    nested = mailer("preview", "releases/launch.md")
    assert nested.exit_code == 1
    assert '"contact.name" is written twice in the front matter (first on line 9)' in said(nested), nested.output
