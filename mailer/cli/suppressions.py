"""``mailer suppressions ...`` and ``mailer lists prune``: who is never mailed again."""

from __future__ import annotations

import os
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.cli.lists import DELIMITER_CHOICES, delimiter_option, list_files, lists_group
from mailer.counting import counted
from mailer.errors import ListError, MailerError
from mailer.models import (
    NO_CONSENT_IN_LIST,
    NOT_CONSENTED_IN_LIST,
    OPTED_OUT_IN_LIST,
    ListSummary,
    RejectedRow,
    RejectReason,
    SuppressionReason,
)

if TYPE_CHECKING:
    from mailer.store.suppressions import Suppression

# `mailer lists ...` imports this module on every run (it registers `lists prune`), so the
# store, SQLAlchemy, the sendgrid library and the list reader load inside the commands.


@main.group("suppressions")
def suppressions_group() -> None:
    """Addresses never mailed again: bounced, blocked, complained, unsubscribed or added by hand.

    \b
    Example:
        mailer suppressions list
    """


@suppressions_group.command("sync")
@output.json_option
@pass_app
def sync_command(app: AppContext, as_json: bool) -> None:
    """Copy SendGrid's bounce, invalid, spam-report and unsubscribe lists (and, with [sendgrid] asm_group_id,
    that group's unsubscribes) into the log; its blocks are counted, not suppressed.

    Needs the API key (with Suppressions read access) in the environment variable named
    by [sendgrid] api_key_env. --json prints the counts as one JSON document.

    \b
    Example:
        mailer suppressions sync
        mailer suppressions sync --json
    """
    from mailer.events import suppression_sync

    if as_json:
        output.start_json()
    from mailer.store import suppressions as suppression_store

    config = app.config
    api_key = config.api_key(os.environ, permission="Suppressions read")
    engine = app.engine
    with output.progress("Reading SendGrid's lists", total=None) as advance:
        result = suppression_sync.sync(
            engine,
            api_key=api_key,
            api_url=config.sendgrid.api_url,
            timeout=config.sendgrid.timeout,
            on_page=lambda _name, size: advance(size),
            group_id=config.sendgrid.asm_group_id,  # the unsubscribe group journalists leave by (review 23b #4)
        )
    with engine.connect() as connection:
        total = len(suppression_store.reasons(connection))
    if as_json:
        output.print_document(
            {
                "lists": {name: {"found": result.found[name], "added": result.added[name]} for name in result.found},
                "added": sum(result.added.values()),
                "suppressed": total,
            }
        )
    output.table(
        "SendGrid suppression lists",
        ["list", "on SendGrid", "new here"],
        [
            (f"unsubscribe group {config.sendgrid.asm_group_id}" if name == suppression_sync.GROUP_LIST else name.replace("_", " "),)
            + (result.found[name], result.added[name])
            for name in result.found
        ],
    )
    added = sum(result.added.values())
    output.say(f"{added} address{'es' if added != 1 else ''} newly suppressed; {total} suppressed in all.")
    blocked = result.found.get("blocks", 0)
    if blocked:  # a block refuses one email, not the mailbox (review 23b #1)
        output.say(
            f"SendGrid's blocks list ({counted(blocked, 'address', 'addresses')}) was not copied: "
            "a block is a server refusing one email (its content, or the sender's reputation), and SendGrid itself keeps "
            f"mailing blocked addresses. The webhook suppresses an address once it is blocked [webhook] block_threshold "
            f"times ({app.config.webhook.block_threshold}); to stop mailing one now: mailer suppressions add EMAIL."
        )


