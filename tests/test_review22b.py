"""Review 22b: a hostile review of the changes merged on 2 December 2026 (the older-copy refusal, the
consent reading, [reports] time_zone, cancel latest), looking for what would hurt a press office: above
all a journalist who consented, silently not mailed. Each test is a finding, through the command line,
and failed before its fix (session 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailed, mailer, office, release_named, said

# -- 1. A consent date with its time in an Australian, Asian or Alaskan zone was no consent ----------

GIVEN_IN_A_ZONE = [
    "2024-05-01 10:00:00 AEST",
    "2024-05-01 10:00 AEDT",
    "01/05/2024 10:00 NZST",
    "2024-05-01 10:00:00 IST",
    "2024-05-01 10:00:00 JST",
    "2024-05-01 10:00:00 SGT",
    "2024-05-01 10:00:00 HKT",
    "2024-05-01 10:00:00 AKDT",
    "2024-05-01 10:00:00 MSK",
    "2024-05-01 10:00:00 SAST",
]


def test_a_consent_date_with_its_time_in_the_offices_zone_is_consent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Sydney office's CRM writes when consent was given with its zone, "2024-05-01 10:00:00 AEST"
    (Singapore's SGT, Tokyo's JST, India's IST, Alaska's AKDT). Before review 22 #1 anything after a
    date was read as its time; since, only the zones of Europe and North America were: every such
    journalist was "without consent" and not mailed. A date with its time in such a zone is consent;
    a word there ("2024-05-01 10:00 withdrawn") still is not."""
    cells = [*GIVEN_IN_A_ZONE, "2024-05-01 10:00 withdrawn", "2024-05-01 10:00 nein"]
    beat = "Email,Name,Email consent\n" + "".join(f'j{at}@paper.example,J {at},"{cell}"\n' for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    given = [f"j{at}@paper.example" for at in range(len(GIVEN_IN_A_ZONE))]
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "rejected:    2 (2 without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(given), sent.output


# -- 2. "Accepted", "Opt In", "Double opt in" in a consent column were no consent ---------------------

SAID_YES = ["Accepted", "accepted", "Opt In", "opt in", "Double opt in", "Confirmed opt in", "Single opt in", "Consent given"]


def test_the_english_words_for_consent_given_are_consent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A consent column's "Accepted" (German "akzeptiert", French "accepté" were consent; English not),
    "Opt In" with a space where "Opt-In" and "optin" were consent, a CRM's "Double opt in": each
    journalist was turned away as "gave no consent to email" and not mailed."""
    cells = [*SAID_YES, "Not accepted", "refused"]
    beat = "Email,Name,Email consent\n" + "".join(f'j{at}@paper.example,J {at},"{cell}"\n' for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "rejected:    2 (2 without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(f"j{at}@paper.example" for at in range(len(SAID_YES))), sent.output


# -- 3. A stale copy sent to journalists who had neither version: the old figure went out -----------

ORIGINAL = "412 volunteers"
CORRECTED = "421 volunteers"
REGIONAL = "Email,First Name,Last Name,Outlet\ncai@regional.example,Cai,Wong,Regional Post\ndee@valley.example,Dee,Ross,Valley Times\n"


def test_a_stale_copy_sent_to_another_list_is_refused_as_the_older_text(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana sends the release to the beat list; Ben corrects a figure in his copy and sends the
    correction to the same journalists. Ana, her copy still with the old figure, then sends it to
    the regional list, whose journalists had neither version: nothing was said, and the figure the
    office had corrected went out to two more newsrooms. It is refused as the older copy now, naming
    both sends; the corrected copy still goes to the regional list."""
    ana = office(tmp_path / "ana", standin, db_url)
    ben = office(tmp_path / "ben", standin, db_url)
    (ana / "lists" / "regional.csv").write_text(REGIONAL, encoding="utf-8")
    (ben / "lists" / "regional.csv").write_text(REGIONAL, encoding="utf-8")
    monkeypatch.chdir(ana)
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    original = campaign_of(first)
    monkeypatch.chdir(ben)
    release = ben / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace(ORIGINAL, CORRECTED), encoding="utf-8")
    corrected = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert corrected.exit_code == 0, corrected.output
    correction = campaign_of(corrected)
    standin.reset()

    monkeypatch.chdir(ana)
    dry = mailer("send", "releases/example.md", "--list", "lists/regional.csv", "--dry-run", "--no-test-ok")
    assert dry.exit_code == 0, dry.output
    assert f"is the text of {original}" in said(dry) and f"which {correction}" in said(dry), dry.output
    stale = mailer("send", "releases/example.md", "--list", "lists/regional.csv", "--yes", "--no-test-ok")
    assert stale.exit_code == 1, stale.output
    words = said(stale)
    assert f"is the text of {original}" in words and f"which {correction}" in words, words
    assert "Nothing was logged or sent." in words and "--include-previous" in words, words
    assert mailed(standin) == [], words

    monkeypatch.chdir(ben)  # the corrected copy goes to the regional list
    sent = mailer("send", "releases/example.md", "--list", "lists/regional.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["cai@regional.example", "dee@valley.example"], sent.output


# -- 4. `mailer cancel latest` run again cancelled a second, older scheduled send --------------------


def test_cancel_latest_twice_does_not_cancel_the_send_before_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ana has two releases scheduled. She cancels the newer with `mailer cancel latest` and, unsure it
    took (or from the shell's history), runs it again. Since latest for cancel left cancelled sends
    out, the second run cancelled the other release's send, no question asked ("latest is X ...
    Cancelled X"), and `latest~1`, read off the log before the first cancel, named the send before
    that. A cancelled live send counts for cancel: the second run says it is already cancelled,
    latest~1 is the other release, and a proof or dry run made since is still not latest."""
    office(tmp_path, standin, db_url)
    second = release_named(tmp_path, "second")
    at = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M UTC")
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    older = campaign_of(first)
    then = mailer("send", second, "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert then.exit_code == 0, then.output
    newer = campaign_of(then)
    proof = mailer("test", second)
    assert proof.exit_code == 0, proof.output

    cancelled = mailer("cancel", "latest")
    assert cancelled.exit_code == 0 and f"Cancelled {newer}" in said(cancelled), cancelled.output
    again = mailer("cancel", "latest")
    assert again.exit_code == 0, again.output
    assert f"{newer} is already cancelled" in said(again), again.output
    assert "cancelled" not in mailer("status", older).output.split("\n")[1], again.output
    named = mailer("cancel", "latest~1")
    assert f"latest~1 is {older}" in said(named) and f"Cancelled {older}" in said(named), named.output


# -- 5. [reports] time_zone: "GMT+1" was told to be "Etc/GMT+1" (UTC-1); "EST" kept no summer time ---


@pytest.mark.parametrize(
    ("written", "hint"),
    [("GMT+1", "Europe/Paris"), ("UTC+02:00", "Europe/Paris"), ("Etc/GMT+1", "Europe/Paris"), ("EST", "America/New_York")],
)
def test_a_report_zone_that_is_not_the_offices_clocks_is_refused(
    tmp_path: Path, standin: Any, db_url: str, written: str, hint: str
) -> None:
    """A Paris office wrote `time_zone = "GMT+1"`: it was called a city, "write ... Etc/GMT+1", the time
    zone database's name for one hour *behind* UTC (its sign reversed), and the reports then showed an
    open at 10:00 in Paris as 08:00. "EST" was taken: standard time all year, so in summer every time
    was an hour behind New York's clocks. Each is refused now, saying why and the zone to write."""
    folder = office(tmp_path, standin, db_url)
    with (folder / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[reports]\ntime_zone = "{written}"\n')
    refused = mailer("campaigns")
    assert refused.exit_code == 1, refused.output
    words = said(refused)
    assert "reports.time_zone" in words and hint in words, words
    assert "is a city" not in words and 'write "Etc/' not in words, words


# -- 6. A column for another channel, named in brackets ("DNC (phone)", "Consent (photo)"), kept her out --


def test_a_column_naming_another_channel_in_brackets_does_not_stop_the_email(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A press list records more than email: "DNC (phone)" (do not call), "Consent (photo)" (may we
    publish her picture), "Opt-out (SMS)". The note in brackets was left aside, so each was read as the
    email's own opt-out or consent: Ana, who consented to email but asked not to be phoned and declined
    the photo, was "opted out" and not mailed, nor any other row of her address. A note naming another
    channel keeps the column the list's own; "Do Not Email (Y/N)", "No email (phone only)" still opt out."""
    beat = (
        "Email,Name,Email consent,DNC (phone),Consent (photo),Opt-out (SMS),Do Not Email (Y/N)\n"
        "ana@daily.example,Ana Lima,yes,x,no,x,N\n"
        "ben@gazette.example,Ben Okafor,withdrawn,,yes,,N\n"
        "cai@post.example,Cai Wong,yes,,yes,,Y\n"
    )
    _checked_ana_alone(tmp_path, standin, db_url, beat)
    _sent_to_ana_alone(standin)


# -- 7. Beside a press-release consent column, a newsletter's or marketing's "no" kept her out -----------


def test_a_list_with_press_release_consent_reads_the_newsletters_column_as_its_own(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A GDPR list records consent per purpose: "Press release consent", "Newsletter opt-in",
    "Marketing opt-out". Since review 22 #4/#5 read a consent or opt-out word with "newsletter" or
    "marketing" around it as the email's, Ana, who consented to press releases but not to the
    newsletter, was "gave no consent to email ("Newsletter opt-in": no)" and not mailed the release.
    Beside a column for press releases, those for another purpose are the list's own; a list with
    only a newsletter's column still keeps its no."""
    beat = (
        "Email,Name,Press release consent,Newsletter opt-in,Marketing opt-out\n"
        "ana@daily.example,Ana Lima,yes,no,x\n"
        "ben@gazette.example,Ben Okafor,no,yes,\n"
    )
    checked = _checked_ana_alone(tmp_path, standin, db_url, beat)
    (tmp_path / "lists" / "other.csv").write_text("Email,Name,Newsletter opt-in\ncai@post.example,Cai Wong,no\n", encoding="utf-8")
    assert '"Newsletter opt-in" is read as consent' not in checked, checked
    other = mailer("lists", "check", "lists/other.csv")
    assert 'cai@post.example: gave no consent to email ("Newsletter opt-in": no)' in other.output, other.output
    _sent_to_ana_alone(standin)


# -- 8. The send's plan said "2 without consent" and not which column said so ----------------------------


def test_the_plan_names_the_columns_that_turned_rows_away(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Since today's review read many more headings as consent or opt-out columns, a column may turn
    journalists away that nobody meant as one. The send's plan said only "Skipped: 3 (1 opted out, 2
    without consent)": nothing named the column, and a press officer sending without `lists check`
    first could not tell a mistaken "Newsletter opt-in" from the consent column. The plan names each
    column under Skipped, with how many rows it turned away and why."""
    beat = (
        "Email,Name,Newsletter opt-in,DNC\n"
        "ana@daily.example,Ana Lima,no,\n"
        "ben@gazette.example,Ben Okafor,yes,x\n"
        "cai@post.example,Cai Wong,,\n"
        "dee@valley.example,Dee Ross,yes,\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--no-test-ok")
    assert planned.exit_code == 0, planned.output
    assert "Skipped:    3 (1 opted out, 2 without consent)" in planned.output, planned.output
    assert 'lists/beat.csv: "DNC" 1 opted out, "Newsletter opt-in" 2 without consent' in planned.output, planned.output
    assert "mailer lists check lists/beat.csv" in planned.output, planned.output


# -- 9. A follow-up whose original list cannot be read now forgot the other list's withdrawals ------------


def test_a_follow_up_reads_the_lists_it_can_and_says_which_it_cannot(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release went out from the beat list and the regional list. Since, Ana withdrew consent in
    the beat list, and a colleague pasted the regional list over with a sheet that has no address
    column. The follow-up left out nobody: one list it could not read made it read none, and Ana was
    mailed; and it said both lists were "not here", though they were. It reads the lists it can,
    leaves Ana out, and says the regional list cannot be read, and why."""
    beat = "Email,Name,Email consent\nana@daily.example,Ana,yes\nben@gazette.example,Ben,yes\n"
    office(tmp_path, standin, db_url, beat=beat)
    (tmp_path / "lists" / "regional.csv").write_text("Email,Name\ncai@post.example,Cai\n", encoding="utf-8")
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--list", "lists/regional.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    original = campaign_of(sent)
    release_named(tmp_path, "reminder")
    (tmp_path / "lists" / "beat.csv").write_text(beat.replace("Ana,yes", "Ana,withdrawn"), encoding="utf-8")
    (tmp_path / "lists" / "regional.csv").write_text("Name,Outlet\nCai,Post\n", encoding="utf-8")
    follow = ("send", "releases/reminder.md", "--follow-up", original, "--who", "not-opened", "--no-test-ok")
    planned = mailer(*follow, "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert f"Follow-up:  2 of 3 journalists of {original} (not opened): 1 without consent\n" in planned.output, planned.output
    words = " ".join(planned.output.split())
    assert "lists/regional.csv, which cannot be read now" in words and "beat.csv, which is not here" not in words, words
    assert "mailer lists check lists/regional.csv" in words, words


# -- 10. `mailer cancel latest` after a colleague's send at once: "nothing to cancel", and hers? -----------


def test_cancel_latest_past_a_send_that_went_out_names_the_send_still_scheduled(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ana schedules her release; Ben, on the shared log, then sends another at once. Spotting a
    mistake, Ana runs `mailer cancel latest`: latest is Ben's send, and the answer was "has nobody
    left to send to, so there is nothing to cancel: SendGrid accepted its emails to 2 journalists",
    with `mailer status` of Ben's send as the way on. Nothing said that hers is still scheduled, nor
    how to cancel it. The answer now names the sends SendGrid still holds, and the command for each."""
    office(tmp_path, standin, db_url)
    second = release_named(tmp_path, "second")
    at = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M UTC")
    hers = campaign_of(mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok"))
    his = campaign_of(mailer("send", second, "--list", "lists/beat.csv", "--yes", "--no-test-ok"))
    cancelled = mailer("cancel", "latest")
    assert cancelled.exit_code == 1, cancelled.output
    words = said(cancelled)
    assert f"latest is {his}" in words and "nothing to cancel" in words, words
    assert f"mailer cancel {hers}" in words, words


# -- 11. "No. releases", "No. emails" (how many) were read as "no releases", "no emails" -------------------


def test_a_count_headed_no_dot_is_not_an_opt_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A media database's export counts what each journalist received: "No. releases", "No. emails",
    "Nº mailings". Since review 22 #6 and #14 read "No email", "No press releases" as opt-out columns,
    and headings are compared without their punctuation, the counts read as opt-outs: every journalist
    with a count above 0 (the office's most engaged) was "opted out" and not mailed. "No." (and "Nº",
    "#") before a word is a number's abbreviation: such a column is the list's own; "No emails" still
    opts out."""
    beat = (
        "Email,Name,No. releases,No. emails,Nº mailings,No emails\n"
        "ana@daily.example,Ana Lima,3,12,4,\n"
        "ben@gazette.example,Ben Okafor,0,0,0,x\n"
    )
    _checked_ana_alone(tmp_path, standin, db_url, beat)
    _sent_to_ana_alone(standin)
    cleaned = mailer("lists", "clean", "lists/beat.csv", "-o", "clean.csv")  # read back, the counts are still counts
    assert cleaned.exit_code == 0, cleaned.output
    again = mailer("lists", "check", "clean.csv")
    assert "recipients:  1" in again.output, again.output


def _checked_ana_alone(tmp_path: Path, standin: Any, db_url: str, beat: str) -> str:
    """The office with ``beat`` as its list, which `lists check` reads as Ana alone to mail: its output."""
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "recipients:  1" in checked.output and "ana@daily.example" not in checked.output, checked.output
    return checked.output


def _sent_to_ana_alone(standin: Any) -> None:
    """The release sent: to Ana alone."""
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"], sent.output
