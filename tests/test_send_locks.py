"""A running send and `mailer forget` of one of its journalists take turns.

A run checks its next request's journalists (suppressed? forgotten?) and lists the request in
flight on the campaign row, in one transaction; forget reads that list before deciding whether a
journalist's row can still be taken out of the send. On PostgreSQL, reads do not wait for
writes: a forget committed between the run's check and its listing erased the journalist as
never mailed (her row skipped), and the request went out with her in it. Both now lock the
campaign row first (``campaigns.lock``), so one waits for the other.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from test_review12b import mailed, mailer, office

from mailer.forget import Forgotten, forget
from mailer.models import FORGOTTEN_ADDRESS
from mailer.store import connect, messages
from mailer.store.schema import message


def test_a_forget_during_the_check_before_a_request_leaves_waits_for_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben's request is checked (not suppressed, not forgotten) and is about to be listed in
    flight when the office runs `mailer forget` for him. The forget must wait for the listing;
    his email then leaves, and the log says it was accepted (not "skipped", never mailed)."""
    office(tmp_path, standin, db_url, sendgrid="concurrency = 1\n", batch_size=1)
    monkeypatch.chdir(tmp_path)
    engine = connect(db_url)
    real_planned_in = messages.planned_in
    calls: list[int] = []
    done: list[Forgotten] = []
    finished_during_the_check = threading.Event()

    def erase_ben() -> None:
        done.append(forget(engine, "ben@gazette.example", wait=0))

    def checked_then_forgotten(connection: Any, campaign_id: str, numbers: Any) -> int:
        found = real_planned_in(connection, campaign_id, numbers)
        calls.append(found)
        if len(calls) == 2:  # Ben's request (batch size 1: Ana's went first), checked, not listed yet
            worker = threading.Thread(target=erase_ben, daemon=True)
            worker.start()
            workers.append(worker)
            worker.join(timeout=1.5)
            if not worker.is_alive():
                finished_during_the_check.set()
        return found

    monkeypatch.setattr(messages, "planned_in", checked_then_forgotten)
    workers: list[threading.Thread] = []
    try:
        sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
        for worker in workers:
            worker.join(timeout=30)
        with engine.connect() as connection:
            states = dict(connection.execute(select(message.c.email, message.c.state)).all())
    finally:
        engine.dispose()
    assert len(calls) >= 2 and done, sent.output
    assert not finished_during_the_check.is_set(), "the erasure did not wait for the run's listing"
    assert "ben@gazette.example" in mailed(standin)  # the listing went first: his request left
    # ...and the log says so: accepted (his address erased), not skipped as never mailed.
    assert states == {"ana@daily.example": "accepted", FORGOTTEN_ADDRESS: "accepted"}, (sent.output, done[0])
