"""The library API: every name in mailer.__all__ is importable, and the list is sorted."""

from __future__ import annotations

from types import ModuleType

import mailer


def test_exported_members_are_sorted_and_importable() -> None:
    """`from mailer import X` works for every advertised stage, and __all__ reads alphabetically."""
    assert mailer.__all__ == sorted(mailer.__all__)
    for name in mailer.__all__:
        assert isinstance(getattr(mailer, name), ModuleType), name


def test_exported_members_stage_functions_exist() -> None:
    """The functions the README's library example names are there."""
    from mailer import compose, contacts, events, reports
    from mailer.compose import release

    for function in (
        contacts.load,
        contacts.apply_filter,
        release.load,
        compose.render,
        compose.personalize,
        events.apply,
        reports.summarize,
    ):
        assert callable(function)
