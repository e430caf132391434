"""Press lists read on a thread of their own while a send does the rest of its start.

``mailer send`` spends its first second importing what it needs (SQLAlchemy, the composer, the
sendgrid library), then reads its lists, which begins with importing pyarrow and numpy. Much of
reading a list does not hold Python's interpreter lock: loading pyarrow's and numpy's shared
libraries, and Arrow's CSV parser. So the send starts ``read_ahead`` as soon as it knows its lists,
and ``loader.load`` takes each file read that way (``taken``) instead of reading it again, on a
second core (issue 12; ``benchmarks/live_send.py``).

A file read ahead is used only when it has not changed since (its size, modification time and
inode); otherwise, or when reading it failed, ``load`` reads it as usual, and any error is raised
there, with its usual words. Only regular files are read ahead: a pipe (``--list /dev/stdin``) can be
read only once, by ``load``. Only the files a ``read_ahead`` named are looked for: any other
caller of ``load`` reads as before.

With ``whole``, the thread then loads the lists as ``loader.load(paths)`` would (examining every
address is mostly Arrow's compute functions, which let go of the lock too), and ``load`` of the
same files, in the same order, unfiltered (``loaded``), returns that: the send's main thread
spends nothing on its lists. The same rules hold: a file changed since, or an error, and ``load``
does the work itself.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import stat
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailer.contacts.listfile import ListFile
    from mailer.models import ContactList

__all__ = ["MODULES", "loaded", "read_ahead", "taken"]

MODULES = ("numpy", "pyarrow", "pyarrow.compute", "pyarrow.csv")

_Signature = tuple[int, int, int, int]  # size, modification time (ns), inode, device


@dataclass
class _Reading:
    """The files one ``read_ahead`` reads, by the name it was given: (the file's signature before it was read, the file),
    filled in by its thread."""

    thread: threading.Thread | None = None
    files: dict[str, tuple[_Signature, ListFile]] = field(default_factory=dict)
    # With ``whole``: the names in order, each file's signature before it was read, the files' names as
    # ``load`` told them (its ``on_file``), and the lists loaded.
    whole: tuple[tuple[str, ...], tuple[_Signature, ...], tuple[str, ...], ContactList] | None = None


_reading = _Reading()


def read_ahead(paths: Iterable[Path], *, whole: bool = False) -> threading.Thread:
    """Start importing ``MODULES`` and reading ``paths`` (``listfile.read``) on a thread of its own;
    with ``whole``, loading them too (``loaded``); returns it, started. Files an earlier
    ``read_ahead`` read and nobody took are dropped.

    Not a daemon: a command that stops first (an error, Ctrl-C) waits for it (a second or two at a
    million rows) rather than leaving it inside an extension module while Python shuts down.
    """
    global _reading
    wanted = [Path(path) for path in paths]
    reading = _reading = _Reading()
    reading.thread = threading.Thread(target=_read_all, args=(reading, wanted, whole), name="mailer-read-ahead")
    reading.thread.start()
    return reading.thread


def taken(path: Path) -> ListFile | None:
    """The file at ``path`` as ``read_ahead`` read it, once, if it was named there, read without an
    error, and is unchanged since; None otherwise (read it). Waits for the reading thread."""
    reading = _reading
    if reading.thread is None:
        return None
    if reading.thread is not threading.current_thread():  # the thread's own ``load`` (``whole``) takes them as it goes
        reading.thread.join()
    # By the name the send gave it: the file read names it so in its messages and rows ("lists/press.csv:5").
    found = reading.files.pop(str(path), None)
    if found is None:
        return None
    signature, file = found
    return file if _signature(path) == signature else None


def loaded(paths: Sequence[Path], on_file: Callable[[str], None] | None = None) -> ContactList | None:
    """The lists at ``paths`` as ``read_ahead(paths, whole=True)`` loaded them, once, if it was
    given the same names in the same order, loaded them without an error, and none has changed
    since; None otherwise (load them). ``on_file`` is told each file's name, as ``load`` tells it.
    Waits for the reading thread."""
    reading = _reading
    if reading.thread is None or reading.thread is threading.current_thread():
        return None
    reading.thread.join()
    found, reading.whole = reading.whole, None
    if found is None:
        return None
    names, signatures, told, contact_list = found
    if names != tuple(str(path) for path in paths) or signatures != tuple(_signature(path) for path in paths):
        return None
    for name in told:
        if on_file is not None:
            on_file(name)
    return contact_list


def _read_all(reading: _Reading, paths: list[Path], whole: bool) -> None:
    """The thread's work: the libraries, then each file (a file that cannot be read is left to ``load``),
    then, with ``whole``, the lists loaded."""
    try:
        for name in MODULES:
            importlib.import_module(name)
        from mailer.contacts import listfile
    except Exception:  # noqa: BLE001 -- ``load`` imports them again and says what is wrong
        return
    for path in paths:
        # A file that cannot be read is left out: ``load`` reads it again and raises its ListError (or other) itself.
        with contextlib.suppress(Exception):
            signature = _signature(path)
            if signature is not None:  # a regular file: a pipe (--list /dev/stdin) is read once, by ``load``
                reading.files[str(path)] = (signature, listfile.read(path))
    if whole and paths and all(str(path) in reading.files for path in paths):
        signatures = tuple(reading.files[str(path)][0] for path in paths)
        told: list[str] = []
        with contextlib.suppress(Exception):  # ``load`` does it again, and raises its error itself
            from mailer.contacts import loader

            contact_list = loader.load(paths, on_file=told.append)
            reading.whole = (tuple(str(path) for path in paths), signatures, tuple(told), contact_list)


def _signature(path: str | Path) -> _Signature | None:
    """What tells a regular file changed: size, modification time, inode, device; None for anything else."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return (found.st_size, found.st_mtime_ns, found.st_ino, found.st_dev)
