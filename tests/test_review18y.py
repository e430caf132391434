"""Review 18y: a hostile review of the fixes merged on the day of session 18 (reviews 18h, 18p,
18r, 18s), as a press officer or an attacker would meet them. Each test is a finding, through the
command line, and failed before its fix (session 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from eventlog import T0, sg_event
from office_cli import SEND, campaign_of, mailer, office

from mailer.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# -- 1. A list with two opt-out columns read only the first ---------------------------------------


def test_every_opt_out_column_is_honoured(tmp_path: Path) -> None:
    """A Salesforce report kept with a column of the office's own ("Do Not Email") beside Salesforce's
    "Email Opt Out": Ana, who opted out in Salesforce (1) and is blank in the office's column, stayed
    a recipient, as only the first opt-out column was read. Any opt-out column saying so counts."""
    text = (
        "Email,Name,Do Not Email,Email Opt Out\n"
        "ana@radio.example,Ana Lima,,1\n"
        "rui@gazette.example,Rui Costa,no,0\n"
        "li@science.example,Li Wei,yes,0\n"
    )
    result = invoke("lists", "check", written(tmp_path / "list.csv", text.encode("utf-8")), "--json")
    check = json.loads(result.stdout)
    assert (check["valid"], check["opted_out"]) == (1, 2), check
    said = invoke("lists", "check", str(tmp_path / "list.csv")).output
    assert 'row 2: ana@radio.example: opted out of email ("Email Opt Out": 1)' in said, said
    assert 'row 4: li@science.example: opted out of email ("Do Not Email": yes)' in said, said


# -- 2. mailer contact --json counted a journalist who only clicked as not having opened -----------


def test_mailer_contact_counts_a_click_as_an_open(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ben's mail shows no images: he clicked through to the release, with no open event. The
    report counts him as opened by a person, and a `--who not-opened` follow-up leaves him out;
    `mailer contact ben@... --json` said "opened": 0 of his one campaign, "clicked": 1. It says 1."""
    beat = "Email,First Name,Last Name,Outlet\nben@paper.example,Ben,Doe,Paper\n"
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    key = standin.mail_sends[0].body["personalizations"][0]["custom_args"]["message"]
    events = [
        sg_event("delivered", "ben@paper.example", key=key, campaign_id=campaign_id, at=T0 + 5),
        sg_event("click", "ben@paper.example", key=key, campaign_id=campaign_id, at=T0 + 600, url="https://www.example.org/census-2026"),
    ]
    Path("events.json").write_text(json.dumps(events), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    figures = json.loads(mailer("report", campaign_id, "--format", "json").stdout)["figures"]
    assert figures["opened_human"]["count"] == 1, figures
    found = mailer("contact", "ben@paper.example", "--json")
    assert found.exit_code == 0, found.output
    totals = json.loads(found.stdout)["totals"]
    assert (totals["opened"], totals["clicked"]) == (1, 1), totals
