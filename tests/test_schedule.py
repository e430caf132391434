"""``--at`` times and how instants are shown (mailer/send/schedule.py), and a scheduled send across a DST change.

The clock is injected (``now=``), so a send can be scheduled around any date; the CLI tests in
test_cli_schedule.py cover the zones against the real clock.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import example
from sqlalchemy import Engine

from mailer.config import Config
from mailer.errors import SendError
from mailer.reports import figures
from mailer.send import campaign, schedule
from mailer.send.status import status
from mailer.store import campaigns

ROOT = Path(__file__).parent.parent
NOW = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)  # Saturday; New York falls back at 06:00 UTC on Sunday 1 November


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-01 09:00 America/New_York", "2026-11-01T14:00:00+00:00"),  # after the change: EST, UTC-5
        ("2026-10-31 21:00 America/New_York", "2026-11-01T01:00:00+00:00"),  # before it: EDT, UTC-4
        ("2026-11-01 09:00 Europe/Berlin", "2026-11-01T08:00:00+00:00"),  # Berlin changed a week earlier: CET
        ("2026-11-01 09:00 Asia/Kolkata", "2026-11-01T03:30:00+00:00"),  # IST, UTC+5:30, no DST
        ("2026-11-01T09:00+05:30", "2026-11-01T03:30:00+00:00"),
        ("2026-11-01 09:00 UTC", "2026-11-01T09:00:00+00:00"),
    ],
)
def test_schedule_parse_at_gives_the_instant(text: str, instant: str) -> None:
    """A wall-clock time in a zone is the instant that zone's clocks show then, DST included."""
    assert schedule.parse_at(text, now=NOW).astimezone(UTC).isoformat() == instant


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-03-08 02:30 America/New_York", "does not exist in America/New_York: the clocks jump forward past it that day."),
        ("2026-03-29 02:30 Europe/Berlin", "does not exist in Europe/Berlin: the clocks jump forward past it that day."),
        ("2026-11-01 01:30 America/New_York", "happens twice in America/New_York: the clocks go back that night."),
    ],
)
def test_schedule_parse_at_refuses_a_time_dst_skips_or_repeats(text: str, message: str) -> None:
    """02:30 on a spring-forward day never shows on the clocks; 01:30 on a fall-back night shows twice: ask, never guess."""
    with pytest.raises(SendError) as caught:
        schedule.parse_at(text, now=datetime.fromisoformat(text[:10] + "T00:00+00:00") - timedelta(hours=12))
    assert caught.value.message == f'--at "{text}" {message}'


def test_schedule_parse_at_twice_names_both_offsets() -> None:
    """The hint for a repeated time gives both readings, and either is then accepted."""
    with pytest.raises(SendError) as caught:
        schedule.parse_at("2026-11-01 01:30 America/New_York", now=NOW)
    assert caught.value.hint == 'Say which one with its UTC offset: --at "2026-11-01T01:30-04:00" or --at "2026-11-01T01:30-05:00".'
    first = schedule.parse_at("2026-11-01T01:30-04:00", now=NOW)
    second = schedule.parse_at("2026-11-01T01:30-05:00", now=NOW)
    assert (second - first) == timedelta(hours=1)


def test_schedule_parse_at_a_folder_of_zones_is_not_a_zone() -> None:
    """ "America" names a folder of zones: a plain error, not a traceback."""
    with pytest.raises(SendError, match="America is not a time zone name mailer knows"):
        schedule.parse_at("2026-11-01 09:00 America", now=NOW)


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 11, 30, 14, 0, tzinfo=UTC), "2026-11-30 14:00 UTC"),
        (datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/New_York")), "2026-11-30 14:00 UTC (09:00 America/New_York)"),
        (datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")), "2026-11-30 08:00 UTC (09:00 Europe/Berlin)"),
        (datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("Asia/Kolkata")), "2026-11-30 20:30 UTC (2026-12-01 02:00 Asia/Kolkata)"),
        (datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))), "2026-11-30 03:30 UTC (09:00 UTC+05:30)"),
    ],
)
def test_schedule_describe_names_utc_and_the_given_zone(moment: datetime, shown: str) -> None:
    """Every time shown says UTC, and the zone the user gave it in (with the date when that differs)."""
    assert schedule.describe(moment) == shown


def test_schedule_describe_refuses_a_naive_time() -> None:
    """A time without a zone cannot be shown with one: a programming error."""
    with pytest.raises(ValueError, match="aware"):
        schedule.describe(datetime(2026, 11, 30, 9, 0))


# -- a scheduled send across New York's fall-back night, stopped and resumed ------------------


