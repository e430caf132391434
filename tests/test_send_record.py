"""Writing a send's plan into the log and reporting it: multi-row INSERTs on SQLite, the progress total, the --json document, a resume racing the start (review 7).

Each test states a rule a user relies on; the findings of the review are fixed (each failed before its fix).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import example
from send_fixtures import ProgressBar, example_office, stopped_after_one_request
from sqlalchemy import Engine, Text, cast, select

from mailer import compose, contacts, send
from mailer.compose import release
from mailer.config import Config, SenderConfig
from mailer.models import Mode, Rendered
from mailer.send import plan
from mailer.store import connect, messages
from mailer.store.schema import message

ROOT = Path(__file__).parent.parent
LANGUAGES = ROOT / "tests" / "data" / "releases" / "languages"
NOW = datetime(2026, 2, 19, 10, 0, tzinfo=UTC)


def _versions(folder: Path) -> list[Rendered]:
    for name in ("launch.md", "launch.fr.md"):
        shutil.copy(LANGUAGES / name, folder / name)
    cfg = Config(sender=SenderConfig(postal_address="1 Hive Lane"))
    return list(compose.render_versions(release.load(folder / "launch.md"), config=cfg, now=datetime(2026, 2, 1, tzinfo=UTC)).values())


def _lists(folder: Path, *, ascii_only: bool) -> list[Path]:
    """Two messy list files: BOM and commas, then semicolons; invalid rows, duplicates within and
    across the files, quotes, backslashes, line breaks, non-ASCII, empty cells, a language column."""
    languages = ["fr", "de", "ja", "", "fr-CA", "EN"]
    first = ["\ufeffEmail,First Name,Last Name,Outlet,Language,Notes"]
    for n in range(3001):
        if n % 97 == 5:
            first.append(f"not an address {n},X,Y,Z,fr,")
            continue
        email = f"J{n}@Example.org" if n % 50 else f"j{n - 1}@example.org"  # every 50th repeats the one before
        note = '"say ""hi"" \\ now' + ("\nsecond line" if n % 13 == 0 else "") + '"'
        first.append(f"{email},Zoë{n},O'Brien,Le Monde {n},{languages[n % 6]},{note}")
    second = ["email;name;beat;language"]
    for n in range(2500):
        address = f"p{n}@press.example" if ascii_only or n % 7 else f"pé{n}@presse.example"
        if n % 211 == 3:
            address = f"j{n}@example.org"  # already in the first file
        second.append(f"{address};Ana {n} Müller;🐝 {'x' * (n % 40)};{languages[(n + 1) % 6]}")
    (folder / "a.csv").write_text("\n".join(first) + "\n", encoding="utf-8")
    (folder / "b.csv").write_text("\n".join(second) + "\n", encoding="utf-8")
    return [folder / "a.csv", folder / "b.csv"]


@contextmanager
def _executemany(monkeypatch: pytest.MonkeyPatch, use: bool) -> Iterator[None]:
    """With ``use``, the plan goes through executemany (what the log did before 561d980)."""
    with monkeypatch.context() as patch:
        if use:
            patch.setattr(messages, "_rows_per_statement", lambda connection, width: 0)
        yield


def _record(engine: Engine, built: plan.Plan, *, slug: str, bound_values: int | None = None) -> str:
    if bound_values is not None:
        from sqlalchemy import event

        def lower(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, bound_values)

        engine.dispose()
        event.listen(engine, "connect", lower)
    return send.record(engine, built, mode=Mode.LIVE, slug=slug, lists=["a.csv", "b.csv"], filters={}, sender={}, now=NOW).campaign_id


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    query = select(*(column for column in message.c if column.key != "fields"), cast(message.c.fields, Text)).order_by(message.c.id)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


@pytest.mark.parametrize("ascii_only", [True, False], ids=["by-columns", "row-by-row"])
@pytest.mark.parametrize("bound_values", [None, 44, 13], ids=["default", "3-rows", "1-row"])
def test_send_record_multi_row_plan_is_the_executemany_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ascii_only: bool, bound_values: int | None
) -> None:
    """Two list files, three language versions, rejected rows, duplicates, and rows skipped because an
    earlier campaign of the same content reached them (promise 8): the log written by multi-row
    INSERTs (any limit on bound values) is, column for column and row for row, the log executemany wrote."""
    versions = _versions(tmp_path)
    paths = _lists(tmp_path, ascii_only=ascii_only)
    loaded = contacts.load(paths)
    built = plan.build(versions[0], loaded, batch_size=100, versions=versions[1:])
    earlier = plan.build(versions[0], contacts.load(paths[1:]), batch_size=100, versions=versions[1:])
    logs = {}
    for name, old in (("executemany", True), ("multi-row", False)):
        engine = connect(f"sqlite:///{tmp_path / name}.db")
        with _executemany(monkeypatch, old):
            first = _record(engine, earlier, slug="earlier", bound_values=bound_values)
            second = _record(engine, built, slug="launch", bound_values=bound_values)
        logs[name] = _rows(engine)
        with engine.connect() as connection:
            received = messages.skipped_by_reason(connection, second).get("already received", 0)
        engine.dispose()
    assert logs["multi-row"] == logs["executemany"]
    assert len(logs["multi-row"]) == len(earlier.messages) + len(built.messages)
    assert received > 2000  # the rows the earlier campaign reached are skipped as received
    assert first != second


# -- the progress total and the counts a user sees ----------------------------------------------


@pytest.fixture
def office(tmp_path: Path, standin: Any) -> Config:
    """The example release and lists; requests of 10; the stand-in as SendGrid."""
    return example_office(tmp_path, standin.url, batch_size=10, concurrency=2)


def test_send_record_progress_total_is_what_goes_out_when_record_skips_at_the_last_moment(
    store: Engine, office: Config, standin: Any, tmp_path: Path
) -> None:
    """Planned over press.csv and a second list, then another send of the same content reaches
    press.csv first: the send skips those at ``record`` (promise 8), and its bar counts only the
    journalists of the second list; the outcome and ``mailer status`` count the same."""
    from mailer.send import campaign
    from mailer.send.status import status

    (tmp_path / "lists" / "extra.csv").write_text(
        "Email,First Name\n" + "".join(f"x{n}@extra.example,X{n}\n" for n in range(7)), encoding="utf-8"
    )
    environ = {"SENDGRID_API_KEY": standin.api_key}
    release_path = Path("releases/example.md")
    late = campaign.prepare_send(store, office, release_path, [Path("lists/press.csv"), Path("lists/extra.csv")])
    first = campaign.prepare_send(store, office, release_path, [Path("lists/press.csv")])
    campaign.start(store, office, first, environ=environ).outcome.check()
    bar = ProgressBar()
    warned: list[str] = []
    sent = campaign.start(store, office, late, environ=environ, progress=bar, warn=warned.append)
    sent.outcome.check()
    assert warned == ["41 journalists were skipped: another send of this same content reached them first."]
    assert bar.totals == [7] and bar.advanced == 7
    assert sent.outcome.counts["accepted"] == 7
    seen = status(store, sent.campaign_id)
    # status adds "cancelled" (none here: a cancelled send's messages never sent) to the log's states
    assert seen.counts == {**sent.outcome.counts, "cancelled": 0} and list(seen.errors) == list(sent.outcome.errors) == []


# -- a second terminal between ``record`` and ``run`` ------------------------------------------


def test_send_record_a_resume_between_record_and_run_never_mails_anyone_twice(store: Engine, standin: Any) -> None:
    """Promise 2 and 6: ``mailer send`` writes the campaign (``record``); before its ``run`` takes the
    lease, ``mailer resume ID`` in a second terminal (or a script resuming paused campaigns) takes it
    and sends everyone. The first process's run must then find nothing to send."""
    from send_fixtures import FakeSleep, config_for, contact_list, rendered, transport_for

    release_ = rendered()
    built = plan.build(release_, contact_list(12), batch_size=5)
    campaign_id = send.record(store, built, mode=Mode.LIVE, slug="bees", lists=["press.csv"], filters={}, sender={}).campaign_id
    config = config_for(standin.url)

    def run(**kwargs: Any) -> send.Outcome:
        return send.run(
            store,
            campaign_id,
            rendered=release_,
            transport=transport_for(standin, config),
            pacing=send.Pacing(concurrency=1),
            sleep=FakeSleep(),
            jitter=lambda: 0.5,
            **kwargs,
        )

    assert run().counts["accepted"] == 12  # the resume in the second terminal
    run(plan=built)  # the first process goes on with the plan it wrote
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


