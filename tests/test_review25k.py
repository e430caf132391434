"""Review 25k: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from office_cli import mailer, said

# A key as SendGrid makes them: SG. + 22 + . + 43 characters (made up).
KEY = "SG.Zq8Vb2Rk4Tn6Wp0Xs3Yd5F.Hj7Lm9Qc1Ge3Uv5Ia7Ob9Kd2Nf4Pr6St8Wx0Yz1Ab3Cd5Ef7Gh9"

# -- 1. a key pasted unquoted into mailer.toml was quoted back by the hint for the TOML mistake -----


@pytest.mark.parametrize(
    "line",
    [
        f"[sendgrid]\napi_key = {KEY}",  # the line a press officer writes first
        f"SENDGRID_API_KEY={KEY}",  # the shell's line, pasted
        f"[sendgrid]\napi_key_env = {KEY}",
        f'[sender]\nfrom_name = "Press Office" {KEY}',
        f'[sendgrid]\n"{KEY}" = true',  # as a key's name: "unknown key"
    ],
)
def test_a_key_pasted_unquoted_into_mailer_toml_is_not_repeated(project: Path, line: str) -> None:
    """Review 24k #9 kept a key out of the error for a value of mailer.toml, but the first thing a press
    officer writes is  api_key = SG....  without quotes (or the shell's line, SENDGRID_API_KEY=SG....):
    that is not valid TOML, and the hint for it wrote the line back as it should be, 'Text goes in double
    quotes (api_key = "SG....")', the whole key on the terminal and in a script's --json log. Written as
    a key's name, "unknown key" named it too. The line is named, the key never shown."""
    (project / "mailer.toml").write_text(line + "\n", encoding="utf-8")
    for args in (("campaigns",), ("campaigns", "--json")):
        result = mailer(*args)
        assert result.exit_code == 1, result.output
        assert KEY[10:30] not in result.output, result.output
        assert "looks like a SendGrid API key (it is not shown here)" in said(result), result.output
        assert "line 2" in said(result) or "line 1" in said(result), result.output


# -- 2. an SVG logo as Illustrator saves it, its CSS in <![CDATA[ ]]>, refused as a script -----------

ILLUSTRATOR_LOGO = """<svg version="1.1" id="Layer_1" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" height="40">
<defs><style><![CDATA[
	.cls-1{fill:#f2b705;}
	.cls-2{fill:#1d1d1b;font-family:'MyriadPro-Regular', 'Myriad Pro';}
]]></style></defs>
<rect class="cls-1" width="40" height="40"/><text class="cls-2" x="46" y="26">Bees</text>
</svg>"""


def test_an_illustrator_svg_logo_is_no_script(project: Path) -> None:
    """Illustrator (and Inkscape, Figma's exports) write an SVG's stylesheet inside <![CDATA[ ... ]]>:
    the office's template with its logo pasted in stopped every preview and send with "<![CDATA[ is not
    allowed in an email template: it would run in the browser". Inside <svg> or <math> a browser reads a
    CDATA section as text up to its "]]>", so CSS there is harmless; one outside them (which a browser
    ends at its first ">") or holding markup is refused as before."""
    template = project / "templates" / "release.html.j2"
    written = template.read_text(encoding="utf-8")
    template.write_text(written.replace("</body>", f"{ILLUSTRATOR_LOGO}\n</body>"), encoding="utf-8")
    shown = mailer("preview", "releases/example.md", "-o", "out")
    assert shown.exit_code == 0, shown.output
    page = (project / "out" / "example.html").read_text(encoding="utf-8")
    assert "<svg" in page and "fill:#f2b705" in page, page  # its CSS kept, as a browser reads it
    assert "CDATA" not in said(shown), shown.output
    for hidden in (
        '<svg><style><![CDATA[ a{x:"]]><img src=x onerror=alert(1)>"} ]]></style></svg>',
        '<svg><style><![CDATA[ a{x:"<img src=x onerror=alert(1)>"} ]]></style></svg>',
        '<svg><style><![CDATA[ a{x:"</style><img src=x onerror=alert(1)>"} ]]></style></svg>',
        "<svg><![CDATA[ > <img src=x onerror=alert(1)> ]]></svg>",
        "<![CDATA[ x > <img src=x onerror=alert(1)> ]]>",
        "<style><![CDATA[ x > <img src=x onerror=alert(1)> ]]></style>",
    ):
        template.write_text(written.replace("</body>", f"{hidden}\n</body>"), encoding="utf-8")
        refused = mailer("preview", "releases/example.md", "-o", "out2")
        assert refused.exit_code == 1, (hidden, refused.output)
        assert "is not allowed in an email template" in said(refused), (hidden, refused.output)


# -- 3. a template sent in with a release could take all the computer's memory, or never end --------


def _preview_in_a_process(folder: Path, release: str) -> tuple[int, str, float]:
    """``mailer preview RELEASE`` in a process of its own, held to 3 GB of memory (more would be the
    computer's) and 90 seconds: (exit code, its output, seconds it took)."""
    import os
    import resource
    import subprocess
    import sys
    import time

    def held() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, resource.RLIM_INFINITY))

    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailer", "preview", release, "-o", "out"],
            cwd=folder,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=90,
            preexec_fn=held,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, "still running after 90 seconds", time.monotonic() - started
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


