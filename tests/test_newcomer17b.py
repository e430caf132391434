"""Newcomer 17b's pass over the README as changed on 1 December 2026: what a reader saw."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mailer import contacts
from mailer.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_readme_table_row_has_the_cells_of_its_header() -> None:
    """A `|` inside backticks still ends a table cell on GitHub unless written `\\|`: the row of the
    template filter error showed "(`{{ headline " and lost the rest of its remedy."""
    wrong = []
    header_cells = None
    in_code = False
    for number, line in enumerate(README.splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not line.startswith("|"):
            header_cells = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line.strip().strip("|")))
        if header_cells is None:
            header_cells = cells
        elif not re.fullmatch(r"\|[-:| ]+\|", line.strip()) and cells != header_cells:
            wrong.append(f"README.md line {number}: {cells} cells, its header {header_cells}")
    assert not wrong, "\n".join(wrong)


def _check(*args: str) -> Result:
    result = CliRunner().invoke(main, ["lists", "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.mark.parametrize("title", ["Exported by press@agency.example on 30/11/2026", "Exported by press@agency.example"])
def test_a_title_line_of_one_cell_naming_an_address_is_named_with_the_header_row(tmp_path: Path, title: str) -> None:
    """A title line typed in a text editor (or one cell wide, as hand-kept lists save it) naming the
    agency's address gave 'row 2 has 3 cells but the header has 1 ... must be in double quotes',
    about the header row itself; like a spreadsheet's padded title line, it names both rows."""
    path = tmp_path / "agency.csv"
    path.write_text(f"{title}\nEmail,First Name,Last Name\njane@example.org,Jane,Doe\n", encoding="utf-8")
    result = _check(str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: {path}: the header row seems to be row 2 ("Email", "First Name", "Last Name"), but row 1 above it '
        f'holds an address ("{title}").\n'
        "Delete the lines above the header row (or move a journalist's row below it), then try again.\n"
    )


GOOGLE_CSV = (
    "Name,Given Name,Additional Name,Family Name,E-mail 1 - Type,E-mail 1 - Value\nJane van Doe,Jane,,van Doe,* Work,jane@example.org\n"
)


@pytest.mark.parametrize(
    "text",
    [GOOGLE_CSV, "Name,First Name,Last Name,Email\nJane van Doe,Jane,van Doe,jane@example.org\n"],
    ids=["google-contacts", "crm"],
)
def test_a_full_name_column_beside_first_and_last_name_columns_is_not_the_last_name(tmp_path: Path, text: str) -> None:
    """Google Contacts' CSV (Name, Given Name, Family Name) gave every journalist the whole name as
    last name: 'Dear Ms. Jane van Doe', the Family Name column read as a column of the list's own."""
    path = tmp_path / "google.csv"
    path.write_text(text, encoding="utf-8")
    (jane,) = contacts.load([path]).contacts
    assert (jane.fields["first_name"], jane.fields["last_name"]) == ("Jane", "van Doe")


OUTLOOK_CSV = (
    "First Name,Middle Name,Last Name,Title,Suffix,Company,Department,Job Title,E-mail Address,E-mail Type\n"
    "Jane,,Doe,Ms.,,Daily Example,,Health reporter,jane@example.org,SMTP\n"
)


def test_outlooks_title_column_is_the_honorific_beside_its_job_title(tmp_path: Path) -> None:
    """Outlook's contact export heads the honorific Title and the job Job Title: every journalist's
    {{ contact.title }} read 'Ms.' and the job title was a column of the list's own (job_title)."""
    path = tmp_path / "outlook.csv"
    path.write_text(OUTLOOK_CSV, encoding="utf-8")
    (jane,) = contacts.load([path]).contacts
    assert (jane.fields["title"], jane.fields["honorific"]) == ("Health reporter", "Ms.")


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        (OUTLOOK_CSV, "Daily Example"),
        ("Name,Given Name,Family Name,Organization 1 - Name,E-mail 1 - Value\nJane Doe,Jane,Doe,Gazette,jane@example.org\n", "Gazette"),
        ("First Name,Last Name,Organization Name,E-mail 1 - Value\nJane,Doe,Gazette,jane@example.org\n", "Gazette"),
    ],
    ids=["outlook-company", "google-legacy", "google-2024"],
)
def test_contact_exports_name_the_outlet_company_or_organization(tmp_path: Path, text: str, outlet: str) -> None:
    """Outlook's Company and Google's Organization 1 - Name / Organization Name were columns of the list's
    own: {{ contact.outlet }} was empty for every journalist of a contact export."""
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    (jane,) = contacts.load([path]).contacts
    assert jane.fields["outlet"] == outlet


def test_a_lists_own_outlet_column_wins_over_company(tmp_path: Path) -> None:
    """A list with a Company column before its Outlet column still reads the outlet from Outlet."""
    path = tmp_path / "agency.csv"
    path.write_text("Email,Company,Outlet\njane@example.org,Acme Media Group,Daily Example\n", encoding="utf-8")
    (jane,) = contacts.load([path]).contacts
    assert (jane.fields["outlet"], jane.fields["company"]) == ("Daily Example", "Acme Media Group")


