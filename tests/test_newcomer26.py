"""Newcomer 26: the communications unit of a Canadian federal department in Ottawa, bilingual
(every release in English and French; Québec, Montréal, Radio-Canada, "Éric Côté"), one officer on
a laptop with SQLite, then the team on a shared PostgreSQL log. Each test is a finding, through the
command line, and failed before its fix (session 26)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailer, office, said

# -- 1. an empty new PostgreSQL log: the preview said it was "not yet set up for this version" ---------


@pytest.mark.postgresql
def test_a_preview_on_a_new_empty_shared_log_does_not_ask_for_an_upgrade(logged: Path, database: str) -> None:
    """The team's new PostgreSQL database has no tables until the first send writes them. A preview on
    it said "The delivery log ... is not yet set up for this version of press-mailer", which reads as
    "someone must upgrade it" although nothing is wrong: an empty log has scheduled nothing."""
    result = mailer("preview", "releases/example.md")
    assert result.exit_code == 0, result.output
    assert "not yet set up" not in said(result)
    assert "Could not look" not in said(result)


# -- 2. `--follow-up latest` on a shared log took a colleague's campaign -------------------------------


def test_a_follow_up_of_latest_on_a_shared_log_is_of_this_office_folders_send(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Sophie (Ottawa) sends her release to her beat; an hour later Éric, in his own folder on the
    team's shared log, sends another release to his. Sophie's `--follow-up latest --who not-opened`
    then followed up Éric's send: his journalists would get her reminder. `latest` for a follow-up is
    the newest live send made from this office folder; a colleague's is named by its id."""
    sophie = office(tmp_path / "sophie", standin, db_url)
    eric = office(tmp_path / "eric", standin, db_url, beat="Email,First Name\nmarc@ledevoir.example,Marc\n")
    os.chdir(sophie)
    hers = campaign_of(mailer(*SEND))
    os.chdir(eric)
    (eric / "releases" / "budget.md").write_text('---\nsubject: "Budget"\n---\nLe budget.\n', encoding="utf-8")
    his = campaign_of(mailer("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok"))
    os.chdir(sophie)
    (sophie / "releases" / "reminder.md").write_text('---\nsubject: "Reminder"\n---\nA reminder.\n', encoding="utf-8")
    follow = mailer("send", "releases/reminder.md", "--follow-up", "latest", "--who", "not-opened", "--dry-run")
    assert follow.exit_code == 0, follow.output
    assert f"latest is {hers} (live, created" in follow.output, follow.output
    assert his not in follow.output and "marc@" not in follow.output
    # Éric's send is still followed up by its id, from anywhere.
    named = mailer("send", "releases/reminder.md", "--follow-up", his, "--who", "not-opened", "--dry-run")
    assert named.exit_code == 0 and "Recipients: 1" in named.output, named.output
    # A folder that never sent live is told which sends the log holds, not given a colleague's.
    other = office(tmp_path / "new", standin, db_url)
    os.chdir(other)
    none = mailer("send", "releases/example.md", "--follow-up", "latest", "--who", "not-opened", "--dry-run")
    assert none.exit_code == 1, none.output
    assert f"the newest is {his}" in said(none), none.output


# -- 3. the summary spreadsheet did not say which release it is about ---------------------------------


