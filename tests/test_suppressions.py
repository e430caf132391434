"""`mailer suppressions list|add|remove` and `mailer lists prune`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import without_log_line
from eventlog import suppressions
from sqlalchemy import Engine

from mailer import config
from mailer.cli import main
from mailer.models import SuppressionReason
from mailer.store import connect
from mailer.store import suppressions as suppression_store


@pytest.fixture(autouse=True)
def log(db_url: str, tmp_path: Path) -> str:
    """Every command here works on the test's delivery log (SQLite or PostgreSQL), named in mailer.toml."""
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return db_url


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, without_log_line(result.output)


def engine() -> Engine:
    return connect(config.load(Path("mailer.toml")).database.url)


def test_suppressions_add_list_remove_round_trip() -> None:
    """Added addresses are listed with reason and note; removed ones are gone and say what they were."""
    code, out = run("suppressions", "add", "Jane@Example.org", "tom@example.org", "--reason", "asked by phone")
    assert (code, out) == (0, "Suppressed 2 addresses.\n")
    code, out = run("suppressions", "add", "jane@example.org", "--reason", "again")
    assert out == "Suppressed 0 addresses; 1 already was.\n"
    code, out = run("suppressions", "add", "jane@example.org", "tom@example.org", "--reason", "again")
    assert out == "Suppressed 0 addresses; 2 already were.\n"
    code, out = run("suppressions", "list", "--json")
    listed = json.loads(out)
    assert sorted((e["email"], e["reason"], e["source"], e["note"]) for e in listed) == [
        ("jane@example.org", "manual", "manual", "asked by phone"),
        ("tom@example.org", "manual", "manual", "asked by phone"),
    ]
    assert all(e["since"].endswith("+00:00") for e in listed), "times are marked as UTC"
    code, out = run("suppressions", "remove", "jane@example.org", "nobody@example.org", "--reason", "asked back in")
    assert code == 0
    assert "jane@example.org may be mailed again (was: manual, since " in out
    assert out.rstrip().endswith("nobody@example.org was not suppressed.")
    assert set(suppressions(engine())) == {"tom@example.org"}


def test_suppressions_remove_records_why() -> None:
    """Lifting a suppression keeps what it was and the reason given, shown by `list --removed`."""
    run("suppressions", "add", "jane@example.org", "--reason", "asked by phone")
    run("suppressions", "remove", "jane@example.org", "nobody@example.org", "--reason", "asked back in on 3 March")
    code, out = run("suppressions", "list", "--removed", "--json")
    assert code == 0
    assert [(r["email"], r["was"], r["reason"]) for r in json.loads(out)] == [("jane@example.org", "manual", "asked back in on 3 March")]
    code, out = run("suppressions", "list", "--removed")
    assert "1 address taken off the suppression list" in out and "asked back in" in out


def test_suppressions_remove_warns_only_for_sendgrid_suppressions() -> None:
    """Lifting a bounce reminds that SendGrid still drops the mail; lifting a manual entry does not."""
    with engine().begin() as connection:
        suppression_store.add(connection, [("a@example.org", SuppressionReason.BOUNCE, "550")], source="webhook")
    with engine().begin() as connection:
        suppression_store.add(connection, [("b@example.org", SuppressionReason.MANUAL, "by phone")], source="manual")
    warning = "SendGrid keeps its own suppression lists"
    code, out = run("suppressions", "remove", "b@example.org", "--reason", "asked back in")
    assert code == 0 and warning not in out
    code, out = run("suppressions", "remove", "A@Example.org", "--reason", "address fixed")
    assert code == 0
    assert out.startswith("a@example.org may be mailed again (was: bounce, since ")
    assert f"Warning: {warning}: remove the address there too" in out
    assert suppressions(engine()) == {}


def test_suppressions_list_filters_by_reason() -> None:
    """--reason shows only that kind of suppression."""
    with engine().begin() as connection:
        suppression_store.add(
            connection,
            [("a@example.org", SuppressionReason.BOUNCE, "550"), ("b@example.org", SuppressionReason.UNSUBSCRIBE, None)],
            source="webhook",
        )
    code, out = run("suppressions", "list", "--reason", "bounce")
    assert code == 0
    assert "a@example.org" in out and "b@example.org" not in out
    assert "1 suppressed address\n" in out


def test_suppressions_add_refuses_a_non_address() -> None:
    """A typo instead of an address is refused with an example; nothing is added."""
    code, out = run("suppressions", "add", "jane.example.org", "ok@example.org", "--reason", "x")
    assert code == 1
    assert 'Error: Not an email address: "jane.example.org" (An email address must have an @-sign.). Nothing was changed.' in out
    assert "ok@example.org" not in run("suppressions", "list")[1]


def test_suppressions_add_and_remove_read_addresses_as_lists_do() -> None:
    """nc9 (#10): "Name <ADDRESS>", mailto: and capitals were refused; they are read as a list cell is."""
    code, out = run("suppressions", "add", "Nina Moreau <NINA.MOREAU3@example.fr>", "mailto:louise@example.org", "--reason", "asked")
    assert code == 0, out
    assert "Suppressed 2 addresses." in out
    listed = run("suppressions", "list")[1]
    assert "nina.moreau3@example.fr" in listed and "louise@example.org" in listed
    code, out = run("suppressions", "remove", "NINA.MOREAU3@example.fr", "--reason", "back")
    assert code == 0 and "nina.moreau3@example.fr may be mailed again" in out


