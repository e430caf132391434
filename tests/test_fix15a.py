"""Fixes of the newcomer's trust findings (helper fix15a): what a refusal tells the press officer to do next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import BEAT, campaign_of, mailer, office, opening_line, said

TAGGED = "Email,First Name,Outlet,Tags\nana@daily.example,Ana,Daily News,science\nben@gazette.example,Ben,The Gazette,science\n"


def _tomorrow() -> str:
    at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _tomorrow_shown(sent: Any) -> str:
    """The scheduled time as a send's plan shows it ("Scheduled:  2026-12-02 06:09 UTC")."""
    import re

    match = re.search(r"^Scheduled:\s+(.+)$", sent.output, re.MULTILINE)
    assert match, sent.output
    return match.group(1).strip()


def test_resume_of_a_cancelled_send_gives_the_command_that_sends_its_release_again(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer resume` (and `mailer cancel` again) of a cancelled send names the command that sends
    its release to its lists with its filters, as the campaign row records them, ready to paste:
    not a bare "mailer send"."""
    office(tmp_path, standin, db_url, beat=TAGGED)
    held = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--where", "outlet=Daily News", "--tag", "science",
        "--yes", "--no-test-ok", "--at", _tomorrow(),
    )  # fmt: skip
    assert held.exit_code == 0, held.output
    campaign = campaign_of(held)
    assert mailer("cancel", campaign).exit_code == 0
    again = "mailer send releases/example.md --list lists/beat.csv --where 'outlet=Daily News' --tag science"
    resumed = mailer("resume", campaign, "--yes")
    assert resumed.exit_code == 1, resumed.output
    assert f"{campaign} was cancelled; it cannot be resumed." in said(resumed), resumed.output
    assert again in said(resumed), resumed.output
    cancelled_twice = mailer("cancel", campaign)
    assert cancelled_twice.exit_code == 0, cancelled_twice.output
    assert f"{campaign} is already cancelled." in said(cancelled_twice) and again in said(cancelled_twice), cancelled_twice.output


def test_status_of_a_cancelled_send_gives_the_command_that_sends_its_release_again(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer status` of a cancelled send names the same command as its refused resume, not "run mailer send again"."""
    office(tmp_path, standin, db_url)
    at = _tomorrow()
    held = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    campaign = campaign_of(held)
    assert mailer("cancel", campaign).exit_code == 0
    shown = mailer("status", campaign)
    assert shown.exit_code == 0, shown.output
    assert (
        "This send was cancelled: none of its emails went out. To send the release after all: "
        f"mailer send releases/example.md --list lists/beat.csv --at '{at}'\n"  # its time, still ahead (newcomer 25 #7)
    ) in shown.output, shown.output


def test_the_command_that_sends_again_keeps_a_follow_ups_choice_and_quotes_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command named for a cancelled dry run of a follow-up: its release, --follow-up and --who,
    the lists it was narrowed to (a name with a space quoted for the shell), its filters, the
    addresses let through by name and --dry-run; files from the current folder, else whole."""
    from mailer.config import Config
    from mailer.models import CampaignStatus, Mode
    from mailer.send import again
    from mailer.store.campaigns import Campaign

    folder = tmp_path / "press office"
    (folder / "releases").mkdir(parents=True)
    (folder / "releases" / "honey.md").write_text("---\nsubject: Honey\n---\nHoney.\n", encoding="utf-8")
    (folder / "lists").mkdir()
    (folder / "lists" / "beat list.csv").write_text("Email\n", encoding="utf-8")
    found = Campaign(
        id="2026-02-20-honey",
        release_path=str(folder / "releases" / "honey.md"),
        content_hash="0" * 64,
        subject="Honey",
        lists=["2026-02-19-honey (not opened)", "lists/beat list.csv"],
        filters={
            "where": ["beat=food"],
            "tag": [],
            "follow_up": {"of": "2026-02-19-honey", "who": "not-opened"},
            "override_suppression": ["jane@x.org"],
        },
        mode=Mode.DRY_RUN,
        status=CampaignStatus.CANCELLED,
        created_at=datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
        scheduled_at=None,
        sendgrid_batch_id=None,
        sender={},
    )
    monkeypatch.chdir(folder)
    assert again.command(Config(), found, now=datetime.now(UTC)) == (
        "mailer send releases/honey.md --follow-up 2026-02-19-honey --who not-opened --list 'lists/beat list.csv' "
        "--where beat=food --override-suppression jane@x.org --dry-run"
    )
    monkeypatch.chdir(tmp_path)
    assert again.command(Config(), found, now=datetime.now(UTC)).startswith("mailer send 'press office/releases/honey.md' --follow-up")


def test_status_says_who_was_not_sent_the_correction_in_plain_words(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corrected release sent with "no" to the correction question: the journalists who had the
    earlier version were not sent it. `mailer status` says that, not "already received" (they
    never received this version)."""
    from mailer.cli import send as send_cli

    office(tmp_path, standin, db_url)
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok").exit_code == 0
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("1.2 million", "1.3 million"), encoding="utf-8")
    (tmp_path / "lists" / "beat.csv").write_text(BEAT + "cleo@wire.example,Cleo,Silva,The Wire\n", encoding="utf-8")
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    corrected = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--no-test-ok", input="y\nn\n")
    assert corrected.exit_code == 0, corrected.output
    assert "Sending to the other 1 journalist only." in corrected.output, corrected.output
    shown = mailer("status", "latest")
    assert shown.exit_code == 0, shown.output
    assert "already received" not in shown.output, shown.output
    assert "Skipped:   2 not sent the correction (they had an earlier version)" in shown.output, shown.output


@pytest.mark.parametrize(
    ("greeting", "stops"),
    [("Dear {{ contact.frist_name }},", True), ('Dear {{ contact.frist_name | default("colleague") }},', False)],
)
def test_preview_checks_contact_fields_against_the_list_as_send_does(
    greeting: str, stops: bool, tmp_path: Path, standin: Any, db_url: str
) -> None:
    """Promise 9: a release greeting `{{ contact.frist_name }}` (no list has that column) is refused
    by `mailer send`; `mailer preview --list` says the same words (stops without a default, warns
    with one), never "No warnings."."""
    office(tmp_path, standin, db_url)
    opening_line(tmp_path, greeting)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    previewed = mailer("preview", "releases/example.md", "--contact", "ana@daily.example", "--list", "lists/beat.csv")
    alone = mailer("preview", "releases/example.md", "--list", "lists/beat.csv")
    if stops:
        words = 'The release uses contact fields no list has a column for: "frist_name" (did you mean "first_name"?).'
        assert sent.exit_code == 1 and words in sent.output, sent.output
        for shown in (previewed, alone):
            assert shown.exit_code == 1 and words in shown.output, shown.output
    else:
        words = 'No list has a column for "frist_name" (did you mean "first_name"?): every journalist gets the release\'s default for it.'
        assert sent.exit_code == 0 and words in said(sent), sent.output
        for shown in (previewed, alone):
            assert shown.exit_code == 0 and words in said(shown) and "No warnings." not in shown.output, shown.output


def test_preview_without_a_list_warns_of_a_field_close_to_a_standard_column(logged: Path) -> None:
    """With no list to check against, `mailer preview` warns of `{{ contact.frist_name }}` (close
    to first_name), which a send to lists without such a column refuses; a field of the office's own
    ("region") is no warning."""
    from office_cli import mailer as run

    release = logged / "releases" / "example.md"
    head, body = release.read_text(encoding="utf-8").split("---\n", 2)[1:]
    for greeting, warned in (("Dear {{ contact.frist_name }},", True), ("From {{ contact.region }}:", False)):
        release.write_text(f"---\n{head}---\n{greeting}\n\n{body}", encoding="utf-8")
        shown = run("preview", "releases/example.md", key=None)
        assert shown.exit_code == 0, shown.output
        words = (
            'The release uses the contact field "frist_name" (did you mean "first_name"?): unless your lists have a column '
            "of that name, mailer send refuses the release. Check with: mailer preview RELEASE --list FILE"
        )
        assert (words in said(shown)) is warned and ("contact field" in shown.output) is warned, shown.output


def test_resume_of_another_logs_campaign_names_this_log_and_how_to_reach_the_other(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer resume` of an id from another client's log (same day, another release) suggests none
    of this log's ids as if near: it says this log, by its path, has no such send, and how to point
    at the other office's log (--config, $MAILER_CONFIG). A mistyped id of this log is still suggested."""
    from mailer.store import display_url

    office(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    campaign = campaign_of(sent)
    day = campaign[:10]
    other = mailer("resume", f"{day}-honey")
    assert other.exit_code == 1, other.output
    words = said(other)
    assert "Did you mean" not in words and campaign not in words, words
    assert f'No campaign "{day}-honey" in the delivery log. This delivery log ({display_url(db_url)}) holds no send of that id.' in words
    assert "--config" in words and "MAILER_CONFIG" in words, words
    typo = mailer("resume", campaign.replace("example", "exmaple"))
    assert typo.exit_code == 1 and f"Did you mean {campaign}?" in said(typo), typo.output


def test_held_warning_says_may_still_hold_where_sendgrid_never_answered(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`suppressions add` of two journalists a scheduled send handed to SendGrid: for the one whose
    request SendGrid accepted, it "still holds" the email; for the one whose request got no answer
    (unknown), it "may still hold" it, never "still holds"."""
    from sqlalchemy import update

    from mailer import store
    from mailer.store.schema import message

    office(tmp_path, standin, db_url)
    held = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", _tomorrow())
    assert held.exit_code == 0, held.output
    campaign = campaign_of(held)
    engine = store.connect(db_url)
    with engine.begin() as connection:  # Ana's request left and no answer came (a timeout): SendGrid may or may not have it
        connection.execute(update(message).where(message.c.email == "ana@daily.example").values(state="unknown"))
    engine.dispose()
    at = _tomorrow_shown(held)
    one = mailer("suppressions", "add", "ana@daily.example", "--reason", "phoned")
    assert one.exit_code == 0, one.output
    assert (
        f"Warning: SendGrid may still hold an email for ana@daily.example in {campaign}, scheduled for {at} (its request got "
        "no answer, so SendGrid may or may not have taken it): the suppression does not stop what SendGrid already holds."
    ) in said(one), one.output
    assert "still holds" not in one.output, one.output
    both = mailer("suppressions", "add", "ana@daily.example", "ben@gazette.example", "--reason", "phoned")
    assert both.exit_code == 0, both.output
    assert (
        f"Warning: SendGrid still holds an email for ben@gazette.example in {campaign}, and may still hold one for "
        f"ana@daily.example (its request got no answer, so SendGrid may or may not have taken it), scheduled for {at}: "
        "the suppression does not stop what SendGrid already holds."
    ) in said(both), both.output
