"""``mailer send``, ``test`` and ``resume``: the commands that send (``campaigns``, ``status``, ``cancel``: cli/campaigns.py).

In Python: ``plan.build(rendered, contact_list)``, ``send.start(engine, plan, ...)`` and
``send.run(engine, campaign_id, rendered=..., transport=...)``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from mailer import compose, contacts, output, plan, release, send, store
from mailer.addresses import validate
from mailer.cli import AppContext, main, pass_app
from mailer.cli.campaigns import find_campaign
from mailer.cli.lists import filter_options
from mailer.config import Config
from mailer.errors import ConfigError, ListError, SendError
from mailer.models import (
    CampaignStatus,
    Contact,
    ContactList,
    MessageState,
    Mode,
    RejectReason,
    Rendered,
)
from mailer.store import campaigns
from mailer.store import suppressions as suppression_store
from mailer.transport.base import OutgoingMessage, Transport
from mailer.transport.dryrun import DryRunTransport
from mailer.transport.sendgrid import SendGridTransport

release_argument = click.argument("release_path", metavar="RELEASE", type=click.Path(path_type=Path, dir_okay=False))
override_option = click.option(
    "--override-suppression", "overrides", multiple=True, metavar="EMAIL",
    help="Mail this suppressed address anyway (repeatable; you take responsibility).",
)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (a seam the tests replace)."""
    return sys.stdin.isatty()


@main.command("send")
@release_argument
@click.option("--list", "list_paths", metavar="FILE", multiple=True, required=True, type=click.Path(path_type=Path, dir_okay=False), help="A press list (repeatable).")
@filter_options
@click.option("--dry-run", is_flag=True, help="Do everything except sending: write the requests and one .eml per journalist to the outbox.")
@click.option("--at", "at_text", metavar="TIME", help='Schedule the send, e.g. "2026-03-01 09:00 America/New_York" (at most 72 hours ahead).')
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when not run from a terminal).")
@click.option("--no-test-ok", is_flag=True, help="Do not warn when this content was never test-sent.")
@click.option("--force-embargo", is_flag=True, help="Send even though it goes out before the release's embargo lifts.")
@override_option
@pass_app
def send_command(
    app: AppContext, release_path: Path, list_paths: tuple[Path, ...], where: tuple[str, ...], tag: tuple[str, ...],
    dry_run: bool, at_text: str | None, yes: bool, no_test_ok: bool, force_embargo: bool, overrides: tuple[str, ...],
) -> None:
    """Send a release to press lists: one individual email per journalist.

    Shows the plan and asks before sending. With --dry-run nothing is sent: each request
    body and one .eml per journalist are written under the outbox folder.

    \b
    Example:
        mailer send releases/example.md --list lists/press.csv --dry-run
        mailer send releases/example.md --list lists/press.csv --where beat=health --yes
    """
    config = app.config
    engine = app.engine
    now = send.utcnow()
    scheduled = send.parse_at(at_text, now=now) if at_text else None
    rendered = compose.render(release.load(release_path), config=config)
    flt = contacts.parse_filter(where, tag)
    contact_list = contacts.apply_filter(contacts.load(list_paths), flt)
    contact_list = _suppress(engine, contact_list, overrides)
    compose.check_fields(rendered, contact_list.contacts)
    the_plan = plan.build(rendered, contact_list, batch_size=config.sendgrid.batch_size)
    mode = Mode.DRY_RUN if dry_run else Mode.LIVE
    _show_plan(the_plan, config, mode=mode, lists=list_paths, where=where, tag=tag, scheduled=scheduled)
    if not the_plan.recipients:
        raise SendError("Nobody to send to: every row of the lists is skipped.", hint="See why with: mailer lists check " + " ".join(map(str, list_paths)))
    if mode is Mode.LIVE:
        _check_embargo(rendered, scheduled or now, force=force_embargo)
        if not config.sender.postal_address:
            raise ConfigError(
                "A live send needs the office's postal address in the email footer.",
                hint='Add postal_address = "..." under [sender] in mailer.toml (anti-spam laws require it).',
            )
        _confirm(f"Send this release to {len(the_plan.recipients):,} journalists?", yes=yes)
        if not no_test_ok and not campaigns.was_test_sent(engine, rendered.content_hash):
            output.warn("This exact content was never test-sent to staff (mailer test). Typos are easier to fix before.")
            _confirm("Send it anyway, without a test send?", yes=yes)
    transport, batch_id = _transport(config, mode=mode, scheduled=scheduled)
    campaign_id = send.start(
        engine, the_plan, mode=mode, slug=_slug(release_path), lists=[str(p) for p in list_paths],
        filters={"where": list(where), "tag": list(tag)}, sender=_sender(rendered, config),
        scheduled_at=scheduled, sendgrid_batch_id=batch_id, now=now,
    )
    output.say(f"Campaign {campaign_id}: {len(the_plan.messages):,} rows written to the delivery log.")
    _run(engine, campaign_id, rendered, transport, config, prepared=send.outgoing(the_plan), scheduled=scheduled, batch_id=batch_id)
    if isinstance(transport, DryRunTransport):
        output.say(f"Outbox:     {transport.folder(campaign_id)} (one .json per request, one .eml per journalist)")
        output.say(f"Log:        {config.database.url}")
        output.say("This was a dry run: nothing was sent. To send, run the same command without --dry-run.")


