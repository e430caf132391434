"""Fixes of session 10: two resumes racing, status of a held send, `mailer contact`'s lists, the
quarantine after a repair, and a resume with nobody left.

Each test is one finding, written failing before its fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import todays_campaign
from test_review8b import send_stopped_after_plan, twice
from test_send_races import RECIPIENTS, finish, start


@pytest.mark.slow
@pytest.mark.usefixtures("live")
def test_fix10_two_stopped_sends_resumed_at_once_mail_nobody_twice(project: Path, standin: Any, db_url: str) -> None:
    """Two stopped sends of one release, the second made with --include-previous (so both planned every
    journalist), resumed at the same moment in two terminals: each journalist gets the release once.

    Whichever resume starts second skips the journalists the other is sending right now (its lease is
    held), as a resume already skips those another send reached since it was planned. --include-previous
    does not change that: the press officer asked to mail again those who had the release when the send
    was planned, not to have two sends mail the same journalist within the same minutes; and if the first
    send stops half-way, its own `mailer resume` mails the rest of them (they wait in it)."""
    send_stopped_after_plan()
    first = todays_campaign()
    send_stopped_after_plan("--include-previous")
    second = f"{first}-2"
    assert standin.mail_sends == []
    config = (project / "mailer.toml").read_text(encoding="utf-8")
    (project / "mailer.toml").write_text(config.replace("batch_size = 10", "batch_size = 5\nconcurrency = 1"), encoding="utf-8")
    standin.slow(0.3)  # 9 requests one after the other: about 3 s each, so the two resumes overlap
    one, other = start(project, standin, "resume", first, "--yes"), start(project, standin, "resume", second, "--yes")
    results = [finish(one), finish(other)]
    for code, _, err in results:
        assert code == 0, err
    assert twice(standin) == []
    assert len(standin.accepted_addresses()) == RECIPIENTS
