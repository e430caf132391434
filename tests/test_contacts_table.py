"""Recipients held column by column (ContactTable) behave as the tuple of Contacts they stand for:
the clean list is byte for byte what csv.writer writes of them, and filters and suppressions
turn away exactly the contacts, with exactly the reasons, that the contact-by-contact rules do."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer import contacts
from mailer.contacts import writing
from mailer.errors import ListError
from mailer.models import CANONICAL_FIELDS, Contact, ContactList, ContactTable, ListSummary, fields_json
from mailer.spreadsheet import safe_cell

LISTS = Path(__file__).parent.parent / "lists"
DATA = Path(__file__).parent / "data"
HOSTILE = DATA / "hostile" / "lists"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Cells near csv's edges: delimiters, quotes, line breaks, formula starts, spaces, Unicode.
cell = st.text(alphabet=st.sampled_from(list(",;\t\"\r\n =+-@'abcé€😀 \x0c")), max_size=8) | st.text(max_size=6)


def reference(contact_list: ContactList, names: list[str], delimiter: str) -> bytes:
    """What write_clean wrote before it worked column by column: csv.writer, one row per Contact,
    each row as a writer ending its lines "\\r\\n" writes it (a carriage return in a cell quoted:
    review 18h #7), ended "\\n"."""
    lines = []
    for row in [names, *([safe_cell(contact.fields.get(name, "")) for name in names] for contact in contact_list.contacts)]:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(row)
        lines.append(buffer.getvalue().removesuffix("\r\n") + "\n")
    return "".join(lines).encode("utf-8-sig")


def people(rows: list[tuple[str, str, str]]) -> ContactList:
    found = tuple(
        Contact(
            f"p{number}@example.org", {"email": f"p{number}@example.org", "first_name": a, "outlet": b, "notes": c}, "press.csv", number + 2
        )
        for number, (a, b, c) in enumerate(rows)
    )
    summary = ListSummary("press.csv", len(rows), "UTF-8", ",", {"email": "Email"}, {"notes": "Notes"})
    return ContactList(found, (), (summary,))


@FUZZ
@given(rows=st.lists(st.tuples(cell, cell, cell), max_size=12), delimiter=st.sampled_from([",", ";", "\t"]))
def test_write_clean_is_csv_writer_byte_for_byte(rows: list[tuple[str, str, str]], delimiter: str) -> None:
    """Any cells (quotes, delimiters, line breaks, formulas, Unicode) come out as csv.writer + safe_cell wrote them."""
    contact_list = people(rows)
    names = [*CANONICAL_FIELDS, "notes"]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clean.csv"
        assert contacts.write_clean(contact_list, out, delimiter=delimiter) == len(rows)
        assert out.read_bytes() == reference(contact_list, names, delimiter)


def test_write_clean_blocks_join_seamlessly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list longer than one block of rows is written whole, in order, the same as in one block."""
    contact_list = people([(f"=name {n}", f'Outlet "{n}", Inc.', "line\nbreak" if n % 3 else "") for n in range(50)])
    whole = tmp_path / "whole.csv"
    contacts.write_clean(contact_list, whole)
    monkeypatch.setattr(writing, "BLOCK_ROWS", 7)
    blocks = tmp_path / "blocks.csv"
    contacts.write_clean(contact_list, blocks)
    assert blocks.read_bytes() == whole.read_bytes() == reference(contact_list, [*CANONICAL_FIELDS, "notes"], ",")


def list_files() -> list[Path]:
    """The example lists, the messy test lists and the hostile lists that can be read."""
    found = sorted(LISTS.glob("*.csv")) + sorted((DATA / "lists").glob("*.csv")) + sorted(HOSTILE.glob("*.csv"))
    readable = []
    for path in found:
        try:
            contacts.check([path])
        except ListError:  # files refused have no recipients to compare
            continue
        readable.append(path)
    return readable


@pytest.mark.parametrize("path", list_files(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_clean_list_of_every_test_list_is_csv_writer_output(path: Path, tmp_path: Path) -> None:
    """For the example, messy and hostile lists, the clean list is what one csv.writer row per Contact gives."""
    loaded = contacts.load([path])
    assert isinstance(loaded.contacts, ContactTable)
    out = tmp_path / "clean.csv"
    contacts.write_clean(loaded, out)
    delimiter = writing.output_delimiter(loaded)
    names = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=delimiter))
    assert out.read_bytes() == reference(loaded, names, delimiter)


def test_contact_table_is_a_sequence_of_contacts() -> None:
    """Indexing, slicing, iteration, chunks and to_arrow agree on the same recipients and fields."""
    loaded = (
        contacts.load([LISTS / "press.csv", LISTS / "staff.csv"])
        if (LISTS / "staff.csv").exists()
        else contacts.load([LISTS / "press.csv"])
    )
    table = loaded.contacts
    assert isinstance(table, ContactTable)
    every = list(table)
    assert len(every) == len(table) > 0
    assert [table[i] for i in range(len(table))] == every
    assert table[-1] == every[-1]
    assert table[1:3] == tuple(every[1:3])
    with pytest.raises(IndexError):
        table[len(table)]
    arrow = table.to_arrow()
    assert arrow.column_names[0] == "email"
    assert arrow.column("email").to_pylist() == [contact.email for contact in every]
    for start, columns in table.chunks(2):
        for offset, email in enumerate(columns["email"]):
            contact = every[start + offset]
            assert email == contact.email
            assert {name: columns[name][offset] for name in contact.fields} == dict(contact.fields)
    assert [table.sources[source] for source in table.source_of.tolist()] == [contact.source for contact in every]
    assert table.rows.tolist() == [contact.row for contact in every]


def as_tuple(contact_list: ContactList) -> ContactList:
    """The same list with its recipients as a plain tuple of Contacts (the contact-by-contact path)."""
    return ContactList(tuple(contact_list.contacts), contact_list.rejected, contact_list.files)


def same(table_result: ContactList, tuple_result: ContactList) -> None:
    assert isinstance(table_result.contacts, ContactTable)
    assert list(table_result.contacts) == list(tuple_result.contacts)
    assert table_result.rejected == tuple_result.rejected


FILTERS = [
    ((), ("science",)),
    (("beat=health",), ()),
    (("beat=health,politics", "country=US,gb"), ("vip", "radio")),
    (("outlet=Daily Example",), ()),
    (("title=  reporter ",), ("EU",)),
    (("language=fr",), ()),
]


@pytest.mark.parametrize("path", list_files(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_filters_and_suppressions_on_a_table_are_the_contact_by_contact_rules(path: Path) -> None:
    """On every readable test list, --where/--tag filters and suppressions give the same recipients and rejected rows."""
    loaded = contacts.load([path])
    for where, tags in FILTERS:
        flt = contacts.parse_filter(where, tags)
        known = set(CANONICAL_FIELDS) | {name for summary in loaded.files for name in summary.custom}
        if set(flt.where) - known:
            continue
        same(contacts.apply_filter(loaded, flt), contacts.apply_filter(as_tuple(loaded), flt))
    every = [contact.email_key for contact in loaded.contacts]
    suppressed = {key: f"bounce {number}" for number, key in enumerate(every[::3])} | {"nobody@example.org": "manual"}
    same(contacts.suppress(loaded, suppressed), contacts.suppress(as_tuple(loaded), suppressed))


def test_suppress_on_a_table_compares_addresses_as_email_key(tmp_path: Path) -> None:
    """Capitals and non-ASCII addresses are suppressed as Contact.email_key compares them (str.lower)."""
    source = tmp_path / "list.csv"
    source.write_text("Email,Name\nJane@Example.org,Jane\nSØREN@example.net,Søren\nli@example.org,Li\n", encoding="utf-8")
    loaded = contacts.load([source])
    suppressed = {"jane@example.org": "bounce", "søren@example.net": "unsubscribe"}
    result = contacts.suppress(loaded, suppressed)
    same(result, contacts.suppress(as_tuple(loaded), suppressed))
    assert [contact.email for contact in result.contacts] == ["li@example.org"]
    assert [(row.email, row.detail) for row in result.rejected] == [("Jane@example.org", "bounce"), ("SØREN@example.net", "unsubscribe")]


# Any text but lone surrogates (Arrow text is UTF-8): quotes, backslashes, control characters,
# format marks ("%s", "{}") and characters past the BMP are what JSON and a template could trip on.
json_cell = st.text(alphabet=st.sampled_from(list('"\\\x00\x01\x08\t\n\x0c\r\x1f\x7f %s{}:,é€😀\u2028a')), max_size=6) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8
)


def two_file_table(first: list[tuple[str, str]], second: list[tuple[str, str]]) -> ContactTable:
    """A table of two files with other fields (the second has a custom "x y" field, the first a "notes")."""
    import numpy as np
    import pyarrow as pa

    count = len(first) + len(second)
    emails = [f"p{n}@example.org" for n in range(count)]
    blank = [""] * len(second)
    columns = {
        "email": pa.array(emails, pa.large_string()),
        "first_name": pa.array([a for a, _ in first] + [a for a, _ in second], pa.large_string()),
        "notes": pa.array([b for _, b in first] + blank, pa.large_string()),
        "x y": pa.array([""] * len(first) + [b for _, b in second], pa.large_string()),
    }
    return ContactTable(
        columns,
        sources=["a.csv", "b.csv"],
        source_of=np.array([0] * len(first) + [1] * len(second), dtype=np.int64),
        rows=np.arange(2, count + 2, dtype=np.int64),
        names_of_source=[["email", "first_name", "notes"], ["email", "x y", "first_name"]],
    )


@FUZZ
@given(
    first=st.lists(st.tuples(json_cell, json_cell), min_size=1, max_size=7),
    second=st.lists(st.tuples(json_cell, json_cell), max_size=7),
    step=st.integers(1, 5),
)
def test_table_fields_json_is_the_log_s_text_of_each_row(first: list[tuple[str, str]], second: list[tuple[str, str]], step: int) -> None:
    """Made a column at a time, each row's fields text is byte for byte what the log writes for that
    row's fields (models.fields_json, as msgspec and json.dumps write it), in each file's field order,
    whatever the cells hold; and it reads back as the fields."""
    table = two_file_table(first, second)
    made = [text for block in table.fields_json(step) for text in block]
    expected = [fields_json(contact.fields) for contact in table]
    assert made == expected
    assert made == [json.dumps(dict(contact.fields), ensure_ascii=False, separators=(",", ":")) for contact in table]
    assert [json.loads(text) for text in made] == [dict(contact.fields) for contact in table]
    assert [len(block) for block in table.fields_json(step)] == [count for _, count, _ in table.spans(step)]


def test_table_fields_json_of_cells_arrow_cannot_join_is_the_row_by_row_text() -> None:
    """A table made by hand with an empty cell (null) or a column that is not text still gets the
    text the row-by-row way gives (null for the empty cell)."""
    import numpy as np
    import pyarrow as pa

    table = ContactTable(
        {"email": pa.array(["a@x.org", "b@x.org"]), "notes": pa.array(["n", None]), "count": pa.array([1, 2])},
        sources=["a.csv"],
        source_of=np.zeros(2, dtype=np.int64),
        rows=np.array([2, 3]),
        names_of_source=[["email", "notes", "count"]],
    )
    assert [text for block in table.fields_json() for text in block] == [
        '{"email":"a@x.org","notes":"n","count":1}',
        '{"email":"b@x.org","notes":null,"count":2}',
    ]


def test_table_taken_twice_from_is_no_longer_vouched_distinct_and_the_plan_skips_the_repeat(tmp_path: Path) -> None:
    """``contacts.load`` vouches its addresses differ (the plan then does not compare them again); a
    filter keeps that, but a table that takes a row twice does not, and the plan finds the repeat."""
    import numpy as np

    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config
    from mailer.send import plan

    path = tmp_path / "press.csv"
    path.write_text("Email,Beat\nA@x.org,bees\nb@x.org,wasps\nc@x.org,bees\n", encoding="utf-8")
    loaded = contacts.load([path])
    table = loaded.contacts
    assert isinstance(table, ContactTable) and table.distinct
    assert contacts.apply_filter(loaded, contacts.parse_filter(["beat=bees"], ())).contacts.distinct  # type: ignore[attr-defined]
    twice = table.take(np.array([0, 1, 0]))
    assert not twice.distinct
    rendered = compose.render(release.load(Path(__file__).parent.parent / "releases" / "example.md"), config=Config())
    built = plan.build(rendered, ContactList(twice, (), ()))
    assert [(m.email, m.state.value, m.skip_reason) for m in built.messages] == [
        ("A@x.org", "planned", None),
        ("b@x.org", "planned", None),
        ("A@x.org", "skipped", "duplicate"),
    ]
