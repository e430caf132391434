"""Newcomer trial 14: a small PR agency's press officer sending releases for two clients.

Each client has its own office folder (mailer.toml, lists, releases) and so its own default
SQLite delivery log (out/mailer.db beside mailer.toml). Sends go to the local SendGrid stand-in.
Each test is a finding: it asserts what the press officer should get and fails today
(``xfail(strict=True)``), so the fix flips it. Everything goes through the command line.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from office_cli import Bars

from mailer.cli import main

KEY = "SG.standin-key.secret"
# A spreadsheet export: semicolons, Windows-1252, a "Name <addr>" cell, a duplicate.
MESSY = (
    "Name;Email;Outlet\r\n"
    "José Núñez;jose@daily.example;Daily Paper\r\n"
    '"Müller, Anna";"Anna Müller <anna@zeitung.example>";Zeitung\r\n'
    "Zoë Smith;zoe@mag.example;Mag – Weekly\r\n"
    "Zoë again;ZOE@mag.example;Mag – Weekly\r\n"
)
RELEASE = '---\nsubject: "{client} launches a widget"\n---\nHello {{{{ contact.first_name | default("there") }}}},\n\n{client} launched a widget.\n'


def mailer(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": KEY}, input=input)


def client_office(folder: Path, client: str, standin: Any) -> Path:
    """One client's office folder: its own mailer.toml (no [database]: out/mailer.db beside it), lists, a release."""
    (folder / "lists").mkdir(parents=True)
    (folder / "releases").mkdir()
    (folder / "lists" / "press.csv").write_bytes(MESSY.encode("cp1252"))
    (folder / "lists" / "staff.csv").write_text(f"Email\nstaff@{client}-pr.example\n", encoding="utf-8")
    (folder / "releases" / "launch.md").write_text(RELEASE.format(client=client), encoding="utf-8")
    (folder / "mailer.toml").write_text(
        f'[sender]\nfrom_email = "press@{client}-pr.co.uk"\npostal_address = "{client} Ltd, 1 High St, Leeds"\n\n'
        f'[sendgrid]\napi_url = "{standin.url}"\n\n[lists]\nstaff = "lists/staff.csv"\n',
        encoding="utf-8",
    )
    return folder / "mailer.toml"


def campaign_of(result: Result) -> str:
    match = re.search(r"^(?:Test campaign|Campaign) (\S+):", result.output, re.MULTILINE)
    assert match, result.output
    return match.group(1)


def accepted(config: Path, campaign: str) -> dict[str, str]:
    """Address -> message key of a campaign's accepted journalists, as SendGrid's events carry them."""
    with sqlite3.connect(config.parent / "out" / "mailer.db") as db:
        rows = db.execute("select email, message_key from message where campaign_id = ? and state = 'accepted'", (campaign,))
        return dict(rows.fetchall())


@pytest.fixture
def offices(tmp_path: Path, standin: Any) -> tuple[Path, Path]:
    return client_office(tmp_path / "acme", "acme", standin), client_office(tmp_path / "bolt", "bolt", standin)


