"""contacts: every messy list file gives the right recipients, rejected rows and messages."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES

from mailer import contacts
from mailer.contacts import listfile
from mailer.errors import ListError
from mailer.models import Contact, ContactList, RejectReason

LISTS = Path(__file__).parent / "data" / "lists"
BAD = LISTS / "bad"
ROOT = Path(__file__).parent.parent

# file -> (encoding, delimiter, rows, recipients, [(row, reason), ...] of the rejected rows)
QUIRKS = {
    "utf8.csv": ("UTF-8", ",", 3, ["jane@example.org", "søren@example.net"], [(4, "invalid")]),
    "utf8_bom.csv": ("UTF-8 with BOM", ",", 2, ["jane@example.org", "chloe@example.net"], []),
    "utf16_bom.txt": ("UTF-16", "\t", 2, ["jane@example.org", "yuki@example.com"], []),
    "windows1252.csv": ("Windows-1252", ";", 2, ["jose@example.com", "zoe@example.org"], []),
    "windows1252_punctuation.csv": ("Windows-1252", ",", 2, ["sean@example.com", "jp@example.org"], []),
    "semicolon.csv": ("UTF-8", ";", 2, ["jane@example.org", "li@example.org"], []),
    "tab.tsv": ("UTF-8", "\t", 2, ["jane@example.org", "li@example.org"], []),
    "crlf.csv": ("UTF-8", ",", 2, ["jane@example.org", "li@example.org"], []),
    "cr_line_ends.csv": ("UTF-8", ",", 2, ["jane@example.org", "li@example.org"], []),
    "quoted_newlines.csv": ("UTF-8", ",", 3, ["jane@example.org", "omar@example.com"], [(3, "invalid")]),
    "blank_lines.csv": ("UTF-8", ",", 3, ["jane@example.org", "li@example.org"], [(8, "invalid")]),
    "header_variants.csv": ("UTF-8", ",", 1, ["jane@example.org"], []),
    "full_name.csv": (
        "UTF-8",
        ",",
        4,
        ["jane@example.org", "li@example.org", "solo@example.com", "nobody@example.com"],
        [],
    ),
    "angle_addresses.csv": (
        "UTF-8",
        ",",
        4,
        ["jane@example.org", "li@example.org", "anon@example.com"],
        [(5, "invalid")],
    ),
    "spaces_case.csv": ("UTF-8", ",", 4, ["Jane@example.org", "li@example.org"], [(3, "duplicate"), (4, "duplicate")]),
    "ragged_short.csv": ("UTF-8", ",", 3, ["jane@example.org", "li@example.org", "omar@example.com"], []),
    "header_only.csv": ("UTF-8", ",", 0, [], []),
    "custom_columns.csv": ("UTF-8", ",", 1, ["jane@example.org"], []),
    "missing_and_invalid.csv": (
        "UTF-8",
        ",",
        5,
        ["jane@example.com"],
        [(2, "missing"), (3, "invalid"), (5, "invalid"), (6, "invalid")],
    ),
    "international.csv": ("UTF-8", ",", 3, ["josé@example.com", "user@bücher.example.org"], [(4, "duplicate")]),
}


def test_contacts_every_quirk_file_has_expectations() -> None:
    """Each file under tests/data/lists is covered by the table below (one quirk per file)."""
    assert sorted(p.name for p in LISTS.iterdir() if p.is_file()) == sorted(QUIRKS)


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_contacts_load_reads_each_quirk(name: str) -> None:
    """Encoding, delimiter, row count, recipients and rejected rows (row, reason) are exact."""
    encoding, delimiter, rows, recipients, rejected = QUIRKS[name]
    result = contacts.load([LISTS / name])
    assert (result.files[0].encoding, result.files[0].delimiter, result.files[0].rows) == (encoding, delimiter, rows)
    assert [c.email for c in result.contacts] == recipients
    assert [(r.row, str(r.reason)) for r in result.rejected] == rejected
    assert len(result.contacts) + len(result.rejected) == rows  # nothing dropped silently


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_contacts_check_counts_agree_with_load(name: str) -> None:
    """check() counts from the columns exactly what load() builds row by row."""
    loaded = contacts.load([LISTS / name])
    checked = contacts.check([LISTS / name])
    assert checked.valid == len(loaded.contacts)
    assert [(r.row, r.reason, r.email, r.detail) for r in checked.rejected] == [
        (r.row, r.reason, r.email, r.detail) for r in loaded.rejected
    ]


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_listfile_fast_and_fallback_readers_agree(name: str) -> None:
    """The Arrow fast path and pandas' C parser read the same cells and row numbers."""
    fast = listfile.read(LISTS / name)
    careful = listfile.read(LISTS / name, engine="pandas")
    assert fast.headers == careful.headers
    assert fast.rows.tolist() == careful.rows.tolist()
    assert [column.to_pylist() for column in fast.columns] == [column.to_pylist() for column in careful.columns]


