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


def note(message: str, *, wrap: bool = False) -> None:
    """A line about how the command runs (which log, which config), on standard error so output stays pipeable.

    ``wrap``: a long note breaks between words at the terminal's width (else the terminal wraps it).
    """
    err_console.print(f"[dim]{escape(message)}[/dim]", soft_wrap=not wrap)


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
    """A Rich table; cells are escaped so contact data cannot inject markup."""
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(escape("" if cell is None else str(cell)) for cell in row))
    console.print(grid)


def fitted_table(
    title: str,
    *,
    keys: Sequence[str],
    labels: Sequence[str],
    rows: Sequence[Sequence[str]],
    keep_whole: Sequence[str] = (),
    drop_order: Sequence[str] = (),
    wide: bool = False,
) -> list[str]:
    """A table that fits the terminal: ``keep_whole`` columns are never wrapped or cut, other
    columns wrap between words, and while the table is still too wide the columns named in
    ``drop_order`` are left out, first named first. ``wide``: every column at full width.

    Returns the labels of the columns left out. When even the kept columns are wider than the
    terminal (a very long address on a narrow one), the table is printed at the width it needs
    and the terminal wraps its lines: an address is never cut.
    """
    whole = {keys.index(key) for key in keep_whole if key in keys}

    def narrowest(i: int) -> int:
        """The least width column i can take: its longest cell if whole (or --wide), else its longest word."""
        if i in whole or wide:
            return max([len(labels[i]) if wide else max(map(len, labels[i].split()), default=0)] + [len(row[i]) for row in rows])
        words = [labels[i], *(row[i] for row in rows[:2000])]
        return max((len(word) for cell in words for word in cell.split()), default=1)

    least = {i: narrowest(i) for i in range(len(keys))}
    shown = list(range(len(keys)))
    left_out: list[str] = []
    pending = [keys.index(key) for key in drop_order if key in keys]

    def width_of(indexes: Sequence[int]) -> int:
        return sum(least[i] + 3 for i in indexes) + 1  # a space either side and a rule per column

    while not wide and width_of(shown) > console.width and pending:
        index = pending.pop(0)
        shown.remove(index)
        left_out.append(labels[index])
    # Widths decided here, not by Rich: its squeezing ignores minimum widths and cuts the last column.
    widths = {i: least[i] for i in shown}
    most = {i: max([len(labels[i]), *(len(row[i]) for row in rows)]) for i in shown}
    spare = console.width - width_of(shown)
    # Columns that can be made whole with the room there is, fewest characters first (a time
    # on one line before a reason on two), then what is left shared out a character at a time.
    for i in sorted(shown, key=lambda i: most[i] - widths[i]):
        if 0 < most[i] - widths[i] <= spare:
            spare -= most[i] - widths[i]
            widths[i] = most[i]
    while spare > 0:
        short = [i for i in shown if widths[i] < most[i]]
        if not short:
            break
        for i in short[:spare]:
            widths[i] += 1
        spare -= min(len(short), spare)
    grid = Table(title=title, title_justify="left")
    for i in shown:
        numeric = all(not cell or cell.rstrip("%").replace(".", "", 1).isdigit() for cell in (row[i] for row in rows[:500]))
        grid.add_column(labels[i], no_wrap=i in whole or wide, width=widths[i], justify="right" if numeric else "left")
    for row in rows:
        grid.add_row(*(escape(row[i]) for i in shown))
    needed = sum(widths[i] + 3 for i in shown) + 1
    if needed <= console.width:
        console.print(grid)
    else:
        Console(file=console.file, width=needed, highlight=False, soft_wrap=True, color_system=console.color_system).print(grid)  # type: ignore[arg-type]
    return left_out


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
