"""Everything press-mailer shows a person: messages, tables, progress bars and JSON.

Progress bars appear only on a terminal, so scripts and CI logs stay clean. Errors go to
standard error as "Error: <what>" followed by the hint on its own line.

How much is said follows ``-q/--quiet`` and ``-v/--verbose`` (``set_level``): quiet keeps
errors, warnings and the output asked for (``say``, tables, JSON) and drops notes about how
the command runs, a send's plan (``step``), hints and progress bars; verbose adds ``detail`` lines (which config, which
log, how long it took). Rich is imported on first output, so ``--help`` never loads it.

A command run with ``--json`` (``json_option``) calls ``start_json()`` first: from then on every
line for a person goes to standard error, warnings are also collected, and standard output
carries exactly one JSON document: the command's (``print_document``), or, when it fails
before printing one, ``{"error", "hint", "exit_code"}``.

Text is printed as Rich ``Text`` objects, never as markup strings: a journalist's "[bold]x" or
"x\\" prints as written (rich.markup.escape doubles a trailing backslash), and emoji codes such
as ":thumbs_up:" stay text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

from mailer import controls
from mailer.errors import MailerError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

QUIET, NORMAL, VERBOSE = -1, 0, 1
_state = {"level": NORMAL}
_consoles: dict[bool, Console] = {}


def set_level(level: int) -> None:
    """QUIET, NORMAL or VERBOSE, for everything printed from now on."""
    _state["level"] = level


def start() -> None:
    """A command run begins: the default level, and consoles made afresh on first output, so each
    run sees its own terminal width and streams (tests and scripts run many in one process)."""
    set_level(NORMAL)
    _consoles.clear()


def level() -> int:
    """The current level: QUIET, NORMAL or VERBOSE."""
    return _state["level"]


def _console(stderr: bool = False) -> Console:
    """The standard output (or error) console, made on first use."""
    made = _consoles.get(stderr)
    if made is None:
        from rich.console import Console

        made = _consoles[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)
    return made


def __getattr__(name: str) -> Console:
    """``output.console`` and ``output.err_console``, made on first use."""
    if name in ("console", "err_console"):
        return _console(stderr=name == "err_console")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# What a terminal would act on, shown as escapes: the rule lives in mailer.controls, shared with
# the HTML report's cells (session 21's leftover #2).
SHOWN_AS_THEY_ARE = controls.SHOWN_AS_THEY_ARE
visible = controls.visible
one_line = controls.one_line


def json_shown(text: str) -> str:
    """JSON text as a terminal may be given it: the characters ``visible`` shows escaped (a
    bidirectional override, a C1 control such as U+009B, which json.dumps leaves as they are) written
    as JSON's own ``\\u202e`` escapes, so the document reads back the same (review 18y #9: a bounce
    reason's U+202E reordered the line of `mailer report --format json` on the terminal, where the
    CSV shows it as ``\\u202e``). Line breaks are JSON's own; a string's are already ``\\n``."""
    if text.isprintable():
        return text
    if "\n" in text:  # a document's lines, each looked at character by character only when it needs it
        return "\n".join(json_shown(line) for line in text.split("\n"))
    shown = []
    for c in text:
        if c.isprintable() or c in SHOWN_AS_THEY_ARE:
            shown.append(c)
        elif ord(c) > 0xFFFF:  # a surrogate pair, as JSON writes such a character
            high, low = divmod(ord(c) - 0x10000, 0x400)
            shown.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
        else:
            shown.append(f"\\u{ord(c):04x}")
    return "".join(shown)


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (a person reads it) rather than a pipe or a file."""
    return sys.stdout.isatty()


class TerminalJson:
    """Standard output for a JSON document written piece by piece: each piece through ``json_shown``
    when standard output is a terminal, as it is when a pipe or a file gets it otherwise."""

    def __init__(self) -> None:
        self._terminal = stdout_is_terminal()

    def write(self, text: str) -> int:
        return sys.stdout.write(json_shown(text) if self._terminal else text)

    def flush(self) -> None:
        sys.stdout.flush()


def _text(message: str, style: str = "") -> Text:
    """``message`` as Rich Text: printed as written (``visible``), never read as markup."""
    from rich.text import Text

    return Text(visible(message), style=style)


def _out() -> Console:
    """Where a line for a person goes: standard output, or standard error under --json."""
    return _console(stderr=_json_state() is not None)


class Advance(Protocol):
    def __call__(self, amount: int = 1) -> None: ...


def say(message: str) -> None:
    """A line of the output asked for, taken literally (no Rich markup in user data); printed even with --quiet.

    On standard error under --json."""
    _out().print(_text(message))


def step(message: str) -> None:
    """A line of a command's plan (what a send or resume will do: mode, subject, recipients, ...),
    taken literally, where ``say`` prints; left out with --quiet, which keeps the outcome (the
    totals line), warnings and errors (fix13n #5)."""
    if level() > QUIET:
        _out().print(_text(message))


