"""Review 19r: a large send's plan kept in parts (store/plan_parts.py) as the read commands
(status, report, contact) see it, on a log the user may only read and while a send runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from office_cli import campaign_of, mailer, office, rows_in_parts, stopped_half_way, write_config

ROWS = 25_000  # over delivery.IN_PARTS_FROM: the plan is kept in parts
BIG = "Email,First Name,Last Name\n" + "".join(f"j{i}@paper{i % 50}.example,Jo{i},Doe\n" for i in range(ROWS))


@pytest.fixture(autouse=True)
def _in_office(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000, sendgrid="retries = 0\nconcurrency = 1\n")
    standin.validate = False  # requests of 1,000: the schema check would take most of the test
    yield
    standin.validate = True


def _read_only(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office's mailer.toml pointed at its log opened read-only (a copy on a read-only share)."""
    write_config(tmp_path, standin, f"sqlite:///file:{db_url.removeprefix('sqlite:///')}?mode=ro&uri=true", batch_size=1000)


@pytest.mark.sqlite_only
def test_contact_on_a_read_only_log_after_a_large_send_stopped_half_way(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send of 25,000 stopped half-way; on a read-only copy of the log, `mailer contact` of a
    journalist it had mailed said "Error: The delivery log ... failed: the file is read-only. ...
    Fix the cause (disk space, permissions, the database server)": it tried to write the send's
    parts first (review 19q #3). It shows her history, writing nothing, as `mailer status` does."""
    campaign_id = campaign_of(stopped_half_way(standin))
    left = rows_in_parts(db_url)
    assert left
    _read_only(tmp_path, standin, db_url)
    found = mailer("contact", "j1@paper1.example")
    assert found.exit_code == 0, found.output
    assert campaign_id in found.output and "accepted" in found.output, found.output
    assert rows_in_parts(db_url) == left


@pytest.mark.parametrize("reader", ["status", "report", "campaigns"])
def test_a_running_sends_part_written_while_its_counts_are_read_is_counted_once(
    reader: str, tmp_path: Path, standin: Any, db_url: str
) -> None:
    """While a send of 25,000 ran, `mailer status` (and `mailer report`'s summary, `mailer
    campaigns`) now and then read 'Recipients: 23,976 planned' of 25,000: a part the send wrote
    into the message table between the command's count of that table and its count of the parts
    was in neither. The counts are read as the log was at one moment (review 19r #2)."""
    from office_cli import planned_in_parts
    from sqlalchemy import event, func, select

    from mailer.reports import figures
    from mailer.send import status
    from mailer.store import connect, plan_parts
    from mailer.store.schema import plan_part

    campaign_id = planned_in_parts(tmp_path, db_url)  # its lease held by this process: a send under way
    engine, sender = connect(db_url), connect(db_url)
    written: list[int] = []

    def the_send_writes_a_part(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "plan_part" in statement and not written:  # between the two counts, as the send's next part goes in
            with sender.begin() as connection:
                part = connection.scalar(select(func.min(plan_part.c.part)))
                written.append(plan_parts.write(connection, campaign_id, part))

    event.listen(engine, "before_cursor_execute", the_send_writes_a_part)
    try:
        if reader == "status":
            planned = status.status(engine, campaign_id, rehearse=False).counts["planned"]
        elif reader == "report":
            planned = figures.summarize(engine, campaign_id).planned
        else:
            planned = figures.overview(engine)[0]["planned"]
    finally:
        engine.dispose()
        sender.dispose()
    assert written and written[0] > 0, "the test is about a part written meanwhile"
    assert planned == ROWS


@pytest.mark.sqlite_only
def test_a_recipients_report_on_a_read_only_log_says_whom_it_leaves_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """On a read-only copy of the log, `mailer report --kind recipients` of a send of 25,000
    stopped half-way listed some 11,000 journalists and said nothing: the rest waited in the plan's
    parts, which it could not write (newcomer 19 #4 writes them first). It says how many it leaves
    out, and why."""
    campaign_id = campaign_of(stopped_half_way(standin))
    left = rows_in_parts(db_url)
    _read_only(tmp_path, standin, db_url)
    report = mailer("report", campaign_id, "--kind", "recipients", "--format", "csv", "-o", "-")
    assert report.exit_code == 0, report.output
    assert len(report.stdout.splitlines()) - 1 == ROWS - left
    warning = " ".join(report.stderr.split())
    assert f"Warning: this list leaves out {left:,} journalists of the send's plan" in warning, warning
