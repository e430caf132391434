"""Session 21, the lead's own findings: each test failed before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import SEND, SIX, campaign_of, mailer, office


def test_a_request_sendgrid_refuses_as_invalid_utf8_fails_its_journalists_and_the_send_goes_on(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """SendGrid answers 415 "Invalid UTF8 in request" to a request whose text it cannot read
    (SENDGRID.md, Mail Send errors): no later try reads it better. It was taken as SendGrid being
    unavailable: tried again, then the whole send stopped with "try later with mailer resume",
    which would be refused the same way, and nobody after it was mailed. Its journalists now fail
    with SendGrid's words, as a 400 fails them, and the send goes on to the others."""
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    refused = {"errors": [{"message": "Invalid UTF8 in request", "field": None, "help": None}]}
    standin.answer(415, body=refused, times=100, match=lambda r: "j0@paper0.example" in r.raw.decode("utf-8", "replace"))
    sent = mailer(*SEND)
    words = " ".join(sent.output.split())
    assert sent.exit_code != 0 or "failed: 1" in words, words
    assert "Invalid UTF8 in request" in words, words
    assert "Try later" not in words and "did not take the requests" not in words, words
    assert len(standin.accepted_addresses()) == 5, words
    status = " ".join(mailer("status", campaign_of(sent)).output.split())
    assert "5 accepted" in status and "1 failed" in status, status


def test_a_folder_given_to_events_import_names_the_files_inside_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer events import exports` (the folder the webhook's posts were saved in) said "Name the
    JSON or NDJSON files inside it", leaving the press officer to find out how. It now gives the
    command with the files it holds, and says so when it holds none."""
    office(tmp_path, standin, db_url)
    folder = tmp_path / "exports"
    folder.mkdir()
    empty = " ".join(mailer("events", "import", "exports").output.split())
    assert "It holds no .json or .ndjson file" in empty, empty
    for name in ("monday.json", "tuesday.ndjson", "notes.txt"):
        (folder / name).write_text("[]\n", encoding="utf-8")
    words = " ".join(mailer("events", "import", "exports").output.split())
    assert "is a folder, not an events file" in words, words
    assert "mailer events import exports/monday.json exports/tuesday.ndjson" in words, words
    assert "notes.txt" not in words, words
