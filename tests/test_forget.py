"""`mailer forget EMAIL`: personal data erased from messages and events, a minimal suppression kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import example
from eventlog import T0, add_campaign, add_message, sg_event, suppressions
from sqlalchemy import Engine, select, update

from mailer import events, forget, reports
from mailer.cli import main
from mailer.models import SuppressionReason
from mailer.store import suppressions as suppression_store
from mailer.store.schema import event, message

ADDRESS = "jane.doe@paper.example"


def seed(engine: Engine) -> None:
    add_campaign(engine, "c1")
    add_campaign(engine, "c2")
    batch = []
    for campaign_id in ("c1", "c2"):
        key = add_message(engine, campaign_id, ADDRESS, first_name="Jane", last_name="Doe", outlet="The Paper")
        other = add_message(engine, campaign_id, "tom@example.org", first_name="Tom")
        batch += [
            sg_event("delivered", ADDRESS, key=key, campaign_id=campaign_id, at=T0 + 1),
            sg_event("click", ADDRESS, key=key, campaign_id=campaign_id, at=T0 + 2, url="https://example.org/?who=jane.doe@paper.example"),
            sg_event("delivered", "tom@example.org", key=other, campaign_id=campaign_id, at=T0 + 3),
        ]
    batch.append(
        sg_event(
            "bounce",
            "Jane.Doe@paper.example",
            key=None,
            campaign_id=None,
            at=T0 - 999999,
            type="bounce",
            reason="550 jane.doe@paper.example unknown",
        )
    )
    events.apply(engine, [events.from_object(e, where="x") for e in batch], source="webhook", block_threshold=3)


def test_forget_erases_messages_and_events_and_keeps_a_suppression(store: Engine) -> None:
    """No row holds the address, name or outlet afterwards; one 'forgotten' suppression remains."""
    seed(store)
    done = forget.forget(store, "Jane.Doe@Paper.example")
    assert (done.messages, done.campaigns, done.events, done.previous_suppression) == (2, ("c1", "c2"), 5, "bounce")
    with store.connect() as connection:
        texts = [json.dumps([str(v) for v in row]) for row in connection.execute(select(message))]
        texts += [json.dumps([str(v) for v in row]) for row in connection.execute(select(event))]
    assert not [t for t in texts if "jane" in t.lower() or "The Paper" in t]
    assert any("tom@example.org" in t for t in texts)
    assert suppressions(store) == {ADDRESS: ("forgotten", "forget")}
    with store.begin() as connection:
        assert suppression_store.find(connection, ADDRESS).note is None


def test_forget_keeps_campaign_counts(store: Engine) -> None:
    """Reports count the same after erasure: rows are blanked, not deleted."""
    seed(store)
    before = reports.headline_figures(store, ["c1", "c2"])
    forget.forget(store, ADDRESS)
    assert reports.headline_figures(store, ["c1", "c2"]) == before


def test_forget_resent_event_is_still_a_duplicate(store: Engine) -> None:
    """A copy of an old event SendGrid sends again after erasure is not stored again."""
    add_campaign(store, "c1")
    key = add_message(store, "c1", ADDRESS)
    delivered = sg_event("delivered", ADDRESS, key=key, campaign_id="c1", at=T0 + 1)
    events.apply(store, [events.from_object(delivered, where="x")], source="webhook", block_threshold=3)
    forget.forget(store, ADDRESS)
    again = events.apply(store, [events.from_object(delivered, where="x")], source="webhook", block_threshold=3)
    assert again.added == 0


def test_forget_cli_says_what_it_did(store: Engine, monkeypatch: Any) -> None:
    """The command asks first, then reports rows erased and the suppression kept; with no terminal
    to ask on (a script), it refuses in words and erases nothing (it printed "Aborted!")."""
    from mailer.cli import send as send_cli

    seed(store)
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    unasked = CliRunner().invoke(main, ["forget", ADDRESS])
    assert unasked.exit_code == 1 and "Aborted" not in unasked.output
    assert f"Not erasing {ADDRESS}: there is no terminal to confirm on" in unasked.output
    assert f"mailer forget {ADDRESS} --yes" in unasked.output
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    refused = CliRunner().invoke(main, ["forget", ADDRESS], input="n\n")
    assert refused.exit_code == 0 and refused.output.endswith("Nothing was erased.\n")
    result = CliRunner().invoke(main, ["forget", ADDRESS], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"Erased {ADDRESS} from 2 message rows in 2 campaigns and from 5 events." in result.output
    assert (
        'Kept one suppression record, reason "forgotten", so this address is never mailed again (it was suppressed before: bounce).'
        in result.output
    )


def test_forget_cli_refuses_a_non_address() -> None:
    """A name instead of an address is refused before anything changes."""
    result = CliRunner().invoke(main, ["forget", "Jane Doe", "--yes"])
    assert result.exit_code == 1
    assert 'Error: "Jane Doe" is not an email address.' in result.output


def test_forget_cli_names_report_files_that_still_hold_the_address(store: Engine) -> None:
    """CSV and XLSX reports written earlier to out/reports are listed; others are not."""
    seed(store)
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    for fmt in ("csv", "xlsx"):
        assert CliRunner().invoke(main, ["report", "c1", "--kind", "recipients", "--format", fmt]).exit_code == 0
    # no bounces linked to c2: headings only (its opens report lists her now: she clicked, review 18r #9)
    assert CliRunner().invoke(main, ["report", "c2", "--kind", "bounces", "--format", "csv"]).exit_code == 0
    result = CliRunner().invoke(main, ["forget", ADDRESS, "--yes"])
    assert result.exit_code == 0, result.output
    assert "2 report files in out/reports still hold the address; delete or edit them:" in result.output
    assert "out/reports/c1-recipients.csv" in result.output and "out/reports/c1-recipients.xlsx" in result.output
    assert "c2-bounces.csv" not in result.output


def test_forget_erases_the_removal_history(store: Engine) -> None:
    """A lifted suppression's history names the address, so forgetting erases it too."""
    with store.begin() as connection:
        suppression_store.add(connection, [(ADDRESS, suppression_store.SuppressionReason.MANUAL, "phone")], source="manual")
    with store.begin() as connection:
        suppression_store.remove(connection, [ADDRESS], note="asked back in")
    with store.begin() as connection:
        assert [r.email_key for r in suppression_store.removals(connection)] == [ADDRESS]
    forget.forget(store, ADDRESS)
    with store.begin() as connection:
        assert suppression_store.removals(connection) == []
    assert suppressions(store)[ADDRESS][0] == "forgotten"


