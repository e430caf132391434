"""Review 18y: a hostile review of the fixes merged on the day of session 18 (reviews 18h, 18p,
18r, 18s), as a press officer or an attacker would meet them. Each test is a finding, through the
command line, and failed before its fix (session 18)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

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
