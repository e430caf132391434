"""The session-16 lead's own finds after the passes, each first seen failing."""

from __future__ import annotations

from typing import Any

from office_cli import ONE_BY_ONE, SEND, SIX, campaign_of, mailer, office, said


def test_cancel_of_a_sandbox_rehearsal_does_not_say_journalists_had_it(tmp_path: Any, standin: Any, db_url: str) -> None:
    """A rehearsal in SendGrid's sandbox (validated, delivered to nobody) stopped after two
    requests; she calls the rest off. `mailer cancel` said "4 journalists it had not mailed yet
    will not be (2 journalists had it before it stopped)": nobody had it, as status and campaigns
    say ("sandbox", delivered to nobody), and a new send mails all six."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid=ONE_BY_ONE + "sandbox = true\n")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1, stopped.output
    campaign_id = campaign_of(stopped)
    called_off = mailer("cancel", campaign_id)
    words = said(called_off)
    assert called_off.exit_code == 0, words
    assert "had it" not in words, words
    assert "4 journalists" in words and "SendGrid's sandbox" in words, words
    assert "a new send of this release reaches every journalist on the list" in words, words
