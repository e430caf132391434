"""The From address: one SendGrid can never verify is refused before anything is logged, and
SendGrid's own refusal of an unverified sender (403) says so, not "the API key"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from send_fixtures import config_for, transport_for
from test_cli_send import campaign_rows, mailer
from test_transport_sendgrid import request

from mailer.config import Config, reserved_for_examples
from mailer.errors import AuthError

SEND = ("send", "releases/example.md", "--list", "lists/press.csv", "--yes", "--no-test-ok")
SENDGRID_403 = {
    "errors": [
        {
            "field": "from",
            "message": "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.",
            "help": None,
        }
    ]
}


def _to_sendgrid(folder: Path, url: str = "https://api.sendgrid.com", sender: str = "") -> None:
    """Point the live fixture's mailer.toml at SendGrid itself (nothing reaches it: the send is refused first)."""
    path = folder / "mailer.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("[sendgrid]\napi_url = ", f'[sendgrid]\napi_url = "{url}"\n# was ', 1)
    if sender:
        text = text.replace("[sender]\n", f'[sender]\nfrom_email = "{sender}"\n', 1)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("url", ["https://api.sendgrid.com", "https://api.eu.sendgrid.com/"])
def test_live_send_from_the_built_in_example_sender_is_refused_before_logging(live: Path, url: str) -> None:
    """A press office that never set [sender] from_email: press@example.org would be refused by SendGrid
    for every request; mailer says so first, and which setting to change."""
    _to_sendgrid(live, url)
    result = mailer(*SEND)
    assert result.exit_code == 1, result.output
    assert "The email would come from press@example.org, an address at a domain kept for examples" in result.output
    assert "Nothing was logged or sent." in result.output
    assert f"Set from_email under [sender] in {live / 'mailer.toml'}" in result.output
    assert "Sender Authentication" in result.output
    assert campaign_rows() == []


def test_test_send_from_the_example_sender_is_refused_too(live: Path) -> None:
    """`mailer test` sends real email through SendGrid as well."""
    _to_sendgrid(live)
    result = mailer("test", "releases/example.md")
    assert result.exit_code == 1, result.output
    assert "press@example.org, an address at a domain kept for examples" in result.output
    assert campaign_rows() == []


def test_a_release_that_sets_an_example_sender_names_its_front_matter(live: Path) -> None:
    """The release's own from_email wins over mailer.toml's, so the message points at the release."""
    _to_sendgrid(live, sender="press@riverbend-bees.org")
    release = live / "releases" / "example.md"
    release.write_text(release.read_text(encoding="utf-8").replace("---\n", '---\nfrom: "news@sub.example.com"\n', 1), encoding="utf-8")
    result = mailer(*SEND)
    assert result.exit_code == 1, result.output
    assert "news@sub.example.com" in result.output
    assert "Set from: in the release's front matter" in result.output


def test_a_real_sender_and_a_dry_run_are_not_refused(live: Path) -> None:
    """A verified-looking office address passes this check (the send then needs SendGrid: a dry run shows it);
    a dry run from the example sender goes ahead (nothing is sent)."""
    _to_sendgrid(live)
    assert mailer(*SEND[:4], "--dry-run").exit_code == 0
    _to_sendgrid(live, sender="press@riverbend-bees.org")
    result = mailer(*SEND[:4], "--dry-run")
    assert result.exit_code == 0, result.output
    assert "domain kept for examples" not in result.output


def test_the_stand_in_is_not_sendgrid(live: Path, standin: Any) -> None:
    """Sends to another api_url (a test server, a gateway) are not judged: it may accept anything."""
    result = mailer(*SEND)
    assert result.exit_code == 0, result.output
    assert len(standin.mail_sends) > 0


def test_reserved_domains() -> None:
    assert reserved_for_examples("press@example.org")
    assert reserved_for_examples("a@news.EXAMPLE.com.")
    assert reserved_for_examples("a@host.example")
    assert not reserved_for_examples("a@example.org.uk")
    assert not reserved_for_examples("a@myexample.org")
    assert Config().sendgrid.is_sendgrid
    assert not config_for("http://127.0.0.1:9").sendgrid.is_sendgrid
    assert not config_for("https://sendgrid.com.evil.example").sendgrid.is_sendgrid


def test_sendgrid_refusing_an_unverified_sender_says_so(standin: Any) -> None:
    """403 for an unverified From (SENDGRID.md §1.4): the message says the From address, in SendGrid's words,
    and where to verify it; not "check the API key"."""
    standin.answer(403, body=SENDGRID_403)
    with pytest.raises(AuthError) as caught:
        transport_for(standin, config_for(standin.url)).send(request(1))
    assert caught.value.message.startswith(
        "SendGrid refused the From address: from: The from address does not match a verified Sender Identity."
    )
    assert "Settings > Sender Authentication" in caught.value.message
    assert "API key" not in caught.value.message


def test_a_refused_key_carries_sendgrids_words(standin: Any) -> None:
    """401 for a wrong key: the key message, with what SendGrid said."""
    with pytest.raises(AuthError) as caught:
        transport_for(standin, config_for(standin.url), key="SG.wrong.key").send(request(1))
    assert caught.value.message.startswith("SendGrid refused the API key: check SENDGRID_API_KEY")
    assert caught.value.message.endswith("(SendGrid said: The provided authorization grant is invalid, expired, or revoked)")
    assert "SG.wrong.key" not in caught.value.message


def test_a_live_send_stopped_by_an_unverified_sender_says_what_to_fix(live: Path, standin: Any) -> None:
    """Through the command line: the first request's 403 stops the send and the user reads why."""
    standin.answer(403, body=SENDGRID_403, times=100)
    result = mailer(*SEND)
    assert result.exit_code != 0
    assert "SendGrid refused the From address" in result.output
    assert "Sender Authentication" in result.output
    assert "mailer resume" in result.output