def hint(message: str) -> None:
    """A line suggesting what to do next (standard output); left out with --quiet."""
    if level() > QUIET:
        _out().print(_text(message))


def note(message: str, *, wrap: bool = False) -> None:
    """A line about how the command runs (which log), on standard error so output stays pipeable; left out with --quiet.

    ``wrap``: a long note breaks between words at the terminal's width (else the terminal wraps it).
    """
    if level() > QUIET:
        _console(stderr=True).print(_text(message, "dim"), soft_wrap=not wrap)


def detail(message: str) -> None:
    """A line only --verbose shows (which config, timings), on standard error."""
    if level() >= VERBOSE:
        _console(stderr=True).print(_text(message, "dim"))


def warn(message: str) -> None:
    """A warning the user can act on, on standard error (kept with --quiet; and in the --json document's "warnings")."""
    from rich.text import Text

    _console(stderr=True).print(Text.assemble(("Warning:", "yellow"), " ", visible(message)))
    state = _json_state()
    if state is not None:
        state["warnings"].append(message)


def error(exc: MailerError) -> None:
    """Print a MailerError the way every command does: the message, then the hint."""
    from rich.text import Text

    err = _console(stderr=True)
    err.print(Text.assemble(("Error:", "red"), " ", visible(exc.message)))
    if exc.hint:
        err.print(Text(visible(exc.hint)))
    state = _json_state()
    if state is not None and not state["printed"]:
        print_document({"error": exc.message, "hint": exc.hint, "exit_code": exc.exit_code})


def stopped_document(exit_code: int = 130) -> None:
    """Under --json, when Ctrl-C (or SIGTERM) stopped the command before its document: the error
    document, its exit code (130; 143 for SIGTERM), the warnings said so far (a campaign left in the log among them)."""
    state = _json_state()
    if state is not None and not state["printed"]:
        print_document({"error": "Stopped at your request.", "hint": None, "exit_code": exit_code, "interrupted": True})


def print_json(data: Any) -> None:
    """Machine-readable output on standard output, nothing else mixed in."""
    TerminalJson().write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
    state = _json_state()
    if state is not None:
        state["printed"] = True


def open_in_browser(path: Path) -> None:
    """Open ``path`` in the browser; when nothing can (an SSH session, no browser), say so and
    name the file (the launcher's own errors came after the prompt, mailer said nothing; review 8)."""
    import click

    try:
        with _launcher_quiet():  # "xdg-open: no method available ...", a browser's own chatter (newcomer 28 #9)
            code = click.launch(str(path.resolve()), wait=True)
    except OSError:
        code = 1
    if code != 0:
        warn(f"Could not open a browser here: open {path} yourself.")


