"""``mailer report`` and ``mailer forget``: what happened to a release, and erasing a journalist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.cli.campaigns import parts_written
from mailer.cli.lists import DELIMITER_CHOICES
from mailer.counting import counted
from mailer.errors import MailerError
from mailer.models import shown_subject
from mailer.reports.kinds import FORMATS, KINDS, REPORTS_FOLDER

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Engine

    from mailer import forget as forget_module


def reports_folder(app: AppContext) -> Path:
    """Where `report` writes without -o: out/reports of the office folder (where mailer.toml is),
    as the outbox and previews, whichever of its folders the command runs in (newcomer 14 #2: run
    from releases/, it made releases/out/reports, which forget did not look in); without a
    mailer.toml, of the current folder. Always a full path, so the message says where it is."""
    return (app.office or Path.cwd().resolve()) / REPORTS_FOLDER


EMPTY = {
    "opens": "No opens recorded",
    "clicks": "No clicks recorded",
    "bounces": "No bounces recorded",
    "recipients": "No recipients",
    "outlets": "No recipients",
}


@main.command("report")
@click.argument("campaign_id", metavar="CAMPAIGN", required=False)
@click.option("--kind", type=click.Choice(KINDS), default="summary", show_default=True, help="Which report.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="How to write it (default: a table on the terminal, what the -o file's name ends in, or csv for -o -).",
)
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default for files: out/reports/CAMPAIGN-KIND.EXT in the folder of mailer.toml).",
)
@click.option(
    "--wide", is_flag=True, help="Terminal table: show every column, however wide (otherwise columns that do not fit are left out)."
)
@click.option("--all", "everyone", is_flag=True, help="Recipients report: list the journalists the send's --where excluded too.")
@click.option(
    "--delimiter",
    type=click.Choice(sorted(DELIMITER_CHOICES)),
    default=None,
    help="CSV: the delimiter (default: that of the campaign's press lists when they share one, else comma; "
    "comma for -o -). Semicolon lists give semicolon reports, which open in columns in French or German Excel.",
)
@click.option("--overview", is_flag=True, help="An HTML page of every campaign of a period (--since, --until) instead of one campaign.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%d.%m.%Y"]),  # dots day first, as everywhere (edges 28)
    help="Overview: campaigns sent on or after this day, YYYY-MM-DD or DD.MM.YYYY (on the office's clock: [reports] time_zone, else UTC).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d", "%d.%m.%Y"]),  # dots day first, as everywhere (edges 28)
    help="Overview: campaigns sent on or before this day, YYYY-MM-DD or DD.MM.YYYY (on the office's clock: [reports] time_zone, else UTC).",
)
@pass_app
def report_command(
    app: AppContext,
    campaign_id: str | None,
    kind: str,
    fmt: str | None,
    path: Path | None,
    wide: bool,
    everyone: bool,
    delimiter: str | None,
    overview: bool,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Who got a release, who opened it, who clicked, what bounced and why.

    --kind summary gives the headline figures; recipients, opens, clicks and bounces give one
    row per journalist; outlets rolls them up by outlet and by address domain. --format html
    writes one page to email to your boss (summary, chart, outlets); csv and xlsx open in a
    spreadsheet; a CSV is written with the delimiter of the campaign's press lists (a
    semicolon list gives a semicolon report) unless --delimiter says otherwise. On a terminal the email column is never cut: other columns wrap, and those
    that do not fit are left out (--wide shows them all). The recipients report leaves out the
    journalists the send's --where excluded unless --all. --overview writes one HTML page of
    every campaign sent in a period (--since, --until), with a trend chart. Test sends are
    never reported.
    CAMPAIGN is an id from `mailer campaigns`, or latest (the newest campaign), latest~1
    (the one before it), and so on.

    \b
    Example:
        mailer report 2026-02-19-wetlands-report --kind bounces --format csv -o bounces.csv
        mailer report latest --kind opens -o opens.xlsx    # a spreadsheet for your director
        mailer report --overview --since 2026-01-01 --until 2026-03-31 -o q1.html
    """
    from mailer import reports
    from mailer.reports import formats

    to_stdout = path is not None and str(path) == "-"  # newcomer 11: "-o -" wrote a file named "-"
    if to_stdout:
        fmt = fmt or "csv"  # a pipe takes CSV unless told otherwise (fix12r: it was refused without --format)
        if fmt not in ("csv", "json") or overview:
            raise click.UsageError(
                "-o - writes to the terminal or a pipe: standard output takes csv (the default) or json "
                "(xlsx and html need a file name; --overview is an HTML page)."
            )
        path = None
    fmt = _format(fmt, path)
    if delimiter is not None and (fmt != "csv" or overview):
        raise click.UsageError(f"--delimiter {delimiter} is for CSV files: use it with --format csv (or an -o name ending in .csv).")
    if fmt == "json" and path is None:
        output.start_json()  # an error becomes the JSON error document too (review 8)
    if overview:
        _overview(app, campaign_id, fmt, path, since, until)
        return
    if campaign_id is None:
        raise click.UsageError("Name the campaign to report on (`mailer campaigns` lists them), or use --overview.")
    if since or until:
        raise click.UsageError("--since and --until go with --overview.")
    engine = app.engine
    campaign_id = app.campaign_id(campaign_id, live_only=True)
    if kind != "summary":  # one row per journalist: those whose rows a stopped send left in parts too (newcomer 19 #4)
        parts_written(app, campaign_id, optional=True)
        _say_if_parts_left(engine, campaign_id)
    _say_if_sandboxed(engine, campaign_id)
    zone = app.config.reports.time_zone
    if fmt == "table":
        _print_table(engine, campaign_id, kind, wide=wide, everyone=everyone, time_zone=zone)
        return
    if fmt == "json" and path is None:
        from mailer.reports.figures import summary_table

        summary = reports.summarize(engine, campaign_id).on_clock(zone) if kind == "summary" else None  # counted once
        report = (
            summary_table(summary) if summary is not None else reports.table(engine, campaign_id, kind, everyone=everyone, time_zone=zone)
        )
        import sys

        formats.dump_json(report, output.TerminalJson(), summary)  # type: ignore[arg-type]  # a row at a time, as output.print_json writes
        sys.stdout.flush()
        _say_left_out(report.left_out)
        return
    if to_stdout:  # csv: written whole to a scratch file first (spreadsheet-safe, as every file), then out
        # A pipe feeds a program (awk, cut, a script), which expects commas unless told otherwise.
        _csv_to_stdout(
            engine, campaign_id, kind, everyone=everyone, delimiter=DELIMITER_CHOICES[delimiter] if delimiter else ",", time_zone=zone
        )
        return
    target = path or reports_folder(app) / f"{campaign_id}-{kind}.{fmt}"
    app.never_over(target, logged_lists=True)
    separator = app.list_delimiter(delimiter, campaign_id) if fmt == "csv" else ","
    written = reports.export(
        engine,
        campaign_id,
        kind=kind,
        fmt=fmt,
        path=target,
        everyone=everyone,
        delimiter=separator,
        progress=output.progress,
        time_zone=zone,
    )
    if written is not None and not written.rows:
        output.warn(f"{EMPTY.get(kind, 'Nothing recorded')} for {campaign_id} yet; the file has headings only.")
    what = "report page" if fmt == "html" else f"{kind} report ({counted(len(written.rows) if written else 0, 'row')})"
    output.say(f"Wrote the {what} to {target}")
    if written is not None:
        _say_left_out(written.left_out)


