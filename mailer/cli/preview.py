"""``mailer preview RELEASE``: the email as a journalist will see it, written to files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from mailer.cli import AppContext, main, output, pass_app


@main.command("preview")
@click.argument("release_path", metavar="RELEASE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--contact", "contact_email", metavar="EMAIL", help="Show the email as this journalist receives it (needs --list).")
@click.option(
    "--list",
    "list_paths",
    metavar="FILE",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The list holding --contact (repeatable).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML in your web browser.")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the files (default: [compose] preview_dir, out/preview).",
)
@pass_app
def preview(
    app: AppContext,
    release_path: Path,
    contact_email: str | None,
    list_paths: tuple[Path, ...],
    open_browser: bool,
    out_dir: Path | None,
) -> None:
    """Render a release to an HTML file and a text file, and list what to fix before sending.

    Without --contact, contact fields show their default (or [field] when they have none).

    \b
    Example:
        mailer preview releases/example.md
        mailer preview releases/example.md --contact jane@example.org --list lists/press.csv --open
    """
    if contact_email and not list_paths:
        raise click.UsageError("--contact needs --list FILE to find the journalist in.")
    from mailer import contacts
    from mailer.compose import preview as preview_module

    config = app.config
    fields = dict(contacts.find(list_paths, contact_email).fields) if contact_email else None
    shown = preview_module.write(release_path, config=config, folder=out_dir or config.compose.preview_dir, fields=fields)
    output.say(f"Subject:   {shown.subject}")
    output.say(f"Preheader: {shown.preheader or '(none: inboxes show the first words of the email)'}")
    output.say(f"As:        {contact_email or _nobody(shown.stand_ins)}")
    output.say(f"HTML:      {shown.html_path} ({_kb(shown.html_path.stat().st_size)})")
    output.say(f"Text:      {shown.text_path} ({_kb(shown.text_path.stat().st_size)})")
    for attachment in shown.attachments:
        label = "Image:    " if attachment.inline else "Attached: "
        output.say(f"{label} {attachment.filename} ({_kb(len(attachment.content))})")
    for warning in shown.warnings:
        output.warn(warning)
    if not shown.warnings:
        output.say("No warnings.")
    if open_browser:
        click.launch(str(shown.html_path.resolve()))


def _nobody(stand_ins: Mapping[str, str]) -> str:
    """Say what the [field] marks are, so nobody mistakes them for a bug in the email."""
    if not stand_ins:
        return "no particular journalist (defaults shown)"
    marks = ", ".join(stand_ins.values())
    return f"no particular journalist (defaults shown; {marks} stand for each journalist's own values, see --contact)"


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"
