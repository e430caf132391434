"""Review 26x: attacks on session 26's changes (ingest lock per schema, follow-up latest, typo warnings)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES, schema_url
from office_cli import campaign_of, mailer, office, said
from sqlalchemy import create_engine, text

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=SKIP_POSTGRES)


@needs_postgres
def test_the_ingest_lock_is_the_logs_however_its_search_path_reaches_it(tmp_path: Path, standin: Any, two_schemas: tuple[str, str]) -> None:
    """One log, reached two ways: the webhook's URL names its schema; a colleague's login has a
    schema of its own first in its search path (PostgreSQL's advice for every user since 15), so
    current_schema() is that empty one while every table is the log's. The ingest lock was keyed
    by current_schema(): the colleague's `mailer forget` or `suppressions add` did not wait for the
    webhook's batch of events, and an erased journalist's events could be stored after the erasure."""
    from mailer.store import events as event_store

    log, own = two_schemas
    office(tmp_path, standin, schema_url(log, log))
    os.chdir(tmp_path)
    assert mailer("campaigns").exit_code == 0  # the log made, in its schema
    (tmp_path / "mailer.toml").write_text(
        (tmp_path / "mailer.toml").read_text(encoding="utf-8").replace(schema_url(log, log), schema_url(f"{own},{log}", own)),
        encoding="utf-8",
    )
    webhook = create_engine(schema_url(log, log))
    try:
        with webhook.connect() as storing:
            event_store.hold_ingest_lock(storing)  # what a batch of events holds while it is stored
            colleague = subprocess.Popen(
                [sys.executable, "-m", "mailer", "suppressions", "add", "ex.reporter@example.net", "--reason", "asked by phone"],
                cwd=tmp_path,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            deadline = time.monotonic() + 30
            waiting = False
            while colleague.poll() is None and not waiting and time.monotonic() < deadline:
                time.sleep(0.1)
                with storing.engine.connect() as looking:
                    waiting = bool(
                        looking.scalar(
                            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :own AND wait_event = 'advisory'"),
                            {"own": own},
                        )
                    )
            finished_while_held = colleague.poll() is not None
            storing.rollback()
        out, _ = colleague.communicate(timeout=30)
    finally:
        webhook.dispose()
    assert colleague.returncode == 0, out
    assert not finished_while_held, f"stored beside the batch, without waiting for it: {out}"
    assert "Waiting for the delivery log" in out, out


def test_lists_check_leaves_a_providers_real_country_domains_alone(tmp_path: Path) -> None:
    """Hotmail and Outlook have a domain per country. "hotmail.gr" (Athens), "hotmail.fi",
    "hotmail.cl" and "outlook.kr" are one letter from hotmail.fr, hotmail.ca and outlook.fr, so
    `lists check` asked whether each was a typo of the French or Canadian one: a press officer who
    "corrects" the address mails a stranger. "hotmail.co" was offered hotmail.ca, first in
    alphabetical order, for the hotmail.com meant. Slips in the name, and "gmail.co", still warn."""
    import json

    (tmp_path / "intl.csv").write_text(
        "Email,Name\n"
        "nikos@hotmail.gr,Nikos\n"
        "aino@hotmail.fi,Aino\n"
        "sofia@hotmail.cl,Sofia\n"
        "minjun@outlook.kr,Min-jun\n"
        "ana@hotmail.co,Ana\n"
        "ben@gmail.co,Ben\n"
        "lea@hotmial.fr,Lea\n",
        encoding="utf-8",
    )
    found = json.loads(mailer("lists", "check", "intl.csv", "--json").stdout)["misspelt_domains"]
    assert [(r["row"], r["likely"]) for r in found] == [(6, "hotmail.com"), (7, "gmail.com"), (8, "hotmail.fr")], found


def test_follow_up_latest_does_not_pass_over_a_newer_send_of_a_release_outside_the_folder(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """The office keeps its new releases on the shared drive, reached through a link in its folder
    (news -> /shared/press). Monday's send of releases/example.md went to the beat list; Tuesday's
    of news/budget.md to the regional list. `--follow-up latest` counted only releases whose real
    path is inside the office folder, so it skipped Tuesday's and took Monday's: the beat list's
    journalists would get the budget reminder. Which send is meant is not sure: it asks."""
    project = office(tmp_path / "office", standin, db_url)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    (project / "news").symlink_to(shared, target_is_directory=True)
    (project / "lists" / "regional.csv").write_text("Email,First Name\ncleo@regional.example,Cleo\n", encoding="utf-8")
    os.chdir(project)
    monday = mailer(*("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok"))
    assert monday.exit_code == 0, monday.output
    tuesday = mailer("send", "news/budget.md", "--list", "lists/regional.csv", "--yes", "--no-test-ok")
    assert tuesday.exit_code == 0, tuesday.output
    (project / "releases" / "reminder.md").write_text('---\nsubject: "Reminder"\n---\nA reminder.\n', encoding="utf-8")
    follow = mailer("send", "releases/reminder.md", "--follow-up", "latest", "--who", "not-opened", "--dry-run")
    assert "ana@daily.example" not in follow.output and "Recipients: 2" not in follow.output, follow.output
    assert follow.exit_code == 1, follow.output
    assert "budget.md" in said(follow), follow.output


def test_the_summary_spreadsheets_subject_row_reads_as_the_terminal_shows_it(tmp_path: Path, standin: Any) -> None:
    """A personal subject ("For {{ contact.first_name }}: ...") is stored with SendGrid's
    substitution token in it. The terminal's title and the HTML page show "[first_name]"; the
    summary CSV and XLSX's new "Subject:" row showed the token itself ("-~c.first_name.s~-"), which
    the director reading the spreadsheet takes for a broken subject sent to every journalist."""
    from openpyxl import load_workbook

    office(tmp_path, standin, f"sqlite:///{tmp_path}/log.db")
    os.chdir(tmp_path)
    (tmp_path / "releases" / "budget.md").write_text(
        '---\nsubject: "For {{ contact.first_name }}: the budget"\n---\nHello.\n', encoding="utf-8"
    )
    campaign = campaign_of(mailer("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok"))
    assert f"{campaign}: For [first_name]: the budget" in mailer("report", campaign).output
    assert mailer("report", campaign, "-o", "summary.csv").exit_code == 0
    assert mailer("report", campaign, "-o", "summary.xlsx").exit_code == 0
    assert ",For [first_name]: the budget\n" in (tmp_path / "summary.csv").read_text(encoding="utf-8-sig")
    sheet = load_workbook(tmp_path / "summary.xlsx").active
    assert sheet is not None
    assert ("For [first_name]: the budget",) in [row[-1:] for row in sheet.iter_rows(values_only=True)]


def test_a_release_may_give_a_large_number_as_a_fields_default(tmp_path: Path, standin: Any) -> None:
    """ "{{ contact.readers | default(1200000) }} readers": the template bounds read every number a
    filter is given as a width or a count, so a default of 1.2 million was refused as "would make a
    text far larger than any email", and the release could not be previewed or sent. A default is a
    value, not a width (and a format's numbers are values too: its widths are weighed apart)."""
    office(tmp_path, standin, f"sqlite:///{tmp_path}/log.db")
    os.chdir(tmp_path)
    (tmp_path / "releases" / "readers.md").write_text(
        '---\nsubject: "Readers"\n---\nYour {{ contact.readers | default(1200000) }} readers, {{ contact.first_name }}.\n', encoding="utf-8"
    )
    (tmp_path / "lists" / "readers.csv").write_text("Email,First Name,Readers\nana@daily.example,Ana,\n", encoding="utf-8")
    result = mailer("preview", "releases/readers.md", "--list", "lists/readers.csv")
    assert result.exit_code == 0, result.output
    assert "Your 1200000 readers, [first_name]." in (tmp_path / "out" / "preview" / "readers.txt").read_text(encoding="utf-8")
