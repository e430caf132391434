"""Review 26m: a hostile reviewer's findings in the composer, each a test that failed before its fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from office_cli import agency_release

# -- 1. during a send, a template could still take all the computer's memory --------------------------

# What `mailer preview` does, beside a thread that is running (as a send's list read-ahead runs beside
# its render): held to 3 GB (more would be the computer's), each preview's words and the process's peak
# memory after it. The peak is VmHWM, not ru_maxrss: Linux keeps in ru_maxrss the peak of the image
# before exec, the forking pytest worker's, which after a few thousand tests is over 1 GB itself (CI,
# lead 26; benchmarks/README.md names the same trap). VmHWM is this process's own memory's.
_BESIDE_A_THREAD = r"""
import os, re, resource, sys, threading, time
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, resource.RLIM_INFINITY))
threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
from click.testing import CliRunner
from mailer.cli import main
for folder in sys.argv[1:]:
    os.chdir(folder)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["preview", "agency/pitch.md", "-o", "out"])
    took = time.monotonic() - started
    with open("/proc/self/status", encoding="ascii") as status:
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1)) // 1024
    print(f"{folder}|{result.exit_code}|{peak}|{took:.1f}|" + " ".join(result.output.split()), flush=True)
"""

_S = "{% set s = 'x' * 40000 %}"  # 40 kB, as a template may well hold
GROWING = [
    "{{ 'x' * 1500000000 }}",  # folded by Jinja as it reads the template
    "{{ [1] * 200000000 }}",
    "{{ 'x' | center(1500000000) }}",
    "{{ 'x'.ljust(1500000000) }}",
    "{{ '%1500000000s' | format('x') }}",
    "{{ '{:>1500000000}'.format('x') }}",
    _S + "{{ s | replace('x', s) }}",  # 40,000 times 40,000
    _S + "{{ s | join(s) }}",
    _S + "{{ s | list | join(s) }}",
    _S + "{{ ('x\\n' * 40000) | indent(s) }}",
    _S + "{{ ('x ' * 40000) | wordwrap(1, wrapstring=s) }}",
    "{% set s = 'x' * 1000000 %}{{ (s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s) * 150 }}",
    "{% set s = 'xxxxxxxxxx' %}" + "{% set s = s ~ s %}" * 28 + "{{ s | length }}",  # doubled 28 times
    "{% set s = 'x' * 1000000 %}{% for a in 'x' * 2000 %}{{ s }}{% endfor %}",  # 2 GB of output, 1 MB at a time
    "{% set s = 'x' * 1000000 %}{% set a = [s, s, s, s, s, s, s, s, s, s] %}{{ [a, a, a, a, a, a, a, a, a, a] * 15 }}",
    "{% set s = 'x' * 1000000 %}{% set a %}{% for a in 'x' * 2000 %}{{ s }}{% endfor %}{% endset %}{{ a | length }}",
    "{% macro twice(t, n) %}{% if n %}{{ twice(t ~ t, n - 1) }}{% else %}{{ t | length }}{% endif %}{% endmacro %}{{ twice('xxxxxxxxxx', 28) }}",
    "{% set s = 'x' * 1000000 %}{{ (s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s) | batch(1) | list | length }}",
    "{{ (7).to_bytes(1500000000, 'big') | length }}",
    "{% set s = 'ab ' * 1600000 %}{{ s.split() | length }}",  # 1.6 million texts of their own
    "{{ ([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]] * 100) | tojson(1000000) | length }}",
    "{% set s = 'x' * 40000 %}{{ s.translate({120: s}) | length }}",
]


@pytest.mark.skipif(sys.platform != "linux", reason="the peak memory is read as Linux reports it")
def test_a_template_cannot_take_the_memory_beside_a_running_thread(tmp_path: Path) -> None:
    """The memory bound of review 25k #3 is the whole process's, so it is set only while no other thread
    runs: during a send, whose lists are read on a thread of their own as it renders, an agency's
    template that grows a text ({{ 'x' * 1500000000 }}, a text doubled 28 times, center, ljust, format,
    replace, join, indent, wordwrap, a list repeated, 2 GB of output 1 MB at a time) took gigabytes (held
    to 3 GB, MemoryError). Each now stops at once, naming the template, with the process's memory staying
    below 1 GB, beside a running thread as without one."""
    folders = []
    for number, line in enumerate(GROWING):
        project = tmp_path / f"p{number}"
        for name in ("releases", "templates"):
            __import__("shutil").copytree(ROOT / name, project / name)
        agency_release(project, line)
        folders.append(str(project))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _BESIDE_A_THREAD, *folders], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    lines = [line.split("|", 4) for line in done.stdout.splitlines() if "|" in line]
    assert len(lines) == len(GROWING), done.stdout + done.stderr
    for line, (folder, code, peak, took, output) in zip(GROWING, lines, strict=True):
        assert code == "1", (line, output)
        assert "kit.html.j2" in output and "Traceback" not in output and "MemoryError" not in output, (line, output)
        assert "larger than any email" in output, (line, output)
        assert int(peak) < 1024, (line, peak, output)
        assert float(took) < 15, (line, took, output)


def test_a_template_using_the_same_steps_on_a_real_email_still_renders(project: Path) -> None:
    """The weighing stops only what no email needs: a body wrapped, replaced in, joined, doubled, a
    member count formatted (1,234,567 is no width) and a list split from it all render as before."""
    from office_cli import mailer

    line = (
        "{% set page = body ~ body ~ body %}{{ (page * 20) | wordwrap(72) | replace('bees', 'honey bees') | length }} "
        "{{ '{} members'.format(1234567) }} {{ '%d members' | format(1234567) }} {{ (page * 20).split() | length }} "
        "{{ [headline, subheadline] | join(' / ') }}"
    )
    agency_release(project, line)
    shown = mailer("preview", "agency/pitch.md", "-o", "out")
    assert shown.exit_code == 0, shown.output
    page = (project / "out" / "pitch.html").read_text(encoding="utf-8")
    assert "1234567 members 1234567 members" in page, page[-2000:]


# -- 2. a From name holding a Unicode line separator: the proof showed "\u2028", journalists a space ---


@pytest.mark.parametrize(
    "line", ['from: "Press\u2028Bcc: x@y.z <press@example.org>"', 'reply_to: "Desk\u2029X-Evil: 1 <desk@example.org>"']
)
def test_a_from_line_with_a_unicode_line_break_is_refused_like_a_newline(project: Path, line: str) -> None:
    """A release's from: or reply_to: with CR or LF is refused ("must be on one line"), but one holding
    U+2028 or U+2029 (a line break to Python's email package and to many mail clients) was taken:
    mailer preview printed "From: Press\\u2028Bcc: x@y.z", while the request and the .eml carried
    "Press Bcc: x@y.z", a From no proof showed. It is refused as a newline is."""
    from office_cli import mailer, said

    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    (project / "releases" / "odd.md").write_text(text.replace("---\n", f"---\n{line}\n", 1), encoding="utf-8")
    shown = mailer("preview", "releases/odd.md", "-o", "out")
    assert shown.exit_code == 1, shown.output
    key = line.split(":", 1)[0]
    assert f"releases/odd.md, line 2: {key} must be on one line" in said(shown), shown.output


def test_a_binary_subject_is_not_called_a_number(project: Path) -> None:
    """subject: !!binary ... (YAML's bytes) was refused as "YAML reads it as a number (b'...')"."""
    from office_cli import mailer, said

    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    odd = re.sub(r"(?m)^headline: .*$", "headline: !!binary UmVjb3Jk", text, count=1)
    (project / "releases" / "odd.md").write_text(odd, encoding="utf-8")
    shown = mailer("preview", "releases/odd.md", "-o", "out")
    assert shown.exit_code == 1, shown.output
    assert "a number" not in said(shown) and "binary data" in said(shown), shown.output


def test_a_from_name_in_mailer_toml_with_a_unicode_line_break_is_refused(project: Path) -> None:
    """[sender] from_name with a line break was refused, one with U+2028 taken (the proof and the email differed, as above)."""
    from office_cli import mailer, said

    (project / "mailer.toml").write_text('[sender]\nfrom_name = "Press\u2028Bcc: x@y.z"\n', encoding="utf-8")
    shown = mailer("preview", "releases/example.md", "-o", "out")
    assert shown.exit_code == 1, shown.output
    assert "from_name" in said(shown) and "one line" in said(shown), shown.output


# -- 3. a template whose stylesheet and page made premailer work for hours ----------------------------


def test_a_stylesheet_that_would_take_hours_to_inline_is_stopped(project: Path) -> None:
    """premailer matches every selector of the stylesheet against the whole page, outside the template's
    10-second clock: an agency's kit.css of 16,000 selectors (370 KB) beside 3,000 elements took more than
    five minutes of CPU for one preview (and again for the send). It stops at once, naming the file."""
    from test_review25k import _preview_in_a_process

    release = agency_release(project, "<div><p class='c1'><span>x</span></p></div>" * 1000)
    css = "\\n".join(f"p.c{i % 50} span, div p {{ color: #{i % 999:03d}; margin: {i % 7}px }}" for i in range(8000))
    (release.parent / "kit.css").write_text(css, encoding="utf-8")
    code, output, took = _preview_in_a_process(project, str(release.relative_to(project)))
    assert code == 1, output
    assert "kit.css" in output and "would take minutes or hours" in output, output
    assert took < 30, (took, output)


# -- 4. a template or stylesheet of gigabytes was read whole -------------------------------------------


@pytest.mark.parametrize("name", ["kit.css", "kit.html.j2", "labels.toml"])
def test_a_template_file_of_gigabytes_is_not_read(project: Path, name: str) -> None:
    """A release's file is refused past 256 KB before it is read, but its template and stylesheet were
    read whole (bytes, then text) and parsed: a 2 GB kit.css (a disk image renamed, or made to) took 4 GB
    of memory, then failed with a Python traceback (MemoryError). It is refused at once, naming the file."""
    from test_review25k import _preview_in_a_process

    release = agency_release(project, "")
    with open(release.parent / name, "ab") as file:
        file.truncate(2 * 1024**3)  # sparse: no disk taken
    code, output, took = _preview_in_a_process(project, str(release.relative_to(project)))
    assert code == 1, output
    assert f"{name}: the " in output and "2,048 MB" in output and "Traceback" not in output, output
    assert took < 30, (took, output)