@main.command("test")
@release_argument
@click.option("--to", "to", metavar="EMAIL", multiple=True, help="Send to this address instead of the staff list (repeatable).")
@click.option("--as", "as_email", metavar="EMAIL", help="Fill in contact fields as this journalist (needs --list).")
@click.option("--list", "list_paths", metavar="FILE", multiple=True, type=click.Path(path_type=Path, dir_okay=False), help="The list holding --as.")
@click.option("--dry-run", is_flag=True, help="Write the test email to the outbox instead of sending it.")
@override_option
@pass_app
def test_command(
    app: AppContext, release_path: Path, to: tuple[str, ...], as_email: str | None, list_paths: tuple[Path, ...],
    dry_run: bool, overrides: tuple[str, ...],
) -> None:
    """Send the release to staff first: the same email with a [TEST] subject and a banner.

    Goes to the staff list from mailer.toml ([lists] staff) or to --to. Test sends are
    logged but never counted in reports.

    \b
    Example:
        mailer test releases/example.md
        mailer test releases/example.md --to me@example.org --as jane@example.com --list lists/press.csv
    """
    if as_email and not list_paths:
        raise click.UsageError("--as needs --list FILE to find the journalist in.")
    config = app.config
    engine = app.engine
    rendered = compose.render(release.load(release_path), config=config, test=True)
    journalist = _journalist(as_email, list_paths) if as_email else None
    staff = _staff(config, to, rendered, journalist)
    staff = _suppress(engine, staff, overrides)
    the_plan = plan.build(rendered, staff, batch_size=config.sendgrid.batch_size)
    if not the_plan.recipients:
        suppressed = [r.email for r in staff.rejected if r.reason is RejectReason.SUPPRESSED]
        if suppressed:
            raise SendError(
                f"Nobody to send the test to: {', '.join(suppressed)} {'is' if len(suppressed) == 1 else 'are'} on the suppression list.",
                hint=f"To send the test anyway: add --override-suppression {suppressed[0]}",
            )
        raise SendError("Nobody to send the test to.", hint="Pass --to EMAIL, or check the staff list.")
    mode = Mode.DRY_RUN if dry_run else Mode.TEST
    transport, _ = _transport(config, mode=mode, scheduled=None)
    campaign_id = send.start(
        engine, the_plan, mode=mode, slug=_slug(release_path) + "-test", lists=[str(config.lists.staff)] if not to else ["--to"],
        filters={"as": as_email} if as_email else {}, sender=_sender(rendered, config),
    )
    output.say(f"Test campaign {campaign_id}: to {', '.join(m.email for m in the_plan.recipients)}")
    _run(engine, campaign_id, rendered, transport, config, prepared=send.outgoing(the_plan))
    if isinstance(transport, DryRunTransport):
        output.say(f"Outbox:     {transport.folder(campaign_id)}")


