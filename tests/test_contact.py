"""`mailer contact EMAIL`: one journalist's history, through the command line.

The log is built by tests/press_office.py (two live sends, a test send and a dry run through
`mailer`, events through `mailer events import`); its docstring works the figures out by hand.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventlog import add_campaign, add_message
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from press_office import MARKUP_NAME, MARKUP_OUTLET, URL_1, build, event, import_events, mailer
from sqlalchemy import Engine, select

from mailer.cli.output import SHOWN_AS_THEY_ARE
from mailer.store import connect
from mailer.store.schema import message


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> dict[str, Any]:
    return build(tmp_path, standin, db_url)


def iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds")


def history(address: str) -> dict[str, Any]:
    result = mailer("contact", address, "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_contact_lists_every_campaign_with_hand_counted_figures(office: dict[str, Any]) -> None:
    """ana: the test send, B and A, newest first; opens by people leave Apple's pre-fetch out; the dry run is not listed."""
    a, b, test, t = office["a"], office["b"], office["test"], office["t"]
    found = history("ana@daily.example")
    assert [c["campaign"] for c in found["campaigns"]] == [test, b, a]
    assert office["dry"] not in json.dumps(found)
    assert (found["address"], found["name"], found["outlet"], found["mailed"]) == ("ana@daily.example", "Ana Lima", "Daily News", True)
    assert (found["suppressed"], found["suppression"], found["suppression_lifted"]) == (False, None, [])
    assert found["lists"] == ["lists/beat.csv"]
    assert found["totals"] == {
        "campaigns": 2,
        "delivered": 2,
        "opened": 2,
        "clicked": 1,
        "bounced": 0,
        "bounced_after_opening": 0,
        "skipped": 0,
        "cancelled": 0,
        "test_sends": 1,
        "sandbox": 0,
    }
    tested, second, first = found["campaigns"]
    assert first == {
        "campaign": a,
        "subject": "Riverbend Beekeepers count record 1.2 million bees in first city-wide census",
        "mode": "live",
        "sent_at": first["sent_at"],
        "campaign_status": "done",
        "state": "accepted",
        "in_flight": False,
        "late_cancel": False,
        "skip_reason": None,
        "error": None,
        "delivery": "delivered",
        "delivered": True,
        "language": "en",  # the release's only version
        "opens": 3,
        "human_opens": 2,
        "opened": True,
        "first_open": iso(t + 3600),
        "clicks": 2,
        "links": [URL_1],
        "bounce": None,
        "unsubscribed": False,
        "spam_report": False,
        "email": "ana@daily.example",
        "name": "Ana Lima",
        "outlet": "Daily News",
        "list": "lists/beat.csv:2",
        "follow_up_of": None,
    }
    assert datetime.fromisoformat(first["sent_at"]).tzinfo is not None
    assert (second["subject"], second["delivery"], second["opens"], second["human_opens"], second["clicks"]) == (
        "Bee census: the maps by neighborhood",
        "delivered",
        1,
        1,
        0,
    )
    assert (tested["mode"], tested["state"], tested["delivery"], tested["subject"]) == (
        "test",
        "accepted",
        None,
        "[TEST] Bee census: the maps by neighborhood",
    )


def test_contact_prints_the_history_for_a_person(office: dict[str, Any]) -> None:
    """The text form: who, suppression, lists, then one block per campaign; the Log line on standard error."""
    a, b, test = office["a"], office["b"], office["test"]
    result = mailer("contact", "ana@daily.example")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Log: ")
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "ana@daily.example: Ana Lima, Daily News",
        "Suppressed: no",
        "Lists:      lists/beat.csv",
        "Fields:     first_name: Ana; last_name: Lima; outlet: Daily News",  # every field the log holds (newcomer 22 #2)
        "3 campaigns, newest first:",
    ]
    blocks = [block.splitlines() for block in result.stdout.split("\n\n")[1:]]
    assert [block[0].split("  ", 1)[1] for block in blocks] == [f"{test}  (test send)", b, a]
    assert blocks[2][1:] == [
        "  Subject:  Riverbend Beekeepers count record 1.2 million bees in first city-wide census",
        "  Outcome:  delivered; opens by people: 2 (+1 Apple pre-fetch); clicks: 2",
        f"  Clicked:  {URL_1}",
        "  From:     lists/beat.csv, row 2",
    ]
    assert blocks[0][-1] == "  From:     --to on the command line"