def _csv_to_stdout(engine: Engine, campaign_id: str, kind: str, *, everyone: bool, delimiter: str, time_zone: str | None = None) -> None:
    """The CSV report on standard output (``-o -``): the file -o would write, without its byte-order mark."""
    import sys
    import tempfile

    from mailer import reports

    with tempfile.TemporaryDirectory(prefix="mailer-report-") as scratch:
        written = Path(scratch) / "report.csv"
        exported = reports.export(
            engine, campaign_id, kind=kind, fmt="csv", path=written, everyone=everyone, delimiter=delimiter, time_zone=time_zone
        )
        data = written.read_bytes().removeprefix("\ufeff".encode())  # no BOM in a pipe (nc11b): awk, cut
        if output.stdout_is_terminal():  # read by a person: no cell may act on the terminal (review 18r #4)
            data = shown_csv(data.decode("utf-8"), delimiter).encode("utf-8")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if exported is not None:
        _say_left_out(exported.left_out)


def shown_csv(text: str, delimiter: str) -> str:
    """CSV text as a terminal may be given it: in every cell, what a terminal would act on (an
    escape sequence in a bounce reason a receiving mail server wrote, a bidirectional override)
    shown as ``\\x1b``, ``\\u202e`` (``output.visible``); line ends and delimiters kept. A pipe or a file
    gets the CSV unchanged."""
    return "\r\n".join(delimiter.join(output.visible(part) for part in line.split(delimiter)) for line in text.split("\r\n"))


