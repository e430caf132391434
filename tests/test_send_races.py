"""Two terminals, one campaign: real `mailer` processes racing against the stand-in (promises 2, 6 and 8).

Each test starts `python -m mailer ...` processes in a press office's folder whose mailer.toml
points at the session's SendGrid stand-in, which answers slowly so the processes overlap.
Whatever the interleaving, no journalist is accepted twice and none is left out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import example

pytestmark = pytest.mark.slow  # real processes: CI runs these; `pytest -m "not slow"` skips them

ROOT = Path(__file__).parent.parent
RECIPIENTS = 41  # valid, distinct rows of lists/press.csv
SEND = ("send", "releases/example.md", "--list", "lists/press.csv", "--yes", "--no-test-ok")


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """The example release and list; requests of 5, one at a time, so a send takes a while."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(
        '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 5\nconcurrency = 1\n\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return tmp_path


def start(office: Path, standin: Any, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SENDGRID_API_KEY": standin.api_key}
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", *args], cwd=office, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err
    return process.returncode, out, err


def run(office: Path, standin: Any, *args: str) -> tuple[int, str, str]:
    return finish(start(office, standin, *args))


def wait_for_requests(standin: Any, count: int) -> None:
    deadline = time.time() + 30
    while len(standin.mail_sends) < count:
        assert time.time() < deadline, "the first send never got going"
        time.sleep(0.02)


def assert_everyone_once(standin: Any) -> None:
    accepted = standin.accepted_addresses()
    assert len(accepted) == RECIPIENTS, f"{RECIPIENTS - len(accepted)} journalists lost"
    assert set(accepted.values()) == {1}, f"doubled: {[a for a, n in accepted.items() if n > 1]}"


def test_race_resume_while_the_send_runs_is_refused(office: Path, standin: Any) -> None:
    """`mailer resume` in a second terminal names the running process and sends nothing; the send finishes alone."""
    first = standin.hold()  # with SendGrid until the resume is done, however slowly a loaded machine runs it
    sending = start(office, standin, *SEND)
    wait_for_requests(standin, 1)
    campaign_id = f"{datetime.now(UTC):%Y-%m-%d}-example"
    code, _, err = run(office, standin, "resume", campaign_id, "--yes")
    assert sending.poll() is None, "the send finished before the resume ran: the test proves nothing"
    first.set()
    assert code == 1
    assert f"Error: {campaign_id} is being sent by another process (pid {sending.pid} on " in err
    assert f"mailer resume {campaign_id}` can take over after" in err
    assert finish(sending)[0] == 0
    assert_everyone_once(standin)
    states = json.loads(run(office, standin, "status", campaign_id, "--json")[1])["counts"]
    assert (states["accepted"], states["unknown"], states["sending"]) == (RECIPIENTS, 0, 0)


def test_race_resume_after_kill_takes_over_at_once(office: Path, standin: Any) -> None:
    """A send killed mid-way leaves its lease behind; resume sees the process is gone, takes over, loses no one."""
    standin.hold(match=lambda r: len(standin.mail_sends) == 3)  # killed while its third request is with SendGrid
    sending = start(office, standin, *SEND)
    wait_for_requests(standin, 3)
    sending.kill()
    sending.communicate(timeout=30)
    campaign_id = json.loads(run(office, standin, "campaigns", "--json")[1])[0]["id"]
    standin.settle()  # whatever the killed send had sent is recorded before it is forgotten
    standin.reset()  # lets the held request go
    code, _, err = run(office, standin, "resume", campaign_id, "--resend-unknown", "--yes")
    assert code == 0, err
    states = json.loads(run(office, standin, "status", campaign_id, "--json")[1])["counts"]
    assert (states["accepted"], states["unknown"], states["planned"]) == (RECIPIENTS, 0, 0)


def test_race_two_identical_sends_at_once_mail_nobody_twice(office: Path, standin: Any) -> None:
    """Two `mailer send` of the same release and list started together: each journalist gets it once, no raw error."""
    standin.slow(0.1)
    first, second = start(office, standin, *SEND), start(office, standin, *SEND)
    results = [finish(first), finish(second)]
    assert_everyone_once(standin)
    for code, _, err in results:
        assert code in (0, 1), err
        assert "SQL" not in err and "sqlalchemy" not in err.lower()
    campaigns = json.loads(run(office, standin, "campaigns", "--json")[1])
    assert len({c["id"] for c in campaigns}) == len(campaigns)
    assert sum(c["accepted"] for c in campaigns) == RECIPIENTS


def test_race_the_same_send_later_skips_everyone_who_has_it(office: Path, standin: Any) -> None:
    """Ten minutes later, the identical send mails nobody and says why; a journalist added to the list gets it."""
    assert run(office, standin, *SEND)[0] == 0
    code, out, err = run(office, standin, *SEND)
    assert code == 1
    assert "Skipped:    49 (41 already received, 2 duplicate, 5 invalid, 1 missing address)" in out
    assert "Error: Nobody to send to: all 41 journalists already received this exact release.\n" in err
    with (office / "lists" / "press.csv").open("a", encoding="utf-8") as handle:
        handle.write("newcomer@example.org,Nia,Newcomer,The Daily Example,,,,,\n")
    code, out, err = run(office, standin, *SEND)
    assert code == 0, err
    assert "Recipients: 1\n" in out
    assert_everyone_once_plus(standin, "newcomer@example.org")


def assert_everyone_once_plus(standin: Any, address: str) -> None:
    accepted = standin.accepted_addresses()
    assert accepted[address] == 1 and len(accepted) == RECIPIENTS + 1 and set(accepted.values()) == {1}
