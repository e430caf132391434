"""Commands of this area are registered on `mailer.cli.main` here (being written)."""

from __future__ import annotations

from mailer.cli import main  # noqa: F401
