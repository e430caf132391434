"""Review 17: press lists as press offices really export them (Cision/Meltwater title lines,
Google Contacts and CRM address headers, trailing delimiters, a pasted line of addresses,
IME full-width letters), through the command line: every row accounted for, the message
short and saying where and what to do, and `lists check`, `lists clean` and a send agreeing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailer.cli import main


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def written(path: Path, text: str) -> str:
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def counts(path: str) -> tuple[int, int, int]:
    """(rows, recipients, rejected) as `lists check --json` counts them."""
    result = invoke("lists", "check", path, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    return found["rows"], found["valid"], found["rows"] - found["valid"]


CISION = (
    '"Media List: Health reporters",,,\r\n'
    '"Created: 11/30/2026",,,\r\n'
    ",,,\r\n"
    '"First Name","Last Name","Email","Outlet"\r\n'
    '"Jane","Doe","jane@daily.example","Daily"\r\n'
    '"Bad","Row","bad@@daily.example","Daily"\r\n'
)


def test_title_lines_above_the_header_row_are_skipped_and_said(tmp_path: Path) -> None:
    """A media database's export with a title and a date above the header row is read from the header
    row on; `lists check` says which row that is, and row numbers stay the spreadsheet's."""
    path = written(tmp_path / "cision.csv", CISION)
    result = invoke("lists", "check", path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  recipients:  1" in lines
    assert "  rejected:    1 (1 invalid)" in lines
    assert (
        '  note:        the header row is row 4: rows 1 to 3 above it ("Media List: Health reporters", "Created: 11/30/2026") '
        "are not journalists and were not read."
    ) in lines
    assert "  row 6: bad@@daily.example: The part after the @-sign contains invalid characters: '@'." in lines


def test_one_cell_title_line_above_the_header_row(tmp_path: Path) -> None:
    """A hand-kept list with a title in its first cell only, a blank line, then the header row."""
    path = written(
        tmp_path / "kept.csv", "Press contacts - updated November\r\n\r\nEmail,First Name,Last Name\r\njane@x.example,Jane,Doe\r\n"
    )
    result = invoke("lists", "check", path)
    assert result.exit_code == 0, result.output
    assert "  recipients:  1" in result.stdout.splitlines()
    out = tmp_path / "clean.csv"
    assert invoke("lists", "clean", path, "-o", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert [(row["email"], row["first_name"], row["last_name"]) for row in csv.DictReader(handle)] == [
            ("jane@x.example", "Jane", "Doe")
        ]


def test_rows_with_addresses_above_a_header_row_are_not_taken_for_title_lines(tmp_path: Path) -> None:
    """A list without a header whose fifth row happens to read "Email" is not read from there on:
    the rows above hold journalists, and the usual message about a missing header row stands."""
    path = written(tmp_path / "noheader.csv", "ana@x.example,Ana\r\nben@y.example,Ben\r\nEmail,Name\r\ncid@z.example,Cid\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 1
    assert "The first row holds addresses: insert a header row above it, naming that column Email." in result.stderr


@pytest.mark.parametrize(
    "header",
    ["E-mail 1 - Value", "Email 1", "Primary Email", "Work Email", "Email Address 1", "Email (Work)", "E-Mail 1", "Business Email"],
)
def test_address_headers_of_contact_exports_are_recognized(tmp_path: Path, header: str) -> None:
    """A list whose address column is headed as Google Contacts, Outlook or a CRM heads it is read."""
    path = written(tmp_path / "export.csv", f'Name,"{header}"\r\nJane Doe,jane@x.example\r\n')
    assert counts(path) == (1, 1, 0)


def test_google_contacts_export_reads_the_value_column_not_the_type(tmp_path: Path) -> None:
    """Google's "E-mail 1 - Type" (* Work) comes before "E-mail 1 - Value": the value is the address;
    the second address column is named in a note only when it holds addresses."""
    path = written(
        tmp_path / "google.csv",
        "Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value\r\n"
        "Jane Doe,Jane,Doe,* Work,jane@x.example,,\r\n"
        "Ben Okafor,Ben,Okafor,* Home,ben@y.example,* Work,ben@work.example\r\n",
    )
    result = invoke("lists", "check", path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  recipients:  2" in lines
    assert any(line.startswith("  columns:     ") and "email (E-mail 1 - Value)" in line for line in lines)
    assert [line for line in lines if line.startswith("  note:")] == [
        (
            '  note:        "E-mail 2 - Value" also looks like an address column, but only "E-mail 1 - Value" is read: a row whose '
            'address is only under "E-mail 2 - Value" is rejected as having none. Put each address in one column.'
        )
    ]


def test_empty_second_address_column_gives_no_note(tmp_path: Path) -> None:
    """Outlook exports "E-mail 2 Address" and "E-mail 3 Address", mostly empty: no note unless they hold addresses."""
    path = written(
        tmp_path / "outlook.csv",
        '"First Name","Last Name","E-mail Address","E-mail 2 Address","E-mail 3 Address"\r\n"Jane","Doe","jane@x.example","",""\r\n',
    )
    result = invoke("lists", "check", path)
    assert result.exit_code == 0
    assert "note:" not in result.stdout
    assert "email (E-mail Address)" in result.stdout


def test_rows_with_empty_cells_past_the_header_are_read(tmp_path: Path) -> None:
    """Rows ending in a stray delimiter ("jane@x.example,Jane,") have only empty cells past the
    header: they are read, every row counted."""
    path = written(tmp_path / "trailing.csv", "Email,Name\r\njane@x.example,Jane,\r\nben@y.example,Ben\r\ncid@z.example,Cid, ,\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 0, result.output
    assert counts(path) == (3, 3, 0)
    one_column = written(tmp_path / "one.csv", "Email\r\njane@x.example\r\nben@y.example,\r\n")
    assert counts(one_column) == (2, 2, 0)


def test_a_row_with_text_past_the_header_is_still_refused_by_row(tmp_path: Path) -> None:
    """An extra cell that holds text is a cell split by an unquoted comma: the row is named."""
    path = written(tmp_path / "ragged.csv", "Email,Name\r\njane@x.example,Jane,\r\nben@y.example,Okafor, Ben\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path} row 3 has 3 cells but the header has 2.\n")


def test_a_pasted_line_of_addresses_gives_a_short_message(tmp_path: Path) -> None:
    """An Outlook To: line saved as a list (every address side by side on one line) is refused in a
    few lines saying what to do, not with every address as a "column found"."""
    path = written(tmp_path / "to-line.csv", "; ".join(f"user{i}@paper.example" for i in range(5000)) + "\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 1
    assert len(result.stderr) < 1000, result.stderr[:300]
    assert result.stderr.startswith(
        f'Error: {path}: no email address column. Columns found: "user0@paper.example", "user1@paper.example", '
        '"user2@paper.example", "user3@paper.example", "user4@paper.example" and 4,995 more.\n'
    )
    assert "holds 5,000 addresses side by side: put each journalist's address on a row of its own" in result.stderr


def test_a_huge_address_cell_is_shown_cut_short(tmp_path: Path) -> None:
    """A cell of a million characters in the address column is rejected, saying how long it is, and
    shown cut short: `lists check` does not print a megabyte."""
    path = written(tmp_path / "huge.csv", "Email,Name\r\n" + "x" * 1_000_000 + "@x.example,Jane\r\nben@y.example,Ben\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 0
    assert len(result.stdout) < 2000
    assert "  row 2: " + "x" * 100 + "…: 1,000,010 characters: an email address has at most 254." in result.stdout.splitlines()


def test_full_width_address_is_rejected_with_the_address_meant(tmp_path: Path) -> None:
    """ "ｊａｎｅ@x.example" (full-width letters) is no mailbox anyone has: it is rejected, naming
    the address meant; the full-width @ likewise."""
    path = written(tmp_path / "ime.csv", "Email\r\nｊａｎｅ@x.example\r\nben＠y.example\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "  recipients:  0" in lines
    assert "  row 2: ｊａｎｅ@x.example: typed in full-width characters: retype it as jane@x.example" in lines
    assert any(line.startswith("  row 3: ben＠y.example: typed in full-width characters: retype it as ben@y.example") for line in lines)


def test_check_clean_and_send_agree_on_an_export_with_title_lines(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same list gives the same recipients and rejected rows in `lists check`, `lists clean` and a dry-run send."""
    monkeypatch.chdir(project)
    path = written(project / "lists" / "cision.csv", CISION + '"","","",""\r\n"Jane","Again","JANE@daily.example","Daily"\r\n')
    assert counts(path) == (3, 1, 2)
    result = invoke("lists", "clean", path, "-o", "out/clean.csv", "--rejects", "out/rejects.csv")
    assert result.stdout == "Wrote 1 recipient to out/clean.csv.\nWrote 2 rejected rows to out/rejects.csv.\n"
    sent = invoke("send", "releases/example.md", "--list", path, "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 1\n" in sent.stdout
    assert "Skipped:    2 (1 duplicate, 1 invalid)\n" in sent.stdout


@pytest.mark.parametrize(
    ("name", "text", "what", "hint"),
    [
        (
            "export.xls",
            "<html><head><meta charset='utf-8'></head><body><table>\r\n<tr><td>Email</td></tr>\r\n<tr><td>jane@x.example</td></tr>\r\n</table></body></html>\r\n",
            "this is a web page (HTML), not a CSV file",
            'Open it in Excel (or LibreOffice Calc), then use "Save As" and choose "CSV UTF-8 (Comma delimited)", and try again.',
        ),
        (
            "export.xml",
            '<?xml version="1.0"?>\r\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">\r\n</Workbook>\r\n',
            "this is an Excel XML spreadsheet, not a CSV file",
            'Open it in Excel (or LibreOffice Calc), then use "Save As" and choose "CSV UTF-8 (Comma delimited)", and try again.',
        ),
        (
            "contacts.csv",
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Doe\r\nEMAIL;TYPE=INTERNET:jane@x.example\r\nEND:VCARD\r\n",
            "this is a vCard file (contact cards), not a CSV file",
            (
                "Export the contacts as CSV instead: in Outlook, File > Open & Export > Import/Export > Export to a file > "
                'Comma Separated Values; in Google Contacts, Export > "Google CSV"; in Apple Contacts, copy them into a spreadsheet.'
            ),
        ),
    ],
)
def test_a_web_page_xml_or_vcard_given_as_a_list_is_named(tmp_path: Path, name: str, text: str, what: str, hint: str) -> None:
    """A file that is text but not a list (a web tool's "Excel" export, which is an HTML table; Excel's
    2003 XML; a vCard of contacts) is named for what it is, with how to make a CSV of it."""
    path = written(tmp_path / name, text)
    result = invoke("lists", "check", path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: {what}.\n{hint}\n"


def test_two_columns_of_one_name_are_told_apart_by_position(tmp_path: Path) -> None:
    """A list with two columns headed "Email" (a personal and a work address pasted side by side):
    the note says which column is read and which is not, by their letters as the spreadsheet shows them."""
    path = written(tmp_path / "two.csv", "Email,Name,Email\r\n,Jane,jane@x.example\r\nben@y.example,Ben,\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 0
    assert (
        '  note:        "Email" (column C) also looks like an address column, but only "Email" (column A) is read: a row whose '
        'address is only under "Email" (column C) is rejected as having none. Put each address in one column.'
    ) in result.stdout.splitlines()


def test_soft_hyphen_around_an_address_is_dropped(tmp_path: Path) -> None:
    """Word and web pages put soft hyphens (invisible) into text; one pasted with an address before or
    after it is dropped like a zero-width space; inside the address it still refuses it."""
    path = written(tmp_path / "soft.csv", "Email\r\n\u00adjane@x.example\r\nben@y.example\u00ad\r\ncid@z\u00adexample.org\r\n")
    assert counts(path) == (3, 2, 1)


def test_a_repeated_header_row_is_named_as_such(tmp_path: Path) -> None:
    """Two exports pasted one below the other repeat the header row: that row is rejected as the
    header again, with what to do, not as an address without an @-sign."""
    path = written(tmp_path / "pasted.csv", "Email,Name\r\njane@x.example,Jane\r\nEmail,Name\r\nben@y.example,Ben\r\n")
    result = invoke("lists", "check", path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "  recipients:  2" in lines
    assert "  row 3: Email: the header row again (two lists pasted one below the other?): delete this row" in lines


def test_exchange_address_and_name_before_address_say_what_to_do(tmp_path: Path) -> None:
    """A staff list exported from Outlook holds colleagues' Exchange addresses ("/o=ExchangeLabs/..."),
    and hand-kept lists "Jane Doe jane@x.example": each rejected row says what it is and what to do."""
    path = written(
        tmp_path / "outlook.csv",
        "Name,E-mail Address\r\nJane Doe,/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe\r\n"
        "Ben Okafor,Ben Okafor ben@y.example\r\n",
    )
    result = invoke("lists", "check", path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("  row 2: /o=ExchangeLabs/")
        and line.endswith(
            ": an Outlook (Exchange) address inside your organization, not an email address: "
            "type the address in the spreadsheet (Outlook shows it in the contact's card)"
        )
        for line in lines
    ), lines
    assert (
        "  row 3: Ben Okafor ben@y.example: a name before the address: keep only the address, or write it as "
        "Ben Okafor <ben@y.example> (The email address contains invalid characters before the @-sign: SPACE.)"
    ) in lines


@pytest.mark.parametrize(
    "header", ["Adresse électronique", "Courrier électronique", "Adresse de courriel", "Dirección de email", "Correo-e"]
)
def test_more_french_and_spanish_address_headers_are_recognized(tmp_path: Path, header: str) -> None:
    """The address column as French administrations and Spanish exports head it is read."""
    path = written(tmp_path / "liste.csv", f"Nom;{header}\r\nJeanne Dupont;jeanne@x.example\r\n")
    assert counts(path) == (1, 1, 0)


def test_title_line_with_an_address_above_the_header_row_names_both_rows(tmp_path: Path) -> None:
    """A title that names the agency's own address is not taken for a title (it could be a journalist):
    the message names the header row and the row above it with the address, and says what to do."""
    path = written(
        tmp_path / "agency.csv",
        "Exported by press@agency.example on 30/11/2026,,\r\nEmail,First Name,Last Name\r\njane@x.example,Jane,Doe\r\n",
    )
    result = invoke("lists", "check", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: {path}: the header row seems to be row 2 ("Email", "First Name", "Last Name"), but row 1 above it '
        'holds an address ("Exported by press@agency.example on 30/11/2026").\n'
        "Delete the lines above the header row (or move a journalist's row below it), then try again.\n"
    )