# What a file's name ends in says how to write it; .htm as well as .html.
_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".html": "html", ".htm": "html"}


def _format(fmt: str | None, path: Path | None) -> str:
    """--format, or the -o file's kind from its name; a UsageError when the two disagree or the
    name says nothing (newcomer review 8: -o recip.xlsx alone printed a table and wrote no file)."""
    if path is None:
        return fmt or "table"
    named = _SUFFIXES.get(path.suffix.lower())
    choices = "--format csv, xlsx, json or html"
    if fmt is None:
        if named is None:
            raise click.UsageError(f"-o {path}: say how to write it with {choices}, or end the file's name in .csv, .xlsx, .json or .html.")
        return named
    if fmt == "table":
        raise click.UsageError(f"--format table prints on the terminal; to write {path}, use {choices}.")
    if named is not None and named != fmt:
        raise click.UsageError(f"--format {fmt} does not match {path} (a .{named} name): change one so they agree.")
    return fmt


def _overview(
    app: AppContext, campaign_id: str | None, fmt: str, path: Path | None, since: datetime | None, until: datetime | None
) -> None:
    if campaign_id is not None:
        raise click.UsageError("--overview covers every campaign of a period: leave out the campaign id (use --since and --until).")
    if fmt not in ("table", "html"):
        raise click.UsageError("--overview writes an HTML page: leave out --format, or use --format html.")
    from zoneinfo import ZoneInfo

    from mailer import reports
    from mailer.reports.exports import period_label

    # The office's days (a Sydney office's 1 December starts at 13:00 UTC on 30 November), as its pages show times.
    zone = app.config.reports.time_zone
    tz: tzinfo = ZoneInfo(zone) if zone else UTC
    start = since.replace(tzinfo=tz) if since else None
    end = (until + timedelta(days=1)).replace(tzinfo=tz) if until else None
    if start and end and end <= start:
        raise click.UsageError("--until is before --since.")
    target = path or reports_folder(app) / "overview.html"
    app.never_over(target, logged_lists=True)
    shown, cancelled, rehearsed, held, late, unfinished, called_off = reports.export_overview(
        app.engine, target, since=start, until=end, time_zone=zone
    )
    label = period_label(start, end)
    if not shown:
        output.warn(f"No live campaign was sent {label}; the page says so.")
    parts = [f"{counted(held, 'send')} scheduled for later, not gone out yet"] if held else []
    parts += [f"{cancelled} cancelled before {'it' if cancelled == 1 else 'they'} went out"] if cancelled else []
    parts += [counted(rehearsed, "sandbox rehearsal")] if rehearsed else []
    parts += [f"{late} cancelled late, with no event saying {'it' if late == 1 else 'they'} went out"] if late else []
    apart = f" ({' and '.join(parts)}, listed apart)" if parts else ""
    output.say(f"Wrote the overview of {shown} campaign{'s' if shown != 1 else ''} {label}{apart} to {target}")
    for stopped_id, note in unfinished:  # the page's "Not finished" lines, with what to do (fix16b #4)
        output.say(f"Not finished: {stopped_id}: {note}")
    for off_id, note in called_off:  # the page's "Called off" lines (review 16r #3)
        output.say(f"Called off: {off_id}: {note}")