def test_nobody_to_send_to_because_all_are_suppressed_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list whose every journalist is suppressed (unsubscribed, bounced) ended a send with 'every row
    of the lists is skipped. See why with: mailer lists check ...', and lists check said 'rejected:
    none': the plan's 'Skipped: 2 (2 suppressed)' was the only clue. It names why and where to look."""
    root = Path(__file__).parent.parent
    for name in ("releases", "templates"):
        shutil.copytree(root / name, tmp_path / name)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "two.csv").write_text("Email,First Name\njane@example.org,Jane\nbob@example.org,Bob\n", encoding="utf-8")
    (tmp_path / "mailer.toml").write_text(
        '[database]\nurl = "sqlite:///out/mailer.db"\n[sender]\npostal_address = "1 Hive Road, Riverbend"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    added = runner.invoke(main, ["suppressions", "add", "jane@example.org", "bob@example.org", "--reason", "bounced"])
    assert added.exit_code == 0, added.output
    result = runner.invoke(main, ["send", "releases/example.md", "--list", "lists/two.csv", "--dry-run"])
    assert result.exit_code == 1
    assert (
        "Error: Nobody to send to: all 2 journalists of the lists are suppressed (unsubscribed, bounced or added by hand)." in result.stderr
    )
    assert "mailer suppressions list" in result.stderr
    assert "mailer lists check" not in result.stderr


def test_the_new_log_warning_names_the_log_in_quiet_mode(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer send -q --yes` (a script) prints no 'Log:' line, yet the new-log warning said 'the Log:
    line above says which log this is'; the warning names the log itself."""
    from office_cli import SEND, SIX, mailer, office

    from mailer.store import display_url

    office(tmp_path, standin, db_url, beat=SIX)
    sent = mailer(*SEND, "-q")
    assert sent.exit_code == 0, sent.output
    assert not any(line.startswith("Log:") for line in sent.stderr.splitlines())
    assert "line above" not in sent.stderr
    assert f"This log: {display_url(db_url)}." in " ".join(sent.stderr.split())


def test_a_note_in_the_headline_stays_out_of_the_email(tmp_path: Path) -> None:
    """A note to colleagues in the front matter's headline ('Record bees <!-- check the number -->')
    reached every journalist, in the HTML and the text part, and the preview said 'No warnings.';
    the README says notes in HTML comments stay out of the email. They do in the subject, headline,
    subheadline, preheader and dateline too."""
    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config

    path = tmp_path / "n.md"
    path.write_text(
        "---\n"
        'subject: "Bee census <!-- Maria: shorter? -->"\n'
        'headline: "Record bees <!-- check the number --> in Riverbend"\n'
        'subheadline: "<!-- TODO -->Volunteers counted"\n'
        'dateline: "Riverbend <!-- or Rivertown? -->"\n'
        "---\nText here.\n",
        encoding="utf-8",
    )
    rendered = compose.render(release.load(path), config=Config())
    said = rendered.subject + rendered.html + rendered.text
    assert "<!--" not in rendered.subject + rendered.text and "&lt;!--" not in rendered.html  # the template's own <!--[if mso]> stays
    assert not any(note in said for note in ("Maria", "check the number", "TODO", "Rivertown"))
    assert rendered.subject == "Bee census"
    assert "Record bees in Riverbend" in rendered.text and "Volunteers counted" in rendered.text


@pytest.mark.parametrize("header", ["Organization Title", "Organization 1 - Title"])
def test_google_contacts_job_title_is_the_title(tmp_path: Path, header: str) -> None:
    """Google Contacts heads the job title Organization Title (Organization 1 - Title in its older
    Google CSV): {{ contact.title }} was empty for every journalist of such an export."""
    path = tmp_path / "google.csv"
    path.write_text(f"First Name,Last Name,{header},E-mail 1 - Value\nJane,Doe,Health reporter,jane@example.org\n", encoding="utf-8")
    (jane,) = contacts.load([path]).contacts
    assert jane.fields["title"] == "Health reporter"


def test_a_one_click_unsubscribe_shows_on_the_webhooks_terminal(store: Any) -> None:
    """`mailer webhook` says 'Each request is logged here', and the README 'Each request is logged
    on the terminal'; a journalist's one-click unsubscribe (POST /unsubscribe/TOKEN, answered 200
    and stored) printed nothing, so an office watching the terminal never saw one come in. It gets
    its line, with the campaign and never the address."""
    import io

    from eventlog import TEST_PUBLIC_KEY, add_campaign, add_message
    from pydantic import SecretStr
    from starlette.testclient import TestClient

    from mailer import unsubscribe
    from mailer.config import Config, SenderConfig, WebhookConfig
    from mailer.events import webhook

    secret = SecretStr("s3cret-for-tests-0123456789abcdefghij")
    add_campaign(store, "2026-02-19-wetlands")
    key = add_message(store, "2026-02-19-wetlands", "ana@example.org")
    config = Config(
        sender=SenderConfig(from_name="Riverbend Beekeepers"),
        webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY, public_url="https://press.example.org"),
    )
    app = TestClient(webhook.create_app(config=config, engine=store, unsubscribe_secret=secret))
    stream = io.StringIO()
    handler = webhook.log_requests(stream)
    try:
        used = app.post(unsubscribe.PATH + unsubscribe.sign(secret, key), data={"List-Unsubscribe": "One-Click"})
    finally:
        webhook.events_log.removeHandler(handler)
    assert used.status_code == 200 and "You are unsubscribed" in used.text
    said = stream.getvalue()
    assert "one-click unsubscribe recorded for a message of 2026-02-19-wetlands" in said, said
    assert "ana@example.org" not in said