def test_forget_a_journalist_of_a_paused_send_is_never_posted_on_resume(store: Engine, tmp_path: Path, standin: Any) -> None:
    """A send stops (SendGrid unreachable) with the rest planned; the office forgets one journalist
    still planned. ``mailer resume`` sends everyone else, never a request holding "(forgotten)"
    (SendGrid would refuse the whole request for it); the forgotten row is skipped (suppressed)."""
    from send_fixtures import example_office, stopped_after_one_request

    from mailer.send import campaign

    office = example_office(tmp_path, standin.url, batch_size=10, concurrency=1)
    environ = {"SENDGRID_API_KEY": standin.api_key}
    stopped_after_one_request(store, office, standin)
    with store.connect() as connection:
        campaign_id, address = connection.execute(
            select(message.c.campaign_id, message.c.email).where(message.c.state == "planned").order_by(message.c.id.desc()).limit(1)
        ).one()
    forget.forget(store, address)
    sent = campaign.resume(store, office, campaign_id, environ=environ, resend_unknown=True, retry_failed=True)
    posted = [to["email"] for request in standin.mail_sends for p in request.body["personalizations"] for to in p["to"]]
    assert posted and "(forgotten)" not in posted and address not in posted
    assert all(request.status == 202 for request in standin.mail_sends)
    assert sent.outcome.counts["planned"] == 0 and sent.outcome.counts["failed"] == 0
    with store.connect() as connection:
        state, reason = connection.execute(select(message.c.state, message.c.skip_reason).where(message.c.email == "(forgotten)")).one()
    assert (state, reason) == ("skipped", "suppressed")


def test_forget_rewrites_a_dry_runs_skipped_csv_spreadsheet_safe(tmp_path: Path) -> None:
    """skipped.csv holds formula-like cells escaped (review 8); forgetting an address that itself
    starts with "-" finds it behind that escape, and the rows kept stay escaped."""
    folder = tmp_path / "outbox" / "2026-11-30-example"
    folder.mkdir(parents=True)
    (folder / ".campaign").write_text("2026-11-30-example 2026-11-30T09:00:00+00:00\n", encoding="utf-8")  # a dry run's folder
    skipped = folder / "skipped.csv"
    skipped.write_text(
        "email,reason,detail,source\r\n'-ann@example.org,suppressed,,lists/a.csv:2\r\n'=HYPERLINK(\"x\"),invalid,,lists/a.csv:3\r\n",
        encoding="utf-8",
    )
    semicolons = folder.parent / "other" / "skipped.csv"  # a semicolon list's dry run: its dialect kept
    semicolons.parent.mkdir()
    (semicolons.parent / ".campaign").write_text("other 2026-11-30T09:00:00+00:00\n", encoding="utf-8")
    semicolons.write_bytes(
        "email;reason;detail;source\r\n'-ann@example.org;suppressed;;a.csv:2\r\nbé@example.org;invalid;;a.csv:3\r\n".encode("utf-8-sig")
    )
    erased = forget.erase_files("-ann@example.org", tmp_path / "outbox")
    assert semicolons.read_bytes() == "email;reason;detail;source\r\nbé@example.org;invalid;;a.csv:3\r\n".encode("utf-8-sig")
    assert sorted(erased.rewritten) == sorted([skipped, semicolons]) and erased.left == ()
    text = skipped.read_text(encoding="utf-8")
    assert "ann@example.org" not in text
    assert "'=HYPERLINK" in text


