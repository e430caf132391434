"""``mailer report`` and ``mailer forget``: what happened to a release, and erasing a journalist."""

from __future__ import annotations

from pathlib import Path

import click

from mailer import forget as forget_module
from mailer import reports
from mailer.cli import AppContext, main, output, pass_app
from mailer.reports import formats
from mailer.reports.figures import cell_text

REPORTS_FOLDER = Path("out") / "reports"  # where `report` writes files without -o
EMPTY = {
    "opens": "No opens recorded",
    "clicks": "No clicks recorded",
    "bounces": "No bounces recorded",
    "recipients": "No recipients",
    "outlets": "No recipients",
}


@main.command("report")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--kind", type=click.Choice(reports.KINDS), default="summary", show_default=True, help="Which report.")
@click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="table", show_default=True, help="How to write it.")
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default for files: out/reports/CAMPAIGN-KIND.EXT).",
)
@pass_app
def report_command(app: AppContext, campaign_id: str, kind: str, fmt: str, path: Path | None) -> None:
    """Who got a release, who opened it, who clicked, what bounced and why.

    --kind summary gives the headline figures; recipients, opens, clicks and bounces give one
    row per journalist; outlets rolls them up by outlet and by address domain. --format html
    writes one page to email to your boss (summary, chart, outlets); csv and xlsx open in a
    spreadsheet. Test sends are never reported.

    \b
    Example:
        mailer report 2026-02-19-wetlands-report --kind bounces --format csv -o bounces.csv
    """
    engine = app.engine
    if fmt == "table":
        _print_table(engine, campaign_id, kind)
        return
    if fmt == "json" and path is None:
        report = reports.table(engine, campaign_id, kind)
        summary = reports.summarize(engine, campaign_id) if kind == "summary" else None
        click.echo(formats.to_json(report, summary), nl=False)
        return
    target = path or REPORTS_FOLDER / f"{campaign_id}-{kind}.{fmt}"
    written = reports.export(engine, campaign_id, kind=kind, fmt=fmt, path=target)
    if written is not None and not written.rows:
        output.warn(f"{EMPTY.get(kind, 'Nothing recorded')} for {campaign_id} yet; the file has headings only.")
    what = "report page" if fmt == "html" else f"{kind} report ({len(written.rows) if written else 0} rows)"
    output.say(f"Wrote the {what} to {target}")


def _print_table(engine: object, campaign_id: str, kind: str) -> None:
    report = reports.table(engine, campaign_id, kind)  # type: ignore[arg-type]
    campaign = report.campaign
    if kind == "summary":
        output.table(f"{campaign.id}: {campaign.subject}", report.labels, [tuple(map(cell_text, row)) for row in report.rows])
        return
    if not report.rows:
        output.say(f"{EMPTY.get(kind, 'Nothing recorded')} for {campaign_id} yet.")
        return
    rows = [tuple(map(cell_text, row)) for row in report.rows]
    if kind == "outlets":
        rows = [tuple(f"{cell}  ⚠" if i == len(row) - 1 and cell else cell for i, cell in enumerate(row)) for row in rows]
    output.table(f"{campaign.id}: {kind} ({len(report.rows)})", report.labels, rows)


@main.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def forget_command(app: AppContext, email: str, yes: bool) -> None:
    """Erase a journalist's personal data, keeping a minimal record so they are never mailed again.

    Their address, name, outlet and other fields leave every campaign's message rows, and the
    address, bounce texts and links leave every event. Campaign counts stay the same. The
    address stays on the suppression list (reason "forgotten") so no later send reaches it.
    Dry-run and `mailer show` files naming them are deleted (request bodies and skipped.csv
    are rewritten without them); any file that cannot be is named.

    \b
    Example:
        mailer forget jane.doe@example.org --yes
    """
    if not yes:
        click.confirm(f"Erase everything the delivery log holds about {email}?", abort=True)
    engine = app.engine
    done = forget_module.forget(engine, email)
    campaigns = len(done.campaigns)
    output.say(
        f"Erased {done.address} from {done.messages} message row{'s' if done.messages != 1 else ''} "
        f"in {campaigns} campaign{'s' if campaigns != 1 else ''} and from {done.events} event{'s' if done.events != 1 else ''}."
    )
    was = f" (it was suppressed before: {done.previous_suppression})" if done.previous_suppression else ""
    output.say(f'Kept one suppression record, reason "forgotten", so this address is never mailed again{was}.')
    for folder in (app.config.compose.outbox_dir, app.config.compose.preview_dir):
        _erase_files(done.address, folder)
    left = forget_module.exports_mentioning(done.address, REPORTS_FOLDER)
    if left:
        files = "1 report file" if len(left) == 1 else f"{len(left)} report files"
        verb, them = ("holds", "it") if len(left) == 1 else ("hold", "them")
        listed = ", ".join(str(path) for path in left)
        output.warn(f"{files} in {REPORTS_FOLDER} still {verb} the address; delete or edit {them}: {listed}")
    output.say(
        "Files exported elsewhere (reports, cleaned lists) may still hold the address: delete them. "
        "SendGrid keeps its own copy too: ask them to erase it (Settings > Recipient data erasure)."
    )


def _erase_files(address: str, folder: Path) -> None:
    """Delete or rewrite the outbox and preview files naming ``address``; name what stays."""
    erased = forget_module.erase_files(address, folder)
    if erased.deleted or erased.rewritten:
        output.say(
            f"Deleted {len(erased.deleted)} file{'s' if len(erased.deleted) != 1 else ''} and rewrote "
            f"{len(erased.rewritten)} in {folder} that named the address."
        )
    if erased.left:
        listed = ", ".join(str(path) for path in erased.left)
        output.warn(f"{len(erased.left)} file(s) in {folder} still hold the address and could not be erased; delete or edit them: {listed}")
