"""Files a release names stay inside the release's folder (promise 10: a release is data).

One rule for every path a release writes (``about_file``, ``attachments``, images, the
``template``): relative to the file it is written in, resolved with links followed, and
refused when it lands outside the folder it belongs to. ``about_file: /etc/passwd``,
``../secrets.pdf`` and a link inside the folder pointing elsewhere are all refused the same way.
"""

from __future__ import annotations

from pathlib import Path

from mailer.errors import ReleaseError

_HINT = (
    "Copy the file into the release's folder (or a folder inside it, such as kit/) and write its path "
    "relative to the release, e.g. kit/photo.jpg."
)


def resolve(written: str, *, base: Path, root: Path) -> Path | None:
    """The file ``written`` (relative to ``base``) names, links followed; None when it is outside ``root``."""
    try:
        candidate = Path(written).expanduser() if written.startswith("~") else Path(written)
        resolved = (candidate if candidate.is_absolute() else base / candidate).resolve()
        if resolved.is_relative_to(root.resolve()):
            return resolved
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte, a name the system refuses
        return None
    return None


def inside(written: str, *, base: Path, root: Path, where: str, what: str, hint: str = _HINT, place: str = "the release's folder") -> Path:
    """``resolve`` or a ReleaseError at ``where`` ("file, line N") naming ``what`` ("the attachment ...")."""
    resolved = resolve(written, base=base, root=root)
    if resolved is None:
        shown = root.resolve() if str(root) in ("", ".") else root
        raise ReleaseError(f"{where}: {what} is outside {place} ({shown}), so it cannot be used.", hint=hint)
    return resolved


def is_file(path: Path) -> bool:
    """True for a readable regular file (False instead of an error for odd names)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


# The most a file a release names may hold (review 25k #5): a 4 GB video in a press kit was read
# whole (and copied) to warn that it was too large. An attachment or image: what one email to
# SendGrid carries. A release or about file: a press release is a few pages (Gmail cuts an email
# past 102 KB), and a front matter of megabytes took minutes of reading YAML.
MB = 1024 * 1024
MOST_ATTACHED = 30 * MB
MOST_TEXT = 256 * 1024  # markdown-it reads a crafted text at 7 KB a second: 40 s at most
_TOO_LARGE = {
    MOST_ATTACHED: (
        "more than one email to SendGrid can carry (30 MB), so it cannot be sent",
        "Put it on your website and link to it in the release.",
    ),
    MOST_TEXT: (
        "a press release is a few pages of text (Gmail cuts an email past 102 KB)",
        "Check that this is the file you meant; a press release's text is a few kilobytes.",
    ),
}


def read_bytes(path: Path, *, where: str, what: str, most: int | None = None) -> bytes:
    """The file's bytes, or a ReleaseError saying why it cannot be read (permissions, a folder, ...,
    larger than ``most``: MOST_ATTACHED or MOST_TEXT, told before it is read)."""
    try:
        size = path.stat().st_size if most is not None else 0
        if most is not None and size > most:
            why, hint = _TOO_LARGE[most]
            shown = f"{size / MB:.1f}" if size < 100 * MB else f"{size / MB:.0f}"
            raise ReleaseError(f"{where}: {what} is {shown} MB; {why}.", hint=hint)
        return path.read_bytes()
    except OSError as exc:
        raise ReleaseError(
            f"{where}: {what} cannot be read ({exc.strerror or exc}).",
            hint="Check that the file exists and that you may read it.",
        ) from exc


def is_same_file(one: Path, other: Path) -> bool:
    """Whether two paths name the same file (False for a path that cannot be resolved)."""
    try:
        return one.resolve() == other.resolve()
    except (OSError, RuntimeError, ValueError):
        return False
