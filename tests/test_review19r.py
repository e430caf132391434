"""Review 19r: a large send's plan kept in parts (store/plan_parts.py) as the read commands
(status, report, contact) see it, on a log the user may only read and while a send runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailer, office, rows_in_parts, write_config

ROWS = 25_000  # over delivery.IN_PARTS_FROM: the plan is kept in parts
BIG = "Email,First Name,Last Name\n" + "".join(f"j{i}@paper{i % 50}.example,Jo{i},Doe\n" for i in range(ROWS))


@pytest.fixture(autouse=True)
def _in_office(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000, sendgrid="retries = 0\nconcurrency = 1\n")
    standin.validate = False  # requests of 1,000: the schema check would take most of the test
    yield
    standin.validate = True


def _stopped_half_way(standin: Any) -> str:
    """`mailer send` of the big list, SendGrid answering 503 from its third request on: the campaign's id."""
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1, stopped.output
    return campaign_of(stopped)


def _read_only(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office's mailer.toml pointed at its log opened read-only (a copy on a read-only share)."""
    write_config(tmp_path, standin, f"sqlite:///file:{db_url.removeprefix('sqlite:///')}?mode=ro&uri=true", batch_size=1000)


@pytest.mark.sqlite_only
def test_contact_on_a_read_only_log_after_a_large_send_stopped_half_way(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send of 25,000 stopped half-way; on a read-only copy of the log, `mailer contact` of a
    journalist it had mailed said "Error: The delivery log ... failed: the file is read-only. ...
    Fix the cause (disk space, permissions, the database server)": it tried to write the send's
    parts first (review 19q #3). It shows her history, writing nothing, as `mailer status` does."""
    campaign_id = _stopped_half_way(standin)
    left = rows_in_parts(db_url)
    assert left
    _read_only(tmp_path, standin, db_url)
    found = mailer("contact", "j1@paper1.example")
    assert found.exit_code == 0, found.output
    assert campaign_id in found.output and "accepted" in found.output, found.output
    assert rows_in_parts(db_url) == left
