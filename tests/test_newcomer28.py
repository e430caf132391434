"""Newcomer 28: the press officer of a small public-affairs office (a German city's Pressestelle,
Europe/Berlin, a semicolon list from German Excel with French columns too), a colleague who knows
a little Python. Each test is a finding, through the command line, and failed before its fix
(session 28)."""

from __future__ import annotations

from pathlib import Path

from office_cli import mailer, said

# -- 1. a time, a file name or a second list without quotes: "Got unexpected extra arguments" ------


def test_words_left_over_on_the_command_line_say_what_to_quote_or_repeat(project: Path) -> None:
    """`--at 2026-12-03 09:30 Europe/Berlin` typed without quotes (as the officer reads a time aloud)
    said Click's "Got unexpected extra arguments (09:30 Europe/Berlin)", and so did a press list given
    without --list, or two lists after one --list: programmer's words that say neither what is wrong
    nor what to type. Each now gets the line to type."""
    unquoted = mailer("send", "releases/example.md", "--list", "lists/press.csv", "--at", "2026-12-03", "09:30", "Europe/Berlin")
    assert unquoted.exit_code == 2, unquoted.output
    assert "unexpected extra" not in unquoted.output, unquoted.output
    assert '--at "2026-12-03 09:30 Europe/Berlin"' in said(unquoted), unquoted.output
    # the same, the option's value written with = and the time before the release
    before = mailer("send", "--at=2026-12-03", "09:30", "Europe/Berlin", "releases/example.md", "--list", "lists/press.csv")
    assert before.exit_code == 2 and '--at "2026-12-03 09:30 Europe/Berlin"' in said(before), before.output
    # a press list given as a second argument
    no_list = mailer("send", "releases/example.md", "lists/press.csv", "--dry-run")
    assert no_list.exit_code == 2, no_list.output
    assert "--list lists/press.csv" in said(no_list) and "unexpected extra" not in no_list.output, no_list.output
    # two lists after one --list
    two = mailer("send", "releases/example.md", "--list", "lists/press.csv", "lists/staff.csv", "--dry-run")
    assert two.exit_code == 2, two.output
    assert "--list lists/press.csv --list lists/staff.csv" in said(two), two.output
    # a release file whose name has a space
    spaced = mailer("preview", "releases/Radweg", "Flussufer.md")
    assert spaced.exit_code == 2, spaced.output
    assert '"releases/Radweg Flussufer.md"' in said(spaced) and "unexpected extra" not in spaced.output, spaced.output
    # anything else still names the words left over, and what the command takes
    other = mailer("campaigns", "everything")
    assert other.exit_code == 2 and "everything" in said(other) and "unexpected extra" not in other.output, other.output
