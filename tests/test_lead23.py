"""Session 23's lead: `mailer cancel` names the send and asks first on a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_cancel_on_a_terminal_names_the_send_and_asks_first(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer cancel latest` cancelled at once whatever send "latest" was (newcomer 22): on a
    team's log a colleague's embargoed release, with no way back (SendGrid discards it). On a
    terminal it now names the send (subject, when, to how many) and asks; no keeps it scheduled."""
    from test_cli_schedule_held import scheduled_send
    from test_cli_send import db, mailer

    from mailer.cli import send as send_cli
    from mailer.models import CampaignStatus
    from mailer.store import campaigns

    campaign_id, _, shown = scheduled_send()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    kept = mailer("cancel", "latest", input="n\n")
    assert kept.exit_code == 0, kept.output
    words = " ".join(kept.stdout.split())
    assert f"{campaign_id}: " in words and f"scheduled for {shown}, to " in words and " journalists (started " in words, words
    assert f"Cancel {campaign_id}? [y/N]: n Nothing was cancelled." in words, words
    assert not standin.scheduled, "no cancel may reach SendGrid on a no"
    with db().connect() as connection:
        found = campaigns.get(connection, campaign_id)
    assert found is not None and found.status is not CampaignStatus.CANCELLED

    cancelled = mailer("cancel", "latest", input="y\n")
    assert cancelled.exit_code == 0, cancelled.output
    assert f"Cancelled {campaign_id}: SendGrid will discard its messages at {shown}." in cancelled.stdout, cancelled.stdout
    # Already cancelled: nothing to ask.
    again = mailer("cancel", campaign_id)
    assert "Cancel " not in again.stdout.split("is already cancelled")[0], again.stdout
    assert f"{campaign_id} is already cancelled." in again.stdout


def test_cancel_with_yes_or_from_a_script_asks_nothing(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """--yes on a terminal, and a script (no terminal), cancel without a question, as before."""
    from test_cli_schedule_held import scheduled_send
    from test_cli_send import mailer

    from mailer.cli import send as send_cli

    first, _, shown = scheduled_send()
    scripted = mailer("cancel", first)
    assert scripted.exit_code == 0 and "[y/N]" not in scripted.output, scripted.output
    assert f"Cancelled {first}: SendGrid will discard its messages at {shown}." in scripted.stdout
    second, _, shown = scheduled_send(hours=3)
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    answered = mailer("cancel", second, "--yes")
    assert answered.exit_code == 0 and "[y/N]" not in answered.output, answered.output
    assert f"Cancelled {second}: SendGrid will discard its messages at {shown}." in answered.stdout
