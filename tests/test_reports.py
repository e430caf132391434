"""Reports checked against a hand-computed fixture campaign (numbers worked out in the comments)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import without_log_line
from eventlog import T0, add_campaign, add_message, sg_event
from openpyxl import load_workbook
from sqlalchemy import Engine

from mailer import events, reports
from mailer.cli import main
from mailer.errors import ReportError
from mailer.reports import figures, page
from mailer.reports.figures import cell_text
from mailer.store import event_reports

LIVE = "2026-02-19-wetlands"
TEST = "2026-02-18-wetlands-test"
URL_A = "https://example.org/report.pdf"
URL_B = "https://example.org/photos"

# (email, first, last, outlet, state, skip_reason, events as (kind, seconds after T0, extra))
PEOPLE = [
    (
        "ana@daily.example",
        "Ana",
        "Lima",
        "Daily News",
        "accepted",
        None,
        [
            ("processed", 1, {}),
            ("delivered", 5, {}),
            ("open", 3600, {"sg_machine_open": False}),
            ("open", 7200, {"sg_machine_open": False}),
            ("open", 60, {"sg_machine_open": True}),
            ("click", 3700, {"url": URL_A}),
        ],
    ),
    (
        "ben@daily.example",
        "Ben",
        "Okafor",
        "Daily News",
        "accepted",
        None,
        [("processed", 1, {}), ("delivered", 6, {}), ("open", 70, {"sg_machine_open": True})],
    ),
    (
        "cleo@gazette.example",
        "Cléo",
        "Martin",
        "The Gazette",
        "accepted",
        None,
        [
            ("processed", 1, {}),
            (
                "bounce",
                20,
                {"type": "bounce", "bounce_classification": "Invalid Address", "reason": "550 5.1.1 no such user", "status": "5.1.1"},
            ),
        ],
    ),
    (
        "dan@gazette.example",
        "Dan",
        "Wu",
        "The Gazette",
        "accepted",
        None,
        [("processed", 1, {}), ("bounce", 25, {"type": "blocked", "bounce_classification": "Reputation", "reason": "554 blocked"})],
    ),
    (
        "eve@radio.example",
        '=HYPERLINK("http://x")',
        "<script>alert(1)</script>",
        "Radio <b>One</b>",
        "accepted",
        None,
        [
            ("processed", 1, {}),
            ("delivered", 7, {}),
            ("open", 90000, {"sg_machine_open": False}),
            ("click", 90060, {"url": URL_B}),
            ("click", 90120, {"url": URL_A}),
            ("unsubscribe", 90200, {}),
        ],
    ),
    (
        "fay@tv.example",
        "Fay",
        "Ng",
        "TV Channel",
        "accepted",
        None,
        [("processed", 1, {}), ("deferred", 30, {"response": "421 try later"})],
    ),
    (
        "gus@tv.example",
        "Gus",
        "Berg",
        "TV Channel",
        "accepted",
        None,
        [("processed", 1, {}), ("delivered", 8, {}), ("spamreport", 5000, {})],
    ),
    ("hal@radio.example", "Hal", "Roy", "Radio One", "unknown", None, []),
    ("ivy@tv.example", "Ivy", "Sato", "TV Channel", "failed", None, []),
    ("jon@daily.example", "Jon", "Park", "Daily News", "skipped", "suppressed", []),
    ("kim@daily.example", "Kim", "Lee", "Daily News", "skipped", "duplicate", []),
    (
        "lee@radio.example",
        "Lee",
        "Cruz",
        "Radio One",
        "accepted",
        None,
        [("processed", 1, {}), ("dropped", 2, {"reason": "Bounced Address"})],
    ),
]


def shown(row: tuple) -> tuple:
    """A row with its instants and rates as the CSV shows them (the table holds datetimes and floats)."""
    return tuple(c if type(c) in (str, int) else cell_text(c) for c in row)


@pytest.fixture
def log(store: Engine) -> Engine:
    """The fixture campaign, its events ingested the real way, plus a test send that must not count."""
    add_campaign(store, LIVE)
    add_campaign(store, TEST, mode="test")
    batch = []
    for email, first, last, outlet, state, skip, happenings in PEOPLE:
        key = add_message(store, LIVE, email, first_name=first, last_name=last, outlet=outlet, state=state, skip_reason=skip)
        batch += [sg_event(kind, email, key=key, campaign_id=LIVE, at=T0 + at, **extra) for kind, at, extra in happenings]
    staff = add_message(store, TEST, "press@example.org", first_name="Staff")
    batch += [sg_event(kind, "press@example.org", key=staff, campaign_id=TEST, at=T0) for kind in ("delivered", "open", "click")]
    batch.append(sg_event("open", "stranger@example.com", key=None, campaign_id=None, at=T0))
    events.apply(store, [events.from_object(e, where="x") for e in batch], source="import", block_threshold=3)
    return store


def test_reports_summary_matches_hand_count(log: Engine) -> None:
    """Every summary figure equals the hand count of the fixture."""
    s = reports.summarize(log, LIVE)
    # 12 rows, 2 skipped -> 10 planned; hal unknown, ivy failed -> 8 accepted.
    assert (s.planned, dict(s.skipped), s.accepted, s.failed, s.unknown) == (10, {"suppressed": 1, "duplicate": 1}, 8, 1, 1)
    # delivered: ana, ben, eve, gus; deferred: fay; cleo hard bounce, dan blocked, lee dropped.
    assert (s.delivered, s.deferred, s.bounced, s.blocked, s.dropped) == (4, 1, 1, 1, 1)
    assert dict(s.bounce_classes) == {"hard bounce: Invalid Address": 1, "blocked: Reputation": 1}
    # opened: ana, ben, eve (ben only by Apple pre-fetch) -> 3 all, 2 by people; clicked: ana, eve.
    assert (s.opened, s.opened_human, s.clicked, s.spam_reports, s.unsubscribed) == (3, 2, 2, 1, 1)
    rates = {key: rate for key, _label, _count, rate in s.figures()}
    assert (rates["opened"], rates["opened_human"], rates["clicked"], rates["spam_reports"]) == (0.75, 0.5, 0.5, 0.25)
    # Bounced is one figure everywhere: cleo's hard bounce, dan's block and lee's drop -> 3 of 8 accepted.
    assert (rates["delivered"], rates["bounced"], rates["hard_bounced"], rates["dropped"]) == (0.5, 0.375, 0.125, 0.125)


def test_reports_recipients_one_row_per_journalist(log: Engine) -> None:
    """recipients: 12 rows, name and outlet from the snapshot, event times and counts per person."""
    t = reports.table(log, LIVE, "recipients")
    rows = {r[0]: dict(zip(t.keys, shown(r))) for r in t.rows}
    assert len(rows) == 12
    assert rows["ana@daily.example"] == {
        "email": "ana@daily.example",
        "name": "Ana Lima",
        "outlet": "Daily News",
        "state": "accepted",
        "delivery": "delivered",
        "first_event": "2026-02-19 10:00:01",
        "last_event": "2026-02-19 12:00:00",
        "opens": 3,
        "opens_by_people": 2,
        "clicks": 1,
        "bounce": "",
        "bounce_classification": "",
        "bounce_reason": "",
        "unsubscribed": "",
        "marked_as_spam": "",
        "why_skipped_or_failed": "",
        "list_and_row": "lists/press.csv:2",
    }
    assert rows["kim@daily.example"]["state"] == "skipped: duplicate"
    assert rows["cleo@gazette.example"]["bounce_reason"] == "550 5.1.1 no such user"
    assert rows["hal@radio.example"]["first_event"] == ""


def test_reports_opens_clicks_bounces_rows(log: Engine) -> None:
    """opens, clicks and bounces list exactly the journalists concerned, with their figures."""
    opens = reports.table(log, LIVE, "opens")
    assert [(r[0], r[5], r[6], r[7]) for r in opens.rows] == [
        ("ana@daily.example", 3, 2, "no"),
        ("ben@daily.example", 1, 0, "yes"),
        ("eve@radio.example", 1, 1, "no"),
    ]
    assert shown(opens.rows[0])[3:5] == ("2026-02-19 10:01:00", "2026-02-19 12:00:00")
    clicks = reports.table(log, LIVE, "clicks")
    assert [(r[0], r[5], r[6]) for r in clicks.rows] == [("ana@daily.example", 1, URL_A), ("eve@radio.example", 2, f"{URL_B} {URL_A}")]
    bounces = reports.table(log, LIVE, "bounces")
    assert [r[0:1] + r[3:6] for r in bounces.rows] == [
        ("cleo@gazette.example", "hard bounce", "Invalid Address", "550 5.1.1 no such user"),
        ("dan@gazette.example", "blocked", "Reputation", "554 blocked"),
        ("lee@radio.example", "dropped", "", "Bounced Address"),
    ]


def test_reports_outlets_flag_a_domain_where_everything_bounced(log: Engine) -> None:
    """outlets: by outlet then by domain; The Gazette / gazette.example bounced entirely and come
    first (with Radio One, whose only address known to be mailed (lee; hal's fate is unknown)
    bounced: rates are of the addresses mailed, fix16b #2)."""
    t = reports.table(log, LIVE, "outlets")
    assert [shown(row) for row in t.rows] == [
        ("outlet", "Radio One", 2, 0, 1, 0, 0, 0, "100.0%", "every address mailed bounced; 1 of 2 not known to be mailed"),
        ("outlet", "The Gazette", 2, 0, 2, 0, 0, 0, "100.0%", "every address bounced"),
        ("outlet", "TV Channel", 3, 1, 0, 0, 0, 0, "0.0%", "1 of 3 not known to be mailed"),
        ("outlet", "Daily News", 2, 2, 0, 2, 1, 1, "0.0%", ""),
        ("outlet", "Radio <b>One</b>", 1, 1, 0, 1, 1, 1, "0.0%", ""),
        ("domain", "gazette.example", 2, 0, 2, 0, 0, 0, "100.0%", "every address bounced"),
        ("domain", "radio.example", 3, 1, 1, 1, 1, 1, "50.0%", "1 of 3 not known to be mailed"),
        ("domain", "tv.example", 3, 1, 0, 0, 0, 0, "0.0%", "1 of 3 not known to be mailed"),
        ("domain", "daily.example", 2, 2, 0, 2, 1, 1, "0.0%", ""),
    ]
    assert t.flagged == {0, 1, 5}


def test_reports_headline_figures_leave_out_test_sends(log: Engine) -> None:
    """`mailer campaigns` figures: the live campaign only; test sends and unknown ids are absent."""
    assert reports.headline_figures(log, [LIVE, TEST, "nope"]) == {
        LIVE: {"delivered": 4, "opened": 2, "clicked": 2, "bounced": 3, "unsubscribed": 1}
    }


def test_reports_test_send_is_refused(log: Engine) -> None:
    """A report on a test send says reports cover live sends only."""
    with pytest.raises(ReportError) as caught:
        reports.summarize(log, TEST)
    assert caught.value.message == f"{TEST} is a test send to staff; reports cover live sends only."


def test_reports_unknown_campaign_suggests_a_near_name(log: Engine) -> None:
    """A mistyped campaign id is named, with the closest existing one."""
    with pytest.raises(ReportError) as caught:
        reports.table(log, "2026-02-19-wetland", "summary")
    assert caught.value.message == 'No campaign "2026-02-19-wetland" in the delivery log.'
    assert caught.value.hint.startswith(f"Did you mean {LIVE}")


def test_reports_timeline_puts_each_event_in_the_bucket_it_falls_in(store: Engine) -> None:
    """A bucket runs from a multiple of its size up to the next: an open 45 minutes into the hour is that hour's.
    (Each open is another journalist's: the chart counts a journalist once, at their first open.)"""
    add_campaign(store, LIVE)
    keys = {email: add_message(store, LIVE, email) for email in ("ana@daily.example", "ben@daily.example", "cleo@gazette.example")}
    happenings = [
        ("open", 10, "ana@daily.example"),
        ("open", 2700, "ben@daily.example"),
        ("click", 3599, "ana@daily.example"),
        ("open", 3600, "cleo@gazette.example"),
        ("click", 5399, "ana@daily.example"),
        ("click", 5400, "ana@daily.example"),
    ]
    batch = [sg_event(kind, email, key=keys[email], campaign_id=LIVE, at=T0 + at, sg_machine_open=False) for kind, at, email in happenings]
    events.apply(store, [events.from_object(e, where="x") for e in batch], source="import", block_threshold=3)
    with store.connect() as connection:
        fine = event_reports.engagement(connection, LIVE).timeline
    assert page.merge_timeline(fine, 3600) == (3600, [(T0, 2, 1), (T0 + 3600, 1, 2)])
    assert page.merge_timeline(fine) == (
        900,
        [
            (T0, 1, 0),
            (T0 + 2700, 1, 1),
            (T0 + 3600, 1, 0),
            (T0 + 4500, 0, 1),
            (T0 + 5400, 0, 1),
        ],
    )


def test_reports_campaign_without_recipients_is_an_error(store: Engine) -> None:
    """An empty campaign is reported as having nothing to report."""
    add_campaign(store, "2026-03-01-empty")
    with pytest.raises(ReportError, match="has no recipients in the delivery log; there is nothing to report"):
        reports.summarize(store, "2026-03-01-empty")


def cli(log: Engine, *args: str) -> tuple[int, str]:
    Path("mailer.toml").write_text(f'[database]\nurl = "{log.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, without_log_line(result.output)


def test_reports_csv_is_bom_utf8_and_spreadsheet_safe(log: Engine) -> None:
    """The CSV starts with a BOM, keeps accents, and neutralises a formula in a contact's name."""
    code, out = cli(log, "report", LIVE, "--kind", "recipients", "--format", "csv", "-o", "r.csv")
    assert code == 0, out
    assert out == "Wrote the recipients report (12 rows) to r.csv\n"
    raw = Path("r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["email", "name", "outlet"]
    by_email = {r[0]: r for r in rows[1:]}
    assert by_email["cleo@gazette.example"][1] == "Cléo Martin"
    assert by_email["eve@radio.example"][1] == '\'=HYPERLINK("http://x") <script>alert(1)</script>'


def test_reports_file_kind_comes_from_the_output_name(log: Engine) -> None:
    """-o recip.xlsx without --format writes an XLSX file (it printed a table and wrote nothing;
    newcomer review 8); a name that says nothing, or that disagrees with --format, is refused
    before anything is written."""
    code, out = cli(log, "report", LIVE, "--kind", "recipients", "-o", "recip.xlsx")
    assert code == 0, out
    assert out == "Wrote the recipients report (12 rows) to recip.xlsx\n"
    assert load_workbook("recip.xlsx").active.cell(1, 1).value == "email"
    code, out = cli(log, "report", LIVE, "-o", "summary.CSV")
    assert code == 0 and Path("summary.CSV").read_bytes().startswith(b"\xef\xbb\xbf"), out
    code, out = cli(log, "report", LIVE, "--kind", "recipients", "--format", "csv", "-o", "wrong.xlsx")
    assert code == 2 and "--format csv does not match wrong.xlsx" in out
    code, out = cli(log, "report", LIVE, "-o", "report")
    assert code == 2 and "--format csv, xlsx, json or html" in out
    assert not Path("wrong.xlsx").exists() and not Path("report").exists()


def test_reports_xlsx_has_rows_and_no_formulas(log: Engine) -> None:
    """The XLSX holds the same rows; a formula-like name is text, not a formula."""
    code, out = cli(log, "report", LIVE, "--kind", "outlets", "--format", "xlsx", "-o", "o.xlsx")
    assert code == 0, out
    sheet = load_workbook("o.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["by", "outlet or domain", "recipients"]
    assert values[2][:-2] == ["outlet", "The Gazette", 2, 0, 2, 0, 0, 0, 1.0, "every address bounced"]
    assert sheet.cell(2, 9).number_format == "0.0%"
    code, _ = cli(log, "report", LIVE, "--kind", "recipients", "--format", "xlsx", "-o", "r.xlsx")
    cells = [c for row in load_workbook("r.xlsx").active.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]


def test_reports_json_summary_to_stdout(log: Engine) -> None:
    """--format json without -o prints the figures as JSON."""
    code, out = cli(log, "report", LIVE, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["figures"]["opened_human"] == {"count": 2, "rate": 0.5}
    assert document["figures"]["skipped_suppressed"]["count"] == 1


def test_reports_table_summary_on_terminal(log: Engine) -> None:
    """The default is a table of figures with rates."""
    code, out = cli(log, "report", LIVE)
    assert code == 0
    assert out.splitlines()[0] == f"{LIVE}: Wetlands report"
    rows = [tuple(cell.strip() for cell in line.strip("│").split("│")) for line in out.splitlines() if line.startswith("│")]
    assert rows == [
        ("Planned recipients", "10", ""),
        ("Skipped: duplicate", "1", ""),
        ("Skipped: suppressed", "1", ""),
        ("Accepted by SendGrid", "8", ""),
        ("Failed (refused by SendGrid)", "1", ""),
        ("Fate unknown (see mailer status)", "1", ""),
        ("Delivered", "4", "50.0%"),
        ("Deferred (still trying)", "1", ""),
        ("Bounced (not delivered)", "3", "37.5%"),
        ("hard bounce (address refused for good)", "1", "12.5%"),
        ("Invalid Address", "1", ""),
        ("blocked (temporary refusal)", "1", "12.5%"),
        ("Reputation", "1", ""),
        ("dropped by SendGrid", "1", "12.5%"),
        ("Opened (all, unique)", "3", "75.0%"),
        ("Opened by people (without Apple pre-fetch)", "2", "50.0%"),
        ("Clicked (unique)", "2", "50.0%"),
        ("Marked as spam", "1", "25.0%"),
        ("Unsubscribed", "1", "25.0%"),
    ]


def test_reports_cli_unknown_campaign_exits_1(log: Engine) -> None:
    """An unknown campaign exits 1 with the message and hint, no traceback."""
    code, out = cli(log, "report", "nope")
    assert code == 1
    assert out.startswith('Error: No campaign "nope" in the delivery log.\nThis delivery log (')
    assert out.endswith(
        ") holds no send of that id. A send made with another office's or client's mailer.toml is in that office's log: "
        "add --config with that mailer.toml, or set MAILER_CONFIG to it. `mailer campaigns` lists the campaigns of this log.\n"
    )


def test_reports_empty_kind_warns_and_writes_headings(store: Engine) -> None:
    """A campaign with no clicks yet gives a headings-only file and says so."""
    add_campaign(store, LIVE)
    add_message(store, LIVE, "ana@daily.example")
    code, out = cli(store, "report", LIVE, "--kind", "clicks", "--format", "csv", "-o", "c.csv")
    assert code == 0
    assert f"No clicks recorded for {LIVE} yet; the file has headings only." in out
    assert Path("c.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "email,name,outlet,first click (UTC),last click (UTC),clicks,links clicked,campaign,subject"
    ]


def test_reports_xlsx_survives_control_characters_in_contact_data(store: Engine) -> None:
    """A vertical tab or form feed in a contact field (FileMaker exports) becomes a space; the XLSX is written."""
    add_campaign(store, LIVE)
    add_message(store, LIVE, "vt@daily.example", first_name="Ana\x0bMaria", outlet="Daily\x0cNews\x01")
    code, out = cli(store, "report", LIVE, "--kind", "recipients", "--format", "xlsx", "-o", "vt.xlsx")
    assert code == 0, out
    values = [c.value for row in load_workbook("vt.xlsx").active.iter_rows() for c in row]
    assert "Ana Maria" in values and "Daily News " in values


def test_reports_page_figures_equal_summary_and_outlets(log: Engine) -> None:
    """The HTML page's single-pass figures are the summary's and the outlet table's, and its timeline holds every
    journalist who opened (by a person, once) and every click."""
    summary, outlet_table, timeline = figures.page_figures(log, LIVE)
    assert summary == reports.summarize(log, LIVE)
    expected = reports.table(log, LIVE, "outlets")
    assert (outlet_table.rows, outlet_table.flagged) == (expected.rows, expected.flagged)
    # Journalists who opened, by people: ana (2 opens; the third was Apple's) and eve (1), each once; clicks: ana 1, eve 2.
    assert sum(opens for opens, _ in timeline.values()) == 2
    assert sum(clicks for _, clicks in timeline.values()) == 3


@pytest.mark.parametrize("chunk", [1, 2])
def test_reports_page_figures_read_in_small_chunks_are_the_same(log: Engine, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Opens and clicks read a few event ids at a time (a campaign far larger than a chunk, with ids of other
    events between its opens) give the same page figures and timeline."""
    whole = figures.page_figures(log, LIVE)
    monkeypatch.setattr(event_reports, "CHUNK", chunk)
    summary, outlet_table, timeline = figures.page_figures(log, LIVE)
    assert (summary, outlet_table.rows, outlet_table.flagged, timeline) == (whole[0], whole[1].rows, whole[1].flagged, whole[2])
    assert timeline and summary.opened == whole[0].opened > 0