@suppressions_group.command("list")
@click.option("--reason", "reason_filter", type=click.Choice([r.value for r in SuppressionReason]), help="Only this reason.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--removed", is_flag=True, help="Show the addresses taken off the list instead, and why.")
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the list to a CSV file a spreadsheet opens (email, reason, source, since, note).",
)
@click.option(
    "--delimiter",
    type=click.Choice(sorted(DELIMITER_CHOICES)),
    default=None,
    help="With -o: the CSV's delimiter (default: that of the newest campaign's press lists when they share one, else comma).",
)
@pass_app
def list_command(
    app: AppContext, reason_filter: str | None, as_json: bool, removed: bool, path: Path | None, delimiter: str | None
) -> None:
    """Show every suppressed address, newest first, with why and since when.

    --removed shows instead who was taken off the list, when, and the reason given.
    -o FILE.csv writes the list for a spreadsheet or another tool (UTF-8, spreadsheet-safe),
    with the delimiter of the office's press lists (those of the newest campaign: a semicolon
    list gives a semicolon file) unless --delimiter says otherwise.

    \b
    Example:
        mailer suppressions list --reason bounce
        mailer suppressions list -o do-not-contact.csv
    """
    from mailer.store import suppressions as suppression_store

    if as_json:
        output.start_json()  # an error becomes the JSON error document too (review 8)
    if delimiter is not None and path is None:
        raise click.UsageError(f"--delimiter {delimiter} is for the CSV file -o writes: add -o FILE.csv.")
    with app.engine.connect() as connection:
        lifted = suppression_store.removals(connection) if removed else []
        everyone = [] if removed else suppression_store.every(connection)
    if removed:
        if as_json:
            output.print_json(
                [{"email": r.email_key, "was": r.previous_reason, "reason": r.note, "removed": r.removed_at.isoformat()} for r in lifted]
            )
            return
        output.say(f"{len(lifted)} address{'es' * (len(lifted) != 1)} taken off the suppression list")
        output.grid(
            ["email", "was", "removed (UTC)", "reason"],
            [(r.email_key, r.previous_reason, r.removed_at.strftime("%Y-%m-%d %H:%M"), r.note) for r in lifted],
            keep=("email",),
            drop=("removed (UTC)",),
        )
        return
    entries = [s for s in everyone if reason_filter is None or s.reason == reason_filter]
    if path is not None:
        _write_csv(app, path, entries, delimiter=app.list_delimiter(delimiter))
        output.say(f"Wrote {len(entries)} suppressed address{'es' * (len(entries) != 1)} to {path}")
        return
    if as_json:
        output.print_json(
            [
                {"email": s.email_key, "reason": str(s.reason), "source": s.source, "since": s.created_at.isoformat(), "note": s.note}
                for s in entries
            ]
        )
        return
    # The address whole, always (newcomer review 8: cut to 18 characters on 80 columns, and when
    # redirected): the other columns make room, or are left out.
    output.say(f"{len(entries)} suppressed address{'es' * (len(entries) != 1)}")
    output.grid(
        ["email", "reason", "from", "since (UTC)", "note"],
        [(s.email_key, s.reason, s.source, s.created_at.strftime("%Y-%m-%d %H:%M"), s.note or "") for s in entries],
        keep=("email",),
        drop=("from", "since (UTC)"),
    )


@suppressions_group.command("add")
@click.argument("emails", nargs=-1, required=True)
@click.option("--reason", "note", required=True, help="Why, in your words (kept with the entry).")
@pass_app
def add_command(app: AppContext, emails: tuple[str, ...], note: str) -> None:
    """Never mail these addresses again (until removed).

    \b
    Example:
        mailer suppressions add jane@example.org --reason "asked by phone to stop"
    """
    from mailer.cli.usage import reason_in_pieces

    reason_in_pieces(click.get_current_context(), note, emails, lambda word: "@" in word)
    app.changes = "nothing was suppressed, since it would go on the other file's suppression list, not this folder's."  # before the config is read (review 15s #5)
    from mailer.events import suppressions

    done = suppressions.add(app.engine, emails, note=note, waiting=output.note)
    _say_suppressed(done.added, done.given)
    for campaign_id, count in done.taken_out.items():  # let through by name there: the newer word wins (review 12b #8)
        output.say(
            f"Also taken out of {campaign_id}, which let them through by name (--override-suppression): {counted(count, 'journalist')} skipped."
        )
    for campaign_id, keys in done.on_its_way.items():  # a send going out now had their request out (newcomer 17 #10)
        named = ", ".join(keys)
        output.warn(
            f"{named} may get it from {campaign_id} all the same: that send's request to "
            f"{'them' if len(keys) > 1 else 'this address'} was on its way to SendGrid as the suppression was saved, "
            "and what SendGrid takes cannot be called back. No later request or send mails "
            f"{'them' if len(keys) > 1 else 'it'}."
        )
    from mailer.send import status

    for held in status.held_at_sendgrid(
        app.engine, suppressions.addresses_typed(emails)
    ):  # a scheduled send SendGrid holds still mails them
        output.warn(held.warning(app.config.reports.time_zone))


