"""Odd and hostile press lists (tests/data/hostile/lists/, one quirk each) through the command line.

Each file either gives exit 1 with a message naming the file (and the row, where there is one)
and what to do, or is read with a result asserted exactly: never a traceback, never a row lost.
The folder's README says what each file is.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import main

HOSTILE = Path(__file__).parent / "data" / "hostile" / "lists"
SAVE = 'In your spreadsheet, use "Save As" and choose "CSV UTF-8 (Comma delimited)", then try again.'
EMPTY = "Export the list again with a header row and one journalist per row."
QUOTE = "Remove that quote or add the closing one in your spreadsheet, or save the file again as CSV."

# file -> (the message after "Error: PATH", the hint)
REFUSED = {
    "unclosed_quote_swallows_rows.csv": (' row 3: a cell opens a double quote (") that is never closed.', QUOTE),
    "unclosed_quote_last_line.csv": (' row 3: a cell opens a double quote (") that is never closed.', QUOTE),
    "unclosed_quote_closed_later.csv": (
        (
            ' row 2: a cell runs over several lines, and one of them reads like a row of its own ("li@example.org,Li Wei,none"): '
            'a double quote (") in that row is probably never closed.'
        ),
        (
            "A cell with a line break must start and end with a double quote: fix the quotes in that row "
            "in your spreadsheet, or save the file again as CSV."
        ),
    ),
    "sep_line_without_delimiter.csv": (
        ' row 1: "sep=" does not name a delimiter mailer can use.',
        'Make the first line "sep=," or "sep=;" (or delete it), or save the file again as CSV.',
    ),
    "sep_line_only.csv": (": the file is empty.", EMPTY),
    "bom_only.csv": (": the file is empty.", EMPTY),
    "workbook_named_csv.csv": (": this is an Excel workbook, not a CSV file.", SAVE),
    "utf16_without_bom.csv": (
        ": this is not a text file (it contains NUL bytes): a binary file, or UTF-16 text without a byte-order mark.",
        SAVE,
    ),
    "binary_control_bytes.csv": (": this does not look like a text file (control character 0x01 on line 1).", SAVE),
    "cp1250_polish.csv": (': the file is in an encoding mailer does not read: as Windows-1252, line 2 would read "Wroc³aw".', SAVE),
    "shift_jis_names.csv": (': the file is in an encoding mailer does not read: as Windows-1252, line 2 would read "ŽR“c‘¾˜Y".', SAVE),
    "french_headers_no_address.csv": (
        ': no email address column. Columns found: "Prénom", "Nom", "Média".',
        "Name the column of addresses one of: Email, E-mail, Email Address, Mail (any case).",
    ),
    "ragged_after_sep_line.csv": (
        " row 2 has 3 cells but the header has 2.",
        (
            'The file is semicolon-separated: a cell that contains a semicolon (";") must be in double quotes. '
            "Fix that row in your spreadsheet, or save the file again as CSV."
        ),
    ),
}

# file -> (first line of `lists check`, recipients, rejected, a note or "", the clean list's rows: {column: value})
READ = {
    "sep_semicolon_line.csv": (
        "(UTF-8, semicolon-separated)",
        1,
        "1 (1 invalid)",
        "",
        [{"email": "jane@example.org", "first_name": "Jane", "last_name": "Doe", "outlet": "Daily Example"}],
    ),
    "sep_tab_line.csv": ("(UTF-8, tab-separated)", 1, "none", "", [{"email": "jane@example.org", "first_name": "Jane"}]),
    "vertical_tab_filemaker.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "2 control characters (0x0B) taken out of the cells of row 2 (vertical tabs and form feeds became spaces).",
        [{"first_name": "Jane", "last_name": "Doe", "notes": "Call after 10"}],
    ),
    "form_feed_in_cell.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "1 control character (0x0C) taken out of the cells of row 2 (vertical tabs and form feeds became spaces).",
        [{"first_name": "Jane", "last_name": "Doe"}],
    ),
    "ctrl_z_at_end.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "1 control character (0x1A) taken out of the cells of row 3 (vertical tabs and form feeds became spaces).",
        [{"email": "jane@example.org"}],
    ),
    "stray_control_bytes.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "2 control characters (0x01, 0x02) taken out of the cells of row 2 (vertical tabs and form feeds became spaces).",
        [{"first_name": "Jane", "last_name": "Doe"}],
    ),
    "mac_roman_excel_for_mac.csv": (
        "(Mac Roman, comma-separated)",
        1,
        "none",
        "",
        [{"first_name": "José", "last_name": "Muñoz", "outlet": "El Diario"}],
    ),
    "mac_roman_undefined_in_1252.csv": ("(Mac Roman, comma-separated)", 1, "none", "", [{"first_name": "Hélène", "last_name": "Dubois"}]),
    "windows1252_still_windows.csv": ("(Windows-1252, comma-separated)", 1, "none", "", [{"first_name": "José", "last_name": "Müller"}]),
    "headers_french.csv": (
        "(UTF-8, semicolon-separated)",
        1,
        "none",
        "",
        [
            {
                "email": "jean@example.fr",
                "first_name": "Jean",
                "last_name": "Dupont",
                "outlet": "Le Monde",
                "title": "Journaliste",
                "beat": "Politique",
                "country": "FR",
                "language": "fr",
            }
        ],
    ),
    "headers_german.csv": (
        "(UTF-8, semicolon-separated)",
        1,
        "none",
        "",
        [
            {
                "email": "hans@example.de",
                "first_name": "Hans",
                "last_name": "Müller",
                "outlet": "Tagesblatt",
                "country": "DE",
                "language": "de",
            }
        ],
    ),
    "headers_spanish.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "",
        [
            {
                "email": "ana@example.es",
                "first_name": "Ana",
                "last_name": "García López",
                "outlet": "El Diario",
                "country": "ES",
                "language": "es",
            }
        ],
    ),
    "headers_italian.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "",
        [
            {
                "email": "luca@example.it",
                "first_name": "Luca",
                "last_name": "Rossi",
                "outlet": "Il Corriere",
                "country": "IT",
                "language": "it",
            }
        ],
    ),
    "headers_portuguese.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "",
        [{"email": "joao@example.br", "first_name": "João", "last_name": "Silva", "outlet": "Folha", "country": "BR", "language": "pt"}],
    ),
    "headers_nom_alone.csv": ("(UTF-8, comma-separated)", 1, "none", "", [{"first_name": "Jean", "last_name": "Dupont"}]),
    "names_with_titles.csv": (
        "(UTF-8, comma-separated)",
        4,
        "none",
        "",
        [
            {"first_name": "Jane", "last_name": "Doe", "honorific": "Dr."},
            {"first_name": "Hans", "last_name": "Müller", "honorific": "Prof. Dr."},
            {"first_name": "Ludwig", "last_name": "van Beethoven", "honorific": ""},
            {"first_name": "Martin", "last_name": "Luther King Jr.", "honorific": ""},
        ],
    ),
    "name_is_a_formula.csv": (
        "(UTF-8, comma-separated)",
        1,
        "none",
        "",
        [{"first_name": '\'=HYPERLINK("http://x.example","click")', "last_name": ""}],
    ),
    "literal_quotes_inside_cell.csv": (
        "(UTF-8, comma-separated)",
        2,
        "none",
        "",
        [{"first_name": "Jane", "last_name": '"JJ" Doe'}, {"first_name": "Omar"}],
    ),
    "odd_literal_quote.csv": ("(UTF-8, comma-separated)", 2, "none", "", [{"note": '5" floppy'}, {"note": "ok"}]),
    "quoted_newline_in_last_row.csv": ("(UTF-8, comma-separated)", 2, "none", "", [{"notes": "ok"}, {"notes": "two\nlines"}]),
}


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def test_hostile_corpus_is_all_covered_and_described() -> None:
    """Every file of the corpus has an expectation here and a line in the folder's README."""
    names = {path.name for path in HOSTILE.iterdir() if path.name != "README.md"}
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert len(names) >= 25
    assert names == set(REFUSED) | set(READ) | {"rejects_email_dash.csv", "rejects_email_plain.csv"}
    assert [name for name in sorted(names) if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_list_is_refused_with_file_row_and_what_to_do(name: str) -> None:
    """An unusable list exits 1 with "Error: FILE[ row N]: what" and a line saying what to do."""
    path = HOSTILE / name
    message, hint = REFUSED[name]
    result = invoke("lists", "check", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {path}{message}\n{hint}\n"


@pytest.mark.parametrize("name", sorted(READ))
def test_hostile_list_is_read_exactly(name: str, tmp_path: Path) -> None:
    """An odd but readable list gives the recipients and rejects it should, and `lists clean` the right cells."""
    path = HOSTILE / name
    heading, recipients, rejected, note, expected = READ[name]
    result = invoke("lists", "check", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path} {heading}"
    assert f"  recipients:  {recipients}" in lines
    assert f"  rejected:    {rejected}" in lines
    assert [line for line in lines if line.startswith("  note:")] == ([f"  note:        {note}"] if note else [])
    out = tmp_path / "clean.csv"
    assert invoke("lists", "clean", str(path), "-o", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=",;\t"[["comma", "semicolon", "tab"].index(heading.split(", ")[1].split("-")[0])]))
    assert [{key: row[key] for key in want} for row, want in zip(rows, expected, strict=True)] == expected


def test_rejects_of_lists_with_different_address_headers_read_back(tmp_path: Path) -> None:
    """Lists headed "E-mail" and "Email" give a rejects file with one address column that reads back with every row."""
    out, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    files = [str(HOSTILE / "rejects_email_dash.csv"), str(HOSTILE / "rejects_email_plain.csv")]
    result = invoke("lists", "clean", *files, "-o", str(out), "--rejects", str(rejects))
    assert result.stdout == f"Wrote 1 recipient to {out}.\nWrote 3 rejected rows to {rejects}.\n"
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["E-mail", "First Name", "file", "row", "reason", "detail"]
    assert [row[:2] + row[3:5] for row in rows[1:]] == [
        ["bad@@example.org", "Bad", "3", "invalid"],
        ["JANE@example.org", "Jane again", "2", "duplicate"],
        ["", "Nobody", "3", "missing"],
    ]
    again = invoke("lists", "check", str(rejects), "--json")
    assert again.exit_code == 0
    counts = json.loads(again.stdout)
    assert (counts["rows"], counts["valid"], counts["invalid"], counts["missing"]) == (3, 1, 1, 1)


@pytest.mark.parametrize(("option", "delimiter"), [([], ";"), (["--delimiter", "comma"], ","), (["--delimiter", "tab"], "\t")])
def test_clean_and_rejects_share_one_excel_dialect(tmp_path: Path, option: list[str], delimiter: str) -> None:
    """clean and --rejects write UTF-8 with BOM, in the input's delimiter unless --delimiter chooses."""
    out, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    path = str(HOSTILE / "sep_semicolon_line.csv")
    assert invoke("lists", "clean", path, "-o", str(out), "--rejects", str(rejects), *option).exit_code == 0
    for written in (out, rejects):
        data = written.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.decode("utf-8-sig").splitlines()[0].startswith(f"email{delimiter}" if written == out else f"Email{delimiter}")
