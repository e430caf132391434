"""Review 12a: the send path, broken as a press office and an attacker would. Each xfail is a finding."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, example

from mailer.cli import main

KEY = "SG.standin-key.secret"
SECRET = "unsubscribe-secret-for-review-12a-0123456789"
BEAT = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\nben@gazette.example,Ben,Okafor,The Gazette\n"


def mailer(*args: str, key: str | None = KEY, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    environ = {"SENDGRID_API_KEY": key} if key else {}
    return CliRunner().invoke(main, list(args), env={**environ, **(env or {})}, input=input)


def office(
    project: Path, standin: Any, db_url: str, *, sendgrid: str = "", webhook: str = "", sender: str = "", batch_size: int = 10
) -> Path:
    """The example release and templates, a two-journalist beat list, mailer.toml for the stand-in."""
    import shutil

    for name in ("releases", "templates", "lists"):
        shutil.copytree(example(name), project / name, dirs_exist_ok=True)
    (project / "lists" / "beat.csv").write_text(BEAT, encoding="utf-8")
    write_config(project, standin, db_url, sendgrid=sendgrid, webhook=webhook, sender=sender, batch_size=batch_size)
    return project


def write_config(
    project: Path, standin: Any, db_url: str, *, sendgrid: str = "", webhook: str = "", sender: str = "", batch_size: int = 10
) -> None:
    (project / "mailer.toml").write_text(
        f'[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n{sender}\n'
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = {batch_size}\n{sendgrid}\n'
        f'[lists]\nstaff = "lists/staff.csv"\n\n[database]\nurl = "{db_url}"\n' + (f"\n[webhook]\n{webhook}\n" if webhook else ""),
        encoding="utf-8",
    )


def mailed(standin: Any) -> list[str]:
    """Every address the stand-in was asked to mail, in order (with repeats)."""
    return [p["to"][0]["email"] for request in standin.mail_sends for p in request.body["personalizations"]]


def suppression_copies(database: str) -> int:
    """How many times the log's text holds an address kept only as one suppression: its row, and on
    SQLite the entry of the suppression table's primary key index (a copy of the key) too."""
    return 2 if database == "sqlite" else 1


def campaign_of(result: Result) -> str:
    import re

    match = re.search(r"^(?:Test campaign|Campaign) (\S+):", result.output, re.MULTILINE)
    assert match, result.output
    return match.group(1)


# -- 1. sandbox mode: "accepted" for journalists SendGrid never delivered to ----------------------


def test_a_real_send_after_a_sandbox_send_mails_the_journalists(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office tries its setup with `sandbox = true` (SendGrid validates and delivers nothing),
    then turns it off and sends for real: every journalist must get the release. Today the
    sandbox run logged them "accepted", and the real send skips them all as already received."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true")
    first = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert first.exit_code == 0, first.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"]
    standin.reset()
    write_config(tmp_path, standin, db_url)
    second = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], second.output


# -- 2. a resume after the release's From or Reply-To changed ------------------------------------


def stopped_after_first_request(project: Path, standin: Any) -> str:
    """`mailer send` of the example release to the beat list, one journalist a request; SendGrid
    answers 503 to every request after the first, so ana is mailed and ben left planned."""
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 1 and "SendGrid did not take the requests" in sent.output, sent.output
    assert mailed(standin) == ["ana@daily.example", "ben@gazette.example"]
    campaign_id = campaign_of(sent)
    standin.reset()
    return campaign_id


ONE_A_REQUEST = "concurrency = 1\nretries = 0\n"


