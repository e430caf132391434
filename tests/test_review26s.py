"""Review 26s: the sender against SendGrid's documented rules (SENDGRID.md), through the local stand-in.

1. A computer whose clock runs ahead of SendGrid's read every 429's X-RateLimit-Reset as already
   past: it tried again at once, twenty times in a burst, and stopped the send ("SendGrid kept
   answering 429") while the rate limit it was told to wait for still held.
2. SendGrid's published error answers write a missing field as the text "null"
   (`{"message": "invalid request", "field": "null"}`, tsg_mail_v3.json): the press officer read
   "refused by SendGrid: null: invalid request".
3. A 429 storm (up to twenty waits of up to a minute each for one request) stood the send still
   without a word: a progress bar stopped for twenty minutes reads as a hung program.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from send_fixtures import config_for, rendered, transport_for

from mailer.errors import AuthError, RateLimited, Rejected
from mailer.models import Message
from mailer.transport.base import Request


def one_request() -> Request:
    message = Message("k" + "0" * 31, "ana@daily.example", "Ana Lima", {"email": "ana@daily.example"}, {})
    return Request("2026-12-02-bees", 1, rendered(), (message,))


@pytest.mark.parametrize("ahead", [120.0, 5.0])
def test_a_429_on_a_computer_whose_clock_is_ahead_still_waits_for_the_reset(standin: Any, ahead: float) -> None:
    """SendGrid says when its rate limit resets (X-RateLimit-Reset, unix seconds by its clock); the
    wait is read against SendGrid's own time (its answer's Date), so a computer 2 minutes (or
    5 seconds) fast waits as long as SendGrid asked, not zero."""
    standin.rate_limit(reset_in=3)
    transport = transport_for(standin, config_for(standin.url), clock=lambda: time.time() + ahead)
    with pytest.raises(RateLimited) as caught:
        transport.send(one_request())
    assert 2.0 <= caught.value.retry_after <= 8.0, caught.value.retry_after  # Date: to the second, renewed once a second


def test_a_429_whose_reset_is_already_past_is_not_tried_again_at_once(standin: Any) -> None:
    """An answer whose reset time is already past by SendGrid's own clock (or that a clock read
    wrong) is not a leave to try again that instant: the wait is a second at least."""
    past = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) - 30)}
    standin.answer(429, headers=past, body={"errors": [{"field": None, "message": "too many requests"}]})
    with pytest.raises(RateLimited) as caught:
        transport_for(standin, config_for(standin.url)).send(one_request())
    assert caught.value.retry_after >= 1.0


def test_sendgrids_null_field_written_as_text_is_not_shown_as_a_field(standin: Any) -> None:
    """tsg_mail_v3.json's error examples write `"field": "null"`: that is no field, and the press
    officer reads SendGrid's words alone, as for `"field": null`."""
    standin.answer(400, body={"errors": [{"message": "invalid request", "field": "null"}]})
    with pytest.raises(Rejected) as refused:
        transport_for(standin, config_for(standin.url)).send(one_request())
    assert refused.value.message == "invalid request"
    assert refused.value.errors == [{"message": "invalid request", "field": None}]
    standin.answer(401, body={"errors": [{"message": "authorization required", "field": "null"}]})
    with pytest.raises(AuthError) as denied:
        transport_for(standin, config_for(standin.url)).send(one_request())
    assert denied.value.message.endswith("(SendGrid said: authorization required)"), denied.value.message


