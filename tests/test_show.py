"""Promise 9: the dry-run .eml, `mailer show` and the live request are one email; the archive keeps it."""

from __future__ import annotations

import csv
import json
import re
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, message_from_string, policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, example, todays_campaign
from send_fixtures import config_for, contact, example_rendered, transport_for
from sqlalchemy import Engine, select

from mailer import compose
from mailer.cli import main
from mailer.config import Config
from mailer.errors import SendError
from mailer.models import ContactList
from mailer.send import campaign, show
from mailer.send.plan import build
from mailer.store import connect
from mailer.store.schema import archive, attachment, written_file
from mailer.transport import eml
from mailer.transport.base import Request
from mailer.transport.dryrun import DryRunTransport

SEND = ("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")
RECIPIENTS, SKIPPED = 41, 8
ALLOWED_TAGS = {compose.SUBSCRIPTION_TAG, compose.ASM_UNSUBSCRIBE_TAG}  # SendGrid fills these in itself
TAG = re.compile(r"-~[^\s\"'<>]*?~-|<%[^%]*%>|\[(?:first_name|last_name|outlet)\]")


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Path:
    """A press office's folder: the example release, lists and templates, the log in tmp."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    return tmp_path


def mailer(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def outbox(project: Path, name: str | None = None) -> Path:
    return project / "out" / "outbox" / (name or todays_campaign())


def unresolved(data: bytes) -> set[str]:
    """Tokens left in an email's subject and decoded parts (the unsubscribe tags SendGrid fills are allowed)."""
    email = message_from_bytes(data, policy=policy.default)
    texts = [str(email["Subject"])] + [part.get_content() for part in email.walk() if part.get_content_maintype() == "text"]
    return {found for text in texts for found in TAG.findall(text)} - ALLOWED_TAGS


def test_show_reproduces_the_dry_run_eml_byte_for_byte(project: Path) -> None:
    """The first recipient by default, any recipient with --contact: the same bytes as the dry run's file."""
    mailer(*SEND, "--eml", "all")
    files = sorted(outbox(project).glob("*.eml"))
    assert len(files) == RECIPIENTS
    first = mailer("show", todays_campaign(), "-o", "first.eml")
    assert (project / "first.eml").read_bytes() == files[0].read_bytes()
    assert "(the first recipient; --contact EMAIL for another)" in first.output
    for path in (files[4], files[-1]):
        address = message_from_string(path.read_text(encoding="utf-8"), policy=policy.default)["To"].addresses[0].addr_spec
        mailer("show", todays_campaign(), "--contact", address.upper(), "-o", "one.eml")
        assert (project / "one.eml").read_bytes() == path.read_bytes(), address
    result = mailer("show", todays_campaign())
    assert f"out/preview/{todays_campaign()}.eml (" in result.output
    assert f"Campaign:  {todays_campaign()} (content " in result.output


def test_show_and_every_dry_run_eml_have_no_unresolved_token(project: Path) -> None:
    """No -~token~-, no [field] stand-in and no SendGrid tag but the unsubscribe one, in any .eml."""
    mailer(*SEND, "--eml", "all")
    for path in outbox(project).glob("*.eml"):
        assert unresolved(path.read_bytes()) == set(), path.name
    mailer("show", todays_campaign(), "-o", "shown.eml")
    assert unresolved((project / "shown.eml").read_bytes()) == set()


def test_show_refuses_a_non_recipient_and_names_a_skipped_row(project: Path) -> None:
    """An address outside the campaign, or one that was skipped, is an error that says so."""
    mailer(*SEND)
    stranger = CliRunner().invoke(main, ["show", todays_campaign(), "--contact", "nobody@example.org"])
    assert stranger.exit_code == 1
    assert f"Error: nobody@example.org is not a recipient of {todays_campaign()}." in stranger.output
    skipped = CliRunner().invoke(main, ["show", todays_campaign(), "--contact", "li.wei@example.org"])
    assert skipped.exit_code == 0  # li.wei is a recipient; the duplicate row of it is skipped


