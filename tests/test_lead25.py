"""Session 25, the lead's own finds.

1. `mailer resume --retry-failed` said "Sending again to 2 recipients that failed with: ..." of
   journalists it then skipped, because the lists now opt them out: it counted every failed row,
   not those it mails again, and said it beside "Left: nobody".
2. A live send to a stand-in on this computer (a rehearsal, as the README's "Using it from Python"
   explains) read "Mode: live send", as a send to SendGrid does, though nobody gets an email and the
   log then counts them as having it: a later real send of the release from that log skips them all.
3. A campaign's id took UTC's day: a Melbourne office's send made at 9 am on 3 December was named
   2026-12-02-..., though [reports] time_zone names its clock (newcomer 25 #3, left to the lead).
4. Two threads rendering templates at once (a script's, the webhook's) could leave the whole process
   under a template's memory bound for good: each bounded the process's address space and put back
   the bound it had found, and out of order the last put back was the other's (review 25x #4).
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from office_cli import BEAT, SEND, campaign_of, mailed, mailer, office, said

REFUSAL = {"errors": [{"field": "from.email", "message": "The from address does not match a verified Sender Identity."}]}
THREE = BEAT + "cleo@weekly.example,Cleo,Park,Weekly\n"


def _failed_then_opted_out(tmp_path: Path, standin: Any, db_url: str, *, opted_out: set[str]) -> str:
    """A send of three journalists where SendGrid refuses Ana's and Cleo's requests; then the list
    marks ``opted_out`` as having unsubscribed. Returns the campaign's id."""
    office(tmp_path, standin, db_url, batch_size=1, sendgrid="concurrency = 1\nretries = 0\n")
    (tmp_path / "lists" / "beat.csv").write_text(THREE, encoding="utf-8")
    refused = lambda recorded: any(who in str(recorded.body) for who in ("ana@daily.example", "cleo@weekly.example"))
    standin.answer(400, times=2, match=refused, body=REFUSAL)
    first = mailer(*SEND)
    assert first.exit_code == 3 and mailed(standin) == ["ben@gazette.example"], first.output
    rows = THREE.splitlines()
    marked = [rows[0] + ",Unsubscribed"] + [row + (",yes" if row.split(",")[0] in opted_out else ",") for row in rows[1:]]
    (tmp_path / "lists" / "beat.csv").write_text("\n".join(marked) + "\n", encoding="utf-8")
    return campaign_of(first)


def test_retry_failed_counts_only_those_it_mails_again(tmp_path: Path, standin: Any, db_url: str) -> None:
    campaign_id = _failed_then_opted_out(tmp_path, standin, db_url, opted_out={"ana@daily.example"})
    again = mailer("resume", campaign_id, "--retry-failed", "--yes")
    assert again.exit_code == 0, again.output
    assert mailed(standin) == ["ben@gazette.example", "cleo@weekly.example"]
    assert "Sending again to 1 recipient that failed with: from.email: The from address does not match" in said(again)
    assert "Sending again to 2" not in said(again), again.output


def test_retry_failed_when_every_failed_one_opted_out_says_nobody_is_sent_again(tmp_path: Path, standin: Any, db_url: str) -> None:
    campaign_id = _failed_then_opted_out(tmp_path, standin, db_url, opted_out={"ana@daily.example", "cleo@weekly.example"})
    again = mailer("resume", campaign_id, "--retry-failed", "--yes")
    assert again.exit_code == 0, again.output
    assert mailed(standin) == ["ben@gazette.example"]
    assert "Sending again to" not in said(again), again.output
    assert "Nobody is sent again of the 2 recipients that failed: they are skipped now." in said(again)
    assert "Skipped: 2 journalists the lists now mark as opted out or without consent" in said(again)


def test_a_live_send_to_a_stand_in_says_so_in_its_plan(tmp_path: Path, standin: Any, db_url: str) -> None:
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert (
        f"Mode: live send to a stand-in on this computer ([sendgrid] api_url = {standin.url}), not to SendGrid: nobody gets an "
        "email, but the delivery log records them as sent, so a later send of this release from it skips them"
    ) in said(sent)
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--include-previous")
    assert "Mode: DRY RUN (nothing will be sent)" in said(dry), dry.output


def test_a_campaign_id_takes_the_office_s_day(tmp_path: Path, standin: Any, db_url: str) -> None:
    office(tmp_path, standin, db_url)
    now = datetime.now(UTC)
    # UTC+14 is a day ahead from 10:00 UTC on, UTC-11 a day behind until 11:00: one of them differs now.
    zone = "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago"
    with (tmp_path / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[reports]\ntime_zone = "{zone}"\n')
    sent = mailer(*SEND)
    office_day = datetime.now(ZoneInfo(zone)).date()
    assert office_day != datetime.now(UTC).date()
    assert sent.exit_code == 0, sent.output
    assert campaign_of(sent) == f"{office_day:%Y-%m-%d}-example", sent.output
    proof = mailer("test", "releases/example.md")
    assert proof.exit_code == 0, proof.output
    assert campaign_of(proof).startswith(f"{office_day:%Y-%m-%d}-example"), proof.output


@pytest.mark.skipif(sys.platform != "linux", reason="the memory bound is Linux's")
def test_templates_rendered_in_two_threads_leave_the_process_unbounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    from mailer.compose import sandbox

    before = resource.getrlimit(resource.RLIMIT_AS)
    real = sandbox._address_space()
    sizes = iter([real, real - 100 * 1024**2])  # memory freed between the two: the second bound is lower
    monkeypatch.setattr(sandbox, "_address_space", lambda: next(sizes))
    first_in, first_go, second_go = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with sandbox.limits(clock=False):
            first_in.set()
            first_go.wait(10)

    def second() -> None:
        first_in.wait(10)
        with sandbox.limits(clock=False):
            second_go.wait(10)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_in.wait(10)
    time.sleep(0.2)  # the second is inside by now, unless it waits for the first
    first_go.set()
    threads[0].join(10)
    second_go.set()
    threads[1].join(10)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
