"""Session 27 (refusal27): a refusal SendGrid would give every request of a send stops it; control characters in names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import todays_campaign
from office_cli import said
from test_review8cli import KEY, SEND, mailer

GROUP = {"errors": [{"field": "asm.group_id", "message": "The asm.group_id is not valid.", "help": None}]}


def _counts(campaign_id: str) -> dict[str, int]:
    status = mailer("status", campaign_id, "--json")
    assert status.exit_code in (0, 3), status.output
    return {state: count for state, count in json.loads(status.stdout)["counts"].items() if count}


@pytest.mark.usefixtures("live")
def test_refusal27_a_refusal_about_the_email_as_a_whole_stops_the_send_after_two(standin: Any) -> None:
    """A wrong [sendgrid] asm_group_id: SendGrid refuses every request alike (asm.group_id). The send used to
    go on, request after request, a warning each, every journalist failed. It stops after two: what SendGrid
    refused, where to fix it, that nobody else was mailed, and how to go on; the two requests' journalists
    failed with SendGrid's words, the rest planned, and after the fix each journalist is mailed exactly once."""
    standin.answer(400, times=1000, body=GROUP)
    sent = mailer(*SEND, "--yes", "--no-test-ok", key=KEY)
    words = said(sent)
    assert sent.exit_code == 1, words
    assert "asm.group_id: The asm.group_id is not valid" in words and "[sendgrid] asm_group_id in mailer.toml" in words, words
    assert "nobody else was mailed" in words, words
    campaign_id = todays_campaign()
    assert f"mailer resume {campaign_id} --retry-failed" in words, words
    assert words.count("refused by SendGrid:") == 2, words  # a warning for each of the two, not one per request
    assert standin.accepted_addresses() == {}
    counts = _counts(campaign_id)  # two requests' journalists (10 each, the last 1: the answers come in any order)
    assert counts["failed"] in (11, 20) and counts == {"failed": counts["failed"], "planned": 41 - counts["failed"], "skipped": 8}
    assert f"the {counts['failed']} journalists of the refused requests" in words, words
    status = said(mailer("status", campaign_id))
    assert "asm.group_id: The asm.group_id is not valid" in status, status

    standin.reset()  # the group id fixed
    plain = mailer("resume", campaign_id, "--yes", key=KEY)
    assert plain.exit_code == 3, plain.output  # the 21 left sent; the 20 failed wait for --retry-failed
    assert len(standin.accepted_addresses()) == 41 - counts["failed"]
    again = mailer("resume", campaign_id, "--retry-failed", "--yes", key=KEY)
    assert again.exit_code == 0, again.output
    reached = standin.accepted_addresses()
    assert len(reached) == 41 and set(reached.values()) == {1}, reached
    assert _counts(campaign_id) == {"accepted": 41, "skipped": 8}