@suppressions_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--reason", "note", required=True, help="Why, in your words (kept with each entry).")
@pass_app
def import_command(app: AppContext, files: tuple[Path, ...], note: str) -> None:
    """Never mail the addresses in these files again: a do-not-contact list, an old tool's
    bounces or unsubscribes, a colleague's opt-outs.

    Each file is read as a press list is (any spreadsheet's CSV or text export; the address
    column found by its header). A file written by `mailer suppressions list -o` keeps each
    address's own reason and note. Rows without a valid address are listed with their file and
    row and not imported; the others are.

    \b
    Example:
        mailer suppressions import do-not-contact.csv --reason "the agency's opt-out list, March 2026"
    """
    from mailer.cli.usage import reason_in_pieces

    reason_in_pieces(click.get_current_context(), note, [str(file) for file in files], lambda word: Path(word).exists())
    app.changes = "nothing was imported, since the addresses would go on the other file's suppression list, not this folder's."  # before the config is read (review 15s #5)
    from mailer import contacts, mailbox
    from mailer.store import suppressions as suppression_store

    try:
        loaded = contacts.load(list(files), opted_out_exports=True)  # Mailchimp's unsubscribed export belongs here
    except ListError as exc:  # one file missing or unreadable: none of them goes in, and the message says so (fix12r)
        others = f", from any of the {len(files)} files" if len(files) > 1 else ""
        raise ListError(f"{exc.message} Nothing was imported{others}.", hint=exc.hint) from exc
    from mailer.store import clock

    now = clock.now(app.engine)  # the log the records go in: its clock
    unknown: Counter[str] = Counter()
    # A file with an opt-out column (a CRM's "Unsubscribed from all email", a colleague's "Opt-out")
    # says who asked not to be mailed: those rows go in, the others stay out. Read as a press list
    # reads it, the opposite went in, silently (newcomer 18).
    marked = _opt_out_columns(loaded.files)
    # an empty consent cell is no consent, not an opt-out: not made a suppression for good (review 20c #4)
    opted = [row for row in loaded.rejected if row.reason is RejectReason.SUPPRESSED and not row.detail.startswith(NO_CONSENT_IN_LIST)]
    not_marked = Counter(c.source for c in loaded.contacts if c.source in marked)
    not_marked.update(
        row.source for row in loaded.rejected if row.reason is RejectReason.SUPPRESSED and row.detail.startswith(NO_CONSENT_IN_LIST)
    )
    records = [_imported(c.email_key, c.fields, note, now, unknown) for c in loaded.contacts if c.source not in marked]
    records += [_imported(mailbox.key(row.email), {}, note, now, unknown) for row in opted]
    # A file without such a column goes in whole: its row repeating an address an opt-out column
    # keeps out (the CRM's "Do Not Email": no, read first) goes in too (review 18z #1: the agency's
    # do-not-contact list named her, and she was mailed).
    taken = {record.email_key for record in records}
    for row in loaded.rejected:
        if row.reason is RejectReason.DUPLICATE and row.source not in marked and mailbox.key(row.email) not in taken:
            taken.add(mailbox.key(row.email))
            records.append(_imported(mailbox.key(row.email), {}, note, now, unknown))
    with app.engine.begin() as connection:
        added = suppression_store.insert(connection, records)
    _say_suppressed(added, len({record.email_key for record in records}), source=f" from {', '.join(map(str, files))}")
    if unknown:
        # each reason a cell of the file, its line break shown as \n (review 20c #3: it printed a "Warning: ..." line of its own)
        named = ", ".join(f'"{output.one_line(reason)}" {count}' for reason, count in unknown.most_common(8))
        output.warn(
            f"{counted(sum(unknown.values()), 'row')} gave a reason press-mailer does not know ({named}): suppressed as "
            "manual, their reason kept in the note. An unsubscribe or spam report named otherwise is not protected as one."
        )
    for summary in loaded.files:  # a second address column, control characters taken out (review 11b)
        for said in summary.notes:
            output.warn(f"{summary.path}: {output.one_line(said)}")
    from mailer.contacts.headers import is_opt_in_header

    for path, headers in marked.items():
        # A row another file's opt-out column marks is imported too, and said apart (review 18z #10: a
        # file whose column was empty said "2 rows marked so were imported")
        elsewhere = sum(1 for row in opted if row.source == path and _marked_elsewhere(row.detail))
        took = sum(1 for row in opted if row.source == path) - elsewhere
        if not not_marked[path] and not elsewhere:  # every row marked, and imported: nothing to warn of (newcomer 25 #9)
            continue
        # Every opt-out column named (review 18z #3: beside "Email Opt Out", "Do Not Email" alone was,
        # and deleting it as told imported again only the rows the other marks).
        named = " and ".join(f'"{output.one_line(header)}"' for header in headers)
        columns = f"its columns {named} say" if len(headers) > 1 else f"its column {named} says"
        # Consent columns only: nobody there opted out; a no is no consent (session 21's leftover #4).
        consent = all(is_opt_in_header(header) for header in headers)
        who, marked_so, rest = (
            ("who gave consent to email", "saying no (or anything but yes or a date)", "saying yes or nothing")
            if consent
            else ("who opted out", "marked so", "not marked (they did not opt out)")
        )
        output.warn(
            f"{path}: {columns} {who}: {counted(took, 'row')} {marked_so} "
            f"{'was' if took == 1 else 'were'} imported, "
            + (
                f"{counted(elsewhere, 'row')} another file marks as opted out {'was' if elsewhere == 1 else 'were'} too, "
                if elsewhere
                else ""
            )
            + f"and {counted(not_marked[path], 'row')} {rest} {'was' if not_marked[path] == 1 else 'were'} not. "
            f"To suppress every address of the file, delete {'those columns' if len(headers) > 1 else 'that column'} and import it again."
        )
    unreadable = [r for r in loaded.rejected if r.reason in (RejectReason.INVALID, RejectReason.MISSING)]
    for row in unreadable[:20]:
        output.warn(f"Not imported: {row.source} row {row.row}: {output.one_line(row.detail)}")
    if len(unreadable) > 20:
        output.warn(f"... and {len(unreadable) - 20} more rows without a valid address: `mailer lists check FILE` lists them all.")
    from mailer.send import status

    for held in status.held_at_sendgrid(
        app.engine, [record.email_key for record in records]
    ):  # a scheduled send SendGrid holds still mails them
        output.warn(held.warning(app.config.reports.time_zone))


