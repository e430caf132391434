"""Newcomer trial 16py: a programmer at a press office drives mailer from their own scripts.

With README's "Using it from Python" and the docstrings in hand she loads and filters lists,
previews, plans and runs dry-run, test and live sends (SendGrid is the local stand-in), reads
status and reports, imports events and edits suppressions, and asks of each call whether it works
as documented and fails with one of mailer's own errors. Each test is a finding (each failed
before its fix, session 16).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from mailer import config, contacts, errors
from mailer.send import campaign
from mailer.store import connect as open_log

KEY = "SG.newcomer16py-key.secret"


def office_config(standin: Any, db_url: str) -> config.Config:
    """config.example.toml pointed at the stand-in and the test's log, as README's live-send block does."""
    base = config.load(Path(__file__).parent.parent / "config.example.toml")
    return base.model_copy(
        update={
            "sendgrid": base.sendgrid.model_copy(update={"api_url": standin.url}),
            "database": base.database.model_copy(update={"url": db_url}),
            "lists": base.lists.model_copy(update={"staff": Path("lists/staff.csv")}),
        }
    )


def live_send(engine: Engine, cfg: config.Config) -> str:
    """README's live send of the example release to lists/press.csv: the campaign id."""
    prepared = campaign.prepare_send(engine, cfg, Path("releases/example.md"), [Path("lists/press.csv")])
    sent = campaign.start(engine, cfg, prepared, environ={"SENDGRID_API_KEY": KEY})
    sent.outcome.check()
    return sent.campaign_id


# -- 1. README's contact history call fails, and a capitalised address finds no sending -----------


def test_contact_history_as_readme_writes_it(project: Path, standin: Any, store: Engine, db_url: str) -> None:
    """README: `mailer.reports.contact.history(engine, key)`, "with the key from
    mailer.contacts.addresses.typed_key(text)". typed_key gives (key, why), which history passed to
    the database (sqlite3.ProgrammingError traceback); an address typed with capitals, as `mailer
    contact Li.Wei@Example.org` takes it, found the suppression but none of the sends. history
    takes the address as typed, as the command does, and a wrong type is a ReportError."""
    from mailer.reports import contact

    standin.api_key = KEY
    campaign_id = live_send(store, office_config(standin, db_url))
    found = contact.history(store, "Li.Wei@Example.org")
    assert found.address == "li.wei@example.org"
    assert [s.campaign_id for s in found.sendings] == [campaign_id]
    assert contact.history(store, " Li Wei <LI.WEI@example.org> ").sendings == found.sendings
    from mailer.contacts.addresses import typed_key

    with pytest.raises(errors.ReportError) as caught:
        contact.history(store, typed_key("li.wei@example.org"))  # type: ignore[arg-type]
    assert "address as text" in str(caught.value)


# -- 2. one list given as a path alone, not in a list ---------------------------------------------