def test_forget_run_from_another_folder_erases_a_dry_run_made_without_a_config(tmp_path: Path, monkeypatch: Any) -> None:
    """README Quick start: a dry run without a mailer.toml writes its outbox under the folder it ran
    in (out/outbox), while the log is in the user's data folder. A forget run later from anywhere
    else must still find and erase that journalist's files there (newcomer review 8)."""
    import shutil

    office, elsewhere = tmp_path / "office", tmp_path / "elsewhere"
    elsewhere.mkdir()
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), office / folder)
    runner = CliRunner()
    monkeypatch.chdir(office)
    sent = runner.invoke(main, ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run"])
    assert sent.exit_code == 0, sent.output
    outbox = office / "out" / "outbox"
    address = "amara.okafor@example.com"
    assert any(address in p.read_text(encoding="utf-8", errors="replace").lower() for p in outbox.rglob("*") if p.is_file())
    monkeypatch.chdir(elsewhere)
    forgotten = runner.invoke(main, ["forget", address, "--yes"])
    assert forgotten.exit_code == 0, forgotten.output
    assert str(outbox.resolve()) in forgotten.output
    assert not [p for p in outbox.rglob("*") if p.is_file() and address in p.read_text(encoding="utf-8", errors="replace").lower()]
    assert not (elsewhere / "out").exists()


def test_forget_a_later_send_logs_the_forgotten_journalists_rows_without_their_data(logged: Path, store: Engine) -> None:
    """A list still naming an erased journalist (twice: the second is a duplicate) goes out again:
    both rows are logged as skipped, with file, row and reason, but no address, name or field
    (newcomer review 9: each later send logged the whole list row again). The dry run's
    skipped.csv names no one either; forget named the list that still holds the address."""
    from conftest import todays_campaign

    runner = CliRunner()
    address = "amara.okafor@example.com"
    send = ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run"]
    assert runner.invoke(main, send).exit_code == 0
    forgotten = runner.invoke(main, ["forget", address, "--yes"])
    assert forgotten.exit_code == 0, forgotten.output
    assert (
        "Warning: lists/press.csv still holds this address: every send from it skips it (logged without the journalist's data). "
        "Remove it there if you can." in forgotten.output
    )
    sent = runner.invoke(main, send)
    assert sent.exit_code == 0, sent.output
    assert (
        "Warning: List rows naming a journalist erased with `mailer forget`: lists/press.csv row 2, lists/press.csv row 43. "
        "They are skipped, and logged without their data; remove them from the lists." in sent.output
    )
    with store.connect() as connection:
        rows = connection.execute(
            select(message.c.email, message.c.email_key, message.c.fields, message.c.source, message.c.skip_reason, message.c.error).where(
                message.c.source.in_(["lists/press.csv:2", "lists/press.csv:43"])
            )
        ).all()
        everything = [json.dumps([str(v) for v in row]) for row in connection.execute(select(message))]
    assert sorted((r.source, r.email, r.email_key, r.fields, r.skip_reason) for r in rows) == [
        ("lists/press.csv:2", "(forgotten)", "(forgotten)", {}, "suppressed"),
        ("lists/press.csv:43", "(forgotten)", "(forgotten)", {}, "duplicate"),
    ]
    assert not [t for t in everything if "amara" in t.lower() or "okafor" in t.lower()]
    skipped = (logged / "out" / "outbox" / f"{todays_campaign()}-2" / "skipped.csv").read_text(encoding="utf-8-sig").lower()
    assert "amara" not in skipped and "okafor" not in skipped
    assert "(forgotten)" in skipped


def test_forget_late_events_about_a_forgotten_journalist_are_stored_without_their_data(store: Engine) -> None:
    """After an erasure SendGrid still posts the journalist's opens, clicks, bounces (newcomer review
    9: the log held their address, IP and clicked link again). Each is stored as forget leaves one:
    type, time and message kept, so reports count it and an unknown message is settled; no address,
    IP, user agent, link or reason. Posted again they add nothing, and the suppression stays "forgotten"."""
    add_campaign(store, "c1")
    key = add_message(store, "c1", ADDRESS, state="unknown", first_name="Jane", outlet="The Paper")
    other = add_message(store, "c1", "tom@example.org")
    forget.forget(store, ADDRESS)
    late = [
        sg_event("open", ADDRESS, key=key, campaign_id="c1", at=T0 + 10, ip="203.0.113.9", useragent="Mozilla/5.0 Jane"),
        sg_event(
            "click", "Jane.Doe@Paper.example", key=key, campaign_id="c1", at=T0 + 11, url="https://example.org/?who=jane.doe@paper.example"
        ),
        sg_event("bounce", ADDRESS, key=None, campaign_id=None, at=T0 + 12, type="bounce", reason="550 jane.doe@paper.example unknown"),
        {**sg_event("delivered", ADDRESS, key=key, campaign_id="c1", at=T0 + 13, ip="203.0.113.9"), "email": None},
        sg_event("open", "tom@example.org", key=other, campaign_id="c1", at=T0 + 14, ip="198.51.100.7"),
    ]
    parsed = [events.from_object(e, where="x") for e in late]
    applied = events.apply(store, parsed, source="webhook", block_threshold=3)
    assert (applied.added, applied.suppressed) == (5, 0)
    with store.connect() as connection:
        erased_id, state = connection.execute(select(message.c.id, message.c.state).where(message.c.email == "(forgotten)")).one()
        rows = connection.execute(select(event).order_by(event.c.timestamp)).all()
    assert state == "accepted"  # the open settled the unknown row
    assert [(r.event, r.message_id == erased_id, r.email, r.url, r.reason, r.raw) for r in rows[:4]] == [
        ("open", True, None, None, None, "{}"),
        ("click", True, None, None, None, "{}"),
        ("bounce", False, None, None, None, "{}"),
        ("delivered", True, None, None, None, "{}"),
    ]
    assert rows[4].email == "tom@example.org" and "198.51.100.7" in rows[4].raw
    texts = [json.dumps([str(v) for v in row]) for row in rows]
    assert not [t for t in texts if "jane" in t.lower() or "203.0.113.9" in t]
    assert events.apply(store, parsed, source="webhook", block_threshold=3).added == 0
    assert suppressions(store) == {ADDRESS: ("forgotten", "forget")}


def _log_bytes(db_url: str) -> bytes:
    """The SQLite log's files as they are on disk (the database, its -wal and -shm), lower-cased."""
    path = Path(db_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))).lower()