@main.command("carry-over")
@click.argument("old_log")
@pass_app
def carry_over_command(app: AppContext, old_log: str) -> None:
    """Carry the log your office used before into the one mailer.toml names: its suppressions
    (bounced, unsubscribed, forgotten) and who had which release, so that a send from this log
    mails neither the suppressed nor, of the same release, those who already had it.

    OLD_LOG is the old log's file (an office folder's out/mailer.db) or its URL. Run it once after
    setting [database] url to the new log (the team's), before its first send; running it again
    adds only what is missing. What the old log holds stays as it is.

    \b
    Example:
        mailer carry-over out/mailer.db
    """
    app.changes = "nothing was carried over, since it would go into the other file's log, not this folder's."
    from mailer import carry

    engine = app.engine
    with output.progress("Carrying over who had which release", total=None) as advance:
        done = carry.over(engine, old_log, advance=advance)
    output.say(f"Carried over from {done.origin}:")
    output.say(f"  {counted(done.suppressed, 'suppressed address', 'suppressed addresses')} ({done.suppressed_new:,} new here)")
    journalists = sum(one.journalists for one in done.campaigns)
    new = sum(one.new for one in done.campaigns)
    output.say(
        f"  {counted(len(done.campaigns), 'live send')}, to {counted(journalists, 'journalist')} ({new:,} new here): "
        "a send of the same release from this log skips them."
    )
    if done.campaigns:
        output.table(
            None,
            ["campaign", "subject", "journalists", "new here"],
            [(c.campaign_id, c.subject, f"{c.journalists:,}", f"{c.new:,}") for c in done.campaigns],
        )
    for lifted in done.lifted:
        output.say(f"  {lifted}: suppressed there, but taken off this log's list since: left off it.")
    for withdrawn in done.withdrawn:
        output.say(f"  {withdrawn} was cancelled there: taken out of this log (a send of its release from here mails its journalists).")
    for address, rows, campaign_ids in done.still_here:  # carry-over erased only what it carried (carry28)
        shown = ", ".join(campaign_ids[:3]) + (", ..." if len(campaign_ids) > 3 else "")
        output.warn(
            f"{address} was forgotten there (mailer forget): their carried rows are erased here, and this log never mails them; "
            f"but this log's own sends still hold their data ({counted(rows, 'message row')} in "
            f"{counted(len(campaign_ids), 'campaign')}: {shown}). To erase them here too: mailer forget {address} --yes"
        )
    for one in done.campaigns:
        if one.waiting:
            output.warn(
                f"{one.campaign_id} stopped before it mailed {counted(one.waiting, 'journalist')}: they do not have it, so a send of "
                "this release from this log mails them. Do not resume it from the old log as well."
            )
    from mailer.send import status

    for held in status.held_at_sendgrid(app.engine, list(done.new_suppressions)):  # a scheduled send SendGrid holds still mails them
        output.warn(held.warning(app.config.reports.time_zone))


