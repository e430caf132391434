"""Carry-over, day two (carry28): forgetting after a carry-over, the history of carried campaigns,
a proxy's 400s, and the refusal of a send the old log resumed after it was carried."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import todays_campaign
from office_cli import SEND, mailed, mailer, office, said

BEAT = (
    "Email,First Name,Outlet\nana@daily.example,Ana,Daily News\nben@gazette.example,Ben,The Gazette\ncleo@herald.example,Cleo,The Herald\n"
)
GROUP = {"errors": [{"field": "asm.group_id", "message": "The asm.group_id is not valid.", "help": None}]}


class Move:
    """An office folder whose mailer.toml can name its old log (out/mailer.db) or the team's."""

    def __init__(self, tmp_path: Path, old_url: str, team: str) -> None:
        self.toml = tmp_path / "mailer.toml"
        self.text = self.toml.read_text(encoding="utf-8")
        self.old_url, self.team = old_url, team

    def to_team(self) -> None:
        self.toml.write_text(self.text.replace(self.old_url, self.team), encoding="utf-8")

    def to_old(self) -> None:
        self.toml.write_text(self.text, encoding="utf-8")


def moved(tmp_path: Path, standin: Any, team: str, **settings: Any) -> Move:
    """The office at ``tmp_path`` on its old log out/mailer.db (the current folder), ready to move to ``team``."""
    old_url = f"sqlite:///{tmp_path / 'out' / 'mailer.db'}"
    office(tmp_path, standin, old_url, beat=BEAT, **settings)
    os.chdir(tmp_path)
    return Move(tmp_path, old_url, team)


