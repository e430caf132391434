"""The README's "Using it from Python" blocks run exactly as written, in a copy of the project folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import example

ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.slow  # each block runs in a fresh Python process


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Using it from Python") : text.index("\n## ", text.index("## Using it from Python") + 3)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A press office's folder as the README assumes it: releases, lists, templates, the example config, the stand-in."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    shutil.copy(ROOT / "config.example.toml", tmp_path)
    (tmp_path / "tests" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "sendgrid_standin.py", tmp_path / "tests")
    shutil.copytree(ROOT / "tests" / "data" / "sendgrid", tmp_path / "tests" / "data" / "sendgrid")
    return tmp_path


def run_block(code: str, folder: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_has_the_three_python_blocks() -> None:
    """A personalized email, a complete dry run and a complete live send."""
    blocks = readme_python_blocks()
    assert len(blocks) == 3
    assert "dry_run=True" in blocks[1] and "SendGridStandIn" in blocks[2]


def test_readme_personalize_block(project: Path) -> None:
    """The first block prints the subject, the HTML size and the rejected rows of the example list."""
    out = run_block(readme_python_blocks()[0], project)
    assert out.startswith("Riverbend Beekeepers count record 1.2 million bees") and out.rstrip().endswith(" 8")


def test_readme_dry_run_block_writes_the_outbox_and_the_log(project: Path) -> None:
    """The dry run plans 41 recipients, writes 41 .eml files and one request, and logs the campaign."""
    out = run_block(readme_python_blocks()[1], project)
    assert out.startswith("41 recipients; skipped: ")
    campaign_id = out.splitlines()[1].split()[0]
    outbox = project / "out" / "outbox" / campaign_id
    assert len(list(outbox.glob("*.eml"))) == 41 and len(list(outbox.glob("request-*.json"))) == 1
    assert (project / "out" / "mailer.db").is_file()


def test_readme_live_block_sends_to_the_local_stand_in(project: Path) -> None:
    """The live send asks one question on the command line and has all 41 accepted by the stand-in."""
    out = run_block(readme_python_blocks()[2], project)
    lines = out.splitlines()
    assert lines[0] == "Send this release to 41 journalists?"
    assert lines[1] == "41 accepted in 1 request(s)"
