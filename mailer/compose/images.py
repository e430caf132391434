"""Local images in a release (a logo, a photo) -> inline attachments the HTML shows through ``cid:``.

``![Logo](kit/logo.png)`` names a file relative to the Markdown file it is written in; it must
stay inside the release's folder (promise 10: a release is data, and cannot read
``/etc/passwd`` or ``../../secrets.png``). The file's first bytes, not its name, decide whether
it is a PNG, JPEG or GIF, the formats every email client shows. Its content id is derived from
the content's hash: stable across renders and campaigns, the same for the same picture used
twice, and never personal data. A browser cannot resolve ``cid:``, so the preview points the
image at a copy of the file instead (``preview_sources``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from mailer import safefile
from mailer.compose import paths
from mailer.errors import ReleaseError
from mailer.models import Attachment

# Magic numbers: PNG (RFC 2083), JPEG (SOI + marker), GIF87a/GIF89a.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
# Formats people try that email clients show badly or not at all (Outlook and Gmail drop SVG).
_UNSUPPORTED = {".svg": "SVG", ".webp": "WebP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".heic": "HEIC", ".avif": "AVIF"}
LARGE_IMAGE_BYTES = 1024 * 1024
_FORMAT_HINT = (
    "Save it as PNG or JPEG (in an image editor: Export As) and write that file's name, or link to it with a full https:// address."
)


def is_local(src: str) -> bool:
    """A path on this computer rather than an address: no scheme, not protocol-relative, not an anchor."""
    return bool(src) and not urlsplit(src).scheme and not src.startswith(("//", "#"))


def content_id(content: bytes) -> str:
    """The image's Content-ID: from its hash, so the same picture always gets the same one."""
    return f"img-{hashlib.sha256(content).hexdigest()[:24]}@press-mailer"


def locate(src: str, *, base: Path, root: Path, where: str) -> Path | None:
    """The file the local image ``src`` names (None when there is no such file), refused outside ``root``.

    ``base`` is the folder relative paths start from (the Markdown file's), ``root`` the
    release's folder; ``where`` is "file, line N" for messages. Links are followed before the
    check, so a link inside the folder to a file outside it is refused too.
    """
    written = unquote(urlsplit(src).path)  # markdown-it percent-encodes spaces and non-ASCII
    resolved = paths.inside(
        written,
        base=base,
        root=root,
        where=where,
        what=f'the image "{src}"',
        hint="Copy the image into the release's folder (or a folder inside it, such as kit/) and write its path "
        "relative to the release, e.g. ![Our logo](kit/logo.png); or write its full https:// address.",
    )
    return resolved if paths.is_file(resolved) else None


def missing(src: str, *, base: Path, where: str) -> ReleaseError:
    """The error for a local image that is not there."""
    return ReleaseError(
        f'{where}: the image "{src}" does not exist ({base / unquote(urlsplit(src).path)}).',
        hint="Image paths are relative to the release file; check the name, or write the image's full https:// address.",
    )


def embed(file: Path, *, src: str, where: str) -> tuple[Attachment, list[str]]:
    """The inline attachment for the image ``file`` (written ``src`` at ``where``) and its warnings."""
    suffix = file.suffix.lower()
    if suffix in _UNSUPPORTED:
        raise ReleaseError(
            f'{where}: the image "{src}" is a {_UNSUPPORTED[suffix]} file, which many email clients cannot show (use PNG, JPEG or GIF).',
            hint=_FORMAT_HINT,
        )
    content = paths.read_bytes(file, where=where, what=f'the image "{src}"', most=paths.MOST_ATTACHED)
    mime_type = sniff(content)
    if mime_type is None:
        raise ReleaseError(
            f'{where}: the image "{src}" is not a PNG, JPEG or GIF image (its content is not, whatever its name says).',
            hint=_FORMAT_HINT,
        )
    warnings = []
    if len(content) > LARGE_IMAGE_BYTES:
        warnings.append(
            f"{where}: the image {src} is {len(content) / (1024 * 1024):.1f} MB; large images are clipped or slow to load on phones. "
            "Make it smaller (1200 pixels wide is plenty; save photos as JPEG)."
        )
    image = Attachment(filename=file.name, content=content, mime_type=mime_type, disposition="inline", content_id=content_id(content))
    return image, warnings


def sniff(content: bytes) -> str | None:
    """The image's MIME type from its first bytes, or None when it is not a PNG, JPEG or GIF."""
    for magic, mime_type, _ in _MAGIC:
        if content.startswith(magic):
            return mime_type
    return None


def extension(mime_type: str) -> str:
    """The usual file extension of a supported image type."""
    return next((ext for _, known, ext in _MAGIC if known == mime_type), "bin")


def unique(images: Iterable[Attachment]) -> tuple[Attachment, ...]:
    """One attachment per content id (a logo used twice is sent once), in order of first use."""
    seen: dict[str | None, Attachment] = {}
    for image in images:
        seen.setdefault(image.content_id, image)
    return tuple(seen.values())


def preview_sources(html: str, images: Iterable[Attachment], folder: Path, stem: str) -> str:
    """The HTML with each ``cid:`` image pointing at a copy written beside it (``STEM.images/``).

    A browser cannot resolve ``cid:`` (only a mail client can), so the preview file shows the
    same picture from a file instead; the copies are named by content, so rewriting is harmless.
    """
    inline = [(image.content_id, image) for image in images if image.content_id]
    if not inline:
        return html
    target = folder / f"{stem}.images"
    target.mkdir(parents=True, exist_ok=True)
    for cid, image in inline:
        name = f"{cid.split('@', 1)[0]}.{extension(image.mime_type)}"
        safefile.write_own(target / name, image.content)
        html = html.replace(f'"cid:{cid}"', f'"{quote(target.name)}/{name}"')
    return html
