"""Fixes of review 14 (helper fix14c): the overview page's sends held for later, and counts in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_review13 import delivered_and_a_second_release, mailer


def test_the_overview_lists_a_send_held_for_later_apart_with_its_time(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled for tomorrow is on the overview under "Scheduled for later", with the time it
    goes out and its recipients, and counts in no card: the delivered card is the sent campaign's
    alone (2 of 2 accepted), and the command says it is listed apart."""
    delivered_and_a_second_release(tmp_path, standin, db_url)
    at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    held = mailer("send", "releases/second.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--at", f"{at:%Y-%m-%d %H:%M} UTC")
    assert held.exit_code == 0, held.output
    overview = mailer("report", "--overview", "-o", "q4.html")
    assert overview.exit_code == 0, overview.output
    assert "overview of 1 campaign (all time) (1 send scheduled for later, not gone out yet, listed apart)" in overview.output
    page = (tmp_path / "q4.html").read_text(encoding="utf-8")
    assert "1 live campaign · 1 scheduled for later, not gone out yet, listed apart" in page
    cards, apart = page.split("<h2>Scheduled for later</h2>")
    assert "100.0% of accepted" in cards and "Beekeepers map" not in cards
    # each card says what its rate is a share of, and "1 campaign" (not "1 campaigns")
    assert '<div class="n">1</div><div class="l">campaign</div>' in cards
    assert '<div class="l">opened by people</div><div class="r">0.0% of delivered</div>' in cards
    assert f"{at:%Y-%m-%d %H:%M}" in apart and "Beekeepers map" in apart and "scheduled" in apart


# -- counts in words: no "(s)" left in what the press officer reads ----------------------------------


def test_a_field_empty_for_one_journalist_says_one_contact(tmp_path: Path) -> None:
    """The release uses {{ contact.first_name }} without a default and one journalist has none:
    "is empty for 1 contact", not "1 contact(s)"; two say "2 contacts"."""
    import pytest

    from mailer import compose, contacts
    from mailer.compose import release
    from mailer.compose.render import check_fields
    from mailer.config import Config, SenderConfig
    from mailer.errors import TemplateError

    (tmp_path / "launch.md").write_text('---\nsubject: "Bees"\ndate: 2026-02-19\n---\nHello {{ contact.first_name }}.\n', encoding="utf-8")
    rendered = compose.render(
        release.load(tmp_path / "launch.md"),
        config=Config(sender=SenderConfig(postal_address="1 Hive Lane")),
        now=datetime(2026, 2, 1, tzinfo=UTC),
    )
    for rows, said in (
        ("a@x.org,\nok@x.org,Luc\n", "is empty for 1 contact: a@x.org"),
        ("a@x.org,\nb@x.org,\n", "is empty for 2 contacts: a@x.org, b@x.org"),
    ):
        (tmp_path / "press.csv").write_text("Email,First Name\n" + rows, encoding="utf-8")
        with pytest.raises(TemplateError) as caught:
            check_fields(rendered, contacts.load([tmp_path / "press.csv"]).contacts)
        assert caught.value.message.endswith(f'"first_name" {said}'), caught.value.message


def test_one_event_of_an_unknown_type_is_one_event() -> None:
    """One event of a type SendGrid does not send "is kept", as one; two "are kept"."""
    from mailer.events.kinds import words

    assert words({"opened": 1}).startswith('1 event of a type SendGrid does not send ("opened" 1 '), words({"opened": 1})
    assert " is kept in the log but changes nothing: " in words({"opened": 1})
    assert words({"opened": 2}).startswith("2 events of a type SendGrid does not send"), words({"opened": 2})
    assert " are kept in the log but change nothing: " in words({"opened": 2})


def test_a_send_that_ended_with_one_failed_recipient_says_recipient() -> None:
    """ "ended with 1 failed recipient and 0 unknown", not "1 failed and 0 unknown recipient(s)"."""
    import pytest

    from mailer.send.delivery import IncompleteSend, Outcome

    for failed, unknown, said in ((1, 0, "1 failed recipient and 0 unknown"), (3, 2, "3 failed recipients and 2 unknown")):
        with pytest.raises(IncompleteSend) as caught:
            Outcome("c", {"failed": failed, "unknown": unknown}, ()).check()
        assert caught.value.message == f"The send ended with {said}.", caught.value.message


def test_the_page_flags_one_all_bounced_outlet_in_the_singular() -> None:
    """ "Every address bounced at 1 outlet", "... at 2 outlets and 1 domain" (each kind counted apart: session 21's leftover #1)."""
    from mailer.reports.figures import ALL_BOUNCED, OUTLET_KEYS, OUTLET_LABELS, Table
    from mailer.reports.page import all_bounced_note

    def flagged(*rows: tuple[str, str]) -> Table:
        made = [(by, name, 1, 0, 1, 0, 0, 0, 1.0, ALL_BOUNCED) for by, name in rows]
        campaign: Any = None  # the note reads the rows only
        return Table("outlets", campaign, OUTLET_KEYS, OUTLET_LABELS, made, frozenset(range(len(made))))

    assert all_bounced_note(flagged(("outlet", "A"))).startswith("Every address bounced at 1 outlet, highlighted below.")
    two = flagged(("outlet", "A"), ("outlet", "B"), ("domain", "a.example"))
    assert all_bounced_note(two).startswith("Every address bounced at 2 outlets and 1 domain, highlighted below.")


def test_forget_names_one_file_it_could_not_erase_in_the_singular(tmp_path: Path, capsys: Any) -> None:
    """ "1 file in out/ still holds the address", not "1 file(s) ... still hold"; the same for the
    files `mailer show -o` wrote."""
    from mailer import forget
    from mailer.cli import reports as cli_reports

    stuck = tmp_path / "stuck.eml"
    erased = forget.ErasedFiles(deleted=(), rewritten=(), left=(stuck,))
    cli_reports._say_erased_files(tmp_path, erased)
    cli_reports._say_erased_written(erased)
    said = " ".join(capsys.readouterr().err.split())
    assert f"1 file in {tmp_path} still holds the address and could not be erased" in said, said
    assert "1 file `mailer show -o` wrote still holds the address and could not be deleted" in said, said
    assert "(s)" not in said, said
