"""The example release in a real browser (headless Chromium): fits a phone, headline and contact visible."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape as html_escape
from pathlib import Path

import pytest
from conftest import ROOT

from mailer import compose
from mailer.compose import release
from mailer.config import Config, SenderConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# A page that shows the email in an iframe of the given width (Chromium's window cannot be
# narrower than 500 px), measures it, and writes the figures into the DOM for --dump-dom.
WRAPPER = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="email" style="border:0;width:{width}px;height:2400px" srcdoc="{srcdoc}"></iframe>
<pre id="measured"></pre>
<script>
document.getElementById('email').addEventListener('load', function () {{
  var doc = this.contentDocument, win = this.contentWindow;
  function box(id) {{
    var el = doc.getElementById(id), r = el.getBoundingClientRect(), s = win.getComputedStyle(el);
    return {{left: r.left, right: r.right, width: r.width, height: r.height,
             shown: s.display !== 'none' && s.visibility !== 'hidden'}};
  }}
  document.getElementById('measured').textContent = JSON.stringify({{
    scrollWidth: doc.documentElement.scrollWidth, viewport: win.innerWidth,
    headline: box('headline'), contact: box('media-contact'), body: box('body')}});
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def email_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    config = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
    rendered = compose.render(release.load(ROOT / "releases" / "example.md"), config=config)
    html = compose.personalize(rendered, {"outlet": "The Riverbend Courier"}).html
    folder = tmp_path_factory.mktemp("browser")
    (folder / "email.html").write_text(html, encoding="utf-8")
    for width in (375, 800):
        page = WRAPPER.format(width=width, srcdoc=html_escape(html, quote=True))
        (folder / f"measure-{width}.html").write_text(page, encoding="utf-8")
    return folder / "email.html"


def _chromium(folder: Path, width: int, *args: str) -> str:
    profile = folder / f"profile-{width}-{args[-1].rsplit('/', 1)[-1]}"
    result = subprocess.run(
        [CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},2400", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    return result.stdout


def _measure(email: Path, width: int) -> dict:
    dom = _chromium(email.parent, 800, "--dump-dom", (email.parent / f"measure-{width}.html").as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"Chromium printed no measurement: {dom[:300]!r}"
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.parametrize("width", [375, 800])
def test_browser_no_horizontal_overflow_and_parts_visible(email_file: Path, width: int) -> None:
    """At phone and desktop widths the email never scrolls sideways; headline and media contact show."""
    measured = _measure(email_file, width)
    assert measured["viewport"] == width
    assert measured["scrollWidth"] <= width
    for part in ("headline", "contact", "body"):
        box = measured[part]
        assert box["shown"] and box["width"] > 100 and box["height"] > 10, (part, box)
        assert 0 <= box["left"] and box["right"] <= width, (part, box)
    if width == 375:
        assert measured["headline"]["width"] > 300  # the column fills the phone, not a 600px box


@pytest.mark.parametrize("width", [375, 800])
def test_browser_screenshots_are_written(email_file: Path, width: int) -> None:
    """Chromium renders a screenshot at each width (kept under tmp for a person to look at)."""
    shot = email_file.parent / f"email-{width}.png"
    _chromium(email_file.parent, width, f"--screenshot={shot}", email_file.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
