"""Session 12's fixes of what earlier reviews and newcomers left open, each through the command line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from press_office import KEY, folder, mailer


def test_a_list_named_from_a_subfolder_is_logged_as_the_same_file(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 10c #9: `mailer send ../lists/beat.csv` typed in the releases folder logged the list as
    "../lists/beat.csv", so `mailer contact` run in the office folder named a file that is not there.
    The log keeps a name that means the same file from any folder: shown relative to the office."""
    folder(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path / "releases")
    sent = mailer("send", "example.md", "--list", "../lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    monkeypatch.chdir(tmp_path)
    found = json.loads(mailer("contact", "dan@gazette.example", "--json").stdout)
    [only] = found["campaigns"]
    assert only["list"] == "lists/beat.csv:5"
    assert found["lists"] == ["lists/beat.csv"]
    printed = mailer("contact", "dan@gazette.example").stdout
    assert "../" not in printed and "lists/beat.csv" in printed


def _beat_of(count: int) -> str:
    return "Email,First Name,Last Name,Outlet\n" + "".join(f"j{n}@paper{n}.example,Jo{n},Doe,Paper {n}\n" for n in range(count))


def test_a_send_that_stops_says_how_far_it_got(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 11b: a send that stopped (SendGrid down after the first request) printed the error and
    the resume command, but not how far it got: the officer could not tell whether anyone was mailed.
    It now ends with the same totals line as a finished send."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(_beat_of(25), encoding="utf-8")
    toml = tmp_path / "mailer.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )
    standin.answer(503, times=1000, match=lambda request: len(standin.mail_sends) >= 2)
    stopped = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert stopped.exit_code == 1
    totals = "Accepted:   10   failed: 0   unknown: 0   not sent yet: 15   skipped: 0\n"
    assert totals + "Error: SendGrid did not take the requests" in stopped.output
    assert "after several tries" not in stopped.output  # retries = 0: it tried once

    standin.reset()
    standin.answer(401, times=1000, match=lambda request: len(standin.mail_sends) >= 1)
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 1
    assert "Accepted:   10   failed: 0   unknown: 0   not sent yet: 15   skipped: 0\n" in resumed.output, resumed.output


def test_a_send_names_every_list_it_cannot_use_at_once(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 11: `mailer send` given three lists stopped at the first unusable one; fixed, the next
    run stopped at the second. Every unusable list is named in one error, each with what to do, and
    nothing is logged."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "names.csv").write_text("Name\nAna\n", encoding="utf-8")
    (tmp_path / "lists" / "empty.csv").write_text("", encoding="utf-8")
    lists = ["--list", "lists/missing.csv", "--list", "lists/beat.csv", "--list", "lists/names.csv", "--list", "lists/empty.csv"]
    refused = mailer("send", "releases/example.md", *lists, "--dry-run")
    assert refused.exit_code == 1
    assert "Error: 3 of the lists cannot be used:\n" in refused.output, refused.output
    for line in (
        "  lists/missing.csv: no such file. Check the file name",
        '  lists/names.csv: no email address column. Columns found: "Name". Name the column',
        "  lists/empty.csv: the file is empty. Export the list again",
    ):
        assert line in refused.output
    assert "Fix them (each line says how), then run the command again.\n" in refused.output
    assert "Traceback" not in refused.output and "rows written" not in refused.output
    one = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--list", "lists/empty.csv", "--dry-run")
    assert "Error: lists/empty.csv: the file is empty.\n" in one.output  # one unusable list: its own error, as before


def test_a_journalist_on_two_lists_is_chosen_by_the_row_that_matches_the_filter(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Newcomer 11 #9: Eva is on the science list (beat science) and on the health list (beat health).
    `--where beat=health` over both skipped her as "filtered", from her first row, although the health
    list says she covers health. The first row the filter keeps now wins: she gets the email with the
    health list's fields, and her science row is the duplicate. Without any matching row, the first
    row still decides (Nick: filtered)."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "science.csv").write_text(
        "Email,First Name,Last Name,Outlet,Beat\n"
        "eva.krause@wire.example,Eva,Krause,Science Wire,science\n"
        "nick.ross@wire.example,Nick,Ross,Wire,science\n",
        encoding="utf-8",
    )
    (tmp_path / "lists" / "health.csv").write_text(
        "Email,First Name,Last Name,Outlet,Beat\n"
        "ana@daily.example,Ana,Lima,Daily News,health\n"
        "EVA.KRAUSE@wire.example,Eva,Krause,Health Wire,Health\n"
        "nick.ross@wire.example,Nick,Ross,Wire,sports\n",
        encoding="utf-8",
    )
    lists = ("--list", "lists/science.csv", "--list", "lists/health.csv")
    sent = mailer("send", "releases/example.md", *lists, "--where", "beat=health", "--yes", "--no-test-ok", "--json")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 2\n" in sent.stderr and "Skipped:    3 (2 duplicate, 1 filtered)" in sent.stderr, sent.stderr
    posted = {p["to"][0]["email"]: p for request in standin.mail_sends for p in request.body["personalizations"]}
    assert sorted(posted) == ["EVA.KRAUSE@wire.example", "ana@daily.example"]
    assert "Health Wire" in json.dumps(posted["EVA.KRAUSE@wire.example"]["substitutions"])

    eva = json.loads(mailer("contact", "eva.krause@wire.example", "--json").stdout)
    [campaign] = eva["campaigns"]
    assert (campaign["state"], campaign["list"]) == ("accepted", "lists/health.csv:3")
    nick = json.loads(mailer("contact", "nick.ross@wire.example", "--json").stdout)
    [campaign] = nick["campaigns"]
    assert (campaign["state"], campaign["skip_reason"], campaign["list"]) == ("skipped", "filtered", "lists/science.csv:3")

    skipped = mailer("send", "releases/second.md", *lists, "--where", "beat=health", "--dry-run")
    assert skipped.exit_code == 0, skipped.output
    [outbox] = (tmp_path / "out" / "outbox").glob("*second*")
    rows = (outbox / "skipped.csv").read_text(encoding="utf-8-sig")
    assert "eva.krause@wire.example,duplicate,duplicate of lists/health.csv row 3,lists/science.csv:2" in rows, rows
    assert "nick.ross@wire.example,duplicate,duplicate of lists/science.csv row 3,lists/health.csv:4" in rows, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["health", "science", "Health "]), st.booleans()), min_size=1, max_size=14))
