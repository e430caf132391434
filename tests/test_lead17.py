"""The session-17 lead's own finds, each first seen failing."""

from __future__ import annotations

import csv
import io
from typing import Any

from office_cli import mailer, stopped_after


def test_recipients_report_of_a_stopped_send_says_not_sent_yet(tmp_path: Any, standin: Any, db_url: str) -> None:
    """SendGrid went down after two requests; the send stopped with four journalists unmailed. The
    summary counts them under "Not sent yet (see mailer status)" and `mailer contact` says "not
    sent yet"; the recipients report she exports listed them as "planned", the log's word, which
    reads as "still to come" of a send that had stopped."""
    campaign_id = stopped_after(tmp_path, standin, db_url)
    summary = " ".join(mailer("report", campaign_id).stdout.split())
    assert "Not sent yet (see mailer status) │ 4" in summary, summary
    piped = mailer("report", campaign_id, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    states = sorted(row["state"] for row in csv.DictReader(io.StringIO(piped.stdout)))
    assert states == ["accepted"] * 2 + ["not sent yet (see mailer status)"] * 4, states