def _say_left_out(left_out: int) -> None:
    if left_out:
        who = "1 journalist" if left_out == 1 else f"{left_out} journalists"
        output.note(f"Left out {who} excluded by the send's --where; --all lists them.", wrap=True)


# Terminal columns, least needed first: they are left out in this order until the table fits.
DROP_ORDER = {
    "recipients": (
        "list_and_row",
        "last_event",
        "first_event",
        "bounce_reason",
        "bounce_classification",
        "marked_as_spam",  # newcomer 20b #5: the summary's counts by name; the CSV and --wide keep them
        "unsubscribed",
        "opens",
        "clicks",
        "name",
        "outlet",
        "opens_by_people",
        "bounce",
        "delivery",
        "why_skipped_or_failed",  # kept longer than counts that are 0 on a fresh send (nc11b)
        "state",  # last: without it a skipped journalist reads like one mailed (newcomer 11)
    ),
    "opens": ("last_open", "first_open", "opens", "name", "outlet", "apple_pre_fetch_only", "opens_by_people"),
    "clicks": ("last_click", "first_click", "name", "outlet", "clicks", "links_clicked"),
    # "opened or clicked" (said only of one who opened it all the same) kept long: it is why she counts delivered
    "bounces": ("first_opened_or_clicked", "when", "classification", "name", "outlet", "reason", "opened_or_clicked", "bounce"),
    "outlets": ("opened", "delivered", "bounce_rate", "clicked", "opened_by_people", "by", "note", "recipients", "bounced"),
}


def _without_empty(
    keys: Sequence[str], labels: Sequence[str], rows: Sequence[Sequence[str]], droppable: Sequence[str]
) -> tuple[list[str], list[str], list[tuple[str, ...]], list[str]]:
    """The table without the ``droppable`` columns that are empty in every row (a just-sent
    campaign's event times and bounces: nc11b saw five such columns squeeze the reasons), and the
    labels of those left out."""
    empty = {i for i, key in enumerate(keys) if key in droppable and not any(row[i] for row in rows)}
    kept = [i for i in range(len(keys)) if i not in empty]
    return (
        [keys[i] for i in kept],
        [labels[i] for i in kept],
        [tuple(row[i] for i in kept) for row in rows],
        [labels[i] for i in sorted(empty)],
    )


def _say_if_parts_left(engine: Engine, campaign_id: str) -> None:
    """A list of one row per journalist leaves out those whose rows still wait in the plan's parts,
    which a send still running writes as it goes, and which are written only on a log this user
    may change (review 19r #3: some 11,000 of 25,000 listed on a read-only copy, without a word)."""
    from mailer.send import parts

    left = parts.waiting(engine, campaign_id)
    if left:
        output.warn(
            f"this list leaves out {counted(left, 'journalist')} of the send's plan, not in the delivery log's message table yet: "
            "a send still running writes them as it goes, and mailer writes a stopped send's only on a log it may change. "
            "Run the report again when the send has ended, or where the log may be written."
        )


def _say_if_sandboxed(engine: Engine, campaign_id: str) -> None:
    """A campaign sent to SendGrid's sandbox reads like a send nobody opened: say what it was (nc12b #4)."""
    from mailer.store import campaigns

    with engine.connect() as connection:
        found = campaigns.get(connection, campaign_id)
    if found is not None and found.sandboxed:
        output.warn(
            f"{campaign_id} went to SendGrid's sandbox ([sendgrid] sandbox = true): SendGrid checked it and delivered it to "
            "nobody. Its figures are those of a rehearsal."
        )


