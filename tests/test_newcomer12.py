"""Newcomer trial 12: a press officer's first week from a fresh clone, through the command line.

Each test is a finding: it asserts what the press officer should get and fails today
(``xfail(strict=True)``), so the fix flips it. The office folder, the beat list and the events
come from tests/press_office.py (the stand-in receives the sends; events go in through
`mailer events import`, with the message keys the stand-in saw).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import example
from press_office import campaign_of, event, folder, import_events, keys, mailer

from mailer.cli import main
from mailer.cli import send as send_cli

ROOT = Path(__file__).parent.parent
SEND = ("send", "releases/example.md", "--list", "lists/beat.csv")
BEN = "ben.okafor@daily.example"
EVERYONE = {"ana@daily.example", BEN, "cleo@gazette.example", "dan@gazette.example", "eve@radio.example"}


def mailed(standin: Any) -> list[str]:
    """Every address the stand-in received a Mail Send for, lower-cased, in order."""
    return [p["to"][0]["email"].lower() for r in standin.mail_sends for p in r.body["personalizations"]]


def first_send_with_ben_blocked(office: Path, standin: Any, db_url: str) -> str:
    """The beat list sent the example release; SendGrid delivered it to all but Ben, whose
    mail server blocked it (a "blocked" bounce: never delivered, and one block does not suppress)."""
    folder(office, standin, db_url)
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign = campaign_of(sent)
    k = keys(standin)
    t = int(time.time())
    events = [event("delivered", address, campaign, k[campaign, address], t + 5) for address in sorted(EVERYONE - {BEN})]
    events.append(
        event(
            "bounce",
            "Ben.Okafor@daily.example",
            campaign,
            k[campaign, BEN],
            t + 6,
            type="blocked",
            bounce_classification="Reputation",
            reason="554 5.7.1 blocked by policy",
        )
    )
    import_events(office / "events.ndjson", events)
    assert "blocked" in mailer("contact", BEN).output
    standin.reset()
    return campaign


def test_send_again_reaches_the_journalist_whose_email_was_blocked(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The bounces report says Ben's newsroom blocked the release (`mailer contact` says
    "blocked"; he never got it). The office sorts it out with the newsroom and runs the same
    send again, expecting it to reach Ben and nobody else. Today the plan says "Nobody to send to:
    all 5 journalists already received this exact release" and only offers --include-previous,
    which mails the four who did get it a second time: Ben is never reached without a duplicate."""
    office = tmp_path
    first_send_with_ben_blocked(office, standin, db_url)
    again = mailer(*SEND, "--yes", "--no-test-ok")
    assert again.exit_code == 0, again.output
    assert "already received this exact release" not in again.output
    assert mailed(standin) == [BEN]


def test_correction_answered_no_still_reaches_the_journalist_whose_email_was_blocked(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A figure is corrected in the release and sent again. The plan warns "5 of these
    journalists already received an earlier version", counting Ben, whose copy was blocked, and
    the press officer answers no to "Send the corrected version to those 5 journalists too?" (the
    others must not get a second email). Ben, who never received either version, gets nothing."""
    office = tmp_path
    first_send_with_ben_blocked(office, standin, db_url)
    release = office / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("1.2 million", "1.3 million"), encoding="utf-8")
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    corrected = mailer(*SEND, "--no-test-ok", input="y\nn\n")
    assert corrected.exit_code == 0, corrected.output
    assert "4 of these journalists already received an earlier version" in " ".join(corrected.output.split())
    assert mailed(standin) == [BEN]


def test_test_send_to_the_example_staff_list_says_nobody_would_read_the_proof(tmp_path: Path) -> None:
    """The press officer copies config.example.toml to mailer.toml and sets the From address,
    the postal address and the log, but leaves `[lists] staff = "lists/staff.csv"`: the example
    staff list, four addresses at example.org, a domain that belongs to nobody. `mailer test`
    reports "Accepted: 4" (SendGrid takes them, then drops them), nobody proofreads anything, and
    the live send no longer asks "never test-sent?". The From check already refuses example
    domains when the requests go to SendGrid itself; the staff list should be named the same way,
    before any request. (Run without an API key, so nothing can leave this machine.)"""
    for name in ("releases", "lists", "templates"):
        shutil.copytree(example(name), tmp_path / name)
    toml = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    toml = toml.replace('from_email = "press@example.org"', 'from_email = "press@riverbend-bees.org"')
    toml = toml.replace('# url = "sqlite:///out/mailer.db"', 'url = "sqlite:///out/mailer.db"')
    (tmp_path / "mailer.toml").write_text(toml, encoding="utf-8")
    result = mailer("test", "releases/example.md", key=None)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "lists/staff.csv" in said and "examples" in said, said


@pytest.mark.sqlite_only  # the log of an office without mailer.toml is an SQLite file in the user's data folder
def test_mailer_toml_after_the_quick_start_dry_run_starts_its_log(project: Path) -> None:
    """The README's Quick start runs one dry run (nothing sent) with no mailer.toml, so its log
    goes to the user's data folder. Its next step, "Copy config.example.toml to mailer.toml",
    gives a mailer.toml without [database] url, and every command that uses the log then stops:
    "mailer.toml names no delivery log ... until now mailer kept its log at ... (1 campaign, 0
    suppressed addresses). A new log would not know who asked not to be mailed." That log holds
    nobody who asked not to be mailed and nobody who was mailed: only the Quick start's dry run.
    Every newcomer following the README hits this on their first real step."""
    quick = CliRunner().invoke(main, ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run"])
    assert quick.exit_code == 0, quick.output
    shutil.copy(ROOT / "config.example.toml", project / "mailer.toml")
    again = CliRunner().invoke(main, ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run"])
    assert again.exit_code == 0, again.output
    assert (project / "out" / "mailer.db").is_file()


def test_standin_script_says_how_to_start_it() -> None:
    """To try a live send without SendGrid, the newcomer is pointed at the stand-in the README's
    outputs come from. `python tests/sendgrid_standin.py --help` exits 0 and prints nothing (and
    with the README's own install, `pip install -e .`, stops on ModuleNotFoundError: jsonschema);
    the module has no way to be run: only Python code can start it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "sendgrid_standin.py"), "--help"], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower() and "api_url" in result.stdout


