"""``mailer send``, ``test`` and ``resume``: the commands that send (``campaigns``, ``status``, ``cancel``: cli/campaigns.py).

In Python: ``mailer.send.campaign``: ``prepare_send`` / ``prepare_test``, then ``start``; ``resume``.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer.cli import AppContext, CampaignArgument, main, output, pass_app
from mailer.cli.campaigns import on_office_clock, parts_written
from mailer.cli.lists import filter_options
from mailer.counting import counted
from mailer.errors import MailerError, SendError
from mailer.models import (
    CANCELLED,
    CampaignStatus,
    MessageState,
    Mode,
    RejectReason,
    shown_subject,
    skipped_in_order,
)
from mailer.send import schedule

if TYPE_CHECKING:  # the send workflow (store, composer, transports) loads inside the commands
    from sqlalchemy import Engine

    from mailer.send import campaign
    from mailer.send.delivery import Rehearsal
    from mailer.send.prepare import ListsNow
    from mailer.store.campaigns import Campaign

release_argument = click.argument("release_path", metavar="RELEASE", type=click.Path(path_type=Path, dir_okay=False))
override_option = click.option(
    "--override-suppression",
    "overrides",
    multiple=True,
    metavar="EMAIL",
    help="Mail this suppressed address anyway (repeatable; you take responsibility).",
)


def _checked(_ctx: click.Context, _param: click.Parameter, addresses: tuple[str, ...]) -> tuple[str, ...]:
    """--to addresses, validated as strictly as list rows: a typo is an error, not a bounce."""
    from mailer.contacts.addresses import validate
    from mailer.linebreaks import LINE_BREAKS

    valid = []
    for address in addresses:
        normalized, why = validate(address.strip())
        # a line break is no way to list recipients: it is refused as it is (a header's "\r\nBcc: ..." never advised)
        several = _several(address) if normalized is None and not any(c in address for c in LINE_BREAKS) else []
        if len(several) > 1:
            # "a@x.org, b@x.org", as a mail program writes several recipients (newcomer 24 #9: the answer spoke of
            # a list's cells, rows and journalists, and never said how to give two colleagues); with their names
            # ("Sarah Lee <sarah@x.org>, Tom <tom@x.org>", as it copies them) or a space between them too (review 24y #2)
            raise click.BadParameter(
                f"{address!r} holds {len(several)} addresses, and --to takes one. Repeat it for each: "
                + " ".join(f"--to {shlex.quote(part)}" for part in several),
                param_hint="--to",
            )
        if normalized is None:
            from mailer.mailbox import read

            alone, unread = read(address) if not several and "<" in address else (None, "")
            if alone is not None and unread is None:  # "Ole Berg <ole@x.org>", copied from a mail program (newcomer 28 #8)
                raise click.BadParameter(f"{address!r}: --to takes the address alone, without the name: --to {alone}", param_hint="--to")
            raise click.BadParameter(f"{address!r} is not an email address: {why}", param_hint="--to")
        valid.append(normalized)
    return tuple(valid)


def _several(text: str) -> list[str]:
    """The addresses of ``text`` when it holds more than one, each read as a list's cell is
    ("Sarah Lee <sarah@x.org>"), parted by commas, semicolons or else spaces; [] otherwise."""
    from email.utils import getaddresses

    from mailer.mailbox import read

    named = [address for _, address in getaddresses([text.replace(";", ",")])]  # '"Jones, Sarah" <sarah@...>' is one
    for parts in (named, text.split()):
        found = [read(part) for part in parts if part.strip()]
        if len(found) > 1 and all(why is None for _, why in found):
            return [key for key, _ in found]
    return []


def logged_paths(paths: tuple[Path, ...], office: Path | None = None) -> tuple[Path, ...]:
    """Lists as the log will name them (``config_files.logged_list_paths``, which the library's
    prepare calls apply too, so a script's send logs them as the command does)."""
    from mailer.config_files import logged_list_paths  # light: the lists are read ahead before the send's libraries load

    return logged_list_paths(paths, office)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (a seam the tests replace)."""
    return sys.stdin.isatty()


@main.command("send")
@release_argument
@click.option(
    "--list",
    "list_paths",
    metavar="FILE",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A press list (repeatable). With --follow-up: only journalists also on these lists.",
)
@click.option(
    "--follow-up",
    "follow_up_of",
    metavar="CAMPAIGN",
    help="Send to journalists of this earlier live campaign (id, latest or latest~N), chosen with --who.",
)
@click.option(
    "--who",
    type=click.Choice(["not-opened", "opened", "clicked", "not-clicked", "delivered"]),
    help="With --follow-up: which of its journalists (opens by people; Apple Mail's pre-fetch does not count).",
)
@filter_options
@click.option(
    "--dry-run",
    is_flag=True,
    help="Do everything except sending: write the requests, and .eml files for a sample of journalists, to the outbox.",
)
@click.option(
    "--eml",
    "eml",
    type=click.Choice(["sample", "all"]),
    default="sample",
    show_default=True,
    help="With --dry-run: an .eml for the first [compose] dry_run_eml journalists (sample), or for every journalist (all).",
)
@click.option(
    "--at", "at_text", metavar="TIME", help='Schedule the send, e.g. "2026-03-01 09:00 America/New_York" (at most 72 hours ahead).'
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when not run from a terminal).")
@click.option("--no-test-ok", is_flag=True, help="Do not warn when this content was never test-sent.")
@click.option("--force-embargo", is_flag=True, help="Send even though it goes out before the release's embargo lifts.")
@click.option(
    "--include-previous", is_flag=True, help="Also send to journalists who already received this exact release in an earlier send."
)
@override_option
@output.json_option
@pass_app
def send_command(
    app: AppContext,
    release_path: Path,
    list_paths: tuple[Path, ...],
    follow_up_of: str | None,
    who: str | None,
    where: tuple[str, ...],
    tag: tuple[str, ...],
    dry_run: bool,
    eml: str,
    at_text: str | None,
    yes: bool,
    no_test_ok: bool,
    force_embargo: bool,
    include_previous: bool,
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """Send a release to press lists: one individual email per journalist.

    Shows the plan and asks before sending. With --dry-run nothing is sent: each request
    body, an .eml for the first 50 journalists (--eml all: for everyone) and skipped.csv (the
    rows that get no email, and why) are written to a new folder under the outbox. Journalists
    who already received this exact release in an earlier send are skipped (--include-previous
    sends to them too). --json prints one JSON document of the outcome (the plan goes to
    standard error); a live send with --json needs --yes.

    A follow-up (--follow-up CAMPAIGN --who not-opened, opened, clicked, not-clicked or
    delivered) goes to that campaign's journalists who did so, with the fields the original
    used, less anyone who bounced since and suppressed addresses; the plan says how many were
    left out and why. --list then keeps only journalists also on those lists.

    \b
    Example:
        mailer send releases/example.md --list lists/press.csv --dry-run
        mailer send releases/example.md --follow-up latest --who not-opened --dry-run
        mailer send releases/example.md --list lists/press.csv --dry-run --eml all
        mailer send releases/example.md --list lists/press.csv --tag vip --dry-run    # the Tags column, or Outlook's Categories
        mailer send releases/example.md --list lists/press.csv --where beat=health --yes
        mailer send releases/example.md --list lists/press.csv --at "2026-03-01 09:00 Europe/London"    # 09:00 London time, up to 72 hours ahead
        mailer send releases/example.md --list lists/press.csv --yes --json
    """
    app.sends = not dry_run  # before the config is read
    if as_json:
        output.start_json()
    if eml == "all" and not dry_run:
        raise click.UsageError("--eml all is for dry runs: add --dry-run.")
    if follow_up_of is None and who is not None:
        raise click.UsageError("--who picks journalists of an earlier campaign: add --follow-up CAMPAIGN.")
    if follow_up_of is not None and who is None:
        raise click.UsageError("Say whom to follow up: add --who not-opened, opened, clicked, not-clicked or delivered.")
    if follow_up_of is None and not list_paths:
        raise click.UsageError("Missing option '--list': give a press list (or --follow-up CAMPAIGN --who ...).")
    if list_paths:
        from mailer.config_files import find, office_of
        from mailer.contacts.ahead import read_ahead

        # The lists are read, and loaded when the send takes them whole, while its own libraries load and
        # its settings are read (issue 12): named as below, by the office folder of the mailer.toml found.
        found = find(app.config_path, os.environ, Path.cwd())
        named = logged_paths(list_paths, office_of(found))
        read_ahead(named, whole=follow_up_of is None and not where and not tag)
    list_paths = logged_paths(list_paths, app.office)
    from mailer.send import campaign
    from mailer.store import display_url

    engine = app.engine
    choices: dict[str, Any] = {
        "where": where,
        "tags": tag,
        "dry_run": dry_run,
        "at": at_text,
        "overrides": overrides,
        "force_embargo": force_embargo,
        "include_previous": include_previous,
    }
    if follow_up_of is not None and who is not None:
        prepared = campaign.prepare_follow_up(
            engine,
            app.config,
            release_path,
            app.campaign_id(follow_up_of, live_only=True, this_folder=True),
            who=who,
            list_paths=list_paths,
            **choices,
        )
    else:
        prepared = campaign.prepare_send(engine, app.config, release_path, list_paths, **choices)
    _show_plan(
        prepared,
        where=where,
        tag=tag,
        sandbox=app.config.sendgrid.sandbox,
        stand_in=app.config.sendgrid.stand_in,
        office_zone=app.config.reports.time_zone,
    )
    prepared.check()
    if prepared.mode is not Mode.DRY_RUN:
        app.config.api_key(os.environ)  # a missing key is said before the questions, not after the answers (newcomer 11)
    for question in prepared.questions:
        _confirm(question, yes=yes)
    if prepared.correction is not None:
        prepared = _correction(prepared, yes=yes)
    if prepared.never_test_sent and not no_test_ok:
        output.warn(prepared.untested or "This exact content was never test-sent to staff (mailer test). Typos are easier to fix before.")
        _confirm("Send it anyway, without a test send?", yes=yes)
    with _totals_when_stopped():
        sent = campaign.start(
            engine,
            app.config,
            prepared,
            environ=os.environ,
            progress=output.progress,
            notify=output.say,
            warn=output.warn,
            every_eml=eml == "all",
        )
    if as_json:
        _document(sent, app, prepared)
    _counts(sent)
    _held_until(sent, prepared.scheduled, app.config.reports.time_zone, now=_log_now(app.engine))
    sent.outcome.check(dry_run=sent.outbox is not None)
    if sent.outbox is not None:
        output.say(f"Outbox:     {sent.outbox} ({_outbox_contents(sent)})")
        if sent.skipped_file is not None:
            output.step(f"Skipped:    {sent.skipped_file} (the rows that get no email, and why)")
        output.step(f"Log:        {display_url(app.config.database.url)}")
        output.step("This was a dry run: nothing was sent. To send, run the same command without --dry-run.")


@main.command("test")
@release_argument
@click.option(
    "--to", "to", metavar="EMAIL", multiple=True, callback=_checked, help="Send to this address instead of the staff list (repeatable)."
)
@click.option("--as", "as_email", metavar="EMAIL", help="Fill in contact fields as this journalist (needs --list).")
@click.option(
    "--list", "list_paths", metavar="FILE", multiple=True, type=click.Path(path_type=Path, dir_okay=False), help="The list holding --as."
)
@click.option("--dry-run", is_flag=True, help="Write the test email to the outbox instead of sending it.")
@click.option("--language", metavar="LANG", help="Only this language version (default: every version, one test campaign each).")
@override_option
@output.json_option
@pass_app
def test_command(
    app: AppContext,
    release_path: Path,
    to: tuple[str, ...],
    as_email: str | None,
    list_paths: tuple[Path, ...],
    dry_run: bool,
    language: str | None,
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """Send the release to staff first: the same email with a [TEST] subject and a banner.

    Goes to the staff list from mailer.toml ([lists] staff) or to --to. Test sends are
    logged but never counted in reports. --json prints one JSON document of the outcome.
    A release with language versions sends staff every version (one test campaign each), or
    the one --language names.

    \b
    Example:
        mailer test releases/example.md
        mailer test releases/example.md --to me@example.org --as amara.okafor@example.com --list lists/press.csv
        mailer test releases/launch.md --language fr    # launch.fr.md beside launch.md
        mailer test releases/example.md --json
    """
    app.sends = not dry_run  # before the config is read
    if as_json:
        output.start_json()
    if as_email and not list_paths:
        raise click.UsageError("--as needs --list FILE to find the journalist in.")
    from mailer.compose import release
    from mailer.send import campaign

    engine = app.engine
    languages: list[str | None] = [language]
    main_language = ""
    if language is None:
        loaded = release.load(release_path)
        versions = list(loaded.versions)
        languages, main_language = [None, *versions], loaded.language
        if versions and as_json:
            raise click.UsageError("--json reports one test campaign: add --language LANG (this release has several versions).")
    sent_all = []
    warned: set[str] = set()
    for number, chosen in enumerate(languages):
        if len(languages) > 1:
            output.step(("" if number == 0 else "\n") + f"Language:   {chosen or main_language + ' (main version)'}")
        prepared = campaign.prepare_test(
            engine,
            app.config,
            release_path,
            to=to,
            as_email=as_email,
            list_paths=logged_paths(list_paths, app.office),
            dry_run=dry_run,
            overrides=overrides,
            language=chosen,
        )
        for warning in prepared.warnings:
            if warning not in warned:  # a version's note is the main file's too: said once (nc9)
                output.warn(warning)
                warned.add(warning)
        for skipped in prepared.plan.skipped_messages():
            if skipped.skip_reason:
                output.warn(
                    f"Not sending the test to {skipped.email}: {skipped.skip_reason}" + (f" ({skipped.detail})" if skipped.detail else "")
                )
        if app.config.sendgrid.sandbox and not dry_run and number == 0:  # nc12b #3: the colleagues waited for a proof
            which = (
                "these test sends (every language version) and delivers them" if len(languages) > 1 else "this test send and delivers it"
            )
            output.warn(f"[sendgrid] sandbox = true: SendGrid checks {which} to nobody; no colleague receives it.")  # once (fix13n #6)
        sent = campaign.start(
            engine, app.config, prepared, environ=os.environ, progress=output.progress, notify=output.say, warn=output.warn
        )
        sent_all.append(sent)
        if as_json:
            _document(sent, app, prepared)
        if len(languages) == 1:
            _finish(sent)
        else:
            _counts(sent)
        if sent.outbox is not None:
            output.say(f"Outbox:     {sent.outbox}")
    if len(languages) > 1:
        for sent in sent_all:
            sent.outcome.check(dry_run=sent.outbox is not None)


@main.command("resume")
@click.argument("campaign_id", metavar="CAMPAIGN", cls=CampaignArgument)
@click.option("--resend-unknown", is_flag=True, help="Also resend recipients whose fate is unknown (they may get it twice).")
@click.option("--retry-failed", is_flag=True, help="Also send again to the recipients SendGrid refused (after you fixed why).")
@click.option("--yes", is_flag=True, help="Do not ask before sending (a live or test campaign).")
@output.json_option
@pass_app
def resume_command(app: AppContext, campaign_id: str, resend_unknown: bool, retry_failed: bool, yes: bool, as_json: bool) -> None:
    """Continue an interrupted send: the recipients not sent yet, never the ones already accepted.

    It says which campaign and how many journalists, and asks before a live or test send, as
    `mailer send` does (--yes skips the question; with no terminal or with --json it is needed).
    --retry-failed first shows why SendGrid refused recipients, then sends to them again.
    CAMPAIGN is an id from `mailer campaigns`, or latest (the newest campaign), latest~1
    (the one before it), and so on.
    --json prints one JSON document of the outcome.

    \b
    Example:
        mailer resume 2026-02-19-example
        mailer resume 2026-02-19-example --retry-failed
        mailer resume 2026-02-19-example --resend-unknown --yes --json
    """
    from mailer.send import campaign, status

    app.sends = True  # before the config is read
    if as_json:
        output.start_json()
    campaign_id = app.campaign_id(campaign_id)
    parts_written(app, campaign_id)
    where = status.status(app.engine, campaign_id, rehearse=False, config=app.config, command="resume")  # it rehearses below
    left = 0
    rehearsal = None
    campaign.check_resumable(
        app.config, where.campaign, now=_log_now(app.engine)
    )  # cancelled, or a cancel asked: said first, not after a plan it will not follow (nc11b)
    campaign.check_not_driven(app.engine, campaign_id)  # sent right now elsewhere: said before a plan it cannot follow
    lists = None
    if where.campaign.mode is Mode.LIVE:  # its lists as they are now: who opted out there meanwhile is skipped (session 23)
        from mailer.send.prepare import lists_now

        lists = lists_now(app.engine, app.config, where.campaign)
        for words in lists.warnings():
            output.warn(words)
    if where.campaign.mode is not Mode.DRY_RUN:  # a live send: it mails journalists (review 8: it asked nothing)
        counts = where.counts
        # The resume's own steps, rolled back: the question counts exactly whom it will mail (review 8b, 11b).
        rehearsal = campaign.rehearse_resume(
            app.engine, app.config, where.campaign, resend_unknown=resend_unknown, retry_failed=retry_failed, lists=lists
        )
        elsewhere, left = rehearsal.elsewhere, rehearsal.left
        if not as_json and not (_resumable(counts) or elsewhere.taken_back):
            # nobody left at all, none to send again: no question, no totals of a send that did not happen (fix 10)
            if where.skipped.get(RejectReason.CALLED_OFF.value, 0):
                # Its rest called off by `mailer cancel` (review 24s #3: "every journalist ... was sent to", of a send
                # that never mailed them): said as status says it, with the send that reaches them.
                output.say(f"Nothing to resume: the rest of {campaign_id} was called off (mailer cancel), so a resume mails nobody.")
                for step in where.next_steps:
                    output.say(step)
            elif counts.get(MessageState.ACCEPTED.value, 0):
                output.say(f"Nothing to resume: every journalist of {campaign_id} was sent to.")
            else:  # every row skipped (suppressed, already received, ...): nobody was sent to at all
                output.say(f"Nothing to resume: {campaign_id} has nobody to send to.")
            return
        planned_left = counts.get(MessageState.PLANNED.value, 0) and not counts.get(MessageState.SENDING.value, 0)
        if not as_json and planned_left and not left:  # each planned one would be skipped now
            if rehearsal.kept_out:  # ended for good on what the lists say now: said, and asked, first (review 23c)
                output.step(f"Campaign:   {campaign_id} ({where.campaign.mode.value}, {where.shown_status})")
                output.step("Left:       nobody: the lists now keep out every journalist it had left, so it would end")
                output.step(_kept_out_line(rehearsal.kept_out))
                _confirm(f"End {campaign_id} without mailing them?", yes=yes)
            _settle(app, where.campaign, rehearsal, lists)
            return
        campaign.sent_versions(app.config, where.campaign, app.engine)  # a changed file: refused before the question
        output.step(f"Campaign:   {campaign_id} ({where.campaign.mode.value}, {where.shown_status})")
        output.step(f"Subject:    {shown_subject(where.campaign.subject)}")
        output.step(
            f"Left:       {counted(left, 'journalist')} to send to" if left else "Left:       nobody: there is nothing more to send"
        )
        if not left:  # what a resume could still do, with a flag (nc9: "Left: 0" and totals, nothing said)
            unknown_left, failed_left = counts.get(MessageState.UNKNOWN.value, 0), counts.get(MessageState.FAILED.value, 0)
            if unknown_left and not resend_unknown:
                output.hint(
                    f"{counted(unknown_left, 'recipient')} {'is' if unknown_left == 1 else 'are'} unknown: --resend-unknown sends to them again (they may get it twice)."
                )
            if failed_left and not retry_failed:
                output.hint(f"{counted(failed_left, 'recipient')} failed: --retry-failed sends to them again, once the cause is fixed.")
        if elsewhere.skipped:
            output.step(
                f"Skipped:    {counted(elsewhere.skipped, 'journalist')} another send of this same release has reached since, "
                "or is sending to right now"
            )
        if elsewhere.taken_back:
            output.step(
                f"Taken back: {counted(elsewhere.taken_back, 'journalist')} left to another send of this release, "
                "which stopped without mailing them"
            )
        if rehearsal.kept_out:
            output.step(_kept_out_line(rehearsal.kept_out))
        if left:
            app.config.api_key(os.environ)  # before the question (newcomer 11)
            passed = status.time_passed_words(where.campaign, now=_log_now(app.engine))
            if passed:  # a scheduled send resumed late goes out at once
                output.warn(passed)
            _confirm(f"Send {campaign_id} to {'that journalist' if left == 1 else f'those {left:,} journalists'}?", yes=yes)
    if retry_failed:
        if rehearsal is not None:  # those it mails again: not whom the lists opt out, suppressed or reached since
            failed = list(rehearsal.retried)
        else:
            failed = [
                (error, count)
                for state, error, count in status.status(app.engine, campaign_id, rehearse=False).errors
                if state == MessageState.FAILED
            ]
        failed_before = where.counts.get(MessageState.FAILED.value, 0)
        if not failed and failed_before:
            output.say(
                f"Nobody is sent again of the {counted(failed_before, 'recipient')} that failed: "
                f"{'that one is' if failed_before == 1 else 'they are'} skipped now."
            )
        elif not failed:
            output.say(f"No failed recipients in {campaign_id}.")
        for error, count in failed:
            output.step(f"Sending again to {counted(count, 'recipient')} that failed with: {error}")
    with _totals_when_stopped():
        sent = campaign.resume(
            app.engine,
            app.config,
            campaign_id,
            environ=os.environ,
            resend_unknown=resend_unknown,
            retry_failed=retry_failed,
            progress=output.progress,
            warn=output.warn,
            lists=lists,
        )
    if as_json:
        _document(sent, app, None)
    elif left and sent.outcome.found_nobody:
        # Sent meanwhile by another process (a colleague's resume) while the question waited: not
        # the totals of a send this resume made (newcomer 15 #9: "Accepted: 6", as if it had mailed them).
        # Or called off by `mailer cancel` meanwhile (review 20a: "were mailed" of journalists nobody mailed).
        skipped = status.status(app.engine, campaign_id, rehearse=False).skipped
        called_off = min(max(skipped.get(RejectReason.CALLED_OFF.value, 0) - where.skipped.get(RejectReason.CALLED_OFF.value, 0), 0), left)
        who = "that journalist was" if left == 1 else f"those {left:,} journalists were"
        cancel = "called off (mailer cancel, in another terminal or by a colleague)"
        mailed = "mailed by another process (a colleague's resume, or another terminal)"
        if called_off == left:
            done = f"{who} {cancel}"
        elif called_off:
            done = f"of those {left:,} journalists, {called_off:,} {'was' if called_off == 1 else 'were'} {cancel} and the others {mailed}"
        else:
            done = f"{who} {mailed}"
        output.say(f"Nothing sent: {done} while the question waited, so this resume mailed nobody.")
        output.hint(f"See where it stands with: mailer status {campaign_id}")
        return
    _finish(sent)


# -- helpers ---------------------------------------------------------------------------------


def _kept_out_line(kept: Mapping[str, int]) -> str:
    """The resume's line for those its campaign's lists keep out now, an empty consent cell said as such."""
    from mailer.store.messages import EMPTY_CONSENT

    line = f"Skipped:    {counted(sum(kept.values()), 'journalist')} the lists now mark as opted out or without consent"
    empty = kept.get(EMPTY_CONSENT, 0)
    return line + (f" ({empty:,} of them as their consent cell is empty)" if empty else "")


def _settle(app: AppContext, found: Campaign, rehearsal: Rehearsal, lists: ListsNow | None) -> None:
    """A resume that finds nobody left to mail (each had the release from another send since, or
    was suppressed meanwhile): the campaign ends, saying why, instead of staying paused for ever
    (newcomer 10 #2). Its file may have changed since: nothing is sent, so that does not matter."""
    from mailer.send import campaign, delivery

    output.say(f"Nothing to resume: nobody is left to send {found.id} to.")
    if rehearsal.recovered:  # as the run marks them (delivery.settle): never sent again by itself (newcomer 15 #13)
        output.say(
            f"{counted(rehearsal.recovered, 'journalist')} {'was' if rehearsal.recovered == 1 else 'were'} on their way to "
            "SendGrid when the send stopped (their request was in flight and no answer was logged): they may already have "
            "the email, so they are marked unknown and not sent again."
        )
    for words in rehearsal.elsewhere.words():
        output.say(words)
    if rehearsal.suppressed:
        output.say(
            f"{counted(rehearsal.suppressed, 'journalist')} skipped: suppressed (unsubscribed, bounced or added by hand) since it was planned."
        )
    if lists is not None:
        said = delivery.kept_out_words(campaign.settle_kept_out(app.engine, found, lists))
        if said is not None:
            output.say(said)
    ended = campaign.settle(app.engine, app.config, found)
    if ended is CampaignStatus.PAUSED:  # planned again meanwhile (another send stopped without them)
        output.say(f"Someone is left to send to after all: run `mailer resume {found.id}` again.")
    else:
        output.say(f"{found.id} is now marked {ended.value}.")
        if rehearsal.recovered:  # the unknown ones need her: exit 3 and what settles them, as at a run's end
            delivery.outcome(app.engine, found.id).check()


def _resumable(counts: Mapping[str, int]) -> bool:
    """Whether a campaign with these counts per state has anyone a resume could send to: planned,
    in flight, or unknown or failed (sent again with a flag)."""
    states = (MessageState.PLANNED, MessageState.SENDING, MessageState.UNKNOWN, MessageState.FAILED)
    return any(counts.get(state.value, 0) for state in states)


def _finish(sent: campaign.Sent) -> None:
    """Say how the send ended; exit 1 when stopped, 3 when recipients need attention."""
    _counts(sent)
    sent.outcome.check(dry_run=sent.outbox is not None)


def _held_until(sent: campaign.Sent, scheduled: datetime | None, office_zone: str | None = None, *, now: datetime) -> None:
    """After a scheduled send's totals, that nothing has gone out yet and how to call it off, as
    `mailer status` of it begins (newcomer 22 #4: "Accepted: 41" under a "Sending" bar read as sent)."""
    from mailer import scheduled as scheduled_words
    from mailer.send import schedule

    if sent.outbox is not None or scheduled is None or not sent.outcome.counts.get(MessageState.ACCEPTED.value, 0):
        return
    if scheduled <= now:  # its time passed while it was handed over: it went out at once
        return
    shown = on_office_clock(scheduled, office_zone)  # as the plan's Scheduled: line says it (newcomer 25 #1)
    output.hint(f"{scheduled_words.held(shown)}: nothing has gone out yet. {schedule.cancel_words(sent.campaign_id, scheduled, now=now)}")


def _counts(sent: campaign.Sent) -> None:
    """Say how the send ended (accepted, failed, ...)."""
    counts = sent.outcome.counts
    if sent.outbox is not None:
        written = counts[MessageState.ACCEPTED.value]
        output.say(f"Written:    {written:,} email{'s' if written != 1 else ''}, as SendGrid would have received them")
    else:
        output.say(_totals(counts))


def _totals(counts: Mapping[str, int]) -> str:
    """ "Accepted:   10   failed: 0   unknown: 0   not sent yet: 15   skipped: 0" (then "   cancelled: 25"
    when a cancel given elsewhere stopped the send: models.shown_counts)."""
    cancelled = counts.get(CANCELLED, 0)
    return (
        f"Accepted:   {counts.get(MessageState.ACCEPTED.value, 0):,}   failed: {counts.get(MessageState.FAILED.value, 0):,}   "
        f"unknown: {counts.get(MessageState.UNKNOWN.value, 0):,}   not sent yet: {counts.get(MessageState.PLANNED.value, 0):,}   "
        f"skipped: {counts.get(MessageState.SKIPPED.value, 0):,}" + (f"   cancelled: {cancelled:,}" if cancelled else "")
    )


@contextmanager
def _totals_when_stopped() -> Iterator[None]:
    """A send or resume that stops on an error (SendGrid down, the key refused) says how far it got
    before the error, with the totals line of a finished send (newcomer 11b)."""
    try:
        yield
    except MailerError as error:
        if error.counts is not None:
            output.say(_totals(error.counts))
        raise


def _outbox_contents(sent: campaign.Sent) -> str:
    """What the dry run wrote: every request body, and whose .eml."""
    recipients = sent.outcome.counts[MessageState.ACCEPTED.value]
    if sent.eml_written is None or sent.eml_written >= recipients:
        return "one .json per request, one .eml per journalist"
    return f"one .json per request; .eml for the first {counted(sent.eml_written, 'journalist')}, --eml all for everyone"


def _document(sent: campaign.Sent, app: AppContext, prepared: campaign.Prepared | None) -> None:
    """The --json document of a send, test or resume (keys in the README, "--json")."""
    from mailer.compose import preview
    from mailer.store import display_url as store_display_url

    outcome = sent.outcome
    counts = dict(outcome.counts)
    document: dict[str, Any] = {"campaign": sent.campaign_id}
    if prepared is not None:
        logged = sent.plan or prepared.plan  # as written: record may skip some at the last moment (promise 8)
        skipped = logged.skipped()
        document |= {
            "mode": prepared.mode.value,
            "subject": preview.subject(prepared.rendered),  # as the plan shows it, no SendGrid token (review 12b #6)
            "scheduled": prepared.scheduled.astimezone(UTC).isoformat(timespec="seconds") if prepared.scheduled else None,
            "recipients": len(logged.recipients),
            "skipped": dict(sorted(skipped.items())),
            "requests": logged.request_count,  # the requests that leave (or, for a dry run, are written)
        }
        if logged.versions:
            document["languages"] = logged.version_counts()
        if prepared.is_test:
            document["to"] = [m.email for m in logged.recipients]
        if prepared.follow_up_of is not None:
            who = prepared.filters.get("follow_up", {}).get("who")
            document["follow_up"] = {"of": prepared.follow_up_of, "who": who, "plan": prepared.follow_up}
    document |= {
        "counts": counts,
        "errors": [{"state": state, "error": error, "recipients": n} for state, error, n in outcome.errors],
        "complete": not outcome.interrupted
        and not outcome.needs_attention
        and not counts.get(MessageState.PLANNED.value)
        and not counts.get(MessageState.SENDING.value),
        "interrupted": outcome.interrupted,
        "outbox": str(sent.outbox) if sent.outbox is not None else None,
        "eml_written": sent.eml_written if sent.outbox is not None and sent.eml_written is not None else None,
        "skipped_file": str(sent.skipped_file) if sent.skipped_file is not None else None,
        "log": store_display_url(app.config.database.url),
    }
    output.print_document(document)


def _confirm(question: str, *, yes: bool, asking_only: bool = False) -> None:
    """Ask before sending; "no" is a choice, not an error: "Nothing was sent." and exit 0.
    ``asking_only``: only check that the question can be asked (the caller asks it)."""
    if yes:
        return
    if output.in_json():
        raise SendError(
            f'Not sending: a live send with --json needs --yes (--json asks no questions; this one was: "{question}").',
            hint="Add --yes to send (the plan above went to standard error), or leave out --json to be asked.",
        )
    if not stdin_is_terminal():
        raise SendError("Not sending: there is no terminal to confirm on.", hint="Add --yes to send without the question.")
    if asking_only:
        return
    if not output.confirm(question):
        output.say("Nothing was sent.")
        click.get_current_context().exit(0)


def _correction(prepared: campaign.Prepared, *, yes: bool) -> campaign.Prepared:
    """Ask whether the journalists an earlier version reached get the corrected one too; "no"
    sends to the others only, or nothing when nobody is left (newcomer 10: "no" sent nobody)."""
    question = prepared.correction or ""
    _confirm(question, yes=yes, asking_only=True)
    if yes or output.confirm(question):
        return prepared
    fewer = prepared.without_correction()
    if not fewer.plan.recipients:
        output.say("Nothing was sent.")
        click.get_current_context().exit(0)
    output.say(f"Sending to the other {counted(len(fewer.plan.recipients), 'journalist')} only.")
    return fewer


def _skipped_parts(skipped: Mapping[str, int], words: Callable[[str, int], str]) -> list[str]:
    """The plan's skipped rows per reason ("1 invalid, 2 suppressed"), the rows a list's own opt-out
    or consent column turned away counted as `lists check` counts them: "1 opted out, 2 without
    consent", "suppressed" left to the log's suppressions (review 21 #1: a GDPR list's rows without
    consent read "2 suppressed", as if they had unsubscribed or bounced)."""
    listed = {RejectReason.OPTED_OUT.value: "opted out", RejectReason.NO_CONSENT.value: "without consent"}
    return [f"{n:,} {listed.get(reason) or words(reason, n)}" for reason, n in skipped_in_order(skipped)]


def _scheduled_words(moment: datetime, office_zone: str | None) -> str:
    """When a scheduled send goes out, as the plan says it: UTC, the zone it was written in, and the
    office's clock ([reports] time_zone) when that is another (newcomer 24 #1: a London office's
    `--at "... 09:00 GMT"` on a summer day read "09:00 UTC" alone, where `mailer status` then said
    "(10:00 Europe/London)": an hour after the time she meant, and the plan she confirmed never said so)."""
    shown = schedule.describe(moment)
    written = getattr(moment.tzinfo, "key", None) or moment.tzname() or ""
    if not office_zone or written.casefold() == office_zone.casefold():
        return shown
    office = on_office_clock(moment, office_zone)
    clock = f"{office:%H:%M}" if office.date() == moment.astimezone(UTC).date() else f"{office:%Y-%m-%d %H:%M}"
    return f"{shown[:-1]}; {clock} {office_zone})" if shown.endswith(")") else f"{shown} ({clock} {office_zone})"


def _show_plan(
    prepared: campaign.Prepared,
    *,
    where: tuple[str, ...],
    tag: tuple[str, ...],
    sandbox: bool = False,
    stand_in: str | None = None,
    office_zone: str | None = None,
) -> None:
    from mailer.compose import preview
    from mailer.send.status import skipped_words

    the_plan, sender = prepared.plan, prepared.sender
    skipped = the_plan.skipped()
    mode = "DRY RUN (nothing will be sent)" if prepared.mode is Mode.DRY_RUN else "live send"
    if sandbox and prepared.mode is not Mode.DRY_RUN:  # nc12b #4: it read like a real send
        mode = "live send to SendGrid's sandbox ([sendgrid] sandbox = true): checked by SendGrid, delivered to nobody"
    elif stand_in and prepared.mode is not Mode.DRY_RUN:  # a rehearsal the log keeps as a live send (README: rehearse in a copy)
        mode = (
            f"live send to a stand-in on this computer ([sendgrid] api_url = {stand_in}), not to SendGrid: nobody gets "
            "an email, but the delivery log records them as sent, so a later send of this release from it skips them"
        )
    output.step(f"Mode:       {mode}")
    output.step(f"Subject:    {preview.subject(prepared.rendered)}")  # as the preview showed it, no SendGrid token
    output.step(
        f"From:       {sender['from_name']} <{sender['from_email']}>" + (f", replies to {sender['reply_to']}" if sender["reply_to"] else "")
    )
    if prepared.rendered.template:
        output.step(f"Template:   {prepared.rendered.template} (the office's own, in place of the built-in one)")
    output.step(
        f"Lists:      {', '.join(prepared.lists)}"
        + (f" (filter: {' '.join([*where, *('tag=' + t for t in tag)])})" if where or tag else "")
    )
    if prepared.follow_up:
        output.step(f"Follow-up:  {prepared.follow_up}")
    output.step(f"Recipients: {len(the_plan.recipients):,}")
    if the_plan.versions:  # which language version how many journalists get (their language column)
        counts = the_plan.version_counts()
        main_language = the_plan.rendered.language
        output.step(
            "Languages:  "
            + ", ".join(
                f"{n:,} {language}" + (" (main version: no or other language)" if language == main_language else "")
                for language, n in counts.items()
            )
        )
    output.step(
        f"Skipped:    {sum(skipped.values()):,}" + (" (" + ", ".join(_skipped_parts(skipped, skipped_words)) + ")" if skipped else "")
    )
    for line in prepared.turned_away:  # which of the lists' own columns said so (review 22b #8)
        output.step(f"            {output.one_line(line)}")
    output.step(f"Requests:   {the_plan.request_count:,} (up to {counted(the_plan.request_size, 'recipient')} each)")
    output.step(f"Scheduled:  {_scheduled_words(prepared.scheduled, office_zone)}" if prepared.scheduled else "Scheduled:  now")
    for warning in prepared.warnings:
        output.warn(warning)


def _log_now(engine: Engine) -> datetime:
    """Now by the delivery log's clock (its server's, for a team's PostgreSQL log: ``store.clock``)."""
    from mailer.store import clock

    return clock.now(engine)