def test_the_first_row_the_filter_keeps_wins_and_every_row_is_accounted_for(tmp_path: Path, rows: list[tuple[int, str, bool]]) -> None:
    """For any two lists: each address goes to its first row with beat health (file order) if it has
    one, else its first row decides (filtered); every other row of it is a duplicate of the winner;
    recipients and rejected rows add up to the rows read."""
    from mailer import contacts

    files: dict[bool, list[tuple[int, str]]] = {False: [], True: []}
    for who, beat, second in rows:
        files[second].append((who, beat))
    paths = []
    for second, entries in files.items():
        path = tmp_path / f"list{int(second)}.csv"
        path.write_text(
            "Email,Outlet,Beat\n" + "".join(f"J{who}@Paper.example,o{n},{beat}\n" for n, (who, beat) in enumerate(entries)),
            encoding="utf-8",
        )
        paths.append(path)
    ordered = [
        (path.name, n + 2, who, beat)
        for path, second in zip(paths, (False, True), strict=True)
        for n, (who, beat) in enumerate(files[second])
    ]
    chosen = contacts.parse_filter(["beat=health"], [])
    result = contacts.apply_filter(contacts.load(paths, prefer=chosen), chosen)

    expected: dict[str, tuple[str, int]] = {}
    for name, row, who, beat in ordered:
        if beat.strip().lower() == "health":
            expected.setdefault(f"j{who}@paper.example", (name, row))
    got = {contact.email.lower(): (Path(contact.source).name, contact.row) for contact in result.contacts}
    assert got == expected
    assert len(result.contacts) + len(result.rejected) == len(ordered)
    for rejected in result.rejected:
        key = rejected.email.lower()
        if rejected.reason.value == "duplicate" and key in expected:  # "duplicate of [OTHER FILE ]row N", N the winner's
            name, row = expected[key]
            assert rejected.detail.endswith(f" row {row}")
            assert name in rejected.detail or Path(rejected.source).name == name