def test_contacts_rows_are_spreadsheet_rows_and_contacts_keep_their_row() -> None:
    """Row numbers count the header as row 1 and skip nothing a spreadsheet shows (blank lines, quoted newlines)."""
    quoted = {c.email: c.row for c in contacts.load([LISTS / "quoted_newlines.csv"]).contacts}
    assert quoted == {"jane@example.org": 2, "omar@example.com": 4}
    blank = {c.email: c.row for c in contacts.load([LISTS / "blank_lines.csv"]).contacts}
    assert blank == {"jane@example.org": 5, "li@example.org": 10}
    old_mac = {c.email: c.row for c in contacts.load([LISTS / "cr_line_ends.csv"]).contacts}
    assert old_mac == {"jane@example.org": 2, "li@example.org": 4}


def test_contacts_invalid_row_says_why_in_email_validators_words() -> None:
    """An invalid address is rejected with its cell as written and the reason."""
    rejected = contacts.load([LISTS / "utf8.csv"]).rejected[0]
    assert (rejected.source, rejected.row, rejected.email, rejected.reason) == (
        str(LISTS / "utf8.csv"),
        4,
        "bad@@example.com",
        RejectReason.INVALID,
    )
    assert rejected.detail == "The part after the @-sign contains invalid characters: '@'."
    assert rejected.cells == {
        "Email": "bad@@example.com",
        "First Name": "Bad",
        "Last Name": "Address",
        "Outlet": "Nowhere",
    }


def test_contacts_duplicates_name_the_first_row_and_ignore_case() -> None:
    """The first address wins; later ones, in any case, say which row they repeat."""
    rejected = contacts.load([LISTS / "spaces_case.csv"]).rejected
    assert [(r.email, r.detail) for r in rejected] == [
        ("jane@example.org", "duplicate of row 2"),
        ("JANE@EXAMPLE.ORG", "duplicate of row 2"),
    ]


def test_contacts_duplicates_across_files_count() -> None:
    """An address already in an earlier file is a duplicate, naming that file and row."""
    result = contacts.load([LISTS / "utf8.csv", LISTS / "crlf.csv"])
    assert [c.email for c in result.contacts] == ["jane@example.org", "søren@example.net", "li@example.org"]
    duplicate = [r for r in result.rejected if r.reason is RejectReason.DUPLICATE]
    assert [(r.source, r.row, r.detail) for r in duplicate] == [(str(LISTS / "crlf.csv"), 2, f"duplicate of {LISTS / 'utf8.csv'} row 2")]


def test_contacts_fields_hold_canonical_and_custom_columns_as_text() -> None:
    """Canonical names from header variants; custom columns under safe identifiers; tags joined with "; "."""
    [contact] = contacts.load([LISTS / "header_variants.csv"]).contacts
    assert dict(contact.fields) == {
        "email": "jane@example.org",
        "first_name": "Jane",
        "last_name": "Doe",
        "outlet": "Daily Example",
        "title": "Editor",
        "beat": "health",
        "tags": "vip",
        "country": "US",
        "language": "en",
    }
    [custom] = contacts.load([LISTS / "custom_columns.csv"]).contacts
    assert {k: v for k, v in custom.fields.items() if v} == {
        "email": "jane@example.org",
        "twitter_handle": "@janedoe",
        "field_2nd_phone": "555-0100",
        "class_": "A",
        "email_2": "jane.alt@example.org",
    }