@pytest.mark.parametrize(
    "typed",
    ["BEN.OKAFOR@DAILY.EXAMPLE", "  ben.okafor@daily.example ", "Ben Okafor <Ben.Okafor@Daily.Example>", "mailto:ben.okafor@DAILY.example"],
)
def test_contact_matches_the_address_as_lists_do(typed: str, tmp_path: Path, standin: Any, db_url: str) -> None:
    """Case, spaces, "Name <address>" and mailto: find the row the list wrote as Ben.Okafor@Daily.Example."""
    from press_office import event, folder, import_events, keys

    folder(tmp_path, standin, db_url)
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok").exit_code == 0
    [(campaign_id, _)] = {k for k in keys(standin) if k[1] == "ben.okafor@daily.example"}
    key = keys(standin)[campaign_id, "ben.okafor@daily.example"]
    import_events(tmp_path / "e.ndjson", [event("delivered", "Ben.Okafor@daily.example", campaign_id, key, 1_800_000_000)])
    found = history(typed)
    assert found["address"] == "ben.okafor@daily.example"
    assert [(c["campaign"], c["email"], c["delivery"]) for c in found["campaigns"]] == [
        (campaign_id, "Ben.Okafor@daily.example", "delivered")
    ]


def test_contact_bounces_blocks_and_suppressions(office: dict[str, Any]) -> None:
    """Hard bounce -> suppressed from import, later campaign skipped; a single block is shown but suppresses nothing."""
    a, b, t = office["a"], office["b"], office["t"]
    cleo = history("cleo@gazette.example")
    assert cleo["suppression"] == {"reason": "bounce", "source": "import", "since": iso(t + 20), "note": "550 5.1.1 no such user"}
    assert [(c["campaign"], c["state"], c["skip_reason"], c["delivery"]) for c in cleo["campaigns"]] == [
        (b, "skipped", "suppressed", None),
        (a, "accepted", None, "bounced"),
    ]
    assert cleo["campaigns"][1]["bounce"] == {
        "type": "bounce",
        "classification": "Invalid Address",
        "reason": "550 5.1.1 no such user",
        "at": iso(t + 20),
        "after_opening": None,
    }
    assert cleo["totals"] == {
        "campaigns": 1,
        "delivered": 0,
        "opened": 0,
        "clicked": 0,
        "bounced": 1,
        "bounced_after_opening": 0,
        "skipped": 1,
        "cancelled": 0,
        "test_sends": 0,
        "sandbox": 0,
    }
    ben = history("ben.okafor@daily.example")
    assert (ben["suppressed"], ben["totals"]) == (
        False,
        {
            "campaigns": 2,
            "delivered": 1,
            "opened": 0,
            "clicked": 0,
            "bounced": 1,
            "bounced_after_opening": 0,
            "skipped": 0,
            "cancelled": 0,
            "test_sends": 0,
            "sandbox": 0,
        },
    )
    assert ben["campaigns"][0]["bounce"] == {
        "type": "blocked",
        "classification": "Reputation",
        "reason": "554 5.7.1 blocked",
        "at": iso(t + 4010),
        "after_opening": None,
    }
    assert (ben["campaigns"][1]["opens"], ben["campaigns"][1]["human_opens"]) == (1, 0)  # Apple's pre-fetch only
    eve = history("eve@radio.example")
    assert eve["suppression"] == {"reason": "unsubscribe", "source": "import", "since": iso(t + 600), "note": "unsubscribed from all mail"}
    assert eve["campaigns"][1]["unsubscribed"] is True
    text = mailer("contact", "cleo@gazette.example").stdout
    assert "2 campaigns, newest first (1 of them left this address out):\n" in text
    assert text.splitlines()[:2] == [
        f"cleo@gazette.example: {MARKUP_NAME} Martin, {MARKUP_OUTLET}",  # markup printed literally
        f"Suppressed: yes, bounce, since {datetime.fromtimestamp(t + 20, UTC):%Y-%m-%d %H:%M} UTC (from import): 550 5.1.1 no such user",
    ]
    assert "  Outcome:  skipped: suppressed; opens by people: 0; clicks: 0\n" in text
    assert (
        f"  Bounce:   hard bounce: Invalid Address, {datetime.fromtimestamp(t + 20, UTC):%Y-%m-%d %H:%M} UTC: 550 5.1.1 no such user\n"
        in text
    )


