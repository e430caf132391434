"""``mailer preview RELEASE``: the email as a journalist will see it, written to files."""

from __future__ import annotations

from pathlib import Path

import click

from mailer import compose, contacts
from mailer.cli import AppContext, main, output, pass_app
from mailer.compose import release, tokens
from mailer.errors import ListError
from mailer.models import Rendered


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
    config = app.config
    rendered = compose.render(release.load(release_path), config=config)
    fields = _fields(rendered, contact_email, list_paths)
    email = compose.personalize(rendered, fields)
    folder = out_dir or config.compose.preview_dir
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"{release_path.stem}.html"
    text_path = folder / f"{release_path.stem}.txt"
    html_path.write_text(email.html, encoding="utf-8")
    text_path.write_text(email.text, encoding="utf-8")
    output.say(f"Subject:   {email.subject}")
    output.say(f"Preheader: {compose.preheader_for(rendered, fields) or '(none: inboxes show the first words of the email)'}")
    output.say(f"As:        {contact_email or _nobody(fields)}")
    output.say(f"HTML:      {html_path} ({_size(html_path)})")
    output.say(f"Text:      {text_path} ({_size(text_path)})")
    for attachment in rendered.attachments:
        output.say(f"Attached:  {attachment.filename} ({_kb(len(attachment.content))})")
    for warning in rendered.warnings:
        output.warn(warning)
    if not rendered.warnings:
        output.say("No warnings.")
    if open_browser:
        click.launch(str(html_path.resolve()))


def _fields(rendered: Rendered, email: str | None, list_paths: tuple[Path, ...]) -> dict[str, str]:
    """The journalist's fields, or "[name]" stand-ins for fields that have no default."""
    if not email:
        return {field: f"[{field}]" for field in rendered.fields if _needs(rendered, field)}
    loaded = contacts.load(list_paths)
    for contact in loaded.contacts:
        if contact.email_key == email.strip().lower():
            return dict(contact.fields)
    files = ", ".join(str(path) for path in list_paths)
    raise ListError(f"{email} is not a recipient in {files}.", hint="Check the address with: mailer lists check " + files)


def _nobody(stand_ins: dict[str, str]) -> str:
    """Say what the [field] marks are, so nobody mistakes them for a bug in the email."""
    if not stand_ins:
        return "no particular journalist (defaults shown)"
    marks = ", ".join(stand_ins.values())
    return f"no particular journalist (defaults shown; {marks} stand for each journalist's own values, see --contact)"


def _needs(rendered: Rendered, field: str) -> bool:
    return any(spec.field == field and tokens.needs_value(spec) for spec in rendered.tokens.values())


def _size(path: Path) -> str:
    return _kb(path.stat().st_size)


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"
