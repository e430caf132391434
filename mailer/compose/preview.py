"""``mailer preview``: the email one journalist (or nobody in particular) receives, as files.

Without a journalist's fields, a contact field with a default shows its default and one
without shows a ``[field]`` stand-in, so nobody mistakes a blank for a bug. The unsubscribe
link opens ``unsubscribe-preview.html`` beside the preview (or the configured preview URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mailer import unsubscribe
from mailer.compose import images, release, tokens
from mailer.compose.render import personalize, preheader_for, render
from mailer.config import Config
from mailer.models import Attachment, Rendered

__all__ = ["Preview", "stand_ins", "write"]


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


def write(release_path: Path, *, config: Config, folder: Path, fields: Mapping[str, str] | None = None) -> Preview:
    """Render the release for ``fields`` (a journalist's) or stand-ins; write ``<stem>.html`` and ``<stem>.txt``
    (and the release's inline images in ``<stem>.images/``, which the HTML file shows)."""
    rendered = render(release.load(release_path), config=config)
    shown = dict(fields) if fields is not None else stand_ins(rendered)
    email = personalize(rendered, shown)
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"{release_path.stem}.html"
    text_path = folder / f"{release_path.stem}.txt"
    # A browser cannot show cid: images (only a mail client can): point them at copies of the files.
    html_path.write_text(images.preview_sources(email.html, rendered.attachments, folder, release_path.stem), encoding="utf-8")
    text_path.write_text(email.text, encoding="utf-8")
    if rendered.unsubscribe_proof == unsubscribe.PAGE_NAME:  # the footer's link opens this page
        unsubscribe.write_preview_page(folder, sender=rendered.from_name or config.sender.from_name)
    return Preview(
        subject=email.subject,
        preheader=preheader_for(rendered, shown),
        html_path=html_path,
        text_path=text_path,
        stand_ins={} if fields is not None else shown,
        attachments=tuple(rendered.attachments),
        warnings=tuple(rendered.warnings),
    )


def stand_ins(rendered: Rendered) -> dict[str, str]:
    """``[field]`` for every contact field the release uses without a default."""
    needed = {spec.field for spec in rendered.tokens.values() if tokens.needs_value(spec)}
    return {field: f"[{field}]" for field in rendered.fields if field in needed}