@contextmanager
def _launcher_quiet() -> Iterator[None]:
    """Standard error (the file descriptor, which programs started meanwhile inherit) sent to the
    null device for the while: mailer says itself whether the page could be opened."""
    import os

    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to speak of
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def confirm(question: str) -> bool:
    """Ask a yes/no question, no by default; leaving it with Ctrl-D or Ctrl-C is a no too (click
    would print a bare "Aborted!"; review 8), so the caller says what was not done. `kill PID`
    (SIGTERM) is nobody's answer: it stops the command as it would a moment later (review 27a:
    "Nothing was sent." and exit 0, as if the press officer had said no)."""
    import click

    from mailer import stopping

    try:
        return click.confirm(question, default=False)
    except click.Abort as aborted:
        click.echo()  # the prompt's line ends here
        if isinstance(aborted.__context__, stopping.Terminated):
            raise aborted.__context__ from None
        return False


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A Rich table; the title and cells are plain Text, so contact data (a subject, a name) cannot inject markup."""
    from rich.table import Table

    grid = Table(title=None if title is None else _text(title), title_justify="left")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(_text("" if cell is None else str(cell)) for cell in row))
    _out().print(grid)


def grid(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    keep: Collection[str] = (),
    right: Collection[str] = (),
    drop: Sequence[str] = (),
) -> None:
    """An aligned table without borders, one row per line, headings first.

    Piped or redirected, every row stays on one line with trailing spaces cut, so ``grep``
    and ``cut`` work. On a terminal it fits the window: columns in ``drop`` are left out, in
    that order, until the table fits with the last column (free text) at least 30 characters
    wide; columns in ``keep`` (ids people type) never wrap, the others wrap. Columns in
    ``right`` (figures) are right-aligned. Cells are escaped, so contact data cannot inject markup,
    and a line break in one is shown as \\n (``one_line``): a row is one line, on a terminal too.
    """
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    cells = [["" if cell is None else one_line(str(cell)) for cell in row] for row in rows]
    shown = list(range(len(columns)))
    console = _console()
    if console.is_terminal:

        def needed(indexes: list[int]) -> int:
            widths = [max([cell_len(columns[i]), *(cell_len(row[i]) for row in cells)]) for i in indexes]
            return sum(widths[:-1]) + min(widths[-1], 30) + 2 * (len(indexes) - 1)

        for name in drop:
            if needed(shown) <= console.width:
                break
            shown.remove(columns.index(name))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for i in shown:
        table.add_column(columns[i], no_wrap=columns[i] in keep, justify="right" if columns[i] in right else "left")
    for row in cells:
        table.add_row(*(_text(row[i]) for i in shown))
    if console.is_terminal:
        console.print(table)
        return
    wide = Console(width=100_000, highlight=False, color_system=None, file=sys.stdout)  # never wrap off a terminal
    with wide.capture() as captured:
        wide.print(table)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    sys.stdout.flush()


TABLE_CHUNK = 2000  # rows of a terminal table drawn and printed at a time


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
    from rich.cells import cell_len
    from rich.console import Console
    from rich.segment import Segment, Segments
    from rich.table import Table

    console = _out()
    whole = {keys.index(key) for key in keep_whole if key in keys}

    def narrowest(i: int) -> int:
        """The least width column i can take: its longest cell if whole (or --wide), else its longest word."""
        if i in whole or wide:
            return max(
                [cell_len(labels[i]) if wide else max(map(cell_len, labels[i].split()), default=0)] + [cell_len(row[i]) for row in rows]
            )
        words = [labels[i], *(row[i] for row in rows[:2000])]
        return max((cell_len(word) for cell in words for word in cell.split()), default=1)

    least = {i: narrowest(i) for i in range(len(keys))}
    shown = list(range(len(keys)))
    left_out: list[str] = []
    pending = list(dict.fromkeys(keys.index(key) for key in drop_order if key in keys))  # each column once

    def width_of(indexes: Sequence[int]) -> int:
        return sum(least[i] + 3 for i in indexes) + 1  # a space either side and a rule per column

    while not wide and width_of(shown) > console.width and pending:
        index = pending.pop(0)
        shown.remove(index)
        left_out.append(labels[index])
    # Widths decided here, not by Rich: its squeezing ignores minimum widths and cuts the last column.
    widths = {i: least[i] for i in shown}
    most = {i: max([cell_len(labels[i]), *(cell_len(row[i]) for row in rows)]) for i in shown}
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
    justify = {
        i: "right" if all(not cell or cell.rstrip("%").replace(".", "", 1).isdigit() for cell in (row[i] for row in rows[:500])) else "left"
        for i in shown
    }
    needed = sum(widths[i] + 3 for i in shown) + 1
    target = console
    if needed > console.width:
        color = console.color_system
        target = Console(file=console.file, width=needed, highlight=False, soft_wrap=True, emoji=False, color_system=color)  # type: ignore[arg-type]

    def drawn(part: Sequence[Sequence[str]], *, first: bool) -> Table:
        made = Table(title=_text(title) if first else None, title_justify="left", show_header=first)
        for i in shown:
            made.add_column(labels[i], no_wrap=i in whole or wide, width=widths[i], justify=justify[i])  # type: ignore[arg-type]
        for row in part:
            made.add_row(*(_text(row[i]) for i in shown))
        return made

    if len(rows) <= TABLE_CHUNK:
        target.print(drawn(rows, first=True))
        return left_out
    # A long table (a recipients report of 100,000 journalists) is drawn a chunk of rows at a
    # time, with the widths worked out above, and each chunk printed as it is drawn: drawn whole,
    # Rich held every line of it in memory (835 MB, 44 s before the first line; review 18r #2).
    # Each chunk's own closing edge is left out, and the next chunk's opening edge, so the rows
    # read as one table.
    options = target.options.update(no_wrap=True, overflow="ignore")
    for start in range(0, len(rows), TABLE_CHUNK):
        first, last = start == 0, start + TABLE_CHUNK >= len(rows)
        # Rendered to segments and printed through the console, so styles reach any terminal as
        # the console writes them (Windows' older console included).
        # Rendered as print renders for a soft-wrapping console (both are): nothing wrapped or cut.
        drawing = target.render(drawn(rows[start : start + TABLE_CHUNK], first=first), options)
        lines = list(Segment.split_lines(drawing))
        if not first:
            lines = lines[1:]  # the opening edge
        if not last:
            lines = lines[:-1]  # the closing edge
        target.print(Segments([segment for line in lines for segment in (*line, Segment.line())]), end="")
    return left_out


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Advance]:
    """A progress bar on a terminal; off a terminal or with --quiet, a silent counter."""
    if level() <= QUIET or not _console().is_terminal:
        yield lambda amount=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}", markup=False),  # a file's name as typed, "[draft] bees.csv" too
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda amount=1: bar.advance(task, amount)
        if total is None:  # counted without knowing how many: the finished bar ends full, "3/3", not "3/?" (newcomer 22)
            done = int(bar.tasks[0].completed)
            bar.update(task, total=done, completed=done)


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
