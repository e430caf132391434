"""Descriptors: a command run in-process gives back every file and socket it opened when it ends.

A program that runs mailer's commands through ``main()`` (click's CliRunner, a script of its own)
kept each command's delivery log open (the SQLite file, its -wal and -shm, or the PostgreSQL
socket) until a garbage collection happened to find the engine: late in the suite an xdist worker
held more than 1,024 descriptors and ``select()`` refused them (fdleak28).
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from office_cli import SEND, campaign_of, mailer, office
from sqlalchemy import create_engine, text

from mailer.errors import StoreError
from mailer.store import connect


def descriptors() -> Counter[str]:
    """What this process holds open: each descriptor's target (a file's path, "socket:", "pipe:")."""
    held: Counter[str] = Counter()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the listing's own descriptor, gone already
            continue
        held[target.split("[")[0]] += 1
    return held


def test_commands_run_in_process_close_the_log_when_they_end(project: Path, standin: Any, db_url: str) -> None:
    """A dry-run send, a test send, status, report and contact, run twice each through main() with no
    garbage collection in between, leave the process holding the descriptors it held before."""
    office(project, standin, db_url)
    campaign = campaign_of(mailer(*SEND))  # first use: imports, caches, the stand-in's connection
    dry_run = ("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--include-previous")
    rounds = [("test", "releases/example.md"), ("status", campaign), ("report", campaign), ("contact", "ana@daily.example"), dry_run]
    for args in rounds:
        result = mailer(*args)
        assert result.exit_code == 0, result.output
    before = descriptors()
    gc.disable()
    try:
        for _ in range(2):
            for args in rounds:
                result = mailer(*args)
                assert result.exit_code == 0, result.output
        after = descriptors()
    finally:
        gc.enable()
    assert after == before


def test_a_log_refused_on_opening_is_closed_at_once(db_url: str) -> None:
    """A log store.connect refuses (here a newer press-mailer's) leaves nothing open: a script or
    webhook that tries again and again kept two descriptors (a PostgreSQL socket) per try."""
    connect(db_url).dispose()
    raw = create_engine(db_url)
    try:
        with raw.begin() as connection:
            connection.execute(text("UPDATE schema_info SET version = version + 5"))
    finally:
        raw.dispose()
    with pytest.raises(StoreError, match="upgraded by a newer press-mailer"):
        connect(db_url)
    before = descriptors()
    gc.disable()
    try:
        for _ in range(10):
            with pytest.raises(StoreError):
                connect(db_url)
        after = descriptors()
    finally:
        gc.enable()
    assert after == before
