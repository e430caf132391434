"""Review 19q: a large plan kept in parts (issue 12), broken again as a press officer and an attacker would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailer, office, planned_in_parts, release_named, rows_in_parts, said

from mailer import contacts
from mailer.models import Mode
from mailer.send import delivery
from mailer.send import plan as plan_module
from mailer.store import connect

ROWS = 25_000  # over delivery.IN_PARTS_FROM: kept in parts
BIG = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i % 50}.example,Jo{i},Doe{i},Paper {i % 7}\n" for i in range(ROWS))
STAFF = "Email,First Name,Last Name\nproof@example.org,Pat,Proof\n"


def test_a_test_send_or_another_release_during_a_large_send_leaves_its_parts_to_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """`mailer test` to the staff, or a small send of another release, while a colleague's send of a
    million journalists ran: each wrote the colleague's rows still in parts into the log first, in
    its own transaction (15 s at a million on SQLite before the proof left, the colleague's send
    and the webhook held back as long, "database is locked" past 30 s). Neither compares its
    journalists with that send: they leave its parts to its run."""
    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG)
    (tmp_path / "lists" / "staff.csv").write_text(STAFF, encoding="utf-8")
    (tmp_path / "lists" / "few.csv").write_text(STAFF.replace("proof@", "desk@"), encoding="utf-8")
    planned_in_parts(tmp_path, db_url)
    in_parts = rows_in_parts(db_url)
    assert in_parts
    proof = mailer("test", "releases/example.md")
    assert proof.exit_code == 0, proof.output
    assert rows_in_parts(db_url) == in_parts, "the test send wrote the colleague's plan first"
    other = mailer("send", release_named(tmp_path, "other"), "--list", "lists/few.csv", "--yes", "--no-test-ok")
    assert other.exit_code == 0, other.output
    assert rows_in_parts(db_url) == in_parts, "a send of another release wrote the colleague's plan first"


def _stopped_after_first_request(tmp_path: Path, standin: Any, db_url: str) -> str:
    """`mailer send` to 25,000 journalists, SendGrid unreachable after its first request (503, nothing
    tried again): the send stops with 1,000 accepted and the rest of its plan left in parts."""
    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000, sendgrid="retries = 0\nconcurrency = 1\n")
    standin.validate = False  # requests of 1,000: the schema check would take most of the test
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    stopped = mailer(*SEND)
    standin.validate = True
    assert stopped.exit_code == 1 and "Accepted: 1,000" in said(stopped), stopped.output
    assert rows_in_parts(db_url)  # the test is about a plan left in parts
    return campaign_of(stopped)


def test_the_report_of_a_large_send_stopped_half_way_counts_the_journalists_whose_rows_wait_in_parts(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A send of 25,000 stopped after its first request (SendGrid unreachable): `mailer report` read
    "Planned recipients 10,240, Not sent yet 9,240" where `mailer status` read 24,000 not sent yet."""
    monkeypatch.chdir(tmp_path)
    campaign_id = _stopped_after_first_request(tmp_path, standin, db_url)
    report = said(mailer("report", campaign_id))
    assert "Planned recipients │ 25,000" in report and "Not sent yet (see mailer status) │ 24,000" in report, report
    assert "24,000 recipients have not been sent yet" in report, report


def test_contact_finds_a_journalist_whose_row_waits_in_a_part_of_a_stopped_send(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A send of 25,000 stopped after its first request: `mailer contact` of a journalist far down
    the list said "No campaign in the delivery log was sent to ... Check the spelling", where the
    send was meant for her and `mailer resume` would mail her."""
    monkeypatch.chdir(tmp_path)
    campaign_id = _stopped_after_first_request(tmp_path, standin, db_url)
    shown = said(mailer("contact", "j24000@paper0.example"))
    assert "No campaign" not in shown, shown
    assert f"not sent yet (the send stopped; mailer resume {campaign_id} sends it)" in shown, shown


def test_a_resume_of_another_release_during_a_large_send_leaves_its_parts_to_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """`mailer resume` of a small send of another release, stopped earlier, while a colleague's send
    of a million journalists ran: it wrote every row that send still kept in parts first, under
    its lease (15 s at a million on SQLite, the colleague's send and the webhook held back)."""
    from office_cli import ONE_BY_ONE, SIX

    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG)
    planned_in_parts(tmp_path, db_url)
    in_parts = rows_in_parts(db_url)
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid=ONE_BY_ONE)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer("send", release_named(tmp_path, "other"), "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    standin.reset()
    assert rows_in_parts(db_url) == in_parts
    resumed = mailer("resume", campaign_of(stopped), "--yes")
    assert resumed.exit_code == 0 and len(standin.mail_sends) == 4, resumed.output
    assert rows_in_parts(db_url) == in_parts, "the resume wrote the colleague's plan first"


@pytest.mark.sqlite_only
def test_a_ctrl_c_as_the_parts_connection_is_set_up_never_leaves_a_connection_that_does_not_wait_for_the_disk(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A Ctrl-C (or any error) between the parts connection's `PRAGMA synchronous=NORMAL` and its
    commit left that connection checked out, never put back: once Python collected it, the pool
    handed it to the next command of the process, whose commits (a request listed in flight,
    events answered 2xx) no longer waited for the disk (promise 2)."""
    import gc

    from sqlalchemy import Connection

    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG)
    from send_fixtures import example_rendered

    built = plan_module.build(example_rendered(), contacts.load([tmp_path / "lists" / "beat.csv"]))
    engine = connect(db_url)
    try:
        recorded = delivery.record(engine, built, mode=Mode.LIVE, slug="parts", lists=["beat.csv"], filters={}, sender={})
        assert recorded.parts is not None
        real = Connection.commit

        def interrupted(self: Connection) -> None:  # the first commit: the one after PRAGMA synchronous=NORMAL
            monkeypatch.setattr(Connection, "commit", real)
            raise KeyboardInterrupt

        monkeypatch.setattr(Connection, "commit", interrupted)
        try:
            recorded.parts.write_one()
        except KeyboardInterrupt:
            pass
        recorded.parts.close()
        gc.collect()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        pooled = [engine.raw_connection() for _ in range(engine.pool.size())]  # type: ignore[attr-defined]
        try:
            assert [c.cursor().execute("PRAGMA synchronous").fetchone()[0] for c in pooled] == [2] * len(pooled)  # FULL
        finally:
            for c in pooled:
                c.close()
    finally:
        engine.dispose()