@pytest.mark.parametrize(
    ("line", "said_about"),
    [
        ("{{ 'x' * 10**10 }}", "larger than any email"),  # folded by Jinja as it reads the template: before any line runs
        ("{% set s = 'x' * 10**6 %}{{ s | replace('x', s) }}", "larger than any email"),  # a million times a million
        ("{% for a in 'x' * 10**5 %}{% for b in 'x' * 10**5 %}{% endfor %}{% endfor %}", "seconds"),
        ("{{ 7 ** 1000000000 }}", "too large"),
    ],
)
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the memory bound is Linux's")
def test_a_template_that_would_take_the_computer_is_stopped(project: Path, line: str, said_about: str) -> None:
    """An agency's template (kit.html.j2 beside its release, template: kit) renders in Jinja's sandbox,
    which bounds what a template may reach, never what it may cost: {{ 'x' * 10**10 }} made mailer
    preview take 10 GB (more than the computer had: it froze, or another program was killed), a loop of
    loops ran for days, 7 ** 1000000000 for hours; held to 3 GB, the preview died with a Python traceback
    (MemoryError). The template now stops with its name and line and what it would have cost."""
    from office_cli import agency_release

    release = agency_release(project, line)
    code, output, took = _preview_in_a_process(project, str(release.relative_to(project)))
    assert code == 1, output
    assert "Traceback" not in output and "MemoryError" not in output, output
    assert "kit.html.j2" in output and said_about in output, output
    assert took < 60, (took, output)
    assert not (project / "out" / "pitch.html").exists()


# -- 4. a release whose text made the checks read it again from every "{{" or "[" --------------------


@pytest.mark.parametrize("line", ["{{" * 100_000, "[" * 200_000, "[](javascript:" * 18_000])
def test_a_release_crafted_to_be_read_forever_is_read_once(project: Path, line: str) -> None:
    """An agency's release with a line of 100,000 "{{" (none closed), of 200,000 "[" or of 18,000
    "[](javascript:" kept mailer preview busy for hours: the checks for {{ ... }}, for a link with a space
    in its path and for a javascript: link each read the rest of the text again from every one. The
    text is read once now: the preview takes seconds, and these lines reach journalists as text."""
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    (project / "releases" / "odd.md").write_text(text + "\n" + line + "\n", encoding="utf-8")
    code, output, took = _preview_in_a_process(project, "releases/odd.md")
    assert code == 0, output
    assert took < 60, (took, output)


def test_expressions_are_found_as_before() -> None:
    """The text read once finds what finditer found: each {{ }}, {% %} and {# #}, an unclosed one left alone."""

    from mailer.compose.release import EXPRESSION, expressions

    for source in (
        "Dear {{ contact.first_name }}, {{ x",
        "{{ a }} {% b %} {# c #} {{ d",
        "{{{{ a }}}} {{ {% }} %} #}",
        "{# {{ #} {{ }} {%",
        "{{ a\n}} b {{",
        "{ {{{{}} {%%} {##}",
        "",
    ):
        assert [m.span() for m in expressions(source)] == [m.span() for m in EXPRESSION.finditer(source)], source


# -- 5. a 4 GB video in a press kit was read whole to warn that it is too large ----------------------


@pytest.mark.parametrize(
    ("lines", "file", "named"),
    [
        ("attachments:\n  - kit/b-roll.mov\n", "b-roll.mov", "the attachment kit/b-roll.mov is 4096 MB"),
        ("", "still.png", 'the image "kit/still.png" is 4096 MB'),
        ("about_file: kit/about.md\n", "about.md", 'the about file "kit/about.md" is 4096 MB'),
    ],
)
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the memory bound of the helper is Linux's")
def test_a_file_too_large_for_any_email_is_not_read(project: Path, lines: str, file: str, named: str) -> None:
    """An agency's press kit with its 4 GB b-roll video attached (or a 4 GB picture, or about file): mailer
    preview read the whole file into memory (twice the file, for the key and delivery-log checks), to
    warn at the end that it is too large to send; a larger file took all the computer's memory, and held
    to 3 GB the preview died with a Python traceback. A file larger than one email to SendGrid can carry
    (30 MB) is refused before it is read, by its size."""
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    if not lines:
        text += "\n![B-roll still](kit/still.png)\n"
    (project / "releases" / "kit").mkdir()
    (project / "releases" / "kit.md").write_text(text.replace("---\n", "---\n" + lines, 1), encoding="utf-8")
    with (project / "releases" / "kit" / file).open("wb") as big:
        big.write(b"\x89PNG\r\n\x1a\n" if file.endswith(".png") else b"x")
        big.truncate(4 * 1024**3)  # sparse: no disk taken
    code, output, took = _preview_in_a_process(project, "releases/kit.md")
    assert code == 1, output
    assert named in " ".join(output.split()), output
    assert "Traceback" not in output, output
    assert took < 30, (took, output)


