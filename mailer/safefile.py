"""Files mailer writes for the user (cleaned lists, reports), put in place only once whole.

A Ctrl-C or a full disk half-way through a write used to leave the file cut short, last week's
copy already gone (review 8). ``replacing`` writes to a temporary file beside the target and
renames it over the target at the end (``os.replace``: atomic on one file system, POSIX and
Windows alike); a target that is not a regular file (``/dev/stdout``, a pipe, ``/dev/full``) is
written in place, never renamed over.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["file_in_the_way", "replacing", "write_own"]


@contextmanager
def replacing(path: Path, *, encoding: str | None = None) -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content to: bytes, or text in ``encoding`` (newlines as
    written). ``path`` changes only when the block ends without an exception; it keeps its
    permissions (a new file gets the usual ones, as the umask allows), and a symbolic link stays
    one, the file it points to replaced (review 8b): a link of the user's own, root's (/dev/stdout)
    or the folder's owner's. One another user left in a shared folder is not followed (review 24k
    #5: reports/latest.csv -> the press officer's own file). Raises OSError."""
    if path.is_symlink():
        _refuse_foreign_link(path)
        path = path.resolve()
    try:
        found = path.stat()
        special = not stat.S_ISREG(found.st_mode)
        mode = stat.S_IMODE(found.st_mode)
    except FileNotFoundError:
        special = False
        mode = 0o666 & ~_umask()
    if special:
        with path.open("wb") if encoding is None else path.open("w", encoding=encoding, newline="") as handle:
            yield handle
        return
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") if encoding is None else os.fdopen(descriptor, "w", encoding=encoding, newline="") as handle:
            yield handle
        os.chmod(temporary, mode)  # mkstemp makes it 0600: colleagues sharing the folder could not read it
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_own(path: Path, data: bytes) -> None:
    """Write ``data`` as the whole of ``path``, a file mailer names itself in a folder of its own (a
    preview, a dry run's request or .eml, `mailer show`'s copy, the unsubscribe preview page).

    A symbolic link (or a pipe) standing there is replaced by the file, never followed: in an
    office folder colleagues share, anyone could leave out/preview/example.txt as a link to the
    press officer's ~/.bashrc, and the preview wrote the release's text over it (review 24k #3).
    ``replacing`` (a file the user names, ``-o``) follows a link on purpose. A folder on the way
    that is a link another user left (out/preview -> the press officer's public_html) is not
    written through: PermissionError. Raises OSError."""
    _check_folders(path.parent)
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    if found is not None and not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode):
        os.unlink(path)
    # O_NOFOLLOW: a link put there since is refused, not followed; O_NONBLOCK: a pipe is not waited on.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o666), "wb") as handle:
        handle.write(data)


_CHECKED: set[Path] = set()  # folders write_own found no foreign link on: a dry run writes thousands of files into one


def _check_folders(folder: Path) -> None:
    """PermissionError when ``folder`` or a folder above it is a link another user made (``_refuse_foreign_link``)."""
    folder = folder.absolute()
    if folder in _CHECKED:
        return
    for each in (folder, *folder.parents):
        if each.is_symlink():
            _refuse_foreign_link(each)
    _CHECKED.add(folder)


def _refuse_foreign_link(path: Path) -> None:
    """PermissionError when ``path`` is a link made by someone other than this user, root or the
    owner of its folder: the rule Linux keeps for links in shared temporary folders (fs.protected_symlinks)."""
    if not hasattr(os, "geteuid"):  # Windows: links need an administrator's right to make
        return
    owner = os.lstat(path).st_uid
    if owner in (os.geteuid(), 0) or owner == os.stat(path.parent).st_uid:
        return
    raise PermissionError(
        errno.EPERM,
        f"it is a link another user made (user id {owner}), pointing at {os.readlink(path)}: not written through. "
        "Remove the link, or use a file or folder of your own",
        str(path),
    )


def file_in_the_way(path: Path) -> Path | None:
    """The file that stands where one of ``path``'s folders should be (``-o lists/press.csv/x.csv``),
    if any: its folder cannot be made, and "File exists" would not say why (review 8)."""
    for folder in path.parents:
        if folder.exists():
            return folder if not folder.is_dir() else None
    return None


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: POSIX has no other way)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