@pytest.mark.sqlite_only
def test_forget_leaves_no_readable_copy_in_the_log_files(live: Path, standin: Any, db_url: str, store: Engine, monkeypatch: Any) -> None:
    """README "mailer forget": after a live send and its events, the erased journalist's address
    and name are nowhere in the log's files, free space and write-ahead file included (newcomer
    review 9: they stayed readable while the webhook kept the log open). While another process
    reads the log, forget cannot fold the write-ahead file back: it says so and what to do; run
    again once that process let go, it completes."""
    import sqlite3

    monkeypatch.setattr(forget, "FOLD_BACK_WAIT", 0.2, raising=False)
    runner = CliRunner()
    sent = runner.invoke(
        main, ["send", "releases/example.md", "--list", "lists/press.csv", "--yes"], env={"SENDGRID_API_KEY": standin.api_key}
    )
    assert sent.exit_code == 0, sent.output
    address = "amara.okafor@example.com"
    with store.connect() as connection:
        keys = connection.execute(select(message.c.message_key, message.c.campaign_id).where(message.c.email_key == address)).all()
    batch = [
        sg_event(kind, address, key=key, campaign_id=campaign_id, at=T0 + n, ip="203.0.113.9", useragent="Mozilla/5.0 (Amara)")
        for n, (kind, (key, campaign_id)) in enumerate(zip(["delivered", "open"], keys * 2))
    ]
    events.apply(store, [events.from_object(e, where="x") for e in batch], source="webhook", block_threshold=3)
    assert address.encode() in _log_bytes(db_url)
    webhook = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    webhook.execute("BEGIN")
    webhook.execute("SELECT count(*) FROM message").fetchone()  # a read under way, as the webhook's
    held = runner.invoke(main, ["forget", address, "--yes"])
    assert held.exit_code == 0, held.output
    assert (
        "Warning: Another program (mailer webhook, a report) is using the delivery log, so the erased rows are still "
        "readable in its files until it lets go." in held.output
    )
    assert f"Stop mailer webhook for a moment and run mailer forget {address} --yes again." in held.output
    webhook.rollback()
    webhook.close()
    again = runner.invoke(main, ["forget", address, "--yes"])
    assert again.exit_code == 0, again.output
    assert "Another program" not in again.output
    on_disk = _log_bytes(db_url)
    # What stays is the suppression record: its row and its primary-key entry. No name, no IP.
    assert on_disk.count(address.encode()) == 2 and on_disk.count(b"amara") == 2
    assert b"@amaraokafor" not in on_disk and b"203.0.113.9" not in on_disk
    assert b"li.wei@example.org" in on_disk  # the others' rows are still there


