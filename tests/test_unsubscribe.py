"""Unsubscribe in every mode: proofs never carry a token, live requests carry the right link and headers."""

from __future__ import annotations

import json
import logging
import re
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import example
from pydantic import SecretStr
from send_fixtures import rendered
from sqlalchemy import select
from starlette.testclient import TestClient

from mailer import config, unsubscribe
from mailer.cli import main
from mailer.errors import ConfigError
from mailer.events import webhook
from mailer.models import Contact, ContactList
from mailer.send import plan
from mailer.store import connect
from mailer.store.schema import campaign, message, suppression

ROOT = Path(__file__).parent.parent
KEY = "SG.standin-key.secret"
SECRET = "unsubscribe-secret-for-tests-0123456789"
PUBLIC = "https://press.example.org"
SEND = ("send", "releases/example.md", "--list", "lists/press.csv")
UNRESOLVED = re.compile(r"-~|<%|%>")  # a substitution or SendGrid tag nobody replaced
MODES = {
    "group": "[sendgrid]\nasm_group_id = 42\n",
    "tracking": "",
    "one-click": f'[sendgrid.tracking]\nsubscription_tracking = false\n\n[webhook]\npublic_url = "{PUBLIC}"\n',
    "none": "[sendgrid.tracking]\nsubscription_tracking = false\n",
}


