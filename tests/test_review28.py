"""Review 28: the fingerprint of what the office wrote (``Rendered.source_hash``) sees every file the email is made of."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import example
from test_lead28 import written_by_an_older_version

from mailer import compose
from mailer.compose import release
from mailer.config import Config


def _fingerprints(folder: Path, name: str) -> dict[str, str]:
    config = Config.model_validate({"compose": {"templates": str(folder / "templates")}})
    loaded = release.load(folder / "releases" / name)
    versions = [loaded, *loaded.versions.values()] if loaded.versions else [loaded]
    return {version.language: compose.render(version, config=config).source_hash for version in versions}


def _office(tmp_path: Path) -> Path:
    shutil.copytree(example("templates"), tmp_path / "templates")
    (tmp_path / "releases").mkdir()
    return tmp_path


def test_review28_a_changed_about_file_is_a_correction(tmp_path: Path) -> None:
    """The release's About text kept in its own file (about_file: kit/about.md): the office corrects it (the
    release file unchanged), the email's About paragraph changes, and the fingerprint did not: the journalists
    who had it were skipped as 'already received' and never got the correction."""
    office = _office(tmp_path)
    (office / "releases" / "kit").mkdir()
    about = office / "releases" / "kit" / "about.md"
    about.write_text("Acme makes honey since 1990.\n", encoding="utf-8")
    (office / "releases" / "launch.md").write_text(
        "---\nsubject: Bees\ndate: 2026-11-23\nabout_file: kit/about.md\n---\nThe bees are back.\n", encoding="utf-8"
    )
    before = _fingerprints(office, "launch.md")
    about.write_text("Acme makes honey since 1991.\n", encoding="utf-8")
    assert _fingerprints(office, "launch.md") != before


def test_review28_a_language_version_sent_alone_sees_a_change_of_the_main_file(tmp_path: Path) -> None:
    """launch.fr.md sent alone to the French list takes its date, dateline and press contact from launch.md: a
    corrected press contact's phone number there changes the French email, and the fingerprint did not (only
    launch.fr.md's own bytes were in it)."""
    office = _office(tmp_path)
    main = office / "releases" / "launch.md"
    main.write_text(
        "---\nsubject: Bees\ndate: 2026-11-23\ndateline: OSLO\ncontact:\n  name: Ana\n  phone: '+47 1111'\n---\nThe bees are back.\n",
        encoding="utf-8",
    )
    (office / "releases" / "launch.fr.md").write_text("---\nsubject: Abeilles\n---\nLes abeilles reviennent.\n", encoding="utf-8")
    before = _fingerprints(office, "launch.fr.md")
    main.write_text(main.read_text(encoding="utf-8").replace("+47 1111", "+47 2222").replace("OSLO", "BERGEN"), encoding="utf-8")
    assert _fingerprints(office, "launch.fr.md") != before


def test_review28_a_newer_built_in_template_is_press_mailers_work_not_the_offices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An office without templates of its own uses press-mailer's built-in ones. An update that changes them (a
    new footer, other spacing) changed the fingerprint of "what the office wrote", so the same release sent again
    after updating was a correction, and --yes mailed everyone who had it again. Another built-in template
    (template: NAME) is still a change."""
    from mailer.compose import markup

    builtin = tmp_path / "builtin"
    shutil.copytree(example("templates"), builtin)
    monkeypatch.setattr(markup, "BUILTIN_TEMPLATES", builtin)
    office = tmp_path / "office"
    (office / "releases").mkdir(parents=True)
    (office / "releases" / "launch.md").write_text("---\nsubject: Bees\ndate: 2026-11-23\n---\nThe bees are back.\n", encoding="utf-8")
    before = _fingerprints(office, "launch.md")
    html = builtin / "release.html.j2"
    html.write_text(html.read_text(encoding="utf-8").replace("</body>", "<p>Sent with a newer press-mailer</p></body>"), encoding="utf-8")
    (builtin / "release.css").write_text((builtin / "release.css").read_text(encoding="utf-8") + "\np { margin: 0 }\n", encoding="utf-8")
    assert _fingerprints(office, "launch.md") == before
    for suffix in ("html.j2", "txt.j2", "css"):
        shutil.copy(builtin / f"release.{suffix}", builtin / f"brief.{suffix}")
    (office / "releases" / "launch.md").write_text(
        "---\nsubject: Bees\ndate: 2026-11-23\ntemplate: brief\n---\nThe bees are back.\n", encoding="utf-8"
    )
    assert _fingerprints(office, "launch.md") != before


def test_review28_a_corrected_about_file_reaches_those_who_had_the_release(
    project: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same send, end to end: the About text corrected in its about_file, the release file unchanged. The
    journalists who had it were skipped as 'already received' (the fingerprint unchanged), so --yes sent the
    correction to nobody; now they get it, as a correction."""
    import re

    from click.testing import CliRunner
    from office_cli import mailed, office, said

    from mailer.cli import main

    def mailer(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": "SG.standin-key.secret"})

    office(project, standin, db_url, beat="Email,First Name\nana@daily.example,Ana\nben@gazette.example,Ben\n")
    monkeypatch.chdir(project)
    release_file = project / "releases" / "example.md"
    about = project / "releases" / "about.md"
    about.write_text("Riverbend Beekeepers, since 1990.\n", encoding="utf-8")
    written = re.sub(r"(?ms)^about:.*?(?=^[\w-])", "", release_file.read_text(encoding="utf-8"))
    release_file.write_text(written.replace("---\n", "---\nabout_file: about.md\n", 1), encoding="utf-8")
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    first = mailer(*send)
    assert first.exit_code == 0, said(first)
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], said(first)
    about.write_text("Riverbend Beekeepers, since 1991.\n", encoding="utf-8")
    standin.reset()
    corrected = mailer(*send)
    assert corrected.exit_code == 0, said(corrected)
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], said(corrected)
    assert "earlier version" in said(corrected), said(corrected)


