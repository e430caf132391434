# ruff: noqa: F811  (the `project` fixture, imported from test_languages_send, is each test's argument)
"""Session 11: sends that stalled or stopped must neither mail anyone twice nor strand anyone.

- A send paused (computer asleep, process stopped) for longer than ``lease.STALLED`` may no longer
  send: from then on other sends were told its journalists were nobody's.
- Journalists a resume left to another send "sending to them right now" are mailed by the next
  resume when that send stopped, or was cancelled, without them (review 10c #7).
- A send stopped, then completed by a correction, ends "done" on resume instead of staying paused (newcomer 10 #2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from send_fixtures import states
from sqlalchemy import Engine
from test_languages_send import SEND, SUBJECTS, WHO_GETS, mailer, project  # noqa: F401
from test_review10 import _sent_to
from test_review10b import _stopped_send
from test_send import run, started

from mailer.errors import SendError
from mailer.send import dispatch, lease
from mailer.send.dispatch import utcnow
from mailer.store.schema import campaign


def test_a_send_asleep_past_the_stalled_limit_stops_and_its_resume_sends_the_rest(
    store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The laptop sleeps for 31 minutes while a request waits to be retried after a 429. When it
    wakes, the request it had already listed in flight goes (it counted as reached for everyone),
    but no new request leaves: the run stops saying why, and `mailer resume` sends the rest once."""
    campaign_id, built = started(store, 20)
    monkeypatch.setattr(dispatch, "RENEW_EVERY", timedelta(0))  # every round renews, as after a long sleep
    standin.rate_limit(times=1)
    slept: list[float] = []

    def asleep_for_31_minutes(seconds: float) -> None:
        slept.append(seconds)
        with store.begin() as connection:  # the lease expired 31 minutes ago, as the computer wakes
            expired = utcnow() - lease.STALLED - timedelta(minutes=1)
            connection.execute(campaign.update().where(campaign.c.id == campaign_id).values(lease_expires=expired))

    with pytest.raises(SendError) as stopped:
        run(store, standin, campaign_id, sleep=asleep_for_31_minutes)
    assert slept, "the stand-in's 429 made the run wait"
    assert "paused for more than 30 minutes" in stopped.value.message
    assert f"mailer resume {campaign_id}" in (stopped.value.hint or "")
    assert Counter(states(store, campaign_id).values()) == Counter({"accepted": 10, "planned": 10})
    assert run(store, standin, campaign_id).counts["accepted"] == 20
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def _everyone_their_version() -> dict[str, str]:
    return {email: SUBJECTS[language] for email, language in WHO_GETS.items()}


def left_to_another_terminal(project: Path, standin: Any) -> tuple[str, str]:
    """Two stopped sends of the release plan the same six journalists (the second made with
    --include-previous). The first is resumed in one terminal (a live process holds its lease); the
    second, resumed in another meanwhile, leaves the six to it ("is sending to them right now");
    then the first's process stops without mailing anyone (its lease released). Returns both ids."""
    from mailer import config
    from mailer.send import lease
    from mailer.send.dispatch import utcnow
    from mailer.store import campaigns, connect
    from mailer.store.schema import LEASE_HOLDER_MARK

    first = _stopped_send(project, standin)
    standin.answer(503, times=100)
    second_send = mailer(*SEND, "--include-previous", "--yes")
    standin.reset()
    [second] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout) if c["id"] != first]
    assert "6 planned" in mailer("status", second).stdout, second_send.output
    resuming = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # the first one's resume
    try:
        engine = connect(config.from_environment().database.url)
        with engine.begin() as connection:
            now = utcnow()
            holder = LEASE_HOLDER_MARK + "1" * 32
            taken = campaigns.take_lease(
                connection, first, holder=holder, host=lease._host(), pid=resuming.pid, now=now, expires=now + lease.TTL
            )
            assert taken
        resumed = mailer("resume", second, "--yes")
        assert "is sending to them right now" in " ".join(resumed.output.split()), resumed.output
        with engine.begin() as connection:  # Ctrl-C in the first terminal: its lease released, nobody mailed
            campaigns.release_lease(connection, first, holder=holder)
        engine.dispose()
    finally:
        resuming.kill()
        resuming.wait()
    return first, second


