"""Session 12: smaller problems in reports, suppressions and `lists prune` (fix12r).

Each test names the item it holds to; each failed before its fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from press_office import campaign_of, folder, mailer
from sqlalchemy import Engine
from test_reports import LIVE, log  # noqa: F401  (the hand-counted campaign of test_reports.py)

from mailer import reports


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """The press office of press_office.py (a beat list with one duplicate row), no send yet."""
    return folder(tmp_path, standin, db_url)


def send(*lists: str) -> str:
    """A live send of the example release to ``lists`` (default: the beat list); its campaign id."""
    named = [arg for path in lists or ("lists/beat.csv",) for arg in ("--list", path)]
    sent = mailer("send", "releases/example.md", *named, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    return campaign_of(sent)


def test_report_to_standard_output_without_format_is_csv(office: Path) -> None:
    """Item 4: `mailer report ID -o -` writes CSV to standard output (it was refused for want of
    --format); xlsx and html to "-" are refused, saying which formats standard output takes."""
    campaign = send()
    piped = mailer("report", campaign, "--kind", "recipients", "-o", "-")
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.startswith("email,name,outlet,"), piped.stdout[:200]
    assert not (office / "-").exists()
    summary = mailer("report", campaign, "-o", "-")
    assert summary.exit_code == 0 and summary.stdout.startswith("figure,count,rate"), summary.output
    refused = mailer("report", campaign, "--format", "html", "-o", "-")
    assert refused.exit_code == 2
    assert "standard output takes csv (the default) or json" in " ".join(refused.output.split()), refused.output


def test_suppressions_import_with_a_missing_file_imports_nothing_and_says_so(office: Path) -> None:
    """Item 7: `mailer suppressions import A.csv MISSING.csv` names the missing file and says
    plainly that nothing was imported, with no traceback; A's addresses are not suppressed."""
    (office / "dnc.csv").write_text("Email\nzoe@paper.example\n", encoding="utf-8")
    imported = mailer("suppressions", "import", "dnc.csv", "gone.csv", "--reason", "agency opt-outs")
    said = " ".join(imported.output.split())
    assert imported.exit_code == 1, imported.output
    assert "gone.csv: no such file. Nothing was imported, from any of the 2 files." in said, said
    assert "Traceback" not in said and imported.exc_info[0] is SystemExit
    assert "zoe@paper.example" not in mailer("suppressions", "list").output


def test_lists_prune_takes_several_files(office: Path) -> None:
    """Item 8: `mailer lists prune A.csv B.csv -o OUT` prunes both lists into one copy, as
    `lists check` and `lists clean` take several files (it took one only); writing over
    either list is refused."""
    (office / "lists" / "more.csv").write_text("Email,Name\nzoe@paper.example,Zoe Paper\nyan@paper.example,Yan Li\n", encoding="utf-8")
    assert mailer("suppressions", "add", "eve@radio.example", "yan@paper.example", "--reason", "asked by phone").exit_code == 0
    pruned = mailer("lists", "prune", "lists/beat.csv", "lists/more.csv", "-o", "pruned.csv")
    assert pruned.exit_code == 0, pruned.output
    assert "Wrote 5 journalists to pruned.csv; left out 2 suppressed addresses." in pruned.output, pruned.output
    assert "mailer lists check lists/beat.csv lists/more.csv" in pruned.output, pruned.output
    kept = (office / "pruned.csv").read_text(encoding="utf-8-sig")
    assert "zoe@paper.example" in kept and "ana@daily.example" in kept
    assert "eve@radio.example" not in kept and "yan@paper.example" not in kept
    over = mailer("lists", "prune", "lists/beat.csv", "lists/more.csv", "-o", "lists/more.csv")
    assert over.exit_code == 1 and "would overwrite the list being pruned" in over.output, over.output


def recipients_report(campaign: str) -> dict[str, dict[str, str]]:
    """The recipients report as CSV on standard output, by list row ("lists/beat.csv:7" -> the row by label)."""
    import csv

    piped = mailer("report", campaign, "--kind", "recipients", "--format", "csv", "-o", "-")
    assert piped.exit_code == 0, piped.output
    return {row["list and row"]: row for row in csv.DictReader(piped.stdout.splitlines())}


def test_report_shows_the_suppression_note_of_a_suppressed_row(office: Path) -> None:
    """Item 1: a journalist skipped as suppressed reads, under "why skipped or failed", the
    suppression's reason and its note ("unsubscribe (asked by phone, 3 March)"), not the reason only."""
    (office / "dnc.csv").write_text('email,reason,note\neve@radio.example,unsubscribe,"asked by phone, 3 March"\n', encoding="utf-8")
    assert mailer("suppressions", "import", "dnc.csv", "--reason", "old tool").exit_code == 0
    eve = recipients_report(send())["lists/beat.csv:6"]
    assert (eve["email"], eve["state"]) == ("eve@radio.example", "skipped: suppressed")
    assert eve["why skipped or failed"] == "unsubscribe (asked by phone, 3 March)"


