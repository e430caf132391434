"""What staff proof is what journalists get (review 18p): a test send, the live send of the same
release to the same journalist, and the previews, compared through the command line and the
SendGrid stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from office_cli import ONE_BY_ONE, SEND, SIX, campaign_of, mailed, mailer, office, proof_of_a_fix_after_scheduling_warns, said

import mailer.compose.release as release_module
from mailer.cli import send as send_cli
from mailer.compose.render import TEST_BANNER_HTML, TEST_BANNER_TEXT, TEST_PREFIX


def test_send_asks_again_when_the_sender_changed_since_the_test_send(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff proofread an email from "Press Office"; a `from:` and `reply_to:` added to the release
    afterwards change none of its content, and the live send went out from another sender without
    a word. It now says the test send came from another sender, and asks as for an untested release."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    tested = mailer("test", "releases/example.md", "--to", "me@office.example")
    assert tested.exit_code == 0, tested.output
    release = tmp_path / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace(
            "date: 2026-02-19\n", 'date: 2026-02-19\nfrom: "Bee Desk <bees@office.example>"\nreply_to: "desk@office.example"\n'
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    refused = mailer("send", "releases/example.md", "--list", "lists/beat.csv", input="y\nn\n")
    assert refused.exit_code == 0, refused.output
    assert (
        "Warning: This content was test-sent to staff (" in said(refused)
        and "from Press Office <press@example.org>, but this send comes from Bee Desk <bees@office.example>, "
        "replies to desk@office.example: colleagues have not proofread it from this sender."
        in said(refused)
    ), refused.output
    assert "Send it anyway, without a test send?" in refused.output
    assert "Nothing was sent." in refused.output
    assert len(standin.mail_sends) == 1  # the test send only
    # Tested again as it now is: the live send goes without the question.
    assert mailer("test", "releases/example.md", "--to", "me@office.example").exit_code == 0
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes")
    assert sent.exit_code == 0, sent.output
    assert "test-sent" not in sent.output


def _first_words(html: str) -> str:
    """The first words of an HTML email's body, hidden or not: what an inbox shows after the subject."""
    body = html[html.find(">", html.find("<body")) + 1 :]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())[:200]