def test_journalists_skipped_as_being_sent_by_a_send_that_is_then_cancelled_are_mailed_by_the_resume(project: Path, standin: Any) -> None:
    """The first send of ``left_to_another_terminal``, stopped before its first request, is then
    cancelled, as its message offers ("if it reached nobody, `mailer cancel` calls it off").
    Resuming the second must now mail the six, once each (it said "Nothing to resume: ... has
    nobody to send to", and nobody ever mailed them). Meanwhile they show no version as got."""
    first, second = left_to_another_terminal(project, standin)
    waiting = [s for s in json.loads(mailer("contact", "claire@example.fr", "--json").stdout)["campaigns"] if s["campaign"] == second]
    assert [(s["state"], s["language"]) for s in waiting] == [("skipped", None)]  # no version shown as got (second read)
    cancelled = mailer("cancel", first)
    assert cancelled.exit_code == 0, cancelled.output
    again = mailer("resume", second, "--yes")
    assert again.exit_code == 0, again.output
    assert "Left:       6 journalists to send to" in again.output, again.output
    assert _sent_to(standin) == _everyone_their_version()
    assert "Nothing to resume" in mailer("resume", second, "--yes").output


def test_a_journalist_left_to_a_send_that_then_mailed_them_is_not_taken_back(project: Path, standin: Any) -> None:
    """The other side: the first send, resumed in its terminal, mails the six it was left after all.
    Resuming the second must not take them back: nobody gets the release twice."""
    first, second = left_to_another_terminal(project, standin)
    assert mailer("resume", first, "--yes").exit_code == 0  # the first send mails them after all
    again = mailer("resume", second, "--yes")
    assert "Nothing to resume" in again.output, again.output
    assert _sent_to(standin) == _everyone_their_version()
    assert max(standin.accepted_addresses().values()) == 1


def test_a_stopped_send_that_a_correction_completed_ends_done_on_resume(project: Path, standin: Any) -> None:
    """The send stops after its first request (SendGrid unreachable); the office corrects the English
    figure and sends again, which mails everyone the first send had not (newcomer 10 #2). The first
    send stayed "paused" for ever: `mailer resume` refused (its file changed) and `mailer cancel`
    refused (it had reached some). Its resume now says nobody is left and why, and marks it done;
    nothing is sent."""
    from test_review10 import _correct_english

    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)  # every request after the first
    stopped = mailer(*SEND, "--yes")
    assert stopped.exit_code != 0, stopped.output
    standin.reset()
    [first] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout)]
    assert "paused" in mailer("status", first).stdout
    _correct_english(project)
    corrected = mailer(*SEND, "--yes")
    assert corrected.exit_code == 0, corrected.output
    posted = len(standin.mail_sends)
    resumed = mailer("resume", first, "--yes")
    assert resumed.exit_code == 0, resumed.output
    said = " ".join(resumed.output.split())
    assert f"Nothing to resume: nobody is left to send {first} to." in said, said
    assert "has reached them since" in said and f"{first} is now marked done." in said, said
    assert len(standin.mail_sends) == posted, "a resume with nobody left sent a request"
    assert [c["status"] for c in json.loads(mailer("campaigns", "--json").stdout) if c["id"] == first] == ["done"]


@pytest.mark.parametrize(
    ("cell", "link"),
    [
        ("https://daily.example/ana?x=1&y=2", "https://daily.example/ana?x=1&amp;y=2"),
        ("mailto:ana@daily.example", "mailto:ana@daily.example"),
        ("tel:+4930123", "tel:+4930123"),
        ("www.daily.example/ana", "www.daily.example/ana"),  # no scheme: left as it is
        ("JavaScript:alert(1)", "#"),
        ("vbscript:msgbox", "#"),
        ("data:text/html,<b>x</b>", "#"),
        (" javascript:alert(1)", "%20javascript:alert(1)"),  # a browser reads a path, not a scheme
    ],
)
def test_a_contact_field_as_a_whole_link_address_keeps_web_mail_and_phone_links_only(cell: str, link: str) -> None:
    """[your page]({{ contact.website }}): a list cell becomes the link as it is when it is a web,
    mail or phone address; any other scheme (a script) becomes "#" (review 11s)."""
    from mailer.compose import tokens

    assert tokens.ESCAPES["link"](cell) == link


