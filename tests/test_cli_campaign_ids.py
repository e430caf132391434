"""Campaign ids people can type (issue 13): `latest`, `latest~N`, and `mailer campaigns` as a table with --limit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from mailer.cli import main
from mailer.models import CampaignStatus, Mode
from mailer.store import campaigns

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Created in this order (oldest first); the ids sort differently, so "latest" must follow created_at.
MADE = ["2026-03-02-zebra-count", "2026-03-02-bee-census", "2026-03-02-moth-survey"]


def add(store: Engine, ids: list[str], *, mode: Mode = Mode.LIVE, first: int = 0) -> None:
    """Campaigns made one minute apart, in the order given, the first ``first`` minutes after START."""
    with store.begin() as connection:
        for minute, campaign_id in enumerate(ids, start=first):
            campaigns.create(
                connection,
                campaign_id=campaign_id,
                release_path="releases/example.md",
                content_hash=f"{minute:02d}" * 32,
                subject=f"Release {campaign_id}",
                lists=["lists/press.csv"],
                filters={},
                mode=mode,
                created_at=START + timedelta(minutes=minute),
            )
            campaigns.set_status(connection, campaign_id, CampaignStatus.DONE)


@pytest.fixture
def logged(store: Engine, tmp_path: Path) -> Engine:
    """A mailer.toml in the test's folder naming the test's delivery log."""
    (tmp_path / "mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    return store


def mailer(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(("typed", "expected"), [("latest", MADE[2]), ("latest~1", MADE[1]), ("latest~", MADE[1]), ("LATEST~2", MADE[0])])
def test_campaign_ids_latest_is_the_most_recently_created(logged: Engine, typed: str, expected: str) -> None:
    """latest is the newest campaign by creation time (not by id); latest~N goes N back; stderr names it."""
    add(logged, MADE)
    result = mailer("status", typed)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Campaign:  {expected} (live, done)\n")
    created = START + timedelta(minutes=MADE.index(expected))
    assert f"{typed} is {expected} (live, created {created:%Y-%m-%d %H:%M} UTC).\n" in result.stderr


@pytest.mark.parametrize("command", [["status"], ["show"], ["report"], ["report", "--kind", "recipients"], ["resume"], ["cancel"]])
def test_campaign_ids_latest_works_wherever_a_campaign_is_taken(logged: Engine, command: list[str]) -> None:
    """Every command that takes a CAMPAIGN resolves latest before doing its work (which may then stop for other reasons)."""
    add(logged, MADE)
    result = mailer(*command, "latest")
    assert f"latest is {MADE[2]} (live, created" in result.stderr
    after = result.stderr.split("latest is", 1)[1]
    assert '"latest"' not in after and "Traceback" not in result.output


def test_campaign_ids_latest_in_an_empty_log_is_a_clear_error(logged: Engine) -> None:
    """No campaigns: exit 1, saying so and how campaigns are made."""
    result = mailer("status", "latest")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        'Error: The delivery log holds no campaigns yet, so "latest" names none.\n'
        "Campaigns are made by mailer send (--dry-run too) and mailer test.\n"
    )


def test_campaign_ids_latest_too_far_back_names_the_oldest(logged: Engine) -> None:
    """latest~N past the oldest campaign: exit 1, how many there are and which word names the oldest."""
    add(logged, MADE)
    result = mailer("report", "latest~3")
    assert result.exit_code == 1
    assert 'Error: "latest~3" goes back further than the delivery log: it holds 3 live sends, so the oldest is latest~2.\n' in result.stderr
    assert "Traceback" not in result.output


def test_campaign_ids_latest_for_a_report_is_the_newest_live_send(logged: Engine) -> None:
    """A test send and a dry run made after the live send: `report latest` still reports the live send
    (reports cover live sends only), while `status latest` is the newest campaign of any kind."""
    add(logged, MADE)
    add(logged, ["2026-03-02-moth-survey-test"], mode=Mode.TEST, first=3)
    add(logged, ["2026-03-02-moth-survey-2"], mode=Mode.DRY_RUN, first=4)
    report = mailer("report", "latest")
    assert f"latest is {MADE[2]} (live, created" in report.stderr
    assert "reports cover live sends only" not in report.output
    assert f"latest~1 is {MADE[1]} (live," in mailer("report", "latest~1").stderr
    status = mailer("status", "latest")
    assert "latest is 2026-03-02-moth-survey-2 (dry-run, created" in status.stderr


def test_campaign_ids_latest_report_with_no_live_send_says_so(logged: Engine) -> None:
    """Only a test send in the log: `report latest` says there is no live send yet (not "a test send")."""
    add(logged, ["2026-03-02-bees-test"], mode=Mode.TEST)
    result = mailer("report", "latest")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        'Error: The delivery log holds no live sends yet, so "latest" names none.\nLive sends are made by mailer send without --dry-run.\n'
    )


def test_campaign_ids_malformed_latest_says_what_is_accepted(logged: Engine) -> None:
    """latest~x is neither an id nor latest~N: exit 1 with the forms that work."""
    result = mailer("status", "latest~x")
    assert result.exit_code == 1
    assert 'Error: "latest~x" is not a campaign id.\nGive an id from `mailer campaigns`, latest (the newest campaign)' in result.stderr


def test_campaign_ids_quiet_does_not_name_the_resolved_campaign(logged: Engine) -> None:
    """With -q, only the output asked for: no "latest is ..." line."""
    add(logged, MADE)
    result = mailer("status", "latest", "-q")
    assert result.exit_code == 0 and result.stderr == ""


def table_rows(output: str) -> list[list[str]]:
    return [re.split(r" {2,}", line.strip()) for line in output.splitlines()]


def test_campaigns_table_is_aligned_newest_first(logged: Engine) -> None:
    """One heading line, one line per campaign, columns aligned; live figures for live sends, none for dry runs."""
    add(logged, MADE)
    add(logged, ["2026-03-03-dry"], mode=Mode.DRY_RUN, first=3)
    result = mailer("campaigns")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = table_rows(result.stdout)
    assert rows[0] == [
        "campaign",
        "mode",
        "status",
        "created (UTC)",
        "content",
        "recipients",
        "delivered",
        "opened by people",
        "bounced",
        "subject",
    ]
    assert [row[0] for row in rows[1:]] == ["2026-03-03-dry", *reversed(MADE)]
    assert rows[1] == ["2026-03-03-dry", "dry-run", "done", "2026-03-02 09:03", "03" * 6, "0/0 written", "Release 2026-03-03-dry"]
    assert rows[2] == [MADE[2], "live", "done", "2026-03-02 09:02", "02" * 6, "0/0 accepted", "0", "0", "0", f"Release {MADE[2]}"]
    assert len({line.index("Release") for line in lines[1:]}) == 1 == len({line.index("done") for line in lines[1:]})


def test_campaigns_limit_says_how_many_more(logged: Engine) -> None:
    """--limit N shows the newest N and says how many older ones exist; --limit 0 shows all."""
    add(logged, MADE)
    limited = mailer("campaigns", "--limit", "2")
    assert [row[0] for row in table_rows(limited.stdout)[1:-1]] == [MADE[2], MADE[1]]
    assert limited.stdout.endswith("1 older campaign not shown: --limit 3 (or 0) shows all.\n")
    everything = mailer("campaigns", "--limit", "0")
    assert [row[0] for row in table_rows(everything.stdout)[1:]] == list(reversed(MADE))
    assert "not shown" not in mailer("campaigns", "--limit", "3").stdout


def test_campaigns_default_limit_is_twenty(logged: Engine) -> None:
    """Without --limit the table holds the newest 20; --json lists every campaign unless --limit is given."""
    ids = [f"2026-03-02-release-{n:02d}" for n in range(23)]
    add(logged, ids)
    result = mailer("campaigns")
    rows = table_rows(result.stdout)
    assert [row[0] for row in rows[1:-1]] == list(reversed(ids))[:20]
    assert result.stdout.endswith("3 older campaigns not shown: --limit 23 (or 0) shows all.\n")
    assert len(json.loads(mailer("campaigns", "--json").stdout)) == 23
    assert [c["id"] for c in json.loads(mailer("campaigns", "--json", "--limit", "2").stdout)] == [ids[22], ids[21]]


@pytest.mark.parametrize(
    ("name", "slug"),
    [("März-Bienen.md", "marz-bienen"), ("Пресс-релиз.md", "press-reliz"), ("Straße Öl.md", "strasse-ol"), ("🐝.md", "release")],
)
def test_campaign_ids_spell_out_release_names_in_any_script(project: Path, name: str, slug: str) -> None:
    """A release named in German, Russian or with only an emoji gets a readable id a press officer can type
    (not "m-rz" for März), from its dry run's outbox folder to `mailer campaigns`."""
    (project / "releases" / name).write_text((project / "releases" / "example.md").read_text(encoding="utf-8"), encoding="utf-8")
    result = mailer("send", f"releases/{name}", "--list", "lists/press.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    campaign_id = f"{datetime.now(UTC).date().isoformat()}-{slug}"
    assert campaign_id in result.stdout
    assert (project / "out" / "outbox" / campaign_id).is_dir()