def test_forget_leaves_an_eml_mailer_did_not_write_in_the_preview_folder(tmp_path: Path) -> None:
    """An .eml the office saved in the preview folder (a journalist's complaint) names the address but is
    not a proof mailer wrote (no press-mailer Message-ID): it is named as left, never deleted."""
    folder = tmp_path / "preview"
    folder.mkdir()
    own = folder / "complaint.eml"
    own.write_text("From: ann@example.org\nSubject: stop\n\nPlease stop.\n", encoding="utf-8")
    proof = folder / "2026-11-30-example.eml"
    proof.write_text("To: ann@example.org\nMessage-ID: <k1@press-mailer.invalid>\n\nHello\n", encoding="utf-8")
    erased = forget.erase_files("ann@example.org", folder)
    assert own.is_file() and erased.left == (own,)
    assert not proof.exists() and erased.deleted == (proof,)


def test_forget_takes_the_address_out_of_other_rows_that_quote_it(store: Engine) -> None:
    """Other rows may quote the address: a refused request's error logged on every row of the
    request (review 12a #11), another journalist's list column, a bounce or a link of another
    journalist, a note the office typed. Only the address goes, "(forgotten)" in its place (one in
    brackets as a whole); a longer address holding it stays, and so does the rest of the text."""
    add_campaign(store, "c1")
    add_message(store, "c1", ADDRESS, first_name="Jane")
    tom = add_message(store, "c1", "tom@example.org", first_name="Tom")
    refused = "personalizations.1.to.0.email: Does not contain a valid address. (Jane.Doe@Paper.example)"
    with store.begin() as connection:
        connection.execute(
            update(message)
            .where(message.c.message_key == tom)
            .values(error=refused, fields={"email": "tom@example.org", "first_name": "Tom", "assistant": "jane.doe@paper.example"})
        )
        note = "asked by phone, cc jane.doe@paper.example; not mary.jane.doe@paper.example"
        suppression_store.add(connection, [("ann@example.org", SuppressionReason.MANUAL, note)], source="manual")
    batch = [
        sg_event(
            "bounce", "tom@example.org", key=tom, campaign_id="c1", at=T0 + 1, type="bounce", reason="550 moved: jane.doe@paper.example"
        ),
        sg_event("click", "tom@example.org", key=tom, campaign_id="c1", at=T0 + 2, url="https://example.org/?cc=jane.doe%40paper.example"),
    ]
    events.apply(store, [events.from_object(e, where="x") for e in batch], source="webhook", block_threshold=3)
    done = forget.forget(store, ADDRESS)
    assert done.mentions == 6  # tom's error and fields, his two events, the notes of ann's and of tom's suppression (the bounce)
    with store.connect() as connection:
        row = connection.execute(select(message.c.error, message.c.fields).where(message.c.message_key == tom)).one()
        events_of_tom = connection.execute(select(event.c.reason, event.c.url, event.c.raw).where(event.c.email == "tom@example.org")).all()
        ann = suppression_store.find(connection, "ann@example.org")
        bounced = suppression_store.find(connection, "tom@example.org")
        texts = [json.dumps([str(v) for v in r]) for table in (message, event) for r in connection.execute(select(table))]
    assert row.error == "personalizations.1.to.0.email: Does not contain a valid address. (forgotten)"
    assert row.fields == {"email": "tom@example.org", "first_name": "Tom", "assistant": "(forgotten)"}
    assert sorted((r.reason or "", r.url or "") for r in events_of_tom) == [
        ("", "https://example.org/?cc=(forgotten)"),
        ("550 moved: (forgotten)", ""),
    ]
    assert all(json.loads(r.raw)["email"] == "tom@example.org" for r in events_of_tom)  # still JSON, still Tom's
    assert ann is not None and ann.note == "asked by phone, cc (forgotten); not mary.jane.doe@paper.example"
    assert bounced is not None and bounced.note == "550 moved: (forgotten)"
    assert not [t for t in texts if "jane.doe@paper" in t.lower() or "jane.doe%40paper" in t.lower()]


def test_forget_finds_an_accented_address_however_the_json_escaped_it(store: Engine) -> None:
    """Review 12b #9: SendGrid's JSON may spell anna@bücher.example as "anna@b\\u00fccher.example",
    and the quarantine keeps unreadable events as ASCII JSON. Another journalist's bounce quoting
    her, and her unreadable events (one arriving after), keep no form of her address once she is forgotten."""
    from mailer.store.schema import quarantine

    add_campaign(store, "c1")
    tom = add_message(store, "c1", "tom@example.org", first_name="Tom")
    bounce = sg_event("bounce", "tom@example.org", key=tom, campaign_id="c1", at=T0 + 1, type="bounce", reason="550 cc anna@bücher.example")
    unreadable = {"email": "anna@bücher.example", "event": "open", "timestamp": "soon", "sg_event_id": "q-1"}
    batch = events.parse_body(json.dumps([bounce, unreadable]).encode("ascii"))  # ASCII JSON, as many senders write it
    assert len(batch.events) == 1 and len(batch.quarantined) == 1
    events.apply(store, batch.events, source="webhook", block_threshold=3, quarantined=batch.quarantined)
    done = forget.forget(store, "anna@bücher.example")
    assert done.mentions == 2  # tom's bounce event, and the note of tom's suppression (the bounce)
    late = events.parse_body(json.dumps([{**unreadable, "sg_event_id": "q-2"}]).encode("ascii"))  # after: quarantined without it
    events.apply(store, late.events, source="webhook", block_threshold=3, quarantined=late.quarantined)
    with store.connect() as connection:
        texts = [json.dumps([str(v) for v in r]) for table in (event, quarantine) for r in connection.execute(select(table))]
        raw = connection.scalar(select(event.c.raw).where(event.c.email == "tom@example.org"))
    assert json.loads(raw)["reason"] == "550 cc (forgotten)"
    assert not [t for t in texts if "anna@" in t or "anna%40" in t], texts


