"""XLSX report files (reports/xlsx.py), written directly and read back with openpyxl.

What a press officer would notice when opening the file: text that looks like a formula, a link
or a number stays the text it was; instants are date-time cells in UTC; a very long text is cut
and the rest of its row is still there; a flagged row is red from end to end; a report too long
for a spreadsheet says so instead of writing a broken file.

A table with a flagged row goes through XlsxWriter, any other through rustpy-xlsxwriter: the
tests of what a cell holds run through both (``writer``).
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from mailer.errors import ReportError
from mailer.reports import formats, xlsx
from mailer.reports.figures import Table
from mailer.spreadsheet import FORMULA_STARTS


def written(tmp_path: Path, rows: list[tuple[Any, ...]], *, labels: tuple[str, ...] = (), flagged: frozenset[int] = frozenset()) -> Any:
    """The sheet of a workbook written with ``xlsx.write``, as openpyxl reads it back."""
    path = tmp_path / "r.xlsx"
    width = max((len(row) for row in rows), default=len(labels))
    xlsx.write(path, sheet="recipients", labels=labels or tuple(f"c{i}" for i in range(width)), rows=rows, flagged=flagged)
    return load_workbook(path).active


# A flagged row sends the table through XlsxWriter; the cell values are the same either way.
WRITERS = {"rustpy-xlsxwriter": frozenset[int](), "XlsxWriter": frozenset({0})}


@pytest.fixture(params=list(WRITERS))
def writer(request: pytest.FixtureRequest) -> frozenset[int]:
    """The rows to flag so that a table goes through one writer or the other."""
    return WRITERS[request.param]


def sheet_xml(tmp_path: Path) -> str:
    with zipfile.ZipFile(tmp_path / "r.xlsx") as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


@pytest.mark.parametrize("text", ["=1+1", '=HYPERLINK("http://x","click")', "+33 1 23 45 67 89", "-2", "@SUM(A1)", "\t=x"])
def test_xlsx_text_that_looks_like_a_formula_stays_text(tmp_path: Path, text: str, writer: frozenset[int]) -> None:
    """A cell starting with = + - @ or a tab is a string cell holding exactly that text (no apostrophe, no formula)."""
    sheet = written(tmp_path, [("a@x.example", text)], flagged=writer)
    cell = sheet.cell(2, 2)
    assert (cell.value, cell.data_type) == (text, "s")
    assert "<f>" not in sheet_xml(tmp_path)


def test_xlsx_links_and_digits_in_text_stay_text(tmp_path: Path, writer: frozenset[int]) -> None:
    """A link is text, not a hyperlink; "0123" keeps its zero; an empty text is an empty cell."""
    sheet = written(tmp_path, [("https://www.example.org/news?id=1", "0123", "", None, "mailto:press@x.example")], flagged=writer)
    assert [cell.value for cell in sheet[2]] == ["https://www.example.org/news?id=1", "0123", None, None, "mailto:press@x.example"]
    assert {cell.data_type for cell in sheet[2] if cell.value is not None} == {"s"}
    assert "hyperlink" not in sheet_xml(tmp_path)


def test_xlsx_instants_are_utc_date_time_cells(tmp_path: Path, writer: frozenset[int]) -> None:
    """An instant is a date-time cell showing its UTC clock time, whatever zone it came in."""
    paris = timezone(timedelta(hours=1))
    rows = [(datetime(2026, 2, 19, 10, 0, 5, tzinfo=UTC), datetime(2026, 2, 19, 11, 0, 5, tzinfo=paris), 0.125, 3)]
    sheet = written(tmp_path, rows, flagged=writer)
    first, second, rate, count = sheet[2]
    assert first.is_date and first.value == datetime(2026, 2, 19, 10, 0, 5)
    assert second.is_date and second.value == datetime(2026, 2, 19, 10, 0, 5)
    assert first.number_format == second.number_format == "yyyy\\-mm\\-dd\\ hh:mm:ss"
    assert (rate.value, rate.number_format) == (0.125, "0.0%")
    assert (count.value, count.number_format) == (3, "General")


def test_xlsx_a_text_longer_than_a_cell_is_cut_and_its_row_goes_on(tmp_path: Path, writer: frozenset[int]) -> None:
    """A 40,000-character reason (emoji take two UTF-16 units each) is cut to what a cell holds; the cells after it are written."""
    reason = "😀" * 20_000
    sheet = written(tmp_path, [("a@x.example", reason, "after", 7), ("b@x.example", "short", "next", 8)], flagged=writer)
    kept = sheet.cell(2, 2).value
    assert len(kept.encode("utf-16-le")) // 2 <= 32_767 and reason.startswith(kept) and len(kept) == 16_383
    assert [sheet.cell(2, 3).value, sheet.cell(2, 4).value] == ["after", 7]
    assert [cell.value for cell in sheet[3]] == ["b@x.example", "short", "next", 8]


def test_xlsx_control_characters_become_spaces(tmp_path: Path, writer: frozenset[int]) -> None:
    """A vertical tab or form feed (FileMaker exports) becomes a space; the cells beside it are unchanged."""
    sheet = written(tmp_path, [("a@x.example", "Ana\x0bMaria", "Daily\x0cNews\x01", 2, datetime(2026, 2, 19, tzinfo=UTC))], flagged=writer)
    assert [cell.value for cell in sheet[2]] == ["a@x.example", "Ana Maria", "Daily News ", 2, datetime(2026, 2, 19)]


def test_xlsx_flagged_row_is_red_from_end_to_end(tmp_path: Path) -> None:
    """Every cell of a flagged row is filled, empty ones too; its rate keeps the percent format; other rows are not filled."""
    sheet = written(
        tmp_path, [("outlet", "The Gazette", 2, 1.0, "", None), ("outlet", "Daily News", 3, 0.0, "x", 1)], flagged=frozenset({0})
    )
    gazette, daily = sheet[2], sheet[3]
    assert len(gazette) == 6
    assert {(cell.fill.fill_type, cell.fill.fgColor.rgb[-6:]) for cell in gazette} == {("solid", "F8D7DA")}
    assert gazette[3].number_format == "0.0%" and daily[3].number_format == "0.0%"
    assert {cell.fill.fill_type for cell in daily} == {None}


def test_xlsx_header_frozen_filtered_and_sized(tmp_path: Path, writer: frozenset[int]) -> None:
    """The header is bold and frozen, the filter covers the whole table, columns fit their first rows; the sheet is named after the report."""
    sheet = written(tmp_path, [("a@x.example", 1), ("b@x.example", 2)], labels=("email", "opens"), flagged=writer)
    assert sheet.title == "recipients"
    assert [cell.value for cell in sheet[1]] == ["email", "opens"]
    assert all(cell.font.b for cell in sheet[1])
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:B3")
    assert round(sheet.column_dimensions["A"].width) == 14


def test_xlsx_a_column_keeps_each_cell_type_whatever_its_first_row_holds(tmp_path: Path, writer: frozenset[int]) -> None:
    """A column empty in the first rows and holding instants, rates or counts further down, or text in one row and a
    number in the next, has each cell typed as its own value (a journalist who never opened comes first)."""
    when = datetime(2026, 2, 19, 10, 0, 5, tzinfo=UTC)
    rows: list[tuple[Any, ...]] = [("a@x.example", None, None, None), ("b@x.example", when, 0.5, 3), ("c@x.example", "", "n/a", "=2")]
    sheet = written(tmp_path, rows, flagged=writer)
    assert [cell.value for cell in sheet[2]] == ["a@x.example", None, None, None]
    second, third = sheet[3], sheet[4]
    assert (second[1].value, second[1].is_date) == (datetime(2026, 2, 19, 10, 0, 5), True)
    assert (second[2].value, second[2].number_format, second[3].value) == (0.5, "0.0%", 3)
    assert [(cell.value, cell.data_type) for cell in third[2:]] == [("n/a", "s"), ("=2", "s")]
    assert third[1].value is None


def test_xlsx_a_report_without_rows_has_its_header(tmp_path: Path) -> None:
    """No rows (nobody opened yet): the sheet still has the bold, frozen header with its filter."""
    sheet = written(tmp_path, [], labels=("email", "opened at (UTC)"))
    assert [(cell.value, cell.font.b) for cell in sheet[1]] == [("email", True), ("opened at (UTC)", True)]
    assert (sheet.max_row, sheet.freeze_panes, sheet.auto_filter.ref) == (1, "A2", "A1:B1")


def test_xlsx_two_columns_with_one_label_are_refused(tmp_path: Path) -> None:
    """Columns are named by their labels: two with the same label are a ValueError, not a column lost."""
    with pytest.raises(ValueError, match="same label"):
        xlsx.write(tmp_path / "r.xlsx", sheet="recipients", labels=("email", "email"), rows=[("a@x.example", "b@x.example")])


def test_xlsx_report_too_long_for_a_spreadsheet_says_so(tmp_path: Path) -> None:
    """More rows than a sheet holds is a clear error pointing at CSV, and no file is left."""
    rows: list[tuple[Any, ...]] = [("a@x.example",)] * 1_048_576
    report = Table("recipients", None, ("email",), ("email",), rows)  # type: ignore[arg-type]
    with pytest.raises(ReportError) as caught:
        formats.write_xlsx(report, tmp_path / "r.xlsx")
    assert (
        caught.value.message == f"{tmp_path / 'r.xlsx'}: 1,048,576 rows do not fit in a spreadsheet (at most 1,048,575 under the header)."
    )
    assert caught.value.hint == "Use --format csv for a report this long."
    assert not (tmp_path / "r.xlsx").exists()


TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r_\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff",
    ),
    min_size=1,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.sampled_from(FORMULA_STARTS[:5]), rest=TEXT)
def test_xlsx_any_risky_text_reads_back_as_itself(tmp_path: Path, start: str, rest: str, writer: frozenset[int]) -> None:
    """Whatever follows = + - @ or a tab, the cell reads back as that exact text, a string cell."""
    text = start + rest
    cell = written(tmp_path, [(text, 1)], flagged=writer).cell(2, 1)
    assert (cell.value, cell.data_type) == (text, "s")