def test_the_summary_spreadsheet_names_its_campaign_and_subject(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The director gets summary.xlsx by email, beside last week's: it held the figures only (no
    campaign id, no subject), so nobody could tell which release they were about. The CSV too."""
    from openpyxl import load_workbook

    office(tmp_path, standin, db_url)
    (tmp_path / "releases" / "budget.md").write_text(
        '---\nsubject: "Québec et Montréal : le budget fédéral"\n---\nÉric Côté annonce le budget.\n', encoding="utf-8"
    )
    campaign = campaign_of(mailer("send", "releases/budget.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok"))
    assert mailer("report", campaign, "-o", "summary.xlsx").exit_code == 0
    sheet = load_workbook("summary.xlsx").active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    # In columns, not first rows with empty counts (office 27: those broke a script reading the counts).
    assert rows[0][-2:] == ("campaign", "subject") and rows[1][-2:] == (campaign, "Québec et Montréal : le budget fédéral"), rows
    assert ("Recipients", 2) in [r[:2] for r in rows] or any(r[0] == "Accepted by SendGrid" for r in rows), rows
    assert mailer("report", campaign, "-o", "summary.csv").exit_code == 0
    text = (tmp_path / "summary.csv").read_text(encoding="utf-8-sig")
    assert f",{campaign},Québec et Montréal : le budget fédéral\n" in text, text


# -- 4. "gmail.con" and "hotmial.com" passed `lists check` without a word ------------------------------


def test_lists_check_warns_of_a_misspelt_mail_provider(tmp_path: Path) -> None:
    """A Cision export typed by hand: "gmail.con", "hotmial.com" and "videotron.qc" are valid
    addresses, so `lists check` counted them as recipients and said nothing; the send then bounced
    (and a bounce suppresses). They are still recipients, but the check names each row and the
    provider meant. Real domains near a provider's (mail.com, ymail.com, a newsroom's) are left alone."""
    (tmp_path / "cision.csv").write_text(
        "\ufeffEmail;Name;Outlet\n"
        "eric.cote@gmail.con;Côté, Éric;Radio-Canada\n"
        "marie@hotmial.com;Tremblay, Marie;Le Devoir\n"
        "luc@videotron.ca;Roy, Luc;La Presse\n"
        "ana@mail.com;Lima, Ana;Daily\n"
        "ben@ymail.com;Okafor, Ben;Gazette\n"
        "zoe@lapresse.ca;Zoé;La Presse\n",
        encoding="utf-8",
    )
    result = mailer("lists", "check", "cision.csv")
    assert result.exit_code == 0, result.output
    text = said(result)
    assert "recipients: 6" in text, result.output
    assert 'row 2: eric.cote@gmail.con: is "gmail.con" a typo of gmail.com?' in text, result.output
    assert 'row 3: marie@hotmial.com: is "hotmial.com" a typo of hotmail.com?' in text, result.output
    for fine in ("luc@", "ana@", "ben@", "zoe@"):
        assert f"{fine}" not in text.split("misspelt", 1)[-1], result.output
    data = mailer("lists", "check", "cision.csv", "--json")
    import json

    found = json.loads(data.stdout)["misspelt_domains"]
    assert [(r["row"], r["email"], r["likely"]) for r in found] == [
        (2, "eric.cote@gmail.con", "gmail.com"),
        (3, "marie@hotmial.com", "hotmail.com"),
    ]


# -- 6. forget and suppressions add told the scheduled time in UTC alone -------------------------------


def test_forget_and_suppress_say_a_held_sends_time_on_the_office_clock(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The Ottawa office ([reports] time_zone = "America/Toronto") scheduled its release for 07:00
    Ottawa time; every command said "12:00 UTC (07:00 America/Toronto)", but `mailer forget` and
    `mailer suppressions add` warned "SendGrid still holds an email for ... scheduled for
    2026-12-03 12:00 UTC" alone: the officer read noon, and thought there was time to spare."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    office(tmp_path, standin, db_url)
    with (tmp_path / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "America/Toronto"\n')
    ottawa = ZoneInfo("America/Toronto")
    day = (datetime.now(UTC).astimezone(ottawa) + timedelta(days=1)).date()
    at = datetime(day.year, day.month, day.day, 7, 0, tzinfo=ottawa)
    assert mailer(*SEND, "--at", f"{day:%Y-%m-%d} 07:00 America/Toronto").exit_code == 0
    local = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC (07:00 America/Toronto)"
    suppressed = mailer("suppressions", "add", "ben@gazette.example", "--reason", "a demandé par téléphone")
    assert f"scheduled for {local}" in said(suppressed), suppressed.output
    forgotten = mailer("forget", "ana@daily.example", "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert f"scheduled for {local}" in said(forgotten), forgotten.output


# -- 7. the team's new shared log: the laptop's bounced and forgotten journalists were mailed again -----


def test_a_first_live_send_from_a_new_shared_log_is_refused_while_this_folders_old_log_holds_suppressions(
    tmp_path: Path, standin: Any, new_db_url: Any, database: str
) -> None:
    """Sophie worked alone on out/mailer.db: Luc bounced, Hélène asked to be forgotten. The team
    moved to PostgreSQL: she set [database] url and sent the next release with --yes. The new log
    knew neither, so both were mailed again (a forgotten journalist included). A first live send from
    a log without suppressions, while this office folder's earlier log holds some, is refused, saying
    how to carry them over; once carried, it goes, and they are skipped."""
    folder = office(tmp_path, standin, f"sqlite:///{tmp_path / 'out' / 'mailer.db'}")
    (folder / "out").mkdir(exist_ok=True)
    beat = "Email,Name\neric.cote@radio-canada.example,Éric Côté\nluc.roy@gmail.con,Luc Roy\nhelene@hotmail.com,Hélène Bouchard\n"
    (folder / "lists" / "beat.csv").write_text(beat, encoding="utf-8")
    assert mailer(*SEND).exit_code == 0
    assert mailer("suppressions", "add", "luc.roy@gmail.con", "--reason", "bounced").exit_code == 0
    assert mailer("forget", "helene@hotmail.com", "--yes").exit_code == 0
    old = (folder / "mailer.toml").read_text(encoding="utf-8")
    shared = new_db_url()
    (folder / "mailer.toml").write_text(old.replace(f"sqlite:///{tmp_path / 'out' / 'mailer.db'}", shared), encoding="utf-8")
    (folder / "releases" / "next.md").write_text('---\nsubject: "Budget"\n---\nLe budget.\n', encoding="utf-8")
    before = len(standin.mail_sends)
    refused = mailer("send", "releases/next.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert refused.exit_code == 1, refused.output
    assert len(standin.mail_sends) == before
    text = said(refused)
    assert "out/mailer.db" in text and "2 suppressed addresses" in text, refused.output
    assert "mailer carry-over" in text, refused.output
    # Carried over as the hint says (logs27: one command, which carries who had which release too): the send goes, without them.
    assert mailer("carry-over", "out/mailer.db").exit_code == 0
    sent = mailer("send", "releases/next.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    addressed = [p["to"][0]["email"] for r in standin.mail_sends[before:] for p in r.body["personalizations"]]
    assert addressed == ["eric.cote@radio-canada.example"]


# -- 8. the send's plan said nothing of "gmail.con" either ------------------------------------------


def test_the_send_plan_warns_of_misspelt_addresses(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An officer who sends without `lists check` first saw "Recipients: 3" and no word of
    luc.roy@gmail.con: it bounced, and the bounce suppressed Luc. The plan (dry run and live) warns,
    naming the address and the domain meant."""
    office(tmp_path, standin, db_url, beat="Email,Name\neric@radio-canada.example,Éric\nluc.roy@gmail.con,Luc\nmarie@hotmial.com,Marie\n")
    dry = mailer(*SEND, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        "2 addresses may be misspelt: luc.roy@gmail.con (gmail.com?), marie@hotmial.com (hotmail.com?). "
        "mailer lists check names their rows." in said(dry)
    ), dry.output