# -- Ctrl-C in the middle of the plan's multi-row INSERTs --------------------------------------


def test_send_record_ctrl_c_between_multi_row_inserts_leaves_nothing_and_the_next_send_works(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Promise 1, one transaction: a KeyboardInterrupt after the plan's first multi-row INSERTs leaves
    no campaign, no archive and no message row; the log is not locked, and the same send then
    writes the whole plan under the same campaign id."""
    from send_fixtures import contact_list, rendered

    if store.dialect.name != "sqlite":
        pytest.skip("the multi-row INSERTs are SQLite's")
    built = plan.build(rendered(), contact_list(9_000), batch_size=100)
    calls = {"n": 0}
    real = messages._ManyRows.add

    def interrupted(self: Any, columns: Any, count: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # after the first block's four statements
            raise KeyboardInterrupt
        real(self, columns, count)

    def record() -> str:
        return send.record(store, built, mode=Mode.LIVE, slug="bees", lists=["press.csv"], filters={}, sender={}, now=NOW).campaign_id

    monkeypatch.setattr(messages._ManyRows, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        record()
    with store.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM campaign").scalar() == 0
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar() == 0
    monkeypatch.setattr(messages._ManyRows, "add", real)
    campaign_id = record()
    assert campaign_id == "2026-02-19-bees"
    with store.connect() as connection:
        keys = list(connection.execute(select(message.c.message_key).order_by(message.c.id)).scalars())
    assert keys == [m.message_key for m in built.messages]


# -- memory: one prepared statement per distinct row count ----------------------------------------


def test_send_record_plan_over_many_list_files_prepares_few_insert_statements(tmp_path: Path) -> None:
    """Memory stays flat whatever the number of list files (DESIGN, Scale): a plan over 30 list files
    of different lengths is written through a bounded number of distinct INSERT statements (at most
    12: say the full multi-row one and powers of two for a tail, or one tail), not one per file."""
    from send_fixtures import rendered
    from sqlalchemy import event

    paths = []
    for k in range(30):
        path = tmp_path / f"beat{k}.csv"
        path.write_text("Email,First Name\n" + "".join(f"j{n}@b{k}.example,Jo\n" for n in range(100 + 7 * k)), encoding="utf-8")
        paths.append(path)
    engine = connect(f"sqlite:///{tmp_path / 'log.db'}")
    shapes: set[str] = set()

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO message "):
            shapes.add(statement)

    event.listen(engine, "before_cursor_execute", note)
    built = plan.build(rendered(), contacts.load(paths), batch_size=100)
    send.record(engine, built, mode=Mode.LIVE, slug="beats", lists=[str(p) for p in paths], filters={}, sender={}, now=NOW)
    engine.dispose()
    assert len(shapes) <= 12, f"{len(shapes)} distinct INSERT statements for one plan"


# -- a list file whose name is not UTF-8 ------------------------------------------------------------


def test_send_record_list_file_name_not_in_utf8_is_no_traceback(tmp_path: Path, db_url: str) -> None:
    """A list unpacked from a Windows zip keeps its Latin-1 name (b"presse-\\xe9.csv"): its rows are
    fine, so the dry run goes through and the log names the file readably (or the command says what
    to rename); never a traceback."""
    import os

    from click.testing import CliRunner

    from mailer.cli import main

    for folder in ("releases", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    with open(os.fsencode(tmp_path) + b"/presse-\xe9.csv", "wb") as handle:
        handle.write(b"Email,First Name\nana@example.org,Ana\n")
    name = os.fsdecode(b"presse-\xe9.csv")
    result = CliRunner().invoke(main, ["send", "releases/example.md", "--list", name, "--dry-run"])
    assert not isinstance(result.exception, UnicodeError), result.exception
    assert result.exit_code == 0, result.output
    engine = connect(db_url)
    with engine.connect() as connection:
        sources = list(connection.execute(select(message.c.source)).scalars())
    engine.dispose()
    assert sources == ["presse-\\xe9.csv:2"]


def test_send_record_release_file_name_not_in_utf8_is_refused_in_plain_words(tmp_path: Path, db_url: str) -> None:
    """A release whose file name is not UTF-8 cannot be kept in the log by its name (a resume reads
    it again by that name): the command says so and what to do, exit 1, no traceback, nothing written."""
    import os

    from click.testing import CliRunner

    from mailer.cli import main

    for folder in ("releases", "templates", "lists"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    shutil.copy(tmp_path / "releases" / "example.md", os.fsencode(tmp_path) + b"/releases/nouvelle-\xe9.md")
    name = os.fsdecode(b"releases/nouvelle-\xe9.md")
    result = CliRunner().invoke(main, ["send", name, "--list", "lists/press.csv", "--dry-run"])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, UnicodeError), result.exception
    assert "releases/nouvelle-\\xe9.md: the file's name (or a folder's) is not UTF-8 text" in result.output
    assert "Rename the file or folder" in result.output
    engine = connect(db_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM campaign").scalar() == 0
    engine.dispose()


# -- the --json document of a send that record narrowed at the last moment ---------------------------


def test_send_record_json_recipients_and_skipped_are_what_the_log_holds(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another send of the same content reaches beat.csv between this send's plan and its log write
    (two hosts, one log): ``record`` skips those journalists (promise 8). The --json document then
    says what this campaign planned and skipped, as ``mailer status`` and its own counts do:
    recipients 1 (the new list's), skipped "already received" 5."""
    import json

    from press_office import folder, mailer

    from mailer.send import plan as plan_module

    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "extra.csv").write_text("Email,First Name\nzed@new.example,Zed\n", encoding="utf-8")
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes")
    assert first.exit_code == 0, first.output
    # The plan of the second send does not see the first (it was made before the first was logged);
    # record, which looks again under the lock on new campaigns, does.
    monkeypatch.setattr(plan_module, "skip_received", lambda the_plan, received, waiting=(), scheduled=None: (the_plan, 0))
    second = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--list", "lists/extra.csv", "--yes", "--json")
    assert second.exit_code == 0, second.output
    document = json.loads(second.stdout)
    assert document["counts"]["accepted"] == 1 and document["counts"]["skipped"] == 6
    assert (document["recipients"], document["skipped"].get("already received")) == (1, 5)


