"""Review 23c: session 23's resume that reads its lists again, cancel's question, lists loaded ahead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _stopped_send(live: Path, standin: Any, *args: str) -> str:
    """A live send of lists/press.csv (or ``args``) that stopped before it mailed anyone (SendGrid answered 503); its campaign id."""
    from test_cli_send import SEND, mailer, todays_campaign

    toml = live / "mailer.toml"
    if "retries = 0" not in toml.read_text():
        toml.write_text(toml.read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8")
    standin.answer(503, times=1)
    stopped = mailer(*(args or SEND), "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    return todays_campaign()


def _mark(press: Path, header: str, cells: dict[str, str], default: str = "") -> None:
    """A column ``header`` added to the list: ``cells`` by address, ``default`` for the others."""
    lines = press.read_text(encoding="utf-8").splitlines()
    marked = [lines[0] + "," + header]
    for line in lines[1:]:
        marked.append(line + "," + next((cell for address, cell in cells.items() if line.startswith(address + ",")), default))
    press.write_text("\n".join(marked) + "\n", encoding="utf-8")


def test_resume_from_a_subfolder_of_the_office_reads_the_lists_there(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The log names lists/press.csv from the office folder (mailer.toml's). A press officer who
    resumes from releases/ (mailer.toml found above, as the README allows) was told the list "is not
    here", and the journalist who had opted out there meanwhile was mailed. The list is found from
    the office folder, as `mailer contact` and the log's other commands find it."""
    from test_cli_send import RECIPIENTS, mailer

    campaign_id = _stopped_send(live, standin)
    _mark(live / "lists" / "press.csv", "Unsubscribed", {"li.wei@example.org": "yes"})
    monkeypatch.chdir(live / "releases")
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "is not here" not in resumed.output, resumed.output
    accepted = standin.accepted_addresses()
    assert "li.wei@example.org" not in accepted, "a journalist who opted out in the list was mailed"
    assert len(accepted) == RECIPIENTS - 1


def test_resume_of_a_follow_up_reads_the_original_lists(live: Path, standin: Any) -> None:
    """A follow-up (`--follow-up CAMPAIGN --who not-opened`) stopped half-way; meanwhile a journalist
    opted out in the original's list. The follow-up plans from the original's lists, but its resume
    read only its own "lists" (the original's id, no file): it said nothing and mailed her. It now
    reads the original's lists as the follow-up did when it was planned."""
    from test_cli_send import RECIPIENTS, SEND, db, mailer, todays_campaign

    from mailer.store import campaigns

    original = mailer(*SEND, "--yes", "--no-test-ok")
    assert original.exit_code == 0, original.output
    original_id = todays_campaign()
    follow = ("send", "releases/example.md", "--follow-up", original_id, "--who", "not-opened", "--include-previous")
    _stopped_send(live, standin, *follow)
    with db().connect() as connection:
        follow_up_id = next(name for name in campaigns.ids(connection) if name != original_id)
    _mark(live / "lists" / "press.csv", "Unsubscribed", {"li.wei@example.org": "yes"})
    resumed = mailer("resume", follow_up_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    accepted = standin.accepted_addresses()
    assert accepted["li.wei@example.org"] == 1, "a journalist who opted out in the original's list was mailed the follow-up"
    assert sum(accepted.values()) == 2 * RECIPIENTS - 1
    words = " ".join(resumed.stderr.split())
    assert "1 journalist skipped: the lists now say they opted out." in words, words


def test_resume_after_a_consent_column_was_added_empty_asks_and_says_so(live: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The press office adds a "Consent" column to the list while the send is stopped, to fill in
    later: empty for everyone. The resume, asking nothing, skipped all 41 journalists, said "the lists
    now say they gave no consent" (nobody said anything) and marked the release done for good. An
    empty consent cell is still no consent (as a new send would have it), but the resume now says
    the cells are empty, how to reach them later, and asks before it ends the send; a no changes nothing."""
    from test_cli_send import RECIPIENTS, db, mailer

    from mailer.cli import send as send_cli
    from mailer.models import CampaignStatus, MessageState
    from mailer.store import campaigns, messages

    campaign_id = _stopped_send(live, standin)
    _mark(live / "lists" / "press.csv", "Consent", {})
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    kept = mailer("resume", campaign_id, input="n\n")
    assert kept.exit_code == 0, kept.output
    words = " ".join(kept.output.split())
    assert (
        f"Skipped: {RECIPIENTS} journalists the lists now mark as opted out or without consent ({RECIPIENTS} of them as their "
        "consent cell is empty)" in words
    ), words
    assert f"End {campaign_id} without mailing them? [y/N]: n Nothing was sent." in words, words
    with db().connect() as connection:
        found = campaigns.get(connection, campaign_id)
        assert found is not None and found.status is CampaignStatus.PAUSED
        assert messages.counts(connection, campaign_id)[MessageState.PLANNED.value] == RECIPIENTS

    ended = mailer("resume", campaign_id, "--yes")
    assert ended.exit_code == 0, ended.output
    words = " ".join(ended.output.split())
    assert f"{RECIPIENTS} journalists skipped: the lists now leave their consent cell empty (an empty consent cell is no consent" in words
    assert "gave no consent" not in words, words
    assert not standin.accepted_addresses()


def test_an_unsigned_webhook_refuses_what_nginx_relays_with_its_default_proxy_pass(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 23b refused, without a key, requests carrying X-Forwarded-For, Forwarded or X-Real-IP,
    saying nginx's proxy_pass adds them. It does not: `location / { proxy_pass http://127.0.0.1:8080; }`
    relays a request from the internet with Host: 127.0.0.1:8080, Connection: close, over HTTP/1.0,
    and nothing else of its own. A fake bounce posted through it suppressed Ana for good. SendGrid
    posts HTTP/1.1: without a key, an HTTP/1.0 request (nginx's way to its upstream) is refused too."""
    import json
    import socket
    import time

    from office_cli import SEND, mailer, office
    from test_review23b import free_port, start_webhook, stopped

    port = free_port()
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    webhook = start_webhook(tmp_path, port)
    fake = json.dumps(
        [
            {
                "email": "ana@daily.example",
                "event": "bounce",
                "type": "bounce",
                "reason": "550",
                "timestamp": int(time.time()),
                "sg_event_id": "f1",
            }
        ]
    ).encode()
    relayed = (
        f"POST /sendgrid/events HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Length: {len(fake)}\r\nContent-Type: application/json\r\nUser-Agent: SendGrid Event API\r\n\r\n"
    ).encode() + fake
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(relayed)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
    finally:
        terminal = stopped(webhook)
    status_line = answer.split(b"\r\n", 1)[0].decode()
    assert " 403 " in status_line, (answer, terminal)
    assert b"verification_key" in answer, answer
    assert "ana@daily.example" not in mailer("suppressions", "list").output
