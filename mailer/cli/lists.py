"""``mailer lists ...``: check and clean press lists (``lists prune`` lives with suppressions).

In Python: ``mailer.contacts.check(paths)``, ``contacts.load(paths)``, ``contacts.write_clean``
and ``contacts.write_rejects``.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.contacts.listfile import DELIMITER_NAMES, display_name
from mailer.counting import counted
from mailer.errors import ListError
from mailer.models import ListSummary, RejectedRow, RejectReason

if TYPE_CHECKING:  # contacts is imported by the commands that use it (it loads numpy and Arrow as it runs)
    from mailer.contacts import ListCheck

F = TypeVar("F", bound=Callable[..., Any])

SHOWN_REJECTED = 10
REASON_WORDS = {
    RejectReason.INVALID: "invalid",
    RejectReason.MISSING: "missing address",
    RejectReason.DUPLICATE: "duplicate",
    RejectReason.SUPPRESSED: "opted out",  # the list's own opt-out column (a CRM export's) says so; those without consent apart
}

list_files = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
DELIMITER_CHOICES = {"comma": ",", "semicolon": ";", "tab": "\t"}
# A bar over reading lists counts to 100: the share of the work done, through one big file as through many.
BAR_STEPS = 100


def bar_share(advance: Callable[[int], None]) -> Callable[[float], None]:
    """``contacts.check``/``load``'s ``on_progress`` (the share done, 0 to 1) moving a bar of BAR_STEPS."""
    shown = [0]

    def told(share: float) -> None:
        due = min(BAR_STEPS, int(share * BAR_STEPS))
        if due > shown[0]:
            advance(due - shown[0])
            shown[0] = due

    return told


def delimiter_option(command: F) -> F:
    """--delimiter comma|semicolon|tab for the CSV files mailer writes (default: the input list's)."""
    return click.option(
        "--delimiter",
        type=click.Choice(sorted(DELIMITER_CHOICES)),
        default=None,
        help="Delimiter of the files written (default: the same as the list read). "
        "Files are UTF-8 with a byte-order mark, which Excel opens with accents intact.",
    )(command)


def filter_options(command: F) -> F:
    """--where FIELD=VALUE and --tag TAG (both repeatable), passed on as ``where`` and ``tag`` tuples."""
    command = click.option(
        "--tag",
        "tag",
        multiple=True,
        metavar="TAG",
        help="Only journalists with this tag (repeat for any of several tags).",
    )(command)
    command = click.option(
        "--where",
        "where",
        multiple=True,
        metavar="FIELD=VALUE",
        help="Only journalists whose FIELD is VALUE, e.g. beat=health or country=US,CA "
        "(repeat for several fields; several values mean any of them).",
    )(command)
    return command


@main.group("lists")
def lists_group() -> None:
    """Check, clean and prune press lists (CSV files of journalists).

    \b
    Example:
        mailer lists check lists/press.csv
    """


@lists_group.command("check")
@list_files
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@pass_app
def check_command(app: AppContext, files: tuple[Path, ...], as_json: bool) -> None:
    """Show what is in press lists: recipients, and every row that is not one, and why.

    Reads each FILE (CSV from Excel, a media database or a colleague: UTF-8, UTF-16,
    Windows-1252 or Mac Roman; comma, semicolon or tab, or the delimiter of Excel's "sep="
    line), recognizes its columns (in English, French, German, Spanish, Italian,
    Portuguese or Dutch), and checks every
    address. Rows with an invalid or missing address, and repeats of an address already
    seen (in any of the files), are reported with their row number. Nothing is changed.
    Exits 0 when the files could be read, even if some rows were rejected.

    \b
    Example:
        mailer lists check lists/press.csv
        mailer lists check lists/press.csv lists/staff.csv --json
    """
    from mailer import contacts

    if as_json:
        output.start_json()  # an error becomes the JSON error document too (review 8)
    _ = app.config  # a mistake in mailer.toml is reported whatever the command
    with output.progress("Checking lists", total=BAR_STEPS) as advance:
        # Several files: each is checked even when one cannot be read (review: it stopped at the first).
        result = contacts.check(files, keep_going=len(files) > 1, on_progress=bar_share(advance))
    if as_json:
        output.print_json(_check_json(result))
        _refuse_unreadable(result, len(files))
        return
    unconsented = _without_consent(result.rejected)
    for file in result.files:
        _print_file(file.summary, file.valid, file.rejected, without_consent=unconsented[file.summary.path])
    if len(result.files) > 1:
        totals = {reason: result.count(reason) for reason in REASON_WORDS}
        words = _rejected_words(totals, without_consent=sum(unconsented.values()))
        output.say(f"Total: {counted(result.rows, 'row')} read, {counted(result.valid, 'recipient')}, rejected: {words}.")
    if result.rejected:
        shown = result.rejected[:SHOWN_REJECTED]
        several = len(result.files) > 1
        more = f" (first {len(shown)} of {len(result.rejected)}; --json lists them all)" if len(result.rejected) > len(shown) else ""
        output.say(f"Rejected rows{more}:")
        for row in shown:
            where = f"{row.source} row {row.row}" if several else f"row {row.row}"
            output.say(f"  {where}: {output.one_line(row.email) or '(empty)'}: {output.one_line(row.detail)}")
        unread = {name for name, _ in result.unreadable}
        output.hint("To get a list without these rows: " + _clean_command([path for path in files if display_name(path) not in unread]))
    if result.misspelt:
        from mailer.contacts.addresses import MISSPELT

        shown_typos = result.misspelt[:SHOWN_REJECTED]
        more = (
            f" (first {len(shown_typos)} of {len(result.misspelt)}; --json lists them all)"
            if len(result.misspelt) > len(shown_typos)
            else ""
        )
        output.say(
            f"Addresses that may be misspelt{more} (counted as recipients; an address that does not exist bounces, and a bounce suppresses it):"
        )
        several = len(result.files) > 1
        for typo in shown_typos:
            where = f"{typo.source} row {typo.row}" if several else f"row {typo.row}"
            output.say(f"  {where}: {typo.email}: {MISSPELT.format(domain=typo.domain, likely=typo.likely)}")
        output.hint("Correct them in the list (or confirm them with the journalist), then check again.")
    for _, problem in result.unreadable:
        output.error(problem)
    _refuse_unreadable(result, len(files))