def test_contact_after_a_suppression_is_lifted_and_an_address_forgotten(office: dict[str, Any]) -> None:
    """Lifted suppressions are listed with their reason; a forgotten address has no history, only its suppression."""
    assert mailer("suppressions", "remove", "eve@radio.example", "--reason", "asked back in by phone").exit_code == 0
    eve = history("eve@radio.example")
    assert eve["suppressed"] is False
    assert [(x["was"], x["note"]) for x in eve["suppression_lifted"]] == [("unsubscribe", "asked back in by phone")]
    assert "(was unsubscribe): asked back in by phone\n" in mailer("contact", "eve@radio.example").stdout
    assert mailer("forget", "dan@gazette.example", "--yes").exit_code == 0
    dan = history("dan@gazette.example")
    assert (dan["mailed"], dan["campaigns"], dan["suppression"]["reason"]) == (False, [], "forgotten")
    text = mailer("contact", "dan@gazette.example").stdout
    assert "No campaign in the delivery log was sent to dan@gazette.example.\n" in text
    assert "Its data was erased with `mailer forget`" in text


def test_contact_never_mailed_says_so(tmp_path: Path, db_url: str) -> None:
    """An address the log never mailed: a clear message, exit 0; --json says mailed: false."""
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    result = mailer("contact", "Nobody@Example.org")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "nobody@example.org\n"
        "No campaign in the delivery log was sent to nobody@example.org.\n"
        "Suppressed: no\n"
        "Check the spelling; `mailer suppressions list` and `mailer campaigns` show what the log holds.\n"
    )
    found = history("nobody@example.org")
    assert (found["mailed"], found["campaigns"], found["suppressed"], found["totals"]["campaigns"]) == (False, [], False, 0)