def test_contacts_names_come_from_full_name_or_address_cell() -> None:
    """A single name column is split (first word / rest, or "Last, First"); "Name <addr>" names a row without one."""
    names = {c.email: (c.fields["first_name"], c.fields["last_name"]) for c in contacts.load([LISTS / "full_name.csv"]).contacts}
    assert names == {
        "jane@example.org": ("Jane", "van Doe"),
        "li@example.org": ("Li", "Wei"),
        "solo@example.com": ("Cher", ""),
        "nobody@example.com": ("", ""),
    }
    angled = {c.email: c.name for c in contacts.load([LISTS / "angle_addresses.csv"]).contacts}
    assert angled == {"jane@example.org": "Jane Doe", "li@example.org": "Li Wei", "anon@example.com": ""}


def test_contacts_canonical_cells_are_one_line_custom_cells_are_kept(tmp_path: Path) -> None:
    """A line break or double space in a name or title becomes one space; a custom note keeps its lines."""
    source = tmp_path / "breaks.csv"
    source.write_text('Email,First Name,Title,Notes\njane@example.org,"Jane\r\nMarie","Health  \tEditor","call\nafter 6"\n')
    [jane] = contacts.load([source]).contacts
    assert (jane.fields["first_name"], jane.fields["title"], jane.fields["notes"]) == (
        "Jane Marie",
        "Health Editor",
        "call\nafter 6",
    )


def test_contacts_tags_split_on_any_separator() -> None:
    """Tags written with ",", ";" or "|" become one "; "-joined list."""
    result = contacts.load([LISTS / "semicolon.csv"])
    assert [c.tags for c in result.contacts] == [("science", "health"), ("science", "print")]


@pytest.mark.parametrize(
    "name,message,hint",
    [
        (
            "empty.csv",
            "{path}: the file is empty.",
            "Export the list again with a header row and one journalist per row.",
        ),
        (
            "whitespace_only.csv",
            "{path}: the file is empty.",
            "Export the list again with a header row and one journalist per row.",
        ),
        (
            "no_email_column.csv",
            '{path}: no email address column. Columns found: "Name", "Outlet", "Phone".',
            "Name the column of addresses one of: Email, E-mail, Email Address, Mail (any case).",
        ),
        (
            "no_header_row.csv",
            '{path}: no email address column. Columns found: "amara@example.com", "Amara Okafor".',
            "The first row holds addresses: insert a header row above it, naming that column Email.",
        ),
        (
            "binary.png",
            "{path}: this is not a text file (it contains NUL bytes): a binary file, or UTF-16 text without a byte-order mark.",
            "SAVE",
        ),
        (
            "utf16_no_bom.csv",
            "{path}: this is not a text file (it contains NUL bytes): a binary file, or UTF-16 text without a byte-order mark.",
            "SAVE",
        ),
        (
            "undefined_bytes.csv",
            "{path}: the file is not in an encoding mailer reads (UTF-8, UTF-16 or Windows-1252): byte 0x81 at position 33 is not Windows-1252.",
            "SAVE",
        ),
        (
            "mixed_encodings.csv",
            (
                "{path}: the file mixes encodings, or is in one mailer does not read: "
                "line 2 has UTF-8 text, but byte 0xE9 on line 3 is not UTF-8."
            ),
            'Rows pasted in from another file? Retype their accented letters. Then save the list as "CSV UTF-8" and try again.',
        ),
        (
            "shift_jis.csv",
            '{path}: the file is in an encoding mailer does not read: as Windows-1252, line 2 would read "ŽR“c‘¾˜Y".',
            "SAVE",
        ),
        (
            "iso_8859_2.csv",
            '{path}: the file is in an encoding mailer does not read: as Windows-1252, line 2 would read "¯ó³æ".',
            "SAVE",
        ),
        ("workbook.xlsx", "{path}: this is an Excel workbook, not a CSV file.", "SAVE"),
        ("utf32.csv", "{path}: the file is in UTF-32, which mailer does not read.", "SAVE"),
        (
            "bom_not_utf8.csv",
            "{path}: the file starts like UTF-8 (with a byte-order mark), but byte 0xFC on line 3 is not UTF-8.",
            "SAVE",
        ),
        (
            "unclosed_quote.csv",
            '{path} row 3: a cell opens a double quote (") that is never closed.',
            "Remove that quote or add the closing one in your spreadsheet, or save the file again as CSV.",
        ),
        (
            "ragged_long.csv",
            "{path} row 3 has 3 cells but the header has 2.",
            (
                'The file is comma-separated: a cell that contains a comma (",") must be in double quotes. '
                "Fix that row in your spreadsheet, or save the file again as CSV."
            ),
        ),
    ],
)
def test_contacts_bad_file_is_refused_with_what_to_do(name: str, message: str, hint: str) -> None:
    """A file that cannot be used raises ListError naming the file, the problem and the fix."""
    path = BAD / name
    with pytest.raises(ListError) as caught:
        contacts.load([path])
    assert caught.value.message == message.format(path=path)
    expected_hint = (
        'In your spreadsheet, use "Save As" and choose "CSV UTF-8 (Comma delimited)", then try again.' if hint == "SAVE" else hint
    )
    assert caught.value.hint == expected_hint


