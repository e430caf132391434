"""Everything press-mailer shows a person: messages, tables, progress bars and JSON.

Progress bars appear only on a terminal, so scripts and CI logs stay clean. Errors go to
standard error as "Error: <what>" followed by the hint on its own line.

A command run with ``--json`` (``json_option``) calls ``start_json()`` first: from then on every
line for a person goes to standard error, warnings are also collected, and standard output
carries exactly one JSON document: the command's (``print_document``), or, when it fails
before printing one, ``{"error", "hint", "exit_code"}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from mailer.errors import MailerError

# Text is printed as Text objects, never as markup strings: a journalist's "[bold]x" or "x\\" prints as
# written (rich.markup.escape doubles a trailing backslash). emoji=False: Rich would turn ":thumbs_up:" into an emoji.
console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class Advance(Protocol):
    def __call__(self, amount: int = 1) -> None: ...


def say(message: str) -> None:
    """A line for the user, taken literally (no Rich markup in user data); on standard error under --json."""
    (err_console if _json_state() is not None else console).print(Text(message))


def note(message: str) -> None:
    """A line about how the command runs (which log, which config), on standard error so output stays pipeable."""
    err_console.print(Text(message, style="dim"))


def warn(message: str) -> None:
    """A warning the user can act on, on standard error (and in the --json document's "warnings")."""
    err_console.print(Text.assemble(("Warning:", "yellow"), " ", message))
    state = _json_state()
    if state is not None:
        state["warnings"].append(message)


def error(exc: MailerError) -> None:
    """Print a MailerError the way every command does: the message, then the hint."""
    err_console.print(Text.assemble(("Error:", "red"), " ", exc.message))
    if exc.hint:
        err_console.print(Text(exc.hint))
    state = _json_state()
    if state is not None and not state["printed"]:
        print_document({"error": exc.message, "hint": exc.hint, "exit_code": exc.exit_code})


def print_json(data: Any) -> None:
    """Machine-readable output on standard output, nothing else mixed in."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
    state = _json_state()
    if state is not None:
        state["printed"] = True


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A Rich table; the title and cells are plain Text, so contact data (a subject, a name) cannot inject markup."""
    grid = Table(title=None if title is None else Text(title), title_justify="left")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    (err_console if _json_state() is not None else console).print(grid)


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


# -- --json: one document on standard output, everything else on standard error -----------------

_JSON_KEY = "mailer.json"

json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document describing the outcome (keys in the README); messages go to standard error.",
)


def start_json() -> None:
    """Switch the running command to --json: lines for a person go to standard error from here on."""
    click.get_current_context().meta[_JSON_KEY] = {"warnings": [], "printed": False}


def in_json() -> bool:
    """Whether the running command was asked for --json."""
    return _json_state() is not None


def print_document(data: dict[str, Any]) -> None:
    """The --json document, with the warnings shown so far under "warnings"."""
    state = _json_state()
    print_json({**data, "warnings": list(state["warnings"]) if state is not None else []})


def _json_state() -> dict[str, Any] | None:
    ctx = click.get_current_context(silent=True)
    found: dict[str, Any] | None = ctx.meta.get(_JSON_KEY) if ctx is not None else None
    return found
