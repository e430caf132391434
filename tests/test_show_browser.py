"""A `mailer show` output's HTML part in headless Chromium at phone and desktop widths (screenshots to look at)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import example
from test_browser import CHROMIUM, _chromium

from mailer.cli import main
from mailer.send import show
from mailer.store import connect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def shown_html(tmp_path: Path, db_url: str) -> Path:
    """A dry run of the example release, then `mailer show` of one journalist; its HTML part as a page."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(
        f'[database]\nurl = "{db_url}"\n\n[sender]\npostal_address = "Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run"]).exit_code == 0
    campaign_id = next((tmp_path / "out" / "outbox").iterdir()).name
    result = runner.invoke(main, ["show", campaign_id, "--contact", "amara.okafor@example.com", "-o", "amara.eml"])
    assert result.exit_code == 0, result.output
    html = show.show(connect(db_url), campaign_id, contact="amara.okafor@example.com").html_page()
    assert html is not None and "-~c." not in html
    page = tmp_path / "shown.html"
    page.write_text(html, encoding="utf-8")
    return page


@pytest.mark.parametrize("width", [375, 800])
def test_show_html_part_screenshots(shown_html: Path, width: int) -> None:
    """Chromium renders the shown email at each width (the PNG stays under pytest's tmp for a person to look at)."""
    shot = shown_html.parent / f"show-{width}.png"
    _chromium(shown_html.parent, width, f"--screenshot={shot}", shown_html.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
