# ruff: noqa: F811  (the `project` fixture, imported from test_languages_send, is each test's argument)
"""Review 10: attacks on "already received" decided version by version (nc9 #17, promises 2 and 8)
and on where the dateline goes (nc9 #2). Each test says what the press office should see; each
failed before its fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from test_languages_send import KEY, SEND, SUBJECTS, WHO_GETS, mailer, project  # noqa: F401

from mailer import compose
from mailer.cli import send as send_cli
from mailer.compose import release
from mailer.config import Config

FRENCH_AND_GERMAN = {email for email, language in WHO_GETS.items() if language != "en"}
ENGLISH = {email for email, language in WHO_GETS.items() if language == "en"}


def _sent_to(standin: Any) -> dict[str, str]:
    """Address -> the subject it was mailed, over every request the stand-in took."""
    return {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _asked(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """A send on a terminal answered "yes" to sending and "no" to the correction question: what it said, on one line."""
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    result = mailer(*args, input="y\nn\n")
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _correct_english(folder: Path) -> None:
    _edit(folder / "releases" / "launch.md", "412 volunteers", "413 volunteers")


# --- 1. "Already received", version by version ----------------------------------------------


def test_the_question_names_only_the_versions_corrected_since_those_journalists_got_them(
    project: Path,
    standin: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """English corrected and sent to its 3 journalists; then French corrected: only the 2 French
    journalists have an earlier version, and only the French version is corrected since. The
    English journalists already have the current English (a newer campaign of this file)."""
    assert mailer(*SEND, "--yes").exit_code == 0
    _correct_english(project)
    assert mailer(*SEND, "--yes").exit_code == 0
    _edit(project / "releases" / "launch.fr.md", "412 bénévoles", "413 bénévoles")
    standin.reset()
    said = _asked(monkeypatch, *SEND)
    assert "2 of these journalists already received an earlier version of this release" in said
    assert "Send the current French version to those 2 journalists too?" in said  # was: "English and French versions"


def test_a_journalist_whose_language_changed_is_not_counted_among_a_correction_of_another_version(
    project: Path,
    standin: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Claire got the French version; her cell now says German. test_languages_send holds that she
    already has this news (unchanged release: skipped). The English text is then corrected: the
    French and German versions are byte for byte what went out, so the correction concerns the 3
    English journalists, and Claire still already has it; German was never corrected."""
    assert mailer(*SEND, "--yes").exit_code == 0
    _edit(project / "press.csv", "claire@example.fr,Claire,Le Monde,fr", "claire@example.fr,Claire,Le Monde,de")
    _correct_english(project)
    standin.reset()
    said = _asked(monkeypatch, *SEND)
    assert "Send the current English version to those 3 journalists too?" in said  # was: "English and German ... 4"
    assert "Recipients: 3" in said


def _without_german(text: str) -> str:
    head, _, rest = text.partition("translations:\n")
    return head + "---\n" + rest.split("\n---\n", 1)[1]