@pytest.fixture
def office(tmp_path: Path, standin: Any) -> Config:
    """The example release and lists; requests of 10, one at a time, no retries; SendGrid's clock at NOW."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    standin.clock = NOW.timestamp
    return Config.model_validate(
        {
            "sender": {"postal_address": "1 Hive Road, Riverbend, ST 00000"},
            "sendgrid": {"api_url": standin.url, "batch_size": 10, "retries": 0, "concurrency": 1},
        }
    )


def test_schedule_send_across_dst_keeps_send_at_through_resume_cancel_and_status(store: Engine, office: Config, standin: Any) -> None:
    """Scheduled on Saturday (EDT) for 09:00 Sunday (EST): stored as 14:00 UTC; resume, status, campaigns and cancel all agree."""
    environ = {"SENDGRID_API_KEY": standin.api_key}
    at = "2026-11-01 09:00 America/New_York"
    goes_out = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    prepared = campaign.prepare_send(store, office, Path("releases/example.md"), [Path("lists/press.csv")], at=at, now=NOW)
    assert prepared.scheduled == goes_out
    standin.answer(503, match=lambda r: len(standin.mail_sends) == 3)  # SendGrid goes away at the third request
    with pytest.raises(SendError, match="SendGrid"):
        campaign.start(store, office, prepared, environ=environ, now=NOW)
    with store.connect() as connection:
        [row] = campaigns.rows(connection)
        stored = campaigns.get(connection, row["id"])
    assert stored is not None and stored.scheduled_at == goes_out and row["scheduled"] == "2026-11-01T14:00:00+00:00"
    assert status(store, row["id"], now=NOW).shown_status == "paused"

    resumed = campaign.resume(store, office, row["id"], environ=environ)
    resumed.outcome.check()
    sends = standin.mail_sends
    assert len(sends) == 6 and {r.body["send_at"] for r in sends} == {int(goes_out.timestamp())}

    seen = status(store, row["id"], now=NOW)
    assert seen.shown_status == "scheduled"
    assert seen.next_steps[0].startswith("SendGrid holds these emails until 2026-11-01 14:00 UTC. ")
    assert [(r["status"], r["scheduled"]) for r in figures.overview(store, now=NOW)] == [("scheduled", "2026-11-01T14:00:00+00:00")]
    assert [r["status"] for r in figures.overview(store, now=goes_out)] == ["done"]
    assert status(store, row["id"], now=goes_out).shown_status == "done"

    with pytest.raises(SendError) as gone:
        campaign.cancel(store, office, row["id"], environ=environ, now=goes_out)
    assert gone.value.message == f"{row['id']} was scheduled for 2026-11-01 14:00 UTC; it has gone out already."
    assert standin.scheduled == {}
    cancelled = campaign.cancel(store, office, row["id"], environ=environ, now=goes_out - timedelta(minutes=5))
    assert (cancelled.scheduled_at, cancelled.late) == (goes_out, True)
    assert list(standin.scheduled.values()) == ["cancel"]
    assert schedule.describe(prepared.scheduled) == "2026-11-01 14:00 UTC (09:00 America/New_York)"  # as `mailer send` shows it


@pytest.mark.parametrize("text", ["2026-11-01 09:00", "2026-11-01T09:00"])
def test_schedule_parse_at_without_a_zone_says_the_zone_is_missing(text: str) -> None:
    """A date and time alone: the error names what is missing (it said "not a time mailer
    understands"; newcomer review 8), as the embargo check does."""
    with pytest.raises(SendError, match="has no time zone") as caught:
        schedule.parse_at(text, now=NOW)
    assert caught.value.hint == 'Add the time zone (a name such as Europe/Paris, or UTC), for example --at "2026-11-01 09:00 UTC".'


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("2026-10-30 09:00 Europe/London", '--at "2026-11-01 09:00 Europe/London"'),
        ("2026-10-31 09:00 America/New_York", '--at "2026-11-01 09:00 America/New_York"'),
        ("2026-10-30 09:00 UTC", '--at "2026-11-01 09:00 UTC"'),
        ("2026-10-30T09:00+02:00", '--at "2026-11-01 09:00 UTC"'),
    ],
)
def test_schedule_parse_at_in_the_past_suggests_tomorrow_nine_in_the_zone_given(text: str, example: str) -> None:
    """The example in the "is in the past" hint is tomorrow 09:00 in the zone the user wrote (UTC
    for an offset), so copying it works (it was a fixed date, itself in the past; newcomer 14 #6)."""
    with pytest.raises(SendError, match="is in the past") as caught:
        schedule.parse_at(text, now=NOW)
    assert caught.value.hint == f"Give a time in the next 72 hours, for example {example}."
    copied = example.removeprefix('--at "').removesuffix('"')
    assert NOW < schedule.parse_at(copied, now=NOW) <= NOW + schedule.MAX_SCHEDULE_AHEAD
