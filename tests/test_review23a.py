"""The composer attacked (review 23a): a release file or a list's cells written to mislead, and
a press officer who takes the proof for the email, through the command line and the SendGrid
stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from office_cli import mailer, office, said

TWO_BLOCKS = """---
subject: "Riverbend Beekeepers count 1.2 million bees"
date: 2026-02-19
translations:
  de:
    subject: "Imker in Riverbend zählen 1,2 Millionen Bienen"
    body: "Der Imkerverband Riverbend hat heute ..."
contact:
  name: "Dana Whitfield"
translations:
  fr:
    subject: "Les apiculteurs de Riverbend comptent 1,2 million d’abeilles"
    body: "L’association des apiculteurs de Riverbend a publié ..."
---
The Riverbend Beekeepers Association today published ...
"""


def test_a_key_written_twice_in_the_front_matter_is_refused(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YAML keeps the last of two equal keys without a word: a release with a German
    `translations:` block and, further down, a French one was previewed and sent in English and
    French only, its German journalists getting the English version; a second `subject:` pasted
    below the first replaced it. A key written twice is now refused, naming both lines."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "releases" / "launch.md").write_text(TWO_BLOCKS, encoding="utf-8")
    previewed = mailer("preview", "releases/launch.md")
    assert previewed.exit_code == 1, previewed.output
    assert (
        'Error: releases/launch.md, line 10: "translations" is written twice in the front matter (first on line 4), '
        "so one of the two would be silently left out."
    ) in said(previewed)
    assert "Keep one: put everything under the first one" in previewed.output
    sent = mailer("send", "releases/launch.md", "--list", "lists/beat.csv", "--dry-run")
    assert sent.exit_code == 1 and '"translations" is written twice' in sent.output, sent.output
    (tmp_path / "releases" / "launch.md").write_text(
        TWO_BLOCKS.replace('contact:\n  name: "Dana Whitfield"\n', 'contact:\n  name: "Dana Whitfield"\n  name: "Dana W."\n'),
        encoding="utf-8",
    )
    nested = mailer("preview", "releases/launch.md")
    assert nested.exit_code == 1
    assert '"contact.name" is written twice in the front matter (first on line 9)' in said(nested), nested.output


LONG_NOTE = "Beekeeping; urban ecology; city hall. " * 300  # a "notes" cell pasted from a media database
WITH_NOTES = f"Email,First Name,Last Name,Outlet,Notes\nana@daily.example,Ana,Lima,Daily News,{LONG_NOTE}\nben@gazette.example,Ben,Okafor,The Gazette,Science desk\n"


def _opening(folder: Path, opening: str) -> None:
    """releases/example.md with its first paragraph opening as ``opening`` (a field or two in it)."""
    release = folder / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("The Riverbend Beekeepers Association today", opening), encoding="utf-8")


def test_a_test_send_as_a_journalist_too_large_for_sendgrid_says_why(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journalist whose fields take more than SendGrid's 10,000 bytes per recipient is skipped by
    the live send. `mailer test --to me --as` that journalist said "Nobody to send the test to.
    Pass --to EMAIL, or check the staff list." to a press officer who had passed --to, and sent
    nothing. It now says the proof cannot be sent and why, as the live send would skip them."""
    office(tmp_path, standin, db_url, beat=WITH_NOTES)
    monkeypatch.chdir(tmp_path)
    _opening(tmp_path, "For your {{ contact.notes }} coverage: the Riverbend Beekeepers Association today")
    tested = mailer("test", "releases/example.md", "--to", "me@office.example", "--as", "ana@daily.example", "--list", "lists/beat.csv")
    assert tested.exit_code == 1, tested.output
    assert "Nobody to send the test to." not in tested.output
    assert ("Error: The proof cannot be sent: with the fields of ana@daily.example, its contact fields take ") in said(tested), (
        tested.output
    )
    assert "bytes; SendGrid allows 10,000 per recipient. mailer send skips ana@daily.example too (as invalid, saying why)." in said(tested)
    assert "Shorten that journalist's long cells in the list" in tested.output
    assert standin.mail_sends == []
    # The other journalist's proof goes, and the live send skips Ana, saying why in its outbox.
    assert (
        mailer(
            "test", "releases/example.md", "--to", "me@office.example", "--as", "ben@gazette.example", "--list", "lists/beat.csv"
        ).exit_code
        == 0
    )


