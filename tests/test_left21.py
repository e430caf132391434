"""Session 21's leftovers: small things a press officer saw in the report page, the rejected rows
and `lists check --json`, each asserted as it should be; each failed on main before its fix.

The delivery log is a real SQLite file or PostgreSQL database, filled with eventlog's rows and
events; commands run through click's CliRunner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eventlog import T0, add_campaign, add_message, sg_event
from office_cli import SEND, imported, mailed, mailer, office, page_text
from office_cli import run_with_log as run
from sqlalchemy import Engine

from mailer.cli import main

CAMPAIGN = "2026-02-19-wetlands"


# -- 1. one journalist's bounce read as "bounced at 2 outlets or domains" -------------------------


def test_page_counts_one_bounced_journalist_at_one_outlet_once(store: Engine) -> None:
    """Cleo of The Gazette bounced (SendGrid reported it twice); the other two journalists, at
    another paper, were delivered. The page's attention line read "Every address bounced at 2
    outlets or domains": her outlet row and her address domain's row, one journalist at one
    paper counted twice, so the press officer went looking for a second paper. It now counts
    outlets and domains apart: "at 1 outlet and 1 domain"."""
    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "ana@daily.example", outlet="Daily News", delivery="delivered")
    add_message(store, CAMPAIGN, "ben@daily.example", outlet="Daily News", delivery="delivered")
    cleo = add_message(store, CAMPAIGN, "cleo@gazette.example", outlet="The Gazette")
    bounce = {"type": "bounce", "reason": "550 no such user"}
    imported(
        store,
        sg_event("bounce", "cleo@gazette.example", key=cleo, campaign_id=CAMPAIGN, at=T0 + 9, **bounce),
        sg_event("bounce", "cleo@gazette.example", key=cleo, campaign_id=CAMPAIGN, at=T0 + 90, **bounce),
    )
    code, out = run(store, "report", CAMPAIGN, "-o", "page.html")
    assert code == 0, out
    text = page_text(Path("page.html"))
    assert "Every address bounced at 1 outlet and 1 domain, highlighted below. Check those addresses" in text, text
    assert "outlets or domains" not in text, text
    assert Path("page.html").read_text(encoding="utf-8").count('<tr class="alert">') == 2


# -- 2. a name's bidirectional override reordered the report page around it ----------------------

HOSTILE = "\u202eevil\u2066\u200f\u0085\x1b[31m\u009b31m"  # override, isolate, RLM, NEL, ESC, C1 CSI


def test_page_cells_show_control_characters_as_the_terminal_does(store: Engine) -> None:
    """A list gave a journalist's first name as "\\u202eevil" (right-to-left override), her outlet
    with an isolate and a right-to-left mark, and a receiving server's refusal came with an escape
    sequence and a C1 control. The terminal shows them as \\u202e, \\x1b; the HTML page put them in
    its cells as they are, and the browser reordered the cell around the override ("live" for
    "evil"). A cell of the page now shows them as the terminal does; markup is still escaped."""
    from mailer.cli import output

    add_campaign(store, CAMPAIGN)
    add_message(store, CAMPAIGN, "ana@daily.example", first_name="<b>Ana</b>", outlet="Daily News", delivery="delivered")
    cleo = add_message(store, CAMPAIGN, "cleo@gazette.example", first_name=HOSTILE, last_name="Roy", outlet=f"Gaz{HOSTILE}ette")
    reason = f"550 no such user {HOSTILE}"
    imported(store, sg_event("bounce", "cleo@gazette.example", key=cleo, campaign_id=CAMPAIGN, at=T0 + 9, type="bounce", reason=reason))
    allowed = set(output.SHOWN_AS_THEY_ARE) | {"\n"}
    for kind in ("recipients", "bounces"):
        code, out = run(store, "report", CAMPAIGN, "--kind", kind, "-o", f"{kind}.html")
        assert code == 0, out
        page = Path(f"{kind}.html").read_text(encoding="utf-8")
        acted_on = sorted({c for c in page if not c.isprintable() and c not in allowed})
        assert not acted_on, (kind, acted_on)
        text = page_text(Path(f"{kind}.html"))
        assert "\\u202eevil\\u2066\\u200f\\x85\\x1b[31m\\x9b31m Roy" in text, text
        assert "Gaz\\u202eevil\\u2066\\u200f\\x85\\x1b[31m\\x9b31mette" in text, text
    assert "550 no such user \\u202eevil" in page_text(Path("bounces.html"))
    assert "&lt;b&gt;Ana&lt;/b&gt;" in Path("recipients.html").read_text(encoding="utf-8")


# -- 3. `lists check --json` left out how a consent column is read ---------------------------------


def test_lists_check_json_says_how_a_consent_column_is_read() -> None:
    """A list kept for the GDPR has an "Email consent" column. `mailer lists check` says under the
    file how it is read (only a yes mails; an empty cell is no consent); the office's script runs
    `lists check --json`, which said nothing of it: the script's report showed the two empty rows
    as "opted out" with no word of why. Each file of the JSON now carries the same note under
    "consent_columns", the column's heading beside it (an empty list for a file without one)."""
    Path("gdpr.csv").write_text("Email,Name,Email consent\nana@daily.example,Ana,yes\nben@gazette.example,Ben,\n", encoding="utf-8")
    Path("plain.csv").write_text("Email,Name\ncleo@radio.example,Cleo\n", encoding="utf-8")
    code, said = run(None, "lists", "check", "gdpr.csv")
    assert code == 0, said
    note = (
        '"Email consent" is read as consent to email: only a row whose cell says yes (or gives the day consent was given) '
        "is mailed; an empty cell is no consent, and that row is not mailed."
    )
    assert f"note: {note}" in " ".join(said.split()), said
    result = CliRunner().invoke(main, ["lists", "check", "gdpr.csv", "plain.csv", "--json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert files[0]["consent_columns"] == [{"column": "Email consent", "note": note}], files[0]
    assert files[1]["consent_columns"] == [], files[1]


# -- 4. a journalist whose consent cell says no was said to have "opted out" ------------------------


@pytest.mark.sqlite_only
def test_a_no_in_a_consent_column_reads_as_no_consent_not_an_opt_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list kept for the GDPR: Cleo's "Email consent" cell says no (she was asked and declined),
    her second row says yes. lists check, the rejects file and `mailer contact` said she "opted
    out of email": she never subscribed to anything to opt out of, and the press officer asked
    "when did she unsubscribe?". They now say she gave no consent, her other row too; a list's own
    opt-out column still reads "opted out"."""
    beat = (
        "Email,Name,Email consent,Do Not Email\nana@daily.example,Ana,yes,\ncleo@radio.example,Cleo,no,\n"
        "cleo@radio.example,Cleo B,yes,\ndan@post.example,Dan,yes,yes\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert 'row 3: cleo@radio.example: gave no consent to email ("Email consent": no)' in checked.output, checked.output
    assert "row 4: cleo@radio.example: gave no consent to email (row 3 says so)" in checked.output, checked.output
    assert 'row 5: dan@post.example: opted out of email ("Do Not Email": yes)' in checked.output, checked.output
    cleaned = mailer("lists", "clean", "lists/beat.csv", "-o", "clean.csv", "--rejects", "rejects.csv")
    assert cleaned.exit_code == 0, cleaned.output
    rejects = Path("rejects.csv").read_text(encoding="utf-8-sig")
    assert '"gave no consent to email (""Email consent"": no)"' in rejects and "opted out of email (row" not in rejects, rejects
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@daily.example"], sent.output
    told = " ".join(mailer("contact", "cleo@radio.example").output.split())
    assert 'Outcome: skipped: gave no consent to email ("Email consent": no)' in told, told
    assert "opted out" not in told, told
    imported = mailer("suppressions", "import", "lists/beat.csv", "--reason", "the GDPR list")
    assert imported.exit_code == 0, imported.output
    listed = mailer("suppressions", "list").output
    assert "cleo@radio.example" in listed and "dan@post.example" in listed, listed  # a no is still kept out for good


def test_lists_check_counts_rows_without_consent_apart_from_those_opted_out(store: Engine) -> None:
    """Under the file, `lists check` counted Ben (consent cell empty) and Cleo (consent: no) as
    "rejected: 2 (2 opted out)", right above rows saying neither opted out; Dan's "Do Not Email"
    did opt out. The count now says which: "3 (1 opted out, 2 without consent)", in the total
    line of several files too, and `lists prune` says the same of the rows it left out."""
    Path("gdpr.csv").write_text(
        "Email,Name,Email consent,Do Not Email\nana@daily.example,Ana,yes,\nben@gazette.example,Ben,,\n"
        "cleo@radio.example,Cleo,no,\ndan@post.example,Dan,yes,yes\n",
        encoding="utf-8",
    )
    Path("plain.csv").write_text("Email,Name\neve@tv.example,Eve\n", encoding="utf-8")
    code, said = run(None, "lists", "check", "gdpr.csv")
    assert code == 0, said
    assert "  rejected:    3 (1 opted out, 2 without consent)\n" in said, said
    code, said = run(None, "lists", "check", "gdpr.csv", "plain.csv")
    assert code == 0, said
    assert "Total: 5 rows read, 2 recipients, rejected: 3 (1 opted out, 2 without consent)." in said, said
    code, said = run(store, "lists", "prune", "gdpr.csv", "-o", "pruned.csv")
    assert code == 0, said
    assert "Also left out rows that are not recipients (1 opted out, 2 without consent)" in said, said


def test_suppressions_import_of_a_consent_list_says_who_gave_no_consent(store: Engine) -> None:
    """`mailer suppressions import` of a GDPR list suppresses Cleo, whose "Email consent" says no,
    and leaves out Ana (yes) and Ben (empty). It warned 'its column "Email consent" says who opted
    out: 1 row marked so was imported, and 2 rows not marked (they did not opt out) were not': nobody
    there opted out of anything. It now says the column says who gave consent, and which rows went in."""
    Path("gdpr.csv").write_text(
        "Email,Name,Email consent\nana@daily.example,Ana,yes\nben@gazette.example,Ben,\ncleo@radio.example,Cleo,no\n", encoding="utf-8"
    )
    code, said = run(store, "suppressions", "import", "gdpr.csv", "--reason", "the GDPR list")
    assert code == 0, said
    words = " ".join(said.split())
    assert (
        'gdpr.csv: its column "Email consent" says who gave consent to email: 1 row saying no (or anything but yes or a date) '
        "was imported, and 2 rows saying yes or nothing were not." in words
    ), words
    assert "opted out" not in words, words
    code, listed = run(store, "suppressions", "list")
    assert "cleo@radio.example" in listed and "ben@" not in listed and "ana@" not in listed, listed
