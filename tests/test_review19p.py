"""Review 19p: a large plan kept in parts (issue 12) broken as a press officer and an attacker would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import mailer, office, planned_in_parts, whole_log

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


def test_suppressions_add_takes_a_journalist_let_through_by_name_out_of_a_plan_kept_in_parts(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A 25,000-journalist send let her through by name (--override-suppression); `mailer suppressions
    add` again, the newer word, found no row of hers (it waited in a part): she was mailed."""
    from mailer import compose, config
    from mailer.compose import release

    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG, batch_size=1000)
    standin.validate = False  # 25 requests of 1,000: the schema check would take most of the test
    her = "j20000@paper0.example"
    assert mailer("suppressions", "add", her, "--reason", "asked to stop").exit_code == 0
    rendered = compose.render(release.load(tmp_path / "releases" / "example.md"), config=config.load(tmp_path / "mailer.toml"))
    built = plan_module.build(rendered, contacts.load([tmp_path / "lists" / "beat.csv"]), batch_size=1000)
    engine = connect(db_url)
    try:
        recorded = delivery.record(
            engine, built, mode=Mode.LIVE, slug="parts", lists=["beat.csv"], filters={"override_suppression": [her]}, sender={}
        )
        assert recorded.parts is not None  # the test is about a plan kept in parts
    finally:
        engine.dispose()
    again = mailer("suppressions", "add", her, "--reason", "asked again")
    assert f"Also taken out of {recorded.campaign_id}" in " ".join(again.output.split()), again.output
    resumed = mailer("resume", recorded.campaign_id, "--yes")
    mailed = [to["email"] for r in standin.mail_sends for p in r.body["personalizations"] for to in p["to"]]
    assert len(mailed) == ROWS - 1, resumed.output
    assert her not in mailed, "she was mailed after the office suppressed her again"
    standin.validate = True


def test_mailer_campaigns_counts_the_journalists_whose_rows_wait_in_parts(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A send of 25,000 killed before its first request (or still writing its plan): `mailer
    campaigns` read "0/8,192 accepted, 8,192 planned" where `mailer status` read 25,000 planned."""
    import json

    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=BIG)
    planned_in_parts(tmp_path, db_url)
    table = " ".join(mailer("campaigns").output.split())
    assert "0/25,000 accepted, 25,000 planned" in table, table
    (row,) = json.loads(mailer("campaigns", "--json").output.split("\n", 1)[1])  # after the line naming the log
    assert (row["recipients"], row["planned"]) == (25_000, 25_000), row
