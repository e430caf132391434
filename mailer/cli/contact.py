"""``mailer contact EMAIL``: what was sent to one journalist, what they did with it, and whether they may be mailed.

In Python: ``reports.contact.history(engine, address)``, the address as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.cli.campaigns import parts_written
from mailer.contacts.addresses import typed_key
from mailer.errors import MailerError
from mailer.models import Mode, shown_subject

if TYPE_CHECKING:
    from mailer.reports.contact import History


@main.command("contact")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text (keys listed in the README).")
@pass_app
def contact_command(app: AppContext, email: str, as_json: bool) -> None:
    """One journalist's history: every campaign sent to the address, opens, clicks, bounces, suppression.

    The address is matched without regard to case ("Jane.Doe@Example.org" finds jane.doe@example.org),
    as list rows are compared. Opens are counted by people: Apple Mail's pre-fetch is left out,
    as in the reports. Dry runs are not listed (nothing was sent); test sends are, marked "test".

    \b
    Example:
        mailer contact jane.doe@example.org
        mailer contact jane.doe@example.org --json
    """
    from mailer.reports import contact

    if as_json:
        output.start_json()  # an error becomes a JSON document too
    key, why = typed_key(email)
    raw = email.strip().lower()
    if not raw:  # it would match the list rows that had no address (review 8)
        raise MailerError('"" is not an email address: it is empty.', hint="Give the full address, for example jane@example.org")
    source = app.config.source  # the office folder: mailer.toml's, else the current one
    folder = (source.parent if source is not None else Path.cwd()).absolute()
    parts_written(app, None, optional=True, stopped_only=True)  # her row may wait in a stopped send's parts: with the bar
    found = contact.history(app.engine, key, also=(raw,) if raw != key else (), folder=folder, kept_out=_kept_out(app))
    if why is not None and not found.sendings and found.suppression is None:
        raise MailerError(f'"{email}" is not an email address: {why}', hint="Give the full address, for example jane@example.org")
    if as_json:
        output.print_json(found.as_dict())
        return
    _print(found, zone=app.config.reports.time_zone)
    from mailer.store import inboxes

    with app.engine.connect() as connection:
        spelt = inboxes.other_spellings(connection, key)
    if spelt:  # one Gmail inbox spelt otherwise in the log (review25x)
        _say(
            f"The log also holds {' and '.join(spelt)}, the same Gmail mailbox (Gmail ignores dots and what follows a +): "
            + "; ".join(f"mailer contact {other}" for other in spelt)
        )


def _kept_out(app: AppContext) -> Callable[[str], Mapping[str, str]]:
    """For a stopped live send's id, whom its lists keep out now, as its resume reads them (``send.prepare.lists_now``)."""

    def kept_out(campaign_id: str) -> Mapping[str, str]:
        from mailer.send.prepare import lists_now
        from mailer.store import campaigns

        with app.engine.connect() as connection:
            found = campaigns.get(connection, campaign_id)
        if found is None or found.mode is not Mode.LIVE:
            return {}
        return lists_now(app.engine, app.config, found).kept_out

    return kept_out


def _say(line: str) -> None:
    """One line of the history: a line break in contact data shown as \\n, and what a terminal
    would act on as \\x1b, \\t (``output.one_line``)."""
    output.say(output.one_line(line))


