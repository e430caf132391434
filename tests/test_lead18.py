"""Session 18's own findings: each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conftest import ROOT
from office_cli import SEND, SIX, campaign_of, mailed, mailer, office, said

# -- PGCONNECT_TIMEOUT was overridden by the log's 20-second default (review 17y) -------------------


def _campaigns(folder: Path, port: int, *, key: str = "", environ: dict[str, str] | None = None) -> tuple[str, float]:
    """`mailer campaigns` in ``folder`` on a log at the silent ``port``: what it said, and how long it took."""
    (folder / "mailer.toml").write_text(f'[database]\nurl = "postgresql+psycopg://press@127.0.0.1:{port}/mailer"\n{key}', encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "PGCONNECT_TIMEOUT"}
    env.update({"PYTHONPATH": str(ROOT), **(environ or {})})
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mailer", "campaigns"], check=False, cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return " ".join(result.stderr.split()), time.monotonic() - started


def test_pgconnect_timeout_in_the_environment_is_how_long_the_log_waits(tmp_path: Path, silent_port: int) -> None:
    """The office's IT person sets PGCONNECT_TIMEOUT=3 for every PostgreSQL program on the laptops
    (libpq's own variable). mailer waited its own 20 seconds regardless, and said so."""
    said, took = _campaigns(tmp_path, silent_port, environ={"PGCONNECT_TIMEOUT": "3"})
    assert f"the database server at 127.0.0.1:{silent_port} did not answer within 3 seconds" in said, said
    assert took < 15, took


def test_connect_timeout_in_mailer_toml_comes_before_the_environment(tmp_path: Path, silent_port: int) -> None:
    """A `[database] connect_timeout` written in mailer.toml is the office's choice for this log: it
    wins over a PGCONNECT_TIMEOUT set for every program."""
    said, took = _campaigns(tmp_path, silent_port, key="connect_timeout = 2\n", environ={"PGCONNECT_TIMEOUT": "40"})
    assert "did not answer within 2 seconds" in said, said
    assert took < 15, took


def test_a_pgconnect_timeout_that_is_not_a_number_is_named(tmp_path: Path, silent_port: int) -> None:
    """PGCONNECT_TIMEOUT=30s: said in words, naming the variable, before anything waits."""
    said, took = _campaigns(tmp_path, silent_port, environ={"PGCONNECT_TIMEOUT": "30s"})
    assert 'The environment variable PGCONNECT_TIMEOUT is "30s": it must be a whole number of seconds' in said, said
    assert "unset PGCONNECT_TIMEOUT" in said, said
    assert took < 15, took


# -- one address SendGrid refuses held back the whole request ---------------------------------------


def test_one_address_sendgrid_refuses_fails_alone_and_the_others_are_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid answers 400 for one journalist's address in a request of six (`personalizations.2.to:
    Does not contain a valid address.`). A refused request mails nobody, and mailer failed all six:
    five journalists did not get an embargoed release until someone read the warning and ran
    `mailer resume --retry-failed`. Only she fails, with SendGrid's words; the other five are mailed
    at once, once each; a later retry sends to her alone."""
    office(tmp_path, standin, db_url, beat=SIX)
    refusal = {"errors": [{"field": "personalizations.2.to", "message": "Does not contain a valid address.", "help": None}]}
    standin.answer(400, body=refusal)
    sent = mailer(*SEND)
    assert sent.exit_code == 3, sent.output
    words = said(sent)
    assert (
        "Request 1 (6 recipients) refused by SendGrid because of 1 recipient: personalizations.2.to: Does not contain a valid address"
        in words
    )
    assert "(j2@paper2.example). The other 5 recipients go again as request 2." in words, words
    assert sorted(mailed(standin)) == [f"j{i}@paper{i}.example" for i in (0, 1, 3, 4, 5)]
    campaign_id = campaign_of(sent)
    status = said(mailer("status", campaign_id))
    assert "Recipients: 5 accepted, 1 failed" in status, status
    assert "1 failed: personalizations.2.to: Does not contain a valid address. (j2@paper2.example)" in status, status
    retried = mailer("resume", campaign_id, "--retry-failed", "--yes")
    assert retried.exit_code == 0, retried.output
    assert sorted(mailed(standin)) == sorted([f"j{i}@paper{i}.example" for i in (0, 1, 3, 4, 5)] + ["j2@paper2.example"])