def test_a_sandbox_send_is_listed_as_one(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 12a #1, what the office reads: a live send with `[sendgrid] sandbox = true` reached
    nobody; `mailer campaigns` lists it as "sandbox" and `mailer status` says SendGrid delivered it
    to nobody, so nobody reads "accepted" as "they have it"."""
    folder(tmp_path, standin, db_url)
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nsandbox = true"), encoding="utf-8")
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    listed = mailer("campaigns").output
    assert " sandbox " in listed and " live " not in listed, listed
    status = mailer("status", "latest").output
    assert "(live in SendGrid's sandbox: validated, delivered to nobody, done)" in status, status
    assert json.loads(mailer("status", "latest", "--json").stdout)["sandbox"] is True


def test_a_journalist_suppressed_while_the_send_runs_is_not_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 12a #15, the suppression half: while a long send runs (here its first request is
    slow), Dan phones to say no more emails and the office runs `mailer suppressions add` in another
    terminal. The running send skips him before his request leaves (promise 3); the log says so."""
    from send_fixtures import send_running

    folder(tmp_path, standin, db_url)
    toml = tmp_path / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 1\nconcurrency = 1"), encoding="utf-8")
    standin.slow(2.0, times=1)
    with send_running(tmp_path, standin, KEY) as process:
        added = mailer("suppressions", "add", "dan@gazette.example", "--reason", "unsubscribe")
        assert added.exit_code == 0, added.output
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, (out, err)
    mailed = [p["to"][0]["email"].lower() for r in standin.mail_sends for p in r.body["personalizations"]]
    assert "dan@gazette.example" not in mailed and len(mailed) == 4, mailed
    dan = json.loads(mailer("contact", "dan@gazette.example", "--json").stdout)
    [campaign] = dan["campaigns"]
    assert (campaign["state"], campaign["skip_reason"]) == ("skipped", "suppressed"), campaign


def test_a_send_now_beside_a_scheduled_one_mails_only_the_new_journalists_and_says_why(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 12a #13: the release is scheduled for later; two journalists join the list and the
    office sends now. The new two are mailed; the scheduled five are skipped as "scheduled
    elsewhere" (not "already received": nobody has it yet), with a warning saying when and how to
    send to them now instead; after `mailer cancel` of the scheduled send, a send reaches them."""
    from datetime import UTC, datetime, timedelta

    folder(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at.isoformat())
    assert scheduled.exit_code == 0, scheduled.output
    held = re.search(r"Campaign (\S+):", scheduled.output)
    assert held is not None
    beat = tmp_path / "lists" / "beat.csv"
    beat.write_text(beat.read_text(encoding="utf-8") + "fay@news.example,Fay,Lin,News\ngus@news.example,Gus,Ray,News\n", encoding="utf-8")
    before = len(standin.mail_sends)
    now = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert now.exit_code == 0, now.output
    said = " ".join(now.output.split())
    assert "Skipped: 6 (1 duplicate, 5 scheduled elsewhere)" in said, said
    assert f"5 journalists are scheduled to get this exact release at {at:%Y-%m-%d %H:%M} UTC in {held.group(1)}" in said
    assert f"cancel that send first: mailer cancel {held.group(1)}" in said
    mailed = sorted(p["to"][0]["email"] for r in standin.mail_sends[before:] for p in r.body["personalizations"])
    assert mailed == ["fay@news.example", "gus@news.example"]
    cancelled = mailer("cancel", held.group(1))
    assert cancelled.exit_code == 0, cancelled.output
    standin.reset()
    again = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert again.exit_code == 0, again.output
    assert len({p["to"][0]["email"].lower() for r in standin.mail_sends for p in r.body["personalizations"]}) == 5


def test_a_cancel_sendgrid_knows_nothing_of_says_what_sendgrid_said(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The PATCH that finishes a cancel whose answer was lost (review 12a #10) is tried only where
    SendGrid holds a status: for a batch it does not know, the error is SendGrid's first answer."""
    from datetime import UTC, datetime, timedelta

    folder(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0).isoformat()
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert scheduled.exit_code == 0, scheduled.output
    standin.reset()  # the stand-in forgets the batch ids it made
    refused = mailer("cancel", "latest")
    assert refused.exit_code == 1
    # The error's words, not the "Log:" line, whose random PostgreSQL schema name may hold "404".
    error = refused.output[refused.output.index("Error:") :]
    assert "invalid batch id" in error and "404" not in error, refused.output


def test_a_resume_after_the_sender_changed_in_mailer_toml_is_refused_before_its_question(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 12a #2: a send stops after its first request; a colleague sets `[sender] reply_to`
    in mailer.toml. `mailer resume` would send the rest with another Reply-To: it is refused, before
    anyone is asked or mailed, naming what changed; undone, the resume goes on."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(_beat_of(25), encoding="utf-8")
    toml = tmp_path / "mailer.toml"
    original = toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1")
    toml.write_text(original, encoding="utf-8")
    standin.answer(503, times=1000, match=lambda request: len(standin.mail_sends) >= 2)
    stopped = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    standin.reset()
    toml.write_text(original.replace("[sender]\n", '[sender]\nreply_to = "desk@example.org"\n'), encoding="utf-8")
    refused = mailer("resume", "latest", "--yes")
    assert refused.exit_code == 1 and standin.mail_sends == [], refused.output
    said = " ".join(refused.output.split())
    assert "The Reply-To (reply_to: in the release, or [sender] in mailer.toml) changed since" in said, said
    assert "mailer show" in said
    toml.write_text(original, encoding="utf-8")
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert sum(len(r.body["personalizations"]) for r in standin.mail_sends) == 15


def test_a_test_send_to_some_example_addresses_warns(tmp_path: Path) -> None:
    """Newcomer 12 #2, the half case: a staff list with one colleague and one example.org address
    left from config.example.toml still goes out (to SendGrid itself), with a warning naming the
    address nobody reads; every address at an example domain is refused before any request."""
    root = Path(__file__).parent.parent
    for name in ("releases", "templates"):
        shutil.copytree(root / name, tmp_path / name)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "staff.csv").write_text("Email,Name\nana@riverbend-bees.org,Ana\nmaria@example.org,Maria\n", encoding="utf-8")
    toml = (root / "config.example.toml").read_text(encoding="utf-8")
    toml = toml.replace('from_email = "press@example.org"', 'from_email = "press@riverbend-bees.org"')
    toml = toml.replace('# url = "sqlite:///out/mailer.db"', 'url = "sqlite:///out/mailer.db"')
    (tmp_path / "mailer.toml").write_text(toml, encoding="utf-8")
    tried = mailer("test", "releases/example.md", key=None)  # no key: stops at the key, after the plan
    said = " ".join(tried.output.split())
    assert "Warning: 1 address of the staff list" in said and "(maria@example.org) is at a domain kept for examples" in said, said
    refused = mailer("test", "releases/example.md", "--to", "a@example.org", "--to", "b@example.com", key=None)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1 and "2 addresses of --to (a@example.org, b@example.com) are at a domain kept" in said, said


def test_a_correction_while_the_earlier_version_is_scheduled_is_refused_until_that_send_is_cancelled(
    tmp_path: Path, standin: Any, db_url: str
) -> None:
    """Newcomer 12b #1: the release is scheduled for tomorrow; a figure is corrected and sent now.
    Refused (before any question) naming the scheduled send, since SendGrid would deliver the old
    version at its time too; a dry run says the same as a warning. Once it is cancelled, the
    corrected version reaches every journalist, once."""
    from datetime import UTC, datetime, timedelta

    folder(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0).isoformat()
    assert mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at).exit_code == 0
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("1.2 million", "1.3 million"), encoding="utf-8")
    before = len(standin.mail_sends)
    refused = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1 and len(standin.mail_sends) == before, said
    assert "5 of these journalists are scheduled to get an earlier version of this release at" in said and "mailer cancel" in said, said
    dry = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert dry.exit_code == 0 and "scheduled to get an earlier version" in " ".join(dry.output.split()), dry.output
    assert mailer("cancel", "latest").exit_code == 0  # the newest live send: not the dry run since (newcomer 22 #7)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    now = [p["to"][0]["email"].lower() for r in standin.mail_sends[before:] for p in r.body["personalizations"]]
    assert len(now) == len(set(now)) == 5, now


def test_suppressing_again_an_address_a_stopped_send_lets_through_by_name_takes_it_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 12b #8: Dan was suppressed; a send lets him through by name (--override-suppression)
    and stops before his request (SendGrid down). He phones again: not now. `suppressions add`
    says it took him out of that send, and its resume does not mail him."""
    folder(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(_beat_of(12) + "dan@gazette.example,Dan,Wu,The Gazette\n", encoding="utf-8")
    toml = tmp_path / "mailer.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )
    assert mailer("suppressions", "add", "dan@gazette.example", "--reason", "on leave").exit_code == 0
    standin.answer(503, times=1000, match=lambda request: len(standin.mail_sends) >= 2)
    stopped = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--override-suppression", "dan@gazette.example"
    )
    assert stopped.exit_code == 1, stopped.output
    standin.reset()
    again = mailer("suppressions", "add", "dan@gazette.example", "--reason", "not now after all")
    said = " ".join(again.output.split())
    assert again.exit_code == 0 and "Also taken out of" in said and "1 journalist skipped" in said, said
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 0, resumed.output
    mailed = [p["to"][0]["email"] for r in standin.mail_sends for p in r.body["personalizations"]]
    assert len(mailed) == 2 and "dan@gazette.example" not in mailed, mailed
