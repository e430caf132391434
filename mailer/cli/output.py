"""Everything press-mailer shows a person: messages, tables, progress bars and JSON.

Progress bars appear only on a terminal, so scripts and CI logs stay clean. Errors go to
standard error as "Error: <what>" followed by the hint on its own line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from mailer.errors import MailerError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class Advance(Protocol):
    def __call__(self, amount: int = 1) -> None: ...


def say(message: str) -> None:
    """A line for the user, taken literally (no Rich markup in user data)."""
    console.print(escape(message))


def note(message: str) -> None:
    """A line about how the command runs (which log, which config), on standard error so output stays pipeable."""
    err_console.print(f"[dim]{escape(message)}[/dim]")


def warn(message: str) -> None:
    """A warning the user can act on, on standard error."""
    err_console.print(f"[yellow]Warning:[/yellow] {escape(message)}")


def error(exc: MailerError) -> None:
    """Print a MailerError the way every command does: the message, then the hint."""
    err_console.print(f"[red]Error:[/red] {escape(exc.message)}")
    if exc.hint:
        err_console.print(escape(exc.hint))


def print_json(data: Any) -> None:
    """Machine-readable output on standard output, nothing else mixed in."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A Rich table; the title and cells are escaped so contact data (a subject, a name) cannot inject markup."""
    grid = Table(title=None if title is None else escape(title), title_justify="left")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(escape("" if cell is None else str(cell)) for cell in row))
    console.print(grid)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Advance]:
    """A progress bar on a terminal; off a terminal, a silent counter."""
    if not console.is_terminal:
        yield lambda amount=1: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda amount=1: bar.advance(task, amount)