def _print_table(engine: Engine, campaign_id: str, kind: str, *, wide: bool, everyone: bool, time_zone: str | None = None) -> None:
    from mailer import reports
    from mailer.reports.figures import in_zone, shown_text, summary_table

    if kind == "summary":  # the figures counted once, for the table and the reach under it
        summary = reports.summarize(engine, campaign_id).on_clock(time_zone)  # the notes' times on the office's clock too
        report = summary_table(summary)
        output.table(
            f"{summary.campaign.id}: {shown_subject(summary.campaign.subject)}",
            report.labels,
            [tuple(map(shown_text, row)) for row in report.rows],
        )
        together = summary.reach
        for line in together.lines() if together is not None else ():
            output.say(line)
        for note in summary.notes():
            output.say(note)
        return
    report = in_zone(reports.table(engine, campaign_id, kind, everyone=everyone, time_zone=time_zone), time_zone)
    campaign = report.campaign
    if not report.rows:
        output.say(f"{EMPTY.get(kind, 'Nothing recorded')} for {campaign_id} yet.")
        _say_left_out(report.left_out)
        _say_notes(engine, campaign_id, time_zone)
        return
    rows = [tuple(map(shown_text, row)) for row in report.rows]
    if kind == "outlets":
        flagged = report.flagged  # not a row whose note only says some were not mailed
        rows = [
            tuple(f"{cell}  ⚠" if i == len(row) - 1 and index in flagged else cell for i, cell in enumerate(row))
            for index, row in enumerate(rows)
        ]
    keys, labels, empty = list(report.keys), list(report.labels), list[str]()
    if not wide:
        keys, labels, rows, empty = _without_empty(keys, labels, rows, DROP_ORDER.get(kind, ()))
    left = output.fitted_table(
        f"{campaign.id}: {kind} ({len(report.rows)})",
        keys=keys,
        labels=labels,
        rows=rows,
        keep_whole=("email",) if kind != "outlets" else ("outlet_or_domain",),
        drop_order=() if wide else DROP_ORDER.get(kind, ()),
        wide=wide,
    )
    if left or empty:
        said = [f"Left out to fit the terminal: {', '.join(left)}."] if left else []
        said += [f"Empty in every row, so left out: {', '.join(empty)}."] if empty else []
        output.note(" ".join([*said, "--wide shows every column; --format csv or xlsx keeps them all."]), wrap=True)
    _say_left_out(report.left_out)
    _say_notes(engine, campaign_id, time_zone)


def _say_notes(engine: Engine, campaign_id: str, time_zone: str | None = None) -> None:
    """Under a per-journalist or outlet table, the sentences the summary says under its figures (held
    by SendGrid, not finished, cancelled, cancel asked late), as the page says them with every kind
    (newcomer 16 #15: "No bounces recorded yet" of a send SendGrid still held said nothing more)."""
    from mailer import reports

    for note in reports.summarize(engine, campaign_id).on_clock(time_zone).notes():
        output.say(note)