def test_report_names_the_journalist_of_a_skipped_duplicate_row(office: Path) -> None:
    """Item 2: a row skipped as a duplicate shows the name and outlet its own cells hold, read as
    a recipient's are (a "Full Name" split, "Media Outlet" recognized), not empty columns; the
    row keeps its original cells in the log too."""
    (office / "lists" / "desk.csv").write_text(
        "E-mail Address;Full Name;Media Outlet\nana@daily.example;Ana M. Lima;Daily News Online\nzed@x.example;Zed Zee;X Mag\n",
        encoding="utf-8",
    )
    rows = recipients_report(send("lists/beat.csv", "lists/desk.csv"))
    beat, desk = rows["lists/beat.csv:7"], rows["lists/desk.csv:2"]
    assert (beat["state"], beat["name"], beat["outlet"]) == ("skipped: duplicate", "Ana Lima", "Daily News")
    assert (desk["state"], desk["name"], desk["outlet"]) == ("skipped: duplicate", "Ana M. Lima", "Daily News Online")


COUNTS = {
    "summary": ("count",),
    "recipients": ("opens", "opens by people", "clicks"),
    "opens": ("opens", "opens by people"),
    "clicks": ("clicks",),
    "outlets": ("recipients", "delivered", "bounced", "opened", "opened by people", "clicked"),
}


@pytest.mark.parametrize("kind", sorted(COUNTS))
def test_xlsx_counts_are_whole_numbers_in_every_sheet(log: Engine, tmp_path: Path, kind: str) -> None:  # noqa: F811
    """Item 5: every count in an XLSX report reads back as an integer (openpyxl), not a float:
    the sheets written through rustpy-xlsxwriter stored 3 as 3.0. Rates stay fractions."""
    path = tmp_path / f"{kind}.xlsx"
    reports.export(log, LIVE, kind=kind, fmt="xlsx", path=path)
    sheet = load_workbook(path).active
    labels = [cell.value for cell in sheet[1]]
    # a summary's rows naming the send and its closing sentences have no count (newcomer 26 #3)
    rows = [row for row in sheet.iter_rows(min_row=2) if any(row[labels.index(label)].value is not None for label in COUNTS[kind])]
    counts = [[row[labels.index(label)].value for row in rows] for label in COUNTS[kind]]
    assert counts and all(column for column in counts)
    assert {type(value) for column in counts for value in column} == {int}, counts
    if "rate" in labels:  # the summary's rates: 0.5 stays 0.5 (a rate of exactly 0 or 1 is whole either way)
        assert 0.5 in [row[labels.index("rate")].value for row in sheet.iter_rows(min_row=2)]


@pytest.mark.parametrize("kind", ["recipients", "opens", "clicks", "bounces", "outlets"])
def test_json_report_keys_are_the_column_labels(log: Engine, tmp_path: Path, kind: str) -> None:  # noqa: F811
    """Item 3: a JSON report's rows are keyed by the column labels, written one way: lower case,
    words joined by "_", "(UTC)" left out ("why skipped or failed" -> why_skipped_or_failed,
    "list and row" -> list_and_row; they were `detail` and `list`)."""
    import json
    import re

    path = tmp_path / f"{kind}.json"
    table = reports.export(log, LIVE, kind=kind, fmt="json", path=path)
    assert table is not None
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    expected = ["_".join(re.sub(r"[^a-z0-9]+", " ", label.replace("(UTC)", "").lower()).split()) for label in table.labels]
    assert rows and all(list(row) == expected for row in rows), (list(rows[0]), expected)
    if kind == "recipients":
        assert {"why_skipped_or_failed", "list_and_row", "opens_by_people"} <= set(rows[0])
        assert not {"detail", "list", "human_opens"} & set(rows[0])


def test_html_chart_of_opens_by_people_counts_journalists(log: Engine) -> None:  # noqa: F811
    """Item 6: the HTML page's chart counts journalists who opened (by people), each once at their
    first open, not open events: ana's two opens and eve's one are 2, as the "opened by people"
    card says; its legend and bar titles say journalists. Clicks stay clicks (3)."""
    import re

    from mailer.reports import page

    summary, _outlets, timeline = reports.figures.page_figures(log, LIVE)
    assert sum(opens for opens, _ in timeline.values()) == summary.opened_human == 2
    assert sum(clicks for _, clicks in timeline.values()) == 3
    html = page.render(log, LIVE, "summary")
    assert "opened by people (journalists, each at their first open)" in html
    titles = re.findall(r"<title>[^<]*: (\d+) journalists? first opened</title>", html)
    assert sum(map(int, titles)) == 2 * 2, titles  # drawn twice: the wide chart and the narrow one