def _zipped(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize(
    ("name", "parts", "what", "from_document"),
    [
        ("press.docx", {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}, "a Word document", True),
        ("press.xlsx", {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<wb/>"}, "an Excel workbook", False),
        ("press.ods", {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<c/>"}, "an OpenDocument", False),
        ("press.odt", {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<c/>"}, "an OpenDocument text", True),
        ("lists.csv", {"press.csv": "email\na@example.org\n"}, "a ZIP archive", False),
    ],
)
def test_contacts_office_files_are_named_for_what_they_are(
    tmp_path: Path, name: str, parts: dict[str, str], what: str, from_document: bool
) -> None:
    """A Word document given as the list is not called an Excel workbook: the message names what it is, and the
    hint what to do with it (a document's table goes into a spreadsheet first; a ZIP is unpacked)."""
    path = _zipped(tmp_path / name, parts)
    with pytest.raises(ListError) as caught:
        contacts.load([path])
    assert caught.value.message.startswith(f"{path}: this is {what}") and caught.value.message.endswith(", not a CSV file.")
    assert ("Copy the table of journalists into a spreadsheet" in (caught.value.hint or "")) is from_document
    if what == "a ZIP archive":
        assert caught.value.hint == "Unpack it and give the CSV file inside."


def test_contacts_old_word_document_is_named(tmp_path: Path) -> None:
    """A Word 97-2003 .doc (an OLE2 file whose directory names a WordDocument stream), even named .csv."""
    path = tmp_path / "press.csv"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 64)
    with pytest.raises(ListError) as caught:
        contacts.load([path])
    assert caught.value.message == f"{path}: this is a Word document, not a CSV file."


def test_contacts_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    """A name that does not exist, or a folder, is a ListError, not a traceback."""
    with pytest.raises(ListError) as missing:
        contacts.check([tmp_path / "nope.csv"])
    assert missing.value.message == f"{tmp_path / 'nope.csv'}: no such file."
    assert missing.value.hint == "Check the file name and folder (ls lists/ shows the lists you have)."
    with pytest.raises(ListError) as folder:
        contacts.check([tmp_path])
    assert folder.value.message == f"{tmp_path}: this is a folder, not a list file."
    assert folder.value.hint == "Name the CSV file inside it, for example lists/press.csv."


def test_contacts_windows_1252_is_decoded_not_guessed() -> None:
    """Accents, the euro sign and in-word punctuation (O’Brien, col·legi) of an Excel Windows export come through intact."""
    [first, second] = contacts.load([LISTS / "windows1252.csv"]).contacts
    assert (first.fields["first_name"], first.fields["last_name"], first.fields["outlet"]) == (
        "José",
        "Müller",
        "Diário € Exemplo",
    )
    assert second.fields["last_name"] == "Évans"
    [sean, jean_paul] = contacts.load([LISTS / "windows1252_punctuation.csv"]).contacts
    assert (sean.fields["last_name"], sean.fields["title"]) == ("O’Brien", "Redacció col·legi")
    assert (jean_paul.fields["first_name"], jean_paul.fields["title"]) == ("Jean–Paul", "“Chief” editor – N° 5 m² £3")


# ---- filter and suppress ----------------------------------------------------------------------


def press() -> ContactList:
    return contacts.load([EXAMPLES / "lists" / "press.csv"])


def test_contacts_filter_keeps_matching_fields_any_of_values() -> None:
    """--where beat=health --where country=US,GB keeps health journalists in the US or GB."""
    flt = contacts.parse_filter(["beat=health", "country=US", "Country=gb"], [])
    kept = contacts.apply_filter(press(), flt)
    assert sorted(c.email for c in kept.contacts) == [
        "elijah.clark@example.net",
        "isabella.thomas@example.com",
        "jane.doe@example.org",
        "noah.johnson@example.org",
        "zoe.evans@example.net",
    ]
    assert all(c.fields["beat"] == "health" and c.fields["country"] in {"US", "GB"} for c in kept.contacts)


def test_contacts_filter_moves_others_to_rejected_saying_why() -> None:
    """Contacts left out by a filter are FILTERED rejected rows, with the field that did not match."""
    whole = press()
    kept = contacts.apply_filter(whole, contacts.parse_filter(["beat=science"], ["print"]))
    assert len(kept.contacts) + len(kept.rejected) == len(whole.contacts) + len(whole.rejected)
    filtered = {r.email: r.detail for r in kept.rejected if r.reason is RejectReason.FILTERED}
    assert filtered["amara.okafor@example.com"] == "beat is not science"
    assert filtered["ana.kowalski@example.net"] == "not tagged print"
    assert sorted(c.email for c in kept.contacts) == [
        "chen.jing@example.org",
        "emma.schmidt@example.org",
        "li.wei@example.org",
        "yuki.tanaka@example.com",
    ]


def test_contacts_filter_by_tag_matches_any_tag_case_insensitively() -> None:
    """--tag RADIO --tag tv keeps contacts tagged radio or tv."""
    kept = contacts.apply_filter(press(), contacts.parse_filter([], ["RADIO", "tv"]))
    assert sorted(c.email for c in kept.contacts) == [
        "amelia.lewis@example.com",
        "diego.lopez@example.com",
        "hannah.muller@example.org",
        "kwame.mensah@example.org",
        "lucas.dubois@example.net",
        "mateo.silva@example.com",
        "noah.johnson@example.org",
        "omar.haddad@example.com",
    ]


def test_contacts_filter_on_custom_field() -> None:
    """A custom column can be filtered on by its identifier."""
    kept = contacts.apply_filter(press(), contacts.parse_filter(["twitter_handle=@liwei_sci"], []))
    assert [c.email for c in kept.contacts] == ["li.wei@example.org"]


@pytest.mark.parametrize("expression", ["beat", "=health", "beat=", "beat= , "])
def test_contacts_parse_filter_refuses_malformed_expressions(expression: str) -> None:
    """Something that is not FIELD=VALUE is a ListError with an example."""
    with pytest.raises(ListError) as caught:
        contacts.parse_filter([expression], [])
    assert caught.value.message == f'--where "{expression}" is not a filter.'
    assert caught.value.hint == "Write FIELD=VALUE, for example --where beat=health or --where country=US,CA."


def test_contacts_filter_on_unknown_field_names_the_known_ones() -> None:
    """An unknown field is refused, listing the fields there are."""
    with pytest.raises(ListError) as caught:
        contacts.apply_filter(press(), contacts.parse_filter(["region=EU"], []))
    assert caught.value.message == 'Unknown field "region" in --where.'
    assert caught.value.hint == (
        "Fields you can filter on: beat, country, email, first_name, language, last_name, outlet, tags, title, twitter_handle."
    )


def test_contacts_suppress_moves_suppressed_addresses_with_their_reason() -> None:
    """A suppressed address (any case) is a SUPPRESSED rejected row whose detail is the reason."""
    result = contacts.suppress(press(), {"john.smith@example.com": "bounce", "li.wei@example.org": "unsubscribe"})
    suppressed = {r.email: r.detail for r in result.rejected if r.reason is RejectReason.SUPPRESSED}
    assert suppressed == {"JOHN.SMITH@example.com": "bounce", "li.wei@example.org": "unsubscribe"}
    assert "li.wei@example.org" not in {c.email for c in result.contacts}


# ---- writing ----------------------------------------------------------------------------------


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def test_contacts_write_clean_round_trips_through_load(tmp_path: Path) -> None:
    """The clean file has canonical columns, is spreadsheet-safe, and loads back to the same contacts."""
    whole = press()
    out = tmp_path / "clean.csv"
    assert contacts.write_clean(whole, out) == 41
    rows = read_csv(out)
    assert list(rows[0]) == [
        "email",
        "first_name",
        "last_name",
        "outlet",
        "title",
        "beat",
        "tags",
        "country",
        "language",
        "twitter_handle",
    ]
    assert rows[0]["twitter_handle"] == "'@amaraokafor"  # a leading @ would start a formula in Excel
    again = contacts.load([out])
    assert [dict(c.fields) for c in again.contacts] == [dict(c.fields) for c in whole.contacts]
    assert not again.rejected


def test_contacts_write_rejects_keeps_original_cells_row_and_reason(tmp_path: Path) -> None:
    """Rejected rows keep their cells under the original headers, plus file, row, reason, detail."""
    out = tmp_path / "rejects.csv"
    assert contacts.write_rejects(press(), out) == 8
    rows = read_csv(out, "utf-8-sig")
    assert list(rows[0])[-4:] == ["file", "row", "reason", "detail"]
    by_row = {r["row"]: r for r in rows}
    assert by_row["45"]["Email"] == "peter.novak@@example.com" and by_row["45"]["reason"] == "invalid"
    assert by_row["43"]["detail"] == "duplicate of row 2"
    assert by_row["50"]["Email"] == '\'=HYPERLINK("http://example.com")'  # neutralized, not run by Excel


def test_contacts_write_rejects_never_repeats_a_column_name(tmp_path: Path) -> None:
    """A list with its own "Row" or "reason" column keeps it; mailer's columns are named apart."""
    source = tmp_path / "own_columns.csv"
    source.write_text("Email,Row,reason\nbad,7,typo\n", encoding="utf-8")
    out = tmp_path / "rejects.csv"
    contacts.write_rejects(contacts.load([source]), out)
    [row] = read_csv(out, "utf-8-sig")
    assert row == {
        "Email": "bad",
        "Row": "7",
        "reason": "typo",
        "file": str(source),
        "mailer row": "2",
        "mailer reason": "invalid",
        "detail": "An email address must have an @-sign.",
    }


def test_contacts_write_to_a_folder_is_refused(tmp_path: Path) -> None:
    """Writing to a folder name is a ListError, not a traceback."""
    with pytest.raises(ListError) as caught:
        contacts.write_clean(press(), tmp_path)
    assert (caught.value.message, caught.value.hint) == (
        f"{tmp_path}: this is a folder; give a file name to write.",
        "For example: -o out/clean.csv",
    )


def test_contacts_example_lists_are_fictional_and_reserved() -> None:
    """The example lists use only example.com/.org/.net addresses, so nothing real can be mailed."""
    result = contacts.load([EXAMPLES / "lists" / "press.csv", EXAMPLES / "lists" / "staff.csv"])
    assert 40 <= len(result.contacts) <= 60
    for contact in result.contacts:
        assert contact.email.rsplit("@", 1)[1].lower().split(".")[-2:] in (
            ["example", "com"],
            ["example", "org"],
            ["example", "net"],
        )


def test_contacts_loaded_contacts_are_the_models_the_sender_expects(tmp_path: Path) -> None:
    """load() returns models.Contact values with the documented fields and source."""
    shutil.copy(LISTS / "crlf.csv", tmp_path / "list.csv")
    [first, _] = contacts.load([str(tmp_path / "list.csv")]).contacts
    assert first == Contact(
        email="jane@example.org",
        fields={
            "email": "jane@example.org",
            "first_name": "Jane",
            "last_name": "Doe",
            "outlet": "",
            "title": "",
            "beat": "",
            "tags": "",
            "country": "",
            "language": "",
        },
        source=str(tmp_path / "list.csv"),
        row=2,
    )