def test_the_standin_refuses_what_sendgrid_refuses_and_the_sender_never_sends_it(standin: Any) -> None:
    """The stand-in answers as SENDGRID.md §1.1 says SendGrid does for what it did not check before:
    a reserved or repeated header, a header key with a space, an empty custom_args, an empty content
    value, a Unicode From address, reply_to with reply_to_list, a personalization's send_at past
    72 hours (400, naming the field), a request of 30 MB or more (413), bytes that are not UTF-8
    (415). The sender's own bodies (one-click headers included) pass: tests/test_oneclick.py,
    test_send.py and test_end_to_end.py run against it."""
    import httpx

    good = {
        "personalizations": [{"to": [{"email": "ana@daily.example"}], "custom_args": {"campaign": "c", "message": "m"}}],
        "from": {"email": "press@riverbend.example"},
        "subject": "Bees",
        "content": [{"type": "text/plain", "value": "Bees"}],
    }

    client = httpx.Client()  # one: each new client loads the certificate store again (half a second on a busy machine)

    def answer(body: Any = None, *, raw: bytes | None = None) -> tuple[int, list[str]]:
        content = raw if raw is not None else json.dumps(body).encode()
        response = client.post(f"{standin.url}/v3/mail/send", content=content, headers={"Authorization": f"Bearer {standin.api_key}"})
        fields = [e.get("field") for e in response.json()["errors"]] if response.status_code >= 400 else []
        return response.status_code, fields

    def changed(**parts: Any) -> dict[str, Any]:
        body = json.loads(json.dumps(good))
        personalization = parts.pop("personalization", {})
        body["personalizations"][0].update(personalization)
        body.update(parts)
        return body

    assert answer(good)[0] == 202
    one_click = {"List-Unsubscribe": "<https://press.example/unsubscribe/k.s>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert answer(changed(personalization={"headers": one_click}))[0] == 202
    assert answer(changed(personalization={"headers": {"Reply-To": "x@y.example"}})) == (400, ["personalizations.0.headers.Reply-To"])
    assert answer(changed(headers={"List Unsubscribe": "<https://x.example>"})) == (400, ["headers.List Unsubscribe"])
    assert answer(changed(headers={"X-A": "1", "x-a": "2"})) == (400, ["headers.x-a"])
    assert answer(changed(personalization={"custom_args": {}})) == (400, ["personalizations.0.custom_args"])
    assert answer(changed(content=[{"type": "text/plain", "value": ""}]))[1][-1] == "content"
    assert answer(changed(**{"from": {"email": "presse@société.example"}})) == (400, ["from.email"])
    both = changed(reply_to={"email": "a@b.example"}, reply_to_list=[{"email": "c@d.example"}])
    assert answer(both) == (400, ["reply_to_list"])
    late = changed(personalization={"send_at": int(time.time()) + 72 * 3600 + 60})
    assert answer(late) == (400, ["personalizations.0.send_at"])
    assert answer(raw=json.dumps(good).encode().replace(b"Bees", b"B\xe9es")) == (415, [None])
    huge = json.dumps(good).encode().replace(b'"value": "Bees"', b'"value": "' + b"x" * (30 * 1024 * 1024) + b'"')
    assert answer(raw=huge) == (413, [None])
    client.close()


def test_a_429_storm_says_why_the_send_waits(store: Any, standin: Any) -> None:
    """A request SendGrid asked to slow down waits (up to max_retry_wait, up to 20 times: twenty
    minutes of a 429 storm); the press officer is told why the send stands still, once a minute at
    most, instead of a progress bar stopped without a word (she pressed Ctrl-C, thinking it hung)."""
    from send_fixtures import FakeSleep, contact_list

    from mailer import send
    from mailer.models import Mode
    from mailer.send import plan

    built = plan.build(rendered(), contact_list(20), batch_size=10)
    campaign_id = send.record(store, built, mode=Mode.LIVE, slug="bees", lists=["press.csv"], filters={}, sender={}).campaign_id
    standin.rate_limit(times=4, reset_in=120)
    warnings: list[str] = []
    outcome = send.run(
        store,
        campaign_id,
        rendered=rendered(),
        transport=transport_for(standin, config_for(standin.url)),
        pacing=send.Pacing(concurrency=1, retries=3, max_retry_wait=30.0),
        sleep=FakeSleep(),
        jitter=lambda: 0.5,
        on_warning=warnings.append,
    )
    assert outcome.counts["accepted"] == 20 and set(standin.accepted_addresses().values()) == {1}
    said = (
        "SendGrid asked to slow down (429 Too Many Requests): request 1 (10 recipients) waits 34 seconds before it is "
        "tried again (nothing of it was sent; mailer tries up to 20 times, at most 30 seconds each: [sendgrid] max_retry_wait)."
    )
    assert warnings == [said]
