"""Review 18h: a hostile review of the list manager against contact exports as press offices get
them (Mailchimp, Google Contacts, Outlook, Salesforce, HubSpot, media databases), each built here
as the tool writes its bytes. Every test is a finding a press officer would notice, through the
command line; each failed before its fix (session 18)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from office_cli import mailed, mailer, office

from mailer.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def cleaned(tmp_path: Path, name: str, data: bytes, *more: str) -> list[dict[str, str]]:
    """The rows `lists clean` writes of a list file ``name`` holding ``data`` (``more``: options)."""
    path = written(tmp_path / name, data)
    out = tmp_path / "clean.csv"
    result = invoke("lists", "clean", path, "-o", str(out), *more)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


# -- 1. Mailchimp's unsubscribed and cleaned members' files are mailed --------------------------

# Mailchimp's audience export is a zip of three files, each with the audience's columns and its own
# status columns: subscribed_members_export_*.csv, unsubscribed_members_export_*.csv (UNSUB_TIME,
# UNSUB_CAMPAIGN_TITLE, ... UNSUB_REASON_OTHER) and cleaned_members_export_*.csv (CLEAN_TIME,
# CLEAN_CAMPAIGN_TITLE, CLEAN_CAMPAIGN_ID: addresses that bounced).
MAILCHIMP = '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION'
UNSUBSCRIBED = (
    MAILCHIMP + ",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS\n"
    'gina@paper.example,Gina,Gone,1,,,"2024-03-01 10:01:00",,,,,,,US,,"2025-06-01 10:00:00","June release",abc123,'
    '"I no longer want to receive these emails",,125,abe,,\n'
)
CLEANED = (
    MAILCHIMP + ",CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS\n"
    'bo@paper.example,Bo,Unced,1,,,,,,,,,,US,,"2025-06-01 10:00:00","June release",abc123,126,abf,,\n'
)


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("unsubscribed_members_export_3f2a.csv", UNSUBSCRIBED, "unsubscribed"),
        ("cleaned_members_export_3f2a.csv", CLEANED, "cleaned"),
    ],
)
def test_mailchimp_unsubscribed_and_cleaned_exports_are_not_mailed(
    tmp_path: Path, standin: Any, db_url: str, name: str, text: str, said: str
) -> None:
    """An office leaving Mailchimp unzips its audience export into lists/ and sends to it. Its
    unsubscribed members' file was read as a press list like any other, and every journalist who
    had unsubscribed was mailed (the cleaned file: every address that had bounced for good), with
    no word from `lists check` ("recipients: 1"). Such a file is refused, saying what it is and
    which file to use."""
    office(tmp_path, standin, db_url, beat=text, list_name=name)
    result = mailer("send", "releases/example.md", "--list", f"lists/{name}", "--yes", "--no-test-ok")
    assert result.exit_code == 1, result.output
    assert mailed(standin) == []
    text_said = " ".join(result.output.split())
    assert f"this is Mailchimp's export of {said} contacts" in text_said, text_said
    assert "subscribed_members_export" in text_said
    check = mailer("lists", "check", f"lists/{name}")
    assert check.exit_code == 1
    assert f"Mailchimp's export of {said} contacts" in " ".join(check.output.split())