def test_review28_the_fingerprint_is_of_the_release_as_it_was_read_not_as_the_file_is_a_moment_later(tmp_path: Path) -> None:
    """The file was read again for the fingerprint after the release was loaded: saved in between (the office
    corrects 1.2 to 1.3 while a send starts), the campaign mailed 1.2 and recorded the fingerprint of 1.3, so the
    later send of the corrected file skipped everyone as 'already received'."""
    office = _office(tmp_path)
    path = office / "releases" / "launch.md"
    path.write_text("---\nsubject: Bees\ndate: 2026-11-23\ndateline: OSLO\n---\nThe bees are back: 1.2 million.\n", encoding="utf-8")
    config = Config.model_validate({"compose": {"templates": str(office / "templates")}})
    loaded = release.load(path)
    path.write_text(path.read_text(encoding="utf-8").replace("1.2", "1.3").replace("OSLO", "BERGEN"), encoding="utf-8")
    sent = compose.render(loaded, config=config)
    later = compose.render(release.load(path), config=config)
    assert "1.2 million" in sent.text and sent.content_hash != later.content_hash
    assert sent.source_hash != later.source_hash


def test_review28_a_release_edited_and_edited_back_after_an_update_is_a_correction(
    project: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent (1.2), corrected and sent again (1.3), then edited back (1.2) and sent after an update of
    press-mailer (both campaigns' content hashes rewritten as an older version logged them): the journalists
    last read 1.3, so 1.2 is a correction to them, though the first campaign recorded the same fingerprint."""
    from click.testing import CliRunner
    from office_cli import campaign_of, mailed, office, said

    from mailer.cli import main

    def mailer(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": "SG.standin-key.secret"})

    office(project, standin, db_url, beat="Email,First Name\nana@daily.example,Ana\nben@gazette.example,Ben\n")
    monkeypatch.chdir(project)
    release_file = project / "releases" / "example.md"
    first_text = release_file.read_text(encoding="utf-8")
    assert "1.2 million" in first_text
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    campaigns = []
    for written in (first_text, first_text.replace("1.2 million", "1.3 million")):
        release_file.write_text(written, encoding="utf-8")
        standin.reset()
        result = mailer(*send)
        assert result.exit_code == 0, said(result)
        assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], said(result)
        campaigns.append(campaign_of(result))
    for number, campaign in enumerate(campaigns):
        written_by_an_older_version(db_url, campaign, str(number))
    release_file.write_text(first_text, encoding="utf-8")
    standin.reset()
    back = mailer(*send)
    assert back.exit_code == 0, said(back)
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], said(back)
    assert "earlier version" in said(back), said(back)


def test_review28_a_language_version_added_after_an_update_does_not_mail_the_others_again(
    project: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The English release sent, then a French version added and the release sent again after an update of
    press-mailer: the English journalists' version is unchanged, so they are not sent it again."""
    from click.testing import CliRunner
    from office_cli import campaign_of, mailed, office, said

    from mailer.cli import main

    def mailer(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": "SG.standin-key.secret"})

    office(project, standin, db_url, beat="Email,First Name,Language\nana@daily.example,Ana,en\nben@gazette.example,Ben,en\n")
    monkeypatch.chdir(project)
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    first = mailer(*send)
    assert first.exit_code == 0, said(first)
    campaign = campaign_of(first)
    written_by_an_older_version(db_url, campaign)
    (project / "releases" / "example.fr.md").write_text("---\nsubject: Abeilles\n---\nLes abeilles reviennent.\n", encoding="utf-8")
    (project / "lists" / "fr.csv").write_text("Email,First Name,Language\nluc@monde.example,Luc,fr\n", encoding="utf-8")
    standin.reset()
    again = mailer(*send, "--list", "lists/fr.csv")
    assert again.exit_code == 0, said(again)
    assert mailed(standin) == ["luc@monde.example"], said(again)