def test_contact_refuses_what_is_not_an_address(tmp_path: Path, db_url: str) -> None:
    """Not an address and not in the log: exit 1 with email-validator's reason, no traceback."""
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    result = mailer("contact", "jane.example.org")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        'Error: "jane.example.org" is not an email address: An email address must have an @-sign.\n'
        "Give the full address, for example jane@example.org\n"
    )
    as_json = mailer("contact", "jane.example.org", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"] == '"jane.example.org" is not an email address: An email address must have an @-sign.'


# Lists, releases and events are decoded text: no NUL (PostgreSQL refuses it), no lone surrogates.
_WORD = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12).filter(
    lambda t: t.split() == [t]
)
_examples = itertools.count(1)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_WORD, outlet=_WORD, subject=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30))
@example(first="[bold]x", outlet=":thumbs_up:", subject="\x1b[31mred\tline [/] x\\")
@example(first="x\\", outlet="[/]", subject="[link=https://evil.example]click[/link]")
def test_contact_prints_contact_data_literally(store: Engine, db_url: str, first: str, outlet: str, subject: str) -> None:
    """Whatever a name, outlet or subject holds ([bold], :smile:, escape sequences, tabs) prints as written.

    Markup and emoji codes come out unchanged; characters a terminal would act on come out as
    their escapes (\\x1b, \\t); --json gives the text back exactly.
    """
    Path("mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    n = next(_examples)
    campaign_id = add_campaign(store, f"2026-02-19-c{n}", subject=subject)
    address = f"j{n}@example.org"
    add_message(store, campaign_id, address, first_name=first, outlet=outlet)

    def shown(text: str) -> str:
        return "".join(c if c.isprintable() or c in SHOWN_AS_THEY_ARE else repr(c)[1:-1] for c in text)  # spaces, joiners: review 18r #3

    result = mailer("contact", address)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{address}: {shown(first)}, {shown(outlet)}"
    assert f"  Subject:  {shown(subject)}" in lines
    found = history(address)
    assert (found["name"], found["outlet"], found["campaigns"][0]["subject"]) == (first, outlet, subject)


@pytest.mark.sqlite_only  # SQLite's query planner (EXPLAIN QUERY PLAN); PostgreSQL plans from statistics
def test_contact_reads_through_the_address_and_message_indexes(store: Engine) -> None:
    """One journalist's history never scans the message or event table: a 1M-row log answers as fast as a small one."""
    from sqlalchemy import event as sa_event

    from mailer.reports import contact

    campaign_id = add_campaign(store, "2026-02-19-plan")
    for i in range(30):
        add_message(store, campaign_id, f"j{i}@example.org")
    selects: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if sql.lstrip().startswith("SELECT"):
            selects.append((sql, params))

    sa_event.listen(store, "before_cursor_execute", record)
    contact.history(store, "j7@example.org")
    sa_event.remove(store, "before_cursor_execute", record)
    plans = []
    with store.connect() as connection:
        for sql, params in selects:
            if " message" in sql or " event" in sql:
                plans.append(" | ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)))
    # Both address indexes (rows sent, rows skipped: schema.py), never the message table whole.
    assert any("ux_message_address_campaign" in p and "ix_message_skipped_address" in p for p in plans), plans
    assert len([p for p in plans if "ix_event_message" in p]) == 3, plans  # rollup, links, bounces
    assert not [p for p in plans if "SCAN message" in p or "SCAN event" in p], plans


def test_contact_a_journalist_who_resubscribed_is_not_shown_unsubscribed(office: dict[str, Any], db_url: str, tmp_path: Path) -> None:
    """Eve unsubscribed from all mail in campaign a (t + 600): a group resubscribe later does not lift
    that (her suppression stays), so her history, like the reports, still counts her unsubscribed
    there (review 24r #4); a group unsubscribe of hers and a resubscribe to that group after it leave
    it so. Ben's group unsubscribe, then his resubscribe to that group, counts him back in."""
    a, t = office["a"], office["t"]
    assert history("eve@radio.example")["campaigns"][1]["unsubscribed"] is True
    with connect(db_url).connect() as connection:
        keys = dict(connection.execute(select(message.c.email_key, message.c.message_key).where(message.c.campaign_id == a)).all())
    eve, ben = keys["eve@radio.example"], keys["ben.okafor@daily.example"]
    import_events(
        tmp_path / "back.ndjson",
        [
            event("group_unsubscribe", "eve@radio.example", a, eve, t + 800, asm_group_id=1),
            event("group_resubscribe", "eve@radio.example", a, eve, t + 900, asm_group_id=1),
            event("group_unsubscribe", "Ben.Okafor@daily.example", a, ben, t + 800, asm_group_id=1),
        ],
    )
    assert [c["unsubscribed"] for c in history("eve@radio.example")["campaigns"] if c["campaign"] == a] == [True]
    assert [c["unsubscribed"] for c in history("ben.okafor@daily.example")["campaigns"] if c["campaign"] == a] == [True]
    import_events(tmp_path / "again.ndjson", [event("group_resubscribe", "Ben.Okafor@daily.example", a, ben, t + 900, asm_group_id=1)])
    assert [c["unsubscribed"] for c in history("ben.okafor@daily.example")["campaigns"] if c["campaign"] == a] == [False]


def test_report_tables_show_terminal_control_characters_as_text(office: dict[str, Any], db_url: str, tmp_path: Path) -> None:
    """A receiving server's bounce reason with an escape sequence cannot recolour the terminal
    through a report table: it prints as \\x1b."""
    a, t = office["a"], office["t"]
    with connect(db_url).connect() as connection:
        key = connection.scalar(select(message.c.message_key).where(message.c.campaign_id == a, message.c.email_key == "ana@daily.example"))
    import_events(
        tmp_path / "odd.ndjson",
        [
            event(
                "bounce",
                "ana@daily.example",
                a,
                key,
                t + 7000,
                type="bounce",
                reason="550 \x1b[31mred\x1b[0m gone",
                bounce_classification="Invalid Address",
            )
        ],
    )
    shown = mailer("report", a, "--kind", "bounces", "--wide")
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.stdout
    assert "\\x1b[31mred" in shown.stdout


def test_contact_says_in_flight_for_a_journalist_whose_request_is_out(store: Engine, db_url: str, tmp_path: Path, monkeypatch: Any) -> None:
    """A journalist of a request listed in flight (sent, SendGrid's answer not logged yet, or a
    crash left it so) reads "in flight", not "planned"; one of a request not sent yet stays
    "planned". JSON: the state stays planned, "in_flight" says which."""
    from sqlalchemy import update

    from mailer.store.schema import campaign

    monkeypatch.chdir(tmp_path)
    Path("mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    campaign_id = add_campaign(store, "2026-02-19-out")
    for number, address in ((1, "sent@example.org"), (2, "next@example.org")):
        key = add_message(store, campaign_id, address, state="planned", sg_message_id=None)
        with store.begin() as connection:
            connection.execute(update(message).where(message.c.message_key == key).values(request_no=number))
    with store.begin() as connection:
        connection.execute(update(campaign).where(campaign.c.id == campaign_id).values(in_flight=[1]))
    out = mailer("contact", "sent@example.org")
    assert out.exit_code == 0, out.output
    assert "  Outcome:  in flight (sent; SendGrid's answer not logged yet); opens by people: 0; clicks: 0" in out.stdout
    assert "  Outcome:  planned; " in mailer("contact", "next@example.org").stdout
    sent, waiting = history("sent@example.org")["campaigns"][0], history("next@example.org")["campaigns"][0]
    assert (sent["state"], sent["in_flight"], waiting["state"], waiting["in_flight"]) == ("planned", True, "planned", False)


def test_contact_shows_the_row_that_decided_and_where_a_follow_up_came_from(tmp_path: Path, standin: Any, db_url: str) -> None:
    """nc9: a journalist on two lists (the second time in capitals) and filtered out read "skipped:
    duplicate" under the capitals, as if reached through the other row; a follow-up's row read
    "From: CAMPAIGN, row 428" (a log id) and the campaign was listed among the lists."""
    from press_office import folder

    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "more.csv").write_text(
        "Email,First Name,Last Name,Outlet,Beat\nEVA.KRAUSE@WIRE.EXAMPLE,Eva,Krause,Wire,science\n", encoding="utf-8"
    )
    (tmp_path / "lists" / "first.csv").write_text(
        "Email,First Name,Last Name,Outlet,Beat\nnick.ross@wire.example,Nick,Ross,Wire,health\neva.krause@wire.example,Eva,Krause,Wire,science\n",
        encoding="utf-8",
    )
    filtered = mailer(
        "send",
        "releases/example.md",
        "--list",
        "lists/first.csv",
        "--list",
        "lists/more.csv",
        "--where",
        "beat=health",
        "--yes",
        "--no-test-ok",
    )
    assert filtered.exit_code == 0, filtered.output
    found = history("eva.krause@wire.example")
    [only] = found["campaigns"]
    assert (only["state"], only["skip_reason"], only["list"]) == ("skipped", "filtered", "lists/first.csv:3")
    printed = mailer("contact", "EVA.KRAUSE@wire.example").stdout
    assert printed.startswith("eva.krause@wire.example: Eva Krause, Wire\n")
    assert "Outcome:  skipped: filtered;" in printed and "duplicate" not in printed

    second = mailer("send", "releases/second.md", "--follow-up", "latest", "--who", "not-opened", "--yes", "--no-test-ok")
    assert second.exit_code == 0, second.output
    found = history("nick.ross@wire.example")
    follow_up, original = found["campaigns"]
    assert follow_up["follow_up_of"] == original["campaign"] and follow_up["list"] == "lists/first.csv:2"
    assert found["lists"] == ["lists/first.csv"]
    printed = mailer("contact", "nick.ross@wire.example").stdout
    assert f"  From:     follow-up of {original['campaign']} (lists/first.csv, row 2)\n" in printed
    assert "Lists:      lists/first.csv\n" in printed
