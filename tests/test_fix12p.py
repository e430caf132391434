"""Fix 12p: proofs and listings say what went out (promise 9), beyond the findings' own tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from conftest import ROOT
from press_office import folder, mailer

from mailer.models import shown_subject

SUBJECT = 'subject: "Riverbend Beekeepers count record 1.2 million bees in first city-wide census"'


def personal_subject(office: Path, subject: str) -> None:
    release = office / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    assert SUBJECT in text
    release.write_text(text.replace(SUBJECT, f"subject: {subject!r}"), encoding="utf-8")


def test_shown_subject_marks_each_field_as_the_preview_does() -> None:
    """Every token of a field in a subject the log keeps reads "[field]"; a known value wins; a
    subject without tokens is returned as it is."""
    assert shown_subject("For -~c.outlet.s~- and -~c.first_name.s1~-: news") == "For [outlet] and [first_name]: news"
    assert shown_subject("For -~c.outlet.s1~-: news", {"-~c.outlet.s1~-": "your outlet"}) == "For your outlet: news"
    assert shown_subject("Plain -~c.outlet.h~- news") == "Plain -~c.outlet.h~- news"  # no subject token: not ours to touch


def test_the_plan_shows_a_field_with_a_default_as_the_preview_does(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`{{ contact.outlet | default("your outlet") }}` in the subject: the preview reads "For your
    outlet: ...", and so does the plan the press officer confirms; the HTML report's title has no token."""
    folder(tmp_path, standin, db_url)
    personal_subject(tmp_path, 'For {{ contact.outlet | default("your outlet") }}: a record bee census')
    assert "Subject:   For your outlet: a record bee census\n" in mailer("preview", "releases/example.md").output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert "Subject:    For your outlet: a record bee census\n" in sent.output
    report = mailer("report", "latest", "--format", "html", "-o", "report.html")
    assert report.exit_code == 0, report.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "-~" not in page and "<h1>For [outlet]: a record bee census</h1>" in page


def test_contact_names_the_version_of_a_campaign_sent_in_several_languages(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A release in English, French and German: `mailer contact` names the version each journalist
    got, English too (the campaign had several); the same office's English-only send names none."""
    folder(tmp_path, standin, db_url)
    for name in ("launch.md", "launch.fr.md"):
        shutil.copy(ROOT / "tests" / "data" / "releases" / "languages" / name, tmp_path / "releases" / name)
    (tmp_path / "lists" / "languages.csv").write_text(
        "Email,First Name,Outlet,Language\nclaire@example.fr,Claire,Le Monde,fr\nana@daily.example,Ana,Daily News,en\n", encoding="utf-8"
    )
    for release, listed in (("releases/launch.md", "lists/languages.csv"), ("releases/example.md", "lists/beat.csv")):
        sent = mailer("send", release, "--list", listed, "--yes", "--no-test-ok")
        assert sent.exit_code == 0, sent.output
    assert "(fr version)" in mailer("contact", "claire@example.fr").output
    ana = mailer("contact", "ana@daily.example").output
    assert "  Subject:  Riverbend Beekeepers count 1.2 million bees  (en version)\n" in ana
    assert "  Subject:  Riverbend Beekeepers count record 1.2 million bees in first city-wide census\n" in ana
