"""Review 15s: forget and the preview pages it deletes, report files, another log's events,
$MAILER_CONFIG and address cells, broken as an attacker and a careless colleague would.

Each test is a finding (it failed before its fix, session 15)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eventlog import T0, add_campaign, add_message, sg_event, suppressions
from office_cli import mailer, office, whole_log
from sqlalchemy import Engine

from mailer import events

BEAT = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\nben@gazette.example,Ben,Quistgaard,The Gazette\n"


def apply(engine: Engine, batch: list[dict[str, Any]]) -> events.Applied:
    return events.apply(engine, [events.from_object(e, where="x") for e in batch], source="webhook", block_threshold=3)


# -- 1. another log's group_resubscribe lifts this office's unsubscribe ----------------------------


def test_another_logs_group_resubscribe_does_not_lift_her_unsubscribe_here(store: Engine) -> None:
    """Ana unsubscribed from this office's releases through SendGrid's group link (group 7):
    suppressed. Later she resubscribes to another client's newsletter sent from the same SendGrid
    account (group 9; a message key this log never sent: a "foreign" event). Since foreign events
    "suppress as any event does", that resubscribe lifts her unsubscribe here, and the next release
    of this office mails a journalist who said stop to it."""
    add_campaign(store, "2026-02-19-wetlands")
    add_message(store, "2026-02-19-wetlands", "ana@example.org", key="m-ana")
    ours = sg_event("group_unsubscribe", "ana@example.org", key="m-ana", campaign_id="2026-02-19-wetlands", at=T0 + 10, asm_group_id=7)
    apply(store, [ours])
    assert suppressions(store) == {"ana@example.org": ("unsubscribe", "webhook")}
    theirs = sg_event("group_resubscribe", "ana@example.org", key="theirs-ana", campaign_id="2026-03-01-gala", at=T0 + 99, asm_group_id=9)
    assert apply(store, [theirs]).foreign == 1
    assert suppressions(store) == {"ana@example.org": ("unsubscribe", "webhook")}


# -- 2. "anna@..., Bob <bob@...>": Bob is named after Anna's address, Anna is lost -----------------


def test_a_cell_with_a_bare_address_then_a_named_one_is_rejected(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague pasted two journalists into one cell: "anna@daily.example, Bob Stone
    <bob@gazette.example>". The fix for two "Name <address>" entries (newcomer 14 #8) only refuses
    a '<' or '>' in the name part, so this cell reads as Bob, named "anna@daily.example, Bob Stone":
    lists check reports 1 recipient and no rejected row, Anna is dropped without a word, and Bob's
    email carries Anna's address in its To: header."""
    beat = 'Email,Outlet\n"anna@daily.example, Bob Stone <bob@gazette.example>",Daily\n'
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "two addresses in one cell" in checked.output, checked.output


# -- 3. forget leaves her surname in the dry run's skipped.csv -------------------------------------