def test_one_list_path_alone_is_that_list(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """`contacts.load("lists/press.csv")` (the README's call without its brackets) said "15 of the
    lists cannot be used: l: no such file ... i: no such file ...", one line per letter, and
    `contacts.load(Path(...))` or `prepare_send(..., Path("lists/press.csv"))` stopped with
    TypeError: 'PosixPath' object is not iterable. One path alone is that one list; anything
    that is no path is a ListError saying what to give."""
    expected = len(contacts.load(["lists/press.csv"]).contacts)
    assert len(contacts.load("lists/press.csv").contacts) == expected
    assert len(contacts.load(Path("lists/press.csv")).contacts) == expected
    assert contacts.check(Path("lists/press.csv")).files[0].valid == expected
    assert contacts.find("lists/press.csv", "LI.WEI@example.org").email == "li.wei@example.org"
    prepared = campaign.prepare_send(
        store, office_config(standin, db_url), Path("releases/example.md"), Path("lists/press.csv"), dry_run=True
    )
    assert len(prepared.plan.recipients) == expected
    for wrong in ([3], 3, [None]):
        with pytest.raises(errors.ListError) as caught:
            contacts.load(wrong)  # type: ignore[arg-type]
        assert "is not a list file name" in caught.value.message
        assert 'for example ["lists/press.csv"]' in str(caught.value.hint)


# -- 3. a file named as text, as README's own contacts.load and release.load take it ---------------


def test_paths_as_text_work_everywhere(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """README passes paths as text to contacts.load and release.load, so a script does the same
    elsewhere: config.load("config.example.toml") stopped with AttributeError: 'str' object has no
    attribute 'is_dir', campaign.prepare_send(engine, cfg, "releases/example.md", ...) and
    prepare_test with "... has no attribute 'resolve'", events.read_file("events.json") with
    "... 'open'", reports.export(..., path="out/opens.csv") with "... 'name'" and
    reports.export_overview(engine, "out/overview.html") with "... 'is_dir'". Each takes text too."""
    from mailer import events, reports

    root = Path(__file__).parent.parent
    assert config.load(str(root / "config.example.toml")).sender.from_email
    standin.api_key = KEY
    cfg = office_config(standin, db_url)
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", ["lists/press.csv"])
    campaign_id = campaign.start(store, cfg, prepared, environ={"SENDGRID_API_KEY": KEY}).campaign_id
    assert campaign.prepare_test(store, cfg, "releases/example.md", dry_run=True).plan.recipients
    bounce = {"email": "li.wei@example.org", "event": "bounce", "timestamp": int(time.time()) + 5, "sg_event_id": "e1", "type": "bounce"}
    Path("events.json").write_text(json.dumps([bounce]), encoding="utf-8")
    batch = events.read_file("events.json")
    assert events.apply(store, batch.events, source="import", block_threshold=3).suppressed == 1
    reports.export(store, campaign_id, kind="bounces", fmt="csv", path="out/bounces.csv")
    assert "li.wei@example.org" in Path("out/bounces.csv").read_text(encoding="utf-8")
    assert reports.export_overview(store, "out/overview.html").shown == 1
    assert Path("out/overview.html").is_file()


# -- 4. README: mailer.send.show.show "returns the .eml bytes" ------------------------------------


def test_show_returns_what_readme_says(live: Path, standin: Any, store: Engine) -> None:
    """README said `mailer.send.show.show(engine, campaign_id, contact=...)` "returns the .eml
    bytes"; it returns a Shown, so `Path("x.eml").write_bytes(show(...))` raised TypeError.
    README names the Shown and its parts, and `.eml` is byte for byte what `mailer show -o` writes."""
    from click.testing import CliRunner

    from mailer.cli import main
    from mailer.send import show

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    said = readme[readme.index("In Python: `mailer.send.show.show(") :].split("\n\n")[0]
    ran = CliRunner().invoke(
        main,
        ["send", "releases/example.md", "--list", "lists/press.csv", "--yes", "--no-test-ok"],
        env={"SENDGRID_API_KEY": standin.api_key},
    )
    assert ran.exit_code == 0, ran.output
    campaign_id = reports_campaign(store)
    shown = show.show(store, campaign_id, contact="li.wei@example.org")
    assert f"returns a `{type(shown).__name__}`" in said
    for part in ("`.eml`", "`.parsed()`", "`.html_page()`"):
        assert part in said
    written = CliRunner().invoke(main, ["show", campaign_id, "--contact", "li.wei@example.org", "-o", "out/li.eml"])
    assert written.exit_code == 0, written.output
    assert Path("out/li.eml").read_bytes() == shown.eml


def reports_campaign(engine: Engine) -> str:
    """The id of the only campaign in the log, as `mailer campaigns` lists it."""
    from mailer import reports

    (only,) = reports.overview(engine)
    return str(only["id"])


# -- 5. suppressions added and lifted from a script ----------------------------------------------


def test_suppressions_add_and_remove_from_python_keep_the_commands_rules(tmp_path: Path, store: Engine, standin: Any) -> None:
    """README: "a script can do exactly what the command line does, with the same rules
    (suppressions ...)", but `mailer suppressions add` and `remove` had no library call: their rules
    lived in the command, so a script writing store.suppressions.add itself left the journalist in
    a stopped send that let her through by name (a resume mailed her after she said no), and
    store.suppressions.remove lifted a `mailer forget` record. mailer.events.suppressions.add and
    .remove keep the commands' rules and give what the commands print."""
    from send_fixtures import example_office, only_campaign_id

    from mailer.events import suppressions
    from mailer.send import status

    office = example_office(tmp_path, standin.url, batch_size=10, concurrency=1)
    suppressions.add(store, ["li.wei@example.org"], note="bounced last spring")
    prepared = campaign.prepare_send(store, office, "releases/example.md", "lists/press.csv", overrides=["li.wei@example.org"])
    standin.answer(503, times=1_000)  # SendGrid away: the send stops with everyone planned
    with pytest.raises(errors.SendError):
        campaign.start(store, office, prepared, environ={"SENDGRID_API_KEY": standin.api_key})
    standin.reset()
    campaign_id = only_campaign_id(store)
    done = suppressions.add(store, ["Li Wei <LI.WEI@example.org>", "new@example.org"], note="phoned: no more")
    assert (done.added, done.already, dict(done.taken_out)) == (1, 1, {campaign_id: 1})
    assert status.status(store, campaign_id).counts["planned"] == 40  # she is no longer among those a resume mails

    (lifted,) = suppressions.remove(store, ["LI.WEI@example.org"], note="asked back in")
    assert (lifted.address, [str(s.reason) for s in lifted.lifted], lifted.still) == ("li.wei@example.org", ["manual"], None)
    from mailer import forget

    forget.forget(store, "new@example.org")
    with pytest.raises(errors.MailerError) as caught:
        suppressions.remove(store, ["new@example.org"], note="cleaning up")
    assert "asked to be forgotten" in caught.value.message
    with pytest.raises(errors.MailerError) as caught:
        suppressions.add(store, ["not an address", 3], note="x")  # type: ignore[list-item]
    assert "Not an email address" in caught.value.message


# -- 6. a test send's `to` unchecked by the library ----------------------------------------------


def test_test_send_to_is_checked_as_the_command_checks_it(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """`mailer test --to "not an address"` is refused, but campaign.prepare_test(..., to=["not an
    address"]) planned a proof to it and prepared.check() passed (SendGrid's 400 came at the send),
    and to="boss@example.org" (one address, no brackets) planned 13 one-letter "addresses"
    b, o, s, @, ... Each `to` is checked as the command checks it (SendError naming it, nothing
    sent), and one address alone is that address."""
    standin.api_key = KEY
    cfg = office_config(standin, db_url)
    prepared = campaign.prepare_test(store, cfg, "releases/example.md", to="Boss@Example.org")
    assert [m.email for m in prepared.plan.recipients] == ["Boss@example.org"]
    sent = campaign.start(store, cfg, prepared, environ={"SENDGRID_API_KEY": KEY})
    assert sent.outcome.counts["accepted"] == 1
    before = len(standin.mail_sends)
    for wrong in (["not an address"], ["boss@example.org", "jane@@example.org"]):
        with pytest.raises(errors.SendError) as caught:
            campaign.prepare_test(store, cfg, "releases/example.md", to=wrong)
        assert caught.value.message.startswith("Not an email address to test-send to: '")
        assert "Nothing was sent." in caught.value.message
    assert len(standin.mail_sends) == before


# -- 7. one --where, --tag or override given as text, not in a list -------------------------------


def test_one_filter_or_override_as_text_is_not_its_letters(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """contacts.parse_filter(where, tags) and prepare_send(where=..., tags=..., overrides=...) take
    sequences; given one as text, as a script writes it, tags="health" became the tags h, e, a, l,
    t and the dry run planned nobody, silently ("Nobody to send to: --where/--tag matched none");
    where="beat=health" said '--where "b" is not a filter'; overrides="li.wei@example.org" let
    nobody through. One expression, tag or address alone is itself, and the log names it whole."""
    from mailer.send import status

    press = contacts.load("lists/press.csv")
    by_list = contacts.apply_filter(press, contacts.parse_filter(["beat=health"], ["health"]))
    alone = contacts.apply_filter(press, contacts.parse_filter("beat=health", "health"))
    assert [c.email for c in alone.contacts] == [c.email for c in by_list.contacts] != []
    assert len(contacts.apply_filter(press, contacts.parse_filter(tags="science")).contacts) > 0
    cfg = office_config(standin, db_url)
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", tags="health", dry_run=True)
    assert len(prepared.plan.recipients) == len(contacts.apply_filter(press, contacts.parse_filter([], ["health"])).contacts) > 0
    sent = campaign.start(store, cfg, prepared, environ={})
    assert status.status(store, sent.campaign_id).campaign.filters["tag"] == ["health"]

    from mailer.events import suppressions

    suppressions.add(store, ["li.wei@example.org"], note="bounced")
    let_through = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", overrides="li.wei@example.org", dry_run=True)
    assert "li.wei@example.org" in [m.email for m in let_through.plan.recipients]


# -- 8. the log failing under a script: SQLAlchemy's traceback, not mailer's words ---------------


def test_log_failing_under_a_library_call_is_a_store_error(
    database: str, project: Path, db_url: str, standin: Any, postgres_admin_if_any: Any
) -> None:
    """A script keeps its engine open for a day; the PostgreSQL server restarts (or, on SQLite, a
    sync tool puts another file in the log's place). `mailer status` then says "The delivery log
    ... failed: the connection to the database server was lost. ...", but status.status(engine, id),
    reports.summarize, reports.overview and campaign.prepare_send raised psycopg's (or sqlite3's)
    OperationalError with its SQL. They raise StoreError with the command's words, the password never shown."""
    from sqlalchemy import text

    from mailer import reports
    from mailer.send import status

    engine = open_log(db_url)
    try:
        standin.api_key = KEY
        cfg = office_config(standin, db_url)
        campaign_id = live_send(engine, cfg)
        assert status.status(engine, campaign_id).counts["accepted"] == 41
        if database == "postgresql":
            name = engine.url.query["application_name"]
            with postgres_admin_if_any.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"), {"name": name}
                )
        else:
            engine.dispose()
            Path(engine.url.database or "").write_bytes(b"not a database " * 1000)
        calls = (
            lambda: status.status(engine, campaign_id),
            lambda: reports.summarize(engine, campaign_id),
            lambda: reports.overview(engine),
            lambda: campaign.prepare_send(engine, cfg, "releases/example.md", "lists/press.csv", dry_run=True),
        )
        failed: list[errors.StoreError] = []
        for call in calls:
            try:
                call()
            except errors.StoreError as exc:
                failed.append(exc)
            else:
                assert database == "postgresql"  # the first call after the loss finds it; the pool then reconnects
        assert len(failed) == (1 if database == "postgresql" else len(calls))
        for exc in failed:
            assert exc.message.startswith("The delivery log ")
            assert " failed: " in exc.message
            assert "SELECT" not in str(exc)
            assert "Fix the cause" in str(exc.hint)
    finally:
        engine.dispose()


@pytest.fixture
def postgres_admin_if_any(database: str, request: pytest.FixtureRequest) -> Any:
    """The session's PostgreSQL admin engine when the test runs on PostgreSQL, else None."""
    return request.getfixturevalue("postgres_admin") if database == "postgresql" else None


# -- 9. the wrong kind of argument: AttributeError from deep inside ------------------------------


def test_wrong_kind_of_argument_says_what_to_give(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """The log's URL given for the engine (prepare_send("sqlite:///out/mailer.db", ...)) stopped
    with AttributeError: 'str' object has no attribute 'connect'; config=None with "'NoneType'
    object has no attribute 'compose'"; campaign.start(..., environ=None) with "... has no
    attribute 'get'"; status.status(engine, None) with "... 'strip'". Each is a MailerError naming
    the argument and what to give, and a URL given for the engine is never shown (it may hold a
    password)."""
    from mailer import reports
    from mailer.send import status

    cfg = office_config(standin, db_url)
    url = "postgresql+psycopg://press:s3cret-pw@db.example.org/mailer"
    with pytest.raises(errors.StoreError) as caught:
        campaign.prepare_send(url, cfg, "releases/example.md", "lists/press.csv")  # type: ignore[arg-type]
    assert caught.value.message == "prepare_send(): engine must be the delivery log's Engine, not a str."
    assert "store.connect(" in str(caught.value.hint) and "s3cret" not in str(caught.value)
    with pytest.raises(errors.ConfigError, match=r"^prepare_send\(\): config must be a mailer.config.Config"):
        campaign.prepare_send(store, None, "releases/example.md", "lists/press.csv")  # type: ignore[arg-type]
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", dry_run=True)
    with pytest.raises(errors.ConfigError, match=r"^start\(\): environ must be a mapping"):
        campaign.start(store, cfg, prepared, environ=None)  # type: ignore[arg-type]
    with pytest.raises(errors.MailerError, match=r"^status\(\): campaign_id must be text"):
        status.status(store, None)  # type: ignore[arg-type]
    with pytest.raises(errors.StoreError, match=r"^summarize\(\): engine must be"):
        reports.summarize("sqlite:///out/mailer.db", "2026-12-01-example")  # type: ignore[arg-type]
    assert reports.overview(store) == []  # nothing was written by the refused calls


# -- 10. docstrings of README's calls that do not say what they raise ---------------------------


def test_readme_calls_docstrings_name_the_errors_they_raise(project: Path, store: Engine) -> None:
    """STYLE: public docstrings give errors. help(contacts.apply_filter), release.load,
    compose.render, status.status, reports.summarize and reports.table named none, and
    campaign.prepare_send said only "raises for unreadable input"; a script author could not tell
    what to catch. Each raises one of mailer's errors for a foreseeable mistake, and its docstring
    names that error."""
    from mailer import compose, reports
    from mailer.compose import release
    from mailer.send import status

    cfg = config.load(Path(__file__).parent.parent / "config.example.toml")
    Path("releases/no-template.md").write_text("---\nsubject: Hi\nheadline: Hi\ntemplate: nope\n---\nHello\n", encoding="utf-8")
    press = contacts.load("lists/press.csv")
    cases: list[tuple[Any, Any, type[errors.MailerError]]] = [
        (contacts.apply_filter, lambda: contacts.apply_filter(press, contacts.parse_filter("beet=health")), errors.ListError),
        (release.load, lambda: release.load("releases/nope.md"), errors.ReleaseError),
        (compose.render, lambda: compose.render(release.load("releases/no-template.md"), config=cfg), errors.TemplateError),
        (campaign.prepare_send, lambda: campaign.prepare_send(store, cfg, "releases/example.md", "lists/nope.csv"), errors.ListError),
        (campaign.prepare_send, lambda: campaign.prepare_send(store, cfg, "releases/nope.md", "lists/press.csv"), errors.ReleaseError),
        (status.status, lambda: status.status(store, "2026-01-01-nope"), errors.SendError),
        (reports.summarize, lambda: reports.summarize(store, "2026-01-01-nope"), errors.ReportError),
        (reports.table, lambda: reports.table(store, "2026-01-01-nope", "opens"), errors.ReportError),
    ]
    for function, call, error in cases:
        with pytest.raises(error):
            call()
        assert error.__name__ in (function.__doc__ or ""), f"{function.__qualname__}'s docstring does not name {error.__name__}"


# -- 11. template: named by its file ------------------------------------------------------------


def test_template_named_by_its_file_is_that_template(project: Path) -> None:
    """The templates folder shows release.html.j2, release.txt.j2 and release.css, so a release
    said `template: release.html.j2`; compose.render (and mailer preview) refused it: 'template
    "release.html.j2" not found (looked for release.html.j2.html.j2 ...)'. A file name with the
    template's suffix names that template."""
    from mailer import compose
    from mailer.compose import release

    cfg = config.load(Path(__file__).parent.parent / "config.example.toml")
    body = "---\nsubject: Hives\nheadline: Hives\ntemplate: {}\n---\nHello\n"
    plain = Path("releases/plain.md")
    plain.write_text(body.format("release"), encoding="utf-8")
    expected = compose.render(release.load(plain), config=cfg).html
    for written in ("release.html.j2", "release.txt.j2", "release.css", "release.html"):
        named = Path("releases/named.md")
        named.write_text(body.format(written), encoding="utf-8")
        assert compose.render(release.load(named), config=cfg).html == expected, written
    Path("releases/missing.md").write_text(body.format("mine.html.j2"), encoding="utf-8")
    with pytest.raises(errors.TemplateError, match=r'template "mine" not found \(looked for mine.html.j2 in '):
        compose.render(release.load("releases/missing.md"), config=cfg)


# -- 12. one address or campaign id as text, read as its letters: an empty answer ---------------


def test_one_address_or_id_alone_is_not_its_letters(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """README: `held_at_sendgrid(engine, addresses)` lists the scheduled sends SendGrid holds for
    them, `headline_figures(engine, ids)` gives `mailer campaigns`' figures. Given one address or
    id as text they went through its letters and answered [] and {}: "SendGrid holds nothing for
    her", while it held her email for tomorrow. One alone is itself; an address is read as typed."""
    from datetime import UTC, datetime, timedelta

    from mailer import reports
    from mailer.send import status

    standin.api_key = KEY
    cfg = office_config(standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", at=f"{at:%Y-%m-%d %H:%M} UTC")
    campaign_id = campaign.start(store, cfg, prepared, environ={"SENDGRID_API_KEY": KEY}).campaign_id
    listed = [held.campaign_id for held in status.held_at_sendgrid(store, ["li.wei@example.org"])]
    assert listed == [campaign_id]
    assert [held.campaign_id for held in status.held_at_sendgrid(store, "li.wei@example.org")] == listed
    assert [held.campaign_id for held in status.held_at_sendgrid(store, ["Li Wei <LI.WEI@example.org>"])] == listed
    assert reports.headline_figures(store, campaign_id) == reports.headline_figures(store, [campaign_id]) != {}


# -- 13. README's own objects passed whole -------------------------------------------------------


def test_readme_objects_passed_whole(project: Path, store: Engine) -> None:
    """A script passes what the previous call returned: compose.personalize(rendered,
    press.contacts[0]) (the Contact, not its .fields) stopped with AttributeError: 'Contact' object
    has no attribute 'get'; events.apply(engine, events.read_file(path), ...) (the Batch, not its
    .events) with TypeError: object of type 'Batch' has no len(); compose.render("releases/x.md",
    ...) with "'str' object has no attribute 'template'". The Contact and the Batch are taken whole;
    a path for render is a ReleaseError saying to load it first."""
    from mailer import compose, events
    from mailer.compose import release

    cfg = config.load(Path(__file__).parent.parent / "config.example.toml")
    press = contacts.load("lists/press.csv")
    rendered = compose.render(release.load("releases/example.md"), config=cfg)
    assert compose.personalize(rendered, press.contacts[1]) == compose.personalize(rendered, press.contacts[1].fields)
    Path("events.ndjson").write_text(
        '{"email": "li.wei@example.org", "event": "bounce", "timestamp": 1764590000, "sg_event_id": "b1", "type": "bounce"}\nnot json\n',
        encoding="utf-8",
    )
    applied = events.apply(store, events.read_file("events.ndjson"), source="import", block_threshold=3)
    assert (applied.added, applied.suppressed, applied.quarantined) == (1, 1, 1)
    with pytest.raises(errors.ReleaseError) as caught:
        compose.render("releases/example.md", config=cfg)  # type: ignore[arg-type]
    assert "release.load(" in str(caught.value.hint)


# -- 14. an API key pasted into mailer.toml, shown by a script's traceback ------------------------


def test_key_in_config_file_is_not_in_the_traceback(tmp_path: Path) -> None:
    """Someone pastes the key itself as api_key_env. The ConfigError says "(it is not shown here)",
    but it was raised from pydantic's ValidationError, whose text quotes input_value='SG....': a
    script that does not catch it (or logs it with logging.exception) printed the key under "The
    above exception was the direct cause". The traceback holds no key now."""
    import logging
    import traceback

    secret = "SG.pasted-by-mistake.abcdefghijklmnop"
    path = tmp_path / "mailer.toml"
    path.write_text(f'[sendgrid]\napi_key_env = "{secret}"\n', encoding="utf-8")
    with pytest.raises(errors.ConfigError) as caught:
        config.load(path)
    assert "not the key itself (it is not shown here)" in caught.value.message
    printed = "".join(traceback.format_exception(caught.value))
    assert "SG.pasted" not in printed
    assert "pydantic" not in printed
    logged = logging.Formatter().formatException((type(caught.value), caught.value, caught.value.__traceback__))
    assert "input_value" not in logged


# -- 15. mailer.forget is exported, undocumented, and erases less than the command --------------


def test_forget_from_python_says_it_erases_the_log_only(tmp_path: Path, store: Engine) -> None:
    """`mailer.forget` is in mailer.__all__, but README's Python section never named it, and
    help(forget.forget) said "Erase address from messages and events": a script erasing a
    journalist on request with it left her in the dry runs' .eml files and skipped.csv, which
    `mailer forget` erases too. README and the docstring say the call erases the log only and
    what to run for the whole erasure; the .eml the dry run wrote is indeed still there after it."""
    from send_fixtures import example_office

    from mailer import forget

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    said = readme[readme.index("In Python: `mailer.forget.erase(") :].split("\n\n")[0]  # the whole erasure (session 17)
    assert "`mailer.forget.forget(engine, address)` erases the log only" in said, said
    assert "The log only" in (forget.forget.__doc__ or "") and "``erase`` does it all" in (forget.forget.__doc__ or "")
    office = example_office(tmp_path, "http://127.0.0.1:9", batch_size=10, concurrency=1)
    prepared = campaign.prepare_send(store, office, "releases/example.md", "lists/press.csv", dry_run=True)
    sent = campaign.start(store, office, prepared, environ={})
    assert sent.outbox is not None
    forget.forget(store, "li.wei@example.org")
    assert any("li.wei@example.org" in path.name for path in sent.outbox.iterdir())  # what the docs now warn of


# -- 16. contacts.suppress with the office's own spelling of an address --------------------------


def test_suppress_compares_addresses_as_the_log_does(project: Path) -> None:
    """README: `contacts.suppress(contact_list, {address: reason})`. A script feeding it the office's
    do-not-contact sheet ("Li.Wei@Example.org", "Amara Okafor <amara.okafor@example.com>") kept
    both journalists as recipients (only a lower-cased bare address matched), and a set of
    addresses stopped with TypeError: 'set' object is not subscriptable. Each is suppressed."""
    press = contacts.load("lists/press.csv")
    pruned = contacts.suppress(press, {"Li.Wei@Example.org": "asked by phone", "Amara Okafor <amara.okafor@example.com>": "bounce"})
    assert len(pruned.contacts) == len(press.contacts) - 2
    taken = {row.email: row.detail for row in pruned.rejected if row.reason == "suppressed"}
    assert taken == {"li.wei@example.org": "asked by phone", "amara.okafor@example.com": "bounce"}
    as_set = contacts.suppress(press, {"LI.WEI@example.org"})
    assert [(row.email, row.detail) for row in as_set.rejected if row.reason == "suppressed"] == [("li.wei@example.org", "suppressed")]
    assert contacts.suppress(press, {"li.wei@example.org": "bounce"}).contacts[1].email != "li.wei@example.org"


# -- 17. one Prepared started twice (a notebook cell run again) -----------------------------------


def test_prepared_started_twice_says_it_went_out_already(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """A script author runs the cell with campaign.start(engine, cfg, prepared, ...) a second time.
    Nothing was sent twice, but the answer was SQLAlchemy's IntegrityError "UNIQUE constraint
    failed: message.message_key" (since fix 16py #8: "The delivery log failed ... Fix the cause
    (disk space, permissions, the database server)"), neither of which is so. It is a SendError
    naming the campaign it went out as and how to send again; no request is made."""
    standin.api_key = KEY
    cfg = office_config(standin, db_url)
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv")
    campaign_id = campaign.start(store, cfg, prepared, environ={"SENDGRID_API_KEY": KEY}).campaign_id
    requests = len(standin.mail_sends)
    with pytest.raises(errors.SendError) as caught:
        campaign.start(store, cfg, prepared, environ={"SENDGRID_API_KEY": KEY})
    assert caught.value.message == (
        f"This prepared send was started already: it is {campaign_id} in the delivery log, and a prepared send goes out once."
    )
    assert f"mailer status {campaign_id}" in str(caught.value.hint) and "prepare it again" in str(caught.value.hint)
    assert len(standin.mail_sends) == requests
    dry = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", dry_run=True, include_previous=True)
    dry_id = campaign.start(store, cfg, dry, environ={}).campaign_id
    with pytest.raises(errors.SendError, match=f"it is {dry_id} in the delivery log"):
        campaign.start(store, cfg, dry, environ={})


# -- 18. store.connect given the log's file, not its URL --------------------------------------------


def test_connect_given_a_file_says_the_url_to_write(tmp_path: Path) -> None:
    """store.connect("out/mailer.db") said "Cannot open the delivery log the configured database
    URL: Could not parse SQLAlchemy URL ... Check [database] url in mailer.toml" (a script has no
    mailer.toml to check), and store.connect(Path("out/mailer.db")) stopped with AttributeError:
    'PosixPath' object has no attribute 'startswith'. A Path is that SQLite file; text that is
    no URL is a StoreError giving the URL to write."""
    from sqlalchemy import inspect as sql_inspect

    engine = open_log(Path("out/mailer.db"))
    try:
        assert "campaign" in sql_inspect(engine).get_table_names()
        assert Path("out/mailer.db").is_file()
    finally:
        engine.dispose()
    with pytest.raises(errors.StoreError) as caught:
        open_log("out/mailer.db")
    assert caught.value.message == '"out/mailer.db" is not a database URL.'
    assert 'store.connect("sqlite:///out/mailer.db")' in str(caught.value.hint)


# -- 19. reports.export's own list of formats -------------------------------------------------------


def test_export_format_error_lists_only_what_it_writes(store: Engine) -> None:
    """reports.export(..., fmt="table") said 'Unknown format "table". Choose one of: table, csv,
    xlsx, json, html.', naming the format it had just refused (FORMATS holds the terminal's
    "table"). It says table is the terminal's, lists the file formats, and names reports.table."""
    from mailer import reports

    with pytest.raises(errors.ReportError) as caught:
        reports.export(store, "2026-12-01-example", kind="opens", fmt="table", path="out/opens.txt")
    assert caught.value.message == 'The format "table" is what the terminal shows; a file is one of: csv, xlsx, json, html.'
    assert 'reports.table(engine, "2026-12-01-example", "opens")' in str(caught.value.hint)
    with pytest.raises(errors.ReportError) as caught:
        reports.export(store, "2026-12-01-example", kind="opens", fmt="pdf", path="out/opens.pdf")
    assert caught.value.hint == "Choose one of: csv, xlsx, json, html."


# -- 20. a follow-up's `who` misspelt: a bare KeyError ----------------------------------------------


def test_follow_up_who_misspelt_says_the_choices(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """campaign.prepare_follow_up(..., who="unopened") stopped with KeyError: 'unopened' (the
    command line offers only the right words, the library checked nothing), and original_id=None
    with "'NoneType' object has no attribute 'strip'". Both are SendError/MailerError saying what to give."""
    standin.api_key = KEY
    cfg = office_config(standin, db_url)
    original = live_send(store, cfg)
    with pytest.raises(errors.SendError) as caught:
        campaign.prepare_follow_up(store, cfg, "releases/example.md", original, who="unopened", dry_run=True)
    assert caught.value.message == 'Follow-up: "unopened" is not a group of journalists mailer knows.'
    assert "not-opened, opened, clicked, not-clicked, delivered" in str(caught.value.hint)
    with pytest.raises(errors.MailerError, match=r"^prepare_follow_up\(\): original_id must be text"):
        campaign.prepare_follow_up(store, cfg, "releases/example.md", None, who="not-opened", dry_run=True)  # type: ignore[arg-type]
    assert campaign.prepare_follow_up(store, cfg, "releases/example.md", original, who="not-opened", dry_run=True).plan is not None


# -- 21. a send time given as a datetime ------------------------------------------------------------


def test_send_time_as_a_datetime(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """A programmer schedules with a datetime: prepare_send(..., at=datetime(..., tzinfo=...))
    stopped with AttributeError: 'datetime.datetime' object has no attribute 'strip'. An aware
    time is taken (kept in UTC, as a typed --at is); a naive one is refused as text without a
    zone is, saying how to give the zone."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from mailer.send import status

    cfg = office_config(standin, db_url)
    paris = (datetime.now(UTC) + timedelta(hours=5)).replace(second=0, microsecond=0).astimezone(ZoneInfo("Europe/Paris"))
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", at=paris, dry_run=True)
    assert prepared.scheduled == paris
    typed = campaign.prepare_send(
        store, cfg, "releases/example.md", "lists/press.csv", at=f"{paris:%Y-%m-%d %H:%M} Europe/Paris", dry_run=True
    )
    assert typed.scheduled == paris
    sent = campaign.start(store, cfg, prepared, environ={})
    scheduled_at = status.status(store, sent.campaign_id).campaign.scheduled_at
    assert scheduled_at == paris and scheduled_at is not None and scheduled_at.utcoffset() == timedelta(0)
    with pytest.raises(errors.SendError) as caught:
        campaign.prepare_send(store, cfg, "releases/example.md", "lists/press.csv", at=paris.replace(tzinfo=None), dry_run=True)
    assert "has no time zone" in caught.value.message and "tzinfo=" in str(caught.value.hint)


# -- 22. a wrong value reported as the log failing --------------------------------------------------


def test_wrong_time_value_is_not_called_a_log_failure(store: Engine) -> None:
    """reports.period(engine, since="2026-01-01") (or a date, or a naive datetime) raised
    SQLAlchemy's StatementError (since fix #8 "The delivery log ... failed: ... Fix the cause (disk
    space, permissions, the database server)"), blaming the log for the caller's value. It is a
    MailerError saying which value and what a time must be; not a StoreError."""
    from datetime import date, datetime

    from mailer import reports

    for since in ("2026-01-01", date(2026, 1, 1), datetime(2026, 1, 1)):
        with pytest.raises(errors.MailerError) as caught:
            reports.period(store, since=since)  # type: ignore[arg-type]
        assert not isinstance(caught.value, errors.StoreError)
        assert caught.value.message.startswith("period(): a value given cannot be used: UTCDateTime ")
        assert "aware datetimes" in str(caught.value.hint)


# -- 23. the webhook app from Python given the log's URL --------------------------------------------


def test_webhook_app_checks_its_arguments(store: Engine) -> None:
    """README: `mailer.events.webhook.create_app(config=..., engine=...)` gives the ASGI app.
    Given the log's URL for the engine it stopped with AttributeError: 'str' object has no
    attribute 'url', and config=None with "... has no attribute 'webhook'". Both say what to give."""
    from mailer.events import webhook

    cfg = config.load(Path(__file__).parent.parent / "config.example.toml")
    assert webhook.create_app(config=cfg, engine=store) is not None
    with pytest.raises(errors.StoreError, match=r"^create_app\(\): engine must be the delivery log's Engine, not a str\."):
        webhook.create_app(config=cfg, engine="sqlite:///out/mailer.db")  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigError, match=r"^create_app\(\): config must be a mailer.config.Config"):
        webhook.create_app(config=None, engine=store)  # type: ignore[arg-type]


# -- 24. "what mailer send asks" is more than prepared.questions ---------------------------------


def test_readme_names_every_question_mailer_send_asks(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """README's live send says `print(*prepared.questions)  # what mailer send asks before a live
    send`; mailer send also asks "Send it anyway, without a test send?" when the content was never
    test-sent (prepared.never_test_sent) and the correction question (prepared.correction), so a
    script following README never asked either. README's block and help(Prepared) name both."""
    from mailer.send.prepare import Prepared

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("print(*prepared.questions)") :].split("```")[0]
    assert "prepared.never_test_sent" in block and "prepared.correction" in block
    doc = " ".join((Prepared.__doc__ or "").split())
    assert "never_test_sent" in doc and "Send it anyway, without a test send?" in doc
    prepared = campaign.prepare_send(store, office_config(standin, db_url), "releases/example.md", "lists/press.csv")
    assert prepared.never_test_sent and not any("test" in q for q in prepared.questions)  # asked apart, as the docs now say


# -- 25. a naive `now` -------------------------------------------------------------------------------


def test_naive_now_is_refused_where_it_would_be_misread(store: Engine) -> None:
    """`now` (documented on status, overview, table, held_at_sendgrid, prepare_send) taken from
    datetime.now() has no zone: held_at_sendgrid said "The delivery log failed ..." (before fix #22)
    or a value error, the others took it silently, comparing it with UTC times only when a
    scheduled send was there to compare (TypeError then). Every call refuses it the same way."""
    from datetime import datetime

    from mailer import reports
    from mailer.send import status

    for call in (
        lambda: status.held_at_sendgrid(store, ["li.wei@example.org"], now=datetime.now()),
        lambda: reports.overview(store, now=datetime.now()),
        lambda: status.status(store, "2026-12-01-example", now=datetime.now()),
    ):
        with pytest.raises(errors.MailerError, match=r"now must be an aware datetime .*, not a naive datetime \(no time zone\)\."):
            call()


# -- 26. an address as typed, for show and find -----------------------------------------------------


def test_show_and_find_read_an_address_as_typed(project: Path, store: Engine, db_url: str, standin: Any) -> None:
    """`mailer contact` and `mailer suppressions add` read "Li Wei <li.wei@example.org>" or
    "mailto:li.wei@example.org" as her address, but show.show(engine, id, contact=...) (and
    `mailer show --contact`) and contacts.find (and `mailer test --as`) said she "is not a
    recipient". They read it as typed too."""
    from mailer.send import show

    standin.api_key = KEY
    campaign_id = live_send(store, office_config(standin, db_url))
    for typed in ("Li Wei <li.wei@example.org>", "mailto:Li.Wei@example.org"):
        assert show.show(store, campaign_id, contact=typed).email == "li.wei@example.org"
        assert contacts.find("lists/press.csv", typed).email == "li.wei@example.org"


# -- 27. events.read_file of a press list -------------------------------------------------------------


def test_read_file_refuses_a_file_with_no_event_as_the_command_does(project: Path, store: Engine) -> None:
    """`mailer events import lists/press.csv` refuses the file ("no line holds an event ... is this
    the right file?"); events.read_file("lists/press.csv") gave a Batch of 50 quarantined "events",
    each a journalist's row, which README's events.apply(..., quarantined=batch.quarantined) then
    stored in the log's quarantine. read_file refuses it with the command's EventError."""
    from mailer import events

    with pytest.raises(errors.EventError) as caught:
        events.read_file("lists/press.csv")
    assert "no line holds an event" in caught.value.message and "is this the right file?" in caught.value.message
    Path("mixed.ndjson").write_text(
        '{"email": "li.wei@example.org", "event": "open", "timestamp": 1764590000, "sg_event_id": "o1"}\nnot json\n', encoding="utf-8"
    )
    batch = events.read_file("mixed.ndjson")
    assert (len(batch.events), len(batch.quarantined)) == (1, 1)  # a bad line among events is still quarantined


def test_webhook_app_takes_a_clock_for_now(store: Engine) -> None:
    """create_app's `now` is a clock (a callable), not a moment: #25's check of `now` refused it
    ("now must be an aware datetime ..., not a function"). A clock is taken."""
    from datetime import UTC, datetime

    from mailer.events import webhook

    cfg = config.load(Path(__file__).parent.parent / "config.example.toml")
    assert webhook.create_app(config=cfg, engine=store, now=lambda: datetime.now(UTC)) is not None


def test_webhook_app_refuses_a_plain_text_unsubscribe_secret(store: Engine) -> None:
    """create_app(..., unsubscribe_secret=os.environ["MAILER_UNSUBSCRIBE_SECRET"]) (text, not what
    config.unsubscribe_secret returns) started, and every journalist's unsubscribe click then got
    500 Internal Server Error ('str' object has no attribute 'get_secret_value'); "short" was never
    refused. It is a ConfigError at start, naming the call to use."""
    from pydantic import SecretStr
    from starlette.testclient import TestClient

    from mailer import unsubscribe
    from mailer.events import webhook

    cfg = config.load(Path(__file__).parent.parent / "config.example.toml")
    with pytest.raises(errors.ConfigError) as caught:
        webhook.create_app(config=cfg, engine=store, unsubscribe_secret="x" * 40)  # type: ignore[arg-type]
    assert "config.unsubscribe_secret(environ)" in str(caught.value.hint)
    secret = cfg.unsubscribe_secret({"MAILER_UNSUBSCRIBE_SECRET": "x" * 40})
    assert isinstance(secret, SecretStr)
    app = webhook.create_app(config=cfg, engine=store, unsubscribe_secret=secret)
    token = unsubscribe.sign(secret, "0123456789abcdef0123456789abcdef")
    assert TestClient(app, raise_server_exceptions=False).get("/unsubscribe/" + token).status_code != 500
