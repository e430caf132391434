"""Session 14's own findings, each shown from the office's side."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from test_newcomer13 import QUOTE, WRONG_QUOTE, campaign_of, mailer, office, said


def test_resuming_from_a_colleagues_differing_copy_says_it_is_the_copy_not_a_change(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tom's send stopped half-way (SendGrid went away). His laptop is gone; Maria resumes it from
    her copy of the press folder, where the quote was corrected meanwhile. Resuming from her copy
    would send the rest another email, so it is refused; but nobody changed the release Tom sent,
    and "Undo the change" sends her looking for an edit that never happened. The refusal names her
    copy and the way out: resume where it started, or make the copies the same."""
    tom = office(tmp_path / "tom", standin, db_url)
    maria = office(tmp_path / "maria", standin, db_url)
    rows = "".join(f"j{i:02d}@daily.example;Jo{i};Doe;Daily News\n" for i in range(20))
    for folder in (tom, maria):  # SendGrid away: stop at once, no retries
        toml = folder / "mailer.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("concurrency = 1\n", "concurrency = 1\nretries = 0\n"), encoding="utf-8")
    (tom / "lists" / "presse.csv").write_text("E-Mail;Vorname;Nachname;Zeitung\n" + rows, encoding="utf-8")
    example = (tom / "releases" / "example.md").read_text(encoding="utf-8")
    assert QUOTE in example
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)  # every request after the first
    monkeypatch.chdir(tom)
    stopped = mailer("send", "releases/example.md", "--list", "lists/presse.csv", "--yes", "--no-test-ok")
    assert stopped.exit_code != 0 and "mailer resume" in said(stopped), stopped.output
    campaign_id = campaign_of(stopped)

    shutil.rmtree(tom)  # Tom's laptop: not this computer
    (maria / "releases" / "example.md").write_text(example.replace(QUOTE, WRONG_QUOTE), encoding="utf-8")
    monkeypatch.chdir(maria)
    resumed = mailer("resume", campaign_id, "--yes")
    text = said(resumed)
    assert resumed.exit_code == 1, resumed.output
    assert "copy" in text and "Undo the change" not in text, resumed.output
    assert f"mailer show {campaign_id}" in text, resumed.output
    assert len(standin.accepted_addresses()) == 10, "nobody more was mailed"