@main.command("resume")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--resend-unknown", is_flag=True, help="Also resend recipients whose fate is unknown (they may get it twice).")
@pass_app
def resume_command(app: AppContext, campaign_id: str, resend_unknown: bool) -> None:
    """Continue an interrupted send: the recipients not sent yet, never the ones already accepted.

    \b
    Example:
        mailer resume 2026-02-19-example
        mailer resume 2026-02-19-example --resend-unknown
    """
    config = app.config
    engine = app.engine
    campaign = find_campaign(engine, campaign_id)
    if campaign.status is CampaignStatus.CANCELLED:
        raise SendError(f"{campaign_id} was cancelled; it cannot be resumed.", hint="Start a new send with: mailer send")
    rendered = compose.render(release.load(campaign.release_path), config=config, test=campaign.mode is Mode.TEST)
    if rendered.content_hash != campaign.content_hash:
        raise SendError(
            f"{campaign.release_path} has changed since {campaign_id} started; resuming would send a different email.",
            hint="Undo the change to finish this campaign, or start a new one with: mailer send",
        )
    scheduled = campaign.scheduled_at
    transport, _ = _transport(config, mode=campaign.mode, scheduled=None)
    _run(engine, campaign_id, rendered, transport, config, scheduled=scheduled, batch_id=campaign.sendgrid_batch_id, resend_unknown=resend_unknown)


# -- helpers ---------------------------------------------------------------------------------


def _run(
    engine: Engine, campaign_id: str, rendered: Rendered, transport: Transport, config: Config, *,
    prepared: Mapping[str, OutgoingMessage] | None = None, scheduled: datetime | None = None,
    batch_id: str | None = None, resend_unknown: bool = False,
) -> send.Outcome:
    """Send, with a progress bar, then say how it ended; exit 3 when recipients need attention."""
    with engine.connect() as connection:
        total = store.messages.counts(connection, campaign_id)[MessageState.PLANNED.value]
    with output.progress("Sending", total or None) as advance:
        outcome = send.run(
            engine, campaign_id, rendered=rendered, transport=transport, pacing=send.Pacing.from_config(config.sendgrid),
            prepared=prepared, send_at=int(scheduled.timestamp()) if scheduled else None, sendgrid_batch_id=batch_id,
            resend_unknown=resend_unknown, on_batch=advance, on_warning=output.warn,
        )
    counts = outcome.counts
    if outcome.recovered_unknown:
        output.warn(f"{outcome.recovered_unknown} recipient(s) were in flight when the last run stopped; they are now unknown.")
    if isinstance(transport, DryRunTransport):
        output.say(f"Written:    {counts[MessageState.ACCEPTED.value]:,} emails, as SendGrid would have received them")
    else:
        output.say(
            f"Accepted:   {counts[MessageState.ACCEPTED.value]:,}   failed: {counts[MessageState.FAILED.value]:,}   "
            f"unknown: {counts[MessageState.UNKNOWN.value]:,}   not sent yet: {counts[MessageState.PLANNED.value]:,}   "
            f"skipped: {counts[MessageState.SKIPPED.value]:,}"
        )
    if outcome.interrupted:
        raise SendError("Stopped at your request after the requests in flight were answered.", hint=f"Continue later with: mailer resume {campaign_id}")
    if outcome.needs_attention:
        failed, unknown = counts[MessageState.FAILED.value], counts[MessageState.UNKNOWN.value]
        raise send.IncompleteSend(
            f"The send ended with {failed:,} failed and {unknown:,} unknown recipient(s).",
            hint=f"See what happened with: mailer status {campaign_id}   (then, if needed: mailer resume {campaign_id})",
        )
    return outcome


def _transport(config: Config, *, mode: Mode, scheduled: datetime | None) -> tuple[Transport, str | None]:
    """The dry-run writer, or SendGrid (with a batch id for a scheduled send)."""
    tag = compose.unsubscribe_tag(config)
    if mode is Mode.DRY_RUN:
        return DryRunTransport(outbox=config.compose.outbox_dir, sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=tag), None
    transport = SendGridTransport(api_key=config.api_key(os.environ), sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=tag)
    return transport, transport.create_batch_id() if scheduled else None


def _suppress(engine: Engine, contact_list: ContactList, overrides: tuple[str, ...]) -> ContactList:
    """Skip suppressed addresses, except the ones named with --override-suppression (promise 3)."""
    reasons = suppression_store.reasons(engine)
    for address in overrides:
        if reasons.pop(address.strip().lower(), None) is None:
            output.warn(f"--override-suppression {address}: that address is not suppressed.")
        else:
            output.warn(f"{address} is suppressed but will be mailed, as you asked.")
    return contacts.suppress(contact_list, reasons)