def office(tmp_path: Path, mode: str, api_url: str = "http://127.0.0.1:9") -> Path:
    """A press office's folder with mailer.toml set for one unsubscribe mode."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    settings = MODES[mode].replace("[sendgrid]\n", f'[sendgrid]\napi_url = "{api_url}"\nbatch_size = 10\n')
    if "[sendgrid]" not in settings:
        settings = f'[sendgrid]\napi_url = "{api_url}"\nbatch_size = 10\n\n' + settings
    head = '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n[lists]\nstaff = "lists/staff.csv"\n\n'
    (tmp_path / "mailer.toml").write_text(head + settings, encoding="utf-8")
    return tmp_path


def mailer(*args: str, secret: str | None = SECRET) -> Result:
    env = {"SENDGRID_API_KEY": KEY, **({"MAILER_UNSUBSCRIBE_SECRET": secret} if secret else {})}
    return CliRunner().invoke(main, list(args), env=env)


def parts(eml: EmailMessage) -> tuple[str, str]:
    html = eml.get_body(("html",))
    text = eml.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content()


def test_unsubscribe_token_verifies_only_as_signed() -> None:
    """A token gives back its message key under its own secret only; any change is refused."""
    secret, other = SecretStr("a" * 32), SecretStr("b" * 32)
    token = unsubscribe.sign(secret, "0123456789abcdef0123456789abcdef")
    assert unsubscribe.verify(secret, token) == "0123456789abcdef0123456789abcdef"
    assert unsubscribe.verify(other, token) is None
    assert unsubscribe.verify(secret, "1" + token[1:]) is None
    assert unsubscribe.verify(secret, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert unsubscribe.verify(secret, "not a token") is None
    assert unsubscribe.verify(secret, "") is None
    assert "@" not in token and SECRET not in token


def test_unsubscribe_mode_and_proof_link_per_configuration() -> None:
    """A group beats subscription tracking, which beats our own endpoint; proofs link to a preview."""
    base = config.Config()
    no_tracking = base.sendgrid.model_copy(update={"tracking": base.sendgrid.tracking.model_copy(update={"subscription_tracking": False})})
    public = base.webhook.model_copy(update={"public_url": PUBLIC})
    group = base.model_copy(update={"sendgrid": base.sendgrid.model_copy(update={"asm_group_id": 7})})
    assert unsubscribe.mode(group) is unsubscribe.Mode.GROUP
    assert unsubscribe.mode(base) is unsubscribe.Mode.TRACKING
    assert unsubscribe.mode(base.model_copy(update={"sendgrid": no_tracking})) is unsubscribe.Mode.NONE
    own = base.model_copy(update={"sendgrid": no_tracking, "webhook": public})
    assert unsubscribe.mode(own) is unsubscribe.Mode.ONE_CLICK
    assert unsubscribe.proof_url(base) == "unsubscribe-preview.html"
    assert unsubscribe.proof_url(own) == f"{PUBLIC}/unsubscribe/preview"
    chosen = base.model_copy(update={"compose": base.compose.model_copy(update={"unsubscribe_preview_url": "https://x.org/p"})})
    assert unsubscribe.proof_url(chosen) == "https://x.org/p"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("https://press.example.org/", True),
        ("https://press.example.org/mailer", True),
        ("http://127.0.0.1:8080", True),
        ("http://press.example.org", False),
        ("https://press.example.org/?a=1&b=2", False),
        ('https://press.example.org/"x', False),
        ("press.example.org", False),
    ],
)
def test_config_public_url_is_https_and_plain(tmp_path: Path, value: str, accepted: bool) -> None:
    """[webhook] public_url must be https (http only on this machine), with nothing to escape anywhere."""
    path = tmp_path / "mailer.toml"
    path.write_text(f"[webhook]\npublic_url = '{value}'\n", encoding="utf-8")
    if accepted:
        assert config.load(path).webhook.public_url == value.rstrip("/")
    else:
        with pytest.raises(ConfigError, match='key "webhook.public_url"'):
            config.load(path)


def test_config_unsubscribe_secret_comes_from_the_named_variable() -> None:
    """The secret is read from the environment like the API key; missing or short is a clear error."""
    loaded = config.Config()
    secret = loaded.unsubscribe_secret({"MAILER_UNSUBSCRIBE_SECRET": SECRET})
    assert secret.get_secret_value() == SECRET and SECRET not in repr(secret)
    with pytest.raises(ConfigError) as missing:
        loaded.unsubscribe_secret({})
    assert missing.value.message.startswith("No unsubscribe secret: the environment variable MAILER_UNSUBSCRIBE_SECRET is not set.")
    assert "secrets.token_urlsafe(32)" in (missing.value.hint or "")
    with pytest.raises(ConfigError, match="too short"):
        loaded.unsubscribe_secret({"MAILER_UNSUBSCRIBE_SECRET": "short"})


@pytest.mark.parametrize("mode", list(MODES))
def test_unsubscribe_preview_and_dry_run_carry_no_unresolved_token(tmp_path: Path, mode: str) -> None:
    """In every mode the preview and every dry-run .eml link to a marked preview page, never to a raw tag."""
    office(tmp_path, mode)
    proof = f"{PUBLIC}/unsubscribe/preview" if mode == "one-click" else "unsubscribe-preview.html"
    shown = mailer("preview", "releases/example.md", secret=None)
    assert shown.exit_code == 0, shown.output
    html = (tmp_path / "out/preview/example.html").read_text(encoding="utf-8")
    text = (tmp_path / "out/preview/example.txt").read_text(encoding="utf-8")
    assert not UNRESOLVED.search(html) and not UNRESOLVED.search(text)
    assert re.search(f'href="{re.escape(proof)}"[^>]*>Unsubscribe</a>', html)
    assert f"Unsubscribe: {proof}" in text
    page = tmp_path / "out/preview/unsubscribe-preview.html"
    if proof == "unsubscribe-preview.html":
        assert "This is where a journalist would unsubscribe. In the real email the link is personal" in page.read_text(encoding="utf-8")
    dry = mailer(*SEND, "--dry-run", secret=None)
    assert dry.exit_code == 0, dry.output
    emls = sorted((tmp_path / "out/outbox").rglob("*.eml"))
    assert len(emls) == 41
    for path in emls:
        html, text = parts(message_from_bytes(path.read_bytes(), policy=policy.default))  # type: ignore[arg-type]
        assert not UNRESOLVED.search(html) and not UNRESOLVED.search(text), path.name
        assert f'href="{proof}"' in html and proof in text
    if proof == "unsubscribe-preview.html":
        assert (emls[0].parent / "unsubscribe-preview.html").is_file()
    bodies = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((tmp_path / "out/outbox").rglob("request-*.json"))]
    personalizations = [p for body in bodies for p in body["personalizations"]]
    if mode == "one-click":  # the headers the journalist will see, with the proof link: an outbox unsubscribes nobody
        assert all(
            p["headers"] == {"List-Unsubscribe": f"<{proof}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            for p in personalizations
        )
        assert all(p["substitutions"]["-~unsubscribe_url~-"] == proof for p in personalizations)
    else:
        assert not any("headers" in p for p in personalizations)
    if mode == "none":
        assert "No working unsubscribe link, so a live or test send would be refused" in dry.output


@pytest.mark.parametrize("mode", ["group", "tracking", "one-click"])
def test_unsubscribe_live_request_per_mode(tmp_path: Path, standin: Any, mode: str) -> None:
    """Live: SendGrid's tag and no headers of ours with a group or tracking; our signed link and
    RFC 8058 headers per journalist otherwise. The stand-in checks every body against SendGrid's schema."""
    office(tmp_path, mode, standin.url)
    result = mailer(*SEND, "--yes", "--no-test-ok")
    assert result.exit_code == 0, result.output
    bodies = [r.body for r in standin.mail_sends]
    assert bodies and all(r.status == 202 for r in standin.mail_sends)
    html = bodies[0]["content"][1]["value"]
    tracking = bodies[0]["tracking_settings"]["subscription_tracking"]
    personalizations = [p for body in bodies for p in body["personalizations"]]
    if mode == "group":
        assert 'href="<%asm_group_unsubscribe_raw_url%>"' in html and bodies[0]["asm"] == {"group_id": 42}
        assert tracking == {"enable": False}
    if mode == "tracking":
        assert 'href="-~unsubscribe_url~-"' in html
        assert tracking == {"enable": True, "substitution_tag": "-~unsubscribe_url~-"}
    if mode != "one-click":
        assert not any("headers" in p for p in personalizations)
        assert not any("-~unsubscribe_url~-" in p.get("substitutions", {}) for p in personalizations)
        return
    assert 'href="-~unsubscribe_url~-"' in html and tracking == {"enable": False} and "asm" not in bodies[0]
    assert re.search(r'<a [^>]*href="-~unsubscribe_url~-"[^>]*clicktracking="off"', html)  # straight to us, not via a redirect
    engine = connect(config.from_environment().database.url)
    with engine.connect() as connection:
        keys = dict(connection.execute(select(message.c.message_key, message.c.email).where(message.c.state == "accepted")).all())
    for p in personalizations:
        url = p["substitutions"]["-~unsubscribe_url~-"]
        assert p["headers"] == {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        assert url.startswith(f"{PUBLIC}/unsubscribe/")
        key = unsubscribe.verify(SecretStr(SECRET), url.rsplit("/", 1)[1])
        assert key == p["custom_args"]["message"] and keys[key] == p["to"][0]["email"]
        assert p["to"][0]["email"] not in url


@pytest.mark.own_cache  # the secret is looked for in every file of the test's folder, the cache's too
def test_unsubscribe_one_click_end_to_end_and_the_secret_stays_secret(
    tmp_path: Path, standin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A live one-click send, then a mail client's POST to one journalist's link: that journalist only
    is suppressed; the secret is in no file, log line or output along the way."""
    caplog.set_level(logging.DEBUG)
    office(tmp_path, "one-click", standin.url)
    outputs = [mailer(*SEND, "--dry-run"), mailer(*SEND, "--yes", "--no-test-ok"), mailer("test", "releases/example.md")]
    assert [r.exit_code for r in outputs] == [0, 0, 0], [r.output for r in outputs]
    personalization = standin.mail_sends[0].body["personalizations"][3]
    target = personalization["headers"]["List-Unsubscribe"].strip("<>")
    loaded = config.from_environment()
    engine = connect(loaded.database.url)
    app = webhook.create_app(
        config=loaded, engine=engine, unsubscribe_secret=loaded.unsubscribe_secret({"MAILER_UNSUBSCRIBE_SECRET": SECRET})
    )
    response = TestClient(app).post(target.removeprefix(PUBLIC), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with engine.connect() as connection:
        suppressed = connection.execute(select(suppression.c.email_key, suppression.c.reason, suppression.c.source)).all()
    assert suppressed == [(personalization["to"][0]["email"].lower(), "unsubscribe", "one-click")]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert all(SECRET not in r.output for r in outputs)
    assert SECRET not in caplog.text


@pytest.mark.parametrize("command", [SEND + ("--yes", "--no-test-ok"), ("test", "releases/example.md")])
def test_unsubscribe_none_refuses_a_send_before_logging_it(tmp_path: Path, standin: Any, command: tuple[str, ...]) -> None:
    """With no SendGrid unsubscribe and no public_url, a live or test send stops before anything is logged, saying the three fixes."""
    office(tmp_path, "none", standin.url)
    result = mailer(*command)
    assert result.exit_code == 1
    assert "Error: Journalists would get no working unsubscribe link: there is no SendGrid unsubscribe group" in result.output
    assert "Gmail and Yahoo require a one-click unsubscribe from bulk senders." in result.output
    for fix in ("set asm_group_id under [sendgrid]", "subscription_tracking = true", 'public_url = "https://..." under [webhook]'):
        assert fix in " ".join(result.output.split())
    assert standin.mail_sends == []
    with connect(config.from_environment().database.url).connect() as connection:
        assert connection.execute(select(campaign.c.id)).all() == []


def test_unsubscribe_one_click_without_secret_is_refused_before_logging(tmp_path: Path, standin: Any) -> None:
    """One-click mode without the secret in the environment: a clear error, nothing logged or sent."""
    office(tmp_path, "one-click", standin.url)
    result = mailer(*SEND, "--yes", "--no-test-ok", secret=None)
    assert result.exit_code == 1
    assert "Error: No unsubscribe secret: the environment variable MAILER_UNSUBSCRIBE_SECRET is not set." in result.output
    assert standin.mail_sends == []
    with connect(config.from_environment().database.url).connect() as connection:
        assert connection.execute(select(campaign.c.id)).all() == []


def test_unsubscribe_link_counts_in_the_plan_budget() -> None:
    """In one-click mode each journalist's link counts against SendGrid's 10,000 substitution bytes per personalization."""
    base = config.Config()
    no_tracking = base.sendgrid.model_copy(update={"tracking": base.sendgrid.tracking.model_copy(update={"subscription_tracking": False})})
    own = base.model_copy(update={"sendgrid": no_tracking, "webhook": base.webhook.model_copy(update={"public_url": PUBLIC})})
    substitution, request = unsubscribe.reserved_bytes(own)
    assert unsubscribe.reserved_bytes(base) == (0, 0)
    link = unsubscribe.OneClick(PUBLIC, SecretStr(SECRET)).url("f" * 40)
    assert substitution >= len("-~unsubscribe_url~-") + len(link)
    assert request > substitution + len(link)
    fields = {"outlet": "x" * (plan.MAX_SUBSTITUTION_BYTES - 100)}
    people = ContactList((Contact("a@x.org", {"email": "a@x.org", **fields}, "press.csv", 2),), (), ())
    fills = lambda _rendered, values: {"-~c.outlet.t~-": values["outlet"]}
    assert plan.build(rendered(), people, substitutions=fills).recipients
    skipped = plan.build(rendered(), people, substitutions=fills, reserve=(substitution, request))
    assert not skipped.recipients and "SendGrid allows 10,000 per recipient" in (skipped.messages[0].detail or "")


def test_cli_webhook_with_public_url_needs_the_secret(tmp_path: Path) -> None:
    """`mailer webhook` in one-click mode will not start without the secret that checks the links."""
    office(tmp_path, "one-click")
    result = mailer("webhook", secret=None)
    assert result.exit_code == 1
    assert "Error: No unsubscribe secret: the environment variable MAILER_UNSUBSCRIBE_SECRET is not set." in result.output