# -- IntegrityError inside the plan's write ------------------------------------------------------


def test_send_record_campaign_id_taken_meanwhile_is_retried_and_the_plan_written_once(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process took the id ``record`` picked (the IntegrityError retry in ``delivery.record``):
    the next attempt writes the campaign under the next id, every row once, in list order."""
    from send_fixtures import contact_list, rendered

    from mailer.store import campaigns

    built = plan.build(rendered(), contact_list(5_000), batch_size=100)
    first = send.record(
        store,
        plan.build(rendered(), contact_list(3, domain="o.example")),
        mode=Mode.LIVE,
        slug="bees",
        lists=[],
        filters={},
        sender={},
        now=NOW,
    ).campaign_id
    real = campaigns.new_id
    calls = {"n": 0}

    def stale(connection: Any, *, day: Any, slug: str) -> str:
        calls["n"] += 1
        return first if calls["n"] == 1 else real(connection, day=day, slug=slug)

    monkeypatch.setattr(campaigns, "new_id", stale)
    campaign_id = send.record(store, built, mode=Mode.LIVE, slug="bees", lists=[], filters={}, sender={}, now=NOW).campaign_id
    assert calls["n"] == 2 and campaign_id == first + "-2"
    with store.connect() as connection:
        keys = list(
            connection.execute(select(message.c.message_key).where(message.c.campaign_id == campaign_id).order_by(message.c.id)).scalars()
        )
        assert connection.execute(select(message.c.id).where(message.c.campaign_id == first)).all().__len__() == 3
    assert keys == [m.message_key for m in built.messages]


def test_send_record_unique_address_violation_in_a_later_statement_writes_nothing(store: Engine) -> None:
    """A plan (built by a script) that plans one address twice, 3,000 rows apart (another multi-row
    statement): the unique index refuses it, ``record`` raises IntegrityError as it did through
    executemany, and the log holds no campaign and no row."""
    from dataclasses import replace

    from send_fixtures import contact, rendered
    from sqlalchemy.exc import IntegrityError

    from mailer.models import ContactList

    people = [contact(f"j{n}@example.org", n + 2) for n in range(4_000)] + [contact("J7@Example.org", 4_002)]
    built = plan.build(rendered(), ContactList(tuple(people), (), ()), batch_size=100)
    assert built.skips  # build skipped the duplicate; the script undoes that
    forced = replace(built, request_of=[number if number != plan.SKIPPED else 1 for number in built.request_of], skips={})
    with pytest.raises(IntegrityError):
        send.record(store, forced, mode=Mode.LIVE, slug="bees", lists=[], filters={}, sender={}, now=NOW)
    with store.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM campaign").scalar() == 0
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar() == 0


def test_send_record_resume_bar_total_leaves_out_the_rows_a_crash_left_in_flight(store: Engine, office: Config, standin: Any) -> None:
    """A send stopped (SendGrid went away) with part of it planned, and a crash left one of its planned requests
    listed in flight: ``mailer resume`` marks that request's 10 rows unknown (never resent) and sends the
    rest; its bar's total is what it sends."""
    from mailer.send import campaign
    from mailer.store.schema import campaign as campaign_table

    environ = {"SENDGRID_API_KEY": standin.api_key}
    campaign_id = stopped_after_one_request(store, office, standin)
    with store.begin() as connection:
        left = connection.execute(
            select(message.c.request_no).where(message.c.state == "planned").order_by(message.c.request_no).limit(1)
        ).scalar_one()
        connection.execute(campaign_table.update().values(in_flight=[left]))  # listed in flight when it crashed
        before = messages.counts(connection, campaign_id)
    bar = ProgressBar()
    sent = campaign.resume(store, office, campaign_id, environ=environ, progress=bar)
    assert sent.outcome.counts["unknown"] == 10 and sent.outcome.counts["planned"] == 0
    went_out = sent.outcome.counts["accepted"] - before["accepted"]
    assert bar.advanced == went_out == before["planned"] - 10
    assert bar.totals == [went_out]