def test_the_recipients_report_says_why_each_journalist_was_skipped_and_which_list_row(project: Path, standin: Any) -> None:
    """After a live send, every list row is accounted for in the recipients report: a skipped
    journalist's reason in words (which row it repeats, why suppressed) and the list file and row
    it came from (newcomer 11: only a dry run's skipped.csv said so)."""
    import csv

    (project / "beat.csv").write_text(
        "Email,First Name,Outlet\nana@daily.example,Ana,Daily\nANA@daily.example,Ana,Daily\nbo@radio.example,Bo,Radio\n", encoding="utf-8"
    )
    assert mailer("suppressions", "add", "bo@radio.example", "--reason", "asked by phone").exit_code == 0
    sent = mailer("send", "releases/launch.md", "--list", "beat.csv", "--force-embargo", "--yes")
    assert sent.exit_code == 0, sent.output
    assert mailer("report", "latest", "--kind", "recipients", "--all", "--format", "csv", "-o", "r.csv").exit_code == 0
    with open(project / "r.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {(row["email"], row["list and row"]): row for row in csv.DictReader(handle)}
    assert rows[("ana@daily.example", "beat.csv:2")]["why skipped or failed"] == ""
    duplicate = rows[("ANA@daily.example", "beat.csv:3")]
    assert duplicate["state"] == "skipped: duplicate" and "row 2" in duplicate["why skipped or failed"], duplicate
    suppressed = rows[("bo@radio.example", "beat.csv:4")]
    assert suppressed["state"] == "skipped: suppressed" and suppressed["why skipped or failed"], suppressed


def test_a_missing_api_key_is_said_before_the_question(project: Path, standin: Any) -> None:
    """With SENDGRID_API_KEY unset, `mailer send` stops with the key's message before it asks
    "Send this release to N journalists?" (newcomer 11: it asked twice, then said the key was missing)."""
    from click.testing import CliRunner

    from mailer.cli import main

    result = CliRunner().invoke(main, [*SEND], env={"SENDGRID_API_KEY": None}, input="y\ny\n")
    assert result.exit_code == 1, result.output
    assert "No SendGrid API key" in result.output
    assert "Send this release to" not in result.output
    assert standin.mail_sends == []


def test_a_help_examples_campaign_id_suggests_the_real_one(project: Path, standin: Any) -> None:
    """`mailer status 2026-02-19-launch`, pasted from --help with another day's date, names the
    campaign meant, in status and report alike (newcomer 11)."""
    assert mailer(*SEND, "--yes").exit_code == 0
    [sent] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout)]
    for command in (["status", "2026-02-19-launch"], ["report", "2026-02-19-launch"]):
        said = " ".join(mailer(*command).output.split())
        assert 'No campaign "2026-02-19-launch"' in said and f"Did you mean {sent}?" in said, said


