"""The preview of a release with a local logo, in headless Chromium: the image loads and fits a phone."""

from __future__ import annotations

import json
import re
from html import escape as html_escape
from pathlib import Path

import pytest
from conftest import ROOT
from test_browser import CHROMIUM, _chromium

from mailer.compose import preview
from mailer.config import Config, SenderConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The preview shown in an iframe of the given width (Chromium's window cannot be narrower than
# 500 px); srcdoc resolves the preview's relative image paths against this page, written beside it.
WRAPPER = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="email" style="border:0;width:{width}px;height:2400px" srcdoc="{srcdoc}"></iframe>
<pre id="measured"></pre>
<script>
document.getElementById('email').addEventListener('load', function () {{
  var doc = this.contentDocument, win = this.contentWindow;
  var images = Array.prototype.map.call(doc.images, function (img) {{
    var r = img.getBoundingClientRect();
    return {{src: img.getAttribute('src'), complete: img.complete, natural: img.naturalWidth,
             left: r.left, right: r.right, width: r.width, height: r.height}};
  }});
  document.getElementById('measured').textContent = JSON.stringify({{
    scrollWidth: doc.documentElement.scrollWidth, viewport: win.innerWidth, images: images}});
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def preview_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    config = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
    folder = tmp_path_factory.mktemp("browser-images")
    shown = preview.write(ROOT / "tests" / "data" / "releases" / "images" / "with-logo.md", config=config, folder=folder)
    html = shown.html_path.read_text(encoding="utf-8")
    for width in (375, 800):
        page = WRAPPER.format(width=width, srcdoc=html_escape(html, quote=True))
        (folder / f"measure-{width}.html").write_text(page, encoding="utf-8")
    return shown.html_path


@pytest.mark.parametrize("width", [375, 800])
def test_browser_preview_shows_the_inline_logo_within_the_column(preview_file: Path, width: int) -> None:
    """Both logos load from the preview's copy (not cid:, which a browser cannot show) and never overflow."""
    dom = _chromium(preview_file.parent, 800, "--dump-dom", (preview_file.parent / f"measure-{width}.html").as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"Chromium printed no measurement: {dom[:300]!r}"
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["viewport"] == width and measured["scrollWidth"] <= width
    logos = [image for image in measured["images"] if "with-logo.images/" in image["src"]]
    assert len(logos) == 2, measured["images"]
    for logo in logos:
        assert logo["complete"] and logo["natural"] == 276, logo  # loaded: the file's real width
        assert 0 <= logo["left"] and logo["right"] <= width and logo["height"] > 20, logo


@pytest.mark.parametrize("width", [375, 800])
def test_browser_preview_screenshots_with_the_logo(preview_file: Path, width: int) -> None:
    """Screenshots at phone and desktop width, kept under tmp for a person to look at."""
    shot = preview_file.parent / f"preview-{width}.png"
    _chromium(preview_file.parent, width, f"--screenshot={shot}", preview_file.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