@pytest.mark.parametrize("change", ["French removed", "German added"])
def test_a_version_added_or_removed_is_not_called_a_correction_of_an_unchanged_version(
    project: Path,
    standin: Any,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """French removed: Claire and Jean now get the English version, which has not changed since the
    English journalists got it. German added: Hans got English before and now gets German, a new
    version, not a corrected one. Neither question may call an unchanged or new version "corrected"."""
    main_file = project / "releases" / "launch.md"
    full = main_file.read_text(encoding="utf-8")
    if change == "German added":
        main_file.write_text(_without_german(full), encoding="utf-8")
    assert mailer(*SEND, "--yes").exit_code == 0
    if change == "German added":
        main_file.write_text(full, encoding="utf-8")
        wrongly = "corrected German"
    else:
        (project / "releases" / "launch.fr.md").unlink()
        wrongly = "corrected English"
    standin.reset()
    said = _asked(monkeypatch, *SEND)
    assert "Send the " in said  # the question is asked
    assert wrongly not in said


def test_a_corrected_copy_under_another_name_does_not_mail_the_unchanged_versions_again(project: Path, standin: Any) -> None:
    """The office saves its English correction as launch-corrected.md (with launch-corrected.fr.md
    beside it) and sends that. The French and German journalists would get, byte for byte, the
    version they already received (promise 8: same content hash, same journalist)."""
    assert mailer(*SEND, "--yes").exit_code == 0
    releases = project / "releases"
    shutil.copy(releases / "launch.md", releases / "launch-corrected.md")
    shutil.copy(releases / "launch.fr.md", releases / "launch-corrected.fr.md")
    _edit(releases / "launch-corrected.md", "412 volunteers", "413 volunteers")
    standin.reset()
    again = mailer("send", "releases/launch-corrected.md", "--list", "press.csv", "--force-embargo", "--yes")
    assert again.exit_code == 0, again.output
    assert set(_sent_to(standin)) == ENGLISH  # main: all 6, the French and German versions a second time


def test_two_sends_at_once_of_a_release_and_its_correction_mail_unchanged_versions_once(project: Path, standin: Any) -> None:
    """One terminal plans the release; a colleague fixes the English figure and plans it from another
    terminal before the first has logged its campaign. One after the other, the second send skips
    the French and German journalists (their versions are unchanged); at once, it must too: the
    check made while holding the log's lock is there for exactly this (promises 2, 6, 8)."""
    from mailer import config
    from mailer.send import campaign, prepare
    from mailer.store import connect

    cfg = config.from_environment()
    engine = connect(cfg.database.url)
    main_file = project / "releases" / "launch.md"
    lists = [project / "press.csv"]
    first = prepare.prepare_send(engine, cfg, main_file, lists, force_embargo=True)
    _correct_english(project)
    second = prepare.prepare_send(engine, cfg, main_file, lists, force_embargo=True)  # nothing logged yet: nobody skipped
    campaign.start(engine, cfg, first, environ={"SENDGRID_API_KEY": KEY})
    campaign.start(engine, cfg, second, environ={"SENDGRID_API_KEY": KEY})
    engine.dispose()
    accepted = standin.accepted_addresses()
    assert {email: accepted[email] for email in FRENCH_AND_GERMAN} == dict.fromkeys(FRENCH_AND_GERMAN, 1)  # main: 2 each


def test_journalists_waiting_in_a_stopped_send_of_an_earlier_version_are_not_stranded(project: Path, standin: Any) -> None:
    """A send stops before mailing anyone (SendGrid down); the office corrects the English text and
    sends again. The French and German journalists are skipped as "waiting in" the stopped campaign,
    and the output says `mailer resume` sends to them, but resume refuses (the release file changed):
    following the tool's own advice, they never get the release."""
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=100)
    assert mailer(*SEND, "--yes").exit_code != 0
    standin.reset()
    _correct_english(project)
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    held = re.search(r"`mailer resume (\S+?)`", again.output)
    if held is not None:  # main: "3 journalists are skipped: they are waiting in ... `mailer resume ...` sends to them"
        resumed = mailer("resume", held.group(1), "--yes")
        assert resumed.exit_code == 0, resumed.output  # main: "... has changed since ...; resuming would send a different email."
    assert _sent_to(standin) == {email: SUBJECTS[language] for email, language in WHO_GETS.items()}


# --- 2. The dateline -----------------------------------------------------------------------------

LEAD = "Riverbend, ST – {date} –"


def _rendered(tmp_path: Path, body: str, *, language: str = "en") -> tuple[list[str], str]:
    """(the body's HTML paragraphs as text, the plain-text part) of a release with ``body``."""
    path = tmp_path / "r.md"
    path.write_text(
        f'---\nsubject: "Bees"\ndateline: "Riverbend, ST"\ndate: 2026-02-19\nlanguage: {language}\n---\n{body}\n', encoding="utf-8"
    )
    rendered = compose.render_for(release.load(path), {"first_name": "Jürgen"}, config=Config())
    document = lxml.html.document_fromstring(rendered.html).get_element_by_id("body")
    return [" ".join(p.text_content().split()) for p in document.iter("p")], rendered.text


