"""The session-16 lead's own finds after the passes, each first seen failing."""

from __future__ import annotations

from typing import Any

from office_cli import SEND, SIX, campaign_of, mailer, office, said, stopped_after


def test_cancel_of_a_sandbox_rehearsal_does_not_say_journalists_had_it(tmp_path: Any, standin: Any, db_url: str) -> None:
    """A rehearsal in SendGrid's sandbox (validated, delivered to nobody) stopped after two
    requests; she calls the rest off. `mailer cancel` said "4 journalists it had not mailed yet
    will not be (2 journalists had it before it stopped)": nobody had it, as status and campaigns
    say ("sandbox", delivered to nobody), and a new send mails all six."""
    campaign_id = stopped_after(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    called_off = mailer("cancel", campaign_id)
    words = said(called_off)
    assert called_off.exit_code == 0, words
    assert "had it" not in words, words
    assert "4 journalists" in words and "SendGrid's sandbox" in words, words
    assert "a new send of this release reaches every journalist on the list" in words, words


def test_campaigns_does_not_list_a_dry_run_as_scheduled(tmp_path: Any, standin: Any, db_url: str) -> None:
    """A dry run of tomorrow's send (`--at`) wrote its outbox and sent nothing. `mailer campaigns`
    listed it as "scheduled until <time>", as if SendGrid held it and it would go out then; nothing
    will go out (status says it was a dry run)."""
    from datetime import UTC, datetime, timedelta

    office(tmp_path, standin, db_url, beat=SIX)
    goes_out = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    dry = mailer(*SEND, "--dry-run", "--at", goes_out.isoformat())
    assert dry.exit_code == 0, dry.output
    campaign_id = campaign_of(dry)
    [row] = [line for line in mailer("campaigns").output.splitlines() if line.startswith(campaign_id)]
    assert "dry" in row, row
    assert "scheduled" not in row and "until" not in row, row
    assert "done, would go out " in row, row