def test_a_preview_as_a_journalist_too_large_for_sendgrid_says_they_will_not_get_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer preview --contact` showed that journalist's email with "No warnings." while the live
    send skips them (their fields over SendGrid's 10,000 bytes per recipient): the press officer
    proofread an email the journalist never gets. The preview now says so."""
    office(tmp_path, standin, db_url, beat=WITH_NOTES)
    monkeypatch.chdir(tmp_path)
    _opening(tmp_path, "For your {{ contact.notes }} coverage: the Riverbend Beekeepers Association today")
    previewed = mailer("preview", "releases/example.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    assert previewed.exit_code == 0, previewed.output
    assert "Warning: ana@daily.example will not get this email: their contact fields take " in said(previewed), previewed.output
    assert "bytes; SendGrid allows 10,000 per recipient, so mailer send skips ana@daily.example (as invalid, saying why)." in said(
        previewed
    )
    other = mailer("preview", "releases/example.md", "--contact", "ben@gazette.example", "--list", "lists/beat.csv")
    assert "will not get this email" not in other.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert [p["to"][0]["email"] for r in standin.mail_sends for p in r.body["personalizations"]] == ["ben@gazette.example"]


def test_a_default_in_double_quotes_inside_a_double_quoted_subject_says_what_to_write(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's subject with a contact field, given the README's default("..."):
    `subject: "News for {{ contact.outlet | default("your outlet") }}"` stopped the preview with
    "the front matter is not valid YAML (expected <block end>, but found '<scalar>')" and the
    hint to put the value in double quotes, which it was. The message now says that YAML ends the
    text at the quote of default(", and how to write it; written so, the subject works."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    original = release.read_text(encoding="utf-8")
    written = 'subject: "News for {{ contact.outlet | default("your outlet") }}"'
    release.write_text(original.replace(original.splitlines()[1], written), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1
    assert (
        "Error: releases/example.md, line 2: the subject text starts with a double quote, so YAML ends it at the next one "
        '("News for {{ contact.outlet | default(") and cannot read the rest of the line.'
    ) in said(previewed), previewed.output
    assert "Write the quotes inside it as single quotes, as in  default('your outlet') , or put the whole value between single quotes:" in (
        previewed.output
    )
    for fixed in (
        "subject: \"News for {{ contact.outlet | default('your outlet') }}\"",
        "subject: 'News for {{ contact.outlet | default(\"your outlet\") }}'",
    ):
        release.write_text(original.replace(original.splitlines()[1], fixed), encoding="utf-8")
        shown = mailer("preview", "releases/example.md")
        assert shown.exit_code == 0, shown.output
        assert "Subject:   News for your outlet" in shown.output


def test_a_release_without_a_date_scheduled_for_a_later_day_says_it_is_dated_today(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release without `date:` is dated the day it is made. Scheduled with --at for two days
    later, it reached journalists reading "December 2, 2026 - The Association today published"
    on December 4, and the plan said nothing. The plan (live and dry run) now says so and what to
    add; a release with its date, or sent now, gets no such warning."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    dated = release.read_text(encoding="utf-8")
    release.write_text(dated.replace("date: 2026-02-19\n", ""), encoding="utf-8")
    at = (datetime.now(UTC) + timedelta(hours=60)).replace(second=0, microsecond=0)
    made, delivered = date.today(), at.astimezone().date()
    warning = (
        f"Warning: The release has no date: line, so it is dated {made.isoformat()}, the day it is made, but SendGrid delivers "
        f"it on {delivered.isoformat()}: journalists would read a release dated {(delivered - made).days} days before it reached "
        f"them. To date it the day it goes out, add date: {delivered.isoformat()} to the release (and test-send it again)."
    )
    scheduled = ("send", "releases/example.md", "--list", "lists/beat.csv", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    dry = mailer(*scheduled, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert warning in said(dry), dry.output
    sent = mailer(*scheduled, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert warning in said(sent), sent.output
    now = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert "has no date: line" not in now.output
    release.write_text(dated, encoding="utf-8")
    with_date = mailer(*scheduled, "--dry-run")
    assert with_date.exit_code == 0 and "has no date: line" not in with_date.output, with_date.output


def _as_sendgrid_fills(text: str, substitutions: dict[str, str]) -> str:
    """What SendGrid makes of ``text``: its substitutions, and those inside a substituted value, to
    the four levels SendGrid's documentation allows ("You can have up to 4 nested substitutions")."""
    pattern = re.compile("|".join(re.escape(key) for key in sorted(substitutions, key=len, reverse=True)))
    for _ in range(5):
        filled = pattern.sub(lambda match: substitutions[match.group(0)], text)
        if filled == text:
            break
        text = filled
    return text


NESTED = (
    "Email,First Name,Last Name,Outlet\n"
    'ana@daily.example,-~c.outlet.t~-,Lima,"<a href=""https://phish.example/login"">Confirm your accreditation</a>"\n'
)


def test_a_cell_holding_another_fields_tag_is_not_filled_in_again_by_sendgrid(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SendGrid fills in a tag found inside a substituted value ("up to 4 nested substitutions").
    A list whose First Name cell read -~c.outlet.t~- (the tag of the outlet's plain-text value) put
    the Outlet cell, raw, into the HTML: a working link to phish.example, unescaped, under the
    office's name, while the preview showed the cell as written. A value now never holds a tag:
    what SendGrid makes of the request is the preview, the cell shown as written."""
    office(tmp_path, standin, db_url, beat=NESTED)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace(
            "The Riverbend Beekeepers Association today",
            "Dear {{ contact.first_name }} of {{ contact.outlet }}: the Riverbend Beekeepers Association today",
        ),
        encoding="utf-8",
    )
    previewed = mailer("preview", "releases/example.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    assert previewed.exit_code == 0, previewed.output
    preview = (tmp_path / "out" / "preview" / "example.html").read_text(encoding="utf-8")
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    (request,) = standin.mail_sends
    substitutions = request.body["personalizations"][0]["substitutions"]
    assert not any(key in value for key in substitutions for value in substitutions.values())
    html = next(part["value"] for part in request.body["content"] if part["type"] == "text/html")
    received = _as_sendgrid_fills(html, substitutions)
    assert '<a href="https://phish.example' not in received
    assert "&lt;a href=" in received  # the outlet, escaped, where the release puts it

    def body(page: str) -> str:
        page = re.sub(r'<a href="[^"]*"([^>]*)>Unsubscribe</a>', r"<a\1>Unsubscribe</a>", page)
        return page[page.find("<body") :]

    assert body(received) == body(preview)  # the cell as written, both times


def test_a_preview_as_a_suppressed_journalist_says_they_will_not_get_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer preview --contact` of a journalist who unsubscribed (or bounced) showed their email
    with "No warnings.", and the press officer proofread an email the send skips without a word
    about her. The preview now says so, and why."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    added = mailer("suppressions", "add", "ana@daily.example", "--reason", "asked by phone")
    assert added.exit_code == 0, added.output
    previewed = mailer("preview", "releases/example.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    assert previewed.exit_code == 0, previewed.output
    assert (
        f"Warning: ana@daily.example will not get this email: the address is on the suppression list (manual, since "
        f"{datetime.now(UTC).date().isoformat()}: asked by phone), so mailer send skips it. mailer suppressions list shows who and why."
    ) in said(previewed), previewed.output
    other = mailer("preview", "releases/example.md", "--contact", "ben@gazette.example", "--list", "lists/beat.csv")
    assert "will not get this email" not in other.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert [p["to"][0]["email"] for r in standin.mail_sends for p in r.body["personalizations"]] == ["ben@gazette.example"]


def test_a_media_contact_phone_written_as_a_number_is_refused(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YAML reads `phone: 030123456` (a Berlin number) as the octal number 6334254, and
    `phone: +4930123456` as 4930123456: every journalist's email gave a wrong number for the media
    contact, without a word. A contact line YAML reads as anything but text is now refused, as a
    subject is; in double quotes it is shown as written."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    original = release.read_text(encoding="utf-8")
    release.write_text(original.replace('phone: "+1 555 0100 123"', "phone: 030123456"), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert "Error: releases/example.md, line 11: the contact's phone must be text, but YAML reads it as a number (6334254)." in said(
        previewed
    )
    assert 'Put the value in double quotes: phone: "..."' in said(previewed)
    release.write_text(original.replace('phone: "+1 555 0100 123"', "phone: +4930123456"), encoding="utf-8")
    assert "YAML reads it as a number (4930123456)" in mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run").output
    release.write_text(original.replace('phone: "+1 555 0100 123"', 'phone: "030123456"'), encoding="utf-8")
    assert mailer("preview", "releases/example.md").exit_code == 0
    assert "030123456" in (tmp_path / "out" / "preview" / "example.txt").read_text(encoding="utf-8")


def test_a_norwegian_version_written_no_says_to_quote_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YAML reads `no` as false: a release with a Norwegian version under `translations:` as
    `no:` (or `language: no`) stopped with '"False" is not a language I know.', and without its
    line. It now names the line, says YAML read the tag as false, and to write it in quotes."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    original = release.read_text(encoding="utf-8")
    norwegian = 'date: 2026-02-19\ntranslations:\n  no:\n    subject: "Birøktere i Riverbend teller 1,2 millioner bier"\n'
    release.write_text(original.replace("date: 2026-02-19\n", norwegian), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1
    assert "False" not in previewed.output
    assert (
        "Error: releases/example.md, line 9: YAML reads this language as false (no, yes, on and off are read so), not as a language tag."
    ) in said(previewed), previewed.output
    assert 'Put the tag in double quotes: "no":' in said(previewed)
    release.write_text(original.replace("date: 2026-02-19\n", norwegian.replace("  no:", '  "no":')), encoding="utf-8")
    quoted = mailer("preview", "releases/example.md")
    assert quoted.exit_code == 0, quoted.output
    assert "Language:  no" in quoted.output


def test_a_link_to_a_file_on_this_computer_is_refused_with_its_line(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link copied from a file on the press officer's computer, [full report](file:///C:/Users/...),
    is not read as a link (CommonMark refuses file:, javascript:, data: addresses), so every
    journalist read the Markdown as written, with the officer's user name, while the preview said
    "No warnings." (the README promised one). It is now refused, naming the line and what to do."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    original = release.read_text(encoding="utf-8")
    local = "the [census report](file:///C:/Users/ana/Documents/census-2026.pdf)"
    release.write_text(original.replace("the [census report](https://www.example.org/census-2026)", local), encoding="utf-8")
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert (
        "Error: releases/example.md, line 27: [census report](file:///C:/Users/ana/Documents/census-2026.pdf) is not read as a link: "
        "a file:// address points at a file on your computer, which journalists cannot open, so every journalist would see it "
        "as it is written here."
    ) in said(previewed), previewed.output
    assert "Put the file on your website and link to it with its https:// address, or attach it" in previewed.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert sent.exit_code == 1 and "is not read as a link" in sent.output
    release.write_text(
        original.replace("[open data set](https://data.example.net/riverbend-bees)", "[open data set](javascript:void(0))"),
        encoding="utf-8",
    )
    scripted = mailer("preview", "releases/example.md")
    assert scripted.exit_code == 1
    assert "a javascript: address cannot be a link in an email" in said(scripted), scripted.output
    # In a code span it is code, shown as written on purpose; prose with "data: ..." is no link.
    release.write_text(
        original.replace("the [census report](https://www.example.org/census-2026)", "`[x](file:///tmp/x)` (data: 2026)"), encoding="utf-8"
    )
    assert mailer("preview", "releases/example.md").exit_code == 0


def test_a_language_version_sent_on_its_own_keeps_the_main_files_embargo(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office that sends each language to its own list ran `mailer send releases/launch.fr.md
    --list presse-fr.csv`. The French file was read as a release of its own, without the main
    file's embargo (a version may not set one): French journalists got "FOR IMMEDIATE RELEASE" the
    day before the embargo lifted, dated that day, with English words around the French text. The
    version file is now read as the version it is: the main file's embargo, date and the French
    words, and the send is refused before the embargo as the main file's is."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    lifts = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    main = (ROOT / "tests" / "data" / "releases" / "languages" / "launch.md").read_text(encoding="utf-8")
    main = main.replace('embargo: "2026-02-19 09:00 Europe/Paris"', f'embargo: "{lifts:%Y-%m-%d %H:%M} UTC"')
    (tmp_path / "releases" / "launch.md").write_text(main, encoding="utf-8")
    shutil.copy(ROOT / "tests" / "data" / "releases" / "languages" / "launch.fr.md", tmp_path / "releases" / "launch.fr.md")
    previewed = mailer("preview", "releases/launch.fr.md")
    assert previewed.exit_code == 0, previewed.output
    text = (tmp_path / "out" / "preview" / "launch.fr.txt").read_text(encoding="utf-8")
    assert text.startswith("SOUS EMBARGO JUSQU’AU"), text[:200]
    assert "19 février 2026" in text and "FOR IMMEDIATE RELEASE" not in text
    sent = mailer("send", "releases/launch.fr.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 1, sent.output
    assert "embargo" in sent.output and standin.mail_sends == [], sent.output
    scheduled = mailer(
        "send", "releases/launch.fr.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", f"{lifts:%Y-%m-%d %H:%M} UTC"
    )
    assert scheduled.exit_code == 0, scheduled.output
    (request,) = standin.mail_sends
    delivered = next(part["value"] for part in request.body["content"] if part["type"] == "text/plain")
    assert delivered.startswith("SOUS EMBARGO JUSQU’AU") and request.body["subject"].startswith("Les apiculteurs de Riverbend")


def test_a_template_beside_a_release_cannot_include_the_press_list(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template may include files of its own folder, and a template may sit beside the release:
    one sent in with a release by an agency (`template: agency`) put `{% include 'press.csv' %}`,
    the press list kept in that folder, into every journalist's email. Only template files (.j2)
    can be included now; the template's own .j2 includes still work."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "releases"
    shutil.copy(tmp_path / "lists" / "beat.csv", folder / "press.csv")
    html = (tmp_path / "templates" / "release.html.j2").read_text(encoding="utf-8")
    (folder / "agency.html.j2").write_text(html.replace("</body>", "<pre>{% include 'press.csv' %}</pre></body>"), encoding="utf-8")
    shutil.copy(tmp_path / "templates" / "release.txt.j2", folder / "agency.txt.j2")
    shutil.copy(tmp_path / "templates" / "release.css", folder / "agency.css")
    release = folder / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("date: 2026-02-19\n", "date: 2026-02-19\ntemplate: agency\n"), encoding="utf-8"
    )
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 1, previewed.output
    assert '{% include "press.csv" %}: only template files (.j2) can be included, not other files.' in said(previewed), previewed.output
    assert not (tmp_path / "out" / "preview" / "example.html").exists()
    (folder / "footer.html.j2").write_text("<p>From the agency</p>", encoding="utf-8")
    (folder / "agency.html.j2").write_text(html.replace("</body>", "{% include 'footer.html.j2' %}</body>"), encoding="utf-8")
    assert mailer("preview", "releases/example.md").exit_code == 0
    assert "From the agency" in (tmp_path / "out" / "preview" / "example.html").read_text(encoding="utf-8")
