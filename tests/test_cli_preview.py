"""`mailer preview`: files written, paths and sizes printed, warnings shown, errors without traceback."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT

from mailer.cli import main

EXAMPLE = str(ROOT / "releases" / "example.md")


def _run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def test_cli_preview_writes_html_and_text(tmp_path: Path) -> None:
    """Preview writes the HTML and text under out/preview and prints subject, preheader, paths, sizes."""
    result = _run("preview", EXAMPLE)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    html = tmp_path / "out" / "preview" / "example.html"
    text = tmp_path / "out" / "preview" / "example.txt"
    lines = result.output.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "Subject:   Riverbend Beekeepers count record 1.2 million bees in first city-wide census"
    assert lines[1] == "From:      Press Office <press@example.org>"  # review 18p #6
    assert lines[2] == "Preheader: Census results, maps and interviews with the volunteers who counted"
    assert lines[3] == "As:        no particular journalist (defaults shown)"
    assert lines[4] == f"HTML:      out/preview/example.html ({html.stat().st_size / 1024:.1f} KB)"
    assert lines[5] == f"Text:      out/preview/example.txt ({text.stat().st_size / 1024:.1f} KB)"
    assert "arranged for your outlet through" in " ".join(html.read_text(encoding="utf-8").split())
    assert "Warning: No postal address: set [sender] postal_address in mailer.toml" in result.output  # type: ignore[attr-defined]


def test_cli_preview_as_one_journalist(tmp_path: Path) -> None:
    """--contact EMAIL --list FILE shows that journalist's values, escaped in the HTML."""
    (tmp_path / "press.csv").write_text("Email,First Name,Outlet\njane@example.com,Jane,AT&T Weekly\n", encoding="utf-8")
    (tmp_path / "mailer.toml").write_text('[sender]\npostal_address = "1 Example Street"\n', encoding="utf-8")
    result = _run("preview", EXAMPLE, "--contact", "JANE@example.com", "--list", "press.csv", "-o", "shots")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "As:        JANE@example.com" in result.output  # type: ignore[attr-defined]
    assert "No warnings." in result.output  # type: ignore[attr-defined]
    assert "arranged for AT&amp;T Weekly through" in " ".join((tmp_path / "shots" / "example.html").read_text(encoding="utf-8").split())
    assert "arranged for AT&T Weekly" in (tmp_path / "shots" / "example.txt").read_text(encoding="utf-8").replace("\n", " ")


def test_cli_preview_unknown_contact(tmp_path: Path) -> None:
    """A --contact not in the list is exit 1 with the address and what to run."""
    (tmp_path / "press.csv").write_text("Email\njane@example.com\n", encoding="utf-8")
    result = _run("preview", EXAMPLE, "--contact", "bob@example.com", "--list", "press.csv")
    assert result.exit_code == 1
    assert result.output == (  # type: ignore[attr-defined]
        "Error: bob@example.com is not a recipient in press.csv.\nCheck the address with: mailer lists check press.csv\n"
    )
    assert not (tmp_path / "out").exists()


def test_cli_preview_contact_needs_list() -> None:
    """--contact without --list is a usage error (exit 2)."""
    result = _run("preview", EXAMPLE, "--contact", "bob@example.com")
    assert result.exit_code == 2
    assert result.output.endswith("\nError: --contact needs --list FILE to find the journalist in.\n")  # type: ignore[attr-defined]


def test_cli_preview_broken_release_no_traceback() -> None:
    """A broken release is exit 1 with the file, line and hint; no traceback."""
    path = DATA / "releases" / "unknown-key.md"
    result = _run("preview", str(path))
    assert result.exit_code == 1
    assert result.output == f'Error: {path}, line 3: unknown front-matter key "subheading".\nDid you mean subheadline?\n'  # type: ignore[attr-defined]


def test_cli_preview_missing_release() -> None:
    """A release path that does not exist is exit 1 with a clear message."""
    result = _run("preview", "releases/missing.md")
    assert result.exit_code == 1
    assert result.output == (  # type: ignore[attr-defined]
        "Error: releases/missing.md: no such release file.\nCheck the path; releases/example.md is a complete example to copy.\n"
    )


def test_cli_preview_explains_field_stand_ins(tmp_path: Path) -> None:
    """Without --contact, a field with no default shows as [field], and the output says what that means."""
    (tmp_path / "r.md").write_text('---\nsubject: "S"\n---\nDear {{ contact.first_name }},\n', encoding="utf-8")
    result = _run("preview", "r.md")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = result.output.splitlines()  # type: ignore[attr-defined]
    assert lines[2] == "Preheader: (none: inboxes show the first words of the email)"
    assert (
        lines[3]
        == "As:        no particular journalist (defaults shown; [first_name] stand for each journalist's own values, see --contact)"
    )
    assert "Dear [first_name]," in (tmp_path / "out" / "preview" / "r.txt").read_text(encoding="utf-8")


def test_cli_preview_open_hands_the_html_to_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--open opens the written HTML file (by its absolute path) in the default browser."""
    opened: list[str] = []
    monkeypatch.setattr(click, "launch", lambda url, **_: opened.append(url) or 0)
    result = _run("preview", EXAMPLE, "--open")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert opened == [str(tmp_path / "out" / "preview" / "example.html")]
