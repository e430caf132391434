"""Review 18w: a hostile review of the newest list rules on main (opt-out and opt-in columns:
headers.NOT_OPTED_OUT, OPT_IN_HEADERS, loader._opted_out), as a press officer would meet them.
Each test is a finding, through the command line, and failed before its fix (session 18)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from office_cli import SEND, mailed, mailer, office


def beat_of(header: str, cells: list[str]) -> str:
    """A list whose ``header`` column holds ``cells``, one journalist each (j0@paper.example, ...)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["Email", "Name", header])
    writer.writerows([f"j{at}@paper.example", f"Jo {at}", cell] for at, cell in enumerate(cells))
    return text.getvalue()


# -- 1. "No.", Excel's "0.0", an accent typed in two characters: read as an opt-out ---------------

SAID_NO = ["No.", "0.0", "0,00", "Nee.", "EPA\u0308TOSI"]


def test_a_do_not_email_of_no_with_a_full_stop_or_excel_zero_is_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague's "Do Not Email" column says "No." (a full stop typed after it), "0.0" (Excel
    saved the 0 as a number), "EPÄTOSI" (Finnish Excel's FALSE, its Ä written as A and two dots):
    every such journalist was rejected as opted out and never mailed. They read as no."""
    office(tmp_path, standin, db_url, beat=beat_of("Do Not Email", [*SAID_NO, "Yes."]))
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "rejected:    1 (1 opted out)" in checked.output, checked.output
    assert 'row 7: j5@paper.example: opted out of email ("Do Not Email": Yes.)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == [f"j{at}@paper.example" for at in range(5)], sent.output


def test_an_opt_in_of_no_with_a_full_stop_or_excel_zero_is_not_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The other way round, an "Email Opt-in" column: "No." and "0.0" read as yes, and the
    journalists who had said no were mailed the release, lists check calling them recipients."""
    office(tmp_path, standin, db_url, beat=beat_of("Email Opt-in", [*SAID_NO, "Yes.", ""]))
    checked = mailer("lists", "check", "lists/beat.csv")
    assert 'row 2: j0@paper.example: gave no consent to email ("Email Opt-in": No.)' in checked.output, checked.output
    assert 'row 3: j1@paper.example: gave no consent to email ("Email Opt-in": 0.0)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["j5@paper.example"], sent.output  # an empty cell is no consent (review 20c #4)


# -- 2. a checkbox column exported as its boxes: the empty box read as an opt-out -----------------


def test_an_unticked_box_in_a_do_not_email_column_is_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list kept in a spreadsheet with a checkbox column "Do Not Email", exported as its boxes:
    "☐" for the journalists who had not opted out, "☑" for the one who had. Every "☐" journalist
    was rejected as opted out and never mailed. An empty box reads as no; a ticked one opts out."""
    office(tmp_path, standin, db_url, beat=beat_of("Do Not Email", ["☐", "☑", "☐"]))
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "rejected:    1 (1 opted out)" in checked.output, checked.output
    assert 'row 3: j1@paper.example: opted out of email ("Do Not Email": ☑)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["j0@paper.example", "j2@paper.example"], sent.output


def test_an_unticked_box_in_an_opt_in_column_is_not_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The other way round: an "Opt-in" checkbox column's "☐" is a journalist who did not opt in."""
    office(tmp_path, standin, db_url, beat=beat_of("Opt-in", ["☑", "☐"]))
    checked = mailer("lists", "check", "lists/beat.csv")
    assert 'row 3: j1@paper.example: gave no consent to email ("Opt-in": ☐)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sorted(mailed(standin)) == ["j0@paper.example"], sent.output


# -- 3. a cell that looks empty (a zero-width space, a byte-order mark) opted the journalist out ----


def test_a_do_not_email_cell_that_looks_empty_is_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A "Do Not Email" column pasted from a web page: cells that look empty hold a zero-width space,
    a byte-order mark or a no-break space. lists check rejected those journalists as opted out
    ("Do Not Email": \\u200b), and they were never mailed. A blank-looking cell says nothing."""
    office(tmp_path, standin, db_url, beat=beat_of("Do Not Email", ["\u200b", "\ufeff", "\u00a0", " \u200b ", "yes"]))
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "rejected:    1 (1 opted out)" in checked.output, checked.output
    assert 'row 6: j4@paper.example: opted out of email ("Do Not Email": yes)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == [f"j{at}@paper.example" for at in range(4)], sent.output


# -- 4. "Don't Email" and "Email Opted Out" were columns of the list's own ------------------------


def test_a_dont_email_column_keeps_its_journalists_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague's list heads its opt-out column "Don't Email" (another's "Email Opted Out"):
    lists check read it as a column of the list's own, and the journalist it marked "yes" was mailed."""
    for header in ("Don't Email", "Email Opted Out"):
        office(tmp_path, standin, db_url, beat=beat_of(header, ["", "yes", "no"]))
        checked = mailer("lists", "check", "lists/beat.csv")
        assert f'row 3: j1@paper.example: opted out of email ("{header}": yes)' in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["j0@paper.example", "j2@paper.example"], sent.output
