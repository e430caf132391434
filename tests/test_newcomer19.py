"""Newcomer 19: a press officer's first week with a large send (20,000 journalists or more), whose
plan waits in the log as parts while it sends (README "How a large send runs")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from office_cli import campaign_of, mailer, office, rows_in_parts, stopped_half_way

ROWS = 25_000  # over delivery.IN_PARTS_FROM: the plan is kept in parts
# A real export: a few bad rows and duplicates, the last of them far down the list.
BIG = (
    "Email,First Name,Last Name\n"
    + "".join(f"j{i}@paper{i % 50}.example,Jo{i},Doe\n" for i in range(ROWS))
    + "not-an-address,Bad,Row\n,No,Email\nJ7@PAPER7.example,Dup,Row\nj24999@paper49.example,Dup,Row\n"
)
SKIPPED = "Skipped: 2 duplicate, 1 invalid, 1 missing address"


@pytest.fixture(autouse=True)
def _in_office(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000, sendgrid="retries = 0\nconcurrency = 1\n")
    standin.validate = False  # requests of 1,000: the schema check would take most of the test; the limits stay checked
    yield
    standin.validate = True


def test_a_large_send_stopped_half_way_counts_its_skipped_rows_everywhere(standin: Any) -> None:
    """The plan said 'Skipped: 4'; stopped half-way, the send's totals, `mailer status` (text and
    JSON) and `mailer campaigns --json` said 0 skipped, and a second `mailer status` then said 4:
    the skipped rows waited in the plan's parts, which nobody counted (newcomer 19 #1)."""
    stopped = stopped_half_way(standin)
    words = " ".join(stopped.output.split())
    assert "Skipped: 4 (2 duplicate, 1 invalid, 1 missing address)" in words, words
    assert f"Accepted: 2,000 failed: 0 unknown: 0 not sent yet: {ROWS - 2000:,} skipped: 4" in words, words
    campaign_id = campaign_of(stopped)
    listed = json.loads(mailer("campaigns", "--json").stdout)
    assert [(c["planned"], c["accepted"], c["skipped"]) for c in listed] == [(ROWS - 2000, 2000, 4)]
    as_json = json.loads(mailer("status", campaign_id, "--json").stdout)
    assert as_json["counts"]["skipped"] == 4 and as_json["skipped"] == {"duplicate": 2, "invalid": 1, "missing": 1}
    for _ in range(2):  # the same words each time
        status = " ".join(mailer("status", campaign_id).output.split())
        assert f"Recipients: {ROWS - 2000:,} planned, 2,000 accepted {SKIPPED}" in status, status


def test_the_report_of_a_large_send_stopped_half_way_counts_every_journalist_of_its_plan(standin: Any) -> None:
    """`mailer report` of a send of 25,000 stopped half-way read 'Planned recipients 8,192' and
    'Not sent yet 6,192' (the rows written at once), where `mailer status` said 23,000 not sent
    yet: the journalists whose rows waited in parts were left out (newcomer 19 #2)."""
    campaign_id = campaign_of(stopped_half_way(standin))
    report = mailer("report", campaign_id, "--format", "json")
    assert report.exit_code == 0, report.output
    figures = {key: value["count"] for key, value in json.loads(report.stdout)["figures"].items()}
    assert figures["planned"] == ROWS and figures["accepted"] == 2000 and figures["not_sent"] == ROWS - 2000, figures
    assert (figures["skipped_duplicate"], figures["skipped_invalid"], figures["skipped_missing"]) == (2, 1, 1), figures
    table = " ".join(mailer("report", campaign_id).output.split())
    assert f"This send has not finished: {ROWS - 2000:,} recipients have not been sent yet." in table, table


@pytest.mark.parametrize("command", ["status", "resume", "cancel", "forget"])
def test_a_command_that_writes_a_stopped_sends_parts_shows_a_bar(
    command: str, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Ctrl-C of a send to 300,000, `mailer status`, `resume`, `cancel` and `forget` each sat
    silent for 2 to 4 seconds (10 at a million) before their first word: they wrote the rows the
    send left in parts. They show the bar the send shows for its plan, ending full (newcomer 19 #3)."""
    from office_cli import Bars

    from mailer.cli import output

    campaign_id = campaign_of(stopped_half_way(standin))
    left = rows_in_parts(db_url)
    assert left > 0, "the test is about a plan left in parts"
    standin.reset()
    standin.validate = False
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    args = {
        "status": (campaign_id,),
        "resume": (campaign_id, "--yes"),
        "cancel": (campaign_id,),
        "forget": ("j24998@paper48.example", "--yes"),
    }[command]
    done = mailer(command, *args)
    assert done.exit_code == 0, done.output
    described = [(description, total, sum(steps)) for description, total, steps in bars.bars]
    assert described[0] == ("Writing the rest of the plan to the delivery log", left, left), described
    assert rows_in_parts(db_url) == 0
    assert mailer("status", campaign_id).exit_code == 0
    assert [d for d, _, _ in bars.bars].count("Writing the rest of the plan to the delivery log") == 1, "a bar with nothing to write"


def test_the_recipients_report_of_a_large_send_stopped_half_way_lists_every_journalist(standin: Any) -> None:
    """`mailer report --kind recipients` of a send of 25,000 stopped half-way listed some 11,000
    journalists: those whose rows waited in parts were missing from the CSV, though `mailer
    status` counted them not sent yet. It lists all 25,000 and the 4 skipped rows (newcomer 19 #4)."""
    campaign_id = campaign_of(stopped_half_way(standin))
    report = mailer("report", campaign_id, "--kind", "recipients", "--format", "csv", "-o", "-")
    assert report.exit_code == 0, report.output
    lines = report.stdout.splitlines()[1:]
    assert len(lines) == ROWS + 4, len(lines)
    assert any(line.startswith("j24998@paper48.example,") for line in lines)
