"""Review 18r: a hostile read of the reports and exports, as a press officer reading the figures to
her director and as someone who controls a list cell or an event.

Each test is a finding: what the press officer saw, asserted as it should be; each failed on main
before its fix (session 18). The delivery log is a real SQLite file or PostgreSQL database, filled
with eventlog's rows and events; commands run through click's CliRunner.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from eventlog import T0, add_campaign, add_message, sg_event
from office_cli import SEND, campaign_of, imported, mailer, office, page_text, release_named
from office_cli import run_with_log as run
from sqlalchemy import Engine, insert

from mailer import reports
from mailer.cli import output
from mailer.store import connect, event_reports
from mailer.store.schema import message

CAMPAIGN = "2026-02-19-wetlands"


def figure_rows(out: str) -> list[tuple[str, ...]]:
    """The summary table's rows as printed: (figure, count, rate)."""
    return [tuple(cell.strip() for cell in line.strip("│").split("│")) for line in out.splitlines() if line.startswith("│")]


# -- 1. the lines under "Accepted by SendGrid" do not add up to it --------------------------------


def test_summary_accounts_for_emails_sendgrid_has_said_nothing_of_yet(store: Engine) -> None:
    """An hour after the send she reads the figures to her director: "Accepted by SendGrid 5,
    Delivered 1, Deferred 0, Bounced 0". "And the other four?" Nothing on the table, the page or
    the JSON said: SendGrid had not yet reported them delivered or bounced (no event, or only
    "processed"). Now a line counts them, so the lines under Accepted add up to it."""
    add_campaign(store, CAMPAIGN)
    keys = [add_message(store, CAMPAIGN, f"j{i}@paper.example") for i in range(5)]
    imported(
        store,
        sg_event("processed", "j0@paper.example", key=keys[0], campaign_id=CAMPAIGN, at=T0 + 5),
        sg_event("processed", "j1@paper.example", key=keys[1], campaign_id=CAMPAIGN, at=T0 + 5),
        sg_event("delivered", "j1@paper.example", key=keys[1], campaign_id=CAMPAIGN, at=T0 + 9),
    )
    code, out = run(store, "report", CAMPAIGN)
    assert code == 0, out
    rows = figure_rows(out)
    assert ("Accepted by SendGrid", "5", "") in rows
    assert ("Delivered", "1", "20.0%") in rows
    assert ("No news yet (not reported delivered or bounced)", "4", "") in rows, out
    assert rows.index(("No news yet (not reported delivered or bounced)", "4", "")) == rows.index(("Deferred (still trying)", "0", "")) + 1
    code, out = run(store, "report", CAMPAIGN, "--format", "json")
    figures = json.loads(out)["figures"]
    assert figures["no_news"] == {"count": 4, "rate": None}
    parts = ("delivered", "deferred", "no_news", "bounced")
    assert sum(figures[key]["count"] for key in parts) == figures["accepted"]["count"]


# -- 2. the terminal table of a 100,000-journalist report: 835 MB, and a minute before its first line --