def _refuse_unreadable(result: ListCheck, given: int) -> None:
    """Exit 1 when some of the files given could not be read (each was named with its own error)."""
    if not result.unreadable:
        return
    names = ", ".join(name for name, _ in result.unreadable)
    count = len(result.unreadable)
    if count == given:
        raise ListError(f"None of the {given} files could be read: {names}.", hint="Fix them (each error says how) and check again.")
    raise ListError(
        f"{count} of the {given} files could not be read: {names}." if count > 1 else f"{names} could not be read.",
        hint="The other files were checked: see above. Fix the files named (each error says how) and check again.",
    )


# What an existing file written over by lists clean / prune may be called (review 8b: `-o
# releases/example.md` replaced the release with a CSV).
LIST_SUFFIXES = (".csv", ".tsv", ".txt")


def _clean_command(files: Sequence[Path]) -> str:
    """The `lists clean` line for these files, ready to copy (newcomer review 8: it said FILE...):
    the output beside the first file, named after it, ending as it does (a tab-separated .txt
    list is written tab-separated: not under a .csv name; newcomer 11)."""
    first = files[0]
    suffix = first.suffix.lower() if first.suffix.lower() in LIST_SUFFIXES else ".csv"
    clean, rejects = first.with_name(f"{first.stem}-clean{suffix}"), first.with_name(f"{first.stem}-rejects{suffix}")
    named = " ".join(shlex.quote(str(path)) for path in files)
    return f"mailer lists clean {named} -o {shlex.quote(str(clean))} --rejects {shlex.quote(str(rejects))}"


@lists_group.command("clean")
@list_files
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the recipients (CSV).",
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the rejected rows here, with row and reason, to fix them.",
)
@delimiter_option
@pass_app
def clean_command(app: AppContext, files: tuple[Path, ...], out: Path, rejects: Path | None, delimiter: str | None) -> None:
    """Write a clean copy of press lists: one row per recipient, standard column names.

    The recipients of all FILEs go to the -o file as CSV with the columns email, first_name,
    last_name, outlet, title, beat, tags, country, language, then your own columns (and
    honorific, when full names had one: "Dr. Jane Doe"). Files are written UTF-8 with a
    byte-order mark, with the first list's delimiter unless --delimiter says otherwise.
    Invalid, missing and duplicate addresses, and rows a list's own opt-out column marks
    (HubSpot's "Unsubscribed from all email", Salesforce's "Email Opt Out"), are left out; with
    --rejects they are written to a second file with their original cells and the row and
    reason, so they can be fixed.

    \b
    Example:
        mailer lists clean lists/press.csv -o out/press-clean.csv --rejects out/press-rejects.csv
    """
    from mailer import contacts

    _ = app.config  # a mistake in mailer.toml is reported whatever the command
    _refuse_overwriting(files, out, rejects)
    for target, option in ((out, "-o"), (rejects, "--rejects")):
        if target is not None:
            refuse_workbook(target, option, "lists clean")
            app.never_over(target, suffixes=LIST_SUFFIXES)
    with output.progress("Reading lists", total=BAR_STEPS) as advance:
        contact_list = contacts.load(files, on_progress=bar_share(advance))
    chosen = DELIMITER_CHOICES[delimiter] if delimiter else None
    written = contacts.write_clean(contact_list, out, delimiter=chosen)
    output.say(f"Wrote {counted(written, 'recipient')} to {out}.")
    if rejects is not None:
        count = contacts.write_rejects(contact_list, rejects, delimiter=chosen)
        output.say(f"Wrote {counted(count, 'rejected row')} to {rejects}.")
    elif contact_list.rejected:
        output.say(f"Left out {counted(len(contact_list.rejected), 'rejected row')} (add --rejects FILE to keep them for fixing).")


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def refuse_workbook(target: Path, option: str, command: str) -> None:
    """A list written as CSV under a spreadsheet's name (``-o presse.xlsx``) is one Excel refuses to
    open as damaged: refused before anything is read or written (newcomer 28 #11), as `suppressions
    list -o` refuses it."""
    if target.suffix.lower() in WORKBOOK_SUFFIXES:
        raise ListError(
            f"{target}: {command} writes the list as CSV (which Excel opens as it is), not as a {target.suffix} workbook.",
            hint=f"Give a file name ending in .csv: {option} {shlex.quote(str(target.with_suffix('.csv')))}",
        )