def _check_embargo(rendered: Rendered, goes_out: datetime, *, force: bool) -> None:
    if rendered.embargo is None or goes_out >= rendered.embargo or force:
        return
    raise SendError(
        f"The release is embargoed until {rendered.embargo:%Y-%m-%d %H:%M %Z}, but this send would go out at {goes_out:%Y-%m-%d %H:%M %Z}.",
        hint="Schedule it after the embargo with --at, or add --force-embargo if journalists should get it early.",
    )


def _confirm(question: str, *, yes: bool) -> None:
    if yes:
        return
    if not stdin_is_terminal():
        raise SendError("Not sending: there is no terminal to confirm on.", hint="Add --yes to send without the question.")
    if not click.confirm(question, default=False):
        raise SendError("Not sending: you answered no.", hint="Nothing was sent and nothing was logged.")


def _show_plan(the_plan: plan.Plan, config: Config, *, mode: Mode, lists: tuple[Path, ...], where: tuple[str, ...], tag: tuple[str, ...], scheduled: datetime | None) -> None:
    rendered = the_plan.rendered
    sender = _sender(rendered, config)
    skipped = the_plan.skipped()
    output.say(f"Mode:       {'DRY RUN (nothing will be sent)' if mode is Mode.DRY_RUN else 'live send'}")
    output.say(f"Subject:    {rendered.subject}")
    output.say(f"From:       {sender['from_name']} <{sender['from_email']}>" + (f", replies to {sender['reply_to']}" if sender["reply_to"] else ""))
    output.say(f"Lists:      {', '.join(map(str, lists))}" + (f" (filter: {' '.join([*where, *('tag=' + t for t in tag)])})" if where or tag else ""))
    output.say(f"Recipients: {len(the_plan.recipients):,}")
    output.say(f"Skipped:    {sum(skipped.values()):,}" + (" (" + ", ".join(f"{n:,} {r}" for r, n in sorted(skipped.items())) + ")" if skipped else ""))
    output.say(f"Batches:    {the_plan.batch_count:,} request(s) of up to {config.sendgrid.batch_size:,}")
    output.say(f"Scheduled:  {scheduled:%Y-%m-%d %H:%M %Z}" if scheduled else "Scheduled:  now")
    for warning in rendered.warnings:
        output.warn(warning)


def _sender(rendered: Rendered, config: Config) -> dict[str, Any]:
    return {
        "from_email": rendered.from_email or config.sender.from_email,
        "from_name": rendered.from_name or config.sender.from_name,
        "reply_to": rendered.reply_to or config.sender.reply_to,
    }


def _slug(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:60] or "release"


def _journalist(email: str, list_paths: tuple[Path, ...]) -> Contact:
    for contact in contacts.load(list_paths).contacts:
        if contact.key == email.strip().lower():
            return contact
    files = ", ".join(map(str, list_paths))
    raise ListError(f"{email} is not a recipient in {files}.", hint="Check the address with: mailer lists check " + files)


def _staff(config: Config, to: tuple[str, ...], rendered: Rendered, journalist: Contact | None) -> ContactList:
    """The test recipients, each with the journalist's fields (--as) or stand-ins for missing ones."""
    if to:
        people = ContactList(tuple(Contact(a, {"email": a}, "--to", i) for i, a in enumerate(_checked(to), 1)), (), ())
    elif config.lists.staff is not None:
        people = contacts.load([config.lists.staff])
    else:
        raise ConfigError("No staff list to test-send to.", hint="Set staff = \"lists/staff.csv\" under [lists] in mailer.toml, or pass --to EMAIL.")
    stand_ins = {field: f"[{field}]" for field in rendered.fields}
    fields_for = (lambda c: dict(journalist.fields)) if journalist else (lambda c: {**stand_ins, **{k: v for k, v in c.fields.items() if v}})
    recipients = tuple(Contact(c.email, fields_for(c), c.source, c.row) for c in people.contacts)
    return ContactList(recipients, people.rejected, people.files)


def _checked(addresses: tuple[str, ...]) -> list[str]:
    """--to addresses, validated as strictly as list rows: a typo is an error, not a bounce."""
    valid = []
    for address in addresses:
        normalized, why = validate(address.strip())
        if normalized is None:
            raise click.BadParameter(f"{address!r} is not an email address: {why}", param_hint="--to")
        valid.append(normalized)
    return valid
