"""Session 12, fix12c: report and suppression CSVs in the office's own delimiter (newcomer 12 #6),
and the SendGrid stand-in run as a script (newcomer 12 #4).

A French or German office's lists are semicolon CSVs, which Excel there opens in columns; a
comma CSV lands whole in column A. `lists clean`, `lists prune` and skipped.csv already keep the
list's delimiter; `mailer report` and `mailer suppressions list -o` now do too, with --delimiter.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from press_office import campaign_of, folder, mailer
from sqlalchemy import update

from mailer import config, contacts
from mailer.contacts.listfile import delimiter_of
from mailer.store import campaigns, connect
from mailer.store.schema import campaign as campaign_table

STANDIN = Path(__file__).parent / "sendgrid_standin.py"

SEMICOLON_LIST = "\ufeffEmail;Prénom;Nom;Média\r\nana@daily.example;Ana;Lima;Le Quotidien\r\neve@radio.example;Ève;Roy;Radio Un\r\n"


@pytest.fixture
def office(tmp_path: Path, standin: Any, db_url: str) -> Path:
    """The press office of press_office.py, its beat list a semicolon list, sent to once (live)."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(SEMICOLON_LIST, encoding="utf-8")
    return tmp_path


def send() -> str:
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    return campaign_of(sent)


def header(path: str) -> str:
    return Path(path).read_text(encoding="utf-8-sig").splitlines()[0]


def test_report_csv_delimiter_follows_the_lists_and_the_option(office: Path) -> None:
    """The log keeps the delimiter the campaign's lists share: its report CSV uses it; --delimiter
    chooses another; a pipe (-o -) gets commas unless told; --delimiter with xlsx is refused."""
    campaign = send()
    with connect(config.load(Path("mailer.toml")).database.url).connect() as connection:
        found = campaigns.get(connection, campaign)
    assert found is not None and found.delimiter == ";"
    assert mailer("report", campaign, "--kind", "bounces", "-o", "b.csv").exit_code == 0
    assert header("b.csv").startswith("email;name;outlet;")
    chosen = mailer("report", campaign, "--kind", "recipients", "-o", "r.csv", "--delimiter", "comma")
    assert chosen.exit_code == 0, chosen.output
    assert header("r.csv").startswith("email,name,outlet,")
    tab = mailer("report", campaign, "--format", "csv", "-o", "summary.csv", "--delimiter", "tab")
    assert tab.exit_code == 0, tab.output
    assert "\t" in header("summary.csv")
    piped = mailer("report", campaign, "--kind", "recipients", "-o", "-")
    assert piped.stdout.startswith("email,name,outlet,"), piped.stdout[:200]
    piped = mailer("report", campaign, "--kind", "recipients", "-o", "-", "--delimiter", "semicolon")
    assert piped.stdout.startswith("email;name;outlet;"), piped.stdout[:200]
    refused = mailer("report", campaign, "--kind", "recipients", "-o", "r.xlsx", "--delimiter", "semicolon")
    assert refused.exit_code == 2
    assert "--delimiter semicolon is for CSV files" in refused.output


def test_suppressions_list_csv_takes_the_office_lists_delimiter(office: Path) -> None:
    """`suppressions list -o` writes with the delimiter of the newest campaign's lists, or --delimiter's;
    --delimiter without -o is refused."""
    assert mailer("suppressions", "add", "ana@daily.example", "--reason", "asked by phone").exit_code == 0
    assert mailer("suppressions", "list", "-o", "before.csv").exit_code == 0
    assert header("before.csv") == "email,reason,source,since (UTC),note"  # no campaign yet: comma
    send()
    assert mailer("suppressions", "list", "-o", "dnc.csv").exit_code == 0
    assert header("dnc.csv") == "email;reason;source;since (UTC);note"
    assert mailer("suppressions", "list", "-o", "dnc.csv", "--delimiter", "comma").exit_code == 0
    assert header("dnc.csv") == "email,reason,source,since (UTC),note"
    refused = mailer("suppressions", "list", "--delimiter", "tab")
    assert refused.exit_code == 2 and "add -o FILE.csv" in refused.output