def _refuse_overwriting(files: tuple[Path, ...], out: Path, rejects: Path | None) -> None:
    """Writing over a list being cleaned, or both outputs to one file, would lose rows without a word."""
    hint = "Give -o and --rejects new file names, for example -o out/press-clean.csv --rejects out/press-rejects.csv."
    inputs = {file.resolve() for file in files}
    for target in (out, rejects):
        if target is not None and target.resolve() in inputs:
            raise ListError(f"{target}: mailer would write over a file it is reading from.", hint=hint)
    if rejects is not None and rejects.resolve() == out.resolve():
        raise ListError(f"{rejects}: -o and --rejects name the same file.", hint=hint)


def _without_consent(rejected: Iterable[RejectedRow]) -> Counter[str]:
    """Per file, its rows a consent or opt-in column turned away (its cell says no, or nothing):
    rejected as the opted out are (``RejectReason.SUPPRESSED``), but none of them opted out."""
    return Counter(row.source for row in rejected if row.without_consent)


def _print_file(summary: ListSummary, valid: int, rejected: Mapping[RejectReason, int], *, without_consent: int = 0) -> None:
    delimiter = DELIMITER_NAMES.get(summary.delimiter, repr(summary.delimiter))
    output.say(f"{summary.path} ({summary.encoding}, {delimiter}-separated)")
    output.say(f"  rows read:   {summary.rows}")
    output.say(f"  recipients:  {valid}")
    output.say(f"  rejected:    {_rejected_words(rejected, without_consent=without_consent)}")
    heading = output.one_line  # the list's own headings, each on this one line
    recognized = [
        f"first_name + last_name ({heading(header)})" if name == "name" else f"{name} ({heading(header)})"
        for name, header in summary.recognized.items()
    ]
    output.say("  columns:     " + ", ".join(recognized))
    if summary.custom:
        output.say("  your own:    " + ", ".join(f"{name} ({heading(header)})" for name, header in summary.custom.items()))
    for note in summary.notes:
        output.say(f"  note:        {heading(note)}")  # it quotes headings
    for header in _opt_out_columns(summary):  # newcomer 23 #8
        output.say(f"  note:        {_opt_out_note(heading(header))}")
    for header in _consent_columns(summary):  # review 20c #4
        output.say(f"  note:        {_consent_note(heading(header), beside=list(summary.custom.values()))}")


def _opt_out_columns(summary: ListSummary) -> list[str]:
    """The headings of a list's opt-out columns ("Désinscrit", "Do Not Email"), as the list has them: listed
    under "your own", as every column mailer keeps as it is, they read as if mailer did not look at them
    (newcomer 23 #8)."""
    from mailer.contacts.headers import is_opt_in_header, is_opt_out_header

    headers = list(summary.custom.values())
    return [header for header in headers if is_opt_out_header(header, beside=headers) and not is_opt_in_header(header, beside=headers)]


def _opt_out_note(header: str) -> str:
    """How the opt-out column ``header`` is read, as `lists check` says it under the file."""
    return (
        f'"{header}" is read as an opt-out: a row whose cell there holds anything but nothing or a no (non, nee, nein, '
        "false, 0) is not mailed, nor is any other row of its address."
    )


def _consent_columns(summary: ListSummary) -> list[str]:
    """The headings of a list's opt-in or consent columns ("Email consent"), as the list has them."""
    from mailer.contacts.headers import is_opt_in_header

    headers = list(summary.custom.values())
    return [header for header in headers if is_opt_in_header(header, beside=headers)]