def test_forget_takes_the_address_out_of_other_rows_of_a_dry_runs_skipped_csv(tmp_path: Path) -> None:
    """A row of skipped.csv kept (another journalist's) whose detail quotes the address keeps its
    detail, the address replaced by "(forgotten)": the file no longer holds it."""
    folder = tmp_path / "outbox" / "2026-11-30-example"
    folder.mkdir(parents=True)
    (folder / ".campaign").write_text("2026-11-30-example 2026-11-30T09:00:00+00:00\n", encoding="utf-8")
    skipped = folder / "skipped.csv"
    skipped.write_text(
        f"email,reason,detail,source\r\n{ADDRESS},duplicate,,lists/a.csv:3\r\n"
        f"tom@example.org,suppressed,manual (same desk as {ADDRESS}),lists/a.csv:2\r\n",
        encoding="utf-8",
    )
    erased = forget.erase_files(ADDRESS, tmp_path / "outbox")
    assert erased.rewritten == (skipped,) and erased.left == ()
    assert skipped.read_bytes().decode("utf-8") == (
        "email,reason,detail,source\r\ntom@example.org,suppressed,manual (same desk as (forgotten)),lists/a.csv:2\r\n"
    )


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("refused (Jane.Doe@Paper.Example); retry", "refused (forgotten); retry"),
        ("550 jane.doe@paper.example.", "550 (forgotten)."),
        ("https://example.org/?who=jane.doe%40paper.example&x=1", "https://example.org/?who=(forgotten)&x=1"),
        ('{"email":"jane.doe@paper.example"}', '{"email":"(forgotten)"}'),
        ("mary.jane.doe@paper.example, jane.doe@paper.example.com", "mary.jane.doe@paper.example, jane.doe@paper.example.com"),
        ("to ben@xn--bcher-kva.example", "to (forgotten)"),
        # review 12b #2: ' and RFC 5322's other symbols inside a local part continue a longer address
        ("<o'jane.doe@paper.example>, r&jane.doe@paper.example", "<o'jane.doe@paper.example>, r&jane.doe@paper.example"),
        ("'jane.doe@paper.example', {jane.doe@paper.example}", "'(forgotten)', {(forgotten)}"),
        ("https://example.org/u/jane.doe@paper.example?x=1", "https://example.org/u/(forgotten)?x=1"),
    ],
)
def test_forget_scrub_replaces_the_address_and_nothing_longer(text: str, scrubbed: str) -> None:
    """mailbox.scrub: any case, a link's percent-encoded @, the domain's ASCII form; never part of a longer address."""
    from mailer import mailbox

    address = "ben@bücher.example" if "xn--" in text else ADDRESS
    assert mailbox.scrub(text, address, "(forgotten)") == scrubbed