def test_a_resume_after_the_reply_to_was_edited_sends_the_email_the_campaign_archived(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send stops half way; someone fixes `reply_to:` in the release; `mailer resume` goes on.
    A resume refuses a changed release ("would send a different email"), yet this change
    passes: ben gets a Reply-To that ana did not, and `mailer show` for ben shows the old one,
    which is not what he received (promise 9)."""
    office(tmp_path, standin, db_url, sendgrid=ONE_A_REQUEST, batch_size=1)
    campaign_id = stopped_after_first_request(tmp_path, standin)
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("---\n", '---\nreply_to: "newsdesk@example.net"\n', 1), encoding="utf-8")
    resumed = mailer("resume", campaign_id, "--yes")
    sent = [request.body for request in standin.mail_sends]
    if resumed.exit_code != 0:  # refused as a changed release: nothing went out, fine
        assert sent == [], resumed.output
        return
    assert [p["to"][0]["email"] for body in sent for p in body["personalizations"]] == ["ben@gazette.example"]
    shown = mailer("show", campaign_id, "--contact", "ben@gazette.example", "-o", "ben.eml")
    assert shown.exit_code == 0, shown.output
    received_reply_to = sent[0].get("reply_to", {}).get("email")
    assert f"Reply-To: {received_reply_to}" in (tmp_path / "ben.eml").read_text(encoding="utf-8")


# -- 3. one-click mode with a mailto: `mailer show` drops the mailto the real email carries -------

ONE_CLICK = 'public_url = "https://press.example.org"\nunsubscribe_mailto = "unsubscribe@example.org"\n'
NO_TRACKING = "[sendgrid.tracking]\nsubscription_tracking = false\n"


def test_show_of_a_one_click_send_has_the_list_unsubscribe_targets_the_journalist_got(tmp_path: Path, standin: Any, db_url: str) -> None:
    """With our own one-click link and `unsubscribe_mailto`, each journalist's List-Unsubscribe
    names the link and the mailto. `mailer show` (and a dry run's .eml, which has the mailto)
    must show both, the link as the proof page: today show drops the mailto, so show and the
    dry run differ and neither reviewer sees what mail clients offer."""
    office(tmp_path, standin, db_url, sendgrid=NO_TRACKING, webhook=ONE_CLICK)
    env = {"MAILER_UNSUBSCRIBE_SECRET": SECRET}
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", env=env)
    assert sent.exit_code == 0, sent.output
    real = standin.mail_sends[0].body["personalizations"][0]["headers"]["List-Unsubscribe"]
    assert real.endswith(", <mailto:unsubscribe@example.org?subject=unsubscribe>"), real
    shown = mailer("show", campaign_of(sent), "-o", "shown.eml", env=env)
    assert shown.exit_code == 0, shown.output
    text = (tmp_path / "shown.eml").read_text(encoding="utf-8")
    assert (
        "List-Unsubscribe: <https://press.example.org/unsubscribe/preview>, <mailto:unsubscribe@example.org?subject=unsubscribe>" in text
    ), [line for line in text.splitlines() if line.startswith("List-")]


# -- 4. a key pasted with curly quotes: journalists marked "unknown", never mailed -----------------


def test_a_key_pasted_with_curly_quotes_is_refused_before_anyone_is_marked_unknown(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A key copied out of a word processor comes with “curly quotes”. Nothing can leave with
    it (an HTTP header is Latin-1), so the send must stop on the key, everyone still planned.
    Today each request fails inside the HTTP library, every journalist is logged "unknown"
    ("may have accepted"), and only `--resend-unknown` ("they may get it twice") would mail them."""
    office(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", key=f"\u201c{KEY}\u201d")
    assert mailed(standin) == []
    status = mailer("status", campaign_of(sent)) if "Campaign " in sent.output else None
    assert status is None or "unknown" not in status.output.lower(), (sent.output, status.output)
    assert "API key" in sent.output and sent.exit_code == 1, sent.output


# -- 5. `mailer forget` leaves a journalist's data in the test sends made "as" her -----------------

UNIQUE = "Zebulonia,Quixtanova,Quill Quarterly"


def test_forget_erases_a_journalist_from_the_test_sends_made_as_her(
    tmp_path: Path, standin: Any, db_url: str, database: str, log_text: Callable[[], str]
) -> None:
    """The office proofs the release as a journalist (`mailer test --as`), later she asks to be
    forgotten. Afterwards the log must hold neither her address nor her name or outlet. Today
    the test campaign keeps her address in its filters ("as") and her fields in the staff's
    message rows: `mailer forget` looks for rows sent to her address only."""
    office(tmp_path, standin, db_url)
    (tmp_path / "lists" / "beat.csv").write_text(BEAT + f"zq.private@quill.example,{UNIQUE}\n", encoding="utf-8")
    tested = mailer(
        "test", "releases/example.md", "--as", "zq.private@quill.example", "--list", "lists/beat.csv", "--to", "press@example.org"
    )
    assert tested.exit_code == 0, tested.output
    forgot = mailer("forget", "zq.private@quill.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    text = log_text()
    assert "Quixtanova" not in text and "Quill Quarterly" not in text
    assert text.count("zq.private@quill.example") <= suppression_copies(database)  # the one minimal suppression


# -- 6. `mailer show` of a test send made --as a journalist names the wrong person in To ----------


def test_show_of_a_test_send_as_a_journalist_has_the_to_line_the_staff_got(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer test --as ana` sends each colleague the proof addressed to the colleague by name
    ("Press Office <press@example.org>"). `mailer show` of that test campaign must show the To
    line that went out; today it shows "Ana Lima <press@example.org>", a name the email never had."""
    office(tmp_path, standin, db_url)
    tested = mailer("test", "releases/example.md", "--as", "ana@daily.example", "--list", "lists/beat.csv")
    assert tested.exit_code == 0, tested.output
    sent = {p["to"][0]["email"]: p["to"][0].get("name") for request in standin.mail_sends for p in request.body["personalizations"]}
    assert sent["press@example.org"] == "Press Office"
    shown = mailer("show", campaign_of(tested), "--contact", "press@example.org", "-o", "proof.eml")
    assert shown.exit_code == 0, shown.output
    to_line = next(line for line in (tmp_path / "proof.eml").read_text(encoding="utf-8").splitlines() if line.startswith("To: "))
    assert to_line == "To: Press Office <press@example.org>"


# -- 7. the API key sent in clear text to an http:// SendGrid address -----------------------------


def test_an_http_address_for_sendgrid_itself_is_refused_before_the_key_travels(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A typo in mailer.toml, `api_url = "http://api.sendgrid.com"`, must be refused before any
    request: every request would carry `Authorization: Bearer <key>` unencrypted over the
    internet (SendGrid's redirect to https comes after the key left). Today the address is
    accepted (only [webhook] public_url insists on https); loopback stand-ins stay allowed."""
    office(tmp_path, standin, db_url)
    config = (tmp_path / "mailer.toml").read_text(encoding="utf-8")
    (tmp_path / "mailer.toml").write_text(config.replace(standin.url, "http://api.sendgrid.com"), encoding="utf-8")
    result = mailer("campaigns")
    assert result.exit_code == 1 and "https://" in result.output, result.output


# -- 8. a template in the release's folder reads the API key out of the environment (Jinja < 3.1.6) --

# A template an agency ships beside its release (``template: kit``; the release's folder is searched
# for templates): str.format reached through |attr walks from a contact field to os.environ.
EXPLOIT = '<p>{{ ("{0.first_name.then.__globals__[jinja_filters].random._os.environ[SENDGRID_API_KEY]}"|attr("format"))(contact) }}</p>\n'


def agency_release(project: Path) -> Path:
    """An agency's folder: its release naming its own template, kit.html.j2, which holds EXPLOIT."""
    folder = project / "agency"
    folder.mkdir()
    text = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    (folder / "pitch.md").write_text(text.replace("---\n", "---\ntemplate: kit\n", 1), encoding="utf-8")
    (folder / "kit.html.j2").write_text(f"<html><body>{EXPLOIT}</body></html>\n", encoding="utf-8")
    (folder / "kit.txt.j2").write_text((ROOT / "templates" / "release.txt.j2").read_text(encoding="utf-8"), encoding="utf-8")
    return folder / "pitch.md"


def test_a_template_in_the_release_folder_cannot_read_the_api_key_with_the_installed_jinja(tmp_path: Path) -> None:
    """Held with the Jinja2 installed here (3.1.6): the template is refused, no key in any file."""
    release = agency_release(tmp_path)
    result = mailer("preview", str(release), "-o", "out", key="SG.the-real-key-never-shown")
    assert result.exit_code == 1 and "is unsafe" in result.output, result.output
    assert not any("SG.the-real-key-never-shown" in p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*") if p.is_file())


def test_press_mailer_refuses_a_jinja_whose_sandbox_a_release_template_can_escape() -> None:
    """A release is data (promise 10), and an agency's release may bring its own template from its
    folder. With Jinja2 3.1.5 (CVE-2025-27516), which pyproject's `jinja2>=3.1` accepts (Debian 12
    ships 3.1.2), EXPLOIT renders the SendGrid API key into every journalist's email (checked
    by hand: `mailer preview` of agency_release wrote the key into pitch.html). The requirement
    must exclude the versions with known sandbox escapes (3.1.6 fixed the last one)."""
    import tomllib

    from packaging.requirements import Requirement

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    jinja = next(Requirement(d) for d in dependencies if Requirement(d).name.lower() == "jinja2")
    assert not any(jinja.specifier.contains(version) for version in ("3.1.2", "3.1.4", "3.1.5"))


def test_a_resumed_test_send_as_a_journalist_addresses_each_colleague_by_their_own_name(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The same test send, stopped after its first request (SendGrid unavailable) and resumed:
    the colleagues the resume mails must be addressed by their own names, as the first request
    did. Today the resume names them after the journalist ("Ana Lima <dana.fields@...>")."""
    office(tmp_path, standin, db_url, sendgrid=ONE_A_REQUEST, batch_size=1)
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    tested = mailer("test", "releases/example.md", "--as", "ana@daily.example", "--list", "lists/beat.csv")
    assert tested.exit_code == 1, tested.output
    first = standin.mail_sends[0].body["personalizations"][0]["to"][0]
    assert first == {"email": "press@example.org", "name": "Press Office"}
    standin.reset()
    resumed = mailer("resume", campaign_of(tested), "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert [p["to"][0] for p in standin.mail_sends[0].body["personalizations"]] == [
        {"email": "dana.fields@example.org", "name": "Dana Fields"}
    ]


# -- 9. any 2xx is taken for SendGrid's acceptance -----------------------------------------------


def test_a_200_page_from_something_other_than_sendgrid_is_not_logged_accepted(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An office network's filtering proxy (TLS-inspecting, as many companies run) answers the
    Mail Send with its own 200 "caution, click to continue" page. SendGrid answers a live Mail
    Send with 202 and an X-Message-Id, and 200 only in sandbox mode. Today any 2xx counts:
    every journalist is logged "accepted", the send reports success, and a later send of the
    release skips them all as already received, though nothing reached SendGrid."""
    office(tmp_path, standin, db_url)
    standin.answer(200, times=1_000, body={"page": "Caution: this site is not categorized. Click Continue to proceed."})
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    status = mailer("status", campaign_of(sent), "--json")
    document = json.loads(status.output[status.output.index("{") :])
    assert document["counts"]["accepted"] == 0, (sent.output, status.output)


# -- 10. a cancel whose answer was lost can never be finished ------------------------------------


def test_a_cancel_whose_answer_was_lost_can_be_finished_and_a_new_send_reaches_everyone(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office schedules a release for later, then cancels it; SendGrid takes the cancel but
    its answer is lost (a timeout). Running `mailer cancel` again must finish the job: SendGrid
    already holds the cancel, so the campaign is cancelled and a new send mails everyone. Today
    the second cancel gets SendGrid's 400 ("already has a status; use PATCH") and stops there:
    the campaign stays "scheduled", and every new send skips its journalists as already
    received, though SendGrid will discard every one of those emails."""
    from datetime import UTC, datetime, timedelta

    from sendgrid_standin import Script

    office(tmp_path, standin, db_url, sendgrid="timeout = 1.0\n")
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    standin.scripts.append(Script(times=1, delay=2.0, path="/v3/user/scheduled_sends"))  # taken, answered too late
    lost = mailer("cancel", campaign_id)
    assert lost.exit_code != 0, lost.output
    import time

    deadline = time.monotonic() + 30  # SendGrid takes it once its late answer is given (2 s; later on a loaded machine)
    while not standin.scheduled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(standin.scheduled.values()) == ["cancel"]  # SendGrid holds the cancel
    again = mailer("cancel", campaign_id)
    standin.reset()
    resent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"], (again.output, resent.output)


# -- 11. a refused request's error names a journalist in every row: `mailer forget` leaves it ------


def test_forget_erases_an_address_quoted_in_the_error_of_a_refused_request(
    tmp_path: Path, standin: Any, db_url: str, database: str, log_text: Callable[[], str]
) -> None:
    """SendGrid refuses a request for one address (`personalizations.1...`); mailer logs that
    error, naming the address, on every journalist of the request. When that journalist asks
    to be forgotten, the log must keep only the minimal suppression: today ana's row still says
    "... (ben@gazette.example)", and so does `mailer status`."""
    office(tmp_path, standin, db_url)
    refusal = {"errors": [{"field": "personalizations.1.to.0.email", "message": "Does not contain a valid address.", "help": None}]}
    standin.answer(400, body=refusal)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 3 and "(ben@gazette.example)" in sent.output, sent.output
    forgot = mailer("forget", "ben@gazette.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert log_text().count("ben@gazette.example") <= suppression_copies(database)  # the one minimal suppression
    status = mailer("status", campaign_of(sent))
    assert "ben@gazette.example" not in status.output, status.output


# -- 12. a category SendGrid refuses is accepted in mailer.toml ----------------------------------


def test_a_category_sendgrid_refuses_is_refused_in_mailer_toml(tmp_path: Path, standin: Any, db_url: str) -> None:
    """SendGrid takes ASCII categories only (SENDGRID.md §1.1), and every request carries the
    configured one: `category = "communiqués"` would have SendGrid refuse every request of a
    send (each journalist "failed"). The setting must be refused when mailer.toml is read, as
    its other SendGrid limits are (length, line breaks)."""
    office(tmp_path, standin, db_url, sendgrid='category = "communiqués"\n')
    result = mailer("campaigns")
    assert result.exit_code == 1 and "category" in result.output, result.output


# -- 13. "already received" said of journalists a scheduled send has not mailed yet ---------------


def test_a_send_now_does_not_say_already_received_of_journalists_only_scheduled(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The release is scheduled for two hours from now; the embargo lifts early and the office
    runs `mailer send` to go now. It refuses: "all 2 journalists already received this exact
    release", which nobody has: SendGrid holds the emails until later, and its hint, "add
    --include-previous", would have every journalist mailed twice (now, and again at the
    scheduled time). It must say they are scheduled (when, in which campaign), and to cancel
    that send first."""
    from datetime import UTC, datetime, timedelta

    office(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    scheduled = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", at)
    assert scheduled.exit_code == 0, scheduled.output
    now = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert "already received" not in now.output and "scheduled" in now.output.lower(), now.output


# -- 14. a release folder's stylesheet fetches URLs and reads files outside the folder ------------


def test_a_release_folders_stylesheet_reaches_neither_the_network_nor_files_outside_it(tmp_path: Path, standin: Any) -> None:
    """An agency's release brings its template and stylesheet (kit.css). Rendering it (`mailer
    preview`, and every send) must not fetch anything nor read outside the folder (promise 10;
    premailer is told allow_network=False). Today cssutils follows `@import`: the office's
    computer requests the agency's URL (or any internal address) as the release renders, and
    reads a local file outside the folder, whose text comes back in the warnings."""
    from starlette.requests import Request
    from starlette.responses import Response

    hits: list[str] = []

    async def beacon(request: Request) -> Response:
        hits.append(request.url.path)
        return Response("h1 { color: #abcdef }", media_type="text/css")

    standin.add_route("/beacon.css", beacon)
    secret = tmp_path / "outside" / "notes.txt"
    secret.parent.mkdir()
    secret.write_text("private-note-ZX81 {\n", encoding="utf-8")
    folder = tmp_path / "agency"
    folder.mkdir()
    text = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    (folder / "pitch.md").write_text(text.replace("---\n", "---\ntemplate: kit\n", 1), encoding="utf-8")
    for suffix in ("html.j2", "txt.j2"):
        (folder / f"kit.{suffix}").write_text((ROOT / "templates" / f"release.{suffix}").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "kit.css").write_text(
        f'@import url("{standin.url}/beacon.css");\n@import url("{secret.as_uri()}");\np {{ color: #123456 }}\n', encoding="utf-8"
    )
    result = mailer("preview", "agency/pitch.md", "-o", "out")
    assert hits == [], result.output
    assert "ZX81" not in result.output, result.output


# -- 15. a journalist forgotten (or suppressed) while a send runs is mailed all the same -----------


def test_a_journalist_forgotten_while_the_send_runs_is_not_mailed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A long send is under way; a journalist phones to be removed and the office runs `mailer
    forget` for her (or `suppressions add`). Her row is marked skipped at once, so the log says
    she got nothing, but the running send still posts her request from its plan in memory:
    she is mailed after being erased, and the log says otherwise (promise 3)."""
    from send_fixtures import send_running

    office(tmp_path, standin, db_url, sendgrid="concurrency = 1\n", batch_size=1)
    standin.slow(2.0, times=1)  # the first request (ana) takes two seconds
    with send_running(tmp_path, standin, standin.api_key) as process:
        forgot = mailer("forget", "ben@gazette.example", "--yes")
        assert forgot.exit_code == 0, forgot.output
        out, err = process.communicate(timeout=60)
    report = mailer("report", "latest", "--kind", "recipients", "--format", "json", "-o", "-")
    assert "ben@gazette.example" not in mailed(standin), (out, err, report.output)


# -- 16. a send stopped on one computer cannot be resumed from a colleague's copy of the folder ----


def test_a_colleague_sharing_the_log_can_resume_a_send_from_their_copy_of_the_folder(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team shares one delivery log (PostgreSQL, "sends started from any host"). Ana's send
    stops half way (SendGrid unavailable) and she leaves; Ben, in his copy of the same press
    folder, runs `mailer resume`. It must find the release in his folder (the same file, the
    same content); today it looks only at Ana's absolute path and fails, and a new send from
    Ben skips the stranded journalists as planned in Ana's campaign."""
    import shutil

    ana = tmp_path / "ana" / "press"
    ana.mkdir(parents=True)
    office(ana, standin, db_url, sendgrid=ONE_A_REQUEST, batch_size=1)
    monkeypatch.chdir(ana)
    campaign_id = stopped_after_first_request(ana, standin)
    ben = tmp_path / "ben" / "press"
    shutil.copytree(ana, ben)
    shutil.rmtree(ana)  # Ana's computer is not Ben's
    monkeypatch.chdir(ben)
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert mailed(standin) == ["ben@gazette.example"]
