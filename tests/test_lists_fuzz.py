"""Fuzzing the list reader: whatever the bytes, only mailer's own errors escape, and no row vanishes."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer import contacts
from mailer.errors import MailerError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "mac_roman")
DELIMITERS = (",", ";", "\t")
# Letters, accents, quotes, spaces, line breaks, an @ and a few symbols: what lists hold.
CELL_TEXT = st.lists(st.sampled_from(list("ab zé ñÜ@.\"'\n-=ŽØ€") + ["jane@example.org", "x@y.org", "\r\n", "  "]), max_size=8).map("".join)


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)  # noqa: SIM115 (hypothesis runs many examples per test)
    with handle:
        handle.write(data)
    return Path(handle.name)


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_raise_only_mailer_errors(data: bytes) -> None:
    """Random bytes are a list or a MailerError; a list read accounts for every row."""
    path = _write(data)
    try:
        checked = contacts.check([path])
        loaded = contacts.load([path])
    except MailerError:
        return
    finally:
        path.unlink()
    assert checked.valid + len(checked.rejected) == checked.rows
    assert len(loaded.contacts) + len(loaded.rejected) == checked.rows


@FUZZ
@given(
    rows=st.lists(st.lists(CELL_TEXT, min_size=1, max_size=4), max_size=8),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(ENCODINGS),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    sep_line=st.booleans(),
)
def test_fuzz_csv_text_every_row_is_a_recipient_or_rejected(
    rows: list[list[str]], delimiter: str, encoding: str, quoting: int, sep_line: bool
) -> None:
    """CSV written by Python's csv module, in any delimiter and encoding: every non-blank row is counted once."""
    header = ["Email", "Name", "Outlet", "Notes"]
    width = len(header)
    rows = [(row + [""] * width)[:width] for row in rows]
    buffer = io.StringIO()
    if sep_line:
        buffer.write(f"sep={delimiter}\n")
    csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\n").writerows([header, *rows])
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    path = _write(data)
    try:
        checked = contacts.check([path])
        loaded = contacts.load([path])
    except MailerError:
        return
    finally:
        path.unlink()
    non_blank = sum(1 for row in rows if any(cell.strip() for cell in row))
    assert checked.rows == non_blank
    assert checked.valid + len(checked.rejected) == non_blank
    assert len(loaded.contacts) + len(loaded.rejected) == non_blank


@FUZZ
@given(st.text(max_size=30), st.sampled_from("=+-@"))
def test_fuzz_formula_name_cells_are_never_split(rest: str, start: str) -> None:
    """A full-name cell that looks like a formula stays whole in first_name (and is never cut at a comma)."""
    import pyarrow as pa

    from mailer.contacts.names import split_names

    cell = (start + rest).strip()
    first, last, honorific = split_names(pa.array([cell], type=pa.large_string()))
    assert (first[0].as_py(), last[0].as_py(), honorific[0].as_py()) == (cell, "", "")