def _left_out_words(row: RejectedRow) -> str:
    """Why `lists prune` left out a row that is not a recipient, in a word: "opted out" for a list's
    own opt-out column, "without consent" for its consent column (an empty cell or a no there is no
    opt-out: session 21's leftover #4), else the reason as a plan counts it."""
    if row.reason != RejectReason.SUPPRESSED:
        from mailer.send.status import skipped_words

        return skipped_words(row.reason.value)
    return "without consent" if row.without_consent else "opted out"


def _marked_elsewhere(detail: str) -> bool:
    """Whether an opted-out row's reason names another file's row ("opted out of email (dnc.csv row 3
    says so)", "gave no consent to email (gdpr.csv row 3 says so)"), not its own cell or a row of
    its own file (``contacts.loader._opted_out``)."""
    return detail.endswith(" says so)") and not detail.startswith((f"{OPTED_OUT_IN_LIST} (row ", f"{NOT_CONSENTED_IN_LIST} (row "))


def _opt_out_columns(files: Sequence[ListSummary]) -> dict[str, list[str]]:
    """Each file that has an opt-out column (``headers.is_opt_out_header``, or an opt-in one: ``is_opt_in_header``),
    with every such column's header."""
    from mailer.contacts.headers import is_opt_in_header, is_opt_out_header

    found = {}
    for summary in files:
        # A reason for unsubscribing may be blank in a file of unsubscribes: such a file goes in whole (review 22 #9)
        beside = list(summary.custom.values())
        headers = [
            header
            for header in beside
            if is_opt_out_header(header, reasons=False, beside=beside) or is_opt_in_header(header, beside=beside)
        ]
        if headers:
            found[summary.path] = headers
    return found


