"""release.load: the front matter and body of a release file, and every mistake it names."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import DATA, ROOT

from mailer.compose import release
from mailer.errors import ReleaseError

BROKEN = DATA / "releases"

# file -> (exact message, exact hint)
ERRORS: dict[str, tuple[str, str]] = {
    "missing-subject.md": (
        "{path}: the release has no subject.",
        'Add a line such as  subject: "Example Association names new director"  between the --- lines.',
    ),
    "empty-subject.md": (
        "{path}, line 2: the release has no subject.",
        'Add a line such as  subject: "Example Association names new director"  between the --- lines.',
    ),
    "no-front-matter.md": (
        "{path}, line 1: the release has no front matter, so no subject.",
        'Start the file with ---, a line  subject: "..." , and another ---.',
    ),
    "unclosed-front-matter.md": (
        "{path}, line 1: the front matter opened here is never closed: no line of just --- follows it.",
        'End the front matter (subject: "...", date: ... and the rest) with a line of three dashes: ---',
    ),
    "missing-brace.md": (
        "{path}, line 5: {{{{ contact.first_name }},... is not a valid expression: unexpected '}}'.",
        'Write it like {{ contact.first_name | default("colleague") }}.',
    ),
    "bad-yaml.md": (
        "{path}, line 4, column 3: the front matter is not valid YAML (expected <block end>, but found '<block mapping start>').",
        'Each line is  key: value ; put values containing ":" or "#" in double quotes.',
    ),
    "unknown-key.md": ('{path}, line 3: unknown front-matter key "subheading".', "Did you mean subheadline?"),
    "embargo-without-zone.md": (
        "{path}, line 3: the embargo 2026-02-19 09:00:00 has no time zone.",
        'Write it with its time zone, e.g.  embargo: "2026-02-19 09:00 America/New_York"  or  2026-02-19T09:00:00-05:00.',
    ),
    "jinja-syntax.md": (
        "{path}, line 6: {{{{ contact.first_name | default(\"x\" }}}} is not a valid expression: unexpected '}}', expected ')'.",
        'Write it like {{ contact.first_name | default("colleague") }}.',
    ),
    "undefined-variable.md": (
        '{path}, line 6: {{{{ contcat.first_name }}}} uses "contcat", which a release does not know.',
        "Did you mean contact?",
    ),
    "block-statement.md": (
        "{path}, line 4: {{% if contact.outlet %}} is not supported in a release.",
        'Use {{ contact.FIELD }} or {{ contact.FIELD | default("...") }}; put conditions in a template instead.',
    ),
    "missing-attachment.md": (
        "{path}, line 3: the attachment kit/missing.pdf does not exist ({folder}/kit/missing.pdf).",
        "Attachment paths are relative to the release file; check the name.",
    ),
    "not-utf8.md": (
        "{path}, line 2: the file is not UTF-8 text.",
        "Save it as UTF-8 (in your editor: Save As, Encoding: UTF-8) and try again.",
    ),
}


def test_release_error_files_all_have_a_case() -> None:
    """Every broken release in tests/data/releases is checked below (one quirk per file)."""
    assert sorted(p.name for p in BROKEN.glob("*.md")) == sorted(ERRORS)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_release_load_names_file_line_and_fix(name: str) -> None:
    """Each broken release is a ReleaseError with the file, the line and what to do."""
    path = BROKEN / name
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    message, hint = ERRORS[name]
    assert caught.value.message == message.format(path=path, folder=BROKEN)
    assert caught.value.hint == hint


def test_release_load_missing_file() -> None:
    """A release path that does not exist says so and points at the example."""
    with pytest.raises(ReleaseError) as caught:
        release.load("releases/nope.md")
    assert caught.value.message == "releases/nope.md: no such release file."
    assert caught.value.hint == "Check the path; releases/example.md is a complete example to copy."


def test_release_load_example_has_every_part() -> None:
    """The example release fills every part of the anatomy."""
    example = release.load(ROOT / "releases" / "example.md")
    assert example.subject.source.startswith("Riverbend Beekeepers count record")
    assert example.headline.source != example.subject.source
    assert example.subheadline and example.preheader and example.about
    assert example.dateline == "Riverbend, ST"
    assert example.date == date(2026, 2, 19)
    assert example.embargo is None
    assert example.contact and example.contact.email == "press@example.org"
    assert example.body.source.count("\n\n> “") == 2  # two quotes
    assert example.template == "release"


def _write(tmp_path: Path, front: str, body: str = "Body.\n") -> Path:
    path = tmp_path / "r.md"
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "value,expected",
    [
        ('"2026-02-19 09:00 America/New_York"', datetime(2026, 2, 19, 14, 0)),
        ("2026-02-19T09:00:00-05:00", datetime(2026, 2, 19, 14, 0)),
        ('"2026-02-19T14:00:00Z"', datetime(2026, 2, 19, 14, 0)),
        ('"2026-02-19 14:00 UTC"', datetime(2026, 2, 19, 14, 0)),
    ],
)
def test_release_embargo_accepts_zone_names_and_offsets(tmp_path: Path, value: str, expected: datetime) -> None:
    """An embargo may name its zone or give an offset; both mean the same instant."""
    loaded = release.load(_write(tmp_path, f'subject: "S"\nembargo: {value}\n'))
    assert loaded.embargo is not None
    assert loaded.embargo.utcoffset() is not None
    assert (loaded.embargo - loaded.embargo.utcoffset()).replace(tzinfo=None) == expected  # type: ignore[operator]
    assert loaded.date == date(2026, 2, 19)


def test_release_defaults_headline_date_and_template(tmp_path: Path) -> None:
    """Without headline, date or template the subject, today and the default template are used."""
    loaded = release.load(_write(tmp_path, 'subject: "Only a subject"\n'), today=date(2026, 3, 1))
    assert loaded.headline.source == "Only a subject"
    assert loaded.date == date(2026, 3, 1)
    assert loaded.template == "release"
    assert loaded.body.line == 4


def test_release_attachments_and_about_file_are_relative_to_the_release(tmp_path: Path) -> None:
    """Attachment and about_file paths are read relative to the release file, not the folder mailer runs in."""
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "facts.pdf").write_bytes(b"%PDF-1.4 fake")
    (tmp_path / "about.md").write_text("About **us**.", encoding="utf-8")
    loaded = release.load(
        _write(tmp_path, 'subject: "S"\nattachments: [kit/facts.pdf]\nabout_file: about.md\nfrom: "Desk <desk@example.org>"\n')
    )
    assert [(a.filename, a.content, a.mime_type) for a in loaded.attachments] == [("facts.pdf", b"%PDF-1.4 fake", "application/pdf")]
    assert loaded.about is not None and loaded.about.source == "About **us**."
    assert (loaded.from_name, loaded.from_email) == ("Desk", "desk@example.org")


def test_release_unknown_contact_key_suggests(tmp_path: Path) -> None:
    """A misspelt key under contact: is named with the closest known one."""
    with pytest.raises(ReleaseError) as caught:
        release.load(_write(tmp_path, 'subject: "S"\ncontact:\n  phon: "1"\n'))
    assert caught.value.message == f'{tmp_path / "r.md"}, line 3: unknown contact key "phon".'
    assert caught.value.hint == "Did you mean phone?"


def test_release_past_embargo_still_loads(tmp_path: Path) -> None:
    """An embargo in the past is a preview warning, not a load error."""
    past = (datetime.now() - timedelta(days=3)).replace(second=0, microsecond=0)
    loaded = release.load(_write(tmp_path, f'subject: "S"\nembargo: "{past:%Y-%m-%d %H:%M} Europe/Paris"\n'))
    assert loaded.embargo == past.replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert loaded.embargo is not None and loaded.embargo.utcoffset() == ZoneInfo("Europe/Paris").utcoffset(past)


def test_release_from_and_reply_to_become_one_address(tmp_path: Path) -> None:
    """from/reply_to may carry a name; the address is kept, and a line break (a header injection) is refused."""
    loaded = release.load(_write(tmp_path, 'subject: "S"\nreply_to: "News Desk <desk@example.org>"\n'))
    assert loaded.reply_to == "desk@example.org"
    path = _write(tmp_path, 'subject: "S"\nreply_to: "desk@example.org\\r\\nBcc: all@example.com"\n')
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert caught.value.message == f"{path}, line 3: reply_to must be on one line."
    assert caught.value.hint == 'Write  reply_to: "Press Office <press@example.org>"  on one line.'


def test_release_contact_field_names_checked_at_load(tmp_path: Path) -> None:
    """contact["a name"] is refused with the file and line, before anything renders."""
    path = _write(tmp_path, 'subject: "S"\n', 'Hi {{ contact["first name"] }}.\n')
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert caught.value.message == f'{path}, line 4: {{{{ contact["first name"] }}}}: write contact fields as contact.NAME.'
    assert caught.value.hint == 'NAME is the list\'s column name in lower case with _ for spaces: "First Name" is contact.first_name.'


def test_release_about_file_mistakes_name_the_about_file(tmp_path: Path) -> None:
    """A mistake in the about_file is reported at its own file and line, not the release's."""
    (tmp_path / "about.md").write_text("About us.\n\n{{ contcat.outlet }}\n", encoding="utf-8")
    with pytest.raises(ReleaseError) as caught:
        release.load(_write(tmp_path, 'subject: "S"\nabout_file: about.md\n'))
    assert (
        caught.value.message == f'{tmp_path / "about.md"}, line 3: {{{{ contcat.outlet }}}} uses "contcat", which a release does not know.'
    )