def _consent_note(header: str, *, beside: Sequence[str] = ()) -> str:
    """How the consent or opt-in column ``header`` is read, as `lists check` says it under the file
    and its --json gives it (``"consent_columns"``: session 21's leftover #3); ``beside``: the list's headings."""
    from mailer.contacts.headers import is_consent_until_header, is_opt_in_header

    if is_consent_until_header(header):  # review 22 #12
        giving = [h for h in beside if is_opt_in_header(h, beside=beside) and not is_consent_until_header(h, beside=beside)]
        empty = (  # edges 28: an empty cell is no end given
            f'an empty cell gives no end date, and "{giving[0]}" decides'
            if giving
            else "an empty cell records no consent, as no other column of the list gives it (write the day consent ends, "
            "or add a consent column saying yes)"
        )
        return (
            f'"{header}" is read as the day consent ends: only a row whose cell gives a day still to come is mailed '
            "(a date with dots day first: 05.06.2027 is 5 June); a day past, one with slashes that reads two ways "
            f"(05/06/2027: write 2027-06-05 or 05.06.2027), or anything else is no consent; {empty}."
        )
    return (
        f'"{header}" is read as consent to email: only a row whose cell says yes (or gives '
        "the day consent was given) is mailed; an empty cell is no consent, and that row is not mailed."
    )


def _rejected_words(counts: Mapping[RejectReason, int], *, without_consent: int = 0) -> str:
    """ "3 (2 invalid, 1 opted out)"; ``without_consent`` of the SUPPRESSED count are named apart
    ("1 opted out, 2 without consent": session 21's leftover #4, an empty or "no" consent cell is no opt-out)."""
    total = sum(counts.values())
    if not total:
        return "none"
    parts = []
    for reason, word in REASON_WORDS.items():
        count = counts.get(reason, 0) - (without_consent if reason is RejectReason.SUPPRESSED else 0)
        if count:  # "2 missing addresses" (review 18z #6)
            parts.append(f"{count} {word}{'es' if reason is RejectReason.MISSING and count != 1 else ''}")
        if reason is RejectReason.SUPPRESSED and without_consent:
            parts.append(f"{without_consent} without consent")
    return f"{total} ({', '.join(parts)})"


def _check_json(result: ListCheck) -> dict[str, Any]:
    def counts(valid: int, rejected: Mapping[RejectReason, int], rows: int) -> dict[str, int]:
        return {
            "rows": rows,
            "valid": valid,
            "invalid": rejected.get(RejectReason.INVALID, 0),
            "missing": rejected.get(RejectReason.MISSING, 0),
            "duplicates": rejected.get(RejectReason.DUPLICATE, 0),
            "opted_out": rejected.get(RejectReason.SUPPRESSED, 0),
        }

    recognized: dict[str, str] = {}
    custom: dict[str, str] = {}
    for file in result.files:
        for name, header in file.summary.recognized.items():
            recognized.setdefault(name, header)
        for name, header in file.summary.custom.items():
            custom.setdefault(name, header)
    totals = {reason: result.count(reason) for reason in REASON_WORDS}
    return {
        **counts(result.valid, totals, result.rows),
        "columns": {"recognized": recognized, "custom": custom},
        "files": [
            {
                "path": file.summary.path,
                "encoding": file.summary.encoding,
                "delimiter": file.summary.delimiter,
                "notes": list(file.summary.notes),
                "opt_out_columns": [{"column": header, "note": _opt_out_note(header)} for header in _opt_out_columns(file.summary)],
                "consent_columns": [
                    {"column": header, "note": _consent_note(header, beside=list(file.summary.custom.values()))}
                    for header in _consent_columns(file.summary)
                ],
                **counts(file.valid, file.rejected, file.summary.rows),
                "columns": {"recognized": dict(file.summary.recognized), "custom": dict(file.summary.custom)},
            }
            for file in result.files
        ],
        "rejected": [_rejected_json(row) for row in result.rejected],
        "unreadable": [{"file": name, "error": problem.message, "hint": problem.hint} for name, problem in result.unreadable],
        "misspelt_domains": [
            {"file": typo.source, "row": typo.row, "email": typo.email, "domain": typo.domain, "likely": typo.likely}
            for typo in result.misspelt
        ],
    }


def _rejected_json(row: RejectedRow) -> dict[str, Any]:
    # A row the list's own opt-out or consent column turned away is "opted out" or "without consent",
    # as the log, `mailer status` and a send's skipped.csv say: "suppressed" is the log's suppression list.
    return {"file": row.source, "row": row.row, "email": row.email, "reason": str(row.logged_reason), "detail": row.detail}
