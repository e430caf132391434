"""Counts in words: "1 journalist", "2 journalists", "1,204 rows" (newcomer 11: "1 rows")."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` (with thousands separators) and the noun that fits it; ``plural`` defaults to
    the singular with an "s"."""
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"


def all_of(number: int, singular: str, plural: str | None = None) -> str:
    """ "all 2 journalists", but "the 1 journalist" (fix 13n: "all 1 journalists")."""
    return f"the {counted(number, singular, plural)}" if number == 1 else f"all {counted(number, singular, plural)}"
