"""The sender: a Rendered release and a ContactList in, a campaign in the delivery log out.

In: ``Rendered`` (compose), ``ContactList`` (contacts), a ``Transport`` and the delivery log's
Engine. Out: one message row per recipient, in the log before any request to her leaves (a
large plan's later rows wait in the log as parts until then: store/plan_parts.py), moved to
accepted, failed or unknown as SendGrid answers.

    campaign.py    the workflow the commands run: start, resume, cancel (prepare.py: before a send)
    prepare.py     release + lists -> Prepared: the plan, what to confirm, why it must not go
    status.py      where a campaign stands and what to do next
    again.py       a logged campaign's release file, and the command that sends it again
    plan.py        Rendered + ContactList -> Plan: one message per row, requests within SendGrid's limits
    recipients.py  suppressions with their overrides, test recipients
    schedule.py    --at times and the embargo rule
    delivery.py    Plan -> delivery log (record), then every planned row through the dispatcher (run)
    dispatch.py    requests in flight, retries, 429 waits, splits on 413, message states after each answer

Never imports: events, reports, cli, or the sendgrid library (that is the transport's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailer import lazy

if TYPE_CHECKING:
    from mailer.send.delivery import IncompleteSend, Outcome, Pacing, outcome, record, run, utcnow
    from mailer.send.schedule import parse_at
    from mailer.send.status import advice

__all__ = ["IncompleteSend", "Outcome", "Pacing", "advice", "outcome", "parse_at", "record", "run", "utcnow"]

# Imported on first use: `from mailer.send import schedule` must not load the store and the composer.
__getattr__ = lazy.exports(
    __name__,
    {
        **dict.fromkeys(("IncompleteSend", "Outcome", "Pacing", "outcome", "record", "run", "utcnow"), "mailer.send.delivery"),
        "parse_at": "mailer.send.schedule",
        "advice": "mailer.send.status",
    },
)
