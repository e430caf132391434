"""``mailer preview RELEASE``: the email as a journalist will see it, written to files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.errors import ReleaseError


@main.command("preview")
@click.argument("release_path", metavar="RELEASE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--contact", "contact_email", metavar="EMAIL", help="Show the email as this journalist receives it (needs --list).")
@click.option(
    "--list",
    "list_paths",
    metavar="FILE",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The list holding --contact (repeatable); the release's contact fields are checked against its columns, as a send does.",
)
@click.option(
    "--language",
    metavar="LANG",
    help="Only this language version (fr, de, ...; README, Languages). Default: every version.",
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
    language: str | None,
    open_browser: bool,
    out_dir: Path | None,
) -> None:
    """Render a release to an HTML file and a text file, and list what to fix before sending.

    Without --contact, contact fields show their default (or [field] when they have none).
    A release with language versions (release.fr.md beside release.md) is previewed in every
    language, or in one with --language; with --contact, in the journalist's language.

    \b
    Example:
        mailer preview releases/example.md
        mailer preview releases/launch.md --language fr    # launch.fr.md beside launch.md
        mailer preview releases/example.md --contact amara.okafor@example.com --list lists/press.csv --open
    """
    if contact_email and not list_paths:
        raise click.UsageError("--contact needs --list FILE to find the journalist in.")
    from mailer import contacts
    from mailer.compose import preview as preview_module
    from mailer.compose import release as release_module

    config = app.config
    contact = contacts.find(list_paths, contact_email) if contact_email else None
    # The release's contact fields checked against the lists' columns, as a send checks them (promise 9).
    people = contacts.load(list_paths).contacts if list_paths else None
    fields = dict(contact.fields) if contact is not None else None
    # Without lists, the release's fields are checked against the standard columns and the names the
    # loader reads as them ({{ contact.surname }}: a Surname column is last_name; {{ contact.name }}: the full name).
    from mailer.contacts.headers import read_as

    folder = out_dir or config.compose.preview_dir
    if language is not None:
        versions = release_module.load(release_path).all_versions()
        if not any(tag in versions for tag in _candidates(language)):
            raise ReleaseError(
                f'{release_path} has no "{language}" version.',
                hint=f"Its versions: {', '.join(versions)}. A version is a file such as "
                f"{release_path.stem}.{language}{release_path.suffix} beside it (README, Languages).",
            )
        shown_all = [
            preview_module.write(
                release_path, config=config, folder=folder, fields=fields, language=language, people=people, read_as=read_as
            )
        ]
    elif contact_email:
        shown_all = [preview_module.write(release_path, config=config, folder=folder, fields=fields, people=people, read_as=read_as)]
    else:
        shown_all = preview_module.write_versions(release_path, config=config, folder=folder, fields=fields, people=people, read_as=read_as)
    if contact is not None:  # pages holding a journalist's fields: noted, so `mailer forget` deletes them (review 13 #9)
        import hashlib

        from mailer.send.dispatch import utcnow
        from mailer.store import folders

        with app.engine.begin() as connection:
            for shown in shown_all:
                for page in (shown.html_path, shown.text_path):
                    folders.keep_file(connection, page, now=utcnow(connection))
                    # with whom they were made for: they show her name and outlet, seldom her address (review 14 #1)
                    digest = hashlib.sha256(page.read_bytes()).hexdigest()
                    folders.keep_page(connection, page, contact.email_key, sha256=digest, now=utcnow(connection))
    if contact is not None:  # a journalist the send skips: the proof says so (review 23a #2, #6)
        shown_all = _skipped_notes(app, contact.email, shown_all)
    shown_all = _held_notes(app, release_path, shown_all)
    said: set[str] = set()
    for number, shown in enumerate(shown_all):
        if len(shown_all) > 1:
            output.say(("" if number == 0 else "\n") + f"Language:  {shown.language}{' (main version)' if number == 0 else ''}")
        output.say(f"Subject:   {shown.subject}")
        output.say(f"From:      {shown.sender}")
        output.say(f"Preheader: {shown.preheader or '(none: inboxes show the first words of the email)'}")
        if shown.template:
            output.say(f"Template:  {shown.template} (the office's own, in place of the built-in one)")
        output.say(f"As:        {contact_email or _nobody(shown.stand_ins)}")
        output.say(f"HTML:      {shown.html_path} ({_kb(shown.html_path.stat().st_size)})")
        output.say(f"Text:      {shown.text_path} ({_kb(shown.text_path.stat().st_size)})")
        for attachment in shown.attachments:
            label = "Image:    " if attachment.inline else "Attached: "
            output.say(f"{label} {attachment.filename} ({_kb(len(attachment.content))})")
        fresh = [warning for warning in shown.warnings if warning not in said]  # each warning once, with the first version
        said.update(fresh)
        for warning in fresh:
            output.warn(warning)
        if not fresh:
            output.say("No warnings." if not shown.warnings else "No other warnings.")
    british = _british_office(config.reports.time_zone, release_path) if shown_all[0].language == "en" else None
    if british is not None:
        english, tag, zone = british
        american, theirs = _one_minute_past_midnight(zone, "en"), _one_minute_past_midnight(zone, tag)
        output.hint(
            f"The email writes dates the American way (for example {american}). For {english} "
            f"({theirs}), add  language: {tag}  to the release's front matter."
        )
    elif len(shown_all) == 1 and shown_all[0].language == "en":
        local = _office_language(config.reports.time_zone, release_path)
        if local is not None:  # newcomer 28 #4: a German office's release read "EMBARGOED UNTIL", "Media contact"
            name, tag = local
            output.hint(
                "The email's own words are in English (EMBARGOED UNTIL, Media contact, Unsubscribe, the date). "
                f"If the release is in {name}, add  language: {tag}  to its front matter (language: en keeps English)."
            )
    canadian = _canadian_office(config.reports.time_zone, release_path)
    for number, shown in enumerate(shown_all):
        if canadian is not None and shown.language == "fr":  # as France writes times: the hint for Quebec's way
            france, quebec = _one_minute_past_midnight(canadian, "fr"), _one_minute_past_midnight(canadian, "fr-CA")
            how = (
                "write  language: fr-CA  in the release's front matter"
                if number == 0
                else f"name the French version {release_path.stem}.fr-CA{release_path.suffix}"
            )
            output.hint(f"The French version writes times as in France (for example {france}). For Canadian French ({quebec}), {how}.")
    if open_browser:
        output.open_in_browser(shown_all[0].html_path)


# Countries of one language the built-in labels speak: an office there is told of `language:`.
_COUNTRY_LANGUAGE = {
    **dict.fromkeys(("DE", "AT", "LI"), ("German", "de")),
    **dict.fromkeys(("FR", "MC"), ("French", "fr")),
    "ES": ("Spanish", "es"),
    **dict.fromkeys(("IT", "SM", "VA"), ("Italian", "it")),
    "PT": ("Portuguese", "pt"),
    "NL": ("Dutch", "nl"),
}


def _office_language(office_zone: str | None, release_path: Path) -> tuple[str, str] | None:
    """(the language, its tag) of an office in a country of one language press-mailer writes, by
    mailer.toml's [reports] time_zone or the release's embargo zone, when the release names no
    language of its own; None elsewhere."""
    from babel.core import get_global

    from mailer.compose import frontmatter

    front, _, _ = frontmatter.split(release_path, frontmatter.read(release_path))
    if "language" in frontmatter.parse(release_path, front)[0]:
        return None
    from mailer.compose import release as release_module

    loaded = release_module.load(release_path)
    if len(loaded.all_versions()) > 1:  # an English main version beside its translations is English on purpose
        return None
    zone = office_zone
    if zone is None:
        zone = getattr(loaded.embargo.tzinfo, "key", None) if loaded.embargo is not None else None
    return _COUNTRY_LANGUAGE.get(get_global("zone_territories").get(zone, "")) if zone else None


def _canadian_office(office_zone: str | None, release_path: Path) -> str | None:
    """The zone of an office in Canada, by mailer.toml's [reports] time_zone or the release's embargo
    zone (office 27: a French release from Ottawa read "06:00 EST", where `language: fr-CA` writes
    "06 h 00 HNE", and nothing said so); None elsewhere or when neither says."""
    from babel.core import get_global

    zone = office_zone
    if zone is None:
        from mailer.compose import release as release_module

        embargo = release_module.load(release_path).embargo
        zone = getattr(embargo.tzinfo, "key", None) if embargo is not None else None
    if zone is None:
        return None
    canadian = get_global("zone_territories").get(zone) == "CA" or zone.startswith("Canada/") or zone == "America/Montreal"
    return zone if canadian else None


# The time zone database's zones of Australia (its states' and cities' names, and the old aliases).
_AUSTRALIA = (
    "ACT",
    "Adelaide",
    "Brisbane",
    "Broken_Hill",
    "Canberra",
    "Currie",
    "Darwin",
    "Eucla",
    "Hobart",
    "LHI",
    "Lindeman",
    "Lord_Howe",
    "Melbourne",
    "NSW",
    "North",
    "Perth",
    "Queensland",
    "South",
    "Sydney",
    "Tasmania",
    "Victoria",
    "West",
    "Yancowinna",
)
# Zones of offices that write dates day first in English, and the language tag that writes them so
# (newcomer 24 #5: a Bristol office's embargo line read "EMBARGOED UNTIL December 3, 2026, 12:01 AM
# GMT", and the README did not say that `language: en-GB` writes "3 December 2026, 00:01 GMT").
_DAY_FIRST_ENGLISH = {
    **dict.fromkeys(("Europe/London", "GB", "GB-Eire", "Europe/Belfast", "Europe/Guernsey", "Europe/Jersey"), ("British English", "en-GB")),
    **dict.fromkeys(("Europe/Isle_of_Man",), ("British English", "en-GB")),
    **dict.fromkeys(("Europe/Dublin", "Eire"), ("Irish English", "en-IE")),
    # newcomer 25 #10: a Melbourne office's release read "EMBARGOED UNTIL December 3, 2026, 6:00 AM AEDT", nothing said
    **dict.fromkeys((f"Australia/{city}" for city in _AUSTRALIA), ("Australian English", "en-AU")),
    **dict.fromkeys(("Pacific/Auckland", "Pacific/Chatham", "NZ", "NZ-CHAT"), ("New Zealand English", "en-NZ")),
}


def _one_minute_past_midnight(zone: str, language: str) -> str:
    """3 December 2026, 00:01 on ``zone``'s clock as the email writes it in ``language``
    ("December 3, 2026, 12:01 AM GMT", "3 December 2026, 12:01 am AEDT")."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mailer.compose.labels import Labels

    return Labels(language=language, texts={}).moment(datetime(2026, 12, 3, 0, 1, tzinfo=ZoneInfo(zone)))


