"""Counts in words: "1 journalist", "2 journalists", "1,204 rows" (newcomer 11: "1 rows")."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` (with thousands separators) and the noun that fits it; ``plural`` defaults to
    the singular with an "s"."""
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"
