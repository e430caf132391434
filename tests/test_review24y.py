"""Review 24y: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from office_cli import SEND, campaign_of, mailed, mailer, office, said

# -- 1. an office's own stylesheet with "<td>" in a CSS comment refused as a script ------------------


def test_a_css_comment_naming_a_tag_is_no_script(project: Path) -> None:
    """Since the template checks were combined (review 24k, 24x), any tag the check's parser read inside
    a <style> was refused: the office's own templates/release.css with a comment "/* stack the <td>
    cells on phones */" in its @media rule (kept in a <style> block by inlining), or a <style> in the
    template whose comment says "Outlook <table> fix", stopped every preview and send with "<td> inside
    <style> is not allowed in an email template: it would run in the browser", naming release.html.j2,
    which holds no such thing. A browser reads an HTML <style> as text up to its "</style": such
    comments are fine now; a tag in it hiding that end, or an SVG's <style> holding markup, is refused."""
    css = project / "templates" / "release.css"
    css.write_text(
        css.read_text(encoding="utf-8")
        + "\n@media only screen and (max-width: 620px) {\n  /* stack the <td> cells on phones */\n  .content td { display: block !important; }\n}\n",
        encoding="utf-8",
    )
    template = project / "templates" / "release.html.j2"
    written = template.read_text(encoding="utf-8")
    template.write_text(
        written.replace("</head>", "<style>/* Outlook <table> fix */ table { border-collapse: collapse; }</style>\n</head>"),
        encoding="utf-8",
    )
    shown = mailer("preview", "releases/example.md", "-o", "out")
    assert shown.exit_code == 0, shown.output
    page = (project / "out" / "example.html").read_text(encoding="utf-8")
    assert "/* stack the <td> cells on phones */" in page or ".content td" in page
    # what a browser would run is still refused
    for hidden, named in (
        ('<style><a title="</style><img src=x onerror=alert(1)>"></a></style>', "<a> holding </style> inside <style>"),
        ("<style>/* <img src=x onerror=alert(1)> */</style>", "onerror="),
        ("<svg><style>/* <td> */</style></svg>", "<td> inside <style>"),
    ):
        template.write_text(written.replace("</head>", f"{hidden}\n</head>"), encoding="utf-8")
        refused = mailer("preview", "releases/example.md", "-o", "out2")
        assert refused.exit_code == 1, (hidden, refused.output)
        assert f"{named} is not allowed in an email template" in said(refused), (hidden, refused.output)


# -- 2. two colleagues pasted from a mail program, with their names, still told of a list's rows -------


def test_two_named_colleagues_in_one_to_are_told_to_repeat_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """newcomer 24 #9 made `--to "sarah@..., tom@..."` answer that --to takes one, repeated. But a mail
    program copies its recipients with their names, "Sarah Jones <sarah@...>, Tom Baker <tom@...>", and
    that (or two addresses with a space between) still got "two addresses in one cell: give each
    journalist's address its own row". Both now get the repeated --to, with bare addresses to paste."""
    office(tmp_path, standin, db_url)
    for typed in (
        "Sarah Jones <sarah.jones@riverside.example>, Tom Baker <tom.baker@riverside.example>",
        '"Jones, Sarah" <sarah.jones@riverside.example>; Tom Baker <tom.baker@riverside.example>',
        "sarah.jones@riverside.example tom.baker@riverside.example",
    ):
        refused = mailer("test", "releases/example.md", "--to", typed)
        assert refused.exit_code == 2, refused.output
        assert (
            "holds 2 addresses, and --to takes one. Repeat it for each: --to sarah.jones@riverside.example --to tom.baker@riverside.example"
            in said(refused)
        ), (typed, refused.output)
        assert "journalist" not in refused.output and "cell" not in refused.output, refused.output
    assert not standin.mail_sends


# -- 3. --include-previous beside a scheduled send: "she gets it twice", while she was left out -------

TAGGED = "Email,First Name,Outlet,Tags\nana@daily.example,Ana,Daily News,Regional\nben@gazette.example,Ben,The Gazette,National\n"