def test_forget_erases_the_files_of_a_test_send_made_as_the_journalist(logged: Path, store: Engine, log_text: Any) -> None:
    """A dry-run test send `--as` a journalist (typed in capitals), then `mailer show` of it in the
    preview folder and with -o: none of these files names her, yet each colleague's proof holds
    her name and outlet (review 12a #5). Forget deletes them, counts the colleagues' rows as
    erased, and leaves neither her name nor her outlet in the log."""
    config = logged / "mailer.toml"
    config.write_text('[lists]\nstaff = "lists/staff.csv"\n\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    runner = CliRunner()
    tested = runner.invoke(
        main, ["test", "releases/example.md", "--as", "AMARA.OKAFOR@example.com", "--list", "lists/press.csv", "--dry-run"]
    )
    assert tested.exit_code == 0, tested.output
    campaign_id = tested.output.split("Test campaign ", 1)[1].split(":", 1)[0]
    assert runner.invoke(main, ["show", campaign_id]).exit_code == 0
    (logged / "mine").mkdir()
    assert runner.invoke(main, ["show", campaign_id, "--contact", "dana.fields@example.org", "-o", "mine/dana.eml"]).exit_code == 0

    def holding_her() -> list[Path]:
        written = [p for folder in ("out", "mine") for p in (logged / folder).rglob("*") if p.is_file()]
        return [p for p in written if b"Daily Example" in p.read_bytes() or b"Amara" in p.read_bytes()]

    assert len(holding_her()) == 7  # 4 proofs and the request body in the outbox, show's 2 .eml
    forgotten = runner.invoke(main, ["forget", "amara.okafor@example.com", "--yes", "--json"])
    assert forgotten.exit_code == 0, forgotten.output
    done = json.loads(forgotten.stdout)
    assert (done["messages"], done["campaigns"], len(done["files"]["deleted"]), done["files"]["left"]) == (4, [campaign_id], 7, [])
    assert holding_her() == []
    text = log_text()
    assert "Daily Example" not in text and "Amara" not in text


def test_forget_while_her_request_is_in_flight_keeps_her_row_for_the_answer_and_says_so(logged: Path, store: Engine) -> None:
    """Review 12b #4: her request has left (listed in flight), SendGrid's answer not logged yet.
    Her row is blanked but stays planned, so the answer marks it accepted; forget warns that the
    email cannot be called back. Should the request come back to a run (split, withdrawn), it
    leaves without her; a paused campaign's row not in flight is skipped as before."""
    from datetime import UTC, datetime

    from mailer.models import MessageState
    from mailer.store import messages as message_store
    from mailer.store.schema import campaign

    add_campaign(store, "c1")
    add_campaign(store, "c2")
    her = add_message(store, "c1", ADDRESS, state="planned", sg_message_id=None)
    paused = add_message(store, "c2", ADDRESS, state="planned", sg_message_id=None)
    with store.begin() as connection:
        connection.execute(update(message).values(request_no=1))
        connection.execute(update(campaign).where(campaign.c.id == "c1").values(in_flight=[1]))
    result = CliRunner().invoke(main, ["forget", ADDRESS, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["on_its_way"] == ["c1"]
    assert f"The email to {ADDRESS} in c1 may have left for SendGrid already (its request was on its way" in result.stderr
    with store.connect() as connection:
        rows = dict(connection.execute(select(message.c.message_key, message.c.state).where(message.c.email == "(forgotten)")).all())
    assert rows == {her: "planned", paused: "skipped"}
    now = datetime.now(UTC)
    with store.begin() as connection:  # the request comes back to the run: she is skipped, not sent
        assert message_store.skip_suppressed(connection, "c1", since=now, now=now, requests={1}) == 1
        assert message_store.planned_keys(connection, "c1", {1}) == set()
        # The answer to the request that left marks her row accepted (before the above, in a run).
        connection.execute(update(message).where(message.c.message_key == her).values(state="planned", skip_reason=None, request_no=1))
        assert message_store.mark_request(connection, "c1", 1, old=MessageState.PLANNED, new=MessageState.ACCEPTED, now=now) == 1


def test_forget_takes_the_address_out_of_the_filters_of_campaigns(logged: Path, store: Engine) -> None:
    """A send let the journalist through by name (--override-suppression) and chose her with
    --where: the campaign keeps its filters, without her address ("(forgotten)" in the --where,
    gone from the overrides); another campaign's filters stay as they were."""
    from mailer.store import campaigns as campaign_store

    runner = CliRunner()
    assert runner.invoke(main, ["suppressions", "add", "li.wei@example.org", "--reason", "asked by phone"]).exit_code == 0
    send = ["send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", "--include-previous"]
    her = runner.invoke(main, [*send, "--where", "email=Li.Wei@example.org", "--override-suppression", "li.wei@example.org"])
    other = runner.invoke(main, [*send, "--where", "outlet=The Daily Example"])
    assert her.exit_code == 0 and other.exit_code == 0, (her.output, other.output)
    with store.connect() as connection:
        first, second = sorted(campaign_store.ids(connection))
        before = campaign_store.get(connection, second)
    assert runner.invoke(main, ["forget", "li.wei@example.org", "--yes"]).exit_code == 0
    with store.connect() as connection:
        kept = campaign_store.get(connection, first).filters
        assert {key: kept[key] for key in ("where", "tag", "override_suppression")} == {
            "where": ["email=(forgotten)"],
            "tag": [],
            "override_suppression": [],
        }
        assert "li.wei" not in str(kept)
        assert campaign_store.get(connection, second) == before


def test_forget_takes_the_address_out_of_another_journalists_row(logged: Path, store: Engine, log_text: Any) -> None:
    """A list column of another journalist names the forgotten one ("Desk": a colleague's address).
    After a send and forget, the log no longer holds the address: the other journalist's value
    reads "(forgotten)", the rest of their row unchanged."""
    (logged / "lists" / "desk.csv").write_text(
        "Email,First Name,Desk\njane.doe@paper.example,Jane,\ntom@paper.example,Tom,with Jane.Doe@paper.example\n", encoding="utf-8"
    )
    runner = CliRunner()
    assert runner.invoke(main, ["send", "releases/example.md", "--list", "lists/desk.csv", "--dry-run"]).exit_code == 0
    forgotten = runner.invoke(main, ["forget", ADDRESS, "--yes"])
    assert forgotten.exit_code == 0, forgotten.output
    assert 'Replaced the address with "(forgotten)" where 1 other row quoted it' in forgotten.output
    with store.connect() as connection:
        fields = connection.execute(select(message.c.fields).where(message.c.email == "tom@paper.example")).scalar_one()
    assert "with (forgotten)" in fields.values() and fields["first_name"] == "Tom", fields
    assert "jane.doe@paper" not in log_text().lower().replace(ADDRESS, "", 2)


def test_forget_takes_the_address_out_of_another_journalists_personalization_in_a_request_body(tmp_path: Path) -> None:
    """A dry run's request body: the journalist's personalization goes, and another's substitution
    quoting the address keeps its text with "(forgotten)" in its place; the file no longer holds it."""
    folder = tmp_path / "outbox" / "2026-11-30-example"
    folder.mkdir(parents=True)
    (folder / ".campaign").write_text("2026-11-30-example 2026-11-30T09:00:00+00:00\n", encoding="utf-8")
    body = {
        "personalizations": [
            {"to": [{"email": "Jane.Doe@paper.example"}], "substitutions": {"-~desk~-": ""}, "custom_args": {"message": "k1"}},
            {
                "to": [{"email": "tom@paper.example"}],
                "substitutions": {"-~desk~-": "with jane.doe@paper.example"},
                "custom_args": {"message": "k2"},
            },
        ],
        "subject": "Hello",
    }
    request = folder / "request-0001.json"
    request.write_text(json.dumps(body), encoding="utf-8")
    erased = forget.erase_files(ADDRESS, tmp_path / "outbox")
    assert erased.rewritten == (request,) and erased.left == ()
    assert json.loads(request.read_text(encoding="utf-8")) == {
        "personalizations": [
            {"to": [{"email": "tom@paper.example"}], "substitutions": {"-~desk~-": "with (forgotten)"}, "custom_args": {"message": "k2"}},
        ],
        "subject": "Hello",
    }


def test_forget_deletes_the_pages_preview_wrote_as_the_journalist_and_nothing_beside_them(logged: Path) -> None:
    """Review 13 #9: `mailer preview --contact` notes the two pages it writes (here they show her
    address), so forget deletes them; with preview_dir = ".", the office's own .txt file beside
    them that names her stays (forget deletes only what mailer wrote)."""
    toml = logged / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[compose]\npreview_dir = "."\n', encoding="utf-8")
    note = logged / "calls.txt"
    note.write_text("amara.okafor@example.com phoned.\n", encoding="utf-8")
    release = logged / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8") + "\nWritten for {{ contact.email }}.\n", encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(main, ["preview", "releases/example.md", "--contact", "amara.okafor@example.com", "--list", "lists/press.csv"])
    assert shown.exit_code == 0, shown.output
    pages = [logged / "example.html", logged / "example.txt"]
    assert all(page.is_file() for page in pages)
    forgotten = runner.invoke(main, ["forget", "amara.okafor@example.com", "--yes", "--json"])
    assert forgotten.exit_code == 0, forgotten.output
    assert not any(page.exists() for page in pages), forgotten.output
    assert note.is_file()


def test_forget_takes_her_rows_spelt_otherwise_out_of_a_dry_runs_skipped_csv(tmp_path: Path) -> None:
    """Review 13 #7: a list's duplicate row of hers, spelt "Name <address>" or "mailto:", or refused
    for its final dot, is a row of hers in skipped.csv too: it goes, another journalist's stays."""
    folder = tmp_path / "outbox" / "2026-11-30-example"
    folder.mkdir(parents=True)
    (folder / ".campaign").write_text("2026-11-30-example 2026-11-30T09:00:00+00:00\n", encoding="utf-8")
    skipped = folder / "skipped.csv"
    skipped.write_text(
        "email,reason,detail,source\r\n"
        "Ben Quistgaard <Ben@Gazette.example>,duplicate,,lists/a.csv:3\r\n"
        "mailto:ben@gazette.example,duplicate,,lists/a.csv:4\r\n"
        "BEN@GAZETTE.EXAMPLE.,invalid,,lists/a.csv:5\r\n"
        "reuben@gazette.example,duplicate,,lists/a.csv:6\r\n",
        encoding="utf-8",
    )
    erased = forget.erase_files("ben@gazette.example", tmp_path / "outbox")
    assert erased.rewritten == (skipped,)
    assert skipped.read_bytes() == b"email,reason,detail,source\r\nreuben@gazette.example,duplicate,,lists/a.csv:6\r\n"
