"""``mailer show CAMPAIGN``: the email one journalist received, rebuilt from the delivery log's archive.

In Python: ``mailer.send.show.show(engine, campaign_id, contact=...)``.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

import click

from mailer.cli import AppContext, CampaignArgument, main, output, pass_app
from mailer.errors import MailerError
from mailer.send.schedule import describe


@main.command("show")
@click.argument("campaign_id", metavar="CAMPAIGN", cls=CampaignArgument)
@click.option("--contact", "contact", metavar="EMAIL", help="The journalist whose email to show (default: the first recipient).")
@click.option(
    "-o",
    "--output",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The .eml file to write (default: [compose] preview_dir/CAMPAIGN.eml).",
)
@click.option(
    "--language",
    metavar="LANG",
    help="For a release sent in several languages: that version (fr, fr-CA finds fr), as its first recipient got it.",
)
@click.option("--open", "open_browser", is_flag=True, help="Also write the HTML part beside it and open it in your web browser.")
@pass_app
def show_command(
    app: AppContext, campaign_id: str, contact: str | None, path: Path | None, language: str | None, open_browser: bool
) -> None:
    """Show exactly what a journalist received in a campaign, months later, as an .eml file.

    The email is rebuilt from the archive the delivery log keeps of every send (the parts as
    rendered, the headers, the attachments) and that journalist's row: byte for byte the
    .eml a dry run writes. Open the .eml in any mail program.
    CAMPAIGN is an id from `mailer campaigns`, or latest (the newest campaign), latest~1
    (the one before it), and so on.

    \b
    Example:
        mailer show 2026-02-19-example
        mailer show 2026-02-19-example --contact amara.okafor@example.com -o amara.eml --open
        mailer show latest --language fr    # a campaign of a release with a French version
    """
    from mailer.send import show

    campaign_id = app.campaign_id(campaign_id)
    shown = show.show(app.engine, campaign_id, contact=contact, language=language)
    target = path or app.config.compose.preview_dir / f"{campaign_id}.eml"
    if path is not None:
        app.never_over(path, suffixes=(".eml",), logged_lists=True)
        from mailer import safefile

        blocking = safefile.file_in_the_way(path)
        if blocking is not None:
            raise MailerError(f"{blocking} is a file, not a folder: {path} cannot be written there.", hint="Give -o a path in a folder.")
    from mailer.send.dispatch import utcnow
    from mailer.store import folders

    page = target.with_suffix(".html")
    with app.engine.begin() as connection:  # noted before writing: `mailer forget` looks there, wherever it runs
        if path is None:  # mailer's own folder: forget erases the journalist's files in it
            folders.keep(connection, target.parent, now=utcnow(connection))
        else:  # a folder of the user's: forget erases this file (and its page) only (newcomer review 9)
            folders.keep_file(connection, target, now=utcnow(connection))
            if open_browser:
                folders.keep_file(connection, page, now=utcnow(connection))
    target.parent.mkdir(parents=True, exist_ok=True)
    from mailer import safefile

    # In mailer's own folder a link left there is replaced, never written through (review 24k #3);
    # a file named with -o is written as the user named it (through a link of theirs too).
    write = safefile.write_own if path is None else Path.write_bytes
    write(target, shown.eml)
    email = shown.parsed()
    output.say(f"Campaign:  {campaign_id} (content {shown.content_hash[:12]})")
    if shown.email == show.STAND_IN_ADDRESS:
        marks = f"; {', '.join(shown.stand_ins.values())} stand for each journalist's values" if shown.stand_ins else ""
        output.say(f"To:        {email['To']}: a stand-in, the campaign has no recipients left (defaults shown{marks})")
    else:
        output.say(f"To:        {email['To']}" + (" (the first recipient; --contact EMAIL for another)" if not contact else ""))
    output.say(f"Subject:   {email['Subject']}")
    output.say(f"Date:      {describe(shown.date)}")
    output.say(f"Written:   {target} ({len(shown.eml) / 1024:.1f} KB)")
    if open_browser:
        html = shown.html_page()
        if html is not None:
            write(page, html.encode("utf-8"))
            from mailer import unsubscribe  # pydantic and the config: not for `mailer --help`

            if f'href="{unsubscribe.PAGE_NAME}"' in html:  # the proof's Unsubscribe link opens it, beside the page (review 17c #13)
                unsubscribe.write_preview_page(page.parent, sender=parseaddr(str(email["From"] or ""))[0])
            output.say(f"HTML:      {page}")
            output.open_in_browser(page)