def _british_office(office_zone: str | None, release_path: Path) -> tuple[str, str, str] | None:
    """(the English, its tag) of an office in the UK or Ireland, by mailer.toml's [reports] time_zone
    or the release's embargo zone; None elsewhere, when neither says, or when the release names its
    language itself (``language: en``, for American readers: review 24x #9, told on every preview to
    add language: en-GB)."""
    from mailer.compose import frontmatter

    front, _, _ = frontmatter.split(release_path, frontmatter.read(release_path))
    if "language" in frontmatter.parse(release_path, front)[0]:
        return None
    if office_zone in _DAY_FIRST_ENGLISH:
        return (*_DAY_FIRST_ENGLISH[office_zone], office_zone)
    from mailer.compose import release as release_module

    embargo = release_module.load(release_path).embargo
    zone = getattr(embargo.tzinfo, "key", None) if embargo is not None else None
    return (*_DAY_FIRST_ENGLISH[zone], zone) if zone in _DAY_FIRST_ENGLISH else None


def _candidates(language: str) -> tuple[str, ...]:
    from mailer.compose import labels

    tag = labels.normalize(language)
    if tag is None:
        raise click.UsageError(f'"{language}" is not a language tag; write one such as fr, de or fr-CA.')
    return labels.candidates(tag)