@main.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@output.json_option
@pass_app
def forget_command(app: AppContext, email: str, yes: bool, as_json: bool) -> None:
    """Erase a journalist's personal data, keeping a minimal record so they are never mailed again.

    Their address, name, outlet and other fields leave every campaign's message rows (and the
    colleagues' rows of test sends made --as them), and the address, bounce texts and links leave
    every event; where another row quotes the address (an error, a note), "(forgotten)" takes its
    place. Campaign counts stay the same. The
    address stays on the suppression list (reason "forgotten") so no later send reaches it.
    Dry-run and `mailer show` files naming them are deleted (request bodies and skipped.csv
    are rewritten without them); any file that cannot be is named. An email to them a running send
    had already handed to SendGrid cannot be called back: forget says so, and the log shows it sent.
    --json (with --yes) prints what was erased as one JSON document.

    \b
    Example:
        mailer forget jane.doe@example.org --yes
        mailer forget jane.doe@example.org --yes --json
    """
    app.changes = "nothing was erased, since it would be erased (and suppressed) in the other file's delivery log, and stay in this folder's."  # before the config is read (review 15s #5)
    from mailer import forget as forget_module

    if as_json:
        output.start_json()
    # Read as `suppressions add` reads it, before the irreversible question (review 8): "Jane Doe
    # <jane@example.org>" is jane@example.org, never a name kept on the list (newcomer 11 #1).
    email = forget_module.check_address(email)
    if as_json and not yes:
        raise MailerError(
            f"Not erasing {email}: --json asks no questions, and erasing cannot be undone.",
            hint=f"Add --yes to erase: mailer forget {email} --yes --json",
        )
    from mailer.cli import send as send_cli

    if not yes and not send_cli.stdin_is_terminal():  # click said "Aborted!", leaving it unclear (newcomer review 8)
        raise MailerError(
            f"Not erasing {email}: there is no terminal to confirm on, and erasing cannot be undone.",
            hint=f"Add --yes to erase without the question: mailer forget {email} --yes",
        )
    # Opened before the question, so its "Log: ..." line says which log the answer erases from
    # (newcomer 13 #4: a second press folder's log is another log).
    engine = app.engine
    warned: set[str] = set()
    if not yes:
        # A scheduled send that SendGrid holds her email in mails her at its time, erased or not:
        # said before the question, so the send can be cancelled first (status.held_at_sendgrid).
        from mailer.send import status

        for scheduled in status.held_at_sendgrid(engine, [email]):
            output.warn(scheduled.warning(app.config.reports.time_zone))
            warned.add(scheduled.campaign_id)
        if not output.confirm(f"Erase everything the delivery log holds about {email}?"):
            output.say("Nothing was erased.")
            return
    parts_written(app, None)  # her row may wait in any stopped send's parts
    erasure = forget_module.erase(engine, email, config=app.config, office=app.office, waiting=output.note)
    done = erasure.forgotten
    campaigns = len(done.campaigns)
    output.say(
        f"Erased {done.address} from {done.messages} message row{'s' if done.messages != 1 else ''} "
        f"in {campaigns} campaign{'s' if campaigns != 1 else ''} and from {done.events} event{'s' if done.events != 1 else ''}."
    )
    if done.carried:  # who an old log sent which release (`mailer carry-over`)
        output.say(f"Erased it from {counted(done.carried, 'row')} of who had which release, carried over from an old log.")
    if done.mentions:  # review 12a #11: a refused request's error quoted the address on other journalists' rows
        output.say(
            f'Replaced the address with "(forgotten)" where {done.mentions} other row{"s" if done.mentions != 1 else ""} '
            "quoted it (errors of requests SendGrid refused, notes, other journalists' events)."
        )
    was = f" (it was suppressed before: {done.previous_suppression})" if done.previous_suppression else ""
    output.say(f'Kept one suppression record, reason "forgotten", so this address is never mailed again{was}.')
    for scheduled in erasure.held:
        if scheduled.campaign_id not in warned:
            output.warn(scheduled.warning(app.config.reports.time_zone))
    # review 12b #4: a send was mailing them as forget ran. One scheduled for later is warned of
    # above, with its way out (mailer cancel): it can be called back (review 14 #3).
    for campaign_id in [cid for cid in done.on_its_way if cid not in {scheduled.campaign_id for scheduled in erasure.held}]:
        output.warn(
            # Review 13 #3: "had already left" was untrue of a request waiting to be tried again. Such a
            # request is no longer listed in flight (newcomer 15 #12): forget skips them and the retry leaves without them.
            f"The email to {done.address} in {campaign_id} may have left for SendGrid already (its request was on its way): "
            "if SendGrid took it, it cannot be called back, and the log shows it as sent "
            "(without the address); if not, it goes without them. No later send reaches this address."
        )
    if done.log_files is False:  # newcomer review 9: the erased rows stayed readable in the log file
        output.warn(
            "Another program (mailer webhook, a report) is using the delivery log, so the erased rows are still "
            "readable in its files until it lets go. "
            f"Stop mailer webhook for a moment and run mailer forget {email} --yes again."
        )
    named = [_from_here(path) for path in erasure.lists]  # every list the log names, found from any folder (review 12b #11)
    # newcomer 11: a typo erased nothing, silently; review 15s #6: but pages noted for them mean the spelling is right.
    if erasure.found_nowhere:
        output.warn(
            f"Erased from 0 rows: {done.address} is nowhere in the delivery log or in the lists it sent from. "
            "Check the spelling (mailer contact ADDRESS shows what the log holds about an address); "
            "this one is kept from being mailed all the same."
        )
    if spelt := _other_spellings(app, done.address):  # one Gmail inbox, spelt otherwise in the log (review25x)
        output.warn(
            f"The log also holds {' and '.join(spelt)}, the same Gmail mailbox as {done.address} (Gmail ignores dots and what "
            "follows a +): it was not erased. To erase it too: " + "; ".join(f"mailer forget {other} --yes" for other in spelt)
        )
    if named:  # newcomer review 9: the office's lists still named the journalist, and nothing said so
        listed = ", ".join(str(path) for path in named)
        verb, them = ("holds", "it") if len(named) == 1 else ("hold", "them")
        output.warn(
            f"{listed} still {verb} this address: every send from {them} skips it (logged without the journalist's data). "
            "Remove it there if you can."
        )
    if erasure.earlier_log is not None:  # carry-over never changes the old log: she is still there (carry28)
        old = erasure.earlier_log
        output.warn(
            f"{old}, the log this office used before, still holds {done.address}: carry-over never changes it, so it was "
            f"not erased there. To erase it there too, copy mailer.toml to old.toml in the same folder, with "
            f'[database] url = "sqlite:///{old}", then: mailer --config old.toml forget {done.address} --yes'
        )
    for folder, in_folder in erasure.folders:
        _say_erased_files(folder, in_folder)
    if erasure.elsewhere:  # newcomer 20b #3: a colleague's dry runs, silently left holding the journalist
        count = len(erasure.elsewhere)
        listed = ", ".join(str(path) for path in erasure.elsewhere)
        output.warn(
            f"{counted(count, 'folder')} where dry runs or mailer show wrote emails with this log {'is' if count == 1 else 'are'} "
            f"not on this computer (a colleague's, or deleted since), so {'its' if count == 1 else 'their'} files naming "
            f"the address were not erased: {listed}. Run mailer forget {done.address} --yes again on the computer that has "
            f"{'it' if count == 1 else 'them'}: it erases the files there."
        )
    _say_erased_pages(erasure.pages, done.address)
    _say_erased_written(erasure.written)
    erased = [*(in_folder for _, in_folder in erasure.folders), erasure.pages, erasure.written]
    left = [_from_here(path) for path in erasure.reports]
    if left:
        files = "1 report file" if len(left) == 1 else f"{len(left)} report files"
        verb, them = ("holds", "it") if len(left) == 1 else ("hold", "them")
        listed = ", ".join(str(path) for path in left)
        output.warn(f"{files} in {REPORTS_FOLDER} still {verb} the address; delete or edit {them}: {listed}")
    output.say(
        "Files exported elsewhere (reports, cleaned lists) may still hold the address: delete them. "
        "SendGrid keeps its own copy too: ask them to erase it (Settings > Recipient data erasure)."
    )
    if as_json:
        output.print_document(
            {
                "address": done.address,
                "messages": done.messages,
                "campaigns": list(done.campaigns),
                "events": done.events,
                "previous_suppression": done.previous_suppression,
                "mentions": done.mentions,
                "log_files_erased": done.log_files,
                "on_its_way": list(done.on_its_way),
                "files": {
                    "deleted": [str(p) for e in erased for p in e.deleted],
                    "rewritten": [str(p) for e in erased for p in e.rewritten],
                    "left": [str(p) for e in erased for p in e.left],
                    "not_found": [str(p) for e in erased for p in e.not_found],
                    "changed": [str(p) for e in erased for p in e.changed],
                },
                "report_files": [str(path) for path in left],
                "folders_not_here": [str(path) for path in erasure.elsewhere],
                "list_files": [str(path) for path in named],
                "carried_rows": done.carried,
                "earlier_log": None if erasure.earlier_log is None else str(erasure.earlier_log),
            }
        )