def test_campaign_logged_before_the_delimiter_was_kept_asks_the_files(office: Path) -> None:
    """A campaign logged without the delimiter (sent by an older mailer): the lists it names tell
    it while they are there; without them, comma."""
    campaign = send()
    engine = connect(config.load(Path("mailer.toml")).database.url)
    with engine.begin() as connection:
        connection.execute(update(campaign_table).where(campaign_table.c.id == campaign).values(filters={"where": [], "tag": []}))
    assert mailer("report", campaign, "--kind", "recipients", "-o", "old.csv").exit_code == 0
    assert header("old.csv").startswith("email;name;")
    (office / "lists" / "beat.csv").unlink()
    assert mailer("report", campaign, "--kind", "recipients", "-o", "gone.csv").exit_code == 0
    assert header("gone.csv").startswith("email,name,")


def test_lists_of_different_delimiters_share_none(tmp_path: Path) -> None:
    """Lists that disagree name no delimiter (reports are then comma-separated); a one-column list
    has none to tell and does not disagree."""
    (tmp_path / "semi.csv").write_text("Email;Name\nana@example.org;Ana\n", encoding="utf-8")
    (tmp_path / "comma.csv").write_text("Email,Name\nben@example.org,Ben\n", encoding="utf-8")
    (tmp_path / "one.csv").write_text("Email\ncleo@example.org\n", encoding="utf-8")
    assert contacts.shared_delimiter(contacts.load([tmp_path / "semi.csv", tmp_path / "one.csv"])) == ";"
    assert contacts.shared_delimiter(contacts.load([tmp_path / "semi.csv", tmp_path / "comma.csv"])) is None
    assert contacts.shared_delimiter(contacts.load([tmp_path / "one.csv"])) is None


def test_delimiter_of_reads_the_head_of_a_list_as_the_loader_does(tmp_path: Path) -> None:
    """Excel's sep= line, UTF-16 tab exports, long files cut mid-row; None for one column or no file."""
    cases = {
        "semi.csv": (b"Email;Name\nana@example.org;Ana\n", ";"),
        "sep.csv": (b"sep=;\nEmail;Name\nana@example.org;Ana\n", ";"),
        "utf16.csv": ("Email\tName\r\nana@example.org\tAna\r\n".encode("utf-16"), "\t"),
        "long.csv": (("Email,Name,Outlet\n" + "ana@example.org,Ana,Le Quotidien é\n" * 5000).encode(), ","),
        "one.csv": (b"Email\nana@example.org\n", None),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert delimiter_of(tmp_path / name) == expected, name
    assert delimiter_of(tmp_path / "missing.csv") is None


@pytest.mark.slow
def test_standin_script_serves_a_live_send_until_stopped(tmp_path: Path, db_url: str) -> None:
    """`python tests/sendgrid_standin.py` prints the api_url and the key, answers `mailer send` as
    SendGrid would, prints a line per request, and stops cleanly (here on SIGTERM, as on Ctrl-C)."""
    script = subprocess.Popen(
        [sys.executable, "-u", str(STANDIN), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert script.stdout is not None
        said = [script.stdout.readline() for _ in range(7)]
        assert said[-1] == "Ctrl-C stops it.\n", said
        [url] = [line.split('"')[1] for line in said if "api_url = " in line]
        assert said[0] == f"SendGrid stand-in listening on {url}\n"
        assert "  export SENDGRID_API_KEY=SG.standin-key.secret\n" in said
        folder(tmp_path, SimpleNamespace(url=url), db_url)
        sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", key="SG.standin-key.secret")
        assert sent.exit_code == 0, sent.output
        assert script.stdout.readline() == "POST /v3/mail/send -> 202 (5 recipients)\n"
        script.send_signal(signal.SIGTERM)
        rest, _ = script.communicate(timeout=20)
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    assert script.returncode == 0
    assert rest.strip() == "Stopped after 1 request, 5 recipients accepted."
