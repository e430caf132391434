"""Fix 13n: small things a press officer found in her first week, each shown from her side."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from office_cli import campaign_of, mailer, office, said

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv")


def correct(project: Path, old: str, new: str) -> None:
    release = project / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    assert old in text
    release.write_text(text.replace(old, new), encoding="utf-8")


# -- 1. a second correction names the latest campaign it corrects ---------------------------------


def test_a_second_correction_names_the_correction_it_follows(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Sent, corrected and sent again (yes to the correction question), then corrected once more:
    the journalists last got the first correction, so the warning names that campaign, not the
    first send."""
    office(tmp_path, standin, db_url)
    first = campaign_of(mailer(*SEND, "--yes", "--no-test-ok"))
    correct(tmp_path, "1.2 million", "1.3 million")
    second = mailer(*SEND, "--yes", "--no-test-ok")
    assert second.exit_code == 0, second.output
    assert f"earlier version of this release ({first})" in said(second), second.output
    correct(tmp_path, "412 volunteers", "421 volunteers")
    third = mailer(*SEND, "--dry-run")
    assert f"earlier version of this release ({campaign_of(second)})" in said(third), third.output


# -- 2. counts of one read "1 journalist", never "1 journalists" ----------------------------------

ONE = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\n"
WRONG_PLURAL = re.compile(r"(?<![\d,.])1 (journalists|recipients|rows|addresses|suppressed addresses)\b")