def test_suppressions_remove_needs_a_reason() -> None:
    """Lifting a suppression needs a reason (usage error, exit 2)."""
    code, out = run("suppressions", "remove", "jane@example.org")
    assert code == 2
    assert "Missing option '--reason'" in out


def test_suppressions_lists_prune_leaves_out_suppressed(tmp_path: Path) -> None:
    """`lists prune` writes the list without suppressed addresses and counts them by reason."""
    Path("press.csv").write_text(
        "Email,First name,Outlet\nana@example.org,Ana,Daily\nBEN@paper.example,Ben,Paper\n"
        "cleo@example.net,Cléo,Radio\ndan@example.com,Dan,TV\nnot-an-address,X,Y\n",
        encoding="utf-8",
    )
    with engine().begin() as connection:
        suppression_store.add(
            connection,
            [
                ("ben@paper.example", SuppressionReason.BOUNCE, None),
                ("dan@example.com", SuppressionReason.UNSUBSCRIBE, None),
                ("zed@example.org", SuppressionReason.BOUNCE, None),
            ],
            source="webhook",
        )
    code, out = run("lists", "prune", "press.csv", "-o", "pruned.csv")
    assert code == 0, out
    assert out.splitlines()[:3] == [
        "Wrote 2 journalists to pruned.csv; left out 2 suppressed addresses.",
        "  1 bounce",
        "  1 unsubscribe",
    ]
    assert "Also left out rows that are not recipients (1 invalid)" in out
    written = Path("pruned.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in written[1:]] == ["ana@example.org", "cleo@example.net"]


def test_suppressions_prune_refuses_to_overwrite_its_input() -> None:
    """Pruning a list onto itself is refused before anything is written."""
    Path("press.csv").write_text("Email\nana@example.org\n", encoding="utf-8")
    code, out = run("lists", "prune", "press.csv", "-o", "press.csv")
    assert code == 1
    assert "would overwrite the list being pruned" in out
    assert Path("press.csv").read_text(encoding="utf-8") == "Email\nana@example.org\n"


@pytest.mark.parametrize(("option", "delimiter"), [([], ";"), (["--delimiter", "comma"], ",")])
def test_suppressions_prune_writes_the_clean_dialect(option: list[str], delimiter: str) -> None:
    """`lists prune` writes like `lists clean`: UTF-8 with BOM, the list's own delimiter unless --delimiter chooses."""
    Path("press.csv").write_text("Email;Prénom\nana@example.org;Ana\ncleo@example.net;Cléo\n", encoding="utf-8")
    code, out = run("lists", "prune", "press.csv", "-o", "pruned.csv", *option)
    assert code == 0, out
    data = Path("pruned.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(delimiter)[:3] == ["email", "first_name", "last_name"]
    assert lines[2].split(delimiter)[:2] == ["cleo@example.net", "Cléo"]


def test_suppressions_list_shows_every_address_whole() -> None:
    """The list whose one job is "who is never mailed" shows each address whole (it cut them to
    18 characters at 80 columns and when redirected; newcomer review 8), one row per line."""
    long = "firstname.lastname-with-a-long-part@regional-evening-paper.example"
    with engine().begin() as connection:
        suppression_store.add(connection, [(long, SuppressionReason.MANUAL, "asked by phone, twice " * 5)], source="manual")
    code, out = run("suppressions", "list")
    assert code == 0, out
    [row] = [line for line in out.splitlines() if long in line]
    assert "asked by phone" in row


def test_suppressions_remove_lifts_a_forgotten_record_only_when_asked() -> None:
    """--forgotten is the deliberate way to let an erased journalist be mailed again."""
    with engine().begin() as connection:
        suppression_store.add(connection, [("gone@example.org", SuppressionReason.FORGOTTEN, None)], source="forget")
    code, out = run("suppressions", "remove", "gone@example.org", "--reason", "asked back in", "--forgotten")
    assert code == 0, out
    assert "gone@example.org may be mailed again (was: forgotten" in out


def test_suppressions_list_writes_a_csv_a_spreadsheet_opens(tmp_path: Path) -> None:
    """nc9 (#11): the do-not-contact list for a colleague's spreadsheet: UTF-8 with a BOM, one row per
    address, and a note that starts like a formula stays text."""
    assert run("suppressions", "add", "ana@example.org", "--reason", '=HYPERLINK("http://x")')[0] == 0
    assert run("suppressions", "add", "José <jose@example.org>", "--reason", "asked by phone")[0] == 0
    target = tmp_path / "do-not-contact.csv"
    code, out = run("suppressions", "list", "-o", str(target))
    assert code == 0, out
    assert f"Wrote 2 suppressed addresses to {target}" in out
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["email", "reason", "source", "since (UTC)", "note"]
    notes = {row[0]: row[4] for row in rows[1:]}
    assert notes == {"ana@example.org": '\'=HYPERLINK("http://x")', "jose@example.org": "asked by phone"}
    code, out = run("suppressions", "list", "-o", str(tmp_path / "list.xlsx"))
    assert code == 1 and "the suppression list is written as CSV" in out