def test_suppressions_import_reads_a_do_not_contact_list_and_an_export_with_its_reasons(project: Path, standin: Any) -> None:
    """`mailer suppressions import FILE --reason ...` (newcomer 11: nothing read such a file back):
    an office's own do-not-contact list, exported from Excel (semicolons, Windows-1252, a name
    with the address), is suppressed, a row without an address is named with its file and row;
    a file `suppressions list -o` wrote keeps each address's own reason; the next send skips them."""
    (project / "dnc.csv").write_bytes(
        "Nom;Courriel\r\nHélène Dubois;Helene Dubois <claire@example.fr>\r\nPas d'adresse;n/a\r\n".encode("cp1252")
    )
    imported = mailer("suppressions", "import", "dnc.csv", "--reason", "agency opt-out list")
    assert imported.exit_code == 0, imported.output
    said = " ".join(imported.output.split())
    assert "Suppressed 1 address from dnc.csv." in said, said
    assert "Not imported: dnc.csv row 3" in said, said
    assert mailer("suppressions", "add", "bo@radio.example", "--reason", "asked by phone").exit_code == 0
    assert mailer("suppressions", "list", "-o", "kept.csv").exit_code == 0
    for entry in ("claire@example.fr", "bo@radio.example"):
        assert mailer("suppressions", "remove", entry, "--reason", "moving logs").exit_code == 0
    (project / "unsub.csv").write_text("email,reason,note\nana@daily.example,unsubscribe,one-click link\n", encoding="utf-8")
    again = mailer("suppressions", "import", "kept.csv", "unsub.csv", "--reason", "from the old laptop")
    assert again.exit_code == 0, again.output
    listed = json.loads(mailer("suppressions", "list", "--json").stdout)
    reasons = {entry["email"]: (entry["reason"], entry["note"]) for entry in listed}
    assert reasons["ana@daily.example"] == ("unsubscribe", "one-click link")
    assert reasons["claire@example.fr"] == ("manual", "agency opt-out list")
    assert reasons["bo@radio.example"] == ("manual", "asked by phone")
    sent = mailer(*SEND, "--yes")
    assert sent.exit_code == 0, sent.output
    assert "claire@example.fr" not in standin.accepted_addresses()


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        (
            "[sender]\nfrom_name = Press Office\n",
            'Line 2: the value of from_name is not valid. Text goes in double quotes (from_name = "Press Office")',
        ),
        ("[sender]\npostal_address = 1 Hive Lane, Riverbend\n", "the value of postal_address is not valid. Text goes in double quotes"),
        (
            "[sendgrid]\nbatch_size = five\n",
            'the value of batch_size is not valid. Text goes in double quotes (batch_size = "five"); numbers',
        ),
        ('[database]\nurl = "sqlite://x.db"\n', 'an SQLite file takes three slashes: "sqlite:///x.db"'),
    ],
)
def test_config_mistakes_a_newcomer_makes_say_how_to_fix_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, hint: str
) -> None:
    """An unquoted text value and an SQLite URL with two slashes say what to write instead (newcomer 11)."""
    from click.testing import CliRunner

    from mailer.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mailer.toml").write_text(line, encoding="utf-8")
    result = CliRunner().invoke(main, ["campaigns"])
    assert result.exit_code != 0
    assert hint in " ".join(result.output.split()), result.output


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("cecile@presse.example, cecile.lefevre@autre.example", "two addresses in one cell: give each journalist's address its own row"),
        ("anna@example.org (Radio Ouest)", "text in brackets beside the address: keep only the address"),
        ("bob@example.org;", '";" at the end: remove it'),
        ("mailto:bob@example.org?subject=hi", '"?subject=hi" after the address'),
    ],
)
def test_lists_check_says_what_to_do_with_the_usual_bad_cells(project: Path, cell: str, said: str) -> None:
    """`mailer lists check` names the usual mistakes of a press list in plain words, with the file
    and row, before the validator's own explanation (newcomer 11)."""
    (project / "bad.csv").write_text(f'Email,First Name\n"{cell}",Ana\n', encoding="utf-8")
    checked = " ".join(mailer("lists", "check", "bad.csv").output.split())
    assert "row 2" in checked and said in checked, checked


def test_a_report_to_standard_output_with_dash(project: Path, standin: Any) -> None:
    """`mailer report latest --format csv -o -` writes the CSV to standard output, as a pipe
    expects, not to a file named "-" (newcomer 11); xlsx to "-" is refused in words."""
    assert mailer(*SEND, "--yes").exit_code == 0
    piped = mailer("report", "latest", "--kind", "recipients", "--format", "csv", "-o", "-")
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.startswith("email,name,outlet,"), piped.stdout[:200]  # no byte-order mark in a pipe
    assert not (project / "-").exists()
    refused = mailer("report", "latest", "--format", "xlsx", "-o", "-")
    assert refused.exit_code == 2 and "standard output takes csv (the default) or json" in " ".join(refused.output.split())


def test_lists_check_notes_a_second_address_column(project: Path) -> None:
    """A list with "E-mail" and "Courriel" columns reads only the first; `lists check` says so and
    what it means for a row whose address is only in the second (newcomer 11: it said nothing)."""
    (project / "two.csv").write_text("E-mail,Courriel,Nom\nana@daily.example,,Ana\n,bo@radio.example,Bo\n", encoding="utf-8")
    checked = " ".join(mailer("lists", "check", "two.csv").output.split())
    assert '"Courriel" also looks like an address column, but only "E-mail" is read' in checked, checked
    assert "row 3" in checked, checked


def test_the_clean_command_lists_check_suggests_keeps_a_tab_lists_file_ending(project: Path) -> None:
    """A UTF-16 tab-separated "Unicode text" export (.txt) is cleaned tab-separated, so the command
    `lists check` suggests names .txt files, not .csv ones a spreadsheet would misread (newcomer 11);
    pasted, it works."""
    (project / "export.txt").write_bytes("E-mail\tFirst Name\nana@daily.example\tAna\nnot-an-address\tBo\n".encode("utf-16"))
    checked = mailer("lists", "check", "export.txt").output
    assert "mailer lists clean export.txt -o export-clean.txt --rejects export-rejects.txt" in checked, checked
    cleaned = mailer("lists", "clean", "export.txt", "-o", "export-clean.txt", "--rejects", "export-rejects.txt")
    assert cleaned.exit_code == 0, cleaned.output
    assert (project / "export-clean.txt").read_text(encoding="utf-8-sig").splitlines()[1].startswith("ana@daily.example\t")


