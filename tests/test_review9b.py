"""Review 9b: today's changes (forget, cancelled and scheduled sends, language names, resume).

Each test states a finding as the behaviour a press officer would expect; each failed on the
code it was written against, and passes since its fix.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import todays_campaign
from sqlalchemy import update
from test_cli_send import RECIPIENTS, SEND, db, mailer

from mailer.store import campaigns
from mailer.store.schema import campaign as campaign_table

JOURNALIST = "amara.okafor@example.com"  # row 1 of lists/press.csv


def _no_retries(live: Path) -> None:
    """One request at a time, none retried: a 503 stops the send after the request it answers."""
    (live / "mailer.toml").write_text(
        (live / "mailer.toml").read_text().replace("batch_size = 10", "batch_size = 10\nretries = 0\nconcurrency = 1"), encoding="utf-8"
    )


def _import(live: Path, events: list[dict[str, Any]], name: str = "events.ndjson") -> None:
    (live / name).write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    result = mailer("events", "import", name)
    assert result.exit_code == 0, result.output


# -- 4. Resume after suppressions ------------------------------------------------------------


def test_resume_skips_an_unsubscribe_that_arrived_after_planning_but_happened_before(live: Path, standin: Any) -> None:
    """Promise 3 (nc9 fix 32586c7 tested it only with an event dated in 2027): a journalist
    unsubscribes at 09:00 from an earlier release; the office plans a new send at 09:05, which
    stops after one request; the unsubscribe reaches the log at 09:10 (the webhook was down, or
    an events file is imported). Planning could not know; the resume must not mail them."""
    _no_retries(live)
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok")
    assert stopped.exit_code == 1, stopped.output
    campaign_id = todays_campaign()
    before_planning = int(time.time()) - 300  # the click on "unsubscribe", five minutes before the plan
    _import(live, [{"email": "sofia.garcia@example.net", "event": "unsubscribe", "timestamp": before_planning, "sg_event_id": "u-late"}])
    assert "sofia.garcia@example.net" in mailer("suppressions", "list").stdout
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "sofia.garcia@example.net" not in standin.accepted_addresses()


def test_resume_skips_an_overridden_journalist_who_unsubscribes_while_the_send_waits(live: Path, standin: Any) -> None:
    """The override was for the suppression the office knew of (an old bounce, the address since
    fixed); a fresh unsubscribe, clicked after planning, is new: the resume must honour it."""
    _no_retries(live)
    assert mailer("suppressions", "add", "mateo.silva@example.com", "--reason", "manual").exit_code == 0
    standin.answer(503, times=1)
    stopped = mailer(*SEND, "--yes", "--no-test-ok", "--override-suppression", "mateo.silva@example.com")
    assert stopped.exit_code == 1, stopped.output
    campaign_id = todays_campaign()
    time.sleep(1.1)
    _import(live, [{"email": "mateo.silva@example.com", "event": "unsubscribe", "timestamp": int(time.time()), "sg_event_id": "u-new"}])
    resumed = mailer("resume", campaign_id, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "mateo.silva@example.com" not in standin.accepted_addresses()


# -- 1. forget -------------------------------------------------------------------------------

FORGOTTEN = "jane.doe@paper.example"


def _unreadable_event(address: str, at: str) -> dict[str, Any]:
    """An event SendGrid's form almost has (its timestamp as text): parse.py quarantines it raw."""
    return {"email": address, "event": "open", "timestamp": at, "ip": "203.0.113.9", "useragent": "Mozilla/5.0 (Jane)", "sg_event_id": at}


