"""A dry run with --eml all says how much it will write, and refuses when the disk has no room for it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from test_cli_send import campaign_rows, mailer

from mailer.send import campaign
from mailer.transport import dryrun

SEND = ("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")


def test_eml_all_says_how_much_it_writes(logged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a size worth a word (100 MB; lowered here), the plan is followed by how much --eml all writes."""
    monkeypatch.setattr(campaign, "LARGE_OUTBOX", 1000)
    result = mailer(*SEND, "--eml", "all", key=None)
    assert result.exit_code == 0, result.output
    assert "Writing an .eml for each of the 41 journalists: about " in result.output
    written = sum(path.stat().st_size for path in (logged / "out" / "outbox").rglob("*.eml"))
    said = result.output.split("Writing an .eml for each of the 41 journalists: about ", 1)[1].split(".\n", 1)[0]
    number, unit = said.split()
    assert unit in ("KB", "MB")
    estimate = float(number.replace(",", "")) * (1000 if unit == "KB" else 10**6)
    assert written / 2 <= estimate <= written * 2  # an estimate, but not a wild one


def test_a_sample_says_nothing(logged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign, "LARGE_OUTBOX", 1000)
    result = mailer(*SEND, key=None)
    assert result.exit_code == 0, result.output
    assert "Writing an .eml for each" not in result.output


def test_no_room_for_the_emls_is_refused_before_logging(logged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too little free space for the .eml files: refused before the campaign is logged or a file is written."""
    real = shutil.disk_usage

    def tight(path: Any) -> Any:
        usage = real(path)
        return type(usage)(usage.total, usage.total - 200_000, 200_000)

    monkeypatch.setattr(dryrun.shutil, "disk_usage", tight)
    result = mailer(*SEND, "--eml", "all", key=None)
    assert result.exit_code == 1
    assert "The dry run would write about " in result.output
    assert "of .eml files (41 journalists) in " in result.output
    assert "but only 200 KB are free there. Nothing was logged." in result.output
    assert "leave out --eml all" in result.output
    assert campaign_rows() == []
    assert not list((logged / "out" / "outbox").glob("*/*.eml"))


def test_file_sizes_read_plainly() -> None:
    assert [dryrun.file_size(n) for n in (512, 2_000, 1_234_567, 45_000_000, 1_200_000_000)] == [
        "512 bytes",
        "2.0 KB",
        "1.2 MB",
        "45 MB",
        "1.2 GB",
    ]


def test_a_stopped_dry_run_says_so_in_its_own_words() -> None:
    """Ctrl-C during a dry run: nothing was "in flight" or "answered"; the files written so far are in the outbox."""
    from mailer.errors import SendError
    from mailer.send.delivery import Outcome

    stopped = Outcome("2026-11-24-example", {"planned": 3}, (), interrupted=True)
    with pytest.raises(SendError) as caught:
        stopped.check(dry_run=True)
    assert caught.value.message == "Stopped at your request; the requests written so far are in the outbox."
    assert caught.value.hint == "Continue later with: mailer resume 2026-11-24-example"
    with pytest.raises(SendError) as live:
        stopped.check()
    assert live.value.message == "Stopped at your request after the requests in flight were answered."
    Outcome("2026-11-24-example", {"accepted": 3}, (), interrupted=True).check()  # after the last request: nothing stopped (nc12b #5)