@pytest.mark.parametrize(
    ("language", "greeting", "shown"),
    [
        ("ar", "مرحباً {{ contact.first_name }}،", "مرحباً Jürgen،"),  # the Arabic comma (U+060C)
        ("zh", "各位记者朋友，", "各位记者朋友，"),  # a full-width comma
        ("es", "Estimado {{ contact.first_name }}:", "Estimado Jürgen:"),  # Spanish letters greet with a colon
        ("en", "Dear Editor:", "Dear Editor:"),  # as do American business letters
    ],
)
def test_the_dateline_passes_over_a_greeting_in_any_script(tmp_path: Path, language: str, greeting: str, shown: str) -> None:
    """nc9 #2 again, in the versions the fix did not look at: the dateline is glued in front of the
    greeting of the Arabic version (and of a Chinese, Spanish or "Dear Editor:" one), in both parts."""
    paragraphs, text = _rendered(tmp_path, f"{greeting}\n\nThe census is out.\n\nMore.", language=language)
    assert paragraphs[0] == shown  # main: "Riverbend, ST – 19 فبراير 2026 – مرحباً Jürgen،"
    assert paragraphs[1].endswith("The census is out.") and paragraphs[1].startswith("Riverbend, ST")
    assert not re.search(r"– \S*\s*" + re.escape(shown.split()[0]), text)


@pytest.mark.parametrize(
    "before",
    [
        "> “We expected a good year,” said Maria Okafor.\n\n",
        "Dear {{ contact.first_name }},\n\n> “We expected a good year,” said Maria Okafor.\n\n",
        "## Census results\n\n- 412 volunteers\n\n- 2,380 hives\n\n",
    ],
    ids=["quotation first", "quotation after the greeting", "loose list after a heading"],
)
def test_the_dateline_opens_the_offices_own_text_not_a_quotation_or_a_list_item(tmp_path: Path, before: str) -> None:
    """A release that opens with a quotation (or goes on with one after the greeting), or with a list
    whose items are separated by blank lines: the dateline is the office's, not the president's
    words nor a bullet point; it opens the first paragraph of the release's own text, as it does
    after a tight list (test_compose_dateline). Main puts it inside the quote ("> Riverbend, ST –
    ... – “We expected...”, indented in the text part) or the first item ("- Riverbend, ST – ... –
    412 volunteers")."""
    lead = LEAD.format(date="February 19, 2026")
    paragraphs, text = _rendered(tmp_path, f"{before}The census counted 1.2 million bees.")
    assert f"{lead} The census counted 1.2 million bees." in paragraphs
    assert f"\n{lead} The census counted 1.2 million bees.\n" in text  # its own line: not indented as a quote


def test_the_dateline_passes_over_a_greeting_taken_from_the_list(tmp_path: Path) -> None:
    """Media databases export a salutation column ("Sehr geehrter Herr Weber,"); the release opens with
    {{ contact.salutation }} alone on its line. That paragraph is the greeting: the dateline opens
    the next one (main: "Riverbend, ST – ... – Sehr geehrter Herr Weber,")."""
    path = tmp_path / "r.md"
    path.write_text(
        '---\nsubject: "Bees"\ndateline: "Riverbend, ST"\ndate: 2026-02-19\n---\n'
        '{{ contact.salutation | default("Dear editor,") }}\n\nThe census is out.\n',
        encoding="utf-8",
    )
    rendered = compose.render_for(release.load(path), {"salutation": "Sehr geehrter Herr Weber,"}, config=Config())
    lead = LEAD.format(date="February 19, 2026")
    assert f"\nSehr geehrter Herr Weber,\n\n{lead} The census is out.\n" in rendered.text
    document = lxml.html.document_fromstring(rendered.html).get_element_by_id("body")
    paragraphs = [" ".join(p.text_content().split()) for p in document.iter("p")]
    assert paragraphs[:2] == ["Sehr geehrter Herr Weber,", f"{lead} The census is out."]
