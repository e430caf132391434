"""The SendGrid transport: the bodies it builds and how it reads SendGrid's answers."""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import pytest
from markupsafe import Markup
from send_fixtures import config_for, example_rendered, rendered, transport_for

from mailer.errors import (
    AuthError,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    TooLarge,
    TransportError,
    Unavailable,
)
from mailer.models import Attachment, Message
from mailer.transport.base import Request
from mailer.transport.sendgrid import AUTH_MESSAGE, HTTP_CLIENT_LOGGER, encoded


def request(count: int = 3, *, release: Any = None, **changes: Any) -> Request:
    messages = tuple(
        Message(f"k{i:031d}", f"j{i}@example.org", f"Jo, {i}; Doe", {"email": f"j{i}@example.org"}, {"-~c.outlet.h~-": f"Outlet {i}"})
        for i in range(count)
    )
    return Request("2026-02-19-bees", 1, release or rendered(), messages, **changes)


def test_transport_body_one_personalization_per_journalist(standin: Any) -> None:
    """Each journalist gets their own personalization, one `to`, their values and only the two custom args."""
    transport = transport_for(standin, config_for(standin.url))
    result = transport.send(request(3))
    assert result.status == 202 and result.message_id
    body = standin.mail_sends[0].body
    assert [p["to"] for p in body["personalizations"]] == [[{"email": f"j{i}@example.org", "name": f"Jo {i} Doe"}] for i in range(3)]
    assert [p["custom_args"] for p in body["personalizations"]] == [
        {"campaign": "2026-02-19-bees", "message": f"k{i:031d}"} for i in range(3)
    ]
    assert body["personalizations"][1]["substitutions"] == {"-~c.outlet.h~-": "Outlet 1"}
    assert body["categories"] == ["press-release"]
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["mail_settings"] == {"sandbox_mode": {"enable": False}}
    assert "custom_args" not in body and "send_at" not in body


def test_transport_body_text_reaches_sendgrid_as_written(standin: Any) -> None:
    """Journalists' names and values in any script reach SendGrid exactly as listed, in UTF-8 JSON
    with the Content-Type SendGrid expects."""
    names = ["Zoë Ångström", "李 小龍", "Ōe Kenzaburō 🐝"]
    messages = tuple(
        Message(f"k{i:031d}", f"j{i}@example.org", name, {"email": f"j{i}@example.org"}, {"-~c.outlet.h~-": f"{name} Zeitung"})
        for i, name in enumerate(names)
    )
    transport = transport_for(standin, config_for(standin.url))
    assert transport.send(Request("2026-02-19-bees", 1, rendered(), messages)).status == 202
    (first,) = standin.mail_sends
    assert first.headers["content-type"] == "application/json"
    assert [p["to"][0]["name"] for p in first.body["personalizations"]] == names[:3]
    assert [p["substitutions"]["-~c.outlet.h~-"] for p in first.body["personalizations"]] == [f"{n} Zeitung" for n in names[:3]]
    assert "Zoë Ångström".encode() in first.raw and int(first.headers["content-length"]) == len(first.raw)