def test_contact_of_a_release_in_one_language_names_no_version(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A French office writes its releases in French (`language: fr`, one version only). Every
    campaign in `mailer contact` then reads "Subject: ...  (fr version)", where an English
    office's reads the subject alone. The README: "A campaign in one language keeps its reports
    as they were"; the version is worth naming only for a release sent in several."""
    office = tmp_path
    folder(office, standin, db_url)
    release = office / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("---\n", "---\nlanguage: fr\n", 1), encoding="utf-8")
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    shown = mailer("contact", "ana@daily.example")
    assert shown.exit_code == 0, shown.output
    assert "Subject:  Riverbend Beekeepers count record 1.2 million bees in first city-wide census\n" in shown.output
    assert "(fr version)" not in shown.output


def test_report_csv_of_a_semicolon_list_opens_in_columns_in_european_excel(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A French office's press list is Excel's semicolon CSV; `lists clean`, `lists prune` and the
    dry run's skipped.csv keep the semicolon "so a semicolon list opens in one column per field in
    European Excel" (README). The recipients report of the same send is written with commas and
    has no --delimiter: in French or German Excel every row of it lands in column A."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(
        "\ufeffEmail;Prénom;Nom;Média\r\nana@daily.example;Ana;Lima;Le Quotidien\r\neve@radio.example;Ève;Roy;Radio Un\r\n",
        encoding="utf-8",
    )
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    written = mailer("report", "latest", "--kind", "recipients", "--format", "csv", "-o", "recipients.csv")
    assert written.exit_code == 0, written.output
    header = (tmp_path / "recipients.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("email;name;outlet;"), header


def test_report_will_not_write_over_the_press_list_the_campaign_was_sent_from(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After the send, the press officer exports the bounces for a colleague and types the list's
    name after -o (`mailer report latest --kind bounces -o lists/beat.csv`). The report replaces
    the office's press list without a question: the list every row of the campaign's report points
    back to ("list and row": lists/beat.csv:4), and the one the next send would read. Review 8
    made -o refuse the staff list, mailer.toml and the log; the campaign's own lists are mailer's
    input just as much (the log names them). `suppressions list -o lists/beat.csv` does the same."""
    folder(tmp_path, standin, db_url)
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    press_list = tmp_path / "lists" / "beat.csv"
    before = press_list.read_bytes()
    written = mailer("report", "latest", "--kind", "bounces", "-o", "lists/beat.csv")
    assert press_list.read_bytes() == before
    assert written.exit_code == 1, written.output
    assert "mailer will not write over it" in written.output


def test_personalized_subject_reads_as_the_preview_shows_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A subject naming the journalist's outlet (`subject: "For {{ contact.outlet }}: ..."`).
    `mailer preview` shows "Subject: For [outlet]: ...". The plan the press officer confirms before
    the live send shows "Subject: For -~c.outlet.s~-: ...", an internal substitution token, and so
    do `mailer campaigns`, `mailer status`, the report's title and `mailer contact`."""
    folder(tmp_path, standin, db_url)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    subject = 'subject: "Riverbend Beekeepers count record 1.2 million bees in first city-wide census"'
    assert subject in text
    release.write_text(text.replace(subject, 'subject: "For {{ contact.outlet }}: a record bee census"'), encoding="utf-8")
    preview = mailer("preview", "releases/example.md")
    assert "Subject:   For [outlet]: a record bee census\n" in preview.output
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert standin.mail_sends  # the journalists got their outlet's name: SendGrid fills the token in
    said = {
        "send": sent.output,
        "campaigns": mailer("campaigns").output,
        "status": mailer("status", "latest").output,
        "report": mailer("report", "latest").output,
        "contact": mailer("contact", "ana@daily.example").output,
    }
    assert {name: "-~" in text for name, text in said.items()} == dict.fromkeys(said, False), said
