"""The French and Arabic versions in headless Chromium: they fit a phone, and Arabic is laid out right to left."""

from __future__ import annotations

import json
import re
import shutil
from html import escape as html_escape
from pathlib import Path

import pytest
from conftest import DATA
from test_browser import CHROMIUM, _chromium

from mailer.compose import preview
from mailer.config import Config, SenderConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The version in an iframe of the given width; for each part, the element's box and its text's box.
WRAPPER = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="email" style="border:0;width:{width}px;height:2400px" srcdoc="{srcdoc}"></iframe>
<pre id="measured"></pre>
<script>
document.getElementById('email').addEventListener('load', function () {{
  var doc = this.contentDocument, win = this.contentWindow;
  function box(id) {{
    var el = doc.getElementById(id), range = doc.createRange();
    range.selectNodeContents(el);
    var r = el.getBoundingClientRect(), t = range.getBoundingClientRect();
    return {{left: r.left, right: r.right, textLeft: t.left, textRight: t.right, direction: win.getComputedStyle(el).direction}};
  }}
  document.getElementById('measured').textContent = JSON.stringify({{
    scrollWidth: doc.documentElement.scrollWidth, viewport: win.innerWidth,
    headline: box('headline'), line: box('release-line'), contact: box('media-contact')}});
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    folder = tmp_path_factory.mktemp("browser-languages")
    for name in ("launch.md", "launch.fr.md", "launch.ar.md"):
        shutil.copy(DATA / "releases" / "languages" / name, folder / name)
    config = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
    for shown in preview.write_versions(folder / "launch.md", config=config, folder=folder / "out"):
        html = shown.html_path.read_text(encoding="utf-8")
        for width in (375, 800):
            page = WRAPPER.format(width=width, srcdoc=html_escape(html, quote=True))
            (folder / "out" / f"measure-{shown.language}-{width}.html").write_text(page, encoding="utf-8")
    return folder / "out"


@pytest.mark.parametrize("width", [375, 800])
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_browser_language_versions_fit_and_read_in_their_direction(versions: Path, language: str, width: int) -> None:
    """No sideways scrolling; French text starts at the left edge, Arabic at the right."""
    dom = _chromium(versions, 800, "--dump-dom", (versions / f"measure-{language}-{width}.html").as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"Chromium printed no measurement: {dom[:300]!r}"
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["viewport"] == width and measured["scrollWidth"] <= width
    for part in ("headline", "line", "contact"):
        box = measured[part]
        if language == "ar":
            assert box["direction"] == "rtl" and abs(box["textRight"] - box["right"]) < 30, (part, box)
        else:
            assert box["direction"] == "ltr" and abs(box["textLeft"] - box["left"]) < 30, (part, box)
