"""Review 26s: the sender against SendGrid's documented rules (SENDGRID.md), through the local stand-in.

1. A computer whose clock runs ahead of SendGrid's read every 429's X-RateLimit-Reset as already
   past: it tried again at once, twenty times in a burst, and stopped the send ("SendGrid kept
   answering 429") while the rate limit it was told to wait for still held.
2. SendGrid's published error answers write a missing field as the text "null"
   (`{"message": "invalid request", "field": "null"}`, tsg_mail_v3.json): the press officer read
   "refused by SendGrid: null: invalid request".
"""

from __future__ import annotations

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
    assert 2.0 <= caught.value.retry_after <= 5.0, caught.value.retry_after


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
