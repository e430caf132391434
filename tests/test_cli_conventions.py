"""Command-line conventions (issue 13): --config, -q/--quiet and -v/--verbose anywhere, "did you mean"."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import EXAMPLES

from mailer.cli import main

ROOT = Path(__file__).parent.parent


def mailer(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


ALL = list(commands(main))


@pytest.fixture
def office(tmp_path: Path, db_url: str) -> Path:
    """A folder with the example lists and a config in a subfolder (so only --config finds it), with one dry run in its log."""
    shutil.copytree(EXAMPLES / "lists", tmp_path / "lists")
    shutil.copytree(ROOT / "releases", tmp_path / "releases")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "office.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_conventions_every_command_takes_config_quiet_verbose(path: tuple[str, ...]) -> None:
    """Every command and group lists --config, -q/--quiet and -v/--verbose in its help."""
    result = mailer(*path, "--help")
    assert result.exit_code == 0, result.output
    for option in ("--config PATH", "-q, --quiet", "-v, --verbose"):
        assert option in result.output, f"mailer {' '.join(path)} --help lacks {option}"


def test_conventions_config_before_or_after_the_command(office: Path) -> None:
    """`mailer --config X campaigns` and `mailer campaigns --config X` read the same log."""
    before = mailer("--config", "settings/office.toml", "campaigns", "--json")
    after = mailer("campaigns", "--json", "--config", "settings/office.toml")
    assert before.exit_code == 0 and after.exit_code == 0, before.output + after.output
    assert before.stdout == after.stdout == "[]\n"
    assert "Log: " in before.stderr and "(config settings/office.toml)" in after.stderr
    nested = mailer("lists", "prune", "lists/press.csv", "-o", "pruned.csv", "--config", "settings/office.toml")
    assert nested.exit_code == 0, nested.output
    assert "(config settings/office.toml)" in nested.stderr


def test_conventions_config_twice_differently_is_a_usage_error(office: Path) -> None:
    """Two different --config files are refused (exit 2), not silently one of them."""
    result = mailer("--config", "settings/office.toml", "campaigns", "--config", "other.toml")
    assert result.exit_code == 2
    assert "Error: --config is given twice, as settings/office.toml and as other.toml: give it once." in result.stderr
    same = mailer("--config", "settings/office.toml", "campaigns", "--config", "settings/office.toml")
    assert same.exit_code == 0, same.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_conventions_quiet_keeps_only_the_output_asked_for(office: Path, where: str) -> None:
    """-q drops the "Log:" note and hints; the answer itself still prints."""
    args = ["lists", "prune", "lists/press.csv", "-o", "pruned.csv", "--config", "settings/office.toml"]
    result = mailer("-q", *args) if where == "before" else mailer(*args, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("Wrote 41 journalists to pruned.csv; left out 0 suppressed addresses.\n")
    checked = mailer("lists", "check", "lists/press.csv", "-q")
    assert "rows read:" in checked.stdout and "mailer lists clean" not in checked.stdout
    assert (
        "To get a list without these rows: mailer lists clean lists/press.csv -o lists/press-clean.csv --rejects lists/press-rejects.csv"
        in mailer("lists", "check", "lists/press.csv").stdout
    )


def test_conventions_verbose_names_config_log_and_time(office: Path) -> None:
    """-v adds which config and log are in use and how long the command took (standard error)."""
    result = mailer("campaigns", "-v", "--config", "settings/office.toml")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "Config: settings/office.toml"
    assert lines[1].startswith("Log: ")
    assert lines[-1].startswith("Took ") and lines[-1].endswith(" s CPU).")
    assert "Took " not in mailer("campaigns", "--config", "settings/office.toml").stderr


def test_conventions_quiet_and_verbose_together_is_a_usage_error() -> None:
    """-q and -v contradict each other: exit 2 with a message."""
    result = mailer("-q", "lists", "check", "x.csv", "-v")
    assert result.exit_code == 2
    assert "Error: -q/--quiet and -v/--verbose cannot be used together: choose one." in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["sned"], "Error: No such command 'sned'. Did you mean 'send'?"),
        (["campaings"], "Error: No such command 'campaings'. Did you mean 'campaigns'?"),
        (["lists", "chek", "x.csv"], "Error: No such command 'chek'. Did you mean 'check'?"),
        (["suppressions", "lsit"], "Error: No such command 'lsit'. Did you mean 'list'?"),
        (["frobnicate"], "Error: No such command 'frobnicate'.\n"),
    ],
)
def test_conventions_misspelt_command_suggests_the_right_one(args: list[str], message: str) -> None:
    """A misspelt command is a usage error (exit 2) that names the closest command, if any."""
    result = mailer(*args)
    assert result.exit_code == 2
    assert message in result.stderr