def test_long_terminal_table_is_printed_a_chunk_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mailer report CAMPAIGN --kind recipients` of a send to 100,000 journalists showed nothing for
    44 seconds (65 on a shared machine), then the whole table at once, after Rich had held every
    line of it: 835 MB. Now the rows are drawn and printed a chunk at a time, with the widths worked
    out once: the same table, line for line, the first rows at once, memory that of one chunk
    (here 600 rows in chunks of 50: the peak was over 7 MB, it is now under 3)."""
    keys = tuple(f"c{i}" for i in range(15))
    labels = ("email", "name", "outlet", "state", "delivery", "first event (UTC)", "last event (UTC)", *(f"n{i}" for i in range(8)))
    rows = [
        (
            f"j{n}@paper{n % 50}.example",
            f"Jo{n} Doe",
            f"Paper {n % 50}",
            "accepted",
            "delivered",
            "2026-02-19 10:00:05",
            "2026-02-19 10:00:05",
        )
        + tuple(str(n % (i + 2)) for i in range(8))
        for n in range(600)
    ]

    def printed(*, traced: bool) -> tuple[str, float]:
        """The table as printed, and its peak memory in MB when ``traced`` (tracemalloc makes drawing it several times slower)."""

        @click.command()
        def show() -> None:
            output.start()
            if traced:
                tracemalloc.start()
            try:
                output.fitted_table("2026-02-19-wetlands: recipients (600)", keys=keys, labels=labels, rows=rows, keep_whole=("c0",))
                if traced:
                    peak[0] = tracemalloc.get_traced_memory()[1] / 1e6
            finally:
                if traced:
                    tracemalloc.stop()

        peak = [0.0]
        result = CliRunner(env={"COLUMNS": "200"}).invoke(show, [])
        assert result.exit_code == 0, result.output
        return result.output, peak[0]

    whole, _ = printed(traced=False)  # one chunk: the table as it always was
    monkeypatch.setattr(output, "TABLE_CHUNK", 50, raising=False)
    chunked, peak = printed(traced=True)
    assert chunked == whole
    lines = chunked.splitlines()
    assert [line[0] for line in lines[1:4]] == ["┏", "┃", "┡"] and lines[-1][0] == "└"
    assert len([line for line in lines if line.startswith("│")]) == 600
    assert peak < 3.0, f"{peak:.1f} MB"


# -- 3. no-break and ideographic spaces, joiners: shown as \xa0 and \u3000 in every table --------


def test_names_and_subjects_keep_their_spaces_and_joiners_on_the_terminal(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A French office's release is titled "Communiqué : ..." with the no-break space French
    typography puts before a colon; its list names "Radio France" with the no-break space its
    spreadsheet export kept, 山田　太郎 with the ideographic space between family and given name,
    and a Persian journalist whose name holds a zero-width non-joiner. `mailer report`, `mailer
    status` and `mailer contact` printed "Communiqué\\xa0:", "Radio\\xa0France", "山田\\u3000太郎",
    "می\\u200cروم": the escape meant for control characters garbled names and the title. They now
    print as written; a bidirectional override, which reorders what follows it, is still shown
    as \\u202e."""
    beat = (
        "Email,First Name,Last Name,Outlet\n"
        "ana@daily.example,Ana,Lima,Radio\u00a0France\n"
        "yo@nhk.example,山田\u3000太郎,,NHK\n"
        "sara@iran.example,\u0645\u06cc\u200c\u0631\u0648\u0645,,\u202eevil\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    release = tmp_path / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace('subject: "Riverbend', 'subject: "Communiqué\u00a0: Riverbend', 1), encoding="utf-8")
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    for args in (("report", campaign_id, "--kind", "recipients", "--wide"), ("report", campaign_id), ("status", campaign_id)):
        shown = mailer(*args)
        assert shown.exit_code == 0, shown.output
        assert "\\x" not in shown.output and "\\u200c" not in shown.output and "\\u3000" not in shown.output, shown.output
        assert "Communiqué\u00a0: Riverbend" in shown.output or args[2:3] == ("--kind",), shown.output
    listed = mailer("report", campaign_id, "--kind", "recipients", "--wide").output
    assert "Radio\u00a0France" in listed and "山田\u3000太郎" in listed and "\u0645\u06cc\u200c\u0631\u0648\u0645" in listed, listed
    assert "\\u202eevil" in listed and "\u202e" not in listed, listed
    told = mailer("contact", "ana@daily.example").output
    assert "ana@daily.example: Ana Lima, Radio\u00a0France" in told and "Subject:  Communiqué\u00a0: Riverbend" in told, told


# -- 4. `report -o -` on a terminal: a bounce reason's escape sequence acts on the terminal -------


def test_csv_on_the_terminal_shows_escape_sequences_from_events(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiving mail server words its refusal as it likes, and SendGrid passes it on as the
    bounce's reason. One ended "550 no such user" with an escape sequence that sets the terminal's
    clipboard (OSC 52) and one that turns the text red. She ran `mailer report CAMPAIGN --kind
    bounces -o -` to glance at the CSV: the terminal acted on both (every other command shows them
    as \\x1b). On a terminal the CSV now shows them so; a pipe or a file still gets the CSV as it is."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "cleo@gazette.example", outlet="The Gazette")
    reason = "550 no such user \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07 \x1b[31mred \u202eevil"
    imported(store, sg_event("bounce", "cleo@gazette.example", key=key, campaign_id=CAMPAIGN, at=T0 + 9, type="bounce", reason=reason))
    code, piped = run(store, "report", CAMPAIGN, "--kind", "bounces", "-o", "-")
    assert code == 0 and reason in piped, piped  # a pipe: the data as it is
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True, raising=False)
    code, shown = run(store, "report", CAMPAIGN, "--kind", "bounces", "-o", "-")
    assert code == 0, shown
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown, repr(shown)
    assert "550 no such user \\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\x07 \\x1b[31mred \\u202eevil" in shown, shown
    lines = shown.splitlines()
    assert (
        lines[0]
        == "email,name,outlet,bounce,classification,reason,when (UTC),opened or clicked,first opened or clicked (UTC),campaign,subject"
    )
    assert lines[1].startswith("cleo@gazette.example,,The Gazette,hard bounce,,550 no such user"), lines


# -- 5. `mailer campaigns` "opened" 0, the report "Opened 1": one word, two figures -------------


def test_campaigns_names_its_opened_column_as_the_report_does(store: Engine) -> None:
    """The only open of a send was Apple Mail's pre-fetch. `mailer report` said "Opened (all,
    unique) 1" and "Opened by people (without Apple pre-fetch) 0"; `mailer campaigns` said
    "opened 0" under a heading that did not say which. Her director, shown both, asked which
    was right. The column is now headed as the report's line it copies: "opened by people"."""
    add_campaign(store, CAMPAIGN)
    key = add_message(store, CAMPAIGN, "ana@daily.example")
    imported(store, sg_event("open", "ana@daily.example", key=key, campaign_id=CAMPAIGN, at=T0 + 60, sg_machine_open=True))
    code, out = run(store, "report", CAMPAIGN)
    assert ("Opened (all, unique)", "1", "100.0%") in figure_rows(out) and (
        "Opened by people (without Apple pre-fetch)",
        "0",
        "0.0%",
    ) in figure_rows(out)
    code, out = run(store, "campaigns")
    assert code == 0, out
    head, row = (re.split(r" {2,}", line.strip()) for line in out.splitlines()[:2])
    figures = dict(zip(head, row))
    assert figures["opened by people"] == "0" and "opened" not in figures, figures


# -- 6. the recipients report's "bounce" column says "bounce" where every other report says "hard bounce" --


def test_recipients_report_names_a_hard_bounce_as_the_other_reports_do(store: Engine) -> None:
    """Cleo's address no longer exists (a hard bounce), Dan's server refused for now (blocked).
    The summary says "hard bounce (address refused for good)", the bounces report "hard bounce";
    the recipients spreadsheet she filtered on its "bounce" column said "bounce" beside
    "blocked", which read as "bounced, kind unknown", and she kept Cleo on the list. It now
    says "hard bounce" there too."""
    add_campaign(store, CAMPAIGN)
    cleo = add_message(store, CAMPAIGN, "cleo@gazette.example")
    dan = add_message(store, CAMPAIGN, "dan@gazette.example")
    imported(
        store,
        sg_event(
            "bounce", "cleo@gazette.example", key=cleo, campaign_id=CAMPAIGN, at=T0 + 9, type="bounce", reason="550 5.1.1 no such user"
        ),
        sg_event("bounce", "dan@gazette.example", key=dan, campaign_id=CAMPAIGN, at=T0 + 9, type="blocked", reason="554 blocked"),
    )
    code, out = run(store, "report", CAMPAIGN, "--kind", "recipients", "-o", "-")
    assert code == 0, out
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(out))}
    assert (rows["cleo@gazette.example"]["bounce"], rows["dan@gazette.example"]["bounce"]) == ("hard bounce", "blocked"), rows
    code, out = run(store, "report", CAMPAIGN, "--kind", "bounces", "-o", "-")
    assert {row["email"]: row["bounce"] for row in csv.DictReader(io.StringIO(out))} == {
        "cleo@gazette.example": "hard bounce",
        "dan@gazette.example": "blocked",
    }


# -- 7. a JSON report of a big send takes three times the memory of the CSV ---------------------


def test_json_report_is_written_a_row_at_a_time(store: Engine) -> None:
    """The recipients report of a send to 100,000 journalists took 164 MB as CSV and 514 MB as
    JSON (a million journalists: past 5 GB): the whole document was built, then its whole text.
    It is now written a row at a time, the same text, in about the memory the CSV takes (here
    3,000 journalists, measured with tracemalloc)."""
    add_campaign(store, CAMPAIGN)
    stamp = datetime.fromtimestamp(T0, UTC)
    with store.begin() as connection:
        connection.execute(
            insert(message),
            [
                {
                    "campaign_id": CAMPAIGN,
                    "message_key": f"m{n:06d}",
                    "email": f"j{n}@paper{n % 40}.example",
                    "email_key": f"j{n}@paper{n % 40}.example",
                    "fields": {"first_name": f"Jo{n}", "last_name": "Doe", "outlet": f"Paper {n % 40}"},
                    "source": f"lists/press.csv:{n + 2}",
                    "state": "accepted",
                    "delivery": "delivered",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for n in range(3000)
            ],
        )

    def peak(fmt: str) -> float:
        # Python's defaults: a webhook test earlier in this process may have left gc.set_threshold(20_000)
        # (webhook.tune_for_ingest), under which each json.dumps' closures wait longer to be collected.
        threshold = gc.get_threshold()
        gc.set_threshold(700, 10, 10)
        gc.collect()
        tracemalloc.start()
        try:
            reports.export(store, CAMPAIGN, kind="recipients", fmt=fmt, path=f"r.{fmt}")
            return tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()
            gc.set_threshold(*threshold)

    for fmt in ("csv", "json"):  # modules imported on first use are not the report's memory (untraced: a third of the time)
        reports.export(store, CAMPAIGN, kind="recipients", fmt=fmt, path=f"r.{fmt}")
    as_csv, as_json = peak("csv"), peak("json")
    document = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert len(document["rows"]) == 3000 and document["rows"][0]["email"] == "j0@paper0.example"
    assert as_json < 1.3 * as_csv, f"JSON {as_json:.1f} MB, CSV {as_csv:.1f} MB"
    code, out = run(store, "report", CAMPAIGN, "--kind", "recipients", "--format", "json")  # standard output: the same document
    assert code == 0 and json.loads(out) == document


# -- 8. a forgotten journalist's bounce: "Check those addresses" of an address erased on purpose --


def test_outlet_report_keeps_forgotten_journalists_apart_and_unflagged(store: Engine) -> None:
    """Cleo's address bounced; she then asked to be forgotten (`mailer forget`). The outlet report
    and the page's "Attention: Every address bounced at 2 outlets or domains ... Check those
    addresses before the next release" then flagged "(no outlet)" and "(forgotten)": her erased
    row had joined the journalists whose list gave no outlet, and there was no address to check.
    She is now counted under "(forgotten)", apart from "(no outlet)", noted as erased, never
    flagged; the figures stay the same."""
    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "ana@daily.example", outlet="Daily News", delivery="delivered")
    add_message(store, CAMPAIGN, "dan@free.example", delivery="delivered")
    cleo = add_message(store, CAMPAIGN, "cleo@gazette.example", outlet="The Gazette")
    imported(
        store,
        sg_event("bounce", "cleo@gazette.example", key=cleo, campaign_id=CAMPAIGN, at=T0 + 9, type="bounce", reason="550 no such user"),
    )
    code, out = run(store, "forget", "cleo@gazette.example", "--yes")
    assert code == 0, out
    code, out = run(store, "report", CAMPAIGN, "--kind", "outlets", "-o", "-")
    assert code == 0, out
    rows = {(row["by"], row["outlet or domain"]): row for row in csv.DictReader(io.StringIO(out))}
    forgotten = rows[("outlet", "(forgotten)")]
    assert (forgotten["recipients"], forgotten["bounced"], forgotten["note"]) == ("1", "1", "erased with mailer forget; never mailed again")
    assert (rows[("outlet", "(no outlet)")]["recipients"], rows[("outlet", "(no outlet)")]["note"]) == ("1", "")
    assert rows[("domain", "(forgotten)")]["note"] == "erased with mailer forget; never mailed again"
    assert "every address" not in out, out
    code, out = run(store, "report", CAMPAIGN, "-o", "page.html")
    assert code == 0, out
    text = page_text(Path("page.html"))
    assert "Attention" not in text and "Check those addresses" not in text, text
    code, out = run(store, "report", CAMPAIGN, "--format", "json")
    assert json.loads(out)["figures"]["bounced"]["count"] == 1


def test_sandbox_rehearsal_has_no_news_line_to_wait_for(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A rehearsal sent to SendGrid's sandbox gets no events, ever: its report warns it reached
    nobody, and does not add "No news yet" as though events were on their way (follow-up to #1)."""
    office(tmp_path, standin, db_url, sendgrid="sandbox = true\n")
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    shown = mailer("report", campaign_of(sent))
    assert shown.exit_code == 0, shown.output
    assert "went to SendGrid's sandbox" in " ".join(shown.output.split()) and "No news yet" not in shown.output, shown.output


# -- 9. a journalist who clicked is counted as not opened, and followed up as such ---------------


def test_a_journalist_who_clicked_counts_as_having_opened(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Four journalists. Ana reads in Apple Mail: Apple pre-fetched the pixel (a machine open) and
    served it to her from its cache when she read, so her only sign is the link she clicked. Ben's
    mail shows no images: he clicked, with no open at all. Cleo's Apple Mail pre-fetched the pixel
    and she never read it. Dan opened it.

    The summary said "Opened by people 1" (Dan) and "Opened (all) 3"; the opens report marked
    Ana "Apple pre-fetch only: yes" and left Ben out; and `--follow-up ... --who not-opened`
    planned a "did you see our release?" reminder to Ana and Ben, who had clicked through to it.
    A click now counts as an open by a person, in every figure and in follow-ups."""
    beat = "Email,First Name,Last Name,Outlet\n" + "".join(
        f"{name}@paper.example,{name.title()},Doe,Paper\n" for name in ("ana", "ben", "cleo", "dan")
    )
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    key = {p["to"][0]["email"]: p["custom_args"]["message"] for r in standin.mail_sends for p in r.body["personalizations"]}

    def happened(kind: str, name: str, at: int, **extra: object) -> dict[str, object]:
        return sg_event(kind, f"{name}@paper.example", key=key[f"{name}@paper.example"], campaign_id=campaign_id, at=at, **extra)

    url = "https://www.example.org/census-2026"
    events = [happened("delivered", name, T0 + 5) for name in ("ana", "ben", "cleo", "dan")]
    events += [
        happened("open", "ana", T0 + 60, sg_machine_open=True),
        happened("click", "ana", T0 + 3600, url=url),
        happened("click", "ben", T0 + 7200, url=url),
        happened("open", "cleo", T0 + 60, sg_machine_open=True),
        happened("open", "dan", T0 + 600, sg_machine_open=False),
    ]
    Path("events.json").write_text(json.dumps(events), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    figures = json.loads(mailer("report", campaign_id, "--format", "json").stdout)["figures"]
    assert (figures["opened"]["count"], figures["opened_human"]["count"], figures["clicked"]["count"]) == (4, 3, 2), figures
    opens = {row["email"]: row for row in json.loads(mailer("report", campaign_id, "--kind", "opens", "--format", "json").stdout)["rows"]}
    assert {email: row["apple_pre_fetch_only"] for email, row in opens.items()} == {
        "ana@paper.example": "no",
        "ben@paper.example": "no",
        "cleo@paper.example": "yes",
        "dan@paper.example": "no",
    }
    outlets = json.loads(mailer("report", campaign_id, "--kind", "outlets", "--format", "json").stdout)["rows"]
    assert [(row["opened"], row["opened_by_people"]) for row in outlets if row["outlet_or_domain"] == "Paper"] == [(4, 3)]
    assert mailer("report", campaign_id, "-o", "page.html").exit_code == 0
    page = page_text(Path("page.html"))
    assert "Opened by people (without Apple pre-fetch) | 3 |" in page and "outlet | Paper | 4 | 4 | 0 | 4 | 3 | 2 |" in page, page
    assert "A journalist who clicked counts as having opened" in page, page
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            timeline = event_reports.engagement(connection, campaign_id).timeline
    finally:
        engine.dispose()
    assert sum(first for first, _clicks in timeline.values()) == 3  # the chart's blue bars add up to "opened by people"
    plan = mailer("send", release_named(tmp_path, "reminder"), "--follow-up", campaign_id, "--who", "not-opened", "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert f"Follow-up:  1 of 4 journalists of {campaign_id} (not opened): 3 opened" in plan.stdout, plan.stdout


# -- 10. a day after the send, "No news yet" for everyone, and nothing says why -------------------


def test_report_says_where_events_come_from_when_none_ever_arrived(store: Engine) -> None:
    """The office's SendGrid Event Webhook pointed at last year's address, so no event reached
    the log. A day after the send her report read "Accepted by SendGrid 3, Delivered 0, Opened 0"
    (and, since #1, "No news yet 3"), as if nobody had opened it. When nothing at all has been
    heard of a send over an hour old, a note now says so, where events come from and what to
    check; once any event arrives (even "processed") the note goes."""
    add_campaign(store, CAMPAIGN)  # sent 2026-02-19, long ago
    keys = [add_message(store, CAMPAIGN, f"j{i}@paper.example") for i in range(3)]
    code, out = run(store, "report", CAMPAIGN)
    assert code == 0, out
    said = " ".join(out.split())
    assert "SendGrid has reported nothing about this send yet" in said and "mailer webhook (or mailer events import FILE)" in said, out
    code, out = run(store, "report", CAMPAIGN, "--format", "json")
    assert any("SendGrid has reported nothing" in note for note in json.loads(out)["notes"])
    imported(store, sg_event("processed", "j0@paper.example", key=keys[0], campaign_id=CAMPAIGN, at=T0 + 5))
    code, out = run(store, "report", CAMPAIGN)
    assert code == 0 and "reported nothing" not in out, out
    assert ("No news yet (not reported delivered or bounced)", "3", "") in figure_rows(out)


def test_report_of_a_send_just_made_does_not_worry_about_silence(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Minutes after a send, no event yet is normal: no note (the rule above waits an hour)."""
    office(tmp_path, standin, db_url)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    shown = mailer("report", campaign_of(sent))
    assert shown.exit_code == 0 and "reported nothing" not in shown.output, shown.output
