"""Fixes of review 14 (helper fix14c): the overview page's sends held for later, and counts in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_review13 import delivered_to_all, mailer, office


def test_the_overview_lists_a_send_held_for_later_apart_with_its_time(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled for tomorrow is on the overview under "Scheduled for later", with the time it
    goes out and its recipients, and counts in no card: the delivered card is the sent campaign's
    alone (2 of 2 accepted), and the command says it is listed apart."""
    office(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    delivered_to_all(standin, tmp_path)
    release = (tmp_path / "releases" / "example.md").read_text(encoding="utf-8")
    (tmp_path / "releases" / "second.md").write_text(
        release.replace("Riverbend Beekeepers count", "Riverbend Beekeepers map"), encoding="utf-8"
    )
    at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    held = mailer("send", "releases/second.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert held.exit_code == 0, held.output
    overview = mailer("report", "--overview", "-o", "q4.html")
    assert overview.exit_code == 0, overview.output
    assert "overview of 1 campaign (all time) (1 send scheduled for later, not gone out yet, listed apart)" in overview.output
    page = (tmp_path / "q4.html").read_text(encoding="utf-8")
    assert "1 live campaign · 1 scheduled for later, not gone out yet, listed apart" in page
    cards, apart = page.split("<h2>Scheduled for later</h2>")
    assert "100.0% of accepted" in cards and "Beekeepers map" not in cards
    assert f"{at:%Y-%m-%d %H:%M}" in apart and "Beekeepers map" in apart and "scheduled" in apart