def test_a_release_file_of_megabytes_is_refused_at_once(project: Path) -> None:
    """A release of 9 MB (a front matter of 200,000 lines, made by a program) kept mailer preview busy
    for two minutes reading YAML; a press release is a few pages (Gmail cuts an email past 102 KB)."""
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    lines = "".join(f'k{i}: "value number {i} with some text"\n' for i in range(200_000))
    (project / "releases" / "big.md").write_text(text.replace("---\n", "---\n" + lines, 1), encoding="utf-8")
    started = __import__("time").monotonic()
    result = mailer("preview", "releases/big.md", "-o", "out")
    assert result.exit_code == 1, result.output
    assert "releases/big.md: the release is 8.6 MB; a press release is a few pages" in said(result), result.output
    assert __import__("time").monotonic() - started < 20


# -- 6. an office in Singapore refused as holding an API key ------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        '[sender]\nfrom_email = "press@MEDIA.SG.GOV.SG"\nfrom_name = "MCI Press Office"',
        '[sender]\npostal_address = "Press Office SG.Berlin.Team, 1 Hive Road"',
        '[compose]\nbase_url = "https://cdn.example.org/SG.2026.kit/"',
    ],
)
def test_a_value_with_sg_in_it_is_no_api_key(project: Path, line: str) -> None:
    """Review 24k #9 refused any value of mailer.toml holding "SG." + word + "." + word as a SendGrid key:
    a Singapore ministry's From address written in capitals (press@MEDIA.SG.GOV.SG), a team named
    "SG.Berlin.Team", a folder "SG.2026.kit" of the office's website: 'holds what looks like a SendGrid
    API key', and nothing could be sent. A key is SG. + 22 + . + 43 letters, digits, - and _ (one cut
    short still counts), never inside a word or an address: a value holding one is refused, these pass."""
    (project / "mailer.toml").write_text(line + "\n", encoding="utf-8")
    result = mailer("campaigns")
    assert "looks like a SendGrid API key" not in said(result), result.output
    assert result.exit_code == 0, result.output


# -- 7. a list's cell made a script address in an SVG link or a button of the template ---------------


def test_a_cell_is_no_script_address_in_any_link_attribute(project: Path) -> None:
    """A contact field is escaped for where it lands, and one starting a link's address gets '#' for any
    address but http(s), mailto and tel (review 11s): but only href, src, action and background counted
    as addresses. In the office's template an SVG badge's <a xlink:href="{{ contact.website }}"> or a
    <button formaction="{{ contact.website }}"> put a list cell 'javascript:...' (a media database's
    export, a colleague's CSV) as it is into that journalist's email, and into mailer preview --contact
    --open, where a click ran it. Every attribute a browser follows as an address counts now (the
    template check's list), an SVG animation's values="...;{{ contact.website }}" too."""
    (project / "lists" / "evil.csv").write_text(
        "Email,First Name,Website\nana@daily.example,Ana,javascript:alert(document.domain)\n", encoding="utf-8"
    )
    template = project / "templates" / "release.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "</body>",
            '<svg width="90" height="20"><a xlink:href="{{ contact.website }}"><text y="15">Our site</text></a>'
            '<animate attributeName="href" values="https://example.org/;{{ contact.website }}"/></svg>\n'
            '<form><button formaction="{{ contact.website }}">Your page</button></form>\n</body>',
        ),
        encoding="utf-8",
    )
    shown = mailer("preview", "releases/example.md", "--list", "lists/evil.csv", "--contact", "ana@daily.example", "-o", "out")
    assert shown.exit_code == 0, shown.output
    page = (project / "out" / "example.html").read_text(encoding="utf-8")
    assert "javascript:" not in page, page[page.find("<svg") :]
    assert "Our site" in page


def test_a_release_crafted_for_markdown_is_read_in_seconds(project: Path) -> None:
    """Within the 1 MB the release file first had, a line of a million "[" kept mailer preview busy for
    two and a half minutes in markdown-it (7 KB a second for such text): a release or about file is at
    most 256 KB, as no press release comes near (Gmail cuts an email past 102 KB)."""
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    (project / "releases" / "odd.md").write_text(text + "\n" + "[" * 1_000_000 + "\n", encoding="utf-8")
    result = mailer("preview", "releases/odd.md", "-o", "out")
    assert result.exit_code == 1, result.output
    assert "releases/odd.md: the release is 1.0 MB; a press release is a few pages" in said(result), result.output