def _from_here(path: Path) -> Path:
    """``path`` (whole) relative to the current folder when inside it ("lists/press.csv"), else whole."""
    here = Path.cwd().resolve()
    return path.relative_to(here) if path.is_relative_to(here) else path


def _say_erased_written(erased: forget_module.ErasedFiles) -> None:
    """Name the files `mailer show -o` wrote elsewhere that ``forget.erase`` deleted, and those that stay."""
    if erased.deleted:
        count = len(erased.deleted)
        listed = ", ".join(str(path) for path in erased.deleted)
        output.say(f"Deleted {count} file{'s' if count != 1 else ''} `mailer show -o` wrote that named the address: {listed}")
    if erased.left:
        listed = ", ".join(str(path) for path in erased.left)
        output.warn(
            f"{counted(len(erased.left), 'file')} `mailer show -o` wrote still {_holds(len(erased.left))} the address and could not be "
            f"deleted; delete {_them(len(erased.left))}: {listed}"
        )


def _say_erased_pages(erased: forget_module.ErasedFiles, address: str) -> None:
    """Name the pages `mailer preview --contact` made for ``address`` that ``forget.erase`` deleted
    (whatever they held: review 14 #1), what stays, and those not found here or changed since,
    which may still hold their data (review 15s #4)."""
    if erased.deleted:
        count = len(erased.deleted)
        listed = ", ".join(str(_from_here(path)) for path in erased.deleted)
        output.say(f"Deleted {count} page{'s' if count != 1 else ''} `mailer preview --contact` made for them: {listed}")
    if erased.left:
        listed = ", ".join(str(_from_here(path)) for path in erased.left)
        output.warn(
            f"{counted(len(erased.left), 'page')} `mailer preview --contact` made for them could not be deleted; delete {_them(len(erased.left))}: {listed}"
        )
    if erased.not_found:  # review 15s #4: the log is shared, the page on a colleague's computer
        count = len(erased.not_found)
        listed = ", ".join(str(_from_here(path)) for path in erased.not_found)
        output.warn(
            f"{counted(count, 'page')} `mailer preview --contact` made for them {'was' if count == 1 else 'were'} not found here "
            f"and may still hold their data (on another computer, or a drive not connected now): {listed}. "
            f"Delete {_them(count)} there, or run mailer forget {address} --yes again where "
            f"{'it is' if count == 1 else 'they are'}: the log keeps track of {_them(count)} until then."
        )
    if erased.changed:  # review 15s #4: edited, or written again since; not deleted, not forgotten
        count = len(erased.changed)
        listed = ", ".join(str(_from_here(path)) for path in erased.changed)
        output.warn(
            f"{counted(count, 'page')} `mailer preview --contact` made for them {'has' if count == 1 else 'have'} changed since "
            f"(edited, or written again) and {'was' if count == 1 else 'were'} left in place: "
            f"{'it' if count == 1 else 'they'} may still hold their data. Check and delete {_them(count)}: {listed}"
        )


def _say_erased_files(folder: Path, erased: forget_module.ErasedFiles) -> None:
    """Name what ``forget.erase`` deleted or rewrote in an outbox or preview ``folder``, and what stays."""
    if erased.deleted or erased.rewritten:
        output.say(
            f"Deleted {len(erased.deleted)} file{'s' if len(erased.deleted) != 1 else ''} and rewrote "
            f"{len(erased.rewritten)} in {folder} that named the address."
        )
    if erased.left:
        listed = ", ".join(str(path) for path in erased.left)
        left = len(erased.left)
        output.warn(
            f"{counted(left, 'file')} in {folder} still {_holds(left)} the address and could not be erased; "
            f"delete or edit {_them(left)}: {listed}"
        )


def _holds(count: int) -> str:
    return "holds" if count == 1 else "hold"


def _them(count: int) -> str:
    return "it" if count == 1 else "them"


def _other_spellings(app: AppContext, address: str) -> list[str]:
    """The log's other spellings of the Gmail inbox ``address`` reaches (``store.inboxes``)."""
    from mailer import mailbox
    from mailer.store import inboxes

    with app.engine.connect() as connection:
        return inboxes.other_spellings(connection, mailbox.key(address))