def test_transport_body_a_text_utf8_cannot_carry_still_encodes() -> None:
    """A lone surrogate (no list decodes to one, but a value built elsewhere might) is written
    escaped, as the library writes it, instead of failing the request."""
    body = {"personalizations": [{"to": [{"email": "j@example.org", "name": "Odd \ud800 name"}]}]}
    assert json.loads(encoded(body)) == body
    assert encoded({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()
    html = Markup("<p>Bees</p>")  # what a template hands over, should it reach a body as it is
    assert json.loads(encoded({"content": [{"type": "text/html", "value": html}]})) == {
        "content": [{"type": "text/html", "value": "<p>Bees</p>"}]
    }


def test_transport_headers_never_carry_line_breaks(standin: Any) -> None:
    """A subject, from name or reply-to with CR/LF is flattened: no header injection."""
    release = rendered(subject="Bees\r\nBcc: all@example.com", from_name="Press\nOffice", reply_to="desk@example.org\r\nX: y")
    transport_for(standin, config_for(standin.url)).send(request(1, release=release))
    body = standin.mail_sends[0].body
    assert body["subject"] == "Bees Bcc: all@example.com"
    assert body["from"]["name"] == "Press Office"
    assert body["reply_to"] == {"email": "desk@example.org X: y"}
    assert standin.mail_sends[0].status == 202


def test_transport_unsubscribe_group_or_subscription_tracking(standin: Any) -> None:
    """With an asm_group_id the body carries asm; without, subscription tracking with the composer's tag."""
    transport_for(standin, config_for(standin.url)).send(request(1))
    transport_for(standin, config_for(standin.url, asm_group_id=42)).send(request(1))
    first, second = (r.body for r in standin.mail_sends)
    assert first["tracking_settings"]["subscription_tracking"] == {"enable": True, "substitution_tag": "-~unsubscribe_url~-"}
    assert "asm" not in first
    assert second["asm"] == {"group_id": 42}
    assert second["tracking_settings"]["subscription_tracking"] == {"enable": False}


def test_transport_sandbox_mode_answer_200_is_accepted(standin: Any) -> None:
    """In sandbox mode SendGrid answers 200; that is an accepted request."""
    result = transport_for(standin, config_for(standin.url, sandbox=True)).send(request(2))
    assert result.status == 200
    assert standin.mail_sends[0].body["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_transport_real_release_with_attachment_is_valid(standin: Any) -> None:
    """The example release, attachment included, passes the OpenAPI schema and the limits."""
    release = example_rendered()
    release = type(release)(
        **{
            **{f: getattr(release, f) for f in release.__dataclass_fields__},
            "attachments": (Attachment("facts.pdf", b"%PDF-1.4", "application/pdf"),),
        }
    )
    transport_for(standin, config_for(standin.url)).send(request(5, release=release))
    assert standin.mail_sends[0].status == 202
    assert standin.mail_sends[0].body["attachments"][0] == {
        "content": "JVBERi0xLjQ=",
        "filename": "facts.pdf",
        "type": "application/pdf",
        "disposition": "attachment",
    }


def test_transport_400_is_rejected_with_sendgrid_fields(standin: Any) -> None:
    """A 400 raises Rejected carrying SendGrid's message and field."""
    standin.answer(400, body={"errors": [{"message": "Invalid from email", "field": "from.email", "help": None}]})
    with pytest.raises(Rejected) as caught:
        transport_for(standin, config_for(standin.url)).send(request(1))
    assert caught.value.message == "from.email: Invalid from email"
    assert caught.value.errors == [{"message": "Invalid from email", "field": "from.email"}]


@pytest.mark.parametrize("status", [401, 403])
def test_transport_401_403_is_auth_error(standin: Any, status: int) -> None:
    """A refused key says what to check."""
    standin.answer(status)
    with pytest.raises(AuthError) as caught:
        transport_for(standin, config_for(standin.url)).send(request(1))
    assert caught.value.message == f"{AUTH_MESSAGE} (SendGrid said: scripted {status})"
    assert AUTH_MESSAGE == "SendGrid refused the API key: check SENDGRID_API_KEY and that the key has Mail Send permission"


def test_transport_wrong_key_is_auth_error(standin: Any) -> None:
    """The stand-in checks the Bearer key like SendGrid: a wrong one gives AuthError."""
    with pytest.raises(AuthError) as caught:
        transport_for(standin, config_for(standin.url), key="SG.wrong.key").send(request(1))
    assert caught.value.message.startswith(AUTH_MESSAGE) and caught.value.status == 401
    assert caught.value.hint == "Create a key under Settings > API Keys in SendGrid and set it again."


def test_transport_429_reads_rate_limit_reset(standin: Any) -> None:
    """429 -> RateLimited whose retry_after is X-RateLimit-Reset minus SendGrid's now (its answer's
    Date, whatever this computer's clock says: review 26s #1)."""
    reset = str(int(time.time()) + 30)
    standin.answer(429, headers={"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    with pytest.raises(RateLimited) as caught:
        transport_for(standin, config_for(standin.url), clock=lambda: 1_000_000.0).send(request(1))
    assert 25.0 <= caught.value.retry_after <= 35.0  # the Date is to the second, and uvicorn renews it once a second at most


def test_transport_429_without_reset_uses_retry_after(standin: Any) -> None:
    """Without X-RateLimit-Reset, Retry-After seconds are used."""
    standin.answer(429, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        transport_for(standin, config_for(standin.url)).send(request(1))
    assert caught.value.retry_after == 7.0


_GATEWAY = "it may have passed the request on, so SendGrid may have accepted it."


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (413, TooLarge, "SendGrid said the request is too large."),
        (500, Unavailable, "SendGrid answered 500: scripted 500"),
        (503, Unavailable, "SendGrid answered 503: scripted 503"),
        (502, OutcomeUnknown, f"SendGrid's gateway answered 502 (Bad Gateway): {_GATEWAY}"),
        (504, OutcomeUnknown, f"SendGrid's gateway answered 504 (Gateway Timeout): {_GATEWAY}"),
    ],
)
def test_transport_status_mapping(standin: Any, status: int, error: type[TransportError], message: str) -> None:
    """413 too large; 500/503 nothing accepted (retry); 502/504 from a gateway: outcome unknown."""
    standin.answer(status)
    with pytest.raises(error) as caught:
        transport_for(standin, config_for(standin.url)).send(request(1))
    assert type(caught.value) is error
    assert (caught.value.message, caught.value.status) == (message, status)
    if error is Unavailable:
        assert caught.value.hint == "Nothing was accepted for this request; it stays planned and `mailer resume` sends it later."


def test_transport_refused_connection_is_unavailable() -> None:
    """Nobody listening: the request never left, so it is safe to retry."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = config_for(f"http://127.0.0.1:{port}")
    with pytest.raises(Unavailable) as caught:
        transport_for(type("S", (), {"api_key": "SG.k.k"})(), config).send(request(1))
    assert caught.value.message.startswith(f"Could not reach SendGrid at http://127.0.0.1:{port}:")


def test_transport_timeout_is_outcome_unknown(standin: Any) -> None:
    """The request left and no answer came in time: unknown, never retried."""
    standin.slow(1.0, times=1)
    with pytest.raises(OutcomeUnknown) as caught:
        transport_for(standin, config_for(standin.url, timeout=0.2)).send(request(1))
    assert caught.value.message == "No answer from SendGrid after the request was sent (TimeoutError)."


def test_transport_dropped_connection_is_outcome_unknown(standin: Any) -> None:
    """The connection closed after the request was read: unknown."""
    standin.drop()
    with pytest.raises(OutcomeUnknown) as caught:
        transport_for(standin, config_for(standin.url)).send(request(1))
    assert caught.value.message in {  # which one depends on when the client notices the close
        "No answer from SendGrid after the request was sent (RemoteDisconnected).",
        "No answer from SendGrid after the request was sent (ConnectionResetError).",
    }
    assert caught.value.hint == "SendGrid may or may not have accepted these messages; they are marked unknown."
    assert len(standin.mail_sends) == 1


def test_transport_debug_logging_never_shows_the_key(standin: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The HTTP client's DEBUG log would print the Authorization header; it is kept quiet."""
    logging.getLogger(HTTP_CLIENT_LOGGER).setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        transport = transport_for(standin, config_for(standin.url))
        logging.getLogger(HTTP_CLIENT_LOGGER).setLevel(logging.DEBUG)  # even if someone turns it back on
        transport.send(request(2))
    assert standin.mail_sends[0].headers["authorization"] == f"Bearer {standin.api_key}"
    assert standin.api_key not in caplog.text
    assert "standin-key" not in repr(transport)


def test_transport_schedule_and_cancel(standin: Any) -> None:
    """A batch id from POST /v3/mail/batch goes into the body; cancel posts it to scheduled_sends."""
    transport = transport_for(standin, config_for(standin.url))
    batch_id = transport.create_batch_id()
    send_at = int(time.time()) + 3600
    transport.send(request(1, send_at=send_at, sendgrid_batch_id=batch_id))
    transport.cancel_scheduled(batch_id)
    body = standin.mail_sends[0].body
    assert (body["send_at"], body["batch_id"]) == (send_at, batch_id)
    assert standin.scheduled == {batch_id: "cancel"}


def test_standin_refuses_what_sendgrid_refuses(standin: Any) -> None:
    """The stand-in catches schema errors and the limits the schema does not encode."""
    good = {
        "personalizations": [{"to": [{"email": "a@x.org"}]}],
        "from": {"email": "p@x.org"},
        "subject": "s",
        "content": [{"type": "text/plain", "value": "x"}],
    }
    assert standin.problems(good) == []
    duplicate = {**good, "personalizations": [{"to": [{"email": "a@x.org"}]}, {"to": [{"email": "A@x.org"}]}]}
    too_many = {**good, "personalizations": [{"to": [{"email": f"a{i}@x.org"}]} for i in range(1001)]}
    big_subs = {**good, "personalizations": [{"to": [{"email": "a@x.org"}], "substitutions": {"k": "v" * 10_000}}]}
    bad_type = {**good, "personalizations": [{"to": [{"email": "a@x.org"}], "custom_args": {"n": 1}}]}
    html_first = {**good, "content": [{"type": "text/html", "value": "x"}, {"type": "text/plain", "value": "x"}]}
    later = {**good, "send_at": 4_000_000_000}
    assert "more than once" in standin.problems(duplicate)[0]["message"]
    assert any("1000" in e["message"] for e in standin.problems(too_many))
    assert standin.problems(big_subs)[0]["field"] == "personalizations.0.substitutions"
    assert standin.problems(bad_type)[0]["field"] == "personalizations.0.custom_args.n"
    assert standin.problems(html_first)[0]["field"] == "content"
    assert standin.problems(later)[0]["field"] == "send_at"
    assert standin.problems({**good, "custom_args": {"a": "b"}}) == []


def test_standin_serves_added_routes(standin: Any) -> None:
    """add_route lets other tests serve more SendGrid endpoints from the same stand-in."""
    import urllib.request

    from starlette.responses import JSONResponse

    async def bounces(_: Any) -> JSONResponse:
        return JSONResponse([{"email": "gone@example.org", "reason": "550 no such user", "created": 1}])

    standin.add_route("/v3/suppression/bounces", bounces, ["GET"])
    with urllib.request.urlopen(f"{standin.url}/v3/suppression/bounces") as answer:
        assert json.loads(answer.read()) == [{"email": "gone@example.org", "reason": "550 no such user", "created": 1}]
