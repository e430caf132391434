"""Fixtures every test shares: a clean environment, a real SQLite delivery log."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from mailer.store import connect

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's API key, config or proxies; each runs in its own folder."""
    for name in list(os.environ):
        if name == "SENDGRID_API_KEY" or name.startswith("MAILER_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # Without a mailer.toml the log lives in the user's data folder: keep it inside the test's folder.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite delivery log in a temp folder."""
    return f"sqlite:///{tmp_path / 'log.db'}"


@pytest.fixture
def store(db_url: str) -> Engine:
    """A real SQLite delivery log with every table created."""
    return connect(db_url)


@pytest.fixture(scope="session")
def standin_server() -> Iterator[Any]:
    """One local SendGrid stand-in on 127.0.0.1 for the session (starting one per test costs ~0.2 s)."""
    from sendgrid_standin import SendGridStandIn

    server = SendGridStandIn().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standin(standin_server: Any) -> Iterator[Any]:
    """The stand-in (see tests/sendgrid_standin.py), with no requests or scripts left from other tests."""
    standin_server.reset()
    yield standin_server
    standin_server.reset()


def without_log_line(text: str) -> str:
    """Command output without the "Log: ..." line every log command starts with (tests/test_config.py checks that line)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("Log: "))