def _say_suppressed(added: int, given: int, *, source: str = "") -> None:
    """ "Suppressed 2 addresses from dnc.csv; 1 already was." """
    already = given - added
    output.say(
        f"Suppressed {counted(added, 'address', 'addresses')}{source}"
        + (f"; {already:,} already {'was' if already == 1 else 'were'}." if already else ".")
    )


def _imported(email_key: str, fields: Mapping[str, str], note: str, now: datetime, unknown: Counter[str]) -> Suppression:
    """One imported row as a suppression: its own "reason" cell when it names one
    (``suppressions.reason_named``: a `list -o` file, another tool's export), its own "note" and
    date ("since (UTC)" as `list -o` writes it, or SendGrid's unix "created"); else manual with
    the --reason given. A reason it does not know is counted in ``unknown`` and kept in the note."""
    from mailer.store import suppressions as suppression_store

    said, own_note = fields.get("reason", "").strip(), fields.get("note", "").strip()
    reason = suppression_store.reason_named(said) if said else None
    if said and reason is None:
        unknown[said] += 1
    kept_note = own_note if reason is not None else "; ".join(filter(None, (said, own_note))) or note
    return suppression_store.Suppression(email_key, reason or SuppressionReason.MANUAL, "import", kept_note or note, _since(fields) or now)


def _since(fields: Mapping[str, str]) -> datetime | None:
    """When the address was suppressed, as the file says: "2026-02-19 10:00" (UTC, `list -o`) or
    a unix time (SendGrid's "created"); None when it says nothing readable."""
    text = fields.get("since_utc", "").strip()
    for shape in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, shape).replace(tzinfo=UTC)
        except ValueError:
            continue
    created = fields.get("created", "").strip()
    return datetime.fromtimestamp(int(created), UTC) if created.isdigit() else None


@suppressions_group.command("remove")
@click.argument("emails", nargs=-1, required=True)
@click.option("--reason", "note", required=True, help="Why the address may be mailed again.")
@click.option(
    "--forgotten", "lift_forgotten", is_flag=True, help="Also lift the record of a journalist who asked to be forgotten (mailer forget)."
)
@pass_app
def remove_command(app: AppContext, emails: tuple[str, ...], note: str, lift_forgotten: bool) -> None:
    """Allow these addresses to be mailed again (for example after a journalist asks back in).

    A journalist erased with `mailer forget` stays suppressed unless --forgotten is given too:
    their record is what keeps them from ever being mailed again.

    \b
    Example:
        mailer suppressions remove jane@example.org --reason "resubscribed by email on 3 March"
    """
    from mailer.cli.usage import reason_in_pieces

    reason_in_pieces(click.get_current_context(), note, emails, lambda word: "@" in word)
    app.changes = "nothing was removed, since it would come off the other file's suppression list, not this folder's."  # before the config is read (review 15s #5)
    from mailer.events import suppressions

    lifted = {done.address: done for done in suppressions.remove(app.engine, emails, note=note, forgotten=lift_forgotten)}
    addresses = list(lifted)
    kept = {address: done.still for address, done in lifted.items() if done.lifted}
    for address in addresses:
        entries = lifted[address].lifted
        if not entries:
            output.say(f"{address} was not suppressed.")
        still = kept.get(address)
        for entry in entries:
            spelt = "" if entry.email_key == address else f' (kept as "{entry.email_key}" by an older version)'
            if still is None:
                output.say(f"{address} may be mailed again{spelt} (was: {entry.reason}, since {entry.created_at:%Y-%m-%d}); reason: {note}")
            else:
                output.say(f"{address}: lifted the {entry.reason}{spelt} (since {entry.created_at:%Y-%m-%d}); reason: {note}")
        if still is not None:
            own = "spam report" if still.reason == SuppressionReason.SPAM_REPORT else "unsubscribe"
            output.warn(
                f"{address} stays suppressed ({still.reason}): {still.note}. Lifting {'it' if len(entries) == 1 else 'them'} "
                f"does not undo the journalist's own {own}. Only if they asked to be mailed again: "
                f'mailer suppressions remove {address} --reason "..."'
            )
    if any(e.reason in ("bounce", "spamreport", "unsubscribe") for done in lifted.values() for e in done.lifted):
        output.warn("SendGrid keeps its own suppression lists: remove the address there too, or SendGrid will still drop the mail.")