def test_a_one_journalist_list_is_counted_in_the_singular(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A one-journalist list through check, clean, a send, the same send again, a follow-up and a
    prune: every count of one reads "1 journalist" ("the 1 journalist"), never "1 journalists"."""
    office(tmp_path, standin, db_url, beat=ONE)
    outputs = [
        mailer("lists", "check", "lists/beat.csv"),
        mailer("lists", "clean", "lists/beat.csv", "-o", "lists/clean.csv"),
        mailer(*SEND, "--dry-run", "--eml", "all"),
    ]
    sent = mailer(*SEND, "--yes", "--no-test-ok")
    again = mailer(*SEND, "--yes", "--no-test-ok")
    follow = mailer("send", "releases/example.md", "--follow-up", campaign_of(sent), "--who", "delivered", "--dry-run")
    pruned = mailer("lists", "prune", "lists/beat.csv", "-o", "lists/pruned.csv")
    outputs += [sent, again, follow, pruned]
    assert "Nobody to send to: the 1 journalist already received this exact release." in said(again), again.output
    for result in outputs:
        assert result.exit_code in (0, 1) and "Usage:" not in result.output, result.output
        assert not WRONG_PLURAL.search(result.output), result.output


# -- 3. `latest` in a report or follow-up is the latest send that went out (or is scheduled) -------


def test_report_latest_skips_a_cancelled_send(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Sent this morning; a second send scheduled for tomorrow, then cancelled. `mailer report
    latest` and `--follow-up latest` are about this morning's send, which went out: they say so
    and use it, not the cancelled one that reached nobody."""
    from datetime import UTC, datetime, timedelta

    office(tmp_path, standin, db_url)
    sent = campaign_of(mailer(*SEND, "--yes", "--no-test-ok"))
    at = (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0).isoformat()
    (tmp_path / "lists" / "more.csv").write_text("Email,First Name\ncleo@weekly.example,Cleo\n", encoding="utf-8")
    later = mailer("send", "releases/example.md", "--list", "lists/more.csv", "--yes", "--no-test-ok", "--at", at)
    cancelled = campaign_of(later)
    assert mailer("cancel", cancelled).exit_code == 0
    report = mailer("report", "latest")
    assert report.exit_code == 0, report.output
    assert f"latest is {sent} (live, created" in report.output, report.output
    follow = mailer("send", "releases/example.md", "--follow-up", "latest", "--who", "not-opened", "--dry-run")
    assert f"latest is {sent} (live, created" in follow.output, follow.output
    status = mailer("status", "latest")
    assert f"latest is {cancelled} (live, cancelled, created" in status.output, status.output


# -- 6. the sandbox warning of a test send in several languages is said once ----------------------


def test_a_sandbox_test_send_in_two_languages_warns_once(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer test` of a release with a French version, with `[sendgrid] sandbox = true`: one
    test campaign per version, but the sandbox warning once."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    (tmp_path / "releases" / "bees.md").write_text(
        '---\nsubject: "Bee census"\n---\nThe census counted 1.2 million bees.\n', encoding="utf-8"
    )
    (tmp_path / "releases" / "bees.fr.md").write_text(
        '---\nsubject: "Recensement des abeilles"\n---\nLe recensement a compté 1,2 million d’abeilles.\n', encoding="utf-8"
    )
    tested = mailer("test", "releases/bees.md", "--to", "desk@example.org")
    assert tested.exit_code == 0, tested.output
    assert said(tested).count("sandbox = true") == 1, tested.output
    assert "SendGrid checks these test sends (every language version) and delivers them to nobody" in said(tested), tested.output


# -- 4. a staff row named for an office is greeted with the release's default -------------------


def text_of(body: dict[str, Any], personalization: dict[str, Any]) -> str:
    """The plain-text part one recipient reads: the request's text with their substitutions made."""
    text = next(part["value"] for part in body["content"] if part["type"] == "text/plain")
    for key, value in personalization.get("substitutions", {}).items():
        text = text.replace(key, value)
    return text


def test_a_test_send_to_the_press_office_row_uses_the_greetings_default(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The staff list's "Press Office" row (an office, not a person) was greeted "Dear Press,":
    like a row without a first name, it gets the release's default ("Dear colleague,"); Dana
    Fields is still "Dear Dana,"."""
    office(tmp_path, standin, db_url)
    (tmp_path / "releases" / "greet.md").write_text(
        '---\nsubject: "Bee census"\n---\nDear {{ contact.first_name | default("colleague") }},\n\nThe census counted 1.2 million bees.\n',
        encoding="utf-8",
    )
    tested = mailer("test", "releases/greet.md")
    assert tested.exit_code == 0, tested.output
    bodies = {p["to"][0]["email"]: text_of(r.body, p) for r in standin.mail_sends for p in r.body["personalizations"]}
    assert "Dear Press," not in bodies["press@example.org"], bodies["press@example.org"]
    assert "Dear colleague," in bodies["press@example.org"], bodies["press@example.org"]
    assert "Dear Dana," in bodies["dana.fields@example.org"], bodies["dana.fields@example.org"]


def test_names_of_teams_and_offices_give_no_first_name() -> None:
    """A full-name cell naming a team or an office has no first name (its whole text stays the
    last name, so reports still name the row); a person's name still splits."""
    import pyarrow as pa

    from mailer.contacts.names import split_names

    cells = ["Press Office", "Newsroom", "Rédaction Paris", "Pressestelle", "Dana Fields", "Media Relations Team", "Raj Patel"]
    cells += ["Jean Bureau", "Robert Service"]  # surnames that are also words for an office
    first, last, _ = split_names(pa.array(cells, type=pa.large_string()))
    assert first.to_pylist() == ["", "", "", "", "Dana", "", "Raj", "Jean", "Robert"]
    assert last.to_pylist() == [
        *["Press Office", "Newsroom", "Rédaction Paris", "Pressestelle", "Fields", "Media Relations Team", "Patel"],
        *["Bureau", "Service"],
    ]


# -- 5. --quiet: a send says its totals and what went wrong, not its whole plan -------------------

PLAN_LINES = ("Mode:", "Subject:", "From:", "Lists:", "Recipients:", "Skipped:", "Requests:", "Scheduled:", "Left:")


def test_a_quiet_send_prints_its_totals_not_its_plan(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`-q` promises only errors, warnings and the output asked for: a quiet send prints the
    campaign it made and its totals line, not the plan; a quiet live send without a terminal still
    needs --yes."""
    office(tmp_path, standin, db_url)
    refused = mailer(*SEND, "-q", "--no-test-ok")
    assert refused.exit_code == 1, refused.output
    assert "Add --yes" in refused.output and not standin.mail_sends, refused.output
    sent = mailer(*SEND, "-q", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    lines = sent.output.splitlines()
    assert [line for line in lines if line.startswith(PLAN_LINES)] == [], sent.output
    assert lines[-1] == "Accepted:   2   failed: 0   unknown: 0   not sent yet: 0   skipped: 0", sent.output
    (tmp_path / "lists" / "more.csv").write_text("Email,First Name\ncleo@weekly.example,Cleo\n", encoding="utf-8")
    dry = mailer("send", "releases/example.md", "--list", "lists/more.csv", "-q", "--dry-run")
    assert [line for line in dry.output.splitlines() if line.startswith((*PLAN_LINES, "Log:"))] == [], dry.output


def test_a_quiet_resume_prints_its_totals_not_its_plan(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A quiet resume of a send SendGrid stopped (a 401) prints the totals, not "Campaign: ... Left: ..."."""
    office(tmp_path, standin, db_url)
    standin.answer(401, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok")
    assert stopped.exit_code != 0, stopped.output
    resumed = mailer("-q", "resume", campaign_of(stopped), "--yes")
    assert resumed.exit_code == 0, resumed.output
    lines = resumed.output.splitlines()
    assert [line for line in lines if line.startswith((*PLAN_LINES, "Campaign:"))] == [], resumed.output
    assert lines[-1] == "Accepted:   2   failed: 0   unknown: 0   not sent yet: 0   skipped: 0", resumed.output


def test_a_stopped_one_journalist_send_is_counted_in_the_singular(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A one-journalist send stopped by SendGrid (a 401): its status and its resume read "1
    recipient has not been sent yet" and "1 journalist to send to", not "1 recipient(s) have"."""
    office(tmp_path, standin, db_url, beat=ONE)
    standin.answer(401, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok")
    campaign = campaign_of(stopped)
    status = mailer("status", campaign)
    assert "1 recipient has not been sent yet." in said(status), status.output
    resumed = mailer("resume", campaign, "--yes")
    assert "Left: 1 journalist to send to" in said(resumed), resumed.output
    for result in (stopped, status, resumed):
        assert "(s)" not in result.output, result.output