def test_a_formula_cell_is_not_called_text_in_brackets(project: Path) -> None:
    """=HYPERLINK("...") has brackets but no address: only the validator's own words (nc11b)."""
    (project / "bad.csv").write_text('Email,First Name\n"=HYPERLINK(""http://example.com"")",Ana\n', encoding="utf-8")
    checked = " ".join(mailer("lists", "check", "bad.csv").output.split())
    assert "An email address must have an @-sign." in checked and "text in brackets" not in checked, checked


def test_suppressions_import_reads_other_tools_reasons_and_keeps_dates(project: Path) -> None:
    """Another tool's export says "Unsubscribed", "Spam Report", "hard bounce": each becomes that
    reason (an unsubscribe kept as manual could be lifted like a bounce); a reason it does not know
    is suppressed as manual with its words kept in the note, and said so; a `list -o` file's date
    comes back with it (nc11b: all but "Bounce" became manual, notes dropped, dates today)."""
    (project / "other.csv").write_text(
        "Email,Reason,Note\nana@daily.example,Unsubscribed,form\nbo@radio.example,Spam Report,\n"
        "cy@tv.example,hard bounce,550\ndi@web.example,holiday,back in May\n",
        encoding="utf-8",
    )
    imported = mailer("suppressions", "import", "other.csv", "--reason", "old tool")
    assert imported.exit_code == 0, imported.output
    said = " ".join(imported.output.split())
    assert '1 row gave a reason press-mailer does not know ("holiday" 1)' in said, said
    listed = {e["email"]: (e["reason"], e["note"]) for e in json.loads(mailer("suppressions", "list", "--json").stdout)}
    assert listed == {
        "ana@daily.example": ("unsubscribe", "form"),
        "bo@radio.example": ("spamreport", "old tool"),
        "cy@tv.example": ("bounce", "550"),
        "di@web.example": ("manual", "holiday; back in May"),
    }
    (project / "kept.csv").write_text(
        "email,reason,source,since (UTC),note\nev@x.example,bounce,event,2026-02-19 10:00,550\n", encoding="utf-8"
    )
    assert mailer("suppressions", "import", "kept.csv", "--reason", "moved").exit_code == 0
    since = {e["email"]: e["since"] for e in json.loads(mailer("suppressions", "list", "--json").stdout)}
    assert since["ev@x.example"].startswith("2026-02-19T10:00"), since


def test_the_recipients_table_on_a_terminal_keeps_why_before_zero_counts(project: Path, standin: Any) -> None:
    """A just-sent campaign with a duplicate row, at 100 columns: the columns empty in every row (event
    times, bounces) are left out and said so, and "why skipped or failed" stays while zero counts go
    first (nc11b: the reasons were among the first left out, empty columns kept)."""
    from click.testing import CliRunner

    from mailer.cli import main

    (project / "beat.csv").write_text("Email,First Name\nana@daily.example,Ana\nANA@daily.example,Ana\n", encoding="utf-8")
    assert mailer("send", "releases/launch.md", "--list", "beat.csv", "--force-embargo", "--yes").exit_code == 0
    shown = CliRunner().invoke(main, ["report", "latest", "--kind", "recipients"], env={"COLUMNS": "100"}, terminal_width=100).output
    header = shown.split("┡")[0]
    assert "why skipped" in header and "state" in header, shown
    said = " ".join(shown.split())
    assert "first event" not in header and "Empty in every row, so left out: " in said and "first event (UTC)" in said, shown


def test_a_corrected_copy_of_a_stopped_one_language_send_is_warned_about(project: Path, standin: Any) -> None:
    """A one-language send stops half-way; the office saves a corrected copy under another name and
    sends it. Nothing links the two (other content, other file), so the plan warns: resuming the
    stopped send afterwards would mail its journalists the old text too (nc11b: everyone got both)."""
    releases = project / "releases"
    solo = '---\nsubject: "Pollen map"\ndate: 2026-02-19\n---\nThe map shows 1.2 million flowers.\n'
    (releases / "pollen.md").write_text(solo, encoding="utf-8")
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 2\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    assert mailer("send", "releases/pollen.md", "--list", "press.csv", "--yes").exit_code != 0
    standin.reset()
    [first] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout)]
    (releases / "pollen-fixed.md").write_text(solo.replace("1.2 million", "1.25 million"), encoding="utf-8")
    planned = mailer("send", "releases/pollen-fixed.md", "--list", "press.csv", "--dry-run")
    said = " ".join(planned.output.split())
    assert f"{first}, a send with this same subject from pollen.md, stopped with 4 journalists not yet mailed" in said, said
    assert f"do not resume {first} after this send" in said, said
    again = " ".join(mailer("send", "releases/pollen.md", "--list", "press.csv", "--dry-run").output.split())
    assert "a send with this same subject" not in again, again  # the same file: compared, not warned about


