"""The benchmark scripts still run against today's code (benchmarks/send.py stopped at the list
after the list became column-wise, and nothing noticed): a small size of each quick one, checked
for its own figures, never for speed (speed is the benchmarks' business, not the tests')."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def run(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-3000:]
    assert done.returncode == 0, output[-3000:]
    return output


@pytest.mark.slow
def test_benchmarks_send_sends_a_small_list_through_its_stand_in() -> None:
    """send.py: plan, log and requests of 200 recipients; each address accepted once and logged."""
    output = run("send.py", "--recipients", "200", "--naive-slice", "2")
    assert "accepted:     200 logged; stand-in saw 200 addresses, at most 1 time(s) each" in output


@pytest.mark.slow
def test_benchmarks_plan_languages_plans_a_small_list_in_three_versions() -> None:
    """plan_languages.py: the same 2,000 journalists planned in one version and in three."""
    output = run("plan_languages.py", "--rows", "2000")
    assert "2 requests (2,000 journalists)" in output and "3 requests (2,000 journalists)" in output


@pytest.mark.slow
def test_benchmarks_lists_clean_accounts_for_every_row_of_a_small_list() -> None:
    """lists_clean.py: its accounting read "Wrote 950324 recipients" and stopped once `lists clean`
    said "Wrote 950,324" (session 16), so its memory verdict went unseen while it was missed."""
    output = run("lists_clean.py", "--rows", "20000", "--repeat", "1")
    assert "every row accounted for: 20,000 read = " in output
    assert "lists clean: CPU" in output and "contacts.load: CPU" in output