@pytest.mark.sqlite_only
def test_the_refusal_of_a_send_resumed_on_the_old_log_says_it_went_out_to_more_since_it_was_carried(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """A send of the old log stopped, was carried over, then resumed from the old log. The team's send of the release
    is refused, rightly; but it said the team's log "does not know of" that campaign, which it knows in part (carried,
    with the journalist it had reached then). It now says the send went out to more journalists there since."""
    office_move = moved(tmp_path, standin, new_db_url(), batch_size=1, sendgrid="retries = 0\nconcurrency = 1\n")
    standin.answer(400, times=2, body=GROUP)
    assert mailer(*SEND).exit_code == 1
    campaign_id = todays_campaign()
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    office_move.to_old()
    assert mailer("resume", campaign_id, "--retry-failed", "--yes").exit_code == 0
    office_move.to_team()
    refused = mailer(*SEND)
    words = said(refused)
    assert refused.exit_code == 1 and len(mailed(standin)) == 3, refused.output
    assert "does not know of" not in words, words
    assert (
        f"holds 1 live send ({campaign_id}) that went out to more journalists there after it was carried over into this delivery log"
        in words
    ), words
    assert "would mail again journalists who already had a release it sent" in words, words
    assert "Carry that log over again (it adds who had them since): mailer carry-over" in words, words


PROXY_PAGE = b"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n"


@pytest.mark.sqlite_only
def test_two_400_pages_that_are_not_sendgrids_stop_the_send_with_a_hint_at_the_proxy_or_api_url(
    tmp_path: Path, standin: Any, database: str
) -> None:
    """A proxy (or another network device) between the office and SendGrid answers every request "400 Bad Request" with
    an HTML page, not SendGrid's list of errors. The send stops after two, as it should, but it said SendGrid refused
    the request and to fix "what SendGrid names" in mailer.toml or the release, which names nothing. It now says
    the answer was not SendGrid's and to check [sendgrid] api_url and the proxy settings; the page's markup stays out."""
    office(tmp_path, standin, f"sqlite:///{tmp_path / 'log.db'}", beat=BEAT, batch_size=1, sendgrid="retries = 0\nconcurrency = 1\n")
    standin.answer(400, times=100, body=PROXY_PAGE, headers={"Content-Type": "text/html"})
    sent = mailer(*SEND)
    words = said(sent)
    assert sent.exit_code == 1 and not mailed(standin), sent.output
    assert "nobody else was mailed" in words, words
    assert "Fix what SendGrid names" not in words and "SendGrid refused the request" not in words, words
    assert "without SendGrid's list of errors" in words and '"400 Bad Request"' in words, words
    assert "not SendGrid but a proxy or another network device" in words, words
    assert "Check [sendgrid] api_url in mailer.toml" in words and "proxy" in words.split("Check [sendgrid] api_url")[1], words
    assert f"mailer resume {todays_campaign()} --retry-failed" in words, words
    assert "<" not in sent.output.replace("<press@example.org>", ""), sent.output
    status = said(mailer("status", todays_campaign()))
    assert "without SendGrid's list of errors" in status and "<" not in status.replace("<press@example.org>", ""), status


BUDGET = ("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")


def test_a_journalist_forgotten_in_the_old_log_after_the_carry_over_is_named_with_what_to_run_in_the_new(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana had the example release from the old log; the office moved to the team's log and sent her the budget from it.
    Then she asked to be forgotten, and a colleague still on the old log ran `mailer forget` there. Carry-over run
    again (as the team's refusal says) took her carried rows out, but her rows of the team's own budget send stayed,
    name and outlet, and nothing said so: the press officer believed her erased. Carry-over now names her, what this
    log still holds of her and the command that erases it; once run, carry-over says nothing more of her."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer(*SEND).exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    assert mailer(*BUDGET).exit_code == 0
    office_move.to_old()
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    office_move.to_team()
    refused = mailer(*BUDGET)  # a third release would be refused the same way: her forgetting is not known here yet
    assert refused.exit_code == 1 and "holds 1 suppressed address" in said(refused), refused.output

    again = mailer("carry-over", "out/mailer.db")
    words = said(again)
    assert again.exit_code == 0, again.output
    assert (
        "ana@daily.example was forgotten there (mailer forget): their carried rows are erased here, and this log never mails "
        "them; but this log's own sends still hold their data (1 message row in 1 campaign: "
    ) in words, words
    assert "To erase them here too: mailer forget ana@daily.example --yes" in words, words
    contact = said(mailer("contact", "ana@daily.example"))
    assert "Daily News" in contact, contact  # what is left, as carry-over said

    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    contact = said(mailer("contact", "ana@daily.example"))
    assert "Daily News" not in contact and "forgotten" in contact, contact
    last = mailer("carry-over", "out/mailer.db")
    assert last.exit_code == 0 and "ana@daily.example" not in last.output, last.output


@pytest.mark.sqlite_only
def test_campaigns_contact_status_and_follow_ups_on_the_new_log_tell_of_the_campaigns_carried_over(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """The office sent the example release from its old log, then moved to the team's and carried it over. On the team's
    log, `mailer campaigns` said "No campaigns yet", `mailer contact` said no campaign was ever sent to Ana, and
    `mailer status`, `mailer report` and `--follow-up` said the log held no such campaign (suggesting a typo or another
    office's). The list and the history now show what was carried, marked with the old log's path; status, report and a
    follow-up say the campaign was sent from that log, what this one keeps of it, and where to go instead; nobody is mailed."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer(*SEND).exit_code == 0
    campaign_id = todays_campaign()
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    old = str(tmp_path / "out" / "mailer.db")
    standin.reset()

    listed = mailer("campaigns")
    words = said(listed)
    assert listed.exit_code == 0 and "No campaigns yet" not in words, listed.output
    assert f"Carried over from {old} (mailer carry-over):" in words and campaign_id in words, words
    assert "3 journalists had it" in words, words

    contact = mailer("contact", "ana@daily.example")
    words = said(contact)
    assert contact.exit_code == 0 and "No campaign in the delivery log was sent" not in words, contact.output
    assert f"1 campaign sent from {old}, carried over into this log:" in words and campaign_id in words, words
    assert "Riverbend Beekeepers" in words and "its opens, clicks and bounces are in that log" in words, words
    as_json = mailer("contact", "ana@daily.example", "--json")
    import json

    history = json.loads(as_json.stdout)
    assert [(c["campaign"], c["origin"]) for c in history["carried"]] == [(campaign_id, old)], history
    assert history["mailed"] is True and history["campaigns"] == [], history

    for command in (("status", campaign_id), ("report", campaign_id)):
        refused = mailer(*command)
        words = said(refused)
        assert refused.exit_code == 1, refused.output
        assert f"{campaign_id} was sent from {old}, not from this delivery log" in words, words
        assert "Did you mean" not in words and "another office's" not in words, words
        assert f'[database] url = "sqlite:///{old}"' in words, words

    for command in ("resume", "cancel"):
        refused = mailer(command, campaign_id, "--yes")
        words = said(refused)
        assert refused.exit_code == 1 and f"{campaign_id} was sent from {old}, not from this delivery log" in words, words
        assert f"mailer --config old.toml {command} {campaign_id} Then run mailer carry-over here again" in words, words

    follow = mailer("send", "releases/example.md", "--follow-up", campaign_id, "--who", "not-opened", "--yes", "--no-test-ok")
    words = said(follow)
    assert follow.exit_code == 1 and not mailed(standin), follow.output
    assert f"{campaign_id} was sent from {old}, not from this delivery log" in words, words
    assert "a follow-up from here cannot choose its journalists" in words, words
    assert "Then run mailer carry-over here again" in words, words


@pytest.mark.sqlite_only
def test_a_suppressed_journalist_forgotten_in_the_old_log_after_the_carry_over_is_named_by_the_next_send(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana had the release from the old log, then bounced; the office carried the log over (her bounce came too). Later she
    asked to be forgotten and a colleague ran `mailer forget` on the old log. The team's log already suppresses her, so its
    sends were not refused and nothing asked for carry-over again: her address stayed among the carried rows for good.
    A send from the team's log now says so, with the command; it is not refused (she is not mailed either way)."""
    from sqlalchemy import create_engine, select

    from mailer.store.schema import carried_message

    team = new_db_url()
    office_move = moved(tmp_path, standin, team)
    assert mailer(*SEND).exit_code == 0
    assert mailer("suppressions", "add", "ana@daily.example", "--reason", "bounced").exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    office_move.to_old()
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    office_move.to_team()
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    standin.reset()
    sent = mailer(*BUDGET)
    words = said(sent)
    assert sent.exit_code == 0 and sorted(mailed(standin)) == ["ben@gazette.example", "cleo@herald.example"], sent.output
    assert "forgot 1 journalist since it was carried over into this delivery log" in words, words
    assert "Run mailer carry-over" in words, words
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    engine = create_engine(team)
    try:
        with engine.connect() as connection:
            assert "ana@daily.example" not in set(connection.scalars(select(carried_message.c.email_key)))
    finally:
        engine.dispose()
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget 2"\n---\nThe budget, again.\n', encoding="utf-8")
    again = mailer(*BUDGET)
    assert again.exit_code == 0 and "forgot 1 journalist" not in said(again), again.output


@pytest.mark.sqlite_only
def test_forgetting_on_the_new_log_names_the_old_log_that_still_holds_the_journalist(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana asked to be forgotten after the office moved to the team's log; the press officer ran `mailer forget` there.
    It erased her from the team's log and its carried rows, and said nothing of out/mailer.db, which carry-over never
    changes: her name, outlet and events stayed in the office's old log. Forget now names that log and how to erase her
    there; once done there, forget on the team's log says nothing of it."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer(*SEND).exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    old = tmp_path / "out" / "mailer.db"

    forgot = mailer("forget", "ana@daily.example", "--yes")
    words = said(forgot)
    assert forgot.exit_code == 0, forgot.output
    assert (
        f"{old}, the log this office used before, still holds ana@daily.example: carry-over never changes it, so it was not erased there"
    ) in words, words
    assert f'[database] url = "sqlite:///{old}"' in words and "mailer --config old.toml forget ana@daily.example --yes" in words, words
    assert json_of(mailer("forget", "ana@daily.example", "--yes", "--json"))["earlier_log"] == str(old)

    office_move.to_old()
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    office_move.to_team()
    again = mailer("forget", "ana@daily.example", "--yes")
    assert again.exit_code == 0 and "the log this office used before" not in said(again), again.output


def json_of(result: Any) -> Any:
    import json

    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.sqlite_only
def test_a_forgotten_journalist_who_asked_the_new_log_to_mail_her_again_is_not_forgotten_again_by_a_carry_over(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana was forgotten in the old log, and that came over with the carry-over. Months later she asked to get the releases
    again: the team's log took her off its list (`suppressions remove --forgotten`) and mailed her the budget. A second
    carry-over put "forgotten" back over the newer word, so she was never mailed again, and (with the note carry-over now
    gives) told the press officer to erase her data. The newer word stands, as for any other suppression lifted here."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer(*SEND).exit_code == 0
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    assert mailer("suppressions", "add", "ben@gazette.example", "--reason", "bounced").exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    lifted = mailer("suppressions", "remove", "ana@daily.example", "--forgotten", "--reason", "asked to be mailed again")
    assert lifted.exit_code == 0, lifted.output
    (tmp_path / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nThe budget.\n', encoding="utf-8")
    standin.reset()
    budget = mailer(*BUDGET)
    assert budget.exit_code == 0 and "ana@daily.example" in mailed(standin), budget.output

    again = mailer("carry-over", "out/mailer.db")
    words = said(again)
    assert again.exit_code == 0, again.output
    assert "To erase them here too" not in words, words
    assert "ana@daily.example: suppressed there, but taken off this log's list since: left off it." in words, words
    contact = said(mailer("contact", "ana@daily.example"))
    assert "Suppressed: no" in contact, contact


@pytest.mark.sqlite_only
def test_a_team_log_that_took_every_carried_suppression_off_its_list_is_not_refused_for_holding_none(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """The old log held one suppression, Zoe's unsubscribe, and no live send; the office carried it over, then Zoe asked to
    get the releases again and the team's log took her off its list. Its first live send was refused "holds 1 suppressed
    address that this delivery log does not know of", though it was carried, and carry-over run again (leaving her off,
    rightly) changed nothing: no send could go out until some other address was suppressed. It goes out now, to her too."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer("suppressions", "add", "zoe@left.example", "--reason", "unsubscribed").exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    assert mailer("suppressions", "remove", "zoe@left.example", "--reason", "asked to be mailed again").exit_code == 0
    (tmp_path / "lists" / "beat.csv").write_text(BEAT + "zoe@left.example,Zoe,Left\n", encoding="utf-8")
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example", "cleo@herald.example", "zoe@left.example"]


@pytest.mark.sqlite_only
def test_a_bounce_added_to_an_old_log_of_suppressions_only_after_its_carry_over_refuses_the_new_logs_send(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """The old log held suppressions and no live send (the office had only tested); it was carried over. A colleague still on
    it then added Cleo's bounce there. With no campaign carried, the team's log had no time of the carry-over to compare
    with, so its send mailed Cleo. It is refused until carry-over runs again, as after a carry-over of live sends."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer("suppressions", "add", "zoe@left.example", "--reason", "unsubscribed").exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    office_move.to_old()
    assert mailer("suppressions", "add", "cleo@herald.example", "--reason", "bounced").exit_code == 0
    office_move.to_team()
    refused = mailer(*SEND)
    assert refused.exit_code == 1 and not mailed(standin), refused.output
    assert "holds 1 suppressed address that this delivery log" in said(refused), refused.output
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    sent = mailer(*SEND)
    assert sent.exit_code == 0 and sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], sent.output


@pytest.mark.sqlite_only
def test_a_bounce_lifted_on_the_team_log_does_not_lift_a_forgetting_the_old_log_made(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Ana bounced in the old log, which was carried over. Then a colleague still on the old log forgot her at her request;
    later, not knowing that, the team took her bounce off its list. Only `suppressions remove --forgotten` lifts a
    forgetting: the next carry-over brings it over, and she is not mailed."""
    office_move = moved(tmp_path, standin, new_db_url())
    assert mailer("suppressions", "add", "ana@daily.example", "--reason", "bounced").exit_code == 0
    assert mailer("suppressions", "add", "zoe@left.example", "--reason", "unsubscribed").exit_code == 0
    office_move.to_team()
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    office_move.to_old()
    assert mailer("forget", "ana@daily.example", "--yes").exit_code == 0
    office_move.to_team()
    assert mailer("suppressions", "remove", "ana@daily.example", "--reason", "mail server fixed").exit_code == 0
    again = mailer("carry-over", "out/mailer.db")
    assert again.exit_code == 0 and "ana@daily.example: suppressed there" not in again.output, again.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0 and sorted(mailed(standin)) == ["ben@gazette.example", "cleo@herald.example"], sent.output
