"""``mailer lists ...``: check, clean and prune press lists."""

from __future__ import annotations

import click

from mailer.cli import main


@main.group("lists")
def lists_group() -> None:
    """Check and clean press lists (CSV files of journalists).

    \b
    Example:
        mailer lists check lists/press.csv
    """