def test_forget_erases_the_quarantined_events_that_name_the_journalist(logged: Path, log_text: Any) -> None:
    """An events file with a malformed line about Jane was imported (quarantined raw); then Jane
    asks to be erased. Nothing in the log may still hold her IP or user agent (the address stays, as the suppression)."""
    (logged / "bad.ndjson").write_text(json.dumps(_unreadable_event(FORGOTTEN, "yesterday")) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "bad.ndjson")
    assert "Quarantined 1 event" in imported.output, imported.output
    assert "203.0.113.9" in log_text()
    forgotten = mailer("forget", FORGOTTEN, "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    text = log_text().lower()
    assert "203.0.113.9" not in text and "mozilla/5.0 (jane)" not in text  # the address stays, in the suppression


def test_forget_a_late_unreadable_event_about_a_forgotten_journalist_keeps_no_data(logged: Path, log_text: Any) -> None:
    """After the erasure SendGrid (or a hand-made file) brings a malformed event about Jane: the
    quarantine must not become the place her address and IP come back in."""
    assert mailer("forget", FORGOTTEN, "--yes").exit_code == 0
    (logged / "late.ndjson").write_text(json.dumps(_unreadable_event(FORGOTTEN, "tomorrow")) + "\n", encoding="utf-8")
    imported = mailer("events", "import", "late.ndjson")
    assert imported.exit_code == 0, imported.output
    text = log_text().lower()
    assert "203.0.113.9" not in text and "mozilla/5.0 (jane)" not in text


# -- 2. Cancelled sends ------------------------------------------------------------------------


def _cancelled_too_late_and_delivered(live: Path, standin: Any) -> str:
    """A send scheduled ahead, cancelled 5 minutes before its time (SendGrid: "does not guarantee
    the cancellation"); SendGrid sent it anyway, and its delivered events come in. Its id."""
    from press_office import keys

    from mailer import config
    from mailer.send import campaign

    at = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    sent = mailer(*SEND, "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert sent.exit_code == 0, sent.output
    with db().connect() as connection:
        newest = campaigns.newest(connection)
    assert newest is not None
    campaign_id = newest.id
    cancelled = campaign.cancel(
        db(), config.from_environment(), campaign_id, environ={"SENDGRID_API_KEY": standin.api_key}, now=at - timedelta(minutes=5)
    )
    assert cancelled.late
    # Time passes: the send's time is an hour ago now (the log's clock moved instead of the test waiting).
    past = datetime.now(UTC) - timedelta(hours=1)
    with db().begin() as connection:
        connection.execute(update(campaign_table).where(campaign_table.c.id == campaign_id).values(scheduled_at=past))
    went = int(past.timestamp()) + 60
    delivered = [
        {"email": email, "event": "delivered", "timestamp": went, "sg_event_id": f"d-{n}", "campaign": cid, "message": key}
        for n, ((cid, email), key) in enumerate(keys(standin).items())
    ]
    assert len(delivered) == RECIPIENTS
    _import(live, delivered)
    return campaign_id


def test_status_of_a_late_cancel_that_went_out_does_not_say_none_went_out(live: Path, standin: Any) -> None:
    """The press officer cancelled 5 minutes before the embargo time; SendGrid sent it anyway and
    reported 41 deliveries. status and report must not tell them no journalist received it."""
    campaign_id = _cancelled_too_late_and_delivered(live, standin)
    status = mailer("status", campaign_id).stdout
    report = mailer("report", campaign_id).stdout
    assert "none went out" not in status and "none of its emails went out" not in status, status
    assert "no journalist received it" not in report, report


def test_resend_after_a_late_cancel_that_went_out_skips_those_who_received_it(live: Path, standin: Any) -> None:
    """Promise 8: the events say the 41 journalists received this exact release. Sending it again
    (to a corrected time, say) must skip them as already received, not mail them twice."""
    _cancelled_too_late_and_delivered(live, standin)
    again = mailer(*SEND, "--dry-run")
    assert f"{RECIPIENTS} already received" in again.stdout, again.stdout


def test_forget_leaves_a_users_own_file_saved_where_show_once_wrote(logged: Path) -> None:
    """`mailer show -o letter.eml` once wrote Li Wei's proof; later the press officer saved her own
    file under that name (Amara's complaint, kept as evidence). Forgetting Amara must not delete
    the officer's file: it is not what mailer wrote."""
    assert mailer("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run").exit_code == 0
    shown = mailer("show", todays_campaign(), "--contact", "li.wei@example.org", "-o", "letter.eml")
    assert shown.exit_code == 0, shown.output
    own = logged / "letter.eml"
    own.write_text("From: amara.okafor@example.com\nSubject: please stop\n\nMy complaint of 1 December.\n", encoding="utf-8")
    forgotten = mailer("forget", JOURNALIST, "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert own.is_file(), forgotten.output


# -- 3. Language names -----------------------------------------------------------------------


def test_language_und_gets_the_main_version_not_english() -> None:
    """ISO 639-2 "und" (undetermined; what some media databases write when they do not know) names
    no language: the journalist gets the main version, and the plan names the cell as unknown."""
    from mailer.compose import labels
    from mailer.compose.language_names import tag_of

    assert tag_of("und", ("fr", "en")) is None
    assert labels.pick(["fr", "en"], "und") is None


def test_override_suppression_of_a_forgotten_journalist_is_refused_or_named(live: Path, standin: Any) -> None:
    """An erasure request is not an unsubscribe the office may overrule by habit: overriding it
    must at least say the address was erased with `mailer forget` (or be refused)."""
    assert mailer("forget", JOURNALIST, "--yes").exit_code == 0
    sent = mailer(*SEND, "--dry-run", "--override-suppression", JOURNALIST)
    assert sent.exit_code == 1
    assert f"{JOURNALIST} was erased with `mailer forget` at their request: --override-suppression cannot mail it." in sent.output
    assert f"mailer suppressions remove {JOURNALIST} --forgotten" in sent.output


def test_forget_a_later_send_blanks_duplicates_written_another_way(logged: Path, log_text: Any) -> None:
    """DESIGN "Lists": media-database exports write "Jane Doe <jane@x.org>" cells and paste
    invisible characters. The loader knows these rows are the erased journalist (it skips them
    as duplicates of her row); the log must not get her name and outlet back from them."""
    (logged / "lists" / "merged.csv").write_text(
        "Email,First Name,Last Name,Outlet\n"
        "amara.okafor@example.com,Amara,Quillfeather,Zebra Gazette\n"
        '"Amara Okafor <AMARA.OKAFOR@example.com>",Amara,Quillfeather,Zebra Gazette\n'
        "mailto:amara.okafor@example.com,Amara,Quillfeather,Zebra Gazette\n"
        "amara.okafor@example.com\u200b,Amara,Quillfeather,Zebra Gazette\n"
        "li.wei@example.org,Li,Wei,Example Science Weekly\n",
        encoding="utf-8",
    )
    assert mailer("forget", JOURNALIST, "--yes").exit_code == 0
    sent = mailer("send", "releases/example.md", "--list", "lists/merged.csv", "--dry-run")
    assert sent.exit_code == 0, sent.output
    text = log_text()  # the address itself stays, as the suppression
    assert "Quillfeather" not in text and "Zebra Gazette" not in text


def test_language_names_in_cldr_display_form_pick_their_version() -> None:
    """A release in en (main), fr and fr-CA, de: "Français (Canada)" is fr-CA, "Deutsch (Schweiz)" de."""
    from mailer.compose import labels

    available = ["en", "fr", "fr-CA", "de"]
    assert labels.pick(available, "Français (Canada)") == "fr-CA"
    assert labels.pick(available, "French (Canada)") == "fr-CA"
    assert labels.pick(available, "Deutsch (Schweiz)") == "de"


def test_a_journalist_suppressed_while_the_send_question_waits_is_not_mailed(store: Any, tmp_path: Path, standin: Any) -> None:
    """The plan is shown, the officer goes for coffee before answering y; meanwhile a journalist
    unsubscribes (the webhook) or a colleague runs `mailer suppressions add`. The send that
    starts when they answer must not mail that journalist."""
    from send_fixtures import example_office

    from mailer.models import SuppressionReason
    from mailer.send import campaign
    from mailer.send.dispatch import utcnow
    from mailer.store import suppressions

    office = example_office(tmp_path, standin.url, batch_size=10, concurrency=1)
    prepared = campaign.prepare_send(store, office, Path("releases/example.md"), [Path("lists/press.csv")])
    assert "li.wei@example.org" in {m.email for m in prepared.plan.recipients}
    with store.begin() as connection:
        suppressions.add(connection, [("li.wei@example.org", SuppressionReason.MANUAL, "phoned")], source="manual", now=utcnow())
    campaign.start(store, office, prepared, environ={"SENDGRID_API_KEY": standin.api_key})
    assert "li.wei@example.org" not in standin.accepted_addresses()


def test_forget_never_deletes_the_offices_own_files_under_the_preview_folder(logged: Path) -> None:
    """mailer.toml sets preview_dir = "." (config.example.toml: "Where `mailer preview` writes the
    rendered email"). The office's Meltwater export lists/meltwater.txt and its notes/amara.txt name
    the journalist; forget must name the list (as it does for lists it knows), never delete them."""
    toml = logged / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[compose]\npreview_dir = "."\n', encoding="utf-8")
    exported = logged / "lists" / "meltwater.txt"
    exported.write_text("E-Mail\tVorname\namara.okafor@example.com\tAmara\nli.wei@example.org\tLi\n", encoding="utf-8")
    (logged / "notes").mkdir()
    note = logged / "notes" / "amara.txt"
    note.write_text("amara.okafor@example.com asked for the embargoed figures.\n", encoding="utf-8")
    assert mailer("send", "releases/example.md", "--list", "lists/meltwater.txt", "--dry-run").exit_code == 0
    forgotten = mailer("forget", JOURNALIST, "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert exported.is_file() and note.is_file(), forgotten.output
