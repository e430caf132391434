"""Session 27 (refusal27): a refusal SendGrid would give every request of a send stops it; control characters in names."""

from __future__ import annotations

import email
import email.policy
import json
import unicodedata
from pathlib import Path
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


# --- control characters in a contact's name --------------------------------------------------------

CONTROLLED = (
    "email,first_name,last_name,outlet\n"
    "ana@daily.example,Ana\u009b31m,Lima,Daily\n"  # U+009B: a terminal's escape sequence (CSI) in UTF-8
    "ben@gazette.example,Ben\u0085Bcc: x@evil.example,Stone,Gazette\u0090\n"  # NEL, a line break to mail headers
    'cleo@weekly.example,"Cleo\rBcc: y@evil.example",Park\u2028,Weekly\n'
    "Dan\u0081 Roe <dan@radio.example>,,,Radio\n"
    "eve@tv.example,Eve\x01\x7f,Ng,TV\n"  # C0 and DEL: taken out of the file as it is read (its own note)
)


def test_refusal27_control_characters_in_names_never_reach_the_request_nor_the_proof(project: Path) -> None:
    """C1 control characters (U+0080 to U+009F) in a list's name cells came through the loader: U+009B (a terminal's
    escape sequence) reached the request's `to.name`, the proof's To header and every report, and `lists check` said
    nothing. They are taken out where the list's cells are made one line (line breaks, NEL and U+2028 included, become
    a space), and `lists check` names the rows."""
    logged = project  # one log on SQLite: the names are cleaned before any log is opened
    (logged / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{logged / "log.db"}"\n', encoding="utf-8")
    (logged / "lists" / "controlled.csv").write_bytes(CONTROLLED.encode("utf-8"))
    checked = mailer("lists", "check", "lists/controlled.csv")
    assert checked.exit_code == 0, checked.output
    note = said(checked)
    assert "control characters (U+0081, U+0090, U+009B) taken out of the names, outlets or titles of rows 2, 3, 5" in note, note
    sent = mailer("send", "releases/example.md", "--list", "lists/controlled.csv", "--dry-run", "--yes")
    assert sent.exit_code == 0, sent.output
    outbox = next((logged / "out" / "outbox").iterdir())
    body = json.loads((outbox / "request-0001.json").read_text(encoding="utf-8"))
    names = {p["to"][0]["email"]: p["to"][0]["name"] for p in body["personalizations"]}
    assert names == {
        "ana@daily.example": "Ana31m Lima",
        "ben@gazette.example": "Ben Bcc: x@evil.example Stone",
        "cleo@weekly.example": "Cleo Bcc: y@evil.example Park",
        "dan@radio.example": "Dan Roe",
        "eve@tv.example": "Eve Ng",
    }, names
    outlets = {s for p in body["personalizations"] for s in p.get("substitutions", {}).values()}
    assert "Gazette" in outlets, outlets
    for proof in outbox.glob("*.eml"):
        message = email.message_from_bytes(proof.read_bytes(), policy=email.policy.default)
        assert not [c for c in str(message["To"]) if unicodedata.category(c) == "Cc"], (proof.name, message["To"])
        assert message["Bcc"] is None and message.get_all("To") == [message["To"]]
