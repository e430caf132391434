"""Words for a command line with more words than its command takes (Click's own "Got unexpected
extra arguments (09:30 Europe/Berlin)" said neither what was wrong nor what to type; newcomer 28 #1).

Loaded only when that happens, so the CLI's start-up stays as it was."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence

import click

LIST_ENDINGS = (".csv", ".tsv", ".txt")


def extra_words(command: click.Command, ctx: click.Context, raw: Sequence[str], extras: Sequence[str]) -> str:
    """What to say of ``extras``, the words of ``raw`` (the command line after the command's name)
    that ``command`` takes no place for: the line to type when it is plain what was meant (a value
    with spaces not in quotes, a press list without --list, two lists after one --list)."""
    root = ctx.find_root().info_name or ""
    name = "mailer" + ctx.command_path[len(root) :]  # "mailer send", also when run as python -m mailer
    arguments = [param.human_readable_name for param in command.params if isinstance(param, click.Argument)]
    takes = f"one {arguments[0]}" if len(arguments) == 1 else " ".join(arguments)
    shown = " ".join(extras)
    general = (
        f"{shown}: more than {name} takes"
        + (f" ({takes} and options)" if takes else " (only options)")
        + '. A value with spaces goes in quotes ("...").'
    )
    found = _where(command, raw, len(extras))
    if found is None:
        return general
    run, option, value, flag = found
    if option is None:  # right after the command's own argument (the release's file name)
        if _lists(run) and _takes_list(command):
            lists = " ".join(f"--list {shlex.quote(word)}" for word in run)
            return f"{' '.join(run)}: a press list is given with --list: {name} {shlex.quote(value)} {lists}"
        return f'{" ".join(run)}: {name} takes {takes}; a name with spaces goes in quotes: "{" ".join([value, *run])}"'
    if option.multiple and (_lists([value, *run]) or all("@" in word for word in [value, *run])):
        each = " ".join(f"{flag} {shlex.quote(word)}" for word in [value, *run])
        return f"{' '.join(run)}: {flag} takes one value at a time; give each its own: {each}"
    return f'{" ".join(run)}: more than {flag} takes. A value with spaces goes in quotes: {flag} "{" ".join([value, *run])}"'


def _where(command: click.Command, raw: Sequence[str], surplus: int) -> tuple[list[str], click.Option | None, str, str] | None:
    """The ``surplus`` words that most likely belong to the word before them: those right after an
    option's value (a time's "09:30 Europe/Berlin" after --at 2026-12-03), else those right after
    the command's own argument (a file name's second half, a list without --list); with that option
    (None for the argument), the word they follow and the option's name as typed (-o, --output).
    None when there are no such words."""
    options = {name: param for param in command.params if isinstance(param, click.Option) for name in param.opts}
    # per word of the command line: (the option whose value it is, or None for an argument, the word,
    # the option's name as typed), or None for an option's name
    kinds: list[tuple[click.Option | None, str, str] | None] = []
    waiting: click.Option | None = None
    typed = ""
    plain = False
    for word in raw:
        if waiting is not None:
            kinds.append((waiting, word, typed))
            waiting = None
        elif plain or word == "-" or not word.startswith("-"):
            kinds.append((None, word, ""))
        elif word == "--":
            plain = True
            kinds.append(None)
        else:
            head, equals, value = word.partition("=")
            option = options.get(head if equals else word)
            takes_value = option is not None and not option.is_flag and not option.count
            typed = head if equals else word
            kinds.append((option, value, typed) if takes_value and equals else None)
            waiting = option if takes_value and not equals else None
    for after_option in (True, False):
        for place in range(1, len(kinds)):
            before, here = kinds[place - 1], kinds[place]
            if before is None or here is None or here[0] is not None or (before[0] is not None) != after_option:
                continue
            run = [kind[1] for kind in kinds[place : place + surplus] if kind is not None and kind[0] is None]
            if len(run) == surplus == len(kinds[place : place + surplus]):
                return run, before[0], before[1], before[2]
    return None


def _lists(words: Sequence[str]) -> bool:
    return all(word.lower().endswith(LIST_ENDINGS) for word in words)


def _takes_list(command: click.Command) -> bool:
    return any(isinstance(param, click.Option) and "--list" in param.opts for param in command.params)


def reason_in_pieces(ctx: click.Context, reason: str, given: Sequence[str], meant: Callable[[str], bool]) -> None:
    """Stop with the line to type when the words right after ``--reason VALUE`` on the command line
    are taken for addresses or files (``given``) but are the reason's own (``--reason asked by phone``:
    "by" and "phone"; newcomer 28 #5). ``meant``: whether a word could be what was meant (an address,
    a file that exists): then nothing is said."""
    raw = list(ctx.meta.get("mailer.arguments", ()))
    for place, word in enumerate(raw):
        if word == "--reason" and place + 1 < len(raw) and raw[place + 1] == reason:
            after = place + 2
        elif word == f"--reason={reason}":
            after = place + 1
        else:
            continue
        following = []
        for other in raw[after:]:
            if other.startswith("-") or other not in given or meant(other):
                break
            following.append(other)
        if following:
            ctx.fail(
                f'{" ".join(following)}: part of the reason? A reason with spaces goes in quotes: --reason "{" ".join([reason, *following])}"'
            )
