"""Session 27 (lead): what a request carries for an internationalized address."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path
from typing import Any

import pytest
from office_cli import said
from test_review8cli import KEY, mailer

IDN = (
    "email,first_name,last_name,outlet\n"
    "ben@bücher.example,Ben,Stone,Bücherwelt\n"  # a domain in Unicode
    "ann@xn--mller-kva.example,Ann,Roe,Müller Verlag\n"  # the same kind, written in its ASCII form by the list
    "josé@correo.example,José,Ruiz,Correo\n"  # a local part outside ASCII: no ASCII form
    "cleo@weekly.example,Cleo,Park,Weekly\n"
)
SENT_AS = {"ben@xn--bcher-kva.example", "ann@xn--mller-kva.example", "josé@correo.example", "cleo@weekly.example"}


def test_lead27_a_domain_in_unicode_is_sent_in_its_ascii_form_in_the_request_and_the_proof(project: Path) -> None:
    """SendGrid takes a Unicode domain with 202 and may then drop the email (older SDK issues report it;
    SENDGRID.md is silent); its ASCII form names the same mailbox everywhere. The request and the dry run's
    proof carry ben@xn--bcher-kva.example for ben@bücher.example, and ann's list cell, written in ASCII, is no
    longer sent turned into Unicode; José's address has no ASCII form and goes as it is."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{project / "log.db"}"\n', encoding="utf-8")
    (project / "lists" / "idn.csv").write_text(IDN, encoding="utf-8")
    dry = mailer("send", "releases/example.md", "--list", "lists/idn.csv", "--dry-run")
    assert dry.exit_code == 0, said(dry)
    [body] = [json.loads(p.read_text(encoding="utf-8")) for p in (project / "out" / "outbox").rglob("request-*.json")]
    sent = {to["email"] for personalization in body["personalizations"] for to in personalization["to"]}
    assert sent == SENT_AS
    proofs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in (project / "out" / "outbox").rglob("*.eml")]
    to_lines = {str(proof["To"].addresses[0].addr_spec) for proof in proofs}
    assert "ben@xn--bcher-kva.example" in to_lines and "ben@bücher.example" not in to_lines, to_lines


@pytest.mark.usefixtures("live")
def test_lead27_a_live_send_reaches_sendgrid_in_ascii_and_the_log_keeps_the_journalists_spelling(standin: Any, project: Path) -> None:
    """Live, SendGrid receives the ASCII form; the log (status, reports) keeps the address as the list loader
    reads it, and a second send of the release skips all four (one journalist, however her domain is spelt)."""
    (project / "lists" / "idn.csv").write_text(IDN, encoding="utf-8")
    first = mailer("send", "releases/example.md", "--list", "lists/idn.csv", "--yes", "--no-test-ok", key=KEY)
    assert first.exit_code == 0, said(first)
    assert set(standin.accepted_addresses()) == SENT_AS
    contact = mailer("contact", "ben@xn--bcher-kva.example", key=KEY)
    assert contact.exit_code == 0 and "bücher.example" in said(contact), said(contact)
    again = mailer("send", "releases/example.md", "--list", "lists/idn.csv", "--yes", "--no-test-ok", key=KEY)
    assert sum(standin.accepted_addresses().values()) == 4, said(again)


def test_lead27_a_direction_override_in_a_name_never_reaches_the_request(project: Path) -> None:
    """U+202E (right-to-left override) is no control character, so the list keeps it, but in the To line of the
    journalist's inbox it shows what follows it reversed; the request's `to.name` and the proof go without it
    (and without the other embeddings and isolates), the name itself unchanged."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{project / "log.db"}"\n', encoding="utf-8")
    (project / "lists" / "bidi.csv").write_text(
        "email,first_name,last_name,outlet\nroe@daily.example,Dan,Roe\u202egnp.exe,Daily\nali@gazette.example,\u2067Ali\u2069,Hassan,Gazette\n",
        encoding="utf-8",
    )
    dry = mailer("send", "releases/example.md", "--list", "lists/bidi.csv", "--dry-run")
    assert dry.exit_code == 0, said(dry)
    [body] = [json.loads(p.read_text(encoding="utf-8")) for p in (project / "out" / "outbox").rglob("request-*.json")]
    names = {to["email"]: to["name"] for personalization in body["personalizations"] for to in personalization["to"]}
    assert names == {"roe@daily.example": "Dan Roegnp.exe", "ali@gazette.example": "Ali Hassan"}
    proofs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in (project / "out" / "outbox").rglob("*.eml")]
    to_lines = {str(proof["To"]) for proof in proofs}
    assert '"Dan Roegnp.exe" <roe@daily.example>' in to_lines and not any("\u202e" in line or "\u2067" in line for line in to_lines), (
        to_lines
    )


def test_lead27_a_suppression_the_team_lifted_is_not_carried_back_by_a_second_carry_over(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Zoe unsubscribed while the office was on out/mailer.db; after the move she asked the team to mail her again
    (`suppressions remove` on the team's log). Carry-over run again (as the refusal asks after any change there)
    suppressed her again: the old word undid the newer one. It is left off now, and said; Ben's bounce in the old
    log after the first carry-over is still carried."""
    import os

    from office_cli import SEND, mailed, office

    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    beat = "Email,First Name,Outlet\nzoe@left.example,Zoe,Left\nben@gazette.example,Ben,The Gazette\n"
    office(tmp_path, standin, old_url, beat=beat)
    os.chdir(tmp_path)
    assert mailer("suppressions", "add", "zoe@left.example", "--reason", "unsubscribed").exit_code == 0
    assert mailer(*SEND, key=KEY).exit_code == 0  # Ben only
    toml = tmp_path / "mailer.toml"
    text = toml.read_text(encoding="utf-8")
    team = text.replace(old_url, new_db_url())
    toml.write_text(team, encoding="utf-8")
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    lifted = mailer("suppressions", "remove", "zoe@left.example", "--reason", "asked by phone to get our releases again")
    assert lifted.exit_code == 0, said(lifted)
    toml.write_text(text, encoding="utf-8")
    assert mailer("suppressions", "add", "ben@gazette.example", "--reason", "bounced").exit_code == 0
    toml.write_text(team, encoding="utf-8")

    again = mailer("carry-over", "out/mailer.db")
    assert again.exit_code == 0, said(again)
    assert "zoe@left.example: suppressed there, but taken off this log's list since" in said(again), said(again)
    listed = said(mailer("suppressions", "list"))
    assert "ben@gazette.example" in listed and "zoe@left.example" not in listed, listed
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    standin.reset()
    sent = mailer("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", key=KEY)
    assert sent.exit_code == 0, said(sent)
    assert mailed(standin) == ["zoe@left.example"], mailed(standin)