def test_show_a_campaign_without_recipients_uses_marked_stand_ins(project: Path, store: Engine) -> None:
    """Its only journalist forgotten: show still rebuilds the email, for a stand-in address, and says so."""
    (project / "lists" / "one.csv").write_text("email,first_name\nana@example.org,Ana\n", encoding="utf-8")
    mailer("send", "releases/example.md", "--list", "lists/one.csv", "--dry-run")
    mailer("forget", "ana@example.org", "--yes")
    shown = show.show(store, todays_campaign())
    assert shown.email == show.STAND_IN_ADDRESS and shown.state is None
    result = mailer("show", todays_campaign())
    assert "a stand-in, the campaign has no recipients" in result.output


def test_dry_run_writes_a_sample_every_request_body_and_skipped_csv(project: Path) -> None:
    """By default: .eml for the first [compose] dry_run_eml recipients, every personalization in the bodies, skipped rows listed."""
    (project / "mailer.toml").write_text((project / "mailer.toml").read_text() + "\n[compose]\ndry_run_eml = 5\n", encoding="utf-8")
    result = mailer(*SEND)
    folder = outbox(project)
    assert min(p.name for p in folder.glob("*.eml")).startswith("0001-0001-")
    assert len(list(folder.glob("*.eml"))) == 5
    body = json.loads((folder / "request-0001.json").read_text(encoding="utf-8"))
    assert len(body["personalizations"]) == RECIPIENTS
    assert (folder / "skipped.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel shows accents (lists clean's dialect)
    skipped = list(csv.reader((folder / "skipped.csv").open(encoding="utf-8-sig")))
    assert skipped[0] == ["email", "reason", "detail", "source"] and len(skipped) == 1 + SKIPPED
    assert {row[1] for row in skipped[1:]} == {"duplicate", "invalid", "missing"}
    assert f"out/outbox/{todays_campaign()} (one .json per request; .eml for the first 5 journalists, --eml all for everyone)" in (
        result.output
    )
    assert f"out/outbox/{todays_campaign()}/skipped.csv (the rows that get no email, and why)" in result.output


def test_dry_run_never_reuses_a_folder_another_campaign_left(project: Path) -> None:
    """A stale folder with the same campaign id (another log) stays as it was; the new run gets -2."""
    stale = outbox(project)
    stale.mkdir(parents=True)
    (stale / "0001-0001-old@example.org.eml").write_text("old", encoding="utf-8")
    result = mailer(*SEND)
    fresh = outbox(project, f"{todays_campaign()}-2")
    assert f"out/outbox/{todays_campaign()}-2 " in result.output
    assert sorted(p.name for p in stale.iterdir()) == ["0001-0001-old@example.org.eml"]
    assert len(list(fresh.glob("*.eml"))) == RECIPIENTS and not (fresh / "0001-0001-old@example.org.eml").exists()


def test_eml_all_is_only_for_dry_runs(project: Path) -> None:
    """--eml all without --dry-run is a usage error, before anything is planned."""
    result = CliRunner().invoke(main, ["send", "releases/example.md", "--list", "lists/press.csv", "--eml", "all"])
    assert result.exit_code == 2 and "--eml all is for dry runs: add --dry-run." in result.output


def test_dry_run_progress_bar_says_what_it_does(project: Path, store: Engine) -> None:
    """The bar of a dry run reads "Writing the dry run", not "Sending"."""
    seen: list[str] = []

    @contextmanager
    def progress(description: str, total: int | None):  # type: ignore[no-untyped-def]
        seen.append(description)
        yield lambda n=1: None

    config = Config().model_copy(update={"compose": Config().compose.model_copy(update={"outbox_dir": project / "out"})})
    prepared = campaign.prepare_send(store, config, project / "releases/example.md", [project / "lists/press.csv"], dry_run=True)
    campaign.start(store, config, prepared, environ={}, progress=progress)
    assert seen == ["Writing the dry run"]


def test_archive_keeps_nothing_personal_and_each_attachment_once(project: Path, store: Engine) -> None:
    """Two campaigns with the same PDF: one attachment row; no archive row holds a recipient's address or name."""
    (project / "releases" / "facts.pdf").write_bytes(b"%PDF-1.4 the census in numbers")
    text = (project / "releases" / "example.md").read_text(encoding="utf-8")
    (project / "releases" / "example.md").write_text(text.replace("---\n", "---\nattachments: [facts.pdf]\n", 1), encoding="utf-8")
    mailer(*SEND)
    mailer(*SEND, "--include-previous")
    with store.connect() as connection:
        assert len(connection.execute(select(archive)).all()) == 2
        assert connection.execute(select(attachment.c.content)).scalars().all() == [b"%PDF-1.4 the census in numbers"]
        kept = json.dumps([[str(v) for v in row] for row in connection.execute(select(archive))])
    for person in ("amara.okafor@example.com", "Okafor <", "li.wei@example.org"):
        assert person not in kept
    shown = show.show(store, f"{todays_campaign()}-2").parsed()
    assert [(a.get_filename(), a.get_payload(decode=True)) for a in shown.iter_attachments()] == [
        ("facts.pdf", b"%PDF-1.4 the census in numbers")
    ]


def test_live_request_and_dry_run_eml_agree(standin: Any, tmp_path: Path) -> None:
    """The .eml built from the body the stand-in RECEIVED equals the dry-run .eml of the same request."""
    config = config_for(standin.url)
    release = example_rendered()
    people = ContactList(
        (
            contact("ana@x.org", first_name="Ana", last_name="Núñez", outlet="Tom & Jerry Weekly"),
            contact("bo@x.org", 3),
            contact("cy@x.org", 4, first_name="Cy"),
        ),
        (),
        (),
    )
    planned = build(release, people).recipients
    request = Request("2026-02-19-bees", 1, release, planned, created_at=datetime(2026, 2, 19, 9, tzinfo=UTC))
    tag = compose.unsubscribe_tag(config)
    assert transport_for(standin, config).send(request).status == 202
    received = standin.mail_sends[0].body
    dry = DryRunTransport(outbox=tmp_path / "outbox", sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=tag)
    dry.send(request)
    written = sorted((tmp_path / "outbox" / "2026-02-19-bees").glob("*.eml"))
    assert len(written) == len(received["personalizations"]) == 3
    for index, path in enumerate(written):
        key = received["personalizations"][index]["custom_args"]["message"]
        # SendGrid fills its unsubscribe tag with the journalist's own link; a proof shows the marked preview page.
        rebuilt = eml.build(received, index, date=request.created_at, message_id=eml.message_id(key), proof_links=eml.proof_links(release))
        assert rebuilt == path.read_bytes()


def test_forget_leaves_no_outbox_or_preview_file_with_the_address(project: Path) -> None:
    """After a dry run, a show and forget: no file under out/ holds the address; the others' files remain."""
    mailer(*SEND, "--eml", "all")
    mailer("show", todays_campaign(), "--contact", "amara.okafor@example.com")
    result = mailer("forget", "Amara.Okafor@example.com", "--yes")
    assert "out/outbox that named the address." in result.output
    for path in (project / "out").rglob("*"):
        if path.is_file():
            assert b"amara.okafor@example.com" not in path.read_bytes().lower(), path
            assert "amara.okafor" not in path.name.lower()
    body = json.loads((outbox(project) / "request-0001.json").read_text(encoding="utf-8"))
    assert len(body["personalizations"]) == RECIPIENTS - 1
    assert len(list(outbox(project).glob("*.eml"))) == RECIPIENTS - 1


def test_forget_deletes_the_eml_show_wrote_elsewhere_and_nothing_else_there(
    project: Path, tmp_path: Path, store: Engine, monkeypatch: Any
) -> None:
    """README "mailer forget": the .eml `mailer show -o` wrote to a folder of its own (and the HTML
    page --open wrote beside it) are deleted, from a forget run anywhere (newcomer review 9); another
    journalist's file there stays, and so does a note of the user's naming the address."""
    mailer(*SEND)
    elsewhere = tmp_path / "complaints"
    elsewhere.mkdir()
    mine, page = elsewhere / "amara.okafor@example.com.eml", elsewhere / "amara.okafor@example.com.html"
    monkeypatch.setattr("click.launch", lambda url, **_: 0)
    mailer("show", todays_campaign(), "--contact", "amara.okafor@example.com", "-o", str(mine), "--open")
    assert page.is_file()
    theirs = elsewhere / "other.eml"
    mailer("show", todays_campaign(), "--contact", "li.wei@example.org", "-o", str(theirs))
    note = elsewhere / "notes.txt"
    note.write_text("amara.okafor@example.com complained on 1 Dec", encoding="utf-8")
    result = mailer("forget", "amara.okafor@example.com", "--yes")
    assert not mine.exists() and not page.exists()
    assert f"Deleted 2 files `mailer show -o` wrote that named the address: {mine.resolve()}, {page.resolve()}" in result.output
    assert theirs.is_file() and note.is_file()
    with store.connect() as connection:  # the log's note of the files named the address too
        assert [path for path in connection.scalars(select(written_file.c.path)) if "amara" in path] == []


def test_forget_names_a_file_it_cannot_erase(project: Path) -> None:
    """A file of another kind that holds the address is named, not silently kept."""
    mailer(*SEND)
    (outbox(project) / "notes.md").write_text("call amara.okafor@example.com", encoding="utf-8")
    result = mailer("forget", "amara.okafor@example.com", "--yes")
    assert "1 file in" in result.output and "out/outbox still holds the address and could not be erased" in result.output
    assert "notes.md" in result.output


def test_status_and_campaigns_show_the_content_hash(project: Path, store: Engine) -> None:
    """The short content hash, in `status`, `campaigns` and their JSON."""
    mailer(*SEND)
    digest = show.show(store, todays_campaign()).content_hash
    assert f"Content:   {digest[:12]} " in mailer("status", todays_campaign()).output
    assert f"  {digest[:12]}  " in mailer("campaigns").output
    assert json.loads(mailer("campaigns", "--json").stdout)[0]["content_hash"] == digest


def test_show_a_campaign_from_before_archives(tmp_path: Path) -> None:
    """A 0.1.0 log upgrades (schema step 4); its campaigns cannot be shown, and the message says why."""
    copy = tmp_path / "old.db"
    shutil.copyfile(ROOT / "tests" / "data" / "logs" / "mailer-0.1.0.db", copy)
    engine = connect(f"sqlite:///{copy}")
    with pytest.raises(SendError, match="was logged before press-mailer kept an archive"):
        show.show(engine, "2026-11-29-bee-census-2")


def test_dry_run_skipped_csv_keeps_a_semicolon_lists_delimiter(project: Path) -> None:
    """skipped.csv is written as lists clean writes: a semicolon list's rows open in columns in
    European Excel (it was always comma-separated, without a byte-order mark; newcomer review 8)."""
    (project / "lists" / "semi.csv").write_text("Email;First Name\nana@example.org;Ana\nnot-an-address;Bo\n", encoding="utf-8")
    result = mailer("send", "releases/example.md", "--list", "lists/semi.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    text = (outbox(project) / "skipped.csv").read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == "email;reason;detail;source"
    assert text.splitlines()[1].startswith("not-an-address;invalid;")


def test_show_of_a_one_click_dry_run_is_its_eml_with_the_mailto(project: Path, store: Engine) -> None:
    """Our own one-click link with `unsubscribe_mailto`: `mailer show` builds each journalist's
    List-Unsubscribe as the send did (the proof link, then the mailto), from the settings the
    archive kept, so it is the dry run's .eml byte for byte (review 12a #3: it dropped the mailto)."""
    config = project / "mailer.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[sendgrid.tracking]\nsubscription_tracking = false\n\n"
        '[webhook]\npublic_url = "https://press.example.org"\nunsubscribe_mailto = "unsubscribe@example.org"\n',
        encoding="utf-8",
    )
    mailer(*SEND)
    first = min(outbox(project).glob("*.eml"))
    assert "List-Unsubscribe: <https://press.example.org/unsubscribe/preview>, <mailto:unsubscribe@example.org?subject=unsubscribe>" in (
        first.read_text(encoding="utf-8")
    )
    mailer("show", todays_campaign(), "-o", "first.eml")
    assert (project / "first.eml").read_bytes() == first.read_bytes()
    config.write_text(config.read_text(encoding="utf-8").replace("unsubscribe@example.org", "changed@example.org"), encoding="utf-8")
    mailer("show", todays_campaign(), "-o", "later.eml")  # what went out, whatever mailer.toml says now
    assert (project / "later.eml").read_bytes() == first.read_bytes()
