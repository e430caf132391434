"""send.record / send.run against the stand-in: the delivery log's promises, request by request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from send_fixtures import (
    FakeSleep,
    config_for,
    contact_list,
    rejected,
    rendered,
    states,
    transport_for,
)
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError

from mailer import send
from mailer.errors import AuthError, SendError
from mailer.models import CampaignStatus, MessageState, Mode, RejectReason
from mailer.send import plan
from mailer.store import campaigns, messages
from mailer.store.schema import LEASE_HOLDER_MARK, campaign, message

RELEASE = rendered()


def started(store: Engine, count: int, *, batch_size: int = 10, **kwargs: Any) -> tuple[str, plan.Plan]:
    built = plan.build(RELEASE, contact_list(count, **kwargs), batch_size=batch_size)
    campaign_id = send.record(
        store, built, mode=Mode.LIVE, slug="bees", lists=["press.csv"], filters={}, sender={"from_email": "p@x.org"}
    ).campaign_id
    return campaign_id, built


def run(store: Engine, standin: Any, campaign_id: str, *, concurrency: int = 1, sleep: Any = None, **kwargs: Any) -> send.Outcome:
    config = config_for(standin.url, timeout=kwargs.pop("timeout", 5.0))
    return send.run(
        store,
        campaign_id,
        rendered=RELEASE,
        transport=transport_for(standin, config),
        pacing=send.Pacing(concurrency=concurrency, retries=kwargs.pop("retries", 3), max_retry_wait=kwargs.pop("max_retry_wait", 60.0)),
        sleep=sleep or FakeSleep(),
        jitter=lambda: 0.5,
        **kwargs,
    )


def message_rows(store: Engine, campaign_id: str) -> list[dict[str, Any]]:
    with store.connect() as connection:
        return [
            dict(r)
            for r in connection.execute(select(message).where(message.c.campaign_id == campaign_id).order_by(message.c.id)).mappings()
        ]


def test_send_start_writes_every_row_before_any_request(store: Engine, standin: Any) -> None:
    """Promise 1: the campaign and one row per list row exist before the first request."""
    rows = (rejected("bad@@x", RejectReason.INVALID, "not an email address"), rejected("gone@x.org", RejectReason.SUPPRESSED, "bounce"))
    campaign_id, _ = started(store, 25, rejected=rows)
    assert standin.requests == []
    logged = message_rows(store, campaign_id)
    assert len(logged) == 27
    assert sorted({(r["state"], r["request_no"]) for r in logged if r["state"] == "planned"}) == [
        ("planned", 1),
        ("planned", 2),
        ("planned", 3),
    ]
    assert [(r["email"], r["state"], r["skip_reason"], r["error"]) for r in logged[-2:]] == [
        ("bad@@x", "skipped", "invalid", "not an email address"),
        ("gone@x.org", "skipped", "suppressed", "bounce"),
    ]
    assert campaign_id.endswith("-bees")
    with store.begin() as connection:
        assert campaigns.get(connection, campaign_id).status is CampaignStatus.PLANNED


def test_send_campaign_ids_are_readable_and_suffixed(store: Engine) -> None:
    """Ids are <date>-<slug>, then -2, -3 for the same release on the same day."""
    ids = [started(store, 1)[0] for _ in range(3)]
    assert ids[1] == ids[0] + "-2" and ids[2] == ids[0] + "-3"


def test_send_run_accepts_each_recipient_once(store: Engine, standin: Any) -> None:
    """Every recipient is accepted once, with the request's X-Message-Id; the campaign is done."""
    campaign_id, built = started(store, 35)
    outcome = run(store, standin, campaign_id, concurrency=4)
    assert outcome.counts["accepted"] == 35 and not outcome.needs_attention
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}
    assert len(standin.mail_sends) == 4
    ids = {r["sg_message_id"] for r in message_rows(store, campaign_id)}
    assert len(ids) == 4 and "" not in ids and None not in ids
    with store.begin() as connection:
        assert campaigns.get(connection, campaign_id).status is CampaignStatus.DONE
    keys = {p["custom_args"]["message"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert keys == {m.message_key for m in built.recipients}


def test_send_unique_address_per_campaign_in_the_log(store: Engine) -> None:
    """Promise 2 in the schema: a second live row for an address in the same campaign is refused."""
    campaign_id, _ = started(store, 1)
    row = message_rows(store, campaign_id)[0]
    with pytest.raises(IntegrityError), store.begin() as connection:
        connection.execute(message.insert().values({**row, "id": None, "message_key": "other", "email": row["email"].upper()}))


def test_send_400_fails_only_that_batch(store: Engine, standin: Any) -> None:
    """A 400 about the request as a whole marks its request failed with SendGrid's words; others go on."""
    campaign_id, _ = started(store, 30)
    standin.answer(
        400,
        match=lambda r: r.body["personalizations"][0]["to"][0]["email"] == "j00010@example.org",
        body={"errors": [{"message": "The from address does not match a verified Sender Identity.", "field": "from", "help": None}]},
    )
    warnings: list[str] = []
    outcome = run(store, standin, campaign_id, on_warning=warnings.append)
    assert outcome.counts["failed"] == 10 and outcome.counts["accepted"] == 20
    words = "from: The from address does not match a verified Sender Identity."
    assert outcome.errors == [("failed", words, 10)]
    assert warnings == [f"Request 2 (10 recipients) refused by SendGrid: {words}"]
    assert outcome.needs_attention


def test_send_400_naming_one_recipient_fails_her_alone(store: Engine, standin: Any) -> None:
    """A 400 naming one personalization (an address SendGrid refuses) sent nobody of the request:
    she fails with SendGrid's words and the address; the other nine go again at once, once each."""
    campaign_id, _ = started(store, 30)
    standin.answer(
        400,
        match=lambda r: r.body["personalizations"][0]["to"][0]["email"] == "j00010@example.org",
        body={"errors": [{"message": "Invalid email", "field": "personalizations.2.to", "help": None}]},
    )
    warnings: list[str] = []
    outcome = run(store, standin, campaign_id, on_warning=warnings.append)
    assert outcome.counts["failed"] == 1 and outcome.counts["accepted"] == 29
    assert outcome.errors == [("failed", "personalizations.2.to: Invalid email (j00012@example.org)", 1)]
    words = (
        "Request 2 (10 recipients) refused by SendGrid because of 1 recipient: personalizations.2.to: Invalid email "
        "(j00012@example.org). The other 9 recipients go again as request 4."
    )
    assert warnings == [words]
    accepted = standin.accepted_addresses()
    assert "j00012@example.org" not in accepted and set(accepted.values()) == {1} and len(accepted) == 29
    assert outcome.needs_attention


def test_send_429_storm_waits_as_told_and_retries(store: Engine, standin: Any) -> None:
    """429 answers are waited out (reset time, capped, jittered) and the request is retried until accepted."""
    campaign_id, built = started(store, 10)
    standin.rate_limit(times=5, reset_in=120)
    sleep = FakeSleep()
    outcome = run(store, standin, campaign_id, sleep=sleep, max_retry_wait=30.0)
    assert outcome.counts["accepted"] == 10
    assert len(sleep.waits) == 5
    assert all(30.0 <= w <= 30.0 * 1.25 for w in sleep.waits)
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_send_server_errors_then_success_backs_off(store: Engine, standin: Any) -> None:
    """500s are retried with growing waits, then the request is accepted once."""
    campaign_id, built = started(store, 10)
    standin.answer(500, times=3)
    sleep = FakeSleep()
    outcome = run(store, standin, campaign_id, sleep=sleep, retries=4)
    assert outcome.counts["accepted"] == 10
    assert sleep.waits == [0.75, 1.5, 3.0]
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_send_unreachable_stops_leaving_batches_planned(store: Engine, standin: Any) -> None:
    """5xx after every retry: the request goes back to planned, the send stops with a resume hint."""
    campaign_id, built = started(store, 30)
    standin.answer(503, times=4)
    with pytest.raises(SendError) as caught:
        run(store, standin, campaign_id, retries=3)
    assert caught.value.hint == f"Unsent recipients stay planned. Try later with: mailer resume {campaign_id}"
    assert set(states(store, campaign_id).values()) == {"planned"}
    with store.begin() as connection:
        assert campaigns.get(connection, campaign_id).status is CampaignStatus.PAUSED
    outcome = run(store, standin, campaign_id)
    assert outcome.counts["accepted"] == 30
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_send_timeout_marks_unknown_and_never_resends_it(store: Engine, standin: Any) -> None:
    """A request without an answer in time: its recipients are unknown and are not resent by a plain resume."""
    campaign_id, _ = started(store, 20)
    standin.slow(1.0, times=1)
    outcome = run(store, standin, campaign_id, timeout=0.3)
    assert (outcome.counts["unknown"], outcome.counts["accepted"]) == (10, 10)
    assert outcome.errors == [("unknown", "No answer from SendGrid after the request was sent (TimeoutError).", 10)]
    again = run(store, standin, campaign_id)
    assert again.counts["unknown"] == 10
    assert len(standin.mail_sends) == 2
    resent = run(store, standin, campaign_id, resend_unknown=True)
    assert resent.counts["accepted"] == 20 and not resent.needs_attention
    assert len(standin.mail_sends) == 3


def test_send_dropped_connection_marks_unknown(store: Engine, standin: Any) -> None:
    """The connection closes after the request was read: unknown, not retried."""
    campaign_id, _ = started(store, 10)
    standin.drop()
    outcome = run(store, standin, campaign_id)
    assert outcome.counts["unknown"] == 10
    assert len(standin.mail_sends) == 1


def test_send_auth_error_stops_at_once(store: Engine, standin: Any) -> None:
    """401: nothing more is sent, the request stays planned, and the message says what to check."""
    campaign_id, _ = started(store, 30)
    standin.answer(401)
    with pytest.raises(AuthError) as caught:
        run(store, standin, campaign_id)
    assert caught.value.message == (
        "SendGrid refused the API key: check SENDGRID_API_KEY and that the key has Mail Send permission (SendGrid said: scripted 401)"
    )
    assert caught.value.hint == f"Nothing more was sent. When it is fixed, run: mailer resume {campaign_id}"
    assert len(standin.mail_sends) == 1
    assert set(states(store, campaign_id).values()) == {"planned"}


def test_send_413_splits_the_batch(store: Engine, standin: Any) -> None:
    """Too large: the request is sent again as two halves under their own numbers."""
    campaign_id, built = started(store, 10)
    standin.answer(413)
    outcome = run(store, standin, campaign_id)
    assert outcome.counts["accepted"] == 10
    assert [len(r.body["personalizations"]) for r in standin.mail_sends] == [10, 5, 5]
    assert sorted({r["request_no"] for r in message_rows(store, campaign_id)}) == [1, 2]
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_send_ctrl_c_stops_after_requests_in_flight(store: Engine, standin: Any) -> None:
    """Ctrl-C (here after request 1's answer, while request 2 is in flight): request 2 is answered and
    logged, nothing new starts, nothing is left `sending`."""
    campaign_id, _ = started(store, 40)

    def interrupt(_: int) -> None:
        raise KeyboardInterrupt

    outcome = run(store, standin, campaign_id, on_request=interrupt)
    assert outcome.interrupted
    assert (outcome.counts["accepted"], outcome.counts["planned"], outcome.counts["sending"]) == (20, 20, 0)
    assert len(standin.mail_sends) == 2
    with store.begin() as connection:
        assert campaigns.get(connection, campaign_id).status is CampaignStatus.PAUSED


@pytest.mark.parametrize(
    ("transaction", "listed", "counts", "sent"),
    [
        ("listing request 2 in flight", "[1, 2]", (10, 30), 1),
        ("logging request 1's answer", "[2]", (20, 20), 2),
    ],
)
def test_send_ctrl_c_inside_a_transaction_of_a_round_loses_nothing(
    store: Engine, standin: Any, transaction: str, listed: str, counts: tuple[int, int], sent: int
) -> None:
    """Ctrl-C inside the transaction that lists request 2 in flight (request 1 still listed: its
    answer is not logged yet) rolls it back and request 2 never leaves; inside the one that logs
    request 1's answer after request 2 left, the answer is logged again next round and request 2's
    too. Either way nothing is left `sending` or unknown, and a resume sends the rest to each
    journalist once."""
    campaign_id, built = started(store, 40)
    interrupted: list[str] = []

    def ctrl_c_at(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        values = tuple(params.values() if isinstance(params, dict) else params)
        if not interrupted and sql.startswith("UPDATE campaign") and "in_flight" in sql and listed in repr(values):
            interrupted.append(sql)
            raise KeyboardInterrupt

    event.listen(store, "before_cursor_execute", ctrl_c_at)
    outcome = run(store, standin, campaign_id)
    event.remove(store, "before_cursor_execute", ctrl_c_at)
    assert interrupted and outcome.interrupted, transaction
    assert (outcome.counts["accepted"], outcome.counts["planned"], outcome.counts["sending"], outcome.counts["unknown"]) == (*counts, 0, 0)
    assert len(standin.mail_sends) == sent
    assert run(store, standin, campaign_id).counts["accepted"] == 40
    assert standin.accepted_addresses() == {m.email: 1 for m in built.recipients}


def test_send_resume_turns_sending_rows_into_unknown(store: Engine, standin: Any) -> None:
    """Rows a crash of a press-mailer from before schema version 9 left `sending` are never resent:
    a resume marks them unknown first."""
    campaign_id, _ = started(store, 20)
    with store.begin() as connection:
        connection.execute(message.update().where(message.c.request_no == 1).values(state="sending"))
    outcome = run(store, standin, campaign_id)
    assert outcome.recovered_unknown == 10
    assert (outcome.counts["unknown"], outcome.counts["accepted"]) == (10, 10)
    assert "j00000@example.org" not in standin.seen_addresses()


def test_send_resume_marks_requests_left_in_flight_unknown_unless_events_settled_them(store: Engine, standin: Any) -> None:
    """A run that crashed with request 1 in flight left it listed on the campaign row and its rows
    planned. SendGrid's event for one of them, arriving before the resume, settles it as accepted;
    the resume marks the other nine unknown (never resent), sends request 2 and empties the list."""
    from mailer import events

    campaign_id, built = started(store, 20)
    with store.begin() as connection:
        connection.execute(campaign.update().where(campaign.c.id == campaign_id).values(in_flight=[1]))
        key, email = connection.execute(
            select(message.c.message_key, message.c.email).where(message.c.request_no == 1).order_by(message.c.id).limit(1)
        ).one()
    processed = {
        "email": email,
        "event": "processed",
        "timestamp": 1771495200,
        "sg_event_id": "ev-1",
        "campaign": campaign_id,
        "message": key,
    }
    events.apply(store, [events.from_object(processed, where="x")], source="webhook", block_threshold=3)
    assert states(store, campaign_id)[email] == "accepted"

    outcome = run(store, standin, campaign_id)
    assert outcome.recovered_unknown == 9
    assert (outcome.counts["accepted"], outcome.counts["unknown"], outcome.counts["planned"]) == (11, 9, 0)
    assert set(standin.seen_addresses()) == {m.email for m in built.recipients[10:]}
    with store.connect() as connection:
        assert campaigns.in_flight(connection, campaign_id) == []


def test_status_while_another_process_sends_says_to_let_it_finish(store: Engine) -> None:
    """A colleague checking a send that runs in another terminal is not told to resume it (resume
    would be refused: the campaign is leased); once the lease has expired (a crash), they are."""
    from mailer.send import lease as lease_module
    from mailer.send import status as status_module
    from mailer.send.dispatch import utcnow

    campaign_id, _ = started(store, 1200)
    now = utcnow()
    with store.begin() as connection:
        lease_module.acquire(connection, campaign_id, now=now)
    steps = status_module.status(store, campaign_id, now=now + timedelta(seconds=3)).next_steps
    assert steps[0].startswith("1,200 recipients are being sent right now by another process (pid ")
    assert "last heard from 3 s ago): let it finish." in steps[0]
    assert not [step for step in steps if "mailer resume" in step]
    later = status_module.status(store, campaign_id, now=now + lease_module.TTL + timedelta(seconds=1)).next_steps
    assert later[0] == f"1,200 recipients have not been sent yet. Continue with: mailer resume {campaign_id}"


def test_cancel_calls_off_a_send_that_reached_nobody_and_the_rest_of_one_that_reached_some(store: Engine) -> None:
    """A campaign stopped before its first request is cancelled (its journalists stop counting for
    promise 8); of one SendGrid accepted anyone of, only the rest is called off: it stays done, its
    accepted journalists still counted (promise 8), the others skipped as "called off" (nc11b)."""
    from mailer.config import Config
    from mailer.send import campaign as campaign_module
    from mailer.send.dispatch import utcnow

    unsent, _ = started(store, 30)
    cancelled = campaign_module.cancel(store, Config(), unsent, environ={})
    assert (cancelled.scheduled_at, cancelled.unsent) == (None, 30)
    with store.connect() as connection:
        assert campaigns.get(connection, unsent).status is CampaignStatus.CANCELLED  # type: ignore[union-attr]
    assert campaign_module.cancel(store, Config(), unsent, environ={}).already
    partly, _ = started(store, 30, domain="example.net")
    with store.begin() as connection:
        messages.mark_request(connection, partly, 1, old=MessageState.PLANNED, new=MessageState.ACCEPTED, now=utcnow(), sg_message_id="x")
    rest = campaign_module.cancel(store, Config(), partly, environ={})
    assert (rest.unsent, rest.reached) == (20, 10)
    with store.connect() as connection:
        assert campaigns.get(connection, partly).status is CampaignStatus.DONE  # type: ignore[union-attr]
        counts = messages.counts(connection, partly)
    assert (counts["accepted"], counts["planned"], counts["skipped"]) == (10, 0, 20)
    with pytest.raises(SendError, match="nobody left to send to"):
        campaign_module.cancel(store, Config(), partly, environ={})


def test_send_key_never_reaches_the_log(store: Engine, standin: Any, log_text: Any) -> None:
    """Promise 5: the API key is in no row of any table."""
    campaign_id, _ = started(store, 5)
    standin.answer(400)
    run(store, standin, campaign_id)
    with store.connect() as connection:
        dump = repr([list(connection.execute(select(t))) for t in (campaign, message)])
    assert standin.api_key not in dump
    stored = log_text()  # SQLite: the file and its WAL; PostgreSQL: every row of every table
    assert "j00000@example.org" in stored and standin.api_key not in stored


def test_send_advice_says_what_to_do() -> None:
    """status advice names the commands for planned, unknown and failed recipients."""
    steps = send.advice("c-1", {"planned": 2, "unknown": 3, "failed": 1})
    assert steps[0] == "2 recipients have not been sent yet. Continue with: mailer resume c-1"
    assert steps[1].endswith("only if you are sure they did not get it, run: mailer resume c-1 --resend-unknown")
    assert steps[2].startswith("1 recipient failed")
    assert send.advice("c-1", {"accepted": 5}) == ["All sent. Read opens and bounces later with: mailer report c-1"]


@pytest.mark.sqlite_only  # SQLite's query planner (EXPLAIN QUERY PLAN); PostgreSQL plans from statistics
def test_send_request_update_reads_only_its_request(store: Engine) -> None:
    """A request's state change finds its rows through the request index, not by scanning every planned row."""
    campaign_id, _ = started(store, 30)
    updates: list[tuple[str, Any]] = []
    event.listen(
        store,
        "before_cursor_execute",
        lambda conn, cursor, sql, params, *_: updates.append((sql, params)) if sql.startswith("UPDATE") else None,
    )
    with store.begin() as connection:
        assert (
            messages.mark_request(connection, campaign_id, 2, old=MessageState.PLANNED, new=MessageState.ACCEPTED, now=send.utcnow()) == 10
        )
        ((sql, params),) = updates
        plan_text = " ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "ix_message_campaign_request" in plan_text


def _take_over(store: Engine, campaign_id: str) -> None:
    """Another process holds the campaign's lease now."""
    with store.begin() as connection:
        connection.execute(campaign.update().where(campaign.c.id == campaign_id).values(lease_holder=LEASE_HOLDER_MARK + "another process"))


def _assert_stopped_after_two_requests(store: Engine, standin: Any, campaign_id: str) -> None:
    """The request in flight at the takeover was answered and logged; nothing more went out."""
    assert len(standin.mail_sends) == 2
    with store.connect() as connection:
        counts = messages.counts(connection, campaign_id)
    assert (counts["accepted"], counts["planned"], counts["sending"]) == (20, 20, 0)


def _lease_renewals(store: Engine) -> list[str]:
    renewals: list[str] = []
    event.listen(
        store,
        "before_cursor_execute",
        lambda conn, cursor, sql, *_: renewals.append(sql) if sql.startswith("UPDATE campaign SET lease_heartbeat") else None,
    )
    return renewals


def test_send_renews_its_lease_at_most_once_a_second(store: Engine, standin: Any) -> None:
    """Ten requests answered at once: the lease is renewed once, not on each of the dispatcher's rounds."""
    campaign_id, _ = started(store, 100)
    renewals = _lease_renewals(store)
    outcome = run(store, standin, campaign_id)
    assert outcome.counts["accepted"] == 100 and len(standin.mail_sends) == 10
    assert len(renewals) == 1


def test_send_stops_when_another_process_took_the_campaign_over(store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the lease now (taken over when request 1's answer was logged, while
    request 2 was already out): the next renewal finds it gone, request 2's answer is logged,
    nothing more is sent, and the error says what happened."""
    from mailer.send import dispatch

    monkeypatch.setattr(dispatch, "RENEW_EVERY", timedelta(0))  # every round renews, as after a stall past the lease's expiry
    campaign_id, _ = started(store, 40)

    def taken_over(_: int) -> None:
        _take_over(store, campaign_id)

    with pytest.raises(SendError, match="Another process has taken over"):
        run(store, standin, campaign_id, on_request=taken_over)
    _assert_stopped_after_two_requests(store, standin, campaign_id)


def test_send_stops_when_taken_over_while_the_machine_slept(store: Engine, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A laptop closed mid-send for three minutes: the lease expired and another process took the
    campaign over. On waking, the wall clock says the last renewal is minutes old, so the next
    round renews, finds the lease gone and stops: the request in flight is logged, nothing more
    is sent (hostile review 4: a monotonic clock does not count the sleep)."""
    from mailer.send import dispatch

    slept = [timedelta(0)]
    awake = dispatch.utcnow
    monkeypatch.setattr(dispatch, "utcnow", lambda *_: awake() + slept[0])
    campaign_id, _ = started(store, 40)

    def sleep_and_lose_the_lease(_: int) -> None:
        slept[0] = timedelta(minutes=3)
        _take_over(store, campaign_id)

    with pytest.raises(SendError, match="Another process has taken over"):
        run(store, standin, campaign_id, on_request=sleep_and_lose_the_lease)
    _assert_stopped_after_two_requests(store, standin, campaign_id)


def test_send_400_naming_the_first_recipient_every_time_stops_sending_the_rest_again(store: Engine, standin: Any) -> None:
    """SendGrid names only the first personalization of an error that holds for all (each answer
    `personalizations.0...`): the rest goes again three times, then the whole rest fails, instead
    of one request per journalist of the batch."""
    campaign_id, _ = started(store, 10)
    refusal = {"errors": [{"message": "Invalid custom_args", "field": "personalizations.0.custom_args", "help": None}]}
    standin.answer(400, times=100, body=refusal)
    warnings: list[str] = []
    outcome = run(store, standin, campaign_id, on_warning=warnings.append)
    assert len(standin.mail_sends) == 4, len(standin.mail_sends)
    assert outcome.counts["failed"] == 10 and not outcome.counts.get("accepted"), outcome.counts
    assert [w.split(":")[0] for w in warnings] == [
        "Request 1 (10 recipients) refused by SendGrid because of 1 recipient",
        "Request 2 (9 recipients) refused by SendGrid because of 1 recipient",
        "Request 3 (8 recipients) refused by SendGrid because of 1 recipient",
        "Request 4 (7 recipients) refused by SendGrid",
    ]


def test_send_400_naming_an_odd_index_fails_the_request_without_a_traceback(store: Engine, standin: Any) -> None:
    """A 400 whose field holds a character Python calls a digit but cannot read as a number
    (`personalizations.².to`, from a proxy or a changed API) crashed the run (int("²")); the
    request fails with those words, as any error about the request as a whole does."""
    campaign_id, _ = started(store, 10)
    standin.answer(400, body={"errors": [{"message": "Invalid email", "field": "personalizations.².to", "help": None}]})
    warnings: list[str] = []
    outcome = run(store, standin, campaign_id, on_warning=warnings.append)
    assert outcome.counts["failed"] == 10, outcome.counts
    assert warnings == ["Request 1 (10 recipients) refused by SendGrid: personalizations.².to: Invalid email"]
