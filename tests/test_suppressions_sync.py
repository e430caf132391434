"""`mailer suppressions sync` against the local SendGrid stand-in: paging, reasons, errors, no key in logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eventlog import suppressions
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse

from mailer.cli import main
from mailer.errors import AuthError, Unavailable
from mailer.events import suppression_sync
from mailer.models import SuppressionReason
from mailer.store import suppressions as suppression_store

KEY = "SG.standin-key.secret"
LISTS: dict[str, list[dict[str, Any]]] = {
    "bounces": [
        {"email": f"Bounced{i}@Example.org", "created": 1771495200 + i, "reason": "550 5.1.1 unknown", "status": "5.1.1"}
        for i in range(1203)
    ],
    "blocks": [{"email": "blocked@example.net", "created": 1771495200, "reason": "554 listed", "status": "4.0.0"}],
    "invalid_emails": [
        {"email": "nope@@example.com", "created": 1771495200, "reason": "Mail domain mentioned in email address is unknown"}
    ],
    "spam_reports": [{"email": "angry@example.com", "created": 1771495200, "ip": "10.63.202.100"}],
    "unsubscribes": [{"email": "gone@example.com", "created": 1771495200}, {"email": "bounced0@example.org", "created": 1771495201}],
}


def serve_lists(standin: Any, *, status: int = 200) -> list[tuple[str, str, str, str]]:
    """Add the five suppression routes; returns (list, limit, offset, authorization) per request."""
    seen: list[tuple[str, str, str, str]] = []

    def route(name: str) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            limit = int(request.query_params.get("limit", "500"))
            offset = int(request.query_params.get("offset", "0"))
            seen.append((name, str(limit), str(offset), request.headers.get("authorization", "")))
            if status != 200:
                return JSONResponse({"errors": [{"field": None, "message": "authorization required"}]}, status_code=status)
            return JSONResponse(LISTS[name][offset : offset + limit])

        return endpoint

    for name in LISTS:
        standin.add_route(f"/v3/suppression/{name}", route(name))
    return seen


def test_suppressions_sync_pages_through_every_list(standin: Any, store: Engine) -> None:
    """Every list is read page by page (limit 500) and each address lands with its reason."""
    seen = serve_lists(standin)
    result = suppression_sync.sync(store, api_key=SecretStr(KEY), api_url=standin.url, timeout=5)
    assert [(n, o) for n, _l, o, _a in seen if n == "bounces"] == [("bounces", "0"), ("bounces", "500"), ("bounces", "1000")]
    assert {a for *_, a in seen} == {f"Bearer {KEY}"}
    assert dict(result.found) == {"bounces": 1203, "blocks": 1, "invalid_emails": 1, "spam_reports": 1, "unsubscribes": 2}
    # Blocks are counted, never suppressed: a block refuses one email, not the mailbox (review 23b #1).
    assert dict(result.added) == {"bounces": 1203, "blocks": 0, "invalid_emails": 1, "spam_reports": 1, "unsubscribes": 1}
    stored = suppressions(store)
    assert stored["bounced7@example.org"] == ("bounce", "sync")
    assert "blocked@example.net" not in stored
    assert stored["nope@@example.com"] == ("invalid", "sync")
    assert stored["angry@example.com"] == ("spamreport", "sync")
    assert stored["gone@example.com"] == ("unsubscribe", "sync")
    with store.begin() as connection:
        assert suppression_store.find(connection, "bounced7@example.org").note == "SendGrid: 5.1.1 550 5.1.1 unknown"


def test_suppressions_sync_twice_adds_nothing_and_keeps_manual_entries(standin: Any, store: Engine) -> None:
    """A second sync adds nothing; an address suppressed by hand keeps its own reason."""
    serve_lists(standin)
    with store.begin() as connection:
        suppression_store.add(connection, [("gone@example.com", SuppressionReason.MANUAL, "phoned")], source="manual")
    suppression_sync.sync(store, api_key=SecretStr(KEY), api_url=standin.url, timeout=5)
    again = suppression_sync.sync(store, api_key=SecretStr(KEY), api_url=standin.url, timeout=5)
    assert sum(again.added.values()) == 0
    assert suppressions(store)["gone@example.com"] == ("manual", "manual")


def test_suppressions_sync_wrong_key_is_an_auth_error_without_the_key(
    standin: Any, store: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """401 says which permission is missing; the key never appears in the message or the logs."""
    serve_lists(standin, status=401)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        suppression_sync.sync(store, api_key=SecretStr(KEY), api_url=standin.url, timeout=5)
    assert caught.value.message == "SendGrid refused to show the bounces list (401)."
    assert "Suppressions permission" in (caught.value.hint or "")
    assert KEY not in str(caught.value) and KEY not in caplog.text


def test_suppressions_sync_debug_logging_never_shows_the_key(standin: Any, store: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Even with DEBUG logging on, python_http_client's header dump is held back."""
    serve_lists(standin)
    caplog.set_level(logging.DEBUG)
    suppression_sync.sync(store, api_key=SecretStr(KEY), api_url=standin.url, timeout=5)
    assert KEY not in caplog.text


def test_suppressions_sync_unreachable_sendgrid(store: Engine) -> None:
    """A refused connection says SendGrid cannot be reached and what to check."""
    with pytest.raises(Unavailable, match="Cannot reach SendGrid at http://127.0.0.1:9 to read the bounces list."):
        suppression_sync.sync(store, api_key=SecretStr(KEY), api_url="http://127.0.0.1:9", timeout=2)


def test_suppressions_sync_cli(standin: Any, monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    """The command reads the key from the environment and prints what each list added."""
    serve_lists(standin)
    Path("mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n[sendgrid]\napi_url = "{standin.url}"\n', encoding="utf-8")
    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    result = CliRunner().invoke(main, ["suppressions", "sync"])
    assert result.exit_code == 0, result.output
    assert "1206 addresses newly suppressed; 1206 suppressed in all." in result.output  # the block counted, not copied
    assert KEY not in result.output


def test_suppressions_sync_cli_without_key() -> None:
    """Without the API key in the environment the command says how to set it."""
    result = CliRunner().invoke(main, ["suppressions", "sync"])
    assert result.exit_code == 1
    assert "Error: No SendGrid API key: the environment variable SENDGRID_API_KEY is not set." in result.output