def _nobody(stand_ins: Mapping[str, str]) -> str:
    """Say what the [field] marks are, so nobody mistakes them for a bug in the email."""
    if not stand_ins:
        return "no particular journalist (defaults shown)"
    marks = ", ".join(stand_ins.values())
    return f"no particular journalist (defaults shown; {marks} stand for each journalist's own values, see --contact)"


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def _held_notes(app: AppContext, release_path: Path, shown_all: list[Any]) -> list[Any]:
    """The previews with a first warning when SendGrid holds a scheduled send of this release with
    other content: the officer proofreads a fixed text while the old one is due to go out (as
    `mailer test` says it). An office whose log does not exist yet has scheduled nothing: the
    preview makes no log. A log that cannot be opened is said, and the preview stands."""
    import dataclasses

    from mailer.errors import MailerError

    url = app.config.database.url
    if url.startswith(SQLITE_FILE) and not Path(url.removeprefix(SQLITE_FILE)).is_file():
        return shown_all
    from sqlalchemy.exc import SQLAlchemyError

    from mailer import store
    from mailer.send.prepare import held_other_version

    try:
        # Looked at, never upgraded: a log an earlier press-mailer wrote (a team's, shared) stays as it is,
        # or colleagues still on that version could no longer open it (review 24x #6); nor is a table made.
        # a team's server that does not answer costs a preview a few seconds, not a send's 20 (review 24x, left)
        wait = app.config.database.connect_timeout  # 0: no limit, for a send
        found = store.state(url, connect_timeout=min(wait, PREVIEW_LOOK_TIMEOUT) if wait else PREVIEW_LOOK_TIMEOUT)
        if found == "empty":  # a team's new database before its first send: nothing scheduled, nothing to say
            return shown_all
        if found == "older":
            output.note(
                f"The delivery log {store.display_url(url)} was written by an earlier version of press-mailer, so the "
                "preview did not look in it for a scheduled send of this release (a preview never changes the log; "
                "the next send or test brings it up to date)."
            )
            return shown_all
        with app.engine.connect() as connection:
            held = [held_other_version(connection, app.config, release_path, shown.content_hash) for shown in shown_all]
    except (MailerError, SQLAlchemyError) as exc:
        output.note(f"Could not look in the delivery log for a scheduled send of this release ({exc}).")
        return shown_all
    return [
        dataclasses.replace(shown, warnings=(*notes, *shown.warnings)) if notes else shown
        for shown, notes in zip(shown_all, held, strict=True)
    ]


