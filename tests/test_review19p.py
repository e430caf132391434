"""Review 19p: a large plan kept in parts (issue 12) broken as a press officer and an attacker would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import mailer, office, whole_log

from mailer import contacts
from mailer.models import Mode
from mailer.send import delivery
from mailer.send import plan as plan_module
from mailer.store import connect

ROWS = 25_000  # over delivery.IN_PARTS_FROM: kept in parts
BIG = "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@paper{i % 50}.example,Jo{i},Doe{i},Paper {i % 7}\n" for i in range(ROWS))


def test_a_journalist_forgotten_while_the_send_question_waited_leaves_nothing_of_hers_in_a_part(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """`mailer forget` while a 25,000-journalist send's question waited: her row, far down the list,
    was kept in a part and written later with her name and outlet (review 13 #1 blanked only the
    rows written at once)."""
    from send_fixtures import example_rendered

    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG)
    her = "j20000@paper0.example"
    forgot = mailer("forget", her, "--yes")
    assert forgot.exit_code == 0, forgot.output
    built = plan_module.build(example_rendered(), contacts.load([tmp_path / "lists" / "beat.csv"]))
    engine = connect(db_url)
    try:
        recorded = delivery.record(
            engine, built, mode=Mode.LIVE, slug="parts", lists=["beat.csv"], filters={}, sender={}, suppressions_seen=frozenset()
        )
        assert recorded.suppressed_now == 1
        if recorded.parts is not None:  # the run writes them
            recorded.parts.finish()
    finally:
        engine.dispose()
    log = whole_log(db_url)
    assert "Doe20000" not in log, "the forgotten journalist's name was written into the log from a part"
