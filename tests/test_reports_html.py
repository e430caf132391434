"""The HTML report: self-contained, escaped, and rendered by a real headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from test_browser import CHROMIUM, FLAGS
from test_reports import LIVE, log  # noqa: F401 - the fixture campaign

from mailer.cli import main
from mailer.reports import page


def write_page(engine: Engine, kind: str = "bounces") -> str:
    Path("mailer.toml").write_text(f'[database]\nurl = "{engine.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["report", LIVE, "--kind", kind, "--format", "html", "-o", "report.html"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote the report page to report.html\n"
    return Path("report.html").read_text(encoding="utf-8")


def test_reports_html_is_self_contained(log: Engine) -> None:  # noqa: F811
    """No script, stylesheet link, image or font is fetched: the only URLs are data the journalists clicked."""
    page = write_page(log)
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"\bsrc\s*=", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    assert "<svg" in page and "<style>" in page


def test_reports_html_escapes_contact_data(log: Engine) -> None:  # noqa: F811
    """Names and outlets with markup appear as text, never as tags."""
    page = write_page(log, kind="recipients")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Radio &lt;b&gt;One&lt;/b&gt;" in page and "<b>One</b>" not in page


def test_reports_html_flags_the_outlet_that_bounced(log: Engine) -> None:  # noqa: F811
    """The all-bounced outlet and domain rows are highlighted, with a warning above the table (Radio
    One too: its only address known to be mailed bounced, fix16b #2)."""
    page = write_page(log)
    assert page.count('<tr class="alert">') == 3
    assert "Every address mailed bounced at 2 outlets and 1 domain" in page


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
def test_reports_html_renders_in_headless_chromium(log: Engine, tmp_path: Path) -> None:  # noqa: F811
    """Chromium renders the page offline: the DOM has the chart and figures, and a screenshot is drawn."""
    write_page(log)
    url = (Path.cwd() / "report.html").as_uri()
    profile = tmp_path / "profile"
    base = [CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=False)
    assert "<svg" in dom.stdout and "Opens and clicks over time" in dom.stdout
    assert "every address bounced" in dom.stdout
    shot = tmp_path / "report.png"
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1000,2400", url], capture_output=True, timeout=60, check=False)
    assert shot.exists() and shot.stat().st_size > 20_000


@pytest.mark.parametrize(("peak", "labels"), [(1, ["1", "2"]), (3, ["2", "4"]), (10, ["5", "10"])])
def test_reports_html_chart_gridlines_are_labelled_with_their_value(peak: int, labels: list[str]) -> None:
    """The half-way and top gridlines carry the whole number they stand for, and the tallest bar fits."""
    svg = str(page.chart([(0, peak, 1), (900, 0, peak)], 900, height=260))
    assert re.findall(r'text-anchor="end" font-size="11" fill="#616e7c">(\d+)</text>', svg)[:2] == labels
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]
    assert max(heights) == pytest.approx(208 * peak / int(labels[1]), abs=0.1)