SQLITE_FILE = "sqlite:///"
PREVIEW_LOOK_TIMEOUT = 3  # seconds


def _skipped_notes(app: AppContext, email: str, shown_all: list[Any]) -> list[Any]:
    """The previews with a first warning when ``mailer send`` would skip this journalist: the
    address is suppressed, or their fields take more than SendGrid allows per recipient."""
    import dataclasses

    from mailer import unsubscribe
    from mailer.send.plan import MAX_SUBSTITUTION_BYTES
    from mailer.store import suppressions

    with app.engine.connect() as connection:
        held = suppressions.find(connection, email)
    reserved = unsubscribe.reserved_bytes(app.config)[0]
    noted = []
    for shown in shown_all:
        notes = []
        if held is not None:
            notes.append(
                f"{email} will not get this email: the address is on the suppression list ({held.why()}), so mailer send skips it. "
                "mailer suppressions list shows who and why."
            )
        taken = shown.substitution_bytes + reserved
        if taken > MAX_SUBSTITUTION_BYTES:
            notes.append(
                f"{email} will not get this email: their contact fields take {taken:,} bytes; SendGrid allows "
                f"{MAX_SUBSTITUTION_BYTES:,} per recipient, so mailer send skips {email} (as invalid, saying why). "
                "Shorten that journalist's long cells in the list, or take the field out of the release."
            )
        noted.append(dataclasses.replace(shown, warnings=(*notes, *shown.warnings)) if notes else shown)
    return noted
