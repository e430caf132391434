"""Lead, session 24: what a press officer found in the day's own work, each shown from her side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import greeted_as, mailer, office, proof_of_a_fix_after_scheduling_warns, texts_sent


def test_outlets_in_the_name_column_are_greeted_with_the_default(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Media databases put the outlet in the name column of a newsdesk's row: "BBC News" was greeted
    "Dear BBC,", "The Guardian" "Dear The,". A cell naming an outlet (a word such as News, Radio, Zeitung,
    Nieuws, or "The" first) now has no first name, so the release's default greets it; people whose
    names share nothing with those words are greeted by first name as before."""
    outlets = ["BBC News", "The Guardian", "Radio France Internationale", "Süddeutsche Zeitung", "VRT Nieuws", "Reuters Newswire"]
    rows = [(name, f"desk{number}@outlet.example", "colleague") for number, name in enumerate(outlets)]
    greeted_as(
        tmp_path, standin, db_url, [*rows, ("Dana Newsome", "dana@weekly.example", "Dana"), ("Theo Radford", "theo@daily.example", "Theo")]
    )


def test_a_field_in_a_links_query_is_encoded_whole(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A release linking to "https://www.example.org/r?o={{ contact.outlet }}&lang=en" sent the
    journalist of "Q&A Weekly #4" to ?o=Q%20&%20A..., which her browser read as o="Q " (the rest cut
    off at the & and the #). A value in a link's query is now encoded whole, in the HTML and in the
    text part's list of links; one the release encodes itself (| urlencode) is not encoded twice."""
    import lxml.html

    office(tmp_path, standin, db_url, beat="Email,First Name,Outlet\nqa@weekly.example,Quinn,Q&A Weekly #4\n")
    (tmp_path / "releases" / "links.md").write_text(
        '---\nsubject: "Bee census"\n---\nSee [your figures](https://www.example.org/r?o={{ contact.outlet }}&lang=en) '
        "and [the same](https://www.example.org/s?o={{ contact.outlet | urlencode }}) "
        "and [your page](https://www.example.org/{{ contact.first_name }}/page).\n",
        encoding="utf-8",
    )
    sent = mailer("send", "releases/links.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    (request,) = standin.mail_sends
    (personalization,) = request.body["personalizations"]
    html = next(part["value"] for part in request.body["content"] if part["type"] == "text/html")
    for key, value in personalization["substitutions"].items():
        html = html.replace(key, value)
    hrefs = [a.get("href") for a in lxml.html.document_fromstring(html).iter("a") if "example.org/" in (a.get("href") or "")]
    assert "https://www.example.org/r?o=Q%26A%20Weekly%20%234&lang=en" in hrefs, hrefs
    assert "https://www.example.org/s?o=Q%26A%20Weekly%20%234" in hrefs, hrefs
    assert "https://www.example.org/Quinn/page" in hrefs, hrefs
    text = texts_sent(standin)["qa@weekly.example"]
    assert "https://www.example.org/r?o=Q%26A%20Weekly%20%234&lang=en" in text, text
    assert "https://www.example.org/s?o=Q%26A%20Weekly%20%234" in text, text


def test_a_template_beside_the_release_is_named_by_the_preview_and_the_plan(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A release.html.j2 left beside a release (a folder an agency sent, last year's copy) replaced the
    built-in template without a word: the preview and the send's plan now name the office's own
    template file. Unchanged copies of the built-in templates (an office that copied the folder) are
    not named."""
    import shutil

    from mailer.compose.markup import BUILTIN_TEMPLATES

    office(tmp_path, standin, db_url)
    shutil.rmtree(tmp_path / "templates")  # an office without a templates folder of its own
    for name in ("release.html.j2", "release.txt.j2", "release.css"):
        shutil.copy(BUILTIN_TEMPLATES / name, tmp_path / "releases" / name)
    plain = mailer("preview", "releases/example.md")
    assert plain.exit_code == 0 and "Template:" not in plain.output, plain.output
    own = tmp_path / "releases" / "release.html.j2"
    own.write_text(own.read_text(encoding="utf-8").replace("</body>", "<p>Old footer 2025</p></body>"), encoding="utf-8")
    shown = mailer("preview", "releases/example.md")
    assert "Template:  releases/release.html.j2 (the office's own, in place of the built-in one)" in shown.output, shown.output
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert "Template:   releases/release.html.j2 (the office's own" in planned.output, planned.output


def test_a_preview_of_a_release_changed_after_its_scheduled_send_says_which_goes_out(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """Scheduled for later, SendGrid holds the emails at once. A press officer who then fixed a
    figure and checked it with `mailer preview` (the usual proofreading step) was told nothing, while
    the old text was due to go out; `mailer test` said it. The preview now says it too; a preview of
    the very text scheduled says nothing, and an office with no log yet gets none made by a preview."""
    office(tmp_path, standin, db_url)
    monkeypatch.chdir(tmp_path)
    proof_of_a_fix_after_scheduling_warns(tmp_path, "preview", "releases/example.md")


def test_a_preview_in_an_office_without_a_log_makes_none(tmp_path: Path, standin: Any) -> None:
    """The first preview of a new office looks for scheduled sends only in a log that exists."""
    log = tmp_path / "log.db"
    office(tmp_path, standin, f"sqlite:///{log}")
    shown = mailer("preview", "releases/example.md")
    assert shown.exit_code == 0, shown.output
    assert not log.exists() and "Log:" not in shown.output, shown.output


def test_british_styles_of_address_give_the_first_name_or_none() -> None:
    """A council's or Parliament's press list writes "The Rt Hon. Jane Doe MP", "Cllr Sam Patel" and
    "Lord Smith": after the outlet rule ("The Guardian"), the first became an outlet ("Dear colleague,"),
    and the others read "Dear Rt,", "Dear Cllr," and "Dear Lord,". Each now gives the person's first
    name, or none where the style has none (a peer), so the release's default greets them."""
    import pyarrow as pa

    from mailer.contacts.names import split_names

    cells = {
        "The Rt Hon. Jane Doe MP": ("Jane", "The Rt Hon."),
        "Rt Hon. Jane Doe MP": ("Jane", "Rt Hon."),
        "The Right Honourable Jane Doe": ("Jane", "The Right Honourable"),
        "The Rev. John Smith": ("John", "The Rev."),
        "The Very Rev. Alan Green": ("Alan", "The Very Rev."),
        "Revd Alan Green": ("Alan", "Revd"),
        "The Ven. Jane Doe": ("Jane", "The Ven."),
        "Cllr Sam Patel": ("Sam", "Cllr"),
        "Councillor Sam Patel": ("Sam", "Councillor"),
        "Lord Smith": ("", "Lord"),
        "Baroness Hale of Richmond": ("", "Baroness"),
        "The Guardian": ("", ""),
        "The Times": ("", ""),
    }
    first, _, honorific = split_names(pa.array(list(cells), type=pa.large_string()))
    assert dict(zip(cells, zip(first.to_pylist(), honorific.to_pylist(), strict=True), strict=True)) == cells


def test_a_send_stopped_with_kill_answers_its_request_out_first(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`kill PID` (SIGTERM: a colleague's script, a computer shutting down) stopped a send as kill -9
    does: the request with SendGrid got no logged answer, so its journalist was left unknown and the
    advice was to wait for events. Like Ctrl-C, it now lets that answer come and be logged, sends
    nothing more, and the rest waits for `mailer resume`. Also where Ctrl-C is ignored (a background
    job, a script run with nohup), which had left SIGTERM unheard too (seen in CI)."""
    import json
    import re
    import signal
    import time

    from conftest import without_log_line
    from office_cli import KEY, SEND, SIX
    from send_fixtures import mailer_process

    office(tmp_path, standin, db_url, beat=SIX, batch_size=1, sendgrid="concurrency = 1\n")
    third = standin.hold(match=lambda r: len(standin.mail_sends) >= 3)
    process = mailer_process(tmp_path, KEY, *SEND, background=True)
    try:
        deadline = time.monotonic() + 60
        while len(standin.mail_sends) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        third.set()
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    found = re.search(r"^Campaign (\S+):", out, re.MULTILINE)
    assert found, (out, err)
    campaign_id = found.group(1)
    counts = json.loads(without_log_line(mailer("status", campaign_id, "--json").output))["counts"]
    assert (counts["accepted"], counts["unknown"], counts["planned"]) == (3, 0, 3), (counts, out, err)
    assert len(standin.mail_sends) == 3, (out, err)
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    addresses = [p["to"][0]["email"] for r in standin.mail_sends for p in r.body["personalizations"]]
    assert sorted(addresses) == sorted(set(addresses)) and len(addresses) == 6, addresses


def test_an_events_file_in_milliseconds_is_said_to_be(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A tool that exports events with JavaScript times writes milliseconds: each event was quarantined
    as "should be Unix seconds between 1970 and 9999", with no word of what was wrong with the number
    (newcomer 24, left). It now says the number is milliseconds, which moment it means, and to write
    the file again in seconds; an event in seconds beside it is stored."""
    import json

    office(tmp_path, standin, db_url)
    seconds = 1_764_662_400  # 2025-12-02 08:00 UTC
    lines = [
        {"event": "delivered", "email": "ana@daily.example", "timestamp": seconds * 1000, "sg_event_id": "ms-1"},
        {"event": "delivered", "email": "ben@gazette.example", "timestamp": seconds, "sg_event_id": "s-1"},
    ]
    (tmp_path / "events.ndjson").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = mailer("events", "import", "events.ndjson")
    shown = mailer("events", "quarantine").output
    assert "1764662400000, which is milliseconds (2025-12-02 08:00 UTC)" in result.output + shown, (result.output, shown)
    assert "Read 2 events" in result.output or "2 events" in result.output, result.output
