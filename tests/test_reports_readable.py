"""Readable reports (issue 13), through the command line, on a fixture campaign counted by hand.

The campaign "2026-03-05-river" went to 11 list rows:

    row  journalist                                              outlet        what happened
    1    alexandra.konstantinopoulou@regional-broadcasting...    Regional TV   delivered; opened twice (people); clicked once
    2    ben@daily.example                                       Daily News    delivered; opened only by Apple's pre-fetch
    3    cleo@gazette.example                                    The Gazette   hard bounce, Invalid Address
    4    dan@gazette.example                                     The Gazette   blocked, Reputation
    5    eve@radio.example                                       Radio One     delivered; opened (people); unsubscribed from the group, then resubscribed
    6    fay@radio.example                                       Radio One     delivered; unsubscribed, and from the group too
    7    gus@tv.example                                          TV Channel    dropped by SendGrid
    8    hal@tv.example                                          TV Channel    delivered; nothing else
    9    ivy@tv.example, 10 jon@tv.example                                     excluded by the send's --where (skipped: filtered)
    11   kim@daily.example                                                     skipped: suppressed

By hand: 11 rows, 3 skipped -> 8 planned, all 8 accepted. Delivered: rows 1, 2, 5, 6, 8 = 5
(5/8 = 62.5 % of accepted). Bounced (not delivered) = hard 1 + blocked 1 + dropped 1 = 3 (3/8 =
37.5 %). Opened: rows 1, 2, 5 = 3 (3/5 = 60 % of delivered); by people rows 1, 5 = 2 (40 %);
clicked row 1 = 1 (20 %). Unsubscribed: row 6 only, once (20 %): row 5 resubscribed.
Two earlier campaigns, in January and February, feed the overview.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import without_log_line
from eventlog import add_campaign, add_message, sg_event
from openpyxl import load_workbook
from sqlalchemy import Engine

from mailer import events
from mailer.cli import main

RIVER = "2026-03-05-river"
JAN = "2026-01-15-budget"
FEB = "2026-02-10-wetlands"
T = int(datetime(2026, 3, 5, 9, 0, tzinfo=UTC).timestamp())  # when the river release went out
LONG = "alexandra.konstantinopoulou@regional-broadcasting-network.example"

# (email, first, last, outlet, state, skip_reason, events as (kind, seconds after T, extra))
PEOPLE = [
    (
        LONG,
        "Alexandra",
        "Konstantinopoulou",
        "Regional TV",
        "accepted",
        None,
        [
            ("delivered", 5, {}),
            ("open", 600, {"sg_machine_open": False}),
            ("open", 4000, {"sg_machine_open": False}),
            ("click", 4100, {"url": "https://example.org/river"}),
        ],
    ),
    ("ben@daily.example", "Ben", "Okafor", "Daily News", "accepted", None, [("delivered", 6, {}), ("open", 60, {"sg_machine_open": True})]),
    (
        "cleo@gazette.example",
        "Cléo",
        "Martin",
        "The Gazette",
        "accepted",
        None,
        [
            ("bounce", 20, {"type": "bounce", "bounce_classification": "Invalid Address", "reason": "550 5.1.1 no such user"}),
        ],
    ),
    (
        "dan@gazette.example",
        "Dan",
        "Wu",
        "The Gazette",
        "accepted",
        None,
        [
            ("bounce", 25, {"type": "blocked", "bounce_classification": "Reputation", "reason": "554 blocked"}),
        ],
    ),
    (
        "eve@radio.example",
        "=Eve",
        "Adams",
        "Radio One",
        "accepted",
        None,
        [
            ("delivered", 7, {}),
            ("open", 3000, {"sg_machine_open": False}),
            ("group_unsubscribe", 3100, {"asm_group_id": 7}),
            ("group_resubscribe", 9000, {"asm_group_id": 7}),
        ],
    ),
    (
        "fay@radio.example",
        "Fay",
        "Ng",
        "Radio One",
        "accepted",
        None,
        [
            ("delivered", 8, {}),
            ("unsubscribe", 5000, {}),
            ("group_unsubscribe", 5001, {"asm_group_id": 7}),
        ],
    ),
    ("gus@tv.example", "Gus", "Berg", "TV Channel", "accepted", None, [("dropped", 2, {"reason": "Bounced Address"})]),
    ("hal@tv.example", "Hal", "Roy", "TV Channel", "accepted", None, [("delivered", 9, {})]),
    ("ivy@tv.example", "Ivy", "Sato", "TV Channel", "skipped", "filtered", []),
    ("jon@tv.example", "Jon", "Park", "TV Channel", "skipped", "filtered", []),
    ("kim@daily.example", "Kim", "Lee", "Daily News", "skipped", "suppressed", []),
]


def build(store: Engine) -> Engine:
    """The river campaign and two earlier ones, events ingested the real way."""
    add_campaign(store, RIVER, subject="River clean-up draws 400 volunteers", created=T)
    batch = []
    for email, first, last, outlet, state, skip, happenings in PEOPLE:
        key = add_message(store, RIVER, email, first_name=first, last_name=last, outlet=outlet, state=state, skip_reason=skip)
        batch += [sg_event(kind, email, key=key, campaign_id=RIVER, at=T + at, **extra) for kind, at, extra in happenings]
    # January: 4 sent, 4 delivered, 2 opened by people, 1 clicked. February: 2 sent, 1 delivered, 1 bounced.
    add_campaign(store, JAN, subject="Budget 2026", created=int(datetime(2026, 1, 15, 9, tzinfo=UTC).timestamp()))
    for n in range(4):
        email = f"reader{n}@jan.example"
        key = add_message(store, JAN, email, outlet="Jan Weekly")
        at = int(datetime(2026, 1, 15, 10, tzinfo=UTC).timestamp())
        batch.append(sg_event("delivered", email, key=key, campaign_id=JAN, at=at))
        if n < 2:
            batch.append(sg_event("open", email, key=key, campaign_id=JAN, at=at + 60, sg_machine_open=False))
        if n == 0:
            batch.append(sg_event("click", email, key=key, campaign_id=JAN, at=at + 90, url="https://example.org/b"))
    add_campaign(store, FEB, subject="Wetlands report", created=int(datetime(2026, 2, 10, 9, tzinfo=UTC).timestamp()))
    at = int(datetime(2026, 2, 10, 10, tzinfo=UTC).timestamp())
    key = add_message(store, FEB, "a@feb.example")
    batch.append(sg_event("delivered", "a@feb.example", key=key, campaign_id=FEB, at=at))
    key = add_message(store, FEB, "b@feb.example")
    batch.append(
        sg_event("bounce", "b@feb.example", key=key, campaign_id=FEB, at=at, type="bounce", bounce_classification="Invalid Address")
    )
    add_campaign(store, "2026-03-04-river-test", mode="test", created=T - 3600)
    events.apply(store, [events.from_object(e, where="x") for e in batch], source="import", block_threshold=3)
    return store


@pytest.fixture
def river(store: Engine) -> Engine:
    return build(store)


def cli(engine: Engine, *args: str, columns: int = 80) -> tuple[int, str]:
    Path("mailer.toml").write_text(f'[database]\nurl = "{engine.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(main, list(args))
    return result.exit_code, without_log_line(result.output)


def grid(out: str) -> list[list[str]]:
    """The cells of a Rich table as printed, one list per printed line that has cells."""
    return [
        [cell.strip() for cell in line.strip().strip("│┃").split("│" if "│" in line else "┃")]
        for line in out.splitlines()
        if line.strip()[:1] in "│┃"
    ]


def test_report_summary_counts_by_hand(river: Engine) -> None:
    """The summary table: one "Bounced" with its breakdown under it; the resubscribed journalist is not unsubscribed."""
    code, out = cli(river, "report", RIVER, columns=120)
    assert code == 0, out
    rows = [tuple(row) for row in grid(out)][1:]
    assert rows == [
        ("Planned recipients", "8", ""),
        ("Skipped: filtered", "2", ""),
        ("Skipped: suppressed", "1", ""),
        ("Accepted by SendGrid", "8", ""),
        ("Failed (refused by SendGrid)", "0", ""),
        ("Fate unknown (see mailer status)", "0", ""),
        ("Delivered", "5", "62.5%"),
        ("Deferred (still trying)", "0", ""),
        ("Bounced (not delivered)", "3", "37.5%"),
        ("hard bounce (address refused for good)", "1", "12.5%"),
        ("Invalid Address", "1", ""),
        ("blocked (temporary refusal)", "1", "12.5%"),
        ("Reputation", "1", ""),
        ("dropped by SendGrid", "1", "12.5%"),
        ("Opened (all, unique)", "3", "60.0%"),
        ("Opened by people (without Apple pre-fetch)", "2", "40.0%"),
        ("Clicked (unique)", "1", "20.0%"),
        ("Marked as spam", "0", "0.0%"),
        ("Unsubscribed", "1", "20.0%"),
    ]
    # The breakdown is indented under "Bounced".
    first_cells = [line.split("│")[1] for line in out.splitlines() if line.startswith("│")]
    assert "   hard bounce (address refused for good)" in [cell.rstrip() for cell in first_cells]
    assert "     Invalid Address" in [cell.rstrip() for cell in first_cells]


def test_report_terminal_email_never_cut_and_columns_left_out_at_80(river: Engine) -> None:
    """At 80 columns the long address is whole on one line, the table fits, and the note names what was left out."""
    code, out = cli(river, "report", RIVER, "--kind", "recipients", columns=80)
    assert code == 0, out
    assert LONG in out
    table_lines = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table_lines) <= 80
    assert "Left out to fit the terminal: " in out
    assert "--wide shows every column" in " ".join(out.split())
    header = grid(out)[0]
    assert header[0] == "email" and "last event (UTC)" not in header


def test_report_terminal_120_keeps_more_and_wide_keeps_all(river: Engine) -> None:
    """120 columns leave out fewer columns than 80; --wide prints all 15, each address whole."""
    _, narrow = cli(river, "report", RIVER, "--kind", "recipients", columns=80)
    _, wider = cli(river, "report", RIVER, "--kind", "recipients", columns=120)
    assert len(grid(wider)[0]) > len(grid(narrow)[0])
    assert " state " in wider.split("┡")[0]  # kept longest: without it a skipped journalist reads like one mailed (newcomer 11)
    code, wide = cli(river, "report", RIVER, "--kind", "recipients", "--wide", columns=80)
    assert code == 0
    assert grid(wide)[0] == [
        "email",
        "name",
        "outlet",
        "state",
        "delivery",
        "first event (UTC)",
        "last event (UTC)",
        "opens",
        "opens by people",
        "clicks",
        "bounce",
        "bounce classification",
        "bounce reason",
        "unsubscribed",
        "marked as spam",
        "why skipped or failed",
        "list and row",
    ]
    assert "Left out to fit" not in wide and LONG in wide


def test_report_recipients_leave_out_where_exclusions_unless_all(river: Engine) -> None:
    """The 2 journalists excluded by --where are not listed (9 rows) and the note says so; --all lists 11."""
    code, out = cli(river, "report", RIVER, "--kind", "recipients", "--format", "csv", "-o", "r.csv")
    assert code == 0, out
    assert "Wrote the recipients report (9 rows) to r.csv" in out
    assert "Left out 2 journalists excluded by the send's --where; --all lists them." in out
    emails = [row[0] for row in csv.reader(io.StringIO(Path("r.csv").read_text(encoding="utf-8-sig")))][1:]
    assert "ivy@tv.example" not in emails and len(emails) == 9
    code, out = cli(river, "report", RIVER, "--kind", "recipients", "--format", "csv", "--all", "-o", "all.csv")
    assert "Wrote the recipients report (11 rows) to all.csv" in out
    _, out = cli(river, "report", RIVER, "--kind", "recipients", columns=200)
    assert "ivy@tv.example" not in out
    _, out = cli(river, "report", RIVER, "--kind", "recipients", "--all", columns=200)
    assert "ivy@tv.example" in out


def test_report_xlsx_typed_cells_and_autofilter(river: Engine) -> None:
    """XLSX: instants are date-time cells (UTC in the header), rates numbers shown as %, no apostrophe, a filter on the header."""
    code, out = cli(river, "report", RIVER, "--kind", "recipients", "--format", "xlsx", "-o", "r.xlsx")
    assert code == 0, out
    sheet = load_workbook("r.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header[5] == "first event (UTC)"
    assert sheet.auto_filter.ref == "A1:S10"  # the columns, then campaign and subject
    assert sheet.freeze_panes == "A2"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    first = rows[LONG][5]
    assert first.is_date and first.value == datetime(2026, 3, 5, 9, 0, 5)
    assert first.number_format == "yyyy\\-mm\\-dd\\ hh:mm:ss"
    # "=Eve" is text, stored without the CSV's apostrophe, and not a formula.
    assert rows["eve@radio.example"][1].value == "=Eve Adams"
    assert rows["eve@radio.example"][1].data_type == "s"
    cli(river, "report", RIVER, "--kind", "outlets", "--format", "xlsx", "-o", "o.xlsx")
    outlets = load_workbook("o.xlsx").active
    gazette = next(row for row in outlets.iter_rows(min_row=2) if row[1].value == "The Gazette")
    assert gazette[8].value == 1.0 and gazette[8].number_format == "0.0%"
    # The CSV keeps its spreadsheet-safe escaping.
    cli(river, "report", RIVER, "--kind", "recipients", "--format", "csv", "-o", "r.csv")
    assert "'=Eve Adams" in Path("r.csv").read_text(encoding="utf-8-sig")


def test_report_one_bounced_in_every_table(river: Engine) -> None:
    """Bounced is 3 in the summary, the page's card, the outlets (2 + 1) and `mailer campaigns`' figures."""
    _, out = cli(river, "report", RIVER, "--format", "json")
    assert '"bounced": {\n      "count": 3' in out and '"hard_bounced": {\n      "count": 1' in out
    cli(river, "report", RIVER, "--format", "html", "-o", "p.html")
    page = Path("p.html").read_text(encoding="utf-8")
    assert '<div class="n">3</div><div class="l">bounced (not delivered)</div><div class="r">37.5% of accepted</div>' in page
    _, out = cli(river, "report", RIVER, "--kind", "outlets", "--format", "csv", "-o", "o.csv")
    outlets = {row[1]: row for row in csv.reader(io.StringIO(Path("o.csv").read_text(encoding="utf-8-sig")))}
    assert outlets["The Gazette"][4] == "2" and outlets["TV Channel"][4] == "1"
    assert sum(int(row[4]) for row in outlets.values() if row[0] == "outlet") == 3


def test_report_html_page_fits_narrow_screens(river: Engine) -> None:
    """Tables scroll in their own box, the chart has a narrow version for phones, the breakdown is indented under Bounced."""
    code, out = cli(river, "report", RIVER, "--kind", "recipients", "--format", "html", "-o", "p.html")
    assert code == 0, out
    page = Path("p.html").read_text(encoding="utf-8")
    assert page.count('<div class="scroll"><table>') == 2  # outlets and every journalist
    assert '<svg class="chart wide"' in page and '<svg class="chart narrow"' in page
    assert "@media (max-width: 600px)" in page
    bounced = page.index("<td>Bounced (not delivered)</td>")
    assert page.index('<td class="sub">hard bounce (address refused for good)</td>') > bounced
    assert '<td class="sub2">Invalid Address</td>' in page
    assert '<td>Unsubscribed</td><td class="num">1</td><td class="num">20.0%</td>' in page


def test_report_overview_page_of_a_period(river: Engine) -> None:
    """--overview --since/--until: the campaigns of the period with their figures and a trend chart, self-contained."""
    code, out = cli(river, "report", "--overview", "--since", "2026-02-01", "--until", "2026-03-31", "-o", "q.html")
    assert code == 0, out
    assert out == "Wrote the overview of 2 campaigns from 2026-02-01 to 2026-03-31 to q.html\n"
    page = Path("q.html").read_text(encoding="utf-8")
    assert "<h1>Campaigns from 2026-02-01 to 2026-03-31</h1>" in page
    assert RIVER in page and FEB in page and JAN not in page and "river-test" not in page
    # River: 8 planned, 5 delivered (62.5 %), 2 opened by people (40 %), 1 clicked (20 %), 3 bounced (37.5 %), 1 unsubscribed.
    # River: 5 delivered (62.5 %), 2 opened by people (40 %), 1 clicked (20 %), 3 bounced (37.5 %), 1 unsubscribed, 8 planned.
    river_row = re.search(r"<tr><td[^>]*>2026-03-05 09:00</td>(.*?)</tr>", page).group(1)
    assert re.findall(r">([^<]*)</td>", river_row) == [
        "River clean-up draws 400 volunteers",
        "5",
        "62.5%",
        "2",
        "40.0%",
        "1",
        "20.0%",
        "3",
        "37.5%",
        "1",
        "8",
        RIVER,
    ]
    # Totals: delivered 5 + 1 = 6 of 10 accepted; bounced 3 + 1 = 4.
    assert '<div class="n">6</div><div class="l">delivered</div><div class="r">60.0% of accepted</div>' in page
    assert '<div class="n">4</div><div class="l">bounced (not delivered)</div>' in page
    assert page.count("<polyline") == 6  # three lines, wide and narrow
    assert not re.search(r"<(link|img|script|iframe)\b|\bsrc\s*=|url\(", page, re.IGNORECASE)
    code, out = cli(river, "report", "--overview", "--since", "2027-01-01", "-o", "none.html")
    assert code == 0 and "No live campaign was sent since 2027-01-01" in out


def test_report_overview_usage_errors(river: Engine) -> None:
    """A campaign id with --overview, or no campaign without it, is a usage error (exit 2) that says what to do."""
    code, out = cli(river, "report", RIVER, "--overview")
    assert code == 2 and "leave out the campaign id" in out
    code, out = cli(river, "report")
    assert code == 2 and "Name the campaign to report on" in out
    code, out = cli(river, "report", "--overview", "--format", "csv")
    assert code == 2 and "--overview writes an HTML page" in out


def test_report_latest_quiet_keeps_only_the_table(river: Engine) -> None:
    """`latest` names the newest campaign; -q keeps the fitted table and drops the notes about what was left out."""
    code, out = cli(river, "report", "latest", "--kind", "recipients", "-q", columns=80)
    assert code == 0, out
    assert out.startswith(f"{RIVER}: recipients (9)") and LONG in out
    assert "Left out" not in out
    code, out = cli(river, "-q", "report", "latest~1", "--wide", "--kind", "recipients", columns=80)  # live sends only: not the test send
    assert code == 0, out
    assert out.startswith(f"{FEB}: recipients")


def test_report_xlsx_styles(river: Engine) -> None:
    """The header is bold, an all-bounced outlet's row is filled light red, and every text cell is a string cell."""
    code, out = cli(river, "report", RIVER, "--kind", "outlets", "--format", "xlsx", "-o", "o.xlsx")
    assert code == 0, out
    sheet = load_workbook("o.xlsx").active
    assert all(cell.font.b for cell in sheet[1])
    gazette = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "The Gazette")
    assert {(cell.fill.fill_type, cell.fill.fgColor.rgb[-6:]) for cell in gazette} == {("solid", "F8D7DA")}  # ARGB: alpha aside
    daily = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "Daily News")
    assert daily[0].fill.fill_type is None
    cli(river, "report", RIVER, "--kind", "recipients", "--format", "xlsx", "-o", "r.xlsx")
    cells = [cell for row in load_workbook("r.xlsx").active.iter_rows() for cell in row]
    assert {cell.data_type for cell in cells if isinstance(cell.value, str)} == {"s"}


def test_report_opens_on_a_very_narrow_terminal_leaves_columns_out_without_failing(river: Engine) -> None:
    """At 40 columns the 67-character address leaves room for nothing else: every other column of
    the opens report is left out (one used to be named twice, which ended in a traceback)."""
    code, out = cli(river, "report", RIVER, "--kind", "opens", columns=40)
    assert code == 0, out
    assert "Traceback" not in out
    assert "Left out" in out


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("fmt", ["csv", "json", "html", "xlsx"])
def test_report_written_to_a_full_disk_says_so(river: Engine, fmt: str) -> None:
    """A report that cannot be written whole (no space left) is a clear error, not a traceback."""
    code, out = cli(river, "report", RIVER, "--kind", "recipients", "--format", fmt, "-o", "/dev/full")
    assert code == 1, out
    assert "/dev/full: cannot be written (No space left on device)." in out
    assert "Traceback" not in out