def test_include_previous_beside_a_scheduled_send_says_what_it_does(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Two reviews merged this morning disagree: review 24s #5 leaves to a scheduled send of the
    release the journalists it holds, --include-previous or not; review 24x #2's warning still said
    "with --include-previous that journalist gets it now, and again at that time", and a dry run's
    hint said to add --include-previous to see their emails (then the same hint again, with it). The
    plan now says they are skipped, and a dry run points at the email SendGrid holds for them."""
    office(tmp_path, standin, db_url, beat=TAGGED)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    scheduled = mailer(
        "send",
        "releases/example.md",
        "--list",
        "lists/beat.csv",
        "--tag",
        "Regional",
        "--yes",
        "--no-test-ok",
        "--at",
        f"{at:%Y-%m-%d %H:%M} UTC",
    )
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    everyone = ("send", "releases/example.md", "--list", "lists/beat.csv", "--include-previous")
    skipped = f"1 journalist is scheduled to get this exact release at {at:%Y-%m-%d %H:%M} UTC in {campaign_id} (SendGrid holds it until then), so they are skipped."
    dry = mailer(*everyone, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert skipped in said(dry) and f"mailer show {campaign_id} --contact EMAIL" in said(dry), dry.output
    sent = mailer(*everyone, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert skipped in said(sent), sent.output
    assert "again at that time" not in said(sent) and "gets it now" not in said(sent), sent.output
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example"]  # Ana once: the scheduled copy


# -- 4. the README's troubleshooting still listed 12-hour times as refused ---------------------------


def test_the_readme_does_not_list_12_hour_times_as_refused(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The merge of newcomer 24 made `--at "... 9am Europe/London"` read as 09:00 (review 24x #8) and
    took out the refusal, but "When something goes wrong" still listed `9am is a 12-hour time; mailer
    reads times on the 24-hour clock`, a message mailer never prints, as what to fix. The row is gone;
    the time is read, and the plan shows it on the 24-hour clock."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "9am is a 12-hour time" not in readme
    office(tmp_path, standin, db_url)
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    planned = mailer(*SEND[:4], "--dry-run", "--at", f"{day} 9am Europe/London")
    assert planned.exit_code == 0, planned.output
    assert f"{day} 09:00" in planned.output, planned.output


# -- 5. an open data set in SQLite (a GeoPackage map layer) refused as "a delivery log" ------------------


def test_an_sqlite_data_set_can_be_attached_but_not_the_log(project: Path) -> None:
    """Review 24k #7 refused any SQLite file as an attachment, to keep the delivery log from going
    to journalists: a statistics office attaching its census map layer (bees.gpkg, a GeoPackage,
    which is SQLite) was told "the attachment kit/bees.gpkg is a delivery log (an SQLite database)".
    A data set is attached; a file holding press-mailer's campaigns and messages is still refused."""
    (project / "releases" / "kit").mkdir()
    with closing(sqlite3.connect(project / "releases" / "kit" / "bees.gpkg")) as layer:
        layer.execute("CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT)")
        layer.execute("CREATE TABLE districts (fid INTEGER PRIMARY KEY, name TEXT, colonies INTEGER)")
        layer.execute("INSERT INTO districts (name, colonies) VALUES ('North', 12)")
        layer.commit()
    release = project / "releases" / "census.md"
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    release.write_text(text.replace("---\n", "---\nattachments:\n  - kit/bees.gpkg\n", 1), encoding="utf-8")
    shown = mailer("preview", str(release), "-o", "preview")
    assert shown.exit_code == 0, shown.output
    # a real delivery log, as a send leaves it, is refused
    (project / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{project / "releases" / "kit" / "mailer.db"}"\n', encoding="utf-8")
    assert mailer("campaigns").exit_code == 0
    release.write_text(text.replace("---\n", "---\nattachments:\n  - kit/mailer.db\n", 1), encoding="utf-8")
    refused = mailer("preview", str(release), "-o", "preview")
    assert refused.exit_code == 1, refused.output
    assert "the attachment kit/mailer.db is a delivery log" in said(refused), refused.output


# -- 6. the delivery log's write-ahead file attached -------------------------------------------------


def test_the_logs_write_ahead_file_cannot_be_attached(project: Path) -> None:
    """Review 24k #7 keeps the delivery log (out/mailer.db) from being attached, for a release saved
    beside mailer.toml has the whole office as its folder. But the log is in WAL mode: while the
    webhook runs (or a send), out/mailer.db-wal beside it holds its latest pages, journalists'
    addresses among them, and `attachments: - out/mailer.db-wal` went to every journalist with the
    preview's "No warnings.". A write-ahead log (or journal) is refused as the log is."""
    log = project / "out" / "mailer.db"
    log.parent.mkdir()
    (project / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{log}"\n', encoding="utf-8")
    assert mailer("campaigns").exit_code == 0
    with closing(sqlite3.connect(log)) as webhook:  # a receiver that keeps the log open
        webhook.execute("PRAGMA journal_mode=WAL")
        webhook.execute("SELECT count(*) FROM campaign").fetchall()
        added = mailer("suppressions", "add", "ana@daily.example", "--reason", "asked by phone")
        assert added.exit_code == 0, added.output
        wal = project / "out" / "mailer.db-wal"
        assert b"ana@daily.example" in wal.read_bytes()
        text = (project / "releases" / "example.md").read_text(encoding="utf-8")
        (project / "pitch.md").write_text(text.replace("---\n", "---\nattachments:\n  - out/mailer.db-wal\n", 1), encoding="utf-8")
        refused = mailer("preview", "pitch.md", "-o", "preview")
    assert refused.exit_code == 1, refused.output
    assert "the attachment out/mailer.db-wal is a delivery log" in said(refused), refused.output
    assert not (project / "preview").exists()


# -- 7. a file in the office folder holding the API key, attached -------------------------------------

REAL_SHAPE = "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"  # SendGrid's documented example


@pytest.mark.parametrize(
    ("header", "file"),
    [("attachments:\n  - .env", ".env"), ("about_file: sendgrid key.txt", "sendgrid key.txt")],
)
def test_a_file_holding_the_api_key_is_never_mailed(project: Path, header: str, file: str) -> None:
    """Review 24k #7 keeps mailer.toml and the delivery log out of an agency's release saved in the
    office folder (its folder is then the whole office). A .env the office's terminal reads the key
    from, or a note "sendgrid key.txt", went as an attachment, or as the About text, to every
    journalist: the API key that sends as the office. A file holding a SendGrid key is refused, the
    key never shown."""
    (project / file).write_text(f'export SENDGRID_API_KEY="{REAL_SHAPE}"\n', encoding="utf-8")
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    if header.startswith("about_file"):
        start = text.index("about: |")
        text = text[:start] + text[text.index("---", start) :]
    (project / "pitch.md").write_text(text.replace("---\n", f"---\n{header}\n", 1), encoding="utf-8")
    refused = mailer("preview", "pitch.md", "-o", "preview")
    assert refused.exit_code == 1, refused.output
    assert "holds what looks like a SendGrid API key (not shown here)" in said(refused), refused.output
    assert REAL_SHAPE not in refused.output and "ngeVfQ" not in refused.output
    assert not (project / "preview").exists()


# -- 8. the office's press list attached, without a word ------------------------------------------------


def test_a_press_list_attached_is_named_before_anyone_gets_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Review 24k #7 kept an agency's release saved in the office folder from putting lists/press.csv
    in the About text (every journalist's address to every journalist), but `attachments: -
    lists/press.csv` still went out, the preview and the send's plan saying nothing of it. Data for
    journalists (a census table) is attached as before; an attachment holding five email addresses or
    more is named in a warning, in the preview and in the plan before the question."""
    office(tmp_path, standin, db_url, beat=SIX_LIST)
    (tmp_path / "releases" / "kit").mkdir()
    (tmp_path / "releases" / "kit" / "census.csv").write_text("district,colonies\nNorth,12\nSouth,9\n", encoding="utf-8")
    shutil.copyfile(tmp_path / "lists" / "beat.csv", tmp_path / "releases" / "kit" / "press.csv")
    text = (tmp_path / "releases" / "example.md").read_text(encoding="utf-8")
    (tmp_path / "releases" / "example.md").write_text(
        text.replace("---\n", "---\nattachments:\n  - kit/census.csv\n  - kit/press.csv\n", 1), encoding="utf-8"
    )
    warned = "the attachment press.csv holds 6 email addresses, and every journalist would get them all."
    shown = mailer("preview", "releases/example.md", "-o", "preview")
    assert shown.exit_code == 0 and warned in said(shown), shown.output
    assert "census.csv holds" not in said(shown)
    planned = mailer(*SEND[:4], "--dry-run")
    assert warned in said(planned), planned.output


SIX_LIST = "Email,First Name\n" + "".join(f"j{i}@paper{i}.example,Jo{i}\n" for i in range(6))
