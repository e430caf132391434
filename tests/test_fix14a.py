"""Fix 14a: what `suppressions add` and `forget` advise about a scheduled send SendGrid still holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from press_office import campaign_of
from test_review13 import mailer, office, whole_log


def said(result: Any) -> str:
    return " ".join(result.output.split())


def test_suppressing_after_a_late_cancel_says_to_wait_not_to_cancel_again(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled a few minutes ahead is cancelled too late (mailer warns it may still go out).
    Ben then phones to be taken off: `suppressions add` (and `forget`) must not advise "mailer cancel
    ... then send the release again", which the late cancel already tried: they say the cancel was
    asked too late, and to wait for its time, as `mailer status` does."""
    office(tmp_path, standin, db_url)
    at = f"{datetime.now(UTC) + timedelta(minutes=7):%Y-%m-%d %H:%M} UTC"
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--at", at, "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    cancel = mailer("cancel", campaign_id)
    assert "it may still go out" in said(cancel), cancel.output
    added = mailer("suppressions", "add", "ben@gazette.example", "--reason", "phoned")
    assert added.exit_code == 0, added.output
    assert f"SendGrid still holds an email for ben@gazette.example in {campaign_id}" in said(added), added.output
    assert f"mailer cancel {campaign_id}" not in said(added), added.output
    assert "asking again changes nothing" in said(added), added.output
    forgot = mailer("forget", "ana@daily.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert f"mailer cancel {campaign_id}" not in said(forgot), forgot.output
    assert "asking again changes nothing" in said(forgot), forgot.output


def test_forget_keeps_a_filter_value_she_shared_with_others(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`--where outlet=The Gazette` chose Ben and Cleo: forgetting Ben takes his surname out of the
    other filter that chose him alone, but "The Gazette" stays, in the filter and in the reason Ana
    was skipped: it names Cleo as much as him, and the office still reads whom that send chose."""
    beat = (
        "Email,First Name,Last Name,Outlet\nana@daily.example,Ana,Lima,Daily News\n"
        "ben@gazette.example,Ben,Quistgaard,The Gazette\ncleo@gazette.example,Cleo,Lind,The Gazette\n"
    )
    office(tmp_path, standin, db_url, beat=beat)
    chosen = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--where", "outlet=The Gazette", "--yes", "--no-test-ok")
    assert chosen.exit_code == 0, chosen.output
    alone = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--where", "last_name=Quistgaard,Lima", "--yes", "--no-test-ok"
    )
    assert alone.exit_code == 0, alone.output
    forgot = mailer("forget", "ben@gazette.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    log = whole_log(db_url)
    assert "quistgaard" not in log.lower(), [line for line in log.splitlines() if "quistgaard" in line.lower()]
    assert "outlet is not The Gazette" in log, log
    assert "outlet=The Gazette" in log, log
    assert "last_name=(forgotten),Lima" in log, log


def test_forget_leaves_a_preview_page_written_since_for_a_colleague(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The page previewed as Ben, then previewed again as Ana (same file), is Ana's now: forgetting
    Ben leaves it, and the log no longer notes any page made for him."""
    office(tmp_path, standin, db_url)
    for address in ("ben@gazette.example", "ana@daily.example"):
        shown = mailer("preview", "releases/example.md", "--contact", address, "--list", "lists/beat.csv")
        assert shown.exit_code == 0, shown.output
    pages = [tmp_path / "out" / "preview" / name for name in ("example.html", "example.txt")]
    assert all("Daily News" in p.read_text(encoding="utf-8") for p in pages), pages
    forgot = mailer("forget", "ben@gazette.example", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert all(p.exists() for p in pages), forgot.output
    assert "ben@gazette.example" not in whole_log(db_url).replace('"ben@gazette.example", "forgotten"', "")
