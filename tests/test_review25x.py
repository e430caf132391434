"""Review 25x: a hostile review of session 25's first merged changes, each finding a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

from office_cli import mailed, mailer, office
from sqlalchemy import select

from mailer.store import connect
from mailer.store.schema import message

# -- 1. an unsubscribe under one spelling of a Gmail inbox did not keep out the other -----------------

GMAIL_BEAT = "Email,Name\njanedoe@gmail.com,Jane Doe\nana@daily.example,Ana Lima\nj.o.e+news@googlemail.com,Joe Bloggs\n"


def test_a_gmail_suppression_keeps_out_every_spelling_of_that_inbox(project: Path, standin: object, db_url: str) -> None:
    """Jane unsubscribed as jane.doe@gmail.com; the next list, from a colleague, spells her janedoe@gmail.com.
    Gmail delivers both to one inbox (the lists already count them as one journalist), so she must not
    be mailed: she was, as if she had never asked. A forgotten Gmail address is kept out the same way."""
    office(project, standin, db_url, beat=GMAIL_BEAT)
    added = mailer("suppressions", "add", "jane.doe@gmail.com", "--reason", "unsubscribe")
    assert added.exit_code == 0, added.output
    forgot = mailer("forget", "Joe@GoogleMail.com", "--yes")
    assert forgot.exit_code == 0, forgot.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"]
    checked = mailer("lists", "prune", "lists/beat.csv", "-o", "pruned.csv")
    assert checked.exit_code == 0, checked.output
    assert "janedoe" not in (project / "pruned.csv").read_text(encoding="utf-8")
    engine = connect(db_url)  # her row is logged as skipped, without her name or address
    try:
        with engine.connect() as connection:
            logged = [f"{row.email} {row.fields}" for row in connection.execute(select(message.c.email, message.c.fields))]
    finally:
        engine.dispose()
    assert len(logged) == 3 and not [text for text in logged if "Bloggs" in text or "j.o.e" in text], logged