def test_cancel_calls_off_the_rest_of_a_send_that_reached_some_and_a_new_send_reaches_them(project: Path, standin: Any) -> None:
    """A send stopped after its first request (SendGrid unreachable): `mailer cancel` calls off the
    rest instead of refusing (nc11b: resume or stay paused for ever, its journalists waiting in it);
    a new send of the release then mails exactly those, nobody twice."""
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 2\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    assert mailer(*SEND, "--yes").exit_code != 0
    mailed = len(standin.accepted_addresses())  # the first request's (one language version: 1 or 2)
    standin.reset()
    [first] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout)]
    called_off = mailer("cancel", first)
    assert called_off.exit_code == 0, called_off.output
    said = " ".join(called_off.output.split())
    rest, had = 6 - mailed, "1 journalist" if mailed == 1 else f"{mailed} journalists"
    assert f"Called off the rest of {first}: {rest} journalists it had not mailed yet will not be ({had} had it" in said, said
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    assert f"{mailed} already received" in " ".join(again.output.split()), again.output
    assert max(standin.accepted_addresses().values()) == 1 and len(standin.accepted_addresses()) == rest  # 6 in all


def test_status_of_a_stopped_send_says_whom_a_resume_would_skip(project: Path, standin: Any) -> None:
    """A send stopped after its first request; a correction of the release mails everyone else.
    `mailer status` of the stopped one says a resume now would mail nobody, and why, not only that
    4 were not sent yet (nc11b: the counts corrected themselves only once resumed)."""
    from test_review10 import _correct_english

    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 2\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    assert mailer(*SEND, "--yes").exit_code != 0
    standin.reset()
    [first] = [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout)]
    _correct_english(project)
    assert mailer(*SEND, "--yes").exit_code == 0
    said = " ".join(mailer("status", first).output.split())
    assert "A resume now would mail nobody (" in said and f"mailer resume {first} marks it done." in said, said
    assert "has reached them since" in said, said


def test_webhook_asks_no_unsubscribe_secret_when_the_emails_carry_sendgrids_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """public_url set, subscription tracking on (SendGrid's own unsubscribe link in the emails): the
    webhook starts without MAILER_UNSUBSCRIBE_SECRET, which nothing uses (nc11b: it refused); in
    one-click mode it still requires it."""
    from mailer.cli import events as events_cli
    from mailer.config_files import CONFIG_ENV_VAR
    from mailer.errors import ConfigError

    toml = tmp_path / "mailer.toml"
    toml.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/log.db"\n\n[webhook]\npublic_url = "https://press.example.org"\n', encoding="utf-8"
    )
    monkeypatch.setenv(CONFIG_ENV_VAR, str(toml))
    monkeypatch.delenv("MAILER_UNSUBSCRIBE_SECRET", raising=False)
    assert events_cli.worker_app() is not None
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[sendgrid.tracking]\nsubscription_tracking = false\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="No unsubscribe secret"):
        events_cli.worker_app()


def test_resuming_a_cancelled_campaign_refuses_before_showing_a_plan(project: Path, standin: Any) -> None:
    """A cancelled send's resume says it was cancelled, without first printing "Campaign:/Left:/
    Skipped:" lines of a plan it will not follow (nc11b); and a send SendGrid keeps answering 503
    says SendGrid did not take the requests, not that it could not be reached."""
    first = _stopped_send(project, standin)
    assert mailer("cancel", first).exit_code == 0
    resumed = mailer("resume", first, "--yes")
    assert resumed.exit_code == 1 and "was cancelled; it cannot be resumed" in resumed.output, resumed.output
    assert "Left:" not in resumed.output and "Campaign:" not in resumed.output, resumed.output
    standin.answer(503, times=100)
    stopped = " ".join(mailer(*SEND, "--yes").output.split())
    assert "SendGrid did not take the requests: SendGrid answered 503" in stopped, stopped  # retries = 0: one try
