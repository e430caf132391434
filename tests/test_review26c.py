"""Review 26c: clocks and signals. The delivery log's clock kept per log (a script that opens a
team's PostgreSQL log and an SQLite one), the webhook following its log's clock, and a command
stopped (Ctrl-C, `kill PID`) at any moment saying so in plain words. Real processes throughout:
clocks off under libfaketime, signals sent to a running `python -m mailer`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
needs_faketime = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed (apt-get install faketime)")
WORKTREE = str(Path(__file__).resolve().parents[1])


def postgresql_only(database: str) -> None:
    """An SQLite log has one clock, the computer's that holds the file: the disagreement is a team's."""
    if database != "postgresql":
        pytest.skip("a team's shared log: PostgreSQL")


def on_a_clock(offset: str) -> dict[str, str]:
    """The environment of a process whose computer's clock is ``offset`` off ("+2h"): libfaketime."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [WORKTREE, os.environ.get("PYTHONPATH")])),
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": offset,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


# -- 1. one clock difference per log, not per process -----------------------------------------


SCRIPT_TWO_LOGS = """
import sys
from datetime import UTC, datetime
from mailer import store
from mailer.models import SuppressionReason
from mailer.store import suppressions

team = store.connect(sys.argv[1])     # the team's PostgreSQL log: its server's clock is right
own = store.connect(sys.argv[2])      # this computer's own SQLite log: this computer's clock
for engine, address in ((team, "team@example.org"), (own, "own@example.org")):
    with engine.begin() as connection:
        suppressions.add(connection, [(address, SuppressionReason.MANUAL, None)], source="manual")
    with engine.connect() as connection:
        print(suppressions.find(connection, address).created_at.astimezone(UTC).isoformat())
print(datetime.now(UTC).isoformat())
"""


@needs_faketime
def test_a_script_with_a_team_log_and_its_own_log_keeps_each_logs_clock(tmp_path: Path, db_url: str, database: str) -> None:
    """A script on a computer two hours ahead opens the team's PostgreSQL log, whose server is right,
    then an SQLite log of its own (README "Using it from Python"). The difference measured on the
    team's log was applied to every clock of the process: what the script wrote in its own SQLite
    log was stamped two hours off that log's own clock (this computer's, the only one it has)."""
    postgresql_only(database)
    script = tmp_path / "two_logs.py"
    script.write_text(SCRIPT_TWO_LOGS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), db_url, f"sqlite:///{tmp_path / 'own.db'}"],
        env=on_a_clock("+2h"),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    team, own, here = map(stamp, done.stdout.split())
    assert abs(team - datetime.now(UTC)) < timedelta(minutes=1), (team, here)  # the team's log: its server's time
    assert abs(own - here) < timedelta(minutes=1), (own, here)  # the own log: this computer's clock