def test_other_clients_opens_do_not_count_in_this_clients_campaign(offices: tuple[Path, Path], tmp_path: Path) -> None:
    acme, bolt = offices
    # Both clients launch on the same day: both campaigns get the id <today>-launch.
    sent_acme = mailer(
        "send",
        str(acme.parent / "releases" / "launch.md"),
        "--list",
        str(acme.parent / "lists" / "press.csv"),
        "--config",
        str(acme),
        "--yes",
    )
    sent_bolt = mailer(
        "send",
        str(bolt.parent / "releases" / "launch.md"),
        "--list",
        str(bolt.parent / "lists" / "press.csv"),
        "--config",
        str(bolt),
        "--yes",
    )
    assert sent_acme.exit_code == 0 and sent_bolt.exit_code == 0, sent_acme.output + sent_bolt.output
    campaign = campaign_of(sent_acme)
    assert campaign_of(sent_bolt) == campaign
    # Anna opened bolt's email (events carry bolt's own message keys), not acme's.
    bolt_keys = accepted(bolt, campaign)
    events = tmp_path / "bolt-events.ndjson"
    now = int(__import__("time").time())
    events.write_text(
        json.dumps(
            {
                "email": "anna@zeitung.example",
                "event": "open",
                "timestamp": now,
                "sg_event_id": "bolt-open-1",
                "campaign": campaign,
                "message": bolt_keys["anna@zeitung.example"],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    # The press officer imports bolt's file from acme's folder by mistake.
    imported = mailer("events", "import", str(events), "--config", str(acme))
    assert imported.exit_code == 0, imported.output
    # acme's follow-up to those who did not open still reaches Anna: she never opened acme's email.
    reminder = acme.parent / "releases" / "reminder.md"
    reminder.write_text(RELEASE.format(client="acme").replace("launches", "reminds of"), encoding="utf-8")
    follow = mailer("send", str(reminder), "--follow-up", campaign, "--who", "not-opened", "--dry-run", "--config", str(acme))
    assert follow.exit_code == 0, follow.output
    # (The line always reads "(not opened)"; what must not be there is "1 opened" among those left out.)
    follow_up_line = follow.output.split("Follow-up:")[1].splitlines()[0]
    assert re.search(r"Recipients:\s+3\b", follow.output) and not re.search(r"\d opened", follow_up_line), follow.output
    assert "another delivery log" in imported.output or "never sent" in imported.output, imported.output


def send_live(config: Path) -> Result:
    office = config.parent
    result = mailer(
        "send", str(office / "releases" / "launch.md"), "--list", str(office / "lists" / "press.csv"), "--config", str(config), "--yes"
    )
    assert result.exit_code == 0, result.output
    return result


def test_report_from_a_subfolder_goes_to_the_office_reports_folder(offices: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    acme, _ = offices
    campaign = campaign_of(send_live(acme))
    # The press officer works from the releases folder (mailer.toml is found one folder up).
    monkeypatch.chdir(acme.parent / "releases")
    report = mailer("report", campaign, "--kind", "recipients", "--format", "csv")
    assert report.exit_code == 0, report.output
    stray = acme.parent / "releases" / "out"
    assert not stray.exists(), f"a new folder {stray} was made: {sorted(p.name for p in stray.rglob('*'))}"
    assert (acme.parent / "out" / "reports" / f"{campaign}-recipients.csv").exists()


def test_mailer_config_does_not_silently_override_the_client_folder(offices: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    acme, bolt = offices
    # Set once for acme (say in ~/.bashrc); today the officer works in bolt's folder.
    monkeypatch.chdir(bolt.parent)
    result = CliRunner().invoke(
        main,
        ["send", "releases/launch.md", "--list", "lists/press.csv", "--dry-run"],
        env={"SENDGRID_API_KEY": KEY, "MAILER_CONFIG": str(acme)},
    )
    # bolt's release goes out From acme, logged in acme's log, with acme's suppressions, without a word.
    uses_bolt = "press@bolt-pr.co.uk" in result.output
    warns = str(bolt) in result.output and "MAILER_CONFIG" in result.output
    assert uses_bolt or warns, result.output


def test_report_file_shows_progress(offices: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from mailer.cli import output

    acme, _ = offices
    campaign = campaign_of(send_live(acme))
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    report = mailer(
        "report", campaign, "--kind", "recipients", "--format", "xlsx", "-o", str(acme.parent / "r.xlsx"), "--config", str(acme)
    )
    assert report.exit_code == 0, report.output
    assert bars.bars, "no progress bar: a 60,000-row recipients report takes about 6 s in silence"


def test_lists_check_progress_moves_through_one_big_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailer.cli import output

    big = tmp_path / "big.csv"
    rows = "".join(f"Jörg {i};j{i}@outlet{i % 50}.example;Outlet\r\n" for i in range(20000))
    big.write_bytes(("Name;Email;Outlet\r\n" + rows).encode("cp1252"))
    bars = Bars()
    monkeypatch.setattr(output, "progress", bars)
    monkeypatch.chdir(tmp_path)
    checked = mailer("lists", "check", str(big))
    assert checked.exit_code == 0, checked.output
    assert bars.bars
    (description, total, steps) = bars.bars[0]
    assert len(steps) > 1, f"{description}: total {total}, advanced {steps} for one file of 20,000 rows"


def test_at_in_the_past_suggests_a_time_that_works(offices: tuple[Path, Path]) -> None:
    from datetime import UTC, datetime

    from mailer.send.schedule import parse_at

    acme, _ = offices
    office = acme.parent
    result = mailer(
        "send", str(office / "releases" / "launch.md"), "--list", str(office / "lists" / "press.csv"),
        "--at", "2026-01-01 09:00 Europe/London", "--config", str(acme), "--yes",
    )  # fmt: skip
    assert result.exit_code != 0 and "is in the past" in result.output, result.output
    match = re.search(r'for example --at "([^"]+)"', result.output)
    assert match, result.output
    # Copying the suggested example must give a time mailer takes, not "is in the past" again.
    parse_at(match.group(1), now=datetime.now(UTC))


def test_follow_up_without_any_events_warns(offices: tuple[Path, Path]) -> None:
    acme, _ = offices
    campaign = campaign_of(send_live(acme))
    reminder = acme.parent / "releases" / "reminder.md"
    reminder.write_text('---\nsubject: "Did you see our widget?"\n---\nDid you see it?\n', encoding="utf-8")
    # The events were never imported (no webhook, no `mailer events import`): nobody is known to have opened.
    follow = mailer("send", str(reminder), "--follow-up", campaign, "--who", "not-opened", "--dry-run", "--config", str(acme))
    assert follow.exit_code == 0, follow.output
    assert "Follow-up:  3 of 3" in follow.output, follow.output
    # The plan should say that the log holds no events of that campaign, so "not opened" means everyone.
    assert "event" in follow.output.lower(), follow.output


def test_two_addresses_in_one_cell_are_not_silently_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Outlook pastes several recipients into one cell, comma-separated.
    (tmp_path / "desk.csv").write_bytes(
        "Name;Email\r\n;Anna Müller <anna@zeitung.example>, Bob Stone <bob@gazette.example>\r\n".encode("cp1252")
    )
    cleaned = mailer("lists", "clean", "desk.csv", "-o", "clean.csv", "--rejects", "rejects.csv")
    assert cleaned.exit_code == 0, cleaned.output
    clean = (tmp_path / "clean.csv").read_text(encoding="utf-8-sig")
    rejects = (tmp_path / "rejects.csv").read_text(encoding="utf-8-sig") if (tmp_path / "rejects.csv").exists() else ""
    # Either both journalists, or the row rejected for fixing: never Bob greeted as "Bob Anna Müller <anna@...>".
    assert "<anna@zeitung.example>" not in clean, clean
    assert "anna@zeitung.example" in clean or "anna@zeitung.example" in rejects, clean + rejects


def test_schedule_inside_the_cancel_window_says_so(offices: tuple[Path, Path]) -> None:
    from datetime import UTC, datetime, timedelta

    acme, _ = offices
    office = acme.parent
    # "In a few minutes, so I can still call it off": the officer schedules 6 minutes ahead.
    at = (datetime.now(UTC) + timedelta(minutes=6)).strftime("%Y-%m-%d %H:%M UTC")
    sent = mailer(
        "send", str(office / "releases" / "launch.md"), "--list", str(office / "lists" / "press.csv"), "--at", at, "--config", str(acme), "--yes",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    assert "10 minutes" in sent.output, sent.output


def test_forget_names_a_report_written_from_a_subfolder(offices: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    acme, _ = offices
    campaign = campaign_of(send_live(acme))
    monkeypatch.chdir(acme.parent / "releases")
    assert mailer("report", campaign, "--kind", "recipients", "--format", "csv").exit_code == 0
    written = [p for p in acme.parent.rglob(f"{campaign}-recipients.csv")]
    assert len(written) == 1 and "zoe@mag.example" in written[0].read_text(encoding="utf-8-sig")
    monkeypatch.chdir(acme.parent)
    forgot = mailer("forget", "zoe@mag.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    # The file still holds her address: forget must delete it or at least name it.
    assert written[0].exists() is False or written[0].name in forgot.output, forgot.output