def _print(found: History, *, zone: str | None = None) -> None:
    """The history as text, each time in UTC and, with ``zone`` (the office's [reports] time_zone), in brackets on
    the office's clock (newcomer 23 #13: the release scheduled for 10:00 Brussels time read "09:00 UTC")."""

    def _when(moment: datetime) -> str:
        return _at(moment, zone)

    shown = found.address  # normalized: a duplicate row's capitals are not the address (nc9)
    who = ", ".join(part for part in (found.name, found.outlet) if part)
    _say(f"{shown}: {who}" if who else shown)
    if not found.sendings and not found.carried:
        _say(f"No campaign in the delivery log was sent to {found.address}.")
    if found.unwritten:  # review 19r: "No campaign ... Check the spelling" of a journalist whose row was still to come
        plans = ", ".join(found.unwritten)
        _say(
            f"Not all of the plan of {plans} is in the log yet (a send under way writes it as it goes; a log this "
            f"computer may only read keeps it so until the send's computer resumes it): {found.address} may be "
            "in it. Run this again once that send has ended."
        )
    entry = found.suppression
    if entry is None:
        _say("Suppressed: no")
    else:
        note = f": {entry.note}" if entry.note else ""
        _say(f"Suppressed: yes, {entry.reason}, since {_when(entry.since)} (from {entry.source}){note}")
        if entry.reason == "forgotten":
            _say("Its data was erased with `mailer forget`; only this suppression is kept, so it is never mailed again.")
    for lifted in found.lifted:
        _say(f"Taken off the suppression list {_when(lifted.at)} (was {lifted.was}): {lifted.note}")
    if not found.sendings:
        if entry is None and not found.unwritten and not found.carried:
            _say("Check the spelling; `mailer suppressions list` and `mailer campaigns` show what the log holds.")
        _print_carried(found, zone=zone)
        return
    _say(f"Lists:      {', '.join(found.lists) if found.lists else '(none recorded)'}")
    if found.fields:  # "what do you hold on me?": the list row's every field, not the name and outlet alone (newcomer 22 #2)
        _say("Fields:     " + "; ".join(f"{name}: {value}" for name, value in found.fields.items()))
    count = len(found.sendings)
    skipped = sum(s.state == "skipped" for s in found.sendings)
    cancelled = sum(s.state == "cancelled" for s in found.sendings)  # cancelled before its email went out
    notes = [f"{skipped} of them left this address out"] if skipped else []
    notes += (
        [f"{cancelled} {'was' if cancelled == 1 else 'were'} cancelled before {'it' if cancelled == 1 else 'they'} went out"]
        if cancelled
        else []
    )
    left_out = f" ({'; '.join(notes)})" if notes else ""
    _say(f"{count} campaign{'s' if count != 1 else ''}, newest first{left_out}:")
    for s in found.sendings:
        _say("")
        kind = {"test": "  (test send)", "sandbox": "  (SendGrid's sandbox: delivered to nobody)"}.get(s.mode, "")
        _say(f"{_when(s.sent_at)}  {s.campaign_id}{kind}")
        # The version, for a campaign that sent several (JSON always has "language").
        _say(f"  Subject:  {shown_subject(s.subject)}" + (f"  ({s.version_named} version)" if s.version_named else ""))
        opens = f"opens by people: {s.human_opens}" + (f" (+{s.opens - s.human_opens} Apple pre-fetch)" if s.opens > s.human_opens else "")
        if s.human_opens == 0 and s.clicks:  # a click counts as opened by a person, as in the reports (review 20b #3)
            recorded = "only Apple's pre-fetch open recorded" if s.opens else "no open recorded"
            opens = f"opened: clicked ({recorded})"
        _say(f"  Outcome:  {s.outcome_on(zone)}; {opens}; clicks: {s.clicks}")
        if s.bounce is not None:
            at = f", {_when(s.bounce.at)}" if s.bounce.at else ""
            _say(f"  Bounce:   {s.bounce.label}{at}" + (f": {s.bounce.reason}" if s.bounce.reason else ""))
        if s.error:
            _say(f"  Error:    {s.error}")
        if s.links:
            _say(f"  Clicked:  {' '.join(s.links)}")
        if s.unsubscribed or s.spam_report:
            _say(
                "  Then:     " + " and ".join(w for w, on in (("unsubscribed", s.unsubscribed), ("marked it as spam", s.spam_report)) if on)
            )
        if s.follow_up_of:
            _say(f"  From:     follow-up of {s.follow_up_of}" + (f" ({_row(s.source)})" if s.source else ""))
        elif s.source:
            _say(f"  From:     {_row(s.source)}")

    _print_carried(found, zone=zone)


_CARRIED_STATES = {
    "accepted": "sent",
    "sending": "sent (SendGrid's answer was never logged there)",
    "unknown": "sent (of unknown fate there)",
}


def _print_carried(found: History, *, zone: str | None = None) -> None:
    """The campaigns an old log sent the address, carried over into this one (`mailer carry-over`), per log (carry28)."""
    for origin in dict.fromkeys(c.origin for c in found.carried):
        theirs = [c for c in found.carried if c.origin == origin]
        _say("")
        _say(
            f"{len(theirs)} campaign{'s' if len(theirs) != 1 else ''} sent from {origin}, carried over into this log: who had "
            "which release; its opens, clicks and bounces are in that log."
        )
        for c in theirs:
            _say("")
            _say(f"{_at(c.created_at, zone)}  {c.campaign_id}  (carried over)")
            _say(f"  Subject:  {shown_subject(c.subject)}")
            _say(f"  Outcome:  {_CARRIED_STATES.get(c.state, c.state)}")


def _row(source: str) -> str:
    """ "lists/press.csv:12" -> "lists/press.csv, row 12"."""
    head, sep, tail = source.rpartition(":")
    if head.startswith("--"):
        return f"{head} on the command line"
    return f"{head}, row {tail}" if sep and tail.isdigit() else source


def _at(moment: datetime, zone: str | None) -> str:
    if zone:
        from mailer.cli.campaigns import on_office_clock
        from mailer.send.schedule import describe

        return describe(on_office_clock(moment, zone))
    return moment.strftime("%Y-%m-%d %H:%M UTC")
