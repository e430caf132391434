"""Every command explains itself with an example and is documented in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mailer.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"mailer {' '.join((*prefix, name))} is listed but not registered"
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


ALL = list(commands(main))


def test_docs_every_area_is_registered() -> None:
    """The commands DESIGN.md promises all exist."""
    names = {" ".join(path) for path, _ in ALL}
    expected = {
        "lists check",
        "lists clean",
        "lists prune",
        "preview",
        "test",
        "send",
        "resume",
        "cancel",
        "campaigns",
        "status",
        "webhook",
        "events import",
        "suppressions sync",
        "suppressions list",
        "suppressions add",
        "suppressions remove",
        "report",
        "forget",
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"


@pytest.mark.parametrize("path,command", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_docs_command_help_has_an_example(path: tuple[str, ...], command: click.Command) -> None:
    """`mailer ... --help` works and ends with an Example naming the command."""
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"mailer {' '.join(path)} --help has no Example"
    example = result.output.split("Example:", 1)[1]
    assert f"mailer {' '.join(path)}" in example


@pytest.mark.parametrize("path,command", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_docs_command_is_in_readme(path: tuple[str, ...], command: click.Command) -> None:
    """Each command is shown in the README as it is typed."""
    assert f"mailer {' '.join(path)}" in README, f"README does not show `mailer {' '.join(path)}`"


def test_docs_example_event_lines_are_events_mailer_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's example NDJSON lines (events import) import as written: each is read, none is
    quarantined (newcomer review 8: there was no example to copy)."""
    lines = [line for line in README.splitlines() if line.startswith('{"email"')]
    assert len(lines) == 5  # three in "events import", two in the rehearsal with the stand-in
    (tmp_path / "events.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["events", "import", "events.ndjson"])
    assert result.exit_code == 0, result.output
    assert "Read 5 events from 1 file." in result.output
    assert "quarantine" not in result.output.lower()
