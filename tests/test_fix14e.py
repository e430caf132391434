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


def test_report_file_progress_counts_to_the_end_as_rows_are_written(tmp_path: Path) -> None:
    """The bar of a report file reaches its total: half once the rows are read, the rest as they are written."""
    from mailer.reports import exports, formats
    from mailer.reports.figures import Table

    steps: list[int] = []
    rows = [(f"j{i}@outlet.example", i) for i in range(12_000)]
    table = Table("recipients", "c", ("email", "opens"), ("email", "opens"), rows)
    share = exports._RowShare(steps.append, len(rows), 50)
    formats.write_csv(table, tmp_path / "r.csv", on_rows=share)
    assert sum(steps) == 50 and len(steps) == 3, steps  # 5,000 + 5,000 + 2,000 rows
    steps.clear()
    share = exports._RowShare(steps.append, len(rows), 50)
    formats.write_xlsx(table, tmp_path / "r.xlsx", on_rows=share)
    share.finish()
    assert sum(steps) == 50 and len(steps) >= 2, steps


def test_report_file_bar_reaches_its_total(offices: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer report -o FILE` shows one bar, named after the file, that ends full."""
    from office_cli import Bars
    from test_newcomer14 import campaign_of, send_live

    from mailer.cli import output

    acme, _ = offices
    campaign = campaign_of(send_live(acme))
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    for name in ("r.csv", "r.xlsx", "r.json", "r.html"):
        report = CliRunner().invoke(
            main, ["report", campaign, "--kind", "recipients", "-o", str(acme.parent / name), "--config", str(acme)]
        )
        assert report.exit_code == 0, report.output
        description, total, steps = bars.bars[-1]
        assert (description, total, sum(steps)) == (f"Writing {name}", 100, 100)


@pytest.mark.parametrize("command", [("lists", "check"), ("lists", "clean", "-o", "clean.csv")])
def test_lists_bar_moves_through_files_by_their_size_and_ends_full(
    command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lists check` and `lists clean` count the share of the work done, not files: a big and a small
    list move the bar in several steps, most of them for the big one, and it ends at its total."""
    from office_cli import Bars

    from mailer.cli import output

    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.csv").write_text("Email\n" + "".join(f"j{i}@outlet.example\n" for i in range(20000)), encoding="utf-8")
    (tmp_path / "small.csv").write_text("Email\nann@paper.example\n", encoding="utf-8")
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    result = CliRunner().invoke(main, [*command, "big.csv", "small.csv"])
    assert result.exit_code == 0, result.output
    [(_description, total, steps)] = bars.bars
    assert total == 100 and sum(steps) == 100, steps
    assert len(steps) >= 4 and steps[0] + steps[1] >= 70, steps  # big.csv: decoded, then parsed, most of reading
