"""The inlined HTML of a campaign render is kept in the user's cache folder: same email, inlined once.

These tests are marked own_cache: conftest points XDG_CACHE_HOME into each test's folder, so the
cache is ``user-cache/press-mailer/inlined`` and starts empty.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ROOT

from mailer import compose
from mailer.compose import inline, release
from mailer.compose.render import inline_cache
from mailer.config import Config, SenderConfig

EXAMPLE = ROOT / "releases" / "example.md"
CONFIG = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
NOW = datetime(2026, 2, 1, tzinfo=UTC)
pytestmark = pytest.mark.own_cache


def _entries() -> list[Path]:
    return sorted(inline_cache().glob("*.json"))


def test_inline_cache_second_render_is_the_same_email_from_one_entry(tmp_path: Path) -> None:
    """Rendering a release again gives the same email (HTML, warnings, hash) from the one cached entry."""
    assert inline_cache().is_relative_to(tmp_path)
    first = compose.render(release.load(EXAMPLE), config=CONFIG, now=NOW)
    assert len(_entries()) == 1
    second = compose.render(release.load(EXAMPLE), config=CONFIG, now=NOW)
    assert second == first
    assert len(_entries()) == 1


def test_inline_cache_entry_is_what_premailer_gives(tmp_path: Path) -> None:
    """A cached result is exactly premailer's (HTML and readable CSS warnings), and is what a later call returns."""
    html = '<html><head></head><body><p class="lead">Hello</p></body></html>'
    css = ".lead { color: #222222; colr: red; }"
    fresh = inline.inline(html, css=css, css_name="mine.css")
    cached = inline.inline(html, css=css, css_name="mine.css", cache=tmp_path / "c")
    again = inline.inline(html, css=css, css_name="mine.css", cache=tmp_path / "c")
    assert cached == again == fresh
    assert 'style="color:#222; colr:red"' in fresh[0] and fresh[1] == [
        'mine.css line 1: unknown CSS property "colr"; some email clients will ignore it'
    ]


def test_inline_cache_key_changes_with_every_input(tmp_path: Path) -> None:
    """Other HTML, CSS or base URL is another entry, never an earlier result."""
    base = {"html": "<p class='a'>x</p>", "css": ".a { color: red; }", "css_name": "a.css", "base_url": None}
    inline.inline(**base, cache=tmp_path)  # type: ignore[arg-type]
    for name, value in (
        ("html", "<p class='a'>y</p>"),
        ("css", ".a { color: blue; }"),
        ("base_url", "https://x.org/"),
    ):
        for entry in tmp_path.glob("*.json"):  # every earlier result made recognizable
            entry.write_text(json.dumps({"html": "EARLIER", "warnings": []}), encoding="utf-8")
        html, _ = inline.inline(**{**base, name: value}, cache=tmp_path)  # type: ignore[arg-type]
        assert html != "EARLIER", name
    assert len(list(tmp_path.glob("*.json"))) == 4


def test_inline_cache_one_entry_serves_two_copies_of_a_template_each_warned_by_its_own_name(tmp_path: Path) -> None:
    """The same template in two folders (a colleague's copy, another office folder) is inlined once; the
    second copy's warnings name its own stylesheet, never the first's folder."""
    html = '<html><head></head><body><p class="lead">Hello</p></body></html>'
    css = ".lead { color: #222222; colr: red; }\n@import url(https://cdn.example/x.css);"
    first = inline.inline(html, css=css, css_name="/office/a/templates/release.css", cache=tmp_path / "c")
    second = inline.inline(html, css=css, css_name="/office/b/templates/release.css", cache=tmp_path / "c")
    assert len(list((tmp_path / "c").glob("*.json"))) == 1
    assert second[0] == first[0] and len(second[1]) == len(first[1]) >= 2
    assert all(w.startswith("/office/b/templates/release.css") and "/office/a/" not in w for w in second[1]), second[1]
    assert second[1] == [w.replace("/office/a/", "/office/b/") for w in first[1]]


@pytest.mark.parametrize("content", ["", "{not json", '{"html": 3, "warnings": []}', '{"html": "x", "warnings": [1]}'])
def test_inline_cache_unreadable_entry_is_inlined_again(tmp_path: Path, content: str) -> None:
    """A damaged cache file (a crash, a full disk) is ignored and replaced: the email is still right."""
    expected = compose.render(release.load(EXAMPLE), config=CONFIG, now=NOW)
    (entry,) = _entries()
    entry.write_text(content, encoding="utf-8")
    assert compose.render(release.load(EXAMPLE), config=CONFIG, now=NOW) == expected
    assert entry.read_text(encoding="utf-8") != content


def test_inline_cache_folder_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path) -> None:
    """A cache path that is a file (or read-only) does not stop a render."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    html, warnings = inline.inline("<p class='a'>x</p>", css=".a { color: red; }", css_name="a.css", cache=blocked / "inlined")
    assert 'style="color:red"' in html and warnings == []
    assert list(tmp_path.glob("blocked*")) == [blocked]


def test_inline_cache_keeps_no_journalist_data(tmp_path: Path) -> None:
    """A journalist's own render (render_for: their values, as the tests' reference) is never cached."""
    contact = {"first_name": "Zelda-Unique", "email": "zelda@example.org"}
    compose.render_for(release.load(EXAMPLE), contact, config=CONFIG)
    assert not any("Zelda-Unique" in entry.read_text(encoding="utf-8") for entry in _entries())


def test_inline_cache_keeps_the_newest_entries_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder holds at most CACHE_ENTRIES results; the oldest go first."""
    monkeypatch.setattr(inline, "CACHE_ENTRIES", 3)
    for n in range(5):
        inline.inline(f"<p>{n}</p>", css="p { color: red; }", css_name="a.css", cache=tmp_path)
    kept = sorted(json.loads(path.read_text(encoding="utf-8"))["html"] for path in tmp_path.glob("*.json"))
    assert [re.sub(r"<[^>]+>", "", html) for html in kept] == ["2", "3", "4"]
    assert not list(tmp_path.glob(".*.tmp"))