def test_forget_takes_her_name_out_of_the_dry_runs_skipped_rows(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A dry run chose Ben by his surname (--where last_name=Quistgaard). Its skipped.csv gives
    every other journalist's reason: "last_name is not Quistgaard". forget takes the value out of
    the log's filters and reasons (review 14 #10) and deletes Ben's .eml and request, but rewrites
    skipped.csv only where it holds his address: his surname stays in every other row, and forget
    reports the outbox as erased."""
    office(tmp_path, standin, db_url, beat=BEAT)
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--where", "last_name=Quistgaard", "--dry-run", "--no-test-ok")
    assert dry.exit_code == 0, dry.output
    [skipped] = list((tmp_path / "out" / "outbox").glob("*/skipped.csv"))
    assert "Quistgaard" in skipped.read_text(encoding="utf-8-sig")
    forgot = mailer("forget", "ben@gazette.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert "Quistgaard" not in whole_log(db_url)  # the log is clean ...
    assert "Quistgaard" not in skipped.read_text(encoding="utf-8-sig"), forgot.output  # ... the outbox is not


# -- 4. forget drops the notes of preview pages it did not delete, without a word -----------------


def test_forget_keeps_track_of_a_preview_page_it_could_not_reach(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The log is shared (PostgreSQL for a team, or an office folder on a drive not always there).
    A colleague previewed the release as Ben (`mailer preview --contact`): the page with his
    outlet is on her computer. Ben asks to be erased; forget runs where that page cannot be seen.
    It says nothing of the page, and drops the log's note of it: when forget is run again where the
    page is, nothing is deleted and nothing is said. The page with Ben's data stays for good."""
    office(tmp_path, standin, db_url, beat=BEAT)
    shown = mailer("preview", "releases/example.md", "--contact", "ben@gazette.example", "--list", "lists/beat.csv")
    assert shown.exit_code == 0, shown.output
    page = tmp_path / "out" / "preview" / "example.html"
    assert "The Gazette" in page.read_text(encoding="utf-8")
    (tmp_path / "out" / "preview").rename(tmp_path / "out" / "away")  # the colleague's computer, not reachable from here
    first = mailer("forget", "ben@gazette.example", "--yes")
    assert first.exit_code == 0, first.output
    (tmp_path / "out" / "away").rename(tmp_path / "out" / "preview")  # forget run again on her computer
    again = mailer("forget", "ben@gazette.example", "--yes")
    assert again.exit_code == 0, again.output
    assert not page.exists() or "example.html" in first.output + again.output, (first.output, again.output)


def test_forget_names_a_preview_page_made_for_her_that_changed_since(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The press officer previewed the release as Ana and opened the page in an editor, which saved
    it again (one byte changed). forget compares the page's SHA-256 with the one noted, finds it
    different, and leaves it in place without naming it: "Daily News" and her greeting stay in
    out/preview, and the log no longer knows the page was made for her."""
    office(tmp_path, standin, db_url, beat=BEAT)
    shown = mailer("preview", "releases/example.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    assert shown.exit_code == 0, shown.output
    page = tmp_path / "out" / "preview" / "example.html"
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    forgot = mailer("forget", "ana@daily.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert not page.exists() or "example.html" in forgot.output, forgot.output


# -- 5. $MAILER_CONFIG over this folder's mailer.toml: forget erases the other client's log ---------


def test_forget_under_another_folders_mailer_config_does_not_erase_the_wrong_log(
    tmp_path: Path, standin: Any, new_db_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clients' office folders, each with its own mailer.toml and log; both mailed Ben.
    MAILER_CONFIG is still set for client A. In client B's folder, Ben asks B to erase him:
    `mailer forget ben@gazette.example --yes`. A send there would stop (newcomer 14 #3); forget
    only warns, then erases Ben from client A's log (irreversibly, and suppresses him there,
    though he never asked A) and leaves B's log holding his name, outlet and address."""
    client_a, client_b = tmp_path / "a", tmp_path / "b"
    for folder in (client_a, client_b):
        folder.mkdir()
        office(folder, standin, new_db_url(), beat=BEAT)
        monkeypatch.chdir(folder)
        sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
        assert sent.exit_code == 0, sent.output
    b_log = (client_b / "mailer.toml").read_text(encoding="utf-8").split('url = "')[-1].split('"')[0]
    monkeypatch.setenv("MAILER_CONFIG", str(client_a / "mailer.toml"))
    forgot = mailer("forget", "ben@gazette.example", "--yes")
    assert forgot.exit_code != 0 or "Quistgaard" not in whole_log(b_log), forgot.output


# -- 6. "nowhere in the delivery log ... check the spelling", then her pages are deleted -----------


def test_forget_of_a_journalist_only_previewed_does_not_say_check_the_spelling(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ben was only previewed (`mailer preview --contact`), never mailed. forget warns "Erased from 0
    rows: ben@gazette.example is nowhere in the delivery log ... Check the spelling", and on the
    next line deletes the two pages the log noted for that very address: the press officer is told
    to doubt a spelling that was right."""
    office(tmp_path, standin, db_url, beat=BEAT)
    shown = mailer("preview", "releases/example.md", "--contact", "ben@gazette.example", "--list", "lists/beat.csv")
    assert shown.exit_code == 0, shown.output
    forgot = mailer("forget", "ben@gazette.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert "Deleted 2 pages" in forgot.output, forgot.output
    assert "Check the spelling" not in forgot.output, forgot.output


# -- 7. an XLSX report holding an address with "&" is not named -----------------------------------


def test_forget_names_the_xlsx_report_of_an_address_with_an_ampersand(tmp_path: Path, standin: Any, db_url: str) -> None:
    """ "r&d@lab.example" is a valid address (RFC 5322 allows & in the local part). The recipients
    report in out/reports as CSV and as XLSX both hold it; forget names the CSV only: inside the
    XLSX the address is XML text, "r&amp;d@lab.example", which the search does not read back."""
    beat = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\nr&d@lab.example,Rita,Dee,Lab Weekly\n"
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    for fmt in ("csv", "xlsx"):
        written = mailer("report", "latest", "--kind", "recipients", "--format", fmt)
        assert written.exit_code == 0, written.output
    forgot = mailer("forget", "r&d@lab.example", "--yes", "--json")
    assert forgot.exit_code == 0, forgot.output
    named = json.loads(forgot.stdout)["report_files"]
    assert any(name.endswith("-recipients.csv") for name in named), named
    assert any(name.endswith("-recipients.xlsx") for name in named), named


# -- 8. a value two journalists shared becomes "(forgotten)" once both are forgotten ---------------


def test_forget_keeps_a_where_value_other_journalists_were_chosen_by(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release went to the health beat (--where beat=health): Ben and Cleo. Cleo is forgotten,
    then Ben. At Ben's erasure "health" is held by no other row of the campaign any more (Cleo's
    row is blank), so erase_values takes it for Ben's own value: the campaign's filter becomes
    beat=(forgotten) and every other journalist's reason reads "beat is not (forgotten)", as if
    the health beat had been a person. The recipients report no longer says which beat it went to."""
    beat = (
        "Email,First Name,Last Name,Outlet,Beat\nana@daily.example,Ana,Lima,Daily News,environment\n"
        "ben@gazette.example,Ben,Quistgaard,The Gazette,health\ncleo@post.example,Cleo,Ng,The Post,health\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--where", "beat=health", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    for address in ("cleo@post.example", "ben@gazette.example"):
        forgot = mailer("forget", address, "--yes")
        assert forgot.exit_code == 0, forgot.output
    report = mailer("report", "latest", "--kind", "recipients", "--all", "--format", "json", "-o", "-")
    assert report.exit_code == 0, report.output
    [ana] = [row for row in json.loads(report.stdout)["rows"] if row["email"] == "ana@daily.example"]
    assert ana["why_skipped_or_failed"] == "beat is not health", ana


# -- 9. a cell refused for holding two addresses keeps her address and name after forget ----------


def test_forget_erases_her_from_a_cell_refused_for_two_addresses(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A colleague pasted Anna and Bob into one cell: "Anna Müller <anna@daily.example>, Bob Stone
    <bob@gazette.example>". Since newcomer 14 #8 the row is refused ("two addresses in one cell")
    and logged skipped, keyed by the whole cell. Anna asks to be erased. forget finds no row of hers
    (the cell does not key to her address), replaces the address in the row's texts, and leaves the
    row's email and email_key columns holding "Anna Müller <anna@daily.example>, ..." and its
    fields her name and outlet: the recipients report still lists her address and name."""
    beat = (
        "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\n"
        '"Anna Müller <anna@daily.example>, Bob Stone <bob@gazette.example>",Anna,Müller,Müller Weekly\n'
    )
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    forgot = mailer("forget", "anna@daily.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    report = mailer("report", "latest", "--kind", "recipients", "--all", "--format", "json", "-o", "-")
    assert report.exit_code == 0, report.output
    assert "two addresses in one cell" in report.stdout, report.stdout  # the refused row is there ...
    assert "anna@daily.example" not in report.stdout.lower(), report.stdout  # ... without her address
    assert "Müller" not in report.stdout, report.stdout  # ... or her name
