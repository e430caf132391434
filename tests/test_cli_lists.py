"""`mailer lists check` and `mailer lists clean`, as a press officer runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from mailer.cli import main

ROOT = Path(__file__).parent.parent
PRESS = str(EXAMPLES / "lists" / "press.csv")
STAFF = str(EXAMPLES / "lists" / "staff.csv")
LISTS = Path(__file__).parent / "data" / "lists"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_lists_check_reports_counts_columns_and_first_rejected_rows() -> None:
    """The report gives rows, recipients, rejected by reason, columns, and the rejected rows with their row numbers."""
    code, out, _ = run("lists", "check", PRESS)
    assert code == 0
    assert f"{PRESS} (UTF-8, comma-separated)" in out
    assert "  rows read:   49\n" in out
    assert "  recipients:  41\n" in out
    assert "  rejected:    8 (5 invalid, 1 missing address, 2 duplicate)\n" in out
    assert "  columns:     email (Email), first_name (First Name), last_name (Last Name)," in out
    assert "  your own:    twitter_handle (Twitter Handle)\n" in out
    assert (
        "Rejected rows:\n"
        "  row 43: amara.okafor@EXAMPLE.com: duplicate of row 2\n"
        "  row 44: li.wei@example.org: duplicate of row 3\n"
        "  row 45: peter.novak@@example.com: The part after the @-sign contains invalid characters: '@'.\n"
        "  row 46: (empty): no email address\n"
    ) in out


def test_lists_check_totals_several_files() -> None:
    """With several files there is a total line across them."""
    code, out, _ = run("lists", "check", PRESS, STAFF)
    assert code == 0
    assert "Total: 53 rows read, 45 recipients, rejected: 8 (5 invalid, 1 missing address, 2 duplicate).\n" in out


def test_lists_check_json_has_counts_columns_and_every_rejected_row() -> None:
    """--json prints one object with rows, valid, invalid, duplicates, columns and rejected rows."""
    code, out, _ = run("lists", "check", "--json", PRESS)
    assert code == 0
    data = json.loads(out)
    assert {k: data[k] for k in ("rows", "valid", "invalid", "missing", "duplicates")} == {
        "rows": 49,
        "valid": 41,
        "invalid": 5,
        "missing": 1,
        "duplicates": 2,
    }
    assert data["columns"]["recognized"]["email"] == "Email"
    assert data["columns"]["custom"] == {"twitter_handle": "Twitter Handle"}
    assert [(r["row"], r["reason"]) for r in data["rejected"]] == [
        (43, "duplicate"),
        (44, "duplicate"),
        (45, "invalid"),
        (46, "missing"),
        (47, "invalid"),
        (48, "invalid"),
        (49, "invalid"),
        (50, "invalid"),
    ]
    assert data["rejected"][2] == {
        "file": PRESS,
        "row": 45,
        "email": "peter.novak@@example.com",
        "reason": "invalid",
        "detail": "The part after the @-sign contains invalid characters: '@'.",
    }


def test_lists_check_header_only_file_is_zero_recipients_not_an_error() -> None:
    """A header without rows is reported as 0 recipients with exit 0."""
    code, out, _ = run("lists", "check", str(LISTS / "header_only.csv"))
    assert code == 0
    assert "  rows read:   0\n  recipients:  0\n  rejected:    none\n" in out


@pytest.mark.parametrize(
    "target,message",
    [
        (
            "missing.csv",
            "Error: missing.csv: no such file.\nCheck the file name and folder (ls lists/ shows the lists you have).\n",
        ),
        (
            ".",
            "Error: .: this is a folder, not a list file.\nName the CSV file inside it, for example lists/press.csv.\n",
        ),
    ],
)
def test_lists_check_missing_file_or_folder_exits_1_with_message(target: str, message: str) -> None:
    """A file that does not exist or a folder: exit 1, the message and the hint, no traceback."""
    code, out, err = run("lists", "check", target)
    assert (code, out, err) == (1, "", message)


@pytest.mark.parametrize("name", ["empty.csv", "binary.png", "no_email_column.csv", "ragged_long.csv", "workbook.xlsx"])
def test_lists_check_unusable_file_exits_1(name: str) -> None:
    """Each unusable file gives exit 1 and an "Error:" line naming it."""
    path = str(LISTS / "bad" / name)
    code, out, err = run("lists", "check", path)
    assert code == 1 and out == ""
    assert err.startswith(f"Error: {path}")
    assert "Traceback" not in err


def test_lists_check_without_files_is_a_usage_error() -> None:
    """No FILE argument is wrong usage: exit 2."""
    code, _, err = run("lists", "check")
    assert code == 2 and "Missing argument 'FILES...'" in err


def test_lists_clean_writes_recipients_and_rejects(tmp_path: Path) -> None:
    """clean writes canonical recipients and, with --rejects, the rejected rows with row and reason."""
    out, rejects = tmp_path / "out" / "clean.csv", tmp_path / "rejects.csv"
    code, stdout, _ = run("lists", "clean", PRESS, STAFF, "-o", str(out), "--rejects", str(rejects))
    assert code == 0
    assert stdout == f"Wrote 45 recipients to {out}.\nWrote 8 rejected rows to {rejects}.\n"
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 45 and rows[-1]["email"] == "alex.moreau@example.org"
    assert (rows[-1]["first_name"], rows[-1]["last_name"], rows[-1]["tags"]) == ("Alex", "Moreau", "staff")
    assert rows[10]["email"] == "jane.doe@example.org" and rows[10]["first_name"] == "Jane"  # from "Jane Doe <...>"
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [(r["row"], r["reason"]) for r in rejected][:3] == [
        ("43", "duplicate"),
        ("44", "duplicate"),
        ("45", "invalid"),
    ]


@pytest.mark.parametrize("target", ["input", "same"])
def test_lists_clean_refuses_to_write_over_a_file_it_reads(tmp_path: Path, target: str) -> None:
    """-o on an input list, or --rejects on the -o file, would lose rows: exit 1, nothing written."""
    source = tmp_path / "press.csv"
    source.write_bytes(Path(PRESS).read_bytes())
    out = source if target == "input" else tmp_path / "clean.csv"
    code, _, err = run("lists", "clean", str(source), "-o", str(out), "--rejects", str(tmp_path / "clean.csv"))
    problem = (
        f"{source}: mailer would write over a file it is reading from."
        if target == "input"
        else f"{out}: -o and --rejects name the same file."
    )
    assert code == 1
    assert err == (
        f"Error: {problem}\nGive -o and --rejects new file names, for example -o out/press-clean.csv --rejects out/press-rejects.csv.\n"
    )
    assert source.read_bytes() == Path(PRESS).read_bytes() and not (tmp_path / "clean.csv").exists()


def test_lists_clean_without_rejects_says_what_was_left_out(tmp_path: Path) -> None:
    """Without --rejects, clean says how many rows it left out and how to keep them."""
    code, stdout, _ = run("lists", "clean", PRESS, "-o", str(tmp_path / "c.csv"))
    assert code == 0
    assert stdout.endswith("Left out 8 rejected rows (add --rejects FILE to keep them for fixing).\n")


def test_lists_clean_output_checks_clean(tmp_path: Path) -> None:
    """A cleaned list, checked again, has no rejected rows and the same recipients."""
    out = tmp_path / "clean.csv"
    run("lists", "clean", PRESS, "-o", str(out))
    code, stdout, _ = run("lists", "check", "--json", str(out))
    data = json.loads(stdout)
    assert (code, data["rows"], data["valid"], data["rejected"]) == (0, 41, 41, [])


def test_lists_check_of_several_files_checks_each_even_when_one_cannot_be_read(tmp_path: Path) -> None:
    """`lists check lists/*` with a workbook and a file without addresses among the lists: the readable lists
    are still reported, each bad file gets its own error, the exit code is 1, and the clean command offered
    names only the readable files."""
    workbook = tmp_path / "old.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    names = tmp_path / "names.csv"
    names.write_text("name\nJane\n", encoding="utf-8")
    code, out, err = run("lists", "check", PRESS, str(workbook), str(names), STAFF)
    assert code == 1
    assert f"{PRESS} (UTF-8, comma-separated)" in out and f"{STAFF} (UTF-8, comma-separated)" in out
    assert f"Error: {workbook}: this is an Excel workbook, not a CSV file.\n" in err
    assert f'Error: {names}: no email address column. Columns found: "name".\n' in err
    assert f"Error: 2 of the 4 files could not be read: {workbook}, {names}.\n" in err
    clean = next(line for line in out.splitlines() if line.startswith("To get a list without these rows:"))
    assert str(workbook) not in clean and str(names) not in clean and PRESS in clean

    code, out, err = run("lists", "check", PRESS, str(workbook), "--json")
    assert code == 1
    document = json.loads(out)
    assert document["valid"] == 41
    assert document["unreadable"] == [
        {
            "file": str(workbook),
            "error": f"{workbook}: this is an Excel workbook, not a CSV file.",
            "hint": 'In your spreadsheet, use "Save As" and choose "CSV UTF-8 (Comma delimited)", then try again.',
        }
    ]
    assert f"Error: {workbook} could not be read.\n" in err


def test_lists_check_of_one_unreadable_file_is_its_error_alone(tmp_path: Path) -> None:
    """One file: its own error, exit 1, nothing more (as before)."""
    names = tmp_path / "names.csv"
    names.write_text("name\nJane\n", encoding="utf-8")
    code, out, err = run("lists", "check", str(names))
    assert code == 1 and out == ""
    assert err.count("Error:") == 1 and "no email address column" in err