def test_test_send_keeps_the_preheader_first_for_the_inbox_line(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preheader is the grey line an inbox shows after the subject, and staff proofread it in
    their inbox; the test banner came before it, so every proof's inbox line read "TEST SEND: this
    is a proof for staff..." instead. The banner now follows the hidden preheader: the proof's
    inbox line is the journalists', the banner still first on the page."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    assert mailer("test", "releases/example.md", "--to", "me@office.example").exit_code == 0
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes").exit_code == 0
    proof, live = (html_of(request.body) for request in standin.mail_sends)
    preheader = "Census results, maps and interviews with the volunteers who counted"
    assert _first_words(live).startswith(preheader)
    assert _first_words(proof).startswith(preheader + " TEST SEND: this is a proof for staff."), _first_words(proof)
    assert proof.replace(TEST_BANNER_HTML, "", 1) == live


def html_of(body: dict[str, Any]) -> str:
    """The HTML part of a Mail Send body."""
    return str(next(part["value"] for part in body["content"] if part["type"] == "text/html"))


class _Tomorrow(date):
    """The date class with tomorrow as today: a send resumed after midnight."""

    @classmethod
    def today(cls) -> date:
        return date.fromordinal(date.today().toordinal() + 1)


def test_resume_after_midnight_of_a_release_without_a_date(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release without `date:` is dated the day it is rendered. A send of it that stopped (SendGrid
    unreachable) and was resumed the next day was refused: "releases/example.md has changed since
    ... started; resuming would send a different email. Undo the change ...", with nothing to undo,
    and the journalists not yet sent could not get the email the others got. The resume now
    renders it with the date the send started with, so the rest get the same email."""
    monkeypatch.chdir(tmp_path)
    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid=ONE_BY_ONE)
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("date: 2026-02-19\n", ""), encoding="utf-8")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 3)
    stopped = mailer(*SEND)
    assert stopped.exit_code == 1, stopped.output
    campaign_id = campaign_of(stopped)
    standin.scripts.clear()
    monkeypatch.setattr(release_module, "date", _Tomorrow)
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    accepted = [r.body for r in standin.mail_sends if r.status == 202]
    assert len(accepted) == 6
    assert len({html_of(body) for body in accepted}) == 1  # the same email, dated as the first ones


def test_test_send_of_a_release_changed_after_its_scheduled_send_says_which_goes_out(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send scheduled for later hands SendGrid the emails at once. A press officer who then fixed
    a figure in the release, test-sent the fixed version and read it, was told nothing: the
    journalists still got the old text at the scheduled time. The test send now says so, and how
    to send the fixed version instead; a proof of the very content scheduled says nothing."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    proof_of_a_fix_after_scheduling_warns(tmp_path, "test", "releases/example.md", "--to", "me@office.example")


def test_a_proof_differs_from_the_journalists_email_only_as_the_readme_says(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mailer test --as JOURNALIST` and the live send to that journalist, request body against
    request body: the [TEST] subject, the banner (HTML) and its line (text), the address (the
    colleague's) and the campaign's ids are the only differences, as the README lists them; the
    journalist's fields, From, Reply-To, attachments, pictures, tracking and category are the same."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace(
            "The Riverbend Beekeepers Association today", "For {{ contact.outlet }}: the Riverbend Beekeepers Association today"
        ),
        encoding="utf-8",
    )
    assert (
        mailer(
            "test", "releases/example.md", "--to", "me@office.example", "--as", "ana@daily.example", "--list", "lists/beat.csv"
        ).exit_code
        == 0
    )
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--where", "first_name=Ana", "--yes").exit_code == 0
    proof, live = (dict(request.body) for request in standin.mail_sends)
    proof_to, live_to = proof.pop("personalizations"), live.pop("personalizations")
    assert [p["to"] for p in proof_to] == [[{"email": "me@office.example"}]]
    assert [p["to"] for p in live_to] == [[{"email": "ana@daily.example", "name": "Ana Lima"}]]
    assert proof_to[0]["substitutions"] == live_to[0]["substitutions"] != {}
    assert proof["subject"] == TEST_PREFIX + live["subject"]
    text, html = (part["value"] for part in proof["content"])
    proof["subject"], proof["content"] = (
        live["subject"],
        [
            {"type": "text/plain", "value": text.removeprefix(TEST_BANNER_TEXT)},
            {"type": "text/html", "value": html.replace(TEST_BANNER_HTML, "", 1)},
        ],
    )
    assert proof == live
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8").split())
    assert "What a proof changes, and nothing else:" in readme


class _Yesterday(date):
    """The date class with yesterday as today: a test send the evening before."""

    @classmethod
    def today(cls) -> date:
        return date.fromordinal(date.today().toordinal() - 1)


def test_send_the_day_after_the_test_send_of_an_undated_release_says_only_the_date_changed(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proofread in the evening, sent the next morning: a release without `date:` is dated the day
    it is made, so the live send's content differs from the test send's by its date, and it said
    "This exact content was never test-sent to staff", though staff had read every word. It now
    says what changed: the date alone (and still asks, since the date is in the email)."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("date: 2026-02-19\n", ""), encoding="utf-8")
    monkeypatch.setattr(release_module, "date", _Yesterday)
    assert mailer("test", "releases/example.md", "--to", "me@office.example").exit_code == 0
    monkeypatch.setattr(release_module, "date", date)
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    refused = mailer("send", "releases/example.md", "--list", "lists/beat.csv", input="y\nn\n")
    assert refused.exit_code == 0, refused.output
    yesterday, today = _Yesterday.today(), date.today()
    assert re.search(
        r"Warning: The release has no date: line, so each email is dated the day it is made: the test send \d{4}-\d\d-\d\d-example-test ",
        said(refused),
    ), refused.output
    assert f"was dated {yesterday.isoformat()}, this send is dated {today.isoformat()}; nothing else changed since the test send." in said(
        refused
    ), refused.output
    assert "never test-sent" not in refused.output
    assert "Nothing was sent." in refused.output


def test_preview_shows_who_the_email_comes_from(tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview is where a press officer proofreads before any send, and it never said whom the
    email comes from: a French version's own `from:` or a release's `reply_to:` was seen first in
    journalists' inboxes. Each version's preview now says it, as the send's plan does."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("date: 2026-02-19\n", 'date: 2026-02-19\nreply_to: "desk@office.example"\n'), encoding="utf-8")
    (tmp_path / "releases" / "example.fr.md").write_text(
        '---\nsubject: "Recensement des abeilles"\nfrom: "Bureau de presse <presse@office.example>"\n---\nLes apiculteurs ont compté.\n',
        encoding="utf-8",
    )
    previewed = mailer("preview", "releases/example.md")
    assert previewed.exit_code == 0, previewed.output
    froms = [line for line in previewed.output.splitlines() if line.startswith("From:")]
    assert froms == [
        "From:      Press Office <press@example.org>, replies to desk@office.example",
        "From:      Bureau de presse <presse@office.example>, replies to desk@office.example",
    ], previewed.output


def test_send_the_next_day_of_an_undated_release_skips_who_already_received_it(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release without `date:` sent on Monday, then on Tuesday to the same list and a new one:
    nothing was edited, but Tuesday's emails carry Tuesday's date, so Monday's journalists counted
    as having "an earlier version", and with --yes (which answers the correction question) they got
    the release a second time. They are now skipped as already received, and the plan says why."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("date: 2026-02-19\n", ""), encoding="utf-8")
    monkeypatch.setattr(release_module, "date", _Yesterday)
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    monkeypatch.setattr(release_module, "date", date)
    (tmp_path / "lists" / "tv.csv").write_text("Email,First Name,Last Name,Outlet\ncai@tv.example,Cai,Berg,TV One\n", encoding="utf-8")
    second = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--list", "lists/tv.csv", "--yes", "--no-test-ok")
    assert second.exit_code == 0, second.output
    assert mailed(standin) == ["ana@daily.example", "ben@gazette.example", "cai@tv.example"]
    assert (
        f"2 journalists already received this release in {campaign_of(first)}, dated {_Yesterday.today().isoformat()}: "
        "it has no date: line, so each send is dated its own day, and nothing else in it changed. They are skipped; "
        "--include-previous mails them again." in said(second)
    ), second.output
    assert "earlier version" not in second.output