@lists_group.command("prune")
@list_files
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Where to write the pruned list."
)
@delimiter_option
@pass_app
def prune_command(app: AppContext, files: tuple[Path, ...], out: Path, delimiter: str | None) -> None:
    """Write a copy of press lists without their suppressed addresses, and say how many and why.

    The journalists of all FILEs go to one copy, each address once (as `lists clean` does).
    The copy is written like `lists clean` writes: UTF-8 with a byte-order mark, the first
    list's delimiter unless --delimiter says otherwise.

    \b
    Example:
        mailer lists prune lists/press.csv -o lists/press-pruned.csv
        mailer lists prune lists/press.csv lists/agency.csv -o lists/all-pruned.csv
    """
    from mailer import contacts
    from mailer.store import suppressions as suppression_store

    if out.resolve() in {file.resolve() for file in files}:
        raise MailerError(f"{out}: would overwrite the list being pruned.", hint="Write to another file, for example -o lists/pruned.csv")
    from mailer.cli.lists import BAR_STEPS, LIST_SUFFIXES, bar_share, refuse_workbook

    refuse_workbook(out, "-o", "lists prune")
    app.never_over(out, suffixes=LIST_SUFFIXES)
    with output.progress("Reading lists", total=BAR_STEPS) as advance:
        loaded = contacts.load(files, on_progress=bar_share(advance))
    with app.engine.connect() as connection:
        pruned = contacts.suppress(loaded, suppression_store.reasons(connection))
    written = contacts.write_clean(pruned, out, delimiter=DELIMITER_CHOICES[delimiter] if delimiter else None)
    # The log's suppressions only: rows a list's own opt-out column turned away were rejected already.
    by_reason = Counter(r.detail for r in pruned.rejected[len(loaded.rejected) :] if r.reason == RejectReason.SUPPRESSED)
    left_out = sum(by_reason.values())
    output.say(
        f"Wrote {counted(written, 'journalist')} to {out}; left out {counted(left_out, 'suppressed address', 'suppressed addresses')}."
    )
    for reason, count in by_reason.most_common():
        output.say(f"  {count} {reason}")
    other = Counter(_left_out_words(r) for r in loaded.rejected)
    if other:
        parts = ", ".join(
            f"{count} {reason}{'es' if count != 1 and reason == 'missing address' else ''}" for reason, count in sorted(other.items())
        )
        named = " ".join(shlex.quote(str(file)) for file in files)
        output.say(f"Also left out rows that are not recipients ({parts}); `mailer lists check {named}` shows them.")


def _write_csv(app: AppContext, path: Path, entries: Sequence[Any], *, delimiter: str) -> None:
    """The suppressions as CSV (UTF-8 with a BOM, ``delimiter``, every text cell spreadsheet-safe), replaced whole."""
    import csv

    from mailer import safefile
    from mailer.spreadsheet import safe_cell

    if path.suffix.lower() != ".csv":
        raise MailerError(f"{path}: the suppression list is written as CSV.", hint="Give a file name ending in .csv.")
    app.never_over(path, suffixes=(".csv",), logged_lists=True)
    try:
        with safefile.replacing(path, encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(["email", "reason", "source", "since (UTC)", "note"])
            writer.writerows(
                [
                    safe_cell(s.email_key),
                    safe_cell(str(s.reason)),
                    s.source,
                    s.created_at.strftime("%Y-%m-%d %H:%M"),
                    safe_cell(s.note or ""),
                ]
                for s in entries
            )
    except OSError as exc:
        raise MailerError(f"{path}: cannot be written ({exc.strerror}).", hint="Check the folder exists and is writable.") from exc
