"""``mailer preview``: the email one journalist (or nobody in particular) receives, as files.

Without a journalist's fields, a contact field with a default shows its default and one
without shows a ``[field]`` stand-in, so nobody mistakes a blank for a bug. The unsubscribe
link opens ``unsubscribe-preview.html`` beside the preview (or the configured preview URL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailer import safefile, unsubscribe
from mailer.compose import images, release, tokens
from mailer.compose.release import Release
from mailer.compose.render import misspelt_fields, personalize, preheader_for, render, substitutions, unknown_fields
from mailer.config import Config
from mailer.models import Attachment, Contact, Rendered, shown_subject, stand_in

__all__ = ["Preview", "stand_ins", "subject", "write", "write_versions"]


@dataclass(frozen=True, slots=True)
class Preview:
    """What ``write`` produced: the files, what the inbox shows, and what to fix."""

    subject: str
    preheader: str
    html_path: Path
    text_path: Path
    stand_ins: Mapping[str, str]  # field -> "[field]" shown where a journalist's value goes
    attachments: tuple[Attachment, ...]
    warnings: tuple[str, ...]
    language: str = "en"  # the version shown
    sender: str = ""  # "Press Office <press@example.org>, replies to desk@example.org", as the send's plan says it
    substitution_bytes: int = 0  # the journalist's substitutions as SendGrid measures them (0 for stand-ins)
    template: str = ""  # the office's own HTML template file, "" for a built-in one
    content_hash: str = ""  # the version's Rendered.content_hash: what a send of it would be logged as


def write(
    release_path: Path,
    *,
    config: Config,
    folder: Path,
    fields: Mapping[str, str] | None = None,
    language: str | None = None,
    people: Sequence[Contact] | None = None,
    read_as: Callable[[str], str | None] | None = None,
) -> Preview:
    """Render the release for ``fields`` (a journalist's) or stand-ins; write ``<stem>.html`` and ``<stem>.txt``
    (and the release's inline images in ``<stem>.images/``, which the HTML file shows).

    ``language`` picks a version (README, Languages): ``fr`` writes ``<stem>.fr.html``; without
    it, the version the journalist's ``language`` field names (the main one for stand-ins).
    ``people``: the journalists of the lists given, whose columns the release's contact fields
    are checked against as a send checks them (``render.unknown_fields``): TemplateError, or a
    warning. Without them, a field that is a typo of a standard column's name is warned of, or
    one the lists' loader reads as a standard column (``read_as``: contacts' header variants;
    ``misspelt_fields``).
    """
    loaded = release.load(release_path)
    wanted = language if language is not None else (fields or {}).get("language")
    return _write(
        loaded,
        loaded.version(wanted),
        release_path=release_path,
        config=config,
        folder=folder,
        fields=fields,
        people=people,
        read_as=read_as,
    )


def write_versions(
    release_path: Path,
    *,
    config: Config,
    folder: Path,
    fields: Mapping[str, str] | None = None,
    people: Sequence[Contact] | None = None,
    read_as: Callable[[str], str | None] | None = None,
) -> list[Preview]:
    """``write`` for every language version, the main one first (one file pair each)."""
    loaded = release.load(release_path)
    return [
        _write(loaded, version, release_path=release_path, config=config, folder=folder, fields=fields, people=people, read_as=read_as)
        for version in loaded.all_versions().values()
    ]


def _write(
    main: Release,
    version: Release,
    *,
    release_path: Path,
    config: Config,
    folder: Path,
    fields: Mapping[str, str] | None,
    people: Sequence[Contact] | None,
    read_as: Callable[[str], str | None] | None = None,
) -> Preview:
    rendered = render(version, config=config)
    # Checked as a send checks them (newcomer 15 #3: "No warnings." for {{ contact.frist_name }}):
    # against the lists given (raises as a send would), else against the standard columns.
    unknown = unknown_fields([rendered], people, read_as=read_as) if people is not None else misspelt_fields([rendered], read_as=read_as)
    shown = dict(fields) if fields is not None else stand_ins(rendered)
    email = personalize(rendered, shown)
    values = substitutions(rendered, shown) if fields is not None else {}
    folder.mkdir(parents=True, exist_ok=True)
    stem = release_path.stem if version is main else f"{release_path.stem}.{version.language}"
    html_path = folder / f"{stem}.html"
    text_path = folder / f"{stem}.txt"
    # A browser cannot show cid: images (only a mail client can): point them at copies of the files.
    # Files of mailer's own folder: a link left there is replaced, never written through (review 24k #3).
    safefile.write_own(html_path, images.preview_sources(email.html, rendered.attachments, folder, stem).encode("utf-8"))
    safefile.write_own(text_path, email.text.encode("utf-8"))
    if rendered.unsubscribe_proof == unsubscribe.PAGE_NAME:  # the footer's link opens this page
        unsubscribe.write_preview_page(folder, sender=rendered.from_name or config.sender.from_name)
    return Preview(
        subject=email.subject,
        preheader=preheader_for(rendered, shown),
        html_path=html_path,
        text_path=text_path,
        stand_ins={} if fields is not None else shown,
        attachments=tuple(rendered.attachments),
        warnings=(*rendered.warnings, *unknown),
        language=version.language,
        sender=_sender_words(version, rendered, config),
        substitution_bytes=len(("".join(values) + "".join(values.values())).encode("utf-8")),
        template=rendered.template,
        content_hash=rendered.content_hash,
    )


def _sender_words(version: Release, rendered: Rendered, config: Config) -> str:
    """Whom the email comes from, and where replies go: a version may set its own (review 18p #6)."""
    name = version.from_name or config.sender.from_name
    address = rendered.from_email or config.sender.from_email
    shown = f"{name} <{address}>" if name else address
    return shown + (f", replies to {rendered.reply_to}" if rendered.reply_to else "")


def stand_ins(rendered: Rendered) -> dict[str, str]:
    """``[field]`` for every contact field the release uses without a default."""
    needed = {spec.field for spec in rendered.tokens.values() if tokens.needs_value(spec)}
    return {field: stand_in(field) for field in rendered.fields if field in needed}


def subject(rendered: Rendered) -> str:
    """The subject as the preview shows it for nobody in particular (``models.shown_subject``
    with this release's stand-ins and defaults): what the plan of a send shows."""
    return shown_subject(rendered.subject, substitutions(rendered, stand_ins(rendered)))
