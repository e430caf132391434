"""Lead, session 28: plain addresses judged without email-validator (issue 12: start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from test_contacts_addresses import ADVERSARIAL, address

from mailer import config, mailbox


def _email_validator(candidate: str, **options: bool) -> str | None:
    """email-validator's normalized address, or None when it refuses ``candidate``."""
    try:
        return validate_email(candidate, check_deliverability=False, **options).normalized
    except EmailNotValidError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.one_of(address, st.sampled_from(ADVERSARIAL)))
def test_a_plainly_valid_address_is_one_email_validator_accepts_unchanged(candidate: str) -> None:
    """What the quick check passes, email-validator accepts as it is, for a list row and for a From address alike."""
    if mailbox.plainly_valid(candidate):
        assert _email_validator(candidate) == candidate
        assert _email_validator(candidate, allow_smtputf8=False) == candidate
        assert mailbox.validate(candidate) == (candidate, None)


@pytest.mark.parametrize(
    ("sender", "plain"),
    [
        ("press@riverbend.example.org", True),
        ("Press.Office+news@council.gov.uk", True),
        ("press@Riverbend.ORG", False),  # email-validator lower-cases the domain: asked
        ("info@riverbend.org", False),  # a role name: asked, as the list check asks
        ("presse@bücher.example", False),
        ("press@riverbend", False),
        ("press@@riverbend.org", False),
        ("press@riverbend.org\n", False),
    ],
)
def test_a_from_address_is_judged_as_email_validator_judges_it(sender: str, plain: bool) -> None:
    """The config's From check gives email-validator's verdict, whether or not it had to ask it."""
    assert mailbox.plainly_valid(sender) is plain
    expected_ok = _email_validator(sender, allow_smtputf8=False) is not None and sender.isascii()
    assert (config.address_problem(sender) is None) is expected_ok


FIRST = "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\nben@gazette.example,Ben,Okafor,The Gazette\n"
MORE = "Email,First Name,Last Name,Outlet\ncleo@weekly.example,Cleo,Park,Weekly\n"


def written_by_an_older_version(db_url: str, campaign: str, digit: str = "0") -> None:
    """The campaign's content hashes as an older press-mailer logged them: the same release and settings, its
    emails written a little differently (another content hash, here ``digit`` * 64, for every version)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            for table, column in (("campaign", "id"), ("campaign_version", "campaign_id")):
                connection.execute(text(f"UPDATE {table} SET content_hash = :h WHERE {column} = :c"), {"h": digit * 64, "c": campaign})
    finally:
        engine.dispose()


def test_lead28_the_same_release_a_newer_press_mailer_writes_differently_is_no_correction(
    project: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that changes how press-mailer writes an email (inlining, escaping, spacing) changed the release's
    content hash: the same release, sent again to one more list, counted the journalists who had it as having an
    earlier version, and --yes sent them "the correction". What the office wrote is recorded with each campaign:
    unchanged, they are skipped as already received, and only the new list's journalist is mailed. A real change
    of the release is a correction still."""
    from office_cli import campaign_of, mailed, office, said

    from mailer.cli import main

    def mailer(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": "SG.standin-key.secret"})

    office(project, standin, db_url, beat=FIRST)
    (project / "lists" / "more.csv").write_text(MORE, encoding="utf-8")
    monkeypatch.chdir(project)
    send = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    first = mailer(*send)
    assert first.exit_code == 0, said(first)
    campaign = campaign_of(first)
    written_by_an_older_version(db_url, campaign)

    standin.reset()
    again = mailer(*send, "--list", "lists/more.csv")
    assert again.exit_code == 0, said(again)
    assert mailed(standin) == ["cleo@weekly.example"], said(again)
    assert f"2 journalists already received this release in {campaign}: the release, its template and the settings" in said(again)
    assert "earlier version" not in said(again), said(again)

    release = project / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("bee", "honeybee", 1), encoding="utf-8")
    standin.reset()
    corrected = mailer(*send, "--list", "lists/more.csv")
    assert corrected.exit_code == 0, said(corrected)
    assert sorted(mailed(standin)) == ["ana@daily.example", "ben@gazette.example", "cleo@weekly.example"], said(corrected)
    assert "earlier version" in said(corrected), said(corrected)


def test_lead28_the_fingerprint_of_what_the_office_wrote_follows_its_files_not_where_they_are(tmp_path: Path) -> None:
    """The same release and templates in two copies of the office folder: one fingerprint. A change to the
    release, the template, the stylesheet or the office's labels file: another one (a correction)."""
    import shutil

    from conftest import example

    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config

    def fingerprint(folder: Path) -> str:
        config = Config.model_validate({"compose": {"templates": str(folder / "templates")}})
        return compose.render(release.load(folder / "releases" / "example.md"), config=config).source_hash

    copies = []
    for name in ("maria", "tom"):
        for part in ("releases", "templates"):
            shutil.copytree(example(part), tmp_path / name / part)
        copies.append(tmp_path / name)
    maria, tom = copies
    first = fingerprint(maria)
    assert first and fingerprint(tom) == first
    seen = {first}
    for changed, old, new in (
        (
            "templates/release.css",
            "}",
            "}\n/* brand blue */",
        ),
        ("templates/release.html.j2", "</body>", "<p>Follow us</p></body>"),
        ("releases/example.md", "bees", "honeybees"),
    ):
        path = tom / changed
        text = path.read_text(encoding="utf-8")
        assert old in text, changed
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        now = fingerprint(tom)
        assert now not in seen, changed
        seen.add(now)
    (tom / "templates" / "labels.toml").write_text('[en]\nmedia_contact = "Press desk"\n', encoding="utf-8")
    assert fingerprint(tom) not in seen


def connections_to(port: int) -> int:
    """How many TCP connections this process holds open to 127.0.0.1:``port``."""
    import os
    import re

    mine = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            found = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/self/fd/{name}"))
        except OSError:
            continue
        if found:
            mine.add(found.group(1))
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            if fields[9] in mine and int(fields[2].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def test_lead28_a_send_stopped_by_sendgrid_in_process_hangs_up_its_connections(live: Path, standin: Any) -> None:
    """A script that sends again and again (or a test suite) kept each stopped send's connections to SendGrid open
    until a garbage collection found them: a socket per worker thread per send (fdleak28). They close as the send ends."""
    import gc
    import re
    from urllib.parse import urlsplit

    from test_sender_check import SEND, SENDGRID_403, mailer

    port = urlsplit(standin.url).port
    assert port is not None
    standin.answer(403, body=SENDGRID_403, times=100)
    first = mailer(*SEND)
    assert first.exit_code != 0
    resume = ("resume", re.findall(r"mailer resume (\S+)", first.output)[0], "--yes")
    gc.disable()
    try:
        for _ in range(3):
            stopped = mailer(*resume)
            assert stopped.exit_code != 0 and "SendGrid refused the From address" in stopped.output, stopped.output
        left = connections_to(port)
    finally:
        gc.enable()
    assert left == 0, left
